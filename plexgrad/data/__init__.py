"""Data loading, torch.utils.data style (also importable as ``plexgrad.utils.data``), plus the
torchvision-style ``transforms``, ``datasets``, image ``utils`` (make_grid, save_image), ``io``
(read_image, decode_image) and ``models`` (ResNet, VGG, MobileNetV2; the last two load on first use).

    from plexgrad.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
"""

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info", "WorkerInfo", "DistributedSampler", "distributed", "transforms", "datasets", "utils",
           "io", "models"]

from .dataset import (Dataset, IterableDataset, TensorDataset, StackDataset, Subset, ConcatDataset, ChainDataset,
                      random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                      BatchSampler)
from .collate import default_collate, default_convert
from .worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .distributed import DistributedSampler
from . import distributed
from . import transforms, datasets, utils


def __getattr__(name):
    # models imports plexgrad.nn, io imports Pillow: neither is paid for by loader-only users
    if name in ("models", "io"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
