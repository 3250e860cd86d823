"""Devices: ``cpu`` (numpy), ``jax`` / ``jax:N`` (JAX), ``cuda`` / ``cuda:N`` (CuPy),
and any device type a third-party backend registers.

The default device comes from ``PLEXGRAD_DEVICE``, then ``set_default_device``,
and ``with plexgrad.device("jax"):`` scopes it.
"""

__all__ = ["device", "as_device", "get_default_device", "set_default_device"]

import os

_INTERNED = {}


class device:
    """A device such as ``device("cpu")``, ``device("jax:0")`` or ``device("cuda", 1)``.

    Also a context manager: inside ``with plexgrad.device("jax"):`` factories create
    tensors on that device by default.
    """

    __slots__ = ("type", "index", "_previous")

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
            _check_known_type(device_type, type_or_string)
            canonical = object.__new__(cls)
            canonical.type = device_type
            canonical.index = parsed_index
            canonical._previous = []
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
        self._previous.append(_state.scoped)
        _state.scoped = self
        return self

    def __exit__(self, *exc_info):
        _state.scoped = self._previous.pop()
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


class _State:
    scoped = None
    explicit = None
    from_environment = None
    environment_read = False


_state = _State()


def set_default_device(value):
    """Make ``value`` (``"cpu"``, ``"jax"``, ``"cuda:0"``, a device or None) the default device."""
    _state.explicit = None if value is None else as_device(value)


def get_default_device():
    """The device factories use when no ``device=`` is given."""
    if _state.scoped is not None:
        return _state.scoped
    if _state.explicit is not None:
        return _state.explicit
    if not _state.environment_read:
        text = os.environ.get("PLEXGRAD_DEVICE", "").strip()
        _state.from_environment = as_device(text) if text else None
        _state.environment_read = True
    if _state.from_environment is not None:
        return _state.from_environment
    return device("cpu")
