"""The engine's per-leaf "gradient ready" signal, torch's ``register_post_accumulate_grad_hook``.

Each case runs under torch and under plexgrad on every backend and compares what the hooks saw
(and when), the final ``.grad`` values and which cases raise.  Data-parallel training relies on
the timing: a leaf's hook fires as soon as its gradient is final, while backward goes on.
"""

import numpy
import pytest
import torch

import plexgrad


def _values(lib, tensor):
    if tensor is None:
        return None
    if lib is torch:
        return tensor.detach().numpy().copy()
    return tensor.detach().cpu().numpy().copy()


def _two_layers(lib, device):
    """w2's hook fires before w1's gradient exists; w1's after w2's is in place."""
    kwargs = {} if lib is torch else {"device": device}
    w1 = lib.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, **kwargs)
    w2 = lib.tensor([[2.0, 1.0], [-1.0, 0.5]], requires_grad=True, **kwargs)
    x = lib.tensor([1.0, 2.0], **kwargs)
    seen = []
    w2.register_post_accumulate_grad_hook(lambda t: seen.append(("w2", w1.grad is None, _values(lib, t.grad))))
    w1.register_post_accumulate_grad_hook(lambda t: seen.append(("w1", w2.grad is None, _values(lib, t.grad))))
    (w2 @ lib.relu(w1 @ x)).sum().backward()
    return seen, _values(lib, w1.grad), _values(lib, w2.grad)


def _fires_while_backward_goes_on(lib, device):
    """The last layer's weight is ready before backward reaches the layer below it."""
    kwargs = {} if lib is torch else {"device": device}
    w1 = lib.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, **kwargs)
    w2 = lib.tensor([[2.0, 1.0], [-1.0, 0.5]], requires_grad=True, **kwargs)
    x = lib.tensor([1.0, 2.0], **kwargs)
    seen = []
    w2.register_post_accumulate_grad_hook(lambda t: seen.append("w2 ready"))
    w1.register_post_accumulate_grad_hook(lambda t: seen.append("w1 ready"))
    hidden = lib.relu(w1 @ x)
    hidden.register_hook(lambda grad: seen.append("backward reached the hidden layer"))
    (w2 @ hidden).sum().backward()
    return seen


def _shared_gradient_halved_in_place(lib, device):
    """add's backward hands one gradient to both inputs: a hook writing one leaf's .grad in place
    must not change the other branch."""
    kwargs = {} if lib is torch else {"device": device}
    a = lib.ones(2, requires_grad=True, **kwargs)
    b = lib.ones(2, requires_grad=True, **kwargs)

    def halve(tensor):
        tensor.grad.mul_(0.5)
    a.register_post_accumulate_grad_hook(halve)
    (a + b * 3).sum().backward()
    c = lib.ones(2, requires_grad=True, **kwargs)
    d = lib.ones(2, requires_grad=True, **kwargs)
    d.register_post_accumulate_grad_hook(halve)
    (c + d).sum().backward()
    return [_values(lib, t.grad) for t in (a, b, c, d)]


def _accumulates_over_two_backwards(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True, **kwargs)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(_values(lib, t.grad)))
    (w * w).sum().backward()
    (w * 3).sum().backward()
    return seen


def _used_twice_fires_once(lib, device):
    """A leaf reached by several paths gets one hook call, after all of them."""
    kwargs = {} if lib is torch else {"device": device}
    w = lib.tensor([1.0, -1.0], requires_grad=True, **kwargs)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(_values(lib, t.grad)))
    (w.exp() * w + w.sin()).sum().backward()
    return seen


def _removed_hook(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    w = lib.ones(2, requires_grad=True, **kwargs)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append("fired"))
    handle.remove()
    (w * 2).sum().backward()
    return seen


def _not_fired_by_autograd_grad(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    w = lib.ones(2, requires_grad=True, **kwargs)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append("fired"))
    (gradient,) = lib.autograd.grad((w * 2).sum(), [w])
    return seen, _values(lib, gradient), w.grad is None


def _on_non_leaf(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    w = lib.ones(2, requires_grad=True, **kwargs)
    (w * 2).register_post_accumulate_grad_hook(lambda t: None)


def _without_requires_grad(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    lib.ones(2, **kwargs).register_post_accumulate_grad_hook(lambda t: None)


def _hook_returns_a_value(lib, device):
    kwargs = {} if lib is torch else {"device": device}
    w = lib.ones(2, requires_grad=True, **kwargs)
    w.register_post_accumulate_grad_hook(lambda t: t.grad.mul_(2))
    (w * 2).sum().backward()


CASES = [_two_layers, _fires_while_backward_goes_on, _shared_gradient_halved_in_place, _accumulates_over_two_backwards, _used_twice_fires_once,
         _removed_hook, _not_fired_by_autograd_grad, _on_non_leaf, _without_requires_grad, _hook_returns_a_value]


def _outcome(case, lib, device):
    try:
        return "ok", case(lib, device)
    except Exception as error:  # the comparison is of which cases raise, and how
        return "raised", (type(error), str(error).split(". ")[0].rstrip("."))  # the first sentence


def _same(expected, actual):
    if isinstance(expected, numpy.ndarray):
        return isinstance(actual, numpy.ndarray) and numpy.allclose(expected, actual) and \
            expected.shape == actual.shape
    if isinstance(expected, (list, tuple)):
        return isinstance(actual, (list, tuple)) and len(expected) == len(actual) and \
            all(_same(e, a) for e, a in zip(expected, actual))
    return expected == actual


@pytest.mark.parametrize("case", CASES, ids=[case.__name__.strip("_") for case in CASES])
def test_post_accumulate_grad_hook_matches_torch(case, device):
    expected = _outcome(case, torch, None)
    actual = _outcome(case, plexgrad, device)
    assert _same(expected, actual), f"torch: {expected}\nplexgrad on {device}: {actual}"
