"""The numpy backend (device type ``cpu``), registered through the same hook as third-party backends."""

from ..array_kernels import OP_NAMES
from ..declaration import BackendDeclaration
from ..hookspec import API_VERSION, hookimpl

__all__ = ["plexgrad_backends"]


def _load():
    from .kernels import build_backend
    return build_backend()


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(
        name="numpy", device_types=("cpu",), api_version=API_VERSION, load=_load,
        ops=OP_NAMES | {"index_put_", "add_", "sub_", "mul_", "div_", "add_scaled_", "move"},
        description="numpy arrays on the host CPU")]
