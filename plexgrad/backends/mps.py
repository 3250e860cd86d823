"""torch.backends.mps: Apple's Metal engine, which plexgrad has no backend for."""

__all__ = ["is_available", "is_built", "is_macos_or_newer", "is_macos13_or_newer"]


def is_available():
    """False: no plexgrad backend serves the ``mps`` device (use ``cpu``, ``jax`` or ``cuda``)."""
    return False


def is_built():
    """False: plexgrad is not built with MPS support."""
    return False


def is_macos_or_newer(major, minor):
    """False, as torch answers where MPS is not built."""
    return False


def is_macos13_or_newer(minor=0):
    """False, as torch answers where MPS is not built."""
    return False
