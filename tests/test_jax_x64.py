"""Using the ``jax`` device leaves the user's own JAX code alone: no process-wide
``jax_enable_x64``; plexgrad's jax tensors still carry torch's int64 and float64.

The user-side checks run in fresh interpreters (the x64 switch is process state, and this
test process may have imported jax already).
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch

import plexgrad

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                reason="jax is not installed (pip install 'plexgrad[jax]')")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 60


def _run(script):
    environment = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name in ("PLEXGRAD_DEVICE", "JAX_ENABLE_X64"):
        environment.pop(name, None)
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                               env=environment, timeout=180)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    return completed.stdout


_USE_PLEXGRAD_ON_JAX = """
    import plexgrad
    x = plexgrad.arange(6, device="jax").reshape(2, 3)
    w = plexgrad.ones(3, dtype=plexgrad.float64, device="jax", requires_grad=True)
    y = (x * w).sum()
    y.backward()
    view = x[:, 1:]
    view.add_(1)
    plexgrad_dtypes = [str(t.dtype) for t in (x, w, y, w.grad, x.argmax(), x.sum())]
    native_dtypes = [str(t.detach().numpy().dtype) for t in (x, w, y, w.grad, x.argmax(), x.sum())]
"""


def test_user_jax_keeps_its_defaults_after_plexgrad_uses_jax():
    output = _run(_USE_PLEXGRAD_ON_JAX + """
    import jax, jax.numpy as jnp
    print(jax.config.jax_enable_x64)
    print(jnp.arange(3).dtype, jnp.array(1.0).dtype, jnp.zeros(2).dtype, (jnp.arange(3) * 1.5).dtype)
    print(jax.jit(lambda a: a * 2)(jnp.arange(3)).dtype)
    print(plexgrad_dtypes)
    print(native_dtypes)
    """)
    lines = output.splitlines()
    assert lines[0] == "False"
    assert lines[1].split() == ["int32", "float32", "float32", "float32"]
    assert lines[2] == "int32"
    expected = ["int64", "float64", "float64", "float64", "int64", "int64"]
    assert eval(lines[3]) == [f"plexgrad.{name}" for name in expected]
    assert eval(lines[4]) == expected  # the stored arrays really are 64-bit, not only labelled so


def test_user_jax_imported_first_keeps_its_defaults():
    output = _run("""
    import jax, jax.numpy as jnp
    before = jax.jit(lambda a: a + 1)
    print(before(jnp.arange(2)).dtype)
    """ + _USE_PLEXGRAD_ON_JAX + """
    print(before(jnp.arange(2)).dtype, jnp.arange(3).dtype, jnp.array(1.0).dtype)
    print(native_dtypes)
    """)
    lines = output.splitlines()
    assert lines[0] == "int32"
    assert lines[1].split() == ["int32", "int32", "float32"]
    assert eval(lines[2]) == ["int64", "float64", "float64", "float64", "int64", "int64"]


def test_user_who_enabled_x64_keeps_it():
    output = _run("""
    import jax
    jax.config.update("jax_enable_x64", True)
    """ + _USE_PLEXGRAD_ON_JAX + """
    import jax.numpy as jnp
    print(jax.config.jax_enable_x64, jnp.arange(3).dtype, jnp.array(1.0).dtype)
    with jax.enable_x64(False):
        print(jnp.arange(3).dtype, plexgrad.arange(3, device="jax").numpy().dtype, jnp.arange(3).dtype)
    """)
    lines = output.splitlines()
    assert lines[0].split() == ["True", "int64", "float64"]
    assert lines[1].split() == ["int32", "int64", "int32"]


def test_plexgrad_jax_tensors_keep_torch_dtypes_and_precision():
    """The same program under torch and under plexgrad on jax: dtypes and float64 values."""
    results = {}
    for library, device in ((torch, "cpu"), (plexgrad, "jax")):
        integers = library.arange(5, device=device)
        small = library.tensor([1, 2, 3], dtype=library.int32, device=device)
        wide = library.tensor([1.0, 1e-12, 3.0], dtype=library.float64, device=device)
        big = library.tensor([2 ** 40, 3], device=device)
        cases = {
            "arange": integers, "sum of int32": small.sum(), "argmax": wide.argmax(),
            "int64 + python int": integers + 2 ** 35, "big": big * 3,
            "float64 tiny difference": (wide + 1) - 1, "float64 mean": wide.mean(),
            "int / int": integers / 3, "nonzero": (integers > 1).nonzero(),
            "float32 default": library.ones(2, device=device) * 0.5,
            "index with int64": wide[library.tensor([2, 0], device=device)],
        }
        results[library.__name__] = {name: (str(value.dtype).split(".")[-1], np.asarray(value.cpu().numpy()))
                                     for name, value in cases.items()}
    for name, (dtype, value) in results["torch"].items():
        found_dtype, found = results["plexgrad"][name]
        assert found_dtype == dtype, f"{name}: plexgrad on jax gives {found_dtype}, torch {dtype}"
        assert found.dtype == value.dtype, f"{name}: stored as {found.dtype}, torch {value.dtype}"
        np.testing.assert_array_equal(found, value, err_msg=name)


def test_x64_is_on_only_inside_the_call_and_only_in_its_thread():
    import jax
    import jax.numpy as jnp
    from plexgrad.backends.jax_be.x64 import scoped

    inside, checked = threading.Event(), threading.Event()

    def kernel():
        seen = jax.config.jax_enable_x64, jnp.arange(2).dtype
        inside.set()
        assert checked.wait(TIMEOUT)
        return seen

    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("kernel", scoped(kernel)()))
    thread.start()
    assert inside.wait(TIMEOUT)
    outcome["user"] = jnp.arange(2).dtype  # another thread, while the kernel is inside its scope
    checked.set()
    thread.join(TIMEOUT)
    assert outcome["kernel"] == (True, jnp.dtype("int64"))
    assert outcome["user"] == jnp.dtype("int32")
    assert jnp.arange(2).dtype == jnp.dtype("int32")


@pytest.mark.parametrize("through", ["swap_local", "public context manager"])
def test_scope_is_restored_after_an_error(through):
    import jax
    import jax.numpy as jnp
    from plexgrad.backends.jax_be.x64 import scoped

    class ContextOnly:  # a JAX without swap_local/set_local: only the public context manager
        def __call__(self, value):
            return jax.enable_x64(value)
    state = jax.enable_x64 if through == "swap_local" else ContextOnly()

    def failing():
        assert jnp.arange(2).dtype == jnp.dtype("int64")
        raise ValueError("kernel failed")
    with pytest.raises(ValueError, match="kernel failed"):
        scoped(failing, state)()
    assert scoped(lambda: jnp.zeros(1, jnp.float64).dtype, state)() == jnp.dtype("float64")
    assert jnp.arange(2).dtype == jnp.dtype("int32")
    assert jax.config.jax_enable_x64 is False


def test_suite_turns_an_escaped_64_bit_call_into_an_error():
    """pyproject's filterwarnings: a JAX call on plexgrad's 64-bit arrays outside the backend's
    scope would silently drop to 32 bits; JAX warns, and the suite fails on that warning."""
    import jax.numpy as jnp
    data = plexgrad.arange(3, device="jax").numpy()
    escaped = plexgrad.arange(3, device="jax")._data
    assert data.dtype == np.int64
    with pytest.raises(UserWarning, match="Explicitly requested dtype int64"):
        jnp.add(escaped, 1)
