"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adadelta``, ``Adagrad``, ``Adamax``, ``NAdam``,
``RAdam``, ``ASGD``, ``LBFGS``) and ``lr_scheduler``, as ``torch.optim``.

Updates are written in plexgrad Tensor ops, so they run on every backend; parameters
are updated in place (they keep their identity), optimizer state is rebound each step.

    >>> import plexgrad.optim as optim
    >>> optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    >>> scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10)
"""

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad", "Adamax", "NAdam", "RAdam",
           "ASGD", "LBFGS", "lr_scheduler"]

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .radam import RAdam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
