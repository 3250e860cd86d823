"""DataLoader under faults: workers killed while large batches are in flight, dropped half-used
iterators, a killed main process, workers that will not stop. Every wait has a deadline and
every child is killed in ``finally``, so a regression fails these tests instead of hanging CI."""

import gc
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import numpy
import pytest

from plexgrad.data import DataLoader, Dataset
from deadlines import deadline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILLED_BY_SIGKILL = r"DataLoader worker \(pid \d+\) is killed by signal: Killed"


def _alive(pid):
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_gone(pids, seconds):
    """Seconds until every pid in ``pids`` is gone, or None after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not any(_alive(pid) for pid in pids):
            return time.monotonic() - started
        time.sleep(0.02)
    return None


class Big(Dataset):
    """8 MiB samples: a batch takes many pipe-fulls to send, so a kill lands mid-send."""

    def __init__(self, count=24):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return numpy.full(1 << 20, index, dtype=numpy.float64)


class Stubborn(Dataset):
    """Workers that ignore SIGTERM and never finish a sample."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        if index > 0:
            time.sleep(600)
        return index


def _ignore_sigterm(worker_id):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def test_worker_killed_mid_send_raises_torchs_error_every_time():
    rng = random.Random(7)
    raised = 0
    for _ in range(8):
        with deadline(60):
            iterator = iter(DataLoader(Big(), batch_size=1, num_workers=2))
            workers = list(iterator._workers)
            try:
                next(iterator)
                timer = threading.Timer(rng.uniform(0.0, 0.25), _kill_quietly, (workers[rng.randrange(2)].pid,))
                timer.start()
                try:
                    for _ in iterator:
                        pass
                except RuntimeError as error:
                    assert re.search(KILLED_BY_SIGKILL, str(error)), str(error)
                    raised += 1
                timer.join()
            finally:
                iterator._shutdown()
                for process in workers:
                    _kill_quietly(process.pid)
            assert _wait_gone([process.pid for process in workers], 10) is not None
    assert raised >= 6  # the kill comes within 0.25 s of a 24-batch (192 MiB) epoch


_SELF_KILLING_WORKER = r"""
import os, signal, sys
import numpy
if sys.argv[1] == "torch":
    from torch.utils.data import DataLoader, Dataset
else:
    from plexgrad.data import DataLoader, Dataset

class KillsItself(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return numpy.full(4, index)

try:
    list(DataLoader(KillsItself(), batch_size=1, num_workers=2))
    print("no error")
except RuntimeError as error:
    print(type(error).__name__, error, "| caused by:", error.__cause__)
"""


@pytest.mark.parametrize("library", ["torch", "plexgrad"])
def test_killed_worker_message_matches_torch(library):
    # In a child process: torch's SIGCHLD handler would otherwise stay installed in this one.
    if library == "torch":
        pytest.importorskip("torch")
    result = subprocess.run([sys.executable, "-c", _SELF_KILLING_WORKER, library], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
    assert re.match(r"RuntimeError DataLoader worker \(pid\(s\) \d+\) exited unexpectedly", result.stdout), (
        result.stdout, result.stderr[-2000:])
    assert re.search(r"\| caused by: " + KILLED_BY_SIGKILL, result.stdout), result.stdout


def test_timeout_is_honoured_while_a_large_batch_is_stuck_in_the_pipe():
    with deadline(60):
        iterator = iter(DataLoader(Big(), batch_size=1, num_workers=1, timeout=1.0))
        try:
            next(iterator)
            os.kill(iterator._workers[0].pid, signal.SIGSTOP)  # frozen halfway through sending
            started = time.monotonic()
            with pytest.raises(RuntimeError, match="timed out after 1.0 seconds"):
                for _ in iterator:
                    pass
            assert time.monotonic() - started < 10
        finally:
            for process in iterator._workers:
                _kill_quietly(process.pid)


def test_dropped_half_used_iterators_stop_their_workers_promptly():
    for _ in range(3):
        with deadline(60):
            iterator = iter(DataLoader(Big(), batch_size=1, num_workers=2))
            next(iterator)
            time.sleep(0.2)  # let both workers block on full pipes
            pids = [process.pid for process in iterator._workers]
            try:
                started = time.monotonic()
                del iterator
                gc.collect()
                assert time.monotonic() - started < 6
                assert _wait_gone(pids, 5) is not None
            finally:
                for pid in pids:
                    _kill_quietly(pid)


def test_shutdown_returns_when_workers_ignore_sigterm():
    with deadline(60):
        iterator = iter(DataLoader(Stubborn(), batch_size=1, num_workers=2, worker_init_fn=_ignore_sigterm))
        pids = [process.pid for process in iterator._workers]
        try:
            next(iterator)
            time.sleep(0.5)  # both workers are now inside a sample that never ends
            started = time.monotonic()
            iterator._shutdown()
            assert time.monotonic() - started < 10
            assert _wait_gone(pids, 5) is not None
        finally:
            for pid in pids:
                _kill_quietly(pid)


def _child(program):
    return subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))


_EXITS_WITH_A_LIVE_ITERATOR = r"""
import numpy
from plexgrad.data import DataLoader, Dataset

class Big(Dataset):
    def __len__(self):
        return 64

    def __getitem__(self, index):
        return numpy.zeros(1 << 20)

it = iter(DataLoader(Big(), batch_size=1, num_workers=2))
next(it)
print(" ".join(str(process.pid) for process in it._workers), flush=True)
"""


def test_a_program_ending_with_a_half_used_iterator_exits_and_leaves_no_workers():
    for _ in range(2):
        child = _child(_EXITS_WITH_A_LIVE_ITERATOR)
        pids = []
        try:
            pids = [int(pid) for pid in child.stdout.readline().split()]
            assert len(pids) == 2
            assert child.wait(20) == 0
            assert _wait_gone(pids, 5) is not None
        finally:
            child.kill()
            child.wait(10)
            for pid in pids:
                _kill_quietly(pid)


_SLEEPS_MID_EPOCH = r"""
import time
import numpy
from plexgrad.data import DataLoader, Dataset

class Slow(Dataset):
    def __len__(self):
        return 1000

    def __getitem__(self, index):
        time.sleep(0.05)
        return numpy.zeros(1 << 18)

it = iter(DataLoader(Slow(), batch_size=1, num_workers=2))
next(it)
print(" ".join(str(process.pid) for process in it._workers), flush=True)
time.sleep(600)
"""


def test_workers_exit_within_seconds_when_the_main_process_is_killed():
    for _ in range(2):
        child = _child(_SLEEPS_MID_EPOCH)
        pids = []
        try:
            pids = [int(pid) for pid in child.stdout.readline().split()]
            assert len(pids) == 2
            time.sleep(0.3)  # the pipes fill while the main process sleeps
            child.kill()
            child.wait(10)
            assert _wait_gone(pids, 5) is not None, "workers outlived their parent by 5 s"
        finally:
            child.kill()
            child.wait(10)
            for pid in pids:
                _kill_quietly(pid)
