"""``Adam``: adaptive moment estimation (Kingma & Ba), with AMSGrad and decoupled weight decay."""

__all__ = ["Adam"]

import math

from ..core.factories import zeros_like
from ..core.ops.elementwise import maximum
from .optimizer import Optimizer, check_non_negative, scalar


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    For step t with ``betas`` (b1, b2)::

        g = grad + w * p          (or p = p * (1 - lr * w) when decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g          (v_max = max(v_max, v) and used for v with amsgrad)
        p = p - lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)

        >>> optimizer = plexgrad.optim.Adam(model.parameters(), lr=1e-3)
    """

    per_parameter_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if differentiable:
            raise NotImplementedError(f"{type(self).__name__}(differentiable=True) is not supported by plexgrad: "
                                      "steps run without recording a graph")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        betas = group["betas"]
        check_non_negative(group, {"eps": "epsilon"})
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        if not 0.0 <= scalar(betas[0]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= scalar(betas[1]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        check_non_negative(group, {"weight_decay": "weight_decay"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        beta1 = scalar(group["betas"][0])
        beta2 = scalar(group["betas"][1])
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if maximize:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0.0
                state["exp_avg"] = zeros_like(param)
                state["exp_avg_sq"] = zeros_like(param)
            step = state["step"] + 1
            state["step"] = step
            if weight_decay != 0:
                if decoupled:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad + param * weight_decay
            exp_avg = state["exp_avg"]
            exp_avg = exp_avg + (grad - exp_avg) * (1 - beta1)
            exp_avg_sq = state["exp_avg_sq"] * beta2 + grad * grad * (1 - beta2)
            state["exp_avg"] = exp_avg
            state["exp_avg_sq"] = exp_avg_sq
            if amsgrad:
                previous_max = state.get("max_exp_avg_sq")
                exp_avg_sq = exp_avg_sq.clone() if previous_max is None else maximum(previous_max, exp_avg_sq)
                state["max_exp_avg_sq"] = exp_avg_sq
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
            denominator = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps
            param.sub_(exp_avg / denominator * step_size)
