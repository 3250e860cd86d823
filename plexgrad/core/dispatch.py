"""The kernel table: ``op.kernels[device_type]``, filled once per device type.

On first use of a device type the registry loads its backend and copies each op's
kernel into the op's own dict; from then on an op finds its kernel by one dict
lookup.  An op the backend lacks gets a kernel that raises NotImplementedError
naming the op, the backend and the backends that do implement it.

A device type's first use loads and fills under ``first_use_lock``, and its backend is
published in ``_BACKENDS`` only once every op has its kernel, so threads using it for the
first time at once never see a half-filled table.  ``register_op`` takes no lock (an
import that declares ops must never wait on a backend being loaded, which may import
that very module): an op declared while a table is being filled is filled by whichever
of the two runs last.
"""

__all__ = ["OPS", "register_op", "populate", "backend_for_type", "backend_of", "missing_kernel", "forget_backends"]

from .device import first_use_lock

OPS = {}
_BACKENDS = {}


def register_op(op):
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is declared twice")
    OPS[op.name] = op
    for device_type, backend in list(_BACKENDS.items()):
        _fill(op, device_type, backend)
    return op


def backend_for_type(device_type):
    """The loaded backend serving ``device_type`` (loading it on first use)."""
    backend = _BACKENDS.get(device_type)
    if backend is None:
        with first_use_lock:  # double-checked: only the first use of a device type takes the lock
            backend = _BACKENDS.get(device_type)
            if backend is None:
                from ..backends import registry
                backend = registry.load_backend_for(device_type)
                for op in list(OPS.values()):
                    _fill(op, device_type, backend)
                _BACKENDS[device_type] = backend
                for op in list(OPS.values()):  # declared meanwhile, before the backend was published
                    if device_type not in op.kernels:
                        _fill(op, device_type, backend)
    return backend


def backend_of(tensor):
    return backend_for_type(tensor._device.type)


def populate(device_type):
    backend_for_type(device_type)


def forget_backends():
    """Empty the kernel table (for ``registry.reset`` in tests)."""
    with first_use_lock:
        _BACKENDS.clear()
        for op in OPS.values():
            op.kernels.clear()


def _fill(op, device_type, backend):
    kernel = backend.kernels.get(op.name)
    op.kernels[device_type] = kernel if kernel is not None else missing_kernel(op.name, backend.name)


def missing_kernel(op_name, backend_name):
    def raise_missing(*args, **kwargs):
        from ..backends import registry
        implementers = registry.backends_implementing(op_name)
        where = ", ".join(implementers) if implementers else "no installed backend"
        raise NotImplementedError(
            f"op '{op_name}' is not implemented by backend '{backend_name}'; it is implemented by: {where}. "
            "Move the tensor there with .to(device) or add the kernel to the backend."
        )
    raise_missing.missing = True
    return raise_missing
