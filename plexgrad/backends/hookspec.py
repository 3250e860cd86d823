"""The pluggy hook through which every backend, built in or third party, declares itself."""

__all__ = ["PROJECT", "API_VERSION", "hookimpl", "hookspec", "BackendHooks"]

import pluggy

PROJECT = "plexgrad"

API_VERSION = 1
"""The plugin API version this plexgrad speaks; a declaration for another is reported incompatible."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class BackendHooks:
    """The hook specification: one hook, called once per plugin at discovery (never per op)."""

    @hookspec
    def plexgrad_backends(self):
        """Return a list of ``plexgrad.backends.BackendDeclaration`` for the backends this plugin provides.

        Implement it as a module-level function decorated with ``plexgrad.backends.hookimpl``
        in the module your ``plexgrad.backends`` entry point names; keep that module cheap
        to import (heavy imports belong in the declaration's ``load``).
        """
