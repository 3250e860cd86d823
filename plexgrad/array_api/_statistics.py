"""Statistical and utility (``all``/``any``) functions of the array API namespace.

Where the standard differs from torch: ``axis=()`` reduces nothing (torch's ``dim=()`` reduces
everything), ``var``/``std`` default to ``correction=0`` (torch: 1), and ``sum``/``prod`` of
integers accumulate in the default integer dtype unless ``dtype`` says otherwise.
"""

__all__ = ["cumulative_sum", "max", "mean", "min", "prod", "std", "sum", "var", "all", "any"]

from ..core import dtypes as _dtypes
from ..core.ops import reduction as _reduction
from ..core.ops import shape as _shape
from ..core.ops import statistics as _statistics
from ..core.shapes import normalize_dims
from ._dtypes import as_standard_dtype


def _axes(x, axis):
    """``axis`` as a sorted tuple of non-negative axes (``None``: all of them)."""
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, tuple) and not axis:
        return ()  # the standard's "reduce nothing" (plexgrad's dims=() means every axis, as torch's)
    return tuple(sorted(normalize_dims(axis, x.ndim)))


def _accumulation_dtype(x, dtype):
    dtype = as_standard_dtype(dtype)
    if dtype is not None:
        return dtype
    if x.dtype.is_floating_point:
        return x.dtype
    return _dtypes.int64  # the default integer dtype (there is no uint64 for unsigned input)


def _reduce(function, x, axes, keepdims, **options):
    if not axes:
        return _shape.clone(x)
    return function(x, axes, keepdims, **options)


def sum(x, /, *, axis=None, dtype=None, keepdims=False):  # noqa: A001  the standard's name
    """Sum over ``axis`` (all axes when None, none when ``()``)."""
    result_dtype = _accumulation_dtype(x, dtype)
    axes = _axes(x, axis)
    if not axes:
        return x.to(result_dtype) if x.dtype is not result_dtype else _shape.clone(x)
    return _reduction.sum(x, axes, keepdims, dtype=result_dtype)


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    """Product over ``axis`` (all axes when None, none when ``()``)."""
    result_dtype = _accumulation_dtype(x, dtype)
    axes = _axes(x, axis)
    if not axes:
        return x.to(result_dtype) if x.dtype is not result_dtype else _shape.clone(x)
    result = x
    for axis_index in reversed(axes):
        result = _reduction.prod(result, axis_index, keepdims, dtype=result_dtype)
    return result


def _extreme(function, name):
    def extreme(x, /, *, axis=None, keepdims=False):
        axes = _axes(x, axis)
        for axis_index in axes:
            if x.shape[axis_index] == 0:
                raise ValueError(f"{name}() of an empty axis ({axis_index} of shape {tuple(x.shape)}) has no value")
        return _reduce(function, x, axes, keepdims)
    extreme.__name__ = name
    extreme.__doc__ = f"The {name}imum over ``axis`` (NaN wins)."
    return extreme


max = _extreme(_reduction.amax, "max")  # noqa: A001
min = _extreme(_reduction.amin, "min")  # noqa: A001


def mean(x, /, *, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` of a floating array."""
    if not x.dtype.is_floating_point:
        raise TypeError(f"mean() needs a floating array, got {x.dtype}; cast it with xp.astype first")
    return _reduce(_reduction.mean, x, _axes(x, axis), keepdims)


def _spread(function, name):
    def spread(x, /, *, axis=None, correction=0.0, keepdims=False):
        if not x.dtype.is_floating_point:
            raise TypeError(f"{name}() needs a floating array, got {x.dtype}; cast it with xp.astype first")
        axes = _axes(x, axis)
        if not axes:
            # nothing reduced: every element is its own sample (n = 1)
            return function(x.unsqueeze(-1), -1, correction=correction, keepdim=False)
        return function(x, axes, correction=correction, keepdim=keepdims)
    spread.__name__ = name
    spread.__doc__ = f"{'Variance' if name == 'var' else 'Standard deviation'} over ``axis``; ``correction=0`` " \
        f"by default (divide by N), as the standard says."
    return spread


var = _spread(_statistics.var, "var")
std = _spread(_statistics.std, "std")


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running sum along ``axis`` (optional for 1-D input); ``include_initial`` prepends a zero."""
    if axis is None:
        if x.ndim != 1:
            raise ValueError(f"cumulative_sum() needs axis= for a {x.ndim}-D array")
        axis = 0
    axis = normalize_dims(axis, x.ndim)[0]
    result = _reduction.cumsum(x, axis, dtype=_accumulation_dtype(x, dtype))
    if include_initial:
        shape = list(result.shape)
        shape[axis] = 1
        zero = result.new_zeros(tuple(shape))
        result = _shape.cat((zero, result), axis)
    return result


def _truth(function, name):
    def truth(x, /, *, axis=None, keepdims=False):
        axes = _axes(x, axis)
        if not axes:
            return x.to(_dtypes.bool) if x.dtype is not _dtypes.bool else _shape.clone(x)
        return function(x, axes, keepdims)
    truth.__name__ = name
    truth.__doc__ = f"Whether {'every' if name == 'all' else 'some'} element along ``axis`` is true."
    return truth


all = _truth(_reduction.all, "all")  # noqa: A001
any = _truth(_reduction.any, "any")  # noqa: A001
