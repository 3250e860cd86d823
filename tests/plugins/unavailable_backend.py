"""Plugins that cannot be used here: one whose availability check says no, one whose load() fails."""

from plexgrad.backends import BackendDeclaration, hookimpl

__all__ = ["plexgrad_backends"]


def _never_load():
    raise AssertionError("an unavailable backend must never be loaded")


def _failing_load():
    raise OSError("frobnicator driver version 3 required, found 2")


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="frob", device_types=("frob",), api_version=1, load=_never_load,
                               is_available=lambda: (False, "no frobnicator card found")),
            BackendDeclaration(name="frobfail", device_types=("frobfail",), api_version=1, load=_failing_load)]
