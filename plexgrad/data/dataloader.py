"""``DataLoader``: batches from a dataset, in order, from the main process or from worker processes.

    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2)
    for images, labels in loader:
        ...

With ``num_workers > 0`` real processes (``fork`` on Linux, else ``spawn``) fetch and collate
batches; each gets index batches through its own pipe and sends back host (numpy) batches through
another, which the main process turns into tensors on the default device, in sampler order.
A worker's exception is raised again in the main process with the worker's traceback. The main
process never blocks without a deadline: a worker that dies (even halfway through sending a
batch) raises ``RuntimeError: DataLoader worker (pid N) is killed by signal: Killed`` as in torch,
and ``timeout=`` is honoured. Workers stop when the loop ends, breaks or fails, when the iterator
is dropped, at interpreter exit, and on their own when the main process dies.
"""

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

import atexit
import collections
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import time
import warnings
import weakref

from ..core.random import resolve_generator
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .channel import Receiver, Sender, open_channel
from .transfer import for_workers, from_host
from .worker import ExceptionWrapper, IterableEnd, fetch, get_worker_info, worker_loop

_WAIT_SLICE_SECONDS = 1.0  # the main process re-checks its workers at least this often while waiting
_SHUTDOWN_GRACE_SECONDS = 2.0  # how long stopping workers may finish their batch before SIGTERM


class _InfiniteConstantSampler(Sampler):
    """Endless ``None`` indices: an iterable dataset decides itself what comes next."""

    def __iter__(self):
        while True:
            yield None


def _check_options(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, drop_last, timeout,
                   prefetch_factor, persistent_workers):
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to disable "
                         f"multiprocessing (got {num_workers!r}).")
    if timeout < 0:
        raise ValueError(f"timeout option should be non-negative (got {timeout})")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to "
                         "enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError(f"prefetch_factor option should be non-negative (got {prefetch_factor})")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if isinstance(dataset, IterableDataset):
        for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                                 f"{name}={value}")
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
        raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
    if batch_size is None and batch_sampler is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Arguments follow torch: ``batch_size`` (None turns automatic batching off), ``shuffle``,
    ``sampler``, ``batch_sampler``, ``num_workers``, ``collate_fn``, ``drop_last``, ``timeout``
    (seconds to wait for a worker's batch, 0 = forever), ``worker_init_fn(worker_id)``,
    ``multiprocessing_context`` ('fork', 'spawn', 'forkserver' or a context), ``generator``
    (shuffling and worker seeds), ``prefetch_factor`` (batches in flight per worker, default 2),
    ``persistent_workers`` (keep workers between epochs). ``pin_memory`` and
    ``pin_memory_device`` are accepted and do nothing (there is no pinned memory here).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        _check_options(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, drop_last, timeout,
                       prefetch_factor, persistent_workers)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            sampler = _InfiniteConstantSampler()
        elif sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_sampler is not None:
            batch_size = None
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self._persistent_iterator = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _draw_base_seed(self):
        return int(resolve_generator(self.generator).integers(0, 2 ** 62))

    def _context(self):
        chosen = self.multiprocessing_context
        if chosen is None:
            chosen = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        if isinstance(chosen, str):
            if chosen not in multiprocessing.get_all_start_methods():
                raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                 f"{multiprocessing.get_all_start_methods()!r}, but got {chosen!r}")
            return multiprocessing.get_context(chosen)
        return chosen

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIterator(self)
        if not self.persistent_workers:
            return _MultiProcessIterator(self)
        if self._persistent_iterator is None or self._persistent_iterator._closed:
            self._persistent_iterator = _MultiProcessIterator(self)
        else:
            self._persistent_iterator._reset(self, first=False)
        return self._persistent_iterator

    def __len__(self):
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _SingleProcessIterator:
    """Batches fetched in the calling process."""

    def __init__(self, loader):
        loader._draw_base_seed()
        self._loader = loader
        self._sampler_iterator = iter(loader._index_sampler)
        self._dataset_iterator = iter(loader.dataset) if loader._is_iterable else None
        self._length = None

    def __iter__(self):
        return self

    def __next__(self):
        loader = self._loader
        indices = next(self._sampler_iterator)
        return fetch(loader.dataset, indices, loader._auto_collation, loader.collate_fn, self._dataset_iterator,
                     loader.drop_last)

    def __len__(self):
        return len(self._loader)


