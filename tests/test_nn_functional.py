"""plexgrad.nn.functional on every backend against numpy references (values and gradients)."""

import math

import numpy as np
import pytest

import plexgrad
import plexgrad.nn.functional as F
from nn_reference import check_function, leaf, numeric_gradient, rng, to_numpy

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def _softmax(x, dim):
    shifted = np.exp(x - x.max(axis=dim, keepdims=True))
    return shifted / shifted.sum(axis=dim, keepdims=True)


def _log_softmax(x, dim):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# (name, plexgrad function, numpy reference); inputs avoid the kinks where numeric derivatives are undefined
ACTIVATIONS = [
    ("relu", F.relu, lambda x: np.maximum(x, 0)),
    ("relu6", F.relu6, lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    ("celu", lambda x: F.celu(x, 0.5), lambda x: np.maximum(x, 0) + np.minimum(0, 0.5 * np.expm1(x / 0.5))),
    ("selu", F.selu, lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x))),
    ("gelu", F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", F.silu, lambda x: x * _sigmoid(x)),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("sigmoid", F.sigmoid, _sigmoid),
    ("tanh", F.tanh, np.tanh),
    ("softplus", F.softplus, _softplus),
    ("softplus_beta", lambda x: F.softplus(x, 2.0, 3.0), lambda x: _softplus(x, 2.0, 3.0)),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    ("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("logsigmoid", F.logsigmoid, lambda x: np.log(_sigmoid(x))),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x))),
    ("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x)),
    ("threshold", lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
    ("erf", F.erf, _erf),
    ("softmax0", lambda x: F.softmax(x, 0), lambda x: _softmax(x, 0)),
    ("softmax1", lambda x: F.softmax(x, dim=-1), lambda x: _softmax(x, -1)),
    ("softmin", lambda x: F.softmin(x, 1), lambda x: _softmax(-x, 1)),
    ("log_softmax", lambda x: F.log_softmax(x, 1), lambda x: _log_softmax(x, 1)),
    ("log_softmax0", lambda x: F.log_softmax(x, 0), lambda x: _log_softmax(x, 0)),
    ("logsumexp", lambda x: F.logsumexp(x, 1), lambda x: np.log(np.exp(x).sum(1))),
    ("logsumexp_keep", lambda x: plexgrad.nn.functional.logsumexp(x, (0, 1), True),
     lambda x: np.log(np.exp(x).sum(keepdims=True))),
    ("glu", lambda x: F.glu(x, 1), lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
    ("normalize", F.normalize, lambda x: x / np.maximum(np.sqrt((x ** 2).sum(1, keepdims=True)), 1e-12)),
]


def _smooth_input(shape=(3, 4), scale=2.0, seed=0):
    values = rng(seed).standard_normal(shape) * scale
    values[np.abs(values) < 0.05] += 0.2  # away from 0, where several of these have kinks
    for kink in (0.3, -0.5, 1.5, 3.0, -3.0):
        values[np.abs(values - kink) < 0.05] += 0.1
    return values


@pytest.mark.parametrize("name,function,reference", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values_and_gradients(device, name, function, reference):
    check_function(function, reference, [_smooth_input()], device)


@pytest.mark.parametrize("name,function", [("relu", F.relu), ("leaky", lambda x: F.leaky_relu(x, 0.1)),
                                           ("elu", lambda x: F.elu(x, 2.0)), ("hardtanh", F.hardtanh),
                                           ("softplus", F.softplus), ("gelu", F.gelu), ("silu", F.silu)])
def test_gradients_at_kinks_follow_torch(device, name, function):
    x = leaf([0.0, -1.0, 1.0], device)
    function(x).sum().backward()
    expected = {"relu": [0.0, 0.0, 1.0], "leaky": [0.1, 0.1, 1.0], "elu": [2.0, 2.0 * math.exp(-1), 1.0],
                "hardtanh": [1.0, 0.0, 0.0], "softplus": [0.5, _sigmoid(-1.0), _sigmoid(1.0)],
                "gelu": [0.5, None, None], "silu": [0.5, None, None]}[name]
    got = to_numpy(x.grad)
    for value, wanted in zip(got, expected):
        if wanted is not None:
            assert value == pytest.approx(wanted, rel=1e-9, abs=1e-12)


def test_erf_is_accurate_in_float64(device):
    grid = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-300, -1e-10, 30.0, -40.0]])
    got = to_numpy(F.erf(leaf(grid, device, requires_grad=False)))
    np.testing.assert_allclose(got, _erf(grid), rtol=5e-15, atol=1e-16)
    assert np.isnan(to_numpy(F.erf(leaf([np.nan], device, requires_grad=False)))).all()
    infinite = to_numpy(F.erf(leaf([np.inf, -np.inf], device, requires_grad=False)))
    np.testing.assert_array_equal(infinite, [1.0, -1.0])


def test_erf_keeps_float32_and_promotes_integers(device):
    assert F.erf(plexgrad.ones(2, device=device)).dtype is plexgrad.float32
    assert F.erf(plexgrad.tensor([0, 1], device=device)).dtype is plexgrad.float32


def test_softmax_family_is_stable_for_large_inputs(device):
    x = leaf([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -990.0]], device)
    expected = _log_softmax(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -990.0]]), 1)
    np.testing.assert_allclose(to_numpy(F.log_softmax(x, 1)), expected, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(F.softmax(x, 1)), np.exp(expected), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(F.logsumexp(x, 1)), [1002.4076059644444, -989.9999092042625], rtol=1e-12)
    assert np.isfinite(to_numpy(F.softplus(leaf([800.0, -800.0], device)))).all()


