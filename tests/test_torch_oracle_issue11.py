"""Issue 11's silent wrong answers and "accepted where torch raises" cases, with torch as the oracle.

Each case is written once against the torch API as ``case(lib, device)``; it runs under torch
(cpu) and under plexgrad on every installed backend.  Both must return the same values, dtypes
and shapes, or both raise the same exception type with the gist of torch's message.
"""

import warnings

import numpy
import pytest
import torch

import plexgrad

CASES = {}


def case(*gist):
    """Register a case; ``gist`` is the part of torch's error message plexgrad's must contain."""
    def register(function):
        CASES[function.__name__] = (function, gist[0] if gist else None)
        return function
    return register


# ---- silent wrong answers -----------------------------------------------------------------------

@case()
def cosine_similarity_broadcasts_along_dim(lib, device):
    a = lib.tensor([[[1., 2, 3], [4, 5, 6]]], device=device)
    b = lib.tensor([[[1., -2, .5]], [[3., 1, -1]]], device=device)
    return lib.nn.functional.cosine_similarity(a, b, dim=-2)


@case()
def circular_pad_with_negative_amounts_crops_first(lib, device):
    x = lib.arange(5., device=device).reshape(1, 1, 5)
    F = lib.nn.functional
    return F.pad(x, (-1, 2), mode="circular"), F.pad(x, (2, -1), mode="circular"), F.pad(x, (-2, -1), mode="circular")


@case()
def index_fill_value_gradient_counts_each_element_once(lib, device):
    x = lib.zeros(2, 3, dtype=lib.float64, requires_grad=True, device=device)
    v = lib.tensor(1., dtype=lib.float64, requires_grad=True, device=device)
    y = lib.index_fill(x, 1, lib.tensor([0, 0, 2], device=device), v)
    (y * lib.arange(6., dtype=lib.float64, device=device).reshape(2, 3)).sum().backward()
    return y, v.grad, x.grad


@case()
def eigvalsh_reads_the_upper_triangle(lib, device):
    a = lib.tensor([[1., 5.], [0., 2.]], dtype=lib.float64, device=device)
    values, vectors = lib.linalg.eigh(a, UPLO="U")
    return lib.linalg.eigvalsh(a, UPLO="U"), lib.linalg.eigvalsh(a), values, vectors.abs()


@case()
def integer_power_with_negative_exponents(lib, device):
    base = lib.tensor([2, 3, 1, -1, -1, 0, 5], device=device)
    exponent = lib.tensor([-1, -2, -5, -3, -2, 0, 2], device=device)
    return base ** exponent, lib.tensor([1, -1, 2], device=device) ** 3


@case("Integers to negative integer powers are not allowed")
def integer_tensor_to_a_negative_python_power(lib, device):
    return lib.tensor([1, -1, 2], device=device) ** -3


@case()
def zero_d_cumsum_and_index_select_stay_zero_d(lib, device):
    x = lib.tensor(2., device=device)
    return (lib.cumsum(x, 0), lib.index_select(x, 0, lib.tensor([0], device=device)), lib.cumprod(x, -1),
            lib.max(x, 0).values, lib.min(x, 0).indices, lib.argmax(x, 0), lib.gather(x, 0, lib.tensor(0, device=device)),
            lib.nonzero(x), lib.nonzero(lib.tensor(0., device=device)))


@case()
def relu6_and_hardtanh_keep_integer_dtypes(lib, device):
    x = lib.tensor([-3, 0, 9], device=device)
    F = lib.nn.functional
    return F.relu6(x), F.hardtanh(x, -1.5, 2.5), F.relu6(x.to(lib.int32))


@case()
def arange_with_a_float_end_and_integer_dtype(lib, device):
    return lib.arange(0.0, -8.000001, -4.0, dtype=lib.int64, device=device)


