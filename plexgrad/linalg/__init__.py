"""plexgrad.linalg: torch.linalg on every backend.

Gradients: inv, det, slogdet, logdet, solve, norm/vector_norm/matrix_norm, svdvals,
eigvalsh.  svd, qr, cholesky and eigh are forward only (backward raises
NotImplementedError naming the op).
"""

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "logdet", "solve", "svd", "svdvals", "qr",
           "cholesky", "cholesky_ex", "eigh", "eigvalsh", "norm", "vector_norm", "matrix_norm", "matmul",
           "vecdot", "multi_dot", "matrix_power"]

from ..core.ops.linalg import matmul
from .checks import LinAlgError
from .decompositions import cholesky, cholesky_ex, eigh, eigvalsh, qr, svd, svdvals
from .norms import matrix_norm, norm, vector_norm
from .products import matrix_power, multi_dot, vecdot
from .solvers import det, inv, inv_ex, logdet, slogdet, solve
