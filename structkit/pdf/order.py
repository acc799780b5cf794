"""How far order reaches in G(r): the damping envelope (particle diameter, coherence length) and the
mid-range order metric of seed 002.

Envelope. The ordered part of a finite crystallite's G(r) is the bulk G(r) times the
characteristic function of its shape; for a sphere of diameter D (Guinier; Kodama et al., Acta
Cryst. A62, 444 (2006))

    f(r; D) = 1 − 3r/(2D) + r³/(2D³)   (r < D),   0 beyond,

and for a structure whose correlations die out without a sharp size (amorphizing, strained or
defective material) the exponential model f(r; ξ) = exp(−r/ξ) gives a coherence length ξ.
Both can be multiplied by the instrument's exp(−(Qdamp r)²/2) (Qdamp known from a standard).

:func:`fit_envelope` works two ways:

* with a ``reference`` G(r) of the same structure without the size effect (a computed bulk
  pattern or the crystalline parent), G(r) ≈ s·f(r)·G_ref(r) is fitted point by point;
* without one, the local RMS amplitude of G(r) (after removing a running mean) is taken in
  windows of ``window`` Å and fitted by √(A²f(r)² + c²), c the noise floor. A bulk crystal's G(r)
  oscillates with an r-independent amplitude (each Bragg reflection contributes a sine of constant
  amplitude), so the amplitude envelope follows f(r).

Mid-range order (seed 002): M = ∫ |G(r)| dr over a window (default 5-20 Å), and M/M_ref against a
reference sample (the crystalline parent), which falls from 1 as order is lost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.summary import SummaryRepr
from .rpeaks import _positive, _window

__all__ = ["sphere_envelope", "fit_envelope", "EnvelopeFit", "mid_range_order", "amplitude_envelope"]

MODELS = ("sphere", "exponential")


def sphere_envelope(r, diameter: float) -> np.ndarray:
    """Characteristic function of a sphere of ``diameter`` Å: 1 − 3r/2D + r³/2D³ for r < D, else 0.

    Examples
    --------
    >>> sphere_envelope(np.array([0.0, 20.0, 40.0, 50.0]), 40.0).round(4).tolist()
    [1.0, 0.3125, 0.0, 0.0]
    """
    r = np.asarray(r, dtype=float)
    x = r / float(diameter)
    return np.where(x < 1.0, 1.0 - 1.5 * x + 0.5 * x ** 3, 0.0)


def _model(kind: str, r, size: float, qdamp: float) -> np.ndarray:
    f = sphere_envelope(r, size) if kind == "sphere" else np.exp(-np.asarray(r) / size)
    if qdamp > 0:
        f = f * np.exp(-0.5 * (qdamp * np.asarray(r)) ** 2)
    return f


def amplitude_envelope(r, g, window: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """Centres and local RMS amplitude of G(r) − its running mean, in non-overlapping windows of ``window`` Å."""
    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    step = float(np.median(np.diff(r)))
    npts = max(int(round(window / step)), 5)
    if r.size < 2 * npts:
        raise DataError(f"G(r) has {r.size} points: too few for amplitude windows of {window:g} A")
    kernel = np.ones(npts) / npts
    mean = np.convolve(g, kernel, mode="same")
    dev = g - mean
    nwin = r.size // npts
    half = npts // 2
    centres, amps = [], []
    for k in range(nwin):
        s = slice(k * npts, (k + 1) * npts)
        inner = np.arange(k * npts, (k + 1) * npts)
        if inner[0] < half or inner[-1] >= r.size - half:          # the running mean is biased at the ends
            continue
        centres.append(float(np.mean(r[s])))
        amps.append(float(np.sqrt(np.mean(dev[s] ** 2))))
    return np.asarray(centres), np.asarray(amps)


@dataclass(frozen=True, eq=False, repr=False)
class EnvelopeFit(SummaryRepr):
    """Result of :func:`fit_envelope`: the size (``diameter`` or ``coherence length``) with its error."""

    model: str
    size: float
    size_stderr: float
    qdamp: float
    method: str                        # "reference" or "amplitude"
    report: FitReport
    r: np.ndarray                      # the points fitted (window centres for "amplitude")
    y_obs: np.ndarray
    y_calc: np.ndarray
    r_range: tuple[float, float]
    r_data: np.ndarray = field(default=None, repr=False)
    g_data: np.ndarray = field(default=None, repr=False)
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""

    @property
    def converged(self) -> bool:
        return self.report.converged

    @property
    def name(self) -> str:
        return "pdf_particle_diameter_angstrom" if self.model == "sphere" else "pdf_coherence_length_angstrom"

    def descriptors(self) -> list[DescriptorRow]:
        return [DescriptorRow(sample=self.sample, name=self.name, value=self.size, stderr=self.size_stderr,
                              unit="angstrom", technique="pdf", conditions=self.conditions, source=self.source,
                              method=f"envelope:{self.model}:{self.method}")]

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame({"r": self.r, "observed": self.y_obs, "model": self.y_calc})

    def summary(self) -> str:
        what = "diameter D" if self.model == "sphere" else "coherence length xi"
        lo, hi = self.r_range
        s = (f"G(r) envelope of {self.source or self.sample or 'data'} ({self.model}, {self.method}, "
             f"r {lo:g}-{hi:g} A{f', Qdamp {self.qdamp:g}' if self.qdamp else ''}): {what} = "
             f"{self.size:.4g} ± {self.size_stderr:.2g} A; {'converged' if self.converged else 'NOT converged'}")
        if not self.converged or "at a bound" in self.report.message:
            s += f"\n  {self.report.message}"
        return s

    def plot(self, ax=None):
        from .plot import plot_envelope
        return plot_envelope(self, ax=ax)


def _curve(reference) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(r, G, dG or None) of a reference given as a Measurement or an (r, G) pair."""
    if hasattr(reference, "x"):
        return np.asarray(reference.x, float), np.asarray(reference.y, float), reference.sigma
    return np.asarray(reference[0], float), np.asarray(reference[1], float), None


