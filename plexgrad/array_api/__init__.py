"""plexgrad as a Python array API namespace (the standard, version 2023.12).

    import plexgrad.array_api as xp        # or: xp = tensor.__array_namespace__()
    x = xp.asarray([1.0, 2.0, 3.0], device="jax")
    xp.sum(x ** 2), xp.linalg.vector_norm(x)

The arrays are plain plexgrad Tensors on any device, so array-API consumers
(``array_api_compat.array_namespace``, scipy and scikit-learn in array API mode) accept
them and what they return works with the rest of plexgrad, autograd included.  The
functions give the *standard's* semantics where it differs from torch's (promotion of 0-d
arrays, ``axis=()``, ``var``'s ``correction=0``, ``squeeze`` of a non-1 axis,
``asarray``/``reshape`` ``copy=``...); the torch-style API is unchanged.  What plexgrad
lacks: complex dtypes, uint16/32/64 and the ``fft`` extension; the operators of a
Tensor (``x + y``, ``x.size()``) keep torch's behaviour.
"""

__array_api_version__ = "2023.12"

import math as _math

from . import linalg
from ._creation import *  # noqa: F401,F403  the standard's names
from ._creation import __all__ as _creation_names
from ._dtypes import *  # noqa: F401,F403
from ._dtypes import __all__ as _dtype_names
from ._elementwise import *  # noqa: F401,F403
from ._elementwise import __all__ as _elementwise_names
from ._info import __array_namespace_info__
from ._linear_algebra import *  # noqa: F401,F403
from ._linear_algebra import __all__ as _linear_algebra_names
from ._manipulation import *  # noqa: F401,F403
from ._manipulation import __all__ as _manipulation_names
from ._searching import *  # noqa: F401,F403
from ._searching import __all__ as _searching_names
from ._statistics import *  # noqa: F401,F403
from ._statistics import __all__ as _statistics_names

e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

_INTERNAL = {"promote_arrays", "as_standard_dtype", "SUPPORTED_DTYPES"}

__all__ = sorted(
    {"__array_api_version__", "__array_namespace_info__", "linalg", "e", "inf", "nan", "pi", "newaxis"}
    | (set(_creation_names) | set(_dtype_names) | set(_elementwise_names) | set(_linear_algebra_names)
       | set(_manipulation_names) | set(_searching_names) | set(_statistics_names)) - _INTERNAL)

API_VERSIONS = ("2021.12", "2022.12", "2023.12")
"""The standard versions ``Tensor.__array_namespace__(api_version=...)`` accepts (this namespace serves them all)."""


def namespace_for(api_version=None):
    """This module, after checking that ``api_version`` (None: the newest) is one it serves."""
    if api_version is not None and api_version not in API_VERSIONS:
        raise ValueError(f"plexgrad.array_api serves array API versions {', '.join(API_VERSIONS)}, "
                         f"not {api_version!r}")
    import sys
    return sys.modules[__name__]
