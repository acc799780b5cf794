"""Crystalline fraction and amorphization index of powder patterns (e.g. along ball milling).

:func:`crystalline_fraction` decomposes one pattern, over its whole 2θ range, as ::

    y(2θ) = s · blank(2θ) + Σ_k hump_k(2θ) + Σ_j doublet_j(2θ) + Chebyshev background

* ``blank`` is a container / tape pattern (e.g. Kapton, broad hump near 20° 2θ
  with Cu Kα) measured separately, interpolated onto the sample's 2θ grid; its
  scale ``s`` is refined with everything else, fitted on ``blank_regions`` first
  (and then held), or given.
* ``hump_k`` are broad Gaussians (FWHM ≥ ``min_hump_fwhm_deg``): the amorphous scattering.
* ``doublet_j`` are the crystalline reflections, pseudo-Voigt Kα1 + Kα2 lines as in
  :func:`structkit.xrd.peakwidth.fit_peaks` (FWHM ≤ ``max_peak_fwhm_deg``).

Definitions (integrated intensities in y-unit·deg, no Lorentz-polarization correction)::

    A_c = Σ_j area_j (1 + Kα2/Kα1)      A_a = Σ_k area_k
    X_c = A_c / (A_c + A_a)             AI = 1 - X_c / X_c,ref

The flat background (Chebyshev terms) counts as neither. ``AI`` is 0 for the
reference (the first sample of a series, or the one named), 1 for a fully amorphous
sample. Standard errors come from the fit covariance (:meth:`FitReport.propagate`);
for AI the two fractions are taken as independent. A scale fitted on
``blank_regions`` is held in the main fit, so its uncertainty is not propagated.

Examples
--------
>>> from structkit.core.measurement import Measurement
>>> from .peakwidth import _lines, _peak_matrix
>>> tt = np.arange(10.0, 60.0, 0.02)
>>> hump = 2000.0 * np.exp(-4 * np.log(2) * ((tt - 30.0) / 8.0) ** 2) * 2 * np.sqrt(np.log(2) / np.pi) / 8.0
>>> peaks = _peak_matrix(tt, np.array([25.0, 40.0]), np.array([0.15, 0.2]), np.array([0.5, 0.5]),
...                      np.array([400.0, 266.67]), _lines(_radiation("CuKa"))).sum(0)
>>> m = Measurement(tt, 20.0 + hump + peaks, x_name="two_theta", x_unit="deg")
>>> r = crystalline_fraction(m, peaks=[25.0, 40.0])
>>> round(r.fraction, 3)
0.333
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.lineshapes import gaussian
from ..core.measurement import Measurement
from ..core.summary import SummaryRepr
from .peakwidth import (
    _SHAPES,
    PeakFitResult,
    PeakWindow,
    _assemble,
    _check_two_theta,
    _detect,
    _estimate,
    _fit_model,
    _lines,
    _normalise_peaks,
    _peak_param_spec,
    _smooth,
)
from .profiles import chebyshev_basis
from .radiation import radiation as _radiation

__all__ = ["CrystallinityResult", "crystalline_fraction", "CrystallinitySeries", "crystallinity_series"]


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class CrystallinityResult(SummaryRepr):
    """Crystalline and amorphous intensity of one pattern and the crystalline fraction.

    ``parts`` holds the model curves on ``two_theta_deg``: ``blank`` (scaled),
    ``amorphous``, ``crystalline``, ``background``; ``peaks`` the per-reflection
    widths of the same fit (a :class:`PeakFitResult`, background = everything else).
    """

    fraction: float
    fraction_stderr: float
    crystalline_area: float
    crystalline_area_stderr: float
    amorphous_area: float
    amorphous_area_stderr: float
    blank_scale: float
    blank_scale_stderr: float
    humps: Mapping[str, np.ndarray]
    peaks: PeakFitResult
    report: FitReport
    two_theta_deg: np.ndarray
    intensity: np.ndarray
    parts: Mapping[str, np.ndarray]
    converged: bool
    message: str
    settings: Mapping[str, object] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        for name in ("humps", "parts", "settings", "conditions"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))

    def amorphization_index(self, reference: CrystallinityResult) -> tuple[float, float]:
        """``1 - X_c / X_c,ref`` and its standard error (fractions taken as independent)."""
        if reference is self:
            return 0.0, 0.0
        xr, er = reference.fraction, reference.fraction_stderr
        if xr <= 0:
            raise DataError(f"reference {reference.sample or reference.source!r} has no crystalline intensity; "
                            "choose a crystalline reference")
        ai = 1.0 - self.fraction / xr
        return ai, float(np.hypot(self.fraction_stderr / xr, self.fraction * er / xr ** 2))

    def _row(self) -> dict:
        return {"sample": self.sample, **dict(self.conditions), "crystalline_fraction": self.fraction,
                "crystalline_fraction_stderr": self.fraction_stderr, "crystalline_area": self.crystalline_area,
                "crystalline_area_stderr": self.crystalline_area_stderr, "amorphous_area": self.amorphous_area,
                "amorphous_area_stderr": self.amorphous_area_stderr, "blank_scale": self.blank_scale,
                "blank_scale_stderr": self.blank_scale_stderr, "n_reflections": len(self.peaks),
                "redchi": self.report.redchi, "converged": self.converged}

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([self._row()])

    def descriptors(self, *, peaks: bool = True) -> list[DescriptorRow]:
        """``crystalline_fraction``, ``crystalline_area``, ``amorphous_area`` and, with ``peaks``,
        the reflections' ``fwhm_deg[label]`` ... (same names as :func:`fit_peaks`: use one or the other)."""
        base = {"sample": self.sample, "technique": "xrd", "conditions": self.conditions, "source": self.source,
                "method": "crystallinity:blank+humps+pseudo_voigt"}
        unit = (self.peaks.y_unit or "a.u.") + "*deg"
        rows = [DescriptorRow(name="crystalline_fraction", value=self.fraction, stderr=self.fraction_stderr, **base),
                DescriptorRow(name="crystalline_area", value=self.crystalline_area,
                              stderr=self.crystalline_area_stderr, unit=unit, **base),
                DescriptorRow(name="amorphous_area", value=self.amorphous_area,
                              stderr=self.amorphous_area_stderr, unit=unit, **base)]
        if peaks and len(self.peaks):
            rows += [DescriptorRow(**{**r.__dict__, "method": base["method"]}) for r in self.peaks.descriptors()]
        return rows

    def plot(self, ax=None):
        from .plot import plot_crystallinity
        return plot_crystallinity(self, ax=ax)

    def summary(self) -> str:
        s = (f"CrystallinityResult {self.sample or self.source}: X_c = {self.fraction:.4f} ± "
             f"{self.fraction_stderr:.2g} (A_c = {self.crystalline_area:.5g}, A_a = {self.amorphous_area:.5g}, "
             f"{len(self.peaks)} reflections, blank scale {self.blank_scale:.4g})")
        return s if self.converged else s + f"\n  NOT converged: {self.message}"

    _html_summary_lines = None          # the second line is the convergence message, not a table


