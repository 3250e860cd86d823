"""Printed autograd graphs: grad_fn class names, walked through next_functions, compared with torch's for
the same small graph; composites that torch shows as one node (MeanBackward0, MseLossBackward0, ...)
keep torch's values and gradients, double backward included; 0-d tensors format as numbers."""

import numpy as np
import pytest
import torch

import plexgrad


def _walk(function, depth=0, out=None):
    out = [] if out is None else out
    if function is None:
        out.append((depth, None))
        return out
    out.append((depth, type(function).__name__))
    if depth < 8:
        for child, _ in function.next_functions:
            _walk(child, depth + 1, out)
    return out


def _graphs(lib, name, device):
    F = lib.nn.functional
    kwargs = {} if lib is torch else {"device": device}
    lib.manual_seed(0)
    x = lib.ones(4, 3, requires_grad=True, **kwargs) * 1  # a non-leaf input: its MulBackward0 shows too
    leaf = lib.ones(4, 3, requires_grad=True, **kwargs)
    target = lib.full((4, 3), 0.25, **kwargs)
    labels = lib.tensor([0, 1, 2, 0], **kwargs)

    def module(layer):
        return layer.to(device) if lib is plexgrad else layer
    return {
        "mean": lambda: leaf.mean(),
        "mean_dim": lambda: leaf.mean(1),
        "sum": lambda: (x * 2).sum(),
        "mse_loss": lambda: F.mse_loss(x, target),
        "mse_loss_sum": lambda: F.mse_loss(leaf, target, reduction="sum"),
        "mse_loss_none": lambda: F.mse_loss(leaf, target, reduction="none"),
        "l1_loss": lambda: F.l1_loss(leaf, target),
        "smooth_l1_loss": lambda: F.smooth_l1_loss(leaf, target),
        "huber_loss": lambda: F.huber_loss(leaf, target),
        "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(leaf, target),
        "bce_with_logits_weighted": lambda: F.binary_cross_entropy_with_logits(
            x, target, weight=lib.full((3,), 2.0, **kwargs), pos_weight=lib.full((3,), 0.5, **kwargs)),
        "bce": lambda: F.binary_cross_entropy(leaf.sigmoid(), target),
        "cross_entropy": lambda: F.cross_entropy(leaf, labels),
        "linear_2d": lambda: module(lib.nn.Linear(3, 2))(target).sum(),
        "relu_mlp": lambda: module(lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1)))(target),
        "elementwise": lambda: ((leaf * 2 + 1).exp() / 3 - leaf.sqrt()).abs(),
        "view_chain": lambda: leaf.reshape(12).view(3, 4).permute(1, 0),
        "cat": lambda: lib.cat([leaf, x]),
        "softmax": lambda: F.softmax(leaf, 1),
        "log_softmax": lambda: F.log_softmax(leaf, 1),
        "batch_norm": lambda: module(lib.nn.BatchNorm1d(3))(leaf),
        "to_double": lambda: leaf.double(),
        "avg_pool": lambda: F.avg_pool2d(leaf.reshape(1, 1, 4, 3), 2),
        "index": lambda: leaf[labels],
        "select": lambda: leaf[0],
        "select_column": lambda: leaf[:, 1],
        "slice": lambda: leaf[1:],
        "select_then_slice": lambda: leaf[0, 1:],
        "norm": lambda: leaf.norm(),
    }[name]()


MATCHING = ["mean", "mean_dim", "sum", "mse_loss", "mse_loss_sum", "mse_loss_none", "l1_loss", "smooth_l1_loss",
            "huber_loss", "bce_with_logits", "bce_with_logits_weighted", "bce", "elementwise", "view_chain", "cat",
            "softmax", "log_softmax", "batch_norm", "to_double", "avg_pool", "index", "norm", "select", "select_column",
            "slice"]
# Known differences, kept here so they show up (and flip to passing) when fixed: torch's Linear graph has a
# TBackward0 for the weight and lists the bias first; cross_entropy is one fused node here, two in torch;
# x[0, 1:] is one indexing node here, a SelectBackward0 under a SliceBackward0 in torch.
DIFFERENT = ["linear_2d", "relu_mlp", "cross_entropy", "select_then_slice"]


@pytest.mark.parametrize("name", MATCHING)
def test_graph_names_match_torch(device, name):
    ours = _walk(_graphs(plexgrad, name, device).grad_fn)
    theirs = _walk(_graphs(torch, name, device).grad_fn)
    assert ours == theirs


@pytest.mark.parametrize("name", DIFFERENT)
def test_known_graph_differences(device, name):
    ours = _walk(_graphs(plexgrad, name, device).grad_fn)
    theirs = _walk(_graphs(torch, name, device).grad_fn)
    assert ours[0] == theirs[0]  # the node a user prints (grad_fn=<AddmmBackward0>) is torch's
    assert ours != theirs, "now the same as torch: move this case to MATCHING"


