"""The one dispatch seam: every op call reaches a kernel through this module.

An ``Op`` is an op's declaration as dispatch sees it: its name, its kernel signature,
its dtype rule, its derivative rule (written in Tensor ops, see ``op.py``) and,
where one exists, a decomposition into other ops.  ``call(op, device, *args)`` runs
the op's kernel for ``device``; the hot paths in ``op.py`` keep the op's own table
(``table_of(op)``, filled here) and look the kernel up with one dict subscript.

Filling a table (once per device type, on first use of that device type): the
backend's own kernel when it has one (*native*); otherwise, when the op has a
decomposition whose ops this backend can run, a kernel that runs the decomposition
(*decomposed*); otherwise a kernel that raises NotImplementedError naming the op,
the backend and the backends that do implement it (*missing*).  So a backend that
supplies only the primitive set runs every fused op through its decomposition.

A device type's first use loads and fills under ``first_use_lock`` (``core/device.py``,
shared with the registry's discovery), and its backend is published in ``_BACKENDS``
only once every op has its kernel, so threads using it for the first time at once never
see a half-filled table.  ``register_op`` takes no lock (an import that declares ops must
never wait on a backend being loaded, which may import that very module): an op declared
while a table is being filled is filled by whichever of the two runs last.

How the device reaches a kernel: kernels take native arrays, and an array already
lives on its device, so most kernels need nothing more.  Ops that create arrays
from nothing (``full``) declare ``placement=True``: their signature ends with a
``device`` parameter and the kernel receives the ``plexgrad.device`` (index filled
in), so ``jax:1`` or ``cuda:1`` place the work on that device.  A decomposition
receives the device as its first argument, for the same reason.
"""

__all__ = ["Op", "Rule", "OPS", "KINDS", "register_op", "call", "table_of", "kernel_for", "backend_for_type",
           "backend_of", "missing_kernel", "coverage", "runs", "native", "runnable", "can_run", "forced_decompositions",
           "forced_missing", "reset", "signature_text", "MissingKernelError", "observing", "contract_problems"]

import contextlib

from .device import first_use_lock
from .dtype_rules import rule_named

OPS = {}
"""Every declared op, by name."""

KINDS = ("array", "array?", "arrays", "static", "scalar", "array|scalar", "dtype", "device")
"""Kinds of kernel parameters: a native array, an optional one (None allowed), any number of
arrays, a hashable Python value (dims, shapes, flags), a Python number, either of those two, a
plexgrad dtype, and the device (placement ops only, always last)."""

_BACKENDS = {}
# One lock for discovery, loading a backend and filling the tables (shared with the registry, so two
# locks are never taken in opposite orders): four threads touching a device type for the first time
# at once must all find full tables.
_LOCK = first_use_lock
_FORCED = {}  # device type -> {op name: "decomposed" or "missing"}, overriding the backend's kernels (tests)


class MissingKernelError(NotImplementedError):
    """An op that a backend neither implements nor can decompose was called on its device.

    A subclass of NotImplementedError (what torch raises there), so callers that catch that keep
    working; ``op`` and ``backend`` name what is missing, so the conformance kit reports it as
    declared-missing instead of failing (a kernel that itself raises NotImplementedError is a failure).
    """

    def __init__(self, message, op, backend):
        super().__init__(message)
        self.op = op
        self.backend = backend


class Rule:
    """A derivative rule: ``backward(node, grad) -> tuple of input gradients``."""

    __slots__ = ("node_name", "backward")

    def __init__(self, node_name, backward):
        self.node_name = node_name
        self.backward = backward


class Op:
    """An op's declaration: name, kernel signature, dtype rule, derivative rule, decomposition.

    ``signature`` is a tuple of ``(parameter name, kind)`` pairs (kinds in ``KINDS``),
    the kernel's positional parameters in order.  ``decomposition(device, *args)``
    computes the kernel's result from other ops through ``call``; ``uses`` names the
    ops it calls (so coverage can be known before a backend is loaded).  ``fallback`` says what the
    core does when a backend lacks a primitive that is only a fast path (so it is optional).
    """

    __slots__ = ("name", "kernels", "natives", "rule", "dtype_rule", "doc", "signature", "decomposition",
                 "uses", "placement", "fallback")

    def __init__(self, name, backward=None, node_name=None, dtype_rule="same", doc="", signature=None,
                 decomposition=None, uses=(), placement=False, fallback=""):
        self.name = name
        self.kernels = {}
        self.natives = {}  # device type -> the backend's own kernel, or None (decomposed or missing)
        self.rule = None if backward is None else Rule(node_name or _node_name(name), backward)
        self.dtype_rule = rule_named(dtype_rule)
        self.doc = doc
        self.signature = _checked_signature(name, signature, placement)
        self.decomposition = decomposition
        self.uses = tuple(uses)
        self.placement = placement
        self.fallback = fallback  # what the core does without this kernel (an optional primitive), or ''
        if decomposition is not None and not self.uses:
            raise ValueError(f"op {name!r}: a decomposition must name the ops it uses (uses=...)")

    def __repr__(self):
        return (f"<Op {self.name}({signature_text(self)}) dtype={self.dtype_rule.name}"
                f" differentiable={self.rule is not None} decomposable={self.decomposition is not None}>")


