"""torchvision-style image transforms (``plexgrad.data.transforms``), on Pillow images and tensors.

    from plexgrad.data import transforms
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
"""

from . import functional
from .functional import InterpolationMode
from .transforms import *  # noqa: F401,F403  the public classes, listed in transforms.__all__
from .transforms import __all__ as _classes

__all__ = ["functional", "InterpolationMode", *_classes]
