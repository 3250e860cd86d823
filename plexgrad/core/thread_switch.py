"""``ThreadSwitch``: the base of plexgrad's per-thread on/off switches (grad mode, host checks).

A switch sets ``state.enabled`` (a ``threading.local``) to its ``target`` while its block
runs and restores the previous value on exit, in the calling thread only.  It also
decorates functions (each call enters a fresh switch).  The values to restore are kept
per thread, so one instance (say a module-level ``no_grad()``) may be entered by several
threads at once.
"""

__all__ = ["ThreadSwitch"]

import functools
import threading


class ThreadSwitch:
    """Set ``state.enabled`` to ``target`` inside the block, in this thread; nests; also a decorator.

    Subclasses name ``state`` (the per-thread object) and ``target``.
    """

    state = None
    target = True

    def __init__(self):
        self._previous = {}

    def __enter__(self):
        state = self.state
        self._previous.setdefault(threading.get_ident(), []).append(state.enabled)
        state.enabled = self.target
        return self

    def __exit__(self, *exc_info):
        thread = threading.get_ident()
        stack = self._previous[thread]
        self.state.enabled = stack.pop()
        if not stack:
            del self._previous[thread]
        return False

    def clone(self):
        """A fresh switch with the same target (each decorated call enters its own)."""
        return self.__class__()

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.clone():
                return function(*args, **kwargs)
        return wrapper
