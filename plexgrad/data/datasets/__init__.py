"""torchvision-style datasets: ``MNIST``, ``FashionMNIST``, ``CIFAR10``, ``CIFAR100``, ``FakeData``,
``ImageFolder``, ``DatasetFolder``."""

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "FakeData", "DatasetFolder", "ImageFolder",
           "IMG_EXTENSIONS", "read_idx", "IDXError"]

from .mnist import MNIST, FashionMNIST
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder, IMG_EXTENSIONS
from .idx import read_idx, IDXError
