"""Learning-rate schedulers compared with torch.optim.lr_scheduler: the same lr (and momentum) sequence,
float for float, and state_dict round trips that resume the same sequence."""

import math
import warnings

import pytest
import torch

import plexgrad
from plexgrad import optim

STEPS = 40


def _optimizer(lib, kind, groups=1):
    params = [[lib.zeros(2, requires_grad=True)] for _ in range(groups)]
    group_dicts = [{"params": p, "lr": 0.1 * (i + 1)} for i, p in enumerate(params)]
    if kind == "adam":
        return lib.optim.Adam(group_dicts, lr=0.1)
    return lib.optim.SGD(group_dicts, lr=0.1, momentum=0.9)


def _build(lib, name, optimizer):
    schedulers = lib.optim.lr_scheduler
    if name == "LambdaLR":
        return schedulers.LambdaLR(optimizer, lambda epoch: 0.95 ** epoch)
    if name == "LambdaLR-list":
        return schedulers.LambdaLR(optimizer, [lambda e: 1 / (e + 1), lambda e: min(1.0, (e + 1) / 10)])
    if name == "MultiplicativeLR":
        return schedulers.MultiplicativeLR(optimizer, lambda epoch: 0.9 if epoch % 3 else 1.0)
    if name == "OneCycleLR":
        return schedulers.OneCycleLR(optimizer, max_lr=1.0, total_steps=STEPS + 1)
    if name == "OneCycleLR-linear-3phase":
        return schedulers.OneCycleLR(optimizer, max_lr=[1.0, 2.0], epochs=7, steps_per_epoch=6,
                                     anneal_strategy="linear", three_phase=True, pct_start=0.25)
    if name == "OneCycleLR-no-momentum":
        return schedulers.OneCycleLR(optimizer, max_lr=0.5, total_steps=STEPS + 1, cycle_momentum=False,
                                     div_factor=10.0, final_div_factor=100.0)
    if name == "CyclicLR":
        return schedulers.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=5)
    if name == "CyclicLR-triangular2":
        return schedulers.CyclicLR(optimizer, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=4,
                                   step_size_down=6, mode="triangular2")
    if name == "CyclicLR-exp_range":
        return schedulers.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range",
                                   gamma=0.97, base_momentum=0.7, max_momentum=0.95)
    if name == "CyclicLR-scale_fn":
        return schedulers.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False,
                                   scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations")
    if name == "LinearLR":
        return schedulers.LinearLR(optimizer, start_factor=0.2, end_factor=0.9, total_iters=7)
    if name == "ConstantLR":
        return schedulers.ConstantLR(optimizer, factor=0.25, total_iters=6)
    if name == "CosineAnnealingWarmRestarts":
        return schedulers.CosineAnnealingWarmRestarts(optimizer, T_0=5, eta_min=0.001)
    if name == "CosineAnnealingWarmRestarts-mult":
        return schedulers.CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=2)
    if name == "SequentialLR":
        warmup = schedulers.LinearLR(optimizer, start_factor=0.1, total_iters=5)
        decay = schedulers.CosineAnnealingLR(optimizer, T_max=20)
        return schedulers.SequentialLR(optimizer, [warmup, decay], milestones=[5])
    if name == "SequentialLR-three":
        first = schedulers.ConstantLR(optimizer, factor=0.5, total_iters=3)
        second = schedulers.ExponentialLR(optimizer, gamma=0.9)
        third = schedulers.StepLR(optimizer, step_size=4, gamma=0.5)
        return schedulers.SequentialLR(optimizer, [first, second, third], milestones=[4, 15])
    if name == "ChainedScheduler":
        return schedulers.ChainedScheduler([schedulers.ConstantLR(optimizer, factor=0.5, total_iters=4),
                                            schedulers.ExponentialLR(optimizer, gamma=0.9)])
    if name == "ChainedScheduler-optimizer":
        return schedulers.ChainedScheduler([schedulers.LinearLR(optimizer, start_factor=0.5, total_iters=6),
                                            schedulers.StepLR(optimizer, step_size=5, gamma=0.3)], optimizer)
    raise KeyError(name)


CASES = [("LambdaLR", "sgd", 1), ("LambdaLR-list", "sgd", 2), ("MultiplicativeLR", "sgd", 1),
         ("OneCycleLR", "sgd", 1), ("OneCycleLR", "adam", 2), ("OneCycleLR-linear-3phase", "sgd", 2),
         ("OneCycleLR-no-momentum", "adam", 1), ("CyclicLR", "sgd", 1), ("CyclicLR-triangular2", "adam", 2),
         ("CyclicLR-exp_range", "sgd", 1), ("CyclicLR-scale_fn", "sgd", 1), ("LinearLR", "sgd", 2),
         ("ConstantLR", "sgd", 1), ("CosineAnnealingWarmRestarts", "sgd", 2),
         ("CosineAnnealingWarmRestarts-mult", "adam", 1), ("SequentialLR", "sgd", 1),
         ("SequentialLR-three", "sgd", 2), ("ChainedScheduler", "sgd", 1), ("ChainedScheduler-optimizer", "adam", 2)]


