"""Reductions: sum, mean, prod, amax/amin, max/min with indices, argmax/argmin, all/any,
cumsum/cumprod.  ``dim`` takes an int or a tuple, ``keepdim`` keeps reduced
dimensions; numpy's ``axis``/``keepdims`` are accepted as aliases."""

__all__ = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "all", "any",
           "cumsum", "cumprod", "reduction_args", "expand_reduced", "gather", "gather_checked", "scatter_add"]

import collections

from .. import dtypes
from ..autograd.grad_mode import state as grad_state
from ..dispatch import table_of
from ..op import apply, cast, declare, kernel_for, record_unary
from ..shapes import element_count, normalize_dims, wrap_dim
from ..tensor import Tensor, make_tensor
from .index_checks import check_index_range
from . import shape as _shape_ops
from .elementwise import where

_INTEGRAL_TO_LONG = (dtypes.BOOL, dtypes.INTEGER)

values_indices = collections.namedtuple("values_indices", ["values", "indices"])


def reduction_args(input, dim, keepdim, axis, keepdims):
    """Merge torch's ``dim``/``keepdim`` with numpy's ``axis``/``keepdims``."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass either dim= or axis=, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    ndim = input._data.ndim
    dims = normalize_dims(dim, ndim) if ndim and dim is not None else None
    return dims, bool(keepdim)


def expand_reduced(grad, input_shape, dims, keepdim):
    """Broadcast a reduction's gradient back over the reduced dimensions."""
    if dims is None:
        if keepdim:
            return grad.expand(input_shape)
        return _shape_ops.expand_to(grad, tuple(input_shape))
    if not keepdim:
        kept = list(input_shape)
        for d in dims:
            kept[d] = 1
        grad = grad.reshape(tuple(kept))
    return grad.expand(input_shape)


def _sum_backward(node, grad):
    input_shape, dims, keepdim = node.params
    return (expand_reduced(grad, input_shape, dims, keepdim),)


_sum_op = declare("sum", _sum_backward, doc="sum over dims", signature="x, dims: static, keepdim: static")


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum of elements, over ``dim`` (int or tuple) or all of them.  Integers sum to int64."""
    if dim is None and axis is None and dtype is None and keepdims is None and \
            input._dtype.category == dtypes.FLOATING:  # the common full reduction, without argument handling
        keepdim = bool(keepdim)
        device = input._device
        try:
            kernel = table_of(_sum_op)[device.type]
        except KeyError:
            kernel = kernel_for(_sum_op, device)
        result = make_tensor(kernel(input._data, None, keepdim), input._dtype, device)
        if input._requires_grad and grad_state.enabled:
            record_unary(_sum_op.rule, input, result, (), (input._data.shape, None, keepdim))
        return result
    dims, keepdim = reduction_args(input, dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    elif input._dtype.category in _INTEGRAL_TO_LONG:
        input = cast(input, dtypes.int64)
    shape = input._data.shape
    return apply(_sum_op, (input,), (dims, keepdim), node_params=(shape, dims, keepdim))


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean of elements, over ``dim`` or all of them (floating dtypes only)."""
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    if input._dtype.category != dtypes.FLOATING:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {input._dtype}. Convert first, e.g. tensor.float().mean()"
        )
    dims, keepdim = reduction_args(input, dim, keepdim, axis, keepdims)
    shape = input._data.shape
    count = 1
    for d in (range(len(shape)) if dims is None else dims):
        count *= shape[d]
    total = apply(_sum_op, (input,), (dims, keepdim), node_params=(shape, dims, keepdim))
    return total / count if count else total * float("nan")


