"""Every op of ``tests/op_table.py`` on every installed backend: values and result dtype
against numpy, gradients by central differences (float64), double backward on the
entries marked ``gradgrad``, and non-contiguous inputs.  Plus torch's dtype promotion
for mixed operands, which the table (one dtype per row) does not cover."""

import zlib

import numpy as np
import pytest

import plexgrad as pg
from plexgrad.autograd import gradcheck, gradgradcheck

from op_table import ENTRIES

# float64 values of differentiable entries are checked by test_gradient, on the same inputs
VALUE_CASES = [pytest.param(entry, dtype, id=f"{entry.name}-{dtype}") for entry in ENTRIES for dtype in entry.dtypes
               if not (dtype == "float64" and entry.grad)]
GRAD_CASES = [pytest.param(entry, id=entry.name) for entry in ENTRIES if entry.grad]
GRADGRAD_CASES = [pytest.param(entry, id=entry.name) for entry in ENTRIES if entry.gradgrad]
LAYOUT_CASES = [pytest.param(entry, id=entry.name) for entry in ENTRIES if entry.layouts and
                any(len(arg.shape) for arg in entry.args)]


def _off_cpu_dtypes(entry):
    """Compiling backends (jax) pay a compilation (~25 ms) per op, shape and dtype, so off the cpu an
    entry's values run on its first dtype and its first integer dtype (float64 runs in test_gradient);
    secondary variants on their first dtype only, without gradients.  The cpu runs everything."""
    if entry.variant:
        return entry.dtypes[:1]
    integers = [dtype for dtype in entry.dtypes[1:] if dtype.startswith("int")]
    return entry.dtypes[:1] + tuple(integers[:1])


def _skip_variant_off_cpu(entry, device, dtype=None):
    if device != "cpu" and (entry.variant and dtype is None or dtype is not None and
                            dtype not in _off_cpu_dtypes(entry)):
        pytest.skip("off the cpu, secondary variants and dtypes are skipped (each costs a compilation)")


def _rng(entry, dtype):
    return np.random.default_rng(zlib.crc32(f"{entry.name}/{dtype}".encode()))


def _tensor(array, device):
    return pg.tensor(array, dtype=getattr(pg, str(array.dtype)), device=device)


def _non_contiguous(array, device):
    """A view with ``array``'s values and shape whose strides are not row-major: a transposed
    copy permuted back, or every other element of a wider tensor."""
    if sum(extent > 1 for extent in array.shape) >= 2:
        order = tuple(reversed(range(array.ndim)))
        return _tensor(np.ascontiguousarray(array.transpose(order)), device).permute(order)
    if array.ndim:
        padded = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
        padded[..., ::2] = array
        return _tensor(padded, device)[..., ::2]
    return _tensor(array, device)


def _reference_inputs(arrays):
    """float32 inputs are upcast so the reference is exact to float32's tolerance."""
    return [array.astype(np.float64) if array.dtype == np.float32 else array for array in arrays]


def _as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _check(entry, dtype, actual, expected, device):
    actual, expected = _as_list(actual), _as_list(expected)
    assert len(actual) == len(expected), f"{entry.name}: {len(actual)} outputs, numpy gives {len(expected)}"
    for position, (found, wanted_dtype) in enumerate(zip(actual, entry.result_dtypes(dtype, len(actual)))):
        assert isinstance(found, pg.Tensor), f"{entry.name}: output {position} is {type(found).__name__}"
        assert found.dtype == getattr(pg, wanted_dtype), \
            f"{entry.name}({dtype}): output {position} has dtype {found.dtype}, torch gives {wanted_dtype}"
        assert found.device.type == device, f"{entry.name}: output {position} is on {found.device}, not {device}"
        wanted = np.asarray(expected[position])
        assert tuple(found.shape) == wanted.shape, \
            f"{entry.name}({dtype}): output {position} has shape {tuple(found.shape)}, numpy gives {wanted.shape}"
        host = found.detach().cpu().numpy()
        if wanted_dtype in entry.tol:
            rtol, atol = entry.tol[wanted_dtype]
            np.testing.assert_allclose(host.astype(np.float64), wanted.astype(np.float64), rtol=rtol, atol=atol,
                                       err_msg=f"{entry.name}({dtype}) output {position}")
        else:
            np.testing.assert_array_equal(host, wanted.astype(host.dtype), err_msg=f"{entry.name}({dtype}) "
                                                                                   f"output {position}")


@pytest.mark.parametrize("entry, dtype", VALUE_CASES)
def test_values_and_dtype(entry, dtype, device):
    _skip_variant_off_cpu(entry, device, dtype)
    arrays = entry.draw(_rng(entry, dtype), dtype)
    inputs = [_tensor(array, device) for array in arrays]
    _check(entry, dtype, entry.function(*inputs), entry.reference(*_reference_inputs(arrays)), device)


