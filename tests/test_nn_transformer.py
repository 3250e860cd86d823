"""nn.Transformer and its encoder/decoder layers and stacks against torch with copied weights,
on every backend: forward, gradients of inputs and every parameter, and a few SGD steps."""

import warnings

import pytest
import torch

import plexgrad
from jax_subset import only_subset_off_cpu
from torch_modules import assert_close, compare_module, copy_state, to_plexgrad

torch.manual_seed(4)
D_MODEL, HEADS, FEEDFORWARD = 8, 2, 16


def _randn(*shape, grad=True):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=grad)


def _activation(lib, name):
    return {"relu": "relu", "gelu": "gelu", "callable": lib.nn.functional.silu, "module": lib.nn.GELU()}[name]


def _pair(kind, activation="relu", **options):
    options.setdefault("dropout", 0.0)
    modules = []
    for lib in (torch, plexgrad):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = dict(options, activation=_activation(lib, activation))
            if kind == "Transformer":
                module = lib.nn.Transformer(D_MODEL, HEADS, 2, 2, FEEDFORWARD, **kwargs)
            elif kind in ("TransformerEncoder", "TransformerDecoder"):
                layer = getattr(lib.nn, kind + "Layer")(D_MODEL, HEADS, FEEDFORWARD, **kwargs)
                module = getattr(lib.nn, kind)(layer, 2, norm=lib.nn.LayerNorm(D_MODEL))
            else:
                module = getattr(lib.nn, kind)(D_MODEL, HEADS, FEEDFORWARD, **kwargs)
        modules.append(module.double() if lib is torch else module.to(dtype=plexgrad.float64))
    return modules


def _sequence(length, batch=3, batch_first=False):
    return _randn(batch, length, D_MODEL) if batch_first else _randn(length, batch, D_MODEL)


def _padding(length, batch=3):
    mask = torch.zeros(batch, length, dtype=torch.bool)
    mask[0, -2:] = True
    mask[2, -1] = True
    return mask


def _call_with(options):
    def call(module, arguments):
        lib = torch if isinstance(module, torch.nn.Module) else plexgrad
        extra = {key: (to_plexgrad(value, arguments[0].device, False) if lib is plexgrad and
                       isinstance(value, torch.Tensor) else value) for key, value in options.items()}
        return module(*arguments, **extra)
    return call


def _causal(length):
    return torch.nn.Transformer.generate_square_subsequent_mask(length, dtype=torch.float64)


ENCODER_LAYER_CASES = {
    "post_norm": (dict(), {}),
    "pre_norm_gelu": (dict(norm_first=True, activation="gelu"), {}),
    "callable_activation": (dict(activation="callable"), {}),
    "module_activation_batch_first": (dict(activation="module", batch_first=True), {}),
    "no_bias": (dict(bias=False), {}),
    "masks": (dict(), dict(src_mask=_causal(5), src_key_padding_mask=_padding(5))),
    "bool_mask": (dict(), dict(src_mask=_causal(5) != 0)),
    "causal_hint": (dict(), dict(src_mask=_causal(5), is_causal=True)),
}


@pytest.mark.parametrize("name", list(ENCODER_LAYER_CASES))
def test_encoder_layer_matches_torch(device, name):
    only_subset_off_cpu(device, name, {"pre_norm_gelu", "masks"})
    options, call_options = ENCODER_LAYER_CASES[name]
    torch_module, plexgrad_module = _pair("TransformerEncoderLayer", **dict(options))
    source = _sequence(5, batch_first=options.get("batch_first", False))
    compare_module(torch_module, plexgrad_module, device, (source,), call=_call_with(call_options))


DECODER_CASES = {
    "post_norm": (dict(), {}),
    "pre_norm_batch_first": (dict(norm_first=True, batch_first=True), {}),
    "gelu": (dict(activation="gelu"), {}),
    "masks": (dict(), dict(tgt_mask=_causal(4), memory_mask=torch.randn(4, 5, dtype=torch.float64),
                           tgt_key_padding_mask=_padding(4), memory_key_padding_mask=_padding(5))),
    "causal_hints": (dict(), dict(tgt_mask=_causal(4), tgt_is_causal=True)),
}


@pytest.mark.parametrize("name", list(DECODER_CASES))
@pytest.mark.parametrize("kind", ["TransformerDecoderLayer", "TransformerDecoder"])
def test_decoder_matches_torch(device, kind, name):
    only_subset_off_cpu(device, (kind, name), {("TransformerDecoderLayer", "masks"),
                                               ("TransformerDecoder", "pre_norm_batch_first")})
    options, call_options = DECODER_CASES[name]
    torch_module, plexgrad_module = _pair(kind, **dict(options))
    batch_first = options.get("batch_first", False)
    inputs = (_sequence(4, batch_first=batch_first), _sequence(5, batch_first=batch_first))
    compare_module(torch_module, plexgrad_module, device, inputs, call=_call_with(call_options))


