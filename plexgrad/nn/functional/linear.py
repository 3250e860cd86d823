"""``F.linear`` and ``F.bilinear``."""

__all__ = ["linear", "bilinear"]

from ...core.tensor import Tensor


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: ``input`` is ``(*, in_features)``, ``weight`` ``(out_features, in_features)``."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear(): input and weight must be Tensors, got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    if weight.dim() == 2 and input.dim() >= 1 and input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear(): mat1 and mat2 shapes cannot be multiplied: input {list(input.shape)} "
                           f"has {input.shape[-1]} features but weight {list(weight.shape)} expects "
                           f"{weight.shape[-1]}")
    output = input @ weight.t() if weight.dim() == 2 else input @ weight
    if bias is not None:
        output = output + bias
    return output


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1^T A_k x2 + b_k`` for ``weight`` of shape ``(out, in1, in2)``."""
    output = ((input1.unsqueeze(-2).unsqueeze(-2) @ weight) @ input2.unsqueeze(-2).unsqueeze(-1))
    output = output.squeeze(-1).squeeze(-1)
    if bias is not None:
        output = output + bias
    return output
