"""Convolution primitives: ``conv2d`` and its two adjoints, each declared once.

``conv2d(x, w)`` is linear in ``x`` and in ``w``.  Its derivative rule calls
``conv2d_input_grad`` (the transposed convolution) and ``conv2d_weight_grad``,
which are primitives too; their own rules are written with ``conv2d`` and each
other, so every order of derivative is one of these three ops (double backward
for free).  ``conv1d`` runs on ``conv2d`` with a height of one.

Kernels receive checked parameters: ``stride`` and ``dilation`` pairs, padding
as ``((top, bottom), (left, right))``, ``groups`` an int.
"""

__all__ = ["conv2d", "conv1d", "conv_transpose2d", "conv_transpose1d", "conv_arguments", "transpose_arguments",
           "spatial_tuple", "check_floating", "require_floating", "scalar_type_name"]

from .. import dtypes
from ..op import apply, declare
from ..tensor import Tensor


def _conv2d_backward(node, grad):
    input, weight = node.saved_tensors
    grad_input = grad_weight = None
    if node.edges[0] is not None:
        grad_input = conv2d_input_grad(grad, weight, tuple(input._data.shape), node.params)
    if node.edges[1] is not None:
        grad_weight = conv2d_weight_grad(input, grad, tuple(weight._data.shape), node.params)
    return grad_input, grad_weight


def _input_grad_backward(node, grad):
    # input_grad(g_out, w) = adjoint of conv(., w) applied to g_out; grad has the input's shape
    grad_output, weight = node.saved_tensors
    params = node.params[1:]
    first = second = None
    if node.edges[0] is not None:
        first = _crop(convolve(grad, weight, params), grad_output)
    if node.edges[1] is not None:
        second = conv2d_weight_grad(grad, grad_output, tuple(weight._data.shape), params)
    return first, second


def _weight_grad_backward(node, grad):
    # weight_grad(x, g_out) = adjoint of conv(x, .) applied to g_out; grad has the weight's shape
    input, grad_output = node.saved_tensors
    params = node.params[1:]
    first = second = None
    if node.edges[0] is not None:
        first = conv2d_input_grad(grad_output, grad, tuple(input._data.shape), params)
    if node.edges[1] is not None:
        second = _crop(convolve(input, grad, params), grad_output)
    return first, second


def _crop(result, like):
    """``result`` cut to ``like``'s spatial size: a transposed convolution's output_padding adds
    input rows whose windows lie past the gradient it was computed from."""
    height, width = like._data.shape[2:]
    if tuple(result._data.shape[2:]) != (height, width):
        result = result[:, :, :height, :width]
    return result


_conv2d_op = declare("conv2d", _conv2d_backward, node_name="ConvolutionBackward0",
                     doc="2-d cross-correlation of (N, C, H, W) with (O, C/groups, kH, kW)",
                     signature="x, weight, stride: static, padding: static, dilation: static, groups: static")
_input_grad_op = declare("conv2d_input_grad", _input_grad_backward, node_name="ConvolutionBackwardBackward0",
                         doc="transposed convolution: the gradient of conv2d with respect to its input",
                         signature="grad, weight, input_shape: static, stride: static, padding: static, "
                                   "dilation: static, groups: static")
_weight_grad_op = declare("conv2d_weight_grad", _weight_grad_backward, node_name="ConvolutionBackwardBackward0",
                          doc="the gradient of conv2d with respect to its weight",
                          signature="x, grad, weight_shape: static, stride: static, padding: static, "
                                    "dilation: static, groups: static")


def convolve(input, weight, params):
    """The ``conv2d`` primitive on checked 4-d operands; ``params`` = (stride, padding, dilation, groups)."""
    return apply(_conv2d_op, (input, weight), params, save=(0, 1))


def conv2d_input_grad(grad_output, weight, input_shape, params):
    """The gradient of ``conv2d`` with respect to an input of ``input_shape``."""
    return apply(_input_grad_op, (grad_output, weight), (input_shape,) + tuple(params), save=(0, 1))


def conv2d_weight_grad(input, grad_output, weight_shape, params):
    """The gradient of ``conv2d`` with respect to a weight of ``weight_shape``."""
    return apply(_weight_grad_op, (input, grad_output), (weight_shape,) + tuple(params), save=(0, 1))


# ---- argument checks -------------------------------------------------------------------
def spatial_tuple(value, count, name, op_name):
    """``value`` (an int or a sequence of ``count`` ints, or of one) as a tuple of ``count`` ints."""
    if isinstance(value, bool) or not isinstance(value, (int, tuple, list)) and not hasattr(value, "__index__"):
        raise TypeError(f"{op_name}(): argument '{name}' must be an int or a tuple of {count} ints, "
                        f"not {type(value).__name__}")
    if isinstance(value, (tuple, list)):
        values = tuple(int(item) for item in value)
        if len(values) == 1:
            values = values * count
        if len(values) != count:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {count} values to "
                               f"match the convolution dimensions, but got {name}={list(values)}")
        return values
    return (int(value),) * count


