"""The toy backend: numpy's kernels for the required primitives only (the optional ones run by
decomposition or the core's fallback), each counting its calls."""

import collections

import numpy

import plexgrad
from plexgrad.backends import Backend
from plexgrad.backends.array_kernels import build_kernels
from plexgrad.backends.contract import required_primitives

__all__ = ["build_backend", "CALLS"]

CALLS = collections.Counter()  # kernel name -> calls on the toy device (shows the toy kernels ran)

_NATIVE = {dtype: numpy.dtype(dtype.name) for dtype in (
    plexgrad.bool, plexgrad.uint8, plexgrad.int8, plexgrad.int16, plexgrad.int32, plexgrad.int64,
    plexgrad.float16, plexgrad.float32, plexgrad.float64)}  # bfloat16 is not held: the kit reports it
_FROM_NATIVE = {native: dtype for dtype, native in _NATIVE.items()}


def native_dtype(dtype):
    if dtype not in _NATIVE:
        raise TypeError(f"the toy backend does not hold {dtype}")
    return _NATIVE[dtype]


def _counted(name, kernel):
    def counted(*args):
        CALLS[name] += 1
        return kernel(*args)
    return counted


def build_backend():
    """The loaded backend: the required kernels, numpy's, each counting its calls."""
    kernels = build_kernels(numpy, native_dtype)
    return Backend(
        "toy", ("toy",), {name: _counted(name, kernels[name]) for name in required_primitives()},
        from_host=lambda data, dtype, index: numpy.asarray(data, dtype=native_dtype(dtype)),
        to_host=numpy.asarray, native_dtype=native_dtype, dtype_of=lambda array: _FROM_NATIVE[array.dtype],
        mutable=True, assign=lambda destination, source: numpy.copyto(destination, source, casting="unsafe"),
        owned=lambda array: array if type(array) is numpy.ndarray else numpy.array(array),
        device_count=lambda: 1, errors={"singular": numpy.linalg.LinAlgError})
