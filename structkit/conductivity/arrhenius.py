"""Arrhenius analysis of σ(T): single and multi-regime fits, breakpoints, VTF, σ at any T.

The default form is ``σT = A exp(-Ea / k_B T)`` (seeds 000 and 001), fitted
as ``ln(σT)`` against ``1/T``; ``form="sigma"`` fits ``σ = σ0 exp(-Ea / k_B T)``.
The two forms differ in Ea by about ``k_B T̄`` (≈ 0.03 eV near 350 K), so the
form is recorded in every result and descriptor.

Multi-regime fits are continuous piecewise-linear in ``1/T`` (the core
engine :func:`structkit.core.piecewise.fit_piecewise_linear`): the number of
regimes (1-4) and the breakpoints are chosen by BIC (or AICc), and every Ea
and breakpoint has a standard error. Regimes are numbered from the lowest
temperature up (regime 1 is the coldest), as in seed 000.

Examples
--------
>>> import numpy as np
>>> t = np.arange(250.0, 400.0, 10.0)
>>> sigma = 1e4 / t * np.exp(-0.45 / (K_B_EV * t))
>>> res = fit_arrhenius(t, sigma, regimes=1)
>>> round(res.regimes[0].ea_eV, 4)
0.45
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from ..core.frozen import FrozenMap

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.piecewise import PiecewiseFit, fit_piecewise_linear
from ..core.units import K_B_EV

__all__ = ["Regime", "ArrheniusResult", "fit_arrhenius", "VTFResult", "fit_vtf", "two_point_ea"]


@dataclass(frozen=True)
class Regime:
    """One Arrhenius regime: its temperature span, Ea and prefactor.

    ``prefactor`` is ``A`` in S·K/cm (σT form) or ``σ0`` in S/cm (σ form);
    ``ln_prefactor_stderr`` is the standard error of its natural logarithm.
    """

    index: int
    t_min_K: float
    t_max_K: float
    ea_eV: float
    ea_stderr_eV: float
    prefactor: float
    ln_prefactor_stderr: float
    n_points: int


def _check_series(temperature_K, sigma, sigma_stderr, context):
    t = np.asarray(temperature_K, dtype=float)
    s = np.asarray(sigma, dtype=float)
    if t.ndim != 1 or t.shape != s.shape:
        raise DataError(f"{context}: temperature_K and sigma must be 1-D and of equal length")
    bad = ~(np.isfinite(t) & np.isfinite(s))
    if bad.any():
        raise DataError(f"{context}: {int(bad.sum())} non-finite temperature or conductivity value(s) "
                        f"(first at row {int(np.flatnonzero(bad)[0])}); remove them")
    if np.any(t <= 0):
        raise DataError(f"{context}: temperatures must be in kelvin and positive; got {t.min():g}")
    if np.any(s <= 0):
        raise DataError(f"{context}: conductivities must be positive; got {s.min():g} S/cm")
    e = None
    if sigma_stderr is not None:
        e = np.asarray(sigma_stderr, dtype=float)
        if e.shape != s.shape:
            raise DataError(f"{context}: sigma_stderr has {e.size} values for {s.size} conductivities")
        if not (np.all(np.isfinite(e)) and np.all(e > 0)):
            e = None        # unusable weights: fall back to equal weights in ln σ
    order = np.argsort(t, kind="stable")
    t, s = t[order], s[order]
    e = None if e is None else e[order]
    if np.any(np.diff(t) == 0):
        raise DataError(f"{context}: repeated temperatures; average repeated measurements first")
    return t, s, e


@dataclass(frozen=True)
class ArrheniusResult:
    """A (multi-regime) Arrhenius fit of σ(T)."""

    form: str
    temperature_K: np.ndarray
    sigma_S_per_cm: np.ndarray
    sigma_stderr_S_per_cm: np.ndarray | None
    regimes: tuple[Regime, ...]
    breakpoints_K: np.ndarray
    breakpoints_stderr_K: np.ndarray
    piecewise: PiecewiseFit
    converged: bool
    message: str
    criterion: str
    scores: Mapping[int, float] = field(default_factory=dict)
    sample: str = ""
    source: str = ""

    def __post_init__(self):
        object.__setattr__(self, "scores", FrozenMap(dict(self.scores)))

    @property
    def n_regimes(self) -> int:
        return len(self.regimes)

    def _y(self, t):
        return np.log(self.sigma_S_per_cm * t) if self.form == "sigmaT" else np.log(self.sigma_S_per_cm)

    def sigma_at(self, temperature_K: float, *, extrapolate: bool = False) -> tuple[float, float]:
        """σ (S/cm) and its standard error at ``temperature_K`` from the regime that contains it.

        Raises
        ------
        DataError
            Outside the measured range unless ``extrapolate=True``.
        """
        t = float(temperature_K)
        tmin, tmax = float(self.temperature_K[0]), float(self.temperature_K[-1])
        if not (tmin <= t <= tmax) and not extrapolate:
            raise DataError(f"T = {t:g} K is outside the measured range {tmin:g}-{tmax:g} K; "
                            "pass extrapolate=True to extrapolate the nearest regime")
        x = 1.0 / t
        y, ey = float(self.piecewise.predict(x)), float(self.piecewise.predict_stderr(x))
        sig = math.exp(y) / t if self.form == "sigmaT" else math.exp(y)
        return sig, sig * ey

    def regime_of(self, temperature_K: float) -> int:
        """1-based regime index (coldest = 1) containing ``temperature_K``."""
        seg = int(self.piecewise.segment_of(1.0 / float(temperature_K)))
        return self.piecewise.n_segments - seg

    def to_frame(self):
        """One row per regime: regime, t_min_K, t_max_K, ea_eV, ea_stderr_eV, prefactor ..."""
        import pandas as pd
        rows = []
        for r in self.regimes:
            rows.append({"sample": self.sample, "regime": r.index, "t_min_K": r.t_min_K,
                         "t_max_K": r.t_max_K, "ea_eV": r.ea_eV, "ea_stderr_eV": r.ea_stderr_eV,
                         "prefactor": r.prefactor, "ln_prefactor_stderr": r.ln_prefactor_stderr,
                         "n_points": r.n_points, "form": self.form})
        return pd.DataFrame(rows)

    def breakpoints_frame(self):
        """One row per breakpoint: the two regimes it separates and its temperature with stderr."""
        import pandas as pd
        rows = [{"sample": self.sample, "between_regimes": f"{i + 1}-{i + 2}", "breakpoint_K": b,
                 "breakpoint_stderr_K": e}
                for i, (b, e) in enumerate(zip(self.breakpoints_K, self.breakpoints_stderr_K))]
        return pd.DataFrame(rows, columns=["sample", "between_regimes", "breakpoint_K",
                                           "breakpoint_stderr_K"])

    def descriptors(self, conditions: Mapping[str, object] | None = None) -> list[DescriptorRow]:
        base = dict(sample=self.sample, technique="conductivity", conditions=conditions or {},
                    source=self.source, method=f"arrhenius:{self.form}:{self.criterion}")
        rows = [DescriptorRow(name="n_regimes", value=self.n_regimes, stderr=0.0, unit="", **base)]
        for r in self.regimes:
            rows.append(DescriptorRow(name=f"ea_regime{r.index}_eV", value=r.ea_eV,
                                      stderr=r.ea_stderr_eV, unit="eV", **base))
        for i, (b, e) in enumerate(zip(self.breakpoints_K, self.breakpoints_stderr_K)):
            rows.append(DescriptorRow(name=f"breakpoint{i + 1}_K", value=b, stderr=e, unit="K", **base))
        return rows

    def plot(self, ax=None):
        from .plot import plot_arrhenius
        return plot_arrhenius(self, ax=ax)

    def summary(self) -> str:
        lines = [f"Arrhenius ({self.form} form, {self.n_regimes} regime(s) by {self.criterion}) "
                 f"for {self.sample or 'sample'}: {'converged' if self.converged else 'NOT converged'}"]
        for r in self.regimes:
            lines.append(f"  regime {r.index}: {r.t_min_K:7.2f}-{r.t_max_K:7.2f} K  "
                         f"Ea = {r.ea_eV:.4f} +/- {r.ea_stderr_eV:.4f} eV  ({r.n_points} points)")
        for b, e in zip(self.breakpoints_K, self.breakpoints_stderr_K):
            lines.append(f"  breakpoint: {b:.1f} +/- {e:.1f} K ({b - 273.15:.1f} C)")
        if not self.converged:
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return f"ArrheniusResult(\n{self.summary()}\n)"


def fit_arrhenius(temperature_K, sigma_S_per_cm, sigma_stderr_S_per_cm=None, *, form: str = "sigmaT",
                  regimes: int | str = "auto", max_regimes: int = 4, criterion: str = "bic",
                  min_points: int = 3, sample: str = "", source: str = "") -> ArrheniusResult:
    """Fit σ(T) with one or several Arrhenius regimes.

    Parameters
    ----------
    temperature_K, sigma_S_per_cm : array_like
        The conductivity series (any order).
    sigma_stderr_S_per_cm : array_like, optional
        Standard errors; used as weights ``σ/stderr`` in ln space.
    form : {"sigmaT", "sigma"}
        Arrhenius form.
    regimes : "auto" or int
        Number of regimes, or choose 1..``max_regimes`` by ``criterion``.
    criterion : {"bic", "aicc"}
    min_points : int
        Fewest points in a regime (default 3).

    Returns
    -------
    ArrheniusResult
    """
    if form not in ("sigmaT", "sigma"):
        raise ConfigError(f"form must be 'sigmaT' or 'sigma', got {form!r}")
    if regimes != "auto":
        try:
            regimes = int(regimes)
        except (TypeError, ValueError):
            raise ConfigError(f"regimes must be 'auto' or a whole number 1-4, got {regimes!r}") from None
        if not 1 <= regimes <= 4:
            raise ConfigError(f"regimes must be between 1 and 4, got {regimes}")
    context = f"Arrhenius fit of {sample or source or 'conductivity'}"
    t, s, e = _check_series(temperature_K, sigma_S_per_cm, sigma_stderr_S_per_cm, context)
    if t.size < 3:
        raise FitError(f"{context}: {t.size} temperatures are too few for an Arrhenius fit (need 3)")
    y = np.log(s * t) if form == "sigmaT" else np.log(s)
    sig = None if e is None else e / s
    pw = fit_piecewise_linear(1.0 / t, y, sigma=sig, n_segments=regimes, max_segments=max_regimes,
                              min_points=min_points, criterion=criterion, context=context)
    k = pw.n_segments
    # segments are ordered in 1/T (hot first); regimes count from the coldest
    bps_x = pw.breakpoints
    seg_of_point = pw.segment_of(1.0 / t)
    edges_T = [t[-1], *[1.0 / b for b in bps_x], t[0]]          # hot ... cold
    regs = []
    for seg in range(k):
        idx = k - seg
        slope, slope_err = pw.slopes[seg], pw.slopes_stderr[seg]
        # intercept of this segment's line at 1/T = 0
        ln_a, ln_a_err = pw.report.propagate(lambda v, seg=seg: _segment_intercept(v, seg, k, pw))
        regs.append(Regime(index=idx, t_min_K=float(edges_T[seg + 1]), t_max_K=float(edges_T[seg]),
                           ea_eV=float(-slope * K_B_EV), ea_stderr_eV=float(slope_err * K_B_EV),
                           prefactor=float(math.exp(ln_a)), ln_prefactor_stderr=float(ln_a_err),
                           n_points=int(np.sum(seg_of_point == seg))))
    regs.sort(key=lambda r: r.index)
    bps_T = np.array([1.0 / b for b in bps_x])[::-1]
    bps_err = np.array([eb / b ** 2 for b, eb in zip(bps_x, pw.breakpoints_stderr)])[::-1]
    msg = pw.report.message
    return ArrheniusResult(form=form, temperature_K=t, sigma_S_per_cm=s, sigma_stderr_S_per_cm=e,
                           regimes=tuple(regs), breakpoints_K=bps_T, breakpoints_stderr_K=bps_err,
                           piecewise=pw, converged=pw.converged, message=msg, criterion=criterion,
                           scores=pw.scores, sample=sample, source=source)


def _segment_intercept(v, seg, k, pw):
    """ln(prefactor) of segment ``seg``: its line evaluated at 1/T = 0, in the caller's units."""
    from ..core.piecewise import _model
    u0 = -pw.x0 / pw.xs
    # the line of segment `seg` is y(u) = y(u_ref) + s_seg (u - u_ref) for u_ref inside the segment
    bps = [v[f"b{j}"] for j in range(1, k)]
    if seg == 0:
        u_ref = (bps[0] - 1.0) if bps else 0.0
    else:
        u_ref = bps[seg - 1] + 1e-9
    y_ref = float(_model(np.array([u_ref]), v, k)[0])
    return y_ref + v[f"s{seg}"] * (u0 - u_ref)


