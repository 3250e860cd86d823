"""Reading and writing checkpoint bytes: paths are replaced atomically, file objects are used as given.

A save writes a temporary file in the target's directory, flushes and fsyncs it, then
``os.replace``s it over the target: a crash or error mid-save leaves any existing file
untouched (and no temporary file behind).
"""

__all__ = ["describe", "read_all", "write_all", "write_bytes"]

import os
import tempfile


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


def write_all(target, data):
    """Write ``data`` to a path (atomically) or to a writable binary file object."""
    if not isinstance(target, (str, bytes, os.PathLike)):
        if not hasattr(target, "write"):
            raise TypeError(f"plexgrad.save expects a path or a binary file object opened for writing, got "
                            f"{type(target).__name__}")
        write_bytes(target, data)
        return
    path = os.path.abspath(os.fsdecode(target))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist: create it before saving to {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path!r}: it is a directory; give a file name")
    mode = _file_mode(path)
    descriptor, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                             dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write_bytes(handle, data)
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


def read_all(source):
    """All bytes of a path or a readable binary file object (from its current position)."""
    if isinstance(source, (str, bytes, os.PathLike)):
        path = os.fsdecode(source)
        if os.path.isdir(path):
            raise IsADirectoryError(f"cannot load {path!r}: it is a directory; give a file written by plexgrad.save")
        with open(path, "rb") as handle:
            return handle.read()
    if not hasattr(source, "read"):
        raise TypeError(f"plexgrad.load expects a path or a binary file object, got {type(source).__name__}")
    data = source.read()
    if isinstance(data, str):
        raise TypeError(f"plexgrad.load needs a file opened in binary mode ('rb'), got text from {describe(source)}")
    return data
