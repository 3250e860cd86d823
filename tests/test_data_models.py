"""torchvision-style models: the same architecture and state-dict names as torchvision, so a
torchvision state dict loads, and the same output for it (eval mode, batch 1, 32x32 input)."""

import numpy
import pytest
import torch

import plexgrad
from plexgrad.data import models

torchvision = pytest.importorskip("torchvision")


def randomize_batch_norms(model, seed=0):
    """Non-trivial running statistics and affine parameters, so eval mode is really tested."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                count = module.num_features
                module.running_mean.copy_(torch.randn(count, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(count, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(count, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(count, generator=generator) * 0.1)


def state_of(torch_model, device="cpu"):
    return {name: plexgrad.tensor(value.numpy(), device=device) for name, value in torch_model.state_dict().items()}


def compare_outputs(name, device, build_kwargs=None, size=32):
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None).eval()
    randomize_batch_norms(theirs)
    ours = getattr(models, name)(weights=None, **(build_kwargs or {}))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in ours.state_dict().items():
        assert list(value.shape) == list(theirs.state_dict()[key].shape), key
    ours.load_state_dict(state_of(theirs, device))
    ours.to(device).eval()
    image = numpy.random.default_rng(1).standard_normal((1, 3, size, size)).astype(numpy.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(image)).numpy()
    with plexgrad.no_grad():
        found = ours(plexgrad.tensor(image, device=device)).cpu().numpy()
    assert found.shape == expected.shape == (1, 1000)
    scale = numpy.abs(expected).max()
    assert scale > 1e-3  # the comparison means something
    numpy.testing.assert_allclose(found, expected, rtol=0, atol=2e-4 * scale)
    assert found.argmax() == expected.argmax()


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50", "mobilenet_v2"])
def test_model_matches_torchvision(name):
    compare_outputs(name, "cpu")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vgg11", "vgg16"])
def test_vgg_matches_torchvision(name):
    # VGG's classifier alone has 120M parameters: skip our own (overwritten) initialisation
    compare_outputs(name, "cpu", build_kwargs=dict(init_weights=False))


def test_resnet18_on_jax():
    pytest.importorskip("jax")
    compare_outputs("resnet18", "jax")


def test_safetensors_state_dict_from_torchvision_loads(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    theirs = torchvision.models.mobilenet_v2(num_classes=7).eval()
    randomize_batch_norms(theirs)
    path = tmp_path / "mobilenet_v2.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), str(path))
    ours = models.mobilenet_v2(num_classes=7)
    ours.load_state_dict(plexgrad.load(str(path)))
    ours.eval()
    image = numpy.random.default_rng(2).standard_normal((1, 3, 32, 32)).astype(numpy.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(image)).numpy()
    with plexgrad.no_grad():
        found = ours(plexgrad.tensor(image)).numpy()
    numpy.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5 * numpy.abs(expected).max())


def test_training_step_gradients_match_torchvision():
    # train mode (batch statistics, running-stat updates) and every parameter's gradient, on a small input;
    # float64, since batch statistics of a 2 x 1 x 1 batch in layer4 amplify float32 rounding
    torch.manual_seed(0)
    theirs = torchvision.models.resnet18(num_classes=5).double().train()
    ours = models.resnet18(num_classes=5).double()
    ours.load_state_dict(state_of(theirs))
    ours.train()
    image = numpy.random.default_rng(3).standard_normal((2, 3, 32, 32))
    target = [1, 4]
    loss_theirs = torch.nn.functional.cross_entropy(theirs(torch.tensor(image)), torch.tensor(target))
    loss_ours = plexgrad.nn.functional.cross_entropy(ours(plexgrad.tensor(image)), plexgrad.tensor(target))
    loss_theirs.backward()
    loss_ours.backward()
    numpy.testing.assert_allclose(loss_ours.item(), loss_theirs.item(), rtol=1e-10)
    ours_parameters = dict(ours.named_parameters())
    for key, parameter in theirs.named_parameters():
        expected = parameter.grad.numpy()
        numpy.testing.assert_allclose(ours_parameters[key].grad.numpy(), expected, rtol=0,
                                      atol=1e-8 * numpy.abs(expected).max() + 1e-12, err_msg=key)
    ours_buffers = dict(ours.named_buffers())
    for key, buffer in theirs.named_buffers():
        numpy.testing.assert_allclose(ours_buffers[key].numpy(), buffer.numpy(), rtol=1e-10, atol=1e-12, err_msg=key)


def test_default_initialisation_follows_torchvision():
    model = models.resnet18()
    assert sum(parameter.numel() for parameter in model.parameters()) == 11689512
    # kaiming_normal_(mode='fan_out'): std sqrt(2 / (64 * 7 * 7)) for conv1
    std = float(model.conv1.weight.std())
    assert abs(std - (2 / (64 * 49)) ** 0.5) < 0.1 * std
    assert float(model.layer1[0].bn1.weight.min()) == 1.0
    zero_init = models.resnet18(zero_init_residual=True)
    assert float(zero_init.layer1[0].bn2.weight.abs().max()) == 0.0
    assert sum(parameter.numel() for parameter in models.mobilenet_v2().parameters()) == 3504872


@pytest.mark.parametrize("builder", ["resnet18", "resnet50", "vgg11", "vgg16", "mobilenet_v2"])
@pytest.mark.parametrize("kwargs", [dict(weights="DEFAULT"), dict(weights="IMAGENET1K_V1"), dict(pretrained=True),
                                    "enum"])
def test_pretrained_weights_raise_and_show_the_local_alternative(builder, kwargs):
    if kwargs == "enum":  # torchvision's spelling: from torchvision.models import ResNet18_Weights
        enum_name = {"resnet18": "ResNet18", "resnet50": "ResNet50", "vgg11": "VGG11", "vgg16": "VGG16",
                     "mobilenet_v2": "MobileNet_V2"}[builder]
        kwargs = dict(weights=getattr(models, f"{enum_name}_Weights").DEFAULT)
        assert getattr(torchvision.models, f"{enum_name}_Weights").DEFAULT.name in dir(type(kwargs["weights"]))
    with pytest.raises(RuntimeError) as raised:
        getattr(models, builder)(**kwargs)
    message = str(raised.value)
    assert "pretrained weights cannot be downloaded here" in message
    assert f"models.{builder}(weights=None)" in message
    assert "load_state_dict(plexgrad.load(" in message and ".safetensors" in message
