"""More shape functions of torch's namespace, as composites of view ops, ``cat`` and ``matmul``:
``fliplr``/``flipud``/``rot90``, ``ravel``, ``atleast_*d``, ``column_stack``/``dstack``,
``tensor_split``/``hsplit``/``vsplit``/``dsplit``, ``broadcast_tensors``, ``block_diag``,
``cartesian_prod``, ``kron``, ``inner``, ``tensordot``, ``diagflat``, ``tril/triu_indices``, the
``*_scatter`` functions and torch's ``*_copy`` variants of the view functions.
"""

__all__ = ["fliplr", "flipud", "rot90", "ravel", "atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "dstack",
           "tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes", "broadcast_tensors", "broadcast_shapes",
           "block_diag", "cartesian_prod", "kron", "inner", "tensordot", "diagflat", "triu_indices", "tril_indices",
           "argwhere", "diagonal_scatter", "select_scatter", "slice_scatter", "as_strided_scatter", "COPY_VARIANTS",
           "sum_to_size", "swapdims"]

from .. import dtypes
from ..shapes import broadcast_shapes as _broadcast_shapes, wrap_dim
from ..tensor import Tensor
from .composite import check_tensor
from . import shape as _shape


def fliplr(input):
    """Reverse the columns (dimension 1) of a tensor with at least 2 dimensions."""
    if check_tensor("fliplr", input)._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _shape.flip(input, 1)


