"""Traceable ops (issue 8, item 5): no op kernel or derivative rule reads tensor values on the
host, and the checks that must (index bounds) run in eager mode only.

Three kinds of test:

- every row of the table runs under torch and under plexgrad on every installed backend
  (values, gradients of ``sum(outputs * w)``), the zero cases of prod/cumprod included;
- on jax, every row runs forward and backward inside ``jax.jit`` (so each array is an
  abstract tracer: any host read, ``int()``, ``bool()`` or ``numpy.asarray`` of one raises)
  and inside ``skip_host_checks()`` with the backend's ``to_host`` made to raise, and gives
  the eager results.  ``jax.transfer_guard("disallow")`` is no help here: on CPU jax it lets
  device-to-host reads through (the buffer is shared) and refuses the host-to-device
  transfer of every Python scalar operand, so the tracer is the detector;
- outside ``skip_host_checks()``, bad indices still raise torch's error on cpu and jax.
"""

import collections
import importlib.util
import threading

import numpy as np
import pytest
import torch

import plexgrad as pg
from plexgrad.core.host_checks import host_checks_enabled, host_values, skip_host_checks
from plexgrad.core.tensor import make_tensor

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")

RNG = np.random.default_rng(8)
MATRIX = RNG.standard_normal((3, 4))
SQUARE = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
SPD = SQUARE @ SQUARE.T + np.eye(3)
IMAGES = RNG.standard_normal((2, 2, 5, 5))
LOGITS = RNG.standard_normal((4, 5))
TARGETS = np.array([1, 0, 4, 2])
INDEX_2D = np.array([[0, 2, 3], [1, 1, 0], [3, 0, 2]])
INDEX_1D = np.array([2, 0, 3, 3])
WITH_ONE_ZERO = np.array([[1.5, 0.0, -2.0, 0.5], [2.0, 3.0, -1.0, 0.25], [1.0, 2.0, 3.0, 4.0]])
LONG_ROWS = 1 + 0.1 * RNG.standard_normal((2, 37))  # 37: several doubling steps, not a power of 2
LONG_ROWS[0, [5, 20, 21]] = 0.0  # the second row has no zero
WITH_ZEROS = np.array([[0.0, 2.0, 0.0, 3.0], [1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 0.0, 1.0]])

Case = collections.namedtuple("Case", ["name", "function", "inputs"])


def _functional(lib):
    return lib.nn.functional


