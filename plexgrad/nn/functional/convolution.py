"""``F.conv1d``, ``F.conv2d`` and their transposes (the primitives live in ``plexgrad.core.ops.convolution``)."""

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

from ...core.ops.convolution import conv1d, conv2d, conv_transpose1d, conv_transpose2d
