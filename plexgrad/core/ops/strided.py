"""Strided views: ``select``, ``Tensor.unfold`` and ``as_strided``.

``unfold`` and ``as_strided`` are view ops of the aliasing model (``core/views.py``): on
numpy and cupy their arrays are real strided views of the root's memory; on jax they are
gathers, and a write through them goes back to the root by flat positions (refused when two
elements share one position, as torch refuses writes through overlapping windows).

Their gradient scatters ``grad`` back with ``index_add`` over the positions the view
reads: the same view kernel applied to ``arange`` gives those positions, so overlapping
windows accumulate, and the rule is written in Tensor ops (it differentiates again).
"""

__all__ = ["select", "unfold", "as_strided", "storage_offset"]

from ..shapes import wrap_dim
from ..tensor import Tensor
from .composite import check_tensor


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, without that dimension (a view): ``input[:, index]`` for
    ``dim=1``."""
    check_tensor("select", input)
    ndim = input._data.ndim
    if ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, ndim)
    if isinstance(index, Tensor):
        index = index.item()
    extent = input._data.shape[dim]
    if not -extent <= index < extent:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {dim}")
    return input[(slice(None),) * dim + (int(index),)]


def _positions_like(view_op_args, source_shape, device, kernel_call):
    from ..factories import arange
    count = 1
    for extent in source_shape:
        count *= extent
    positions = arange(count, device=device).reshape(source_shape)
    return kernel_call(positions, *view_op_args)


def _scatter_back_backward(node, grad):
    op_name, source_shape, params = node.params
    from ..factories import zeros
    from .selection import index_add
    op = _unfold_op if op_name == "unfold" else _as_strided_op
    positions = _positions_like(params, source_shape, grad._device, lambda tensor, *args: _run_view(op, tensor, args))
    count = 1
    for extent in source_shape:
        count *= extent
    flat = zeros((count,), dtype=grad._dtype, device=grad._device)
    return (index_add(flat, 0, positions.reshape(-1), grad.reshape(-1)).reshape(source_shape),)


def _run_view(op, tensor, params):
    from .shape import view_op
    return view_op(op, tensor, params, (op.name, tuple(tensor._data.shape), params))


def _declare():
    from ..op import declare
    unfold_op = declare("unfold", _scatter_back_backward, node_name="UnfoldBackward0",
                        signature="x, dim: static, size: static, step: static",
                        doc="windows of `size` every `step` along `dim`, as a new last dimension (a view)")
    as_strided_op = declare("as_strided", _scatter_back_backward, node_name="AsStridedBackward0",
                            signature="x, size: static, stride: static, offset: static",
                            doc="a view of a 1-d array with the given sizes, element strides and offset")
    return unfold_op, as_strided_op


_unfold_op, _as_strided_op = _declare()


def unfold(input, dimension, size, step):
    """All windows of ``size`` elements, ``step`` apart, along ``dimension``, as a new last dimension
    (a view sharing ``input``'s storage).

    >>> plexgrad.arange(5.).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    check_tensor("unfold", input)
    ndim = input._data.ndim
    dim = wrap_dim(dimension, max(ndim, 1))
    extent = input._data.shape[dim] if ndim else 1
    if size < 0 or size > extent:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {extent} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if ndim == 0:
        return input.reshape(1)
    return _run_view(_unfold_op, input, (dim, int(size), int(step)))


def storage_offset(input):
    """The position of ``input``'s first element in its storage (0 for a tensor that owns it)."""
    if input._base is None or not input._view.steps or input.numel() == 0:
        return 0
    from ..layout import flat_index
    return int(flat_index(input).reshape(-1)[0])


_storage_offset = storage_offset


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given ``size``, element ``stride`` and ``storage_offset``
    (default: ``input``'s own offset), as torch's ``as_strided``.  Elements are addressed in the
    storage's row-major order, so a view reads what torch's would."""
    check_tensor("as_strided", input)
    size = tuple(int(extent) for extent in size)
    stride = tuple(int(step) for step in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides for {len(size)} sizes")
    if any(extent < 0 for extent in size) or any(step < 0 for step in stride):
        raise RuntimeError(f"as_strided: negative sizes or strides are not supported, got size {list(size)} and "
                           f"stride {list(stride)}")
    from ..views import root_of
    root = root_of(input)
    if storage_offset is None:
        storage_offset = _storage_offset(input)
    storage_offset = int(storage_offset)
    storage_size = root.numel()
    if all(extent > 0 for extent in size):
        needed = storage_offset + 1 + sum((extent - 1) * step for extent, step in zip(size, stride))
    else:
        needed = storage_offset
    if needed > storage_size or storage_offset < 0:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{storage_offset}, requiring a storage size of {needed} are out of bounds for "
                           f"storage of size {storage_size}")
    flags = getattr(root._data, "flags", None)
    if flags is not None and not flags.c_contiguous:
        raise NotImplementedError("as_strided(): the tensor's storage is not laid out row-major (from_numpy of "
                                  "a non-contiguous array); call .contiguous() on it first")
    if input._base is None or not input._view.steps:
        whole = input  # the tensor holds its whole storage (a root, detach(), .data): its own history
    else:
        # a view: address the root's storage, with the root's history only if the view has one
        whole = root if input._requires_grad else root.detach()
    flat = whole.reshape(-1)
    return _run_view(_as_strided_op, flat, (size, stride, storage_offset))
