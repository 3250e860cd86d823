"""Special functions (``plexgrad.special``): a few kernel primitives and composites of them.

Primitives with kernels (``backends/special_kernels.py`` for numpy and cupy, jax.scipy.special
on jax): ``erfc``, ``erfcx``, ``erfinv``, ``lgamma``, ``digamma``, ``i0``, ``i0e``, ``i1``, ``i1e``.
Their derivatives are written in Tensor ops (``lgamma' = digamma``, ``digamma' = polygamma(1)``,
``i0' = i1``...), so every function differentiates on every backend.  The rest are composites:
``polygamma`` (shifted asymptotic series), ``xlogy``, ``entr``, ``sinc``, ``ndtr``, ``log_ndtr``...
Composites that divide or take logs choose safe inputs for the branch ``where`` discards, so
its gradient is 0 rather than ``nan``.
"""

__all__ = ["erfc", "erfcx", "erfinv", "lgamma", "digamma", "i0", "i0e", "i1", "i1e", "polygamma", "multigammaln",
           "xlogy", "xlog1py", "entr", "sinc", "ndtr", "ndtri", "log_ndtr", "logit", "expit", "exp2", "trigamma"]

import math

from .. import dtypes
from ..op import Rule, unary
from .composite import check_tensor, with_rule
from . import elementwise as ew

_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


def _input(node):
    return node.saved_tensors[0]


erfc = unary("erfc", lambda node, grad: (grad * (-_input(node).square()).exp() * -_TWO_OVER_ROOT_PI,), "float",
             save_input=True, doc="Complementary error function ``1 - erf(x)``, accurate for large x.")
erfcx = unary("erfcx", lambda node, grad: (
    grad * (2 * _input(node) * node.saved_output() - _TWO_OVER_ROOT_PI),), "float", save_input=True,
    save_output=True, doc="Scaled complementary error function ``exp(x**2) * erfc(x)``.")
erfinv = unary("erfinv", lambda node, grad: (grad * node.saved_output().square().exp() * (math.sqrt(math.pi) / 2),),
               "float", save_output=True, doc="Inverse error function on (-1, 1) (+-inf at +-1, nan outside).")
lgamma = unary("lgamma", lambda node, grad: (grad * digamma(_input(node)),), "float", save_input=True,
               doc="``log|Gamma(x)|`` (``inf`` at 0, -1, -2, ...).")
digamma = unary("digamma", lambda node, grad: (grad * trigamma(_input(node)),), "float", save_input=True,
                doc="``d/dx log Gamma(x)`` (``-inf`` at 0, ``nan`` at negative integers).")
i1 = unary("i1", lambda node, grad: (grad * _i1_derivative(_input(node), node.saved_output()),), "float",
           save_input=True, save_output=True, doc="Modified Bessel function of the first kind, order 1.")
i0 = unary("i0", lambda node, grad: (grad * i1(_input(node)),), "float", save_input=True,
           doc="Modified Bessel function of the first kind, order 0.")
i1e = unary("i1e", lambda node, grad: (grad * _i1e_derivative(_input(node), node.saved_output()),), "float",
            save_input=True, save_output=True, doc="``exp(-|x|) * i1(x)``.")
i0e = unary("i0e", lambda node, grad: (grad * (i1e(_input(node)) - _input(node).sign() * node.saved_output()),),
            "float", save_input=True, save_output=True, doc="``exp(-|x|) * i0(x)``.")


def _i1_derivative(x, output):
    # i1'(x) = i0(x) - i1(x) / x, and 1/2 at 0
    safe = ew.where(x == 0, 1.0, x)
    return ew.where(x == 0, 0.5, i0(x) - output / safe)


def _i1e_derivative(x, output):
    safe = ew.where(x == 0, 1.0, x)
    return ew.where(x == 0, 0.5, i0e(x) - output * (x.sign() + 1 / safe))


def _floating(name, input):
    check_tensor(name, input)
    if not input._dtype.is_floating_point:
        from ..op import cast
        input = cast(input, dtypes.get_default_dtype())
    return input


def polygamma(n, input):
    """The ``n``-th derivative of digamma: ``digamma`` for ``n=0``; for ``n >= 1`` the series
    ``(-1)**(n+1) n! sum_k 1/(x+k)**(n+1)``, shifted up to ``x >= 10`` and finished by its asymptotic
    expansion (accurate to ~1e-13 for ``x > -10``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got {n!r})")
    input = _floating("polygamma", input)
    if n == 0:
        return digamma(input)
    sign = -1.0 if n % 2 == 0 else 1.0
    factorial = math.factorial(n)
    shifted = input
    total = input * 0
    for _ in range(20):  # recurrence: psi_n(x) = psi_n(x + 1) + (-1)**(n+1) n! / x**(n+1)
        low = shifted < 10
        safe = ew.where(low, shifted, 1.0)
        total = total + ew.where(low, sign * factorial / safe ** (n + 1), 0.0)
        shifted = ew.where(low, shifted + 1, shifted)
    # asymptotic: (-1)**(n+1) [(n-1)!/y**n + n!/(2 y**(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! y**(2k+n))]
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
    series = math.factorial(n - 1) / shifted ** n + factorial / (2 * shifted ** (n + 1))
    for k, value in enumerate(bernoulli, start=1):
        series = series + value * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / shifted ** (2 * k + n)
    result = total + sign * series
    # poles at 0, -1, -2...: torch gives inf (n odd) or nan
    return ew.where((input <= 0) & (input == input.floor()), math.inf if n % 2 else math.nan, result)


def trigamma(input):
    """``polygamma(1, x)``: digamma's derivative."""
    return polygamma(1, input)


