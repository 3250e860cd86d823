"""plexgrad-toy: a minimal third-party plexgrad backend serving device type ``toy``.

This module is what the entry point names, so it must stay cheap to import: it only
declares the backend.  The kernels live in ``plexgrad_toy.kernels``, imported by
``load()`` the first time a ``toy`` device is used.
"""

from plexgrad.backends import BackendDeclaration, hookimpl

__all__ = ["plexgrad_backends", "TOY_OPS"]

TOY_OPS = (
    "full", "cast", "copy", "add", "sub", "mul", "div", "neg", "exp", "log", "pow", "maximum", "relu",
    "eq", "lt", "gt", "where", "sum", "amax", "reshape", "permute", "expand", "getitem", "matmul",
)
"""The ops this backend implements; any other op raises NotImplementedError on ``toy`` tensors."""


def _is_available():
    return True, ""


def _load():
    from .kernels import build_backend
    return build_backend()


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(
        name="toy",
        device_types=("toy",),
        api_version=1,  # the plugin API version this code was written for, as a literal
        ops=TOY_OPS,
        load=_load,
        is_available=_is_available,
        description="numpy arrays behind a 'toy' device, counting kernel calls",
    )]
