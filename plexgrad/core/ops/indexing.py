"""Indexing: ``x[key]`` and ``x[key] = value`` with ints, slices, None, Ellipsis,
integer tensors/lists and boolean masks.  Basic keys give views; advanced keys copy.
Bounds are checked in the core so every backend raises torch's IndexError (jax
would otherwise clamp silently); the check reads the indices on the host, so it runs in
eager mode only (``core/host_checks.py``).  Derivative rules never read values."""

__all__ = ["getitem", "index_put", "setitem", "nonzero", "convert_key"]

import numpy

from .. import dtypes
from ..autograd.grad_mode import state as grad_state
from ..dispatch import native as native_kernel, table_of
from ..op import apply, cast, declare, kernel_for, record, _kernel_error
from ..host_checks import host_values
from ..storage import bump_version
from ..tensor import Tensor, make_tensor
from ..views import make_view
from .elementwise import sum_to
from .index_checks import index_extremes

_BASIC = (int, slice, type(None), type(Ellipsis))


def _key_tuple(key):
    if isinstance(key, tuple):
        return key
    return (key,)


def convert_key(tensor, key):
    """Check ``key`` against ``tensor``'s shape; return (native key, is_basic)."""
    key = _key_tuple(key)
    shape = tuple(tensor._data.shape)
    consumed = 0
    for item in key:
        if item is None or item is Ellipsis:
            continue
        if isinstance(item, Tensor) and item._dtype is dtypes.bool or \
                isinstance(item, numpy.ndarray) and item.dtype == bool:
            consumed += max(item.ndim, 1) if item.ndim else 0
        else:
            consumed += 1
    ellipsis_count = sum(1 for item in key if item is Ellipsis)
    if ellipsis_count > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {consumed} indices)")
    native = []
    basic = True
    dim = 0
    for item in key:
        if item is Ellipsis:
            dim += len(shape) - consumed
            native.append(item)
            continue
        if item is None:
            native.append(item)
            continue
        kind = type(item)
        if kind is bool:
            native.append(item)
            basic = False
            continue
        if kind is int or kind is not slice and hasattr(item, "__index__") and not isinstance(item, Tensor) \
                and not isinstance(item, (list, numpy.ndarray)):
            index = item.__index__()
            extent = shape[dim]
            if index < -extent or index >= extent:
                raise IndexError(f"index {index} is out of bounds for dimension {dim} with size {extent}")
            native.append(index)
            dim += 1
            continue
        if kind is slice:
            if item.step is not None and _as_int(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            native.append(slice(_as_int(item.start), _as_int(item.stop), _as_int(item.step)))
            dim += 1
            continue
        basic = False
        array_tensor = _index_tensor(item, tensor._device)
        if array_tensor._dtype is dtypes.bool:
            mask_shape = tuple(array_tensor._data.shape)
            if shape[dim:dim + len(mask_shape)] != mask_shape:
                raise IndexError(
                    f"The shape of the mask {list(mask_shape)} at index {dim} does not match the shape of the "
                    f"indexed tensor {list(shape)}")
            native.append(array_tensor._data)
            dim += max(len(mask_shape), 1) if mask_shape else 0
            continue
        if array_tensor._dtype.category != dtypes.INTEGER:
            raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, got "
                             f"{array_tensor._dtype}")
        extent = shape[dim]
        extremes = index_extremes(array_tensor)  # None when empty or skipped by a tracer
        if extremes is not None:
            low, high = extremes
            if low < -extent or high >= extent:
                bad = high if high >= extent else low
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {extent}")
        native.append(array_tensor._data)
        dim += 1
    if basic and Ellipsis not in native:
        native.append(Ellipsis)  # numpy then returns a 0-d view, not a scalar copy
    return tuple(native), basic


def _as_int(value):
    if value is None or type(value) is int:
        return value
    if hasattr(value, "__index__"):
        return value.__index__()
    raise TypeError(f"slice indices must be integers or None, got {type(value).__name__}")


def _index_tensor(item, device):
    if isinstance(item, Tensor):
        if item._device is not device:
            if item._device.type == "cpu":
                return item.to(device)
            raise IndexError(f"indices are on {item.device} but the indexed tensor is on {device}; "
                             f"move them with .to('{device}')")
        return item
    from ..factories import tensor as make
    try:
        return make(item, device=device)
    except (TypeError, ValueError) as error:
        raise IndexError(f"invalid index {item!r}: {error}") from None


