"""The launcher, torchrun's shape: ``python -m plexgrad.distributed.run --nproc-per-node N script.py ...``.

It hosts the rendezvous (plexgrad's PMI server on ``MASTER_PORT``, so MPI ranks need no
``mpiexec``), starts N processes with ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT`` (and ``OMP_NUM_THREADS=1`` unless set),
forwards SIGINT/SIGTERM to them, and when one rank fails kills the others and reports the
failing rank: its exit code and its Python traceback.  The launcher exits with that rank's exit
code (128 + the signal number for a rank killed by a signal), 0 when every rank succeeded.

``mpirun -n N python script.py`` works as well: ``init_process_group`` then takes the ranks
from MPI.
"""

__all__ = ["main", "parse_arguments"]

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from .launched_rank import ERROR_FILE_VARIABLE

_CLEARED = ("PMI_FD", "PMI_PORT", "PMI_ID", "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m plexgrad.distributed.run",
        description="Start N processes of a training script for plexgrad.distributed (torchrun's options).")
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                        help="processes to start on this node (default 1)")
    parser.add_argument("--nnodes", type=int, default=1, help="number of nodes (default 1)")
    parser.add_argument("--node-rank", "--node_rank", type=int, default=0, help="this node's index (default 0)")
    parser.add_argument("--master-addr", "--master_addr", default="127.0.0.1",
                        help="address of node 0, where the rendezvous runs (default 127.0.0.1)")
    parser.add_argument("--master-port", "--master_port", type=int, default=29500,
                        help="rendezvous port on node 0 (default 29500; 0 picks a free one). The jax engine "
                             "uses the next port too")
    parser.add_argument("--grace-period", type=float, default=5.0,
                        help="seconds the other ranks get to exit after SIGTERM before SIGKILL (default 5)")
    parser.add_argument("-m", "--module", action="store_true", help="run the target as a module (python -m)")
    parser.add_argument("target", help="the training script (or module with -m)")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="arguments for the script")
    arguments = parser.parse_args(argv)
    if arguments.nproc_per_node < 1 or arguments.nnodes < 1:
        parser.error("--nproc-per-node and --nnodes must be at least 1")
    if not 0 <= arguments.node_rank < arguments.nnodes:
        parser.error(f"--node-rank must be from 0 to {arguments.nnodes - 1}")
    return arguments


def _environment(arguments, local_rank, error_file, master_port):
    world_size = arguments.nnodes * arguments.nproc_per_node
    environment = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    environment.update({
        "RANK": str(arguments.node_rank * arguments.nproc_per_node + local_rank),
        "LOCAL_RANK": str(local_rank), "WORLD_SIZE": str(world_size),
        "LOCAL_WORLD_SIZE": str(arguments.nproc_per_node), "GROUP_RANK": str(arguments.node_rank),
        "MASTER_ADDR": arguments.master_addr, "MASTER_PORT": str(master_port),
        "PLEXGRAD_RENDEZVOUS_HOSTED": "1", ERROR_FILE_VARIABLE: error_file,
    })
    if arguments.nproc_per_node > 1:
        environment.setdefault("OMP_NUM_THREADS", "1")  # N ranks on one node: no thread pool per rank each
    return environment


def _shared_memory_files():
    try:
        return {os.path.join("/dev/shm", name) for name in os.listdir("/dev/shm") if name.startswith("mpich_shm_")}
    except OSError:
        return set()


def _exit_code(returncode):
    return 128 - returncode if returncode < 0 else returncode


def _signal_all(processes, sig):
    for process in processes:
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass


def _stop_all(processes, grace_period):
    _signal_all(processes, signal.SIGTERM)
    deadline = time.monotonic() + grace_period
    while time.monotonic() < deadline and any(process.poll() is None for process in processes):
        time.sleep(0.05)
    _signal_all(processes, signal.SIGKILL)
    for process in processes:
        process.wait()


def _report(rank, local_rank, process, error_file):
    code = process.returncode
    how = f"was killed by signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exited with code {code}"
    lines = [f"plexgrad.distributed.run: rank {rank} (local rank {local_rank}, pid {process.pid}) {how}; "
             f"stopping the other ranks."]
    try:
        with open(error_file) as handle:
            lines.append(f"rank {rank}'s traceback:\n{json.load(handle)['traceback'].rstrip()}")
    except (OSError, ValueError, KeyError):
        lines.append(f"(rank {rank} left no Python traceback: it did not raise, or was killed; see its output above)")
    print("\n".join(lines), file=sys.stderr, flush=True)


def main(argv=None):
    """Run the launcher; returns the exit code (see the module docstring)."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    master_port = arguments.master_port
    if master_port == 0 and arguments.node_rank != 0:
        print("plexgrad.distributed.run: --master-port 0 (any free port) works only on node 0; give the other "
              "nodes node 0's port", file=sys.stderr)
        return 2
    server = None
    if arguments.node_rank == 0:
        from .pmi_server import PMIServer
        try:  # port 0: the server binds a free port itself (no window in which another process takes it)
            server = PMIServer(arguments.nnodes * arguments.nproc_per_node, port=master_port)
            master_port = server.port
        except OSError as error:
            print(f"plexgrad.distributed.run: cannot host the rendezvous on port {master_port} ({error}); choose a "
                  f"free --master-port (or 0 for any)", file=sys.stderr)
            return 1
        server.serve_in_thread()
    error_directory = tempfile.mkdtemp(prefix="plexgrad_run_")
    command = [sys.executable, "-m", "plexgrad.distributed.launched_rank"] + (["-m"] if arguments.module else []) + \
        [arguments.target] + list(arguments.arguments)
    processes, error_files = [], []
    received = []

    def forward(signum, frame):
        received.append(signum)
        _signal_all(processes, signum)
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    shared_memory_before = _shared_memory_files()
    try:
        for local_rank in range(arguments.nproc_per_node):
            error_file = os.path.join(error_directory, f"rank_{local_rank}.json")
            error_files.append(error_file)
            processes.append(subprocess.Popen(command, env=_environment(arguments, local_rank, error_file, master_port),
                                              start_new_session=True))
        return _monitor(arguments, processes, error_files, received)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if any(process.poll() is None for process in processes):
            _stop_all(processes, arguments.grace_period)
        if any(process.returncode for process in processes):
            # ranks stopped by a signal never ran MPI_Finalize, which unlinks MPICH's shared memory
            for path in _shared_memory_files() - shared_memory_before:
                try:
                    os.remove(path)
                except OSError:
                    pass
        if server is not None:
            server.close()
        for path in error_files:
            if os.path.exists(path):
                os.remove(path)
        os.rmdir(error_directory)


def _monitor(arguments, processes, error_files, received):
    base_rank = arguments.node_rank * arguments.nproc_per_node
    while True:
        if received:
            _stop_all(processes, arguments.grace_period)
            return 128 + received[0]
        running = False
        for local_rank, process in enumerate(processes):
            code = process.poll()
            if code is None:
                running = True
            elif code != 0:
                _report(base_rank + local_rank, local_rank, process, error_files[local_rank])
                _stop_all(processes, arguments.grace_period)
                return _exit_code(code)
        if not running:
            return 0
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
