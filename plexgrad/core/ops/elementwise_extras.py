"""More element-wise functions of torch's namespace: inverse hyperbolics, ``copysign``, ``fmax``/``fmin``,
``heaviside``, ``gcd``/``lcm``, ``nan_to_num``, ``deg2rad``, ``float_power``...

``asinh``, ``acosh``, ``atanh``, ``signbit``, ``gcd``, ``lcm`` and ``nextafter`` are primitives (numpy,
cupy and jax.numpy spell them alike); the rest are composites of existing ops.
"""

__all__ = ["asinh", "acosh", "atanh", "signbit", "gcd", "lcm", "nextafter", "copysign", "fmax", "fmin", "heaviside",
           "nan_to_num", "deg2rad", "rad2deg", "float_power", "ldexp", "sgn", "positive", "conj", "resolve_conj",
           "resolve_neg", "conj_physical", "isposinf", "isneginf", "isreal", "rsub", "fix"]

import math

from .. import dtypes
from ..op import binary, cast, unary
from ..tensor import Tensor
from .composite import check_tensor
from . import elementwise as ew


def _input(node):
    return node.saved_tensors[0]


asinh = unary("asinh", lambda node, grad: (grad * (_input(node).square() + 1).rsqrt(),), "float", save_input=True,
              doc="Inverse hyperbolic sine.")
acosh = unary("acosh", lambda node, grad: (grad * (_input(node).square() - 1).rsqrt(),), "float", save_input=True,
              doc="Inverse hyperbolic cosine (``x >= 1``).")
atanh = unary("atanh", lambda node, grad: (grad / (1 - _input(node).square()),), "float", save_input=True,
              doc="Inverse hyperbolic tangent (``|x| < 1``).")
signbit = unary("signbit", dtype_rule="bool", doc="True where the sign bit is set (also for -0.0).")
gcd = binary("gcd", doc="Greatest common divisor of integers.")
lcm = binary("lcm", doc="Least common multiple of integers.")
nextafter = binary("nextafter", doc="The next floating-point value after ``input`` towards ``other``.")


def _floating(name, input):
    check_tensor(name, input)
    return input if input._dtype.is_floating_point else cast(input, dtypes.get_default_dtype())


def copysign(input, other):
    """``|input|`` with the sign of ``other`` (its sign bit: ``-0.0`` counts as negative)."""
    input = _floating("copysign", input)
    negative = signbit(other) if isinstance(other, Tensor) else math.copysign(1.0, other) < 0
    return ew.where(negative, -ew.abs(input), ew.abs(input))


def fmax(input, other):
    """Element-wise maximum that ignores nan (nan only where both are nan)."""
    return ew.where(ew.isnan(other), input, ew.where(ew.isnan(input), other, ew.maximum(input, other)))


def fmin(input, other):
    """Element-wise minimum that ignores nan (nan only where both are nan)."""
    return ew.where(ew.isnan(other), input, ew.where(ew.isnan(input), other, ew.minimum(input, other)))


def heaviside(input, values):
    """0 for negative ``input``, 1 for positive, ``values`` where ``input`` is 0."""
    check_tensor("heaviside", input)
    if isinstance(values, Tensor) and values._dtype is not input._dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes ({input._dtype} "
                           f"and {values._dtype})")
    positive = cast(input > 0, input._dtype)
    return ew.where(input == 0, values, positive)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (default: the dtype's extremes)."""
    check_tensor("nan_to_num", input)
    if not input._dtype.is_floating_point:
        return input.clone()
    import numpy
    info = numpy.finfo(input._dtype.name if input._dtype is not dtypes.bfloat16 else "float32")
    high = float(info.max) if posinf is None else posinf
    low = float(info.min) if neginf is None else neginf
    result = ew.where(ew.isnan(input), nan, input)
    result = ew.where(result == math.inf, high, result)
    return ew.where(result == -math.inf, low, result)


def deg2rad(input):
    """Degrees to radians."""
    return _floating("deg2rad", input) * (math.pi / 180)


def rad2deg(input):
    """Radians to degrees."""
    return _floating("rad2deg", input) * (180 / math.pi)


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (the result is float64, as in torch)."""
    if isinstance(input, Tensor):
        input = cast(input, dtypes.float64)
    if isinstance(exponent, Tensor):
        exponent = cast(exponent, dtypes.float64)
    elif not isinstance(input, Tensor):
        raise TypeError("float_power(): expected at least one Tensor argument")
    else:
        exponent = float(exponent)
    return ew.pow(input, exponent)


def ldexp(input, other):
    """``input * 2 ** other``."""
    return _floating("ldexp", input) * ew.pow(2.0, other)


def sgn(input):
    """The sign of real ``input`` (torch's ``sgn`` extends ``sign`` to complex numbers)."""
    return ew.sign(input)


def positive(input):
    """``input`` itself (torch refuses bool tensors)."""
    check_tensor("positive", input)
    if input._dtype is dtypes.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def conj(input):
    """The complex conjugate: ``input`` itself for real tensors."""
    return check_tensor("conj", input)


def resolve_conj(input):
    return check_tensor("resolve_conj", input)


def resolve_neg(input):
    return check_tensor("resolve_neg", input)


def conj_physical(input):
    """A copy of the conjugate (real tensors: a copy)."""
    return check_tensor("conj_physical", input).clone()


def isposinf(input):
    return check_tensor("isposinf", input) == math.inf


def isneginf(input):
    return check_tensor("isneginf", input) == -math.inf


def isreal(input):
    """True everywhere for real dtypes (torch's complex tensors can have a zero imaginary part)."""
    return ew.eq(check_tensor("isreal", input), input) | ew.isnan(input) if input._dtype.is_floating_point else \
        input == input


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    return ew.sub(other, input if alpha == 1 else input * alpha)


def fix(input):
    """Alias of ``trunc``."""
    return ew.trunc(input)
