"""What runs inside a DataLoader worker process, and ``get_worker_info()``.

A worker takes ``(task_index, indices)`` from its own index pipe, fetches and collates that
batch, and sends ``(task_index, host batch)``, pickled, through its own result pipe (channel.py). Errors travel
back as an ``ExceptionWrapper`` holding the worker's traceback text. Workers compute on the
``cpu`` device only (no JAX or CUDA inside a forked process) and stop when told to, or when
their parent process is gone.
"""

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper", "IterableEnd", "worker_loop", "fetch"]

import collections
import os
import pickle
import random
import sys
import traceback

import numpy

_worker_info = None

POLL_SECONDS = 0.25  # how often an idle worker checks that its parent is alive


class WorkerInfo:
    """Inside a worker: ``id``, ``num_workers``, ``seed`` and ``dataset`` (this worker's copy)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


def get_worker_info():
    """The ``WorkerInfo`` of the current DataLoader worker process, or None in the main process.

        info = get_worker_info()
        if info is not None:   # split an IterableDataset between workers
            start = info.id
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, with its traceback text, re-raised in the main process."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        try:
            pickle.dumps(self.exc_type)
        except Exception:
            self.exc_type = RuntimeError
        self.exc_message = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_message}"
        if self.exc_type is KeyError:
            raise KeyError(message)
        try:
            error = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise error


class IterableEnd:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def fetch(dataset, indices, auto_collation, collate_fn, iterator, drop_last):
    """One batch (or one sample when automatic batching is off) from a map-style dataset
    (``iterator`` is None) or from an iterable dataset's iterator."""
    if iterator is not None:
        if not auto_collation:
            return collate_fn(next(iterator))
        samples = []
        for _ in indices:
            try:
                samples.append(next(iterator))
            except StopIteration:
                break
        if not samples or (drop_last and len(samples) < len(indices)):
            raise StopIteration
        return collate_fn(samples)
    if not auto_collation:
        return collate_fn(dataset[indices])
    getitems = getattr(dataset, "__getitems__", None)
    samples = getitems(indices) if callable(getitems) else [dataset[index] for index in indices]
    return collate_fn(samples)


def _seed_everything(seed, base_seed, worker_id):
    from ..core.random import manual_seed
    random.seed(seed)
    manual_seed(seed)
    numpy.random.seed(int(numpy.random.SeedSequence([worker_id, base_seed]).generate_state(1)[0]))


def _parent_watch(parent_pid):
    """A function telling whether the process that started this worker is gone. The worker's
    parent at start is watched (for ``forkserver`` that is the fork server, which exits with the
    main process); a parent that died before this worker started counts as gone at once."""
    started_under = os.getppid()
    try:
        os.kill(parent_pid, 0)
        already_gone = False
    except ProcessLookupError:
        already_gone = True
    except OSError:  # no permission to signal it: it exists
        already_gone = False

    def parent_gone():
        return already_gone or os.getppid() != started_under
    return parent_gone


def worker_loop(dataset, index_reader, result_writer, stop_flag, auto_collation, collate_fn, drop_last, base_seed,
                worker_init_fn, worker_id, num_workers, is_iterable, parent_pid):
    """Body of a worker process (see the module docstring).

    It leaves when told (a None task, or ``stop_flag.value`` set by the main process's
    shutdown) and when its parent is gone, checked every ``POLL_SECONDS`` while idle and while
    waiting for room in the result pipe, so an orphaned worker never outlives its parent by
    more than about one batch. Nothing it owns has a feeder thread to join at exit (no
    multiprocessing Queue): tasks and results travel through this worker's own pipes.
    """
    global _worker_info
    from ..core.device import device, set_default_device
    from multiprocessing.connection import wait
    from .channel import Receiver, Sender
    from .transfer import from_parent, to_host
    parent_gone = _parent_watch(parent_pid)

    def should_stop():
        return stop_flag.value or parent_gone()

    receiver, sender = Receiver(index_reader), Sender(result_writer)
    tasks = collections.deque()
    try:
        set_default_device("cpu")
        dataset = from_parent(dataset)
        seed = base_seed + worker_id
        _seed_everything(seed, base_seed, worker_id)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        where = f"in DataLoader worker process {worker_id}"
        pending_error = None
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
        except Exception:
            pending_error = ExceptionWrapper(sys.exc_info(), where)
        iterator = None
        exhausted = False
        with device("cpu"):
            while not should_stop():
                if not tasks:
                    wait([receiver], POLL_SECONDS)
                    messages = []
                    receiver.read_available(messages)
                    tasks.extend(pickle.loads(message) for message in messages)
                    if not tasks:
                        if receiver.ended:  # every sender is gone: nothing more will come
                            return
                        continue
                task = tasks.popleft()
                if task is None or stop_flag.value:
                    return
                if task == "resume":
                    iterator, exhausted = None, False
                    continue
                if exhausted:
                    continue
                task_index, indices = task
                if pending_error is not None:
                    data, pending_error = pending_error, None
                else:
                    try:
                        if is_iterable and iterator is None:
                            iterator = iter(dataset)
                        data = to_host(fetch(dataset, indices, auto_collation, collate_fn, iterator, drop_last))
                    except StopIteration:
                        if not is_iterable:
                            data = ExceptionWrapper(sys.exc_info(), where)
                        else:
                            data, exhausted = IterableEnd(worker_id), True
                    except Exception:
                        data = ExceptionWrapper(sys.exc_info(), where)
                try:
                    payload = pickle.dumps((task_index, data), protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:
                    payload = pickle.dumps((task_index, ExceptionWrapper(sys.exc_info(), where + " (sending the "
                                                                         "batch: it could not be pickled)")))
                del data
                if not sender.send(payload, should_stop):
                    return
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C reaches the main process too; a closed pipe: it left
        pass
    finally:
        receiver.close()
        sender.close()
