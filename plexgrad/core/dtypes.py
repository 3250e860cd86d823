"""Data types with torch's names, and torch's type-promotion rules.

A dtype is a small immutable object shared by every backend; each backend maps it
to its own native dtype.  Promotion follows torch: dimensioned tensors outrank
zero-dimensional tensors, which outrank Python scalars, unless a lower tier holds a
higher category (bool < integer < floating point).
"""

__all__ = [
    "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16",
    "bfloat16", "float32", "float64", "ALL_DTYPES", "as_dtype", "promote_types",
    "result_type", "get_default_dtype", "set_default_dtype", "scalar_dtype",
]

import builtins

BOOL, INTEGER, FLOATING = 0, 1, 2


class dtype:
    """A tensor element type, such as ``plexgrad.float32``.

    Attributes: ``is_floating_point``, ``is_signed``, ``itemsize`` (bytes).
    """

    __slots__ = ("name", "itemsize", "category", "is_signed", "rank")

    def __init__(self, name, itemsize, category, is_signed, rank):
        self.name = name
        self.itemsize = itemsize
        self.category = category
        self.is_signed = is_signed
        self.rank = rank

    @property
    def is_floating_point(self):
        return self.category == FLOATING

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self

    def __repr__(self):
        return "plexgrad." + self.name

    def __reduce__(self):
        return (as_dtype, (self.name,))


bool = dtype("bool", 1, BOOL, False, 0)
uint8 = dtype("uint8", 1, INTEGER, False, 1)
int8 = dtype("int8", 1, INTEGER, True, 1)
int16 = dtype("int16", 2, INTEGER, True, 2)
int32 = dtype("int32", 4, INTEGER, True, 3)
int64 = dtype("int64", 8, INTEGER, True, 4)
float16 = dtype("float16", 2, FLOATING, True, 1)
bfloat16 = dtype("bfloat16", 2, FLOATING, True, 1)
float32 = dtype("float32", 4, FLOATING, True, 2)
float64 = dtype("float64", 8, FLOATING, True, 3)

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)

_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update({
    "float": float32, "double": float64, "half": float16, "int": int32,
    "long": int64, "short": int16, "byte": uint8, "char": int8,
})

_default_float = [float32]


def get_default_dtype():
    """The dtype of floating-point tensors created without ``dtype=`` (float32)."""
    return _default_float[0]


def set_default_dtype(new_dtype):
    """Set the default floating-point dtype (float32 or float64)."""
    new_dtype = as_dtype(new_dtype)
    if not new_dtype.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {new_dtype}")
    _default_float[0] = new_dtype
    _PROMOTION_CACHE.clear()


def as_dtype(value):
    """Return the plexgrad dtype for ``value`` (a dtype, its name, a Python type or numpy dtype)."""
    if type(value) is dtype:
        return value
    if value is builtins.float:
        return get_default_dtype()
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    name = getattr(value, "name", None) if not isinstance(value, str) else value
    if name is None and hasattr(value, "dtype"):
        name = getattr(value.dtype, "name", None)
    if isinstance(name, str):
        name = name.replace("torch.", "").replace("plexgrad.", "")
        found = _BY_NAME.get(name)
        if found is not None:
            return found
    raise TypeError(
        f"unknown dtype {value!r}; use one of: "
        + ", ".join("plexgrad." + d.name for d in ALL_DTYPES)
    )


_INT_BY_RANK = {1: int16, 2: int16, 3: int32, 4: int64}


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to without losing their category."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == BOOL:
        return bool
    if a.category == FLOATING:
        if a.rank == b.rank:  # float16 with bfloat16
            return float32
        return a if a.rank > b.rank else b
    if a.is_signed == b.is_signed:
        return a if a.rank > b.rank else b
    signed, unsigned = (a, b) if a.is_signed else (b, a)
    if signed.rank > unsigned.rank:
        return signed
    return _INT_BY_RANK[unsigned.rank + 1]


def scalar_dtype(value):
    """The dtype torch gives a Python scalar standing alone (bool, int64 or the default float)."""
    kind = type(value)
    if kind is builtins.bool:
        return bool
    if kind is builtins.int:
        return int64
    if kind is builtins.float:
        return get_default_dtype()
    if kind.__name__.startswith(("float", "int", "uint", "bool")):  # numpy scalars
        return as_dtype(kind.__name__.replace("bool_", "bool"))
    raise TypeError(f"expected a number, got {kind.__name__}")


def _combine(higher, lower):
    """torch's combine_categories: a lower tier wins only with a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == FLOATING:
        return higher
    if higher is bool or lower.category == FLOATING:
        return promote_types(higher, lower)
    return higher


_PROMOTION_CACHE = {}

# tiers: 0 dimensioned tensor, 1 zero-dimensional tensor, 2 Python scalar


def result_type(*participants):
    """Result dtype for ``(dtype, tier)`` pairs, with torch's rules."""
    cached = _PROMOTION_CACHE.get(participants)
    if cached is not None:
        return cached
    tiers = [None, None, None]
    for item_dtype, tier in participants:
        current = tiers[tier]
        tiers[tier] = item_dtype if current is None else promote_types(current, item_dtype)
    result = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    _PROMOTION_CACHE[participants] = result
    return result
