"""plexgrad.data.io against torchvision.io: the same uint8 (C, H, W) tensors for PNG and JPEG files in
every ImageReadMode, encode/write round trips, and clear errors."""

import io

import numpy
import pytest
import torch

import plexgrad
from plexgrad.data.io import (ImageReadMode, decode_image, decode_jpeg, decode_png, encode_jpeg, encode_png,
                              read_file, read_image, write_jpeg, write_png)

torchvision_io = pytest.importorskip("torchvision.io")
Image = pytest.importorskip("PIL.Image")
# torchvision 0.29 deprecates its own decoders in favour of torchcodec; they are still the oracle here
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding:DeprecationWarning")

RNG = numpy.random.default_rng(0)
PIXELS = {"RGB": RNG.integers(0, 256, (5, 7, 3), dtype=numpy.uint8),
          "RGBA": RNG.integers(0, 256, (5, 7, 4), dtype=numpy.uint8),
          "L": RNG.integers(0, 256, (5, 7), dtype=numpy.uint8),
          "LA": RNG.integers(0, 256, (5, 7, 2), dtype=numpy.uint8)}
FILES = [(mode, "PNG") for mode in PIXELS] + [("RGB", "JPEG"), ("L", "JPEG")]
MODES = ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"]


def encoded(mode, file_format):
    buffer = io.BytesIO()
    Image.fromarray(PIXELS[mode], mode).save(buffer, format=file_format)
    return buffer.getvalue()


def theirs(data, mode):
    return torchvision_io.decode_image(torch.frombuffer(bytearray(data), dtype=torch.uint8),
                                       mode=getattr(torchvision_io.ImageReadMode, mode))


@pytest.mark.parametrize("stored, file_format", FILES)
@pytest.mark.parametrize("mode", MODES)
def test_decode_image_matches_torchvision(tmp_path, stored, file_format, mode):
    data = encoded(stored, file_format)
    path = tmp_path / f"image.{file_format.lower()}"
    path.write_bytes(data)
    try:
        expected = theirs(data, mode).numpy()
    except RuntimeError as error:  # torchvision refuses alpha modes for JPEG: so must we
        assert "not supported for JPEG" in str(error)
        with pytest.raises(RuntimeError, match="not supported for JPEG"):
            read_image(str(path), mode=getattr(ImageReadMode, mode))
        return
    for found in (read_image(str(path), mode=getattr(ImageReadMode, mode)), read_image(path, mode=mode),
                  decode_image(read_file(str(path)), mode=getattr(ImageReadMode, mode)), decode_image(str(path))
                  if mode == "UNCHANGED" else decode_image(str(path), mode)):
        assert found.dtype == plexgrad.uint8
        assert list(found.shape) == list(expected.shape)
        difference = numpy.abs(found.numpy().astype(int) - expected.astype(int)).max()
        # colour to gray: Pillow's and libpng/libjpeg's luma formulas round differently (by 1, 2 in JPEG)
        converts_colour_to_gray = stored in ("RGB", "RGBA") and mode.startswith("GRAY")
        assert difference <= (2 if converts_colour_to_gray else 0), difference


def test_palette_images_are_expanded_to_colour(tmp_path):
    # torchvision 0.29 returns the palette indices for UNCHANGED; plexgrad returns the colours
    image = Image.fromarray(PIXELS["RGB"]).convert("P")
    path = tmp_path / "palette.png"
    image.save(path)
    found = read_image(str(path))
    numpy.testing.assert_array_equal(found.numpy(), numpy.asarray(image.convert("RGB")).transpose(2, 0, 1))
    assert list(read_image(str(path), ImageReadMode.RGB_ALPHA).shape) == [4, 5, 7]


def test_exif_orientation(tmp_path):
    image = Image.fromarray(PIXELS["RGB"])
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    data = path.read_bytes()
    for apply in (False, True):
        found = read_image(str(path), apply_exif_orientation=apply).numpy()
        expected = torchvision_io.decode_image(torch.frombuffer(bytearray(data), dtype=torch.uint8),
                                               apply_exif_orientation=apply).numpy()
        assert found.shape == expected.shape == ((3, 7, 5) if apply else (3, 5, 7))
        assert numpy.abs(found.astype(int) - expected.astype(int)).max() <= 1


def test_encode_and_write_round_trips(tmp_path):
    picture = plexgrad.tensor(PIXELS["RGB"].transpose(2, 0, 1).copy())
    png = encode_png(picture)
    assert png.dtype == plexgrad.uint8 and png.dim() == 1
    numpy.testing.assert_array_equal(decode_png(png).numpy(), picture.numpy())
    numpy.testing.assert_array_equal(theirs(bytes(png.numpy()), "UNCHANGED").numpy(), picture.numpy())
    write_png(picture, str(tmp_path / "out.png"))
    numpy.testing.assert_array_equal(read_image(str(tmp_path / "out.png")).numpy(), picture.numpy())
    smooth = plexgrad.tensor(numpy.broadcast_to(numpy.arange(0, 240, 30, dtype=numpy.uint8), (1, 8, 8)).copy())
    write_jpeg(smooth, str(tmp_path / "out.jpg"), quality=95)
    decoded = decode_jpeg(read_file(str(tmp_path / "out.jpg")))
    assert list(decoded.shape) == [1, 8, 8]
    assert numpy.abs(decoded.numpy().astype(int) - smooth.numpy().astype(int)).max() <= 8
    assert [list(item.shape) for item in decode_jpeg(encode_jpeg([smooth, smooth]))] == [[1, 8, 8], [1, 8, 8]]


def test_errors_are_clear(tmp_path):
    with pytest.raises(RuntimeError, match="could not decode the given bytes as an image"):
        decode_image(plexgrad.tensor([1, 2, 3], dtype=plexgrad.uint8))
    with pytest.raises(RuntimeError, match="expected a 1-D uint8 tensor of encoded bytes"):
        decode_image(plexgrad.zeros(3, 4))
    with pytest.raises(ValueError, match="unknown image read mode"):
        decode_image(plexgrad.tensor([1], dtype=plexgrad.uint8), mode="CMYK")
    with pytest.raises(RuntimeError, match=r"expected a uint8 \(C, H, W\) tensor with 1 or 3 channels"):
        encode_png(plexgrad.zeros(3, 4, 4))
    with pytest.raises(FileNotFoundError):
        read_image(str(tmp_path / "missing.png"))
