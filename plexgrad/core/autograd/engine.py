"""The backward pass: walk the recorded graph from the outputs in dependency order,
sum the gradients reaching each node, run its rule, and hand leaf gradients to
``.grad`` (``backward``) or back to the caller (``autograd.grad``).

A leaf with ``register_post_accumulate_grad_hook`` hooks gets its gradient in ``.grad``
as soon as every path into it has run, and then its hooks fire ("gradient ready"):
data-parallel training starts reducing a bucket while backward goes on.  Other leaves
are accumulated when the walk ends."""

__all__ = ["run_backward", "queue_callback"]

import threading

from ..inplace import accumulate_into
from .grad_mode import state as grad_state
from .node import Node


_queued = threading.local()


def queue_callback(callback):
    """Run ``callback()`` once the ``backward()`` now running in this thread has accumulated every
    gradient (torch's ``Variable._execution_engine.queue_callback``): data-parallel training waits
    there for the gradient reductions its "gradient ready" hooks started.  Unlike torch, a callback
    queued outside a backward pass does not raise: it runs at the end of this thread's next one."""
    pending = getattr(_queued, "callbacks", None)
    if pending is None:
        pending = _queued.callbacks = []
    pending.append(callback)


def _run_queued_callbacks(pending):
    callbacks = list(pending)
    pending.clear()  # taken before running: one that raises must not fire again at a later backward
    for callback in callbacks:
        callback()


def _dependencies(root_nodes):
    """Count, for each node reachable from the roots, the edges that point at it.

    Leaves with post-accumulate hooks are counted too, by ``id``, in a second dict (None when
    there are none): such a leaf's gradient is final when its count reaches 0.  Other leaves
    are not counted, which keeps graphs without those hooks as cheap as before."""
    counts = {}
    hooked_leaves = None
    stack = list(root_nodes)
    seen = set(root_nodes)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if type(edge) is Node:
                counts[edge] = counts.get(edge, 0) + 1
                if edge not in seen:
                    seen.add(edge)
                    stack.append(edge)
            elif edge is not None and edge._extra is not None and "post_accumulate_hooks" in edge._extra:
                if hooked_leaves is None:
                    hooked_leaves = {}
                key = id(edge)
                hooked_leaves[key] = hooked_leaves.get(key, 0) + 1
    return counts, hooked_leaves


def _apply_tensor_hooks(hooks, grad):
    for hook in hooks:
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    return grad


def run_backward(roots, retain_graph, create_graph, capture=None):
    """Run the backward pass.

    ``roots`` is a list of ``(tensor, gradient)``.  With ``capture`` (a list of input
    tensors, for ``autograd.grad``) the gradients reaching those tensors are returned
    in order and ``.grad`` is left alone; otherwise leaf gradients accumulate into
    ``.grad``.
    """
    buffers = {}
    leaf_buffers = {}
    for tensor, gradient in roots:
        node = tensor._grad_fn
        if node is not None:
            buffers[node] = buffers[node] + gradient if node in buffers else gradient
        else:
            _add_leaf(leaf_buffers, tensor, gradient)

    capture_nodes = None
    if capture is not None:
        capture_nodes = {t._grad_fn: None for t in capture if t._grad_fn is not None}

    handed_out = {id(gradient) for _, gradient in roots}
    # grad_state is per thread: switching recording off for the backward pass (on for create_graph)
    # leaves other threads' forward passes alone; a plain flip costs less than entering no_grad
    previous_mode = grad_state.enabled
    grad_state.enabled = create_graph
    node_type = Node  # locals: this loop runs once per recorded op
    take = buffers.pop
    try:
        counts, hooked_leaves = _dependencies(list(buffers))
        if capture is not None:
            hooked_leaves = None  # autograd.grad leaves .grad alone
        ready = [node for node in buffers if counts.get(node, 0) == 0]
        while ready:
            node = ready.pop()
            grad = take(node)
            if node.pre_hooks:
                grad = _apply_tensor_hooks(node.pre_hooks, grad)
            if capture_nodes is not None and node in capture_nodes:
                capture_nodes[node] = grad
            input_grads = node.rule.backward(node, grad)
            if node.hooks:
                for hook in node.hooks:
                    hook(input_grads, (grad,))
            if not retain_graph and (node.saved or node.output_data is not None):
                node.release()
            for edge, input_grad in zip(node.edges, input_grads):
                if edge is None:
                    continue
                if type(edge) is node_type:
                    if input_grad is not None:
                        existing = buffers.get(edge)
                        buffers[edge] = input_grad if existing is None else existing + input_grad
                    remaining = counts[edge] - 1
                    counts[edge] = remaining
                    if remaining == 0:
                        if edge in buffers:
                            ready.append(edge)
                        else:
                            _skip_subgraph(edge, counts, buffers, ready)
                else:
                    if input_grad is not None:
                        entry = leaf_buffers.get(id(edge))
                        if entry is None:
                            leaf_buffers[id(edge)] = [edge, input_grad]
                        else:
                            entry[1] = entry[1] + input_grad
                    if hooked_leaves is not None and id(edge) in hooked_leaves:
                        _leaf_edge_done(edge, hooked_leaves, buffers, leaf_buffers, create_graph, handed_out)

        if capture is not None:
            results = []
            for tensor in capture:
                if tensor._grad_fn is not None:
                    results.append(capture_nodes.get(tensor._grad_fn))
                else:
                    entry = leaf_buffers.get(id(tensor))
                    results.append(None if entry is None else _run_leaf_hooks(entry[0], entry[1]))
            return results

        for leaf, gradient in leaf_buffers.values():  # every leaf not accumulated during the walk
            _accumulate(leaf, gradient, create_graph, handed_out)
        pending = getattr(_queued, "callbacks", None)  # one lookup per backward, not per node
        if pending:
            _run_queued_callbacks(pending)
        return None
    finally:
        grad_state.enabled = previous_mode