def fit_envelope(r, g, *, model: str = "sphere", rmin: float = 3.0, rmax: float | None = None,
                 reference=None, window: float = 2.5, qdamp: float = 0.0, start: float | None = None,
                 sample: str = "", conditions: Mapping | None = None, source: str = "") -> EnvelopeFit:
    """Particle diameter (``model='sphere'``) or coherence length (``'exponential'``) from G(r).

    Parameters
    ----------
    r, g : array_like
        G(r) (PDFfit convention) on an increasing r grid.
    rmin, rmax : float
        r range of the fit (Å); start above the first few shells, whose widths differ from the rest
        (correlated motion); rmax default the data's end.
    reference : (r, G) pair or Measurement, optional
        The size-free G(r) of the same structure; fitted as s·f(r)·G_ref(r). Without it the local
        amplitude envelope is fitted (module notes).
    window : float
        Amplitude windows (Å), a few G(r) oscillations wide.
    qdamp : float
        Known instrumental damping (Å⁻¹), applied on top of the model.
    start : float, optional
        Starting size (Å); default half of the fit range's upper end.
    """
    kind = str(model).lower()
    if kind not in MODELS:
        raise ConfigError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    if r.ndim != 1 or r.shape != g.shape or r.size < 10:
        raise DataError("r and G must be 1-D arrays of one length with at least 10 points", path=source or None)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(g))) or np.any(np.diff(r) <= 0):
        raise DataError("G(r) must be finite on an increasing r grid", path=source or None)
    qdamp = 0.0 if not qdamp else _positive(qdamp, "qdamp")
    hi = float(r[-1]) if rmax is None else float(rmax)
    lo, hi = _window((rmin, hi))
    if lo < r[0] - 1e-9 or hi > r[-1] + 1e-9:
        raise DataError(f"envelope range {lo:g}-{hi:g} A is outside the data (r = {r[0]:g}-{r[-1]:g} A)",
                        path=source or None)
    size0 = float(start) if start is not None else 0.5 * hi
    size0 = _positive(size0, "start")
    smax = 1e4                                   # Å: upper bound of D or ξ
    if reference is not None:
        rr, gr, _ = _curve(reference)
        if rr[0] > lo + 1e-9 or rr[-1] < hi - 1e-9:
            raise DataError(f"the reference G(r) covers {rr[0]:g}-{rr[-1]:g} A, not the fit range {lo:g}-{hi:g} A")
        sel = (r >= lo) & (r <= hi)
        x, y = r[sel], g[sel]
        ref = np.interp(x, rr, gr)
        s0 = float(np.dot(ref, y) / max(np.dot(ref, ref), 1e-300)) / max(float(np.mean(_model(kind, x, size0, qdamp))),
                                                                       1e-6)
        spec = {"scale": {"value": max(s0, 1e-6), "min": 0.0}, "size": {"value": size0, "min": 1.0, "max": smax}}

        def curve(v):
            return v["scale"] * _model(kind, x, v["size"], qdamp) * ref
        method = "reference"
    else:
        x, y = amplitude_envelope(r, g, window)
        keep = (x >= lo) & (x <= hi)
        x, y = x[keep], y[keep]
        if x.size < 4:
            raise FitError(f"only {x.size} amplitude windows of {window:g} A in {lo:g}-{hi:g} A; widen the range "
                           "or narrow the window", path=source or None)
        f0 = _model(kind, x, size0, qdamp)
        a0 = float(y[0] / max(f0[0], 1e-3))
        spec = {"amp": {"value": max(a0, 1e-12), "min": 0.0}, "size": {"value": size0, "min": 1.0, "max": smax},
                "floor": {"value": float(np.min(y)) * 0.5, "min": 0.0}}

        def curve(v):
            return np.sqrt((v["amp"] * _model(kind, x, v["size"], qdamp)) ** 2 + v["floor"] ** 2)
        method = "amplitude"

    def residual(params):
        return curve(params.valuesdict()) - y

    report = minimize(residual, make_params(spec), context=f"{source or 'G(r)'}: {kind} envelope", max_nfev=2000)
    v = dict(report.values)
    return EnvelopeFit(model=kind, size=v["size"], size_stderr=report.stderr["size"], qdamp=qdamp, method=method,
                       report=report, r=x, y_obs=y, y_calc=curve(v), r_range=(lo, hi), r_data=r, g_data=g,
                       sample=sample, conditions=dict(conditions or {}), source=str(source))


