"""Powder profiles: TCH pseudo-Voigt with Caglioti widths, asymmetry, Kα doublets, shifts, background.

Widths follow the Thompson-Cox-Hastings model (J. Appl. Cryst. 20, 79 (1987)),
all in degrees 2θ::

    H_G² = U tan²θ + V tanθ + W          (Caglioti)
    H_L  = X tanθ + Y / cosθ             (size: Y, strain: X)

combined into the total FWHM and η by :func:`structkit.core.lineshapes.tch_fwhm_eta`.
Peak asymmetry is the Bérar-Baldinozzi correction (J. Appl. Cryst. 26, 128
(1993)): the profile is multiplied by ``1 + (P1 Fa(z) + P2 Fb(z)) / tan θ``
with ``z = (2θ - 2θ_k) / FWHM``, ``Fa = 2z e^(-z²)``, ``Fb = 2(2z² - 3) Fa``.
Zero shift and sample displacement move the peaks,
``2θ_obs = 2θ_calc + zero - (360/π) s cosθ / R`` (s and R in mm).
The background is a Chebyshev series over the fitted 2θ range.

:func:`powder_pattern` evaluates each reflection only within ``window``
FWHMs of its centre and accumulates with ``numpy.bincount``, so a 7000-point
pattern with a few hundred reflections costs a few milliseconds; the profile is
shifted to reach zero at the cut-off, so cutting a Lorentzian tail leaves no step.

Examples
--------
>>> import numpy as np
>>> tt = np.linspace(10, 20, 2001)
>>> y = powder_pattern(tt, np.array([15.0]), np.array([100.0]), np.array([0.1]), np.array([0.3]))
>>> round(float(np.trapezoid(y, tt)), 2), round(float(tt[np.argmax(y)]), 3)
(99.05, 15.0)
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_write_text
from ..core.errors import ConfigError, ReadError
from ..core.lineshapes import _G_NORM, _LN2, tch_fwhm_eta

__all__ = ["InstrumentProfile", "caglioti_fwhm", "lorentz_fwhm", "profile_fwhm_eta", "peak_shift_deg",
           "powder_pattern", "chebyshev_background", "chebyshev_basis", "two_theta_deg", "d_spacing_from_two_theta"]

_DEG = np.pi / 180.0


def two_theta_deg(d_angstrom, wavelength_angstrom):
    """Bragg angle 2θ (deg) of spacing ``d``; NaN where ``λ > 2d`` (not reachable)."""
    s = wavelength_angstrom / (2.0 * np.asarray(d_angstrom, dtype=float))
    with np.errstate(invalid="ignore"):
        return np.where(s <= 1.0, 2.0 * np.degrees(np.arcsin(np.minimum(s, 1.0))), np.nan)


def d_spacing_from_two_theta(two_theta, wavelength_angstrom):
    """Spacing d (Å) from 2θ (deg).

    Examples
    --------
    >>> round(float(d_spacing_from_two_theta(7.0, 0.71414)), 3)    # seed 000's main reflection
    5.849
    """
    return wavelength_angstrom / (2.0 * np.sin(np.asarray(two_theta, dtype=float) * _DEG / 2.0))


def caglioti_fwhm(two_theta, u, v, w):
    """Gaussian FWHM (deg) ``sqrt(U tan²θ + V tanθ + W)``; clipped at a tiny positive value."""
    t = np.tan(np.asarray(two_theta, dtype=float) * _DEG / 2.0)
    return np.sqrt(np.maximum(u * t * t + v * t + w, 1e-10))


def lorentz_fwhm(two_theta, x, y):
    """Lorentzian FWHM (deg) ``X tanθ + Y / cosθ`` (not negative)."""
    th = np.asarray(two_theta, dtype=float) * _DEG / 2.0
    return np.maximum(x * np.tan(th) + y / np.cos(th), 0.0)


def profile_fwhm_eta(two_theta, u, v, w, x, y):
    """Total FWHM (deg) and η of the TCH pseudo-Voigt at each 2θ."""
    return tch_fwhm_eta(caglioti_fwhm(two_theta, u, v, w), lorentz_fwhm(two_theta, x, y))


def peak_shift_deg(two_theta, zero_deg=0.0, displacement_mm=0.0, radius_mm=240.0):
    """Observed minus calculated 2θ (deg) from the zero error and the sample displacement."""
    th = np.asarray(two_theta, dtype=float) * _DEG / 2.0
    return zero_deg - (360.0 / np.pi) * displacement_mm * np.cos(th) / radius_mm


def chebyshev_basis(two_theta, n_terms: int, lo: float | None = None, hi: float | None = None):
    """Chebyshev polynomials T_0..T_{n-1} over [lo, hi] mapped to [-1, 1]; shape (n_points, n_terms)."""
    tt = np.asarray(two_theta, dtype=float)
    lo = tt.min() if lo is None else lo
    hi = tt.max() if hi is None else hi
    xs = (2.0 * tt - (lo + hi)) / max(hi - lo, 1e-12)
    return np.polynomial.chebyshev.chebvander(xs, max(int(n_terms), 1) - 1)


def chebyshev_background(two_theta, coefficients, lo=None, hi=None):
    """Background from Chebyshev coefficients over [lo, hi]."""
    coefficients = np.asarray(coefficients, dtype=float)
    return chebyshev_basis(two_theta, coefficients.size, lo, hi) @ coefficients


def powder_pattern(two_theta, centers, areas, fwhm, eta, *, asymmetry=(0.0, 0.0), window: float = 20.0,
                   return_profiles: bool = False):
    """Sum of unit-area pseudo-Voigt peaks scaled by ``areas`` on the 2θ grid.

    Parameters
    ----------
    two_theta : ndarray, shape (n,)
        Increasing 2θ grid (deg).
    centers, areas, fwhm, eta : ndarray, shape (m,)
        Peak positions (deg), integrated intensities (counts·deg), FWHM (deg) and η.
    asymmetry : (P1, P2)
        Bérar-Baldinozzi asymmetry parameters.
    window : float
        Half-width of the evaluated range, in FWHMs. The profile's value at the
        cut-off is subtracted inside it, so the calculated pattern has no step
        where a Lorentzian tail is cut (the few per mil of area beyond are
        absorbed by the extracted intensity and the background).
    return_profiles : bool
        Also return ``(rows, cols, values)``: the unit-area profile of peak
        ``rows[j]`` at grid point ``cols[j]`` (for Le Bail extraction).

    Returns
    -------
    ndarray, shape (n,) (and the sparse profiles if asked)
    """
    tt = np.asarray(two_theta, dtype=float)
    centers = np.asarray(centers, dtype=float)
    fwhm = np.asarray(fwhm, dtype=float)
    eta = np.asarray(eta, dtype=float)
    m = centers.size
    half = fwhm * window
    lo = np.searchsorted(tt, centers - half, side="left")
    hi = np.searchsorted(tt, centers + half, side="right")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    if total == 0:
        out = np.zeros(tt.size)
        empty = (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        return (out, empty) if return_profiles else out
    rows = np.repeat(np.arange(m), counts)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    cols = np.arange(total) + starts
    dx = tt[cols] - centers[rows]
    h = fwhm[rows]
    e = eta[rows]
    z2 = (dx / h) ** 2
    prof = e * (0.5 / np.pi) * h / (dx * dx + 0.25 * h * h) + (1.0 - e) * (_G_NORM / h) * np.exp(-4.0 * _LN2 * z2)
    w2 = window * window
    prof = prof - (e * (0.5 / np.pi) / (h * (w2 + 0.25)) + (1.0 - e) * (_G_NORM / h) * np.exp(-4.0 * _LN2 * w2))
    p1, p2 = asymmetry
    if p1 or p2:
        z = dx / h
        fa = 2.0 * z * np.exp(-z * z)
        fb = 2.0 * (2.0 * z * z - 3.0) * fa
        tan_th = np.tan(centers[rows] * _DEG / 2.0)
        prof = prof * (1.0 + (p1 * fa + p2 * fb) / tan_th)
    y = np.bincount(cols, weights=prof * np.asarray(areas, dtype=float)[rows], minlength=tt.size)
    if return_profiles:
        return y, (rows, cols, prof)
    return y


@dataclass(frozen=True)
class InstrumentProfile:
    """Instrument resolution and geometry: the starting point of every fit on that instrument.

    Widths in degrees 2θ (``U, V, W`` in deg², ``X, Y`` in deg); ``zero_deg``;
    ``displacement_mm`` with ``radius_mm`` the goniometer radius; ``asymmetry``
    (P1, P2); ``radiation`` a name (``"CuKa"``) or a wavelength in Å.
    Saved and read as TOML (:meth:`save`, :meth:`load`).
    """

    radiation: str = "CuKa"
    u: float = 0.0
    v: float = 0.0
    w: float = 0.001
    x: float = 0.0
    y: float = 0.01
    zero_deg: float = 0.0
    displacement_mm: float = 0.0
    radius_mm: float = 240.0
    asymmetry: tuple[float, float] = (0.0, 0.0)
    source: str = ""
    notes: dict = field(default_factory=dict)

    def fwhm_eta(self, two_theta):
        return profile_fwhm_eta(two_theta, self.u, self.v, self.w, self.x, self.y)

    def with_(self, **changes) -> "InstrumentProfile":
        return replace(self, **changes)

    def save(self, path) -> Path:
        d = asdict(self)
        d["asymmetry"] = list(d["asymmetry"])
        lines = ["# structkit instrument profile (widths in degrees 2-theta)"]
        for k, v in d.items():
            if k == "notes":
                continue
            lines.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"')
        if d["notes"]:
            lines.append("[notes]")
            lines += [f'{k} = "{v}"' for k, v in d["notes"].items()]
        return atomic_write_text(Path(path), "\n".join(lines).replace("'", '"') + "\n")

    @classmethod
    def load(cls, path) -> "InstrumentProfile":
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ReadError("instrument profile not found", path=path) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ReadError(f"not a TOML instrument profile ({exc})", path=path) from None
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}",
                              path=path)
        if "asymmetry" in data:
            data["asymmetry"] = tuple(float(a) for a in data["asymmetry"])
        return cls(**data)
