"""Sine Fourier transforms between F(Q) and G(r), the Lorch modification, and the real-space conventions.

Conventions (Keen, J. Appl. Cryst. 34, 172 (2001); PDFfit/PDFgetX for G):

* F(Q) = Q[S(Q) − 1] (Å⁻¹), the reduced structure function;
* G(r) = (2/π) ∫ F(Q) M(Q) sin(Qr) dQ = 4πrρ0[g(r) − 1] (Å⁻²), the reduced PDF of PDFfit,
  PDFgetX2/X3 and PDFgui (Keen's D(r)); M(Q) = 1, or the Lorch function;
* g(r) = 1 + G(r)/(4πrρ0), the pair distribution function (dimensionless, → 1 at large r);
* R(r) = 4πr²ρ0 g(r) = rG(r) + 4πr²ρ0 (Å⁻¹), the radial distribution function, whose integral
  over a peak is a coordination number;
* T(r) = 4πrρ0 g(r) = G(r) + 4πrρ0 (Å⁻²), Keen's total correlation function;
* "G_keen" = g(r) − 1 (Keen's G(r), without the Faber–Ziman weights of a partial analysis).

ρ0 is the number density in atoms/Å³. Every converter takes and returns plain arrays; the
convention names are the strings in :data:`CONVENTIONS`.

The transform is a trapezoid-rule sum over the measured Q points. On uniform Q and r grids it is
evaluated by a chirp-z transform (:func:`scipy.signal.czt`): the same sum as the direct
O(N_Q·N_r) evaluation to rounding, in O((N_Q + N_r) log) time. Non-uniform grids use the direct sum.

Examples
--------
>>> q = np.arange(0.0, 30.0001, 0.01)
>>> fq = np.sin(q * 2.5) * np.exp(-0.003 * q * q)          # one shell at 2.5 A
>>> r = np.arange(0.01, 10.0, 0.01)
>>> g = fq_to_gr(q, fq, r)
>>> round(float(r[np.argmax(g)]), 2)
2.5
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import ConfigError, DataError

__all__ = ["fq_to_gr", "gr_to_fq", "lorch", "convert", "CONVENTIONS", "is_uniform", "exp_sum", "trapezoid_weights"]

#: Names of the real-space functions :func:`convert` goes between.
CONVENTIONS = ("G", "g", "R", "T", "G_keen")
_UNIFORM_RTOL = 1e-6


def is_uniform(x, rtol: float = _UNIFORM_RTOL) -> bool:
    """True when ``x`` is increasing with one step (to ``rtol`` of the step)."""
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        return x.size == 2 and x[1] > x[0]
    d = np.diff(x)
    return bool(d[0] > 0 and np.all(np.abs(d - d[0]) <= rtol * d[0]))


def lorch(q, qmax: float) -> np.ndarray:
    """The Lorch modification function M(Q) = sin(πQ/Qmax)/(πQ/Qmax) (1 at Q = 0, 0 at Qmax).

    It damps the termination ripples of a transform cut at Qmax, at the cost of broader peaks.
    """
    if not (isinstance(qmax, (int, float)) and math.isfinite(qmax) and qmax > 0):
        raise ConfigError(f"lorch: qmax must be a positive number, got {qmax!r}")
    return np.sinc(np.asarray(q, dtype=float) / float(qmax))


def _checked(x, y, xname: str, yname: str, context: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise DataError(f"{context}: {xname} and {yname} must be 1-D arrays of one length, got {x.shape} and {y.shape}")
    if x.size < 2:
        raise DataError(f"{context}: needs at least 2 points, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise DataError(f"{context}: {xname} or {yname} has NaN or infinite values; remove or interpolate them")
    if np.any(np.diff(x) <= 0):
        raise DataError(f"{context}: {xname} must be strictly increasing (sort the data, drop repeated points)")
    return x, y


def trapezoid_weights(x: np.ndarray) -> np.ndarray:
    """Trapezoid-rule weights of the points ``x`` (increasing)."""
    w = np.empty_like(x)
    d = np.diff(x)
    w[0], w[-1] = d[0] / 2, d[-1] / 2
    w[1:-1] = (d[:-1] + d[1:]) / 2
    return w


def exp_sum(x: np.ndarray, f: np.ndarray, y: np.ndarray, method: str = "auto") -> np.ndarray:
    """Σ_j f_j exp(i x_j y_k) for every y_k (complex): chirp-z on uniform grids, direct sum otherwise.

    Its imaginary part is the sine sum of the transforms, its real part the cosine sum.
    """
    if method not in ("auto", "czt", "direct"):
        raise ConfigError(f"method must be 'auto', 'czt' or 'direct', got {method!r}")
    uniform = is_uniform(x) and is_uniform(y)
    if method == "czt" and not uniform:
        raise ConfigError("method='czt' needs uniform Q and r grids; use 'auto' or 'direct'")
    if method == "direct" or not uniform:
        out = np.empty(y.size, complex)
        for s in range(0, y.size, 512):                  # bounded memory: 512 rows of N_x at a time
            out[s:s + 512] = np.exp(1j * np.multiply.outer(y[s:s + 512], x)) @ f
        return out
    from scipy.signal import czt
    dx, dy = (x[-1] - x[0]) / (x.size - 1), (y[-1] - y[0]) / (y.size - 1)
    x0, y0 = x[0], y[0]
    # Σ_j f_j exp(i x_j y_k) with x_j = x0 + j dx, y_k = y0 + k dy:
    # exp(i x0 y_k) · Σ_j [f_j exp(i j dx y0)] exp(i j k dx dy); scipy's czt is Σ_n x_n a^-n w^(nk),
    # so a = 1, w = exp(i dx dy)
    xj = f * np.exp(1j * np.arange(x.size) * dx * y0)
    return np.exp(1j * x0 * y) * czt(xj, m=y.size, w=np.exp(1j * dx * dy), a=1.0)


def fq_to_gr(q, fq, r, *, qmin: float | None = None, qmax: float | None = None, lorch_window: bool = False,
             method: str = "auto") -> np.ndarray:
    """G(r) = (2/π) ∫_{Qmin}^{Qmax} F(Q) M(Q) sin(Qr) dQ (trapezoid rule over the measured points).

    Parameters
    ----------
    q, fq : array_like
        Increasing Q (Å⁻¹) and F(Q) = Q[S(Q) − 1] (Å⁻¹).
    r : array_like
        Where to evaluate G (Å).
    qmin, qmax : float, optional
        Integration limits (Å⁻¹); default the ends of ``q``. Points outside are left out.
    lorch_window : bool
        Multiply F(Q) by the Lorch function of ``qmax`` (:func:`lorch`).
    method : {"auto", "czt", "direct"}
        "auto": chirp-z when the Q points used and ``r`` are uniform, else the direct sum.

    Returns
    -------
    ndarray
        G(r) in Å⁻² (PDFfit convention).
    """
    q, fq = _checked(q, fq, "Q", "F(Q)", "fq_to_gr")
    r = np.asarray(r, dtype=float)
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)):
        raise DataError("fq_to_gr: r must be a non-empty 1-D array of finite values")
    lo = q[0] if qmin is None else float(qmin)
    hi = q[-1] if qmax is None else float(qmax)
    if hi > q[-1] * (1 + 1e-9) or lo < q[0] - 1e-9 * max(1.0, abs(q[0])):
        raise DataError(f"fq_to_gr: Q range {lo:g}-{hi:g} A^-1 goes beyond the data ({q[0]:g}-{q[-1]:g} A^-1); "
                        "lower qmax or raise qmin")
    if not lo < hi:
        raise ConfigError(f"fq_to_gr: need qmin < qmax, got {lo:g} and {hi:g}")
    sel = (q >= lo - 1e-12) & (q <= hi + 1e-12)
    qs, fs = q[sel], fq[sel]
    if qs.size < 2:
        raise DataError(f"fq_to_gr: fewer than 2 Q points between {lo:g} and {hi:g} A^-1")
    if lorch_window:
        fs = fs * lorch(qs, hi)
    return (2.0 / np.pi) * exp_sum(qs, fs * trapezoid_weights(qs), r, method).imag


def gr_to_fq(r, gr, q, *, rmax: float | None = None, method: str = "auto") -> np.ndarray:
    """F(Q) = ∫_0^{rmax} G(r) sin(Qr) dr, the inverse of :func:`fq_to_gr` (trapezoid rule).

    Used for back-transforms (e.g. to check a reduction, or to remove ripples below r_min).
    """
    r, gr = _checked(r, gr, "r", "G(r)", "gr_to_fq")
    q = np.asarray(q, dtype=float)
    if q.ndim != 1 or q.size == 0 or not np.all(np.isfinite(q)):
        raise DataError("gr_to_fq: q must be a non-empty 1-D array of finite values")
    if rmax is not None:
        keep = r <= float(rmax) + 1e-12
        r, gr = r[keep], gr[keep]
        if r.size < 2:
            raise DataError(f"gr_to_fq: fewer than 2 r points below rmax = {rmax:g} A")
    return exp_sum(r, gr * trapezoid_weights(r), q, method).imag


def convert(r, y, *, source: str, target: str, rho0: float) -> np.ndarray:
    """Convert a real-space function between the conventions of :data:`CONVENTIONS`.

    Parameters
    ----------
    r : array_like
        r (Å).
    y : array_like
        The function in convention ``source``.
    source, target : str
        "G" (PDFfit G(r), Å⁻²), "g" (g(r)), "R" (R(r) = 4πr²ρ0 g, Å⁻¹), "T" (Keen's T(r), Å⁻²),
        "G_keen" (g − 1).
    rho0 : float
        Number density (atoms/Å³).

    Returns
    -------
    ndarray
        g(r) is NaN at r = 0 (undefined there from G).

    Examples
    --------
    >>> r = np.array([1.0, 2.0]); G = np.array([-0.5, 3.0])
    >>> np.allclose(convert(r, convert(r, G, source="G", target="R", rho0=0.09), source="R", target="G", rho0=0.09), G)
    True
    """
    for name, val in (("source", source), ("target", target)):
        if val not in CONVENTIONS:
            raise ConfigError(f"convert: {name} must be one of {', '.join(CONVENTIONS)}, got {val!r}")
    if not (isinstance(rho0, (int, float)) and not isinstance(rho0, bool) and math.isfinite(rho0) and rho0 > 0):
        raise ConfigError(f"convert: rho0 (atoms/A^3) must be a positive number, got {rho0!r}")
    r = np.asarray(r, dtype=float)
    y = np.asarray(y, dtype=float)
    if r.shape != y.shape:
        raise DataError(f"convert: r and the function must have one shape, got {r.shape} and {y.shape}")
    if source == target:
        return y.copy()
    four_pi_rho = 4.0 * np.pi * rho0
    with np.errstate(divide="ignore", invalid="ignore"):
        if source == "g":                                  # everything through g(r)
            g = y
        elif source == "G_keen":
            g = y + 1.0
        else:                                              # G, R, T carry a factor r: g is undefined at r = 0
            power = 2 if source == "R" else 1
            g = np.where(r > 0, y / (four_pi_rho * r ** power) + (1.0 if source == "G" else 0.0), np.nan)
    if target == "g":
        return g
    if target == "G_keen":
        return g - 1.0
    # G, R, T vanish at r = 0 whatever g does there
    base = {"G": four_pi_rho * r * (g - 1.0), "R": four_pi_rho * r * r * g, "T": four_pi_rho * r * g}[target]
    return np.where(r > 0, base, 0.0)
