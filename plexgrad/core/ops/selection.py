"""Selecting and placing by index or mask: index_select, masked_select, masked_fill,
scatter, take, take_along_dim, index_add, index_copy, index_fill.

Index bounds are checked in the core (jax would clamp silently), so every backend
raises the same error naming the index and the size; the checks read the indices on the
host, in eager mode only, and derivative rules never repeat them.
"""

__all__ = ["index_select", "masked_select", "masked_fill", "scatter", "take", "take_along_dim",
           "index_add", "index_copy", "index_fill", "IndexOutOfRange", "check_index_range"]

from .. import dtypes
from ..op import apply, cast, declare
from ..shapes import broadcast_shapes, element_count, wrap_dim
from ..tensor import Tensor
from .composite import check_tensor
from .elementwise import where
from .reduction import gather_checked, scatter_add
from . import indexing
from .index_checks import IndexOutOfRange, check_index_range, index_extremes


def _check_index_dtype(name, index, allow_int32=True):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    allowed = (dtypes.int64, dtypes.int32) if allow_int32 else (dtypes.int64,)
    if index._dtype not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise RuntimeError(f"{name}(): Expected dtype {names} for index, got {index._dtype}")


def _leading_key(dim, index):
    return (slice(None),) * dim + (index,)


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at positions ``index`` (a 1-d integer tensor)."""
    check_tensor("index_select", input)
    _check_index_dtype("index_select", index)
    if index._data.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got shape {list(index.shape)}")
    dim = wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        check_index_range("index_select", index, 1)
        return input.reshape(1)[index.reshape(-1)].reshape(index.shape)
    check_index_range("index_select", index, input._data.shape[dim])
    return input[_leading_key(dim, index.reshape(-1))]


def _check_mask(name, mask):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._dtype is not dtypes.bool:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype {mask._dtype}")


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, as a 1-d tensor."""
    check_tensor("masked_select", input)
    _check_mask("masked_select", mask)
    shape = broadcast_shapes(tuple(input._data.shape), tuple(mask._data.shape))
    return input.expand(shape)[mask.expand(shape)]


def masked_fill(input, mask, value):
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) where ``mask`` is True."""
    check_tensor("masked_fill", input)
    _check_mask("masked_fill_", mask)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        value = cast(value, input._dtype)
    else:
        from ..factories import full
        value = full((), value, dtype=input._dtype, device=input._device)
    result = where(mask, value, input)
    if tuple(result._data.shape) != tuple(input._data.shape):
        raise RuntimeError(f"masked_fill: the mask of shape {list(mask.shape)} does not broadcast to the input "
                           f"shape {list(input.shape)}")
    return result


# ---- scatter ------------------------------------------------------------------------------
def _scatter_backward(node, grad):
    (index,) = node.saved_tensors
    dim = node.params[0]
    grad_input = grad_source = None
    if node.edges[0] is not None:  # the forward checked the index: no host read here
        from ..factories import zeros
        zero = zeros(tuple(index._data.shape), dtype=grad._dtype, device=grad._device)
        grad_input = apply(_scatter_op, (grad, index, zero), (dim,), save=(1,))
    if node.edges[2] is not None:
        grad_source = gather_checked(grad, dim, index)
    return (grad_input, None, grad_source)


_scatter_op = declare("scatter", _scatter_backward, signature="x, index, src, dim: static")


def _check_scatter_shapes(name, input, dim, index, source):
    if index._data.ndim != input._data.ndim:
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as self tensor "
                           f"(got {index._data.ndim} and {input._data.ndim})")
    for d, extent in enumerate(index._data.shape):
        if d != dim and extent > input._data.shape[d]:
            raise RuntimeError(f"{name}(): Expected index {list(index.shape)} to be smaller than self "
                               f"{list(input.shape)} apart from dimension {dim}")
        if source is not None and extent > source._data.shape[d]:
            raise RuntimeError(f"{name}(): Expected index {list(index.shape)} to be smaller than src "
                               f"{list(source.shape)} in every dimension")


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of ``input`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (for ``dim=0``).

    ``src`` is a tensor or a number (``value=`` also takes the number); ``reduce='add'``
    adds instead of writing.
    """
    check_tensor("scatter", input)
    _check_index_dtype("scatter", index, allow_int32=False)
    dim = wrap_dim(dim, input._data.ndim)
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if not isinstance(src, Tensor):
        from ..factories import full
        src = full(tuple(index._data.shape), src, dtype=input._dtype, device=input._device)
    elif src._dtype is not input._dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype, got {input._dtype} and "
                           f"{src._dtype}")
    if input._data.ndim == 0:
        return scatter(input.reshape(1), 0, index.reshape(1), src.reshape(1), reduce=reduce).reshape(())
    _check_scatter_shapes("scatter", input, dim, index, src)
    check_index_range("scatter", index, input._data.shape[dim], dim)
    if reduce == "add":
        return scatter_add(input, dim, index, src)
    if reduce is not None:
        raise NotImplementedError(f"scatter(): reduce={reduce!r} is not implemented; use 'add' or "
                                  "scatter_add")
    return apply(_scatter_op, (input, index, src), (dim,), save=(1,))


