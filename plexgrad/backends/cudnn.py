"""torch.backends.cudnn: cuDNN's flags.

plexgrad's ``cuda`` device runs on CuPy, not on cuDNN through torch, so ``is_available()``
is False; the flags exist with torch's defaults so that ``torch.backends.cudnn.benchmark =
True`` and ``deterministic = True`` lines run.  plexgrad's kernels are deterministic
whatever ``deterministic`` says, and do not autotune (``benchmark`` changes nothing).
"""

__all__ = ["is_available", "version", "flags", "enabled", "benchmark", "deterministic", "allow_tf32",
           "benchmark_limit"]

import contextlib
import sys

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """False: plexgrad does not use cuDNN."""
    return False


def version():
    """None: no cuDNN library is loaded (as torch answers without cuDNN)."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags inside a ``with`` block and restore them after, as ``torch.backends.cudnn.flags``."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    previous = {name: getattr(module, name) for name in names}
    values = dict(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(module, name, value)
