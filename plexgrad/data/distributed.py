"""``DistributedSampler``: each rank of a data-parallel job visits its own share of a dataset
(torch.utils.data.distributed.DistributedSampler).

Every rank draws the same permutation (seeded with ``seed + epoch``, so call ``set_epoch`` at
the start of each epoch for a new order) and takes every ``num_replicas``-th index from its
rank on.  The index list is padded by repeating its start so every rank gets the same number
of samples (``drop_last=False``), or cut to a multiple of ``num_replicas`` (``drop_last=True``).
"""

__all__ = ["DistributedSampler"]

import math

from ..core.random import Generator, resolve_generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Indices for rank ``rank`` of ``num_replicas`` (default: the process group's rank and size).

        sampler = DistributedSampler(dataset)            # shuffle=True, seed=0
        loader = DataLoader(dataset, batch_size=64, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from .. import distributed
            if not distributed.is_initialized():
                raise RuntimeError("DistributedSampler needs num_replicas and rank, or an initialised process group "
                                   "(plexgrad.distributed.init_process_group())")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, but got num_replicas={num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        count = len(self.dataset)
        if self.shuffle:
            stream = resolve_generator(Generator().manual_seed(self.seed + self.epoch))
            indices = stream.permutation(count).tolist()
        else:
            indices = list(range(count))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch: with ``shuffle=True`` each epoch gets its own order (the same on every rank)."""
        self.epoch = epoch
