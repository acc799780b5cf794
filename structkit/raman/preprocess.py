"""Pre-processing of Raman spectra: cosmic-ray spikes, smoothing, axis calibration, cropping, normalisation.

Every step takes a :class:`~structkit.core.Measurement` (or an ``(x, y)``
pair) and returns a new one; what a step changed is recorded in ``meta``
(``spikes_removed``, ``shift_calibration_cm1``, ``normalised_by``) so that a
descriptor table can say how its numbers were made.

Spikes
------
A cosmic ray is narrower than any band the spectrometer can resolve. A point
is a spike when its negative second difference exceeds both the noise
(``threshold`` times a local robust noise level) and the largest curvature a
band of FWHM ``min_width`` could have there: ``8 (y - base) / w²`` for a
Lorentzian of height ``y - base`` above the local minimum (a Gaussian is
flatter, 5.5/w²). Flagged runs grow to neighbours that stand above the line
through the clean points beside them, up to ``max_width`` points, and are
replaced by that line. Bands broader than ``min_width`` are never touched,
however intense.

Examples
--------
>>> import numpy as np
>>> from structkit.core.lineshapes import gaussian
>>> x = np.linspace(100, 600, 1001)
>>> y = 1e4 * gaussian(x, 405, 6) + 50.0
>>> y[300] += 800.0
>>> clean, spikes = remove_spikes((x, y))
>>> spikes.indices, float(clean.y[300])
((300,), 50.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.errors import ConfigError, DataError, FitError
from ..core.measurement import Measurement
from ..core.peakfit import PeakSpec, fit_peaks
from ..core.summary import SummaryRepr
from ._common import as_spectrum, step

__all__ = ["SpikeReport", "remove_spikes", "smooth", "crop", "normalize", "Calibration",
           "calibrate_shift", "apply_shift", "REFERENCE_LINES"]

#: Reference lines for axis calibration (Raman shift, cm-1).
REFERENCE_LINES = {
    "silicon": 520.7,        # crystalline Si, first-order optical phonon (room temperature)
    "diamond": 1332.5,
    "cyclohexane": 801.3,    # ASTM E1840 Raman shift standard, strongest band
    "polystyrene": 1001.4,   # ASTM E1840, ring breathing
}


@dataclass(frozen=True, repr=False)
class SpikeReport(SummaryRepr):
    """The points a spike filter replaced: indices, x, original and new y."""

    indices: tuple[int, ...]
    x: tuple[float, ...]
    y_original: tuple[float, ...]
    y_replaced: tuple[float, ...]
    source: str = ""

    @property
    def n(self) -> int:
        return len(self.indices)

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame({"index": self.indices, "x": self.x, "y_original": self.y_original,
                             "y_replaced": self.y_replaced})

    def summary(self) -> str:
        where = f" in {self.source}" if self.source else ""
        if not self.indices:
            return f"no spikes{where}"
        xs = ", ".join(f"{v:.6g}" for v in self.x[:8]) + (" ..." if self.n > 8 else "")
        return f"{self.n} spike points replaced{where} at x = {xs}"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of the runs of True in a boolean array."""
    d = np.diff(np.concatenate(([0], mask.astype(int), [0])))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _spike_core(y, sigma_y, hmax, *, threshold, width_pts, max_width):
    e = np.zeros(y.size)
    e[1:-1] = 2.0 * y[1:-1] - y[:-2] - y[2:]           # -second difference: > 0 on an upward spike
    # 1) curvature: bands of FWHM >= w and height <= h have |y''| <= 8 h / w^2 (Lorentzian centre)
    core = (e - 8.0 / width_pts ** 2 * hmax) > threshold * np.sqrt(6.0) * sigma_y
    # 2) edges: their slope is at most 1.5 h / w (Lorentzian 1.30, Gaussian 1.43); a spike of
    #    1..max_width points rises and falls faster than that
    d = np.diff(y)
    slope = 1.5 / width_pts
    up = (d - slope * hmax[1:]) > threshold * np.sqrt(2.0) * sigma_y[1:]       # rise into point i+1
    down = (-d - slope * hmax[:-1]) > threshold * np.sqrt(2.0) * sigma_y[:-1]  # fall after point i
    ups, downs = np.flatnonzero(up) + 1, np.flatnonzero(down)
    for a in ups:
        k = np.searchsorted(downs, a)
        if k < downs.size and downs[k] - a < max_width:
            core[a:downs[k] + 1] = True
    core[[0, -1]] = False
    return core, e


