"""3-d convolution and its transpose, composed from the 2-d convolution primitives.

``conv3d`` stacks, for every kernel depth offset ``kd``, the input's depth slices that offset
reads (``x[:, :, kd * dilation : ... : stride]``) into the channel dimension, so that one grouped
``conv2d`` over (N * D_out, C * kD, H, W) with the weight reshaped to (O, C/groups * kD, kH, kW)
does the whole 3-d window sum: channel ``c * kD + kd`` of the stacked input meets channel
``c * kD + kd`` of the reshaped weight, and each group's channels stay contiguous.
``conv_transpose3d`` is the exact adjoint: ``conv2d_input_grad`` with the same reshaped weight,
then every depth offset's result added back at the depth positions it came from.  Both are built
from differentiable Tensor ops, so gradients (of every order) and every backend come for free.
"""

__all__ = ["conv3d", "conv_transpose3d"]

from ..factories import zeros
from .convolution import conv2d_input_grad, conv_arguments, convolve, transpose_arguments
from .shape import cat, stack


def _pad_depth(input, before, after):
    """Zeros added before and after the depth dimension (2) of a 5-d tensor."""
    pieces = []
    for amount in (before, None, after):
        if amount is None:
            pieces.append(input)
        elif amount:
            shape = list(input.shape)
            shape[2] = amount
            pieces.append(zeros(*shape, dtype=input.dtype, device=input.device))
    return cat(pieces, 2) if len(pieces) > 1 else input


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution (cross-correlation) of ``input`` (N, C, D, H, W) or (C, D, H, W) with ``weight``
    (O, C/groups, kD, kH, kW), plus ``bias`` (O,).  ``padding`` is an int, a triple, 'valid' or 'same'.

        >>> conv3d(torch.ones(1, 1, 4, 4, 4), torch.ones(2, 1, 3, 3, 3)).shape
        torch.Size([1, 2, 2, 2, 2])
    """
    stride, pairs, dilation, groups, batched = conv_arguments(
        "conv3d", 3, input, weight, bias, stride, padding, dilation, groups)
    if not batched:
        input = input.unsqueeze(0)
    input = _pad_depth(input, *pairs[0])
    batch, channels, depth, height, width = input.shape
    out_channels, group_channels, kernel_depth, kernel_height, kernel_width = weight.shape
    output_depth = (depth - dilation[0] * (kernel_depth - 1) - 1) // stride[0] + 1
    reach = (output_depth - 1) * stride[0] + 1
    slices = [input[:, :, offset * dilation[0]:offset * dilation[0] + reach:stride[0]]
              for offset in range(kernel_depth)]
    stacked = stack(slices, 3).permute(0, 2, 1, 3, 4, 5).reshape(
        batch * output_depth, channels * kernel_depth, height, width)
    planar_weight = weight.reshape(out_channels, group_channels * kernel_depth, kernel_height, kernel_width)
    planes = convolve(stacked, planar_weight, (stride[1:], pairs[1:], dilation[1:], groups))
    result = planes.reshape(batch, output_depth, out_channels, *planes.shape[2:]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1, 1)
    return result if batched else result.squeeze(0)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution of (N, C_in, D, H, W) with ``weight`` (C_in, C_out/groups, kD, kH, kW):
    the gradient of ``conv3d`` with respect to its input, each output extent
    (D - 1) * stride - 2 * padding + dilation * (kD - 1) + output_padding + 1."""
    params, output_shape, batched = transpose_arguments(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups, dilation)
    stride, pairs, dilation, groups = params
    if not batched:
        input = input.unsqueeze(0)
    batch, in_channels, depth, height, width = input.shape
    _, group_channels, kernel_depth, kernel_height, kernel_width = weight.shape
    out_channels = output_shape[1]
    planar_weight = weight.reshape(in_channels, group_channels * kernel_depth, kernel_height, kernel_width)
    planes = input.permute(0, 2, 1, 3, 4).reshape(batch * depth, in_channels, height, width)
    spread = conv2d_input_grad(planes, planar_weight,
                               (batch * depth, out_channels * kernel_depth) + tuple(output_shape[3:]),
                               (stride[1:], pairs[1:], dilation[1:], groups))
    # (N, D, C_out, kD, H', W') -> (kD, N, C_out, D, H', W'): one piece per depth offset
    pieces = spread.reshape(batch, depth, out_channels, kernel_depth, *spread.shape[2:]).permute(3, 0, 2, 1, 4, 5)
    full_depth = output_shape[2] + 2 * pairs[0][0]
    reach = (depth - 1) * stride[0] + 1
    result = None
    for offset in range(kernel_depth):
        piece = pieces[offset]
        if stride[0] > 1:  # depth d lands at d * stride: interleave stride - 1 zero planes
            gaps = zeros(batch, out_channels, depth, stride[0] - 1, *piece.shape[3:], dtype=piece.dtype,
                         device=piece.device)
            piece = cat([piece.unsqueeze(3), gaps], 3).reshape(batch, out_channels, depth * stride[0],
                                                              *piece.shape[3:])[:, :, :reach]
        start = offset * dilation[0]
        piece = _pad_depth(piece, start, full_depth - start - reach)
        result = piece if result is None else result + piece
    result = result[:, :, pairs[0][0]:pairs[0][0] + output_shape[2]]
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1, 1)
    return result if batched else result.squeeze(0)
