"""The ``jax`` collective engine: ``jax.distributed`` and XLA's own cross-process collectives
(gloo on CPU, NCCL/ICI on accelerators) for ``jax`` tensors.

Each collective is a compiled ``shard_map`` over a mesh with one device per process: the local
array becomes that process's shard of a global array, and ``lax.psum``/``pmax``/``pmin``/
``pmean``/``all_gather`` do the rest.  JAX dispatches asynchronously, so the returned ``Work``
is the not-yet-ready result; the process group polls it, bounded by its timeout.

``jax.distributed.initialize`` must run before JAX touches a device, so initialise the process
group before making any ``jax`` tensor.  The coordinator listens on ``MASTER_PORT + 1`` (the
``mpi`` engine's rendezvous uses ``MASTER_PORT``); under ``mpirun`` without ``MASTER_PORT``
rank 0 picks a free port and sends it through the CPU engine.
"""

__all__ = ["JaxEngine"]

import socket
import threading

import numpy

from .engine import CollectiveEngine, Work
from .errors import DistError
from .reduce_op import ReduceOp


class _JaxWork(Work):
    """A dispatched computation; ``test()`` asks whether its output is ready without blocking."""

    def __init__(self, output, extract):
        self._output = output
        self._extract = extract
        self._ready = threading.Event()
        is_ready = getattr(output, "is_ready", None)
        if is_ready is None:  # older arrays: wait on a helper thread instead
            threading.Thread(target=self._block, daemon=True).start()
        self._is_ready = is_ready

    def _block(self):
        try:
            self._output.block_until_ready()
        finally:
            self._ready.set()

    def test(self):
        if self._is_ready is not None:
            return self._is_ready()
        return self._ready.is_set()

    def result(self):
        return self._extract(self._output)


def _coordinator_port(context):
    if context.master_port is not None:
        return context.master_port + 1
    if context.host_engine is None:
        raise DistError("init_process_group: the jax engine needs MASTER_PORT (its coordinator uses MASTER_PORT + 1)")
    port = 0
    if context.rank == 0:
        with socket.socket() as probe:
            probe.bind(("", 0))
            port = probe.getsockname()[1]
    table = context.group.wait(context.host_engine.gather_host(numpy.array([port], dtype=numpy.int64)),
                               "init_process_group", probe_peers=False)
    return int(table[0][0])


