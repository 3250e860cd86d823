"""Binds the op functions onto ``Tensor`` as methods and operators (a bare table)."""

__all__ = ["bind", "parse_to_arguments"]

from . import dtypes
from .device import device as Device
from .factories import full, resolve_device, to_device, zeros
from .inplace import copy_source, fast_binary_in_place, in_place, make_in_place_method
from .op import cast
from .ops import elementwise as ew, indexing, linalg, linalg_decompositions, linalg_solvers, reduction, shape
from .ops import math_extra, selection, sorting, statistics
from .ops import activation
from .ops import keyword_forms, matrix_shape, scaled_products, special, strided, tiling
from .ops import counting, elementwise_extras as ew_extras, scans, shape_extras
from .tensor import Tensor


def _reverse(function):
    def reflected(self, other):
        return function(other, self)
    return reflected


def parse_to_arguments(args, kwargs):
    """``(device, dtype, copy)`` from ``to(...)``'s arguments (shared by Tensor.to and Module.to)."""
    target_device = kwargs.pop("device", None)
    target_dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for argument in args:
        if isinstance(argument, Tensor):
            target_device, target_dtype = argument._device, argument._dtype
        elif isinstance(argument, dtypes.dtype):
            target_dtype = argument
        elif isinstance(argument, (str, Device, int)) and not isinstance(argument, bool):
            if isinstance(argument, str) and argument.replace("torch.", "") in dtypes._BY_NAME:
                target_dtype = dtypes.as_dtype(argument)
            else:
                target_device = argument
        elif argument is None:
            continue
        else:
            raise TypeError(f"to() received an invalid argument {argument!r}: expected a device, dtype or tensor")
    if target_dtype is not None:
        target_dtype = dtypes.as_dtype(target_dtype)
    if memory_format is not None:
        from .memory_format import check_memory_format
        check_memory_format(None, memory_format, "to")
    return target_device, target_dtype, copy


def _to(self, *args, **kwargs):
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``; copies only when needed."""
    if "memory_format" in kwargs:
        from .memory_format import check_memory_format
        check_memory_format(self, kwargs["memory_format"], "to")
    target_device, target_dtype, copy = parse_to_arguments(args, kwargs)
    result = self
    if target_device is not None:
        result = to_device(result, resolve_device(target_device))
    if target_dtype is not None:
        result = cast(result, target_dtype)
    if copy and result is self:
        result = shape.clone(self)
    return result


def _converter(dtype):
    def convert(self, memory_format=None):
        return cast(self, dtype)
    return convert


def _zero_(self):
    return in_place(lambda t: zeros(tuple(t._data.shape), dtype=t._dtype, device=t._device), self)


def _fill_(self, value):
    return in_place(lambda t, v: full(tuple(t._data.shape), v, dtype=t._dtype, device=t._device)
                    if not isinstance(v, Tensor) else v.expand(tuple(t._data.shape)), self, value)


def _copy_(self, source, non_blocking=False):
    if source._device is not self._device:
        source = to_device(source, self._device)
    return in_place(copy_source, self, source)


def _legacy_alpha(name, other, legacy, alpha):
    """torch's deprecated ``add_(Number alpha, Tensor other)`` overload (old optimizer code)."""
    if len(legacy) != 1 or not isinstance(legacy[0], Tensor) or isinstance(other, Tensor):
        raise TypeError(f"{name}() takes (other, *, alpha=1); got {1 + len(legacy)} positional arguments")
    import warnings
    warnings.warn(f"This overload of {name} is deprecated: {name}(Number alpha, Tensor other). Use "
                  f"{name}(other, alpha=alpha) instead.", UserWarning, stacklevel=3)
    return legacy[0], other


def _add(self, other, *legacy, alpha=1):
    if legacy:
        other, alpha = _legacy_alpha("add", other, legacy, alpha)
    return keyword_forms.add(self, other, alpha=alpha)


def _sub(self, other, *legacy, alpha=1):
    if legacy:
        other, alpha = _legacy_alpha("sub", other, legacy, alpha)
    return keyword_forms.sub(self, other, alpha=alpha)


def _new_factory(function):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return function(*size, dtype=dtype or self._dtype, device=device or self._device,
                        requires_grad=requires_grad)
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self._dtype, device=device or self._device,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from .factories import tensor
    return tensor(data, dtype=dtype or self._dtype, device=device or self._device, requires_grad=requires_grad)


