"""``repr``/``str`` of tensors in torch's layout, and ``set_printoptions``.

The rules follow torch's ``_tensor_str``: one width for every element, chosen from
the non-zero finite values; ``int_mode`` (``1.``) when every float is whole;
scientific notation when the values span more than three decades, exceed 1e8 or
fall below 1e-4; more than ``threshold`` elements are summarised with ``...``.
"""

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions"]

import math

import numpy

from . import dtypes
from .shapes import element_count


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


options = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set how tensors print (as ``torch.set_printoptions``).

    ``profile`` is ``"default"``, ``"short"`` or ``"full"``; ``sci_mode=True/False``
    forces or forbids scientific notation (None: automatic).
    """
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
    """The current print options as a dict (accepted back by ``set_printoptions``)."""
    return {name: getattr(options, name) for name in ("precision", "threshold", "edgeitems", "linewidth",
                                                       "sci_mode")}


class _Formatter:
    """One element format (and width) for a whole tensor, as torch chooses it."""

    def __init__(self, values, dtype):
        self.floating = dtype.is_floating_point
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            self.max_width = max((len(str(value)) for value in flat.tolist()), default=1)
            return
        flat = flat.astype(numpy.float64)
        nonzero_finite = flat[numpy.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = numpy.abs(nonzero_finite)
        low, high = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(numpy.all(nonzero_finite == numpy.ceil(nonzero_finite)))
        if options.sci_mode is None:
            self.sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        else:
            self.sci_mode = options.sci_mode
        precision = options.precision
        for value in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{options.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{options.precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _summarized(array):
    """Only the elements that will be shown (the edges of each dimension)."""
    edge = options.edgeitems
    if array.ndim == 0:
        return array
    if array.shape[0] > 2 * edge:
        array = numpy.concatenate([array[:edge], array[-edge:]]) if edge else array[:0]
    if array.ndim == 1:
        return array
    return numpy.stack([_summarized(row) for row in array]) if array.shape[0] else array


def _vector(array, indent, summarize, formatter):
    edge = options.edgeitems
    elements_per_line = max(1, math.floor((options.linewidth - indent) / (formatter.max_width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and array.shape[0] > 2 * edge:
        items = ([formatter.format(value) for value in array[:edge].tolist()] + [" ..."]
                 + [formatter.format(value) for value in array[-edge:].tolist()])
    else:
        items = [formatter.format(value) for value in array.tolist()]
    lines = [", ".join(items[start:start + elements_per_line])
             for start in range(0, len(items), elements_per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _block(array, indent, summarize, formatter):
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, formatter)
    edge = options.edgeitems
    extent = array.shape[0]
    if summarize and extent > 2 * edge:
        slices = ([_block(array[i], indent + 1, summarize, formatter) for i in range(edge)] + ["..."]
                  + [_block(array[i], indent + 1, summarize, formatter) for i in range(extent - edge, extent)])
    else:
        slices = [_block(array[i], indent + 1, summarize, formatter) for i in range(extent)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _host_values(tensor):
    array = tensor._backend().to_host(tensor._data)
    if tensor._dtype is dtypes.bfloat16 or tensor._dtype is dtypes.float16:
        array = array.astype(numpy.float64)
    return numpy.asarray(array)


def _body(tensor, indent):
    array = _host_values(tensor)
    summarize = array.size > options.threshold
    formatter = _Formatter(_summarized(array) if summarize else array, tensor._dtype)
    return _block(array, indent, summarize, formatter)


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_length + len(suffix) + 2 > options.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_length += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(tensor, prefix="tensor("):
    """torch's ``repr`` of ``tensor`` (dtypes print as ``plexgrad.float64``)."""
    indent = len(prefix)
    default_dtype = dtypes.get_default_dtype()
    suffixes = []
    if tensor._device.type != "cpu":
        suffixes.append(f"device='{tensor._device}'")
    shape = tuple(tensor._data.shape)
    if element_count(tensor._data) == 0:
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        if tensor._dtype is not default_dtype:
            suffixes.append(f"dtype={tensor._dtype}")
        body = "[]"
    else:
        if not options.edgeitems:
            suffixes.append(f"size={shape}")
        if tensor._dtype not in (default_dtype, dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype={tensor._dtype}")
        body = _body(tensor, indent)
    if tensor._grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor._grad_fn.name()}>")
    elif tensor._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
