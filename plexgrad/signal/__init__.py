"""``torch.signal``: window functions (``torch.signal.windows``)."""

__all__ = ["windows"]

from . import windows