def _blank_on(x, blank: Measurement | None, context: str):
    """(x range kept, blank y and variance on that range) or Nones."""
    if blank is None:
        return (x[0], x[-1]), None, None
    _check_two_theta(blank, f"{context}: blank")
    lo, hi = max(x[0], blank.x[0]), min(x[-1], blank.x[-1])
    if hi <= lo or (hi - lo) < 0.5 * (x[-1] - x[0]):
        raise DataError(f"{context}: the blank covers {blank.x[0]:g}-{blank.x[-1]:g} deg, the pattern "
                        f"{x[0]:g}-{x[-1]:g} deg; they must share at least half of the pattern's range. Measure the "
                        "blank over the same range or pass two_theta_range", path=blank.source or None)
    var = np.maximum(blank.y, 1.0) if blank.sigma is None else np.asarray(blank.sigma) ** 2
    return (lo, hi), blank.y, var


def _hump_guess(x, net, n_humps, centers, fwhm, min_fwhm, max_peak_fwhm):
    """Starting (centre, fwhm, area) of each hump from the peak-free, smoothed net signal."""
    from scipy.ndimage import median_filter
    step = float(np.median(np.diff(x)))
    smooth = _smooth(median_filter(net, max(3, int(3 * max_peak_fwhm / step) | 1), mode="nearest"),
                     max_peak_fwhm / step)
    level = float(np.quantile(smooth, 0.05))
    if centers is None:
        if n_humps != 1:
            raise ConfigError(f"n_humps={n_humps} needs hump_centers_deg (one starting centre per hump)")
        centers = [float(x[np.argmax(smooth)])]
    out = []
    for c in centers:
        i = int(np.argmin(np.abs(x - c)))
        h = max(float(smooth[i]) - level, 0.0)
        f = fwhm
        if f is None:
            above = np.flatnonzero(smooth - level >= h / 2)
            f = float(x[above[-1]] - x[above[0]]) if above.size > 1 and h > 0 else 3 * min_fwhm
        f = float(np.clip(f, 1.05 * min_fwhm, 0.95 * (x[-1] - x[0])))
        out.append((float(c), f, h * f * 1.0645, h))
    return out, smooth, level


