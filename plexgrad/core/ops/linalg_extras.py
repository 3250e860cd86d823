"""More of ``torch.linalg``: ``pinv``, ``solve_triangular``, ``lstsq``, ``matrix_rank``, ``cond``, ``cross``,
``vander``, ``diagonal``, ``solve_ex``, and torch's older ``svd``/``pinverse``/``cholesky_solve``/
``cholesky_inverse``/``triangular_solve``.  Composites of svd, solve and inv; ``pinv`` has torch's
closed-form derivative (through svd it would be nan where singular values repeat, e.g. zeros)."""

__all__ = ["pinv", "solve_triangular", "lstsq", "matrix_rank", "cond", "cross", "vander", "diagonal", "solve_ex",
           "svd", "pinverse", "cholesky_solve", "cholesky_inverse", "triangular_solve"]

import collections

from .. import dtypes
from ..op import Rule
from ..shapes import wrap_dim
from ..tensor import Tensor
from .composite import with_rule
from .linalg_checks import check_matrix
from . import elementwise as ew

_lstsq_result = collections.namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])
_svd_result = collections.namedtuple("svd", ["U", "S", "V"])
_solve_ex_result = collections.namedtuple("solve_ex", ["result", "info"])
_triangular_solve_result = collections.namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def _default_rtol(A, atol):
    import numpy
    if atol is not None and atol > 0:
        return 0.0
    rows, columns = A._data.shape[-2:]
    return float(numpy.finfo(A._dtype.name).eps) * max(rows, columns)


def _largest(singular_values):
    """The largest singular value, kept as a dimension (0 for an empty matrix)."""
    if singular_values._data.size == 0 or singular_values._data.shape[-1] == 0:
        return singular_values.sum(-1, keepdim=True)
    return singular_values.amax(-1, keepdim=True)


def _pinv_backward(node, grad):
    (A,) = node.saved_tensors
    pinv_a = node.saved_output()
    rows, columns = A._data.shape[-2:]
    pinv_h, grad_h = pinv_a.mT, grad.mT
    if rows <= columns:
        k = grad_h @ pinv_a
        k_pinv_h = k @ pinv_h
        result = -(pinv_a @ k).mT + k_pinv_h - (A @ pinv_a) @ k_pinv_h + (pinv_h @ pinv_a) @ (grad_h - k @ A)
    else:
        k = pinv_a @ grad_h
        pinv_h_k = pinv_h @ k
        result = -(k @ pinv_a).mT + pinv_h_k - pinv_h_k @ pinv_a @ A + (grad_h - A @ k) @ pinv_a @ pinv_h
    return (result,)


