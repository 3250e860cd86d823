"""plexgrad.core: dtypes, devices, Tensor, the dispatch seam, the op declarations and autograd.

Nothing here imports an array library other than numpy, nor nn, optim or data;
backends are loaded on the first use of their device type.  See docs/architecture.md.
"""

import warnings as _warnings

from . import tensor_methods as _tensor_methods
from .ops import batch_norm as _batch_norm, cross_entropy as _cross_entropy  # noqa: F401  (declare the fused ops)
from .ops import linear as _linear, updates as _updates  # noqa: F401

_tensor_methods.bind()

# numpy warns when a kernel makes inf or NaN (log(0), 1/0, overflow); torch returns the same values
# silently.  Ignored only for warnings raised from plexgrad's own modules: the user's numpy keeps them.
_warnings.filterwarnings("ignore", message=r"(divide by zero|invalid value|overflow|underflow) encountered",
                         category=RuntimeWarning, module=r"plexgrad(\.|$)")
