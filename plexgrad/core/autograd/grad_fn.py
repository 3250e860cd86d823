"""What ``tensor.grad_fn`` hands to users: an object whose class carries torch's node name.

The engine's graph is made of plain ``Node`` objects (one class, so the backward loop can
tell nodes from leaves with one ``type(edge) is Node``).  Users, though, read
``type(t.grad_fn).__name__`` and expect ``MulBackward0``, as in torch.  So ``grad_fn``
returns a *view* of the node: an instance of a class named after the node's rule (one class
per name, made once), created on first access and kept on the node, so ``y.grad_fn is
y.grad_fn`` holds.  The view forwards everything else (``name()``, ``next_functions``,
hooks, ``saved_tensors``...) to the node.  A custom ``autograd.Function``'s node has its
``ctx`` as its view, as in torch.
"""

__all__ = ["GradFn", "view_of", "view_class"]

from .node import AccumulateGrad, Node

_CLASSES = {}


class GradFn:
    """Base class of every ``grad_fn`` object (``isinstance(t.grad_fn, plexgrad.autograd.graph.Node)``)."""

    _node = None

    def name(self):
        """torch's name of this backward node, e.g. ``'MulBackward0'``."""
        return self._node.name()

    @property
    def next_functions(self):
        """``((grad_fn of input 0, 0), ...)``: a view, an ``AccumulateGrad`` for a leaf, or None."""
        return tuple((view_of(function) if type(function) is Node else function, index)
                     for function, index in self._node.next_functions)

    @property
    def metadata(self):
        """A dict for users to keep their own data on the node (as torch's ``grad_fn.metadata``)."""
        node = self._node
        found = node.__dict__.get("user_metadata")
        if found is None:
            found = node.__dict__["user_metadata"] = {}
        return found

    def register_hook(self, hook):
        return self._node.register_hook(hook)

    def register_prehook(self, hook):
        return self._node.register_prehook(hook)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._node, name)

    def __repr__(self):
        return f"<{self._node.name()} object at {id(self):#x}>"


def view_class(name):
    """The ``GradFn`` subclass named ``name`` (made once per name)."""
    found = _CLASSES.get(name)
    if found is None:
        found = _CLASSES[name] = type(name, (GradFn,), {"__module__": "plexgrad.autograd.graph",
                                                        "__slots__": ("_node",)})
    return found


def view_of(node):
    """The user-facing ``grad_fn`` object of ``node`` (None for None), the same object every time."""
    if node is None or type(node) is not Node:
        return node
    state = node.__dict__
    found = state.get("grad_fn_view")
    if found is None:
        found = object.__new__(view_class(node.name()))
        found._node = node
        state["grad_fn_view"] = found
    return found


AccumulateGrad.__module__ = "plexgrad.autograd.graph"
