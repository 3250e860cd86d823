"""The default process group: which rank this process is, the engines that move each device
type's arrays, and the bounded wait every collective goes through.

``wait`` polls a collective's ``Work`` instead of blocking in the engine: after about a second
it starts probing the peers' liveness servers, so a rank whose process died is named within a
second or two (``DeadRankError``), and after ``timeout`` seconds a stuck job fails with what
every live rank was doing (``DistTimeoutError``); nothing waits forever.
"""

__all__ = ["ProcessGroup", "current_group", "set_current_group", "NOT_INITIALISED", "PROBE_AFTER_SECONDS"]

import socket
import struct
import time

import numpy

from .errors import DeadRankError, DistBackendError, DistError, DistTimeoutError
from .liveness import LivenessServer, probe

PROBE_AFTER_SECONDS = 1.0
"""A collective still waiting after this long starts probing whether its peers are alive."""

NOT_INITIALISED = (
    "Default process group has not been initialized, please make sure to call init_process_group. "
    "For example: plexgrad.distributed.init_process_group(backend='mpi') in a script started by "
    "`python -m plexgrad.distributed.run --nproc-per-node 2 script.py` (or by mpirun), or with RANK, "
    "WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (or pass rank=, world_size=, init_method='tcp://host:port')")

_current = None


def current_group(what):
    """The initialised default group, or torch's ValueError saying how to initialise one."""
    if _current is None:
        raise ValueError(f"{what}: {NOT_INITIALISED}")
    return _current


def set_current_group(group):
    global _current
    _current = group


class ProcessGroup:
    """One job's ranks and engines.  Made by ``init_process_group``; users only pass it around."""

    def __init__(self, rank, world_size, timeout, master_addr):
        self.rank = rank
        self.world_size = world_size
        self.timeout = timeout
        self.master_addr = master_addr
        self.engines = {}  # device type -> started engine
        self.engine_names = {}  # device type -> engine name
        self.host_engine = None  # the engine for cpu arrays: metadata checks go through it
        self.broken = None  # the error that broke the group, once one did
        self.liveness = LivenessServer(rank)
        self.peers = None  # rank -> (host, port, pid), once exchanged

    # ---- setup -------------------------------------------------------------------------------
    def add_engine(self, device_types, name, engine):
        for device_type in device_types:
            self.engines[device_type] = engine
            self.engine_names[device_type] = name
        if self.host_engine is None:
            self.host_engine = engine

    def exchange_addresses(self, local_host):
        """Every rank learns every other rank's liveness address (through the first engine)."""
        packed = struct.unpack("!I", socket.inet_aton(local_host))[0]
        work = self.host_engine.gather_host(numpy.array([packed, self.liveness.port, _pid()], dtype=numpy.int64))
        table = self.wait(work, "init_process_group", probe_peers=False)
        self.peers = {rank: (socket.inet_ntoa(struct.pack("!I", int(row[0]))), int(row[1]), int(row[2]))
                      for rank, row in enumerate(table)}

    def engine_for(self, device_type, what):
        engine = self.engines.get(device_type)
        if engine is None:
            served = ", ".join(f"{d}:{n}" for d, n in self.engine_names.items()) or "none"
            raise RuntimeError(
                f"{what}: no collective engine for '{device_type}' tensors in this process group (engines: "
                f"{served}). Move the tensor (.to('cpu')) or initialise with an engine for it, e.g. "
                f"init_process_group(backend='cpu:mpi,{device_type}:{_suggested(device_type)}')")
        return engine

    # ---- waiting -------------------------------------------------------------------------------
    def begin(self, what):
        """Count a collective (what liveness probes report) and refuse to start on a broken group."""
        if self.broken is not None:
            raise DistError(f"{what}: the process group is broken ({self.broken}); destroy it and exit: "
                            f"plexgrad.distributed.destroy_process_group()")
        self.liveness.sequence += 1
        self.liveness.collective = what

    def wait(self, work, what, probe_peers=True):
        """The result of ``work``, polled until done, a dead peer, or the group's timeout."""
        try:
            if work.test():
                return work.result()
            start = time.monotonic()
            deadline = start + self.timeout
            next_probe = start + PROBE_AFTER_SECONDS
            polls = 0
            while not work.test():
                polls += 1
                if polls > 200:  # past the first ~50 us: stop spinning, give the core to the peers
                    time.sleep(0.00005 if polls < 2000 else 0.0005)
                now = time.monotonic()
                if probe_peers and now >= next_probe and self.peers is not None:
                    self._raise_if_peer_dead(what)
                    next_probe = now + 1.0
                if now >= deadline:
                    raise self._break(DistTimeoutError(self._timeout_message(what)))
            return work.result()
        except DistError:
            raise
        except Exception as error:  # the engine reported a failure (a peer's socket closed...)
            dead = self._dead_peers() if self.peers is not None else []
            if dead:
                raise self._break(DeadRankError(self._dead_message(what, dead))) from error
            raise self._break(DistBackendError(
                f"{what} failed on rank {self.rank}: {type(error).__name__}: {error}")) from error

    def _break(self, error):
        self.broken = f"{type(error).__name__} in collective #{self.liveness.sequence}"
        for engine in set(self.engines.values()):
            mark = getattr(engine, "mark_broken", None)
            if mark is not None:
                mark()
        return error

    def _dead_peers(self, count_leaving=False):
        """Peers whose process is gone (and, with ``count_leaving``, those already exiting)."""
        found = []
        for rank, (host, port, _) in self.peers.items():
            if rank != self.rank:
                state, _, detail = probe(host, port)
                if state == "dead" or count_leaving and state == "alive" and detail == "exit":
                    found.append(rank)
        return found

    def _raise_if_peer_dead(self, what):
        dead = self._dead_peers(count_leaving=what != "exit")
        if dead:
            raise self._break(DeadRankError(self._dead_message(what, dead)))

    def _dead_message(self, what, dead):
        names = ", ".join(f"rank {rank} (pid {self.peers[rank][2]} on {self.peers[rank][0]})" for rank in dead)
        return (f"{what}: {names} died or left the job (its process is gone or exiting), so rank {self.rank} "
                f"stopped waiting in collective "
                f"#{self.liveness.sequence} ({what}). The job cannot continue; see that rank's output for its "
                f"error (the launcher prints it)")

    def _timeout_message(self, what):
        lines = []
        if self.peers is not None:
            for rank, (host, port, pid) in sorted(self.peers.items()):
                if rank == self.rank:
                    continue
                state, sequence, detail = probe(host, port)
                if state == "alive":
                    relation = "the same collective" if sequence == self.liveness.sequence else \
                        f"collective #{sequence} ({detail})"
                    lines.append(f"rank {rank} is alive and last entered {relation}")
                elif state == "dead":
                    lines.append(f"rank {rank} (pid {pid}) is dead")
                else:
                    lines.append(f"rank {rank} cannot be reached ({detail})")
        peers = "; ".join(lines) or "peers unknown (still joining)"
        return (f"{what}: rank {self.rank} waited {self.timeout:g} s in collective #{self.liveness.sequence} "
                f"and it did not finish: {peers}. Every rank must call the same collectives in the same "
                f"order; raise the timeout with init_process_group(timeout=datetime.timedelta(seconds=...)) "
                f"or PLEXGRAD_DIST_TIMEOUT if a rank is just slow")

    def close(self):
        if self.broken is None:
            for engine in set(self.engines.values()):
                engine.close()
        self.liveness.close()


def _suggested(device_type):
    return {"cuda": "nccl", "jax": "jax", "cpu": "mpi"}.get(device_type, "<engine>")


def _pid():
    import os
    return os.getpid()
