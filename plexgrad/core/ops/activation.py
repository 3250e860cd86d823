"""Activations: softmax, log_softmax, logsumexp, gelu (through the ``erf`` primitive),
leaky_relu, elu, silu, softplus, hardtanh, and the dropout mask.

Most are composites of primitives, so their derivatives come for free.  softmax,
log_softmax and softplus compute their forward on detached data and record one
node with a closed-form rule: fewer ops per step, exact gradients where the
composed derivative would be unstable, and still differentiable twice.
"""

__all__ = ["erf", "softmax", "log_softmax", "logsumexp", "gelu", "leaky_relu", "elu", "selu", "celu", "silu",
           "mish", "softplus", "hardtanh", "relu6", "hardsigmoid", "hardswish", "logsigmoid", "softsign",
           "tanhshrink", "dropout_mask", "softmax_dim"]

import math

from .. import dtypes
from ..autograd.grad_mode import state as grad_state
from ..op import Rule, cast, record, unary
from ..shapes import wrap_dim
from ..tensor import Tensor, make_tensor
from . import elementwise as ew

_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)

erf = unary("erf", lambda node, grad: (grad * (-node.saved_tensors[0].square()).exp() * _TWO_OVER_ROOT_PI,),
            "float", save_input=True, doc="The error function, 2/sqrt(pi) * integral of exp(-t**2) from 0 to x.")


def _check_tensor(name, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(value).__name__}")


def _detached(tensor):
    return make_tensor(tensor._data, tensor._dtype, tensor._device)


def _recorded(rule, input, result, params, save_input=False):
    """Attach one node for ``rule`` to ``result`` (computed from detached data) when ``input`` needs grad."""
    if grad_state.enabled and input._requires_grad:
        record(rule, (input,), result, (input,) if save_input else (), params, save_output=not save_input)
    return result


def softmax_dim(ndim):
    """The dimension torch picks when softmax is called without ``dim`` (legacy behaviour)."""
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(name, input, dim, dtype):
    _check_tensor(name, input)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    if input._dtype.category != dtypes.FLOATING:
        raise RuntimeError(f"{name}(): expected a floating point input, got {input._dtype}; "
                           f"pass dtype=plexgrad.float32 or convert with .float()")
    ndim = input._data.ndim
    if dim is None:
        import warnings
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", stacklevel=3)
        dim = softmax_dim(ndim)
    return input, wrap_dim(dim, ndim) if ndim else None


def _log_softmax_backward(node, grad):
    dim = node.params
    return (grad - node.saved_output().exp() * grad.sum(dim, keepdim=True),)


def _softmax_backward(node, grad):
    dim = node.params
    output = node.saved_output()
    return (output * (grad - (grad * output).sum(dim, keepdim=True)),)


_LOG_SOFTMAX = Rule("LogSoftmaxBackward0", _log_softmax_backward)
_SOFTMAX = Rule("SoftmaxBackward0", _softmax_backward)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(input, dim))`` computed stably (shifted by the maximum)."""
    input, dim = _prepare("log_softmax", input, dim, dtype)
    data = _detached(input)
    if dim is None or data._data.size == 0:  # a 0-d tensor (a single element), or nothing to normalise
        return _recorded(_LOG_SOFTMAX, input, data * 0, dim)
    shifted = data - data.amax(dim, keepdim=True)
    result = shifted - shifted.exp().sum(dim, keepdim=True).log()
    return _recorded(_LOG_SOFTMAX, input, result, dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(input) / exp(input).sum(dim)``, computed stably; each slice along ``dim`` sums to 1."""
    input, dim = _prepare("softmax", input, dim, dtype)
    data = _detached(input)
    if dim is None or data._data.size == 0:
        return _recorded(_SOFTMAX, input, data * 0 + 1, dim)
    exponentials = (data - data.amax(dim, keepdim=True)).exp()
    result = exponentials / exponentials.sum(dim, keepdim=True)
    return _recorded(_SOFTMAX, input, result, dim)


def logsumexp(input, dim, keepdim=False):
    """``log(exp(input).sum(dim))`` without overflow."""
    _check_tensor("logsumexp", input)
    if input._dtype.category != dtypes.FLOATING:
        input = cast(input, dtypes.get_default_dtype())
    if input._data.ndim == 0:
        return input * 1
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) == 0:
        dims = tuple(range(input._data.ndim))
    shift = _detached(input).amax(tuple(dims), keepdim=True)
    shift = ew.where(shift.isinf(), 0.0, shift)
    result = (input - shift).exp().sum(tuple(dims), keepdim=True).log() + shift
    return result if keepdim else result.squeeze(tuple(dims))


