"""Linear algebra functions of the main namespace: ``matmul``, ``matrix_transpose``,
``tensordot`` and ``vecdot`` (the ``linalg`` extension lives in ``plexgrad.array_api.linalg``)."""

__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]

from ..core.ops import linalg as _linalg
from ..core.ops import reduction as _reduction
from ..core.ops import shape as _shape
from ..core.shapes import broadcast_shapes
from ._dtypes import promote_arrays


def matmul(x1, x2, /):
    """Matrix product with broadcasting over leading axes (1-D operands as in numpy)."""
    x1, x2 = promote_arrays(x1, x2)
    return _linalg.matmul(x1, x2)


def matrix_transpose(x, /):
    """``x`` with its last two axes swapped."""
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose() needs at least 2 axes, got a {x.ndim}-D array")
    return x.mT


def tensordot(x1, x2, /, *, axes=2):
    """Sum of products over ``axes`` (an int N: the last N of x1 with the first N of x2; or two sequences)."""
    x1, x2 = promote_arrays(x1, x2)
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError(f"tensordot(): axes must be non-negative, got {axes}")
        first = tuple(range(x1.ndim - axes, x1.ndim))
        second = tuple(range(axes))
    else:
        first, second = (tuple(a) if not isinstance(a, int) else (a,) for a in axes)
        first = tuple(a % x1.ndim for a in first)
        second = tuple(a % x2.ndim for a in second)
    if len(first) != len(second):
        raise ValueError(f"tensordot(): {len(first)} axes of x1 against {len(second)} of x2")
    for a, b in zip(first, second):
        if x1.shape[a] != x2.shape[b]:
            raise ValueError(f"tensordot(): axis {a} of x1 has extent {x1.shape[a]} but axis {b} of x2 has "
                             f"{x2.shape[b]}")
    free_first = [a for a in range(x1.ndim) if a not in first]
    free_second = [b for b in range(x2.ndim) if b not in second]
    size = 1
    for a in first:
        size *= x1.shape[a]
    left = _shape.permute(x1, tuple(free_first) + first).reshape(-1, size) if x1.ndim else x1.reshape(1, 1)
    right = _shape.permute(x2, second + tuple(free_second)).reshape(size, -1) if x2.ndim else x2.reshape(1, 1)
    result = _linalg.matmul(left, right)
    return result.reshape(tuple(x1.shape[a] for a in free_first) + tuple(x2.shape[b] for b in free_second))


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product of vectors along ``axis`` (broadcasting the other axes)."""
    x1, x2 = promote_arrays(x1, x2)
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    if not -len(shape) <= axis < 0:
        raise ValueError(f"vecdot(): axis must be negative and within {len(shape)} axes, got {axis}")
    if x1.shape[axis] != x2.shape[axis]:
        raise ValueError(f"vecdot(): the vectors have {x1.shape[axis]} and {x2.shape[axis]} elements")
    return _reduction.sum(x1 * x2, axis, dtype=x1.dtype)  # the operands' dtype, not torch's int64 for ints
