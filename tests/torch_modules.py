"""Helpers to compare a plexgrad module with torch's by copying weights: the same state dict,
the same inputs, then values, gradients of inputs and of every parameter, and a few SGD steps."""

import numpy as np
import torch

import plexgrad


def to_plexgrad(value, device, requires_grad=None):
    """A torch tensor (or a nested tuple/list of them) as plexgrad tensors on ``device``."""
    if isinstance(value, torch.Tensor):
        grad = value.requires_grad if requires_grad is None else requires_grad
        dtype = getattr(plexgrad, str(value.dtype).replace("torch.", ""))
        return plexgrad.tensor(value.detach().numpy().copy(), dtype=dtype, device=device, requires_grad=grad)
    if isinstance(value, (tuple, list)):
        return type(value)(to_plexgrad(item, device, requires_grad) for item in value)
    return value


def copy_state(torch_module, plexgrad_module, device):
    """Load torch's state dict into the plexgrad module (strict: the names must match exactly)."""
    state = {name: to_plexgrad(tensor, device, False) for name, tensor in torch_module.state_dict().items()}
    plexgrad_module.load_state_dict(state, strict=True)
    return plexgrad_module.to(device)


def flatten(value):
    """Tensors of a nested result (tuples, lists, PackedSequence data) in order; None kept."""
    if isinstance(value, (torch.Tensor, plexgrad.Tensor)) or value is None:
        return [value]
    if hasattr(value, "data") and hasattr(value, "batch_sizes"):
        return flatten(value.data) + flatten(value.batch_sizes)
    result = []
    for item in value:
        result.extend(flatten(item))
    return result


def assert_close(torch_value, plexgrad_value, rtol=1e-7, atol=1e-9, what="value"):
    torch_parts, plexgrad_parts = flatten(torch_value), flatten(plexgrad_value)
    assert len(torch_parts) == len(plexgrad_parts), f"{what}: {len(torch_parts)} vs {len(plexgrad_parts)} tensors"
    for index, (expected, actual) in enumerate(zip(torch_parts, plexgrad_parts)):
        if expected is None:
            assert actual is None, f"{what}[{index}]: torch gives None"
            continue
        assert actual is not None, f"{what}[{index}]: plexgrad gives None, torch a tensor"
        assert tuple(expected.shape) == tuple(actual.shape), f"{what}[{index}]: shape {tuple(actual.shape)} " \
                                                             f"vs torch {tuple(expected.shape)}"
        assert str(actual.dtype).replace("plexgrad.", "") == str(expected.dtype).replace("torch.", ""), \
            f"{what}[{index}]: dtype {actual.dtype} vs torch {expected.dtype}"
        np.testing.assert_allclose(actual.detach().cpu().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{what}[{index}]")


def weighted_loss(outputs, weights):
    """sum(output * weight) over the floating tensors of a result: a loss that sees every element."""
    total = 0
    for output, weight in zip(flatten(outputs), weights):
        if output is not None and output.dtype.is_floating_point:
            total = total + (output * weight).sum()
    return total


def loss_weights(outputs, seed=0):
    generator = np.random.default_rng(seed)
    return [None if part is None else generator.standard_normal(tuple(part.shape)) for part in flatten(outputs)]


def compare_module(torch_module, plexgrad_module, device, torch_inputs, steps=2, lr=0.1, rtol=1e-7, atol=1e-9,
                   call=None):
    """Forward, backward (inputs' and every parameter's gradient) and ``steps`` SGD steps, against torch.

    ``torch_inputs`` is a tuple of call arguments (tensors, tuples, PackedSequence-making callables...);
    ``call(module, inputs)`` runs the module (default ``module(*inputs)``).
    """
    call = call or (lambda module, inputs: module(*inputs))
    for torch_input in flatten(torch_inputs):
        if isinstance(torch_input, torch.Tensor):
            torch_input.grad = None  # an input reused from an earlier comparison starts clean
    copy_state(torch_module, plexgrad_module, device)
    plexgrad_inputs = to_plexgrad(torch_inputs, device)
    torch_outputs = call(torch_module, torch_inputs)
    plexgrad_outputs = call(plexgrad_module, plexgrad_inputs)
    assert_close(torch_outputs, plexgrad_outputs, rtol, atol, "forward")
    weights = loss_weights(torch_outputs)
    torch_weights = [None if w is None else torch.tensor(w, dtype=torch.float64) for w in weights]
    plexgrad_weights = [None if w is None else plexgrad.tensor(w, dtype=plexgrad.float64, device=device)
                        for w in weights]
    weighted_loss(torch_outputs, torch_weights).backward()
    weighted_loss(plexgrad_outputs, plexgrad_weights).backward()
    for index, (torch_input, plexgrad_input) in enumerate(zip(flatten(torch_inputs), flatten(plexgrad_inputs))):
        if isinstance(torch_input, torch.Tensor) and torch_input.requires_grad:
            assert_close(torch_input.grad, plexgrad_input.grad, rtol, atol, f"grad of input {index}")
    torch_parameters = dict(torch_module.named_parameters())
    plexgrad_parameters = dict(plexgrad_module.named_parameters())
    assert list(torch_parameters) == list(plexgrad_parameters)
    for name, parameter in torch_parameters.items():
        assert_close(parameter.grad, plexgrad_parameters[name].grad, rtol, atol, f"grad of {name}")
    torch_optimizer = torch.optim.SGD(torch_module.parameters(), lr=lr)
    plexgrad_optimizer = plexgrad.optim.SGD(plexgrad_module.parameters(), lr=lr)
    for _ in range(steps):
        for module, optimizer, inputs, loss_weight in (
                (torch_module, torch_optimizer, torch_inputs, torch_weights),
                (plexgrad_module, plexgrad_optimizer, plexgrad_inputs, plexgrad_weights)):
            optimizer.zero_grad()
            weighted_loss(call(module, inputs), loss_weight).backward()
            optimizer.step()
    for name, parameter in torch_parameters.items():
        assert_close(parameter, plexgrad_parameters[name], rtol * 10, atol * 10, f"{name} after {steps} steps")
    return torch_outputs, plexgrad_outputs
