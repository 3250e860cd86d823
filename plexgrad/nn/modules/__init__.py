"""The layer classes of ``plexgrad.nn`` (each file one family)."""

from .module import Module, RemovableHandle

__all__ = ["Module", "RemovableHandle"]
