"""``EngineDeclaration``: what a collective engine tells plexgrad before anything heavy is imported,
and the pluggy hook through which engines (built in or third party) declare themselves.

An engine is the distributed counterpart of an array backend: it moves the arrays of one or
more device types between processes (MPI for ``cpu``, JAX's collectives for ``jax``, NCCL for
``cuda``).  A third-party package adds one with an entry point in the group
``plexgrad.distributed_engines`` naming a module with a ``@hookimpl`` function
``plexgrad_collective_engines()`` (see docs/distributed.md).
"""

__all__ = ["EngineDeclaration", "EngineHooks", "hookimpl", "hookspec", "ENGINE_API_VERSION", "PROJECT"]

from dataclasses import dataclass, field
from typing import Callable, Tuple

import pluggy

PROJECT = "plexgrad_distributed"

ENGINE_API_VERSION = 1
"""The engine plugin API version this plexgrad speaks; a declaration for another is refused."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


def _always_available():
    return True, ""


@dataclass(frozen=True)
class EngineDeclaration:
    """A collective engine's self-description, returned from ``plexgrad_collective_engines``.

    - ``name``: the name users pass as ``init_process_group(backend=name)``, e.g. ``"mpi"``.
    - ``device_types``: the tensor device types it reduces, e.g. ``("cpu",)``.
    - ``api_version``: the engine API version it was written for, as a literal (``1``).
    - ``load``: a no-argument callable doing the heavy imports and returning the engine
      *class*: ``engine_class(context)`` starts the engine for one process group (see
      ``plexgrad.distributed.engine.CollectiveEngine``).
    - ``is_available``: a cheap no-argument callable returning ``(available, reason)``.
    """

    name: str
    device_types: Tuple[str, ...]
    api_version: int
    load: Callable[[], type]
    is_available: Callable[[], Tuple[bool, str]] = field(default=_always_available)
    description: str = ""


class EngineHooks:
    """The hook specification: one hook, called once per plugin when engines are first looked up."""

    @hookspec
    def plexgrad_collective_engines(self):
        """Return a list of ``plexgrad.distributed.EngineDeclaration``."""
