"""Index-driven layers: ``embedding`` and ``one_hot``."""

__all__ = ["embedding", "one_hot"]

from ...core import dtypes
from ...core.autograd.grad_mode import no_grad
from ...core.ops import elementwise as ew
from ...core.ops.index_checks import index_extremes
from ...core.tensor import Tensor


def _check_indices(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(f"{name}(): Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead (while checking arguments "
                           f"for {name}); convert with .long()")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` picked by the integer tensor ``input`` (shape ``input.shape + (dim,)``).

    The row at ``padding_idx`` gets no gradient.  With ``max_norm`` the picked rows
    are first renormalized in place to norm at most ``max_norm``.
    """
    _check_indices("embedding", input)
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse gradients are not supported; "
                                  "use the defaults (False)")
    if not isinstance(weight, Tensor) or weight.dim() != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a {weight.dim() if isinstance(weight, Tensor) else type(weight).__name__}"
                           f"{'-D tensor' if isinstance(weight, Tensor) else ''}")
    rows = weight.shape[0]
    extremes = index_extremes(input)  # one host read, eager mode only: jax would clamp, numpy wrap -1
    if extremes is not None and (extremes[0] < 0 or extremes[1] >= rows):
        raise IndexError(f"index out of range in self: embedding indices must be in [0, {rows}), got values in "
                         f"[{extremes[0]}, {extremes[1]}]")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError(f"Padding_idx must be within num_embeddings, got {padding_idx} for {rows} rows")
        padding_idx = padding_idx % rows
    indices = input.long()
    if max_norm is not None:
        with no_grad():
            picked = weight[indices.reshape(-1)]
            norms = (picked.abs() ** norm_type).sum(1, keepdim=True) ** (1.0 / norm_type)
            factor = ew.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[indices.reshape(-1)] = picked * factor
    output = weight[indices]
    if padding_idx is not None and output.requires_grad:
        keep = (indices != padding_idx).unsqueeze(-1)
        output = ew.where(keep, output, output.detach())
    return output


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each index."""
    _check_indices("one_hot", tensor)
    if tensor.dtype is not dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:  # the result's shape depends on the values: read on the host in any mode
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    extremes = index_extremes(tensor)  # one host read, eager mode only (core/host_checks.py)
    if extremes is not None and (extremes[0] < 0 or extremes[1] >= num_classes):
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}) and non-negative; "
                           f"got values in [{extremes[0]}, {extremes[1]}]")
    from ...core.factories import arange
    classes = arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()
