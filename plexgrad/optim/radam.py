"""``RAdam``: Adam with the variance of the adaptive step rectified in early steps (Liu et al.)."""

__all__ = ["RAdam"]

import math

from ..core.factories import zeros_like
from .optimizer import Optimizer, check_betas, check_non_negative, refuse_differentiable, scalar


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``.

    For step t with ``betas`` (b1, b2), rho_inf = 2 / (1 - b2) - 1 and
    rho_t = rho_inf - 2 t b2**t / (1 - b2**t)::

        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g * g;  m_hat = m / (1 - b1**t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p = p - lr * m_hat * r * sqrt(1 - b2**t) / (sqrt(v) + eps)
        otherwise:  p = p - lr * m_hat

        >>> optimizer = plexgrad.optim.RAdam(model.parameters(), lr=1e-3)
    """

    per_parameter_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        refuse_differentiable(self, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_non_negative(group, {"eps": "epsilon"})
        check_betas(group["betas"])
        check_non_negative(group, {"weight_decay": "weight_decay"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        beta1, beta2 = scalar(group["betas"][0]), scalar(group["betas"][1])
        eps, weight_decay = group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0.0
                state["exp_avg"] = zeros_like(param)
                state["exp_avg_sq"] = zeros_like(param)
            step = state["step"] + 1
            state["step"] = step
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad + param * weight_decay
            exp_avg = state["exp_avg"]
            exp_avg = exp_avg + (grad - exp_avg) * (1 - beta1)
            exp_avg_sq = state["exp_avg_sq"] * beta2 + grad * grad * (1 - beta2)
            state["exp_avg"] = exp_avg
            state["exp_avg_sq"] = exp_avg_sq
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected = exp_avg / bias_correction1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                adaptive = math.sqrt(bias_correction2) / (exp_avg_sq.sqrt() + eps)
                param.sub_(corrected * lr * adaptive * rect)
            else:
                param.sub_(corrected * lr)