def _node_name(op_name):
    return "".join(part.capitalize() for part in op_name.split("_")) + "Backward0"


def _checked_signature(name, signature, placement):
    if signature is None:
        raise ValueError(f"op {name!r} declares no kernel signature; pass signature=(('x', 'array'), ...)")
    if isinstance(signature, str):
        signature = tuple(_parse_parameter(part) for part in signature.split(",") if part.strip())
    signature = tuple(tuple(parameter) for parameter in signature)
    for parameter in signature:
        if len(parameter) != 2 or parameter[1] not in KINDS:
            raise ValueError(f"op {name!r}: bad signature entry {parameter!r}; each is (name, kind) with kind "
                             f"one of {KINDS}")
    has_device = bool(signature) and signature[-1][1] == "device"
    if placement != has_device:
        raise ValueError(f"op {name!r}: a placement op's signature ends with ('device', 'device'), and only "
                         "a placement op's does")
    return signature


def _parse_parameter(text):
    """``"dims: static"`` -> ``("dims", "static")``; a bare name is an array."""
    name, _, kind = text.partition(":")
    return name.strip(), kind.strip() or "array"


def signature_text(op):
    """The kernel signature as text, e.g. ``x, dims: static, keepdim: static``."""
    return ", ".join(name if kind == "array" else f"{name}: {kind}" for name, kind in op.signature)


def _registry():
    # discovery sits below dispatch; imported on first use so that ``import plexgrad`` stays free of
    # pluggy and entry-point scanning (they run on the first use of a device)
    from ..backends import registry
    return registry


