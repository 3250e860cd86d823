"""``torch.special``: special functions, each differentiable on every backend.

    import plexgrad as torch
    torch.special.erfinv(torch.tensor([0.5]))      # tensor([0.4769])
    torch.special.gammaln(torch.tensor([4.0]))     # tensor([1.7918])  (log 3!)
"""

__all__ = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln", "digamma", "psi",
           "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "sinc", "entr",
           "logsumexp", "softmax", "log_softmax", "expm1", "exp2", "log1p", "round"]

from ..core.ops.activation import erf, logsumexp
from ..core.ops.elementwise import expm1, log1p
from ..core.ops.keyword_forms import round
from ..core.ops.special import (digamma, entr, erfc, erfcx, erfinv, exp2, expit, i0, i0e, i1, i1e, lgamma as gammaln,
                                log_ndtr, logit, multigammaln, ndtr, ndtri, polygamma, sinc, xlog1py, xlogy)
from ..core.ops import activation as _activation

psi = digamma


def softmax(input, dim, *, dtype=None):
    """``torch.special.softmax``: softmax along ``dim`` (dim is required)."""
    return _activation.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``torch.special.log_softmax``: log of softmax along ``dim`` (dim is required)."""
    return _activation.log_softmax(input, dim, dtype=dtype)
