"""The array API ``linalg`` extension on plexgrad's linear algebra (``plexgrad.linalg``).

Results with several parts are the standard's named tuples (``eigh(x).eigenvectors``,
``svd(x).Vh``...).  ``matrix_rank`` and ``pinv`` are composed from ``svd``.
"""

__all__ = ["cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm",
           "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv", "qr", "slogdet", "solve", "svd",
           "svdvals", "tensordot", "trace", "vecdot", "vector_norm"]

import collections

from .. import linalg as _plexgrad_linalg
from ..core import dtypes as _dtypes
from ..core.ops import elementwise as _ew
from ..core.ops import linalg as _linalg
from ..core.ops import reduction as _reduction
from ..core.ops import shape as _shape
from ..core.shapes import broadcast_shapes
from ._dtypes import as_standard_dtype, finfo, promote_arrays
from ._linear_algebra import matmul, matrix_transpose, tensordot, vecdot

EighResult = collections.namedtuple("EighResult", "eigenvalues eigenvectors")
QRResult = collections.namedtuple("QRResult", "Q R")
SlogdetResult = collections.namedtuple("SlogdetResult", "sign logabsdet")
SVDResult = collections.namedtuple("SVDResult", "U S Vh")


def cholesky(x, /, *, upper=False):
    """The Cholesky factor of symmetric positive-definite matrices (lower unless ``upper``)."""
    return _plexgrad_linalg.cholesky(x, upper=upper)


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along ``axis``."""
    x1, x2 = promote_arrays(x1, x2)
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    if not -len(shape) <= axis < len(shape) or x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(f"cross(): axis {axis} must have extent 3 in both arrays, got {tuple(x1.shape)} and "
                         f"{tuple(x2.shape)}")
    x1, x2 = _shape.broadcast_to(x1, shape), _shape.broadcast_to(x2, shape)
    a = _shape.unbind(x1, axis)
    b = _shape.unbind(x2, axis)
    parts = (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    return _shape.stack(parts, axis % len(shape))


def det(x, /):
    """Determinants of the matrices in ``x``."""
    return _plexgrad_linalg.det(x)


def diagonal(x, /, *, offset=0):
    """Diagonal ``offset`` of the last two axes."""
    return _shape.diagonal(x, offset, -2, -1)


def eigh(x, /):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices."""
    values, vectors = _plexgrad_linalg.eigh(x)
    return EighResult(values, vectors)


def eigvalsh(x, /):
    """Eigenvalues (ascending) of symmetric matrices."""
    return _plexgrad_linalg.eigvalsh(x)


def inv(x, /):
    """Inverses of the matrices in ``x``."""
    return _plexgrad_linalg.inv(x)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002  the standard's name
    """Matrix norms over the last two axes (``'fro'``, ``'nuc'``, 1, -1, 2, -2, inf, -inf)."""
    return _plexgrad_linalg.matrix_norm(x, ord=ord, dim=(-2, -1), keepdim=keepdims)


def matrix_power(x, n, /):
    """``x`` multiplied by itself ``n`` times (the inverse's power for negative ``n``)."""
    return _plexgrad_linalg.matrix_power(x, n)


def _default_rtol(x):
    return max(x.shape[-2], x.shape[-1]) * finfo(x.dtype).eps


def matrix_rank(x, /, *, rtol=None):
    """Number of singular values above ``rtol`` times the largest one."""
    if x.numel() == 0:
        return x.new_zeros(tuple(x.shape[:-2]), dtype=_dtypes.int64)
    singular = svdvals(x)
    if rtol is None:
        rtol = _default_rtol(x)
    elif hasattr(rtol, "ndim"):
        rtol = rtol.unsqueeze(-1)
    largest = _reduction.amax(singular, -1, True) if singular.shape[-1] else singular
    return _reduction.sum((singular > largest * rtol).to(_dtypes.int64), -1)


def pinv(x, /, *, rtol=None):
    """The Moore-Penrose pseudo-inverse, from the SVD (singular values below ``rtol`` times the largest dropped)."""
    if x.numel() == 0:
        return x.new_zeros(tuple(x.shape[:-2]) + (x.shape[-1], x.shape[-2]))
    u, s, vh = _plexgrad_linalg.svd(x, full_matrices=False)
    if rtol is None:
        rtol = _default_rtol(x)
    elif hasattr(rtol, "ndim"):
        rtol = rtol.unsqueeze(-1)
    cutoff = _reduction.amax(s, -1, True) * rtol if s.shape[-1] else s
    inverse_s = _ew.where(s > cutoff, 1 / _ew.where(s > cutoff, s, 1.0), 0.0)
    return _linalg.matmul(vh.mT * inverse_s.unsqueeze(-2), u.mT)


def outer(x1, x2, /):
    """The outer product of two 1-D arrays."""
    x1, x2 = promote_arrays(x1, x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"outer() needs 1-D arrays, got {x1.ndim}-D and {x2.ndim}-D")
    return _linalg.outer(x1, x2)


def qr(x, /, *, mode="reduced"):
    """The QR decomposition (``mode`` 'reduced' or 'complete')."""
    q, r = _plexgrad_linalg.qr(x, mode=mode)
    return QRResult(q, r)


def slogdet(x, /):
    """Sign and log of the absolute value of the determinants."""
    sign, logabsdet = _plexgrad_linalg.slogdet(x)
    return SlogdetResult(sign, logabsdet)


def solve(x1, x2, /):
    """The solution of ``x1 @ result = x2`` (``x2`` a vector when 1-D)."""
    x1, x2 = promote_arrays(x1, x2)
    return _plexgrad_linalg.solve(x1, x2)


def svd(x, /, *, full_matrices=True):
    """``U, S, Vh`` with ``x = U @ diag(S) @ Vh``."""
    u, s, vh = _plexgrad_linalg.svd(x, full_matrices=full_matrices)
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """Singular values (descending)."""
    return _plexgrad_linalg.svdvals(x)


def trace(x, /, *, offset=0, dtype=None):
    """Sum of diagonal ``offset`` of the last two axes."""
    from ._statistics import sum as standard_sum
    return standard_sum(diagonal(x, offset=offset), axis=-1, dtype=as_standard_dtype(dtype))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """Vector norms over ``axis`` (all axes when None)."""
    if axis is not None and not isinstance(axis, int):
        axis = tuple(axis)
    if axis == ():
        return _ew.abs(x) if ord not in (0,) else (x != 0).to(x.dtype)
    result = _plexgrad_linalg.vector_norm(x, ord=ord, dim=axis, keepdim=keepdims)
    if keepdims and axis is None and result.ndim != x.ndim:
        result = result.reshape((1,) * x.ndim)
    return result
