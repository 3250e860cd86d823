"""Data-parallel wrappers: ``DistributedDataParallel`` (one process per replica, see
plexgrad.distributed)."""

__all__ = ["DistributedDataParallel"]

from .distributed import DistributedDataParallel
