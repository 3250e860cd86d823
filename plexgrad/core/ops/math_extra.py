"""Element-wise composites: clamp/clip, frac, addcmul, addcdiv, lerp, hypot, logaddexp.

They are written in primitive Tensor ops, so their gradients follow from the
primitives' rules (``clamp`` passes the gradient where ``min <= x <= max``, as torch).
"""

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "frac", "addcmul", "addcdiv", "lerp", "hypot",
           "logaddexp", "logaddexp2"]

import math

from .. import dtypes
from ..tensor import Tensor
from .composite import check_tensor
from .elementwise import exp, isinf, log, maximum, minimum, sqrt, trunc, where


def _check_floating(name, *values):
    for value in values:
        if isinstance(value, Tensor) and value._dtype.category != dtypes.FLOATING:
            raise NotImplementedError(f"{name}(): not implemented for {value._dtype} tensors; convert with .float()")


def clamp(input, min=None, max=None):
    """Limit values to ``[min, max]``; either bound may be None, a number or a tensor.

    >>> plexgrad.tensor([-2., 0.5, 3.]).clamp(min=0, max=1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    # torch's gradients differ by overload: two tensor bounds share ties and leave a NaN's gradient to
    # the input; one tensor bound is maximum/minimum (a NaN gives it to both); a number bound is strict
    both_tensors = isinstance(min, Tensor) and isinstance(max, Tensor)
    result = input
    if min is not None:
        result = _clamp_one(result, min, True, both_tensors)
    if max is not None:
        result = _clamp_one(result, max, False, both_tensors)
    return result


def _clamp_one(input, bound, lower, paired):
    """One side of clamp with torch's gradients.  A tensor bound of a pair gets the gradient where it
    wins, half of it on ties, and the input the rest (all of it at a NaN, whose value stays NaN); a
    lone tensor bound is maximum/minimum.  Past a number bound, at it, or at a NaN the input gets none."""
    if isinstance(bound, Tensor) and not paired:
        return maximum(input, bound) if lower else minimum(input, bound)
    if isinstance(bound, Tensor):
        wins = input < bound if lower else input > bound
        kept = input
        if input._dtype.category == dtypes.FLOATING or bound._dtype.category == dtypes.FLOATING:
            kept = where(input == bound, (input + bound) * 0.5, input)  # the same value, gradient halved
        return where(wins, bound, kept)
    values = input.detach() if input._requires_grad else input
    clamped = where(values < bound, bound, values) if lower else where(values > bound, bound, values)
    if not input._requires_grad:
        return clamped
    return where(input > bound if lower else input < bound, input, clamped)


def clip(input, min=None, max=None):
    """Alias of :func:`clamp`."""
    return clamp(input, min, max)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return clamp(input, min, None)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)


def frac(input):
    """Fractional part ``x - trunc(x)`` (floating dtypes), sign kept: ``frac(-1.5) = -0.5``."""
    check_tensor("frac", input)
    _check_floating("frac", input)
    return input - trunc(input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    check_tensor("addcmul", input)
    product = tensor1 * tensor2
    return input + (product if value == 1 else product * value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (tensor1 and tensor2 must not both be integers)."""
    check_tensor("addcdiv", input)
    if all(isinstance(t, Tensor) and t._dtype.category != dtypes.FLOATING for t in (tensor1, tensor2)):
        raise RuntimeError(
            f"Integer division with addcdiv is no longer supported (got {tensor1._dtype} and {tensor2._dtype}); "
            "use (input + value * tensor1 / tensor2) for true division, or convert to float first")
    quotient = tensor1 / tensor2
    return input + (quotient if value == 1 else quotient * value)


def lerp(input, end, weight):
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` is a number or a tensor."""
    check_tensor("lerp", input)
    _check_floating("lerp", input, end)
    return input + weight * (end - input)


def hypot(input, other):
    """``sqrt(input**2 + other**2)`` element-wise (floating dtypes)."""
    check_tensor("hypot", input)
    _check_floating("hypot", input, other)
    return sqrt(input * input + other * other)


def logaddexp(input, other):
    """``log(exp(input) + exp(other))`` computed without overflow."""
    check_tensor("logaddexp", input)
    _check_floating("logaddexp", input, other)
    shift = maximum(input, other).detach()
    shift = where(isinf(shift), 0.0, shift)
    return shift + log(exp(input - shift) + exp(other - shift))


def logaddexp2(input, other):
    """``log2(2**input + 2**other)`` computed without overflow."""
    return logaddexp(input * math.log(2), other * math.log(2)) / math.log(2)
