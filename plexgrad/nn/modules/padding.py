"""Padding layers: constant (zero), reflection, replication and circular."""

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]

from .. import functional as F
from .module import Module


def _expand_padding(padding, dims):
    if isinstance(padding, int):
        return (padding,) * (2 * dims)
    padding = tuple(padding)
    if len(padding) != 2 * dims:
        raise ValueError(f"expected {2 * dims} padding values (or one int), got {padding}")
    return padding


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand_padding(padding, self.dims)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _layer(name, base, mode, dims, doc):
    return type(name, (base,), {"mode": mode, "dims": dims, "__doc__": doc, "__module__": __name__})


ZeroPad1d = _layer("ZeroPad1d", _ZeroPadNd, "constant", 1, "Pad the last dimension with zeros.")
ZeroPad2d = _layer("ZeroPad2d", _ZeroPadNd, "constant", 2, "Pad the last two dimensions with zeros.")
ZeroPad3d = _layer("ZeroPad3d", _ZeroPadNd, "constant", 3, "Pad the last three dimensions with zeros.")
ConstantPad1d = _layer("ConstantPad1d", _ConstantPadNd, "constant", 1, "Pad the last dimension with a value.")
ConstantPad2d = _layer("ConstantPad2d", _ConstantPadNd, "constant", 2, "Pad the last two dimensions with a value.")
ConstantPad3d = _layer("ConstantPad3d", _ConstantPadNd, "constant", 3, "Pad the last three dimensions with a value.")
ReflectionPad1d = _layer("ReflectionPad1d", _PadNd, "reflect", 1, "Pad the last dimension by reflection.")
ReflectionPad2d = _layer("ReflectionPad2d", _PadNd, "reflect", 2, "Pad the last two dimensions by reflection.")
ReflectionPad3d = _layer("ReflectionPad3d", _PadNd, "reflect", 3, "Pad the last three dimensions by reflection.")
ReplicationPad1d = _layer("ReplicationPad1d", _PadNd, "replicate", 1, "Pad the last dimension with edge values.")
ReplicationPad2d = _layer("ReplicationPad2d", _PadNd, "replicate", 2,
                          "Pad the last two dimensions with edge values.")
ReplicationPad3d = _layer("ReplicationPad3d", _PadNd, "replicate", 3,
                          "Pad the last three dimensions with edge values.")
CircularPad1d = _layer("CircularPad1d", _PadNd, "circular", 1, "Pad the last dimension by wrapping around.")
CircularPad2d = _layer("CircularPad2d", _PadNd, "circular", 2, "Pad the last two dimensions by wrapping around.")
CircularPad3d = _layer("CircularPad3d", _PadNd, "circular", 3, "Pad the last three dimensions by wrapping around.")
