"""The learned per-feature scale (``weight``) and shift (``bias``) the normalization layers share."""

__all__ = ["register_affine", "reset_affine"]

from ...core.factories import empty
from .. import init
from ..parameter import Parameter


def register_affine(module, shape, affine, bias, device, dtype):
    """Give ``module`` a ``weight`` and (with ``bias``) a ``bias`` parameter of ``shape`` when ``affine``;
    otherwise register them as ``None``, as torch does."""
    if affine:
        module.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            module.bias = Parameter(empty(shape, device=device, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def reset_affine(module):
    """Weight to 1 and bias to 0 (those the module has)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)
