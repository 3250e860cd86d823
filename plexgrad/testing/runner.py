"""Running the kit's cases on a device and turning the outcomes into a ``Report``.

Each case runs inside ``dispatch.observing`` so the report knows which declared ops it
ran; any error a case raises becomes that case's failure message (a missing kernel, a
``MissingKernelError``, is reported as declared-missing instead), so the kit itself never
ends in a traceback.
"""

__all__ = ["run", "run_case", "op_statuses", "DeviceUnusable"]

import time
import warnings

from .. import core  # noqa: F401  (declares every op)
from ..core import dispatch
from ..core.device import device as Device
from .behaviours import supported_dtypes
from .cases import all_cases
from .compare import Mismatch
from .report import CaseResult, OpStatus, Report


class DeviceUnusable(RuntimeError):
    """The device cannot be used at all (its backend is not installed, or failed to load)."""


def _load(device):
    try:
        device_type = Device(device).type
        return device_type, dispatch.backend_for_type(device_type)
    except Exception as error:
        raise DeviceUnusable(f"device {device!r} cannot be tested: {error}") from None


def run_case(case, device, held_dtypes=None):
    """Run one case on ``device``; returns its ``CaseResult``.  ``held_dtypes``: the dtype names the
    backend holds (default: asked from the backend)."""
    device_type, _ = _load(device)
    if held_dtypes is None:
        held_dtypes = {name for name, held in supported_dtypes(device).items() if held is True}
    lacking = sorted(case.dtypes - set(held_dtypes))
    if lacking:
        return CaseResult(case.id, case.kind, case.subject, case.dtype, "unsupported-dtype",
                          f"needs {', '.join(lacking)}, which the backend does not hold")
    started = time.perf_counter()
    with dispatch.observing(device_type) as seen, warnings.catch_warnings():
        # the op table feeds nan/inf and zeros on purpose: numpy's "invalid value" warnings are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            case.check(device)
            status, message = "pass", ""
        except dispatch.MissingKernelError as error:
            status, message = "missing", str(error)
        except Mismatch as error:
            status, message = "fail", str(error)
        except Exception as error:
            status, message = "fail", f"{case.id} on {device}: raised {type(error).__name__}: {error}"
    return CaseResult(case.id, case.kind, case.subject, case.dtype, status, message, frozenset(seen),
                      time.perf_counter() - started)


def op_statuses(device_type, results):
    """``{op name: OpStatus}`` for the declared ops, from the case results on ``device_type``."""
    cleared = set()
    for result in results:
        if result.status == "pass":
            cleared |= result.ops
    statuses = {name: OpStatus(name, "not-exercised", dispatch.runs(op, device_type))
                for name, op in dispatch.OPS.items()}
    for result in results:
        for name in result.ops:
            if name in statuses:
                statuses[name].cases += 1
    for result in results:
        if result.status != "fail":
            continue
        blamed = (result.ops - cleared) or result.ops
        for name in blamed:
            if name in statuses:
                statuses[name].failures.append(result.id)
    for status in statuses.values():
        if status.runs == "missing":
            status.status = "declared-missing"
        elif status.failures:
            status.status = "fail"
        elif status.cases:
            status.status = "pass"
    return statuses


def run(device, *, kinds=None, subjects=None, progress=None):
    """Run the conformance kit on ``device`` (e.g. ``"cpu"``, ``"jax"``, ``"toy:1"``); returns a ``Report``.

    ``kinds`` / ``subjects`` narrow the cases (``plexgrad.testing.KINDS``; op-table entry or
    behaviour names); ``progress(done, total)`` is called after each case.  Raises
    ``DeviceUnusable`` (saying why) when the device's backend cannot be loaded at all.

        >>> report = plexgrad.testing.run("cpu")
        >>> report.ok, report.counts()
    """
    device_type, backend = _load(device)
    dtypes = supported_dtypes(device)
    held = {name for name, supported in dtypes.items() if supported is True}
    cases = [case for case in all_cases() if (kinds is None or case.kind in kinds) and
             (subjects is None or case.subject in subjects)]
    results = []
    for position, case in enumerate(cases):
        results.append(run_case(case, device, held))
        if progress is not None:
            progress(position + 1, len(cases))
    return Report(str(device), backend.name, results, op_statuses(device_type, results), dtypes)
