"""Per-thread state, as in torch: grad mode, the default device and ``with device(...)`` scopes;
training in two threads at once; and concurrent first use of plexgrad (fresh interpreters).

Interleavings are forced with barriers and events (never sleeps); the behaviours that torch
defines (what a new thread starts with, asyncio tasks sharing a thread's grad mode) are run
under torch too and compared.
"""

import asyncio
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch

import plexgrad
from plexgrad import nn, optim

TIMEOUT = 60  # seconds any wait may take before the test fails instead of hanging
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _in_thread(function, *args):
    """Run ``function(*args)`` in a new thread; return its result or raise its exception here."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # re-raised in the calling thread
            outcome["error"] = error
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "thread did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _run_threads(*functions):
    """Start one thread per function at once; return their results in order (raising the first error)."""
    outcomes = [{} for _ in functions]

    def target(function, outcome):
        try:
            outcome["value"] = function()
        except BaseException as error:
            outcome["error"] = error
    threads = [threading.Thread(target=target, args=pair) for pair in zip(functions, outcomes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "thread did not finish (deadlock?)"
    for outcome in outcomes:
        if "error" in outcome:
            raise outcome["error"]
    return [outcome["value"] for outcome in outcomes]


@pytest.fixture(params=["torch", "plexgrad"])
def library(request):
    return torch if request.param == "torch" else plexgrad


# ---- grad mode ---------------------------------------------------------------------------
def test_new_thread_starts_with_grad_enabled(library):
    with library.no_grad():
        seen = _in_thread(library.is_grad_enabled)
    assert seen is True
    library.set_grad_enabled(False)
    try:
        assert _in_thread(library.is_grad_enabled) is True
    finally:
        library.set_grad_enabled(True)


def test_set_grad_enabled_in_a_thread_stays_there(library):
    def switch_off():
        library.set_grad_enabled(False)
        return library.is_grad_enabled()
    assert _in_thread(switch_off) is False
    assert library.is_grad_enabled() is True


def test_asyncio_tasks_share_the_thread_grad_mode(library):
    """torch's grad mode is thread-local, not a contextvar: another task on the thread sees no_grad."""
    async def holds_no_grad(entered, done):
        with library.no_grad():
            entered.set()
            await done.wait()

    async def looks(entered, done):
        await entered.wait()
        seen = library.is_grad_enabled()
        done.set()
        return seen

    async def main():
        entered, done = asyncio.Event(), asyncio.Event()
        return (await asyncio.gather(holds_no_grad(entered, done), looks(entered, done)))[1]
    assert asyncio.run(main()) is False


@pytest.mark.parametrize("switch", ["no_grad", "set_grad_enabled", "inference_mode"])
def test_no_grad_in_one_thread_does_not_affect_another(device, switch):
    entered, checked = threading.Event(), threading.Event()
    x = plexgrad.ones(3, device=device, requires_grad=True)

    def holder():
        context = {"no_grad": plexgrad.no_grad, "inference_mode": plexgrad.inference_mode,
                   "set_grad_enabled": lambda: plexgrad.set_grad_enabled(False)}[switch]()
        with context:
            inside = (x * 2).requires_grad
            entered.set()
            assert checked.wait(TIMEOUT)
            still = (x * 2).requires_grad
        return inside, still, plexgrad.is_grad_enabled()

    def other():
        assert entered.wait(TIMEOUT)
        y = x * 3
        result = plexgrad.is_grad_enabled(), y.requires_grad, y.grad_fn is not None
        checked.set()
        return result

    (inside, still, after), (enabled, requires_grad, has_history) = _run_threads(holder, other)
    assert (inside, still, after) == (False, False, True)
    assert (enabled, requires_grad, has_history) == (True, True, True)


def test_one_no_grad_instance_entered_by_two_threads_restores_each_thread():
    """Each thread gets back its own mode, whatever order the threads leave in.  (torch keeps one
    saved mode per instance, so there the first thread gets the second one's back: plexgrad keeps
    one per thread, a module-level ``no_grad()`` being easy to share by accident.)"""
    library = plexgrad
    shared = library.no_grad()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():  # enters with grad on, leaves first
        with shared:
            first_in.set()
            assert second_in.wait(TIMEOUT)
        first_out.set()
        return library.is_grad_enabled()

    def second():  # enters with grad off, leaves last
        library.set_grad_enabled(False)
        assert first_in.wait(TIMEOUT)
        with shared:
            second_in.set()
            assert first_out.wait(TIMEOUT)
        return library.is_grad_enabled()

    assert _run_threads(first, second) == [True, False]


