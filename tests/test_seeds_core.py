"""The Tensor and autograd fragments of the seed tutorials (/work/shared/seeds/*.txt),
run as written with ``import plexgrad as torch``, checked against torch's results.

Plotting (matplotlib), CUDA-only lines and the nn/optim/data parts of the seeds are
covered elsewhere; each test names its seed.
"""

import numpy as np
import pytest

import plexgrad as torch
from plexgrad.autograd import Variable


def as_numpy(tensor):
    return np.asarray(tensor.detach().cpu().tolist())


# ---- seed 000: creation, new_*/*_like, numpy sharing, autograd basics ----------------------------

def test_seed000_creation(device):
    x = torch.empty(5, 3, device=device)
    assert x.shape == (5, 3)
    x = torch.rand(5, 3, device=device)
    assert bool(((x >= 0) & (x < 1)).all())
    x = torch.zeros(5, 3, dtype=torch.long, device=device)
    assert x.dtype == torch.int64 and x.tolist() == [[0, 0, 0]] * 5
    assert repr(x).startswith("tensor([[0, 0, 0],\n        [0, 0, 0],")
    x = torch.tensor([5.5, 3], device=device)
    assert x.tolist() == [5.5, 3.0]
    x = torch.tensor((5.5, 3), device=device)
    assert repr(x).startswith("tensor([5.5000, 3.0000]")
    ones = x.new_ones(5, 3, dtype=torch.double)
    assert ones.dtype == torch.float64 and ones.device == x.device
    assert repr(ones).endswith("dtype=plexgrad.float64)")
    x = torch.randn_like(x, dtype=torch.float)
    assert x.shape == (2,) and x.dtype == torch.float32
    x = x.new_ones(5, 3, dtype=torch.double)
    x = torch.randn_like(x, dtype=torch.float)
    assert x.shape == torch.Size([5, 3]) and x.size() == torch.Size([5, 3])
    assert repr(x.size()) == "plexgrad.Size([5, 3])"


def test_seed000_numpy_bridge():
    a = torch.ones(3)
    assert str(a) == "tensor([1., 1., 1.])"
    b = a.numpy()
    assert str(b) == "[1. 1. 1.]"
    assert repr(a.add_(1)) == "tensor([2., 2., 2.])"
    assert repr((a, b)) == "(tensor([2., 2., 2.]), array([2., 2., 2.], dtype=float32))"
    a = np.ones(3)
    b = torch.from_numpy(a)
    np.add(a, 1, out=a)
    assert repr((a, b)) == "(array([2., 2., 2.]), tensor([2., 2., 2.], dtype=plexgrad.float64))"


# ---- seed 001: d2l preliminaries ------------------------------------------------------------

def test_seed001_initialisation(device):
    with torch.device(device):
        zeros, ones, given, normal = (torch.zeros((3, 4)), torch.ones((1, 2)), torch.tensor([[1, 2, 3], [4, 54, 5]]),
                                      torch.randn(5, 6))
    assert zeros.shape == (3, 4) and ones.shape == (1, 2) and normal.shape == (5, 6)
    assert given.dtype == torch.int64 and given.tolist() == [[1, 2, 3], [4, 54, 5]]
    assert {t.device.type for t in (zeros, ones, given, normal)} == {device}


def test_seed001_elementwise(device):
    a = torch.tensor([[1.0, 2], [3, 4]], device=device)
    b = 4
    c = torch.randn((2, 2), device=device)
    d = torch.randn(2, 2, device=device)
    results = a, b, c, a + b, a + c, a - b, a - c, a * b, a * c, a / b, a / c, torch.exp(a), d, a == d, a > d, a < d
    a_np, c_np, d_np = as_numpy(a), as_numpy(c), as_numpy(d)
    expected = [a_np + 4, a_np + c_np, a_np - 4, a_np - c_np, a_np * 4, a_np * c_np, a_np / 4, a_np / c_np,
                np.exp(a_np)]
    for got, want in zip(results[3:12], expected):
        np.testing.assert_allclose(as_numpy(got), want, rtol=1e-5)
    for got, want in zip(results[13:], (a_np == d_np, a_np > d_np, a_np < d_np)):
        assert got.dtype == torch.bool
        np.testing.assert_array_equal(as_numpy(got), want)


