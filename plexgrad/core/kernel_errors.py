"""Turning a backend's kernel failures into torch's exception types.

A backend names, in ``Backend(errors=...)``, the exception classes its library raises
for a singular matrix, an index out of range and a failed allocation; the core matches
the raised error against those classes (never against a class *name*) and raises
torch's type: ``plexgrad.linalg.LinAlgError``, ``IndexError``, ``plexgrad.OutOfMemoryError``.
"""

__all__ = ["OutOfMemoryError", "LinAlgError", "translated", "kind_of"]


class OutOfMemoryError(RuntimeError):
    """A backend could not allocate memory (torch.OutOfMemoryError)."""


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (torch.linalg.LinAlgError; re-exported as
    ``plexgrad.linalg.LinAlgError``)."""


def kind_of(error, backend):
    """Which of the backend's declared error kinds ``error`` is (``"singular"``, ``"index"``,
    ``"allocation"``), or None."""
    for kind, classes in backend.errors.items():
        if classes and isinstance(error, classes):
            return kind
    return None


def translated(error, backend, what):
    """torch's exception for a kernel ``error`` of a declared kind (``what`` names the op and its
    inputs for the message), or None when the error is of no declared kind."""
    kind = kind_of(error, backend)
    if kind == "singular":
        return LinAlgError(f"{what}: {error}")
    if kind == "index":
        return error if type(error) is IndexError else IndexError(f"{what}: {error}")
    if kind == "allocation":
        return OutOfMemoryError(f"{what}: {backend.name} could not allocate memory: {error}")
    return None
