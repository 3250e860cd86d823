"""The README's first quick-start command, run against stand-in dpkg, apt-cache, apt-get and
python3 programs: it installs Fashion-MNIST only when missing, updates the package lists only
when the package is not known yet (a fresh machine), and stops if that fails."""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each stand-in logs its command line; its behaviour depends on files in the state folder.
_STUBS = {
    "dpkg": 'test -e "$STATE/installed"',
    "apt-cache": 'test -e "$STATE/lists"',
    "apt-get": ('case "$1" in\n'
                '  update) test -e "$STATE/no-network" && exit 100; touch "$STATE/lists" ;;\n'
                '  install) test -e "$STATE/lists" || exit 100; touch "$STATE/installed" ;;\n'
                'esac'),
    "python3": "exit 0",
}


def _first_command():
    with open(os.path.join(ROOT, "README.md")) as handle:
        text = handle.read()
    quick_start = text[text.index("## Quick start"):]
    return re.search(r"```bash\n(.*?)\n```", quick_start, re.S).group(1).strip()


def _run(tmp_path, shell, state):
    bin_folder, state_folder, work = tmp_path / "bin", tmp_path / "state", tmp_path / "work"
    for folder in (bin_folder, state_folder, work / ".venv" / "bin"):
        folder.mkdir(parents=True, exist_ok=True)
    for name in state:
        (state_folder / name).touch()
    stubs = dict(_STUBS)
    for name, body in stubs.items():
        _write_stub(bin_folder / name, name, body)
    for name in ("pip", "python"):
        _write_stub(work / ".venv" / "bin" / name, f".venv/bin/{name}", "exit 0")
    environment = {"PATH": f"{bin_folder}:/usr/bin:/bin", "STATE": str(state_folder), "LOG": str(tmp_path / "log")}
    result = subprocess.run([shell, "-c", _first_command()], cwd=work, env=environment, capture_output=True,
                            text=True, timeout=60)
    log = (tmp_path / "log").read_text().splitlines() if (tmp_path / "log").exists() else []
    return result.returncode, [line.split(" ")[0] + (" " + line.split(" ")[1] if " " in line else "") for line in log]


def _write_stub(path, name, body):
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> "$LOG"\n{body}\n')
    path.chmod(0o755)


@pytest.mark.parametrize("shell", [name for name in ("bash", "sh") if shutil.which(name)])
@pytest.mark.parametrize("state, expected_code, expected_calls", [
    (["installed", "lists"], 0, ["dpkg -s", "python3 -m", ".venv/bin/pip install",
                                 ".venv/bin/python examples/train_fashion_mnist.py"]),
    (["lists"], 0, ["dpkg -s", "apt-cache show", "apt-get install", "python3 -m", ".venv/bin/pip install",
                    ".venv/bin/python examples/train_fashion_mnist.py"]),
    ([], 0, ["dpkg -s", "apt-cache show", "apt-get update", "apt-get install", "python3 -m", ".venv/bin/pip install",
             ".venv/bin/python examples/train_fashion_mnist.py"]),
    (["no-network"], 100, ["dpkg -s", "apt-cache show", "apt-get update"]),
], ids=["installed", "known-package", "fresh-machine", "update-fails"])
def test_first_quick_start_command(tmp_path, shell, state, expected_code, expected_calls):
    code, calls = _run(tmp_path, shell, state)
    assert (code != 0) == (expected_code != 0)
    assert calls == expected_calls
