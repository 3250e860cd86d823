"""numpy kernels: the shared ``xp`` kernels, plus in-place writes numpy allows."""

__all__ = ["build_backend"]

import threading

import numpy

from ...core import dtypes
from ...core.backend import Backend
from ..array_kernels import BUILDERS, build_kernels

_NATIVE = {d: numpy.dtype(d.name) for d in dtypes.ALL_DTYPES if d is not dtypes.bfloat16}
_FROM_NATIVE = {native: d for d, native in _NATIVE.items()}


def _bfloat16():
    try:
        import ml_dtypes
    except ImportError:
        raise TypeError("bfloat16 on cpu needs the ml_dtypes package: pip install ml_dtypes") from None
    native = numpy.dtype(ml_dtypes.bfloat16)
    _NATIVE[dtypes.bfloat16] = native
    _FROM_NATIVE[native] = dtypes.bfloat16
    return native


def native_dtype(dtype):
    found = _NATIVE.get(dtype)
    return found if found is not None else _bfloat16()


def dtype_of(array):
    found = _FROM_NATIVE.get(array.dtype)
    if found is None:
        if array.dtype.name == "bfloat16":
            _bfloat16()
            return dtypes.bfloat16
        raise TypeError(
            f"numpy dtype {array.dtype} has no plexgrad equivalent; supported: "
            + ", ".join(d.name for d in dtypes.ALL_DTYPES)
        )
    return found


def from_host(data, dtype, index):
    return numpy.asarray(data, dtype=native_dtype(dtype))


def to_host(array):
    return array if type(array) is numpy.ndarray else numpy.asarray(array)


def owned(array):
    """A writable ndarray for the value (numpy returns scalars from 0-d operations)."""
    return array if type(array) is numpy.ndarray else numpy.array(array)


def assign(destination, source):
    numpy.copyto(destination, source, casting="unsafe")


def index_put_(array, values, key, accumulate):
    if accumulate:
        numpy.add.at(array, key, values)
    else:
        array[key] = values


# ---- fast paths: numpy's Python-level wrappers cost more than the work on tiny arrays ----
_add_reduce = numpy.add.reduce
_multiply_reduce = numpy.multiply.reduce
_maximum = numpy.maximum
_add = numpy.add
_less_equal = numpy.less_equal
_logical_not = numpy.logical_not
_ZEROS = {}


def fast_sum(x, dims, keepdim):
    # in x's own dtype: add.reduce would widen small integers (an int8 sum asked for in int8 wraps)
    return _add_reduce(x, dims, x.dtype, None, keepdim)


def fast_relu(x):
    zero = _ZEROS.get(x.dtype)
    if zero is None:
        zero = _ZEROS[x.dtype] = x.dtype.type(0)
    return _maximum(x, zero)


def fast_relu_backward(grad, output):
    """grad, except 0 where output <= 0 (a NaN output passes, as torch's threshold_backward)."""
    zero = _ZEROS.get(output.dtype)
    if zero is None:
        zero = _ZEROS[output.dtype] = output.dtype.type(0)
    return _multiply(grad, _logical_not(_less_equal(output, zero)))


def fast_expand(x, shape):
    """numpy.broadcast_to without its argument handling (a read-only view, as torch's expand)."""
    if type(x) is not numpy.ndarray:
        return numpy.broadcast_to(x, shape)
    if not x.ndim:  # a reduction's gradient spread back over its input: every stride is 0
        result = numpy.ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        result.flags.writeable = False
        return result
    if not x.flags.c_contiguous:
        return numpy.broadcast_to(x, shape)
    lead = len(shape) - x.ndim
    strides = (0,) * lead + tuple(0 if extent == 1 and target != 1 else stride
                                  for extent, target, stride in zip(x.shape, shape[lead:], x.strides))
    result = numpy.ndarray(shape, x.dtype, x, 0, strides)
    result.flags.writeable = False
    return result


_multiply = numpy.multiply
_matmul = numpy.matmul
_may_share_memory = numpy.may_share_memory
_CHUNK = 1 << 18  # elements per pass of add_scaled_into: a 1 MiB float32 scratch buffer per thread
_SMALL = 1 << 12  # below this a temporary is cheaper than the chunk loop
_scratch = threading.local()


def add_scaled_into(destination, source, alpha):
    """``destination += alpha * source`` (an axpy) without a temporary the size of ``destination``.

    numpy has no fused multiply-add, and a full-size temporary per call (one per
    parameter per optimizer step) makes glibc return and re-fault pages every step.
    Equal-shaped contiguous operands go through a small per-thread scratch buffer in
    chunks; anything else takes the plain two-ufunc route.
    """
    if alpha == 1:
        _add(destination, source, out=destination)
        return
    size = destination.size
    if (type(source) is not numpy.ndarray or source.shape != destination.shape or source.dtype != destination.dtype
            or not destination.flags.c_contiguous or not source.flags.c_contiguous or size <= _SMALL
            or _may_share_memory(destination, source)):
        _add(destination, _multiply(source, alpha), out=destination)
        return
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buffer = buffers.get(destination.dtype)
    if buffer is None:
        buffer = buffers[destination.dtype] = numpy.empty(_CHUNK, destination.dtype)
    flat_destination = destination.reshape(-1)
    flat_source = source.reshape(-1)
    for start in range(0, size, _CHUNK):
        target = flat_destination[start:start + _CHUNK]
        part = buffer[:target.size]
        _multiply(flat_source[start:start + _CHUNK], alpha, out=part)
        _add(target, part, out=target)


