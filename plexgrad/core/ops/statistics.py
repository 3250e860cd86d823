"""Statistical reductions: var, std (and their ``_mean`` pairs), median, vector norms,
dist, count_nonzero, nansum, nanmean.

All take ``dim`` as an int or tuple with ``keepdim``, plus numpy's ``axis``/``keepdims``.
var/std/median are composites of primitives (their gradients follow); the vector norm
carries its own rule so the gradient at zero is 0 (the subgradient torch uses), not NaN.
"""

__all__ = ["var", "std", "var_mean", "std_mean", "median", "nanmedian", "vector_norm", "norm", "dist",
           "count_nonzero", "nansum", "nanmean", "median_result"]

import collections
import math

from .. import dtypes
from ..op import Rule, cast
from ..shapes import element_count, wrap_dim
from .composite import check_tensor, with_rule
from .elementwise import abs as absolute, isnan, sign, sqrt, where
from .reduction import amax, amin, expand_reduced, gather_checked, reduction_args, sum as reduce_sum
from .sorting import _sort_indices

median_result = collections.namedtuple("median", ["values", "indices"])


def _check_floating(name, input):
    if input._dtype.category != dtypes.FLOATING:
        raise RuntimeError(f"{name}(): expected a floating point tensor as input, got {input._dtype}; "
                           "convert first, e.g. tensor.float()")


def _correction(unbiased, correction):
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("pass either unbiased= or correction=, not both")
        return correction
    return 1 if unbiased is None or unbiased else 0


def _count(shape, dims):
    count = 1
    for d in (range(len(shape)) if dims is None else dims):
        count *= shape[d]
    return count


