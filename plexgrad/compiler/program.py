"""One compiled step: the user's Python traced once into a pure function of arrays, then replayed.

Tracing (functionalization): every state storage (a root tensor: parameter, buffer,
gradient, optimizer state, loose tensor, argument) gets the compiler's symbolic array in
place of its array, the fed hyperparameters (``lr``) get symbolic scalars, random draws
come from a symbolic key, and the user's function runs once through the ordinary
dispatch seam (kernels on symbolic arrays record the program).  Afterwards the tracer
reads what the step did, as *actions*:

- a storage's new array (written back into the same tensor: eager code, ``state_dict``
  and checkpoints see it);
- a dict entry, a ``.grad`` or an optimizer state entry set to a new tensor, to a tensor
  that existed before, to None, or deleted;
- the function's return value (tensors come back detached).

and puts every object back as it was.  A replay feeds this call's arrays, runs the
compiled program and applies the actions to this call's objects, so no Python op runs.

What the compiler supplies (``Backend.compiler()``, e.g. ``jax_be/compiler.py``):
``build(pure, donated, kept) -> run``, ``sampler(key, native_dtype)``, ``random_key(numpy
generator)``, ``trace_errors`` (what it raises when traced Python reads a value) and
``is_symbolic(value)``.
"""

__all__ = ["Program", "trace", "HiddenInputs"]

import gc
import time
import weakref

from ..core.dtypes import float64
from ..core.host_checks import skip_host_checks
from ..core.random import default_generator
from ..core.storage import bump_version
from ..core.tensor import Tensor, make_tensor
from ..core.tracing import GraphBreak, sampling
from ..core.view_replay import refresh_views, replay_arrays


class Program:
    """A traced and compiled step: ``replay(...)`` runs it on one call's state."""

    def __init__(self, run, donated_order, kept_order, root_writes, actions, result, uses_random,
                 compile_seconds):
        self._run = run
        self._donated_order = donated_order
        self._kept_order = kept_order
        self._root_writes = root_writes  # (root index, output index)
        self._actions = actions
        self._result = result
        self.uses_random = uses_random
        self.compile_seconds = compile_seconds
        self.successors = {}  # call key -> the program that fits the state this one leaves

    def replay(self, compiler, state, entries, roots):
        """Run the program on this call's state and write its results back; returns the result."""
        donated = [roots[index]._data for index in self._donated_order]
        kept = [roots[index]._data for index in self._kept_order]
        fed = [group[name] for group, name in state.fed_slots()]
        key = compiler.random_key(default_generator.numpy_generator) if self.uses_random else None
        outputs = self._run(donated, (kept, fed, key))
        for root_index, output_index in self._root_writes:
            root = roots[root_index]
            data = root._data = outputs[output_index]
            extra = root._extra
            if extra:
                _refresh_aliases(root, extra, data)
            bump_version(root)
        for action in self._actions:
            _apply(action, state, entries, outputs)
        return _rebuild(self._result, entries, outputs)


def _refresh_aliases(root, extra, data):
    """``refresh_views(root)`` for the replay's write-backs: the aliases' arrays re-derived from
    the root's new one.  Iterates the WeakSet's own references (``.data``): iterating the set
    runs a Python generator per root, which cost more than the rest of the write-back."""
    views = extra.get("views")
    if not views:
        return
    device = root._device
    for reference in list(views.data):
        view = reference()
        if view is not None:
            steps = view._view.steps
            view._data = data if not steps else replay_arrays(device, data, steps)[-1]


