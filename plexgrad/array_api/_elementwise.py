"""Element-wise functions of the array API namespace.

Most are plexgrad's own ops.  Binary functions first cast both arrays to the standard's
common dtype (a 0-d array counts like any other; torch lets it take the other operand's
dtype).  Functions plexgrad has no op for (``acosh``, ``asinh``, ``atanh``, ``copysign``,
``signbit``, ``nextafter``) are composed of Tensor ops, so they run on every backend and
differentiate where the standard's function does.
"""

__all__ = ["abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_and",
           "bitwise_left_shift", "bitwise_invert", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "ceil",
           "clip", "conj", "copysign", "cos", "cosh", "divide", "equal", "exp", "expm1", "floor", "floor_divide",
           "greater", "greater_equal", "hypot", "imag", "isfinite", "isinf", "isnan", "less", "less_equal", "log",
           "log1p", "log2", "log10", "logaddexp", "logical_and", "logical_not", "logical_or", "logical_xor",
           "maximum", "minimum", "multiply", "negative", "not_equal", "positive", "pow", "real", "remainder",
           "round", "sign", "signbit", "sin", "sinh", "square", "sqrt", "subtract", "tan", "tanh", "trunc"]

import math

from ..core import dtypes as _dtypes
from ..core.ops import elementwise as _ew
from ..core.ops import math_extra as _math
from ..core.ops import shape as _shape
from ..core.tensor import Tensor
from ._dtypes import promote_arrays


def _check_array(function_name, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{function_name}() expects an array, got {type(value).__name__}; "
                        f"make one with xp.asarray()")


def _unary(name, function, doc):
    def unary(x, /):
        _check_array(name, x)
        return function(x)
    unary.__name__ = name
    unary.__doc__ = doc
    return unary


def _binary(name, function, doc):
    def binary(x1, x2, /):
        if not isinstance(x1, Tensor) and not isinstance(x2, Tensor):
            raise TypeError(f"{name}() needs at least one array argument, got {type(x1).__name__} and "
                            f"{type(x2).__name__}")
        x1, x2 = promote_arrays(x1, x2)
        return function(x1, x2)
    binary.__name__ = name
    binary.__doc__ = doc
    return binary


def _integer_identity(function):
    """Rounding functions return integer (and bool) input unchanged, as the standard says."""
    def rounding(x):
        if not x.dtype.is_floating_point:
            return _shape.clone(x)
        return function(x)
    return rounding


_INTEGER_VIEW = {_dtypes.float16: _dtypes.int16, _dtypes.float32: _dtypes.int32, _dtypes.float64: _dtypes.int64,
                 _dtypes.bfloat16: _dtypes.int16}


def _signbit(x):
    if not x.dtype.is_floating_point:
        return x < 0
    try:
        # the sign bit itself: -0.0 and -nan have it set, which comparisons cannot see
        return x.contiguous().view(_INTEGER_VIEW[x.dtype]) < 0
    except NotImplementedError:
        # a backend without bit views (the array API has none): -0.0 through 1 / x; a NaN's sign is lost
        return (x < 0) | ((x == 0) & (1 / x < 0))


def _with_sign_of(magnitude, sign_source):
    return _ew.where(_signbit(sign_source), -magnitude, magnitude)


def _large_threshold(dtype):
    # above 1/sqrt(eps), sqrt(x*x + 1) == x in this dtype: the square would only risk overflow
    return {_dtypes.float16: 2.0 ** 6, _dtypes.bfloat16: 2.0 ** 4, _dtypes.float32: 2.0 ** 12}.get(dtype, 2.0 ** 27)


def _float_input(x):
    return x if x.dtype.is_floating_point else x.to(_dtypes.get_default_dtype())


def _asinh(x):
    x = _float_input(x)
    magnitude = _ew.abs(x)
    large = magnitude > _large_threshold(x.dtype)
    safe = _ew.where(large, 1.0, magnitude)
    small_result = _ew.log1p(safe + safe * safe / (_ew.sqrt(safe * safe + 1) + 1))
    result = _ew.where(large, _ew.log(magnitude) + math.log(2), small_result)
    return _with_sign_of(result, x)


