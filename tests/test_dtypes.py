"""dtypes: torch's names and aliases, defaults, and torch's promotion rules with
Python scalars and 0-d tensors, on every backend."""

import numpy as np
import pytest

import plexgrad

P = plexgrad


def test_names_and_aliases():
    assert P.float is P.float32 and P.double is P.float64 and P.half is P.float16
    assert P.int is P.int32 and P.long is P.int64 and P.short is P.int16
    assert repr(P.float32) == "plexgrad.float32" and str(P.int64) == "plexgrad.int64"
    assert P.float32.is_floating_point and not P.int32.is_floating_point
    assert P.int32.is_signed and not P.uint8.is_signed
    assert P.float16.itemsize == 2 and P.float64.itemsize == 8 and P.bool.itemsize == 1


def test_default_dtypes_of_created_tensors(device):
    assert P.get_default_dtype() is P.float32
    assert P.tensor([1.5, 2], device=device).dtype is P.float32
    assert P.tensor([1, 2], device=device).dtype is P.int64
    assert P.tensor([True], device=device).dtype is P.bool
    assert P.zeros(2, device=device).dtype is P.float32
    assert P.arange(3, device=device).dtype is P.int64
    assert P.arange(3.0, device=device).dtype is P.float32
    assert P.full((2,), 7, device=device).dtype is P.int64
    assert P.tensor(np.array([1, 2], dtype=np.int32), device=device).dtype is P.int32
    assert P.tensor(np.array([1.0]), device=device).dtype is P.float64


def test_set_default_dtype():
    try:
        P.set_default_dtype(P.float64)
        assert P.tensor([1.5]).dtype is P.float64 and P.zeros(1).dtype is P.float64
        assert (P.tensor([1, 2]) / 2).dtype is P.float64
        assert repr(P.tensor([1.5])) == "tensor([1.5000])"
        assert repr(P.tensor([1.5], dtype=P.float32)) == "tensor([1.5000], dtype=plexgrad.float32)"
        with pytest.raises(TypeError):
            P.set_default_dtype(P.int32)
    finally:
        P.set_default_dtype(P.float32)
    assert P.tensor([1.5]).dtype is P.float32


@pytest.mark.parametrize("name, expected", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("int", "int32"), ("long", "int64"),
    ("short", "int16"), ("bool", "bool"), ("byte", "uint8"), ("char", "int8"), ("bfloat16", "bfloat16"),
])
def test_conversion_methods(device, name, expected):
    x = P.tensor([1.7, -2.7, 0.0], device=device)
    converted = getattr(x, name)()
    assert converted.dtype is getattr(P, expected)
    assert converted.device == x.device


@pytest.mark.parametrize("factory_dtype", [P.float, P.double, P.int, P.long, P.half, P.short, P.bool, P.uint8,
                                           P.int8, P.bfloat16])
def test_factories_accept_every_dtype(device, factory_dtype):
    x = P.zeros(2, dtype=factory_dtype, device=device)
    assert x.dtype is factory_dtype
    assert x.element_size() == factory_dtype.itemsize


def test_casts_truncate_like_torch(device):
    x = P.tensor([1.7, -2.7], device=device)
    assert x.long().tolist() == [1, -2]
    assert x.int().tolist() == [1, -2]
    assert P.tensor([0, 3], device=device).bool().tolist() == [False, True]
    assert P.tensor([1, 2], device=device).to(P.float16).dtype is P.float16
    assert P.tensor([1, 2], device=device).type(P.float64).dtype is P.float64
    assert P.tensor([1.5]).type() == "plexgrad.FloatTensor"
    assert P.tensor([1.5]).type("plexgrad.DoubleTensor").dtype is P.float64


# (left operand, right operand, expected dtype) -- each checked against torch by hand
PROMOTION_CASES = [
    (lambda d: P.tensor([1, 2], dtype=P.int32, device=d), 2.5, P.float32),
    (lambda d: P.tensor([1, 2], dtype=P.int32, device=d), 2, P.int32),
    (lambda d: P.tensor([1, 2], dtype=P.uint8, device=d), lambda d: P.tensor([1, 2], dtype=P.int8, device=d),
     P.int16),
    (lambda d: P.tensor([1, 2], dtype=P.float16, device=d), lambda d: P.tensor(1.0, dtype=P.float64, device=d),
     P.float16),
    (lambda d: P.tensor([True], device=d), True, P.bool),
    (lambda d: P.tensor([True, False], device=d), 2, P.int64),
    (lambda d: P.tensor([True, False], device=d), 1.5, P.float32),
    (lambda d: P.tensor([1, 2], dtype=P.uint8, device=d), lambda d: P.tensor(5, device=d), P.uint8),
    (lambda d: P.tensor([1, 2], dtype=P.int16, device=d), lambda d: P.tensor(5.0, device=d), P.float32),
    (lambda d: P.tensor([1, 2], dtype=P.float16, device=d), 2.5, P.float16),
    (lambda d: P.tensor([1.0], dtype=P.bfloat16, device=d), lambda d: P.tensor([1.0], dtype=P.float16, device=d),
     P.float32),
    (lambda d: P.tensor([1, 2], dtype=P.int32, device=d), lambda d: P.tensor([1, 2], device=d), P.int64),
    (lambda d: P.tensor(3, device=d), lambda d: P.tensor([1, 2], dtype=P.int8, device=d), P.int8),
    (lambda d: P.tensor(3.0, device=d), lambda d: P.tensor([1, 2], dtype=P.int8, device=d), P.float32),
    (lambda d: P.tensor(2, dtype=P.int32, device=d), lambda d: P.tensor(3, device=d), P.int64),
    (lambda d: P.tensor(2.0, device=d), lambda d: P.tensor(3.0, dtype=P.float64, device=d), P.float64),
    (lambda d: P.tensor([1.0, 2.0], device=d), lambda d: P.tensor([1, 2], dtype=P.float64, device=d), P.float64),
    (lambda d: P.tensor(3, dtype=P.int16, device=d), lambda d: P.tensor([1, 2], dtype=P.uint8, device=d), P.uint8),
    (lambda d: P.tensor([1, 2], device=d), lambda d: P.tensor(True, device=d), P.int64),
    (lambda d: P.tensor([1.0, 2.0], device=d), np.float64(1.5), P.float32),
]


