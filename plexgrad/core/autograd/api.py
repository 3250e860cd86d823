"""``backward``, ``grad`` and the legacy ``Variable``."""

__all__ = ["backward", "grad", "Variable"]

from ..dispatch import call
from ..shapes import element_count
from ..tensor import Tensor, make_tensor
from .engine import run_backward


def _as_list(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _root_gradients(outputs, gradients, create_graph):
    gradients = gradients or [None] * len(outputs)
    if len(gradients) != len(outputs):
        raise RuntimeError(f"got {len(gradients)} gradients for {len(outputs)} outputs")
    roots = []
    for position, (output, gradient) in enumerate(zip(outputs, gradients)):
        if not isinstance(output, Tensor):
            raise TypeError(f"backward: output {position} is {type(output).__name__}, not a Tensor")
        if not output._requires_grad:
            raise RuntimeError(f"element {position} of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if element_count(output._data) != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; output {position} has shape "
                    f"{list(output.shape)}. Pass gradient= (e.g. plexgrad.ones_like(output)) or reduce it "
                    "first with .sum()")
            roots.append((output, _filled_like(output, 1)))
            continue
        elif not isinstance(gradient, Tensor):
            gradient = _filled_like(output, gradient)
        elif tuple(gradient._data.shape) != tuple(output._data.shape):
            if gradient.numel() == output.numel() == 1:
                gradient = gradient.reshape(tuple(output._data.shape))
            else:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{position}] has a shape of {gradient.shape} and output"
                    f"[{position}] has a shape of {output.shape}.")
        elif gradient._device is not output._device:
            raise RuntimeError(f"grad_output[{position}] is on {gradient.device} but output[{position}] is on "
                               f"{output.device}")
        if not create_graph:
            gradient = gradient.detach()
        roots.append((output, gradient))
    return roots


_full = []  # ops.creation.full_op, imported on first use: the ops sit above autograd


def _filled_like(output, value):
    """A tensor shaped like ``output`` filled with ``value``, made with one kernel call."""
    if not _full:
        from ..ops.creation import full_op
        _full.append(full_op)
    dtype = output._dtype
    device = output._device
    return make_tensor(call(_full[0], device, output._data.shape, value, dtype, device), dtype, device)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute gradients of ``tensors`` and accumulate them into the leaves' ``.grad``."""
    outputs = _as_list(tensors)
    roots = _root_gradients(outputs, _as_list(grad_tensors), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_list(inputs)
        results = run_backward(roots, retain_graph, create_graph, capture=inputs)
        for tensor, gradient in zip(inputs, results):
            if gradient is not None:
                tensor._grad = gradient if tensor._grad is None else tensor._grad + gradient
        return
    run_backward(roots, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of ``outputs`` with respect to ``inputs`` (a tuple), leaving ``.grad`` alone.

    With ``create_graph=True`` the result is itself differentiable (higher-order gradients).
    """
    output_list = _as_list(outputs)
    input_list = _as_list(inputs)
    for position, tensor in enumerate(input_list):
        if not tensor._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {position}) does not require grad")
    roots = _root_gradients(output_list, _as_list(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward(roots, retain_graph, create_graph, capture=input_list)
    for position, gradient in enumerate(results):
        if gradient is None:
            if materialize_grads:
                from ..factories import zeros_like
                results[position] = zeros_like(input_list[position])
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {position}) appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


def Variable(data, requires_grad=False, volatile=False):
    """Legacy wrapper: returns ``data`` (a Tensor) with ``requires_grad`` set, as torch does now."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    result = data.detach()
    if requires_grad:
        result.requires_grad_(True)
    return result
