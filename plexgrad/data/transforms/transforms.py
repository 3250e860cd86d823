"""torchvision-style transform classes: callables that take an image (Pillow or tensor) and
return the transformed one. Random transforms draw from plexgrad's default generator, so
``plexgrad.manual_seed`` makes them reproducible (DataLoader workers are seeded one by one)."""

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomResizedCrop", "Pad", "RandomHorizontalFlip", "RandomVerticalFlip", "ColorJitter", "Grayscale",
           "Lambda", "ConvertImageDtype"]

import math
import numbers

from ...core import dtypes
from ...core.random import resolve_generator
from ...core.tensor import Tensor
from . import functional as F
from .functional import InterpolationMode


def _uniform(low, high):
    return float(resolve_generator(None).uniform(low, high))


def _random():
    return float(resolve_generator(None).random())


def _randint(low, high):
    return int(resolve_generator(None).integers(low, high))


def _setup_size(size, error_message="Please provide only two dimensions (h, w) for size."):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError(error_message)
    return tuple(size)


class Compose:
    """Apply ``transforms`` one after the other: ``Compose([ToTensor(), Normalize((0.5,), (0.5,))])``."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        lines = [f"    {transform}" for transform in self.transforms]
        return f"{type(self).__name__}(" + "".join("\n" + line for line in lines) + "\n)"


class ToTensor:
    """Pillow image or ``H x W x C`` uint8 array -> ``C x H x W`` float tensor in [0, 1] (on cpu, like torch)."""

    def __call__(self, picture):
        return F.to_tensor(picture)

    def __repr__(self):
        return f"{type(self).__name__}()"


class PILToTensor:
    """Pillow image -> ``C x H x W`` tensor keeping its dtype (uint8)."""

    def __call__(self, picture):
        return F.pil_to_tensor(picture)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ConvertImageDtype:
    """Convert a tensor image to ``dtype``, rescaling between integer and float ranges."""

    def __init__(self, dtype):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, image):
        if image.dtype == self.dtype:
            return image
        if image.is_floating_point() and self.dtype.is_floating_point:
            return image.to(self.dtype)
        if not image.is_floating_point() and self.dtype.is_floating_point:
            return image.to(self.dtype) / 255.0
        if image.is_floating_point():
            return (image * 255.999).to(self.dtype)
        return image.to(self.dtype)

    def __repr__(self):
        return f"{type(self).__name__}(dtype={self.dtype})"


class ToPILImage:
    """Tensor or ndarray -> Pillow image (``mode`` picks the Pillow mode)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, picture):
        return F.to_pil_image(picture, self.mode)

    def __repr__(self):
        return f"{type(self).__name__}(" + (f"mode={self.mode}" if self.mode is not None else "") + ")"


class Normalize:
    """``(image - mean) / std`` per channel of a float tensor image; ``inplace=True`` writes into it."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``size``: ``(h, w)``, or an int giving the smaller edge (aspect ratio kept)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, list, tuple)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F.interpolation_mode(interpolation)
        self.antialias = antialias

    def __call__(self, image):
        return F.resize(image, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop:
    """The centre ``size`` region (an int for a square)."""

    def __init__(self, size):
        self.size = _setup_size(size)

    def __call__(self, image):
        return F.center_crop(image, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad the borders (see ``functional.pad``)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, image):
        return F.pad(image, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    """A random ``size`` region, after optional ``padding``; ``pad_if_needed`` pads images smaller than ``size``."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _setup_size(size)
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(image, output_size):
        """Random ``(top, left, height, width)`` for a crop of ``output_size``."""
        width, height = F.get_image_size(image)
        crop_height, crop_width = output_size
        if height < crop_height or width < crop_width:
            raise ValueError(f"Required crop size {(crop_height, crop_width)} is larger than input image size "
                             f"{(height, width)}")
        if width == crop_width and height == crop_height:
            return 0, 0, height, width
        return _randint(0, height - crop_height + 1), _randint(0, width - crop_width + 1), crop_height, crop_width

    def __call__(self, image):
        if self.padding is not None:
            image = F.pad(image, self.padding, self.fill, self.padding_mode)
        width, height = F.get_image_size(image)
        if self.pad_if_needed and width < self.size[1]:
            image = F.pad(image, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            image = F.pad(image, [0, self.size[0] - height], self.fill, self.padding_mode)
        top, left, height, width = self.get_params(image, self.size)
        return F.crop(image, top, left, height, width)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """A random region (``scale`` of the area, aspect ``ratio``) resized to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
        self.size = _setup_size(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"Scale and ratio should be of kind (min, max); got scale={scale}, ratio={ratio}")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = F.interpolation_mode(interpolation)
        self.antialias = antialias

    @staticmethod
    def get_params(image, scale, ratio):
        """Random ``(top, left, height, width)`` (ten tries, then a centre crop, as torchvision does)."""
        width, height = F.get_image_size(image)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            crop_width = int(round(math.sqrt(target_area * aspect_ratio)))
            crop_height = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < crop_width <= width and 0 < crop_height <= height:
                top = _randint(0, height - crop_height + 1)
                left = _randint(0, width - crop_width + 1)
                return top, left, crop_height, crop_width
        in_ratio = width / height
        if in_ratio < min(ratio):
            crop_width = width
            crop_height = int(round(crop_width / min(ratio)))
        elif in_ratio > max(ratio):
            crop_height = height
            crop_width = int(round(crop_height * max(ratio)))
        else:
            crop_width, crop_height = width, height
        return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width

    def __call__(self, image):
        top, left, height, width = self.get_params(image, self.scale, self.ratio)
        return F.resized_crop(image, top, left, height, width, self.size, self.interpolation, self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        return F.hflip(image) if _random() < self.p else image

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip:
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        return F.vflip(image) if _random() < self.p else image

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


def _jitter_range(value, name, center=1.0, bound=(0.0, float("inf")), clip_first_on_zero=True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    if value[0] == value[1] == center:
        return None
    return tuple(value)


class ColorJitter:
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    Each argument is a number ``x`` (factor drawn from ``[1 - x, 1 + x]``, hue from ``[-x, x]``)
    or a ``(min, max)`` pair.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """The random order of the four adjustments and their factors (None where disabled)."""
        order = resolve_generator(None).permutation(4).tolist()
        factors = [None if value is None else _uniform(value[0], value[1])
                   for value in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def __call__(self, image):
        order, brightness, contrast, saturation, hue = self.get_params(self.brightness, self.contrast,
                                                                       self.saturation, self.hue)
        for index in order:
            if index == 0 and brightness is not None:
                image = F.adjust_brightness(image, brightness)
            elif index == 1 and contrast is not None:
                image = F.adjust_contrast(image, contrast)
            elif index == 2 and saturation is not None:
                image = F.adjust_saturation(image, saturation)
            elif index == 3 and hue is not None:
                image = F.adjust_hue(image, hue)
        return image

    def __repr__(self):
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale:
    """Convert to grey (1 or 3 output channels)."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, image):
        return F.rgb_to_grayscale(image, self.num_output_channels)

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class Lambda:
    """Wrap a function as a transform: ``Lambda(lambda x: x.flip(-1))``."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, image):
        return self.lambd(image)

    def __repr__(self):
        return f"{type(self).__name__}()"
