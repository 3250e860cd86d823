"""plexgrad.autograd: ``backward``, ``grad``, grad-mode switches and ``Variable``."""

from ..core.autograd import (Variable, backward, enable_grad, grad, inference_mode, is_grad_enabled,
                             no_grad, set_grad_enabled)
from . import function, functional, graph
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "Variable", "Function", "FunctionCtx", "once_differentiable", "function", "functional",
           "graph", "gradcheck", "gradgradcheck", "GradcheckError"]