def _var_and_mean(name, input, dim, unbiased, keepdim, correction, axis, keepdims):
    check_tensor(name, input)
    _check_floating(name, input)
    if isinstance(dim, bool):  # var(x, False): the old positional ``unbiased``
        unbiased, dim = dim, None
    dims, keepdim = reduction_args(input, dim, keepdim, axis, keepdims)
    correction = _correction(unbiased, correction)
    count = _count(input._data.shape, dims)
    mean = input.mean(dims, keepdim=True) if dims is not None else input.mean()
    centered = input - mean
    squares = reduce_sum(centered * centered, dims, keepdim)
    variance = squares / (count - correction) if count - correction > 0 else squares * math.inf
    if not keepdim and dims is not None:
        mean = mean.squeeze(dims)
    elif keepdim and dims is None and input._data.ndim:
        mean = mean.reshape((1,) * input._data.ndim)
    return variance, mean


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim`` (all elements by default), divided by ``N - correction``.

    ``correction=1`` (default, same as ``unbiased=True``) gives the sample variance;
    ``correction=0`` the population variance.
    """
    return _var_and_mean("var", input, dim, unbiased, keepdim, correction, axis, keepdims)[0]


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    return sqrt(_var_and_mean("std", input, dim, unbiased, keepdim, correction, axis, keepdims)[0])


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` in one pass."""
    return _var_and_mean("var_mean", input, dim, unbiased, keepdim, correction, None, None)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` in one pass."""
    variance, mean = _var_and_mean("std_mean", input, dim, unbiased, keepdim, correction, None, None)
    return sqrt(variance), mean


def _median(name, input, dim, keepdim, ignore_nan):
    check_tensor(name, input)
    if dim is None:
        flat = input.reshape(-1)
        if element_count(flat._data) == 0:
            raise IndexError(f"{name}() input tensor cannot be empty")
        # as torch: the gradient of the global median is shared evenly among the elements equal to it
        return with_rule(_GLOBAL_MEDIAN_RULE, (input,), lambda: _median(name, flat, 0, False, ignore_nan).values,
                         saved=(input,), save_output=True)
    dim = wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        from ..factories import zeros
        return median_result(input.clone(), zeros((), dtype=dtypes.int64, device=input._device))
    extent = input._data.shape[dim]
    if extent == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size")
    order = _sort_indices(input, dim, False)
    if input._dtype.category == dtypes.FLOATING:
        nan_count = reduce_sum(isnan(input), dim, keepdim=True)
        if ignore_nan:  # the lower median of the non-NaN values (NaN when all are NaN)
            position = ((extent - nan_count - 1).clamp(min=0)) // 2
        else:  # NaN sorts last; any NaN makes the median NaN, at the first NaN's position
            position = where(nan_count > 0, extent - nan_count, (extent - 1) // 2)
    else:
        shape = list(input._data.shape)
        shape[dim] = 1
        from ..factories import full
        position = full(tuple(shape), (extent - 1) // 2, dtype=dtypes.int64, device=input._device)
    indices = gather_checked(order, dim, position)  # positions and sort indices are in range by construction
    values = gather_checked(input, dim, indices)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return median_result(values, indices)


def _global_median_backward(node, grad):
    (input,) = node.saved_tensors
    value = node.saved_output()
    mask = (input == value) | (isnan(input) & isnan(value))
    return (grad * mask / reduce_sum(mask),)


_GLOBAL_MEDIAN_RULE = Rule("MedianBackward0", _global_median_backward)


def median(input, dim=None, keepdim=False):
    """The lower median: ``median(x)`` is a 0-d tensor; ``median(x, dim)`` a named tuple
    ``(values, indices)``.  Any NaN in a slice makes its median NaN, as in torch."""
    return _median("median", input, dim, keepdim, False)


def nanmedian(input, dim=None, keepdim=False):
    """Like :func:`median`, ignoring NaN values."""
    return _median("nanmedian", input, dim, keepdim, True)


# ---- vector norms ---------------------------------------------------------------------------
def _vector_norm_backward(node, grad):
    (input,) = node.saved_tensors
    order, input_shape, dims, keepdim = node.params
    norm_value = expand_reduced(node.saved_output(), input_shape, dims, keepdim)
    grad = expand_reduced(grad, input_shape, dims, keepdim)
    if order == 0:
        return (grad * 0,)
    if order == 1:
        return (grad * sign(input),)
    if math.isinf(order):
        ties = absolute(input) == norm_value
        count = reduce_sum(ties, dims, keepdim=True) if dims is not None else reduce_sum(ties)
        return (grad * sign(input) * ties / count,)
    is_zero = norm_value == 0
    safe_norm = where(is_zero, 1.0, norm_value)  # avoids 0/0 where the subgradient 0 is used anyway
    if order == 2:
        scale = input / safe_norm
    else:
        magnitude = where(input == 0, 1.0, absolute(input))  # sign(0) = 0 zeroes these positions
        scale = sign(input) * magnitude ** (order - 1) / safe_norm ** (order - 1)
    return (where(is_zero, 0.0, grad * scale),)


_VECTOR_NORM_RULE = Rule("LinalgVectorNormBackward0", _vector_norm_backward)


def _vector_norm_forward(input, order, dims, keepdim):
    if order == 2:
        return sqrt(reduce_sum(input * input, dims, keepdim))
    magnitude = absolute(input)
    if order == math.inf:
        return amax(magnitude, () if dims is None else dims, keepdim)
    if order == -math.inf:
        return amin(magnitude, () if dims is None else dims, keepdim)
    if order == 0:
        return cast(reduce_sum(input != 0, dims, keepdim), input._dtype)
    if order == 1:
        return reduce_sum(magnitude, dims, keepdim)
    return reduce_sum(magnitude ** order, dims, keepdim) ** (1.0 / order)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements by default).

    ``ord``: any float, ``inf``/``-inf`` (largest/smallest magnitude), 0 (count of non-zeros).
    """
    check_tensor("linalg.vector_norm", x, "x")
    if dtype is not None:
        x = cast(x, dtypes.as_dtype(dtype))
    if x._dtype.category != dtypes.FLOATING:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {x._dtype}")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r} (use matrix_norm for "
                           "'fro' and 'nuc')")
    order = float(ord)
    dims, keepdim = reduction_args(x, dim, keepdim, None, None)
    if element_count(x._data) == 0 and order < 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                           "operation does not have an identity")
    shape = tuple(x._data.shape)
    return with_rule(_VECTOR_NORM_RULE, (x,), lambda: _vector_norm_forward(x, order, dims, keepdim),
                     saved=(x,), params=(order, shape, dims, keepdim), save_output=True)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: the ``p``-norm of ``input`` (the 2-norm of all elements by default).

    ``p`` is a number, ``inf``, ``'fro'`` (Frobenius = 2-norm over ``dim``) or ``'nuc'``
    (nuclear norm of matrices, forward only).  Prefer ``plexgrad.linalg.norm`` in new code.
    """
    check_tensor("norm", input)
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        from .linalg_norms import matrix_norm
        result = matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    else:
        if p == "fro":
            if dim is not None and len(dim) > 2:
                raise RuntimeError(f"norm(): the Frobenius norm needs at most 2 dims, got {dim}")
            p = 2
        elif p is None:
            p = 2
        result = vector_norm(input, p, dim, keepdim, dtype=dtype)
    if out is not None:
        from .composite import write_out
        return write_out(out, result)
    return result


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other``."""
    check_tensor("dist", input)
    return vector_norm(input - other, p)


def count_nonzero(input, dim=None):
    """How many elements (over ``dim``) are non-zero (int64)."""
    check_tensor("count_nonzero", input)
    return reduce_sum(input != 0, dim)


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum treating NaN as zero."""
    check_tensor("nansum", input)
    if input._dtype.category == dtypes.FLOATING:
        input = where(isnan(input), 0.0, input)
    return reduce_sum(input, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean of the non-NaN elements."""
    check_tensor("nanmean", input)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    _check_floating("nanmean", input)
    present = ~isnan(input)
    total = nansum(input, dim, keepdim, axis=axis, keepdims=keepdims)
    count = reduce_sum(present, dim, keepdim, axis=axis, keepdims=keepdims)
    return total / count

