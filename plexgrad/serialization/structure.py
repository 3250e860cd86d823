"""The non-tensor part of a saved object, as JSON: containers, numbers, strings, and
references to the tensors stored beside it.

Every container is a one-key JSON object naming its type (``{"dict": [[key, value],
...]}``, ``{"tuple": [...]}``...), so keys keep their types (optimizer state is keyed by
integers) and tuples stay tuples. A tensor is ``{"tensor": name, ...}`` where ``name``
is its entry in the safetensors payload; a tensor object met twice is stored once and
comes back as one object.
"""

__all__ = ["encode", "decode", "StructureError"]

from collections import Counter, OrderedDict

from ..core import dtypes
from ..core.device import device as Device
from ..core.size import Size
from ..core.tensor import Tensor

_SEQUENCES = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset, "Size": Size}
_MAPPINGS = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}
_RESERVED_NAMES = {"__metadata__"}


class StructureError(ValueError):
    """The saved structure cannot be read back (corrupted or written by something else)."""


def _parameter_class():
    try:
        from ..nn.parameter import Parameter
    except ImportError:  # nn is optional for serialization
        return None
    return Parameter


def _describe_path(path):
    return "obj" + "".join(f"[{part!r}]" for part in path)


def encode(obj):
    """``obj`` as a JSON-ready tree plus ``{name: tensor}`` and ``{name: numpy array}`` payloads.

    Raises TypeError naming where in ``obj`` an unsupported value sits.
    """
    import numpy

    tensors = {}
    arrays = {}
    names_by_identity = {}
    parameter_class = _parameter_class()

    def unique_name(path):
        base = ".".join(str(part) for part in path) or "tensor"
        name = base
        counter = 1
        while name in tensors or name in arrays or name in _RESERVED_NAMES:
            counter += 1
            name = f"{base}#{counter}"
        return name

    def visit(value, path):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, Tensor):
            name = names_by_identity.get(id(value))
            if name is None:
                name = unique_name(path)
                names_by_identity[id(value)] = name
                tensors[name] = value
            node = {"tensor": name, "device": str(value._device), "dtype": value._dtype.name,
                    "requires_grad": bool(value._requires_grad)}
            if parameter_class is not None and isinstance(value, parameter_class):
                node["parameter"] = True
            return node
        if isinstance(value, (numpy.ndarray, numpy.generic)):
            name = unique_name(path)
            arrays[name] = numpy.asarray(value)
            return {"ndarray": name, "scalar": isinstance(value, numpy.generic)}
        if isinstance(value, dtypes.dtype):
            return {"dtype": value.name}
        if isinstance(value, Device):
            return {"device": str(value)}
        for tag, kind in _MAPPINGS.items():
            if type(value) is kind:
                return {tag: [[visit(key, path + [key]), visit(item, path + [key])] for key, item in value.items()]}
        for tag, kind in _SEQUENCES.items():
            if type(value) is kind:
                items = sorted(value, key=repr) if kind in (set, frozenset) else value
                return {tag: [visit(item, path + [index]) for index, item in enumerate(items)]}
        if isinstance(value, dict):  # other dict subclasses (defaultdict...) come back as dict
            return {"dict": [[visit(key, path + [key]), visit(item, path + [key])] for key, item in value.items()]}
        if isinstance(value, (list, tuple)):
            tag = "tuple" if isinstance(value, tuple) else "list"
            return {tag: [visit(item, path + [index]) for index, item in enumerate(value)]}
        raise TypeError(f"plexgrad.save cannot store a {type(value).__module__}.{type(value).__qualname__} at "
                        f"{_describe_path(path)}: it stores tensors, numpy arrays, dicts, lists, tuples, sets, "
                        f"str, int, float, bool, None, dtypes and devices (it never pickles objects); "
                        f"save a state_dict() or convert the value first")

    return visit(obj, []), tensors, arrays


def decode(tree, make_tensor, arrays):
    """Rebuild the object: ``make_tensor(node)`` gives the tensor for a ``{"tensor": ...}`` node."""
    loaded = {}

    def visit(node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            raise StructureError("a bare JSON list where a tagged container was expected")
        if not isinstance(node, dict) or not node:
            raise StructureError(f"unexpected JSON value {node!r}")
        if "tensor" in node:
            name = node["tensor"]
            if name not in loaded:
                loaded[name] = make_tensor(node)
            return loaded[name]
        if "ndarray" in node:
            name = node["ndarray"]
            if name not in arrays:
                raise StructureError(f"the structure refers to array {name!r}, which is not in the file")
            array = arrays[name]
            return array[()] if node.get("scalar") else array
        if "dtype" in node:
            return dtypes.as_dtype(node["dtype"])
        if "device" in node:
            return Device(node["device"])
        if len(node) != 1:
            raise StructureError(f"unknown entry with keys {sorted(node)}")
        tag, items = next(iter(node.items()))
        if not isinstance(items, list):
            raise StructureError(f"the items of a {tag!r} must be a JSON list")
        if tag in _MAPPINGS:
            result = _MAPPINGS[tag]()
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise StructureError(f"a {tag!r} entry must be a [key, value] pair, got {pair!r}")
                result[visit(pair[0])] = visit(pair[1])
            return result
        if tag in _SEQUENCES:
            return _SEQUENCES[tag](visit(item) for item in items)
        raise StructureError(f"unknown container type {tag!r}")

    return visit(tree)
