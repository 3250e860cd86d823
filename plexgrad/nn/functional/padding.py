"""``F.pad``: constant, reflect, replicate and circular padding of the last dimensions."""

__all__ = ["pad"]

from ...core.factories import full, tensor as make_tensor_from
from ...core.ops.shape import cat

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_positions(extent, before, after, mode):
    """For each output position along one dimension, the input position it copies."""
    positions = []
    for position in range(-before, extent + after):
        if mode == "replicate":
            positions.append(min(max(position, 0), extent - 1))
        elif mode == "circular":
            positions.append(position % extent)
        else:  # reflect (without repeating the edge)
            period = 2 * (extent - 1)
            folded = position % period if period else 0
            positions.append(folded if folded < extent else period - folded)
    return positions


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``: ``pad = (left, right)`` for the last dim, ``(left, right, top, bottom)`` for the last
    two, and so on.  Negative amounts crop (constant mode)."""
    if len(pad) % 2:
        raise ValueError(f"Padding length must be divisible by 2, got {len(pad)} values: {tuple(pad)}")
    if len(pad) // 2 > input.dim():
        raise ValueError(f"Padding length {len(pad)} is too large for a {input.dim()}-D input "
                         f"(at most 2 values per dimension)")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unsupported mode {mode!r}; choose one of {_MODES}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    output = input
    for pair in range(len(pad) // 2):
        before, after = int(pad[2 * pair]), int(pad[2 * pair + 1])
        dim = output.dim() - 1 - pair
        extent = output.shape[dim]
        if mode == "constant":
            output = _constant(output, dim, before, after, 0 if value is None else value)
            continue
        if mode == "reflect" and (before >= extent or after >= extent):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {dim} of input "
                               f"{list(input.shape)}")
        if mode == "circular" and (before < 0 or after < 0):
            # torch crops first, then wraps around what is left
            output = _constant(output, dim, min(before, 0), min(after, 0), 0)
            before, after, extent = max(before, 0), max(after, 0), output.shape[dim]
        if mode == "circular" and (before > extent or after > extent):
            raise ValueError(f"Padding value causes wrapping around more than once: ({before}, {after}) for "
                             f"dimension {dim} of size {extent}")
        index = make_tensor_from(_source_positions(extent, before, after, mode), device=output.device)
        key = (slice(None),) * dim + (index,)
        output = output[key]
    return output


def _constant(input, dim, before, after, value):
    if before < 0:
        input = input.narrow(dim, -before, input.shape[dim] + before)
        before = 0
    if after < 0:
        input = input.narrow(dim, 0, input.shape[dim] + after)
        after = 0
    pieces = []
    for amount in (before, None, after):
        if amount is None:
            pieces.append(input)
        elif amount:
            shape = list(input.shape)
            shape[dim] = amount
            pieces.append(full(tuple(shape), value, dtype=input.dtype, device=input.device))
    return cat(pieces, dim) if len(pieces) > 1 else input
