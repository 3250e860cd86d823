"""The non-tensor part of a saved object, as JSON: containers, numbers, strings, and
references to the tensors stored beside it.

Every container is a one-key JSON object naming its type (``{"dict": [[key, value],
...]}``, ``{"tuple": [...]}``...), so keys keep their types (optimizer state is keyed by
integers) and tuples stay tuples. A tensor is ``{"tensor": name, ...}`` where ``name``
is its entry in the safetensors payload; a tensor object met twice is stored once and
comes back as one object.
"""

__all__ = ["encode", "decode", "parse_json", "StructureError", "MAX_NESTING"]

import json
from collections import Counter, OrderedDict

from ..core import dtypes
from ..core.device import device as Device
from ..core.size import Size
from ..core.tensor import Tensor

_SEQUENCES = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset, "Size": Size}
_MAPPINGS = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}
_RESERVED_NAMES = {"__metadata__"}
_TENSOR_FIELDS = {"tensor": str, "device": str, "dtype": str, "requires_grad": bool, "parameter": bool}
MAX_NESTING = 100  # containers inside containers; a state dict needs 4 or 5


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
        if len(path) >= MAX_NESTING:
            raise ValueError(f"plexgrad.save cannot store {_describe_path(path[:3])}...: containers are nested more "
                             f"than {MAX_NESTING} deep (plexgrad.load refuses deeper files); flatten the object")
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
        if callable(getattr(value, "state_dict", None)) and callable(getattr(value, "load_state_dict", None)):
            raise TypeError(_whole_object_message(value, path))
        raise TypeError(f"plexgrad.save cannot store a {type(value).__module__}.{type(value).__qualname__} at "
                        f"{_describe_path(path)}: it stores tensors, numpy arrays, dicts, lists, tuples, sets, "
                        f"str, int, float, bool, None, dtypes and devices (it never pickles objects); "
                        f"save a state_dict() or convert the value first")

    return visit(obj, []), tensors, arrays


def _whole_object_message(value, path):
    """torch.save(model) pickles the whole object; plexgrad never pickles, so it shows the state_dict way."""
    kind = type(value).__qualname__
    name = "optimizer" if hasattr(value, "param_groups") else "model"
    return (f"plexgrad.save cannot store a whole {kind} object (at {_describe_path(path)}): saving objects would "
            f"need pickle, which plexgrad never uses (loading a pickle can run arbitrary code). Save its "
            f"state_dict instead, and load it into a newly built {kind}:\n"
            f"    torch.save({name}.state_dict(), 'checkpoint.pt')\n"
            f"    {name}.load_state_dict(torch.load('checkpoint.pt'))")


def parse_json(text, what):
    """The JSON value in ``text``; StructureError (never RecursionError) if it is not valid JSON."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise StructureError(f"the {what} is not valid JSON ({error})") from None
    except RecursionError:
        raise StructureError(f"the {what} is nested too deeply to be a plexgrad file (at most {MAX_NESTING} "
                             "containers deep)") from None


def _check_tensor_node(node):
    for field, value in node.items():
        kind = _TENSOR_FIELDS.get(field)
        if kind is None:
            raise StructureError(f"a tensor entry has an unknown field {field!r}")
        if type(value) is not kind:
            raise StructureError(f"a tensor entry's {field!r} must be a {kind.__name__}, got {value!r}")


def decode(tree, make_tensor, arrays):
    """Rebuild the object: ``make_tensor(node)`` gives the tensor for a ``{"tensor": ...}`` node.
    Anything malformed raises StructureError saying what."""
    loaded = {}

    def visit(node, depth):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            raise StructureError("a bare JSON list where a tagged container was expected")
        if not isinstance(node, dict) or not node:
            raise StructureError(f"unexpected JSON value {node!r}")
        if "tensor" in node:
            _check_tensor_node(node)
            name = node["tensor"]
            if name not in loaded:
                loaded[name] = make_tensor(node)
            return loaded[name]
        if len(node) == 1 and isinstance(node.get("ndarray"), str) or set(node) == {"ndarray", "scalar"}:
            name = node["ndarray"]
            if not isinstance(name, str) or name not in arrays:
                raise StructureError(f"the structure refers to array {name!r}, which is not in the file")
            if type(node.get("scalar", False)) is not bool:
                raise StructureError(f"an array entry's 'scalar' must be a bool, got {node['scalar']!r}")
            array = arrays[name]
            return array[()] if node.get("scalar") else array
        if len(node) != 1:
            raise StructureError(f"unknown entry with keys {sorted(node)}")
        tag, items = next(iter(node.items()))
        if tag in ("dtype", "device"):
            if not isinstance(items, str):
                raise StructureError(f"a {tag} must be given as a string, got {items!r}")
            try:
                return dtypes.as_dtype(items) if tag == "dtype" else Device(items)
            except (TypeError, ValueError, RuntimeError) as error:
                raise StructureError(f"unknown {tag} {items!r} ({error})") from None
        if not isinstance(items, list):
            raise StructureError(f"the items of a {tag!r} must be a JSON list")
        if depth >= MAX_NESTING:  # ``depth`` counts the containers around this one
            raise StructureError(f"containers are nested more than {MAX_NESTING} deep")
        if tag in _MAPPINGS:
            result = _MAPPINGS[tag]()
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise StructureError(f"a {tag!r} entry must be a [key, value] pair, got {pair!r}")
                key = visit(pair[0], depth + 1)
                try:
                    hash(key)
                except TypeError:
                    raise StructureError(f"a {tag!r} key must be hashable, got a {type(key).__name__}") from None
                result[key] = visit(pair[1], depth + 1)
            return result
        if tag in _SEQUENCES:
            values = [visit(item, depth + 1) for item in items]
            if tag == "Size" and not all(type(value) is int for value in values):
                raise StructureError(f"the items of a 'Size' must be integers, got {values!r}")
            try:
                return _SEQUENCES[tag](values)
            except TypeError as error:
                raise StructureError(f"the items of a {tag!r} cannot be {values!r} ({error})") from None
        raise StructureError(f"unknown container type {tag!r}")

    return visit(tree, 0)
