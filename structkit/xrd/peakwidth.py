"""Peak widths of powder reflections: pseudo-Voigt Kα1/Kα2 profile fits of single reflections.

:func:`fit_peaks` fits single reflections, or windows of overlapping ones, with
one pseudo-Voigt per reflection *and its Kα2 line*, on a Chebyshev background
local to the window. The Kα2 line sits at ``2θ2 = 2 asin((λ2/λ1) sin θ1)``, has
the same FWHM and η as Kα1, and the radiation's intensity ratio (0.5 for Cu).
Instrument correction, Scherrer and Williamson-Hall are in :mod:`.broadening`;
crystalline fraction and amorphization index in :mod:`.amorphization`.

Conventions
-----------
* ``position_deg`` is the Kα1 centre (deg 2θ).
* ``fwhm_deg``, ``eta`` and ``integral_breadth_deg`` (area / height) describe the
  Kα1 line; the Kα2 line has the same shape.
* ``area`` is the integrated intensity of the **Kα1 line only** (y-unit·deg);
  the doublet holds ``area * (1 + ratio)``. ``height`` is the Kα1 maximum.
* Standard errors of derived numbers come from :meth:`FitReport.propagate`.
* Descriptor names carry the reflection label: ``fwhm_deg[1 1 1]``.

Examples
--------
>>> from structkit.core.measurement import Measurement
>>> tt = np.arange(25.0, 35.0, 0.01)
>>> y = 50.0 + _peak_matrix(tt, np.array([30.0]), np.array([0.12]), np.array([0.4]), np.array([400.0]),
...                         _lines(_radiation("CuKa"))).sum(0)
>>> m = Measurement(tt, y, x_name="two_theta", x_unit="deg")
>>> r = fit_peaks(m, {"1 1 1": 30.0})
>>> round(float(r.fwhm_deg[0]), 4), round(float(r.area[0]), 2), r.converged
(0.12, 400.0, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.peakfit import robust_noise as _noise
from ..core.lineshapes import _G_NORM, _LN2, integral_breadth_pseudo_voigt
from ..core.measurement import Measurement
from ..core.summary import SummaryRepr
from .profiles import chebyshev_basis
from .radiation import Radiation
from .radiation import radiation as _radiation

__all__ = ["PeakFitResult", "PeakWindow", "fit_peaks"]

_SHAPES = ("pseudo_voigt", "gaussian", "lorentzian")
_4LN2 = 4.0 * _LN2


# -- helpers shared with amorphization.py ---------------------------------------------------

def _lines(rad: Radiation) -> tuple[tuple[float, float], ...]:
    """(λk/λ1, intensity ratio) for each wavelength component."""
    lam1 = rad.wavelengths_angstrom[0]
    return tuple((lam / lam1, float(r)) for lam, r in zip(rad.wavelengths_angstrom, rad.ratios))


def _line_position(center1_deg, lam_ratio: float):
    """2θ of the line of wavelength ``lam_ratio * λ1`` for Kα1 at ``center1_deg`` (NaN past 180°)."""
    s = lam_ratio * np.sin(np.radians(np.asarray(center1_deg, dtype=float)) / 2.0)
    with np.errstate(invalid="ignore"):
        return 2.0 * np.degrees(np.arcsin(np.where(s < 1.0, s, np.nan)))


def _peak_matrix(x, centers, fwhm, eta, areas, lines):
    """(m, n): each reflection with all its wavelength components, scaled by its Kα1 area.

    The unit-area pseudo-Voigt of :mod:`structkit.core.lineshapes`, with the Gaussian
    part evaluated only within ±5 FWHM of each line (beyond, it is below 1e-30 of its peak).
    """
    out = np.zeros((centers.size, x.size))
    for lam_ratio, ratio in lines:
        c = centers if lam_ratio == 1.0 else _line_position(centers, lam_ratio)
        for j in np.flatnonzero(np.isfinite(c)):
            cj, fj, ej = c[j], fwhm[j], eta[j]
            hw = 0.5 * fj
            out[j] += (ratio * ej * hw / np.pi) / ((x - cj) ** 2 + hw * hw)
            lo, hi = np.searchsorted(x, (cj - 5.0 * fj, cj + 5.0 * fj))
            if hi > lo and ej < 1.0:
                xs = x[lo:hi]
                out[j, lo:hi] += (ratio * (1.0 - ej) * _G_NORM / fj) * np.exp(-_4LN2 * ((xs - cj) / fj) ** 2)
    return out * areas[:, None]


def _peak_values(v: Mapping, prefixes: Sequence[str]):
    get = lambda k: np.array([v[p + k] for p in prefixes], dtype=float)
    return get("center"), get("fwhm"), get("eta"), get("area")


def _smooth(y, points: float):
    from scipy.ndimage import gaussian_filter1d
    return gaussian_filter1d(np.asarray(y, dtype=float), max(points, 0.5), mode="nearest")


def _check_two_theta(m: Measurement, context: str) -> None:
    if not isinstance(m, Measurement):
        raise DataError(f"{context}: expected a Measurement, got {type(m).__name__}; "
                        "read the pattern with structkit.io.read")
    if np.iscomplexobj(m.y):
        raise DataError(f"{context}: intensities are complex; give a real powder pattern", path=m.source or None)
    if m.x_unit and m.x_unit.lower() not in ("deg", "degree", "degrees", "°"):
        raise DataError(f"{context}: x is in {m.x_unit!r}; give 2θ in degrees (convert q or d first)",
                        path=m.source or None)
    if m.x.size < 10:
        raise DataError(f"{context}: only {m.x.size} points; a powder pattern needs more", path=m.source or None)


def _weights(m: Measurement, y, weights: str):
    if weights not in ("auto", "poisson", "none"):
        raise ConfigError(f"weights must be 'auto', 'poisson' or 'none', got {weights!r}")
    if weights == "auto" and m.sigma is not None:
        s = np.asarray(m.sigma, dtype=float)
        pos = s[s > 0]
        return 1.0 / np.where(s > 0, s, pos.min() if pos.size else 1.0)
    if weights == "none":
        return np.ones_like(y)
    return 1.0 / np.sqrt(np.maximum(y, 1.0))


def _estimate(x, y, center, half_width, smooth_pts=1.0):
    """(centre, height above a linear background, FWHM, noise of that height) of the peak nearest ``center``."""
    sel = (x >= center - half_width) & (x <= center + half_width)
    xs, ys = x[sel], y[sel]
    if xs.size < 5:
        return center, 0.0, half_width, np.inf
    noise = _noise(ys) / np.sqrt(2.0 * np.sqrt(np.pi) * max(smooth_pts, 0.5))
    k = max(2, xs.size // 10)
    x0, x1 = xs[:k].mean(), xs[-k:].mean()
    b0, b1 = np.median(ys[:k]), np.median(ys[-k:])
    net = _smooth(ys - (b0 + (b1 - b0) * (xs - x0) / max(x1 - x0, 1e-12)), smooth_pts)
    near = np.abs(xs - center) <= 0.35 * half_width
    if not near.any():
        return center, 0.0, half_width, noise
    i = int(np.flatnonzero(near)[np.argmax(net[near])])
    h = float(net[i])
    if h <= 0:
        return center, 0.0, half_width, noise
    left = np.flatnonzero(net[:i] < h / 2)
    right = np.flatnonzero(net[i:] < h / 2)
    xl = xs[left[-1]] if left.size else xs[0]
    xr = xs[i + right[0]] if right.size else xs[-1]
    return float(xs[i]), h, float(max(xr - xl, 2.0 * np.median(np.diff(xs)))), noise


def _detect(x, y, lines, *, min_snr: float, max_n: int | None, baseline_width_deg: float):
    """Significant maxima (centre, height, fwhm), Kα2 shadows removed, strongest first."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d
    from scipy.signal import find_peaks
    step = float(np.median(np.diff(x)))
    w = max(3, int(round(baseline_width_deg / step)))
    base = uniform_filter1d(minimum_filter1d(_smooth(y, 2.0), w, mode="nearest"), w, mode="nearest")
    net = _smooth(y, 1.0) - base
    noise = _noise(y)
    idx, props = find_peaks(net, prominence=min_snr * noise, height=min_snr * noise)
    order = np.argsort(props["prominences"])[::-1]
    found: list[tuple[float, float, float]] = []
    for j in order:
        c = float(x[idx[j]])
        h = float(net[idx[j]])
        shadow = False
        for c1, h1, f1 in found:
            for lam_ratio, ratio in lines[1:]:
                c2 = float(_line_position(c1, lam_ratio))
                if abs(c - c2) <= max(0.5 * f1, 2 * step) and h <= 0.9 * h1:
                    shadow = True
        if shadow or any(abs(c - c1) < 2 * step for c1, _, _ in found):
            continue
        c, h_est, f, _ = _estimate(x, y, c, max(10 * step, 0.6 * baseline_width_deg))
        found.append((c, max(h, h_est), f))
        if max_n is not None and len(found) >= max_n:
            break
    return found


