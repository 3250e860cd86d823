"""Faults on loopback jobs: a killed rank makes the other fail within seconds with an error naming
it; a rank that never joins a collective makes the others time out (the configured timeout)
naming what it was doing; and the launcher's exit codes and reports."""

import importlib.util
import json
import subprocess
import sys
import time

import pytest

from dist_jobs.spawn import ROOT, python_environment, spawn
from deadlines import deadline

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                                reason="mpi4py is not installed (pip install 'plexgrad[distributed]')")


def test_a_killed_rank_is_named_by_the_other_within_seconds(device, tmp_path):
    """On jax too: the survivor must also skip jax.distributed's shutdown, which waits for every peer."""
    start = time.monotonic()
    with deadline(100):
        results = spawn(2, ["killed", device, str(tmp_path)], timeout=90, extra_environment={"PLEXGRAD_DIST_TIMEOUT": "30"})
    assert results[1][0] == -9  # the killed rank
    assert results[0][0] == 1, results[0][2][-3000:]  # the survivor exits with an error, not a hang
    seen = json.loads((tmp_path / "rank_0.json").read_text())
    assert seen["error"].startswith("DeadRankError: all_reduce: rank 1 (pid ")
    assert "died or left the job" in seen["error"]
    assert seen["seconds"] < 10, "a dead peer is found by probing, long before the 30 s timeout"
    assert time.monotonic() - start < 80  # startup (jax: ~10-20 s on a loaded machine) plus seconds


def test_a_rank_that_never_joins_times_out_naming_it(tmp_path):
    with deadline(60):
        results = spawn(2, ["stuck", "cpu", str(tmp_path)], timeout=50, extra_environment={"STUCK_TIMEOUT": "3"})
    assert results[0][0] == 1, results[0][2][-3000:]
    seen = json.loads((tmp_path / "rank_0.json").read_text())
    assert seen["error"].startswith("DistTimeoutError: all_reduce: rank 0 waited 3 s in collective #")
    assert "rank 1 is alive and last entered collective #" in seen["error"]
    assert 3 <= seen["seconds"] < 8
    assert results[1][0] is None  # rank 1 was still sleeping: spawn killed it at its deadline


def test_ranks_that_disagree_on_world_size_are_told(tmp_path):
    with deadline(60):
        results = spawn(2, ["collectives", "cpu", str(tmp_path)], timeout=30,
                        per_rank_environment={1: {"WORLD_SIZE": "3", "RANK": "1"}},
                        extra_environment={"PLEXGRAD_DIST_TIMEOUT": "12"})
    assert results[1][0] not in (0, None)
    assert "rank 1 was started with WORLD_SIZE=3, but the rendezvous serves WORLD_SIZE=2" in results[1][2]
    assert results[0][0] not in (0, None)
    assert "missing: [1]" in results[0][2] or "waited 12 s" in results[0][2]


def _launch(mode, nproc=2, timeout=60):
    command = [sys.executable, "-m", "plexgrad.distributed.run", "--nproc-per-node", str(nproc), "--master-port",
               "0", "--grace-period", "2", f"{ROOT}/tests/dist_jobs/launched.py", mode]
    with deadline(timeout + 10):
        return subprocess.run(command, env=python_environment(), capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)


def test_launcher_runs_the_ranks_and_exits_0():
    finished = _launch("ok", nproc=3)
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = sorted(line for line in finished.stdout.splitlines() if line.startswith("rank"))
    assert lines == [f"rank {r} of 3 local {r} sum 3.0" for r in range(3)]


def test_launcher_reports_the_failing_rank_and_its_traceback():
    finished = _launch("raise")
    assert finished.returncode == 1
    assert "plexgrad.distributed.run: rank 1 (local rank 1, pid" in finished.stderr
    assert "exited with code 1; stopping the other ranks" in finished.stderr
    assert "rank 1's traceback:" in finished.stderr and "ValueError: rank 1 fails on purpose" in finished.stderr


def test_launcher_exits_with_the_failing_rank_exit_code():
    finished = _launch("exit")
    assert finished.returncode == 3, finished.stderr[-3000:]
    assert "rank 1 (local rank 1" in finished.stderr and "exited with code 3" in finished.stderr


def test_launcher_reports_a_killed_rank():
    finished = _launch("kill")
    assert finished.returncode == 128 + 9
    assert "rank 1 (local rank 1" in finished.stderr and "was killed by signal 9 (SIGKILL)" in finished.stderr


def test_launcher_refuses_bad_arguments():
    finished = subprocess.run([sys.executable, "-m", "plexgrad.distributed.run", "--nproc-per-node", "0", "x.py"],
                              env=python_environment(), capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert finished.returncode == 2 and "--nproc-per-node and --nnodes must be at least 1" in finished.stderr


def test_mpirun_starts_a_job_too():
    import os
    import shutil
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    if mpiexec is None:
        pytest.skip("no mpiexec here (the mpich wheel installs one next to python)")
    with deadline(70):
        finished = subprocess.run([mpiexec, "-n", "2", sys.executable, f"{ROOT}/tests/dist_jobs/launched.py", "ok"],
                                  env=python_environment(), capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = sorted(line for line in finished.stdout.splitlines() if line.startswith("rank"))
    assert lines == ["rank 0 of 2 local - sum 1.0", "rank 1 of 2 local - sum 1.0"]
