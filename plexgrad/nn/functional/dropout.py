"""Dropout: zero random elements in training and rescale the rest by ``1 / (1 - p)``."""

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]

from ...core.inplace import in_place
from ...core.ops.activation import dropout_mask


def _check_probability(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` (training only); scale survivors by ``1 / (1 - p)``."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    mask = dropout_mask(input, p)
    if inplace:
        return in_place(lambda tensor, factor: tensor * factor, input, mask)
    return input * mask


def _channel_dropout(input, p, training, inplace, spatial, name):
    _check_probability(p)
    if not training or p == 0.0:
        return input
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a "
                           f"{input.dim()}D input of shape {list(input.shape)}")
    channel_shape = tuple(input.shape[:input.dim() - spatial]) + (1,) * spatial
    mask = dropout_mask(input.new_zeros(channel_shape), p)
    if inplace:
        return in_place(lambda tensor, factor: tensor * factor, input, mask)
    return input * mask


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, L)`` input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, H, W)`` input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, D, H, W)`` input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 3, "dropout3d")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's zero mean and unit variance (dropped values go to SELU's negative limit)."""
    _check_probability(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0
    saturation = -_SELU_ALPHA * _SELU_SCALE
    keep = dropout_mask(input, p) * (1 - p)
    a = ((1 - p) * (1 + p * saturation ** 2)) ** -0.5
    b = -a * saturation * p
    output = (input * keep + (1 - keep) * saturation) * a + b
    if inplace:
        return in_place(lambda tensor, value: value, input, output)
    return output