# -- the per-window fit ----------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PeakWindow:
    """One fitted window: its data, the fit and the curves to plot.

    ``components`` holds one row per reflection (its Kα1 + Kα2 lines);
    ``background`` everything else in the model (polynomial, blank, amorphous humps).
    """

    lo_deg: float
    hi_deg: float
    peaks: tuple[int, ...]
    prefixes: tuple[str, ...]
    two_theta_deg: np.ndarray
    intensity: np.ndarray
    calc: np.ndarray
    background: np.ndarray
    components: np.ndarray
    report: FitReport


def _peak_param_spec(prefix, center, height, fwhm, lo, hi, shape, *, max_fwhm, min_fwhm, n_lines, dc=None):
    f0 = float(np.clip(fwhm, min_fwhm * 1.01, max_fwhm * 0.99))
    dc = max(f0, 0.05) if dc is None else dc
    eta0 = {"pseudo_voigt": 0.5, "gaussian": 0.0, "lorentzian": 1.0}[shape]
    return {prefix + "center": {"value": center, "min": max(lo, center - dc), "max": min(hi, center + dc)},
            prefix + "fwhm": {"value": f0, "min": min_fwhm, "max": max_fwhm},
            prefix + "eta": {"value": eta0, "min": 0.0, "max": 1.0, "vary": shape == "pseudo_voigt"},
            prefix + "area": {"value": max(height, 0.0) * f0 * 1.2 / n_lines + 1e-9, "min": 0.0}}


