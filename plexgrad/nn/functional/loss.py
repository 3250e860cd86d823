"""Losses with torch's ``reduction`` ('mean', 'sum', 'none') and weighting rules.

``cross_entropy`` is ``log_softmax`` plus ``nll_loss`` (a gather), so a training
step spends only a few ops here.  ``binary_cross_entropy`` has its own derivative
rule (torch's clamped formula) so inputs at exactly 0 or 1 give finite gradients.
"""

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "soft_margin_loss",
           "legacy_reduction", "apply_reduction"]

import math
import warnings

from ...core import dtypes
from ...core.host_checks import host_checks_enabled, host_values
from ...core.ops import activation as act, elementwise as ew
from ...core.ops.binary_cross_entropy import binary_cross_entropy_elements
from ...core.ops.cross_entropy import fused_cross_entropy
from ...core.ops.single_node import single_node
from ...core.autograd.grad_mode import is_grad_enabled
from ...core.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average, reduce, reduction="mean"):
    """The ``reduction`` string for torch's deprecated ``size_average``/``reduce`` arguments."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def apply_reduction(loss, reduction):
    """Apply ``reduction`` to element-wise ``loss``."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}")


def _check_pair(name, input, target):
    for label, value in (("input", input), ("target", target)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{label}' must be Tensor, not {type(value).__name__}")
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have "
                      "the same size.", stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target) ** 2``, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_pair("mse_loss", input, target)
    return single_node("MseLossBackward0", _mse, (input, target, weight), reduction)


def _mse(input, target, weight, reduction):
    difference = input - target
    loss = difference * difference
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_pair("l1_loss", input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (``d = input - target``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_pair("smooth_l1_loss", input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    return single_node("SmoothL1LossBackward0", _smooth_l1, (input, target), reduction, beta)


def _smooth_l1(input, target, reduction, beta):
    distance = (input - target).abs()
    if beta == 0:
        return apply_reduction(distance, reduction)
    loss = ew.where(distance < beta, distance * distance * (0.5 / beta), distance - 0.5 * beta)
    return apply_reduction(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    _check_pair("huber_loss", input, target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    return single_node("HuberLossBackward0", _huber, (input, target, weight), reduction, delta)


def _huber(input, target, weight, reduction, delta):
    distance = (input - target).abs()
    loss = ew.where(distance < delta, distance * distance * 0.5, (distance - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))`` for targets in {-1, 1}."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_pair("soft_margin_loss", input, target)
    return apply_reduction(act.softplus(-target * input, 1.0, math.inf), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence with ``input`` given as log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL);
    'mean' divides by the number of elements, as torch does.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe_log = ew.where(target > 0, target, 1.0).log()
        loss = ew.where(target > 0, target * (safe_log - input), input * 0)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return apply_reduction(loss, reduction)


# ---- classification ------------------------------------------------------------------------
def _class_dim_target(input, target):
    """Bring an unbatched ``(C,)`` input to ``(1, C)`` form; check the target's shape."""
    if input.dim() == 1:
        if target.dim() != 0:
            raise RuntimeError(f"Expected a 0-D target for a 1-D (unbatched) input of shape {list(input.shape)}, "
                               f"got target of shape {list(target.shape)}")
        return input.unsqueeze(0), target.unsqueeze(0), True
    if input.dim() < 1:
        raise ValueError(f"Expected input of at least 1 dimension (C or N, C, ...), got shape {list(input.shape)}")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        if target.dim() == 1 and input.dim() == 2:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).")
        raise RuntimeError(f"Expected target of shape {list(expected)} for input of shape {list(input.shape)}, "
                           f"got {list(target.shape)}")
    return input, target, False


_INDEX_DTYPES = (dtypes.int64, dtypes.uint8)  # torch: "Long or Byte"


def _target_range(target, classes, ignore_index):
    """Check class-index targets; return whether any target equals ``ignore_index``."""
    if target.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype}; "
                           "convert with target.long() (or pass class probabilities as a float tensor "
                           "shaped like the input)")
    if target.numel() == 0:
        return False
    if not host_checks_enabled():  # traced: no values to read; the masked path is right either way
        return True
    low, high = target.amin().item(), target.amax().item()
    if 0 <= low and high < classes:
        return 0 <= ignore_index < classes and bool((target == ignore_index).any().item())
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= classes))
    if bad.any().item():
        value = target[bad].reshape(-1)[0].item()
        raise IndexError(f"Target {value} is out of bounds: class-index targets must be in [0, {classes - 1}] "
                         f"(or equal ignore_index={ignore_index})")
    return True


