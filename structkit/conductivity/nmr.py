"""NMR relaxometry: T1 recovery fits and Larmor-frequency checks.

* :func:`fit_t1_recovery` — saturation ``M(t) = M0[1 - exp(-(t/T1)^γ)]`` or
  inversion ``M(t) = M0[1 - 2f exp(-(t/T1)^γ)]`` recovery (``γ = 1`` unless
  ``stretched``).
* :func:`larmor_frequency_MHz`, :func:`check_larmor` — ``ν0 = (γ/2π) B0``.

The (modified) BPP fit of ``R1(T)`` and the Arrhenius flank fits are in
:mod:`.bpp`.

Examples
--------
>>> round(larmor_frequency_MHz("23Na", 7.05), 2)
79.4
>>> check_larmor("23Na", 7.05, 73.39).ok                   # seed 003's typo is flagged
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.larmor import GYROMAGNETIC_MHZ_PER_T, LarmorCheck, check_larmor, larmor_frequency_MHz
from ._relaxation_common import _freeze, _pm, _ResultRows

__all__ = [
    "fit_t1_recovery", "larmor_frequency_MHz", "check_larmor", "GYROMAGNETIC_MHZ_PER_T",
    "T1Result", "LarmorCheck",
]


# -- T1 recovery -----------------------------------------------------------------------------

def _recovery(t, m0, t1, gamma, eff, kind):
    e = np.exp(-(t / t1) ** gamma)
    return m0 * (1.0 - e) if kind == "saturation" else m0 * (1.0 - 2.0 * eff * e)


@dataclass(frozen=True, eq=False)
class T1Result(_ResultRows):
    """Spin-lattice relaxation time from a recovery curve.

    Attributes
    ----------
    t1_s, t1_stderr_s : float
        ``T1`` in s; ``r1_per_s = 1/T1``.
    m0, m0_stderr : float
        Equilibrium magnetisation (data units).
    inversion_efficiency, inversion_efficiency_stderr : float
        ``f`` of ``M0[1 - 2f exp(...)]``; 1 and 0 for saturation recovery.
    stretch_exponent, stretch_exponent_stderr : float
        ``γ``; 1 and 0 unless ``stretched``.
    kind : str
        ``"saturation"`` or ``"inversion"``.
    redchi : float
        Reduced chi-square (residuals in units of ``max|M|``).
    converged : bool
    message, method : str
    time_s, magnetization : ndarray
    report : FitReport
    """

    _technique = "nmr"

    t1_s: float
    t1_stderr_s: float
    m0: float
    m0_stderr: float
    inversion_efficiency: float
    inversion_efficiency_stderr: float
    stretch_exponent: float
    stretch_exponent_stderr: float
    kind: str
    redchi: float
    converged: bool
    message: str
    method: str
    time_s: np.ndarray = field(repr=False)
    magnetization: np.ndarray = field(repr=False)
    report: FitReport = field(repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "settings", _freeze(self.settings))

    @property
    def r1_per_s(self) -> float:
        return 1.0 / self.t1_s

    @property
    def r1_stderr_per_s(self) -> float:
        return self.t1_stderr_s / self.t1_s ** 2

    def predict(self, time_s) -> np.ndarray:
        """Model magnetisation at ``time_s``."""
        return _recovery(np.asarray(time_s, float), self.m0, self.t1_s, self.stretch_exponent,
                         self.inversion_efficiency, self.kind)

    def _items(self):
        rows = [("t1_s", self.t1_s, self.t1_stderr_s, "s"),
                ("r1_per_s", self.r1_per_s, self.r1_stderr_per_s, "1/s"),
                ("t1_m0", self.m0, self.m0_stderr, "")]
        if self.kind == "inversion":
            rows.append(("t1_inversion_efficiency", self.inversion_efficiency,
                         self.inversion_efficiency_stderr, ""))
        if self.settings.get("stretched"):
            rows.append(("t1_stretch_exponent", self.stretch_exponent, self.stretch_exponent_stderr, ""))
        return rows

    def plot(self, ax=None):
        """Recovery data and model; returns the Figure."""
        from .plot import plot_t1_recovery
        return plot_t1_recovery(self, ax=ax)

    def __repr__(self) -> str:
        flag = "" if self.converged else ", NOT converged"
        extra = (f", f={_pm(self.inversion_efficiency, self.inversion_efficiency_stderr, '.3f')}"
                 if self.kind == "inversion" else "")
        if self.settings.get("stretched"):
            extra += f", gamma={_pm(self.stretch_exponent, self.stretch_exponent_stderr, '.3f')}"
        return (f"T1Result({self.kind}: T1={_pm(self.t1_s, self.t1_stderr_s)} s, "
                f"M0={_pm(self.m0, self.m0_stderr)}{extra}, redchi={self.redchi:.3g}{flag})")


def _crossing_time(t, r, level):
    """First time the decaying fraction ``r`` falls to ``level`` (log-t interpolation)."""
    below = np.flatnonzero(r <= level)
    if below.size == 0:
        return float(t[-1]) * 2
    i = int(below[0])
    if i == 0:
        return float(t[0]) if t[0] > 0 else float(t[1]) / 2
    t0, t1 = t[i - 1], t[i]
    frac = (r[i - 1] - level) / (r[i - 1] - r[i]) if r[i - 1] != r[i] else 0.5
    if t0 > 0:
        return float(np.exp(np.log(t0) + frac * (np.log(t1) - np.log(t0))))
    return float(t0 + frac * (t1 - t0)) or float(t1) / 2


def fit_t1_recovery(time_s, magnetization, *, kind: str = "saturation", stretched: bool = False) -> T1Result:
    """Fit a saturation- or inversion-recovery curve for ``T1``.

    Parameters
    ----------
    time_s : array_like
        Recovery delays, s (``≥ 0``, any order).
    magnetization : array_like
        Signal (any units; for inversion recovery it starts near ``-M0``).
    kind : {"saturation", "inversion"}
        ``M0[1 - exp(-(t/T1)^γ)]`` or ``M0[1 - 2f exp(-(t/T1)^γ)]``.
    stretched : bool
        Fit the stretch exponent ``γ`` (bounded to 0.1-1.5); else ``γ = 1``.

    Returns
    -------
    T1Result

    Raises
    ------
    DataError
        Non-finite values, negative times, mismatched lengths.
    FitError
        Fewer points than parameters + 2.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.logspace(-4, 0, 25)
    >>> res = fit_t1_recovery(t, 2.0 * (1 - 2 * 0.95 * np.exp(-t / 7.3e-3)), kind="inversion")
    >>> round(res.t1_s * 1e3, 4), round(res.m0, 4), round(res.inversion_efficiency, 4)
    (7.3, 2.0, 0.95)
    """
    context = "fit_t1_recovery"
    if kind not in ("saturation", "inversion"):
        raise ConfigError(f"{context}: kind must be 'saturation' or 'inversion', got {kind!r}")
    t = np.asarray(time_s, dtype=float)
    m = np.asarray(magnetization, dtype=float)
    if t.ndim != 1 or t.shape != m.shape:
        raise DataError(f"{context}: time_s and magnetization must be 1-D and of equal length, "
                        f"got {t.shape} and {m.shape}")
    bad = ~(np.isfinite(t) & np.isfinite(m))
    if bad.any():
        raise DataError(f"{context}: {int(bad.sum())} non-finite value(s) (first at index "
                        f"{int(np.argmax(bad))}); remove those points")
    if np.any(t < 0):
        raise DataError(f"{context}: negative recovery delay(s) in time_s (min {t.min():g} s); "
                        "delays are times after the saturation/inversion pulse and must be ≥ 0")
    nvary = 2 + (kind == "inversion") + bool(stretched)
    if t.size < nvary + 2:
        raise FitError(f"{context}: {t.size} points for {nvary} parameters; need at least {nvary + 2}")
    order = np.argsort(t, kind="stable")
    t, m = t[order], m[order]
    if not np.any(t > 0) or np.ptp(m) == 0:
        raise DataError(f"{context}: no recovery to fit (all delays zero or a constant signal)")
    scale = float(np.max(np.abs(m)))
    # starting values from the data
    tail = m[-max(2, t.size // 8):]
    m0_guess = float(np.mean(tail)) or scale
    y = m / m0_guess
    r = 1.0 - y if kind == "saturation" else (1.0 - y) / 2.0
    t1_guess = _crossing_time(t, r, np.exp(-1.0))
    eff_guess = float(np.clip((1.0 - y[0]) / 2.0, 0.3, 1.2)) if kind == "inversion" else 1.0
    tpos = t[t > 0]
    spec = {
        "log10_t1": {"value": np.log10(t1_guess), "min": np.log10(tpos.min()) - 3,
                     "max": np.log10(t.max()) + 3},
        "m0": m0_guess / scale,
        "eff": {"value": eff_guess, "min": 0.0, "max": 1.5, "vary": kind == "inversion"},
        "gamma": {"value": 1.0, "min": 0.1, "max": 1.5, "vary": bool(stretched)},
    }
    params = make_params(spec)
    mn = m / scale

    def residual(p):
        v = p.valuesdict()
        return _recovery(t, v["m0"], 10.0 ** v["log10_t1"], v["gamma"], v["eff"], kind) - mn

    rep = minimize(residual, params, context=context)
    t1, t1_err = rep.propagate(lambda v: 10.0 ** v["log10_t1"])
    msg = rep.message
    if t.max() < 3 * t1:
        msg += f"; the longest delay is only {t.max() / t1:.1f} T1, so M0 (and T1) are poorly constrained"
    if tpos.min() > t1:
        msg += f"; the shortest delay exceeds T1 ({tpos.min() / t1:.1f} T1): the early recovery is unsampled"
    v, e = rep.values, rep.stderr
    return T1Result(
        t1_s=t1, t1_stderr_s=t1_err, m0=v["m0"] * scale, m0_stderr=e["m0"] * scale,
        inversion_efficiency=v["eff"], inversion_efficiency_stderr=e["eff"],
        stretch_exponent=v["gamma"], stretch_exponent_stderr=e["gamma"], kind=kind, redchi=rep.redchi,
        converged=rep.converged, message=msg,
        method=f"{kind} recovery" + (", stretched exponential" if stretched else "") + ", least squares",
        time_s=t, magnetization=m, report=rep, settings={"kind": kind, "stretched": bool(stretched)})
