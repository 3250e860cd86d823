"""The ops the array API backend implements, known without importing any array library."""

__all__ = ["UNARY", "BINARY", "STANDARD_OPS"]

UNARY = {
    "neg": "negative", "abs": "abs", "exp": "exp", "log": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "tanh": "tanh", "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
    "sign": "sign", "floor": "floor", "ceil": "ceil", "round": "round", "trunc": "trunc", "log1p": "log1p",
    "expm1": "expm1", "log2": "log2", "log10": "log10", "logical_not": "logical_not",
    "bitwise_not": "bitwise_invert", "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite",
    "square": "square",
}
"""plexgrad op -> the standard's element-wise function of one array."""

BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "pow": "pow", "maximum": "maximum",
    "minimum": "minimum", "atan2": "atan2", "remainder": "remainder", "floor_divide": "floor_divide",
    "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    "bitwise_left_shift": "bitwise_left_shift", "bitwise_right_shift": "bitwise_right_shift",
}
"""plexgrad op -> the standard's element-wise function of two arrays."""

COMPOSED = frozenset({
    "relu", "sigmoid", "reciprocal", "rsqrt", "fmod", "where", "sum", "prod", "amax", "amin", "all", "any",
    "argmax", "argmin", "cumsum", "cumprod", "reshape", "permute", "expand", "flip", "getitem", "index_put",
    "gather", "scatter", "scatter_add", "cat", "matmul", "copy", "cast", "full", "diagonal", "argsort",
    "searchsorted", "move", "linalg_inv", "linalg_det", "linalg_slogdet", "linalg_solve", "linalg_svd",
    "linalg_qr", "linalg_cholesky", "linalg_eigh",
})
"""Ops built from several standard functions (``kernels.py``)."""

STANDARD_OPS = frozenset(UNARY) | frozenset(BINARY) | COMPOSED
