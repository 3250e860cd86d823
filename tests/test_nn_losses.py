"""Losses (functional and module forms) on every backend against numpy references."""

import numpy as np
import pytest

import plexgrad
import plexgrad.nn as nn
import plexgrad.nn.functional as F
from nn_reference import check_function, leaf, rng, to_numpy

REDUCTIONS = ["mean", "sum", "none"]


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


def _log_softmax(x, dim=1):
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _nll_reference(log_probabilities, target, weight=None, ignore_index=-100, reduction="mean"):
    classes = log_probabilities.shape[1]
    weight = np.ones(classes) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = np.take_along_axis(log_probabilities, np.expand_dims(safe, 1), 1).squeeze(1)
    weights = weight[safe] * keep
    losses = -picked * weights
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / weights.sum()


def _cross_entropy_reference(logits, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    log_probabilities = _log_softmax(logits)
    loss = _nll_reference(log_probabilities, target, weight, ignore_index, reduction)
    if smoothing == 0.0:
        return loss
    classes = logits.shape[1]
    class_weight = np.ones(classes) if weight is None else weight
    shape = [1] * logits.ndim
    shape[1] = classes
    smooth = -(log_probabilities * class_weight.reshape(shape)).sum(1)
    keep = target != ignore_index
    smooth = np.where(keep, smooth, 0.0)
    if reduction == "mean":
        smooth = smooth.sum() / (class_weight[np.where(keep, target, 0)] * keep).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - smoothing) * loss + smooth * smoothing / classes


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(device, reduction):
    r = rng(10)
    x, y = r.standard_normal((3, 4)), r.standard_normal((3, 4)) * 2
    check_function(lambda a, b: F.mse_loss(a, b, reduction=reduction), lambda a, b: _reduce((a - b) ** 2, reduction),
                   [x, y], device)
    check_function(lambda a, b: F.l1_loss(a, b, reduction=reduction), lambda a, b: _reduce(np.abs(a - b), reduction),
                   [x, y], device)

    def smooth_l1(a, b, beta=0.7):
        d = np.abs(a - b)
        return _reduce(np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction)
    check_function(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.7), smooth_l1, [x, y], device)

    def huber(a, b, delta=1.3):
        d = np.abs(a - b)
        return _reduce(np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), reduction)
    check_function(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=1.3), huber, [x, y], device)


def test_loss_modules_match_functional_and_legacy_arguments(device):
    r = rng(11)
    x = plexgrad.tensor(r.standard_normal((3, 4)), device=device)
    y = plexgrad.tensor(r.standard_normal((3, 4)), device=device)
    assert nn.MSELoss()(x, y).item() == pytest.approx(F.mse_loss(x, y).item())
    assert nn.L1Loss(reduction="sum")(x, y).item() == pytest.approx(F.l1_loss(x, y, reduction="sum").item())
    assert nn.SmoothL1Loss(beta=0.5)(x, y).item() == pytest.approx(F.smooth_l1_loss(x, y, beta=0.5).item())
    assert nn.HuberLoss(delta=2.0)(x, y).item() == pytest.approx(F.huber_loss(x, y, delta=2.0).item())
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"
    assert nn.MSELoss(reduction="none")(x, y).shape == (3, 4)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(x, y, reduction="average")