_PINV = Rule("LinalgPinvBackward0", _pinv_backward)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse: singular values at most ``max(atol, rtol * largest)`` count as 0."""
    check_matrix("linalg.pinv", A, square=False)
    from .linalg_decompositions import svd as full_svd
    if hermitian:  # torch reads only the lower triangle of a hermitian input
        lower = A.tril()
        A = lower + lower.tril(-1).mT

    def forward():
        u, s, vh = full_svd(A, full_matrices=False)
        largest = _largest(s)
        relative = _default_rtol(A, atol) if rtol is None else rtol
        cutoff = ew.maximum(largest * relative, 0.0 if atol is None else atol)
        inverse = ew.where(s > cutoff, 1 / ew.where(s > cutoff, s, 1.0), 0.0)
        return (vh.mT * inverse.unsqueeze(-2)) @ u.mT
    return with_rule(_PINV, (A,), forward, saved=(A,), save_output=True)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``), reading only A's upper or lower triangle."""
    check_matrix("linalg.solve_triangular", A)
    triangle = A.triu() if upper else A.tril()
    if unitriangular:
        from ..factories import eye
        identity = eye(A._data.shape[-1], dtype=A._dtype, device=A._device)
        triangle = triangle * (1 - identity) + identity
    from .linalg_solvers import solve
    if left:
        return solve(triangle, B)
    return solve(triangle.mT, B.mT).mT


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` (through the pseudo-inverse); ``residuals`` and
    ``singular_values`` are filled as torch's cpu drivers fill them (empty for the default 'gelsy')."""
    check_matrix("linalg.lstsq", A, square=False)
    if driver not in (None, "gelsy", "gelsd", "gelss", "gels"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), "
                           f"got {driver}")
    vector = B._data.ndim == A._data.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    solution = pinv(A, rtol=rcond) @ rhs
    from ..factories import zeros
    rows, columns = A._data.shape[-2:]
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else zeros((0,), dtype=dtypes.int64, device=A._device)
    empty = zeros((0,), dtype=A._dtype, device=A._device)
    residuals = empty
    singular_values = empty
    if driver in ("gelsd", "gelss"):
        from .linalg_decompositions import svdvals
        singular_values = svdvals(A)
    if driver not in (None, "gelsy") and rows > columns and bool((rank == columns).all()):
        residuals = ((A @ solution - rhs) ** 2).sum(-2)
    return _lstsq_result(solution.squeeze(-1) if vector else solution, residuals, rank, singular_values)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above ``max(atol, rtol * largest)`` (int64)."""
    check_matrix("linalg.matrix_rank", A, square=False)
    from .linalg_decompositions import svdvals
    if tol is not None:
        atol, rtol = tol, 0.0
    if hermitian:
        lower = A.tril()
        A = lower + lower.tril(-1).mT
    s = svdvals(A.detach())
    largest = _largest(s)
    relative = _default_rtol(A, atol) if rtol is None else rtol
    cutoff = ew.maximum(largest * relative, 0.0 if atol is None else atol)
    return (s > cutoff).sum(-1)


def cond(A, p=None):
    """The condition number ``norm(A, p) * norm(inv(A), p)`` (``p`` None or 2: largest / smallest singular
    value; -2: the inverse ratio)."""
    from .linalg_decompositions import svdvals
    if p is None or p in (2, -2):
        s = svdvals(A)
        ratio = s.amax(-1) / s.amin(-1)
        return ratio if p != -2 else 1 / ratio
    from .linalg_norms import matrix_norm
    from .linalg_solvers import inv
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (inputs broadcast)."""
    from .shape import stack
    from ..shapes import broadcast_shapes
    shape = broadcast_shapes(tuple(input._data.shape), tuple(other._data.shape))
    input, other = input.expand(shape), other.expand(shape)
    dim = wrap_dim(dim, len(shape))
    if shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {shape[dim]} and "
                           f"{shape[dim]}")
    a = [input.select(dim, index) for index in range(3)]
    b = [other.select(dim, index) for index in range(3)]
    return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], dim)


def vander(x, *, N=None):
    """Columns ``x**0, x**1, ..., x**(N-1)`` (increasing powers, as torch.linalg.vander)."""
    if x._data.ndim == 0:
        x = x.reshape(1)
    count = x._data.shape[-1] if N is None else N
    if count < 0:
        raise RuntimeError(f"N must be non-negative, got {N}")
    if count == 0:
        return x.unsqueeze(-1)[..., :0]
    from .shape import cat
    powers = [x.unsqueeze(-1) ** 0]
    for _ in range(1, count):
        powers.append(powers[-1] * x.unsqueeze(-1))
    return cat(powers, -1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``A.diagonal(offset, dim1, dim2)`` with torch.linalg's defaults (the last two dimensions)."""
    return A.diagonal(offset, dim1, dim2)


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(solve(A, B), info)``; failures raise LinAlgError, so info is always 0."""
    from .linalg_solvers import solve
    from ..factories import zeros
    result = solve(A, B) if left else solve(A.mT, B.mT).mT
    return _solve_ex_result(result, zeros(tuple(A._data.shape[:-2]), dtype=dtypes.int32, device=A._device))


def svd(input, some=True, compute_uv=True):
    """torch.svd (older API): ``(U, S, V)`` with ``V`` not transposed; ``some=False`` gives full U and V."""
    from .linalg_decompositions import svd as linalg_svd
    u, s, vh = linalg_svd(input, full_matrices=not some)
    if not compute_uv:
        from ..factories import zeros
        return _svd_result(zeros(u.shape, dtype=input._dtype, device=input._device), s,
                           zeros(vh.shape, dtype=input._dtype, device=input._device))
    return _svd_result(u, s, vh.mT)


def pinverse(input, rcond=1e-15):
    """torch.pinverse: ``linalg.pinv`` with a relative cutoff ``rcond``."""
    return pinv(input, rtol=rcond)


def cholesky_solve(B, L, upper=False):
    """``X`` with ``(L L^T) X = B`` from a Cholesky factor ``L`` (``upper=True``: ``U^T U``)."""
    lower = L.mT if upper else L
    first = solve_triangular(lower, B, upper=False)
    return solve_triangular(lower.mT, first, upper=True)


def cholesky_inverse(L, upper=False):
    """The inverse of ``L L^T`` (``upper=True``: of ``U^T U``) from its Cholesky factor."""
    from ..factories import eye
    identity = eye(L._data.shape[-1], dtype=L._dtype, device=L._device)
    return cholesky_solve(identity.expand(tuple(L._data.shape)) if L._data.ndim > 2 else identity, L, upper)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (older API): ``(X, A.clone())`` with ``A X = b`` (``transpose``: ``A^T X = b``)."""
    coefficient = A.mT if transpose else A
    solution = solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    return _triangular_solve_result(solution, A.clone())
