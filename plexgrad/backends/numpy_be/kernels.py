"""numpy kernels: the shared ``xp`` kernels, plus in-place writes numpy allows."""

__all__ = ["build_backend"]

import numpy

from ...core import dtypes
from ...core.backend import Backend
from ..array_kernels import build_kernels

_NATIVE = {d: numpy.dtype(d.name) for d in dtypes.ALL_DTYPES if d is not dtypes.bfloat16}
_FROM_NATIVE = {native: d for d, native in _NATIVE.items()}


def _bfloat16():
    try:
        import ml_dtypes
    except ImportError:
        raise TypeError("bfloat16 on cpu needs the ml_dtypes package: pip install ml_dtypes") from None
    native = numpy.dtype(ml_dtypes.bfloat16)
    _NATIVE[dtypes.bfloat16] = native
    _FROM_NATIVE[native] = dtypes.bfloat16
    return native


def native_dtype(dtype):
    found = _NATIVE.get(dtype)
    return found if found is not None else _bfloat16()


def dtype_of(array):
    found = _FROM_NATIVE.get(array.dtype)
    if found is None:
        if array.dtype.name == "bfloat16":
            _bfloat16()
            return dtypes.bfloat16
        raise TypeError(
            f"numpy dtype {array.dtype} has no plexgrad equivalent; supported: "
            + ", ".join(d.name for d in dtypes.ALL_DTYPES)
        )
    return found


def from_host(data, dtype, index):
    return numpy.asarray(data, dtype=native_dtype(dtype))


def to_host(array):
    return array if type(array) is numpy.ndarray else numpy.asarray(array)


def owned(array):
    """A writable ndarray for the value (numpy returns scalars from 0-d operations)."""
    return array if type(array) is numpy.ndarray else numpy.array(array)


def assign(destination, source):
    numpy.copyto(destination, source, casting="unsafe")


def index_put_(array, values, key, accumulate):
    if accumulate:
        numpy.add.at(array, key, values)
    else:
        array[key] = values


def build_backend():
    kernels = build_kernels(numpy, native_dtype)
    kernels["index_put_"] = index_put_
    return Backend(
        "numpy", ("cpu",), kernels,
        from_host=from_host, to_host=to_host, native_dtype=native_dtype, dtype_of=dtype_of,
        mutable=True, device_count=lambda: 1, assign=assign, owned=owned,
    )