@pytest.mark.parametrize("entry", LAYOUT_CASES)
def test_non_contiguous_inputs(entry, device):
    _skip_variant_off_cpu(entry, device)
    dtype = entry.dtypes[0]
    arrays = entry.draw(_rng(entry, dtype), dtype)
    inputs = [_non_contiguous(array, device) for array in arrays]
    if device == "cpu":
        for array, tensor in zip(arrays, inputs):
            assert array.size <= 1 or not tensor.is_contiguous()
    _check(entry, dtype, entry.function(*inputs), entry.reference(*_reference_inputs(arrays)), device)
    for array, tensor in zip(arrays, inputs):  # the op must not write into its inputs
        np.testing.assert_array_equal(tensor.cpu().numpy(), array)


def _grad_inputs(entry, device):
    """float64 inputs; the ones whose dtype follows the test dtype require grad."""
    arrays = entry.draw(_rng(entry, "float64"), "float64")
    return [_tensor(array, device).requires_grad_(entry.differentiated(position))
            for position, array in enumerate(arrays)]


@pytest.mark.parametrize("entry", GRAD_CASES)
def test_gradient(entry, device):
    _skip_variant_off_cpu(entry, device)
    inputs = _grad_inputs(entry, device)
    arrays = [tensor.detach().cpu().numpy() for tensor in inputs]
    _check(entry, "float64", entry.function(*inputs), entry.reference(*arrays), device)
    assert gradcheck(entry.function, tuple(inputs))


OFF_CPU_GRADGRAD = {case.values[0].name for case in GRADGRAD_CASES[::3]}


@pytest.mark.parametrize("entry", GRADGRAD_CASES)
def test_double_backward(entry, device):
    if device != "cpu" and entry.name not in OFF_CPU_GRADGRAD:
        pytest.skip("off the cpu, double backward runs on every third entry (each op costs a compilation)")
    pg.manual_seed(0)
    inputs = _grad_inputs(entry, device)
    assert gradgradcheck(entry.function, tuple(inputs))


def _has_strided_grad_input(entry):
    return entry.grad and entry.layouts and any(entry.differentiated(position) and len(arg.shape)
                                                for position, arg in enumerate(entry.args))


@pytest.mark.parametrize("entry", [pytest.param(entry, id=entry.name) for entry in ENTRIES
                                   if _has_strided_grad_input(entry)][::4])
def test_gradient_through_non_contiguous_inputs(entry, device):
    """Gradients flow back through a transposed view of a leaf (every fourth differentiable entry)."""
    arrays = entry.draw(_rng(entry, "float64"), "float64")
    leaves = []
    for position, array in enumerate(arrays):
        if entry.differentiated(position) and array.ndim >= 1:
            order = tuple(reversed(range(array.ndim)))
            leaves.append((pg.tensor(np.ascontiguousarray(array.transpose(order)), device=device,
                                     requires_grad=True), order))
        else:
            leaves.append((_tensor(array, device), None))

    def function(*leaf_values):
        values = [leaf.permute(order) if order is not None else leaf for leaf, order in
                  zip(leaf_values, [order for _, order in leaves])]
        return entry.function(*values)

    assert gradcheck(function, tuple(leaf for leaf, _ in leaves))


def _t(values, dtype, device):
    return pg.tensor(values, dtype=getattr(pg, dtype), device=device)


