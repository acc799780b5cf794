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
FWHMs of its centre (the Gaussian part and the asymmetry within 6 FWHMs, beyond
which they are below double precision), block by block of peaks so that the
temporaries stay in cache, and accumulates with ``numpy.bincount``: a 3800-point
pattern with 500 lines costs 2-4 ms. The profile is shifted to reach zero at
the cut-off, so cutting a Lorentzian tail leaves no step.
:func:`powder_pattern_derivatives` adds the analytic derivatives with respect to
every line's centre, FWHM and η (sparse) and to the asymmetry parameters, from
which the Le Bail fit builds its Jacobian.

Examples
--------
>>> import numpy as np
>>> tt = np.linspace(10, 20, 2001)
>>> y = powder_pattern(tt, np.array([15.0]), np.array([100.0]), np.array([0.1]), np.array([0.3]))
>>> round(float(np.trapezoid(y, tt)), 2), round(float(tt[np.argmax(y)]), 3)
(99.05, 15.0)
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_write_text
from ..core.errors import ConfigError, ReadError
from ..core.lineshapes import _G_NORM, _LN2, tch_fwhm_eta

__all__ = ["InstrumentProfile", "caglioti_fwhm", "lorentz_fwhm", "profile_fwhm_eta", "peak_shift_deg",
           "powder_pattern", "powder_pattern_derivatives", "chebyshev_background", "chebyshev_basis",
           "two_theta_deg", "d_spacing_from_two_theta"]

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


# Beyond this many FWHMs the Gaussian part (exp(-4 ln2 z^2) < 1e-43) and the asymmetry factor
# (2|z| exp(-z^2) < 3e-15, times a Lorentzian tail) are below double precision relative to the peak:
# they are evaluated on this inner window only, the Lorentzian on the full window.
_INNER_WINDOW = 6.0


# entries per block of peaks evaluated at once: the temporaries then stay in cache (measured 3x faster
# than one pass over ~1e5 entries); the derivatives have more temporaries, hence smaller blocks
_BLOCK_ENTRIES = 16384
_BLOCK_ENTRIES_DERIVATIVES = 8192


class _Windows:
    """Index maps of the points each peak is evaluated on: the full window and the inner one.

    ``cols[j]`` is the grid point of entry ``j``: peak after peak (peak ``k`` owns entries
    ``indptr[k]:indptr[k + 1]``), grid order within a peak; ``inner`` are the positions (into
    ``cols``) of the inner window (``None`` when it is the whole window).
    """

    __slots__ = ("cols", "counts", "counts_inner", "indptr", "indptr_inner", "inner")

    def __init__(self, tt, centers, fwhm, window):
        half = fwhm * window
        lo = np.searchsorted(tt, centers - half, side="left")
        hi = np.searchsorted(tt, centers + half, side="right")
        self.counts = counts = np.maximum(hi - lo, 0)
        self.indptr = indptr = np.concatenate([[0], np.cumsum(counts)])
        total = int(indptr[-1])
        self.cols = np.arange(total) + np.repeat(lo - indptr[:-1], counts)
        if window <= _INNER_WINDOW:
            self.inner, self.counts_inner, self.indptr_inner = None, counts, indptr
            return
        half_i = fwhm * _INNER_WINDOW
        lo_i = np.searchsorted(tt, centers - half_i, side="left")
        hi_i = np.searchsorted(tt, centers + half_i, side="right")
        ci = np.where(counts > 0, np.maximum(hi_i - lo_i, 0), 0)
        self.indptr_inner = ends_i = np.concatenate([[0], np.cumsum(ci)])
        self.counts_inner = ci
        self.inner = np.arange(int(ends_i[-1])) + np.repeat(indptr[:-1] + (lo_i - lo) - ends_i[:-1], ci)

    def blocks(self, max_entries: int | None = None):
        """Consecutive groups of peaks of about ``max_entries`` entries each, as
        ``(peak slice, entry slice, sub-windows)``: evaluating the profiles block by block keeps
        the temporaries in cache (several times faster than one pass over all entries)."""
        max_entries = _BLOCK_ENTRIES if max_entries is None else max_entries
        m = self.counts.size
        total = int(self.indptr[-1])
        if total <= max_entries:
            yield slice(0, m), slice(0, total), self
            return
        cuts = np.searchsorted(self.indptr, np.arange(max_entries, total, max_entries), side="right") - 1
        edges = np.unique(np.concatenate([[0], cuts, [m]]))
        for k0, k1 in itertools.pairwise(edges):
            e0, e1 = int(self.indptr[k0]), int(self.indptr[k1])
            sub = _Windows.__new__(_Windows)
            sub.counts = self.counts[k0:k1]
            sub.cols = self.cols[e0:e1]
            sub.indptr = self.indptr[k0:k1 + 1] - e0
            sub.counts_inner = self.counts_inner[k0:k1]
            if self.inner is None:
                sub.inner, sub.indptr_inner = None, sub.indptr
            else:
                i0, i1 = int(self.indptr_inner[k0]), int(self.indptr_inner[k1])
                sub.inner = self.inner[i0:i1] - e0
                sub.indptr_inner = self.indptr_inner[k0:k1 + 1] - i0
            yield slice(int(k0), int(k1)), slice(e0, e1), sub


