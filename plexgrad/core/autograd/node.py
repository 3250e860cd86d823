"""Graph nodes: one ``Node`` per differentiable op application.

A node knows its op's backward rule, the edges to its inputs' nodes (or to leaf
tensors, which accumulate into ``.grad``), and what the rule needs saved.  Saved
tensors are checked against their version counters when unpacked, and freed after a
backward pass unless ``retain_graph=True``.
"""

__all__ = ["Node", "AccumulateGrad", "FREED"]

FREED = object()


def make_tensor(data, dtype, device):
    from ..tensor import make_tensor as real_make_tensor  # node.py loads before tensor.py
    global make_tensor
    make_tensor = real_make_tensor
    return real_make_tensor(data, dtype, device)


class Node:
    """A recorded op application; what ``tensor.grad_fn`` returns."""

    # Nodes are built field by field by the recorders in core/op.py (``record`` and its
    # unary/pair/binary forms), without an __init__ call: every node sets these five
    # slots; the fields most nodes never use are class-level defaults, set per instance
    # (in its lazily created __dict__) only when needed.
    __slots__ = ("rule", "edges", "saved", "versions", "params", "__dict__", "__weakref__")
    output_data = None  # the op's output array, for rules that differentiate through it
    output_meta = None  # (dtype, device) of that output
    pre_hooks = None
    hooks = None
    input_meta = None  # rule-specific facts about the inputs (e.g. the scalars of a binary op)

    def name(self):
        return self.rule.node_name

    def __repr__(self):
        return f"<{self.rule.node_name} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """Tuples ``(node, 0)`` for each input: its grad_fn, an AccumulateGrad for a leaf, or None."""
        result = []
        for edge in self.edges:
            if edge is None or isinstance(edge, Node):
                result.append((edge, 0))
            else:
                result.append((AccumulateGrad.for_leaf(edge), 0))
        return tuple(result)

    @property
    def saved_tensors(self):
        """The tensors the backward rule needs, checked against in-place modification."""
        saved = self.saved
        if saved is FREED:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors "
                "after they have already been freed). Saved intermediate values of the graph are freed "
                "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                "backward through the graph a second time or if you need to access saved tensors after "
                "calling backward."
            )
        if saved:
            for tensor, expected in zip(saved, self.versions):
                counter = tensor._counter
                current = 0 if counter is None else counter.value
                if current != expected:
                    raise _modified_error(self, f"[{tensor.type()} {list(tensor.shape)}]", current, expected)
        return saved

    def output_array(self):
        """The op's saved output array, checked against in-place modification of the output."""
        if self.saved is FREED:
            self.saved_tensors  # raises the freed-graph error
        dtype, device, counter = self.output_meta
        if counter.value != 0:
            from ..legacy import scalar_type_name
            raise _modified_error(self, f"[{scalar_type_name(dtype)}Tensor {list(self.output_data.shape)}], which is "
                                  f"output 0 of {self.rule.node_name},", counter.value, 0)
        return self.output_data

    def saved_output(self):
        """The op's output as a tensor whose grad_fn is this node (so double backward works)."""
        data = self.output_array()
        dtype, device, _ = self.output_meta
        tensor = make_tensor(data, dtype, device)
        tensor._requires_grad = True
        tensor._grad_fn = self
        return tensor

    def release(self):
        """Free what backward needed (called after backward without retain_graph)."""
        if self.saved or self.output_data is not None:
            self.saved = FREED
            if self.output_data is not None:  # assigning the class default would make a __dict__
                self.output_data = None

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward runs."""
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(hook)
        return _RemovableHandle(self.hooks, hook)

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` before this node's backward runs."""
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(hook)
        return _RemovableHandle(self.pre_hooks, hook)


def _modified_error(node, described, current, expected):
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{described} is at version {current}; expected version {expected} instead. Hint: the backward of "
        f"{node.rule.node_name} needs it unchanged; use an out-of-place operation or .clone() it before "
        "modifying.")


class AccumulateGrad:
    """The node that stores a leaf tensor's gradient in ``.grad`` (as in torch)."""

    __slots__ = ("variable", "__weakref__")

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def for_leaf(tensor):
        extra = tensor._extras()
        node = extra.get("accumulate_grad")
        if node is None:
            node = extra["accumulate_grad"] = AccumulateGrad(tensor)
        return node

    def name(self):
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class _RemovableHandle:
    """Returned by ``register_hook``; ``.remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
