"""``plexgrad.save`` and ``plexgrad.load``: tensors and (nested) state dicts in safetensors files.

Tensor payloads go in the safetensors data section; everything else (dicts, lists,
numbers, strings, where each tensor lived) is JSON in the header's ``__metadata__``.
Nothing is ever pickled or unpickled, so loading an untrusted file cannot run code. The
header and every tensor carry CRC-32 checksums; any defect, a damaged byte or crafted
metadata alike, raises RuntimeError naming the file and what is wrong.
"""

__all__ = ["save", "load"]

import json
import os

from ..core.device import device as Device
from ..core.factories import from_numpy, resolve_device, to_device
from ..core.tensor import Tensor
from . import files
from .safetensors_format import array_bytes, checksum, code_of, encode_header, read_file
from .structure import StructureError, decode, encode, parse_json

FORMAT_VERSION = "2"  # 2: the header carries plexgrad.header_crc32; 1 (still read): it did not
_SUPPORTED_ARRAY_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
                           "float64"}


def _host_array(value):
    """A tensor's or array's data as a C-contiguous little-endian numpy array (a copy only if needed)."""
    import numpy
    host = value._backend().to_host(value._data) if isinstance(value, Tensor) else value
    if host.dtype.byteorder == ">":
        host = host.astype(host.dtype.newbyteorder("<"))
    return numpy.ascontiguousarray(host).reshape(host.shape)  # ascontiguousarray makes 0-d arrays 1-d


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save a tensor, or dicts/lists/tuples of tensors, numbers, strings, bools and None, to ``f``.

    ``f`` is a path (written atomically: an existing file is replaced only once the new
    one is complete on disk; temporary files a killed save left in that folder are removed)
    or a binary file object. Each tensor keeps its dtype, shape, device and
    ``requires_grad``; a tensor object that appears twice is stored once. Tensors are
    streamed into the file one at a time, so saving needs little memory beyond the tensors.

        >>> plexgrad.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
        ...                'epoch': 3}, 'checkpoint.safetensors')
    """
    if pickle_module is not None:
        raise ValueError("plexgrad.save never pickles: it writes safetensors; leave pickle_module unset")
    tree, tensors, arrays = encode(obj)
    for name, array in arrays.items():
        if array.dtype.name not in _SUPPORTED_ARRAY_DTYPES:
            raise TypeError(f"plexgrad.save cannot store the numpy array {name!r} of dtype {array.dtype}: "
                            f"supported dtypes are {', '.join(sorted(_SUPPORTED_ARRAY_DTYPES))}")
    sources = list(tensors.items()) + list(arrays.items())
    entries, checksums = [], {}
    for name, value in sources:  # first pass: layout and checksums, one host copy alive at a time
        host = _host_array(value)
        entries.append((name, code_of(host.dtype), host.shape, host.nbytes))
        checksums[name] = checksum(host)
        del host
    metadata = {"plexgrad.format": FORMAT_VERSION, "plexgrad.structure": json.dumps(tree),
                "plexgrad.checksums": json.dumps(checksums)}
    header = encode_header(entries, metadata)

    def write(handle):
        files.write_bytes(handle, header)
        for _, value in sources:
            host = _host_array(value)
            if host.nbytes:
                files.write_bytes(handle, array_bytes(host))
            del host

    files.save_to(f, write)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by :func:`save` (or any safetensors file, as a dict of tensors).

    ``map_location`` moves tensors: a device or string (``'cpu'``, ``'jax'``), a dict from
    saved device to target (``{'jax:0': 'cpu'}``), or a callable ``(tensor, saved_device)``
    returning a tensor (or None to keep the saved device). Without it tensors return to the
    device they were saved from. ``weights_only`` is accepted for compatibility: plexgrad
    files never hold pickled objects, so every load is weights-only.

    A missing, truncated, corrupted or foreign file (a torch.save zip, a pickle) raises
    RuntimeError naming the file and what is wrong.
    """
    if pickle_module is not None:
        raise ValueError("plexgrad.load never unpickles: leave pickle_module unset")
    if pickle_load_args:
        raise TypeError(f"plexgrad.load got unexpected keyword arguments {sorted(pickle_load_args)}")
    source = files.describe(f)
    if mmap and not isinstance(f, (str, bytes, os.PathLike)):
        raise ValueError(f"f must be a file path in order to use the mmap argument, got {type(f).__name__}")
    with files.open_source(f) as (handle, size, path):
        arrays, metadata = read_file(handle, size, source, path if mmap else None)
    structure = metadata.get("plexgrad.structure")
    if structure is None:  # a plain safetensors file, e.g. written by safetensors itself
        return {name: _place(from_numpy(array), "cpu", map_location, name, source) for name, array in arrays.items()}
    try:
        tree = parse_json(structure, "structure")
        checksums = parse_json(metadata.get("plexgrad.checksums", "{}"), "checksums")
        if not isinstance(checksums, dict) or not all(type(value) is int for value in checksums.values()):
            raise StructureError("plexgrad.checksums must map tensor names to integers")
    except StructureError as error:
        raise RuntimeError(f"{source}: the plexgrad structure in the header is corrupted: {error}") from None

    for name, array in arrays.items():
        expected = checksums.get(name)
        if expected is not None and checksum(array) != expected:
            raise RuntimeError(f"{source}: the data of tensor {name!r} is corrupted (checksum mismatch); "
                               "the file was damaged after it was written")

    def make_tensor(node):
        name = node.get("tensor")
        array = arrays.get(name) if isinstance(name, str) else None
        if array is None:
            raise StructureError(f"the structure refers to tensor {name!r}, which is not in the file")
        if node.get("dtype", array.dtype.name) != array.dtype.name:
            raise StructureError(f"tensor {name!r} is {array.dtype.name} in the data but {node['dtype']} in the "
                                 "structure")
        tensor = _place(from_numpy(array), node.get("device", "cpu"), map_location, name, source)
        requires_grad = bool(node.get("requires_grad", False))
        if node.get("parameter"):
            from ..nn.parameter import Parameter
            return Parameter(tensor, requires_grad=requires_grad)
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor

    try:
        return decode(tree, make_tensor, arrays)
    except StructureError as error:
        raise RuntimeError(f"{source}: the plexgrad structure in the header is corrupted: {error}") from None


def _target(saved_location, map_location):
    if map_location is None:
        return saved_location
    if isinstance(map_location, (str, Device)):
        return map_location
    if isinstance(map_location, dict):
        if saved_location in map_location:
            return map_location[saved_location]
        saved_type = saved_location.split(":")[0]
        return map_location.get(saved_type, saved_location)
    if isinstance(map_location, int) and not isinstance(map_location, bool):
        return map_location
    raise TypeError(f"map_location must be None, a device, a string, a dict or a callable, got "
                    f"{type(map_location).__name__}")


def _place(tensor, saved_location, map_location, name, source):
    if callable(map_location) and not isinstance(map_location, (str, Device, dict)):
        result = map_location(tensor, saved_location)
        if isinstance(result, Tensor):
            return result
        target = saved_location if result is None else result
    else:
        target = _target(saved_location, map_location)
    try:
        device = resolve_device(target)
        return tensor if tensor._device is device else to_device(tensor, device)
    except (RuntimeError, ImportError) as error:
        raise RuntimeError(f"{source}: tensor {name!r} was saved on {saved_location} and would load onto {target}, "
                           f"which is not available here ({error}); pass map_location='cpu' (or another device) "
                           "to plexgrad.load") from None