def test_backward_in_one_thread_leaves_recording_on_in_another(device):
    """The engine switches recording off during backward: only in its own thread."""
    in_backward, forward_done = threading.Event(), threading.Event()
    a = plexgrad.ones(3, device=device, requires_grad=True)
    b = plexgrad.ones(3, device=device, requires_grad=True)

    def backward_thread():
        hidden = a * 2

        def pause(grad):
            in_backward.set()
            assert forward_done.wait(TIMEOUT)
            return grad
        hidden.register_hook(pause)
        (hidden * hidden).sum().backward()
        return a.grad.tolist()

    def forward_thread():
        assert in_backward.wait(TIMEOUT)
        y = (b * 5).sum()
        forward_done.set()
        y.backward()
        return b.grad.tolist()

    assert _run_threads(backward_thread, forward_thread) == [[8.0] * 3, [5.0] * 3]


def test_optimizer_step_in_one_thread_leaves_recording_on_in_another(device):
    in_step, forward_done = threading.Event(), threading.Event()

    class PausingSGD(optim.SGD):
        def _update_group(self, group):
            super()._update_group(group)
            in_step.set()
            assert forward_done.wait(TIMEOUT)

    weight = plexgrad.ones(2, device=device, requires_grad=True)
    other = plexgrad.ones(2, device=device, requires_grad=True)

    def stepping():
        (weight * 3).sum().backward()
        PausingSGD([weight], lr=0.5).step()
        return weight.tolist()

    def recording():
        assert in_step.wait(TIMEOUT)
        y = (other * other).sum()
        forward_done.set()
        return y.requires_grad, y.grad_fn is not None

    assert _run_threads(stepping, recording) == [[-0.5, -0.5], (True, True)]


# ---- two threads training their own models ------------------------------------------------
class _Pause(nn.Module):
    """Identity; with a barrier, waits there once per forward (mid-forward, grad recording on)."""

    def __init__(self, barrier=None):
        super().__init__()
        self.barrier = barrier

    def forward(self, x):
        if self.barrier is not None:
            self.barrier.wait(TIMEOUT)
        return x


def _train(device, seed, steps, forward_barrier=None, backward_barrier=None):
    """Linear-ReLU-Linear trained by SGD with momentum on fixed data; returns the final parameters.

    ``forward_barrier`` makes it wait mid-forward each step, ``backward_barrier`` mid-backward:
    given one to each of two threads, every rendezvous has one thread recording its forward
    while the other runs backward (recording off in that thread only)."""
    rng = np.random.default_rng(seed)
    inputs = plexgrad.tensor(rng.standard_normal((16, 5)).astype(np.float32), device=device)
    targets = plexgrad.tensor(rng.standard_normal((16, 2)).astype(np.float32), device=device)
    first, second = nn.Linear(5, 8), nn.Linear(8, 2)
    model = nn.Sequential(first, _Pause(forward_barrier), nn.ReLU(), second).to(device)
    with plexgrad.no_grad():
        for parameter in model.parameters():
            parameter.copy_(plexgrad.tensor(rng.standard_normal(tuple(parameter.shape)).astype(np.float32) * 0.5))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        hidden = first(inputs)
        if backward_barrier is not None:
            hidden.register_hook(lambda grad: (backward_barrier.wait(TIMEOUT), grad)[1])
        output = second(model[2](model[1](hidden)))
        loss = ((output - targets) ** 2).mean()
        loss.backward()
        optimizer.step()
    return [parameter.detach().to("cpu").numpy().copy() for parameter in model.parameters()]


def test_two_threads_training_give_the_single_threaded_results(device):
    steps = 12
    expected = [_train(device, 1, steps), _train(device, 2, steps)]
    barrier = threading.Barrier(2)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible between the rendezvous too
    try:
        found = _run_threads(lambda: _train(device, 1, steps, forward_barrier=barrier),
                             lambda: _train(device, 2, steps, backward_barrier=barrier))
    finally:
        sys.setswitchinterval(interval)
    for wanted, got in zip(expected, found):
        for wanted_parameter, got_parameter in zip(wanted, got):
            np.testing.assert_array_equal(got_parameter, wanted_parameter)


