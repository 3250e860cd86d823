"""Helpers for the nn tests: build float64 tensors on a device, compare values and
gradients with numpy references (gradients by central differences of the numpy
reference, so no derivative is written twice)."""

import numpy as np

import plexgrad

RNG_SEED = 1234


def rng(seed=RNG_SEED):
    return np.random.default_rng(seed)


def to_numpy(tensor):
    return np.asarray(tensor.detach().cpu().numpy())


def leaf(array, device, dtype=plexgrad.float64, requires_grad=True):
    return plexgrad.tensor(np.asarray(array), dtype=dtype, device=device, requires_grad=requires_grad)


def numeric_gradient(function, arrays, position, upstream, eps=1e-6):
    """d sum(function(*arrays) * upstream) / d arrays[position] by central differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    target = arrays[position]
    gradient = np.zeros_like(target)
    flat = target.reshape(-1)
    flat_gradient = gradient.reshape(-1)
    for index in range(flat.size):
        saved = flat[index]
        flat[index] = saved + eps
        plus = np.sum(np.asarray(function(*arrays)) * upstream)
        flat[index] = saved - eps
        minus = np.sum(np.asarray(function(*arrays)) * upstream)
        flat[index] = saved
        flat_gradient[index] = (plus - minus) / (2 * eps)
    return gradient


def check_function(function, reference, arrays, device, grad_positions=None, rtol=1e-6, atol=1e-8,
                   grad_rtol=1e-5, grad_atol=1e-7, constants=()):
    """Compare ``function(*tensors, *constants)`` with ``reference(*arrays, *constants)`` on ``device``:
    values, then gradients for every array position in ``grad_positions`` (default: all)."""
    if grad_positions is None:
        grad_positions = tuple(range(len(arrays)))
    tensors = [leaf(a, device, requires_grad=i in grad_positions) for i, a in enumerate(arrays)]
    output = function(*tensors, *constants)
    expected = np.asarray(reference(*arrays, *constants))
    assert output.device.type == device
    np.testing.assert_allclose(to_numpy(output), expected, rtol=rtol, atol=atol)
    assert tuple(output.shape) == expected.shape
    if not grad_positions:
        return output
    upstream = rng(7).standard_normal(expected.shape)
    output.backward(plexgrad.tensor(upstream, dtype=output.dtype, device=device))
    for position in grad_positions:
        expected_gradient = numeric_gradient(lambda *a: reference(*a, *constants), arrays, position, upstream)
        assert tensors[position].grad is not None, f"no gradient reached input {position}"
        np.testing.assert_allclose(to_numpy(tensors[position].grad), expected_gradient, rtol=grad_rtol,
                                   atol=grad_atol, err_msg=f"gradient of input {position}")
    return output
