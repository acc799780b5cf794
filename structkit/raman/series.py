"""Spectra along temperature or milling time: fits with parameter carry-over, band splitting, one table.

:func:`fit_series` orders the spectra by a condition, fits the first from the
table (or given peaks) and each next one from the previous result, so a band
keeps its identity as it shifts and broadens; a spectrum that fails is
recorded and the chain restarts from the table. :func:`splitting_test` asks
whether a window holds one band or two (BIC of both fits, and the two centres
must be resolved), the question of seed 000 (70 K against room temperature)
and seed 002 (the 360/420 cm-1 A1g pair of TaCl5 merging in NaTaCl6).

Examples
--------
>>> from structkit.raman.synthetic import synthetic_spectrum
>>> one = synthetic_spectrum([(390, 30, 5e4)], x=(250, 550), background=None, seed=2)
>>> two = synthetic_spectrum([(360, 18, 3e4), (420, 18, 3e4)], x=(250, 550), background=None, seed=2)
>>> splitting_test(one, (300, 480), baseline=None).split, splitting_test(two, (300, 480), baseline=None).split
(False, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, StructkitError
from ..core.measurement import Measurement
from ..core.peakfit import PeakSpec, detect_peaks, fit_peaks
from ..core.summary import SummaryRepr
from ._common import as_spectrum
from .peaks import BandFitResult, fit_spectrum

__all__ = ["SplitTest", "splitting_test", "BandSeries", "fit_series"]


@dataclass(frozen=True)
class SplitTest:
    """One band or two in a window: the BIC difference, the separation and the verdict."""

    window: tuple[float, float]
    split: bool
    delta_bic: float
    separation: float
    separation_stderr: float
    centers: tuple[float, ...]
    fwhm_single: float
    converged: bool
    message: str = ""

    def __repr__(self) -> str:
        return (f"SplitTest({self.window[0]:g}-{self.window[1]:g}: {'split' if self.split else 'single'}, "
                f"ΔBIC {self.delta_bic:.1f}, separation {self.separation:.2f} ± {self.separation_stderr:.2g})")


def splitting_test(spectrum, window: Sequence[float], *, shape: str = "pvoigt", baseline="arpls",
                   background: str = "linear", min_delta_bic: float = 10.0, sigma="auto") -> SplitTest:
    """Is the band in ``window`` one band or two?

    Fits one and two bands (on a ``background`` polynomial, after the baseline) and
    calls it split when the two-band fit lowers the BIC by more than ``min_delta_bic``
    (10: "very strong" evidence, Kass & Raftery 1995), both bands carry an area above
    twice its error, and the two centres are more than half the mean two-band FWHM and
    three standard errors apart (two half-overlapping bands of one broad shoulder do not
    count). The two-band fit starts from the two most prominent maxima in the window when
    there are two, else from either side of the one-band centre, and keeps the better.
    """
    m = as_spectrum(spectrum)
    lo, hi = sorted(float(v) for v in window)
    single = fit_spectrum(m, peaks=[PeakSpec("one", 0.5 * (lo + hi), center_range=(lo, hi))], window=(lo, hi),
                          baseline=baseline, shape=shape, background=background, sigma=sigma)
    f1 = single.fit
    c, w = f1["one"].center, f1["one"].fwhm
    x, y, s = f1.x, f1.y, f1.sigma
    dx = float(np.median(np.diff(x)))
    mid = 0.5 * (lo + hi)
    starts = []
    found = sorted(p.center for p in detect_peaks(x, y, min_snr=3.0, max_peaks=2))
    if len(found) == 2:
        starts.append((found[0], found[1], max(found[1] - found[0], 2 * dx)))
    sep0 = max(0.5 * min(w, hi - lo), 2.0 * dx)
    starts.append((max(lo + dx, c - sep0 / 2), min(hi - dx, c + sep0 / 2), sep0))
    best = None
    for a, b, sep in starts:
        split_at = 0.5 * (a + b) if lo < 0.5 * (a + b) < hi else mid
        pair = [PeakSpec("low", float(np.clip(a, lo, split_at)), fwhm=max(min(w / 2, sep), 2 * dx),
                         center_range=(lo, split_at)),
                PeakSpec("high", float(np.clip(b, split_at, hi)), fwhm=max(min(w / 2, sep), 2 * dx),
                         center_range=(split_at, hi))]
        try:
            f2 = fit_peaks(x, y, pair, sigma=s, shape=shape, background=background,
                           context=single.source or "split test")
        except StructkitError:
            continue
        if best is None or f2.report.bic < best.report.bic:
            best = f2
    if best is None:
        return SplitTest((lo, hi), False, float("nan"), float("nan"), float("nan"), (), float(w),
                         bool(f1.converged), "the two-band fit could not be set up")
    f2 = best
    d_bic = f1.report.bic - f2.report.bic
    sep, sep_err = f2.report.propagate(lambda v: v["high_center"] - v["low_center"])
    mean_w = 0.5 * (f2["low"].fwhm + f2["high"].fwhm)
    resolved = sep > 0.5 * mean_w and (not np.isfinite(sep_err) or sep > 3.0 * sep_err)
    both = f2["low"].area > 2 * f2["low"].stderr["area"] and f2["high"].area > 2 * f2["high"].stderr["area"]
    split = bool(f2.converged and d_bic > min_delta_bic and resolved and both)
    msg = "" if (f1.converged and f2.converged) else f"{f1.report.message}; {f2.report.message}"
    return SplitTest((lo, hi), split, float(d_bic), float(sep), float(sep_err),
                     (f2["low"].center, f2["high"].center), float(w), bool(f1.converged and f2.converged), msg)


@dataclass(frozen=True, repr=False)
class BandSeries(SummaryRepr):
    """Band fits of a series, in condition order, with what failed and the splitting tests."""

    results: tuple[BandFitResult, ...]
    condition: str | None
    failures: tuple[tuple[str, str], ...] = ()
    splits: Mapping[str, tuple[SplitTest, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.results)

    def to_frame(self):
        """One row per spectrum and band (the columns of :meth:`BandFitResult.to_frame`), ratios as columns."""
        import pandas as pd
        rows = []
        for r in self.results:
            ratios = {f"ratio[{k}]": v for k, (v, _e) in r.ratios.items()}
            ratios.update({f"ratio[{k}]_stderr": e for k, (_v, e) in r.ratios.items()})
            for row in r._rows():
                rows.append({**row, **ratios})
        return pd.DataFrame(rows)

    def descriptors(self) -> list[DescriptorRow]:
        rows = [d for r in self.results for d in r.descriptors()]
        for key, tests in self.splits.items():
            for r, t in zip(self.results, tests):
                base = dict(sample=r.sample, technique=r.technique, conditions=r.conditions, source=r.source,
                            method=f"{r.technique}:splitting:bic>{10:g}")
                rows.append(DescriptorRow(name=f"split[{key}]", value=float(t.split), unit="", **base))
                rows.append(DescriptorRow(name=f"splitting_{_sfx(r)}[{key}]", value=t.separation,
                                          stderr=t.separation_stderr, unit=r.x_unit, **base))
        return rows

    def summary(self) -> str:
        head = (f"band series of {len(self.results)} spectra"
                f"{' by ' + self.condition if self.condition else ''}; {len(self.failures)} failed")
        lines = [head]
        for r in self.results:
            v = r.conditions.get(self.condition, "") if self.condition else ""
            state = "ok" if r.converged else "NOT converged"
            lines.append(f"  {r.sample or r.source} {self.condition or ''} {v}: {len(r.bands)} bands, {state}, "
                         f"redchi {r.fit.redchi:.3g}")
        for src, msg in self.failures:
            lines.append(f"  FAILED {src}: {msg}")
        return "\n".join(lines)

    def plot(self, quantities=("center", "fwhm", "area")):
        """Band centre, FWHM and area against the condition (the summary figure)."""
        from .plot import plot_series
        if not self.results:
            raise ConfigError("no fitted spectrum to plot")
        cond = self.condition or "index"
        frame = self.to_frame()
        if cond == "index":
            frame["index"] = frame.groupby("band").cumcount()
        return plot_series(frame, condition=cond, quantities=quantities, unit=_sfx(self.results[0]))

    def plot_stack(self, **kws):
        from .plot import plot_stack
        return plot_stack(self.results, **kws)


def _sfx(r: BandFitResult) -> str:
    from .peaks import _suffix
    return _suffix(r.x_unit)


def _condition_of(m: Measurement, condition: str | None):
    if condition is None:
        return None
    v = m.conditions.get(condition)
    if v is None:
        raise ConfigError(f"spectrum has no condition {condition!r} (it has {', '.join(m.conditions) or 'none'}); "
                          "name it in the file name, a sidecar, or pass conditions when reading",
                          path=m.source or None)
    return v


def fit_series(spectra: Iterable, *, condition: str | None = None, carry_over: bool = True,
               split_windows: Mapping[str, Sequence[float]] | None = None, fit: Callable | None = None,
               **fit_kws) -> BandSeries:
    """Fit every spectrum of a series, each starting from the previous fit.

    Parameters
    ----------
    spectra : iterable of Measurement (or (x, y))
    condition : str, optional
        Condition to order by (``temperature_K``, ``milling_time_h`` ...); input order when None.
    carry_over : bool
        Start each fit from the previous converged one (bounds still from the table).
    split_windows : mapping name -> (low, high), optional
        Windows to run :func:`splitting_test` on, per spectrum.
    fit : callable, optional
        ``fit(measurement, start=previous_or_None) -> BandFitResult``; default
        :func:`~structkit.raman.peaks.fit_spectrum` with ``fit_kws`` (NMR: a wrapper of
        :func:`~structkit.raman.nmr.fit_lines`).
    **fit_kws
        For :func:`~structkit.raman.peaks.fit_spectrum` (bands=, baseline=, window=, shape= ...).

    Returns
    -------
    BandSeries
        Failures (StructkitError of one spectrum) are recorded, not raised.
    """
    items = [s if isinstance(s, Measurement) else as_spectrum(s) for s in spectra]
    if fit is None:
        def fit(m, start=None):
            return fit_spectrum(m, start=start, **fit_kws)
    if not items:
        raise ConfigError("fit_series: no spectra given")
    if condition is not None:
        keyed = []
        failures_cond = []
        for m in items:
            try:
                keyed.append((float(_condition_of(m, condition)), m))
            except (StructkitError, TypeError, ValueError) as exc:
                failures_cond.append((m.source or m.sample, f"{type(exc).__name__}: {exc}"))
        items = [m for _, m in sorted(keyed, key=lambda t: t[0])]
    else:
        failures_cond = []
    results, failures = [], list(failures_cond)
    prev = None
    tests: dict[str, list[SplitTest]] = {k: [] for k in (split_windows or {})}
    for m in items:
        try:
            r = fit(m, start=prev if carry_over else None)
            if carry_over and prev is not None and not r.converged:
                r = fit(m, start=None)          # a bad start: once more from the table
        except StructkitError as exc:
            failures.append((m.source or m.sample, f"{type(exc).__name__}: {exc}"))
            prev = None
            continue
        results.append(r)
        prev = r if r.converged else None
        for key, win in (split_windows or {}).items():
            try:
                t = splitting_test(m, win, shape=r.fit.settings.get("shape") or "pvoigt",
                                   baseline=r.baseline if r.baseline is not None else None)
            except StructkitError as exc:
                lo, hi = sorted(float(v) for v in win)
                t = SplitTest((lo, hi), False, float("nan"), float("nan"), float("nan"), (), float("nan"), False,
                              f"splitting test failed: {exc}")
                failures.append((m.source or m.sample, f"{type(exc).__name__}: splitting test {key}: {exc}"))
            tests[key].append(t)
    return BandSeries(tuple(results), condition, tuple(failures), {k: tuple(v) for k, v in tests.items()})
