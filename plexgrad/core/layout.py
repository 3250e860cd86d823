"""Layout of aliases: each element's flat position in its storage's root, and torch's strides,
the same numbers on mutable engines (read from memory) and immutable ones (from the view steps)."""

__all__ = ["has_root_layout", "flat_index", "positions_through", "strides"]

import numpy

from .device import device as _device
from .dispatch import backend_for_type, call
from .shapes import contiguous_strides
from .views import is_immutable, root_of

_CPU = _device("cpu")


def positions_through(shape, steps):
    """numpy int64 array: each element's flat position in an array of ``shape`` after ``steps``."""
    result = numpy.arange(int(numpy.prod(shape, dtype=numpy.int64)), dtype=numpy.int64).reshape(shape)
    for op, params, _, _, _ in steps:
        if op.name != "view_dtype":  # same element size: positions do not move
            result = call(op, _CPU, result, *params)
    return numpy.array(result, order="C")  # ascontiguousarray would make a 0-d view 1-d


def has_root_layout(tensor):
    """True when ``tensor``'s array is its storage's whole array as laid out (a root, or an alias
    of one: ``detach()``, ``.data``, a ``Parameter``); immutable arrays are then contiguous."""
    return tensor._base is None or not tensor._view.steps


def flat_index(view):
    """numpy int64 array, shaped like ``view``: each element's flat position in its root."""
    root = root_of(view)
    extra = view._extras()
    cached = extra.get("flat_index")
    if cached is not None:
        return cached
    if view is root:
        result = numpy.arange(view.numel(), dtype=numpy.int64).reshape(view._data.shape)
    elif is_immutable(view._device):
        result = positions_through(tuple(root._data.shape), view._view.steps)
    else:
        result = _memory_flat_index(view._data, root._data)
    extra["flat_index"] = result
    return result


def _memory_offsets(array, origin):
    itemsize = array.itemsize
    offsets = numpy.full(array.shape, (array.__array_interface__["data"][0] - origin) // itemsize,
                         dtype=numpy.int64)
    for axis, (extent, stride) in enumerate(zip(array.shape, array.strides)):
        shape = [1] * array.ndim
        shape[axis] = extent
        offsets = offsets + (numpy.arange(extent, dtype=numpy.int64) * (stride // itemsize)).reshape(shape)
    return offsets


def _memory_flat_index(view_data, root_data):
    """Map a mutable view's memory back to its root's logical (row-major) positions."""
    view_array = numpy.asarray(view_data)
    root_array = numpy.asarray(root_data)
    origin = root_array.__array_interface__["data"][0]
    root_offsets = _memory_offsets(root_array, origin).reshape(-1)
    view_offsets = _memory_offsets(view_array, origin)
    low = root_offsets.min() if root_offsets.size else 0
    lookup = numpy.full(int(root_offsets.max() - low + 1) if root_offsets.size else 1, -1, dtype=numpy.int64)
    lookup[root_offsets - low] = numpy.arange(root_offsets.size, dtype=numpy.int64)
    return lookup[view_offsets - low]


def strides(tensor):
    """Element strides of ``tensor`` as torch reports them."""
    data = tensor._data
    backend = backend_for_type(tensor._device.type)
    if backend.mutable:
        array = backend.owned(data)
        if hasattr(array, "strides"):
            itemsize = array.itemsize
            return tuple(0 if extent == 1 and stride == 0 else stride // itemsize
                         for extent, stride in zip(array.shape, array.strides))
    shape = tuple(data.shape)
    if has_root_layout(tensor):
        return contiguous_strides(shape)
    positions = flat_index(tensor)
    if positions.size == 0:
        return contiguous_strides(shape)
    origin = positions.reshape(-1)[0]
    result = []
    for axis, extent in enumerate(shape):
        if extent <= 1:
            result.append(contiguous_strides(shape)[axis])
            continue
        probe = [0] * len(shape)
        probe[axis] = 1
        result.append(int(positions[tuple(probe)] - origin))
    return tuple(result)
