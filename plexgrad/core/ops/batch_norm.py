"""Batch normalization with the batch's statistics, as one op and one graph node
(torch's NativeBatchNormBackward0).

Two declared ops serve it: ``batch_norm_train`` (output and statistics) and
``batch_norm_backward`` (first-order gradients), each with its decomposition into
element-wise ops, ``sum`` and ``reshape``; a backend may run either natively.  The
derivative rule lives here; under ``create_graph`` it is written in Tensor ops (it
recomputes the statistics from the input, so the result stays connected to it).
"""

__all__ = ["batch_statistics_forward", "batch_norm_train_op", "batch_norm_backward_op", "moments"]

import math

from .. import dtypes
from ..autograd.grad_mode import state as grad_state
from ..dispatch import backend_for_type, call, runnable
from ..op import _cast_op, declare, record
from ..tensor import make_tensor
from .elementwise import add, mul, rsqrt, sub
from .reduction import _sum_op
from .shape import _reshape_op


def moments(input, dims):
    """Mean over ``dims`` (kept), the centered input and the biased variance (kept), in Tensor ops."""
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    return mean, centered, (centered * centered).mean(dims, keepdim=True)


def _low_precision(device, x):
    dtype = backend_for_type(device.type).dtype_of(x)
    return dtype if dtype.itemsize < 4 else None


