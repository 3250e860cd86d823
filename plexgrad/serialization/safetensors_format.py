"""The safetensors layout, written and read one tensor at a time, with a checksummed header.

A safetensors file is an 8-byte little-endian header length, a JSON header (names, dtypes,
shapes, data offsets and a ``__metadata__`` dict of strings), then the tensors' raw bytes.

plexgrad writes the header compactly, ``__metadata__`` first, and that dict's first entry
is ``"plexgrad.header_crc32": "<8 hex digits>"``: the CRC-32 of the length field and the
header bytes with those 8 digits written as zeros. Every change to the header (a flipped bit
in an optimizer's momentum, a shape, an offset, the length field) fails that check, and the
file stays standard safetensors (the checksum is one more metadata string). A file without the
field loads as before if it is plexgrad format 1 (written before the checksum existed) or not
a plexgrad file at all (written by the safetensors library).

Reading never holds the file twice: each tensor's bytes are read straight into its own array
(or mapped, with ``mmap=True``), so loading needs about the file's size in extra memory.
"""

__all__ = ["checksum", "code_of", "encode_header", "seal_header", "array_bytes", "read_file", "CODES",
           "HEADER_CHECKSUM_KEY", "MAX_HEADER_BYTES"]

import json
import struct
import zlib

CODES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64",
         "F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}
_CODE_OF = {name: code for code, name in CODES.items()}
_LENGTH = struct.Struct("<Q")
HEADER_CHECKSUM_KEY = "plexgrad.header_crc32"
_CHECKSUM_PREFIX = b'{"__metadata__":{"' + HEADER_CHECKSUM_KEY.encode() + b'":"'
_CHECKSUM_PLACEHOLDER = b"00000000"
MAX_HEADER_BYTES = 100_000_000  # the safetensors library refuses larger headers too


def checksum(array):
    """CRC-32 of an array's bytes (detects a corrupted payload on load)."""
    return zlib.crc32(array_bytes(array)) if array.nbytes else 0


def array_bytes(array):
    """The raw bytes of a C-contiguous array, without copying."""
    return memoryview(array.reshape(-1).view("uint8"))


def code_of(dtype):
    """The safetensors dtype code of a numpy dtype, or None."""
    return _CODE_OF.get(dtype.name)


def encode_header(entries, metadata):
    """The bytes before the data (length field and padded JSON header) of a file holding
    ``entries`` (``(name, safetensors dtype code, shape, byte count)``, in data order) and the
    ``{str: str}`` dict ``metadata``, with the header checksum filled in."""
    header = {"__metadata__": metadata}
    offset = 0
    for name, code, shape, count in entries:
        header[name] = {"dtype": code, "shape": [int(size) for size in shape], "data_offsets": [offset, offset + count]}
        offset += count
    return seal_header(header)