def _spike_mask(y, *, threshold: float, width_pts: float, max_width: int, window: int) -> np.ndarray:
    from scipy.ndimage import maximum_filter1d, median_filter, minimum_filter1d
    n = y.size
    k = int(max(3 * width_pts, 5))
    base = minimum_filter1d(y, 2 * k + 1, mode="nearest")
    height = np.maximum(y - base, 0.0)
    # the tallest band that could be under a point: the highest point within one width
    hmax = maximum_filter1d(height, 2 * int(np.ceil(width_pts)) + 1, mode="nearest")
    e = np.zeros(n)
    e[1:-1] = 2.0 * y[1:-1] - y[:-2] - y[2:]
    e[0], e[-1] = e[1], e[-2]
    floor = 1e-12 * (float(np.max(np.abs(y))) or 1.0)
    sigma_y = np.maximum(1.4826 * median_filter(np.abs(e), size=window, mode="mirror") / np.sqrt(6.0), floor)
    core, _ = _spike_core(y, sigma_y, hmax, threshold=threshold, width_pts=width_pts, max_width=max_width)
    if core.any():
        # second pass: the noise without the spikes found (clustered spikes inflate a running median)
        near = maximum_filter1d(core.astype(np.uint8), 3).astype(bool)
        a = np.abs(e)
        idx = np.flatnonzero(near)
        a[idx[0::2]], a[idx[1::2]] = 0.0, np.inf   # half below, half above: a running median ignores them
        sigma_y = np.maximum(1.4826 * median_filter(a, size=window, mode="mirror") / np.sqrt(6.0), floor)
        core, _ = _spike_core(y, sigma_y, hmax, threshold=threshold, width_pts=width_pts, max_width=max_width)
    mask = core.copy()
    for _ in range(max_width):
        grown = False
        for a, b in _runs(mask):
            if b - a >= max_width:
                continue
            # a neighbour joins the run when it stands above the median of the three points beyond it
            # and the three points on the far side of the run (spike tails cannot outvote them)
            for j in (a - 1, b):
                if j < 1 or j >= n - 1 or mask[j]:
                    continue
                # the three points beyond j and the three beyond the run on its far side: a parabola
                # through them follows a band's slope and curvature; a spike tail among them only
                # lifts it (less growth, never more)
                if j == a - 1:
                    left, right = np.arange(max(j - 3, 0), j), np.arange(b, min(b + 3, n))
                else:
                    left, right = np.arange(max(a - 3, 0), a), np.arange(j + 1, min(j + 4, n))
                if left.size == 0 or right.size == 0:
                    continue
                pts = np.concatenate((left, right))
                deg = 2 if pts.size >= 5 else 1
                design = np.vander((pts - j).astype(float), deg + 1)
                coef = np.linalg.lstsq(design, y[pts], rcond=None)[0]
                ref = float(coef[-1])
                # noise of the prediction itself: extrapolating across the gap amplifies it
                inflate = float(np.linalg.inv(design.T @ design)[-1, -1])
                if y[j] - ref > min(threshold, 3.0) * sigma_y[j] * np.sqrt(1.0 + inflate):   # tails: a lower bar
                    mask[j] = True
                    grown = True
        if not grown:
            break
    for a, b in _runs(mask):                                    # too wide to be a cosmic ray
        if b - a > max_width:
            mask[a:b] = False
    return mask


