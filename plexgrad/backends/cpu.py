"""torch.backends.cpu: what the CPU offers (plexgrad's ``cpu`` device runs on numpy)."""

__all__ = ["get_cpu_capability"]


def get_cpu_capability():
    """The vector instruction set in use; numpy picks its own at run time, so plexgrad reports 'DEFAULT'."""
    return "DEFAULT"