def crystalline_fraction(measurement: Measurement, blank: Measurement | None = None, *, peaks=None,
                         labels: Sequence[str] | None = None, radiation="CuKa",
                         two_theta_range: tuple[float, float] | None = None, blank_scale: float | None = None,
                         blank_regions: Sequence[tuple[float, float]] | None = None, n_humps: int = 1,
                         hump_centers_deg: Sequence[float] | None = None, hump_fwhm_deg: float | None = None,
                         min_hump_fwhm_deg: float = 3.0, max_hump_fwhm_deg: float = 20.0,
                         max_peak_fwhm_deg: float = 2.5, blank_smooth_deg: float = 0.25, shape: str = "pseudo_voigt", n_bkg: int = 1,
                         min_snr: float = 5.0, weights: str = "auto",
                         max_nfev: int | None = None) -> CrystallinityResult:
    """Crystalline fraction of a powder pattern, blank removed, amorphous humps separated.

    Parameters
    ----------
    measurement : Measurement
        Pattern, x = 2θ in degrees.
    blank : Measurement, optional
        Container / tape pattern (any 2θ grid sharing at least half the range).
    peaks : sequence of float, mapping label -> float, or None
        Starting Kα1 centres of the crystalline reflections; None finds the significant ones.
    blank_scale : float, optional
        Fixed scale of the blank. Otherwise fitted: on ``blank_regions`` (2θ intervals
        free of sample scattering, as ``s·blank + background``) and then held, or
        together with everything else over the whole pattern.
    n_humps, hump_centers_deg, hump_fwhm_deg
        Number of amorphous Gaussian humps, their starting centres and FWHM (deg).
    min_hump_fwhm_deg, max_hump_fwhm_deg, max_peak_fwhm_deg : float
        Widths that tell amorphous humps (between the first two) from reflections
        (narrower than the last) and from the flat background (broader).
    blank_smooth_deg : float
        Gaussian smoothing (σ, deg) of the blank before use: a noisy template biases its
        own scale low. 0 keeps it as measured (blanks with sharp features).
    n_bkg : int
        Chebyshev background terms (1 = constant; neither crystalline nor amorphous).
    weights : {"auto", "poisson", "none"}
        ``auto``: the measurement's ``sigma`` if present, else Poisson; the blank's
        variance (scaled) is added.

    Returns
    -------
    CrystallinityResult
    """
    ctx = f"crystalline_fraction({measurement.source or measurement.sample or 'pattern'})"
    _check_two_theta(measurement, ctx)
    if shape not in _SHAPES:
        raise ConfigError(f"{ctx}: shape must be one of {', '.join(_SHAPES)}, got {shape!r}")
    if weights not in ("auto", "poisson", "none"):
        raise ConfigError(f"{ctx}: weights must be 'auto', 'poisson' or 'none', got {weights!r}")
    rad = _radiation(radiation)
    lines = _lines(rad)
    x_all, y_all = np.asarray(measurement.x, dtype=float), np.asarray(measurement.y, dtype=float)
    keep = np.ones(x_all.size, dtype=bool)
    if two_theta_range is not None:
        keep = (x_all >= min(two_theta_range)) & (x_all <= max(two_theta_range))
        if keep.sum() < 20:
            raise DataError(f"{ctx}: two_theta_range {two_theta_range} holds {int(keep.sum())} points; widen it")
    (lo, hi), by, bvar = _blank_on(x_all[keep], blank, ctx)
    keep &= (x_all >= lo) & (x_all <= hi)
    x, y = x_all[keep], y_all[keep]
    step = float(np.median(np.diff(x)))
    b = np.zeros_like(x) if blank is None else np.interp(x, blank.x, by)
    b_var = np.zeros_like(x) if blank is None else np.interp(x, blank.x, bvar)
    if blank is not None and blank_smooth_deg > 0:
        # a noisy template biases its own scale low (errors in variables); the blank is smooth, so smooth it
        pts = blank_smooth_deg / step
        b = _smooth(b, pts)
        b_var = b_var / (2.0 * np.sqrt(np.pi) * max(pts, 0.5))
    if weights == "auto" and measurement.sigma is not None:
        var_y = np.asarray(measurement.sigma, dtype=float)[keep] ** 2
    elif weights == "none":
        var_y = np.ones_like(y)
    else:
        var_y = np.maximum(y, 1.0)
    notes = []
    # -- blank scale -----------------------------------------------------------------------------------------
    s_fixed, s_err = blank_scale is not None or blank is None, 0.0
    if blank is None:
        s0 = 0.0
    elif blank_scale is not None:
        s0 = float(blank_scale)
    elif blank_regions:
        s0, s_err = _scale_on_regions(x, y, b, var_y, blank_regions, n_bkg, ctx)
        s_fixed = True
        notes.append(f"blank scale {s0:.4g} fitted on {list(blank_regions)} and held")
    else:
        # y >= s·blank wherever the sample scatters: a low quantile of the smoothed ratio starts s
        sm = 0.5 / step
        ok = _smooth(b, sm) > 0
        ratio = _smooth(y, sm)[ok] / _smooth(b, sm)[ok]
        s0 = float(np.quantile(ratio, 0.05)) if ratio.size else 0.0
    if weights == "none":
        wts = np.ones_like(y)
    else:
        wts = 1.0 / np.sqrt(var_y + (s0 ** 2) * b_var)
    # -- starting values --------------------------------------------------------------------------------------
    net = y - s0 * b
    if peaks is None:
        found = _detect(x, net, lines, min_snr=min_snr, max_n=None, baseline_width_deg=3 * max_peak_fwhm_deg)
        found = [f for f in found if f[2] <= max_peak_fwhm_deg]
        items = [(f"{c:.3f}", c) for c, _, _ in sorted(found)]
    else:
        kind, items = _normalise_peaks(peaks, labels)
        if kind != "centers":
            raise ConfigError(f"{ctx}: peaks must be centres (deg 2θ), not windows")
    est = []
    for lab, c in items:
        if not x[0] < c < x[-1]:
            raise DataError(f"{ctx}: peak {lab} at {c:g} deg is outside the fitted range {x[0]:g}-{x[-1]:g} deg")
        c1, h, f, _ = _estimate(x, net, c, max(1.5, 3 * min(max_peak_fwhm_deg, 0.5)))
        est.append((lab, c1, h, f))
    if not 0 < max_peak_fwhm_deg < min_hump_fwhm_deg < max_hump_fwhm_deg:
        raise ConfigError(f"{ctx}: need 0 < max_peak_fwhm_deg < min_hump_fwhm_deg < max_hump_fwhm_deg, got "
                          f"{max_peak_fwhm_deg:g}, {min_hump_fwhm_deg:g}, {max_hump_fwhm_deg:g}")
    humps, _, _ = _hump_guess(x, net, n_humps, hump_centers_deg, hump_fwhm_deg, min_hump_fwhm_deg,
                                       max_peak_fwhm_deg)
    n_lines = sum(r for _, r in lines)
    hump_names = [(f"h{k}_center", f"h{k}_fwhm", f"h{k}_area") for k in range(len(humps))]

    def extra(v):
        out = v["scale"] * b
        for cn, fn, an in hump_names:
            out = out + v[an] * gaussian(x, v[cn], v[fn])
        return out

    def decompose(est):
        """Fit the whole model for the reflections ``est``: (report, components, rest, prefixes, notes)."""
        notes = []
        spec, prefixes = {}, tuple(f"p{j}_" for j in range(len(est)))
        spec["scale"] = {"value": s0, "min": 0.0, "vary": not s_fixed}
        for k, (c, f, a, _) in enumerate(humps):
            spec[f"h{k}_center"] = {"value": c, "min": x[0], "max": x[-1]}
            spec[f"h{k}_fwhm"] = {"value": min(f, 0.99 * max_hump_fwhm_deg), "min": min_hump_fwhm_deg,
                                  "max": max_hump_fwhm_deg}
            spec[f"h{k}_area"] = {"value": max(a, 1e-6), "min": 0.0}
        for p, (lab, c, h, f) in zip(prefixes, est):
            spec.update(_peak_param_spec(p, c, h, f, x[0], x[-1], shape, max_fwhm=max_peak_fwhm_deg,
                                         min_fwhm=step / 4, n_lines=n_lines))

        def run(hold, start=None, budget=max_nfev):
            """Fit with the shape parameters named by ``hold(name)`` held, from ``start`` values."""
            s2 = {}
            for name, s in spec.items():
                val = s["value"] if start is None else float(np.clip(start[name], s.get("min", -np.inf),
                                                                     s.get("max", np.inf)))
                s2[name] = {**s, "value": val, "vary": s.get("vary", True) and not hold(name)}
            return _fit_model(x, y, wts, prefixes, s2, lines, int(n_bkg), extra=extra, max_nfev=budget, context=ctx)

        is_hump_shape = lambda n: n.startswith("h") and n.endswith(("_center", "_fwhm"))
        # stage 1: humps held at their starting shape (robust); stage 2: humps free, kept only if well determined
        fit = run(is_hump_shape)
        rep = fit[0]
        significant = [an for _, _, an in hump_names if rep.values[an] > min_snr * rep.stderr[an]]
        if significant and rep.converged:
            nvar = sum(1 for s in spec.values() if s.get("vary", True))
            fit2 = run(lambda n: False, rep.values, max_nfev or 100 * (nvar + 1))
            r2 = fit2[0]
            if r2.converged and r2.errorbars and not any(n.startswith("h") for n in r2.at_bounds):
                fit = fit2
            else:
                notes.append("hump shapes held at their starting values (freeing them "
                             + ("did not converge)" if not r2.converged else "left them undetermined)"))
        else:
            notes.append("no significant amorphous hump: its shape is held at the starting values")
        rep, comps, bkg = fit
        for stage in ("weak", "all"):
            if rep.errorbars:
                break
            # a reflection without intensity leaves its shape undetermined: hold shapes and refit
            big = max(abs(v) for v in rep.values.values())
            weak = lambda n: rep.values.get(n.rsplit("_", 1)[0] + "_area", big) <= 1e-6 * big  # noqa: B023
            rep, comps, bkg = run(lambda n: n.endswith(("_center", "_fwhm", "_eta"))
                                  and (stage == "all" or weak(n) or n.startswith("h")), rep.values)  # noqa: B023
            notes.append("covariance was singular: refitted with the shapes of the humps"
                         + (" and of all reflections held" if stage == "all" else " and of empty reflections held"))
        return rep, comps, bkg, prefixes, notes

    rep, comps, bkg, prefixes, fit_notes = decompose(est)
    if peaks is None:
        # detected maxima that the fit does not confirm (area below min_snr standard errors) are dropped
        keep = [j for j, p in enumerate(prefixes)
                if not rep.values[p + "area"] <= min_snr * rep.stderr[p + "area"]]
        if len(keep) < len(est):
            notes.append("dropped detected maxima that are not significant reflections: "
                         + ", ".join(est[j][0] for j in range(len(est)) if j not in keep))
            est = [est[j] for j in keep]
            rep, comps, bkg, prefixes, fit_notes = decompose(est)
    notes += fit_notes
    v = rep.values
    area_names = [p + "area" for p in prefixes]
    hump_area_names = [an for _, _, an in hump_names]
    a_c = lambda v: n_lines * sum(v[n] for n in area_names)
    a_a = lambda v: sum(v[n] for n in hump_area_names)

    def frac(v):
        tot = a_c(v) + a_a(v)
        return a_c(v) / tot if tot > 0 else 0.0

    (xc, xc_err), (ac, ac_err), (aa, aa_err) = (rep.propagate(frac), rep.propagate(a_c), rep.propagate(a_a))
    amorph = sum(v[an] * gaussian(x, v[cn], v[fn]) for cn, fn, an in hump_names) if hump_names else 0 * x
    basis = chebyshev_basis(x, int(n_bkg), x[0], x[-1]) if n_bkg else np.zeros((x.size, 0))
    poly = basis @ np.array([v[f"bkg{j}"] for j in range(int(n_bkg))]) if n_bkg else np.zeros_like(x)
    parts = {"blank": v["scale"] * b, "amorphous": amorph, "crystalline": comps.sum(0), "background": poly,
             "calc": comps.sum(0) + bkg}
    window = PeakWindow(float(x[0]), float(x[-1]), tuple(range(len(est))), prefixes, x, y, comps.sum(0) + bkg,
                        bkg, comps, rep)
    settings = {"radiation": rad.name, "shape": shape, "n_bkg": int(n_bkg), "n_humps": len(humps),
                "min_hump_fwhm_deg": min_hump_fwhm_deg, "max_hump_fwhm_deg": max_hump_fwhm_deg,
                "max_peak_fwhm_deg": max_peak_fwhm_deg,
                "blank": blank.source if blank is not None else "", "blank_regions": blank_regions,
                "blank_smooth_deg": blank_smooth_deg,
                "two_theta_range": (float(x[0]), float(x[-1])), "weights": weights,
                "area": "Ka1+Ka2 (crystalline), Gaussian humps (amorphous)"}
    pk = _assemble([window], [lab for lab, *_ in est], rad, shape, settings, measurement, rep.message)
    hv = {"center_deg": np.array([v[c] for c, _, _ in hump_names]), "fwhm_deg": np.array([v[f] for _, f, _ in hump_names]),
          "area": np.array([v[a] for _, _, a in hump_names]),
          "area_stderr": np.array([rep.stderr[a] for _, _, a in hump_names])}
    msg = "; ".join([rep.message, *notes])
    return CrystallinityResult(fraction=float(xc), fraction_stderr=float(xc_err), crystalline_area=float(ac),
                               crystalline_area_stderr=float(ac_err), amorphous_area=float(aa),
                               amorphous_area_stderr=float(aa_err), blank_scale=float(v["scale"]),
                               blank_scale_stderr=float(s_err if s_fixed else rep.stderr["scale"]), humps=hv,
                               peaks=pk, report=rep, two_theta_deg=x, intensity=y, parts=parts,
                               converged=rep.converged, message=msg, settings=settings, sample=measurement.sample,
                               conditions=measurement.conditions, source=measurement.source)


