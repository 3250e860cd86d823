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

Optional: ``compiler``, a zero-argument function returning the backend's whole-step
compiler for ``plexgrad.compile`` (see ``plexgrad/compiler/program.py`` for what it
supplies); a backend without one runs compiled steps eagerly.
"""

__all__ = ["Backend"]


class Backend:
    """A loaded backend: its name, device types, kernels and conversions."""

    def __init__(self, name, device_types, kernels, *, from_host, to_host, native_dtype, dtype_of,
                 mutable, device_count, assign=None, scatter_flat=None, owned=None,
                 synchronize=None, index_of=None, compiler=None):
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
        self.compiler = compiler
        if mutable and assign is None:
            raise TypeError(f"backend {name!r} is mutable but supplies no assign(destination, source)")
        if not mutable and scatter_flat is None:
            raise TypeError(f"backend {name!r} is immutable but supplies no scatter_flat(base, indices, values)")

    def __repr__(self):
        return f"<Backend {self.name} devices={self.device_types} ops={len(self.kernels)}>"
