"""Image transforms against numpy / Pillow references, on Pillow images and on tensors."""

import numpy
import pytest

import plexgrad
from plexgrad.data import transforms as T
from plexgrad.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")


def _rgb(height=6, width=8, seed=0):
    return numpy.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=numpy.uint8)


def test_to_tensor_pil_and_ndarray():
    array = _rgb()
    from_pil = T.ToTensor()(Image.fromarray(array))
    from_array = T.ToTensor()(array)
    reference = array.transpose(2, 0, 1).astype(numpy.float32) / 255
    for result in (from_pil, from_array):
        assert result.dtype == plexgrad.float32 and result.shape == (3, 6, 8)
        numpy.testing.assert_array_equal(result.numpy(), reference)
    gray = T.ToTensor()(Image.fromarray(array[:, :, 0]))
    assert gray.shape == (1, 6, 8)
    kept = T.ToTensor()(numpy.ones((2, 2, 1), dtype=numpy.float64))
    assert kept.dtype == plexgrad.float64 and kept.numpy().max() == 1.0
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])


def test_normalize(device):
    image = plexgrad.tensor(numpy.random.default_rng(1).random((3, 4, 5)), dtype="float32", device=device)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    result = T.Normalize(mean, std)(image)
    reference = (image.numpy() - numpy.array(mean, numpy.float32)[:, None, None]) / \
        numpy.array(std, numpy.float32)[:, None, None]
    numpy.testing.assert_allclose(result.numpy(), reference, rtol=1e-6)
    target = image.clone()
    returned = T.Normalize(mean, std, inplace=True)(target)
    numpy.testing.assert_allclose(target.numpy(), reference, rtol=1e-6)
    assert returned is target
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.0,), (0.0,))(image)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize((0.0,), (1.0,))(plexgrad.ones(1, 2, 2, dtype=plexgrad.uint8))


def test_to_pil_image_round_trip():
    array = _rgb()
    image = T.ToPILImage()(T.ToTensor()(array))
    assert image.mode == "RGB"
    numpy.testing.assert_array_equal(numpy.asarray(image), array)
    gray = T.ToPILImage()(plexgrad.tensor([[[0.0, 0.5], [1.0, 0.25]]]))
    assert gray.mode == "L" and numpy.asarray(gray).tolist() == [[0, 127], [255, 63]]


def test_flips_pil_and_tensor():
    array = _rgb()
    tensor = T.ToTensor()(array)
    numpy.testing.assert_array_equal(numpy.asarray(F.hflip(Image.fromarray(array))), array[:, ::-1])
    numpy.testing.assert_array_equal(numpy.asarray(F.vflip(Image.fromarray(array))), array[::-1])
    numpy.testing.assert_array_equal(F.hflip(tensor).numpy(), tensor.numpy()[:, :, ::-1])
    assert T.RandomHorizontalFlip(p=1.0)(tensor).tolist() == F.hflip(tensor).tolist()
    assert T.RandomVerticalFlip(p=0.0)(tensor) is tensor


def test_crops_match_slicing():
    array = _rgb(10, 12)
    tensor = T.ToTensor()(array)
    center = T.CenterCrop(4)
    numpy.testing.assert_array_equal(numpy.asarray(center(Image.fromarray(array))), array[3:7, 4:8])
    numpy.testing.assert_array_equal(center(tensor).numpy(), tensor.numpy()[:, 3:7, 4:8])
    padded = T.CenterCrop((12, 12))(tensor)
    assert padded.shape == (3, 12, 12) and padded.numpy()[:, 0].max() == 0
    numpy.testing.assert_array_equal(padded.numpy()[:, 1:11], tensor.numpy())
    plexgrad.manual_seed(0)
    cropped = T.RandomCrop(5)(tensor).numpy()
    matches = [(top, left) for top in range(6) for left in range(8)
               if numpy.array_equal(tensor.numpy()[:, top:top + 5, left:left + 5], cropped)]
    assert matches
    plexgrad.manual_seed(0)
    cropped_pil = numpy.asarray(T.RandomCrop(5)(Image.fromarray(array)))
    numpy.testing.assert_array_equal(cropped_pil.transpose(2, 0, 1).astype(numpy.float32) / 255, cropped)
    big = T.RandomCrop(14, pad_if_needed=True)(tensor)
    assert big.shape == (3, 14, 14)
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(20)(tensor)


def test_pad_modes_match_numpy():
    array = _rgb(4, 5)
    tensor = plexgrad.tensor(array.transpose(2, 0, 1).copy())
    for mode in ("constant", "edge", "reflect", "symmetric"):
        transform = T.Pad((1, 2, 3, 1), fill=7, padding_mode=mode)
        widths = [(2, 1), (1, 3)]
        options = {"constant_values": 7} if mode == "constant" else {}
        expected = numpy.pad(array, widths + [(0, 0)], mode=mode, **options)
        numpy.testing.assert_array_equal(numpy.asarray(transform(Image.fromarray(array))), expected)
        numpy.testing.assert_array_equal(transform(tensor).numpy(), expected.transpose(2, 0, 1))


