"""DataLoader under faults: how often it hangs, and how fast orphaned workers leave.

    PYTHONPATH=$PWD python benchmarks/dataloader_faults.py [--runs 50] [--orphan-runs 5] [--drop-runs 10]

Three experiments, each run in fresh child processes with a wall-clock limit (a child still
running at the limit counts as a hang and is killed):

1. killed worker: a loader with ``num_workers=2`` and 8 MiB batches; after a random delay one
   worker gets SIGKILL while batches are in flight. Outcomes: the error torch gives, a finished
   epoch (the kill came too late), or a hang.
2. orphaned workers: the main process is SIGKILLed mid-epoch; how long until its workers are gone.
3. dropped iterator: ``it = iter(loader); next(it)`` and the program ends; does it return, and
   does it leave worker processes behind.

Timings on a loaded shared machine are rough.
"""

__all__ = ["main"]

import argparse
import os
import signal
import subprocess
import sys
import time

_KILLED_WORKER = r"""
import os, random, signal, sys, threading
import numpy
from plexgrad.data import DataLoader, Dataset

class Big(Dataset):
    def __len__(self):
        return 48

    def __getitem__(self, index):
        return numpy.full((1 << 20,), index, dtype=numpy.float64)   # 8 MiB

rng = random.Random(int(sys.argv[1]))
iterator = iter(DataLoader(Big(), batch_size=1, num_workers=2))
next(iterator)
victim = iterator._workers[rng.randrange(2)].pid
threading.Timer(rng.uniform(0.0, 0.4), os.kill, (victim, signal.SIGKILL)).start()
try:
    for batch in iterator:
        pass
    print("COMPLETED")
except RuntimeError as error:
    print("ERROR", error)
"""

_ORPHANS = r"""
import time
import numpy
from plexgrad.data import DataLoader, Dataset

class Slow(Dataset):
    def __len__(self):
        return 1000

    def __getitem__(self, index):
        time.sleep(0.05)
        return numpy.zeros(1 << 18)   # 2 MiB: the pipe fills while the main process sleeps

iterator = iter(DataLoader(Slow(), batch_size=1, num_workers=2))
next(iterator)
print(" ".join(str(process.pid) for process in iterator._workers), flush=True)
time.sleep(600)
"""

_DROPPED = r"""
import numpy
from plexgrad.data import DataLoader, Dataset

class Big(Dataset):
    def __len__(self):
        return 64

    def __getitem__(self, index):
        return numpy.zeros(1 << 20)   # 8 MiB

it = iter(DataLoader(Big(), batch_size=1, num_workers=2))
next(it)
print(" ".join(str(process.pid) for process in it._workers), flush=True)
"""


def _alive(pid):
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def killed_worker(runs, limit):
    """Counts of outcomes over ``runs`` killed-worker runs, and one example error message."""
    counts = {"error": 0, "completed": 0, "hang": 0, "other": 0}
    example = None
    for run in range(runs):
        try:
            result = subprocess.run([sys.executable, "-c", _KILLED_WORKER, str(run)], capture_output=True,
                                    text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            counts["hang"] += 1
            continue
        if result.stdout.startswith("ERROR"):
            counts["error"] += 1
            example = example or result.stdout.strip()
        elif result.stdout.startswith("COMPLETED"):
            counts["completed"] += 1
        else:
            counts["other"] += 1
            print("unexpected outcome:", result.returncode, result.stdout[-300:], result.stderr[-600:])
    return counts, example


def orphan_exit_times(runs, limit):
    """Seconds from SIGKILL of the main process until both workers are gone (None: still there at ``limit``)."""
    times = []
    for _ in range(runs):
        child = subprocess.Popen([sys.executable, "-c", _ORPHANS], stdout=subprocess.PIPE, text=True)
        pids = []
        try:
            pids = [int(pid) for pid in child.stdout.readline().split()]
            time.sleep(0.5)
            child.kill()
            child.wait(10)
            killed_at = time.monotonic()
            while any(_alive(pid) for pid in pids) and time.monotonic() - killed_at < limit:
                time.sleep(0.02)
            gone = not any(_alive(pid) for pid in pids)
            times.append(time.monotonic() - killed_at if gone else None)
        finally:
            child.kill()
            _kill_all(pids)
    return times


def dropped_iterator(runs, limit):
    """``(hangs, runs that left workers behind, slowest exit seconds)`` for a dropped half-used iterator."""
    hangs, leftovers, slowest = 0, 0, 0.0
    for _ in range(runs):
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-c", _DROPPED], stdout=subprocess.PIPE, text=True)
        pids = []
        try:
            pids = [int(pid) for pid in child.stdout.readline().split()]
            child.wait(limit)
            slowest = max(slowest, time.monotonic() - started)
        except subprocess.TimeoutExpired:
            hangs += 1
        finally:
            child.kill()
            child.wait(10)
            time.sleep(0.2)
            if any(_alive(pid) for pid in pids):
                leftovers += 1
            _kill_all(pids)
    return hangs, leftovers, slowest


def main():
    """Run the three experiments and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="killed-worker runs")
    parser.add_argument("--orphan-runs", type=int, default=5)
    parser.add_argument("--drop-runs", type=int, default=10)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a run counts as a hang")
    options = parser.parse_args()
    import plexgrad
    print(f"plexgrad from {os.path.dirname(plexgrad.__file__)}")
    counts, example = killed_worker(options.runs, options.limit)
    print(f"killed worker, {options.runs} runs: {counts['hang']} hung, {counts['error']} raised, "
          f"{counts['completed']} finished before the kill, {counts['other']} other")
    if example:
        print(f"  example error: {example[:200]}")
    times = orphan_exit_times(options.orphan_runs, options.limit)
    shown = ", ".join("still alive" if value is None else f"{value:.2f}" for value in times)
    print(f"orphaned workers gone after parent SIGKILL, seconds: {shown}")
    hangs, leftovers, slowest = dropped_iterator(options.drop_runs, options.limit)
    print(f"dropped half-used iterator, {options.drop_runs} runs: {hangs} hung, {leftovers} left workers "
          f"behind, slowest exit {slowest:.2f} s")


if __name__ == "__main__":
    main()
