"""torch.utils counterparts: ``plexgrad.utils.data`` is ``plexgrad.data``."""

__all__ = ["data"]

from . import data
