"""Liveness: how a waiting rank tells a dead peer from a slow one.

Each rank runs a tiny TCP server on a daemon thread.  A probe connects and reads one line,
``"<rank> <collective number> <collective name>"``: the rank's process is alive and this is the
collective it is in (or last finished).  A refused connection means the process is gone (the OS
closed its socket).  A rank that waits much longer than a collective normally takes probes its
peers, so a dead rank is named within about a second instead of at the timeout, and a timeout
names what each live rank was doing.  Collectives themselves never touch these sockets.
"""

__all__ = ["LivenessServer", "probe", "local_address_towards"]

import socket
import threading


class LivenessServer:
    """Answers probes with this rank's current collective; ``progress`` is updated by the group."""

    def __init__(self, rank):
        self.rank = rank
        self.sequence = 0
        self.collective = "init_process_group"
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("0.0.0.0", 0))
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name=f"plexgrad-liveness-rank{rank}", daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._closed:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            try:
                connection.sendall(f"{self.rank} {self.sequence} {self.collective}\n".encode())
            except OSError:
                pass
            finally:
                connection.close()

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


def probe(host, port, timeout=1.0):
    """``("alive", sequence, collective)``, ``("dead", None, None)`` when the connection is refused
    (the process is gone) or ``("unreachable", None, reason)``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.settimeout(timeout)
            line = connection.makefile("rb").readline().decode().split(" ", 2)
    except ConnectionRefusedError:
        return "dead", None, None
    except OSError as error:
        return "unreachable", None, f"{type(error).__name__}: {error}"
    if len(line) < 3:
        return "dead", None, None  # accepted by a closing socket: the process is exiting
    return "alive", int(line[1]), line[2].strip()


def local_address_towards(host):
    """The IPv4 address this machine uses to reach ``host`` (no packet is sent)."""
    probe_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe_socket.connect((socket.gethostbyname(host), 9))
        return probe_socket.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe_socket.close()
