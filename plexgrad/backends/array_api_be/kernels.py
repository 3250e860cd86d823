"""Kernels written only against the Python array API standard (namespace ``xp``).

The standard has no scatter and no in-place semantics plexgrad could rely on, so the
backend is immutable (as jax): the core keeps views and in-place writes consistent, and
every write (``index_put``, ``scatter``, ``scatter_flat``) is one function, ``put_flat``,
that builds the result with ``where`` from a one-hot match of positions.  That costs
O(written elements x array size) memory and time: fine for a reference backend, slow for
big scatters (a library's own backend should supply a native one).
"""

__all__ = ["build_backend"]

import numpy

from ...core import dtypes
from ...core.backend import Backend
from .op_names import BINARY, UNARY

_HOST = {d: numpy.dtype(d.name) for d in dtypes.ALL_DTYPES if d is not dtypes.bfloat16}


def _devices(xp):
    """The namespace's devices that hold every dtype plexgrad needs (array_api_strict also has
    devices without 64-bit types, which plexgrad's int64 indices cannot live on)."""
    info = xp.__array_namespace_info__()
    usable = []
    for device in info.devices():
        try:
            kinds = info.dtypes(device=device)
        except TypeError:
            kinds = info.dtypes()
        if "float64" in kinds and "int64" in kinds:
            usable.append(device)
    return usable or [info.default_device()]


def _singular_errors(xp):
    """What ``xp`` raises for a singular matrix: the standard names no exception class, so the
    library's own ``LinAlgError`` where it has one, and numpy's (libraries built on numpy, as
    array_api_strict is, let it through)."""
    found = [numpy.linalg.LinAlgError]
    for place in (getattr(xp, "linalg", None), xp):
        candidate = getattr(place, "LinAlgError", None)
        if isinstance(candidate, type) and issubclass(candidate, Exception) and candidate not in found:
            found.append(candidate)
    return tuple(found)


def build_backend(name, device_type, xp, errors=None):
    """A loaded backend for the array API namespace ``xp`` serving ``device_type``; ``errors`` as in
    ``Backend(errors=...)`` (default: ``LinAlgError`` classes mean a singular matrix)."""
    native = {d: getattr(xp, d.name) for d in dtypes.ALL_DTYPES if hasattr(xp, d.name)}
    from_native = [(value, key) for key, value in native.items()]
    devices = _devices(xp)

    def native_dtype(dtype):
        if dtype not in native:
            raise TypeError(f"the {name} backend has no {dtype}: {xp.__name__} lacks it; use one of "
                            f"{', '.join(d.name for d in native)}")
        return native[dtype]

    def dtype_of(array):
        for value, key in from_native:
            if array.dtype == value:
                return key
        raise TypeError(f"{xp.__name__} dtype {array.dtype} has no plexgrad equivalent")

    def from_host(data, dtype, index):
        host = numpy.array(data, dtype=_HOST.get(dtype), order="C")  # ascontiguousarray would make 0-d 1-d
        return xp.asarray(host, dtype=native_dtype(dtype), device=devices[index], copy=True)

    def to_host(array):
        if array.device != devices[0]:
            array = xp.asarray(array, device=devices[0], copy=True)
        return numpy.from_dlpack(array)

    def index_of(array):
        return devices.index(array.device)

    kernels = build_kernels(xp, native_dtype, devices)
    put_flat = kernels.pop("_put_flat")

    def scatter_flat(base, flat_indices, values):
        flat = xp.reshape(base, (-1,))
        values = xp.astype(xp.reshape(values, (-1,)), base.dtype)
        return xp.reshape(put_flat(flat, xp.reshape(flat_indices, (-1,)), values, False), base.shape)
    return Backend(name, (device_type,), kernels, from_host=from_host, to_host=to_host,
                   native_dtype=native_dtype, dtype_of=dtype_of, mutable=False,
                   device_count=lambda: len(devices), scatter_flat=scatter_flat, index_of=index_of,
                   errors={"singular": _singular_errors(xp), **(errors or {})})


