"""``Parameter``: a leaf tensor that a ``Module`` registers as one of its parameters."""

__all__ = ["Parameter", "Buffer", "rebuild_parameter"]

from ..core.factories import empty
from ..core.tensor import Tensor
from ..core.views import alias


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning it to a Module attribute registers it.

    ``Parameter(data, requires_grad=True)`` shares ``data``'s storage and version
    counter (a new leaf, no history), as in torch.  ``Parameter()`` is an empty float tensor.  Operations on a parameter
    give plain tensors, as in torch.

        >>> weight = nn.Parameter(plexgrad.ones(2))
        >>> isinstance(weight, plexgrad.Tensor), weight.requires_grad
        (True, True)
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter() expects a Tensor as data, got {type(data).__name__}; "
                            "wrap values first, e.g. nn.Parameter(plexgrad.tensor(values))")
        parameter = object.__new__(cls)
        # a non-differentiable alias of ``data`` (as torch's detach): it shares data's storage and
        # version counter on every backend, so optimizer steps on a parameter that is a view reach its base
        alias(data, into=parameter)
        if requires_grad:
            parameter.requires_grad_(True)
        return parameter

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self._requires_grad)
        if self._grad is not None:
            result._grad = self._grad.detach().clone()
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        _, (host, dtype_name, device_text, requires_grad) = super().__reduce_ex__(protocol)
        return (rebuild_parameter, (host, dtype_name, device_text, requires_grad))


def rebuild_parameter(host, dtype_name, device_text, requires_grad):
    """Unpickling target for parameters."""
    from ..core.factories import tensor
    return Parameter(tensor(host, dtype=dtype_name, device=device_text), requires_grad)


class Buffer:
    """Marks a tensor to register as a buffer: ``self.stats = nn.Buffer(tensor, persistent=True)``."""

    def __init__(self, data, persistent=True):
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer() expects a Tensor, got {type(data).__name__}")
        self.data = data
        self.persistent = persistent
