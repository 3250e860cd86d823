"""``Adagrad``: steps scaled by the root of each coordinate's summed squared gradients (Duchi et al.)."""

__all__ = ["Adagrad"]

from ..core.factories import full_like
from .optimizer import Optimizer, check_non_negative, refuse_differentiable, scalar


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    For step t::

        g = grad + w * p
        s = s + g * g                       (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    As in torch, the state exists from construction on (``state_dict()`` shows it before the first step).

        >>> optimizer = plexgrad.optim.Adagrad(model.parameters(), lr=1e-2)
    """

    per_parameter_state = ("sum",)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        refuse_differentiable(self, differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                state = self.state[param]
                state["step"] = 0.0
                state["sum"] = full_like(param, group["initial_accumulator_value"]).detach()

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_non_negative(group, {"lr_decay": "lr_decay", "weight_decay": "weight_decay",
                                   "initial_accumulator_value": "initial_accumulator_value", "eps": "epsilon"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        lr_decay, eps, weight_decay = group["lr_decay"], group["eps"], group["weight_decay"]
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:  # a parameter group added after construction
                state["step"] = 0.0
                state["sum"] = full_like(param, group["initial_accumulator_value"]).detach()
            step = state["step"] + 1
            state["step"] = step
            if weight_decay != 0:
                grad = grad + param * weight_decay
            clr = lr / (1 + (step - 1) * lr_decay)
            total = state["sum"] + grad * grad
            state["sum"] = total
            param.sub_(grad / (total.sqrt() + eps) * clr)