def _scale_on_regions(x, y, b, var_y, regions, n_bkg, ctx):
    """Scale of the blank fitted as ``s·blank + Chebyshev`` on sample-free regions."""
    sel = np.zeros(x.size, dtype=bool)
    for r in regions:
        if np.ndim(r) != 1 or np.size(r) != 2:
            raise ConfigError(f"{ctx}: blank_regions must be (lo, hi) pairs in deg 2θ, got {r!r}")
        sel |= (x >= min(r)) & (x <= max(r))
    n = int(sel.sum())
    if n < int(n_bkg) + 5:
        raise DataError(f"{ctx}: blank_regions {list(regions)} hold {n} points of the pattern; give wider regions")
    basis = chebyshev_basis(x, int(n_bkg), x[0], x[-1])[sel] if n_bkg else np.zeros((n, 0))
    a = np.column_stack([b[sel], basis])
    w = 1.0 / np.sqrt(var_y[sel])
    coef = np.linalg.lstsq(a * w[:, None], y[sel] * w, rcond=None)[0]
    names = ["scale", *[f"bkg{j}" for j in range(a.shape[1] - 1)]]
    params = make_params({nm: float(c) for nm, c in zip(names, coef)})
    rep = minimize(lambda p: (a @ np.array([p[nm].value for nm in names]) - y[sel]) * w, params,
                   context=ctx + " blank scale")
    return rep.values["scale"], rep.stderr["scale"]


