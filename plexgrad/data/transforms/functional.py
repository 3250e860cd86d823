"""Image operations behind the transforms, on Pillow images and on tensor images (``(..., C, H, W)``).

Pillow images go through Pillow (or numpy for padding); tensor images through plexgrad Tensor
ops, so they run on any device.
"""

__all__ = ["InterpolationMode", "get_image_size", "get_image_num_channels", "to_tensor", "pil_to_tensor",
           "to_pil_image", "normalize", "resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip",
           "rgb_to_grayscale", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue"]

import enum
import numbers

import numpy

from ...core import dtypes
from ...core.factories import from_numpy, tensor as make_tensor_from, zeros_like, full
from ...core.ops.elementwise import where
from ...core.ops.linalg import matmul
from ...core.ops.shape import cat, stack
from ...core.device import device as _device
from ...core.tensor import Tensor, make_tensor
from ..pil import is_pil_image, require_pil
from .resample import resample_matrix


class InterpolationMode(enum.Enum):
    """How to resample: ``InterpolationMode.BILINEAR`` etc. (values are torchvision's names)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_CODES = {"nearest": 0, "nearest-exact": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


def interpolation_mode(value):
    """An InterpolationMode from a mode, its name, or a Pillow resampling constant."""
    if isinstance(value, InterpolationMode):
        return value
    if isinstance(value, str):
        return InterpolationMode(value.lower())
    if isinstance(value, int):
        for name, code in _PIL_CODES.items():
            if code == value and name != "nearest-exact":
                return InterpolationMode(name)
    raise TypeError(f"interpolation must be an InterpolationMode (e.g. InterpolationMode.BILINEAR), got {value!r}")


def _check_image(image, function_name):
    if is_pil_image(image):
        return True
    if isinstance(image, Tensor):
        if image.ndim < 2:
            raise TypeError(f"{function_name}: tensor is not a torch image (expected (..., C, H, W) or (H, W), got "
                            f"shape {list(image.shape)})")
        return False
    raise TypeError(f"{function_name}: img should be PIL Image or Tensor. Got {type(image).__name__}")


def get_image_size(image):
    """``[width, height]`` of a Pillow image or tensor image."""
    if _check_image(image, "get_image_size"):
        return list(image.size)
    return [image.shape[-1], image.shape[-2]]


def get_image_num_channels(image):
    if _check_image(image, "get_image_num_channels"):
        return len(image.getbands())
    return 1 if image.ndim == 2 else image.shape[-3]


def _bound(image):
    return 1.0 if image.is_floating_point() else 255.0


def _clamp(image, low, high):
    return where(image < low, low, where(image > high, high, image))


def to_tensor(picture):
    """A Pillow image or an ``H x W x C`` numpy array as a ``C x H x W`` cpu tensor; uint8 data is
    scaled to float in [0, 1], other dtypes keep their values."""
    if is_pil_image(picture):
        mode = picture.mode
        array = numpy.array(picture, dtype=numpy.uint8 if mode == "1" else None, copy=True)
        if mode == "1":
            array *= 255
    elif isinstance(picture, numpy.ndarray):
        if picture.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {picture.ndim} dimensions.")
        array = picture
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(picture)}")
    if array.ndim == 2:
        array = array[:, :, None]
    array = numpy.ascontiguousarray(array.transpose(2, 0, 1))
    if array.dtype == numpy.uint8:
        return scale_uint8(array)
    return from_numpy(array.copy() if array.base is picture else array)


def scale_uint8(array):
    """A uint8 numpy array as a cpu tensor of the default float dtype, divided by 255 (ToTensor's scaling)."""
    float_dtype = dtypes.get_default_dtype()
    scaled = array.astype(numpy.float64 if float_dtype is dtypes.float64 else numpy.float32)
    scaled /= 255.0
    return make_tensor(scaled, float_dtype, _CPU)


def pil_to_tensor(picture):
    """A Pillow image as a ``C x H x W`` tensor of its own dtype (uint8 stays uint8)."""
    if not is_pil_image(picture):
        raise TypeError(f"pic should be PIL Image. Got {type(picture)}")
    array = numpy.array(picture, copy=True)
    if array.ndim == 2:
        array = array[:, :, None]
    return from_numpy(numpy.ascontiguousarray(array.transpose(2, 0, 1)))


_CPU = _device("cpu")
_MODES_BY_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(picture, mode=None):
    """A ``C x H x W`` tensor or ``H x W x C`` numpy array as a Pillow image (floats are scaled by 255)."""
    Image = require_pil()
    if isinstance(picture, Tensor):
        if picture.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {picture.ndim} dimensions.")
        if picture.ndim == 2:
            picture = picture.unsqueeze(0)
        if picture.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {picture.shape[-3]} channels.")
        if picture.is_floating_point() and mode != "F":
            picture = (picture.detach() * 255).to(dtypes.uint8)
        array = numpy.ascontiguousarray(picture.detach().numpy().transpose(1, 2, 0))
    elif isinstance(picture, numpy.ndarray):
        if picture.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {picture.ndim} dimensions.")
        array = picture[:, :, None] if picture.ndim == 2 else picture
        if array.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {array.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(picture)}.")
    channels = array.shape[-1]
    if channels == 1:
        array = array[:, :, 0]
        if mode is None:
            mode = {numpy.uint8: "L", numpy.int16: "I;16", numpy.int32: "I", numpy.float32: "F"}.get(
                array.dtype.type)
            if mode is None:
                raise TypeError(f"Input type {array.dtype} is not supported")
        if mode == "F" and array.dtype != numpy.float32:
            array = array.astype(numpy.float32)
        return Image.fromarray(array, mode) if mode not in ("L",) else Image.fromarray(array.astype(numpy.uint8))
    if array.dtype != numpy.uint8:
        raise TypeError(f"Input type {array.dtype} is not supported for {channels} channels (expected uint8)")
    expected = _MODES_BY_CHANNELS[channels]
    if mode is not None and mode != expected and not (channels == 3 and mode in ("YCbCr", "HSV")) \
            and not (channels == 4 and mode in ("RGBX", "CMYK")):
        raise ValueError(f"Only modes {expected!r} are supported for {channels}D inputs, got mode={mode!r}")
    image = Image.fromarray(array)
    return image if mode is None or mode == expected else Image.frombytes(mode, image.size, array.tobytes())


_NORMALIZE_CACHE = {}


def normalize(image, mean, std, inplace=False):
    """``(image - mean[c]) / std[c]`` per channel of a float tensor image."""
    if not isinstance(image, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(image)}")
    if not image.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {image.dtype}.")
    if image.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tuple(image.shape)}")
    mean_values = tuple(float(value) for value in (mean.tolist() if isinstance(mean, Tensor) else
                                                   (mean if isinstance(mean, (list, tuple)) else [mean])))
    std_values = tuple(float(value) for value in (std.tolist() if isinstance(std, Tensor) else
                                                  (std if isinstance(std, (list, tuple)) else [std])))
    key = (mean_values, std_values, image.dtype, image.device, image.shape[-3])
    cached = _NORMALIZE_CACHE.get(key)
    if cached is not None:
        mean_tensor, std_tensor = cached
        if inplace:
            return image.sub_(mean_tensor).div_(std_tensor)
        return (image - mean_tensor) / std_tensor
    if any(value == 0 for value in std_values):
        raise ValueError(f"std evaluated to zero after conversion to {image.dtype}, leading to division by zero.")
    channels = image.shape[-3]
    for name, values in (("mean", mean_values), ("std", std_values)):
        if len(values) not in (1, channels):
            raise ValueError(f"normalize: {name} has {len(values)} values but the image has {channels} channels")
    mean_tensor = make_tensor_from(mean_values, dtype=image.dtype, device=image.device).reshape(-1, 1, 1)
    std_tensor = make_tensor_from(std_values, dtype=image.dtype, device=image.device).reshape(-1, 1, 1)
    if len(_NORMALIZE_CACHE) > 64:
        _NORMALIZE_CACHE.clear()
    _NORMALIZE_CACHE[key] = (mean_tensor, std_tensor)
    if inplace:
        return image.sub_(mean_tensor).div_(std_tensor)
    return (image - mean_tensor) / std_tensor


def _output_size(height, width, size, max_size):
    if isinstance(size, int) or len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size (size={size})")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if width <= height else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. "
                         "size should be an int or a sequence of length 1 in torchscript mode.")
    return int(size[0]), int(size[1])


