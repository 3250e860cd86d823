"""plexgrad.save / plexgrad.load: round trips, map_location, bad files and atomic writes."""

import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest

import plexgrad
from plexgrad import optim

pytest.importorskip("safetensors")

from plexgrad.serialization import files  # noqa: E402
from plexgrad.serialization.safetensors_format import seal_header  # noqa: E402

ALL_DTYPES = [plexgrad.bool, plexgrad.uint8, plexgrad.int8, plexgrad.int16, plexgrad.int32, plexgrad.int64,
              plexgrad.float16, plexgrad.bfloat16, plexgrad.float32, plexgrad.float64]


def _host(tensor):
    values = tensor.detach().to("cpu")
    if values.dtype is plexgrad.bfloat16:
        values = values.float()
    return np.asarray(values.numpy())


def _sample(dtype, shape, device):
    rng = np.random.default_rng(abs(hash((dtype.name, shape))) % 1000)
    values = rng.standard_normal(shape) * 10
    if dtype is plexgrad.bool:
        values = values > 0
    elif dtype is plexgrad.uint8:
        values = np.abs(values)
    return plexgrad.tensor(values).to(dtype).to(device)


def _round_trip(obj, **load_options):
    buffer = io.BytesIO()
    plexgrad.save(obj, buffer)
    buffer.seek(0)
    return plexgrad.load(buffer, **load_options)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=[d.name for d in ALL_DTYPES])
def test_every_dtype_and_shape_round_trips(device, dtype):
    tensors = {str(shape): _sample(dtype, shape, device) for shape in [(), (0,), (3,), (2, 0, 4), (2, 3, 4)]}
    loaded = _round_trip(tensors)
    assert list(loaded) == list(tensors)
    for key, original in tensors.items():
        result = loaded[key]
        assert result.dtype is dtype and result.shape == original.shape
        assert result.device == original.device
        np.testing.assert_array_equal(_host(result), _host(original))


def test_non_contiguous_tensors_round_trip(device):
    base = plexgrad.arange(24, device=device).reshape(4, 6)
    view = base.t()[1:5:2]
    loaded = _round_trip({"view": view})["view"]
    np.testing.assert_array_equal(_host(loaded), _host(view))


def test_nested_containers_keep_their_types():
    tensor = plexgrad.arange(3)
    obj = {
        "list": [1, 2.5, "text", None, True, False],
        "tuple": (1, (2, 3), []),
        7: {"int keys": {0: tensor, 1: [tensor]}},
        (1, "a"): "tuple key",
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "counter": Counter([3, 3, 5]),
        "set": {1, 2}, "frozen": frozenset({"x"}),
        "floats": [math.inf, -math.inf, 1e-300, 0.1],
        "size": plexgrad.Size([2, 3]),
        "dtype": plexgrad.float16, "device": plexgrad.device("cpu"),
        "numpy": np.arange(4, dtype=np.int16), "numpy scalar": np.float32(1.5),
    }
    loaded = _round_trip(obj)
    assert loaded["list"] == obj["list"] and type(loaded["list"][1]) is float and type(loaded["list"][0]) is int
    assert loaded["tuple"] == (1, (2, 3), []) and isinstance(loaded["tuple"][1], tuple)
    assert list(loaded[7]["int keys"]) == [0, 1]
    assert loaded[7]["int keys"][1][0] is loaded[7]["int keys"][0]
    assert loaded[(1, "a")] == "tuple key"
    assert type(loaded["ordered"]) is OrderedDict and list(loaded["ordered"]) == ["b", "a"]
    assert type(loaded["counter"]) is Counter and loaded["counter"] == Counter([3, 3, 5])
    assert loaded["set"] == {1, 2} and loaded["frozen"] == frozenset({"x"})
    assert loaded["floats"] == obj["floats"]
    assert type(loaded["size"]) is plexgrad.Size and loaded["size"] == (2, 3)
    assert loaded["dtype"] is plexgrad.float16 and loaded["device"] == plexgrad.device("cpu")
    assert loaded["numpy"].dtype == np.int16 and loaded["numpy"].tolist() == [0, 1, 2, 3]
    assert loaded["numpy scalar"] == np.float32(1.5) and loaded["numpy scalar"].dtype == np.float32
    nan = _round_trip([math.nan])[0]
    assert math.isnan(nan)


