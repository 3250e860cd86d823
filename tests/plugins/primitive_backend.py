"""A backend that supplies only primitives (device type ``prim``): numpy's shared kernels
without any of the core's fused ops, plus the in-place ``add_`` a mutable backend has.

Every fused op (``linear``, ``batch_norm_train``, ``cross_entropy_indices``, their
backward ops, ``relu_backward``, ``add_scaled_`` ...) must then run through its
decomposition, with the values and gradients of the native kernels.
"""

from plexgrad.backends import BackendDeclaration, hookimpl


def _load():
    import numpy

    from plexgrad.backends import Backend
    from plexgrad.backends.array_kernels import build_kernels
    from plexgrad.backends.numpy_be import kernels as numpy_kernels
    from plexgrad.core.dispatch import OPS

    fused = {op.name for op in OPS.values() if op.decomposition is not None}
    kernels = {name: kernel for name, kernel in build_kernels(numpy, numpy_kernels.native_dtype).items()
               if name not in fused}

    def add_(destination, source):
        numpy.add(destination, source, out=destination)
    kernels["add_"] = add_
    return Backend("prim", ("prim",), kernels, from_host=numpy_kernels.from_host, to_host=numpy_kernels.to_host,
                   native_dtype=numpy_kernels.native_dtype, dtype_of=numpy_kernels.dtype_of, mutable=True,
                   device_count=lambda: 1, assign=numpy_kernels.assign, owned=numpy_kernels.owned)


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="prim", device_types=("prim",), api_version=1, load=_load,
                               description="numpy primitives only: every fused op runs decomposed")]