class _MultiProcessIterator:
    """Batches fetched by worker processes, returned in sampler order.

    Each worker sends results through its own pipe (channel.py). The main process waits on
    those pipes and on the workers' exit sentinels together, in slices with a deadline, so it
    never blocks without noticing a dead worker or an expired ``timeout``.
    """

    def __init__(self, loader):
        self._closed = True
        self._loader = loader
        self._worker_count = loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._generation = 0
        context = loader._context()
        base_seed = loader._draw_base_seed()
        self._stop_flag = context.RawValue("b", 0)  # lock-free: a worker killed mid-read can hold no lock
        self._index_senders = []
        self._receivers = []
        self._workers = []
        self._ready = collections.deque()
        self._closed = False
        _live_iterators.add(self)
        dataset = for_workers(loader.dataset)
        for worker_id in range(self._worker_count):
            index_reader, index_writer = open_channel(context)
            reader, writer = open_channel(context)
            process = context.Process(
                target=worker_loop, daemon=True,
                args=(dataset, index_reader, writer, self._stop_flag, loader._auto_collation, loader.collate_fn,
                      loader.drop_last, base_seed, loader.worker_init_fn, worker_id, self._worker_count,
                      loader._is_iterable, os.getpid()))
            try:
                with warnings.catch_warnings():  # JAX warns about fork; workers never run JAX (see transfer.py)
                    warnings.filterwarnings("ignore", message=".*fork.*", category=RuntimeWarning)
                    process.start()
            finally:
                # Only the worker may hold these ends: then its death closes its pipes (the main
                # process sees the end of its results, and a broken pipe instead of a full one),
                # and workers forked later do not inherit them.
                writer.close()
                index_reader.close()
            self._index_senders.append(Sender(index_writer))
            self._receivers.append(Receiver(reader))
            self._workers.append(process)
        self._reset(loader, first=True)

    def _reset(self, loader, first):
        self._generation += 1
        self._ready.clear()  # results of an unfinished earlier epoch
        self._sampler_iterator = iter(loader._index_sampler)
        self._send_index = 0
        self._received_index = 0
        self._task_info = {}
        self._worker_active = [True] * self._worker_count
        self._worker_cycle = itertools.cycle(range(self._worker_count))
        if not first:
            for worker_id in range(self._worker_count):
                self._send_task(worker_id, "resume")
        for _ in range(loader.prefetch_factor * self._worker_count):
            self._try_put_index()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _try_put_index(self):
        try:
            indices = next(self._sampler_iterator)
        except StopIteration:
            return
        for _ in range(self._worker_count):
            worker_id = next(self._worker_cycle)
            if self._worker_active[worker_id]:
                break
        else:
            return
        self._send_task(worker_id, ((self._generation, self._send_index), indices))
        self._task_info[self._send_index] = (worker_id,)
        self._send_index += 1

    def _send_task(self, worker_id, task, patience=None):
        """Send ``task`` to a worker; gives up (quietly: ``_get_result`` reports the death) if the
        worker dies, or after ``patience`` seconds when given."""
        process = self._workers[worker_id]
        give_up_at = None if patience is None else time.monotonic() + patience

        def should_stop():
            return process.exitcode is not None or (give_up_at is not None and time.monotonic() > give_up_at)
        try:
            self._index_senders[worker_id].send(pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL), should_stop)
        except (BrokenPipeError, OSError, ValueError):
            pass

    def _fail(self, message):
        self._shutdown()
        raise RuntimeError(message)

    def _receive(self, timeout):
        """Wait up to ``timeout`` seconds for bytes from a worker or a worker's exit; queue every
        completed result of this epoch in ``self._ready``."""
        watched = [receiver for receiver in self._receivers if not receiver.ended]
        watched += [process.sentinel for process in self._workers]
        multiprocessing.connection.wait(watched, timeout)
        messages = []
        for receiver in self._receivers:
            receiver.read_available(messages)
        for payload in messages:
            (generation, task_index), data = pickle.loads(payload)
            if generation == self._generation:
                self._ready.append((task_index, data))

    def _get_result(self):
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while not self._ready:
            wait = _WAIT_SLICE_SECONDS if deadline is None else max(0.0, min(_WAIT_SLICE_SECONDS,
                                                                             deadline - time.monotonic()))
            self._receive(wait)
            if self._ready:
                break
            dead = [process for process in self._workers if process.exitcode is not None]
            if dead:
                self._receive(0)  # what a worker sent just before it died still counts
                if self._ready:
                    break
                self._shutdown()
                # torch's shape: "exited unexpectedly" caused by "is killed by signal: ..."; the details
                # go in the message too, so a printed str(error) says which signal.
                details = _death_message(dead)
                pids = ", ".join(str(process.pid) for process in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly: {details}") from (
                    RuntimeError(details))
            if deadline is not None and time.monotonic() >= deadline:
                self._fail(f"DataLoader timed out after {self._timeout} seconds")
        return self._ready.popleft()

    def __next__(self):
        if self._closed:
            raise StopIteration
        while True:
            while self._received_index < self._send_index:
                info = self._task_info.get(self._received_index)
                if info is not None:
                    if len(info) == 2 or self._worker_active[info[0]]:
                        break
                    del self._task_info[self._received_index]
                self._received_index += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._received_index]
            if len(info) == 2:
                del self._task_info[self._received_index]
                self._received_index += 1
                return self._process(info[1])
            task_index, data = self._get_result()
            if isinstance(data, IterableEnd):
                self._worker_active[data.worker_id] = False
                self._try_put_index()
                continue
            if task_index != self._received_index:
                self._task_info[task_index] += (data,)
                continue
            del self._task_info[task_index]
            self._received_index += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            self._shutdown()
            data.reraise()
        return from_host(data)

    def _shutdown(self):
        """Stop the workers and release the pipes; returns within about ``_SHUTDOWN_GRACE_SECONDS``
        plus a second even when workers are stuck (they are terminated, then killed)."""
        if self._closed:
            return
        self._closed = True
        _live_iterators.discard(self)
        self._stop_flag.value = 1
        for worker_id in range(self._worker_count):
            self._send_task(worker_id, None, patience=0.0)
        deadline = time.monotonic() + _SHUTDOWN_GRACE_SECONDS
        while self._drain_until_exit(deadline):
            pass
        for signal_sender in ("terminate", "kill"):
            stuck = [process for process in self._workers if process.exitcode is None]
            for process in stuck:
                try:
                    getattr(process, signal_sender)()
                except OSError:
                    pass
            deadline = time.monotonic() + 1.0
            while self._drain_until_exit(deadline):
                pass
        for receiver in self._receivers:
            receiver.close()
        for sender in self._index_senders:
            sender.close()
        self._ready.clear()

    def _drain_until_exit(self, deadline):
        """Discard results (a worker blocked on a full pipe can then finish) until every worker has
        exited or ``deadline`` passes; True while it should be called again."""
        if all(process.exitcode is not None for process in self._workers):
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        watched = [receiver for receiver in self._receivers if not receiver.ended]
        watched += [process.sentinel for process in self._workers if process.exitcode is None]
        multiprocessing.connection.wait(watched, min(remaining, 0.05))
        discarded = []
        for receiver in self._receivers:
            receiver.read_available(discarded)
        return True

    def __del__(self):
        try:
            self._shutdown()
        except Exception:
            pass


