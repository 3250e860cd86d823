"""The toy backend's kernels: numpy's, wrapped to count how often each one runs."""

__all__ = ["build_backend", "CALLS"]

import collections

import numpy

import plexgrad
from plexgrad.backends import Backend
from plexgrad.backends.array_kernels import build_kernels

from . import TOY_OPS

CALLS = collections.Counter()
"""Kernel name -> number of calls on the toy device (shows the toy kernels really ran)."""

_DTYPES = (plexgrad.bool, plexgrad.uint8, plexgrad.int8, plexgrad.int16, plexgrad.int32, plexgrad.int64,
           plexgrad.float16, plexgrad.float32, plexgrad.float64)
_NATIVE = {dtype: numpy.dtype(dtype.name) for dtype in _DTYPES}
_FROM_NATIVE = {native: dtype for dtype, native in _NATIVE.items()}


def native_dtype(dtype):
    """The numpy dtype for a plexgrad dtype."""
    if dtype not in _NATIVE:
        raise TypeError(f"the toy backend does not support {dtype}; use one of {', '.join(map(str, _DTYPES))}")
    return _NATIVE[dtype]


def dtype_of(array):
    """The plexgrad dtype of a numpy array."""
    if array.dtype not in _FROM_NATIVE:
        raise TypeError(f"the toy backend cannot hold numpy dtype {array.dtype}")
    return _FROM_NATIVE[array.dtype]


def from_host(data, dtype, index):
    return numpy.asarray(data, dtype=native_dtype(dtype))


def to_host(array):
    return numpy.asarray(array)


def owned(array):
    """A writable ndarray (numpy returns scalars from 0-d results)."""
    return array if type(array) is numpy.ndarray else numpy.array(array)


def assign(destination, source):
    numpy.copyto(destination, source, casting="unsafe")


def _counted(name, kernel):
    def counted(*args):
        CALLS[name] += 1
        return kernel(*args)
    counted.__name__ = name
    return counted


def build_backend():
    """The loaded backend: numpy kernels for ``TOY_OPS`` only, each counting its calls."""
    numpy_kernels = build_kernels(numpy, native_dtype)
    kernels = {name: _counted(name, numpy_kernels[name]) for name in TOY_OPS}
    return Backend(
        "toy", ("toy",), kernels,
        from_host=from_host, to_host=to_host, native_dtype=native_dtype, dtype_of=dtype_of,
        mutable=True, assign=assign, owned=owned, device_count=lambda: 1,
    )
