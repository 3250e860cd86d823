"""Kernels written once against an array namespace ``xp`` (numpy, cupy, jax.numpy).

``ELEMENTWISE`` maps plexgrad op names to the namespace's function names;
``BUILDERS`` maps op names to functions that build a kernel from ``xp``.
``OP_NAMES`` is known without importing any array library, so a backend can
declare its coverage before it is loaded.  Backends override entries where their
library differs.
"""

__all__ = ["ELEMENTWISE", "BUILDERS", "OP_NAMES", "build_kernels"]

ELEMENTWISE = {
    "neg": "negative", "abs": "abs", "exp": "exp", "log": "log", "sqrt": "sqrt",
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "asin": "arcsin", "acos": "arccos",
    "atan": "arctan", "sinh": "sinh", "cosh": "cosh", "sign": "sign", "floor": "floor",
    "ceil": "ceil", "round": "round", "trunc": "trunc", "log1p": "log1p", "expm1": "expm1",
    "log2": "log2", "log10": "log10", "logical_not": "logical_not", "bitwise_not": "invert",
    "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite", "square": "square",
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide", "pow": "power",
    "maximum": "maximum", "minimum": "minimum", "atan2": "arctan2", "remainder": "remainder",
    "fmod": "fmod", "floor_divide": "floor_divide", "eq": "equal", "ne": "not_equal",
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    "bitwise_left_shift": "left_shift", "bitwise_right_shift": "right_shift",
}


def _relu(xp):
    maximum = xp.maximum

    def relu(x):
        return maximum(x, 0)
    return relu


def _sigmoid(xp):
    exp, absolute, where = xp.exp, xp.abs, xp.where

    def sigmoid(x):
        # exp of -|x| never overflows, and tiny results keep their precision (sigmoid(-40) = 4e-18)
        small = exp(-absolute(x))
        large = 1 / (1 + small)
        return where(x >= 0, large, small * large)
    return sigmoid


def _reciprocal(xp):
    def reciprocal(x):
        return 1 / x
    return reciprocal


def _rsqrt(xp):
    sqrt = xp.sqrt

    def rsqrt(x):
        return 1 / sqrt(x)
    return rsqrt


def _where(xp):
    return xp.where


def _reduction(name):
    def build(xp):
        function = getattr(xp, name)

        def reduce(x, dims, keepdim):
            return function(x, axis=dims, keepdims=keepdim)
        return reduce
    return build


def _accumulation(name):
    """sum/prod/cumsum/cumprod in the input's own dtype: numpy and jax would widen small integers
    (an int8 sum asked for in int8 must wrap, as torch's does, and the array must be int8)."""
    def build(xp):
        function = getattr(xp, name)

        def reduce(x, dims, keepdim):
            return function(x, axis=dims, keepdims=keepdim, dtype=x.dtype)
        return reduce
    return build


def _accumulating_scan(name):
    def build(xp):
        function = getattr(xp, name)

        def scan(x, dim):
            return function(x, axis=dim, dtype=x.dtype)
        return scan
    return build


def _arg_reduction(name):
    def build(xp):
        function = getattr(xp, name)

        def reduce(x, dim, keepdim):
            if dim is None:
                result = function(x.reshape(-1))
                return result.reshape((1,) * x.ndim) if keepdim else result
            return function(x, axis=dim, keepdims=keepdim)
        return reduce
    return build


def _scan(name):
    def build(xp):
        function = getattr(xp, name)

        def scan(x, dim):
            return function(x, axis=dim)
        return scan
    return build


def _reshape(xp):
    def reshape(x, shape):
        return x.reshape(shape)
    return reshape


def _permute(xp):
    transpose = xp.transpose

    def permute(x, dims):
        return transpose(x, dims)
    return permute


def _expand(xp):
    return xp.broadcast_to


def _getitem(xp):
    def getitem(x, key):
        return x[key]
    return getitem