def trace(compiler, state, function, args, kwargs, entries, roots, donated):
    """Trace ``function(*args, **kwargs)`` on this call's state and compile it; returns a Program.

    Raises GraphBreak (or one of ``compiler.trace_errors``) where the step cannot be one
    program; every object is restored either way."""
    donated_order = sorted(_distinct_arrays(roots, donated))
    donated_set = set(donated_order)
    kept_order = [index for index in range(len(roots)) if index not in donated_set]
    fed_slots = state.fed_slots()
    entry_positions = {}
    for position, value in enumerate(entries):
        if isinstance(value, Tensor):
            entry_positions.setdefault(id(value), position)
    recorded = {}
    device = roots[0]._device if roots else None

    def pure(donated_arrays, kept_inputs):
        kept_arrays, fed_values, key = kept_inputs
        inputs = [None] * len(roots)
        for index, array in zip(donated_order, donated_arrays):
            inputs[index] = array
        for index, array in zip(kept_order, kept_arrays):
            inputs[index] = array
        snapshot = _Snapshot(state, roots, fed_slots)
        try:
            for root, array in zip(roots, inputs):
                root._data = array
                refresh_views(root)
            for (group, name), value in zip(fed_slots, fed_values):
                # a 0-d float64 tensor: ops cast it to the parameters' dtype as eager does a Python float
                group[name] = make_tensor(value, float64, device)
            draws = []
            sampler = compiler.sampler(key, roots[0]._backend().native_dtype) if roots else None

            def sample(kind, shape, dtype, device):
                if key is None:
                    draws.append(kind)
                    raise _NeedsRandomKey()
                return sampler(kind, shape, dtype, device)
            with skip_host_checks(), sampling(sample):
                result = function(*args, **kwargs)
            _check_no_hidden_writes(compiler, existing, roots)
            outputs = []
            root_writes = []
            for index, root in enumerate(roots):
                if index in donated_set or root._data is not inputs[index]:
                    root_writes.append((index, len(outputs)))
                    outputs.append(root._data)
            describe = _Describer(compiler, entry_positions, outputs)
            actions = snapshot.actions(describe)
            backward_ran = any(action[0] == "grad" for action in actions) or any(
                isinstance(value, Tensor) and root_write_of(value, roots, root_writes) for value in snapshot.grads)
            recorded["result"] = describe.result(result, backward_ran)
            recorded["root_writes"] = root_writes
            recorded["actions"] = actions
            return outputs
        finally:
            snapshot.restore()

    started = time.perf_counter()
    existing = _existing_tensors()
    fed_examples = [group[name] for group, name in fed_slots]
    kept_arrays = [roots[index]._data for index in kept_order]
    donated_arrays = [roots[index]._data for index in donated_order]
    uses_random = False
    generator = default_generator.numpy_generator.bit_generator
    generator_state = generator.state  # tracing draws nothing from the stream the replays and eager code use
    known = {id(root) for root in roots}

    def constants_seen(constants):
        # a tensor the state search missed, read by the step, was captured as a constant: a
        # replay would keep its old values after an eager write, so it becomes an input
        captured = {id(array) for array in constants}
        hidden = []
        for reference, data in existing:
            tensor = reference()
            if tensor is not None and id(data) in captured:
                root = tensor._base if tensor._base is not None else tensor
                if id(root) not in known:
                    hidden.append(tensor)
        if hidden:
            raise HiddenInputs(hidden)
    try:
        try:
            run = compiler.build(pure, donated_arrays, (kept_arrays, fed_examples, None), constants_seen)
        except _NeedsRandomKey:
            uses_random = True
            example_key = compiler.random_key(default_generator.numpy_generator)
            run = compiler.build(pure, donated_arrays, (kept_arrays, fed_examples, example_key), constants_seen)
    finally:
        generator.state = generator_state
    return Program(run, donated_order, kept_order, recorded["root_writes"], recorded["actions"],
                   recorded["result"], uses_random, time.perf_counter() - started)


def _existing_tensors():
    """Weak references to every tensor alive before the trace (to find writes to tensors the
    state search did not find: a replay would silently skip them)."""
    references = []
    for value in gc.get_objects():
        # type(), not isinstance(): isinstance reads __class__, which dereferences weak proxies
        # (ReferenceError when dead) and wakes lazy module attributes (deprecation warnings)
        if issubclass(type(value), Tensor):
            references.append((weakref.ref(value), value._data))
    return references


def _check_no_hidden_writes(compiler, existing, roots):
    """Raise GraphBreak (after putting their arrays back) if the step wrote tensors outside its state."""
    known = {id(root) for root in roots}
    is_symbolic = compiler.is_symbolic
    hidden = []
    for reference, data in existing:
        tensor = reference()
        if tensor is None or tensor._data is data or not is_symbolic(tensor._data):
            continue
        root = tensor._base if tensor._base is not None else tensor
        if id(root) not in known:
            hidden.append((tensor, data))
    for tensor, data in hidden:
        tensor._data = data
    if hidden:
        tensor = hidden[0][0]
        raise GraphBreak(f"the step writes in place a tensor (shape {list(tensor._data.shape)}, "
                         f"{tensor._dtype}) that is not among its state (parameters, buffers, "
                         "gradients, optimizer state, tensors named in the function or its closure, "
                         "arguments); register it as a buffer or pass it as an argument")


class HiddenInputs(Exception):
    """The step read tensors that are not among its state (``tensors``): trace again with them
    as state."""

    def __init__(self, tensors):
        super().__init__(f"{len(tensors)} tensors read by the step are not among its state")
        self.tensors = tensors


class _NeedsRandomKey(Exception):
    """The step draws random numbers: trace again with a key input (steps without draws get none,
    so they leave the global generator's stream as eager code does)."""


def root_write_of(tensor, roots, root_writes):
    root = tensor._base if tensor._base is not None else tensor
    written = {index for index, _ in root_writes}
    return any(roots[index] is root for index in written)


def _distinct_arrays(roots, donated):
    """The donated root indices whose arrays are distinct objects (a buffer is donated at most once)."""
    seen = set()
    result = []
    for index in sorted(donated):
        identity = id(roots[index]._data)
        if identity not in seen:
            seen.add(identity)
            result.append(index)
    return result


