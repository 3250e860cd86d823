"""The LSTM cell's element-wise part as two fused ops, so a time step costs a few dispatched
calls instead of a dozen (measured: the per-step op count dominates small recurrent models).

``gates`` is ``(B, 4H)`` in torch's order ``(i, f, g, o)``, already summed
(``x W_ih^T + b_ih + h W_hh^T + b_hh``):

- ``lstm_cell_state(gates, cell)``:   ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``
- ``lstm_cell_output(gates, cell)``:  ``h' = sigmoid(o) * tanh(c')``  (``cell`` is ``c'`` here)

Each op has a first-order backward op (``..._backward(grad, gates, cell) -> (grad_gates,
grad_cell)``); all four are declared with decompositions into element-wise primitives,
``getitem`` and ``cat``, which are their reference.  Under ``create_graph`` (or where a
backend cannot run them) the same formulas run as Tensor ops, so they differentiate again.
"""

__all__ = ["lstm_cell_state", "lstm_cell_output", "lstm_cell_state_op", "lstm_cell_output_op",
           "lstm_cell_state_backward_op", "lstm_cell_output_backward_op"]

from ..autograd.grad_mode import state as grad_state
from ..dispatch import call, runnable
from ..op import declare, record
from ..tensor import Tensor, make_tensor
from .elementwise import add, mul, sigmoid, sub, tanh
from .indexing import _getitem_op
from .shape import _cat_op, cat

_USES = ("sigmoid", "tanh", "mul", "add", "sub", "getitem", "cat")


def _blocks(device, gates):
    """The four ``(B, H)`` gate blocks of ``(B, 4H)`` gates, through the seam."""
    size = gates.shape[-1] // 4
    return [call(_getitem_op, device, gates, (slice(None), slice(index * size, (index + 1) * size)))
            for index in range(4)]


def _state_decomposition(device, gates, cell):
    input_gate, forget_gate, candidate, _ = _blocks(device, gates)
    return call(add.op, device, call(mul.op, device, call(sigmoid.op, device, forget_gate), cell),
                call(mul.op, device, call(sigmoid.op, device, input_gate), call(tanh.op, device, candidate)))


def _output_decomposition(device, gates, cell):
    output_gate = _blocks(device, gates)[3]
    return call(mul.op, device, call(sigmoid.op, device, output_gate), call(tanh.op, device, cell))


def _sigmoid_slope(device, activated):
    return call(mul.op, device, activated, call(sub.op, device, 1.0, activated))


def _state_backward_decomposition(device, grad, gates, cell):
    input_gate, forget_gate, candidate, _ = _blocks(device, gates)
    i, f, g = (call(sigmoid.op, device, input_gate), call(sigmoid.op, device, forget_gate),
               call(tanh.op, device, candidate))
    grad_i = call(mul.op, device, call(mul.op, device, grad, g), _sigmoid_slope(device, i))
    grad_f = call(mul.op, device, call(mul.op, device, grad, cell), _sigmoid_slope(device, f))
    grad_g = call(mul.op, device, call(mul.op, device, grad, i), call(sub.op, device, 1.0, call(mul.op, device, g, g)))
    zero = call(mul.op, device, grad, 0.0)
    return call(_cat_op, device, grad_i, grad_f, grad_g, zero, -1), call(mul.op, device, grad, f)


def _output_backward_decomposition(device, grad, gates, cell):
    o = call(sigmoid.op, device, _blocks(device, gates)[3])
    activated_cell = call(tanh.op, device, cell)
    grad_o = call(mul.op, device, call(mul.op, device, grad, activated_cell), _sigmoid_slope(device, o))
    zero = call(mul.op, device, grad, 0.0)
    grad_cell = call(mul.op, device, call(mul.op, device, grad, o),
                     call(sub.op, device, 1.0, call(mul.op, device, activated_cell, activated_cell)))
    return call(_cat_op, device, zero, zero, zero, grad_o, -1), grad_cell


def _tensor_blocks(gates):
    size = gates.shape[-1] // 4
    return [gates[:, index * size:(index + 1) * size] for index in range(4)]


def _state_composite(gates, cell):
    input_gate, forget_gate, candidate, _ = _tensor_blocks(gates)
    return sigmoid(forget_gate) * cell + sigmoid(input_gate) * tanh(candidate)


