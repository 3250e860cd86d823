"""Special functions written once against an array namespace ``xp``.

``erf`` uses the rational approximations of the Cephes library (S. L. Moshier,
ndtr.c): relative error about 1e-16 in float64.  numpy has no erf; backends whose
library has one (jax.scipy.special.erf) override this kernel.
"""

__all__ = ["build_erf", "build_erfc", "build_erfcx", "build_erfinv", "build_lgamma", "build_digamma",
           "build_bessel", "SPECIAL_BUILDERS"]

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


# ---- erfc and erfcx from the same Cephes fits (no cancellation for large x) ----
def _complement_tail(xp, magnitude):
    """``exp(x**2) * erfc(x)`` for ``x >= 1`` (Cephes' P/Q and R/S fits)."""
    middle = _polynomial(_P, magnitude) / _polynomial(_Q, magnitude)
    tail = _polynomial(_R, magnitude) / _polynomial(_S, magnitude)
    return xp.where(magnitude < 8.0, middle, tail)


def build_erfc(xp):
    """``erfc(x) = 1 - erf(x)`` without cancellation for large ``x``."""
    erf = build_erf(xp)

    def erfc(x):
        dtype = x.dtype
        value = xp.clip(x.astype(xp.float64), -30.0, 30.0)
        magnitude = xp.abs(value)
        safe = xp.maximum(magnitude, 1.0)
        tail = xp.exp(-safe * safe) * _complement_tail(xp, safe)
        positive = xp.where(magnitude < 1.0, 1.0 - erf(value), tail)
        return xp.where((value < 0) & (magnitude >= 1.0), 2.0 - tail, positive).astype(dtype)
    return erfc


def build_erfcx(xp):
    """The scaled complement ``erfcx(x) = exp(x**2) * erfc(x)`` (finite where erfc underflows)."""
    erf = build_erf(xp)

    def erfcx(x):
        dtype = x.dtype
        value = x.astype(xp.float64)
        magnitude = xp.abs(value)
        safe = xp.maximum(magnitude, 1.0)
        tail = _complement_tail(xp, safe)  # erfcx(|x|) for |x| >= 1
        small = xp.minimum(magnitude, 1.0)
        near = xp.exp(small * small) * (1.0 - erf(xp.where(value < 0, -small, small)))
        square = value * value
        grown = xp.where(square < 709.0, xp.exp(xp.minimum(square, 709.0)), xp.inf)
        negative = 2.0 * grown - tail  # erfcx(-a) = 2 exp(a**2) - erfcx(a)
        result = xp.where(magnitude < 1.0, near, xp.where(value < 0, negative, tail))
        return result.astype(dtype)
    return erfcx


def build_erfinv(xp):
    """Inverse of erf on (-1, 1): Giles' single-precision fit refined by Newton steps, on erf near 0
    and on erfc near +-1 (where ``erf(x) - y`` would cancel)."""
    erf = build_erf(xp)
    erfc = build_erfc(xp)

    def erfinv(y):
        dtype = y.dtype
        value = y.astype(xp.float64)
        inside = xp.abs(value) < 1.0
        safe = xp.where(inside, value, 0.0)
        w = -xp.log((1.0 - safe) * (1.0 + safe))
        central = w - 2.5
        p = 2.81022636e-08
        for coefficient in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                            -0.00417768164, 0.246640727, 1.50140941):
            p = p * central + coefficient
        outer = xp.sqrt(xp.maximum(w, 5.0)) - 3.0
        q = -0.000200214257
        for coefficient in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                            0.00943887047, 1.00167406, 2.83297682):
            q = q * outer + coefficient
        estimate = xp.where(w < 5.0, p, q) * safe
        magnitude = xp.abs(safe)
        tail = magnitude > 0.5
        complement = 1.0 - magnitude  # exact for magnitude > 0.5
        for _ in range(3):  # Newton steps: each squares the relative error
            slope = 1.1283791670955126 * xp.exp(-estimate * estimate)
            central_error = erf(estimate) - safe
            # near +-1: Newton on log(erfc(|x|)) = log(1 - |y|), nearly quadratic in |x| (erfc itself
            # falls like exp(-x**2) and would overshoot)
            tail_value = erfc(xp.abs(estimate))
            tail_error = (xp.log(xp.where(tail, complement, 1.0)) - xp.log(xp.where(tail, tail_value, 1.0))) * \
                tail_value
            step = xp.where(tail, xp.sign(safe) * tail_error, central_error) / slope
            estimate = estimate - step
        edge = xp.where(value == 1.0, xp.inf, xp.where(value == -1.0, -xp.inf, xp.nan))
        return xp.where(inside, estimate, edge).astype(dtype)
    return erfinv


