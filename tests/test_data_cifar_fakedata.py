"""CIFAR10 / CIFAR100 read from a tiny archive in the standard layout (compared with torchvision
reading the same files), FakeData, and the no-network download path."""

import os
import pickle
import tarfile

import numpy
import pytest

import plexgrad
from plexgrad.data import DataLoader, datasets, transforms as T

torchvision = pytest.importorskip("torchvision")
pytest.importorskip("PIL.Image")


def _write_batch(path, entry):
    with open(path, "wb") as handle:
        pickle.dump(entry, handle, protocol=2)


def make_cifar(root, hundred=False, per_batch=3, seed=0):
    """A miniature archive laid out as the real one (images random, labels cycling over the classes)."""
    rng = numpy.random.default_rng(seed)
    folder = os.path.join(root, "cifar-100-python" if hundred else "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    classes = [f"class{index}" for index in range(100 if hundred else 10)]
    names = ["train", "test"] if hundred else ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                                                "data_batch_5", "test_batch"]
    start = 0
    for name in names:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=numpy.uint8)
        labels = [(start + offset * 7) % len(classes) for offset in range(per_batch)]
        start += per_batch
        entry = {"batch_label": name, "data": data, "filenames": [f"{name}_{i}.png" for i in range(per_batch)]}
        if hundred:
            entry.update(fine_labels=labels, coarse_labels=[label // 5 for label in labels])
        else:
            entry["labels"] = labels
        _write_batch(os.path.join(folder, name), entry)
    meta = {"fine_label_names": classes, "coarse_label_names": [f"super{i}" for i in range(20)]} if hundred else \
        {"label_names": classes, "num_cases_per_batch": per_batch}
    _write_batch(os.path.join(folder, "meta" if hundred else "batches.meta"), meta)
    return folder


@pytest.mark.parametrize("hundred", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_cifar_reads_like_torchvision(tmp_path, monkeypatch, hundred, train):
    make_cifar(tmp_path, hundred)
    ours_class, theirs_class = ("CIFAR100", "CIFAR100") if hundred else ("CIFAR10", "CIFAR10")
    ours = getattr(datasets, ours_class)(str(tmp_path), train=train)
    # torchvision checks the real archive's MD5s, which a miniature one cannot pass: skip just that check
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    theirs = getattr(torchvision.datasets, theirs_class)(str(tmp_path), train=train)
    assert len(ours) == len(theirs) == (15 if train and not hundred else 3)
    assert isinstance(ours.data, numpy.ndarray) and ours.data.shape == theirs.data.shape
    numpy.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.targets == theirs.targets
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    for index in range(len(ours)):
        (ours_image, ours_label), (theirs_image, theirs_label) = ours[index], theirs[index]
        assert ours_image.mode == theirs_image.mode == "RGB" and ours_image.size == theirs_image.size == (32, 32)
        numpy.testing.assert_array_equal(numpy.asarray(ours_image), numpy.asarray(theirs_image))
        assert ours_label == theirs_label
    assert repr(ours).splitlines()[:2] == repr(theirs).splitlines()[:2]


def test_cifar_with_transforms_in_a_loader(tmp_path):
    make_cifar(tmp_path)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    dataset = datasets.CIFAR10(str(tmp_path), train=True, transform=transform, target_transform=lambda y: y + 100)
    images, labels = next(iter(DataLoader(dataset, batch_size=4)))
    assert list(images.shape) == [4, 3, 32, 32] and images.dtype == plexgrad.float32
    expected = dataset.data[:4].transpose(0, 3, 1, 2) / 255.0 * 2 - 1
    numpy.testing.assert_allclose(images.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert labels.tolist() == [target + 100 for target in dataset.targets[:4]]
    # the loader's batched path gives exactly what indexing one sample at a time gives
    batched = dataset.__getitems__([4, 0, 9])
    for (image, label), index in zip(batched, [4, 0, 9]):
        single_image, single_label = dataset[index]
        numpy.testing.assert_array_equal(image.numpy(), single_image.numpy())
        assert label == single_label


def test_cifar_missing_files_and_download_say_where_to_put_them(tmp_path):
    with pytest.raises(RuntimeError) as raised:
        datasets.CIFAR10(str(tmp_path))
    assert "Dataset not found" in str(raised.value) and "cifar-10-batches-py" in str(raised.value)
    with pytest.raises(RuntimeError) as raised:
        datasets.CIFAR100(str(tmp_path), download=True)
    message = str(raised.value)
    assert "no network" in message and "cifar-100-python.tar.gz" in message and str(tmp_path) in message


def test_download_extracts_a_local_archive(tmp_path):
    source = tmp_path / "source"
    folder = make_cifar(str(source))
    root = tmp_path / "root"
    root.mkdir()
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as bundle:
        bundle.add(folder, arcname="cifar-10-batches-py")
    dataset = datasets.CIFAR10(str(root), train=False, download=True)
    assert len(dataset) == 3 and (root / "cifar-10-batches-py" / "test_batch").is_file()


def test_cifar_refuses_a_batch_that_would_run_code(tmp_path):
    folder = make_cifar(tmp_path)

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo should-not-run",))

    _write_batch(os.path.join(folder, "test_batch"), {"data": Payload(), "labels": []})
    with pytest.raises(RuntimeError, match="refusing to load"):
        datasets.CIFAR10(str(tmp_path), train=False)


def test_cifar_reports_a_malformed_batch(tmp_path):
    folder = make_cifar(tmp_path)
    _write_batch(os.path.join(folder, "test_batch"), {"data": numpy.zeros((2, 100), numpy.uint8), "labels": [0, 1]})
    with pytest.raises(RuntimeError, match=r"expected uint8 data of shape \(N, 3072\)"):
        datasets.CIFAR10(str(tmp_path), train=False)
    _write_batch(os.path.join(folder, "test_batch"), {"pixels": 1})
    with pytest.raises(RuntimeError, match="needs the keys 'data' and 'labels'"):
        datasets.CIFAR10(str(tmp_path), train=False)


def test_fake_data_is_deterministic_and_shaped_like_torchvisions():
    ours = datasets.FakeData(size=6, image_size=(3, 10, 12), num_classes=4, transform=T.ToTensor())
    theirs = torchvision.datasets.FakeData(size=6, image_size=(3, 10, 12), num_classes=4,
                                           transform=torchvision.transforms.ToTensor())
    assert len(ours) == len(theirs) == 6
    for index in range(6):
        image, label = ours[index]
        their_image, their_label = theirs[index]
        assert list(image.shape) == list(their_image.shape) == [3, 10, 12]
        assert image.dtype == plexgrad.float32 and type(label) is type(their_label) is int
        assert 0 <= label < 4 and 0 <= float(image.min()) and float(image.max()) <= 1
        numpy.testing.assert_array_equal(image.numpy(), ours[index][0].numpy())  # same sample every time
    assert any(ours[0][0].numpy().ravel() != ours[1][0].numpy().ravel())
    offset = datasets.FakeData(size=6, image_size=(3, 10, 12), num_classes=4, random_offset=1, transform=T.ToTensor())
    numpy.testing.assert_array_equal(offset[0][0].numpy(), ours[1][0].numpy())
    gray = datasets.FakeData(size=2, image_size=(1, 5, 5))
    assert gray[0][0].mode == "L" and gray[0][0].size == (5, 5)
    assert repr(ours) == repr(theirs)
    with pytest.raises(IndexError):
        ours[6]


def test_fake_data_leaves_the_global_random_state_alone():
    plexgrad.manual_seed(3)
    expected = plexgrad.rand(4)
    plexgrad.manual_seed(3)
    datasets.FakeData(size=2, image_size=(3, 4, 4))[1]
    assert plexgrad.rand(4).tolist() == expected.tolist()