def _fit_model(x, y, wts, prefixes, spec, lines, n_bkg, *, extra=None, max_nfev=None, context="fit"):
    """Fit peaks + Chebyshev background (+ ``extra(v)``: blank, humps) and return (report, curves)."""
    basis = chebyshev_basis(x, n_bkg, x[0], x[-1]) if n_bkg > 0 else np.zeros((x.size, 0))
    if n_bkg > 0:
        rest = y - _peak_matrix(x, *_peak_values({k: s["value"] for k, s in spec.items()}, prefixes),
                                lines).sum(0)
        if extra is not None:
            rest = rest - extra({k: s["value"] for k, s in spec.items()})
        coef = np.linalg.lstsq(basis * wts[:, None], rest * wts, rcond=None)[0]
        spec = {**spec, **{f"bkg{j}": float(c) for j, c in enumerate(coef)}}
    bnames = [f"bkg{j}" for j in range(n_bkg)]
    params = make_params(spec)

    def parts(v):
        comps = _peak_matrix(x, *_peak_values(v, prefixes), lines)
        bkg = basis @ np.array([v[b] for b in bnames]) if n_bkg else np.zeros_like(x)
        if extra is not None:
            bkg = bkg + extra(v)
        return comps, bkg

    def residual(p):
        comps, bkg = parts(p.valuesdict())
        return (comps.sum(0) + bkg - y) * wts

    report = minimize(residual, params, max_nfev=max_nfev, context=context)
    comps, bkg = parts(report.values)
    return report, comps, bkg


