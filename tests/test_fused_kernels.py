"""The fused ops (linear, batch norm, cross entropy, relu_backward, add_scaled_, the SGD update)
give the same values and gradients three ways on every backend: by the backend's native
kernel, by the op's decomposition through the dispatch seam, and (where a backend cannot
run the op at all) by the Tensor composite; so a third-party backend never needs them."""

import numpy as np
import pytest

import plexgrad
import plexgrad.nn.functional as F
from plexgrad.core import dispatch
from nn_reference import leaf, rng, to_numpy

FUSED_OPS = sorted(op.name for op in dispatch.OPS.values() if op.decomposition is not None)


def _run(function, arrays, device, upstream_seed=5):
    tensors = [leaf(a, device) for a in arrays]
    output = function(*tensors)
    upstream = rng(upstream_seed).standard_normal(tuple(output.shape))
    output.backward(plexgrad.tensor(upstream, dtype=output.dtype, device=device))
    return [to_numpy(output)] + [to_numpy(t.grad) for t in tensors]


CASES = {
    "relu": (lambda x: plexgrad.relu(x * 2), [(4, 5)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(6, 4), (3, 4), (3,)]),
    "linear_batched": (lambda x, w, b: F.linear(x, w, b), [(2, 5, 4), (3, 4), (3,)]),
    "batch_norm_2d": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(6, 3), (3,), (3,)]),
    "batch_norm_4d": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(2, 3, 2, 2), (3,), (3,)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, plexgrad.tensor([0, 2, 1, 2, 3], device=x.device)), [(5, 4)]),
    "cross_entropy_sum": (lambda x: F.cross_entropy(x, plexgrad.tensor([3, 0], device=x.device), reduction="sum"),
                          [(2, 4)]),
}


def test_the_fused_ops_are_declared_with_decompositions_and_native_on_numpy():
    assert set(FUSED_OPS) >= {"linear", "linear_backward", "relu_backward", "batch_norm_train",
                              "batch_norm_backward", "cross_entropy_indices", "cross_entropy_indices_backward",
                              "add_scaled_"}
    for name in FUSED_OPS:  # the training step relies on these being one native call on cpu
        assert dispatch.runs(dispatch.OPS[name], "cpu") == "native", name


@pytest.mark.parametrize("case", sorted(CASES))
def test_native_decomposed_and_composite_paths_agree(device, case):
    function, shapes = CASES[case]
    arrays = [rng(3).standard_normal(shape) for shape in shapes]
    fused = _run(function, arrays, device)
    with dispatch.forced_decompositions(device):
        assert all(dispatch.runs(dispatch.OPS[name], device) == "decomposed" for name in FUSED_OPS
                   if dispatch.can_run(dispatch.OPS[name], plexgrad.device(device)))
        decomposed = _run(function, arrays, device)
    with dispatch.forced_missing(device, FUSED_OPS):
        composite = _run(function, arrays, device)
    for ours, by_decomposition, reference in zip(fused, decomposed, composite):
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(by_decomposition, reference, rtol=1e-10, atol=1e-12)


