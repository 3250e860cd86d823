"""Devices: device objects, the default device (env var, setter, context), ``to``,
``device=`` on every factory, mixed-device errors and gradients across devices."""

import os
import subprocess
import sys

import pytest

import plexgrad

OTHER_DEVICE = {"cpu": "jax", "jax": "cpu", "cuda": "cpu"}


def needs_jax():
    pytest.importorskip("jax")


# ---- device objects ----------------------------------------------------------------------------

def test_device_objects_repr_type_index():
    cpu = plexgrad.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None
    assert repr(cpu) == "device(type='cpu')" and str(cpu) == "cpu"
    jax0 = plexgrad.device("jax:0")
    assert jax0.type == "jax" and jax0.index == 0
    assert repr(jax0) == "device(type='jax', index=0)" and str(jax0) == "jax:0"
    assert plexgrad.device("jax", 0) == jax0
    assert repr(plexgrad.device("jax")) == "device(type='jax')"
    assert plexgrad.device("jax") != jax0  # as torch: 'cuda' and 'cuda:0' differ
    assert jax0 == "jax:0" and cpu == "cpu"
    assert plexgrad.device(jax0) is jax0
    assert hash(plexgrad.device("jax:0")) == hash(jax0)


@pytest.mark.parametrize("text", ["cpu:x", "", ":0", "jax:-1"])
def test_malformed_device_strings_raise(text):
    with pytest.raises(RuntimeError, match="device string"):
        plexgrad.device(text)


def test_device_from_non_string_raises():
    with pytest.raises(TypeError):
        plexgrad.device(3.5)


@pytest.mark.parametrize("make", [lambda: plexgrad.device("tpu"), lambda: plexgrad.device("tpu", 1),
                                  lambda: plexgrad.zeros(2, device="tpu"), lambda: plexgrad.ones(2).to("tpu:0")])
def test_unknown_device_type_raises_naming_known_types(make):
    with pytest.raises(RuntimeError) as caught:
        make()
    message = str(caught.value)
    assert "'tpu'" in message and "cpu" in message and "jax" in message


def test_device_index_out_of_range_raises():
    needs_jax()
    with pytest.raises(RuntimeError, match="jax:5"):
        plexgrad.zeros(2, device="jax:5")


# ---- tensors on devices ------------------------------------------------------------------------

def test_tensor_device_attribute(device):
    x = plexgrad.ones(2, device=device)
    expected = plexgrad.device("cpu") if device == "cpu" else plexgrad.device(device, 0)
    assert x.device == expected
    assert x.is_cpu == (device == "cpu")
    assert x.get_device() == (-1 if device == "cpu" else 0)
    assert (x + 1).device == x.device
    assert x.sum().device == x.device


FACTORIES = [
    ("zeros", lambda d: plexgrad.zeros(2, 3, device=d)),
    ("ones", lambda d: plexgrad.ones(2, device=d)),
    ("empty", lambda d: plexgrad.empty(2, device=d)),
    ("full", lambda d: plexgrad.full((2,), 3.0, device=d)),
    ("arange", lambda d: plexgrad.arange(3, device=d)),
    ("linspace", lambda d: plexgrad.linspace(0, 1, 3, device=d)),
    ("logspace", lambda d: plexgrad.logspace(0, 1, 3, device=d)),
    ("eye", lambda d: plexgrad.eye(2, device=d)),
    ("rand", lambda d: plexgrad.rand(2, device=d)),
    ("randn", lambda d: plexgrad.randn(2, device=d)),
    ("randint", lambda d: plexgrad.randint(0, 5, (2,), device=d)),
    ("randperm", lambda d: plexgrad.randperm(3, device=d)),
    ("tensor", lambda d: plexgrad.tensor([1, 2], device=d)),
    ("as_tensor", lambda d: plexgrad.as_tensor([1, 2], device=d)),
    ("scalar_tensor", lambda d: plexgrad.scalar_tensor(2.0, device=d)),
    ("normal", lambda d: plexgrad.normal(0.0, 1.0, (2,), device=d)),
    ("zeros_like", lambda d: plexgrad.zeros_like(plexgrad.ones(2), device=d)),
    ("ones_like", lambda d: plexgrad.ones_like(plexgrad.ones(2), device=d)),
    ("full_like", lambda d: plexgrad.full_like(plexgrad.ones(2), 2, device=d)),
    ("rand_like", lambda d: plexgrad.rand_like(plexgrad.ones(2), device=d)),
    ("randn_like", lambda d: plexgrad.randn_like(plexgrad.ones(2), device=d)),
    ("empty_like", lambda d: plexgrad.empty_like(plexgrad.ones(2), device=d)),
    ("randint_like", lambda d: plexgrad.randint_like(plexgrad.ones(2), 3, device=d)),
]


@pytest.mark.parametrize("name, make", FACTORIES, ids=[name for name, _ in FACTORIES])
def test_every_factory_honours_device(device, name, make):
    result = make(device)
    assert result.device.type == device
    assert (device in result.__repr__()) == (device != "cpu")


