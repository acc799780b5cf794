"""One G(r) to all its numbers, and a temperature or milling series to one table and its figures.

:func:`analyse_pdf` runs, on one measured G(r), whichever analyses are asked for: shell fits in r
windows (:func:`~structkit.pdf.rpeaks.fit_rpeaks`), the damping envelope
(:func:`~structkit.pdf.order.fit_envelope`), the mid-range order metric
(:func:`~structkit.pdf.order.mid_range_order`) and a small-box fit
(:func:`~structkit.pdf.smallbox.fit_pdf`). A step that fails is recorded with its message in
``failures`` and the others still report: nothing computed is lost.

:func:`analyse_series` does that for every measurement of a series, ordered by the condition
(temperature_K, milling_time_h ...). Small-box fits are chained as PDFgui's temperature series
does: each starts from the previous (successful) fit's structure, so fits converge in fewer steps
and follow one minimum across a transition. The mid-range order is normalised to the first
measurement (or a given reference).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, StructkitError
from ..core.summary import SummaryRepr
from .order import EnvelopeFit, fit_envelope, mid_range_order
from .rpeaks import RPeakFit, _window, fit_rpeaks
from .smallbox import SmallBoxFit, fit_pdf_measurement, measurement_qmax
from .structure import Phase

__all__ = ["analyse_pdf", "analyse_series", "PdfAnalysis", "PdfSeries"]


@dataclass(frozen=True, eq=False, repr=False)
class PdfAnalysis(SummaryRepr):
    """Everything :func:`analyse_pdf` found on one G(r); ``failures`` lists (step, message) of steps that failed."""

    sample: str
    conditions: Mapping[str, object]
    source: str
    r: np.ndarray
    g: np.ndarray
    peaks: tuple[RPeakFit, ...] = ()
    envelope: EnvelopeFit | None = None
    mid_range: Mapping[str, float] | None = None
    mid_range_window: tuple[float, float] | None = None
    smallbox: SmallBoxFit | None = None
    failures: tuple[tuple[str, str], ...] = ()
    _html_summary_lines = None

    def descriptors(self) -> list[DescriptorRow]:
        rows: list[DescriptorRow] = []
        for p in self.peaks:
            rows.extend(p.descriptors())
        if self.envelope is not None:
            rows.extend(self.envelope.descriptors())
        if self.mid_range is not None:
            lo, hi = self.mid_range_window
            base = dict(sample=self.sample, technique="pdf", conditions=self.conditions, source=self.source,
                        method=f"integrated |G(r)| {lo:g}-{hi:g} A")
            tag = f"[{lo:g}-{hi:g}]"
            rows.append(DescriptorRow(name=f"pdf_mid_range_order_inv_A{tag}", value=self.mid_range["value"],
                                      stderr=self.mid_range["stderr"], unit="1/angstrom", **base))
            if "ratio" in self.mid_range:
                rows.append(DescriptorRow(name=f"pdf_mid_range_order_rel{tag}", value=self.mid_range["ratio"],
                                          stderr=self.mid_range["ratio_stderr"], unit="", **base))
        if self.smallbox is not None:
            rows.extend(self.smallbox.descriptors())
        return rows

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"name": d.name, "value": d.value, "stderr": d.stderr, "unit": d.unit, "method": d.method}
                             for d in self.descriptors()])

    def summary(self) -> str:
        cond = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in self.conditions.items())
        lines = [f"PDF analysis of {self.source or self.sample}{f' ({cond})' if cond else ''}"]
        for p in self.peaks:
            lines.extend("  " + ln for ln in p.summary().splitlines())
        if self.envelope is not None:
            lines.append("  " + self.envelope.summary().splitlines()[0])
        if self.mid_range is not None:
            lo, hi = self.mid_range_window
            rel = f" (x{self.mid_range['ratio']:.3f} of the reference)" if "ratio" in self.mid_range else ""
            lines.append(f"  mid-range order, integrated |G| {lo:g}-{hi:g} A: {self.mid_range['value']:.4g} A^-1{rel}")
        if self.smallbox is not None:
            lines.extend("  " + ln for ln in self.smallbox.summary().splitlines())
        for step, msg in self.failures:
            lines.append(f"  FAILED {step}: {msg}")
        return "\n".join(lines)

    def plot(self):
        """One panel per analysis that ran (G(r) overview first); returns the Figure."""
        import matplotlib.pyplot as plt
        panels = 1 + len(self.peaks) + (self.envelope is not None) + (self.smallbox is not None)
        ncol = min(panels, 3)
        nrow = math.ceil(panels / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.8 * nrow), constrained_layout=True, squeeze=False)
        flat = list(axes.ravel())
        ax = flat.pop(0)
        ax.plot(self.r, self.g, lw=0.7, color="0.2")
        if self.mid_range_window is not None:
            ax.axvspan(*self.mid_range_window, color="C1", alpha=0.12, lw=0, label="mid-range window")
        for p in self.peaks:
            ax.axvspan(*p.window, color="C0", alpha=0.15, lw=0)
        ax.set(xlabel="r (Å)", ylabel="G(r) (Å⁻²)", title=self.sample or self.source)
        for p in self.peaks:
            p.plot(ax=flat.pop(0))
        if self.envelope is not None:
            self.envelope.plot(ax=flat.pop(0))
        if self.smallbox is not None:
            self.smallbox.plot(ax=flat.pop(0))
        for ax in flat:
            ax.set_visible(False)
        return fig


def _windows(windows, npeaks, labels) -> list[dict]:
    if windows is None:
        return []
    if isinstance(windows, (str, Mapping)) or (len(windows) == 2 and all(isinstance(w, (int, float)) for w in windows)):
        windows = [windows]
    out = []
    for k, w in enumerate(windows):
        spec = dict(w) if isinstance(w, Mapping) else {"window": w}
        if "window" not in spec:
            raise ConfigError(f"peak window {k + 1}: give 'window' = [lo, hi] (Å)")
        spec["window"] = _window(spec["window"])
        n = npeaks[k] if isinstance(npeaks, Sequence) and not isinstance(npeaks, str) else npeaks
        spec.setdefault("npeaks", n)
        if labels is not None and k < len(labels) and labels[k] is not None:
            lab = labels[k]
            spec.setdefault("labels", [lab] if isinstance(lab, str) else list(lab))
        out.append(spec)
    return out


def analyse_pdf(measurement, *, windows=None, npeaks: int | Sequence[int] = 1, labels=None, same_width: bool = False,
                pairs=None, composition=None, rho0: float | None = None, qmax: float | None = None,
                terminate: bool = True, mode: str = "xray", envelope: str | None = None,
                envelope_range: tuple[float, float | None] = (3.0, None), envelope_reference=None,
                envelope_window: float = 2.5, qdamp_envelope: float = 0.0,
                mid_range: tuple[float, float] | None = (5.0, 20.0), mid_range_reference=None,
                phases: Sequence[Phase] | Phase | None = None, fit_range: tuple[float, float] | None = None,
                refine: Sequence[str] = ("scale", "lattice", "uiso", "delta2", "qdamp"),
                start: Mapping[str, float] | None = None, qdamp: float = 0.0, max_nfev: int | None = 2000,
                ) -> PdfAnalysis:
    """Every requested analysis of one G(r) Measurement (x = r in Å, y = G in the PDFfit convention).

    Parameters
    ----------
    windows : sequence, optional
        Shell-fit windows: ``(lo, hi)``, ``"lo:hi"`` or ``{"window": ..., "npeaks": 2, "labels": [...],
        "pairs": [...], "same_width": True, "baseline": "linear"}``; ``npeaks``, ``labels``,
        ``same_width`` and ``pairs`` apply to the windows that do not set them.
    composition, rho0, mode : optional
        For partial coordination numbers and absolute areas (see :func:`fit_rpeaks`).
    qmax : float, optional
        Qmax of G(r); default from the measurement's meta. ``terminate`` convolves the peaks with it.
    envelope : {"sphere", "exponential"}, optional
        Fit the damping envelope over ``envelope_range`` (against ``envelope_reference`` when given).
    mid_range : (lo, hi) or None
        Window of the mid-range order metric (default 5-20 Å); ``mid_range_reference`` adds the ratio.
    phases, fit_range, refine, start, qdamp : optional
        Small-box fit of these structures over ``fit_range`` (Å); see :func:`fit_pdf`.
    """
    m = measurement
    r = np.asarray(m.x, dtype=float)
    g = np.asarray(m.y, dtype=float)
    dg = None if m.sigma is None else np.asarray(m.sigma, dtype=float)
    qm = qmax if qmax is not None else (measurement_qmax(m) or None)      # 0 in a header: no termination
    key = dict(sample=m.sample, conditions=dict(m.conditions), source=m.source)
    failures: list[tuple[str, str]] = []
    peaks = []
    for spec in _windows(windows, npeaks, labels):
        w = spec["window"]
        try:
            peaks.append(fit_rpeaks(r, g, w, npeaks=spec.get("npeaks"), centers=spec.get("centers"), dg=dg,
                                    rho0=spec.get("rho0", rho0), qmax=qm if terminate else None,
                                    baseline=spec.get("baseline", "linear"), labels=spec.get("labels"),
                                    pairs=spec.get("pairs", pairs), composition=composition, mode=mode,
                                    max_fwhm=spec.get("max_fwhm"), polarity=spec.get("polarity", "auto"),
                                    same_width=spec.get("same_width", same_width), **key))
        except StructkitError as exc:
            failures.append((f"peaks {w[0]:g}-{w[1]:g} A", str(exc)))
    env = None
    if envelope:
        lo, hi = envelope_range
        try:
            env = fit_envelope(r, g, model=envelope, rmin=lo, rmax=hi, reference=envelope_reference,
                               window=envelope_window, qdamp=qdamp_envelope, **key)
        except StructkitError as exc:
            failures.append((f"{envelope} envelope", str(exc)))
    mro, mwin = None, None
    if mid_range is not None:
        try:
            mwin = _window(mid_range)
            mro = mid_range_order(r, g, mwin, dg=dg, reference=mid_range_reference)
        except StructkitError as exc:
            failures.append(("mid-range order", str(exc)))
            mwin = None
    box = None
    if phases is not None:
        lo, hi = fit_range if fit_range is not None else (None, None)
        try:
            if qm is None:
                raise ConfigError("the small-box fit needs Qmax: the file does not give it; pass qmax")
            box = fit_pdf_measurement(m, phases, rmin=lo, rmax=hi, qmax=qm, qdamp=qdamp, mode=mode,
                                      refine=tuple(refine), start=start, max_nfev=max_nfev)
            if not box.converged:
                failures.append(("small-box fit", box.message))
        except StructkitError as exc:
            failures.append(("small-box fit", str(exc)))
    return PdfAnalysis(r=r, g=g, peaks=tuple(peaks), envelope=env, mid_range=mro, mid_range_window=mwin,
                       smallbox=box, failures=tuple(failures), **key)


@dataclass(frozen=True, eq=False, repr=False)
class PdfSeries(SummaryRepr):
    """:func:`analyse_series`: the analyses in condition order, plus the files that could not be analysed."""

    analyses: tuple[PdfAnalysis, ...]
    condition: str
    failures: tuple[Mapping[str, str], ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)
    _html_summary_lines = 1

    def descriptors(self) -> list[DescriptorRow]:
        return [d for a in self.analyses for d in a.descriptors()]

    def to_frame(self):
        """One row per G(r): file, sample, condition(s), then every descriptor (value and ``<name>_stderr``)."""
        import pandas as pd
        rows = []
        for a in self.analyses:
            row = {"file": a.source, "sample": a.sample, **dict(a.conditions)}
            for d in a.descriptors():
                row[d.name] = d.value
                row[f"{d.name}_stderr"] = d.stderr
            row["failed_steps"] = "; ".join(s for s, _ in a.failures)
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        head = (f"PDF series: {len(self.analyses)} G(r) by {self.condition or 'file order'}"
                f"{f', {len(self.failures)} file(s) failed' if self.failures else ''}")
        return "\n".join([head] + [a.summary() for a in self.analyses])

    def _curves(self):
        out = []
        unit = self.condition.rsplit("_", 1)[-1] if "_" in (self.condition or "") else ""
        for a in self.analyses:
            v = a.conditions.get(self.condition)
            label = f"{v:g} {unit}".strip() if isinstance(v, (int, float)) else (a.sample or a.source)
            out.append((label, a.r, a.g))
        return out

    def plot_stack(self, rmax: float | None = 20.0, ax=None):
        """Stacked G(r) (offset curves, lowest condition at the bottom)."""
        from .plot import plot_stack
        return plot_stack(self._curves(), rmax=rmax, ax=ax)

    def plot_waterfall(self, rmax: float | None = 20.0, ax=None):
        """G(r) as a colour map of r and the condition."""
        from .plot import plot_waterfall
        return plot_waterfall(self._curves(), rmax=rmax, ylabel=self.condition or "measurement", ax=ax)

    def plot_descriptors(self, names: Sequence[str] | None = None):
        """Key descriptors vs the condition: peak positions, CN, size, mid-range order, cell, Uiso, Rw."""
        import pandas as pd

        from .plot import plot_descriptors
        frame = pd.DataFrame([{"sample": d.sample, "name": d.name, "value": d.value, "stderr": d.stderr,
                               **dict(d.conditions)} for d in self.descriptors()])
        if frame.empty:
            return None
        cond = self.condition if self.condition in frame.columns else None
        if cond is None:
            frame["measurement"] = frame.groupby("sample").cumcount()
            cond = "measurement"
        if names is None:
            present = list(dict.fromkeys(frame["name"]))
            keys = ("pdf_peak_r_", "pdf_cn[", "pdf_peak_cn_weighted", "pdf_particle_", "pdf_coherence_",
                    "pdf_mid_range_order_rel", "pdf_a_", "pdf_b_", "pdf_c_", "pdf_orthorhombic", "pdf_uiso", "pdf_rw")
            names = [n for n in present if n.startswith(keys)]
            if not any(n.startswith("pdf_mid_range_order_rel") for n in names):
                names += [n for n in present if n.startswith("pdf_mid_range_order_inv_A")]
        return plot_descriptors(frame, names[:12], condition=cond)


def _order_key(condition):
    def key(m):
        v = m.conditions.get(condition) if condition else None
        return (0, float(v)) if isinstance(v, (int, float)) else (1, 0.0)
    return key


def analyse_series(measurements, *, condition: str | None = None, reference="first", chain: bool = True,
                   **kwargs) -> PdfSeries:
    """:func:`analyse_pdf` on every measurement of a series, sorted by ``condition``.

    Parameters
    ----------
    condition : str, optional
        The condition that orders the series; default ``temperature_K`` when every measurement
        has it, else the first condition they all share, else file order.
    reference : "first", int, Measurement, float or None
        Reference of the mid-range order ratio: the first measurement in condition order (default),
        the one at that index, a given G(r) or value.
    chain : bool
        Start each small-box fit from the previous converged fit's structures (and Qdamp, Qbroad);
        ``start`` then seeds only the fits before the first that converged.
    **kwargs
        Passed to :func:`analyse_pdf`.
    """
    ms = list(measurements)
    if not ms:
        raise ConfigError("analyse_series: no measurements")
    if condition is None:
        shared = set.intersection(*(set(m.conditions) for m in ms))
        condition = "temperature_K" if "temperature_K" in shared else (sorted(shared)[0] if shared else "")
    ms.sort(key=_order_key(condition))
    ref = reference
    if isinstance(reference, str):
        if reference != "first":
            raise ConfigError(f"reference must be 'first', an index, a G(r) or a number, got {reference!r}")
        ref = ms[0]
    elif isinstance(reference, int) and not isinstance(reference, bool):
        ref = ms[reference]
    if kwargs.get("mid_range", (5.0, 20.0)) is not None and ref is not None and not isinstance(ref, (int, float)):
        try:
            lo, hi = _window(kwargs.get("mid_range", (5.0, 20.0)))
            ref = mid_range_order(ref.x, ref.y, (lo, hi), dg=ref.sigma)["value"]
        except StructkitError:
            ref = None                          # the reference's own failure shows up in its own row
    phases = kwargs.pop("phases", None)
    out = []
    for m in ms:
        a = analyse_pdf(m, phases=phases, mid_range_reference=ref, **kwargs)
        if chain and a.smallbox is not None and a.smallbox.converged:
            phases = list(a.smallbox.phases)
            kwargs["qdamp"] = a.smallbox.qdamp
            # ``start`` seeds the first fit only: re-applied, it would override the chained structure
            # (the refined phases carry every phase parameter; Qbroad is the one dataset value left)
            kwargs["start"] = {"qbroad": a.smallbox.qbroad} if a.smallbox.qbroad else None
        out.append(a)
    return PdfSeries(analyses=tuple(out), condition=condition,
                     settings={"chain": chain, "reference": "first" if reference == "first" else str(reference)})
