"""The autograd engine's end-of-backward callback (torch's ``Variable._execution_engine.queue_callback``),
which DistributedDataParallel waits for its reductions in: queued from a "gradient ready" hook, it
runs once, after every leaf's gradient is in ``.grad``, under torch and plexgrad alike."""

import pytest
import torch

import plexgrad
from plexgrad.core.autograd.engine import queue_callback


def _run(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    queue = torch.autograd.Variable._execution_engine.queue_callback if lib is torch else queue_callback
    w1 = lib.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, **kwargs)
    w2 = lib.tensor([[2.0, 1.0], [-1.0, 0.5]], requires_grad=True, **kwargs)
    x = lib.tensor([1.0, 2.0], **kwargs)
    seen = []

    def at_end():
        seen.append(("callback", w1.grad is not None, w2.grad is not None))

    def ready(tensor):
        seen.append(("w2 ready", w1.grad is not None))
        queue(at_end)
    w2.register_post_accumulate_grad_hook(ready)
    (w2 @ lib.relu(w1 @ x)).sum().backward()
    (w2 @ lib.relu(w1 @ x)).sum().backward()  # a second backward queues (and runs) it once more
    return seen


def test_callback_runs_once_after_every_gradient(device):
    assert _run(plexgrad, device) == _run(torch, None)


def test_a_callback_that_raises_is_not_run_again(device):
    w = plexgrad.ones(2, requires_grad=True, device=device)
    calls = []

    def fail():
        calls.append("fail")
        raise RuntimeError("callback failed")
    w.register_post_accumulate_grad_hook(lambda tensor: queue_callback(fail) if not calls else None)
    with pytest.raises(RuntimeError, match="callback failed"):
        (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert calls == ["fail"]
