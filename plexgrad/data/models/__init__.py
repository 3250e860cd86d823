"""torchvision-style model architectures (``plexgrad.data.models``), built untrained with
``weights=None``: ResNet-18/34/50/101/152, VGG-11/13/16/19 (and ``_bn``), MobileNetV2.

Module and parameter names are torchvision's, so a torchvision state dict saved as safetensors
loads unchanged::

    model = plexgrad.data.models.resnet18()
    model.load_state_dict(plexgrad.load("resnet18.safetensors"))

Any other ``weights=`` (``"DEFAULT"``, ``ResNet18_Weights.IMAGENET1K_V1``, ``pretrained=True``) raises:
pretrained weights cannot be downloaded here.
"""

from . import mobilenetv2, resnet, vgg
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403

__all__ = list(resnet.__all__) + list(vgg.__all__) + list(mobilenetv2.__all__)
