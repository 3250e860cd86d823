"""The minimal backend contract: generated from the declarations, rendered into docs/backends.md
(never drifting from the code); the toy example on exactly that contract passes the whole kit;
kernels that do not fit the declarations make a backend ``incompatible``; a device whose
plugin failed to load says which plugin failed and why; the listing's exit status."""

import ast
import io
import os
import subprocess
import tokenize
import sys
from pathlib import Path

import pytest

from plexgrad.backends.contract import DOC_BEGIN, DOC_END, contract_markdown, required_primitives
from plexgrad.core import dispatch
from plugins import distribution

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "examples" / "third_party_backend" / "plexgrad_toy"


def _python(arguments, site, cwd):
    env = dict(os.environ)
    env.pop("PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD", None)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    return subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, timeout=900,
                          cwd=str(cwd))


def test_docs_hold_the_generated_contract():
    guide = (ROOT / "docs" / "backends.md").read_text()
    rendered = guide[guide.index(DOC_BEGIN) + len(DOC_BEGIN):guide.index(DOC_END)].strip()
    assert rendered == contract_markdown().strip(), \
        "docs/backends.md is out of date: paste `python -m plexgrad.backends --contract` between the markers"


def test_contract_lists_every_declared_op_once_with_its_signature():
    text = contract_markdown()
    for name, op in dispatch.OPS.items():
        assert f"| `{name}({dispatch.signature_text(op)})`".replace("|", "\\|").replace("\\|", "|", 1) in text
    required = set(required_primitives())
    assert {"full", "add", "matmul", "getitem", "cast"} <= required
    assert not required & {"linear", "add_", "add_scaled_", "move", "batch_norm_train"}


def test_contract_command_prints_it():
    completed = subprocess.run([sys.executable, "-m", "plexgrad.backends", "--contract"], capture_output=True,
                               text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert completed.returncode == 0 and completed.stdout.strip() == contract_markdown().strip()


def _lines_of_code(path):
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    source = path.read_text()
    docstring_lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                docstring_lines.update(range(first.lineno, first.end_lineno + 1))
    code = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                              tokenize.ENDMARKER):
            code.update(line for line in range(token.start[0], token.end[0] + 1) if line not in docstring_lines)
    return len(code)


def test_line_counter_counts_code_only(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""A docstring\nover two lines."""\n\nimport os  # why\n\n\ndef f():\n    """Doc."""\n'
                      '    # a comment\n    return (1,\n            2)\n')
    assert _lines_of_code(sample) == 4  # import, def, and the two lines of the return


def test_toy_backend_is_at_most_60_lines_of_code():
    counts = {path.name: _lines_of_code(path) for path in TOY.glob("*.py")}
    assert set(counts) == {"__init__.py", "kernels.py"}
    assert sum(counts.values()) <= 60, f"the toy backend has {counts} lines of code"


@pytest.mark.slow
def test_toy_backend_on_the_minimal_contract_passes_the_whole_kit(tmp_path):
    site = distribution.build_site(tmp_path / "site-packages", ["plexgrad-toy"])
    completed = _python(["-m", "plexgrad.testing", "toy"], site, tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "device toy (backend toy): PASS" in completed.stdout
    assert "0 failed" in completed.stdout and "not held: bfloat16" in completed.stdout


def test_kernels_that_do_not_fit_the_declarations_make_the_backend_incompatible(tmp_path):
    site = tmp_path / "site-packages"
    distribution.write_distribution(site, "plexgrad-mism", "0.1.0", {"plexgrad.backends": {"mism": "mismatched_backend"}},
                                    [distribution.FIXTURES / "mismatched_backend.py"])
    listing = _python(["-m", "plexgrad.backends"], site, tmp_path)
    assert listing.returncode == 1, listing.stdout + listing.stderr
    row = next(line for line in listing.stdout.splitlines() if line.startswith("mism "))
    assert "incompatible" in row and "frobnicate" in row and "kernel 'exp' takes 2 positional arguments" in row
    use = _python(["-c", "import plexgrad; plexgrad.ones(2, device='mism')"], site, tmp_path)
    assert use.returncode == 1 and "backend 'mism' is incompatible" in use.stderr and "frobnicate" in use.stderr


def test_device_of_a_plugin_that_failed_to_load_names_the_plugin_and_why(tmp_path):
    site = distribution.build_site(tmp_path / "site-packages", ["plexgrad-broken"])
    use = _python(["-c", "import plexgrad; plexgrad.ones(2, device='broken')"], site, tmp_path)
    assert use.returncode == 1
    message = use.stderr.strip().splitlines()[-1]
    assert "no backend serves device type 'broken'" in message
    assert "plugins that failed to load" in message and "broken_backend from plexgrad-broken 0.1.0" in message
    assert "ModuleNotFoundError" in message
    listing = _python(["-m", "plexgrad.backends", "--no-load"], site, tmp_path)
    assert listing.returncode == 1 and "failed" in listing.stdout


def test_listing_exits_zero_when_every_backend_is_fine(tmp_path):
    site = distribution.build_site(tmp_path / "site-packages", ["plexgrad-toy"])
    listing = _python(["-m", "plexgrad.backends"], site, tmp_path)
    assert listing.returncode == 0, listing.stdout + listing.stderr
