"""``autograd.Function``: ops with a forward and a backward written by the user, as in torch.

    class Exp(plexgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    y = Exp.apply(x)

``forward`` runs with gradient recording off; its tensor outputs get one graph node whose
rule calls ``backward`` (the ``ctx`` is that node's ``grad_fn`` object, named
``ExpBackward``).  The setup_context style (``forward(x)`` without ``ctx`` plus
``setup_context(ctx, inputs, output)``) works too.  Several outputs share the node: each
output gets a small node that hands its gradient to the shared one, which calls ``backward``
once with every output's gradient.
"""

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "InplaceFunction"]

import functools

from ..core import dtypes
from ..core.autograd.grad_fn import GradFn
from ..core.autograd.grad_mode import no_grad, state as grad_state
from ..core.autograd.node import FREED, Node
from ..core.dispatch import Rule
from ..core.factories import zeros
from ..core.op import record
from ..core.ops.elementwise import sum_to
from ..core.shapes import broadcast_shapes_or_none
from ..core.storage import bump_version
from ..core.tensor import Tensor
from ..core.views import alias


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) and ``backward`` share: saved tensors, flags, attributes."""

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (or None) for ``backward``; they are checked against in-place changes."""
        for position, tensor in enumerate(tensors):
            if tensor is not None and not isinstance(tensor, Tensor):
                raise TypeError(f"save_for_backward can only save tensors (or None), but argument {position} is "
                                f"{type(tensor).__name__}; keep other values as attributes of ctx (ctx.value = ...)")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        """Accepted for torch compatibility; plexgrad has no forward-mode AD, so nothing reads them."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors):
        """Declare input tensors that ``forward`` modified in place (they must be returned as outputs)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that have no gradient (e.g. indices); ``backward`` gets zeros for them."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, ``backward`` gets None (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, checked against in-place modification."""
        node = self.__dict__.get("_node")
        if node is None:
            return tuple(self.__dict__.get("to_save", ()))
        if node.saved is FREED:
            node.saved_tensors  # raises torch's "backward through the graph a second time" error
        saved = node.saved_tensors  # checks the versions of the non-None ones
        return tuple(None if position is None else saved[position] for position in self.saved_positions)

    saved_variables = saved_tensors


class BackwardCFunction(GradFn, FunctionCtx):
    """The class of a custom Function's ``ctx`` and ``grad_fn`` (``<Name>Backward``)."""

    _forward_cls = None
    materialize_grads = True
    needs_input_grad = ()

    def __init__(self):
        self.__dict__["_node"] = None

    @property
    def _node(self):
        return self.__dict__.get("_node")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        node = self.__dict__.get("_node")
        if node is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")
        return getattr(node, name)

    def name(self):
        return type(self).__name__

    def apply(self, *grads):
        """Run the user's backward on ``grads`` (as torch's ``ctx.apply``)."""
        return self._forward_cls.backward(self, *grads)


class _FunctionMeta(type):
    """Gives every Function subclass its own ``<Name>Backward`` ctx class."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls,
                                                                           "__module__": cls.__module__})
        # the rules are defined below this class (the Function base class is made before them)
        cls._rule = Rule(name + "Backward", lambda node, grad: _custom_backward(node, grad))
        cls._select_rule = Rule(name + "Backward", lambda node, grad: _select_backward(node, grad))


class Function(metaclass=_FunctionMeta):
    """Base class for ops with a user-written backward; call them with ``MyFunction.apply(...)``."""

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are all static, so "
                      "call them on the class itself: MyFunction.apply(...)", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method: define forward and backward as @staticmethod and call "
            "MyFunction.apply(...)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs (override as a @staticmethod)."""
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Fill ``ctx`` from ``inputs`` and ``output`` when ``forward`` takes no ctx (override to use that style)."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """The gradients of the inputs from the gradients of the outputs (override as a @staticmethod)."""
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("plexgrad has no forward-mode AD: custom Functions need only backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record one graph node whose backward is ``cls.backward``."""
        ctx = cls._backward_cls()
        tensors = [arg if isinstance(arg, Tensor) else None for arg in args]
        recording = grad_state.enabled and any(t is not None and t._requires_grad for t in tensors)
        ctx.needs_input_grad = tuple(t is not None and t._requires_grad and recording for t in tensors)
        uses_setup_context = cls.setup_context is not Function.setup_context
        with no_grad():
            if uses_setup_context:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if not recording:
            return outputs
        return _connect(cls, ctx, tensors, outputs)


