"""Index bounds checks done in the core, so every backend raises the same error (jax and
cupy would otherwise clamp or wrap out-of-range indices silently)."""

__all__ = ["IndexOutOfRange", "check_index_range"]


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside a dimension; caught by ``except IndexError`` and, where torch raises
    RuntimeError for the op (gather, scatter), by ``except RuntimeError`` too."""


def check_index_range(name, index, extent, dim=None):
    """Raise IndexOutOfRange naming the first bad index: indices must lie in ``[-extent, extent)``,
    or in ``[0, extent)`` when ``dim`` is given (gather/scatter take no negative indices)."""
    if index._data.size == 0:
        return
    host = index._backend().to_host(index._data)
    low, high = int(host.min()), int(host.max())
    lowest = 0 if dim is not None else -extent
    if low < lowest or high >= extent:
        bad = high if high >= extent else low
        where_text = f"dimension {dim}" if dim is not None else "the indexed dimension"
        raise IndexOutOfRange(f"{name}(): index {bad} is out of bounds for {where_text} with size {extent}")
