"""The CuPy backend (device type ``cuda``; ``cuda:N`` is CUDA device N).

CuPy is imported only when a ``cuda`` device is first used; the availability check
reports ``unavailable`` with the reason until CuPy and a CUDA device are present.
"""

from ..array_kernels import OP_NAMES
from ..declaration import BackendDeclaration
from ..hookspec import API_VERSION, hookimpl

__all__ = ["plexgrad_backends"]


def _is_available():
    import importlib.util
    if importlib.util.find_spec("cupy") is None:
        return False, "cupy is not installed (pip install 'plexgrad[cupy]')"
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing or broken
        return False, f"no usable CUDA device: {error}"
    if count == 0:
        return False, "no CUDA device found"
    return True, ""


def _load():
    from .kernels import build_backend
    return build_backend()


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(
        name="cupy", device_types=("cuda",), api_version=API_VERSION, load=_load,
        ops=OP_NAMES | {"index_put_", "add_", "sub_", "mul_", "div_", "move"},
        is_available=_is_available, description="CuPy arrays on NVIDIA GPUs")]
