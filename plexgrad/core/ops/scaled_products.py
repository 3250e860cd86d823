"""``beta * input + alpha * product`` composites: ``addmm``, ``baddbmm``, ``addbmm``, ``addmv``, ``addr``.

As in torch, ``beta=0`` ignores ``input`` entirely (a ``nan`` in it does not reach the result),
and the shapes of the factors are checked before anything runs.
"""

__all__ = ["addmm", "baddbmm", "addbmm", "addmv", "addr"]

from .composite import check_tensor
from .linalg import bmm, mm, mv, outer


def _check_ndim(name, value, ndim, argument):
    check_tensor(name, value, argument)
    if value._data.ndim != ndim:
        raise RuntimeError(f"{name}: {argument} must be a {ndim}D tensor, got {value._data.ndim}D")


def _combine(input, product, beta, alpha):
    from ..op import cast, promote_pair
    from ..shapes import broadcast_shapes_or_none
    shape = tuple(product._data.shape)
    if broadcast_shapes_or_none(tuple(input._data.shape), shape) != shape:
        raise RuntimeError(f"The expanded size of the input {list(input.shape)} must match the product's size "
                           f"{list(shape)}: input must broadcast to it")
    if not product._dtype.is_floating_point:  # torch truncates the factors for integer operands
        alpha, beta = int(alpha), int(beta)
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:  # input is ignored, so nan or inf in it do not reach the result
        return cast(scaled, promote_pair(input, scaled)).clone()
    return (input if beta == 1 else input * beta) + scaled


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices ``mat1`` ``(n, m)`` and ``mat2`` ``(m, p)``."""
    check_tensor("addmm", input)
    _check_ndim("addmm", mat1, 2, "mat1")
    _check_ndim("addmm", mat2, 2, "mat2")
    return _combine(input, mm(mat1, mat2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)`` for batches of matrices."""
    check_tensor("baddbmm", input)
    _check_ndim("baddbmm", batch1, 3, "batch1")
    _check_ndim("baddbmm", batch2, 3, "batch2")
    return _combine(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    check_tensor("addbmm", input)
    _check_ndim("addbmm", batch1, 3, "batch1")
    _check_ndim("addbmm", batch2, 3, "batch2")
    return _combine(input, bmm(batch1, batch2).sum(0), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    check_tensor("addmv", input)
    _check_ndim("addmv", mat, 2, "mat")
    _check_ndim("addmv", vec, 1, "vec")
    return _combine(input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    check_tensor("addr", input)
    _check_ndim("addr", vec1, 1, "vec1")
    _check_ndim("addr", vec2, 1, "vec2")
    return _combine(input, outer(vec1, vec2), beta, alpha)
