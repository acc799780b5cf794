"""EXAFS wavelet transforms: Cauchy (larch's) and Morlet, on one (k, R) grid, with maxima as descriptors.

A wavelet transform W(k, R) of k^w·χ(k) spreads the EXAFS over k *and* R: at the
R of a shell, |W| along k follows that shell's amplitude envelope, whose
maximum sits at low k for light backscatterers (O, Cl) and at high k for heavy
ones (Ta, Pt, Pb). :meth:`WaveletResult.maxima` turns that into numbers
(k_max, R_max, |W|max per R window) for the descriptor table.

Both transforms are computed the same way: one FFT of the zero-padded,
k-weighted (and optionally windowed) signal, a filter per R row, one batched
inverse FFT. Output index ``m`` is the wavelet centred on ``k[m]``.

Conventions
-----------
* ``coefficients`` has shape **(n_R, n_k)**: rows are R, columns are k (larch's
  ``wcauchy`` orientation); ``magnitude = |coefficients|``.
* R is in Å and is *not phase-corrected*: like |χ(R)|, a shell at distance d
  appears at d minus ~0.3-0.5 Å.
* Default R grid (:func:`wavelet_r_grid`): larch's, ``n = round((rmax_out - 1e-7)
  / (π/(2048·kstep)))`` points from 0 to ``rmax_out`` (196 points for kstep
  0.05 Å⁻¹ and rmax_out 6 Å). The row R = 0 is identically zero.
* The k grid must be uniform (FFT); k-weight ``w`` multiplies χ by k^w, the
  optional window (larch's ``ftwindow``, as in ``xftf``) multiplies after that.

Cauchy (:func:`cauchy_wt`)
    Filter in ω (the angular frequency in k; sin(2kR) has ω = 2R), for ω > 0:
    ``ψ̂(aω) = 2π (aω)ⁿ e^(−aω) / n!`` with scale ``a = n/(2R)``, so the filter
    peaks at ω = 2R and |W| of a pure sin(2kR0) peaks at R = R0. In k the
    wavelet is ``(1/a)(1 − ik/a)^−(n+1)``; its k-width is ≈ √n/(2R).
    **larch's order is n = the number of R points** (``nrpts``), i.e. it is set by
    ``rmax_out`` and the k step (n = 196 for rmax_out 6, 326 for rmax_out 10 at
    kstep 0.05): changing the output R range changes the k-resolution.
    ``order=None`` keeps that rule (and reproduces ``larch.xafs.cauchy_wavelet``
    to ~1e-13); ``order=n`` fixes n whatever the grid. A Cauchy wavelet of order
    n has about the k-resolution of a Morlet wavelet with η·σ ≈ √n.
Morlet (:func:`morlet_wt`)
    Funke et al. (2005): ``W(k, r) = √(2r) ∫ k'^w χ(k') ψ*[2r(k' − k)] dk'`` with
    ``ψ(t) = exp(iηt) exp(−t²/(2σ²))``. Taken literally its modulus for sin(2kR0)
    peaks at r = R0/η; structkit labels rows by **R = η·r**, so the map is in Å like
    |χ(R)| and the Cauchy map. In these terms the wavelet is a Gaussian of k-width
    (standard deviation) ``s(R) = ησ/(2R)`` times exp(−2iR(k' − k)); only the
    product ησ sets the shape. ``normalization="amplitude"`` (default) scales it
    so that |W| along the ridge equals the local amplitude of k^w·χ (|W| = A for
    A·sin(2kR0), and its maximum over R is at R0 exactly, up to the negligible
    negative-frequency term); ``"funke"`` keeps the √(2r) factor of the formula,
    which tilts the map as R^(−1/2) and moves the maximum to R0·(1 − 1/(2η²σ²)) < R0.

Cone of influence
-----------------
``coi[i, m]`` is True where the wavelet centred at ``k[m]`` at scale ``r[i]``
reaches beyond the measured k range (the input k range, or where the window
exceeds 1 % of its maximum): the distance from ``k[m]`` to the nearer end is
less than the half-width at which the wavelet's modulus falls to 1/e of its
centre value (wavelet power e⁻², the Torrence & Compo 1998 criterion). That
half-width is √2·ησ/(2R) for Morlet and (n/2R)·√(e^(2/(n+1)) − 1) ≈ √(2n)/(2R)
for Cauchy. Maxima and ridges are taken outside the COI only.

Examples
--------
>>> k = np.arange(0, 16.0001, 0.05)
>>> chi = np.sin(2 * k * 2.5) * np.exp(-0.01 * k ** 2) / k.clip(0.05) ** 2
>>> res = morlet_wt(k, chi, kweight=2, rmax_out=6)
>>> res.coefficients.shape, res.kind
((196, 321), 'morlet')
>>> row = res.maxima([(2.0, 3.0)]).iloc[0]
>>> round(float(row["R_max"]), 1), bool(row["k_max"] > 2)
(2.5, True)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError
from ..core.frozen import FrozenMap
from ..core.summary import SummaryRepr

__all__ = ["WaveletResult", "cauchy_wt", "morlet_wt", "path_wavelet", "wavelet_r_grid", "window_label"]

#: larch counts R points with the xftf R step π/(2048·kstep), whatever ``nfft``.
_LARCH_R_NFFT = 2048
#: filter values below exp(-700) (~1e-304) are set to zero (exp of such arguments is slow and useless).
_LOG_TINY = -700.0
#: the filters are evaluated only where they exceed e^-40 (4e-18) of their peak; below that their
#: contribution is under the FFT's own round-off.
_BAND_LOG = 40.0
#: part of the window maximum above which k counts as "measured" for the cone of influence.
_WINDOW_SUPPORT = 0.01
_NORMS = {"cauchy": ("larch", "amplitude"), "morlet": ("amplitude", "funke")}


# -- grids and input checks -------------------------------------------------------------------

def wavelet_r_grid(kstep: float, rmax_out: float = 10.0) -> np.ndarray:
    """larch's wavelet R grid (Å) for a k step (Å⁻¹): ``linspace(0, rmax_out, n)``.

    ``n = round((rmax_out − 1e-7) / (π / (2048·kstep)))``; the actual step is
    ``rmax_out/(n − 1)``, close to the xftf R step π/(2048·kstep). larch stores
    1e-19 instead of 0 in the first point; here it is 0.

    Examples
    --------
    >>> r = wavelet_r_grid(0.05, rmax_out=6.0)
    >>> r.size, float(r[0]), round(float(r[1] - r[0]), 5)
    (196, 0.0, 0.03077)
    """
    kstep = float(kstep)
    rmax_out = float(rmax_out)
    if not (math.isfinite(kstep) and kstep > 0):
        raise ConfigError(f"wavelet_r_grid: kstep must be a positive number of Å^-1, got {kstep!r}")
    if not (math.isfinite(rmax_out) and rmax_out > 0):
        raise ConfigError(f"wavelet_r_grid: rmax_out must be a positive number of Å, got {rmax_out!r}")
    n = round((rmax_out - 1e-7) / ((np.pi / _LARCH_R_NFFT) / kstep))
    if n < 3:
        raise ConfigError(f"wavelet_r_grid: rmax_out={rmax_out:g} Å gives only {n} R points for kstep "
                          f"{kstep:g} Å^-1; raise rmax_out")
    return np.linspace(0.0, rmax_out, n)


def _check_inputs(k, chi, kweight, context: str) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(k, chi, kstep, kweight) checked: 1-D, same length, finite, real, uniform, increasing k >= 0."""
    if isinstance(kweight, bool) or not isinstance(kweight, numbers.Real) or not math.isfinite(kweight):
        raise DataError(f"{context}: kweight must be a finite number (usually 1, 2 or 3), got {kweight!r}")
    k = np.asarray(k)
    chi = np.asarray(chi)
    if k.ndim != 1 or chi.ndim != 1:
        raise DataError(f"{context}: k and chi must be 1-D arrays, got shapes {k.shape} and {chi.shape}")
    if k.size != chi.size:
        raise DataError(f"{context}: k has {k.size} points but chi has {chi.size}; give chi on the k grid")
    if np.iscomplexobj(k) or np.iscomplexobj(chi):
        raise DataError(f"{context}: k and chi must be real; pass chi(k), not a transform")
    try:
        k = k.astype(float)
        chi = chi.astype(float)
    except (TypeError, ValueError):
        raise DataError(f"{context}: k and chi must be numeric arrays") from None
    if k.size < 8:
        raise DataError(f"{context}: only {k.size} k points; a wavelet transform needs at least 8")
    for name, arr in (("k", k), ("chi", chi)):
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{context}: {name} has {int(bad.sum())} non-finite value(s), the first at index {i}; "
                            "drop or interpolate them first")
    steps = np.diff(k)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise DataError(f"{context}: k must increase strictly (k[{i}] = {k[i]:g}, k[{i + 1}] = {k[i + 1]:g})")
    if k[0] < 0:
        raise DataError(f"{context}: k starts at {k[0]:g} Å^-1; photoelectron wavenumbers are >= 0")
    kstep = float((k[-1] - k[0]) / (k.size - 1))
    offset = float(np.max(np.abs(k - (k[0] + kstep * np.arange(k.size)))))
    if offset > 0.01 * kstep:
        raise DataError(
            f"{context}: the k grid is not uniform (steps from {steps.min():.4g} to {steps.max():.4g} Å^-1; a point "
            f"lies {offset:.3g} Å^-1 off the uniform grid). FFT wavelet transforms (this one, larch's "
            "cauchy_wavelet, pywt.cwt) assume a uniform k grid and give wrong maps otherwise: use the k of "
            "autobk (uniform 0.05 Å^-1) or interpolate, e.g. kk = np.arange(0, k.max(), 0.05); "
            "chi = np.interp(kk, k, chi)")
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = k ** float(kweight)
    if not np.all(np.isfinite(weighted)):
        raise DataError(f"{context}: k**{kweight:g} is not finite at k = {k[0]:g}; use kweight >= 0 "
                        "or a k grid that starts above 0")
    return k, chi, kstep, float(kweight)


