"""The kit's checks of one op-table entry on a device: values and dtype, non-contiguous
inputs, empty and 0-d inputs, gradients (float64 central differences) and double backward.

Each function takes an ``Entry`` (``op_table.py``), a dtype name and a device, and raises
``Mismatch`` naming the entry, the dtype, the inputs and the difference.
"""

__all__ = ["check_values", "check_non_contiguous", "check_shape_variant", "check_gradient",
           "check_double_backward", "check_gradient_through_view", "rng_for"]

import zlib

import numpy

from ..autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from .. import core  # noqa: F401  (binds the Tensor methods)
from ..core import dtypes, factories
from ..core.device import device as Device
from ..core.dispatch import MissingKernelError
from .compare import Mismatch, compare_outputs, describe_arrays, expect


def rng_for(entry, dtype):
    """The case's own random stream: the same inputs on every run and every backend."""
    return numpy.random.default_rng(zlib.crc32(f"{entry.name}/{dtype}".encode()))


def _tensor(array, device):
    return factories.tensor(array, dtype=dtypes.as_dtype(str(array.dtype)), device=device)


def _reference_inputs(arrays):
    """float32 inputs are upcast so the reference is exact to float32's tolerance."""
    return [array.astype(numpy.float64) if array.dtype == numpy.float32 else array for array in arrays]


def _what(entry, dtype, arrays, note=""):
    return f"{entry.name} ({dtype}{', ' + note if note else ''}) on inputs {describe_arrays(arrays)}"


def _run(entry, dtype, arrays, inputs, note=""):
    """The entry's function on ``inputs``; an error it raises becomes a ``Mismatch`` naming the case
    (a missing kernel propagates: the runner reports it as declared-missing)."""
    try:
        return entry.function(*inputs)
    except (Mismatch, MissingKernelError):
        raise
    except Exception as error:
        raise Mismatch(f"{_what(entry, dtype, arrays, note)}: raised {type(error).__name__}: {error}") from None


def _compare(entry, dtype, arrays, inputs, device, note=""):
    actual = _run(entry, dtype, arrays, inputs, note)
    expected = entry.reference(*_reference_inputs(arrays))
    count = len(actual) if isinstance(actual, (tuple, list)) else 1
    compare_outputs(_what(entry, dtype, arrays, note), actual, expected, entry.result_dtypes(dtype, count),
                    Device(device).type, entry.tol)


def check_values(entry, dtype, device):
    """Values, dtype, shape and device of the entry's outputs on inputs of ``dtype``."""
    arrays = entry.draw(rng_for(entry, dtype), dtype)
    _compare(entry, dtype, arrays, [_tensor(array, device) for array in arrays], device)


def _non_contiguous(array, device):
    """A view with ``array``'s values and shape whose strides are not row-major: a transposed
    copy permuted back, or every other element of a wider tensor."""
    if sum(extent > 1 for extent in array.shape) >= 2:
        order = tuple(reversed(range(array.ndim)))
        return _tensor(numpy.ascontiguousarray(array.transpose(order)), device).permute(order)
    if array.ndim:
        padded = numpy.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
        padded[..., ::2] = array
        return _tensor(padded, device)[..., ::2]
    return _tensor(array, device)


def check_non_contiguous(entry, dtype, device):
    """The same values from non-contiguous (permuted or strided) views, which the op must not write."""
    arrays = entry.draw(rng_for(entry, dtype), dtype)
    inputs = [_non_contiguous(array, device) for array in arrays]
    _compare(entry, dtype, arrays, inputs, device, "non-contiguous inputs")
    for position, (array, tensor) in enumerate(zip(arrays, inputs)):
        expect(numpy.array_equal(tensor.cpu().numpy(), array, equal_nan=True),
               f"{_what(entry, dtype, arrays)}: the op wrote into its non-contiguous input {position}")


def check_shape_variant(entry, dtype, device, shape):
    """An element-wise entry with every argument of ``shape`` (empty ``(2, 0)`` or 0-d ``()``)."""
    rng = rng_for(entry, f"{dtype}{shape}")
    arrays = [type(arg)(shape, arg.domain, arg.dtype).draw(rng, dtype) for arg in entry.args]
    note = "empty inputs" if 0 in shape else "0-d inputs"
    _compare(entry, dtype, arrays, [_tensor(array, device) for array in arrays], device, note)


def _grad_inputs(entry, device):
    """float64 inputs; the ones whose dtype follows the test dtype require grad."""
    arrays = entry.draw(rng_for(entry, "float64"), "float64")
    tensors = [_tensor(array, device).requires_grad_(entry.differentiated(position))
               for position, array in enumerate(arrays)]
    return arrays, tensors


def _gradcheck(check, entry, function, inputs, arrays, order):
    try:
        passed = check(function, tuple(inputs))
    except GradcheckError as error:
        raise _gradient_mismatch(entry, arrays, order, error) from None
    except (Mismatch, MissingKernelError):
        raise
    except Exception as error:
        raise Mismatch(f"{entry.name} (float64) on inputs {describe_arrays(arrays)}: computing {order} gradients "
                       f"raised {type(error).__name__}: {error}") from None
    expect(passed, f"{entry.name} (float64) on inputs {describe_arrays(arrays)}: {order} gradients differ")


def _gradient_mismatch(entry, arrays, order, error):
    return Mismatch(f"{entry.name} (float64) on inputs {describe_arrays(arrays)}: {order} gradients differ "
                    f"from central differences: {error}")


def check_gradient(entry, device):
    """float64 values, then first-order gradients against central differences."""
    arrays, inputs = _grad_inputs(entry, device)
    _compare(entry, "float64", arrays, inputs, device)
    _gradcheck(gradcheck, entry, entry.function, inputs, arrays, "first-order")


def check_double_backward(entry, device):
    """Second-order gradients (the gradient's gradient) against central differences."""
    from ..core.random import manual_seed
    manual_seed(0)  # gradgradcheck draws random output gradients
    arrays, inputs = _grad_inputs(entry, device)
    _gradcheck(gradgradcheck, entry, entry.function, inputs, arrays, "second-order")


def check_gradient_through_view(entry, device):
    """Gradients flow back through a transposed view of each differentiated leaf."""
    arrays = entry.draw(rng_for(entry, "float64"), "float64")
    leaves, orders = [], []
    for position, array in enumerate(arrays):
        if entry.differentiated(position) and array.ndim >= 1:
            order = tuple(reversed(range(array.ndim)))
            leaves.append(_tensor(numpy.ascontiguousarray(array.transpose(order)), device).requires_grad_())
            orders.append(order)
        else:
            leaves.append(_tensor(array, device))
            orders.append(None)

    def function(*values):
        return entry.function(*[value.permute(order) if order is not None else value
                                for value, order in zip(values, orders)])

    _gradcheck(gradcheck, entry, function, leaves, arrays, "first-order (through transposed leaves)")
