"""Matrix products: matmul (with batch broadcasting), mm, bmm, mv, dot, outer."""

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer"]

from ..autograd.grad_mode import state as grad_state
from ..dispatch import table_of
from ..op import apply, cast, declare, kernel_for, promote_pair, record_pair
from ..tensor import Tensor, make_tensor
from .elementwise import sum_to


def _matmul_backward(node, grad):
    first, second = node.saved_tensors
    grad_first = grad_second = None
    if node.edges[0] is not None:
        grad_first = sum_to(grad @ second.mT, tuple(first._data.shape))
    if node.edges[1] is not None:
        grad_second = sum_to(first.mT @ grad, tuple(second._data.shape))
    return grad_first, grad_second


_matmul_op = declare("matmul", _matmul_backward, node_name="MmBackward0", dtype_rule="promote", signature="x, y")


def _check(name, first, second):
    for position, value in enumerate((first, second)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument {position + 1} must be Tensor, not {type(value).__name__}")
    if first._data.ndim == 0 or second._data.ndim == 0:
        raise RuntimeError(f"{name}: both arguments to matmul need to be at least 1D, but they are "
                           f"{first._data.ndim}D and {second._data.ndim}D")


def _shape_error(first, second):
    a, b = list(first._data.shape), list(second._data.shape)
    inner_a = a[-1]
    inner_b = b[-2] if len(b) > 1 else b[0]
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a[-2:]))} and "
                        f"{'x'.join(map(str, b[-2:]))}): the inner sizes {inner_a} and {inner_b} differ "
                        f"(full shapes {a} and {b})")


_MATMUL_TABLE = table_of(_matmul_op)


def matmul(input, other):
    """Matrix product with numpy's rules: 1-d operands are vectors, leading dims broadcast."""
    if (type(input) is Tensor and type(other) is Tensor and input._dtype is other._dtype
            and input._device is other._device and (first := input._data).ndim == 2
            and (second := other._data).ndim == 2):
        device = input._device  # plain matrices: skip the general checks (the kernel checks the sizes)
        try:
            kernel = _MATMUL_TABLE[device.type]
        except KeyError:
            kernel = kernel_for(_matmul_op, device)
        try:
            data = kernel(first, second)
        except Exception:  # mismatched sizes: the general path below names them
            data = None
        if data is not None:
            result = make_tensor(data, input._dtype, device)
            if (input._requires_grad or other._requires_grad) and grad_state.enabled:
                record_pair(_matmul_op.rule, input, other, result)
            return result
    _check("matmul", input, other)
    if input._dtype is not other._dtype:
        dtype = promote_pair(input, other)
        input, other = cast(input, dtype), cast(other, dtype)
    squeeze_first = input._data.ndim == 1
    squeeze_last = other._data.ndim == 1
    if squeeze_first:
        input = input.unsqueeze(0)
    if squeeze_last:
        other = other.unsqueeze(-1)
    if input._data.shape[-1] != other._data.shape[-2]:
        raise _shape_error(input, other)
    result = apply(_matmul_op, (input, other), save=(0, 1))
    if squeeze_last:
        result = result.squeeze(-1)
    if squeeze_first:
        result = result.squeeze(-2 if result._data.ndim > 1 else 0)
    return result


def mm(input, mat2):
    """Product of two 2-d matrices."""
    _check("mm", input, mat2)
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input._data.ndim}D and {mat2._data.ndim}D")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of 3-d tensors (b, n, k) @ (b, k, m)."""
    _check("bmm", input, mat2)
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {input._data.ndim}D and {mat2._data.ndim}D")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input._data.shape[0]} and {mat2._data.shape[0]}")
    return matmul(input, mat2)


def mv(input, vec):
    """Matrix-vector product."""
    _check("mv", input, vec)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"mv: expected a 2D matrix and a 1D vector, got {input._data.ndim}D and "
                           f"{vec._data.ndim}D")
    return matmul(input, vec)


def dot(input, other):
    """Inner product of two 1-d tensors of the same length."""
    _check("dot", input, other)
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    if input._data.shape[0] != other._data.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{other._data.shape[0]}] to have the same number of elements, but got "
                           f"{input._data.shape[0]} and {other._data.shape[0]} elements respectively")
    if input._dtype is not other._dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input._dtype} and "
                           f"{other._dtype}")
    return matmul(input, other)


def outer(input, vec2):
    """Outer product of two 1-d tensors."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)
