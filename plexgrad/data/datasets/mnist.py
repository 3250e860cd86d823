"""``MNIST`` and ``FashionMNIST``: 28 x 28 grey images of digits / clothes with integer labels,
read from the standard IDX files as torchvision does.

Files are looked for in ``root/<Name>/raw/``, ``root/<Name>/``, ``root`` itself, and (for
Fashion-MNIST) Debian's ``dataset-fashion-mnist`` package at /usr/share/datasets/fashion-mnist.
"""

__all__ = ["MNIST", "FashionMNIST"]

import os

import numpy

from ...core.factories import from_numpy
from ..dataset import Dataset
from ..pil import require_pil
from .download import download_file
from .idx import read_idx

_SPLITS = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
           False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


class MNIST(Dataset):
    """Handwritten digits: 60000 training and 10000 test images.

    ``dataset[i]`` is ``(image, label)``: a Pillow 'L' image (or whatever ``transform`` makes of it)
    and an int (or ``target_transform(label)``). ``.data`` is the uint8 ``N x 28 x 28`` tensor,
    ``.targets`` the int64 labels, ``.classes`` the class names.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    system_folders = []
    system_package = None

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        images_name, labels_name = _SPLITS[bool(train)]
        images_path = self._find(images_name)
        labels_path = self._find(labels_name)
        if (images_path is None or labels_path is None) and download:
            self.download()
            images_path, labels_path = self._find(images_name), self._find(labels_name)
        if images_path is None or labels_path is None:
            raise RuntimeError(self._missing_message(images_name if images_path is None else labels_name))
        images = read_idx(images_path, expected_ndim=3)
        labels = read_idx(labels_path, expected_ndim=1)
        if images.dtype != numpy.uint8 or labels.dtype != numpy.uint8:
            raise RuntimeError(f"{images_path} / {labels_path}: expected uint8 IDX data, got {images.dtype} and "
                               f"{labels.dtype}")
        if len(images) != len(labels):
            raise RuntimeError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
                               "labels; the two files do not belong together")
        self.files = (images_path, labels_path)
        self._images = images
        self._labels = labels.astype(numpy.int64)
        self.data = from_numpy(images)
        self.targets = from_numpy(self._labels)

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: index for index, name in enumerate(self.classes)}

    def _folders(self):
        return [self.raw_folder, os.path.join(self.root, type(self).__name__), self.root] + \
            [folder for folder in self.system_folders if os.path.isdir(folder)]

    def _find(self, stem):
        for folder in self._folders():
            for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    return path
        return None

    def _missing_message(self, stem):
        name = type(self).__name__
        lines = [f"{name} data not found: no {stem}(.gz) in {self.raw_folder}, {os.path.join(self.root, name)} or "
                 f"{self.root}.", "Get it in one of these ways:"]
        if self.system_package:
            lines.append(f"  - sudo apt-get install {self.system_package}   (Debian/Ubuntu; installs it into "
                         f"{self.system_folders[0]}, found automatically; run sudo apt-get update first on a fresh machine)")
        lines.append(f"  - {name}(root={self.root!r}, train={self.train}, download=True)   (needs a network)")
        lines.append(f"  - download these files by hand into {self.raw_folder}:")
        lines.extend(f"      {self.mirrors[0]}{filename}" for filename, _ in self.resources)
        return "\n".join(lines)

    def download(self):
        """Fetch the four IDX files into ``root/<Name>/raw`` (MD5-checked); nothing to do if present."""
        for filename, md5 in self.resources:
            stem = filename[:-3]
            if self._find(stem) is None:
                try:
                    download_file(self.mirrors, filename, md5, self.raw_folder)
                except RuntimeError as error:
                    raise RuntimeError(f"{type(self).__name__}(download=True) failed: {error}\n\n" +
                                       self._missing_message(stem)) from None

    def __len__(self):
        return len(self._images)

    def __getitem__(self, index):
        Image = require_pil()
        image = Image.fromarray(self._images[index])
        target = int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _batch_transform(self):
        """The Normalize steps when ``transform`` is ToTensor (then Normalize...) exactly, else None."""
        from ..transforms import Compose, Normalize, ToTensor
        steps = self.transform.transforms if type(self.transform) is Compose else [self.transform]
        if not steps or type(steps[0]) is not ToTensor or any(type(step) is not Normalize for step in steps[1:]):
            return None
        return steps[1:]

    def __getitems__(self, indices):
        """The samples at ``indices`` (what a DataLoader asks for): equal to ``[self[i] for i in indices]``,
        but when ``transform`` is ToTensor followed by Normalize steps the images are converted as
        one batch, which makes an epoch several times faster."""
        steps = self._batch_transform() if self.transform is not None else None
        if steps is None:
            return [self[index] for index in indices]
        from ..transforms.functional import scale_uint8
        images = scale_uint8(self._images[indices][:, None, :, :])
        for step in steps:
            images = step(images)
        targets = self._labels[indices].tolist()
        if self.target_transform is not None:
            targets = [self.target_transform(target) for target in targets]
        return list(zip(images.unbind(0), targets))

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    {self.extra_repr()}"]
        if self.transform is not None:
            lines.append("    StandardTransform")
            lines.append("Transform: " + repr(self.transform).replace("\n", "\n           "))
        if self.target_transform is not None:
            lines.append("Target transform: " + repr(self.target_transform))
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28 x 28 grey images of 10 kinds of clothing (same layout as MNIST).

    Found automatically where Debian's ``dataset-fashion-mnist`` package installs it.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    system_folders = ["/usr/share/datasets/fashion-mnist"]
    system_package = "dataset-fashion-mnist"
