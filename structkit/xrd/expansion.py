"""Thermal expansion from refined cells: α_L, α_V with uncertainties, regimes and breakpoints.

``α_V = (1/V) dV/dT = d ln V / dT`` and ``α_L = d ln a / dT`` (for a cubic
cell ``α_V = 3 α_L``). Two estimates are given:

* **local**: a weighted straight line through ``ln V`` (or ``ln a``) in a
  sliding window of ``window`` temperatures; its slope ± standard error at
  each temperature;
* **regimes**: a continuous piecewise-linear fit of ``ln V(T)`` whose number of
  regimes (1-4) and breakpoints are chosen automatically - the same engine as
  the multi-regime Arrhenius fit (:func:`structkit.core.piecewise.fit_piecewise_linear`);
  within a regime α_V is constant, ± its standard error, and every breakpoint has one.

Examples
--------
>>> import numpy as np
>>> t = np.arange(100.0, 500.0, 10.0)
>>> v = 1000.0 * np.exp(np.where(t < 223.15, 1e-4 * (t - 223.15), 2e-4 * (t - 223.15)))
>>> res = thermal_expansion(t, volume_A3=v)
>>> res.n_regimes, [round(r.alpha_V_per_K * 1e4, 3) for r in res.regimes]
(2, [1.0, 2.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import DataError
from ..core.frozen import FrozenMap
from ..core.piecewise import PiecewiseFit, fit_piecewise_linear

__all__ = ["ExpansionRegime", "ExpansionResult", "thermal_expansion", "local_expansion"]


@dataclass(frozen=True)
class ExpansionRegime:
    """A temperature range of constant volumetric expansion coefficient."""

    index: int
    t_min_K: float
    t_max_K: float
    alpha_V_per_K: float
    alpha_V_stderr_per_K: float
    n_points: int


def local_expansion(temperature_K, values, stderr=None, *, window: int = 5):
    """Local ``d ln(values)/dT`` and its standard error by sliding weighted straight lines.

    Returns ``(slope, slope_stderr)`` arrays at each temperature (the window is
    shortened at the ends; ``window`` is made odd).
    """
    t = np.asarray(temperature_K, dtype=float)
    y = np.log(np.asarray(values, dtype=float))
    s = None if stderr is None else np.asarray(stderr, dtype=float) / np.asarray(values, dtype=float)
    n = t.size
    half = max(int(window) // 2, 1)
    slope = np.full(n, np.nan)
    err = np.full(n, np.nan)
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        if hi - lo < 3:
            lo, hi = max(0, min(lo, n - 3)), min(n, max(hi, 3))
        tt, yy = t[lo:hi], y[lo:hi]
        w = np.ones_like(tt) if s is None or not np.all(s[lo:hi] > 0) else 1.0 / s[lo:hi] ** 2
        tm = np.sum(w * tt) / np.sum(w)
        sxx = np.sum(w * (tt - tm) ** 2)
        b = np.sum(w * (tt - tm) * (yy - np.sum(w * yy) / np.sum(w))) / sxx
        resid = yy - (np.sum(w * yy) / np.sum(w) + b * (tt - tm))
        dof = max(tt.size - 2, 1)
        if s is None or not np.all(s[lo:hi] > 0):
            var = np.sum(resid ** 2) / dof / sxx          # scatter-based
        else:
            var = 1.0 / sxx                               # propagated from the esds
        slope[i], err[i] = b, np.sqrt(var)
    return slope, err


@dataclass(frozen=True)
class ExpansionResult:
    """Thermal expansion of one sample: local coefficients and regimes."""

    temperature_K: np.ndarray
    volume_A3: np.ndarray
    alpha_V_local_per_K: np.ndarray
    alpha_V_local_stderr_per_K: np.ndarray
    alpha_L_local_per_K: np.ndarray | None
    alpha_L_local_stderr_per_K: np.ndarray | None
    regimes: tuple[ExpansionRegime, ...]
    breakpoints_K: np.ndarray
    breakpoints_stderr_K: np.ndarray
    piecewise: PiecewiseFit
    converged: bool
    message: str
    sample: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "settings", FrozenMap(self.settings))

    @property
    def n_regimes(self) -> int:
        return len(self.regimes)

    def to_frame(self):
        """One row per regime: regime, t_min_K, t_max_K, alpha_V_per_K, alpha_V_stderr_per_K."""
        import pandas as pd
        return pd.DataFrame([{"sample": self.sample, "regime": r.index, "t_min_K": r.t_min_K,
                              "t_max_K": r.t_max_K, "alpha_V_per_K": r.alpha_V_per_K,
                              "alpha_V_stderr_per_K": r.alpha_V_stderr_per_K, "n_points": r.n_points}
                             for r in self.regimes])

    def breakpoints_frame(self):
        import pandas as pd
        return pd.DataFrame([{"sample": self.sample, "between_regimes": f"{i + 1}-{i + 2}", "breakpoint_K": b,
                              "breakpoint_stderr_K": e}
                             for i, (b, e) in enumerate(zip(self.breakpoints_K, self.breakpoints_stderr_K))],
                            columns=["sample", "between_regimes", "breakpoint_K", "breakpoint_stderr_K"])

    def local_frame(self):
        """Per temperature: volume and the local α_V (and α_L where a lattice parameter was given)."""
        import pandas as pd
        d = {"sample": self.sample, "temperature_K": self.temperature_K, "volume_A3": self.volume_A3,
             "alpha_V_per_K": self.alpha_V_local_per_K, "alpha_V_stderr_per_K": self.alpha_V_local_stderr_per_K}
        if self.alpha_L_local_per_K is not None:
            d["alpha_L_per_K"] = self.alpha_L_local_per_K
            d["alpha_L_stderr_per_K"] = self.alpha_L_local_stderr_per_K
        return pd.DataFrame(d)

    def descriptors(self) -> list[DescriptorRow]:
        base = dict(sample=self.sample, technique="xrd", method="thermal_expansion:piecewise ln V")
        rows = [DescriptorRow(name="expansion_n_regimes", value=self.n_regimes, stderr=0.0, **base)]
        for r in self.regimes:
            rows.append(DescriptorRow(name=f"alpha_V_regime{r.index}_per_K", value=r.alpha_V_per_K,
                                      stderr=r.alpha_V_stderr_per_K, unit="1/K", **base))
        for i, (b, e) in enumerate(zip(self.breakpoints_K, self.breakpoints_stderr_K)):
            rows.append(DescriptorRow(name=f"expansion_breakpoint{i + 1}_K", value=b, stderr=e, unit="K", **base))
        local = dict(base, method="thermal_expansion:local")
        for t, a, e in zip(self.temperature_K, self.alpha_V_local_per_K, self.alpha_V_local_stderr_per_K):
            rows.append(DescriptorRow(name="alpha_V_per_K", value=a, stderr=e, unit="1/K",
                                      conditions={"temperature_K": float(t)}, **local))
        return rows

    def plot(self, ax=None):
        from .plot import plot_expansion
        return plot_expansion(self, ax=ax)

    def summary(self) -> str:
        lines = [f"thermal expansion of {self.sample or 'sample'}: {self.n_regimes} regime(s)"]
        for r in self.regimes:
            lines.append(f"  regime {r.index}: {r.t_min_K:7.2f}-{r.t_max_K:7.2f} K  alpha_V = "
                         f"{r.alpha_V_per_K:.4e} +/- {r.alpha_V_stderr_per_K:.2e} 1/K ({r.n_points} points)")
        for b, e in zip(self.breakpoints_K, self.breakpoints_stderr_K):
            lines.append(f"  breakpoint: {b:.1f} +/- {e:.1f} K ({b - 273.15:.1f} C)")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return f"ExpansionResult(\n{self.summary()}\n)"


def thermal_expansion(temperature_K, *, volume_A3=None, volume_stderr_A3=None, a_angstrom=None,
                      a_stderr_angstrom=None, regimes: int | str = "auto", max_regimes: int = 4,
                      criterion: str = "bic", min_points: int = 4, window: int = 5,
                      sample: str = "") -> ExpansionResult:
    """Local and regime-wise expansion coefficients from V(T) (or a(T) of a cubic cell).

    Give ``volume_A3`` (with ``volume_stderr_A3``), or ``a_angstrom`` alone for a
    cubic cell (V = a³ and α_L is reported too). Esds weight the fits; without
    them the scatter sets the uncertainties.
    """
    t = np.asarray(temperature_K, dtype=float)
    if volume_A3 is None and a_angstrom is None:
        raise DataError("thermal_expansion needs volume_A3 or (for a cubic cell) a_angstrom")
    a = None if a_angstrom is None else np.asarray(a_angstrom, dtype=float)
    a_err = None if a_stderr_angstrom is None else np.asarray(a_stderr_angstrom, dtype=float)
    if volume_A3 is None:
        v = a ** 3
        v_err = None if a_err is None else 3.0 * a ** 2 * a_err
    else:
        v = np.asarray(volume_A3, dtype=float)
        v_err = None if volume_stderr_A3 is None else np.asarray(volume_stderr_A3, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise DataError(f"temperature_K ({t.size}) and volumes ({v.size}) must be 1-D and of equal length")
    bad = ~(np.isfinite(t) & np.isfinite(v) & (v > 0))
    if bad.any():
        raise DataError(f"{int(bad.sum())} non-finite or non-positive volume/temperature value(s) "
                        f"(first at row {int(np.flatnonzero(bad)[0])}); drop failed refinements first")
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    v_err = None if v_err is None else v_err[order]
    if a is not None:
        a = a[order]
        a_err = None if a_err is None else a_err[order]
    use_err = v_err is not None and np.all(np.isfinite(v_err)) and np.all(v_err > 0)
    sig = v_err / v if use_err else None
    n = "auto" if regimes == "auto" else int(regimes)
    pw = fit_piecewise_linear(t, np.log(v), sigma=sig, n_segments=n, max_segments=max_regimes,
                              min_points=min_points, criterion=criterion,
                              context=f"thermal expansion of {sample or 'sample'}")
    seg = pw.segment_of(t)
    edges = [t[0], *np.sort(pw.breakpoints), t[-1]]
    regs = tuple(ExpansionRegime(index=i + 1, t_min_K=float(edges[i]), t_max_K=float(edges[i + 1]),
                                 alpha_V_per_K=float(pw.slopes[i]), alpha_V_stderr_per_K=float(pw.slopes_stderr[i]),
                                 n_points=int(np.sum(seg == i))) for i in range(pw.n_segments))
    av, av_err = local_expansion(t, v, v_err if use_err else None, window=window)
    al = al_err = None
    if a is not None:
        use_a = a_err is not None and np.all(np.isfinite(a_err)) and np.all(a_err > 0)
        al, al_err = local_expansion(t, a, a_err if use_a else None, window=window)
    return ExpansionResult(temperature_K=t, volume_A3=v, alpha_V_local_per_K=av, alpha_V_local_stderr_per_K=av_err,
                           alpha_L_local_per_K=al, alpha_L_local_stderr_per_K=al_err, regimes=regs,
                           breakpoints_K=np.sort(pw.breakpoints), breakpoints_stderr_K=pw.breakpoints_stderr[
                               np.argsort(pw.breakpoints)], piecewise=pw, converged=pw.converged,
                           message=pw.report.message, sample=sample,
                           settings={"regimes": regimes, "criterion": criterion, "window": window})