# torch's promotion for mixed operands: (description, build(device), expected dtype)
PROMOTIONS = [
    ("int64 + python float", lambda d: _t([1, 2], "int64", d) + 2.5, "float32"),
    ("python float * int32", lambda d: 2.5 * _t([1, 2], "int32", d), "float32"),
    ("int32 + python int", lambda d: _t([1, 2], "int32", d) + 3, "int32"),
    ("int32 + int64", lambda d: _t([1, 2], "int32", d) + _t([1, 2], "int64", d), "int64"),
    ("uint8 + int8", lambda d: _t([1, 2], "uint8", d) + _t([1, 2], "int8", d), "int16"),
    ("bool + bool", lambda d: _t([True], "bool", d) + _t([False], "bool", d), "bool"),
    ("bool + python int", lambda d: _t([True], "bool", d) + 1, "int64"),
    ("bool * python float", lambda d: _t([True], "bool", d) * 1.5, "float32"),
    ("float32 + float64 0-d", lambda d: _t([1.0], "float32", d) + _t(2.0, "float64", d), "float32"),
    ("int64 + float64 0-d", lambda d: _t([1], "int64", d) + _t(2.5, "float64", d), "float64"),
    ("float16 + float32 0-d", lambda d: _t([1.0], "float16", d) + _t(2.0, "float32", d), "float16"),
    ("float32 + float64", lambda d: _t([1.0], "float32", d) + _t([2.0], "float64", d), "float64"),
    ("float64 + python int", lambda d: _t([1.0], "float64", d) + 2, "float64"),
    ("int64 / int64", lambda d: _t([1], "int64", d) / _t([2], "int64", d), "float32"),
    ("int64 ** python float", lambda d: _t([2], "int64", d) ** 2.0, "float32"),
    ("int32 ** python int", lambda d: _t([2], "int32", d) ** 2, "int32"),
    ("int64 > python float", lambda d: _t([2], "int64", d) > 2.5, "bool"),
    ("maximum(int64, float32)", lambda d: pg.maximum(_t([1], "int64", d), _t([1.5], "float32", d)), "float32"),
    ("atan2(int64, int64)", lambda d: pg.atan2(_t([1], "int64", d), _t([2], "int64", d)), "float32"),
    ("where(bool, int64, python float)", lambda d: pg.where(_t([True], "bool", d), _t([1], "int64", d), 2.5),
     "float32"),
    ("cat([int32, float32])", lambda d: pg.cat([_t([1], "int32", d), _t([1.0], "float32", d)]), "float32"),
    ("sum(float16)", lambda d: _t([1.0], "float16", d).sum(), "float16"),
    ("prod(int8)", lambda d: _t([1, 2], "int8", d).prod(), "int64"),
    ("cumprod(bool)", lambda d: _t([True, False], "bool", d).cumprod(0), "int64"),
    ("amax(int32)", lambda d: _t([[1, 2]], "int32", d).amax(1), "int32"),
    ("matmul(int32, int32)", lambda d: _t([[1, 2]], "int32", d) @ _t([[1], [2]], "int32", d), "int32"),
    ("exp(int64)", lambda d: _t([1], "int64", d).exp(), "float32"),
    ("logical_and(float32, int64)", lambda d: pg.logical_and(_t([1.0], "float32", d), _t([0], "int64", d)), "bool"),
]


@pytest.mark.parametrize("build, expected", [pytest.param(build, expected, id=name)
                                             for name, build, expected in PROMOTIONS])
def test_mixed_dtype_promotion(build, expected, device):
    assert build(device).dtype == getattr(pg, expected)


def test_mean_of_integers_is_an_error(device):
    with pytest.raises(RuntimeError, match="mean"):
        _t([1, 2], "int64", device).mean()


# bad inputs raise torch's exception type with a message naming the problem, on every backend
ERRORS = [
    ("add: shapes do not broadcast", lambda d: pg.ones(2, 3, device=d) + pg.ones(4, device=d), RuntimeError,
     "size of tensor"),
    ("matmul: inner sizes differ", lambda d: pg.ones(2, 3, device=d) @ pg.ones(2, 3, device=d), RuntimeError,
     "cannot be multiplied"),
    ("reshape: wrong element count", lambda d: pg.ones(2, 3, device=d).reshape(4, 2), RuntimeError, "invalid"),
    ("getitem: index out of range", lambda d: pg.ones(2, 3, device=d)[2], IndexError, "out of bounds"),
    ("getitem: too many indices", lambda d: pg.ones(2, device=d)[0, 0], IndexError, "too many indices"),
    ("gather: float index", lambda d: pg.gather(pg.ones(2, 3, device=d), 1, pg.ones(2, 1, device=d)),
     RuntimeError, "int64"),
    ("cat: sizes differ", lambda d: pg.cat([pg.ones(2, 3, device=d), pg.ones(2, 2, device=d)]), RuntimeError,
     "Sizes of tensors must match"),
    ("sum: dim out of range", lambda d: pg.ones(2, 3, device=d).sum(2), IndexError, "out of range"),
    ("transpose: dim out of range", lambda d: pg.ones(2, 3, device=d).transpose(0, 3), IndexError, "out of range"),
    ("permute: wrong number of dims", lambda d: pg.ones(2, 3, device=d).permute(0), RuntimeError, "number of dim"),
    ("expand: non-singleton dim", lambda d: pg.ones(2, 3, device=d).expand(4, 3), RuntimeError, "must match"),
    ("view: non-contiguous input", lambda d: pg.ones(2, 3, device=d).t().view(6), RuntimeError, "reshape"),
    ("stack: shapes differ", lambda d: pg.stack([pg.ones(2, device=d), pg.ones(3, device=d)]), RuntimeError,
     "equal size"),
    ("dot: 2-d input", lambda d: pg.dot(pg.ones(2, 2, device=d), pg.ones(2, device=d)), RuntimeError, "1D"),
    ("mean: integer input", lambda d: pg.ones(2, dtype=pg.int64, device=d).mean(), RuntimeError, "dtype"),
    ("unary: not a tensor", lambda d: pg.exp([1.0, 2.0]), TypeError, "Tensor"),
]


@pytest.mark.parametrize("build, error, message", [pytest.param(build, error, message, id=name)
                                                   for name, build, error, message in ERRORS])
def test_errors(build, error, message, device):
    with pytest.raises(error, match=message):
        build(device)
