"""``torch.signal.windows``: the window functions, computed from ``arange`` on the requested device.

Each takes ``M`` (the window length) and ``sym=True`` (a symmetric window; ``False``: periodic, for
spectral analysis), plus ``dtype``, ``device`` and ``requires_grad`` as torch's do.
"""

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming", "hamming",
           "hann", "kaiser", "nuttall"]

import math


def _check(name, M):
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")


def _positions(M, sym, dtype, device):
    """``arange(M)`` and the denominator ``M - 1`` (``M`` for periodic windows)."""
    from ..core.factories import arange
    from ..core import dtypes
    dtype = dtypes.get_default_dtype() if dtype is None else dtype
    return arange(M, dtype=dtype, device=device), (M - 1 if sym else M)


def _finish(window, requires_grad):
    return window.requires_grad_(requires_grad) if requires_grad else window


def _trivial(M, dtype, device, requires_grad):
    from ..core.factories import ones
    from ..core import dtypes
    return ones(M, dtype=dtypes.get_default_dtype() if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``sum_k (-1)**k a[k] cos(2 pi k n / (M - 1))``."""
    _check("general_cosine", M)
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    n, denominator = _positions(M, sym, dtype, device)
    window = n * 0
    for k, coefficient in enumerate(a):
        window = window + ((-1) ** k) * coefficient * (n * (2 * math.pi * k / denominator)).cos()
    return _finish(window, requires_grad)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window ``1 - |2 n / (M - 1) - 1|``."""
    _check("bartlett", M)
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    n, denominator = _positions(M, sym, dtype, device)
    return _finish(1 - (n * (2 / denominator) - 1).abs(), requires_grad)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``sin(pi (n + 0.5) / M)`` (``M + 1`` for periodic windows)."""
    _check("cosine", M)
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    n, _ = _positions(M, sym, dtype, device)
    return _finish(((n + 0.5) * (math.pi / (M if sym else M + 1))).sin(), requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``exp(-|n - center| / tau)``; ``center`` defaults to the middle."""
    _check("exponential", M)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _trivial(0, dtype, device, requires_grad)
    n, _ = _positions(M, sym, dtype, device)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    return _finish((-(n - center).abs() / tau).exp(), requires_grad)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``exp(-((n - (M - 1) / 2) / std)**2 / 2)``."""
    _check("gaussian", M)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _trivial(0, dtype, device, requires_grad)
    n, _ = _positions(M, sym, dtype, device)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    return _finish((-((n + start) / std) ** 2 / 2).exp(), requires_grad)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """``i0(beta sqrt(1 - (2 n / (M - 1) - 1)**2)) / i0(beta)``."""
    _check("kaiser", M)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return _trivial(M, dtype, device, requires_grad)
    from ..core.ops.special import i0
    n, denominator = _positions(M, sym, dtype, device)
    ratio = n * (2 / denominator) - 1
    argument = (1 - ratio * ratio).clamp(min=0).sqrt() * beta
    return _finish(i0(argument) / i0(argument * 0 + beta), requires_grad)
