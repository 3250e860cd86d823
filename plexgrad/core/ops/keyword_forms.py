"""torch's keyword forms of element-wise ops: ``add/sub(alpha=)``, ``div(rounding_mode=)``,
``round(decimals=)``, and integer ``//`` and ``%`` refusing a zero divisor.

They wrap the primitives (``plexgrad.add`` and ``Tensor.div``...) without touching the
operator hot paths: ``a + b`` still calls the primitive directly.
"""

__all__ = ["add", "sub", "div", "round", "floor_divide", "remainder", "check_alpha", "IntegerDivisionByZero"]

import numbers

from .. import dtypes
from ..host_checks import host_values
from ..tensor import Tensor
from . import elementwise as ew


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """Integer ``//`` or ``%`` by zero: torch raises RuntimeError("ZeroDivisionError"); caught by either."""


def check_alpha(name, input, other, alpha):
    """torch refuses a float ``alpha`` with integer operands and a non-bool ``alpha`` with bool ones."""
    operands = [value for value in (input, other) if isinstance(value, Tensor)]
    if isinstance(alpha, float) and all(not value._dtype.is_floating_point for value in operands):
        raise RuntimeError(f"{name}(): For integral input tensors, argument alpha must not be a floating point "
                           f"number (got alpha={alpha}).")


def add(input, other, *, alpha=1):
    """``input + alpha * other``."""
    if type(alpha) is int and alpha == 1 or alpha is True:  # (a compiled step feeds lr as a tensor: no host read)
        return ew.add(input, other)
    check_alpha("add", input, other, alpha)
    return ew.add(input, other * alpha)


def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    if type(alpha) is int and alpha == 1 or alpha is True:  # (a compiled step feeds lr as a tensor: no host read)
        return ew.sub(input, other)
    check_alpha("sub", input, other, alpha)
    return ew.sub(input, other * alpha)


def _is_integral(value):
    if isinstance(value, Tensor):
        return not value._dtype.is_floating_point
    return isinstance(value, numbers.Integral)


def _check_zero_divisor(name, input, other):
    """Integer division by zero: torch raises ZeroDivisionError (numpy would return 0 with a warning)."""
    if not (_is_integral(input) and _is_integral(other)):
        return
    if isinstance(other, Tensor):
        if other._dtype is dtypes.bool:
            return
        values = host_values(other)
        if values is not None and (values == 0).any():
            raise IntegerDivisionByZero(f"ZeroDivisionError: {name} of integers by zero")
    elif other == 0:
        raise IntegerDivisionByZero(f"ZeroDivisionError: {name} of integers by zero")


def floor_divide(input, other):
    """``floor(input / other)`` element-wise (integer division by zero raises, as in torch)."""
    _check_zero_divisor("floor_divide", input, other)
    return ew.floor_divide(input, other)


def remainder(input, other):
    """Python's modulus: the result has the sign of ``other`` (integer modulus by zero raises)."""
    _check_zero_divisor("remainder", input, other)
    return ew.remainder(input, other)


def _trunc_divide(input, other):
    if _is_integral(input) and _is_integral(other):
        _check_zero_divisor("div", input, other)
        quotient = ew.floor_divide(input, other)
        # floor and trunc differ where the exact quotient is negative and not whole
        inexact = ew.remainder(input, other) != 0
        negative = (ew.lt(input, 0) if isinstance(input, Tensor) else input < 0) != (
            ew.lt(other, 0) if isinstance(other, Tensor) else other < 0)
        return ew.where(inexact & negative, quotient + 1, quotient)
    return ew.div(input, other).trunc()


def div(input, other, *, rounding_mode=None):
    """``input / other``: true division (``rounding_mode=None``), rounded toward zero (``'trunc'``)
    or down (``'floor'``; integer inputs keep their dtype in both)."""
    if rounding_mode is None:
        return ew.div(input, other)
    if rounding_mode == "trunc":
        return _trunc_divide(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                     f"'{rounding_mode}'")


def round(input, *, decimals=0):
    """Round half to even; ``decimals`` digits after the point (negative: to tens, hundreds...)."""
    if decimals == 0:
        return ew.round(input)
    if not input._dtype.is_floating_point:
        raise RuntimeError("round_decimals: not implemented for integer tensors; convert with .float()")
    scale = 10.0 ** decimals
    return ew.round(input * scale) / scale if decimals > 0 else ew.round(input / (10.0 ** -decimals)) * (
        10.0 ** -decimals)


# the declared op behind each keyword form (the seam's listings and dtype checks read ``function.op``)
add.op, sub.op, div.op, remainder.op, floor_divide.op = ew.add.op, ew.sub.op, ew.div.op, ew.remainder.op, \
    ew.floor_divide.op
