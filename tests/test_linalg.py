"""plexgrad.linalg on every backend against numpy.linalg: values, shapes, dtypes,
gradients (central differences in float64) and torch's errors."""

import inspect
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


def test_decompositions_torch_does_not_differentiate_refuse_backward(device):
    """svd with full_matrices of a non-square input has no derivative in torch either (U or Vh is not
    unique); its backward raises, naming the op.  The other cases' gradients: test_linalg_gradients.py."""
    x = make(np.ones((3, 2)) + np.eye(3, 2), device, pg.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="linalg.svd"):
        pg.linalg.svd(x, full_matrices=True).U.sum().backward()
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


# ---- every public function against torch.linalg: values, gradients, errors ---------------------
import torch  # noqa: E402

SYMMETRIC_BATCH = BATCH @ np.swapaxes(BATCH, -1, -2) + np.eye(3)
TALL = WIDE.T.copy()

# (name, function(lib, *tensors), inputs, differentiable in plexgrad); every name in linalg.__all__ is used
TORCH_CASES = [
    ("inv", lambda lib, a: lib.linalg.inv(a), [BATCH], True),
    ("inv_ex", lambda lib, a: tuple(lib.linalg.inv_ex(a)), [SQUARE], True),
    ("det", lambda lib, a: lib.linalg.det(a), [BATCH], True),
    ("slogdet", lambda lib, a: tuple(lib.linalg.slogdet(a)), [BATCH], True),
    ("logdet", lambda lib, a: lib.logdet(a), [SPD], True),
    ("solve", lambda lib, a, b: lib.linalg.solve(a, b), [BATCH, RHS], True),
    ("solve_left_false", lambda lib, a, b: lib.linalg.solve(a, b, left=False), [SQUARE, RHS.T.copy()], True),
    ("solve_vector", lambda lib, a, b: lib.linalg.solve(a, b), [SQUARE, RHS[:, 0].copy()], True),
    ("svdvals", lambda lib, a: lib.linalg.svdvals(a), [WIDE], True),
    ("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(a), [SYMMETRIC_BATCH], True),
    ("eigvalsh_upper", lambda lib, a: lib.linalg.eigvalsh(a, UPLO="U"), [SPD], True),
    ("norm_default", lambda lib, a: lib.linalg.norm(a), [BATCH], True),
    ("norm_nuc", lambda lib, a: lib.linalg.norm(a, "nuc"), [WIDE], True),
    ("norm_dim", lambda lib, a: lib.linalg.norm(a, 3, dim=1, keepdim=True), [BATCH], True),
    ("vector_norm", lambda lib, a: lib.linalg.vector_norm(a, 0.5, dim=(0, 2)), [BATCH], True),
    ("vector_norm_minus_inf", lambda lib, a: lib.linalg.vector_norm(a, -math.inf), [WIDE], True),
    ("matrix_norm_dims", lambda lib, a: lib.linalg.matrix_norm(a, -2, dim=(0, 2), keepdim=True), [BATCH], True),
    ("matrix_norm_1", lambda lib, a: lib.linalg.matrix_norm(a, 1), [BATCH], True),
    ("matmul", lambda lib, a, b: lib.linalg.matmul(a, b), [BATCH, RHS], True),
    ("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), [WIDE, WIDE[::-1].copy()], True),
    ("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [RHS[:, 0].copy(), SQUARE, WIDE], True),
    ("matrix_power", lambda lib, a: lib.linalg.matrix_power(a, 4), [BATCH], True),
    ("matrix_power_inverse", lambda lib, a: lib.linalg.matrix_power(a, -1), [SQUARE], True),
    ("pinv", lambda lib, a: lib.linalg.pinv(a), [WIDE], True),
    ("pinv_rank_deficient", lambda lib, a: lib.linalg.pinv(a @ a.mT @ a[:, :1] @ a[:1]), [SQUARE], False),
    ("solve_triangular", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True), [SPD, RHS], True),
    ("solve_triangular_right_unit", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), [SPD, RHS.T.copy()], True),
    ("lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [TALL, TALL[:, :1].copy() * 2], True),
    ("matrix_rank", lambda lib, a: lib.linalg.matrix_rank(a), [BATCH], False),
    ("cond", lambda lib, a: lib.linalg.cond(a), [BATCH], True),
    ("cross", lambda lib, a, b: lib.linalg.cross(a, b), [SQUARE, SPD], True),
    ("vander", lambda lib, a: lib.linalg.vander(a, N=4), [RHS[:, 0].copy()], True),
    ("diagonal", lambda lib, a: lib.linalg.diagonal(a, offset=1), [BATCH], True),
    ("solve_ex", lambda lib, a, b: tuple(lib.linalg.solve_ex(a, b)), [SQUARE, RHS], True),
    # singular/eigen vectors are unique up to sign (their gradients: test_linalg_gradients.py)
    ("svd", lambda lib, a: tuple(t.abs() for t in lib.linalg.svd(a, full_matrices=False)), [WIDE], False),
    ("qr", lambda lib, a: tuple(t.abs() for t in lib.linalg.qr(a)), [TALL], False),
    ("qr_complete", lambda lib, a: tuple(t.abs() for t in lib.linalg.qr(a, mode="complete")), [TALL], False),
    ("cholesky", lambda lib, a: lib.linalg.cholesky(a), [SYMMETRIC_BATCH], False),
    ("cholesky_upper", lambda lib, a: lib.linalg.cholesky(a, upper=True), [SPD], False),
    ("cholesky_ex", lambda lib, a: tuple(lib.linalg.cholesky_ex(a)), [SPD], False),
    ("eigh", lambda lib, a: tuple(t.abs() for t in lib.linalg.eigh(a)), [SPD], False),
]


def _torch_style_run(lib, make, to_numpy, case):
    _, function, arrays, differentiable = case
    tensors = [make(array) for array in arrays]
    if differentiable:
        for tensor in tensors:
            tensor.requires_grad_(True)
    result = function(lib, *tensors)
    outputs = result if isinstance(result, tuple) else (result,)
    values = [to_numpy(output.detach()) for output in outputs]
    if not differentiable:
        return values, None
    rng = np.random.default_rng(5)
    loss = sum((output * make(rng.standard_normal(tuple(output.shape)))).sum() for output in outputs
               if output.is_floating_point())
    return values, [to_numpy(g) for g in lib.autograd.grad(loss, tensors)]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[case[0] for case in TORCH_CASES])
def test_matches_torch_linalg(device, case):
    expected = _torch_style_run(torch, torch.tensor, lambda t: t.numpy(), case)
    found = _torch_style_run(pg, lambda a: pg.tensor(a, device=device), np.asarray, case)
    for want, got in zip(expected[0], found[0]):
        assert got.shape == want.shape and got.dtype == want.dtype, (case[0], got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11, err_msg=case[0])
    for want, got in zip(expected[1] or (), found[1] or ()):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=f"{case[0]} gradient")


