"""torch's device-probing names (torch.accelerator, torch.backends.*, nn.parallel, Tensor.is_*), each
compared with what torch answers for the same question on a machine like this one."""

import pytest
import torch

import plexgrad


def test_backends_flag_modules_are_reachable_from_the_top_level():
    assert plexgrad.backends.mps.is_available() is False
    assert plexgrad.backends.mps.is_built() is False
    assert plexgrad.backends.cudnn.is_available() is False
    assert plexgrad.backends.mkldnn.is_available() is False
    # the plugin machinery lives in the same package, untouched
    assert plexgrad.backends.BackendDeclaration is not None
    assert callable(plexgrad.backends.hookimpl)


@pytest.mark.parametrize("name", ["enabled", "benchmark", "deterministic", "allow_tf32"])
def test_cudnn_flags_have_torchs_defaults_and_can_be_set(name):
    module = plexgrad.backends.cudnn
    assert getattr(module, name) == getattr(torch.backends.cudnn, name)
    previous = getattr(module, name)
    try:
        setattr(module, name, not previous)
        assert getattr(module, name) is (not previous)
    finally:
        setattr(module, name, previous)


def test_cudnn_flags_context_restores():
    module = plexgrad.backends.cudnn
    with module.flags(enabled=True, benchmark=True, deterministic=True):
        assert module.benchmark and module.deterministic
    assert module.benchmark is False and module.deterministic is False


def test_cuda_matmul_flags():
    matmul = plexgrad.backends.cuda.matmul
    assert matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert (matmul.allow_fp16_reduced_precision_reduction
            == torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction)
    matmul.allow_tf32 = True
    try:
        assert plexgrad.backends.cuda.matmul.allow_tf32 is True
    finally:
        matmul.allow_tf32 = False
    assert isinstance(plexgrad.backends.cuda.is_built(), bool)


def test_accelerator_agrees_with_cuda_availability():
    available = plexgrad.cuda.is_available()
    assert plexgrad.accelerator.is_available() is available
    assert plexgrad.accelerator.device_count() == plexgrad.cuda.device_count()
    current = plexgrad.accelerator.current_accelerator(check_available=True)
    if available:
        assert current == plexgrad.device("cuda")
        assert plexgrad.accelerator.current_device_index() == 0
    else:
        assert current is None
        assert plexgrad.accelerator.device_count() == 0
        with pytest.raises(RuntimeError, match="no accelerator is available"):
            plexgrad.accelerator.current_device_index()
        with pytest.raises(RuntimeError, match="no accelerator is available"):
            plexgrad.accelerator.synchronize()


def test_tutorial_device_line_runs():
    device = (plexgrad.accelerator.current_accelerator().type if plexgrad.accelerator.is_available() else "cpu")
    x = plexgrad.ones(2, device=device)
    assert x.device.type == device


def test_tensor_device_probes_match_torch(device):
    ours = plexgrad.ones(2, device=device)
    theirs = torch.ones(2)
    for name in ("is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"):
        assert getattr(ours, name) is getattr(theirs, name), name
    assert ours.is_cuda is (device == "cuda")
    assert ours.is_cpu is (device == "cpu")


def test_data_parallel_is_a_pass_through_like_torch_on_cpu(device):
    torch.manual_seed(0)
    reference = torch.nn.Linear(4, 3)
    wrapped_reference = torch.nn.DataParallel(reference)
    ours = plexgrad.nn.Linear(4, 3).to(device)
    ours.load_state_dict({k: plexgrad.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()})
    wrapped = plexgrad.nn.DataParallel(ours)
    assert plexgrad.nn.DataParallel is plexgrad.nn.parallel.DataParallel
    assert wrapped.module is ours
    assert list(wrapped.state_dict()) == list(wrapped_reference.state_dict())
    assert list(dict(wrapped.named_parameters())) == list(dict(wrapped_reference.named_parameters()))
    x = torch.randn(5, 4)
    expected = wrapped_reference(x)
    result = wrapped(plexgrad.tensor(x.numpy(), device=device))
    assert result.detach().cpu().numpy() == pytest.approx(expected.detach().numpy(), abs=1e-6)
    result.sum().backward()
    expected.sum().backward()
    assert ours.weight.grad.cpu().numpy() == pytest.approx(reference.weight.grad.numpy(), abs=1e-6)
    assert repr(wrapped).startswith("DataParallel(\n  (module): Linear(")


def test_distributed_data_parallel_name_refuses_without_a_process_group():
    from plexgrad.nn.parallel import DistributedDataParallel
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedDataParallel(plexgrad.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="init_process_group"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))


def test_save_of_a_whole_module_shows_the_state_dict_way(tmp_path):
    with pytest.raises(TypeError) as raised:
        plexgrad.save(plexgrad.nn.Linear(2, 3), tmp_path / "model.pt")
    message = str(raised.value)
    assert "pickle" in message
    assert "torch.save(model.state_dict(), 'checkpoint.pt')" in message
    assert "model.load_state_dict(torch.load('checkpoint.pt'))" in message
    with pytest.raises(TypeError, match=r"optimizer\.state_dict\(\)"):
        plexgrad.save({"opt": plexgrad.optim.SGD(plexgrad.nn.Linear(2, 3).parameters(), lr=0.1)},
                      tmp_path / "opt.pt")
    assert not (tmp_path / "model.pt").exists()
