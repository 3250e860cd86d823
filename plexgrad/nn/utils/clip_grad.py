"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``."""

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "get_total_norm", "clip_grads_with_norm_"]

import math
import warnings

from ...core.autograd.grad_mode import no_grad
from ...core.factories import tensor
from ...core.ops import elementwise as ew
from ...core.ops.shape import stack
from ...core.tensor import Tensor


def _gradients(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(values, norm_type):
    if norm_type == math.inf:
        return values.abs().amax()
    if norm_type == -math.inf:
        return values.abs().amin()
    if norm_type == 2:
        return values.square().sum().sqrt()
    if norm_type == 1:
        return values.abs().sum()
    return (values.abs() ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type`` norm of all ``tensors`` together (as if concatenated)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with no_grad():
        device = tensors[0].device
        norms = stack([_norm(t.reshape(-1), norm_type).to(device) for t in tensors])
        total = _norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale gradients in place by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    gradients = _gradients(parameters)
    if not gradients:
        return
    with no_grad():
        coefficient = ew.minimum(max_norm / (total_norm + 1e-6), total_norm.new_ones(()))
        for gradient in gradients:
            gradient.mul_(coefficient.to(gradient.device, gradient.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` in place so their total norm is at most ``max_norm``.

    Returns the total norm before clipping (a tensor).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    gradients = _gradients(parameters)
    if not gradients:
        return tensor(0.0)
    total = get_total_norm(gradients, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of ``parameters`` to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for gradient in _gradients(parameters):
            gradient.copy_(ew.maximum(ew.minimum(gradient, clip_value), -clip_value))
