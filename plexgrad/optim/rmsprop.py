"""``RMSprop``: divide the gradient by a running root mean square (Hinton), optionally centered."""

__all__ = ["RMSprop"]

from ..core.factories import zeros_like
from .optimizer import Optimizer, check_non_negative, scalar


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    Each step, with smoothing ``alpha``::

        g = grad + w * p
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - mean_g**2) if centered (mean_g = alpha * mean_g + (1 - alpha) * g) else sqrt(v)
        avg = avg + eps
        buf = momentum * buf + g / avg;  p = p - lr * buf      (momentum > 0)
        p = p - lr * g / avg                                    (otherwise)

        >>> optimizer = plexgrad.optim.RMSprop(model.parameters(), lr=1e-2)
    """

    per_parameter_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if differentiable:
            raise NotImplementedError("RMSprop(differentiable=True) is not supported by plexgrad: steps run "
                                      "without recording a graph")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        self.check_hyperparameters(defaults)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_non_negative(group, {"eps": "epsilon", "momentum": "momentum", "weight_decay": "weight_decay",
                                   "alpha": "alpha"})

    def _update_group(self, group):
        lr = scalar(group["lr"])
        alpha = group["alpha"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        centered = group["centered"]
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
                state["square_avg"] = zeros_like(param)
            state["step"] = state["step"] + 1
            if weight_decay != 0:
                grad = grad + param * weight_decay
            square_avg = state["square_avg"] * alpha + grad * grad * (1 - alpha)
            state["square_avg"] = square_avg
            if centered:
                grad_avg = state.get("grad_avg")
                grad_avg = grad * (1 - alpha) if grad_avg is None else grad_avg + (grad - grad_avg) * (1 - alpha)
                state["grad_avg"] = grad_avg
                average = (square_avg - grad_avg * grad_avg).sqrt() + eps
            else:
                average = square_avg.sqrt() + eps
            if momentum > 0:
                buffer = state.get("momentum_buffer")
                buffer = grad / average if buffer is None else buffer * momentum + grad / average
                state["momentum_buffer"] = buffer
                param.sub_(buffer * lr)
            else:
                param.sub_(grad / average * lr)
