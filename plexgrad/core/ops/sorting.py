"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, searchsorted,
and the whole-tensor comparisons equal, isclose, allclose.

Sorting is one primitive (a stable ``argsort`` kernel); values are then gathered
from the input, so their gradient is gather's (the gradient goes back to where
each value came from).  The kernel's indices are in range by construction, so they
are gathered without the host-side bounds check (traceable).  ``unique`` and the
whole-tensor comparisons return data-dependent shapes or Python bools: they read the host.
"""

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "searchsorted", "bucketize",
           "equal", "isclose", "allclose", "sort_result", "topk_result", "kthvalue_result"]

import collections

import numpy

from .. import dtypes
from ..op import declare
from ..shapes import wrap_dim
from ..tensor import Tensor
from .composite import check_tensor, run_kernel, wrap
from .elementwise import abs as absolute, isnan, logical_and, logical_or
from .reduction import all as reduce_all, gather, gather_checked

sort_result = collections.namedtuple("sort", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])
kthvalue_result = collections.namedtuple("kthvalue", ["values", "indices"])

_argsort_op = declare("argsort", dtype_rule="int64", doc="stable argsort along a dim",
                      signature="x, dim: static, descending: static")
_searchsorted_op = declare("searchsorted", dtype_rule="int64", doc="insertion points in sorted rows",
                           signature="boundaries, values, right: static")


def _zero_index(input):
    from ..factories import zeros
    return zeros((), dtype=dtypes.int64, device=input._device)


def _sort_indices(input, dim, descending):
    if input._data.ndim == 0:
        return _zero_index(input)
    return wrap(run_kernel(_argsort_op, (input,), (dim, descending)), input, dtypes.int64)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sorted values and their original positions along ``dim``: named tuple ``(values, indices)``.

    The sort is always stable (equal values keep their order); NaN sorts as the
    largest value, as in torch.
    """
    check_tensor("sort", input)
    if isinstance(dim, bool):  # sort(x, stable=...) written positionally in old code
        raise TypeError("sort(): dim must be an int")
    dim = wrap_dim(dim, input._data.ndim)
    indices = _sort_indices(input, dim, bool(descending))
    values = gather_checked(input, dim, indices) if input._data.ndim else input.clone()
    result = sort_result(values, indices)
    if out is not None:
        from .composite import write_out
        return sort_result(write_out(out[0], values), write_out(out[1], indices))
    return result


def argsort(input, dim=-1, descending=False, stable=False):
    """Positions that sort ``input`` along ``dim`` (int64)."""
    check_tensor("argsort", input)
    return _sort_indices(input, wrap_dim(dim, input._data.ndim), bool(descending))


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) values along ``dim`` and their positions (always sorted)."""
    check_tensor("topk", input)
    dim = wrap_dim(dim, input._data.ndim)
    extent = input._data.shape[dim] if input._data.ndim else 1
    if not 0 <= k <= extent:
        raise RuntimeError(f"selected index k out of range: k={k} for dimension {dim} of size {extent}")
    if input._data.ndim == 0:
        return topk_result(input.clone(), _zero_index(input))
    indices = _sort_indices(input, dim, bool(largest)).narrow(dim, 0, k)
    return topk_result(gather_checked(input, dim, indices), indices)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value (1-based) along ``dim`` and its position."""
    check_tensor("kthvalue", input)
    dim = wrap_dim(dim, input._data.ndim)
    extent = input._data.shape[dim] if input._data.ndim else 1
    if not 1 <= k <= extent:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}: k={k}, size {extent}")
    if input._data.ndim == 0:
        return kthvalue_result(input.clone(), _zero_index(input))
    indices = _sort_indices(input, dim, False).narrow(dim, k - 1, 1)
    values = gather_checked(input, dim, indices)
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return kthvalue_result(values, indices)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with ``inverse`` positions and ``counts``.

    With ``dim``, distinct slices along that dimension.  The result's size depends on
    the data, so it is computed on the host (as torch does on the CPU).
    """
    check_tensor("unique", input)
    host = input._backend().to_host(input._data)
    axis = None if dim is None else wrap_dim(dim, host.ndim)
    values, inverse, counts = numpy.unique(host, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(host.shape)
    else:
        inverse = inverse.reshape(-1)
    from ..factories import tensor as make
    outputs = [make(values, dtype=input._dtype, device=input._device)]
    if return_inverse:
        outputs.append(make(inverse.astype(numpy.int64), device=input._device))
    if return_counts:
        outputs.append(make(counts.astype(numpy.int64), device=input._device))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    """Where ``values`` would be inserted into the (last dim of) ``sorted_sequence`` to keep it sorted.

    ``right=True`` or ``side='right'`` gives the position after equal entries.
    """
    check_tensor("searchsorted", sorted_sequence, "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               "left while right was True")
        right = side == "right"
    if sorter is not None:
        sorted_sequence = gather(sorted_sequence, -1, sorter)
    scalar = not isinstance(values, Tensor)
    if scalar:
        from ..factories import scalar_tensor
        values = scalar_tensor(values, sorted_sequence._device)
    boundaries_shape = tuple(sorted_sequence._data.shape)
    values_shape = tuple(values._data.shape)
    if len(boundaries_shape) > 1 and boundaries_shape[:-1] != values_shape[:-1]:
        raise RuntimeError(
            f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
            f"{list(boundaries_shape)} and input value tensor {list(values_shape)}")
    if values._dtype is not sorted_sequence._dtype:
        dtype = dtypes.promote_types(values._dtype, sorted_sequence._dtype)
        sorted_sequence, values = sorted_sequence.to(dtype), values.to(dtype)
    result = wrap(run_kernel(_searchsorted_op, (sorted_sequence, values), (bool(right),)), values, dtypes.int64)
    return result.to(dtypes.int32) if out_int32 else result


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Index of the bucket of each element of ``input`` among 1-d sorted ``boundaries``."""
    check_tensor("bucketize", boundaries, "boundaries")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def equal(input, other):
    """True when both tensors have the same shape and the same values."""
    check_tensor("equal", input)
    check_tensor("equal", other, "other")
    if tuple(input._data.shape) != tuple(other._data.shape):
        return False
    return bool(reduce_all(input == other).item())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Element-wise ``|input - other| <= atol + rtol * |other|`` (infinities equal only to themselves)."""
    check_tensor("isclose", input)
    if isinstance(other, Tensor) and input._dtype is not other._dtype:
        raise RuntimeError(f"isclose(): {input._dtype} did not match {other._dtype}; convert one of them first")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    exact = input == other
    if input._dtype is dtypes.bool:
        return exact
    if not isinstance(other, Tensor):
        other = input.new_tensor(other)
    if input._dtype.category != dtypes.FLOATING:
        input, other = input.double(), other.double()
    difference = absolute(input - other)
    finite = (difference - difference) == 0  # false for inf and nan differences
    close = logical_or(exact, logical_and(difference <= atol + rtol * absolute(other), finite))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(input), isnan(other)))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is :func:`isclose`."""
    return bool(reduce_all(isclose(input, other, rtol, atol, equal_nan)).item())

