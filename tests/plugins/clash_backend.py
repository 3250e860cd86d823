"""A plugin claiming device types that other backends already serve: both claims are ``conflict``."""

from plexgrad.backends import BackendDeclaration, hookimpl

__all__ = ["plexgrad_backends"]


def _load():
    raise AssertionError("a backend in conflict must never be loaded")


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="fakecpu", device_types=("cpu",), api_version=1, load=_load),
            BackendDeclaration(name="toytwin", device_types=("toy",), api_version=1, load=_load)]
