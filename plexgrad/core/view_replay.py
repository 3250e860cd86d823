"""Replaying view steps: the arrays a view derives from its root, writes through a view on an
immutable engine, and torch's view replay (a view's history regenerated from its base's).

See ``views.py`` for the model; ``inplace.py`` calls these after every in-place write.
"""

__all__ = ["replay_arrays", "replay", "scatter_back", "refresh_views", "regenerate_views", "STALE_VIEW_RULE"]

import numpy

from . import tensor as _tensor_module
from .dispatch import call, kernel_for
from .dtypes import int64 as _INT64
from .layout import positions_through
from .tensor import make_tensor
from .views import NO_GRAD, apply_step, live_views, root_of

# ---- replaying steps ------------------------------------------------------------------------

def replay_arrays(device, data, steps):
    """The arrays after each of ``steps`` applied to ``data`` (kernels only, no autograd)."""
    arrays = [data]
    for op, params, _, _, _ in steps:
        data = kernel_for(op, device)(data, *params)
        arrays.append(data)
    return arrays


def replay(source, steps):
    """``source`` seen through ``steps``, recorded for autograd (differentiable, a view)."""
    result = source
    for step in steps:
        result = apply_step(result, step)
    return result


def _replay_history(source, steps):
    """``(requires_grad, grad_fn)`` of ``source`` seen through ``steps``, without making views."""
    from .op import record
    current = source
    device = source._device
    for op, params, node_params, rule, dtype in steps:
        result = make_tensor(kernel_for(op, device)(current._data, *params),
                             current._dtype if dtype is None else dtype, device)
        if rule is not None and current._requires_grad:
            record(rule, (current,), result, (), node_params)
        current = result
    return current._requires_grad, current._grad_fn


# ---- writes on immutable engines --------------------------------------------------------------

_INVERTIBLE = frozenset({"getitem", "reshape", "permute", "view_dtype"})


def scatter_back(backend, device, dtype, root_data, steps, values):
    """``root_data`` with the region ``steps`` select replaced by ``values`` (a new array).

    Each step is undone by its own functional update (``.at[key].set`` for a slice, the
    inverse permutation, reshape back), so the cost follows the view; a chain with an
    ``expand`` goes through flat positions (and refuses overlapping writes, as torch)."""
    if not steps:
        return values
    if all(step[0].name in _INVERTIBLE for step in steps):
        arrays = replay_arrays(device, root_data, steps[:-1])
        dtypes_before = [dtype]
        for step in steps[:-1]:
            dtypes_before.append(dtypes_before[-1] if step[4] is None else step[4])
        from .ops.indexing import _index_put_op
        from .ops.shape import _permute_op, _reshape_op, _view_dtype_op
        for step, before, before_dtype in zip(reversed(steps), reversed(arrays), reversed(dtypes_before)):
            name = step[0].name
            params = step[1]
            if name == "getitem":
                values = call(_index_put_op, device, before, values, params[0], False)
            elif name == "reshape":
                values = call(_reshape_op, device, values, tuple(before.shape))
            elif name == "permute":
                dims = params[0]
                inverse = [0] * len(dims)
                for position, dim in enumerate(dims):
                    inverse[dim] = position
                values = call(_permute_op, device, values, tuple(inverse))
            else:
                values = call(_view_dtype_op, device, values, before_dtype)
        return values
    positions = positions_through(tuple(root_data.shape), steps)
    flat = positions.reshape(-1)
    if numpy.unique(flat).size != flat.size:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location. Please clone() the tensor before performing the operation.")
    on_device = backend.from_host(positions, _INT64, device.index or 0)
    return backend.scatter_flat(root_data, on_device, values)


def refresh_views(root):
    """Re-derive every live alias of ``root`` from the root's (new) array (immutable engines)."""
    views = live_views(root)
    if not views:
        return
    device = root._device
    data = root._data
    for view in views:
        view._data = replay_arrays(device, data, view._view.steps)[-1]


# ---- regenerating histories (torch's view replay) ----------------------------------------------

def _stale_view_backward(node, grad):
    raise RuntimeError(
        "A view was created in no_grad mode and its base or another view of its base has been modified "
        "inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is "
        "forbidden. You can clarify your code by moving both the view and the inplace either both inside "
        "the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the "
        "inplace to be tracked).")


def _make_stale_rule():
    from .op import Rule
    return Rule("StaleNoGradViewBackward", _stale_view_backward)


STALE_VIEW_RULE = _make_stale_rule()
_tensor_module.STALE_VIEW_RULE = STALE_VIEW_RULE


def regenerate_views(grad_base, also=None):
    """After a recorded in-place write to ``grad_base``'s storage: every live differentiable view
    of ``grad_base`` (and ``also``) takes the history of ``grad_base`` seen through its steps."""
    from .autograd.node import Node
    views = live_views(root_of(grad_base))
    if also is not None and also._view is not None and all(view is not also for view in views):
        views.append(also)  # (never ``in``: tensors compare with ``==``)
    for view in views:
        meta = view._view
        if meta.grad_base is not grad_base:
            continue
        if meta.creation == NO_GRAD:
            if grad_base._requires_grad:
                node = object.__new__(Node)
                node.rule = STALE_VIEW_RULE
                node.edges = (grad_base._grad_fn,)
                node.params = node.saved = node.versions = None
                view._grad_fn = node
                view._requires_grad = True
            continue
        view._requires_grad, view._grad_fn = _replay_history(grad_base, meta.grad_steps)

