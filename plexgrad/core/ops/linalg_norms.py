"""Norms: ``linalg.norm`` (vector or matrix by its arguments), ``vector_norm``, ``matrix_norm``.

Matrix norms are composites: 'fro' is the vector 2-norm over two dims, 1/inf are
max absolute column/row sums, 2/'nuc' come from the singular values (svdvals has a
gradient), so all of them are differentiable.
"""

__all__ = ["norm", "vector_norm", "matrix_norm"]

import math

from .. import dtypes
from ..op import cast
from ..shapes import wrap_dim
from .reduction import amax, amin, sum as reduce_sum
from .statistics import vector_norm
from .linalg_checks import check_matrix
from .linalg_decompositions import svdvals


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm of A over the two dims ``dim``: ``ord`` in 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    if dtype is not None:
        A = cast(A, dtypes.as_dtype(dtype))
    check_matrix("linalg.matrix_norm", A, square=False)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    rows, columns = (wrap_dim(d, A._data.ndim) for d in dim)
    if rows == columns:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({rows}, {columns})")
    if ord == "fro":
        return vector_norm(A, 2, (rows, columns), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((rows, columns), (-2, -1))
        values = svdvals(moved)
        result = reduce_sum(values, -1) if ord == "nuc" else (amax(values, -1) if ord == 2 else amin(values, -1))
        if keepdim:
            for d in sorted((rows, columns)):
                result = result.unsqueeze(d)
        return result
    if ord in (1, -1, math.inf, -math.inf):
        summed_dim, kept_dim = (rows, columns) if ord in (1, -1) else (columns, rows)
        sums = reduce_sum(A.abs(), summed_dim, keepdim=True)
        extreme = amax if ord > 0 else amin
        result = extreme(sums, kept_dim, keepdim=True)
        return result if keepdim else result.squeeze((rows, columns))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm or a matrix norm, chosen as torch does:

    - ``ord`` a string ('fro', 'nuc') or ``dim`` a 2-tuple: matrix norm;
    - ``dim`` an int: vector norm along it;
    - neither ``ord`` nor ``dim``: the 2-norm of all elements;
    - ``ord`` given without ``dim``: a vector norm for 1-d input, a matrix norm for 2-d.
    """
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or \
            (dim is None and ord is not None and A.ndim == 2):
        result = matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim,
                             dtype=dtype)
    else:
        if dim is None and ord is not None and A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.ndim}D.")
        result = vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if out is not None:
        from .composite import write_out
        return write_out(out, result)
    return result