def remove_spikes(spectrum, *, threshold: float = 5.0, min_width: float | None = None, max_width: int = 5,
                  sign: str = "positive", window: int = 101) -> tuple[Measurement, SpikeReport]:
    """Find cosmic-ray spikes and replace them by the line through the clean points beside them.

    Parameters
    ----------
    spectrum : Measurement or (x, y)
    threshold : float
        In units of the local noise (robust, over ``window`` points).
    min_width : float, optional
        FWHM of the narrowest real band, in x units (default: 4 points). Anything
        narrower is a spike candidate.
    max_width : int
        Widest spike, in points; wider excursions are left alone.
    sign : {"positive", "negative", "both"}
        Cosmic rays are positive; ``negative`` also finds dead pixels.
    window : int
        Points over which the noise level is estimated.

    Returns
    -------
    (Measurement, SpikeReport)
        The cleaned spectrum (``meta['spikes_removed']``) and what was replaced.
    """
    m = as_spectrum(spectrum)
    if sign not in ("positive", "negative", "both"):
        raise ConfigError(f"remove_spikes: sign={sign!r}; choose positive, negative or both")
    if not threshold > 0 or max_width < 1:
        raise ConfigError("remove_spikes: threshold must be > 0 and max_width >= 1")
    y = np.asarray(m.y, dtype=float)
    if y.size < 7:
        return m, SpikeReport((), (), (), (), m.source)
    dx = step(m.x)
    width_pts = 4.0 if min_width is None else float(min_width) / dx
    if width_pts < 2.5:
        raise ConfigError(f"remove_spikes: min_width={min_width} is {width_pts:.2g} points; a spike cannot be "
                          "told from a band narrower than about 2.5 points (leave min_width unset)",
                          path=m.source or None)
    window = int(min(max(window, 7), y.size)) | 1
    mask = np.zeros(y.size, bool)
    if sign in ("positive", "both"):
        mask |= _spike_mask(y, threshold=threshold, width_pts=width_pts, max_width=max_width, window=window)
    if sign in ("negative", "both"):
        mask |= _spike_mask(-y, threshold=threshold, width_pts=width_pts, max_width=max_width, window=window)
    new = y.copy()
    for a, b in _runs(mask):
        lo, hi = max(a - 1, 0), min(b, y.size - 1)
        if lo == a or hi == b - 1:         # a run at an end: hold the nearest clean value
            new[a:b] = y[hi] if lo == a else y[lo]
        else:
            new[a:b] = y[lo] + (y[hi] - y[lo]) * (np.arange(a, b) - lo) / (hi - lo)
    idx = np.flatnonzero(mask)
    report = SpikeReport(tuple(int(i) for i in idx), tuple(float(v) for v in m.x[idx]),
                         tuple(float(v) for v in y[idx]), tuple(float(v) for v in new[idx]), m.source)
    meta = {**m.meta, "spikes_removed": int(idx.size)}
    return m.replace(y=new, meta=meta), report


def smooth(spectrum, *, method: str = "savgol", window: int = 7, order: int = 2) -> Measurement:
    """Smooth a spectrum: Savitzky-Golay (``savgol``, keeps band heights), ``moving`` average or ``gaussian``.

    ``window`` is in points (for ``gaussian`` it is the FWHM of the kernel).
    Smoothing correlates neighbouring points: fit uncertainties after it are
    underestimated, so fit the unsmoothed spectrum where it matters.
    """
    from scipy.ndimage import gaussian_filter1d, uniform_filter1d
    from scipy.signal import savgol_filter
    m = as_spectrum(spectrum)
    y = np.asarray(m.y, dtype=float)
    window = int(window)
    if window < 2 or window + (1 - window % 2 if method == "savgol" else 0) > y.size:
        raise ConfigError(f"smooth: window of {window} points; use 3 to {y.size}", path=m.source or None)
    if method == "savgol":
        w = window + 1 - window % 2
        if order >= w:
            raise ConfigError(f"smooth: Savitzky-Golay order {order} needs a window > {order}", path=m.source or None)
        out = savgol_filter(y, w, order)
    elif method == "moving":
        out = uniform_filter1d(y, window, mode="nearest")
    elif method == "gaussian":
        out = gaussian_filter1d(y, window / 2.3548, mode="nearest")
    else:
        raise ConfigError(f"smooth: unknown method {method!r}; choose savgol, moving or gaussian")
    return m.replace(y=out, meta={**m.meta, "smoothed": f"{method}:{window}"})


def crop(spectrum, xmin: float | None = None, xmax: float | None = None) -> Measurement:
    """The part of the spectrum with ``xmin <= x <= xmax``; DataError when fewer than 5 points are left."""
    m = as_spectrum(spectrum)
    out = m.crop(xmin, xmax)
    if len(out) < 5:
        raise DataError(f"crop to {xmin}-{xmax} leaves {len(out)} points; the data cover {m.x[0]:g}-{m.x[-1]:g}",
                        path=m.source or None)
    return out