def _derived(report: FitReport, prefix: str):
    """Per-peak values and standard errors from one report."""
    out = {}
    for key in ("center", "fwhm", "eta", "area"):
        out[key] = (report.values[prefix + key], report.stderr[prefix + key])
    ib = lambda v: float(integral_breadth_pseudo_voigt(v[prefix + "fwhm"], v[prefix + "eta"]))
    out["integral_breadth"] = report.propagate(ib)
    out["height"] = report.propagate(lambda v: v[prefix + "area"] / ib(v))
    return out


# -- the result -------------------------------------------------------------------------------

_TABLE = (("position_deg", "center", "deg"), ("fwhm_deg", "fwhm", "deg"), ("eta", "eta", ""),
          ("integral_breadth_deg", "integral_breadth", "deg"), ("area", "area", "*deg"),
          ("height", "height", ""))


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class PeakFitResult(SummaryRepr):
    """Per-reflection positions, widths, shapes and intensities with standard errors.

    Arrays are indexed like ``labels``. ``area`` and ``height`` are those of the
    Kα1 line (see the module conventions). ``values[q]`` / ``stderr[q]`` hold the
    same numbers by the descriptor names ``position_deg, fwhm_deg, eta,
    integral_breadth_deg, area, height``.
    """

    labels: tuple[str, ...]
    values: Mapping[str, np.ndarray]
    stderr: Mapping[str, np.ndarray]
    peak_converged: np.ndarray
    windows: tuple[PeakWindow, ...]
    window_of: np.ndarray
    radiation: Radiation
    shape: str
    converged: bool
    message: str
    settings: Mapping[str, object] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""
    y_unit: str = ""

    def __post_init__(self):
        for name in ("values", "stderr", "settings", "conditions"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))

    position_deg = property(lambda self: self.values["position_deg"])
    fwhm_deg = property(lambda self: self.values["fwhm_deg"])
    eta = property(lambda self: self.values["eta"])
    integral_breadth_deg = property(lambda self: self.values["integral_breadth_deg"])
    area = property(lambda self: self.values["area"])
    height = property(lambda self: self.values["height"])

    def __len__(self) -> int:
        return len(self.labels)

    def _report_of(self, i: int) -> tuple[FitReport, str]:
        w = self.windows[int(self.window_of[i])]
        return w.report, w.prefixes[w.peaks.index(i)]

    def to_frame(self):
        """One row per reflection: label, each quantity and its ``_stderr``, window, redchi, converged."""
        import pandas as pd
        rows = []
        for i, lab in enumerate(self.labels):
            w = self.windows[int(self.window_of[i])]
            row = {"sample": self.sample, **dict(self.conditions), "label": lab}
            for name, _, _ in _TABLE:
                row[name] = float(self.values[name][i])
                row[name + "_stderr"] = float(self.stderr[name][i])
            row.update(window_lo_deg=w.lo_deg, window_hi_deg=w.hi_deg, redchi=w.report.redchi,
                       converged=bool(self.peak_converged[i]))
            rows.append(row)
        return pd.DataFrame(rows)

    def descriptors(self) -> list[DescriptorRow]:
        """``fwhm_deg[label]``, ``position_deg[label]``, ... one row per reflection and quantity."""
        unit_y = self.y_unit or "a.u."
        base = dict(sample=self.sample, technique="xrd", conditions=self.conditions, source=self.source,
                    method=f"peakwidth:{self.shape}:{self.radiation.name}")
        rows = []
        for i, lab in enumerate(self.labels):
            for name, _, unit in _TABLE:
                u = unit_y + "*deg" if unit == "*deg" else (unit_y if name == "height" else unit)
                rows.append(DescriptorRow(name=f"{name}[{lab}]", value=self.values[name][i],
                                          stderr=self.stderr[name][i], unit=u, **base))
        return rows

    def plot(self, ax=None):
        from .plot import plot_peak_fit
        return plot_peak_fit(self, ax=ax)

    def summary(self) -> str:
        head = (f"PeakFitResult {self.sample or self.source or ''} ({self.shape}, {self.radiation.name}, "
                f"{len(self)} reflections in {len(self.windows)} windows): "
                f"{'converged' if self.converged else 'NOT converged'}")
        lines = [head, f"  {'label':>10s} {'2θ (deg)':>16s} {'FWHM (deg)':>16s} {'eta':>12s} {'area':>16s}"]
        def cell(q, f, i):
            return f"{self.values[q][i]:{f}}±{self.stderr[q][i]:.1g}"

        for i, lab in enumerate(self.labels):
            lines.append(f"  {lab:>10s} {cell('position_deg', '.4f', i):>16s} {cell('fwhm_deg', '.4f', i):>16s} "
                         f"{cell('eta', '.2f', i):>12s} {cell('area', '.4g', i):>16s}")
        if not self.converged:
            lines.append(f"  {self.message}")
        return "\n".join(lines)



