"""Placement ops: ``full`` makes an array from nothing and ``move`` copies one to another
device of the same backend, so each is told where.

Their kernels receive the ``plexgrad.device`` as their last argument (index filled
in): ``jax:1`` and ``cuda:1`` make or copy the array on that device, never through
the host.
"""

__all__ = ["full_op", "move_op", "filled", "moved"]

from ..dispatch import call, can_run
from ..op import declare

full_op = declare("full", signature="shape: static, value: scalar, dtype: dtype, device: device", placement=True,
                  dtype_rule="given", doc="an array of shape filled with value, made on device")


move_op = declare("move", signature="x, device: device", placement=True,
                  doc="a copy of x on device (another device of the same backend), never through the host",
                  fallback="a transfer between two devices of the backend goes through the host")


def moved(array, device):
    """A copy of native ``array`` on ``device`` of its own backend, or None when the backend cannot
    move arrays between its devices itself (the caller then goes through the host)."""
    if not can_run(move_op, device):
        return None
    return call(move_op, device, array, device)


def filled(shape, value, dtype, device):
    """The native array of ``shape`` filled with ``value``, of plexgrad ``dtype``, made on ``device``."""
    return call(full_op, device, shape, value, dtype, device)
