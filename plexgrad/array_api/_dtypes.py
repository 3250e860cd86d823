"""Data types and data type functions of the array API namespace (standard 2023.12).

The dtype objects are plexgrad's own, so ``xp.float32 is plexgrad.float32``.  Promotion
between two arrays follows the standard's table, which treats a 0-d array like any other
array (torch lets a 0-d tensor take the other operand's dtype; the standard does not).
"""

__all__ = ["bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64", "float16",
           "astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type", "promote_arrays", "as_standard_dtype",
           "SUPPORTED_DTYPES"]

import builtins
import collections

from ..core import dtypes as _dtypes
from ..core.tensor import Tensor

bool = _dtypes.bool  # noqa: A001  the standard's name
int8, int16, int32, int64 = _dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.int64
uint8 = _dtypes.uint8
float16, float32, float64 = _dtypes.float16, _dtypes.float32, _dtypes.float64

SUPPORTED_DTYPES = (bool, int8, int16, int32, int64, uint8, float32, float64)
"""The standard's dtypes plexgrad has (no uint16/32/64, no complex); float16 is an extra."""

_KINDS = {
    "bool": lambda d: d is bool,
    "signed integer": lambda d: d in (int8, int16, int32, int64),
    "unsigned integer": lambda d: d is uint8,
    "integral": lambda d: d in (int8, int16, int32, int64, uint8),
    "real floating": lambda d: d.is_floating_point,
    "complex floating": lambda d: False,
    "numeric": lambda d: d is not bool,
}


def as_standard_dtype(dtype, what="dtype"):
    """``dtype`` checked to be a plexgrad dtype (the namespace's dtype objects)."""
    if dtype is None or isinstance(dtype, _dtypes.dtype):
        return dtype
    raise TypeError(f"{what} must be one of the namespace's dtypes (e.g. xp.float32), got {dtype!r}")


def isdtype(dtype, kind):
    """Whether ``dtype`` is of ``kind``: a dtype, a kind name ('integral', 'real floating', ...) or a tuple."""
    if not isinstance(dtype, _dtypes.dtype):
        raise TypeError(f"isdtype() expects a dtype as its first argument, got {dtype!r}")
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, single) for single in kind)
    if isinstance(kind, _dtypes.dtype):
        return dtype is kind
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"unknown dtype kind {kind!r}; use one of {', '.join(map(repr, _KINDS))}")
        return _KINDS[kind](dtype)
    raise TypeError(f"isdtype() kind must be a dtype, a kind name or a tuple of them, got {kind!r}")


def _promote_pair(first, second):
    return first if first is second else _dtypes.promote_types(first, second)


def result_type(*arrays_and_dtypes):
    """The dtype the standard's promotion gives: arrays count by dtype whatever their shape (0-d too).

    Python scalars (2024.12 allows them) take the dtype of the arrays, as torch's weak scalars do.
    """
    dtype_list = []
    scalars = []
    for item in arrays_and_dtypes:
        if isinstance(item, Tensor):
            dtype_list.append(item.dtype)
        elif isinstance(item, _dtypes.dtype):
            dtype_list.append(item)
        elif isinstance(item, (builtins.bool, int, float, complex)):
            scalars.append(item)
        else:
            raise TypeError(f"result_type() takes arrays, dtypes and Python scalars, got {item!r}")
    if not dtype_list:
        raise ValueError("result_type() needs at least one array or dtype")
    result = dtype_list[0]
    for other in dtype_list[1:]:
        result = _promote_pair(result, other)
    for scalar in scalars:
        result = _scalar_result(result, scalar)
    return result


def _scalar_result(dtype, scalar):
    """The dtype of ``dtype`` array op Python ``scalar``: the array's, except a float scalar with an
    integer or bool array (torch's rule: the default float dtype)."""
    if isinstance(scalar, float) and not dtype.is_floating_point:
        return _dtypes.get_default_dtype()
    if isinstance(scalar, int) and not isinstance(scalar, builtins.bool) and dtype is bool:
        return int64
    return dtype


def promote_arrays(first, second):
    """Both operands of a binary function cast to the standard's common dtype (scalars left alone)."""
    if isinstance(first, Tensor) and isinstance(second, Tensor) and first.dtype is not second.dtype:
        common = _dtypes.promote_types(first.dtype, second.dtype)
        if first.dtype is not common:
            first = first.to(common)
        if second.dtype is not common:
            second = second.to(common)
    return first, second


def can_cast(from_, to):
    """Whether the standard's promotion rules allow casting ``from_`` (a dtype or array) to ``to``."""
    source = from_.dtype if isinstance(from_, Tensor) else as_standard_dtype(from_, "from_")
    target = as_standard_dtype(to, "to")
    if source is target:
        return True
    if source is bool or target is bool:
        return False  # bool and the numeric dtypes do not promote to one another in the standard
    if source.is_floating_point != target.is_floating_point:
        return False  # nor do integers and floating dtypes (torch would allow int -> float)
    return _dtypes.promote_types(source, target) is target


_FloatInfo = collections.namedtuple("finfo_object", "bits eps max min smallest_normal dtype")
_IntInfo = collections.namedtuple("iinfo_object", "bits max min dtype")
_FLOATS = {
    float16: (16, 2.0 ** -10, 65504.0, 2.0 ** -14),
    float32: (32, 2.0 ** -23, 3.4028234663852886e38, 2.0 ** -126),
    float64: (64, 2.0 ** -52, 1.7976931348623157e308, 2.0 ** -1022),
    _dtypes.bfloat16: (16, 2.0 ** -7, 3.3895313892515355e38, 2.0 ** -126),
}


def finfo(type):  # noqa: A002  the standard's parameter name
    """Machine limits of a floating dtype (or of an array's dtype)."""
    dtype = type.dtype if isinstance(type, Tensor) else as_standard_dtype(type, "finfo() argument")
    if dtype not in _FLOATS:
        raise ValueError(f"finfo() needs a floating dtype, got {dtype}; use iinfo() for integers")
    bits, eps, largest, smallest_normal = _FLOATS[dtype]
    return _FloatInfo(bits, eps, largest, -largest, smallest_normal, dtype)


def iinfo(type):  # noqa: A002
    """Machine limits of an integer dtype (or of an array's dtype)."""
    dtype = type.dtype if isinstance(type, Tensor) else as_standard_dtype(type, "iinfo() argument")
    if dtype is bool or dtype.is_floating_point:
        raise ValueError(f"iinfo() needs an integer dtype, got {dtype}; use finfo() for floating dtypes")
    bits = dtype.itemsize * 8
    if dtype is uint8:
        return _IntInfo(bits, 2 ** bits - 1, 0, dtype)
    return _IntInfo(bits, 2 ** (bits - 1) - 1, -2 ** (bits - 1), dtype)


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` as ``dtype`` (and on ``device``); a new array unless ``copy=False`` and nothing changes."""
    dtype = as_standard_dtype(dtype)
    result = x
    if device is not None:
        result = result.to(device)
    if result.dtype is not dtype:
        result = result.to(dtype)
    if copy and result is x:
        result = x.clone()
    return result
