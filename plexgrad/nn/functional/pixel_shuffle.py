"""``F.pixel_shuffle`` and ``F.pixel_unshuffle``: move ``r * r`` channels into an ``r``-times larger
image and back (sub-pixel convolution).  Pure reshapes and one permute, so they run on every
backend and their gradients are the inverse rearrangement."""

__all__ = ["pixel_shuffle", "pixel_unshuffle"]

from ...core.tensor import Tensor


def _check(name, input, factor, factor_name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if isinstance(factor, bool) or not isinstance(factor, int):
        raise TypeError(f"{name}(): argument '{factor_name}' must be int, not {type(factor).__name__}")
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {factor_name}, but got {factor}")


def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r) with ``r = upscale_factor``.

        >>> pixel_shuffle(torch.arange(4.).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    _check("pixel_shuffle", input, upscale_factor, "upscale_factor")
    factor = upscale_factor
    *batch, channels, height, width = input.shape
    if channels % (factor * factor):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={channels} is not divisible by {factor * factor}")
    lead = len(batch)
    output_channels = channels // (factor * factor)
    split = input.reshape(*batch, output_channels, factor, factor, height, width)
    order = list(range(lead)) + [lead, lead + 3, lead + 1, lead + 4, lead + 2]
    return split.permute(*order).reshape(*batch, output_channels, height * factor, width * factor)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W) with ``r = downscale_factor``: the inverse of
    ``pixel_shuffle``."""
    _check("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    factor = downscale_factor
    *batch, channels, height, width = input.shape
    if height % factor:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={height} is not divisible by {factor}")
    if width % factor:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={width} is not divisible by {factor}")
    lead = len(batch)
    split = input.reshape(*batch, channels, height // factor, factor, width // factor, factor)
    order = list(range(lead)) + [lead, lead + 2, lead + 4, lead + 1, lead + 3]
    return split.permute(*order).reshape(*batch, channels * factor * factor, height // factor, width // factor)
