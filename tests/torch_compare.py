"""Run one computation under torch and under plexgrad and compare values and gradients.

``compare_functions`` feeds the same float arrays to a torch function and a plexgrad function;
``compare_modules`` builds a layer in both libraries, copies torch's parameters and buffers into
plexgrad's, and compares the output, the input's gradient, every parameter's gradient and every
buffer afterwards.  Upstream gradients are random, so a gradient that is right only for ones fails.
"""

import numpy
import torch

import plexgrad

TOLERANCES = {"float64": (1e-10, 1e-12), "float32": (2e-5, 2e-6)}


def host(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return numpy.asarray(value.detach().cpu().numpy())


def assert_close(ours, theirs, dtype_name, what):
    rtol, atol = TOLERANCES[dtype_name]
    ours_array, theirs_array = host(ours), host(theirs)
    assert ours_array.shape == theirs_array.shape, f"{what}: shape {ours_array.shape} != torch's {theirs_array.shape}"
    assert str(ours.dtype).replace("plexgrad.", "") == str(theirs.dtype).replace("torch.", ""), \
        f"{what}: dtype {ours.dtype} != torch's {theirs.dtype}"
    numpy.testing.assert_allclose(ours_array, theirs_array, rtol=rtol, atol=atol, err_msg=what)


def _pair(array, device, dtype_name, requires_grad=True):
    theirs = torch.tensor(array, dtype=getattr(torch, dtype_name), requires_grad=requires_grad)
    ours = plexgrad.tensor(array, dtype=getattr(plexgrad, dtype_name), device=device, requires_grad=requires_grad)
    return ours, theirs


def compare_functions(ours_function, torch_function, arrays, device, dtype_name="float64", seed=0):
    """Compare ``ours_function(*tensors)`` with ``torch_function(*tensors)``: values, dtype and the
    gradient of every input for a random upstream gradient."""
    pairs = [_pair(array, device, dtype_name) for array in arrays]
    ours_out = ours_function(*[ours for ours, _ in pairs])
    theirs_out = torch_function(*[theirs for _, theirs in pairs])
    assert_close(ours_out, theirs_out, dtype_name, "output")
    upstream = numpy.random.default_rng(seed).standard_normal(tuple(theirs_out.shape))
    ours_up, theirs_up = _pair(upstream, device, dtype_name, requires_grad=False)
    (ours_out * ours_up).sum().backward()
    (theirs_out * theirs_up).sum().backward()
    for position, (ours, theirs) in enumerate(pairs):
        assert_close(ours.grad, theirs.grad, dtype_name, f"gradient of input {position}")
    return ours_out, theirs_out


def copy_state(ours_module, torch_module, device):
    """Load torch's parameters and buffers into plexgrad's module (same names, same values)."""
    state = {name: plexgrad.tensor(value.detach().cpu().numpy(), device=device)
             for name, value in torch_module.state_dict().items()}
    ours_module.load_state_dict(state)


def compare_modules(ours_module, torch_module, array, device, dtype_name="float64", training=True, steps=1, seed=0):
    """Copy torch's state into ours, then ``steps`` times: forward, backward of a random upstream,
    compare output, input gradient, parameter gradients and buffers."""
    torch_module.to(getattr(torch, dtype_name))
    ours_module.to(device=device, dtype=getattr(plexgrad, dtype_name))
    copy_state(ours_module, torch_module, device)
    torch_module.train(training)
    ours_module.train(training)
    rng = numpy.random.default_rng(seed)
    for step in range(steps):
        ours_in, theirs_in = _pair(array, device, dtype_name)
        ours_out = ours_module(ours_in)
        theirs_out = torch_module(theirs_in)
        assert_close(ours_out, theirs_out, dtype_name, f"step {step}: output")
        upstream = rng.standard_normal(tuple(theirs_out.shape))
        ours_up, theirs_up = _pair(upstream, device, dtype_name, requires_grad=False)
        (ours_out * ours_up).sum().backward()
        (theirs_out * theirs_up).sum().backward()
        assert_close(ours_in.grad, theirs_in.grad, dtype_name, f"step {step}: input gradient")
        theirs_parameters = dict(torch_module.named_parameters())
        ours_parameters = dict(ours_module.named_parameters())
        assert sorted(ours_parameters) == sorted(theirs_parameters)
        for name, parameter in theirs_parameters.items():
            assert_close(ours_parameters[name].grad, parameter.grad, dtype_name, f"step {step}: grad of {name}")
        theirs_buffers = dict(torch_module.named_buffers())
        ours_buffers = dict(ours_module.named_buffers())
        assert sorted(ours_buffers) == sorted(theirs_buffers)
        for name, buffer in theirs_buffers.items():
            if buffer.dtype.is_floating_point:
                assert_close(ours_buffers[name], buffer, dtype_name, f"step {step}: buffer {name}")
            else:
                assert host(ours_buffers[name]).tolist() == host(buffer).tolist(), f"buffer {name}"
    return ours_out, theirs_out
