"""``Size``: the tuple subclass ``tensor.shape`` returns."""

__all__ = ["Size"]


class Size(tuple):
    """A tensor's shape; a tuple that prints as ``plexgrad.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"plexgrad.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        """The number of elements a tensor of this shape holds."""
        count = 1
        for extent in self:
            count *= extent
        return count

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))
