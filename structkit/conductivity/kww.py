"""KWW modulus relaxation and the Ngai coupling model.

* :func:`kww_modulus_bergman`, :func:`fit_modulus_kww` — the ``M''(f)`` peak
  in Bergman's approximation of the KWW function, and ``ε∞`` from the
  high-frequency ``M'`` plateau.
* :func:`coupling_report` — the Ngai check ``β ≟ Ea_high / Ea_low`` and
  Funke's rearrangement energy; :func:`phillips_beta`, ``β = d / (d + 2)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.units import EPSILON_0_F_PER_CM
from ._relaxation_common import (
    _NAN,
    _freeze,
    _geometry,
    _local_slope,
    _pm,
    _ResultRows,
    _spectrum,
    _window_mask,
)

__all__ = [
    "kww_modulus_bergman", "fit_modulus_kww", "ModulusKWWResult",
    "coupling_report", "CouplingReport", "phillips_beta",
]


# -- KWW modulus (Bergman) -----------------------------------------------------------------

def kww_modulus_bergman(frequency_Hz, *, f_max_Hz: float, m2_max: float, beta: float) -> np.ndarray:
    """Bergman's (2000) approximation of the KWW modulus loss peak ``M''(f)``.

    ``M''(ω) = M''max / [(1-β) + β/(1+β) (β ω_max/ω + (ω/ω_max)^β)]``: ``∝ ω``
    below the peak, ``∝ ω^(-β)`` above it; ``β = 1`` is the Debye peak.

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies, Hz.
    f_max_Hz : float
        Peak frequency, Hz.
    m2_max : float
        Peak height (dimensionless).
    beta : float
        KWW stretching exponent, ``0 < β ≤ 1``.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> kww_modulus_bergman([1e3, 1e5], f_max_Hz=1e3, m2_max=0.1, beta=1.0).round(6).tolist()
    [0.1, 0.002]
    """
    x = np.asarray(frequency_Hz, dtype=float) / f_max_Hz
    return m2_max / ((1.0 - beta) + beta / (1.0 + beta) * (beta / x + x ** beta))


@dataclass(frozen=True, eq=False)
class ModulusKWWResult(_ResultRows):
    """KWW (Bergman) fit of the ``M''(f)`` peak and the high-frequency ``M'`` plateau.

    Attributes
    ----------
    beta, beta_stderr : float
        KWW stretching exponent; ``n_ngai = 1 - β`` (same stderr).
    f_max_Hz, f_max_stderr_Hz : float
        Peak frequency; ``tau_m_s = 1 / (2π f_max)``.
    m2_max, m2_max_stderr : float
        Peak height.
    m_inf, m_inf_stderr : float
        High-frequency plateau of ``M'``: mean and scatter of the upper half
        (in frequency) of the trailing flat run of ``M'`` points.
    epsilon_inf, epsilon_inf_stderr : float
        ``ε∞ = 1/M∞``.
    m_inf_plateau : bool
        False when ``M'`` is still rising at the top frequency; ``M∞`` is then
        ``M'`` at the top frequency (a lower bound) and ``ε∞`` an upper bound.
    redchi : float
        Reduced chi-square in ``log10 M''``.
    converged : bool
    message, method : str
    window_low_Hz, window_high_Hz : float
        Fitted window.
    report : FitReport
    frequency_Hz : ndarray
    modulus : ndarray of complex
        ``M*`` over the whole spectrum (for plotting).
    """

    beta: float
    beta_stderr: float
    f_max_Hz: float
    f_max_stderr_Hz: float
    m2_max: float
    m2_max_stderr: float
    m_inf: float
    m_inf_stderr: float
    epsilon_inf: float
    epsilon_inf_stderr: float
    m_inf_plateau: bool
    redchi: float
    converged: bool
    message: str
    method: str
    window_low_Hz: float
    window_high_Hz: float
    report: FitReport = field(repr=False)
    frequency_Hz: np.ndarray = field(repr=False)
    modulus: np.ndarray = field(repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "settings", _freeze(self.settings))

    @property
    def n_ngai(self) -> float:
        """Ngai coupling parameter ``n = 1 - β``."""
        return 1.0 - self.beta

    @property
    def n_ngai_stderr(self) -> float:
        return self.beta_stderr

    @property
    def tau_m_s(self) -> float:
        """Modulus relaxation time ``1 / (2π f_max)``, s."""
        return 1.0 / (2 * np.pi * self.f_max_Hz)

    def predict(self, frequency_Hz) -> np.ndarray:
        """Model ``M''`` at ``frequency_Hz``."""
        return kww_modulus_bergman(frequency_Hz, f_max_Hz=self.f_max_Hz, m2_max=self.m2_max, beta=self.beta)

    def _items(self):
        return [("kww_beta", self.beta, self.beta_stderr, ""),
                ("ngai_n", self.n_ngai, self.n_ngai_stderr, ""),
                ("kww_f_max_Hz", self.f_max_Hz, self.f_max_stderr_Hz, "Hz"),
                ("modulus_m2_max", self.m2_max, self.m2_max_stderr, ""),
                ("modulus_m_inf", self.m_inf, self.m_inf_stderr, ""),
                ("epsilon_inf", self.epsilon_inf, self.epsilon_inf_stderr, ""),
                ("kww_redchi", self.redchi, _NAN, "")]

    def plot(self, ax=None):
        """``M''`` data with the KWW fit and ``M'`` with ``M∞``; returns the Figure."""
        from .plot import plot_modulus_kww
        return plot_modulus_kww(self, ax=ax)

    def __repr__(self) -> str:
        flag = "" if self.converged else ", NOT converged"
        bound = "" if self.m_inf_plateau else " (upper bound)"
        return (f"ModulusKWWResult(beta={_pm(self.beta, self.beta_stderr, '.3f')}, "
                f"f_max={_pm(self.f_max_Hz, self.f_max_stderr_Hz)} Hz, "
                f"M''max={_pm(self.m2_max, self.m2_max_stderr)}, "
                f"eps_inf={_pm(self.epsilon_inf, self.epsilon_inf_stderr)}{bound}, "
                f"redchi={self.redchi:.3g}{flag})")


