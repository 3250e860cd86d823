"""Declaring ops: each primitive is declared once with its name, dtype rule and
derivative rule; backends only supply kernels.

``Op`` holds the per-device kernel dict that ``dispatch`` fills.  ``Rule`` holds
the derivative, written in plexgrad Tensor ops so it runs on every backend and can
be differentiated again.  The ``unary``/``binary``/``apply`` helpers below are the
hot paths every call goes through: device check, dtype promotion, one dict lookup
for the kernel, the kernel, and a graph node when autograd is recording.
"""

__all__ = ["Op", "Rule", "declare", "apply", "unary", "binary", "kernel_for", "mixed_device_error",
           "record", "record_unary", "record_pair", "promote_pair", "cast"]

from . import dtypes
from .autograd.grad_mode import state as grad_state
from .autograd.node import Node
from .dispatch import backend_for_type, register_op
from .tensor import Tensor, make_tensor

_FLOATING = dtypes.FLOATING
# Nodes are built field by field on the hot paths (see Node's slots), and the recorders spell the
# edge rule (grad_fn, else the leaf if it requires grad, else None) inline: a helper call per
# input costs ~0.05 us, which the jax per-op budget (1.3x a raw jnp call) does not have.
_new_node = object.__new__
_SCALAR_TYPES = (int, float, bool)


class Rule:
    """A derivative rule: ``backward(node, grad) -> tuple of input gradients``."""

    __slots__ = ("node_name", "backward")

    def __init__(self, node_name, backward):
        self.node_name = node_name
        self.backward = backward


class Op:
    """A primitive: its name, its kernels by device type, its derivative rule."""

    __slots__ = ("name", "kernels", "rule", "dtype_rule", "doc")

    def __init__(self, name, backward=None, node_name=None, dtype_rule="same", doc=""):
        self.name = name
        self.kernels = {}
        self.rule = None if backward is None else Rule(node_name or _node_name(name), backward)
        self.dtype_rule = dtype_rule
        self.doc = doc

    def __repr__(self):
        return f"<Op {self.name} dtype={self.dtype_rule} differentiable={self.rule is not None}>"


def _node_name(op_name):
    return "".join(part.capitalize() for part in op_name.split("_")) + "Backward0"


def declare(name, backward=None, node_name=None, dtype_rule="same", doc=""):
    """Declare a primitive op once; returns the ``Op``."""
    return register_op(Op(name, backward, node_name, dtype_rule, doc))


def kernel_for(op, device):
    """The kernel of ``op`` for ``device`` (loading its backend on first use)."""
    try:
        return op.kernels[device.type]
    except KeyError:
        backend_for_type(device.type)
        return op.kernels[device.type]


def mixed_device_error(op_name, first, second):
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {first} and "
        f"{second}! (when checking arguments for {op_name}). Move one with .to('{first}') or .to('{second}')."
    )


def _versions(saved):
    versions = []
    for tensor in saved:
        versions.append(tensor._storage_version if tensor._base is None else tensor._version_counter())
    return versions


def _attach(node, result, save_output):
    """Make ``node`` the ``grad_fn`` of ``result`` (keeping the output's array when the rule needs it)."""
    if save_output:
        node.output_data = result._data
        node.output_meta = (result._dtype, result._device)
    result._grad_fn = node
    result._requires_grad = True
    return result


def record(rule, inputs, result, saved=(), params=None, save_output=False):
    """Attach a graph node for ``rule`` to ``result`` if any input requires grad.

    ``inputs`` may hold ``None`` or non-tensors (no edge); ``saved`` are the tensors the
    rule unpacks (checked against in-place changes).  Built field by field: this runs
    for every recorded op.
    """
    edges = []
    needed = False
    for tensor in inputs:
        if tensor is None or not isinstance(tensor, Tensor):
            edges.append(None)
            continue
        function = tensor._grad_fn
        if function is not None:
            edges.append(function)
            needed = True
        elif tensor._requires_grad:
            edges.append(tensor)
            needed = True
        else:
            edges.append(None)
    if not needed:
        return result
    node = _new_node(Node)
    node.rule = rule
    node.edges = edges
    node.params = params
    node.saved = saved
    node.versions = _versions(saved) if saved else None
    return _attach(node, result, save_output)


# ---- dtype handling ------------------------------------------------------------------

_cast_op = None


def cast(tensor, dtype):
    """``tensor`` converted to ``dtype`` (differentiable between floating dtypes)."""
    if tensor._dtype is dtype:
        return tensor
    data = kernel_for(_cast_op, tensor._device)(tensor._data, dtype)
    result = make_tensor(data, dtype, tensor._device)
    if tensor._requires_grad and grad_state.enabled and dtype.category == _FLOATING:
        record(_cast_op.rule, (tensor,), result, params=tensor._dtype)
    return result


def _cast_backward(node, grad):
    return (cast(grad, node.params),)


_cast_op = declare("cast", _cast_backward, node_name="ToCopyBackward0", doc="convert to another dtype")

_SCALAR_PROMOTION = {}


