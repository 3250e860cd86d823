"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``.

Composites of a handful of primitives; the per-channel work (scale, shift) is
folded into channel-sized tensors so each normalization touches the big input only
a few times.
"""

__all__ = ["batch_norm", "layer_norm", "group_norm"]

from ...core.autograd.grad_mode import no_grad, state as grad_state
from ...core.dispatch import backend_for_type
from ...core.inplace import bump_version, direct_kernels
from ...core.op import Rule, record
from ...core.tensor import Tensor, make_tensor


def _channel_shape(input):
    shape = [1] * input._data.ndim
    shape[1] = input._data.shape[1]
    return tuple(shape)


def _moments(input, dims):
    """Mean over ``dims`` (kept), the centered input and the biased variance (kept): the plexgrad-op
    statistics every composite normalization starts from."""
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    return mean, centered, (centered * centered).mean(dims, keepdim=True)


def _check_batch_norm_input(input, statistics, training):
    """``statistics``: (name, tensor or None) pairs that must hold one value per channel."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = input._data.shape
    if len(shape) < 2:
        raise ValueError(f"expected 2D or higher input (N, C, ...), got {len(shape)}D input of shape "
                         f"{list(shape)}")
    channels = shape[1]
    for name, value in statistics:
        if value is not None and value._data.size != channels:
            raise RuntimeError(f"batch_norm: {name} should contain {channels} elements (the input's channel "
                               f"dimension 1), not {value._data.size}")
    if training and input._data.size // channels <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{input.shape}")


def _composite_batch_norm_backward(input, grad, weight, dims, shape, eps, edges):
    """First- or higher-order batch-norm gradients from plexgrad ops (recomputes the statistics from
    ``input``, so under ``create_graph`` the result stays connected to it)."""
    _, centered, variance = _moments(input, dims)
    inverse_std = (variance + eps).rsqrt()
    normalized = centered * inverse_std
    count = input.numel() // input.shape[1]
    grad_bias = grad.sum(dims)
    grad_weight = (grad * normalized).sum(dims)
    # d input = inverse_std * w * (grad - mean(grad) - normalized * mean(grad * normalized)), with the
    # channel-sized factors folded first so the full-size work is four element-wise ops
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
    kernel = backend_for_type(device.type).kernels.get("batch_norm_backward")
    if grad_state.enabled or centered is None or kernel is None:  # create_graph, or no fused kernels
        return _composite_batch_norm_backward(input, grad, weight, dims, shape, eps, edges)
    grad_input, grad_weight, grad_bias = kernel(grad._data, centered, inverse_std,
                                                None if weight is None else weight._data, dims, shape,
                                                edges[0] is not None)
    dtype = grad._dtype
    return (None if grad_input is None else make_tensor(grad_input, dtype, device),
            make_tensor(grad_weight, dtype, device) if len(edges) > 1 and edges[1] is not None else None,
            make_tensor(grad_bias, dtype, device) if len(edges) > 2 and edges[2] is not None else None)


_BATCH_NORM = Rule("NativeBatchNormBackward0", _batch_norm_backward)


def _detached(tensor):
    return None if tensor is None else make_tensor(tensor._data, tensor._dtype, tensor._device)


def _fused_kernel(input, weight, bias):
    """The backend's ``batch_norm_train`` kernel when it has one and the operands allow it."""
    if not input._dtype.is_floating_point:
        return None
    for other in (weight, bias):
        if other is not None and (other._device is not input._device or other._dtype is not input._dtype):
            return None
    return backend_for_type(input._device.type).kernels.get("batch_norm_train")


def _batch_statistics_forward(input, weight, bias, eps, shape):
    """Normalize with the batch's statistics; one graph node for input, weight and bias.

    Returns the output and the batch mean and biased variance, flat per channel: native
    arrays from the fused kernel, tensors from the composite.
    """
    dims = (0,) + tuple(range(2, len(shape)))
    kernel = _fused_kernel(input, weight, bias)
    centered = inverse_std = None
    if kernel is not None:
        output, centered, inverse_std, mean, variance = kernel(
            input._data, None if weight is None else weight._data, None if bias is None else bias._data, eps,
            dims, shape)
        output = make_tensor(output, input._dtype, input._device)
    else:
        mean, centered_tensor, variance = _moments(_detached(input), dims)
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
        record(_BATCH_NORM, (input, weight, bias), output, saved, (dims, shape, eps, centered, inverse_std))
    return output, mean, variance


def _update_running(running_mean, running_var, input, mean, variance, momentum, correction):
    """``running = (1 - momentum) * running + momentum * batch`` for both statistics, in place (the
    variance's batch value times ``correction``, the unbiased factor).  ``mean`` and ``variance`` are
    native arrays of ``input``'s dtype and device, or tensors."""
    if not isinstance(mean, Tensor):
        kernels = direct_kernels((running_mean, running_var), _RUNNING_KERNELS)
        if (kernels is not None and running_mean._dtype is input._dtype and running_mean._device is input._device
                and running_mean._data.shape == mean.shape and running_var._data.shape == variance.shape):
            multiply_into, add_scaled_into = kernels
            multiply_into(running_mean._data, 1 - momentum)
            add_scaled_into(running_mean._data, mean, momentum)
            multiply_into(running_var._data, 1 - momentum)
            add_scaled_into(running_var._data, variance, momentum * correction)
            bump_version(running_mean)
            bump_version(running_var)
            return
        mean, variance = (make_tensor(array, input._dtype, input._device) for array in (mean, variance))
    with no_grad():
        running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
        running_var.mul_(1 - momentum).add_(variance, alpha=momentum * correction)


_RUNNING_KERNELS = ("mul_", "add_scaled_")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalize each channel (dimension 1) over the batch and spatial dimensions.

    In training (or without running statistics) the batch's mean and biased
    variance are used, and ``running_mean``/``running_var`` (if given) are updated
    in place: ``running = (1 - momentum) * running + momentum * batch`` with the
    unbiased variance.  Otherwise the running statistics are used.
    """
    _check_batch_norm_input(input, (("running_mean", running_mean), ("running_var", running_var),
                                    ("weight", weight), ("bias", bias)), training)
    shape = _channel_shape(input)
    if training or running_mean is None or running_var is None:
        output, mean, variance = _batch_statistics_forward(input, weight, bias, eps, shape)
        if training and running_mean is not None and running_var is not None:
            count = input._data.size // shape[1]
            _update_running(running_mean, running_var, input, mean, variance, momentum, count / (count - 1))
        return output
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


def _normalized_dims(input, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    count = len(normalized_shape)
    if count == 0 or tuple(input.shape[input.dim() - count:]) != normalized_shape or input.dim() < count:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                           f"{list(input.shape)}")
    return tuple(range(input.dim() - count, input.dim()))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dimensions, then scale and shift."""
    dims = _normalized_dims(input, normalized_shape)
    _, centered, variance = _moments(input, dims)
    output = centered * (variance + eps).rsqrt()
    if weight is not None:
        output = output * weight
    if bias is not None:
        output = output + bias
    return output


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize groups of channels: channels (dim 1) split into ``num_groups`` groups."""
    if input.dim() < 2:
        raise RuntimeError(f"group_norm: expected input of at least 2 dimensions (N, C, ...), got "
                           f"{list(input.shape)}")
    batch, channels = input.shape[0], input.shape[1]
    if channels % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={num_groups}")
    _, centered, variance = _moments(input.reshape(batch, num_groups, -1), 2)
    output = (centered * (variance + eps).rsqrt()).reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        output = output * weight.reshape(shape)
    if bias is not None:
        output = output + bias.reshape(shape)
    return output
