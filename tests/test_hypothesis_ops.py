"""Property tests with hypothesis: random shapes and values for broadcasting arithmetic,
reductions over random dims, reshape/permute round trips and matmul shapes, against numpy,
on every installed backend.  Examples are few and small (each new shape costs a compilation
on jax)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import plexgrad as pg

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FLOATS = st.floats(-10, 10, allow_nan=False, width=64)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def _values(shape, dtype=np.float64):
    if dtype == np.int64:
        return hnp.arrays(dtype, shape, elements=st.integers(-20, 20))
    return hnp.arrays(dtype, shape, elements=FLOATS)


@st.composite
def broadcast_pairs(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    dtype = draw(st.sampled_from([np.float64, np.int64]))
    return draw(_values(shapes.input_shapes[0], dtype)), draw(_values(shapes.input_shapes[1], dtype))


@SETTINGS
@given(pair=broadcast_pairs(), operation=st.sampled_from(["add", "mul", "sub"]))
def test_broadcasting_arithmetic(device, pair, operation):
    first, second = pair
    result = getattr(pg, operation)(pg.tensor(first, device=device), pg.tensor(second, device=device))
    expected = getattr(np, {"add": "add", "mul": "multiply", "sub": "subtract"}[operation])(first, second)
    assert tuple(result.shape) == expected.shape
    assert result.dtype == (pg.int64 if first.dtype == np.int64 else pg.float64)
    np.testing.assert_allclose(result.cpu().numpy(), expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(pair=broadcast_pairs())
def test_broadcast_gradients_sum_back_to_input_shapes(device, pair):
    first, second = (array.astype(np.float64) for array in pair)
    a = pg.tensor(first, device=device, requires_grad=True)
    b = pg.tensor(second, device=device, requires_grad=True)
    (a * b).sum().backward()
    broadcast_shape = np.broadcast_shapes(first.shape, second.shape)
    expected_a = np.broadcast_to(second, broadcast_shape).copy()
    expected_b = np.broadcast_to(first, broadcast_shape).copy()
    np.testing.assert_allclose(a.grad.cpu().numpy(), _sum_to(expected_a, first.shape), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.cpu().numpy(), _sum_to(expected_b, second.shape), rtol=1e-12, atol=1e-12)


def _sum_to(array, shape):
    lead = array.ndim - len(shape)
    array = array.sum(axis=tuple(range(lead))) if lead else array
    dims = tuple(index for index, extent in enumerate(shape) if extent == 1 and array.shape[index] != 1)
    return array.sum(axis=dims, keepdims=True) if dims else array


@st.composite
def reductions(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    dims = draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))
    dims = tuple(draw(st.sampled_from([d, d - len(shape)])) for d in sorted(dims))
    return draw(_values(shape)), dims, draw(st.booleans())


@SETTINGS
@given(case=reductions())
def test_sum_over_random_dims(device, case):
    values, dims, keepdim = case
    x = pg.tensor(values, device=device, requires_grad=True)
    result = pg.sum(x, dims, keepdim=keepdim)
    expected = np.sum(values, axis=dims, keepdims=keepdim)
    assert tuple(result.shape) == expected.shape
    np.testing.assert_allclose(result.detach().cpu().numpy(), expected, rtol=1e-12, atol=1e-12)
    result.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.ones_like(values))


@SETTINGS
@given(values=SHAPES.flatmap(_values), data=st.data())
def test_permute_round_trip(device, values, data):
    order = data.draw(st.permutations(range(values.ndim)))
    inverse = tuple(int(position) for position in np.argsort(order))
    x = pg.tensor(values, device=device)
    permuted = x.permute(tuple(order))
    np.testing.assert_array_equal(permuted.cpu().numpy(), values.transpose(order))
    np.testing.assert_array_equal(permuted.permute(inverse).cpu().numpy(), values)
    # reshape of a permuted (non-contiguous) view copies in row-major order of the view, as numpy does
    np.testing.assert_array_equal(permuted.reshape(-1).cpu().numpy(), values.transpose(order).reshape(-1))


@st.composite
def factorizations(draw):
    """A shape and another shape with the same number of elements."""
    factors = draw(st.lists(st.integers(1, 3), min_size=0, max_size=4))
    count = int(np.prod(factors, dtype=np.int64))
    split = draw(st.permutations(factors))
    cut = draw(st.integers(0, len(split)))
    other = [int(np.prod(split[:cut], dtype=np.int64))] + list(split[cut:])
    return tuple(factors), tuple(other), count


@SETTINGS
@given(case=factorizations())
def test_reshape_round_trip(device, case):
    shape, other, count = case
    values = np.arange(count, dtype=np.float64).reshape(shape)
    x = pg.tensor(values, device=device)
    reshaped = x.reshape(other)
    assert tuple(reshaped.shape) == other
    np.testing.assert_array_equal(reshaped.cpu().numpy(), values.reshape(other))
    np.testing.assert_array_equal(reshaped.reshape(shape).cpu().numpy(), values)
    np.testing.assert_array_equal(x.view(-1).cpu().numpy(), values.reshape(-1))


@st.composite
def matmul_operands(draw):
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    first = draw(st.sampled_from([(k,), batch.input_shapes[0] + (n, k)]))
    second = draw(st.sampled_from([(k,), batch.input_shapes[1] + (k, m)]))
    return draw(_values(first)), draw(_values(second))


@SETTINGS
@given(operands=matmul_operands())
def test_matmul_shapes(device, operands):
    first, second = operands
    a = pg.tensor(first, device=device, requires_grad=True)
    b = pg.tensor(second, device=device, requires_grad=True)
    result = pg.matmul(a, b)
    expected = np.matmul(first, second)
    assert tuple(result.shape) == expected.shape
    np.testing.assert_allclose(result.detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-10)
    result.sum().backward()
    assert tuple(a.grad.shape) == first.shape and tuple(b.grad.shape) == second.shape


@SETTINGS
@given(k=st.integers(1, 3), extra=st.integers(1, 2))
def test_matmul_inner_size_mismatch_raises(device, k, extra):
    a = pg.ones(2, k, device=device)
    b = pg.ones(k + extra, 2, device=device)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        pg.matmul(a, b)
