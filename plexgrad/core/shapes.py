"""Shape arithmetic shared by ops: broadcasting, dimension wrapping, view strides."""

__all__ = ["element_count", "broadcast_shapes", "broadcast_shapes_or_none", "wrap_dim", "normalize_dims",
           "contiguous_strides", "view_strides", "shape_from_args"]


def broadcast_shapes_or_none(*shapes):
    ndim = max(len(shape) for shape in shapes)
    result = [1] * ndim
    for shape in shapes:
        offset = ndim - len(shape)
        for index, extent in enumerate(shape):
            current = result[offset + index]
            if current == 1:
                result[offset + index] = extent
            elif extent != 1 and extent != current:
                return None
    return tuple(result)


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to, or RuntimeError naming them."""
    result = broadcast_shapes_or_none(*[tuple(shape) for shape in shapes])
    if result is None:
        raise RuntimeError(f"shapes {[list(s) for s in shapes]} cannot be broadcast together")
    return result


def wrap_dim(dim, ndim):
    """``dim`` in ``[0, ndim)``; IndexError naming the valid range otherwise."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        if hasattr(dim, "__index__"):
            dim = dim.__index__()
        else:
            raise TypeError(f"dimension must be an int, got {type(dim).__name__}")
    bound = max(ndim, 1)
    if dim < -bound or dim >= bound:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but got {dim})"
        )
    return dim % bound


def normalize_dims(dim, ndim):
    """A sorted tuple of wrapped dims for ``dim`` (None, an int, or a sequence)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted({wrap_dim(d, ndim) for d in dim}))
        if len(dims) != len(dim):
            raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
        return dims if dims or ndim == 0 else tuple(range(ndim))
    return (wrap_dim(dim, ndim),)


def contiguous_strides(shape):
    strides = []
    step = 1
    for extent in reversed(shape):
        strides.append(step)
        step *= max(extent, 1)
    return tuple(reversed(strides))


def view_strides(old_shape, old_strides, new_shape):
    """torch's computeStride: strides for viewing without copying, or None if impossible."""
    numel = 1
    for extent in old_shape:
        numel *= extent
    if numel == 0:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_dim = len(new_shape) - 1
    chunk_base_stride = old_strides[-1] if old_strides else 1
    tensor_numel = 1
    view_numel = 1
    for tensor_dim in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_dim]
        if tensor_dim == 0 or (old_shape[tensor_dim - 1] != 1 and
                               old_strides[tensor_dim - 1] != tensor_numel * chunk_base_stride):
            while view_dim >= 0 and (view_numel < tensor_numel or new_shape[view_dim] == 1):
                new_strides[view_dim] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_dim]
                view_dim -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_dim > 0:
                chunk_base_stride = old_strides[tensor_dim - 1]
                tensor_numel = 1
                view_numel = 1
    if view_dim != -1:
        return None
    return tuple(new_strides)


def shape_from_args(args, function_name="shape"):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    elif len(args) == 1 and hasattr(args[0], "shape") and not isinstance(args[0], int):
        args = tuple(args[0].tolist())
    result = []
    for extent in args:
        if hasattr(extent, "__index__") and not isinstance(extent, bool):
            result.append(extent.__index__())
        else:
            raise TypeError(f"{function_name} must be integers, got {type(extent).__name__} in {args!r}")
    return tuple(result)


def element_count(array):
    """The number of elements of a native array, from its ``shape`` alone (the array API's ``size``
    may be None, and is not part of the backend contract)."""
    count = 1
    for extent in array.shape:
        count *= int(extent)
    return count
