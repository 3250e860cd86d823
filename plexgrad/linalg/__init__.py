"""plexgrad.linalg: torch.linalg on every backend.

A thin public namespace: the ops, their derivative rules and their checks are declared
in the core (``plexgrad/core/ops/linalg_*.py``), as every other op is; this module only
re-exports them under torch's names.

Gradients: every function (svd, qr, cholesky and eigh too, as torch: distinct eigen/singular
values assumed).
"""

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "logdet", "solve", "svd", "svdvals", "qr",
           "cholesky", "cholesky_ex", "eigh", "eigvalsh", "norm", "vector_norm", "matrix_norm", "matmul",
           "vecdot", "multi_dot", "matrix_power", "pinv", "solve_triangular", "lstsq", "matrix_rank", "cond", "cross",
           "vander", "diagonal", "solve_ex"]

from ..core.ops.linalg import matmul
from ..core.ops.linalg_checks import LinAlgError
from ..core.ops.linalg_decompositions import cholesky, cholesky_ex, eigh, eigvalsh, qr, svd, svdvals
from ..core.ops.linalg_norms import matrix_norm, norm, vector_norm
from ..core.ops.linalg_products import matrix_power, multi_dot, vecdot
from ..core.ops.linalg_solvers import det, inv, inv_ex, logdet, slogdet, solve
from ..core.ops.linalg_extras import cond, cross, diagonal, lstsq, matrix_rank, pinv, solve_ex, solve_triangular, vander
