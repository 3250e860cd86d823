"""Moving batches between worker processes and the main process.

Workers never send device arrays: ``to_host`` replaces every Tensor in a (nested) batch with a
``HostTensor`` (a numpy array and a dtype name); the main process's ``from_host`` turns those
back into tensors on the default device.
"""

__all__ = ["HostTensor", "to_host", "from_host", "CpuPickled", "for_workers", "from_parent"]

import collections.abc
import io
import pickle
import sys

from ..core import dtypes
from ..core.device import get_default_device
from ..core.factories import as_tensor, rebuild_tensor
from ..core.tensor import Tensor


class HostTensor:
    """A tensor's data on its way from a worker: a numpy array and the plexgrad dtype name."""

    __slots__ = ("array", "dtype_name")

    def __init__(self, array, dtype_name):
        self.array = array
        self.dtype_name = dtype_name

    def __reduce__(self):
        return (HostTensor, (self.array, self.dtype_name))


def _map(function, data):
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        mapped = {key: function(value) for key, value in data.items()}
        try:
            return type(data)(mapped)
        except TypeError:
            return mapped
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(function(value) for value in data))
    if isinstance(data, (list, tuple)):
        mapped = [function(value) for value in data]
        return mapped if type(data) is list else (tuple(mapped) if type(data) is tuple else type(data)(mapped))
    return data


def to_host(data):
    """Replace every Tensor in ``data`` with a HostTensor (runs inside workers)."""
    if isinstance(data, Tensor):
        return HostTensor(data.detach().numpy(), data.dtype.name)
    return _map(to_host, data)


def from_host(data):
    """Replace every HostTensor in ``data`` with a tensor on the default device (runs in the main process)."""
    if isinstance(data, HostTensor):
        return as_tensor(data.array, dtype=dtypes.as_dtype(data.dtype_name), device=get_default_device())
    return _map(from_host, data)


class CpuPickled:
    """An object pickled with every Tensor in it moved to ``cpu`` (see ``for_workers``)."""

    def __init__(self, payload):
        self.payload = payload


class _CpuPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            host = obj._backend().to_host(obj._data)
            return rebuild_tensor, (host, obj.dtype.name, "cpu", obj.requires_grad)
        return NotImplemented


def for_workers(obj):
    """What to hand a worker process: ``obj`` itself, or, when an accelerator library (JAX, CuPy)
    is loaded in this process, a pickled copy with its tensors on ``cpu``: those libraries do
    not work in forked processes, and workers only compute on the cpu. Objects that cannot be
    pickled (lambdas) are handed over as they are."""
    if not any(name in sys.modules for name in ("jax", "cupy")):
        return obj
    buffer = io.BytesIO()
    try:
        _CpuPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except Exception:
        return obj
    return CpuPickled(buffer.getvalue())


def from_parent(obj):
    """Undo ``for_workers`` inside a worker."""
    return pickle.loads(obj.payload) if isinstance(obj, CpuPickled) else obj