def two_point_ea(t1_K: float, sigma1: float, t2_K: float, sigma2: float, *, form: str = "sigmaT") -> float:
    """Activation energy (eV) through two (T, σ) points.

    Examples
    --------
    >>> round(two_point_ea(303.15, 1.2e-4, 323.15, 2.9e-4), 2)
    0.4
    """
    if form == "sigmaT":
        y1, y2 = math.log(sigma1 * t1_K), math.log(sigma2 * t2_K)
    else:
        y1, y2 = math.log(sigma1), math.log(sigma2)
    return -(y2 - y1) / (1.0 / t2_K - 1.0 / t1_K) * K_B_EV


@dataclass(frozen=True)
class VTFResult:
    """Vogel-Tammann-Fulcher fit ``σ = A T^(-1/2) exp(-B / (k_B (T - T0)))``."""

    a_S_K05_per_cm: float
    a_stderr: float
    b_eV: float
    b_stderr_eV: float
    t0_K: float
    t0_stderr_K: float
    report: FitReport
    temperature_K: np.ndarray
    sigma_S_per_cm: np.ndarray
    sample: str = ""

    @property
    def converged(self) -> bool:
        return self.report.converged

    def sigma(self, temperature_K):
        t = np.asarray(temperature_K, dtype=float)
        return self.a_S_K05_per_cm / np.sqrt(t) * np.exp(-self.b_eV / (K_B_EV * (t - self.t0_K)))

    def descriptors(self, conditions=None) -> list[DescriptorRow]:
        base = dict(sample=self.sample, technique="conductivity", conditions=conditions or {},
                    method="vtf")
        return [DescriptorRow(name="vtf_b_eV", value=self.b_eV, stderr=self.b_stderr_eV, unit="eV", **base),
                DescriptorRow(name="vtf_t0_K", value=self.t0_K, stderr=self.t0_stderr_K, unit="K", **base)]

    def __repr__(self) -> str:
        return (f"VTFResult(B = {self.b_eV:.4f} +/- {self.b_stderr_eV:.4f} eV, T0 = {self.t0_K:.1f} +/- "
                f"{self.t0_stderr_K:.1f} K, converged={self.converged})")


