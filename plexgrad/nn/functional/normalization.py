"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``.

Composites of a handful of primitives; the per-channel work (scale, shift) is
folded into channel-sized tensors so each normalization touches the big input only
a few times.
"""

__all__ = ["batch_norm", "layer_norm", "group_norm"]

from ...core.autograd.grad_mode import no_grad
from ...core.tensor import Tensor


def _channel_shape(input):
    shape = [1] * input.dim()
    shape[1] = input.shape[1]
    return tuple(shape)


def _check_batch_norm_input(input, running_mean, weight, training):
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() < 2:
        raise ValueError(f"expected 2D or higher input (N, C, ...), got {input.dim()}D input of shape "
                         f"{list(input.shape)}")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("weight", weight)):
        if value is not None and value.numel() != channels:
            raise RuntimeError(f"batch_norm: {name} should contain {channels} elements (the input's channel "
                               f"dimension 1), not {value.numel()}")
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{input.shape}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalize each channel (dimension 1) over the batch and spatial dimensions.

    In training (or without running statistics) the batch's mean and biased
    variance are used, and ``running_mean``/``running_var`` (if given) are updated
    in place: ``running = (1 - momentum) * running + momentum * batch`` with the
    unbiased variance.  Otherwise the running statistics are used.
    """
    _check_batch_norm_input(input, running_mean, weight, training)
    shape = _channel_shape(input)
    if training or running_mean is None or running_var is None:
        dims = (0,) + tuple(range(2, input.dim()))
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        variance = (centered * centered).mean(dims, keepdim=True)
        scale = (variance + eps).rsqrt()
        if weight is not None:
            scale = scale * weight.reshape(shape)
        output = centered * scale
        if bias is not None:
            output = output + bias.reshape(shape)
        if training and running_mean is not None and running_var is not None:
            count = input.numel() // input.shape[1]
            with no_grad():
                batch_mean = mean.detach().reshape(-1)
                batch_variance = variance.detach().reshape(-1) * (count / (count - 1))
                running_mean.copy_(running_mean * (1 - momentum) + batch_mean * momentum)
                running_var.copy_(running_var * (1 - momentum) + batch_variance * momentum)
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
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    variance = (centered * centered).mean(dims, keepdim=True)
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
    grouped = input.reshape(batch, num_groups, -1)
    mean = grouped.mean(2, keepdim=True)
    centered = grouped - mean
    variance = (centered * centered).mean(2, keepdim=True)
    output = (centered * (variance + eps).rsqrt()).reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        output = output * weight.reshape(shape)
    if bias is not None:
        output = output + bias.reshape(shape)
    return output