def _prod_backward(node, grad):
    (input,) = node.saved_tensors
    input_shape, dims, keepdim = node.params
    grad = expand_reduced(grad, input_shape, dims, keepdim)
    if element_count(input._data) == 0:
        return (grad,)  # nothing to differentiate (and no element to exclude)
    # Branch-free on the data (no host read, so traceable).  create_graph: the product of the others
    # (exclusive running products) is exact with any number of zeros, and so are its derivatives.
    if grad_state.enabled:
        return (grad * _product_of_others(input, dims),)
    # First order, cheaper: result / input away from zeros (torch's formula); at a zero, the product of
    # the non-zero elements when it is the only zero of its slice, else 0.
    is_zero = input == 0
    safe = where(is_zero, 1, input)
    reduced = dims if dims is not None else tuple(range(input._data.ndim))
    others = prod(safe, reduced, keepdim=True) if reduced else safe
    lone_zero = sum(is_zero, reduced, keepdim=True) == 1 if reduced else is_zero
    at_zero = where(lone_zero, others, 0)
    result = expand_reduced(node.saved_output(), input_shape, dims, keepdim)
    return (grad * where(is_zero, at_zero, result / safe),)


def _product_of_others(input, dims):
    """At each position, the product over ``dims`` of all the other elements (exact with zeros, and
    differentiable again): exclusive running products from the left times those from the right."""
    from ..factories import ones_like
    from .shape import cat
    ndim = input._data.ndim
    reduced = list(range(ndim)) if dims is None else sorted(dims)
    order = [d for d in range(ndim) if d not in reduced] + reduced
    moved = input.permute(tuple(order))
    flat = moved.reshape(tuple(moved.shape[:ndim - len(reduced)]) + (-1,))
    count = flat._data.shape[-1]
    ones = ones_like(flat.narrow(-1, 0, 1))
    left = cat([ones, flat.narrow(-1, 0, count - 1)], -1).cumprod(-1)
    right = cat([ones, flat.flip(-1).narrow(-1, 0, count - 1)], -1).cumprod(-1).flip(-1)
    inverse = tuple(order.index(d) for d in range(ndim))
    return (left * right).reshape(tuple(moved.shape)).permute(inverse)