def test_fused_cross_entropy_matches_log_softmax_reference(device):
    logits = rng(4).standard_normal((5, 3))
    target = np.array([2, 0, 1, 1, 0])
    x = leaf(logits, device)
    loss = F.cross_entropy(x, plexgrad.tensor(target, device=device))
    assert loss.grad_fn.name() == "NllLossBackward0"  # torch's name for the loss node
    loss.backward()
    shifted = logits - logits.max(1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    np.testing.assert_allclose(loss.item(), -log_probabilities[np.arange(5), target].mean(), rtol=1e-12)
    expected = np.exp(log_probabilities)
    expected[np.arange(5), target] -= 1
    np.testing.assert_allclose(to_numpy(x.grad), expected / 5, rtol=1e-10)


def test_fused_cross_entropy_leaves_bad_targets_and_ignore_index_to_the_general_path(device):
    x = plexgrad.randn(3, 4, device=device)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(x, plexgrad.tensor([0, 7, 1], device=device))
    ignored = F.cross_entropy(x, plexgrad.tensor([0, -100, 1], device=device))
    kept = F.cross_entropy(x[[0, 2]], plexgrad.tensor([0, 1], device=device))
    np.testing.assert_allclose(ignored.item(), kept.item(), rtol=1e-6)
    in_range_ignore = F.cross_entropy(x, plexgrad.tensor([0, 2, 1], device=device), ignore_index=2)
    np.testing.assert_allclose(in_range_ignore.item(), kept.item(), rtol=1e-6)


def test_fused_paths_differentiate_twice(device):
    """create_graph goes through the composite rules, so second derivatives exist and agree."""
    arrays = [rng(6).standard_normal((4, 3)), rng(7).standard_normal(3), rng(8).standard_normal(3)]
    x, w, b = [leaf(a, device) for a in arrays]
    target = plexgrad.tensor([0, 1, 2, 1], device=device)
    loss = F.cross_entropy(F.batch_norm(F.linear(x, leaf(np.eye(3), device), b), None, None, w, None,
                                        training=True), target)
    gradients = plexgrad.autograd.grad(loss, (x, w, b), create_graph=True)
    sum((g * g).sum() for g in gradients).backward()
    for tensor in (x, w, b):
        assert tensor.grad is not None and np.all(np.isfinite(to_numpy(tensor.grad)))


def test_add_scaled_in_place_on_large_and_overlapping_arrays():
    """add_(other, alpha=) goes through the chunked axpy kernel on cpu; it must equal x + alpha * y."""
    generator = rng(9)
    for size in (10, 5000, 300_000, 600_001):
        x, y = generator.standard_normal(size).astype(np.float32), generator.standard_normal(size).astype(np.float32)
        target = plexgrad.tensor(x)
        target.add_(plexgrad.tensor(y), alpha=-0.25)
        np.testing.assert_allclose(target.numpy(), x + np.float32(-0.25) * y, rtol=1e-6)
        target.sub_(target, alpha=0.5)  # source and destination are one array
        np.testing.assert_allclose(target.numpy(), (x + np.float32(-0.25) * y) * 0.5, rtol=1e-6)
    base = plexgrad.arange(10.0)
    base[1:].add_(base[:-1], alpha=2)  # overlapping views: the whole right-hand side is read first
    np.testing.assert_array_equal(base.numpy(), np.r_[0, np.arange(1.0, 10) + 2 * np.arange(9.0)])
    row = plexgrad.zeros(3, 5000)
    row.add_(plexgrad.ones(5000), alpha=3)  # broadcast source
    assert row.numpy().min() == row.numpy().max() == 3


def test_sgd_momentum_update_bumps_versions_and_matches_the_formula(device):
    weight = plexgrad.tensor(rng(10).standard_normal((3, 2)), requires_grad=True, device=device)
    optimizer = plexgrad.optim.SGD([weight], lr=0.1, momentum=0.9, dampening=0.2)
    expected = to_numpy(weight)
    buffer = None
    for step in range(3):
        optimizer.zero_grad()
        (weight * weight).sum().backward()
        gradient = 2 * expected
        buffer = gradient if buffer is None else 0.9 * buffer + 0.8 * gradient
        expected = expected - 0.1 * buffer
        optimizer.step()
        np.testing.assert_allclose(to_numpy(weight), expected, rtol=1e-12)
    saved = weight * weight  # saves weight for backward
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()


@pytest.mark.parametrize("case", ["batch_norm_2d", "cross_entropy", "linear"])
def test_forward_fused_kernels_without_their_backward_kernels(device, case):
    """A backend may run a fused forward without being able to run the matching backward op: the
    Tensor rule takes over for the gradient."""
    function, shapes = CASES[case]
    arrays = [rng(3).standard_normal(shape) for shape in shapes]
    complete = _run(function, arrays, device)
    backward_ops = ("batch_norm_backward", "cross_entropy_indices_backward", "linear_backward", "relu_backward")
    with dispatch.forced_missing(device, backward_ops):
        for ours, reference in zip(_run(function, arrays, device), complete):
            np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)


def test_a_kernel_the_backend_lacks_is_a_clear_not_implemented_error():
    with dispatch.forced_missing("cpu", ["full"]):
        with pytest.raises(NotImplementedError, match="'full' is not implemented by backend 'numpy'"):
            plexgrad.zeros(3)


@pytest.mark.parametrize("path", ["native", "decomposed", "double"])
def test_relu_gradient_at_nan_zero_and_negative_inputs_matches_torch(device, path):
    """torch's threshold_backward zeroes the gradient where the output is <= 0, so a NaN output
    passes its gradient through (plexgrad once zeroed it: `output > 0` is False for NaN)."""
    torch = pytest.importorskip("torch")
    values = [float("nan"), 1.5, -1.0, 0.0, -0.0, float("inf"), float("-inf")]
    expected_input = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    torch.relu(expected_input).mul(torch.arange(1.0, 8.0, dtype=torch.float64)).sum().backward()
    x = plexgrad.tensor(values, dtype=plexgrad.float64, device=device, requires_grad=True)
    weights = plexgrad.arange(1.0, 8.0, dtype=plexgrad.float64, device=device)
    if path == "double":
        (gradient,) = plexgrad.autograd.grad((plexgrad.relu(x) * weights).sum(), x, create_graph=True)
    elif path == "decomposed":
        with dispatch.forced_decompositions(x.device.type, ["relu_backward"]):
            (plexgrad.relu(x) * weights).sum().backward()
        gradient = x.grad
    else:
        (plexgrad.relu(x) * weights).sum().backward()
        gradient = x.grad
    np.testing.assert_array_equal(to_numpy(gradient), expected_input.grad.numpy())
