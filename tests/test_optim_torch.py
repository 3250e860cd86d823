"""The optimizers added for torch's everyday API, compared with torch.optim step by step: same initial
values, the same gradient field, N steps, parameters (and state) compared after every step."""

import numpy as np
import pytest
import torch

import plexgrad
from plexgrad import optim

SHAPES = [(3, 4), (5,)]
STEPS = 6


@pytest.fixture(autouse=True)
def torch_float64_scalars():
    """torch keeps scalar state (NAdam's mu_product, ASGD's eta and mu) in the default dtype: float64 here,
    so both sides compute those in float64 and can be compared tightly."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _initial_values():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape) for shape in SHAPES]


def _gradient(values):
    """A non-linear gradient field, so moments and averages matter."""
    return 0.3 * values ** 3 - values + 0.1


def _host(tensor):
    return np.asarray(tensor.detach().cpu().numpy())


CASES = [
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}), ("Adadelta", {"maximize": True}),
    ("Adagrad", {}), ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.2}),
    ("Adagrad", {"maximize": True, "eps": 1e-6}),
    ("Adamax", {}), ("Adamax", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1}),
    ("Adamax", {"maximize": True}),
    ("NAdam", {}), ("NAdam", {"weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}), ("NAdam", {"maximize": True}),
    ("RAdam", {}), ("RAdam", {"lr": 0.01, "betas": (0.5, 0.6), "weight_decay": 0.1}),  # rho_t > 5 from step 6
    ("RAdam", {"betas": (0.9, 0.1)}),  # rectified from the first steps on
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("ASGD", {}), ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 2, "weight_decay": 0.1}),
    ("ASGD", {"t0": 0, "maximize": True}),
]


def _state_names(name):
    return {"Adadelta": ["square_avg", "acc_delta"], "Adagrad": ["sum"], "Adamax": ["exp_avg", "exp_inf"],
            "NAdam": ["exp_avg", "exp_avg_sq"], "RAdam": ["exp_avg", "exp_avg_sq"], "ASGD": ["ax"]}[name]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_steps_match_torch(device, name, options):
    values = _initial_values()
    ours = [plexgrad.tensor(v, dtype=plexgrad.float64, device=device, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    ours_optimizer = getattr(optim, name)(ours, **options)
    theirs_optimizer = getattr(torch.optim, name)(theirs, **options)
    for _ in range(STEPS):
        for param, reference in zip(ours, theirs):
            reference.grad = torch.tensor(_gradient(reference.detach().numpy()))
            param.grad = plexgrad.tensor(_gradient(_host(param)), dtype=plexgrad.float64, device=device)
        ours_optimizer.step()
        theirs_optimizer.step()
        for param, reference in zip(ours, theirs):
            np.testing.assert_allclose(_host(param), reference.detach().numpy(), rtol=1e-10, atol=1e-12)
            for key in _state_names(name):
                np.testing.assert_allclose(_host(ours_optimizer.state[param][key]),
                                           theirs_optimizer.state[reference][key].numpy(), rtol=1e-10, atol=1e-12)
            assert float(ours_optimizer.state[param]["step"]) == float(theirs_optimizer.state[reference]["step"])
    assert ours_optimizer.param_groups[0].keys() == theirs_optimizer.param_groups[0].keys()


@pytest.mark.parametrize("name", ["Adadelta", "Adagrad", "Adamax", "NAdam", "RAdam", "ASGD"])
def test_state_dict_round_trip_continues_identically(device, name):
    values = _initial_values()

    def run(steps, optimizer_from=None):
        params = [plexgrad.tensor(v, dtype=plexgrad.float64, device=device, requires_grad=True) for v in values]
        optimizer = getattr(optim, name)(params, lr=0.01)
        if optimizer_from is not None:
            for param, saved in zip(params, optimizer_from[0]):
                with plexgrad.no_grad():
                    param.copy_(saved)
            optimizer.load_state_dict(optimizer_from[1])
        for _ in range(steps):
            for param in params:
                param.grad = plexgrad.tensor(_gradient(_host(param)), dtype=plexgrad.float64, device=device)
            optimizer.step()
        return params, optimizer
    straight, _ = run(6)
    half, optimizer = run(3)
    resumed, _ = run(3, ([p.detach().clone() for p in half], optimizer.state_dict()))
    for a, b in zip(straight, resumed):
        np.testing.assert_allclose(_host(a), _host(b), rtol=1e-12)


@pytest.mark.parametrize("name, bad, message", [
    ("Adadelta", {"rho": 1.5}, "Invalid rho value"), ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value"),
    ("Adamax", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0"),
    ("NAdam", {"momentum_decay": -1}, "Invalid momentum_decay value"), ("RAdam", {"eps": -1}, "Invalid epsilon"),
    ("ASGD", {"weight_decay": -1}, "Invalid weight_decay value"), ("Adagrad", {"lr": -1}, "Invalid learning rate"),
])
def test_bad_hyperparameters_raise_like_torch(name, bad, message):
    for module, make in ((optim, lambda: plexgrad.zeros(2, requires_grad=True)),
                         (torch.optim, lambda: torch.zeros(2, requires_grad=True))):
        with pytest.raises(ValueError, match=message):
            getattr(module, name)([make()], **bad)


def _rosenbrock(lib, params):
    x, y = params
    return ((1 - x) ** 2 + 100 * (y - x ** 2) ** 2).sum()


# Rosenbrock amplifies rounding differences (the order of a dot product's sum) about tenfold every few
# iterations, so the runs are kept to ~20 iterations, where both sides agree to ~1e-12.
@pytest.mark.parametrize("options", [{"max_iter": 10}, {"line_search_fn": "strong_wolfe", "max_iter": 10},
                                     {"lr": 0.5, "history_size": 3, "max_iter": 7},
                                     {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 6,
                                      "tolerance_change": 1e-6}])
def test_lbfgs_matches_torch(device, options):
    start = [np.array([-1.2, 0.5, 1.5]), np.array([1.0, -0.3, 2.0])]
    ours = [plexgrad.tensor(v, dtype=plexgrad.float64, device=device, requires_grad=True) for v in start]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    ours_optimizer = optim.LBFGS(ours, **options)
    theirs_optimizer = torch.optim.LBFGS(theirs, **options)

    def closure_for(lib, params, optimizer):
        def closure():
            optimizer.zero_grad()
            loss = _rosenbrock(lib, params)
            loss.backward()
            return loss
        return closure
    for _ in range(2):
        loss = ours_optimizer.step(closure_for(plexgrad, ours, ours_optimizer))
        reference_loss = theirs_optimizer.step(closure_for(torch, theirs, theirs_optimizer))
        assert float(loss) == pytest.approx(float(reference_loss), rel=1e-9, abs=1e-12)
        for param, reference in zip(ours, theirs):
            np.testing.assert_allclose(_host(param), reference.detach().numpy(), rtol=1e-9, atol=1e-11)
        ours_state = ours_optimizer.state[ours[0]]
        theirs_state = theirs_optimizer.state[theirs[0]]
        assert ours_state["func_evals"] == theirs_state["func_evals"]
        assert ours_state["n_iter"] == theirs_state["n_iter"]


def test_lbfgs_refuses_groups_and_missing_closure():
    a, b = plexgrad.zeros(2, requires_grad=True), plexgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([a]).step()
