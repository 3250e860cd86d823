"""Convolution and pooling kernels written once against an array namespace ``xp``.

Every sliding-window op starts from the ``kh * kw`` shifted, strided slices of
the padded input that the window positions visit (``slices``).  Convolution
stacks them into an "im2col" matrix and does one matrix product (``columns``);
pooling reduces over them element-wise.  The adjoints add back with ``kh * kw``
strided adds into a padded buffer (``fold``).  ``add_into(buffer, key, values)`` does those adds: in place on
numpy and cupy, ``buffer.at[key].add(values)`` on jax.

Parameters arrive already checked by the core: ``stride`` and ``dilation`` are
pairs, ``padding`` is ``((top, bottom), (left, right))`` (asymmetric padding
serves ``padding='same'`` and ``ceil_mode``), ``groups`` is an int.
"""

__all__ = ["build_window_kernels", "WINDOW_OP_NAMES"]

import numpy

WINDOW_OP_NAMES = frozenset({
    "conv2d", "conv2d_input_grad", "conv2d_weight_grad",
    "max_pool2d_indices", "avg_pool2d", "avg_pool2d_backward",
})


def _is_integral(dtype):
    """True for bool and integer dtypes (numpy, cupy and jax share numpy's dtype objects; bfloat16 is 'V')."""
    return numpy.dtype(dtype).kind in "biu"