def multigammaln(input, p):
    """The multivariate log-gamma ``p(p-1)/4 log(pi) + sum_j lgamma(x - j/2)``; needs ``x > (p-1)/2``."""
    input = _floating("multigammaln", input)
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got {p}")
    from ..host_checks import host_values
    values = host_values(input)
    if values is not None and values.size and (values <= (p - 1) / 2).any():
        raise RuntimeError(f"All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    result = input * 0 + p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        result = result + lgamma(input - j / 2)
    return result


def _pair(name, input, other):
    from ..factories import scalar_tensor
    if not hasattr(input, "_dtype"):
        input = scalar_tensor(input, other._device)
    if not hasattr(other, "_dtype"):
        other = scalar_tensor(other, input._device)
    return input, other


def _xlog_backward(log_function, derivative):
    def backward(node, grad):
        input, other = node.saved_tensors
        first_shape, second_shape = node.params
        from .elementwise import sum_to
        grad_input = sum_to(grad * log_function(other), first_shape) if node.edges[0] is not None else None
        grad_other = sum_to(grad * input * derivative(other), second_shape) if node.edges[1] is not None else None
        return grad_input, grad_other
    return backward


_XLOGY = Rule("XlogyBackward0", _xlog_backward(ew.log, lambda other: 1 / other))
_XLOG1PY = Rule("SpecialXlog1pyBackward0", _xlog_backward(ew.log1p, lambda other: 1 / (other + 1)))


def _xlog(rule, log_function, input, other):
    input, other = _pair(rule.node_name, input, other)

    def forward():
        zero = (input == 0) & ~ew.isnan(other)
        neutral = 1.0 if log_function is ew.log else 0.0
        return ew.where(zero, 0.0, input * log_function(ew.where(zero, neutral, other)))
    # torch's derivatives: d/dx = log(y) even where x == 0, d/dy = x / y
    return with_rule(rule, (input, other), forward, saved=(input, other),
                     params=(tuple(input._data.shape), tuple(other._data.shape)))


def xlogy(input, other):
    """``input * log(other)``, 0 where ``input == 0`` (unless ``other`` is nan)."""
    return _xlog(_XLOGY, ew.log, input, other)


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where ``input == 0`` (unless ``other`` is nan)."""
    return _xlog(_XLOG1PY, ew.log1p, input, other)


def _entr_backward(node, grad):
    (input,) = node.saved_tensors
    return (grad * ew.where(input < 0, math.nan, -(ew.log(input) + 1)),)


_ENTR = Rule("SpecialEntrBackward0", _entr_backward)


def entr(input):
    """``-x log(x)`` for ``x > 0``, 0 at 0, ``-inf`` for ``x < 0``."""
    input = _floating("entr", input)

    def forward():
        positive = input > 0
        safe = ew.where(positive, input, 1.0)
        values = ew.where(positive, -safe * ew.log(safe), 0.0)
        return ew.where(input < 0, -math.inf, ew.where(ew.isnan(input), input, values))
    return with_rule(_ENTR, (input,), forward, saved=(input,))


def sinc(input):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    input = _floating("sinc", input)
    zero = input == 0
    scaled = ew.where(zero, 1.0, input) * math.pi
    return ew.where(zero, 1.0, ew.sin(scaled) / scaled)


def ndtr(input):
    """The standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``, computed as ``erfc(-x / sqrt 2) / 2``."""
    input = _floating("ndtr", input)
    return erfc(input * (-1 / math.sqrt(2))) * 0.5


def ndtri(input):
    """The inverse of ``ndtr`` on (0, 1)."""
    input = _floating("ndtri", input)
    return erfinv(input * 2 - 1) * math.sqrt(2)


def log_ndtr(input):
    """``log(ndtr(x))`` without underflow for very negative ``x`` (through ``erfcx``)."""
    input = _floating("log_ndtr", input)
    upper = input > -1
    right = ew.where(upper, input, 0.0)
    left = ew.where(upper, -1.0, input)
    right_value = ew.log1p(erfc(right * (1 / math.sqrt(2))) * -0.5)
    scaled = left * (-1 / math.sqrt(2))
    left_value = ew.log(erfcx(scaled) * 0.5) - scaled * scaled
    return ew.where(upper, right_value, left_value)


def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps`` the input is first clamped to ``[eps, 1 - eps]``."""
    input = _floating("logit", input)
    if eps is not None:  # torch's order: below eps -> eps, else above 1 - eps -> 1 - eps (eps wins if > 1/2)
        input = ew.where(input < eps, eps, ew.where(input > 1 - eps, 1 - eps, input))
    return ew.log(input / (1 - input))


def expit(input):
    """The logistic sigmoid (``torch.special.expit``)."""
    return ew.sigmoid(input)


def exp2(input):
    """``2 ** x`` (integers become the default float)."""
    input = _floating("exp2", input)
    return ew.exp(input * math.log(2))
