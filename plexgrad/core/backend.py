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

__all__ = ["Backend", "ERROR_KINDS", "FUNCTIONS", "ARRAY_ATTRIBUTES", "ERROR_TRANSLATION"]

ERROR_KINDS = ("singular", "index", "allocation")
"""The kinds of kernel failures a backend can name exception classes for (``Backend(errors=...)``)."""

FUNCTIONS = (
    ("from_host(data, dtype, index)", "required", "a numpy array or nested list -> a native array of plexgrad "
     "`dtype` on device `index`"),
    ("to_host(array)", "required", "a native array -> a numpy array (may share memory: the core copies)"),
    ("native_dtype(dtype)", "required", "plexgrad dtype -> native dtype; TypeError naming it when not held (the "
     "dtypes it maps are the dtypes the backend declares)"),
    ("dtype_of(array)", "required", "native array -> plexgrad dtype"),
    ("device_count()", "required", "how many devices of this type exist"),
    ("assign(destination, source)", "mutable backends", "write `source` into `destination` (casting)"),
    ("scatter_flat(base, flat_indices, values)", "immutable backends", "`base` with `values` at flat positions "
     "(views through expand/diagonal)"),
    ("owned(array)", "optional", "what a kernel returned -> a writable array (numpy's 0-d results are scalars)"),
    ("synchronize()", "optional", "wait for queued work"),
    ("index_of(array)", "optional", "which device index an array lives on (default 0)"),
)
"""What a ``Backend`` supplies besides kernels: (call, when needed, what it does).  Together with
the kernels these are the only operations the core performs on a backend's arrays."""

ARRAY_ATTRIBUTES = (
    ("array.shape", "a tuple of Python ints (read for shapes, broadcasting, element counts)"),
    ("array.ndim", "an int"),
)
"""The only attributes the core reads on a native array directly; everything else (copies, element
counts, dtypes, values) goes through kernels and the functions above."""

ERROR_TRANSLATION = (
    ("singular", "a matrix is singular or not positive-definite", "plexgrad.linalg.LinAlgError "
     "(torch.linalg.LinAlgError)", "()"),
    ("index", "an index out of range inside a kernel", "IndexError", "(IndexError,)"),
    ("allocation", "the library could not allocate memory", "plexgrad.OutOfMemoryError (torch.OutOfMemoryError)",
     "(MemoryError,)"),
)
"""``Backend(errors={kind: exception classes})``: (kind, failure, torch's type the core raises, default)."""

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
