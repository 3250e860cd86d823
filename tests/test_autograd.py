"""Autograd behaviour users rely on, on every backend: graph nodes, backward, grad,
hooks, grad modes, accumulation, higher-order gradients and torch's refusals."""

import numpy as np
import pytest

import plexgrad
from plexgrad.autograd import Variable


def leaf(values, device, dtype=plexgrad.float32):
    return plexgrad.tensor(values, dtype=dtype, device=device, requires_grad=True)


def assert_values(tensor, expected, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(tensor.detach().cpu().tolist(), dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=rtol, atol=1e-6)


# ---- graph structure ---------------------------------------------------------------------

def test_requires_grad_flags_and_leaves(device):
    x = plexgrad.ones(2, 2, device=device)
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None and x.grad is None
    w = plexgrad.ones(2, 2, requires_grad=True, device=device)
    y = x + w
    assert w.is_leaf and w.requires_grad
    assert y.requires_grad and not y.is_leaf
    z = x * 2
    assert not z.requires_grad and z.grad_fn is None


@pytest.mark.parametrize("build, node_name", [
    (lambda x: x + 2, "AddBackward0"),
    (lambda x: x - 2, "SubBackward0"),
    (lambda x: x * 3, "MulBackward0"),
    (lambda x: x / 3, "DivBackward0"),
    (lambda x: x ** 2, "PowBackward0"),
    (lambda x: x.sum(), "SumBackward0"),
    (lambda x: -x, "NegBackward0"),
    (lambda x: x.exp(), "ExpBackward0"),
    (lambda x: x.tanh(), "TanhBackward0"),
    (lambda x: x.relu(), "ReluBackward0"),
    (lambda x: x @ x, "MmBackward0"),
    (lambda x: x.view(4), "ViewBackward0"),
    (lambda x: x.clone(), "CloneBackward0"),
    (lambda x: x.double(), "ToCopyBackward0"),
    (lambda x: plexgrad.cat([x, x]), "CatBackward0"),
])
def test_grad_fn_has_torch_node_names(device, build, node_name):
    x = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    result = build(x)
    assert result.grad_fn.name() == node_name
    assert node_name in repr(result.grad_fn)
    assert f"grad_fn=<{node_name}>" in repr(result)


def test_next_functions_link_to_accumulate_grad_for_leaves(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 4.0], device)
    y = x * w + 2
    add_node = y.grad_fn
    assert add_node.name() == "AddBackward0"
    (mul_node, _), (constant, _) = add_node.next_functions
    assert mul_node.name() == "MulBackward0" and constant is None
    accumulators = [node for node, _ in mul_node.next_functions]
    assert [node.name() for node in accumulators] == ["AccumulateGrad", "AccumulateGrad"]
    assert accumulators[0].variable is x and accumulators[1].variable is w
    assert "AccumulateGrad" in repr(accumulators[0])


def test_seed_example_mean_of_squares(device):
    x = plexgrad.ones(2, 2, requires_grad=True, device=device)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    assert_values(z, [[27, 27], [27, 27]])
    assert out.item() == 27.0
    out.backward()
    assert_values(x.grad, [[4.5, 4.5], [4.5, 4.5]])
    assert x.grad.device == x.device and x.grad.dtype == plexgrad.float32


# ---- backward --------------------------------------------------------------------------

