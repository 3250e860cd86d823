"""Convolution and pooling kernels written once against an array namespace ``xp``.

Every sliding-window op is an "im2col": the padded input is cut into the
``kh * kw`` shifted, strided slices a window visits (``_columns``), and the op is
one matrix product (convolution) or one reduction (pooling) over that axis.  The
adjoints scatter back with ``kh * kw`` strided adds into a padded buffer
(``_fold``).  ``add_into(buffer, key, values)`` does those adds: in place on
numpy and cupy, ``buffer.at[key].add(values)`` on jax.

Parameters arrive already checked by the core: ``stride`` and ``dilation`` are
pairs, ``padding`` is ``((top, bottom), (left, right))`` (asymmetric padding
serves ``padding='same'`` and ``ceil_mode``), ``groups`` is an int.
"""

__all__ = ["build_window_kernels", "WINDOW_OP_NAMES"]

WINDOW_OP_NAMES = frozenset({
    "conv2d", "conv2d_input_grad", "conv2d_weight_grad",
    "max_pool2d_indices", "avg_pool2d", "avg_pool2d_backward",
})


def output_length(length, kernel, stride, padding, dilation):
    """Output extent of one spatial dim for total ``padding`` (before + after)."""
    return (length + padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_slices(kernel, stride, dilation, outputs):
    """For each kernel position along one dim, the slice of the padded input it visits."""
    return [slice(k * dilation, k * dilation + stride * (outputs - 1) + 1, stride) for k in range(kernel)]


def build_window_kernels(xp, add_into=None):
    """The sliding-window kernels for namespace ``xp`` (numpy, cupy or jax.numpy), by op name,
    plus the helper ``pool_divisor`` that other backends reuse."""

    if add_into is None:
        def add_into(buffer, key, values):
            buffer[key] += values
            return buffer

    def pad(x, padding, value=0):
        if not any(before or after for before, after in padding):
            return x
        widths = ((0, 0),) * (x.ndim - 2) + tuple(padding)
        return xp.pad(x, widths, constant_values=value)

    def slices(x, kernel, stride, padding, dilation, value=0):
        """The KH*KW strided (N, C, OH, OW) views of padded ``x``, one per window position."""
        padded = pad(x, padding, value)
        out_h = output_length(x.shape[-2], kernel[0], stride[0], sum(padding[0]), dilation[0])
        out_w = output_length(x.shape[-1], kernel[1], stride[1], sum(padding[1]), dilation[1])
        rows = _window_slices(kernel[0], stride[0], dilation[0], out_h)
        cols = _window_slices(kernel[1], stride[1], dilation[1], out_w)
        return [padded[..., row, col] for row in rows for col in cols], out_h, out_w

    def columns(x, kernel, stride, padding, dilation):
        """(N, C, KH*KW, OH, OW): the windows of padded ``x`` copied side by side."""
        pieces, out_h, out_w = slices(x, kernel, stride, padding, dilation)
        return xp.stack(pieces, axis=-3), out_h, out_w

    def fold(pieces, shape, kernel, stride, padding, dilation):
        """Adjoint of ``columns``: (N, C, KH*KW, OH, OW) summed back into an input of ``shape``."""
        (top, bottom), (left, right) = padding
        height, width = shape[-2] + top + bottom, shape[-1] + left + right
        out_h, out_w = pieces.shape[-2], pieces.shape[-1]
        buffer = xp.zeros(tuple(shape[:-2]) + (height, width), dtype=pieces.dtype)
        rows = _window_slices(kernel[0], stride[0], dilation[0], out_h)
        cols = _window_slices(kernel[1], stride[1], dilation[1], out_w)
        position = 0
        for row in rows:
            for col in cols:
                buffer = add_into(buffer, (Ellipsis, row, col), pieces[..., position, :, :])
                position += 1
        return buffer[..., top:top + shape[-2], left:left + shape[-1]]

    def conv2d(x, weight, stride, padding, dilation, groups):
        batch, channels = x.shape[0], x.shape[1]
        out_channels, group_channels, kh, kw = weight.shape
        pieces, out_h, out_w = columns(x, (kh, kw), stride, padding, dilation)
        pieces = pieces.reshape(batch, groups, group_channels * kh * kw, out_h * out_w)
        matrix = weight.reshape(1, groups, out_channels // groups, group_channels * kh * kw)
        result = xp.matmul(matrix, pieces)
        return result.reshape(batch, out_channels, out_h, out_w)

    def conv2d_input_grad(grad, weight, input_shape, stride, padding, dilation, groups):
        batch, out_channels, out_h, out_w = grad.shape
        _, group_channels, kh, kw = weight.shape
        matrix = weight.reshape(groups, out_channels // groups, group_channels * kh * kw)
        matrix = xp.swapaxes(matrix, -1, -2)[None]
        pieces = xp.matmul(matrix, grad.reshape(batch, groups, out_channels // groups, out_h * out_w))
        pieces = pieces.reshape(batch, groups * group_channels, kh * kw, out_h, out_w)
        return fold(pieces, input_shape, (kh, kw), stride, padding, dilation)

    def conv2d_weight_grad(x, grad, weight_shape, stride, padding, dilation, groups):
        # one small product per sample, then a sum over the batch: measured faster on numpy than
        # transposing both operands into one large (out, N*P) @ (N*P, in*kh*kw) product
        out_channels, group_channels, kh, kw = weight_shape
        batch, _, out_h, out_w = grad.shape
        pieces, _, _ = columns(x, (kh, kw), stride, padding, dilation)
        pieces = pieces.reshape(batch, groups, group_channels * kh * kw, out_h * out_w)
        grads = grad.reshape(batch, groups, out_channels // groups, out_h * out_w)
        result = xp.matmul(grads, xp.swapaxes(pieces, -1, -2)).sum(axis=0)
        return result.reshape(weight_shape)

    def lowest(dtype):
        if xp.issubdtype(dtype, xp.floating):
            return -xp.inf
        return xp.iinfo(dtype).min

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
        if xp.issubdtype(x.dtype, xp.floating):
            not_found &= ~xp.isnan(pieces[0])
        position = not_found.astype(xp.int64)
        for piece in pieces[1:-1]:
            found = piece == best
            if xp.issubdtype(x.dtype, xp.floating):
                found |= xp.isnan(piece)
            not_found &= ~found
            position += not_found
        kernel_rows = xp.arange(kernel[0] * kernel[1]) // kernel[1] * dilation[0]
        kernel_cols = xp.arange(kernel[0] * kernel[1]) % kernel[1] * dilation[1]
        rows = (xp.arange(out_h) * stride[0] - padding[0][0]).reshape(out_h, 1) + kernel_rows[position]
        cols = (xp.arange(out_w) * stride[1] - padding[1][0]).reshape(1, out_w) + kernel_cols[position]
        if any(before or after for before, after in padding):
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
        pieces, out_h, out_w = columns(x, kernel, stride, padding, (1, 1))
        divisor = pool_divisor(x.shape, kernel, stride, padding, count_include_pad, divisor_override, out_h, out_w)
        return (pieces.sum(axis=-3) / divisor).astype(x.dtype)

    def avg_pool2d_backward(grad, input_shape, kernel, stride, padding, count_include_pad, divisor_override):
        out_h, out_w = grad.shape[-2], grad.shape[-1]
        divisor = pool_divisor(input_shape, kernel, stride, padding, count_include_pad, divisor_override,
                               out_h, out_w)
        share = (grad / divisor).astype(grad.dtype)
        pieces = xp.broadcast_to(share[..., None, :, :], share.shape[:-2] + (kernel[0] * kernel[1], out_h, out_w))
        return fold(pieces, input_shape, kernel, stride, padding, (1, 1))

    return {
        "conv2d": conv2d, "conv2d_input_grad": conv2d_input_grad, "conv2d_weight_grad": conv2d_weight_grad,
        "max_pool2d_indices": max_pool2d_indices, "avg_pool2d": avg_pool2d,
        "avg_pool2d_backward": avg_pool2d_backward, "pool_divisor": pool_divisor,
    }
