"""torch is the oracle for views, in-place writes, ``.data``, ``detach`` and autograd.

Each case is a small function ``case(lib, device)`` written once against the torch
API.  It runs with ``lib=torch`` (on torch's cpu) and with ``lib=plexgrad`` on every
installed backend; the two runs must agree on the returned values (values, dtype,
shape, ``requires_grad`` of every returned tensor, plain numbers and booleans such as
``_version``) and on whether the case raises (exception type and the gist of torch's
message).  Leaves' ``.grad`` are compared by returning them.
"""

import numpy
import pytest
import torch

import plexgrad

CASES = {}


def case(function):
    """Register ``function(lib, device)`` as a row of the oracle table."""
    CASES[function.__name__] = function
    return function


# The gist of each torch error a case may raise: plexgrad's message must contain the same one.
ERROR_GISTS = [
    "modified by an inplace operation",
    "a view of a leaf Variable that requires grad is being used in an in-place operation",
    "a leaf Variable that requires grad is being used in an in-place operation",
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled",
    "A view was created in no_grad mode and its base or another view of its base has been modified inplace",
    "more than one element of the written-to tensor refers to a single memory location",
    "Such functions do not allow the output views to be modified inplace",
    "view size is not compatible with input tensor's size and stride",
    "Trying to backward through the graph a second time",
]


def _arange(lib, n, device, requires_grad=False):
    return lib.tensor([float(i) for i in range(n)], device=device, requires_grad=requires_grad)


# ---- views share storage: slicing, steps, negative indices, transposes, chains -----------------

@case
def slice_with_step_write_reaches_base(lib, device):
    x = _arange(lib, 10, device)
    v = x[1::3]
    v.add_(100)
    return x, v, x._version, v._version


@case
def negative_slice_fill(lib, device):
    x = _arange(lib, 6, device)
    x[-4:-1].fill_(7)
    return x, x._version


@case
def negative_integer_index_is_zero_dim_view(lib, device):
    x = _arange(lib, 5, device)
    last = x[-1]
    last.mul_(3)
    return x, last, last.dim()


@case
def step_slice_of_matrix_columns(lib, device):
    x = _arange(lib, 12, device).reshape(3, 4)
    x[::2, 1::2] = -1.0
    return x


