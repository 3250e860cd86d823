"""The collectives on tensors, torch.distributed's functions: ``all_reduce``, ``broadcast``,
``all_gather`` (and ``all_gather_into_tensor``), ``reduce_scatter`` (and
``reduce_scatter_tensor``), ``barrier``.

Each one checks, on every rank, that every rank called the same collective with the same shape,
dtype and device type (one small gather of a few integers through the CPU engine), so a
mismatch raises on all ranks with every rank's shape named instead of corrupting memory or
hanging.  The tensor's array then goes to the engine for its device type; on a mutable CPU
tensor that is contiguous, MPI works in place on its numpy buffer (no copy).  ``async_op=True``
returns a ``Work`` handle whose ``wait()`` finishes the collective.
"""

__all__ = ["all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "barrier", "Work", "start_all_reduce_unchecked", "start_broadcast_unchecked"]

import zlib

import numpy

from ..core import dtypes
from ..core.autograd import no_grad
from ..core.storage import bump_version
from ..core.tensor import Tensor, make_tensor
from .errors import DistError
from .group import current_group
from .reduce_op import ReduceOp

_META_LENGTH = 16  # collective, device type, dtype, ndim, numel, 8 dims, argument, 2 spare
_COLLECTIVES = ("all_reduce", "broadcast", "all_gather", "reduce_scatter", "barrier", "all_gather_into_tensor",
                "reduce_scatter_tensor")
_DTYPE_CODES = {dtype: code for code, dtype in enumerate(dtypes.ALL_DTYPES)}


class Work:
    """A collective started with ``async_op=True``: ``wait()`` finishes it (bounded by the group's
    timeout) and writes the result into the tensors; ``is_completed()`` never blocks."""

    def __init__(self, group, work, what, finish):
        self._group = group
        self._work = work
        self._what = what
        self._finish = finish
        self._done = False

    def is_completed(self):
        """True once the collective has finished (and its result has been written)."""
        if not self._done and self._work.test():
            self.wait()
        return self._done

    def wait(self, timeout=None):
        """Finish the collective; returns True, as torch's ``Work.wait`` does."""
        if not self._done:
            result = self._group.wait(self._work, self._what)
            self._done = True
            if self._finish is not None:
                self._finish(result)
        return True


def _device_code(device_type):
    return {"cpu": 1, "jax": 2, "cuda": 3}.get(device_type, zlib.crc32(device_type.encode()) & 0x7FFFFFFF)


def _check_tensor(tensor, what, name="tensor"):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: {name} must be a plexgrad Tensor, got {type(tensor).__name__}")


def _describe(row):
    device = {1: "cpu", 2: "jax", 3: "cuda"}.get(int(row[1]), f"device #{int(row[1])}")
    ndim = int(row[3])
    shape = tuple(int(extent) for extent in row[5:5 + min(ndim, 8)])
    shape_text = str(shape) if ndim <= 8 else f"{ndim}-d with {int(row[4])} elements"
    return f"{_COLLECTIVES[int(row[0])]} of a {dtypes.ALL_DTYPES[int(row[2])]} tensor of shape {shape_text} on {device}"


def _check_same(group, what, tensor, argument=0, argument_name=None):
    """Raise on every rank, naming each rank's call, unless all ranks called ``what`` alike."""
    meta = numpy.zeros(_META_LENGTH, dtype=numpy.int64)
    meta[0] = _COLLECTIVES.index(what)
    if tensor is not None:
        shape = tensor.shape
        meta[1] = _device_code(tensor.device.type)
        meta[2] = _DTYPE_CODES[tensor.dtype]
        meta[3] = len(shape)
        meta[4] = tensor.numel()
        meta[5:5 + min(len(shape), 8)] = tuple(shape)[:8]
    meta[13] = argument
    table = group.wait(group.host_engine.gather_host(meta), what)
    if (table == table[0]).all():
        return
    calls = "; ".join(f"rank {rank}: {_describe(row)}" + (f", {argument_name}={_argument_text(row[13], what)}"
                                                          if argument_name else "")
                      for rank, row in enumerate(table))
    raise ValueError(f"{what}: the ranks' calls do not match ({calls}). Every rank must call the same collective "
                     f"with tensors of the same shape, dtype and device" +
                     (f" and the same {argument_name}" if argument_name else ""))


def _argument_text(value, what):
    if what in ("all_reduce", "reduce_scatter", "reduce_scatter_tensor"):
        return ReduceOp(int(value)).name
    return str(int(value))


def _native(tensor):
    """The array to hand the engine, and how to write a result back into ``tensor``.

    A contiguous, writable numpy array is handed over as it is (MPI reduces it in place);
    anything else is copied into a contiguous array and the result copied back."""
    data = tensor._data
    flags = getattr(data, "flags", None)
    if flags is not None and flags.c_contiguous and flags.writeable and type(data) is numpy.ndarray:
        def written_in_place(result):
            if result is not data:
                numpy.copyto(data, result, casting="unsafe")
            bump_version(tensor)
        return data, written_in_place
    if flags is not None:  # a numpy view that is not contiguous, or read-only
        array = numpy.ascontiguousarray(data)
    else:
        array = data  # jax / cupy arrays: engines accept them as they are

    def copied_back(result):
        with no_grad():
            tensor.copy_(make_tensor(result, tensor.dtype, tensor.device))
    return array, copied_back


def _finish(handle, async_op):
    if async_op:
        return handle
    handle.wait()
    return None


def _reduce_op(op, tensor, what):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a plexgrad.distributed.ReduceOp (SUM, AVG, PRODUCT, MAX, MIN), got {op!r}")
    if op is ReduceOp.AVG and not tensor.is_floating_point():
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {tensor.dtype}; use SUM and "
                        f"divide, or convert with .float()")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over all ranks, in place: afterwards every rank holds the sum (or AVG,
    PRODUCT, MAX, MIN) of every rank's values.  ``async_op=True`` returns a ``Work``."""
    group = group or current_group("all_reduce")
    _check_tensor(tensor, "all_reduce")
    _reduce_op(op, tensor, "all_reduce")
    engine = group.engine_for(tensor.device.type, "all_reduce")
    group.begin("all_reduce")
    _check_same(group, "all_reduce", tensor, op.value, "op")
    array, write_back = _native(tensor)
    return _finish(Work(group, engine.all_reduce(array, op), "all_reduce", write_back), async_op)