def test_seed001_broadcasting(device):
    a = torch.arange(12, device=device).reshape((3, 1, 4))
    b = torch.arange(3, device=device).reshape((3, 1, 1))
    c = torch.arange(4, device=device).reshape((1, 1, 4))
    a_np, b_np, c_np = np.arange(12).reshape((3, 1, 4)), np.arange(3).reshape((3, 1, 1)), np.arange(4).reshape(1, 1, 4)
    np.testing.assert_array_equal(as_numpy(a + b), a_np + b_np)
    np.testing.assert_array_equal(as_numpy(a + c), a_np + c_np)
    assert (a + b).dtype == torch.int64


def test_seed001_indexing_and_cat(device):
    a = torch.arange(12, device=device).reshape((3, 4))
    b = torch.randn((3, 4), device=device)
    a_np, b_np = np.arange(12).reshape((3, 4)), as_numpy(b)
    for got, want in ((a[1], a_np[1]), (a[-1], a_np[-1]), (a[1:], a_np[1:]), (a[0:1, :], a_np[0:1, :]),
                      (a[0:1, 0:1], a_np[0:1, 0:1]), (a[1, 1], a_np[1, 1])):
        assert tuple(got.shape) == want.shape
        np.testing.assert_array_equal(as_numpy(got), want)
    by_columns = torch.cat((a, b), dim=1)
    by_rows = torch.cat((a, b), dim=0)
    assert by_columns.dtype == torch.float32  # cat promotes int64 with float32 as torch does
    np.testing.assert_allclose(as_numpy(by_columns), np.concatenate([a_np, b_np], axis=1), rtol=1e-6)
    np.testing.assert_allclose(as_numpy(by_rows), np.concatenate([a_np, b_np], axis=0), rtol=1e-6)


def test_seed001_storage(device):
    a = torch.arange(12, device=device).reshape((3, 4))
    a_p = id(a)
    b = torch.randn((3, 4), device=device)
    a = a + b
    b_p = id(b)
    b[:] = a + b
    b += a
    assert (a_p == id(a), b_p == id(b)) == (False, True)


def test_seed001_numpy_and_scalars():
    a = torch.arange(12).reshape((3, 4))
    b = a.numpy()
    assert (id(a) == id(b), a[1, 3:].item(), int(a[1, 2])) == (False, 7, 6)
    assert b.dtype == np.int64


def test_seed001_linear_algebra(device):
    with torch.device(device):
        a = torch.tensor(5)
        b = torch.tensor(6)
        c = torch.arange(10)
        d = torch.arange(12).reshape((3, 4))
    results = a, b, a + b, a - b, a * b, a / b, a // b, a % b, c, c[3], d, d.T
    assert [r.item() for r in results[2:5]] == [11, -1, 30]
    assert results[5].dtype == torch.float32 and results[5].item() == pytest.approx(5 / 6)
    assert (results[6].item(), results[7].item()) == (0, 5)
    assert results[9].item() == 3 and results[9].dim() == 0
    np.testing.assert_array_equal(as_numpy(results[11]), np.arange(12).reshape(3, 4).T)


def test_seed001_reductions(device):
    a = torch.arange(12, dtype=torch.float32, device=device).reshape(2, 3, 2)
    b = torch.arange(12, device=device).reshape(2, 3, 2)
    reference = np.arange(12.0).reshape(2, 3, 2)
    assert a.sum().item() == 66.0 and b.sum().item() == 66
    np.testing.assert_array_equal(as_numpy(a.sum(axis=0)), reference.sum(axis=0))
    assert a.sum(axis=0, keepdims=True).shape == (1, 3, 2)
    np.testing.assert_array_equal(as_numpy(a.sum(axis=[0, 1])), reference.sum(axis=(0, 1)))
    np.testing.assert_allclose(as_numpy(a.mean(axis=0)), reference.mean(axis=0))


