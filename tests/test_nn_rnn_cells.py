"""nn.RNNCell / LSTMCell / GRUCell against torch with copied weights, on every backend."""

import pytest
import torch

import plexgrad
from jax_subset import only_subset_off_cpu
from torch_modules import compare_module

torch.manual_seed(1)

CELLS = [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu")), ("RNNCell", dict(bias=False)),
         ("LSTMCell", dict()), ("LSTMCell", dict(bias=False)), ("GRUCell", dict()), ("GRUCell", dict(bias=False))]


def _cells(kind, options):
    return (getattr(torch.nn, kind)(4, 5, **options).double(),
            getattr(plexgrad.nn, kind)(4, 5, dtype=plexgrad.float64, **options))


def _state(kind, *shape):
    h = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    if kind == "LSTMCell":
        return (h, torch.randn(*shape, dtype=torch.float64, requires_grad=True))
    return h


def _unrolled(module, inputs):
    """Run the cell over a sequence, as the cell examples do (the state threads through steps)."""
    sequence, state = inputs
    outputs = []
    for step in range(sequence.shape[0]):
        state = module(sequence[step], state)
        outputs.append(state)
    return outputs


@pytest.mark.parametrize("kind,options", CELLS, ids=[f"{k}-{o}" for k, o in CELLS])
def test_cell_matches_torch(device, kind, options):
    only_subset_off_cpu(device, CELLS.index((kind, options)), {1, 3, 5})
    torch_cell, plexgrad_cell = _cells(kind, options)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    compare_module(torch_cell, plexgrad_cell, device, (x, _state(kind, 3, 5)))
    compare_module(torch_cell, plexgrad_cell, device, (x,))
    unbatched = torch.randn(4, dtype=torch.float64, requires_grad=True)
    compare_module(torch_cell, plexgrad_cell, device, (unbatched, _state(kind, 5)))
    compare_module(torch_cell, plexgrad_cell, device, (unbatched,))
    sequence = torch.randn(6, 2, 4, dtype=torch.float64, requires_grad=True)
    compare_module(torch_cell, plexgrad_cell, device, (sequence, _state(kind, 2, 5)), call=_unrolled)


def test_cell_names_init_and_repr():
    for kind, options in CELLS:
        torch_cell, plexgrad_cell = _cells(kind, options)
        assert [(n, tuple(p.shape)) for n, p in plexgrad_cell.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in torch_cell.named_parameters()]
        assert repr(plexgrad_cell) == repr(torch_cell)
        bound = 1 / 5 ** 0.5
        assert all(float(p.abs().max()) <= bound for p in plexgrad_cell.parameters())


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.LSTMCell(4, 3)(lib.randn(2, 5)),
    lambda lib: lib.nn.LSTMCell(4, 3)(lib.randn(2, 4), (lib.randn(3, 3), lib.randn(3, 3))),
    lambda lib: lib.nn.LSTMCell(4, 3)(lib.randn(2, 4), (lib.randn(2, 2), lib.randn(2, 3))),
    lambda lib: lib.nn.GRUCell(4, 3)(lib.randn(2, 4), lib.randn(2, 4)),
    lambda lib: lib.nn.GRUCell(4, 3)(lib.randn(2, 4, 1)),
    lambda lib: lib.nn.RNNCell(4, 3)(lib.randn(2, 4), lib.randn(2, 3, 1)),
    lambda lib: lib.nn.RNNCell(4, 3, nonlinearity="gelu")(lib.randn(4)),
])
def test_cell_bad_input_raises_like_torch(case):
    with pytest.raises(Exception) as torch_error:
        case(torch)
    with pytest.raises(type(torch_error.value)) as plexgrad_error:
        case(plexgrad)
    assert str(plexgrad_error.value) == str(torch_error.value)
