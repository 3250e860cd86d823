"""The kit's pytest test: one test per case and device (collected by ``pytest_plugin``).

Run it through the plugin: ``pytest --plexgrad-device=DEVICE``.
"""

__all__ = ["pytest_generate_tests", "test_conformance"]

import pytest

from .cases import all_cases
from .pytest_plugin import _RESULTS
from .runner import run_case


def pytest_generate_tests(metafunc):
    if "plexgrad_kit_case" in metafunc.fixturenames:
        devices = metafunc.config.getoption("plexgrad_device", default=None) or []
        metafunc.parametrize("plexgrad_kit_device", devices, ids=[f"on {device}" for device in devices])
        metafunc.parametrize("plexgrad_kit_case", all_cases(), ids=[case.id for case in all_cases()])


def test_conformance(plexgrad_kit_case, plexgrad_kit_device, request):
    """One case of the kit on one device."""
    result = run_case(plexgrad_kit_case, plexgrad_kit_device)
    request.config.stash.get(_RESULTS, {}).setdefault(plexgrad_kit_device, {})[result.id] = result
    if result.status in ("missing", "unsupported-dtype"):
        pytest.skip(f"{result.status}: {result.message}")
    if result.status == "fail":
        pytest.fail(result.message, pytrace=False)
