"""Learning-rate schedulers against the closed-form schedules they implement."""

import math
import warnings
from bisect import bisect_right

import pytest

import plexgrad
from plexgrad import optim
from plexgrad.optim import lr_scheduler

EPOCHS = 30


def _optimizer(lrs=(0.1,), device="cpu"):
    groups = [{"params": [plexgrad.zeros(2, device=device, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0])


def _run(scheduler, optimizer, epochs=EPOCHS):
    """The lr of every group after construction and after each of ``epochs`` steps."""
    history = [[group["lr"] for group in optimizer.param_groups]]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        current = [group["lr"] for group in optimizer.param_groups]
        assert scheduler.get_last_lr() == current
        history.append(current)
    return history


def _assert_schedule(history, closed_form, base_lrs):
    for epoch, lrs in enumerate(history):
        for lr, base in zip(lrs, base_lrs):
            assert lr == pytest.approx(closed_form(base, epoch), rel=1e-12, abs=1e-15), f"epoch {epoch}"


def test_step_lr(device):
    optimizer = _optimizer((0.1, 0.5), device)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.3)
    _assert_schedule(_run(scheduler, optimizer), lambda base, e: base * 0.3 ** (e // 4), (0.1, 0.5))


def test_multi_step_lr_with_repeated_milestone():
    optimizer = _optimizer((0.1, 0.02))
    milestones = [3, 7, 7, 20]
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.5)
    _assert_schedule(_run(scheduler, optimizer), lambda base, e: base * 0.5 ** bisect_right(milestones, e),
                     (0.1, 0.02))


def test_exponential_lr():
    optimizer = _optimizer((0.1, 1.0))
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.93)
    _assert_schedule(_run(scheduler, optimizer), lambda base, e: base * 0.93 ** e, (0.1, 1.0))


@pytest.mark.parametrize("t_max, eta_min", [(10, 0.0), (7, 0.001)])
def test_cosine_annealing_follows_the_cosine_through_restarts(t_max, eta_min):
    optimizer = _optimizer((0.1, 0.05))
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min)
    history = _run(scheduler, optimizer, epochs=3 * t_max + 2)

    def closed_form(base, epoch):
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2

    for epoch, lrs in enumerate(history):
        for lr, base in zip(lrs, (0.1, 0.05)):
            assert lr == pytest.approx(closed_form(base, epoch), rel=1e-9, abs=1e-12), f"epoch {epoch}"


def test_lambda_lr_warmup():
    optimizer = _optimizer((0.1, 0.3))
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda e: min(1.0, (e + 1) / 5), lambda e: 0.9 ** e])
    history = _run(scheduler, optimizer)
    for epoch, (first, second) in enumerate(history):
        assert first == pytest.approx(0.1 * min(1.0, (epoch + 1) / 5), rel=1e-12)
        assert second == pytest.approx(0.3 * 0.9 ** epoch, rel=1e-12)


def test_multiplicative_lr():
    optimizer = _optimizer()
    scheduler = lr_scheduler.MultiplicativeLR(optimizer, lambda e: 0.5 if e % 3 == 0 else 1.0)
    history = _run(scheduler, optimizer)
    _assert_schedule(history, lambda base, e: base * 0.5 ** (e // 3), (0.1,))


def test_linear_and_constant_lr():
    optimizer = _optimizer((0.1, 0.4))
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.25, end_factor=1.0, total_iters=8)
    _assert_schedule(_run(scheduler, optimizer),
                     lambda base, e: base * (0.25 + 0.75 * min(e, 8) / 8), (0.1, 0.4))
    optimizer = _optimizer((0.1, 0.4))
    scheduler = lr_scheduler.ConstantLR(optimizer, factor=0.5, total_iters=6)
    _assert_schedule(_run(scheduler, optimizer), lambda base, e: base * (0.5 if e < 6 else 1.0), (0.1, 0.4))


def test_scheduler_changes_the_optimizer_update(device):
    weight = plexgrad.tensor([1.0], device=device, requires_grad=True)
    optimizer = optim.SGD([weight], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    expected = 1.0
    for epoch in range(5):
        weight.grad = plexgrad.ones(1, device=device)
        optimizer.step()
        expected -= 0.5 ** epoch
        scheduler.step()
    assert weight.item() == pytest.approx(expected)


def test_initial_lr_and_base_lrs():
    optimizer = _optimizer((0.1, 0.2))
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    assert scheduler.base_lrs == [0.1, 0.2]
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.2]
    assert scheduler.last_epoch == 0


def test_state_dict_round_trip_resumes_the_schedule():
    optimizer = _optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=12, eta_min=0.01)
    _run(scheduler, optimizer, epochs=5)
    optimizer_state, scheduler_state = optimizer.state_dict(), scheduler.state_dict()
    assert "optimizer" not in scheduler_state and scheduler_state["last_epoch"] == 5
    remaining = _run(scheduler, optimizer, epochs=10)

    resumed_optimizer = _optimizer()
    resumed_scheduler = lr_scheduler.CosineAnnealingLR(resumed_optimizer, T_max=12, eta_min=0.01)
    resumed_optimizer.load_state_dict(optimizer_state)
    resumed_scheduler.load_state_dict(scheduler_state)
    assert _run(resumed_scheduler, resumed_optimizer, epochs=10) == remaining


