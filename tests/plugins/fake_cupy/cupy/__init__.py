"""numpy standing in for CuPy (which mirrors numpy's API), with one fake CUDA device.

Only for checking the CuPy backend's own code (``plexgrad/backends/cupy_be``) on
machines without a GPU; the real thing is tested on a GPU machine.
"""

from numpy import *  # noqa: F401,F403
from numpy import asarray as asnumpy  # noqa: F401


class _Device:
    def __init__(self, index=0):
        self.id = index

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def synchronize(self):
        pass


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 1


class cuda:
    Device = _Device
    runtime = _Runtime
