"""Tiling and rearranging composites: ``roll``, ``tile``, ``repeat_interleave``, ``meshgrid``.

Each is written in view ops, ``cat`` and ``index_select``, so it runs on every backend
and differentiates through their rules.
"""

__all__ = ["roll", "tile", "repeat_interleave", "meshgrid"]

import warnings

from .. import dtypes
from ..shapes import shape_from_args, wrap_dim
from ..tensor import Tensor
from .composite import check_tensor


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def roll(input, shifts, dims=None):
    """Shift elements along ``dims`` by ``shifts`` (wrapping around); without ``dims`` the flattened
    tensor is rolled and the shape restored.

    >>> plexgrad.roll(plexgrad.arange(5), 2)
    tensor([3, 4, 0, 1, 2])
    """
    check_tensor("roll", input)
    from .shape import cat, narrow
    shifts = _as_tuple(shifts)
    if dims is None or dims == ():
        if len(shifts) != 1:
            raise RuntimeError(f"roll(): `shifts` required to be of size 1 when `dims` is not given, got "
                               f"{len(shifts)}")
        return roll(input.flatten(), shifts, 0).reshape(tuple(input._data.shape))
    dims = _as_tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    result = input
    ndim = max(input._data.ndim, 1)
    for shift, dim in zip(shifts, dims):
        dim = wrap_dim(dim, ndim)
        extent = result._data.shape[dim] if result._data.ndim else 1
        if extent == 0:
            continue
        shift = int(shift) % extent
        if shift == 0:
            continue
        result = cat([narrow(result, dim, extent - shift, shift), narrow(result, dim, 0, extent - shift)], dim)
    return result


def tile(input, *dims):
    """``input`` repeated ``dims[i]`` times along each dimension; fewer ``dims`` than dimensions are
    padded with 1s in front (unlike ``repeat``)."""
    check_tensor("tile", input)
    dims = shape_from_args(dims, "tile(): dims")
    ndim = input._data.ndim
    if len(dims) < ndim:
        dims = (1,) * (ndim - len(dims)) + tuple(dims)
    from .shape import repeat
    return repeat(input, *dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or slice along ``dim``) ``repeats`` times in place.

    ``repeats`` is an int or a 1-d integer tensor (one count per element); without ``dim`` the
    input is flattened first.  ``repeat_interleave(counts)`` alone repeats ``arange(len(counts))``.
    A tensor of counts is read on the host (the result's shape depends on it), as in torch.
    """
    if repeats is None:
        counts = check_tensor("repeat_interleave", input, "repeats")
        from ..factories import arange
        return repeat_interleave(arange(counts._data.shape[0] if counts._data.ndim else 1,
                                        device=counts._device), counts, 0, output_size=output_size)
    check_tensor("repeat_interleave", input)
    if dim is None:
        input = input.flatten()
        dim = 0
    dim = wrap_dim(dim, max(input._data.ndim, 1))
    if input._data.ndim == 0:
        input = input.reshape(1)
    extent = input._data.shape[dim]
    if isinstance(repeats, Tensor):
        if repeats._dtype.is_floating_point or repeats._dtype is dtypes.bool:
            raise RuntimeError(f"repeat_interleave(): repeats must be an integer tensor, got {repeats._dtype}")
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave(): repeats must be 0-dim or 1-dim tensor")
        counts = [int(value) for value in repeats.cpu().numpy().reshape(-1)]
        if len(counts) == 1:
            repeats = counts[0]
        else:
            if len(counts) != extent:
                raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim, "
                                   f"but got repeats.size(0) = {len(counts)} and input.size({dim}) = {extent}")
            return _by_counts(input, counts, dim, output_size)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    shape = tuple(input._data.shape)
    expanded = input.unsqueeze(dim + 1).expand(shape[:dim + 1] + (repeats,) + shape[dim + 1:])
    return expanded.reshape(shape[:dim] + (extent * repeats,) + shape[dim + 1:])


def _by_counts(input, counts, dim, output_size):
    if any(count < 0 for count in counts):
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    positions = [position for position, count in enumerate(counts) for _ in range(count)]
    if output_size is not None and output_size != len(positions):
        raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match the sum of repeats "
                           f"{len(positions)}")
    from ..factories import tensor
    from .selection import index_select
    index = tensor(positions, dtype=dtypes.int64, device=input._device)
    return index_select(input, dim, index)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-d tensors: output ``i`` varies along dimension ``i`` (``indexing='ij'``,
    the default) or with the first two dimensions swapped (``'xy'``).  The outputs are expanded views."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for position, value in enumerate(tensors):
        check_tensor("meshgrid", value, f"tensors[{position}]")
        if value._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {value}")
        if value._dtype is not tensors[0]._dtype or value._device is not tensors[0]._device:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype and device")
    vectors = [value.reshape(-1) for value in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(vector._data.shape[0] for vector in vectors)
    grids = []
    for position, vector in enumerate(vectors):
        view_shape = [1] * len(vectors)
        view_shape[position] = shape[position]
        grids.append(vector.reshape(tuple(view_shape)).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