class JaxEngine(CollectiveEngine):
    """Collectives on jax arrays across processes (see the module docstring)."""

    name = "jax"
    device_types = ("jax",)

    def __init__(self, context):
        super().__init__(context)
        import jax
        from jax.sharding import Mesh, NamedSharding, PartitionSpec
        from ..backends.jax_be.x64 import scoped
        from jax._src import xla_bridge
        if xla_bridge.backends_are_initialized():
            raise DistError(
                "init_process_group(backend='jax'): JAX is already running in this process (a jax tensor was made "
                "before the process group); call plexgrad.distributed.init_process_group first")
        try:
            jax.config.update("jax_cpu_collectives_implementation", "gloo")
        except (AttributeError, ValueError):
            pass  # a JAX whose CPU collectives need no switch
        port = _coordinator_port(context)
        address = f"{context.master_addr}:{port}"
        try:
            jax.distributed.initialize(address, context.world_size, context.rank,
                                       initialization_timeout=max(1, int(context.timeout)),
                                       shutdown_timeout_seconds=max(1, int(context.timeout)))
        except Exception as error:
            raise DistError(f"init_process_group: jax.distributed could not join {context.world_size} processes at "
                            f"{address}: {type(error).__name__}: {error}") from error
        self._jax = jax
        self._scoped = scoped
        by_process = {}
        for device in sorted(jax.devices(), key=lambda d: (d.process_index, d.id)):
            by_process.setdefault(device.process_index, device)
        if sorted(by_process) != list(range(context.world_size)):
            raise DistError(f"init_process_group: jax sees processes {sorted(by_process)}, expected "
                            f"{context.world_size}")
        self._mesh = Mesh(numpy.array([by_process[rank] for rank in range(context.world_size)]), ("ranks",))
        self._local_device = by_process[context.rank]
        self._sharding = NamedSharding(self._mesh, PartitionSpec("ranks"))
        self._spec = PartitionSpec("ranks")
        self._compiled = {}

    # ---- building blocks ------------------------------------------------------------------
    def _program(self, key, body):
        program = self._compiled.get(key)
        if program is None:
            jax = self._jax
            mapped = jax.shard_map(body, mesh=self._mesh, in_specs=self._spec, out_specs=self._spec)
            program = self._compiled[key] = jax.jit(mapped)
        return program

    def _global(self, array):
        jax = self._jax
        local = array if self._local_device in array.devices() else jax.device_put(array, self._local_device)
        return jax.make_array_from_single_device_arrays((self.context.world_size,) + tuple(local.shape),
                                                        self._sharding, [local[None]])

    def _run(self, key, body, array):
        def run():
            return self._program(key, body)(self._global(array))
        output = self._scoped(run)()
        return _JaxWork(output, self._scoped(lambda out: out.addressable_data(0)[0]))

    @staticmethod
    def _reducer(op, dtype):
        from jax import lax
        import jax.numpy as jnp
        if dtype == numpy.bool_:
            combine = lax.pmax if op in (ReduceOp.SUM, ReduceOp.MAX) else lax.pmin
            return lambda block: combine(block.astype(jnp.int32), "ranks").astype(jnp.bool_)
        if op is ReduceOp.PRODUCT:
            return lambda block: lax.all_gather(block, "ranks", axis=0, tiled=True).prod(axis=0, keepdims=True) \
                .astype(block.dtype)
        return {ReduceOp.SUM: lambda block: lax.psum(block, "ranks"),
                ReduceOp.AVG: lambda block: lax.pmean(block, "ranks"),
                ReduceOp.MAX: lambda block: lax.pmax(block, "ranks"),
                ReduceOp.MIN: lambda block: lax.pmin(block, "ranks")}[op]

    # ---- the collectives ------------------------------------------------------------------
    def all_reduce(self, array, op):
        key = ("all_reduce", op, array.shape, str(array.dtype))
        return self._run(key, self._reducer(op, numpy.dtype(array.dtype)), array)

    def broadcast(self, array, src):
        from jax import lax

        def body(block):  # gather and pick: exact bits for every dtype (a masked sum would lose -0.0)
            return lax.all_gather(block, "ranks", axis=0, tiled=True)[src:src + 1]
        return self._run(("broadcast", src, array.shape, str(array.dtype)), body, array)

    def all_gather(self, array):
        from jax import lax

        def body(block):
            return lax.all_gather(block, "ranks", axis=0, tiled=True)[None]
        return self._run(("all_gather", array.shape, str(array.dtype)), body, array)

    def reduce_scatter(self, array, op):
        from jax import lax
        reduce = self._reducer(op, numpy.dtype(array.dtype))

        def body(block):  # block: (1, world, *shape) -> this rank's row of the reduction
            reduced = reduce(block[0])
            return lax.dynamic_index_in_dim(reduced, lax.axis_index("ranks"), axis=0, keepdims=True)
        return self._run(("reduce_scatter", op, array.shape, str(array.dtype)), body, array)

    def barrier(self):
        import jax.numpy as jnp
        return self.all_reduce(self._scoped(lambda: jnp.ones((1,), dtype=jnp.int32))(), ReduceOp.SUM)

    def gather_host(self, values):
        import jax.numpy as jnp
        array = self._scoped(lambda: jnp.asarray(numpy.asarray(values, dtype=numpy.int64)))()
        work = self.all_gather(array)
        extract = work._extract
        work._extract = lambda out: numpy.asarray(extract(out))
        return work

    def close(self):
        try:
            self._jax.distributed.shutdown()
        except Exception:
            pass
