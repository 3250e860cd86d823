"""autograd.Function (ctx, save_for_backward, mark_dirty, mark_non_differentiable, set_materialize_grads,
once_differentiable, setup_context) and autograd.functional, each run under torch and plexgrad."""

import numpy as np
import pytest
import torch

import plexgrad


def _functions(lib):
    """The same custom Functions written against ``lib`` (torch or plexgrad)."""
    once_differentiable = lib.autograd.function.once_differentiable

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    class ScaledMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, scale):
            ctx.save_for_backward(x, w)
            ctx.scale = scale
            ctx.seen_needs = ctx.needs_input_grad
            return x * w * scale

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            grad_x = grad * w * ctx.scale if ctx.needs_input_grad[0] else None
            grad_w = grad * x * ctx.scale if ctx.needs_input_grad[1] else None
            return grad_x, grad_w, None

    class SplitTwo(lib.autograd.Function):
        @staticmethod
        def forward(x):  # the setup_context style: no ctx here
            return x * 2, x.sin()

        @staticmethod
        def backward(ctx, first, second):
            return first * 2 + second * ctx.cos

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.cos = inputs[0].cos()

    class MaxWithIndex(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            ctx.save_for_backward(index)
            ctx.shape = x.shape
            return x.max(), index

        @staticmethod
        def backward(ctx, grad, grad_index):
            (index,) = ctx.saved_tensors
            result = lib.zeros(ctx.shape, dtype=grad.dtype, device=grad.device).reshape(-1)
            result[index] = grad
            return result.reshape(ctx.shape)

    class DoubleInPlace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad  # differentiable: double backward works

    class OnceSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    class Unmaterialized(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, first, second):
            ctx.saw_none = second is None
            result = first * 2
            if second is not None:
                result = result + second * 3
            return result

    class BroadcastGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.unsqueeze(0).expand(3, *grad.shape) * 2  # summed back to x's shape, as torch does

    return dict(Exp=Exp, ScaledMul=ScaledMul, SplitTwo=SplitTwo, MaxWithIndex=MaxWithIndex,
                DoubleInPlace=DoubleInPlace, Square=Square, OnceSquare=OnceSquare, Unmaterialized=Unmaterialized,
                BroadcastGrad=BroadcastGrad)


VALUES = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _pair(device):
    ours = plexgrad.tensor(VALUES, dtype=plexgrad.float64, device=device, requires_grad=True)
    theirs = torch.tensor(VALUES, dtype=torch.float64, requires_grad=True)
    return ours, theirs


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["Exp", "SplitTwo", "MaxWithIndex", "Square", "BroadcastGrad"])
def test_values_and_gradients_match_torch(device, name):
    ours_fn, theirs_fn = _functions(plexgrad)[name], _functions(torch)[name]
    x, tx = _pair(device)
    out, tout = ours_fn.apply(x), theirs_fn.apply(tx)
    outs, touts = (out, tout) if isinstance(out, tuple) else ((out,), (tout,))
    assert len(outs) == len(touts)
    for a, b in zip(outs, touts):
        _close(a, b)
        assert a.requires_grad == b.requires_grad
        assert a.dtype.name.replace("plexgrad.", "") == str(b.dtype).replace("torch.", "")
    loss = sum((o * (i + 1)).sum() for i, o in enumerate(outs) if o.requires_grad)
    tloss = sum((o * (i + 1)).sum() for i, o in enumerate(touts) if o.requires_grad)
    loss.backward()
    tloss.backward()
    _close(x.grad, tx.grad)
    assert type(outs[0].grad_fn).__name__ == type(touts[0].grad_fn).__name__ == name + "Backward"
    assert outs[0].grad_fn.name() == touts[0].grad_fn.name()


