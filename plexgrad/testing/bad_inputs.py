"""Bad inputs: each must raise the reference's exception type, with a message naming the problem.

Each row is ``(name, build(lib, device), expected type, message pattern)``: ``build`` is
written once against a torch-like module ``lib``, so the kit runs it under plexgrad on the
device under test and, when torch is installed, under torch on its cpu; the expected type
is torch's (the declared one when torch is absent), the message pattern plexgrad's gist.
"""

__all__ = ["BAD_INPUTS", "PROMOTIONS", "reference_error_type", "plexgrad_type_for"]

import builtins

from ..core.kernel_errors import LinAlgError, OutOfMemoryError


def _ones(lib, device, *shape, dtype=None):
    return lib.ones(*shape, device=device) if dtype is None else lib.ones(*shape, dtype=getattr(lib, dtype),
                                                                        device=device)


def _t(lib, values, dtype, device):
    return lib.tensor(values, dtype=getattr(lib, dtype), device=device)


BAD_INPUTS = [
    ("add: shapes do not broadcast", lambda lib, d: _ones(lib, d, 2, 3) + _ones(lib, d, 4), RuntimeError,
     "size of tensor"),
    ("matmul: inner sizes differ", lambda lib, d: _ones(lib, d, 2, 3) @ _ones(lib, d, 2, 3), RuntimeError,
     "cannot be multiplied"),
    ("reshape: wrong element count", lambda lib, d: _ones(lib, d, 2, 3).reshape(4, 2), RuntimeError, "invalid"),
    ("getitem: index out of range", lambda lib, d: _ones(lib, d, 2, 3)[2], IndexError, "out of bounds"),
    ("getitem: too many indices", lambda lib, d: _ones(lib, d, 2)[0, 0], IndexError, "too many indices"),
    ("getitem: float index tensor", lambda lib, d: _ones(lib, d, 3)[_t(lib, [1.0], "float32", d)], IndexError,
     "long, int, byte or bool"),
    ("setitem: index out of range", lambda lib, d: _ones(lib, d, 2).__setitem__(5, 1.0), IndexError,
     "out of bounds"),
    ("gather: float index", lambda lib, d: lib.gather(_ones(lib, d, 2, 3), 1, _ones(lib, d, 2, 1)),
     RuntimeError, "int64"),
    ("gather: index out of range", lambda lib, d: lib.gather(_ones(lib, d, 2, 3), 1, _t(lib, [[3]], "int64", d)),
     RuntimeError, "out of bounds"),
    ("cat: sizes differ", lambda lib, d: lib.cat([_ones(lib, d, 2, 3), _ones(lib, d, 2, 2)]), RuntimeError,
     "Sizes of tensors must match"),
    ("sum: dim out of range", lambda lib, d: _ones(lib, d, 2, 3).sum(2), IndexError, "out of range"),
    ("transpose: dim out of range", lambda lib, d: _ones(lib, d, 2, 3).transpose(0, 3), IndexError, "out of range"),
    ("permute: wrong number of dims", lambda lib, d: _ones(lib, d, 2, 3).permute(0), RuntimeError, "number of dim"),
    ("expand: non-singleton dim", lambda lib, d: _ones(lib, d, 2, 3).expand(4, 3), RuntimeError, "must match"),
    ("view: non-contiguous input", lambda lib, d: _ones(lib, d, 2, 3).t().view(6), RuntimeError, "reshape"),
    ("stack: shapes differ", lambda lib, d: lib.stack([_ones(lib, d, 2), _ones(lib, d, 3)]), RuntimeError,
     "equal size"),
    ("dot: 2-d input", lambda lib, d: lib.dot(_ones(lib, d, 2, 2), _ones(lib, d, 2)), RuntimeError, "1D"),
    ("mean: integer input", lambda lib, d: _ones(lib, d, 2, dtype="int64").mean(), RuntimeError, "dtype"),
    ("unary: not a tensor", lambda lib, d: lib.exp([1.0, 2.0]), TypeError, "Tensor"),
    ("zeros: negative size", lambda lib, d: lib.zeros(-1, device=d), RuntimeError, "non-negative"),
    ("linalg.inv: singular matrix", lambda lib, d: lib.linalg.inv(lib.zeros(2, 2, device=d)), LinAlgError,
     "singular"),
    ("linalg.cholesky: not positive-definite", lambda lib, d: lib.linalg.cholesky(-lib.eye(2, device=d)),
     LinAlgError, "positive-definite"),
    ("cross_entropy: target out of range", lambda lib, d: lib.nn.functional.cross_entropy(
        _ones(lib, d, 2, 3), _t(lib, [0, 3], "int64", d)), IndexError, "out of bounds"),
    ("embedding: index out of range", lambda lib, d: lib.nn.functional.embedding(
        _t(lib, [5], "int64", d), _ones(lib, d, 3, 2)), IndexError, "out of (range|bounds)"),
]

