"""``CIFAR10`` and ``CIFAR100``: 32 x 32 colour images read from the standard Python archive layout
(``root/cifar-10-batches-py/data_batch_1`` ... ``test_batch``, ``batches.meta``;
``root/cifar-100-python/train``, ``test``, ``meta``), as torchvision reads them.

The batch files are pickles, so they are read with an unpickler that accepts only what a CIFAR
batch holds (dicts, lists, strings, numbers and numpy uint8 arrays): a crafted file cannot run
code.  There is no network here: ``download=True`` only extracts ``cifar-10-python.tar.gz`` /
``cifar-100-python.tar.gz`` if that archive is already in ``root``, and otherwise says where to put
the files.
"""

__all__ = ["CIFAR10", "CIFAR100"]

import io
import os
import pickle
import tarfile

import numpy

from ..dataset import Dataset
from ..pil import require_pil
from .mnist import MNIST

# the only globals a CIFAR batch pickle refers to: how numpy rebuilds an array (and _codecs.encode,
# which protocol-2 pickles written by Python 3 use to spell its bytes)
_ALLOWED_GLOBALS = {("_codecs", "encode"), ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                    ("numpy._core.multiarray", "scalar")}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a CIFAR batch file holds only dicts, lists, "
                                     f"strings and numpy arrays")


def load_batch(path):
    """The dict pickled in one CIFAR batch file (bytes decoded as latin-1, as torchvision does)."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        entry = _BatchUnpickler(io.BytesIO(data), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise RuntimeError(f"{path} is not a CIFAR batch file ({type(error).__name__}: {error}); re-extract the "
                           f"archive") from None
    if not isinstance(entry, dict):
        raise RuntimeError(f"{path} is not a CIFAR batch file: it holds a {type(entry).__name__}, not a dict")
    return entry


class CIFAR10(Dataset):
    """The CIFAR-10 images: 50000 training and 10000 test images of 10 classes.

    ``dataset[i]`` is ``(image, label)``: a Pillow RGB image (or what ``transform`` makes of it) and an int.
    As in torchvision, ``.data`` is the uint8 numpy array ``N x 32 x 32 x 3``, ``.targets`` a list of ints,
    ``.classes`` the class names from the archive's meta file.
    """

    base_folder = "cifar-10-batches-py"
    archive = "cifar-10-python.tar.gz"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    labels_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        names = self.train_list if train else self.test_list
        missing = [name for name in names + [self.meta["filename"]] if not os.path.isfile(self._path(name))]
        if missing:
            raise RuntimeError(f"Dataset not found: no {', '.join(missing)} in {self.folder}.\n" + self._how_to_get())
        images, targets = [], []
        for name in names:
            path = self._path(name)
            entry = load_batch(path)
            data, labels = entry.get("data"), entry.get(self.labels_key)
            if data is None or labels is None:
                raise RuntimeError(f"{path} is not a {type(self).__name__} batch: it needs the keys 'data' and "
                                   f"'{self.labels_key}', found {sorted(entry)}")
            data = numpy.asarray(data)
            if data.dtype != numpy.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise RuntimeError(f"{path}: expected uint8 data of shape (N, 3072), got {data.dtype} "
                                   f"{list(data.shape)}")
            if len(labels) != len(data):
                raise RuntimeError(f"{path} holds {len(data)} images but {len(labels)} labels")
            images.append(data)
            targets.extend(int(label) for label in labels)
        self.data = numpy.vstack(images).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))  # to N x H x W x C
        self.targets = targets
        meta = load_batch(self._path(self.meta["filename"]))
        if self.meta["key"] not in meta:
            raise RuntimeError(f"{self._path(self.meta['filename'])} has no '{self.meta['key']}' entry; found "
                               f"{sorted(meta)}")
        self.classes = list(meta[self.meta["key"]])
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        if targets and not 0 <= min(targets) <= max(targets) < len(self.classes):
            raise RuntimeError(f"{self.folder}: labels range over [{min(targets)}, {max(targets)}] but the meta file "
                               f"names {len(self.classes)} classes")

    @property
    def folder(self):
        return os.path.join(self.root, self.base_folder)

    def _path(self, name):
        return os.path.join(self.folder, name)

    def _how_to_get(self):
        return (f"There is no network here, so {type(self).__name__} cannot be downloaded. Get "
                f"{self.url} on a machine with a network and either put {self.archive} into {self.root} (then "
                f"download=True extracts it) or extract it there yourself, so that {self.folder} holds "
                f"{', '.join(self.train_list + self.test_list + [self.meta['filename']])}.")

    def download(self):
        """Extract ``root/<archive>.tar.gz`` if the batch folder is missing; there is no network to fetch it."""
        if os.path.isdir(self.folder):
            return
        archive = os.path.join(self.root, self.archive)
        if not os.path.isfile(archive):
            raise RuntimeError(f"{type(self).__name__}(download=True): {self.archive} is not in {self.root}. "
                               + self._how_to_get())
        with tarfile.open(archive, "r:gz") as bundle:
            bundle.extractall(self.root, filter="data")  # 'data': no absolute paths, links or devices

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        Image = require_pil()
        image, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    _batch_transform = MNIST._batch_transform

    def __getitems__(self, indices):
        """The samples at ``indices`` (what a DataLoader asks for): equal to ``[self[i] for i in indices]``,
        but with ``transform`` ToTensor followed by Normalize steps the images are converted as one batch."""
        steps = self._batch_transform() if self.transform is not None else None
        if steps is None:
            return [self[index] for index in indices]
        from ..transforms.functional import scale_uint8
        images = scale_uint8(numpy.ascontiguousarray(self.data[indices].transpose(0, 3, 1, 2)))
        for step in steps:
            images = step(images)
        targets = [self.targets[index] for index in indices]
        if self.target_transform is not None:
            targets = [self.target_transform(target) for target in targets]
        return list(zip(images.unbind(0), targets))

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    __repr__ = MNIST.__repr__  # torchvision's VisionDataset layout


class CIFAR100(CIFAR10):
    """The CIFAR-100 images: 50000 training and 10000 test images of 100 fine classes (``.targets``
    are the fine labels, as in torchvision)."""

    base_folder = "cifar-100-python"
    archive = "cifar-100-python.tar.gz"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    labels_key = "fine_labels"