def _cpu(self, memory_format=None):
    return _to(self, "cpu")


def _cuda(self, device=None, non_blocking=False):
    return _to(self, "cuda" if device is None else device)


def _where(self, condition, other):
    return ew.where(condition, self, other)


def _matrix_transpose(self):
    return shape.transpose(self, -2, -1)


def _full_transpose(self):
    return shape.permute(self, tuple(reversed(range(self._data.ndim))))


def _pow_reflected(self, other):
    return ew.pow(other, self)


def _floordiv(a, b):
    return keyword_forms.floor_divide(a, b)


def _array_namespace(self, api_version=None):
    """The array API namespace for this tensor (``plexgrad.array_api``), imported on first use."""
    from ..array_api import namespace_for
    return namespace_for(api_version)


def _to_device(self, device, /, *, stream=None):
    """The array API's ``x.to_device(device)``: this tensor on ``device`` (itself when already there)."""
    return _to(self, device)


def _shift(shift):
    def operator(self, other):
        return shift(self, other)
    return operator


def _size_alias(self):
    return self.shape


METHODS = {
    "__add__": _add, "__radd__": _reverse(ew.add), "__sub__": ew.sub, "__rsub__": _reverse(ew.sub),
    "__mul__": ew.mul, "__rmul__": _reverse(ew.mul), "__truediv__": ew.div, "__rtruediv__": _reverse(ew.div),
    "__pow__": ew.pow, "__rpow__": _pow_reflected, "__matmul__": linalg.matmul,
    "__rmatmul__": _reverse(linalg.matmul), "__floordiv__": _floordiv, "__rfloordiv__": _reverse(_floordiv),
    "__mod__": keyword_forms.remainder, "__rmod__": _reverse(keyword_forms.remainder), "__neg__": ew.neg, "__abs__": ew.abs,
    "__pos__": lambda self: self, "__invert__": lambda self: ew.logical_not(self) if self._dtype is dtypes.bool
    else ew.bitwise_not(self),
    "__eq__": ew.eq, "__ne__": ew.ne, "__lt__": ew.lt, "__le__": ew.le, "__gt__": ew.gt, "__ge__": ew.ge,
    "__lshift__": _shift(ew.bitwise_left_shift), "__rshift__": _shift(ew.bitwise_right_shift),
    "__rlshift__": _reverse(ew.bitwise_left_shift), "__rrshift__": _reverse(ew.bitwise_right_shift),
    "__array_namespace__": _array_namespace, "to_device": _to_device,
    "bitwise_left_shift": ew.bitwise_left_shift, "bitwise_right_shift": ew.bitwise_right_shift,
    "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
    "add": _add, "sub": _sub, "subtract": _sub, "mul": ew.mul, "multiply": ew.mul, "div": keyword_forms.div,
    "divide": keyword_forms.div, "true_divide": ew.div, "pow": ew.pow, "matmul": linalg.matmul, "mm": linalg.mm,
    "bmm": linalg.bmm, "mv": linalg.mv, "dot": linalg.dot, "outer": linalg.outer,
    "neg": ew.neg, "negative": ew.neg, "abs": ew.abs, "exp": ew.exp, "log": ew.log, "sqrt": ew.sqrt,
    "rsqrt": ew.rsqrt, "sin": ew.sin, "cos": ew.cos, "tan": ew.tan, "tanh": ew.tanh, "sigmoid": ew.sigmoid,
    "relu": ew.relu, "asin": ew.asin, "acos": ew.acos, "atan": ew.atan, "sinh": ew.sinh, "cosh": ew.cosh,
    "sign": ew.sign, "floor": ew.floor, "ceil": ew.ceil, "round": keyword_forms.round, "trunc": ew.trunc,
    "log1p": ew.log1p, "expm1": ew.expm1, "log2": ew.log2, "log10": ew.log10, "reciprocal": ew.reciprocal,
    "square": ew.square, "logical_not": ew.logical_not, "bitwise_not": ew.bitwise_not, "isnan": ew.isnan,
    "isinf": ew.isinf, "isfinite": ew.isfinite, "maximum": ew.maximum, "minimum": ew.minimum,
    "atan2": ew.atan2, "remainder": keyword_forms.remainder, "fmod": ew.fmod,
    "floor_divide": keyword_forms.floor_divide,
    "eq": ew.eq, "ne": ew.ne, "lt": ew.lt, "le": ew.le, "gt": ew.gt, "ge": ew.ge, "greater": ew.gt,
    "less": ew.lt, "logical_and": ew.logical_and, "logical_or": ew.logical_or, "logical_xor": ew.logical_xor,
    "bitwise_and": ew.bitwise_and, "bitwise_or": ew.bitwise_or, "bitwise_xor": ew.bitwise_xor,
    "where": _where,
    "clamp": math_extra.clamp, "clip": math_extra.clip, "clamp_min": math_extra.clamp_min,
    "clamp_max": math_extra.clamp_max, "frac": math_extra.frac, "addcmul": math_extra.addcmul,
    "addcdiv": math_extra.addcdiv, "lerp": math_extra.lerp, "hypot": math_extra.hypot,
    "logaddexp": math_extra.logaddexp, "logaddexp2": math_extra.logaddexp2,
    "softmax": activation.softmax, "log_softmax": activation.log_softmax, "logsumexp": activation.logsumexp,
    "erf": activation.erf,
    "var": statistics.var, "std": statistics.std, "median": statistics.median, "nanmedian": statistics.nanmedian,
    "norm": statistics.norm, "dist": statistics.dist, "count_nonzero": statistics.count_nonzero,
    "nansum": statistics.nansum, "nanmean": statistics.nanmean,
    "sort": sorting.sort, "argsort": sorting.argsort, "msort": sorting.msort, "topk": sorting.topk,
    "kthvalue": sorting.kthvalue, "unique": sorting.unique, "equal": sorting.equal, "isclose": sorting.isclose,
    "allclose": sorting.allclose, "index_select": selection.index_select,
    "masked_select": selection.masked_select, "masked_fill": selection.masked_fill, "scatter": selection.scatter,
    "take": selection.take, "take_along_dim": selection.take_along_dim, "index_add": selection.index_add,
    "index_copy": selection.index_copy, "index_fill": selection.index_fill,
    "det": linalg_solvers.det, "logdet": linalg_solvers.logdet,
    "slogdet": linalg_solvers.slogdet, "inverse": lambda self: linalg_solvers.inv(self),
    "cholesky": lambda self, upper=False: linalg_decompositions.cholesky(self, upper=upper),
    "sum": reduction.sum, "mean": reduction.mean, "prod": reduction.prod, "amax": reduction.amax,
    "amin": reduction.amin, "max": reduction.max, "min": reduction.min, "argmax": reduction.argmax,
    "argmin": reduction.argmin, "all": reduction.all, "any": reduction.any, "cumsum": reduction.cumsum,
    "cumprod": reduction.cumprod, "gather": reduction.gather, "scatter_add": reduction.scatter_add,
    "reshape": shape.reshape, "view": shape.view, "permute": shape.permute, "transpose": shape.transpose,
    "swapaxes": shape.transpose, "t": shape.t, "expand": shape.expand, "expand_as": shape.expand_as,
    "broadcast_to": shape.broadcast_to, "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    "flatten": shape.flatten, "unflatten": shape.unflatten, "contiguous": shape.contiguous,
    "is_contiguous": shape.is_contiguous, "clone": shape.clone, "flip": shape.flip, "narrow": shape.narrow,
    "split": shape.split, "chunk": shape.chunk, "unbind": shape.unbind, "movedim": shape.movedim,
    "repeat": shape.repeat, "stride": shape.stride, "view_as": lambda self, other: shape.view(self, other.shape),
    "reshape_as": lambda self, other: shape.reshape(self, other.shape),
    "nonzero": indexing.nonzero, "index_put": indexing.index_put,
    "index_put_": lambda self, indices, values, accumulate=False: in_place(
        indexing.index_put, self, tuple(indices), values, accumulate),
    "diagonal": shape.diagonal,
    "tril": matrix_shape.tril, "triu": matrix_shape.triu, "diag": matrix_shape.diag,
    "diag_embed": matrix_shape.diag_embed, "trace": matrix_shape.trace, "roll": tiling.roll, "tile": tiling.tile,
    "repeat_interleave": tiling.repeat_interleave, "addmm": scaled_products.addmm,
    "baddbmm": scaled_products.baddbmm, "addbmm": scaled_products.addbmm, "addmv": scaled_products.addmv,
    "addr": scaled_products.addr, "select": strided.select, "unfold": strided.unfold,
    "as_strided": strided.as_strided, "erfc": special.erfc, "erfinv": special.erfinv, "lgamma": special.lgamma,
    "digamma": special.digamma, "polygamma": lambda self, n: special.polygamma(n, self), "i0": special.i0,
    "sinc": special.sinc, "xlogy": special.xlogy, "logit": special.logit,
    "mvlgamma": lambda self, p: special.multigammaln(self, p),
    "asinh": ew_extras.asinh, "acosh": ew_extras.acosh, "atanh": ew_extras.atanh, "arcsinh": ew_extras.asinh,
    "arccosh": ew_extras.acosh, "arctanh": ew_extras.atanh, "arcsin": ew.asin, "arccos": ew.acos, "arctan": ew.atan,
    "arctan2": ew.atan2, "signbit": ew_extras.signbit, "gcd": ew_extras.gcd, "lcm": ew_extras.lcm,
    "nextafter": ew_extras.nextafter, "copysign": ew_extras.copysign, "fmax": ew_extras.fmax,
    "fmin": ew_extras.fmin, "heaviside": ew_extras.heaviside, "nan_to_num": ew_extras.nan_to_num,
    "deg2rad": ew_extras.deg2rad, "rad2deg": ew_extras.rad2deg, "float_power": ew_extras.float_power,
    "ldexp": ew_extras.ldexp, "sgn": ew_extras.sgn, "positive": ew_extras.positive, "conj": ew_extras.conj,
    "resolve_conj": ew_extras.resolve_conj, "resolve_neg": ew_extras.resolve_neg,
    "conj_physical": ew_extras.conj_physical, "isposinf": ew_extras.isposinf, "isneginf": ew_extras.isneginf,
    "isreal": ew_extras.isreal, "fix": ew_extras.fix, "exp2": special.exp2,
    "bitwise_left_shift": ew.bitwise_left_shift, "bitwise_right_shift": ew.bitwise_right_shift,
    "fliplr": shape_extras.fliplr, "flipud": shape_extras.flipud, "rot90": shape_extras.rot90,
    "ravel": shape_extras.ravel, "tensor_split": shape_extras.tensor_split, "hsplit": shape_extras.hsplit,
    "vsplit": shape_extras.vsplit, "dsplit": shape_extras.dsplit, "split_with_sizes": shape_extras.split_with_sizes,
    "kron": shape_extras.kron, "inner": shape_extras.inner, "diagflat": shape_extras.diagflat,
    "argwhere": shape_extras.argwhere, "diagonal_scatter": shape_extras.diagonal_scatter,
    "select_scatter": shape_extras.select_scatter, "slice_scatter": shape_extras.slice_scatter,
    "as_strided_scatter": shape_extras.as_strided_scatter, "sum_to_size": shape_extras.sum_to_size,
    "swapdims": shape_extras.swapdims, "cummax": scans.cummax, "cummin": scans.cummin,
    "logcumsumexp": scans.logcumsumexp, "diff": scans.diff, "aminmax": scans.aminmax,
    "__rdiv__": lambda self, other: ew.div(other, self), "isin": counting.isin, "bincount": counting.bincount,
    "histc": counting.histc, "quantile": counting.quantile, "nanquantile": counting.nanquantile,
    "mode": counting.mode, "unique_consecutive": counting.unique_consecutive, "vdot": counting.vdot,
    "renorm": counting.renorm, "put": counting.put, "masked_scatter": counting.masked_scatter, "unsafe_chunk": shape.chunk, "unsafe_split": shape.split, "storage_offset": strided.storage_offset,
    "to": _to, "cpu": _cpu, "cuda": _cuda, "float": _converter(dtypes.float32),
    "double": _converter(dtypes.float64), "half": _converter(dtypes.float16),
    "bfloat16": _converter(dtypes.bfloat16), "long": _converter(dtypes.int64), "int": _converter(dtypes.int32),
    "short": _converter(dtypes.int16), "char": _converter(dtypes.int8), "byte": _converter(dtypes.uint8),
    "bool": _converter(dtypes.bool),
    "zero_": _zero_, "fill_": _fill_, "copy_": _copy_,
    "new_zeros": _new_factory(zeros), "new_ones": None, "new_empty": _new_factory(zeros),
    "new_full": _new_full, "new_tensor": _new_tensor,
    "T": property(_full_transpose), "mT": property(_matrix_transpose), "H": property(_full_transpose),
    "mH": property(_matrix_transpose), "_version": property(Tensor._version_counter),
}