def _momenta(optimizer):
    return [group["betas"][0] if "betas" in group else group["momentum"] for group in optimizer.param_groups]


def _sequence(lib, name, kind, groups, steps=STEPS, resume_at=None):
    optimizer = _optimizer(lib, kind, groups)
    scheduler = _build(lib, name, optimizer)
    rates, momenta = [scheduler.get_last_lr()], [_momenta(optimizer)]
    for step in range(steps):
        if resume_at is not None and step == resume_at:
            saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
            optimizer = _optimizer(lib, kind, groups)
            scheduler = _build(lib, name, optimizer)
            optimizer.load_state_dict(saved_optimizer)
            scheduler.load_state_dict(saved_scheduler)
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr())
        momenta.append(_momenta(optimizer))
    return rates, momenta, scheduler


@pytest.mark.parametrize("name, kind, groups", CASES, ids=[f"{n}-{k}-{g}" for n, k, g in CASES])
def test_sequence_matches_torch(name, kind, groups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rates, momenta, scheduler = _sequence(plexgrad, name, kind, groups)
        expected_rates, expected_momenta, expected = _sequence(torch, name, kind, groups)
    assert rates == expected_rates  # the same floats: same recurrences in the same order
    assert momenta == expected_momenta
    ours_keys = set(scheduler.state_dict())
    theirs_keys = set(expected.state_dict())
    assert ours_keys >= theirs_keys - {"_get_lr_called_within_step", "_is_initial"}, theirs_keys - ours_keys


@pytest.mark.parametrize("name, kind, groups", CASES, ids=[f"{n}-{k}-{g}" for n, k, g in CASES])
def test_state_dict_round_trip_resumes_the_sequence(name, kind, groups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        straight, straight_momenta, _ = _sequence(plexgrad, name, kind, groups)
        resumed, resumed_momenta, _ = _sequence(plexgrad, name, kind, groups, resume_at=13)
        theirs, theirs_momenta, _ = _sequence(torch, name, kind, groups, resume_at=13)
    assert resumed == straight
    assert resumed_momenta == straight_momenta
    assert resumed == theirs and resumed_momenta == theirs_momenta


def test_warm_restarts_with_fractional_epochs_match_torch():
    sequences = []
    for lib in (plexgrad, torch):
        optimizer = _optimizer(lib, "sgd")
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=4, T_mult=2, eta_min=0.01)
        values = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in range(12):
                for batch in range(3):
                    optimizer.step()
                    scheduler.step(epoch + batch / 3)
                    values.append(scheduler.get_last_lr()[0])
        sequences.append(values)
    assert sequences[0] == pytest.approx(sequences[1], rel=1e-12)


@pytest.mark.parametrize("build, message", [
    (lambda s, o: s.OneCycleLR(o, max_lr=1.0), "total_steps OR"),
    (lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=2.0), "pct_start"),
    (lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="step"), "anneal_strategy"),
    (lambda s, o: s.CyclicLR(o, 0.1, 1.0, mode="zigzag"), "mode is invalid"),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0), "positive integer T_0"),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "T_mult >= 1"),
    (lambda s, o: s.SequentialLR(o, [s.ExponentialLR(o, 0.9)], milestones=[3]), "one more than the number"),
    (lambda s, o: s.SequentialLR(o, [s.ReduceLROnPlateau(o)], milestones=[]), "ReduceLROnPlateau"),
    (lambda s, o: s.ChainedScheduler([]), "at least one scheduler"),
])
def test_bad_arguments_raise_like_torch(build, message):
    for lib in (plexgrad, torch):
        with pytest.raises(ValueError, match=message):
            build(lib.optim.lr_scheduler, _optimizer(lib, "sgd"))


def test_cycle_momentum_needs_a_momentum():
    for lib in (plexgrad, torch):
        optimizer = lib.optim.Adagrad([lib.zeros(2, requires_grad=True)])
        with pytest.raises(ValueError, match="must support momentum"):
            lib.optim.lr_scheduler.CyclicLR(optimizer, 0.01, 0.1)


def test_one_cycle_refuses_to_step_past_total_steps():
    for lib in (plexgrad, torch):
        optimizer = _optimizer(lib, "sgd")
        scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                optimizer.step()
                scheduler.step()
            with pytest.raises(ValueError, match="Tried to step 4 times"):
                scheduler.step()
