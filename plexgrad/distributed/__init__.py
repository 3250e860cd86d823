"""plexgrad.distributed: torch.distributed's process groups and collectives, on collective
engines made for it (MPI for ``cpu``, JAX's cross-process collectives for ``jax``, NCCL for
``cuda``, or a plugin's), with a bounded wait on every collective.

    import plexgrad.distributed as dist
    dist.init_process_group()              # RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (the launcher sets them)
    t = plexgrad.ones(3) * dist.get_rank()
    dist.all_reduce(t)                     # every rank: the sum over ranks

Start a job with ``python -m plexgrad.distributed.run --nproc-per-node 2 train.py`` or
``mpirun -n 2 python train.py``; see docs/distributed.md.
"""

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available", "get_rank",
           "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "ReduceOp", "Work",
           "DistError", "DistBackendError", "DistTimeoutError", "DeadRankError", "EngineDeclaration",
           "CollectiveEngine", "EngineContext", "hookimpl", "ENGINE_API_VERSION"]

from .collectives import (Work, all_gather, all_gather_into_tensor, all_reduce, barrier, broadcast, reduce_scatter,
                          reduce_scatter_tensor)
from .declaration import ENGINE_API_VERSION, EngineDeclaration, hookimpl
from .engine import CollectiveEngine, EngineContext
from .errors import DeadRankError, DistBackendError, DistError, DistTimeoutError
from .init_group import (destroy_process_group, get_backend, get_rank, get_world_size, init_process_group,
                         is_available, is_initialized)
from .reduce_op import ReduceOp