IN_PLACE = ["add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos",
            "tan", "tanh", "sigmoid", "relu", "asin", "acos", "atan", "sinh", "cosh", "sign", "floor", "ceil",
            "round", "trunc", "log1p", "expm1", "log2", "log10", "reciprocal", "square", "logical_not",
            "bitwise_not", "atan2", "remainder", "fmod", "floor_divide", "logical_and", "logical_or",
            "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
            "bitwise_right_shift", "maximum", "minimum", "eq", "ne", "lt",
            "le", "gt", "ge", "clamp", "clip", "subtract", "multiply", "divide", "true_divide", "negative",
            "t", "transpose", "squeeze", "unsqueeze", "scatter_add",
            "clamp_min", "clamp_max", "frac", "addcmul", "addcdiv", "lerp", "hypot", "masked_fill",
            "scatter", "index_add", "index_copy", "index_fill", "tril", "triu", "addmm", "baddbmm", "addbmm",
            "addmv", "addr", "asinh", "acosh", "atanh", "copysign", "fmax", "fmin", "nan_to_num", "deg2rad",
            "rad2deg", "float_power", "ldexp", "sgn", "gcd", "lcm", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc", "xlogy", "logit"]

AUGMENTED = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
             "__ipow__": "pow_", "__imod__": "remainder_", "__ifloordiv__": "floor_divide_",
             "__iand__": "bitwise_and_", "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_",
             "__ilshift__": "bitwise_left_shift_", "__irshift__": "bitwise_right_shift_",
             "__imatmul__": None}


