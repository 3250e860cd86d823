"""Check derivative rules against finite differences, as ``torch.autograd.gradcheck`` does.

``gradcheck(fn, inputs)`` builds, for every input that requires grad and every
floating output, the Jacobian twice: numerically by central differences
``(fn(x + eps) - fn(x - eps)) / (2 eps)`` one element at a time, and analytically
with ``autograd.grad`` one output element at a time.  The two must agree within
``atol + rtol * |numerical|``.  ``gradgradcheck`` does the same for the gradient
itself (double backward through ``create_graph=True``).

Everything here is written in plexgrad Tensor ops, so it checks every backend.
Use float64 inputs: float32 central differences are too coarse for the tolerances.
"""

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

import warnings

from ..core import dtypes
from ..core.autograd.api import grad as autograd_grad
from ..core.factories import eye, randn_like, zeros
from ..core.ops.shape import stack
from ..core.tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians disagree (or a gradient has the wrong shape/dtype)."""


def _as_tuple(value):
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _floating_outputs(result):
    """The floating-point tensors among ``fn``'s results (indices of max/min etc. are skipped)."""
    return [value for value in _as_tuple(result)
            if isinstance(value, Tensor) and value._dtype.category == dtypes.FLOATING]


def _differentiated(inputs):
    positions = []
    for position, value in enumerate(inputs):
        if isinstance(value, Tensor) and value._requires_grad:
            if value._dtype.category != dtypes.FLOATING:
                raise ValueError(f"gradcheck: input {position} requires grad but has dtype {value._dtype}; only "
                                 "floating inputs can be differentiated")
            if value._dtype is not dtypes.float64:
                warnings.warn(f"gradcheck: input {position} has dtype {value._dtype}, not float64; central "
                              "differences in low precision usually fail. Pass .double() inputs.", stacklevel=3)
            positions.append(position)
    if not positions:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    return positions


def _numerical_jacobians(fn, inputs, positions, eps):
    """``{(input position, output index): (n_out, n_in) Jacobian}`` by central differences."""
    jacobians = {}
    for position in positions:
        original = inputs[position]
        shape = tuple(original._data.shape)
        count = original.numel()
        basis = eye(count, dtype=original._dtype, device=original._device) * eps if count else None
        columns = None
        for element in range(count):
            step = basis[element].reshape(shape)
            plus = _evaluate(fn, inputs, position, original.detach() + step)
            minus = _evaluate(fn, inputs, position, original.detach() - step)
            if columns is None:
                columns = [[] for _ in plus]
            for output_index, (high, low) in enumerate(zip(plus, minus)):
                columns[output_index].append(((high - low) / (2 * eps)).reshape(-1))
        outputs = _floating_outputs(fn(*inputs))
        for output_index, output in enumerate(outputs):
            if count:
                jacobian = stack(columns[output_index], 1)
            else:
                jacobian = zeros((output.numel(), 0), dtype=output._dtype, device=output._device)
            jacobians[position, output_index] = jacobian
    return jacobians


def _evaluate(fn, inputs, position, replacement):
    replacement.requires_grad_(inputs[position]._requires_grad)
    arguments = list(inputs)
    arguments[position] = replacement
    return [output.detach() for output in _floating_outputs(fn(*arguments))]


def _analytical_jacobians(fn, inputs, positions, check_grad_dtypes):
    """``{(input position, output index): (n_out, n_in) Jacobian}`` from backward passes."""
    outputs = _floating_outputs(fn(*inputs))
    differentiated = [inputs[position] for position in positions]
    jacobians = {}
    for output_index, output in enumerate(outputs):
        count = output.numel()
        rows = {position: [] for position in positions}
        basis = eye(count, dtype=output._dtype, device=output._device) if count else None
        for element in range(count):
            if not output._requires_grad:
                gradients = [None] * len(differentiated)
            else:
                gradients = autograd_grad(output, differentiated, basis[element].reshape(tuple(output._data.shape)),
                                          retain_graph=True, allow_unused=True)
            for position, gradient, value in zip(positions, gradients, differentiated):
                if gradient is None:
                    gradient = zeros(tuple(value._data.shape), dtype=value._dtype, device=value._device)
                _check_gradient(position, gradient, value, check_grad_dtypes)
                rows[position].append(gradient.reshape(-1))
        for position, value in zip(positions, differentiated):
            if count:
                jacobian = stack(rows[position], 0)
            else:
                jacobian = zeros((0, value.numel()), dtype=value._dtype, device=value._device)
            jacobians[position, output_index] = jacobian
    return jacobians