def flipud(input):
    """Reverse the rows (dimension 0) of a tensor with at least 1 dimension."""
    if check_tensor("flipud", input)._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _shape.flip(input, 0)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first towards the second)."""
    check_tensor("rot90", input)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    first, second = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if first == second:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {first} and dim1 = {second}")
    k = k % 4
    if k == 1:
        return _shape.transpose(_shape.flip(input, second), first, second)
    if k == 2:
        return _shape.flip(input, first, second)
    if k == 3:
        return _shape.transpose(_shape.flip(input, first), first, second)
    return input.clone()


def ravel(input):
    """The elements as a contiguous 1-d tensor."""
    return _shape.reshape(_shape.contiguous(check_tensor("ravel", input)), (-1,))


def _at_least(ndim, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)) else tensors
    results = []
    for value in items:
        shape = tuple(value._data.shape)
        if len(shape) < ndim:
            if ndim == 3 and len(shape) == 2:
                shape = shape + (1,)
            elif ndim == 3 and len(shape) == 1:
                shape = (1,) + shape + (1,)
            else:
                shape = (1,) * (ndim - len(shape)) + shape
            value = value.reshape(shape)
        results.append(value)
    return results[0] if single else tuple(results)


def atleast_1d(*tensors):
    return _at_least(1, tensors)


def atleast_2d(*tensors):
    return _at_least(2, tensors)


def atleast_3d(*tensors):
    return _at_least(3, tensors)


def column_stack(tensors):
    """Stack 0-d and 1-d tensors as columns (others are joined along dimension 1)."""
    columns = [t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors]
    return _shape.cat(columns, 1)


def dstack(tensors):
    """Join along the third dimension (inputs made at least 3-d first)."""
    return _shape.cat(list(atleast_3d(*tensors)) if len(tensors) > 1 else [atleast_3d(tensors[0])], 2)


def tensor_split(input, indices_or_sections, dim=0):
    """Views split along ``dim``: into ``n`` nearly equal parts (the first ``size % n`` one larger), or at
    the given indices."""
    check_tensor("tensor_split", input)
    dim = wrap_dim(dim, input._data.ndim)
    extent = input._data.shape[dim]
    if isinstance(indices_or_sections, Tensor):
        values = indices_or_sections.cpu().numpy().reshape(-1).tolist()
        indices_or_sections = values[0] if indices_or_sections._data.ndim == 0 else values
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        base, extra = divmod(extent, sections)
        bounds = [0]
        for index in range(sections):
            bounds.append(bounds[-1] + base + (1 if index < extra else 0))
    else:
        bounds = [0] + [min(max(int(index) if index >= 0 else int(index) + extent, 0), extent)
                        for index in indices_or_sections] + [extent]
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        stop = max(stop, start)
        pieces.append(_shape.narrow(input, dim, start, stop - start))
    return tuple(pieces)


def _split_along(name, input, sections, dim, least):
    check_tensor(name, input)
    if input._data.ndim < least:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {least} dimension, but got a tensor "
                           f"with {input._data.ndim} dimensions!")
    if isinstance(sections, int) and input._data.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input._data.shape[dim]} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, sections):
    return _split_along("hsplit", input, sections, 1 if input._data.ndim > 1 else 0, 1)


def vsplit(input, sections):
    return _split_along("vsplit", input, sections, 0, 2)


def dsplit(input, sections):
    return _split_along("dsplit", input, sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    return _shape.split(input, list(split_sizes), dim)


def broadcast_shapes(*shapes):
    """The shape ``shapes`` broadcast to (ints count as 1-d shapes)."""
    from ..size import Size
    return Size(_broadcast_shapes(*[(shape,) if isinstance(shape, int) else tuple(shape) for shape in shapes]))


def broadcast_tensors(*tensors):
    """The tensors expanded (views) to their common shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = _broadcast_shapes(*[tuple(t._data.shape) for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def block_diag(*tensors):
    """A block-diagonal matrix of the (0-, 1- or 2-d) tensors."""
    from ..factories import zeros
    from ..op import promote_pair
    blocks = [t.reshape(1, 1) if t._data.ndim == 0 else t.reshape(1, -1) if t._data.ndim == 1 else t
              for t in tensors]
    for position, block in enumerate(blocks):
        if block._data.ndim != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {position} "
                               f"has {block._data.ndim} dimensions")
    if not blocks:
        return zeros((1, 0))
    dtype = blocks[0]._dtype
    for block in blocks[1:]:
        dtype = promote_pair(_Typed(dtype), block)
    columns = sum(block._data.shape[1] for block in blocks)
    rows = []
    offset = 0
    for block in blocks:
        height, width = block._data.shape
        pieces = []
        if offset:
            pieces.append(zeros((height, offset), dtype=dtype, device=block._device))
        pieces.append(block.to(dtype))
        if columns - offset - width:
            pieces.append(zeros((height, columns - offset - width), dtype=dtype, device=block._device))
        rows.append(_shape.cat(pieces, 1))
        offset += width
    return _shape.cat(rows, 0)


class _Typed:
    """A stand-in with a dtype (for promotion over a list)."""

    def __init__(self, dtype):
        self._dtype = dtype
        self._data = _Shapeless


class _Shapeless:
    ndim = 1


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, one per row (one tensor: itself)."""
    from .tiling import meshgrid
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _shape.stack([grid.reshape(-1) for grid in grids], 1)


def kron(input, other):
    """The Kronecker product: blocks ``input[i, j] * other``."""
    ndim = max(input._data.ndim, other._data.ndim)
    first = input.reshape((1,) * (ndim - input._data.ndim) + tuple(input._data.shape))
    second = other.reshape((1,) * (ndim - other._data.ndim) + tuple(other._data.shape))
    interleaved_first, interleaved_second, shape = [], [], []
    for a, b in zip(first._data.shape, second._data.shape):
        interleaved_first += [a, 1]
        interleaved_second += [1, b]
        shape.append(a * b)
    product = first.reshape(tuple(interleaved_first)) * second.reshape(tuple(interleaved_second))
    return product.reshape(tuple(shape))


def tensordot(a, b, dims=2):
    """Sum of products over the last ``dims`` dimensions of ``a`` and the first of ``b`` (or the listed pairs)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a = list(range(a._data.ndim - dims, a._data.ndim))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = (list(d) if isinstance(d, (list, tuple)) else [d] for d in dims)
    dims_a = [wrap_dim(d, a._data.ndim) for d in dims_a]
    dims_b = [wrap_dim(d, b._data.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a._data.shape[da] != b._data.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a._data.shape[da]} in dim "
                               f"{da} and second has size {b._data.shape[db]} in dim {db}")
    free_a = [d for d in range(a._data.ndim) if d not in dims_a]
    free_b = [d for d in range(b._data.ndim) if d not in dims_b]
    size = 1
    for d in dims_a:
        size *= a._data.shape[d]
    left = a.permute(tuple(free_a + dims_a)).reshape(-1, size)
    right = b.permute(tuple(dims_b + free_b)).reshape(size, -1)
    shape = tuple(a._data.shape[d] for d in free_a) + tuple(b._data.shape[d] for d in free_b)
    return (left @ right).reshape(shape)


def inner(input, other):
    """Sum of products over the last dimensions (a product when either is 0-d)."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


def diagflat(input, offset=0):
    """The flattened ``input`` as the diagonal ``offset`` of a square matrix."""
    from .matrix_shape import diag
    return diag(input.reshape(-1), offset)


def _indices(function, row, col, offset, dtype, device):
    import numpy
    from ..factories import tensor
    rows, columns = function(row, offset, col)
    return tensor(numpy.stack([rows, columns]).astype(numpy.int64).reshape(2, -1),
                  dtype=dtypes.int64 if dtype is None else dtype, device=device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, n) coordinates of the upper triangle of a ``row`` x ``col`` matrix."""
    import numpy
    return _indices(numpy.triu_indices, row, col, offset, dtype, device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, n) coordinates of the lower triangle of a ``row`` x ``col`` matrix."""
    import numpy
    return _indices(numpy.tril_indices, row, col, offset, dtype, device)


def argwhere(input):
    """Coordinates of the non-zero elements, one per row (``nonzero``)."""
    from .indexing import nonzero
    return nonzero(input)


def _scatter_into(input, source, view):
    result = input.clone()
    target = view(result)
    if tuple(target.shape) != tuple(source.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(source.shape)}, slice size = {list(target.shape)}")
    target.copy_(source)
    return result


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written into its diagonal (differentiable in both)."""
    return _scatter_into(input, src, lambda t: t.diagonal(offset, dim1, dim2))


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim``."""
    return _scatter_into(input, src, lambda t: t.select(dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written into the slice ``start:end:step`` of ``dim``."""
    dim = wrap_dim(dim, input._data.ndim)
    return _scatter_into(input, src, lambda t: t[(slice(None),) * dim + (slice(start, end, step),)])


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` with ``src`` written through ``as_strided(size, stride, storage_offset)``."""
    return _scatter_into(input.contiguous(), src, lambda t: t.as_strided(size, stride, storage_offset))


def sum_to_size(input, *size):
    """``input`` summed down to the broadcast-compatible ``size``."""
    from ..shapes import shape_from_args
    from .elementwise import sum_to
    return sum_to(input, tuple(shape_from_args(size, "sum_to_size(): size")))


def swapdims(input, dim0, dim1):
    return _shape.transpose(input, dim0, dim1)


def _copy_of(view_function):
    def copy(*args, **kwargs):
        result = view_function(*args, **kwargs)
        if isinstance(result, tuple):
            return tuple(piece.clone() for piece in result)
        return result.clone()
    copy.__name__ = view_function.__name__ + "_copy"
    copy.__doc__ = f"A copy (own storage) of ``{view_function.__name__}``'s view."
    return copy


def _view_names():
    from . import strided
    return {"expand": _shape.expand, "diagonal": _shape.diagonal, "alias": lambda input: input[...],
            "narrow": _shape.narrow, "view": _shape.view, "permute": _shape.permute, "t": _shape.t,
            "unsqueeze": _shape.unsqueeze, "transpose": _shape.transpose, "squeeze": _shape.squeeze,
            "unbind": _shape.unbind, "unfold": strided.unfold, "split_with_sizes": split_with_sizes,
            "as_strided": strided.as_strided, "detach": lambda input: input.detach(), "select": strided.select,
            "values": lambda input: input}


COPY_VARIANTS = {f"{name}_copy": _copy_of(function) for name, function in _view_names().items()}
"""torch's ``*_copy`` functions: each view function's result as a tensor with its own storage."""
