"""Peak shapes shared by diffraction, Raman and NMR lines: pure, vectorised, area-normalised.

Every shape is parameterised by its centre and its full width at half maximum
(``fwhm``), has unit area, and broadcasts: ``x`` of shape ``(n,)`` against
centres of shape ``(m, 1)`` gives ``(m, n)``. The pseudo-Voigt of
Thompson, Cox & Hastings (J. Appl. Cryst. 20, 79 (1987)) combines a
Gaussian and a Lorentzian FWHM into the total FWHM and mixing η of the Voigt
it approximates (to about 1 %).

Examples
--------
>>> import numpy as np
>>> x = np.linspace(-50, 50, 200001)
>>> [round(float(np.trapezoid(f(x, 0.0, 1.3), x)), 3) for f in (gaussian, lorentzian)]
[1.0, 0.992]
>>> round(float(gaussian(0.65, 0.0, 1.3) / gaussian(0.0, 0.0, 1.3)), 6)
0.5
>>> h, eta = tch_fwhm_eta(1.0, 0.0)
>>> float(h), float(eta)
(1.0, 0.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["gaussian", "lorentzian", "pseudo_voigt", "tch_fwhm_eta", "fwhm_to_sigma",
           "integral_breadth_pseudo_voigt", "arctan_step", "erf_step", "voigt", "voigt_fwhm",
           "voigt_widths", "pearson7", "pearson7_height", "split_pseudo_voigt"]

_LN2 = np.log(2.0)
_G_NORM = 2.0 * np.sqrt(_LN2 / np.pi)


def fwhm_to_sigma(fwhm):
    """Gaussian standard deviation from its FWHM (``fwhm / 2√(2 ln 2)``).

    Examples
    --------
    >>> round(fwhm_to_sigma(2.3548), 3)
    1.0
    """
    return fwhm / (2.0 * float(np.sqrt(2.0 * _LN2)))


def gaussian(x, center, fwhm):
    """Unit-area Gaussian with the given FWHM."""
    return _G_NORM / fwhm * np.exp(-4.0 * _LN2 * ((x - center) / fwhm) ** 2)


def lorentzian(x, center, fwhm):
    """Unit-area Lorentzian with the given FWHM."""
    hw = 0.5 * fwhm
    return hw / np.pi / ((x - center) ** 2 + hw ** 2)


def pseudo_voigt(x, center, fwhm, eta):
    """Unit-area pseudo-Voigt ``η L + (1 - η) G`` with a common FWHM."""
    return eta * lorentzian(x, center, fwhm) + (1.0 - eta) * gaussian(x, center, fwhm)


def tch_fwhm_eta(fwhm_gauss, fwhm_lorentz):
    """Total FWHM and Lorentzian fraction η of the Thompson-Cox-Hastings pseudo-Voigt.

    Parameters
    ----------
    fwhm_gauss, fwhm_lorentz : float or ndarray
        FWHM of the Gaussian and Lorentzian components (same units).

    Returns
    -------
    (fwhm, eta)
    """
    g = np.asarray(fwhm_gauss, dtype=float)
    lo = np.asarray(fwhm_lorentz, dtype=float)
    h5 = (g ** 5 + 2.69269 * g ** 4 * lo + 2.42843 * g ** 3 * lo ** 2 + 4.47163 * g ** 2 * lo ** 3
          + 0.07842 * g * lo ** 4 + lo ** 5)
    h = h5 ** 0.2
    q = np.divide(lo, h, out=np.zeros_like(h), where=h > 0)
    eta = 1.36603 * q - 0.47719 * q ** 2 + 0.11116 * q ** 3
    return h, np.clip(eta, 0.0, 1.0)


def integral_breadth_pseudo_voigt(fwhm, eta):
    """Integral breadth (area / height) of a pseudo-Voigt.

    Examples
    --------
    >>> round(float(integral_breadth_pseudo_voigt(1.0, 0.0)), 4)   # Gaussian: FWHM * sqrt(pi / (4 ln 2))
    1.0645
    >>> round(float(integral_breadth_pseudo_voigt(1.0, 1.0)), 4)   # Lorentzian: FWHM * pi / 2
    1.5708
    """
    height = eta * 2.0 / (np.pi * fwhm) + (1.0 - eta) * _G_NORM / fwhm
    return 1.0 / height


def arctan_step(x, center, fwhm):
    """Unit-height arctangent step: the running integral of :func:`lorentzian` with the same FWHM.

    Rises from 0 to 1, is 1/2 at ``center``, and its derivative is the unit-area
    Lorentzian of FWHM ``fwhm`` (so the step covers the middle half of its height
    over one ``fwhm``). Used for absorption-edge jumps.

    Examples
    --------
    >>> float(arctan_step(0.0, 0.0, 2.0)), round(float(arctan_step(1.0, 0.0, 2.0)), 6)
    (0.5, 0.75)
    """
    return 0.5 + np.arctan(2.0 * (x - center) / fwhm) / np.pi


def erf_step(x, center, fwhm):
    """Unit-height error-function step: the running integral of :func:`gaussian` with the same FWHM.

    Examples
    --------
    >>> float(erf_step(0.0, 0.0, 2.0)), round(float(erf_step(50.0, 0.0, 2.0)), 6)
    (0.5, 1.0)
    """
    from scipy.special import erf
    return 0.5 * (1.0 + erf(2.0 * np.sqrt(_LN2) * (x - center) / fwhm))


def voigt(x, center, fwhm_gauss, fwhm_lorentz):
    """Unit-area Voigt profile: a Gaussian of FWHM ``fwhm_gauss`` convolved with a Lorentzian of FWHM ``fwhm_lorentz``.

    Evaluated with :func:`scipy.special.voigt_profile` (Faddeeva function); either
    width may be zero (pure Lorentzian or pure Gaussian). The FWHM of the result is
    :func:`voigt_fwhm`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-400, 400, 400001)
    >>> round(float(np.trapezoid(voigt(x, 0.0, 1.0, 0.5), x)), 3)   # the Lorentzian tails beyond ±400
    1.0
    >>> round(float(voigt(0.0, 0.0, 1.3, 0.0) / gaussian(0.0, 0.0, 1.3)), 9)
    1.0
    """
    from scipy.special import voigt_profile
    sigma = np.asarray(fwhm_gauss, dtype=float) / (2.0 * np.sqrt(2.0 * _LN2))
    gamma = 0.5 * np.asarray(fwhm_lorentz, dtype=float)
    return voigt_profile(np.asarray(x, dtype=float) - center, sigma, gamma)


def voigt_fwhm(fwhm_gauss, fwhm_lorentz):
    """FWHM of a Voigt profile (Olivero & Longbothum, JQSRT 17, 233 (1977); within 0.025 %).

    ``0.5346 fL + sqrt(0.21659716 fL² + fG²)``: the constant is (1 - 0.5346)², which
    the paper rounds to 0.2166, so that a pure Lorentzian comes out exact.

    Examples
    --------
    >>> float(voigt_fwhm(1.0, 0.0)), float(voigt_fwhm(0.0, 1.0))
    (1.0, 1.0)
    """
    g = np.asarray(fwhm_gauss, dtype=float)
    lo = np.asarray(fwhm_lorentz, dtype=float)
    return 0.5346 * lo + np.sqrt(_OL_C * lo ** 2 + g ** 2)


_OL_C = (1.0 - 0.5346) ** 2


def voigt_widths(fwhm, lorentz_fraction):
    """Gaussian and Lorentzian FWHM of the Voigt of total FWHM ``fwhm`` with ``fL / (fG + fL) = lorentz_fraction``.

    The inverse of :func:`voigt_fwhm` along a ray of fixed width ratio: smooth in both
    arguments, from 0 (Gaussian) to 1 (Lorentzian).

    Examples
    --------
    >>> g, lo = voigt_widths(2.0, 0.4)
    >>> round(float(voigt_fwhm(g, lo)), 12), round(float(lo / (g + lo)), 12)
    (2.0, 0.4)
    """
    f = np.asarray(fwhm, dtype=float)
    q = np.clip(np.asarray(lorentz_fraction, dtype=float), 0.0, 1.0)
    scale = f / voigt_fwhm(1.0 - q, q)
    return scale * (1.0 - q), scale * q


def pearson7_height(fwhm, m):
    """Peak height of the unit-area Pearson VII of FWHM ``fwhm`` and exponent ``m``.

    ``Γ(m) / (Γ(m - 1/2) √π a)`` with ``a = fwhm / (2 √(2^(1/m) - 1))``;
    ``m = 1`` is a Lorentzian and ``m → ∞`` a Gaussian.

    Examples
    --------
    >>> round(float(pearson7_height(2.0, 1.0) * np.pi), 12)   # Lorentzian: 2 / (pi fwhm)
    1.0
    """
    from scipy.special import gammaln
    m = np.asarray(m, dtype=float)
    a = np.asarray(fwhm, dtype=float) / (2.0 * np.sqrt(2.0 ** (1.0 / m) - 1.0))
    return np.exp(gammaln(m) - gammaln(m - 0.5)) / (np.sqrt(np.pi) * a)


def pearson7(x, center, fwhm, m):
    """Unit-area Pearson VII: ``h [1 + 4 (2^(1/m) - 1) ((x - center) / fwhm)^2]^(-m)``.

    ``h`` is :func:`pearson7_height`; ``m`` must exceed 1/2 for the area to be finite.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-200, 200, 400001)
    >>> round(float(np.trapezoid(pearson7(x, 0.0, 1.0, 2.5), x)), 4)
    1.0
    >>> round(float(pearson7(0.5, 0.0, 1.0, 2.5) / pearson7(0.0, 0.0, 1.0, 2.5)), 12)
    0.5
    """
    m = np.asarray(m, dtype=float)
    k = 4.0 * (2.0 ** (1.0 / m) - 1.0)
    u = (np.asarray(x, dtype=float) - center) / fwhm
    return pearson7_height(fwhm, m) * (1.0 + k * u * u) ** (-m)


def split_pseudo_voigt(x, center, fwhm, eta, asymmetry):
    """Unit-area asymmetric (split) pseudo-Voigt.

    Below ``center`` the profile is a pseudo-Voigt of FWHM ``fwhm (1 - asymmetry)``,
    above it one of FWHM ``fwhm (1 + asymmetry)``; both halves share the peak
    height, so the profile is continuous, its FWHM is ``fwhm`` and its maximum is
    at ``center``. ``asymmetry`` in (-1, 1): positive tails to high x. ``eta = 0``
    gives a split Gaussian, ``eta = 1`` a split Lorentzian.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-300, 300, 600001)
    >>> round(float(np.trapezoid(split_pseudo_voigt(x, 0.0, 2.0, 0.0, 0.3), x)), 6)
    1.0
    >>> round(float(split_pseudo_voigt(0.7, 0.0, 2.0, 0.4, 0.0) / pseudo_voigt(0.7, 0.0, 2.0, 0.4)), 12)
    1.0
    >>> p = split_pseudo_voigt(np.array([-0.7, 0.0, 1.3]), 0.0, 2.0, 0.0, 0.3)
    >>> [round(float(v / p[1]), 9) for v in p]   # half maximum at -fwhm(1-a)/2 and +fwhm(1+a)/2
    [0.5, 1.0, 0.5]
    """
    x = np.asarray(x, dtype=float)
    fwhm = np.asarray(fwhm, dtype=float)
    eta = np.asarray(eta, dtype=float)
    asym = np.asarray(asymmetry, dtype=float)
    w = np.where(x < center, fwhm * (1.0 - asym), fwhm * (1.0 + asym))
    u = (x - center) / w
    # eta is the Lorentzian share of the area (as in pseudo_voigt); in unit-height terms it is eta_h
    lor, gau = eta * 2.0 / np.pi, (1.0 - eta) * _G_NORM
    eta_h = lor / (lor + gau)
    shape = eta_h / (1.0 + 4.0 * u * u) + (1.0 - eta_h) * np.exp(-4.0 * _LN2 * u * u)
    return shape / integral_breadth_pseudo_voigt(fwhm, eta)
