"""Searching, sorting, set and indexing functions of the array API namespace."""

__all__ = ["argmax", "argmin", "nonzero", "searchsorted", "where", "argsort", "sort", "unique_all",
           "unique_counts", "unique_inverse", "unique_values", "take"]

import collections

from ..core import dtypes as _dtypes
from ..core import factories as _factories
from ..core.ops import elementwise as _ew
from ..core.ops import indexing as _indexing
from ..core.ops import reduction as _reduction
from ..core.ops import selection as _selection
from ..core.ops import shape as _shape
from ..core.ops import sorting as _sorting
from ..core.shapes import normalize_dims
from ..core.tensor import Tensor
from ._dtypes import promote_arrays


def _arg_extreme(function, name):
    def arg_extreme(x, /, *, axis=None, keepdims=False):
        if x.numel() == 0:
            raise ValueError(f"{name}() of an empty array has no position")
        if axis is None:
            result = function(x.reshape(-1), 0, False)
            return result.reshape((1,) * x.ndim) if keepdims else result
        return function(x, normalize_dims(axis, x.ndim)[0], keepdims)
    arg_extreme.__name__ = name
    arg_extreme.__doc__ = f"Index of the first {name[3:]}imum along ``axis`` (of the flattened array when None)."
    return arg_extreme


argmax = _arg_extreme(_reduction.argmax, "argmax")
argmin = _arg_extreme(_reduction.argmin, "argmin")


def nonzero(x, /):
    """A tuple of index arrays, one per axis, of the non-zero elements (0-d input is refused)."""
    if x.ndim == 0:
        raise ValueError("nonzero() of a 0-d array is not defined by the standard; reshape it to 1-D first")
    return tuple(_indexing.nonzero(x, as_tuple=True))


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    """Insertion positions of ``x2``'s values in the sorted 1-D ``x1``."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted(): side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        x1 = _selection.take(x1, sorter)
    x1, x2 = promote_arrays(x1, x2)
    return _sorting.searchsorted(x1, x2, side=side)


def where(condition, x1, x2, /):
    """Elements of ``x1`` where ``condition`` holds, else of ``x2`` (dtypes promoted as the standard says)."""
    x1, x2 = promote_arrays(x1, x2)
    return _ew.where(condition, x1, x2)


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    """Indices that sort ``x`` along ``axis`` (stable by default)."""
    if x.ndim == 0:
        return x.new_zeros((), dtype=_dtypes.int64)
    return _sorting.argsort(x, normalize_dims(axis, x.ndim)[0], descending=descending, stable=True)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    """``x`` sorted along ``axis`` (stable by default; NaNs last)."""
    if x.ndim == 0:
        return x.clone()
    return _sorting.sort(x, normalize_dims(axis, x.ndim)[0], descending=descending, stable=True)[0]


UniqueAllResult = collections.namedtuple("UniqueAllResult", "values indices inverse_indices counts")
UniqueCountsResult = collections.namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = collections.namedtuple("UniqueInverseResult", "values inverse_indices")


def _unique(x):
    """``(flat x, sorted unique values, inverse, counts)``; every NaN is its own value, as the standard says
    (plexgrad's unique, like numpy's, merges them), listed last in the order they occur."""
    flat = x.reshape(-1)
    is_nan = _ew.isnan(flat) if x.dtype.is_floating_point else None
    if is_nan is None or not bool(is_nan.any()):
        values, inverse, counts = _sorting.unique(flat, sorted=True, return_inverse=True, return_counts=True)
        return flat, values, inverse, counts
    is_number = _ew.logical_not(is_nan)
    values, number_inverse, counts = _sorting.unique(flat[is_number], sorted=True, return_inverse=True,
                                                     return_counts=True)
    nans = flat[is_nan]
    inverse = flat.new_zeros((flat.shape[0],), dtype=_dtypes.int64)
    inverse[is_number] = number_inverse
    inverse[is_nan] = _factories.arange(values.shape[0], values.shape[0] + nans.shape[0], device=x.device)
    values = _shape.cat((values, nans), 0)
    counts = _shape.cat((counts, counts.new_ones((nans.shape[0],))), 0)
    return flat, values, inverse, counts


def unique_all(x, /):
    """Sorted unique values, the index of each one's first occurrence, the inverse indices and the counts."""
    flat, values, inverse, counts = _unique(x)
    order = _sorting.argsort(flat, 0, stable=True)
    starts = _reduction.cumsum(counts, 0) - counts
    indices = _selection.take(order, starts) if starts.numel() else starts
    return UniqueAllResult(values, indices, inverse.reshape(tuple(x.shape)), counts)


def unique_counts(x, /):
    """Sorted unique values and how often each occurs."""
    _, values, _, counts = _unique(x)
    return UniqueCountsResult(values, counts)


def unique_inverse(x, /):
    """Sorted unique values and, for each element of ``x``, the index of its value."""
    _, values, inverse, _ = _unique(x)
    return UniqueInverseResult(values, inverse.reshape(tuple(x.shape)))


def unique_values(x, /):
    """Sorted unique values of ``x``."""
    return _unique(x)[1]


def take(x, indices, /, *, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (optional for 1-D input)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"take() needs an integer array of indices, got {type(indices).__name__}")
    if axis is None:
        if x.ndim != 1:
            raise ValueError(f"take() needs axis= for a {x.ndim}-D array")
        axis = 0
    axis = normalize_dims(axis, x.ndim)[0]
    extent = x.shape[axis]
    # negative indices count from the end (index_select wants them in range)
    indices = _ew.where(indices < 0, indices + extent, indices)
    return _selection.index_select(x, axis, indices)
