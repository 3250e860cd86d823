"""Special functions written once against an array namespace ``xp``.

``erf`` uses the rational approximations of the Cephes library (S. L. Moshier,
ndtr.c): relative error about 1e-16 in float64.  numpy has no erf; backends whose
library has one (jax.scipy.special.erf) override this kernel.
"""

__all__ = ["build_erf"]

# erf(x) = x * T(x**2) / U(x**2) for |x| < 1
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)
# erfc(x) = exp(-x**2) * P(x) / Q(x) for 1 <= x < 8
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)
# erfc(x) = exp(-x**2) * R(x) / S(x) for x >= 8
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _polynomial(coefficients, x):
    result = x * coefficients[0] + coefficients[1]
    for coefficient in coefficients[2:]:
        result = result * x + coefficient
    return result


def build_erf(xp):
    """An element-wise ``erf(x)`` kernel for namespace ``xp`` (computed in float64, returned in x's dtype)."""
    def erf(x):
        dtype = x.dtype
        value = xp.clip(x.astype(xp.float64), -30.0, 30.0)  # erf is +-1 in float64 well before 30
        magnitude = xp.abs(value)
        square = value * value
        small = value * _polynomial(_T, square) / _polynomial(_U, square)
        middle = _polynomial(_P, magnitude) / _polynomial(_Q, magnitude)
        tail = _polynomial(_R, magnitude) / _polynomial(_S, magnitude)
        complement = xp.exp(-square) * xp.where(magnitude < 8.0, middle, tail)
        large = xp.where(value < 0, complement - 1.0, 1.0 - complement)
        result = xp.where(magnitude < 1.0, small, large)
        return result.astype(dtype)
    return erf
