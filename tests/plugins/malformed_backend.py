"""A plugin returning malformed declarations: each becomes a ``failed`` record with the reason;
a plain string device type is accepted as one device type."""

from plexgrad.backends import BackendDeclaration, hookimpl

__all__ = ["plexgrad_backends"]


def _load():
    raise AssertionError("a malformed declaration must never be loaded")


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="badtype", device_types=("bad:0",), api_version=1, load=_load),
            "not a declaration",
            BackendDeclaration(name="notcallable", device_types=("nc",), api_version=1, load=None),
            BackendDeclaration(name="stringtype", device_types="stringtype", api_version=1, load=_load,
                               is_available=lambda: False)]
