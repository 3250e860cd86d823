"""``Adamax``: Adam with the infinity norm in place of the second moment (Kingma & Ba, section 7)."""

__all__ = ["Adamax"]

from ..core.factories import zeros_like
from ..core.ops.elementwise import maximum
from .optimizer import Optimizer, check_betas, check_non_negative, refuse_differentiable, scalar


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    For step t with ``betas`` (b1, b2)::

        g = grad + w * p
        m = b1 * m + (1 - b1) * g
        u = max(b2 * u, |g| + eps)
        p = p - lr / (1 - b1**t) * m / u

        >>> optimizer = plexgrad.optim.Adamax(model.parameters(), lr=2e-3)
    """

    per_parameter_state = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        refuse_differentiable(self, differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
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
                state["exp_inf"] = zeros_like(param)
            step = state["step"] + 1
            state["step"] = step
            if weight_decay != 0:
                grad = grad + param * weight_decay
            exp_avg = state["exp_avg"]
            exp_avg = exp_avg + (grad - exp_avg) * (1 - beta1)
            exp_inf = maximum(state["exp_inf"] * beta2, grad.abs() + eps)
            state["exp_avg"] = exp_avg
            state["exp_inf"] = exp_inf
            param.sub_(exp_avg / exp_inf * (lr / (1 - beta1 ** step)))
