"""Activation layers: thin modules over ``plexgrad.nn.functional``."""

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
           "Softmax", "Softmin", "LogSoftmax", "Softplus", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid",
           "Softsign", "Tanhshrink", "Threshold", "GLU"]

from ...core.factories import empty
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module


class _InPlaceOption(Module):
    """An activation whose only option is ``inplace``."""

    function = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self).function(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class _Stateless(Module):
    """An activation without options."""

    function = None

    def forward(self, input):
        return type(self).function(input)


class ReLU(_InPlaceOption):
    """``max(x, 0)``."""
    function = staticmethod(F.relu)


class ReLU6(_InPlaceOption):
    """``min(max(x, 0), 6)``."""
    function = staticmethod(F.relu6)


class SELU(_InPlaceOption):
    """Scaled exponential linear unit."""
    function = staticmethod(F.selu)


class SiLU(_InPlaceOption):
    """``x * sigmoid(x)``."""
    function = staticmethod(F.silu)


class Mish(_InPlaceOption):
    """``x * tanh(softplus(x))``."""
    function = staticmethod(F.mish)


class Hardsigmoid(_InPlaceOption):
    """``relu6(x + 3) / 6``."""
    function = staticmethod(F.hardsigmoid)


class Hardswish(_InPlaceOption):
    """``x * relu6(x + 3) / 6``."""
    function = staticmethod(F.hardswish)


class Sigmoid(_Stateless):
    """Logistic sigmoid."""
    function = staticmethod(F.sigmoid)


class Tanh(_Stateless):
    """Hyperbolic tangent."""
    function = staticmethod(F.tanh)


class LogSigmoid(_Stateless):
    """``log(sigmoid(x))``."""
    function = staticmethod(F.logsigmoid)


class Softsign(_Stateless):
    """``x / (1 + |x|)``."""
    function = staticmethod(F.softsign)


class Tanhshrink(_Stateless):
    """``x - tanh(x)``."""
    function = staticmethod(F.tanhshrink)


class LeakyReLU(Module):
    """``x`` for positive ``x``, else ``negative_slope * x``."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Leaky ReLU with a learned slope (one, or one per channel)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        weight = self.weight
        if self.num_parameters > 1 or input.dim() >= 2:
            shape = [1] * input.dim()
            if input.dim() >= 2:
                shape[1] = self.num_parameters
            elif input.dim() == 1:
                shape[0] = self.num_parameters
            weight = weight.reshape(tuple(shape))
        return F.relu(input) + weight * (input - F.relu(input))

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """``x`` for positive ``x``, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """Continuously differentiable ELU."""

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """Gaussian error linear unit; ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _DimModule(Module):
    function = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return type(self).function(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """Softmax along ``dim``."""
    function = staticmethod(F.softmax)


class Softmin(_DimModule):
    """``softmax(-x)`` along ``dim``."""
    function = staticmethod(F.softmin)


class LogSoftmax(_DimModule):
    """``log(softmax(x))`` along ``dim``."""
    function = staticmethod(F.log_softmax)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """``x`` clipped to ``[min_val, max_val]``."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """Gated linear unit along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
