"""Finding collective engines: the built-in ones, then the entry-point group
``plexgrad.distributed_engines``, each plugin imported and asked on its own (one broken plugin
never hides the others), once per process.  Lookups after that are plain dict reads."""

__all__ = ["ENGINE_ENTRY_POINT_GROUP", "EngineRecord", "records", "record_named", "default_engine_for", "reset"]

import importlib
import threading
from dataclasses import dataclass
from importlib import metadata

import pluggy

from .declaration import ENGINE_API_VERSION, PROJECT, EngineDeclaration, EngineHooks

ENGINE_ENTRY_POINT_GROUP = "plexgrad.distributed_engines"
_BUILTIN = "plexgrad.distributed.builtin_engines"
_LOCK = threading.Lock()


@dataclass
class EngineRecord:
    """One engine as discovered: its declaration (None when the plugin failed), where it came
    from, and why it cannot be used (``problem``, '' when it can)."""

    name: str
    source: str
    declaration: EngineDeclaration = None
    problem: str = ""

    def availability(self):
        """``(available, reason)``: the declaration's own check, after discovery problems."""
        if self.problem:
            return False, self.problem
        try:
            result = self.declaration.is_available()
        except Exception as error:  # a plugin's check must not break discovery
            return False, f"its availability check raised {type(error).__name__}: {error}"
        return (result, "") if isinstance(result, bool) else result


_records = None


def _discover():
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(EngineHooks)
    found = []
    sources = [(_BUILTIN, lambda: importlib.import_module(_BUILTIN))]
    for entry_point in sorted(metadata.entry_points(group=ENGINE_ENTRY_POINT_GROUP), key=lambda e: e.name):
        distribution = getattr(entry_point, "dist", None)
        label = f"{entry_point.value} from {distribution.name if distribution is not None else 'unknown'}"
        sources.append((label, entry_point.load))
    for label, load in sources:
        try:
            plugin = load()
            manager.register(plugin, name=label)
            implementations = [impl for impl in manager.hook.plexgrad_collective_engines.get_hookimpls()
                               if impl.plugin is plugin]
            if not implementations:
                raise TypeError("it defines no @hookimpl plexgrad_collective_engines()")
            declarations = [declaration for impl in implementations for declaration in impl.function()]
        except Exception as error:
            found.append(EngineRecord(label, label, problem=f"plugin {label} failed: {type(error).__name__}: {error}"))
            continue
        for declaration in declarations:
            found.append(_record(declaration, label))
    names = {}
    for record in found:
        if record.declaration is not None and not record.problem:
            if record.name in names:
                record.problem = (f"engine name '{record.name}' is already taken by {names[record.name].source}; "
                                  f"uninstall one of them")
            else:
                names[record.name] = record
    return found


def _record(declaration, label):
    if not isinstance(declaration, EngineDeclaration):
        return EngineRecord(label, label, problem=f"{label} returned {type(declaration).__name__}, "
                                                  "not an EngineDeclaration")
    record = EngineRecord(declaration.name, label, declaration)
    if declaration.api_version != ENGINE_API_VERSION:
        record.problem = (f"written for engine API version {declaration.api_version}; this plexgrad speaks "
                          f"version {ENGINE_API_VERSION}")
    return record


def records():
    """Every discovered engine (built-in first), discovering them on the first call."""
    global _records
    if _records is None:
        with _LOCK:
            if _records is None:
                _records = _discover()
    return list(_records)


def record_named(name):
    """The usable record of the engine called ``name``, or ValueError listing the known ones."""
    for record in records():
        if record.name == name and record.declaration is not None:
            available, reason = record.availability()
            if not available:
                raise RuntimeError(f"collective engine '{name}' cannot be used: {reason}")
            return record
    known = ", ".join(f"{r.name} ({'/'.join(r.declaration.device_types)})" for r in records()
                      if r.declaration is not None)
    raise ValueError(f"unknown collective engine '{name}'; known engines: {known}. Pass one of them as "
                     f"init_process_group(backend=...), or 'device_type:engine' pairs like 'cpu:mpi,jax:jax'")


def default_engine_for(device_type):
    """The first available engine that serves ``device_type`` (built-in ones come first), or None."""
    for record in records():
        if record.declaration is not None and device_type in record.declaration.device_types:
            if record.availability()[0]:
                return record
    return None


def reset():
    """Forget discovery (for tests that install a plugin)."""
    global _records
    with _LOCK:
        _records = None
