"""Error translation by class, not by name: a backend names, in ``Backend(errors=...)``, which of
its library's exceptions mean a singular matrix, an index out of range and a failed allocation,
and the core raises torch's types for them; a kernel's own NotImplementedError is a failure of
that kernel, not a missing op."""

import numpy
import pytest

import plexgrad
from plexgrad.core import dispatch
from plexgrad.core.backend import Backend
from plexgrad.core.kernel_errors import LinAlgError, OutOfMemoryError, translated
from plexgrad.backends.numpy_be import kernels as numpy_kernels


class DeviceSingular(Exception):
    """What some library raises for a singular matrix (any name: the class is what counts)."""


class LinAlgErrorLookalike(Exception):
    """Named like numpy's, but not declared: must not be taken for a singular matrix."""


LinAlgErrorLookalike.__name__ = "LinAlgError"


def _backend(errors=None):
    return Backend("fake", ("fake",), {}, from_host=numpy_kernels.from_host, to_host=numpy_kernels.to_host,
                   native_dtype=numpy_kernels.native_dtype, dtype_of=numpy_kernels.dtype_of, mutable=True,
                   device_count=lambda: 1, assign=numpy_kernels.assign, errors=errors)


def test_declared_classes_become_torch_types_whatever_their_names():
    backend = _backend({"singular": DeviceSingular, "allocation": (MemoryError, KeyError)})
    assert isinstance(translated(DeviceSingular("pivot 0"), backend, "linalg.inv"), LinAlgError)
    assert isinstance(translated(KeyError("pool"), backend, "add"), OutOfMemoryError)
    assert isinstance(translated(MemoryError(), backend, "add"), OutOfMemoryError)
    assert isinstance(translated(IndexError("5"), backend, "getitem"), IndexError)  # the default
    assert translated(LinAlgErrorLookalike("x"), backend, "linalg.inv") is None  # the name alone means nothing
    assert translated(ValueError("x"), _backend(), "linalg.inv") is None


def test_linalg_error_is_torchs_kind_of_error():
    assert issubclass(LinAlgError, RuntimeError) and plexgrad.linalg.LinAlgError is LinAlgError
    assert issubclass(plexgrad.OutOfMemoryError, RuntimeError)
    with pytest.raises(plexgrad.linalg.LinAlgError, match="singular"):
        plexgrad.linalg.inv(plexgrad.zeros(2, 2, dtype=plexgrad.float64))


def test_unknown_error_kind_or_non_exception_is_refused():
    with pytest.raises(TypeError, match="unknown error kind 'singluar'"):
        _backend({"singluar": DeviceSingular})
    with pytest.raises(TypeError, match="must be exception classes"):
        _backend({"index": "IndexError"})


def test_kernel_raising_not_implemented_is_not_a_missing_op():
    """A missing kernel raises MissingKernelError (naming op and backend); a kernel's own
    NotImplementedError is just an error (the kit reports it as a failure of that op)."""
    missing = dispatch.missing_kernel("sin", "fake")
    with pytest.raises(dispatch.MissingKernelError) as raised:
        missing(numpy.ones(2))
    assert raised.value.op == "sin" and raised.value.backend == "fake"
    assert isinstance(raised.value, NotImplementedError)
    assert not isinstance(NotImplementedError("the kernel's own"), dispatch.MissingKernelError)
