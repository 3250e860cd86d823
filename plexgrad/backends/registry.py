"""Backend discovery, once: built-in plugins, then the entry-point group ``plexgrad.backends``.

Each entry point is loaded and each plugin's hook called on its own, inside
try/except, so one broken plugin never stops the others.  Every backend ends up with
a status: ``active`` (loaded), ``available`` (not yet loaded), ``unavailable`` (its
availability check said no), ``failed`` (import, declaration or load went wrong),
``incompatible`` (wrong plugin API version) or ``conflict`` (it claims a device type or
name that another backend claims too).  Built-in backends always keep theirs, so a
plugin can never take over ``cpu``, ``jax`` or ``cuda``; plugins contesting one device
type all become ``conflict``.  Set ``PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD=1`` to skip entry
points.

Discovery runs on first use of a device (never at ``import plexgrad``); dispatch
then looks kernels up in plain dicts (``plexgrad.core.dispatch``), never through pluggy.
This module sits below dispatch and never imports it: it knows backends, not ops.
Discovery, availability checks and loading run under the core's re-entrant
``first_use_lock`` (``core/device.py``, the layer below; dispatch fills its kernel tables
under the same lock), so threads that use plexgrad for the first time at once all see the
finished registry.
"""

__all__ = ["BackendRecord", "records", "claimed_device_types", "load_backend_for", "backends_implementing", "reset",
           "reject", "failed_plugins",
           "describe", "autoload_disabled", "device_types", "ENTRY_POINT_GROUP", "AUTOLOAD_VARIABLE", "STATUSES"]

import importlib
import os
import traceback
from dataclasses import dataclass, field
from importlib import metadata

import pluggy

from ..core.device import first_use_lock as _LOCK
from .declaration import BackendDeclaration
from .hookspec import API_VERSION, PROJECT, BackendHooks

ENTRY_POINT_GROUP = "plexgrad.backends"
AUTOLOAD_VARIABLE = "PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD"
BUILTIN_PLUGINS = ("plexgrad.backends.numpy_be", "plexgrad.backends.jax_be", "plexgrad.backends.cupy_be",
                   "plexgrad.backends.array_api_be")
STATUSES = ("active", "available", "unavailable", "failed", "incompatible", "conflict")

_USABLE = ("active", "available")
_INSTALL_HINTS = {
    "jax": " Install it with: pip install 'plexgrad[jax]'.",
    "cuda": " Install CuPy for your CUDA version with: pip install 'plexgrad[cupy]'.",
}


@dataclass
class BackendRecord:
    """What the registry knows of one backend (or of a plugin that failed before declaring one).

    ``status`` is one of ``STATUSES`` and ``reason`` says why it is not usable;
    ``ops`` is the declared coverage until the backend is loaded, then the real one.
    """

    name: str
    plugin: str
    distribution: str
    version: str
    device_types: tuple = ()
    status: str = "available"
    reason: str = ""
    declaration: BackendDeclaration = None
    backend: object = None
    ops: frozenset = field(default_factory=frozenset)

    @property
    def usable(self):
        """True while the backend is loaded or may still be loaded."""
        return self.status in _USABLE