def test_ctx_attributes_needs_input_grad_and_non_tensor_arguments(device):
    ours_fn, theirs_fn = _functions(plexgrad)["ScaledMul"], _functions(torch)["ScaledMul"]
    x, tx = _pair(device)
    w = plexgrad.tensor(VALUES[::-1].copy(), dtype=plexgrad.float64, device=device)
    tw = torch.tensor(VALUES[::-1].copy(), dtype=torch.float64)
    out, tout = ours_fn.apply(x, w, 1.5), theirs_fn.apply(tx, tw, 1.5)
    assert out.grad_fn.seen_needs == tout.grad_fn.seen_needs == (True, False, False)
    assert out.grad_fn.scale == 1.5
    out.sum().backward()
    tout.sum().backward()
    _close(x.grad, tx.grad)
    assert w.grad is None and tw.grad is None
    assert out.grad_fn.next_functions[1][0] is None and tout.grad_fn.next_functions[1][0] is None
    assert type(out.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"


def test_double_backward_through_a_custom_function(device):
    ours_fn, theirs_fn = _functions(plexgrad)["Square"], _functions(torch)["Square"]
    x, tx = _pair(device)
    (grad,) = plexgrad.autograd.grad(ours_fn.apply(x).sum(), x, create_graph=True)
    (tgrad,) = torch.autograd.grad(theirs_fn.apply(tx).sum(), tx, create_graph=True)
    _close(grad, tgrad)
    (second,) = plexgrad.autograd.grad((grad * grad).sum(), x)
    (tsecond,) = torch.autograd.grad((tgrad * tgrad).sum(), tx)
    _close(second, tsecond)


def test_once_differentiable_refuses_double_backward(device):
    ours_fn, theirs_fn = _functions(plexgrad)["OnceSquare"], _functions(torch)["OnceSquare"]
    x, tx = _pair(device)
    (grad,) = plexgrad.autograd.grad(ours_fn.apply(x).sum(), x, create_graph=True)
    (tgrad,) = torch.autograd.grad(theirs_fn.apply(tx).sum(), tx, create_graph=True)
    _close(grad, tgrad)
    assert grad.requires_grad == tgrad.requires_grad
    # with a grad_output that requires grad, the result is recorded and differentiating it raises
    y, ty = ours_fn.apply(x), theirs_fn.apply(tx)
    seed = plexgrad.ones(2, 3, dtype=plexgrad.float64, device=device, requires_grad=True)
    tseed = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    (grad,) = plexgrad.autograd.grad(y, x, seed, create_graph=True)
    (tgrad,) = torch.autograd.grad(ty, tx, tseed, create_graph=True)
    for value, lib in ((grad, plexgrad), (tgrad, torch)):
        with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
            value.sum().backward()


def test_mark_dirty_rebases_the_input(device):
    ours_fn, theirs_fn = _functions(plexgrad)["DoubleInPlace"], _functions(torch)["DoubleInPlace"]
    x, tx = _pair(device)
    y, ty = x.clone(), tx.clone()
    out, tout = ours_fn.apply(y), theirs_fn.apply(ty)
    assert out is y and tout is ty
    assert y._version == ty._version
    _close(out, tout)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    _close(x.grad, tx.grad)
    for fn, leaf in ((ours_fn, x), (theirs_fn, tx)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn.apply(leaf)


def test_set_materialize_grads_false_passes_none(device):
    ours_fn, theirs_fn = _functions(plexgrad)["Unmaterialized"], _functions(torch)["Unmaterialized"]
    x, tx = _pair(device)
    first, _ = ours_fn.apply(x)
    tfirst, _ = theirs_fn.apply(tx)
    first.sum().backward()
    tfirst.sum().backward()
    assert first.grad_fn.saw_none and tfirst.grad_fn.saw_none
    _close(x.grad, tx.grad)


def test_saved_tensors_are_freed_and_version_checked(device):
    for lib, (x, _) in ((plexgrad, _pair(device)), (torch, (_pair(device)[1], None))):
        exp = _functions(lib)["Exp"]
        y = exp.apply(x * 1)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.grad_fn.saved_tensors
        z = exp.apply(x * 1)
        with lib.no_grad():
            z.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


@pytest.mark.parametrize("case", ["count", "not_tensor", "shape", "missing_backward"])
def test_bad_backward_results_raise_like_torch(device, case):
    def make(lib):
        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            if case != "missing_backward":
                @staticmethod
                def backward(ctx, grad):
                    if case == "count":
                        return grad
                    if case == "not_tensor":
                        return grad, grad
                    return lib.ones(7, dtype=grad.dtype, device=grad.device), None
        return Wrong
    messages = {"count": "incorrect number of gradients", "not_tensor": "was not a Variable",
                "shape": "invalid gradient at index 0", "missing_backward": "must implement either the backward"}
    x, tx = _pair(device)
    for lib, leaf in ((plexgrad, x), (torch, tx)):
        error = NotImplementedError if case == "missing_backward" else RuntimeError
        with pytest.raises(error, match=messages[case]):
            make(lib).apply(leaf, 2.0).sum().backward()


def test_legacy_instance_call_refuses_and_no_grad_skips_the_graph(device):
    exp = _functions(plexgrad)["Exp"]
    x, _ = _pair(device)
    with pytest.warns(DeprecationWarning):
        instance = exp()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        instance(x)
    with plexgrad.no_grad():
        assert exp.apply(x).grad_fn is None
    assert exp.apply(x.detach()).requires_grad is False


# ---- autograd.functional -----------------------------------------------------------------------

def _f(lib):
    def single(x):
        return (x ** 3).sum(1) + x.prod(1)

    def pair(x, y):
        return x.sin() * y, (x * y).sum()

    def scalar(x, y):
        return (x.exp() * y * y).sum() + (x * y).prod()
    return single, pair, scalar


def _torch_like(value):
    if isinstance(value, tuple):
        return tuple(_torch_like(v) for v in value)
    return value


def _close_nested(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close_nested(a, b)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    _close(ours, theirs)


def _inputs(device, count):
    rng = np.random.default_rng(3)
    values = [rng.standard_normal((2, 3)) for _ in range(count)]
    ours = tuple(plexgrad.tensor(v, dtype=plexgrad.float64, device=device) for v in values)
    theirs = tuple(torch.tensor(v, dtype=torch.float64) for v in values)
    return ours, theirs


@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_matches_torch(device, create_graph):
    (single, pair, _), (tsingle, tpair, _) = _f(plexgrad), _f(torch)
    (x,), (tx,) = _inputs(device, 1)
    jac = plexgrad.autograd.functional.jacobian(single, x, create_graph=create_graph)
    tjac = torch.autograd.functional.jacobian(tsingle, tx, create_graph=create_graph)
    _close_nested(jac, tjac)
    assert jac.requires_grad == tjac.requires_grad
    ours, theirs = _inputs(device, 2)
    _close_nested(plexgrad.autograd.functional.jacobian(pair, ours),
                  torch.autograd.functional.jacobian(tpair, theirs))


def test_hessian_matches_torch(device):
    (single, _, scalar), (tsingle, _, tscalar) = _f(plexgrad), _f(torch)
    ours, theirs = _inputs(device, 2)
    _close_nested(plexgrad.autograd.functional.hessian(scalar, ours),
                  torch.autograd.functional.hessian(tscalar, theirs))
    _close_nested(plexgrad.autograd.functional.hessian(lambda x: scalar(x, ours[1]), ours[0]),
                  torch.autograd.functional.hessian(lambda x: tscalar(x, theirs[1]), theirs[0]))


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_torch(device, name):
    (_, pair, scalar), (_, tpair, tscalar) = _f(plexgrad), _f(torch)
    ours_fn, theirs_fn = getattr(plexgrad.autograd.functional, name), getattr(torch.autograd.functional, name)
    ours, theirs = _inputs(device, 2)
    vectors, tvectors = _inputs(device, 2)
    if name == "vjp":
        v = (vectors[0], plexgrad.tensor(0.5, dtype=plexgrad.float64, device=device))
        tv = (tvectors[0], torch.tensor(0.5, dtype=torch.float64))
        result, tresult = ours_fn(pair, ours, v), theirs_fn(tpair, theirs, tv)
    elif name == "jvp":
        result, tresult = ours_fn(pair, ours, vectors), theirs_fn(tpair, theirs, tvectors)
    else:
        result, tresult = ours_fn(scalar, ours, vectors), theirs_fn(tscalar, theirs, tvectors)
    _close_nested(result, tresult)


def test_functional_errors_like_torch(device):
    (single, _, _), (tsingle, _, _) = _f(plexgrad), _f(torch)
    (x,), (tx,) = _inputs(device, 1)
    for module, fn, value in ((plexgrad.autograd.functional, single, x), (torch.autograd.functional, tsingle, tx)):
        with pytest.raises(RuntimeError, match="can only be None"):
            module.vjp(fn, value)
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            module.jacobian(fn, [1.0])
        with pytest.raises(TypeError, match="the value at index 1"):
            module.jacobian(fn, (value, 1.0))
        with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require"):
            module.jacobian(lambda a: a.detach() * 2, value, strict=True)
        with pytest.raises(RuntimeError, match="independent of input 1"):
            module.jacobian(lambda a, b: a * 2, (value, value), strict=True)