def mid_range_order(r, g, window=(5.0, 20.0), *, dg=None, reference=None) -> dict[str, float]:
    """Seed 002's mid-range order: M = ∫|G(r)| dr over ``window`` (Å⁻¹), with its counting error.

    ``reference`` (a number, an (r, G) pair or a Measurement) adds ``ratio`` = M/M_ref and its error.

    Examples
    --------
    >>> r = np.linspace(0, 30, 3001)
    >>> m = mid_range_order(r, np.sin(2 * np.pi * r), reference=2 * mid_range_order(r, np.sin(2 * np.pi * r))["value"])
    >>> round(m["value"], 2), round(m["ratio"], 3)            # 15 · 2/π
    (9.55, 0.5)
    """
    from .transform import trapezoid_weights
    lo, hi = _window(window)
    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    if r.shape != g.shape or r.ndim != 1:
        raise DataError("r and G must be 1-D arrays of one length")
    if lo < r[0] - 1e-9 or hi > r[-1] + 1e-9:
        raise DataError(f"window {lo:g}-{hi:g} A is outside the data (r = {r[0]:g}-{r[-1]:g} A)")
    sel = (r >= lo - 1e-9) & (r <= hi + 1e-9)
    if np.count_nonzero(sel) < 3 or not np.all(np.isfinite(g[sel])):
        raise DataError(f"G(r) needs finite values and at least 3 points in {lo:g}-{hi:g} A")
    wts = trapezoid_weights(r[sel])
    value = float(np.sum(wts * np.abs(g[sel])))
    err = float("nan")
    if dg is not None:
        d = np.asarray(dg, dtype=float)[sel]
        if np.all(np.isfinite(d)):
            err = float(np.sqrt(np.sum((wts * d) ** 2)))
    out = {"value": value, "stderr": err}
    if reference is not None:
        if isinstance(reference, (int, float)):
            ref, ref_err = float(reference), 0.0
        else:
            rr, gg, dd = _curve(reference)
            m = mid_range_order(rr, gg, (lo, hi), dg=dd)
            ref, ref_err = m["value"], (0.0 if math.isnan(m["stderr"]) else m["stderr"])
        if not ref > 0:
            raise ConfigError(f"the reference mid-range order must be positive, got {ref!r}")
        ratio = value / ref
        e = 0.0 if math.isnan(err) else err
        out["ratio"] = ratio
        out["ratio_stderr"] = ratio * math.hypot(e / value if value else 0.0, ref_err / ref)
    return out
