"""The backend registry with real entry points.

Fixture plugins (``tests/plugins/``, plus the example backend in
``examples/third_party_backend/``) are installed as real distributions into a
temporary directory; each check runs in a fresh interpreter with that directory
on PYTHONPATH, so this process never sees them.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import plexgrad
from plexgrad.backends import registry

_HELPER_PATH = Path(__file__).resolve().parent / "plugins" / "distribution.py"
_spec = importlib.util.spec_from_file_location("plexgrad_test_distribution", _HELPER_PATH)
distribution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(distribution)

# Prints {backend name: [status, distribution, reason]} after discovery.
STATUSES = """
import json
from plexgrad.backends import registry
print(json.dumps({r.name: [r.status, r.distribution, r.reason] for r in registry.records()}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Every fixture plugin but the clashing one, which would put ``toy`` in conflict."""
    names = [name for name in distribution.PLUGINS if name != "plexgrad-clash"]
    return distribution.build_site(tmp_path_factory.mktemp("site") / "site-packages", names)


@pytest.fixture(scope="module")
def statuses(site):
    return distribution.run_python(STATUSES, site)


def test_import_plexgrad_imports_no_backend_library_and_no_plugin(site):
    code = """
import json, sys
import plexgrad
from plexgrad.backends import registry
before = {"jax": "jax" in sys.modules, "toy": "plexgrad_toy" in sys.modules,
          "discovered": registry._registry.discovered}
plexgrad.ones(2) + 1
after = {"jax": "jax" in sys.modules, "toy": "plexgrad_toy" in sys.modules,
         "toy_kernels": "plexgrad_toy.kernels" in sys.modules}
print(json.dumps([before, after]))
"""
    before, after = distribution.run_python(code, site)
    assert before == {"jax": False, "toy": False, "discovered": False}
    # using cpu discovers plugins (imports their cheap declaring module) but loads neither jax nor toy kernels
    assert after == {"jax": False, "toy": True, "toy_kernels": False}


def test_builtin_backends_declare_through_the_hook():
    by_name = {record.name: record for record in registry.records()}
    for name, device_type in (("numpy", "cpu"), ("jax", "jax"), ("cupy", "cuda")):
        record = by_name[name]
        assert record.plugin == f"plexgrad.backends.{name}_be"
        assert record.distribution == "plexgrad" and record.version == plexgrad.__version__
        assert record.device_types == (device_type,)
        module = sys.modules[record.plugin]
        assert hasattr(module.plexgrad_backends, "plexgrad_impl"), "built-ins must use the pluggy hookimpl marker"


def test_third_party_backend_is_found_and_its_kernels_run(site):
    code = """
import json
import plexgrad
from plexgrad.backends import registry
from plexgrad.core.dispatch import OPS
x = plexgrad.ones(3, device="toy") + 1
w = plexgrad.ones(2, device="toy", requires_grad=True)
(w * w * 3).sum().backward()
from plexgrad_toy.kernels import CALLS
record = {r.name: r for r in registry.records()}["toy"]
print(json.dumps({
    "values": x.cpu().tolist(), "device": str(x.device), "grad": w.grad.cpu().tolist(),
    "grad_device": w.grad.device.type, "calls": dict(CALLS), "status": record.status,
    "distribution": [record.distribution, record.version, record.plugin],
    "plain_lookup": OPS["add"].kernels["toy"] is record.backend.kernels["add"],
}))
"""
    result = distribution.run_python(code, site)
    assert result["values"] == [2.0, 2.0, 2.0]
    assert result["device"] == "toy:0"
    assert result["grad"] == [6.0, 6.0] and result["grad_device"] == "toy"
    assert result["calls"]["full"] >= 1 and result["calls"]["add"] >= 1 and result["calls"]["mul"] >= 2
    assert result["calls"]["sum"] >= 1
    assert result["status"] == "active"
    assert result["distribution"] == ["plexgrad-toy", "0.1.0", "plexgrad_toy"]
    assert result["plain_lookup"], "ops must dispatch to the backend's own kernel by dict lookup"


def test_missing_kernel_names_op_backend_and_implementers(site):
    code = """
import plexgrad
x = plexgrad.ones(3, device="wrong")
try:
    plexgrad.cos(x)
except NotImplementedError as error:
    print(error)
"""
    message = distribution.run_python(code, site)
    assert "'cos'" in message and "'wrong'" in message
    implementers = message.split("implemented by:")[1]
    assert "numpy" in implementers
    if importlib.util.find_spec("jax") is not None:
        assert "jax" in implementers
    if not plexgrad.cuda.is_available():
        assert "cupy" not in implementers, "an unavailable backend is no place to move a tensor to"
    assert "wrong" not in implementers and "toy" in implementers


def test_plugin_that_fails_to_import_is_reported_and_others_keep_working(site, statuses):
    status, dist_name, reason = statuses["broken"]
    assert status == "failed" and dist_name == "plexgrad-broken"
    assert "ModuleNotFoundError" in reason and "plexgrad_module_that_does_not_exist" in reason
    code = """
import json, plexgrad
print(json.dumps([(plexgrad.ones(2) * 2).tolist(), (plexgrad.ones(2, device="toy") * 2).cpu().tolist()]))
"""
    assert distribution.run_python(code, site) == [[2.0, 2.0], [2.0, 2.0]]


def test_two_backends_claiming_one_device_type_are_a_conflict(tmp_path):
    clash_site = distribution.build_site(tmp_path / "site-packages", ["plexgrad-toy", "plexgrad-clash"])
    code = """
import json, plexgrad
from plexgrad.backends import registry
from plexgrad.core.dispatch import backend_for_type
statuses = {r.name: [r.status, r.distribution, r.reason] for r in registry.records()}
try:
    plexgrad.ones(1, device="toy")
except RuntimeError as error:
    message = str(error)
print(json.dumps([statuses, backend_for_type("cpu").name, message]))
"""
    statuses, cpu_backend, message = distribution.run_python(code, clash_site)
    # a plugin never takes a built-in device type: numpy keeps cpu
    status, dist_name, reason = statuses["fakecpu"]
    assert status == "conflict" and dist_name == "plexgrad-clash"
    assert "'cpu'" in reason and "'numpy'" in reason and "built-in" in reason
    assert cpu_backend == "numpy" and statuses["numpy"][0] != "conflict"
    # two plugins claiming 'toy': neither wins by install order; each names the other
    status, dist_name, reason = statuses["toytwin"]
    assert status == "conflict" and "'toy'" in reason and "plexgrad-toy" in reason
    status, dist_name, reason = statuses["toy"]
    assert status == "conflict" and "'toy'" in reason and "plexgrad-clash" in reason
    assert "conflict" in message and "plexgrad-clash" in message


def test_wrong_api_version_is_incompatible_and_never_loaded(site, statuses):
    status, dist_name, reason = statuses["oldapi"]
    assert status == "incompatible" and dist_name == "plexgrad-oldapi"
    assert "version 0" in reason and "version 1" in reason
    code = """
import plexgrad
try:
    plexgrad.ones(1, device="oldapi")
except RuntimeError as error:
    print(error)
"""
    message = distribution.run_python(code, site)
    assert "'oldapi'" in message and "incompatible" in message and "plexgrad-oldapi" in message


def test_unavailable_backend_reports_its_reason(site, statuses):
    assert statuses["frob"] == ["unavailable", "plexgrad-frob", "no frobnicator card found"]
    assert statuses["stringtype"][0] == "unavailable" and "returned False" in statuses["stringtype"][2]
    code = """
import json, plexgrad
from plexgrad.backends import registry
messages = []
for device in ("frob", "frobfail"):
    try:
        plexgrad.zeros(1, device=device)
    except RuntimeError as error:
        messages.append(str(error))
record = {r.name: r for r in registry.records()}["frobfail"]
print(json.dumps(messages + [record.status, record.reason]))
"""
    frob, frobfail, status, reason = distribution.run_python(code, site)
    assert "'frob'" in frob and "unavailable" in frob and "no frobnicator card found" in frob
    assert "failed" in frobfail and "frobnicator driver version 3 required" in frobfail
    assert status == "failed" and reason.startswith("load() raised: OSError")


def test_malformed_declarations_are_reported_failed(statuses):
    assert statuses["badtype"][0] == "failed" and "'bad:0'" in statuses["badtype"][2]
    assert statuses["notcallable"][0] == "failed" and "load must be a callable" in statuses["notcallable"][2]
    not_a_declaration = [value for value in statuses.values() if "got str, not a BackendDeclaration" in value[2]]
    assert [value[:2] for value in not_a_declaration] == [["failed", "plexgrad-malformed"]]


def test_autoload_off_finds_no_third_party_backend(site):
    code = """
import json, sys, plexgrad
from plexgrad.backends import registry
names = [r.name for r in registry.records()]
try:
    plexgrad.ones(1, device="toy")
except RuntimeError as error:
    message = str(error)
print(json.dumps([names, message, "plexgrad_toy" in sys.modules]))
"""
    names, message, imported = distribution.run_python(code, site, {"PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert names == ["numpy", "jax", "cupy", "array_api_strict"]
    assert "no backend serves device type 'toy'" in message and "PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD" in message
    assert not imported


@pytest.mark.parametrize("value, disabled", [("1", True), ("yes", True), ("0", False), ("", False),
                                             ("false", False)])
def test_autoload_variable_values(monkeypatch, value, disabled):
    monkeypatch.setenv("PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD", value)
    assert registry.autoload_disabled() is disabled


def test_cupy_backend_reports_unavailable_with_reason_here():
    if plexgrad.cuda.is_available():
        pytest.skip("CuPy and a CUDA device are present")
    record = {record.name: record for record in registry.records()}["cupy"]
    assert record.status == "unavailable" and record.reason
    with pytest.raises(RuntimeError, match="unavailable") as error:
        plexgrad.ones(1, device="cuda")
    assert record.reason in str(error.value) and "pip install" in str(error.value)


@pytest.mark.slow
def test_example_backend_installs_with_pip_and_works(tmp_path):
    project = distribution.EXAMPLE_PACKAGE.parent
    source = tmp_path / "project"
    shutil.copytree(project, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    target = tmp_path / "site-packages"
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
         "--target", str(target), str(source)], capture_output=True, text=True, timeout=300)
    if completed.returncode != 0:
        pytest.fail(f"pip could not install the example backend offline:\n{completed.stderr}")
    code = """
import json, plexgrad
from plexgrad.backends import registry
record = {r.name: r for r in registry.records()}["toy"]
print(json.dumps([(plexgrad.arange(3, device="toy") * 2).cpu().tolist(), record.distribution, record.status]))
"""
    assert distribution.run_python(code, target) == [[0, 2, 4], "plexgrad-toy", "active"]


def _fenced_blocks(text, language):
    blocks, inside, lines = [], False, []
    for line in text.splitlines():
        if not inside and line.strip() == f"```{language}":
            inside, lines = True, []
        elif inside and line.strip() == "```":
            inside = False
            blocks.append("\n".join(lines).strip())
        elif inside:
            lines.append(line)
    return blocks


def test_backend_guide_shows_the_example_files_verbatim_and_its_snippet_runs(site):
    guide = (Path(__file__).resolve().parent.parent / "docs" / "backends.md").read_text()
    example = distribution.EXAMPLE_PACKAGE
    python_blocks = _fenced_blocks(guide, "python")
    assert (example.parent / "pyproject.toml").read_text().strip() in _fenced_blocks(guide, "toml")
    assert (example / "__init__.py").read_text().strip() in python_blocks
    assert (example / "kernels.py").read_text().strip() in python_blocks
    usage = next(block for block in python_blocks if block.startswith("import plexgrad as torch"))
    output = distribution.run_python(usage, site)
    assert "tensor([2., 2., 2.], device='toy:0')" in output
    assert "tensor([3., 3.], device='toy:0'" in output  # linear, run by its decomposition on toy kernels
    assert "'matmul'" in output


def test_cupy_backend_code_runs_with_numpy_standing_in_for_cupy():
    """CuPy mirrors numpy, so numpy dressed as ``cupy`` exercises the CuPy backend's own
    code here: conversions, in-place writes through views, scatter-adds, autograd."""
    code = """
import json, plexgrad
from plexgrad.backends import registry
x = plexgrad.arange(6.0).reshape(2, 3).to("cuda")
row_sums = (x * 2 + 1).sum(1).cpu().tolist()
first_row = x[0]
first_row.add_(10)
index = plexgrad.tensor([[0, 1, 2, 0]], device="cuda")
scattered = plexgrad.scatter_add(plexgrad.zeros(3, 4, device="cuda"), 0, index, plexgrad.ones(1, 4, device="cuda"))
repeated = plexgrad.tensor([0, 0, 2], device="cuda")
accumulated = plexgrad.index_put(plexgrad.zeros(3, device="cuda"), (repeated,),
                                 plexgrad.tensor([1.0, 2.0, 3.0], device="cuda"), accumulate=True)
assigned = plexgrad.zeros(3, device="cuda")
assigned[repeated] += 1
w = plexgrad.ones(3, device="cuda", requires_grad=True)
(w * w).sum().backward()
errors = []
for attempt in (lambda: plexgrad.ones(1, device="cuda", dtype=plexgrad.bfloat16),
                lambda: plexgrad.ones(1, device="cuda:1")):
    try:
        attempt()
    except (TypeError, RuntimeError) as error:
        errors.append(type(error).__name__ + ": " + str(error))
record = {r.name: r for r in registry.records()}["cupy"]
print(json.dumps({
    "status": record.status, "device": str(x.device), "row_sums": row_sums, "x": x.cpu().tolist(),
    "scattered": scattered.cpu().tolist(), "accumulated": accumulated.cpu().tolist(),
    "assigned": assigned.cpu().tolist(), "grad": w.grad.cpu().tolist(), "errors": errors,
    "available": plexgrad.cuda.is_available(), "count": plexgrad.cuda.device_count(),
}))
"""
    result = distribution.run_python(code, distribution.FIXTURES / "fake_cupy")
    assert result["status"] == "active" and result["device"] == "cuda:0"
    assert result["available"] is True and result["count"] == 1
    assert result["row_sums"] == [9.0, 27.0]
    assert result["x"] == [[10.0, 11.0, 12.0], [3.0, 4.0, 5.0]], "a write through a view must reach its base"
    assert result["scattered"] == [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    assert result["accumulated"] == [3.0, 0.0, 3.0]
    assert result["assigned"] == [1.0, 0.0, 1.0]
    assert result["grad"] == [2.0, 2.0, 2.0]
    bfloat16_error, index_error = result["errors"]
    assert bfloat16_error.startswith("TypeError") and "bfloat16" in bfloat16_error and "cuda" in bfloat16_error
    assert index_error.startswith("RuntimeError") and "cuda:1" in index_error
