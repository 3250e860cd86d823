"""``plexgrad.compile``: a whole training step as one compiled program (torch.compile's shape).

The first call with a new guard key traces the function through the dispatch seam and
compiles it with the device's compiler (``program.py``); later calls with the same key
replay it.  The key holds everything the program was specialised on: the shapes, dtypes,
devices and ``requires_grad`` of every state tensor and argument, which state entries
exist, non-tensor arguments, each module's ``training`` flag, grad mode and the
optimizer's hyperparameters other than ``lr`` (``lr`` is fed to the program as a value,
so a scheduler does not retrace).  A change retraces; past ``CACHE_LIMIT`` programs the
function runs eagerly, with one warning.  A training step makes two programs: the first
call's (no gradients or optimizer state yet; it creates them) and the one every later call
replays.  (Running the first step eagerly instead measured slower on jax: eager kernels
compile one by one on first use.)
"""

__all__ = ["compile", "CompiledFunction", "CompiledModule", "CACHE_LIMIT"]

import functools
import operator
import warnings

from ..core.autograd.grad_mode import is_grad_enabled
from ..core.dispatch import backend_for_type
from ..core.tensor import Tensor
from ..core.tracing import GraphBreak
from .graph_breaks import CompileWarning, GraphBreakError, GraphBreakWarning, describe_break
from .program import HiddenInputs, trace
from .state import StepState, discover

CACHE_LIMIT = 8
"""Programs kept per compiled function (torch's ``cache_size_limit``); past it, new keys run eagerly."""

_BACKENDS = (None, "inductor", "eager")
_EAGER = "eager"
_WARNED_BACKENDS = set()


def compile(model=None, *, fullgraph=False, backend=None, **ignored):
    """Compile a function (or a module's forward) into one program per input signature.

    Use it as ``step = plexgrad.compile(step)``, ``@plexgrad.compile`` or
    ``@plexgrad.compile(fullgraph=True)``.  The intended target is a whole training step::

        @plexgrad.compile
        def train_step(images, labels):
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            return loss

    On ``jax`` the step becomes one ``jax.jit`` program (parameters, gradients, buffers,
    optimizer state and the random key in and out, state buffers donated), and its results
    are written back into the tensors.  On ``cpu`` the step runs eagerly (exactly eager
    results).  On a backend without a compiler it runs eagerly and says so once.

    ``fullgraph=True`` raises GraphBreakError where the step cannot be one program
    (``.item()``, data-dependent control flow); otherwise that step runs eagerly with one
    warning naming the line.  ``backend``: None or ``"inductor"`` (the device's compiler),
    or ``"eager"`` (never compile).  Returned tensors are detached.  Python side effects
    other than on tensors, modules and optimizers run only while tracing.
    """
    if backend not in _BACKENDS:
        raise ValueError(f"plexgrad.compile: unknown backend {backend!r}; use None (the device's compiler), "
                         "'inductor' (the same) or 'eager'")
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, backend=backend)
    if not callable(model):
        raise TypeError(f"plexgrad.compile expects a function or a Module, got {type(model).__name__}")
    from ..nn.modules.module import Module
    if isinstance(model, Module):
        return CompiledModule(model, fullgraph, backend)
    return CompiledFunction(model, fullgraph, backend)