def take(input, index):
    """Elements of the flattened ``input`` at positions ``index`` (result has ``index``'s shape)."""
    check_tensor("take", input)
    _check_index_dtype("take", index, allow_int32=False)
    size = element_count(input._data)
    extremes = index_extremes(index)  # None when empty or skipped by a tracer
    if extremes is not None:
        for bad in (extremes[1], extremes[0]):
            if bad >= size or bad < -size:
                raise IndexError(f"out of range: tried to access index {bad} on a tensor of {size} elements.")
    return input.reshape(-1)[index]


def take_along_dim(input, indices, dim=None):
    """``gather`` along ``dim`` with ``input`` and ``indices`` broadcast against each other
    (apart from ``dim``); with ``dim=None``, on the flattened tensors."""
    check_tensor("take_along_dim", input)
    _check_index_dtype("take_along_dim", indices, allow_int32=False)
    if dim is None:
        input, indices, dim = input.reshape(-1), indices.reshape(-1), 0
    dim = wrap_dim(dim, input._data.ndim)
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {input._data.ndim} dimensions for input, and "
                           f"{indices._data.ndim} dimensions for indices")
    input_shape = list(input._data.shape)
    index_shape = list(indices._data.shape)
    input_shape[dim] = index_shape[dim] = 1
    common = list(broadcast_shapes(tuple(input_shape), tuple(index_shape)))
    input_target = common.copy()
    input_target[dim] = input._data.shape[dim]
    index_target = common.copy()
    index_target[dim] = indices._data.shape[dim]
    check_index_range("take_along_dim", indices, input._data.shape[dim], dim)
    return gather_checked(input.expand(tuple(input_target)), dim, indices.expand(tuple(index_target)))


def _index_put_along(name, input, dim, index, values, accumulate):
    check_tensor(name, input)
    _check_index_dtype(name, index)
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, got shape {list(index.shape)}")
    dim = wrap_dim(dim, input._data.ndim)
    extent = input._data.shape[dim] if input._data.ndim else 1
    check_index_range(name, index, extent)
    if input._data.ndim == 0:
        flat = _index_put_along(name, input.reshape(1), 0, index.reshape(-1), values.reshape(-1)
                                if isinstance(values, Tensor) else values, accumulate)
        return flat.reshape(())
    native, _ = indexing.convert_key(input, _leading_key(dim, index.reshape(-1)))
    if isinstance(values, Tensor) and values._dtype is not input._dtype:
        values = cast(values, input._dtype)
    return indexing._index_put_native(input, native, values, accumulate)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at positions ``index`` along ``dim``
    (repeated indices accumulate)."""
    return _index_put_along("index_add", input, dim, index, source if alpha == 1 else source * alpha, True)


def index_copy(input, dim, index, source):
    """A copy of ``input`` with the slices of ``source`` written at positions ``index`` along ``dim``."""
    return _index_put_along("index_copy", input, dim, index, source, False)


def index_fill(input, dim, index, value):
    """A copy of ``input`` with ``value`` written into the slices at positions ``index`` along ``dim``."""
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise IndexError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                         f"{value._data.ndim} dimension(s).")
    return _index_put_along("index_fill", input, dim, index, value, False)