def test_plain_values_and_single_tensors(device):
    assert _round_trip(3) == 3 and _round_trip("text") == "text" and _round_trip(None) is None
    tensor = plexgrad.tensor([1.5, 2.5], device=device)
    loaded = _round_trip(tensor)
    assert isinstance(loaded, plexgrad.Tensor) and loaded.device == tensor.device
    np.testing.assert_array_equal(_host(loaded), [1.5, 2.5])


def test_requires_grad_sharing_and_parameters_are_kept(device):
    leaf = plexgrad.tensor([1.0, 2.0], device=device, requires_grad=True)
    computed = leaf * 2
    frozen = plexgrad.tensor([3.0], device=device)
    loaded = _round_trip({"leaf": leaf, "again": leaf, "computed": computed, "frozen": frozen})
    assert loaded["leaf"].requires_grad and loaded["leaf"].is_leaf
    assert loaded["again"] is loaded["leaf"]
    assert loaded["computed"].requires_grad and loaded["computed"].is_leaf
    assert not loaded["frozen"].requires_grad
    nn = pytest.importorskip("plexgrad.nn")
    parameter = nn.Parameter(plexgrad.ones(2, device=device))
    result = _round_trip(parameter)
    assert isinstance(result, nn.Parameter) and result.requires_grad


def test_model_and_optimizer_checkpoint_resumes_training(tmp_path):
    """On cpu (JAX would spend seconds compiling the model); other devices: test_map_location_*."""
    nn = pytest.importorskip("plexgrad.nn")
    device = "cpu"
    plexgrad.manual_seed(0)
    inputs = plexgrad.randn(16, 4).to(device)
    targets = plexgrad.randn(16, 2).to(device)

    def build():
        model = nn.Linear(4, 2).to(device)
        return model, optim.Adam(model.parameters(), lr=0.05)

    def train(model, optimizer, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            ((model(inputs) - targets) ** 2).mean().backward()
            optimizer.step()

    model, optimizer = build()
    train(model, optimizer, 3)
    path = tmp_path / "checkpoint.safetensors"
    plexgrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path)
    train(model, optimizer, 3)

    resumed_model, resumed_optimizer = build()
    checkpoint = plexgrad.load(path)
    assert checkpoint["epoch"] == 3
    assert list(checkpoint["model"]) == ["weight", "bias"]
    assert not checkpoint["model"]["weight"].requires_grad
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    train(resumed_model, resumed_optimizer, 3)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(_host(resumed_model.state_dict()[name]), _host(value))


def test_optimizer_state_dict_keeps_integer_keys_and_tuples(device):
    weight = plexgrad.ones(3, device=device, requires_grad=True)
    optimizer = optim.Adam([weight], betas=(0.8, 0.9))
    weight.grad = plexgrad.ones(3, device=device)
    optimizer.step()
    loaded = _round_trip(optimizer.state_dict())
    assert list(loaded["state"]) == [0] and loaded["state"][0]["step"] == 1.0
    assert loaded["state"][0]["exp_avg"].device == weight.device
    np.testing.assert_array_equal(_host(loaded["state"][0]["exp_avg_sq"]),
                                  _host(optimizer.state[weight]["exp_avg_sq"]))
    assert loaded["param_groups"][0]["betas"] == (0.8, 0.9)
    assert loaded["param_groups"][0]["params"] == [0]
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 2, 5])
    assert _round_trip(scheduler.state_dict())["milestones"] == Counter([2, 2, 5])


# ---- map_location ---------------------------------------------------------------------------
def _saved_on(device):
    buffer = io.BytesIO()
    plexgrad.save({"x": plexgrad.tensor([1.0, 2.0], device=device), "n": plexgrad.tensor(3, device=device)}, buffer)
    return buffer


def _load(buffer, **options):
    buffer.seek(0)
    return plexgrad.load(buffer, **options)


@pytest.fixture
def other_device(device):
    return "cpu" if device != "cpu" else "jax"


