"""In-place operations: ``add_``, ``x += y``, ``x[...] = v``, ``zero_``, ``fill_``...

An in-place op computes its result out of place, then writes it into the target's
storage: directly on mutable backends, as a functional scatter into the root plus a
refresh of every view on immutable ones.  The target keeps its identity, the
storage's version counter goes up (so autograd can refuse stale saved tensors), and
the target takes over the result's autograd history.
"""

__all__ = ["assign_in_place", "check_in_place", "snapshot", "in_place", "make_in_place_method",
           "accumulate_into", "fast_binary_in_place", "direct_kernels", "bump_version"]

from .autograd.grad_mode import state as grad_state
from .op import Rule, cast, record
from .tensor import Tensor, _version_owner, make_tensor
from .dispatch import backend_for_type
from .views import device_flat_index, flat_index, is_immutable, refresh_views, root_of

# in-place methods that change the tensor's shape/strides, not its values
RESTRIDING_METHODS = {"t_", "transpose_", "squeeze_", "unsqueeze_", "swapaxes_", "swapdims_"}


def check_in_place(target, recording):
    """torch's refusals: in-place on a leaf (or a view of one) that requires grad."""
    if not grad_state.enabled:
        return
    root = root_of(target)
    if target._grad_fn is None and target._requires_grad and target._base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation. "
                           "Wrap the update in `with plexgrad.no_grad():` or operate on .detach().")
    if target._base is not None and target._requires_grad and root._grad_fn is None and root._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation. Wrap the update in `with plexgrad.no_grad():`.")


def snapshot(target):
    """An independent copy of ``target`` carrying its autograd history (for rules that save it)."""
    backend = target._backend()
    data = target._data.copy() if backend.mutable else target._data
    copy = make_tensor(data, target._dtype, target._device)
    copy._grad_fn = target._grad_fn
    copy._requires_grad = target._requires_grad
    return copy


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


def _write(target, result_data):
    """Write values into target's storage (broadcasting) and bump the storage version."""
    backend = target._backend()
    root = root_of(target)
    if backend.mutable:
        destination = backend.owned(target._data)
        if destination is not target._data:  # numpy returned a scalar for a 0-d result
            target._data = destination
        try:
            backend.assign(destination, result_data)
        except ValueError as error:
            if "read-only" in str(error):
                raise RuntimeError(
                    "unsupported operation: more than one element of the written-to tensor refers to a single "
                    "memory location (or the memory is read-only). Please clone() the tensor before performing "
                    "the operation.") from None
            raise
    else:
        shape = tuple(target._data.shape)
        values = result_data
        if tuple(values.shape) != shape:
            values = backend.kernel("expand")(values, shape)
        if target._base is None:
            target._data = values
        else:
            positions = device_flat_index(target)
            if _overlapping(target):
                raise RuntimeError(
                    "unsupported operation: more than one element of the written-to tensor refers to a single "
                    "memory location. Please clone() the tensor before performing the operation.")
            root._data = backend.scatter_flat(root._data, positions, values)
        refresh_views(root)
    bump_version(target)


def _overlapping(view):
    positions = flat_index(view).reshape(-1)
    import numpy
    return numpy.unique(positions).size != positions.size


def _copy_slices_backward(node, grad):
    shape = node.params[1]
    positions = node.params[0]
    from .factories import tensor as make
    index = make(positions.reshape(-1), device=grad._device)
    flat = grad.reshape(-1)
    from .ops.indexing import index_put
    grad_root = index_put(flat, (index,), flat.new_zeros(()), False).reshape(tuple(grad._data.shape))
    grad_value = flat[index].reshape(shape)
    return (grad_root, grad_value)


_COPY_SLICES = Rule("CopySlices", _copy_slices_backward)


def assign_in_place(target, result, recording=None):
    """Make ``target`` hold ``result`` (broadcast and cast to it) in place; returns ``target``."""
    if recording is None:
        recording = grad_state.enabled and (target._requires_grad or result._requires_grad)
    result = _check_cast(target, result)
    root = root_of(target)
    previous_root = None
    if recording and target._base is not None:
        previous_root = snapshot(root)
    _write(target, result._data)
    if not recording:
        return target
    if target._base is None:
        target._grad_fn = result._grad_fn
        target._requires_grad = result._requires_grad
        return target
    # a view was written: the root's history now runs through CopySlices
    if tuple(result._data.shape) != tuple(target._data.shape):
        result = result.expand(tuple(target._data.shape))
    positions = flat_index(target)
    record(_COPY_SLICES, (previous_root, result), root, (), (positions, tuple(target._data.shape)))
    target._grad_fn = result._grad_fn
    target._requires_grad = result._requires_grad
    return target


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
    root = root_of(target)
    if is_immutable(target._device):
        # (never ``views.discard(result)``: weak references compare their tensors with ``==``)
        views = root._extra.get("views") if root._extra else None
        if target._base is not None:
            target._extras()["view_chain"] = result._extra["view_chain"]
        elif views is not None and any(view is not result for view in views):
            _hand_storage_to_hidden_root(target, result)
    target._data = result._data
    _forget_layout(target)
    bump_version(target)
    if recording:
        target._grad_fn = result._grad_fn
        target._requires_grad = result._requires_grad
    return target


def _hand_storage_to_hidden_root(target, result):
    """A root with live views changes layout (immutable backends): a hidden tensor keeps the
    old layout as the root of every view, and ``target`` becomes one of those views."""
    hidden = make_tensor(target._data, target._dtype, target._device)
    hidden._grad_fn = target._grad_fn
    hidden._requires_grad = target._requires_grad
    hidden._storage_version = target._storage_version
    views = target._extra.pop("views")
    hidden._extras()["views"] = views
    for view in list(views):
        view._base = hidden
    target._base = hidden
    target._extras()["view_chain"] = result._extra["view_chain"]
    views.add(target)


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
    backend = backend_for_type(target._device.type)
    add_into = backend.kernels.get("add_")
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
        kernel = backend.kernels.get(kernel_name)
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
            scaled_kernel = backend.kernels.get("add_scaled_") if kernel_name in _SCALED_SIGNS else None
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


def direct_kernels(tensors, names):
    """The backend's in-place kernels ``names`` when they may write straight into ``tensors``' arrays.

    That is: one device of a mutable backend that has every kernel, one dtype, arrays
    owned by their tensors (not views into another array), and nothing to record (no
    tensor requires grad while autograd records).  Optimizers and running statistics
    use this for their updates; otherwise ``None`` (use Tensor methods).
    """
    first = tensors[0]
    device, dtype = first._device, first._dtype
    recording = grad_state.enabled
    backend = backend_for_type(device.type)
    owned = backend.owned
    for tensor in tensors:
        if (tensor._device is not device or tensor._dtype is not dtype or recording and tensor._requires_grad
                or owned(tensor._data) is not tensor._data):
            return None
    kernels = backend.kernels
    found = []
    for name in names:
        kernel = kernels.get(name)
        if kernel is None:
            return None
        found.append(kernel)
    return found


def bump_version(tensor):
    """Count an in-place write to ``tensor``'s storage (autograd refuses saved tensors written since)."""
    _version_owner(tensor)._storage_version += 1
