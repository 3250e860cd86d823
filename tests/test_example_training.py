"""The main job (examples/train_fashion_mnist.py) end to end on small generated IDX files:
training, checkpoint, curves, resume, and the message for missing data."""

import gzip
import json
import os
import struct
import sys

import numpy
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))

import train_fashion_mnist  # noqa: E402
from plexgrad.data import datasets  # noqa: E402


def _write_idx(path, array, gzipped):
    magic = {1: 0x0801, 3: 0x0803}[array.ndim]
    payload = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape) + array.tobytes()
    opener = gzip.open if gzipped else open
    with opener(path, "wb") as handle:
        handle.write(payload)


def _make_fashion_mnist(root, train_count=640, test_count=120):
    """Images whose class is a bright 7x7 block at one of ten positions: learnable in an epoch."""
    rng = numpy.random.default_rng(0)
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw)
    for prefix, count, gzipped in (("train", train_count, True), ("t10k", test_count, False)):
        labels = rng.integers(0, 10, count).astype(numpy.uint8)
        images = rng.integers(0, 60, (count, 28, 28)).astype(numpy.uint8)
        for image, label in zip(images, labels):
            row, column = divmod(int(label), 5)
            image[2 + row * 12: 9 + row * 12, 1 + column * 5: 6 + column * 5] = 250
        suffix = ".gz" if gzipped else ""
        _write_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte{suffix}"), images, gzipped)
        _write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte{suffix}"), labels, gzipped)


@pytest.fixture
def data_root(tmp_path):
    _make_fashion_mnist(str(tmp_path / "data"))
    return str(tmp_path / "data")


def _history(out, model):
    with open(os.path.join(out, f"{model}_history.json")) as handle:
        return json.load(handle)


def test_mlp_trains_saves_and_resumes(data_root, tmp_path, capsys):
    out = str(tmp_path / "out")
    arguments = ["--model", "mlp", "--epochs", "2", "--data-dir", data_root, "--out", out, "--no-progress",
                 "--batch-size", "32", "--lr", "0.05"]
    assert train_fashion_mnist.main(arguments) == 0
    printed = capsys.readouterr().out
    assert "epoch:1, Train Loss:" in printed and "final test accuracy:" in printed
    history = _history(out, "mlp")
    assert [entry["epoch"] for entry in history] == [0, 1]
    assert history[-1]["test_accuracy"] > 0.8, history  # the pattern is trivially learnable
    assert os.path.getsize(os.path.join(out, "mlp_checkpoint.safetensors")) > 0
    if os.path.exists(os.path.join(out, "mlp_curves.png")):
        with open(os.path.join(out, "mlp_curves.png"), "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"

    resumed = arguments[:]
    resumed[resumed.index("--epochs") + 1] = "3"
    assert train_fashion_mnist.main(resumed + ["--resume"]) == 0
    assert "resumed from" in capsys.readouterr().out
    history = _history(out, "mlp")
    assert [entry["epoch"] for entry in history] == [0, 1, 2]


def test_cnn_runs_one_epoch(data_root, tmp_path):
    out = str(tmp_path / "out")
    assert train_fashion_mnist.main(["--model", "cnn", "--epochs", "1", "--data-dir", data_root, "--out", out,
                                     "--no-progress", "--limit", "256"]) == 0
    assert len(_history(out, "cnn")) == 1


def test_missing_data_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(datasets.FashionMNIST, "system_folders", [str(tmp_path / "not-installed")])
    code = train_fashion_mnist.main(["--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "out"),
                                     "--epochs", "1", "--no-progress"])
    assert code == 2
    message = capsys.readouterr().err
    assert "apt-get install dataset-fashion-mnist" in message and "download=True" in message


def test_compiled_training_reaches_the_eager_accuracy(data_root, tmp_path, device):
    """``--compile`` (one program per step on jax, eager on cpu) learns what eager training learns."""
    results = {}
    for compiled in (False, True):
        out = str(tmp_path / f"out-{compiled}")
        arguments = ["--model", "mlp", "--epochs", "2", "--data-dir", data_root, "--out", out, "--no-progress",
                     "--batch-size", "32", "--lr", "0.05", "--device", device] + (["--compile"] if compiled else [])
        assert train_fashion_mnist.main(arguments) == 0
        results[compiled] = _history(out, "mlp")
    eager, compiled = results[False], results[True]
    assert [entry["epoch"] for entry in compiled] == [0, 1]
    assert abs(compiled[-1]["test_accuracy"] - eager[-1]["test_accuracy"]) <= 0.005, (eager, compiled)
    assert compiled[-1]["train_loss"] == pytest.approx(eager[-1]["train_loss"], rel=1e-3)
