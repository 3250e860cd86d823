"""Distances between batches of vectors: ``cosine_similarity`` and ``pairwise_distance``."""

__all__ = ["cosine_similarity", "pairwise_distance"]

from ...core.ops import elementwise as ew


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))`` along ``dim``, after broadcasting the inputs
    (so a size-1 ``dim`` of one input counts once per element of the other, as in torch)."""
    from ...core.shapes import broadcast_shapes
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    norm1 = ew.maximum((x1 * x1).sum(dim, keepdim=True).sqrt(), eps)
    norm2 = ew.maximum((x2 * x2).sum(dim, keepdim=True).sqrt(), eps)
    return ((x1 / norm1) * (x2 / norm2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The ``p``-norm of ``x1 - x2 + eps`` along the last dimension."""
    difference = (x1 - x2 + eps).abs()
    if p == 2.0:
        return difference.square().sum(-1, keepdim=keepdim).sqrt()
    if p == 1.0:
        return difference.sum(-1, keepdim=keepdim)
    if p == float("inf"):
        return difference.amax(-1, keepdim=keepdim)
    return (difference ** p).sum(-1, keepdim=keepdim) ** (1.0 / p)
