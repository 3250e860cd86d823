"""Switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a function decorator, as in torch.
"""

__all__ = ["state", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]

import functools


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


state = _GradState()


def is_grad_enabled():
    """True when operations record a graph for autograd."""
    return state.enabled


class _GradModeContext:
    """Base for the grad-mode switches: a context manager that also decorates functions."""

    target = True

    def __init__(self):
        self._previous = []

    def __enter__(self):
        self._previous.append(state.enabled)
        state.enabled = self.target
        return self

    def __exit__(self, *exc_info):
        state.enabled = self._previous.pop()
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: ``with plexgrad.no_grad(): ...`` or ``@plexgrad.no_grad()``."""

    target = False

    def __new__(cls, function=None):
        instance = super().__new__(cls)
        if callable(function):  # used bare as @no_grad
            instance.__init__()
            return instance(function)
        return instance

    def __init__(self, function=None):
        super().__init__()


class inference_mode(no_grad):
    """Same as ``no_grad`` here: no graph is recorded."""

    def __init__(self, mode=True):
        super().__init__()
        self.target = not mode


class enable_grad(_GradModeContext):
    """Enable graph recording inside a ``no_grad`` block."""

    target = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off now; as a context manager it restores it on exit."""

    def __init__(self, mode):
        super().__init__()
        self.target = bool(mode)
        self._previous.append(state.enabled)
        state.enabled = self.target

    def __enter__(self):
        return self

    def __call__(self, function):
        state.enabled = self._previous[-1]
        mode = self.target

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)
        return wrapper
