"""torchvision-style model architectures (``plexgrad.data.models``), built untrained with
``weights=None``: ResNet-18/34/50/101/152, VGG-11/13/16/19 (and ``_bn``), MobileNetV2.

Module and parameter names are torchvision's, so a torchvision state dict saved as safetensors
loads unchanged::

    model = plexgrad.data.models.resnet18()
    model.load_state_dict(plexgrad.load("resnet18.safetensors"))

Any other ``weights=`` raises: pretrained weights cannot be downloaded here.
"""

from .resnet import ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .mobilenetv2 import MobileNetV2, mobilenet_v2

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
           "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
           "MobileNetV2", "mobilenet_v2"]