def test_softmax_second_derivative(device):
    values = _smooth_input((2, 3), 1.0)
    x = leaf(values, device)
    weights = rng(3).standard_normal((2, 3))
    (gradient,) = plexgrad.autograd.grad((F.log_softmax(x, 1) * leaf(weights, device, requires_grad=False)).sum(),
                                         x, create_graph=True)
    (gradient * gradient).sum().backward()

    def first_derivative(array):
        p = _softmax(array, 1)
        return weights - p * weights.sum(1, keepdims=True)
    expected = numeric_gradient(lambda a: first_derivative(a) ** 2, [values], 0, np.ones((2, 3)))
    np.testing.assert_allclose(to_numpy(x.grad), expected, rtol=1e-5, atol=1e-7)


def test_softmax_dtype_argument_and_integer_input(device):
    integers = plexgrad.tensor([[1, 2, 3]], device=device)
    with pytest.raises(RuntimeError, match="floating point"):
        F.softmax(integers, 1)
    result = F.softmax(integers, 1, dtype=plexgrad.float64)
    assert result.dtype is plexgrad.float64
    np.testing.assert_allclose(to_numpy(result), _softmax(np.array([[1.0, 2, 3]]), 1))


def test_softmax_without_dim_warns_and_uses_torch_default(device):
    x = leaf(_smooth_input((2, 3)), device)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        result = F.softmax(x)
    np.testing.assert_allclose(to_numpy(result), _softmax(to_numpy(x), 1))


def test_in_place_activations_keep_identity(device):
    x = plexgrad.tensor([-1.0, 2.0], device=device)
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(to_numpy(x), [0.0, 2.0])
    y = plexgrad.tensor([-1.0, 2.0], device=device)
    F.leaky_relu_(y, 0.5)
    np.testing.assert_array_equal(to_numpy(y), [-0.5, 2.0])


def test_linear_and_bilinear(device):
    r = rng(1)
    check_function(F.linear, lambda x, w, b: x @ w.T + b,
                   [r.standard_normal((4, 3)), r.standard_normal((5, 3)), r.standard_normal(5)], device)
    check_function(lambda x, w: F.linear(x, w), lambda x, w: x @ w.T,
                   [r.standard_normal((2, 4, 3)), r.standard_normal((5, 3))], device)
    check_function(F.bilinear, lambda a, b, w, bias: np.einsum("ni,kij,nj->nk", a, w, b) + bias,
                   [r.standard_normal((3, 2)), r.standard_normal((3, 4)), r.standard_normal((5, 2, 4)),
                    r.standard_normal(5)], device)


