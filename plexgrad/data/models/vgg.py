"""VGG (Simonyan and Zisserman, 2014) as torchvision builds it, with its ``features`` /
``avgpool`` / ``classifier`` names, so a torchvision ``state_dict`` loads unchanged."""

__all__ = ["VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights", "VGG", "make_layers", "vgg11",
           "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

from ... import nn
from ...core.ops.shape import flatten
from ._weights import check_weights, weights_enum

VGG11_Weights = weights_enum("VGG11_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")
VGG13_Weights = weights_enum("VGG13_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")
VGG16_Weights = weights_enum("VGG16_Weights", ["IMAGENET1K_V1", "IMAGENET1K_FEATURES"], "IMAGENET1K_V1")
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")
VGG19_Weights = weights_enum("VGG19_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", ["IMAGENET1K_V1"], "IMAGENET1K_V1")

# torchvision's configurations: output channels of each 3x3 convolution, "M" a 2x2 max pool
CONFIGURATIONS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """``VGG(features, num_classes=1000, init_weights=True, dropout=0.5)``: ``features``, a 7x7 adaptive
    average pool and a three-layer classifier."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                    if module.bias is not None:
                        nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.constant_(module.weight, 1)
                    nn.init.constant_(module.bias, 0)
                elif isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, 0, 0.01)
                    nn.init.constant_(module.bias, 0)

    def forward(self, x):
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


def make_layers(configuration, batch_norm=False):
    """The ``features`` Sequential of one configuration list (channels, or "M" for a max pool)."""
    layers = []
    in_channels = 3
    for value in configuration:
        if value == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, value, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(value))
        layers.append(nn.ReLU(inplace=True))
        in_channels = value
    return nn.Sequential(*layers)


def _vgg(name, configuration, batch_norm, weights, kwargs):
    check_weights(name, weights, kwargs)
    kwargs.pop("progress", None)
    return VGG(make_layers(CONFIGURATIONS[configuration], batch_norm=batch_norm), **kwargs)


def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (configuration "A"), untrained: ``weights`` must be None here."""
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with batch normalization, untrained."""
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights=None, progress=True, **kwargs):
    """VGG-13 (configuration "B"), untrained."""
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights=None, progress=True, **kwargs):
    """VGG-13 with batch normalization, untrained."""
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights=None, progress=True, **kwargs):
    """VGG-16 (configuration "D"), untrained: ``weights`` must be None here."""
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights=None, progress=True, **kwargs):
    """VGG-16 with batch normalization, untrained."""
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights=None, progress=True, **kwargs):
    """VGG-19 (configuration "E"), untrained."""
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights=None, progress=True, **kwargs):
    """VGG-19 with batch normalization, untrained."""
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
