"""Start a loopback job for the distributed tests: N processes with RANK, WORLD_SIZE, MASTER_ADDR
and MASTER_PORT set, every wait bounded (the processes are killed at the deadline)."""

__all__ = ["spawn", "free_port", "WORKER", "ROOT", "python_environment"]

import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


def free_port():
    """A port that is free, and whose successor is free too (the jax engine uses both)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            try:
                with socket.socket() as second:
                    second.bind(("", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two consecutive free ports")


def python_environment(extra=None):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = ROOT + os.pathsep + environment.get("PYTHONPATH", "")
    environment.setdefault("OMP_NUM_THREADS", "1")
    environment.setdefault("OPENBLAS_NUM_THREADS", "1")
    for name in ("PMI_FD", "PMI_PORT", "PMI_ID", "PMI_RANK", "PMI_SIZE", "PLEXGRAD_RENDEZVOUS_HOSTED"):
        environment.pop(name, None)
    environment.update(extra or {})
    return environment


def spawn(world_size, arguments, timeout, extra_environment=None, per_rank_environment=None):
    """Run ``worker.py arguments`` as ``world_size`` ranks; returns ``[(returncode, stdout, stderr)]``
    by rank.  Processes still running at ``timeout`` seconds are killed (returncode None)."""
    port = free_port()
    processes = []
    for rank in range(world_size):
        environment = python_environment({"RANK": str(rank), "WORLD_SIZE": str(world_size),
                                          "LOCAL_RANK": str(rank), "MASTER_ADDR": "127.0.0.1",
                                          "MASTER_PORT": str(port), **(extra_environment or {})})
        if per_rank_environment:
            environment.update(per_rank_environment.get(rank, {}))
        processes.append(subprocess.Popen([sys.executable, WORKER] + list(arguments), env=environment,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT))
    deadline = time.monotonic() + timeout
    results = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results.append((process.returncode, out, err))
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            results.append((None, out, err))
    for process in processes:
        if process.poll() is None:
            process.kill()
    return results
