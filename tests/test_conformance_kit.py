"""The conformance kit (``plexgrad.testing``) on every installed backend: every case of the kit
is a test here, on each device of the ``device`` fixture, exactly as a backend author runs it
(``python -m plexgrad.testing DEVICE``); no device-type table, no skips by device name.

A case that reaches an op the backend declares it does not implement, or needs a dtype it
does not hold, is skipped with that reason (the kit reports those, it does not fail them).
The last test checks that the cases together run every declared op on the device.
"""

import pytest

from plexgrad.core import dispatch
from plexgrad.testing import all_cases, run_case

_RESULTS = {}  # device -> {case id: CaseResult}, for the coverage test


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in all_cases()])
def test_kit_case(case, device):
    result = run_case(case, device)
    _RESULTS.setdefault(device, {})[case.id] = result
    if result.status in ("missing", "unsupported-dtype"):
        pytest.skip(f"{result.status}: {result.message}")
    assert result.status == "pass", result.message


def test_kit_cases_run_every_declared_op(device):
    """Every declared op that runs on the device is run by some case (a kit without gaps)."""
    results = _RESULTS.get(device, {})
    ran = set()
    for case in all_cases():
        result = results.get(case.id) or run_case(case, device)  # when run alone (-k), run the cases here
        ran |= result.ops
    runnable = {name for name, op in dispatch.OPS.items() if dispatch.runs(op, device) != "missing"}
    assert runnable - ran == set(), f"declared ops no kit case runs on {device}: {sorted(runnable - ran)}"