@case()
def uint8_index_is_a_mask(lib, device):
    x = lib.arange(3., device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x[lib.tensor([1, 0, 1], dtype=lib.uint8, device=device)]


@case()
def addmm_with_beta_zero_ignores_nan_input(lib, device):
    nan = lib.full((2, 2), float("nan"), device=device)
    a = lib.ones(2, 3, device=device)
    return lib.addmm(nan, a, a.t(), beta=0), lib.addmm(nan[0], a, a.t(), beta=0, alpha=2)


@case()
def tril_keeps_inf_out_of_the_masked_part(lib, device):
    x = lib.tensor([[1., float("inf")], [float("-inf"), 2.]], device=device)
    return lib.tril(x), lib.triu(x), lib.diag(lib.tensor([1., float("inf")], device=device))


@case()
def gather_scatter_take_int32_indices(lib, device):
    x = lib.arange(6., device=device).reshape(2, 3)
    index = lib.tensor([[2], [0]], dtype=lib.int32, device=device)
    return (lib.gather(x, 1, index), x.scatter(1, index, -1.0), x.scatter_add(1, index, lib.ones(2, 1, device=device)),
            x.index_select(1, index.reshape(-1)))


# ---- accepted where torch raises ----------------------------------------------------------------

@case("Index to scalar can have only 1 value")
def index_select_of_0_d_with_two_indices(lib, device):
    return lib.index_select(lib.tensor(2., device=device), 0, lib.tensor([0, 0], device=device))


@case("index out of range in self")
def embedding_negative_index(lib, device):
    return lib.nn.functional.embedding(lib.tensor([1, -1], device=device), lib.zeros(10, 3, device=device))


@case("out of")
def index_select_negative_index(lib, device):
    return lib.index_select(lib.arange(3., device=device), 0, lib.tensor([-1], device=device))


@case("out of bounds")
def index_add_negative_index(lib, device):
    return lib.zeros(2, 3, device=device).index_add(1, lib.tensor([-1], device=device), lib.ones(2, 1, device=device))


@case("ZeroDivisionError")
def integer_floor_division_by_zero(lib, device):
    return lib.tensor([1, 2], device=device) // lib.tensor([0, 1], device=device)


@case("ZeroDivisionError")
def integer_remainder_by_zero(lib, device):
    return lib.tensor([1, 2], device=device) % 0


@case("ZeroDivisionError")
def integer_div_trunc_by_zero(lib, device):
    return lib.div(lib.tensor([1, 2], device=device), lib.tensor([1, 0], device=device), rounding_mode="trunc")


@case("Overflow when unpacking long")
def python_int_beyond_int64(lib, device):
    return lib.tensor([2 ** 63], device=device)


@case("without overflow")
def python_int_beyond_uint8(lib, device):
    return lib.tensor([300], dtype=lib.uint8, device=device)


@case("should contain the same number of dims as destination")
def movedim_with_mismatched_lengths(lib, device):
    return lib.movedim(lib.zeros(2, 3, 4, device=device), (0, 1), (2,))


@case("should be equal to source.size(dim)")
def index_add_broadcasting_its_source(lib, device):
    return lib.index_add(lib.zeros(3, 2, device=device), 0, lib.tensor([0, 1], device=device),
                         lib.ones(1, 2, device=device))


@case("Expected self.dtype to be equal to src.dtype")
def scatter_add_mixing_dtypes(lib, device):
    return lib.scatter_add(lib.zeros(3, device=device), 0, lib.tensor([0, 1], device=device),
                           lib.ones(2, dtype=lib.float64, device=device))


@case("'weight' must be 2-D")
def embedding_with_a_3_d_weight(lib, device):
    return lib.nn.functional.embedding(lib.tensor([1], device=device), lib.zeros(4, 3, 2, device=device))


@case("can't be cast to the desired output type")
def out_of_another_dtype(lib, device):
    return lib.add(lib.ones(2, device=device), 1, out=lib.zeros(2, dtype=lib.int64, device=device))


@case("refer to a single memory location")
def out_partially_aliasing_the_input(lib, device):
    x = lib.ones(3, device=device)
    return lib.exp(x[:2], out=x[1:])


@case()
def out_that_is_the_input_itself(lib, device):
    x = lib.ones(3, device=device)
    lib.exp(x, out=x)
    return x


@case("Long or Byte")
def cross_entropy_with_int32_targets(lib, device):
    return lib.nn.functional.cross_entropy(lib.zeros(2, 3, device=device), lib.tensor([0, 1], dtype=lib.int32,
                                                                                      device=device))


@case("int64")
def index_fill_with_int32_index(lib, device):
    return lib.zeros(2, 3, device=device).index_fill(1, lib.tensor([0], dtype=lib.int32, device=device), 1.0)


@case("For integral input tensors, argument alpha must not be a floating point number")
def add_integers_with_float_alpha(lib, device):
    return lib.add(lib.tensor([1], device=device), lib.tensor([2], device=device), alpha=0.5)


@case("required rank 4 tensor to use channels_last format")
def channels_last_on_a_matrix(lib, device):
    return lib.ones(2, 3, device=device).to(memory_format=lib.channels_last)


@case()
def memory_formats_keep_values(lib, device):
    x = lib.arange(24., device=device).reshape(1, 2, 3, 4)
    return (x.to(memory_format=lib.channels_last), x.contiguous(memory_format=lib.contiguous_format),
            lib.zeros_like(x, memory_format=lib.preserve_format), x.clone(memory_format=lib.channels_last))


# ---- the runner -----------------------------------------------------------------------------------

def _outcome(lib, function, device):
    try:
        return "ok", function(lib, device)
    except Exception as error:  # noqa: BLE001  (the oracle compares whatever was raised)
        return "raised", error


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [item for part in value for item in _flat(part)]
    return [value]


def _compare(expected, actual, name):
    expected, actual = _flat(expected), _flat(actual)
    assert len(expected) == len(actual), f"{name}: torch returned {len(expected)} values, plexgrad {len(actual)}"
    for position, (wanted, found) in enumerate(zip(expected, actual)):
        label = f"{name}, value {position}"
        if isinstance(wanted, torch.Tensor):
            assert isinstance(found, plexgrad.Tensor), f"{label}: plexgrad returned {type(found).__name__}"
            assert str(found.dtype).split(".")[-1] == str(wanted.dtype).split(".")[-1], \
                f"{label}: dtype {found.dtype}, torch {wanted.dtype}"
            assert tuple(found.shape) == tuple(wanted.shape), f"{label}: shape {tuple(found.shape)}, torch " \
                                                              f"{tuple(wanted.shape)}"
            numpy.testing.assert_allclose(found.detach().cpu().numpy().astype(numpy.float64),
                                          wanted.detach().numpy().astype(numpy.float64), rtol=1e-5, atol=1e-6,
                                          err_msg=label)
        else:
            assert found == wanted, f"{label}: {found!r}, torch {wanted!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_torch(name, device):
    function, gist = CASES[name]
    expected = _outcome(torch, function, "cpu")
    actual = _outcome(plexgrad, function, device)
    if expected[0] == "raised":
        assert gist is not None and gist.lower() in str(expected[1]).lower(), \
            f"torch raised {type(expected[1]).__name__}: {expected[1]} (the case's gist is {gist!r})"
        assert actual[0] == "raised", f"torch raised {type(expected[1]).__name__}; plexgrad returned {actual[1]!r}"
        assert isinstance(actual[1], type(expected[1])), \
            f"torch raised {type(expected[1]).__name__}, plexgrad {type(actual[1]).__name__}: {actual[1]}"
        assert gist.lower() in str(actual[1]).lower(), f"torch's message says {gist!r}; plexgrad's: {actual[1]}"
        return
    assert gist is None, f"the case expects torch to raise ({gist!r}) but it returned {expected[1]!r}"
    assert actual[0] == "ok", f"torch returned {expected[1]!r}; plexgrad raised {type(actual[1]).__name__}: " \
                              f"{actual[1]}"
    _compare(expected[1], actual[1], name)
