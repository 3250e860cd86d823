"""What the conformance kit tells a backend author: a failing backend gets a report naming the
op, dtype, input and difference (never a traceback from inside the kit), ops it declares it
does not implement are reported, not failed; the command's exit status; the pytest plugin."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugins import distribution

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return distribution.build_site(tmp_path_factory.mktemp("kit") / "site-packages", ["plexgrad-wrong"])


def _run(arguments, site=None, cwd=None):
    env = dict(os.environ)
    env.pop("PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD", None)
    paths = ([str(site)] if site else []) + [str(ROOT)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, timeout=300,
                          cwd=str(cwd or ROOT))


def test_failing_backend_gets_a_report_naming_op_dtype_input_and_difference(site):
    completed = _run(["-m", "plexgrad.testing", "wrong", "--subject", "exp", "--subject", "sin",
                      "--subject", "cos", "--kind", "values", "--kind", "gradient"], site)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "Traceback" not in output
    assert "device wrong (backend wrong): FAIL" in output
    # the wrong exp: op, dtype, the input and where and by how much it differs
    assert "FAIL values:exp:float32" in output
    assert "exp (float32) on inputs float32[2, 3]" in output
    assert "values differ from the reference: 1 of 6 elements differ; first at index (1, 2)" in output
    assert "max |difference| 0.001" in output
    # the failing sin kernel: its own error, named, as a failure
    assert "FAIL values:sin:float32" in output and "raised RuntimeError: sin failed" in output
    assert "ValueError: this sin kernel is broken" in output
    # cos has no kernel and no decomposition: declared-missing, reported, not failed
    assert "FAIL values:cos" not in output
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("  ") and line[2] != " "}
    assert "declared-missing" in lines["cos"] and "fail" in lines["exp"] and "fail" in lines["sin"]
    assert "cases reached an op the backend declares it does not implement" in output


def test_passing_run_exits_zero_and_counts_dtypes():
    completed = _run(["-m", "plexgrad.testing", "cpu", "--kind", "dtype", "--kind", "promotion"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "device cpu (backend numpy): PASS" in completed.stdout
    assert "dtypes: 10 of 10 held" in completed.stdout


def test_unusable_device_exits_two_and_says_why():
    completed = _run(["-m", "plexgrad.testing", "nosuchdevice"])
    assert completed.returncode == 2
    assert "no backend serves device type 'nosuchdevice'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_run_returns_a_report_with_per_op_statuses():
    import plexgrad.testing
    report = plexgrad.testing.run("cpu", subjects={"exp", "add"}, kinds={"values"})
    assert report.ok and report.backend == "numpy"
    assert report.ops["exp"].status == "pass" and report.ops["add"].status == "pass"
    assert report.ops["matmul"].status == "not-exercised"
    assert report.counts()["fail"] == 0 and report.counts()["pass"] == len(report.cases) > 0


def test_pyproject_registers_the_pytest_plugin_and_ships_the_kit():
    text = (ROOT / "pyproject.toml").read_text()  # (tomllib is 3.11+; the project supports 3.10)
    assert '[project.entry-points.pytest11]\nplexgrad = "plexgrad.testing.pytest_plugin"' in text
    assert 'include = ["plexgrad*"]' in text


def test_pytest_plugin_from_its_entry_point_runs_the_kit(site, tmp_path):
    """``pytest --plexgrad-device=DEVICE`` in an empty folder runs only the kit: a failure shows the
    kit's message and no traceback, declared-missing ops are skipped, the summary lists the ops."""
    distribution.write_distribution(site, "plexgrad-kit-plugin", "0.1.0",
                                    {"pytest11": {"plexgrad": "plexgrad.testing.pytest_plugin"}}, [])
    completed = _run(["-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfs", "--plexgrad-device=wrong",
                      "-k", "values and (exp or cos or neg)"], site, cwd=tmp_path)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "values:exp:float32" in output and "values differ from the reference" in output
    # no traceback into the kit or the kernels
    assert not any(name in output for name in ("Traceback", "compare.py", "runner.py", "op_checks.py", "wrong_backend"))
    assert "declared-missing" in output and "op 'cos' is not implemented by backend 'wrong'" in output
    assert "plexgrad conformance kit on wrong" in output
    assert "passed" in output
