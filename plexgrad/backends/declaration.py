"""``BackendDeclaration``: what a backend tells plexgrad before anything heavy is imported."""

__all__ = ["BackendDeclaration"]

from dataclasses import dataclass, field
from typing import Callable, Collection, Optional, Tuple


def _always_available():
    return True, ""


@dataclass(frozen=True)
class BackendDeclaration:
    """A backend's self-description, returned from the ``plexgrad_backends`` hook.

    - ``name``: short backend name, e.g. ``"numpy"``; unique among installed backends.
    - ``device_types``: device types it serves, e.g. ``("cpu",)`` (a single string is
      taken as one device type); letters, digits and ``_``.
    - ``api_version``: the plugin API version it was written for, written as a literal
      (``1``); a declaration for another version is reported ``incompatible``.
    - ``ops``: names of the ops it implements, for listings before it is loaded
      (None: unknown until loaded; once loaded, its kernel dict is the truth).
    - ``load``: a no-argument callable doing the heavy imports and returning a
      ``plexgrad.core.backend.Backend``; called on first use of one of its devices.
    - ``is_available``: a no-argument callable returning ``(available, reason)``,
      e.g. ``(False, "no CUDA device")``; it must be cheap and import nothing heavy
      that ``load`` would not.

    See docs/backends.md for a complete, installable example.
    """

    name: str
    device_types: Tuple[str, ...]
    api_version: int
    load: Callable[[], object]
    ops: Optional[Collection[str]] = None
    is_available: Callable[[], Tuple[bool, str]] = field(default=_always_available)
    description: str = ""
