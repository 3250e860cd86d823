"""64-bit types for plexgrad's own JAX calls only, never for the user's JAX code.

torch's dtypes need JAX's 64-bit mode: without it ``int64`` indices and ``float64``
tensors silently become 32-bit.  Turning on ``jax_enable_x64`` for the process (as this
backend once did) would change the user's own ``jax.numpy`` code too: ``jnp.arange(3)``
would become int64 and ``jnp.array(1.0)`` float64.  Instead every call this backend makes
into JAX (kernels, host-to-device copies, scatters) runs with x64 switched on for the
calling thread only, and switched back when the call returns or raises.

JAX keeps the switch as a thread-local config value (``jax.enable_x64``, the public
context manager).  Its ``swap_local``/``set_local`` pair is what that context manager
does, without building a context object per call: about 0.1 us per kernel call here, on
a jax.numpy call of 4-7 us.  Where a JAX version lacks the pair, the public context
manager is used (about 0.3 us).
"""

__all__ = ["scoped", "scoped_all"]


def scoped(function, x64_state=None):
    """``function`` wrapped so that it runs with JAX's 64-bit mode on, for this thread only."""
    if x64_state is None:
        import jax
        x64_state = jax.enable_x64
    swap = getattr(x64_state, "swap_local", None)
    restore = getattr(x64_state, "set_local", None)
    if swap is None or restore is None:
        return _scoped_by_context(function, x64_state)

    def run(*args, **kwargs):
        previous = swap(True)
        try:
            return function(*args, **kwargs)
        finally:
            restore(previous)

    run.__name__ = getattr(function, "__name__", "kernel")
    run.__wrapped__ = function
    return run


def _scoped_by_context(function, x64_state):
    def run(*args, **kwargs):
        with x64_state(True):
            return function(*args, **kwargs)

    run.__name__ = getattr(function, "__name__", "kernel")
    run.__wrapped__ = function
    return run


def scoped_all(kernels, x64_state=None):
    """A copy of the kernel dict with every kernel wrapped by ``scoped``."""
    return {name: scoped(kernel, x64_state) for name, kernel in kernels.items()}
