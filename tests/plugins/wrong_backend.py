"""A backend that fails the conformance kit in three known ways (device type ``wrong``):
``exp`` is off by 1e-3 at one element, ``sin`` raises an error of its own, and ``cos`` is
left out (it has no decomposition, so it is declared-missing: reported, not failed).
Everything else is numpy's."""

from plexgrad.backends import BackendDeclaration, hookimpl


def _load():
    import numpy

    from plexgrad.backends import Backend
    from plexgrad.backends.numpy_be import kernels as numpy_kernels

    kernels = dict(numpy_kernels.build_backend().kernels)

    def wrong_exp(x):
        result = numpy.array(numpy.exp(x))
        result.reshape(-1)[-1:] += 1e-3
        return result

    def failing_sin(x):
        raise ValueError("this sin kernel is broken")

    kernels.update(exp=wrong_exp, sin=failing_sin)
    del kernels["cos"]
    return Backend("wrong", ("wrong",), kernels, from_host=numpy_kernels.from_host, to_host=numpy_kernels.to_host,
                   native_dtype=numpy_kernels.native_dtype, dtype_of=numpy_kernels.dtype_of, mutable=True,
                   device_count=lambda: 1, assign=numpy_kernels.assign, owned=numpy_kernels.owned)


@hookimpl
def plexgrad_backends():
    return [BackendDeclaration(name="wrong", device_types=("wrong",), api_version=1, load=_load,
                               description="numpy with a wrong exp, a failing sin and no cos")]
