"""``DistributedDataParallel``'s name, until the real one (built on ``plexgrad.distributed``) lands here.

This placeholder only refuses, with torch's advice, so that programs importing the name run up
to the point where they would need a process group.
"""

__all__ = ["DistributedDataParallel"]

from ..modules.module import Module


class DistributedDataParallel(Module):
    """Data-parallel training across processes; needs a process group first."""

    def __init__(self, module, *args, **kwargs):
        raise ValueError(
            "DistributedDataParallel: the default process group has not been initialized. Call "
            "plexgrad.distributed.init_process_group(...) first (one process per device, e.g. started with "
            "torchrun), or train in one process without DistributedDataParallel.")