def register_op(op):
    """Add a declared op to ``OPS`` (and to the tables of backends already loaded)."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is declared twice")
    for name in op.uses:
        if name not in OPS:
            raise ValueError(f"op {op.name!r}: its decomposition uses {name!r}, which is not declared "
                             "(declare the ops it uses first)")
    OPS[op.name] = op
    for device_type, backend in list(_BACKENDS.items()):
        _fill(op, device_type, backend, _decomposable(set(backend.kernels), device_type))
    return op


def backend_for_type(device_type):
    """The loaded backend serving ``device_type`` (loading it, and filling every table, on first use)."""
    backend = _BACKENDS.get(device_type)
    if backend is None:
        with _LOCK:  # double-checked: only the first use of a device type takes the lock
            backend = _BACKENDS.get(device_type)
            if backend is None:
                backend = _registry().load_backend_for(device_type)
                problems = contract_problems(backend.kernels)
                if problems:
                    reason = "its kernels do not match the core's op declarations: " + "; ".join(problems)
                    _registry().reject(device_type, reason)
                    raise RuntimeError(f"device type '{device_type}' cannot be used: backend '{backend.name}' is "
                                       f"incompatible: {reason}. Run `python -m plexgrad.backends --contract` "
                                       "for every kernel's signature.")
                _fill_all(device_type, backend)
                _BACKENDS[device_type] = backend
                decomposable = None
                for op in list(OPS.values()):  # declared meanwhile, before the backend was published
                    if device_type not in op.kernels:
                        if decomposable is None:
                            decomposable = _decomposable(set(backend.kernels), device_type)
                        _fill(op, device_type, backend, decomposable)
    return backend


def contract_problems(kernels):
    """Why a backend's ``kernels`` (op name -> kernel, or just names) break the declared contract:
    names no op declares, and kernels whose positional parameters cannot take the declared signature
    (checked once, at load, where Python can read the kernel's signature).  ``[]`` when they fit."""
    import inspect
    problems = []
    unknown = sorted(name for name in kernels if name not in OPS)
    if unknown:
        problems.append(f"unknown op names {unknown} (no op is declared with these names)")
    if not isinstance(kernels, dict):
        return problems
    for name, kernel in sorted(kernels.items()):
        op = OPS.get(name)
        if op is None or any(kind == "arrays" for _, kind in op.signature):
            continue
        if not callable(kernel):
            problems.append(f"kernel {name!r} is {type(kernel).__name__}, not callable")
            continue
        try:
            parameters = inspect.signature(kernel).parameters.values()
        except (TypeError, ValueError):
            continue  # a builtin or compiled callable: nothing to read
        positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = sum(1 for p in positional if p.default is p.empty)
        variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
        count = len(op.signature)
        if count < required or (count > len(positional) and not variadic):
            problems.append(f"kernel {name!r} takes {required if required == len(positional) else f'{required} to {len(positional)}'} "
                            f"positional arguments, the declaration passes {count}: {name}({signature_text(op)})")
    return problems


def backend_of(tensor):
    """The loaded backend of ``tensor``'s device."""
    return backend_for_type(tensor._device.type)


def table_of(op):
    """``op``'s kernel table (device type -> kernel), filled by dispatch: the hot paths subscript it
    and call ``kernel_for`` on a miss."""
    return op.kernels


def kernel_for(op, device):
    """The kernel of ``op`` for ``device`` (loading its backend on first use)."""
    try:
        return op.kernels[device.type]
    except KeyError:
        backend_for_type(device.type)
        return op.kernels[device.type]


def call(op, device, *args):
    """Run ``op`` on ``device``: its kernel (native or decomposed) on ``args``, in signature order.

    For a placement op the last argument is ``device`` itself.
    """
    try:
        kernel = op.kernels[device.type]
    except KeyError:
        kernel = kernel_for(op, device)
    return kernel(*args)


def native(op, device):
    """The backend's own kernel of ``op`` for ``device``, or None when ``op`` runs decomposed or is
    missing there: for fast paths that write into memory themselves (in-place kernels)."""
    try:
        return op.natives[device.type]
    except KeyError:
        kernel_for(op, device)
        return op.natives[device.type]


def runnable(op, device):
    """The kernel of ``op`` for ``device`` (native or decomposed), or None where it is missing: for
    fused paths that fall back to Tensor ops.  One call instead of ``can_run`` then ``call``."""
    try:
        kernel = op.kernels[device.type]
    except KeyError:
        kernel = kernel_for(op, device)
    return None if getattr(kernel, "dispatch_kind", None) == "missing" else kernel


def can_run(op, device):
    """True when ``op`` runs on ``device`` (natively or by decomposition)."""
    return getattr(kernel_for(op, device), "dispatch_kind", "native") != "missing"


def runs(op, device_type):
    """How ``op`` runs on ``device_type``: ``"native"``, ``"decomposed"`` or ``"missing"``."""
    backend_for_type(device_type)
    kernel = op.kernels[device_type]
    return getattr(kernel, "dispatch_kind", "native")


def _fill_all(device_type, backend):
    decomposable = _decomposable(set(backend.kernels), device_type)
    for op in list(OPS.values()):
        _fill(op, device_type, backend, decomposable)


def _fill(op, device_type, backend, decomposable):
    kernel = backend.kernels.get(op.name)
    forced = _FORCED.get(device_type, {}).get(op.name)
    if kernel is not None and forced is None:
        op.kernels[device_type] = kernel
        op.natives[device_type] = kernel
        return
    if op.name in decomposable and forced != "missing":
        op.kernels[device_type] = _decomposed_kernel(op, device_type, backend)
    else:
        op.kernels[device_type] = missing_kernel(op.name, backend.name)
    op.natives[device_type] = None


def _decomposable(native_names, device_type=None):
    """Names of the ops without a native kernel that can run by decomposition on a backend whose
    native kernels are ``native_names`` (a fixed point: a decomposition may use decomposed ops)."""
    forced = _FORCED.get(device_type, {}) if device_type is not None else {}
    runnable = set(native_names) - set(forced)
    found = set()
    changed = True
    while changed:
        changed = False
        for op in OPS.values():
            if op.name in runnable or op.decomposition is None or forced.get(op.name) == "missing":
                continue
            if all(name in runnable for name in op.uses):
                runnable.add(op.name)
                found.add(op.name)
                changed = True
    return found


def _decomposed_kernel(op, device_type, backend):
    from .device import device as Device
    decomposition = op.decomposition
    index_of = backend.index_of
    cpu = device_type == "cpu"

    def decomposed(*args):
        if op.placement:
            return decomposition(args[-1], *args)
        first = next((value for value in args if hasattr(value, "shape")), None)
        device = Device(device_type) if cpu or first is None else Device(device_type, index_of(first))
        return decomposition(device, *args)
    decomposed.__name__ = f"{op.name}_by_decomposition"
    decomposed.dispatch_kind = "decomposed"
    return decomposed


def coverage(native_names):
    """``(native, decomposed, missing)``: sorted op names for a backend whose kernels are
    ``native_names`` (no backend is loaded: this works on declared coverage too)."""
    native_names = set(native_names)
    native = sorted(name for name in OPS if name in native_names)
    decomposed = sorted(_decomposable(native_names))
    missing = sorted(set(OPS) - set(native) - set(decomposed))
    return native, decomposed, missing


def missing_kernel(op_name, backend_name):
    """A kernel that raises NotImplementedError naming the op, the backend and who implements it."""
    def raise_missing(*args, **kwargs):
        implementers = _registry().backends_implementing(op_name)
        where = ", ".join(implementers) if implementers else "no installed backend"
        raise MissingKernelError(
            f"op '{op_name}' is not implemented by backend '{backend_name}'; it is implemented by: {where}. "
            "Move the tensor there with .to(device) or add the kernel to the backend.", op_name, backend_name)
    raise_missing.missing = True
    raise_missing.dispatch_kind = "missing"
    return raise_missing


def _refill(device_type):
    backend = _BACKENDS.get(device_type)
    if backend is not None:
        _fill_all(device_type, backend)


@contextlib.contextmanager
def forced_decompositions(device_type, names=None):
    """Run ops ``names`` (default: every op with a decomposition) on ``device_type`` by their
    decomposition even where the backend has a native kernel; for checking that native kernels and
    decompositions agree.  Not thread-safe against other threads using that device type."""
    if names is None:
        names = [op.name for op in OPS.values() if op.decomposition is not None]
    with _overridden(device_type, {name: "decomposed" for name in names}):
        yield


@contextlib.contextmanager
def forced_missing(device_type, names):
    """Make ops ``names`` missing on ``device_type`` (neither native nor decomposed), as on a backend
    that cannot run them; for tests of the fallbacks and of the missing-kernel error."""
    with _overridden(device_type, {name: "missing" for name in names}):
        yield


@contextlib.contextmanager
def _overridden(device_type, overrides):
    backend_for_type(device_type)
    with _LOCK:
        previous = _FORCED.get(device_type)
        _FORCED[device_type] = {**(previous or {}), **overrides}
        _refill(device_type)
    try:
        yield
    finally:
        with _LOCK:
            if previous is None:
                _FORCED.pop(device_type, None)
            else:
                _FORCED[device_type] = previous
            _refill(device_type)


@contextlib.contextmanager
def observing(device_type):
    """Record which ops run on ``device_type`` inside the block: yields a set that fills with op names.

    Every op's kernel for that device type is swapped for a recording wrapper for the duration
    (and put back after), so the hot paths pay nothing outside the block.  For the conformance kit,
    which attributes each case to the declared ops it exercised.  Not thread-safe against other
    threads using that device type.
    """
    backend_for_type(device_type)
    seen = set()
    with _LOCK:
        saved = {name: (op.kernels.get(device_type), op.natives.get(device_type)) for name, op in OPS.items()}
        for name, op in list(OPS.items()):
            kernel, native_kernel = saved[name]
            if kernel is not None:
                op.kernels[device_type] = _observed(name, kernel, seen)
            if native_kernel is not None:
                op.natives[device_type] = _observed(name, native_kernel, seen)
    try:
        yield seen
    finally:
        with _LOCK:
            for name, (kernel, native_kernel) in saved.items():
                op = OPS.get(name)
                if op is None:
                    continue
                if kernel is not None:
                    op.kernels[device_type] = kernel
                if native_kernel is not None or device_type in op.natives:
                    op.natives[device_type] = native_kernel


def _observed(name, kernel, seen):
    def observed(*args):
        seen.add(name)
        return kernel(*args)
    observed.__name__ = getattr(kernel, "__name__", name)
    for attribute in ("dispatch_kind", "missing"):
        if hasattr(kernel, attribute):
            setattr(observed, attribute, getattr(kernel, attribute))
    return observed


def reset():
    """Forget every loaded backend and kernel table, and the registry's discovery (for tests)."""
    with _LOCK:
        _registry().reset()
        _BACKENDS.clear()
        for op in OPS.values():
            op.kernels.clear()
            op.natives.clear()
