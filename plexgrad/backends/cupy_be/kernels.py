"""CuPy kernels: the shared ``xp`` kernels (CuPy mirrors numpy), plus in-place writes.

CuPy arrays are mutable and views share memory, as on numpy, so this backend
mirrors ``numpy_be``: ``assign`` and ``index_put_`` write in place.  Scatter-adds
use ``cupyx.scatter_add`` (numpy's ``add.at``, which older CuPy lacks).  Kernels run
on CuPy's current device; ``from_host`` places data on device ``index``.
"""

__all__ = ["build_backend"]

import numpy

from ...core import dtypes
from ...core.backend import Backend
from ..array_kernels import BUILDERS, ELEMENTWISE, build_kernels


def _shared_kernels(cupy, native_dtype):
    """The shared ``xp`` kernels for CuPy.  Should a builder need something this CuPy
    lacks, build op by op and leave that op out: it then raises NotImplementedError on
    ``cuda`` and shows as missing in ``python -m plexgrad.backends``, instead of the
    whole backend failing to load."""
    try:
        return build_kernels(cupy, native_dtype)
    except AttributeError:
        pass
    kernels = {name: getattr(cupy, attribute) for name, attribute in ELEMENTWISE.items() if hasattr(cupy, attribute)}
    for name, builder in BUILDERS.items():
        try:
            kernels[name] = builder(cupy)
        except AttributeError:
            continue

    def cast(x, dtype):
        return x.astype(native_dtype(dtype))
    kernels["cast"] = cast
    return kernels


def build_backend():
    import cupy
    import cupyx

    native = {d: numpy.dtype(d.name) for d in dtypes.ALL_DTYPES if d is not dtypes.bfloat16}
    from_native = {value: key for key, value in native.items()}

    def native_dtype(dtype):
        found = native.get(dtype)
        if found is None:
            raise TypeError(f"dtype {dtype} is not supported on cuda (CuPy has no bfloat16); "
                            "use float16 or float32")
        return found

    def dtype_of(array):
        found = from_native.get(numpy.dtype(array.dtype))
        if found is None:
            raise TypeError(f"cupy dtype {array.dtype} has no plexgrad equivalent; supported: "
                            + ", ".join(d.name for d in native))
        return found

    def from_host(data, dtype, index):
        with cupy.cuda.Device(index):
            return cupy.asarray(numpy.asarray(data), dtype=native_dtype(dtype))

    def assign(destination, source):
        cupy.copyto(destination, source, casting="unsafe")

    def positions(index, dim):
        grid = [cupy.arange(extent).reshape((1,) * axis + (extent,) + (1,) * (index.ndim - axis - 1))
                for axis, extent in enumerate(index.shape)]
        grid[dim] = index
        return tuple(grid)

    def index_put_(array, values, key, accumulate):
        if accumulate:
            cupyx.scatter_add(array, key, values)
        else:
            array[key] = values

    def index_put(x, values, key, accumulate):
        result = x.copy()
        index_put_(result, values, key, accumulate)
        return result

    def scatter_add(x, index, src, dim):
        result = x.copy()
        source = src[tuple(slice(0, extent) for extent in index.shape)]
        cupyx.scatter_add(result, positions(index, dim), source)
        return result

    def in_place(ufunc):
        def kernel(destination, source):
            ufunc(destination, source, out=destination)
        return kernel

    def full(shape, value, dtype, device):
        with cupy.cuda.Device(device.index or 0):  # made on that GPU, never through the host
            return cupy.full(shape, value, dtype=native_dtype(dtype))

    def move(x, device):
        with cupy.cuda.Device(device.index or 0):  # a peer copy between GPUs, not through the host
            return cupy.array(x, copy=True)

    kernels = _shared_kernels(cupy, native_dtype)
    kernels.update({"index_put": index_put, "index_put_": index_put_, "scatter_add": scatter_add,
                    "full": full, "move": move,
                    "add_": in_place(cupy.add), "sub_": in_place(cupy.subtract), "mul_": in_place(cupy.multiply),
                    "div_": in_place(cupy.true_divide)})
    return Backend(
        "cupy", ("cuda",), kernels,
        from_host=from_host, to_host=cupy.asnumpy, native_dtype=native_dtype, dtype_of=dtype_of,
        mutable=True, device_count=cupy.cuda.runtime.getDeviceCount, assign=assign,
        synchronize=lambda: cupy.cuda.Device().synchronize(), index_of=lambda array: array.device.id,
        # cupy.linalg raises numpy's LinAlgError; cupy's OutOfMemoryError is a MemoryError (the default)
        errors={"singular": numpy.linalg.LinAlgError},
    )
