"""Margin, embedding and likelihood losses of torch.nn.functional, plus ``softshrink``/``hardshrink``,
``prelu`` and ``pdist``: composites of Tensor ops (their gradients follow)."""

__all__ = ["softshrink", "hardshrink", "prelu", "pdist", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss"]

import math

from ...core.ops import elementwise as ew
from ...core.tensor import Tensor


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return ew.where(input > lambd, input - lambd, ew.where(input < -lambd, input + lambd, input * 0))


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return ew.where((input > lambd) | (input < -lambd), input, input * 0)


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with one weight per channel (dimension 1) or a single one."""
    if weight.numel() != 1 and input.dim() >= 2:
        if weight.numel() != input.shape[1]:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {input.shape[1]}.")
        weight = weight.reshape((1, -1) + (1,) * (input.dim() - 2))
    return ew.where(input > 0, input, weight * input)


def pdist(input, p=2):
    """Distances between every pair of rows ``i < j`` of a 2-d input, as a 1-d tensor."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    from ...core.ops.scans import cdist
    from ...core.ops.shape_extras import triu_indices
    rows = input.shape[0]
    pairs = triu_indices(rows, rows, 1, device=input.device)
    return cdist(input[pairs[0]].unsqueeze(1), input[pairs[1]].unsqueeze(1), p).reshape(-1)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    return _reduce(ew.maximum(-target * (input1 - input2) + margin, 0.0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1`` (summed where both)."""
    positive = ew.where(target == 1, input, input * 0)
    negative = ew.where(target == -1, ew.maximum(margin - input, 0.0), input * 0)
    return _reduce(positive + negative, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos`` for ``target == 1``, ``max(0, cos - margin)`` for ``target == -1``."""
    eps = 1e-12
    dims = input1.dim() - 1
    product = (input1 * input2).sum(dims)
    magnitude = ((input1 * input1).sum(dims) + eps) * ((input2 * input2).sum(dims) + eps)
    cosine = product / magnitude.sqrt()
    zeros = cosine * 0
    positive = ew.where(target == 1, 1 - cosine, zeros)
    negative = ew.where(target == -1, ew.maximum(cosine - margin, 0.0), zeros)
    return _reduce(positive + negative, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log likelihood of ``target`` under Poisson(``exp(input)`` or ``input``)."""
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = ew.where(target > 1, target, target * 0 + 1)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + ew.where(target > 1, stirling, stirling * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 * (log(max(var, eps)) + (input - target)**2 / max(var, eps))`` (+ ``0.5 log(2 pi)`` if full)."""
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input * 0 + var
    elif var.dim() == input.dim() - 1 or (var.dim() == input.dim() and var.shape[-1] == 1 and input.shape[-1] != 1):
        var = var.unsqueeze(-1) if var.dim() == input.dim() - 1 else var
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    clamped = ew.maximum(var, eps + var.detach() * 0)
    loss = 0.5 * (clamped.log() + (input - target) ** 2 / clamped)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the pairwise ``p``-distance."""
    from .distance import pairwise_distance
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = ew.minimum(negative_distance, pairwise_distance(positive, negative, p, eps))
    return _reduce(ew.maximum(positive_distance - negative_distance + margin, 0.0), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Mean over classes of the binary cross entropy of ``sigmoid(input)`` with ``target``."""
    from ...core.ops.activation import logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1] if input.dim() else loss
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """``sum_j max(0, margin - x[y] + x[j])**p / classes`` over ``j != y``."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    squeeze = input.dim() == 1
    if squeeze:
        input, target = input.unsqueeze(0), target.reshape(1)
    picked = input.gather(1, target.long().unsqueeze(1))
    losses = ew.maximum(margin - picked + input, 0.0) ** p
    if weight is not None:
        losses = losses * weight[target.long()].unsqueeze(1)
    from ...core.factories import arange
    others = arange(input.shape[1], device=input.device).unsqueeze(0) != target.long().unsqueeze(1)
    loss = ew.where(others, losses, losses * 0).sum(1) / input.shape[1]
    if squeeze and reduction == "none":
        loss = loss.reshape(())
    return _reduce(loss, reduction)
