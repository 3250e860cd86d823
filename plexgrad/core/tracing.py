"""What the core needs to know while a tracer (``plexgrad.compile``) records a step.

A traced step runs the user's Python once with symbolic arrays in the tensors, so
anything that reads values on the host, or draws random numbers on the host, would
bake one call's values into every replay.  Two per-thread hooks keep that honest:

- ``traced_sampler()``: inside a trace, the function that draws random numbers *on
  the device* from the program's random key (an input of the program, fresh each
  call), so dropout draws new numbers on every replay;
- ``GraphBreak``: raised where the step does something a program cannot hold (a host
  random draw, a value read on the host); the tracer catches it and runs the step
  eagerly instead (or raises, with ``fullgraph=True``).
"""

__all__ = ["GraphBreak", "traced_sampler", "sampling", "tracing"]

import contextlib
import threading


class GraphBreak(RuntimeError):
    """The traced step did something a compiled program cannot hold (see the message)."""


class _TraceState(threading.local):
    def __init__(self):
        self.sampler = None


_state = _TraceState()


def traced_sampler():
    """The device-side sampler of the trace running in this thread, or None (eager)."""
    return _state.sampler


def tracing():
    """True while this thread traces a step."""
    return _state.sampler is not None


@contextlib.contextmanager
def sampling(sampler):
    """Inside the block, random draws call ``sampler(kind, shape, dtype, device)`` (kind is
    ``"uniform"`` or ``"normal"``) instead of the host generator; host draws raise GraphBreak."""
    previous = _state.sampler
    _state.sampler = sampler
    try:
        yield
    finally:
        _state.sampler = previous
