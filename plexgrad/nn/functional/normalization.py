"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``.

Composites of a handful of primitives; the per-channel work (scale, shift) is
folded into channel-sized tensors so each normalization touches the big input only
a few times.  Training-mode batch norm is the core's declared op
(``plexgrad.core.ops.batch_norm``), with its derivative and decomposition.
"""

__all__ = ["batch_norm", "layer_norm", "group_norm"]

from ...core.autograd.grad_mode import no_grad
from ...core.dispatch import call
from ...core.inplace import bump_version
from ...core.ops.batch_norm import batch_statistics_forward, moments as _moments
from ...core.ops.updates import add_scaled_in_place, mul_in_place, writable_together
from ...core.tensor import Tensor, make_tensor


def _channel_shape(input):
    shape = [1] * input._data.ndim
    shape[1] = input._data.shape[1]
    return tuple(shape)


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
        if value is not None and value.numel() != channels:
            raise RuntimeError(f"batch_norm: {name} should contain {channels} elements (the input's channel "
                               f"dimension 1), not {value.numel()}")
    if training and input.numel() // channels <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{input.shape}")


def _update_running(running_mean, running_var, input, mean, variance, momentum, correction):
    """``running = (1 - momentum) * running + momentum * batch`` for both statistics, in place (the
    variance's batch value times ``correction``, the unbiased factor).  ``mean`` and ``variance`` are
    native arrays of ``input``'s dtype and device, or tensors."""
    if not isinstance(mean, Tensor):
        device = input._device
        if (running_mean._dtype is input._dtype and running_mean._device is device
                and running_mean._data.shape == mean.shape and running_var._data.shape == variance.shape
                and writable_together((running_mean, running_var), _RUNNING_OPS)):
            call(mul_in_place, device, running_mean._data, 1 - momentum)
            call(add_scaled_in_place, device, running_mean._data, mean, momentum)
            call(mul_in_place, device, running_var._data, 1 - momentum)
            call(add_scaled_in_place, device, running_var._data, variance, momentum * correction)
            bump_version(running_mean)
            bump_version(running_var)
            return
        mean, variance = (make_tensor(array, input._dtype, input._device) for array in (mean, variance))
    with no_grad():
        running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
        running_var.mul_(1 - momentum).add_(variance, alpha=momentum * correction)


_RUNNING_OPS = (mul_in_place, add_scaled_in_place)


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
        output, mean, variance = batch_statistics_forward(input, weight, bias, eps, shape)
        if training and running_mean is not None and running_var is not None:
            count = input.numel() // shape[1]
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