def _leaf_edge_done(leaf, hooked_leaves, buffers, leaf_buffers, create_graph, handed_out):
    """One more path into a hooked leaf has run; after the last, its gradient is final: it goes to
    ``.grad`` now and its "gradient ready" hooks fire while backward goes on."""
    key = id(leaf)
    remaining = hooked_leaves[key] - 1
    hooked_leaves[key] = remaining
    if remaining == 0 and key in leaf_buffers:
        leaf, gradient = leaf_buffers.pop(key)
        if _pending_elsewhere(gradient, buffers, leaf_buffers):
            gradient = gradient.detach().clone()  # a hook may write .grad in place
        _accumulate(leaf, gradient, create_graph, handed_out)


def _skip_subgraph(node, counts, buffers, ready):
    """A node every path to which carried no gradient: release its inputs' counts too (a leaf
    reached only through it keeps whatever gradient it has, accumulated at the end)."""
    stack = [node]
    while stack:
        current = stack.pop()
        for edge in current.edges:
            if type(edge) is Node:
                remaining = counts[edge] - 1
                counts[edge] = remaining
                if remaining == 0:
                    if edge in buffers:
                        ready.append(edge)
                    else:
                        stack.append(edge)


def _pending_elsewhere(gradient, buffers, leaf_buffers):
    """True when a gradient still waiting in backward shares ``gradient``'s storage: a rule may
    hand one array to several inputs, and a post-accumulate hook (data-parallel averaging) that
    writes ``.grad`` in place must not change what the rest of backward reads."""
    root = gradient._base if gradient._base is not None else gradient
    for pending in buffers.values():
        if pending is root or pending._base is root:
            return True
    for _, pending in leaf_buffers.values():
        if pending is root or pending._base is root:
            return True
    return False


def _add_leaf(leaf_buffers, leaf, gradient):
    key = id(leaf)
    entry = leaf_buffers.get(key)
    if entry is None:
        leaf_buffers[key] = [leaf, gradient]
    else:
        entry[1] = entry[1] + gradient


def _run_leaf_hooks(leaf, gradient):
    extra = leaf._extra
    if extra is not None and extra.get("hooks"):
        gradient = _apply_tensor_hooks(extra["hooks"], gradient)
    return gradient


def _accumulate(leaf, gradient, create_graph, handed_out):
    """AccumulateGrad: ``leaf.grad = gradient`` the first time, ``leaf.grad += gradient`` after."""
    hooked = _run_leaf_hooks(leaf, gradient)
    existing = leaf._grad
    if existing is None:
        if not create_graph:
            hooked = _owned_gradient(hooked, handed_out, hooked is not gradient)
        leaf._grad = hooked
    elif create_graph or existing._grad_fn is not None:
        leaf._grad = existing + hooked
    else:
        accumulate_into(existing, hooked)
    extra = leaf._extra
    if extra is not None and extra.get("post_accumulate_hooks"):
        for hook in tuple(extra["post_accumulate_hooks"]):
            returned = hook(leaf)
            if returned is not None:
                raise RuntimeError(f"Tensor post accumulate grad hooks should return None. This one returned a "
                                   f"{type(returned).__name__}: change .grad in place instead.")


def _owned_gradient(gradient, handed_out, from_hook):
    """A gradient a leaf may keep as ``.grad`` and later add into in place.

    Copy it only when something else can reach its storage: a gradient the caller passed
    in, one already given to another leaf (or a view of either), one a hook returned,
    or a read-only view (numpy's broadcasts); fresh results and views of them are kept.
    """
    base = gradient._base
    key = id(gradient)
    flags = getattr(gradient._data, "flags", None)
    if (from_hook or key in handed_out or base is not None and id(base) in handed_out
            or gradient._grad_fn is not None or flags is not None and not flags.writeable):
        gradient = gradient.detach().clone()
        handed_out.add(id(gradient))
        return gradient
    handed_out.add(key)
    if base is not None:
        handed_out.add(id(base))
    return gradient
