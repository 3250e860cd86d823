"""Dtype rules: how an op's result dtype follows from its inputs', declared once per op.

A rule maps the inputs' common dtype (after torch's promotion, which the caller
does) to a pair ``(compute dtype, result dtype)``: the dtype the kernel runs in
(inputs are cast to it) and the dtype of the result.  ``unary``, ``binary`` and
``apply`` in ``op.py`` take both from the op's declared rule; answers that do not
depend on the default dtype are cached per input dtype, so a rule costs one dict
lookup on the hot paths.

    same     (d, d)            most ops
    promote  (d, d)            d is the promoted dtype of the tensor inputs (apply casts them to it)
    promote_values (d, d)      the same over every input but the first (where's condition stays bool)
    float    (f, f)            f = d if d is floating, else the default float (sqrt of ints)
    bool     (d, bool)         comparisons, isnan, all/any
    int64    (d, int64)        argmax, argsort, indices
    bool_as_int64  (int64, int64) for bool, else (d, d)    square
    given    the dtype named by the op's ``dtype`` parameter (cast, full)
"""

__all__ = ["DtypeRule", "RULES", "rule_named"]

from . import dtypes


class DtypeRule:
    """A named dtype rule; ``rule(dtype) -> (compute dtype, result dtype)``.

    ``keeps_dtype`` is True for rules that answer ``(d, d)`` for every ``d``: the hot paths
    then skip the lookup (most ops, so it matters at ~0.03 us a call).
    """

    __slots__ = ("name", "_compute", "_cache", "keeps_dtype")

    def __init__(self, name, compute):
        self.name = name
        self._compute = compute
        self._cache = {}
        self.keeps_dtype = compute is _same

    def __call__(self, dtype):
        found = self._cache.get(dtype)
        if found is None:
            found, stable = self._compute(dtype)
            if stable:  # independent of the default dtype, which may change
                self._cache[dtype] = found
        return found

    def __repr__(self):
        return f"<dtype rule {self.name}>"


def _same(dtype):
    return (dtype, dtype), True


def _float(dtype):
    if dtype.category == dtypes.FLOATING:
        return (dtype, dtype), True
    default = dtypes.get_default_dtype()
    return (default, default), False


def _fixed(result):
    def compute(dtype):
        return (dtype, result), True
    return compute


def _bool_as_int64(dtype):
    return ((dtypes.int64, dtypes.int64) if dtype is dtypes.bool else (dtype, dtype)), True


def _given(dtype):
    raise TypeError("the 'given' dtype rule takes its dtype from the op's dtype parameter, not from the inputs")


RULES = {rule.name: rule for rule in (
    DtypeRule("same", _same), DtypeRule("promote", _same), DtypeRule("promote_values", _same),
    DtypeRule("float", _float), DtypeRule("bool_as_int64", _bool_as_int64),
    DtypeRule("bool", _fixed(dtypes.bool)), DtypeRule("int64", _fixed(dtypes.int64)), DtypeRule("given", _given),
)}


def rule_named(name):
    """The rule called ``name`` (a ``DtypeRule`` passes through); ValueError names the known ones."""
    if isinstance(name, DtypeRule):
        return name
    found = RULES.get(name)
    if found is None:
        raise ValueError(f"unknown dtype rule {name!r}; known rules: {', '.join(RULES)}")
    return found
