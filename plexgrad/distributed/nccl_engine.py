"""The ``nccl`` collective engine: NCCL through CuPy's bindings (``cupy.cuda.nccl``), for
``cuda`` tensors, in place on their device buffers.

Rank 0 makes the NCCL unique id and sends it to every rank through the process group's CPU
engine (``mpi``), so a ``cuda`` job is initialised with ``backend="cpu:mpi,cuda:nccl"`` (the
default when the default device is ``cuda``).  Each rank uses the GPU ``LOCAL_RANK`` (modulo the
number of GPUs it sees).  Every collective is queued on CuPy's current stream followed by an
event; ``Work.test()`` asks the event, so waits are bounded by the process group's timeout like
every other engine's.  Tests skip without GPUs (this machine has none).
"""

__all__ = ["NCCLEngine"]

import numpy

from .engine import CollectiveEngine, Work
from .errors import DistError
from .reduce_op import ReduceOp


class _NCCLWork(Work):
    def __init__(self, event, output, finish=None):
        self._event = event
        self._output = output
        self._finish = finish

    def test(self):
        return self._event.done

    def result(self):
        return self._finish(self._output) if self._finish is not None else self._output


class NCCLEngine(CollectiveEngine):
    """Collectives on cupy arrays through NCCL (see the module docstring)."""

    name = "nccl"
    device_types = ("cuda",)

    def __init__(self, context):
        super().__init__(context)
        import cupy
        from cupy.cuda import nccl
        self._cupy = cupy
        self._nccl = nccl
        if context.host_engine is None:
            raise DistError("init_process_group: the nccl engine sends its unique id through the CPU engine; "
                            "initialise with backend='cpu:mpi,cuda:nccl'")
        self._device = cupy.cuda.Device(context.local_rank % cupy.cuda.runtime.getDeviceCount())
        self._device.use()
        unique_id = nccl.get_unique_id() if context.rank == 0 else (0,) * 128
        work = context.host_engine.gather_host(numpy.array(unique_id, dtype=numpy.int64))
        table = context.group.wait(work, "init_process_group", probe_peers=False)
        self._comm = nccl.NcclCommunicator(context.world_size, tuple(int(value) for value in table[0]), context.rank)
        self._dtypes = {numpy.dtype(numpy.float16): nccl.NCCL_FLOAT16, numpy.dtype(numpy.float32): nccl.NCCL_FLOAT32,
                        numpy.dtype(numpy.float64): nccl.NCCL_FLOAT64, numpy.dtype(numpy.int8): nccl.NCCL_INT8,
                        numpy.dtype(numpy.uint8): nccl.NCCL_UINT8, numpy.dtype(numpy.int32): nccl.NCCL_INT32,
                        numpy.dtype(numpy.int64): nccl.NCCL_INT64}
        self._ops = {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.PRODUCT: nccl.NCCL_PROD, ReduceOp.MAX: nccl.NCCL_MAX,
                     ReduceOp.MIN: nccl.NCCL_MIN, ReduceOp.AVG: getattr(nccl, "NCCL_AVG", None)}

    # ---- helpers ---------------------------------------------------------------------------
    def _typed(self, array, op=None):
        """(buffer NCCL can reduce, NCCL dtype, NCCL op, finish): bool as bytes ("or" for SUM),
        int16 and bfloat16 through wider types, AVG as SUM then divide on NCCLs without ncclAvg."""
        cupy = self._cupy
        finish = None
        buffer = array
        if array.dtype == numpy.bool_:
            buffer = array.view(numpy.uint8)
            if op is not None:
                op = ReduceOp.MAX if op in (ReduceOp.SUM, ReduceOp.MAX) else ReduceOp.MIN
        elif numpy.dtype(array.dtype) not in self._dtypes:
            buffer = array.astype(cupy.float32 if array.dtype.kind in "fV" else cupy.int64)

            def finish(result, target=array):
                target[...] = result.astype(target.dtype)
                return target
        nccl_op = None
        if op is not None:
            nccl_op = self._ops[op]
            if nccl_op is None:  # an NCCL without ncclAvg
                nccl_op = self._ops[ReduceOp.SUM]
                size, earlier = self.context.world_size, finish

                def finish(result, earlier=earlier):
                    result /= size
                    return earlier(result) if earlier is not None else result
        return buffer, self._dtypes[numpy.dtype(buffer.dtype)], nccl_op, finish

    def _done(self, output, finish=None):
        stream = self._cupy.cuda.get_current_stream()
        event = self._cupy.cuda.Event(block=False, disable_timing=True)
        event.record(stream)
        return _NCCLWork(event, output, finish)

    def _stream(self):
        return self._cupy.cuda.get_current_stream().ptr

    # ---- the collectives ---------------------------------------------------------------------
    def all_reduce(self, array, op):
        buffer, dtype, nccl_op, finish = self._typed(array, op)
        self._comm.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size, dtype, nccl_op, self._stream())
        return self._done(array if finish is None and buffer is array or array.dtype == numpy.bool_ else buffer,
                          finish)

    def broadcast(self, array, src):
        buffer = array.view(numpy.uint8) if array.dtype == numpy.bool_ or array.dtype.kind == "V" else array
        if numpy.dtype(buffer.dtype) not in self._dtypes:
            buffer = array.view(numpy.uint8)  # broadcast moves bytes: any dtype goes as uint8
        self._comm.broadcast(buffer.data.ptr, buffer.data.ptr, buffer.size, self._dtypes[numpy.dtype(buffer.dtype)],
                             src, self._stream())
        return self._done(array)

    def all_gather(self, array):
        output = self._cupy.empty((self.context.world_size,) + array.shape, dtype=array.dtype)
        source, target = array.view(numpy.uint8), output.view(numpy.uint8)  # gathering moves bytes
        self._comm.allGather(source.data.ptr, target.data.ptr, source.size, self._nccl.NCCL_UINT8, self._stream())
        return self._done(output)

    def reduce_scatter(self, array, op):
        buffer, dtype, nccl_op, finish = self._typed(array, op)
        output = self._cupy.empty(buffer.shape[1:], dtype=buffer.dtype)
        self._comm.reduceScatter(buffer.data.ptr, output.data.ptr, output.size, dtype, nccl_op, self._stream())
        if array.dtype == numpy.bool_:
            return self._done(output, lambda result: result.view(numpy.bool_))
        if buffer is not array:
            return self._done(output, lambda result, dtype=array.dtype: result.astype(dtype))
        return self._done(output, finish if op is ReduceOp.AVG and self._ops[ReduceOp.AVG] is None else None)

    def barrier(self):
        return self.all_reduce(self._cupy.ones((1,), dtype=self._cupy.int32), ReduceOp.SUM)

    def gather_host(self, values):
        return self.context.host_engine.gather_host(values)

    def close(self):
        self._comm.destroy()
