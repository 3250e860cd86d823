"""The version counter every tensor aliasing one storage shares.

torch's rule, kept on every backend: a tensor, its views and its ``detach()`` aliases
share one counter; each in-place write through any of them adds one, so autograd can
refuse a saved tensor written since it was saved.  ``.data`` shares the storage but
gets a fresh counter (its writes are hidden from autograd).  A tensor's counter is
created lazily (``None`` reads as version 0): most results are never aliased or
written, and the per-op budget has no room for an allocation per result.
"""

__all__ = ["VersionCounter", "version_of", "shared_counter", "bump_version"]


class VersionCounter:
    """The number of in-place writes to a storage, shared by the tensors that see them."""

    __slots__ = ("value",)

    def __init__(self, value=0):
        self.value = value

    def __repr__(self):
        return f"VersionCounter({self.value})"


def version_of(tensor):
    """``tensor._version``: how many in-place writes its counter has seen."""
    counter = tensor._counter
    return 0 if counter is None else counter.value


def shared_counter(tensor):
    """``tensor``'s counter, created now if it had none (before another tensor shares it)."""
    counter = tensor._counter
    if counter is None:
        counter = tensor._counter = VersionCounter()
    return counter


def bump_version(tensor):
    """Count an in-place write to ``tensor``'s storage (autograd refuses saved tensors written since)."""
    counter = tensor._counter
    if counter is None:
        tensor._counter = VersionCounter(1)
    else:
        counter.value += 1
