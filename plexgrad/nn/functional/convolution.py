"""``F.conv1d`` and ``F.conv2d`` (the primitives live in ``plexgrad.core.ops.convolution``)."""

__all__ = ["conv1d", "conv2d"]

from ...core.ops.convolution import conv1d, conv2d
