"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU``, as torch's: multi-layer, bidirectional,
``batch_first``, dropout between layers, initial states, unbatched input and packed sequences.

Parameters carry torch's names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0``...)
and initialisation (``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``), so a torch state dict
loads unchanged.  The math is in ``rnn_steps`` (Tensor ops on every backend).
"""

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

import math
import numbers
import warnings

from ...core.factories import empty, zeros
from ...core.tensor import Tensor
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module
from .rnn_steps import run_stack

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_DISPLAY = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _check_type(value, kind, name):
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` is torch's mode name)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        _check_type(bias, bool, "bias")
        _check_type(batch_first, bool, "batch_first")
        _check_type(input_size, int, "input_size")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _check_type(hidden_size, int, "hidden_size")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input_size)), ("weight_hh", (gate_size, real_hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``, as torch."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self):
        """Accepted for torch compatibility (cuDNN weight packing); the weights need no flattening here."""

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters per layer and direction: ``[[w_ih, w_hh, b_ih, b_hh(, w_hr)], ...]``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _layer_weights(self):
        """Per layer and direction ``(w_ih, w_hh, b_ih, b_hh, w_hr)``, with None for absent ones."""
        result = []
        for layer in range(self.num_layers):
            for suffix in (("", "_reverse") if self.bidirectional else ("",)):
                result.append(tuple(getattr(self, f"{stem}_l{layer}{suffix}", None)
                                    for stem in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")))
        return result

    def _state_sizes(self):
        """Sizes of the hidden state tensors: ``(h,)``, or ``(h, c)`` for an LSTM."""
        return (self.proj_size or self.hidden_size,)

    def _check_input(self, input, packed):
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                             f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        expected_dim = 2 if packed else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def _check_hidden(self, states, batch):
        layers = self.num_layers * (2 if self.bidirectional else 1)
        sizes = self._state_sizes()
        for position, (state, size) in enumerate(zip(states, sizes)):
            expected = (layers, batch, size)
            if tuple(state.shape) != expected:
                label = "hidden" if len(sizes) == 1 else f"hidden[{position}]"
                raise RuntimeError(f"Expected {label} size {expected}, got {list(state.shape)}")

    def _hidden_tuple(self, hx):
        """The caller's ``hx`` as a tuple of tensors (an LSTM takes ``(h_0, c_0)``)."""
        if len(self._state_sizes()) == 1:
            if not isinstance(hx, Tensor):
                raise TypeError(f"{_DISPLAY[self.mode]}: hx must be a tensor, got {type(hx).__name__}")
            return (hx,)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}")
        return tuple(hx)

    def _hidden_dim_message(self, states, expected_dim, kind):
        if len(states) == 1:
            return (f"For {kind} input, hx should also be {expected_dim}-D but got {states[0].dim()}-D tensor")
        return (f"For {kind} input, hx and cx should also be {expected_dim}-D but got "
                f"({states[0].dim()}-D, {states[1].dim()}-D) tensors")

    def forward(self, input, hx=None):
        num_directions = 2 if self.bidirectional else 1
        states = None if hx is None else self._hidden_tuple(hx)
        packed = isinstance(input, PackedSequence)
        is_batched = True
        if packed:
            rows, batch_sizes_tensor, sorted_indices, unsorted_indices = input
            self._check_input(rows, True)
            batch_sizes = batch_sizes_tensor.tolist()
            batch = batch_sizes[0]
            if states is not None:
                states = tuple(state.index_select(1, sorted_indices) for state in states) \
                    if sorted_indices is not None else states
        else:
            if input.dim() not in (2, 3):
                suffix = " instead" if self.mode == "LSTM" else " tensor instead"
                raise ValueError(f"{_DISPLAY[self.mode]}: Expected input to be 2D or 3D, got {input.dim()}D{suffix}")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
                if states is not None:
                    if any(state.dim() != 2 for state in states):
                        raise RuntimeError(self._hidden_dim_message(states, 2, "unbatched 2-D"))
                    states = tuple(state.unsqueeze(1) for state in states)
            elif states is not None and any(state.dim() != 3 for state in states):
                raise RuntimeError(self._hidden_dim_message(states, 3, "batched 3-D"))
            self._check_input(input, False)
            if self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            if steps == 0:
                raise RuntimeError(f"Expected sequence length to be larger than 0 in {_DISPLAY[self.mode]}")
            rows = input.reshape(steps * batch, self.input_size)
            batch_sizes = [batch] * steps
        if states is None:
            states = tuple(zeros((self.num_layers * num_directions, batch, size), dtype=rows.dtype,
                                 device=rows.device) for size in self._state_sizes())
        self._check_hidden(states, batch)
        output, final = run_stack(self.mode, rows, batch_sizes, states, self._layer_weights(), self.num_layers,
                                  num_directions, self.dropout, self.training)
        if packed:
            if unsorted_indices is not None:
                final = tuple(state.index_select(1, unsorted_indices) for state in final)
            output = PackedSequence(output, batch_sizes_tensor, sorted_indices, unsorted_indices)
        else:
            output = output.reshape(steps, batch, output.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if not is_batched:
                output = output.squeeze(0 if self.batch_first else 1)
                final = tuple(state.squeeze(1) for state in final)
        return output, (final if len(final) == 2 else final[0])

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (``nonlinearity='relu'`` for ReLU).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; ``output, h_n = rnn(input, h_0)``.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: ``output, (h_n, c_n) = lstm(input, (h_0, c_0))``.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0)``; with ``proj_size > 0`` the hidden state is projected to
    that size by ``weight_hr_l{k}``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def _state_sizes(self):
        return (self.proj_size or self.hidden_size, self.hidden_size)


class GRU(RNNBase):
    """Gated recurrent unit: ``output, h_n = gru(input, h_0)`` (gates ``r, z, n`` as in torch)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)
