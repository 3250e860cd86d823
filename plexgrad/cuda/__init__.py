"""plexgrad.cuda: whether the CuPy backend (device type ``cuda``) can be used."""

__all__ = ["is_available", "device_count"]


def is_available():
    """True when CuPy is installed and sees a CUDA device."""
    from ..backends import registry
    for record in registry.records():
        if "cuda" in record.device_types:
            registry._registry.check_available(record)
            return record.status in ("available", "active")
    return False


def device_count():
    """Number of CUDA devices CuPy sees (0 without CuPy)."""
    if not is_available():
        return 0
    from ..core.dispatch import backend_for_type
    return backend_for_type("cuda").device_count()