def test_linear_rejects_mismatched_features(device):
    with pytest.raises(RuntimeError, match="3 features"):
        F.linear(plexgrad.ones(2, 3, device=device), plexgrad.ones(4, 5, device=device))


def _batch_norm_reference(x, weight, bias, eps=1e-5):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    mean = x.mean(axis=dims, keepdims=True)
    variance = x.var(axis=dims, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (2, 3, 2, 2)])
def test_batch_norm_training_values_gradients_and_running_stats(device, shape):
    r = rng(2)
    x = r.standard_normal(shape) * 3 + 1
    weight, bias = r.standard_normal(3), r.standard_normal(3)
    running_mean = plexgrad.zeros(3, dtype=plexgrad.float64, device=device)
    running_var = plexgrad.ones(3, dtype=plexgrad.float64, device=device)
    check_function(lambda a, w, b: F.batch_norm(a, running_mean, running_var, w, b, training=True, momentum=0.1),
                   _batch_norm_reference, [x, weight, bias], device)
    dims = (0,) + tuple(range(2, x.ndim))
    count = x.size // 3
    np.testing.assert_allclose(to_numpy(running_mean), 0.1 * x.mean(axis=dims), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(running_var), 0.9 + 0.1 * x.var(axis=dims) * count / (count - 1),
                               rtol=1e-12)


def test_batch_norm_eval_uses_running_statistics(device):
    r = rng(3)
    x, weight, bias = r.standard_normal((4, 3)), r.standard_normal(3), r.standard_normal(3)
    mean, variance = r.standard_normal(3), r.random(3) + 0.5
    running_mean = leaf(mean, device, requires_grad=False)
    running_var = leaf(variance, device, requires_grad=False)
    check_function(lambda a, w, b: F.batch_norm(a, running_mean, running_var, w, b, training=False),
                   lambda a, w, b: (a - mean) / np.sqrt(variance + 1e-5) * w + b, [x, weight, bias], device)
    np.testing.assert_array_equal(to_numpy(running_mean), mean)


def test_batch_norm_rejects_single_value_per_channel(device):
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(plexgrad.ones(1, 3, device=device), None, None, training=True)


def test_layer_norm_and_group_norm(device):
    r = rng(4)
    x = r.standard_normal((2, 3, 4))

    def layer_reference(a, w, b):
        mean = a.mean(axis=(1, 2), keepdims=True)
        return (a - mean) / np.sqrt(a.var(axis=(1, 2), keepdims=True) + 1e-5) * w + b
    check_function(lambda a, w, b: F.layer_norm(a, (3, 4), w, b), layer_reference,
                   [x, r.standard_normal((3, 4)), r.standard_normal((3, 4))], device)

    def group_reference(a, w, b):
        grouped = a.reshape(2, 2, -1)
        normalized = (grouped - grouped.mean(2, keepdims=True)) / np.sqrt(grouped.var(2, keepdims=True) + 1e-5)
        return normalized.reshape(a.shape) * w.reshape(1, 4, 1) + b.reshape(1, 4, 1)
    check_function(lambda a, w, b: F.group_norm(a, 2, w, b), group_reference,
                   [r.standard_normal((2, 4, 3)), r.standard_normal(4), r.standard_normal(4)], device)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(plexgrad.ones(2, 5, device=device), (4,))


