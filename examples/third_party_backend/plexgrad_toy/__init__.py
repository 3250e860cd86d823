"""plexgrad-toy: device type ``toy`` on the minimal contract.  Only the declaration (cheap to import:
the entry point names this module); ``load()`` imports the kernels on first use of ``toy``."""

from plexgrad.backends import BackendDeclaration, hookimpl
from plexgrad.backends.contract import required_primitives

__all__ = ["plexgrad_backends"]


def _load():
    from .kernels import build_backend
    return build_backend()


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(
        name="toy", device_types=("toy",), api_version=1,  # the plugin API version, as a literal
        ops=required_primitives(), load=_load, is_available=lambda: (True, ""),
        description="numpy arrays behind a 'toy' device: the required kernels only, counting calls")]