def _normalise_peaks(peaks, labels):
    """-> ("centers", [(label, c)]) or ("windows", [(lo, hi)])."""
    if isinstance(peaks, Mapping):
        if labels is not None:
            raise ConfigError("fit_peaks: labels come from the keys of the peaks mapping; drop labels=")
        items = [(str(k), v) for k, v in peaks.items()]
    else:
        try:
            items = [(None, p) for p in peaks]
        except TypeError:
            items = [(None, peaks)]
    if not items:
        raise ConfigError("fit_peaks: no peaks given; pass centres (deg 2θ) or (lo, hi) windows")
    pairs = [np.ndim(v) == 1 and np.size(v) == 2 for _, v in items]
    if all(pairs):
        if isinstance(peaks, Mapping) or labels is not None:
            raise ConfigError("fit_peaks: windows are labelled by their fitted positions; give centres to label")
        wins = [(float(min(v)), float(max(v))) for _, v in items]
        return "windows", wins
    if any(pairs) or not all(np.ndim(v) == 0 for _, v in items):
        raise ConfigError("fit_peaks: peaks must all be centres (numbers, deg 2θ) or all (lo, hi) windows")
    centers = [float(v) for _, v in items]
    if labels is None:
        labs = [k if k is not None else f"{c:.3f}" for (k, _), c in zip(items, centers)]
    else:
        labs = [str(s) for s in labels]
        if len(labs) != len(centers):
            raise ConfigError(f"fit_peaks: {len(labs)} labels for {len(centers)} peaks")
    if len(set(labs)) != len(labs):
        raise ConfigError(f"fit_peaks: labels must be unique, got {labs}")
    return "centers", list(zip(labs, centers))


