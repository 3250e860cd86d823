"""nn.RNN / LSTM / GRU against torch with copied weights, on every backend: forward, the
gradients of inputs, initial states and every parameter, and a few SGD steps."""

import warnings

import numpy as np
import pytest
import torch

import plexgrad
from jax_subset import only_subset_off_cpu
from torch_modules import compare_module, to_plexgrad

torch.manual_seed(0)

CONFIGS = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(bidirectional=True, batch_first=True)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, num_layers=2, batch_first=True)),
    ("LSTM", dict(proj_size=3, bidirectional=True, bias=False)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=3, bidirectional=True, batch_first=True)),
    ("GRU", dict(bias=False, num_layers=2)),
]


def _modules(kind, options):
    torch_module = getattr(torch.nn, kind)(4, 5, **options).double()
    plexgrad_module = getattr(plexgrad.nn, kind)(4, 5, dtype=plexgrad.float64, **options)
    return torch_module, plexgrad_module


def _initial_state(kind, options, batch, unbatched=False):
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    hidden = options.get("proj_size") or 5
    shape = (layers, hidden) if unbatched else (layers, batch, hidden)
    h = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    if kind != "LSTM":
        return h
    c_shape = (layers, 5) if unbatched else (layers, batch, 5)
    return (h, torch.randn(*c_shape, dtype=torch.float64, requires_grad=True))


@pytest.mark.parametrize("kind,options", CONFIGS, ids=[f"{k}-{'-'.join(map(str, o.items()))}" for k, o in CONFIGS])
def test_matches_torch_with_initial_state(device, kind, options):
    only_subset_off_cpu(device, CONFIGS.index((kind, options)), {1, 5, 8})
    torch_module, plexgrad_module = _modules(kind, options)
    shape = (3, 6, 4) if options.get("batch_first") else (6, 3, 4)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    compare_module(torch_module, plexgrad_module, device, (x, _initial_state(kind, options, 3)))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_matches_torch_without_state_and_unbatched(device, kind):
    only_subset_off_cpu(device, kind, {"LSTM"})
    options = dict(num_layers=2, bidirectional=True)
    torch_module, plexgrad_module = _modules(kind, options)
    x = torch.randn(6, 3, 4, dtype=torch.float64, requires_grad=True)
    compare_module(torch_module, plexgrad_module, device, (x,))
    torch_module, plexgrad_module = _modules(kind, dict(options, batch_first=True))
    x = torch.randn(7, 4, dtype=torch.float64, requires_grad=True)  # unbatched: (L, H_in)
    compare_module(torch_module, plexgrad_module, device, (x, _initial_state(kind, options, 1, unbatched=True)))
    compare_module(torch_module, plexgrad_module, device, (x,))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers(device, kind):
    only_subset_off_cpu(device, kind, {"GRU"})
    # p=1 zeroes every layer's input but the first: the result is deterministic and must equal torch's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_module, plexgrad_module = _modules(kind, dict(num_layers=2, dropout=1.0))
    x = torch.randn(5, 2, 4, dtype=torch.float64, requires_grad=True)
    compare_module(torch_module, plexgrad_module, device, (x,))
    # p=0.5 in training changes the result and is random; in eval mode it is the plain stack.
    torch_module, plexgrad_module = _modules(kind, dict(num_layers=2, dropout=0.5))
    from torch_modules import copy_state
    copy_state(torch_module, plexgrad_module, device)
    px = to_plexgrad(x, device, False)
    first, second = plexgrad_module(px)[0], plexgrad_module(px)[0]
    assert not np.allclose(first.detach().cpu().numpy(), second.detach().cpu().numpy())
    torch_module.eval()
    plexgrad_module.eval()
    np.testing.assert_allclose(plexgrad_module(px)[0].detach().cpu().numpy(), torch_module(x)[0].detach().numpy(),
                               rtol=1e-7, atol=1e-9)
    assert repr(plexgrad_module) == repr(torch_module)


def test_parameter_names_shapes_and_init():
    for kind, options in CONFIGS:
        torch_module, plexgrad_module = _modules(kind, options)
        torch_shapes = [(name, tuple(p.shape)) for name, p in torch_module.named_parameters()]
        assert [(name, tuple(p.shape)) for name, p in plexgrad_module.named_parameters()] == torch_shapes
        assert plexgrad_module._flat_weights_names == torch_module._flat_weights_names
        assert [[tuple(w.shape) for w in ws] for ws in plexgrad_module.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in torch_module.all_weights]
        assert repr(plexgrad_module).replace("plexgrad.", "") == repr(torch_module).replace("torch.", "")
    big = plexgrad.nn.LSTM(10, 400)
    values = np.concatenate([p.detach().numpy().ravel() for p in big.parameters()])
    bound = 1 / np.sqrt(400)
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.95 * bound and values.max() > 0.95 * bound  # uniform over the whole range
    assert abs(values.mean()) < 0.01 * bound * 10
    big.flatten_parameters()


def _raises_like_torch(torch_call, plexgrad_call):
    with pytest.raises(Exception) as torch_error:
        torch_call()
    with pytest.raises(type(torch_error.value)) as plexgrad_error:
        plexgrad_call()
    return str(torch_error.value), str(plexgrad_error.value)


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.RNN(4, 3, 2)(lib.randn(5, 2, 4), lib.randn(1, 2, 3)),
    lambda lib: lib.nn.RNN(4, 3)(lib.randn(5, 2, 5)),
    lambda lib: lib.nn.RNN(4, 3)(lib.randn(5, 2, 4, dtype=lib.float64)),
    lambda lib: lib.nn.RNN(4, 3)(lib.randn(5, 2, 4, 1)),
    lambda lib: lib.nn.GRU(4, 3)(lib.randn(5, 2, 4), lib.randn(1, 3)),
    lambda lib: lib.nn.GRU(4, 3)(lib.randn(5, 4), lib.randn(1, 2, 3)),
    lambda lib: lib.nn.LSTM(4, 3)(lib.randn(5, 2, 4), (lib.randn(1, 2, 3), lib.randn(1, 2, 2))),
    lambda lib: lib.nn.LSTM(4, 3, proj_size=2)(lib.randn(5, 2, 4), (lib.randn(1, 2, 3), lib.randn(1, 2, 3))),
    lambda lib: lib.nn.LSTM(4, 3)(lib.randn(5, 2, 4), (lib.randn(2, 3), lib.randn(2, 3))),
    lambda lib: lib.nn.RNN(4, 3)(lib.randn(0, 2, 4)),
    lambda lib: lib.nn.RNN(4, 3, nonlinearity="gelu"),
    lambda lib: lib.nn.GRU(4, 3, proj_size=2),
    lambda lib: lib.nn.LSTM(4, 3, proj_size=3),
    lambda lib: lib.nn.LSTM(4, 3, dropout=1.5),
    lambda lib: lib.nn.LSTM(4, 3, bias=1),
    lambda lib: lib.nn.LSTM(4.0, 3),
    lambda lib: lib.nn.LSTM(4, 0),
])
def test_bad_input_raises_like_torch(case):
    torch_message, plexgrad_message = _raises_like_torch(lambda: case(torch), lambda: case(plexgrad))
    assert plexgrad_message.replace("plexgrad.", "torch.") == torch_message


def test_lstm_hx_must_be_a_pair():
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        plexgrad.nn.LSTM(4, 3)(plexgrad.randn(5, 2, 4), plexgrad.randn(1, 2, 3))
