"""Image layers compared with torch by copying weights: forward, gradients of input and parameters,
running statistics, on every backend: Conv3d, ConvTranspose1d/2d/3d, InstanceNorm1d/2d/3d, RMSNorm,
PixelShuffle/PixelUnshuffle, Fold/Unfold and F.interpolate / Upsample."""

import numpy
import pytest
import torch

import plexgrad
from torch_compare import compare_functions, compare_modules

F = plexgrad.nn.functional


def random(*shape, seed=0):
    return numpy.random.default_rng(seed).standard_normal(shape)


def both(name, *args, **kwargs):
    """The plexgrad and torch layers of one name, built with the same arguments."""
    torch.manual_seed(0)
    return getattr(plexgrad.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


# ---- convolutions -------------------------------------------------------------------------------
CONV3D_CASES = [
    dict(args=(2, 3, 3), shape=(2, 2, 5, 6, 5)),
    dict(args=(2, 4, (2, 3, 1)), kwargs=dict(stride=(2, 1, 2), padding=(1, 0, 2)), shape=(1, 2, 6, 5, 7)),
    dict(args=(4, 2, 2), kwargs=dict(dilation=(2, 1, 2), groups=2, bias=False), shape=(2, 4, 6, 4, 5)),
    dict(args=(2, 2, 3), kwargs=dict(padding="same", dilation=2), shape=(1, 2, 5, 5, 5)),
    dict(args=(2, 3, 2), kwargs=dict(padding=1, padding_mode="circular"), shape=(1, 2, 3, 4, 3)),
    dict(args=(3, 2, 2), kwargs=dict(padding=1, padding_mode="reflect"), shape=(3, 3, 4, 4)),  # unbatched
]


@pytest.mark.parametrize("case", CONV3D_CASES, ids=lambda case: str(case["args"]) + str(case.get("kwargs", "")))
def test_conv3d_matches_torch(device, case):
    ours, theirs = both("Conv3d", *case["args"], **case.get("kwargs", {}))
    compare_modules(ours, theirs, random(*case["shape"]), device)


TRANSPOSE_CASES = [
    ("ConvTranspose1d", (2, 3, 3), dict(stride=2, padding=1, output_padding=1), (2, 2, 5)),
    ("ConvTranspose1d", (4, 2, 2), dict(groups=2, dilation=3, bias=False), (4, 6)),
    ("ConvTranspose2d", (2, 3, (3, 2)), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)), (2, 2, 4, 3)),
    ("ConvTranspose2d", (4, 6, 3), dict(groups=2, dilation=2, stride=2, output_padding=1), (1, 4, 3, 3)),
    ("ConvTranspose3d", (2, 3, 3), dict(), (2, 2, 3, 4, 3)),
    ("ConvTranspose3d", (2, 3, (2, 3, 2)), dict(stride=(2, 1, 3), padding=(1, 1, 0), output_padding=(1, 0, 2)),
     (1, 2, 3, 4, 2)),
    ("ConvTranspose3d", (4, 2, 2), dict(groups=2, dilation=(2, 1, 3), stride=3, output_padding=(1, 2, 0),
                                        bias=False), (2, 4, 2, 3, 2)),
    ("ConvTranspose3d", (3, 2, 2), dict(stride=2, padding=1), (3, 3, 2, 4)),  # unbatched
]


@pytest.mark.parametrize("name, args, kwargs, shape", TRANSPOSE_CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(TRANSPOSE_CASES)])
def test_transposed_convolutions_match_torch(device, name, args, kwargs, shape):
    ours, theirs = both(name, *args, **kwargs)
    compare_modules(ours, theirs, random(*shape), device)


def test_conv_transpose3d_output_size_and_float32(device):
    ours, theirs = both("ConvTranspose3d", 2, 2, 3, stride=2)
    array = random(1, 2, 2, 3, 2)
    compare_modules(ours, theirs, array, device, dtype_name="float32")
    x = plexgrad.tensor(array, dtype=plexgrad.float32, device=device)
    assert list(ours(x, output_size=[6, 8, 6]).shape) == list(theirs(torch.tensor(array).float(),
                                                                         output_size=[6, 8, 6]).shape)


def test_conv3d_double_backward(device):
    # the composite is differentiable again: d/dw of (d/dx of sum(conv(x, w)**2))
    x_array, w_array = random(1, 2, 4, 4, 4, seed=1), random(3, 2, 2, 2, 2, seed=2)

    def second(lib, x, w):
        out = lib.nn.functional.conv3d(x, w, stride=(1, 2, 1), padding=1)
        (grad_x,) = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        return grad_x

    compare_functions(lambda x, w: second(plexgrad, x, w), lambda x, w: second(torch, x, w), [x_array, w_array], device)