def start_all_reduce_unchecked(tensor, op, group):
    """``all_reduce(tensor, op, async_op=True)`` without the cross-rank shape check, for callers
    that verified the shapes once up front (DistributedDataParallel's gradient buckets)."""
    engine = group.engine_for(tensor.device.type, "all_reduce")
    group.begin("all_reduce")
    array, write_back = _native(tensor)
    return Work(group, engine.all_reduce(array, op), "all_reduce", write_back)


def start_broadcast_unchecked(tensor, src, group):
    """``broadcast(tensor, src, async_op=True)`` without the cross-rank shape check (for
    DistributedDataParallel's coalesced buffers, whose shapes it verified at construction)."""
    engine = group.engine_for(tensor.device.type, "broadcast")
    group.begin("broadcast")
    array, write_back = _native(tensor)
    return Work(group, engine.broadcast(array, src), "broadcast", write_back)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank, in place."""
    group = group or current_group("broadcast")
    _check_tensor(tensor, "broadcast")
    if not isinstance(src, int) or not 0 <= src < group.world_size:
        raise ValueError(f"broadcast: src must be a rank from 0 to {group.world_size - 1}, got {src!r}")
    engine = group.engine_for(tensor.device.type, "broadcast")
    group.begin("broadcast")
    _check_same(group, "broadcast", tensor, src, "src")
    array, write_back = _native(tensor)
    return _finish(Work(group, engine.broadcast(array, src), "broadcast", write_back), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor`` on every rank (``tensor_list`` holds
    ``world_size`` tensors shaped like ``tensor``)."""
    group = group or current_group("all_gather")
    _check_tensor(tensor, "all_gather")
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != group.world_size:
        raise ValueError(f"all_gather: tensor_list must be a list of world_size={group.world_size} tensors, got "
                         f"{type(tensor_list).__name__} of length {len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    for index, output in enumerate(tensor_list):
        _check_tensor(output, "all_gather", f"tensor_list[{index}]")
        if output.shape != tensor.shape or output.dtype != tensor.dtype:
            raise ValueError(f"all_gather: tensor_list[{index}] has shape {tuple(output.shape)} and dtype "
                             f"{output.dtype}; every output must match the input's {tuple(tensor.shape)}, {tensor.dtype}")
    engine = group.engine_for(tensor.device.type, "all_gather")
    group.begin("all_gather")
    _check_same(group, "all_gather", tensor)
    array, _ = _native(tensor)

    def scatter_rows(result):
        with no_grad():
            for index, output in enumerate(tensor_list):
                output.copy_(make_tensor(result[index], tensor.dtype, tensor.device))
    return _finish(Work(group, engine.all_gather(array), "all_gather", scatter_rows), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Gather every rank's ``input_tensor`` into ``output_tensor``, stacked along dimension 0
    (shape ``(world_size * n, ...)``) or as a new leading dimension (``(world_size, n, ...)``)."""
    group = group or current_group("all_gather_into_tensor")
    _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    shape = tuple(input_tensor.shape)
    stacked = (group.world_size,) + shape
    concatenated = ((group.world_size * shape[0],) + shape[1:]) if shape else stacked
    if tuple(output_tensor.shape) not in (stacked, concatenated):
        raise ValueError(f"all_gather_into_tensor: output_tensor has shape {tuple(output_tensor.shape)}; for an input "
                         f"of shape {shape} and world_size {group.world_size} it must be {concatenated} or {stacked}")
    engine = group.engine_for(input_tensor.device.type, "all_gather_into_tensor")
    group.begin("all_gather_into_tensor")
    _check_same(group, "all_gather_into_tensor", input_tensor)
    array, _ = _native(input_tensor)

    def write(result):
        with no_grad():
            output_tensor.copy_(make_tensor(result.reshape(tuple(output_tensor.shape)), output_tensor.dtype,
                                            output_tensor.device))
    return _finish(Work(group, engine.all_gather(array), "all_gather_into_tensor", write), async_op)


def _reduce_scatter(output, stacked_input, op, group, what, async_op):
    _reduce_op(op, output, what)
    engine = group.engine_for(output.device.type, what)
    group.begin(what)
    _check_same(group, what, output, op.value, "op")
    array, _ = _native(stacked_input)
    _, write_back = _native(output)

    def write(result):
        write_back(result)
    return _finish(Work(group, engine.reduce_scatter(array, op), what, write), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank ``r``'s ``output`` becomes the reduction over ranks of ``input_list[r]``."""
    group = group or current_group("reduce_scatter")
    _check_tensor(output, "reduce_scatter", "output")
    if not isinstance(input_list, (list, tuple)) or len(input_list) != group.world_size:
        raise ValueError(f"reduce_scatter: input_list must be a list of world_size={group.world_size} tensors")
    for index, item in enumerate(input_list):
        _check_tensor(item, "reduce_scatter", f"input_list[{index}]")
        if item.shape != output.shape or item.dtype != output.dtype:
            raise ValueError(f"reduce_scatter: input_list[{index}] has shape {tuple(item.shape)} and dtype {item.dtype}; "
                             f"every input must match the output's {tuple(output.shape)}, {output.dtype}")
    from ..core.ops.shape import stack
    with no_grad():
        stacked = stack([item.detach() for item in input_list])
    return _reduce_scatter(output, stacked, op, group, "reduce_scatter", async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``reduce_scatter`` with the inputs as one tensor: ``input`` is ``output`` stacked (or
    concatenated along dimension 0) ``world_size`` times."""
    group = group or current_group("reduce_scatter_tensor")
    _check_tensor(output, "reduce_scatter_tensor", "output")
    _check_tensor(input, "reduce_scatter_tensor", "input")
    shape = tuple(output.shape)
    stacked = (group.world_size,) + shape
    concatenated = ((group.world_size * shape[0],) + shape[1:]) if shape else stacked
    if tuple(input.shape) not in (stacked, concatenated):
        raise ValueError(f"reduce_scatter_tensor: input has shape {tuple(input.shape)}; for an output of shape {shape} "
                         f"and world_size {group.world_size} it must be {concatenated} or {stacked}")
    with no_grad():
        stacked_input = input.detach().reshape(stacked)
    return _reduce_scatter(output, stacked_input, op, group, "reduce_scatter_tensor", async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Return once every rank has reached the barrier."""
    group = group or current_group("barrier")
    group.begin("barrier")
    _check_same(group, "barrier", None)
    return _finish(Work(group, group.host_engine.barrier(), "barrier", None), async_op)
