"""``plexgrad.nn``: modules, layers, losses, ``functional`` and ``init``, as in ``torch.nn``."""

from .parameter import Parameter, Buffer
from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all

from . import parallel  # noqa: E402  after the modules: DistributedDataParallel is one

__all__ = ["Parameter", "Buffer", "functional", "init", "utils", "parallel"] + list(_modules_all)
