"""``BackendDeclaration``: what a backend tells plexgrad before anything heavy is imported."""

__all__ = ["BackendDeclaration"]

from dataclasses import dataclass, field
from typing import Callable, Collection, Optional, Tuple


def _always_available():
    return True, ""


@dataclass(frozen=True)
class BackendDeclaration:
    """A backend's self-description, returned from the ``plexgrad_backends`` hook.

    - ``name``: short backend name, e.g. ``"numpy"``.
    - ``device_types``: device types it serves, e.g. ``("cpu",)``.
    - ``api_version``: the plugin API version it was written for (``hookspec.API_VERSION``).
    - ``ops``: names of the ops it implements (None: learned when loaded).
    - ``load``: a no-argument callable doing the heavy imports and returning a
      ``plexgrad.core.backend.Backend``; called on first use of one of its devices.
    - ``is_available``: a no-argument callable returning ``(available, reason)``,
      e.g. ``(False, "no CUDA device")``; it must be cheap and import nothing heavy
      that ``load`` would not.
    """

    name: str
    device_types: Tuple[str, ...]
    api_version: int
    load: Callable[[], object]
    ops: Optional[Collection[str]] = None
    is_available: Callable[[], Tuple[bool, str]] = field(default=_always_available)
    description: str = ""
