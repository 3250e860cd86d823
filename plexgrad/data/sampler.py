"""Samplers: which dataset indices a DataLoader visits, and in what order.

Random samplers draw from ``generator=`` or, when none is given, from a generator seeded from
plexgrad's default generator (so ``plexgrad.manual_seed`` makes shuffling reproducible).
Indices are host-side bookkeeping and are drawn with the generator's numpy stream.
"""

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]

import numpy

from ..core.random import Generator, resolve_generator
from ..core.tensor import Tensor


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _fresh_numpy_generator(generator):
    """The numpy stream of ``generator``, or of a new generator seeded from the default one."""
    if generator is not None:
        return resolve_generator(generator)
    seed = int(resolve_generator(None).integers(0, 2 ** 63 - 1))
    return resolve_generator(Generator().manual_seed(seed))


class Sampler:
    """Base class: subclasses define ``__iter__`` (yielding indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__()")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a permutation (each index once per pass) or, with ``replacement=True``,
    ``num_samples`` independent uniform draws.

    Without replacement ``num_samples`` may exceed ``len(data_source)``: whole permutations follow
    one another, the last one cut short.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        count = len(self.data_source)
        stream = _fresh_numpy_generator(self.generator)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from stream.integers(0, count, size=32).tolist()
            yield from stream.integers(0, count, size=self.num_samples % 32).tolist()
            return
        for _ in range(self.num_samples // count):
            yield from stream.permutation(count).tolist()
        yield from stream.permutation(count).tolist()[:self.num_samples % count]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new order on every pass)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for position in _fresh_numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (which need not sum to 1).

        sampler = WeightedRandomSampler([0.1, 0.9], num_samples=100)   # mostly index 1
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int(num_samples, "num_samples")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        host = numpy.asarray(weights.tolist() if isinstance(weights, Tensor) else weights, dtype=numpy.float64)
        if host.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(host.shape)}")
        if (host < 0).any() or not numpy.isfinite(host).all() or host.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution: weights must be finite, non-negative and not all "
                               f"zero (got {host.tolist()[:8]}{'...' if host.size > 8 else ''})")
        if not replacement and num_samples > numpy.count_nonzero(host):
            raise RuntimeError(f"cannot sample n_sample={num_samples} > number of non-zero weights "
                               f"({numpy.count_nonzero(host)}) without replacement")
        from ..core.factories import tensor
        self.weights = tensor(host, dtype="float64", device="cpu")
        self._probabilities = host / host.sum()
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        stream = resolve_generator(self.generator)
        drawn = stream.choice(len(self._probabilities), size=self.num_samples, replace=self.replacement,
                              p=self._probabilities)
        yield from drawn.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; ``drop_last`` drops a short tail.

        list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))  # [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int(batch_size, "batch_size")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