def _index_put(xp):
    def index_put(x, values, key, accumulate):
        result = x.copy()
        if accumulate:
            xp.add.at(result, key, values)
        else:
            result[key] = values
        return result
    return index_put


def _cat(xp):
    concatenate = xp.concatenate

    def cat(*arrays_and_dim):
        *arrays, dim = arrays_and_dim
        return concatenate(arrays, axis=dim)
    return cat


def _flip(xp):
    def flip(x, dims):
        return xp.flip(x, axis=dims)
    return flip


def _matmul(xp):
    return xp.matmul


def _copy(xp):
    def copy(x):
        return x.copy()
    return copy


BUILDERS = {
    "relu": _relu, "sigmoid": _sigmoid, "reciprocal": _reciprocal, "rsqrt": _rsqrt, "where": _where,
    "sum": _accumulation("sum"), "prod": _accumulation("prod"), "amax": _reduction("max"),
    "amin": _reduction("min"), "all": _reduction("all"), "any": _reduction("any"),
    "argmax": _arg_reduction("argmax"), "argmin": _arg_reduction("argmin"),
    "cumsum": _accumulating_scan("cumsum"), "cumprod": _accumulating_scan("cumprod"),
    "reshape": _reshape, "permute": _permute, "expand": _expand, "getitem": _getitem,
    "index_put": _index_put, "cat": _cat, "flip": _flip, "matmul": _matmul, "copy": _copy,
}

OP_NAMES = frozenset(ELEMENTWISE) | frozenset(BUILDERS) | {"cast", "full"}


def build_kernels(xp, native_dtype):
    """The kernel dict for namespace ``xp``; ``native_dtype`` maps plexgrad dtypes to xp's."""
    kernels = {name: getattr(xp, attribute) for name, attribute in ELEMENTWISE.items()}
    for name, builder in BUILDERS.items():
        kernels[name] = builder(xp)

    def cast(x, dtype):
        return x.astype(native_dtype(dtype))

    def full(shape, value, dtype, device):
        # a placement op: the device comes last; one-device namespaces (numpy) need nothing of it
        return xp.full(shape, value, dtype=native_dtype(dtype))
    kernels["cast"] = cast

    def view_dtype(x, dtype):  # the same bits read as ``dtype`` (same element size): x.view(dtype)
        return x.view(native_dtype(dtype))
    kernels["view_dtype"] = view_dtype

    def diagonal(x, offset, dim1, dim2):  # a view (numpy's is read-only: the numpy backend overrides it)
        return xp.diagonal(x, offset, dim1, dim2)
    kernels["diagonal"] = diagonal
    kernels["full"] = full
    return kernels


def _gather(xp):
    def gather(x, index, dim):
        if index.shape != x.shape:
            limits = tuple(slice(None) if d == dim else slice(0, index.shape[d]) for d in range(x.ndim))
            x = x[limits]
        return xp.take_along_axis(x, index, axis=dim)
    return gather


def scatter_positions(xp, index, dim):
    """Full index tuple addressing ``index``'s positions, with ``index`` itself along ``dim``."""
    positions = list(xp.indices(index.shape, sparse=True))
    positions[dim] = index
    return tuple(positions)


def _scatter_add(xp):
    def scatter_add(x, index, src, dim):
        result = x.copy()
        source = src[tuple(slice(0, extent) for extent in index.shape)]
        xp.add.at(result, scatter_positions(xp, index, dim), source)
        return result
    return scatter_add


BUILDERS.update({"gather": _gather, "scatter_add": _scatter_add})
OP_NAMES = frozenset(ELEMENTWISE) | frozenset(BUILDERS) | {"cast", "full"}


