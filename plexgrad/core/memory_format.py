"""torch's memory formats (``plexgrad.contiguous_format``, ``channels_last``...).

plexgrad's tensors are always laid out row-major by the engines (jax has no strides
at all), so a memory format changes no values and no layout: ``to``, ``contiguous``,
``clone`` and the ``*_like`` factories accept one, check it as torch does (``channels_last``
needs a 4-d tensor, ``channels_last_3d`` a 5-d one) and return the row-major result.
"""

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
           "check_memory_format"]


class memory_format:  # noqa: N801  (torch's spelling)
    """A memory format; compare with ``is`` or ``==`` as in torch."""

    __slots__ = ("name", "rank")

    def __init__(self, name, rank=None):
        self.name = name
        self.rank = rank

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last", 4)
channels_last_3d = memory_format("channels_last_3d", 5)
preserve_format = memory_format("preserve_format")


def check_memory_format(tensor, value, function_name):
    """Raise as torch does for a value that is not a memory format, or a rank that does not fit it."""
    if value is None:
        return
    if not isinstance(value, memory_format):
        raise TypeError(f"{function_name}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(value).__name__}")
    if value.rank is not None and tensor is not None and tensor._data.ndim != value.rank:
        raise RuntimeError(f"required rank {value.rank} tensor to use {value.name} format")
