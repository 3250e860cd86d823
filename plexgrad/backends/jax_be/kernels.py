"""jax.numpy kernels: the shared ``xp`` kernels with functional versions of the
numpy idioms jax lacks (``add.at``, item assignment).

Every kernel and conversion that calls into JAX is wrapped by ``x64.scoped``: it runs
with 64-bit types on for the calling thread only, so plexgrad keeps torch's int64 and
float64 while the user's own JAX code keeps JAX's defaults (see ``x64.py``)."""

__all__ = ["build_backend"]

import numpy

from ...core import dtypes
from ...core.backend import Backend
from ..array_kernels import build_kernels, scatter_positions
from ..fused_kernels import build_fused_kernels
from .x64 import scoped, scoped_all


def build_backend():
    import jax
    import jax.numpy as jnp
    import jax.scipy.special
    import ml_dtypes

    native = {d: numpy.dtype(d.name) for d in dtypes.ALL_DTYPES if d is not dtypes.bfloat16}
    native[dtypes.bfloat16] = numpy.dtype(ml_dtypes.bfloat16)
    from_native = {value: key for key, value in native.items()}
    devices = jax.local_devices()  # under jax.distributed, jax.devices() lists other processes' too

    def native_dtype(dtype):
        return native[dtype]

    def dtype_of(array):
        found = from_native.get(numpy.dtype(array.dtype))
        if found is None:
            raise TypeError(f"jax dtype {array.dtype} has no plexgrad equivalent")
        return found

    def from_host(data, dtype, index):
        return jax.device_put(numpy.asarray(data, dtype=native[dtype]), devices[index])

    def to_host(array):
        return numpy.asarray(array)

    def index_of(array):
        return devices.index(next(iter(array.devices())))

    def scatter_flat(base, flat_indices, values):
        flat = base.reshape(-1).at[flat_indices.reshape(-1)].set(values.reshape(-1).astype(base.dtype))
        return flat.reshape(base.shape)

    def index_put(x, values, key, accumulate):
        return x.at[key].add(values) if accumulate else x.at[key].set(values)

    def scatter_add(x, index, src, dim):
        source = src[tuple(slice(0, extent) for extent in index.shape)]
        return x.at[scatter_positions(jnp, index, dim)].add(source)

    def scatter(x, index, src, dim):
        source = src[tuple(slice(0, extent) for extent in index.shape)]
        return x.at[scatter_positions(jnp, index, dim)].set(source)

    def full(shape, value, dtype, device):
        # made on jax:N itself (never through the host)
        return jnp.full(shape, value, dtype=native[dtype], device=devices[device.index or 0])

    def move(x, device):
        return jax.device_put(x, devices[device.index or 0])  # device to device, not through the host

    def unfold(x, dim, size, step):  # a gather: windows along dim, moved to a new last dimension
        count = (x.shape[dim] - size) // step + 1
        windows = numpy.arange(count)[:, None] * step + numpy.arange(size)[None, :]
        return jnp.moveaxis(jnp.take(x, windows, axis=dim), dim + 1, -1)

    def as_strided(x, size, stride, offset):
        positions = numpy.full(size, offset, dtype=numpy.int64)
        for axis, (extent, step) in enumerate(zip(size, stride)):
            shape = [1] * len(size)
            shape[axis] = extent
            positions = positions + (numpy.arange(extent, dtype=numpy.int64) * step).reshape(shape)
        return x[positions]

    kernels = build_kernels(jnp, native_dtype)
    kernels["unfold"] = unfold

    def eigh(x, lower):
        # jax symmetrizes its input by default, which ignores UPLO: read only the chosen triangle, as torch
        values, vectors = jnp.linalg.eigh(x, UPLO="L" if lower else "U", symmetrize_input=False)
        return values, vectors
    kernels["linalg_eigh"] = eigh
    kernels["as_strided"] = as_strided
    kernels.update({"move": move,
        "index_put": index_put, "scatter_add": scatter_add, "scatter": scatter, "full": full,
        "sigmoid": jax.nn.sigmoid, "copy": lambda x: x,
    })
    kernels["erf"] = jax.scipy.special.erf
    special = jax.scipy.special
    # jax's own special functions where they agree with torch (digamma keeps the shared kernel: torch
    # gives -inf at 0, and erfcx has no jax counterpart)
    kernels.update({"erfc": special.erfc, "erfinv": special.erfinv, "lgamma": special.gammaln,
                    "i0": special.i0, "i0e": special.i0e, "i1": special.i1, "i1e": special.i1e})
    kernels["view_dtype"] = lambda x, dtype: jax.lax.bitcast_convert_type(x, native[dtype])
    # the fused training-step kernels as compiled XLA calls: one dispatch instead of a dozen
    kernels.update(build_fused_kernels(jnp, lambda function, static_argnums=(): jax.jit(
        function, static_argnums=static_argnums)))
    from .window_kernels import build_window_kernels
    kernels.update(build_window_kernels(jax))
    # to_host (numpy.asarray) and the dtype lookups only read arrays: they need no scope
    return Backend(
        "jax", ("jax",), scoped_all(kernels),
        from_host=scoped(from_host), to_host=to_host, native_dtype=native_dtype, dtype_of=dtype_of,
        mutable=False, device_count=lambda: len(devices), scatter_flat=scoped(scatter_flat),
        synchronize=lambda: None, index_of=index_of, compiler=_compiler,
    )


def _compiler():
    from .compiler import JaxCompiler
    return JaxCompiler()