def test_mse_loss_warns_on_broadcasting_target(device):
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(plexgrad.ones(3, 1, device=device), plexgrad.ones(3, device=device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices(device, reduction):
    r = rng(12)
    logits = r.standard_normal((5, 4)) * 2
    target = np.array([0, 3, 1, 1, 2])
    tensor_target = plexgrad.tensor(target, device=device)
    check_function(lambda a: F.cross_entropy(a, tensor_target, reduction=reduction),
                   lambda a: _cross_entropy_reference(a, target, reduction=reduction), [logits], device)
    check_function(lambda a: nn.CrossEntropyLoss(reduction=reduction)(a, tensor_target),
                   lambda a: _cross_entropy_reference(a, target, reduction=reduction), [logits], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_weight_ignore_index_and_label_smoothing(device, reduction):
    r = rng(13)
    logits = r.standard_normal((6, 3))
    target = np.array([0, 2, -100, 1, 2, 1])
    weight = np.array([0.2, 1.0, 3.0])
    tensor_target = plexgrad.tensor(target, device=device)
    for smoothing in (0.0, 0.25):
        check_function(lambda a, w: F.cross_entropy(a, tensor_target, weight=w, reduction=reduction,
                                                    label_smoothing=smoothing),
                       lambda a, w: _cross_entropy_reference(a, target, w, -100, reduction, smoothing),
                       [logits, weight], device, grad_positions=(0,))
    target_ignoring_two = np.array([0, 2, 2, 1, 2, 1])
    check_function(lambda a: F.cross_entropy(a, plexgrad.tensor(target_ignoring_two, device=device), ignore_index=2,
                                             reduction=reduction, label_smoothing=0.1),
                   lambda a: _cross_entropy_reference(a, target_ignoring_two, None, 2, reduction, 0.1), [logits], device)


def test_cross_entropy_spatial_targets(device):
    r = rng(14)
    logits = r.standard_normal((2, 3, 2, 2))
    target = r.integers(0, 3, (2, 2, 2))
    tensor_target = plexgrad.tensor(target, device=device)
    check_function(lambda a: F.cross_entropy(a, tensor_target), lambda a: _cross_entropy_reference(a, target),
                   [logits], device)


def test_cross_entropy_unbatched_input(device):
    logits = np.array([0.5, -1.0, 2.0])
    check_function(lambda a: F.cross_entropy(a, plexgrad.tensor(2, device=device)),
                   lambda a: -_log_softmax(a[None])[0, 2], [logits], device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_probabilities(device, reduction):
    r = rng(15)
    logits = r.standard_normal((4, 3))
    probabilities = r.random((4, 3))
    probabilities /= probabilities.sum(1, keepdims=True)
    weight = np.array([1.0, 0.5, 2.0])

    def reference(a, p, smoothing=0.2):
        p = p * (1 - smoothing) + smoothing / 3
        losses = -(_log_softmax(a) * p * weight).sum(1)
        return {"mean": losses.sum() / 4, "sum": losses.sum(), "none": losses}[reduction]
    check_function(lambda a, p: F.cross_entropy(a, p, weight=leaf(weight, device, requires_grad=False),
                                                reduction=reduction, label_smoothing=0.2),
                   reference, [logits, probabilities], device)


def test_cross_entropy_errors(device):
    logits = plexgrad.zeros(2, 3, device=device)
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(logits, plexgrad.tensor([0, 3], device=device))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(logits, plexgrad.tensor([-1, 0], device=device))
    with pytest.raises(ValueError, match="batch_size"):
        F.cross_entropy(logits, plexgrad.tensor([0, 1, 2], device=device))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(logits, plexgrad.tensor([0, 1], device=device), weight=plexgrad.ones(2, device=device))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(logits, plexgrad.tensor([0, 1], device=device), label_smoothing=1.5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(device, reduction):
    r = rng(16)
    log_probabilities = _log_softmax(r.standard_normal((5, 4)))
    target = np.array([3, -100, 0, 1, 3])
    weight = np.array([1.0, 2.0, 0.5, 1.5])
    check_function(lambda a: F.nll_loss(a, plexgrad.tensor(target, device=device),
                                        weight=leaf(weight, device, requires_grad=False), reduction=reduction),
                   lambda a: _nll_reference(a, target, weight, -100, reduction), [log_probabilities], device)
    module = nn.NLLLoss(weight=leaf(weight, device, requires_grad=False), reduction=reduction)
    check_function(lambda a: module(a, plexgrad.tensor(target, device=device)),
                   lambda a: _nll_reference(a, target, weight, -100, reduction), [log_probabilities], device)


def test_nll_loss_all_ignored_mean_is_nan(device):
    loss = F.nll_loss(plexgrad.zeros(2, 3, device=device), plexgrad.tensor([-100, -100], device=device))
    assert np.isnan(loss.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(device, reduction):
    r = rng(17)
    probabilities = r.random((3, 4)) * 0.9 + 0.05
    target = r.random((3, 4))
    weight = r.random((3, 4))

    def reference(p, t, w):
        return _reduce(-w * (t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)
    check_function(lambda p, t, w: F.binary_cross_entropy(p, t, w, reduction=reduction), reference,
                   [probabilities, target, weight], device, grad_positions=(0, 1))
    check_function(lambda p, t: nn.BCELoss(reduction=reduction)(p, t),
                   lambda p, t: reference(p, t, np.ones_like(p)), [probabilities, target], device)


def test_binary_cross_entropy_clamps_log_at_edges(device):
    p = leaf([0.0, 1.0, 0.5], device)
    t = leaf([1.0, 0.0, 1.0], device, requires_grad=False)
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(to_numpy(loss), [100.0, 100.0, np.log(2)], rtol=1e-12)
    loss.sum().backward()
    assert np.isfinite(to_numpy(p.grad)).all()
    np.testing.assert_allclose(to_numpy(p.grad), [-1e12, 1e12, -2.0], rtol=1e-9)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(leaf([1.5], device), leaf([1.0], device))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(device, reduction):
    r = rng(18)
    logits = r.standard_normal((3, 4)) * 3
    target = r.random((3, 4))
    pos_weight = np.array([0.5, 1.0, 2.0, 3.0])

    def reference(x, t, pw):
        s = 1 / (1 + np.exp(-x))
        return _reduce(-(pw * t * np.log(s) + (1 - t) * np.log(1 - s)), reduction)
    # pos_weight takes no gradient (torch refuses one that requires grad)
    check_function(lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw.detach(),
                                                                        reduction=reduction),
                   reference, [logits, target, pos_weight], device, grad_positions=(0, 1))
    check_function(lambda x, t: nn.BCEWithLogitsLoss(reduction=reduction)(x, t),
                   lambda x, t: reference(x, t, 1.0), [logits, target], device)


def test_binary_cross_entropy_with_logits_is_stable(device):
    x = leaf([-800.0, 800.0, 0.0, 40.0], device)
    t = leaf([1.0, 0.0, 1.0, 1.0], device, requires_grad=False)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(to_numpy(loss), [800.0, 800.0, np.log(2), np.log1p(np.exp(-40.0))], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [-1.0, 1.0, -0.5, -1 / (1 + np.exp(40.0))], rtol=1e-9,
                               atol=1e-16)


def test_kl_div_and_soft_margin(device):
    r = rng(19)
    log_input = _log_softmax(r.standard_normal((3, 4)))
    target = r.random((3, 4))
    target[0, 1] = 0.0
    target /= target.sum(1, keepdims=True)

    def kl(a, t):
        safe = np.where(t > 0, t, 1.0)
        return np.where(t > 0, t * (np.log(safe) - a), 0.0)
    check_function(lambda a, t: F.kl_div(a, t, reduction="batchmean"), lambda a, t: kl(a, t).sum() / 3,
                   [log_input, target], device, grad_positions=(0,))
    check_function(lambda a, t: nn.KLDivLoss(reduction="sum", log_target=True)(a, t),
                   lambda a, t: (np.exp(t) * (t - a)).sum(), [log_input, np.log(target + 0.1)], device)
    signs = np.sign(r.standard_normal((3, 4)))
    check_function(lambda a, y: F.soft_margin_loss(a, y), lambda a, y: np.log1p(np.exp(-y * a)).mean(),
                   [r.standard_normal((3, 4)), signs], device, grad_positions=(0,))
