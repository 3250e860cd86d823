"""One-way message pipes between a DataLoader worker and the main process that never block for good.

A ``multiprocessing.Queue`` reads a message with one blocking ``recv_bytes``: when its writer
is killed halfway through a large message, the reader waits forever for bytes that will never
come (every worker holds a copy of the shared queue's write end, so no end of file arrives
either). Here each worker has its own pipe, messages are framed as an 8-byte length plus the
payload, and both ends are non-blocking:

- the main process's ``Receiver`` takes whatever bytes are in the pipe and hands back complete
  messages; a half-sent message just stays in its buffer, so the caller can wait on the pipe
  *and* on the workers' exit sentinels with a deadline, and notice a dead worker;
- a ``Sender`` writes as much as fits, then waits for room at most ``SEND_POLL_SECONDS`` at
  a time, asking ``should_stop()`` between waits, so a worker whose parent died (or was told
  to stop) gives up instead of blocking on a full pipe, and the main process never blocks
  sending indices to a dead worker.

The same channels carry index batches from the main process to each worker: a multiprocessing
Queue's hidden feeder thread and blocking reads are nowhere on either side.

POSIX only (file descriptors and ``select.poll``), as are the ``fork`` and ``forkserver`` start
methods this module is used with; ``spawn`` works too.
"""

__all__ = ["open_channel", "Receiver", "Sender", "SEND_POLL_SECONDS"]

import os
import select
import struct

_LENGTH = struct.Struct("<Q")
_PIPE_BYTES = 1 << 20  # a bigger pipe buffer means fewer wake-ups per large batch
_READ_CHUNK = 1 << 20
SEND_POLL_SECONDS = 0.25


def open_channel(context):
    """``(reader, writer)`` Connections of a new one-way pipe from ``context`` (a multiprocessing
    context); the pipe buffer is enlarged where the system allows it."""
    reader, writer = context.Pipe(duplex=False)
    try:
        import fcntl
        fcntl.fcntl(reader.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or over the system's pipe-max-size
        pass
    return reader, writer


class Receiver:
    """The main process's end of a channel: ``read_available(messages)`` appends every message
    completed by the bytes now in the pipe and returns without waiting. ``ended`` is True once
    the writer has closed its end (it exited or died)."""

    __slots__ = ("connection", "descriptor", "_length", "_body", "_filled", "ended")

    def __init__(self, connection):
        self.connection = connection
        self.descriptor = connection.fileno()
        os.set_blocking(self.descriptor, False)
        self._length = bytearray()
        self._body = None
        self._filled = 0
        self.ended = False

    def fileno(self):
        """The pipe's descriptor (so a Receiver can be passed to ``multiprocessing.connection.wait``)."""
        return self.descriptor

    def read_available(self, messages):
        """Append to ``messages`` each complete payload (a bytearray) that the pipe now holds."""
        while not self.ended:
            try:
                if self._body is None:
                    chunk = os.read(self.descriptor, _LENGTH.size - len(self._length))
                    if not chunk:
                        self.ended = True
                        return
                    self._length += chunk
                    if len(self._length) == _LENGTH.size:
                        (size,) = _LENGTH.unpack(self._length)
                        self._length = bytearray()
                        self._body, self._filled = bytearray(size), 0
                        if size == 0:
                            messages.append(self._body)
                            self._body = None
                    continue
                with memoryview(self._body) as body:
                    count = os.readv(self.descriptor, [body[self._filled:self._filled + _READ_CHUNK]])
                if count == 0:
                    self.ended = True
                    return
                self._filled += count
                if self._filled == len(self._body):
                    messages.append(self._body)
                    self._body = None
            except BlockingIOError:
                return
            except OSError:  # the descriptor was closed under us: nothing more will come
                self.ended = True
                return

    def close(self):
        """Close the main process's end (a worker still writing then gets a broken pipe)."""
        self.ended = True
        self.connection.close()


class Sender:
    """The writing end of a channel: ``send(payload, should_stop)`` writes one framed message,
    waiting for room at most ``SEND_POLL_SECONDS`` at a time and asking ``should_stop()``
    between waits; it returns False if told to stop before the message was all written. A
    reader that is gone raises BrokenPipeError."""

    __slots__ = ("connection", "descriptor", "_poller")

    def __init__(self, connection):
        self.connection = connection
        self.descriptor = connection.fileno()
        os.set_blocking(self.descriptor, False)
        self._poller = select.poll()
        self._poller.register(self.descriptor, select.POLLOUT)

    def send(self, payload, should_stop):
        """Write ``payload`` (bytes-like) as one message; see the class docstring."""
        for part in (_LENGTH.pack(len(payload)), payload):
            with memoryview(part) as view:
                position, total = 0, len(view)
                while position < total:
                    try:
                        position += os.write(self.descriptor, view[position:])
                        continue
                    except BlockingIOError:
                        pass
                    if should_stop():
                        return False
                    self._poller.poll(int(SEND_POLL_SECONDS * 1000))
        return True

    def close(self):
        """Close this end (the reader then sees the end of the stream once every copy is closed)."""
        self.connection.close()