def _death_message(dead):
    """torch's words for workers that exited while the main process waited for a batch."""
    parts = []
    for process in dead:
        code = process.exitcode
        if code < 0:
            name = signal.strsignal(-code) or f"signal {-code}"
            text = f"DataLoader worker (pid {process.pid}) is killed by signal: {name}. "
            if -code == signal.SIGKILL:
                text += "(SIGKILL often comes from the out-of-memory killer: use fewer workers or smaller batches.) "
            elif -code == signal.SIGBUS:
                text += "It is possible that dataloader's workers are out of shared memory. "
        elif code != 0:
            text = (f"DataLoader worker (pid {process.pid}) exited unexpectedly with exit code {code}. Details are "
                    "lost due to multiprocessing. Rerunning with num_workers=0 may give better error trace.")
        else:
            text = f"DataLoader worker (pid {process.pid}) exited with exit code 0 while batches were pending."
        parts.append(text.strip())
    return " ".join(parts)


_live_iterators = weakref.WeakSet()


@atexit.register
def _shut_down_live_iterators():
    # Registered after multiprocessing's own exit hook, so it runs first: workers get the stop
    # flag and a grace period before multiprocessing terminates and joins them without a limit.
    for iterator in list(_live_iterators):
        try:
            iterator._shutdown()
        except Exception:
            pass
