"""Tensor creation: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``rand``... with
``dtype=``, ``device=`` and ``requires_grad=`` on each."""

__all__ = ["tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "empty", "full", "arange",
           "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "zeros_like",
           "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "scalar_tensor",
           "resolve_device", "legacy_construct", "rebuild_tensor", "from_dlpack", "to_device"]

import math
import numbers

import numpy

from . import dtypes
from .autograd.grad_mode import state as grad_state
from .device import as_device, device as Device, get_default_device
from .dispatch import backend_for_type
from .op import Rule, record
from .ops.creation import filled, moved
from .random import resolve_generator
from .shapes import shape_from_args
from .tensor import Tensor, make_tensor


def resolve_device(value):
    """The concrete device (index filled in) for ``value`` or the default device."""
    target = get_default_device() if value is None else as_device(value)
    backend = backend_for_type(target.type)
    if target.type == "cpu":
        return target if target.index is None else Device("cpu")
    index = 0 if target.index is None else target.index
    count = backend.device_count()
    if index >= count:
        raise RuntimeError(f"device {target.type}:{index} requested but only {count} {target.type} device(s) "
                           f"exist (valid: {target.type}:0..{count - 1})")
    return Device(target.type, index) if target.index is None else target


def _finish(data, dtype, device, requires_grad):
    result = make_tensor(data, dtype, device)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _host_to(host, dtype, device):
    backend = backend_for_type(device.type)
    return backend.from_host(host, dtype, device.index or 0)


def _infer_dtype(array, data):
    kind = array.dtype.kind
    if kind == "b":
        return dtypes.bool
    if kind in "iu":
        if isinstance(data, numpy.ndarray) or isinstance(data, numpy.generic):
            return dtypes.as_dtype(array.dtype.name)
        return dtypes.int64
    if kind == "f":
        if isinstance(data, numpy.ndarray) or isinstance(data, numpy.generic):
            return dtypes.as_dtype(array.dtype.name)
        return dtypes.get_default_dtype()
    if kind == "V" and array.dtype.name == "bfloat16":
        return dtypes.bfloat16
    raise TypeError(f"can't convert data of numpy dtype {array.dtype} to a tensor; supported types are "
                    "bool, integers and floating point")