# ---- getitem -----------------------------------------------------------------------------
def _getitem_backward(node, grad):
    input_shape, key = node.params
    from ..factories import zeros
    base = zeros(input_shape, dtype=grad._dtype, device=grad._device)
    return (_index_put_native(base, key, grad, accumulate=True),)


_getitem_op = declare("getitem", _getitem_backward, node_name="IndexBackward0", signature="x, key: static")
_getitem_table = table_of(_getitem_op)


def getitem(input, key):
    """``input[key]``."""
    native, basic = convert_key(input, key)
    device = input._device
    try:
        kernel = _getitem_table[device.type]
    except KeyError:
        kernel = kernel_for(_getitem_op, device)
    try:
        data = kernel(input._data, native)
    except IndexError:
        raise
    except Exception as error:
        raise _kernel_error("index", (input,), error) from error
    node_params = (tuple(input._data.shape), native)
    if basic:
        result = make_view(input, data, (_getitem_op, (native,), node_params, _SELECT_RULE, None))
        if grad_state.enabled and input._requires_grad:
            record(_SELECT_RULE, (input,), result, (), node_params)
        return result
    from ..tensor import make_tensor
    result = make_tensor(data, input._dtype, device)
    if grad_state.enabled and input._requires_grad:
        record(_getitem_op.rule, (input,), result, (), node_params)
    return result


# ---- index_put (functional setitem) -------------------------------------------------------
def _index_put_backward(node, grad):
    key, accumulate, value_shape = node.params
    grad_input = grad if accumulate else _index_put_native(grad, key, grad.new_zeros(()), accumulate=False)
    grad_value = None
    if node.edges[1] is not None:
        grad_value = sum_to(getitem_native(grad, key), value_shape)
    return (grad_input, grad_value)


_index_put_op = declare("index_put", _index_put_backward, node_name="IndexPutBackward0",
                        signature="x, values, key: static, accumulate: static")
# the same write into x's own memory, on mutable backends that have it (setitem without autograd)
_index_put_in_place_op = declare("index_put_", signature="x, values, key: static, accumulate: static",
                                 doc="x[key] = values (or +=) in place; returns nothing",
                                 fallback="the core runs index_put and writes the result back")


def getitem_native(input, native_key):
    """``input[key]`` for an already converted key (used by derivative rules)."""
    data = kernel_for(_getitem_op, input._device)(input._data, native_key)
    from ..tensor import make_tensor
    result = make_tensor(data, input._dtype, input._device)
    if grad_state.enabled and input._requires_grad:
        record(_getitem_op.rule, (input,), result, (), (tuple(input._data.shape), native_key))
    return result


def _index_put_native(input, native_key, value, accumulate):
    value = _value_tensor(value, input)
    target_shape = _indexed_shape(input, native_key, exact=False)  # only its length is used: no host read
    if value._data.ndim > len(target_shape) and all(e == 1 for e in value._data.shape[:value._data.ndim -
                                                                                       len(target_shape)]):
        value = value.reshape(tuple(value._data.shape[value._data.ndim - len(target_shape):]))
    return apply(_index_put_op, (input, value), (native_key, accumulate),
                 node_params=(native_key, accumulate, tuple(value._data.shape)))


def _indexed_shape(input, native_key, exact=True):
    """The shape of ``input[native_key]``, found on a zero-strided host probe.

    Integer index arrays are replaced by zeros of their shape (the values do not change
    the shape).  A boolean mask's True count does: with ``exact`` it is read on the host
    (eager only: ``None`` is returned inside ``skip_host_checks``); without, the mask counts
    as all True, which gives the right number of dimensions and never reads the device.
    """
    probe = numpy.broadcast_to(numpy.False_, tuple(input._data.shape))
    dtype_of = input._backend().dtype_of  # a foreign array's dtype is not a numpy dtype
    host_key = []
    for item in native_key:
        if not hasattr(item, "shape"):
            host_key.append(item)
        elif dtype_of(item) is not dtypes.bool:
            host_key.append(numpy.zeros(tuple(item.shape), dtype=numpy.intp))
        elif not exact:
            host_key.append(numpy.ones(tuple(item.shape), dtype=numpy.bool_))
        else:
            mask = host_values(make_tensor(item, dtypes.bool, input._device))
            if mask is None:
                return None
            host_key.append(mask)
    return probe[tuple(host_key)].shape


