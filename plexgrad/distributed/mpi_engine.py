"""The ``mpi`` collective engine: mpi4py over MPI (MPICH from the ``mpich`` wheel, Open MPI or
the system's), for ``cpu`` tensors, in place on their numpy buffers.

Every collective is a nonblocking MPI call (``Iallreduce``, ``Ibcast``...) whose request the
process group polls with ``Test()``, so a timeout or a dead peer ends the wait (MPI's blocking
calls cannot be interrupted).  The ranks join in one of two ways:

- started by ``mpirun``/``mpiexec``: MPI's own process manager (``PMI_FD`` in the environment)
  already made ``MPI_COMM_WORLD``;
- started by plexgrad's launcher or with ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/``MASTER_PORT``:
  each rank points MPICH's PMI client at plexgrad's PMI server on ``MASTER_ADDR:MASTER_PORT``
  (``pmi_server.py``; hosted by the launcher, else started by rank 0).

MPI is initialised on the first ``init_process_group`` and finalized at exit by mpi4py, after
an exit barrier that is bounded like every collective (``MPI_Finalize`` waits for every peer).
A rank that leaves with an uncaught exception, or whose group broke (a dead or stuck peer),
skips ``MPI_Finalize`` and exits at once with status 1 (the launcher's ranks keep their own
``sys.exit`` code): finalizing would wait for peers that will never come.  While a rank waits
in its exit barrier its liveness server says ``exit``, so a peer still waiting for it in a
collective fails at once, naming it, instead of at the timeout.
"""

__all__ = ["MPIEngine"]

import atexit
import os
import subprocess
import sys

import numpy

from . import exit_state
from .engine import CollectiveEngine, Work
from .errors import DistError
from .reduce_op import ReduceOp

_STATE = {"healthy": True, "server": None, "leave_registered": False}


class _MPIWork(Work):
    __slots__ = ("_request", "_output", "_finish", "_done")

    def __init__(self, request, output, finish=None):
        self._request = request
        self._output = output
        self._finish = finish
        self._done = False

    def test(self):
        if not self._done and self._request.Test():
            self._done = True
            if self._finish is not None:
                self._output = self._finish(self._output)
        return self._done

    def result(self):
        return self._output


