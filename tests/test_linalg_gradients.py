"""Gradients of the decompositions (cholesky, eigh, svd, qr) and the new linalg functions, compared with
torch's on every backend, plus central differences (gradcheck) in float64."""

import numpy as np
import pytest
import torch

import plexgrad as pg
from plexgrad.autograd import gradcheck

RNG = np.random.default_rng(11)
SQUARE = RNG.normal(size=(3, 3))
SPD = SQUARE @ SQUARE.T + 3 * np.eye(3)
TALL = RNG.normal(size=(4, 3))
WEIGHTS = RNG.normal(size=(4, 4))


def _weights(lib, like):
    shape = tuple(like.shape)
    return lib.tensor(WEIGHTS[:shape[-2], :shape[-1]], dtype=lib.float64, device=like.device)


# each loss uses the outputs so that their sign ambiguity cancels (abs, squares, or products U S Vh)
LOSSES = {
    "cholesky": (SPD, lambda lib, a: (lib.linalg.cholesky(a) * _weights(lib, a)).sum()),
    "cholesky[upper]": (SPD, lambda lib, a: (lib.linalg.cholesky(a, upper=True) * _weights(lib, a)).sum()),
    "eigh[values and vectors]": (SPD, lambda lib, a: (lambda w, v: (w * w).sum() + (v.abs() * _weights(lib, v)).sum())(
        *lib.linalg.eigh(a))),
    "eigh[UPLO=U]": (SPD, lambda lib, a: (lib.linalg.eigh(a, UPLO="U")[1].abs() * _weights(lib, a)).sum()),
    "svd[tall]": (TALL, lambda lib, a: (lambda u, s, vh: (u.abs() * _weights(lib, u)).sum() + (s ** 3).sum()
                                        + (vh.abs() * _weights(lib, vh)).sum())(*lib.linalg.svd(a, full_matrices=False))),
    "svd[wide]": (TALL.T, lambda lib, a: (lambda u, s, vh: (u.abs() * _weights(lib, u)).sum()
                                          + (vh.abs() * _weights(lib, vh)).sum())(*lib.linalg.svd(a, full_matrices=False))),
    "svd[square, full_matrices]": (SQUARE, lambda lib, a: (lambda u, s, vh: ((u * s) @ vh * _weights(lib, a)).sum())(
        *lib.linalg.svd(a))),
    "qr[tall]": (TALL, lambda lib, a: (lambda q, r: (q * _weights(lib, q)).sum() + (r ** 2).sum())(*lib.linalg.qr(a))),
    "qr[square]": (SQUARE, lambda lib, a: (lib.linalg.qr(a).Q * _weights(lib, a)).sum()),
    "pinv": (TALL, lambda lib, a: (lib.linalg.pinv(a) * _weights(lib, a.mT)).sum()),
    "solve_triangular": (SPD, lambda lib, a: (lib.linalg.solve_triangular(
        a.tril() + lib.eye(3, dtype=lib.float64, device=a.device) * 3, _weights(lib, a), upper=False) ** 2).sum()),
    "lstsq": (TALL, lambda lib, a: (lib.linalg.lstsq(a, _weights(lib, a)).solution ** 2).sum()),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_torch(name, device):
    matrix, loss = LOSSES[name]
    expected = torch.tensor(matrix, requires_grad=True)
    loss(torch, expected).backward()
    actual = pg.tensor(matrix, device=device, requires_grad=True)
    loss(pg, actual).backward()
    np.testing.assert_allclose(actual.grad.cpu().numpy(), expected.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["cholesky", "eigh[values and vectors]", "svd[tall]", "qr[tall]", "pinv"])
def test_gradient_by_central_differences(name, device):
    matrix, loss = LOSSES[name]
    if name in ("cholesky", "eigh[values and vectors]"):  # differentiate through a symmetric input
        def function(a):
            return loss(pg, (a + a.mT) / 2)
    else:
        def function(a):
            return loss(pg, a)
    assert gradcheck(function, (pg.tensor(matrix, device=device, requires_grad=True),))
