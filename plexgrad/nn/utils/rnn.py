"""Packed and padded variable-length sequences, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds the time steps of a batch of sequences sorted by decreasing
length, step after step: ``data`` has ``sum(lengths)`` rows and ``batch_sizes[t]`` says
how many sequences are still running at step ``t``.  The recurrent layers accept it and
skip the padding.  Packing and unpacking are slicing and ``cat``/``stack`` of Tensor
ops, so they run on every backend and gradients flow through them.

    >>> packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    >>> output, hidden = lstm(packed)
    >>> output, lengths = pad_packed_sequence(output, batch_first=True)
"""

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

from collections import namedtuple

from ...core import dtypes
from ...core.tensor import Tensor
from ...core.factories import tensor as _tensor
from ...core.ops.shape import cat, stack
from ...core.ops.sorting import argsort

_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    return argsort(permutation, stable=True)


class PackedSequence(_PackedSequenceBase):
    """The data and per-step batch sizes of a packed batch of sequences (see the module docstring).

    Build one with ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand.
    ``batch_sizes`` is an int64 tensor on the CPU, as in torch; ``sorted_indices`` maps the
    packed order to the caller's batch order and ``unsorted_indices`` back.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            # torch accepts the four fields as one tuple in ``data`` (what its own methods pass).
            data, batch_sizes, sorted_indices, unsorted_indices = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes.device.type != "cpu":
            raise ValueError("PackedSequence: batch_sizes should always be on CPU; pass batch_sizes.cpu()")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """Move or cast ``data`` (and the index tensors to ``data``'s device); ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices = None if self.sorted_indices is None else self.sorted_indices.to(data.device)
        unsorted_indices = None if self.unsorted_indices is None else self.unsorted_indices.to(data.device)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, *args, **kwargs):
        return self.to("cuda" if not args else args[0])

    def double(self):
        return self.to(dtypes.float64)

    def float(self):
        return self.to(dtypes.float32)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    @property
    def is_cuda(self):
        return self.data.device.type == "cuda"

    def is_pinned(self):
        return False


# torch's messages name dtypes by their legacy tensor type names.
_TORCH_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                     "bool": "Bool", "float16": "Half", "float32": "Float", "float64": "Double"}


def _lengths_list(lengths, batch_size, steps):
    """``lengths`` (list or 1-D CPU integer tensor) as a list of ints, checked as torch checks it."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1 or lengths.device.type != "cpu" or lengths.dtype.is_floating_point:
            kind = _TORCH_TYPE_NAMES.get(lengths.dtype.name, lengths.dtype.name)
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device} {kind} tensor; pass lengths.cpu() or a list of ints")
        values = lengths.tolist()
    else:
        values = [int(length) for length in lengths]
    if len(values) != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
                           f"(batch_size={batch_size})")
    if values and min(values) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if values and max(values) > steps:
        # torch reads past the end of the input here; refuse instead of packing garbage.
        raise RuntimeError(f"pack_padded_sequence: a length ({max(values)}) is larger than the padded sequence "
                           f"length {steps}; lengths must be at most the input's time dimension")
    return values


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (or ``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``.

    With ``enforce_sorted=True`` the lengths must be in decreasing order; with False the batch is
    sorted here and the order is remembered (``sorted_indices``) so ``pad_packed_sequence`` and the
    recurrent layers give results in the caller's order.
    """
    batch_dim = 0 if batch_first else 1
    if input.dim() < 2:
        raise RuntimeError(f"pack_padded_sequence: input must have at least 2 dimensions (time and batch), "
                           f"got {input.dim()}")
    values = _lengths_list(lengths, input.shape[batch_dim], input.shape[1 - batch_dim])
    sorted_indices = None
    if enforce_sorted:
        if any(earlier < later for earlier, later in zip(values, values[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
    else:
        order = sorted(range(len(values)), key=lambda index: -values[index])  # stable, as torch's sort here
        values = [values[index] for index in order]
        sorted_indices = _tensor(order, dtype=dtypes.int64, device=input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = [sum(1 for length in values if length > step) for step in range(values[0])] if values else []
    data = cat([input[step, :size] for step, size in enumerate(batch_sizes)], 0)
    return PackedSequence(data, _tensor(batch_sizes, dtype=dtypes.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: return ``(padded, lengths)`` in the caller's batch order.

    ``total_length`` pads the time dimension to that length (at least the longest sequence).
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes.tolist()
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
    else:
        total_length = steps
    batch = batch_sizes[0] if batch_sizes else 0
    feature_shape = tuple(data.shape[1:])
    frames = []
    offset = 0
    for size in batch_sizes:
        rows = data[offset:offset + size]
        if size < batch:
            rows = cat([rows, data.new_full((batch - size,) + feature_shape, padding_value)], 0)
        frames.append(rows)
        offset += size
    for _ in range(total_length - steps):
        frames.append(data.new_full((batch,) + feature_shape, padding_value))
    padded = stack(frames, 0)
    lengths = [sum(1 for size in batch_sizes if size > index) for index in range(batch)]
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        order = sequence.unsorted_indices.tolist()
        lengths = [lengths[index] for index in order]
    return padded, _tensor(lengths, dtype=dtypes.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with ``batch_first``).

    ``padding_side='left'`` puts the padding before each sequence.
    """
    if padding_side not in ("right", "left"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(sequence.shape[0] for sequence in sequences)
    trailing = tuple(sequences[0].shape[1:])
    padded = []
    for sequence in sequences:
        if tuple(sequence.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing shape {list(trailing)} of "
                               f"the first, but got {list(sequence.shape)}")
        missing = longest - sequence.shape[0]
        if missing:
            filler = sequence.new_full((missing,) + trailing, padding_value)
            sequence = cat([sequence, filler] if padding_side == "right" else [filler, sequence], 0)
        padded.append(sequence)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors of the given ``lengths``."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    values = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [sequence[:length] for sequence, length in zip(padded_sequences.unbind(0), values)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors of shapes ``(L_i, *)`` (decreasing lengths unless ``enforce_sorted=False``)."""
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors that ``pack_sequence`` packed (in the original order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
