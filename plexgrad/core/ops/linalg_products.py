"""Products built on matmul: vecdot, multi_dot, matrix_power (all differentiable)."""

__all__ = ["vecdot", "multi_dot", "matrix_power"]

from .linalg import matmul
from .linalg_checks import check_matrix


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along ``dim`` (batches broadcast)."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """``tensors[0] @ tensors[1] @ ...``; the first and last may be 1-d."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    result = tensors[0]
    for tensor in tensors[1:]:
        result = matmul(result, tensor)
    return result


def matrix_power(A, n):
    """``A`` multiplied by itself ``n`` times (``n < 0`` uses the inverse, ``n = 0`` the identity)."""
    check_matrix("linalg.matrix_power", A)
    if n == 0:
        from ..factories import eye
        identity = eye(A._data.shape[-1], dtype=A._dtype, device=A._device)
        return identity.expand(tuple(A._data.shape))
    if n < 0:
        from .linalg_solvers import inv
        A, n = inv(A), -n
    result = None
    base = A
    while n:  # square and multiply
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result
