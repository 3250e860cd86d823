"""plexgrad.linalg on every backend against numpy.linalg: values, shapes, dtypes,
gradients (central differences in float64) and torch's errors."""

import math

import numpy as np
import pytest

import plexgrad as pg
from test_tensor_api import check_grad, host, make

RNG = np.random.default_rng(11)
SQUARE = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
BATCH = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
RHS = RNG.standard_normal((3, 2))
SPD = SQUARE @ SQUARE.T + np.eye(3)
WIDE = RNG.standard_normal((3, 5))


def test_inv_det_slogdet_values(device):
    for array in (SQUARE, BATCH):
        x = make(array, device, pg.float64)
        np.testing.assert_allclose(host(pg.linalg.inv(x)), np.linalg.inv(array), rtol=1e-10)
        np.testing.assert_allclose(host(pg.linalg.det(x)), np.linalg.det(array), rtol=1e-10)
        sign, logabsdet = pg.linalg.slogdet(x)
        expected_sign, expected_log = np.linalg.slogdet(array)
        np.testing.assert_allclose(host(sign), expected_sign)
        np.testing.assert_allclose(host(logabsdet), expected_log, rtol=1e-10)
    x32 = make(SQUARE, device)
    assert pg.inverse(x32).dtype == pg.float32 and x32.det().dtype == pg.float32
    np.testing.assert_allclose(host(x32.inverse()), np.linalg.inv(SQUARE), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(float(pg.logdet(make(SPD, device, pg.float64))), np.log(np.linalg.det(SPD)))


def test_inv_det_slogdet_gradients(device):
    check_grad(pg.linalg.inv, [SQUARE], device)
    check_grad(pg.linalg.inv, [BATCH], device)
    check_grad(pg.linalg.det, [BATCH], device, atol=1e-5)
    check_grad(lambda a: pg.linalg.slogdet(a).logabsdet, [SQUARE], device)
    x = make(SQUARE, device, pg.float64, requires_grad=True)
    (first,) = pg.autograd.grad(pg.linalg.inv(x).sum(), x, create_graph=True)
    first.sum().backward()  # the rule is written in Tensor ops: it differentiates again
    assert x.grad is not None and tuple(x.grad.shape) == (3, 3)


def test_solve(device):
    A = make(SQUARE, device, pg.float64)
    np.testing.assert_allclose(host(pg.linalg.solve(A, make(RHS, device, pg.float64))), np.linalg.solve(SQUARE, RHS),
                               rtol=1e-10)
    vector = RHS[:, 0]
    result = pg.linalg.solve(A, make(vector, device, pg.float64))
    assert tuple(result.shape) == (3,)
    np.testing.assert_allclose(host(result), np.linalg.solve(SQUARE, vector), rtol=1e-10)
    batched = pg.linalg.solve(make(BATCH, device, pg.float64), make(RHS, device, pg.float64))
    np.testing.assert_allclose(host(batched), np.linalg.solve(BATCH, np.broadcast_to(RHS, (2, 3, 2))), rtol=1e-10)
    right = pg.linalg.solve(A, make(RHS.T, device, pg.float64), left=False)
    np.testing.assert_allclose(host(right) @ SQUARE, RHS.T, rtol=1e-10, atol=1e-12)
    check_grad(pg.linalg.solve, [SQUARE, RHS], device)
    check_grad(pg.linalg.solve, [BATCH, RHS], device)
    check_grad(pg.linalg.solve, [SQUARE, vector], device)
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        pg.linalg.solve(A, make(np.ones((4, 1)), device, pg.float64))


def test_singular_and_bad_input(device):
    singular = make([[1.0, 2.0], [2.0, 4.0]], device, pg.float64)
    with pytest.raises(pg.linalg.LinAlgError, match="singular"):
        pg.linalg.inv(singular)
    with pytest.raises(RuntimeError, match="singular"):
        pg.linalg.solve(singular, make([1.0, 1.0], device, pg.float64))
    assert float(pg.linalg.det(singular)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(RuntimeError, match="square"):
        pg.linalg.inv(make(WIDE, device))
    with pytest.raises(RuntimeError, match="int64"):
        pg.linalg.det(make([[1, 2], [3, 4]], device))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        pg.linalg.inv(make([1.0, 2.0], device))
    with pytest.raises(pg.linalg.LinAlgError, match="positive-definite"):
        pg.linalg.cholesky(make([[1.0, 2.0], [2.0, 1.0]], device, pg.float64))


def test_decompositions_reconstruct(device):
    A = make(WIDE, device, pg.float64)
    U, S, Vh = pg.linalg.svd(A, full_matrices=False)
    assert tuple(U.shape) == (3, 3) and tuple(S.shape) == (3,) and tuple(Vh.shape) == (3, 5)
    np.testing.assert_allclose(host(U) @ np.diag(host(S)) @ host(Vh), WIDE, atol=1e-10)
    np.testing.assert_allclose(host(S), np.linalg.svd(WIDE, compute_uv=False), rtol=1e-10)
    assert tuple(pg.linalg.svd(A).Vh.shape) == (5, 5)
    np.testing.assert_allclose(host(pg.linalg.svdvals(A)), np.linalg.svd(WIDE, compute_uv=False), rtol=1e-10)
    Q, R = pg.linalg.qr(make(WIDE.T, device, pg.float64))
    assert tuple(Q.shape) == (5, 3) and tuple(R.shape) == (3, 3)
    np.testing.assert_allclose(host(Q) @ host(R), WIDE.T, atol=1e-10)
    assert tuple(pg.linalg.qr(make(WIDE.T, device, pg.float64), mode="complete").Q.shape) == (5, 5)
    L = pg.linalg.cholesky(make(SPD, device, pg.float64))
    np.testing.assert_allclose(host(L), np.linalg.cholesky(SPD), rtol=1e-10)
    upper = pg.linalg.cholesky(make(SPD, device, pg.float64), upper=True)
    np.testing.assert_allclose(host(upper).T @ host(upper), SPD, rtol=1e-10)
    values, vectors = pg.linalg.eigh(make(SPD, device, pg.float64))
    np.testing.assert_allclose(host(values), np.linalg.eigvalsh(SPD), rtol=1e-10)
    np.testing.assert_allclose(host(vectors) @ np.diag(host(values)) @ host(vectors).T, SPD, atol=1e-10)
    np.testing.assert_allclose(host(pg.linalg.eigvalsh(make(SPD, device, pg.float64))), np.linalg.eigvalsh(SPD),
                               rtol=1e-10)


def test_forward_only_decompositions_refuse_backward(device):
    for name, function in (("svd", lambda a: pg.linalg.svd(a).S), ("qr", lambda a: pg.linalg.qr(a).R),
                           ("cholesky", pg.linalg.cholesky), ("eigh", lambda a: pg.linalg.eigh(a).eigenvectors)):
        x = make(SPD, device, pg.float64, requires_grad=True)
        with pytest.raises(NotImplementedError, match=f"linalg.{name}"):
            function(x).sum().backward()
    with pg.no_grad():
        pg.linalg.svd(make(SPD, device, pg.float64, requires_grad=True))


def test_svdvals_eigvalsh_gradients(device):
    check_grad(pg.linalg.svdvals, [WIDE], device)
    symmetric = lambda a: pg.linalg.eigvalsh((a + a.mT) / 2)  # noqa: E731
    check_grad(symmetric, [SPD], device, atol=1e-5)


@pytest.mark.parametrize("order", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
def test_matrix_norm(device, order):
    x = make(WIDE, device, pg.float64)
    np.testing.assert_allclose(host(pg.linalg.matrix_norm(x, order)), np.linalg.norm(WIDE, order), rtol=1e-10)
    np.testing.assert_allclose(host(pg.linalg.norm(x, order)), np.linalg.norm(WIDE, order), rtol=1e-10)
    batch = make(BATCH, device, pg.float64)
    kept = pg.linalg.matrix_norm(batch, order, dim=(0, 2), keepdim=True)
    expected = np.linalg.norm(np.moveaxis(BATCH, 1, 0), order, axis=(1, 2))  # dims (0, 2) of (2, 3, 3)
    assert tuple(kept.shape) == (1, 3, 1)
    np.testing.assert_allclose(host(kept).reshape(-1), expected, rtol=1e-10)
    check_grad(lambda a: pg.linalg.matrix_norm(a, order), [WIDE], device, atol=1e-5)


def test_linalg_norm_dispatch_and_vector_norm(device):
    x = make(BATCH, device, pg.float64)
    np.testing.assert_allclose(host(pg.linalg.norm(x)), np.linalg.norm(BATCH.reshape(-1)), rtol=1e-12)
    np.testing.assert_allclose(host(pg.linalg.norm(x, dim=1)), np.linalg.norm(BATCH, axis=1), rtol=1e-12)
    np.testing.assert_allclose(host(pg.linalg.norm(x, 1, dim=(1, 2))), np.linalg.norm(BATCH, 1, axis=(1, 2)),
                               rtol=1e-12)
    np.testing.assert_allclose(host(pg.linalg.vector_norm(x, 3, dim=(0, 2))),
                               (np.abs(BATCH) ** 3).sum((0, 2)) ** (1 / 3), rtol=1e-12)
    with pytest.raises(RuntimeError, match="1D or 2D"):
        pg.linalg.norm(x, 2)
    check_grad(lambda a: pg.linalg.vector_norm(a, 2, dim=-1), [BATCH], device)


def test_products(device):
    x = make(SQUARE, device, pg.float64)
    np.testing.assert_allclose(host(pg.linalg.matrix_power(x, 3)), np.linalg.matrix_power(SQUARE, 3), rtol=1e-10)
    np.testing.assert_allclose(host(pg.linalg.matrix_power(x, -2)), np.linalg.matrix_power(SQUARE, -2), rtol=1e-10)
    np.testing.assert_allclose(host(pg.linalg.matrix_power(x, 0)), np.eye(3))
    np.testing.assert_allclose(host(pg.linalg.multi_dot([x, x, make(RHS, device, pg.float64)])),
                               SQUARE @ SQUARE @ RHS, rtol=1e-10)
    np.testing.assert_allclose(host(pg.linalg.vecdot(x, x)), (SQUARE * SQUARE).sum(-1), rtol=1e-12)
    check_grad(lambda a: pg.linalg.matrix_power(a, 3), [SQUARE], device, atol=1e-5)
