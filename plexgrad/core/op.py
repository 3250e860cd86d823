"""Declaring ops: each primitive is declared once with its name, dtype rule and
derivative rule; backends only supply kernels.

``Op`` (defined in ``dispatch``, which owns and fills its kernel table) is the
declaration; ``dtype_rules`` computes result dtypes.  ``Rule`` holds
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
from .dispatch import Op, Rule, kernel_for, register_op, table_of
from .dtype_rules import RULES as _DTYPE_RULES
from .kernel_errors import translated
from .storage import VersionCounter
from .tensor import Tensor, make_tensor

_FLOATING = dtypes.FLOATING
_PROMOTE = _DTYPE_RULES["promote"]
_PROMOTE_VALUES = _DTYPE_RULES["promote_values"]
# Nodes are built field by field on the hot paths (see Node's slots), and the recorders spell the
# edge rule (grad_fn, else the leaf if it requires grad, else None) inline: a helper call per
# input costs ~0.05 us, which the jax per-op budget (1.3x a raw jnp call) does not have.
_new_node = object.__new__
_SCALAR_TYPES = (int, float, bool)


def declare(name, backward=None, node_name=None, dtype_rule="same", doc="", *, signature,
            decomposition=None, uses=(), placement=False, fallback=""):
    """Declare an op once; returns the ``Op`` (see ``dispatch.Op`` for the parts of a declaration).

    ``signature`` is the kernel's positional parameters, e.g. ``"x, dims: static, keepdim: static"``
    or a tuple of ``(name, kind)`` pairs.  ``fallback``: for a primitive the core only uses as a fast
    path, what it does without the kernel (which makes the kernel optional in the backend contract).
    """
    return register_op(Op(name, backward, node_name, dtype_rule, doc, signature, decomposition, uses, placement,
                          fallback))


def mixed_device_error(op_name, first, second):
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {first} and "
        f"{second}! (when checking arguments for {op_name}). Move one with .to('{first}') or .to('{second}')."
    )


def _versions(saved):
    versions = []
    for tensor in saved:
        counter = tensor._counter
        versions.append(0 if counter is None else counter.value)
    return versions


def _attach(node, result, save_output):
    """Make ``node`` the ``grad_fn`` of ``result`` (keeping the output's array when the rule needs it).

    A saved output is version-checked like a saved input: the node keeps the result's
    version counter (created now; a fresh result is at version 0)."""
    if save_output:
        node.output_data = result._data
        counter = result._counter = VersionCounter()
        node.output_meta = (result._dtype, result._device, counter)
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


_cast_op = declare("cast", _cast_backward, node_name="ToCopyBackward0", doc="convert to another dtype",
                   signature="x, dtype: dtype", dtype_rule="given")

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


# ---- the two hot paths ---------------------------------------------------------------


def unary(name, backward=None, dtype_rule="same", save_input=False, save_output=False, node_name=None, doc=""):
    """Declare an element-wise unary op and return its public function.

    dtype_rule: a rule of ``dtype_rules`` (``"same"``, ``"float"``: integers become the default
    float, ``"bool"``, ...); it decides the dtype the kernel runs in and the result's.
    """
    op = declare(name, backward, node_name, dtype_rule, doc, signature="x")
    table = table_of(op)
    rule = op.rule
    dtype_rule = op.dtype_rule
    dtype_cache = dtype_rule._cache  # the rule's answers, read inline: a call per op costs too much
    keeps_dtype = dtype_rule.keeps_dtype

    def function(input):
        if type(input) is not Tensor and not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        dtype = input._dtype
        if keeps_dtype:
            result_dtype = dtype
        else:
            try:
                compute, result_dtype = dtype_cache[dtype]
            except KeyError:
                compute, result_dtype = dtype_rule(dtype)
            if compute is not dtype:
                input = cast(input, compute)
        device = input._device
        try:
            kernel = table[device.type]
        except KeyError:
            kernel = kernel_for(op, device)
        try:
            data = kernel(input._data)
        except Exception as error:
            raise _kernel_error(name, (input,), error) from error
        result = make_tensor(data, result_dtype, device)
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

    The operands are promoted as torch does; then ``dtype_rule`` (``"promote"``, ``"float"``: then
    integers become the default float, ``"bool"``: return bool, ...) decides the dtype the kernel
    runs in and the result's.
    """
    op = declare(name, backward, node_name, dtype_rule, doc, signature="x: array|scalar, y: array|scalar")
    table = table_of(op)
    rule = op.rule
    dtype_rule = op.dtype_rule
    dtype_cache = dtype_rule._cache  # the rule's answers, read inline: a call per op costs too much
    keeps_dtype = dtype_rule.keeps_dtype

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
            if keeps_dtype:
                result_dtype = dtype
            else:
                try:
                    dtype, result_dtype = dtype_cache[dtype]
                except KeyError:
                    dtype, result_dtype = dtype_rule(dtype)
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
            if keeps_dtype:
                result_dtype = dtype
            else:
                try:
                    dtype, result_dtype = dtype_cache[dtype]
                except KeyError:
                    dtype, result_dtype = dtype_rule(dtype)
            if input._dtype is not dtype:
                input = cast(input, dtype)
            first = input._data
            second = other
        else:
            raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                            f"{type(input).__name__} and {type(other).__name__}")
        device = tensor._device
        try:
            kernel = table[device.type]
        except KeyError:
            kernel = kernel_for(op, device)
        try:
            data = kernel(first, second)
        except Exception as error:
            raise _kernel_error(name, (input, other), error) from error
        result = make_tensor(data, result_dtype, device)
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
    first_counter = first._counter
    second_counter = second._counter
    node.versions = [0 if first_counter is None else first_counter.value,
                     0 if second_counter is None else second_counter.value]
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
    if tensors:
        torch_error = translated(error, tensors[0]._backend(), f"{name} failed for "
                                 f"{', '.join(_describe(value) for value in operands)}")
        if torch_error is not None:
            return torch_error
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