def normalize(spectrum, method: str = "max", *, window: Sequence[float] | None = None) -> Measurement:
    """Scale a spectrum: ``max`` (tallest point = 1), ``area`` (unit integral), ``band`` (maximum inside
    ``window`` = 1) or ``snv`` (zero mean, unit standard deviation). ``sigma`` scales along."""
    m = as_spectrum(spectrum)
    y = np.asarray(m.y, dtype=float)
    offset = 0.0
    if method == "max":
        scale = float(np.max(y))
    elif method == "area":
        scale = float(np.trapezoid(y, m.x))
    elif method == "band":
        if window is None or len(window) != 2:
            raise ConfigError("normalize(method='band') needs window=(low, high)")
        sel = (m.x >= min(window)) & (m.x <= max(window))
        if not sel.any():
            raise DataError(f"normalize: window {window} holds no data ({m.x[0]:g}-{m.x[-1]:g})",
                            path=m.source or None)
        scale = float(np.max(y[sel]))
    elif method == "snv":
        offset, scale = float(np.mean(y)), float(np.std(y))
    else:
        raise ConfigError(f"normalize: unknown method {method!r}; choose max, area, band or snv")
    if not np.isfinite(scale) or scale <= 0:
        raise DataError(f"normalize({method}): the scale is {scale:g}; subtract the baseline first or choose "
                        "another method", path=m.source or None)
    sigma = None if m.sigma is None else m.sigma / scale
    return m.replace(y=(y - offset) / scale, sigma=sigma, meta={**m.meta, "normalised_by": method,
                                                                  "normalisation_scale": scale})


@dataclass(frozen=True)
class Calibration:
    """An axis shift from a reference line: ``shift = reference - measured``, with its standard error."""

    shift: float
    stderr: float
    measured: float
    reference: float
    line: str
    converged: bool

    def __repr__(self) -> str:
        return (f"Calibration({self.line}: measured {self.measured:.3f}, reference {self.reference:.3f}, "
                f"shift {self.shift:+.3f} ± {self.stderr:.2g})")


def calibrate_shift(reference, line: str | float = "silicon", *, window: float = 15.0,
                    shape: str = "pvoigt") -> Calibration:
    """The x-axis shift that puts a reference line where it belongs.

    Fits one band on a linear background within ``± window`` of the nominal
    position (weighted by the spectrum's sigma, else by √counts) in a reference spectrum (a Si wafer, a neon line list converted to
    Raman shift, ...). ``line`` is a name in :data:`REFERENCE_LINES` or a position.
    Apply the result with :func:`apply_shift`.
    """
    m = as_spectrum(reference)
    if isinstance(line, str):
        key = line.strip().lower()
        if key not in REFERENCE_LINES:
            raise ConfigError(f"unknown reference line {line!r}; choose {', '.join(REFERENCE_LINES)} or give cm-1")
        ref, name = REFERENCE_LINES[key], key
    else:
        ref, name = float(line), f"{float(line):g} cm-1"
    sel = (m.x >= ref - window) & (m.x <= ref + window)
    if sel.sum() < 7:
        raise DataError(f"calibrate_shift: the reference spectrum has {int(sel.sum())} points within ±{window:g} "
                        f"of {ref:g} (data {m.x[0]:g}-{m.x[-1]:g}); measure the reference line or widen window",
                        path=m.source or None)
    x, y = m.x[sel], m.y[sel]
    top = float(x[int(np.argmax(y))])
    if m.sigma is not None:
        sig = np.asarray(m.sigma, dtype=float)[sel]
    elif np.all(y >= 0):
        sig = np.sqrt(np.maximum(y, 1.0))        # counts
    else:
        sig = None
    fit = fit_peaks(x, y, [PeakSpec("ref", top, center_range=(x[0], x[-1]))], shape=shape, sigma=sig,
                    background="linear", context=m.source or "reference")
    if not fit.converged:
        raise FitError(f"calibrate_shift: the fit of the {name} line did not converge ({fit.report.message})",
                       path=m.source or None)
    b = fit["ref"]
    return Calibration(ref - b.center, b.stderr["center"], b.center, ref, name, fit.converged)


def apply_shift(spectrum, shift: float | Calibration) -> Measurement:
    """Add a calibration shift (cm-1, or a :class:`Calibration`) to the x axis."""
    m = as_spectrum(spectrum)
    d = shift.shift if isinstance(shift, Calibration) else float(shift)
    return m.replace(x=m.x + d, meta={**m.meta, "shift_calibration_cm1": d})
