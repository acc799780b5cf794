"""Band fits of one spectrum: spikes, baseline, window, multi-band fit, descriptors.

:func:`fit_spectrum` chains the steps a Raman (or NMR) band analysis takes
and returns a :class:`BandFitResult`: the bands with value and standard error
of centre, FWHM, area, height and eta, the ratios an assignment table
declares, the steps' records and a figure. Starting values come from an
assignment table (``bands="NaTaCl6"``), from given centres (``peaks=[128,
172, ...]``) or from peak detection with the number of bands chosen by BIC
(neither given). Optional table bands (impurities) that the fit finds
insignificant (area below twice its error) are dropped and the rest refitted.

Examples
--------
>>> from structkit.raman.synthetic import synthetic_spectrum
>>> m = synthetic_spectrum([(175, 20, 3000), (405, 9, 5000)], x=(100, 500), background=None, seed=0)
>>> fit = fit_spectrum(m, peaks=[170, 400], baseline=None, shape="pvoigt")
>>> fit.converged, [round(b.center) for b in fit.fit.bands]
(True, [175, 405])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.frozen import FrozenMap
from ..core.measurement import Measurement
from ..core.peakfit import PeakFitResult, PeakSpec, detect_peaks, fit_peaks, robust_noise, select_peak_count
from ..core.peakmodel import PeakModel, get_shape
from ..core.summary import SummaryRepr
from ._common import as_spectrum
from .bands import BandTable, load_bands
from .baseline import BaselineResult, fit_baseline, refine_baseline
from .preprocess import SpikeReport, remove_spikes

__all__ = ["BandFitResult", "fit_spectrum", "UNIT_SUFFIX"]

#: Column/descriptor suffix of an x unit.
UNIT_SUFFIX = {"cm-1": "cm1", "ppm": "ppm", "hz": "hz", "Hz": "hz", "nm": "nm", "eV": "eV", "meV": "meV"}


def _suffix(unit: str) -> str:
    return UNIT_SUFFIX.get(unit, unit.replace("-", "").replace("^", "").replace(" ", "") or "x")


@dataclass(frozen=True, repr=False)
class BandFitResult(SummaryRepr):
    """The band fit of one spectrum and how it was made.

    Attributes
    ----------
    fit : PeakFitResult
        Bands, curves and the lmfit report (on the fitted window).
    spectrum : Measurement
        The input, as read.
    baseline : BaselineResult or None
    spikes : SpikeReport or None
    table : BandTable or None
    ratios : mapping name -> (value, stderr)
    dropped : tuple of str
        Optional bands removed as insignificant.
    """

    fit: PeakFitResult
    spectrum: Measurement
    baseline: BaselineResult | None = None
    spikes: SpikeReport | None = None
    table: BandTable | None = None
    ratios: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    technique: str = "raman"
    settings: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "ratios", FrozenMap(dict(self.ratios)))
        object.__setattr__(self, "settings", FrozenMap(dict(self.settings)))

    # -- identity -----------------------------------------------------------------------------
    sample = property(lambda self: self.spectrum.sample)
    conditions = property(lambda self: dict(self.spectrum.conditions))
    source = property(lambda self: self.spectrum.source)
    converged = property(lambda self: self.fit.converged)
    bands = property(lambda self: self.fit.bands)

    @property
    def x_unit(self) -> str:
        return self.fit.x_unit

    @property
    def larmor_MHz(self) -> float | None:
        """Larmor frequency of an NMR spectrum in ppm (widths in Hz need it); None otherwise."""
        nu = self.spectrum.meta.get("larmor_MHz") if self.x_unit == "ppm" else None
        return None if nu is None else float(nu)

    def area_fractions(self) -> dict[str, tuple[float, float]]:
        """Each band's share of the summed area, with the standard error from the covariance."""
        names = [b.name for b in self.fit.bands]
        out = {}
        for n in names:
            out[n] = self.fit.report.propagate(lambda v, n=n: v[f"{n}_area"] / sum(v[f"{k}_area"] for k in names))
        return out

    def _rows(self) -> list[dict]:
        sfx = _suffix(self.x_unit)
        fractions = self.area_fractions()
        rows = []
        for b in self.fit.bands:
            row = {"file": self.source, "sample": self.sample, **self.conditions, "band": b.name, "shape": b.shape,
                   f"center_{sfx}": b.center, f"center_stderr_{sfx}": b.stderr["center"],
                   f"fwhm_{sfx}": b.fwhm, f"fwhm_stderr_{sfx}": b.stderr["fwhm"],
                   "area": b.area, "area_stderr": b.stderr["area"],
                   "height": b.height, "height_stderr": b.stderr["height"],
                   "eta": b.eta, "eta_stderr": b.stderr["eta"],
                   "area_fraction": fractions[b.name][0], "area_fraction_stderr": fractions[b.name][1]}
            nu = self.larmor_MHz
            if nu is not None:
                row["fwhm_hz"] = b.fwhm * nu
                row["fwhm_stderr_hz"] = b.stderr["fwhm"] * nu
            for k in ("m", "asymmetry", "lorentz_fraction", "fwhm_gauss", "fwhm_lorentz"):
                if k in b.values:
                    row[k] = b.values[k]
                    row[f"{k}_stderr"] = b.stderr[k]
            if self.table is not None and b.name in {t.name for t in self.table.bands}:
                row["assignment"] = self.table[b.name].assignment
            row["at_bound"] = ",".join(b.at_bounds)
            row["converged"] = self.converged
            row["redchi"] = self.fit.redchi
            rows.append(row)
        return rows

    def to_frame(self):
        """One row per band: ``file, sample, conditions, band, center_<unit>, center_stderr_<unit>, fwhm_<unit>,
        fwhm_stderr_<unit>, area, area_stderr, height, height_stderr, eta, eta_stderr, area_fraction ...``."""
        import pandas as pd
        return pd.DataFrame(self._rows())

    def descriptors(self) -> list[DescriptorRow]:
        """``center_<unit>[band]``, ``fwhm_<unit>[band]``, ``area[band]``, ``area_fraction[band]``,
        ``height[band]``, ``eta[band]`` and ``ratio[name]`` rows."""
        sfx = _suffix(self.x_unit)
        y_unit = self.spectrum.y_unit or "a.u."
        method = f"{self.technique}:bands:{self.table.name if self.table else 'peaks'}"
        base = dict(sample=self.sample, technique=self.technique, conditions=self.conditions, source=self.source,
                    method=method + ("" if self.converged else ":not-converged"))
        rows = []
        fractions = self.area_fractions()
        for b in self.fit.bands:
            for name, key, unit in ((f"center_{sfx}", "center", self.x_unit), (f"fwhm_{sfx}", "fwhm", self.x_unit),
                                    ("area", "area", f"{y_unit}*{self.x_unit}"), ("height", "height", y_unit),
                                    ("eta", "eta", "")):
                rows.append(DescriptorRow(name=f"{name}[{b.name}]", value=b.values[key], stderr=b.stderr[key],
                                          unit=unit, **base))
            v, e = fractions[b.name]
            rows.append(DescriptorRow(name=f"area_fraction[{b.name}]", value=v, stderr=e, unit="", **base))
            if self.larmor_MHz is not None:
                rows.append(DescriptorRow(name=f"fwhm_hz[{b.name}]", value=b.fwhm * self.larmor_MHz,
                                          stderr=b.stderr["fwhm"] * self.larmor_MHz, unit="Hz", **base))
        for name, (v, e) in self.ratios.items():
            rows.append(DescriptorRow(name=f"ratio[{name}]", value=v, stderr=e, unit="", **base))
        return rows

    def summary(self) -> str:
        head = (f"{self.technique} bands of {self.sample or self.source or 'spectrum'}"
                f"{' (table ' + self.table.name + ')' if self.table else ''}: ")
        lines = self.fit.summary().splitlines()
        lines[0] = head + lines[0].split(": ", 1)[-1]
        if self.spikes is not None and self.spikes.n:
            lines.append(f"  {self.spikes.summary()}")
        if self.dropped:
            lines.append(f"  dropped (insignificant optional bands): {', '.join(self.dropped)}")
        for name, (v, e) in self.ratios.items():
            lines.append(f"  ratio {name} = {v:.4g} ± {e:.2g}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Data, baseline-corrected fit, components and residual."""
        from .plot import plot_band_fit
        return plot_band_fit(self, ax=ax)


def _sigma(choice, m: Measurement, raw_y: np.ndarray, sel: np.ndarray):
    """Uncertainties on the fitted window."""
    if choice is None or (isinstance(choice, str) and choice == "none"):
        return None
    if isinstance(choice, str):
        if choice == "auto":
            if m.sigma is not None:
                return np.asarray(m.sigma, dtype=float)[sel]
            choice = "noise"
        if choice == "poisson":
            if np.nanmin(raw_y) < 0:
                raise DataError("sigma='poisson' needs raw counts, but the spectrum has negative values; "
                                "use sigma='noise'", path=m.source or None)
            return np.sqrt(np.maximum(np.abs(raw_y[sel]), 1.0))
        if choice == "noise":
            return np.full(int(sel.sum()), robust_noise(raw_y[sel]))
        raise ConfigError(f"sigma={choice!r}: choose auto, poisson, noise, none or give an array")
    s = np.broadcast_to(np.asarray(choice, dtype=float), raw_y.shape)
    return s[sel]


def _starts(table, peaks, start, x, y, *, shape, max_bands, min_snr):
    """PeakSpecs from carry-over, a table, given peaks, or detection (None: select by BIC)."""
    if start is not None:
        prev = start.fit if isinstance(start, BandFitResult) else start
        lookup = {s.name: s for s in (table.peak_specs(x_range=(x[0], x[-1]), shape=shape) if table else [])}
        return _carry(prev, lookup)
    if table is not None:
        return table.peak_specs(x_range=(x[0], x[-1]), shape=shape)
    if peaks is not None:
        specs = []
        for i, p in enumerate(peaks):
            if isinstance(p, PeakSpec):
                specs.append(p)
            elif isinstance(p, Mapping):
                specs.append(PeakSpec(**{"name": f"p{i + 1}", **p}))
            else:
                specs.append(PeakSpec(f"b{float(p):g}".replace(".", "_").replace("-", "m"), float(p)))
        return specs
    return None


def fit_spectrum(spectrum, *, bands: str | BandTable | None = None, select: Iterable[str] | None = None,
                 peaks: Sequence | None = None, window: Sequence[float] | None = None,
                 baseline: str | Mapping | BaselineResult | None = "arpls", despike: bool | Mapping = False,
                 shape: str | None = None, background: str | int = "none", sigma="auto",
                 same_width: Iterable = (), same_eta: Iterable = (), separation: Mapping | None = None,
                 area_ratio: Mapping | None = None, fixed: Iterable[str] = (), expr: Mapping | None = None,
                 start: BandFitResult | PeakFitResult | None = None, max_bands: int = 8, min_snr: float = 5.0,
                 drop_insignificant: bool = True, baseline_passes: int = 2, technique: str = "raman",
                 method: str = "least_squares", max_nfev: int | None = None) -> BandFitResult:
    """Fit bands to one spectrum.

    Parameters
    ----------
    spectrum : Measurement or (x, y)
    bands : str or BandTable, optional
        Assignment table (name of a shipped table or a TOML path) for starting values and bounds.
    select : iterable of str, optional
        Fit only these bands of the table.
    peaks : sequence of centres, PeakSpecs or mappings, optional
        Starting centres when there is no table. Neither: detected, number by BIC.
    window : (low, high), optional
        Fit range (after the baseline, which uses the whole spectrum).
    baseline : str, mapping, BaselineResult or None
        A method of :func:`~structkit.raman.baseline.fit_baseline` (``"arpls"`` with automatic
        lam by default), ``{"method": "poly", "anchors": [...], ...}``, a baseline already fitted,
        or None when the spectrum is already flat.
    despike : bool or mapping
        Remove cosmic-ray spikes first (``True`` or keyword arguments of
        :func:`~structkit.raman.preprocess.remove_spikes`).
    shape : str, optional
        Line shape (default: the table's, else pvoigt).
    background : str or int
        Polynomial refined with the bands, on top of the baseline (``none`` by default).
    sigma : "auto", "poisson", "noise", "none" or array
        Uncertainties: the measurement's when it has them, else the robust noise
        (``auto``); ``poisson`` uses √counts of the raw spectrum.
    same_width, same_eta, separation, area_ratio, fixed, expr
        Constraints, as in :func:`structkit.core.peakfit.fit_peaks`.
    start : BandFitResult, optional
        Carry-over: start from this fit's values (series).
    max_bands, min_snr : int, float
        For detection and BIC selection when neither bands nor peaks are given.
    drop_insignificant : bool
        Refit without optional table bands whose area is below twice its error.
    baseline_passes : int
        Times the baseline is fitted again to the spectrum minus the fitted bands and the bands
        refitted (:func:`~structkit.raman.baseline.refine_baseline`): a baseline fitted under broad
        bands takes part of them; 0 keeps the first baseline.

    Returns
    -------
    BandFitResult
    """
    m = as_spectrum(spectrum, technique=technique)
    if len(m) < 10:
        raise DataError(f"{len(m)} points are too few for a band fit", path=m.source or None)
    spikes = None
    if despike:
        m_clean, spikes = remove_spikes(m, **(despike if isinstance(despike, Mapping) else {}))
    else:
        m_clean = m
    raw_y = np.asarray(m_clean.y, dtype=float)
    table = None
    if bands is not None:
        table = load_bands(bands)
        if select is not None:
            table = table.select(select)
        if table.technique != technique:
            raise ConfigError(f"band table {table.name!r} is for {table.technique}, not {technique}")
    base_res = None
    if baseline is None:
        work = m_clean
    elif isinstance(baseline, BaselineResult):
        if baseline.baseline.shape != raw_y.shape:
            raise DataError("the baseline given does not match the spectrum's points", path=m.source or None)
        base_res = baseline
        work = m_clean.replace(y=raw_y - baseline.baseline)
    else:
        kws = dict(baseline) if isinstance(baseline, Mapping) else {"method": baseline}
        widest = _widest_start(table, peaks, start)
        if widest and "band_fwhm" not in kws:
            kws["band_fwhm"] = widest
        base_res = fit_baseline(m_clean, **kws)
        if widest:
            base_res = _with_param(base_res, band_fwhm_start=widest)
        if kws.get("lam", "auto") == "auto" and "band_fwhm" not in kws and base_res.params.get("lam"):
            # no width known: measure the bands on this first correction, then stiffen the baseline for them
            found = detect_peaks(m_clean.x, base_res.corrected.y, min_snr=min_snr)
            if found:
                widest = max(p.fwhm for p in found)
                base_res = _with_param(fit_baseline(m_clean, **kws, band_fwhm=widest), band_fwhm_start=widest)
        work = base_res.corrected
    x = np.asarray(work.x, dtype=float)
    sel = np.ones(x.size, bool)
    if window is not None:
        lo, hi = sorted(float(v) for v in window)
        sel = (x >= lo) & (x <= hi)
        if sel.sum() < 10:
            raise DataError(f"window {lo:g}-{hi:g} holds {int(sel.sum())} points (data {x[0]:g}-{x[-1]:g})",
                            path=m.source or None)
    xs, ys = x[sel], np.asarray(work.y, dtype=float)[sel]
    s = _sigma(sigma, m_clean, raw_y, sel)
    shape_default = shape or (table.shape if table else "pvoigt")
    ctx = m.source or m.sample or "spectrum"
    specs = _starts(table, peaks, start, xs, ys, shape=shape, max_bands=max_bands, min_snr=min_snr)
    fit_kws = dict(sigma=s, shape=shape_default, background=background, same_width=same_width,
                   same_eta=same_eta, separation=separation, area_ratio=area_ratio, fixed=fixed, expr=expr,
                   method=method, max_nfev=max_nfev, x_unit=m.x_unit, context=ctx)
    if specs is None:
        cands = detect_peaks(xs, ys, min_snr=min_snr, max_peaks=max_bands)
        if not cands:
            raise FitError(f"no band stands {min_snr:g} times above the noise; give peaks= or bands=, "
                           "or lower min_snr", path=m.source or None)
        fit = select_peak_count(xs, ys, candidates=cands, max_peaks=max_bands,
                                **{k: v for k, v in fit_kws.items() if k not in ("same_width", "same_eta",
                                                                                   "separation", "area_ratio",
                                                                                   "fixed", "expr")}).best
    else:
        fit = fit_peaks(xs, ys, specs, **fit_kws)
    dropped: list[str] = []
    optional = ({b.name for b in table.bands if b.optional}
                if table is not None and drop_insignificant and start is None else set())

    def drop_weak(fit, specs, ys):
        while True:
            weak = [b.name for b in fit.bands if b.name in optional and len(fit.bands) > 1
                    and not (b.area > 2.0 * b.stderr["area"])]
            if not weak:
                return fit, specs
            dropped.extend(weak)
            specs = [sp for sp in specs if sp.name not in weak]
            fit = fit_peaks(xs, ys, specs, **_without(fit_kws, dropped))

    if optional:
        fit, specs = drop_weak(fit, specs, ys)
    if base_res is not None and not isinstance(baseline, BaselineResult) and baseline_passes > 0:
        bounds = {sp.name: sp for sp in (specs or [])}
        for _ in range(int(baseline_passes)):
            widest = max(b.fwhm for b in fit.bands)
            first = base_res.params.get("band_fwhm_start")
            base_res = refine_baseline(m_clean, _bands_on(fit, x), base_res,
                                       band_fwhm=min(widest, 2.0 * first) if first else widest)
            ys = np.asarray(base_res.corrected.y, dtype=float)[sel]
            specs = _carry(fit, bounds)
            fit = fit_peaks(xs, ys, specs, **_without(fit_kws, dropped))
            if optional:
                fit, specs = drop_weak(fit, specs, ys)
    ratios = {}
    if table is not None:
        present = {b.name for b in fit.bands}
        for r in table.ratios:
            if r.numerator in present and r.denominator in present:
                ratios[r.name] = fit.ratio(r.numerator, r.denominator, r.quantity)
    settings = {"baseline": base_res.method if base_res else None, "window": tuple(window) if window else None,
                "sigma": sigma if isinstance(sigma, str) or sigma is None else "array",
                "despike": bool(despike), "table": table.name if table else None, **fit.settings}
    return BandFitResult(fit=fit, spectrum=m, baseline=base_res, spikes=spikes, table=table, ratios=ratios,
                         dropped=tuple(dropped), technique=technique, settings=settings)


def _widest_start(table: BandTable | None, peaks, start) -> float | None:
    """FWHM of the broadest band the starting values know of (for the baseline's stiffness)."""
    widths = []
    if start is not None:
        widths = [b.fwhm for b in (start.fit if isinstance(start, BandFitResult) else start).bands]
    elif table is not None:
        widths = [b.fwhm for b in table.bands]
    elif peaks is not None:
        widths = [p.fwhm for p in peaks if isinstance(p, PeakSpec) and p.fwhm]
        widths += [p["fwhm"] for p in peaks if isinstance(p, Mapping) and p.get("fwhm")]
    return max(widths) if widths else None


def _with_param(res: BaselineResult, **params) -> BaselineResult:
    import dataclasses
    return dataclasses.replace(res, params={**res.params, **params})


def _bands_on(fit: PeakFitResult, x: np.ndarray) -> np.ndarray:
    """The fitted bands (no polynomial background) evaluated on the whole axis ``x``."""
    model = PeakModel(x, [(b.name, get_shape(b.shape)) for b in fit.bands], -1)
    return model.evaluate(dict(fit.report.values))


def _carry(fit: PeakFitResult, bounds: Mapping[str, PeakSpec]) -> list[PeakSpec]:
    """PeakSpecs starting at a fit's values, with the bounds of the original specs."""
    return [b.as_start(bounds.get(b.name)) for b in fit.bands]


def _without(fit_kws: dict, names: list[str]) -> dict:
    """Constraints that do not mention dropped bands."""
    out = dict(fit_kws)

    def keep(n):
        return n not in names

    out["same_width"] = [[n for n in g if keep(n)] for g in (fit_kws.get("same_width") or ())]
    out["same_eta"] = [[n for n in g if keep(n)] for g in (fit_kws.get("same_eta") or ())]
    out["separation"] = {k: v for k, v in (fit_kws.get("separation") or {}).items() if keep(k[0]) and keep(k[1])}
    out["area_ratio"] = {k: v for k, v in (fit_kws.get("area_ratio") or {}).items() if keep(k[0]) and keep(k[1])}
    out["fixed"] = [f for f in (fit_kws.get("fixed") or ()) if not any(f == n or f.startswith(n + "_")
                                                                       for n in names)]
    out["expr"] = {k: v for k, v in (fit_kws.get("expr") or {}).items()
                   if not any(k.startswith(n + "_") or n + "_" in v for n in names)}
    return out