def _value_tensor(value, like):
    if isinstance(value, Tensor):
        if value._device is not like._device:
            if value._device.type == "cpu" and value._data.ndim == 0:
                value = value.to(like._device)
            else:
                from ..op import mixed_device_error
                raise mixed_device_error("index_put_", like._device, value._device)
        if value._dtype is not like._dtype:
            value = cast(value, like._dtype)
        return value
    from ..factories import tensor as make
    return make(value, dtype=like._dtype, device=like._device)


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written (or added) at ``indices`` (a tuple of index tensors)."""
    native, _ = convert_key(input, tuple(indices))
    return _index_put_native(input, native, values, accumulate)


def setitem(input, key, value):
    """``input[key] = value``, in place, visible through every view of ``input``."""
    from ..inplace import assign_in_place, check_in_place, snapshot
    native, basic = convert_key(input, key)
    value_tensor = _value_tensor(value, input)
    recording = grad_state.enabled and (input._requires_grad or value_tensor._requires_grad)
    check_in_place(input, recording, through_view=basic)  # torch writes x[basic] = v through the view x[basic]
    target_shape = _indexed_shape(input, native)  # None: a mask's count unknown to a tracer, check skipped
    from ..shapes import broadcast_shapes_or_none
    if target_shape is not None and \
            broadcast_shapes_or_none(tuple(value_tensor._data.shape), target_shape) != tuple(target_shape) and \
            not _squeezable(value_tensor._data.shape, target_shape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value_tensor.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target_shape)}")
    target_ndim = len(target_shape if target_shape is not None else _indexed_shape(input, native, exact=False))
    backend = input._backend()
    write_into = native_kernel(_index_put_in_place_op, input._device) if not recording and backend.mutable else None
    if write_into is not None:
        data = backend.owned(input._data)
        if data is not input._data:
            input._data = data
        value_data = value_tensor._data
        if value_data.ndim > target_ndim:
            value_data = value_data.reshape(tuple(value_data.shape[value_data.ndim - target_ndim:]))
        try:
            write_into(data, value_data, native, False)
        except ValueError as error:  # a read-only (expanded) target: the general path says what torch says
            if "read-only" not in str(error):
                raise
        else:
            bump_version(input)
            return
    if basic:
        # as torch: a write through the view input[key] (only the view's elements are written, so
        # a single element of an expanded tensor may be set, and autograd records CopySlices)
        if value_tensor._data.ndim > target_ndim:
            value_tensor = value_tensor.reshape(tuple(value_tensor._data.shape[value_tensor._data.ndim -
                                                                               target_ndim:]))
        assign_in_place(getitem(input, native), value_tensor, recording)
        return
    source = snapshot(input) if recording else input
    result = _index_put_native(source, native, value_tensor, False)
    assign_in_place(input, result, recording)


def _squeezable(value_shape, target_shape):
    extra = len(value_shape) - len(target_shape)
    return extra > 0 and all(e == 1 for e in value_shape[:extra]) and \
        tuple(value_shape[extra:]) == tuple(target_shape)


# ---- nonzero -----------------------------------------------------------------------------
def nonzero(input, *, as_tuple=False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-d tensors.

    The result's size depends on the values, so this reads them on the host in any mode
    (torch's nonzero synchronizes too)."""
    host = input._backend().to_host(input._data)
    positions = numpy.nonzero(host)
    from ..factories import tensor as make
    if as_tuple:
        return tuple(make(p.astype(numpy.int64), device=input._device) for p in positions)
    stacked = numpy.stack(positions, axis=1) if positions else numpy.zeros((0, 0), dtype=numpy.int64)
    return make(stacked.astype(numpy.int64), device=input._device)


from ..op import Rule as _Rule  # noqa: E402

_SELECT_RULE = _Rule("SliceBackward0", _getitem_backward)