# -- series ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class CrystallinitySeries(SummaryRepr):
    """Crystalline fraction, amorphization index and reflection widths along a series (milling time, T ...).

    ``results`` are ordered by the condition; ``reference`` indexes the sample the
    amorphization index refers to.
    """

    results: tuple[CrystallinityResult, ...]
    condition: str
    reference: int
    amorphization_index: np.ndarray
    amorphization_index_stderr: np.ndarray
    converged: bool
    message: str

    @property
    def condition_values(self) -> np.ndarray:
        return np.array([float(r.conditions[self.condition]) for r in self.results])

    @property
    def fraction(self) -> np.ndarray:
        return np.array([r.fraction for r in self.results])

    @property
    def fraction_stderr(self) -> np.ndarray:
        return np.array([r.fraction_stderr for r in self.results])

    def to_frame(self):
        """One row per sample: condition, crystalline fraction, amorphization index, areas, blank scale."""
        import pandas as pd
        rows = []
        for r, ai, ae in zip(self.results, self.amorphization_index, self.amorphization_index_stderr):
            row = r._row()
            row.update(amorphization_index=float(ai), amorphization_index_stderr=float(ae),
                       reference=self.results[self.reference].sample)
            rows.append(row)
        return pd.DataFrame(rows)

    def peaks_frame(self):
        """Long table of reflection widths: one row per sample and reflection."""
        import pandas as pd
        return pd.concat([r.peaks.to_frame() for r in self.results if len(r.peaks)], ignore_index=True)

    def descriptors(self, *, peaks: bool = True) -> list[DescriptorRow]:
        """Per sample: ``crystalline_fraction``, ``amorphization_index``, areas and (``peaks``) ``fwhm_deg[label]`` ..."""
        rows = []
        for r, ai, ae in zip(self.results, self.amorphization_index, self.amorphization_index_stderr):
            rows += r.descriptors(peaks=peaks)
            rows.append(DescriptorRow(sample=r.sample, name="amorphization_index", value=ai, stderr=ae,
                                      technique="xrd", conditions=r.conditions, source=r.source,
                                      method=f"1-X/X_ref; ref={self.results[self.reference].sample}"))
        return rows

    def plot(self, ax=None):
        from .plot import plot_crystallinity_series
        return plot_crystallinity_series(self, ax=ax)

    def summary(self) -> str:
        lines = [f"CrystallinitySeries over {self.condition} ({len(self.results)} samples, reference "
                 f"{self.results[self.reference].sample!r})"]
        for r, ai, ae in zip(self.results, self.amorphization_index, self.amorphization_index_stderr):
            lines.append(f"  {r.sample:>14s} {self.condition}={float(r.conditions[self.condition]):<8g} "
                         f"X_c = {r.fraction:.4f} ± {r.fraction_stderr:.2g}  AI = {ai:.4f} ± {ae:.2g}"
                         + ("" if r.converged else "  NOT converged"))
        return "\n".join(lines)