def test_grad_fn_objects_behave_like_torchs(device):
    leaf = plexgrad.ones(2, requires_grad=True, device=device)
    result = (leaf * 3).mean()
    assert type(result.grad_fn).__name__ == "MeanBackward0"
    assert result.grad_fn is result.grad_fn  # one object per node
    assert result.grad_fn.name() == "MeanBackward0"
    (mul, _), = result.grad_fn.next_functions
    assert mul is result.grad_fn.next_functions[0][0]
    accumulate = mul.next_functions[0][0]
    assert type(accumulate).__name__ == "AccumulateGrad" and accumulate.variable is leaf
    assert isinstance(result.grad_fn, plexgrad.autograd.graph.Node)
    assert repr(result.grad_fn).startswith("<MeanBackward0 object at 0x")
    seen = []
    result.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
    result.grad_fn.metadata["tag"] = 1
    assert result.grad_fn.metadata == {"tag": 1}
    result.backward()
    assert seen == [1]
    assert leaf.grad.tolist() == pytest.approx([1.5, 1.5])


LOSSES = ["mse_loss", "mse_loss_sum", "mse_loss_none", "smooth_l1_loss", "huber_loss", "bce_with_logits",
          "bce_with_logits_weighted", "bce", "mean", "mean_dim"]


def _double_backward(lib, name, device):
    kwargs = {} if lib is torch else {"device": device}
    F = lib.nn.functional
    values = np.array([[0.3, -1.2, 2.0], [0.5, 0.1, -0.4]])
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True, **kwargs)
    t = lib.tensor(np.array([[0.2, 0.9, 0.5], [0.0, 1.0, 0.3]]), dtype=lib.float64, requires_grad=True, **kwargs)
    w = lib.tensor(np.array([1.5, 0.5, 2.0]), dtype=lib.float64, requires_grad=True, **kwargs)
    source = x * x  # a non-leaf input, so gradients must reach x through it
    loss = {"mse_loss": lambda: F.mse_loss(source, t), "mse_loss_sum": lambda: F.mse_loss(source, t, reduction="sum"),
            "mse_loss_none": lambda: F.mse_loss(source, t, reduction="none").sum(),
            "smooth_l1_loss": lambda: F.smooth_l1_loss(source, t, beta=0.5),
            "huber_loss": lambda: F.huber_loss(source, t, delta=0.7),
            "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(source, t),
            "bce_with_logits_weighted": lambda: F.binary_cross_entropy_with_logits(source, t, weight=w.detach(),
                                                                                   pos_weight=w.detach() * 0.5),
            "bce": lambda: F.binary_cross_entropy(source.sigmoid(), t.detach()),
            "mean": lambda: (source * t).mean(), "mean_dim": lambda: (source * t).mean(0).pow(2).sum()}[name]()
    inputs = [x, t]
    if name == "bce":
        inputs = [x]
    grads = lib.autograd.grad(loss, inputs, create_graph=True)
    total = sum((g * g).sum() for g in grads)
    second = lib.autograd.grad(total, inputs, allow_unused=True)
    return [loss] + list(grads) + list(second)


@pytest.mark.parametrize("name", LOSSES)
def test_single_node_composites_differentiate_twice_like_torch(device, name):
    ours = _double_backward(plexgrad, name, device)
    theirs = _double_backward(torch, name, device)
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None or not np.any(a.detach().cpu().numpy())
            continue
        # torch's second derivatives are hand-written formulas: the same values up to rounding
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-8, atol=1e-12)


def test_bce_with_logits_refuses_weights_that_require_grad(device):
    weight = plexgrad.ones(3, requires_grad=True, device=device)
    tweight = torch.ones(3, requires_grad=True)
    for lib, value, kwargs in ((plexgrad, weight, {"device": device}), (torch, tweight, {})):
        x = lib.zeros(3, requires_grad=True, **kwargs)
        for label in ("weight", "pos_weight"):
            with pytest.raises(RuntimeError, match=f"not differentiable with respect to argument '{label}'"):
                lib.nn.functional.binary_cross_entropy_with_logits(x, lib.ones(3, **kwargs), **{label: value})


def test_single_node_composites_keep_autograd_rules(device):
    x = plexgrad.ones(3, requires_grad=True, device=device)
    target = plexgrad.zeros(3, device=device)
    loss = plexgrad.nn.functional.mse_loss(x * 2, target)
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == pytest.approx([16 / 3] * 3)  # two backward passes accumulate
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    y = x * 1
    loss = plexgrad.nn.functional.mse_loss(y, target)
    with plexgrad.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    with plexgrad.no_grad():
        assert plexgrad.nn.functional.mse_loss(x, target).grad_fn is None


@pytest.mark.parametrize("make", [lambda lib: lib.tensor(2.5), lambda lib: lib.tensor(3),
                                  lambda lib: lib.tensor(True), lambda lib: lib.tensor(2.5, requires_grad=True) * 1])
@pytest.mark.parametrize("spec", ["", ".3f", ">8.2f", ".1e"])
def test_format_of_0d_tensors_prints_the_number(make, spec):
    ours, theirs = make(plexgrad), make(torch)
    assert format(ours, spec) == format(theirs, spec)
    assert f"{ours}" == f"{theirs}"


def test_format_of_larger_tensors():
    assert format(plexgrad.ones(2), "") == repr(plexgrad.ones(2))
    with pytest.raises(TypeError, match="unsupported format string"):
        format(plexgrad.ones(2), ".2f")
    with pytest.raises(TypeError, match="unsupported format string"):
        format(torch.ones(2), ".2f")