def apply(op, inputs, params=(), save=(), save_output=False, node_params=None):
    """Run ``op`` on tensors ``inputs`` with plain ``params``; the generic (slower) path.

    The result dtype comes from the op's declared dtype rule: of the first input's dtype,
    or for ``promote`` of the tensor inputs' promoted dtype (inputs of another dtype are
    cast to it first).  ``save`` lists input positions the derivative rule needs.
    """
    first = inputs[0]
    device = first._device
    dtype = first._dtype
    for other in inputs[1:]:
        if other._device is not device:
            _check_devices(op.name, first, other)
    dtype_rule = op.dtype_rule
    if dtype_rule is _PROMOTE or dtype_rule is _PROMOTE_VALUES:
        skip = 0 if dtype_rule is _PROMOTE else 1
        dtype = inputs[skip]._dtype
        for other in inputs[skip + 1:]:
            if other._dtype is not dtype:
                dtype = dtypes.promote_types(dtype, other._dtype)
        if any(tensor._dtype is not dtype for tensor in inputs[skip:]):
            inputs = tuple(inputs[:skip]) + tuple(cast(tensor, dtype) for tensor in inputs[skip:])
        first = inputs[0]
    compute, result_dtype = dtype_rule(dtype)
    if compute is not dtype:
        inputs = (cast(first, compute),) + tuple(inputs[1:])
        first = inputs[0]
    try:
        kernel = table_of(op)[device.type]
    except KeyError:
        kernel = kernel_for(op, device)
    try:
        data = kernel(*[t._data for t in inputs], *params)
    except Exception as error:
        raise _kernel_error(op.name, inputs, error) from error
    result = make_tensor(data, result_dtype, device)
    if op.rule is not None:
        for tensor in inputs:
            if tensor._requires_grad:
                if grad_state.enabled:
                    saved = tuple(inputs[position] for position in save)
                    record(op.rule, inputs, result, saved, params if node_params is None else node_params,
                           save_output)
                break
    return result
