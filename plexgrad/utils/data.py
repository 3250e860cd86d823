"""``plexgrad.utils.data`` is ``plexgrad.data`` under torch's name (``torch.utils.data``), so
``import plexgrad.utils.data as data`` and ``from plexgrad.utils.data import DataLoader`` work.

Its submodules are registered under both names (``plexgrad.utils.data.dataloader`` is
``plexgrad.data.dataloader``), so classes are never loaded twice.
"""

__all__ = []

import sys

from .. import data as _data

for _name, _module in list(sys.modules.items()):
    if _name.startswith("plexgrad.data."):
        sys.modules["plexgrad.utils.data." + _name[len("plexgrad.data."):]] = _module
sys.modules[__name__] = _data