def test_map_location_moves_every_tensor(device, other_device):
    pytest.importorskip("jax") if other_device == "jax" else None
    buffer = _saved_on(device)
    for target in (other_device, plexgrad.device(other_device)):
        loaded = _load(buffer, map_location=target)
        assert loaded["x"].device.type == other_device and loaded["n"].device.type == other_device
        assert loaded["n"].shape == () and loaded["n"].item() == 3
        np.testing.assert_array_equal(_host(loaded["x"]), [1.0, 2.0])
    assert _load(buffer)["x"].device.type == device


def test_map_location_dict_and_callable(device, other_device):
    pytest.importorskip("jax") if other_device == "jax" else None
    buffer = _saved_on(device)
    saved = str(plexgrad.tensor([0.0], device=device).device)
    assert _load(buffer, map_location={saved: other_device})["x"].device.type == other_device
    assert _load(buffer, map_location={device: other_device})["x"].device.type == other_device
    assert _load(buffer, map_location={"elsewhere": other_device})["x"].device.type == device
    seen = []

    def mapper(tensor, location):
        seen.append(location)
        return tensor.to(other_device) * 10

    loaded = _load(buffer, map_location=mapper)
    assert seen == [saved, saved]
    np.testing.assert_array_equal(_host(loaded["x"]), [10.0, 20.0])
    assert _load(buffer, map_location=lambda tensor, location: None)["x"].device.type == device


def _rewrite_structure(data, edit):
    """The file ``data`` with its JSON structure passed through ``edit``."""
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    structure = json.loads(header["__metadata__"]["plexgrad.structure"])
    edit(structure)
    header["__metadata__"]["plexgrad.structure"] = json.dumps(structure)
    return seal_header(header) + data[8 + length:]


def test_unavailable_saved_device_says_to_use_map_location():
    def move_to_unknown_device(structure):
        for _, node in structure["dict"]:
            node["device"] = "nodev"

    data = _rewrite_structure(_saved_on("cpu").getvalue(), move_to_unknown_device)
    with pytest.raises(RuntimeError, match="saved on nodev.*map_location='cpu'"):
        plexgrad.load(io.BytesIO(data))
    loaded = plexgrad.load(io.BytesIO(data), map_location="cpu")
    assert loaded["x"].device.type == "cpu"


# ---- files on disk -----------------------------------------------------------------------------
def test_paths_as_str_and_pathlike(tmp_path):
    path = tmp_path / "weights.safetensors"
    plexgrad.save({"a": plexgrad.ones(2)}, str(path))
    assert plexgrad.load(path)["a"].tolist() == [1.0, 1.0]
    with open(path, "rb") as handle:
        assert plexgrad.load(handle)["a"].tolist() == [1.0, 1.0]
    assert [name for name in os.listdir(tmp_path)] == ["weights.safetensors"]


def test_file_is_standard_safetensors(tmp_path):
    from safetensors import safe_open
    path = tmp_path / "model.safetensors"
    state = OrderedDict([("layer.weight", plexgrad.ones(2, 3)), ("layer.bias", plexgrad.zeros(2))])
    plexgrad.save(state, path)
    with safe_open(str(path), framework="numpy") as handle:
        assert sorted(handle.keys()) == ["layer.bias", "layer.weight"]
        np.testing.assert_array_equal(handle.get_tensor("layer.weight"), np.ones((2, 3), dtype=np.float32))


