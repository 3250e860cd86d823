"""``F.linear`` and ``F.bilinear``.

``linear`` on matrices records one graph node (torch's AddmmBackward0) whose rule
is three products, instead of the transpose, matmul and add nodes of the composite.
"""

__all__ = ["linear", "bilinear"]

from ...core.autograd.grad_mode import state as grad_state
from ...core.dispatch import backend_for_type
from ...core.op import Rule, record
from ...core.tensor import Tensor, make_tensor


def _linear_backward(node, grad):
    saved = node.saved_tensors
    input, weight = saved[0], saved[1]
    edges = node.edges
    if not grad_state.enabled and grad._dtype is input._dtype:
        device = grad._device
        kernel = backend_for_type(device.type).kernels.get("linear_backward")
        if kernel is not None:
            dtype = grad._dtype
            grad_input, grad_weight, grad_bias = kernel(grad._data, input._data, weight._data, edges[0] is not None,
                                                        edges[1] is not None, len(edges) > 2 and edges[2] is not None)
            return (None if grad_input is None else make_tensor(grad_input, dtype, device),
                    None if grad_weight is None else make_tensor(grad_weight, dtype, device),
                    None if grad_bias is None else make_tensor(grad_bias, dtype, device))
    grad_input = grad @ weight if node.edges[0] is not None else None
    grad_weight = grad.t() @ input if node.edges[1] is not None else None
    grad_bias = grad.sum(0) if len(node.edges) > 2 and node.edges[2] is not None else None
    return grad_input, grad_weight, grad_bias


_LINEAR = Rule("AddmmBackward0", _linear_backward)


def _detached(tensor):
    return make_tensor(tensor._data, tensor._dtype, tensor._device)


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
    if not plain:
        output = input @ weight.t() if len(weight_shape) == 2 else input @ weight
        return output + bias if bias is not None else output
    batched = len(input_shape) != 2
    if batched:
        input = input.reshape(-1, input_shape[-1])
    device = input._device
    kernel = backend_for_type(device.type).kernels.get("linear")
    if kernel is not None:
        output = make_tensor(kernel(input._data, weight._data, None if bias is None else bias._data),
                             input._dtype, device)
    else:
        output = _detached(input) @ _detached(weight).t()
        if bias is not None:
            output = output + _detached(bias)
    if grad_state.enabled and (input._requires_grad or weight._requires_grad
                               or bias is not None and bias._requires_grad):
        inputs = (input, weight) if bias is None else (input, weight, bias)
        record(_LINEAR, inputs, output, (input, weight))
    if batched:
        output = output.reshape(tuple(input_shape[:-1]) + (weight_shape[0],))
    return output


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1^T A_k x2 + b_k`` for ``weight`` of shape ``(out, in1, in2)``."""
    output = ((input1.unsqueeze(-2).unsqueeze(-2) @ weight) @ input2.unsqueeze(-2).unsqueeze(-1))
    output = output.squeeze(-1).squeeze(-1)
    if bias is not None:
        output = output + bias
    return output