_prod_op = declare("prod", _prod_backward, signature="x, dims: static, keepdim: static")


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of elements, over ``dim`` or all of them."""
    dims, keepdim = reduction_args(input, dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    elif input._dtype.category in _INTEGRAL_TO_LONG:
        input = cast(input, dtypes.int64)
    return apply(_prod_op, (input,), (dims, keepdim), save=(0,), save_output=True,
                 node_params=(input._data.shape, dims, keepdim))


def _extreme_backward(node, grad):
    (input,) = node.saved_tensors
    input_shape, dims, keepdim = node.params
    result = expand_reduced(node.saved_output(), input_shape, dims, keepdim)
    mask = input == result
    count = sum(mask, dims, keepdim=True) if dims is not None else sum(mask)
    return (expand_reduced(grad, input_shape, dims, keepdim) * mask / count,)


_amax_op = declare("amax", _extreme_backward, signature="x, dims: static, keepdim: static")
_amin_op = declare("amin", _extreme_backward, signature="x, dims: static, keepdim: static")


def _extreme(op, input, dim, keepdim):
    dims, keepdim = reduction_args(input, dim, keepdim, None, None)
    if element_count(input._data) == 0:
        raise IndexError(f"{op.name}(): Expected reduction dim to be specified for input.numel() == 0, "
                         f"and the dims reduced must have non-zero size; got shape {list(input.shape)}")
    return apply(op, (input,), (dims, keepdim), save=(0,), save_output=True,
                 node_params=(input._data.shape, dims, keepdim))


def amax(input, dim=(), keepdim=False):
    """Largest values over ``dim`` (ties share the gradient)."""
    return _extreme(_amax_op, input, None if dim == () else dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """Smallest values over ``dim`` (ties share the gradient)."""
    return _extreme(_amin_op, input, None if dim == () else dim, keepdim)


_argmax_op = declare("argmax", dtype_rule="int64", signature="x, dim: static, keepdim: static")
_argmin_op = declare("argmin", dtype_rule="int64", signature="x, dim: static, keepdim: static")


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value (in the flattened tensor when ``dim`` is None)."""
    if dim is not None:
        dim = wrap_dim(dim, input._data.ndim)
    return apply(_argmax_op, (input,), (dim, keepdim))


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value (in the flattened tensor when ``dim`` is None)."""
    if dim is not None:
        dim = wrap_dim(dim, input._data.ndim)
    return apply(_argmin_op, (input,), (dim, keepdim))


def _max_or_min(extreme, arg, input, dim, keepdim, other, name):
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        from . import elementwise
        return (elementwise.maximum if name == "max" else elementwise.minimum)(input, other)
    if dim is None:
        return extreme(input)
    dim = wrap_dim(dim, input._data.ndim)
    indices = arg(input, dim, keepdim=True)
    values = gather_checked(input, dim, indices)  # the kernel's indices are in range: no host read
    if not keepdim and input._data.ndim:
        values = values.squeeze(dim)
        indices = indices.squeeze(dim)
    return values_indices(values, indices)


def max(input, dim=None, keepdim=False, *, other=None):
    """``max(x)``: the largest value; ``max(x, dim)``: named tuple ``(values, indices)``;
    ``max(x, y)``: element-wise maximum."""
    return _max_or_min(amax, argmax, input, dim, keepdim, other, "max")


def min(input, dim=None, keepdim=False, *, other=None):
    """``min(x)``: the smallest value; ``min(x, dim)``: named tuple ``(values, indices)``;
    ``min(x, y)``: element-wise minimum."""
    return _max_or_min(amin, argmin, input, dim, keepdim, other, "min")


_all_op = declare("all", dtype_rule="bool", signature="x, dims: static, keepdim: static")
_any_op = declare("any", dtype_rule="bool", signature="x, dims: static, keepdim: static")


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where every element (over ``dim``) is non-zero."""
    dims, keepdim = reduction_args(input, dim, keepdim, axis, keepdims)
    return apply(_all_op, (input,), (dims, keepdim))


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where some element (over ``dim``) is non-zero."""
    dims, keepdim = reduction_args(input, dim, keepdim, axis, keepdims)
    return apply(_any_op, (input,), (dims, keepdim))


def _cumsum_backward(node, grad):
    dim = node.params[0]
    return (grad.flip(dim).cumsum(dim).flip(dim),)


_cumsum_op = declare("cumsum", _cumsum_backward, signature="x, dim: static")


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim``."""
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    elif input._dtype.category in _INTEGRAL_TO_LONG:
        input = cast(input, dtypes.int64)
    dim = wrap_dim(dim, input._data.ndim)
    return apply(_cumsum_op, (input,), (dim,))


def _reverse_cumsum(value, dim):
    return value.flip(dim).cumsum(dim).flip(dim)


def _cumprod_backward(node, grad):
    (input,) = node.saved_tensors
    dim = node.params[0]
    if grad_state.enabled:  # create_graph: a division-free rule, exact when differentiated again
        return (_cumprod_backward_scan(input, grad, dim),)
    # Branch-free on the data (no host read): along dim, before the first zero the usual formula holds;
    # at the first zero the gradient is prod(x before it) * sum_k grad_k * prod(x after it, up to k);
    # after it, every product holds a zero.  Without zeros this is the usual formula everywhere.
    result = node.saved_output()
    is_zero = input == 0
    zeros_so_far = is_zero.cumsum(dim)
    before = zeros_so_far == 0
    first_zero = is_zero & (zeros_so_far == 1)
    safe = input.where(before, 1)
    after_first = input.where(zeros_so_far - is_zero.long() > 0, 1)
    before_part = _reverse_cumsum(grad * result, dim) / safe
    at_part = _reverse_cumsum(grad * after_first.cumprod(dim), dim) * safe.cumprod(dim)
    return (before_part.where(before, 0) + at_part.where(first_zero, 0),)