def test_plain_safetensors_files_load_as_dicts(tmp_path):
    from safetensors.numpy import save_file
    path = tmp_path / "foreign.safetensors"
    save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.zeros(2, dtype=np.int64)}, str(path))
    loaded = plexgrad.load(path, map_location="cpu")
    assert sorted(loaded) == ["b", "w"]
    assert loaded["w"].dtype is plexgrad.float32 and loaded["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert loaded["b"].dtype is plexgrad.int64


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        plexgrad.load(tmp_path / "absent.safetensors")
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        plexgrad.save(plexgrad.ones(1), tmp_path / "no" / "such" / "dir.safetensors")


def _write(tmp_path, data, name="bad.ckpt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _valid_bytes():
    buffer = io.BytesIO()
    plexgrad.save({"weight": plexgrad.arange(64, dtype=plexgrad.float32), "step": 3}, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b"\x01\x02\x03", "too short for a safetensors header"),
    (pickle.dumps({"a": 1}), "Python pickle; plexgrad.load never unpickles"),
    (bytes(np.random.default_rng(0).integers(1, 255, 200, dtype=np.uint8)), "not a safetensors file"),
    (b"\x93NUMPY" + b"\x00" * 40, "numpy .npy file"),
], ids=["empty", "tiny", "pickle", "random", "npy"])
def test_foreign_files_raise_clear_errors(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(RuntimeError, match=message) as error:
        plexgrad.load(path)
    assert str(path) in str(error.value)


def test_torch_zip_archives_are_refused(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"a": 1}))
    with pytest.raises(RuntimeError, match="zip archive, as torch.save writes"):
        plexgrad.load(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated_files_raise(tmp_path, keep):
    data = _valid_bytes()
    path = _write(tmp_path, data[:int(len(data) * keep)])
    with pytest.raises(RuntimeError, match="truncated") as error:
        plexgrad.load(path)
    assert str(path) in str(error.value)


def test_truncated_length_field_raises(tmp_path):
    path = _write(tmp_path, _valid_bytes()[:5])
    with pytest.raises(RuntimeError, match="too short"):
        plexgrad.load(path)


def test_corrupted_payload_is_detected(tmp_path):
    data = bytearray(_valid_bytes())
    data[-10] ^= 0xFF
    path = _write(tmp_path, bytes(data))
    with pytest.raises(RuntimeError, match="tensor 'weight' is corrupted \\(checksum mismatch\\)"):
        plexgrad.load(path)


def test_corrupted_header_is_detected(tmp_path):
    data = bytearray(_valid_bytes())
    (length,) = struct.unpack("<Q", bytes(data[:8]))
    header = data[8:8 + length]
    position = header.index(b'"dtype"')
    data[8 + position] = ord("{")
    path = _write(tmp_path, bytes(data))
    with pytest.raises(RuntimeError, match="header is corrupted") as error:
        plexgrad.load(path)
    assert str(path) in str(error.value)


def test_corrupted_structure_is_detected(tmp_path):
    def point_to_missing_tensor(structure):
        structure["dict"][0][1]["tensor"] = "missing"

    path = _write(tmp_path, _rewrite_structure(_valid_bytes(), point_to_missing_tensor))
    with pytest.raises(RuntimeError, match="structure .* corrupted: the structure refers to tensor 'missing'"):
        plexgrad.load(path)


def test_unsupported_objects_are_refused_with_their_location(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a .*function.* at obj\['schedule'\]\[1\]"):
        plexgrad.save({"schedule": [1, lambda epoch: epoch]}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="complex128"):
        plexgrad.save({"array": np.zeros(2, dtype=complex)}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="never unpickles"):
        plexgrad.load(io.BytesIO(_valid_bytes()), pickle_module=pickle)


# ---- atomic writes ------------------------------------------------------------------------------
def test_failure_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.safetensors"
    plexgrad.save({"version": 1, "weight": plexgrad.ones(1000)}, path)
    original = path.read_bytes()

    def failing_writer(handle, data):
        handle.write(bytes(data[:len(data) // 2]))
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(files, "write_bytes", failing_writer)
    with pytest.raises(OSError, match="disk full"):
        plexgrad.save({"version": 2, "weight": plexgrad.zeros(1000)}, path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]
    monkeypatch.undo()
    assert plexgrad.load(path)["version"] == 1
    plexgrad.save({"version": 2}, path)
    assert plexgrad.load(path) == {"version": 2}
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]


def test_interrupt_during_replace_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.safetensors"
    plexgrad.save({"version": 1}, path)

    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plexgrad.save({"version": 2}, path)
    monkeypatch.undo()
    assert plexgrad.load(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]


def test_saved_file_permissions_follow_umask(tmp_path):
    path = tmp_path / "new.safetensors"
    previous = os.umask(0o022)
    try:
        plexgrad.save(plexgrad.ones(1), path)
    finally:
        os.umask(previous)
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_save_and_load_need_no_safetensors_package(monkeypatch):
    # plexgrad reads and writes the safetensors layout itself (streaming, one tensor at a time);
    # the safetensors package is only needed by other programs reading the files.
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    loaded = _round_trip({"w": plexgrad.arange(6).reshape(2, 3), "step": 4})
    assert loaded["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and loaded["step"] == 4
