"""One graph node for a composite: torch shows ``MseLossBackward0`` where plexgrad computes a few ops.

``single_node(rule_name, function, inputs, *args)`` runs the composite on fresh leaf aliases of
the inputs that require grad, keeps that small inner graph in one outer node whose edges are
the real inputs, and returns the result with that node as its ``grad_fn``.  Backward runs the
inner graph (retained, so ``retain_graph`` outside works) and hands the gradients on.  Under
``create_graph`` the gradients it returns are themselves such composites (of the inputs and of
the incoming gradient), so double backward reaches the real inputs too.

Gradients are exactly the composite's (same ops, same order); the price is one nested
backward call per composite, so this is for ops used once per step (losses), not for every layer.
"""

__all__ = ["single_node"]

from ..autograd.engine import run_backward
from ..autograd.grad_mode import state as grad_state
from ..dispatch import Rule
from ..op import record
from ..tensor import Tensor
from ..views import alias

_RULES = {}


def _leaf(tensor):
    leaf = alias(tensor)  # shares the storage and version counter: in-place changes are still caught
    leaf._requires_grad = True
    return leaf


def _rule(name):
    found = _RULES.get(name)
    if found is None:
        found = _RULES[name] = Rule(name, _single_node_backward)
    return found


def single_node(rule_name, function, inputs, *args):
    """``function(*inputs, *args)`` with one graph node named ``rule_name`` (inputs may hold None)."""
    if not grad_state.enabled or not any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        return function(*inputs, *args)
    leaves = tuple(_leaf(t) if isinstance(t, Tensor) and t._requires_grad else t for t in inputs)
    inner = function(*leaves, *args)
    if not inner._requires_grad:
        return inner
    tensors = [position for position, t in enumerate(inputs) if isinstance(t, Tensor)]  # edges only for tensors
    return _wrap(_rule(rule_name), tuple(inputs[p] for p in tensors), tuple(leaves[p] for p in tensors), inner)


def _wrap(rule, outer, leaves, inner):
    result = alias(inner)
    saved = tuple(t for t in outer if t._requires_grad)
    return record(rule, outer, result, saved, params=(leaves, inner, tuple(outer)))


def _single_node_backward(node, grad):
    node.saved_tensors  # the freed-graph and in-place checks of any node
    leaves, inner, outer = node.params
    wanted = [position for position, edge in enumerate(node.edges) if edge is not None]
    create_graph = grad_state.enabled
    seed = grad
    if create_graph:
        seed = _leaf(grad.detach()) if grad._requires_grad else grad
    found = run_backward([(inner, seed)], True, create_graph, capture=[leaves[p] for p in wanted])
    results = [None] * len(node.edges)
    for position, gradient in zip(wanted, found):
        if create_graph and gradient is not None and gradient._requires_grad:
            # the gradient's own graph ends at the leaves and the seed: one node ties it to the real tensors
            gradient = _wrap(_rule(node.rule.node_name.replace("Backward", "BackwardBackward", 1)),
                             outer + (grad,), leaves + (seed,), gradient)
        results[position] = gradient
    return tuple(results)
