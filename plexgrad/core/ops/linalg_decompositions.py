"""Matrix decompositions: svd, svdvals, qr, cholesky, eigh, eigvalsh.

Every decomposition has gradients (rules in ``linalg_gradients.py``); the cases torch does not
differentiate (svd with full_matrices of a non-square input, qr mode 'r'/'complete' of a
non-square one) record a node whose backward raises NotImplementedError naming the op.
"""

__all__ = ["svd", "svdvals", "qr", "cholesky", "cholesky_ex", "eigh", "eigvalsh", "svd_result", "qr_result",
           "eigh_result"]

import collections

from ..autograd.grad_mode import state as grad_state
from ..op import Rule, declare, record
from ..tensor import make_tensor
from .composite import refuse_backward
from .linalg_checks import call_kernel, check_finite_result, check_matrix

svd_result = collections.namedtuple("svd", ["U", "S", "Vh"])
qr_result = collections.namedtuple("qr", ["Q", "R"])
eigh_result = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
cholesky_ex_result = collections.namedtuple("cholesky_ex", ["L", "info"])

_svd_op = declare("linalg_svd", signature="x, full_matrices: static")
_qr_op = declare("linalg_qr", signature="x, mode: static")
_cholesky_op = declare("linalg_cholesky", signature="x")
_eigh_op = declare("linalg_eigh", signature="x, lower: static")

_REFUSE = {name: refuse_backward(f"linalg.{name}") for name in ("svd", "qr", "cholesky", "eigh")}


def _outputs(name, A, arrays, differentiable=True):
    """Wrap native results; when A requires grad each output gets its own node (``linalg_gradients``),
    or, where no rule applies (full_matrices svd of a non-square input), a node that refuses backward."""
    results = tuple(make_tensor(array, A._dtype, A._device) for array in arrays)
    if grad_state.enabled and A._requires_grad:
        from .linalg_gradients import RULES
        rules = RULES[name] if differentiable else (_REFUSE[name],) * len(results)
        saved = tuple(make_tensor(array, A._dtype, A._device) for array in arrays)
        for result, rule in zip(results, rules):
            record(rule, (A,), result, params=saved)
    return results


def svd(A, full_matrices=True):
    """``(U, S, Vh)`` with ``A = U @ diag(S) @ Vh``, singular values descending (forward only;
    use :func:`svdvals` when only S needs a gradient)."""
    check_matrix("linalg.svd", A, square=False)
    u, s, vh = call_kernel(_svd_op, "linalg.svd", (A,), (bool(full_matrices),))
    rows, columns = A._data.shape[-2:]
    # torch: full_matrices=True has no derivative unless A is square (U or Vh is then not unique)
    return svd_result(*_outputs("svd", A, (u, s, vh), differentiable=not full_matrices or rows == columns))


def _svdvals_backward(node, grad):
    u, vh = node.params
    return ((u * grad.unsqueeze(-2)) @ vh,)


_SVDVALS_RULE = Rule("LinalgSvdBackward0", _svdvals_backward)


def svdvals(A):
    """The singular values of A, descending (differentiable where they are distinct)."""
    check_matrix("linalg.svdvals", A, square=False)
    u, s, vh = call_kernel(_svd_op, "linalg.svdvals", (A,), (False,))
    values = make_tensor(s, A._dtype, A._device)
    if grad_state.enabled and A._requires_grad:
        record(_SVDVALS_RULE, (A,), values,
               params=(make_tensor(u, A._dtype, A._device), make_tensor(vh, A._dtype, A._device)))
    return values


def qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = Q @ R``; ``mode`` is 'reduced', 'complete' or 'r' (Q empty). Forward only."""
    check_matrix("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    q, r = call_kernel(_qr_op, "linalg.qr", (A,), (mode,))
    rows, columns = A._data.shape[-2:]
    q_tensor, r_tensor = _outputs("qr", A, (q, r), differentiable=mode == "reduced" or rows == columns)
    if mode == "r":
        from ..factories import zeros
        q_tensor = zeros(0, dtype=A._dtype, device=A._device)
    return qr_result(q_tensor, r_tensor)


def cholesky(A, *, upper=False):
    """The lower-triangular L with ``A = L @ L^T`` (``upper=True``: U with ``A = U^T @ U``).
    LinAlgError when A is not positive-definite.  Forward only."""
    check_matrix("linalg.cholesky", A)
    failure = "The factorization could not be completed because the input is not positive-definite."
    lower = call_kernel(_cholesky_op, "linalg.cholesky", (A,), failure=failure)
    check_finite_result("linalg.cholesky", (A,), (lower,), failure)
    (result,) = _outputs("cholesky", A, (lower,))
    return result.mT if upper else result


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``; here info is always 0 and failures raise LinAlgError."""
    from ..factories import zeros
    from .. import dtypes
    return cholesky_ex_result(cholesky(A, upper=upper),
                              zeros(tuple(A._data.shape[:-2]), dtype=dtypes.int32, device=A._device))


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read from its
    lower (``UPLO='L'``) or upper triangle.  Forward only; use :func:`eigvalsh` for gradients of
    the eigenvalues."""
    check_matrix("linalg.eigh", A)
    _check_uplo(UPLO)
    values, vectors = call_kernel(_eigh_op, "linalg.eigh", (A,), (UPLO == "L",))
    return eigh_result(*_outputs("eigh", A, (values, vectors)))


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _eigvalsh_backward(node, grad):
    (vectors,) = node.params
    return ((vectors * grad.unsqueeze(-2)) @ vectors.mT,)


_EIGVALSH_RULE = Rule("LinalgEighBackward0", _eigvalsh_backward)


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of a symmetric matrix (differentiable where they are distinct)."""
    check_matrix("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    values, vectors = call_kernel(_eigh_op, "linalg.eigvalsh", (A,), (UPLO == "L",))
    result = make_tensor(values, A._dtype, A._device)
    if grad_state.enabled and A._requires_grad:
        record(_EIGVALSH_RULE, (A,), result, params=(make_tensor(vectors, A._dtype, A._device),))
    return result