def _batch_norm_train_decomposition(device, x, weight, bias, eps, dims, shape):
    low = _low_precision(device, x)
    if low is not None:  # float16/bfloat16: statistics in float32, as torch does
        up = [None if a is None else call(_cast_op, device, a, dtypes.float32) for a in (x, weight, bias)]
        results = _batch_norm_train_decomposition(device, *up, eps, dims, shape)
        return tuple(call(_cast_op, device, result, low) for result in results)
    inverse_count = 1 / (math.prod(x.shape) // x.shape[1])
    mean = call(mul.op, device, call(_sum_op, device, x, dims, True), inverse_count)
    centered = call(sub.op, device, x, mean)
    squares = call(mul.op, device, centered, centered)
    variance = call(mul.op, device, call(_sum_op, device, squares, dims, True), inverse_count)
    inverse_std = call(rsqrt.op, device, call(add.op, device, variance, eps))
    scale = inverse_std if weight is None else call(mul.op, device, inverse_std,
                                                    call(_reshape_op, device, weight, shape))
    output = call(mul.op, device, centered, scale)
    if bias is not None:
        output = call(add.op, device, output, call(_reshape_op, device, bias, shape))
    return (output, centered, inverse_std, call(_reshape_op, device, mean, (-1,)),
            call(_reshape_op, device, variance, (-1,)))


def _batch_norm_backward_decomposition(device, grad, centered, inverse_std, weight, dims, shape, need_input):
    count = math.prod(grad.shape) // grad.shape[1]
    inverse_flat = call(_reshape_op, device, inverse_std, (-1,))
    grad_bias = call(_sum_op, device, grad, dims, False)
    grad_weight = call(mul.op, device, call(_sum_op, device, call(mul.op, device, grad, centered), dims, False),
                       inverse_flat)
    if not need_input:
        return None, grad_weight, grad_bias
    scale = inverse_flat if weight is None else call(mul.op, device, inverse_flat, weight)
    # grad * s - mean(grad) * s - normalized * mean(grad * normalized) * s, with normalized = centered * inv
    mean_term = call(mul.op, device, call(mul.op, device, scale, grad_bias), 1 / count)
    normalized_term = call(mul.op, device, call(mul.op, device, call(mul.op, device, scale, inverse_flat),
                                                grad_weight), 1 / count)
    grad_input = call(sub.op, device, call(sub.op, device,
                                           call(mul.op, device, grad, call(_reshape_op, device, scale, shape)),
                                           call(_reshape_op, device, mean_term, shape)),
                      call(mul.op, device, centered, call(_reshape_op, device, normalized_term, shape)))
    return grad_input, grad_weight, grad_bias


def _composite_backward(input, grad, weight, dims, shape, eps, edges):
    """First- or higher-order gradients from Tensor ops (recomputes the statistics from ``input``)."""
    _, centered, variance = moments(input, dims)
    inverse_std = (variance + eps).rsqrt()
    normalized = centered * inverse_std
    count = input.numel() // input.shape[1]
    grad_bias = grad.sum(dims)
    grad_weight = (grad * normalized).sum(dims)
    # the channel-sized factors folded first, so the full-size work is four element-wise ops
    scale = inverse_std.reshape(-1) if weight is None else inverse_std.reshape(-1) * weight
    grad_input = (grad * scale.reshape(shape) - (scale * grad_bias * (1.0 / count)).reshape(shape)
                  - normalized * (scale * grad_weight * (1.0 / count)).reshape(shape))
    return (grad_input if edges[0] is not None else None,
            grad_weight if len(edges) > 1 and edges[1] is not None else None,
            grad_bias if len(edges) > 2 and edges[2] is not None else None)


def _batch_norm_backward(node, grad):
    saved = node.saved_tensors
    input = saved[0]
    weight = saved[1] if len(saved) > 1 else None
    dims, shape, eps, centered, inverse_std = node.params
    edges = node.edges
    device = grad._device
    kernel = None if grad_state.enabled or centered is None else runnable(batch_norm_backward_op, device)
    if kernel is None:  # create_graph, or a backend that cannot run the op
        return _composite_backward(input, grad, weight, dims, shape, eps, edges)
    grad_input, grad_weight, grad_bias = kernel(grad._data, centered, inverse_std,
                                                None if weight is None else weight._data, dims, shape,
                                                edges[0] is not None)
    dtype = grad._dtype
    return (None if grad_input is None else make_tensor(grad_input, dtype, device),
            make_tensor(grad_weight, dtype, device) if len(edges) > 1 and edges[1] is not None else None,
            make_tensor(grad_bias, dtype, device) if len(edges) > 2 and edges[2] is not None else None)


batch_norm_train_op = declare(
    "batch_norm_train", _batch_norm_backward, node_name="NativeBatchNormBackward0",
    signature="x, weight: array?, bias: array?, eps: static, dims: static, shape: static",
    decomposition=_batch_norm_train_decomposition, uses=("cast", "mul", "sum", "sub", "add", "rsqrt", "reshape"),
    doc="(output, centered, inverse_std, mean, variance) of batch norm with the batch's statistics")
batch_norm_backward_op = declare(
    "batch_norm_backward",
    signature="grad, centered, inverse_std, weight: array?, dims: static, shape: static, need_input: static",
    decomposition=_batch_norm_backward_decomposition, uses=("mul", "sum", "sub", "reshape"),
    doc="(grad_input or None, grad_weight, grad_bias) of batch_norm_train")




def _detached(tensor):
    return None if tensor is None else make_tensor(tensor._data, tensor._dtype, tensor._device)


def _fused_kernel(input, weight, bias):
    """The ``batch_norm_train`` kernel when the operands allow it (one dtype, one device, floating)
    and the backend can run it; else None."""
    if not input._dtype.is_floating_point:
        return None
    for other in (weight, bias):
        if other is not None and (other._device is not input._device or other._dtype is not input._dtype):
            return None
    return runnable(batch_norm_train_op, input._device)


def batch_statistics_forward(input, weight, bias, eps, shape):
    """Normalize with the batch's statistics; one graph node for input, weight and bias.

    Returns the output and the batch mean and biased variance, flat per channel: native
    arrays from the ``batch_norm_train`` op, tensors from the Tensor composite.
    """
    dims = (0,) + tuple(range(2, len(shape)))
    centered = inverse_std = None
    kernel = _fused_kernel(input, weight, bias)
    if kernel is not None:
        output, centered, inverse_std, mean, variance = kernel(
            input._data, None if weight is None else weight._data, None if bias is None else bias._data, eps,
            dims, shape)
        output = make_tensor(output, input._dtype, input._device)
    else:
        mean, centered_tensor, variance = moments(_detached(input), dims)
        output = centered_tensor * (variance + eps).rsqrt()
        if weight is not None:
            output = output * _detached(weight).reshape(shape)
        if bias is not None:
            output = output + _detached(bias).reshape(shape)
        mean, variance = mean.reshape(-1), variance.reshape(-1)
    if grad_state.enabled and (input._requires_grad or weight is not None and weight._requires_grad
                               or bias is not None and bias._requires_grad):
        # placeholders keep the edge positions: (input, weight, bias)
        saved = (input,) if weight is None else (input, weight)
        record(batch_norm_train_op.rule, (input, weight, bias), output, saved,
               (dims, shape, eps, centered, inverse_std))
    return output, mean, variance
