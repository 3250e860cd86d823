"""In-place operations: ``add_``, ``x += y``, ``x[...] = v``, ``zero_``, ``fill_``...

An in-place op computes its result out of place, then writes it into the target's
storage (``views.py``: directly on mutable engines, a functional scatter into the root
plus a re-derivation of every alias on immutable ones).  The target keeps its identity
and the storage's version counter goes up (so autograd can refuse stale saved
tensors).  Under autograd a root or non-differentiable alias takes over the result's
history; a write through a differentiable view gives the view's autograd base the
history ``CopySlices`` (its old values outside the view, the result inside), and every
live view of that base has its history regenerated, as in torch.
"""

__all__ = ["assign_in_place", "check_in_place", "snapshot", "in_place", "make_in_place_method",
           "accumulate_into", "copy_source", "fast_binary_in_place", "bump_version", "view_scatter",
           "restride_in_place"]

import numpy

from .autograd.grad_mode import state as grad_state
from .op import Rule, cast, record
from .storage import bump_version
from .tensor import Tensor, make_tensor
from .dispatch import OPS, backend_for_type, call, native
from .view_replay import refresh_views, regenerate_views, replay, replay_arrays, scatter_back
from .views import DEFAULT, MULTI_OUTPUT, ViewMeta, hand_storage_to_hidden_root, live_views, register, root_of

# in-place methods that change the tensor's shape/strides, not its values
RESTRIDING_METHODS = {"t_", "transpose_", "squeeze_", "unsqueeze_", "swapaxes_", "swapdims_"}

_OVERLAP_MESSAGE = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                    "memory location. Please clone() the tensor before performing the operation.")


def check_in_place(target, recording, through_view=False):
    """torch's refusals of an in-place write under autograd (``recording``: grad mode is on and
    the target or a value requires grad): through a view made under no_grad or returned with
    others by split/chunk/unbind, and on a leaf that requires grad or a view of one.
    ``through_view``: the write goes through a view of ``target`` (``x[0] = v``)."""
    if not recording:
        return
    meta = target._view
    if meta is not None and meta.grad_base is not None:
        if meta.creation == MULTI_OUTPUT:
            raise RuntimeError(
                "Output of split/chunk/unbind is a view and is being modified inplace. This view is the output "
                "of a function that returns multiple views. Such functions do not allow the output views to be "
                "modified inplace. You should replace the inplace operation by an out-of-place one (or clone() "
                "the piece first).")
        if meta.creation != DEFAULT:
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given "
                "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
                "moving both the view and the inplace either both inside the no_grad block (if you don't want "
                "the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
        base = meta.grad_base
        if target._requires_grad and base._grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation. Wrap the update in `with plexgrad.no_grad():`.")
        return
    if target._grad_fn is None and target._requires_grad:
        if through_view:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation. Wrap the update in `with plexgrad.no_grad():`.")
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the update in `with plexgrad.no_grad():` or operate on .detach().")


def snapshot(target):
    """An independent copy of ``target`` carrying its autograd history (for rules that save it)."""
    backend = target._backend()
    data = call(OPS["copy"], target._device, target._data) if backend.mutable else target._data
    copy = make_tensor(data, target._dtype, target._device)
    copy._grad_fn = target._grad_fn
    copy._requires_grad = target._requires_grad
    return copy


def _history_of(tensor):
    """A stand-in carrying only ``tensor``'s autograd history (an edge for ``record``)."""
    stand_in = make_tensor(tensor._data, tensor._dtype, tensor._device)
    stand_in._grad_fn = tensor._grad_fn
    stand_in._requires_grad = tensor._requires_grad
    return stand_in


def _check_cast(target, result):
    if result._dtype is target._dtype:
        return result
    if result._dtype.category > target._dtype.category:
        raise RuntimeError(f"result type {_title(result._dtype)} can't be cast to the desired output type "
                           f"{_title(target._dtype)}")
    return cast(result, target._dtype)


def _title(dtype):
    from .legacy import scalar_type_name
    return scalar_type_name(dtype)


def _writable(array):
    """A writable alias of a read-only numpy view (numpy's expand), if torch would allow the write:
    no element of it may be reached twice (a stride 0 over more than one element)."""
    if any(stride == 0 and extent > 1 for extent, stride in zip(array.shape, array.strides)):
        raise RuntimeError(_OVERLAP_MESSAGE)
    interface = dict(array.__array_interface__)
    interface["data"] = (interface["data"][0], False)
    return numpy.asarray(_ArrayInterface(interface, array))