def check_floating(op_name, *tensors):
    """Raise torch's errors unless every tensor is floating point and of the first one's dtype."""
    first = tensors[0]
    if first._dtype.category != dtypes.FLOATING:
        raise RuntimeError(f"{op_name}: expected a floating point input, but got {first._dtype}; "
                           f"convert it with .float()")
    for other in tensors[1:]:
        if other is not None and other._dtype is not first._dtype:
            raise RuntimeError(f"expected scalar type {_type_name(first._dtype)} but found "
                               f"{_type_name(other._dtype)} ({op_name}: input is {first._dtype}, a parameter is "
                               f"{other._dtype}; convert one with .to({first._dtype}))")


def _type_name(dtype):
    return scalar_type_name(dtype)


_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                      "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                      "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def scalar_type_name(dtype):
    """torch's C++ name of ``dtype`` ('Float', 'Long'...), as its kernels' messages spell it."""
    return _SCALAR_TYPE_NAMES.get(dtype.name, dtype.name)


def require_floating(kernel_name, input):
    """torch's NotImplementedError for a kernel without integer support, plus what to do."""
    if input._dtype.category != dtypes.FLOATING:
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{scalar_type_name(input._dtype)}\' '
                                  f'(convert the input with .float())')


def _check_tensor(op_name, name, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op_name}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def _check_operands(op_name, spatial, input, weight, bias, weight_layout):
    """Types, ranks and dtypes shared by every convolution; returns (input ndim, weight shape)."""
    _check_tensor(op_name, "input", input)
    _check_tensor(op_name, "weight", weight)
    if bias is not None:
        _check_tensor(op_name, "bias", bias)
    ndim = input._data.ndim
    if ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op_name}, "
                           f"but got input of size: {list(input._data.shape)}")
    weight_shape = list(weight._data.shape)
    if len(weight_shape) != spatial + 2:
        raise RuntimeError(f"{op_name}: expected a {spatial + 2}D weight ({weight_layout}, kernel size...), "
                           f"but got weight of size {weight_shape}")
    check_floating(op_name, input, weight, bias)
    return ndim, weight_shape