def _scalar_result(dtype, scalar):
    key = (dtype, type(scalar))
    found = _SCALAR_PROMOTION.get(key)
    if found is None:
        found = _SCALAR_PROMOTION[key] = dtypes.result_type((dtype, 0), (dtypes.scalar_dtype(scalar), 2))
    return found


def promote_pair(a, b):
    """torch's result dtype of two tensors."""
    tier_a = 1 if a._data.ndim == 0 else 0
    tier_b = 1 if b._data.ndim == 0 else 0
    return dtypes.result_type((a._dtype, tier_a), (b._dtype, tier_b))


def _check_scalar(op_name, value):
    if isinstance(value, _SCALAR_TYPES) or hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        return value.item() if hasattr(value, "item") and not isinstance(value, _SCALAR_TYPES) else value
    raise TypeError(
        f"{op_name}(): expected a Tensor or a Python number as argument, got {type(value).__name__}"
    )


def _to_float(dtype):
    return dtype if dtype.category == _FLOATING else dtypes.get_default_dtype()


# ---- the two hot paths ---------------------------------------------------------------


def unary(name, backward=None, dtype_rule="same", save_input=False, save_output=False, node_name=None, doc=""):
    """Declare an element-wise unary op and return its public function.

    dtype_rule: ``"same"``, ``"float"`` (integers become the default float) or ``"bool"``.
    """
    op = declare(name, backward, node_name, dtype_rule, doc)
    kernels = op.kernels
    rule = op.rule
    to_float = dtype_rule == "float"
    to_bool = dtype_rule == "bool"

    def function(input):
        if type(input) is not Tensor and not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        dtype = input._dtype
        if to_float and dtype.category != _FLOATING:
            input = cast(input, dtypes.get_default_dtype())
            dtype = input._dtype
        device = input._device
        try:
            kernel = kernels[device.type]
        except KeyError:
            kernel = kernel_for(op, device)
        try:
            data = kernel(input._data)
        except Exception as error:
            raise _kernel_error(name, (input,), error) from error
        result = make_tensor(data, dtypes.bool if to_bool else dtype, device)
        # grad_state is a threading.local (~30 ns a read): read it only for inputs that require grad
        if rule is not None and input._requires_grad and grad_state.enabled:
            record_unary(rule, input, result, (input,) if save_input else (), None, save_output)
        return result

    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = doc or f"Element-wise {name}."
    function.op = op
    return function


def binary(name, backward=None, dtype_rule="promote", save_inputs=False, save_output=False, node_name=None,
           doc=""):
    """Declare an element-wise binary op (with broadcasting) and return its public function.

    dtype_rule: ``"promote"`` (torch promotion), ``"float"`` (then integers become the
    default float) or ``"bool"`` (promote the inputs, return bool).
    """
    op = declare(name, backward, node_name, dtype_rule, doc)
    kernels = op.kernels
    rule = op.rule
    to_float = dtype_rule == "float"
    to_bool = dtype_rule == "bool"

    def function(input, other):
        input_is_tensor = type(input) is Tensor or isinstance(input, Tensor)
        if type(other) is Tensor or isinstance(other, Tensor):
            if not input_is_tensor:
                input = _check_scalar(name, input)
                tensor = other
                dtype = _scalar_result(other._dtype, input)
            else:
                tensor = input
                if input._device is not other._device:
                    _check_devices(name, input, other)
                dtype = input._dtype
                if dtype is not other._dtype:
                    dtype = promote_pair(input, other)
            if to_float and dtype.category != _FLOATING:
                dtype = dtypes.get_default_dtype()
            if input_is_tensor and input._dtype is not dtype:
                input = cast(input, dtype)
            if other._dtype is not dtype:
                other = cast(other, dtype)
            first = input._data if input_is_tensor else input
            second = other._data
        elif input_is_tensor:
            other = _check_scalar(name, other)
            tensor = input
            dtype = _scalar_result(input._dtype, other)
            if to_float and dtype.category != _FLOATING:
                dtype = dtypes.get_default_dtype()
            if input._dtype is not dtype:
                input = cast(input, dtype)
            first = input._data
            second = other
        else:
            raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                            f"{type(input).__name__} and {type(other).__name__}")
        device = tensor._device
        try:
            kernel = kernels[device.type]
        except KeyError:
            kernel = kernel_for(op, device)
        try:
            data = kernel(first, second)
        except Exception as error:
            raise _kernel_error(name, (input, other), error) from error
        result = make_tensor(data, dtypes.bool if to_bool else dtype, device)
        if rule is not None and (input_is_tensor and input._requires_grad or (
                type(other) is Tensor or isinstance(other, Tensor)) and other._requires_grad) and grad_state.enabled:
            _record_binary(rule, input, other, result, save_inputs, save_output)
        return result

    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = doc or f"Element-wise {name} with broadcasting."
    function.op = op
    return function