def test_conv3d_errors_like_torch(device):
    weight = plexgrad.ones(2, 3, 2, 2, 2, device=device)
    with pytest.raises(RuntimeError, match="expected input.* to have 3 channels, but got 2 channels"):
        F.conv3d(plexgrad.ones(1, 2, 4, 4, 4, device=device), weight)
    with pytest.raises(RuntimeError, match=r"Expected 4D \(unbatched\) or 5D \(batched\) input to conv3d"):
        F.conv3d(plexgrad.ones(3, 4, 4, device=device), weight)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv3d(plexgrad.ones(1, 3, 1, 4, 4, device=device), weight)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose3d(plexgrad.ones(1, 2, 2, 2, 2, device=device), weight, output_padding=1)
    with pytest.raises(RuntimeError, match="expected a floating point input"):
        F.conv3d(plexgrad.ones(1, 3, 4, 4, 4, dtype=plexgrad.int64, device=device), weight)


# ---- normalization ------------------------------------------------------------------------------
INSTANCE_CASES = [
    ("InstanceNorm1d", dict(), (2, 3, 5)),
    ("InstanceNorm1d", dict(affine=True), (3, 6)),
    ("InstanceNorm2d", dict(affine=True, track_running_stats=True, momentum=0.3), (2, 3, 4, 5)),
    ("InstanceNorm2d", dict(track_running_stats=True, momentum=None), (2, 3, 3, 3)),
    ("InstanceNorm3d", dict(affine=True, eps=1e-3), (2, 3, 2, 3, 4)),
    ("InstanceNorm3d", dict(track_running_stats=True), (3, 2, 3, 2)),
]


@pytest.mark.parametrize("name, kwargs, shape", INSTANCE_CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(INSTANCE_CASES)])
def test_instance_norm_matches_torch_in_train_and_eval(device, name, kwargs, shape):
    ours, theirs = both(name, 3, **kwargs)
    if ours.weight is not None:  # non-trivial affine parameters
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(random(3, seed=5)))
            theirs.bias.copy_(torch.tensor(random(3, seed=6)))
    compare_modules(ours, theirs, random(*shape), device, training=True, steps=2)
    compare_modules(ours, theirs, random(*shape, seed=3) * 2 + 1, device, training=False)
    assert repr(ours) == repr(theirs)


def test_instance_norm_errors(device):
    layer = plexgrad.nn.InstanceNorm2d(3, affine=True).to(device)
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        layer(plexgrad.ones(3, 4, device=device))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\), but got: 2"):
        layer(plexgrad.ones(1, 2, 4, 4, device=device))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(plexgrad.ones(2, 3, 1, device=device))


RMS_CASES = [((5,), dict(), (3, 5)), ((3, 4), dict(eps=1e-3), (2, 2, 3, 4)), (4, dict(elementwise_affine=False), (4,))]


@pytest.mark.parametrize("shape_argument, kwargs, shape", RMS_CASES)
@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_rms_norm_matches_torch(device, shape_argument, kwargs, shape, dtype_name):
    ours, theirs = both("RMSNorm", shape_argument, **kwargs)
    if theirs.weight is not None:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(random(*theirs.weight.shape, seed=4)))
    # small values: the default eps (the dtype's machine epsilon) matters
    compare_modules(ours, theirs, random(*shape) * 1e-4, device, dtype_name=dtype_name)
    assert repr(ours) == repr(theirs)
    assert sorted(dict(ours.named_parameters())) == sorted(dict(theirs.named_parameters()))


def test_rms_norm_shape_error(device):
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\]"):
        F.rms_norm(plexgrad.ones(2, 3, device=device), [4])


# ---- pixel shuffle, fold and unfold --------------------------------------------------------------
@pytest.mark.parametrize("shape, factor", [((1, 8, 2, 3), 2), ((2, 3, 9, 1, 2), 3), ((4, 2, 2), 2)])
def test_pixel_shuffle_and_unshuffle_match_torch(device, shape, factor):
    ours, theirs = both("PixelShuffle", factor)
    ours_out, _ = compare_modules(ours, theirs, random(*shape), device)
    ours, theirs = both("PixelUnshuffle", factor)
    compare_modules(ours, theirs, host_array(ours_out), device)
    assert repr(ours) == repr(theirs)