def _output_composite(gates, cell):
    return sigmoid(_tensor_blocks(gates)[3]) * tanh(cell)


def _state_backward_composite(grad, gates, cell):
    input_gate, forget_gate, candidate, _ = _tensor_blocks(gates)
    i, f, g = sigmoid(input_gate), sigmoid(forget_gate), tanh(candidate)
    grad_gates = cat([grad * g * i * (1 - i), grad * cell * f * (1 - f), grad * i * (1 - g * g), grad * 0], -1)
    return grad_gates, grad * f


def _output_backward_composite(grad, gates, cell):
    o = sigmoid(_tensor_blocks(gates)[3])
    activated_cell = tanh(cell)
    zero = grad * 0
    return cat([zero, zero, zero, grad * activated_cell * o * (1 - o)], -1), grad * o * (1 - activated_cell ** 2)


def _backward_rule(backward_op, composite):
    def backward(node, grad):
        gates, cell = node.saved_tensors
        need_gates, need_cell = node.edges[0] is not None, node.edges[1] is not None
        kernel = None if grad_state.enabled or grad._dtype is not gates._dtype else runnable(backward_op, grad._device)
        if kernel is None:  # create_graph, or a backend that cannot run the op: Tensor ops
            grad_gates, grad_cell = composite(grad, gates, cell)
        else:
            arrays = kernel(grad._data, gates._data, cell._data)
            grad_gates, grad_cell = (make_tensor(array, grad._dtype, grad._device) for array in arrays)
        return (grad_gates if need_gates else None, grad_cell if need_cell else None)
    return backward


lstm_cell_state_backward_op = declare(
    "lstm_cell_state_backward", signature="grad, gates, cell", decomposition=_state_backward_decomposition,
    uses=_USES, doc="(grad_gates, grad_cell) of lstm_cell_state")
lstm_cell_output_backward_op = declare(
    "lstm_cell_output_backward", signature="grad, gates, cell", decomposition=_output_backward_decomposition,
    uses=_USES, doc="(grad_gates, grad_cell) of lstm_cell_output")
lstm_cell_state_op = declare(
    "lstm_cell_state", _backward_rule(lstm_cell_state_backward_op, _state_backward_composite),
    node_name="LstmCellStateBackward0", signature="gates, cell", decomposition=_state_decomposition, uses=_USES,
    doc="sigmoid(f) * cell + sigmoid(i) * tanh(g) for (B, 4H) LSTM gates (i, f, g, o)")
lstm_cell_output_op = declare(
    "lstm_cell_output", _backward_rule(lstm_cell_output_backward_op, _output_backward_composite),
    node_name="LstmCellOutputBackward0", signature="gates, cell", decomposition=_output_decomposition, uses=_USES,
    doc="sigmoid(o) * tanh(cell) for (B, 4H) LSTM gates (i, f, g, o) and the new cell state")


def _fused(op, composite, gates, cell):
    plain = (isinstance(gates, Tensor) and isinstance(cell, Tensor) and gates._dtype is cell._dtype
             and gates._dtype.is_floating_point and gates._device is cell._device and gates._data.ndim == 2
             and cell._data.ndim == 2 and gates._data.shape[1] == 4 * cell._data.shape[1]
             and gates._data.shape[0] == cell._data.shape[0])
    kernel = runnable(op, gates._device) if plain else None
    if kernel is None:
        return composite(gates, cell)
    output = make_tensor(kernel(gates._data, cell._data), gates._dtype, gates._device)
    if grad_state.enabled and (gates._requires_grad or cell._requires_grad):
        record(op.rule, (gates, cell), output, (gates, cell))
    return output


def lstm_cell_state(gates, cell):
    """The LSTM's new cell state ``sigmoid(f) * cell + sigmoid(i) * tanh(g)`` from ``(B, 4H)`` gates."""
    return _fused(lstm_cell_state_op, _state_composite, gates, cell)


def lstm_cell_output(gates, cell):
    """The LSTM's new hidden state ``sigmoid(o) * tanh(cell)`` from ``(B, 4H)`` gates and the new cell."""
    return _fused(lstm_cell_output_op, _output_composite, gates, cell)