def output_length(length, kernel, stride, padding, dilation):
    """Output extent of one spatial dim for total ``padding`` (before + after)."""
    return (length + padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_slices(kernel, stride, dilation, outputs):
    """For each kernel position along one dim, the slice of the padded input it visits."""
    return [slice(k * dilation, k * dilation + stride * (outputs - 1) + 1, stride) for k in range(kernel)]


def build_window_kernels(xp, add_into=None, concrete=True):
    """The sliding-window kernels for namespace ``xp`` (numpy, cupy or jax.numpy), by op name,
    plus the helper ``pool_divisor`` that other backends reuse.  ``concrete=False`` (kernels that
    jax traces, device arrays that a look would sync) turns off shortcuts that look at the data."""

    if add_into is None:
        def add_into(buffer, key, values):
            buffer[key] += values
            return buffer

    def pad(x, padding, value=0):
        if not any(before or after for before, after in padding):
            return x
        widths = ((0, 0),) * (x.ndim - 2) + tuple(padding)
        return xp.pad(x, widths, constant_values=value)

    def slices(x, kernel, stride, padding, dilation, value=0, outputs=None):
        """The KH*KW strided (N, C, OH, OW) views of padded ``x``, one per window position; ``outputs``
        keeps only the first (OH, OW) windows (a transposed convolution's output_padding leaves
        windows its gradient never saw)."""
        padded = pad(x, padding, value)
        if outputs is None:
            out_h = output_length(x.shape[-2], kernel[0], stride[0], sum(padding[0]), dilation[0])
            out_w = output_length(x.shape[-1], kernel[1], stride[1], sum(padding[1]), dilation[1])
        else:
            out_h, out_w = outputs
        rows = _window_slices(kernel[0], stride[0], dilation[0], out_h)
        cols = _window_slices(kernel[1], stride[1], dilation[1], out_w)
        return [padded[..., row, col] for row in rows for col in cols], out_h, out_w

    def columns(x, kernel, stride, padding, dilation, groups, outputs=None):
        """(groups, C/groups * KH*KW, N*OH*OW): the windows of padded ``x`` (N, C, H, W) as the columns
        of one matrix per group, built from the channels-first view so that one matrix product
        covers the whole batch (measured: a single large GEMM beats one per sample, by far when
        the cores are busy)."""
        pieces, out_h, out_w = slices(xp.swapaxes(x, 0, 1), kernel, stride, padding, dilation, outputs=outputs)
        stacked = xp.stack(pieces, axis=1)  # (C, KH*KW, N, OH, OW)
        rows = x.shape[1] // groups * kernel[0] * kernel[1]
        return stacked.reshape(groups, rows, x.shape[0] * out_h * out_w), out_h, out_w

    def fold(piece, leading, height, width, kernel, stride, padding, dilation, out_h, out_w, dtype):
        """Adjoint of ``slices``: ``piece(k)`` (leading + (OH, OW)) for window position k summed into a
        zero buffer of the padded input, returned without its padding (leading + (height, width))."""
        (top, bottom), (left, right) = padding
        buffer = xp.zeros(tuple(leading) + (height + top + bottom, width + left + right), dtype=dtype)
        rows = _window_slices(kernel[0], stride[0], dilation[0], out_h)
        cols = _window_slices(kernel[1], stride[1], dilation[1], out_w)
        position = 0
        for row in rows:
            for col in cols:
                buffer = add_into(buffer, (Ellipsis, row, col), piece(position))
                position += 1
        return buffer[..., top:top + height, left:left + width]

    def conv2d(x, weight, stride, padding, dilation, groups):
        batch = x.shape[0]
        out_channels, group_channels, kh, kw = weight.shape
        matrices, out_h, out_w = columns(x, (kh, kw), stride, padding, dilation, groups)
        kernels = weight.reshape(groups, out_channels // groups, group_channels * kh * kw)
        result = xp.matmul(kernels, matrices).reshape(out_channels, batch, out_h, out_w)
        return xp.ascontiguousarray(xp.swapaxes(result, 0, 1))

    def conv2d_input_grad(grad, weight, input_shape, stride, padding, dilation, groups):
        batch, out_channels, out_h, out_w = grad.shape
        _, group_channels, kh, kw = weight.shape
        grads = xp.swapaxes(grad, 0, 1).reshape(groups, out_channels // groups, batch * out_h * out_w)
        kernels = weight.reshape(groups, out_channels // groups, group_channels * kh * kw)
        pieces = xp.matmul(xp.swapaxes(kernels, 1, 2), grads)
        pieces = pieces.reshape(groups * group_channels, kh * kw, batch, out_h, out_w)
        channels_first = fold(lambda position: pieces[:, position], (groups * group_channels, batch),
                              input_shape[2], input_shape[3], (kh, kw), stride, padding, dilation, out_h, out_w,
                              grad.dtype)
        return xp.ascontiguousarray(xp.swapaxes(channels_first, 0, 1))

    def conv2d_weight_grad(x, grad, weight_shape, stride, padding, dilation, groups):
        out_channels, group_channels, kh, kw = weight_shape
        batch, _, out_h, out_w = grad.shape
        matrices, _, _ = columns(x, (kh, kw), stride, padding, dilation, groups, (out_h, out_w))
        grads = xp.swapaxes(grad, 0, 1).reshape(groups, out_channels // groups, batch * out_h * out_w)
        return xp.matmul(grads, xp.swapaxes(matrices, 1, 2)).reshape(weight_shape)

    def lowest(dtype):
        return numpy.iinfo(dtype).min if _is_integral(dtype) else -numpy.inf

    def max_pool2d_indices(x, kernel, stride, padding, dilation):
        # the maximum by element-wise maximum over the kh*kw window slices, then the first
        # slice that attains it (a reduction over a middle axis is slow in numpy); values in the
        # padding are the dtype's lowest, and an index that lands there is clamped to the nearest
        # input position (torch's choice for a window of -inf)
        height, width = x.shape[-2], x.shape[-1]
        pieces, out_h, out_w = slices(x, kernel, stride, padding, dilation, lowest(x.dtype))
        best = pieces[0]
        for piece in pieces[1:]:
            best = xp.maximum(best, piece)
        not_found = pieces[0] != best
        floating = not _is_integral(x.dtype)
        if floating and concrete and not bool(xp.isnan(best).any()):
            floating = False  # maximum propagates NaN: none in ``best`` means none in any window
        if floating:
            not_found &= ~xp.isnan(pieces[0])
        position = not_found.astype(xp.int64)
        for piece in pieces[1:-1]:
            found = piece == best
            if floating:
                found |= xp.isnan(piece)
            not_found &= ~found
            position += not_found
        kernel_rows = xp.arange(kernel[0] * kernel[1]) // kernel[1] * dilation[0]
        kernel_cols = xp.arange(kernel[0] * kernel[1]) % kernel[1] * dilation[1]
        if not any(before or after for before, after in padding):
            starts = (xp.arange(out_h) * (stride[0] * width)).reshape(out_h, 1) + xp.arange(out_w) * stride[1]
            return starts + (kernel_rows * width + kernel_cols)[position]
        rows = (xp.arange(out_h) * stride[0] - padding[0][0]).reshape(out_h, 1) + kernel_rows[position]
        cols = (xp.arange(out_w) * stride[1] - padding[1][0]).reshape(1, out_w) + kernel_cols[position]
        rows = xp.clip(rows, 0, height - 1)
        cols = xp.clip(cols, 0, width - 1)
        return rows * width + cols

    def pool_divisor(shape, kernel, stride, padding, count_include_pad, divisor_override, out_h, out_w):
        if divisor_override:
            return divisor_override
        counts = []
        for extent, size, step, (before, _), outputs in zip(shape[-2:], kernel, stride, padding, (out_h, out_w)):
            start = xp.arange(outputs) * step - before
            end = xp.minimum(start + size, extent + before)
            if not count_include_pad:
                start = xp.maximum(start, 0)
                end = xp.minimum(end, extent)
            counts.append(end - start)
        return (counts[0].reshape(-1, 1) * counts[1].reshape(1, -1))

    def avg_pool2d(x, kernel, stride, padding, count_include_pad, divisor_override):
        pieces, out_h, out_w = slices(x, kernel, stride, padding, (1, 1))
        total = pieces[0]
        for piece in pieces[1:]:
            total = total + piece
        divisor = pool_divisor(x.shape, kernel, stride, padding, count_include_pad, divisor_override, out_h, out_w)
        return (total / divisor).astype(x.dtype)

    def avg_pool2d_backward(grad, input_shape, kernel, stride, padding, count_include_pad, divisor_override):
        out_h, out_w = grad.shape[-2], grad.shape[-1]
        divisor = pool_divisor(input_shape, kernel, stride, padding, count_include_pad, divisor_override,
                               out_h, out_w)
        share = (grad / divisor).astype(grad.dtype)
        return fold(lambda position: share, grad.shape[:-2], input_shape[-2], input_shape[-1], kernel, stride,
                    padding, (1, 1), out_h, out_w, grad.dtype)

    return {
        "conv2d": conv2d, "conv2d_input_grad": conv2d_input_grad, "conv2d_weight_grad": conv2d_weight_grad,
        "max_pool2d_indices": max_pool2d_indices, "avg_pool2d": avg_pool2d,
        "avg_pool2d_backward": avg_pool2d_backward, "pool_divisor": pool_divisor,
    }
