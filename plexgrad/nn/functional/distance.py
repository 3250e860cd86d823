"""Distances between batches of vectors: ``cosine_similarity`` and ``pairwise_distance``."""

__all__ = ["cosine_similarity", "pairwise_distance"]

from ...core.ops import elementwise as ew


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / max(|x1| |x2|, eps)`` along ``dim`` (inputs broadcast)."""
    dot = (x1 * x2).sum(dim)
    norms = (x1 * x1).sum(dim) * (x2 * x2).sum(dim)
    return dot / ew.maximum(norms, eps * eps).sqrt()


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
