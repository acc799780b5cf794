"""XANES: pre-edge peak fits and linear-combination fitting (LCF) of normalized spectra.

:func:`fit_pre_edge` fits the pre-edge region of a normalized spectrum with
``n_peaks`` peaks on the tail of the edge jump (an arctangent or error-function
step whose position, width and height are fitted) and a constant or linear
baseline: the Na K pre-edge near 1074 eV (1s→3s), or the split Cl K pre-edge
of seed 002. :func:`linear_combination_fit` models a spectrum as a weighted sum
of reference spectra (Athena's LCF), and :func:`lcf_combinations` fits every
subset of the references and ranks them by R-factor (Athena's "combinatorics").

Conventions
-----------
* Input: a normalized spectrum, either an object with ``energy`` (eV), ``norm``
  and ``e0`` (and optionally ``sample``, ``conditions``, ``source``), such as the
  result of normalization or a larch Group, or an XAS
  :class:`~structkit.core.measurement.Measurement` whose ``y`` is already
  normalized (``e0`` from ``e0=`` or ``meta["e0"]``). A Measurement's ``sigma``
  weights the fit; otherwise all points weigh the same and standard errors come
  from the scatter of the residual (lmfit's scaled covariance).
* Energies are absolute, in eV; ``relative_to_e0=True`` reads windows (and pre-edge
  ``centers``) as offsets from e0.
* Peak ``area`` is the integral of the normalized μ(E) under the peak (edge step = 1),
  so its unit is eV; ``height`` is in normalized units; ``fwhm_eV`` is the total FWHM
  (Voigt: Olivero-Longbothum from its Gaussian and Lorentzian parts).
* The fit varies the first centre and the *splittings* between consecutive peaks
  (each at least one energy step), so peaks keep their order and the splitting's
  standard error is read straight from the covariance; every other derived number
  (centres, heights, total area, centroid, the dependent LCF fraction) gets its
  standard error from :meth:`~structkit.core.fit.FitReport.propagate`, correlations included.
* R-factor = Σ(data − fit)² / Σ data² over the fitted range (Athena's definition).
* A fit that ran but failed (did not converge, peaks merged or collapsed, no
  error bars) returns ``converged=False`` with a message that names the source;
  bad input (a window off the data, too few points, unknown options) raises.

Examples
--------
>>> from types import SimpleNamespace
>>> e = np.arange(1065.0, 1090.0, 0.1)
>>> mu = 0.5 + np.arctan((e - 1077.0) / 1.0) / np.pi + 0.08 * np.exp(-0.5 * ((e - 1074.0) / 0.5) ** 2)
>>> r = fit_pre_edge(SimpleNamespace(energy=e, norm=mu, e0=1077.0), window=(1068.0, 1076.0))
>>> round(float(r.values["energy_eV"][0]), 3), round(float(r.values["area"][0]), 4), r.converged
(1074.0, 0.1003, True)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.peakfit import robust_noise as _noise
from ..core.lineshapes import _LN2, arctan_step, erf_step, gaussian, lorentzian, pseudo_voigt
from ..core.measurement import Measurement
from ..core.summary import SummaryRepr
from ._common import spectrum_arrays, xas_measurement

__all__ = ["fit_pre_edge", "PreEdgeResult", "linear_combination_fit", "LcfResult", "lcf_combinations",
           "LcfCombinations"]

_SHAPES = ("gaussian", "lorentzian", "pseudo_voigt", "voigt")
_STEPS = {"arctan": arctan_step, "erf": erf_step}
_BASELINES = ("linear", "constant")
_WIDTH_KEYS = {"gaussian": ("fwhm",), "lorentzian": ("fwhm",), "pseudo_voigt": ("fwhm", "eta"),
               "voigt": ("fwhm_g", "fwhm_l")}
_SIGMA_PER_FWHM = 1.0 / (2.0 * np.sqrt(2.0 * _LN2))
_LCF_DEFAULT_RANGE = (-20.0, 30.0)      # Athena's default LCF range, relative to e0


# -- input ----------------------------------------------------------------------------------

class _Spectrum(NamedTuple):
    energy: np.ndarray
    norm: np.ndarray
    e0: float | None
    sample: str
    conditions: Mapping[str, Any]
    source: str
    sigma: np.ndarray | None


def _as_spectrum(spectrum, e0: float | None = None, *, need_e0: bool = True, what: str = "spectrum",
                 min_points: int = 10) -> _Spectrum:
    """(energy, norm, e0, sample, conditions, source, sigma) of a normalized spectrum, checked.

    ``spectrum`` is an object with ``energy``, ``norm`` and ``e0`` attributes or an XAS
    Measurement whose ``y`` is normalized (e0 from ``e0=`` or ``meta['e0']``).
    """
    if isinstance(spectrum, Measurement):
        m = spectrum
        e0 = e0 if e0 is not None else m.meta.get("e0")
        sigma = None if m.sigma is None else np.asarray(m.sigma, float)
    else:
        missing = [a for a in ("energy", "norm") if not hasattr(spectrum, a)]
        if missing:
            raise DataError(f"{what}: a {type(spectrum).__name__} has no {' or '.join(missing)}; give a normalized "
                            "spectrum (attributes energy, norm, e0) or an XAS Measurement whose y is normalized")
        source = str(getattr(spectrum, "source", "") or getattr(spectrum, "filename", "") or "")
        m = xas_measurement(spectrum.energy, spectrum.norm, source=source,
                            sample=str(getattr(spectrum, "sample", "") or ""),
                            conditions=getattr(spectrum, "conditions", None) or {}, y_name="norm")
        e0 = e0 if e0 is not None else getattr(spectrum, "e0", None)
        sigma = None
    energy, norm = spectrum_arrays(m, min_points=min_points, context=what)
    if e0 is not None:
        try:
            e0 = float(e0)
        except (TypeError, ValueError):
            raise DataError(f"{what}: e0 = {e0!r} is not a number (eV)", path=m.source or None) from None
        if not np.isfinite(e0):
            raise DataError(f"{what}: e0 is not finite; pass e0= in eV", path=m.source or None)
    elif need_e0:
        raise DataError(f"{what}: no e0; pass e0= (eV), put it in meta['e0'], or normalize the spectrum first",
                        path=m.source or None)
    if sigma is not None and not np.all(sigma > 0):
        sigma = None
    return _Spectrum(energy, norm, e0, m.sample, dict(m.conditions), m.source, sigma)


def _resolve_range(rng, e0, relative: bool, name: str, src: str):
    try:
        lo, hi = (float(v) for v in rng)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be (lo, hi) in eV, got {rng!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ConfigError(f"{name} must be (lo, hi) with lo < hi, got ({lo:g}, {hi:g})")
    if relative:
        if e0 is None:
            raise DataError(f"{name} is relative to e0 but the spectrum has no e0; pass e0=", path=src or None)
        lo, hi = lo + e0, hi + e0
    return lo, hi


def _select(energy, lo, hi, *, n_params: int, name: str, src: str, ctx: str, hint: str):
    sel = (energy >= lo) & (energy <= hi)
    n = int(sel.sum())
    if n == 0:
        raise DataError(f"{ctx}: {name} {lo:.2f}-{hi:.2f} eV lies outside the data "
                        f"({energy[0]:.2f}-{energy[-1]:.2f} eV); move it onto the spectrum", path=src or None)
    if n <= n_params:
        raise FitError(f"{ctx}: {n} points in {name} {lo:.2f}-{hi:.2f} eV for {n_params} parameters; {hint}",
                       path=src or None)
    return sel


def _rfactor(data, fit) -> float:
    den = float(np.sum(data ** 2))
    return float(np.sum((data - fit) ** 2) / den) if den > 0 else float("inf")


def _readonly(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


# -- the pre-edge model ------------------------------------------------------------------------

def _profile(x, center, w: Mapping[str, Any], shape: str):
    """Unit-area peak(s) of the given shape; ``w`` maps the shape's width keys to values."""
    if shape == "gaussian":
        return gaussian(x, center, w["fwhm"])
    if shape == "lorentzian":
        return lorentzian(x, center, w["fwhm"])
    if shape == "pseudo_voigt":
        return pseudo_voigt(x, center, w["fwhm"], w["eta"])
    from scipy.special import voigt_profile
    return voigt_profile(x - center, w["fwhm_g"] * _SIGMA_PER_FWHM, 0.5 * w["fwhm_l"])