def test_seed001_products(device):
    x = torch.arange(4, dtype=torch.float32, device=device)
    y = torch.ones(4, dtype=torch.float32, device=device)
    A = torch.arange(20, dtype=torch.float32, device=device).reshape(5, 4)
    B = torch.ones(4, 3, device=device)
    assert torch.dot(x, y).item() == 6.0
    assert A.shape == (5, 4) and x.shape == (4,)
    np.testing.assert_array_equal(as_numpy(torch.mv(A, x)), np.arange(20.0).reshape(5, 4) @ np.arange(4.0))
    np.testing.assert_array_equal(as_numpy(torch.mm(A, B)), np.arange(20.0).reshape(5, 4) @ np.ones((4, 3)))


def test_seed001_norms(device):
    u = torch.tensor([3.0, -4.0], device=device)
    assert torch.abs(u).sum().item() == 7.0
    if not hasattr(torch, "norm"):
        pytest.skip("torch.norm is added by the ops helper")
    assert torch.norm(u).item() == pytest.approx(5.0)


def test_seed001_autograd_sections(device):
    x = torch.arange(4.0, device=device)
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    assert bool((x.grad == 4 * x).all())
    # 2.5.2 gradient of a non-scalar
    x.grad.zero_()
    y = x * x
    y.backward(torch.ones(len(x), device=device))
    assert bool((x.grad == 2 * x).all())
    # 2.5.3 detach: backward twice through z (its graph saves only u and x)
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.backward(torch.ones(len(x), device=device))
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.backward(torch.ones(len(x), device=device))
    assert bool((x.grad == u).all())
    x.grad.zero_()
    y.backward(torch.ones(len(x), device=device))
    assert bool((x.grad == 2 * x).all())


def _f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def test_seed001_control_flow(device):
    if not hasattr(torch.Tensor, "norm"):
        pytest.skip("Tensor.norm is added by the ops helper")
    torch.manual_seed(1)
    a = torch.randn(size=(), requires_grad=True, device=device)
    d = _f(a)
    d.backward()
    assert bool(a.grad == d / a)
    # exercise 3: a vector input needs d.sum().backward()
    a = torch.randn(size=(3,), requires_grad=True, dtype=torch.float32, device=device)
    d = _f(a)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        d.backward()
    d.sum().backward()
    np.testing.assert_allclose(as_numpy(a.grad), as_numpy(d / a), rtol=1e-6)


def test_seed001_sin_derivative_without_cos(device):
    x = np.linspace(-np.pi, np.pi, 100)
    x = torch.tensor(x, requires_grad=True, device=device)
    y = torch.sin(x)
    y.sum().backward()
    assert x.dtype == torch.float64
    np.testing.assert_allclose(as_numpy(x.grad), np.cos(np.linspace(-np.pi, np.pi, 100)), rtol=1e-12, atol=1e-12)
    assert x.detach().shape == y.detach().shape == (100,)


# ---- seed 002: comparison and matrix fragments ------------------------------------------------

def test_seed002_comparison_and_dot(device):
    x = torch.linspace(0, 10, 6, device=device).view(2, 3)
    np.testing.assert_array_equal(as_numpy(x), np.linspace(0, 10, 6).reshape(2, 3))
    a = torch.tensor([2, 3], device=device)
    b = torch.tensor([3, 4], device=device)
    assert torch.dot(a, b).item() == 18
    with pytest.raises(RuntimeError):
        torch.dot(torch.ones(2, 2, device=device), torch.ones(2, 2, device=device))  # 1-D only, unlike numpy
    transposed = torch.ones(2, 3, device=device).t()
    assert not transposed.is_contiguous() and transposed.contiguous().is_contiguous()


