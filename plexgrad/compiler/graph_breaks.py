"""Graph breaks: where in the user's code a traced step stopped, said once, or raised.

A traced step stops where its Python needs a value the program does not have yet
(``loss.item()``, ``if tensor > 0:``, ``tensor.numpy()``) or does something a program
cannot replay (a host random draw).  The step then runs eagerly (``fullgraph=False``,
with one warning naming the line) or the error is raised (``fullgraph=True``).
"""

__all__ = ["GraphBreakWarning", "GraphBreakError", "CompileWarning", "user_frame", "describe_break"]

import os
import traceback

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_MARKERS = (os.sep + "jax" + os.sep, os.sep + "jaxlib" + os.sep, os.sep + "numpy" + os.sep)


class GraphBreakWarning(UserWarning):
    """A compiled step runs eagerly because of a graph break (the message names the line)."""


class CompileWarning(UserWarning):
    """``plexgrad.compile`` cannot compile here and runs eagerly (the message says why)."""


class GraphBreakError(RuntimeError):
    """A graph break inside ``plexgrad.compile(..., fullgraph=True)``."""


def _is_library(filename):
    filename = os.path.abspath(filename)
    return filename.startswith(_PACKAGE + os.sep) or any(marker in filename for marker in _LIBRARY_MARKERS) \
        or filename.startswith("<")


def user_frame(error):
    """``(filename, line number, source line)`` of the innermost frame of the user's code in
    ``error``'s traceback (outside plexgrad, jax and numpy), or None."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if not _is_library(frame.filename):
            return frame.filename, frame.lineno, (frame.line or "").strip()
    return None


def describe_break(error, function_name):
    """The message for a graph break caused by ``error``."""
    where = user_frame(error)
    place = f"{where[0]}:{where[1]}: {where[2]}" if where else "(no line outside plexgrad found)"
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (f"plexgrad.compile: graph break in {function_name} at {place}\n  reason: {type(error).__name__}: "
            f"{reason}\n  the step runs eagerly (correct, not compiled). To compile it, move value reads "
            "(.item(), bool(tensor), .numpy(), printing) and data-dependent Python control flow out of the "
            "compiled function and return the tensors instead; fullgraph=True raises here."), where
