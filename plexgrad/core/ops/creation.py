"""``full``: the op that makes an array from nothing, so it is told where (a placement op).

Its kernel receives the ``plexgrad.device`` as its last argument (index filled in):
``jax:1`` and ``cuda:1`` make the array on that device, never through the host.
"""

__all__ = ["full_op", "filled"]

from ..dispatch import call
from ..op import declare

full_op = declare("full", signature="shape: static, value: scalar, dtype: dtype, device: device", placement=True,
                  dtype_rule="given", doc="an array of shape filled with value, made on device")


def filled(shape, value, dtype, device):
    """The native array of ``shape`` filled with ``value``, of plexgrad ``dtype``, made on ``device``."""
    return call(full_op, device, shape, value, dtype, device)
