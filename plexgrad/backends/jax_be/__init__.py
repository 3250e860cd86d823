"""The JAX backend (device type ``jax``; ``jax:N`` is ``jax.local_devices()[N]``: this process's
devices, which are ``jax.devices()`` except under ``jax.distributed``).

JAX is imported only when a ``jax`` device is first used.  JAX arrays are
immutable: in-place ops and views are kept consistent by the core
(``plexgrad.core.views``); this backend supplies pure kernels plus ``scatter_flat``.
"""

from ..array_kernels import OP_NAMES
from ..declaration import BackendDeclaration
from ..hookspec import API_VERSION, hookimpl

__all__ = ["plexgrad_backends"]


def _is_available():
    import importlib.util
    if importlib.util.find_spec("jax") is None:
        return False, "jax is not installed (pip install 'plexgrad[jax]')"
    return True, ""


def _load():
    from .kernels import build_backend
    return build_backend()


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(
        name="jax", device_types=("jax",), api_version=API_VERSION, load=_load, ops=OP_NAMES | {"move"},
        is_available=_is_available, description="jax.numpy arrays on any XLA device")]
