"""Creation functions of the array API namespace, on plexgrad's factories.

The standard's defaults differ from torch's in places: ``arange`` with an empty range gives
an empty array (torch raises), ``eye`` takes a diagonal offset ``k``, ``linspace`` has
``endpoint``, and ``asarray`` honours ``copy=`` (``False`` raises ``ValueError`` when a copy
is needed).
"""

__all__ = ["arange", "asarray", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like", "linspace",
           "meshgrid", "ones", "ones_like", "tril", "triu", "zeros", "zeros_like"]

import math

import numpy

from .. import core as _core  # noqa: F401  binds Tensor methods
from ..core import dtypes as _dtypes
from ..core import factories as _factories
from ..core.device import get_default_device
from ..core.ops import shape as _shape
from ..core.ops.elementwise import where as _where
from ..core.tensor import Tensor
from ._dtypes import as_standard_dtype


def _shape_tuple(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(extent) for extent in shape)


def _device(device):
    return get_default_device() if device is None else device


def _scalar_dtype(value):
    if isinstance(value, bool):
        return _dtypes.bool
    if isinstance(value, int):
        return _dtypes.int64
    return _dtypes.get_default_dtype()


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    """``start, start + step, ...`` up to (excluding) ``stop``; an empty array when the range is empty."""
    dtype = as_standard_dtype(dtype)
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange(): step must not be zero")
    count = max(0, math.ceil((stop - start) / step))
    if dtype is None:
        dtype = _dtypes.int64 if all(isinstance(v, int) for v in (start, stop, step)) else \
            _dtypes.get_default_dtype()
    if count == 0:
        return _factories.empty((0,), dtype=dtype, device=_device(device))
    if dtype.is_floating_point or not all(isinstance(v, int) for v in (start, stop, step)):
        # the standard's values are start + i * step for i < ceil((stop - start) / step)
        steps = _factories.arange(count, dtype=_dtypes.float64, device=_device(device))
        return (steps * step + start).to(dtype)
    return _factories.arange(start, start + count * step, step, dtype=dtype, device=_device(device))


def _is_buffer(value):
    try:
        memoryview(value)
    except TypeError:
        return False
    return True


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    """An array from a Tensor, nested sequence, scalar, buffer or DLPack object.

    ``copy=True`` always copies; ``copy=False`` never does and raises ``ValueError`` when it would have
    to; ``None`` copies only when needed (a change of dtype or device).
    """
    dtype = as_standard_dtype(dtype)
    if isinstance(obj, Tensor):
        result = obj
        if device is not None and result.device != _factories.resolve_device(device):
            if copy is False:
                raise ValueError(f"asarray(copy=False): moving from {obj.device} to {device} needs a copy")
            result = result.to(device)
        if dtype is not None and result.dtype is not dtype:
            if copy is False:
                raise ValueError(f"asarray(copy=False): casting {obj.dtype} to {dtype} needs a copy")
            result = result.to(dtype)
        if copy and result is obj:
            result = _shape.clone(obj)
        return result
    if isinstance(obj, numpy.ndarray) or _is_buffer(obj) and not isinstance(obj, (bytes, bytearray)):
        host = numpy.asarray(obj)
        wanted_device = _factories.resolve_device(_device(device))
        shares = wanted_device.type == "cpu" and (dtype is None or host.dtype.name == dtype.name)
        if copy is False and not shares:
            raise ValueError("asarray(copy=False): this input can only become an array by copying it")
        if shares and not copy:
            result = _factories.from_numpy(host)
            return result if dtype is None else result.to(dtype)
        return _factories.tensor(numpy.array(host), dtype=dtype, device=wanted_device)
    if hasattr(obj, "__dlpack__"):
        result = _factories.from_dlpack(obj)
        return asarray(result, dtype=dtype, device=device, copy=copy)
    if copy is False:
        raise ValueError(f"asarray(copy=False): a {type(obj).__name__} can only become an array by copying it")
    if dtype is None and isinstance(obj, (bool, int, float)):
        dtype = _scalar_dtype(obj)
    if dtype is None and _nested_all(obj, float):
        dtype = _dtypes.get_default_dtype()
    if isinstance(obj, int) and not isinstance(obj, bool) and dtype is not None and not dtype.is_floating_point:
        from ._dtypes import iinfo
        limits = iinfo(dtype) if dtype is not _dtypes.bool else None
        if limits is not None and not limits.min <= obj <= limits.max:
            raise OverflowError(f"asarray(): {obj} does not fit in {dtype} ({limits.min} to {limits.max})")
    return _factories.tensor(obj, dtype=dtype, device=_device(device))


