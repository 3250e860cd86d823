"""nn.Module machinery, layers and init on every backend, against numpy references and
torch's exact texts (repr and load_state_dict reports, copied from torch 2.13 by hand)."""

import copy
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import plexgrad
import plexgrad.nn as nn
import plexgrad.nn.functional as F
from plexgrad.nn import init
from nn_reference import check_function, leaf, rng, to_numpy


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([("fc1", nn.Linear(784, 300)), ("bn1", nn.BatchNorm1d(300)),
                                                   ("act", nn.ReLU())]))
        self.blocks = nn.ModuleList([nn.Linear(300, 300) for _ in range(2)] + [nn.Dropout(0.25)])
        self.heads = nn.ModuleDict({"out": nn.Linear(300, 10, bias=False), "norm": nn.LayerNorm(10)})
        self.register_buffer("scale", plexgrad.ones(1))
        self.gelu = nn.GELU(approximate="tanh")

    def forward(self, x):
        return x


TORCH_NET_REPR = (
    "Net(\n  (features): Sequential(\n    (fc1): Linear(in_features=784, out_features=300, bias=True)\n"
    "    (bn1): BatchNorm1d(300, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
    "    (act): ReLU()\n  )\n  (blocks): ModuleList(\n    (0-1): 2 x Linear(in_features=300, out_features=300, "
    "bias=True)\n    (2): Dropout(p=0.25, inplace=False)\n  )\n  (heads): ModuleDict(\n    (out): Linear("
    "in_features=300, out_features=10, bias=False)\n    (norm): LayerNorm((10,), eps=1e-05, "
    "elementwise_affine=True, bias=True)\n  )\n  (gelu): GELU(approximate='tanh')\n)")


class Small(nn.Module):
    def __init__(self, device=None):
        super().__init__()
        self.fc = nn.Linear(3, 2, device=device)
        self.bn = nn.BatchNorm1d(2, device=device)
        self.register_buffer("steps", plexgrad.zeros(1, device=device))
        self.register_buffer("cache", plexgrad.zeros(2, device=device), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x))