def test_resume_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_optimizer(), step_size=2, last_epoch=3)


def test_step_with_epoch_uses_closed_form():
    optimizer = _optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    optimizer.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(7)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.1 ** 2)


def test_warnings_for_misuse():
    optimizer = _optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        scheduler.get_lr()
    optimizer = _optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()


def test_invalid_arguments():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(_optimizer((0.1, 0.2)), [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        lr_scheduler.LambdaLR(_optimizer(), 3)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), factor=1.5)
    with pytest.raises(ValueError, match="mode sideways is unknown"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), mode="sideways")
    with pytest.raises(ValueError, match="threshold mode exact is unknown"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), threshold_mode="exact")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        lr_scheduler.ReduceLROnPlateau(_optimizer((0.1, 0.2)), min_lr=[0.1])
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(_optimizer(), step_size=0)


# ---- ReduceLROnPlateau --------------------------------------------------------------------
def _plateau_history(scheduler, optimizer, metrics):
    history = []
    for value in metrics:
        scheduler.step(value)
        history.append([group["lr"] for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == history[-1]
    return history


@pytest.mark.parametrize("patience, cooldown", [(0, 0), (2, 0), (3, 2)])
def test_plateau_reduces_every_patience_plus_cooldown_epochs(patience, cooldown):
    """With a constant metric, the first reduction comes at epoch patience + 2 (epoch 1 sets the
    best value), then one every cooldown + patience + 1 epochs."""
    optimizer = _optimizer((0.1, 0.3))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.7, patience=patience, cooldown=cooldown,
                                               min_lr=[0.01, 0.0])
    history = _plateau_history(scheduler, optimizer, [1.0] * EPOCHS)
    period = cooldown + patience + 1
    for epoch, lrs in enumerate(history, start=1):
        reductions = 0 if epoch < patience + 2 else 1 + (epoch - patience - 2) // period
        assert lrs[0] == pytest.approx(max(0.1 * 0.7 ** reductions, 0.01), rel=1e-12), f"epoch {epoch}"
        assert lrs[1] == pytest.approx(0.3 * 0.7 ** reductions, rel=1e-12), f"epoch {epoch}"


@pytest.mark.parametrize("mode, sign", [("min", -1.0), ("max", 1.0)])
def test_plateau_improvements_reset_the_count(mode, sign):
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, patience=1)
    metrics = [sign * epoch for epoch in range(EPOCHS)]  # strictly improving
    assert _plateau_history(scheduler, optimizer, metrics)[-1] == [0.1]
    assert scheduler.best == metrics[-1] and scheduler.num_bad_epochs == 0


@pytest.mark.parametrize("threshold_mode, threshold", [("rel", 1e-4), ("abs", 1e-2)])
def test_plateau_improvements_below_threshold_do_not_count(threshold_mode, threshold):
    optimizer = _optimizer()
    step = 0.3 * threshold
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, threshold=threshold,
                                               threshold_mode=threshold_mode, factor=0.1)
    metrics = [1.0 - step * epoch for epoch in range(5)]  # below the best by 0.3, 0.6, 0.9 thresholds
    history = _plateau_history(scheduler, optimizer, metrics)
    assert history[2][0] == pytest.approx(0.1) and history[3][0] == pytest.approx(0.01)


def test_plateau_eps_ignores_tiny_reductions():
    optimizer = _optimizer((1e-9,))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    _plateau_history(scheduler, optimizer, [1.0, 1.0, 1.0])
    assert optimizer.param_groups[0]["lr"] == 1e-9


def test_plateau_accepts_tensor_metrics_and_round_trips_state():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=1)
    scheduler.step(plexgrad.tensor(0.5))
    state = scheduler.state_dict()
    assert state["best"] == 0.5 and state["mode"] == "max"
    fresh = lr_scheduler.ReduceLROnPlateau(_optimizer(), patience=7)
    fresh.load_state_dict(state)
    assert fresh.patience == 1 and fresh.mode == "max" and fresh.mode_worse == -math.inf


def test_custom_scheduler_subclass():
    class Halving(lr_scheduler._LRScheduler):
        def get_lr(self):
            if self.last_epoch == 0:
                return [group["lr"] for group in self.optimizer.param_groups]
            return [group["lr"] * 0.5 for group in self.optimizer.param_groups]

    optimizer = _optimizer((0.8,))
    scheduler = Halving(optimizer)
    _assert_schedule(_run(scheduler, optimizer, epochs=5), lambda base, e: base * 0.5 ** e, (0.8,))
