"""Element-wise primitives and their derivatives.

Each rule returns one gradient per input; ``sum_to`` undoes broadcasting so every
binary rule stays one line.
"""

__all__ = [
    "neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
    "asin", "acos", "atan", "sinh", "cosh", "sign", "floor", "ceil", "round", "trunc", "log1p",
    "expm1", "log2", "log10", "reciprocal", "square", "logical_not", "bitwise_not", "isnan", "isinf",
    "isfinite", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "remainder", "fmod",
    "floor_divide", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
    "where", "sum_to",
]

import math

from .. import dtypes
from ..op import apply, binary, binary_operands, declare, promote_pair, cast, _scalar_result
from ..autograd.grad_mode import state as grad_state
from ..dispatch import call, runnable
from ..tensor import Tensor, make_tensor
from .. import op as _op


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape`` (the adjoint of broadcasting to grad's shape)."""
    grad_shape = grad._data.shape
    if grad_shape == shape:
        return grad
    from .reduction import sum as reduce_sum
    lead = len(grad_shape) - len(shape)
    if lead:  # leading broadcast dimensions vanish: no keepdim, so no reshape view afterwards
        grad = reduce_sum(grad, tuple(range(lead)))
        grad_shape = grad._data.shape
    dims = tuple(index for index, extent in enumerate(shape) if extent == 1 and grad_shape[index] != 1)
    return reduce_sum(grad, dims, keepdim=True) if dims else grad


def _saved_input(node):
    return node.saved_tensors[0]


def _zero_grad(node, grad):
    return (grad * 0,)


# ---- unary ---------------------------------------------------------------------------
neg = _op.unary("neg", lambda node, grad: (-grad,), doc="Negation, -x.")
abs = _op.unary("abs", lambda node, grad: (grad * _saved_input(node).sign(),), save_input=True,
                doc="Absolute value |x|.")
exp = _op.unary("exp", lambda node, grad: (grad * node.saved_output(),), "float", save_output=True,
                doc="e to the power x.")
log = _op.unary("log", lambda node, grad: (grad / _saved_input(node),), "float", save_input=True,
                doc="Natural logarithm.")
sqrt = _op.unary("sqrt", lambda node, grad: (grad / (node.saved_output() * 2),), "float", save_output=True,
                 doc="Square root.")
rsqrt = _op.unary("rsqrt", lambda node, grad: (grad * node.saved_output() ** 3 * -0.5,), "float",
                  save_output=True, doc="1 / sqrt(x).")
sin = _op.unary("sin", lambda node, grad: (grad * _saved_input(node).cos(),), "float", save_input=True)
cos = _op.unary("cos", lambda node, grad: (-grad * _saved_input(node).sin(),), "float", save_input=True)
tan = _op.unary("tan", lambda node, grad: (grad * (node.saved_output() ** 2 + 1),), "float", save_output=True)
tanh = _op.unary("tanh", lambda node, grad: (grad * (1 - node.saved_output() ** 2),), "float", save_output=True)
sigmoid = _op.unary("sigmoid", lambda node, grad: (grad * node.saved_output() * (1 - node.saved_output()),),
                    "float", save_output=True, doc="Logistic sigmoid 1 / (1 + exp(-x)).")


def _relu_backward(node, grad):
    """``grad`` where the output is positive: the ``relu_backward`` op (one fused kernel where the
    backend has it) for first-order gradients; under create_graph, plexgrad ops."""
    data = node.output_array()  # checked: the output may have been written in place since
    if data is not None and not grad_state.enabled and grad._dtype is node.output_meta[0]:
        device = grad._device
        kernel = runnable(_relu_backward_op, device)
        if kernel is not None:
            return (make_tensor(kernel(grad._data, data), grad._dtype, device),)
    return (grad * (node.saved_output() <= 0).logical_not(),)


relu = _op.unary("relu", _relu_backward, save_output=True, doc="max(x, 0).")
asin = _op.unary("asin", lambda node, grad: (grad * (1 - _saved_input(node) ** 2).rsqrt(),), "float",
                 save_input=True)
acos = _op.unary("acos", lambda node, grad: (-grad * (1 - _saved_input(node) ** 2).rsqrt(),), "float",
                 save_input=True)
atan = _op.unary("atan", lambda node, grad: (grad / (_saved_input(node) ** 2 + 1),), "float", save_input=True)
sinh = _op.unary("sinh", lambda node, grad: (grad * _saved_input(node).cosh(),), "float", save_input=True)
cosh = _op.unary("cosh", lambda node, grad: (grad * _saved_input(node).sinh(),), "float", save_input=True)
_sign = _op.unary("sign", _zero_grad)


def sign(input):
    """-1, 0 or 1 by the sign of each element; 0 for NaN, as torch (numpy and jax give NaN)."""
    result = _sign(input)
    if input._dtype.category == dtypes.FLOATING:
        result = where(input != input, 0, result)
    return result


sign.op = _sign.op
floor = _op.unary("floor", _zero_grad)
ceil = _op.unary("ceil", _zero_grad)
round_ = _op.unary("round", _zero_grad)
trunc = _op.unary("trunc", _zero_grad)
log1p = _op.unary("log1p", lambda node, grad: (grad / (_saved_input(node) + 1),), "float", save_input=True)
expm1 = _op.unary("expm1", lambda node, grad: (grad * (node.saved_output() + 1),), "float", save_output=True)
log2 = _op.unary("log2", lambda node, grad: (grad / (_saved_input(node) * math.log(2)),), "float",
                 save_input=True)
log10 = _op.unary("log10", lambda node, grad: (grad / (_saved_input(node) * math.log(10)),), "float",
                  save_input=True)
reciprocal = _op.unary("reciprocal", lambda node, grad: (-grad * node.saved_output() ** 2,), "float",
                       save_output=True)
square = _op.unary("square", lambda node, grad: (grad * _saved_input(node) * 2,), "bool_as_int64", save_input=True,
                   doc="x * x; a bool tensor gives int64, as in torch.")
logical_not = _op.unary("logical_not", dtype_rule="bool")
bitwise_not = _op.unary("bitwise_not")
isnan = _op.unary("isnan", dtype_rule="bool")
isinf = _op.unary("isinf", dtype_rule="bool")
isfinite = _op.unary("isfinite", dtype_rule="bool")
round = round_


# ---- binary --------------------------------------------------------------------------
def _shapes(node):
    return node.params[0], node.params[1]


def _reduce_pair(node, grad_first, grad_second):
    first_shape, second_shape = _shapes(node)
    return (None if first_shape is None or grad_first is None else sum_to(grad_first, first_shape),
            None if second_shape is None or grad_second is None else sum_to(grad_second, second_shape))


def _add_backward(node, grad):
    return _reduce_pair(node, grad, grad)


def _sub_backward(node, grad):
    return _reduce_pair(node, grad, -grad if node.params[1] is not None else None)


def _mul_backward(node, grad):
    first, second = binary_operands(node)
    first_shape, second_shape = _shapes(node)
    return _reduce_pair(node, grad * second if first_shape is not None and node.edges[0] is not None else None,
                        grad * first if second_shape is not None and node.edges[1] is not None else None)


def _div_backward(node, grad):
    first, second = binary_operands(node)
    grad_first = grad / second if node.edges[0] is not None else None
    grad_second = -grad * first / (second * second) if node.edges[1] is not None else None
    return _reduce_pair(node, grad_first, grad_second)


def _pow_backward(node, grad):
    base, exponent = binary_operands(node)
    grad_base = grad_exponent = None
    if node.edges[0] is not None:
        if isinstance(exponent, Tensor):
            grad_base = where(exponent == 0, 0.0, grad * exponent * base ** (exponent - 1))
        elif exponent == 0:
            grad_base = grad * 0
        else:
            grad_base = grad * exponent * base ** (exponent - 1)
    if node.edges[1] is not None:
        result = node.saved_output()
        if isinstance(base, Tensor):
            grad_exponent = grad * result * where((base == 0) & (exponent >= 0), 0.0, base.log())
        else:
            grad_exponent = grad * result * (math.log(base) if base > 0 else math.nan)
    return _reduce_pair(node, grad_base, grad_exponent)


def _selector_backward(loses):
    """torch's maximum/minimum rule: each operand gets the gradient except where it lost (``loses(a, b)``:
    a < b for maximum), halved on ties; where a NaN is involved neither lost, so both get it."""
    def backward(node, grad):
        first, second = binary_operands(node)
        tie = first == second
        shared = where(tie, grad * 0.5, grad)  # (keeps the gradient's dtype)
        grad_first = grad_second = None
        if node.edges[0] is not None:
            lost = loses(first, second)
            grad_first = shared * logical_not(lost) if isinstance(lost, Tensor) else (shared * 0 if lost else shared)
        if node.edges[1] is not None:
            lost = loses(second, first)
            grad_second = shared * logical_not(lost) if isinstance(lost, Tensor) else (shared * 0 if lost else shared)
        return _reduce_pair(node, grad_first, grad_second)
    return backward


def _atan2_backward(node, grad):
    first, second = binary_operands(node)
    denominator = first * first + second * second
    return _reduce_pair(node, grad * second / denominator if node.edges[0] is not None else None,
                        -grad * first / denominator if node.edges[1] is not None else None)


def _remainder_backward(node, grad):
    first, second = binary_operands(node)
    return _reduce_pair(node, grad, -grad * (first / second).floor() if node.edges[1] is not None else None)


def _fmod_backward(node, grad):
    first, second = binary_operands(node)
    return _reduce_pair(node, grad, -grad * (first / second).trunc() if node.edges[1] is not None else None)


add = binary("add", _add_backward, doc="a + b with broadcasting.")
sub = binary("sub", _sub_backward, doc="a - b with broadcasting.")
mul = binary("mul", _mul_backward, save_inputs=True, doc="a * b with broadcasting.")
div = binary("div", _div_backward, "float", save_inputs=True, doc="a / b (true division) with broadcasting.")
pow = binary("pow", _pow_backward, save_inputs=True, save_output=True, doc="a ** b with broadcasting.")
maximum = binary("maximum", _selector_backward(lambda a, b: a < b), save_inputs=True)
minimum = binary("minimum", _selector_backward(lambda a, b: a > b), save_inputs=True)
atan2 = binary("atan2", _atan2_backward, "float", save_inputs=True)
remainder = binary("remainder", _remainder_backward, save_inputs=True)
fmod = binary("fmod", _fmod_backward, save_inputs=True)
floor_divide = binary("floor_divide", lambda node, grad: _reduce_pair(node, grad * 0, grad * 0))
eq = binary("eq", dtype_rule="bool")
ne = binary("ne", dtype_rule="bool")
lt = binary("lt", dtype_rule="bool")
le = binary("le", dtype_rule="bool")
gt = binary("gt", dtype_rule="bool")
ge = binary("ge", dtype_rule="bool")
logical_and = binary("logical_and", dtype_rule="bool")
logical_or = binary("logical_or", dtype_rule="bool")
logical_xor = binary("logical_xor", dtype_rule="bool")
bitwise_and = binary("bitwise_and")
bitwise_or = binary("bitwise_or")
bitwise_xor = binary("bitwise_xor")
bitwise_left_shift = binary("bitwise_left_shift")
bitwise_right_shift = binary("bitwise_right_shift")


# ---- where ---------------------------------------------------------------------------
def _where_backward(node, grad):
    (condition,) = node.saved_tensors
    first_shape, second_shape = node.params
    zero = grad * 0
    return (None,
            None if first_shape is None else sum_to(_where_raw(condition, grad, zero), first_shape),
            None if second_shape is None else sum_to(_where_raw(condition, zero, grad), second_shape))


_where_op = declare("where", _where_backward, dtype_rule="promote_values", doc="condition ? a : b",
                    signature="condition, x, y")


def _relu_backward_decomposition(device, grad, output):
    # where, not grad * mask: a kernel's operands share one dtype (a strict array API backend
    # refuses float * bool); zero where output <= 0, as torch's threshold_backward, so a NaN
    # output passes its gradient through
    return call(_where_op, device, call(le.op, device, output, 0), call(mul.op, device, grad, 0), grad)


_relu_backward_op = declare("relu_backward", signature="grad, output", decomposition=_relu_backward_decomposition,
                            uses=("where", "mul", "le"),
                            doc="grad, except 0 where output <= 0 (relu's first-order gradient; NaN passes)")
def _where_raw(condition, first, second):
    return where(condition, first, second)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (tensors or numbers)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): condition must be a bool Tensor, got {type(condition).__name__}")
    if condition._dtype is not dtypes.bool:
        condition = condition != 0 if condition._dtype is not dtypes.uint8 else condition.bool()
    reference = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else condition
    device = reference._device
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        dtype = promote_pair(input, other)
    elif isinstance(input, Tensor):
        dtype = _scalar_result(input._dtype, other)
    elif isinstance(other, Tensor):
        dtype = _scalar_result(other._dtype, input)
    else:
        dtype = dtypes.result_type((dtypes.scalar_dtype(input), 2), (dtypes.scalar_dtype(other), 2))
    # Python numbers become tensors of the result dtype directly (through float32 they would lose digits)
    first = cast(_as_operand(input, device, dtype), dtype)
    second = cast(_as_operand(other, device, dtype), dtype)
    shapes = (tuple(input._data.shape) if isinstance(input, Tensor) else None,
              tuple(other._data.shape) if isinstance(other, Tensor) else None)
    return apply(_where_op, (condition, first, second), save=(0,), node_params=shapes)


def _as_operand(value, device, dtype):
    if isinstance(value, Tensor):
        return value
    from ..factories import scalar_tensor
    return scalar_tensor(value, device, dtype=dtype)