CASES = [
    # indexing and selection
    Case("getitem_index_tensor", lambda lib, x, i: x[i], [MATRIX, INDEX_1D[:3] % 3]),
    Case("getitem_slice_and_index", lambda lib, x, i: x[1:, i], [MATRIX, INDEX_1D]),
    Case("getitem_negative_index", lambda lib, x, i: x[:, i - 4], [MATRIX, INDEX_1D]),
    Case("index_put", lambda lib, x, v, i: x.index_put((i,), v), [MATRIX, RNG.standard_normal((2, 4)),
                                                                  np.array([2, 0])]),
    Case("index_put_accumulate", lambda lib, x, v, i: x.index_put((i,), v, accumulate=True),
         [MATRIX, RNG.standard_normal((3, 4)), np.array([2, 0, 2])]),
    Case("setitem_index_tensor", lambda lib, x, v, i: _setitem(x, i, v), [MATRIX, RNG.standard_normal((2, 4)),
                                                                           np.array([1, 2])]),
    Case("gather", lambda lib, x, i: x.gather(1, i), [MATRIX, INDEX_2D]),
    Case("scatter", lambda lib, x, s, i: x.scatter(1, i, s), [MATRIX, RNG.standard_normal((3, 3)),
                                                              np.array([[0, 2, 3], [1, 3, 0], [3, 0, 2]])]),
    Case("scatter_add", lambda lib, x, s, i: x.scatter_add(1, i, s), [MATRIX, RNG.standard_normal((3, 3)),
                                                                      INDEX_2D]),
    Case("index_select", lambda lib, x, i: x.index_select(1, i), [MATRIX, INDEX_1D]),
    Case("take", lambda lib, x, i: lib.take(x, i), [MATRIX, INDEX_2D * 3 + 1]),
    Case("take_along_dim", lambda lib, x, i: lib.take_along_dim(x, i, 1), [MATRIX, INDEX_2D]),
    Case("index_add", lambda lib, x, s, i: x.index_add(1, i, s), [MATRIX, RNG.standard_normal((3, 4)),
                                                                  INDEX_1D]),
    Case("index_copy", lambda lib, x, s, i: x.index_copy(0, i, s), [MATRIX, RNG.standard_normal((2, 4)),
                                                                    np.array([2, 0])]),
    Case("index_fill", lambda lib, x, i: x.index_fill(1, i, 0.5), [MATRIX, INDEX_1D]),
    Case("masked_fill", lambda lib, x: x.masked_fill(x > 0.3, -1.0), [MATRIX]),
    Case("embedding", lambda lib, w, i: _functional(lib).embedding(i, w), [MATRIX, INDEX_2D % 3]),
    Case("embedding_padding_idx", lambda lib, w, i: _functional(lib).embedding(i, w, padding_idx=1),
         [MATRIX, INDEX_2D % 3]),
    # products and running products, with and without zeros
    Case("prod_all", lambda lib, x: x.prod(), [MATRIX]),
    Case("prod_all_one_zero", lambda lib, x: x.prod(), [WITH_ONE_ZERO]),
    Case("prod_all_zeros", lambda lib, x: x.prod(), [WITH_ZEROS]),
    Case("prod_dim_zeros", lambda lib, x: x.prod(1), [WITH_ZEROS]),
    Case("prod_dim0_keepdim_zeros", lambda lib, x: x.prod(0, keepdim=True), [WITH_ZEROS]),
    Case("prod_dim_one_zero", lambda lib, x: x.prod(-1), [WITH_ONE_ZERO]),
    Case("cumprod", lambda lib, x: x.cumprod(1), [MATRIX]),
    Case("cumprod_zeros", lambda lib, x: x.cumprod(1), [WITH_ZEROS]),
    Case("cumprod_dim0_zeros", lambda lib, x: x.cumprod(0), [WITH_ZEROS]),
    # extremes, order statistics, sorting
    Case("max_dim", lambda lib, x: tuple(x.max(1)), [MATRIX]),
    Case("min_dim_keepdim", lambda lib, x: tuple(x.min(0, keepdim=True)), [MATRIX]),
    Case("amax", lambda lib, x: x.amax(1), [MATRIX]),
    Case("max_all", lambda lib, x: x.max(), [MATRIX]),
    Case("argmax", lambda lib, x: (x.argmax(1), x.argmin()), [MATRIX]),
    Case("median_dim", lambda lib, x: tuple(x.median(1)), [MATRIX]),
    Case("median_all", lambda lib, x: x.median(), [MATRIX]),
    Case("kthvalue", lambda lib, x: tuple(x.kthvalue(2, 1)), [MATRIX]),
    Case("sort", lambda lib, x: tuple(x.sort(1)), [MATRIX]),
    Case("sort_descending", lambda lib, x: tuple(x.sort(0, descending=True)), [MATRIX]),
    Case("argsort", lambda lib, x: x.argsort(1), [MATRIX]),
    Case("topk", lambda lib, x: tuple(x.topk(2, 1)), [MATRIX]),
    Case("topk_smallest", lambda lib, x: tuple(x.topk(2, 0, largest=False)), [MATRIX]),
    # norms and statistics
    Case("vector_norm_2", lambda lib, x: lib.linalg.vector_norm(x, 2, dim=1), [MATRIX]),
    Case("vector_norm_1", lambda lib, x: lib.linalg.vector_norm(x, 1), [MATRIX]),
    Case("vector_norm_inf", lambda lib, x: lib.linalg.vector_norm(x, float("inf"), dim=0), [MATRIX]),
    Case("vector_norm_3", lambda lib, x: lib.linalg.vector_norm(x, 3, dim=(0, 1)), [MATRIX]),
    Case("vector_norm_at_zero", lambda lib, x: lib.linalg.vector_norm(x * 0, 2, dim=1), [MATRIX]),
    Case("matrix_norm_fro", lambda lib, x: lib.linalg.matrix_norm(x), [MATRIX]),
    Case("matrix_norm_nuc", lambda lib, x: lib.linalg.matrix_norm(x, "nuc"), [MATRIX]),
    Case("matrix_norm_2", lambda lib, x: lib.linalg.matrix_norm(x, 2), [MATRIX]),
    Case("matrix_norm_inf", lambda lib, x: lib.linalg.matrix_norm(x, float("inf")), [MATRIX]),
    Case("linalg_norm", lambda lib, x: lib.linalg.norm(x), [MATRIX]),
    Case("torch_norm", lambda lib, x: lib.norm(x, p=3, dim=1), [MATRIX]),
    Case("dist", lambda lib, x, y: lib.dist(x, y), [MATRIX, MATRIX[::-1].copy()]),
    Case("var_std", lambda lib, x: (x.var(1), x.std(0)), [MATRIX]),
    # linalg
    Case("inv", lambda lib, a: lib.linalg.inv(a), [SQUARE]),
    Case("det", lambda lib, a: lib.linalg.det(a), [SQUARE]),
    Case("slogdet", lambda lib, a: tuple(lib.linalg.slogdet(a)), [SQUARE]),
    Case("logdet", lambda lib, a: lib.logdet(a), [SPD]),
    Case("solve", lambda lib, a, b: lib.linalg.solve(a, b), [SQUARE, MATRIX]),
    Case("solve_vector", lambda lib, a, b: lib.linalg.solve(a, b), [SQUARE, MATRIX[:, 0].copy()]),
    Case("svdvals", lambda lib, a: lib.linalg.svdvals(a), [MATRIX]),
    Case("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(a), [SPD]),
    Case("matrix_power", lambda lib, a: lib.linalg.matrix_power(a, 3), [SQUARE]),
    Case("matrix_power_negative", lambda lib, a: lib.linalg.matrix_power(a, -2), [SQUARE]),
    Case("multi_dot", lambda lib, a, b: lib.linalg.multi_dot([a, a, b]), [SQUARE, MATRIX]),
    Case("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b), [MATRIX, MATRIX[::-1].copy()]),
    Case("matmul", lambda lib, a, b: lib.linalg.matmul(a, b), [SQUARE, MATRIX]),
    # forward only in plexgrad (signs of singular/eigen vectors are not unique: compare magnitudes)
    Case("svd", lambda lib, a: _no_grad(lib, lambda: _abs_all(lib.linalg.svd(a, full_matrices=False))), [MATRIX]),
    Case("qr", lambda lib, a: _no_grad(lib, lambda: _abs_all(lib.linalg.qr(a))), [MATRIX.T.copy()]),
    Case("cholesky", lambda lib, a: _no_grad(lib, lambda: lib.linalg.cholesky(a)), [SPD]),
    Case("eigh", lambda lib, a: _no_grad(lib, lambda: _abs_all(lib.linalg.eigh(a))), [SPD]),
    # losses and pooling
    Case("cross_entropy", lambda lib, x, t: _functional(lib).cross_entropy(x, t), [LOGITS, TARGETS]),
    Case("cross_entropy_sum", lambda lib, x, t: _functional(lib).cross_entropy(x, t, reduction="sum"),
         [LOGITS, TARGETS]),
    Case("cross_entropy_ignore_index", lambda lib, x, t: _functional(lib).cross_entropy(x, t, ignore_index=4),
         [LOGITS, TARGETS]),
    Case("cross_entropy_weight_smoothing", lambda lib, x, w, t: _functional(lib).cross_entropy(
        x, t, weight=w.detach().abs(), label_smoothing=0.1), [LOGITS, RNG.standard_normal(5), TARGETS]),
    Case("cross_entropy_none", lambda lib, x, t: _functional(lib).cross_entropy(x, t, reduction="none"),
         [LOGITS, TARGETS]),
    Case("nll_loss", lambda lib, x, t: _functional(lib).nll_loss(x.log_softmax(1), t), [LOGITS, TARGETS]),
    Case("max_pool2d", lambda lib, x: _functional(lib).max_pool2d(x, 2), [IMAGES]),
    Case("max_pool2d_indices", lambda lib, x: tuple(_functional(lib).max_pool2d(x, 3, 1, 1, return_indices=True)),
         [IMAGES]),
    Case("max_pool1d", lambda lib, x: _functional(lib).max_pool1d(x[0], 2), [IMAGES]),
    Case("avg_pool2d", lambda lib, x: _functional(lib).avg_pool2d(x, 2), [IMAGES]),
    # the rest of a training step
    Case("mlp_step", lambda lib, x, w1, b1, w2, t: _functional(lib).cross_entropy(
        _functional(lib).linear(_functional(lib).relu(_functional(lib).linear(x, w1, b1)), w2), t),
        [RNG.standard_normal((4, 3)), RNG.standard_normal((6, 3)), RNG.standard_normal(6),
         RNG.standard_normal((5, 6)), TARGETS]),
    Case("conv2d", lambda lib, x, w, b: _functional(lib).conv2d(x, w, b, stride=1, padding=1),
         [IMAGES, RNG.standard_normal((3, 2, 3, 3)), RNG.standard_normal(3)]),
    Case("batch_norm_train", lambda lib, x, w, b: _functional(lib).batch_norm(
        x, None, None, w, b, training=True), [IMAGES, RNG.standard_normal(2), RNG.standard_normal(2)]),
    Case("layer_norm", lambda lib, x, w, b: _functional(lib).layer_norm(x, (4,), w, b),
         [MATRIX, RNG.standard_normal(4), RNG.standard_normal(4)]),
    Case("softmax_family", lambda lib, x: (x.softmax(1), x.log_softmax(0), x.logsumexp(1)), [MATRIX]),
    Case("activations", lambda lib, x: (_functional(lib).gelu(x), x.sigmoid(), x.tanh(), _functional(lib).silu(x),
                                        _functional(lib).leaky_relu(x, 0.1), _functional(lib).elu(x)), [MATRIX]),
    Case("where_clamp", lambda lib, x, y: (lib.where(x > y, x, y), x.clamp(-0.5, 0.5), lib.maximum(x, y)),
         [MATRIX, MATRIX[::-1].copy()]),
    Case("losses", lambda lib, x, y: (_functional(lib).mse_loss(x, y), _functional(lib).smooth_l1_loss(x, y),
                                      _functional(lib).binary_cross_entropy(x.sigmoid(), y.sigmoid()),
                                      _functional(lib).binary_cross_entropy_with_logits(x, y.sigmoid())),
         [MATRIX, MATRIX[::-1].copy()]),
    Case("shape_ops", lambda lib, x: (x.flip(0), x.repeat(2, 1), x.t().reshape(2, 6),
                                      lib.cat([x, x], 1), lib.stack([x, x]), x.cumsum(0),
                                      _functional(lib).pad(x, (1, 2))), [MATRIX]),
    Case("einsum", lambda lib, a, b: lib.einsum("ij,kj->ik", a, b), [MATRIX, MATRIX[::-1].copy()]),
    Case("views_and_in_place", lambda lib, x: _views_and_in_place(x), [MATRIX]),
]


def _views_and_in_place(x):
    y = x * 1
    y[1:].mul_(2)
    y[:, ::2].add_(1)
    y[::2, 1].sub_(0.5)
    return y.t()[1:]


def _setitem(x, index, value):
    result = x.clone()
    result[index] = value
    return result


def _abs_all(outputs):
    return tuple(output.abs() for output in outputs)


def _no_grad(lib, function):
    with lib.no_grad():
        return function()


# ---- running a case -----------------------------------------------------------------------
def _outputs(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


def _weights(outputs):
    rng = np.random.default_rng(3)
    return [rng.standard_normal(tuple(output.shape)) for output in outputs]


def _run_torch(case):
    tensors = [torch.tensor(array, requires_grad=array.dtype.kind == "f") for array in case.inputs]
    outputs = _outputs(case.function(torch, *tensors))
    return _values_and_grads(torch, tensors, outputs, lambda w, like: torch.tensor(w, dtype=like.dtype),
                             lambda t: t.detach().numpy())


def _run_plexgrad(case, device):
    tensors = [pg.tensor(array, device=device, requires_grad=array.dtype.kind == "f") for array in case.inputs]
    outputs = _outputs(case.function(pg, *tensors))
    return _values_and_grads(pg, tensors, outputs, lambda w, like: pg.tensor(w, dtype=like.dtype, device=device),
                             lambda t: np.asarray(t.detach()))


def _values_and_grads(lib, tensors, outputs, make_weight, to_numpy):
    """Output values, and the gradients of ``sum(output * w)`` over the floating outputs."""
    values = [to_numpy(output) for output in outputs]
    differentiable = [t for t in tensors if t.requires_grad]
    terms = [(output * make_weight(weight, output)).sum() for output, weight in zip(outputs, _weights(outputs))
             if output.is_floating_point() and output.requires_grad]
    if not terms:
        return values, None
    grads = lib.autograd.grad(sum(terms), differentiable, allow_unused=True)
    return values, [None if g is None else to_numpy(g) for g in grads]


def _assert_same(expected, found, name):
    expected_values, expected_grads = expected
    found_values, found_grads = found
    assert len(expected_values) == len(found_values), name
    for want, got in zip(expected_values, found_values):
        assert got.shape == want.shape, (name, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=name)
    assert (expected_grads is None) == (found_grads is None), name
    for want, got in zip(expected_grads or (), found_grads or ()):
        if want is None:  # torch gives no gradient: plexgrad gives none or zeros
            assert got is None or not np.any(got), name
            continue
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=f"{name} gradient")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_values_and_gradients_match_torch(device, case):
    _assert_same(_run_torch(case), _run_plexgrad(case, device), case.name)


# ---- traced: no host reads ------------------------------------------------------------------
class HostRead(AssertionError):
    pass


@pytest.fixture
def forbid_host_reads(monkeypatch):
    """The jax backend's ``to_host`` raises: no plexgrad code may bring device values to the host."""
    backend = pg.zeros(1, device="jax")._backend()

    def refuse(array):
        raise HostRead(f"to_host called on a jax array of shape {getattr(array, 'shape', None)} inside "
                       "skip_host_checks()")
    monkeypatch.setattr(backend, "to_host", refuse)
    return backend


@needs_jax
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_eager_backward_reads_no_values(case, monkeypatch):
    """Eager mode on jax: the forward checks indices on the host, then backward (the derivative rules,
    the fused kernels' rules among them) and double backward read nothing."""
    import jax._src.array as jax_array
    tensors = [pg.tensor(array, device="jax", requires_grad=array.dtype.kind == "f") for array in case.inputs]
    outputs = [output for output in _outputs(case.function(pg, *tensors))
               if output.is_floating_point() and output.requires_grad]
    if not outputs:
        pytest.skip("no differentiable output")
    differentiable = [t for t in tensors if t.requires_grad]
    weights = [pg.tensor(w, device="jax") for w in _weights(outputs)]

    def refuse(*args, **kwargs):
        raise HostRead("a derivative rule read a device value on the host")
    monkeypatch.setattr(tensors[0]._backend(), "to_host", refuse)
    monkeypatch.setattr(jax_array.ArrayImpl, "_value", property(refuse))  # item(), int(), bool(), float()
    loss = sum((output * weight).sum() for output, weight in zip(outputs, weights))
    pg.autograd.grad(loss, differentiable, retain_graph=True, allow_unused=True)  # the first-order rules
    grads = pg.autograd.grad(loss, differentiable, create_graph=True, allow_unused=True)
    used = [g for g in grads if g is not None and g.requires_grad]
    if used:
        pg.autograd.grad(sum((g * g).sum() for g in used), differentiable, allow_unused=True)


def _run_traced(case):
    """The case as one jitted program of jax arrays: every plexgrad tensor inside holds a tracer."""
    import jax
    eager = [pg.tensor(array, device="jax") for array in case.inputs]

    def program(*arrays):
        tensors = [make_tensor(array, like.dtype, like.device) for array, like in zip(arrays, eager)]
        for tensor in tensors:
            if tensor.is_floating_point():
                tensor.requires_grad_(True)
        outputs = _outputs(case.function(pg, *tensors))
        values, grads = _values_and_grads(
            pg, tensors, outputs, lambda w, like: pg.tensor(w, dtype=like.dtype, device="jax"), lambda t: t._data)
        return values, grads

    # a whole traced program is lowered after its kernels returned: like the jax backend's kernels,
    # it runs with 64-bit types on (for this thread only), else int64 results lower as int32
    with skip_host_checks(), jax.enable_x64(True):
        values, grads = jax.jit(program)(*[t._data for t in eager])
    to_numpy = np.asarray
    return [to_numpy(v) for v in values], None if grads is None else [None if g is None else to_numpy(g)
                                                                        for g in grads]


@needs_jax
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_forward_and_backward_trace_without_host_reads(case, forbid_host_reads, monkeypatch):
    traced = _run_traced(case)
    monkeypatch.undo()  # the eager run below checks indices on the host, as it should
    _assert_same(_run_plexgrad(case, "jax"), traced, case.name)


def test_tracing_without_skip_stops_at_the_index_check():
    """The detector works: without skip_host_checks the eager bounds check reads the tracer and fails."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    import jax
    case = next(case for case in CASES if case.name == "gather")
    eager = [pg.tensor(array, device="jax") for array in case.inputs]

    def program(x, index):
        return case.function(pg, make_tensor(x, eager[0].dtype, eager[0].device),
                             make_tensor(index, eager[1].dtype, eager[1].device))._data
    with pytest.raises(jax.errors.TracerArrayConversionError), jax.enable_x64(True):
        jax.jit(program)(*[t._data for t in eager])


# ---- eager mode: the checks stay as strict as before ---------------------------------------
BAD_INDEX = [
    ("getitem", lambda lib, x: x[lib.tensor([5])]),
    ("getitem_negative", lambda lib, x: x[lib.tensor([-4])]),
    ("getitem_second_dim", lambda lib, x: x[:, lib.tensor([0, 4])]),
    ("gather", lambda lib, x: x.gather(1, lib.tensor([[4]] * 3))),
    ("gather_negative", lambda lib, x: x.gather(1, lib.tensor([[-1]] * 3))),
    ("index_select", lambda lib, x: x.index_select(1, lib.tensor([4]))),
    ("take", lambda lib, x: lib.take(x, lib.tensor([12]))),
    ("scatter", lambda lib, x: x.scatter(1, lib.tensor([[4]] * 3), 1.0)),
    ("scatter_add", lambda lib, x: x.scatter_add(1, lib.tensor([[4]] * 3), lib.ones(3, 1, dtype=x.dtype))),
    ("index_add", lambda lib, x: x.index_add(1, lib.tensor([4]), lib.ones(3, 1, dtype=x.dtype))),
    ("index_copy", lambda lib, x: x.index_copy(1, lib.tensor([4]), lib.ones(3, 1, dtype=x.dtype))),
    ("index_fill", lambda lib, x: x.index_fill(1, lib.tensor([4]), 1.0)),
    ("index_put", lambda lib, x: x.index_put((lib.tensor([3]),), lib.tensor(1.0, dtype=x.dtype))),
    ("setitem", lambda lib, x: x.__setitem__(lib.tensor([3]), 1.0)),
    ("embedding", lambda lib, x: _functional(lib).embedding(lib.tensor([3]), x)),
    ("cross_entropy", lambda lib, x: _functional(lib).cross_entropy(x, lib.tensor([0, 1, 4]))),
]


@pytest.mark.parametrize("name, function", BAD_INDEX, ids=[name for name, _ in BAD_INDEX])
def test_bad_indices_raise_as_in_torch_in_eager_mode(device, name, function):
    with pytest.raises(Exception) as expected:
        function(torch, torch.tensor(MATRIX[:, :4]))
    x = pg.tensor(MATRIX[:, :4], device=device)
    with pytest.raises(IndexError) as found:  # on jax a skipped check would clamp: a silent wrong answer
        function(pg, x)
    assert isinstance(found.value, type(expected.value)), (found.value, expected.value)
    assert "out of" in str(found.value), found.value


def test_take_along_dim_refuses_bad_indices(device):
    # torch 2.x on the CPU reads out of bounds here without an error; plexgrad refuses
    with pytest.raises(IndexError, match="out of bounds"):
        pg.take_along_dim(pg.tensor(MATRIX, device=device), pg.tensor([[4]] * 3, device=device), 1)


# ---- the switch ---------------------------------------------------------------------------
def test_switch_is_on_by_default_nests_and_decorates():
    assert host_checks_enabled()
    with skip_host_checks():
        assert not host_checks_enabled()
        with skip_host_checks():
            assert not host_checks_enabled()
        assert not host_checks_enabled()
        assert host_values(pg.tensor([1, 2])) is None
    assert host_checks_enabled()
    np.testing.assert_array_equal(host_values(pg.tensor([1, 2])), [1, 2])

    @skip_host_checks()
    def inside():
        return host_checks_enabled()
    assert inside() is False and host_checks_enabled()
    with pytest.raises(ValueError):
        with skip_host_checks():
            raise ValueError("leaving by an error restores the switch")
    assert host_checks_enabled()


def test_switch_is_per_thread():
    seen = {}

    def worker():
        seen["enabled"] = host_checks_enabled()
        try:  # the other thread's skip_host_checks does not let a bad index through here
            pg.zeros(3)[pg.tensor([5])]
        except IndexError:
            seen["raised"] = True
    with skip_host_checks():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not host_checks_enabled()
    assert seen == {"enabled": True, "raised": True}


def test_one_switch_entered_by_two_threads_restores_each_thread():
    """A shared ``skip_host_checks()`` instance gives each thread back its own setting, whatever
    order the threads leave in (the second thread entered with the checks already off)."""
    shared = skip_host_checks()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():  # enters with the checks on, leaves first
        with shared:
            first_in.set()
            assert second_in.wait(30)
        first_out.set()
        seen["first"] = host_checks_enabled()

    def second():  # enters with the checks off, leaves last
        with skip_host_checks():
            assert first_in.wait(30)
            with shared:
                second_in.set()
                assert first_out.wait(30)
            seen["second"] = host_checks_enabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert seen == {"first": True, "second": False}


def test_cpu_check_is_skipped_inside_the_switch():
    # a tracer takes the engine's semantics for bad input: here numpy's own IndexError for getitem,
    # and gather's negative index is not refused by the core any more
    x = pg.tensor(MATRIX)
    with skip_host_checks():
        result = x.gather(1, pg.tensor([[-1]] * 3))
    assert result.shape == (3, 1)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.gather(1, pg.tensor([[-1]] * 3))


# ---- double backward of the zero-aware rules against torch -----------------------------------
DOUBLE_BACKWARD = [
    ("prod_all", lambda x: x.prod(), WITH_ONE_ZERO),
    ("prod_all_zeros", lambda x: x.prod(), WITH_ZEROS),
    ("prod_dim_zeros", lambda x: x.prod(1), WITH_ZEROS),
    ("prod_dim0_one_zero", lambda x: x.prod(0, keepdim=True), WITH_ONE_ZERO),
    ("cumprod", lambda x: x.cumprod(1), MATRIX),
    ("cumprod_zeros", lambda x: x.cumprod(1), WITH_ZEROS),
    ("cumprod_dim0_zeros", lambda x: x.cumprod(0), WITH_ZEROS),
    ("cumprod_long_rows", lambda x: x.cumprod(-1), LONG_ROWS),
]


@pytest.mark.parametrize("name, function, array", DOUBLE_BACKWARD, ids=[name for name, _, _ in DOUBLE_BACKWARD])
def test_double_backward_matches_torch(device, name, function, array):
    results = []
    for lib, make in ((torch, lambda a: torch.tensor(a)), (pg, lambda a: pg.tensor(a, device=device))):
        x = make(array)
        x.requires_grad_(True)
        output = function(x)
        weights = make(_weights([output])[0])
        (first,) = lib.autograd.grad((output * weights).sum(), x, create_graph=True)
        (second,) = lib.autograd.grad((first * make(array[::-1].copy())).sum(), x)
        results.append([np.asarray(first.detach()), np.asarray(second.detach())])
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=name)


@needs_jax
@pytest.mark.parametrize("name, function, array", DOUBLE_BACKWARD, ids=[name for name, _, _ in DOUBLE_BACKWARD])
def test_double_backward_traces(name, function, array, forbid_host_reads):
    import jax

    like = pg.tensor(array, device="jax")

    def program(data):
        x = make_tensor(data, like.dtype, like.device)
        x.requires_grad_(True)
        (first,) = pg.autograd.grad(function(x).sum(), x, create_graph=True)
        (second,) = pg.autograd.grad((first * first).sum(), x)
        return first._data, second._data
    with skip_host_checks(), jax.enable_x64(True):
        first, second = jax.jit(program)(like._data)
    x = pg.tensor(array, device="jax", requires_grad=True)
    (eager_first,) = pg.autograd.grad(function(x).sum(), x, create_graph=True)
    (eager_second,) = pg.autograd.grad((eager_first * eager_first).sum(), x)
    np.testing.assert_allclose(np.asarray(first), eager_first._data, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(np.asarray(second), eager_second._data, rtol=1e-12, err_msg=name)
