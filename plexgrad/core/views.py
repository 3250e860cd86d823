"""Views that share storage with their base, on every backend.

On a mutable backend (numpy, cupy) a view's array is a real view of its base's
buffer.  On an immutable backend (jax) the core keeps the same semantics: each view
records the chain of view steps that derives it from its root tensor; an in-place
write goes to the root as a functional scatter, and every live view of the root is
re-derived from the new root value.  Strides, ``is_contiguous`` and ``view``'s
layout check use the same numbers on both kinds of backend.
"""

__all__ = ["make_view", "alias", "flat_index", "strides", "refresh_views", "replace_storage",
           "is_immutable", "root_of", "IMMUTABLE_TYPES", "device_flat_index"]

import weakref

import numpy

from .dispatch import backend_for_type
from .shapes import contiguous_strides
from .tensor import make_tensor

IMMUTABLE_TYPES = set()


def is_immutable(device):
    device_type = device.type
    if device_type in IMMUTABLE_TYPES:
        return True
    backend = backend_for_type(device_type)
    if not backend.mutable:
        IMMUTABLE_TYPES.add(device_type)
        return True
    return False


def root_of(tensor):
    base = tensor._base
    return tensor if base is None else base


def make_view(source, data, step, dtype=None):
    """Wrap ``data`` (derived from ``source`` by ``step = (kernel_name, params)``) as a view."""
    root = source._base if source._base is not None else source
    result = make_tensor(data, source._dtype if dtype is None else dtype, source._device)
    result._base = root
    if source._device.type in IMMUTABLE_TYPES or is_immutable(source._device):
        chain = source._extra.get("view_chain", ()) if source._extra and source._base is not None else ()
        result._extra = {"view_chain": chain + (step,)}
        views = root._extras().get("views")
        if views is None:
            views = root._extra["views"] = weakref.WeakSet()
        views.add(result)
    return result


def alias(tensor):
    """A new tensor object sharing ``tensor``'s storage, without autograd history."""
    return make_view(tensor, tensor._data, ("reshape", (tuple(tensor._data.shape),)))


def replace_storage(tensor, data):
    """Give an unshared tensor a new (owned) array holding the same values."""
    tensor._data = data


def _numpy_kernels():
    return backend_for_type("cpu").kernels


def flat_index(view):
    """numpy int64 array, shaped like ``view``: each element's flat position in its root."""
    root = root_of(view)
    extra = view._extras()
    cached = extra.get("flat_index")
    if cached is not None:
        return cached
    if view is root:
        result = numpy.arange(view.numel(), dtype=numpy.int64).reshape(view._data.shape)
    elif "view_chain" in extra:
        kernels = _numpy_kernels()
        result = numpy.arange(root.numel(), dtype=numpy.int64).reshape(root._data.shape)
        for kernel_name, params in extra["view_chain"]:
            result = kernels[kernel_name](result, *params)
        result = numpy.array(result, order="C")  # ascontiguousarray would make a 0-d view 1-d
    else:
        result = _memory_flat_index(view._data, root._data)
    extra["flat_index"] = result
    return result


def device_flat_index(view):
    """``flat_index`` as a native array on the view's device (cached)."""
    extra = view._extras()
    cached = extra.get("flat_index_device")
    if cached is None:
        backend = backend_for_type(view._device.type)
        cached = extra["flat_index_device"] = backend.from_host(flat_index(view), _INT64, view._device.index or 0)
    return cached


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
    if tensor._base is None:
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


def refresh_views(root):
    """Re-derive every live view of ``root`` from the root's (new) value (immutable backends)."""
    views = root._extra.get("views") if root._extra else None
    if not views:
        return
    backend = backend_for_type(root._device.type)
    flat_root = backend.kernel("reshape")(root._data, (-1,))
    take = backend.kernel("getitem")
    for view in list(views):
        view._data = take(flat_root, device_flat_index(view))


from .dtypes import int64 as _INT64  # noqa: E402
