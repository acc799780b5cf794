"""Dispersive conductivity: the Jonscher fit and log-log power-law slopes.

* :func:`fit_jonscher` — ``σ'(ω) = σ_dc [1 + (ω/ω_c)^p]`` over the dc
  plateau and the dispersive regime, electrode polarisation excluded.
* :func:`power_law_slope` — ``d log y / d log f`` in a window, e.g. the
  dispersive ``σ'`` (``∝ ω^(1-β)``) or the high-frequency ``M''`` wing
  (``∝ ω^(-β)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ._relaxation_common import (
    _NAN,
    _find_plateau,
    _freeze,
    _geometry,
    _local_slope,
    _pm,
    _ResultRows,
    _spectrum,
    _window_mask,
)

__all__ = ["fit_jonscher", "JonscherResult", "power_law_slope", "PowerLawResult"]


# -- Jonscher ----------------------------------------------------------------------------

def _jonscher(f, log10_sigma_dc, log10_f_c, p):
    return 10.0 ** log10_sigma_dc * (1.0 + (f / 10.0 ** log10_f_c) ** p)


@dataclass(frozen=True, eq=False)
class JonscherResult(_ResultRows):
    """Jonscher fit ``σ'(ω) = σ_dc [1 + (ω/ω_c)^p]``.

    Attributes
    ----------
    sigma_dc_S_per_cm, sigma_dc_stderr_S_per_cm : float
    f_c_Hz, f_c_stderr_Hz : float
        Crossover frequency (``σ' = 2σ_dc``); ``omega_c_rad_per_s = 2π f_c``.
    p, p_stderr : float
        Dispersion exponent.
    redchi : float
        Reduced chi-square of the fit in ``log10 σ'``.
    converged : bool
    message, method : str
    window_low_Hz, window_high_Hz : float
        Fitted window.
    report : FitReport
    frequency_Hz, sigma_real_S_per_cm : ndarray
        Whole spectrum (for plotting).
    """

    sigma_dc_S_per_cm: float
    sigma_dc_stderr_S_per_cm: float
    f_c_Hz: float
    f_c_stderr_Hz: float
    p: float
    p_stderr: float
    redchi: float
    converged: bool
    message: str
    method: str
    window_low_Hz: float
    window_high_Hz: float
    report: FitReport = field(repr=False)
    frequency_Hz: np.ndarray = field(repr=False)
    sigma_real_S_per_cm: np.ndarray = field(repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "settings", _freeze(self.settings))

    @property
    def omega_c_rad_per_s(self) -> float:
        return 2 * np.pi * self.f_c_Hz

    @property
    def omega_c_stderr_rad_per_s(self) -> float:
        return 2 * np.pi * self.f_c_stderr_Hz

    def predict(self, frequency_Hz) -> np.ndarray:
        """Model σ' (S/cm) at ``frequency_Hz``."""
        v = self.report.values
        return _jonscher(np.asarray(frequency_Hz, float), v["log10_sigma_dc"], v["log10_f_c"], v["p"])

    def _items(self):
        return [("jonscher_sigma_dc_S_per_cm", self.sigma_dc_S_per_cm, self.sigma_dc_stderr_S_per_cm, "S/cm"),
                ("jonscher_f_c_Hz", self.f_c_Hz, self.f_c_stderr_Hz, "Hz"),
                ("jonscher_p", self.p, self.p_stderr, ""),
                ("jonscher_redchi", self.redchi, _NAN, "")]

    def plot(self, ax=None):
        """Data and Jonscher model, log-log; returns the Figure."""
        from .plot import plot_jonscher
        return plot_jonscher(self, ax=ax)

    def __repr__(self) -> str:
        flag = "" if self.converged else ", NOT converged"
        return (f"JonscherResult(sigma_dc={_pm(self.sigma_dc_S_per_cm, self.sigma_dc_stderr_S_per_cm)} S/cm, "
                f"f_c={_pm(self.f_c_Hz, self.f_c_stderr_Hz)} Hz, p={_pm(self.p, self.p_stderr, '.3f')}, "
                f"redchi={self.redchi:.3g}{flag})")


def fit_jonscher(frequency_Hz, z_ohm, *, thickness_cm: float, diameter_cm: float | None = None,
                 area_cm2: float | None = None, f_min_Hz: float | None = None,
                 f_max_Hz: float | None = None, tolerance: float = 0.05) -> JonscherResult:
    """Fit ``σ'(ω) = σ_dc [1 + (ω/ω_c)^p]`` in ``log10 σ'`` over the plateau and dispersion.

    Without ``f_min_Hz`` the electrode-polarisation tail is excluded
    automatically: the fit starts at the flattest point of the dc plateau
    (see :func:`sigma_dc_plateau`), below which σ' is pulled down by the
    electrodes (or at the plateau's low edge when it reaches the lowest
    frequency).

    Parameters
    ----------
    frequency_Hz, z_ohm, thickness_cm, diameter_cm, area_cm2
        Spectrum and geometry, as in :func:`sigma_dc_plateau`.
    f_min_Hz, f_max_Hz : float, optional
        Fit window; ``f_min_Hz`` switches off the automatic exclusion.
    tolerance : float
        Plateau slope threshold for the automatic start (default 0.05).

    Returns
    -------
    JonscherResult

    Raises
    ------
    FitError
        Fewer than 5 points in the window, or no plateau to start from
        (then give ``f_min_Hz``).

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(0, 7, 71)
    >>> sigma = 1e-5 * (1 + (1j * f / 1e4) ** 0.66 / np.cos(0.33 * np.pi))   # σ' is exactly Jonscher
    >>> z = (0.1 / 0.5) / sigma
    >>> res = fit_jonscher(f, z, thickness_cm=0.1, area_cm2=0.5)
    >>> round(res.p, 3), f"{res.f_c_Hz:.4g}", f"{res.sigma_dc_S_per_cm:.4g}"
    (0.66, '1e+04', '1e-05')
    """
    context = "fit_jonscher"
    f, z = _spectrum(frequency_Hz, z_ohm, context)
    thickness, area = _geometry(thickness_cm, diameter_cm, area_cm2)
    sigma_real = ((thickness / area) / z).real
    auto = f_min_Hz is None
    plateau_value = None
    if auto:
        mask = _window_mask(f, None, f_max_Hz, context)
        try:
            a, b, slope = _find_plateau(f, sigma_real, tolerance=tolerance, smoothing_points=5,
                                        min_points=5, mask=mask, context=context)
        except FitError as exc:
            raise FitError(f"{exc.message}. Give f_min_Hz to fit without a detected plateau") from None
        # electrode polarisation pulls σ' down up to the flattest plateau point; start there,
        # or at the plateau's low edge when the plateau reaches the lowest frequency (no EP)
        start = a if a == int(np.flatnonzero(mask)[0]) else a + int(np.argmin(np.abs(slope[a:b + 1])))
        plateau_value = float(np.median(sigma_real[a:b + 1]))
        f_lo = float(f[start])
    else:
        f_lo = float(f_min_Hz)
    keep = _window_mask(f, f_lo, f_max_Hz, context)
    fw, sw = f[keep], sigma_real[keep]
    if fw.size < 5:
        raise FitError(f"{context}: {fw.size} points in {f_lo:.3g}-{f_max_Hz or f[-1]:.3g} Hz; "
                       "the 3-parameter fit needs at least 5; widen the window")
    if np.any(sw <= 0):
        raise DataError(f"{context}: σ' ≤ 0 inside the fit window; narrow f_min_Hz / f_max_Hz")
    # starting values from the data
    s0 = plateau_value if plateau_value is not None else float(np.min(sw[: max(3, fw.size // 5)]))
    ratio = sw / s0 - 1.0
    above = np.flatnonzero(ratio >= 1.0)
    fc0 = float(fw[above[0]]) if above.size else float(fw[-1])
    tail = _local_slope(np.log10(fw), np.log10(sw), 5)[-1]
    x_end = max(ratio[-1], 1e-3)
    p0 = float(np.clip(tail * (1 + x_end) / x_end, 0.1, 1.5))
    params = make_params({
        "log10_sigma_dc": np.log10(s0),
        "log10_f_c": {"value": np.log10(fc0), "min": np.log10(fw[0]) - 6, "max": np.log10(fw[-1]) + 6},
        "p": {"value": p0, "min": 0.01, "max": 2.0},
    })
    log_sw = np.log10(sw)

    def residual(pars):
        v = pars.valuesdict()
        return np.log10(_jonscher(fw, v["log10_sigma_dc"], v["log10_f_c"], v["p"])) - log_sw

    rep = minimize(residual, params, context=context)
    sdc, sdc_err = rep.propagate(lambda v: 10.0 ** v["log10_sigma_dc"])
    fc, fc_err = rep.propagate(lambda v: 10.0 ** v["log10_f_c"])
    msg = rep.message
    if ratio[-1] < 0.2:
        msg += ("; σ' rises only {:.0%} above σ_dc by the top of the window, so f_c and p are "
                "poorly constrained").format(max(ratio[-1], 0))
    return JonscherResult(
        sigma_dc_S_per_cm=sdc, sigma_dc_stderr_S_per_cm=sdc_err, f_c_Hz=fc, f_c_stderr_Hz=fc_err,
        p=rep.values["p"], p_stderr=rep.stderr["p"], redchi=rep.redchi, converged=rep.converged,
        message=msg, method="Jonscher sigma' = sigma_dc[1+(f/f_c)^p], least squares in log10 sigma'",
        window_low_Hz=float(fw[0]), window_high_Hz=float(fw[-1]), report=rep, frequency_Hz=f,
        sigma_real_S_per_cm=sigma_real,
        settings={"f_min_Hz": f_min_Hz, "f_max_Hz": f_max_Hz, "tolerance": tolerance,
                  "auto_window": auto, "thickness_cm": thickness, "area_cm2": area})


# -- power-law slopes ------------------------------------------------------------------------

_QUANTITIES = {
    None: ("power_law_slope", None),
    "sigma_real": ("sigma_dispersion_slope", "kww_beta_from_sigma_slope"),
    "modulus_imag": ("modulus_wing_slope", "kww_beta_from_modulus_slope"),
}


@dataclass(frozen=True, eq=False)
class PowerLawResult(_ResultRows):
    """Log-log slope ``d log y / d log f`` over a window.

    Attributes
    ----------
    slope, slope_stderr : float
    log10_prefactor, log10_prefactor_stderr : float
        ``log10 y`` at ``f = 1 Hz``.
    quantity : str or None
        ``"sigma_real"`` (then ``beta = 1 - slope``, from ``σ' ∝ ω^(1-β)``),
        ``"modulus_imag"`` (then ``beta = -slope``, from ``M'' ∝ ω^(-β)``) or None.
    beta, beta_stderr : float
        NaN when ``quantity`` is None.
    window_low_Hz, window_high_Hz : float
        Range of the points used.
    n_points : int
    redchi : float
    converged : bool
    message, method : str
    frequency_Hz, y : ndarray
        The points in the window.
    report : FitReport
    """

    slope: float
    slope_stderr: float
    log10_prefactor: float
    log10_prefactor_stderr: float
    quantity: str | None
    beta: float
    beta_stderr: float
    window_low_Hz: float
    window_high_Hz: float
    n_points: int
    redchi: float
    converged: bool
    message: str
    method: str
    frequency_Hz: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    report: FitReport = field(repr=False)

    def predict(self, frequency_Hz) -> np.ndarray:
        return 10.0 ** (self.log10_prefactor + self.slope * np.log10(np.asarray(frequency_Hz, float)))

    def _items(self):
        slope_name, beta_name = _QUANTITIES[self.quantity]
        rows = [(slope_name, self.slope, self.slope_stderr, "")]
        if beta_name:
            rows.append((beta_name, self.beta, self.beta_stderr, ""))
        return rows

    def plot(self, ax=None):
        """Data and power law, log-log; returns the Figure."""
        from .plot import plot_power_law
        return plot_power_law(self, ax=ax)

    def __repr__(self) -> str:
        extra = f", beta={_pm(self.beta, self.beta_stderr, '.3f')}" if self.quantity else ""
        return (f"PowerLawResult(slope={_pm(self.slope, self.slope_stderr, '.3f')} over "
                f"{self.window_low_Hz:.3g}-{self.window_high_Hz:.3g} Hz ({self.n_points} points){extra})")


def power_law_slope(frequency_Hz, y, f_min_Hz: float, f_max_Hz: float, *,
                    quantity: str | None = None) -> PowerLawResult:
    """Slope of ``log10 y`` against ``log10 f`` in a window, with its standard error.

    Used for the dispersive ``σ'`` regime (``σ' ∝ ω^(1-β)``) and the
    high-frequency ``M''`` wing (``M'' ∝ ω^(-β)``).

    Parameters
    ----------
    frequency_Hz, y : array_like
        Frequencies (Hz) and a positive quantity (``σ'`` in S/cm, ``M''``).
    window_low_Hz, window_high_Hz : float
        Range of the points used.
        Window, Hz.
    quantity : {None, "sigma_real", "modulus_imag"}
        What ``y`` is; sets ``beta`` and the descriptor names.

    Returns
    -------
    PowerLawResult

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(3, 6, 31)
    >>> res = power_law_slope(f, 1e-9 * f ** 0.43, 1e3, 1e6, quantity="sigma_real")
    >>> round(res.slope, 4), round(res.beta, 4)
    (0.43, 0.57)
    """
    context = "power_law_slope"
    if quantity not in _QUANTITIES:
        raise ConfigError(f"{context}: quantity must be None, 'sigma_real' or 'modulus_imag', got {quantity!r}")
    f = np.asarray(frequency_Hz, dtype=float)
    y = np.asarray(y)
    if np.iscomplexobj(y):
        raise DataError(f"{context}: y must be real (pass sigma.real or modulus.imag)")
    y = y.astype(float)
    if f.ndim != 1 or f.shape != y.shape:
        raise DataError(f"{context}: frequency_Hz and y must be 1-D and of equal length, "
                        f"got {f.shape} and {y.shape}")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(y))):
        raise DataError(f"{context}: non-finite values in frequency_Hz or y; remove those points")
    keep = _window_mask(f, f_min_Hz, f_max_Hz, context)
    fw, yw = f[keep], y[keep]
    order = np.argsort(fw, kind="stable")
    fw, yw = fw[order], yw[order]
    if fw.size < 3:
        raise FitError(f"{context}: {fw.size} points in {f_min_Hz:.3g}-{f_max_Hz:.3g} Hz; need at least 3")
    if np.any(fw <= 0) or np.any(yw <= 0):
        raise DataError(f"{context}: frequency and y must be positive in the window for a log-log slope")
    lx, ly = np.log10(fw), np.log10(yw)
    b0, a0 = np.polyfit(lx, ly, 1)
    params = make_params({"slope": b0, "log10_prefactor": a0})
    rep = minimize(lambda p: p["log10_prefactor"].value + p["slope"].value * lx - ly, params, context=context)
    slope, slope_err = rep.values["slope"], rep.stderr["slope"]
    if quantity == "sigma_real":
        beta = 1.0 - slope
    elif quantity == "modulus_imag":
        beta = -slope
    else:
        beta = _NAN
    return PowerLawResult(
        slope=slope, slope_stderr=slope_err, log10_prefactor=rep.values["log10_prefactor"],
        log10_prefactor_stderr=rep.stderr["log10_prefactor"], quantity=quantity, beta=beta,
        beta_stderr=slope_err if quantity else _NAN, window_low_Hz=float(fw[0]), window_high_Hz=float(fw[-1]),
        n_points=int(fw.size), redchi=rep.redchi, converged=rep.converged, message=rep.message,
        method="log-log linear least squares", frequency_Hz=fw, y=yw, report=rep)
