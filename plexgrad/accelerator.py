"""torch.accelerator: the device-agnostic way to ask "is there a GPU, and which?".

plexgrad's accelerator is its ``cuda`` device (CuPy).  JAX's GPUs are reached through the
``jax`` device instead, which works the same whether JAX runs on a CPU or a GPU, so it is
not reported here.  The usual line runs unchanged::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
"""

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "current_device_idx",
           "set_device_index", "set_device_idx", "device_index", "synchronize"]

import contextlib
import importlib.util
import threading

from .core.device import device as _device

_ACCELERATOR_TYPE = "cuda"
_state = threading.local()  # the current accelerator index is per thread, as torch's current device


def is_available():
    """True when an accelerator (a CUDA GPU through CuPy) can be used now."""
    from . import cuda
    return cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator's device (``device(type='cuda')``), or None when plexgrad has none.

    As in torch, the device is returned whenever plexgrad can drive one (CuPy is installed),
    even without a GPU, unless ``check_available=True``; then None when ``is_available()`` is False.
    """
    if importlib.util.find_spec("cupy") is None:
        return None
    if check_available and not is_available():
        return None
    return _device(_ACCELERATOR_TYPE)


def device_count():
    """The number of accelerator devices (0 when none)."""
    from . import cuda
    return cuda.device_count()


def _require_accelerator(action):
    if not is_available():
        raise RuntimeError(f"torch.accelerator.{action}: no accelerator is available (plexgrad's accelerator is a "
                           "CUDA GPU through CuPy). Check torch.accelerator.is_available() first, or use "
                           "device='cpu' or 'jax'.")


def current_device_index():
    """The index of the current accelerator device of this thread (0 unless set)."""
    _require_accelerator("current_device_index()")
    return getattr(_state, "index", 0)


current_device_idx = current_device_index


def set_device_index(device):
    """Make ``device`` (an index, ``'cuda:N'`` or a device) this thread's current accelerator device."""
    _require_accelerator("set_device_index()")
    index = _index_of(device)
    count = device_count()
    if not 0 <= index < count:
        raise RuntimeError(f"torch.accelerator.set_device_index(): device index {index} is out of range: "
                           f"there are {count} accelerator devices (0 to {count - 1})")
    _state.index = index


set_device_idx = set_device_index


def _index_of(device):
    if isinstance(device, int):
        return device
    resolved = _device(device)
    if resolved.type != _ACCELERATOR_TYPE:
        raise ValueError(f"torch.accelerator: {resolved} is not an accelerator device (expected '{_ACCELERATOR_TYPE}')")
    return 0 if resolved.index is None else resolved.index


@contextlib.contextmanager
def device_index(device):
    """Inside ``with torch.accelerator.device_index(i):`` the current accelerator device is ``i``
    (``None`` changes nothing)."""
    if device is None:
        yield
        return
    previous = getattr(_state, "index", 0)
    set_device_index(device)
    try:
        yield
    finally:
        _state.index = previous


def synchronize(device=None):
    """Wait until the accelerator has finished the work queued so far."""
    _require_accelerator("synchronize()")
    from .core.dispatch import backend_for_type
    backend_for_type(_ACCELERATOR_TYPE).synchronize()
