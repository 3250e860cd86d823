"""DataLoader: batching, shuffling, worker processes (same batches as in-process), worker errors,
dead and slow workers, early breaks, iterable datasets, persistent workers."""

import multiprocessing
import os
import time

import numpy
import pytest

import plexgrad
from plexgrad.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from deadlines import deadline


class Squares(Dataset):
    def __len__(self):
        return 23

    def __getitem__(self, index):
        return {"x": numpy.full((2,), index * index, dtype=numpy.float32), "index": index, "name": f"s{index}"}


class FailsAt(Dataset):
    def __init__(self, bad):
        self.bad = bad

    def __len__(self):
        return 12

    def __getitem__(self, index):
        if index == self.bad:
            raise ValueError(f"sample {index} is corrupt")
        return index


class DiesAt(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == 5:
            os._exit(3)
        return index


class Sleepy(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, index):
        time.sleep(1.0)
        return index


class WorkerIdentity(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        info = get_worker_info()
        return [index, -1 if info is None else info.id, -1 if info is None else info.seed,
                float(plexgrad.rand(()).item())]


class Stream(IterableDataset):
    def __init__(self, count):
        self.count = count

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.count, step))

    def __len__(self):
        return self.count


def _batches(loader):
    return [(batch["x"].tolist(), batch["index"].tolist(), batch["name"]) for batch in loader]


def test_batches_and_length():
    loader = DataLoader(Squares(), batch_size=5)
    batches = _batches(loader)
    assert len(loader) == len(batches) == 5
    assert batches[0][1] == [0, 1, 2, 3, 4] and batches[-1][1] == [20, 21, 22]
    assert batches[1][0][0] == [25.0, 25.0] and batches[0][2] == ["s0", "s1", "s2", "s3", "s4"]
    assert len(DataLoader(Squares(), batch_size=5, drop_last=True)) == 4
    assert [b[1] for b in _batches(DataLoader(Squares(), batch_size=5, drop_last=True))][-1] == [15, 16, 17, 18, 19]


def test_shuffle_is_a_permutation_reproducible_with_manual_seed():
    plexgrad.manual_seed(3)
    first = [i for b in _batches(DataLoader(Squares(), batch_size=4, shuffle=True)) for i in b[1]]
    plexgrad.manual_seed(3)
    second = [i for b in _batches(DataLoader(Squares(), batch_size=4, shuffle=True)) for i in b[1]]
    assert first == second and sorted(first) == list(range(23)) and first != list(range(23))
    generator = plexgrad.Generator().manual_seed(7)
    third = [i for b in _batches(DataLoader(Squares(), batch_size=4, shuffle=True, generator=generator)) for i in b[1]]
    assert sorted(third) == list(range(23))


def test_workers_give_the_same_batches_in_order():
    with deadline(60):
        plexgrad.manual_seed(11)
        in_process = _batches(DataLoader(Squares(), batch_size=3, shuffle=True, num_workers=0))
        plexgrad.manual_seed(11)
        with_workers = _batches(DataLoader(Squares(), batch_size=3, shuffle=True, num_workers=2))
    assert with_workers == in_process


def test_worker_batches_are_tensors_of_the_right_dtype():
    dataset = TensorDataset(plexgrad.arange(10.0), plexgrad.arange(10))
    with deadline(60):
        features, labels = next(iter(DataLoader(dataset, batch_size=4, num_workers=2)))
    assert isinstance(features, plexgrad.Tensor) and features.dtype == plexgrad.float32
    assert labels.dtype == plexgrad.int64 and labels.tolist() == [0, 1, 2, 3]


def test_worker_info_seeds_and_init_fn():
    def init(worker_id):
        numpy.random.seed(worker_id)
    with deadline(60):
        plexgrad.manual_seed(0)
        rows = [row for batch in DataLoader(WorkerIdentity(), batch_size=2, num_workers=2, worker_init_fn=init)
                for row in zip(*[column.tolist() for column in batch])]
    workers = {int(row[1]) for row in rows}
    assert workers == {0, 1}
    seeds = {int(row[1]): int(row[2]) for row in rows}
    assert seeds[1] == seeds[0] + 1
    draws = [row[3] for row in rows]
    assert len(set(draws)) == len(draws), "workers must not share one random stream"
    assert get_worker_info() is None


def test_worker_error_surfaces_with_traceback():
    with deadline(60):
        with pytest.raises(ValueError) as caught:
            for _ in DataLoader(FailsAt(5), batch_size=2, num_workers=2):
                pass
    message = str(caught.value)
    assert "Caught ValueError in DataLoader worker process" in message
    assert "Original Traceback" in message and "sample 5 is corrupt" in message
    assert "__getitem__" in message


def test_worker_init_fn_error_surfaces():
    def broken_init(worker_id):
        raise KeyError(f"no config for worker {worker_id}")
    with deadline(60):
        with pytest.raises(KeyError, match="no config for worker"):
            list(DataLoader(FailsAt(-1), batch_size=2, num_workers=1, worker_init_fn=broken_init))