def _window_array(k, window, kmin, kmax, dk, dk2, context: str):
    """(weights or None, description) for ``window``: None, a larch window name, or an array on k."""
    if window is None:
        if any(v is not None for v in (kmin, kmax, dk, dk2)):
            raise ConfigError(f"{context}: kmin/kmax/dk set a window's shape; also pass window='hanning' "
                              "(or another larch window name, or an array)")
        return None, {"window": None}
    if isinstance(window, str):
        from . import _larch
        xafs = _larch.xafs()
        lo = float(k[0]) if kmin is None else float(kmin)
        hi = float(k[-1]) if kmax is None else float(kmax)
        d1 = 1.0 if dk is None else float(dk)
        if not lo < hi:
            raise ConfigError(f"{context}: window needs kmin < kmax, got kmin={lo:g}, kmax={hi:g}")
        try:
            w = xafs.ftwindow(k, xmin=lo, xmax=hi, dx=d1, dx2=dk2, window=window)
        except Exception as exc:  # noqa: BLE001 - larch raises assorted types on bad names
            raise ConfigError(f"{context}: larch ftwindow failed for window={window!r} ({exc}); names are "
                              "'hanning', 'parzen', 'welch', 'gaussian', 'sine', 'kaiser', 'bessel'") from None
        w = np.asarray(w, float)
        return w, {"window": window, "kmin": lo, "kmax": hi, "dk": d1, "dk2": None if dk2 is None else float(dk2)}
    if any(v is not None for v in (kmin, kmax, dk, dk2)):
        raise ConfigError(f"{context}: kmin/kmax/dk only apply to a named window, not to an array")
    w = np.asarray(window, float)
    if w.shape != k.shape or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise DataError(f"{context}: a window array must be finite, >= 0, not all zero and have one value per k "
                        f"point ({k.size}); got shape {w.shape}")
    return w, {"window": "array"}


