"""``python -m plexgrad.backends``: the listing of backends, statuses and op coverage."""

import importlib.util
from pathlib import Path

import pytest

from plexgrad.backends.__main__ import COLUMNS, format_table

_HELPER_PATH = Path(__file__).resolve().parent / "plugins" / "distribution.py"
_spec = importlib.util.spec_from_file_location("plexgrad_test_distribution", _HELPER_PATH)
distribution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(distribution)

LISTED = ["plexgrad-toy", "plexgrad-broken", "plexgrad-oldapi", "plexgrad-frob"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return distribution.build_site(tmp_path_factory.mktemp("listing") / "site-packages", LISTED)


def _row(name, status, implemented=3, total=4, missing=("sin",), reason="", decomposed=()):
    return {"name": name, "distribution": "dist-" + name, "version": "1.0", "plugin": name,
            "device_types": [name], "status": status, "reason": reason, "implemented": implemented,
            "decomposed": None if implemented is None else list(decomposed),
            "total": total, "missing": None if missing is None else list(missing), "extra": []}


def test_format_table_aligns_columns_and_lists_missing_ops():
    rows = [_row("numpy", "active", 4, 4, ()),
            _row("a_long_backend_name", "unavailable", 2, reason="no card", decomposed=("linear",)),
            _row("odd", "failed", None, 4, None, reason="import failed")]
    lines = format_table(rows).splitlines()
    header = lines[0]
    assert header.split() == list(COLUMNS)
    status_column = header.index("STATUS")
    ops_column = header.index("OPS")
    coverages = ("4/4 native, 0 decomposed", "2/4 native, 1 decomposed", "?")
    for line, status, coverage in zip(lines[1:4], ("active", "unavailable", "failed"), coverages):
        assert line[status_column:].startswith(status)
        assert line[ops_column:].startswith(coverage)
    assert lines[2].endswith("no card") and lines[3].endswith("import failed")
    assert "a_long_backend_name lacks 1 core ops: sin" in lines
    assert not any(line.startswith("numpy lacks") or line.startswith("odd lacks") for line in lines)


def test_listing_shows_every_backend_with_status_and_coverage(site):
    # the fixture site holds failing plugins: the listing says so with exit status 1
    text = distribution.run_python(None, site, arguments=["-m", "plexgrad.backends"], returncode=1)
    lines = text.splitlines()
    assert "plugin API version 1" in lines[0] and "autoload on" in lines[0]
    header = next(line for line in lines if line.startswith("BACKEND"))
    table = lines[lines.index(header) + 1:]
    rows = {line.split()[0]: line for line in table[:table.index("")]}
    status_column = header.index("STATUS")
    assert set(rows) >= {"numpy", "jax", "cupy", "toy", "broken", "oldapi", "frob"}
    for name, status in (("numpy", "active"), ("toy", "active"), ("broken", "failed"),
                         ("oldapi", "incompatible"), ("frob", "unavailable")):
        assert rows[name][status_column:].startswith(status), rows[name]
    assert "plexgrad-toy 0.1.0" in rows["toy"] and "plexgrad-broken 0.1.0" in rows["broken"]
    assert "no frobnicator card found" in rows["frob"]
    total = int(rows["numpy"].split(" native")[0].split("/")[-1])
    assert f"{total}/{total} native, 0 decomposed" in rows["numpy"]
    # the toy supplies the required kernels only: the fused ops run by decompositions, and it lacks just
    # the optional fast paths the core does without (in-place updates, move)
    from plexgrad.backends.contract import required_primitives
    required = len(required_primitives())
    assert f"{required}/{total} native, 7 decomposed" in rows["toy"]
    lacks = " ".join(line for line in table if line.startswith("toy lacks") or line.startswith("    "))
    assert "toy lacks 7 core ops: add_, add_scaled_, div_, index_put_, move, mul_, sub_" in lacks


def test_listing_json_has_real_coverage_after_loading(site):
    rows = {row["name"]: row for row in
            distribution.run_python(None, site, arguments=["-m", "plexgrad.backends", "--json"], returncode=1)}
    toy = rows["toy"]
    assert toy["status"] == "active" and toy["distribution"] == "plexgrad-toy" and toy["device_types"] == ["toy"]
    from plexgrad.backends.contract import required_primitives
    assert toy["implemented"] == len(required_primitives()) and "add_" in toy["missing"]
    assert "sin" not in toy["missing"] and "add" not in toy["missing"]
    assert toy["decomposed"] == ["batch_norm_backward", "batch_norm_train", "cross_entropy_indices",
                                 "cross_entropy_indices_backward", "linear", "linear_backward", "relu_backward"]
    assert toy["implemented"] + len(toy["decomposed"]) + len(toy["missing"]) == toy["total"]
    assert rows["numpy"]["missing"] == [] and rows["numpy"]["implemented"] == rows["numpy"]["total"]
    assert rows["broken"]["status"] == "failed" and rows["broken"]["implemented"] is None
    assert rows["broken"]["distribution"] == "plexgrad-broken"
    if importlib.util.find_spec("jax") is not None:
        assert rows["jax"]["status"] == "active"


def test_listing_without_loading_imports_nothing_heavy(site):
    code = """
import contextlib, io, json, sys
from plexgrad.backends.__main__ import main
output = io.StringIO()
with contextlib.redirect_stdout(output):
    main(["--no-load", "--json"])
rows = {row["name"]: row for row in json.loads(output.getvalue())}
print(json.dumps([rows["toy"]["status"], rows["jax"]["status"], rows["toy"]["implemented"],
                  "jax" in sys.modules, "plexgrad_toy.kernels" in sys.modules]))
"""
    toy_status, jax_status, implemented, jax_imported, toy_kernels_imported = distribution.run_python(code, site)
    from plexgrad.backends.contract import required_primitives
    assert toy_status == "available" and implemented == len(required_primitives())  # declared coverage
    assert jax_status in ("available", "unavailable")
    assert not jax_imported and not toy_kernels_imported


def test_listing_with_autoload_off_shows_only_builtins(site):
    text = distribution.run_python(None, site, {"PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD": "1"},
                                   arguments=["-m", "plexgrad.backends", "--no-load"])
    assert "autoload off" in text
    names = [line.split()[0] for line in text.splitlines()[3:] if line.strip()]
    assert names[:3] == ["numpy", "jax", "cupy"] and "toy" not in names
