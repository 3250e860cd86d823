"""plexgrad.save / plexgrad.load under faults: flipped header bytes, crafted metadata, saving
processes killed at random points, stale temporary files, and old (format 1) files."""

import io
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import plexgrad
from plexgrad.serialization import files
from plexgrad.serialization.safetensors_format import HEADER_CHECKSUM_KEY, seal_header
from plexgrad.serialization.structure import MAX_NESTING

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _checkpoint():
    return {"model": {"weight": plexgrad.arange(6, dtype=plexgrad.float32).reshape(2, 3),
                      "bias": plexgrad.zeros(2, dtype=plexgrad.float64)},
            "optimizer": {"state": {0: {"momentum_buffer": plexgrad.ones(3)}},
                          "param_groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False, "params": [0, 1]}]},
            "epoch": 7, "name": "run-a", "shape": plexgrad.Size([2, 3])}


def _saved(obj=None):
    buffer = io.BytesIO()
    plexgrad.save(_checkpoint() if obj is None else obj, buffer)
    return buffer.getvalue()


def _header_length(data):
    return struct.unpack("<Q", data[:8])[0]


def _load_file(tmp_path, data, name="crafted.safetensors"):
    path = tmp_path / name
    path.write_bytes(data)
    return plexgrad.load(path), path


def _same(first, second):
    if isinstance(first, plexgrad.Tensor):
        return (isinstance(second, plexgrad.Tensor) and first.dtype is second.dtype and first.shape == second.shape
                and first.tolist() == second.tolist())
    if isinstance(first, dict):
        return (type(first) is type(second) and list(first) == list(second)
                and all(_same(first[key], second[key]) for key in first))
    if isinstance(first, (list, tuple)):
        return type(first) is type(second) and len(first) == len(second) and all(map(_same, first, second))
    return type(first) is type(second) and first == second


# ---- the header checksum ------------------------------------------------------------------------
def test_every_single_bit_and_byte_flip_in_the_header_raises_naming_the_source():
    data = _saved()
    silent, wrong_error = [], []
    for position in range(8 + _header_length(data)):
        for mask in (1, 2, 4, 8, 16, 32, 64, 128, 255):
            damaged = bytearray(data)
            damaged[position] ^= mask
            try:
                loaded = plexgrad.load(io.BytesIO(bytes(damaged)))
            except RuntimeError as error:
                if "BytesIO" not in str(error):
                    wrong_error.append((position, mask, str(error)))
                continue
            silent.append((position, mask, _same(loaded, _checkpoint())))
    assert silent == [] and wrong_error == []


def test_flips_in_the_data_are_caught_too():
    data = _saved()
    start = 8 + _header_length(data)
    for position in range(start, len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        with pytest.raises(RuntimeError, match="is corrupted \\(checksum mismatch\\)"):
            plexgrad.load(io.BytesIO(bytes(damaged)))


def test_the_header_checksum_is_a_standard_safetensors_metadata_string(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    path = tmp_path / "model.safetensors"
    plexgrad.save(_checkpoint(), path)
    with safetensors.safe_open(str(path), framework="numpy") as handle:
        metadata = handle.metadata()
        assert len(metadata[HEADER_CHECKSUM_KEY]) == 8 and metadata["plexgrad.format"] == "2"
        assert handle.get_tensor("model.weight").tolist() == [[0, 1, 2], [3, 4, 5]]


def test_format_1_files_without_a_header_checksum_still_load(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    # Exactly what plexgrad.save wrote before the header checksum (format 1).
    weight = np.arange(4, dtype=np.float32)
    structure = {"dict": [["w", {"tensor": "w", "device": "cpu", "dtype": "float32", "requires_grad": False}],
                          ["step", 5]]}
    import zlib
    metadata = {"plexgrad.format": "1", "plexgrad.structure": json.dumps(structure),
                "plexgrad.checksums": json.dumps({"w": zlib.crc32(weight.tobytes())})}
    loaded, _ = _load_file(tmp_path, safetensors_numpy.save({"w": weight}, metadata=metadata))
    assert loaded["w"].tolist() == [0, 1, 2, 3] and loaded["step"] == 5
    metadata["plexgrad.format"] = "2"  # a format-2 file always has the checksum: its loss is damage
    with pytest.raises(RuntimeError, match="header is corrupted .*no plexgrad.header_crc32"):
        _load_file(tmp_path, safetensors_numpy.save({"w": weight}, metadata=metadata))


# ---- crafted metadata ---------------------------------------------------------------------------
def _with_metadata(data, **changes):
    """``data`` with ``__metadata__`` entries replaced by ``changes`` (raw strings), sealed again
    with a valid header checksum: the file is well-formed except for what the test crafts."""
    length = _header_length(data)
    header = json.loads(data[8:8 + length])
    header["__metadata__"].update(changes)
    return seal_header(header) + data[8 + length:]


def _with_header_entry(data, name, entry):
    length = _header_length(data)
    header = json.loads(data[8:8 + length])
    header[name] = entry
    return seal_header(header) + data[8 + length:]


def _structure(data, edit):
    length = _header_length(data)
    structure = json.loads(json.loads(data[8:8 + length])["__metadata__"]["plexgrad.structure"])
    edit(structure)
    return _with_metadata(data, **{"plexgrad.structure": json.dumps(structure)})


def _first_tensor(structure):
    return structure["dict"][0][1]["dict"][0][1]


def _set(node, **values):
    node.update(values)


CRAFTED = {
    "100k-deep structure": (lambda data: _with_metadata(data, **{"plexgrad.structure": "[" * 100_000 + "]" * 100_000}),
                            "nested too deeply"),
    "100k-deep header": (lambda data: struct.pack("<Q", 200_001) + b"{" + b"[" * 100_000 + b"]" * 100_000,
                         "header is corrupted"),
    "deeper than the limit": (lambda data: _with_metadata(data, **{"plexgrad.structure": json.dumps(
        _nested_lists(MAX_NESTING + 5))}), f"nested more than {MAX_NESTING} deep"),
    "unknown dtype": (lambda data: _structure(data, lambda s: s["dict"].append(["d", {"dtype": "float99"}])),
                      "unknown dtype 'float99'"),
    "unknown tensor dtype": (lambda data: _structure(data, lambda s: _set(_first_tensor(s), dtype="float99")),
                             "float32 in the data but float99 in the structure"),
    "unhashable key": (lambda data: _structure(data, lambda s: s["dict"].append([{"list": [1]}, 2])),
                       "key must be hashable"),
    "unhashable set item": (lambda data: _structure(data, lambda s: s["dict"].append(["s", {"set": [{"list": []}]}])),
                            "items of a 'set' cannot be"),
    "list as tensor name": (lambda data: _structure(data, lambda s: _set(_first_tensor(s), tensor=["model.weight"])),
                            "'tensor' must be a str"),
    "device as a number": (lambda data: _structure(data, lambda s: _set(_first_tensor(s), device=0)),
                           "'device' must be a str"),
    "device value as a number": (lambda data: _structure(data, lambda s: s["dict"].append(["d", {"device": 3}])),
                                 "a device must be given as a string"),
    "unknown device": (lambda data: _structure(data, lambda s: s["dict"].append(["d", {"device": "no such:x"}])),
                       "unknown device"),
    "requires_grad as a string": (lambda data: _structure(data, lambda s: _set(_first_tensor(s), requires_grad="y")),
                                  "'requires_grad' must be a bool"),
    "unknown tensor field": (lambda data: _structure(data, lambda s: _set(_first_tensor(s), evil=1)),
                             "unknown field 'evil'"),
    "missing tensor": (lambda data: _structure(data, lambda s: _set(_first_tensor(s), tensor="absent")),
                       "refers to tensor 'absent'"),
    "bad Size": (lambda data: _structure(data, lambda s: s["dict"].append(["z", {"Size": [{"list": []}]}])),
                 "items of a 'Size'|cannot be"),
    "structure not JSON": (lambda data: _with_metadata(data, **{"plexgrad.structure": "{oops"}), "not valid JSON"),
    "checksums not a dict": (lambda data: _with_metadata(data, **{"plexgrad.checksums": "[1, 2]"}),
                             "checksums must map tensor names to integers"),
    "checksum a string": (lambda data: _with_metadata(data, **{"plexgrad.checksums": '{"model.weight": "x"}'}),
                          "checksums must map tensor names to integers"),
    "metadata value a number": (lambda data: _with_header_entry(
        _with_metadata(data), "__metadata__", {"plexgrad.format": 2}), "__metadata__ must map strings to strings"),
    "unknown safetensors dtype": (lambda data: _with_header_entry(
        data, "extra", {"dtype": "Q99", "shape": [0], "data_offsets": [0, 0]}), "safetensors dtype 'Q99'"),
    "negative shape": (lambda data: _with_header_entry(
        data, "extra", {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}), "list of non-negative integers"),
    "shape as a string": (lambda data: _with_header_entry(
        data, "extra", {"dtype": "F32", "shape": "2", "data_offsets": [0, 0]}), "list of non-negative integers"),
    "overlapping offsets": (lambda data: _with_header_entry(
        data, "extra", {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}), "must tile the data"),
    "offsets too short for the shape": (lambda data: _with_header_entry(
        data, "extra", {"dtype": "F32", "shape": [4], "data_offsets": [0, 4]}), "dtype and shape need 16"),
    "tensor entry not an object": (lambda data: _with_header_entry(data, "extra", [1, 2]),
                                   "must have exactly dtype, shape and data_offsets"),
    "huge header length": (lambda data: struct.pack("<Q", 2 ** 62) + data[8:], "truncated"),
}


def _nested_lists(depth):
    node = 1
    for _ in range(depth):
        node = {"list": [node]}
    return {"dict": [["deep", node]]}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_metadata_raises_runtime_error_naming_the_file(tmp_path, case):
    craft, message = CRAFTED[case]
    with pytest.raises(RuntimeError, match=message) as error:
        _load_file(tmp_path, craft(_saved()))
    assert "crafted.safetensors" in str(error.value)


def test_the_nesting_limit_is_checked_at_save_time_too(tmp_path):
    deep = 0
    for _ in range(MAX_NESTING - 1):
        deep = [deep]
    assert _same(_load_file(tmp_path, _saved({"deep": deep}))[0], {"deep": deep})
    with pytest.raises(ValueError, match=f"nested more than {MAX_NESTING} deep"):
        plexgrad.save({"deep": [[deep]]}, tmp_path / "deep.safetensors")
    assert os.listdir(tmp_path) == ["crafted.safetensors"]


def test_mmap_load_maps_copy_on_write(tmp_path):
    path = tmp_path / "mapped.safetensors"
    plexgrad.save(_checkpoint(), path)
    before = path.read_bytes()
    loaded = plexgrad.load(path, mmap=True)
    assert _same(loaded, _checkpoint())
    loaded["model"]["weight"].add_(1)  # a private copy of the page: the file stays as saved
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="file path in order to use the mmap argument"):
        plexgrad.load(io.BytesIO(before), mmap=True)


def test_a_non_seekable_stream_loads():
    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self.inner.readinto(memoryview(buffer)[:7])  # short reads, as pipes give

        def seekable(self):
            return False

        def tell(self):
            raise OSError("not seekable")

    assert _same(plexgrad.load(Stream(_saved())), _checkpoint())
    with pytest.raises(RuntimeError, match="truncated"):
        plexgrad.load(Stream(_saved()[:-3]))


# ---- temporary files ----------------------------------------------------------------------------
def _temporary_name(target, pid, host=None):
    return f".{target}.{host or files._host_name()}.{pid}.abc123_x{files.TEMPORARY_SUFFIX}"


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


def test_the_next_save_removes_stale_temporaries_and_nothing_else(tmp_path):
    dead = _temporary_name("a.safetensors", _dead_pid())
    live_fresh = _temporary_name("b.safetensors", os.getpid())
    live_old = _temporary_name("c.safetensors", os.getpid())
    other_host_fresh = _temporary_name("d.safetensors", 1, host="elsewhere")
    other_host_old = _temporary_name("e.safetensors", 1, host="elsewhere")
    foreign = [".notes.txt.tmp", "x.plexgrad-tmp.bak", ".a.safetensors.abc123.tmp"]
    for name in [dead, live_fresh, live_old, other_host_fresh, other_host_old] + foreign:
        (tmp_path / name).write_bytes(b"partial")
    long_ago = time.time() - files.STALE_SECONDS - 60
    for name in (live_old, other_host_old):
        os.utime(tmp_path / name, (long_ago, long_ago))
    plexgrad.save({"x": plexgrad.ones(1)}, tmp_path / "new.safetensors")
    assert sorted(os.listdir(tmp_path)) == sorted([live_fresh, other_host_fresh, "new.safetensors"] + foreign)


def test_temporary_names_match_the_cleanup_pattern(tmp_path, monkeypatch):
    seen = []

    def failing_writer(handle, data):
        seen.extend(os.listdir(tmp_path))
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(files, "write_bytes", failing_writer)
    with pytest.raises(OSError, match="disk full"):
        plexgrad.save({"x": plexgrad.ones(1)}, tmp_path / "ckpt.safetensors")
    assert len(seen) == 1 and files._TEMPORARY_NAME.match(seen[0])
    assert os.listdir(tmp_path) == []


_SAVER = r"""
import sys
import numpy
import plexgrad
path = sys.argv[1]
version = 0
print("ready", flush=True)
while True:
    version += 1
    weights = plexgrad.from_numpy(numpy.full(1 << 20, version % 1000, dtype=numpy.float32))   # 4 MiB
    plexgrad.save({"version": version, "weights": weights}, path)
"""


def test_killing_a_saving_process_never_damages_the_checkpoint_or_leaks_disk(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    plexgrad.save({"version": 0, "weights": plexgrad.zeros(1 << 20)}, path)
    rng = random.Random(12)
    environment = dict(os.environ, PYTHONPATH=ROOT)
    for _ in range(6):
        saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE,
                                 env=environment)
        try:
            assert saver.stdout.readline().strip() == b"ready"
            time.sleep(rng.uniform(0.02, 0.4))
            saver.send_signal(signal.SIGKILL)
            saver.wait(30)
        finally:
            saver.kill()
            saver.wait(30)
        loaded = plexgrad.load(path)  # an old or a new checkpoint, whole
        assert loaded["weights"].shape == (1 << 20,)
        assert float(loaded["weights"][0]) == float(loaded["weights"][-1]) == loaded["version"] % 1000
    plexgrad.save({"version": -1}, path)
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]
    assert plexgrad.load(path) == {"version": -1}
