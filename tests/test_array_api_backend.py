"""The generic array API backend (plexgrad.backends.array_api_be) on array_api_strict.

The conformance kit certifies it case by case (declared-missing ops and dtypes the standard
lacks are skipped with the kit's reason); the other tests cover what the kit does not: the
namespace's several devices, and another array API library (numpy 2's main namespace)
becoming a device through ``array_api_declaration``.
"""

import numpy
import pytest

import plexgrad
from plexgrad.testing import all_cases, run_case

strict = pytest.importorskip("array_api_strict")

DEVICE = "array_api_strict"


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in all_cases()])
def test_kit_case_on_array_api_strict(case):
    result = run_case(case, DEVICE)
    if result.status in ("missing", "unsupported-dtype"):
        pytest.skip(f"{result.status}: {result.message}")
    assert result.status == "pass", result.message


def test_tensors_live_on_the_namespaces_devices_and_move_between_them():
    first = plexgrad.arange(6.0, device=f"{DEVICE}:0").reshape(2, 3)
    second = first.to(f"{DEVICE}:1")
    assert second._data.device == strict.__array_namespace_info__().devices()[1]
    assert str(second.device) == f"{DEVICE}:1"
    with pytest.raises(RuntimeError, match="device"):
        first + second
    numpy.testing.assert_array_equal((second * 2).cpu().numpy(), numpy.arange(6.0).reshape(2, 3) * 2)


def test_writes_through_views_and_gradients_of_advanced_indexing():
    x = plexgrad.zeros(3, 4, device=DEVICE)
    view = x[1:, ::2]
    view += 1
    x[0, plexgrad.tensor([1, 3])] = 5.0
    reference = numpy.zeros((3, 4))
    reference[1:, ::2] += 1
    reference[0, [1, 3]] = 5.0
    numpy.testing.assert_array_equal(x.cpu().numpy(), reference)
    leaf = plexgrad.arange(12.0, device=DEVICE).reshape(3, 4).requires_grad_()
    (leaf[plexgrad.tensor([0, 0, 2]), 1:].sum() + leaf[leaf > 6].sum()).backward()
    expected = numpy.zeros((3, 4))
    numpy.add.at(expected, ([0, 0, 2], slice(1, None)), 1)
    expected[numpy.arange(12.0).reshape(3, 4) > 6] += 1
    numpy.testing.assert_array_equal(leaf.grad.cpu().numpy(), expected)


def test_ops_the_standard_cannot_express_are_declared_missing():
    x = plexgrad.ones(3, device=DEVICE)
    with pytest.raises(NotImplementedError, match="'erf' is not implemented by backend 'array_api_strict'"):
        plexgrad.erf(x)
    assert plexgrad.nn.functional.softmax(x, dim=0).sum().item() == pytest.approx(1.0)  # composites still run


def test_any_array_api_namespace_becomes_a_backend():
    """numpy 2's main namespace implements the standard: the same kernels run on it unchanged."""
    from plexgrad.backends.array_api_be import array_api_declaration
    from plexgrad.backends.array_api_be.kernels import build_backend
    declaration = array_api_declaration("numpy_standard", "numpy_standard", "numpy")
    assert declaration.device_types == ("numpy_standard",) and declaration.is_available() == (True, "")
    backend = build_backend("numpy_standard", "numpy_standard", numpy)
    kernels = backend.kernels
    a = backend.from_host(numpy.arange(6.0).reshape(2, 3), plexgrad.float64, 0)
    numpy.testing.assert_array_equal(kernels["sum"](a, (1,), False), [3.0, 12.0])
    numpy.testing.assert_array_equal(kernels["getitem"](a, (numpy.array([1, 0]), slice(1, None))),
                                     [[4.0, 5.0], [1.0, 2.0]])
    written = kernels["index_put"](a, numpy.array([10.0, 20.0]), (numpy.array([0, 0]), numpy.array([1, 1])), True)
    numpy.testing.assert_array_equal(written, [[0.0, 31.0, 2.0], [3.0, 4.0, 5.0]])
    assert backend.dtype_of(kernels["argsort"](a, 1, True)) is plexgrad.int64
