"""Check derivative rules against finite differences, as ``torch.autograd.gradcheck`` does.

``gradcheck(fn, inputs)`` builds, for every input that requires grad and every
floating output, the Jacobian twice: numerically by central differences
``(fn(x + eps) - fn(x - eps)) / (2 eps)`` one element at a time, and analytically
with ``autograd.grad`` one output element at a time.  The two must agree within
``atol + rtol * |numerical|``.  ``gradgradcheck`` does the same for the gradient
itself (double backward through ``create_graph=True``).

The functions and their backward passes run on the inputs' backend; the Jacobians are
assembled on the host.  Use float64 inputs: float32 central differences are too coarse for the tolerances.
"""

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

import warnings

import numpy

from ..core import dtypes
from ..core.autograd.api import grad as autograd_grad
from ..core.factories import randn_like, tensor as make_tensor
from ..core.tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians disagree (or a gradient has the wrong shape/device)."""


def _as_tuple(value):
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _floating_outputs(result):
    """The floating-point tensors among ``fn``'s results (indices of max/min etc. are skipped)."""
    return [value for value in _as_tuple(result)
            if isinstance(value, Tensor) and value._dtype.category == dtypes.FLOATING]


def _host(value):
    """A float64 host copy of a tensor's values (Jacobians are assembled on the host: on compiling
    backends every perturbation built with device ops would cost a compilation)."""
    return numpy.array(value._backend().to_host(value._data), dtype=numpy.float64)


def _on_device_like(host, like, requires_grad):
    return make_tensor(host, dtype=like._dtype, device=like._device, requires_grad=requires_grad)


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
    output_sizes = [output.numel() for output in _floating_outputs(fn(*inputs))]
    jacobians = {}
    for position in positions:
        original = inputs[position]
        values = _host(original)
        columns = []
        for element in range(values.size):
            evaluations = []
            for step in (eps, -eps):
                shifted = values.copy()
                shifted.reshape(-1)[element] += step
                evaluations.append(_evaluate(fn, inputs, position, _on_device_like(shifted, original,
                                                                                   original._requires_grad)))
            columns.append([(high - low).reshape(-1) / (2 * eps) for high, low in zip(*evaluations)])
        for output_index, size in enumerate(output_sizes):
            jacobian = numpy.zeros((size, values.size))
            for element, column in enumerate(columns):
                jacobian[:, element] = column[output_index]
            jacobians[position, output_index] = jacobian
    return jacobians


def _evaluate(fn, inputs, position, replacement):
    arguments = list(inputs)
    arguments[position] = replacement
    return [_host(output) for output in _floating_outputs(fn(*arguments))]


def _analytical_jacobians(fn, inputs, positions, check_grad_dtypes):
    """``{(input position, output index): (n_out, n_in) Jacobian}`` from one backward pass per output element."""
    outputs = _floating_outputs(fn(*inputs))
    differentiated = [inputs[position] for position in positions]
    jacobians = {}
    for output_index, output in enumerate(outputs):
        count = output.numel()
        for position, value in zip(positions, differentiated):
            jacobians[position, output_index] = numpy.zeros((count, value.numel()))
        if not output._requires_grad:
            continue
        shape = tuple(output._data.shape)
        for element in range(count):
            basis = numpy.zeros(count)
            basis[element] = 1
            gradients = autograd_grad(output, differentiated, _on_device_like(basis.reshape(shape), output, False),
                                      retain_graph=True, allow_unused=True)
            for position, gradient, value in zip(positions, gradients, differentiated):
                if gradient is not None:
                    _check_gradient(position, gradient, value, check_grad_dtypes)
                    jacobians[position, output_index][element] = _host(gradient).reshape(-1)
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
        close = numpy.abs(found - expected) <= atol + rtol * numpy.abs(expected)
        if not close.all():
            worst = numpy.nanmax(numpy.abs(found - expected)) if numpy.isfinite(found - expected).any() \
                else numpy.nan
            with numpy.printoptions(precision=4, suppress=True, linewidth=120):
                return (f"Jacobian mismatch for output {key[1]} with respect to input {key[0]} "
                        f"(largest difference {worst:.3g}, atol={atol}, rtol={rtol}),\n"
                        f"numerical:\n{expected}\nanalytical:\n{found}")
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
