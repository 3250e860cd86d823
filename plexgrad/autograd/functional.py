"""``torch.autograd.functional``: Jacobians, Hessians and their products for a function of tensors.

Everything is built on ``autograd.grad`` (reverse mode), so it runs on every backend:
``jacobian`` takes one backward pass per output element (``vectorize=True`` is accepted and
computes the same thing row by row), ``jvp`` and ``hvp`` use the double-backward trick.
With ``create_graph=True`` the results are differentiable again.
"""

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

from ..core.autograd.api import grad as _grad
from ..core.autograd.grad_mode import enable_grad
from ..core.factories import ones_like, zeros_like
from ..core.ops.shape import stack
from ..core.tensor import Tensor


def _as_tuple(value, argument, function_name):
    """``(tuple of tensors, whether the user passed a tuple)``, with torch's type check."""
    is_tuple = isinstance(value, tuple)
    if not is_tuple and not isinstance(value, Tensor):
        raise TypeError(f"The {argument} given to {function_name} must be either a Tensor or a tuple of Tensors "
                        f"but the given {argument} has type {type(value)}.")
    values = value if is_tuple else (value,)
    for position, item in enumerate(values):
        if not isinstance(item, Tensor):
            raise TypeError(f"The {argument} given to {function_name} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {position} has type {type(item)}.")
    return values, is_tuple


def _prepare_inputs(inputs, create_graph):
    """Fresh differentiable copies of the inputs (views keeping the graph when ``create_graph``)."""
    prepared = []
    for tensor in inputs:
        if create_graph and tensor.requires_grad:
            prepared.append(tensor.view_as(tensor))
        else:
            prepared.append(tensor.detach().requires_grad_(True))
    return tuple(prepared)


def _finish(values, create_graph):
    if create_graph:
        return values
    return tuple(None if value is None else value.detach() for value in values)