def linear(x, weight, bias):
    """``x @ weight.T + bias``, adding the bias into the fresh product instead of a new array."""
    result = _matmul(x, weight.T)
    if bias is not None:
        _add(result, bias, out=result)
    return result


_maximum_reduce = numpy.maximum.reduce
_minimum_reduce = numpy.minimum.reduce


def cross_entropy_indices(logits, target, scale):
    """The fused cross entropy of ``fused_kernels``, tuned for numpy: ufunc reductions instead of the
    methods' Python wrappers, fancy indexing instead of ``take_along_axis``, the division in place."""
    count, classes = logits.shape
    if _minimum_reduce(target) < 0 or _maximum_reduce(target) >= classes:
        return None  # the general path reports the bad target
    shifted = logits - _maximum_reduce(logits, 1, None, None, True)
    exponentials = numpy.exp(shifted)
    sums = _add_reduce(exponentials, 1, None, None, True)
    picked = shifted[numpy.arange(count), target]
    loss = numpy.asarray(_add_reduce(numpy.log(sums).reshape(-1) - picked) * scale, dtype=logits.dtype)
    exponentials /= sums
    return loss, exponentials


_generic_scatter_add = BUILDERS["scatter_add"](numpy)


def scatter_add(x, index, src, dim):
    """``x`` plus ``src`` added at ``index`` along ``dim``.  ``add.at`` is several times faster on
    one flat index array than on a tuple of broadcast ones, so the positions are flattened first."""
    if x.dtype.kind not in "fiuc" or not index.size or index.min() < 0 or index.max() >= x.shape[dim]:
        return _generic_scatter_add(x, index, src, dim)  # bad indices: add.at says what is wrong
    strides = [1] * x.ndim
    for axis in range(x.ndim - 2, -1, -1):
        strides[axis] = strides[axis + 1] * x.shape[axis + 1]
    flat = index * strides[dim]
    for axis, extent in enumerate(index.shape):
        if axis != dim and extent > 1:
            shape = [1] * index.ndim
            shape[axis] = extent
            flat = flat + (numpy.arange(extent, dtype=numpy.int64) * strides[axis]).reshape(shape)
    source = src[tuple(slice(0, extent) for extent in index.shape)]
    result = numpy.array(x, order="C")
    _add.at(result.reshape(-1), numpy.broadcast_to(flat, index.shape).ravel(),
            numpy.broadcast_to(source, index.shape).ravel())
    return result


def _in_place(ufunc):
    """The in-place kernel ``destination = ufunc(destination, source)`` (``add_`` accumulates .grad)."""
    def kernel(destination, source):
        ufunc(destination, source, out=destination)
    return kernel


class _ArrayInterface:
    """Exposes an array interface (numpy's own trick in ``as_strided``)."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def diagonal(x, offset, dim1, dim2):
    """numpy.diagonal as a writable view when ``x`` is writable (torch's diagonal is a view one
    may write through; numpy's is read-only)."""
    view = numpy.diagonal(x, offset, dim1, dim2)
    if not x.flags.writeable:
        return view
    interface = dict(view.__array_interface__)
    interface["data"] = (interface["data"][0], False)
    return numpy.asarray(_ArrayInterface(interface, view))


def full(shape, value, dtype, device):
    """``numpy.full``; a 0-d array (backward's root gradient) in one C call (numpy.full is Python)."""
    if not shape:
        return numpy.array(value, dtype=native_dtype(dtype))
    return numpy.full(shape, value, dtype=native_dtype(dtype))


def build_backend():
    kernels = build_kernels(numpy, native_dtype)
    kernels["full"] = full
    kernels["diagonal"] = diagonal
    kernels["index_put_"] = index_put_
    kernels["scatter_add"] = scatter_add
    kernels.update({"sum": fast_sum, "relu": fast_relu, "expand": fast_expand, "relu_backward": fast_relu_backward,
                    "add_": _in_place(numpy.add), "sub_": _in_place(numpy.subtract), "mul_": _in_place(numpy.multiply),
                    "div_": _in_place(numpy.true_divide), "add_scaled_": add_scaled_into,
                    "linear": linear, "cross_entropy_indices": cross_entropy_indices,
                    "move": lambda x, device: x.copy()})  # one host device: a move is a copy
    return Backend(
        "numpy", ("cpu",), kernels,
        from_host=from_host, to_host=to_host, native_dtype=native_dtype, dtype_of=dtype_of,
        mutable=True, device_count=lambda: 1, assign=assign, owned=owned,
        errors={"singular": numpy.linalg.LinAlgError},
    )
