"""Host arrays to and from safetensors bytes, with checks that turn a bad file into a
RuntimeError that says what is wrong.

A safetensors file is an 8-byte little-endian header length, a JSON header (names,
dtypes, shapes, offsets and a ``__metadata__`` dict of strings), then the raw data.
"""

__all__ = ["require_safetensors", "to_bytes", "from_bytes", "checksum"]

import json
import struct
import zlib

_CODES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64",
          "F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}


def require_safetensors():
    """The safetensors module, or ImportError saying how to install it."""
    try:
        import safetensors
        import safetensors.numpy  # noqa: F401
    except ImportError:
        raise ImportError("plexgrad.save and plexgrad.load store tensors in the safetensors format and need the "
                          "safetensors package: pip install safetensors (or pip install 'plexgrad[examples]')"
                          ) from None
    return safetensors


def checksum(array):
    """CRC-32 of an array's bytes (detects a corrupted payload on load)."""
    import numpy
    return zlib.crc32(numpy.ascontiguousarray(array).reshape(-1).view(numpy.uint8)) if array.nbytes else 0


def to_bytes(arrays, metadata):
    """safetensors bytes for ``{name: contiguous numpy array}`` and a ``{str: str}`` metadata dict."""
    require_safetensors()
    import safetensors.numpy
    return safetensors.numpy.save(arrays, metadata=metadata)


def _numpy_dtype(code, name, source):
    import numpy
    dtype_name = _CODES.get(code)
    if dtype_name is None:
        raise RuntimeError(f"{source}: tensor {name!r} has safetensors dtype {code}, which plexgrad has no dtype "
                           f"for (supported: {', '.join(_CODES)})")
    if dtype_name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise RuntimeError(f"{source}: tensor {name!r} is bfloat16, which needs the ml_dtypes package: "
                               "pip install ml_dtypes") from None
        return numpy.dtype(ml_dtypes.bfloat16)
    return numpy.dtype(dtype_name)


def _foreign_format(data):
    if data[:4] == b"PK\x03\x04":
        return ("it is a zip archive, as torch.save writes; plexgrad.load reads only safetensors files (it never "
                "unpickles). In PyTorch, re-save the tensors with safetensors.torch.save_file(state_dict, path)")
    if data[:1] == b"\x80":
        return "it is a Python pickle; plexgrad.load never unpickles (that can run arbitrary code)"
    if data[:6] == b"\x93NUMPY":
        return "it is a numpy .npy file; load it with numpy.load and wrap it with plexgrad.from_numpy"
    return "it does not start with a safetensors header"


def _header(data, source):
    if len(data) == 0:
        raise RuntimeError(f"{source}: the file is empty (0 bytes), not a checkpoint written by plexgrad.save")
    if len(data) < 8:
        raise RuntimeError(f"{source}: the file is {len(data)} bytes long, too short for a safetensors header; "
                           f"it is truncated or not written by plexgrad.save")
    (length,) = struct.unpack("<Q", data[:8])
    starts_like_header = data[8:9] == b"{"
    if not starts_like_header:
        raise RuntimeError(f"{source}: not a safetensors file: {_foreign_format(data)}")
    if length > len(data) - 8:
        raise RuntimeError(f"{source}: the file is truncated: its header alone should be {length} bytes, but only "
                           f"{len(data) - 8} bytes follow the length field")
    try:
        header = json.loads(bytes(data[8:8 + length]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RuntimeError(f"{source}: the safetensors header is corrupted (not valid JSON: {error})") from None
    if not isinstance(header, dict):
        raise RuntimeError(f"{source}: the safetensors header is corrupted (a JSON {type(header).__name__}, "
                           f"not an object)")
    data_length = len(data) - 8 - length
    needed = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"
                  and isinstance(entry, dict) and isinstance(entry.get("data_offsets"), list)
                  and len(entry["data_offsets"]) == 2 and isinstance(entry["data_offsets"][1], int)), default=0)
    if needed > data_length:
        raise RuntimeError(f"{source}: the file is truncated: its tensors need {needed} bytes of data but only "
                           f"{data_length} are present")
    return header


def from_bytes(data, source):
    """``({name: numpy array}, metadata dict)`` from safetensors bytes; RuntimeError naming ``source`` if bad."""
    import numpy
    safetensors = require_safetensors()
    header = _header(data, source)
    try:
        entries = safetensors.deserialize(bytes(data))
    except Exception as error:  # safetensors raises its own SafetensorError
        raise RuntimeError(f"{source}: the safetensors file is corrupted or truncated: {error}") from None
    arrays = {}
    for name, info in entries:
        dtype = _numpy_dtype(info["dtype"], name, source)
        buffer = info["data"]
        if not isinstance(buffer, bytearray):
            buffer = bytearray(buffer)
        arrays[name] = numpy.frombuffer(buffer, dtype=dtype).reshape(info["shape"])
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise RuntimeError(f"{source}: the safetensors header is corrupted (__metadata__ is not an object)")
    ordered = {name: arrays[name] for name in header if name in arrays}
    return ordered, metadata
