"""The math of the recurrent layers, in Tensor ops: one step of each cell, and one
layer run over a whole (possibly packed) sequence.

Everything here is composed of declared ops (``linear``, ``tanh``, slicing, ``cat`` and
the core's fused cell ops ``lstm_cell_state``/``lstm_cell_output``/``gru_cell``, which a
backend without them runs by decomposition), so it runs on every backend and autograd
needs no extra rule.
Per layer, the input projection ``x @ W_ih.T + b_ih`` of every time step is one
``linear`` call; only the recurrent part ``h @ W_hh.T + b_hh`` and the gates run per
step.  Gate layouts follow torch's weights: LSTM ``(i, f, g, o)``, GRU ``(r, z, n)``.
"""

__all__ = ["rnn_tanh_step", "rnn_relu_step", "lstm_step", "gru_step", "STEPS", "run_layer", "run_stack"]

from ...core.ops.elementwise import relu, tanh
from ...core.ops.linear import linear
from ...core.ops.recurrent import gru_cell, lstm_cell_output, lstm_cell_state
from ...core.ops.shape import cat, stack
from ..functional.dropout import dropout


def rnn_tanh_step(input_gates, state, weight_hh, bias_hh, weight_hr=None):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``; ``input_gates`` is the input part."""
    hidden = tanh(input_gates + linear(state[0], weight_hh, bias_hh))
    return hidden, (hidden,)


def rnn_relu_step(input_gates, state, weight_hh, bias_hh, weight_hr=None):
    """``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    hidden = relu(input_gates + linear(state[0], weight_hh, bias_hh))
    return hidden, (hidden,)


def lstm_step(input_gates, state, weight_hh, bias_hh, weight_hr=None):
    """One LSTM step: ``state = (h, c)``; with ``weight_hr`` (proj_size) ``h' = (o * tanh(c')) W_hr^T``.

    The gates' element-wise part runs as the core's two fused ops (``lstm_cell_state``,
    ``lstm_cell_output``): a step is four dispatched ops instead of a dozen.
    """
    hidden, cell = state
    gates = input_gates + linear(hidden, weight_hh, bias_hh)
    cell = lstm_cell_state(gates, cell)
    hidden = lstm_cell_output(gates, cell)
    if weight_hr is not None:
        hidden = linear(hidden, weight_hr)
    return hidden, (hidden, cell)


def gru_step(input_gates, state, weight_hh, bias_hh, weight_hr=None):
    """One GRU step: ``n = tanh(x_n + r * (h W_hn^T + b_hn))``, ``h' = (1 - z) * n + z * h``.

    The gates' element-wise part is the core's fused ``gru_cell`` op.
    """
    hidden = gru_cell(input_gates, linear(state[0], weight_hh, bias_hh), state[0])
    return hidden, (hidden,)


STEPS = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "LSTM": lstm_step, "GRU": gru_step}
"""torch's mode names -> the step function of that cell."""


def _rows(state, count):
    return tuple(part[:count] for part in state)


def _forward_direction(step, input_gates, batch_sizes, state, weights):
    """Run forward in time over packed rows; return (output rows, final state per batch row)."""
    outputs = []
    finished = []  # final states of sequences that ended, latest-ending first
    offset = 0
    active = batch_sizes[0]
    for size in batch_sizes:
        if size < active:
            finished.append(tuple(part[size:active] for part in state))
            state = _rows(state, size)
            active = size
        output, state = step(input_gates[offset:offset + size], state, *weights)
        outputs.append(output)
        offset += size
    finished.append(state)
    if len(finished) == 1:
        final = state
    else:
        # Rows were dropped from the end as sequences finished: put them back in batch order.
        final = tuple(cat([pieces[index] for pieces in reversed(finished)], 0) for index in range(len(state)))
    return outputs, final


def _reverse_direction(step, input_gates, batch_sizes, initial, weights):
    """Run backward in time over packed rows: sequences join as the walk reaches their last step."""
    offsets = []
    offset = 0
    for size in batch_sizes:
        offsets.append(offset)
        offset += size
    outputs = [None] * len(batch_sizes)
    active = batch_sizes[-1]
    state = _rows(initial, active)
    for time in range(len(batch_sizes) - 1, -1, -1):
        size = batch_sizes[time]
        if size > active:
            state = tuple(cat([part, start[active:size]], 0) for part, start in zip(state, initial))
            active = size
        output, state = step(input_gates[offsets[time]:offsets[time] + size], state, *weights)
        outputs[time] = output
    return outputs, state


def run_layer(step, rows, batch_sizes, state, weight_ih, bias_ih, weights, reverse):
    """One direction of one layer over packed ``rows`` (``sum(batch_sizes)`` rows, time-major).

    ``batch_sizes`` is a list of ints (how many sequences are active at each step, non-increasing);
    ``state`` a tuple of ``(batch, size)`` tensors; ``weights`` is ``(weight_hh, bias_hh, weight_hr)``.
    Returns the output rows (same row order as ``rows``) and the final state.
    """
    input_gates = linear(rows, weight_ih, bias_ih)
    direction = _reverse_direction if reverse else _forward_direction
    outputs, final = direction(step, input_gates, batch_sizes, state, weights)
    return (outputs[0] if len(outputs) == 1 else cat(outputs, 0)), final


def run_stack(mode, rows, batch_sizes, initial_states, layer_weights, num_layers, num_directions, dropout_p,
              training):
    """Every layer and direction of a recurrent module over packed ``rows``.

    ``initial_states`` is a tuple of ``(num_layers * num_directions, batch, size)`` tensors;
    ``layer_weights[layer * num_directions + direction]`` is ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` (biases and
    ``w_hr`` may be None).  Dropout is applied to the output of every layer but the last, as torch does.
    Returns the last layer's output rows and the stacked final states.
    """
    step = STEPS[mode]
    finals = [[] for _ in initial_states]
    for layer in range(num_layers):
        outputs = []
        for direction in range(num_directions):
            index = layer * num_directions + direction
            weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = layer_weights[index]
            state = tuple(initial[index] for initial in initial_states)
            output, final = run_layer(step, rows, batch_sizes, state, weight_ih, bias_ih,
                                      (weight_hh, bias_hh, weight_hr), reverse=direction == 1)
            outputs.append(output)
            for collected, part in zip(finals, final):
                collected.append(part)
        rows = outputs[0] if num_directions == 1 else cat(outputs, -1)
        if dropout_p and training and layer < num_layers - 1:
            rows = dropout(rows, dropout_p, True)
    return rows, tuple(stack(collected, 0) for collected in finals)