def _measured_range(k, w) -> tuple[float, float]:
    if w is None:
        return float(k[0]), float(k[-1])
    inside = np.flatnonzero(w >= _WINDOW_SUPPORT * w.max())
    return float(k[inside[0]]), float(k[inside[-1]])


def _r_axis(r, kstep, rmax_out, context):
    if r is None:
        return wavelet_r_grid(kstep, rmax_out)
    r = np.asarray(r, float)
    if r.ndim != 1 or r.size < 3 or not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(np.diff(r) <= 0):
        raise ConfigError(f"{context}: r must be a strictly increasing 1-D array of >= 3 distances >= 0 (Å)")
    return r


def _check_nfft(nfft, n_k, context):
    if isinstance(nfft, bool) or not isinstance(nfft, numbers.Integral) or nfft < 16 or nfft % 2:
        raise ConfigError(f"{context}: nfft must be an even integer >= 16, got {nfft!r}")
    if n_k > nfft // 2:
        raise ConfigError(f"{context}: {n_k} k points do not fit nfft={nfft} (at most nfft/2 = {nfft // 2}, as in "
                          f"larch); pass nfft >= {2 * n_k}")
    return int(nfft)


def _spectrum(f, nfft):
    """FFT of f zero-padded to 2·nfft points."""
    return np.fft.fft(f, n=2 * nfft)


def _apply(spectrum, logfilt, log_peak, lo: int, n_out: int):
    """Per row, ifft of exp(logfilt)·spectrum, first ``n_out`` points.

    Column c of ``logfilt`` is FFT bin ``lo + c`` (negative bins are negative frequencies).
    The filter is zero on the other bins and wherever it is below e^-40 of its row's peak
    ``exp(log_peak)``, so that each row depends on its own R only, not on the rest of the grid.
    """
    n = spectrum.size
    filt = np.zeros(logfilt.shape)
    floor = np.maximum(np.asarray(log_peak, float) - _BAND_LOG, _LOG_TINY)
    np.exp(logfilt, out=filt, where=logfilt > np.broadcast_to(floor, (logfilt.shape[0],))[:, None])
    work = np.zeros((logfilt.shape[0], n), complex)
    hi = lo + logfilt.shape[1]
    pieces = [(max(lo, 0), hi)] + ([(lo, min(hi, 0))] if lo < 0 else [])
    for b0, b1 in pieces:
        f = filt[:, b0 - lo:b1 - lo]
        sel = work[:, b0 % n:(b0 % n) + (b1 - b0)]
        np.multiply(f, spectrum[b0 % n:(b0 % n) + (b1 - b0)].real, out=sel.real)
        np.multiply(f, spectrum[b0 % n:(b0 % n) + (b1 - b0)].imag, out=sel.imag)
    return _ifft_rows(work)[:, :n_out]


def _ifft_rows(work):
    """Inverse FFT of every row, in place (scipy's pocketfft, one thread: deterministic)."""
    import scipy.fft
    return scipy.fft.ifft(work, axis=1, overwrite_x=True)


def _cauchy_band(n: int) -> tuple[float, float]:
    """x = aω range where (x/n)^n e^(n−x), the Cauchy filter relative to its peak, exceeds e^-40."""
    from scipy.special import lambertw
    z = -math.exp(-1.0 - _BAND_LOG / n)          # x/n = −W(z) on both branches of ln t − t + 1 = −40/n
    return float(-lambertw(z, 0).real) * n, float(-lambertw(z, -1).real) * n


# -- the transforms ---------------------------------------------------------------------------

#: Morlet rows are filtered in blocks of this many R values, each over its own frequency band
_MORLET_BLOCK = 48

