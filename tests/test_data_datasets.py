"""IDX reading, MNIST / FashionMNIST (flat, torchvision layout, Debian's copy), ImageFolder,
make_grid and save_image."""

import gzip
import os
import struct

import numpy
import pytest

import plexgrad
from plexgrad.data import DataLoader, datasets, transforms as T
from plexgrad.data.datasets import IDXError, read_idx
from plexgrad.data.utils import make_grid, save_image

DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist"


def _idx_bytes(array):
    codes = {numpy.uint8: 0x08, numpy.int32: 0x0C, numpy.float32: 0x0D}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write(path, payload, compress):
    if compress:
        path = str(path) + ".gz"
        payload = gzip.compress(payload)
    with open(path, "wb") as handle:
        handle.write(payload)
    return path


def _fake_mnist(folder, count=5, compress=True, split="train"):
    os.makedirs(folder, exist_ok=True)
    rng = numpy.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=numpy.uint8)
    labels = rng.integers(0, 10, size=count, dtype=numpy.uint8)
    prefix = "train" if split == "train" else "t10k"
    _write(os.path.join(folder, f"{prefix}-images-idx3-ubyte"), _idx_bytes(images), compress)
    _write(os.path.join(folder, f"{prefix}-labels-idx1-ubyte"), _idx_bytes(labels), compress)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trip(tmp_path, compress):
    array = numpy.arange(24, dtype=numpy.int32).reshape(2, 3, 4) - 5
    path = _write(tmp_path / "values-idx3", _idx_bytes(array), compress)
    result = read_idx(path, expected_ndim=3)
    numpy.testing.assert_array_equal(result, array)
    floats = numpy.linspace(0, 1, 5, dtype=numpy.float32)
    numpy.testing.assert_array_equal(read_idx(_write(tmp_path / "f", _idx_bytes(floats), compress)), floats)


def test_read_idx_rejects_bad_files(tmp_path):
    good = _idx_bytes(numpy.zeros((3, 2, 2), dtype=numpy.uint8))
    truncated = _write(tmp_path / "truncated", good[:-3], False)
    with pytest.raises(IDXError, match="truncated.*truncated"):
        read_idx(truncated)
    too_long = _write(tmp_path / "long", good + b"xx", False)
    with pytest.raises(IDXError, match="longer than its header says"):
        read_idx(too_long)
    bad_magic = _write(tmp_path / "magic", b"\x01\x02" + good[2:], False)
    with pytest.raises(IDXError, match="magic.*magic"):
        read_idx(bad_magic)
    with pytest.raises(IDXError, match="3-dimensional data but 1 dimensions were expected"):
        read_idx(_write(tmp_path / "dims", good, False), expected_ndim=1)
    short_header = _write(tmp_path / "header", good[:6], False)
    with pytest.raises(IDXError, match="header is truncated"):
        read_idx(short_header)
    broken_gzip = tmp_path / "broken.gz"
    broken_gzip.write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(IDXError, match="broken.gz: the gzip stream is truncated"):
        read_idx(broken_gzip)


@pytest.mark.parametrize("layout, compress", [("flat", True), ("torchvision", False)])
def test_mnist_layouts(tmp_path, layout, compress):
    folder = tmp_path if layout == "flat" else tmp_path / "MNIST" / "raw"
    images, labels = _fake_mnist(str(folder), compress=compress)
    dataset = datasets.MNIST(tmp_path, train=True)
    assert len(dataset) == 5 and dataset.data.dtype == plexgrad.uint8 and dataset.data.shape == (5, 28, 28)
    assert dataset.targets.dtype == plexgrad.int64 and dataset.targets.tolist() == labels.tolist()
    image, target = dataset[3]
    assert image.mode == "L" and numpy.array_equal(numpy.asarray(image), images[3]) and target == int(labels[3])
    assert isinstance(target, int) and dataset.classes[0] == "0 - zero"


def test_mnist_transforms_and_batched_fast_path(tmp_path):
    _fake_mnist(str(tmp_path), count=7)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.25,))])
    dataset = datasets.MNIST(tmp_path, transform=transform, target_transform=lambda label: label + 100)
    image, target = dataset[2]
    assert image.shape == (1, 28, 28) and image.dtype == plexgrad.float32 and target >= 100
    expected = (dataset.data[2].numpy().astype(numpy.float32) / 255 - 0.5) / 0.25
    numpy.testing.assert_array_equal(image.numpy()[0], expected)
    batched = dataset.__getitems__([2, 0, 6])
    for (fast_image, fast_target), index in zip(batched, [2, 0, 6]):
        slow_image, slow_target = dataset[index]
        numpy.testing.assert_array_equal(fast_image.numpy(), slow_image.numpy())
        assert fast_target == slow_target
    images, targets = next(iter(DataLoader(dataset, batch_size=4)))
    assert images.shape == (4, 1, 28, 28) and targets.tolist() == [t + 100 for t in dataset.targets.tolist()[:4]]


def test_mnist_test_split_and_mismatch(tmp_path):
    _fake_mnist(str(tmp_path), count=4, split="test")
    assert len(datasets.MNIST(tmp_path, train=False)) == 4
    images = numpy.zeros((4, 28, 28), dtype=numpy.uint8)
    _write(tmp_path / "train-images-idx3-ubyte", _idx_bytes(images), False)
    _write(tmp_path / "train-labels-idx1-ubyte", _idx_bytes(numpy.zeros(3, dtype=numpy.uint8)), False)
    with pytest.raises(RuntimeError, match="holds 4 images but .* holds 3 labels"):
        datasets.MNIST(tmp_path)


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(RuntimeError) as caught:
        datasets.MNIST(tmp_path / "nothing")
    message = str(caught.value)
    assert "download=True" in message and "train-images-idx3-ubyte.gz" in message and "MNIST/raw" in message


