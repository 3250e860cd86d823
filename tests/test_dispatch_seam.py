"""The dispatch seam (issue 8, items 1, 2 and 7): one entry for every kernel, declared op
contracts, fused ops that run natively or by decomposition with torch's values and
gradients, the device reaching placement kernels, and the layering."""

import ast
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import plexgrad
import plexgrad.nn.functional as F
from plexgrad.core import dispatch

ROOT = Path(__file__).resolve().parent.parent
_HELPER_PATH = Path(__file__).resolve().parent / "plugins" / "distribution.py"
_spec = importlib.util.spec_from_file_location("plexgrad_test_distribution_seam", _HELPER_PATH)
distribution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(distribution)

FUSED_OPS = sorted(op.name for op in dispatch.OPS.values() if op.decomposition is not None)
LOOKUP_PATTERN = r"kernels\[|\.kernel\(|kernels\.get|direct_kernels|\.kernels\b"
# the backend side may name its own tables: backends build them, the registry records their names,
# and ``Backend`` holds one
BACKEND_SIDE = ("plexgrad/backends/", "plexgrad/core/backend.py")


# ---- one seam --------------------------------------------------------------------------------
def test_no_kernel_is_looked_up_by_name_outside_dispatch():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to list the tracked files")
    completed = subprocess.run(
        ["git", "grep", "-nE", LOOKUP_PATTERN, "--", "plexgrad", ":!plexgrad/backends/*_be",
         ":!plexgrad/core/dispatch.py"], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode in (0, 1), completed.stderr
    offenders = [line for line in completed.stdout.splitlines() if not line.startswith(BACKEND_SIDE)]
    assert offenders == [], "kernel lookups outside plexgrad/core/dispatch.py:\n" + "\n".join(offenders)


def test_the_registry_never_imports_dispatch():
    """Discovery sits below dispatch: the registry module imports nothing from plexgrad.core but the
    Backend class it checks loaders against and the bottom layer's first-use lock (core.device)."""
    tree = ast.parse((ROOT / "plexgrad/backends/registry.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    core = {name for name in imported if "core" in name}
    assert core == {"..core.backend", "..core.device"}, core


def test_importing_core_imports_neither_nn_optim_nor_data():
    """Nor pluggy: discovery runs on the first use of a device, not at import."""
    code = ("import json, sys\nimport plexgrad.core\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[:2] in "
            "(['plexgrad', 'nn'], ['plexgrad', 'optim'], ['plexgrad', 'data']) or m == 'pluggy')))")
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               cwd=str(ROOT), timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == []


def test_four_threads_loading_backends_for_the_first_time_all_find_full_kernel_tables():
    """Loading a backend and filling the tables is done once, under dispatch's lock.  (Discovery
    itself is done first here: making it safe under concurrent first use is the registry's lock.)"""
    code = """
import json, threading
import plexgrad
from plexgrad.backends import registry
registry.records()  # discovery only: nothing loaded, no table filled
devices = ["cpu", "jax", "cpu", "jax"]
barrier = threading.Barrier(4)
results = [None] * 4
def work(position):
    barrier.wait()
    try:
        # forward only: grad mode is still process-wide here (thread-local grad mode comes with issue 8's
        # item 4), and a concurrent backward would switch recording off under the other threads
        x = plexgrad.ones(3, device=devices[position])
        results[position] = ((x * 2).exp() * 2).tolist()
    except Exception as error:
        results[position] = f"{type(error).__name__}: {error}"
threads = [threading.Thread(target=work, args=(position,)) for position in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(results))
"""
    if importlib.util.find_spec("jax") is None:
        code = code.replace('"jax"', '"cpu"')
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               cwd=str(ROOT), timeout=120)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    assert all(isinstance(result, list) for result in results), results
    np.testing.assert_allclose(results, [[2 * np.exp(2.0)] * 3] * 4, rtol=1e-6)


# ---- declared contracts -------------------------------------------------------------------------
def test_every_op_declares_a_signature_of_known_kinds():
    for op in dispatch.OPS.values():
        assert op.signature, op.name
        for name, kind in op.signature:
            assert name.isidentifier() and kind in dispatch.KINDS, (op.name, name, kind)
        assert op.placement == (op.signature[-1][1] == "device"), op.name


def _positional_parameters(kernel):
    try:
        parameters = inspect.signature(kernel).parameters.values()
    except (TypeError, ValueError):  # ufuncs and builtins: nothing to compare
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len([p for p in positional if p.default is p.empty]), len(positional)


@pytest.mark.parametrize("device", ["cpu", "jax"])
def test_declared_signatures_match_the_kernels_backends_supply(device):
    """The machine-readable signature is the kernel's: dispatch passes as many positional arguments
    as it declares, which every kernel written in Python accepts (variadic ones are not checked)."""
    if device == "jax" and importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    backend = dispatch.backend_for_type(device)
    checked = 0
    for op in dispatch.OPS.values():
        kernel = backend.kernels.get(op.name)
        counts = None if kernel is None else _positional_parameters(getattr(kernel, "__wrapped__", kernel))
        if counts is None:
            continue
        required, positional = counts
        assert required <= len(op.signature) <= positional, (op.name, counts, dispatch.signature_text(op))
        checked += 1
    assert checked > 30


def test_a_decomposition_must_name_the_ops_it_uses():
    with pytest.raises(ValueError, match="must name the ops it uses"):
        dispatch.Op("nameless_decomposition", signature="x", decomposition=lambda device, x: x)
    with pytest.raises(ValueError, match="declares no kernel signature"):
        dispatch.Op("unsigned", signature=None)
    with pytest.raises(ValueError, match="bad signature entry"):
        dispatch.Op("odd", signature=(("x", "tensor"),))


def test_coverage_counts_native_decomposed_and_missing_ops():
    native, decomposed, missing = dispatch.coverage({"add", "mul", "matmul", "permute"})
    assert native == ["add", "matmul", "mul", "permute"]
    assert "linear" in decomposed and "add_scaled_" not in decomposed  # add_scaled_ needs add_
    assert set(native) | set(decomposed) | set(missing) == set(dispatch.OPS)
    native, decomposed, missing = dispatch.coverage(set(dispatch.OPS) - set(FUSED_OPS))
    assert decomposed == FUSED_OPS and missing == []


# ---- fused ops against torch, native and decomposed ---------------------------------------------
def _torch_leaf(array):
    return torch.tensor(array, requires_grad=True)


def _ours_leaf(array, device):
    return plexgrad.tensor(array, device=device, requires_grad=True)


def _numpy(tensor):
    return np.asarray(tensor.detach().cpu().numpy() if hasattr(tensor, "cpu") else tensor.detach().numpy())


CASES = {
    "linear": (lambda lib, x, w, b: lib.nn.functional.linear(x, w, b).relu(), [(5, 4), (3, 4), (3,)]),
    "linear_3d_no_bias": (lambda lib, x, w: lib.nn.functional.linear(x, w), [(2, 5, 4), (3, 4)]),
    "batch_norm": (lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, training=True),
                   [(6, 3, 2), (3,), (3,)]),
    "cross_entropy_mean": (lambda lib, x: lib.nn.functional.cross_entropy(
        x, lib.tensor([0, 2, 1, 2, 3], device=x.device)), [(5, 4)]),
    "cross_entropy_sum": (lambda lib, x: lib.nn.functional.cross_entropy(
        x, lib.tensor([3, 0], device=x.device), reduction="sum"), [(2, 4)]),
    "mlp_step": (lambda lib, x, w1, w2: lib.nn.functional.cross_entropy(
        lib.nn.functional.linear(lib.nn.functional.linear(x, w1).relu(), w2),
        lib.tensor([1, 0, 2, 1], device=x.device)), [(4, 6), (5, 6), (3, 5)]),
}


def _against_torch(case, device):
    function, shapes = CASES[case]
    generator = np.random.default_rng(11)
    arrays = [generator.standard_normal(shape) for shape in shapes]
    expected_leaves = [_torch_leaf(a) for a in arrays]
    expected = function(torch, *expected_leaves)
    ours_leaves = [_ours_leaf(a, device) for a in arrays]
    ours = function(plexgrad, *ours_leaves)
    upstream = generator.standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(upstream))
    ours.backward(plexgrad.tensor(upstream, device=device))
    assert ours.dtype == plexgrad.float64 and tuple(ours.shape) == tuple(expected.shape)
    np.testing.assert_allclose(_numpy(ours), _numpy(expected), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(ours_leaves, expected_leaves):
        np.testing.assert_allclose(_numpy(mine.grad), _numpy(theirs.grad), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_ops_match_torch_natively(device, case):
    _against_torch(case, device)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_ops_match_torch_by_decomposition(device, case):
    with dispatch.forced_decompositions(device):
        assert dispatch.runs(dispatch.OPS["linear"], device) == "decomposed"
        _against_torch(case, device)


def test_sgd_momentum_by_decomposed_add_scaled_matches_torch():
    generator = np.random.default_rng(3)
    start = generator.standard_normal((4, 3))
    results = []
    for forced in (False, True):
        weight = plexgrad.tensor(start, requires_grad=True)
        optimizer = plexgrad.optim.SGD([weight], lr=0.1, momentum=0.9, dampening=0.1)
        context = dispatch.forced_decompositions("cpu", ["add_scaled_"]) if forced else _nothing()
        with context:
            if forced:
                assert dispatch.runs(dispatch.OPS["add_scaled_"], "cpu") == "decomposed"
            for _ in range(3):
                optimizer.zero_grad()
                (weight * weight).sum().backward()
                optimizer.step()
        results.append(weight.detach().numpy())
    reference = torch.tensor(start, requires_grad=True)
    optimizer = torch.optim.SGD([reference], lr=0.1, momentum=0.9, dampening=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        (reference * reference).sum().backward()
        optimizer.step()
    for result in results:
        np.testing.assert_allclose(result, reference.detach().numpy(), rtol=1e-12)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def test_batch_norm_running_statistics_by_decomposition_match_torch(device):
    generator = np.random.default_rng(5)
    x = generator.standard_normal((8, 3))
    expected_mean, expected_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(x), expected_mean, expected_var, training=True, momentum=0.3)
    with dispatch.forced_decompositions(device):
        mean = plexgrad.zeros(3, dtype=plexgrad.float64, device=device)
        var = plexgrad.ones(3, dtype=plexgrad.float64, device=device)
        F.batch_norm(plexgrad.tensor(x, device=device), mean, var, training=True, momentum=0.3)
    np.testing.assert_allclose(_numpy(mean), expected_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_numpy(var), expected_var.numpy(), rtol=1e-12)


def test_bad_targets_still_raise_torchs_error_by_decomposition(device):
    with dispatch.forced_decompositions(device):
        with pytest.raises(IndexError, match="Target 7 is out of bounds"):
            F.cross_entropy(plexgrad.randn(3, 4, device=device), plexgrad.tensor([0, 7, 1], device=device))
    with pytest.raises(IndexError):
        torch.nn.functional.cross_entropy(torch.randn(3, 4), torch.tensor([0, 7, 1]))


def test_a_missing_op_names_the_op_the_backend_and_who_has_it():
    with dispatch.forced_missing("cpu", ["exp"]):
        assert dispatch.runs(dispatch.OPS["exp"], "cpu") == "missing"
        with pytest.raises(NotImplementedError, match="op 'exp' is not implemented by backend 'numpy'"):
            plexgrad.ones(2).exp()
    assert plexgrad.ones(1).exp().item() == pytest.approx(np.e)


# ---- the device reaches placement kernels -------------------------------------------------------
def test_factories_root_gradients_and_transfers_are_placed_on_jax_1_itself():
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    code = """
import json
import jax
import plexgrad
from plexgrad.core import dispatch
placed = []
dispatch.OPS["full"].kernels.clear()
backend = dispatch.backend_for_type("jax")
native_full = backend.kernels["full"]
def spy(shape, value, dtype, device):
    placed.append(str(device))
    return native_full(shape, value, dtype, device)
dispatch.OPS["full"].kernels["jax"] = spy
x = plexgrad.ones(3, device="jax:1", requires_grad=True)
(x * 2).sum().backward()
source = plexgrad.arange(4.0, device="jax:0", requires_grad=True)
host_copies = []
to_host = backend.to_host
backend.to_host = lambda array: host_copies.append(1) or to_host(array)
moved = source.to("jax:1")
backend.to_host = to_host
(moved * 3).sum().backward()
print(json.dumps({"placed": placed, "x": [str(d) for d in x._data.devices()],
                  "moved": [str(d) for d in moved._data.devices()], "moved_value": moved.tolist(),
                  "source_grad": [str(d) for d in source.grad._data.devices()],
                  "source_grad_value": source.grad.tolist(),
                  "kind": dispatch.runs(dispatch.OPS["move"], "jax"), "host_copies": len(host_copies),
                  "grad": [str(d) for d in x.grad._data.devices()], "devices": [str(d) for d in jax.devices()],
                  "value": x.grad.tolist()}))
"""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), XLA_FLAGS="--xla_force_host_platform_device_count=2",
                       JAX_PLATFORMS="cpu")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               cwd=str(ROOT), timeout=120)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    second = result["devices"][1]
    assert result["placed"][:2] == ["jax:1", "jax:1"]  # ones, then backward's root gradient
    assert result["x"] == [second] and result["grad"] == [second]
    assert result["value"] == [2.0, 2.0, 2.0]
    # a transfer between jax devices is a device-to-device copy (the move op), and its gradient goes back
    assert result["kind"] == "native" and result["host_copies"] == 0
    assert result["moved"] == [second] and result["moved_value"] == [0, 1, 2, 3]
    assert result["source_grad"] == [result["devices"][0]] and result["source_grad_value"] == [3.0] * 4


