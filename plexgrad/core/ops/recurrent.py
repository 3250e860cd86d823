"""The LSTM and GRU cells' element-wise parts as fused ops, so a time step costs a few dispatched
calls instead of a dozen (measured: the per-step op count dominates small recurrent models).

``gates`` is ``(B, 4H)`` in torch's order ``(i, f, g, o)``, already summed
(``x W_ih^T + b_ih + h W_hh^T + b_hh``):

- ``lstm_cell_state(gates, cell)``:   ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``
- ``lstm_cell_output(gates, cell)``:  ``h' = sigmoid(o) * tanh(c')``  (``cell`` is ``c'`` here)

- ``gru_cell(input_gates, hidden_gates, hidden)`` for ``(B, 3H)`` gates ``(r, z, n)``
  (``x W_ih^T + b_ih`` and ``h W_hh^T + b_hh`` apart, since ``r`` gates only the hidden part
  of ``n``): ``n = tanh(x_n + r * h_n)``, ``h' = n + z * (h - n)``.

Each op has a first-order backward op (``..._backward(grad, gates, cell) -> (grad_gates,
grad_cell)``); all four are declared with decompositions into element-wise primitives,
``getitem`` and ``cat``, which are their reference.  Under ``create_graph`` (or where a
backend cannot run them) the same formulas run as Tensor ops, so they differentiate again.
"""

__all__ = ["lstm_cell_state", "lstm_cell_output", "gru_cell", "lstm_cell_state_op", "lstm_cell_output_op",
           "lstm_cell_state_backward_op", "lstm_cell_output_backward_op", "gru_cell_op", "gru_cell_backward_op"]

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


def _gru_blocks(device, gates):
    size = gates.shape[-1] // 3
    return [call(_getitem_op, device, gates, (slice(None), slice(index * size, (index + 1) * size)))
            for index in range(3)]


def _gru_activations(device, input_gates, hidden_gates):
    input_r, input_z, input_n = _gru_blocks(device, input_gates)
    hidden_r, hidden_z, hidden_n = _gru_blocks(device, hidden_gates)
    reset = call(sigmoid.op, device, call(add.op, device, input_r, hidden_r))
    update = call(sigmoid.op, device, call(add.op, device, input_z, hidden_z))
    candidate = call(tanh.op, device, call(add.op, device, input_n, call(mul.op, device, reset, hidden_n)))
    return reset, update, candidate, hidden_n


def _gru_decomposition(device, input_gates, hidden_gates, hidden):
    _, update, candidate, _ = _gru_activations(device, input_gates, hidden_gates)
    return call(add.op, device, candidate, call(mul.op, device, update, call(sub.op, device, hidden, candidate)))


def _gru_backward_decomposition(device, grad, input_gates, hidden_gates, hidden):
    reset, update, candidate, hidden_n = _gru_activations(device, input_gates, hidden_gates)
    grad_update = call(mul.op, device, call(mul.op, device, grad, call(sub.op, device, hidden, candidate)),
                       _sigmoid_slope(device, update))
    grad_candidate = call(mul.op, device, call(mul.op, device, grad, call(sub.op, device, 1.0, update)),
                          call(sub.op, device, 1.0, call(mul.op, device, candidate, candidate)))
    grad_reset = call(mul.op, device, call(mul.op, device, grad_candidate, hidden_n), _sigmoid_slope(device, reset))
    return (call(_cat_op, device, grad_reset, grad_update, grad_candidate, -1),
            call(_cat_op, device, grad_reset, grad_update, call(mul.op, device, grad_candidate, reset), -1),
            call(mul.op, device, grad, update))


def _gru_tensor_activations(input_gates, hidden_gates):
    size = hidden_gates.shape[-1] // 3
    input_r, input_z, input_n = (input_gates[:, index * size:(index + 1) * size] for index in range(3))
    hidden_r, hidden_z, hidden_n = (hidden_gates[:, index * size:(index + 1) * size] for index in range(3))
    reset, update = sigmoid(input_r + hidden_r), sigmoid(input_z + hidden_z)
    return reset, update, tanh(input_n + reset * hidden_n), hidden_n


def _gru_composite(input_gates, hidden_gates, hidden):
    _, update, candidate, _ = _gru_tensor_activations(input_gates, hidden_gates)
    return candidate + update * (hidden - candidate)


def _gru_backward_composite(grad, input_gates, hidden_gates, hidden):
    reset, update, candidate, hidden_n = _gru_tensor_activations(input_gates, hidden_gates)
    grad_update = grad * (hidden - candidate) * update * (1 - update)
    grad_candidate = grad * (1 - update) * (1 - candidate * candidate)
    grad_reset = grad_candidate * hidden_n * reset * (1 - reset)
    return (cat([grad_reset, grad_update, grad_candidate], -1),
            cat([grad_reset, grad_update, grad_candidate * reset], -1), grad * update)


def _gru_backward(node, grad):
    input_gates, hidden_gates, hidden = node.saved_tensors
    kernel = None if grad_state.enabled or grad._dtype is not hidden._dtype else runnable(gru_cell_backward_op,
                                                                                         grad._device)
    if kernel is None:  # create_graph, or a backend that cannot run the op: Tensor ops
        grads = _gru_backward_composite(grad, input_gates, hidden_gates, hidden)
    else:
        arrays = kernel(grad._data, input_gates._data, hidden_gates._data, hidden._data)
        grads = tuple(make_tensor(array, grad._dtype, grad._device) for array in arrays)
    return tuple(gradient if edge is not None else None for gradient, edge in zip(grads, node.edges))


gru_cell_backward_op = declare(
    "gru_cell_backward", signature="grad, input_gates, hidden_gates, hidden", decomposition=_gru_backward_decomposition,
    uses=_USES, doc="(grad_input_gates, grad_hidden_gates, grad_hidden) of gru_cell")
gru_cell_op = declare(
    "gru_cell", _gru_backward, node_name="GruCellBackward0", signature="input_gates, hidden_gates, hidden",
    decomposition=_gru_decomposition, uses=_USES,
    doc="n + z * (hidden - n), n = tanh(x_n + r * h_n), for (B, 3H) GRU gates (r, z, n)")


def gru_cell(input_gates, hidden_gates, hidden):
    """The GRU's new hidden state from ``(B, 3H)`` input and hidden gates ``(r, z, n)`` and ``hidden``."""
    tensors = (input_gates, hidden_gates, hidden)
    plain = (all(isinstance(t, Tensor) and t._dtype is hidden._dtype and t._device is hidden._device
                 and t._data.ndim == 2 and t._data.shape[0] == hidden._data.shape[0] for t in tensors)
             and hidden._dtype.is_floating_point and input_gates._data.shape[1] == 3 * hidden._data.shape[1]
             and hidden_gates._data.shape[1] == 3 * hidden._data.shape[1])
    kernel = runnable(gru_cell_op, hidden._device) if plain else None
    if kernel is None:
        return _gru_composite(input_gates, hidden_gates, hidden)
    output = make_tensor(kernel(input_gates._data, hidden_gates._data, hidden._data), hidden._dtype, hidden._device)
    if grad_state.enabled and any(t._requires_grad for t in tensors):
        record(gru_cell_op.rule, tensors, output, tensors)
    return output
