"""Where checkpoint bytes go and come from: paths are replaced atomically, file objects are used as given.

A save to a path streams into a temporary file in the target's directory, flushes and fsyncs
it, then ``os.replace``s it over the target: a crash or error mid-save leaves any existing file
untouched. The temporary file is removed on every failure Python sees (exceptions, Ctrl-C).
What no process can clean up after itself (``kill -9``, a power cut) is cleaned by the next
save into that directory: temporary files are named
``.<target>.<host>.<pid>.<random>.plexgrad-tmp``, and one whose writer is gone (same host, no
such process) or that nothing has touched for ``STALE_SECONDS`` is deleted.
"""

__all__ = ["describe", "write_bytes", "save_to", "open_source", "remove_stale_temporaries", "STALE_SECONDS",
           "TEMPORARY_SUFFIX"]

import contextlib
import os
import re
import socket
import tempfile
import time

STALE_SECONDS = 3600.0  # a save that has not written for an hour is not running any more
TEMPORARY_SUFFIX = ".plexgrad-tmp"
_TEMPORARY_NAME = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>[0-9]+)\.[A-Za-z0-9_]+"
                             + re.escape(TEMPORARY_SUFFIX) + "$")


def describe(target):
    """How error messages name a path or file object."""
    if isinstance(target, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(target))
    name = getattr(target, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(target).__name__} file object>"


def write_bytes(handle, data):
    """Write ``data`` to an open binary file (tests replace this to simulate a failure mid-write)."""
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if written is None:  # some file objects return None after writing everything
            break
        view = view[written:]


def _host_name():
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale_temporaries(directory):
    """Delete this module's temporary files in ``directory`` whose save cannot still be running;
    the names of those removed. Files of other programs are never touched."""
    removed = []
    host, now = _host_name(), time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY_NAME.match(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            writer_gone = match["host"] == host and not _process_exists(int(match["pid"]))
            if writer_gone or now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:  # another save removed it first, or it is not ours to remove
            continue
    return removed


def _file_mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_directory(directory):
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def save_to(target, write):
    """Call ``write(handle)`` with a binary file whose bytes end up at ``target``: a path
    (atomically, see the module docstring) or a writable binary file object."""
    if not isinstance(target, (str, bytes, os.PathLike)):
        if not hasattr(target, "write"):
            raise TypeError(f"plexgrad.save expects a path or a binary file object opened for writing, got "
                            f"{type(target).__name__}")
        write(target)
        return
    path = os.path.abspath(os.fsdecode(target))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist: create it before saving to {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path!r}: it is a directory; give a file name")
    remove_stale_temporaries(directory)
    mode = _file_mode(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{_host_name()}.{os.getpid()}.",
                                             suffix=TEMPORARY_SUFFIX, dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_directory(directory)


@contextlib.contextmanager
def open_source(source):
    """``(binary file, its size or None, its path or None)`` for a path or a readable file object
    (read from its current position)."""
    if isinstance(source, (str, bytes, os.PathLike)):
        path = os.fsdecode(source)
        if os.path.isdir(path):
            raise IsADirectoryError(f"cannot load {path!r}: it is a directory; give a file written by plexgrad.save")
        with open(path, "rb") as handle:
            yield handle, os.fstat(handle.fileno()).st_size, path
        return
    if not hasattr(source, "read"):
        raise TypeError(f"plexgrad.load expects a path or a binary file object, got {type(source).__name__}")
    if isinstance(getattr(source, "mode", "b"), str) and "b" not in getattr(source, "mode", "b"):
        raise TypeError(f"plexgrad.load needs a file opened in binary mode ('rb'), got text from {describe(source)}")
    size = None
    try:
        position = source.tell()
        size = source.seek(0, os.SEEK_END) - position
        source.seek(position)
    except (AttributeError, OSError, ValueError):  # a pipe or socket: read it as it comes
        size = None
    yield source, size, None
