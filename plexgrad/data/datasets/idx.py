"""Reading IDX files (the MNIST format), gzipped or not, into numpy arrays with full validation."""

__all__ = ["read_idx", "IDXError"]

import gzip
import os
import zlib

import numpy

_TYPES = {0x08: numpy.dtype(numpy.uint8), 0x09: numpy.dtype(numpy.int8), 0x0B: numpy.dtype(">i2"),
          0x0C: numpy.dtype(">i4"), 0x0D: numpy.dtype(">f4"), 0x0E: numpy.dtype(">f8")}


class IDXError(RuntimeError):
    """An IDX file is truncated, corrupted or not an IDX file at all."""


def _read_bytes(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise IDXError(f"{path}: the gzip stream is truncated or corrupted ({error}); delete the file and "
                           "download it again") from None
    return raw


def read_idx(path, expected_ndim=None):
    """The array stored in IDX file ``path`` (``.gz`` or plain), writable, in native byte order.

    Checks the magic number, the element type, the number of dimensions (``expected_ndim``) and
    that the data length matches the dimensions; raises IDXError naming the file otherwise.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXError(f"{path}: only {len(raw)} bytes, too short for an IDX header (the file is truncated)")
    zero_one, zero_two, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero_one != 0 or zero_two != 0 or type_code not in _TYPES:
        raise IDXError(f"{path}: bad magic number {raw[:4].hex()} (expected 0000 then a type code among "
                       f"{[hex(code) for code in _TYPES]} and the number of dimensions); not an IDX file")
    if expected_ndim is not None and ndim != expected_ndim:
        raise IDXError(f"{path}: holds {ndim}-dimensional data but {expected_ndim} dimensions were expected "
                       "(images have 3, labels 1); is it the right file?")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IDXError(f"{path}: the header is truncated ({len(raw)} bytes, {header_size} needed)")
    shape = tuple(int(size) for size in numpy.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[type_code]
    expected = int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    actual = len(raw) - header_size
    if actual != expected:
        problem = "truncated" if actual < expected else "longer than its header says"
        raise IDXError(f"{path}: the file is {problem}: the header says shape {shape} ({expected} data bytes) but "
                       f"there are {actual}; delete it and download it again")
    data = numpy.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.copy() if dtype.byteorder in ("|", "=") else data.astype(dtype.newbyteorder("="))