def test_torch_cases_cover_every_public_function():
    source = " ".join(inspect.getsource(case[1]) for case in TORCH_CASES)
    missing = [name for name in pg.linalg.__all__ if name != "LinAlgError" and f"linalg.{name}(" not in source
               and f"lib.{name}(" not in source]
    assert not missing


def test_public_names_are_the_core_declarations():
    from plexgrad.core.ops import linalg_checks, linalg_decompositions, linalg_norms, linalg_products
    from plexgrad.core.ops import linalg_solvers
    assert pg.linalg.inv is linalg_solvers.inv and pg.linalg.svd is linalg_decompositions.svd
    assert pg.linalg.matrix_norm is linalg_norms.matrix_norm and pg.linalg.vecdot is linalg_products.vecdot
    assert pg.linalg.LinAlgError is linalg_checks.LinAlgError and issubclass(pg.linalg.LinAlgError, RuntimeError)
    assert pg.linalg.vector_norm is pg.core.ops.statistics.vector_norm


ERROR_CASES = [
    ("inv_singular", lambda lib: lib.linalg.inv(lib.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=lib.float64))),
    ("solve_singular", lambda lib: lib.linalg.solve(lib.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=lib.float64),
                                                    lib.tensor([1.0, 1.0], dtype=lib.float64))),
    ("cholesky_not_positive", lambda lib: lib.linalg.cholesky(lib.tensor([[1.0, 2.0], [2.0, 1.0]],
                                                                         dtype=lib.float64))),
    ("inv_not_square", lambda lib: lib.linalg.inv(lib.ones(2, 3))),
    ("det_integer", lambda lib: lib.linalg.det(lib.tensor([[1, 2], [3, 4]]))),
    ("inv_vector", lambda lib: lib.linalg.inv(lib.ones(3))),
    ("solve_shapes", lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(4, 1))),
    ("matrix_norm_order", lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), 3)),
    ("vector_norm_integer", lambda lib: lib.linalg.vector_norm(lib.tensor([1, 2]))),
    ("multi_dot_one", lambda lib: lib.linalg.multi_dot([lib.ones(2, 2)])),
    ("qr_mode", lambda lib: lib.linalg.qr(lib.ones(2, 2), mode="full")),
    ("eigh_uplo", lambda lib: lib.linalg.eigh(lib.eye(2), UPLO="X")),
]


@pytest.mark.parametrize("name, function", ERROR_CASES, ids=[name for name, _ in ERROR_CASES])
def test_errors_match_torch(device, name, function):
    with pytest.raises(Exception) as expected:
        function(torch)
    with pg.device(device):
        with pytest.raises(Exception) as found:
            function(pg)
    torch_type = type(expected.value)
    if issubclass(torch_type, torch.linalg.LinAlgError):
        assert isinstance(found.value, pg.linalg.LinAlgError), found.value
    else:
        assert isinstance(found.value, torch_type), (found.value, expected.value)