def _total_fwhm(w: Mapping[str, float], shape: str) -> float:
    if shape == "voigt":       # Olivero & Longbothum, JQSRT 17, 233 (1977): 0.02 %
        fg, fl = w["fwhm_g"], w["fwhm_l"]
        return 0.5346 * fl + float(np.sqrt(0.2166 * fl ** 2 + fg ** 2))
    return w["fwhm"]


@dataclass(frozen=True)
class _PreEdgeModel:
    x: np.ndarray
    n: int
    shape: str
    step: str | None
    baseline: str | None
    shared_width: bool
    x_mid: float

    def wname(self, k: int, key: str) -> str:
        return key if self.shared_width else f"p{k}_{key}"

    def centers(self, v) -> list[float]:
        c = [v["p1_center"]]
        for k in range(1, self.n):
            c.append(c[-1] + v[f"split{k}"])
        return c

    def widths(self, v, k: int) -> dict[str, float]:
        return {key: v[self.wname(k, key)] for key in _WIDTH_KEYS[self.shape]}

    def peaks(self, v, x=None) -> np.ndarray:
        x = self.x if x is None else x
        c = np.array(self.centers(v))[:, None]
        w = {key: np.array([v[self.wname(k, key)] for k in range(1, self.n + 1)])[:, None]
             for key in _WIDTH_KEYS[self.shape]}
        a = np.array([v[f"p{k}_area"] for k in range(1, self.n + 1)])[:, None]
        return a * _profile(x, c, w, self.shape)

    def step_curve(self, v, x=None) -> np.ndarray:
        x = self.x if x is None else x
        if self.step is None:
            return np.zeros_like(x)
        return v["step_height"] * _STEPS[self.step](x, v["step_center"], v["step_fwhm"])

    def baseline_curve(self, v, x=None) -> np.ndarray:
        x = self.x if x is None else x
        if self.baseline is None:
            return np.zeros_like(x)
        out = np.full_like(x, v["base_c0"])
        if self.baseline == "linear":
            out = out + v["base_c1"] * (x - self.x_mid)
        return out

    def background(self, v, x=None) -> np.ndarray:
        return self.step_curve(v, x) + self.baseline_curve(v, x)

    def total(self, v) -> np.ndarray:
        return self.peaks(v).sum(0) + self.background(v)

    def height(self, v, k: int) -> float:
        w = self.widths(v, k)
        return float(v[f"p{k}_area"] * _profile(0.0, 0.0, w, self.shape))


