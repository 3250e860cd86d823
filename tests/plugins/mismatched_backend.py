"""A backend whose kernels do not fit the declared ops (device type ``mism``): a kernel named
``frobnicate``, which no op declares, and an ``exp`` that takes two arguments."""

from plexgrad.backends import BackendDeclaration, hookimpl


def _load():
    from plexgrad.backends import Backend
    from plexgrad.backends.numpy_be import kernels as numpy_kernels

    kernels = dict(numpy_kernels.build_backend().kernels)
    kernels.update(frobnicate=lambda x: x, exp=lambda x, base: x)
    return Backend("mism", ("mism",), kernels, from_host=numpy_kernels.from_host, to_host=numpy_kernels.to_host,
                   native_dtype=numpy_kernels.native_dtype, dtype_of=numpy_kernels.dtype_of, mutable=True,
                   device_count=lambda: 1, assign=numpy_kernels.assign, owned=numpy_kernels.owned)


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="mism", device_types=("mism",), api_version=1, load=_load,
                               description="kernels that do not fit the declarations")]
