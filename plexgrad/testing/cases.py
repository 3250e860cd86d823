"""The kit's cases: the op table expanded into checks, plus the behaviour checks.

Every case is the same on every device (no device-type table, no skips by device name):
``Case.check(device)`` runs it.  ``all_cases()`` builds the list once.
"""

__all__ = ["Case", "all_cases", "KINDS"]

import functools
import re

from . import behaviours, op_checks
from .bad_inputs import BAD_INPUTS, PROMOTIONS

KINDS = ("values", "non-contiguous", "empty", "0-d", "gradient", "double-backward", "gradient-through-view",
         "dtype", "transfer", "view-write", "determinism", "bad-input", "promotion")
"""What a case checks (see the module docstrings of ``op_checks`` and ``behaviours``)."""

_EMPTY, _ZERO_D = (2, 0), ()


class Case:
    """One check: ``id`` (unique, stable), ``kind`` (in ``KINDS``), ``subject`` (the op-table entry
    or behaviour), ``dtype`` (the dtype under test, or None), ``dtypes`` (every dtype it needs the
    backend to hold) and ``check(device)``, which raises ``Mismatch`` on a difference."""

    __slots__ = ("id", "kind", "subject", "dtype", "dtypes", "check")

    def __init__(self, kind, subject, dtype, dtypes, check):
        self.kind = kind
        self.subject = subject
        self.dtype = dtype
        self.dtypes = frozenset(dtypes)
        self.check = check
        self.id = f"{kind}:{subject}" + (f":{dtype}" if dtype else "")

    def __repr__(self):
        return f"<Case {self.id}>"


def _fixed_dtypes(entry):
    return {arg.dtype for arg in entry.args if arg.dtype}


def _has_strided_grad_input(entry):
    return entry.grad and entry.layouts and any(entry.differentiated(position) and len(arg.shape)
                                                for position, arg in enumerate(entry.args))


def _entry_cases(entries):
    cases = []
    for entry in entries:
        fixed = _fixed_dtypes(entry)
        first = entry.dtypes[0]
        for dtype in entry.dtypes:
            if dtype == "float64" and entry.grad:
                continue  # float64 values are checked by the gradient case, on the same inputs
            cases.append(Case("values", entry.name, dtype, fixed | {dtype},
                              functools.partial(op_checks.check_values, entry, dtype)))
        if entry.layouts and any(len(arg.shape) for arg in entry.args):
            cases.append(Case("non-contiguous", entry.name, first, fixed | {first},
                              functools.partial(op_checks.check_non_contiguous, entry, first)))
        if entry.elementwise:
            for kind, shape in (("empty", _EMPTY), ("0-d", _ZERO_D)):
                cases.append(Case(kind, entry.name, first, fixed | {first},
                                  functools.partial(op_checks.check_shape_variant, entry, first, shape=shape)))
        if entry.grad:
            cases.append(Case("gradient", entry.name, "float64", fixed | {"float64"},
                              functools.partial(op_checks.check_gradient, entry)))
        if entry.gradgrad:
            cases.append(Case("double-backward", entry.name, "float64", fixed | {"float64"},
                              functools.partial(op_checks.check_double_backward, entry)))
    strided = [entry for entry in entries if _has_strided_grad_input(entry)][::4]  # each one is a full gradcheck
    for entry in strided:
        cases.append(Case("gradient-through-view", entry.name, "float64", _fixed_dtypes(entry) | {"float64"},
                          functools.partial(op_checks.check_gradient_through_view, entry)))
    return cases


def _behaviour_cases():
    cases = [Case("dtype", name, name, {name}, functools.partial(behaviours.check_dtype, name))
             for name in behaviours.ALL_DTYPE_NAMES]
    cases.append(Case("transfer", "to and from cpu", None, {"float32"}, behaviours.check_transfers))
    cases += [Case("view-write", name, None, {"float64"}, functools.partial(behaviours.check_view_write, name, write,
                                                                            reference))
              for name, write, reference in behaviours.VIEW_WRITES]
    cases.append(Case("transfer", "move within the backend", None, {"float32"}, behaviours.check_move))
    cases.append(Case("determinism", "manual_seed", None, {"float32", "float64", "int64"},
                      behaviours.check_determinism))
    cases += [Case("bad-input", name, None, {"float32", "int64"},
                   functools.partial(behaviours.check_bad_input, name, build, declared, pattern))
              for name, build, declared, pattern in BAD_INPUTS]
    cases += [Case("promotion", name, None, _named_dtypes(name) | {wanted},
                   functools.partial(behaviours.check_promotion, name, build, wanted))
              for name, build, wanted in PROMOTIONS]
    return cases


def _named_dtypes(text):
    """The dtype names a promotion case's description mentions (a Python float is float32's)."""
    words = set(re.findall(r"[a-z]+[0-9]*", text))
    return {name for name in behaviours.ALL_DTYPE_NAMES if name in words}


@functools.lru_cache(maxsize=None)
def _cases():
    from .op_table import ENTRIES
    cases = _entry_cases(ENTRIES) + _behaviour_cases()
    ids = [case.id for case in cases]
    duplicated = sorted({name for name in ids if ids.count(name) > 1})
    if duplicated:
        raise RuntimeError(f"conformance kit: duplicate case ids {duplicated[:5]}")
    return tuple(cases)


def all_cases():
    """Every case of the kit, in a fixed order (built once)."""
    return list(_cases())