def test_repr_matches_torch_text():
    assert repr(Net()) == TORCH_NET_REPR
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.Parameter(plexgrad.tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    layers = [nn.ZeroPad2d(1), nn.ConstantPad1d((1, 2), 3.5), nn.Flatten(), nn.Unflatten(1, (2, 3)),
              nn.Embedding(10, 3, padding_idx=0), nn.LayerNorm((3, 4)), nn.BatchNorm1d(3, momentum=None),
              nn.Softmax(dim=1), nn.Softplus(), nn.PReLU(), nn.Identity(), nn.Softmax(), nn.ELU(), nn.Hardtanh(),
              nn.Threshold(0.1, 20), nn.CrossEntropyLoss(), nn.GroupNorm(2, 4), nn.Bilinear(2, 3, 4),
              nn.LeakyReLU(0.2, inplace=True), nn.ReLU(inplace=True)]
    expected = ["ZeroPad2d((1, 1, 1, 1))", "ConstantPad1d(padding=(1, 2), value=3.5)",
                "Flatten(start_dim=1, end_dim=-1)", "Unflatten(dim=1, unflattened_size=(2, 3))",
                "Embedding(10, 3, padding_idx=0)", "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)",
                "BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)",
                "Softmax(dim=1)", "Softplus(beta=1.0, threshold=20.0)", "PReLU(num_parameters=1)", "Identity()",
                "Softmax(dim=None)", "ELU(alpha=1.0)", "Hardtanh(min_val=-1.0, max_val=1.0)",
                "Threshold(threshold=0.1, value=20)", "CrossEntropyLoss()",
                "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)",
                "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)",
                "LeakyReLU(negative_slope=0.2, inplace=True)", "ReLU(inplace=True)"]
    assert [repr(layer) for layer in layers] == expected
    plist = nn.ParameterList([nn.Parameter(plexgrad.ones(2, 3))])
    assert repr(plist) == "ParameterList(  (0): Parameter containing: [plexgrad.float32 of size 2x3])"


def test_registration_and_traversal_order():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["features.fc1.weight", "features.fc1.bias", "features.bn1.weight", "features.bn1.bias",
                     "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "heads.out.weight",
                     "heads.norm.weight", "heads.norm.bias"]
    assert all(isinstance(p, nn.Parameter) and isinstance(p, plexgrad.Tensor) for p in net.parameters())
    assert [name for name, _ in net.named_buffers()] == [
        "scale", "features.bn1.running_mean", "features.bn1.running_var", "features.bn1.num_batches_tracked"]
    assert [name for name, _ in net.named_children()] == ["features", "blocks", "heads", "gelu"]
    assert [name for name, _ in net.named_modules()][:4] == ["", "features", "features.fc1", "features.bn1"]
    assert len(list(net.modules())) == 13
    assert net.get_submodule("features.fc1") is net.features.fc1
    assert net.get_parameter("heads.out.weight") is net.heads.out.weight
    assert len(list(net.parameters(recurse=False))) == 0


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_setattr_rules_and_errors():
    module = nn.Module()
    module.weight = nn.Parameter(plexgrad.ones(2))
    assert "weight" in module._parameters
    with pytest.raises(TypeError, match="cannot assign 'plexgrad.FloatTensor' as parameter 'weight'"):
        module.weight = plexgrad.ones(2)
    module.weight = None
    assert module.weight is None
    module.register_buffer("stat", plexgrad.zeros(1))
    module.stat = plexgrad.ones(1)
    assert module._buffers["stat"].item() == 1.0
    with pytest.raises(TypeError, match="as buffer 'stat'"):
        module.stat = 3
    with pytest.raises(KeyError, match="attribute 'stat' already exists"):
        module.register_parameter("stat", None)
    with pytest.raises(KeyError, match="contain"):
        module.register_buffer("a.b", plexgrad.ones(1))
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        module.missing
    module.child = nn.Linear(1, 1)
    del module.child
    assert "child" not in module._modules
    module.extra = nn.Buffer(plexgrad.ones(2), persistent=False)
    assert "extra" in module._buffers and "extra" not in module.state_dict()
    with pytest.raises(ValueError, match="non-leaf"):
        module.register_parameter("bad", _non_leaf_parameter())


def _non_leaf_parameter():
    parameter = nn.Parameter(plexgrad.ones(1))
    parameter._grad_fn = (plexgrad.ones(1, requires_grad=True) * 2).grad_fn
    return parameter


def test_module_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_state_dict_round_trip(device):
    plexgrad.manual_seed(0)
    source = Small(device)
    source(plexgrad.randn(4, 3, device=device))
    state = source.state_dict()
    assert list(state) == ["steps", "fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean",
                           "bn.running_var", "bn.num_batches_tracked"]
    assert not any(tensor.requires_grad for tensor in state.values())
    assert source.state_dict(keep_vars=True)["fc.weight"] is source.fc.weight
    target = Small(device)
    weight = target.fc.weight
    result = target.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"
    assert target.fc.weight is weight
    for key, value in state.items():
        np.testing.assert_array_equal(to_numpy(target.state_dict()[key]), to_numpy(value))
    assert target.bn.num_batches_tracked.item() == 1


def test_state_dict_loads_across_devices(device):
    source = Small()
    target = Small(device)
    target.load_state_dict(source.state_dict())
    assert target.fc.weight.device.type == device
    np.testing.assert_array_equal(to_numpy(target.fc.weight), to_numpy(source.fc.weight))


def test_load_state_dict_reports_like_torch():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    bad = {"0.weight": plexgrad.zeros(3, 3), "0.bias": plexgrad.zeros(3), "extra": plexgrad.zeros(1),
           "1.running_mean": plexgrad.zeros(3)}
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(bad)
    assert str(error.value) == (
        'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "1.weight", "1.bias", '
        '"1.running_var". \n\tUnexpected key(s) in state_dict: "extra". \n\tsize mismatch for 0.weight: copying a '
        "param with shape plexgrad.Size([3, 3]) from checkpoint, the shape in current model is "
        "plexgrad.Size([3, 2]).")
    result = model.load_state_dict({"0.weight": plexgrad.zeros(3, 2), "extra": plexgrad.zeros(1)}, strict=False)
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"]
    assert result.unexpected_keys == ["extra"]
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['0.bias', '1.weight', '1.bias', '1.running_mean', "
                            "'1.running_var'], unexpected_keys=['extra'])")
    np.testing.assert_array_equal(to_numpy(model[0].weight), np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        model.load_state_dict({"0.bias": plexgrad.zeros(4)}, strict=False)


def test_load_state_dict_requires_num_batches_tracked_when_metadata_says_so():
    model = nn.BatchNorm1d(2)
    state = model.state_dict()
    del state["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        model.load_state_dict(state)
    model.load_state_dict(dict(state))  # a plain dict has no version metadata: old checkpoints still load


def test_load_state_dict_assign_replaces_parameters():
    model = nn.Linear(2, 1)
    new_weight = plexgrad.ones(1, 2)
    model.load_state_dict({"weight": new_weight, "bias": plexgrad.zeros(1)}, assign=True)
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
    np.testing.assert_array_equal(to_numpy(model.weight), [[1.0, 1.0]])


def test_to_dtype_and_device_keep_parameter_identity(device):
    model = Small()
    weight = model.fc.weight
    model(plexgrad.randn(4, 3)).sum().backward()
    model.double()
    assert model.fc.weight is weight and weight.dtype is plexgrad.float64
    assert weight.grad.dtype is plexgrad.float64
    assert model.bn.num_batches_tracked.dtype is plexgrad.int64
    assert model.steps.dtype is plexgrad.float64
    model.to(device)
    assert model.fc.weight is weight and weight.device.type == device and weight.grad.device.type == device
    assert model.bn.running_mean.device.type == device and model.cache.device.type == device
    model.to(plexgrad.float32)
    assert weight.dtype is plexgrad.float32 and weight.requires_grad and weight.is_leaf
    model.float().cpu()
    assert weight.device.type == "cpu"
    with pytest.raises(TypeError, match="floating point"):
        model.to(plexgrad.int64)


def test_train_eval_zero_grad_apply_requires_grad():
    model = Net()
    assert model.training and model.blocks[2].training
    assert model.eval() is model
    assert not model.training and not model.blocks[2].training and not model.heads["norm"].training
    model.train()
    assert model.features.bn1.training
    layer = nn.Linear(2, 2)
    layer(plexgrad.ones(1, 2)).sum().backward()
    layer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(to_numpy(layer.weight.grad), np.zeros((2, 2)))
    layer.zero_grad()
    assert layer.weight.grad is None
    seen = []
    model.apply(lambda module: seen.append(type(module).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda module, args, output: calls.append(output.shape) or output + 1)
    result = layer(plexgrad.ones(3, 2))
    np.testing.assert_allclose(to_numpy(result), np.broadcast_to(to_numpy(layer.bias) + 1, (3, 2)), rtol=1e-6)
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(to_numpy(layer(plexgrad.zeros(1, 2))), to_numpy(layer.bias)[None], rtol=1e-6)
    assert calls == [(3, 2)]


def test_module_without_forward_names_itself():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward"'):
        nn.Module()(1)


def test_deepcopy_and_pickle_keep_parameters():
    model = Small()
    clone = copy.deepcopy(model)
    assert isinstance(clone.fc.weight, nn.Parameter) and clone.fc.weight is not model.fc.weight
    np.testing.assert_array_equal(to_numpy(clone.fc.weight), to_numpy(model.fc.weight))
    restored = pickle.loads(pickle.dumps(model))
    assert isinstance(restored.fc.weight, nn.Parameter) and restored.fc.weight.requires_grad
    np.testing.assert_array_equal(to_numpy(restored.bn.running_var), to_numpy(model.bn.running_var))


def test_sequential_indexing_and_editing():
    first, second, third = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(first, second, third)
    assert len(model) == 3 and model[0] is first and model[-1] is third
    assert list(model) == [first, second, third]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [first, second]
    assert list(head._modules) == ["0", "1"]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and "3" in model._modules
    model[1] = nn.Tanh()
    assert isinstance(model[1], nn.Tanh)
    del model[1]
    assert list(model._modules) == ["0", "1", "2"]
    named = nn.Sequential(OrderedDict([("encoder", first), ("act", nn.ReLU())]))
    assert named.encoder is first
    with pytest.raises(IndexError):
        model[5]
    x = plexgrad.randn(4, 2)
    np.testing.assert_allclose(to_numpy(nn.Sequential(first, second)(x)), to_numpy(second(first(x))))


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    assert len(layers) == 5 and isinstance(layers[-1], nn.Tanh)
    assert len(list(layers.parameters())) == 6
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers.insert(0, nn.Sigmoid())
    assert isinstance(layers[0], nn.Sigmoid) and isinstance(layers[1], nn.Linear)
    table = nn.ModuleDict({"a": nn.Linear(1, 2)})
    table["b"] = nn.ReLU()
    assert list(table.keys()) == ["a", "b"] and "b" in table and len(table) == 2
    assert [name for name, _ in table.named_parameters()] == ["a.weight", "a.bias"]
    params = nn.ParameterDict({"w": plexgrad.ones(2)})
    assert isinstance(params["w"], nn.Parameter)
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.Linear(1, 1))


def test_linear_values_gradients_and_default_init(device):
    plexgrad.manual_seed(3)
    layer = nn.Linear(50, 40, device=device)
    bound = 1 / math.sqrt(50)
    weight, bias = to_numpy(layer.weight), to_numpy(layer.bias)
    assert weight.shape == (40, 50) and np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert np.abs(bias).max() <= bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.01
    x = rng(1).standard_normal((3, 50)).astype(np.float32)
    output = layer(plexgrad.tensor(x, device=device))
    np.testing.assert_allclose(to_numpy(output), x @ weight.T + bias, rtol=1e-5, atol=1e-5)
    output.sum().backward()
    np.testing.assert_allclose(to_numpy(layer.weight.grad), np.broadcast_to(x.sum(0), (40, 50)), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(layer.bias.grad), np.full(40, 3.0))
    assert nn.Linear(2, 3, bias=False).bias is None


def test_same_seed_gives_same_weights_on_every_backend(device):
    plexgrad.manual_seed(42)
    here = nn.Linear(4, 3, device=device)
    plexgrad.manual_seed(42)
    on_cpu = nn.Linear(4, 3)
    np.testing.assert_array_equal(to_numpy(here.weight), to_numpy(on_cpu.weight))


def _batch_norm_steps(device, momentum, shape, steps=3):
    r = rng(20)
    layer = nn.BatchNorm1d(shape[1], momentum=momentum, device=device).double()
    batches = [r.standard_normal(shape) * 2 + 1 for _ in range(steps)]
    mean, variance = np.zeros(shape[1]), np.ones(shape[1])
    dims = (0,) + tuple(range(2, len(shape)))
    count = batches[0].size // shape[1]
    for index, batch in enumerate(batches, start=1):
        output = layer(plexgrad.tensor(batch, device=device))
        normalized = (batch - batch.mean(axis=dims, keepdims=True)) / np.sqrt(batch.var(axis=dims, keepdims=True)
                                                                             + 1e-5)
        np.testing.assert_allclose(to_numpy(output), normalized, rtol=1e-9, atol=1e-10)
        factor = 1.0 / index if momentum is None else momentum
        mean = (1 - factor) * mean + factor * batch.mean(axis=dims)
        variance = (1 - factor) * variance + factor * batch.var(axis=dims) * count / (count - 1)
    return layer, mean, variance


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batch_norm_running_statistics_after_steps(device, momentum, shape):
    layer, mean, variance = _batch_norm_steps(device, momentum, shape)
    np.testing.assert_allclose(to_numpy(layer.running_mean), mean, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(layer.running_var), variance, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 3
    layer.eval()
    x = rng(21).standard_normal(shape)
    scale_shape = [1] * len(shape)
    scale_shape[1] = shape[1]
    expected = (x - mean.reshape(scale_shape)) / np.sqrt(variance.reshape(scale_shape) + 1e-5)
    np.testing.assert_allclose(to_numpy(layer(plexgrad.tensor(x, device=device))), expected, rtol=1e-9, atol=1e-10)
    assert layer.num_batches_tracked.item() == 3


def test_batch_norm_module_gradients_and_options(device):
    r = rng(22)
    layer = nn.BatchNorm2d(3, device=device).double()
    x = r.standard_normal((2, 3, 2, 2))

    def reference(a):
        mean = a.mean(axis=(0, 2, 3), keepdims=True)
        return (a - mean) / np.sqrt(a.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    check_function(layer, reference, [x], device)
    assert layer.weight.grad is not None and layer.bias.grad is not None
    stateless = nn.BatchNorm1d(3, affine=False, track_running_stats=False, device=device)
    assert stateless.weight is None and stateless.running_mean is None
    stateless.eval()
    output = stateless(plexgrad.tensor(r.standard_normal((5, 3)), dtype=plexgrad.float32, device=device))
    np.testing.assert_allclose(to_numpy(output).mean(0), 0.0, atol=1e-6)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(plexgrad.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="channel count"):
        nn.BatchNorm1d(3)(plexgrad.ones(2, 4))


def test_layer_norm_module(device):
    r = rng(23)
    layer = nn.LayerNorm(4, device=device).double()
    with plexgrad.no_grad():
        layer.weight.copy_(plexgrad.tensor(r.standard_normal(4)))
    weight = to_numpy(layer.weight)
    check_function(layer, lambda a: (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)
                   * weight, [r.standard_normal((2, 3, 4))], device)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None


def test_dropout_module_train_and_eval(device):
    layer = nn.Dropout(0.5)
    x = plexgrad.ones(100, 100, device=device)
    plexgrad.manual_seed(5)
    values = to_numpy(layer(x))
    assert set(np.unique(values)) == {0.0, 2.0}
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(-0.1)


def test_shape_layers(device):
    x = plexgrad.arange(24.0, device=device).reshape(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(2, (2, 2))(x).shape == (2, 3, 2, 2)
    assert nn.Identity(54, unused="x")(x) is x


def test_embedding_module(device):
    plexgrad.manual_seed(6)
    layer = nn.Embedding(6, 3, padding_idx=1, device=device)
    np.testing.assert_array_equal(to_numpy(layer.weight)[1], np.zeros(3))
    indices = plexgrad.tensor([[1, 2], [2, 5]], device=device)
    output = layer(indices)
    assert output.shape == (2, 2, 3)
    output.sum().backward()
    grad = to_numpy(layer.weight.grad)
    np.testing.assert_array_equal(grad[:, 0], [0, 0, 2, 0, 0, 1])
    pretrained = nn.Embedding.from_pretrained(plexgrad.eye(3, device=device))
    assert not pretrained.weight.requires_grad


@pytest.mark.parametrize("name,module,function", [
    ("relu", nn.ReLU(), F.relu), ("leaky", nn.LeakyReLU(0.3), lambda x: F.leaky_relu(x, 0.3)),
    ("gelu", nn.GELU(), F.gelu), ("sigmoid", nn.Sigmoid(), F.sigmoid), ("tanh", nn.Tanh(), F.tanh),
    ("softmax", nn.Softmax(dim=1), lambda x: F.softmax(x, 1)),
    ("log_softmax", nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, 1)),
    ("elu", nn.ELU(0.5), lambda x: F.elu(x, 0.5)), ("silu", nn.SiLU(), F.silu),
    ("softplus", nn.Softplus(2.0), lambda x: F.softplus(x, 2.0)), ("hardtanh", nn.Hardtanh(), F.hardtanh),
    ("mish", nn.Mish(), F.mish), ("relu6", nn.ReLU6(), F.relu6), ("glu", nn.GLU(1), lambda x: F.glu(x, 1))])
def test_activation_modules_match_functional(device, name, module, function):
    x = plexgrad.tensor(rng(24).standard_normal((3, 4)), device=device)
    np.testing.assert_array_equal(to_numpy(module(x)), to_numpy(function(x)))


def test_prelu_module(device):
    layer = nn.PReLU(3, init=0.1, device=device).double()
    x = rng(25).standard_normal((4, 3))
    x[np.abs(x) < 0.05] = 0.3
    check_function(layer, lambda a: np.where(a > 0, a, 0.1 * a), [x], device)
    upstream = rng(7).standard_normal((4, 3))  # the upstream gradient check_function used
    np.testing.assert_allclose(to_numpy(layer.weight.grad), (np.where(x > 0, 0.0, x) * upstream).sum(0), rtol=1e-9)


def test_init_functions(device):
    plexgrad.manual_seed(7)
    tensor = plexgrad.empty(200, 300, device=device)
    init.uniform_(tensor, -2, 3)
    values = to_numpy(tensor)
    assert values.min() >= -2 and values.max() < 3 and abs(values.mean() - 0.5) < 0.05
    init.normal_(tensor, 1.0, 0.5)
    assert abs(to_numpy(tensor).mean() - 1.0) < 0.01 and abs(to_numpy(tensor).std() - 0.5) < 0.01
    init.trunc_normal_(tensor, std=1.0, a=-1.0, b=0.5)
    assert to_numpy(tensor).min() >= -1.0 and to_numpy(tensor).max() <= 0.5
    init.xavier_uniform_(tensor, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(to_numpy(tensor)).max() <= bound and abs(to_numpy(tensor).std() - bound / math.sqrt(3)) < 0.01
    init.xavier_normal_(tensor)
    assert abs(to_numpy(tensor).std() - math.sqrt(2 / 500)) < 0.003
    init.kaiming_normal_(tensor, mode="fan_out", nonlinearity="relu")
    assert abs(to_numpy(tensor).std() - math.sqrt(2 / 200)) < 0.003
    init.kaiming_uniform_(tensor, a=math.sqrt(5))
    assert np.abs(to_numpy(tensor)).max() <= 1 / math.sqrt(300)
    init.constant_(tensor, 0.25)
    assert (to_numpy(tensor) == 0.25).all()
    init.ones_(tensor)
    init.zeros_(tensor)
    assert (to_numpy(tensor) == 0).all()
    square = plexgrad.empty(3, 4, device=device)
    np.testing.assert_array_equal(to_numpy(init.eye_(square)), np.eye(3, 4))
    assert tensor.device.type == device


def test_init_keeps_parameters_leaves_and_identity(device):
    layer = nn.Linear(3, 3, device=device)
    weight = layer.weight
    assert init.orthogonal_(weight, gain=2.0) is weight
    assert weight.is_leaf and weight.requires_grad and weight.grad_fn is None
    product = to_numpy(weight) @ to_numpy(weight).T
    np.testing.assert_allclose(product, 4 * np.eye(3), atol=1e-5)
    wide = init.orthogonal_(plexgrad.empty(2, 5, device=device))
    np.testing.assert_allclose(to_numpy(wide) @ to_numpy(wide).T, np.eye(2), atol=1e-5)


def test_init_gain_and_fans():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    assert init._calculate_fan_in_and_fan_out(plexgrad.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(plexgrad.empty(5))


def test_training_step_reduces_loss(device):
    plexgrad.manual_seed(8)
    model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    x = plexgrad.randn(32, 10, device=device)
    y = plexgrad.randint(0, 3, (32,), device=device)
    loss_function = nn.CrossEntropyLoss()
    first = None
    for _ in range(12):
        model.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        with plexgrad.no_grad():
            for parameter in model.parameters():
                parameter -= 0.5 * parameter.grad
        first = loss.item() if first is None else first
    assert loss.item() < 0.6 * first


def test_clip_grad_norm_and_value(device):
    r = rng(26)
    first = nn.Parameter(plexgrad.tensor(r.standard_normal((3, 2)), device=device))
    second = nn.Parameter(plexgrad.tensor(r.standard_normal(4), device=device))
    unused = nn.Parameter(plexgrad.ones(2, device=device))
    first.grad = plexgrad.tensor(r.standard_normal((3, 2)), device=device)
    second.grad = plexgrad.tensor(r.standard_normal(4), device=device)
    grads = [np.array(to_numpy(first.grad)), np.array(to_numpy(second.grad))]
    total = np.sqrt(sum((g ** 2).sum() for g in grads))
    returned = nn.utils.clip_grad_norm_([first, second, unused], max_norm=0.5)
    assert returned.item() == pytest.approx(total, rel=1e-6)
    scale = 0.5 / (total + 1e-6)
    np.testing.assert_allclose(to_numpy(first.grad), grads[0] * scale, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(second.grad), grads[1] * scale, rtol=1e-5)
    infinity_norm = nn.utils.clip_grad_norm_([first, second], max_norm=100.0, norm_type=math.inf)
    assert infinity_norm.item() == pytest.approx(max(np.abs(g).max() for g in grads) * scale, rel=1e-5)
    nn.utils.clip_grad_value_([first, second], 0.01)
    assert np.abs(to_numpy(first.grad)).max() <= 0.01 + 1e-9
    first.grad = plexgrad.tensor(np.full((3, 2), np.nan), dtype=first.dtype, device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([first], 1.0, error_if_nonfinite=True)


def test_parameters_vector_round_trip(device):
    layer = nn.Linear(3, 2, device=device)
    vector = nn.utils.parameters_to_vector(layer.parameters())
    assert vector.shape == (8,)
    np.testing.assert_array_equal(to_numpy(vector)[:6], to_numpy(layer.weight).reshape(-1))
    weight = layer.weight
    nn.utils.vector_to_parameters(vector * 2, layer.parameters())
    assert layer.weight is weight
    np.testing.assert_allclose(to_numpy(layer.bias), to_numpy(vector)[6:] * 2)


def test_forward_hooks_with_kwargs_and_order():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor
    module = Scale()
    order = []
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    module.register_forward_hook(lambda m, args, kwargs, out: order.append(("kw", kwargs["factor"])),
                                 with_kwargs=True)
    module.register_forward_hook(lambda m, args, out: order.append("first"), prepend=True)
    assert module(plexgrad.ones(1), factor=2.0).item() == 3.0
    assert order == ["first", ("kw", 3.0)]
