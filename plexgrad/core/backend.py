"""What a backend supplies: the ``Backend`` object its loader returns.

A backend is kernels plus a few conversions.  Kernels take native arrays (and plain
Python parameters) and return native arrays; the core has already checked devices,
promoted dtypes and recorded autograd, so kernels never see Tensors and never
implement derivatives.

Required conversions:

- ``from_host(array, dtype, index)``: a numpy array or nested list to a native array
  of plexgrad ``dtype`` on device ``index``.
- ``to_host(array)``: a native array to a numpy array (sharing memory when it can).
- ``native_dtype(dtype)``: the native dtype for a plexgrad dtype.
- ``dtype_of(array)``: the plexgrad dtype of a native array.
- ``mutable``: True when arrays can be written in place (numpy, cupy).  Then
  ``assign(destination, source)`` writes ``source`` into ``destination`` and views
  share memory natively.  Immutable backends (jax) instead provide
  ``scatter_flat(base, flat_indices, values)``, and the core keeps views in step.
- ``device_count()``: how many devices of this type exist.

Error translation (optional): ``errors`` maps a kind of failure to the exception classes your
library raises for it, and the core raises torch's exception type instead, by class (never
by class name):

- ``"singular"``: a matrix is singular / not positive-definite -> ``plexgrad.linalg.LinAlgError``
- ``"index"``: an index out of range -> ``IndexError``
- ``"allocation"``: out of memory -> ``plexgrad.OutOfMemoryError`` (torch.OutOfMemoryError)

The defaults are ``()``, ``(IndexError,)`` and ``(MemoryError,)``.
"""

__all__ = ["Backend", "ERROR_KINDS"]

ERROR_KINDS = ("singular", "index", "allocation")
"""The kinds of kernel failures a backend can name exception classes for (``Backend(errors=...)``)."""
_DEFAULT_ERRORS = {"singular": (), "index": (IndexError,), "allocation": (MemoryError,)}


class Backend:
    """A loaded backend: its name, device types, kernels and conversions."""

    def __init__(self, name, device_types, kernels, *, from_host, to_host, native_dtype, dtype_of,
                 mutable, device_count, assign=None, scatter_flat=None, owned=None,
                 synchronize=None, index_of=None, errors=None):
        self.name = name
        self.device_types = tuple(device_types)
        self.kernels = dict(kernels)
        self.from_host = from_host
        self.to_host = to_host
        self.native_dtype = native_dtype
        self.dtype_of = dtype_of
        self.mutable = mutable
        self.device_count = device_count
        self.assign = assign
        self.scatter_flat = scatter_flat
        self.owned = owned or (lambda array: array)
        self.synchronize = synchronize or (lambda: None)
        self.index_of = index_of or (lambda array: 0)
        self.errors = _checked_errors(name, errors)
        if mutable and assign is None:
            raise TypeError(f"backend {name!r} is mutable but supplies no assign(destination, source)")
        if not mutable and scatter_flat is None:
            raise TypeError(f"backend {name!r} is immutable but supplies no scatter_flat(base, indices, values)")

    def __repr__(self):
        return f"<Backend {self.name} devices={self.device_types} ops={len(self.kernels)}>"


def _checked_errors(name, errors):
    """``errors`` (kind -> exception class or tuple of them) merged over the defaults, checked."""
    merged = dict(_DEFAULT_ERRORS)
    for kind, classes in (errors or {}).items():
        if kind not in ERROR_KINDS:
            raise TypeError(f"backend {name!r}: unknown error kind {kind!r} in errors=; use one of {ERROR_KINDS}")
        classes = classes if isinstance(classes, tuple) else (classes,)
        if not all(isinstance(cls, type) and issubclass(cls, BaseException) for cls in classes):
            raise TypeError(f"backend {name!r}: errors[{kind!r}] must be exception classes, got {classes!r}")
        merged[kind] = classes
    return merged
