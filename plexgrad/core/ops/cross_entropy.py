"""Class-index cross entropy of ``(N, C)`` logits as one op and one graph node (torch's
NllLossBackward0): log-softmax, pick and reduce in one call.

Two declared ops serve it: ``cross_entropy_indices`` (the loss and the
probabilities) and ``cross_entropy_indices_backward`` (the first-order gradient),
each with its decomposition into element-wise ops, reductions, ``gather`` and
``scatter_add``; a backend may run either natively.  The derivative rule lives here;
under ``create_graph`` it is written in Tensor ops.
"""

__all__ = ["fused_cross_entropy", "cross_entropy_indices_op", "cross_entropy_indices_backward_op"]

from ..autograd.grad_mode import state as grad_state
from ..dispatch import backend_for_type, call, runnable
from ..host_checks import host_checks_enabled
from ..op import declare, record
from ..tensor import make_tensor
from .creation import full_op
from .elementwise import div, exp, log, mul, sub
from .reduction import _amax_op, _amin_op, _gather_op, _scatter_add_op, _sum_op
from .shape import _reshape_op


def _cross_entropy_decomposition(device, logits, target, scale):
    classes = logits.shape[1]
    # looks at data (a host sync), as the native kernels do: bad targets go to the general path
    # int() of the 0-d results, not a comparison of native arrays: every array computation here goes
    # through the seam (on jax that keeps it inside the backend's x64 scope)
    if not (int(call(_amin_op, device, target, None, False)) >= 0
            and int(call(_amax_op, device, target, None, False)) < classes):
        return None
    shifted = call(sub.op, device, logits, call(_amax_op, device, logits, 1, True))
    exponentials = call(exp.op, device, shifted)
    sums = call(_sum_op, device, exponentials, 1, True)
    picked = call(_gather_op, device, shifted, call(_reshape_op, device, target, (-1, 1)), 1)
    losses = call(sub.op, device, call(log.op, device, sums), picked)
    loss = call(mul.op, device, call(_sum_op, device, losses, None, False), scale)
    return loss, call(div.op, device, exponentials, sums)


def _cross_entropy_backward_decomposition(device, probabilities, target, grad, scale):
    # (probabilities - one_hot(target)) * (grad * scale): scale everything, then subtract at the targets
    factor = call(mul.op, device, grad, scale)
    scaled = call(mul.op, device, probabilities, factor)
    dtype = backend_for_type(device.type).dtype_of(probabilities)
    minus = call(mul.op, device, call(full_op, device, (probabilities.shape[0], 1), -1, dtype, device), factor)
    return call(_scatter_add_op, device, scaled, call(_reshape_op, device, target, (-1, 1)), minus, 1)


def _cross_entropy_backward(node, grad):
    target, probabilities, scale = node.params
    device = grad._device
    kernel = None if grad_state.enabled else runnable(cross_entropy_indices_backward_op, device)
    if kernel is None:
        # create_graph: softmax(input) - one_hot(target), differentiable
        from .activation import softmax
        input = node.saved_tensors[0]
        classes = input.shape[1]
        from ..factories import arange
        targets = (target.long().unsqueeze(1) == arange(classes, device=device)).to(input._dtype)
        return ((softmax(input, 1) - targets) * (grad * scale),)
    return (make_tensor(kernel(probabilities, target._data, grad._data, scale), grad._dtype, device),)


cross_entropy_indices_op = declare(
    "cross_entropy_indices", _cross_entropy_backward, node_name="NllLossBackward0",
    signature="logits, target, scale: scalar",
    decomposition=_cross_entropy_decomposition,
    uses=("amin", "amax", "sub", "exp", "sum", "gather", "reshape", "log", "mul", "div"),
    doc="(loss, probabilities): summed negative log-likelihood times scale, softmax; None for a target "
        "outside [0, C)")
cross_entropy_indices_backward_op = declare(
    "cross_entropy_indices_backward", signature="probabilities, target, grad, scale: scalar",
    decomposition=_cross_entropy_backward_decomposition, uses=("mul", "full", "scatter_add", "reshape"),
    doc="(probabilities - one_hot(target)) * (grad * scale)")




def fused_cross_entropy(input, target, reduction):
    """Class-index cross entropy of ``(N, C)`` logits in one op and one graph node; ``None`` sends the
    caller down the general path (the backend cannot run the op, or a target is out of range)."""
    device = input._device
    kernel = runnable(cross_entropy_indices_op, device)
    if kernel is None or not host_checks_enabled():  # the kernel reads the targets on the host
        return None
    scale = 1.0 / input.shape[0] if reduction == "mean" else 1.0
    fused = kernel(input._data, target._data, scale)
    if fused is None:  # a target outside [0, C): the general path says which
        return None
    loss, probabilities = fused
    loss = make_tensor(loss, input._dtype, device)
    if grad_state.enabled and input._requires_grad:
        record(cross_entropy_indices_op.rule, (input,), loss, (input,), (target, probabilities, scale))
    return loss
