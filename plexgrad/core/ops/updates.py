"""In-place update ops: write into a destination array's own memory (mutable backends only).

``add_``, ``sub_``, ``mul_`` and ``div_`` are the primitives (``destination op= source``);
``add_scaled_`` (``destination += alpha * source``, an axpy) is declared with its
decomposition, so a mutable backend with ``add_`` and ``mul`` runs it without its own
kernel.  Immutable backends (jax) have none of them: callers check ``writable_together``
and fall back to Tensor methods.  Optimizers and running statistics use these for
updates that record nothing.
"""

__all__ = ["add_in_place", "sub_in_place", "mul_in_place", "div_in_place", "add_scaled_in_place", "IN_PLACE",
           "writable_together"]

from ..autograd.grad_mode import state as grad_state
from ..dispatch import call, can_run
from ..op import declare
from .elementwise import mul


def _in_place(name, doc):
    return declare(name, signature="destination, source: array|scalar", doc=doc,
                   fallback="the core computes out of place and writes the result back (immutable backends never "
                            "have it)")


add_in_place = _in_place("add_", "destination += source, in the destination's memory")
sub_in_place = _in_place("sub_", "destination -= source, in the destination's memory")
mul_in_place = _in_place("mul_", "destination *= source, in the destination's memory")
div_in_place = _in_place("div_", "destination /= source, in the destination's memory")


IN_PLACE = {op.name: op for op in (add_in_place, sub_in_place, mul_in_place, div_in_place)}
"""The primitive in-place update ops by method name (``Tensor.add_`` ... use them when nothing records)."""


def _add_scaled_decomposition(device, destination, source, alpha):
    call(add_in_place, device, destination, call(mul.op, device, source, alpha))


add_scaled_in_place = declare(
    "add_scaled_", signature="destination, source, alpha: scalar", decomposition=_add_scaled_decomposition,
    uses=("add_", "mul"), doc="destination += alpha * source, in the destination's memory")


def writable_together(tensors, ops):
    """True when ``ops`` may write straight into ``tensors``' arrays: one device whose backend is
    mutable and runs every op, one dtype, arrays owned by their tensors (not numpy scalars), and
    nothing to record (the writer then counts the versions with ``inplace.bump_version``)."""
    first = tensors[0]
    device, dtype = first._device, first._dtype
    recording = grad_state.enabled
    backend = first._backend()
    if not backend.mutable:
        return False
    owned = backend.owned
    for tensor in tensors:
        if (tensor._device is not device or tensor._dtype is not dtype or recording and tensor._requires_grad
                or owned(tensor._data) is not tensor._data):
            return False
    return all(can_run(op, device) for op in ops)
