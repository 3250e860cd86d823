"""``F.unfold`` (im2col) and ``F.fold`` (col2im), as torch's ``nn.Unfold`` / ``nn.Fold``.

Both are convolutions with a fixed one-hot weight: unfolding is a grouped ``conv2d`` whose output
channel ``c * kH * kW + i * kW + j`` picks kernel position ``(i, j)`` of channel ``c``, and folding
is its adjoint, the transposed convolution with the same weight (overlapping blocks add up).  So
they reuse the convolution kernels of every backend, and each is the other's gradient.
"""

__all__ = ["unfold", "fold"]

from ...core.factories import eye
from ...core.ops.convolution import conv2d_input_grad, convolve, require_floating, spatial_tuple
from ...core.tensor import Tensor


def _selector(channels, kernel, input):
    """The (C * kH * kW, 1, kH, kW) weight whose output channel picks one kernel position of one channel."""
    positions = kernel[0] * kernel[1]
    one_hot = eye(positions, dtype=input.dtype, device=input.device).reshape(positions, 1, kernel[0], kernel[1])
    return one_hot.repeat(channels, 1, 1, 1)


def _geometry(name, kernel_size, dilation, padding, stride):
    kernel = spatial_tuple(kernel_size, 2, "kernel_size", name)
    dilation = spatial_tuple(dilation, 2, "dilation", name)
    padding = spatial_tuple(padding, 2, "padding", name)
    stride = spatial_tuple(stride, 2, "stride", name)
    if any(size <= 0 for size in kernel):
        raise RuntimeError(f"{name}: kernel size should be greater than zero, but got kernel_size={list(kernel)}")
    if any(step <= 0 for step in dilation):
        raise RuntimeError(f"{name}: dilation should be greater than zero, but got dilation={list(dilation)}")
    if any(value < 0 for value in padding):
        raise RuntimeError(f"{name}: padding should be non-negative, but got padding={list(padding)}")
    if any(step <= 0 for step in stride):
        raise RuntimeError(f"{name}: stride should be greater than zero, but got stride={list(stride)}")
    return kernel, dilation, padding, stride


def _blocks(extent, kernel, dilation, padding, stride):
    return (extent + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C * kH * kW, L), L the number of blocks.

        >>> unfold(torch.arange(16.).reshape(1, 1, 4, 4), kernel_size=2, stride=2).shape
        torch.Size([1, 4, 4])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"unfold(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D); "
                           f"unfold takes (N, C, H, W) or (C, H, W)")
    kernel, dilation, padding, stride = _geometry("unfold", kernel_size, dilation, padding, stride)
    require_floating("im2col_out_cpu", input)
    batched = input.dim() == 4
    if not batched:
        input = input.unsqueeze(0)
    batch, channels, height, width = input.shape
    counts = [_blocks(extent, *geometry) for extent, geometry in
              zip((height, width), zip(kernel, dilation, padding, stride))]
    if any(count <= 0 for count in counts):
        raise RuntimeError(f"Given input with spatial size ({height}, {width}), kernel_size={list(kernel)}, "
                           f"dilation={list(dilation)}, padding={list(padding)}, calculated shape of the array of "
                           f"sliding blocks as ({counts[0]}, {counts[1]}), but its components must be at least one.")
    params = (stride, tuple((value, value) for value in padding), dilation, channels)
    blocks = convolve(input, _selector(channels, kernel, input), params)
    output = blocks.reshape(batch, channels * kernel[0] * kernel[1], counts[0] * counts[1])
    return output if batched else output.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into an image, summing overlaps: (N, C * kH * kW, L) ->
    (N, C, output_size[0], output_size[1]); the adjoint of ``unfold``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fold(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.dim()}D); fold takes (N, C * kH * kW, L) or (C * kH * kW, L)")
    output_size = spatial_tuple(output_size, 2, "output_size", "fold")
    kernel, dilation, padding, stride = _geometry("fold", kernel_size, dilation, padding, stride)
    require_floating("col2im_out_cpu", input)
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(0)
    batch, rows, length = input.shape
    positions = kernel[0] * kernel[1]
    if rows % positions:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={rows} and kernel_size=({kernel[0]}, {kernel[1]})")
    counts = [_blocks(extent, *geometry) for extent, geometry in
              zip(output_size, zip(kernel, dilation, padding, stride))]
    if any(count <= 0 for count in counts):
        raise RuntimeError(f"Given output_size=({output_size[0]}, {output_size[1]}), kernel_size={list(kernel)}, "
                           f"dilation={list(dilation)}, padding={list(padding)}, stride={list(stride)}, calculated "
                           f"shape of the array of sliding blocks as ({counts[0]}, {counts[1]}), but its components "
                           f"must be at least one.")
    if counts[0] * counts[1] != length:
        raise RuntimeError(f"Given output_size=({output_size[0]}, {output_size[1]}), kernel_size={list(kernel)}, "
                           f"dilation={list(dilation)}, padding={list(padding)}, stride={list(stride)}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{counts[0]} * {counts[1]} = {counts[0] * counts[1]}, but got input.size(2)={length}.")
    channels = rows // positions
    params = (stride, tuple((value, value) for value in padding), dilation, channels)
    blocks = input.reshape(batch, rows, counts[0], counts[1])
    output = conv2d_input_grad(blocks, _selector(channels, kernel, input),
                               (batch, channels) + output_size, params)
    return output if batched else output.squeeze(0)
