"""``F.linear`` and ``F.bilinear``.

``linear`` is the core's declared op (``plexgrad.core.ops.linear``): one graph node
(torch's AddmmBackward0), its derivative and decomposition declared there.
"""

__all__ = ["linear", "bilinear"]

from ...core.ops.linear import linear


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1^T A_k x2 + b_k`` for ``weight`` of shape ``(out, in1, in2)``."""
    output = ((input1.unsqueeze(-2).unsqueeze(-2) @ weight) @ input2.unsqueeze(-2).unsqueeze(-1))
    output = output.squeeze(-1).squeeze(-1)
    if bias is not None:
        output = output + bias
    return output
