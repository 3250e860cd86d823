"""plexgrad.core: dtypes, devices, Tensor, the op table and autograd.

Nothing here imports an array library other than numpy; backends are loaded on the
first use of their device type.
"""

from . import tensor_methods as _tensor_methods

_tensor_methods.bind()
