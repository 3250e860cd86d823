"""Ops whose results are inf or NaN print nothing, as in torch, while the user's own numpy code
keeps numpy's warnings (plexgrad's filter is scoped to its own modules).  Run in a fresh
interpreter: pytest resets warning filters around collection and each test."""

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_PROGRAM = textwrap.dedent("""
    import sys
    import numpy
    import plexgrad
    device = sys.argv[1]
    x = plexgrad.tensor([0.0, 1.0, -1.0], device=device, requires_grad=True)
    x.log().sum().backward()
    plexgrad.tensor([1.0, 0.0], device=device) / plexgrad.tensor([0.0, 0.0], device=device)
    plexgrad.tensor([1e30], device=device).exp()
    plexgrad.tensor([3e38], device=device) * 10
    plexgrad.tensor([-1.0], device=device).sqrt()
    print("plexgrad done", file=sys.stderr)
    if sys.argv[2] == "user":
        numpy.log(numpy.zeros(1))
""")


def _stderr(device, with_user_code):
    environment = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    environment.pop("PYTHONWARNINGS", None)
    completed = subprocess.run([sys.executable, "-c", _PROGRAM, device, "user" if with_user_code else "-"],
                               capture_output=True, text=True, env=environment, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stderr


def test_inf_and_nan_results_print_no_warning(device):
    assert _stderr(device, False).strip() == "plexgrad done"


def test_the_users_own_numpy_keeps_its_warnings():
    stderr = _stderr("cpu", True)
    before, after = stderr.split("plexgrad done")
    assert "Warning" not in before
    assert "RuntimeWarning: divide by zero encountered in log" in after
