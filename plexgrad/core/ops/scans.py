"""Scans and differences: ``cummax``/``cummin`` (with indices), ``logcumsumexp``, ``diff``, ``aminmax``,
``trapezoid``/``cumulative_trapezoid``, ``cov``/``corrcoef``, ``cdist``.

The scans are Hillis-Steele doublings (log2(n) shifted element-wise steps) of Tensor ops, so
they run on every backend and differentiate.
"""

__all__ = ["cummax", "cummin", "logcumsumexp", "diff", "aminmax", "trapezoid", "trapz", "cumulative_trapezoid", "cov",
           "corrcoef", "cdist"]

import collections
import math

from .. import dtypes
from ..shapes import wrap_dim
from .composite import check_tensor
from . import elementwise as ew
from . import shape as _shape

_MinMax = collections.namedtuple("aminmax", ["min", "max"])
_ValuesIndices = collections.namedtuple("values_indices", ["values", "indices"])


def _shifted(value, span, fill, dim):
    """``value`` moved ``span`` places forward along ``dim`` (the first ``span`` filled with ``fill``)."""
    extent = value._data.shape[dim]
    head = _shape.narrow(value, dim, 0, span) * 0 + fill if span else None
    return _shape.cat([head, _shape.narrow(value, dim, 0, extent - span)], dim)


def _scan(value, dim, combine, fill):
    extent = value._data.shape[dim]
    span = 1
    while span < extent:
        value = combine(value, _shifted(value, span, fill, dim))
        span *= 2
    return value


def _cumulative_extreme(name, input, dim, pick):
    check_tensor(name, input)
    if input._data.ndim == 0:
        from ..factories import zeros
        return _ValuesIndices(input.clone(), zeros((), dtype=dtypes.int64, device=input._device))
    dim = wrap_dim(dim, input._data.ndim)
    if input._data.shape[dim] == 0:
        return _ValuesIndices(input.clone(), input.long())
    low = -math.inf if input._dtype.is_floating_point else -(2 ** 62)
    values = _scan(input if pick is ew.maximum else -input, dim, ew.maximum, low)
    values = values if pick is ew.maximum else -values
    from ..factories import arange
    shape = [1] * input._data.ndim
    shape[dim] = input._data.shape[dim]
    positions = arange(input._data.shape[dim], device=input._device).reshape(tuple(shape)).expand(
        tuple(input._data.shape))
    # the latest position holding the running extreme (torch's tie rule); nan sticks once seen
    holds = (input == values) | (ew.isnan(input) if input._dtype.is_floating_point else input != input)
    indices = _scan(ew.where(holds, positions, -1), dim, ew.maximum, -1)
    return _ValuesIndices(values, indices)


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was reached."""
    return _cumulative_extreme("cummax", input, dim, ew.maximum)


def cummin(input, dim):
    """Running minimum along ``dim`` and the index where it was reached."""
    return _cumulative_extreme("cummin", input, dim, ew.minimum)


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim`` without overflow."""
    check_tensor("logcumsumexp", input)
    if input._data.ndim == 0:
        return input * 1
    from .math_extra import logaddexp
    dim = wrap_dim(dim, input._data.ndim)
    return _scan(input, dim, logaddexp, -math.inf)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first)."""
    check_tensor("diff", input)
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    dim = wrap_dim(dim, input._data.ndim)
    pieces = [value for value in (prepend, input, append) if value is not None]
    value = _shape.cat(pieces, dim) if len(pieces) > 1 else input
    for _ in range(n):
        extent = value._data.shape[dim]
        if extent == 0:
            break
        later, earlier = _shape.narrow(value, dim, 1, extent - 1), _shape.narrow(value, dim, 0, extent - 1)
        value = ew.logical_xor(later, earlier) if value._dtype is dtypes.bool else later - earlier
    return value


def aminmax(input, *, dim=None, keepdim=False):
    """``(amin, amax)`` over ``dim`` (every element when None)."""
    from .reduction import amax, amin
    if dim is None:
        if keepdim:
            dims = tuple(range(input._data.ndim))
            return _MinMax(amin(input, dims, True), amax(input, dims, True))
        return _MinMax(amin(input), amax(input))
    return _MinMax(amin(input, dim, keepdim), amax(input, dim, keepdim))


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along ``dim``: spacing ``dx`` (default 1) or sample points ``x``."""
    check_tensor("trapezoid", y)
    dim = wrap_dim(dim, y._data.ndim)
    extent = y._data.shape[dim]
    if extent == 0:
        return y.sum(dim)
    pairs = _shape.narrow(y, dim, 1, extent - 1) + _shape.narrow(y, dim, 0, extent - 1)
    if x is None:
        return pairs.sum(dim) * ((1.0 if dx is None else dx) / 2)
    if hasattr(x, "_data"):
        spacing = diff(x, dim=-1 if x._data.ndim == 1 else dim)
        if x._data.ndim == 1:
            shape = [1] * y._data.ndim
            shape[dim] = extent - 1
            spacing = spacing.reshape(tuple(shape))
        return (pairs * spacing).sum(dim) / 2
    return pairs.sum(dim) * (x / 2)


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along ``dim`` (one element fewer than ``y``)."""
    check_tensor("cumulative_trapezoid", y)
    dim = wrap_dim(dim, y._data.ndim)
    extent = y._data.shape[dim]
    pairs = _shape.narrow(y, dim, 1, max(extent - 1, 0)) + _shape.narrow(y, dim, 0, max(extent - 1, 0))
    if x is None:
        return (pairs * ((1.0 if dx is None else dx) / 2)).cumsum(dim)
    if hasattr(x, "_data"):
        spacing = diff(x, dim=-1 if x._data.ndim == 1 else dim)
        if x._data.ndim == 1:
            shape = [1] * y._data.ndim
            shape[dim] = extent - 1
            spacing = spacing.reshape(tuple(shape))
        return (pairs * spacing / 2).cumsum(dim)
    return (pairs * (x / 2)).cumsum(dim)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations)."""
    check_tensor("cov", input)
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov(): fweights and aweights are not supported; pass neither")
    if input._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input._data.ndim} dimensions")
    data = input.reshape(1, -1) if input._data.ndim < 2 else input
    if not data._dtype.is_floating_point:
        data = data.to(dtypes.get_default_dtype())
    observations = data._data.shape[1]
    centered = data - data.mean(1, keepdim=True)
    result = centered @ centered.t() / max(observations - correction, 0)
    return result.reshape(()) if input._data.ndim < 2 else result


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``."""
    covariance = cov(input)
    if covariance._data.ndim == 0:
        return covariance / covariance
    if input._data.ndim == 2 and input._data.shape[0] == 1:
        return (covariance / covariance).reshape(())
    deviation = covariance.diagonal().sqrt()
    from .math_extra import clamp
    return clamp(covariance / deviation.unsqueeze(1) / deviation.unsqueeze(0), -1, 1)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """``p``-norm distances between each row of ``x1`` and each row of ``x2`` (batched)."""
    check_tensor("cdist", x1)
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError("cdist only supports at least 2D tensors")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} "
                           f"X2: {x2._data.shape[-1]}")
    difference = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == 0:
        return (difference != 0).sum(-1).to(x1.dtype)
    if p == math.inf:
        return difference.amax(-1) if difference._data.shape[-1] else difference.sum(-1)
    if p == 1:
        return difference.sum(-1)
    if p == 2:
        return difference.square().sum(-1).sqrt()
    return (difference ** p).sum(-1) ** (1.0 / p)
