"""Shared fixtures: every backend-parametrised test runs on each installed backend.

``PLEXGRAD_TEST_DEVICES=cpu,jax`` narrows or widens the list; a backend that is not
installed is skipped with the reason.
"""

import importlib.util
import os

import pytest


def _requested_devices():
    text = os.environ.get("PLEXGRAD_TEST_DEVICES")
    if text:
        return [d.strip() for d in text.split(",") if d.strip()]
    return ["cpu", "jax", "cuda"]


def _skip_reason(device_type):
    if device_type == "jax" and importlib.util.find_spec("jax") is None:
        return "jax is not installed (pip install 'plexgrad[jax]')"
    if device_type == "cuda":
        import plexgrad
        if not plexgrad.cuda.is_available():
            return "no CuPy with a CUDA device here (GPU tests run on a machine with one)"
    return None


DEVICES = [pytest.param(d, marks=pytest.mark.skipif(bool(_skip_reason(d)), reason=_skip_reason(d) or ""), id=d)
           for d in _requested_devices()]


@pytest.fixture(params=DEVICES)
def device(request):
    """A device type string: 'cpu', 'jax' or 'cuda'."""
    return request.param