def test_backward_with_gradient_argument(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * x
    y.backward(plexgrad.tensor([1.0, 0.1, 0.01], device=device))
    assert_values(x.grad, [2.0, 0.4, 0.06])


def test_backward_twice_without_retain_graph_raises(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward_and_accumulates(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_values(x.grad, [4.0, 8.0])


def test_non_scalar_backward_needs_gradient(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_gradient_accumulates_across_backward_calls_and_zero_(device):
    x = leaf([1.0, 2.0], device)
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert_values(x.grad, [4.0, 8.0])
    assert x.grad is first  # accumulated in place, as torch does
    x.grad.zero_()
    assert_values(x.grad, [0.0, 0.0])
    (3 * x).sum().backward()
    assert_values(x.grad, [3.0, 3.0])


def test_shared_input_sums_gradients_from_every_path(device):
    x = leaf([2.0], device)
    y = x * x + x * 3 + x.exp()
    y.backward()
    assert_values(x.grad, [2 * 2.0 + 3 + np.exp(2.0)], rtol=1e-5)


def test_broadcast_operand_gets_reduced_gradient(device):
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device)
    b = leaf([10.0, 20.0, 30.0], device)
    (a * b).sum().backward()
    assert_values(a.grad, [[10, 20, 30], [10, 20, 30]])
    assert_values(b.grad, [5.0, 7.0, 9.0])
    assert tuple(b.grad.shape) == (3,)


def test_seed_scalar_dot_gradient(device):
    x = plexgrad.arange(4.0, device=device)
    x.requires_grad_(True)
    y = 2 * plexgrad.dot(x, x)
    y.backward()
    assert_values(x.grad, [0.0, 4.0, 8.0, 12.0])
    assert bool((x.grad == 4 * x).all())


def test_seed_detach_stops_gradient(device):
    x = plexgrad.arange(4.0, device=device, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    z.backward(plexgrad.ones(len(x), device=device))
    assert bool((x.grad == u).all())
    x.grad.zero_()
    y.backward(plexgrad.ones(len(x), device=device))
    assert bool((x.grad == 2 * x).all())


# ---- autograd.grad and higher order -------------------------------------------------------

def test_autograd_grad_returns_tuple_and_leaves_grad_alone(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 5.0], device)
    gx, gw = plexgrad.autograd.grad((x * w).sum(), [x, w])
    assert_values(gx, [3.0, 5.0])
    assert_values(gw, [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_autograd_grad_allow_unused(device):
    x = leaf(1.0, device)
    unused = leaf(2.0, device)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        plexgrad.autograd.grad(x * 2, [x, unused])
    gx, gu = plexgrad.autograd.grad(x * 2, [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_second_and_third_derivative_of_cube(device):
    x = leaf(2.0, device)
    y = x ** 3
    (first,) = plexgrad.autograd.grad(y, x, create_graph=True)
    assert first.item() == pytest.approx(12.0)
    assert first.requires_grad
    (second,) = plexgrad.autograd.grad(first, x, create_graph=True)
    assert second.item() == pytest.approx(12.0)  # 6 * x
    (third,) = plexgrad.autograd.grad(second, x)
    assert third.item() == pytest.approx(6.0)


def test_backward_create_graph_then_differentiate_grad(device):
    x = leaf([1.0, 2.0], device, dtype=plexgrad.float64)
    y = (x.sin() * x).sum()
    y.backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    expected_first = np.sin([1.0, 2.0]) + np.array([1.0, 2.0]) * np.cos([1.0, 2.0])
    assert_values(first, expected_first)
    (second,) = plexgrad.autograd.grad(first.sum(), x)
    values = np.array([1.0, 2.0])
    assert_values(second, 2 * np.cos(values) - values * np.sin(values))


# ---- grad modes ------------------------------------------------------------------------------

def test_no_grad_context_and_decorators(device):
    x = leaf([1.0], device)
    with plexgrad.no_grad():
        assert not plexgrad.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert plexgrad.is_grad_enabled()

    @plexgrad.no_grad()
    def called(t):
        return t * 2

    @plexgrad.no_grad
    def bare(t):
        return t * 2

    assert not called(x).requires_grad and not bare(x).requires_grad
    assert called.__name__ == "called"
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad(device):
    x = leaf([1.0], device)

    @plexgrad.enable_grad()
    def doubled(t):
        return t * 2

    with plexgrad.no_grad():
        assert doubled(x).requires_grad
        with plexgrad.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_function_context_and_decorator(device):
    x = leaf([1.0], device)
    with plexgrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert plexgrad.is_grad_enabled()

    @plexgrad.set_grad_enabled(False)
    def doubled(t):
        return t * 2

    assert plexgrad.is_grad_enabled()
    assert not doubled(x).requires_grad
    plexgrad.set_grad_enabled(False)
    try:
        assert not plexgrad.is_grad_enabled()
    finally:
        plexgrad.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_restored_after_exception(device):
    with pytest.raises(ValueError):
        with plexgrad.no_grad():
            raise ValueError("boom")
    assert plexgrad.is_grad_enabled()


# ---- detach, requires_grad_, retain_grad, hooks ------------------------------------------------

def test_detach_shares_storage_and_cuts_graph(device):
    x = leaf([1.0, 2.0], device)
    detached = x.detach()
    assert not detached.requires_grad and detached.grad_fn is None and detached.is_leaf
    detached[0] = 7.0
    assert x.tolist() == [7.0, 2.0]
    assert x.requires_grad


def test_requires_grad_setter_and_method(device):
    a = plexgrad.tensor([[-1.256, -11.1015], [-2.4457, 1.9479]], device=device)
    assert a.requires_grad is False
    assert a.requires_grad_(True) is a and a.requires_grad
    a.requires_grad = False
    assert not a.requires_grad
    a.requires_grad = True
    assert a.requires_grad


def test_requires_grad_on_int_tensor_raises(device):
    integers = plexgrad.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        integers.requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        plexgrad.tensor([1, 2], device=device, requires_grad=True)


def test_requires_grad_false_on_non_leaf_raises(device):
    y = leaf([1.0], device) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_retain_grad_keeps_non_leaf_grad(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert_values(y.grad, [6.0, 12.0])
    assert_values(x.grad, [18.0, 36.0])
    z = x * 3
    (z * z).sum().backward()
    assert z.grad is None


def test_register_hook_on_leaf_replaces_grad_and_can_be_removed(device):
    x = leaf([1.0, 2.0], device)
    seen = []

    def times_ten(grad):
        seen.append(grad.tolist())
        return grad * 10

    handle = x.register_hook(times_ten)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert_values(x.grad, [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert_values(x.grad, [3.0, 3.0])


def test_register_hook_on_non_leaf_changes_what_flows_back(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2
    y.register_hook(lambda grad: grad + 1)
    (y * y).sum().backward()
    # dL/dy = 2y = [4, 8]; the hook makes it [5, 9]; dy/dx = 2
    assert_values(x.grad, [10.0, 18.0])


def test_hook_returning_none_keeps_grad(device):
    x = leaf([1.0, 2.0], device)
    x.register_hook(lambda grad: None)
    (x * 5).sum().backward()
    assert_values(x.grad, [5.0, 5.0])


def test_hook_on_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        plexgrad.ones(2, device=device).register_hook(lambda grad: grad)


# ---- version counters and in-place refusals ------------------------------------------------------

def test_saved_tensor_modified_in_place_raises(device):
    a = leaf([1.0, 2.0], device)
    c = a * 1
    d = c * c
    c.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        d.sum().backward()


def test_in_place_on_unsaved_tensor_is_allowed(device):
    a = leaf([1.0, 2.0], device)
    c = a * 2
    d = c + 1  # add saves nothing
    c.add_(5)
    d.sum().backward()
    assert_values(a.grad, [2.0, 2.0])


def test_in_place_on_leaf_requiring_grad_raises(device):
    a = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        a.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        a[0] = 3.0
    with plexgrad.no_grad():
        a.add_(1)
    assert a.tolist() == [2.0, 3.0]


def test_version_counter_increases_with_in_place_ops(device):
    x = plexgrad.zeros(3, device=device)
    start = x._version
    x.add_(1)
    x[0] = 2
    view = x[1:]
    view.mul_(2)
    assert x._version == start + 3
    assert view._version == x._version


# ---- the seeds' control flow and legacy API -------------------------------------------------

def _norm(tensor):
    return tensor.norm() if hasattr(tensor, "norm") else (tensor * tensor).sum().sqrt()


def _doubling(a):
    b = a * 2
    while _norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("shape", [(), (3,)])
def test_seed_control_flow_gradient(device, shape):
    plexgrad.manual_seed(0)
    a = plexgrad.randn(size=shape, requires_grad=True, device=device)
    d = _doubling(a)
    if shape:
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            d.backward()
        d.sum().backward()
    else:
        d.backward()
    ratio = (d / a).detach()
    assert_values(a.grad, ratio.tolist(), rtol=1e-5)


def test_variable_legacy_api(device):
    tensor = plexgrad.FloatTensor([[1, 2], [3, 4]]).to(device)
    variable = Variable(tensor, requires_grad=True)
    assert variable.requires_grad and not tensor.requires_grad
    assert repr(variable).endswith("requires_grad=True)")
    v_out = plexgrad.mean(variable * variable)
    v_out.backward()
    assert_values(variable.grad, [[0.5, 1.0], [1.5, 2.0]])
    assert not variable.data.requires_grad
    np.testing.assert_array_equal(variable.data.cpu().numpy(), [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError):
        Variable([1.0, 2.0])


def test_grad_assignment_checks_shape(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = plexgrad.zeros(3, device=device)
    x.grad = plexgrad.ones(2, device=device)
    (x * 2).sum().backward()
    assert_values(x.grad, [3.0, 3.0])


# ---- .data and the legacy optimizer idioms --------------------------------------------------------

def test_data_shares_storage_but_hides_writes_from_version_check(device):
    w = leaf([1.0, 2.0], device)
    out = (w * w).sum()
    w.data.mul_(10)  # torch: allowed; the saved w now holds the new values
    assert w._version == 0
    out.backward()
    assert_values(w.grad, [20.0, 40.0])
    detached = w.detach()
    detached.add_(1)
    assert w._version == 1  # detach() shares the version counter


def test_legacy_add_with_alpha_first(device):
    p = leaf([1.0, 1.0, 1.0], device)
    (p * 2).sum().backward()
    with pytest.warns(UserWarning, match="deprecated"):
        p.data.add_(-0.1, p.grad.data)
    assert_values(p, [0.8, 0.8, 0.8])
    p.data.sub_(p.grad, alpha=0.5)
    assert_values(p, [-0.2, -0.2, -0.2])
    with pytest.raises(TypeError):
        p.data.add(1, 2)
