"""``ASGD``: averaged stochastic gradient descent (Polyak & Juditsky), with a decaying step size."""

__all__ = ["ASGD"]

from ..core.factories import zeros_like
from .optimizer import Optimizer, check_non_negative, refuse_differentiable, scalar


class ASGD(Optimizer):
    """ASGD, as ``torch.optim.ASGD``.

    For step t (eta starts at lr, mu at 1)::

        g = grad + w * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p if mu == 1 else ax + mu * (p - ax)           (the averaged parameters, state['ax'])
        eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)

        >>> optimizer = plexgrad.optim.ASGD(model.parameters(), lr=1e-2)
    """

    per_parameter_state = ("ax",)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        refuse_differentiable(self, differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_non_negative(group, {"weight_decay": "weight_decay"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0.0
                state["eta"] = lr
                state["mu"] = 1.0
                state["ax"] = zeros_like(param)
            step = state["step"] + 1
            state["step"] = step
            if weight_decay != 0:
                grad = grad + param * weight_decay
            eta = state["eta"]
            param.mul_(1 - lambd * eta)
            param.sub_(grad * eta)
            mu = state["mu"]
            state["ax"] = param.clone() if mu == 1 else state["ax"] + (param - state["ax"]) * mu
            state["eta"] = lr / ((1 + lambd * lr * step) ** alpha)
            state["mu"] = 1 / max(1, step - t0)
