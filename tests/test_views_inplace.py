"""Views share storage and in-place ops keep identity, identically on every backend
(real shared memory on numpy; the core's scatter-and-refresh on jax)."""

import numpy as np
import pytest

import plexgrad


def arange_matrix(device, rows=3, columns=4):
    return plexgrad.arange(float(rows * columns), device=device).reshape(rows, columns)


def values(tensor):
    return np.asarray(tensor.detach().cpu().tolist())


# ---- views share storage --------------------------------------------------------------------

def test_view_writes_reach_base_and_back(device):
    base = arange_matrix(device)
    view = base.view(4, 3)
    view[0, 0] = 100.0
    assert base[0, 0].item() == 100.0
    base.add_(1)
    assert view[0, 0].item() == 101.0 and view[3, 2].item() == 12.0


@pytest.mark.parametrize("make_view", [
    lambda t: t.view(12),
    lambda t: t.view(2, 6),
    lambda t: t[1],
    lambda t: t[:, 1:3],
    lambda t: t[::2, ::3],
    lambda t: t.t(),
    lambda t: t.transpose(0, 1),
    lambda t: t.unsqueeze(0),
    lambda t: t.permute(1, 0),
    lambda t: t.narrow(1, 1, 2),
    lambda t: t.reshape(12),
    lambda t: t.flatten(),
    lambda t: t[None, 1:, :2],
    lambda t: t.detach(),
])
def test_every_view_sees_in_place_updates(device, make_view):
    base = arange_matrix(device)
    reference = np.arange(12.0).reshape(3, 4)
    view = make_view(base)
    base.mul_(2)
    reference = reference * 2
    numpy_view = _numpy_equivalent(make_view, reference)
    np.testing.assert_array_equal(values(view), numpy_view)
    view.fill_(-1.0)
    numpy_view[...] = -1.0
    np.testing.assert_array_equal(values(base), reference)


def _numpy_equivalent(make_view, array):
    """Apply the same view to a numpy array (numpy spells some views differently)."""
    class Proxy:
        def __init__(self, data):
            self.data = data

        def view(self, *shape):
            return self.data.reshape(*shape)

        reshape = view

        def __getitem__(self, key):
            return self.data[key]

        def t(self):
            return self.data.T

        def transpose(self, a, b):
            return np.swapaxes(self.data, a, b)

        def unsqueeze(self, dim):
            return np.expand_dims(self.data, dim)

        def permute(self, *dims):
            return self.data.transpose(dims)

        def narrow(self, dim, start, length):
            index = [slice(None)] * self.data.ndim
            index[dim] = slice(start, start + length)
            return self.data[tuple(index)]

        def flatten(self):
            return self.data.reshape(-1)

        def detach(self):
            return self.data
    result = make_view(Proxy(array))
    assert np.shares_memory(result, array)
    return result


def test_chain_of_views_write_visible_in_base_and_siblings(device):
    base = arange_matrix(device)
    reference = np.arange(12.0).reshape(3, 4)
    chain = base.t()[1:3][:, ::2]           # view of a slice of a transpose
    numpy_chain = reference.T[1:3][:, ::2]
    assert chain.stride() == (1, 8)
    np.testing.assert_array_equal(values(chain), numpy_chain)
    sibling = base[2]
    chain.mul_(0)
    numpy_chain *= 0
    np.testing.assert_array_equal(values(base), reference)
    np.testing.assert_array_equal(values(sibling), reference[2])


def test_overlapping_sibling_slices(device):
    x = plexgrad.arange(6.0, device=device)
    first, second = x[1:4], x[2:]
    first[1] = -1.0
    assert second[0].item() == -1.0
    assert x.tolist() == [0.0, 1.0, -1.0, 3.0, 4.0, 5.0]
    second += 10
    assert first.tolist() == [1.0, 9.0, 13.0]


# ---- in-place ops keep identity --------------------------------------------------------------------

def test_in_place_ops_keep_identity(device):
    x = plexgrad.zeros(5, device=device)
    identity = id(x)
    x += 1
    x.add_(2)
    x.mul_(3)
    x[1:3] = 7
    x -= 1
    x /= 2
    assert id(x) == identity
    assert x.tolist() == [4.0, 3.0, 3.0, 4.0, 4.0]
    assert x.zero_() is x and x.tolist() == [0.0] * 5
    assert x.fill_(2.5) is x and x.tolist() == [2.5] * 5


