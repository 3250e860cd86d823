"""The wider tensor API (issue 3) on every backend, against numpy: element-wise extras,
statistics and norms, sorting and searching, selection by index/mask, einsum,
interop helpers and ``out=``.  Gradients are checked by central differences in float64."""

import math

import numpy as np
import pytest

import plexgrad as pg


# ---- helpers ------------------------------------------------------------------------------
def make(array, device, dtype=None, requires_grad=False):
    array = np.asarray(array)
    if dtype is None and array.dtype.kind == "f":
        dtype = pg.float32  # as from a Python list: the default float
    return pg.tensor(array, dtype=dtype, device=device, requires_grad=requires_grad)


def host(tensor):
    return np.asarray(tensor.detach())


def check_grad(function, arrays, device, eps=1e-6, atol=1e-6, rtol=1e-5):
    """Compare autograd's gradient of ``sum(function(*xs) * w)`` with central differences."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    rng = np.random.default_rng(7)
    tensors = [make(a, device, pg.float64, requires_grad=True) for a in arrays]
    output = function(*tensors)
    weights = rng.standard_normal(tuple(output.shape))
    (output * make(weights, device, pg.float64)).sum().backward()

    def evaluate(values):
        with pg.no_grad():
            result = function(*[make(v, device, pg.float64) for v in values])
        return float((host(result) * weights).sum())

    for position, array in enumerate(arrays):
        numerical = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[position][index] += eps
            minus[position][index] -= eps
            numerical[index] = (evaluate(plus) - evaluate(minus)) / (2 * eps)
        analytic = tensors[position].grad
        assert analytic is not None, f"no gradient for input {position}"
        np.testing.assert_allclose(host(analytic), numerical, atol=atol, rtol=rtol)


RNG = np.random.default_rng(0)
A34 = RNG.standard_normal((3, 4))
B34 = RNG.standard_normal((3, 4))
DISTINCT = RNG.permutation(12).reshape(3, 4) * 0.5 - 2.0  # no ties: gradients of sort/median are defined


# ---- element-wise extras ------------------------------------------------------------------
def test_clamp_values_bounds_and_dtypes(device):
    x = make(A34, device, pg.float32)
    np.testing.assert_allclose(host(pg.clamp(x, -0.5, 0.5)), np.clip(A34, -0.5, 0.5).astype(np.float32))
    np.testing.assert_allclose(host(x.clamp(min=0.1)), np.maximum(A34, 0.1).astype(np.float32))
    np.testing.assert_allclose(host(x.clip(max=0.1)), np.minimum(A34, 0.1).astype(np.float32))
    low = make(B34 - 1, device, pg.float32)
    high = make(B34 + 1, device, pg.float32)
    np.testing.assert_allclose(host(pg.clamp(x, low, high)), np.clip(A34, B34 - 1, B34 + 1), rtol=1e-6)
    integers = make([1, 2, 3], device)
    result = integers.clamp(min=1.5)
    assert result.dtype == pg.float32 and host(result).tolist() == [1.5, 2.0, 3.0]
    assert integers.clamp(2, 2).dtype == pg.int64
    with pytest.raises(RuntimeError, match="min.*max"):
        pg.clamp(x)


def test_clamp_gradient_and_in_place(device):
    check_grad(lambda a: a.clamp(-0.5, 0.5), [A34], device)
    check_grad(lambda a, low: pg.clamp(a, min=low), [A34, B34], device)
    x = make([1.0, 2.0, 3.0], device, requires_grad=True)
    pg.clamp(x, 2, 2).sum().backward()
    torch = pytest.importorskip("torch")
    expected = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch.clamp(expected, 2, 2).sum().backward()  # torch 2.14: none at a bound (2.13 passed it at x == bound)
    assert host(x.grad).tolist() == expected.grad.tolist()
    y = make([1.0, 5.0, -3.0], device)
    assert y.clamp_(0, 2) is y and host(y).tolist() == [1.0, 2.0, 0.0]
    y.clamp_min_(1.5)
    assert host(y).tolist() == [1.5, 2.0, 1.5]


def test_frac_addcmul_addcdiv_lerp_hypot_logaddexp(device):
    x, y, z = make(A34, device), make(B34, device), make(np.abs(B34) + 0.5, device)
    np.testing.assert_allclose(host(pg.frac(make([-1.5, 2.25], device))), [-0.5, 0.25])
    np.testing.assert_allclose(host(pg.addcmul(x, y, z, value=2)), A34 + 2 * B34 * (np.abs(B34) + 0.5),
                               rtol=1e-5)
    np.testing.assert_allclose(host(pg.addcdiv(x, y, z, value=0.5)), A34 + 0.5 * B34 / (np.abs(B34) + 0.5),
                               rtol=1e-5)
    np.testing.assert_allclose(host(pg.lerp(x, y, 0.25)), A34 + 0.25 * (B34 - A34), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(host(x.lerp(y, z)), A34 + (np.abs(B34) + 0.5) * (B34 - A34), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(host(pg.hypot(x, y)), np.hypot(A34, B34), rtol=1e-6)
    np.testing.assert_allclose(host(pg.logaddexp(x, y)), np.logaddexp(A34, B34), rtol=1e-6)
    infinities = make([-math.inf, math.inf], device)
    assert host(pg.logaddexp(infinities, infinities)).tolist() == [-math.inf, math.inf]
    with pytest.raises(RuntimeError, match="int64"):
        pg.addcdiv(make([1, 2], device), make([1, 2], device), make([1, 2], device))
    with pytest.raises(NotImplementedError, match="int64"):
        pg.frac(make([1, 2], device))
    assert pg.addcmul(make([1, 2], device), make([1, 2], device), make([1, 2], device), value=2).tolist() == [3, 10]


def test_extras_gradients(device):
    positive = np.abs(B34) + 0.5
    check_grad(lambda a, b, c: pg.addcmul(a, b, c, value=0.5), [A34, B34, positive], device)
    check_grad(lambda a, b, c: pg.addcdiv(a, b, c, value=2), [A34, B34, positive], device)
    check_grad(lambda a, b, w: pg.lerp(a, b, w), [A34, B34, positive], device)
    check_grad(pg.hypot, [A34, B34], device)
    check_grad(pg.logaddexp, [A34, B34], device)
    check_grad(pg.frac, [A34 + 0.01], device)


def test_out_argument(device):
    x = make(A34, device)
    out = pg.empty(3, 4, device=device)
    assert pg.add(x, 1, out=out) is out
    np.testing.assert_allclose(host(out), A34 + 1, rtol=1e-6)
    resized = pg.zeros(0, device=device)
    pg.mul(x, 2, out=resized)
    assert tuple(resized.shape) == (3, 4)
    pg.clamp(x, 0, 1, out=out)
    np.testing.assert_allclose(host(out), np.clip(A34, 0, 1), rtol=1e-6)
    integer_out = pg.zeros(3, 4, dtype=pg.int64, device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        pg.add(x, 1, out=integer_out)
    values, indices = pg.empty(3, device=device), pg.empty(3, dtype=pg.int64, device=device)
    pg.max(x, 1, out=(values, indices))
    np.testing.assert_allclose(host(values), A34.max(1), rtol=1e-6)
    assert host(indices).tolist() == A34.argmax(1).tolist()
    with pytest.raises(RuntimeError, match="out="):
        pg.add(make(A34, device, requires_grad=True), 1, out=pg.empty(3, 4, device=device))


# ---- statistics and norms -----------------------------------------------------------------
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std_values(device, dim, correction):
    x = make(A34, device, pg.float64)
    axis = dim
    np.testing.assert_allclose(host(pg.var(x, dim, correction=correction)), np.var(A34, axis=axis, ddof=correction))
    np.testing.assert_allclose(host(x.std(dim, correction=correction, keepdim=True)),
                               np.std(A34, axis=axis, ddof=correction, keepdims=True))


def test_var_std_arguments_and_gradients(device):
    x = make(A34, device, pg.float32)
    assert x.var().dtype == pg.float32
    np.testing.assert_allclose(host(x.var(1, unbiased=False)), np.var(A34, 1), rtol=1e-5)
    np.testing.assert_allclose(host(x.var(False)), np.var(A34), rtol=1e-5)
    np.testing.assert_allclose(host(pg.std(x, axis=0, keepdims=True)), np.std(A34, 0, ddof=1, keepdims=True),
                               rtol=1e-5)
    variance, mean = pg.var_mean(x, 1)
    np.testing.assert_allclose(host(mean), A34.mean(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(host(variance), A34.var(1, ddof=1), rtol=1e-5)
    with pytest.raises(RuntimeError, match="int64"):
        make([1, 2, 3], device).var()
    check_grad(lambda a: a.var(1), [A34], device)
    check_grad(lambda a: a.std((0, 1), correction=0), [A34], device)


def test_median(device):
    x = make(DISTINCT, device)
    assert float(x.median()) == float(np.sort(DISTINCT.reshape(-1))[(12 - 1) // 2])  # torch: the lower median
    values, indices = pg.median(x, 1)
    lower = np.sort(DISTINCT, 1)[:, 1]
    np.testing.assert_allclose(host(values), lower)
    assert (np.take_along_axis(DISTINCT, host(indices)[:, None], 1)[:, 0] == lower).all()
    assert tuple(pg.median(x, 0, keepdim=True).values.shape) == (1, 4)
    with_nan = make([1.0, math.nan, 3.0, 2.0], device)
    result = with_nan.median(0)
    assert math.isnan(float(result.values)) and int(result.indices) == 1
    assert float(pg.nanmedian(with_nan)) == 2.0
    assert int(make([4, 1, 3, 2], device).median()) == 2
    check_grad(lambda a: a.median(1).values, [DISTINCT], device)
    check_grad(lambda a: a.median(), [DISTINCT], device)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, math.inf, -math.inf, 0, "fro"])
def test_norm_values(device, p, ):
    x = make(A34, device, pg.float64)
    order = 2 if p == "fro" else p
    flat = A34.reshape(-1)
    expected = np.count_nonzero(flat) if order == 0 else np.linalg.norm(flat, order)
    np.testing.assert_allclose(host(pg.norm(x, p)), expected, rtol=1e-12)
    np.testing.assert_allclose(host(x.norm(p, dim=1, keepdim=True)),
                               np.linalg.norm(A34, order, axis=1, keepdims=True) if order != 0 else
                               np.count_nonzero(A34, axis=1)[:, None], rtol=1e-12)


def test_norm_gradients_and_errors(device):
    for p in (1, 2, 3, math.inf):
        check_grad(lambda a, p=p: pg.norm(a, p, dim=1), [DISTINCT], device)
    zero = make(np.zeros(3), device, pg.float64, requires_grad=True)
    zero.norm().backward()
    assert host(zero.grad).tolist() == [0.0, 0.0, 0.0]  # the subgradient, not NaN
    with pytest.raises(RuntimeError, match="floating point"):
        make([1, 2], device).norm()
    u = make([3.0, -4.0], device)
    assert float(pg.norm(u)) == 5.0 and float(pg.abs(u).sum()) == 7.0  # seed 003
    np.testing.assert_allclose(float(pg.dist(make(A34, device), make(B34, device))),
                               np.linalg.norm(A34 - B34), rtol=1e-5)
    np.testing.assert_allclose(float(pg.dist(make(A34, device), make(B34, device), 1)),
                               np.abs(A34 - B34).sum(), rtol=1e-5)


def test_count_nonzero_nansum_nanmean(device):
    ints = make([[0, 1], [2, 3]], device)
    assert pg.count_nonzero(ints).item() == 3 and pg.count_nonzero(ints).dtype == pg.int64
    assert host(pg.count_nonzero(ints, dim=0)).tolist() == [1, 2]
    data = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 4.0]])
    x = make(data, device, pg.float64)
    assert pg.nansum(x).dtype == pg.float64
    np.testing.assert_allclose(host(pg.nansum(x)), np.nansum(data))
    np.testing.assert_allclose(host(x.nansum(1)), np.nansum(data, 1))
    np.testing.assert_allclose(host(pg.nanmean(x, 0)), [1.0, np.nan, 3.0])


# ---- sorting and searching ----------------------------------------------------------------
@pytest.mark.parametrize("descending", [False, True])
def test_sort_stable_with_ties_and_nan(device, descending):
    data = np.array([[3.0, 1.0, 3.0, np.nan, 1.0, 2.0], [0.0, 0.0, -1.0, 5.0, 5.0, 0.0]])
    x = make(data, device)
    values, indices = pg.sort(x, 1, descending=descending, stable=True)
    keys = np.where(np.isnan(data), np.inf, data)
    expected = np.argsort(-keys if descending else keys, axis=1, kind="stable")
    assert host(indices).tolist() == expected.tolist()
    np.testing.assert_array_equal(host(values), np.take_along_axis(data, expected, 1))
    assert values.dtype == pg.float32 and indices.dtype == pg.int64
    assert host(x.argsort(dim=0, descending=descending)).tolist() == \
        np.argsort(-keys if descending else keys, axis=0, kind="stable").tolist()
    assert host(pg.msort(x)).shape == (2, 6)


def test_sort_topk_kthvalue_gradients_and_values(device):
    x = make(DISTINCT, device)
    values, indices = x.topk(2)
    expected = np.sort(DISTINCT, 1)[:, ::-1][:, :2]
    np.testing.assert_allclose(host(values), expected)
    assert (np.take_along_axis(DISTINCT, host(indices), 1) == expected).all()
    smallest = pg.topk(x, 3, dim=0, largest=False).values
    np.testing.assert_allclose(host(smallest), np.sort(DISTINCT, 0)[:3])
    kth = pg.kthvalue(x, 2, 1)
    np.testing.assert_allclose(host(kth.values), np.sort(DISTINCT, 1)[:, 1])
    assert tuple(pg.kthvalue(x, 1, 0, keepdim=True).indices.shape) == (1, 4)
    with pytest.raises(RuntimeError, match="out of range"):
        x.topk(5)
    with pytest.raises(RuntimeError, match="out of range"):
        x.kthvalue(0)
    check_grad(lambda a: pg.sort(a, 1, descending=True).values, [DISTINCT], device)
    check_grad(lambda a: a.topk(2, 0).values, [DISTINCT], device)
    check_grad(lambda a: a.kthvalue(3).values, [DISTINCT], device)


def test_unique(device):
    data = np.array([[3, 1, 2], [1, 3, 3]])
    x = make(data, device)
    values, inverse, counts = pg.unique(x, return_inverse=True, return_counts=True)
    expected_values, expected_inverse, expected_counts = np.unique(data, return_inverse=True, return_counts=True)
    assert host(values).tolist() == expected_values.tolist()
    assert host(inverse).tolist() == expected_inverse.reshape(data.shape).tolist()
    assert host(counts).tolist() == expected_counts.tolist()
    assert x.unique().dtype == pg.int64 and values.device == x.device
    rows = pg.unique(make([[1, 2], [0, 1], [1, 2]], device), dim=0)
    assert host(rows).tolist() == [[0, 1], [1, 2]]


def test_searchsorted_and_bucketize(device):
    boundaries = make([1.0, 2.0, 2.0, 3.0], device)
    queries = make([[0.5, 2.0], [2.5, 9.0]], device)
    left = pg.searchsorted(boundaries, queries)
    assert host(left).tolist() == np.searchsorted([1, 2, 2, 3], host(queries)).tolist() and left.dtype == pg.int64
    assert host(pg.searchsorted(boundaries, queries, right=True)).tolist() == [[0, 3], [3, 4]]
    assert host(pg.searchsorted(boundaries, queries, side="right")).tolist() == [[0, 3], [3, 4]]
    assert int(pg.searchsorted(make([1, 2, 3], device), 2)) == 1
    rows = make([[1, 2, 3], [1, 2, 3]], device)
    assert host(pg.searchsorted(rows, make([[2], [3]], device), right=True)).tolist() == [[2], [3]]
    assert pg.searchsorted(boundaries, queries, out_int32=True).dtype == pg.int32
    assert host(pg.bucketize(queries, boundaries)).tolist() == host(left).tolist()
    with pytest.raises(RuntimeError, match="side"):
        pg.searchsorted(boundaries, queries, side="middle")


def test_equal_isclose_allclose(device):
    x = make([1.0, math.nan, math.inf, 2.0], device)
    y = make([1.0 + 1e-9, math.nan, math.inf, 2.1], device)
    assert host(pg.isclose(x, y)).tolist() == [True, False, True, False]
    assert host(x.isclose(y, equal_nan=True)).tolist() == [True, True, True, False]
    assert not pg.allclose(x, y) and pg.allclose(x[:1], y[:1])
    assert pg.allclose(x, y, atol=0.2, equal_nan=True)
    assert pg.equal(make([1, 2], device), make([1, 2], device))
    assert not pg.equal(make([1, 2], device), make([1, 2, 3], device))
    assert not make([1, 2], device).equal(make([1, 3], device))
    assert host(pg.isclose(make([1, 2], device), make([1, 3], device))).tolist() == [True, False]


# ---- selection ----------------------------------------------------------------------------
def test_index_select(device):
    x = make(A34, device)
    index = make([2, 0, 2], device)
    np.testing.assert_allclose(host(pg.index_select(x, 0, index)), A34[[2, 0, 2]], rtol=1e-6)
    np.testing.assert_allclose(host(x.index_select(1, make([3, 1], device, pg.int32))), A34[:, [3, 1]],
                               rtol=1e-6)
    with pytest.raises(IndexError, match="5.*size 3"):
        x.index_select(0, make([5], device))
    with pytest.raises(RuntimeError, match="float32"):
        x.index_select(0, make([1.0], device))
    check_grad(lambda a: a.index_select(0, make([2, 0, 2], device)), [A34], device)


def test_masked_select_and_fill(device):
    x = make(A34, device)
    mask_array = A34 > 0
    mask = make(mask_array, device)
    np.testing.assert_allclose(host(pg.masked_select(x, mask)), A34[mask_array], rtol=1e-6)
    row_mask = make([True, False, True, False], device)
    np.testing.assert_allclose(host(x.masked_select(row_mask)), A34[:, [0, 2]].reshape(-1), rtol=1e-6)
    filled = x.masked_fill(mask, -1.0)
    np.testing.assert_allclose(host(filled), np.where(mask_array, -1.0, A34), rtol=1e-6)
    assert filled.dtype == pg.float32
    ints = make([1, 2, 3], device)
    assert ints.masked_fill(make([True, False, True], device), 2.7).tolist() == [2, 2, 2]
    y = x.clone()
    assert y.masked_fill_(mask, 0.0) is y
    np.testing.assert_allclose(host(y), np.where(mask_array, 0.0, A34), rtol=1e-6)
    with pytest.raises(RuntimeError, match="boolean"):
        x.masked_fill(make([1, 0, 1, 0], device), 0.0)
    check_grad(lambda a: a.masked_fill(make(mask_array, device), 0.5), [A34], device)
    check_grad(lambda a: a.masked_select(make(mask_array, device)), [A34], device)
    check_grad(lambda a, v: a.masked_fill(make(mask_array, device), v), [A34, np.array(0.3)], device)


def test_scatter(device):
    index_array = np.array([[0, 1, 2, 0], [2, 0, 0, 1]])
    src_array = np.arange(8.0).reshape(2, 4) + 10
    expected = np.zeros((3, 4))
    for i in range(2):
        for j in range(4):
            expected[index_array[i, j], j] = src_array[i, j]
    zeros = pg.zeros(3, 4, device=device)
    result = pg.scatter(zeros, 0, make(index_array, device), make(src_array, device, pg.float32))
    np.testing.assert_allclose(host(result), expected)
    filled = zeros.scatter(0, make(index_array, device), 7.0)
    np.testing.assert_allclose(host(filled), np.where(expected != 0, 7.0, 0.0))
    target = pg.zeros(3, 4, device=device)
    assert target.scatter_(0, make(index_array, device), make(src_array, device, pg.float32)) is target
    np.testing.assert_allclose(host(target), expected)
    added = pg.zeros(3, 4, device=device)
    added.scatter_add_(0, make(index_array, device), make(src_array, device, pg.float32))
    np.testing.assert_allclose(host(added), expected)  # no repeated positions in one column
    summed = pg.ones(3, device=device).scatter(0, make([0, 0, 2], device), make([1.0, 2.0, 3.0], device),
                                               reduce="add")
    assert host(summed).tolist() == [4.0, 1.0, 4.0]
    with pytest.raises(IndexError, match="index 3"):
        zeros.scatter(0, make([[3, 0, 0, 0]], device), 1.0)
    with pytest.raises(RuntimeError, match="dtype"):
        zeros.scatter(0, make([[0, 0, 0, 0]], device), make([[1, 2, 3, 4]], device))
    unique_index = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    check_grad(lambda a, s: a.scatter(0, make(unique_index, device), s), [A34, src_array], device)


def test_take_take_along_dim(device):
    x = make(A34, device)
    np.testing.assert_allclose(host(pg.take(x, make([[0, 11], [-1, 5]], device))),
                               np.take(A34, [[0, 11], [-1, 5]]), rtol=1e-6)
    with pytest.raises(IndexError, match="12"):
        x.take(make([12], device))
    order = np.argsort(A34, 1)
    np.testing.assert_allclose(host(pg.take_along_dim(x, make(order, device), 1)),
                               np.take_along_axis(A34, order, 1), rtol=1e-6)
    np.testing.assert_allclose(host(x.take_along_dim(make([[0], [1], [2]], device), dim=1)), A34[:, [0, 1, 2]][
        np.arange(3), np.arange(3)][:, None], rtol=1e-6)
    broadcast = pg.take_along_dim(x, make([[0, 3]], device), 1)
    np.testing.assert_allclose(host(broadcast), A34[:, [0, 3]], rtol=1e-6)
    np.testing.assert_allclose(host(pg.take_along_dim(x, make([11, 0], device))), A34.reshape(-1)[[11, 0]],
                               rtol=1e-6)
    check_grad(lambda a: a.take(make([[0, 11], [0, 5]], device)), [A34], device)
    check_grad(lambda a: pg.take_along_dim(a, make(order, device), 1), [A34], device)


def test_index_add_copy_fill(device):
    x = make(A34, device)
    source = make(B34[:2], device)
    index = make([2, 2], device)
    expected = A34.copy()
    np.add.at(expected, [2, 2], B34[:2])
    np.testing.assert_allclose(host(pg.index_add(x, 0, index, source)), expected, rtol=1e-5)
    expected_alpha = A34.copy()
    np.add.at(expected_alpha, (slice(None), [0, 3]), 2 * B34[:, :2])
    np.testing.assert_allclose(host(x.index_add(1, make([0, 3], device), make(B34[:, :2], device), alpha=2)),
                               expected_alpha, rtol=1e-5)
    copied = x.index_copy(0, make([1, 0], device), source)
    np.testing.assert_allclose(host(copied), np.concatenate([B34[1:2], B34[0:1], A34[2:]]), rtol=1e-6)
    filled = x.index_fill(1, make([1], device), 9.0)
    assert (host(filled)[:, 1] == 9).all()
    y = x.clone()
    assert y.index_add_(0, index, source) is y
    np.testing.assert_allclose(host(y), expected, rtol=1e-5)
    with pytest.raises(IndexError, match="3"):
        x.index_add(0, make([3], device), make(B34[:1], device))
    check_grad(lambda a, s: a.index_add(0, make([2, 2], device), s), [A34, B34[:2]], device)
    check_grad(lambda a, s: a.index_copy(0, make([1, 0], device), s), [A34, B34[:2]], device)


# ---- einsum -------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("i,i->", [(4,), (4,)]),
    ("ij,kj,k->i", [(2, 3), (4, 3), (4,)]),
    ("ba", [(3, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[case[0] for case in EINSUM_CASES])
def test_einsum_values_and_gradients(device, equation, shapes):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    result = pg.einsum(equation, *[make(a, device, pg.float64) for a in arrays])
    np.testing.assert_allclose(host(result), np.einsum(equation, *arrays), rtol=1e-12, atol=1e-12)
    assert result.dtype == pg.float64
    check_grad(lambda *ts: pg.einsum(equation, *ts), arrays, device)


def test_einsum_forms_and_errors(device):
    a = make(A34, device)
    np.testing.assert_allclose(host(pg.einsum("ij->ji", [a])), A34.T, rtol=1e-6)
    np.testing.assert_allclose(host(pg.einsum("i j , j -> i", a, make(B34[0], device))), A34 @ B34[0],
                               rtol=1e-5)
    broadcast = pg.einsum("ij,ij->ij", a, make(B34[:1], device))
    np.testing.assert_allclose(host(broadcast), A34 * B34[:1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="size"):
        pg.einsum("ij,jk->ik", a, a)
    with pytest.raises(ValueError, match="operands"):
        pg.einsum("ij,jk->ik", a)


# ---- interop and helpers ------------------------------------------------------------------
def test_interop_helpers(device):
    x = make([[1.5, 2.0], [3.0, 4.0]], device)
    np.testing.assert_array_equal(np.asarray(x), [[1.5, 2.0], [3.0, 4.0]])
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert float(x[0, 0]) == 1.5 and int(x[0, 0]) == 1 and bool(x[1, 1]) is True
    assert len(x) == 2 and [host(row).tolist() for row in x] == [[1.5, 2.0], [3.0, 4.0]]
    assert pg.is_tensor(x) and not pg.is_tensor(np.zeros(2)) and pg.numel(x) == 4
    assert x.type() == ("plexgrad.FloatTensor" if device == "cpu" else f"plexgrad.{device}.FloatTensor")
    assert x.type(pg.float64).dtype == pg.float64
    assert x.type("torch.LongTensor").dtype == pg.int64
    assert isinstance(pg.cuda.is_available(), bool)
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_ones(2).dtype == pg.float32
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == pg.float32
    assert x.new_empty(3).device == x.device and x.new_zeros(1).device == x.device
    legacy = pg.FloatTensor([1, 2])
    assert legacy.dtype == pg.float32 and pg.LongTensor(2, 3).shape == (2, 3)
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_dlpack_round_trip():
    array = np.arange(6.0).reshape(2, 3)
    tensor = pg.from_dlpack(array)
    assert tensor.dtype == pg.float64 and tensor.device.type == "cpu"
    array[0, 0] = 9.0
    assert float(tensor[0, 0]) == 9.0  # shares memory
    back = np.from_dlpack(tensor)
    np.testing.assert_array_equal(back, array)


def test_dtype_misuse_messages(device):
    floats = make([1.0, 2.0], device)
    with pytest.raises(TypeError, match="float32"):
        floats & floats
    with pytest.raises(RuntimeError, match="float32"):
        pg.bitwise_and(floats, floats)
    with pytest.raises(IndexError, match="float32"):
        floats[make([0.0], device)]
    with pytest.raises(RuntimeError, match="float32"):
        pg.gather(floats, 0, make([0.0], device))


def test_gather_scatter_add_bounds_on_every_backend(device):
    x = make([1.0, 2.0, 3.0], device)
    with pytest.raises(IndexError, match="7"):
        pg.gather(x, 0, make([7], device))
    with pytest.raises(IndexError, match="7"):
        pg.scatter_add(x, 0, make([7], device), x)
    # negative positions are errors too (numpy would wrap them, jax would clamp them)
    with pytest.raises(IndexError, match="-1"):
        pg.gather(x, 0, make([-1], device))
    with pytest.raises(IndexError, match="-1"):
        pg.scatter_add(x, 0, make([-1], device), x)


def test_scatter_add_accumulates_repeated_positions_along_any_dim(device):
    """numpy's kernel sums through bincount on flat positions; every dim and repeats must agree with add.at."""
    generator = np.random.default_rng(3)
    base = generator.standard_normal((3, 4, 5))
    for dim, index_shape in ((0, (6, 4, 5)), (1, (3, 7, 2)), (2, (2, 4, 9))):
        index = generator.integers(0, base.shape[dim], index_shape)
        source = generator.standard_normal(index_shape)
        expected = base.copy()
        positions = list(np.indices(index_shape, sparse=True))
        positions[dim] = index
        np.add.at(expected, tuple(positions), source)
        result = pg.scatter_add(make(base, device, pg.float64), dim, make(index, device),
                                make(source, device, pg.float64))
        np.testing.assert_allclose(host(result), expected, rtol=1e-12)


def test_gradients_at_ties_and_zeros_follow_torch(device):
    x = make([2.0, 2.0, 1.0], device, requires_grad=True)
    pg.median(x).backward()  # the global median shares its gradient among equal elements
    assert host(x.grad).tolist() == [0.5, 0.5, 0.0]
    for order in (0.5, 3):
        y = make([0.0, 1.0], device, requires_grad=True)
        pg.norm(y, order).backward()
        assert host(y.grad).tolist() == [0.0, 1.0]
    z = make([1.0, -1.0, 0.5], device, requires_grad=True)
    z.norm(math.inf).backward()
    assert host(z.grad).tolist() == [0.5, -0.5, 0.0]
