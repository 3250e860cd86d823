"""plexgrad.autograd: gradients of tensor computations.

``backward`` accumulates into leaves' ``.grad``; ``grad`` returns gradients
directly; ``no_grad``/``enable_grad``/``set_grad_enabled`` switch recording; and
``Function`` lets you write an op with a custom backward.
"""

from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .api import backward, grad, Variable

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "Variable"]
