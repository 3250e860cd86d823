"""The LSTM and GRU cells' fused ops (core/ops/recurrent.py): native kernels, their decompositions and
the Tensor-op composite agree in values and gradients, and differentiate twice, on every backend."""

import numpy as np
import pytest

import plexgrad
from plexgrad.core import dispatch
from plexgrad.core.ops import recurrent

OPS = ["lstm_cell_state", "lstm_cell_output", "lstm_cell_state_backward", "lstm_cell_output_backward", "gru_cell",
       "gru_cell_backward"]


def _inputs(device, batch=3, size=4, seed=0):
    generator = np.random.default_rng(seed)
    gates = plexgrad.tensor(generator.standard_normal((batch, 4 * size)) * 3, dtype=plexgrad.float64, device=device,
                            requires_grad=True)
    cell = plexgrad.tensor(generator.standard_normal((batch, size)), dtype=plexgrad.float64, device=device,
                           requires_grad=True)
    return gates, cell


def _run(device, gates, cell):
    new_cell = recurrent.lstm_cell_state(gates, cell)
    hidden = recurrent.lstm_cell_output(gates, new_cell)
    weights = plexgrad.tensor(np.random.default_rng(1).standard_normal(tuple(hidden.shape)), dtype=plexgrad.float64,
                              device=device)
    loss = (hidden * weights).sum() + (new_cell * weights * 0.5).sum()
    grads = plexgrad.autograd.grad(loss, (gates, cell))
    return [t.detach().cpu().numpy() for t in (new_cell, hidden) + tuple(grads)]


def _composite(device, gates, cell):
    new_cell = recurrent._state_composite(gates, cell)
    hidden = recurrent._output_composite(gates, new_cell)
    weights = plexgrad.tensor(np.random.default_rng(1).standard_normal(tuple(hidden.shape)), dtype=plexgrad.float64,
                              device=device)
    loss = (hidden * weights).sum() + (new_cell * weights * 0.5).sum()
    grads = plexgrad.autograd.grad(loss, (gates, cell))
    return [t.detach().cpu().numpy() for t in (new_cell, hidden) + tuple(grads)]


def test_the_ops_are_declared_native_with_decompositions(device):
    for name in OPS:
        op = dispatch.OPS[name]
        assert op.decomposition is not None
        assert dispatch.runs(op, device) == "native", name


def test_native_decomposed_and_composite_agree(device):
    gates, cell = _inputs(device)
    expected = _composite(device, gates, cell)
    for actual in (_run(device, gates, cell),):
        for a, e in zip(actual, expected):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    with dispatch.forced_decompositions(device, OPS):
        for a, e in zip(_run(device, gates, cell), expected):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    with dispatch.forced_missing(device, OPS):  # a backend without them: the Tensor-op composite
        for a, e in zip(_run(device, gates, cell), expected):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_gradients_are_right_and_differentiate_twice(device):
    gates, cell = _inputs(device, batch=2, size=2)

    def both(gates, cell):
        new_cell = recurrent.lstm_cell_state(gates, cell)
        return recurrent.lstm_cell_output(gates, new_cell) + new_cell

    assert plexgrad.autograd.gradcheck(both, (gates, cell))
    assert plexgrad.autograd.gradgradcheck(both, (gates, cell))


def test_saturated_gates_stay_finite(device):
    gates, cell = _inputs(device)
    big = plexgrad.tensor(np.full((3, 16), 800.0), dtype=plexgrad.float64, device=device, requires_grad=True)
    for values in (big, -big):
        results = _run(device, values, cell)
        assert all(np.isfinite(r).all() for r in results)


def _gru_inputs(device, batch=3, size=4, seed=2):
    generator = np.random.default_rng(seed)
    return [plexgrad.tensor(generator.standard_normal(shape) * 2, dtype=plexgrad.float64, device=device,
                            requires_grad=True) for shape in ((batch, 3 * size), (batch, 3 * size), (batch, size))]


def _gru_run(device, function, inputs):
    output = function(*inputs)
    weights = plexgrad.tensor(np.random.default_rng(3).standard_normal(tuple(output.shape)), dtype=plexgrad.float64,
                              device=device)
    grads = plexgrad.autograd.grad((output * weights).sum(), inputs)
    return [output.detach().cpu().numpy()] + [g.cpu().numpy() for g in grads]


def test_gru_cell_native_decomposed_and_composite_agree(device):
    inputs = _gru_inputs(device)
    expected = _gru_run(device, recurrent._gru_composite, inputs)
    for context in (dispatch.forced_decompositions(device, []), dispatch.forced_decompositions(device, OPS),
                    dispatch.forced_missing(device, OPS)):
        with context:
            for a, e in zip(_gru_run(device, recurrent.gru_cell, inputs), expected):
                np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    small = _gru_inputs(device, batch=2, size=2)
    assert plexgrad.autograd.gradcheck(recurrent.gru_cell, small)
    assert plexgrad.autograd.gradgradcheck(recurrent.gru_cell, small)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_modules_give_the_same_result_without_the_fused_ops(device, kind):
    model = getattr(plexgrad.nn, kind)(3, 4, 2, bidirectional=True, dtype=plexgrad.float64).to(device)
    x = plexgrad.randn(5, 2, 3, dtype=plexgrad.float64, device=device, requires_grad=True)

    def run():
        x.grad = None
        model.zero_grad()
        output, state = model(x)
        (output.sum() + sum(part.sum() for part in (state if kind == "LSTM" else (state,)))).backward()
        return [output.detach().cpu().numpy(), x.grad.cpu().numpy()] + \
            [p.grad.cpu().numpy() for p in model.parameters()]

    native = run()
    with dispatch.forced_missing(device, OPS):
        composite = run()
    for a, e in zip(native, composite):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