# ---- tensor API extras: sorting, searching, scatter, einsum, linalg (numpy.linalg and
# ---- jax.numpy.linalg mirror each other; backends override only where they differ)
def _argsort(xp):
    def stable_argsort(x, dim):
        try:
            return xp.argsort(x, axis=dim, stable=True)
        except TypeError:  # cupy has no ``stable=`` (its sort is stable)
            return xp.argsort(x, axis=dim, kind="stable")

    def argsort(x, dim, descending):
        if not descending:
            return stable_argsort(x, dim).astype(xp.int64)
        # stable descending: sort the reversed input, map positions back, reverse again
        flipped = stable_argsort(xp.flip(x, axis=dim), dim)
        return xp.flip(x.shape[dim] - 1 - flipped, axis=dim).astype(xp.int64)
    return argsort


def _searchsorted(xp):
    def searchsorted(boundaries, values, right):
        side = "right" if right else "left"
        if boundaries.ndim == 1:
            return xp.searchsorted(boundaries, values, side=side).astype(xp.int64)
        rows = boundaries.reshape(-1, boundaries.shape[-1])
        queries = values.reshape(rows.shape[0], -1)
        found = [xp.searchsorted(row, query, side=side) for row, query in zip(rows, queries)]
        return xp.stack(found).reshape(values.shape).astype(xp.int64)
    return searchsorted


def _scatter(xp):
    def scatter(x, index, src, dim):
        result = x.copy()
        source = src[tuple(slice(0, extent) for extent in index.shape)]
        result[scatter_positions(xp, index, dim)] = source
        return result
    return scatter


def _einsum(xp):
    def einsum(*arrays_and_equation):
        *arrays, equation = arrays_and_equation
        return xp.einsum(equation, *arrays)
    return einsum


def _linalg(name):
    def build(xp):
        return getattr(xp.linalg, name)
    return build


def _slogdet(xp):
    def slogdet(x):
        sign, logabsdet = xp.linalg.slogdet(x)
        return sign, logabsdet
    return slogdet


def _svd(xp):
    def svd(x, full_matrices):
        u, s, vh = xp.linalg.svd(x, full_matrices=full_matrices)
        return u, s, vh
    return svd


def _qr(xp):
    def qr(x, mode):
        q, r = xp.linalg.qr(x, mode="complete" if mode == "complete" else "reduced")
        return q, r
    return qr


def _eigh(xp):
    def eigh(x, lower):
        values, vectors = xp.linalg.eigh(x, UPLO="L" if lower else "U")
        return values, vectors
    return eigh


BUILDERS.update({
    "argsort": _argsort, "searchsorted": _searchsorted, "scatter": _scatter, "einsum": _einsum,
    "linalg_inv": _linalg("inv"), "linalg_det": _linalg("det"), "linalg_slogdet": _slogdet,
    "linalg_solve": _linalg("solve"), "linalg_svd": _svd, "linalg_qr": _qr,
    "linalg_cholesky": _linalg("cholesky"), "linalg_eigh": _eigh,
})
OP_NAMES = frozenset(ELEMENTWISE) | frozenset(BUILDERS) | {"cast", "full", "view_dtype", "diagonal"}

from .special_kernels import build_erf  # noqa: E402

BUILDERS["erf"] = build_erf
OP_NAMES = OP_NAMES | {"erf"}

# ---- convolution and pooling (written in window_kernels.py) ----
from .window_kernels import WINDOW_OP_NAMES, build_window_kernels  # noqa: E402


def _window_kernel(name):
    def build(xp):
        # shortcuts that look at the data are free on the host, a device-to-host sync elsewhere (cupy)
        return build_window_kernels(xp, concrete=xp.__name__ == "numpy")[name]
    return build


BUILDERS.update({name: _window_kernel(name) for name in WINDOW_OP_NAMES})
OP_NAMES = OP_NAMES | WINDOW_OP_NAMES

# ---- optional fused kernels for batch norm and cross entropy (see fused_kernels.py) ----
from .fused_kernels import FUSED_BUILDERS  # noqa: E402

BUILDERS.update(FUSED_BUILDERS)
OP_NAMES = OP_NAMES | frozenset(FUSED_BUILDERS)
