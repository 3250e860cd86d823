"""Values and gradients at NaN, +-inf, 0 and the kinks compared with torch on every backend.

Each of these once differed silently (a NaN-blind mask, a product rule giving inf * 0, NaN
picking the other branch of a ``where``): relu, relu6/hardtanh/hardsigmoid, hardswish,
elu/selu/celu, threshold, clamp, abs and sign, maximum/minimum, and max()/min() of all elements."""

import numpy as np
import pytest

import plexgrad
import plexgrad.nn.functional as PF

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

VALUES = [float("nan"), -7.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, float("inf"), float("-inf")]

CASES = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 1.0),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "elu": lambda F, x: F.elu(x, 0.7),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 1.3),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1),
    "threshold": lambda F, x: F.threshold(x, 0.5, 2.0),
    "clamp": lambda F, x: x.clamp(-0.5, 0.5),
    "clamp_min": lambda F, x: x.clamp(min=0.5),
    "clamp_max": lambda F, x: x.clamp(max=0.5),
    "abs": lambda F, x: x.abs(),
    "sign": lambda F, x: x.sign() + x,
    "maximum": lambda F, x: x.maximum(x.flip(0)),
    "minimum": lambda F, x: x.minimum(x.flip(0)),
    "maximum_tie": lambda F, x: x.maximum(x * 1),
    "max_all": lambda F, x: x.max(),
    "min_all": lambda F, x: x.min(),
    "max_all_finite": lambda F, x: x[1:11].max(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_value_and_gradient_at_nonfinite_inputs_match_torch(device, case):
    function = CASES[case]
    expected_input = torch.tensor(VALUES, dtype=torch.float64, requires_grad=True)
    expected = function(TF, expected_input)
    weights = torch.arange(1.0, expected.numel() + 1, dtype=torch.float64).reshape(expected.shape)
    (expected * weights).sum().backward()

    x = plexgrad.tensor(VALUES, dtype=plexgrad.float64, device=device, requires_grad=True)
    result = function(PF, x)
    (result * plexgrad.tensor(weights.numpy(), device=device)).sum().backward()

    np.testing.assert_allclose(result.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-6, atol=0,
                               equal_nan=True, err_msg=f"{case} values")
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected_input.grad.numpy(), rtol=1e-6, atol=0,
                               equal_nan=True, err_msg=f"{case} gradients")


@pytest.mark.parametrize("case", ["hardtanh", "hardswish", "clamp", "maximum", "max_all"])
def test_double_backward_through_the_new_rules_matches_torch(device, case):
    function = CASES[case]
    finite = [-2.0, -0.25, 0.25, 0.75, 2.5, 4.0]
    expected_input = torch.tensor(finite, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad((function(TF, expected_input) ** 2).sum(), expected_input, create_graph=True)
    first.sum().backward()
    x = plexgrad.tensor(finite, dtype=plexgrad.float64, device=device, requires_grad=True)
    (gradient,) = plexgrad.autograd.grad((function(PF, x) ** 2).sum(), x, create_graph=True)
    gradient.sum().backward()
    np.testing.assert_allclose(gradient.detach().cpu().numpy(), first.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected_input.grad.numpy(), rtol=1e-12)


def test_float16_gradients_of_maximum_keep_their_dtype(device):
    a = plexgrad.tensor([1.0, 2.0, 3.0], dtype=plexgrad.float16, device=device, requires_grad=True)
    b = plexgrad.tensor([3.0, 2.0, 1.0], dtype=plexgrad.float16, device=device, requires_grad=True)
    a.maximum(b).sum().backward()
    assert a.grad.dtype == plexgrad.float16 and b.grad.dtype == plexgrad.float16
    assert a.grad.tolist() == [0.0, 0.5, 1.0] and b.grad.tolist() == [1.0, 0.5, 0.0]


@pytest.mark.parametrize("bounds", ["tensors", "min", "max", "mixed"])
def test_clamp_with_tensor_bounds_shares_gradients_as_torch(device, bounds):
    values = [float("nan"), -0.5, 0.5, 0.0, 1.0, -2.0]
    expected_input = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    expected_low = torch.full((6,), -0.5, dtype=torch.float64, requires_grad=True)
    expected_high = torch.full((6,), 0.5, dtype=torch.float64, requires_grad=True)
    x = plexgrad.tensor(values, dtype=plexgrad.float64, device=device, requires_grad=True)
    low = plexgrad.full((6,), -0.5, dtype=plexgrad.float64, device=device, requires_grad=True)
    high = plexgrad.full((6,), 0.5, dtype=plexgrad.float64, device=device, requires_grad=True)
    if bounds == "tensors":
        torch.clamp(expected_input, expected_low, expected_high).sum().backward()
        plexgrad.clamp(x, low, high).sum().backward()
        pairs = [(x, expected_input), (low, expected_low), (high, expected_high)]
    elif bounds in ("min", "max"):
        bound, expected_bound = (low, expected_low) if bounds == "min" else (high, expected_high)
        torch.clamp(expected_input, **{bounds: expected_bound}).sum().backward()
        plexgrad.clamp(x, **{bounds: bound}).sum().backward()
        pairs = [(x, expected_input), (bound, expected_bound)]
    else:  # torch takes no number and tensor together: plexgrad composes the two one-sided clamps
        torch.clamp(torch.clamp(expected_input, min=-0.5), max=expected_high).sum().backward()
        plexgrad.clamp(x, -0.5, high).sum().backward()
        pairs = [(x, expected_input), (high, expected_high)]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours.grad.cpu().numpy(), theirs.grad.numpy())
