"""``ReduceOp``: how ``all_reduce`` and ``reduce_scatter`` combine the ranks' values."""

__all__ = ["ReduceOp"]

import enum


class ReduceOp(enum.Enum):
    """torch.distributed's reduce operations: ``SUM``, ``AVG`` (floating tensors), ``PRODUCT``,
    ``MAX`` and ``MIN``."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MAX = 3
    MIN = 4

    def __repr__(self):
        return f"<ReduceOp.{self.name}: {self.value}>"