def _record_binary(rule, input, other, result, save_inputs, save_output):
    """Attach the node of a binary op: edges, the input shapes (for un-broadcasting the gradients)
    and, for rules that need them, the operands.  Built field by field: this runs per recorded op."""
    input_is_tensor = type(input) is Tensor or isinstance(input, Tensor)
    other_is_tensor = type(other) is Tensor or isinstance(other, Tensor)
    node = _new_node(Node)
    node.rule = rule
    if input_is_tensor:
        function = input._grad_fn
        first_edge = function if function is not None else (input if input._requires_grad else None)
        first_shape = input._data.shape
    else:
        first_edge = first_shape = None
    if other_is_tensor:
        function = other._grad_fn
        second_edge = function if function is not None else (other if other._requires_grad else None)
        second_shape = other._data.shape
    else:
        second_edge = second_shape = None
    node.edges = (first_edge, second_edge)
    node.params = (first_shape, second_shape)
    if save_inputs:
        if input_is_tensor:
            saved = (input, other) if other_is_tensor else (input,)
        else:
            saved = (other,)
        node.saved = saved
        node.versions = _versions(saved)
        node.input_meta = (None if input_is_tensor else input, None if other_is_tensor else other)
    else:
        node.saved = ()
        node.versions = None
    _attach(node, result, save_output)


def record_unary(rule, input, result, saved=(), params=None, save_output=False):
    """``record`` for one input that requires grad (the caller checked), built field by field."""
    node = _new_node(Node)
    node.rule = rule
    function = input._grad_fn
    node.edges = (function if function is not None else input,)
    node.params = params
    node.saved = saved
    node.versions = _versions(saved) if saved else None
    return _attach(node, result, save_output)


def record_pair(rule, first, second, result, params=None):
    """``record`` for two tensor inputs, both saved, at least one requiring grad (the caller checked)."""
    node = _new_node(Node)
    node.rule = rule
    function = first._grad_fn
    first_edge = function if function is not None else (first if first._requires_grad else None)
    function = second._grad_fn
    node.edges = (first_edge, function if function is not None else (second if second._requires_grad else None))
    node.params = params
    node.saved = (first, second)
    node.versions = [first._storage_version if first._base is None else first._version_counter(),
                     second._storage_version if second._base is None else second._version_counter()]
    result._grad_fn = node
    result._requires_grad = True
    return result


def binary_operands(node):
    """The two operands a binary rule saved: tensors (checked for in-place changes) or scalars."""
    saved = node.saved_tensors
    scalars = node.input_meta
    iterator = iter(saved)
    first = next(iterator) if scalars[0] is None else scalars[0]
    second = next(iterator) if scalars[1] is None else scalars[1]
    return first, second


def _check_devices(name, first, second):
    # a 0-d cpu tensor may mix with any device, as in torch
    if first._device.type == "cpu" and first._data.ndim == 0 or second._device.type == "cpu" and second._data.ndim == 0:
        return
    raise mixed_device_error(name, first._device, second._device)


def _describe(value):
    if isinstance(value, Tensor):
        return f"Tensor(shape={list(value._data.shape)}, dtype={value._dtype}, device={value._device})"
    return repr(value)


def _kernel_error(name, operands, error):
    if isinstance(error, (NotImplementedError, IndexError)):
        return error
    tensors = [value for value in operands if isinstance(value, Tensor)]
    devices = {t._device for t in tensors}
    if len(devices) > 1:
        first, second = list(devices)[:2]
        return mixed_device_error(name, first, second)
    shapes = [tuple(t._data.shape) for t in tensors]
    if len(shapes) == 2:
        from .shapes import broadcast_shapes_or_none
        if broadcast_shapes_or_none(*shapes) is None:
            return RuntimeError(
                f"{name}: the size of tensor a ({_last_mismatch(shapes)[0]}) must match the size of tensor b "
                f"({_last_mismatch(shapes)[1]}) at a non-singleton dimension; shapes {list(shapes[0])} and "
                f"{list(shapes[1])} cannot be broadcast together"
            )
    described = ", ".join(_describe(value) for value in operands)
    return RuntimeError(f"{name} failed for {described}: {type(error).__name__}: {error}")


def _last_mismatch(shapes):
    first, second = shapes
    for a, b in zip(reversed(first), reversed(second)):
        if a != b and a != 1 and b != 1:
            return a, b
    return first, second


def apply(op, inputs, params=(), dtype=None, save=(), save_output=False, node_params=None):
    """Run ``op`` on tensors ``inputs`` with plain ``params``; the generic (slower) path.

    ``dtype`` is the result dtype (default: the first input's).  ``save`` lists
    input positions the derivative rule needs.
    """
    first = inputs[0]
    device = first._device
    for other in inputs[1:]:
        if other._device is not device:
            _check_devices(op.name, first, other)
    try:
        kernel = op.kernels[device.type]
    except KeyError:
        kernel = kernel_for(op, device)
    try:
        data = kernel(*[t._data for t in inputs], *params)
    except Exception as error:
        raise _kernel_error(op.name, inputs, error) from error
    result = make_tensor(data, first._dtype if dtype is None else dtype, device)
    if op.rule is not None:
        for tensor in inputs:
            if tensor._requires_grad:
                if grad_state.enabled:
                    saved = tuple(inputs[position] for position in save)
                    record(op.rule, inputs, result, saved, params if node_params is None else node_params,
                           save_output)
                break
    return result