def build_kernels(xp, native_dtype, devices):
    """The kernel dict for namespace ``xp`` (plus ``_put_flat``, the one write every scatter uses)."""

    def like(reference, value):
        """A 0-d array of ``value`` with ``reference``'s dtype and device (standard functions take arrays)."""
        return xp.asarray(value, dtype=reference.dtype, device=reference.device)

    def operands(x, y):
        if not hasattr(x, "shape"):
            x = like(y, x)
        if not hasattr(y, "shape"):
            y = like(x, y)
        return x, y

    def binary(function):
        def kernel(x, y):
            return function(*operands(x, y))
        return kernel

    kernels = {op: getattr(xp, function) for op, function in UNARY.items()}
    kernels.update({op: binary(getattr(xp, function)) for op, function in BINARY.items()})

    def truth(x):
        return x if x.dtype == xp.bool else x != like(x, 0)

    def logical(function):  # the standard's logical functions take bool only; the contract takes numbers too
        def kernel(x, y):
            x, y = operands(x, y)
            return function(truth(x), truth(y))
        return kernel

    def boolean_as(function, boolean_function):  # numpy's bool arithmetic: + is or, * is and
        def kernel(x, y):
            x, y = operands(x, y)
            if x.dtype == xp.bool:
                return boolean_function(x, y)
            return function(x, y)
        return kernel

    for op, boolean_function in (("add", xp.logical_or), ("mul", xp.logical_and), ("maximum", xp.logical_or),
                                 ("minimum", xp.logical_and)):
        kernels[op] = boolean_as(getattr(xp, BINARY[op]), boolean_function)
    kernels["logical_not"] = lambda x: xp.logical_not(truth(x))
    for op in ("logical_and", "logical_or", "logical_xor"):
        kernels[op] = logical(getattr(xp, op))

    def fmod(x, y):  # C's fmod: the remainder takes the sign of x (the standard's remainder: of y)
        x, y = operands(x, y)
        if xp.isdtype(x.dtype, "real floating"):
            return x - xp.trunc(x / y) * y
        rest = xp.remainder(x, y)
        fix = (rest != 0) & ((rest < 0) != (x < 0))
        return xp.where(fix, rest - y, rest)

    def pow(x, y):  # torch: an integer to a negative tensor power is 1 for 1, +-1 for -1, else 0
        if type(y) is int and y < 0 and hasattr(x, "shape") and xp.isdtype(x.dtype, "integral"):
            raise ValueError("Integers to negative integer powers are not allowed.")
        x, y = operands(x, y)
        if not xp.isdtype(x.dtype, "integral"):
            return xp.pow(x, y)
        zero, one = like(y, 0), like(x, 1)
        negative = y < zero
        result = xp.pow(x, xp.where(negative, zero, y))
        odd = xp.remainder(y, like(y, 2)) != zero
        special = xp.where(x == one, one, xp.where(x == -one, xp.where(odd, -one, one), like(x, 0)))
        return xp.where(negative, special, result)

    kernels["pow"] = pow

    def sigmoid(x):
        small = xp.exp(-xp.abs(x))
        large = 1 / (1 + small)
        return xp.where(x >= 0, large, small * large)

    def where(condition, x, y):
        x, y = operands(x, y)
        return xp.where(condition, x, y)

    def reduction(function):
        def reduce(x, dims, keepdim):
            return function(x, axis=dims, keepdims=keepdim)
        return reduce

    def same_dtype_reduction(function):
        def reduce(x, dims, keepdim):  # the core chose the dtype; the standard would widen integers
            return function(x, axis=dims, keepdims=keepdim, dtype=x.dtype)
        return reduce

    def arg_reduction(function):
        def reduce(x, dim, keepdim):
            if dim is None:
                result = function(xp.reshape(x, (-1,)))
                return xp.reshape(result, (1,) * x.ndim) if keepdim else result
            return function(x, axis=dim, keepdims=keepdim)
        return reduce

    def cumsum(x, dim):
        return xp.cumulative_sum(x, axis=dim, dtype=x.dtype)

    kernels.update({
        "relu": lambda x: xp.where(x > 0, x, like(x, 0)), "sigmoid": sigmoid, "reciprocal": lambda x: 1 / x,
        "rsqrt": lambda x: 1 / xp.sqrt(x), "fmod": fmod, "where": where,
        "sum": same_dtype_reduction(xp.sum), "prod": same_dtype_reduction(xp.prod),
        "amax": reduction(xp.max), "amin": reduction(xp.min), "all": reduction(xp.all), "any": reduction(xp.any),
        "argmax": arg_reduction(xp.argmax), "argmin": arg_reduction(xp.argmin), "cumsum": cumsum,
        "reshape": lambda x, shape: xp.reshape(x, tuple(shape)),
        "permute": lambda x, dims: xp.permute_dims(x, tuple(dims)),
        "expand": lambda x, shape: xp.broadcast_to(x, tuple(shape)),
        "flip": lambda x, dims: xp.flip(x, axis=tuple(dims)),
        "cat": lambda *arrays_and_dim: xp.concat(arrays_and_dim[:-1], axis=arrays_and_dim[-1]),
        "matmul": xp.matmul, "copy": lambda x: xp.asarray(x, copy=True),
        "cast": lambda x, dtype: xp.astype(x, native_dtype(dtype)),
        "full": lambda shape, value, dtype, device: xp.full(tuple(shape), value, dtype=native_dtype(dtype),
                                                            device=devices[device.index or 0]),
        "move": lambda x, device: xp.asarray(x, device=devices[device.index or 0], copy=True),
    })
    if hasattr(xp, "cumulative_prod"):  # 2024.12 and newer
        kernels["cumprod"] = lambda x, dim: xp.cumulative_prod(x, axis=dim, dtype=x.dtype)

    def flat_positions(shape, device):
        """Every element's flat position, in ``shape``: indexing it says where an index lands."""
        size = 1
        for extent in shape:
            size *= extent
        return xp.reshape(xp.arange(size, dtype=xp.int64, device=device), tuple(shape))

    def put_flat(flat, positions, values, accumulate):
        """``flat`` (1-D) with ``values`` written (or added) at ``positions`` (1-D, same length)."""
        if positions.shape[0] == 0:
            return xp.asarray(flat, copy=True)
        targets = xp.arange(flat.shape[0], dtype=xp.int64, device=flat.device)
        hits = xp.reshape(positions, (-1, 1)) == xp.reshape(targets, (1, -1))  # (written, size)
        written = xp.any(hits, axis=0)
        if accumulate:
            zero = like(flat, 0)
            added = xp.sum(xp.where(hits, xp.reshape(values, (-1, 1)), zero), axis=0, dtype=flat.dtype)
            return xp.where(written, flat + added, flat)
        # duplicates: the last write wins, as in numpy
        last = hits.shape[0] - 1 - xp.argmax(xp.astype(xp.flip(hits, axis=0), xp.int8), axis=0)
        return xp.where(written, xp.take(values, last, axis=0), flat)

    kernels["_put_flat"] = put_flat
    getitem = _build_getitem(xp)
    kernels["getitem"] = getitem

    def index_put(x, values, key, accumulate):
        positions = getitem(flat_positions(x.shape, x.device), key)
        values = xp.broadcast_to(xp.astype(values, x.dtype) if hasattr(values, "shape") else like(x, values),
                                 positions.shape)
        result = put_flat(xp.reshape(x, (-1,)), xp.reshape(positions, (-1,)), xp.reshape(values, (-1,)),
                          accumulate)
        return xp.reshape(result, x.shape)

    def scatter_positions(x, index, dim):
        limits = tuple(slice(None) if axis == dim else slice(0, index.shape[axis]) for axis in range(x.ndim))
        return xp.take_along_axis(flat_positions(x.shape, x.device)[limits], index, axis=dim)

    def scatter_like(accumulate):
        def scatter(x, index, src, dim):
            positions = scatter_positions(x, index, dim)
            source = src[tuple(slice(0, extent) for extent in index.shape)]
            result = put_flat(xp.reshape(x, (-1,)), xp.reshape(positions, (-1,)), xp.reshape(source, (-1,)),
                              accumulate)
            return xp.reshape(result, x.shape)
        return scatter

    def gather(x, index, dim):
        limits = tuple(slice(None) if axis == dim else slice(0, index.shape[axis]) for axis in range(x.ndim))
        return xp.take_along_axis(x[limits], index, axis=dim)

    kernels.update({"index_put": index_put, "scatter": scatter_like(False), "scatter_add": scatter_like(True)})
    if hasattr(xp, "take_along_axis"):  # 2024.12 and newer
        kernels["gather"] = gather

    def argsort(x, dim, descending):
        if not descending:
            return xp.astype(xp.argsort(x, axis=dim, stable=True), xp.int64)
        # stable descending from an ascending sort of the reversed input (numpy 2 lacks descending=)
        flipped = xp.argsort(xp.flip(x, axis=dim), axis=dim, stable=True)
        return xp.astype(xp.flip(x.shape[dim] - 1 - flipped, axis=dim), xp.int64)

    def searchsorted(boundaries, values, right):
        side = "right" if right else "left"
        if boundaries.ndim == 1:
            return xp.astype(xp.searchsorted(boundaries, values, side=side), xp.int64)
        rows = xp.reshape(boundaries, (-1, boundaries.shape[-1]))
        queries = xp.reshape(values, (rows.shape[0], -1))
        found = [xp.searchsorted(rows[row, ...], queries[row, ...], side=side) for row in range(rows.shape[0])]
        return xp.astype(xp.reshape(xp.stack(found), values.shape), xp.int64)

    kernels.update({"argsort": argsort, "searchsorted": searchsorted})
    if hasattr(xp, "linalg"):
        kernels.update(_linalg_kernels(xp))
    return kernels


