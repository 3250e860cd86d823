"""``F.conv1d/2d/3d`` and their transposes (the primitives live in ``plexgrad.core.ops.convolution``;
the 3-d ones are composed from them in ``plexgrad.core.ops.convolution3d``)."""

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

from ...core.ops.convolution import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ...core.ops.convolution3d import conv3d, conv_transpose3d
