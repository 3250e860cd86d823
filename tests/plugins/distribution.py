"""Install fixture plugins as real distributions (``*.dist-info`` with ``entry_points.txt``)
into a temporary site directory, and run Python there in a subprocess.

The main test process never sees these distributions: each check runs in a fresh
interpreter with the site directory on ``PYTHONPATH``.
"""

__all__ = ["write_distribution", "build_site", "run_python", "EXAMPLE_PACKAGE", "FIXTURES"]

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent
EXAMPLE_PACKAGE = FIXTURES.parent.parent / "examples" / "third_party_backend" / "plexgrad_toy"

# distribution name -> (entry-point name, module file or package dir)
PLUGINS = {
    "plexgrad-toy": ("toy", EXAMPLE_PACKAGE),
    "plexgrad-broken": ("broken", FIXTURES / "broken_backend.py"),
    "plexgrad-clash": ("clash", FIXTURES / "clash_backend.py"),
    "plexgrad-oldapi": ("oldapi", FIXTURES / "old_api_backend.py"),
    "plexgrad-frob": ("frob", FIXTURES / "unavailable_backend.py"),
    "plexgrad-malformed": ("malformed", FIXTURES / "malformed_backend.py"),
    "plexgrad-wrong": ("wrong", FIXTURES / "wrong_backend.py"),
}


def write_distribution(site, name, version, entry_points, sources):
    """Write distribution ``name`` into ``site``: copy ``sources`` (files or package dirs) and
    add a dist-info whose ``entry_points.txt`` maps group -> {entry-point name: object reference}."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    for source in sources:
        source = Path(source)
        if source.is_dir():
            shutil.copytree(source, site / source.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, site / source.name)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{entry} = {reference}" for entry, reference in entries.items())
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    (info / "RECORD").write_text("")
    return info


def build_site(site, names):
    """Install the fixture plugins ``names`` (keys of ``PLUGINS``) into ``site``."""
    for name in names:
        entry, source = PLUGINS[name]
        write_distribution(site, name, "0.1.0", {"plexgrad.backends": {entry: source.stem}}, [source])
    return site


def run_python(code, site=None, environment=None, arguments=None, returncode=0):
    """Run ``code`` (or ``python <arguments>``) in a fresh interpreter with ``site`` on PYTHONPATH.

    Returns stdout; an exit status other than ``returncode`` fails with the child's stderr.  When the output
    is JSON it is decoded.
    """
    env = dict(os.environ)
    env.pop("PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("PLEXGRAD_DEVICE", None)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(environment or {})
    command = [sys.executable] + (arguments if arguments is not None else ["-c", code])
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                               cwd=str(site.parent if site is not None else FIXTURES))
    if completed.returncode != returncode:
        raise AssertionError(f"child python failed ({completed.returncode}):\n{completed.stderr}\n{completed.stdout}")
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError:
        return completed.stdout