def _linalg_kernels(xp):
    linalg = xp.linalg

    def diagonal(x, offset, dim1, dim2):
        rest = [axis for axis in range(x.ndim) if axis not in (dim1 % x.ndim, dim2 % x.ndim)]
        moved = xp.permute_dims(x, tuple(rest) + (dim1 % x.ndim, dim2 % x.ndim))
        return linalg.diagonal(moved, offset=offset)

    def eigh(x, lower):
        # the standard reads the lower triangle; the upper one of x is the lower one of its transpose
        values, vectors = linalg.eigh(x if lower else xp.linalg.matrix_transpose(x))
        return values, vectors

    def svd(x, full_matrices):
        u, s, vh = linalg.svd(x, full_matrices=full_matrices)
        return u, s, vh

    def qr(x, mode):
        q, r = linalg.qr(x, mode="complete" if mode == "complete" else "reduced")
        return q, r

    def slogdet(x):
        sign, logabsdet = linalg.slogdet(x)
        return sign, logabsdet

    return {"diagonal": diagonal, "linalg_inv": linalg.inv, "linalg_det": linalg.det, "linalg_slogdet": slogdet,
            "linalg_solve": linalg.solve, "linalg_svd": svd, "linalg_qr": qr, "linalg_cholesky": linalg.cholesky,
            "linalg_eigh": eigh}