def _acosh(x):
    x = _float_input(x)
    large = x > _large_threshold(x.dtype)
    safe = _ew.where(large, 1.0, x)
    below = safe - 1
    small_result = _ew.log1p(below + _ew.sqrt(below) * _ew.sqrt(safe + 1))
    return _ew.where(large, _ew.log(x) + math.log(2), small_result)


def _atanh(x):
    x = _float_input(x)
    return _ew.log1p(2 * x / (1 - x)) * 0.5


def _copysign(x1, x2):
    return _with_sign_of(_ew.abs(x1), x2)


def _nextafter(x1, x2):
    if not x1.dtype.is_floating_point:
        raise TypeError(f"nextafter() needs floating arrays, got {x1.dtype}")
    x1, x2 = _shape.broadcast_to(x1, _broadcast_shape(x1, x2)), _shape.broadcast_to(x2, _broadcast_shape(x1, x2))
    bits_dtype = _INTEGER_VIEW[x1.dtype]
    bits = x1.contiguous().view(bits_dtype)
    away_from_zero = (x2 > x1) == (x1 > 0)
    stepped = _ew.where(away_from_zero, bits + 1, bits - 1).view(x1.dtype)
    # from zero the next value is the smallest subnormal with the sign of the direction
    tiny = _shape.clone(bits).fill_(1).view(x1.dtype)
    from_zero = _ew.where(x2 > 0, tiny, -tiny)
    result = _ew.where(x1 == 0, from_zero, stepped)
    result = _ew.where(x1 == x2, x2, result)
    return _ew.where(_ew.isnan(x1) | _ew.isnan(x2), x1 + x2, result)


def _broadcast_shape(x1, x2):
    from ..core.shapes import broadcast_shapes
    return broadcast_shapes(tuple(x1.shape), tuple(x2.shape))


def _clip_bound(x, bound):
    if isinstance(bound, Tensor):
        return bound.to(x.dtype) if bound.dtype is not x.dtype else bound
    if not x.dtype.is_floating_point and isinstance(bound, float):
        return None if math.isnan(bound) else bound
    return bound


def clip(x, /, min=None, max=None):  # noqa: A002  the standard's parameter names
    """``x`` limited to ``[min, max]`` (arrays or scalars); the result keeps ``x``'s dtype."""
    _check_array("clip", x)
    result = x
    lower, upper = _clip_bound(x, min), _clip_bound(x, max)
    if lower is not None:
        result = _ew.maximum(result, lower)
    if upper is not None:
        result = _ew.minimum(result, upper)
    if result is x:
        result = _shape.clone(x)
    return result.to(x.dtype) if result.dtype is not x.dtype else result


def _bitwise_invert(x):
    return _ew.logical_not(x) if x.dtype is _dtypes.bool else _ew.bitwise_not(x)


def _positive(x):
    return _shape.clone(x)


def _imag(x):
    return x * 0


def _sign(x):
    if x.dtype.is_floating_point:
        # sign(nan) is nan and sign(-0.0) is +0, as the standard says (torch gives 0 and, on jax, -0)
        return _ew.where(_ew.isnan(x), x, _ew.where(x == 0, 0.0, _ew.sign(x)))
    return _ew.sign(x)


