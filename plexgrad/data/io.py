"""Image files as tensors, as torchvision.io: ``read_image`` / ``decode_image`` give a uint8
(C, H, W) tensor, ``write_png`` / ``encode_jpeg`` the reverse; decoding and encoding go through
Pillow (PNG, JPEG, GIF, WebP, BMP... whatever Pillow reads).

    image = read_image("cat.png", mode=ImageReadMode.RGB)    # uint8, (3, H, W)
"""

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png", "decode_jpeg", "read_image",
           "encode_png", "encode_jpeg", "write_png", "write_jpeg"]

import enum
import io
import os

import numpy

from ..core import dtypes
from ..core.factories import from_numpy
from ..core.tensor import Tensor
from .pil import require_pil


class ImageReadMode(enum.Enum):
    """The channels a decoded image gets: as stored (``UNCHANGED``), 1 (``GRAY``), 2 (``GRAY_ALPHA``),
    3 (``RGB``) or 4 (``RGB_ALPHA``)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}
# what an image stored in another Pillow mode is decoded as when asked for UNCHANGED: palettes are
# expanded to their colours (torchvision 0.29 returns the raw palette indices there, which no model
# can use) and CMYK/YCbCr become RGB
_UNCHANGED = {"L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "1": "L", "P": "RGB", "PA": "RGBA",
              "CMYK": "RGB", "YCbCr": "RGB", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB"}


def _mode(mode):
    if isinstance(mode, str):
        try:
            return ImageReadMode[mode.upper()]
        except KeyError:
            raise ValueError(f"unknown image read mode {mode!r}; choose one of "
                             f"{[member.name for member in ImageReadMode]}") from None
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"mode must be an ImageReadMode or its name, not {type(mode).__name__}")
    return mode


def read_file(path):
    """The bytes of the file at ``path`` as a 1-D uint8 tensor."""
    with open(os.fspath(path), "rb") as handle:
        data = handle.read()
    return from_numpy(numpy.frombuffer(data, dtype=numpy.uint8).copy())


def write_file(filename, data):
    """Write a 1-D uint8 tensor's bytes to ``filename``."""
    with open(os.fspath(filename), "wb") as handle:
        handle.write(_encoded_bytes(data, "write_file"))


def _encoded_bytes(data, name):
    if not isinstance(data, Tensor):
        raise TypeError(f"{name}: expected a 1-D uint8 tensor of encoded bytes, got {type(data).__name__}")
    if data.dtype is not dtypes.uint8 or data.dim() != 1:
        raise RuntimeError(f"{name}: expected a 1-D uint8 tensor of encoded bytes, got a {data.dim()}-D {data.dtype} "
                           f"tensor of shape {list(data.shape)} (read one with read_file)")
    return numpy.ascontiguousarray(data.cpu().numpy()).tobytes()


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode an image (a path, or a 1-D uint8 tensor of the file's bytes) into a uint8 (C, H, W) tensor;
    ``mode`` converts it to 1, 2, 3 or 4 channels.  ``apply_exif_orientation`` rotates it as its EXIF
    tag says."""
    mode = _mode(mode)
    if isinstance(input, Tensor):
        data, source = _encoded_bytes(input, "decode_image"), "the given bytes"
    else:
        source = os.fspath(input)
        with open(source, "rb") as handle:
            data = handle.read()
    Image = require_pil()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:  # Pillow raises several unrelated types for undecodable data
        raise RuntimeError(f"decode_image: could not decode {source} as an image ({type(error).__name__}: "
                           f"{error})") from None
    if image.format == "JPEG" and mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA):
        raise RuntimeError(f"decode_image: the provided mode is not supported for JPEG files ({source} has no alpha "
                           f"channel); use ImageReadMode.UNCHANGED, GRAY or RGB")
    if apply_exif_orientation:
        from PIL import ImageOps
        image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        raise RuntimeError(f"decode_image: {source} has {image.mode} pixels (16/32-bit); plexgrad decodes 8-bit "
                           f"images only (convert it to 8 bits first)")
    if mode is ImageReadMode.UNCHANGED:
        target = _UNCHANGED.get(image.mode, "RGB")
        if image.mode == "P" and "transparency" in image.info:
            target = "RGBA"
    else:
        target = _PIL_MODES[mode]
    if image.mode != target:
        image = image.convert(target)
    array = numpy.asarray(image, dtype=numpy.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return from_numpy(numpy.ascontiguousarray(array.transpose(2, 0, 1)))


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode PNG bytes (a 1-D uint8 tensor) into a uint8 (C, H, W) tensor."""
    return decode_image(input, mode, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) into uint8 (C, H, W) tensors on ``device``."""
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(item, mode, device, apply_exif_orientation) for item in input]
    return decode_image(input, mode, apply_exif_orientation).to(device)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read the image file at ``path`` into a uint8 (C, H, W) tensor (see ``decode_image``)."""
    return decode_image(os.fspath(path), mode, apply_exif_orientation)


def _pil_image(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a uint8 (C, H, W) tensor, got {type(input).__name__}")
    if input.dtype is not dtypes.uint8 or input.dim() != 3 or input.shape[0] not in (1, 3):
        raise RuntimeError(f"{name}: expected a uint8 (C, H, W) tensor with 1 or 3 channels, got a {input.dim()}-D "
                           f"{input.dtype} tensor of shape {list(input.shape)}")
    array = numpy.ascontiguousarray(input.cpu().numpy().transpose(1, 2, 0))
    return require_pil().fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def _encode(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return from_numpy(numpy.frombuffer(buffer.getvalue(), dtype=numpy.uint8).copy())


def encode_png(input, compression_level=6):
    """A uint8 (C, H, W) tensor (1 or 3 channels) as PNG bytes in a 1-D uint8 tensor."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_pil_image(input, "encode_png"), format="PNG", compress_level=compression_level)


def encode_jpeg(input, quality=75):
    """A uint8 (C, H, W) tensor (1 or 3 channels), or a list of them, as JPEG bytes (1-D uint8 tensors)."""
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(item, quality) for item in input]
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    return _encode(_pil_image(input, "encode_jpeg"), format="JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    """Write a uint8 (C, H, W) tensor to ``filename`` as PNG."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    """Write a uint8 (C, H, W) tensor to ``filename`` as JPEG."""
    write_file(filename, encode_jpeg(input, quality))