def fit_vtf(temperature_K, sigma_S_per_cm, sigma_stderr_S_per_cm=None, *, t0_K: float | None = None,
            sample: str = "") -> VTFResult:
    """Fit the VTF law in ``ln σ``; ``T0`` is bounded below the lowest temperature.

    Not used by the seed papers; provided for polymer and glassy electrolytes.
    """
    context = f"VTF fit of {sample or 'conductivity'}"
    t, s, e = _check_series(temperature_K, sigma_S_per_cm, sigma_stderr_S_per_cm, context)
    if t.size < 4:
        raise FitError(f"{context}: needs at least 4 temperatures, got {t.size}")
    y = np.log(s)
    w = np.ones_like(y) if e is None else s / e
    t0_start = 0.6 * t[0] if t0_K is None else t0_K
    # starting B and ln A from the linear problem at the starting T0
    x = 1.0 / (K_B_EV * (t - t0_start))
    b0, lna0 = np.polyfit(x, y + 0.5 * np.log(t), 1)
    params = make_params({"ln_a": float(lna0), "b_eV": {"value": float(max(-b0, 1e-3)), "min": 0.0},
                          "t0_K": {"value": float(t0_start), "min": 0.0, "max": float(t[0] - 1.0),
                                   "vary": t0_K is None}})

    def residual(p):
        v = p.valuesdict()
        return (v["ln_a"] - 0.5 * np.log(t) - v["b_eV"] / (K_B_EV * (t - v["t0_K"])) - y) * w

    rep = minimize(residual, params, context=context)
    a, a_err = rep.propagate(lambda v: math.exp(v["ln_a"]))
    return VTFResult(a_S_K05_per_cm=a, a_stderr=a_err, b_eV=rep.values["b_eV"],
                     b_stderr_eV=rep.stderr["b_eV"], t0_K=rep.values["t0_K"], t0_stderr_K=rep.stderr["t0_K"],
                     report=rep, temperature_K=t, sigma_S_per_cm=s, sample=sample)
