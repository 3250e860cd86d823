"""``Adadelta``: per-coordinate steps from running averages of squared gradients and updates (Zeiler)."""

__all__ = ["Adadelta"]

from ..core.factories import zeros_like
from .optimizer import Optimizer, check_non_negative, refuse_differentiable, scalar


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    Each step, with decay ``rho``::

        g = grad + w * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

        >>> optimizer = plexgrad.optim.Adadelta(model.parameters(), lr=1.0)
    """

    per_parameter_state = ("square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        refuse_differentiable(self, differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")
        check_non_negative(group, {"eps": "epsilon", "weight_decay": "weight_decay"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0.0
                state["square_avg"] = zeros_like(param)
                state["acc_delta"] = zeros_like(param)
            state["step"] = state["step"] + 1
            if weight_decay != 0:
                grad = grad + param * weight_decay
            square_avg = state["square_avg"] * rho + grad * grad * (1 - rho)
            delta = (state["acc_delta"] + eps).sqrt() / (square_avg + eps).sqrt() * grad
            state["square_avg"] = square_avg
            state["acc_delta"] = state["acc_delta"] * rho + delta * delta * (1 - rho)
            param.sub_(delta * lr)
