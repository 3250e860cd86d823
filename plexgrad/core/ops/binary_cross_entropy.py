"""Element-wise binary cross entropy with torch's clamped logs, as one graph node
(torch's BinaryCrossEntropyBackward0); ``F.binary_cross_entropy`` reduces it."""

__all__ = ["binary_cross_entropy_elements"]

from ..autograd.grad_mode import state as grad_state
from ..op import Rule, record
from ..tensor import make_tensor
from . import elementwise as ew


def _bce_backward(node, grad):
    input, target = node.saved_tensors
    denominator = ew.maximum((1 - input) * input, 1e-12)
    grad_input = grad * (input - target) / denominator if node.edges[0] is not None else None
    grad_target = None
    if node.edges[1] is not None:
        grad_target = grad * (ew.maximum((1 - input).log(), -100.0) - ew.maximum(input.log(), -100.0))
    return grad_input, grad_target


_BCE = Rule("BinaryCrossEntropyBackward0", _bce_backward)


def binary_cross_entropy_elements(input, target):
    """``-(t log x + (1 - t) log(1 - x))`` with logs clamped at -100, as torch; one graph node."""
    data = make_tensor(input._data, input._dtype, input._device)
    target_data = make_tensor(target._data, target._dtype, target._device)
    log_input = ew.maximum(data.log(), -100.0)
    log_complement = ew.maximum((1 - data).log(), -100.0)
    loss = -(target_data * log_input + (1 - target_data) * log_complement)
    if grad_state.enabled and (input._requires_grad or target._requires_grad):
        record(_BCE, (input, target), loss, (input, target))
    return loss
