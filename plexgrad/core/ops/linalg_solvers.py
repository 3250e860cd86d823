"""Inverse, determinant and linear solves, with gradients.

Rules (for invertible A, B = inv(A)): d inv = -B^T g B^T; d det = g det B^T;
d logabsdet = g B^T; for X = solve(A, Y): dY = solve(A^T, g), dA = -dY X^T.
"""

__all__ = ["inv", "inv_ex", "det", "slogdet", "logdet", "solve", "slogdet_result"]

import collections

from ..autograd.grad_mode import state as grad_state
from ..op import Rule, cast, declare, promote_pair, record
from ..shapes import broadcast_shapes
from ..tensor import Tensor, make_tensor
from .linalg_checks import call_kernel, check_finite_result, check_matrix

slogdet_result = collections.namedtuple("slogdet", ["sign", "logabsdet"])
inv_ex_result = collections.namedtuple("inv_ex", ["inverse", "info"])

_SINGULAR = "The diagonal element is zero, the inversion could not be completed because the input matrix is " \
            "singular."


def _inv_backward(node, grad):
    inverse = node.saved_output()
    return (-(inverse.mT @ grad @ inverse.mT),)


_inv_op = declare("linalg_inv", _inv_backward, node_name="LinalgInvExBackward0", signature="x")


def _inverse(A):
    """inv without the argument checks and the host-side finite check: for derivative rules, which
    must not read values (numpy's kernel still raises LinAlgError for a singular matrix)."""
    data = call_kernel(_inv_op, "linalg.inv", (A,), failure=_SINGULAR)
    result = make_tensor(data, A._dtype, A._device)
    if grad_state.enabled and A._requires_grad:
        record(_inv_op.rule, (A,), result, save_output=True)
    return result


def inv(A, *, out=None):
    """The inverse of a square matrix (or of each matrix in a batch); LinAlgError if singular."""
    check_matrix("linalg.inv", A)
    result = _inverse(A)
    check_finite_result("linalg.inv", (A,), (result._data,), _SINGULAR)
    if out is not None:
        from .composite import write_out
        return write_out(out, result)
    return result


def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``; here info is always 0 and singular inputs raise LinAlgError."""
    from ..factories import zeros
    from .. import dtypes
    return inv_ex_result(inv(A), zeros(tuple(A._data.shape[:-2]), dtype=dtypes.int32, device=A._device))


def _det_backward(node, grad):
    (A,) = node.saved_tensors
    determinant = node.saved_output()
    scale = (grad * determinant).unsqueeze(-1).unsqueeze(-1)
    return (scale * _inverse(A).mT,)


_det_op = declare("linalg_det", _det_backward, node_name="LinalgDetBackward0", signature="x")


def det(A):
    """The determinant of a square matrix (or batch).  Its gradient needs A invertible."""
    check_matrix("linalg.det", A)
    data = call_kernel(_det_op, "linalg.det", (A,))
    result = make_tensor(data, A._dtype, A._device)
    if grad_state.enabled and A._requires_grad:
        record(_det_op.rule, (A,), result, saved=(A,), save_output=True)
    return result


def _logabsdet_backward(node, grad):
    (A,) = node.saved_tensors
    return (grad.unsqueeze(-1).unsqueeze(-1) * _inverse(A).mT,)


_slogdet_op = declare("linalg_slogdet", signature="x")
_LOGABSDET_RULE = Rule("LinalgSlogdetBackward0", _logabsdet_backward)


def slogdet(A):
    """``(sign, logabsdet)`` with ``det(A) = sign * exp(logabsdet)``, stable for large matrices.
    The gradient flows through ``logabsdet``."""
    check_matrix("linalg.slogdet", A)
    sign, logabsdet = call_kernel(_slogdet_op, "linalg.slogdet", (A,))
    sign = make_tensor(sign, A._dtype, A._device)
    logabsdet = make_tensor(logabsdet, A._dtype, A._device)
    if grad_state.enabled and A._requires_grad:
        record(_LOGABSDET_RULE, (A,), logabsdet, saved=(A,))
    return slogdet_result(sign, logabsdet)


def logdet(A):
    """``log(det(A))``: NaN for a negative determinant, -inf for zero."""
    sign, logabsdet = slogdet(A)
    from .elementwise import where
    return where(sign < 0, float("nan"), where(sign == 0, float("-inf"), logabsdet))


def _solve_matrices(matrix, rhs):
    """X with ``matrix @ X = rhs`` for (batches of) matrices of the same batch shape, without the checks
    (derivative rules use it: they must not read values)."""
    data = call_kernel(_solve_op, "linalg.solve", (matrix, rhs), failure=_SINGULAR)
    result = make_tensor(data, rhs._dtype, rhs._device)
    if grad_state.enabled and (matrix._requires_grad or rhs._requires_grad):
        record(_solve_op.rule, (matrix, rhs), result, saved=(matrix,), save_output=True)
    return result


def _solve_backward(node, grad):
    (A,) = node.saved_tensors
    solution = node.saved_output()
    grad_rhs = _solve_matrices(A.mT, grad)
    grad_matrix = -(grad_rhs @ solution.mT) if node.edges[0] is not None else None
    return (grad_matrix, grad_rhs if node.edges[1] is not None else None)


_solve_op = declare("linalg_solve", _solve_backward, node_name="LinalgSolveExBackward0", signature="a, b")


def solve(A, B, *, left=True, out=None):
    """The solution X of ``A @ X = B`` (``X @ A = B`` with ``left=False``); batches broadcast.

    ``B`` of shape (*, n) is a (batch of) vector(s); (*, n, k) a (batch of) matrices.
    """
    check_matrix("linalg.solve", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' must be Tensor, not {type(B).__name__}")
    if not left:
        result = solve(A.mT, B.mT).mT
        if out is not None:
            from .composite import write_out
            return write_out(out, result)
        return result
    if A._dtype is not B._dtype:
        dtype = promote_pair(A, B)
        A, B = cast(A, dtype), cast(B, dtype)
    n = A._data.shape[-1]
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and
                                   tuple(B._data.shape) == tuple(A._data.shape[:-1]))
    rhs = B.unsqueeze(-1) if vector else B
    if rhs._data.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({'x'.join(map(str, A.shape[-2:]))} and {'x'.join(map(str, B.shape))})")
    batch = broadcast_shapes(tuple(A._data.shape[:-2]), tuple(rhs._data.shape[:-2]))
    matrix = A.expand(batch + (n, n)) if tuple(A._data.shape[:-2]) != batch else A
    rhs = rhs.expand(batch + tuple(rhs._data.shape[-2:])) if tuple(rhs._data.shape[:-2]) != batch else rhs
    result = _solve_matrices(matrix, rhs)
    check_finite_result("linalg.solve", (matrix, rhs), (result._data,), _SINGULAR)
    if vector:
        result = result.squeeze(-1)
    if out is not None:
        from .composite import write_out
        return write_out(out, result)
    return result