def _grads(outputs, inputs, grad_outputs, create_graph, strict, function_name):
    """d(outputs . grad_outputs)/d(inputs), zeros where an input is unused (an error when ``strict``)."""
    if strict:
        for position, output in enumerate(outputs):
            if not output.requires_grad:
                raise RuntimeError(f"Output {position} of the user-provided function does not require gradients. "
                                   "The outputs must be computed in a differentiable manner from the input when "
                                   "running in strict mode.")
    differentiable = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if differentiable:
        results = _grad([o for o, _ in differentiable], inputs, [g for _, g in differentiable],
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
    else:
        results = (None,) * len(inputs)
    finished = []
    for position, (result, tensor) in enumerate(zip(results, inputs)):
        if result is None:
            if strict:
                raise RuntimeError(f"{function_name}: the output of the user-provided function is independent of "
                                   f"input {position}. This is not allowed in strict mode.")
            result = zeros_like(tensor)
        finished.append(result)
    return tuple(finished)


def _check_vector(v, like, name, function_name):
    vectors, _ = _as_tuple(v, name, function_name)
    if len(vectors) != len(like):
        raise RuntimeError(f"{function_name}: {name} has {len(vectors)} tensors but the function has "
                           f"{len(like)} {'outputs' if name == 'v' else 'inputs'}")
    for position, (vector, tensor) in enumerate(zip(vectors, like)):
        if tuple(vector.shape) != tuple(tensor.shape):
            raise RuntimeError(f"{function_name}: entry {position} in {name} has invalid size: expected "
                               f"{list(tensor.shape)} but got {list(vector.shape)}")
    return vectors


def _call(func, inputs, function_name):
    with enable_grad():
        outputs = func(*inputs)
    outputs_tuple, is_tuple = _as_tuple(outputs, "outputs of the user-provided function", function_name)
    return outputs_tuple, is_tuple


def _shaped(values, is_tuple):
    return values if is_tuple else values[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` may be omitted when ``func`` returns a single element."""
    inputs_tuple, inputs_is_tuple = _as_tuple(inputs, "inputs", "vjp")
    inputs_tuple = _prepare_inputs(inputs_tuple, create_graph)
    outputs, outputs_is_tuple = _call(func, inputs_tuple, "vjp")
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                               "Tensor with a single element.")
        vectors = (ones_like(outputs[0]),)
    else:
        vectors = _check_vector(v, outputs, "v", "vjp")
    result = _grads(outputs, inputs_tuple, vectors, create_graph, strict, "vjp")
    return _shaped(_finish(outputs, create_graph), outputs_is_tuple), _shaped(_finish(result, create_graph),
                                                                             inputs_is_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vjp again."""
    inputs_tuple, inputs_is_tuple = _as_tuple(inputs, "inputs", "jvp")
    inputs_tuple = _prepare_inputs(inputs_tuple, create_graph)
    if v is None:
        if len(inputs_tuple) != 1 or inputs_tuple[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        vectors = (ones_like(inputs_tuple[0]),)
    else:
        vectors = _check_vector(v, inputs_tuple, "v", "jvp")
    outputs, outputs_is_tuple = _call(func, inputs_tuple, "jvp")
    with enable_grad():
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        # g(u) = u^T J is linear in u; its derivative along v is J v
        transposed = _grads(outputs, inputs_tuple, dummies, True, strict, "jvp")
        result = _grads(transposed, dummies, vectors, create_graph, strict, "jvp")
    return _shaped(_finish(outputs, create_graph), outputs_is_tuple), _shaped(_finish(result, create_graph),
                                                                             outputs_is_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: ``output.shape + input.shape`` per (output, input) pair.

    A tuple of inputs or outputs gives a tuple (of tuples, for both) of Jacobians, as torch."""
    if strategy != "reverse-mode":
        raise ValueError(f"jacobian: plexgrad computes Jacobians in reverse mode only; got strategy={strategy!r}. "
                         "Use strategy='reverse-mode'")
    inputs_tuple, inputs_is_tuple = _as_tuple(inputs, "inputs", "jacobian")
    inputs_tuple = _prepare_inputs(inputs_tuple, create_graph)
    outputs, outputs_is_tuple = _call(func, inputs_tuple, "jacobian")
    per_output = []
    for output in outputs:
        flat = output.reshape(-1)
        rows = [[] for _ in inputs_tuple]
        for index in range(flat.numel()):
            selector = zeros_like(flat)
            selector[index] = 1
            grads = _grads((flat,), inputs_tuple, (selector,), create_graph, strict, "jacobian")
            for position, grad in enumerate(grads):
                rows[position].append(grad)
        blocks = []
        for position, tensor in enumerate(inputs_tuple):
            if rows[position]:
                block = stack(rows[position]).reshape(tuple(output.shape) + tuple(tensor.shape))
            else:
                block = zeros_like(tensor).reshape((0,) + tuple(tensor.shape)).reshape(
                    tuple(output.shape) + tuple(tensor.shape))
            blocks.append(block if create_graph else block.detach())
        per_output.append(tuple(blocks))
    if outputs_is_tuple:
        return tuple(_shaped(blocks, inputs_is_tuple) for blocks in per_output)
    return _shaped(per_output[0], inputs_is_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar-valued ``func`` at ``inputs`` (``input.shape * 2``; tuples of tuples for
    several inputs)."""
    inputs_tuple, inputs_is_tuple = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*values):
        outputs, _ = _call(func, values, "hessian")
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element, "
                               f"got {len(outputs)} tensors of shapes {[list(o.shape) for o in outputs]}")
        return _grads(outputs, values, (ones_like(outputs[0]),), True, strict, "hessian")

    result = jacobian(gradient, inputs_tuple, create_graph=create_graph, strict=strict)
    if inputs_is_tuple:
        return result
    return result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar-valued ``func``."""
    inputs_tuple, inputs_is_tuple = _as_tuple(inputs, "inputs", "vhp")
    inputs_tuple = _prepare_inputs(inputs_tuple, create_graph)
    vectors = _vector_or_default(v, inputs_tuple, "vhp")
    outputs, _ = _call(func, inputs_tuple, "vhp")
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError("The function given to vhp should return a single Tensor with a single element")
    with enable_grad():
        first = _grads(outputs, inputs_tuple, (ones_like(outputs[0]),), True, strict, "vhp")
        result = _grads(first, inputs_tuple, vectors, create_graph, strict, "vhp")
    return _finish(outputs, create_graph)[0], _shaped(_finish(result, create_graph), inputs_is_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar-valued ``func`` (the Hessian is symmetric, so this equals vhp)."""
    return vhp(func, inputs, v, create_graph, strict)


def _vector_or_default(v, inputs, function_name):
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        return (ones_like(inputs[0]),)
    return _check_vector(v, inputs, "v", function_name)