# ---- default device and device scopes -------------------------------------------------------
def _other_device(library):
    """A device type other than cpu: torch's meta, plexgrad's jax (skipped where jax is absent)."""
    if library is torch:
        return "meta"
    import importlib.util
    if importlib.util.find_spec("jax") is None:
        pytest.skip("needs a second device type: jax is not installed")
    return "jax"


def _device_type(library):
    return library.zeros(1).device.type


def test_set_default_device_is_per_thread(library):
    other = _other_device(library)
    library.set_default_device(other)
    try:
        assert _device_type(library) == other
        assert _in_thread(_device_type, library) == "cpu"  # a new thread starts from cpu, as in torch
    finally:
        library.set_default_device(None)

    def choose():
        library.set_default_device(other)
        return _device_type(library)
    assert _in_thread(choose) == other
    assert _device_type(library) == "cpu"


def test_device_scope_is_per_thread(library):
    other = _other_device(library)
    with library.device(other):
        assert _device_type(library) == other
        assert _in_thread(_device_type, library) == "cpu"
    assert _device_type(library) == "cpu"


def test_same_device_scope_entered_by_two_threads():
    """plexgrad's devices are interned (one object shared by every thread): the scope stack is per thread."""
    other = _other_device(plexgrad)
    scope = plexgrad.device(other)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with scope:
            first_in.set()
            assert second_in.wait(TIMEOUT)
            inside = _device_type(plexgrad)
        first_out.set()
        return inside, _device_type(plexgrad)

    def second():
        plexgrad.set_default_device(other)
        assert first_in.wait(TIMEOUT)
        with plexgrad.device("cpu"):
            with scope:
                second_in.set()
                assert first_out.wait(TIMEOUT)
                inside = _device_type(plexgrad)
            after_inner = _device_type(plexgrad)
        return inside, after_inner, _device_type(plexgrad)

    assert _run_threads(first, second) == [(other, "cpu"), (other, "cpu", other)]


# ---- concurrent first use (each run a fresh interpreter) ------------------------------------
_FIRST_USE = textwrap.dedent("""
    import sys, threading
    sys.setswitchinterval(1e-6)
    import plexgrad
    device_name = sys.argv[1]
    barrier = threading.Barrier(4)
    errors, devices = [], []

    def first_use(seed):
        try:
            barrier.wait()
            x = plexgrad.ones(3, device=device_name) * seed
            y = (x.sum() + plexgrad.arange(3, device=device_name).sum()).item()
            assert y == 3 * seed + 3, y
            devices.append(x.device)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=first_use, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(devices) + len(errors) == 4
    assert all(found is devices[0] for found in devices), "one device object per device (== is identity)"
    print(len(errors), "failures")
    for error in errors:
        print(error)
""")


def test_four_threads_first_use_at_once(device):
    """Four threads use a device for the first time at once, in a fresh interpreter, a few times over
    (fewer off the cpu: each run imports the backend's library)."""
    environment = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    environment.pop("PLEXGRAD_DEVICE", None)
    for _ in range(4 if device == "cpu" else 2):
        completed = subprocess.run([sys.executable, "-c", _FIRST_USE, device], capture_output=True, text=True,
                                   env=environment, timeout=120)
        assert completed.returncode == 0, completed.stderr[-3000:]
        assert completed.stdout.startswith("0 failures"), completed.stdout


def test_ops_declared_by_one_thread_while_another_fills_tables():
    """A thread importing a module declares ops while another fills a backend's tables (its first
    use): the fill works on a snapshot of the declarations (it once raised "dictionary changed size
    during iteration", about one first use in thirty on jax)."""
    from plexgrad.core import dispatch
    from plexgrad.core.op import declare
    names = [f"_test_concurrent_declaration_{index}" for index in range(300)]
    failures = []
    stop = threading.Event()

    def fill():
        try:
            while not stop.is_set():
                dispatch._decomposable(set(), "cpu")
                dispatch.coverage(set())
        except Exception as error:  # noqa: BLE001 (the failure under test)
            failures.append(error)

    filler = threading.Thread(target=fill)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    filler.start()
    try:
        for name in names:
            declare(name, signature="x")
    finally:
        stop.set()
        filler.join(timeout=60)
        sys.setswitchinterval(previous)
        for name in names:
            dispatch.OPS.pop(name, None)
    assert not filler.is_alive()
    assert failures == []
