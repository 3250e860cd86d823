"""torch.backends.mkldnn (oneDNN): plexgrad has no oneDNN engine; the flags exist so programs run."""

__all__ = ["is_available", "enabled", "deterministic"]

enabled = True
deterministic = False


def is_available():
    """False: plexgrad does not use oneDNN."""
    return False
