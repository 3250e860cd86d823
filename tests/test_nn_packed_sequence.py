"""nn.utils.rnn (PackedSequence, pack/pad helpers) and recurrent layers on packed input,
against torch, on every backend."""

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as torch_rnn

import plexgrad
import plexgrad.nn.utils.rnn as plexgrad_rnn
from jax_subset import only_subset_off_cpu
from torch_modules import assert_close, compare_module, to_plexgrad

torch.manual_seed(2)

LENGTHS = {"sorted": [5, 3, 3, 1], "unsorted": [3, 5, 1, 3]}


def _lib(module):
    return (torch, torch_rnn) if type(module).__module__.startswith("torch") else (plexgrad, plexgrad_rnn)


def _padded(batch_first, steps=5, batch=4, features=3):
    shape = (batch, steps, features) if batch_first else (steps, batch, features)
    return torch.randn(*shape, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("order", ["sorted", "unsorted"])
@pytest.mark.parametrize("lengths_as_tensor", [False, True])
def test_pack_and_pad_round_trip(device, batch_first, order, lengths_as_tensor):
    lengths = LENGTHS[order]
    enforce_sorted = order == "sorted"
    x = _padded(batch_first)
    px = to_plexgrad(x, device)
    torch_lengths = torch.tensor(lengths) if lengths_as_tensor else lengths
    plexgrad_lengths = plexgrad.tensor(lengths) if lengths_as_tensor else lengths
    torch_packed = torch_rnn.pack_padded_sequence(x, torch_lengths, batch_first, enforce_sorted)
    plexgrad_packed = plexgrad_rnn.pack_padded_sequence(px, plexgrad_lengths, batch_first, enforce_sorted)
    assert isinstance(plexgrad_packed, plexgrad_rnn.PackedSequence)
    assert plexgrad_packed.batch_sizes.device.type == "cpu"
    for name in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        assert_close(getattr(torch_packed, name), getattr(plexgrad_packed, name), what=name)
    for total_length in (None, 7):
        torch_padded = torch_rnn.pad_packed_sequence(torch_packed, batch_first, -1.5, total_length)
        plexgrad_padded = plexgrad_rnn.pad_packed_sequence(plexgrad_packed, batch_first, -1.5, total_length)
        assert_close(torch_padded, plexgrad_padded, what="pad_packed_sequence")
    weight = np.random.default_rng(0).standard_normal(tuple(torch_padded[0].shape))
    (torch_padded[0] * torch.tensor(weight)).sum().backward()
    (plexgrad_padded[0] * plexgrad.tensor(weight, device=device)).sum().backward()
    assert_close(x.grad, px.grad, what="gradient through pack and pad")


def test_pad_sequence_and_pack_sequence(device):
    sequences = [torch.randn(length, 2, dtype=torch.float64, requires_grad=True) for length in (2, 4, 1)]
    plexgrad_sequences = to_plexgrad(sequences, device)
    for batch_first in (False, True):
        for side in ("right", "left"):
            assert_close(torch_rnn.pad_sequence(sequences, batch_first, 0.5, side),
                         plexgrad_rnn.pad_sequence(plexgrad_sequences, batch_first, 0.5, side), what="pad_sequence")
    torch_packed = torch_rnn.pack_sequence(sequences, enforce_sorted=False)
    plexgrad_packed = plexgrad_rnn.pack_sequence(plexgrad_sequences, enforce_sorted=False)
    assert_close(tuple(torch_packed), tuple(plexgrad_packed), what="pack_sequence")
    assert_close(torch_rnn.unpack_sequence(torch_packed), plexgrad_rnn.unpack_sequence(plexgrad_packed))
    padded, lengths = torch_rnn.pad_packed_sequence(torch_packed, batch_first=True)
    plexgrad_padded, plexgrad_lengths = plexgrad_rnn.pad_packed_sequence(plexgrad_packed, batch_first=True)
    assert_close(torch_rnn.unpad_sequence(padded, lengths, batch_first=True),
                 plexgrad_rnn.unpad_sequence(plexgrad_padded, plexgrad_lengths, batch_first=True))
    integer = [torch.tensor([1, 2, 3]), torch.tensor([4, 5])]
    assert_close(tuple(torch_rnn.pack_sequence(integer)), tuple(plexgrad_rnn.pack_sequence(to_plexgrad(integer,
                                                                                                      device))))


def test_packed_sequence_to_and_fields(device):
    packed = plexgrad_rnn.pack_sequence([plexgrad.ones(3, 2), plexgrad.ones(1, 2)], enforce_sorted=False)
    moved = packed.to(device).double()
    assert moved.data.device.type == device and moved.data.dtype == plexgrad.float64
    assert moved.batch_sizes.device.type == "cpu"
    assert moved.sorted_indices.device.type == device
    data, batch_sizes, sorted_indices, unsorted_indices = moved
    assert batch_sizes.tolist() == [2, 1, 1] and not moved.is_cuda


CASES = [("RNN", dict()), ("LSTM", dict(num_layers=2, bidirectional=True)),
         ("LSTM", dict(proj_size=2, bidirectional=True)), ("GRU", dict(num_layers=2, bidirectional=True))]


@pytest.mark.parametrize("kind,options", CASES, ids=[f"{k}-{o}" for k, o in CASES])
@pytest.mark.parametrize("order", ["sorted", "unsorted"])
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers_on_packed_input(device, kind, options, order, with_state):
    only_subset_off_cpu(device, (CASES.index((kind, options)), order, with_state),
                        {(1, "unsorted", True), (3, "unsorted", False), (2, "sorted", True)})
    torch_module = getattr(torch.nn, kind)(3, 4, batch_first=True, **options).double()
    plexgrad_module = getattr(plexgrad.nn, kind)(3, 4, batch_first=True, dtype=plexgrad.float64, **options)
    lengths = LENGTHS[order]

    def call(module, inputs):
        lib, rnn = _lib(module)
        packed = rnn.pack_padded_sequence(inputs[0], lengths, batch_first=True, enforce_sorted=order == "sorted")
        output, hidden = module(packed, *inputs[1:])
        assert isinstance(output, rnn.PackedSequence)
        return rnn.pad_packed_sequence(output, batch_first=True)[0], hidden

    inputs = (_padded(True),)
    if with_state:
        layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
        h = torch.randn(layers, 4, options.get("proj_size") or 4, dtype=torch.float64, requires_grad=True)
        inputs += ((h, torch.randn(layers, 4, 4, dtype=torch.float64, requires_grad=True)) if kind == "LSTM" else h,)
    compare_module(torch_module, plexgrad_module, device, inputs, call=call)


@pytest.mark.parametrize("case", [
    lambda lib, rnn: rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
    lambda lib, rnn: rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 0]),
    lambda lib, rnn: rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2]),
    lambda lib, rnn: rnn.pack_padded_sequence(lib.zeros(4, 3, 2), lib.tensor([[3, 2, 1]])),
    lambda lib, rnn: rnn.pad_packed_sequence(rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 1]), total_length=2),
    lambda lib, rnn: rnn.pad_sequence([]),
    lambda lib, rnn: rnn.pad_sequence([lib.ones(2)], padding_side="middle"),
])
def test_bad_input_raises_like_torch(case):
    with pytest.raises(Exception) as torch_error:
        case(torch, torch_rnn)
    with pytest.raises(type(torch_error.value)) as plexgrad_error:
        case(plexgrad, plexgrad_rnn)
    assert str(torch_error.value).split(".")[0] in str(plexgrad_error.value)


def test_lengths_longer_than_the_input_are_refused():
    # torch packs memory past the end of the input here; plexgrad refuses.
    with pytest.raises(RuntimeError, match="larger than the padded sequence length 4"):
        plexgrad_rnn.pack_padded_sequence(plexgrad.zeros(4, 3, 2), [5, 2, 1])
    with pytest.raises(RuntimeError, match="1D CPU int64 tensor"):
        plexgrad_rnn.pack_padded_sequence(plexgrad.zeros(4, 3, 2), plexgrad.tensor([3.0, 2.0, 1.0]))
