"""Index bounds checks done in the core, so every backend raises the same error (jax and
cupy would otherwise clamp or wrap out-of-range indices silently).

They read the indices on the host, so they run in eager mode only (see
``core/host_checks.py``); kernels and derivative rules never call them: indices that a
kernel produced (argmax, argsort) are in range by construction and go to
``gather_checked``.
"""

__all__ = ["IndexOutOfRange", "check_index_range", "index_extremes"]

from ..host_checks import host_values
from ..shapes import element_count


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside a dimension; caught by ``except IndexError`` and, where torch raises
    RuntimeError for the op (gather, scatter), by ``except RuntimeError`` too."""


def index_extremes(index):
    """``(lowest, highest)`` value of the integer tensor ``index``, or ``None`` when there is
    nothing to check (an empty index, or host checks skipped by a tracer)."""
    if element_count(index._data) == 0:
        return None
    host = host_values(index)
    if host is None:
        return None
    return int(host.min()), int(host.max())


def check_index_range(name, index, extent, dim=None):
    """Raise IndexOutOfRange naming the first bad index: indices must lie in ``[-extent, extent)``,
    or in ``[0, extent)`` when ``dim`` is given (gather/scatter take no negative indices)."""
    extremes = index_extremes(index)
    if extremes is None:
        return
    low, high = extremes
    lowest = 0 if dim is not None else -extent
    if low < lowest or high >= extent:
        bad = high if high >= extent else low
        where_text = f"dimension {dim}" if dim is not None else "the indexed dimension"
        raise IndexOutOfRange(f"{name}(): index {bad} is out of bounds for {where_text} with size {extent}")