def fit_peaks(measurement: Measurement, peaks, *, labels: Sequence[str] | None = None,
              radiation="CuKa", shape: str = "pseudo_voigt", n_bkg: int = 2,
              half_window_deg: float | None = None, half_window_fwhm: float = 4.0,
              n_peaks: int | None = None, min_snr: float = 5.0, weights: str = "auto",
              max_nfev: int | None = None) -> PeakFitResult:
    """Fit reflections with pseudo-Voigt Kα1/Kα2 doublets on a local polynomial background.

    Parameters
    ----------
    measurement : Measurement
        Powder pattern, x = 2θ in degrees.
    peaks : sequence of float, mapping label -> float, or sequence of (lo, hi)
        Approximate Kα1 centres (deg 2θ), optionally labelled (``{"1 1 1": 28.4}``);
        each gets a window of ``± half_window_deg`` (default ``half_window_fwhm``
        times its estimated FWHM) and overlapping windows are fitted together.
        Or windows (deg 2θ) in which the significant maxima are found and fitted
        together (at most ``n_peaks`` each).
    labels : sequence of str, optional
        Names of the centres (e.g. hkl); default the centre, ``"28.400"``.
    radiation : str, float or Radiation
        ``"CuKa"`` (doublet, Kα2/Kα1 = 0.5), ``"CuKa1"`` or a wavelength in Å.
    shape : {"pseudo_voigt", "gaussian", "lorentzian"}
    n_bkg : int
        Chebyshev background terms per window (2 = linear).
    min_snr : float
        A peak must rise ``min_snr`` times the point-to-point noise above the background.
    weights : {"auto", "poisson", "none"}
        ``auto``: the measurement's ``sigma`` if present, else Poisson ``sqrt(max(y, 1))``.

    Returns
    -------
    PeakFitResult

    Raises
    ------
    FitError
        A window without a significant peak, or with too few points.
    ConfigError
        Unknown radiation or shape, inconsistent labels.
    """
    ctx = f"fit_peaks({measurement.source or measurement.sample or 'pattern'})"
    _check_two_theta(measurement, "fit_peaks")
    if shape not in _SHAPES:
        raise ConfigError(f"fit_peaks: shape must be one of {', '.join(_SHAPES)}, got {shape!r}")
    if int(n_bkg) < 0:
        raise ConfigError(f"fit_peaks: n_bkg must be >= 0, got {n_bkg}")
    rad = _radiation(radiation)
    lines = _lines(rad)
    x = np.asarray(measurement.x, dtype=float)
    y = np.asarray(measurement.y, dtype=float)
    wts = _weights(measurement, y, weights)
    step = float(np.median(np.diff(x)))
    kind, items = _normalise_peaks(peaks, labels)
    groups: list[list[tuple[str, float, float, float]]] = []   # per window: (label, c, h, f)
    spans: list[tuple[float, float]] = []
    if kind == "windows":
        for lo, hi in items:
            if hi <= x[0] or lo >= x[-1] or np.sum((x >= lo) & (x <= hi)) < 10:
                raise DataError(f"{ctx}: window {lo:g}-{hi:g} deg holds fewer than 10 points of the "
                                f"pattern ({x[0]:g}-{x[-1]:g} deg); move or widen it", path=measurement.source or None)
            sel = (x >= lo) & (x <= hi)
            found = _detect(x[sel], y[sel], lines, min_snr=min_snr, max_n=n_peaks,
                            baseline_width_deg=(hi - lo) / 2)
            found = [f for f in found if f[2] < 0.5 * (hi - lo)]
            if not found:
                raise FitError(f"{ctx}: no peak rises {min_snr:g}x the noise above the background in "
                               f"{lo:g}-{hi:g} deg; check the window or lower min_snr")
            found.sort(key=lambda t: t[0])
            groups.append([(f"{c:.3f}", c, h, f) for c, h, f in found])
            spans.append((lo, hi))
    else:
        est = []
        for lab, c in items:
            if not x[0] < c < x[-1]:
                raise DataError(f"{ctx}: peak {lab} at {c:g} deg is outside the pattern ({x[0]:g}-{x[-1]:g} deg)",
                                path=measurement.source or None)
            c1, h, f, _ = _estimate(x, y, c, half_window_deg or 1.5)
            c1, h, f, dh = _estimate(x, y, c1, half_window_deg or float(np.clip(3 * f, 0.3, 5.0)),
                                     smooth_pts=max(1.0, f / (5.0 * step)))
            if h < min_snr * dh:
                raise FitError(f"{ctx}: no peak near {c:g} deg ({lab}): it rises {h:.3g}, less than "
                               f"{min_snr:g}x its noise {dh:.3g}; remove it or lower min_snr")
            hw = half_window_deg or max(half_window_fwhm * f, 0.3, 8 * step)
            est.append((lab, c1, h, f, c1 - hw, c1 + hw))
        est.sort(key=lambda t: t[1])
        for lab, c, h, f, lo, hi in est:
            if spans and lo <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
                groups[-1].append((lab, c, h, f))
            else:
                spans.append((lo, hi))
                groups.append([(lab, c, h, f)])
    all_labels = [g[0] for grp in groups for g in grp]
    if len(set(all_labels)) != len(all_labels):
        raise FitError(f"{ctx}: two windows found the same peak; give non-overlapping windows")
    windows, msgs = [], []
    k = 0
    for grp, (lo, hi) in zip(groups, spans):
        lo, hi = max(lo, x[0]), min(hi, x[-1])
        sel = (x >= lo) & (x <= hi)
        n_par = (4 if shape == "pseudo_voigt" else 3) * len(grp) + n_bkg
        if sel.sum() < n_par + 3:
            raise FitError(f"{ctx}: {len(grp)} peak(s) and {n_bkg} background terms in {int(sel.sum())} points "
                           f"over {lo:.3f}-{hi:.3f} deg; widen the window or lower n_bkg")
        xs, ys, ws = x[sel], y[sel], wts[sel]
        prefixes = tuple(f"p{j}_" for j in range(len(grp)))
        spec = {}
        for p, (lab, c, h, f) in zip(prefixes, grp):
            spec.update(_peak_param_spec(p, c, h, f, lo, hi, shape, max_fwhm=hi - lo, min_fwhm=step / 4,
                                         n_lines=sum(r for _, r in lines)))
        wctx = f"{ctx} window {lo:.3f}-{hi:.3f} deg"
        rep, comps, bkg = _fit_model(xs, ys, ws, prefixes, spec, lines, int(n_bkg), max_nfev=max_nfev, context=wctx)
        if not rep.converged or not rep.errorbars:
            msgs.append(rep.message)
        idx = tuple(range(k, k + len(grp)))
        k += len(grp)
        windows.append(PeakWindow(lo, hi, idx, prefixes, xs, ys, comps.sum(0) + bkg, bkg, comps, rep))
    settings = {"radiation": rad.name, "shape": shape, "n_bkg": int(n_bkg), "half_window_deg": half_window_deg,
                "half_window_fwhm": half_window_fwhm, "n_peaks": n_peaks, "min_snr": min_snr, "weights": weights,
                "area": "Ka1 line only"}
    return _assemble(windows, all_labels, rad, shape, settings, measurement,
                     "; ".join(msgs) or f"{ctx}: all windows converged")


