"""A PMI-1 rendezvous server, so MPI ranks find each other without ``mpiexec``.

MPICH processes learn their rank, the world size and each other's addresses from a process
manager speaking PMI (``mpiexec`` passes a socket in ``PMI_FD``).  When plexgrad starts the
ranks itself (``python -m plexgrad.distributed.run``) or a scheduler starts them with
``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/``MASTER_PORT``, this server plays that part: each
rank connects to ``MASTER_ADDR:MASTER_PORT`` (``PMI_PORT``, ``PMI_ID``) and MPICH's own PMI
client does the rest (put/get of business cards, barriers).  MPICH's singleton
connect/accept, the other way to join independent processes, is broken in MPICH 5.0
(pmodels/mpich#7805).

Two commands of plexgrad's own come first, from Python, so joining is bounded by a timeout
and reported by rank: ``plexgrad_hello`` (returns once every rank has said hello) and
``plexgrad_status`` (which ranks have).  The launcher hosts the server on a thread; without
it, rank 0 starts it as a child process (``python -m plexgrad.distributed.pmi_server``).
"""

__all__ = ["PMIServer", "hello", "main"]

import argparse
import os
import secrets
import socket
import sys
import threading
import time


def _parse(line):
    fields = {}
    for part in line.strip().split(" "):
        if "=" in part:
            key, value = part.split("=", 1)
            fields[key] = value
    return fields


class PMIServer:
    """Serves one job of ``size`` ranks on ``host:port`` (port 0: any free port, see ``.port``)."""

    def __init__(self, size, host="0.0.0.0", port=0):
        self.size = size
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(max(size * 2, 16))
        self.port = self._socket.getsockname()[1]
        # MPICH names its shared-memory segment after the kvs name: one per job, or a segment left
        # by a crashed job (or a concurrent one on this host) would be attached by the next
        self.kvs_name = f"plexgrad_{os.getpid()}_{self.port}_{secrets.token_hex(4)}"
        self._store = {}
        self._condition = threading.Condition()
        self._barrier_count = 0
        self._barrier_generation = 0
        self._hellos = set()
        self._finalized = set()
        self._open_ranks = 0
        self._closed = False
        self.started_ranks = 0

    def serve_in_thread(self):
        thread = threading.Thread(target=self.serve_forever, name="plexgrad-pmi-server", daemon=True)
        thread.start()
        return thread

    def serve_forever(self):
        while not self._closed:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def close(self):
        self._closed = True
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread (close does not)
        except OSError:
            pass
        try:
            self._socket.close()
        except OSError:
            pass

    @property
    def finished(self):
        """True once every rank has finalized MPI, or every PMI connection opened has closed."""
        with self._condition:
            return len(self._finalized) >= self.size or (self.started_ranks > 0 and self._open_ranks == 0)

    def _serve(self, connection):
        stream = connection.makefile("rwb", buffering=0)
        rank = None
        try:
            while True:
                line = stream.readline()
                if not line:
                    return
                fields = _parse(line.decode())
                command = fields.get("cmd")
                if command == "initack":
                    rank = int(fields.get("pmiid", "-1"))
                    with self._condition:
                        self._open_ranks += 1
                        self.started_ranks += 1
                    self._send(stream, "cmd=initack", f"cmd=set size={self.size}", f"cmd=set rank={rank}",
                               "cmd=set debug=0")
                    continue
                replies = self._answer(command, fields, rank)
                if replies is None:
                    return
                self._send(stream, *replies)
                if command == "finalize":
                    return
        except OSError:
            return
        finally:
            if rank is not None:
                with self._condition:
                    self._open_ranks -= 1
            connection.close()

    @staticmethod
    def _send(stream, *lines):
        stream.write("".join(line + "\n" for line in lines).encode())

    def _answer(self, command, fields, rank):
        if command == "init":
            return ["cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0"]
        if command == "get_maxes":
            return ["cmd=maxes kvsname_max=256 keylen_max=256 vallen_max=4096 rc=0"]
        if command == "get_appnum":
            return ["cmd=appnum appnum=0 rc=0"]
        if command == "get_my_kvsname":
            return [f"cmd=my_kvsname kvsname={self.kvs_name} rc=0"]
        if command == "get_universe_size":
            return [f"cmd=universe_size size={self.size} rc=0"]
        if command == "put":
            with self._condition:
                self._store[fields.get("key")] = fields.get("value", "")
            return ["cmd=put_result rc=0"]
        if command == "get":
            with self._condition:
                value = self._store.get(fields.get("key"))
            if value is None:
                return ["cmd=get_result rc=-1 msg=key_not_found"]
            return [f"cmd=get_result rc=0 value={value}"]
        if command == "barrier_in":
            self._barrier()
            return ["cmd=barrier_out rc=0"]
        if command == "finalize":
            with self._condition:
                self._finalized.add(rank)
            return ["cmd=finalize_ack rc=0"]
        if command == "abort":
            return None
        if command == "plexgrad_hello":
            return self._hello(int(fields["rank"]), int(fields["size"]))
        if command == "plexgrad_status":
            with self._condition:
                joined = ",".join(str(r) for r in sorted(self._hellos))
            return [f"cmd=plexgrad_joined size={self.size} ranks={joined}"]
        return [f"cmd={command} rc=-1 msg=unknown_command"]

    def _barrier(self):
        with self._condition:
            generation = self._barrier_generation
            self._barrier_count += 1
            if self._barrier_count == self.size:
                self._barrier_count = 0
                self._barrier_generation += 1
                self._condition.notify_all()
            else:
                self._condition.wait_for(lambda: self._barrier_generation != generation)

    def _hello(self, rank, size):
        if size != self.size:
            return [f"cmd=plexgrad_error msg=rank {rank} was started with WORLD_SIZE={size}, but the rendezvous "
                    f"serves WORLD_SIZE={self.size}: start every rank with the same WORLD_SIZE"]
        if not 0 <= rank < size:
            return [f"cmd=plexgrad_error msg=RANK={rank} is out of range for WORLD_SIZE={size}"]
        with self._condition:
            if rank in self._hellos:
                return [f"cmd=plexgrad_error msg=two processes were started as rank {rank}: give every process "
                        f"its own RANK"]
            self._hellos.add(rank)
            self._condition.notify_all()
            self._condition.wait_for(lambda: len(self._hellos) >= self.size)
        return ["cmd=plexgrad_ready"]


