"""Optimizers against numpy re-implementations of their update equations, on every backend."""

import math

import numpy as np
import pytest

import plexgrad
from plexgrad import optim

SHAPES = [(3, 4), (5,)]


def _gradient(values):
    """A deterministic non-linear gradient field (so momentum and moments matter)."""
    return 0.3 * values ** 3 - values + 0.1


def _initial_values():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape) for shape in SHAPES]


def _host(tensor):
    return np.asarray(tensor.detach().to("cpu").numpy())


def _params(device, values=None):
    values = _initial_values() if values is None else values
    return [plexgrad.tensor(v, dtype=plexgrad.float64, device=device, requires_grad=True) for v in values]


def _set_gradients(params):
    for param in params:
        param.grad = plexgrad.tensor(_gradient(_host(param)), dtype=plexgrad.float64, device=param.device)


# ---- numpy references: one function per optimizer, one step over all parameters ------------
def sgd_reference(values, state, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    updated = []
    for index, value in enumerate(values):
        grad = _gradient(value)
        grad = -grad if maximize else grad
        grad = grad + weight_decay * value
        if momentum != 0:
            buffer = state.get(index)
            buffer = grad.copy() if buffer is None else momentum * buffer + (1 - dampening) * grad
            state[index] = buffer
            grad = grad + momentum * buffer if nesterov else buffer
        updated.append(value - lr * grad)
    return updated


def adam_reference(values, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                   maximize=False, decoupled_weight_decay=False):
    beta1, beta2 = betas
    updated = []
    for index, value in enumerate(values):
        grad = _gradient(value)
        grad = -grad if maximize else grad
        entry = state.setdefault(index, {"step": 0, "m": np.zeros_like(value), "v": np.zeros_like(value),
                                         "v_max": np.zeros_like(value)})
        entry["step"] += 1
        step = entry["step"]
        if decoupled_weight_decay:
            value = value * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * value
        entry["m"] = beta1 * entry["m"] + (1 - beta1) * grad
        entry["v"] = beta2 * entry["v"] + (1 - beta2) * grad * grad
        second = entry["v"]
        if amsgrad:
            entry["v_max"] = np.maximum(entry["v_max"], entry["v"])
            second = entry["v_max"]
        m_hat = entry["m"] / (1 - beta1 ** step)
        denominator = np.sqrt(second) / math.sqrt(1 - beta2 ** step) + eps
        updated.append(value - lr * m_hat / denominator)
    return updated


def adamw_reference(values, state, weight_decay=1e-2, **options):
    return adam_reference(values, state, weight_decay=weight_decay, decoupled_weight_decay=True, **options)


def rmsprop_reference(values, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                      maximize=False):
    updated = []
    for index, value in enumerate(values):
        grad = _gradient(value)
        grad = -grad if maximize else grad
        grad = grad + weight_decay * value
        entry = state.setdefault(index, {"v": np.zeros_like(value), "g": np.zeros_like(value),
                                         "buffer": np.zeros_like(value)})
        entry["v"] = alpha * entry["v"] + (1 - alpha) * grad * grad
        if centered:
            entry["g"] = alpha * entry["g"] + (1 - alpha) * grad
            average = np.sqrt(entry["v"] - entry["g"] ** 2) + eps
        else:
            average = np.sqrt(entry["v"]) + eps
        if momentum > 0:
            entry["buffer"] = momentum * entry["buffer"] + grad / average
            updated.append(value - lr * entry["buffer"])
        else:
            updated.append(value - lr * grad / average)
    return updated


CASES = [
    ("SGD", sgd_reference, {"lr": 0.05}),
    ("SGD", sgd_reference, {"lr": 0.05, "momentum": 0.9}),
    ("SGD", sgd_reference, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", sgd_reference, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", sgd_reference, {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", adam_reference, {"lr": 0.01}),
    ("Adam", adam_reference, {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", adam_reference, {"lr": 0.02, "amsgrad": True, "maximize": True}),
    ("Adam", adam_reference, {"lr": 0.02, "weight_decay": 0.2, "decoupled_weight_decay": True}),
    ("AdamW", adamw_reference, {"lr": 0.01}),
    ("AdamW", adamw_reference, {"lr": 0.03, "weight_decay": 0.5, "amsgrad": True, "betas": (0.7, 0.95)}),
    ("RMSprop", rmsprop_reference, {"lr": 0.01}),
    ("RMSprop", rmsprop_reference, {"lr": 0.01, "alpha": 0.9, "eps": 1e-4, "weight_decay": 0.1}),
    ("RMSprop", rmsprop_reference, {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSprop", rmsprop_reference, {"lr": 0.01, "centered": True, "maximize": True, "momentum": 0.3}),
]


def _case_id(case):
    name, _, options = case
    return name + "-" + "-".join(f"{key}={value}" for key, value in options.items())


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_trajectory_matches_numpy_reference(device, case):
    name, reference, options = case
    params = _params(device)
    optimizer = getattr(optim, name)(params, **options)
    expected = _initial_values()
    state = {}
    for _ in range(6):
        _set_gradients(params)
        optimizer.step()
        expected = reference(expected, state, **options)
        for param, value in zip(params, expected):
            np.testing.assert_allclose(_host(param), value, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_step_updates_in_place_and_keeps_leaves(device, name):
    params = _params(device)
    identities = [id(p) for p in params]
    optimizer = getattr(optim, name)(params, lr=0.1)
    _set_gradients(params)
    before = [_host(p).copy() for p in params]
    optimizer.step()
    assert [id(p) for p in params] == identities
    for param, old in zip(params, before):
        assert param.is_leaf and param.requires_grad and param.grad_fn is None
        assert param.dtype is plexgrad.float64 and param.device.type == device
        assert not np.allclose(_host(param), old)
        for value in optimizer.state[param].values():
            if isinstance(value, plexgrad.Tensor):
                assert not value.requires_grad and value.device == param.device


def test_parameters_without_grad_are_skipped(device):
    params = _params(device)
    optimizer = optim.Adam(params, lr=0.1)
    params[0].grad = plexgrad.ones(SHAPES[0], dtype=plexgrad.float64, device=device)
    untouched = _host(params[1]).copy()
    optimizer.step()
    np.testing.assert_array_equal(_host(params[1]), untouched)
    assert params[1] not in optimizer.state and params[0] in optimizer.state


def test_backward_then_step_decreases_a_quadratic(device):
    weight = plexgrad.tensor([3.0, -2.0], device=device, requires_grad=True)
    optimizer = optim.SGD([weight], lr=0.1, momentum=0.5)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = (weight * weight).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-2 * losses[0]


def test_changing_lr_in_param_groups_takes_effect_next_step(device):
    params = _params(device)
    optimizer = optim.SGD(params, lr=0.1)
    expected = _initial_values()
    for lr in (0.1, 0.09, 0.081, 0.0729):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(lr)
        _set_gradients(params)
        optimizer.step()
        expected = sgd_reference(expected, {}, lr=optimizer.param_groups[0]["lr"])
        for group in optimizer.param_groups:
            group["lr"] *= 0.9
    for param, value in zip(params, expected):
        np.testing.assert_allclose(_host(param), value, rtol=1e-12)


def test_groups_have_their_own_hyperparameters(device):
    first, second = _params(device)
    optimizer = optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.5, "momentum": 0.9}], lr=0.01)
    assert optimizer.param_groups[0]["momentum"] == 0 and optimizer.param_groups[1]["momentum"] == 0.9
    values = _initial_values()
    first_state, second_state = {}, {}
    for _ in range(3):
        _set_gradients([first, second])
        optimizer.step()
        values = [sgd_reference([values[0]], first_state, lr=0.01)[0],
                  sgd_reference([values[1]], second_state, lr=0.5, momentum=0.9)[0]]
    np.testing.assert_allclose(_host(first), values[0], rtol=1e-12)
    np.testing.assert_allclose(_host(second), values[1], rtol=1e-12)


def test_add_param_group_fills_defaults(device):
    first, second = _params(device)
    optimizer = optim.Adam([first], lr=0.01, betas=(0.5, 0.6))
    optimizer.add_param_group({"params": second, "lr": 0.1})
    group = optimizer.param_groups[1]
    assert group["params"] == [second] or group["params"][0] is second
    assert group["lr"] == 0.1 and group["betas"] == (0.5, 0.6) and group["eps"] == 1e-8


def test_zero_grad(device):
    params = _params(device)
    optimizer = optim.SGD(params, lr=0.1)
    _set_gradients(params)
    optimizer.zero_grad(set_to_none=False)
    for param in params:
        assert param.grad is not None
        np.testing.assert_array_equal(_host(param.grad), np.zeros(param.shape))
    optimizer.zero_grad()
    assert all(param.grad is None for param in params)


def test_step_with_closure_returns_loss_and_records_graph(device):
    weight = plexgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    optimizer = optim.SGD([weight], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (weight * weight).sum()
        loss.backward()
        return loss

    with plexgrad.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(_host(weight), [0.5, 1.0])
    assert plexgrad.is_grad_enabled()


def _train(optimizer, params, steps):
    for _ in range(steps):
        _set_gradients(params)
        optimizer.step()


@pytest.mark.parametrize("case", [CASES[2], CASES[7], CASES[10], CASES[14]], ids=["SGD", "Adam", "AdamW", "RMSprop"])
def test_state_dict_round_trip_continues_identically(device, case):
    name, _, options = case
    uninterrupted = _params(device)
    reference_optimizer = getattr(optim, name)(uninterrupted, **options)
    _train(reference_optimizer, uninterrupted, 3)

    resumed = _params(device, [_host(p).copy() for p in uninterrupted])
    resumed_optimizer = getattr(optim, name)(resumed, **options)
    resumed_optimizer.load_state_dict(reference_optimizer.state_dict())
    _train(reference_optimizer, uninterrupted, 3)
    _train(resumed_optimizer, resumed, 3)
    for first, second in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(_host(first), _host(second))


def test_state_dict_layout_is_torchs():
    first, second = _params("cpu")
    optimizer = optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.5}], lr=0.1, momentum=0.9)
    _set_gradients([first, second])
    optimizer.step()
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert list(state["state"]) == [0, 1]
    assert list(state["state"][0]) == ["momentum_buffer"]
    assert [group["params"] for group in state["param_groups"]] == [[0], [1]]
    assert list(state["param_groups"][0]) == ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize",
                                              "foreach", "differentiable", "fused", "params"]
    assert state["param_groups"][1]["lr"] == 0.5


def test_named_parameters_are_accepted():
    first, second = _params("cpu")
    optimizer = optim.SGD([("first", first), ("second", second)], lr=0.1)
    assert optimizer.param_groups[0]["params"][1] is second
    assert optimizer.state_dict()["param_groups"][0]["param_names"] == ["first", "second"]


def test_loaded_state_moves_to_the_parameters_device(device):
    source_params = _params("cpu")
    source = optim.Adam(source_params, lr=0.05, amsgrad=True)
    _train(source, source_params, 2)
    target_params = _params(device, [_host(p).copy() for p in source_params])
    target = optim.Adam(target_params, lr=0.05, amsgrad=True)
    target.load_state_dict(source.state_dict())
    for param in target_params:
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert target.state[param][key].device == param.device
    _train(source, source_params, 2)
    _train(target, target_params, 2)
    for first, second in zip(source_params, target_params):
        np.testing.assert_allclose(_host(second), _host(first), rtol=1e-12)


def test_loaded_floating_state_takes_the_parameters_dtype():
    params = _params("cpu")
    optimizer = optim.SGD(params, lr=0.1, momentum=0.9)
    _train(optimizer, params, 1)
    float_params = [p.detach().float().requires_grad_() for p in params]
    target = optim.SGD(float_params, lr=0.1, momentum=0.9)
    target.load_state_dict(optimizer.state_dict())
    assert target.state[float_params[0]]["momentum_buffer"].dtype is plexgrad.float32


def test_load_state_dict_validates_groups():
    first, second = _params("cpu")
    optimizer = optim.SGD([first, second], lr=0.1, momentum=0.9)
    _train(optimizer, [first, second], 1)
    saved = optimizer.state_dict()
    two_groups = optim.SGD([{"params": [first]}, {"params": [second]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups: it has 1, this optimizer has 2"):
        two_groups.load_state_dict(saved)
    smaller = optim.SGD([first], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict and 1 in this optimizer"):
        smaller.load_state_dict(saved)
    swapped = optim.SGD([second, first], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"momentum_buffer.*shape \[3, 4\].*shape \[5\]"):
        swapped.load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optimizer.load_state_dict({"state": {}})


def test_load_state_dict_restores_hyperparameters():
    params = _params("cpu")
    optimizer = optim.SGD(params, lr=0.1)
    optimizer.param_groups[0]["lr"] = 0.025
    target = optim.SGD(_params("cpu"), lr=0.1)
    target.load_state_dict(optimizer.state_dict())
    assert target.param_groups[0]["lr"] == 0.025
    assert target.param_groups[0]["params"][0] is not params[0]


@pytest.mark.parametrize("factory, message", [
    (lambda p: optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.Adam(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.RMSprop(p, lr=-0.5), "Invalid learning rate: -0.5"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda p: optim.SGD([{"params": p[:1]}, {"params": p}], lr=0.1), "more than one parameter group"),
    (lambda p: optim.SGD([{"params": p, "lr": -2}], lr=0.1), "Invalid learning rate: -2"),
    (lambda p: optim.SGD([(p[0] * 2)], lr=0.1), "can't optimize a non-leaf Tensor"),
])
def test_invalid_arguments_raise_value_error(factory, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        factory(_params("cpu"))


def test_invalid_parameter_containers_raise_type_error():
    param = _params("cpu")[0]
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(param, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([param, 3.0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {param}}], lr=0.1)


def test_repr_lists_groups():
    optimizer = optim.SGD(_params("cpu"), lr=0.1, momentum=0.9)
    text = repr(optimizer)
    assert text.startswith("SGD (\nParameter Group 0\n    dampening: 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")


def test_custom_optimizer_subclass_works():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @plexgrad.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        param.sub_(param.grad.sign() * group["lr"])

    weight = plexgrad.tensor([1.0, -1.0], requires_grad=True)
    optimizer = SignSGD([weight], lr=0.25)
    weight.grad = plexgrad.tensor([3.0, -0.5])
    optimizer.step()
    np.testing.assert_allclose(weight.detach().numpy(), [0.75, -0.75])


def test_trains_an_nn_model():
    """On cpu only: the optimizers' math is checked on every backend above; JAX's first-call
    compilation of a model's forward and backward would make this test slow."""
    nn = pytest.importorskip("plexgrad.nn")
    device = "cpu"
    plexgrad.manual_seed(0)
    model = nn.Linear(3, 1).to(device)
    inputs = plexgrad.randn(32, 3).to(device)
    targets = (inputs.sum(dim=1, keepdim=True) * 0.5 + 1.0).to(device)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = ((model(inputs) - targets) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert len(optimizer.state) == len(list(model.parameters()))
