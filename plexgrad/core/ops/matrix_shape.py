"""Matrix-shaped composites: ``tril``, ``triu``, ``diag``, ``diag_embed``, ``trace``.

Written in Tensor ops (a mask from ``arange`` and ``where``), so they run on every
backend and their gradients follow from ``where``'s: the gradient of ``tril`` is the
gradient masked the same way.  ``where`` (not a product with the mask) keeps an
``inf`` above the diagonal from turning into ``nan``.
"""

__all__ = ["tril", "triu", "diag", "diag_embed", "trace"]

from .. import dtypes
from ..shapes import wrap_dim
from .composite import check_tensor
from .elementwise import where


def _index_column(extent, device, shape):
    from ..factories import arange
    return arange(extent, device=device).reshape(shape)


def _triangle_mask(input, diagonal, lower):
    rows, columns = input._data.shape[-2:]
    device = input._device
    offset = _index_column(columns, device, (1, columns)) - _index_column(rows, device, (rows, 1))
    return offset <= diagonal if lower else offset >= diagonal


def _zero_like_scalar(input):
    from ..factories import zeros
    return zeros((), dtype=input._dtype, device=input._device)


def _check_matrix_batch(name, input):
    check_tensor(name, input)
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got {input._data.ndim}")


def tril(input, diagonal=0):
    """The lower triangle of the last two dimensions (elements above ``diagonal`` set to 0).

    >>> plexgrad.tril(plexgrad.ones(2, 3))
    tensor([[1., 0., 0.],
            [1., 1., 0.]])
    """
    _check_matrix_batch("tril", input)
    return where(_triangle_mask(input, int(diagonal), True), input, _zero_like_scalar(input))


def triu(input, diagonal=0):
    """The upper triangle of the last two dimensions (elements below ``diagonal`` set to 0)."""
    _check_matrix_batch("triu", input)
    return where(_triangle_mask(input, int(diagonal), False), input, _zero_like_scalar(input))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonal ``offset`` in the planes (``dim1``, ``dim2``) holds the last dimension of
    ``input`` (zeros elsewhere); ``dim1``, ``dim2`` count in the result's dimensions."""
    check_tensor("diag_embed", input)
    ndim = input._data.ndim + 1
    first, second = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if first == second:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    from .shape import cat, movedim
    from ..factories import zeros
    if input._data.ndim == 0:
        input = input.reshape(1)
    length = input._data.shape[-1]
    offset = int(offset)
    size = length + abs(offset)
    if offset:
        padding = zeros(tuple(input._data.shape[:-1]) + (abs(offset),), dtype=input._dtype, device=input._device)
        padded = cat([input, padding], -1)
    else:
        padded = input
    # the value at (row, column) is input[row] above the main diagonal, input[column] below it
    values = padded.unsqueeze(-1) if offset >= 0 else padded.unsqueeze(-2)
    device = input._device
    on_diagonal = (_index_column(size, device, (1, size)) - _index_column(size, device, (size, 1))) == offset
    result = where(on_diagonal, values, _zero_like_scalar(input))
    if (first, second) != (ndim - 2, ndim - 1):
        result = movedim(result, (ndim - 2, ndim - 1), (first, second))
    return result


def diag(input, diagonal=0):
    """1-d ``input``: the square matrix with ``input`` on diagonal ``diagonal``; 2-d: a copy of that
    diagonal as a 1-d tensor."""
    check_tensor("diag", input)
    ndim = input._data.ndim
    if ndim == 1:
        return diag_embed(input, diagonal)
    if ndim == 2:
        from .shape import diagonal as take_diagonal, clone
        return clone(take_diagonal(input, diagonal))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def trace(input):
    """The sum of the main diagonal of a 2-d tensor (integer inputs sum in int64, as ``sum``)."""
    check_tensor("trace", input)
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    from .shape import diagonal as take_diagonal
    if input._dtype is dtypes.bool:
        input = input.long()
    return take_diagonal(input).sum()