class CompiledFunction:
    """A function compiled by ``plexgrad.compile``; call it as the function.

    ``compile_seconds`` lists the trace-and-compile time of each program made so far."""

    def __init__(self, function, fullgraph=False, backend=None, name=None):
        self._function = function
        self._fullgraph = fullgraph
        self._backend = backend
        self._name = name or getattr(function, "__qualname__", type(function).__name__)
        self._state = None
        self._programs = {}
        self._compilers = {}
        self._warned = set()
        self._last = None  # (program, check) of the previous replay: the fast path
        self.compile_seconds = []
        functools.update_wrapper(self, function, updated=())

    def __call__(self, *args, **kwargs):
        if self._backend == _EAGER:
            return self._function(*args, **kwargs)
        arguments, argument_key = _flatten_arguments(args, kwargs)
        if self._state is None:
            self._state = StepState(*discover(self._function, args, kwargs))
        state = self._state
        device = state.device(arguments)
        compiler = None if device is None else self._compiler_for(device)
        if compiler is None:
            return self._function(*args, **kwargs)
        entries, roots, donated, check = state.read_fast(arguments)
        call_key = (argument_key, _argument_signature(arguments), is_grad_enabled(), device)
        last = self._last
        untouched = last is not None and len(last[1]) == len(check) and all(map(operator.is_, last[1], check))
        # untouched: the state is exactly as the previous replay left it, so the program that fits
        # it is known from that program (its successor for these arguments): no guard key needed
        program = last[0].successors.get(call_key) if untouched else None
        if program is None:
            key = (state.read(arguments)[3], call_key)
            program = self._programs.get(key)
            if program is None:
                program = self._trace(compiler, key, args, kwargs, arguments, entries, roots, donated)
                entries, roots, donated, check = state.read_fast(arguments)  # tracing may have found more state
            if untouched and program is not _EAGER:
                last[0].successors[call_key] = program
        if program is _EAGER:
            self._last = None
            return self._function(*args, **kwargs)
        result = program.replay(compiler, state, entries, roots)
        self._last = (program, state.read_fast(())[3])
        return result

    @property
    def programs(self):
        """How many programs (guard keys) this function has compiled."""
        return sum(1 for program in self._programs.values() if program is not _EAGER)

    def _compiler_for(self, device):
        found = self._compilers.get(device.type, False)
        if found is False:
            backend = backend_for_type(device.type)
            found = None if backend.compiler is None else backend.compiler()
            self._compilers[device.type] = found
            if found is None and device.type != "cpu" and backend.name not in _WARNED_BACKENDS:
                _WARNED_BACKENDS.add(backend.name)
                warnings.warn(f"plexgrad.compile: backend {backend.name!r} (device {device}) has no compiler; "
                              "compiled functions run eagerly there", CompileWarning, stacklevel=3)
        return found

    def _trace(self, compiler, key, args, kwargs, arguments, entries, roots, donated):
        if len(self._programs) >= CACHE_LIMIT:
            if "cache" not in self._warned:
                self._warned.add("cache")
                warnings.warn(f"plexgrad.compile: {self._name} was traced {CACHE_LIMIT} times (CACHE_LIMIT) for "
                              "changing shapes, dtypes, flags, hyperparameters or Python values in its state; "
                              "new variants run eagerly", CompileWarning, stacklevel=4)
            self._programs[key] = _EAGER
            return _EAGER
        try:
            while True:
                try:
                    program = trace(compiler, self._state, self._function, args, kwargs, entries, roots, donated)
                    break
                except HiddenInputs as found:  # tensors the state search missed: make them state, retrace
                    self._state.loose.extend(found.tensors)
                    entries, roots, donated, _ = self._state.read_fast(arguments)
                    key = (self._state.read(arguments)[3], key[1])
        except (GraphBreak,) + compiler.trace_errors as error:
            message, where = describe_break(error, self._name)
            if self._fullgraph:
                raise GraphBreakError(message) from error
            if where not in self._warned:
                self._warned.add(where)
                warnings.warn(message, GraphBreakWarning, stacklevel=4)
            self._programs[key] = _EAGER
            return _EAGER
        self._programs[key] = program
        self.compile_seconds.append(program.compile_seconds)
        return program


class CompiledModule:
    """A module compiled by ``plexgrad.compile(module)``: calls run the compiled forward; every other
    attribute (``parameters``, ``state_dict``, ``train``...) is the module's own, so checkpoints are
    the module's.  Under autograd a forward alone cannot leave its history in a program: it runs
    eagerly (one graph-break warning); compile the whole step for speed."""

    def __init__(self, module, fullgraph=False, backend=None):
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_compiled", CompiledFunction(module, fullgraph, backend,
                                                               name=type(module).__name__ + ".forward"))

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __repr__(self):
        return f"CompiledModule({self._orig_mod!r})"


def _argument_signature(arguments):
    signature = []
    for tensor in arguments:
        root = tensor._base
        signature.append((tensor._dtype, tensor._data.shape, tensor._requires_grad, tensor._device,
                          None if root is None else (root._data.shape, root._dtype, id(root))))
    return tuple(signature)


def _flatten_arguments(args, kwargs):
    """The tensors among the arguments (nested in lists, tuples and dicts) and a key for the rest."""
    tensors = []

    def walk(value):
        if isinstance(value, Tensor):
            tensors.append(value)
            return Tensor
        if isinstance(value, (list, tuple)):
            return (type(value), tuple(walk(item) for item in value))
        if isinstance(value, dict):
            return (dict, tuple((name, walk(item)) for name, item in value.items()))
        try:
            hash(value)
        except TypeError:
            return ("object", id(value))
        return (type(value), value)
    key = (walk(args), walk(kwargs))
    return tensors, key
