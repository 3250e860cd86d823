"""Helpers for ops built from other ops: composites with their own derivative rule,
raw kernel calls for multi-output kernels, and the ``out=`` argument.

A composite computed from primitives is differentiable already; ``with_rule`` is
for the few where the composed derivative is wrong or unstable at some points
(``norm`` at zero) or where a closed form is far cheaper (``inv``, ``det``).
"""

__all__ = ["with_rule", "run_kernel", "wrap", "refuse_backward", "with_out", "check_tensor", "write_out"]

import functools

from ..autograd.grad_mode import no_grad, state as grad_state
from ..dispatch import OPS, call
from ..op import Rule, kernel_for, record, _kernel_error
from ..tensor import Tensor, make_tensor


def check_tensor(name, value, argument="input"):
    """Raise torch's TypeError unless ``value`` is a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' must be Tensor, not {type(value).__name__}")
    return value


def with_rule(rule, inputs, forward, saved=(), params=None, save_output=False):
    """Run ``forward()`` without recording, then record one node for ``rule`` on the result.

    ``inputs`` are the tensors the rule returns gradients for (in order); ``saved``
    are tensors the rule reads back through ``node.saved_tensors``.
    """
    recording = grad_state.enabled and any(
        isinstance(tensor, Tensor) and tensor._requires_grad for tensor in inputs)
    if not recording:
        return forward()
    with no_grad():
        result = forward()
    return record(rule, inputs, result, tuple(saved), params, save_output)


def run_kernel(op, inputs, params=()):
    """The raw native result of ``op``'s kernel (one array or a tuple) on the inputs' device."""
    device = inputs[0]._device
    try:
        return kernel_for(op, device)(*[t._data for t in inputs], *params)
    except Exception as error:
        raise _kernel_error(op.name, inputs, error) from error


def wrap(data, like, dtype=None):
    """A tensor on ``like``'s device holding native ``data``."""
    return make_tensor(data, like._dtype if dtype is None else dtype, like._device)


def refuse_backward(op_name):
    """A rule whose backward raises NotImplementedError naming ``op_name``."""
    def backward(node, grad):
        raise NotImplementedError(
            f"the derivative of {op_name} is not implemented in plexgrad (forward only); compute it "
            f"under plexgrad.no_grad() or on .detach()ed inputs")
    return Rule(_node_name(op_name), backward)


def _node_name(op_name):
    return "".join(part.capitalize() for part in op_name.replace(".", "_").split("_")) + "Backward0"


def write_out(out, result):
    """Copy ``result`` into ``out`` (resizing an ``out`` of another shape) and return ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    from ..inplace import assign_in_place, check_in_place
    if grad_state.enabled and (out._requires_grad or result._requires_grad):
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one of the "
                           "arguments requires grad; call the function without out= instead")
    check_in_place(out, False)
    if tuple(out._data.shape) != tuple(result._data.shape):
        if out._base is not None:
            raise RuntimeError(f"out= has shape {list(out.shape)} but the result has shape {list(result.shape)}, "
                               "and a view cannot be resized")
        # torch resizes out to the result's shape
        from .. import op as _op
        resized = _op.cast(result, out._dtype) if result._dtype is not out._dtype else result
        if result._dtype.category > out._dtype.category:
            assign_in_place(out, result, False)  # raises the cast error
        out._data = call(OPS["copy"], out._device, resized._data) if out._backend().mutable else resized._data
        from ..storage import bump_version
        bump_version(out)
        return out
    return assign_in_place(out, result, False)


def with_out(function):
    """``function`` with torch's ``out=`` keyword: compute, then copy into ``out``."""
    @functools.wraps(function)
    def function_with_out(*args, out=None, **kwargs):
        result = function(*args, **kwargs)
        if out is None:
            return result
        if isinstance(result, tuple) and isinstance(out, (tuple, list)):
            for target, value in zip(out, result):
                write_out(target, value)
            return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
        return write_out(out, result)
    function_with_out.without_out = function
    return function_with_out
