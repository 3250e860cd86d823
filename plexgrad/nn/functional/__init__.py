"""``plexgrad.nn.functional``: the stateless form of every layer and loss (``import ... as F``)."""

from .activation import *  # noqa: F401,F403
from .activation import __all__ as _activation_all
from .distance import *  # noqa: F401,F403
from .distance import __all__ as _distance_all
from .dropout import *  # noqa: F401,F403
from .dropout import __all__ as _dropout_all
from .linear import *  # noqa: F401,F403
from .linear import __all__ as _linear_all
from .loss import *  # noqa: F401,F403
from .loss import __all__ as _loss_all
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _normalization_all
from .padding import *  # noqa: F401,F403
from .padding import __all__ as _padding_all
from .sparse import *  # noqa: F401,F403
from .sparse import __all__ as _sparse_all

__all__ = (list(_activation_all) + list(_distance_all) + list(_dropout_all) + list(_linear_all) + list(_loss_all)
           + list(_normalization_all) + list(_padding_all) + list(_sparse_all))

from .fold import *  # noqa: F401,F403
from .fold import __all__ as _fold_all
from .interpolation import *  # noqa: F401,F403
from .interpolation import __all__ as _interpolation_all
from .pixel_shuffle import *  # noqa: F401,F403
from .pixel_shuffle import __all__ as _pixel_shuffle_all
from .convolution import *  # noqa: F401,F403
from .convolution import __all__ as _convolution_all
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pooling_all

__all__ += list(_convolution_all) + list(_pooling_all)

from .attention import *  # noqa: F401,F403
from .attention import __all__ as _attention_all

__all__ += list(_attention_all) + list(_fold_all) + list(_interpolation_all) + list(_pixel_shuffle_all)

from .margin_losses import *  # noqa: F401,F403,E402
from .margin_losses import __all__ as _margin_losses_all  # noqa: E402

__all__ += list(_margin_losses_all)
