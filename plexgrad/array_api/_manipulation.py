"""Manipulation functions of the array API namespace.

Where the standard differs from torch: ``squeeze`` refuses an axis whose extent is not 1
(torch ignores it), ``reshape(copy=False)`` refuses when a view is impossible, ``concat``
and ``stack`` promote dtypes by the standard's table, and ``repeat``/``roll``/``tile`` take
numpy's arguments.
"""

__all__ = ["broadcast_arrays", "broadcast_to", "concat", "expand_dims", "flip", "moveaxis", "permute_dims",
           "repeat", "reshape", "roll", "squeeze", "stack", "tile", "unstack"]

from ..core import dtypes as _dtypes
from ..core import factories as _factories
from ..core.ops import reduction as _reduction
from ..core.ops import selection as _selection
from ..core.ops import shape as _shape
from ..core.ops import sorting as _sorting
from ..core.shapes import broadcast_shapes, normalize_dims
from ..core.tensor import Tensor
from ._dtypes import result_type


def broadcast_arrays(*arrays):
    """The arrays broadcast to their common shape (views)."""
    shape = broadcast_shapes(*(tuple(array.shape) for array in arrays))
    return [_shape.broadcast_to(array, shape) for array in arrays]


def broadcast_to(x, /, shape):
    """``x`` broadcast to ``shape`` (a view)."""
    shape = tuple(shape)
    try:
        broadcast_shapes(tuple(x.shape), shape)
    except RuntimeError as error:
        raise ValueError(f"broadcast_to(): cannot broadcast shape {tuple(x.shape)} to {shape}") from error
    return _shape.broadcast_to(x, shape)


def _common(arrays):
    arrays = list(arrays)
    if not arrays:
        raise ValueError("needs at least one array")
    dtype = result_type(*arrays)
    return [array if array.dtype is dtype else array.to(dtype) for array in arrays]


def concat(arrays, /, *, axis=0):
    """Arrays joined along ``axis`` (flattened first when ``axis`` is None)."""
    arrays = _common(arrays)
    if axis is None:
        return _shape.cat([array.reshape(-1) for array in arrays], 0)
    return _shape.cat(arrays, normalize_dims(axis, arrays[0].ndim)[0])


def stack(arrays, /, *, axis=0):
    """Arrays of one shape joined along a new ``axis``."""
    arrays = _common(arrays)
    return _shape.stack(arrays, normalize_dims(axis, arrays[0].ndim + 1)[0])


def expand_dims(x, /, axis=0):
    """``x`` with a new axis of extent 1 at ``axis`` (in ``[-ndim - 1, ndim]``)."""
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"expand_dims(): axis {axis} is out of range for a {x.ndim}-D array "
                         f"(valid: {-x.ndim - 1} to {x.ndim})")
    return _shape.unsqueeze(x, axis)


def flip(x, /, *, axis=None):
    """``x`` reversed along ``axis`` (every axis when None)."""
    axes = tuple(range(x.ndim)) if axis is None else normalize_dims(axis, x.ndim)
    return _shape.flip(x, axes) if axes else _shape.clone(x)


def moveaxis(x, source, destination, /):
    """``x`` with axes ``source`` moved to ``destination``."""
    return _shape.movedim(x, source, destination)


def permute_dims(x, /, axes):
    """``x`` with its axes reordered (a view)."""
    return _shape.permute(x, tuple(axes))


def reshape(x, /, shape, *, copy=None):
    """``x`` in ``shape``: a view when possible; ``copy=True`` always copies, ``copy=False`` never does."""
    shape = tuple(shape)
    if copy:
        return _shape.clone(x).reshape(shape)
    if copy is False:
        try:
            return _shape.view(x, shape)
        except RuntimeError as error:
            raise ValueError(f"reshape(copy=False): {tuple(x.shape)} to {shape} needs a copy ({error})") from error
    return _shape.reshape(x, shape)


def squeeze(x, /, axis):
    """``x`` without the given axes, each of which must have extent 1."""
    axes = normalize_dims(axis, x.ndim)
    for index in axes:
        if x.shape[index] != 1:
            raise ValueError(f"squeeze(): axis {index} has extent {x.shape[index]}, not 1 (shape {tuple(x.shape)})")
    result = x
    for index in sorted(axes, reverse=True):
        result = _shape.squeeze(result, index)
    return result


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    return tuple(_shape.unbind(x, normalize_dims(axis, x.ndim)[0]))


def roll(x, /, shift, *, axis=None):
    """``x`` with elements shifted by ``shift`` along ``axis`` (of the flattened array when None)."""
    if axis is None:
        return roll(x.reshape(-1), shift, axis=0).reshape(tuple(x.shape))
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(shifts) != len(axes):
        raise ValueError(f"roll(): {len(shifts)} shifts for {len(axes)} axes")
    result = x
    for amount, index in zip(shifts, axes):
        index = normalize_dims(index, x.ndim)[0]
        extent = x.shape[index]
        if extent == 0:
            continue
        positions = (_factories.arange(extent, device=x.device) - amount) % extent
        result = _selection.index_select(result, index, positions)
    return result


def repeat(x, repeats, /, *, axis=None):
    """Each element of ``x`` repeated ``repeats`` times (an int or a 1-D integer array) along ``axis``."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = normalize_dims(axis, x.ndim)[0]
    extent = x.shape[axis]
    if isinstance(repeats, Tensor):
        counts = repeats.to(_dtypes.int64)
        if counts.ndim == 0 or tuple(counts.shape) == (1,):
            counts = counts.reshape(()).expand(extent)  # one count broadcasts over the axis
    else:
        if repeats < 0:
            raise ValueError(f"repeat(): repeats must be non-negative, got {repeats}")
        counts = _factories.full((extent,), repeats, dtype=_dtypes.int64, device=x.device)
    if counts.shape[0] != extent:
        raise ValueError(f"repeat(): {counts.shape[0]} repeat counts for an axis of extent {extent}")
    if bool((counts < 0).any()):
        raise ValueError("repeat(): repeats must be non-negative")
    ends = _reduction.cumsum(counts, 0)
    total = int(ends[-1].item()) if extent else 0
    positions = _factories.arange(total, device=x.device)
    indices = _sorting.searchsorted(ends, positions, side="right")
    return _selection.index_select(x, axis, indices)


def tile(x, repetitions, /):
    """``x`` repeated ``repetitions[i]`` times along each axis (numpy's tile)."""
    repetitions = tuple(repetitions)
    if len(repetitions) < x.ndim:
        repetitions = (1,) * (x.ndim - len(repetitions)) + repetitions
    return _shape.repeat(x, *repetitions)
