"""``repr`` in torch's format (expected strings taken from torch 2.x by hand; dtypes
print with the ``plexgrad.`` prefix where torch prints ``torch.``)."""

import pytest

import plexgrad

P = plexgrad

# (build on device, body, suffixes other than device): the repr is "tensor(" + body + suffixes + ")"
SHORT_CASES = [
    (lambda d: P.tensor([5.5, 3], device=d), "[5.5000, 3.0000]", []),
    (lambda d: P.ones(2, device=d), "[1., 1.]", []),
    (lambda d: P.tensor([1e-5, 1.0], device=d), "[1.0000e-05, 1.0000e+00]", []),
    (lambda d: P.tensor([1e10, 1.0], device=d), "[1.0000e+10, 1.0000e+00]", []),
    (lambda d: P.tensor([1, 2, 3], device=d), "[1, 2, 3]", []),
    (lambda d: P.tensor([-5, 100000], device=d), "[    -5, 100000]", []),
    (lambda d: P.tensor([True, False], device=d), "[ True, False]", []),
    (lambda d: P.tensor(3.5, device=d), "3.5000", []),
    (lambda d: P.tensor(3, device=d), "3", []),
    (lambda d: P.tensor(True, device=d), "True", []),
    (lambda d: P.tensor([], device=d), "[]", []),
    (lambda d: P.zeros(0, 3, device=d), "[]", ["size=(0, 3)"]),
    (lambda d: P.tensor([], dtype=P.int64, device=d), "[]", ["dtype=plexgrad.int64"]),
    (lambda d: P.tensor([1.0, 2.0], dtype=P.float64, device=d), "[1., 2.]", ["dtype=plexgrad.float64"]),
    (lambda d: P.tensor([1, 2], dtype=P.int32, device=d), "[1, 2]", ["dtype=plexgrad.int32"]),
    (lambda d: P.tensor([1.0, 2.0], dtype=P.float16, device=d), "[1., 2.]", ["dtype=plexgrad.float16"]),
    (lambda d: P.tensor([float("nan"), 1.0, 2.0], device=d), "[nan, 1., 2.]", []),
    (lambda d: P.tensor([float("inf"), -1.5], device=d), "[    inf, -1.5000]", []),
    (lambda d: P.tensor([-0.0, 1.0], device=d), "[-0., 1.]", []),
    (lambda d: P.tensor([0.0, 0.0], device=d), "[0., 0.]", []),
    (lambda d: P.tensor([100.5, 0.001], device=d), "[1.0050e+02, 1.0000e-03]", []),
    (lambda d: P.ones(3, requires_grad=True, device=d), "[1., 1., 1.]", ["requires_grad=True"]),
    (lambda d: P.ones(2, requires_grad=True, device=d) * 2, "[2., 2.]", ["grad_fn=<MulBackward0>"]),
    (lambda d: P.tensor(2.0, requires_grad=True, device=d) + 1, "3.", ["grad_fn=<AddBackward0>"]),
    (lambda d: P.tensor([[1, 2], [3, 4]], dtype=P.uint8, device=d), "[[1, 2],\n        [3, 4]]",
     ["dtype=plexgrad.uint8"]),
    (lambda d: P.tensor([[True, False], [False, True]], device=d), "[[ True, False],\n        [False,  True]]", []),
    (lambda d: P.tensor([[-1.2560, -11.1015], [-2.4457, 1.9479]], device=d),
     "[[ -1.2560, -11.1015],\n        [ -2.4457,   1.9479]]", []),
    (lambda d: P.zeros(5, 3, dtype=P.long, device=d),
     "[[0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0],\n        [0, 0, 0]]", []),
    (lambda d: P.arange(24.0, device=d).reshape(2, 3, 4),
     "[[[ 0.,  1.,  2.,  3.],\n         [ 4.,  5.,  6.,  7.],\n         [ 8.,  9., 10., 11.]],\n\n"
     "        [[12., 13., 14., 15.],\n         [16., 17., 18., 19.],\n         [20., 21., 22., 23.]]]", []),
    (lambda d: P.arange(12, device=d).reshape(3, 4).t(),
     "[[ 0,  4,  8],\n        [ 1,  5,  9],\n        [ 2,  6, 10],\n        [ 3,  7, 11]]", []),
]


@pytest.mark.parametrize("build, body, suffixes", SHORT_CASES)
def test_repr_matches_torch(device, build, body, suffixes):
    tensor = build(device)
    if device != "cpu":
        suffixes = [f"device='{tensor.device}'"] + suffixes
    expected = "tensor(" + body + "".join(", " + suffix for suffix in suffixes) + ")"
    assert repr(tensor) == expected
    assert str(tensor) == expected


def test_long_vector_wraps_at_line_width():
    assert repr(P.arange(30.0)) == (
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])")


def test_suffixes_wrap_to_a_new_line():
    tensor = P.arange(7.0, dtype=P.float64, requires_grad=True) * 1.5
    assert repr(tensor) == (
        "tensor([0.0000, 1.5000, 3.0000, 4.5000, 6.0000, 7.5000, 9.0000],\n"
        "       dtype=plexgrad.float64, grad_fn=<MulBackward0>)")


def test_large_vector_is_summarised():
    assert repr(P.arange(1001.0)) == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])"
    assert repr(P.arange(2000.0)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])")
    assert repr(P.tensor([True] * 1200)) == "tensor([True, True, True,  ..., True, True, True])"


def test_large_matrix_is_summarised(device):
    tensor = P.arange(2000, device=device).reshape(40, 50)
    lines = [
        "tensor([[   0,    1,    2,  ...,   47,   48,   49],",
        "        [  50,   51,   52,  ...,   97,   98,   99],",
        "        [ 100,  101,  102,  ...,  147,  148,  149],",
        "        ...,",
        "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],",
        "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],",
        "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]]",
    ]
    expected = "\n".join(lines) + (")" if device == "cpu" else f", device='{tensor.device}')")
    assert repr(tensor) == expected


def test_summarised_3d_tensor_separates_blocks():
    text = repr(P.arange(1200.0).reshape(10, 10, 12))
    assert text.startswith("tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.0000e+00,\n"
                           "          1.0000e+01, 1.1000e+01],")
    assert "\n\n        ...,\n\n        [[8.4000e+02," in text
    assert text.endswith("[1.1880e+03, 1.1890e+03, 1.1900e+03,  ..., 1.1970e+03,\n          1.1980e+03, "
                         "1.1990e+03]]])")


def test_print_options():
    try:
        P.set_printoptions(precision=2)
        assert repr(P.tensor([1.23456, 2.5])) == "tensor([1.23, 2.50])"
        P.set_printoptions(sci_mode=False)
        assert repr(P.tensor([1e-6, 1.0])) == "tensor([0.00, 1.00])"
        P.set_printoptions(threshold=5, edgeitems=2)
        assert repr(P.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
    finally:
        P.set_printoptions(profile="default")
    assert repr(P.tensor([1.23456])) == "tensor([1.2346])"


def test_format_of_zero_dim_tensor():
    assert f"{P.tensor(3.14159):.2f}" == "3.14"
    assert f"{P.tensor([1.0])}" == "tensor([1.])"


def test_print_seed_tensors(capsys):
    print(P.tensor([5.5, 3]))
    print(P.ones(2, 2, requires_grad=True) + 2)
    assert capsys.readouterr().out == ("tensor([5.5000, 3.0000])\n"
                                       "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n")
