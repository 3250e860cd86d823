"""Legacy type names: ``FloatTensor``, ``tensor.type()`` -> ``'plexgrad.FloatTensor'``."""

__all__ = ["type_name", "dtype_from_type_name", "scalar_type_name", "LEGACY_TYPES"]

from . import dtypes

LEGACY_TYPES = {
    "FloatTensor": dtypes.float32, "DoubleTensor": dtypes.float64, "HalfTensor": dtypes.float16,
    "BFloat16Tensor": dtypes.bfloat16, "ByteTensor": dtypes.uint8, "CharTensor": dtypes.int8,
    "ShortTensor": dtypes.int16, "IntTensor": dtypes.int32, "LongTensor": dtypes.int64,
    "BoolTensor": dtypes.bool,
}
_NAME_OF = {dtype: name for name, dtype in LEGACY_TYPES.items()}

_SCALAR_NAMES = {
    dtypes.float32: "Float", dtypes.float64: "Double", dtypes.float16: "Half", dtypes.bfloat16: "BFloat16",
    dtypes.uint8: "Byte", dtypes.int8: "Char", dtypes.int16: "Short", dtypes.int32: "Int",
    dtypes.int64: "Long", dtypes.bool: "Bool",
}


def scalar_type_name(dtype):
    return _SCALAR_NAMES[dtype]


def type_name(tensor):
    prefix = "plexgrad." if tensor.device.type == "cpu" else f"plexgrad.{tensor.device.type}."
    return prefix + _NAME_OF[tensor.dtype]


def dtype_from_type_name(value):
    if isinstance(value, str):
        short = value.split(".")[-1]
        if short in LEGACY_TYPES:
            return LEGACY_TYPES[short]
    if isinstance(value, type) and getattr(value, "legacy_dtype", None) is not None:
        return value.legacy_dtype
    return dtypes.as_dtype(value)
