"""Backend discovery, once: built-in plugins, then the entry-point group ``plexgrad.backends``.

Each entry point is loaded and each plugin's hook called on its own, inside
try/except, so one broken plugin never stops the others.  Every backend ends up with
a status: ``active`` (loaded), ``available`` (not yet loaded), ``unavailable`` (its
availability check said no), ``failed`` (import or load raised), ``incompatible``
(wrong plugin API version) or ``conflict`` (another backend already serves its
device type).  Set ``PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD=1`` to skip entry points.
"""

__all__ = ["BackendRecord", "records", "load_backend_for", "backends_implementing", "reset",
           "ENTRY_POINT_GROUP", "device_types"]

import importlib
import os
import traceback
from dataclasses import dataclass, field
from importlib import metadata

import pluggy

from .declaration import BackendDeclaration
from .hookspec import API_VERSION, PROJECT, BackendHooks

ENTRY_POINT_GROUP = "plexgrad.backends"
BUILTIN_PLUGINS = ("plexgrad.backends.numpy_be", "plexgrad.backends.jax_be", "plexgrad.backends.cupy_be")


@dataclass
class BackendRecord:
    """What the registry knows of one backend (or of a plugin that failed before declaring one)."""

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


class _Registry:
    def __init__(self):
        self.records = []
        self.by_device_type = {}
        self.discovered = False

    def discover(self):
        if self.discovered:
            return
        self.discovered = True
        manager = pluggy.PluginManager(PROJECT)
        manager.add_hookspecs(BackendHooks)
        sources = []
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            manager.register(module, name=module_name)
            sources.append((module, module_name, "plexgrad", _plexgrad_version()))
        if os.environ.get("PLEXGRAD_DISABLE_PLUGIN_AUTOLOAD", "").strip() not in ("", "0"):
            pass
        else:
            for entry_point in _entry_points():
                distribution = getattr(entry_point, "dist", None)
                dist_name = distribution.name if distribution is not None else "unknown"
                dist_version = distribution.version if distribution is not None else "?"
                try:
                    plugin = entry_point.load()
                    manager.register(plugin, name=f"{dist_name}:{entry_point.name}")
                except Exception as error:
                    self.records.append(BackendRecord(
                        name=entry_point.name, plugin=entry_point.value, distribution=dist_name,
                        version=dist_version, status="failed",
                        reason=f"entry point failed to load: {_describe(error)}"))
                    continue
                sources.append((plugin, entry_point.value, dist_name, dist_version))
        for plugin, plugin_name, dist_name, dist_version in sources:
            self._declare(manager, plugin, plugin_name, dist_name, dist_version)

    def _declare(self, manager, plugin, plugin_name, dist_name, dist_version):
        implementations = [impl for impl in manager.hook.plexgrad_backends.get_hookimpls() if impl.plugin is plugin]
        if not implementations:
            self.records.append(BackendRecord(
                name=plugin_name, plugin=plugin_name, distribution=dist_name, version=dist_version,
                status="failed", reason="plugin defines no plexgrad_backends hook implementation"))
            return
        for implementation in implementations:
            try:
                declarations = list(implementation.function())
            except Exception as error:
                self.records.append(BackendRecord(
                    name=plugin_name, plugin=plugin_name, distribution=dist_name, version=dist_version,
                    status="failed", reason=f"plexgrad_backends hook raised: {_describe(error)}"))
                continue
            for declaration in declarations:
                self._add(declaration, plugin_name, dist_name, dist_version)

    def _add(self, declaration, plugin_name, dist_name, dist_version):
        if not isinstance(declaration, BackendDeclaration):
            self.records.append(BackendRecord(
                name=plugin_name, plugin=plugin_name, distribution=dist_name, version=dist_version,
                status="failed", reason=f"hook returned {type(declaration).__name__}, not a BackendDeclaration"))
            return
        record = BackendRecord(
            name=declaration.name, plugin=plugin_name, distribution=dist_name, version=dist_version,
            device_types=tuple(declaration.device_types), declaration=declaration,
            ops=frozenset(declaration.ops or ()))
        self.records.append(record)
        if declaration.api_version != API_VERSION:
            record.status = "incompatible"
            record.reason = (f"written for plugin API version {declaration.api_version}, "
                             f"this plexgrad speaks version {API_VERSION}")
            return
        for device_type in record.device_types:
            holder = self.by_device_type.get(device_type)
            if holder is not None:
                record.status = "conflict"
                record.reason = (f"device type '{device_type}' is already served by backend '{holder.name}' "
                                 f"from {holder.distribution}; uninstall one of the two distributions")
                return
        for device_type in record.device_types:
            self.by_device_type[device_type] = record

    def check_available(self, record):
        if record.status != "available":
            return
        try:
            available, reason = record.declaration.is_available()
        except Exception as error:
            record.status, record.reason = "failed", f"availability check raised: {_describe(error)}"
            return
        if not available:
            record.status, record.reason = "unavailable", reason or "availability check returned False"

    def load(self, record):
        self.check_available(record)
        if record.status == "active":
            return record.backend
        if record.status != "available":
            return None
        try:
            backend = record.declaration.load()
        except Exception as error:
            record.status, record.reason = "failed", f"load() raised: {_describe(error)}"
            return None
        record.backend = backend
        record.status = "active"
        record.ops = frozenset(backend.kernels)
        return backend


def _describe(error):
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (at {frame[0].filename}:{frame[0].lineno})" if frame else ""
    return f"{type(error).__name__}: {error}{where}"


def _entry_points():
    found = metadata.entry_points()
    if hasattr(found, "select"):
        return sorted(found.select(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    return sorted(found.get(ENTRY_POINT_GROUP, []), key=lambda ep: ep.name)


def _plexgrad_version():
    from .. import __version__
    return __version__


_registry = _Registry()


def records():
    """All backend records, discovering plugins on first call."""
    _registry.discover()
    return list(_registry.records)


def device_types():
    _registry.discover()
    return sorted(_registry.by_device_type)


def load_backend_for(device_type):
    """The loaded backend for ``device_type``, or RuntimeError saying why there is none."""
    _registry.discover()
    record = _registry.by_device_type.get(device_type)
    if record is None:
        known = ", ".join(sorted(_registry.by_device_type)) or "none"
        raise RuntimeError(
            f"no backend serves device type '{device_type}'; known device types: {known}. "
            "Run `python -m plexgrad.backends` to list backends and their status."
        )
    backend = _registry.load(record)
    if backend is None:
        hint = ""
        if device_type == "jax":
            hint = " Install it with: pip install 'plexgrad[jax]'."
        elif device_type == "cuda":
            hint = " Install CuPy for your CUDA version with: pip install 'plexgrad[cupy]'."
        raise RuntimeError(
            f"device type '{device_type}' cannot be used: backend '{record.name}' "
            f"({record.distribution}) is {record.status}: {record.reason}.{hint}"
        )
    return backend


def backends_implementing(op_name):
    """Names of the backends whose declared (or loaded) coverage includes ``op_name``."""
    _registry.discover()
    return [record.name for record in _registry.records
            if op_name in record.ops and record.status in ("active", "available")]


def reset():
    """Forget discovery (for tests); loaded kernel tables in the core are cleared too."""
    global _registry
    _registry = _Registry()
    from ..core import dispatch
    dispatch._BACKENDS.clear()
    for op in dispatch.OPS.values():
        op.kernels.clear()
