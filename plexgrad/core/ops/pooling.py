"""Pooling: max (through the argmax indices), average, adaptive average.

``max_pool2d`` asks the backend only for the flat position of each window's
maximum (``max_pool2d_indices``, not differentiable); the values are a ``gather``
at those positions, so the gradient is gather's rule (a scatter-add into the
input) and differentiates again.  ``avg_pool2d`` and its adjoint
``avg_pool2d_backward`` are linear primitives whose rules call each other.
``adaptive_avg_pool2d`` is a composite: a mean, an ``avg_pool2d`` when the bins
are even, else a product with bin-averaging matrices.  The 1-d forms run on the
2-d ops with a height of one.
"""

__all__ = ["max_pool2d", "max_pool1d", "avg_pool2d", "avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_avg_pool1d"]

from .. import dtypes
from ..op import apply, declare
from ..tensor import Tensor
from .convolution import check_floating, spatial_tuple
from .reduction import gather_checked

_indices_op = declare("max_pool2d_indices", dtype_rule="int64",
                      doc="flat input position of each window's maximum (first one on ties)",
                      signature="x, kernel: static, stride: static, padding: static, dilation: static")


def _avg_pool_backward(node, grad):
    input_shape, params = node.params
    return (apply(_avg_pool_adjoint_op, (grad,), (input_shape,) + params, node_params=(params, input_shape)),)


def _avg_pool_adjoint_backward(node, grad):
    params, input_shape = node.params
    return (apply(_avg_pool_op, (grad,), params, node_params=(input_shape, params)),)


_avg_pool_op = declare("avg_pool2d", _avg_pool_backward, node_name="AvgPool2DBackward0",
                       doc="mean over each window",
                       signature="x, kernel: static, stride: static, padding: static, count_include_pad: static, "
                                 "divisor_override: static")
_avg_pool_adjoint_op = declare("avg_pool2d_backward", _avg_pool_adjoint_backward,
                               node_name="AvgPool2DBackwardBackward0", doc="adjoint of avg_pool2d",
                               signature="grad, input_shape: static, kernel: static, stride: static, "
                                         "padding: static, count_include_pad: static, divisor_override: static")