def _high_frequency_plateau(f, m1, tolerance, min_points=3):
    """(M∞, stderr, found) from the trailing flat run of ``M'(f)``."""
    m1 = np.asarray(m1, float)
    if np.any(m1[-min_points:] <= 0):
        return float(m1[-1]), _NAN, False
    pos = m1 > 0
    slope = np.full(m1.shape, np.inf)
    slope[pos] = _local_slope(np.log10(f[pos]), np.log10(m1[pos]), 5)
    flat = np.abs(slope) < tolerance
    if flat[-1]:
        start = f.size - 1
        while start > 0 and flat[start - 1]:
            start -= 1
        if f.size - start >= min_points:
            # M' still creeps up at the start of the flat run: use its upper half
            seg = m1[min(start + (f.size - start) // 2, f.size - min_points):]
            return float(np.mean(seg)), float(np.std(seg, ddof=1)), True
    return float(m1[-1]), _NAN, False


def fit_modulus_kww(frequency_Hz, z_ohm, *, thickness_cm: float, diameter_cm: float | None = None,
                    area_cm2: float | None = None, f_min_Hz: float | None = None,
                    f_max_Hz: float | None = None, min_fraction: float = 0.05,
                    tolerance: float = 0.05) -> ModulusKWWResult:
    """Fit the ``M''(f)`` peak with Bergman's KWW approximation; ``ε∞`` from the ``M'`` plateau.

    The fit is least squares in ``log10 M''`` over the contiguous region
    around the highest ``M''`` point where ``M'' ≥ min_fraction · max``
    (and inside ``f_min_Hz .. f_max_Hz`` when given). ``M∞`` is the mean of
    the trailing run of ``M'`` points whose log-log slope is below
    ``tolerance``; ``ε∞ = 1/M∞``.

    Parameters
    ----------
    frequency_Hz, z_ohm, thickness_cm, diameter_cm, area_cm2
        Spectrum and geometry, as in :func:`sigma_dc_plateau`.
    f_min_Hz, f_max_Hz : float, optional
        Fit window.
    min_fraction : float
        Lowest ``M''/M''max`` kept in the automatic window (default 0.05).
    tolerance : float
        Flatness threshold for the ``M'`` plateau (default 0.05).

    Returns
    -------
    ModulusKWWResult

    Raises
    ------
    FitError
        The ``M''`` maximum lies at the edge of the window (no peak), or
        fewer than 5 points remain.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(1, 9, 81)
    >>> c = 5.0 * 8.8541878128e-14 * 0.5 / 0.1                     # ε∞ = 5
    >>> z = 1e4 / (1 + 2j * np.pi * f * 1e4 * c)                    # Debye: β = 1
    >>> res = fit_modulus_kww(f, z, thickness_cm=0.1, area_cm2=0.5)
    >>> round(res.beta, 3), round(res.f_max_Hz * 2 * np.pi * 1e4 * c, 3), round(res.epsilon_inf, 2)
    (1.0, 1.0, 5.0)
    """
    context = "fit_modulus_kww"
    f, z = _spectrum(frequency_Hz, z_ohm, context)
    thickness, area = _geometry(thickness_cm, diameter_cm, area_cm2)
    c0_F = EPSILON_0_F_PER_CM * area / thickness
    m = 1j * 2 * np.pi * f * c0_F * z
    m2 = m.imag
    inside = _window_mask(f, f_min_Hz, f_max_Hz, context)
    idx = np.flatnonzero(inside)
    if idx.size < 5:
        raise FitError(f"{context}: {idx.size} points in the frequency window; need at least 5")
    k = idx[int(np.argmax(m2[idx]))]
    peak = m2[k]
    if not peak > 0:
        raise DataError(f"{context}: M'' has no positive values in the window; check the sign of z_ohm")
    if k in (idx[0], idx[-1]):
        raise FitError(f"{context}: the M'' maximum lies at the window edge ({f[k]:.3g} Hz): no peak "
                       "to fit. Measure to higher frequency (or lower temperature), or widen "
                       "f_min_Hz / f_max_Hz")
    lo, hi = k, k
    while lo - 1 >= idx[0] and m2[lo - 1] >= min_fraction * peak:
        lo -= 1
    while hi + 1 <= idx[-1] and m2[hi + 1] >= min_fraction * peak:
        hi += 1
    fw, mw = f[lo:hi + 1], m2[lo:hi + 1]
    if fw.size < 5:
        raise FitError(f"{context}: only {fw.size} points around the M'' peak at {f[k]:.3g} Hz; "
                       "lower min_fraction or measure more densely")
    # starting values: β from the full width at half maximum in decades (Debye: 1.144)
    lx = np.log10(fw)
    half = mw >= 0.5 * peak
    left, right = np.flatnonzero(half)[[0, -1]]
    fwhm_dec = lx[right] - lx[left]
    if left == 0 or right == fw.size - 1:
        fwhm_dec = 2 * min(lx[k - lo] - lx[left], lx[right] - lx[k - lo]) or fwhm_dec
    beta0 = float(np.clip(1.144 / max(fwhm_dec, 1e-3), 0.2, 0.98))
    params = make_params({
        "log10_f_max": {"value": np.log10(f[k]), "min": lx[0] - 1, "max": lx[-1] + 1},
        "log10_m2_max": np.log10(peak),
        "beta": {"value": beta0, "min": 0.05, "max": 1.0},
    })
    logm = np.log10(mw)

    def residual(pars):
        v = pars.valuesdict()
        model = kww_modulus_bergman(fw, f_max_Hz=10.0 ** v["log10_f_max"], m2_max=10.0 ** v["log10_m2_max"],
                                    beta=v["beta"])
        return np.log10(model) - logm

    rep = minimize(residual, params, context=context)
    fmax, fmax_err = rep.propagate(lambda v: 10.0 ** v["log10_f_max"])
    m2max, m2max_err = rep.propagate(lambda v: 10.0 ** v["log10_m2_max"])
    m_inf, m_inf_err, plateau = _high_frequency_plateau(f[idx], m.real[idx], tolerance)
    msg = rep.message
    if not plateau:
        msg += (f"; M' has not reached a high-frequency plateau by {f[idx[-1]]:.3g} Hz: M∞ = M'(f_top) is a "
                "lower bound and ε∞ an upper bound")
    if not m_inf > 0:
        raise DataError(f"{context}: M' at the top frequency is not positive; check the sign of z_ohm")
    return ModulusKWWResult(
        beta=rep.values["beta"], beta_stderr=rep.stderr["beta"], f_max_Hz=fmax, f_max_stderr_Hz=fmax_err,
        m2_max=m2max, m2_max_stderr=m2max_err, m_inf=m_inf, m_inf_stderr=m_inf_err,
        epsilon_inf=1.0 / m_inf, epsilon_inf_stderr=m_inf_err / m_inf ** 2, m_inf_plateau=plateau,
        redchi=rep.redchi, converged=rep.converged, message=msg,
        method="KWW modulus, Bergman (2000) approximation, least squares in log10 M''",
        window_low_Hz=float(fw[0]), window_high_Hz=float(fw[-1]), report=rep, frequency_Hz=f, modulus=m,
        settings={"f_min_Hz": f_min_Hz, "f_max_Hz": f_max_Hz, "min_fraction": min_fraction,
                  "tolerance": tolerance, "thickness_cm": thickness, "area_cm2": area})


# -- Ngai coupling model ----------------------------------------------------------------------

def phillips_beta(dimension: int) -> float:
    """Phillips' stretching exponent ``β = d / (d + 2)`` for ``d`` effective dimensions.

    Examples
    --------
    >>> phillips_beta(3)
    0.6
    """
    d = float(dimension)
    if not d > 0:
        raise ConfigError(f"phillips_beta: dimension must be positive, got {dimension!r}")
    return d / (d + 2.0)


def _err(value) -> float:
    return _NAN if value is None else float(value)


@dataclass(frozen=True, eq=False)
class CouplingReport(_ResultRows):
    """Ngai coupling-model consistency: ``β`` (relaxation) against ``Ea_high / Ea_low``.

    Both numbers are reported side by side; ``consistent`` says whether they
    agree within ``max(tolerance, 2·stderr of the difference)``. Nothing is
    adjusted to make them agree.

    Attributes
    ----------
    beta, beta_stderr : float
        β from the modulus fit or a dispersion slope (NaN if not given).
    ea_low_eV, ea_low_stderr_eV, ea_high_eV, ea_high_stderr_eV : float
        Activation energies of the correlated (low-T) and uncorrelated
        (high-T) regimes.
    ea_ratio, ea_ratio_stderr : float
        ``Ea_high / Ea_low`` (the coupling model's prediction for β).
    n_from_beta, n_from_ea : float
        Ngai ``n = 1 - β`` and ``n = 1 - Ea_high/Ea_low`` (stderr as for β and the ratio).
    rearrangement_energy_eV, rearrangement_energy_stderr_eV : float
        Funke's ``Ea_low - Ea_high``.
    difference, difference_stderr : float
        ``β - Ea_high/Ea_low``.
    consistent : bool or None
        None when no β was given.
    tolerance : float
    message : str
    """

    beta: float
    beta_stderr: float
    ea_low_eV: float
    ea_low_stderr_eV: float
    ea_high_eV: float
    ea_high_stderr_eV: float
    ea_ratio: float
    ea_ratio_stderr: float
    rearrangement_energy_eV: float
    rearrangement_energy_stderr_eV: float
    difference: float
    difference_stderr: float
    consistent: bool | None
    tolerance: float
    message: str
    method: str = "Ngai coupling model: beta vs Ea_high/Ea_low; Funke: Ea_low - Ea_high"

    @property
    def n_from_beta(self) -> float:
        return 1.0 - self.beta

    @property
    def n_from_ea(self) -> float:
        return 1.0 - self.ea_ratio

    def _items(self):
        rows = [("ea_ratio_high_low", self.ea_ratio, self.ea_ratio_stderr, ""),
                ("ngai_n_from_ea", self.n_from_ea, self.ea_ratio_stderr, ""),
                ("funke_rearrangement_energy_eV", self.rearrangement_energy_eV,
                 self.rearrangement_energy_stderr_eV, "eV")]
        if np.isfinite(self.beta):
            rows += [("coupling_beta", self.beta, self.beta_stderr, ""),
                     ("ngai_n_from_beta", self.n_from_beta, self.beta_stderr, ""),
                     ("coupling_beta_minus_ea_ratio", self.difference, self.difference_stderr, ""),
                     ("ngai_consistent", float(bool(self.consistent)), _NAN, "")]
        return rows

    def plot(self, ax=None):
        """β and Ea_high/Ea_low side by side with error bars; returns the Figure."""
        from .plot import plot_coupling
        return plot_coupling(self, ax=ax)

    def __repr__(self) -> str:
        head = (f"CouplingReport(Ea_high/Ea_low={_pm(self.ea_ratio, self.ea_ratio_stderr, '.3f')}, "
                f"Ea_low-Ea_high={_pm(self.rearrangement_energy_eV, self.rearrangement_energy_stderr_eV, '.3f')} eV")
        if not np.isfinite(self.beta):
            return head + ")"
        verdict = "consistent" if self.consistent else "INCONSISTENT"
        return head + f", beta={_pm(self.beta, self.beta_stderr, '.3f')}: {verdict})"


def coupling_report(beta: float | None, ea_low_eV: float, ea_high_eV: float, *,
                    beta_stderr: float | None = None, ea_low_stderr_eV: float | None = None,
                    ea_high_stderr_eV: float | None = None, tolerance: float = 0.05) -> CouplingReport:
    """Check the Ngai coupling model ``Ea_high = β · Ea_low`` and report Funke's rearrangement energy.

    Parameters
    ----------
    beta : float or None
        Stretching exponent from the modulus (or a dispersion slope); None to
        report only the Ea-based numbers (``n``, rearrangement energy).
    ea_low_eV, ea_high_eV : float
        Activation energies below (correlated) and above (uncorrelated) the
        crossover, eV. Seed 001's ``n = 1 - Ea(II)/Ea(I)`` and
        ``E_a,NMR = (1-n) E_a,σ`` are the same formula.
    beta_stderr, ea_low_stderr_eV, ea_high_stderr_eV : float, optional
        Standard errors, propagated to first order (independent inputs).
    tolerance : float
        Smallest ``|β - Ea_high/Ea_low|`` called inconsistent (default 0.05),
        widened to twice the stderr of the difference when that is larger.

    Returns
    -------
    CouplingReport

    Examples
    --------
    >>> r = coupling_report(0.55, 0.84, 0.20)          # seed 000, Na2(CB11H12)(CB9H10)
    >>> round(r.ea_ratio, 3), r.beta, r.consistent
    (0.238, 0.55, False)
    >>> round(coupling_report(None, 1.01, 0.28).rearrangement_energy_eV, 2)
    0.73
    """
    context = "coupling_report"
    lo, hi = float(ea_low_eV), float(ea_high_eV)
    for name, v in (("ea_low_eV", lo), ("ea_high_eV", hi)):
        if not np.isfinite(v) or v <= 0:
            raise DataError(f"{context}: {name} must be a positive energy in eV, got {v}")
    b = _NAN if beta is None else float(beta)
    if beta is not None and not (np.isfinite(b) and 0 < b <= 1):
        raise DataError(f"{context}: beta must lie in (0, 1], got {beta}")
    b_err, lo_err, hi_err = _err(beta_stderr), _err(ea_low_stderr_eV), _err(ea_high_stderr_eV)
    ratio = hi / lo
    ratio_err = ratio * np.sqrt((hi_err / hi) ** 2 + (lo_err / lo) ** 2)
    rearr_err = float(np.hypot(lo_err, hi_err))
    diff = b - ratio
    diff_err = float(np.hypot(b_err, ratio_err))
    msg = ""
    consistent = None
    if np.isfinite(b):
        limit = max(tolerance, 2 * diff_err) if np.isfinite(diff_err) else tolerance
        consistent = bool(abs(diff) <= limit)
        msg = (f"beta = {b:.3f} vs Ea_high/Ea_low = {ratio:.3f}: difference {diff:+.3f} "
               f"({'within' if consistent else 'outside'} ±{limit:.3f}); "
               + ("the coupling model relation holds" if consistent else
                  "the coupling model relation does NOT hold for these numbers"))
    if hi > lo:
        msg = "; ".join(filter(None, [msg, "Ea_high > Ea_low: the high-T regime is not the less "
                                      "activated one; check which Ea belongs to which regime"]))
    return CouplingReport(beta=b, beta_stderr=b_err, ea_low_eV=lo, ea_low_stderr_eV=lo_err, ea_high_eV=hi,
                          ea_high_stderr_eV=hi_err, ea_ratio=ratio, ea_ratio_stderr=float(ratio_err),
                          rearrangement_energy_eV=lo - hi, rearrangement_energy_stderr_eV=rearr_err,
                          difference=diff, difference_stderr=diff_err, consistent=consistent,
                          tolerance=float(tolerance), message=f"{context}: {msg}" if msg else context)