class _ArrayInterface:
    """Exposes an array interface (numpy's own trick in ``as_strided``)."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def _write(target, result_data):
    """Write values into target's storage (broadcasting) and bump the storage version."""
    backend = target._backend()
    if backend.mutable:
        destination = backend.owned(target._data)
        if destination is not target._data:  # numpy returned a scalar for a 0-d result
            target._data = destination
        try:
            backend.assign(destination, result_data)
        except ValueError as error:
            if "read-only" not in str(error):
                raise
            backend.assign(_writable(destination), result_data)
    else:
        shape = tuple(target._data.shape)
        values = result_data
        if tuple(values.shape) != shape:
            from .ops.shape import _expand_op
            values = call(_expand_op, target._device, values, shape)
        root = root_of(target)
        if target._base is None:
            target._data = values
        else:
            root._data = scatter_back(backend, root._device, root._dtype, root._data, target._view.steps, values)
        refresh_views(root)
    bump_version(target)


# ---- a region replaced: the functional form of a write through a view, and its derivative ------

def _view_scatter_backward(node, grad):
    steps, shape = node.params
    from .factories import zeros
    grad_base = view_scatter(grad, steps, zeros(shape, dtype=grad._dtype, device=grad._device))
    grad_value = replay(grad, steps) if node.edges[1] is not None else None
    return (grad_base, grad_value)


_VIEW_SCATTER = Rule("ViewScatterBackward0", _view_scatter_backward)
_COPY_SLICES = Rule("CopySlices", _view_scatter_backward)


def view_scatter(base, steps, value):
    """A new tensor: ``base`` with the region ``steps`` select replaced by ``value`` (differentiable)."""
    backend = base._backend()
    device = base._device
    shape = tuple(value._data.shape)
    if backend.mutable:
        data = backend.owned(call(OPS["copy"], device, base._data))
        region = replay_arrays(device, data, steps)[-1]
        try:
            backend.assign(region, value._data)
        except ValueError as error:
            if "read-only" not in str(error):
                raise
            backend.assign(_writable(region), value._data)
    else:
        data = scatter_back(backend, device, base._dtype, base._data, steps, value._data)
    result = make_tensor(data, base._dtype, device)
    if grad_state.enabled and (base._requires_grad or value._requires_grad):
        record(_VIEW_SCATTER, (base, value), result, (), (steps, shape))
    return result


def assign_in_place(target, result, recording=None):
    """Make ``target`` hold ``result`` (broadcast and cast to it) in place; returns ``target``."""
    if recording is None:
        recording = grad_state.enabled and (target._requires_grad or result._requires_grad)
    result = _check_cast(target, result)
    meta = target._view
    through_view = recording and meta is not None and meta.grad_base is not None
    if through_view:
        base = meta.grad_base
        history = _history_of(base)
    _write(target, result._data)
    if not recording:
        return target
    shape = tuple(target._data.shape)
    if tuple(result._data.shape) != shape or result._requires_grad and result._grad_fn is None:
        result = result.expand(shape)  # the target's history needs a node of the target's shape
    if not through_view:
        target._grad_fn = result._grad_fn
        target._requires_grad = result._requires_grad
        regenerate_views(target)
        return target
    # a view was written: its base's history now runs through CopySlices, and every view of the
    # base (this one too) sees the base's new history through its steps
    record(_COPY_SLICES, (history, result), base, (), (meta.grad_steps, shape))
    regenerate_views(base, also=target)
    return target


def _copy_backward(node, grad):
    from .factories import zeros
    from .ops.elementwise import sum_to
    target_shape, source_shape = node.params
    grad_target = None
    if node.edges[0] is not None:
        grad_target = zeros(target_shape, dtype=grad._dtype, device=grad._device)
    grad_source = sum_to(grad, source_shape) if node.edges[1] is not None else None
    return (grad_target, grad_source)


_COPY = Rule("CopyBackwards", _copy_backward)


def copy_source(target, source):
    """The value ``target.copy_(source)`` writes: ``source``'s values, with torch's history (the
    target's old values get a zero gradient, the source the gradient)."""
    result = make_tensor(source._data, source._dtype, source._device)
    if grad_state.enabled and (target._requires_grad or source._requires_grad):
        record(_COPY, (target, source), result, (), (tuple(target._data.shape), tuple(source._data.shape)))
    return result


