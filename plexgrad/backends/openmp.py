"""torch.backends.openmp: plexgrad's own code uses no OpenMP threads."""

__all__ = ["is_available"]


def is_available():
    """False: plexgrad does not run OpenMP threads itself."""
    return False