# ---- lgamma and digamma: Lanczos and the asymptotic series, with reflection below 1/2 ----
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)


def build_lgamma(xp):
    """``log|Gamma(x)|`` (``inf`` at the poles 0, -1, -2...)."""
    def lgamma_positive(x):  # x >= 0.5
        shifted = x - 1.0
        series = _LANCZOS[0]
        for index, coefficient in enumerate(_LANCZOS[1:], start=1):
            series = series + coefficient / (shifted + index)
        t = shifted + 7.5
        return 0.9189385332046728 + (shifted + 0.5) * xp.log(t) - t + xp.log(series)

    def lgamma(x):
        dtype = x.dtype
        value = x.astype(xp.float64)
        reflect = value < 0.5
        upper = lgamma_positive(xp.where(reflect, 1.0 - value, value))
        sine = xp.abs(xp.sin(xp.pi * xp.where(reflect, value, 0.5)))
        pole = reflect & (value == xp.floor(value))
        reflected = xp.log(xp.pi / xp.where(pole, 1.0, sine)) - upper
        result = xp.where(reflect, xp.where(pole, xp.inf, reflected), upper)
        return xp.where(xp.isinf(value) & (value > 0), xp.inf, result).astype(dtype)
    return lgamma


_BERNOULLI_OVER_2K = (1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240, 1.0 / 132, -691.0 / 32760, 1.0 / 12)


def build_digamma(xp):
    """``d/dx log Gamma(x)``: ``-inf`` at 0 (as torch), ``nan`` at the negative integers."""
    def digamma_positive(x):  # x > 0: shift up to >= 10, then the asymptotic series
        result = xp.zeros_like(x)
        for _ in range(10):
            low = x < 10.0
            result = result - xp.where(low, 1.0 / x, 0.0)
            x = xp.where(low, x + 1.0, x)
        inverse_square = 1.0 / (x * x)
        series = 0.0
        for coefficient in reversed(_BERNOULLI_OVER_2K):
            series = series * inverse_square + coefficient
        return result + xp.log(x) - 0.5 / x - series * inverse_square

    def digamma(x):
        dtype = x.dtype
        value = x.astype(xp.float64)
        reflect = value < 0.5
        upper = digamma_positive(xp.where(reflect, 1.0 - value, value))
        tangent = xp.tan(xp.pi * xp.where(reflect, value, 0.25))
        reflected = upper - xp.pi / tangent
        pole = reflect & (value == xp.floor(value))
        result = xp.where(reflect, xp.where(pole, xp.where(value == 0, -xp.inf, xp.nan), reflected), upper)
        return result.astype(dtype)
    return digamma


# ---- modified Bessel functions of the first kind, orders 0 and 1 (and their e^-|x| scaled forms) ----
def _bessel_scaled(xp, x, order):
    """``exp(-|x|) * I_order(|x|)``: the power series up to |x| = 30, the asymptotic series beyond."""
    magnitude = xp.abs(x)
    small = xp.minimum(magnitude, 30.0)
    quarter_square = small * small / 4.0
    term = xp.ones_like(small) if order == 0 else small / 2.0
    total = term
    for k in range(1, 90):
        term = term * quarter_square / (k * (k + order))
        total = total + term
    series = total * xp.exp(-small)
    large = xp.maximum(magnitude, 30.0)
    mu = 4.0 * order * order
    term = xp.ones_like(large)
    asymptotic = term
    for k in range(1, 16):
        term = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * large)
        asymptotic = asymptotic + term
    asymptotic = asymptotic / xp.sqrt(2.0 * xp.pi * large)
    return xp.where(magnitude <= 30.0, series, asymptotic)


def build_bessel(xp, order, scaled):
    """``i0``, ``i1`` (``scaled=False``) or ``i0e``, ``i1e`` (``scaled=True``); ``i1`` is odd."""
    def bessel(x):
        dtype = x.dtype
        value = x.astype(xp.float64)
        result = _bessel_scaled(xp, value, order)
        if not scaled:
            result = result * xp.exp(xp.abs(value))
        if order == 1:
            result = xp.where(value < 0, -result, result)
        return result.astype(dtype)
    return bessel


SPECIAL_BUILDERS = {
    "erfc": build_erfc, "erfcx": build_erfcx, "erfinv": build_erfinv, "lgamma": build_lgamma,
    "digamma": build_digamma,
    "i0": lambda xp: build_bessel(xp, 0, False), "i0e": lambda xp: build_bessel(xp, 0, True),
    "i1": lambda xp: build_bessel(xp, 1, False), "i1e": lambda xp: build_bessel(xp, 1, True),
}
