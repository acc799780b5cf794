"""NMR relaxation rates against temperature: (modified) BPP fits and Arrhenius flanks.

* :func:`fit_bpp` — ``R1 = C[J(ω0) + 4J(2ω0)]`` with
  ``J(ω) = τc / (1 + (ωτc)^(1+β))`` and ``τc = τ0 exp(Ea / k_B T)``
  (``β = 1`` is classic BPP). The high-T flank (``ω0τc ≪ 1``) has slope
  ``Ea``, the low-T flank (``ω0τc ≫ 1``) ``β·Ea``; :func:`bpp_rate` is the model.
* :func:`fit_flank` — linear Arrhenius fit of ``ln R1`` against ``1/T``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.units import K_B_EV
from ._relaxation_common import _NAN, _freeze, _pm, _ResultRows

__all__ = ["fit_bpp", "BPPResult", "bpp_rate", "fit_flank", "FlankResult"]


# -- BPP -------------------------------------------------------------------------------------

def _log_g(log_x, a):
    """``ln[x/(1+x^a) + 4x/(1+(2x)^a)]``, overflow-safe."""
    l1 = log_x - np.logaddexp(0.0, a * log_x)
    l2 = np.log(4.0) + log_x - np.logaddexp(0.0, a * (log_x + np.log(2.0)))
    return np.logaddexp(l1, l2)


def _x_star(beta: float) -> float:
    """``ω0 τc`` at the R1 maximum for exponent ``a = 1 + β`` (0.616 for classic BPP)."""
    from scipy.optimize import brentq

    a = 1.0 + beta

    def dg(x):
        return ((1 + (1 - a) * x ** a) / (1 + x ** a) ** 2
                + 4 * (1 + (1 - a) * (2 * x) ** a) / (1 + (2 * x) ** a) ** 2)

    return float(brentq(dg, 1e-6, 1e8, xtol=1e-15, rtol=1e-13, maxiter=200))


def bpp_rate(temperature_K, *, larmor_MHz: float, ea_eV: float, tau0_s: float, beta: float = 1.0,
             c_per_s2: float) -> np.ndarray:
    """(Modified) BPP relaxation rate ``R1 = C[J(ω0) + 4J(2ω0)]`` in 1/s.

    ``J(ω) = τc / (1 + (ωτc)^(1+β))``, ``τc = τ0 exp(Ea / k_B T)``, ``ω0 = 2π ν0``.

    Parameters
    ----------
    temperature_K : array_like
    larmor_MHz : float
        ``ν0``, MHz.
    ea_eV : float
        Activation energy of ``τc`` (high-T flank), eV.
    tau0_s : float
        Pre-exponential correlation time, s.
    beta : float
        Asymmetry, ``0 < β ≤ 1`` (low-T flank slope ``β·Ea``).
    c_per_s2 : float
        Coupling constant ``C``, s⁻².

    Examples
    --------
    >>> w0 = 2 * np.pi * 100e6
    >>> tau0 = 0.616 / w0 / np.exp(0.3 / (K_B_EV * 300.0))       # ω0 τc = 0.616 at 300 K
    >>> r = bpp_rate([250.0, 300.0, 350.0], larmor_MHz=100.0, ea_eV=0.3, tau0_s=tau0, c_per_s2=1e9)
    >>> int(np.argmax(r))
    1
    """
    t = np.asarray(temperature_K, dtype=float)
    w0 = 2 * np.pi * float(larmor_MHz) * 1e6
    log_x = np.log(w0 * tau0_s) + ea_eV / (K_B_EV * t)
    return c_per_s2 / w0 * np.exp(_log_g(log_x, 1.0 + beta))


@dataclass(frozen=True, eq=False)
class BPPResult(_ResultRows):
    """(Modified) BPP fit of ``R1(T)`` at one Larmor frequency.

    Attributes
    ----------
    ea_eV, ea_stderr_eV : float
        Activation energy of ``τc`` = slope of the high-T flank (``ω0τc ≪ 1``).
    beta, beta_stderr : float
        Asymmetry; 1 (stderr 0) for classic BPP.
    ea_low_T_eV, ea_low_T_stderr_eV : float
        ``β·Ea``, slope of the low-T flank (``ω0τc ≫ 1``).
    tau0_s, tau0_stderr_s : float
    c_per_s2, c_stderr_per_s2 : float
        Coupling constant ``C``.
    t_max_K, t_max_stderr_K : float
        Temperature of the R1 maximum of the fitted model.
    jump_rate_per_s, jump_rate_stderr_per_s : float
        ``1/τc(T_max)``. The maximum sits at ``ω0τc = x*`` (0.616 for
        β = 1), so this is ``ω0/x*``, near but not equal to the rule-of-thumb
        ``ω0`` (``omega0_rad_per_s``).
    omega0_tau_at_t_max : float
        ``x*``.
    larmor_MHz, omega0_rad_per_s : float
    redchi : float
        Reduced chi-square in ``ln R1``.
    converged : bool
    message, method : str
    temperature_K, r1_per_s : ndarray
    report : FitReport
    """

    _technique = "nmr"

    ea_eV: float
    ea_stderr_eV: float
    beta: float
    beta_stderr: float
    ea_low_T_eV: float
    ea_low_T_stderr_eV: float
    tau0_s: float
    tau0_stderr_s: float
    c_per_s2: float
    c_stderr_per_s2: float
    t_max_K: float
    t_max_stderr_K: float
    jump_rate_per_s: float
    jump_rate_stderr_per_s: float
    omega0_tau_at_t_max: float
    larmor_MHz: float
    redchi: float
    converged: bool
    message: str
    method: str
    temperature_K: np.ndarray = field(repr=False)
    r1_per_s: np.ndarray = field(repr=False)
    report: FitReport = field(repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "settings", _freeze(self.settings))

    @property
    def omega0_rad_per_s(self) -> float:
        return 2 * np.pi * self.larmor_MHz * 1e6

    def predict(self, temperature_K) -> np.ndarray:
        """Model ``R1`` (1/s) at ``temperature_K``."""
        return bpp_rate(temperature_K, larmor_MHz=self.larmor_MHz, ea_eV=self.ea_eV, tau0_s=self.tau0_s,
                        beta=self.beta, c_per_s2=self.c_per_s2)

    def _default_conditions(self):
        return {"larmor_MHz": self.larmor_MHz}

    def _items(self):
        return [("bpp_ea_eV", self.ea_eV, self.ea_stderr_eV, "eV"),
                ("bpp_beta", self.beta, self.beta_stderr, ""),
                ("bpp_ea_low_T_eV", self.ea_low_T_eV, self.ea_low_T_stderr_eV, "eV"),
                ("bpp_tau0_s", self.tau0_s, self.tau0_stderr_s, "s"),
                ("bpp_c_per_s2", self.c_per_s2, self.c_stderr_per_s2, "1/s^2"),
                ("bpp_t_max_K", self.t_max_K, self.t_max_stderr_K, "K"),
                ("bpp_jump_rate_per_s", self.jump_rate_per_s, self.jump_rate_stderr_per_s, "1/s"),
                ("bpp_omega0_rad_per_s", self.omega0_rad_per_s, 0.0, "rad/s")]

    def plot(self, ax=None):
        """R1 against 1000/T with the model; returns the Figure."""
        from .plot import plot_bpp
        return plot_bpp(self, ax=ax)

    def __repr__(self) -> str:
        flag = "" if self.converged else ", NOT converged"
        return (f"BPPResult({self.larmor_MHz:g} MHz: Ea={_pm(self.ea_eV, self.ea_stderr_eV, '.3f')} eV, "
                f"beta={_pm(self.beta, self.beta_stderr, '.3f')}, "
                f"Ea_lowT={_pm(self.ea_low_T_eV, self.ea_low_T_stderr_eV, '.3f')} eV, "
                f"T_max={_pm(self.t_max_K, self.t_max_stderr_K, '.1f')} K, "
                f"1/tau_c(T_max)={_pm(self.jump_rate_per_s, self.jump_rate_stderr_per_s, '.3g')} 1/s, "
                f"redchi={self.redchi:.3g}{flag})")


def _rates(temperature_K, r1_per_s, context, min_points):
    t = np.asarray(temperature_K, dtype=float)
    r = np.asarray(r1_per_s, dtype=float)
    if t.ndim != 1 or t.shape != r.shape:
        raise DataError(f"{context}: temperature_K and r1_per_s must be 1-D and of equal length, "
                        f"got {t.shape} and {r.shape}")
    bad = ~(np.isfinite(t) & np.isfinite(r))
    if bad.any():
        raise DataError(f"{context}: {int(bad.sum())} non-finite value(s) (first at index "
                        f"{int(np.argmax(bad))}); remove those points")
    if np.any(t <= 0):
        raise DataError(f"{context}: temperature_K must be positive kelvin (convert °C with to_kelvin)")
    if np.any(r <= 0):
        raise DataError(f"{context}: r1_per_s must be positive rates (R1 = 1/T1, in 1/s)")
    if t.size < min_points:
        raise FitError(f"{context}: {t.size} points; need at least {min_points}")
    order = np.argsort(t, kind="stable")
    return t[order], r[order]


def _flank_slope(t, r):
    """Slope of ln r against 1/T (K)."""
    return float(np.polyfit(1.0 / t, np.log(r), 1)[0])


def fit_bpp(temperature_K, r1_per_s, *, larmor_MHz: float, asymmetric: bool = True) -> BPPResult:
    """Fit ``R1(T)`` with the (modified) BPP model.

    ``R1 = C[J(ω0) + 4J(2ω0)]``, ``J(ω) = τc / (1 + (ωτc)^(1+β))``,
    ``τc = τ0 exp(Ea / k_B T)``; least squares in ``ln R1``. The fit is
    parametrised by ``ω0 τc`` at the data's peak temperature (well
    conditioned); ``τ0``, ``β·Ea``, ``T_max`` and ``1/τc(T_max)`` and their
    standard errors follow by propagation. Starting values come from the
    peak position and the slopes of the outer halves of both flanks.

    Parameters
    ----------
    temperature_K, r1_per_s : array_like
        Temperatures (K) and rates ``R1 = 1/T1`` (1/s).
    larmor_MHz : float
        ``ν0``, MHz (``ω0 = 2π ν0``).
    asymmetric : bool
        Fit β (``0.05 ≤ β ≤ 1``); False fixes ``β = 1`` (classic BPP).

    Returns
    -------
    BPPResult

    Raises
    ------
    FitError
        Fewer than 6 points, or the R1 maximum at the lowest or highest
        temperature (then fit one flank with :func:`fit_flank`).

    Examples
    --------
    >>> t = np.arange(200.0, 420.0, 10.0)
    >>> r1 = bpp_rate(t, larmor_MHz=79.0, ea_eV=0.33, tau0_s=1e-14, beta=0.56, c_per_s2=1e10)
    >>> res = fit_bpp(t, r1, larmor_MHz=79.0)
    >>> round(res.ea_eV, 4), round(res.beta, 4), round(res.ea_low_T_eV, 4)
    (0.33, 0.56, 0.1848)
    """
    context = "fit_bpp"
    t, r = _rates(temperature_K, r1_per_s, context, 6)
    nu0 = float(larmor_MHz)
    if not np.isfinite(nu0) or nu0 <= 0:
        raise ConfigError(f"{context}: larmor_MHz must be a positive frequency in MHz, got {larmor_MHz!r}")
    w0 = 2 * np.pi * nu0 * 1e6
    k = int(np.argmax(r))
    if k == 0 or k == t.size - 1:
        side = "lowest" if k == 0 else "highest"
        raise FitError(f"{context}: R1 is largest at the {side} temperature ({t[k]:g} K): no maximum "
                       "inside the data, so τ0, C and β are not separable. Fit the flank with "
                       "fit_flank, or measure across the peak")
    t_ref = float(t[k])
    hot, cold = t[k:], t[:k + 1]
    ea_hi = K_B_EV * _flank_slope(hot[-max(2, hot.size // 2):], r[k:][-max(2, hot.size // 2):]) \
        if hot.size >= 2 else _NAN
    ea_lo = -K_B_EV * _flank_slope(cold[:max(2, cold.size // 2)], r[:k + 1][:max(2, cold.size // 2)]) \
        if cold.size >= 2 else _NAN
    ea0 = ea_hi if np.isfinite(ea_hi) and ea_hi > 0.01 else (ea_lo / 0.7 if ea_lo > 0.01 else 0.3)
    beta0 = float(np.clip(ea_lo / ea0, 0.1, 1.0)) if (asymmetric and ea_lo > 0) else 1.0
    beta0 = min(beta0, 0.99) if asymmetric else 1.0
    xs0 = _x_star(beta0)
    log_c0 = np.log10(r[k] * w0) - _log_g(np.log(xs0), 1 + beta0) / np.log(10)
    params = make_params({
        "ea": {"value": float(np.clip(ea0, 0.02, 4.0)), "min": 0.005, "max": 5.0},
        "beta": {"value": beta0, "min": 0.05, "max": 1.0, "vary": bool(asymmetric)},
        "log10_x_ref": {"value": np.log10(xs0), "min": -8.0, "max": 8.0},
        "log10_c": float(log_c0),
    })
    inv = 1.0 / t - 1.0 / t_ref
    ln_r = np.log(r)

    def model_ln(v, inv_t):
        log_x = v["log10_x_ref"] * np.log(10) + v["ea"] / K_B_EV * inv_t
        return v["log10_c"] * np.log(10) - np.log(w0) + _log_g(log_x, 1.0 + v["beta"])

    rep = minimize(lambda p: model_ln(p.valuesdict(), inv) - ln_r, params, context=context)

    def tau0(v):
        return 10.0 ** v["log10_x_ref"] / w0 * np.exp(-v["ea"] / (K_B_EV * t_ref))

    def t_max(v):
        return 1.0 / (1.0 / t_ref + K_B_EV * np.log(_x_star(v["beta"]) / 10.0 ** v["log10_x_ref"]) / v["ea"])

    v = rep.values
    ea_lo_fit, ea_lo_err = rep.propagate(lambda v: v["beta"] * v["ea"])
    tau0_v, tau0_err = rep.propagate(tau0)
    c_v, c_err = rep.propagate(lambda v: 10.0 ** v["log10_c"])
    tmax, tmax_err = rep.propagate(t_max)
    rate, rate_err = rep.propagate(lambda v: w0 / _x_star(v["beta"]))
    msg = rep.message
    if not t[0] < tmax < t[-1]:
        msg += f"; the fitted T_max = {tmax:.1f} K lies outside the data ({t[0]:g}-{t[-1]:g} K)"
    if min(k, t.size - 1 - k) < 2:
        msg += "; one flank has fewer than 2 points beyond the peak: its slope is poorly defined"
    return BPPResult(
        ea_eV=v["ea"], ea_stderr_eV=rep.stderr["ea"], beta=v["beta"], beta_stderr=rep.stderr["beta"],
        ea_low_T_eV=ea_lo_fit, ea_low_T_stderr_eV=ea_lo_err, tau0_s=tau0_v, tau0_stderr_s=tau0_err,
        c_per_s2=c_v, c_stderr_per_s2=c_err, t_max_K=tmax, t_max_stderr_K=tmax_err, jump_rate_per_s=rate,
        jump_rate_stderr_per_s=rate_err, omega0_tau_at_t_max=_x_star(v["beta"]), larmor_MHz=nu0,
        redchi=rep.redchi, converged=rep.converged, message=msg,
        method=("modified BPP, J = tau/(1+(w tau)^(1+beta))" if asymmetric else "BPP (beta = 1)")
        + ", least squares in ln R1",
        temperature_K=t, r1_per_s=r, report=rep,
        settings={"larmor_MHz": nu0, "asymmetric": bool(asymmetric), "t_ref_K": t_ref})


# -- Arrhenius flank ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class FlankResult(_ResultRows):
    """Linear Arrhenius fit of one flank: ``ln R1 = ln A + s / T``.

    Attributes
    ----------
    ea_eV, ea_stderr_eV : float
        ``k_B |s|``.
    flank : str
        ``"high_T"`` (R1 falls as T rises, ``s > 0``, ``ω0τc ≪ 1``) or
        ``"low_T"`` (R1 rises with T, ``s < 0``, ``ω0τc ≫ 1``).
    slope_K, slope_stderr_K : float
        ``s`` in K.
    ln_prefactor, ln_prefactor_stderr : float
    t_min_K, t_max_K : float
        Points used lie in this window.
    n_points : int
    redchi : float
    converged : bool
    message, method : str
    temperature_K, r1_per_s : ndarray
        The points used.
    report : FitReport
    """

    _technique = "nmr"

    ea_eV: float
    ea_stderr_eV: float
    flank: str
    slope_K: float
    slope_stderr_K: float
    ln_prefactor: float
    ln_prefactor_stderr: float
    t_min_K: float
    t_max_K: float
    n_points: int
    redchi: float
    converged: bool
    message: str
    method: str
    temperature_K: np.ndarray = field(repr=False)
    r1_per_s: np.ndarray = field(repr=False)
    report: FitReport = field(repr=False)
    larmor_MHz: float | None = None

    def predict(self, temperature_K) -> np.ndarray:
        return np.exp(self.ln_prefactor + self.slope_K / np.asarray(temperature_K, float))

    def _default_conditions(self):
        return {} if self.larmor_MHz is None else {"larmor_MHz": self.larmor_MHz}

    def _items(self):
        return [(f"r1_{self.flank}_flank_ea_eV", self.ea_eV, self.ea_stderr_eV, "eV")]

    def plot(self, ax=None):
        """R1 against 1000/T with the Arrhenius line; returns the Figure."""
        from .plot import plot_flank
        return plot_flank(self, ax=ax)

    def __repr__(self) -> str:
        return (f"FlankResult({self.flank}: Ea={_pm(self.ea_eV, self.ea_stderr_eV, '.4f')} eV over "
                f"{self.t_min_K:g}-{self.t_max_K:g} K, {self.n_points} points)")


def fit_flank(temperature_K, r1_per_s, t_min_K: float, t_max_K: float, *,
              larmor_MHz: float | None = None) -> FlankResult:
    """Arrhenius fit of one relaxation-rate flank: ``ln R1`` linear in ``1/T``.

    Parameters
    ----------
    temperature_K, r1_per_s : array_like
        Temperatures (K) and rates (1/s); also works for ``R1ρ``.
    t_min_K, t_max_K : float
        Window; the points inside it are fitted.
    larmor_MHz : float, optional
        Recorded as a condition in the descriptors.

    Returns
    -------
    FlankResult

    Examples
    --------
    >>> t = np.arange(300.0, 360.0, 5.0)
    >>> res = fit_flank(t, 1e5 * np.exp(-0.25 / (K_B_EV * t)), 295, 360)
    >>> res.flank, round(res.ea_eV, 6)
    ('low_T', 0.25)
    """
    context = "fit_flank"
    t, r = _rates(temperature_K, r1_per_s, context, 1)
    if not float(t_min_K) < float(t_max_K):
        raise ConfigError(f"{context}: t_min_K={t_min_K} must be below t_max_K={t_max_K}")
    keep = (t >= t_min_K) & (t <= t_max_K)
    tw, rw = t[keep], r[keep]
    if tw.size < 3:
        raise FitError(f"{context}: {tw.size} points in {t_min_K:g}-{t_max_K:g} K; need at least 3")
    if np.unique(tw).size < 2:
        raise FitError(f"{context}: all points in the window share one temperature")
    x, y = 1.0 / tw, np.log(rw)
    s0, a0 = np.polyfit(x, y, 1)
    x0 = float(np.mean(x))
    params = make_params({"slope_K": s0, "ln_at_mean": a0 + s0 * x0})
    rep = minimize(lambda p: p["ln_at_mean"].value + p["slope_K"].value * (x - x0) - y, params,
                   context=context)
    s, s_err = rep.values["slope_K"], rep.stderr["slope_K"]
    lnA, lnA_err = rep.propagate(lambda v: v["ln_at_mean"] - v["slope_K"] * x0)
    return FlankResult(
        ea_eV=abs(s) * K_B_EV, ea_stderr_eV=s_err * K_B_EV, flank="high_T" if s > 0 else "low_T",
        slope_K=s, slope_stderr_K=s_err, ln_prefactor=lnA, ln_prefactor_stderr=lnA_err,
        t_min_K=float(t_min_K), t_max_K=float(t_max_K), n_points=int(tw.size), redchi=rep.redchi,
        converged=rep.converged, message=rep.message, method="Arrhenius: ln R1 linear in 1/T",
        temperature_K=tw, r1_per_s=rw, report=rep,
        larmor_MHz=None if larmor_MHz is None else float(larmor_MHz))
