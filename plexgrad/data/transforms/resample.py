"""Resampling of tensor images as two matrix products, ``rows @ image @ columns.T``.

The weight matrices are built on the host like Pillow builds its resampling coefficients
(separable filters, widened by the scale factor when antialiasing a downscale), so tensor
resizing matches Pillow's up to rounding.
"""

__all__ = ["resample_matrix"]

import math

import numpy


def _triangle(x):
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


def _cubic(x, a=-0.5):
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def _box(x):
    return 1.0 if -0.5 <= x < 0.5 else 0.0


_FILTERS = {"bilinear": (_triangle, 1.0), "bicubic": (_cubic, 2.0), "box": (_box, 0.5)}


def resample_matrix(input_size, output_size, mode, antialias):
    """An ``(output_size, input_size)`` float64 numpy matrix that resamples one axis."""
    matrix = numpy.zeros((output_size, input_size))
    scale = input_size / output_size
    if mode in ("nearest", "nearest-exact"):
        for position in range(output_size):
            if mode == "nearest":
                source = min(int(math.floor(position * scale)), input_size - 1)
            else:
                source = min(int(math.floor((position + 0.5) * scale)), input_size - 1)
            matrix[position, source] = 1.0
        return matrix
    if mode not in _FILTERS:
        raise ValueError(f"tensor resize supports interpolation nearest, nearest-exact, bilinear, bicubic and box; "
                         f"got {mode!r}")
    kernel, support = _FILTERS[mode]
    filter_scale = max(scale, 1.0) if antialias else 1.0
    support = support * filter_scale
    for position in range(output_size):
        center = (position + 0.5) * scale
        low = max(int(center - support + 0.5), 0)
        high = min(int(center + support + 0.5), input_size)
        weights = numpy.array([kernel((source - center + 0.5) / filter_scale) for source in range(low, high)])
        total = weights.sum()
        if total == 0:
            nearest = min(max(int(center), 0), input_size - 1)
            matrix[position, nearest] = 1.0
            continue
        matrix[position, low:high] = weights / total
    return matrix
