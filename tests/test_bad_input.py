"""Bad input raises torch's exception type with a message naming what was wrong
(shapes, dtypes, devices, indices): never a silent answer or a backend traceback."""

import numpy as np
import pytest

import plexgrad

P = plexgrad


def raises(exception_type, function, *fragments):
    with pytest.raises(exception_type) as caught:
        function()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "Traceback" not in message
    return message


def test_broadcast_mismatch_names_sizes_and_shapes(device):
    a, b = P.ones(2, 3, device=device), P.ones(4, device=device)
    raises(RuntimeError, lambda: a + b, "size of tensor a (3) must match the size of tensor b (4)", "[2, 3]", "[4]")
    raises(RuntimeError, lambda: a * b, "[2, 3]", "[4]")
    raises(RuntimeError, lambda: a.add_(b), "3", "4")


def test_matmul_mismatch_names_shapes(device):
    raises(RuntimeError, lambda: P.ones(2, 3, device=device) @ P.ones(2, 3, device=device),
           "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    raises(RuntimeError, lambda: P.mm(P.ones(2, 3, device=device), P.ones(4, 5, device=device)), "2x3", "4x5")
    raises(RuntimeError, lambda: P.dot(P.ones(2, device=device), P.ones(3, device=device)), "[2]", "[3]")


def test_unknown_dtype(device):
    raises(TypeError, lambda: P.zeros(2, dtype="float33", device=device), "float33", "plexgrad.float32")
    raises(TypeError, lambda: P.ones(2, device=device).to(dtype="complex512"), "complex512")


def test_unknown_device():
    raises(RuntimeError, lambda: P.ones(2, device="tpu"), "'tpu'", "cpu")
    raises(RuntimeError, lambda: P.ones(2).to("nosuch:0"), "'nosuch'")
    raises(RuntimeError, lambda: P.device("cpu:x"), "'cpu:x'")


def test_mixed_devices(device):
    pytest.importorskip("jax")
    other = "jax" if device == "cpu" else "cpu"
    a, b = P.ones(2, device=device), P.ones(2, device=other)
    message = raises(RuntimeError, lambda: a - b, "sub", str(a.device), str(b.device))
    assert ".to(" in message


def test_numpy_on_tensor_requiring_grad():
    x = P.ones(2, requires_grad=True)
    raises(RuntimeError, x.numpy, "Can't call numpy() on Tensor that requires grad", "detach()")
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])


def test_view_on_incompatible_layout(device):
    transposed = P.ones(2, 3, device=device).t()
    raises(RuntimeError, lambda: transposed.view(6), "view size is not compatible", ".reshape(")


def test_backward_on_non_scalar_without_gradient(device):
    x = P.ones(3, requires_grad=True, device=device)
    raises(RuntimeError, lambda: (x * 2).backward(), "grad can be implicitly created only for scalar outputs")


def test_backward_gradient_of_wrong_shape(device):
    x = P.ones(3, requires_grad=True, device=device)
    raises(RuntimeError, lambda: (x * 2).backward(P.ones(4, device=device)), "[4]", "[3]")


def test_backward_on_tensor_without_grad(device):
    raises(RuntimeError, lambda: P.ones(2, device=device).sum().backward(), "does not require grad")


@pytest.mark.parametrize("index, position, size", [
    (lambda t: t[5], 5, 2),
    (lambda t: t[-3], -3, 2),
    (lambda t: t[0, 7], 7, 3),
    (lambda t: t[P.tensor([3])], 3, 2),
    (lambda t: t[[0, 5]], 5, 2),
])
def test_index_out_of_range(device, index, position, size):
    tensor = P.ones(2, 3, device=device)
    raises(IndexError, lambda: index(tensor), f"index {position} is out of bounds", f"size {size}")


def test_setitem_out_of_range(device):
    tensor = P.zeros(2, device=device)

    def assign():
        tensor[2] = 1.0
    raises(IndexError, assign, "index 2", "size 2")


def test_too_many_indices(device):
    raises(IndexError, lambda: P.ones(2, device=device)[0, 0], "too many indices")


def test_impossible_reshape(device):
    tensor = P.ones(2, 3, device=device)
    raises(RuntimeError, lambda: tensor.reshape(4, 2), "[4, 2]", "size 6")
    raises(RuntimeError, lambda: tensor.view(4), "[4]", "size 6")
    raises(RuntimeError, lambda: tensor.view(-1, 4), "[-1, 4]", "size 6")
    raises(RuntimeError, lambda: tensor.reshape(-1, -1), "only one dimension can be inferred")


def test_dimension_out_of_range(device):
    raises(IndexError, lambda: P.ones(3, device=device).sum(dim=2), "Dimension out of range", "[-1, 0]", "2")
    raises(IndexError, lambda: P.ones(2, 3, device=device).transpose(0, 2), "[-2, 1]")
    raises(IndexError, lambda: P.ones(2, 3, device=device).size(2), "[-2, 1]")


def test_cat_and_stack_mismatch(device):
    raises(RuntimeError, lambda: P.cat([P.ones(2, 3, device=device), P.ones(3, 2, device=device)]),
           "Expected size 3 but got size 2")
    raises(RuntimeError, lambda: P.stack([P.ones(2, device=device), P.ones(3, device=device)]), "[2]", "[3]")


def test_expand_mismatch(device):
    raises(RuntimeError, lambda: P.ones(2, 3, device=device).expand(4, 3), "[4, 3]", "[2, 3]")


def test_bad_tensor_data():
    raises(ValueError, lambda: P.tensor([[1, 2], [3]]), "expected sequence of length 2 at dim 1 (got 1)")
    raises(TypeError, lambda: P.tensor("abc"))
    raises(TypeError, lambda: P.tensor([object()]))


def test_negative_size():
    raises(RuntimeError, lambda: P.zeros(-1), "non-negative", "[-1]")
    raises(RuntimeError, lambda: P.ones(2, -3), "[2, -3]")


def test_operand_of_wrong_type(device):
    tensor = P.ones(2, device=device)
    raises(TypeError, lambda: tensor + "a", "str")
    raises(TypeError, lambda: tensor * None, "NoneType")
    raises(TypeError, lambda: P.exp([1.0]), "Tensor", "list")


def test_item_and_bool_of_many_elements(device):
    tensor = P.ones(2, 2, device=device)
    raises(RuntimeError, tensor.item, "a Tensor with 4 elements cannot be converted to Scalar")
    raises(RuntimeError, lambda: bool(tensor), "Boolean value of Tensor with", "ambiguous")


def test_requires_grad_on_integer_tensor(device):
    raises(RuntimeError, lambda: P.ones(2, 2, device=device).long().requires_grad_(),
           "only Tensors of floating point", "int64")


def test_in_place_on_leaf_requiring_grad(device):
    x = P.ones(2, requires_grad=True, device=device)
    raises(RuntimeError, lambda: x.mul_(2), "leaf Variable that requires grad")


def test_permute_errors(device):
    raises(RuntimeError, lambda: P.ones(2, 3, device=device).permute(0), "input.dim() = 2", "len(dims) = 1")
    raises(RuntimeError, lambda: P.ones(2, 3, device=device).permute(0, 0), "duplicate dims")


def test_boolean_mask_of_wrong_shape(device):
    raises(IndexError, lambda: P.arange(5, device=device)[P.tensor([True, False], device=device)],
           "The shape of the mask [2]", "[5]")
