"""The layer classes of ``plexgrad.nn`` (each file one family)."""

from .module import Module, RemovableHandle
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .linear import Identity, Linear, Bilinear
from .activation import (ReLU, ReLU6, LeakyReLU, PReLU, ELU, CELU, SELU, GELU, SiLU, Mish, Sigmoid, Tanh, Softmax,
                         Softmin, LogSoftmax, Softplus, Hardtanh, Hardsigmoid, Hardswish, LogSigmoid, Softsign,
                         Tanhshrink, Threshold, GLU)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .normalization import LayerNorm, GroupNorm, RMSNorm
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .fold import Fold, Unfold
from .upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout
from .flatten import Flatten, Unflatten
from .sparse import Embedding
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss,
                   KLDivLoss, SoftMarginLoss)
from .padding import (ZeroPad1d, ZeroPad2d, ZeroPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
                      ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, CircularPad1d, CircularPad2d, CircularPad3d)

__all__ = [
    "Module", "RemovableHandle", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear",
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
    "Softmax", "Softmin", "LogSoftmax", "Softplus", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid",
    "Softsign", "Tanhshrink", "Threshold", "GLU",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LayerNorm",
    "GroupNorm", "RMSNorm", "PixelShuffle", "PixelUnshuffle", "Fold", "Unfold", "Upsample", "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "CosineSimilarity", "PairwiseDistance", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Flatten", "Unflatten", "Embedding",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "SoftMarginLoss",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]

from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv_all
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pooling_all

__all__ += list(_conv_all) + list(_pooling_all)

from .rnn import *  # noqa: F401,F403
from .rnn import __all__ as _rnn_all
from .rnn_cell import *  # noqa: F401,F403
from .rnn_cell import __all__ as _rnn_cell_all

__all__ += list(_rnn_all) + list(_rnn_cell_all)

from .attention import *  # noqa: F401,F403
from .attention import __all__ as _attention_all
from .transformer import *  # noqa: F401,F403
from .transformer import __all__ as _transformer_all

__all__ += list(_attention_all) + list(_transformer_all)
