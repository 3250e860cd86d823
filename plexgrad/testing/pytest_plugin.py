"""The kit as a pytest plugin (registered through the ``pytest11`` entry point).

    pytest --plexgrad-device=toy                      # only the kit, on toy
    pytest tests/ --plexgrad-device=toy --plexgrad-device=cpu   # your tests, and the kit on both

Without ``--plexgrad-device`` the plugin does nothing.  With it, the kit's cases are
collected (from ``plexgrad/testing/suite.py``) once per device given: a failing case fails
with the kit's message (op, dtype, input, difference) and no traceback; a case that reaches
an op the backend declares it does not implement, or needs a dtype the backend does not
hold, is skipped with that reason; the terminal summary ends with the per-op statuses.
"""

__all__ = ["pytest_addoption", "pytest_configure", "pytest_terminal_summary", "SUITE"]

from pathlib import Path

SUITE = str(Path(__file__).with_name("suite.py"))
"""The test module that holds the kit's pytest test."""


def pytest_addoption(parser):
    group = parser.getgroup("plexgrad", "plexgrad conformance kit")
    group.addoption("--plexgrad-device", action="append", default=None, metavar="DEVICE",
                    help="run plexgrad's backend conformance kit on DEVICE (repeatable)")


def pytest_configure(config):
    devices = config.getoption("plexgrad_device", default=None)
    if not devices:
        return
    config.stash[_RESULTS] = {}
    explicit = bool(config.option.file_or_dir)
    if not explicit:
        config.args[:] = [SUITE]  # nothing named: run only the kit
    elif SUITE not in config.args:
        config.args.append(SUITE)


def pytest_terminal_summary(terminalreporter, config):
    results = config.stash.get(_RESULTS, None) if hasattr(config, "stash") else None
    if not results:
        return
    from .runner import op_statuses
    for device, device_results in results.items():
        from ..core.device import device as Device
        statuses = op_statuses(Device(device).type, list(device_results.values()))
        counts = {}
        for status in statuses.values():
            counts[status.status] = counts.get(status.status, 0) + 1
        terminalreporter.write_sep("-", f"plexgrad conformance kit on {device}")
        terminalreporter.write_line("ops: " + ", ".join(f"{count} {name}" for name, count in sorted(counts.items())))
        for name in sorted(statuses):
            status = statuses[name]
            if status.status in ("fail", "declared-missing"):  # not-exercised: the run was narrowed (-k)
                terminalreporter.write_line(f"  {name}: {status.status} ({status.runs})"
                                            + (f", blamed by {', '.join(status.failures[:3])}" if status.failures
                                               else ""))


def _results_key():
    import pytest
    return pytest.StashKey()


_RESULTS = _results_key()