def resize(image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` (``(h, w)``, or an int for the smaller edge keeping the aspect ratio)."""
    mode = interpolation_mode(interpolation)
    is_pil = _check_image(image, "resize")
    width, height = get_image_size(image)
    new_height, new_width = _output_size(height, width, size, max_size)
    if (new_height, new_width) == (height, width):
        return image
    if is_pil:
        return image.resize((new_width, new_height), _PIL_CODES[mode.value])
    rows = resample_matrix(height, new_height, mode.value, antialias)
    columns = resample_matrix(width, new_width, mode.value, antialias)
    work_dtype = image.dtype if image.is_floating_point() else dtypes.float32
    source = image if image.is_floating_point() else image.to(work_dtype)
    rows_tensor = make_tensor_from(rows, dtype=work_dtype, device=image.device)
    columns_tensor = make_tensor_from(columns.T.copy(), dtype=work_dtype, device=image.device)
    result = matmul(matmul(rows_tensor, source), columns_tensor)
    if image.is_floating_point():
        return result
    return _clamp(result.round(), 0.0, 255.0).to(image.dtype)


def _pad_tensor(image, left, top, right, bottom, fill, mode):
    height, width = image.shape[-2], image.shape[-1]
    if mode == "constant":
        value = 0 if fill is None else fill
        if left or right:
            pieces = [full((*image.shape[:-1], left), value, dtype=image.dtype, device=image.device), image,
                      full((*image.shape[:-1], right), value, dtype=image.dtype, device=image.device)]
            image = cat(pieces, -1)
        if top or bottom:
            pieces = [full((*image.shape[:-2], top, image.shape[-1]), value, dtype=image.dtype, device=image.device),
                      image,
                      full((*image.shape[:-2], bottom, image.shape[-1]), value, dtype=image.dtype,
                           device=image.device)]
            image = cat(pieces, -2)
        return image
    numpy_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
    row_index = numpy.pad(numpy.arange(height), (top, bottom), mode=numpy_mode).tolist()
    column_index = numpy.pad(numpy.arange(width), (left, right), mode=numpy_mode).tolist()
    return image[..., row_index, :][..., column_index]


def _padding_ltrb(padding):
    if isinstance(padding, numbers.Number):
        padding = [int(padding)]
    if not isinstance(padding, (list, tuple)) or len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple"
                         if isinstance(padding, (list, tuple)) else f"Got inappropriate padding arg: {padding}")
    if len(padding) == 1:
        return padding[0], padding[0], padding[0], padding[0]
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    return tuple(padding)


def pad(image, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` is all sides, ``(left/right, top/bottom)`` or ``(left, top, right,
    bottom)``; ``padding_mode`` is constant (with ``fill``), edge, reflect or symmetric."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _padding_ltrb(padding)
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    if not _check_image(image, "pad"):
        return _pad_tensor(image, left, top, right, bottom, fill, padding_mode)
    Image = require_pil()
    array = numpy.asarray(image)
    widths = [(top, bottom), (left, right)] + ([(0, 0)] if array.ndim == 3 else [])
    if padding_mode == "constant":
        if isinstance(fill, (list, tuple)) and array.ndim == 3:
            padded = numpy.stack([numpy.pad(array[:, :, channel], widths[:2], constant_values=fill[channel])
                                  for channel in range(array.shape[2])], axis=2)
        else:
            padded = numpy.pad(array, widths, constant_values=fill if fill is not None else 0)
    else:
        padded = numpy.pad(array, widths, mode=padding_mode)
    result = Image.fromarray(padded, image.mode)
    if image.mode == "P":
        result.putpalette(image.getpalette())
    return result


def crop(image, top, left, height, width):
    """The ``height x width`` region whose top-left corner is ``(top, left)`` (zero-padded outside)."""
    if _check_image(image, "crop"):
        return image.crop((left, top, left + width, top + height))
    image_height, image_width = image.shape[-2], image.shape[-1]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > image_width or bottom > image_height:
        padding = (max(-left, 0), max(-top, 0), max(right - image_width, 0), max(bottom - image_height, 0))
        inner = image[..., max(top, 0):min(bottom, image_height), max(left, 0):min(right, image_width)]
        return _pad_tensor(inner, *padding, 0, "constant")
    return image[..., top:bottom, left:right]


def _pair(size, name="size"):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"Please provide only two dimensions (h, w) for {name}, got {size!r}")