def _accumulate(y, cols, weights):
    """``y[cols] += weights`` summed over repeated columns, over the columns' span only."""
    if cols.size == 0:
        return
    c0 = int(cols.min())
    part = np.bincount(cols - c0, weights=weights)
    y[c0:c0 + part.size] += part


def _peak_terms(tt, centers, fwhm, eta, weights, window, asymmetry, win, derivatives=False,
                asymmetry_derivatives=False):
    """Profile values (times ``weights``) on the window entries, and their derivatives if asked.

    Returns ``prof`` (entries of :class:`_Windows`) or ``(prof, d_center, d_fwhm, d_eta, d_p1, d_p2)``
    (``d_p1``, ``d_p2`` None unless there is asymmetry or ``asymmetry_derivatives``).
    """
    counts, ci, inner = win.counts, win.counts_inner, win.inner
    h, e, a = fwhm, eta, weights
    w2 = window * window
    # the profile's value at the cut-off (Lorentzian and Gaussian parts), subtracted so that the
    # cut leaves no step
    cut_l = 1.0 / (2.0 * np.pi * h * (w2 + 0.25))
    cut_g = _G_NORM / h * np.exp(-4.0 * _LN2 * w2)
    off = a * (e * cut_l + (1.0 - e) * cut_g)
    lor_a = a * h * (0.5 / np.pi)                    # weight * h / 2pi: weight * Lorentzian * (dx^2 + h^2/4)
    # per-peak terms spread over the entries with one repeat
    per = np.repeat(np.stack([centers, 0.25 * h * h, e * lor_a, off]), counts, axis=1)
    dx = tt[win.cols]
    dx -= per[0]
    dx2 = dx * dx
    q = dx2 + per[1]
    np.divide(1.0, q, out=q)                        # q = 1 / (dx^2 + h^2/4)
    lor_e = per[2] * q                              # weight * eta * Lorentzian
    prof = lor_e - per[3]
    # Gaussian part (and asymmetry) on the inner window
    sel = slice(None) if inner is None else inner
    kg = 4.0 * _LN2 / (h * h)
    per_i = np.repeat(np.stack([a * _G_NORM / h, -kg, e]), ci, axis=1)
    dx_i, dx2_i = dx[sel], dx2[sel]
    gau1 = np.exp(dx2_i * per_i[1])
    gau1 *= per_i[0]                                # weight * unit Gaussian
    gv = (1.0 - per_i[2]) * gau1
    p0_i = prof[sel] + gv
    p1, p2 = asymmetry
    asym = bool(p1 or p2) or (derivatives and asymmetry_derivatives)
    if asym:
        cot = 1.0 / np.tan(centers * _DEG / 2.0)
        per_a = np.repeat(np.stack([1.0 / h, cot]), ci, axis=1)
        inv_h_i, cot_i = per_a[0], per_a[1]
        z = dx_i * inv_h_i
        z2 = z * z
        ez = np.exp(-z2)
        fa = 2.0 * z * ez
        fb = 2.0 * (2.0 * z2 - 3.0) * fa
        s_i = 1.0 + (p1 * fa + p2 * fb) * cot_i
        prof[sel] = p0_i * s_i
    else:
        prof[sel] = p0_i
    if not derivatives:
        return prof
    # d/d(centre) = -d/d(dx); d/d(fwhm); d/d(eta) of the pseudo-Voigt minus its cut-off value
    per_d = np.repeat(np.stack([1.0 / h, off / h, lor_a, a * (cut_l - cut_g)]), counts, axis=1)
    d_c = 2.0 * dx * q * lor_e                       # -d/d(dx) of the Lorentzian part
    d_h = (dx2 - per[1]) * q                         # lor_e * (1/h - h q / 2) + off / h
    d_h *= lor_e
    d_h += per[3]
    d_h *= per_d[0]
    d_e = per_d[2] * q
    d_e -= per_d[3]
    kg_i = -per_i[1]
    dg_c = 2.0 * dx_i * kg_i * gv                    # -d/d(dx) of the Gaussian part
    dg_h = (2.0 * dx2_i * kg_i - 1.0) * gv * per_d[0][sel]
    d_c_i = d_c[sel] + dg_c
    d_h_i = d_h[sel] + dg_h
    d_e_i = d_e[sel] - gau1
    d_p1 = d_p2 = None
    if asym:
        dfa = 2.0 * ez * (1.0 - 2.0 * z2)
        dfb = 8.0 * z * fa + (4.0 * z2 - 6.0) * dfa
        ds_dz = (p1 * dfa + p2 * dfb) * cot_i
        ds_dc_tan = (p1 * fa + p2 * fb) * (-(1.0 + cot_i * cot_i) * (_DEG / 2.0))
        d_c_i = d_c_i * s_i - p0_i * ds_dz * inv_h_i + p0_i * ds_dc_tan
        d_h_i = d_h_i * s_i - p0_i * ds_dz * z * inv_h_i
        d_e_i = d_e_i * s_i
        d_p1 = np.zeros_like(prof)
        d_p2 = np.zeros_like(prof)
        d_p1[sel] = p0_i * fa * cot_i
        d_p2[sel] = p0_i * fb * cot_i
    d_c[sel] = d_c_i
    d_h[sel] = d_h_i
    d_e[sel] = d_e_i
    return prof, d_c, d_h, d_e, d_p1, d_p2


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
        absorbed by the extracted intensity and the background). The Gaussian
        part and the asymmetry factor are evaluated within 6 FWHMs only, where
        beyond they are below double precision.
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
    areas = np.asarray(areas, dtype=float)
    win = _Windows(tt, centers, fwhm, window)
    if win.cols.size == 0:
        out = np.zeros(tt.size)
        empty = (np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        return (out, empty) if return_profiles else out
    if return_profiles:
        ones = np.ones(centers.size)
        prof = np.empty(win.cols.size)
        for ps, es, sub in win.blocks():
            prof[es] = _peak_terms(tt, centers[ps], fwhm[ps], eta[ps], ones[ps], window, asymmetry, sub)
        y = np.bincount(win.cols, weights=prof * np.repeat(areas, win.counts), minlength=tt.size)
        return y, (np.repeat(np.arange(centers.size), win.counts), win.cols, prof)
    y = np.zeros(tt.size)
    for ps, es, sub in win.blocks():
        _accumulate(y, sub.cols, _peak_terms(tt, centers[ps], fwhm[ps], eta[ps], areas[ps], window, asymmetry, sub))
    return y


def powder_pattern_derivatives(two_theta, centers, areas, fwhm, eta, *, asymmetry=(0.0, 0.0),
                               window: float = 20.0, asymmetry_derivatives: bool = True):
    """:func:`powder_pattern` and its analytic derivatives with respect to every peak's centre, FWHM and η.

    Returns
    -------
    y : ndarray, shape (n,)
        The pattern (as :func:`powder_pattern`).
    d_center, d_fwhm, d_eta : scipy.sparse.csc_array, shape (n, m)
        ``∂y_i/∂centre_k`` etc. (areas included), so that the derivative of the pattern with
        respect to a parameter moving the peaks is ``d_center @ ∂centre/∂p + d_fwhm @ ∂fwhm/∂p
        + d_eta @ ∂η/∂p``.
    d_asymmetry : ndarray, shape (n, 2)
        ``∂y/∂P1`` and ``∂y/∂P2`` (zeros when ``asymmetry_derivatives`` is false and
        there is no asymmetry, which saves two exponentials per point).

    Examples
    --------
    >>> tt = np.linspace(10, 20, 2001)
    >>> c, a, h, e = np.array([15.0012]), np.array([100.0]), np.array([0.1]), np.array([0.3])
    >>> y, dc, dh, de, dp = powder_pattern_derivatives(tt, c, a, h, e, asymmetry=(0.05, 0.01))
    >>> num = (powder_pattern(tt, c + 1e-6, a, h, e, asymmetry=(0.05, 0.01))
    ...        - powder_pattern(tt, c - 1e-6, a, h, e, asymmetry=(0.05, 0.01))) / 2e-6
    >>> bool(np.allclose(dc.toarray()[:, 0], num, rtol=1e-6, atol=1e-6 * np.abs(num).max()))
    True
    """
    from scipy.sparse import csc_array

    tt = np.asarray(two_theta, dtype=float)
    centers = np.asarray(centers, dtype=float)
    fwhm = np.asarray(fwhm, dtype=float)
    eta = np.asarray(eta, dtype=float)
    areas = np.asarray(areas, dtype=float)
    n, m = tt.size, centers.size
    win = _Windows(tt, centers, fwhm, window)
    total = win.cols.size
    y = np.zeros(n)
    d_c, d_h, d_e = np.empty(total), np.empty(total), np.empty(total)
    d_asym = np.zeros((n, 2))
    for ps, es, sub in win.blocks(_BLOCK_ENTRIES_DERIVATIVES):
        prof, dc, dh, de, dp1, dp2 = _peak_terms(tt, centers[ps], fwhm[ps], eta[ps], areas[ps], window, asymmetry,
                                                 sub, derivatives=True, asymmetry_derivatives=asymmetry_derivatives)
        _accumulate(y, sub.cols, prof)
        d_c[es], d_h[es], d_e[es] = dc, dh, de
        if dp1 is not None:
            _accumulate(d_asym[:, 0], sub.cols, dp1)
            _accumulate(d_asym[:, 1], sub.cols, dp2)
    mats = tuple(csc_array((d, win.cols, win.indptr), shape=(n, m)) for d in (d_c, d_h, d_e))
    return y, *mats, d_asym


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
