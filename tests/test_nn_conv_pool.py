"""Convolution and pooling on every backend against naive numpy loops: values,
gradients (central differences in float64), double backward, torch's errors, and
the layers' parameters, initialisation and repr."""

import importlib.util
import itertools
import math

import numpy
import pytest

import plexgrad
import plexgrad.nn.functional as F
from plexgrad import nn

RNG = numpy.random.default_rng(1234)


# ---- naive references ----------------------------------------------------------------------
def padding_pairs(padding, kernel, dilation):
    if padding == "same":
        totals = [step * (size - 1) for step, size in zip(dilation, kernel)]
        return [(total // 2, total - total // 2) for total in totals]
    if padding == "valid":
        return [(0, 0), (0, 0)]
    padding = (padding, padding) if isinstance(padding, int) else padding
    return [(padding[0], padding[0]), (padding[1], padding[1])]


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def reference_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = pair(stride), pair(dilation)
    out_channels, group_channels, kh, kw = w.shape
    pads = padding_pairs(padding, (kh, kw), dilation)
    padded = numpy.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    out_h = (padded.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (padded.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    result = numpy.zeros((x.shape[0], out_channels, out_h, out_w))
    per_group = out_channels // groups
    for group, p, q in itertools.product(range(groups), range(kh), range(kw)):
        # the input pixel each output position sees through kernel tap (p, q)
        seen = padded[:, group * group_channels:(group + 1) * group_channels,
                      p * dilation[0]:p * dilation[0] + stride[0] * (out_h - 1) + 1:stride[0],
                      q * dilation[1]:q * dilation[1] + stride[1] * (out_w - 1) + 1:stride[1]]
        taps = w[group * per_group:(group + 1) * per_group, :, p, q]
        result[:, group * per_group:(group + 1) * per_group] += numpy.einsum("nchw,oc->nohw", seen, taps)
    if b is not None:
        result += b.reshape(1, -1, 1, 1)
    return result


def pool_geometry(extent, kernel, stride, pad, dilation, ceil_mode):
    span = extent + 2 * pad - dilation * (kernel - 1) - 1
    count = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= extent + pad:
        count -= 1
    return count


def reference_max_pool2d(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    kernel = pair(kernel)
    stride = kernel if stride is None else pair(stride)
    padding, dilation = pair(padding), pair(dilation)
    height, width = x.shape[-2:]
    out_h = pool_geometry(height, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    out_w = pool_geometry(width, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    values = numpy.zeros(x.shape[:2] + (out_h, out_w), dtype=x.dtype)
    indices = numpy.zeros(x.shape[:2] + (out_h, out_w), dtype=numpy.int64)
    for n, c, i, j in itertools.product(range(x.shape[0]), range(x.shape[1]), range(out_h), range(out_w)):
        best, where = -numpy.inf, None
        for p, q in itertools.product(range(kernel[0]), range(kernel[1])):
            row = i * stride[0] - padding[0] + p * dilation[0]
            col = j * stride[1] - padding[1] + q * dilation[1]
            if 0 <= row < height and 0 <= col < width and (where is None or x[n, c, row, col] > best):
                best, where = x[n, c, row, col], row * width + col
        values[n, c, i, j], indices[n, c, i, j] = best, where
    return values, indices


def reference_avg_pool2d(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                         divisor_override=None):
    kernel = pair(kernel)
    stride = kernel if stride is None else pair(stride)
    padding = pair(padding)
    height, width = x.shape[-2:]
    out_h = pool_geometry(height, kernel[0], stride[0], padding[0], 1, ceil_mode)
    out_w = pool_geometry(width, kernel[1], stride[1], padding[1], 1, ceil_mode)
    result = numpy.zeros(x.shape[:2] + (out_h, out_w))
    for i, j in itertools.product(range(out_h), range(out_w)):
        top, left = i * stride[0] - padding[0], j * stride[1] - padding[1]
        bottom = min(top + kernel[0], height + padding[0])
        right = min(left + kernel[1], width + padding[1])
        padded_count = (bottom - top) * (right - left)
        top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, height), min(right, width)
        total = x[:, :, top:bottom, left:right].sum(axis=(2, 3))
        divisor = divisor_override or (padded_count if count_include_pad else (bottom - top) * (right - left))
        result[:, :, i, j] = total / divisor
    return result


def reference_adaptive_avg_pool2d(x, out_h, out_w):
    height, width = x.shape[-2:]
    result = numpy.zeros(x.shape[:2] + (out_h, out_w))
    for i, j in itertools.product(range(out_h), range(out_w)):
        top, bottom = i * height // out_h, -(-(i + 1) * height // out_h)
        left, right = j * width // out_w, -(-(j + 1) * width // out_w)
        result[:, :, i, j] = x[:, :, top:bottom, left:right].mean(axis=(2, 3))
    return result


def numeric_gradient(function, array, epsilon=1e-6):
    """Central differences of the scalar ``function`` with respect to every element of ``array``."""
    gradient = numpy.zeros_like(array)
    for position in numpy.ndindex(array.shape):
        saved = array[position]
        array[position] = saved + epsilon
        above = function()
        array[position] = saved - epsilon
        below = function()
        array[position] = saved
        gradient[position] = (above - below) / (2 * epsilon)
    return gradient


def to_tensor(array, device, requires_grad=False):
    return plexgrad.tensor(array, device=device, requires_grad=requires_grad)


def host(tensor):
    return tensor.detach().cpu().numpy()


# ---- conv2d values and gradients -----------------------------------------------------------
CONV_CASES = [
    dict(shape=(2, 3, 6, 5), weight=(4, 3, 3, 3)),
    dict(shape=(2, 2, 6, 7), weight=(2, 2, 2, 3), stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(shape=(1, 4, 5, 5), weight=(6, 2, 3, 3), groups=2, padding=1, bias=False),
    dict(shape=(1, 3, 5, 6), weight=(3, 1, 2, 2), groups=3, stride=(1, 2)),  # depthwise
    dict(shape=(1, 2, 5, 6), weight=(2, 2, 4, 2), padding="same", dilation=(1, 2)),  # asymmetric 'same'
    dict(shape=(1, 2, 4, 4), weight=(1, 2, 4, 4), padding="valid"),  # kernel as large as the input
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[str(index) for index in range(len(CONV_CASES))])
def test_conv2d_values_and_gradients(device, case):
    options = {key: value for key, value in case.items() if key not in ("shape", "weight", "bias")}
    x = RNG.standard_normal(case["shape"])
    w = RNG.standard_normal(case["weight"])
    b = RNG.standard_normal(case["weight"][0]) if case.get("bias", True) else None
    expected = reference_conv2d(x, w, b, **options)
    tx, tw = to_tensor(x, device, True), to_tensor(w, device, True)
    tb = None if b is None else to_tensor(b, device, True)
    result = F.conv2d(tx, tw, tb, **options)
    assert result.shape == expected.shape and result.dtype == plexgrad.float64
    numpy.testing.assert_allclose(host(result), expected, rtol=1e-10, atol=1e-10)

    upstream = RNG.standard_normal(expected.shape)
    (result * to_tensor(upstream, device)).sum().backward()

    def loss():
        return float((reference_conv2d(x, w, b, **options) * upstream).sum())
    numpy.testing.assert_allclose(host(tx.grad), numeric_gradient(loss, x), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(host(tw.grad), numeric_gradient(loss, w), rtol=1e-5, atol=1e-6)
    if b is not None:
        numpy.testing.assert_allclose(host(tb.grad), upstream.sum(axis=(0, 2, 3)), rtol=1e-10)


def test_conv2d_float32_unbatched_and_noncontiguous(device):
    x = RNG.standard_normal((5, 3, 6)).astype(numpy.float32)  # (H, C, W), permuted to (C, H, W) below
    w = RNG.standard_normal((2, 3, 3, 3)).astype(numpy.float32)
    tx = to_tensor(x, device).permute(1, 0, 2)
    tw = to_tensor(w, device).permute(0, 1, 3, 2)
    result = F.conv2d(tx, tw, padding=1)
    expected = reference_conv2d(x.transpose(1, 0, 2)[None].astype(numpy.float64), w.transpose(0, 1, 3, 2),
                                padding=1)[0]
    assert result.dtype == plexgrad.float32 and tuple(result.shape) == expected.shape
    numpy.testing.assert_allclose(host(result), expected, rtol=1e-4, atol=1e-4)


def test_conv2d_double_backward(device):
    options = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    x = RNG.standard_normal((1, 4, 5, 6))
    w = RNG.standard_normal((2, 2, 2, 2))
    upstream = RNG.standard_normal(reference_conv2d(x, w, **options).shape)
    probe_x, probe_w = RNG.standard_normal(x.shape), RNG.standard_normal(w.shape)

    def second_order(x_array, w_array, v_array, track):
        tx, tw = to_tensor(x_array, device, True), to_tensor(w_array, device, True)
        tv = to_tensor(v_array, device, track)
        out = F.conv2d(tx, tw, **options)
        grad_x, grad_w = plexgrad.autograd.grad((out * tv).sum(), (tx, tw), create_graph=track)
        total = (grad_x * to_tensor(probe_x, device)).sum() + (grad_w * to_tensor(probe_w, device)).sum()
        return total, (tx, tw, tv)

    total, (tx, tw, tv) = second_order(x, w, upstream, True)
    total.backward()

    def value():
        return float(second_order(x, w, upstream, False)[0].item())
    numpy.testing.assert_allclose(host(tx.grad), numeric_gradient(value, x), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(host(tw.grad), numeric_gradient(value, w), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(host(tv.grad), numeric_gradient(value, upstream), rtol=1e-5, atol=1e-6)


def test_conv1d_matches_conv2d_reference(device):
    x = RNG.standard_normal((2, 4, 9))
    w = RNG.standard_normal((6, 2, 3))
    b = RNG.standard_normal(6)
    tx = to_tensor(x, device, True)
    result = F.conv1d(tx, to_tensor(w, device), to_tensor(b, device), stride=2, padding=2, dilation=2, groups=2)
    expected = reference_conv2d(x[:, :, None], w[:, :, None], b, stride=(1, 2), padding=(0, 2), dilation=(1, 2),
                                groups=2)[:, :, 0]
    numpy.testing.assert_allclose(host(result), expected, rtol=1e-10, atol=1e-10)
    result.sum().backward()
    assert tx.grad.shape == tx.shape


def reference_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    stride, padding, output_padding, dilation = pair(stride), pair(padding), pair(output_padding), pair(dilation)
    in_channels, group_out, kh, kw = w.shape
    group_in = in_channels // groups
    sizes = [(extent - 1) * step - 2 * pad + spacing * (size - 1) + extra + 1 for extent, step, pad, spacing, size,
             extra in zip(x.shape[2:], stride, padding, dilation, (kh, kw), output_padding)]
    full = numpy.zeros((x.shape[0], group_out * groups, sizes[0] + 2 * padding[0], sizes[1] + 2 * padding[1]))
    for n, c, i, j, p, q in itertools.product(range(x.shape[0]), range(in_channels), range(x.shape[2]),
                                              range(x.shape[3]), range(kh), range(kw)):
        group = c // group_in
        full[n, group * group_out:(group + 1) * group_out, i * stride[0] + p * dilation[0],
             j * stride[1] + q * dilation[1]] += x[n, c, i, j] * w[c, :, p, q]
    result = full[:, :, padding[0]:padding[0] + sizes[0], padding[1]:padding[1] + sizes[1]]
    return result if b is None else result + b.reshape(1, -1, 1, 1)


TRANSPOSE_CASES = [
    dict(shape=(1, 2, 3, 3), weight=(2, 3, 3, 3), stride=2, padding=1, output_padding=1),
    dict(shape=(2, 4, 3, 2), weight=(4, 1, 2, 3), stride=(1, 2), groups=2, dilation=(2, 1)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=[str(index) for index in range(len(TRANSPOSE_CASES))])
def test_conv_transpose2d_values_and_gradients(device, case):
    options = {key: value for key, value in case.items() if key not in ("shape", "weight")}
    x = RNG.standard_normal(case["shape"])
    w = RNG.standard_normal(case["weight"])
    b = RNG.standard_normal(case["weight"][1] * case.get("groups", 1))
    expected = reference_conv_transpose2d(x, w, b, **options)
    tx, tw = to_tensor(x, device, True), to_tensor(w, device, True)
    result = F.conv_transpose2d(tx, tw, to_tensor(b, device), **options)
    numpy.testing.assert_allclose(host(result), expected, rtol=1e-10, atol=1e-10)
    upstream = RNG.standard_normal(expected.shape)
    (result * to_tensor(upstream, device)).sum().backward()

    def loss():
        return float((reference_conv_transpose2d(x, w, b, **options) * upstream).sum())
    numpy.testing.assert_allclose(host(tx.grad), numeric_gradient(loss, x), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(host(tw.grad), numeric_gradient(loss, w), rtol=1e-5, atol=1e-6)


def test_conv_transpose_layer(device):
    layer = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, device=device)
    assert repr(layer) == "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert tuple(layer.weight.shape) == (4, 2, 3, 3) and tuple(layer.bias.shape) == (2,)
    x = to_tensor(RNG.standard_normal((1, 4, 5, 5)).astype(numpy.float32), device)
    assert tuple(layer(x).shape) == (1, 2, 9, 9)
    result = layer(x, output_size=[10, 10])
    expected = reference_conv_transpose2d(host(x).astype(numpy.float64), host(layer.weight), host(layer.bias),
                                          stride=2, padding=1, output_padding=1)
    numpy.testing.assert_allclose(host(result), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        layer(x, output_size=[12, 12])
    with pytest.raises(RuntimeError, match=r"Given transposed=1, weight of size \[4, 2, 3, 3\], expected "
                                           r"input\[1, 3, 5, 5\] to have 4 channels, but got 3 channels instead"):
        F.conv_transpose2d(to_tensor(numpy.zeros((1, 3, 5, 5)), device), layer.weight.double())
    assert repr(nn.ConvTranspose1d(2, 3, 4, output_padding=0)) == "ConvTranspose1d(2, 3, kernel_size=(4,), stride=(1,))"


# ---- pooling -------------------------------------------------------------------------------
MAX_CASES = [
    dict(kernel=3, stride=2, padding=1),
    dict(kernel=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel=2, stride=2, ceil_mode=True),
]


@pytest.mark.parametrize("case", MAX_CASES, ids=[str(index) for index in range(len(MAX_CASES))])
def test_max_pool2d_values_indices_gradients(device, case):
    options = dict(stride=case.get("stride"), padding=case.get("padding", 0), dilation=case.get("dilation", 1),
                   ceil_mode=case.get("ceil_mode", False))
    x = RNG.standard_normal((2, 3, 7, 6))
    values, indices = reference_max_pool2d(x, case["kernel"], **options)
    tx = to_tensor(x, device, True)
    result, result_indices = F.max_pool2d(tx, case["kernel"], return_indices=True, **options)
    numpy.testing.assert_array_equal(host(result), values)
    numpy.testing.assert_array_equal(host(result_indices), indices)
    assert result_indices.dtype == plexgrad.int64
    upstream = RNG.standard_normal(values.shape)
    (result * to_tensor(upstream, device)).sum().backward()

    def loss():
        return float((reference_max_pool2d(x, case["kernel"], **options)[0] * upstream).sum())
    numpy.testing.assert_allclose(host(tx.grad), numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)


def test_max_pool2d_ties_pick_the_first_and_overlapping_windows_accumulate(device):
    x = numpy.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]])
    tx = to_tensor(x, device, True)
    result, indices = F.max_pool2d(tx, 2, stride=1, return_indices=True)
    numpy.testing.assert_array_equal(host(indices), [[[[0, 1], [3, 4]]]])
    result.sum().backward()
    numpy.testing.assert_array_equal(host(tx.grad), [[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]])
    window = to_tensor(numpy.full((1, 1, 2, 2), 5.0), device, True)
    F.max_pool2d(window, 2, stride=1, padding=1).sum().backward()  # each value is the max of 4 windows... once
    numpy.testing.assert_array_equal(host(window.grad), [[[[4.0, 2.0], [2.0, 1.0]]]])


def test_max_pool2d_negative_infinity_and_unbatched(device):
    x = numpy.full((1, 3, 3), -numpy.inf)
    values, indices = F.max_pool2d(to_tensor(x, device), 2, padding=1, return_indices=True)
    assert tuple(values.shape) == (1, 2, 2)
    numpy.testing.assert_array_equal(host(indices), reference_max_pool2d(x[None], 2, padding=1)[1][0])
    assert numpy.isneginf(host(values)).all()
    with_nan = numpy.array([[[[1.0, numpy.nan], [3.0, 2.0]]]])
    values, indices = F.max_pool2d(to_tensor(with_nan, device), 2, return_indices=True)
    assert numpy.isnan(host(values)).all() and host(indices).item() == 1  # NaN wins, as in torch


AVG_CASES = [
    dict(kernel=3, stride=2, padding=1),
    dict(kernel=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel=(2, 3), stride=(1, 2), divisor_override=4),
]


@pytest.mark.parametrize("case", AVG_CASES, ids=[str(index) for index in range(len(AVG_CASES))])
def test_avg_pool2d_values_and_gradients(device, case):
    options = {key: value for key, value in case.items() if key != "kernel"}
    x = RNG.standard_normal((2, 2, 7, 6))
    expected = reference_avg_pool2d(x, case["kernel"], **options)
    tx = to_tensor(x, device, True)
    result = F.avg_pool2d(tx, case["kernel"], **options)
    numpy.testing.assert_allclose(host(result), expected, rtol=1e-12, atol=1e-12)
    upstream = RNG.standard_normal(expected.shape)
    (result * to_tensor(upstream, device)).sum().backward()

    def loss():
        return float((reference_avg_pool2d(x, case["kernel"], **options) * upstream).sum())
    numpy.testing.assert_allclose(host(tx.grad), numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)


def test_avg_pool2d_double_backward_is_linear(device):
    tx = to_tensor(RNG.standard_normal((1, 1, 5, 5)), device, True)
    upstream = to_tensor(RNG.standard_normal((1, 1, 3, 3)), device, True)
    out = F.avg_pool2d(tx, 3, stride=2, padding=1, count_include_pad=False)
    (grad_x,) = plexgrad.autograd.grad((out * upstream).sum(), (tx,), create_graph=True)
    probe = RNG.standard_normal((1, 1, 5, 5))
    (grad_x * to_tensor(probe, device)).sum().backward()
    expected = reference_avg_pool2d(probe, 3, stride=2, padding=1, count_include_pad=False)  # the adjoint's adjoint
    numpy.testing.assert_allclose(host(upstream.grad), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("output_size", [1, (3, 2), (4, 5), (None, 4), 2])
def test_adaptive_avg_pool2d(device, output_size):
    x = RNG.standard_normal((2, 3, 6, 7))
    sizes = output_size if isinstance(output_size, tuple) else (output_size, output_size)
    out_h, out_w = (6 if sizes[0] is None else sizes[0]), (7 if sizes[1] is None else sizes[1])
    tx = to_tensor(x, device, True)
    result = F.adaptive_avg_pool2d(tx, output_size)
    numpy.testing.assert_allclose(host(result), reference_adaptive_avg_pool2d(x, out_h, out_w), rtol=1e-12,
                                  atol=1e-12)
    upstream = RNG.standard_normal((2, 3, out_h, out_w))
    (result * to_tensor(upstream, device)).sum().backward()

    def loss():
        return float((reference_adaptive_avg_pool2d(x, out_h, out_w) * upstream).sum())
    numpy.testing.assert_allclose(host(tx.grad), numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)


def test_one_dimensional_pooling(device):
    x = RNG.standard_normal((2, 3, 9))
    tx = to_tensor(x, device)
    values, indices = F.max_pool1d(tx, 3, stride=2, padding=1, return_indices=True)
    expected_values, expected_indices = reference_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))
    numpy.testing.assert_array_equal(host(values), expected_values[:, :, 0])
    numpy.testing.assert_array_equal(host(indices), expected_indices[:, :, 0])
    numpy.testing.assert_allclose(host(F.avg_pool1d(tx, 2)), reference_avg_pool2d(x[:, :, None], (1, 2))[:, :, 0])
    numpy.testing.assert_allclose(host(F.adaptive_avg_pool1d(tx, 4)),
                                  reference_adaptive_avg_pool2d(x[:, :, None], 1, 4)[:, :, 0])


# ---- errors ---------------------------------------------------------------------------------
def test_conv2d_errors_name_the_shapes(device):
    x = plexgrad.zeros(64, 1, 28, 28, device=device)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[32, 3, 3, 3\], expected "
                                           r"input\[64, 1, 28, 28\] to have 3 channels, but got 1 channels instead"):
        F.conv2d(x, plexgrad.zeros(32, 3, 3, 3, device=device))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[2, 3\]"):
        F.conv2d(plexgrad.zeros(2, 3, device=device), plexgrad.zeros(1, 1, 1, 1, device=device))
    with pytest.raises(RuntimeError, match=r"Calculated padded input size per channel: \(2 x 2\). Kernel size: "
                                           r"\(3 x 3\). Kernel size can't be greater than actual input size"):
        F.conv2d(plexgrad.zeros(1, 1, 2, 2, device=device), plexgrad.zeros(1, 1, 3, 3, device=device))
    with pytest.raises(RuntimeError, match=r"expected weight to be divisible by 2 at dimension 0"):
        F.conv2d(plexgrad.zeros(1, 4, 5, 5, device=device), plexgrad.zeros(3, 2, 3, 3, device=device), groups=2)
    with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 4 elements, but got bias of "
                                           r"size \[5\]"):
        F.conv2d(plexgrad.zeros(1, 3, 5, 5, device=device), plexgrad.zeros(4, 3, 3, 3, device=device),
                 plexgrad.zeros(5, device=device))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(plexgrad.zeros(1, 3, 5, 5, dtype=plexgrad.float64, device=device),
                 plexgrad.zeros(4, 3, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(plexgrad.zeros(1, 3, 5, 5, device=device), plexgrad.zeros(4, 3, 3, 3, device=device),
                 stride=2, padding="same")
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv2d(plexgrad.zeros(1, 3, 5, 5, device=device), plexgrad.zeros(4, 3, 3, 3, device=device), stride=0)
    with pytest.raises(RuntimeError, match="negative padding"):
        F.conv2d(plexgrad.zeros(1, 3, 5, 5, device=device), plexgrad.zeros(4, 3, 3, 3, device=device), padding=-1)


def test_pooling_errors(device):
    x = plexgrad.zeros(1, 3, 5, 5, device=device)
    with pytest.raises(RuntimeError, match=r"pad should be at most half of effective kernel size, but got pad=2, "
                                           r"kernel_size=3 and dilation=1"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"Given input size: \(3x2x2\). Calculated output size: \(3x0x0\). "
                                           r"Output size is too small"):
        F.max_pool2d(plexgrad.zeros(1, 3, 2, 2, device=device), 3)
    with pytest.raises(RuntimeError, match=r"3D or 4D \(batch mode\) tensor expected for input"):
        F.avg_pool2d(plexgrad.zeros(3, 5, device=device), 2)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[3, 5\]"):
        F.adaptive_avg_pool2d(plexgrad.zeros(3, 5, device=device), 2)


# ---- layers ---------------------------------------------------------------------------------
def test_layer_reprs():
    assert repr(nn.Conv2d(1, 32, 3, padding=1)) == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.Conv2d(2, 4, (3, 5), stride=2, dilation=2, groups=2, bias=False)) == \
        "Conv2d(2, 4, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), groups=2, bias=False)"
    assert repr(nn.Conv2d(1, 2, 3, padding="same", padding_mode="reflect")) == \
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same, padding_mode=reflect)"
    assert repr(nn.Conv1d(1, 2, 3)) == "Conv1d(1, 2, kernel_size=(3,), stride=(1,))"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d((2, 3), return_indices=True)) == \
        "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool1d(3)) == "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((5, 7))) == "AdaptiveAvgPool2d(output_size=(5, 7))"
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"


def test_conv_layer_parameters_and_default_init(device):
    layer = nn.Conv2d(4, 64, 3, groups=2, device=device)
    assert tuple(layer.weight.shape) == (64, 2, 3, 3) and tuple(layer.bias.shape) == (64,)
    assert layer.weight.device.type == device and layer.weight.requires_grad
    bound = 1 / math.sqrt(2 * 9)  # kaiming_uniform_(a=sqrt(5)) and the bias share 1/sqrt(fan_in)
    weight, bias = host(layer.weight), host(layer.bias)
    assert numpy.abs(weight).max() <= bound and numpy.abs(weight).max() > 0.8 * bound
    assert numpy.abs(bias).max() <= bound and weight.std() > 0.4 * bound
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.Conv1d(2, 3, 5, bias=False).bias is None
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")


@pytest.mark.parametrize("mode, numpy_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv_layer_padding_modes(device, mode, numpy_mode):
    layer = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, device=device).double()
    x = RNG.standard_normal((1, 2, 5, 6))
    padded = numpy.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=numpy_mode)
    expected = reference_conv2d(padded, host(layer.weight), host(layer.bias))
    numpy.testing.assert_allclose(host(layer(to_tensor(x, device))), expected, rtol=1e-10, atol=1e-10)


def test_pool_layers_match_functional(device):
    x = to_tensor(RNG.standard_normal((2, 3, 8, 8)), device)
    values, indices = nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)(x)
    expected_values, expected_indices = reference_max_pool2d(host(x), 3, 2, 1, ceil_mode=True)
    numpy.testing.assert_array_equal(host(values), expected_values)
    numpy.testing.assert_array_equal(host(indices), expected_indices)
    numpy.testing.assert_allclose(host(nn.AvgPool2d(2)(x)), reference_avg_pool2d(host(x), 2))
    numpy.testing.assert_allclose(host(nn.AdaptiveAvgPool2d((3, 3))(x)), reference_adaptive_avg_pool2d(host(x), 3, 3))


_JAX_MISSING = importlib.util.find_spec("jax") is None


@pytest.mark.parametrize("device", [
    "cpu",
    pytest.param("jax", marks=[pytest.mark.slow, pytest.mark.skipif(_JAX_MISSING, reason="jax is not installed")]),
    pytest.param("cuda", marks=pytest.mark.skipif(not plexgrad.cuda.is_available(), reason="no CUDA device")),
])
def test_small_cnn_learns(device):
    # on jax the first step compiles a few dozen kernels: seconds, hence slow
    plexgrad.manual_seed(0)
    rng = numpy.random.default_rng(1234)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1),
                          nn.ReLU(), nn.AdaptiveAvgPool2d((2, 1)), nn.Flatten(), nn.Linear(16, 2)).to(device)
    images = rng.standard_normal((16, 1, 8, 8)).astype(numpy.float32)
    labels = (images[:, 0, :4].mean(axis=(1, 2)) > images[:, 0, 4:].mean(axis=(1, 2))).astype(numpy.int64)
    x, y = to_tensor(images, device), to_tensor(labels, device)
    losses = []
    for _ in range(15):
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with plexgrad.no_grad():
            for parameter in model.parameters():
                parameter -= 0.5 * parameter.grad
        losses.append(loss.item())
    assert losses[-1] < 0.85 * losses[0]
