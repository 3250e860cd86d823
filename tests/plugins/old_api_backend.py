"""A plugin written for another plugin API version: reported ``incompatible``, never loaded."""

from plexgrad.backends import BackendDeclaration, hookimpl

__all__ = ["plexgrad_backends"]


def _load():
    raise AssertionError("an incompatible backend must never be loaded")


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="oldapi", device_types=("oldapi",), api_version=0, load=_load)]