def host_array(tensor):
    return numpy.asarray(tensor.detach().cpu().numpy())


def test_pixel_shuffle_errors(device):
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor, but input.size\\(-3\\)=3"):
        F.pixel_shuffle(plexgrad.ones(1, 3, 2, 2, device=device), 2)
    with pytest.raises(RuntimeError, match="expects input to have at least 3 dimensions"):
        F.pixel_shuffle(plexgrad.ones(4, 2, device=device), 2)
    with pytest.raises(RuntimeError, match="height to be divisible by downscale_factor"):
        F.pixel_unshuffle(plexgrad.ones(1, 1, 3, 4, device=device), 2)


UNFOLD_CASES = [((2, 3, 5, 6), dict(kernel_size=2)),
                ((1, 2, 7, 6), dict(kernel_size=(3, 2), dilation=(2, 1), padding=(1, 2), stride=(2, 3))),
                ((3, 6, 5), dict(kernel_size=3, padding=1))]


@pytest.mark.parametrize("shape, kwargs", UNFOLD_CASES)
def test_unfold_and_fold_match_torch(device, shape, kwargs):
    ours, theirs = both("Unfold", **kwargs)
    ours_blocks, _ = compare_modules(ours, theirs, random(*shape), device)
    ours, theirs = both("Fold", output_size=shape[-2:], **kwargs)
    compare_modules(ours, theirs, random(*ours_blocks.shape, seed=2), device)
    assert repr(ours) == repr(theirs)