def bind():
    from .factories import ones
    METHODS["new_ones"] = _new_factory(ones)
    for name, function in METHODS.items():
        setattr(Tensor, name, function)
    for name in IN_PLACE:
        if hasattr(Tensor, name):
            setattr(Tensor, name + "_", make_in_place_method(getattr(Tensor, name), name + "_"))
    for name, kernel_name in (("add_", "add_"), ("sub_", "sub_"), ("mul_", "mul_"), ("div_", "div_")):
        setattr(Tensor, name, fast_binary_in_place(getattr(Tensor, name), kernel_name, name == "div_"))
    for dunder, method_name in AUGMENTED.items():
        if method_name is not None:
            setattr(Tensor, dunder, getattr(Tensor, method_name))
    Tensor.__and__ = _logical_or_bitwise(ew.logical_and, ew.bitwise_and)
    Tensor.__or__ = _logical_or_bitwise(ew.logical_or, ew.bitwise_or)
    Tensor.__xor__ = _logical_or_bitwise(ew.logical_xor, ew.bitwise_xor)
    Tensor.__rand__ = Tensor.__and__
    Tensor.__ror__ = Tensor.__or__
    Tensor.__rxor__ = Tensor.__xor__
    Tensor.__iand__ = make_in_place_method(Tensor.__and__, "__iand__")
    Tensor.__ior__ = make_in_place_method(Tensor.__or__, "__ior__")
    Tensor.__ixor__ = make_in_place_method(Tensor.__xor__, "__ixor__")


def _logical_or_bitwise(logical, bitwise):
    def operator(self, other):
        other_dtype = other._dtype if isinstance(other, Tensor) else (dtypes.bool if isinstance(other, bool)
                                                                      else None)
        if self._dtype is dtypes.bool and other_dtype is dtypes.bool:
            return logical(self, other)
        for value in (self, other):
            value_dtype = value._dtype if isinstance(value, Tensor) else None
            if value_dtype is not None and value_dtype.is_floating_point or isinstance(value, float):
                raise TypeError(f"bitwise operations need integer or bool tensors, got "
                                f"{self._dtype} and {other_dtype or type(other).__name__}")
        return bitwise(self, other)
    return operator
