"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d`` and their transposes, with torch's parameter shapes,
default initialisation, padding modes and ``repr``."""

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

import math

from ...core.factories import empty
from ...core.ops.convolution import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ...core.ops.convolution3d import conv3d, conv_transpose3d
from ..functional.padding import pad
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, count, name):
    if isinstance(value, (tuple, list)):
        if len(value) != count:
            raise ValueError(f"{name} must be an int or a tuple of {count} ints, got {value!r}")
        return tuple(int(item) for item in value)
    return (int(value),) * count


class _ConvNd(Module):
    """Shared by ``Conv1d``, ``Conv2d`` and ``Conv3d``: arguments, parameters, initialisation and repr."""

    _spatial = 2
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        count = self._spatial
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, count, "kernel_size")
        self.stride = _tuple(stride, count, "stride")
        self.dilation = _tuple(dilation, count, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(step != 1 for step in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, count, "padding")
        self.transposed = False
        self.output_padding = (0,) * count
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(empty((out_channels, in_channels // groups) + self.kernel_size, device=device,
                                      dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        for the bias."""
        from .. import init
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _padding_pairs(self):
        if self.padding == "valid":
            return ((0, 0),) * self._spatial
        if self.padding == "same":
            totals = [step * (size - 1) for step, size in zip(self.dilation, self.kernel_size)]
            return tuple((total // 2, total - total // 2) for total in totals)
        return tuple((value, value) for value in self.padding)

    def _conv_forward(self, input, weight, bias):
        function = type(self)._function
        if self.padding_mode == "zeros":
            return function(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)
        amounts = [amount for pair in reversed(self._padding_pairs()) for amount in pair]
        padded = pad(input, amounts, mode=self.padding_mode)
        return function(padded, weight, bias, self.stride, 0, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L): ``Conv1d(in_channels, out_channels, kernel_size, stride=1,
    padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')``."""

    _spatial = 1
    _function = staticmethod(conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W): ``Conv2d(in_channels, out_channels, kernel_size, stride=1,
    padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')``.

        >>> Conv2d(1, 32, 3, padding=1)
        Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    """

    _spatial = 2
    _function = staticmethod(conv2d)


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W): ``Conv3d(in_channels, out_channels, kernel_size, stride=1,
    padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros')``."""

    _spatial = 3
    _function = staticmethod(conv3d)


class _ConvTransposeNd(_ConvNd):
    """Shared by the transposed convolutions: weight (in_channels, out_channels/groups, kernel...)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} takes integer padding, not {padding!r}")
        # build as a convolution from out_channels to in_channels: that is the weight's shape
        super().__init__(out_channels, in_channels, kernel_size, stride, padding, dilation, groups, bias=False,
                         device=device, dtype=dtype)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.transposed = True
        self.output_padding = _tuple(output_padding, self._spatial, "output_padding")
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
            self.reset_parameters()

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        output_size = list(output_size)
        spatial = self._spatial
        if len(output_size) == spatial + 2:
            output_size = output_size[2:]
        if len(output_size) != spatial:
            raise ValueError(f"output_size must have {spatial} or {spatial + 2} elements (got {len(output_size)})")
        extras = []
        for offset in range(spatial):
            extent = input.shape[input.dim() - spatial + offset]
            smallest = ((extent - 1) * self.stride[offset] - 2 * self.padding[offset]
                        + self.dilation[offset] * (self.kernel_size[offset] - 1) + 1)
            largest = smallest + self.stride[offset] - 1
            if not smallest <= output_size[offset] <= largest:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{smallest} to {largest} (for an input of {list(input.shape[-spatial:])})")
            extras.append(output_size[offset] - smallest)
        return tuple(extras)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return type(self)._function(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution over (N, C_in, L): ``ConvTranspose1d(in_channels, out_channels,
    kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1)``."""

    _spatial = 1
    _function = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution over (N, C_in, H, W), e.g. the upsampling layers of a DCGAN
    generator: ``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)``."""

    _spatial = 2
    _function = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-d convolution over (N, C_in, D, H, W): ``ConvTranspose3d(in_channels, out_channels,
    kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1)``."""

    _spatial = 3
    _function = staticmethod(conv_transpose3d)
