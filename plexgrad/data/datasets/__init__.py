"""torchvision-style datasets: ``MNIST``, ``FashionMNIST``, ``ImageFolder``, ``DatasetFolder``."""

__all__ = ["MNIST", "FashionMNIST", "DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "read_idx", "IDXError"]

from .mnist import MNIST, FashionMNIST
from .folder import DatasetFolder, ImageFolder, IMG_EXTENSIONS
from .idx import read_idx, IDXError
