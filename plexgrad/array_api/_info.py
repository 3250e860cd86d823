"""The inspection namespace the standard asks for: ``xp.__array_namespace_info__()``."""

__all__ = ["__array_namespace_info__", "Info"]

from ..core import dtypes as _dtypes
from ..core.device import device as _Device
from ..core.device import get_default_device
from ._dtypes import SUPPORTED_DTYPES, isdtype


class Info:
    """What this namespace supports: capabilities, devices, default and available dtypes."""

    def capabilities(self):
        """Optional features: boolean indexing and data-dependent output shapes (``nonzero``, ``unique_*``)."""
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": None}

    def default_device(self):
        """The device arrays are made on when no ``device=`` is given (plexgrad's default device)."""
        return get_default_device()

    def devices(self):
        """Every device of every usable backend here (loading those backends), the default device first."""
        from ..backends import registry
        from ..core.dispatch import backend_for_type
        found = []
        for record in registry.records():
            if not record.usable:
                continue
            for device_type in record.device_types:
                try:
                    count = backend_for_type(device_type).device_count()
                except (RuntimeError, ImportError):
                    continue
                found.extend(_Device(device_type) if device_type == "cpu" else _Device(device_type, index)
                             for index in range(count if device_type != "cpu" else 1))
        default = get_default_device()
        return sorted(found, key=lambda device: (device.type != default.type, device.type, device.index or 0))

    def default_dtypes(self, *, device=None):
        """The default dtypes: floating (plexgrad's default dtype), integral and indexing (int64)."""
        return {"real floating": _dtypes.get_default_dtype(), "complex floating": None,
                "integral": _dtypes.int64, "indexing": _dtypes.int64}

    def dtypes(self, *, device=None, kind=None):
        """The standard's dtypes plexgrad supports, by name, optionally only those of ``kind``."""
        return {dtype.name: dtype for dtype in SUPPORTED_DTYPES if kind is None or isdtype(dtype, kind)}


def __array_namespace_info__():
    """The namespace's inspection object (``capabilities()``, ``devices()``, ``dtypes()``...)."""
    return Info()
