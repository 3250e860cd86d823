"""Devices: ``cpu`` (numpy), ``jax`` / ``jax:N`` (JAX), ``cuda`` / ``cuda:N`` (CuPy),
and any device type a third-party backend registers.

The default device comes from ``PLEXGRAD_DEVICE``, then ``set_default_device``,
and ``with plexgrad.device("jax"):`` scopes it.  As in torch, ``set_default_device``
and ``with device(...)`` act on the calling thread only: a new thread starts from
``PLEXGRAD_DEVICE`` (read once per process), else ``cpu``.
"""

__all__ = ["device", "as_device", "get_default_device", "set_default_device", "first_use_lock"]

import os
import threading

first_use_lock = threading.RLock()
"""Held while a device type is first used: backend discovery, loading, and filling the kernel
table (registry and dispatch share it, so no two locks can be taken in opposite orders).
Re-entrant: a backend's loader may itself use plexgrad."""

_INTERNED = {}
_INTERNING = threading.Lock()  # two threads making the same new device must get one object: `==` is `is`


class device:
    """A device such as ``device("cpu")``, ``device("jax:0")`` or ``device("cuda", 1)``.

    Also a context manager: inside ``with plexgrad.device("jax"):`` factories create
    tensors on that device by default.
    """

    __slots__ = ("type", "index")

    def __new__(cls, type_or_string, index=None):
        if isinstance(type_or_string, device):
            if index is None:
                return type_or_string
            type_or_string = type_or_string.type
        if not isinstance(type_or_string, str):
            raise TypeError(
                f"device() expects a string such as 'cpu', 'jax:0' or 'cuda', got {type(type_or_string).__name__}"
            )
        key = (type_or_string, index)
        found = _INTERNED.get(key)
        if found is not None:
            return found
        device_type, parsed_index = _parse(type_or_string)
        if index is not None:
            if parsed_index is not None:
                raise RuntimeError(f"device string {type_or_string!r} already has an index; do not pass index={index}")
            if not isinstance(index, int) or index < 0:
                raise RuntimeError(f"device index must be a non-negative integer, got {index!r}")
            parsed_index = index
        canonical = _INTERNED.get((device_type, parsed_index))
        if canonical is None:
            _check_known_type(device_type, type_or_string)  # outside the lock: it may load a backend
            with _INTERNING:
                canonical = _INTERNED.get((device_type, parsed_index))
                if canonical is None:
                    canonical = object.__new__(cls)
                    canonical.type = device_type
                    canonical.index = parsed_index
                    _INTERNED[(device_type, parsed_index)] = canonical
        _INTERNED[key] = canonical
        return canonical

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return self is other

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        # devices are interned and shared by every thread: the scopes to restore live in the thread's state
        _state.previous_scopes.append(_state.scoped)
        _state.scoped = self
        return self

    def __exit__(self, *exc_info):
        _state.scoped = _state.previous_scopes.pop()
        return False


def _parse(text):
    name, _, index_text = text.partition(":")
    name = name.strip()
    if not name or not name.replace("_", "").isalnum():
        raise RuntimeError(f"invalid device string {text!r}: expected 'type' or 'type:index', e.g. 'cpu', 'jax:0'")
    if not index_text:
        return name, None
    if not index_text.isdigit():
        raise RuntimeError(f"invalid device string {text!r}: the index after ':' must be a non-negative integer")
    return name, int(index_text)


def _check_known_type(device_type, text):
    """RuntimeError (as torch) for a device type no installed backend declares; the registry
    words it (known types, plugin hints).  A claimed type passes even if its backend cannot
    load: using it then says why."""
    if device_type == "cpu" or any(key[0] == device_type for key in _INTERNED):
        return
    from ..backends import registry
    if device_type not in registry.claimed_device_types():
        registry.load_backend_for(device_type)  # raises: no backend serves it
        raise RuntimeError(f"unknown device type '{device_type}' in device string {text!r}")


def as_device(value):
    """Return the interned device for a device, string or integer (``cuda:N``)."""
    if type(value) is device:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return device("cuda", value)
    return device(value)


class _ThreadState(threading.local):
    """The calling thread's ``with device(...)`` scope and ``set_default_device`` choice."""

    def __init__(self):
        self.scoped = None
        self.explicit = None
        self.previous_scopes = []


class _ProcessState:
    """``PLEXGRAD_DEVICE``, read once: the environment belongs to the process, not to a thread."""

    from_environment = None
    environment_read = False


_state = _ThreadState()
_process = _ProcessState()


def set_default_device(value):
    """Make ``value`` (``"cpu"``, ``"jax"``, ``"cuda:0"``, a device or None) the default device
    of the calling thread, as ``torch.set_default_device`` does; other threads keep theirs."""
    _state.explicit = None if value is None else as_device(value)


def get_default_device():
    """The device factories use when no ``device=`` is given, in the calling thread: its
    ``with device(...)`` scope, else its ``set_default_device``, else ``PLEXGRAD_DEVICE``, else cpu."""
    state = _state
    if state.scoped is not None:
        return state.scoped
    if state.explicit is not None:
        return state.explicit
    if not _process.environment_read:
        text = os.environ.get("PLEXGRAD_DEVICE", "").strip()
        _process.from_environment = as_device(text) if text else None
        _process.environment_read = True
    if _process.from_environment is not None:
        return _process.from_environment
    return device("cpu")