def test_download_without_network_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(RuntimeError) as caught:
        datasets.MNIST(tmp_path, download=True)
    message = str(caught.value)
    assert "network connection" in message and "127.0.0.1:9/train-images-idx3-ubyte.gz" in message
    assert not any(name.endswith(".part") for name in os.listdir(tmp_path / "MNIST" / "raw"))


def test_fashion_mnist_prefers_root_over_debian(tmp_path):
    images, labels = _fake_mnist(str(tmp_path / "FashionMNIST" / "raw"), count=3)
    dataset = datasets.FashionMNIST(tmp_path)
    assert len(dataset) == 3 and dataset.classes[9] == "Ankle boot"


@pytest.mark.skipif(not os.path.isdir(DEBIAN_FOLDER),
                    reason="Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_finds_the_debian_copy(tmp_path):
    train = datasets.FashionMNIST(tmp_path)
    test = datasets.FashionMNIST(tmp_path, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert train.files[0].startswith(DEBIAN_FOLDER)
    assert sorted(set(test.targets.tolist())) == list(range(10))
    image, label = train[0]
    assert image.size == (28, 28) and 0 <= label < 10


def _image_tree(root):
    Image = pytest.importorskip("PIL.Image")
    colours = {"cats": (255, 0, 0), "dogs": (0, 255, 0)}
    for name, colour in colours.items():
        os.makedirs(root / name / "nested", exist_ok=True)
        Image.new("RGB", (4, 3), colour).save(root / name / "a.png")
        Image.new("L", (4, 3), 128).save(root / name / "nested" / "b.png")
        (root / name / "notes.txt").write_text("not an image")
    return colours


def test_image_folder(tmp_path):
    colours = _image_tree(tmp_path)
    dataset = datasets.ImageFolder(tmp_path, transform=T.ToTensor())
    assert dataset.classes == ["cats", "dogs"] and dataset.class_to_idx == {"cats": 0, "dogs": 1}
    assert len(dataset) == 4 and dataset.targets == [0, 0, 1, 1] and dataset.imgs == dataset.samples
    image, label = dataset[2]
    assert label == 1 and image.shape == (3, 3, 4)
    numpy.testing.assert_array_equal(image.numpy()[:, 0, 0], numpy.array(colours["dogs"]) / 255)
    gray_as_rgb, _ = dataset[1]
    assert gray_as_rgb.shape == (3, 3, 4)
    batch, labels = next(iter(DataLoader(dataset, batch_size=4)))
    assert batch.shape == (4, 3, 3, 4) and labels.tolist() == [0, 0, 1, 1]


def test_dataset_folder_options(tmp_path):
    _image_tree(tmp_path)
    text = datasets.DatasetFolder(tmp_path, loader=lambda path: open(path).read(), extensions=(".txt",))
    assert [sample for sample, _ in text] == ["not an image", "not an image"]
    only_nested = datasets.ImageFolder(tmp_path, is_valid_file=lambda path: "nested" in path)
    assert len(only_nested) == 2
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(tmp_path, loader=open, extensions=(".txt",), is_valid_file=lambda path: True)
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes"):
        datasets.DatasetFolder(tmp_path, loader=open, extensions=(".jpg",))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(tmp_path / "empty")


def _grid_reference(images, nrow, padding, pad_value):
    count, channels, height, width = images.shape
    columns = min(nrow, count)
    rows = -(-count // columns)
    grid = numpy.full((channels, rows * (height + padding) + padding, columns * (width + padding) + padding),
                      pad_value, dtype=images.dtype)
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + padding) + padding, column * (width + padding) + padding
        grid[:, top:top + height, left:left + width] = images[index]
    return grid


def test_make_grid():
    device = "cpu"
    images = numpy.random.default_rng(0).random((5, 3, 4, 6)).astype(numpy.float32)
    grid = make_grid(plexgrad.tensor(images, device=device), nrow=2, padding=1, pad_value=0.5)
    numpy.testing.assert_array_equal(grid.numpy(), _grid_reference(images, 2, 1, 0.5))
    gray = plexgrad.tensor(images[:, :1] * 4 - 1, device=device)
    normalized = make_grid(gray, normalize=True, padding=0)
    assert normalized.shape == (3, 4, 30)
    host = normalized.numpy()
    assert abs(host.min()) < 1e-6 and abs(host.max() - 1) < 1e-6
    ranged = make_grid(gray, normalize=True, value_range=(-1.0, 1.0), padding=0).numpy()
    expected = numpy.clip(images[:, 0] * 4 - 1, -1, 1) / 2 + 0.5
    numpy.testing.assert_allclose(ranged[0], numpy.concatenate(list(expected), axis=1), rtol=1e-6)
    single = make_grid(plexgrad.tensor(images[:1], device=device))
    assert single.shape == (3, 4, 6)


def test_save_image(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    images = plexgrad.tensor(numpy.random.default_rng(0).random((4, 3, 5, 5)).astype(numpy.float32))
    path = tmp_path / "grid.png"
    save_image(images, path, nrow=2, padding=2)
    saved = numpy.asarray(Image.open(path))
    reference = _grid_reference(images.numpy(), 2, 2, 0.0)
    expected = numpy.clip(reference * 255 + 0.5, 0, 255).astype(numpy.uint8).transpose(1, 2, 0)
    numpy.testing.assert_array_equal(saved, expected)
