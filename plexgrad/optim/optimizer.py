"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

Subclasses implement ``step``; the base keeps torch's layout so code written for
``torch.optim`` (``optimizer.param_groups[0]['lr'] *= 0.9``, ``state_dict()``,
``load_state_dict``) works unchanged.
"""

__all__ = ["Optimizer", "required", "check_non_negative", "check_betas", "refuse_differentiable", "scalar"]

import warnings
from collections import defaultdict
from copy import deepcopy

from ..core.autograd.grad_mode import enable_grad, no_grad
from ..core.factories import to_device
from ..core.op import cast
from ..core.tensor import Tensor
from ..core.tracing import tracing


class _RequiredParameter:
    """Marks a hyper-parameter that every parameter group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def scalar(value):
    """A hyper-parameter as a Python number (a one-element tensor is read once).

    Inside a step traced by ``plexgrad.compile`` a tensor stays a tensor: the fed ``lr`` is
    one, and reading it would stop the trace."""
    return value.item() if isinstance(value, Tensor) and not tracing() else value


def check_non_negative(group, labels):
    """ValueError ``Invalid <label> value: v`` for the first key of ``labels`` (key -> label) whose value in
    ``group`` is not >= 0 (NaN included), as torch's optimizers word it."""
    for key, label in labels.items():
        if not 0.0 <= group[key]:
            raise ValueError(f"Invalid {label} value: {group[key]}")


def check_betas(betas):
    """ValueError unless ``betas`` is a pair of numbers in [0, 1), worded as torch's optimizers."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for index, beta in enumerate(betas):
        if not 0.0 <= scalar(beta) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def refuse_differentiable(optimizer, differentiable):
    """plexgrad's steps never record a graph: ``differentiable=True`` is refused, not ignored."""
    if differentiable:
        raise NotImplementedError(f"{type(optimizer).__name__}(differentiable=True) is not supported by plexgrad: "
                                  "steps run without recording a graph")


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts
    (parameter groups) each with a ``'params'`` entry and optional per-group
    hyper-parameters that override ``defaults``.

        >>> optimizer = SGD([{'params': model.base.parameters()},
        ...                  {'params': model.head.parameters(), 'lr': 1e-3}], lr=1e-2)
    """

    # state entries shaped like their parameter (checked by load_state_dict)
    per_parameter_state = ()

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__module__}.{type(params).__name__}; wrap it in a list: [tensor]")
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a dict; pass model.parameters(), a list of tensors, or a list of dicts")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry listing the tensors to optimize")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        tensors = []
        names = []
        for param in params:
            if isinstance(param, tuple) and len(param) == 2 and isinstance(param[0], str):
                names.append(param[0])
                param = param[1]
            tensors.append(param)
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for index, param in enumerate(tensors):
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {index} of the group is "
                                f"{type(param).__module__}.{type(param).__name__}")
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor (it was computed from other tensors); "
                                 "optimize the leaves, or call .detach().requires_grad_() to make a new leaf")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        self.check_hyperparameters(param_group)
        identities = {id(param) for param in tensors}
        if len(identities) != len(tensors):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group_index, group in enumerate(self.param_groups):
            if ("param_names" in param_group) != ("param_names" in group):
                text = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {text} to the optimizer")
            shared = identities.intersection(id(param) for param in group["params"])
            if shared:
                raise ValueError(f"some parameters appear in more than one parameter group ({len(shared)} "
                                 f"of the new group's parameters are already in group {group_index})")
        self.param_groups.append(param_group)

    def check_hyperparameters(self, group):
        """Raise ValueError for invalid values in ``group`` (subclasses extend)."""
        lr = scalar(group.get("lr", 0.0))
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors (to None by default, else to zeros)."""
        for group in self.param_groups:
            for param in group["params"]:
                grad = param._grad
                if grad is None:
                    continue
                if set_to_none:
                    param._grad = None
                else:
                    if grad._grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    def step(self, closure=None):
        """Update the parameters once from their ``.grad``; ``closure`` re-evaluates and returns the loss.

        Runs ``_update_group`` for each parameter group without recording gradients;
        an optimizer either implements ``_update_group`` or overrides ``step``.
        """
        loss = self._evaluate(closure)
        with no_grad():  # the calling thread's mode only: another thread's forward keeps recording
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} implements neither step() nor _update_group()")

    def _evaluate(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- state dicts ------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state: ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are numbered in group order, as in torch, so the dict can be saved and
        loaded into an optimizer built over the same parameters in the same order.
        """
        mapping = {}
        start = 0
        packed_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for index, param in enumerate(group["params"], start):
                mapping.setdefault(id(param), index)
            packed["params"] = [mapping[id(param)] for param in group["params"]]
            start += len(packed["params"])
            packed_groups.append(packed)
        packed_state = {(mapping[id(key)] if isinstance(key, Tensor) else key): value
                        for key, value in self.state.items()}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict`; state tensors move to their parameter's device and dtype."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            found = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"an optimizer state dict has the keys 'state' and 'param_groups'; got {found}")
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups: it has "
                             f"{len(saved_groups)}, this optimizer has {len(groups)}")
        for index, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group: group {index} has {len(saved['params'])} parameters in the "
                                 f"state dict and {len(group['params'])} in this optimizer")
        id_map = {}
        for group, saved in zip(groups, saved_groups):
            id_map.update(zip(saved["params"], group["params"]))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            param = id_map.get(key)
            if param is None:
                state[key] = value
                continue
            if not isinstance(value, dict):
                raise ValueError(f"the state of parameter {key} must be a dict, got {type(value).__name__}")
            state[param] = {name: self._cast_state(param, key, name, item) for name, item in value.items()}
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
        self.state = state
        self.param_groups = saved_groups

    def _cast_state(self, param, index, name, value):
        if not isinstance(value, Tensor):
            return value
        if name == "step":
            return float(value.item())
        if name in self.per_parameter_state and tuple(value.shape) != tuple(param.shape):
            raise ValueError(f"loaded state '{name}' of parameter {index} has shape {list(value.shape)}, but the "
                             f"parameter has shape {list(param.shape)}; was the state dict saved for another model?")
        if value._device is not param._device:
            value = to_device(value, param._device)
        if param.is_floating_point() and value._dtype is not param._dtype:
            value = cast(value, param._dtype)
        # state is updated in place each step: never share it with the state dict's owner
        return value.detach().clone()

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            if index:
                lines.append("")
            lines.append(f"Parameter Group {index}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
