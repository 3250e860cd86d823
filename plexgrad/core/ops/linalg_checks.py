"""Argument checks and kernel calls shared by the linalg ops: square floating
matrices in, torch's ``LinAlgError`` out when a factorization fails (numpy raises,
jax returns NaN; both become the same error here)."""

__all__ = ["LinAlgError", "check_matrix", "call_kernel", "check_finite_result"]

import numpy

from .. import dtypes
from ..host_checks import host_checks_enabled, host_values
from ..kernel_errors import LinAlgError, translated
from ..op import kernel_for
from ..tensor import Tensor, make_tensor


def check_matrix(name, value, square=True, argument="A"):
    """Raise torch's errors unless ``value`` is a floating tensor of (batches of) (square) matrices."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not {type(value).__name__}")
    if value._dtype.category != dtypes.FLOATING:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {value._dtype}")
    if value._dtype in (dtypes.float16, dtypes.bfloat16):
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {value._dtype}; convert with .float()")
    shape = tuple(value._data.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{name}: The input tensor {argument} must have at least 2 dimensions, got shape "
                           f"{list(shape)}")
    if square and shape[-1] != shape[-2]:
        raise RuntimeError(f"{name}: {argument} must be batches of square matrices, but they are {shape[-2]} by "
                           f"{shape[-1]} matrices")
    return value


def call_kernel(op, name, inputs, params=(), failure=None):
    """Run ``op``'s kernel on native arrays; a library LinAlgError becomes ours with ``failure``'s text."""
    try:
        return kernel_for(op, inputs[0]._device)(*[t._data for t in inputs], *params)
    except Exception as error:
        torch_error = translated(error, inputs[0]._backend(), name)
        if isinstance(torch_error, LinAlgError):
            raise LinAlgError(f"{name}: {failure or error}") from None
        if torch_error is not None:
            raise torch_error from error
        raise RuntimeError(f"{name} failed for shapes {[list(t.shape) for t in inputs]}: "
                           f"{type(error).__name__}: {error}") from error


def check_finite_result(name, inputs, results, failure):
    """jax returns NaN/inf instead of raising: raise LinAlgError when finite inputs gave non-finite results.

    It reads values on the host, so it runs in eager mode only (``core/host_checks.py``);
    mutable engines (numpy, cupy) raise from the kernel and need no check.
    """
    first = inputs[0]
    if first._backend().mutable or not host_checks_enabled():
        return
    for value in inputs:
        if not numpy.isfinite(host_values(value)).all():
            return
    for result in results:
        if not numpy.isfinite(host_values(make_tensor(result, first._dtype, first._device))).all():
            raise LinAlgError(f"{name}: {failure}")