def _assemble(windows, labels, rad, shape, settings, m: Measurement, message: str) -> PeakFitResult:
    """A PeakFitResult from fitted windows, reflections sorted by position."""
    k = len(labels)
    values = {name: np.zeros(k) for name, _, _ in _TABLE}
    errs = {name: np.zeros(k) for name, _, _ in _TABLE}
    conv = np.zeros(k, dtype=bool)
    window_of = np.zeros(k, dtype=int)
    for j, w in enumerate(windows):
        for i, p in zip(w.peaks, w.prefixes):
            d = _derived(w.report, p)
            for name, key, _ in _TABLE:
                values[name][i], errs[name][i] = d[key]
            conv[i] = w.report.converged
            window_of[i] = j
    order = np.argsort(values["position_deg"], kind="stable")
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    # keep the window bookkeeping consistent with the sorted peak order
    windows = [PeakWindow(w.lo_deg, w.hi_deg, tuple(int(rank[i]) for i in w.peaks), w.prefixes, w.two_theta_deg,
                          w.intensity, w.calc, w.background, w.components, w.report) for w in windows]
    return PeakFitResult(labels=tuple(str(labels[i]) for i in order),
                         values={n: a[order] for n, a in values.items()},
                         stderr={n: a[order] for n, a in errs.items()}, peak_converged=conv[order],
                         windows=tuple(windows), window_of=window_of[order], radiation=rad, shape=shape,
                         converged=bool(conv.all()) and all(w.report.converged for w in windows), message=message,
                         settings=settings, sample=m.sample, conditions=m.conditions, source=m.source,
                         y_unit=m.y_unit)