def gelu(input, approximate="none"):
    """Gaussian error linear unit: ``x * Phi(x)``; ``approximate='tanh'`` uses the tanh formula."""
    _check_tensor("gelu", input)
    if approximate == "none":
        return input * (erf(input * (1 / math.sqrt(2.0))) + 1) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (inner.tanh() + 1) * 0.5
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")


def leaky_relu(input, negative_slope=0.01):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    _check_tensor("leaky_relu", input)
    return ew.where(input > 0, input, input * negative_slope)


# The negative branch is picked by ``x <= 0`` (not ``not x > 0``), as torch's elu_backward: a NaN
# takes the identity branch, so its gradient is 1 (times selu's scale), not NaN.
def elu(input, alpha=1.0):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    _check_tensor("elu", input)
    negative_side = input <= 0
    negative = ew.where(negative_side, input, 0.0)  # keeps exp finite (and its gradient) on the positive side
    return ew.where(negative_side, negative.expm1() * alpha, input)


def celu(input, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    _check_tensor("celu", input)
    negative_side = input <= 0
    negative = ew.where(negative_side, input, 0.0)
    return ew.where(negative_side, (negative / alpha).expm1() * alpha, input)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input):
    """Scaled ELU with torch's constants."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def silu(input):
    """``x * sigmoid(x)`` (also called swish)."""
    _check_tensor("silu", input)
    return input * input.sigmoid()


def _softplus_backward(node, grad):
    (input,) = node.saved_tensors
    beta, threshold = node.params
    scaled = input * beta
    return (ew.where(scaled > threshold, grad, grad * scaled.sigmoid()),)


_SOFTPLUS = Rule("SoftplusBackward0", _softplus_backward)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    _check_tensor("softplus", input)
    if input._dtype.category != dtypes.FLOATING:
        input = cast(input, dtypes.get_default_dtype())
    data = _detached(input)
    scaled = data * beta
    smooth = (scaled.relu() + (-scaled.abs()).exp().log1p()) / beta
    result = ew.where(scaled > threshold, data, smooth)
    return _recorded(_SOFTPLUS, input, result, (beta, threshold), save_input=True)


def mish(input):
    """``x * tanh(softplus(x))``."""
    return input * softplus(input).tanh()


def logsigmoid(input):
    """``log(sigmoid(x))`` without overflow: ``-softplus(-x)``."""
    return -softplus(-input)


def _hardtanh_backward(node, grad):
    (input,) = node.saved_tensors
    min_val, max_val = node.params
    return (grad * ((input > min_val) & (input < max_val)),)


_HARDTANH = Rule("HardtanhBackward0", _hardtanh_backward)


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """``x`` clipped to ``[min_val, max_val]``; the gradient passes only inside the open interval
    (so not at a NaN, which stays NaN), as torch's hardtanh_backward."""
    _check_tensor("hardtanh", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if not input._dtype.is_floating_point:  # torch keeps the integer dtype: the bounds are truncated to it
        min_val, max_val = int(min_val), int(max_val)
    data = _detached(input)
    clipped = ew.where(data <= min_val, min_val, data)
    result = ew.where(data >= max_val, max_val, clipped)
    return _recorded(_HARDTANH, input, result, (min_val, max_val), save_input=True)


def relu6(input):
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input):
    """``relu6(x + 3) / 6``."""
    _check_tensor("hardsigmoid", input)
    return hardtanh(input + 3, 0.0, 6.0) / 6


def _hardswish_backward(node, grad):
    (input,) = node.saved_tensors
    inside = ew.where(input < 3, grad * (input / 3 + 0.5), grad)
    return (ew.where(input <= -3, 0.0, inside),)


_HARDSWISH = Rule("HardswishBackward0", _hardswish_backward)


def hardswish(input):
    """``x * relu6(x + 3) / 6``, with torch's gradient: 0 up to -3, ``x / 3 + 0.5`` below 3, else 1
    (also at inf and NaN, where the product rule would give NaN)."""
    _check_tensor("hardswish", input)
    data = _detached(input)
    result = data * (hardtanh(data + 3, 0.0, 6.0) / 6)
    return _recorded(_HARDSWISH, input, result, None, save_input=True)


def softsign(input):
    """``x / (1 + |x|)``."""
    _check_tensor("softsign", input)
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    _check_tensor("tanhshrink", input)
    return input - input.tanh()


def dropout_mask(input, p, generator=None):
    """A tensor like ``input`` holding ``1 / (1 - p)`` with probability ``1 - p`` and 0 elsewhere."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    from ..factories import rand, zeros
    shape = tuple(input._data.shape)
    if p == 1.0:
        return zeros(shape, dtype=input._dtype, device=input._device)
    keep = rand(shape, generator=generator, dtype=input._dtype, device=input._device) >= p
    return cast(keep, input._dtype) * (1.0 / (1.0 - p))