def center_crop(image, output_size):
    """The centre ``output_size`` region (padded with zeros when the image is smaller)."""
    crop_height, crop_width = _pair(output_size)
    width, height = get_image_size(image)
    if crop_width > width or crop_height > height:
        padding = [(crop_width - width) // 2 if crop_width > width else 0,
                   (crop_height - height) // 2 if crop_height > height else 0,
                   (crop_width - width + 1) // 2 if crop_width > width else 0,
                   (crop_height - height + 1) // 2 if crop_height > height else 0]
        image = pad(image, padding, fill=0)
        width, height = get_image_size(image)
        if crop_width == width and crop_height == height:
            return image
    top = int(round((height - crop_height) / 2.0))
    left = int(round((width - crop_width) / 2.0))
    return crop(image, top, left, crop_height, crop_width)


def resized_crop(image, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize``."""
    return resize(crop(image, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(image):
    """Mirror left-right."""
    if _check_image(image, "hflip"):
        return image.transpose(require_pil().Transpose.FLIP_LEFT_RIGHT)
    return image.flip(-1)


def vflip(image):
    """Mirror top-bottom."""
    if _check_image(image, "vflip"):
        return image.transpose(require_pil().Transpose.FLIP_TOP_BOTTOM)
    return image.flip(-2)


def rgb_to_grayscale(image, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (tensor) or Pillow's ``convert('L')``."""
    if _check_image(image, "rgb_to_grayscale"):
        gray = image.convert("L")
        return gray if num_output_channels == 1 else require_pil().merge("RGB", [gray] * 3)
    if image.ndim < 3 or image.shape[-3] not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found shape "
                        f"{list(image.shape)}")
    if image.shape[-3] == 1:
        gray = image
    else:
        red, green, blue = image.unbind(-3)
        gray = (0.2989 * red + 0.587 * green + 0.114 * blue)
        if not image.is_floating_point():
            gray = gray.floor().to(image.dtype)
        gray = gray.unsqueeze(-3)
    if num_output_channels == 3:
        return cat([gray, gray, gray], -3)
    return gray


def _blend(first, second, ratio):
    bound = _bound(first)
    mixed = ratio * first + (1.0 - ratio) * second
    return _clamp(mixed, 0.0, bound).to(first.dtype)


def _check_factor(factor, name):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(image, brightness_factor):
    """Scale brightness: 0 gives black, 1 the original."""
    _check_factor(brightness_factor, "brightness_factor")
    if _check_image(image, "adjust_brightness"):
        from PIL import ImageEnhance
        return ImageEnhance.Brightness(image).enhance(brightness_factor)
    return _blend(image, zeros_like(image), brightness_factor)


def adjust_contrast(image, contrast_factor):
    """Blend with the mean grey level: 0 gives a flat grey image, 1 the original."""
    _check_factor(contrast_factor, "contrast_factor")
    if _check_image(image, "adjust_contrast"):
        from PIL import ImageEnhance
        return ImageEnhance.Contrast(image).enhance(contrast_factor)
    work_dtype = image.dtype if image.is_floating_point() else dtypes.float32
    source = rgb_to_grayscale(image) if image.shape[-3] == 3 else image
    mean = source.to(work_dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(image, mean, contrast_factor)


def adjust_saturation(image, saturation_factor):
    """Blend with the greyscale image: 0 gives grey, 1 the original."""
    _check_factor(saturation_factor, "saturation_factor")
    if _check_image(image, "adjust_saturation"):
        from PIL import ImageEnhance
        return ImageEnhance.Color(image).enhance(saturation_factor)
    if image.shape[-3] == 1:
        return image
    return _blend(image, rgb_to_grayscale(image), saturation_factor)


def _rgb_to_hsv(image):
    red, green, blue = image.unbind(-3)
    maximum = image.amax(dim=-3)
    minimum = image.amin(dim=-3)
    equal = maximum == minimum
    chroma = maximum - minimum
    ones = maximum * 0 + 1
    saturation = chroma / where(equal, ones, maximum)
    chroma_safe = where(equal, ones, chroma)
    red_part = (maximum - red) / chroma_safe
    green_part = (maximum - green) / chroma_safe
    blue_part = (maximum - blue) / chroma_safe
    hue_red = where(maximum == red, blue_part - green_part, ones * 0)
    hue_green = where((maximum == green) & (maximum != red), 2.0 + red_part - blue_part, ones * 0)
    hue_blue = where((maximum != green) & (maximum != red), 4.0 + green_part - red_part, ones * 0)
    hue = (hue_red + hue_green + hue_blue) / 6.0 + 1.0
    hue = hue - hue.floor()
    return stack([hue, saturation, maximum], -3)


def _hsv_to_rgb(image):
    hue, saturation, value = image.unbind(-3)
    sector_float = (hue * 6.0).floor()
    fraction = hue * 6.0 - sector_float
    sector = sector_float.to(dtypes.int64) % 6
    p = _clamp(value * (1.0 - saturation), 0.0, 1.0)
    q = _clamp(value * (1.0 - saturation * fraction), 0.0, 1.0)
    t = _clamp(value * (1.0 - saturation * (1.0 - fraction)), 0.0, 1.0)
    table = ((value, t, p), (q, value, p), (p, value, t), (p, q, value), (t, p, value), (value, p, q))
    channels = []
    for channel in range(3):
        result = table[5][channel]
        for index in range(4, -1, -1):
            result = where(sector == index, table[index][channel], result)
        channels.append(result)
    return stack(channels, -3)


def adjust_hue(image, hue_factor):
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5])."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _check_image(image, "adjust_hue"):
        Image = require_pil()
        if image.mode in {"L", "1", "I", "F"}:
            return image
        hue, saturation, value = image.convert("HSV").split()
        shifted = numpy.array(hue, dtype=numpy.uint8)
        with numpy.errstate(over="ignore"):
            shifted += numpy.uint8(int(hue_factor * 255) % 256)
        merged = Image.merge("HSV", (Image.fromarray(shifted, "L"), saturation, value))
        return merged.convert(image.mode)
    if image.shape[-3] == 1:
        return image
    original_dtype = image.dtype
    work = image if image.is_floating_point() else image.to(dtypes.float32) / 255.0
    hsv = _rgb_to_hsv(work)
    hue, saturation, value = hsv.unbind(-3)
    hue = hue + hue_factor
    hue = hue - hue.floor()
    result = _hsv_to_rgb(stack([hue, saturation, value], -3))
    if original_dtype.is_floating_point:
        return result
    return (result * 255.0).round().to(original_dtype)
