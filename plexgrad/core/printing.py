"""``repr``/``str`` of tensors in torch's layout, and ``set_printoptions``."""

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions"]

import math

import numpy

from . import dtypes


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


options = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set how tensors print (as ``torch.set_printoptions``)."""
    if profile == "default":
        options.precision, options.threshold, options.edgeitems, options.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        options.precision, options.threshold, options.edgeitems, options.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        options.precision, options.threshold, options.edgeitems, options.linewidth = 4, math.inf, 3, 80
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(options, name, value)
    options.sci_mode = sci_mode


def get_printoptions():
    return {name: getattr(options, name) for name in ("precision", "threshold", "edgeitems", "linewidth",
                                                       "sci_mode")}


class _Formatter:
    def __init__(self, values, dtype):
        self.floating = dtype.is_floating_point
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if dtype is dtypes.bool:
            self.max_width = max((len(str(bool(v))) for v in flat), default=1)
            return
        if not self.floating:
            self.max_width = max((len(str(int(v))) for v in flat), default=1)
            return
        flat = flat.astype(numpy.float64)
        finite = flat[numpy.isfinite(flat)]
        nonzero = numpy.abs(finite[finite != 0])
        if finite.size and numpy.any(finite != numpy.ceil(finite)):
            self.int_mode = False
        if nonzero.size:
            low, high = nonzero.min(), nonzero.max()
            if self.int_mode:
                self.sci_mode = high / low > 1000.0 or high > 1.0e8
            else:
                self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        if options.sci_mode is not None:
            self.sci_mode = options.sci_mode
        self.max_width = max((len(self._format(v)) for v in flat), default=1)

    def _format(self, value):
        if not self.floating:
            return str(bool(value)) if isinstance(value, (bool, numpy.bool_)) else str(int(value))
        value = float(value)
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        if self.sci_mode:
            return f"{value:.{options.precision}e}"
        if self.int_mode:
            return f"{value:.0f}."
        return f"{value:.{options.precision}f}"

    def format(self, value):
        return self._format(value).rjust(self.max_width)


def _summarize(array):
    edge = options.edgeitems
    if array.ndim == 0:
        return array
    if array.shape[0] > 2 * edge:
        array = numpy.concatenate([array[:edge], array[-edge:]])
    return numpy.stack([_summarize(row) for row in array]) if array.ndim > 1 else array


def _format_block(array, formatter, indent, summarize, dtype):
    if array.ndim == 0:
        return formatter.format(array.item() if dtype is not dtypes.bool else bool(array))
    edge = options.edgeitems
    if array.ndim == 1:
        items = [formatter.format(bool(v) if dtype is dtypes.bool else v) for v in array]
        if summarize and array.shape[0] > 2 * edge:
            items = items[:edge] + ["..."] + items[-edge:]
        per_line = max(1, int(math.floor((options.linewidth - indent) / (formatter.max_width + 2))))
        lines = [", ".join(items[start:start + per_line]) for start in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(array.shape[0])
    if summarize and array.shape[0] > 2 * edge:
        parts = [_format_block(array[i], formatter, indent + 1, summarize, dtype) for i in range(edge)]
        parts.append("...")
        parts += [_format_block(array[i], formatter, indent + 1, summarize, dtype)
                  for i in range(array.shape[0] - edge, array.shape[0])]
    else:
        parts = [_format_block(array[i], formatter, indent + 1, summarize, dtype) for i in rows]
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _body(tensor, indent):
    array = tensor._backend().to_host(tensor._data)
    if tensor._dtype is dtypes.bfloat16:
        array = array.astype(numpy.float32)
    if array.size == 0:
        return "[]"
    summarize = array.size > options.threshold
    shown = _summarize(array) if summarize else array
    formatter = _Formatter(shown, tensor._dtype)
    return _format_block(array, formatter, indent, summarize, tensor._dtype)


_IMPLICIT_DTYPES = None


def tensor_repr(tensor, prefix="tensor("):
    global _IMPLICIT_DTYPES
    _IMPLICIT_DTYPES = (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool)
    indent = len(prefix)
    body = _body(tensor, indent)
    suffixes = []
    shape = tuple(tensor._data.shape)
    if tensor.numel() == 0 and shape != (0,):
        suffixes.append(f"size={shape}")
    if tensor._device.type != "cpu":
        suffixes.append(f"device='{tensor._device}'")
    if tensor._dtype not in _IMPLICIT_DTYPES or (tensor.numel() == 0 and tensor._dtype is not
                                                 dtypes.get_default_dtype()):
        suffixes.append(f"dtype={tensor._dtype}")
    if tensor._grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor._grad_fn.name()}>")
    elif tensor._requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    for suffix in suffixes:
        text += ", " + suffix
    return text + ")"