# ---- a backend with only the primitives ---------------------------------------------------------
PRIMITIVE_CHECK = """
import json
import numpy as np
import plexgrad
import plexgrad.nn.functional as F
from plexgrad.core import dispatch
from plexgrad.backends.__main__ import rows_with_coverage
from plexgrad.backends import registry

def run(device):
    generator = np.random.default_rng(2)
    x = plexgrad.tensor(generator.standard_normal((6, 4)), device=device, requires_grad=True)
    w = plexgrad.tensor(generator.standard_normal((3, 4)), device=device, requires_grad=True)
    b = plexgrad.tensor(generator.standard_normal(3), device=device, requires_grad=True)
    g = plexgrad.tensor(generator.standard_normal(3), device=device, requires_grad=True)
    hidden = F.batch_norm(F.linear(x, w, b).relu(), None, None, g, None, training=True)
    loss = F.cross_entropy(hidden, plexgrad.tensor([0, 1, 2, 1, 0, 2], device=device))
    loss.backward()
    optimizer = plexgrad.optim.SGD([w], lr=0.1, momentum=0.9)
    optimizer.step()
    optimizer.step()
    return [loss.item()] + [t.grad.cpu().numpy().tolist() for t in (x, w, b, g)] + [w.detach().cpu().numpy().tolist()]

kinds = {name: dispatch.runs(dispatch.OPS[name], "prim") for name in
         ("linear", "linear_backward", "relu_backward", "batch_norm_train", "batch_norm_backward",
          "cross_entropy_indices", "cross_entropy_indices_backward", "add_scaled_", "matmul")}
row = {r["name"]: r for r in rows_with_coverage(registry.describe())}["prim"]
print(json.dumps({"prim": run("prim"), "cpu": run("cpu"), "kinds": kinds,
                  "row": {k: row[k] for k in ("implemented", "decomposed", "missing", "total")}}))
"""