def _background_spec(s: _Spectrum, model: _PreEdgeModel, e0: float, noise: float, lo: float, hi: float,
                     dx: float, ctx: str) -> dict:
    """Starting values of step + baseline: a fit of the background alone, peaks down-weighted.

    The step is first fitted from ``lo`` to half a window above the edge (as far as the
    data go), where its height and width are defined; the window fit starts from there.
    """
    spec: dict[str, dict] = {}
    span = hi - lo
    top = max(hi, e0 + 0.5 * span) if model.step is not None else hi
    sel = (s.energy >= lo) & (s.energy <= top)
    x, y = s.energy[sel], s.norm[sel]
    wts = np.ones_like(y) if s.sigma is None else 1.0 / s.sigma[sel]
    k = max(3, int(np.sum(x <= hi)) // 10)
    if model.baseline is not None:
        spec["base_c0"] = {"value": float(np.median(y[:k]))}
        if model.baseline == "linear":
            spec["base_c1"] = {"value": 0.0}
    if model.step is not None:
        # the edge lies above the pre-edge peaks: the step's centre stays within 10 % of the window
        # below min(e0, hi), so that it cannot slide under a peak
        c_min = max(lo, min(e0, hi) - 0.1 * span)
        c0 = float(np.clip(e0, c_min, hi + span))
        f0 = float(np.clip(0.25 * span, 2 * dx, 2 * span))
        post = s.norm[s.energy >= max(e0, hi) + 0.5 * span]
        h0 = float(np.median(post)) - float(np.median(y[:k])) if post.size >= 5 else float(np.ptp(y))
        # a step cannot rise far above the spectrum: this caps the height-width trade-off of an edge
        # seen only by its tail
        cap = 1.5 * max(float(np.max(np.abs(s.norm))), abs(h0), 1e-12)
        spec["step_center"] = {"value": c0, "min": c_min, "max": hi + span}
        spec["step_fwhm"] = {"value": f0, "min": dx, "max": 2 * span}
        spec["step_height"] = {"value": float(np.clip(h0, 0.01 * cap, 0.99 * cap)), "min": 0.0, "max": cap}
    if not spec:
        return spec
    bg = _PreEdgeModel(x, 0, model.shape, model.step, model.baseline, False, model.x_mid)
    w = np.ones_like(y)
    for _ in range(3):                      # asymmetric reweighting: points above the curve are peaks
        rep = minimize(lambda p: (bg.background(p.valuesdict()) - y) * wts * w, make_params(spec), context=ctx)
        if not np.isfinite(rep.chisqr):
            break
        spec = {name: {**sp, "value": rep.values[name]} for name, sp in spec.items()}
        r = y - bg.background(rep.values)
        w = np.where(r > 2.0 * noise, 0.05, 1.0)
    return spec
    bg = _PreEdgeModel(x, 0, model.shape, model.step, model.baseline, False, model.x_mid)
    w = np.ones_like(y)
    for _ in range(3):                      # asymmetric reweighting: points above the curve are peaks
        params = make_params(spec)
        rep = minimize(lambda p: (bg.background(p.valuesdict()) - y) * wts * w, params, context=ctx)
        if not np.isfinite(rep.chisqr):
            break
        spec = {name: {**s, "value": rep.values[name]} for name, s in spec.items()}
        r = y - bg.background(rep.values)
        w = np.where(r > 2.0 * noise, 0.05, 1.0)
    return spec


def _curvature_maps(x, r, noise: float, dx: float):
    """Smoothed residual and its second derivative on a uniform grid, with their noise levels."""
    from scipy.ndimage import gaussian_filter1d
    xu = np.arange(x[0], x[-1] + 0.5 * dx, dx)
    ru = np.interp(xu, x, r)
    s1 = gaussian_filter1d(ru, 1.0)
    i = int(np.argmax(s1))
    half = s1[i] / 2.0
    left = np.flatnonzero(s1[:i] < half)
    right = np.flatnonzero(s1[i:] < half)
    f_main = (xu[i + right[0]] if right.size else xu[-1]) - (xu[left[-1]] if left.size else xu[0])
    f_main = float(np.clip(f_main, 3 * dx, xu[-1] - xu[0]))
    sig = max(1.0, f_main / dx / 6.0)
    sm = gaussian_filter1d(ru, sig)
    d2 = gaussian_filter1d(ru, sig, order=2) / dx ** 2
    imp = np.zeros(2 * int(8 * sig) + 1)
    imp[imp.size // 2] = 1.0
    n_sm = noise * float(np.linalg.norm(gaussian_filter1d(imp, sig, mode="constant")))
    n_d2 = noise * float(np.linalg.norm(gaussian_filter1d(imp, sig, order=2, mode="constant"))) / dx ** 2
    return xu, sm, d2, f_main, n_sm, n_d2


def _curvature_width(h, d2, default):
    """FWHM of a Gaussian of height ``h`` with second derivative ``d2`` at its top."""
    return float(np.sqrt(8.0 * _LN2 * h / -d2)) if h > 0 and d2 < 0 else default


def _peak_guesses(x, r, n: int, centers, noise: float, dx: float, ctx: str, src: str):
    """[(centre, height, fwhm)] in energy order: given centres, or the ``n`` strongest curvature maxima."""
    from scipy.signal import find_peaks
    xu, sm, d2, f_main, n_sm, n_d2 = _curvature_maps(x, r, noise, dx)
    if centers is not None:
        out = []
        for c in centers:
            h = float(np.interp(c, xu, sm))
            out.append((float(c), max(h, 3 * n_sm), _curvature_width(h, float(np.interp(c, xu, d2)), f_main)))
        return out
    idx, _ = find_peaks(-d2, prominence=3.0 * n_d2, distance=max(1, int(f_main / (3 * dx))))
    idx = idx[(idx >= 2) & (idx <= xu.size - 3) & (sm[idx] > 3.0 * n_sm)]
    if idx.size < n:
        raise FitError(f"{ctx}: found {idx.size} pre-edge peak(s) above the noise in the window, asked for {n}; "
                       "give centers= (eV) or lower n_peaks", path=src or None)
    idx = np.sort(idx[np.argsort(sm[idx])[::-1][:n]])
    return [(float(xu[i]), float(sm[i]), _curvature_width(float(sm[i]), float(d2[i]), f_main)) for i in idx]


def _peak_spec(guesses, model: _PreEdgeModel, lo, hi, dx, yrange) -> dict:
    span = hi - lo
    fmin, fmax = dx, span
    spec: dict[str, dict] = {"p1_center": {"value": guesses[0][0], "min": lo, "max": hi}}
    for k in range(1, len(guesses)):
        s = max(guesses[k][0] - guesses[k - 1][0], 1.5 * dx)
        spec[f"split{k}"] = {"value": s, "min": dx, "max": span}
    breadth = {"gaussian": 1.0645, "lorentzian": 1.5708, "pseudo_voigt": 1.3, "voigt": 1.3}[model.shape]
    amax = 10.0 * yrange * span
    for k, (c, h, f) in enumerate(guesses, start=1):
        f = float(np.clip(f, 1.5 * fmin, 0.5 * fmax))
        spec[f"p{k}_area"] = {"value": float(np.clip(h * f * breadth, 1e-6 * amax, 0.5 * amax)),
                              "min": 0.0, "max": amax}
        if model.shared_width and k > 1:
            continue
        if model.shape == "voigt":
            spec[model.wname(k, "fwhm_g")] = {"value": 0.7 * f, "min": fmin, "max": fmax}
            spec[model.wname(k, "fwhm_l")] = {"value": 0.3 * f, "min": 0.0, "max": fmax}
        else:
            spec[model.wname(k, "fwhm")] = {"value": f, "min": fmin, "max": fmax}
        if model.shape == "pseudo_voigt":
            spec[model.wname(k, "eta")] = {"value": 0.5, "min": 0.0, "max": 1.0}
    return spec


# -- pre-edge result -------------------------------------------------------------------------------

_PEAK_TABLE = (("energy_eV", "eV"), ("area", "eV"), ("fwhm_eV", "eV"), ("height", ""))
_EXTRA_KEYS = {"pseudo_voigt": ("eta",), "voigt": ("fwhm_gauss_eV", "fwhm_lorentz_eV")}


@dataclass(frozen=True, eq=False, repr=False)      # repr from SummaryRepr
class PreEdgeResult(SummaryRepr):
    """Pre-edge peaks of one spectrum: energies, areas, widths, heights, splittings, with standard errors.

    ``values[q]`` / ``stderr[q]`` hold one number per peak (in energy order) for
    ``q`` in ``energy_eV, area, fwhm_eV, height`` and, by shape, ``eta``
    (pseudo-Voigt) or ``fwhm_gauss_eV, fwhm_lorentz_eV`` (Voigt). ``step`` holds the
    fitted edge step (``center_eV, fwhm_eV, height``), ``energy_grid_eV``, ``data``,
    ``fit``, ``components`` (one row per peak), ``step_curve`` and
    ``baseline_curve`` the curves of the fitted window. ``window_eV`` is the
    window used (clipped to the data); ``e0_eV`` the edge energy used (the window's
    upper end when the spectrum has none). ``report`` is the full
    :class:`~structkit.core.fit.FitReport` (parameters ``p1_center``, ``split<k>``,
    ``p<k>_area``, widths, ``step_*``, ``base_*``).
    """

    values: Mapping[str, np.ndarray]
    stderr: Mapping[str, np.ndarray]
    splitting_eV: np.ndarray
    splitting_stderr_eV: np.ndarray
    total_area: float
    total_area_stderr: float
    centroid_eV: float
    centroid_stderr_eV: float
    step: Mapping[str, float]
    step_stderr: Mapping[str, float]
    energy_grid_eV: np.ndarray
    data: np.ndarray
    fit: np.ndarray
    components: np.ndarray
    step_curve: np.ndarray
    baseline_curve: np.ndarray
    window_eV: tuple[float, float]
    e0_eV: float
    shape: str
    step_form: str | None
    baseline: str | None
    rfactor: float
    redchi: float
    chisqr: float
    ndata: int
    nvarys: int
    converged: bool
    message: str
    report: FitReport | None = field(default=None, repr=False)
    settings: Mapping[str, object] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        for name in ("values", "stderr", "step", "step_stderr", "settings", "conditions"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))

    n_peaks = property(lambda self: int(self.values["energy_eV"].size))
    energy_eV = property(lambda self: self.values["energy_eV"])
    area = property(lambda self: self.values["area"])
    fwhm_eV = property(lambda self: self.values["fwhm_eV"])
    height = property(lambda self: self.values["height"])

    @property
    def _method(self) -> str:
        return f"xanes:pre_edge:{self.shape}+{self.step_form or 'no_step'}+{self.baseline or 'no_baseline'}"

    def descriptors(self) -> list[DescriptorRow]:
        """``pre_edge_energy_eV[k]``, ``pre_edge_area[k]``, ``pre_edge_fwhm_eV[k]``, ``pre_edge_height[k]``
        per peak (k = 1 at the lowest energy), ``pre_edge_splitting_eV[k-(k+1)]``, ``pre_edge_area_total``
        and ``pre_edge_centroid_eV`` (area-weighted mean energy)."""
        base = dict(sample=self.sample, technique="xas", conditions=self.conditions, source=self.source,
                    method=self._method)
        rows = []
        for i in range(self.n_peaks):
            for q, unit in _PEAK_TABLE:
                rows.append(DescriptorRow(name=f"pre_edge_{q}[{i + 1}]", value=self.values[q][i],
                                          stderr=self.stderr[q][i], unit=unit, **base))
        for i, (s, e) in enumerate(zip(self.splitting_eV, self.splitting_stderr_eV)):
            rows.append(DescriptorRow(name=f"pre_edge_splitting_eV[{i + 1}-{i + 2}]", value=s, stderr=e,
                                      unit="eV", **base))
        rows.append(DescriptorRow(name="pre_edge_area_total", value=self.total_area,
                                  stderr=self.total_area_stderr, unit="eV", **base))
        rows.append(DescriptorRow(name="pre_edge_centroid_eV", value=self.centroid_eV,
                                  stderr=self.centroid_stderr_eV, unit="eV", **base))
        return rows

    def to_frame(self):
        """One row per peak: each quantity and its ``_stderr``, splitting to the next peak, fit statistics."""
        import pandas as pd
        rows = []
        for i in range(self.n_peaks):
            row = {"sample": self.sample, **dict(self.conditions), "peak": i + 1}
            for q in self.values:
                row[q] = float(self.values[q][i])
                row[q + "_stderr"] = float(self.stderr[q][i])
            last = i == self.n_peaks - 1
            row["splitting_to_next_eV"] = np.nan if last else float(self.splitting_eV[i])
            row["splitting_to_next_stderr_eV"] = np.nan if last else float(self.splitting_stderr_eV[i])
            row.update(window_lo_eV=self.window_eV[0], window_hi_eV=self.window_eV[1], rfactor=self.rfactor,
                       redchi=self.redchi, converged=self.converged, source=self.source)
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        lines = [f"PreEdgeResult {self.sample or self.source or ''} ({self.n_peaks} {self.shape} peak(s), "
                 f"step {self.step_form}, baseline {self.baseline}, {self.window_eV[0]:.2f}-{self.window_eV[1]:.2f} "
                 f"eV): {'converged' if self.converged else 'NOT converged'}; R = {self.rfactor:.3g}, "
                 f"redchi = {self.redchi:.3g}",
                 f"  {'peak':>4s} {'energy (eV)':>18s} {'area (eV)':>18s} {'FWHM (eV)':>16s} {'height':>16s}"]

        def cell(q, i, f):
            return f"{self.values[q][i]:{f}}±{self.stderr[q][i]:.2g}"
        for i in range(self.n_peaks):
            lines.append(f"  {i + 1:>4d} {cell('energy_eV', i, '.3f'):>18s} {cell('area', i, '.4g'):>18s} "
                         f"{cell('fwhm_eV', i, '.3f'):>16s} {cell('height', i, '.4g'):>16s}")
        for i, (s, e) in enumerate(zip(self.splitting_eV, self.splitting_stderr_eV)):
            lines.append(f"  splitting {i + 1}-{i + 2}: {s:.3f} ± {e:.2g} eV")
        lines.append(f"  total area {self.total_area:.4g} ± {self.total_area_stderr:.2g} eV, centroid "
                     f"{self.centroid_eV:.3f} ± {self.centroid_stderr_eV:.2g} eV")
        if self.step:
            lines.append(f"  step: {self.step['center_eV']:.2f} eV, FWHM {self.step['fwhm_eV']:.2f} eV, "
                         f"height {self.step['height']:.3g}")
        if not self.converged:
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Data, fit, background (step + baseline), each peak on the background, and the residual."""
        fig, ax = _axes(ax)
        x, bkg = self.energy_grid_eV, self.step_curve + self.baseline_curve
        ax.plot(x, self.data, "o", ms=2.5, color="0.25", label="data")
        ax.plot(x, self.fit, "-", color="C3", lw=1.3, label="fit")
        if self.step_form or self.baseline:
            ax.plot(x, bkg, "--", color="0.5", lw=1.0, label="step + baseline")
        for i, comp in enumerate(self.components):
            ax.plot(x, comp + bkg, "-", lw=0.9, label=f"peak {i + 1} ({self.values['energy_eV'][i]:.2f} eV)")
        _finish_fit_axes(ax, x, self.data, self.fit,
                         f"{self.sample or self.source or 'pre-edge'}: {self.n_peaks} × {self.shape}")
        return fig


def _finish_fit_axes(ax, x, data, fit, title: str) -> None:
    """The residual, offset below the data, then labels, title and legend: the tail of both XANES fit plots."""
    resid = data - fit
    off = float(np.min(data)) - 1.5 * float(np.max(np.abs(resid)))
    ax.plot(x, resid + off, "-", color="C2", lw=0.8, label="residual")
    ax.axhline(off, color="C2", lw=0.4)
    ax.set_xlabel("energy (eV)")
    ax.set_ylabel("normalized μ(E)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.0, 4.2))
        return fig, ax
    return ax.figure, ax


# -- pre-edge fit ------------------------------------------------------------------------------------

def fit_pre_edge(spectrum, *, window: Sequence[float], relative_to_e0: bool = False, n_peaks: int | None = None,
                 centers: Sequence[float] | None = None, shape: str = "gaussian", step: str | None = "arctan",
                 shared_width: bool = False, baseline: str | None = "linear", e0: float | None = None,
                 max_nfev: int | None = None) -> PreEdgeResult:
    """Fit pre-edge peaks on the tail of the edge step of a normalized XANES spectrum.

    Parameters
    ----------
    spectrum : normalized spectrum or Measurement
        An object with ``energy`` (eV), ``norm`` and ``e0``, or an XAS Measurement
        whose ``y`` is normalized (see the module conventions).
    window : (lo, hi)
        Energy range fitted, eV: absolute, or relative to e0 with ``relative_to_e0``.
        It should end at or just below the edge, so that the step is only its tail
        and the rising edge.
    relative_to_e0 : bool
        Read ``window`` and ``centers`` as offsets from e0 (eV).
    n_peaks : int, optional
        Number of peaks (default ``len(centers)``, or 1).
    centers : sequence of float, optional
        Starting centres (eV). Without them the ``n_peaks`` strongest maxima of the
        negative second derivative of the data minus a first background fit are used
        (they also find shoulders).
    shape : {"gaussian", "lorentzian", "pseudo_voigt", "voigt"}
        Peak shape, unit-area (:mod:`structkit.core.lineshapes`; Voigt: scipy's
        ``voigt_profile`` with free Gaussian and Lorentzian FWHM).
    step : {"arctan", "erf", None}
        Edge step under the peaks; its centre (within the window to one window width
        above it), width and height are fitted.
    shared_width : bool
        One width (and η, or Gaussian and Lorentzian widths) for all peaks.
    baseline : {"linear", "constant", None}
        Baseline added to the step.
    e0 : float, optional
        Edge energy (eV); default the spectrum's own.
    max_nfev : int, optional
        Evaluation budget of the fit.

    Returns
    -------
    PreEdgeResult

    Raises
    ------
    DataError
        The window lies outside the data; no e0 where one is needed; a centre outside the window.
    FitError
        Fewer points in the window than parameters; no peak found where ``n_peaks`` are asked for.
    ConfigError
        Unknown shape, step or baseline; ``centers`` and ``n_peaks`` disagree.

    Examples
    --------
    Two Cl K-like pre-edge peaks 1.6 eV apart, with given starting centres:

    >>> from types import SimpleNamespace
    >>> e = np.arange(2815.0, 2830.0, 0.1)
    >>> g = lambda c, a, f: a * 0.9394 / f * np.exp(-4 * np.log(2) * ((e - c) / f) ** 2)
    >>> mu = 0.5 + np.arctan((e - 2825.0) / 0.8) / np.pi + g(2820.6, 0.3, 1.0) + g(2822.2, 0.2, 1.0)
    >>> r = fit_pre_edge(SimpleNamespace(energy=e, norm=mu, e0=2825.0), window=(-8.0, 0.0),
    ...                  relative_to_e0=True, centers=[-4.5, -2.5])
    >>> [round(float(c), 3) for c in r.energy_eV], round(float(r.splitting_eV[0]), 3)
    ([2820.6, 2822.2], 1.6)
    """
    if shape not in _SHAPES:
        raise ConfigError(f"fit_pre_edge: shape must be one of {', '.join(_SHAPES)}, got {shape!r}")
    if step is not None and step not in _STEPS:
        raise ConfigError(f"fit_pre_edge: step must be 'arctan', 'erf' or None, got {step!r}")
    if baseline is not None and baseline not in _BASELINES:
        raise ConfigError(f"fit_pre_edge: baseline must be 'linear', 'constant' or None, got {baseline!r}")
    s = _as_spectrum(spectrum, e0, need_e0=relative_to_e0, what="fit_pre_edge")
    src = s.source
    ctx = f"fit_pre_edge({src or s.sample or 'spectrum'})"
    if centers is not None:
        centers = [float(c) + (s.e0 if relative_to_e0 else 0.0) for c in np.atleast_1d(centers)]
        if n_peaks is not None and int(n_peaks) != len(centers):
            raise ConfigError(f"fit_pre_edge: n_peaks={n_peaks} but {len(centers)} centers given; drop one of them")
        if len(set(centers)) != len(centers):
            raise ConfigError(f"fit_pre_edge: repeated centers {centers}; give distinct starting energies")
        centers = sorted(centers)
    n = len(centers) if centers is not None else int(1 if n_peaks is None else n_peaks)
    if n < 1:
        raise ConfigError(f"fit_pre_edge: n_peaks must be >= 1, got {n_peaks}")
    lo, hi = _resolve_range(window, s.e0, relative_to_e0, "window", src)
    n_width = len(_WIDTH_KEYS[shape]) * (1 if shared_width else n)
    n_par = 2 * n + n_width + (3 if step else 0) + {"linear": 2, "constant": 1, None: 0}[baseline]
    sel = _select(s.energy, lo, hi, n_params=n_par, name="window", src=src, ctx=ctx,
                  hint="widen the window or fit fewer peaks")
    x, y = s.energy[sel], s.norm[sel]
    lo, hi = float(max(lo, s.energy[0])), float(min(hi, s.energy[-1]))
    if centers is not None:
        bad = [c for c in centers if not lo <= c <= hi]
        if bad:
            raise DataError(f"{ctx}: center(s) {', '.join(f'{c:.2f}' for c in bad)} eV outside the window "
                            f"{lo:.2f}-{hi:.2f} eV", path=src or None)
    wts = np.ones_like(y) if s.sigma is None else 1.0 / s.sigma[sel]
    dx = float(np.median(np.diff(x)))
    noise = _noise(y)
    e0v = s.e0 if s.e0 is not None else hi
    model = _PreEdgeModel(x, n, shape, step, baseline, bool(shared_width), 0.5 * (lo + hi))

    bspec = _background_spec(s, model, e0v, noise, lo, hi, dx, ctx)
    bg = model.background({k: v["value"] for k, v in bspec.items()})
    guesses = _peak_guesses(x, y - bg, n, centers, noise, dx, ctx, src)
    spec = {**_peak_spec(guesses, model, lo, hi, dx, float(np.ptp(y)) or 1.0), **bspec}
    report = minimize(lambda p: (model.total(p.valuesdict()) - y) * wts, make_params(spec),
                      max_nfev=max_nfev, context=ctx)
    return _pre_edge_result(report, model, x, y, s, (lo, hi), e0v, dx, ctx, settings=dict(
        window_eV=(lo, hi), relative_to_e0=relative_to_e0, n_peaks=n, centers=None if centers is None else
        tuple(centers), shape=shape, step=step, shared_width=bool(shared_width), baseline=baseline, e0_eV=e0v,
        weights="sigma" if s.sigma is not None else "none"))


def _pre_edge_result(rep: FitReport, model: _PreEdgeModel, x, y, s: _Spectrum, window, e0v, dx, ctx,
                     settings) -> PreEdgeResult:
    n, v = model.n, rep.values
    vals: dict[str, list] = {q: [] for q, _ in _PEAK_TABLE}
    errs: dict[str, list] = {q: [] for q, _ in _PEAK_TABLE}
    extra = _EXTRA_KEYS.get(model.shape, ())
    for q in extra:
        vals[q], errs[q] = [], []

    def put(q, ve):
        vals[q].append(ve[0])
        errs[q].append(ve[1])
    for k in range(1, n + 1):
        put("energy_eV", rep.propagate(lambda w, k=k: model.centers(w)[k - 1]))
        put("area", (v[f"p{k}_area"], rep.stderr[f"p{k}_area"]))
        put("fwhm_eV", rep.propagate(lambda w, k=k: _total_fwhm(model.widths(w, k), model.shape)))
        put("height", rep.propagate(lambda w, k=k: model.height(w, k)))
        if model.shape == "pseudo_voigt":
            put("eta", (v[model.wname(k, "eta")], rep.stderr[model.wname(k, "eta")]))
        elif model.shape == "voigt":
            put("fwhm_gauss_eV", (v[model.wname(k, "fwhm_g")], rep.stderr[model.wname(k, "fwhm_g")]))
            put("fwhm_lorentz_eV", (v[model.wname(k, "fwhm_l")], rep.stderr[model.wname(k, "fwhm_l")]))
    split = [(v[f"split{k}"], rep.stderr[f"split{k}"]) for k in range(1, n)]
    areas = lambda w: [w[f"p{k}_area"] for k in range(1, n + 1)]
    tot = rep.propagate(lambda w: float(np.sum(areas(w))))
    cen = rep.propagate(lambda w: float(np.dot(areas(w), model.centers(w)) / max(np.sum(areas(w)), 1e-300)))
    step, step_err = {}, {}
    if model.step is not None:
        for key, name in (("center_eV", "step_center"), ("fwhm_eV", "step_fwhm"), ("height", "step_height")):
            step[key], step_err[key] = v[name], rep.stderr[name]
    comps = model.peaks(v)
    fit = comps.sum(0) + model.background(v)

    problems = []
    if not rep.converged:
        problems.append(rep.message)
    else:
        at = set(rep.at_bounds)
        fw = vals["fwhm_eV"]
        for k in range(1, n):
            if f"split{k}" in at or v[f"split{k}"] < 0.25 * max(fw[k - 1], fw[k]):
                problems.append(f"peaks {k} and {k + 1} merged (splitting {v[f'split{k}']:.3g} eV, FWHM "
                                f"{fw[k - 1]:.3g}/{fw[k]:.3g} eV); fit one peak fewer or give other centers")
        for k in range(1, n + 1):
            if f"p{k}_area" in at or v[f"p{k}_area"] <= 0:
                problems.append(f"peak {k} collapsed to zero area; fit one peak fewer")
            for key in _WIDTH_KEYS[model.shape]:
                name = model.wname(k, key)
                if name in at and key != "eta" and key != "fwhm_l":
                    problems.append(f"peak {k}: {name} at its bound {v[name]:.3g} eV (a spike narrower than the "
                                    "energy step or a peak as wide as the window); check the window and n_peaks")
            c = vals["energy_eV"][k - 1]
            if not window[0] <= c <= window[1]:
                problems.append(f"peak {k} moved outside the window (to {c:.2f} eV); widen the window or give centers")
        if not rep.errorbars:
            problems.append(f"{ctx}: standard errors could not be estimated (singular covariance); the model has "
                            "more freedom than the data resolve: fewer peaks, shared_width=True or a fixed window")
    problems = list(dict.fromkeys(problems))
    converged = not problems
    message = f"{ctx}: converged" if converged else "; ".join(
        p if p.startswith(ctx) else f"{ctx}: {p}" for p in problems)
    return PreEdgeResult(
        values={q: _readonly(a) for q, a in vals.items()}, stderr={q: _readonly(a) for q, a in errs.items()},
        splitting_eV=_readonly([a for a, _ in split]), splitting_stderr_eV=_readonly([b for _, b in split]),
        total_area=tot[0], total_area_stderr=tot[1], centroid_eV=cen[0], centroid_stderr_eV=cen[1],
        step=step, step_stderr=step_err, energy_grid_eV=_readonly(x), data=_readonly(y), fit=_readonly(fit),
        components=_readonly(comps), step_curve=_readonly(model.step_curve(v)),
        baseline_curve=_readonly(model.baseline_curve(v)), window_eV=(float(window[0]), float(window[1])),
        e0_eV=float(e0v), shape=model.shape, step_form=model.step, baseline=model.baseline,
        rfactor=_rfactor(y, fit), redchi=rep.redchi, chisqr=rep.chisqr, ndata=rep.ndata, nvarys=rep.nvarys,
        converged=converged, message=message, report=rep, settings=settings, sample=s.sample,
        conditions=s.conditions, source=s.source)


# -- linear-combination fitting -------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)      # repr from SummaryRepr
class LcfResult(SummaryRepr):
    """Fractions of the references in one spectrum, with standard errors.

    ``fractions[i]`` belongs to ``names[i]``. With ``sum_to_one`` the fraction named
    ``dependent`` is 1 − Σ(others) and its standard error comes from the covariance
    of the others. ``e0_shift_eV`` is the common shift applied to every reference
    (positive: references moved to higher energy), 0 when not fitted.
    ``components[i]`` is ``fractions[i]`` × reference ``i`` on ``energy_grid_eV``.
    """

    names: tuple[str, ...]
    fractions: np.ndarray
    fractions_stderr: np.ndarray
    e0_shift_eV: float
    e0_shift_stderr_eV: float
    energy_grid_eV: np.ndarray
    data: np.ndarray
    fit: np.ndarray
    components: np.ndarray
    energy_range_eV: tuple[float, float]
    rfactor: float
    redchi: float
    chisqr: float
    ndata: int
    nvarys: int
    converged: bool
    message: str
    sum_to_one: bool
    nonnegative: bool
    fit_e0_shift: bool
    dependent: str | None = None
    report: FitReport | None = field(default=None, repr=False)
    settings: Mapping[str, object] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        for name in ("settings", "conditions"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))

    def fraction(self, name: str) -> tuple[float, float]:
        """``(fraction, stderr)`` of one reference."""
        if name not in self.names:
            raise ConfigError(f"no reference {name!r} in this fit; references are {list(self.names)}")
        i = self.names.index(name)
        return float(self.fractions[i]), float(self.fractions_stderr[i])

    @property
    def _method(self) -> str:
        flags = [f for f, on in (("sum1", self.sum_to_one), ("nonneg", self.nonnegative),
                                 ("e0shift", self.fit_e0_shift)) if on]
        return f"xanes:lcf:{'+'.join(self.names)}" + (f":{','.join(flags)}" if flags else "")

    def descriptors(self) -> list[DescriptorRow]:
        """``lcf_fraction[name]`` per reference, and ``lcf_e0_shift_eV`` when it was fitted."""
        base = dict(sample=self.sample, technique="xas", conditions=self.conditions, source=self.source,
                    method=self._method)
        rows = [DescriptorRow(name=f"lcf_fraction[{nm}]", value=f, stderr=e, unit="", **base)
                for nm, f, e in zip(self.names, self.fractions, self.fractions_stderr)]
        if self.fit_e0_shift:
            rows.append(DescriptorRow(name="lcf_e0_shift_eV", value=self.e0_shift_eV,
                                      stderr=self.e0_shift_stderr_eV, unit="eV", **base))
        return rows

    def to_frame(self):
        """One row per reference: fraction, its stderr, and the fit statistics."""
        import pandas as pd
        return pd.DataFrame([{"sample": self.sample, **dict(self.conditions), "reference": nm, "fraction": f,
                              "fraction_stderr": e, "dependent": nm == self.dependent,
                              "e0_shift_eV": self.e0_shift_eV, "e0_shift_stderr_eV": self.e0_shift_stderr_eV,
                              "rfactor": self.rfactor, "redchi": self.redchi, "converged": self.converged,
                              "source": self.source}
                             for nm, f, e in zip(self.names, self.fractions, self.fractions_stderr)])

    def summary(self) -> str:
        lines = [f"LcfResult {self.sample or self.source or ''} ({len(self.names)} references, "
                 f"{self.energy_range_eV[0]:.2f}-{self.energy_range_eV[1]:.2f} eV): "
                 f"{'converged' if self.converged else 'NOT converged'}; R = {self.rfactor:.4g}, "
                 f"redchi = {self.redchi:.3g}"]
        for nm, f, e in zip(self.names, self.fractions, self.fractions_stderr):
            lines.append(f"  {nm:>16s}: {f:.4f} ± {e:.2g}" + ("  (1 - others)" if nm == self.dependent else ""))
        if self.fit_e0_shift:
            lines.append(f"  e0 shift: {self.e0_shift_eV:.3f} ± {self.e0_shift_stderr_eV:.2g} eV")
        if not self.converged:
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Data, fit, each weighted reference and the residual."""
        fig, ax = _axes(ax)
        x = self.energy_grid_eV
        ax.plot(x, self.data, "o", ms=2.5, color="0.25", label="data")
        ax.plot(x, self.fit, "-", color="C3", lw=1.3, label=f"fit (R = {self.rfactor:.2g})")
        for nm, f, comp in zip(self.names, self.fractions, self.components):
            ax.plot(x, comp, "--", lw=0.9, label=f"{f:.3f} × {nm}")
        _finish_fit_axes(ax, x, self.data, self.fit, f"{self.sample or self.source or 'LCF'}: {' + '.join(self.names)}")
        return fig


class _LcfProblem(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    wts: np.ndarray
    splines: Mapping[str, Any]
    ref_ranges: Mapping[str, tuple[float, float]]
    spectrum: _Spectrum
    lo: float
    hi: float
    ctx: str


def _lcf_problem(spectrum, references, *, energy_range, relative_to_e0, e0, fit_e0_shift, max_e0_shift_eV,
                 what: str) -> _LcfProblem:
    from scipy.interpolate import CubicSpline
    if not isinstance(references, Mapping) or not references:
        raise ConfigError(f"{what}: references must be a non-empty mapping name -> normalized spectrum")
    s = _as_spectrum(spectrum, e0, need_e0=relative_to_e0 or energy_range is None, what=what)
    ctx = f"{what}({s.source or s.sample or 'spectrum'})"
    if energy_range is None:
        energy_range, relative_to_e0 = _LCF_DEFAULT_RANGE, True
    lo, hi = _resolve_range(energy_range, s.e0, relative_to_e0, "energy_range", s.source)
    n_par = len(references) + (1 if fit_e0_shift else 0)
    sel = _select(s.energy, lo, hi, n_params=n_par, name="energy_range", src=s.source, ctx=ctx,
                  hint="widen energy_range or use fewer references")
    x = s.energy[sel]
    splines, ranges = {}, {}
    for name, ref in references.items():
        r = _as_spectrum(ref, None, need_e0=False, what=f"{what} reference {name!r}", min_points=4)
        tol = 0.5 * float(np.median(np.diff(x))) if x.size > 1 else 0.0
        if r.energy[0] > x[0] + tol or r.energy[-1] < x[-1] - tol:
            raise DataError(f"{ctx}: reference {name!r} ({r.source or 'no file'}) covers {r.energy[0]:.2f}-"
                            f"{r.energy[-1]:.2f} eV, not the fitted range {x[0]:.2f}-{x[-1]:.2f} eV; narrow "
                            "energy_range or give a longer reference", path=r.source or s.source or None)
        splines[str(name)] = CubicSpline(r.energy, r.norm)
        ranges[str(name)] = (float(r.energy[0]), float(r.energy[-1]))
    wts = np.ones_like(x) if s.sigma is None else 1.0 / s.sigma[sel]
    return _LcfProblem(x, s.norm[sel], wts, splines, ranges, s, float(max(lo, s.energy[0])),
                       float(min(hi, s.energy[-1])), ctx)


def _basis(prob: _LcfProblem, names, shift: float) -> np.ndarray:
    """(n_ref, n_x): each reference at E − shift (held at its end values beyond its range)."""
    return np.array([prob.splines[nm](np.clip(prob.x - shift, *prob.ref_ranges[nm])) for nm in names])


def _initial_fractions(B, y, wts, sum_to_one: bool, nonnegative: bool) -> np.ndarray:
    from scipy.optimize import nnls
    A, b = (B * wts).T, y * wts
    if sum_to_one:
        lam = 1e3 * max(float(np.linalg.norm(A)), 1.0)
        A, b = np.vstack([A, lam * np.ones(B.shape[0])]), np.append(b, lam)
    if nonnegative:
        return nnls(A, b)[0]
    return np.linalg.lstsq(A, b, rcond=None)[0]


def _fit_lcf(prob: _LcfProblem, names: tuple[str, ...], *, sum_to_one, nonnegative, fit_e0_shift,
             max_e0_shift_eV, max_nfev=None) -> LcfResult:
    n = len(names)
    s = prob.spectrum
    B0 = _basis(prob, names, 0.0)
    f0 = _initial_fractions(B0, prob.y, prob.wts, sum_to_one, nonnegative)
    pn = [f"f{i}" for i in range(n)]
    dep = int(np.argmax(f0)) if sum_to_one else None
    lo_b = 0.0 if nonnegative else -np.inf
    spec: dict[str, dict] = {}
    for i in range(n):
        if i == dep:
            continue
        hi_b = 1.0 if (sum_to_one and nonnegative) else np.inf
        spec[pn[i]] = {"value": float(np.clip(f0[i], lo_b, hi_b)), "min": lo_b, "max": hi_b}
    if fit_e0_shift:
        spec["e0_shift"] = {"value": 0.0, "min": -float(max_e0_shift_eV), "max": float(max_e0_shift_eV)}

    def fractions(v) -> np.ndarray:
        f = np.array([v[p] if i != dep else 0.0 for i, p in enumerate(pn)])
        if dep is not None:
            f[dep] = 1.0 - (f.sum() - f[dep])
        return f

    def model(v):
        B = _basis(prob, names, v["e0_shift"]) if fit_e0_shift else B0
        return fractions(v) @ B, B

    rep = None
    if spec:
        rep = minimize(lambda p: (model(p.valuesdict())[0] - prob.y) * prob.wts, make_params(spec),
                       max_nfev=max_nfev, context=prob.ctx)
        v = dict(rep.values)
        fr = [rep.propagate(lambda w, i=i: float(fractions(w)[i])) for i in range(n)]
        shift = (v["e0_shift"], rep.stderr["e0_shift"]) if fit_e0_shift else (0.0, 0.0)
        converged, msgs = rep.converged, ([] if rep.converged else [rep.message])
        design = (B0 - B0[dep]) if dep is not None else B0
        design = np.delete(design, dep, axis=0) if dep is not None else design
        sv = np.linalg.svd(design * prob.wts, compute_uv=False) if design.size else np.ones(1)
        if rep.converged and (not rep.errorbars or sv[-1] < 1e-6 * sv[0]):
            converged = False
            msgs.append(f"{prob.ctx}: the references are (nearly) identical or linearly dependent over the "
                        "range, so their fractions are undetermined; drop one")
        redchi, chisqr, nvarys = rep.redchi, rep.chisqr, rep.nvarys
    else:                                   # one reference, sum to one, no shift: nothing to fit
        v = {}
        fr, shift, converged, msgs = [(1.0, 0.0)], (0.0, 0.0), True, []
        chisqr = float(np.sum(((model(v)[0] - prob.y) * prob.wts) ** 2))
        redchi, nvarys = chisqr / max(prob.x.size, 1), 0
    fit, B = model(v)
    f = np.array([a for a, _ in fr])
    if dep is not None and nonnegative and f[dep] < -1e-9:
        converged = False
        msgs.append(f"{prob.ctx}: fraction of {names[dep]!r} = 1 - others is negative ({f[dep]:.3g}); the "
                    "references do not bracket the spectrum")
    if fit_e0_shift and rep is not None and "e0_shift" in rep.at_bounds:
        converged = False
        msgs.append(f"{prob.ctx}: e0 shift at its bound ±{max_e0_shift_eV:g} eV; align the energies or "
                    "raise max_e0_shift_eV")
    return LcfResult(
        names=tuple(names), fractions=_readonly(f), fractions_stderr=_readonly([e for _, e in fr]),
        e0_shift_eV=float(shift[0]), e0_shift_stderr_eV=float(shift[1]), energy_grid_eV=_readonly(prob.x),
        data=_readonly(prob.y), fit=_readonly(fit), components=_readonly(f[:, None] * B),
        energy_range_eV=(prob.lo, prob.hi), rfactor=_rfactor(prob.y, fit), redchi=float(redchi),
        chisqr=float(chisqr), ndata=int(prob.x.size), nvarys=int(nvarys), converged=bool(converged),
        message="; ".join(msgs) or f"{prob.ctx}: converged", sum_to_one=bool(sum_to_one),
        nonnegative=bool(nonnegative), fit_e0_shift=bool(fit_e0_shift),
        dependent=None if dep is None else names[dep], report=rep,
        settings=dict(energy_range_eV=(prob.lo, prob.hi), sum_to_one=bool(sum_to_one), nonnegative=bool(nonnegative),
                      fit_e0_shift=bool(fit_e0_shift), max_e0_shift_eV=float(max_e0_shift_eV),
                      weights="sigma" if s.sigma is not None else "none"),
        sample=s.sample, conditions=s.conditions, source=s.source)


def linear_combination_fit(spectrum, references: Mapping[str, Any], *, energy_range: Sequence[float] | None = None,
                           relative_to_e0: bool = False, sum_to_one: bool = True, nonnegative: bool = True,
                           fit_e0_shift: bool = False, max_e0_shift_eV: float = 5.0, e0: float | None = None,
                           max_nfev: int | None = None) -> LcfResult:
    """Fit a normalized spectrum as a weighted sum of normalized reference spectra (Athena's LCF).

    Parameters
    ----------
    spectrum : normalized spectrum or Measurement
        See the module conventions.
    references : mapping name -> normalized spectrum
        Each of the same kind as ``spectrum`` (e0 not needed); interpolated onto the
        spectrum's energy grid with a cubic spline. Each must cover the fitted range.
    energy_range : (lo, hi), optional
        Fitted range in eV, absolute or (``relative_to_e0``) from e0. Default
        e0 − 20 to e0 + 30 eV (Athena's default).
    sum_to_one : bool
        Fractions add up to 1 exactly: the largest one (at the start) is 1 − Σ others.
    nonnegative : bool
        Fractions ≥ 0 (and ≤ 1 with ``sum_to_one``).
    fit_e0_shift : bool
        Fit one energy shift common to all references, within ±``max_e0_shift_eV``.
        Beyond its own range a shifted reference keeps its end value.
    e0 : float, optional
        Edge energy of the spectrum (eV), for the relative or default range.
    max_nfev : int, optional
        Evaluation budget of the fit.

    Returns
    -------
    LcfResult

    Raises
    ------
    DataError
        The range lies outside the spectrum; a reference does not cover it.
    FitError
        Fewer points in the range than parameters.
    ConfigError
        ``references`` empty or not a mapping.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> e = np.arange(1060.0, 1110.0, 0.25)
    >>> a = 0.5 + np.arctan(e - 1077.0) / np.pi
    >>> b = 0.5 + np.arctan(e - 1080.0) / np.pi
    >>> spec = lambda mu: SimpleNamespace(energy=e, norm=mu, e0=1078.0)
    >>> r = linear_combination_fit(spec(0.3 * a + 0.7 * b), {"A": spec(a), "B": spec(b)})
    >>> [round(float(f), 6) for f in r.fractions], r.dependent
    ([0.3, 0.7], 'B')
    """
    prob = _lcf_problem(spectrum, references, energy_range=energy_range, relative_to_e0=relative_to_e0, e0=e0,
                        fit_e0_shift=fit_e0_shift, max_e0_shift_eV=max_e0_shift_eV, what="linear_combination_fit")
    return _fit_lcf(prob, tuple(prob.splines), sum_to_one=sum_to_one, nonnegative=nonnegative,
                    fit_e0_shift=fit_e0_shift, max_e0_shift_eV=max_e0_shift_eV, max_nfev=max_nfev)


@dataclass(frozen=True, eq=False, repr=False)      # repr from SummaryRepr
class LcfCombinations(SummaryRepr):
    """LCF fits of every subset of the references, best (lowest R-factor) first."""

    fits: tuple[LcfResult, ...]
    references: tuple[str, ...]
    sample: str = ""
    source: str = ""

    _html_summary_lines = 1

    @property
    def best(self) -> LcfResult:
        """The converged fit with the lowest R-factor (the first fit if none converged)."""
        return next((f for f in self.fits if f.converged), self.fits[0])

    def __len__(self) -> int:
        return len(self.fits)

    def descriptors(self) -> list[DescriptorRow]:
        """The descriptors of :attr:`best`."""
        return self.best.descriptors()

    def to_frame(self):
        """One row per fit, by rank: references, R-factor, redchi, shift, and each reference's fraction."""
        import pandas as pd
        rows = []
        for rank, f in enumerate(self.fits, start=1):
            row = {"rank": rank, "n_components": len(f.names), "references": " + ".join(f.names),
                   "rfactor": f.rfactor, "redchi": f.redchi, "e0_shift_eV": f.e0_shift_eV,
                   "converged": f.converged}
            for nm in self.references:
                fr, err = f.fraction(nm) if nm in f.names else (np.nan, np.nan)
                row[f"fraction[{nm}]"], row[f"fraction_stderr[{nm}]"] = fr, err
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self, top: int = 10) -> str:
        lines = [f"LcfCombinations {self.sample or self.source or ''}: {len(self.fits)} fits of "
                 f"{len(self.references)} references, best {' + '.join(self.best.names)} "
                 f"(R = {self.best.rfactor:.4g})"]
        for rank, f in enumerate(self.fits[:top], start=1):
            parts = ", ".join(f"{nm} {fr:.3f}±{e:.2g}" for nm, fr, e in zip(f.names, f.fractions, f.fractions_stderr))
            lines.append(f"  {rank:>3d}. R = {f.rfactor:.4g}  redchi = {f.redchi:.3g}  {parts}"
                         + ("" if f.converged else "  (NOT converged)"))
        return "\n".join(lines)

    def plot(self, ax=None, top: int = 15):
        """R-factor of the ``top`` best combinations."""
        fig, ax = _axes(ax)
        fits = self.fits[:top]
        ax.barh(np.arange(len(fits)), [f.rfactor for f in fits],
                color=["C0" if f.converged else "0.6" for f in fits])
        ax.set_yticks(np.arange(len(fits)), [" + ".join(f.names) for f in fits], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("R-factor")
        ax.set_title(f"{self.sample or self.source or 'LCF'}: combinations", fontsize=9)
        return fig


def lcf_combinations(spectrum, references: Mapping[str, Any], *, max_components: int = 3, min_components: int = 1,
                     energy_range: Sequence[float] | None = None, relative_to_e0: bool = False,
                     sum_to_one: bool = True, nonnegative: bool = True, fit_e0_shift: bool = False,
                     max_e0_shift_eV: float = 5.0, e0: float | None = None) -> LcfCombinations:
    """LCF with every subset of ``min_components``..``max_components`` references, ranked by R-factor.

    The keywords are those of :func:`linear_combination_fit`. Fits that did not
    converge are kept (ranked after the converged ones) and flagged.

    Returns
    -------
    LcfCombinations

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> e = np.arange(1060.0, 1110.0, 0.25)
    >>> step = lambda c: 0.5 + np.arctan(e - c) / np.pi
    >>> spec = lambda mu: SimpleNamespace(energy=e, norm=mu, e0=1078.0)
    >>> refs = {"A": spec(step(1077.0)), "B": spec(step(1080.0)), "C": spec(step(1084.0))}
    >>> combos = lcf_combinations(spec(0.4 * step(1077.0) + 0.6 * step(1080.0)), refs, max_components=2)
    >>> len(combos), combos.best.names
    (6, ('A', 'B'))
    """
    if int(min_components) < 1 or int(max_components) < int(min_components):
        raise ConfigError(f"lcf_combinations: need 1 <= min_components <= max_components, got "
                          f"{min_components}, {max_components}")
    prob = _lcf_problem(spectrum, references, energy_range=energy_range, relative_to_e0=relative_to_e0, e0=e0,
                        fit_e0_shift=fit_e0_shift, max_e0_shift_eV=max_e0_shift_eV, what="lcf_combinations")
    names = tuple(prob.splines)
    fits = [_fit_lcf(prob, combo, sum_to_one=sum_to_one, nonnegative=nonnegative, fit_e0_shift=fit_e0_shift,
                     max_e0_shift_eV=max_e0_shift_eV)
            for k in range(int(min_components), min(int(max_components), len(names)) + 1)
            for combo in itertools.combinations(names, k)]
    fits.sort(key=lambda f: (not f.converged, f.rfactor))
    return LcfCombinations(tuple(fits), names, sample=prob.spectrum.sample, source=prob.spectrum.source)
