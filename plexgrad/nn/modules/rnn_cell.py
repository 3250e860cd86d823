"""Single-step recurrent cells ``RNNCell``, ``LSTMCell`` and ``GRUCell``, as torch's.

Parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` with torch's shapes and
initialisation; batched ``(N, input_size)`` or unbatched ``(input_size,)`` input.
"""

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

import math

from ...core.factories import empty, zeros
from ...core.ops.linear import linear
from .. import init
from ..parameter import Parameter
from .module import Module
from .rnn_steps import STEPS


class RNNCellBase(Module):
    """The parameters and checks every cell shares (``num_chunks`` gate blocks of ``hidden_size``)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``, as torch."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _prepare(self, input, states, name):
        """Batch the input and states; check their sizes with torch's messages."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for state in states:
            if state is not None and state.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {state.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        prepared = []
        for index, state in enumerate(states):
            if state is None:
                state = zeros((input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device)
            elif not is_batched:
                state = state.unsqueeze(0)
            if state.dim() != 2 or state.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{index} batch size "
                                   f"{state.shape[0]}")
            if state.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{index} has inconsistent hidden_size: got {state.shape[1]}, "
                                   f"expected {self.hidden_size}")
            prepared.append(state)
        return input, tuple(prepared), is_batched

    def _step(self, mode, input, states):
        gates = linear(input, self.weight_ih, self.bias_ih)
        return STEPS[mode](gates, states, self.weight_hh, self.bias_hh)[1]


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (``nonlinearity='relu'`` for ReLU)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, states, is_batched = self._prepare(input, (hx,), "RNNCell")
        hidden = self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, states)[0]
        return hidden if is_batched else hidden.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``h', c' = cell(x, (h, c))`` (gates ``i, f, g, o`` as in torch)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
        input, states, is_batched = self._prepare(input, (None, None) if hx is None else tuple(hx), "LSTMCell")
        hidden, cell = self._step("LSTM", input, states)
        return (hidden, cell) if is_batched else (hidden.squeeze(0), cell.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = cell(x, h)`` (gates ``r, z, n`` as in torch)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, states, is_batched = self._prepare(input, (hx,), "GRUCell")
        hidden = self._step("GRU", input, states)[0]
        return hidden if is_batched else hidden.squeeze(0)
