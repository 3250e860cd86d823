"""torch.backends.cuda: the CUDA matmul flags (``matmul.allow_tf32``...) and ``is_built``.

The flags hold torch's defaults and can be set; plexgrad's CuPy kernels do not read them
(CuPy picks its own math mode).  ``is_built()`` says whether plexgrad's CUDA backend can be
used at all (CuPy installed); ``plexgrad.cuda.is_available()`` says whether a GPU is there.
"""

__all__ = ["is_built", "matmul", "preferred_linalg_library", "flash_sdp_enabled", "math_sdp_enabled",
           "mem_efficient_sdp_enabled", "enable_flash_sdp", "enable_math_sdp", "enable_mem_efficient_sdp"]

import importlib.util


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: settable precision flags for CUDA matrix products."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self):
        return (f"<torch.backends.cuda.matmul allow_tf32={self.allow_tf32} "
                f"allow_fp16_reduced_precision_reduction={self.allow_fp16_reduced_precision_reduction} "
                f"allow_bf16_reduced_precision_reduction={self.allow_bf16_reduced_precision_reduction}>")


matmul = _MatmulFlags()

_sdp_enabled = {"flash": True, "math": True, "mem_efficient": True}


def is_built():
    """True when CuPy, which plexgrad's ``cuda`` device runs on, is installed."""
    return importlib.util.find_spec("cupy") is not None


def preferred_linalg_library(backend=None):
    """Accepted for compatibility; plexgrad's CuPy backend chooses its own linear-algebra library."""
    return "default"


def flash_sdp_enabled():
    return _sdp_enabled["flash"]


def math_sdp_enabled():
    return _sdp_enabled["math"]


def mem_efficient_sdp_enabled():
    return _sdp_enabled["mem_efficient"]


def enable_flash_sdp(enabled):
    """Record the flag (plexgrad's attention always runs the math path)."""
    _sdp_enabled["flash"] = bool(enabled)


def enable_math_sdp(enabled):
    _sdp_enabled["math"] = bool(enabled)


def enable_mem_efficient_sdp(enabled):
    _sdp_enabled["mem_efficient"] = bool(enabled)
