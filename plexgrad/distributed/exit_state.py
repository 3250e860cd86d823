"""How a rank leaves: a rank that failed (an uncaught exception, a non-zero ``sys.exit`` under the
launcher, a broken group) exits at once, skipping its engines' shutdowns (``MPI_Finalize``,
``jax.distributed.shutdown``), which wait for every peer and would hang on a dead one."""

__all__ = ["record_exit_code", "install", "leave_now", "failing", "on_leave_now"]

import atexit
import os
import sys

_EXIT = {"code": None, "failed": False, "installed": False}
_CLEANUPS = []


def on_leave_now(cleanup):
    """Run ``cleanup()`` if this rank leaves without its engines' shutdown (what the shutdown
    would have released: MPICH's shared-memory file)."""
    _CLEANUPS.append(cleanup)


def record_exit_code(code):
    """The status to exit with when leaving without the engines' shutdown (the launcher's wrapper
    records its script's ``sys.exit`` code here)."""
    _EXIT["code"] = code


def failing():
    """True once this rank raised an uncaught exception or recorded a non-zero exit code."""
    return _EXIT["failed"] or bool(_EXIT["code"])


def leave_now(code=None):
    """Exit now, without the engines' shutdown."""
    for cleanup in _CLEANUPS:
        try:
            cleanup()
        except Exception:
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    if code is None:
        code = _EXIT["code"] if _EXIT["code"] is not None else 1
    os._exit(code)


def _leave_if_failing(group):
    if group.broken is not None or failing():
        leave_now()


def install(group):
    """Called once the group's engines have started: the check above then runs at exit before any
    engine's shutdown (registered earlier), and uncaught exceptions mark this rank as failing."""
    atexit.register(_leave_if_failing, group)
    if not _EXIT["installed"]:
        _EXIT["installed"] = True
        original = sys.excepthook

        def excepthook(kind, value, trace):
            original(kind, value, trace)
            _EXIT["failed"] = True  # the peers may be waiting for this rank: do not wait for them
        sys.excepthook = excepthook