def test_seed_storage_identity_example(device):
    a = plexgrad.arange(12, device=device).reshape((3, 4))
    a_identity = id(a)
    b = plexgrad.randn((3, 4), device=device)
    a = a + b
    b_identity = id(b)
    before = values(b)
    b[:] = a + b
    b += a
    assert a_identity != id(a)
    assert b_identity == id(b)
    np.testing.assert_allclose(values(b), values(a) + values(a) + before, rtol=1e-6)


def test_setitem_broadcasts_and_casts(device):
    x = plexgrad.zeros(2, 3, device=device)
    x[:, 1] = plexgrad.tensor([5.0, 6.0], device=device)
    x[0] = 1
    assert x.tolist() == [[1.0, 1.0, 1.0], [0.0, 6.0, 0.0]]
    integers = plexgrad.zeros(3, dtype=plexgrad.int64, device=device)
    integers[1] = 7
    assert integers.dtype == plexgrad.int64 and integers.tolist() == [0, 7, 0]


def test_in_place_result_that_needs_wider_dtype_raises(device):
    integers = plexgrad.zeros(3, dtype=plexgrad.int64, device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        integers.add_(1.5)


def test_copy_between_devices_keeps_identity(device):
    target = plexgrad.zeros(3, device=device)
    identity = id(target)
    target.copy_(plexgrad.tensor([1.0, 2.0, 3.0]))
    assert id(target) == identity and target.tolist() == [1.0, 2.0, 3.0]


# ---- strides and contiguity ----------------------------------------------------------------------

@pytest.mark.parametrize("make_view, strides, contiguous", [
    (lambda t: t, (12, 4, 1), True),
    (lambda t: t.permute(2, 0, 1), (1, 12, 4), False),
    (lambda t: t.transpose(0, 2), (1, 4, 12), False),
    (lambda t: t[:, 1], (12, 1), False),
    (lambda t: t[:, :, ::2], (12, 4, 2), False),
    (lambda t: t[1:], (12, 4, 1), True),
    (lambda t: t[:, 1:], (12, 4, 1), False),
    (lambda t: t.unsqueeze(1), (12, 12, 4, 1), True),
    (lambda t: t[:, :1].expand(2, 3, 4), (12, 0, 1), False),
    (lambda t: t.view(6, 4), (4, 1), True),
    (lambda t: t.permute(2, 0, 1).contiguous(), (6, 3, 1), True),
])
def test_strides_and_contiguity_match_torch(device, make_view, strides, contiguous):
    base = plexgrad.arange(24.0, device=device).reshape(2, 3, 4)
    view = make_view(base)
    assert view.stride() == strides
    assert view.is_contiguous() is contiguous
    assert view.stride(0) == strides[0] and view.stride(-1) == strides[-1]


def test_contiguous_returns_self_when_already_contiguous(device):
    x = arange_matrix(device)
    assert x.contiguous() is x
    transposed = x.t()
    copy = transposed.contiguous()
    assert copy is not transposed and copy.is_contiguous()
    copy[0, 0] = -5.0
    assert x[0, 0].item() == 0.0  # a contiguous copy does not share storage
    assert copy.view(12).shape == (12,)


def test_view_on_incompatible_layout_raises(device):
    transposed = plexgrad.ones(2, 3, device=device).t()
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        transposed.view(6)
    assert transposed.reshape(6).shape == (6,)


def test_view_with_inferred_dimension(device):
    x = arange_matrix(device)
    assert x.view(-1, 2).shape == (6, 2)
    assert x.view(-1).shape == (12,)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)


# ---- numpy interop (seed 000) ------------------------------------------------------------------

def test_numpy_shares_memory_on_cpu():
    a = plexgrad.ones(3)
    b = a.numpy()
    a.add_(1)
    np.testing.assert_array_equal(b, [2.0, 2.0, 2.0])
    assert b.dtype == np.float32
    b[0] = 9.0
    assert a[0].item() == 9.0


def test_from_numpy_shares_memory():
    a = np.ones(3)
    b = plexgrad.from_numpy(a)
    np.add(a, 1, out=a)
    assert b.tolist() == [2.0, 2.0, 2.0]
    assert b.dtype == plexgrad.float64
    b.mul_(2)
    np.testing.assert_array_equal(a, [4.0, 4.0, 4.0])


