"""``plexgrad.compile``: trace a whole training step once and replay it as one program.

See ``api.py`` (guards, fallbacks), ``state.py`` (where the state lives), ``program.py``
(tracing and replay) and ``graph_breaks.py``; the device's compiler is the backend's
(``backends/jax_be/compiler.py``).
"""

from .api import CACHE_LIMIT, CompiledFunction, CompiledModule, compile
from .graph_breaks import CompileWarning, GraphBreakError, GraphBreakWarning

__all__ = ["compile", "CompiledFunction", "CompiledModule", "CACHE_LIMIT", "GraphBreakWarning", "GraphBreakError",
           "CompileWarning"]