def crystallinity_series(measurements: Sequence[Measurement], blank: Measurement | None = None, *,
                         condition: str = "milling_time_h", reference: int | str = 0, peaks=None,
                         labels: Sequence[str] | None = None, radiation="CuKa",
                         two_theta_range: tuple[float, float] | None = None, blank_scale: float | None = None,
                         blank_regions: Sequence[tuple[float, float]] | None = None, n_humps: int = 1,
                         hump_centers_deg: Sequence[float] | None = None, hump_fwhm_deg: float | None = None,
                         min_hump_fwhm_deg: float = 3.0, max_hump_fwhm_deg: float = 20.0,
                         max_peak_fwhm_deg: float = 2.5, blank_smooth_deg: float = 0.25,
                         shape: str = "pseudo_voigt", n_bkg: int = 1, min_snr: float = 5.0, weights: str = "auto",
                         max_nfev: int | None = None) -> CrystallinitySeries:
    """:func:`crystalline_fraction` for every pattern of a series and the amorphization index.

    Parameters
    ----------
    measurements : sequence of Measurement
        Each with the ``condition`` among its conditions (e.g. ``milling_time_h``).
    reference : int or str
        Index (in the order given) or sample name of the reference, the
        ``X_c,ref`` of ``AI = 1 - X_c / X_c,ref``; default the first pattern.
    peaks, labels
        Reflections to fit in every pattern. None: those found in the reference
        pattern, labelled by their position there, so every pattern reports the
        same reflections.

    The other keywords are those of :func:`crystalline_fraction`.

    Returns
    -------
    CrystallinitySeries
    """
    ms = list(measurements)
    if not ms:
        raise DataError("crystallinity_series: no measurements given")
    for m in ms:
        if condition not in m.conditions:
            raise DataError(f"crystallinity_series: pattern of {m.sample or 'unnamed sample'} has no {condition!r} "
                            f"condition (it has {sorted(m.conditions)}); add it with m.with_conditions"
                            f"({condition}=...) or pass condition=", path=m.source or None)
    if isinstance(reference, str):
        names = [m.sample for m in ms]
        if reference not in names:
            raise ConfigError(f"crystallinity_series: reference sample {reference!r} not among {names}")
        ref = names.index(reference)
    else:
        ref = int(reference)
        if not -len(ms) <= ref < len(ms):
            raise ConfigError(f"crystallinity_series: reference index {ref} for {len(ms)} patterns")
        ref %= len(ms)
    kw = dict(radiation=radiation, two_theta_range=two_theta_range, blank_scale=blank_scale,
              blank_regions=blank_regions, n_humps=n_humps, hump_centers_deg=hump_centers_deg,
              hump_fwhm_deg=hump_fwhm_deg, min_hump_fwhm_deg=min_hump_fwhm_deg, max_hump_fwhm_deg=max_hump_fwhm_deg,
              max_peak_fwhm_deg=max_peak_fwhm_deg, blank_smooth_deg=blank_smooth_deg, shape=shape, n_bkg=n_bkg,
              min_snr=min_snr, weights=weights, max_nfev=max_nfev)
    results: list[CrystallinityResult | None] = [None] * len(ms)
    if peaks is None:
        first = crystalline_fraction(ms[ref], blank, peaks=None, **kw)
        peaks = dict(zip(first.peaks.labels, first.peaks.position_deg.tolist()))
        labels = None
        results[ref] = first
    for i, m in enumerate(ms):
        if results[i] is None:
            results[i] = crystalline_fraction(m, blank, peaks=peaks, labels=labels, **kw)
    order = sorted(range(len(ms)), key=lambda i: float(ms[i].conditions[condition]))
    res = tuple(results[i] for i in order)
    ref_sorted = order.index(ref)
    ai = np.zeros(len(res))
    ae = np.zeros(len(res))
    for i, r in enumerate(res):
        ai[i], ae[i] = r.amorphization_index(res[ref_sorted])
    bad = [r.sample for r in res if not r.converged]
    msg = "all patterns converged" if not bad else "not converged: " + ", ".join(bad)
    return CrystallinitySeries(results=res, condition=condition, reference=ref_sorted, amorphization_index=ai,
                               amorphization_index_stderr=ae, converged=not bad, message=msg)