def _nested_all(value, kind):
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_nested_all(item, kind) for item in value)
    return isinstance(value, kind)


def empty(shape, *, dtype=None, device=None):
    """An uninitialised array of ``shape`` (plexgrad fills it with zeros)."""
    return _factories.empty(_shape_tuple(shape), dtype=as_standard_dtype(dtype), device=_device(device))


def zeros(shape, *, dtype=None, device=None):
    """An array of zeros."""
    return _factories.zeros(_shape_tuple(shape), dtype=as_standard_dtype(dtype), device=_device(device))


def ones(shape, *, dtype=None, device=None):
    """An array of ones."""
    return _factories.ones(_shape_tuple(shape), dtype=as_standard_dtype(dtype), device=_device(device))


def full(shape, fill_value, *, dtype=None, device=None):
    """An array of ``fill_value``; its dtype follows the value when ``dtype`` is None."""
    dtype = as_standard_dtype(dtype) or _scalar_dtype(fill_value)
    return _factories.full(_shape_tuple(shape), fill_value, dtype=dtype, device=_device(device))


def _like(factory):
    def like(x, /, *, dtype=None, device=None):
        return factory(tuple(x.shape), dtype=as_standard_dtype(dtype) or x.dtype,
                       device=x.device if device is None else device)
    like.__name__ = factory.__name__ + "_like"
    like.__doc__ = f"``{factory.__name__}`` with the shape (and by default dtype and device) of ``x``."
    return like


empty_like = _like(empty)
zeros_like = _like(zeros)
ones_like = _like(ones)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    """An array of ``fill_value`` with the shape (and by default dtype and device) of ``x``."""
    return full(tuple(x.shape), fill_value, dtype=as_standard_dtype(dtype) or x.dtype,
                device=x.device if device is None else device)


def _diagonal_mask(rows, columns, k, device, lower):
    row = _factories.arange(rows, device=device).reshape(rows, 1)
    column = _factories.arange(columns, device=device).reshape(1, columns)
    return (column - row <= k) if lower else (column - row >= k)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    """A 2-D array with ones on diagonal ``k`` (0 the main one, > 0 above it)."""
    n_cols = n_rows if n_cols is None else n_cols
    device = _device(device)
    row = _factories.arange(n_rows, device=device).reshape(n_rows, 1)
    column = _factories.arange(n_cols, device=device).reshape(1, n_cols)
    return (column - row == k).to(as_standard_dtype(dtype) or _dtypes.get_default_dtype())


def from_dlpack(x, /, *, device=None, copy=None):
    """An array sharing memory with a DLPack-capable object (``copy=True`` copies)."""
    result = _factories.from_dlpack(x)
    if device is not None and result.device != _factories.resolve_device(device):
        if copy is False:
            raise ValueError(f"from_dlpack(copy=False): moving to {device} needs a copy")
        return result.to(device)
    return _shape.clone(result) if copy else result


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    """``num`` evenly spaced values from ``start`` to ``stop`` (excluded when ``endpoint=False``)."""
    dtype = as_standard_dtype(dtype) or _dtypes.get_default_dtype()
    if endpoint or num == 0:
        return _factories.linspace(start, stop, num, dtype=dtype, device=_device(device))
    steps = _factories.arange(num, dtype=_dtypes.float64, device=_device(device))
    return (steps * ((stop - start) / num) + start).to(dtype)


def meshgrid(*arrays, indexing="xy"):
    """Coordinate grids from 1-D arrays (``indexing='xy'``: the first two axes swapped, as numpy)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid(): indexing must be 'xy' or 'ij', got {indexing!r}")
    if not arrays:
        return []
    shape = [array.shape[0] for array in arrays]
    if indexing == "xy" and len(arrays) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for position, array in enumerate(arrays):
        axis = position
        if indexing == "xy" and len(arrays) > 1 and position < 2:
            axis = 1 - position
        view_shape = [1] * len(arrays)
        view_shape[axis] = array.shape[0]
        grids.append(array.reshape(view_shape).expand(*shape).clone())
    return grids


def _triangle(lower):
    def triangle(x, /, *, k=0):
        rows, columns = x.shape[-2], x.shape[-1]
        mask = _diagonal_mask(rows, columns, k, x.device, lower)
        return _where(mask, x, _factories.zeros((), dtype=x.dtype, device=x.device))
    triangle.__name__ = "tril" if lower else "triu"
    triangle.__doc__ = ("The lower" if lower else "The upper") + " triangle of the last two axes (above/below " \
        "diagonal ``k`` zeroed)."
    return triangle


tril = _triangle(True)
triu = _triangle(False)
