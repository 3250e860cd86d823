"""``plexgrad.nn.init``: fill tensors in place (under no_grad) with torch's initialisation schemes.

Random draws come from the default generator (``plexgrad.manual_seed``) or the
``generator`` argument, so one seed gives the same weights on every backend.
"""

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_", "uniform", "normal", "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform",
           "kaiming_normal", "orthogonal"]

import math
import warnings

from ..core.autograd.grad_mode import no_grad
from ..core.factories import eye, rand, randn, randperm, zeros
from ..core.ops import elementwise as ew
from ..core.tensor import Tensor

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity`` ('linear', 'tanh', 'relu', 'leaky_relu', 'selu'...)."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = 1
    for extent in tensor.shape[2:]:
        receptive_field *= extent
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check(tensor, name):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{name}: expected a Tensor, got {type(tensor).__name__}")


def _fill(tensor, values):
    with no_grad():
        tensor.copy_(values)
    return tensor


def _sample(sampler, tensor, generator):
    dtype = tensor.dtype if tensor.is_floating_point() else None
    return sampler(tuple(tensor.shape), generator=generator, dtype=dtype, device=tensor.device)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    return _fill(tensor, _sample(rand, tensor, generator) * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std**2)."""
    _check(tensor, "normal_")
    return _fill(tensor, _sample(randn, tensor, generator) * std + mean)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std**2) samples restricted to [a, b] (values outside are redrawn)."""
    _check(tensor, "trunc_normal_")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    with no_grad():
        values = _sample(randn, tensor, generator) * std + mean
        outside = (values < a) | (values > b)
        for _ in range(1000):
            if not outside.any().item():
                break
            redrawn = _sample(randn, tensor, generator) * std + mean
            values = ew.where(outside, redrawn, values)
            outside = (values < a) | (values > b)
        else:
            raise RuntimeError(f"trunc_normal_: could not draw values inside [{a}, {b}] from N({mean}, {std}**2); "
                               "check that the interval has probability mass")
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fill with the value ``val``."""
    _check(tensor, "constant_")
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix."""
    _check(tensor, "eye_")
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, columns = tensor.shape
    return _fill(tensor, eye(rows, columns, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta (identity convolution)."""
    _check(tensor, "dirac_")
    dimensions = tensor.dim()
    if dimensions not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    minimum = min(out_per_group, sizes[1])
    values = zeros(sizes, dtype=tensor.dtype, device=tensor.device)
    centre = tuple(extent // 2 for extent in sizes[2:])
    with no_grad():
        for group in range(groups):
            for channel in range(minimum):
                values[(group * out_per_group + channel, channel) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-bound, bound), ``bound = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std**2), ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound), ``bound = gain * sqrt(3 / fan)``."""
    _check(tensor, "kaiming_uniform_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std**2), ``std = gain / sqrt(fan)``."""
    _check(tensor, "kaiming_normal_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix (rows or columns orthonormal), scaled by ``gain``."""
    _check(tensor, "orthogonal_")
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    columns = tensor.numel() // rows
    with no_grad():
        flat = _sample(randn, tensor.new_zeros((rows, columns)), generator)
        if rows < columns:
            flat = flat.t()
        basis = _gram_schmidt(flat)
        if rows < columns:
            basis = basis.t()
        values = (basis * gain).reshape(tuple(tensor.shape))
    return _fill(tensor, values)


def _gram_schmidt(matrix):
    """Orthonormal columns spanning ``matrix``'s columns (Gram-Schmidt, each projection done twice)."""
    from ..core.ops.shape import cat
    basis = None
    for index in range(matrix.shape[1]):
        vector = matrix[:, index:index + 1]
        if basis is not None:
            vector = vector - basis @ (basis.t() @ vector)
            vector = vector - basis @ (basis.t() @ vector)
        vector = vector / vector.square().sum().sqrt()
        basis = vector if basis is None else cat([basis, vector], 1)
    return basis


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-D tensor from N(0, std**2) with a fraction ``sparsity`` of each column set to zero."""
    _check(tensor, "sparse_")
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, columns = tensor.shape
    zero_count = int(math.ceil(sparsity * rows))
    with no_grad():
        values = _sample(randn, tensor, generator) * std
        for column in range(columns):
            indices = randperm(rows, generator=generator, device=tensor.device)[:zero_count]
            values[indices, column] = 0
    return _fill(tensor, values)


def _deprecated(function):
    def deprecated(*args, **kwargs):
        warnings.warn(f"nn.init.{function.__name__[:-1]} is now deprecated in favor of nn.init.{function.__name__}.",
                      FutureWarning, stacklevel=2)
        return function(*args, **kwargs)
    deprecated.__name__ = function.__name__[:-1]
    deprecated.__doc__ = f"Deprecated alias of ``{function.__name__}``."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