def _build_getitem(xp):
    """numpy's indexing (basic and advanced) from the standard's: slices and integers through
    ``x[key]``, boolean masks through ``nonzero``, integer arrays through one ``take`` on the
    advanced axes flattened together."""

    def is_array(item):
        return hasattr(item, "shape") and hasattr(item, "dtype")

    def getitem(x, key):
        if not isinstance(key, tuple):
            key = (key,)
        if not any(is_array(item) or isinstance(item, bool) for item in key):
            return x[tuple(item for item in key)]
        if len(key) == 1 and is_array(key[0]) and key[0].dtype == xp.bool and key[0].ndim == x.ndim:
            return x[key[0]]  # a full boolean mask: the standard's own form
        return _advanced(x, key)

    def _advanced(x, key):
        items = []
        for item in key:
            if is_array(item) and item.dtype == xp.bool:
                items.extend(xp.nonzero(item) if item.ndim else (None,))  # numpy's meaning of a mask
            elif isinstance(item, bool):
                raise IndexError("indexing with a Python bool together with arrays is not supported by the "
                                 "array API backend")
            else:
                items.append(item)
        if any(item is None for item in items):
            raise IndexError("None (newaxis) together with integer-array indices is not supported by the array "
                             "API backend; unsqueeze the tensor first")
        ellipses = [position for position, item in enumerate(items) if item is Ellipsis]  # no == on arrays
        if ellipses:
            at = ellipses[0]
            items[at:at + 1] = [slice(None)] * (x.ndim - (len(items) - 1))
        items += [slice(None)] * (x.ndim - len(items))
        # integers are advanced indices too when arrays are present (numpy broadcasts them)
        arrays = {axis: (item if is_array(item) else xp.asarray(item, dtype=xp.int64, device=x.device))
                  for axis, item in enumerate(items) if not isinstance(item, slice)}
        sliced = x[tuple(item if isinstance(item, slice) else slice(None) for item in items)]
        advanced = sorted(arrays)
        rest = [axis for axis in range(x.ndim) if axis not in arrays]
        broadcast = xp.broadcast_arrays(*(xp.astype(arrays[axis], xp.int64) for axis in advanced))
        flat = None
        for axis, indices in zip(advanced, broadcast):
            extent = sliced.shape[axis]
            indices = xp.where(indices < 0, indices + extent, indices)
            flat = indices if flat is None else flat * extent + indices
        index_shape = flat.shape
        moved = xp.permute_dims(sliced, tuple(advanced + rest))
        advanced_size = 1
        for axis in advanced:
            advanced_size *= sliced.shape[axis]
        rest_shape = tuple(sliced.shape[axis] for axis in rest)
        taken = xp.take(xp.reshape(moved, (advanced_size,) + rest_shape), xp.reshape(flat, (-1,)), axis=0)
        result = xp.reshape(taken, tuple(index_shape) + rest_shape)
        if advanced == list(range(advanced[0], advanced[0] + len(advanced))) and advanced[0] > 0:
            # adjacent advanced axes keep their place (numpy's rule); separated ones go first
            lead = len(index_shape)
            before = list(range(lead, lead + advanced[0]))
            order = before + list(range(lead)) + list(range(lead + advanced[0], result.ndim))
            result = xp.permute_dims(result, tuple(order))
        return result

    return getitem