def test_a_backend_with_only_primitives_runs_every_fused_op_by_decomposition(tmp_path):
    site = tmp_path / "site-packages"
    distribution.write_distribution(site, "plexgrad-prim", "0.1.0",
                                    {"plexgrad.backends": {"prim": "primitive_backend"}},
                                    [distribution.FIXTURES / "primitive_backend.py"])
    result = distribution.run_python(PRIMITIVE_CHECK, site)
    assert result["kinds"].pop("matmul") == "native"
    assert set(result["kinds"].values()) == {"decomposed"}, result["kinds"]
    for ours, reference in zip(result["prim"], result["cpu"]):
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)
    row = result["row"]
    assert set(row["decomposed"]) == set(FUSED_OPS)
    assert row["implemented"] + len(row["decomposed"]) + len(row["missing"]) == row["total"]
    listing = distribution.run_python(None, site, arguments=["-m", "plexgrad.backends"])
    line = next(line for line in listing.splitlines() if line.startswith("prim "))
    assert f"{row['implemented']}/{row['total']} native, {len(FUSED_OPS)} decomposed" in line


# ---- dtype rules are the declared contract, and torch's --------------------------------------------
_ELEMENTWISE = [name for name in ("neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "tanh", "sigmoid", "relu",
                                  "floor", "isnan", "logical_not", "square", "reciprocal", "add", "sub", "mul",
                                  "div", "pow", "maximum", "eq", "lt", "logical_and", "atan2", "remainder")]