def test_error_in_process_is_the_original():
    with pytest.raises(ValueError, match="sample 3 is corrupt"):
        list(DataLoader(FailsAt(3), batch_size=2))


def test_dead_worker_raises_instead_of_hanging():
    with deadline(60):
        with pytest.raises(RuntimeError, match="exited unexpectedly"):
            list(DataLoader(DiesAt(), batch_size=1, num_workers=2))


def test_timeout_raises():
    with deadline(60):
        with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
            list(DataLoader(Sleepy(), batch_size=1, num_workers=1, timeout=0.3))


def test_early_break_stops_the_workers():
    with deadline(60):
        iterator = iter(DataLoader(Squares(), batch_size=1, num_workers=2))
        next(iterator)
        workers = list(iterator._workers)
        del iterator
        for process in workers:
            process.join(10)
        assert not any(process.is_alive() for process in workers)


def test_workers_stop_after_an_error():
    with deadline(60):
        iterator = iter(DataLoader(FailsAt(0), batch_size=1, num_workers=2))
        with pytest.raises(ValueError):
            next(iterator)
        assert not any(process.is_alive() for process in iterator._workers)
        with pytest.raises(StopIteration):
            next(iterator)


def test_iterable_dataset_split_between_workers():
    with deadline(60):
        in_process = [batch.tolist() for batch in DataLoader(Stream(10), batch_size=3)]
        with_workers = [batch.tolist() for batch in DataLoader(Stream(10), batch_size=3, num_workers=2)]
        dropped = [batch.tolist() for batch in DataLoader(Stream(10), batch_size=3, drop_last=True)]
    assert in_process == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert with_workers == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    assert dropped == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(DataLoader(Stream(10), batch_size=3)) == 4


def test_persistent_workers_serve_several_epochs():
    dataset = TensorDataset(plexgrad.arange(10))
    loader = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2, persistent_workers=True)
    with deadline(60):
        epochs = [sorted(value for (batch,) in loader for value in batch.tolist()) for _ in range(3)]
        first_workers = loader._persistent_iterator._workers
        assert all(process.is_alive() for process in first_workers)
        loader._persistent_iterator._shutdown()
    assert epochs == [list(range(10))] * 3


def test_no_automatic_batching():
    samples = list(DataLoader(TensorDataset(plexgrad.arange(3)), batch_size=None))
    assert [sample[0].item() for sample in samples] == [0, 1, 2]
    with deadline(60):
        from_workers = list(DataLoader(TensorDataset(plexgrad.arange(3)), batch_size=None, num_workers=2))
    assert [sample[0].item() for sample in from_workers] == [0, 1, 2]


def test_batch_sampler_and_custom_collate():
    from plexgrad.data import BatchSampler, SequentialSampler
    sampler = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)
    loader = DataLoader(FailsAt(-1), batch_sampler=sampler, collate_fn=lambda batch: sum(batch))
    assert list(loader) == [3, 12, 6] and len(loader) == 3


@pytest.mark.parametrize("options, message", [
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"shuffle": True, "sampler": [0, 1]}, "mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "disables auto-batching"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
    ({"timeout": -1}, "timeout option should be non-negative"),
])
def test_option_errors(options, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Squares(), **options)


def test_iterable_dataset_rejects_shuffle():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)


def test_pin_memory_and_prefetch_are_accepted():
    loader = DataLoader(TensorDataset(plexgrad.arange(4)), batch_size=2, pin_memory=True, num_workers=1,
                        prefetch_factor=4)
    with deadline(60):
        assert [batch.tolist() for (batch,) in loader] == [[0, 1], [2, 3]]


@pytest.mark.slow
def test_spawn_context():
    if "spawn" not in multiprocessing.get_all_start_methods():
        pytest.skip("no spawn start method here")
    with deadline(120):
        batches = _batches(DataLoader(Squares(), batch_size=8, num_workers=1, multiprocessing_context="spawn"))
    assert batches == _batches(DataLoader(Squares(), batch_size=8))


def test_batches_land_on_the_default_device():
    pytest.importorskip("jax")
    dataset = TensorDataset(plexgrad.arange(6.0, device="cpu"))
    previous = plexgrad.get_default_device()
    plexgrad.set_default_device("jax")
    try:
        with deadline(120):
            for workers in (0, 2):
                (batch,) = next(iter(DataLoader(dataset, batch_size=4, num_workers=workers)))
                assert batch.device.type == "jax" and batch.tolist() == [0.0, 1.0, 2.0, 3.0]
            jax_dataset = TensorDataset(plexgrad.arange(6.0))
            (batch,) = next(iter(DataLoader(jax_dataset, batch_size=4, num_workers=2, timeout=60)))
            assert batch.device.type == "jax" and batch.tolist() == [0.0, 1.0, 2.0, 3.0]
    finally:
        plexgrad.set_default_device(previous)
