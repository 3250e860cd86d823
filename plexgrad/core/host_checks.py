"""Checks that read tensor values on the host, and the one switch that skips them.

A few checks need a tensor's values, not just its shape: index bounds (jax clamps and
numpy wraps out-of-range indices without a word, so the core checks them to raise
torch's IndexError on every backend), and jax's NaN results where numpy raises
``LinAlgError``.  Reading values forces a device-to-host sync, and a traced program
has no values to read yet.  So every such check reads through :func:`host_values`:

- in eager mode (the default) it returns the values and the check runs, exactly as
  strict as it always was;
- inside ``with skip_host_checks():`` (what a tracer such as a future
  ``plexgrad.compile`` enters) it returns ``None`` and the check is skipped, on every
  device.  The traced program then has the engine's own behaviour for bad input
  (jax clamps indices), so only a tracer that accepts that should enter it.

Kernels and derivative rules never read values: they stay traceable in both modes.
Ops whose result *shape* depends on the values (``nonzero``, ``unique``, boolean-mask
indexing, ``masked_select``) and those that return Python values (``item``,
``equal``, ``allclose``) read the host in any mode, as in torch.

The switch is per thread, like grad mode: a tracer in one thread does not turn the
checks off in another.
"""

__all__ = ["host_checks_enabled", "skip_host_checks", "host_values"]

import threading

from .thread_switch import ThreadSwitch


class _HostCheckState(threading.local):
    """Per-thread: each thread starts with the checks on."""

    def __init__(self):
        self.enabled = True


_state = _HostCheckState()


def host_checks_enabled():
    """True (the default) when checks that read tensor values on the host run."""
    return _state.enabled


class skip_host_checks(ThreadSwitch):
    """Skip the checks that read tensor values on the host, in this thread, inside the block.

    For tracers: ``with skip_host_checks(): trace(step)``.  Also a decorator.  Nests;
    leaving the block restores the previous setting.
    """

    state = _state
    target = False


def host_values(tensor):
    """``tensor``'s values as a numpy array for an eager-only check, or ``None`` inside
    :class:`skip_host_checks` (the caller then skips its check).

    The one place where checks read device data: use it instead of ``to_host`` in ops.
    """
    if not _state.enabled:
        return None
    return tensor._backend().to_host(tensor._data)