_UNARY = {
    "abs": (_ew.abs, "|x|."), "acos": (_ew.acos, "Inverse cosine."), "acosh": (_acosh, "Inverse hyperbolic cosine."),
    "asin": (_ew.asin, "Inverse sine."), "asinh": (_asinh, "Inverse hyperbolic sine."),
    "atan": (_ew.atan, "Inverse tangent."), "atanh": (_atanh, "Inverse hyperbolic tangent."),
    "bitwise_invert": (_bitwise_invert, "~x for integer and bool arrays."),
    "ceil": (_integer_identity(_ew.ceil), "Smallest integer >= x."), "conj": (_positive, "x (real dtypes only)."),
    "cos": (_ew.cos, "Cosine."), "cosh": (_ew.cosh, "Hyperbolic cosine."), "exp": (_ew.exp, "e ** x."),
    "expm1": (_ew.expm1, "e ** x - 1, exact for small x."),
    "floor": (_integer_identity(_ew.floor), "Largest integer <= x."),
    "imag": (_imag, "Imaginary part (zeros for real dtypes)."), "isfinite": (_ew.isfinite, "Finite test."),
    "isinf": (_ew.isinf, "Infinity test."), "isnan": (_ew.isnan, "NaN test."), "log": (_ew.log, "Natural log."),
    "log1p": (_ew.log1p, "log(1 + x), exact for small x."), "log2": (_ew.log2, "Base-2 log."),
    "log10": (_ew.log10, "Base-10 log."), "logical_not": (lambda x: _ew.logical_not(x), "not x."),
    "negative": (_ew.neg, "-x."), "positive": (_positive, "+x (a copy)."), "real": (_positive, "x (real dtypes)."),
    "round": (_integer_identity(_ew.round), "Nearest integer, halves to even."),
    "sign": (_sign, "-1, 0 or 1 (0 keeps its sign, nan stays nan)."), "signbit": (_signbit, "Whether the sign bit is set."),
    "sin": (_ew.sin, "Sine."), "sinh": (_ew.sinh, "Hyperbolic sine."), "square": (_ew.square, "x * x."),
    "sqrt": (_ew.sqrt, "Square root."), "tan": (_ew.tan, "Tangent."), "tanh": (_ew.tanh, "Hyperbolic tangent."),
    "trunc": (_integer_identity(_ew.trunc), "x rounded toward zero."),
}

_BINARY = {
    "add": (_ew.add, "x1 + x2."), "atan2": (_ew.atan2, "Angle of (x2, x1)."),
    "bitwise_and": (_ew.bitwise_and, "x1 & x2."), "bitwise_or": (_ew.bitwise_or, "x1 | x2."),
    "bitwise_xor": (_ew.bitwise_xor, "x1 ^ x2."),
    "bitwise_left_shift": (_ew.bitwise_left_shift, "x1 << x2."),
    "bitwise_right_shift": (_ew.bitwise_right_shift, "x1 >> x2 (arithmetic for signed integers)."),
    "copysign": (_copysign, "|x1| with the sign of x2."), "divide": (_ew.div, "x1 / x2 (true division)."),
    "equal": (_ew.eq, "x1 == x2."), "floor_divide": (_ew.floor_divide, "floor(x1 / x2)."),
    "greater": (_ew.gt, "x1 > x2."), "greater_equal": (_ew.ge, "x1 >= x2."),
    "hypot": (_math.hypot, "sqrt(x1 ** 2 + x2 ** 2)."), "less": (_ew.lt, "x1 < x2."),
    "less_equal": (_ew.le, "x1 <= x2."), "logaddexp": (_math.logaddexp, "log(exp(x1) + exp(x2))."),
    "logical_and": (_ew.logical_and, "x1 and x2."), "logical_or": (_ew.logical_or, "x1 or x2."),
    "logical_xor": (_ew.logical_xor, "x1 xor x2."), "maximum": (_ew.maximum, "Larger of the two (nan wins)."),
    "minimum": (_ew.minimum, "Smaller of the two (nan wins)."), "multiply": (_ew.mul, "x1 * x2."),
    "not_equal": (_ew.ne, "x1 != x2."), "pow": (_ew.pow, "x1 ** x2."),
    "remainder": (_ew.remainder, "x1 mod x2 with the sign of x2."), "subtract": (_ew.sub, "x1 - x2."),
    "nextafter": (_nextafter, "The next representable value after x1 toward x2."),
}

for _name, (_function, _doc) in _UNARY.items():
    globals()[_name] = _unary(_name, _function, _doc)
for _name, (_function, _doc) in _BINARY.items():
    globals()[_name] = _binary(_name, _function, _doc)
del _name, _function, _doc
__all__ = __all__ + ["nextafter"]
