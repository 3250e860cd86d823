"""Counting, membership and order statistics: ``isin``, ``bincount``, ``histc``, ``quantile``/``nanquantile``,
``mode``, ``unique_consecutive``, ``combinations``, ``vdot``, ``renorm``, ``put``, ``masked_scatter``.

Ops whose result shape depends on the values (``bincount``, ``unique_consecutive``,
``masked_scatter``'s count) read them on the host, as torch does; the rest are Tensor-op
composites (``quantile`` sorts and interpolates, so it is differentiable).
"""

__all__ = ["isin", "bincount", "histc", "quantile", "nanquantile", "mode", "unique_consecutive", "combinations", "vdot",
           "renorm", "put", "masked_scatter"]

import collections
import itertools
import math

from .. import dtypes
from ..shapes import wrap_dim
from ..tensor import Tensor
from .composite import check_tensor
from . import elementwise as ew

_ValuesIndices = collections.namedtuple("mode", ["values", "indices"])


def _host(tensor):
    return tensor.detach().cpu().numpy()


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` appears in ``test_elements``."""
    from ..factories import tensor
    if not isinstance(elements, Tensor):
        elements = tensor(elements, device=test_elements.device)
    if not isinstance(test_elements, Tensor):
        test_elements = tensor(test_elements, device=elements.device)
    found = (elements.reshape(-1, 1) == test_elements.reshape(1, -1)).any(1).reshape(tuple(elements.shape)) \
        if test_elements.numel() else elements != elements if elements.is_floating_point() else (elements * 0).bool()
    return ~found if invert else found


def bincount(input, weights=None, minlength=0):
    """Counts (or summed ``weights``) of each value of a 1-d non-negative integer tensor."""
    check_tensor("bincount", input)
    if input.dim() != 1 or input.is_floating_point():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    values = _host(input)
    if values.size and values.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = max(int(values.max()) + 1 if values.size else 0, minlength)
    from ..factories import arange
    matches = input.unsqueeze(0) == arange(size, device=input.device).unsqueeze(1)
    if weights is None:
        return matches.sum(1)
    weights = weights if weights.is_floating_point() else weights.double()
    if weights.dtype not in (dtypes.float32, dtypes.float64):
        weights = weights.double()
    return ew.where(matches, weights.unsqueeze(0), weights.unsqueeze(0) * 0).sum(1).to(
        weights.dtype if weights.dtype is dtypes.float32 else dtypes.float64)


def histc(input, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both are 0)."""
    check_tensor("histc", input)
    if not input.is_floating_point():
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{str(input.dtype).split('.')[-1]}'")
    low, high = float(min), float(max)
    if low == high and input.numel():
        values = _host(input)
        low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError(f"torch.histc: max must be larger than min, got min={min} and max={max}")
    flat = input.reshape(-1)
    inside = (flat >= low) & (flat <= high)
    position = ((flat - low) * (bins / (high - low))).floor().long().clamp(0, bins - 1)
    from ..factories import arange
    matches = (position.unsqueeze(0) == arange(bins, device=input.device).unsqueeze(1)) & inside.unsqueeze(0)
    return matches.sum(1).to(input.dtype)


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    check_tensor(name, input)
    if not input.is_floating_point():
        raise RuntimeError(f"quantile() input tensor must be either float or double dtype")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                         f"Got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    from ..factories import tensor
    q_tensor = tensor([q] if scalar_q else q.tolist() if q.dim() else [q.item()], dtype=input.dtype,
                      device=input.device)
    if q_tensor.numel() and bool(((q_tensor < 0) | (q_tensor > 1)).any()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    original_dims = input.dim()
    if dim is None:
        values, dim = input.reshape(-1), 0
    else:
        dim = wrap_dim(dim, max(input.dim(), 1))
        values = input if input.dim() else input.reshape(1)
    values = values.movedim(dim, -1)
    nan = ew.isnan(values)
    # nans sort last; quantile gives nan where a slice holds one, nanquantile ignores them
    ordered = values.sort(-1).values
    count = (~nan).sum(-1, keepdim=True) if ignore_nan else values.new_full(tuple(values.shape[:-1]) + (1,),
                                                                              values.shape[-1]).long()
    results = []
    for q_value in q_tensor.tolist():
        rank = (count - 1).clamp(min=0).to(input.dtype) * q_value
        below = rank.floor().long()
        above = rank.ceil().long()
        if interpolation == "lower":
            above = below
        elif interpolation == "higher":
            below = above
        elif interpolation == "nearest":
            below = above = ew.round(rank).long()
        low_value = ordered.gather(-1, below)
        high_value = ordered.gather(-1, above)
        if interpolation == "midpoint":
            picked = (low_value + high_value) * 0.5
        elif interpolation == "linear":
            picked = low_value + (high_value - low_value) * (rank - below.to(input.dtype))
        else:
            picked = low_value
        if ignore_nan:
            picked = ew.where(count == 0, math.nan, picked)
        else:
            picked = ew.where(nan.any(-1, keepdim=True), math.nan, picked)
        results.append(picked.squeeze(-1))
    from .shape import stack
    result = stack(results, 0)
    return result[0] if scalar_q or (not scalar_q and q.dim() == 0) else result


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles along ``dim`` (of all elements when None); nan where a slice holds nan."""
    return _quantile_keepdim("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring nan values."""
    return _quantile_keepdim("nanquantile", input, q, dim, keepdim, interpolation, True)


def _quantile_keepdim(name, input, q, dim, keepdim, interpolation, ignore_nan):
    result = _quantile(name, input, q, dim, False, interpolation, ignore_nan)
    if not keepdim:
        return result
    lead = 0 if not isinstance(q, Tensor) or q.dim() == 0 else 1
    if dim is None:
        return result.reshape(tuple(result.shape[:lead]) + (1,) * input.dim())
    dim = wrap_dim(dim, max(input.dim(), 1))
    return result.unsqueeze(lead + dim) if input.dim() else result


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among ties) and an index where it occurs."""
    check_tensor("mode", input)
    if input.dim() == 0:
        from ..factories import zeros
        return _ValuesIndices(input.clone(), zeros((), dtype=dtypes.int64, device=input.device))
    dim = wrap_dim(dim, input.dim())
    values = input.movedim(dim, -1)
    counts = (values.unsqueeze(-1) == values.unsqueeze(-2)).sum(-1)
    best = counts.amax(-1, keepdim=True)
    # the smallest value among the most frequent ones
    candidates = ew.where(counts == best, values, values.amax(-1, keepdim=True))
    picked = candidates.amin(-1, keepdim=True)
    from ..factories import arange
    positions = arange(values.shape[-1], device=input.device).expand(tuple(values.shape))
    index = ew.where(values == picked, positions, positions * 0 - 1).amax(-1, keepdim=True)
    picked, index = picked.movedim(-1, dim), index.movedim(-1, dim)
    if not keepdim:
        picked, index = picked.squeeze(dim), index.squeeze(dim)
    return _ValuesIndices(picked, index)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive elements collapsed to one (flattened when ``dim`` is None)."""
    check_tensor("unique_consecutive", input)
    from ..factories import tensor
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported; call it without dim")
    flat = input.reshape(-1)
    host = _host(flat)
    if host.size:
        import numpy
        starts = numpy.concatenate([[True], host[1:] != host[:-1]])
    else:
        import numpy
        starts = numpy.zeros(0, dtype=bool)
    keep = tensor(starts, device=input.device)
    values = flat[keep]
    outputs = [values]
    if return_inverse:
        outputs.append(tensor(numpy.cumsum(starts) - 1, dtype=dtypes.int64, device=input.device).reshape(
            tuple(input.shape)))
    if return_counts:
        positions = numpy.flatnonzero(starts)
        outputs.append(tensor(numpy.diff(numpy.append(positions, host.size)), dtype=dtypes.int64, device=input.device))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-d tensor, one per row."""
    check_tensor("combinations", input)
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        from ..factories import zeros
        return zeros((0,), dtype=input.dtype, device=input.device)
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(choose(range(input.shape[0]), r))
    if not rows:
        from ..factories import zeros
        return zeros((0, r), dtype=input.dtype, device=input.device)
    from ..factories import tensor
    index = tensor(rows, dtype=dtypes.int64, device=input.device)
    return input[index]


def vdot(input, other):
    """The dot product of two 1-d tensors (real: ``dot``)."""
    from .linalg import dot
    return dot(input, other)


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` rescaled so its ``p``-norm is at most ``maxnorm``."""
    check_tensor("renorm", input)
    dim = wrap_dim(dim, input.dim())
    others = tuple(d for d in range(input.dim()) if d != dim)
    if not others:
        norms = input.abs()
    elif p == math.inf:
        norms = input.abs().amax(others, keepdim=True)
    else:
        norms = (input.abs() ** p).sum(others, keepdim=True) ** (1.0 / p)
    factor = ew.where(norms > maxnorm, maxnorm / (norms + 1e-7), norms * 0 + 1)
    return input * factor


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source`` written (or added) at the flat positions ``index``."""
    check_tensor("put", input)
    flat = input.reshape(-1)
    from .indexing import index_put
    return index_put(flat, (index.reshape(-1),), source.reshape(-1).to(input.dtype), accumulate).reshape(
        tuple(input.shape))


def masked_scatter(input, mask, source):
    """A copy of ``input`` with the first elements of ``source`` written where ``mask`` is True (in order)."""
    check_tensor("masked_scatter", input)
    from ..shapes import broadcast_shapes
    shape = broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    full_mask = mask.expand(shape)
    count = int(full_mask.sum().item())
    if count > source.numel():
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    result = input.expand(shape).clone()
    result[full_mask] = source.reshape(-1)[:count]
    return result