def _contains_float_tensor(data):
    if isinstance(data, Tensor):
        return data._dtype
    if isinstance(data, (list, tuple)) and data:
        return _contains_float_tensor(data[0])
    return None


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested lists/tuples, a numpy array or a tensor).

    Python floats become float32 (the default dtype), ints int64, bools bool.
    """
    target = resolve_device(device if device is not None else
                            (data.device if isinstance(data, Tensor) else None))
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        result = data.detach().to(target, dtype or data._dtype, copy=True)
        return _finish(result._data, result._dtype, target, requires_grad)
    inner_dtype = _contains_float_tensor(data)
    try:
        host = numpy.asarray(data if not (isinstance(data, (list, tuple)) and inner_dtype is not None)
                             else [_to_host_nested(item) for item in data])
    except ValueError:
        raise ValueError(f"{_ragged_description(data)}; nested lists must be rectangular (every row the same "
                         "length)") from None
    if host.dtype == object:
        raise TypeError(f"could not infer the dtype of {type(data).__name__} {data!r:.60}; data must be numbers, "
                        "(nested) lists of numbers, numpy arrays or tensors")
    if dtype is None:
        dtype = inner_dtype if inner_dtype is not None and host.dtype.kind in "fiub" and \
            not isinstance(data, numpy.ndarray) else _infer_dtype(host, data)
    # tensor() always copies (as in torch), and a backend's from_host may keep the host memory it is
    # given (numpy does; jax on a CPU device does when the buffer happens to be aligned): hand it memory
    # the caller does not hold
    if host is data or isinstance(data, numpy.ndarray) and numpy.may_share_memory(host, data):
        host = host.copy()
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def _ragged_description(data, dim=0):
    """torch's wording for the first row whose length differs from its siblings'."""
    if not isinstance(data, (list, tuple)) or not data:
        return "could not create a tensor from the data"
    expected = len(data[0]) if isinstance(data[0], (list, tuple)) else None
    for item in data:
        length = len(item) if isinstance(item, (list, tuple)) else None
        if length != expected:
            if expected is None or length is None:
                return f"expected a sequence or a number consistently at dim {dim + 1}"
            return f"expected sequence of length {expected} at dim {dim + 1} (got {length})"
    for item in data:
        found = _ragged_description(item, dim + 1)
        if found.startswith("expected"):
            return found
    return "could not create a tensor from the data"


def _to_host_nested(item):
    if isinstance(item, Tensor):
        return item._backend().to_host(item._data)
    if isinstance(item, (list, tuple)):
        return [_to_host_nested(x) for x in item]
    return item


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with numpy arrays and tensors when dtype and device allow."""
    if isinstance(data, Tensor):
        return data.to(device or data.device, dtype or data.dtype)
    if isinstance(data, numpy.ndarray) and (device is None or as_device(device).type == "cpu") \
            and resolve_device(device).type == "cpu":
        result = from_numpy(data)
        return result if dtype is None else result.to(dtypes.as_dtype(dtype))
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array):
    """A cpu tensor sharing memory with numpy ``array`` (writes show in both)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtype = dtypes.as_dtype(array.dtype.name) if array.dtype.name in {d.name for d in dtypes.ALL_DTYPES} \
        else _infer_dtype(array, array)
    return make_tensor(array, dtype, Device("cpu"))


def from_dlpack(external):
    """A tensor sharing memory with any DLPack-capable array (cpu arrays land on ``cpu``)."""
    if isinstance(external, Tensor):
        return external
    device_type, _ = external.__dlpack_device__()
    if device_type == 1:  # kDLCPU
        return from_numpy(numpy.from_dlpack(external))
    module = type(external).__module__.split(".")[0]
    if module in ("jax", "jaxlib"):
        dtype = backend_for_type("jax").dtype_of(external)
        return make_tensor(external, dtype, resolve_device("jax"))
    if module == "cupy":
        dtype = backend_for_type("cuda").dtype_of(external)
        return make_tensor(external, dtype, resolve_device("cuda"))
    raise TypeError(f"from_dlpack: unsupported array type {type(external).__name__} on DLPack device {device_type}")


def scalar_tensor(value, device=None, dtype=None):
    """A 0-d tensor for Python number ``value``."""
    target = device if type(device) is Device and (device.type == "cpu" or device.index is not None) \
        else resolve_device(device)
    dtype = dtypes.scalar_dtype(value) if dtype is None else dtype
    return make_tensor(_host_to(numpy.asarray(value), dtype, target), dtype, target)


def _size_keyword(size, ignored, function_name):
    """``zeros(size=(2, 3))``: torch accepts the size as a keyword too."""
    keyword = ignored.pop("size", None)
    if keyword is None:
        return size
    if size:
        raise TypeError(f"{function_name}() got the size both positionally and as size=")
    return (keyword,)


def _shape(size, function_name):
    shape = shape_from_args(size, f"{function_name}(): size")
    if any(extent < 0 for extent in shape):
        raise RuntimeError(f"{function_name}: Dimension size must be non-negative, got size {list(shape)}")
    return shape


def _float_dtype(dtype, function_name):
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    return dtype


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, **ignored):
    """A tensor of shape ``size`` filled with ``fill_value``."""
    shape = _shape((size,) if isinstance(size, int) else size, "full")
    target = resolve_device(device)
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    dtype = dtypes.as_dtype(dtype)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _finish(filled(shape, value, dtype, target), dtype, target, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, **ignored):
    """A tensor of zeros with shape ``size`` (float32 unless ``dtype`` says otherwise)."""
    size = _size_keyword(size, ignored, "zeros")
    dtype = _float_dtype(dtype, "zeros")
    return full(_shape(size, "zeros"), 0, dtype=dtype, device=device, requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, **ignored):
    """A tensor of ones with shape ``size``."""
    size = _size_keyword(size, ignored, "ones")
    dtype = _float_dtype(dtype, "ones")
    return full(_shape(size, "ones"), 1, dtype=dtype, device=device, requires_grad=requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, **ignored):
    """An uninitialised tensor of shape ``size`` (here: zero-filled)."""
    size = _size_keyword(size, ignored, "empty")
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix."""
    dtype = _float_dtype(dtype, "eye")
    target = resolve_device(device)
    host = numpy.eye(n, n if m is None else m)
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values ``start, start+step, ...`` below ``end``; int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        dtype = dtypes.int64 if all(isinstance(v, numbers.Integral) for v in values) \
            else dtypes.get_default_dtype()
    dtype = dtypes.as_dtype(dtype)
    target = resolve_device(device)
    count = max(math.ceil((end - start) / step), 0)
    host = (start + numpy.arange(count, dtype=numpy.float64) * step) if dtype.is_floating_point else \
        numpy.arange(start, end, step, dtype=numpy.int64)
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    dtype = _float_dtype(dtype, "linspace")
    target = resolve_device(device)
    host = numpy.linspace(float(start), float(end), int(steps))
    if not dtype.is_floating_point:
        host = numpy.trunc(host)
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** linspace(start, end, steps)``."""
    dtype = _float_dtype(dtype, "logspace")
    target = resolve_device(device)
    host = numpy.power(float(base), numpy.linspace(float(start), float(end), int(steps)))
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def _random(sampler, size, dtype, device, requires_grad, generator, function_name):
    shape = _shape(size, function_name)
    dtype = _float_dtype(dtype, function_name)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{function_name}(): expected a floating point dtype, got {dtype}")
    target = resolve_device(device)
    numpy_dtype = numpy.float64 if dtype is dtypes.float64 else numpy.float32
    host = sampler(resolve_generator(generator), shape, numpy_dtype)
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, **ignored):
    """Uniform samples from [0, 1)."""
    size = _size_keyword(size, ignored, "rand")
    return _random(lambda g, s, d: g.random(s, dtype=d), size, dtype, device, requires_grad, generator, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, **ignored):
    """Standard normal samples."""
    size = _size_keyword(size, ignored, "randn")
    return _random(lambda g, s, d: g.standard_normal(s, dtype=d), size, dtype, device, requires_grad,
                   generator, "randn")


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform in [low, high); int64 by default."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape = _shape((size,) if isinstance(size, int) else size, "randint")
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    target = resolve_device(device)
    host = resolve_generator(generator).integers(low, high, size=shape, dtype=numpy.int64)
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0..n-1``."""
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    target = resolve_device(device)
    host = resolve_generator(generator).permutation(int(n)).astype(numpy.int64)
    return _finish(_host_to(host, dtype, target), dtype, target, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples with ``mean`` and ``std`` (numbers or tensors)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        reference = mean if isinstance(mean, Tensor) else std
        noise = randn(reference.shape if size is None else size, generator=generator, dtype=reference.dtype,
                      device=reference.device)
        return noise * std + mean
    if size is None:
        raise TypeError("normal() needs size= when mean and std are numbers")
    return randn(size, generator=generator, dtype=dtype, device=device, requires_grad=False) * std + mean


def _like(function, input, dtype, device, requires_grad, **kwargs):
    dtype = input._dtype if dtype is None else dtype
    device = input._device if device is None else device
    return function(tuple(input._data.shape), dtype=dtype, device=device, requires_grad=requires_grad, **kwargs)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(zeros, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype = input._dtype if dtype is None else dtype
    return full(tuple(input._data.shape), fill_value, dtype=dtype, device=device or input._device,
                requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None):
    return _like(rand, input, dtype, device, requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None):
    return _like(randn, input, dtype, device, requires_grad, generator=generator)


def randint_like(input, low, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input._data.shape), dtype=dtype or input._dtype,
                   device=device or input._device)


def legacy_construct(args, dtype, device):
    """``Tensor(2, 3)`` (uninitialised) or ``Tensor([1, 2])`` / ``FloatTensor(data)``."""
    if len(args) == 1 and not isinstance(args[0], int):
        return tensor(args[0], dtype=dtype, device=device)
    if not args:
        return zeros(0, dtype=dtype, device=device)
    return zeros(*args, dtype=dtype, device=device)


def rebuild_tensor(host, dtype_name, device_text, requires_grad):
    """Unpickling target for tensors."""
    result = tensor(host, dtype=dtype_name, device=device_text)
    if requires_grad:
        result.requires_grad_(True)
    return result


# ---- transfers ---------------------------------------------------------------------------
def _to_device_backward(node, grad):
    source_device = node.params
    return (to_device(grad, source_device),)


_TO_DEVICE = Rule("ToCopyBackward0", _to_device_backward)


def to_device(input, target):
    """A copy of ``input`` on device ``target`` (differentiable)."""
    if input._device is target:
        return input
    data = moved(input._data, target) if input._device.type == target.type else None
    if data is None:
        source_backend = backend_for_type(input._device.type)
        host = source_backend.to_host(input._data)
        # a transfer never aliases (as in torch): the host array may be the source's own memory, and
        # from_host may keep what it is given (numpy does; jax on a CPU device does when the buffer is
        # aligned), so the target gets its own copy unless neither side can ever write its memory
        if source_backend.mutable or backend_for_type(target.type).mutable:
            host = numpy.array(host, order="C", copy=True)
        else:
            host = numpy.ascontiguousarray(host).reshape(host.shape)  # keeps 0-d
        data = _host_to(host, input._dtype, target)
    result = make_tensor(data, input._dtype, target)
    if grad_state.enabled and input._requires_grad:
        record(_TO_DEVICE, (input,), result, (), input._device)
    return result
