"""Backends: pluggy plugins that supply kernels for device types.

Write a backend by returning ``BackendDeclaration`` objects from a
``plexgrad_backends`` hook implementation and publishing the module under the
entry-point group ``plexgrad.backends``; see docs/backends.md.
"""

from .declaration import BackendDeclaration
from .hookspec import API_VERSION, hookimpl
from ..core.backend import Backend

__all__ = ["BackendDeclaration", "Backend", "API_VERSION", "hookimpl"]
