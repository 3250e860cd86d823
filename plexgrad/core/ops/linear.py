"""``linear``: ``input @ weight.T + bias`` as one op and one graph node (torch's AddmmBackward0).

Two declared ops serve it: ``linear`` and ``linear_backward`` (the first-order
gradients), each with its decomposition into ``matmul``, ``permute``, ``add`` and
``sum``; a backend may run either natively.  The derivative rule lives here; under
``create_graph`` it is written in Tensor ops, so it differentiates again.
"""

__all__ = ["linear", "linear_op", "linear_backward_op"]

from ..autograd.grad_mode import state as grad_state
from ..dispatch import Rule, call, runnable
from ..op import declare, record
from ..tensor import Tensor, make_tensor
from .elementwise import add
from .linalg import _matmul_op
from .reduction import _sum_op
from .shape import _permute_op


def _linear_decomposition(device, x, weight, bias):
    product = call(_matmul_op, device, x, call(_permute_op, device, weight, (1, 0)))
    return product if bias is None else call(add.op, device, product, bias)


def _linear_backward_decomposition(device, grad, x, weight, need_input, need_weight, need_bias):
    return (call(_matmul_op, device, grad, weight) if need_input else None,
            call(_matmul_op, device, call(_permute_op, device, grad, (1, 0)), x) if need_weight else None,
            call(_sum_op, device, grad, 0, False) if need_bias else None)


def _linear_backward(node, grad):
    saved = node.saved_tensors
    input, weight = saved[0], saved[1]
    edges = node.edges
    need_input, need_weight = edges[0] is not None, edges[1] is not None
    need_bias = len(edges) > 2 and edges[2] is not None
    device = grad._device
    kernel = None if grad_state.enabled or grad._dtype is not input._dtype else runnable(linear_backward_op, device)
    if kernel is not None:
        dtype = grad._dtype
        grad_input, grad_weight, grad_bias = kernel(grad._data, input._data, weight._data, need_input, need_weight,
                                                    need_bias)
        return (None if grad_input is None else make_tensor(grad_input, dtype, device),
                None if grad_weight is None else make_tensor(grad_weight, dtype, device),
                None if grad_bias is None else make_tensor(grad_bias, dtype, device))
    return (grad @ weight if need_input else None, grad.t() @ input if need_weight else None,
            grad.sum(0) if need_bias else None)


linear_op = declare("linear", _linear_backward, node_name="AddmmBackward0", signature="x, weight, bias: array?",
                    decomposition=_linear_decomposition,
                    uses=("matmul", "permute", "add"), doc="x @ weight.T + bias for a 2-d x")
linear_backward_op = declare(
    "linear_backward", signature="grad, x, weight, need_input: static, need_weight: static, need_bias: static",
    decomposition=_linear_backward_decomposition, uses=("matmul", "permute", "sum"),
    doc="(grad @ weight, grad.T @ x, grad.sum(0)) of linear, each None where not needed")

_MM_RULE = Rule("MmBackward0", _linear_backward)  # torch's node name for a linear layer without bias


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: ``input`` is ``(*, in_features)``, ``weight`` ``(out_features, in_features)``."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear(): input and weight must be Tensors, got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    input_shape, weight_shape = input._data.shape, weight._data.shape
    if len(weight_shape) == 2 and len(input_shape) >= 1 and input_shape[-1] != weight_shape[1]:
        raise RuntimeError(f"linear(): mat1 and mat2 shapes cannot be multiplied: input {list(input_shape)} "
                           f"has {input_shape[-1]} features but weight {list(weight_shape)} expects "
                           f"{weight_shape[-1]}")
    plain = (len(weight_shape) == 2 and len(input_shape) >= 2 and input._dtype is weight._dtype
             and input._device is weight._device
             and (bias is None or bias._data.ndim == 1 and bias._dtype is weight._dtype
                  and bias._device is weight._device))
    kernel = runnable(linear_op, input._device) if plain else None
    if kernel is None:
        output = input @ weight.t() if len(weight_shape) == 2 else input @ weight
        return output + bias if bias is not None else output
    batched = len(input_shape) != 2
    if batched:
        input = input.reshape(-1, input_shape[-1])
    device = input._device
    output = make_tensor(kernel(input._data, weight._data, None if bias is None else bias._data), input._dtype, device)
    if grad_state.enabled and (input._requires_grad or weight._requires_grad
                               or bias is not None and bias._requires_grad):
        inputs = (input, weight) if bias is None else (input, weight, bias)
        record(linear_op.rule if bias is not None else _MM_RULE, inputs, output, (input, weight))
    if batched:
        output = output.reshape(tuple(input_shape[:-1]) + (weight_shape[0],))
    return output
