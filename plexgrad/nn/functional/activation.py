"""Functional activations (``F.relu``, ``F.gelu``, ``F.softmax``...).

The math lives in ``plexgrad.core.ops.activation``; this module adds torch's
functional signatures (``inplace=``, ``softmin``, ``threshold``...).
"""

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu", "gelu",
           "silu", "mish", "sigmoid", "tanh", "softmax", "softmin", "log_softmax", "softplus", "hardtanh",
           "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid", "softsign", "tanhshrink", "threshold",
           "glu", "normalize", "erf", "logsumexp"]

from ...core.inplace import in_place
from ...core.ops import activation as act, elementwise as ew
from ...core.ops.activation import erf, logsumexp, softsign, tanhshrink


def _maybe_in_place(function, input, inplace, *args):
    if inplace:
        return in_place(function, input, *args)
    return function(input, *args)


def relu(input, inplace=False):
    """``max(x, 0)`` element-wise."""
    return _maybe_in_place(ew.relu, input, inplace)


def relu_(input):
    """In-place ``relu``."""
    return in_place(ew.relu, input)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    return _maybe_in_place(act.relu6, input, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` for positive ``x``, else ``negative_slope * x``."""
    return _maybe_in_place(act.leaky_relu, input, inplace, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return in_place(act.leaky_relu, input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """``x`` for positive ``x``, else ``alpha * (exp(x) - 1)``."""
    return _maybe_in_place(act.elu, input, inplace, alpha)


def elu_(input, alpha=1.0):
    return in_place(act.elu, input, alpha)


def selu(input, inplace=False):
    """Scaled ELU."""
    return _maybe_in_place(act.selu, input, inplace)


def celu(input, alpha=1.0, inplace=False):
    """Continuously differentiable ELU."""
    return _maybe_in_place(act.celu, input, inplace, alpha)


def gelu(input, approximate="none"):
    """Gaussian error linear unit (exact, or ``approximate='tanh'``)."""
    return act.gelu(input, approximate)


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    return _maybe_in_place(act.silu, input, inplace)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return _maybe_in_place(act.mish, input, inplace)


def sigmoid(input):
    """Logistic sigmoid."""
    return ew.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent."""
    return ew.tanh(input)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along ``dim``: each slice becomes positive and sums to 1."""
    return act.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input, dim)``."""
    return act.softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(input, dim))``, computed stably."""
    return act.log_softmax(input, dim, dtype=dtype)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta`` (linear above ``threshold``)."""
    return act.softplus(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clipped to ``[min_val, max_val]``."""
    return _maybe_in_place(act.hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return in_place(act.hardtanh, input, min_val, max_val)


def hardsigmoid(input, inplace=False):
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6``."""
    return _maybe_in_place(act.hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    return _maybe_in_place(act.hardswish, input, inplace)


def logsigmoid(input):
    """``log(sigmoid(x))`` computed stably."""
    return act.logsigmoid(input)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value`` (a NaN stays NaN, as in torch)."""
    def apply(tensor, limit, replacement):
        return ew.where(tensor <= limit, replacement, tensor)
    return _maybe_in_place(apply, input, inplace, threshold, value)


def glu(input, dim=-1):
    """Gated linear unit: split ``input`` in two halves ``a, b`` along ``dim``; ``a * sigmoid(b)``."""
    extent = input.shape[dim]
    if extent % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size {extent}")
    first, second = input.chunk(2, dim)
    return first * second.sigmoid()


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Divide by the ``p``-norm along ``dim`` (at least ``eps``)."""
    if p == 2.0:
        norm = input.square().sum(dim, keepdim=True).sqrt()
    elif p == 0:  # the 0-"norm" counts the non-zero elements (1/p would divide by zero)
        norm = (input != 0).sum(dim, keepdim=True).to(input.dtype)
    elif p == float("inf"):
        norm = input.abs().amax(dim, keepdim=True)
    else:
        norm = (input.abs() ** p).sum(dim, keepdim=True) ** (1.0 / p)
    return input / ew.maximum(norm, ew.mul(norm, 0) + eps)
