"""Where a compiled step's state lives, found once from the function, and read on every call.

A training step reads and writes tensors it reaches through Python objects: the model's
parameters and buffers, each parameter's ``.grad``, the optimizer's per-parameter state
and hyperparameters.  A compiled program must take all of them as inputs and hand their
new values back, so they are found before tracing: from the function's closure, the
globals it names, its ``self`` and its arguments (modules, optimizers, schedulers, loose
tensors, and containers or plain objects holding them, a few levels deep).

Each call reads the state into *entries* in a fixed order (the program's inputs are
defined by position, not identity: a new ``.grad`` tensor each step is the same input),
and the guard key that says which compiled program fits.
"""

__all__ = ["StepState", "discover"]

import types

from ..core.tensor import Tensor
from ..core.views import root_of

_SCAN_DEPTH = 3
_SCAN_ITEMS = 64  # longer containers are data, not state holders
_SKIP_HYPERPARAMETERS = ("params", "param_names")
FED_HYPERPARAMETERS = ("lr",)
"""Group hyperparameters fed to the program as values (a scheduler changes them every epoch);
the others are guarded: a change retraces."""


def _modules_and_optimizers():
    from ..nn.modules.module import Module
    from ..optim.optimizer import Optimizer
    return Module, Optimizer


def discover(function, args=(), kwargs=None):
    """``(modules, optimizers, tensors)`` reachable from ``function`` and its arguments."""
    Module, Optimizer = _modules_and_optimizers()
    modules, optimizers, tensors = {}, {}, {}
    seen = set()

    def scan(value, depth, loose=True):
        if id(value) in seen or depth > _SCAN_DEPTH:
            return
        seen.add(id(value))
        if isinstance(value, Tensor):
            if loose:  # tensors among the arguments are arguments (fed each call), not state
                tensors[id(value)] = value
        elif isinstance(value, Module):
            for module in value.modules():
                modules[id(module)] = module
                for attribute in vars(module).values():  # a plain tensor attribute, not a buffer
                    if isinstance(attribute, Tensor):
                        tensors[id(attribute)] = attribute
        elif isinstance(value, Optimizer):
            optimizers[id(value)] = value
        elif isinstance(value, (list, tuple, set, frozenset)):
            if len(value) <= _SCAN_ITEMS:
                for item in value:
                    scan(item, depth + 1, loose)
        elif isinstance(value, dict):
            if len(value) <= _SCAN_ITEMS:
                for item in value.values():
                    scan(item, depth + 1, loose)
        elif isinstance(value, (types.FunctionType, types.MethodType)):
            scan_function(value, depth + 1)
        elif hasattr(value, "optimizer") and isinstance(getattr(value, "optimizer"), Optimizer):
            scan(value.optimizer, depth + 1)  # an lr scheduler
        elif hasattr(value, "__dict__") and not isinstance(value, (type, types.ModuleType)):
            attributes = vars(value)
            if len(attributes) <= _SCAN_ITEMS:
                for item in attributes.values():
                    scan(item, depth + 1)

    def scan_function(target, depth):
        if isinstance(target, types.MethodType):
            scan(target.__self__, depth)
            target = target.__func__
        code = getattr(target, "__code__", None)
        if code is None:
            return
        for cell in target.__closure__ or ():
            try:
                scan(cell.cell_contents, depth)
            except ValueError:  # an empty cell
                pass
        global_names = target.__globals__
        for name in _names_used(code):
            if name in global_names:
                scan(global_names[name], depth)
        for default in target.__defaults__ or ():
            scan(default, depth)

    if isinstance(function, Module):
        scan(function, 0)
    else:
        scan_function(function, 0)
    for value in tuple(args) + tuple((kwargs or {}).values()):
        scan(value, 1, loose=False)
    return list(modules.values()), list(optimizers.values()), list(tensors.values())


def _names_used(code):
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):  # nested functions and comprehensions
            names |= _names_used(constant)
    return names


