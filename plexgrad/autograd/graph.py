"""``torch.autograd.graph``: the classes of graph objects users meet through ``tensor.grad_fn``."""

from ..core.autograd.grad_fn import GradFn as Node
from ..core.autograd.node import AccumulateGrad

__all__ = ["Node", "AccumulateGrad"]
