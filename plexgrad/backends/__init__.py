"""plexgrad.backends holds two unrelated things under one name.

1. **The plugin machinery** (plexgrad's own): backends are pluggy plugins that supply
   kernels for device types.  Write one by returning ``BackendDeclaration`` objects from
   a ``plexgrad_backends`` hook implementation and publishing the module under the
   entry-point group ``plexgrad.backends``; see docs/backends.md.  Names: ``BackendDeclaration``,
   ``Backend``, ``API_VERSION``, ``hookimpl``; modules ``registry``, ``declaration``,
   ``hookspec``, the built-in plugins ``numpy_be``, ``jax_be``, ``cupy_be``.

2. **torch's flag modules** (``torch.backends.*``), so programs written for PyTorch run
   unchanged: ``mps``, ``cudnn``, ``cuda`` (``cuda.matmul.allow_tf32``), ``cpu``, ``mkl``,
   ``mkldnn``, ``openmp``.  They report what plexgrad can do (there is no MPS, cuDNN or
   MKL engine behind plexgrad, so those say "not available") and hold torch's settable
   flags; plexgrad's kernels do not read the flags.  These modules never load a backend.
"""

from .declaration import BackendDeclaration
from .hookspec import API_VERSION, hookimpl
from ..core.backend import Backend
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # torch's flag modules (part 2 above)

__all__ = ["BackendDeclaration", "Backend", "API_VERSION", "hookimpl",
           "cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