class _Snapshot:
    """The state containers before the trace: for reading the step's actions, and restoring."""

    def __init__(self, state, roots, fed_slots):
        self.state = state
        self.roots = roots
        self.arrays = [root._data for root in roots]
        self.fed_slots = fed_slots
        self.fed = [group[name] for group, name in fed_slots]
        self.tables = [dict(table) for table in state.dicts]
        self.grads = [parameter._grad for parameter in state.parameters]
        self.slots = []
        for optimizer, parameter in state.optimizer_slots:
            slot = optimizer.state.get(parameter)
            self.slots.append((slot, None if slot is None else dict(slot)))

    def actions(self, describe):
        """What the step did to the containers, as replayable actions (see ``_apply``)."""
        actions = []
        for index, (before, table) in enumerate(zip(self.tables, self.state.dicts)):
            actions.extend(_dict_actions("table", index, before, table, describe))
        for index, (before, parameter) in enumerate(zip(self.grads, self.state.parameters)):
            after = parameter._grad
            if after is not before:
                actions.append(("grad", index, describe(after)))
        for index, ((slot, before), (optimizer, parameter)) in enumerate(zip(self.slots, self.state.optimizer_slots)):
            after = optimizer.state.get(parameter)
            if after is None:
                if slot is not None:
                    actions.append(("slot_drop", index))
            elif after is not slot:
                actions.append(("slot_new", index, tuple((name, describe(value)) for name, value in after.items())))
            else:
                actions.extend(_dict_actions("slot", index, before, after, describe))
        return actions

    def restore(self):
        for root, array in zip(self.roots, self.arrays):
            root._data = array
            refresh_views(root)
        for (group, name), value in zip(self.fed_slots, self.fed):
            group[name] = value
        for before, table in zip(self.tables, self.state.dicts):
            table.clear()
            table.update(before)
        for before, parameter in zip(self.grads, self.state.parameters):
            parameter._grad = before
        for (slot, before), (optimizer, parameter) in zip(self.slots, self.state.optimizer_slots):
            if slot is None:
                optimizer.state.pop(parameter, None)
            else:
                optimizer.state[parameter] = slot
                slot.clear()
                slot.update(before)


def _dict_actions(kind, index, before, after, describe):
    actions = []
    for name, value in after.items():
        if name in before and before[name] is value:
            continue
        actions.append((kind + "_set", index, name, describe(value)))
    for name in before:
        if name not in after:
            actions.append((kind + "_delete", index, name))
    return actions


class _Describer:
    """Turns a value the step left in its state into a replayable description."""

    def __init__(self, compiler, entry_positions, outputs):
        self.compiler = compiler
        self.entry_positions = entry_positions
        self.outputs = outputs

    def __call__(self, value, leaving_history=False):
        if value is None:
            return ("value", None)
        if isinstance(value, Tensor):
            position = self.entry_positions.get(id(value))
            if position is not None:
                return ("entry", position)
            if value._grad_fn is not None and leaving_history:
                raise GraphBreak("the compiled function returns a tensor that needs its autograd history "
                                 "(backward() runs outside it); compile the whole training step (forward, "
                                 "loss, backward(), optimizer.step()), or call it under no_grad()")
            index = len(self.outputs)
            self.outputs.append(value._data)
            return ("new", index, value._dtype, value._device, value._requires_grad and value._grad_fn is None)
        if self.compiler.is_symbolic(value):
            raise GraphBreak("a value computed inside the compiled step is kept in a Python object "
                             f"({type(value).__name__}); keep it in a tensor")
        return ("value", value)

    def result(self, value, backward_ran):
        if isinstance(value, (tuple, list)):
            return (type(value), tuple(self.result(item, backward_ran) for item in value))
        if isinstance(value, dict):
            return (dict, tuple((name, self.result(item, backward_ran)) for name, item in value.items()))
        return self(value, leaving_history=not backward_ran)


def _materialize(description, entries, outputs):
    kind = description[0]
    if kind == "value":
        return description[1]
    if kind == "entry":
        return entries[description[1]]
    _, index, dtype, device, requires_grad = description
    tensor = make_tensor(outputs[index], dtype, device)
    tensor._requires_grad = requires_grad
    return tensor


def _apply(action, state, entries, outputs):
    kind = action[0]
    if kind == "table_set":
        _, index, name, description = action
        state.dicts[index][name] = _materialize(description, entries, outputs)
    elif kind == "table_delete":
        del state.dicts[action[1]][action[2]]
    elif kind == "grad":
        _, index, description = action
        state.parameters[index]._grad = _materialize(description, entries, outputs)
    elif kind == "slot_new":
        _, index, items = action
        optimizer, parameter = state.optimizer_slots[index]
        optimizer.state[parameter] = {name: _materialize(description, entries, outputs)
                                      for name, description in items}
    elif kind == "slot_drop":
        optimizer, parameter = state.optimizer_slots[action[1]]
        optimizer.state.pop(parameter, None)
    elif kind == "slot_set":
        _, index, name, description = action
        optimizer, parameter = state.optimizer_slots[index]
        optimizer.state[parameter][name] = _materialize(description, entries, outputs)
    elif kind == "slot_delete":
        optimizer, parameter = state.optimizer_slots[action[1]]
        del optimizer.state[parameter][action[2]]
    else:
        raise AssertionError(f"unknown action {kind!r}")


def _rebuild(description, entries, outputs):
    kind = description[0]
    if kind in (tuple, list):
        return kind(_rebuild(item, entries, outputs) for item in description[1])
    if kind is dict:
        return {name: _rebuild(item, entries, outputs) for name, item in description[1]}
    return _materialize(description, entries, outputs)
