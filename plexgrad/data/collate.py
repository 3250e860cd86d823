"""How a list of samples becomes a batch: ``default_collate`` (and ``default_convert`` when
automatic batching is off), following torch's rules:

- tensors are stacked along a new first dimension;
- numpy arrays are stacked into one tensor, numpy scalars become a 1-d tensor;
- Python ints become an int64 tensor, floats a float64 tensor, bools a bool tensor;
- strings and bytes stay a list;
- dicts collate key by key, namedtuples field by field, other sequences position by position
  (tuples give lists, as in torch).

Batches land on the default device.
"""

__all__ = ["default_collate", "default_convert"]

import collections.abc
import numbers

import numpy

from ..core.device import get_default_device
from ..core.factories import as_tensor, tensor
from ..core.ops.shape import stack
from ..core.tensor import Tensor

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _on_default_device(result):
    target = get_default_device()
    if result.device.type == "cpu" and target.type != "cpu":
        return result.to(target)
    return result


def _is_numeric_array(array):
    return array.dtype.kind in "biuf"


def _collate_tensors(batch):
    first = batch[0]
    for position, item in enumerate(batch):
        if not isinstance(item, Tensor):
            raise TypeError(f"default_collate: sample 0 is a Tensor but sample {position} is a "
                            f"{type(item).__name__}; every sample must have the same structure")
        if item.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first.shape)} at entry 0 "
                               f"and {list(item.shape)} at entry {position}")
    return _on_default_device(stack(list(batch), 0))


def _collate_arrays(batch):
    if not _is_numeric_array(batch[0]):
        raise TypeError(_ERROR.format(batch[0].dtype))
    shapes = {item.shape for item in batch}
    if len(shapes) != 1:
        raise RuntimeError(f"stack expects each array to be equal size, but got shapes {sorted(shapes)}")
    return as_tensor(numpy.stack(batch), device=get_default_device())


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules).

        default_collate([(tensor([1, 2]), 0), (tensor([3, 4]), 1)])
        # [tensor([[1, 2], [3, 4]]), tensor([0, 1])]
    """
    element = batch[0]
    if isinstance(element, Tensor):
        return _collate_tensors(batch)
    if isinstance(element, numpy.ndarray):
        return _collate_arrays(batch)
    if isinstance(element, numpy.generic):
        if not _is_numeric_array(numpy.asarray(element)):
            raise TypeError(_ERROR.format(element.dtype))
        return as_tensor(numpy.asarray(batch), device=get_default_device())
    if isinstance(element, float):
        return tensor(batch, dtype="float64")
    if isinstance(element, (bool, numbers.Integral)):
        return tensor(batch)
    if isinstance(element, (str, bytes)):
        return batch
    if isinstance(element, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in element}
        try:
            return type(element)(collated)
        except TypeError:
            return collated
    if isinstance(element, tuple) and hasattr(element, "_fields"):
        return type(element)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(element, collections.abc.Sequence):
        size = len(element)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(element, tuple):
            return transposed
        try:
            return type(element)(transposed)
        except TypeError:
            return transposed
    raise TypeError(_ERROR.format(type(element)))


def default_convert(data):
    """Turn numpy arrays (at any depth of dicts, namedtuples and sequences) into tensors; used
    when automatic batching is off (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return _on_default_device(data)
    if isinstance(data, numpy.ndarray):
        return as_tensor(data, device=get_default_device()) if _is_numeric_array(data) else data
    if isinstance(data, numpy.generic) and _is_numeric_array(numpy.asarray(data)):
        return as_tensor(numpy.asarray(data), device=get_default_device())
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(value) for value in data])
        except TypeError:
            return [default_convert(value) for value in data]
    return data
