"""Image utilities as in torchvision.utils: ``make_grid`` tiles a batch of images into one image,
``save_image`` writes a tensor (or a batch, tiled) to an image file."""

__all__ = ["make_grid", "save_image"]

import math

from ..core import dtypes
from ..core.factories import full
from ..core.ops.elementwise import where
from ..core.ops.shape import cat, stack
from ..core.tensor import Tensor
from .pil import require_pil


def _clamp(tensor, low, high):
    return where(tensor < low, low, where(tensor > high, high, tensor))


def _normalized(tensor, value_range):
    low, high = value_range if value_range is not None else (float(tensor.amin()), float(tensor.amax()))
    return (_clamp(tensor, low, high) - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile ``B x C x H x W`` images (or a list of ``C x H x W``) into one ``C x H' x W'`` image,
    ``nrow`` images per row, ``padding`` pixels of ``pad_value`` between and around them.

    ``normalize=True`` shifts values into [0, 1] using ``value_range`` (or the min and max;
    per image with ``scale_each=True``). One-channel images become three-channel.
    """
    if isinstance(tensor, (list, tuple)):
        tensor = stack(list(tensor), 0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor).__name__}")
    if tensor.ndim == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.ndim == 3:
        if tensor.shape[0] == 1:
            tensor = cat([tensor, tensor, tensor], 0)
        tensor = tensor.unsqueeze(0)
    if tensor.ndim != 4:
        raise ValueError(f"make_grid expects a 2-D, 3-D or 4-D tensor, got shape {list(tensor.shape)}")
    if tensor.shape[1] == 1:
        tensor = cat([tensor, tensor, tensor], 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if scale_each:
            tensor = stack([_normalized(image, value_range) for image in tensor], 0)
        else:
            tensor = _normalized(tensor, value_range)
    if tensor.shape[0] == 1:
        return tensor.squeeze(0)
    count, channels, height, width = tensor.shape
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    options = {"dtype": tensor.dtype, "device": tensor.device}
    vertical_gap = full((channels, height, padding), pad_value, **options)
    blank = full((channels, height, width), pad_value, **options)
    grid_width = (width + padding) * columns + padding
    horizontal_gap = full((channels, padding, grid_width), pad_value, **options)
    pieces = [horizontal_gap]
    for row in range(rows):
        row_pieces = [vertical_gap]
        for column in range(columns):
            index = row * columns + column
            row_pieces.append(tensor[index] if index < count else blank)
            row_pieces.append(vertical_gap)
        pieces.append(cat(row_pieces, 2))
        pieces.append(horizontal_gap)
    return cat(pieces, 1)


def save_image(tensor, fp, format=None, **grid_options):
    """Write ``tensor`` (values in [0, 1]; a batch is tiled with ``make_grid(**grid_options)``) to
    ``fp`` (a path or file object) as an image; ``format`` overrides the file-name extension."""
    Image = require_pil()
    grid = make_grid(tensor, **grid_options)
    scaled = _clamp(grid.detach() * 255 + 0.5, 0.0, 255.0).permute(1, 2, 0).to("cpu").to(dtypes.uint8)
    Image.fromarray(scaled.numpy()).save(fp, format=format)
