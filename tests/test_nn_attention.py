"""F.scaled_dot_product_attention and nn.MultiheadAttention against torch, on every backend:
values, gradients of every input and parameter, and (for the module) a few SGD steps."""

import warnings

import numpy as np
import pytest
import torch

import plexgrad
from jax_subset import only_subset_off_cpu
from torch_modules import assert_close, compare_module, loss_weights, to_plexgrad, weighted_loss

torch.manual_seed(3)


def _randn(*shape, grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


def _lib_of(value):
    return torch if isinstance(value, torch.Tensor) else plexgrad


def _compare_function(function, torch_inputs, device, rtol=1e-7, atol=1e-9):
    """``function(lib, *inputs)`` under torch and plexgrad: values and every input's gradient."""
    plexgrad_inputs = to_plexgrad(torch_inputs, device)
    torch_output = function(torch, *torch_inputs)
    plexgrad_output = function(plexgrad, *plexgrad_inputs)
    assert_close(torch_output, plexgrad_output, rtol, atol, "forward")
    weights = loss_weights(torch_output)
    weighted_loss(torch_output, [torch.tensor(w) for w in weights]).backward()
    weighted_loss(plexgrad_output, [plexgrad.tensor(w, device=device) for w in weights]).backward()
    for index, (expected, actual) in enumerate(zip(torch_inputs, plexgrad_inputs)):
        if isinstance(expected, torch.Tensor) and expected.requires_grad:
            assert_close(expected.grad, actual.grad, rtol, atol, f"grad of input {index}")


def _sdpa(lib, *args, **kwargs):
    return lib.nn.functional.scaled_dot_product_attention(*args, **kwargs)


def _bool_mask(*shape, fully_masked_row=None):
    mask = torch.rand(*shape) > 0.4
    mask[..., 0] = True
    if fully_masked_row is not None:
        mask[..., fully_masked_row, :] = False
    return mask


SDPA_CASES = {
    "4d": lambda: ((_randn(2, 3, 4, 8), _randn(2, 3, 6, 8), _randn(2, 3, 6, 5)), {}),
    "3d": lambda: ((_randn(3, 4, 8), _randn(3, 6, 8), _randn(3, 6, 5)), {}),
    "2d": lambda: ((_randn(4, 8), _randn(6, 8), _randn(6, 5)), {}),
    "broadcast_heads": lambda: ((_randn(2, 3, 4, 8), _randn(2, 1, 6, 8), _randn(2, 1, 6, 5)), {}),
    "bool_mask": lambda: ((_randn(2, 3, 4, 8), _randn(2, 3, 6, 8), _randn(2, 3, 6, 5), _bool_mask(4, 6)), {}),
    "bool_mask_fully_masked_row": lambda: ((_randn(2, 3, 4, 8), _randn(2, 3, 6, 8), _randn(2, 3, 6, 5),
                                            _bool_mask(2, 1, 4, 6, fully_masked_row=2)), {}),
    "float_mask": lambda: ((_randn(2, 3, 4, 8), _randn(2, 3, 6, 8), _randn(2, 3, 6, 5), _randn(2, 3, 4, 6)), {}),
    "float_mask_with_inf": lambda: ((_randn(2, 3, 4, 8), _randn(2, 3, 6, 8), _randn(2, 3, 6, 5),
                                     torch.where(_bool_mask(4, 6, fully_masked_row=1), 0.0,
                                                 float("-inf")).double()), {}),
    "causal_square": lambda: ((_randn(2, 3, 5, 8), _randn(2, 3, 5, 8), _randn(2, 3, 5, 4)), dict(is_causal=True)),
    "causal_wide": lambda: ((_randn(2, 4, 8), _randn(2, 6, 8), _randn(2, 6, 4)), dict(is_causal=True)),
    "causal_tall": lambda: ((_randn(2, 6, 8), _randn(2, 4, 8), _randn(2, 4, 4)), dict(is_causal=True)),
    "scale": lambda: ((_randn(2, 3, 4, 8), _randn(2, 3, 6, 8), _randn(2, 3, 6, 5)), dict(scale=0.3)),
    "gqa_one_kv_head": lambda: ((_randn(2, 4, 5, 8), _randn(2, 1, 6, 8), _randn(2, 1, 6, 3)), dict(enable_gqa=True)),
    "gqa_two_kv_heads": lambda: ((_randn(2, 4, 5, 8), _randn(2, 2, 6, 8), _randn(2, 2, 6, 3)),
                                 dict(enable_gqa=True)),
}


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_scaled_dot_product_attention_matches_torch(device, name):
    inputs, options = SDPA_CASES[name]()
    _compare_function(lambda lib, *args: _sdpa(lib, *args, **options), inputs, device)


def test_sdpa_dropout(device):
    q, k, v = (plexgrad.randn(2, 3, 4, 8, device=device) for _ in range(3))
    plain = _sdpa(plexgrad, q, k, v).cpu().numpy()
    dropped = _sdpa(plexgrad, q, k, v, dropout_p=0.5).cpu().numpy()
    assert not np.allclose(plain, dropped)
    assert float(_sdpa(plexgrad, q, k, v, dropout_p=1.0).abs().max()) == 0.0  # as torch: all weights dropped
    # Dropout rescales the survivors by 1 / (1 - p): the mean over many draws approaches the plain result.
    repeated = [_sdpa(plexgrad, q, k, v, dropout_p=0.3) for _ in range(400)]
    mean = plexgrad.stack(repeated).mean(dim=0).cpu().numpy()
    assert np.abs(mean - plain).mean() < 0.05


@pytest.mark.parametrize("case", [
    lambda lib: _sdpa(lib, lib.randn(2, 4, 8), lib.randn(2, 6, 8), lib.randn(2, 6, 8),
                      attn_mask=lib.ones(4, 6, dtype=lib.bool), is_causal=True),
    lambda lib: _sdpa(lib, lib.randn(2, 4, 8, dtype=lib.float64), lib.randn(2, 6, 8), lib.randn(2, 6, 8)),
    lambda lib: _sdpa(lib, lib.randn(2, 4, 8), lib.randn(2, 6, 8), lib.randn(2, 6, 8),
                      attn_mask=lib.ones(4, 6, dtype=lib.int64)),
    lambda lib: _sdpa(lib, lib.randn(1, 3, 4, 8), lib.randn(1, 2, 6, 8), lib.randn(1, 2, 6, 8), enable_gqa=True),
])
def test_sdpa_bad_input_raises_like_torch(case):
    with pytest.raises(Exception) as torch_error:
        case(torch)
    with pytest.raises(type(torch_error.value)) as plexgrad_error:
        case(plexgrad)
    assert str(torch_error.value).strip() in str(plexgrad_error.value)


def _mha_pair(*args, **kwargs):
    return (torch.nn.MultiheadAttention(*args, **kwargs).double(),
            plexgrad.nn.MultiheadAttention(*args, dtype=plexgrad.float64, **kwargs))


def _qkv(target=4, source=6, batch=2, embed=8, kdim=None, vdim=None, batch_first=False, unbatched=False):
    def shape(length, size):
        if unbatched:
            return (length, size)
        return (batch, length, size) if batch_first else (length, batch, size)
    return (_randn(*shape(target, embed)), _randn(*shape(source, kdim or embed)), _randn(*shape(source, vdim or embed)))


def _padding(batch=2, source=6, as_float=False):
    mask = torch.zeros(batch, source, dtype=torch.bool)
    mask[0, -2:] = True
    mask[1, 1] = True
    return torch.where(mask, float("-inf"), 0.0).double() if as_float else mask


MHA_CASES = {
    "default": lambda: (dict(), _qkv(), {}),
    "batch_first": lambda: (dict(batch_first=True), _qkv(batch_first=True), {}),
    "kdim_vdim": lambda: (dict(kdim=3, vdim=5), _qkv(kdim=3, vdim=5), {}),
    "kdim_vdim_batch_first": lambda: (dict(kdim=3, vdim=5, batch_first=True), _qkv(kdim=3, vdim=5, batch_first=True),
                                      {}),
    "no_bias": lambda: (dict(bias=False), _qkv(), {}),
    "bias_kv": lambda: (dict(add_bias_kv=True), _qkv(), dict(key_padding_mask=_padding())),
    "zero_attn": lambda: (dict(add_zero_attn=True), _qkv(), dict(attn_mask=_bool_mask(4, 6).logical_not())),
    "bias_kv_zero_attn": lambda: (dict(add_bias_kv=True, add_zero_attn=True), _qkv(), {}),
    "key_padding_bool": lambda: (dict(), _qkv(), dict(key_padding_mask=_padding())),
    "key_padding_float": lambda: (dict(), _qkv(), dict(key_padding_mask=_padding(as_float=True))),
    "attn_mask_2d_bool": lambda: (dict(), _qkv(), dict(attn_mask=_bool_mask(4, 6).logical_not())),
    "attn_mask_3d_float": lambda: (dict(), _qkv(), dict(attn_mask=_randn(2 * 2, 4, 6, grad=False))),
    "both_masks": lambda: (dict(), _qkv(), dict(attn_mask=_randn(4, 6, grad=False),
                                                key_padding_mask=_padding(as_float=True))),
    "no_weights": lambda: (dict(), _qkv(), dict(need_weights=False, key_padding_mask=_padding())),
    "no_weights_mask_3d": lambda: (dict(), _qkv(), dict(need_weights=False,
                                                        attn_mask=_randn(2 * 2, 4, 6, grad=False))),
    "per_head_weights": lambda: (dict(), _qkv(), dict(average_attn_weights=False)),
    "unbatched": lambda: (dict(), _qkv(unbatched=True), dict(key_padding_mask=torch.tensor([0, 0, 1, 0, 0, 1]).bool())),
    "unbatched_mask_3d": lambda: (dict(), _qkv(unbatched=True), dict(attn_mask=_randn(2, 4, 6, grad=False))),
    "causal_hint": lambda: (dict(), _qkv(source=4), dict(need_weights=False, is_causal=True,
                                                         attn_mask=torch.nn.Transformer.generate_square_subsequent_mask(
                                                             4, dtype=torch.float64))),
    "one_head": lambda: (dict(num_heads=1), _qkv(), {}),
}


@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multihead_attention_matches_torch(device, name):
    only_subset_off_cpu(device, name, {"kdim_vdim_batch_first", "bias_kv_zero_attn", "both_masks", "no_weights",
                                       "unbatched", "causal_hint"})
    options, inputs, call_options = MHA_CASES[name]()
    heads = options.pop("num_heads", 2)
    torch_module, plexgrad_module = _mha_pair(8, heads, **options)

    def call(module, arguments):
        lib = torch if isinstance(module, torch.nn.Module) else plexgrad
        masks = {key: to_plexgrad(value, arguments[0].device, False) if lib is plexgrad else value
                 for key, value in call_options.items()}
        return module(*arguments, **masks)

    compare_module(torch_module, plexgrad_module, device, inputs, call=call)


def test_multihead_attention_fully_masked_row_gives_nan_weights_like_torch(device):
    torch_module, plexgrad_module = _mha_pair(8, 2)
    from torch_modules import copy_state
    copy_state(torch_module, plexgrad_module, device)
    inputs = _qkv()
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[1] = True
    for need_weights in (True, False):
        expected = torch_module(*inputs, attn_mask=mask, need_weights=need_weights)
        actual = plexgrad_module(*to_plexgrad(inputs, device), attn_mask=to_plexgrad(mask, device),
                                 need_weights=need_weights)
        assert_close(expected, actual)


def test_multihead_attention_dropout_and_eval(device):
    torch_module, plexgrad_module = _mha_pair(8, 2, dropout=0.5)
    from torch_modules import copy_state
    copy_state(torch_module, plexgrad_module, device)
    inputs = to_plexgrad(_qkv(), device, False)
    first, second = plexgrad_module(*inputs)[0], plexgrad_module(*inputs)[0]
    assert not np.allclose(first.detach().cpu().numpy(), second.detach().cpu().numpy())
    torch_module.eval()
    plexgrad_module.eval()
    torch_inputs = _qkv()
    with torch.no_grad():
        expected = torch_module(*torch_inputs)
    assert_close(expected, plexgrad_module(*to_plexgrad(torch_inputs, device, False)))


def test_multihead_attention_parameters_init_and_repr():
    for options in (dict(), dict(kdim=3, vdim=5), dict(bias=False, add_bias_kv=True)):
        torch_module, plexgrad_module = _mha_pair(8, 2, **options)
        assert [(n, tuple(p.shape)) for n, p in plexgrad_module.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in torch_module.named_parameters()]
        assert repr(plexgrad_module) == repr(torch_module)
    module = plexgrad.nn.MultiheadAttention(64, 4)
    assert float(module.in_proj_bias.abs().max()) == 0 and float(module.out_proj.bias.abs().max()) == 0
    bound = (6 / (64 + 3 * 64)) ** 0.5  # xavier_uniform_ over the packed (3E, E) weight, as torch
    weight = module.in_proj_weight.detach().numpy()
    assert weight.max() <= bound and weight.max() > 0.95 * bound


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.MultiheadAttention(8, 3),
    lambda lib: lib.nn.MultiheadAttention(0, 2),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.randn(4, 2, 8), lib.randn(6, 8), lib.randn(6, 8)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.randn(4, 2, 8), lib.randn(6, 2, 8), lib.randn(6, 2, 8),
                                                attn_mask=lib.zeros(4, 5)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.randn(4, 2, 8), lib.randn(6, 2, 8), lib.randn(6, 2, 8),
                                                key_padding_mask=lib.zeros(2, 5, dtype=lib.bool)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.randn(4, 2, 8), lib.randn(6, 2, 8), lib.randn(6, 2, 8),
                                                attn_mask=lib.zeros(4, 6, dtype=lib.int64)),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.randn(4, 2, 8), lib.randn(6, 2, 8), lib.randn(6, 2, 8),
                                                is_causal=True),
    lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.randn(4, 2, 6), lib.randn(6, 2, 6), lib.randn(6, 2, 6)),
])
def test_multihead_attention_bad_input_raises_like_torch(case):
    with pytest.raises(Exception) as torch_error:
        case(torch)
    with pytest.raises(type(torch_error.value)) as plexgrad_error:
        case(plexgrad)
    assert str(plexgrad_error.value).replace("plexgrad.Size", "torch.Size") == str(torch_error.value)


def test_mismatched_mask_types_warn_like_torch():
    for lib in (torch, plexgrad):
        module = lib.nn.MultiheadAttention(8, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module(lib.randn(4, 2, 8), lib.randn(6, 2, 8), lib.randn(6, 2, 8), attn_mask=lib.zeros(4, 6),
                   key_padding_mask=lib.zeros(2, 6, dtype=lib.bool))
        assert any("Support for mismatched key_padding_mask and attn_mask is deprecated" in str(w.message)
                   for w in caught), lib
