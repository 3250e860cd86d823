"""``einsum``: Einstein summation through the backend's einsum kernel.

The equation is first rewritten with every subscript explicit (ellipses become
letters, an implicit output becomes ``->`` plus the letters used once, sorted), and
operands whose sizes broadcast (1 against n) are expanded, so the kernel and the
derivative rule see one plain equation.  The gradient for an operand is itself an
einsum of the output gradient with the other operands; letters only that operand
sums over come in through a ones vector, and a letter it repeats (a diagonal)
through an identity matrix.
"""

__all__ = ["einsum"]

import string

from .. import dtypes
from ..op import apply, cast, declare
from ..tensor import Tensor

_LETTERS = string.ascii_letters


def _einsum_backward(node, grad):
    equation = node.params[0]
    operands = node.saved_tensors
    inputs_text, output = equation.split("->")
    subscripts = inputs_text.split(",")
    grads = []
    for position, target in enumerate(subscripts):
        if node.edges[position] is None:
            grads.append(None)
            continue
        terms = [output]
        tensors = [grad]
        for other_position, other in enumerate(subscripts):
            if other_position != position:
                terms.append(other)
                tensors.append(operands[other_position])
        available = set("".join(terms))
        used = set(equation)
        fresh = (letter for letter in _LETTERS if letter not in used)
        shape = operands[position]._data.shape
        renamed = []
        seen = set()
        from ..factories import eye, ones
        for letter, extent in zip(target, shape):
            if letter in seen:  # a diagonal: tie the repeat to the first occurrence with an identity
                new_letter = next(fresh)
                terms.append(letter + new_letter)
                tensors.append(eye(extent, dtype=grad._dtype, device=grad._device))
                renamed.append(new_letter)
                continue
            seen.add(letter)
            if letter not in available:  # summed over by this operand alone: broadcast back with ones
                terms.append(letter)
                tensors.append(ones(extent, dtype=grad._dtype, device=grad._device))
                available.add(letter)
            renamed.append(letter)
        grads.append(einsum(",".join(terms) + "->" + "".join(renamed), *tensors))
    return tuple(grads)


_einsum_op = declare("einsum", _einsum_backward, dtype_rule="promote", doc="Einstein summation",
                     signature="arrays: arrays, equation: static")


def _parse(equation, operands):
    text = equation.replace(" ", "")
    if "->" in text:
        inputs_text, output = text.split("->", 1)
        explicit = True
    else:
        inputs_text, output, explicit = text, "", False
    subscripts = inputs_text.split(",")
    if len(subscripts) != len(operands):
        raise ValueError(f"einsum(): {len(subscripts)} operands in the equation {equation!r} but "
                         f"{len(operands)} tensors given")
    for term in subscripts + [output]:
        bad = [c for c in term.replace("...", "") if c not in _LETTERS]
        if bad:
            raise ValueError(f"einsum(): invalid subscript {bad[0]!r} in equation {equation!r}; use letters "
                             "a-z, A-Z and '...'")
    used = set(text)
    spare = [letter for letter in _LETTERS if letter not in used]
    ellipsis_dims = 0
    for term, operand in zip(subscripts, operands):
        named = len(term.replace("...", ""))
        if "..." in term:
            ellipsis_dims = max(ellipsis_dims, operand._data.ndim - named)
        elif named != operand._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match "
                               f"the number of dimensions ({operand._data.ndim}) for operand "
                               f"{subscripts.index(term)} and no ellipsis was given")
    ellipsis_letters = "".join(spare[:ellipsis_dims])
    expanded = []
    for term, operand in zip(subscripts, operands):
        if "..." in term:
            count = operand._data.ndim - len(term.replace("...", ""))
            if count < 0:
                raise RuntimeError(f"einsum(): operand has {operand._data.ndim} dims, fewer than the "
                                   f"{len(term) - 3} subscripts of {term!r}")
            term = term.replace("...", ellipsis_letters[ellipsis_dims - count:])
        expanded.append(term)
    if explicit:
        output = output.replace("...", ellipsis_letters)
        for letter in output:
            if output.count(letter) > 1:
                raise RuntimeError(f"einsum(): output subscript {letter} appears more than once in the output")
            if letter not in "".join(expanded):
                raise RuntimeError(f"einsum(): output subscript {letter} does not appear in the equation "
                                   "for any input operand")
    else:
        joined = "".join(expanded)
        output = ellipsis_letters + "".join(sorted(
            letter for letter in set(joined) if joined.count(letter) == 1 and letter not in ellipsis_letters))
    return expanded, output


def _broadcast_operands(subscripts, operands):
    sizes = {}
    for term, operand in zip(subscripts, operands):
        for letter, extent in zip(term, operand._data.shape):
            known = sizes.get(letter, 1)
            if extent != 1 and known != 1 and extent != known:
                raise RuntimeError(f"einsum(): subscript {letter} has size {extent} for one operand which does "
                                   f"not broadcast with previously seen size {known}")
            sizes[letter] = extent if known == 1 else known
    result = []
    for term, operand in zip(subscripts, operands):
        target = tuple(sizes[letter] for letter in term)
        result.append(operand if tuple(operand._data.shape) == target else operand.expand(target))
    return result


def einsum(equation, *operands):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Operands may also come as one list: ``einsum('ii', [a])``.  Ellipses, implicit
    outputs, diagonals (``'ii->i'``) and size-1 broadcasting work as in torch; the
    result is differentiable for every operand.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, got {type(equation).__name__}")
    for position, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(f"einsum(): operand {position} must be Tensor, not {type(operand).__name__}")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    subscripts, output = _parse(equation, operands)
    dtype = operands[0]._dtype
    for operand in operands[1:]:
        dtype = dtypes.promote_types(dtype, operand._dtype)
    operands = [cast(operand, dtype) for operand in operands]
    operands = _broadcast_operands(subscripts, operands)
    normalized = ",".join(subscripts) + "->" + output
    return apply(_einsum_op, tuple(operands), (normalized,), save=tuple(range(len(operands))))
