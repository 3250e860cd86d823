"""``parameters_to_vector`` and ``vector_to_parameters``."""

__all__ = ["parameters_to_vector", "vector_to_parameters"]

from ...core.autograd.grad_mode import no_grad
from ...core.ops.shape import cat
from ...core.tensor import Tensor


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one vector."""
    parameters = list(parameters)
    device = parameters[0].device if parameters else None
    for parameter in parameters:
        if parameter.device != device:
            raise TypeError(f"Found two parameters on different devices, {device} and {parameter.device}; move "
                            "them to one device first")
    return cat([parameter.reshape(-1) for parameter in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the vector ``vec`` into ``parameters`` (in place)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for parameter in parameters:
            count = parameter.numel()
            parameter.copy_(vec[offset:offset + count].reshape(parameter.shape))
            offset += count
    if offset != vec.numel():
        raise RuntimeError(f"vector_to_parameters: the vector has {vec.numel()} elements but the parameters hold "
                           f"{offset}")
