"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

__all__ = ["SGD"]

from ..core.dispatch import call
from ..core.inplace import bump_version
from ..core.ops.updates import add_scaled_in_place, mul_in_place, writable_together
from .optimizer import Optimizer, scalar


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    With ``momentum`` m, ``dampening`` d and ``weight_decay`` w, each step does::

        g = grad + w * p                      (g = -grad first when maximize)
        buf = g (first step), else m * buf + (1 - d) * g
        g = g + m * buf if nesterov else buf   (only when m != 0)
        p = p - lr * g

        >>> optimizer = plexgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad(); loss.backward(); optimizer.step()
    """

    per_parameter_state = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if differentiable:
            raise NotImplementedError("SGD(differentiable=True) is not supported by plexgrad: steps run without "
                                      "recording a graph")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        self.check_hyperparameters(defaults)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        if group["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def _update_group(self, group):
        lr = scalar(group["lr"])
        momentum = group["momentum"]
        dampening = group["dampening"]
        weight_decay = group["weight_decay"]
        nesterov = group["nesterov"]
        maximize = group["maximize"]
        state = self.state
        plain_momentum = not (maximize or weight_decay or nesterov) and momentum != 0 and type(lr) in (int, float)
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            if plain_momentum:
                param_state = state.get(param)
                buffer = None if param_state is None else param_state.get("momentum_buffer")
                if buffer is not None and _direct_momentum_step(param, grad, buffer, lr, momentum, dampening):
                    continue
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + param * weight_decay
            if momentum != 0:
                param_state = state[param]
                buffer = param_state.get("momentum_buffer")
                if buffer is None:
                    buffer = param_state["momentum_buffer"] = grad.clone()
                else:  # in place: one kernel each on mutable backends
                    buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad + buffer * momentum if nesterov else buffer
            param.sub_(grad, alpha=lr)


def _direct_momentum_step(param, grad, buffer, lr, momentum, dampening):
    """The plain momentum update as three in-place ops on mutable backends; False if not possible."""
    if not param._dtype.is_floating_point:
        return False
    shape = param._data.shape
    if (grad._data.shape != shape or buffer._data.shape != shape
            or not writable_together((param, grad, buffer), _MOMENTUM_OPS)):
        return False
    device = param._device
    data = buffer._data
    call(mul_in_place, device, data, momentum)
    call(add_scaled_in_place, device, data, grad._data, 1 - dampening)
    call(add_scaled_in_place, device, param._data, data, -lr)
    bump_version(buffer)
    bump_version(param)
    return True


_MOMENTUM_OPS = (mul_in_place, add_scaled_in_place)
