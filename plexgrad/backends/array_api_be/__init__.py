"""Any Python array API library as a plexgrad device.

The kernels (``kernels.py``) are written only against the array API standard, so a library
that implements it needs no backend of its own.  Built in: device type ``array_api_strict``
(the reference implementation, strict by design: it rejects every non-standard call), when
the ``array-api-strict`` package is installed.  Any other library is one declaration away,
in a plugin of its own (see docs/backends.md, "Any array API library as a device")::

    from plexgrad.backends import hookimpl
    from plexgrad.backends.array_api_be import array_api_declaration

    @hookimpl
    def plexgrad_backends():
        return [array_api_declaration("mylib", "mylib", "my_array_library")]

Ops the standard cannot express (``erf``, ``view_dtype``, ``einsum``, convolution and
pooling windows) are declared missing; fused ops run by decomposition.
"""

__all__ = ["array_api_declaration", "plexgrad_backends", "STANDARD_OPS"]

import importlib.util

from ..declaration import BackendDeclaration
from ..hookspec import API_VERSION, hookimpl
from .op_names import STANDARD_OPS


def array_api_declaration(name, device_type, module_name, description=None, errors=None):
    """A backend declaration serving ``device_type`` with the array API namespace ``module_name``.

    ``module_name`` is imported only on first use of the device; ``device_type:N`` is the
    namespace's N-th device (``__array_namespace_info__().devices()``, those with 64-bit types).
    ``errors`` maps failure kinds to the library's exception classes, as ``Backend(errors=...)``
    (the standard names none; a ``LinAlgError`` is taken to mean a singular matrix).
    """
    def is_available():
        if importlib.util.find_spec(module_name.split(".")[0]) is None:
            return False, f"{module_name} is not installed (pip install {module_name.replace('_', '-')})"
        return True, ""

    def load():
        from .kernels import build_backend
        return build_backend(name, device_type, importlib.import_module(module_name), errors)

    return BackendDeclaration(
        name=name, device_types=(device_type,), api_version=API_VERSION, ops=STANDARD_OPS, load=load,
        is_available=is_available,
        description=description or f"{module_name} arrays through the Python array API standard")


@hookimpl
def plexgrad_backends():
    return [array_api_declaration("array_api_strict", "array_api_strict", "array_api_strict",
                                  "array_api_strict arrays (the standard's reference), kernels written only "
                                  "against the array API")]
