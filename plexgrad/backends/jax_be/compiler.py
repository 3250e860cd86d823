"""The jax backend's whole-step compiler for ``plexgrad.compile``: one ``jax.jit`` per traced step.

The core (``plexgrad/compiler/program.py``) turns the user's step into a pure function of
arrays (parameters, gradients, buffers, optimizer state, inputs, fed hyperparameters and a
random key in; their new values out).  This module compiles that function with XLA,
donating the state buffers so XLA may update them in place, and supplies the device-side
random sampler the traced step draws from.  Tracing and every call run inside plexgrad's
per-thread x64 scope once, around the whole program (the kernels inside then find it on).
"""

__all__ = ["JaxCompiler"]

import time
import warnings

import numpy

from .x64 import scoped


class JaxCompiler:
    """Compiles a pure step function with ``jax.jit`` (see ``plexgrad/compiler/program.py``)."""

    name = "jax.jit"
    last_build_seconds = None

    def __init__(self):
        import jax
        self._jax = jax
        errors = jax.errors
        # what jax raises when traced Python reads a value (.item(), bool(t), numpy(t)): a graph break
        self.trace_errors = (errors.ConcretizationTypeError, errors.TracerArrayConversionError,
                             errors.TracerBoolConversionError, errors.TracerIntegerConversionError)

    def is_symbolic(self, value):
        """True for a traced (symbolic) value, which must not leave the program as a Python object."""
        return isinstance(value, self._jax.core.Tracer)

    def build(self, pure, donated, kept, constants_seen=None):
        """Trace ``pure(donated, kept)`` now and compile it; returns ``run(donated, kept) -> outputs``.

        ``donated`` arrays (the state the step updates) are given to XLA to reuse for the
        outputs: after a call they are deleted, so the caller writes the outputs back.
        ``constants_seen(arrays)``, called after tracing, sees the arrays the trace captured as
        constants (it may raise to stop before compiling)."""
        jitted = self._jax.jit(pure, donate_argnums=(0,))
        started = time.perf_counter()
        traced_program = scoped(jitted.trace)(donated, kept)
        if constants_seen is not None:
            constants_seen(traced_program.jaxpr.consts)
        lowered = scoped(traced_program.lower)()
        traced = time.perf_counter()
        compiled = scoped(lowered.compile)()
        self.last_build_seconds = (traced - started, time.perf_counter() - traced)  # (trace, XLA compile)

        def run(donated_arrays, kept_arrays):
            with warnings.catch_warnings():
                # a backend that cannot reuse a donated buffer copies it; that is only slower
                warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
                return compiled(donated_arrays, kept_arrays)
        return scoped(run)

    def random_key(self, numpy_generator):
        """A fresh key (two uint32 words) drawn from the host generator: reproducible under manual_seed."""
        return numpy_generator.integers(0, 2 ** 32, size=2, dtype=numpy.uint32)

    def sampler(self, key, native_dtype):
        """``sample(kind, shape, dtype, device)`` drawing from ``key`` (a traced key), one subkey per draw."""
        random = self._jax.random
        count = [0]

        def sample(kind, shape, dtype, device):
            subkey = random.fold_in(key, count[0])
            count[0] += 1
            native = native_dtype(dtype)
            if kind == "uniform":
                return random.uniform(subkey, shape, dtype=native)
            if kind == "normal":
                return random.normal(subkey, shape, dtype=native)
            raise ValueError(f"unknown random kind {kind!r}")
        return sample
