"""plexgrad's conformance kit: the checks a backend must pass, run against an installed backend.

    python -m plexgrad.testing DEVICE          # summary, non-zero exit on failure
    pytest --plexgrad-device=DEVICE            # the same cases as pytest tests (pytest11 plugin)

    >>> import plexgrad.testing
    >>> report = plexgrad.testing.run("cpu")   # -> Report: .ok, .counts(), .ops, .format()

For every declared op the kit checks, on the device under test: values, dtype and shape
against a numpy reference (``op_table.py``); every dtype the backend holds; first- and
second-order gradients against float64 central differences; non-contiguous and broadcast
inputs; 0-d and empty tensors.  Beyond single ops: bad inputs raise torch's exception type
(torch itself is the oracle when installed), dtype promotion, transfers to and from
``cpu`` copy, in-place writes through views, and determinism under ``manual_seed``.
Ops a backend neither implements nor can decompose are reported as declared-missing, not
failed.  The project's own test suite runs these cases on every installed backend.
"""

__all__ = ["run", "run_case", "all_cases", "Case", "Report", "CaseResult", "OpStatus", "Mismatch", "KINDS",
           "DeviceUnusable"]

from .cases import KINDS, Case, all_cases
from .compare import Mismatch
from .report import CaseResult, OpStatus, Report
from .runner import DeviceUnusable, run, run_case