def _cumprod_backward_scan(input, grad, dim):
    """grad_j = L_j * R_j with L_j = prod(x_i, i < j) and R_j = sum over k >= j of grad_k * prod(x_i, j < i <= k).

    R solves the suffix recurrence R_j = grad_j + x_(j+1) * R_(j+1), here by doubling: log2(n) steps of
    shifted multiply-adds (time n log n, memory n).  No division and no mask, so it is exact with zeros
    and its own derivatives are too (this is the create_graph rule).
    """
    from .shape import cat
    values = input.movedim(dim, -1)
    total = grad.movedim(dim, -1)
    count = values._data.shape[-1]
    if count <= 1:
        return grad
    one = values.narrow(-1, 0, 1) * 0 + 1
    exclusive = cat([one, values.narrow(-1, 0, count - 1)], -1).cumprod(-1)
    factor = cat([values.narrow(-1, 1, count - 1), one * 0], -1)  # x_(j+1); nothing past the end

    def shifted(value, span):  # value_(j+span), zero past the end
        return cat([value.narrow(-1, span, count - span), (value.narrow(-1, 0, span) * 0)], -1)
    span = 1
    while span < count:  # invariant: R_j = total_j + factor_j * R_(j+span)
        total = total + factor * shifted(total, span)
        if span * 2 < count:
            factor = factor * shifted(factor, span)
        span *= 2
    return (exclusive * total).movedim(-1, dim)


_cumprod_op = declare("cumprod", _cumprod_backward, signature="x, dim: static")


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``."""
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    elif input._dtype.category in _INTEGRAL_TO_LONG:
        input = cast(input, dtypes.int64)
    dim = wrap_dim(dim, input._data.ndim)
    return apply(_cumprod_op, (input,), (dim,), save=(0,), save_output=True)


# ---- gather / scatter_add (index-driven reductions) -----------------------------------
def _gather_backward(node, grad):
    (index,) = node.saved_tensors
    input_shape, dim = node.params
    from ..factories import zeros
    base = zeros(input_shape, dtype=grad._dtype, device=grad._device)
    return (apply(_scatter_add_op, (base, index, grad), (dim,), save=(1,)), None)  # index checked by gather


_gather_op = declare("gather", _gather_backward, signature="x, index, dim: static")


def gather(input, dim, index):
    """Values of ``input`` along ``dim`` at positions ``index`` (an int64 tensor)."""
    _check_index_tensor("gather", index)
    dim = wrap_dim(dim, input._data.ndim)
    # every backend: numpy would wrap negative indices, jax would clamp out-of-range ones
    check_index_range("gather", index, input._data.shape[dim] if input._data.ndim else 1, dim)
    return gather_checked(input, dim, index)


def gather_checked(input, dim, index):
    """``gather`` for an ``index`` known to be valid (e.g. computed by a kernel), without the range check."""
    return apply(_gather_op, (input, index), (dim,), save=(1,), node_params=(input._data.shape, dim))


def _scatter_add_backward(node, grad):
    (index,) = node.saved_tensors
    dim = node.params[0]
    return (grad, None, gather_checked(grad, dim, index))  # checked by the forward


_scatter_add_op = declare("scatter_add", _scatter_add_backward, signature="x, index, src, dim: static")


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at positions ``index`` along ``dim``."""
    _check_index_tensor("scatter_add", index)
    dim = wrap_dim(dim, input._data.ndim)
    check_index_range("scatter_add", index, input._data.shape[dim] if input._data.ndim else 1, dim)
    if src._dtype is not input._dtype:
        src = cast(src, input._dtype)
    return apply(_scatter_add_op, (input, index, src), (dim,), save=(1,))


def _check_index_tensor(name, index):
    if not isinstance(index, Tensor) or index._dtype is not dtypes.int64:
        found = index._dtype if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {found}")
