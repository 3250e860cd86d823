"""The op table: every plexgrad op (or variant of its arguments) with a numpy reference.

The conformance kit's data (``plexgrad.testing``): each entry becomes value, dtype, gradient,
layout and empty/0-d cases on the device under test.

An entry is one line: ``op(name, plexgrad function, numpy reference, *argument specs,
dtypes=..., result=..., grad=..., gradgrad=..., layouts=..., tol=...)``.  ``T(shape,
domain, dtype)`` describes a tensor argument: ``dtype=None`` means "the dtype under
test", a fixed name ("int64", "bool") is used for indices and masks.  Helpers
(``binary``, ``reduction``) expand one line into the usual variants (broadcast, 0-d,
Python scalars; dims and keepdim).  ``elementwise=True`` entries also run on empty and
0-d inputs of the same rank pattern.
"""

import math

import numpy as np

import plexgrad as pg
import plexgrad.nn.functional as F

__all__ = ["ENTRIES", "Entry", "T", "op", "binary", "reduction", "FLOATS", "NUMBERS", "INTS"]

FLOATS = ("float32", "float64")
NUMBERS = ("float32", "float64", "int64")
WITH_INT32 = NUMBERS + ("int32",)
VARIANT_DTYPES = ("float32", "int64", "bool")  # broadcast/scalar variants: one float, one int (compiles are costly)
INTS = ("int64", "int32")
LOGICAL = ("bool", "float32", "int64")
ANY = ("float32", "float64", "int64", "int32", "bool")


# ---- value domains ---------------------------------------------------------------------
class Domain:
    """How to draw values: ``floats(rng, shape)`` and ``ints(rng, shape)``."""

    def __init__(self, name, floats, ints):
        self.name = name
        self.floats = floats
        self.ints = ints


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _distinct(rng, shape):
    count = int(np.prod(shape, dtype=np.int64))
    return ((rng.permutation(count) - count / 2) * 0.37 + rng.uniform(0, 0.05, count)).reshape(shape)


def _fractional(rng, shape):
    whole = rng.integers(-3, 3, shape)
    fraction = rng.uniform(0.1, 0.4, shape) * _signs(rng, shape) + 0.5
    return whole + fraction


def _with_zero(count, signed=True):
    def draw(rng, shape):
        values = rng.uniform(0.5, 1.5, shape) * (_signs(rng, shape) if signed else 1)
        values.reshape(-1)[rng.permutation(values.size)[:count]] = 0
        return values
    return draw


def _special(rng, shape):
    values = rng.uniform(-2, 2, shape)
    flat = values.reshape(-1)
    flat[rng.permutation(flat.size)[:3]] = [np.nan, np.inf, -np.inf][:min(3, flat.size)]
    return values


REAL = Domain("real", lambda rng, s: rng.uniform(-2, 2, s), lambda rng, s: rng.integers(-4, 5, s))
POSITIVE = Domain("positive", lambda rng, s: rng.uniform(0.5, 2, s), lambda rng, s: rng.integers(1, 5, s))
UNIT = Domain("unit", lambda rng, s: rng.uniform(-0.9, 0.9, s), lambda rng, s: np.zeros(s, np.int64))
NONZERO = Domain("nonzero", lambda rng, s: rng.uniform(0.5, 2, s) * _signs(rng, s),
                 lambda rng, s: rng.integers(1, 5, s) * _signs(rng, s).astype(np.int64))
DISTINCT = Domain("distinct", _distinct, lambda rng, s: rng.permutation(int(np.prod(s))).reshape(s) - 3)
FRACTIONAL = Domain("fractional", _fractional, lambda rng, s: rng.integers(-4, 5, s))
EXPONENT = Domain("exponent", lambda rng, s: rng.uniform(-2, 2, s), lambda rng, s: rng.integers(0, 4, s))
ONE_ZERO = Domain("one zero", _with_zero(1), lambda rng, s: rng.integers(-2, 3, s))
POSITIVE_ONE_ZERO = Domain("positive, one zero", _with_zero(1, signed=False), lambda rng, s: rng.integers(0, 3, s))
TWO_ZEROS = Domain("two zeros", _with_zero(2), lambda rng, s: rng.integers(-2, 3, s))
SPECIAL = Domain("nan/inf", _special, lambda rng, s: rng.integers(-4, 5, s))
SHIFTS = Domain("shifts", lambda rng, s: rng.integers(0, 4, s).astype(float), lambda rng, s: rng.integers(0, 4, s))
BITS = Domain("bits", lambda rng, s: rng.uniform(-2, 2, s), lambda rng, s: rng.integers(0, 64, s))


def index_domain(extent):
    """Valid indices ``0 <= i < extent`` (for int64 index tensors)."""
    return Domain(f"index<{extent}", lambda rng, s: rng.integers(0, extent, s).astype(float),
                  lambda rng, s: rng.integers(0, extent, s))


class T:
    """A tensor argument: its shape, value domain and dtype (None: the dtype under test)."""

    __slots__ = ("shape", "domain", "dtype")

    def __init__(self, shape, domain=REAL, dtype=None):
        self.shape = tuple(shape)
        self.domain = domain
        self.dtype = dtype

    def draw(self, rng, dtype):
        dtype = self.dtype or dtype
        if dtype == "bool":
            return rng.random(self.shape) < 0.5
        if dtype.startswith("int") or dtype.startswith("uint"):
            return np.asarray(self.domain.ints(rng, self.shape)).astype(dtype)
        return np.asarray(self.domain.floats(rng, self.shape)).astype(dtype)


# ---- result dtype rules (torch's) -------------------------------------------------------
def SAME(dtype):
    return dtype


def FLOAT(dtype):
    """Integers and bool become the default float."""
    return dtype if dtype in FLOATS else "float32"


def BOOL(dtype):
    return "bool"


def LONG(dtype):
    return "int64"


def LONG_INTS(dtype):
    """Integral inputs accumulate in int64 (sum, prod, cumsum), floats keep their dtype."""
    return dtype if dtype in FLOATS else "int64"


TOLERANCES = {"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-12)}


class Entry:
    """One row of the table (see the module docstring)."""

    def __init__(self, name, function, reference, args, dtypes=FLOATS, result=SAME, grad=True, gradgrad=False,
                 layouts=True, tol=None, wrt=None, variant=False, elementwise=False):
        self.name = name
        self.function = function
        self.reference = reference
        self.args = tuple(args)
        self.dtypes = tuple(dtypes)
        self.result = result
        self.grad = grad
        self.gradgrad = gradgrad
        self.layouts = layouts
        self.tol = dict(TOLERANCES, **(tol or {}))
        self.wrt = wrt
        self.variant = variant  # a secondary variant (0-d operand, Python scalar, keepdim): values only
        self.elementwise = elementwise  # every argument may take any shape (all the same): also run empty and 0-d

    def __repr__(self):
        return f"<Entry {self.name}>"

    def draw(self, rng, dtype):
        return [arg.draw(rng, dtype) for arg in self.args]

    def differentiated(self, position):
        """Whether gradient tests differentiate argument ``position`` (default: every test-dtype tensor)."""
        return self.args[position].dtype is None and (self.wrt is None or position in self.wrt)

    def result_dtypes(self, dtype, count):
        rules = self.result if isinstance(self.result, tuple) else (self.result,) * count
        return [rule(dtype) for rule in rules]


def op(name, function, reference, *args, **options):
    """One table entry."""
    return Entry(name, function, reference, args, **options)


def _bool_to_long(rule):
    """A bool tensor with a Python int becomes int64 (torch's promotion)."""
    return lambda dtype: "int64" if dtype == "bool" else rule(dtype)


def binary(name, function, reference, domains=(REAL, REAL), scalar=1.5, int_scalar=2, result=SAME,
           dtypes=NUMBERS, **options):
    """The entries of an element-wise binary op: same shapes, broadcast (3,1)x(1,4), 0-d operands,
    and Python scalars on either side (float scalars turn integer tensors into float32).  The variants
    run on fewer dtypes, and double backward (``gradgrad``) only on the first two; 0-d and scalar
    variants are ``variant`` entries (off the cpu: values on one dtype, no gradients)."""
    first, second = domains
    base = dict(options)
    options.pop("gradgrad", None)
    variant_dtypes = tuple(dtype for dtype in dtypes if dtype in VARIANT_DTYPES)
    float_result = BOOL if result is BOOL else FLOAT
    int_result = BOOL if result is BOOL else _bool_to_long(result)
    entries = [
        op(name, function, reference, T((2, 3), first), T((2, 3), second), result=result, dtypes=dtypes,
           elementwise=True, **base),
        op(f"{name}[broadcast]", function, reference, T((3, 1), first), T((1, 4), second), result=result,
           dtypes=variant_dtypes, **base),
        op(f"{name}[0-d other]", function, reference, T((2, 3), first), T((), second), result=result,
           dtypes=variant_dtypes, variant=True, **options),
        op(f"{name}[0-d input]", function, reference, T((), first), T((3,), second), result=result,
           dtypes=variant_dtypes, variant=True, **options),
    ]
    if int_scalar is not None:
        entries += [
            op(f"{name}[int scalar]", lambda a: function(a, int_scalar), lambda a: reference(a, int_scalar),
               T((2, 3), first), result=int_result, dtypes=variant_dtypes, variant=True, **options),
            op(f"{name}[int scalar input]", lambda b: function(int_scalar, b), lambda b: reference(int_scalar, b),
               T((2, 3), second), result=int_result, dtypes=variant_dtypes, variant=True, **options),
        ]
    if scalar is not None:
        entries += [
            op(f"{name}[scalar]", lambda a: function(a, scalar), lambda a: reference(a, scalar), T((2, 3), first),
               result=float_result if result in (SAME, FLOAT) else result, dtypes=variant_dtypes, variant=True, **options),
            op(f"{name}[scalar input]", lambda b: function(scalar, b), lambda b: reference(scalar, b),
               T((2, 3), second), result=float_result if result in (SAME, FLOAT) else result, dtypes=variant_dtypes,
               variant=True, **options),
        ]
    return entries


def _bind(function, dim, keepdim):
    return lambda x: function(x, dim, keepdim)


def reduction(name, function, reference, domain=REAL, shape=(2, 3, 2), dims=(None, 1, -1, (0, 2)), zero_d=True,
              **options):
    """The entries of a reduction ``function(x, dim, keepdim)`` over ``dims`` (None: all dims), with and
    without keepdim (on the first dtype only), plus a 0-d input.  Off the cpu, only dim=None and a
    tuple of dims run in full (see ``Entry.variant``)."""
    entries = []
    for dim in dims:
        for keepdim in (False, True):
            label = f"{name}[{'all' if dim is None else f'dim={dim}'}{', keepdim' if keepdim else ''}]"
            dtypes = options.get("dtypes", FLOATS)
            main = not keepdim and (dim is None or isinstance(dim, tuple))
            entries.append(op(label, _bind(function, dim, keepdim), _bind(reference, dim, keepdim), T(shape, domain),
                              **dict(options, dtypes=dtypes[:1] if keepdim else dtypes, variant=not main)))
    if zero_d:
        entries.append(op(f"{name}[0-d]", _bind(function, None, False), _bind(reference, None, False),
                          T((), domain), variant=True, **options))
    return entries


# ---- numpy references that numpy does not spell the torch way ------------------------------
def np_sum(x, dim, keepdim):
    return np.sum(x, axis=dim, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None)


def np_prod(x, dim, keepdim):
    return np.prod(x, axis=dim, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None)


def np_reduce(function):
    return lambda x, dim, keepdim: function(x, axis=dim, keepdims=keepdim)


def np_arg(function):
    def reference(x, dim, keepdim):
        if dim is None:
            result = function(x.reshape(-1))
            return np.reshape(result, (1,) * x.ndim) if keepdim else result
        return function(x, axis=dim, keepdims=keepdim)
    return reference


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_scatter_add(x, dim, index, source):
    result = x.copy()
    positions = list(np.indices(index.shape))
    positions[dim] = index
    np.add.at(result, tuple(positions), source[tuple(slice(0, n) for n in index.shape)])
    return result


def np_cumulative(function):
    def reference(x, dim):
        return function(x, axis=dim, dtype=np.int64 if x.dtype.kind in "biu" else None)
    return reference


def np_round(x):
    return np.round(x)


def np_relu(x):
    return np.maximum(x, 0).astype(x.dtype)


def np_floor_divide(a, b):
    return np.floor_divide(a, b)


def np_bool_binary(function):
    return lambda a, b: function(np.asarray(a) != 0, np.asarray(b) != 0)


def np_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = dim if isinstance(dim, tuple) else (dim,)
    dims = tuple(d % x.ndim for d in dims if x.shape[d] == 1)
    return np.squeeze(x, axis=dims)


def np_movedim(x, source, destination):
    return np.moveaxis(x, source, destination)


def np_split(x, sizes, dim):
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))


def np_repeat(x, *repeats):
    return np.tile(x, repeats)


def np_max_dim(function, arg):
    return lambda x: (function(x, axis=1), arg(x, axis=1))


