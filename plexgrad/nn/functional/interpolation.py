"""``F.interpolate`` (and the older ``upsample*`` names): resize the spatial dimensions of
(N, C, d1, ..., dk) input by nearest, nearest-exact, (bi/tri)linear, bicubic or area sampling.

Every mode except 'area' is separable: each spatial dimension in turn becomes a weighted sum of
one, two or four ``index_select``-ed copies of the input.  The source positions and weights depend
only on the sizes, so they are computed here on the host, following torch's CPU kernels step by
step (``area_pixel_compute_source_index`` and friends in ATen's UpSample.h), with torch's float32
arithmetic for float32 and lower inputs: a nearest source index is a ``floor``, and computing it in
double would pick a different pixel than torch at some sizes.  Built from Tensor ops, so it runs on
every backend and its gradient (an ``index_add`` per tap) comes from autograd.
"""

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

import math
import struct

from ...core import dtypes
from ...core.factories import tensor as make_tensor
from ...core.ops.convolution import require_floating
from ...core.ops.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from ...core.tensor import Tensor

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_RANK = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
_CUBIC_A = -0.75


def _single(value):
    """``value`` rounded to float32, as C++ float arithmetic does after each step."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _identity(value):
    return value


def _scale(input_size, output_size, align_corners, scale_factor, rounded):
    """ATen's area_pixel_compute_scale: how far apart consecutive output samples are in the input."""
    if align_corners:
        return rounded((input_size - 1) / (output_size - 1)) if output_size > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return rounded(1.0 / scale_factor)
    return rounded(rounded(float(input_size)) / output_size)


def _nearest_taps(input_size, output_size, scale_factor, exact):
    """One tap per output position: the source index, weight 1."""
    scale = _single(1.0 / scale_factor) if scale_factor is not None and scale_factor > 0 else \
        _single(_single(float(input_size)) / output_size)
    indices = []
    for position in range(output_size):
        if exact:
            source = math.floor(_single(_single(position + 0.5) * scale))
        else:  # no shortcut when the sizes match: a given scale factor of 1.1 still moves pixels
            source = math.floor(_single(position * scale))
        indices.append(min(source, input_size - 1))
    return [(indices, None)]


def _linear_taps(input_size, output_size, align_corners, scale_factor, rounded):
    scale = _scale(input_size, output_size, align_corners, scale_factor, rounded)
    lower, upper, weights = [], [], []
    for position in range(output_size):
        if align_corners:
            source = rounded(scale * position)
        else:
            source = max(rounded(rounded(scale * rounded(position + 0.5)) - 0.5), 0.0)
        index = min(math.floor(source), input_size - 1)
        fraction = min(max(rounded(source - index), 0.0), 1.0)
        lower.append(index)
        upper.append(index + (1 if index < input_size - 1 else 0))
        weights.append(fraction)
    return [(lower, [rounded(1.0 - weight) for weight in weights]), (upper, weights)]


def _cubic_near(x):  # |x| <= 1
    return ((_CUBIC_A + 2) * x - (_CUBIC_A + 3)) * x * x + 1


def _cubic_far(x):  # 1 < |x| < 2
    return ((_CUBIC_A * x - 5 * _CUBIC_A) * x + 8 * _CUBIC_A) * x - 4 * _CUBIC_A


def _cubic_taps(input_size, output_size, align_corners, scale_factor, rounded):
    scale = _scale(input_size, output_size, align_corners, scale_factor, rounded)
    taps = [([], []) for _ in range(4)]
    for position in range(output_size):
        if align_corners:
            source = rounded(scale * position)
        else:
            source = rounded(rounded(scale * rounded(position + 0.5)) - 0.5)  # not clamped for cubic
        index = math.floor(source)
        fraction = rounded(source - index)
        coefficients = (_cubic_far(fraction + 1.0), _cubic_near(fraction), _cubic_near(1.0 - fraction),
                        _cubic_far(2.0 - fraction))
        for tap, coefficient in enumerate(coefficients):
            taps[tap][0].append(min(max(index - 1 + tap, 0), input_size - 1))
            taps[tap][1].append(rounded(coefficient))
    return taps


