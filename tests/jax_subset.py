"""Keep the suite's time in check: the sequence-layer tests run every configuration on cpu and a
representative subset on the other backends (the layers are Tensor-op code shared by every backend;
what differs per backend is the kernels, which the subset exercises)."""

import pytest


def only_subset_off_cpu(device, name, subset):
    """Skip ``name`` on a non-cpu device unless it is in ``subset``."""
    if device != "cpu" and name not in subset:
        pytest.skip(f"{name}: every configuration runs on cpu; {device} runs the subset {sorted(subset)}")