@pytest.mark.parametrize("name", _ELEMENTWISE)
def test_element_wise_result_dtypes_come_from_the_declared_rule_and_match_torch(name):
    function = getattr(plexgrad, name)
    op = function.op
    binary = len(op.signature) == 2
    for dtype_name in ("bool", "uint8", "int32", "int64", "float32", "float64"):
        values = np.array([1, 0, 1]) if dtype_name == "bool" else np.array([1, 2, 3])
        expected_input = torch.tensor(values, dtype=getattr(torch, dtype_name))
        ours_input = plexgrad.tensor(values, dtype=getattr(plexgrad, dtype_name))
        try:
            expected = getattr(torch, name)(*((expected_input, expected_input) if binary else (expected_input,)))
        except RuntimeError:  # torch refuses this dtype (e.g. neg of bool): not a dtype-rule case
            continue
        ours = function(*((ours_input, ours_input) if binary else (ours_input,)))
        assert ours.dtype.name == str(expected.dtype).split(".")[-1], (name, dtype_name)
        assert ours.dtype is op.dtype_rule(ours_input.dtype)[1], (name, dtype_name, op.dtype_rule)


def test_apply_takes_the_result_dtype_from_the_rule():
    x = plexgrad.tensor([[1.0, 3.0], [2.0, 0.0]])
    assert x.argmax(1).dtype is plexgrad.int64 is dispatch.OPS["argmax"].dtype_rule(x.dtype)[1]
    assert x.all().dtype is plexgrad.bool is dispatch.OPS["all"].dtype_rule(x.dtype)[1]
    mixed = plexgrad.cat([plexgrad.tensor([1], dtype=plexgrad.int32), plexgrad.tensor([2.5], dtype=plexgrad.float64)])
    expected = torch.cat([torch.tensor([1], dtype=torch.int32), torch.tensor([2.5], dtype=torch.float64)])
    assert mixed.dtype.name == str(expected.dtype).split(".")[-1] and mixed.tolist() == expected.tolist()
    with pytest.raises(ValueError, match="unknown dtype rule 'floaty'"):
        dispatch.Op("odd_rule", signature="x", dtype_rule="floaty")