# torch's promotion for mixed operands: (description, build(lib, device), expected dtype)
PROMOTIONS = [
    ("int64 + python float", lambda lib, d: _t(lib, [1, 2], "int64", d) + 2.5, "float32"),
    ("python float * int32", lambda lib, d: 2.5 * _t(lib, [1, 2], "int32", d), "float32"),
    ("int32 + python int", lambda lib, d: _t(lib, [1, 2], "int32", d) + 3, "int32"),
    ("int32 + int64", lambda lib, d: _t(lib, [1, 2], "int32", d) + _t(lib, [1, 2], "int64", d), "int64"),
    ("uint8 + int8", lambda lib, d: _t(lib, [1, 2], "uint8", d) + _t(lib, [1, 2], "int8", d), "int16"),
    ("bool + bool", lambda lib, d: _t(lib, [True], "bool", d) + _t(lib, [False], "bool", d), "bool"),
    ("bool + python int", lambda lib, d: _t(lib, [True], "bool", d) + 1, "int64"),
    ("bool * python float", lambda lib, d: _t(lib, [True], "bool", d) * 1.5, "float32"),
    ("float32 + float64 0-d", lambda lib, d: _t(lib, [1.0], "float32", d) + _t(lib, 2.0, "float64", d), "float32"),
    ("int64 + float64 0-d", lambda lib, d: _t(lib, [1], "int64", d) + _t(lib, 2.5, "float64", d), "float64"),
    ("float16 + float32 0-d", lambda lib, d: _t(lib, [1.0], "float16", d) + _t(lib, 2.0, "float32", d), "float16"),
    ("float32 + float64", lambda lib, d: _t(lib, [1.0], "float32", d) + _t(lib, [2.0], "float64", d), "float64"),
    ("float64 + python int", lambda lib, d: _t(lib, [1.0], "float64", d) + 2, "float64"),
    ("int64 / int64", lambda lib, d: _t(lib, [1], "int64", d) / _t(lib, [2], "int64", d), "float32"),
    ("int64 ** python float", lambda lib, d: _t(lib, [2], "int64", d) ** 2.0, "float32"),
    ("int32 ** python int", lambda lib, d: _t(lib, [2], "int32", d) ** 2, "int32"),
    ("int64 > python float", lambda lib, d: _t(lib, [2], "int64", d) > 2.5, "bool"),
    ("maximum(int64, float32)", lambda lib, d: lib.maximum(_t(lib, [1], "int64", d), _t(lib, [1.5], "float32", d)),
     "float32"),
    ("atan2(int64, int64)", lambda lib, d: lib.atan2(_t(lib, [1], "int64", d), _t(lib, [2], "int64", d)), "float32"),
    ("where(bool, int64, python float)", lambda lib, d: lib.where(_t(lib, [True], "bool", d),
                                                                  _t(lib, [1], "int64", d), 2.5), "float32"),
    ("cat([int32, float32])", lambda lib, d: lib.cat([_t(lib, [1], "int32", d), _t(lib, [1.0], "float32", d)]),
     "float32"),
    ("sum(float16)", lambda lib, d: _t(lib, [1.0], "float16", d).sum(), "float16"),
    ("prod(int8)", lambda lib, d: _t(lib, [1, 2], "int8", d).prod(), "int64"),
    ("cumprod(bool)", lambda lib, d: _t(lib, [True, False], "bool", d).cumprod(0), "int64"),
    ("amax(int32)", lambda lib, d: _t(lib, [[1, 2]], "int32", d).amax(1), "int32"),
    ("matmul(int32, int32)", lambda lib, d: _t(lib, [[1, 2]], "int32", d) @ _t(lib, [[1], [2]], "int32", d),
     "int32"),
    ("exp(int64)", lambda lib, d: _t(lib, [1], "int64", d).exp(), "float32"),
    ("logical_and(float32, int64)", lambda lib, d: lib.logical_and(_t(lib, [1.0], "float32", d),
                                                                   _t(lib, [0], "int64", d)), "bool"),
]


def plexgrad_type_for(torch_type):
    """The plexgrad exception type that stands for torch's ``torch_type``."""
    name = torch_type.__name__.lstrip("_")
    if name == "LinAlgError":
        return LinAlgError
    if name == "OutOfMemoryError":
        return OutOfMemoryError
    builtin = getattr(builtins, name, None)
    return builtin if isinstance(builtin, type) and issubclass(builtin, BaseException) else torch_type


def reference_error_type(build, declared):
    """The exception type torch raises for ``build`` (as plexgrad's type), ``declared`` when torch is
    not installed; a ``str`` saying what happened when torch raised nothing."""
    try:
        import torch
    except ImportError:
        return declared
    try:
        build(torch, "cpu")
    except Exception as error:
        return plexgrad_type_for(type(error))
    return "torch raises nothing for this input"