class StepState:
    """The state containers of one compiled function, in a fixed order.

    ``containers`` are dicts whose values the step may read, write or replace: each module's
    ``_parameters`` and ``_buffers``.  Per-parameter slots (``.grad``, the optimizer's state
    dict of that parameter) are read per call.  ``tensors`` are loose tensors (closure,
    globals) whose storage the step may write.
    """

    def __init__(self, modules, optimizers, tensors):
        self.modules = modules
        self.optimizers = optimizers
        self.dicts = [table for module in modules for table in (module._parameters, module._buffers)]
        parameters = {}
        for module in modules:
            for parameter in module._parameters.values():
                if parameter is not None:
                    parameters[id(parameter)] = parameter
        self.optimizer_slots = []  # (optimizer, parameter)
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                for parameter in group["params"]:
                    parameters[id(parameter)] = parameter
                    self.optimizer_slots.append((optimizer, parameter))
        self.parameters = list(parameters.values())
        self.loose = tensors

    def device(self, arguments):
        """The device of the first tensor the step touches (arguments first), or None."""
        for tensor in arguments:
            return tensor._device
        for table in self.dicts:
            for value in table.values():
                if value is not None:
                    return value._device
        for tensor in self.loose:
            return tensor._device
        return None

    def read(self, arguments):
        """This call's entries and guard key.

        Returns ``(entries, roots, donated, key)``: ``entries`` is every state value in order
        (dict entries, grads, optimizer state dicts, loose tensors, then the argument tensors);
        ``roots`` the distinct storages (root tensors) behind the tensors among them, the
        program's array inputs; ``donated`` the indices of roots that hold module or optimizer
        state (their buffers are handed to the program to reuse; gradients, loose tensors and
        arguments are not, as the caller may hold them); ``key`` what a compiled program was
        specialised on."""
        entries = []
        signature = []
        roots = []
        root_index = {}
        donated = set()

        def tensor_signature(tensor, donate=False):
            root = root_of(tensor)
            index = root_index.get(id(root))
            if index is None:
                index = root_index[id(root)] = len(roots)
                roots.append(root)
            if donate:
                donated.add(index)
            data = tensor._data
            if tensor is root:
                return (index, tensor._dtype, data.shape, tensor._requires_grad, tensor._device)
            # a view: the program's input is its root's array, so that is specialised on too
            return (index, tensor._dtype, data.shape, tensor._requires_grad, tensor._device, root._dtype,
                    root._data.shape, tensor._view.steps if _can_hash(tensor._view.steps) else id(tensor))

        for table in self.dicts:
            keys = []
            for name, value in table.items():
                entries.append(value)
                keys.append(name if value is None else (name, tensor_signature(value, True)))
            signature.append(tuple(keys))
        for parameter in self.parameters:
            grad = parameter._grad
            entries.append(grad)
            signature.append(None if grad is None else tensor_signature(grad))
        for optimizer, parameter in self.optimizer_slots:
            slot = optimizer.state.get(parameter)
            entries.append(slot)
            if slot is None:
                signature.append(None)
                continue
            keys = []
            for name, value in slot.items():
                keys.append((name, tensor_signature(value, True) if isinstance(value, Tensor) else _hashable(value)))
            signature.append(tuple(keys))
        for tensor in self.loose:
            entries.append(tensor)
            signature.append(tensor_signature(tensor))
        for tensor in arguments:
            entries.append(tensor)
            signature.append(tensor_signature(tensor))
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                signature.append(tuple((name, _hyperparameter_signature(name, value)) for name, value in group.items()
                                       if name not in _SKIP_HYPERPARAMETERS))
        signature.append(tuple(module.training for module in self.modules))
        signature.append(tuple(sorted(donated)))
        return entries, roots, donated, tuple(signature)

    def read_fast(self, arguments):
        """``(entries, roots, donated, check)`` as ``read`` gives them (same order), without the
        guard key: ``check`` is a flat list of the objects the key was computed from (every
        state tensor, its array and its ``requires_grad`` flag; the Python values; module
        flags; hyperparameters other than the fed ones), so a call whose ``check`` is
        identical, object by object, to the one left by the previous replay needs no key:
        the state is exactly as the program left it.  Arguments are not in ``check`` (they
        are new tensors every call).  Runs twice per compiled call: the tensor visit is
        spelled inline (a helper call per tensor doubled its cost)."""
        entries = []
        roots = []
        root_index = {}
        donated = set()
        check = []
        add = check.append
        extend = check.extend
        for table in self.dicts:
            add(len(table))
            for value in table.values():
                entries.append(value)
                if value is None:
                    add(None)
                    continue
                root = value._base
                if root is None:
                    root = value
                index = root_index.get(id(root))
                if index is None:
                    index = root_index[id(root)] = len(roots)
                    roots.append(root)
                donated.add(index)
                extend((value, value._data, value._requires_grad))
        for parameter in self.parameters:
            grad = parameter._grad
            entries.append(grad)
            if grad is None:
                add(None)
                continue
            root = grad._base
            if root is None:
                root = grad
            if id(root) not in root_index:
                root_index[id(root)] = len(roots)
                roots.append(root)
            extend((grad, grad._data, grad._requires_grad))
        for optimizer, parameter in self.optimizer_slots:
            slot = optimizer.state.get(parameter)
            entries.append(slot)
            add(slot)
            if slot is None:
                continue
            add(len(slot))
            for value in slot.values():
                if isinstance(value, Tensor):
                    root = value._base
                    if root is None:
                        root = value
                    index = root_index.get(id(root))
                    if index is None:
                        index = root_index[id(root)] = len(roots)
                        roots.append(root)
                    donated.add(index)
                    extend((value, value._data, value._requires_grad))
                else:
                    add(value)
        for tensor in self.loose:
            entries.append(tensor)
            root = tensor._base
            if root is None:
                root = tensor
            if id(root) not in root_index:
                root_index[id(root)] = len(roots)
                roots.append(root)
            extend((tensor, tensor._data, tensor._requires_grad))
        for tensor in arguments:
            entries.append(tensor)
            root = tensor._base
            if root is None:
                root = tensor
            if id(root) not in root_index:
                root_index[id(root)] = len(roots)
                roots.append(root)
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                for name, value in group.items():
                    if name not in _SKIP_HYPERPARAMETERS:
                        add(_FED if name in FED_HYPERPARAMETERS and _is_fed(value) else value)
        for module in self.modules:
            add(module.training)
        return entries, roots, donated, check

    def fed_slots(self):
        """``(group, name)`` of every fed hyperparameter, in order (the program's scalar inputs)."""
        return [(group, name) for optimizer in self.optimizers for group in optimizer.param_groups
                for name in FED_HYPERPARAMETERS if _is_fed(group.get(name))]


_FED = object()


def _is_fed(value):
    return type(value) in (int, float)


def _hyperparameter_signature(name, value):
    if name in FED_HYPERPARAMETERS and _is_fed(value):
        return "fed"
    return _hashable(value)


def _can_hash(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return ("unhashable", type(value).__name__, id(value))
    if isinstance(value, Tensor):
        return ("tensor", id(value))
    return (type(value).__name__, value)