def _check_gradient(position, gradient, value, check_grad_dtypes):
    if tuple(gradient._data.shape) != tuple(value._data.shape):
        raise GradcheckError(f"gradcheck: the gradient of input {position} has shape {list(gradient.shape)} but "
                             f"the input has shape {list(value.shape)}")
    if gradient._device is not value._device:
        raise GradcheckError(f"gradcheck: the gradient of input {position} is on {gradient.device} but the input "
                             f"is on {value.device}")
    if check_grad_dtypes and gradient._dtype is not value._dtype:
        raise GradcheckError(f"gradcheck: the gradient of input {position} has dtype {gradient._dtype} but the "
                             f"input has dtype {value._dtype}")


def _compare(analytical, numerical, atol, rtol):
    for key, expected in numerical.items():
        found = analytical[key]
        if tuple(found._data.shape) != tuple(expected._data.shape):
            return (f"Jacobian of output {key[1]} with respect to input {key[0]} has shape {list(found.shape)} "
                    f"analytically but {list(expected.shape)} numerically")
        if not found.numel():
            continue
        found = found.to(expected._dtype)
        close = ((found - expected).abs() <= atol + rtol * expected.abs()).all().item()
        if not close:
            worst = (found - expected).abs().max().item()
            return (f"Jacobian mismatch for output {key[1]} with respect to input {key[0]} "
                    f"(largest difference {worst:.3g}, atol={atol}, rtol={rtol}),\n"
                    f"numerical:{expected}\nanalytical:{found}")
    return None


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, check_grad_dtypes=False):
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    ``inputs`` is a tensor or a tuple of arguments; those with ``requires_grad=True``
    (float64 recommended) are differentiated, against every floating output of
    ``func``.  Returns True, or raises ``GradcheckError`` naming the input, the
    output and both Jacobians (returns False instead with ``raise_exception=False``).

        x = plexgrad.randn(3, dtype=plexgrad.float64, requires_grad=True)
        plexgrad.autograd.gradcheck(plexgrad.sin, (x,))
    """
    inputs = _as_tuple(inputs)
    positions = _differentiated(inputs)
    try:
        numerical = _numerical_jacobians(func, inputs, positions, eps)
        analytical = _analytical_jacobians(func, inputs, positions, check_grad_dtypes)
        problem = _compare(analytical, numerical, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    if problem is None:
        return True
    if raise_exception:
        raise GradcheckError("gradcheck: " + problem)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  check_grad_dtypes=False):
    """Check second derivatives: ``gradcheck`` applied to ``v -> grad(func(x), x, v, create_graph=True)``.

    ``grad_outputs`` (one per floating output of ``func``) default to random
    normal tensors that require grad, so the check also covers the derivative
    with respect to the incoming gradient.
    """
    inputs = _as_tuple(inputs)
    positions = _differentiated(inputs)
    if grad_outputs is None:
        grad_outputs = tuple(randn_like(output.detach(), requires_grad=True)
                             for output in _floating_outputs(func(*inputs)))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivatives(*arguments):
        values = arguments[:count]
        vectors = arguments[count:]
        pairs = [(output, vector) for output, vector in zip(_floating_outputs(func(*values)), vectors)
                 if output._requires_grad]
        if not pairs:
            return ()
        gradients = autograd_grad([output for output, _ in pairs], [values[position] for position in positions],
                                  [vector for _, vector in pairs], create_graph=True, allow_unused=True)
        return tuple(gradient for gradient in gradients if gradient is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_grad_dtypes=check_grad_dtypes)