def test_dropout_train_and_eval(device):
    plexgrad.manual_seed(0)
    x = leaf(np.full((200, 50), 2.0), device)
    output = F.dropout(x, 0.3, training=True)
    values = to_numpy(output)
    assert set(np.unique(values)) <= {0.0, 2.0 / 0.7}
    assert abs((values == 0).mean() - 0.3) < 0.03
    output.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), values / 2.0)
    assert F.dropout(x, 0.3, training=False) is x
    np.testing.assert_array_equal(to_numpy(F.dropout(x, 1.0)), 0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout2d_zeroes_whole_channels(device):
    plexgrad.manual_seed(1)
    values = to_numpy(F.dropout2d(plexgrad.ones(4, 8, 3, 3, device=device), 0.5))
    per_channel = values.reshape(4, 8, 9)
    assert ((per_channel == 0).all(2) | (per_channel == 2.0).all(2)).all()


def test_embedding_gradient_accumulates_and_skips_padding(device):
    r = rng(5)
    table = r.standard_normal((5, 3))
    indices = np.array([[0, 2, 2], [4, 1, 2]])
    weight = leaf(table, device)
    output = F.embedding(plexgrad.tensor(indices, device=device), weight, padding_idx=2)
    np.testing.assert_array_equal(to_numpy(output), table[indices])
    upstream = r.standard_normal((2, 3, 3))
    output.backward(plexgrad.tensor(upstream, device=device))
    expected = np.zeros_like(table)
    np.add.at(expected, indices, upstream)
    expected[2] = 0
    np.testing.assert_allclose(to_numpy(weight.grad), expected, rtol=1e-12)


def test_embedding_checks_indices(device):
    weight = plexgrad.ones(4, 2, device=device)
    with pytest.raises(IndexError):
        F.embedding(plexgrad.tensor([4], device=device), weight)
    with pytest.raises(RuntimeError, match="Long"):
        F.embedding(plexgrad.tensor([1.0], device=device), weight)


def test_embedding_max_norm_renormalizes_rows_in_place(device):
    weight = plexgrad.tensor([[3.0, 4.0], [0.3, 0.4]], dtype=plexgrad.float64, device=device)
    output = F.embedding(plexgrad.tensor([0, 1], device=device), weight, max_norm=1.0)
    np.testing.assert_allclose(to_numpy(output), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(weight)[0], [0.6, 0.8], rtol=1e-6)


def test_one_hot(device):
    result = F.one_hot(plexgrad.tensor([[0, 2], [1, 0]], device=device), 3)
    assert result.dtype is plexgrad.int64
    np.testing.assert_array_equal(to_numpy(result), np.eye(3, dtype=np.int64)[[[0, 2], [1, 0]]])
    assert F.one_hot(plexgrad.tensor([1, 3], device=device)).shape == (2, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(plexgrad.tensor([3], device=device), 3)


@pytest.mark.parametrize("mode,pad", [("constant", (1, 2)), ("constant", (2, 0, 1, 1)), ("constant", (-1, 1)),
                                      ("reflect", (2, 1)), ("reflect", (1, 2, 2, 1)), ("replicate", (3, 1)),
                                      ("replicate", (1, 1, 2, 0)), ("circular", (2, 1, 1, 2))])
def test_pad_matches_numpy(device, mode, pad):
    x = rng(6).standard_normal((2, 3, 4))
    numpy_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]

    def reference(a):
        widths = [(0, 0)] * a.ndim
        for pair in range(len(pad) // 2):
            widths[a.ndim - 1 - pair] = (max(pad[2 * pair], 0), max(pad[2 * pair + 1], 0))
        result = np.pad(a, widths, mode=numpy_mode)
        if mode == "constant" and min(pad) < 0:
            result = result[..., 1:]
        return result
    check_function(lambda a: F.pad(a, pad, mode), reference, [x], device)


def test_pad_constant_value_and_errors(device):
    result = F.pad(plexgrad.zeros(1, 2, device=device), (1, 1), value=7.0)
    np.testing.assert_array_equal(to_numpy(result), [[7.0, 0.0, 0.0, 7.0]])
    with pytest.raises(RuntimeError, match="Padding size should be less"):
        F.pad(plexgrad.zeros(1, 2, device=device), (2, 0), mode="reflect")
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(plexgrad.zeros(2, device=device), (1,))


def _second_order_check(function, composite, arrays, device):
    """Gradients of ``sum(first gradients ** 2)``: the one-node rule against the plain composite."""
    results = []
    for build in (function, composite):
        tensors = [leaf(a, device) for a in arrays]
        upstream = leaf(rng(9).standard_normal(np.shape(build(*[leaf(a, device) for a in arrays]))), device,
                        requires_grad=False)
        gradients = plexgrad.autograd.grad((build(*tensors) * upstream).sum(), tensors, create_graph=True)
        sum(((g * g).sum() for g in gradients), plexgrad.zeros((), dtype=plexgrad.float64, device=device)).backward()
        results.append([None if t.grad is None else to_numpy(t.grad) for t in tensors])
    for ours, reference in zip(*results):
        assert (ours is None) == (reference is None)
        if ours is not None:
            np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-10)


def test_linear_and_batch_norm_differentiate_twice(device):
    r = rng(8)
    _second_order_check(F.linear, lambda x, w, b: x @ w.t() + b,
                        [r.standard_normal((4, 3)), r.standard_normal((2, 3)), r.standard_normal(2)], device)

    def composite_batch_norm(x, w, b):
        mean = x.mean((0, 2), keepdim=True)
        centered = x - mean
        return centered * ((centered * centered).mean((0, 2), keepdim=True) + 1e-5).rsqrt() * w.reshape(1, 3, 1) \
            + b.reshape(1, 3, 1)
    _second_order_check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), composite_batch_norm,
                        [r.standard_normal((4, 3, 2)), r.standard_normal(3), r.standard_normal(3)], device)


