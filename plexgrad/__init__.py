"""plexgrad: PyTorch's way of working (Tensor, autograd, nn, optim, data) on numpy, JAX,
CuPy and any backend a plugin provides.

    import plexgrad as torch
    x = torch.ones(2, 2, requires_grad=True)
    (x * 3).sum().backward()
    x.grad   # tensor([[3., 3.], [3., 3.]])

Choose the device with ``device=``, ``PLEXGRAD_DEVICE=jax`` or ``plexgrad.set_default_device``.
"""

__version__ = "0.1.0"

from . import core as _core  # binds Tensor methods
from .core.dtypes import (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, dtype,
                          get_default_dtype, set_default_dtype, promote_types)
from .core.device import device, get_default_device, set_default_device
from .core.size import Size
from .core.tensor import Tensor
from .core.autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode
from .core.factories import (tensor, as_tensor, asarray, from_numpy, from_dlpack, zeros, ones, empty, full,
                             arange, linspace, logspace, eye, rand, randn, randint, randperm, normal,
                             zeros_like, ones_like, empty_like, full_like, rand_like, randn_like, randint_like,
                             scalar_tensor)
from .core.random import Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state
from .core.printing import set_printoptions, get_printoptions
from .core.ops.elementwise import (neg, abs, exp, log, sqrt, rsqrt, sin, cos, tan, tanh, sigmoid, relu, asin,
                                   acos, atan, sinh, cosh, sign, floor, ceil, round, trunc, log1p, expm1, log2,
                                   log10, reciprocal, square, logical_not, bitwise_not, isnan, isinf, isfinite,
                                   add, sub, mul, div, pow, maximum, minimum, atan2, remainder, fmod,
                                   floor_divide, eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor,
                                   bitwise_and, bitwise_or, bitwise_xor, bitwise_left_shift, bitwise_right_shift, where)
from .core.ops.reduction import (sum, mean, prod, amax, amin, max, min, argmax, argmin, all, any, cumsum,
                                 cumprod, gather, scatter_add)
from .core.ops.shape import (reshape, permute, transpose, t, squeeze, unsqueeze, flatten, unflatten, cat,
                             concatenate, stack, flip, narrow, split, chunk, unbind, movedim, clone, swapaxes,
                             broadcast_to, hstack, vstack)
from .core.ops.linalg import matmul, mm, bmm, mv, dot, outer
from .core.ops.indexing import nonzero, index_put
from .core.ops.math_extra import (clamp, clip, clamp_min, clamp_max, frac, addcmul, addcdiv, lerp, hypot,
                                  logaddexp, logaddexp2)
from .core.ops.statistics import (var, std, var_mean, std_mean, median, nanmedian, norm, dist, count_nonzero,
                                  nansum, nanmean)
from .core.ops.sorting import (sort, argsort, msort, topk, kthvalue, unique, searchsorted, bucketize, equal,
                               isclose, allclose)
from .core.ops.selection import (index_select, masked_select, masked_fill, scatter, take, take_along_dim,
                                 index_add, index_copy, index_fill)
from .core.ops.einsum import einsum
from .core.ops.convolution import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .core.ops.pooling import max_pool1d, max_pool2d, avg_pool1d, adaptive_avg_pool1d
from .core.ops.activation import softmax, log_softmax, logsumexp, erf
from . import linalg
from .linalg import det, slogdet, logdet, inv as inverse
from .core.legacy import LEGACY_TYPES as _LEGACY_TYPES
from . import autograd, cuda
from .serialization import save, load
from .core.kernel_errors import OutOfMemoryError

_LAYERS_ABOVE = ("nn", "optim", "data", "utils")
"""Subpackages built on the core, imported on first use (``plexgrad.nn``, ``from plexgrad import optim``):
importing ``plexgrad.core`` must not import them (see docs/architecture.md)."""


def __getattr__(name):
    if name in _LAYERS_ABOVE:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'plexgrad' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAYERS_ABOVE))

negative = neg
subtract = sub
multiply = mul
divide = div
true_divide = div
greater = gt
less = lt
absolute = abs
arctan2 = atan2


def is_tensor(obj):
    """True when ``obj`` is a plexgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """Number of elements of ``input``."""
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def _make_legacy(name, legacy_dtype):
    def construct(*args, device=None):
        from .core.factories import legacy_construct
        return legacy_construct(args, legacy_dtype, device)
    construct.__name__ = name
    construct.__doc__ = f"Legacy constructor: ``{name}(data)`` or ``{name}(*sizes)`` gives a {legacy_dtype} tensor."
    construct.legacy_dtype = legacy_dtype
    return construct


for _name, _legacy_dtype in _LEGACY_TYPES.items():
    globals()[_name] = _make_legacy(_name, _legacy_dtype)
del _name, _legacy_dtype

float = float32  # noqa: A001  torch.float
double = float64
half = float16
int = int32  # noqa: A001  torch.int
long = int64
short = int16

from .core.ops.composite import with_out as _with_out  # noqa: E402  torch's out= on public functions
for _name in ("neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "asin", "acos",
              "atan", "sinh", "cosh", "sign", "floor", "ceil", "round", "trunc", "log1p", "expm1", "log2", "log10",
              "reciprocal", "square", "logical_not", "bitwise_not", "add", "sub", "mul", "div", "pow", "maximum",
              "minimum", "atan2", "remainder", "fmod", "floor_divide", "eq", "ne", "lt", "le", "gt", "ge",
              "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "where",
              "clamp", "clip", "clamp_min", "clamp_max", "frac", "addcmul", "addcdiv", "lerp", "hypot", "logaddexp",
              "logaddexp2", "sum", "mean", "prod", "amax", "amin", "max", "min", "cumsum", "cumprod", "var", "std",
              "nansum", "nanmean", "matmul", "mm", "bmm", "mv", "dot", "outer", "sort", "topk", "kthvalue",
              "index_select", "masked_select", "take", "gather", "cat", "stack", "einsum", "negative", "subtract",
              "multiply", "divide", "true_divide", "greater", "less", "absolute", "arctan2"):
    if _name in globals() and not hasattr(globals()[_name], "without_out"):
        globals()[_name] = _with_out(globals()[_name])
del _name