def _start_rendezvous_server(context):
    """Rank 0 starts plexgrad's PMI server as a child process and waits until it listens."""
    server = subprocess.Popen(
        [sys.executable, "-m", "plexgrad.distributed.pmi_server", "--size", str(context.world_size),
         "--port", str(context.master_port), "--parent", str(os.getpid())],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    first_line = server.stdout.readline().strip()
    if first_line != "listening":
        server.wait(timeout=10)
        raise DistError(f"init_process_group: rank 0 could not start the rendezvous on port {context.master_port} "
                        f"({first_line or 'the server exited'}); choose a free MASTER_PORT")
    _STATE["server"] = server


def _initialise_mpi(context):
    import mpi4py
    if "mpi4py.MPI" not in sys.modules:
        if not context.launched_by_mpi:
            from .pmi_server import hello
            if context.rank == 0 and not context.rendezvous_hosted:
                _start_rendezvous_server(context)
            hello(context.master_addr, context.master_port, context.rank, context.world_size, context.timeout)
            os.environ.pop("PMI_FD", None)
            os.environ["PMI_PORT"] = f"{context.master_addr}:{context.master_port}"
            os.environ["PMI_ID"] = str(context.rank)
            os.environ["PMI_RANK"] = str(context.rank)
            os.environ["PMI_SIZE"] = str(context.world_size)
        mpi4py.rc.initialize = True
        mpi4py.rc.finalize = True
        mpi4py.rc.thread_level = "serialized"
        mpi4py.rc.errors = "exception"
    before = _shared_memory_files()
    from mpi4py import MPI
    if not MPI.Is_initialized():
        MPI.Init_thread(MPI.THREAD_SERIALIZED)
    # MPICH makes segments at init and at the first collectives: what appeared since is this job's
    # (a job started on this host in the same seconds could own one too; that is the risk taken)
    exit_state.on_leave_now(lambda: _unlink(_shared_memory_files() - before))
    return MPI


def _shared_memory_files():
    """MPICH's shared-memory segments on this host: MPI_Finalize unlinks them; a rank that leaves
    without finalizing unlinks them itself (peers keep their mappings), or every failed job would
    leave 2 MB in /dev/shm."""
    try:
        return {os.path.join("/dev/shm", name) for name in os.listdir("/dev/shm") if name.startswith("mpich_shm_")}
    except OSError:
        return set()


def _unlink(paths):
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def _leave(engine):
    """At exit: a bounded barrier with every peer on a communicator of its own, then mpi4py's
    MPI_Finalize; without it (a broken group, an exception, a peer gone) exit without finalizing."""
    if not _STATE["healthy"] or exit_state.failing():  # the peers need not wait for its finalize
        exit_state.leave_now()
    group = engine.context.group
    if group is None or group.peers is None:
        return
    group.liveness.collective = "exit"
    try:
        group.wait(_MPIWork(engine.exit_comm.Ibarrier(), None), "exit")
    except Exception as error:
        print(f"plexgrad.distributed: rank {group.rank} leaves without MPI_Finalize: {error}", file=sys.stderr)
        exit_state.leave_now(0)


class MPIEngine(CollectiveEngine):
    """Collectives on numpy arrays through mpi4py (see the module docstring)."""

    name = "mpi"
    device_types = ("cpu",)

    def __init__(self, context):
        super().__init__(context)
        MPI = self._MPI = _initialise_mpi(context)
        world = MPI.COMM_WORLD
        if world.Get_size() != context.world_size or world.Get_rank() != context.rank:
            raise DistError(
                f"init_process_group: MPI says this process is rank {world.Get_rank()} of {world.Get_size()}, "
                f"but plexgrad was asked for rank {context.rank} of {context.world_size}; under mpirun leave "
                f"RANK/WORLD_SIZE unset (or set them to MPI's values)")
        self.comm = world.Dup()
        self.exit_comm = world.Dup()  # the exit barrier must not match a collective a peer is still in
        if not _STATE["leave_registered"]:
            _STATE["leave_registered"] = True
            atexit.register(_leave, self)  # before mpi4py's own finalization
        self._ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                     ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN}
        self._bool_ops = {ReduceOp.SUM: MPI.MAX, ReduceOp.PRODUCT: MPI.MIN, ReduceOp.MAX: MPI.MAX,
                          ReduceOp.MIN: MPI.MIN}

    # -- arrays MPI can reduce: bool as bytes (sum is "or", as in torch), half floats through float32
    def _reducible(self, array, op):
        if array.dtype == numpy.bool_:
            return array.view(numpy.uint8), self._bool_ops[op], None
        if array.dtype.itemsize == 2 and array.dtype.kind in "fV" or array.dtype.name == "bfloat16":
            wide = array.astype(numpy.float32)
            return wide, self._ops[op], lambda result: _narrow_into(array, result)
        return array, self._ops[op], None

    def _average(self, op, finish):
        if op is not ReduceOp.AVG:
            return finish
        size = self.context.world_size

        def average(result):
            result = finish(result) if finish is not None else result
            numpy.divide(result, size, out=result, casting="unsafe")
            return result
        return average

    def all_reduce(self, array, op):
        buffer, mpi_op, finish = self._reducible(array, op)
        request = self.comm.Iallreduce(self._MPI.IN_PLACE, buffer, op=mpi_op)
        finish = finish or (lambda result: array)
        return _MPIWork(request, buffer, self._average(op, finish))

    def broadcast(self, array, src):
        buffer = array.view(numpy.uint8) if array.dtype == numpy.bool_ or array.dtype.name == "bfloat16" else array
        return _MPIWork(self.comm.Ibcast(buffer, root=src), array)

    def all_gather(self, array):
        output = numpy.empty((self.context.world_size,) + array.shape, dtype=array.dtype)
        as_bytes = array.dtype == numpy.bool_ or array.dtype.name == "bfloat16"
        source, target = (array.view(numpy.uint8), output.view(numpy.uint8)) if as_bytes else (array, output)
        return _MPIWork(self.comm.Iallgather(source, target), output)

    def reduce_scatter(self, array, op):
        buffer, mpi_op, finish = self._reducible(array, op)
        output = numpy.empty(buffer.shape[1:], dtype=buffer.dtype)
        request = self.comm.Ireduce_scatter_block(buffer, output, op=mpi_op)
        if array.dtype == numpy.bool_:
            finish = lambda result: result.view(numpy.bool_)  # noqa: E731
        elif finish is not None:
            finish = lambda result, dtype=array.dtype: result.astype(dtype)  # noqa: E731
        return _MPIWork(request, output, self._average(op, finish))

    def barrier(self):
        return _MPIWork(self.comm.Ibarrier(), None)

    def gather_host(self, values):
        values = numpy.ascontiguousarray(values, dtype=numpy.int64)
        output = numpy.empty((self.context.world_size, values.size), dtype=numpy.int64)
        return _MPIWork(self.comm.Iallgather(values, output), output)

    def mark_broken(self):
        """After a dead or stuck peer, MPI_Finalize would wait for it: skip it at exit."""
        _STATE["healthy"] = False

    def close(self):
        if _STATE["healthy"]:
            self.comm.Free()
            _STATE["leave_registered"] = False
            atexit.unregister(_leave)


def _narrow_into(array, wide):
    array[...] = wide.astype(array.dtype)
    return array