def conv_arguments(op_name, spatial, input, weight, bias, stride, padding, dilation, groups):
    """Check a convolution call like torch; return (stride, padding pairs, dilation, groups, batched)."""
    ndim, weight_shape = _check_operands(op_name, spatial, input, weight, bias, "out_channels, in_channels/groups")
    stride = spatial_tuple(stride, spatial, "stride", op_name)
    dilation = spatial_tuple(dilation, spatial, "dilation", op_name)
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{op_name}(): argument 'groups' must be int, not {type(groups).__name__}")
    if any(step <= 0 for step in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(step <= 0 for step in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    shape = list(input._data.shape) if ndim == spatial + 2 else [1] + list(input._data.shape)
    if weight_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {weight_shape} instead")
    if shape[1] != weight_shape[1] * groups:
        described = shape if ndim == spatial + 2 else shape[1:]
        raise RuntimeError(f"Given groups={groups}, weight of size {weight_shape}, expected input{described} to "
                           f"have {weight_shape[1] * groups} channels, but got {shape[1]} channels instead")
    kernel = weight_shape[2:]
    pairs = _padding_pairs(op_name, padding, spatial, kernel, stride, dilation)
    padded = [extent + before + after for extent, (before, after) in zip(shape[2:], pairs)]
    effective = [step * (size - 1) + 1 for step, size in zip(dilation, kernel)]
    if any(size > extent for size, extent in zip(effective, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater than "
                           f"actual input size")
    if bias is not None and list(bias._data.shape) != [weight_shape[0]]:
        raise RuntimeError(f"Given weight of size {weight_shape}, expected bias to be 1-dimensional with "
                           f"{weight_shape[0]} elements, but got bias of size {list(bias._data.shape)} instead")
    return stride, pairs, dilation, groups, ndim == spatial + 2


def _padding_pairs(op_name, padding, spatial, kernel, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * spatial
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'; use 'same', 'valid' or integers")
        if any(step != 1 for step in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pairs = []
        for size, step in zip(kernel, dilation):
            total = step * (size - 1)
            pairs.append((total // 2, total - total // 2))  # torch puts the odd extra one after
        return tuple(pairs)
    values = spatial_tuple(padding, spatial, "padding", op_name)
    if any(value < 0 for value in values):
        raise RuntimeError("negative padding is not supported")
    return tuple((value, value) for value in values)


# ---- public functions --------------------------------------------------------------------
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) of ``input`` (N, C, H, W) or (C, H, W) with ``weight``
    (O, C/groups, kH, kW), plus ``bias`` (O,).  ``padding`` is an int, a pair, 'valid' or 'same'.

        >>> conv2d(torch.ones(1, 1, 4, 4), torch.ones(2, 1, 3, 3)).shape
        torch.Size([1, 2, 2, 2])
    """
    stride, pairs, dilation, groups, batched = conv_arguments(
        "conv2d", 2, input, weight, bias, stride, padding, dilation, groups)
    if not batched:
        input = input.unsqueeze(0)
    result = convolve(input, weight, (stride, pairs, dilation, groups))
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1)
    return result if batched else result.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of ``input`` (N, C, L) or (C, L) with ``weight`` (O, C/groups, k), plus ``bias``."""
    stride, pairs, dilation, groups, batched = conv_arguments(
        "conv1d", 1, input, weight, bias, stride, padding, dilation, groups)
    if not batched:
        input = input.unsqueeze(0)
    result = convolve(input.unsqueeze(2), weight.unsqueeze(2),
                      ((1,) + stride, ((0, 0),) + pairs, (1,) + dilation, groups)).squeeze(2)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1)
    return result if batched else result.squeeze(0)


# ---- transposed convolution: the input gradient of conv2d, as a layer ------------------------
def transpose_arguments(op_name, spatial, input, weight, bias, stride, padding, output_padding, groups, dilation):
    ndim, weight_shape = _check_operands(op_name, spatial, input, weight, bias, "in_channels, out_channels/groups")
    stride = spatial_tuple(stride, spatial, "stride", op_name)
    padding = spatial_tuple(padding, spatial, "padding", op_name)
    output_padding = spatial_tuple(output_padding, spatial, "output_padding", op_name)
    dilation = spatial_tuple(dilation, spatial, "dilation", op_name)
    if any(step <= 0 for step in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(step <= 0 for step in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if any(value < 0 for value in padding + output_padding):
        raise RuntimeError("negative padding is not supported")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    for extra, step, spacing in zip(output_padding, stride, dilation):
        if extra >= step and extra >= spacing:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={list(output_padding)}, stride={list(stride)} and "
                               f"dilation={list(dilation)}")
    shape = list(input._data.shape) if ndim == spatial + 2 else [1] + list(input._data.shape)
    if weight_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {weight_shape} instead")
    if shape[1] != weight_shape[0]:
        described = shape if ndim == spatial + 2 else shape[1:]
        raise RuntimeError(f"Given transposed=1, weight of size {weight_shape}, expected input{described} to "
                           f"have {weight_shape[0]} channels, but got {shape[1]} channels instead")
    out_channels = weight_shape[1] * groups
    if bias is not None and list(bias._data.shape) != [out_channels]:
        raise RuntimeError(f"Given transposed=1, weight of size {weight_shape}, expected bias to be 1-dimensional "
                           f"with {out_channels} elements, but got bias of size {list(bias._data.shape)} instead")
    sizes = [(extent - 1) * step - 2 * pad + spacing * (size - 1) + extra + 1 for extent, step, pad, spacing, size,
             extra in zip(shape[2:], stride, padding, dilation, weight_shape[2:], output_padding)]
    if any(size <= 0 for size in sizes):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, shape[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, sizes))}). Output size is too small")
    params = (stride, tuple((pad, pad) for pad in padding), dilation, groups)
    return params, [shape[0], out_channels] + sizes, ndim == spatial + 2


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution ("deconvolution") of (N, C_in, H, W) with ``weight``
    (C_in, C_out/groups, kH, kW): the gradient of ``conv2d`` with respect to its input, with
    output size (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1."""
    params, output_shape, batched = transpose_arguments(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups, dilation)
    if not batched:
        input = input.unsqueeze(0)
    result = conv2d_input_grad(input, weight, tuple(output_shape), params)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1, 1)
    return result if batched else result.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution of (N, C_in, L) with ``weight`` (C_in, C_out/groups, k)."""
    params, output_shape, batched = transpose_arguments(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups, dilation)
    if not batched:
        input = input.unsqueeze(0)
    stride, pairs, dilation, groups = params
    result = conv2d_input_grad(input.unsqueeze(2), weight.unsqueeze(2),
                               (output_shape[0], output_shape[1], 1, output_shape[2]),
                               ((1,) + stride, ((0, 0),) + pairs, (1,) + dilation, groups)).squeeze(2)
    if bias is not None:
        result = result + bias.reshape(1, -1, 1)
    return result if batched else result.squeeze(0)