def test_like_factories_follow_input_device(device):
    source = plexgrad.ones(2, device=device)
    for result in (plexgrad.zeros_like(source), plexgrad.ones_like(source), plexgrad.randn_like(source),
                   plexgrad.full_like(source, 3), source.new_ones(2), source.new_zeros(3), source.new_tensor([1])):
        assert result.device == source.device


def test_to_device_and_dtype(device):
    needs_jax()
    other = OTHER_DEVICE[device]
    x = plexgrad.tensor([1.5, 2.5], device=device)
    moved = x.to(other, plexgrad.float64)
    assert moved.device.type == other and moved.dtype == plexgrad.float64
    assert moved.tolist() == [1.5, 2.5]
    assert x.to(plexgrad.device(other)).device.type == other
    assert x.to(device=other, dtype=plexgrad.int32).tolist() == [1, 2]
    assert x.to(x.device) is x
    assert x.to(plexgrad.zeros(1, dtype=plexgrad.float16, device=other)).dtype == plexgrad.float16
    assert x.cpu().device.type == "cpu"
    back = moved.to(device)
    assert back.device == x.device


def test_mixed_devices_raise_naming_op_devices_and_fix(device):
    needs_jax()
    other = OTHER_DEVICE[device]
    a = plexgrad.ones(2, device=device)
    b = plexgrad.ones(2, device=other)
    for operation, name in ((lambda: a + b, "add"), (lambda: a * b, "mul"),
                            (lambda: plexgrad.cat([a, b]), "cat")):
        with pytest.raises(RuntimeError) as caught:
            operation()
        message = str(caught.value)
        assert "Expected all tensors to be on the same device" in message
        assert name in message
        assert str(a.device) in message and str(b.device) in message
        assert ".to(" in message
    with pytest.raises(RuntimeError, match="matmul"):
        plexgrad.ones(2, 2, device=device) @ plexgrad.ones(2, 2, device=other)


def test_zero_dim_cpu_tensor_mixes_with_any_device(device):
    x = plexgrad.ones(2, device=device)
    result = x + plexgrad.tensor(2.0)
    assert result.device == x.device and result.tolist() == [3.0, 3.0]


def test_gradients_flow_back_through_to(device):
    needs_jax()
    other = OTHER_DEVICE[device]
    a = plexgrad.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = a.to(other)
    assert b.grad_fn.name() == "ToCopyBackward0"
    (b * b).sum().backward()
    assert a.grad.device == a.device
    assert a.grad.tolist() == [2.0, 4.0]


# ---- the default device --------------------------------------------------------------------------

def test_set_default_device_and_context_manager():
    needs_jax()
    try:
        plexgrad.set_default_device("jax")
        assert plexgrad.zeros(1).device.type == "jax"
        assert plexgrad.tensor([1.0]).device.type == "jax"
        with plexgrad.device("cpu"):
            assert plexgrad.ones(1).device.type == "cpu"
        assert plexgrad.arange(3).device.type == "jax"
    finally:
        plexgrad.set_default_device(None)
    assert plexgrad.zeros(1).device.type == "cpu"


def test_device_context_manager_scopes_factories():
    needs_jax()
    with plexgrad.device("jax") as scoped:
        assert scoped == plexgrad.device("jax")
        made = [plexgrad.zeros(2), plexgrad.tensor([1]), plexgrad.arange(3), plexgrad.randn(2), plexgrad.eye(2),
                plexgrad.full((2,), 1.0), plexgrad.linspace(0, 1, 3)]
        assert {t.device.type for t in made} == {"jax"}
        with plexgrad.device("cpu"):
            assert plexgrad.zeros(1).device.type == "cpu"
        assert plexgrad.zeros(1).device.type == "jax"
    assert plexgrad.zeros(1).device.type == "cpu"
    assert plexgrad.get_default_device().type == "cpu"


def test_context_manager_restores_after_exception():
    needs_jax()
    with pytest.raises(KeyError):
        with plexgrad.device("jax"):
            raise KeyError("x")
    assert plexgrad.zeros(1).device.type == "cpu"


def _run_in_subprocess(code, environment_device):
    environment = dict(os.environ, PLEXGRAD_DEVICE=environment_device)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_environment_variable_sets_default_device():
    needs_jax()
    code = ("import plexgrad\n"
            "x = plexgrad.ones(2)\n"
            "with plexgrad.device('cpu'):\n"
            "    y = plexgrad.ones(2)\n"
            "print(x.device, y.device, plexgrad.get_default_device().type)")
    assert _run_in_subprocess(code, "jax") == "jax:0 cpu jax"


def test_environment_variable_unknown_device_fails_clearly():
    code = "import plexgrad\nplexgrad.ones(2)\n"
    environment = dict(os.environ, PLEXGRAD_DEVICE="nosuchdevice")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               timeout=120)
    assert completed.returncode != 0
    assert "nosuchdevice" in completed.stderr and "RuntimeError" in completed.stderr


def test_cuda_without_gpu_explains():
    if plexgrad.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert plexgrad.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="cuda"):
        plexgrad.zeros(2, device="cuda")