# ---- seed 003: 60-minute blitz ----------------------------------------------------------------------

def test_seed003_tensors_and_addition(device):
    x = torch.empty(5, 3, device=device)
    x = torch.zeros(5, 3, device=device)
    x = torch.rand(5, 3, device=device)
    x = torch.tensor([5.5, 3], device=device)
    assert x.size() == torch.Size([2])
    x = torch.rand(5, 3, device=device)
    y = torch.rand(5, 3, device=device)
    np.testing.assert_allclose(as_numpy(x + y), as_numpy(x) + as_numpy(y), rtol=1e-6)
    a = torch.ones(5)
    assert repr(a) == "tensor([1., 1., 1., 1., 1.])"
    b = a.numpy()
    assert b.tolist() == [1.0] * 5
    b = torch.from_numpy(np.ones(5))
    assert b.dtype == torch.float64


def test_seed003_device_moves():
    pytest.importorskip("jax")
    x = torch.rand(5, 3)
    device = torch.device("jax")  # the seed uses "cuda"; the accelerator device here is jax
    y = torch.ones_like(x, device=device)
    assert y.device.type == "jax" and "device='jax:0'" in repr(y)
    x = x.to(device)
    z = x + y
    moved = z.to("cpu", torch.double)
    assert moved.device.type == "cpu" and moved.dtype == torch.float64
    np.testing.assert_allclose(as_numpy(moved), as_numpy(x) + 1, rtol=1e-6)


def test_seed003_autograd(device):
    x = torch.ones(2, 2, requires_grad=True, device=device)
    y = x + 2
    assert y.grad_fn.name() == "AddBackward0"
    assert repr(y).endswith("grad_fn=<AddBackward0>)")
    a = torch.tensor([[-1.2560, -11.1015], [-2.4457, 1.9479]], device=device)
    assert a.requires_grad is False
    a.requires_grad_(True)
    assert repr(a).endswith("requires_grad=True)")
    a.requires_grad = False
    a.requires_grad = True
    out = (y * y * 3).mean()
    out.backward()
    np.testing.assert_allclose(as_numpy(x.grad), np.full((2, 2), 4.5))


# ---- seed 004: torch vs numpy, Variable -----------------------------------------------------------

def test_seed004_numpy_conversions():
    np_data = np.arange(6).reshape((2, 3))
    torch_data = torch.from_numpy(np_data)
    tensor2array = torch_data.numpy()
    assert tensor2array is np_data or np.shares_memory(tensor2array, np_data)
    assert repr(torch_data) == "tensor([[0, 1, 2],\n        [3, 4, 5]])"


def test_seed004_operations():
    data = [-1, -2, 1, 2]
    tensor = torch.FloatTensor(data)  # 32bit
    assert tensor.dtype == torch.float32
    np.testing.assert_array_equal(as_numpy(torch.abs(tensor)), np.abs(data))
    np.testing.assert_allclose(as_numpy(torch.sin(tensor)), np.sin(data), rtol=1e-6)
    assert torch.mean(tensor).item() == np.mean(data)
    data_t = [[1, 2], [3, 4]]
    tensor_t = torch.FloatTensor(data_t)
    np.testing.assert_array_equal(as_numpy(torch.mm(tensor_t, tensor_t)), np.matmul(data_t, data_t))
    assert repr(torch.sin(tensor)) == "tensor([-0.8415, -0.9093,  0.8415,  0.9093])"


def test_seed004_variable(device):
    tensor = torch.FloatTensor([[1, 2], [3, 4]]).to(device)
    variable = Variable(tensor, requires_grad=True)
    v_out = torch.mean(variable * variable)
    v_out.backward()
    np.testing.assert_allclose(as_numpy(variable.grad), [[0.5, 1.0], [1.5, 2.0]])
    assert not variable.data.requires_grad
    assert variable.data.cpu().numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert v_out.item() == pytest.approx(7.5)