def test_linear_on_batched_input_and_mixed_dtypes(device):
    r = rng(9)
    check_function(F.linear, lambda x, w, b: x @ w.T + b,
                   [r.standard_normal((2, 3, 4)), r.standard_normal((5, 4)), r.standard_normal(5)], device)
    mixed = F.linear(plexgrad.ones(2, 3, device=device), plexgrad.ones(4, 3, dtype=plexgrad.float64, device=device))
    assert mixed.dtype is plexgrad.float64


def test_tensor_methods_and_top_level_functions(device):
    values = _smooth_input((2, 3))
    x = leaf(values, device, requires_grad=False)
    np.testing.assert_allclose(to_numpy(x.softmax(1)), _softmax(values, 1))
    np.testing.assert_allclose(to_numpy(x.log_softmax(dim=0)), _log_softmax(values, 0))
    np.testing.assert_allclose(to_numpy(plexgrad.softmax(x, -1)), _softmax(values, -1))
    np.testing.assert_allclose(to_numpy(plexgrad.log_softmax(x, 1)), _log_softmax(values, 1))
    np.testing.assert_allclose(to_numpy(x.logsumexp(1)), np.log(np.exp(values).sum(1)))
    np.testing.assert_allclose(to_numpy(plexgrad.logsumexp(x, 0, keepdim=True)),
                               np.log(np.exp(values).sum(0, keepdims=True)))
    np.testing.assert_allclose(to_numpy(x.erf()), _erf(values), rtol=1e-14)
    np.testing.assert_allclose(to_numpy(plexgrad.erf(x)), _erf(values), rtol=1e-14)


def test_cosine_similarity_and_pairwise_distance(device):
    r = rng(27)
    a, b = r.standard_normal((3, 4)), r.standard_normal((3, 4))

    def cosine(x, y):
        return (x * y).sum(1) / np.sqrt((x * x).sum(1) * (y * y).sum(1))
    check_function(F.cosine_similarity, cosine, [a, b], device)
    check_function(F.pairwise_distance, lambda x, y: np.sqrt(((x - y + 1e-6) ** 2).sum(-1)), [a, b], device)
    check_function(lambda x, y: F.pairwise_distance(x, y, p=3.0, keepdim=True),
                   lambda x, y: (np.abs(x - y + 1e-6) ** 3).sum(-1, keepdims=True) ** (1 / 3), [a, b], device)
    zero = F.cosine_similarity(plexgrad.zeros(1, 3, device=device), plexgrad.ones(1, 3, device=device))
    assert zero.item() == 0.0
    module_result = plexgrad.nn.CosineSimilarity(dim=0)(leaf(a, device), leaf(b, device))
    np.testing.assert_allclose(to_numpy(module_result), cosine(a.T, b.T), rtol=1e-12)
