"""What a collective engine implements (``CollectiveEngine``) and what it is given (``EngineContext``).

An engine works on native arrays (numpy, jax, cupy) that already live on its device type and
are contiguous; plexgrad's facade (``plexgrad.distributed.collectives``) turns tensors into
such arrays, checks that every rank passed the same shape, and writes results back.  Every
operation returns a ``Work`` at once; the process group polls ``Work.test()`` against its
timeout while probing peers, so no engine ever needs its own timeout logic, and a dead rank
is named instead of hanging the job.
"""

__all__ = ["CollectiveEngine", "EngineContext", "Work", "DoneWork"]

from dataclasses import dataclass


@dataclass
class EngineContext:
    """What an engine needs to join its peers.

    ``rank``/``world_size``: this process and the job's size; ``master_addr``/``master_port``:
    the rendezvous address every rank knows (each engine uses its own port from
    ``master_port``: ``mpi`` that port, ``jax`` the next one); ``timeout``: seconds for joining;
    ``local_rank``: the rank on this node (device choice); ``launched_by_mpi``: the process was
    started by ``mpirun``/``mpiexec`` (PMI is already in the environment); ``host_engine``:
    an already-started engine for ``cpu`` arrays, for engines that bootstrap through it (NCCL
    sends its unique id that way), or None; ``group``: the process group being built (its
    ``wait(work, what)`` bounds an engine's own bootstrap collectives).
    """

    rank: int
    world_size: int
    master_addr: str
    master_port: int
    timeout: float
    local_rank: int = 0
    launched_by_mpi: bool = False
    rendezvous_hosted: bool = False
    host_engine: object = None
    group: object = None


class Work:
    """A collective in flight.  ``test()`` returns True once it has finished (it must never
    block); ``result()`` then gives the output array."""

    def test(self):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError


class DoneWork(Work):
    """A Work that finished when it was made (an engine whose call is synchronous)."""

    def __init__(self, result=None):
        self._result = result

    def test(self):
        return True

    def result(self):
        return self._result


class CollectiveEngine:
    """Base class of collective engines.  ``engine_class(context)`` joins the peers (bounded by
    ``context.timeout``); then each method starts one collective over all ranks and returns a
    ``Work``.  ``op`` is a ``plexgrad.distributed.ReduceOp``.

    - ``all_reduce(array, op)``: every rank gets the reduction (in place where the array is
      mutable: the result may be ``array`` itself).
    - ``broadcast(array, src)``: every rank gets rank ``src``'s values.
    - ``all_gather(array)``: shape ``(world_size, *array.shape)``, row ``r`` from rank ``r``.
    - ``reduce_scatter(array, op)``: ``array`` has shape ``(world_size, *shape)``; rank ``r``
      gets the reduction of every rank's row ``r``.
    - ``barrier()``: finishes once every rank has called it.
    - ``gather_host(values)``: ``values`` a 1-D int64 numpy array, the same length on every
      rank; result a numpy array ``(world_size, len)`` (for shape checks and rendezvous).
    - ``close()``: release the engine's communicators (not called for a broken group).
    """

    name = "engine"
    device_types = ()

    def __init__(self, context):
        self.context = context

    def all_reduce(self, array, op):
        raise NotImplementedError

    def broadcast(self, array, src):
        raise NotImplementedError

    def all_gather(self, array):
        raise NotImplementedError

    def reduce_scatter(self, array, op):
        raise NotImplementedError

    def barrier(self):
        raise NotImplementedError

    def gather_host(self, values):
        raise NotImplementedError

    def close(self):
        pass
