"""Datasets, random_split, samplers and default_collate."""

import collections
import warnings

import numpy
import pytest

import plexgrad
from plexgrad.data import (BatchSampler, ChainDataset, ConcatDataset, Dataset, IterableDataset, RandomSampler,
                           SequentialSampler, StackDataset, Subset, SubsetRandomSampler, TensorDataset,
                           WeightedRandomSampler, default_collate, default_convert, random_split)


class Range(Dataset):
    def __init__(self, count, offset=0):
        self.count, self.offset = count, offset

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self.offset + index


class Stream(IterableDataset):
    def __init__(self, values):
        self.values = values

    def __iter__(self):
        return iter(self.values)


def test_tensor_dataset():
    features = plexgrad.arange(12.0).reshape(4, 3)
    labels = plexgrad.tensor([1, 0, 1, 1])
    dataset = TensorDataset(features, labels)
    x, y = dataset[2]
    assert len(dataset) == 4 and x.tolist() == [6.0, 7.0, 8.0] and y.item() == 1
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(features, plexgrad.tensor([1, 2]))


def test_subset_concat_stack_chain():
    first, second = Range(3), Range(4, offset=100)
    both = first + second
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert [both[i] for i in range(7)] == [0, 1, 2, 100, 101, 102, 103] and both[-1] == 103
    with pytest.raises(IndexError):
        both[7]
    subset = Subset(both, [6, 0, 3])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [103, 0, 100]
    assert subset.__getitems__([0, 2]) == [103, 100]
    assert StackDataset(first, Range(3, 10))[1] == (1, 11)
    assert StackDataset(a=first, b=Range(3, 10))[2] == {"a": 2, "b": 12}
    assert list(Stream([1, 2]) + Stream([3])) == [1, 2, 3]
    assert isinstance(ChainDataset([Stream([1])]), IterableDataset)


def test_random_split_lengths_and_fractions():
    dataset = Range(10)
    parts = random_split(dataset, [3, 7], generator=plexgrad.Generator().manual_seed(0))
    assert [len(part) for part in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    # torch: floor of each share, the remainder handed out one by one from the first split
    assert [len(part) for part in random_split(Range(11), [0.5, 0.3, 0.2])] == [6, 3, 2]
    assert [len(part) for part in random_split(Range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(dataset, [3, 3])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        random_split(Range(2), [0.9, 0.1])
    assert any("Length of split at index" in str(warning.message) for warning in caught)


def test_random_split_is_deterministic_with_a_generator():
    def split(seed):
        parts = random_split(Range(20), [0.5, 0.5], generator=plexgrad.Generator().manual_seed(seed))
        return [part.indices for part in parts]
    assert split(42) == split(42)
    assert split(42) != split(43)


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(Range(4))) == [0, 1, 2, 3]
    batches = BatchSampler(SequentialSampler(Range(7)), batch_size=3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3
    dropping = BatchSampler(SequentialSampler(Range(7)), batch_size=3, drop_last=True)
    assert list(dropping) == [[0, 1, 2], [3, 4, 5]] and len(dropping) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(SequentialSampler(Range(7)), batch_size=0, drop_last=False)


def test_random_sampler():
    generator = plexgrad.Generator().manual_seed(1)
    order = list(RandomSampler(Range(50), generator=generator))
    assert sorted(order) == list(range(50)) and order != list(range(50))
    longer = list(RandomSampler(Range(5), num_samples=12, generator=generator))
    assert len(longer) == 12 and sorted(longer[:5]) == list(range(5)) and sorted(longer[5:10]) == list(range(5))
    drawn = list(RandomSampler(Range(4), replacement=True, num_samples=4000, generator=generator))
    counts = numpy.bincount(drawn, minlength=4)
    assert len(drawn) == 4000 and counts.min() > 850 and counts.max() < 1150
    again = list(RandomSampler(Range(50), generator=plexgrad.Generator().manual_seed(1)))
    assert again == order
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(Range(4), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(Range(4), replacement=1)


def test_subset_random_sampler():
    sampler = SubsetRandomSampler([10, 20, 30, 40], generator=plexgrad.Generator().manual_seed(0))
    assert sorted(sampler) == [10, 20, 30, 40] and len(sampler) == 4


def test_weighted_random_sampler_distribution():
    generator = plexgrad.Generator().manual_seed(0)
    sampler = WeightedRandomSampler([0.1, 0.0, 0.9], num_samples=5000, generator=generator)
    counts = numpy.bincount(list(sampler), minlength=3)
    assert len(sampler) == 5000 and counts[1] == 0
    assert abs(counts[2] / 5000 - 0.9) < 0.03
    unique = list(WeightedRandomSampler(plexgrad.tensor([1.0, 2.0, 3.0]), 3, replacement=False, generator=generator))
    assert sorted(unique) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(RuntimeError, match="invalid multinomial distribution"):
        WeightedRandomSampler([-1.0, 2.0], 2)


Point = collections.namedtuple("Point", ["x", "y"])


def test_collate_numbers_arrays_strings():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == plexgrad.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == plexgrad.float64
    assert default_collate([True, False]).dtype == plexgrad.bool
    arrays = default_collate([numpy.ones((2, 2), dtype=numpy.float32), numpy.zeros((2, 2), dtype=numpy.float32)])
    assert arrays.dtype == plexgrad.float32 and arrays.shape == (2, 2, 2)
    numpy.testing.assert_array_equal(arrays.numpy()[0], numpy.ones((2, 2)))
    scalars = default_collate([numpy.int32(3), numpy.int32(4)])
    assert scalars.dtype == plexgrad.int32 and scalars.tolist() == [3, 4]
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_nested_structures():
    batch = [{"image": plexgrad.ones(2), "meta": (1, "a"), "point": Point(1.0, [2, 3])},
             {"image": plexgrad.zeros(2), "meta": (2, "b"), "point": Point(4.0, [5, 6])}]
    collated = default_collate(batch)
    assert collated["image"].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    labels, names = collated["meta"]
    assert labels.tolist() == [1, 2] and names == ("a", "b")  # torch keeps the transposed tuple
    assert isinstance(collated["point"], Point)
    assert collated["point"].x.tolist() == [1.0, 4.0]
    assert [column.tolist() for column in collated["point"].y] == [[2, 5], [3, 6]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([plexgrad.ones(2), plexgrad.ones(3)])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])


def test_default_convert():
    converted = default_convert({"a": numpy.arange(3), "b": (numpy.float64(2.5), "text")})
    assert isinstance(converted["a"], plexgrad.Tensor) and converted["a"].tolist() == [0, 1, 2]
    assert converted["b"][0].item() == 2.5 and converted["b"][1] == "text"


def test_utils_data_alias():
    import plexgrad.utils.data as data
    from plexgrad.utils.data import DataLoader
    from plexgrad.utils.data.dataloader import default_collate as collate_from_submodule
    assert data is plexgrad.data and DataLoader is plexgrad.data.DataLoader
    assert collate_from_submodule is default_collate
    assert plexgrad.utils.data.TensorDataset is TensorDataset