def test_numpy_of_a_view_shares_memory():
    x = plexgrad.arange(6.0).reshape(2, 3)
    transposed = x.t()
    array = transposed.numpy()
    array[0, 1] = 50.0
    assert x[1, 0].item() == 50.0


def test_numpy_on_jax_is_a_copy():
    pytest.importorskip("jax")
    x = plexgrad.ones(3, device="jax")
    array = x.numpy()
    np.testing.assert_array_equal(array, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError):
        array[0] = 5.0  # read-only: writes could never reach the device tensor


# ---- autograd through in-place ops on views ----------------------------------------------------------

def test_setitem_on_non_leaf_backward(device):
    x = plexgrad.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    y = x * 2
    y[0] = 5.0
    assert y.tolist() == [5.0, 4.0, 6.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


def test_in_place_through_view_of_non_leaf_backward(device):
    x = plexgrad.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    y = x * 2
    tail = y[1:]
    tail.mul_(x[1:])
    assert y.tolist() == [2.0, 8.0, 18.0]
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    # y = [2 x0, 2 x1^2, 2 x2^2]
    assert x.grad.tolist() == [2.0, 8.0, 12.0]


def test_in_place_on_view_of_leaf_requiring_grad_raises(device):
    x = plexgrad.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0:1].mul_(2)


def test_in_place_assign_of_tensor_requiring_grad_into_plain_tensor(device):
    w = plexgrad.tensor([3.0], requires_grad=True, device=device)
    buffer = plexgrad.zeros(3, device=device)
    buffer[1:2] = w * 2
    assert buffer.requires_grad
    (buffer * plexgrad.tensor([1.0, 5.0, 1.0], device=device)).sum().backward()
    assert w.grad.tolist() == [10.0]


# ---- in-place layout changes: t_, transpose_, squeeze_, unsqueeze_ --------------------------------------

def test_t_in_place_keeps_identity_and_existing_views(device):
    base = plexgrad.arange(6.0, device=device).reshape(2, 3)
    row = base[0]
    identity = id(base)
    assert base.t_() is base and id(base) == identity
    assert base.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert base.stride() == (1, 3) and not base.is_contiguous()
    base[0, 1] = 100.0
    assert row.tolist() == [0.0, 1.0, 2.0]
    row.mul_(2)
    assert base.tolist() == [[0.0, 100.0], [2.0, 4.0], [4.0, 5.0]]
    assert base.reshape(6).tolist() == [0.0, 100.0, 2.0, 4.0, 4.0, 5.0]


def test_squeeze_and_unsqueeze_in_place(device):
    column = plexgrad.arange(4.0, device=device)
    assert column.unsqueeze_(1) is column
    assert column.shape == (4, 1) and column.stride() == (1, 1)
    column.squeeze_()
    assert column.shape == (4,)
    matrix = plexgrad.zeros(2, 3, device=device)
    block = matrix[:, 1:]
    block.transpose_(0, 1)
    assert block.shape == (2, 2)
    block[0] = 7.0
    assert matrix.tolist() == [[0.0, 7.0, 0.0], [0.0, 7.0, 0.0]]


def test_t_in_place_records_autograd(device):
    weights = plexgrad.arange(6.0, device=device).reshape(2, 3)
    x = plexgrad.ones(2, 3, requires_grad=True, device=device)
    y = x * weights
    y.t_()
    assert y.shape == (3, 2)
    (y * plexgrad.arange(6.0, device=device).reshape(3, 2)).sum().backward()
    expected = np.arange(6.0).reshape(2, 3) * np.arange(6.0).reshape(3, 2).T
    np.testing.assert_array_equal(values(x.grad), expected)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.t_()


def test_zero_dim_view_stays_zero_dim(device):
    matrix = plexgrad.zeros(2, 2, device=device)
    element = matrix[0, 1]
    element.fill_(5.0)
    assert element.dim() == 0 and element.item() == 5.0
    assert matrix.tolist() == [[0.0, 5.0], [0.0, 0.0]]


def test_ellipsis_assignment_reaches_views(device):
    x = plexgrad.zeros(2, 3, device=device)
    row = x[1]
    identity = id(x)
    x[...] = plexgrad.tensor([1.0, 2.0, 3.0], device=device)
    assert id(x) == identity
    assert row.tolist() == [1.0, 2.0, 3.0]
    x[..., 0] = -1
    assert x.tolist() == [[-1.0, 2.0, 3.0], [-1.0, 2.0, 3.0]] and row.tolist() == [-1.0, 2.0, 3.0]