def _resample(input, dim, taps):
    """Sum over taps of ``input.index_select(dim, indices) * weights`` (weights along ``dim``)."""
    result = None
    shape = [1] * input.dim()
    shape[dim] = -1
    for indices, weights in taps:
        picked = input.index_select(dim, make_tensor(indices, dtype=dtypes.int64, device=input.device))
        if weights is not None:
            picked = picked * make_tensor(weights, dtype=input.dtype, device=input.device).reshape(shape)
        result = picked if result is None else result + picked
    return result


def _spatial_list(value, spatial, name, input):
    if isinstance(value, (tuple, list)):
        if len(value) != spatial:
            raise ValueError(f"Input and {name} must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and {name} of {list(value)}. "
                             f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and {name} in "
                             f"(o1, o2, ...,oK) format.")
        return list(value)
    return [value] * spatial


def _wrong_rank(input, mode):
    if mode in _LINEAR_RANK:
        return NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR_RANK[mode] + 2}D input")
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
                               f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                               f"(got {mode})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``input`` (N, C, d1, ..., dk), k = 1, 2 or 3, to ``size`` or by ``scale_factor``.

    ``mode``: 'nearest' (torch's legacy rule), 'nearest-exact', 'linear' (3-D input), 'bilinear' and
    'bicubic' (4-D), 'trilinear' (5-D) or 'area' (adaptive average pooling, 3-D and 4-D).
    ``align_corners=True`` maps the corner pixels' centres onto each other (interpolating modes only).
    With ``scale_factor`` the output size is ``floor(size * scale_factor)``, and the sampling uses the
    given factor unless ``recompute_scale_factor=True``, which uses output / input sizes.

        >>> interpolate(torch.tensor([[[1., 2.]]]), scale_factor=2, mode='linear')
        tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: unknown mode {mode!r}; choose one of {' | '.join(_MODES)}")
    spatial = input.dim() - 2
    if spatial < 1:
        raise _wrong_rank(input, mode)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        output_size = [int(value) for value in _spatial_list(size, spatial, "output size", input)]
        scale_factors = None
    elif scale_factor is not None:
        scale_factors = [float(value) for value in _spatial_list(scale_factor, spatial, "scale_factor", input)]
        output_size = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
        align_corners = False
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by plexgrad; resize without it, "
                                  "or low-pass filter first (e.g. avg_pool2d) when shrinking")
    if mode in _LINEAR_RANK and spatial != _LINEAR_RANK[mode] or spatial > 3:
        raise _wrong_rank(input, mode)
    extents = list(input.shape[2:])
    if output_size is None:
        output_size = [int(math.floor(extent * factor)) for extent, factor in zip(extents, scale_factors)]
        if recompute_scale_factor:
            scale_factors = None
    if scale_factors is None:
        scale_factors = [None] * spatial
    if any(extent <= 0 for extent in extents) or any(extent <= 0 for extent in output_size):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"{tuple(extents)} output {tuple(output_size)}")
    if mode == "area":
        if spatial == 1:
            return adaptive_avg_pool1d(input, output_size[0])
        if spatial == 2:
            return adaptive_avg_pool2d(input, output_size)
        raise NotImplementedError("interpolate: mode='area' on 5-D input needs adaptive_avg_pool3d, which plexgrad "
                                  "does not have yet; use mode='trilinear' or resize 2-d slices")
    if mode not in ("nearest", "nearest-exact"):
        require_floating("compute_indices_weights_cubic" if mode == "bicubic" else "compute_indices_weights_linear",
                         input)
    rounded = _single if input.dtype.itemsize <= 4 else _identity
    output = input
    for offset in range(spatial):
        dim = 2 + offset
        arguments = (extents[offset], output_size[offset])
        if mode in ("nearest", "nearest-exact"):
            taps = _nearest_taps(*arguments, scale_factors[offset], mode == "nearest-exact")
        elif mode == "bicubic":
            taps = _cubic_taps(*arguments, align_corners, scale_factors[offset], rounded)
        else:
            taps = _linear_taps(*arguments, align_corners, scale_factors[offset], rounded)
        output = _resample(output, dim, taps)
    return output


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The older name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
