"""The built-in collective engines, declared through the same hook third-party engines use:
``mpi`` (mpi4py, ``cpu`` tensors), ``jax`` (``jax.distributed`` and JAX's own cross-process
collectives, ``jax`` tensors) and ``nccl`` (CuPy's NCCL bindings, ``cuda`` tensors)."""

__all__ = ["plexgrad_collective_engines"]

import importlib.util

from .declaration import EngineDeclaration, hookimpl


def _module_available(module, install):
    def check():
        if importlib.util.find_spec(module) is None:
            return False, f"{module} is not installed ({install})"
        return True, ""
    return check


def _cuda_available():
    if importlib.util.find_spec("cupy") is None:
        return False, "cupy is not installed (pip install 'plexgrad[cupy]')"
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:
        return False, f"CuPy sees no CUDA device ({type(error).__name__}: {error})"
    if count == 0:
        return False, "CuPy sees no CUDA device"
    return True, ""


def _load_mpi():
    from .mpi_engine import MPIEngine
    return MPIEngine


def _load_jax():
    from .jax_engine import JaxEngine
    return JaxEngine


def _load_nccl():
    from .nccl_engine import NCCLEngine
    return NCCLEngine


@hookimpl
def plexgrad_collective_engines():
    return [
        EngineDeclaration("mpi", ("cpu",), 1, _load_mpi,
                          _module_available("mpi4py", "pip install 'plexgrad[distributed]'"),
                          "MPI through mpi4py, in place on numpy buffers"),
        EngineDeclaration("jax", ("jax",), 1, _load_jax,
                          _module_available("jax", "pip install 'plexgrad[jax]'"),
                          "jax.distributed and XLA's cross-process collectives (gloo on CPU)"),
        EngineDeclaration("nccl", ("cuda",), 1, _load_nccl, _cuda_available,
                          "NCCL through CuPy's bindings"),
    ]