def np_index_put(x, index, values):
    result = x.copy()
    result[index] = values
    return result


def np_index_add(x, index, values):
    result = x.copy()
    np.add.at(result, index, values)
    return result


def np_remainder(a, b):
    return np.remainder(a, b)


# ---- references for the composite ops (clamp, statistics, sorting, selection, nn ops, linalg) ----------
def np_erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def np_softmax(x, dim):
    shifted = np.exp(x - x.max(axis=dim, keepdims=True))
    return shifted / shifted.sum(axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    return np.log(np_softmax(x, dim))


def np_logsumexp(x, dim):
    top = x.max(axis=dim, keepdims=True)
    return np.squeeze(top, dim) + np.log(np.exp(x - top).sum(axis=dim))


def np_lower_median(x, dim=None):
    """torch's median: the lower of the two middle values, with its index."""
    if dim is None:
        flat = np.sort(x.reshape(-1))
        return flat[(flat.size - 1) // 2]
    order = np.argsort(x, axis=dim, kind="stable")
    middle = np.take(order, [(x.shape[dim] - 1) // 2], axis=dim)
    return np.squeeze(np.take_along_axis(x, middle, dim), dim), np.squeeze(middle, dim)


def np_sort(x, dim=-1, descending=False):
    order = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, order, dim), order


def np_topk(x, k):
    values, order = np_sort(x, -1, descending=True)
    return values[..., :k], order[..., :k]


def np_kthvalue(x, k, dim):
    values, order = np_sort(x, dim)
    return np.take(values, k - 1, axis=dim), np.take(order, k - 1, axis=dim)


def np_scatter(x, dim, index, source):
    result = x.copy()
    positions = list(np.indices(index.shape))
    positions[dim] = index
    result[tuple(positions)] = source[tuple(slice(0, n) for n in index.shape)]
    return result


def np_index_add_dim(x, dim, index, source):
    result = np.moveaxis(x.copy(), dim, 0)
    np.add.at(result, index, np.moveaxis(source, dim, 0))
    return np.moveaxis(result, 0, dim)


def np_conv(x, weight, bias=None, stride=1, padding=0):
    """Cross-correlation over the trailing spatial dims (1-d or 2-d), groups=1."""
    spatial = weight.ndim - 2
    pad = [(0, 0), (0, 0)] + [(padding, padding)] * spatial
    x = np.pad(x, pad)
    out_sizes = [(x.shape[2 + d] - weight.shape[2 + d]) // stride + 1 for d in range(spatial)]
    result = np.zeros((x.shape[0], weight.shape[0], *out_sizes))
    for position in np.ndindex(*out_sizes):
        window = tuple(slice(p * stride, p * stride + weight.shape[2 + d]) for d, p in enumerate(position))
        patch = x[(slice(None), slice(None)) + window]
        result[(slice(None), slice(None)) + position] = np.tensordot(patch, weight, axes=(
            list(range(1, 2 + spatial)), list(range(1, 2 + spatial))))
    if bias is not None:
        result += bias.reshape((1, -1) + (1,) * spatial)
    return result


def np_conv_transpose(x, weight, stride=1, padding=0):
    """The adjoint of np_conv: weight is (in, out, *kernel), groups=1."""
    spatial = weight.ndim - 2
    kernel = weight.shape[2:]
    full = [(x.shape[2 + d] - 1) * stride + kernel[d] for d in range(spatial)]
    result = np.zeros((x.shape[0], weight.shape[1], *full))
    for position in np.ndindex(*x.shape[2:]):
        window = tuple(slice(p * stride, p * stride + kernel[d]) for d, p in enumerate(position))
        contribution = np.tensordot(x[(slice(None), slice(None)) + position], weight, axes=([1], [0]))
        result[(slice(None), slice(None)) + window] += contribution
    crop = tuple(slice(padding, extent - padding) for extent in full)
    return result[(slice(None), slice(None)) + crop]


def np_pool(x, size, reduce):
    """Non-overlapping pooling with kernel = stride = ``size`` over the trailing 1 or 2 dims."""
    if x.ndim == 3:
        return reduce(x.reshape(x.shape[0], x.shape[1], -1, size), axis=-1)
    n, c, h, w = x.shape
    return reduce(x.reshape(n, c, h // size, size, w // size, size), axis=(3, 5))


def np_adaptive_avg_pool1d(x, size):
    length = x.shape[-1]
    bins = [(i * length // size, -(-(i + 1) * length // size)) for i in range(size)]
    return np.stack([x[..., start:end].mean(-1) for start, end in bins], -1)


def np_gelu(x):
    return 0.5 * x * (1 + np_erf(x / math.sqrt(2)))


def np_softplus(x):
    return np.log1p(np.exp(x))


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def np_selu(x):
    return 1.0507009873554804934193349852946 * np_elu(x, 1.6732632423543772848170429916717)




def np_layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(-1, keepdims=True) + eps) * weight + bias


def np_group_norm(x, groups, weight, bias, eps=1e-5):
    grouped = x.reshape(x.shape[0], groups, -1)
    normal = (grouped - grouped.mean(-1, keepdims=True)) / np.sqrt(grouped.var(-1, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return normal.reshape(x.shape) * weight.reshape(shape) + bias.reshape(shape)


def np_batch_norm(x, eps=1e-5):
    dims = (0,) + tuple(range(2, x.ndim))
    return (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + eps)


def np_cross_entropy(logits, target):
    log_probabilities = np_log_softmax(logits, 1)
    if target.dtype.kind in "iu":
        return -log_probabilities[np.arange(len(target)), target].mean()
    return -(target * log_probabilities).sum(1).mean()


def np_smooth_l1(a, b, beta=1.0):
    difference = np.abs(a - b)
    return np.where(difference < beta, 0.5 * difference ** 2 / beta, difference - 0.5 * beta).mean()


def np_huber(a, b, delta=1.0):
    difference = np.abs(a - b)
    return np.where(difference <= delta, 0.5 * difference ** 2, delta * (difference - 0.5 * delta)).mean()


# ---- the table -------------------------------------------------------------------------------
UNARY = [
    op("neg", pg.neg, np.negative, T((2, 3)), dtypes=NUMBERS, gradgrad=True),
    op("abs", pg.abs, np.abs, T((2, 3), NONZERO), dtypes=NUMBERS, gradgrad=True),
    op("exp", pg.exp, np.exp, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("log", pg.log, np.log, T((2, 3), POSITIVE), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("sqrt", pg.sqrt, np.sqrt, T((2, 3), POSITIVE), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("rsqrt", pg.rsqrt, lambda x: 1 / np.sqrt(x), T((2, 3), POSITIVE), dtypes=NUMBERS, result=FLOAT,
       gradgrad=True),
    op("sin", pg.sin, np.sin, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("cos", pg.cos, np.cos, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("tan", pg.tan, np.tan, T((2, 3), UNIT), dtypes=FLOATS, result=FLOAT, gradgrad=True),
    op("tanh", pg.tanh, np.tanh, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("sigmoid", pg.sigmoid, np_sigmoid, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("relu", pg.relu, np_relu, T((2, 3), NONZERO), dtypes=NUMBERS, gradgrad=True),
    op("asin", pg.asin, np.arcsin, T((2, 3), UNIT), dtypes=FLOATS, result=FLOAT, gradgrad=True),
    op("acos", pg.acos, np.arccos, T((2, 3), UNIT), dtypes=FLOATS, result=FLOAT, gradgrad=True),
    op("atan", pg.atan, np.arctan, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("sinh", pg.sinh, np.sinh, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("cosh", pg.cosh, np.cosh, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("sign", pg.sign, np.sign, T((2, 3), NONZERO), dtypes=NUMBERS),
    op("floor", pg.floor, np.floor, T((2, 3), FRACTIONAL), dtypes=NUMBERS),
    op("ceil", pg.ceil, np.ceil, T((2, 3), FRACTIONAL), dtypes=NUMBERS),
    op("round", pg.round, np_round, T((2, 3), FRACTIONAL), dtypes=NUMBERS),
    op("round[half to even]", pg.round, np_round, T((4,), Domain("halves", lambda rng, s: np.array(
        [0.5, 1.5, 2.5, -2.5])[:s[0]], lambda rng, s: np.arange(s[0]))), dtypes=FLOATS, grad=False),
    op("trunc", pg.trunc, np.trunc, T((2, 3), FRACTIONAL), dtypes=NUMBERS),
    op("log1p", pg.log1p, np.log1p, T((2, 3), POSITIVE), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("expm1", pg.expm1, np.expm1, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("log2", pg.log2, np.log2, T((2, 3), POSITIVE), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("log10", pg.log10, np.log10, T((2, 3), POSITIVE), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("reciprocal", pg.reciprocal, np.reciprocal, T((2, 3), NONZERO), dtypes=FLOATS, result=FLOAT, gradgrad=True),
    op("reciprocal[int]", pg.reciprocal, lambda x: 1 / x, T((2, 3), NONZERO), dtypes=INTS, result=FLOAT,
       grad=False),
    op("square", pg.square, np.square, T((2, 3)), dtypes=NUMBERS, gradgrad=True),
    op("square[bool]", pg.square, lambda x: np.square(x.astype(np.int64)), T((2, 3)), dtypes=("bool",),
       result=LONG, grad=False),
    op("logical_not", pg.logical_not, np.logical_not, T((2, 3), NONZERO), dtypes=LOGICAL, result=BOOL, grad=False),
    op("bitwise_not", pg.bitwise_not, np.invert, T((2, 3), BITS), dtypes=INTS + ("bool",), grad=False),
    op("isnan", pg.isnan, np.isnan, T((2, 3), SPECIAL), dtypes=FLOATS, result=BOOL, grad=False),
    op("isinf", pg.isinf, np.isinf, T((2, 3), SPECIAL), dtypes=FLOATS, result=BOOL, grad=False),
    op("isfinite", pg.isfinite, np.isfinite, T((2, 3), SPECIAL), dtypes=FLOATS, result=BOOL, grad=False),
    op("isnan[int]", pg.isnan, np.isnan, T((2, 3)), dtypes=INTS, result=BOOL, grad=False),
]

BINARY = [
    *binary("add", pg.add, np.add, dtypes=WITH_INT32, gradgrad=True),
    *binary("sub", pg.sub, np.subtract, gradgrad=True),
    *binary("mul", pg.mul, np.multiply, dtypes=WITH_INT32, gradgrad=True),
    *binary("div", pg.div, np.true_divide, domains=(REAL, NONZERO), result=FLOAT, dtypes=WITH_INT32,
            gradgrad=True),
    *binary("pow", pg.pow, np.power, domains=(POSITIVE, EXPONENT), scalar=1.5, int_scalar=2, gradgrad=True),
    op("pow[negative base, int exponent]", lambda a: pg.pow(a, 3), lambda a: a ** 3, T((2, 3)), dtypes=NUMBERS,
       gradgrad=True),
    op("pow[zero exponent]", lambda a: pg.pow(a, 0), lambda a: a ** 0, T((2, 3)), dtypes=NUMBERS),
    op("pow[zero base, tensor exponent]", pg.pow, np.power, T((2, 3), POSITIVE_ONE_ZERO), T((2, 3), POSITIVE),
       dtypes=FLOATS, wrt=(1,)),
    *binary("maximum", pg.maximum, np.maximum, scalar=None, int_scalar=None),
    *binary("minimum", pg.minimum, np.minimum, scalar=None, int_scalar=None),
    op("max[other]", pg.max, np.maximum, T((2, 3)), T((2, 3)), dtypes=NUMBERS),
    op("min[other]", pg.min, np.minimum, T((2, 3)), T((3,)), dtypes=NUMBERS),
    *binary("atan2", pg.atan2, np.arctan2, domains=(REAL, NONZERO), scalar=None, int_scalar=None, result=FLOAT,
            gradgrad=True),
    *binary("remainder", pg.remainder, np_remainder, domains=(REAL, NONZERO)),
    *binary("fmod", pg.fmod, np.fmod, domains=(REAL, NONZERO)),
    *binary("floor_divide", pg.floor_divide, np_floor_divide, domains=(REAL, NONZERO)),
    *binary("eq", pg.eq, np.equal, domains=(FRACTIONAL, FRACTIONAL), result=BOOL, grad=False),
    op("eq[equal values]", pg.eq, np.equal, T((2, 3)), T((2, 3), REAL), dtypes=INTS, result=BOOL, grad=False),
    *binary("ne", pg.ne, np.not_equal, result=BOOL, grad=False),
    *binary("lt", pg.lt, np.less, result=BOOL, grad=False),
    *binary("le", pg.le, np.less_equal, result=BOOL, grad=False),
    *binary("gt", pg.gt, np.greater, result=BOOL, grad=False),
    *binary("ge", pg.ge, np.greater_equal, result=BOOL, grad=False),
    *binary("logical_and", pg.logical_and, np_bool_binary(np.logical_and), domains=(NONZERO, REAL),
            result=BOOL, dtypes=LOGICAL, grad=False),
    *binary("logical_or", pg.logical_or, np_bool_binary(np.logical_or), result=BOOL, dtypes=LOGICAL, grad=False),
    *binary("logical_xor", pg.logical_xor, np_bool_binary(np.logical_xor), result=BOOL, dtypes=LOGICAL,
            grad=False),
    *binary("bitwise_and", pg.bitwise_and, np.bitwise_and, domains=(BITS, BITS), scalar=None, int_scalar=5,
            dtypes=INTS + ("bool",), grad=False),
    *binary("bitwise_or", pg.bitwise_or, np.bitwise_or, domains=(BITS, BITS), scalar=None, int_scalar=5,
            dtypes=INTS + ("bool",), grad=False),
    *binary("bitwise_xor", pg.bitwise_xor, np.bitwise_xor, domains=(BITS, BITS), scalar=None, int_scalar=5,
            dtypes=INTS + ("bool",), grad=False),
    *binary("bitwise_left_shift", pg.bitwise_left_shift, np.left_shift, domains=(BITS, SHIFTS), scalar=None,
            int_scalar=3, dtypes=INTS, grad=False),
    *binary("bitwise_right_shift", pg.bitwise_right_shift, np.right_shift, domains=(BITS, SHIFTS), scalar=None,
            int_scalar=3, dtypes=INTS, grad=False),
    op("where", pg.where, np.where, T((2, 3), dtype="bool"), T((2, 3)), T((2, 3)), dtypes=ANY, gradgrad=True),
    op("where[broadcast]", pg.where, np.where, T((3, 1), dtype="bool"), T((1, 4)), T((3, 4)), dtypes=NUMBERS),
    op("where[0-d other]", pg.where, np.where, T((2, 3), dtype="bool"), T((2, 3)), T(()), dtypes=NUMBERS),
    op("where[scalar other]", lambda c, a: pg.where(c, a, 0.5), lambda c, a: np.where(c, a, 0.5),
       T((2, 3), dtype="bool"), T((2, 3)), dtypes=NUMBERS, result=FLOAT),
    op("where[scalar input]", lambda c, b: pg.where(c, 2, b), lambda c, b: np.where(c, 2, b),
       T((2, 3), dtype="bool"), T((2, 3)), dtypes=NUMBERS),
    op("Tensor.where", lambda a, c, b: a.where(c, b), lambda a, c, b: np.where(c, a, b), T((2, 3)),
       T((2, 3), dtype="bool"), T((2, 3))),
]

for _entry in UNARY:  # fixed-value domains draw a fixed shape
    _entry.elementwise = _entry.args[0].domain.name != "halves"

REDUCTIONS = [
    op("sum[empty]", pg.sum, lambda x: np_sum(x, None, False), T((0, 3)), dtypes=NUMBERS, result=LONG_INTS,
       grad=False),
    op("sum[empty, dim]", lambda x: pg.sum(x, 0), lambda x: np_sum(x, 0, False), T((0, 3)), grad=False),
    op("prod[empty]", pg.prod, lambda x: np_prod(x, None, False), T((2, 0)), dtypes=NUMBERS, result=LONG_INTS,
       grad=False),
    op("mean[empty dim]", lambda x: pg.mean(x, 1), lambda x: np.full(x.shape[:1], np.nan, x.dtype), T((2, 0)),
       grad=False),
    *reduction("sum", pg.sum, np_sum, dtypes=NUMBERS, result=LONG_INTS, gradgrad=True),
    op("sum[int32]", pg.sum, lambda x: np.sum(x, dtype=np.int64), T((2, 3)), dtypes=("int32",), result=LONG,
       grad=False),
    op("prod[int32]", lambda x: pg.prod(x, 0), lambda x: np.prod(x, 0, dtype=np.int64), T((2, 3)),
       dtypes=("int32",), result=LONG, grad=False),
    op("sum[bool]", pg.sum, lambda x: np.sum(x, dtype=np.int64), T((2, 3)), dtypes=("bool",), result=LONG,
       grad=False),
    op("sum[dtype=float64]", lambda x: pg.sum(x, 1, dtype=pg.float64), lambda x: np.sum(x, 1, dtype=np.float64),
       T((2, 3)), dtypes=NUMBERS, result=lambda d: "float64"),
    op("sum[0-d, dim=0]", lambda x: pg.sum(x, 0), lambda x: x, T(()), dtypes=FLOATS),
    op("sum[0-d, dim=-1, keepdim]", lambda x: pg.sum(x, -1, keepdim=True), lambda x: x, T(()), dtypes=FLOATS),
    op("Tensor.sum[axis]", lambda x: x.sum(axis=0), lambda x: x.sum(axis=0), T((2, 3))),
    *reduction("mean", pg.mean, np_reduce(np.mean), gradgrad=True),
    *reduction("prod", pg.prod, np_prod, dims=(None, 1, -1), dtypes=NUMBERS, result=LONG_INTS, gradgrad=True),
    op("prod[one zero]", pg.prod, np.prod, T((2, 3), ONE_ZERO), gradgrad=True),
    op("prod[two zeros]", pg.prod, np.prod, T((2, 3), TWO_ZEROS), gradgrad=True),
    op("prod[dim, one zero]", lambda x: pg.prod(x, 1), lambda x: np.prod(x, 1), T((3, 4), ONE_ZERO), gradgrad=True),
    *reduction("amax", lambda x, dim, keep: pg.amax(x, () if dim is None else dim, keep), np_reduce(np.amax),
               domain=DISTINCT, dtypes=NUMBERS, gradgrad=True),
    *reduction("amin", lambda x, dim, keep: pg.amin(x, () if dim is None else dim, keep), np_reduce(np.amin),
               domain=DISTINCT, dtypes=NUMBERS),
    op("amax[ties]", lambda x: pg.amax(x, 1), lambda x: np.amax(x, 1), T((2, 3), Domain(
        "ties", lambda rng, s: np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), lambda rng, s: np.ones(s, int))),
       grad=False),
    op("max", pg.max, np.max, T((2, 3), DISTINCT), dtypes=NUMBERS),
    op("min", pg.min, np.min, T((2, 3), DISTINCT), dtypes=NUMBERS),
    op("max[dim]", lambda x: tuple(pg.max(x, 1)), np_max_dim(np.max, np.argmax), T((3, 4), DISTINCT),
       dtypes=NUMBERS, result=(SAME, LONG)),
    op("min[dim]", lambda x: tuple(pg.min(x, 1)), np_max_dim(np.min, np.argmin), T((3, 4), DISTINCT),
       dtypes=NUMBERS, result=(SAME, LONG)),
    op("max[dim, keepdim]", lambda x: tuple(pg.max(x, 0, keepdim=True)),
       lambda x: (np.max(x, 0, keepdims=True), np.argmax(x, 0, keepdims=True)), T((3, 4), DISTINCT),
       result=(SAME, LONG)),
    op("max[dim].values", lambda x: pg.max(x, -1).values, lambda x: np.max(x, -1), T((2, 2, 3), DISTINCT)),
    op("min[dim].indices", lambda x: pg.min(x, -1).indices, lambda x: np.argmin(x, -1), T((2, 2, 3), DISTINCT),
       dtypes=NUMBERS, result=LONG, grad=False),
    *reduction("argmax", lambda x, dim, keep: pg.argmax(x, dim, keep), np_arg(np.argmax), domain=DISTINCT,
               dims=(None, 1, -1), dtypes=NUMBERS, result=LONG, grad=False),
    *reduction("argmin", lambda x, dim, keep: pg.argmin(x, dim, keep), np_arg(np.argmin), domain=DISTINCT,
               dims=(None, 0), dtypes=NUMBERS, result=LONG, grad=False),
    *reduction("all", pg.all, np_reduce(np.all), domain=NONZERO, dims=(None, 1, (0, 2)), dtypes=LOGICAL,
               result=BOOL, grad=False),
    *reduction("any", pg.any, np_reduce(np.any), dims=(None, -1), dtypes=LOGICAL, result=BOOL, grad=False),
    op("cumsum", lambda x: pg.cumsum(x, 1), lambda x: np_cumulative(np.cumsum)(x, 1), T((2, 3)), dtypes=WITH_INT32,
       result=LONG_INTS, gradgrad=True),
    op("cumsum[dim=-1, 3-d]", lambda x: pg.cumsum(x, -1), lambda x: np.cumsum(x, -1), T((2, 2, 3))),
    op("cumsum[bool]", lambda x: pg.cumsum(x, 0), lambda x: np.cumsum(x, 0, dtype=np.int64), T((5,)),
       dtypes=("bool",), result=LONG, grad=False),
    op("cumprod", lambda x: pg.cumprod(x, 1), lambda x: np_cumulative(np.cumprod)(x, 1), T((2, 3), NONZERO),
       dtypes=NUMBERS, result=LONG_INTS, gradgrad=True),
    op("cumprod[one zero]", lambda x: pg.cumprod(x, 0), lambda x: np.cumprod(x, 0), T((5,), ONE_ZERO),
       gradgrad=True),
    op("cumprod[two zeros]", lambda x: pg.cumprod(x, 1), lambda x: np.cumprod(x, 1), T((2, 5), TWO_ZEROS)),
]

SHAPES = [
    op("reshape", lambda x: pg.reshape(x, (3, 4)), lambda x: x.reshape(3, 4), T((2, 6)), dtypes=ANY, gradgrad=True),
    op("reshape[-1]", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2), T((2, 3, 2))),
    op("reshape[0-d]", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), T(())),
    op("view", lambda x: x.view(4, 3), lambda x: x.reshape(4, 3), T((2, 6)), dtypes=ANY, layouts=False),
    op("view[-1]", lambda x: x.view(-1), lambda x: x.reshape(-1), T((3, 4)), layouts=False),
    op("view_as", lambda x, y: x.view_as(y), lambda x, y: x.reshape(y.shape), T((2, 6)), T((3, 4)), layouts=False),
    op("permute", lambda x: pg.permute(x, (2, 0, 1)), lambda x: x.transpose(2, 0, 1), T((2, 3, 2)), dtypes=ANY,
       gradgrad=True),
    op("permute[negative dims]", lambda x: x.permute(-1, 0, -2), lambda x: x.transpose(2, 0, 1), T((2, 3, 2))),
    op("transpose", lambda x: pg.transpose(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), T((2, 3, 2)), dtypes=ANY),
    op("swapaxes", lambda x: pg.swapaxes(x, 0, 1), lambda x: np.swapaxes(x, 0, 1), T((2, 3))),
    op("t", pg.t, np.transpose, T((2, 3)), dtypes=NUMBERS),
    op("t[1-d]", pg.t, lambda x: x, T((3,))),
    op("Tensor.T", lambda x: x.T, lambda x: x.T, T((2, 3))),
    op("Tensor.mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), T((2, 2, 3))),
    op("expand", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), T((3, 1)), dtypes=ANY,
       gradgrad=True),
    op("expand[-1]", lambda x: x.expand(-1, 4), lambda x: np.broadcast_to(x, (3, 4)), T((3, 1))),
    op("expand_as", lambda x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape), T((1, 3)), T((2, 3))),
    op("broadcast_to", lambda x: pg.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)), T((3,))),
    op("broadcast_to[0-d]", lambda x: pg.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)), T(())),
    op("squeeze", pg.squeeze, np.squeeze, T((1, 3, 1, 2)), dtypes=ANY),
    op("squeeze[dim]", lambda x: pg.squeeze(x, 2), lambda x: np_squeeze(x, 2), T((1, 3, 1, 2))),
    op("squeeze[dim not 1]", lambda x: pg.squeeze(x, 1), lambda x: np_squeeze(x, 1), T((1, 3, 1, 2))),
    op("squeeze[dims]", lambda x: pg.squeeze(x, (0, -2)), lambda x: np_squeeze(x, (0, -2)), T((1, 3, 1, 2))),
    op("unsqueeze", lambda x: pg.unsqueeze(x, 1), lambda x: np.expand_dims(x, 1), T((2, 3)), dtypes=ANY),
    op("unsqueeze[-1]", lambda x: x.unsqueeze(-1), lambda x: np.expand_dims(x, -1), T((2, 3))),
    op("unsqueeze[0-d]", lambda x: x.unsqueeze(0), lambda x: np.expand_dims(x, 0), T(())),
    op("flatten", pg.flatten, lambda x: x.reshape(-1), T((2, 3, 2)), dtypes=ANY),
    op("flatten[1:]", lambda x: pg.flatten(x, 1), lambda x: x.reshape(2, -1), T((2, 3, 2))),
    op("flatten[0:1]", lambda x: x.flatten(0, 1), lambda x: x.reshape(6, 2), T((2, 3, 2))),
    op("flatten[0-d]", pg.flatten, lambda x: x.reshape(1), T(())),
    op("unflatten", lambda x: pg.unflatten(x, 1, (2, 3)), lambda x: x.reshape(2, 2, 3), T((2, 6))),
    op("cat", lambda a, b: pg.cat([a, b]), lambda a, b: np.concatenate([a, b]), T((2, 3)), T((1, 3)), dtypes=ANY,
       gradgrad=True),
    op("cat[dim=1]", lambda a, b, c: pg.cat((a, b, c), 1), lambda a, b, c: np.concatenate([a, b, c], 1),
       T((2, 1)), T((2, 3)), T((2, 2))),
    op("cat[dim=-1, 3 inputs]", lambda a, b, c: pg.cat([a, b, c], -1), lambda a, b, c: np.concatenate([a, b, c], -1),
       T((2,)), T((3,)), T((1,))),
    op("concatenate", lambda a, b: pg.concatenate([a, b], axis=0), lambda a, b: np.concatenate([a, b]),
       T((2,)), T((3,))),
    op("stack", lambda a, b: pg.stack([a, b]), lambda a, b: np.stack([a, b]), T((2, 3)), T((2, 3)), dtypes=ANY),
    op("stack[dim=-1]", lambda a, b: pg.stack([a, b], -1), lambda a, b: np.stack([a, b], -1), T((2, 3)), T((2, 3))),
    op("stack[0-d]", lambda a, b: pg.stack([a, b]), lambda a, b: np.stack([a, b]), T(()), T(())),
    op("hstack", lambda a, b: pg.hstack([a, b]), lambda a, b: np.hstack([a, b]), T((2, 1)), T((2, 3))),
    op("vstack", lambda a, b: pg.vstack([a, b]), lambda a, b: np.vstack([a, b]), T((3,)), T((2, 3))),
    op("split", lambda x: pg.split(x, 2), lambda x: np_split(x, (2, 2, 1), 0), T((5, 2)), dtypes=ANY),
    op("split[sizes, dim=1]", lambda x: x.split([1, 3], 1), lambda x: np_split(x, (1, 3), 1), T((2, 4))),
    op("chunk", lambda x: pg.chunk(x, 3, 1), lambda x: np_split(x, (2, 2, 1), 1), T((2, 5))),
    op("chunk[fewer]", lambda x: x.chunk(4), lambda x: np_split(x, (2, 2, 2), 0), T((6, 2))),
    op("unbind", lambda x: pg.unbind(x, 1), lambda x: tuple(np.moveaxis(x, 1, 0)), T((2, 3))),
    op("flip", lambda x: pg.flip(x, 0), lambda x: np.flip(x, 0), T((2, 3)), dtypes=ANY, gradgrad=True),
    op("flip[dims]", lambda x: x.flip(0, -1), lambda x: np.flip(x, (0, 2)), T((2, 3, 2))),
    op("narrow", lambda x: pg.narrow(x, 1, 1, 2), lambda x: x[:, 1:3], T((2, 4)), dtypes=ANY),
    op("narrow[negative start]", lambda x: x.narrow(0, -2, 2), lambda x: x[-2:], T((4, 2))),
    op("repeat", lambda x: x.repeat(2, 1), lambda x: np_repeat(x, 2, 1), T((2, 3)), dtypes=ANY, gradgrad=True),
    op("repeat[new dims]", lambda x: x.repeat(2, 1, 2), lambda x: np_repeat(x, 2, 1, 2), T((2, 3))),
    op("movedim", lambda x: pg.movedim(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), T((2, 3, 2)), dtypes=ANY),
    op("movedim[tuple]", lambda x: x.movedim((0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0)),
       T((2, 3, 2))),
    op("clone", pg.clone, np.copy, T((2, 3)), dtypes=ANY),
    op("contiguous", lambda x: x.contiguous(), np.ascontiguousarray, T((2, 3)), dtypes=ANY),
]

INDEXING = [
    op("getitem[int]", lambda x: x[1], lambda x: x[1], T((3, 4)), dtypes=ANY, gradgrad=True),
    op("getitem[slices]", lambda x: x[1:, ::2], lambda x: x[1:, ::2], T((3, 4)), dtypes=ANY, gradgrad=True),
    op("getitem[negative int, None, ellipsis]", lambda x: x[..., -1, None], lambda x: x[..., -1, None],
       T((2, 3, 2))),
    op("getitem[0-d result]", lambda x: x[1, 2], lambda x: x[1, 2], T((3, 4))),
    op("getitem[int tensor]", lambda x, i: x[i], lambda x, i: x[i], T((3, 4)), T((5,), index_domain(3), "int64"),
       dtypes=ANY, gradgrad=True),
    op("getitem[int tensor, dim 1]", lambda x, i: x[:, i], lambda x, i: x[:, i], T((3, 4)),
       T((2, 2), index_domain(4), "int64")),
    op("getitem[two int tensors]", lambda x, i, j: x[i, j], lambda x, i, j: x[i, j], T((3, 4)),
       T((3,), index_domain(3), "int64"), T((3,), index_domain(4), "int64")),
    op("getitem[list]", lambda x: x[[0, 2, 2]], lambda x: x[[0, 2, 2]], T((3, 2))),
    op("getitem[bool mask]", lambda x, m: x[m], lambda x, m: x[m], T((3, 4)), T((3, 4), dtype="bool"), dtypes=ANY,
       gradgrad=True),
    op("getitem[bool mask rows]", lambda x, m: x[m], lambda x, m: x[m], T((3, 4)), T((3,), dtype="bool")),
    op("getitem[comparison mask]", lambda x: x[x > 0], lambda x: x[x > 0], T((3, 4)), dtypes=NUMBERS),
    op("index_put", lambda x, v: pg.index_put(x, (pg.tensor([0, 2], device=x.device),), v),
       lambda x, v: np_index_put(x, ([0, 2],), v), T((3, 2)), T((2, 2))),
    op("index_put[accumulate]", lambda x, v: pg.index_put(x, (pg.tensor([1, 1], device=x.device),), v, True),
       lambda x, v: np_index_add(x, ([1, 1],), v), T((3, 2)), T((2, 2))),
    op("gather", lambda x, i: pg.gather(x, 1, i), lambda x, i: np.take_along_axis(x, i, 1), T((3, 4)),
       T((3, 2), index_domain(4), "int64"), dtypes=ANY, gradgrad=True),
    op("gather[dim=0]", lambda x, i: x.gather(0, i), lambda x, i: np.take_along_axis(x, i, 0), T((3, 4)),
       T((2, 4), index_domain(3), "int64")),
    op("scatter_add", lambda x, i, s: pg.scatter_add(x, 1, i, s), lambda x, i, s: np_scatter_add(x, 1, i, s),
       T((3, 4)), T((3, 3), index_domain(4), "int64"), T((3, 3)), dtypes=NUMBERS, gradgrad=True),
    op("scatter_add[dim=0]", lambda x, i, s: x.scatter_add(0, i, s), lambda x, i, s: np_scatter_add(x, 0, i, s),
       T((3, 2)), T((4, 2), index_domain(3), "int64"), T((4, 2))),
    op("nonzero", pg.nonzero, lambda x: np.stack(np.nonzero(x), 1), T((3, 4), ONE_ZERO), dtypes=ANY, result=LONG,
       grad=False),
    op("nonzero[as_tuple]", lambda x: pg.nonzero(x, as_tuple=True), np.nonzero, T((3, 4), TWO_ZEROS), result=LONG,
       grad=False),
    op("where[condition only]", pg.where, np.nonzero, T((2, 3), TWO_ZEROS), result=LONG, grad=False),
]

LINALG = [
    op("matmul", pg.matmul, np.matmul, T((2, 3)), T((3, 4)), dtypes=NUMBERS, gradgrad=True),
    op("matmul[vector, vector]", pg.matmul, np.matmul, T((3,)), T((3,)), dtypes=NUMBERS),
    op("matmul[matrix, vector]", pg.matmul, np.matmul, T((2, 3)), T((3,))),
    op("matmul[vector, matrix]", pg.matmul, np.matmul, T((3,)), T((3, 2))),
    op("matmul[batch, matrix]", pg.matmul, np.matmul, T((2, 2, 3)), T((3, 2)), gradgrad=True),
    op("matmul[broadcast batch]", pg.matmul, np.matmul, T((2, 1, 2, 3)), T((2, 3, 1))),
    op("matmul[batch, vector]", pg.matmul, np.matmul, T((2, 2, 3)), T((3,))),
    op("@", lambda a, b: a @ b, np.matmul, T((2, 3)), T((3, 2))),
    op("mm", pg.mm, np.matmul, T((2, 3)), T((3, 4)), dtypes=NUMBERS),
    op("bmm", pg.bmm, np.matmul, T((2, 2, 3)), T((2, 3, 2)), dtypes=NUMBERS, gradgrad=True),
    op("mv", pg.mv, np.matmul, T((2, 3)), T((3,)), dtypes=NUMBERS),
    op("dot", pg.dot, np.dot, T((4,)), T((4,)), dtypes=NUMBERS, gradgrad=True),
    op("outer", pg.outer, np.outer, T((3,)), T((4,)), dtypes=NUMBERS, gradgrad=True),
]

CASTS = [
    op("to(float64)", lambda x: x.to(pg.float64), lambda x: x.astype(np.float64), T((2, 3)), dtypes=ANY,
       result=lambda d: "float64", grad=False),
    op("double", lambda x: x.double(), lambda x: x, T((2, 3)), result=lambda d: "float64"),
    op("float", lambda x: x.float(), lambda x: x, T((2, 3)), result=lambda d: "float32", grad=False),
    op("long", lambda x: x.long(), lambda x: np.trunc(x).astype(np.int64), T((2, 3)), dtypes=NUMBERS, result=LONG,
       grad=False),
    op("bool", lambda x: x.bool(), lambda x: x != 0, T((2, 3), ONE_ZERO), dtypes=ANY, result=BOOL, grad=False),
    op("Tensor.view[dtype]", lambda x: x.view(pg.int64), lambda x: x.view(np.int64), T((2, 3)), dtypes=("float64",),
       result=LONG, grad=False),
]

def _permutation_rows(extent):
    """Index rows that are permutations of 0..extent-1 (for scatter/index_copy, where duplicates race)."""
    return Domain("permutation rows", lambda rng, s: np.argsort(rng.random(s), -1).astype(float) % extent,
                  lambda rng, s: np.argsort(rng.random(s), -1) % extent)


NAN = Domain("with nan", lambda rng, s: np.where(rng.random(s) < 0.3, np.nan, rng.uniform(-2, 2, s)),
             lambda rng, s: rng.integers(-4, 5, s))
SPD = Domain("symmetric positive definite", lambda rng, s: (lambda a: a @ np.swapaxes(a, -1, -2) + 3 * np.eye(s[-1]))(
    rng.uniform(-1, 1, s)), lambda rng, s: np.eye(s[-1], dtype=np.int64))
WELL_CONDITIONED = Domain("well conditioned", lambda rng, s: rng.uniform(-1, 1, s) + 3 * np.eye(s[-1]),
                          lambda rng, s: np.eye(s[-1], dtype=np.int64))

COMPOSITES = [
    op("clamp", lambda x: pg.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), T((2, 3)), gradgrad=True),
    op("clamp[int bounds]", lambda x: pg.clamp(x, -1, 2), lambda x: np.clip(x, -1, 2), T((2, 3)), dtypes=NUMBERS),
    op("clamp[min only]", lambda x: pg.clamp(x, min=0.2), lambda x: np.maximum(x, 0.2), T((2, 3))),
    op("clamp[tensor bounds]", lambda x, low, high: pg.clamp(x, low, high),
       lambda x, low, high: np.minimum(np.maximum(x, low), high), T((2, 3)), T((2, 3)), T((3,))),
    op("clip", lambda x: pg.clip(x, max=0.3), lambda x: np.minimum(x, 0.3), T((2, 3))),
    op("clamp_min", lambda x: pg.clamp_min(x, 0.1), lambda x: np.maximum(x, 0.1), T((2, 3))),
    op("clamp_max", lambda x: pg.clamp_max(x, 0.1), lambda x: np.minimum(x, 0.1), T((2, 3))),
    op("frac", pg.frac, lambda x: x - np.trunc(x), T((2, 3), FRACTIONAL)),
    op("addcmul", lambda x, a, b: pg.addcmul(x, a, b, value=0.5), lambda x, a, b: x + 0.5 * a * b, T((2, 3)),
       T((2, 3)), T((3,)), gradgrad=True),
    op("addcdiv", lambda x, a, b: pg.addcdiv(x, a, b, value=2), lambda x, a, b: x + 2 * a / b, T((2, 3)),
       T((2, 3)), T((2, 1), NONZERO)),
    op("lerp", lambda x, end: pg.lerp(x, end, 0.3), lambda x, end: x + 0.3 * (end - x), T((2, 3)), T((2, 3))),
    op("lerp[tensor weight]", pg.lerp, lambda x, end, weight: x + weight * (end - x), T((2, 3)), T((2, 3)),
       T((3,))),
    op("hypot", pg.hypot, np.hypot, T((2, 3), NONZERO), T((2, 3), NONZERO)),
    op("logaddexp", pg.logaddexp, np.logaddexp, T((2, 3)), T((2, 3)), gradgrad=True),
    op("logaddexp2", pg.logaddexp2, np.logaddexp2, T((2, 3)), T((2, 3))),
    *reduction("var", lambda x, dim, keep: pg.var(x, dim, keepdim=keep),
               lambda x, dim, keep: np.var(x, axis=dim, keepdims=keep, ddof=1), dims=(None, 1, (0, 2)),
               zero_d=False, gradgrad=True),
    op("var[correction=0]", lambda x: pg.var(x, 1, correction=0), lambda x: np.var(x, 1), T((2, 3))),
    op("var[unbiased=False]", lambda x: pg.var(x, unbiased=False), lambda x: np.var(x), T((2, 3))),
    *reduction("std", lambda x, dim, keep: pg.std(x, dim, keepdim=keep),
               lambda x, dim, keep: np.std(x, axis=dim, keepdims=keep, ddof=1), dims=(None, -1),
               zero_d=False),
    op("var_mean", lambda x: pg.var_mean(x, 1), lambda x: (np.var(x, 1, ddof=1), np.mean(x, 1)), T((2, 3))),
    op("std_mean", lambda x: pg.std_mean(x, 0), lambda x: (np.std(x, 0, ddof=1), np.mean(x, 0)), T((3, 2))),
    op("median", pg.median, np_lower_median, T((3, 3), DISTINCT), dtypes=NUMBERS),
    op("median[even count]", pg.median, np_lower_median, T((2, 3), DISTINCT), dtypes=NUMBERS),
    op("median[dim]", lambda x: tuple(pg.median(x, 1)), lambda x: np_lower_median(x, 1), T((2, 4), DISTINCT),
       dtypes=NUMBERS, result=(SAME, LONG)),
    op("nanmedian", pg.nanmedian, lambda x: np_lower_median(x[~np.isnan(x)]), T((3, 3), NAN), grad=False),
    op("norm", pg.norm, lambda x: np.sqrt(np.sum(x * x)), T((2, 3)), gradgrad=True),
    op("norm[p=1, dim]", lambda x: pg.norm(x, 1, dim=1), lambda x: np.abs(x).sum(1), T((2, 3), NONZERO)),
    op("norm[p=3, keepdim]", lambda x: pg.norm(x, 3, dim=0, keepdim=True),
       lambda x: (np.abs(x) ** 3).sum(0, keepdims=True) ** (1 / 3), T((2, 3), NONZERO)),
    op("norm[inf]", lambda x: pg.norm(x, float("inf")), lambda x: np.abs(x).max(), T((2, 3), DISTINCT)),
    op("dist", pg.dist, lambda a, b: np.sqrt(np.sum((a - b) ** 2)), T((2, 3)), T((3,))),
    op("count_nonzero", pg.count_nonzero, np.count_nonzero, T((3, 4), TWO_ZEROS), dtypes=ANY, result=LONG,
       grad=False),
    op("count_nonzero[dim]", lambda x: pg.count_nonzero(x, 1), lambda x: np.count_nonzero(x, 1), T((3, 4), TWO_ZEROS),
       result=LONG, grad=False),
    op("nansum", lambda x: pg.nansum(x, 1), lambda x: np.nansum(x, 1), T((3, 4), NAN), grad=False),
    op("nanmean", pg.nanmean, np.nanmean, T((3, 4), NAN), grad=False),
    op("sort", lambda x: tuple(pg.sort(x)), np_sort, T((2, 4), DISTINCT), dtypes=NUMBERS, result=(SAME, LONG)),
    op("sort[dim=0, descending]", lambda x: tuple(pg.sort(x, 0, descending=True)),
       lambda x: np_sort(x, 0, descending=True), T((3, 2), DISTINCT), result=(SAME, LONG)),
    op("argsort", lambda x: pg.argsort(x, 1), lambda x: np.argsort(x, 1), T((2, 4), DISTINCT), dtypes=NUMBERS,
       result=LONG, grad=False),
    op("msort", pg.msort, lambda x: np.sort(x, 0), T((3, 2), DISTINCT)),
    op("topk", lambda x: tuple(pg.topk(x, 2)), lambda x: np_topk(x, 2), T((2, 4), DISTINCT), dtypes=NUMBERS,
       result=(SAME, LONG)),
    op("kthvalue", lambda x: tuple(pg.kthvalue(x, 2, 0)), lambda x: np_kthvalue(x, 2, 0), T((3, 2), DISTINCT),
       result=(SAME, LONG)),
    op("unique", pg.unique, np.unique, T((3, 4)), dtypes=("int64", "float32"), grad=False),
    op("unique[inverse, counts]", lambda x: pg.unique(x, return_inverse=True, return_counts=True),
       lambda x: np.unique(x, return_inverse=True, return_counts=True), T((6,)), dtypes=("int64",),
       result=(SAME, LONG, LONG), grad=False),
    op("searchsorted", lambda boundaries, values: pg.searchsorted(boundaries, values),
       lambda boundaries, values: np.searchsorted(boundaries, values), T((5,), Domain(
           "sorted", lambda rng, s: np.sort(rng.uniform(-2, 2, s)), lambda rng, s: np.sort(rng.integers(-4, 5, s)))),
       T((2, 3)), dtypes=NUMBERS, result=LONG, grad=False),
    op("bucketize", lambda values, boundaries: pg.bucketize(values, boundaries, right=True),
       lambda values, boundaries: np.searchsorted(boundaries, values, side="right"), T((2, 3)), T((4,), Domain(
           "sorted", lambda rng, s: np.sort(rng.uniform(-2, 2, s)), lambda rng, s: np.sort(rng.integers(-4, 5, s)))),
       result=LONG, grad=False),
    op("isclose", lambda a, b: pg.isclose(a, a + b * 1e-9), lambda a, b: np.isclose(a, a + b * 1e-9),
       T((2, 3)), T((2, 3)), result=BOOL, grad=False),
    op("index_select", lambda x, i: pg.index_select(x, 1, i), lambda x, i: np.take(x, i, 1), T((3, 4)),
       T((3,), index_domain(4), "int64"), dtypes=ANY, gradgrad=True),
    op("masked_select", pg.masked_select, lambda x, m: x[np.broadcast_to(m, x.shape)], T((3, 4)),
       T((4,), dtype="bool"), dtypes=NUMBERS),
    op("masked_fill", lambda x, m: pg.masked_fill(x, m, -1.5), lambda x, m: np.where(m, -1.5, x), T((3, 4)),
       T((3, 4), dtype="bool")),
    op("Tensor.masked_fill[int]", lambda x, m: x.masked_fill(m, 7), lambda x, m: np.where(m, 7, x), T((3, 4)),
       T((1, 4), dtype="bool"), dtypes=("int64",), grad=False),
    op("scatter", lambda x, i, s: pg.scatter(x, 1, i, s), lambda x, i, s: np_scatter(x, 1, i, s), T((3, 4)),
       T((3, 4), _permutation_rows(4), "int64"), T((3, 4)), dtypes=NUMBERS),
    op("scatter[value]", lambda x, i: pg.scatter(x, 1, i, value=2.0),
       lambda x, i: np_scatter(x, 1, i, np.full(i.shape, 2.0)), T((3, 4)), T((3, 2), _permutation_rows(4), "int64")),
    op("take", pg.take, lambda x, i: np.take(x.reshape(-1), i), T((3, 4)), T((2, 3), index_domain(12), "int64")),
    op("take_along_dim", lambda x, i: pg.take_along_dim(x, i, 1), lambda x, i: np.take_along_axis(x, i, 1),
       T((3, 4)), T((3, 2), index_domain(4), "int64")),
    op("index_add", lambda x, i, s: pg.index_add(x, 0, i, s), lambda x, i, s: np_index_add_dim(x, 0, i, s), T((3, 2)),
       T((4,), index_domain(3), "int64"), T((4, 2)), dtypes=NUMBERS),
    op("index_copy", lambda x, i, s: pg.index_copy(x, 1, i, s),
       lambda x, i, s: np_scatter(x, 1, np.broadcast_to(i, (3, 3)), s), T((3, 4)),
       T((3,), _permutation_rows(4), "int64"), T((3, 3))),
    op("index_fill", lambda x, i: pg.index_fill(x, 1, i, -1.0), lambda x, i: np_scatter(
        x, 1, np.broadcast_to(i, (3, 2)), np.full((3, 2), -1.0)), T((3, 4)), T((2,), _permutation_rows(4), "int64")),
    op("einsum[matmul]", lambda a, b: pg.einsum("ij,jk->ik", a, b), lambda a, b: np.einsum("ij,jk->ik", a, b),
       T((2, 3)), T((3, 2)), gradgrad=True),
    op("einsum[batch]", lambda a, b: pg.einsum("bij,bjk->bik", a, b), lambda a, b: np.einsum("bij,bjk->bik", a, b),
       T((2, 2, 3)), T((2, 3, 2))),
    op("einsum[trace, sum]", lambda a, b: pg.einsum("ii,jk->", a, b), lambda a, b: np.einsum("ii,jk->", a, b),
       T((3, 3)), T((2, 2))),
    op("einsum[diagonal, outer]", lambda a, b: pg.einsum("ii,j->ij", a, b), lambda a, b: np.einsum("ii,j->ij", a, b),
       T((3, 3)), T((2,))),
    op("softmax", lambda x: pg.softmax(x, 1), lambda x: np_softmax(x, 1), T((2, 3)), gradgrad=True),
    op("softmax[dim=0, 3-d]", lambda x: pg.softmax(x, 0), lambda x: np_softmax(x, 0), T((2, 3, 2))),
    op("log_softmax", lambda x: pg.log_softmax(x, -1), lambda x: np_log_softmax(x, -1), T((2, 3)), gradgrad=True),
    op("logsumexp", lambda x: pg.logsumexp(x, 1), lambda x: np_logsumexp(x, 1), T((2, 3)), gradgrad=True),
    op("logsumexp[large values]", lambda x: pg.logsumexp(x * 500, 0), lambda x: np_logsumexp(x * 500, 0),
       T((3, 2)), tol={"float32": (1e-5, 1e-3)}),
    op("erf", pg.erf, np_erf, T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    op("conv2d", F.conv2d, np_conv, T((1, 1, 4, 4)), T((2, 1, 2, 2)), T((2,)), gradgrad=True,
       tol={"float32": (1e-5, 1e-5)}),
    op("conv2d[stride, padding]", lambda x, w: F.conv2d(x, w, stride=2, padding=1),
       lambda x, w: np_conv(x, w, stride=2, padding=1), T((1, 2, 3, 3)), T((2, 2, 2, 2))),
    op("conv1d", F.conv1d, np_conv, T((2, 2, 4)), T((3, 2, 2)), T((3,))),
    op("conv1d[padding]", lambda x, w: F.conv1d(x, w, padding=1), lambda x, w: np_conv(x, w, padding=1),
       T((1, 1, 5)), T((2, 1, 3))),
    op("conv_transpose2d", lambda x, w: F.conv_transpose2d(x, w, stride=2), lambda x, w: np_conv_transpose(x, w, 2),
       T((1, 2, 2, 2)), T((2, 1, 2, 2))),
    op("conv_transpose1d", lambda x, w: F.conv_transpose1d(x, w, padding=1),
       lambda x, w: np_conv_transpose(x, w, 1, 1), T((1, 2, 3)), T((2, 2, 3))),
    op("max_pool2d", lambda x: F.max_pool2d(x, 2), lambda x: np_pool(x, 2, np.max), T((1, 1, 4, 4), DISTINCT)),
    op("max_pool1d", lambda x: F.max_pool1d(x, 2), lambda x: np_pool(x, 2, np.max), T((1, 2, 4), DISTINCT)),
    op("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: np_pool(x, 2, np.mean), T((1, 1, 4, 4))),
    op("avg_pool1d", lambda x: F.avg_pool1d(x, 2), lambda x: np_pool(x, 2, np.mean), T((1, 2, 4))),
    op("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 3), lambda x: np_adaptive_avg_pool1d(x, 3),
       T((1, 2, 5))),
    op("adaptive_avg_pool2d[global]", lambda x: F.adaptive_avg_pool2d(x, 1), lambda x: x.mean((2, 3), keepdims=True),
       T((1, 2, 2, 3))),
    op("gelu", F.gelu, np_gelu, T((2, 3))),
    op("gelu[tanh]", lambda x: F.gelu(x, approximate="tanh"), lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), T((2, 3))),
    op("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x), T((2, 3), NONZERO)),
    op("elu", F.elu, np_elu, T((2, 3), NONZERO)),
    op("celu", lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5)), T((2, 3), NONZERO)),
    op("selu", F.selu, np_selu, T((2, 3), NONZERO)),
    op("silu", F.silu, lambda x: x / (1 + np.exp(-x)), T((2, 3)), gradgrad=True),
    op("softplus", F.softplus, np_softplus, T((2, 3))),
    op("mish", F.mish, lambda x: x * np.tanh(np_softplus(x)), T((2, 3))),
    op("logsigmoid", F.logsigmoid, lambda x: -np_softplus(-x), T((2, 3))),
    op("hardtanh", F.hardtanh, lambda x: np.clip(x, -1, 1), T((2, 3))),
    op("relu6", F.relu6, lambda x: np.clip(x, 0, 6), T((2, 3)) ),
    op("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), T((2, 3))),
    op("hardswish", F.hardswish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1), T((2, 3))),
    op("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), T((2, 3), NONZERO)),
    op("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), T((2, 3))),
    op("linalg.inv", pg.linalg.inv, np.linalg.inv, T((3, 3), WELL_CONDITIONED), gradgrad=True),
    op("linalg.det", pg.linalg.det, np.linalg.det, T((2, 3, 3), WELL_CONDITIONED)),
    op("linalg.slogdet", lambda x: tuple(pg.linalg.slogdet(x)), lambda x: tuple(np.linalg.slogdet(x)),
       T((3, 3), WELL_CONDITIONED)),
    op("linalg.solve", pg.linalg.solve, np.linalg.solve, T((3, 3), WELL_CONDITIONED), T((3, 2))),
    op("linalg.norm", pg.linalg.norm, lambda x: np.linalg.norm(x), T((2, 3))),
    op("linalg.vector_norm[ord=1, dim]", lambda x: pg.linalg.vector_norm(x, 1, dim=1),
       lambda x: np.abs(x).sum(1), T((2, 3), NONZERO)),
    op("linalg.matrix_norm", pg.linalg.matrix_norm, lambda x: np.linalg.norm(x, axis=(-2, -1)), T((2, 2, 3))),
    op("linalg.svdvals", pg.linalg.svdvals, lambda x: np.linalg.svd(x, compute_uv=False), T((3, 2), DISTINCT)),
    op("linalg.eigvalsh[symmetrized]", lambda x: pg.linalg.eigvalsh((x + x.mT) / 2),
       lambda x: np.linalg.eigvalsh((x + x.T) / 2), T((3, 3), SPD)),
    op("linalg.cholesky", pg.linalg.cholesky, np.linalg.cholesky, T((3, 3), SPD), grad=False),
    op("linalg.vecdot", pg.linalg.vecdot, lambda a, b: (a * b).sum(-1), T((2, 3)), T((3,))),
    op("linalg.multi_dot", lambda a, b, c: pg.linalg.multi_dot([a, b, c]), lambda a, b, c: a @ b @ c, T((2, 3)),
       T((3, 2)), T((2, 2))),
    op("linalg.matrix_power", lambda x: pg.linalg.matrix_power(x, 3), lambda x: np.linalg.matrix_power(x, 3),
       T((2, 2))),
    op("linalg.matrix_power[-2]", lambda x: pg.linalg.matrix_power(x, -2), lambda x: np.linalg.matrix_power(x, -2),
       T((2, 2), WELL_CONDITIONED)),
]

def np_max_pool2d_indices(x, size):
    """Values and flat (h * width + w) positions of each window's maximum."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // size, size, w // size, size).transpose(0, 1, 2, 4, 3, 5).reshape(
        n, c, h // size, w // size, size * size)
    best = windows.argmax(-1)
    rows = np.arange(h // size)[:, None] * size + best // size
    columns = np.arange(w // size)[None, :] * size + best % size
    return windows.max(-1), rows * w + columns


ALIASES = [
    op("absolute", pg.absolute, np.abs, T((2, 3), NONZERO)),
    op("negative", pg.negative, np.negative, T((2, 3))),
    op("subtract", pg.subtract, np.subtract, T((2, 3)), T((3,))),
    op("multiply", pg.multiply, np.multiply, T((2, 3)), T((3,))),
    op("divide", pg.divide, np.divide, T((2, 3)), T((3,), NONZERO)),
    op("true_divide", pg.true_divide, np.divide, T((2, 3)), T((3,), NONZERO), dtypes=("int64",), result=FLOAT,
       grad=False),
    op("greater", pg.greater, np.greater, T((2, 3)), T((3,)), result=BOOL, grad=False),
    op("less", pg.less, np.less, T((2, 3)), T((3,)), result=BOOL, grad=False),
    op("arctan2", pg.arctan2, np.arctan2, T((2, 3)), T((2, 3), NONZERO)),
    op("det", pg.det, np.linalg.det, T((3, 3), WELL_CONDITIONED)),
    op("inverse", pg.inverse, np.linalg.inv, T((2, 2), WELL_CONDITIONED)),
    op("logdet", pg.logdet, lambda x: np.linalg.slogdet(x)[1], T((3, 3), SPD)),
    op("linalg.logdet", pg.linalg.logdet, lambda x: np.linalg.slogdet(x)[1], T((3, 3), SPD)),
    op("equal", lambda a, b: pg.tensor(pg.equal(a, a.clone()) and not pg.equal(a, b), device=a.device),
       lambda a, b: np.array(True), T((2, 3)), T((2, 3)), dtypes=("float32", "int64"), result=BOOL, grad=False),
    op("allclose", lambda a: pg.tensor(pg.allclose(a, a + 1e-9) and not pg.allclose(a, a + 1), device=a.device),
       lambda a: np.array(True), T((2, 3)), result=BOOL, grad=False),
    op("linalg.qr[reconstruction]", lambda x: pg.matmul(*pg.linalg.qr(x)), lambda x: x, T((3, 2)), grad=False),
    op("linalg.eigh[reconstruction]", lambda x: (lambda w, v: v @ (w.unsqueeze(-1) * v.mT))(*pg.linalg.eigh(x)),
       lambda x: x, T((3, 3), SPD), grad=False, tol={"float32": (1e-4, 1e-4)}),
    op("linalg.inv_ex", lambda x: tuple(pg.linalg.inv_ex(x)), lambda x: (np.linalg.inv(x), np.zeros((), np.int32)),
       T((2, 2), WELL_CONDITIONED), result=(SAME, lambda dtype: "int32")),
    op("linalg.cholesky_ex", lambda x: tuple(pg.linalg.cholesky_ex(x)),
       lambda x: (np.linalg.cholesky(x), np.zeros((), np.int32)), T((3, 3), SPD), result=(SAME, lambda dtype: "int32"),
       grad=False),
    op("F.max_pool2d[return_indices]", lambda x: tuple(F.max_pool2d(x, 2, return_indices=True)),
       lambda x: np_max_pool2d_indices(x, 2), T((1, 2, 4, 4), DISTINCT), result=(SAME, LONG)),
]

PROBABILITY = Domain("probability", lambda rng, s: rng.uniform(0.1, 0.9, s), lambda rng, s: rng.integers(0, 2, s))

FUNCTIONAL = [
    op("F.linear", F.linear, lambda x, w, b: x @ w.T + b, T((2, 3)), T((4, 3)), T((4,)), gradgrad=True),
    op("F.linear[no bias]", F.linear, lambda x, w: x @ w.T, T((2, 2, 3)), T((2, 3))),
    op("F.bilinear", F.bilinear, lambda a, b, w, bias: np.einsum("ni,kij,nj->nk", a, w, b) + bias, T((2, 3)),
       T((2, 2)), T((2, 3, 2)), T((2,))),
    op("F.layer_norm", lambda x, w, b: F.layer_norm(x, (3,), w, b), np_layer_norm, T((2, 3)), T((3,)), T((3,)),
       gradgrad=True),
    op("F.group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: np_group_norm(x, 2, w, b),
       T((2, 4, 1)), T((4,)), T((4,))),
    op("F.batch_norm[training]", lambda x: F.batch_norm(x, None, None, training=True), np_batch_norm, T((4, 3))),
    op("F.normalize", lambda x: F.normalize(x, dim=1), lambda x: x / np.linalg.norm(x, axis=1, keepdims=True),
       T((2, 3))),
    op("F.cosine_similarity", F.cosine_similarity, lambda a, b: (a * b).sum(1) / (
        np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)), T((2, 3)), T((2, 3))),
    op("F.pairwise_distance", F.pairwise_distance, lambda a, b: np.linalg.norm(a - b + 1e-6, axis=-1), T((2, 3)),
       T((2, 3))),
    op("F.pad", lambda x: F.pad(x, (1, 2)), lambda x: np.pad(x, [(0, 0), (1, 2)]), T((2, 3)), dtypes=NUMBERS),
    op("F.pad[value, two dims]", lambda x: F.pad(x, (1, 1, 2, 0), value=0.5),
       lambda x: np.pad(x, [(0, 0), (2, 0), (1, 1)], constant_values=0.5), T((1, 2, 2))),
    op("F.one_hot", lambda i: F.one_hot(i, 4), lambda i: np.eye(4, dtype=np.int64)[i],
       T((5,), index_domain(4), "int64"), dtypes=("int64",), result=LONG, grad=False),
    op("F.embedding", F.embedding, lambda i, w: w[i], T((2, 3), index_domain(5), "int64"), T((5, 2)),
       gradgrad=True),
    op("F.glu", F.glu, lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:])), T((2, 4))),
    op("F.softmin", lambda x: F.softmin(x, 1), lambda x: np_softmax(-x, 1), T((2, 3))),
    op("F.threshold", lambda x: F.threshold(x, 0.1, 20.0), lambda x: np.where(x > 0.1, x, 20.0), T((2, 3))),
    op("F.mse_loss", F.mse_loss, lambda a, b: ((a - b) ** 2).mean(), T((2, 3)), T((2, 3)), gradgrad=True),
    op("F.mse_loss[sum]", lambda a, b: F.mse_loss(a, b, reduction="sum"), lambda a, b: ((a - b) ** 2).sum(),
       T((2, 3)), T((2, 3))),
    op("F.mse_loss[none]", lambda a, b: F.mse_loss(a, b, reduction="none"), lambda a, b: (a - b) ** 2, T((2, 3)),
       T((2, 3))),
    op("F.l1_loss", F.l1_loss, lambda a, b: np.abs(a - b).mean(), T((2, 3)), T((2, 3))),
    op("F.smooth_l1_loss", F.smooth_l1_loss, np_smooth_l1, T((2, 3)), T((2, 3))),
    op("F.huber_loss", F.huber_loss, np_huber, T((2, 3)), T((2, 3))),
    op("F.cross_entropy", F.cross_entropy, np_cross_entropy, T((3, 4)), T((3,), index_domain(4), "int64"),
       gradgrad=True),
    op("F.cross_entropy[probabilities]", F.cross_entropy, np_cross_entropy, T((3, 4)), T((3, 4), PROBABILITY)),
    op("F.nll_loss", F.nll_loss, lambda x, t: -x[np.arange(len(t)), t].mean(), T((3, 4)),
       T((3,), index_domain(4), "int64")),
    op("F.binary_cross_entropy", F.binary_cross_entropy, lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(),
       T((2, 3), PROBABILITY), T((2, 3), PROBABILITY)),
    op("F.binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
       lambda x, y: (np_softplus(x) - x * y).mean(), T((2, 3)), T((2, 3), PROBABILITY)),
    op("F.kl_div[batchmean]", lambda x, t: F.kl_div(x, t, reduction="batchmean"),
       lambda x, t: (t * (np.log(t) - x)).sum() / x.shape[0], T((2, 3)), T((2, 3), PROBABILITY)),
    op("F.soft_margin_loss", F.soft_margin_loss, lambda x, y: np.log1p(np.exp(-y * x)).mean(), T((2, 3)),
       T((2, 3), NONZERO)),
]

ENTRIES = UNARY + BINARY + REDUCTIONS + SHAPES + INDEXING + LINALG + CASTS + COMPOSITES + FUNCTIONAL + ALIASES

# ---- issue 11: ops torch users call, each compared with torch itself as the reference -----------
def torch_reference(function):
    """A reference that runs ``function`` on torch tensors (the oracle) and returns numpy arrays."""
    import torch

    def reference(*arrays):
        # np.array copies and keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
        result = function(*[torch.from_numpy(np.array(array, order="C")) for array in arrays])
        if isinstance(result, (tuple, list)):
            return tuple(value.numpy() for value in result)
        return result.numpy()
    return reference


def _both(name, function, *args, **options):
    """An entry whose plexgrad function and torch reference are the same code (``lib`` is the module)."""
    import torch
    return op(name, lambda *values: function(pg, *values), torch_reference(lambda *values: function(torch, *values)),
              *args, **options)


NONZERO_EXTENT = Domain("positive extent", lambda rng, s: rng.uniform(0.2, 2, s), lambda rng, s: rng.integers(1, 4, s))

MATRIX_SHAPES = [
    _both("tril", lambda lib, x: lib.tril(x), T((3, 4)), dtypes=ANY, gradgrad=True),
    _both("tril[diagonal=-1, batch]", lambda lib, x: lib.tril(x, -1), T((2, 3, 3))),
    _both("Tensor.triu[diagonal=1]", lambda lib, x: x.triu(1), T((4, 3)), dtypes=NUMBERS),
    _both("triu[inf below]", lambda lib, x: lib.triu(x / 0.0), T((2, 2), NONZERO), grad=False),
    _both("diag[1-d, offset]", lambda lib, x: lib.diag(x, 1), T((3,)), dtypes=NUMBERS, gradgrad=True),
    _both("diag[1-d, negative offset]", lambda lib, x: lib.diag(x, -2), T((3,))),
    _both("diag[2-d]", lambda lib, x: lib.diag(x, -1), T((3, 4)), dtypes=NUMBERS),
    _both("diag_embed", lambda lib, x: lib.diag_embed(x), T((2, 3)), gradgrad=True),
    _both("diag_embed[offset, dims]", lambda lib, x: lib.diag_embed(x, -1, 0, 2), T((2, 3))),
    _both("trace", lambda lib, x: lib.trace(x), T((3, 4)), dtypes=NUMBERS, result=LONG_INTS),
    _both("roll", lambda lib, x: lib.roll(x, (1, -2), (0, 1)), T((3, 4)), dtypes=ANY, gradgrad=True),
    _both("roll[flattened]", lambda lib, x: lib.roll(x, 5), T((2, 3))),
    _both("tile", lambda lib, x: lib.tile(x, (2, 1, 2)), T((2, 3)), dtypes=NUMBERS),
    _both("repeat_interleave[int, dim]", lambda lib, x: lib.repeat_interleave(x, 2, 1), T((2, 3)), dtypes=NUMBERS),
    _both("repeat_interleave[flattened]", lambda lib, x: x.repeat_interleave(3), T((2, 2))),
    op("repeat_interleave[counts]", lambda x, c: pg.repeat_interleave(x, c, 0),
       torch_reference(lambda x, c: __import__("torch").repeat_interleave(x, c, 0)), T((3, 2)),
       T((3,), index_domain(3), "int64")),
    _both("meshgrid[ij]", lambda lib, a, b: tuple(lib.meshgrid(a, b, indexing="ij")), T((3,)), T((2,))),
    _both("meshgrid[xy]", lambda lib, a, b, c: tuple(lib.meshgrid(a, b, c, indexing="xy")), T((3,)), T((2,)),
          T((2,))),
    _both("addmm", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2), T((2, 4)), T((2, 3)), T((3, 4)),
          gradgrad=True),
    _both("addmm[broadcast input]", lambda lib, i, a, b: lib.addmm(i, a, b), T((4,)), T((2, 3)), T((3, 4))),
    _both("addmm[beta=0 ignores nan]", lambda lib, i, a, b: lib.addmm(i / 0.0 * 0, a, b, beta=0), T((2, 2)),
          T((2, 3)), T((3, 2)), wrt=(1, 2)),
    _both("baddbmm", lambda lib, i, a, b: lib.baddbmm(i, a, b, alpha=-1), T((2, 2, 4)), T((2, 2, 3)), T((2, 3, 4))),
    _both("addbmm", lambda lib, i, a, b: lib.addbmm(i, a, b, beta=2), T((2, 4)), T((3, 2, 3)), T((3, 3, 4))),
    _both("addmv", lambda lib, i, a, b: lib.addmv(i, a, b), T((2,)), T((2, 3)), T((3,))),
    _both("addr", lambda lib, i, a, b: lib.addr(i, a, b, alpha=3), T((2, 3)), T((2,)), T((3,))),
    _both("select", lambda lib, x: lib.select(x, 1, -1), T((2, 3, 2)), dtypes=ANY, gradgrad=True),
    _both("Tensor.select[dim 0]", lambda lib, x: x.select(0, 1), T((3, 2))),
    _both("narrow[torch reference]", lambda lib, x: lib.narrow(x, 1, 1, 2), T((2, 4)), dtypes=ANY),
    _both("Tensor.unfold", lambda lib, x: x.unfold(1, 2, 1), T((2, 4)), dtypes=ANY, gradgrad=True),
    _both("Tensor.unfold[step > size]", lambda lib, x: x.unfold(0, 2, 3), T((8, 2))),
    _both("Tensor.unfold[0-d]", lambda lib, x: x.unfold(0, 1, 1), T(())),
    _both("as_strided", lambda lib, x: lib.as_strided(x, (3, 2), (2, 1), 1), T((2, 4)), dtypes=NUMBERS,
          gradgrad=True, layouts=False),
    _both("Tensor.as_strided[overlapping]", lambda lib, x: x.as_strided((3, 3), (1, 1)), T((6,)), layouts=False),
]

KEYWORD_FORMS = [
    _both("div[rounding_mode=trunc]", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), T((2, 3)),
          T((2, 3), NONZERO), dtypes=WITH_INT32),
    _both("div[rounding_mode=floor]", lambda lib, a, b: a.div(b, rounding_mode="floor"), T((2, 3)),
          T((3,), NONZERO), dtypes=NUMBERS),
    _both("div[rounding_mode=trunc, scalar]", lambda lib, a: lib.div(a, -3, rounding_mode="trunc"), T((2, 3)),
          dtypes=NUMBERS),
    _both("add[alpha]", lambda lib, a, b: lib.add(a, b, alpha=2), T((2, 3)), T((3,)), dtypes=NUMBERS),
    _both("sub[alpha]", lambda lib, a, b: lib.sub(a, b, alpha=0.5), T((2, 3)), T((2, 3))),
    _both("round[decimals]", lambda lib, x: lib.round(x * 10, decimals=1), T((2, 3), FRACTIONAL), grad=False),
    _both("Tensor.round[negative decimals]", lambda lib, x: (x * 100).round(decimals=-1), T((2, 3), FRACTIONAL),
          grad=False),
    _both("flip[dims=]", lambda lib, x: lib.flip(x, dims=(0, -1)), T((2, 3, 2))),
    _both("pow[int, negative exponent]", lambda lib, a, b: a ** b, T((2, 3), Domain(
        "small ints", lambda rng, s: rng.integers(-2, 3, s).astype(float), lambda rng, s: rng.integers(-2, 3, s))),
        T((2, 3), Domain("exponents", lambda rng, s: rng.integers(-3, 3, s).astype(float),
                         lambda rng, s: rng.integers(-3, 3, s))), dtypes=INTS, grad=False),
    _both("max[0-d, dim]", lambda lib, x: tuple(lib.max(x, 0)), T(()), result=(SAME, LONG)),
    _both("argmax[0-d, dim]", lambda lib, x: lib.argmax(x, 0), T(()), result=LONG, grad=False),
    _both("cumsum[0-d]", lambda lib, x: lib.cumsum(x, 0), T(())),
    _both("gather[0-d]", lambda lib, x, i: lib.gather(x, 0, i), T(()), T((), index_domain(1), "int64")),
    _both("gather[int32 index]", lambda lib, x, i: lib.gather(x, 1, i), T((2, 3)), T((2, 2), index_domain(3),
                                                                                         "int32")),
    _both("index_select[0-d]", lambda lib, x, i: lib.index_select(x, 0, i), T(()), T((1,), index_domain(1), "int64")),
    _both("softmax[empty dim]", lambda lib, x: lib.softmax(x, 1), T((2, 0))),
    _both("log_softmax[empty dim]", lambda lib, x: lib.log_softmax(x, 0), T((0, 3))),
    _both("index_fill[repeated index, value tensor]", lambda lib, x, v: lib.index_fill(
        x, 1, lib.tensor([0, 0, 2]), v), T((2, 3)), T(())),
    _both("F.cosine_similarity[broadcast along dim]", lambda lib, a, b: lib.nn.functional.cosine_similarity(
        a, b, dim=-2), T((1, 2, 3)), T((2, 1, 3))),
    _both("F.pad[circular, negative]", lambda lib, x: lib.nn.functional.pad(x, (-1, 2), mode="circular"),
          T((1, 1, 5))),
    _both("F.pad[circular, negative right]", lambda lib, x: lib.nn.functional.pad(x, (2, -1), mode="circular"),
          T((1, 2, 4))),
    _both("F.relu6[int]", lambda lib, x: lib.nn.functional.relu6(x * 3), T((2, 3)), dtypes=INTS, grad=False),
    _both("F.hardtanh[int, float bounds]", lambda lib, x: lib.nn.functional.hardtanh(x, -1.5, 2.5), T((2, 3)),
          dtypes=INTS, grad=False),
]

UNIT_OPEN = Domain("(-1, 1)", lambda rng, s: rng.uniform(-0.95, 0.95, s), lambda rng, s: np.zeros(s, np.int64))
PROPER = Domain("(0, 1)", lambda rng, s: rng.uniform(0.05, 0.95, s), lambda rng, s: np.zeros(s, np.int64))
WIDE = Domain("wide", lambda rng, s: rng.uniform(-6, 6, s), lambda rng, s: rng.integers(-6, 7, s))
SPECIAL_FUNCTIONS = [
    _both("special.erfc", lambda lib, x: lib.special.erfc(x), T((2, 3), WIDE), dtypes=NUMBERS, result=FLOAT,
          gradgrad=True),
    _both("special.erfcx", lambda lib, x: lib.special.erfcx(x), T((2, 3), WIDE), gradgrad=True),
    _both("special.erfinv", lambda lib, x: lib.special.erfinv(x), T((2, 3), UNIT_OPEN), gradgrad=True),
    _both("special.gammaln", lambda lib, x: lib.special.gammaln(x), T((2, 3), WIDE), dtypes=NUMBERS, result=FLOAT,
          gradgrad=True),
    _both("lgamma", lambda lib, x: lib.lgamma(x), T((2, 3), POSITIVE)),
    _both("special.digamma", lambda lib, x: lib.special.digamma(x), T((2, 3), WIDE), gradgrad=True),
    # torch's own trigamma is accurate to ~1e-9 (plexgrad's series to ~1e-15, checked against scipy)
    _both("special.polygamma[1]", lambda lib, x: lib.special.polygamma(1, x), T((2, 3), POSITIVE),
          tol={"float64": (1e-8, 1e-9)}),
    _both("special.polygamma[2]", lambda lib, x: lib.special.polygamma(2, x), T((2, 3), WIDE)),
    _both("special.multigammaln", lambda lib, x: lib.special.multigammaln(x + 2, 3), T((2, 3), POSITIVE)),
    _both("special.i0", lambda lib, x: lib.special.i0(x), T((2, 3), WIDE), dtypes=NUMBERS, result=FLOAT,
          gradgrad=True),
    _both("special.i0e", lambda lib, x: lib.special.i0e(x), T((2, 3), WIDE)),
    _both("special.i1", lambda lib, x: lib.special.i1(x), T((2, 3), WIDE)),
    _both("special.i1e", lambda lib, x: lib.special.i1e(x), T((2, 3), WIDE)),
    _both("special.ndtr", lambda lib, x: lib.special.ndtr(x), T((2, 3), WIDE)),
    _both("special.ndtri", lambda lib, x: lib.special.ndtri(x), T((2, 3), PROPER)),
    _both("special.log_ndtr", lambda lib, x: lib.special.log_ndtr(x * 5), T((2, 3), WIDE)),
    _both("special.expit", lambda lib, x: lib.special.expit(x), T((2, 3))),
    _both("special.logit", lambda lib, x: lib.special.logit(x), T((2, 3), PROPER)),
    _both("special.logit[eps]", lambda lib, x: lib.special.logit(x, eps=0.2), T((2, 3), PROPER)),
    _both("special.xlogy", lambda lib, x, y: lib.special.xlogy(x, y), T((2, 3), ONE_ZERO), T((2, 3), POSITIVE)),
    _both("special.xlog1py", lambda lib, x, y: lib.special.xlog1py(x, y), T((2, 3), ONE_ZERO), T((3,), POSITIVE)),
    _both("special.entr", lambda lib, x: lib.special.entr(x), T((2, 3), POSITIVE)),
    _both("special.sinc", lambda lib, x: lib.special.sinc(x), T((2, 3), ONE_ZERO)),
    _both("special.exp2", lambda lib, x: lib.special.exp2(x), T((2, 3)), dtypes=NUMBERS, result=FLOAT),
    _both("special.softmax", lambda lib, x: lib.special.softmax(x, 0), T((2, 3))),
    _both("special.log_softmax", lambda lib, x: lib.special.log_softmax(x, 1), T((2, 3))),
    _both("special.logsumexp", lambda lib, x: lib.special.logsumexp(x, 1), T((2, 3))),
]

GE_ONE = Domain(">= 1.1", lambda rng, s: rng.uniform(1.1, 3, s), lambda rng, s: rng.integers(2, 5, s))
TORCH_NAMES = [
    _both("asinh", lambda lib, x: lib.asinh(x), T((2, 3)), dtypes=NUMBERS, result=FLOAT, gradgrad=True),
    _both("acosh", lambda lib, x: lib.acosh(x), T((2, 3), GE_ONE)),
    _both("atanh", lambda lib, x: lib.atanh(x), T((2, 3), UNIT)),
    _both("copysign", lambda lib, a, b: lib.copysign(a, b), T((2, 3), NONZERO), T((3,), NONZERO)),
    _both("fmax", lambda lib, a, b: lib.fmax(a, b), T((2, 3), DISTINCT), T((2, 3), DISTINCT), dtypes=NUMBERS),
    _both("fmin[nan]", lambda lib, a, b: lib.fmin(a, b), T((2, 3), SPECIAL), T((2, 3)), grad=False),
    _both("heaviside", lambda lib, a, b: lib.heaviside(a, b), T((2, 3), ONE_ZERO), T((2, 3)), grad=False),
    _both("gcd", lambda lib, a, b: lib.gcd(a, b), T((2, 3)), T((2, 3)), dtypes=INTS, grad=False),
    _both("lcm", lambda lib, a, b: lib.lcm(a, b), T((2, 3), NONZERO), T((2, 3)), dtypes=INTS, grad=False),
    # float64 only: the float32 reference runs in float64, whose -inf replacement differs
    _both("nan_to_num", lambda lib, x: lib.nan_to_num(x, nan=0.5, posinf=2.0), T((2, 3), SPECIAL), grad=False,
          dtypes=("float64",)),
    _both("deg2rad", lambda lib, x: lib.deg2rad(x), T((2, 3)), dtypes=NUMBERS, result=FLOAT),
    _both("float_power", lambda lib, a, b: lib.float_power(a, b), T((2, 3), POSITIVE), T((2, 3)), dtypes=NUMBERS,
          result=lambda dtype: "float64"),
    _both("signbit", lambda lib, x: lib.signbit(x), T((2, 3)), dtypes=NUMBERS, result=BOOL, grad=False),
    _both("rsub", lambda lib, a, b: lib.rsub(a, b, alpha=2), T((2, 3)), T((3,))),
    _both("rot90", lambda lib, x: lib.rot90(x, 1, (0, 2)), T((2, 3, 2)), dtypes=ANY),
    _both("rot90[k=-1]", lambda lib, x: x.rot90(-1), T((2, 3))),
    _both("fliplr", lambda lib, x: lib.fliplr(x), T((2, 3))),
    _both("ravel", lambda lib, x: lib.ravel(x.mT), T((2, 3))),
    _both("atleast_3d", lambda lib, x: lib.atleast_3d(x), T((3,))),
    _both("column_stack", lambda lib, a, b: lib.column_stack([a, b]), T((3,)), T((3, 2))),
    _both("dstack", lambda lib, a, b: lib.dstack([a, b]), T((2, 3)), T((2, 3))),
    _both("tensor_split[sections]", lambda lib, x: lib.tensor_split(x, 3, 1), T((2, 5))),
    _both("tensor_split[indices]", lambda lib, x: lib.tensor_split(x, [1, 4], 0), T((5, 2))),
    _both("hsplit", lambda lib, x: lib.hsplit(x, 2), T((2, 4))),
    _both("broadcast_tensors", lambda lib, a, b: lib.broadcast_tensors(a, b), T((3, 1)), T((1, 2))),
    _both("block_diag", lambda lib, a, b, c: lib.block_diag(a, b, c), T((2, 3)), T((2,)), T(())),
    _both("cartesian_prod", lambda lib, a, b: lib.cartesian_prod(a, b), T((3,)), T((2,))),
    _both("kron", lambda lib, a, b: lib.kron(a, b), T((2, 3)), T((2, 2)), dtypes=NUMBERS, gradgrad=True),
    _both("tensordot", lambda lib, a, b: lib.tensordot(a, b, ([1, 0], [0, 2])), T((3, 2, 4)), T((2, 5, 3))),
    _both("inner", lambda lib, a, b: lib.inner(a, b), T((2, 3)), T((4, 3))),
    _both("diagflat", lambda lib, x: lib.diagflat(x, 1), T((2, 2))),
    _both("diagonal_scatter", lambda lib, x, v: lib.diagonal_scatter(x, v, 1), T((3, 4)), T((3,))),
    _both("select_scatter", lambda lib, x, v: lib.select_scatter(x, v, 1, 0), T((3, 4)), T((3,))),
    _both("slice_scatter", lambda lib, x, v: lib.slice_scatter(x, v, 1, 0, 4, 2), T((3, 4)), T((3, 2))),
    _both("permute_copy", lambda lib, x: lib.permute_copy(x, (1, 0)), T((2, 3))),
    _both("cummax", lambda lib, x: tuple(lib.cummax(x, 1)), T((3, 5), DISTINCT), result=(SAME, LONG)),
    _both("cummin[ties]", lambda lib, x: tuple(lib.cummin(x, 0)), T((5, 2), FRACTIONAL), dtypes=NUMBERS,
          result=(SAME, LONG), grad=False),
    _both("logcumsumexp", lambda lib, x: lib.logcumsumexp(x * 30, 1), T((2, 5)), gradgrad=True),
    _both("diff", lambda lib, x: lib.diff(x, 2, 1), T((2, 5)), dtypes=NUMBERS),
    _both("diff[prepend]", lambda lib, x, p: lib.diff(x, dim=0, prepend=p), T((3, 2)), T((1, 2))),
    _both("aminmax", lambda lib, x: tuple(lib.aminmax(x, dim=1)), T((3, 4), DISTINCT), dtypes=NUMBERS,
          result=(SAME, SAME)),
    _both("trapezoid", lambda lib, y, x: lib.trapezoid(y, x), T((2, 4)), T((4,))),
    _both("cumulative_trapezoid", lambda lib, y: lib.cumulative_trapezoid(y, dx=0.5), T((2, 4))),
    _both("cov", lambda lib, x: lib.cov(x), T((3, 5))),
    _both("corrcoef", lambda lib, x: lib.corrcoef(x), T((3, 5))),
    _both("cdist", lambda lib, a, b: lib.cdist(a, b), T((3, 2)), T((4, 2))),
    _both("cdist[p=1]", lambda lib, a, b: lib.cdist(a, b, p=1), T((2, 3, 2)), T((2, 4, 2))),
    _both("quantile", lambda lib, x: lib.quantile(x, 0.3, dim=1, keepdim=True), T((3, 5), DISTINCT)),
    _both("quantile[tensor q, nearest]", lambda lib, x: lib.quantile(x, lib.tensor([0.2, 0.9], dtype=x.dtype,
                                                                                    device=x.device),
                                                                     interpolation="nearest"), T((3, 5), DISTINCT)),
    _both("nanquantile", lambda lib, x: lib.nanquantile(x, 0.5, dim=0), T((4, 3), SPECIAL), grad=False),
    _both("isin", lambda lib, a, b: lib.isin(a, b), T((2, 3)), T((4,)), dtypes=INTS, result=BOOL, grad=False),
    _both("renorm", lambda lib, x: lib.renorm(x, 2, 0, 1.0), T((3, 4))),
    _both("mode", lambda lib, x: tuple(lib.mode(x, 1)), T((2, 6), Domain(
        "repeats", lambda rng, s: rng.integers(0, 3, s).astype(float), lambda rng, s: rng.integers(0, 3, s))),
        dtypes=NUMBERS, result=(SAME, LONG), grad=False),
    _both("linalg.pinv", lambda lib, x: lib.linalg.pinv(x), T((4, 3)), gradgrad=True),
    _both("linalg.pinv[hermitian]", lambda lib, x: lib.linalg.pinv(x, hermitian=True), T((3, 3), SPD)),
    _both("linalg.solve_triangular", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
          T((3, 3), WELL_CONDITIONED), T((3, 2))),
    _both("linalg.lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, T((4, 3)), T((4, 2))),
    _both("linalg.cross", lambda lib, a, b: lib.linalg.cross(a, b), T((2, 3)), T((2, 3))),
    _both("linalg.vander", lambda lib, x: lib.linalg.vander(x, N=4), T((3,))),
    # decompositions read one triangle: inputs are symmetrized so central differences see the same function
    _both("cholesky_solve", lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky((a + a.mT) / 2)), T((3, 2)),
          T((3, 3), SPD)),
    _both("linalg.svd[gradient]", lambda lib, x: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(
        *lib.linalg.svd(x, full_matrices=False)), T((4, 3), DISTINCT)),
    _both("linalg.eigh[vectors, gradient]", lambda lib, x: (lambda w, v: (v * v, w))(
        *lib.linalg.eigh((x + x.mT) / 2)), T((3, 3), SPD)),
    _both("linalg.cholesky[gradient]", lambda lib, x: lib.linalg.cholesky(x @ x.mT + 3 * lib.eye(
        3, dtype=x.dtype, device=x.device)), T((3, 3))),
    _both("linalg.qr[gradient]", lambda lib, x: (lambda q, r: (q * q, r * r))(*lib.linalg.qr(x)), T((4, 3))),
    _both("F.softshrink", lambda lib, x: lib.nn.functional.softshrink(x, 0.6), T((2, 3), NONZERO)),
    _both("F.hardshrink", lambda lib, x: lib.nn.functional.hardshrink(x, 0.6), T((2, 3), NONZERO)),
    _both("F.prelu", lambda lib, x, w: lib.nn.functional.prelu(x, w), T((2, 3, 2), NONZERO), T((3,))),
    _both("F.pdist", lambda lib, x: lib.nn.functional.pdist(x), T((4, 3), DISTINCT)),
    _both("F.margin_ranking_loss", lambda lib, a, b, t: lib.nn.functional.margin_ranking_loss(a, b, t, 0.1),
          T((5,), DISTINCT), T((5,), DISTINCT), T((5,), NONZERO)),
    _both("F.hinge_embedding_loss", lambda lib, x: lib.nn.functional.hinge_embedding_loss(
        x, lib.tensor([1., -1, 1, -1], dtype=x.dtype, device=x.device)), T((4,), DISTINCT)),
    _both("F.cosine_embedding_loss", lambda lib, a, b: lib.nn.functional.cosine_embedding_loss(
        a, b, lib.tensor([1., -1], dtype=a.dtype, device=a.device)), T((2, 3)), T((2, 3))),
    _both("F.poisson_nll_loss", lambda lib, a, b: lib.nn.functional.poisson_nll_loss(a, b), T((2, 3)),
          T((2, 3), POSITIVE)),
    _both("F.gaussian_nll_loss", lambda lib, a, b, v: lib.nn.functional.gaussian_nll_loss(a, b, v), T((2, 3)),
          T((2, 3)), T((2, 3), POSITIVE)),
    _both("F.triplet_margin_loss", lambda lib, a, p, n: lib.nn.functional.triplet_margin_loss(a, p, n), T((3, 4)),
          T((3, 4)), T((3, 4))),
    _both("F.multilabel_soft_margin_loss", lambda lib, x, t: lib.nn.functional.multilabel_soft_margin_loss(x, t),
          T((2, 3)), T((2, 3), PROBABILITY)),
    _both("signal.windows.kaiser", lambda lib, x: lib.signal.windows.kaiser(5, beta=2.0, dtype=x.dtype,
                                                                             device=x.device) * x, T((5,))),
    _both("signal.windows.hann[periodic]", lambda lib, x: lib.signal.windows.hann(6, sym=False, dtype=x.dtype,
                                                                                   device=x.device) * x, T((6,))),
    _both("fft.fftshift", lambda lib, x: lib.fft.fftshift(x), T((3, 4))),
    _both("fft.ifftshift[dim]", lambda lib, x: lib.fft.ifftshift(x, dim=1), T((3, 5))),
    _both("fft.fftfreq", lambda lib, x: lib.fft.fftfreq(5, 0.1, dtype=x.dtype, device=x.device) * x, T((5,))),
    _both("fft.rfftfreq", lambda lib, x: lib.fft.rfftfreq(6, dtype=x.dtype, device=x.device) * x, T((4,))),
]



def _lstm_cell(lib, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM cell step (plexgrad: the fused lstm_cell_state/output ops; torch: torch.lstm_cell)."""
    if lib is pg:
        from ..nn.modules.rnn_steps import lstm_step
        _, (h, c) = lstm_step(pg.nn.functional.linear(x, w_ih, b_ih), (h, c), w_hh, b_hh)
    else:
        h, c = lib.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
    return lib.cat([h, c], -1)


def _gru_cell(lib, x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU cell step (plexgrad: the fused gru_cell op; torch: torch.gru_cell)."""
    if lib is pg:
        from ..nn.modules.rnn_steps import gru_step
        return gru_step(pg.nn.functional.linear(x, w_ih, b_ih), (h,), w_hh, b_hh)[0]
    return lib.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)


RECURRENT_AND_BITS = [
    _both("lstm_cell", _lstm_cell, T((2, 2)), T((2, 3)), T((2, 3)), T((12, 2)), T((12, 3)), T((12,)), T((12,))),
    _both("gru_cell", _gru_cell, T((2, 2)), T((2, 3)), T((9, 2)), T((9, 3)), T((9,)), T((9,))),
    _both("nextafter", lambda lib, a, b: lib.nextafter(a, b), T((2, 3)), T((2, 3)), grad=False),
]

ENTRIES += MATRIX_SHAPES + KEYWORD_FORMS + SPECIAL_FUNCTIONS + TORCH_NAMES + RECURRENT_AND_BITS

_names = [entry.name for entry in ENTRIES]
assert len(_names) == len(set(_names)), sorted(name for name in _names if _names.count(name) > 1)