def _sample_arguments(name):
    generator = np.random.default_rng(4)
    x, w, b = generator.standard_normal((5, 4)), generator.standard_normal((3, 4)), generator.standard_normal(3)
    grad = generator.standard_normal((5, 3))
    centered, inverse = generator.standard_normal((5, 3)), np.abs(generator.standard_normal((1, 3))) + 0.5
    probabilities = np.full((5, 3), 1 / 3)
    target = np.array([0, 2, 1, 1, 0])
    return {
        "linear": (x, w, b),
        "linear_backward": (grad, x, w, True, True, True),
        "relu_backward": (grad, grad),
        "batch_norm_train": (grad, b, b, 1e-5, (0,), (1, 3)),
        "batch_norm_backward": (grad, centered, inverse, b, (0,), (1, 3), True),
        "cross_entropy_indices": (grad, target, 0.2),
        "cross_entropy_indices_backward": (probabilities, target, np.asarray(1.5), 0.2),
        "add_scaled_": (grad.copy(), grad, 0.5),
        "lstm_cell_state": (generator.standard_normal((5, 12)), grad),
        "lstm_cell_output": (generator.standard_normal((5, 12)), grad),
        "lstm_cell_state_backward": (grad, generator.standard_normal((5, 12)), grad),
        "lstm_cell_output_backward": (grad, generator.standard_normal((5, 12)), grad),
        "gru_cell": (generator.standard_normal((5, 9)), generator.standard_normal((5, 9)), grad),
        "gru_cell_backward": (grad, generator.standard_normal((5, 9)), generator.standard_normal((5, 9)), grad),
    }[name]


@pytest.mark.parametrize("name", FUSED_OPS)
def test_each_decomposition_uses_only_the_ops_it_declares(name):
    """Coverage is computed from ``uses``: with every other op missing, the decomposition still runs
    and gives the native kernel's answer."""
    op = dispatch.OPS[name]
    device = plexgrad.device("cpu")
    native_result = dispatch.call(op, device, *_sample_arguments(name))
    if name == "add_scaled_":  # an in-place op: its answer is the written destination
        destination, source, alpha = _sample_arguments(name)
        dispatch.call(op, device, destination, source, alpha)
        native_result = destination
    others = set(dispatch.OPS) - set(op.uses) - {name}
    with dispatch.forced_decompositions("cpu", [name]), dispatch.forced_missing("cpu", sorted(others)):
        assert dispatch.runs(op, "cpu") == "decomposed"
        arguments = _sample_arguments(name)
        decomposed = dispatch.call(op, device, *arguments)
        if name == "add_scaled_":
            decomposed = arguments[0]
    flat_native = native_result if isinstance(native_result, tuple) else (native_result,)
    flat_decomposed = decomposed if isinstance(decomposed, tuple) else (decomposed,)
    assert len(flat_native) == len(flat_decomposed)
    for ours, reference in zip(flat_decomposed, flat_native):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-14)