class _Registry:
    def __init__(self):
        self.records = []
        self.by_device_type = {}
        self.by_name = {}
        self.discovered = False
        self.autoload = True

    def discover(self):
        if self.discovered:  # set only once discovery is complete: no lock needed from then on
            return
        with _LOCK:
            if not self.discovered:
                self._discover()
                self.discovered = True

    def _discover(self):
        manager = pluggy.PluginManager(PROJECT)
        manager.add_hookspecs(BackendHooks)
        for module_name in BUILTIN_PLUGINS:
            plugin = self._register(manager, lambda: importlib.import_module(module_name), module_name,
                                    module_name, "plexgrad", _plexgrad_version())
            if plugin is not None:
                self._declare(manager, plugin, module_name, "plexgrad", _plexgrad_version())
        self.autoload = not autoload_disabled()
        if self.autoload:
            for entry_point in _entry_points():
                distribution = getattr(entry_point, "dist", None)
                dist_name = distribution.name if distribution is not None else "unknown distribution"
                dist_version = distribution.version if distribution is not None else "?"
                plugin = self._register(manager, entry_point.load, entry_point.name, entry_point.value,
                                        dist_name, dist_version)
                if plugin is not None:
                    self._declare(manager, plugin, entry_point.value, dist_name, dist_version)
        self._resolve_claims()

    def _register(self, manager, load, name, plugin_name, dist_name, dist_version):
        """Import one plugin and register it with pluggy; a failure becomes a ``failed`` record."""
        try:
            plugin = load()
            manager.register(plugin, name=f"{dist_name}:{plugin_name}")
        except (Exception, SystemExit) as error:
            self._fail(name, plugin_name, dist_name, dist_version,
                       f"plugin {plugin_name} could not be loaded: {_describe(error)}")
            return None
        return plugin

    def _declare(self, manager, plugin, plugin_name, dist_name, dist_version):
        implementations = [impl for impl in manager.hook.plexgrad_backends.get_hookimpls() if impl.plugin is plugin]
        if not implementations:
            self._fail(plugin_name, plugin_name, dist_name, dist_version,
                       "plugin defines no @hookimpl plexgrad_backends() (from plexgrad.backends import hookimpl)")
            return
        for implementation in implementations:
            try:
                declarations = implementation.function()
            except (Exception, SystemExit) as error:
                self._fail(plugin_name, plugin_name, dist_name, dist_version,
                           f"plexgrad_backends() raised: {_describe(error)}")
                continue
            if isinstance(declarations, BackendDeclaration):
                declarations = [declarations]
            if not isinstance(declarations, (list, tuple)):
                self._fail(plugin_name, plugin_name, dist_name, dist_version,
                           f"plexgrad_backends() returned {type(declarations).__name__}; "
                           "return a list of BackendDeclaration")
                continue
            for declaration in declarations:
                self._add(declaration, plugin_name, dist_name, dist_version)

    def _fail(self, name, plugin_name, dist_name, dist_version, reason):
        self.records.append(BackendRecord(
            name=name, plugin=plugin_name, distribution=dist_name, version=dist_version,
            status="failed", reason=reason))

    def _add(self, declaration, plugin_name, dist_name, dist_version):
        problem = _declaration_problem(declaration)
        if problem:
            name = getattr(declaration, "name", None)
            self._fail(name if isinstance(name, str) and name else plugin_name, plugin_name, dist_name,
                       dist_version, f"invalid declaration: {problem}")
            return
        device_types = (declaration.device_types,) if isinstance(declaration.device_types, str) \
            else tuple(declaration.device_types)
        record = BackendRecord(
            name=declaration.name, plugin=plugin_name, distribution=dist_name, version=dist_version,
            device_types=device_types, declaration=declaration, ops=frozenset(declaration.ops or ()))
        self.records.append(record)
        if declaration.api_version != API_VERSION:
            record.status = "incompatible"
            record.reason = (f"written for plugin API version {declaration.api_version}, this plexgrad speaks "
                             f"version {API_VERSION}; install a version of {dist_name} made for this plexgrad")

    def _resolve_claims(self):
        """Give each device type (and backend name) to one backend.  Built-ins always keep
        theirs; when several plugins claim the same one, none of them gets it: which plugin
        would win is an accident of install order, so every claimant is marked ``conflict``."""
        claimants = {}
        for record in self.records:
            if record.declaration is None or record.status == "incompatible":
                continue
            for key in [("backend name", record.name)] + [("device type", d) for d in record.device_types]:
                claimants.setdefault(key, []).append(record)
        for (kind, value), contenders in claimants.items():
            if len(contenders) < 2:
                continue
            builtin = contenders[0] if contenders[0].plugin in BUILTIN_PLUGINS else None
            for record in contenders:
                if record is builtin:
                    continue
                if builtin is not None:
                    rivals, what = [builtin], "belongs to the built-in"
                else:
                    rivals, what = [other for other in contenders if other is not record], "is also claimed by"
                others = "; ".join(f"backend '{other.name}' ({other.plugin} from {other.distribution})"
                                   for other in rivals)
                advice = f"uninstall {record.distribution}" if builtin is not None else \
                    "uninstall one of the distributions"
                reason = f"{kind} '{value}' {what} {others}; {advice}"
                if record.status != "conflict":
                    record.status, record.reason = "conflict", reason
        for record in self.records:
            if record.declaration is not None and record.status == "available":
                self.by_name[record.name] = record
                for device_type in record.device_types:
                    self.by_device_type[device_type] = record

    def check_available(self, record):
        if record.status != "available":
            return
        with _LOCK:
            if record.status == "available":
                self._check_available(record)

    def _check_available(self, record):
        try:
            result = record.declaration.is_available()
            available, reason = (result, "") if isinstance(result, bool) else result
        except (Exception, SystemExit) as error:
            record.status, record.reason = "failed", f"availability check raised: {_describe(error)}"
            return
        if not available:
            record.status, record.reason = "unavailable", reason or "its availability check returned False"

    def load(self, record):
        if record.status == "active":
            return record.backend
        with _LOCK:
            return self._load(record)

    def _load(self, record):
        self.check_available(record)
        if record.status == "active":
            return record.backend
        if record.status != "available":
            return None
        from ..core.backend import Backend
        try:
            backend = record.declaration.load()
        except (Exception, SystemExit) as error:
            record.status, record.reason = "failed", f"load() raised: {_describe(error)}"
            return None
        if not isinstance(backend, Backend):
            record.status = "failed"
            record.reason = f"load() returned {type(backend).__name__}, not a plexgrad.backends.Backend"
            return None
        record.backend = backend
        record.ops = frozenset(backend.kernels)
        record.reason = ""
        record.status = "active"  # last: a thread that sees "active" without the lock finds the backend set
        return backend