def seal_header(header):
    """Length field plus padded JSON for the header dict ``header`` (tensor entries and
    ``__metadata__``), with ``plexgrad.header_crc32`` placed first and filled in."""
    metadata = {key: value for key, value in header.get("__metadata__", {}).items() if key != HEADER_CHECKSUM_KEY}
    ordered = {"__metadata__": {HEADER_CHECKSUM_KEY: _CHECKSUM_PLACEHOLDER.decode(), **metadata}}
    ordered.update((name, entry) for name, entry in header.items() if name != "__metadata__")
    encoded = json.dumps(ordered, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    encoded += b" " * (-len(encoded) % 8)  # safetensors pads so the data starts 8-byte aligned
    sealed = _LENGTH.pack(len(encoded)) + encoded
    digits = b"%08x" % zlib.crc32(sealed)
    start = _LENGTH.size + len(_CHECKSUM_PREFIX)
    return sealed[:start] + digits + sealed[start + len(digits):]


def _foreign_format(start):
    if start[:4] == b"PK\x03\x04":
        return ("it is a zip archive, as torch.save writes; plexgrad.load reads only safetensors files (it never "
                "unpickles). In PyTorch, re-save the tensors with safetensors.torch.save_file(state_dict, path)")
    if start[:1] == b"\x80":
        return "it is a Python pickle; plexgrad.load never unpickles (that can run arbitrary code)"
    if start[:6] == b"\x93NUMPY":
        return "it is a numpy .npy file; load it with numpy.load and wrap it with plexgrad.from_numpy"
    return "it does not start with a safetensors header"


def _read_exactly(handle, count):
    chunks = []
    while count > 0:
        chunk = handle.read(count)
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("plexgrad.load needs a file opened in binary mode ('rb'), got text")
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _read_into(handle, view):
    """Fill ``view`` from ``handle``; the number of bytes actually read."""
    filled = 0
    readinto = getattr(handle, "readinto", None)
    while filled < len(view):
        if readinto is not None:
            count = readinto(view[filled:])
        else:
            chunk = handle.read(len(view) - filled)
            count = len(chunk) if chunk else 0
            view[filled:filled + count] = chunk
        if not count:
            break
        filled += count
    return filled


def _read_header(handle, size, source):
    start = _read_exactly(handle, 9)
    if not start:
        raise RuntimeError(f"{source}: the file is empty (0 bytes), not a checkpoint written by plexgrad.save")
    if len(start) < 8:
        raise RuntimeError(f"{source}: the file is {len(start)} bytes long, too short for a safetensors header; "
                           f"it is truncated or not written by plexgrad.save")
    (length,) = _LENGTH.unpack(start[:8])
    if start[8:9] != b"{":
        raise RuntimeError(f"{source}: not a safetensors file: {_foreign_format(start)}")
    if size is not None and length > size - 8:
        raise RuntimeError(f"{source}: the file is truncated: its header alone should be {length} bytes, but only "
                           f"{size - 8} bytes follow the length field")
    if length > MAX_HEADER_BYTES:
        raise RuntimeError(f"{source}: the safetensors header is corrupted: its length field says {length} bytes, "
                           f"more than the {MAX_HEADER_BYTES} safetensors allows")
    raw = start[8:] + _read_exactly(handle, length - 1)
    if len(raw) < length:
        raise RuntimeError(f"{source}: the file is truncated: its header alone should be {length} bytes, but only "
                           f"{len(raw)} bytes follow the length field")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RuntimeError(f"{source}: the safetensors header is corrupted (not valid JSON: {error})") from None
    except RecursionError:
        raise RuntimeError(f"{source}: the safetensors header is corrupted (its JSON is nested too deeply)") from None
    if not isinstance(header, dict):
        raise RuntimeError(f"{source}: the safetensors header is corrupted (a JSON {type(header).__name__}, "
                           f"not an object)")
    metadata = header.pop("__metadata__", None)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(isinstance(value, str) for value in metadata.values()):
        raise RuntimeError(f"{source}: the safetensors header is corrupted (__metadata__ must map strings to "
                           f"strings)")
    _check_header_checksum(start[:8] + raw, metadata, source)
    return length, header, metadata


def _check_header_checksum(sealed, metadata, source):
    stored = metadata.get(HEADER_CHECKSUM_KEY)
    if stored is None:
        plexgrad_keys = [key for key in metadata if key.startswith("plexgrad.")]
        if plexgrad_keys and metadata.get("plexgrad.format") != "1":
            raise RuntimeError(f"{source}: the safetensors header is corrupted (checksum mismatch): it has plexgrad "
                               f"entries but no {HEADER_CHECKSUM_KEY}, which every plexgrad file since format 2 "
                               "carries; the file was damaged after it was written")
        return
    start = _LENGTH.size + len(_CHECKSUM_PREFIX)
    digits = sealed[start:start + len(_CHECKSUM_PLACEHOLDER)]
    expected = None
    if sealed[_LENGTH.size:start] == _CHECKSUM_PREFIX and sealed[start + len(digits):start + len(digits) + 1] == b'"':
        expected = b"%08x" % zlib.crc32(sealed[:start] + _CHECKSUM_PLACEHOLDER + sealed[start + len(digits):])
    if expected is None or digits != expected or stored.encode("ascii", "replace") != digits:
        raise RuntimeError(f"{source}: the safetensors header is corrupted (checksum mismatch); the file was "
                           "damaged after it was written")


def _numpy_dtype(code, name, source):
    import numpy
    dtype_name = CODES.get(code) if isinstance(code, str) else None
    if dtype_name is None:
        raise RuntimeError(f"{source}: tensor {name!r} has safetensors dtype {code!r}, which plexgrad has no dtype "
                           f"for (supported: {', '.join(CODES)})")
    if dtype_name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise RuntimeError(f"{source}: tensor {name!r} is bfloat16, which needs the ml_dtypes package: "
                               "pip install ml_dtypes") from None
        return numpy.dtype(ml_dtypes.bfloat16)
    return numpy.dtype(dtype_name)


def _layout(header, source):
    """``[(name, numpy dtype, shape, begin, end)]`` in data order, every field checked."""
    layout = []
    for name, entry in header.items():
        where = f"{source}: the safetensors header is corrupted: tensor {name!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise RuntimeError(f"{where} must have exactly dtype, shape and data_offsets")
        dtype = _numpy_dtype(entry["dtype"], name, source)
        shape, offsets = entry["shape"], entry["data_offsets"]
        if not isinstance(shape, list) or not all(type(size) is int and size >= 0 for size in shape):
            raise RuntimeError(f"{where} has shape {shape!r}; a shape is a list of non-negative integers")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(type(value) is int for value in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise RuntimeError(f"{where} has data_offsets {offsets!r}; they are [begin, end] integers")
        count = dtype.itemsize
        for size in shape:
            count *= size
        if offsets[1] - offsets[0] != count:
            raise RuntimeError(f"{where} has {offsets[1] - offsets[0]} bytes of data but its dtype and shape need "
                               f"{count}")
        layout.append((name, dtype, tuple(shape), offsets[0], offsets[1]))
    layout.sort(key=lambda item: (item[3], item[4]))
    position = 0
    for name, _, _, begin, end in layout:
        if begin != position:
            raise RuntimeError(f"{source}: the safetensors header is corrupted: tensor {name!r} starts at byte "
                               f"{begin} of the data, expected {position} (tensors must tile the data)")
        position = end
    return layout, position


def read_file(handle, size, source, mmap_path=None):
    """``({name: numpy array}, metadata)`` from an open binary file at its start. ``size`` is the
    file's length if known (then truncation is reported before reading), ``mmap_path`` a path
    to map the tensors from instead of reading them. Any defect raises RuntimeError naming
    ``source``."""
    import numpy
    length, header, metadata = _read_header(handle, size, source)
    layout, needed = _layout(header, source)
    available = None if size is None else size - 8 - length
    if available is not None and needed > available:
        raise RuntimeError(f"{source}: the file is truncated: its tensors need {needed} bytes of data but only "
                           f"{available} are present")
    arrays = {}
    for name, dtype, shape, begin, end in layout:
        if mmap_path is not None and end > begin:
            arrays[name] = numpy.memmap(mmap_path, dtype=dtype, mode="c", offset=8 + length + begin, shape=shape)
            continue
        array = numpy.empty(shape, dtype=dtype)
        if end > begin:
            read = _read_into(handle, array_bytes(array))
            if read < end - begin:
                raise RuntimeError(f"{source}: the file is truncated: its tensors need {needed} bytes of data but "
                                   f"only {begin + read} are present")
        arrays[name] = array
    ordered = {name: arrays[name] for name in header}
    return ordered, metadata