@case
def transpose_write_reaches_base(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    t = x.t()
    t[2, 1] = 100.0
    return x, t, t.is_contiguous(), list(t.stride())


@case
def permute_then_index_zero(lib, device):
    x = _arange(lib, 24, device).reshape(2, 3, 4)
    x.permute(2, 0, 1)[1].zero_()
    return x


@case
def chain_of_views_write(lib, device):
    x = _arange(lib, 12, device)
    x.view(4, 3)[1:].t()[0].fill_(-1)
    return x


@case
def view_of_view_sees_base_write(lib, device):
    x = _arange(lib, 8, device)
    v = x[1:]
    w = v[::2]
    x.add_(10)
    return v, w


@case
def sibling_view_sees_write(lib, device):
    x = _arange(lib, 6, device)
    a = x[:4]
    b = x[2:]
    a.fill_(0)
    return b, x._version, b._version


@case
def overlapping_sibling_slices_write(lib, device):
    x = _arange(lib, 6, device)
    a = x[0:4]
    b = x[2:6]
    a.add_(1)
    b.mul_(2)
    return x, a, b


@case
def unsqueeze_squeeze_views_write(lib, device):
    x = _arange(lib, 4, device)
    u = x.unsqueeze(0).unsqueeze(2)
    u[0, 1, 0] = 50.0
    s = u.squeeze()
    s[3] = 60.0
    return x, u.shape == (1, 4, 1), s


@case
def narrow_write(lib, device):
    x = _arange(lib, 12, device).reshape(3, 4)
    x.narrow(1, 1, 2).mul_(-1)
    return x


@case
def flatten_of_contiguous_aliases(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    x.flatten()[4] = 40.0
    return x


@case
def reshape_of_non_contiguous_copies(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    r = x.t().reshape(-1)
    r[0] = 99.0
    return x, r


@case
def view_of_non_contiguous_raises(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    return x.t().view(-1)


@case
def contiguous_of_transposed_copies(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    c = x.t().contiguous()
    c[0, 0] = 99.0
    return x, c, c.is_contiguous()


@case
def contiguous_of_contiguous_is_self(lib, device):
    x = _arange(lib, 4, device)
    return x.contiguous() is x


@case
def clone_does_not_alias(lib, device):
    x = _arange(lib, 4, device)
    c = x.clone()
    c.add_(1)
    return x, c, x._version, c._version


@case
def unbind_pieces_write_without_grad(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    first, second = x.unbind(0)
    first.fill_(1)
    second[0] = 5.0
    return x


@case
def split_and_chunk_write_without_grad(lib, device):
    x = _arange(lib, 6, device)
    pieces = x.split(2)
    pieces[1].mul_(10)
    chunks = x.chunk(3)
    chunks[2].zero_()
    return x


@case
def advanced_index_write_into_view(lib, device):
    x = _arange(lib, 6, device)
    v = x[1:]
    v[lib.tensor([0, 2], device=device)] = 5.0
    return x, x._version


@case
def masked_write_into_view(lib, device):
    x = _arange(lib, 6, device)
    v = x[1:]
    v[v > 2] = 0.0
    return x


@case
def masked_fill_on_view(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    x[:, 1:].masked_fill_(lib.tensor([[True, False], [False, True]], device=device), -5.0)
    return x


@case
def self_overlapping_assignment(lib, device):
    x = _arange(lib, 5, device)
    x[1:] = x[:-1].clone()
    return x


@case
def in_place_returns_self_and_plus_equals_keeps_identity(lib, device):
    x = _arange(lib, 4, device)
    y = x
    x += 1
    v = x[1:]
    same = v.add_(1) is v
    return y is x, same, x


@case
def t_in_place_keeps_views_of_old_layout(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    row = x[0]
    x.t_()
    x[0, 1] = 100.0
    return x, row, x.shape == (3, 2)


# ---- expand: writes where torch allows them, torch's message where it refuses ----------------

@case
def expand_add_refused(lib, device):
    x = lib.zeros(3, 1, device=device)
    e = x.expand(3, 4)
    e.add_(1)
    return x


@case
def expand_copy_refused(lib, device):
    x = lib.zeros(3, 1, device=device)
    x.expand(3, 4).copy_(lib.ones(3, 4, device=device))
    return x


@case
def expand_setitem_slice_refused(lib, device):
    x = lib.zeros(1, 3, device=device)
    e = x.expand(2, 3)
    e[:, 0] = 5.0
    return x


@case
def expand_single_element_write_allowed(lib, device):
    x = lib.zeros(3, 1, device=device)
    e = x.expand(3, 4)
    e[1, 2] = 5.0
    return x, e


@case
def expand_of_size_one_leading_dim_write_allowed(lib, device):
    x = _arange(lib, 3, device)
    e = x.expand(1, 3)
    e.add_(1)
    return x, e


@case
def expand_values_and_strides(lib, device):
    x = _arange(lib, 3, device).reshape(3, 1)
    e = x.expand(3, 2)
    x.mul_(2)
    return e, list(e.stride()), e.is_contiguous()


# ---- view(dtype): bits reinterpreted, a view ---------------------------------------------------

@case
def view_dtype_reinterprets_bits(lib, device):
    x = lib.tensor([1.0, -2.0, 0.5], device=device)
    y = x.view(lib.int32)
    return y


@case
def view_dtype_writes_reach_base(lib, device):
    x = lib.tensor([1.0, -2.0, 0.5], device=device)
    y = x.view(lib.int32)
    y[0] = 0
    y[1] += 1
    return x, x._version, y._version


@case
def view_dtype_sees_base_writes(lib, device):
    x = lib.tensor([1.0, 2.0], device=device)
    y = x.view(lib.int32)
    x.fill_(0.5)
    return y


@case
def view_dtype_int_to_float(lib, device):
    x = lib.tensor([1065353216, 1073741824], dtype=lib.int32, device=device)
    return x.view(lib.float32)


@case
def view_dtype_of_requires_grad_is_not_differentiable(lib, device):
    leaf = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (leaf * 1).view(lib.int32)
    return y.requires_grad, y


# ---- the version counter ------------------------------------------------------------------------

@case
def version_counts_in_place_writes_through_views(lib, device):
    x = _arange(lib, 4, device)
    x.add_(1)
    v = x[0]
    v.add_(1)
    x[1] = 3.0
    x[lib.tensor([2], device=device)] = 1.0
    return x._version, v._version


@case
def version_of_view_made_after_writes(lib, device):
    x = _arange(lib, 4, device)
    x.add_(1)
    x.mul_(2)
    return x[:2]._version


@case
def out_of_place_ops_keep_version(lib, device):
    x = _arange(lib, 4, device)
    y = x + 1
    z = x[1:] * 2
    return x._version, y._version, z._version


@case
def detach_shares_version_counter(lib, device):
    x = _arange(lib, 4, device)
    d = x.detach()
    d.add_(1)
    return x, x._version, d._version


@case
def data_has_fresh_version_counter(lib, device):
    x = _arange(lib, 4, device)
    x.add_(1)
    d = x.data
    version_before = d._version
    d.add_(1)
    return x, x._version, version_before, d._version


@case
def data_setitem_does_not_touch_version(lib, device):
    x = _arange(lib, 4, device)
    x.data[0] = 5.0
    return x, x._version


# ---- outputs and inputs saved for backward are version-checked --------------------------------

@case
def sigmoid_output_modified_raises(lib, device):
    x = lib.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = x.sigmoid()
    y.add_(1)
    y.sum().backward()
    return x.grad


@case
def exp_output_modified_raises(lib, device):
    x = lib.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = x.exp()
    y.mul_(2)
    y.sum().backward()
    return x.grad


@case
def tanh_output_modified_raises(lib, device):
    x = lib.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = x.tanh()
    y[0] = 0.0
    y.sum().backward()
    return x.grad


@case
def sqrt_output_modified_through_view_raises(lib, device):
    x = lib.tensor([4.0, 9.0], device=device, requires_grad=True)
    y = x.sqrt()
    y[1:].add_(1)
    y.sum().backward()
    return x.grad


@case
def relu_output_modified_raises(lib, device):
    x = lib.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = x.relu()
    y.add_(1)
    y.sum().backward()
    return x.grad


@case
def sigmoid_output_cloned_then_modified_is_fine(lib, device):
    x = lib.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = x.sigmoid().clone()
    y.add_(1)
    y.sum().backward()
    return x.grad, y


@case
def saved_input_modified_raises(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a * a
    a.add_(1)
    b.sum().backward()
    return x.grad


@case
def saved_input_modified_through_view_raises(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a * a
    a[0].add_(1)
    b.sum().backward()
    return x.grad


@case
def saved_input_modified_through_detach_raises(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a * a
    a.detach().add_(1)
    b.sum().backward()
    return x.grad


@case
def saved_output_modified_through_detach_raises(lib, device):
    x = lib.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = x.sigmoid()
    y.detach().zero_()
    y.sum().backward()
    return x.grad


@case
def saved_input_modified_through_data_is_invisible(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a * a
    a.data.add_(1)
    b.sum().backward()
    return x.grad, b


@case
def leaf_data_setitem_never_trips_saved_check(lib, device):
    w = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    loss = (w * w).sum()
    w.data[0] = 5.0
    loss.backward()
    return w.grad, w, w._version


@case
def unsaved_input_modified_is_fine(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a + 1
    a.mul_(2)
    b.sum().backward()
    return x.grad, b


@case
def leaf_saved_then_modified_under_no_grad_raises(lib, device):
    w = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    loss = (w * w).sum()
    with lib.no_grad():
        w.add_(1)
    loss.backward()
    return w.grad


# ---- autograd through in-place writes ------------------------------------------------------------

@case
def in_place_on_non_leaf_backward(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    a.mul_(3)
    a.sum().backward()
    return x.grad, a.requires_grad, a.is_leaf


@case
def in_place_on_leaf_requiring_grad_raises(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.add_(1)
    return x


@case
def in_place_on_view_of_leaf_requiring_grad_raises(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    x[0].add_(1)
    return x


@case
def setitem_on_leaf_requiring_grad_raises(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    x[0] = 5.0
    return x


@case
def in_place_on_leaf_under_no_grad_is_allowed(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    with lib.no_grad():
        x.mul_(2)
        x[0] = 7.0
    return x, x._version, x.is_leaf, x.requires_grad


@case
def view_created_before_base_write_gets_new_history(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    v = a[:2]
    a.mul_(2)
    v.sum().backward()
    return x.grad, v


@case
def view_created_before_sibling_write_gets_new_history(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    v = a[1:3]
    w = a[:2]
    w.mul_(10)
    v.sum().backward()
    return x.grad, v


@case
def view_of_view_created_before_base_write(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    v = a.view(2, 2)[0]
    a.mul_(x)
    (v * v).sum().backward()
    return x.grad, v


@case
def transposed_view_created_before_base_write(lib, device):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    a = x * 1
    t = a.t()
    a[0].mul_(5)
    (t * lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)).sum().backward()
    return x.grad, t


@case
def base_used_after_write_through_view(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    a[:2].mul_(3)
    (a * a).sum().backward()
    return x.grad, a


@case
def view_used_after_its_own_write(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    v = a[1:]
    v.mul_(2)
    (v * v).sum().backward()
    return x.grad, v


@case
def plus_equals_on_view_of_non_leaf(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = x * 2
    v = a[1:]
    v += x[:2]
    (a * a).sum().backward()
    return x.grad, a


@case
def strided_view_write_backward(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], device=device, requires_grad=True)
    a = x * 1
    a[::2].mul_(lib.tensor([1.0, 2.0, 3.0], device=device))
    (a * lib.tensor([1.0, 10.0, 100.0, 1000.0, 1e4, 1e5], device=device)).sum().backward()
    return x.grad, a


@case
def write_with_value_requiring_grad_into_plain_tensor(lib, device):
    w = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = lib.zeros(4, device=device)
    a[1:3] = w
    (a * a).sum().backward()
    return w.grad, a, a.requires_grad, a.is_leaf


@case
def tensor_index_write_with_value_requiring_grad(lib, device):
    w = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = lib.zeros(4, device=device)
    a[lib.tensor([0, 2], device=device)] = w
    (a * lib.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    return w.grad, a


@case
def tensor_index_write_into_non_leaf(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    a[lib.tensor([1, 3], device=device)] = 0.0
    (a * a).sum().backward()
    return x.grad, a


@case
def masked_write_into_non_leaf(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    a[a > 2] = 0.0
    (a * x).sum().backward()
    return x.grad, a


@case
def masked_fill_on_view_of_non_leaf(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 2
    a[1:].masked_fill_(lib.tensor([True, False, True], device=device), 0.0)
    a.sum().backward()
    return x.grad, a


@case
def copy_into_view_from_tensor_requiring_grad(lib, device):
    w = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = lib.zeros(2, 3, device=device)
    a[0].copy_(w)
    (a * 2).sum().backward()
    return w.grad, a


@case
def copy_into_non_leaf_replaces_history(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    w = lib.tensor([3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    a.copy_(w)
    (a * a).sum().backward()
    return x.grad, w.grad


@case
def copy_broadcasts_into_view(lib, device):
    w = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = lib.zeros(3, 2, device=device)
    a[1:].copy_(w)
    (a * lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)).sum().backward()
    return w.grad, a


@case
def copy_broadcast_into_non_leaf(lib, device):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device, requires_grad=True)
    w = lib.tensor([7.0, 8.0], device=device, requires_grad=True)
    a = x * 1
    a.copy_(w)
    (a * lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)).sum().backward()
    return x.grad, w.grad, a


@case
def copy_from_other_dtype_into_view(lib, device):
    a = lib.zeros(2, 3, device=device)
    a[1].copy_(lib.tensor([1, 2, 3], device=device))
    return a, a.dtype == lib.float32


@case
def plain_view_requires_grad_after_base_written(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    buffer = lib.zeros(4, device=device)
    v = buffer[:2]
    buffer.copy_(x)
    requires = v.requires_grad
    (v * 3).sum().backward()
    return requires, x.grad


@case
def in_place_add_of_grad_value_into_view_of_plain_tensor(lib, device):
    w = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    buffer = lib.ones(4, device=device)
    buffer[1:3].mul_(w)
    (buffer * buffer).sum().backward()
    return w.grad, buffer, buffer.requires_grad


@case
def double_backward_through_in_place(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = x * 1
    y.mul_(x)
    (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    return g, x.grad


@case
def double_backward_through_in_place_on_view(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = x * 1
    y[:2].mul_(x[:2])
    (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
    g.sum().backward()
    return g, x.grad


@case
def write_through_view_made_in_no_grad_raises(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = x * 1
    with lib.no_grad():
        v = a[:2]
    v.mul_(2)
    return a


@case
def write_through_view_made_in_no_grad_also_in_no_grad_is_fine(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = x * 1
    with lib.no_grad():
        v = a[:2]
        v.mul_(2)
    a.sum().backward()
    return a, x.grad


@case
def no_grad_view_of_plain_tensor_written_with_grad_on(lib, device):
    a = _arange(lib, 3, device)
    with lib.no_grad():
        v = a[:2]
    v.mul_(2)
    return a, v.requires_grad


@case
def no_grad_view_used_after_base_written_with_grad_raises(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = x * 1
    with lib.no_grad():
        v = a[:2]
    a.mul_(2)
    return v.grad_fn is None, v * 1


@case
def view_made_with_grad_written_under_no_grad(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = x * 1
    v = a[:2]
    with lib.no_grad():
        v.mul_(2)
    a.sum().backward()
    return a, x.grad


@case
def chunk_output_of_non_leaf_written_raises(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    pieces = (x * 1).chunk(2)
    pieces[0].mul_(2)
    return pieces[0]


@case
def unbind_output_of_non_leaf_written_raises(lib, device):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    first, _ = (x * 1).unbind(0)
    first.add_(1)
    return first


@case
def split_output_of_non_leaf_written_raises(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    pieces = (x * 1).split(2)
    pieces[1][0] = 0.0
    return pieces[1]


@case
def backward_twice_through_in_place_needs_retain(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * x
    a.add_(1)
    loss = a.sum()
    loss.backward()
    loss.backward()
    return x.grad


@case
def detached_view_written_then_base_backward(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    a = x * 2
    d = a.detach()
    d.mul_(10)
    (a + 1).sum().backward()
    return a, d, x.grad, a._version


@case
def view_of_detached_written_with_grad_value(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    w = lib.tensor([5.0], device=device, requires_grad=True)
    a = x * 2
    d = a.detach()
    d[:1].copy_(w)
    (d * 3).sum().backward()
    return a, a.requires_grad, d.requires_grad, w.grad, x.grad


# ---- .data ----------------------------------------------------------------------------------------

@case
def data_shares_storage(lib, device):
    x = _arange(lib, 4, device)
    d = x.data
    d[0] = 9.0
    x[1] = 8.0
    return x, d


@case
def data_is_invisible_to_autograd(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    d = (x * 2).data
    return d.requires_grad, d.is_leaf, d.grad_fn is None, d


@case
def data_of_leaf_allows_in_place(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.data.mul_(2)
    return x, x._version, x.requires_grad


@case
def data_of_view_writes_base(lib, device):
    x = _arange(lib, 4, device)
    v = x[1:]
    v.data.fill_(0)
    return x, x._version


@case
def view_of_data_has_data_version(lib, device):
    x = _arange(lib, 4, device)
    d = x.data
    d[1:].add_(1)
    return x, x._version, d._version


@case
def data_assignment_rebinds(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    x.data = lib.tensor([5.0, 6.0, 7.0], device=device)
    (x * x).sum().backward()
    return x, x.grad, x.requires_grad, x.is_leaf


@case
def data_assignment_shares_with_source(lib, device):
    x = lib.zeros(2, device=device)
    other = lib.tensor([1.0, 2.0], device=device)
    x.data = other
    other.add_(1)
    x[0] = 10.0
    return x, other


@case
def data_assignment_leaves_old_views_alone(lib, device):
    x = _arange(lib, 3, device)
    v = x[1:]
    x.data = lib.tensor([7.0, 8.0, 9.0], device=device)
    x.fill_(0)
    return v, x


@case
def data_assignment_changes_dtype(lib, device):
    x = lib.tensor([1.0, 2.0], device=device)
    x.data = lib.tensor([1, 2], dtype=lib.int64, device=device)
    return x, x.dtype == lib.int64


# ---- detach ---------------------------------------------------------------------------------------

@case
def detach_shares_storage(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    d = x.detach()
    d[0] = 5.0
    return x, d.requires_grad, d.is_leaf


@case
def detach_of_strided_view_shares_storage(lib, device):
    x = _arange(lib, 6, device)
    x[::2].detach().fill_(-1)
    return x, x._version


@case
def base_write_visible_through_detach(lib, device):
    x = _arange(lib, 4, device)
    d = x.detach()
    x[1:].mul_(3)
    return d


# ---- Parameter keeps aliasing; optimizer steps on views ---------------------------------------------

@case
def parameter_of_view_aliases_base(lib, device):
    base = lib.zeros(4, device=device)
    p = lib.nn.Parameter(base[1:3])
    with lib.no_grad():
        p.add_(1)
    return base, p, p.is_leaf, p.requires_grad


@case
def optimizer_step_on_parameter_that_is_a_view(lib, device):
    base = lib.zeros(4, device=device)
    p = lib.nn.Parameter(base[:2])
    optimizer = lib.optim.SGD([p], lr=1.0)
    (p * lib.tensor([1.0, 2.0], device=device)).sum().backward()
    optimizer.step()
    return base, p, p.grad


@case
def optimizer_steps_on_parameters_viewing_one_buffer(lib, device):
    flat = lib.zeros(6, device=device)
    weight = lib.nn.Parameter(flat[:4].view(2, 2))
    bias = lib.nn.Parameter(flat[4:])
    optimizer = lib.optim.SGD([weight, bias], lr=0.5, momentum=0.9)
    inputs = lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    for _ in range(2):
        optimizer.zero_grad()
        ((inputs @ weight + bias) ** 2).sum().backward()
        optimizer.step()
    return flat, weight, bias


@case
def parameter_shares_storage_with_plain_tensor(lib, device):
    x = lib.tensor([1.0, 2.0], device=device)
    p = lib.nn.Parameter(x)
    with lib.no_grad():
        p.mul_(2)
    x[0] = 10.0
    return x, p


@case
def parameter_view_written_by_index_under_no_grad(lib, device):
    base = lib.zeros(2, 3, device=device)
    p = lib.nn.Parameter(base[1])
    with lib.no_grad():
        p[0] = 7.0
    return base


@case
def parameter_of_view_base_written_is_visible(lib, device):
    base = lib.zeros(4, device=device)
    p = lib.nn.Parameter(base[1:3])
    base.fill_(3)
    return p


@case
def in_place_on_parameter_with_grad_raises(lib, device):
    p = lib.nn.Parameter(lib.zeros(2, device=device))
    p.add_(1)
    return p


# ---- unfold, as_strided, select, narrow: strided views -----------------------------------------

@case
def unfold_write_reaches_base(lib, device):
    x = _arange(lib, 8, device)
    windows = x.unfold(0, 2, 3)
    windows[1].fill_(-1)
    windows[:, 0].mul_(10)
    return x, windows, x._version, list(windows.stride()), windows.storage_offset()


@case
def unfold_of_a_matrix_sees_later_base_writes(lib, device):
    x = _arange(lib, 12, device).reshape(3, 4)
    windows = x.unfold(1, 3, 1)
    x[1].zero_()
    return windows, list(windows.shape), list(windows.stride())


@case
def unfold_overlapping_windows_backward_accumulates(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], device=device, requires_grad=True)
    windows = x.unfold(0, 3, 1)
    (windows * windows).sum().backward()
    return x.grad, windows


@case
def unfold_of_non_leaf_written_in_place_backward(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    y = x * 2
    windows = y.unfold(0, 2, 2)
    windows[0].mul_(lib.tensor([3.0, 5.0], device=device))
    (y * y).sum().backward()
    return x.grad, y, windows


@case
def as_strided_write_reaches_base(lib, device):
    x = _arange(lib, 9, device)
    view = x.as_strided((2, 2), (3, 1), 1)
    view.fill_(0)
    return x, view, list(view.stride()), view.storage_offset()


@case
def as_strided_of_a_view_addresses_the_storage(lib, device):
    x = _arange(lib, 10, device)
    tail = x[4:]
    return tail.as_strided((2, 2), (1, 2)), tail.as_strided((3,), (2,), 0), tail.storage_offset()


@case
def as_strided_overlapping_backward_accumulates(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    view = x.as_strided((3, 2), (1, 1))
    (view * lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)).sum().backward()
    return x.grad, view


@case
def select_and_narrow_write_reach_base(lib, device):
    x = _arange(lib, 12, device).reshape(3, 4)
    x.select(1, -1).fill_(100)
    x.narrow(0, 1, 2).mul_(2)
    return x, x.select(0, 2), x.narrow(1, 1, 2), x._version


# ---- diagonal and index_put_ -------------------------------------------------------------------

@case
def diagonal_write_reaches_base(lib, device):
    x = _arange(lib, 9, device).reshape(3, 3)
    x.diagonal().fill_(-1)
    x.diagonal(1).mul_(10)
    return x, x.diagonal(-1), list(x.diagonal().stride())


@case
def diagonal_of_transposed_view_write(lib, device):
    x = _arange(lib, 12, device).reshape(3, 4)
    x.t().diagonal(-1).zero_()
    return x


@case
def diagonal_in_place_on_non_leaf_backward(lib, device):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    y = x * 1
    y.diagonal().mul_(lib.tensor([2.0, 3.0], device=device))
    (y * y).sum().backward()
    return x.grad, y


@case
def diagonal_view_made_before_base_write(lib, device):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    y = x * 1
    d = y.diagonal()
    y.mul_(x)
    (d * lib.tensor([1.0, 10.0], device=device)).sum().backward()
    return x.grad, d


@case
def index_put_on_non_leaf_backward(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 2
    a.index_put_((lib.tensor([1, 3], device=device),), lib.tensor(9.0, device=device))
    (a * a).sum().backward()
    return x.grad, a, a._version


@case
def index_put_accumulate_with_value_requiring_grad(lib, device):
    w = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = lib.ones(4, device=device)
    a.index_put_((lib.tensor([0, 0], device=device),), w, accumulate=True)
    (a * lib.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    return w.grad, a


@case
def index_put_on_view_reaches_base(lib, device):
    x = _arange(lib, 6, device).reshape(2, 3)
    x[1].index_put_((lib.tensor([0, 2], device=device),), lib.tensor([7.0, 8.0], device=device))
    return x, x._version


# ---- more of what users do -------------------------------------------------------------------------

@case
def plus_equals_on_view_of_leaf_requiring_grad_raises(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    v = x[1:]
    v += 1
    return x


@case
def no_grad_view_of_leaf_is_used_like_a_leaf(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    with lib.no_grad():
        v = x[:2]
    requires = v.requires_grad
    (v * 2).sum().backward()
    return requires, v.is_leaf, x.grad


@case
def long_chain_view_before_write_through_transposed_sibling(lib, device):
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device, requires_grad=True)
    a = x * 1
    v = a.view(6)[1:5].view(2, 2)
    a.t()[1:].mul_(3)
    (v * lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)).sum().backward()
    return x.grad, v


@case
def two_writes_through_views_then_backward(lib, device):
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    a = x * 1
    a[:3].mul_(2)
    a[1:].mul_(x[1:])
    (a * a).sum().backward()
    return x.grad, a, a._version


@case
def write_through_view_of_view_of_non_leaf(lib, device):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    a = x * 1
    a[1][0:1].mul_(5)
    (a * a).sum().backward()
    return x.grad, a


@case
def optimizer_step_bumps_parameter_and_base_version(lib, device):
    base = lib.zeros(4, device=device)
    p = lib.nn.Parameter(base[:2])
    (p * 3).sum().backward()
    lib.optim.SGD([p], lr=0.1).step()
    return base, p, base._version == p._version, p._version > 0


@case
def adam_step_on_parameter_that_is_a_view(lib, device):
    base = lib.ones(2, 3, device=device)
    p = lib.nn.Parameter(base.t())
    optimizer = lib.optim.Adam([p], lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        (p * lib.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]], device=device)).sum().backward()
        optimizer.step()
    return base, p


@case
def inplace_on_detached_then_saved_check_for_views(lib, device):
    x = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a[0] * a[1]
    a.detach()[1:].add_(1)
    b.backward()
    return x.grad


# ---- the table runner ---------------------------------------------------------------------------

def _outcome(lib, function, device):
    """('ok', normalized result) or ('raised', exception type name, message)."""
    try:
        result = function(lib, device)
    except Exception as error:  # the table compares which cases raise
        return ("raised", type(error).__name__, str(error))
    return ("ok", _normalize(lib, result))


def _normalize(lib, value):
    if isinstance(value, tuple):
        return tuple(_normalize(lib, item) for item in value)
    if isinstance(value, list):
        return [_normalize(lib, item) for item in value]
    if isinstance(value, lib.Tensor):
        data = value.detach()
        return {"values": numpy.asarray(data.tolist()), "shape": tuple(data.shape),
                "dtype": str(data.dtype).split(".")[-1], "requires_grad": value.requires_grad}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"a case returned {type(value).__name__}; return tensors, numbers or booleans")


def _assert_same(expected, actual, where):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, type(expected)) and len(actual) == len(expected), \
            f"{where}: expected {expected!r}, got {actual!r}"
        for position, (left, right) in enumerate(zip(expected, actual)):
            _assert_same(left, right, f"{where}[{position}]")
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a tensor, got {actual!r}"
        for key in ("shape", "dtype", "requires_grad"):
            assert actual[key] == expected[key], f"{where}.{key}: torch {expected[key]!r}, plexgrad {actual[key]!r}"
        numpy.testing.assert_allclose(actual["values"], expected["values"], rtol=1e-6, atol=1e-6,
                                      err_msg=f"{where}: values differ from torch")
        return
    assert actual == expected, f"{where}: torch {expected!r}, plexgrad {actual!r}"


def _gist(message):
    for gist in ERROR_GISTS:
        if gist.lower() in message.lower():
            return gist
    return None


def check_against_torch(name, device):
    """Run case ``name`` under torch and plexgrad on ``device``; assert they agree."""
    function = CASES[name]
    expected = _outcome(torch, function, "cpu")
    actual = _outcome(plexgrad, function, device)
    if expected[0] == "raised":
        gist = _gist(expected[2])
        assert gist is not None, f"torch raised an error the table has no gist for: {expected[2]}"
        assert actual[0] == "raised", f"torch raised {expected[1]}({expected[2]!r}); plexgrad returned {actual[1]!r}"
        assert actual[1] == expected[1], f"torch raised {expected[1]}, plexgrad {actual[1]}: {actual[2]}"
        assert gist.lower() in actual[2].lower(), f"torch's message says {gist!r}; plexgrad's: {actual[2]!r}"
        return
    assert actual[0] == "ok", f"torch returned {expected[1]!r}; plexgrad raised {actual[1]}: {actual[2]}"
    _assert_same(expected[1], actual[1], name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_torch(name, device):
    check_against_torch(name, device)


# ---- transfers: torch's rule is that a transfer never aliases (checked here directly, since the
# torch oracle has only one device) --------------------------------------------------------------

def test_to_cpu_of_another_device_is_an_ordinary_writable_copy(device):
    x = plexgrad.tensor([1.0, 2.0, 3.0], device=device)
    y = x.to("cpu")
    if device == "cpu":
        assert y is x  # as torch: .to(the same device) is the tensor itself
        return
    y[0] = 10.0
    y.add_(1)
    assert y.tolist() == [11.0, 3.0, 4.0]
    assert x.tolist() == [1.0, 2.0, 3.0]
    assert y._version == 2


def test_cpu_of_another_device_copies_and_back(device):
    x = plexgrad.tensor([1.0, 2.0], device=device)
    y = x.cpu()
    z = y.to(device)
    if device != "cpu":
        assert z is not x
        z.mul_(3)
        y.fill_(0)
        assert x.tolist() == [1.0, 2.0]
        assert z.tolist() == [3.0, 6.0]


def test_to_another_device_of_a_view_copies_only_the_view(device):
    base = plexgrad.arange(6.0, device=device)
    moved = base[1::2].to("cpu").to(device) if device != "cpu" else base[1::2].clone()
    moved.fill_(0)
    assert base.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert moved.tolist() == [0.0, 0.0, 0.0]


def test_in_place_write_through_overlapping_unfold_windows_is_refused(device):
    """torch runs ``x.unfold(0, 3, 1).add_(1)`` and each element gains as many ones as windows hold it
    (its kernel's visiting order decides); plexgrad refuses, as torch does for expanded views, so no
    engine gives an order-dependent answer (read-only windows on numpy, flat positions on jax)."""
    x = plexgrad.arange(6.0, device=device)
    with pytest.raises(RuntimeError, match="refers to a single memory location"):
        x.unfold(0, 3, 1).add_(1)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    x.unfold(0, 2, 2).add_(1)  # disjoint windows write as usual
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