def in_place(function, target, *args, **kwargs):
    """Run ``function(target, *args)`` and write the result into ``target``; returns ``target``."""
    recording = grad_state.enabled and (target._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    check_in_place(target, recording)
    source = snapshot(target) if recording else target
    result = function(source, *args, **kwargs)
    if not isinstance(result, Tensor):
        raise TypeError(f"in-place op produced {type(result).__name__}, not a Tensor")
    return assign_in_place(target, result, recording)


def _forget_layout(tensor):
    extra = tensor._extra
    if extra:
        extra.pop("flat_index", None)
        extra.pop("flat_index_device", None)


def restride_in_place(function, target, *args, **kwargs):
    """``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``: ``target`` becomes the view
    ``function(target, ...)`` of its own storage, keeping its identity; returns ``target``."""
    recording = grad_state.enabled and target._requires_grad
    check_in_place(target, recording)
    result = function(target, *args, **kwargs)
    new = result._view
    meta = target._view
    if meta is not None:
        if meta.grad_base is None:  # a non-differentiable alias stays one, in the new layout
            target._view = ViewMeta(new.steps, None, (), DEFAULT)
        else:
            target._view = ViewMeta(new.steps, new.grad_base, new.grad_steps, meta.creation)
    elif new is not None and any(view is not result for view in live_views(target)):
        # a root with live views changes layout: a hidden tensor keeps the old layout as their root
        # (and autograd base), and ``target`` becomes one of those views
        hidden = hand_storage_to_hidden_root(target)
        target._base = hidden
        target._view = ViewMeta(new.steps, hidden, new.grad_steps, DEFAULT)
        register(hidden, target)
    target._data = result._data
    _forget_layout(target)
    bump_version(target)
    if recording:
        target._grad_fn = result._grad_fn
        target._requires_grad = result._requires_grad
    return target


def make_in_place_method(function, name):
    """``tensor.op_(...)`` from the out-of-place ``op``."""
    if name in RESTRIDING_METHODS:
        def method(self, *args, **kwargs):
            return restride_in_place(function, self, *args, **kwargs)
    else:
        def method(self, *args, **kwargs):
            return in_place(function, self, *args, **kwargs)
    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place version of :meth:`{name[:-1]}`; returns self."
    return method



def accumulate_into(target, value):
    """``target += value`` without recording (AccumulateGrad); one kernel call on mutable backends."""
    device_type = target._device.type
    backend = backend_for_type(device_type)
    add_into = _updates().add_in_place.natives.get(device_type)  # dispatch filled it with the backend
    if (add_into is not None and target._dtype is value._dtype and target._data.shape == value._data.shape
            and backend.owned(target._data) is target._data and value._device is target._device):
        add_into(target._data, value._data)
        bump_version(target)
        return
    previous = grad_state.enabled
    grad_state.enabled = False
    try:
        from .ops.elementwise import add
        in_place(add, target, value)
    finally:
        grad_state.enabled = previous


_NUMBERS = (int, float, bool)
_SCALED_SIGNS = {"add_": 1, "sub_": -1}  # kernels that "add_scaled_" (d += alpha * s) can replace


def fast_binary_in_place(general, kernel_name, true_division=False):
    """``tensor.add_(other)``-style method: one in-place kernel (``out=``) on mutable backends.

    Used when nothing needs recording and the result dtype is the target's; anything
    else (autograd, promotion, immutable backends, errors) goes through ``general``.
    """
    from .op import _scalar_result, promote_pair

    def method(self, other, *args, **kwargs):
        alpha = kwargs.get("alpha", 1)
        if args or len(kwargs) > ("alpha" in kwargs) or grad_state.enabled and (
                self._requires_grad or getattr(other, "_requires_grad", False)):
            return general(self, other, *args, **kwargs)
        backend = backend_for_type(self._device.type)
        updates = _updates()
        kernel = native(updates.IN_PLACE[kernel_name], self._device)
        data = self._data
        dtype = self._dtype
        if kernel is None or backend.owned(data) is not data or true_division and not dtype.is_floating_point:
            return general(self, other, *args, **kwargs)
        if isinstance(other, Tensor):
            if other._device is not self._device or (other._dtype is not dtype
                                                     and promote_pair(self, other) is not dtype):
                return general(self, other, *args, **kwargs)
            value = other._data
        elif type(other) in _NUMBERS and _scalar_result(dtype, other) is dtype:
            value = other
        else:
            return general(self, other, *args, **kwargs)
        if alpha != 1:
            if type(alpha) not in _NUMBERS or _scalar_result(dtype, alpha) is not dtype:
                return general(self, other, *args, **kwargs)
            scaled_kernel = native(updates.add_scaled_in_place, self._device) if kernel_name in _SCALED_SIGNS else None
            if scaled_kernel is not None and value is not other:
                try:
                    scaled_kernel(data, value, alpha * _SCALED_SIGNS[kernel_name])
                except ValueError:
                    return general(self, other, *args, **kwargs)
                bump_version(self)
                return self
            value = value * alpha
        try:
            kernel(data, value)
        except ValueError:  # not broadcastable to the target, or read-only: the general path says why
            return general(self, other, *args, **kwargs)
        bump_version(self)
        return self
    method.__name__ = general.__name__
    method.__qualname__ = getattr(general, "__qualname__", general.__name__)
    method.__doc__ = general.__doc__
    return method


def _updates():
    """``core.ops.updates`` (the declared in-place update ops), imported on first use: the ops
    package imports this module."""
    global _UPDATES
    if _UPDATES is None:
        from .ops import updates
        _UPDATES = updates
    return _UPDATES


_UPDATES = None