def test_resize_tensor_matches_pillow():
    array = _rgb(16, 20)
    tensor = T.ToTensor()(array)
    for size in (8, (10, 7), (24, 30)):
        from_pil = numpy.asarray(T.Resize(size)(Image.fromarray(array))).astype(numpy.float64)
        from_tensor = T.Resize(size)(tensor).numpy().transpose(1, 2, 0) * 255
        assert from_pil.shape == from_tensor.shape
        assert numpy.abs(from_pil - from_tensor).max() <= 1.5
    assert T.Resize(8)(Image.fromarray(array)).size == (10, 8)
    nearest = T.Resize((8, 10), interpolation=T.InterpolationMode.NEAREST)(tensor)
    numpy.testing.assert_array_equal(nearest.numpy(), tensor.numpy()[:, ::2, ::2])
    uint8 = plexgrad.tensor(array.transpose(2, 0, 1).copy())
    assert T.Resize(8)(uint8).dtype == plexgrad.uint8


def test_random_resized_crop_shape_and_seed():
    array = _rgb(20, 20)
    plexgrad.manual_seed(5)
    first = numpy.asarray(T.RandomResizedCrop(8)(Image.fromarray(array)))
    plexgrad.manual_seed(5)
    second = numpy.asarray(T.RandomResizedCrop(8)(Image.fromarray(array)))
    assert first.shape == (8, 8, 3)
    numpy.testing.assert_array_equal(first, second)
    assert T.RandomResizedCrop((6, 4))(T.ToTensor()(array)).shape == (3, 6, 4)


def test_color_adjustments_against_numpy():
    array = _rgb(5, 5)
    image = plexgrad.tensor(array.transpose(2, 0, 1) / 255.0, dtype="float32", device="cpu")
    host = image.numpy()
    numpy.testing.assert_allclose(F.adjust_brightness(image, 1.5).numpy(), numpy.clip(host * 1.5, 0, 1), rtol=1e-6)
    gray = 0.2989 * host[0] + 0.587 * host[1] + 0.114 * host[2]
    numpy.testing.assert_allclose(F.adjust_saturation(image, 0.0).numpy(), numpy.broadcast_to(gray, host.shape),
                                  rtol=1e-5)
    contrast = numpy.clip(0.5 * host + 0.5 * gray.mean(), 0, 1)
    numpy.testing.assert_allclose(F.adjust_contrast(image, 0.5).numpy(), contrast, rtol=1e-5)
    assert numpy.allclose(F.adjust_hue(image, 0.0).numpy(), host, atol=1e-5)
    shifted = F.adjust_hue(image, 0.5)
    back = F.adjust_hue(shifted, 0.5)
    numpy.testing.assert_allclose(back.numpy(), host, atol=1e-5)
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(image, 0.7)


def test_color_jitter_pil_and_ranges():
    jitter = T.ColorJitter(brightness=0.5, hue=0.1)
    assert jitter.brightness == (0.5, 1.5) and jitter.hue == (-0.1, 0.1) and jitter.contrast is None
    result = jitter(Image.fromarray(_rgb()))
    assert result.size == (8, 6) and result.mode == "RGB"
    numpy.testing.assert_array_equal(numpy.asarray(F.adjust_brightness(Image.fromarray(_rgb()), 1.0)), _rgb())
    with pytest.raises(ValueError, match="must be non negative"):
        T.ColorJitter(brightness=-1)


def test_reprs_like_torchvision():
    transform = T.Compose([T.Resize(32), T.CenterCrop(28), T.ToTensor(), T.Normalize([0.5], [0.5])])
    assert repr(transform) == ("Compose(\n    Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)\n"
                               "    CenterCrop(size=(28, 28))\n    ToTensor()\n"
                               "    Normalize(mean=[0.5], std=[0.5])\n)")
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.RandomCrop(4, padding=2)) == "RandomCrop(size=(4, 4), padding=2)"
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    assert repr(T.RandomResizedCrop(8)) == ("RandomResizedCrop(size=(8, 8), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
                                            "interpolation=bilinear, antialias=True)")
    assert repr(T.ColorJitter(brightness=0.2)) == ("ColorJitter(brightness=(0.8, 1.2), contrast=None, "
                                                   "saturation=None, hue=None)")
    assert repr(T.Lambda(lambda x: x)) == "Lambda()" and repr(T.ToPILImage()) == "ToPILImage()"


def test_lambda_and_compose():
    transform = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2)])
    assert transform(numpy.full((1, 1, 1), 255, dtype=numpy.uint8)).item() == 2.0
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