def test_fold_unfold_errors(device):
    with pytest.raises(RuntimeError, match="Only 3D or 4D input Tensors are supported"):
        F.unfold(plexgrad.ones(4, 4, device=device), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(plexgrad.ones(1, 5, 4, device=device), (3, 3), 2)
    with pytest.raises(RuntimeError, match="match the calculated number of sliding blocks"):
        F.fold(plexgrad.ones(1, 4, 5, device=device), (3, 3), 2)


# ---- interpolation ---------------------------------------------------------------------------------
INTERPOLATE_CASES = [
    ((1, 2, 5), dict(scale_factor=2, mode="nearest")),
    ((1, 2, 5), dict(size=3, mode="nearest")),
    ((2, 1, 7), dict(size=12, mode="nearest")),
    ((1, 2, 5, 4), dict(scale_factor=(1.7, 0.6), mode="nearest")),
    ((1, 1, 6, 7), dict(size=(4, 11), mode="nearest-exact")),
    ((1, 2, 5), dict(scale_factor=2.5, mode="nearest-exact")),
    ((2, 2, 5), dict(scale_factor=2, mode="linear")),
    ((1, 2, 5), dict(size=8, mode="linear", align_corners=True)),
    ((1, 2, 7), dict(size=3, mode="linear")),
    ((1, 2, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((2, 1, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.3, mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=(2, 3), mode="bicubic")),
    ((1, 1, 5, 4), dict(size=(3, 9), mode="bicubic", align_corners=True)),
    ((1, 1, 6, 6), dict(size=(4, 4), mode="bicubic")),
    ((1, 2, 3, 4, 2), dict(scale_factor=2, mode="trilinear")),
    ((1, 1, 3, 4, 5), dict(size=(5, 2, 7), mode="trilinear", align_corners=True)),
    ((1, 2, 3, 4, 2), dict(size=(6, 5, 3), mode="nearest")),
    ((1, 2, 6, 9), dict(size=(3, 4), mode="area")),
    ((1, 2, 7), dict(scale_factor=0.5, mode="area")),
]


@pytest.mark.parametrize("shape, kwargs", INTERPOLATE_CASES, ids=[f"{c[1]['mode']}-{i}" for i, c in
                                                                  enumerate(INTERPOLATE_CASES)])
def test_interpolate_matches_torch(device, shape, kwargs):
    compare_functions(lambda x: F.interpolate(x, **kwargs), lambda x: torch.nn.functional.interpolate(x, **kwargs),
                      [random(*shape)], device)


# float32: torch computes source positions and weights in float, which these cases are sensitive to
FLOAT32_CASES = [INTERPOLATE_CASES[index] for index in (3, 5, 8, 12, 15, 17)]


@pytest.mark.parametrize("shape, kwargs", FLOAT32_CASES, ids=[case[1]["mode"] for case in FLOAT32_CASES])
def test_interpolate_float32_matches_torch(device, shape, kwargs):
    compare_functions(lambda x: F.interpolate(x, **kwargs), lambda x: torch.nn.functional.interpolate(x, **kwargs),
                      [random(*shape)], device, "float32")


@pytest.mark.parametrize("input_size, scale", [(7, 1 / 3), (10, 0.3), (9, 1.1), (13, 2.9), (6, 0.7)])
def test_nearest_indices_follow_torchs_float_arithmetic(device, input_size, scale):
    # scale factors whose reciprocal is inexact: the source index is a floor of a float32 product
    for mode in ("nearest", "nearest-exact"):
        array = numpy.arange(input_size, dtype=numpy.float32).reshape(1, 1, input_size)
        ours = F.interpolate(plexgrad.tensor(array, device=device), scale_factor=scale, mode=mode)
        theirs = torch.nn.functional.interpolate(torch.tensor(array), scale_factor=scale, mode=mode)
        assert host_array(ours).tolist() == theirs.numpy().tolist(), mode


def test_interpolate_nearest_keeps_integer_dtypes(device):
    array = numpy.arange(12, dtype=numpy.uint8).reshape(1, 1, 3, 4)
    ours = F.interpolate(plexgrad.tensor(array, device=device), scale_factor=2)
    theirs = torch.nn.functional.interpolate(torch.tensor(array), scale_factor=2)
    assert ours.dtype == plexgrad.uint8
    assert host_array(ours).tolist() == theirs.numpy().tolist()


@pytest.mark.parametrize("layer, kwargs", [("Upsample", dict(scale_factor=2, mode="bilinear")),
                                           ("Upsample", dict(size=(5, 3), mode="nearest")),
                                           ("UpsamplingNearest2d", dict(scale_factor=3)),
                                           ("UpsamplingBilinear2d", dict(size=(6, 7)))])
def test_upsample_layers_match_torch(device, layer, kwargs):
    ours, theirs = both(layer, **kwargs)
    compare_modules(ours, theirs, random(2, 2, 3, 4), device)
    assert repr(ours) == repr(theirs)


INTERPOLATE_ERRORS = [
    ((1, 1, 4), dict(size=2, scale_factor=2), ValueError, "only one of size or scale_factor should be defined"),
    ((1, 1, 4), dict(), ValueError, "either size or scale_factor should be defined"),
    ((1, 1, 4), dict(size=(2, 2)), ValueError, "same number of spatial dimensions"),
    ((1, 1, 4), dict(size=3, align_corners=True), ValueError, "align_corners option can only be set with the"),
    ((1, 1, 4), dict(size=3, recompute_scale_factor=True), ValueError, "recompute_scale_factor is not meaningful"),
    ((1, 1, 4), dict(size=3, mode="bilinear"), NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    ((1, 1, 4, 4), dict(size=3, mode="linear"), NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
    ((4, 4), dict(size=3), NotImplementedError, "Only 3D, 4D and 5D input Tensors supported"),
]


@pytest.mark.parametrize("shape, kwargs, error, message", INTERPOLATE_ERRORS)
def test_interpolate_errors_like_torch(device, shape, kwargs, error, message):
    with pytest.raises(error, match=message):
        torch.nn.functional.interpolate(torch.ones(shape), **kwargs)
    with pytest.raises(error, match=message):
        F.interpolate(plexgrad.ones(*shape, device=device), **kwargs)


INTEGER_INPUT_CASES = [
    ("unfold", lambda lib, x: lib.nn.functional.unfold(x, 2), (1, 1, 3, 3)),
    ("fold", lambda lib, x: lib.nn.functional.fold(x, 3, 2), (1, 4, 4)),
    ("linear", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="linear"), (1, 1, 3)),
    ("bicubic", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="bicubic"), (1, 1, 3, 3)),
    ("rms_norm", lambda lib, x: lib.nn.functional.rms_norm(x, [3]), (2, 3)),
]


@pytest.mark.parametrize("name, function, shape", INTEGER_INPUT_CASES, ids=[case[0] for case in INTEGER_INPUT_CASES])
def test_integer_inputs_are_refused_like_torch(device, name, function, shape):
    with pytest.raises(NotImplementedError) as theirs:
        function(torch, torch.ones(shape, dtype=torch.long))
    gist = str(theirs.value)
    with pytest.raises(NotImplementedError) as ours:
        function(plexgrad, plexgrad.ones(*shape, dtype=plexgrad.int64, device=device))
    assert gist in str(ours.value)