def _pool_arguments(op_name, input, kernel_size, stride, padding, dilation, ceil_mode, spatial=2):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op_name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = tuple(input._data.shape)
    if len(shape) not in (spatial + 1, spatial + 2) or 0 in shape[1:]:
        raise RuntimeError(f"{op_name}: non-empty {spatial + 1}D or {spatial + 2}D (batch mode) tensor expected "
                           f"for input, but got input of size {list(shape)}")
    kernel = spatial_tuple(kernel_size, spatial, "kernel_size", op_name)
    stride = kernel if stride is None or isinstance(stride, (tuple, list)) and len(stride) == 0 else \
        spatial_tuple(stride, spatial, "stride", op_name)
    padding = spatial_tuple(padding, spatial, "padding", op_name)
    dilation = spatial_tuple(dilation, spatial, "dilation", op_name)
    if any(size <= 0 for size in kernel):
        raise RuntimeError(f"{op_name}: kernel size should be greater than zero, but got {list(kernel)}")
    if any(step <= 0 for step in stride):
        raise RuntimeError(f"{op_name}: stride should be greater than zero, but got {list(stride)}")
    if any(step <= 0 for step in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    for pad, size, step in zip(padding, kernel, dilation):
        if pad < 0 or pad > (step * (size - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                               f"kernel_size={size} and dilation={step}")
    outputs, pairs = [], []
    for extent, size, step, pad, spacing in zip(shape[-spatial:], kernel, stride, padding, dilation):
        span = extent + 2 * pad - spacing * (size - 1) - 1
        count = (-(-span // step) if ceil_mode else span // step) + 1
        if ceil_mode and (count - 1) * step >= extent + pad:
            count -= 1  # the last window must start inside the input or its left padding
        outputs.append(count)
        pairs.append((pad, max(pad, (count - 1) * step + spacing * (size - 1) + 1 - extent - pad)))
    if any(count <= 0 for count in outputs):
        planes = shape[-spatial - 1] if len(shape) == spatial + 2 else shape[0]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (planes,) + shape[-spatial:]))}). Calculated "
                           f"output size: ({'x'.join(map(str, [planes] + outputs))}). Output size is too small")
    return kernel, stride, tuple(pairs), dilation, len(shape) == spatial + 2


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over ``kernel_size`` windows of (N, C, H, W) or (C, H, W).  With ``return_indices``
    also the flat ``H * W`` position of each maximum (the first one on ties), as torch gives."""
    kernel, stride, pairs, dilation, batched = _pool_arguments(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    if input._dtype is dtypes.bool:
        raise RuntimeError("\"max_pool2d\" not implemented for 'Bool'; convert the input with .float() or .int()")
    if not batched:
        input = input.unsqueeze(0)
    indices = apply(_indices_op, (input,), (kernel, stride, pairs, dilation))
    batch, channels, out_h, out_w = indices._data.shape
    values = gather_checked(input.flatten(2), 2, indices.reshape(batch, channels, out_h * out_w))
    values = values.reshape(batch, channels, out_h, out_w)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over ``kernel_size`` windows of (N, C, L) or (C, L)."""
    kernel, stride, _, dilation, batched = _pool_arguments(
        "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, spatial=1)
    result = max_pool2d(input.unsqueeze(-2), (1,) + kernel, (1,) + stride, (0,) + spatial_tuple(padding, 1, "", ""),
                        (1,) + dilation, ceil_mode, return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over ``kernel_size`` windows of (N, C, H, W) or (C, H, W).  ``count_include_pad`` counts the
    zero padding in the divisor; ``divisor_override`` replaces the divisor."""
    kernel, stride, pairs, _, batched = _pool_arguments(
        "avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    check_floating("avg_pool2d", input)
    if divisor_override is not None and (isinstance(divisor_override, bool) or divisor_override == 0):
        raise RuntimeError(f"divisor must be not zero, got {divisor_override!r}")
    if not batched:
        input = input.unsqueeze(0)
    params = (kernel, stride, pairs, bool(count_include_pad), divisor_override)
    result = apply(_avg_pool_op, (input,), params, node_params=(tuple(input._data.shape), params))
    return result if batched else result.squeeze(0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over ``kernel_size`` windows of (N, C, L) or (C, L)."""
    kernel, stride, _, _, _ = _pool_arguments("avg_pool1d", input, kernel_size, stride, padding, 1, ceil_mode,
                                              spatial=1)
    result = avg_pool2d(input.unsqueeze(-2), (1,) + kernel, (1,) + stride, (0,) + spatial_tuple(padding, 1, "", ""),
                        ceil_mode, count_include_pad)
    return result.squeeze(-2)


def _bin_matrix(extent, count, like):
    """(count, extent) matrix whose row i averages input positions [floor(i*extent/count), ceil((i+1)*extent/count))."""
    rows = []
    for index in range(count):
        start = index * extent // count
        end = -(-(index + 1) * extent // count)
        rows.append([1.0 / (end - start) if start <= position < end else 0.0 for position in range(extent)])
    from ..factories import tensor
    return tensor(rows, dtype=like._dtype, device=like._device)


def adaptive_avg_pool2d(input, output_size):
    """Mean over the ``output_size`` bins torch uses (bin i spans [floor(i*H/oh), ceil((i+1)*H/oh)));
    ``None`` in ``output_size`` keeps that input size."""
    if not isinstance(input, Tensor):
        raise TypeError(f"adaptive_avg_pool2d(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = tuple(input._data.shape)
    if len(shape) not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(shape)}")
    check_floating("adaptive_avg_pool2d", input)
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be 2, but got {len(output_size)}")
    height, width = shape[-2:]
    out_h = height if output_size[0] is None else int(output_size[0])
    out_w = width if output_size[1] is None else int(output_size[1])
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than zero, but got "
                           f"{[out_h, out_w]}")
    if (out_h, out_w) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if height % out_h == 0 and width % out_w == 0:
        kernel = (height // out_h, width // out_w)
        return avg_pool2d(input, kernel, kernel)
    return _bin_matrix(height, out_h, input) @ input @ _bin_matrix(width, out_w, input).mT


def adaptive_avg_pool1d(input, output_size):
    """Mean over the ``output_size`` bins of (N, C, L) or (C, L)."""
    if isinstance(output_size, (tuple, list)):
        output_size = output_size[0]
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, output_size)).squeeze(-2)