def _request(host, port, line, timeout):
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.settimeout(timeout)
        connection.sendall((line + "\n").encode())
        return connection.makefile("rb").readline().decode().strip()


def hello(host, port, rank, size, timeout):
    """Block until every rank has reached the rendezvous at ``host:port``, or raise naming the
    ranks that did not within ``timeout`` seconds (the server may still be starting: retried)."""
    from .errors import DistTimeoutError, DistError
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            reply = _request(host, port, f"cmd=plexgrad_hello rank={rank} size={size}", max(remaining, 0.1))
            break
        except (ConnectionRefusedError, socket.gaierror, OSError) as error:
            if isinstance(error, socket.timeout) or remaining <= 0:
                joined = _joined(host, port)
                raise DistTimeoutError(
                    f"init_process_group: rank {rank} waited {timeout:g} s at the rendezvous {host}:{port} for "
                    f"{size} ranks; {joined}. Start every rank (same MASTER_ADDR, MASTER_PORT and WORLD_SIZE), "
                    f"or raise the timeout: init_process_group(timeout=datetime.timedelta(...))") from None
            time.sleep(0.05)
    if reply.startswith("cmd=plexgrad_error"):
        raise DistError(f"init_process_group: {reply.split('msg=', 1)[1]}")
    if reply != "cmd=plexgrad_ready":
        raise DistError(f"init_process_group: {host}:{port} is not a plexgrad rendezvous (it answered {reply!r}); "
                        "choose a free MASTER_PORT")


def _joined(host, port):
    try:
        fields = _parse(_request(host, port, "cmd=plexgrad_status", 2.0))
    except OSError:
        return "the rendezvous server could not be reached (is rank 0 running?)"
    ranks = [int(r) for r in fields.get("ranks", "").split(",") if r]
    missing = sorted(set(range(int(fields.get("size", 0)))) - set(ranks))
    return f"ranks that joined: {ranks or 'none'}; missing: {missing}"


def main(argv=None):
    """Child-process mode (started by rank 0): serve until the job finishes or the parent dies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    arguments = parser.parse_args(argv)
    try:
        server = PMIServer(arguments.size, port=arguments.port)
    except OSError as error:
        print(f"error {error}", flush=True)
        return 1
    server.serve_in_thread()
    print("listening", flush=True)
    while not server.finished:
        if not _alive(arguments.parent):
            time.sleep(2.0)  # let the other ranks' finalize or failure reports go through first
            return 0
        time.sleep(0.2)
    return 0


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return os.getppid() == pid


if __name__ == "__main__":
    sys.exit(main())