def cauchy_wt(k, chi, *, kweight: float = 2, rmax_out: float = 10.0, nfft: int = 2048, window=None,
              kmin: float | None = None, kmax: float | None = None, dk: float | None = None,
              dk2: float | None = None, order: int | None = None, normalization: str = "larch",
              r=None, r_windows=(), sample: str = "", conditions: Mapping[str, Any] | None = None,
              source: str = "", label: str = "") -> WaveletResult:
    """Cauchy wavelet transform of k^w·χ(k) (Muñoz, Argoul & Farges 2003), larch's algorithm vectorised.

    Parameters
    ----------
    k, chi : array_like
        Uniform k grid (Å⁻¹, >= 0) and χ(k), e.g. autobk's ``k``/``chi``.
    kweight : float
        k-weight w: the transform is of k^w·χ(k) (larch's default is 0; structkit's 2).
    rmax_out : float
        Largest R of the default grid (:func:`wavelet_r_grid`), Å.
    nfft : int
        χ is zero-padded to ``2·nfft`` points (larch's convention); needs ``nfft >= 2·len(k)``.
    window : None, str or array_like
        None (larch's behaviour), a larch ``ftwindow`` name (``'hanning'``, ``'kaiser'``, ...) shaped
        by ``kmin, kmax, dk, dk2`` as in ``xftf``, or weights on ``k``. Multiplies k^w·χ.
    order : int, optional
        Cauchy order n. None: larch's rule, n = the number of R points (so it changes with
        ``rmax_out``, the k step or ``r``). A fixed n keeps the wavelet's shape whatever the grid;
        n ≈ (ησ)² matches the k-resolution of a Morlet wavelet (e.g. 36 for η = 6, σ = 1).
    normalization : {"larch", "amplitude"}
        ``"larch"``: filter 2π(aω)ⁿe^(−aω)/n! (peak ≈ √(2π/n)). ``"amplitude"``: scaled to peak 2,
        so |W| along the ridge equals the local amplitude of k^w·χ, as for :func:`morlet_wt`.
    r : array_like, optional
        R grid (Å, increasing, >= 0) instead of the default one.
    r_windows : sequence of (rmin, rmax)
        Default R windows (Å) of :meth:`WaveletResult.maxima`, ``descriptors`` and ``to_frame``.
    sample, conditions, source, label
        Carried to the result and its descriptors.

    Returns
    -------
    WaveletResult
        ``kind='cauchy'``, coefficients of shape (n_R, n_k).

    Notes
    -----
    For k steps that are multiples of 0.001 Å⁻¹ (autobk's and ff2chi's 0.05) and ``order=None``,
    ``normalization='larch'``, ``window=None``, the coefficients equal larch's ``wcauchy``
    (max deviation ~1e-13 of max |W|). larch rounds the k step to 0.001 Å⁻¹, which mis-scales R
    for other steps; structkit uses the true step. larch's first R point is 1e-19, here 0.

    Examples
    --------
    >>> k = np.arange(0, 16.0001, 0.05)
    >>> res = cauchy_wt(k, np.sin(2 * k * 3.0), kweight=0, rmax_out=6, order=40)
    >>> res.parameters["order"], res.magnitude.shape
    (40, (196, 321))
    >>> round(float(res.maxima([(2.0, 4.0)])["R_max"].iloc[0]), 2)
    3.0
    """
    ctx = "cauchy_wt"
    k, chi, kstep, w = _check_inputs(k, chi, kweight, ctx)
    nfft = _check_nfft(nfft, k.size, ctx)
    if normalization not in _NORMS["cauchy"]:
        raise ConfigError(f"{ctx}: normalization must be one of {_NORMS['cauchy']}, got {normalization!r}")
    r = _r_axis(r, kstep, rmax_out, ctx)
    if order is None:
        n, rule = r.size, "larch: number of R points"
    else:
        if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
            raise ConfigError(f"{ctx}: order must be a positive integer (or None for larch's rule), got {order!r}")
        n, rule = int(order), "fixed"
    win, win_desc = _window_array(k, window, kmin, kmax, dk, dk2, ctx)
    f = chi * k ** w
    if win is not None:
        f = f * win

    spec = _spectrum(f, nfft)
    rows = np.flatnonzero(r > 0)
    a = n / (2.0 * r[rows])
    x_lo, x_hi = _cauchy_band(n)
    dw = np.pi / (nfft * kstep)                                 # ω step (rad per Å^-1) of the 2·nfft-point FFT
    j_lo = min(int(x_lo / a.max() / dw), nfft)
    j_hi = min(math.ceil(x_hi / a.min() / dw) + 1, nfft)   # only ω >= 0: the wavelet is analytic
    omega = dw * np.arange(j_lo, j_hi)
    with np.errstate(divide="ignore"):
        log_omega = np.log(omega)                               # -inf at ω = 0: the filter vanishes there
    if normalization == "larch":
        const = math.log(2.0 * math.pi) - math.lgamma(n + 1.0)
    else:                                                       # 2·(aω/n)^n·e^(n − aω): peak 2 at aω = n
        const = math.log(2.0) + n - n * math.log(n)
    logfilt = np.multiply.outer(a, -omega)
    logfilt += n * log_omega
    logfilt += (const + n * np.log(a))[:, None]
    coef = np.zeros((r.size, k.size), complex)
    coef[rows] = _apply(spec, logfilt, const + n * math.log(n) - n, j_lo, k.size)

    half = a * np.sqrt(np.expm1(2.0 / (n + 1.0)))
    params = {"order": n, "order_rule": rule, "normalization": normalization, "nfft": nfft,
              "kstep": kstep, "rmax_out": float(r[-1]), **win_desc}
    return _result(k, r, coef, "cauchy", w, params, rows, half, win, r_windows, sample, conditions, source, label)