ENCODER_CASES = {
    "plain": (dict(), {}),
    "causal_detected": (dict(), dict(mask=_causal(5))),
    "padding": (dict(batch_first=True), dict(src_key_padding_mask=_padding(5))),
    "pre_norm_masks": (dict(norm_first=True), dict(mask=_causal(5), src_key_padding_mask=_padding(5))),
}


@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_encoder_matches_torch(device, name):
    only_subset_off_cpu(device, name, {"padding"})
    options, call_options = ENCODER_CASES[name]
    torch_module, plexgrad_module = _pair("TransformerEncoder", **dict(options))
    source = _sequence(5, batch_first=options.get("batch_first", False))
    compare_module(torch_module, plexgrad_module, device, (source,), call=_call_with(call_options))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(device, batch_first, norm_first):
    only_subset_off_cpu(device, (batch_first, norm_first), {(True, False)})
    torch_module, plexgrad_module = _pair("Transformer", batch_first=batch_first, norm_first=norm_first)
    inputs = (_sequence(5, batch_first=batch_first), _sequence(4, batch_first=batch_first))
    options = dict(tgt_mask=_causal(4), src_key_padding_mask=_padding(5), tgt_key_padding_mask=_padding(4),
                   memory_key_padding_mask=_padding(5))
    compare_module(torch_module, plexgrad_module, device, inputs, call=_call_with(options))
    compare_module(torch_module, plexgrad_module, device, inputs)


def test_transformer_unbatched_and_eval_with_dropout(device):
    torch_module, plexgrad_module = _pair("Transformer", dropout=0.1)
    copy_state(torch_module, plexgrad_module, device)
    torch_module.eval()
    plexgrad_module.eval()
    source, target = _randn(5, D_MODEL, grad=False), _randn(4, D_MODEL, grad=False)
    assert_close(torch_module(source, target, tgt_mask=_causal(4)),
                 plexgrad_module(*to_plexgrad((source, target), device), tgt_mask=to_plexgrad(_causal(4), device)))


def test_encoder_inference_zeroes_padded_positions_like_torch(device):
    # torch's eval/no-grad path packs the padded batch and returns zeros at padded positions (before the
    # final norm); plexgrad gives the same result.
    torch_module, plexgrad_module = _pair("TransformerEncoder", batch_first=True)
    copy_state(torch_module, plexgrad_module, device)
    torch_module.eval()
    plexgrad_module.eval()
    source, padding = _randn(3, 5, D_MODEL, grad=False), _padding(5)
    with torch.no_grad():
        expected = torch_module(source, src_key_padding_mask=padding)
    with plexgrad.no_grad():
        actual = plexgrad_module(to_plexgrad(source, device), src_key_padding_mask=to_plexgrad(padding, device))
    assert_close(expected, actual)
    # With gradients wanted torch takes the plain path: padded positions are computed normally.
    actual = plexgrad_module(to_plexgrad(source, device), src_key_padding_mask=to_plexgrad(padding, device))
    assert_close(torch_module(source, src_key_padding_mask=padding), actual)


def test_generate_square_subsequent_mask_and_repr(device):
    for size in (1, 4):
        assert_close(torch.nn.Transformer.generate_square_subsequent_mask(size),
                     plexgrad.nn.Transformer.generate_square_subsequent_mask(size, device=device))
    assert_close(torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64),
                 plexgrad.nn.Transformer.generate_square_subsequent_mask(3, dtype=plexgrad.float64, device=device))
    torch_module, plexgrad_module = _pair("Transformer")
    assert repr(plexgrad_module) == repr(torch_module).replace("torch.", "plexgrad.")
    assert [(n, tuple(p.shape)) for n, p in plexgrad_module.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in torch_module.named_parameters()]


def test_nested_tensor_warning_like_torch():
    for lib in (torch, plexgrad):
        layer = lib.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD)
        with pytest.warns(UserWarning, match="encoder_layer.self_attn.batch_first was not True"):
            lib.nn.TransformerEncoder(layer, 2)


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.randn(5, 3, 8), lib.randn(4, 2, 8)),
    lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16, batch_first=True)(lib.randn(3, 5, 8), lib.randn(2, 4, 8)),
    lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.randn(5, 3, 8), lib.randn(4, 3, 6)),
    lambda lib: lib.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
])
def test_bad_input_raises_like_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as torch_error:
            case(torch)
        with pytest.raises(type(torch_error.value)) as plexgrad_error:
            case(plexgrad)
    assert str(plexgrad_error.value) == str(torch_error.value)