def _check_weight(weight, classes):
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input`` (N, C, ...).

    'mean' divides by the total weight of the non-ignored targets, as torch does.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}")
    input, target, unbatched = _class_dim_target(input, target)
    classes = input.shape[1]
    _check_weight(weight, classes)
    ignoring = _target_range(target, classes, ignore_index)
    target = target.long()
    if ignoring:
        keep = target != ignore_index
        target = ew.where(keep, target, 0)
    picked = input.gather(1, target.unsqueeze(1)).squeeze(1)
    if weight is None and not ignoring:  # the common case: a plain mean of the picked values
        if reduction == "mean":
            return picked.sum() * (-1.0 / picked.numel()) if picked.numel() else picked.sum() * math.nan
        losses = -picked
        return losses.sum() if reduction == "sum" else (losses.squeeze(0) if unbatched else losses)
    weights = weight[target] if weight is not None else keep.to(input.dtype)
    if ignoring and weight is not None:
        weights = weights * keep
    losses = -picked * weights
    if reduction == "none":
        return losses.squeeze(0) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / weights.sum()


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy between logits ``input`` (N, C, ...) and ``target``.

    ``target`` holds class indices (int, shape (N, ...)) or class probabilities
    (float, shaped like ``input``).  Supports ``weight``, ``ignore_index`` and
    ``label_smoothing`` with torch's normalisation.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    for label, value in (("input", input), ("target", target)):
        if not isinstance(value, Tensor):
            raise TypeError(f"cross_entropy(): argument '{label}' must be Tensor, not {type(value).__name__}")
    input_shape, target_shape = input._data.shape, target._data.shape
    if (weight is None and label_smoothing == 0.0 and reduction != "none" and len(input_shape) == 2
            and len(target_shape) == 1 and target_shape[0] == input_shape[0] > 0 and target._dtype in _INDEX_DTYPES
            and input._dtype.is_floating_point and target._device is input._device
            and not 0 <= ignore_index < input_shape[1]):
        loss = fused_cross_entropy(input, target, reduction)
        if loss is not None:
            return loss
    class_dim = 0 if input.dim() == 1 else 1
    log_probabilities = act.log_softmax(input, class_dim)
    if target.is_floating_point():
        return _cross_entropy_probabilities(log_probabilities, target, weight, reduction, label_smoothing,
                                            class_dim)
    loss = nll_loss(log_probabilities, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return loss
    log_probabilities, target, unbatched = _class_dim_target(log_probabilities, target)
    classes = log_probabilities.shape[1]
    if weight is not None:
        smooth = -(log_probabilities * weight.reshape(_class_shape(log_probabilities))).sum(1)
    else:
        smooth = -log_probabilities.sum(1)
    keep = target != ignore_index
    smooth = ew.where(keep, smooth, 0.0)
    if reduction == "mean":
        if weight is not None:
            smooth = smooth.sum() / (weight[ew.where(keep, target.long(), 0)] * keep).sum()
        else:
            smooth = smooth.sum() / keep.sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    elif unbatched:
        smooth = smooth.squeeze(0)
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _class_shape(input):
    shape = [1] * input.dim()
    shape[1] = input.shape[1]
    return tuple(shape)


def _cross_entropy_probabilities(log_probabilities, target, weight, reduction, label_smoothing, class_dim):
    if target.shape != log_probabilities.shape:
        raise RuntimeError(f"Expected class-probability target of the input's shape {list(log_probabilities.shape)}, "
                           f"got {list(target.shape)}")
    classes = log_probabilities.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    product = log_probabilities * target
    if weight is not None:
        shape = [1] * log_probabilities.dim()
        shape[class_dim] = classes
        product = product * weight.reshape(tuple(shape))
    losses = -product.sum(class_dim)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    count = log_probabilities.numel() // classes if classes else 0
    return losses.sum() / count if count else losses.sum() * math.nan


# ---- binary ------------------------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy between probabilities ``input`` (in [0, 1]) and ``target``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_pair("binary_cross_entropy", input, target)
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    outside = host_values(((input < 0) | (input > 1)).any()) if input.numel() else None  # eager only
    if outside is not None and outside:
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy takes "
                           "probabilities; for logits use binary_cross_entropy_with_logits)")
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    return single_node("BinaryCrossEntropyBackward0", _binary_cross_entropy, (input, target, weight), reduction)


def _binary_cross_entropy(input, target, weight, reduction):
    loss = binary_cross_entropy_elements(input, target)
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from logits.

    ``pos_weight`` (broadcast over the last dimension) weights the positive term.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_pair("binary_cross_entropy_with_logits", input, target)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    for label, value in (("weight", weight), ("pos_weight", pos_weight)):
        if isinstance(value, Tensor) and value.requires_grad and is_grad_enabled():
            raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not differentiable with respect "
                               f"to argument '{label}'. This input cannot have requires_grad True: pass "
                               f"{label}.detach()")
    return single_node("BinaryCrossEntropyWithLogitsBackward0", _bce_with_logits, (input, target), weight, pos_weight,
                       reduction)


def _bce_with_logits(input, target, weight, pos_weight, reduction):
    softplus_negative = act.softplus(-input, 1.0, math.inf)  # -log(sigmoid(input))
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_negative
    else:
        loss = (1 - target) * input + softplus_negative
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)
