"""``NAdam``: Adam with Nesterov momentum and a momentum schedule (Dozat)."""

__all__ = ["NAdam"]

import math

from ..core.factories import zeros_like
from .optimizer import Optimizer, check_betas, check_non_negative, refuse_differentiable, scalar


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    For step t with ``betas`` (b1, b2) and ``momentum_decay`` psi::

        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi));  P_t = P_(t-1) * mu_t      (P_0 = 1)
        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g * g
        denom = sqrt(v / (1 - b2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / denom - lr * mu_(t+1) / (1 - P_t * mu_(t+1)) * m / denom

        >>> optimizer = plexgrad.optim.NAdam(model.parameters(), lr=2e-3)
    """

    per_parameter_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        refuse_differentiable(self, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_non_negative(group, {"eps": "epsilon"})
        check_betas(group["betas"])
        check_non_negative(group, {"weight_decay": "weight_decay", "momentum_decay": "momentum_decay"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        beta1, beta2 = scalar(group["betas"][0]), scalar(group["betas"][1])
        eps, weight_decay, momentum_decay = group["eps"], group["weight_decay"], group["momentum_decay"]
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0.0
                state["mu_product"] = 1.0
                state["exp_avg"] = zeros_like(param)
                state["exp_avg_sq"] = zeros_like(param)
            step = state["step"] + 1
            state["step"] = step
            bias_correction2 = 1 - beta2 ** step
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad + param * weight_decay
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product = state["mu_product"] * mu
            state["mu_product"] = mu_product
            exp_avg = state["exp_avg"]
            exp_avg = exp_avg + (grad - exp_avg) * (1 - beta1)
            exp_avg_sq = state["exp_avg_sq"] * beta2 + grad * grad * (1 - beta2)
            state["exp_avg"] = exp_avg
            state["exp_avg_sq"] = exp_avg_sq
            denominator = (exp_avg_sq / bias_correction2).sqrt() + eps
            param.sub_(grad / denominator * (lr * (1 - mu) / (1 - mu_product)))
            param.sub_(exp_avg / denominator * (lr * mu_next / (1 - mu_product * mu_next)))
