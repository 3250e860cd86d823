"""The main job under the launcher with 2 processes: the global batch split over the ranks, rank 0
alone prints, saves the checkpoint (the plain model's state dict, loadable without DDP) and the
curves; the other rank stays quiet."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

import plexgrad
from dist_jobs.spawn import ROOT, python_environment
from deadlines import deadline
from test_example_training import _make_fashion_mnist
import train_fashion_mnist

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None,
                                reason="mpi4py is not installed (pip install 'plexgrad[distributed]')")


def test_main_job_with_two_ranks(tmp_path):
    data = str(tmp_path / "data")
    _make_fashion_mnist(data)
    out = str(tmp_path / "out")
    command = [sys.executable, "-m", "plexgrad.distributed.run", "--nproc-per-node", "2", "--master-port", "0",
               os.path.join(ROOT, "examples", "train_fashion_mnist.py"), "--epochs", "2",
               "--data-dir", data, "--out", out, "--no-progress", "--batch-size", "32", "--lr", "0.05"]
    with deadline(170):
        finished = subprocess.run(command, env=python_environment(), capture_output=True, text=True, timeout=160,
                                  cwd=ROOT)
    assert finished.returncode == 0, finished.stderr[-4000:]
    printed = finished.stdout
    assert printed.count("epoch:1, Train Loss:") == 1, "only rank 0 prints"
    assert "2 ranks x batch 16" in printed and "final test accuracy:" in printed
    with open(os.path.join(out, "mlp_history.json")) as handle:
        history = json.load(handle)
    assert [entry["epoch"] for entry in history] == [0, 1]
    assert history[-1]["train_accuracy"] > 0.3  # the generated classes are learnable in two epochs
    assert os.path.exists(os.path.join(out, "mlp_curves.png"))
    checkpoint = plexgrad.load(os.path.join(out, "mlp_checkpoint.safetensors"))
    plain = train_fashion_mnist.Net()
    plain.load_state_dict(checkpoint["model"])  # no "module." prefix: loads into the undistributed model
