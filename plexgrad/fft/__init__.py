"""``torch.fft``: the sample-frequency and shift helpers; the transforms themselves need complex tensors.

``fftfreq``, ``rfftfreq``, ``fftshift`` and ``ifftshift`` work on every backend (``fftshift`` is a
``roll``, so it is differentiable).  plexgrad has no complex dtypes yet, so ``fft``, ``ifft``,
``rfft``... raise NotImplementedError saying so (rather than a missing attribute).
"""

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift", "fft", "ifft", "rfft", "irfft", "fftn", "ifftn", "rfftn",
           "irfftn", "fft2", "ifft2", "rfft2", "irfft2", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn"]

from ..core.ops.tiling import roll as _roll


def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """The sample frequencies ``[0, 1, ..., n//2 - 1 (or (n-1)//2), -(n//2), ..., -1] / (d * n)``."""
    from ..core.factories import arange
    from ..core.ops.shape import cat
    positive = arange((n - 1) // 2 + 1, dtype=dtype, device=device)
    negative = arange(-(n // 2), 0, dtype=dtype, device=device)
    result = cat([positive, negative]) * (1.0 / (d * n))
    return result.to(dtype) if dtype is not None else result.requires_grad_(requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    """The non-negative sample frequencies ``[0, 1, ..., n // 2] / (d * n)`` of ``rfft``."""
    from ..core.factories import arange
    result = arange(n // 2 + 1, dtype=dtype, device=device) * (1.0 / (d * n))
    return result.to(dtype) if dtype is not None else result.requires_grad_(requires_grad)


def _dims(input, dim):
    if dim is None:
        return tuple(range(input.dim()))
    return tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre: roll each of ``dim`` (default all) by ``size // 2``."""
    dims = _dims(input, dim)
    return _roll(input, tuple(input.shape[d] // 2 for d in dims), dims) if dims else input.clone()


def ifftshift(input, dim=None):
    """The inverse of ``fftshift``: roll by ``-(size // 2)``."""
    dims = _dims(input, dim)
    return _roll(input, tuple(-(input.shape[d] // 2) for d in dims), dims) if dims else input.clone()


def _needs_complex(name):
    def transform(*args, **kwargs):
        raise NotImplementedError(
            f"torch.fft.{name} returns complex tensors, and plexgrad has no complex dtypes yet; compute it with "
            f"numpy.fft or torch on .numpy() data (fftfreq, rfftfreq, fftshift and ifftshift do work)")
    transform.__name__ = name
    transform.needs_complex = True  # benchmarks/opinfo_coverage.py counts these as missing
    transform.__doc__ = f"torch.fft.{name}: not available (plexgrad has no complex dtypes yet)."
    return transform


for _name in __all__[4:]:
    globals()[_name] = _needs_complex(_name)
del _name