def _declaration_problem(declaration):
    """Why ``declaration`` cannot be used, or '' when it can."""
    if not isinstance(declaration, BackendDeclaration):
        return f"got {type(declaration).__name__}, not a BackendDeclaration"
    if not isinstance(declaration.name, str) or not declaration.name:
        return f"name must be a non-empty string, got {declaration.name!r}"
    device_types = (declaration.device_types,) if isinstance(declaration.device_types, str) \
        else declaration.device_types
    if not device_types:
        return "device_types is empty; name at least one device type, e.g. ('toy',)"
    for device_type in device_types:
        if not isinstance(device_type, str) or not device_type.replace("_", "").isalnum():
            return f"device type {device_type!r} must be letters, digits and '_' (no ':index')"
    if not callable(declaration.load):
        return "load must be a callable returning a plexgrad.backends.Backend"
    if not callable(declaration.is_available):
        return "is_available must be a callable returning (available, reason)"
    return ""


def _describe(error):
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if not frame.filename.startswith("<")]
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _entry_points():
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda entry_point: entry_point.name)


def _plexgrad_version():
    from .. import __version__
    return __version__


_registry = _Registry()


def autoload_disabled():
    """True when ``PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD`` is set to anything but '', '0', 'false', 'no' or 'off'."""
    return os.environ.get(AUTOLOAD_VARIABLE, "").strip().lower() not in ("", "0", "false", "no", "off")


def records():
    """All backend records, discovering plugins on first call; availability is checked (cheaply)
    so each record's ``status`` is current, but nothing is loaded."""
    registry = _registry
    registry.discover()
    for record in registry.records:
        registry.check_available(record)
    return list(registry.records)


def claimed_device_types():
    """Every device type some discovered backend declares (no availability check, nothing loaded)."""
    _registry.discover()
    return set(_registry.by_device_type).union(*(record.device_types for record in _registry.records))


def device_types():
    """The device types held by a backend (not lost to a conflict or an API mismatch), whether or
    not that backend is available here."""
    _registry.discover()
    return sorted(_registry.by_device_type)


def load_backend_for(device_type):
    """The loaded backend for ``device_type``, or RuntimeError saying why there is none."""
    _registry.discover()
    record = _registry.by_device_type.get(device_type)
    if record is None:
        claimants = [claimant for claimant in _registry.records if device_type in claimant.device_types]
        if claimants:
            details = "; ".join(f"backend '{claimant.name}' ({claimant.distribution}) is {claimant.status}: "
                                f"{claimant.reason}" for claimant in claimants)
            raise RuntimeError(f"device type '{device_type}' cannot be used: {details}. "
                               "Run `python -m plexgrad.backends` to list backends and their status.")
        known = ", ".join(sorted(_registry.by_device_type)) or "none"
        hint = " (plugin autoloading is off: unset PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD)" if not _registry.autoload else ""
        failed = failed_plugins()
        if failed:  # one of them may have been meant to serve it: say which failed and why
            hint += "; plugins that failed to load (one may be meant to serve it): " + "; ".join(
                f"{record.plugin} from {record.distribution} {record.version}: {record.reason}" for record in failed)
        raise RuntimeError(
            f"no backend serves device type '{device_type}'; known device types: {known}{hint}. "
            "Run `python -m plexgrad.backends` to list backends and their status."
        )
    backend = _registry.load(record)
    if backend is None:
        hint = "" if "pip install" in record.reason else _INSTALL_HINTS.get(device_type, "")
        raise RuntimeError(
            f"device type '{device_type}' cannot be used: backend '{record.name}' "
            f"({record.distribution}) is {record.status}: {record.reason}.{hint}"
        )
    return backend


def reject(device_type, reason):
    """Mark the backend serving ``device_type`` ``incompatible`` with ``reason`` (dispatch calls this
    when a loaded backend's kernels do not fit the declared ops); it is never used after."""
    with _LOCK:
        record = _registry.by_device_type.get(device_type)
        if record is not None:
            record.status, record.reason, record.backend = "incompatible", reason, None


def failed_plugins():
    """The records of plugins that failed before declaring any device type (import or hook errors)."""
    _registry.discover()
    return [record for record in _registry.records if record.status == "failed" and not record.device_types]


def backends_implementing(op_name):
    """Names of the usable backends whose declared (or loaded) coverage includes ``op_name``."""
    return [record.name for record in records() if op_name in record.ops and record.usable]


def describe(load=True):
    """One dict per backend for listings: name, distribution, version, plugin, device_types, status,
    reason and ``ops``, the sorted names of the kernels it supplies (``None`` where unknown).

    With ``load=True`` every available backend is loaded first, so the status reads
    ``active`` and ``ops`` is the real kernel table (this imports jax if it is installed).
    How those kernels cover the core's ops is dispatch's business (``plexgrad.core.dispatch.coverage``).
    """
    rows = []
    for record in records():
        if load and record.status == "available":
            _registry.load(record)
        known = record.backend is not None or (record.declaration is not None and record.declaration.ops is not None)
        rows.append({
            "name": record.name, "distribution": record.distribution, "version": record.version,
            "plugin": record.plugin, "device_types": list(record.device_types), "status": record.status,
            "reason": record.reason, "ops": sorted(record.ops) if known else None,
        })
    return rows


def reset():
    """Forget discovery (for tests; ``plexgrad.core.dispatch.reset`` also forgets the kernel tables)."""
    global _registry
    with _LOCK:
        _registry = _Registry()
