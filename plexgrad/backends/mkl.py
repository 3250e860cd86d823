"""torch.backends.mkl: plexgrad does not call MKL directly (numpy may, through its BLAS)."""

__all__ = ["is_available"]


def is_available():
    """False: plexgrad has no MKL engine of its own."""
    return False
