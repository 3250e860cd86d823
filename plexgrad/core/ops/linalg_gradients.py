"""Derivative rules of the matrix decompositions (cholesky, eigh, svd, qr), written in Tensor ops.

Each output of a decomposition gets its own node: the backward formulas are linear in the output
gradients, so summing each output's contribution gives the joint formula (torch's
``linalg_eig_backward``, ``svd_backward``, ``linalg_qr_backward`` and ``cholesky_backward``).
A node's ``params`` hold the decomposition's outputs (without history).  Like torch's, the rules
assume distinct eigen/singular values (repeated ones give inf or nan, as in torch).
"""

__all__ = ["RULES"]

from ..op import Rule


def _eye_like(matrix):
    from ..factories import eye
    size = matrix._data.shape[-1]
    return eye(size, dtype=matrix._dtype, device=matrix._device)


def _gaps(values, squared=False):
    """``E[i, j] = v_j - v_i`` (or ``v_j**2 - v_i**2``) with 1 on the diagonal (divided into a matrix whose
    diagonal is 0)."""
    if squared:
        values = values * values
    gaps = values.unsqueeze(-2) - values.unsqueeze(-1)
    return gaps + _eye_like(gaps)


def _eigenvalues_backward(node, grad):
    values, vectors = node.params
    return ((vectors * grad.unsqueeze(-2)) @ vectors.mT,)


def _eigenvectors_backward(node, grad):
    values, vectors = node.params
    projected = vectors.mT @ grad
    skew = (projected - projected.mT) * 0.5
    return (vectors @ (skew / _gaps(values)) @ vectors.mT,)


def _cholesky_backward(node, grad):
    (lower,) = node.params
    from .linalg_solvers import inv
    product = (lower.mT @ grad).tril()
    symmetric = (product + product.tril(-1).mT) * 0.5
    inverse = inv(lower)
    return (inverse.mT @ symmetric @ inverse,)


def _singular_values_backward(node, grad):
    u, s, vh = node.params
    return ((u * grad.unsqueeze(-2)) @ vh,)


def _left_vectors_backward(node, grad):
    u, s, vh = node.params
    projected = u.mT @ grad
    inner = ((projected - projected.mT) / _gaps(s, squared=True)) * s.unsqueeze(-2)
    result = u @ inner @ vh
    if u._data.shape[-2] > u._data.shape[-1]:  # the part of grad outside U's column space
        outside = grad - u @ projected
        result = result + (outside / s.unsqueeze(-2)) @ vh
    return (result,)


def _right_vectors_backward(node, grad):
    u, s, vh = node.params
    v, grad_v = vh.mT, grad.mT
    projected = v.mT @ grad_v
    inner = s.unsqueeze(-1) * ((projected - projected.mT) / _gaps(s, squared=True))
    result = u @ inner @ vh
    if vh._data.shape[-1] > vh._data.shape[-2]:
        outside = grad_v - v @ projected
        result = result + (u / s.unsqueeze(-2)) @ outside.mT
    return (result,)


def _symmetric_from_upper(matrix):
    upper = matrix.triu()
    return upper + upper.mT - upper.diagonal(0, -2, -1).diag_embed()


def _qr_gradient(q, r, grad_q, middle):
    from .linalg_solvers import inv
    if q._data.shape[-2] < r._data.shape[-1]:
        raise NotImplementedError("The derivative of linalg.qr is implemented for inputs with at least as many rows "
                                  "as columns (torch's case m >= n; the wide case needs a split of the input)")
    body = q @ _symmetric_from_upper(middle)
    if grad_q is not None:
        body = grad_q + body
    return (body @ inv(r).mT,)


def _q_backward(node, grad):
    q, r = node.params
    return _qr_gradient(q, r, grad, -(q.mT @ grad))


def _r_backward(node, grad):
    q, r = node.params
    return _qr_gradient(q, r, None, grad @ r.mT)


RULES = {
    "eigh": (Rule("LinalgEighBackward0", _eigenvalues_backward), Rule("LinalgEighBackward0", _eigenvectors_backward)),
    "cholesky": (Rule("LinalgCholeskyExBackward0", _cholesky_backward),),
    "svd": (Rule("LinalgSvdBackward0", _left_vectors_backward), Rule("LinalgSvdBackward0", _singular_values_backward),
            Rule("LinalgSvdBackward0", _right_vectors_backward)),
    "qr": (Rule("LinalgQrBackward0", _q_backward), Rule("LinalgQrBackward0", _r_backward)),
}
"""Per decomposition, one rule per output, in output order."""