def _connect(cls, ctx, inputs, outputs):
    """Give the tensor outputs of ``forward`` the Function's node (edges to ``inputs``)."""
    single = not isinstance(outputs, tuple)
    output_list = [outputs] if single else list(outputs)
    dirty = {id(t) for t in ctx.__dict__.get("dirty_tensors", ())}
    non_differentiable = {id(t) for t in ctx.__dict__.get("non_differentiable", ())}
    input_ids = {id(t) for t in inputs if t is not None}
    for tensor in inputs:
        if tensor is not None and id(tensor) in dirty and tensor._grad_fn is None and tensor._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation: "
                               f"{cls.__name__}.forward marked it dirty. Clone it first (x.clone()), or modify it "
                               "under plexgrad.no_grad() outside the Function.")
    for tensor in inputs:
        if tensor is not None and id(tensor) in dirty:
            bump_version(tensor)  # as torch: a dirty input's version moves on when its history is rebased
    node = object.__new__(Node)
    node.rule = cls._rule
    node.edges = tuple(None if t is None else (t._grad_fn if t._grad_fn is not None else
                                               (t if t._requires_grad else None)) for t in inputs)
    node.params = ctx
    node.__dict__["grad_fn_view"] = ctx
    ctx.__dict__["_node"] = node
    ctx.input_meta = [None if t is None else (t._data.shape, t._dtype, t._device) for t in inputs]
    ctx.output_meta = []
    differentiable = []
    for position, output in enumerate(output_list):
        if not isinstance(output, Tensor):
            ctx.output_meta.append(None)
            continue
        ctx.output_meta.append((output._data.shape, output._dtype, output._device))
        if id(output) in input_ids and id(output) not in dirty:
            output = output_list[position] = alias(output)  # an input returned as is: a new tensor, as torch
        if id(output) in non_differentiable or output._dtype.category != dtypes.FLOATING:
            continue
        differentiable.append((position, output))
    if single and differentiable:
        differentiable[0][1]._grad_fn = node
        differentiable[0][1]._requires_grad = True
    else:
        for position, output in differentiable:
            selector = object.__new__(Node)
            selector.rule = cls._select_rule
            selector.edges = (node,)
            selector.params = (position, len(output_list))
            selector.saved = ()
            selector.versions = None
            selector.__dict__["grad_fn_view"] = ctx
            output._grad_fn = selector
            output._requires_grad = True
    to_save = ctx.__dict__.pop("to_save", ())
    saved = tuple(t for t in to_save if t is not None)  # on the node, so backward frees them as any node's
    positions, count = [], 0
    for tensor in to_save:
        positions.append(None if tensor is None else count)
        count += tensor is not None
    ctx.saved_positions = positions
    node.saved = saved
    node.versions = [0 if t._counter is None else t._counter.value for t in saved] if saved else None
    return output_list[0] if single else tuple(output_list)


class _OutputGradients:
    """The gradients of a multi-output Function's outputs, gathered for one ``backward`` call.

    The engine sums what reaches a node with ``+``; these merge slot by slot."""

    __slots__ = ("grads",)
    _base = None

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        merged = list(self.grads)
        for position, grad in enumerate(other.grads):
            if grad is not None:
                merged[position] = grad if merged[position] is None else merged[position] + grad
        return _OutputGradients(merged)

    __radd__ = __add__


def _select_backward(node, grad):
    position, count = node.params
    grads = [None] * count
    grads[position] = grad
    return (_OutputGradients(grads),)



def _custom_backward(node, grad):
    """The rule of every custom Function node: call the user's backward and check what it returns."""
    ctx = node.params
    cls = ctx._forward_cls
    grads = list(grad.grads) if isinstance(grad, _OutputGradients) else [grad]
    for position, meta in enumerate(ctx.output_meta):
        if position >= len(grads):
            grads.append(None)
        if grads[position] is None and meta is not None and ctx.materialize_grads:
            shape, dtype, device = meta
            grads[position] = zeros(shape, dtype=dtype, device=device)
    results = cls.backward(ctx, *grads)
    if not isinstance(results, tuple):
        results = (results,)
    expected = len(node.edges)
    if len(results) > expected and all(value is None for value in results[expected:]):
        results = results[:expected]
    if len(results) != expected:
        raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients (expected "
                           f"{expected}, got {len(results)}): return one gradient (or None) per forward input")
    checked = []
    for position, (value, meta, edge) in enumerate(zip(results, ctx.input_meta, node.edges)):
        if value is None:
            checked.append(None)
            continue
        if meta is None:
            raise RuntimeError(f"function {cls.__name__}Backward returned a gradient different than None at position "
                               f"{position + 1}, but the corresponding forward input was not a Variable: return "
                               "None for inputs that are not tensors")
        if not isinstance(value, Tensor):
            raise TypeError(f"function {cls.__name__}Backward returned a {type(value).__name__} at position "
                            f"{position + 1}; gradients must be tensors or None")
        if edge is None:
            checked.append(None)
            continue
        checked.append(_fit_gradient(cls, position, value, meta))
    return tuple(checked)


def _fit_gradient(cls, position, grad, meta):
    """A returned gradient in its input's shape (summing broadcast dimensions) and dtype, as torch validates it."""
    shape, dtype, device = meta
    if tuple(grad._data.shape) != tuple(shape):
        if broadcast_shapes_or_none(tuple(shape), tuple(grad._data.shape)) != tuple(grad._data.shape):
            raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient at index {position} - "
                               f"got {list(grad._data.shape)} but expected shape compatible with {list(shape)}")
        grad = sum_to(grad, tuple(shape))
    if grad._device is not device:
        raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient at index {position} - "
                           f"expected device {device} but got {grad._device}")
    if grad._dtype is not dtype:
        grad = grad.to(dtype)
    return grad


def _once_error_backward(node, grad):
    raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


_ONCE_RULE = Rule("DelayedErrorBackward", _once_error_backward)


def once_differentiable(backward):
    """Decorate a Function's ``backward`` that is not itself differentiable: it runs without recording,
    and differentiating its result (double backward) raises a clear error instead of a wrong zero."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            results = backward(ctx, *grad_outputs)
        if not grad_state.enabled:
            return results
        needing = [g for g in grad_outputs if isinstance(g, Tensor) and g._requires_grad]
        if not needing:
            return results
        single = not isinstance(results, tuple)
        wrapped = []
        for value in ((results,) if single else results):
            if isinstance(value, Tensor) and value._dtype.category == dtypes.FLOATING:
                value = record(_ONCE_RULE, needing, alias(value))
            wrapped.append(value)
        return wrapped[0] if single else tuple(wrapped)

    return wrapper


class InplaceFunction(Function):
    """A Function that may work in place (``inplace`` flag), as torch's ``autograd.function.InplaceFunction``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
