"""Comparing a backend's results with the reference, and saying how they differ.

Every check of the kit raises ``Mismatch`` with a message that names what was compared
(op, dtype, input) and the difference (dtype, shape, or the worst element with both
values), so a failing backend gets a report line, never a traceback from inside the kit.
"""

__all__ = ["Mismatch", "describe_arrays", "compare_outputs", "expect"]

import numpy

from ..core.tensor import Tensor


class Mismatch(AssertionError):
    """A backend's result differs from the reference; the message says how."""


def expect(condition, message):
    """Raise ``Mismatch(message)`` unless ``condition``."""
    if not condition:
        raise Mismatch(message)


def _describe_array(array):
    array = numpy.asarray(array)
    text = numpy.array2string(array, precision=4, threshold=8, edgeitems=2, separator=", ").replace("\n", "")
    return f"{array.dtype}{list(array.shape)} {text}"


def describe_arrays(arrays):
    """The inputs of a case in one line: dtype, shape and (a summary of) the values of each."""
    return "; ".join(_describe_array(array) for array in arrays) or "no tensor inputs"


def _as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _value_difference(found, wanted, tolerance):
    """'' when equal (within ``tolerance`` = (rtol, atol) or exactly), else where and by how much."""
    if tolerance is None:
        if numpy.array_equal(found, wanted.astype(found.dtype), equal_nan=found.dtype.kind == "f"):
            return ""
        differs = found != wanted.astype(found.dtype)
    else:
        rtol, atol = tolerance
        found64, wanted64 = found.astype(numpy.float64), wanted.astype(numpy.float64)
        close = numpy.isclose(found64, wanted64, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            return ""
        differs = ~close
    position = tuple(int(i) for i in numpy.argwhere(differs)[0]) if found.ndim else ()
    count = int(differs.sum())
    detail = f"{count} of {found.size} elements differ; first at index {position}: got {found[position].item()!r}, " \
             f"expected {wanted[position].item()!r}"
    if tolerance is not None:
        with numpy.errstate(invalid="ignore"):
            worst = numpy.nanmax(numpy.abs(found.astype(numpy.float64) - wanted.astype(numpy.float64)))
        detail += f"; max |difference| {worst:.3g} (rtol {tolerance[0]:g}, atol {tolerance[1]:g})"
    return detail


def compare_outputs(what, actual, expected, dtypes, device_type, tolerances):
    """Check a case's outputs against the reference: count, Tensor-ness, dtype, device, shape, values.

    ``what`` names the case (op, dtype, inputs) for messages; ``dtypes`` are the expected
    plexgrad dtype names per output; ``tolerances`` maps a dtype name to ``(rtol, atol)``
    (dtypes without one compare exactly).
    """
    actual, expected = _as_list(actual), _as_list(expected)
    expect(len(actual) == len(expected), f"{what}: {len(actual)} outputs, the reference gives {len(expected)}")
    for position, (found, wanted_dtype) in enumerate(zip(actual, dtypes)):
        label = f"{what}: output {position}"
        expect(isinstance(found, Tensor), f"{label} is a {type(found).__name__}, not a Tensor")
        expect(found.dtype.name == wanted_dtype, f"{label} has dtype {found.dtype}, expected {wanted_dtype}")
        expect(found.device.type == device_type, f"{label} is on {found.device}, not on {device_type}")
        wanted = numpy.asarray(expected[position])
        expect(tuple(found.shape) == wanted.shape,
               f"{label} has shape {tuple(found.shape)}, expected {wanted.shape}")
        host = numpy.asarray(found.detach().cpu().numpy())
        difference = _value_difference(host, wanted, tolerances.get(wanted_dtype))
        expect(not difference, f"{label} values differ from the reference: {difference}")