@pytest.mark.parametrize("left, right, expected", PROMOTION_CASES)
def test_torch_promotion(device, left, right, expected):
    a = left(device) if callable(left) else left
    b = right(device) if callable(right) else right
    for result in (a + b, b + a, a * b):
        assert result.dtype is expected, (a, b, result.dtype)
        assert result.device.type == device


def test_promotion_values(device):
    integers = P.tensor([1, 2], dtype=P.int32, device=device)
    assert (integers + 2.5).tolist() == [3.5, 4.5]
    small = P.tensor([1, 2], dtype=P.uint8, device=device) + P.tensor([-1, -3], dtype=P.int8, device=device)
    assert small.tolist() == [0, -1]


def test_division_of_integers_is_float(device):
    a = P.tensor([1, 2], device=device)
    assert (a / P.tensor([2, 2], device=device)).dtype is P.float32
    assert (a / P.tensor([2, 2], device=device)).tolist() == [0.5, 1.0]
    assert (P.tensor([1, 2], dtype=P.int32, device=device) / 2).dtype is P.float32
    assert (P.tensor([5, 7], device=device) // 2).tolist() == [2, 3]
    assert (P.tensor([5, 7], device=device) // 2).dtype is P.int64
    assert (P.tensor([5, 7], device=device) % 2).tolist() == [1, 1]


def test_scalar_on_either_side(device):
    a = P.tensor([1, 2], device=device)
    assert (a + 1).tolist() == [2, 3] and (a + 1).dtype is P.int64
    assert (1 - a).tolist() == [0, -1] and (1 - a).dtype is P.int64
    assert (2 ** a).tolist() == [2, 4] and (2 ** a).dtype is P.int64
    assert (2 ** P.tensor([1.0, 2.0], device=device)).tolist() == [2.0, 4.0]
    assert (2.5 ** a).dtype is P.float32
    assert (a ** 2.0).dtype is P.float32
    assert (a * 1.0).dtype is P.float32
    assert (10 / a).tolist() == [10.0, 5.0]
    assert (a == 1.5).dtype is P.bool


def test_matmul_both_ways(device):
    a = P.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    b = P.tensor([[0.0, 1.0], [1.0, 0.0]], device=device)
    assert (a @ b).tolist() == [[2.0, 1.0], [4.0, 3.0]]
    assert (b @ a).tolist() == [[3.0, 4.0], [1.0, 2.0]]
    vector = P.tensor([1.0, 2.0], device=device)
    assert (vector @ vector).item() == 5.0 and (vector @ vector).dim() == 0
    assert (P.tensor([1, 2], device=device) @ P.tensor([3, 4], device=device)).dtype is P.int64


def test_reductions_keep_torch_dtypes(device):
    assert P.tensor([1, 2], dtype=P.int32, device=device).sum().dtype is P.int64
    assert P.tensor([True, True], device=device).sum().item() == 2
    assert P.tensor([1.0, 2.0], device=device).mean().dtype is P.float32


def test_float_functions_of_integers_give_default_float(device):
    result = P.tensor([1, 4], device=device).sqrt()
    assert result.dtype is P.float32 and result.tolist() == [1.0, 2.0]
    assert P.tensor([1, 4], device=device).exp().dtype is P.float32


def test_promote_types():
    assert P.promote_types(P.uint8, P.int8) is P.int16
    assert P.promote_types(P.int32, P.float16) is P.float16
    assert P.promote_types(P.bool, P.int8) is P.int8
    assert P.promote_types(P.float16, P.bfloat16) is P.float32
    assert P.promote_types(P.int64, P.float32) is P.float32


def test_unknown_dtype_raises_type_error(device):
    with pytest.raises(TypeError, match="unknown dtype"):
        P.zeros(2, dtype="float33", device=device)
    with pytest.raises(TypeError, match="plexgrad.float32"):
        P.tensor([1.0], dtype="complex256", device=device)