def morlet_wt(k, chi, *, kweight: float = 2, eta: float = 6.0, sigma: float = 1.0, r=None,
              rmax_out: float = 10.0, nfft: int = 2048, window=None, kmin: float | None = None,
              kmax: float | None = None, dk: float | None = None, dk2: float | None = None,
              normalization: str = "amplitude", r_windows=(), sample: str = "",
              conditions: Mapping[str, Any] | None = None, source: str = "", label: str = "") -> WaveletResult:
    """Morlet wavelet transform of k^w·χ(k) (Funke et al. 2005), FFT-based, rows labelled by R in Å.

    ``W(k, R) = c(R) ∫ k'^w χ(k') exp(−2iR(k' − k)) exp(−(k' − k)²/(2s²)) dk'`` with
    ``s = ησ/(2R)``: the Funke formula at r = R/η (see the module notes). The filter is applied to
    positive frequencies only (a progressive Morlet, as in Torrence & Compo 1998); what that leaves
    out is below e^(−(ησ)²/2) of the peak.

    Parameters
    ----------
    k, chi : array_like
        Uniform k grid (Å⁻¹, >= 0) and χ(k).
    kweight : float
        k-weight w.
    eta, sigma : float
        Morlet frequency η and Gaussian width σ (seed formula; typically η 5-10, σ = 1). Only ησ
        matters for the shape: k-resolution s = ησ/(2R), R-resolution (standard deviation) R/(ησ).
        ησ below ~5 makes the wavelet non-admissible in practice (a k-average leaks into W).
        The default η = 6 favours k-resolution (what tells light from heavy backscatterers):
        at R = 2 Å, s = 1.5 Å⁻¹ and the R standard deviation is 0.33 Å; use η ≈ 10 to resolve
        shells less than ~1 Å apart.
    r : array_like, optional
        R grid (Å); default :func:`wavelet_r_grid` ``(kstep, rmax_out)``, the Cauchy grid.
    rmax_out, nfft, window, kmin, kmax, dk, dk2, r_windows, sample, conditions, source, label
        As for :func:`cauchy_wt`.
    normalization : {"amplitude", "funke"}
        ``"amplitude"``: c(R) = 4R/(√(2π)ησ), so |W| = A on the ridge of A·sin(2kR0) and the
        maximum over R is at R0. ``"funke"``: c = √(2r) of the formula (r = R/η); |W| then scales as
        R^(−1/2) and the maximum sits at ≈ R0·(1 − 1/(2η²σ²)).

    Returns
    -------
    WaveletResult
        ``kind='morlet'``, coefficients of shape (n_R, n_k).

    Examples
    --------
    >>> k = np.arange(0, 16.0001, 0.05)
    >>> res = morlet_wt(k, 0.5 * np.sin(2 * k * 2.0), kweight=0, rmax_out=6)
    >>> round(float(res.magnitude[65, 160]), 3), round(float(res.r[65]), 3)
    (0.5, 2.0)
    """
    ctx = "morlet_wt"
    k, chi, kstep, w = _check_inputs(k, chi, kweight, ctx)
    nfft = _check_nfft(nfft, k.size, ctx)
    for name, val in (("eta", eta), ("sigma", sigma)):
        if isinstance(val, bool) or not isinstance(val, numbers.Real) or not (math.isfinite(val) and val > 0):
            raise ConfigError(f"{ctx}: {name} must be a positive number, got {val!r}")
    if normalization not in _NORMS["morlet"]:
        raise ConfigError(f"{ctx}: normalization must be one of {_NORMS['morlet']}, got {normalization!r}")
    eta, sigma = float(eta), float(sigma)
    r = _r_axis(r, kstep, rmax_out, ctx)
    win, win_desc = _window_array(k, window, kmin, kmax, dk, dk2, ctx)
    f = chi * k ** w
    if win is not None:
        f = f * win

    n_fft = 2 * nfft
    spec = _spectrum(f, nfft)
    rows = np.flatnonzero(r > 0)
    rr = r[rows]
    es = eta * sigma
    # log filter relative to its peak: -(ω − 2R)² s²/2 with s = ησ/(2R), i.e. -(ησ)²/8 · (ω/R − 2)²;
    # it exceeds -40 for |ω/R − 2| < d. Negative frequencies are left out (the progressive Morlet of
    # Torrence & Compo 1998): there the filter is below e^(-(ησ)²/2) of its peak (1.5e-8 for ησ = 6),
    # and leaving them out narrows the band of large-R rows by a third
    d = math.sqrt(8.0 * _BAND_LOG) / es
    dw = 2.0 * np.pi / (n_fft * kstep)
    if normalization == "amplitude":
        log_c = np.full(rr.size, math.log(2.0))
    else:
        log_c = np.log(sigma * np.sqrt(np.pi * eta / rr))
    coef = np.zeros((r.size, k.size), complex)
    # rows in blocks, each with the band its own R values need (the band of row R is proportional to R)
    for b0 in range(0, rr.size, _MORLET_BLOCK):
        sl = slice(b0, b0 + _MORLET_BLOCK)
        rb = rr[sl]
        j_lo = max(math.floor(max((2.0 - d) * rb.min(), 0.0) / dw), 0)
        j_hi = min(math.ceil((2.0 + d) * rb.max() / dw) + 1, n_fft // 2)
        omega = dw * np.arange(j_lo, j_hi)
        x = np.multiply.outer(1.0 / rb, omega)
        x -= 2.0
        np.square(x, out=x)
        x *= -(es * es) / 8.0
        x += log_c[sl, None]
        coef[rows[sl]] = _apply(spec, x, log_c[sl], j_lo, k.size)

    half = math.sqrt(2.0) * es / (2.0 * rr)
    params = {"eta": eta, "sigma": sigma, "normalization": normalization, "nfft": nfft, "kstep": kstep,
              "rmax_out": float(r[-1]), **win_desc}
    return _result(k, r, coef, "morlet", w, params, rows, half, win, r_windows, sample, conditions, source, label)


def _result(k, r, coef, kind, kweight, params, rows, half_pos, win, r_windows, sample, conditions, source,
            label):
    half = np.full(r.size, np.inf)
    half[rows] = half_pos
    lo, hi = _measured_range(k, win)
    coi = ((k[None, :] - lo) < half[:, None]) | ((hi - k[None, :]) < half[:, None])
    return WaveletResult(k=k, r=r, coefficients=coef, kind=kind, kweight=kweight, parameters=params,
                         coi=coi, coi_half_width=half, k_range=(lo, hi), k_window=win,
                         r_windows=_normalise_windows(r_windows, f"{kind}_wt"),
                         sample=str(sample), conditions=dict(conditions or {}), source=str(source),
                         label=str(label))


def path_wavelet(path, *, kind: str = "morlet", kweight: float = 2, chi_kmax: float = 20.0, chi_kstep: float = 0.05,
                 **transform) -> WaveletResult:
    """Wavelet transform of one FEFF path's χ(k), for comparison with the data's map.

    Parameters
    ----------
    path : FeffPath, larch FeffPathGroup, object with ``.k`` and ``.chi`` (an Exafs), or (k, chi)
        A :class:`~structkit.xas.feff.FeffPath` is taken with FEFF's own parameters (use
        ``path.larch_path(sigma2=...)`` or :meth:`FeffResult.chi` for others). A ``FeffPathGroup``
        whose ``k``/``chi`` are not computed yet gets them from larch's
        ``path2chi(path, kmax=chi_kmax, kstep=chi_kstep)`` with its current path parameters
        (s02, sigma2, e0, ...).
    kind : {"morlet", "cauchy"}
        Which transform: :func:`morlet_wt` or :func:`cauchy_wt`.
    chi_kmax, chi_kstep : float
        The k grid of a path's χ(k) when it is computed here (Å⁻¹).
    kweight, **transform
        Passed on (eta, sigma, order, rmax_out, r, window, kmin, kmax, dk, ...): use the data's
        settings to get maps on the same (k, R) grid.

    Returns
    -------
    WaveletResult
        ``label`` is the path's label; ``parameters`` adds ``reff`` and ``degen`` when known.

    Examples
    --------
    >>> k = np.arange(0, 18.0001, 0.05)
    >>> res = path_wavelet((k, np.sin(2 * k * 2.2)), kweight=0, rmax_out=5, label="toy")
    >>> res.label, res.kind
    ('toy', 'morlet')
    """
    if kind not in ("morlet", "cauchy"):
        raise ConfigError(f"path_wavelet: kind must be 'morlet' or 'cauchy', got {kind!r}")
    extra: dict[str, Any] = {}
    if hasattr(path, "larch_path") and not hasattr(path, "chi"):        # structkit FeffPath
        path = path.larch_path()
    if isinstance(path, (tuple, list)) and len(path) == 2:
        k, chi = path
    elif hasattr(path, "k") and hasattr(path, "chi"):
        if getattr(path, "k", None) is None or getattr(path, "chi", None) is None:
            if not hasattr(path, "_feffdat"):
                raise DataError("path_wavelet: the path has no k/chi arrays; compute them (larch path2chi) first")
            from . import _larch
            _larch.xafs().path2chi(path, kmax=chi_kmax, kstep=chi_kstep)
        k, chi = path.k, path.chi
        for attr in ("reff", "degen"):
            val = getattr(path, attr, None)
            if isinstance(val, numbers.Real):
                extra[attr] = float(val)
        transform.setdefault("label", str(getattr(path, "label", "") or ""))
        transform.setdefault("source", str(getattr(path, "filename", "") or ""))
    else:
        raise DataError(f"path_wavelet: expected a FEFF path (larch FeffPathGroup), an object with .k and .chi, "
                        f"or a (k, chi) pair; got {type(path).__name__}")
    fn = morlet_wt if kind == "morlet" else cauchy_wt
    res = fn(k, chi, kweight=kweight, **transform)
    if extra:
        object.__setattr__(res, "parameters", FrozenMap({**res.parameters, **extra}))
    return res


# -- windows, maxima and ridges ---------------------------------------------------------------

def _normalise_windows(r_windows, context: str) -> tuple[tuple[float, float], ...]:
    if r_windows is None:
        return ()
    arr = list(r_windows)
    if len(arr) == 2 and all(isinstance(v, numbers.Real) for v in arr):
        arr = [tuple(arr)]
    out = []
    for win in arr:
        try:
            lo, hi = (float(v) for v in win)
        except (TypeError, ValueError):
            raise ConfigError(f"{context}: an R window is a pair (rmin, rmax) in Å, got {win!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ConfigError(f"{context}: R window {win!r} needs finite rmin < rmax (Å)")
        out.append((lo, hi))
    return tuple(out)


def window_label(r_window: tuple[float, float]) -> str:
    """Descriptor suffix of an R window: ``(1.5, 2.5)`` → ``'1.5-2.5A'``.

    Examples
    --------
    >>> window_label((1.5, 2.5))
    '1.5-2.5A'
    """
    return f"{r_window[0]:g}-{r_window[1]:g}A"


def _parabola(y_m, y_0, y_p):
    """(offset in steps, vertex value) of the parabola through three equally spaced points."""
    den = y_m - 2.0 * y_0 + y_p
    if not den < 0:
        return 0.0, y_0
    d = 0.5 * (y_m - y_p) / den
    d = min(max(d, -0.5), 0.5)
    return d, y_0 - 0.25 * (y_m - y_p) * d


def _axis_value(axis, i, d):
    """Position of fractional index i + d on a (possibly non-uniform) increasing axis."""
    j = i + 1 if d > 0 else i - 1
    return float(axis[i] + abs(d) * (axis[j] - axis[i])) if d != 0 else float(axis[i])


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class WaveletResult(SummaryRepr):
    """A wavelet map W(k, R) of k^w·χ(k), its cone of influence and the settings used.

    Attributes
    ----------
    k : ndarray (n_k,)
        k grid, Å⁻¹ (the input's).
    r : ndarray (n_R,)
        R grid, Å, not phase-corrected.
    coefficients : ndarray (n_R, n_k), complex
        W(k, R): row i is R = r[i], column m is the wavelet centred on k[m].
    kind : {"cauchy", "morlet"}
    kweight : float
    parameters : mapping
        eta, sigma (Morlet) or order, order_rule (Cauchy); normalization, nfft, kstep, rmax_out,
        window (None, a larch name with kmin, kmax, dk, dk2, or 'array'); reff/degen for FEFF paths.
    coi : ndarray (n_R, n_k), bool
        True inside the cone of influence (see the module notes).
    coi_half_width : ndarray (n_R,)
        k half-width (Å⁻¹) of the wavelet at each R used for ``coi`` (inf at R = 0).
    k_range : (float, float)
        The measured k range the COI refers to.
    k_window : ndarray or None
        The window applied to k^w·χ.
    r_windows : tuple of (rmin, rmax)
        Default R windows of maxima / descriptors / to_frame.
    """

    k: np.ndarray
    r: np.ndarray
    coefficients: np.ndarray
    kind: str
    kweight: float
    parameters: Mapping[str, Any]
    coi: np.ndarray
    coi_half_width: np.ndarray
    k_range: tuple[float, float]
    k_window: np.ndarray | None = None
    r_windows: tuple[tuple[float, float], ...] = ()
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    label: str = ""

    def __post_init__(self):
        for name in ("parameters", "conditions"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))
        for name in ("k", "r", "coefficients", "coi", "coi_half_width", "k_window"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.array(arr, copy=True)
                arr.setflags(write=False)
                object.__setattr__(self, name, arr)

    @property
    def magnitude(self) -> np.ndarray:
        """|W(k, R)|, shape (n_R, n_k)."""
        return np.abs(self.coefficients)

    @property
    def w_unit(self) -> str:
        """Unit of W: that of k^w·χ (Å^-w), or Å^-(w+1/2) with Funke's √(2r) factor."""
        p = self.kweight + (0.5 if self.parameters.get("normalization") == "funke" else 0.0)
        return f"A^-{p:g}" if p else ""

    def _windows(self, r_windows) -> tuple[tuple[float, float], ...]:
        wins = _normalise_windows(r_windows, "WaveletResult") if r_windows is not None else self.r_windows
        return wins or ((float(self.r[0]), float(self.r[-1])),)

    def _valid(self, r_window) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = r_window
        rows = (self.r >= lo) & (self.r <= hi) & (self.r > 0)
        valid = rows[:, None] & ~self.coi
        return rows, valid

    def maxima(self, r_windows=None):
        """Maximum of |W| outside the COI in each R window, refined between grid points.

        Parameters
        ----------
        r_windows : sequence of (rmin, rmax), optional
            R windows in Å (inclusive); default ``self.r_windows``, or the whole R grid.

        Returns
        -------
        pandas.DataFrame
            One row per window: ``r_window`` (label, e.g. '1.5-2.5A'), ``r_min``, ``r_max``,
            ``k_max`` (Å⁻¹), ``R_max`` (Å, not phase-corrected), ``W_max`` and ``on_edge``
            (True when the grid maximum lies on the window's R limit or the COI boundary, so it
            may be the flank of a maximum outside; no refinement across that edge).
            A parabola through the maximum and its two neighbours along k and along R gives the
            sub-grid position; ``W_max`` adds both parabola gains to the grid value.

        Raises
        ------
        DataError
            When a window lies entirely inside the cone of influence.

        Examples
        --------
        >>> k = np.arange(0, 16.0001, 0.05)
        >>> chi = np.sin(2 * k * 2.0) + 0.5 * np.sin(2 * k * 3.3)
        >>> frame = morlet_wt(k, chi, kweight=0, eta=10, rmax_out=6).maxima([(1.5, 2.5), (2.8, 3.8)])
        >>> frame["R_max"].round(2).tolist(), frame["W_max"].round(2).tolist()
        ([2.0, 3.3], [1.0, 0.5])
        """
        import pandas as pd
        mag = self.magnitude
        out = []
        for win in self._windows(r_windows):
            _rows, valid = self._valid(win)
            if not valid.any():
                raise DataError(self._coi_message(win))
            masked = np.where(valid, mag, -np.inf)
            i, m = np.unravel_index(int(np.argmax(masked)), masked.shape)
            edge = False
            dk_, gk = 0.0, 0.0
            if 0 < m < self.k.size - 1 and valid[i, m - 1] and valid[i, m + 1]:
                dk_, v = _parabola(mag[i, m - 1], mag[i, m], mag[i, m + 1])
                gk = v - mag[i, m]
            else:
                edge = True
            dr_, gr = 0.0, 0.0
            if 0 < i < self.r.size - 1 and valid[i - 1, m] and valid[i + 1, m]:
                dr_, v = _parabola(mag[i - 1, m], mag[i, m], mag[i + 1, m])
                gr = v - mag[i, m]
            else:
                edge = True
            out.append({"r_window": window_label(win), "r_min": win[0], "r_max": win[1],
                        "k_max": _axis_value(self.k, m, dk_), "R_max": _axis_value(self.r, i, dr_),
                        "W_max": float(mag[i, m] + gk + gr), "on_edge": edge})
        return pd.DataFrame(out, columns=["r_window", "r_min", "r_max", "k_max", "R_max", "W_max", "on_edge"])

    def _coi_message(self, win) -> str:
        lo, hi = win
        sel = (self.r >= lo) & (self.r <= hi) & (self.r > 0)
        hw = float(np.min(self.coi_half_width[sel])) if sel.any() else float("inf")
        span = self.k_range[1] - self.k_range[0]
        return (f"R window {window_label(win)} lies entirely in the cone of influence: the wavelet there is "
                f"{2 * hw:.3g} Å^-1 wide (COI half-width {hw:.3g} at each end) but the measured k range "
                f"is only {span:.3g} Å^-1; extend the k range, move the window to larger R"
                + (", or use a lower Cauchy order" if self.kind == "cauchy" else ", or lower eta·sigma"))

    def ridge(self, r_window):
        """For each k, the R (Å) of the largest |W| inside ``r_window`` and outside the COI.

        Parameters
        ----------
        r_window : (rmin, rmax)
            R window in Å.

        Returns
        -------
        pandas.DataFrame
            Columns ``k``, ``R`` (parabola-refined), ``W``, ``valid`` and ``on_edge``. Where the
            whole window is in the COI at that k, ``valid`` is False and ``R``/``W`` are NaN.
            ``on_edge`` is True where the largest |W| lies on the window's R limit or on the COI
            boundary (near the ends of the k range, where only part of the window is outside the
            COI): there it is the flank of a maximum that lies elsewhere, not a ridge point.
        """
        import pandas as pd
        (win,) = _normalise_windows([r_window], "WaveletResult.ridge")
        _rows, valid = self._valid(win)
        mag = self.magnitude
        masked = np.where(valid, mag, -np.inf)
        i_best = np.argmax(masked, axis=0)
        ok = valid.any(axis=0)
        r_out = np.full(self.k.size, np.nan)
        w_out = np.full(self.k.size, np.nan)
        edge = np.zeros(self.k.size, bool)
        for m in np.flatnonzero(ok):
            i = int(i_best[m])
            d, v = 0.0, mag[i, m]
            if 0 < i < self.r.size - 1 and valid[i - 1, m] and valid[i + 1, m]:
                d, v = _parabola(mag[i - 1, m], mag[i, m], mag[i + 1, m])
            else:
                edge[m] = True
            r_out[m], w_out[m] = _axis_value(self.r, i, d), v
        return pd.DataFrame({"k": self.k, "R": r_out, "W": w_out, "valid": ok, "on_edge": edge})

    def descriptors(self, sample: str | None = None, conditions: Mapping[str, Any] | None = None,
                    r_windows=None, prefix: str = "") -> list[DescriptorRow]:
        """``wt_k_max[1.5-2.5A]`` (A^-1), ``wt_R_max[...]`` (A), ``wt_W_max[...]`` per R window.

        ``sample`` and ``conditions`` default to the result's. The method string records the
        transform and its settings; stderr is NaN (none is estimated). ``prefix`` goes before
        each name (e.g. ``"cauchy_"``), so two transforms of one spectrum can share a table.

        Examples
        --------
        >>> k = np.arange(0, 16.0001, 0.05)
        >>> res = morlet_wt(k, np.sin(2 * k * 2.0), rmax_out=6, sample="NTC-40h")
        >>> [(r.name, r.unit) for r in res.descriptors(r_windows=[(1.5, 2.5)])]
        [('wt_k_max[1.5-2.5A]', 'A^-1'), ('wt_R_max[1.5-2.5A]', 'A'), ('wt_W_max[1.5-2.5A]', 'A^-2')]
        """
        frame = self.maxima(r_windows)
        base = {"sample": self.sample if sample is None else str(sample), "technique": "xas",
                "conditions": self.conditions if conditions is None else conditions, "source": self.source,
                "method": self._method()}
        rows = []
        for _, row in frame.iterrows():
            lab = row["r_window"]
            rows += [DescriptorRow(name=f"{prefix}wt_k_max[{lab}]", value=row["k_max"], unit="A^-1", **base),
                     DescriptorRow(name=f"{prefix}wt_R_max[{lab}]", value=row["R_max"], unit="A", **base),
                     DescriptorRow(name=f"{prefix}wt_W_max[{lab}]", value=row["W_max"], unit=self.w_unit, **base)]
        return rows

    def _method(self) -> str:
        p = self.parameters
        if self.kind == "morlet":
            shape = f"eta={p['eta']:g}, sigma={p['sigma']:g}"
        else:
            shape = f"order={p['order']} ({p['order_rule']})"
        win = p.get("window")
        wtxt = ("no window" if win is None else
                f"{win} window {p['kmin']:g}-{p['kmax']:g} A^-1, dk={p['dk']:g}" if win != "array" else "array window")
        return (f"wavelet:{self.kind} ({shape}, {p['normalization']} normalization), kweight={self.kweight:g}, "
                f"{wtxt}; maxima outside the COI, R not phase-corrected")

    def to_frame(self, r_windows=None):
        """The maxima table (:meth:`maxima`) with sample, conditions and label columns."""
        frame = self.maxima(r_windows)
        front = {"sample": self.sample, **dict(self.conditions), "label": self.label}
        for j, (key, val) in enumerate(front.items()):
            frame.insert(j, key, [val] * len(frame))
        return frame

    def grid_frame(self):
        """Long table of the map: one row per (R, k) with ``W_re``, ``W_im``, ``W_abs`` and ``coi``."""
        import pandas as pd
        rr, kk = np.meshgrid(self.r, self.k, indexing="ij")
        c = self.coefficients
        return pd.DataFrame({"R": rr.ravel(), "k": kk.ravel(), "W_re": c.real.ravel(), "W_im": c.imag.ravel(),
                             "W_abs": np.abs(c).ravel(), "coi": self.coi.ravel()})

    def summary(self) -> str:
        p = self.parameters
        shape = (f"eta={p['eta']:g}, sigma={p['sigma']:g}" if self.kind == "morlet"
                 else f"order {p['order']} ({p['order_rule']})")
        who = self.label or self.sample or self.source
        head = (f"WaveletResult {who + ' ' if who else ''}({self.kind}, {shape}, kweight {self.kweight:g}): "
                f"k {self.k[0]:g}-{self.k[-1]:g} A^-1 ({self.k.size} pts), R {self.r[0]:g}-{self.r[-1]:g} A "
                f"({self.r.size} pts), {100 * self.coi.mean():.0f}% in the COI")
        lines = [head, f"  {'R window':>12s} {'k_max (A^-1)':>13s} {'R_max (A)':>10s} {'|W|max':>11s}"]
        try:
            frame = self.maxima()
        except DataError as exc:
            return "\n".join([head, f"  {exc.message}"])
        for _, row in frame.iterrows():
            flag = "  (on edge)" if row["on_edge"] else ""
            lines.append(f"  {row['r_window']:>12s} {row['k_max']:13.3f} {row['R_max']:10.3f} "
                         f"{row['W_max']:11.4g}{flag}")
        return "\n".join(lines)

    def plot(self, ax=None, *, r_windows=None, show_coi: bool = True):
        """|W| map (k across, R up), COI hatched, maxima of ``r_windows`` marked; returns the Figure."""
        return _plot_wavelet(self, ax=ax, r_windows=r_windows, show_coi=show_coi)


def _plot_wavelet(result: WaveletResult, ax=None, *, r_windows=None, show_coi=True):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.2, 4.4))
    else:
        fig = ax.figure
    mag = result.magnitude
    mesh = ax.pcolormesh(result.k, result.r, mag, shading="nearest", cmap="viridis", rasterized=True)
    fig.colorbar(mesh, ax=ax, label=f"|W| ({result.w_unit})" if result.w_unit else "|W|")
    if show_coi and result.coi.any():
        ax.contourf(result.k, result.r, result.coi.astype(float), levels=[0.5, 1.5], colors="none",
                    hatches=["//"])
        ax.contour(result.k, result.r, result.coi.astype(float), levels=[0.5], colors="w", linewidths=0.7)
    try:
        frame = result.maxima(r_windows)
    except DataError:
        frame = None
    if frame is not None:
        for _, row in frame.iterrows():
            for y in (row["r_min"], row["r_max"]):
                ax.axhline(y, color="w", lw=0.5, ls="--")
            ax.plot(row["k_max"], row["R_max"], "x", color="r", ms=8, mew=2)
            ax.annotate(f"({row['k_max']:.2f}, {row['R_max']:.2f})", (row["k_max"], row["R_max"]),
                        textcoords="offset points", xytext=(5, 5), color="w", fontsize=7)
    ax.set_ylim(result.r[0], result.r[-1])
    ax.set_xlabel("k (Å⁻¹)")
    ax.set_ylabel("R (Å, not phase-corrected)")
    p = result.parameters
    shape = f"η={p['eta']:g}, σ={p['sigma']:g}" if result.kind == "morlet" else f"n={p['order']}"
    who = result.label or result.sample or result.source
    ax.set_title(f"{who + ': ' if who else ''}{result.kind} WT ({shape}) of k$^{{{result.kweight:g}}}$χ(k)",
                 fontsize=9)
    return fig
