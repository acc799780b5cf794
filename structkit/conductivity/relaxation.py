"""Conductivity relaxation: σ*, M*, ε* from impedance; σ_dc plateau, Jonscher, KWW modulus, Ngai coupling.

Inputs are an impedance spectrum, ``frequency_Hz`` and complex ``z_ohm``
with the physical sign (``Z'' < 0`` for a capacitive sample), and the
pellet geometry (``thickness_cm`` and ``diameter_cm`` or ``area_cm2``).
With cell constant ``L/A`` and empty-cell capacitance ``C0 = ε0 A / L``:

* complex conductivity ``σ* = (L/A) / Z*`` (S/cm),
* electric modulus ``M* = iω C0 Z*`` (dimensionless), ``M* = 1/ε*``,
* permittivity ``ε* = ε' - iε'' = σ* / (iω ε0)``.

Analyses: the dc plateau of ``σ'(f)`` (:func:`sigma_dc_plateau`), the
Jonscher law ``σ'(ω) = σ_dc [1 + (ω/ω_c)^p]`` (:func:`fit_jonscher`), the
KWW modulus peak in Bergman's approximation (:func:`fit_modulus_kww`),
log-log slopes of the dispersive wings (:func:`power_law_slope`) and the
Ngai coupling-model check ``β ≟ Ea_high / Ea_low`` (:func:`coupling_report`).

Examples
--------
>>> import numpy as np
>>> f = np.logspace(0, 6, 61)
>>> z = 1e4 / (1 + 2j * np.pi * f * 1e4 * 1e-11)           # R || C, R = 10 kΩ
>>> res = sigma_dc_plateau(f, z, thickness_cm=0.1, area_cm2=0.5)
>>> f"{res.sigma_dc_S_per_cm:.3e}"                          # L / (A R)
'2.000e-05'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.units import EPSILON_0_F_PER_CM, pellet_area_cm2

__all__ = [
    "complex_conductivity", "electric_modulus", "permittivity",
    "sigma_dc_plateau", "fit_jonscher", "fit_modulus_kww", "kww_modulus_bergman",
    "power_law_slope", "coupling_report", "phillips_beta",
    "PlateauResult", "JonscherResult", "ModulusKWWResult", "PowerLawResult", "CouplingReport",
]

_NAN = float("nan")


# -- shared result machinery --------------------------------------------------------------

class _ResultRows:
    """Mixin: ``descriptors()``, ``to_frame()`` and ``_repr_html_`` from ``_items()``."""

    _technique = "conductivity"

    def _items(self) -> list[tuple[str, float, float, str]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _method(self) -> str:
        return str(getattr(self, "method", ""))

    def _default_conditions(self) -> dict[str, Any]:
        return {}

    def descriptors(self, sample: str = "", *, conditions: Mapping[str, Any] | None = None,
                    source: str = "") -> list[DescriptorRow]:
        """Rows for the descriptor table, one per number, with units in the names.

        Parameters
        ----------
        sample : str
            Sample name.
        conditions : mapping, optional
            Condition columns, e.g. ``{"temperature_K": 193.15}``.
        source : str
            File or run the numbers came from.
        """
        conds = {**self._default_conditions(), **dict(conditions or {})}
        return [DescriptorRow(sample, name, value, stderr, unit, technique=self._technique,
                              conditions=conds, source=source, method=self._method())
                for name, value, stderr, unit in self._items()]

    def to_frame(self):
        """The numbers as a DataFrame with columns ``name, value, stderr, unit``."""
        import pandas as pd
        return pd.DataFrame(self._items(), columns=["name", "value", "stderr", "unit"])

    def _repr_html_(self) -> str:
        return f"<p>{type(self).__name__}: {self._method()}</p>" + self.to_frame().to_html(index=False)


def _freeze(mapping) -> MappingProxyType:
    return MappingProxyType(dict(mapping or {}))


def _pm(value: float, err: float, fmt: str = ".4g") -> str:
    return f"{value:{fmt}} ± {err:.2g}" if np.isfinite(err) else f"{value:{fmt}}"


# -- input checks -----------------------------------------------------------------------

def _geometry(thickness_cm, diameter_cm, area_cm2) -> tuple[float, float]:
    """(thickness L in cm, area A in cm²), validated."""
    try:
        thickness = float(thickness_cm)
    except (TypeError, ValueError):
        raise ConfigError(f"thickness_cm must be a number, got {thickness_cm!r}") from None
    if not np.isfinite(thickness) or thickness <= 0:
        raise ConfigError(f"thickness_cm must be a positive number, got {thickness_cm!r}")
    return thickness, pellet_area_cm2(diameter_cm=diameter_cm, area_cm2=area_cm2)


def _spectrum(frequency_Hz, z_ohm, context: str, *, sort: bool = True,
              min_points: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(f, Z)``; sorted by ascending frequency when ``sort``."""
    f = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(z_ohm)
    if not np.iscomplexobj(z):
        raise DataError(f"{context}: z_ohm must be the complex impedance Z' + iZ'' "
                        "(e.g. z_re + 1j * z_im), got a real array")
    z = z.astype(complex)
    if f.ndim != 1 or z.shape != f.shape:
        raise DataError(f"{context}: frequency_Hz and z_ohm must be 1-D and of equal length, "
                        f"got shapes {f.shape} and {z.shape}")
    if f.size < min_points:
        raise FitError(f"{context}: {f.size} frequencies are too few; need at least {min_points}")
    bad = ~(np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag))
    if bad.any():
        raise DataError(f"{context}: {int(bad.sum())} non-finite value(s) in frequency_Hz or z_ohm "
                        f"(first at index {int(np.argmax(bad))}); remove those points")
    if np.any(f <= 0):
        raise DataError(f"{context}: frequency_Hz must be positive")
    if np.median(z.imag) > 0:
        raise DataError(f"{context}: Z'' is positive at most frequencies; structkit expects the "
                        "physical sign (Z'' < 0 for a capacitive sample). If your data hold -Z'', "
                        "pass z_re - 1j * minus_z_im")
    if sort:
        order = np.argsort(f, kind="stable")
        f, z = f[order], z[order]
        if np.any(np.diff(f) == 0):
            raise DataError(f"{context}: repeated frequencies; average or drop the duplicates")
    return f, z


def _window_mask(f, f_min_Hz, f_max_Hz, context: str) -> np.ndarray:
    lo = -np.inf if f_min_Hz is None else float(f_min_Hz)
    hi = np.inf if f_max_Hz is None else float(f_max_Hz)
    if not lo < hi:
        raise ConfigError(f"{context}: f_min_Hz={f_min_Hz} must be below f_max_Hz={f_max_Hz}")
    return (f >= lo) & (f <= hi)


# -- conversions -------------------------------------------------------------------------

def complex_conductivity(frequency_Hz, z_ohm, *, thickness_cm: float, diameter_cm: float | None = None,
                         area_cm2: float | None = None) -> np.ndarray:
    """Complex conductivity ``σ* = (L/A) / Z*``, in S/cm.

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies in Hz (only checked; σ* does not depend on them).
    z_ohm : array_like of complex
        Impedance, physical sign (``Z'' < 0`` capacitive), in ohm.
    thickness_cm : float
        Pellet thickness ``L``, in cm.
    diameter_cm, area_cm2 : float, optional
        Electrode diameter (cm) or area (cm²); give exactly one.

    Returns
    -------
    ndarray of complex
        ``σ' + iσ''`` in S/cm, in the input order.

    Examples
    --------
    >>> complex_conductivity([1.0], [1000 + 0j], thickness_cm=0.1, area_cm2=0.5).real
    array([0.0002])
    """
    f, z = _spectrum(frequency_Hz, z_ohm, "complex_conductivity", sort=False, min_points=1)
    thickness, area = _geometry(thickness_cm, diameter_cm, area_cm2)
    if np.any(z == 0):
        raise DataError("complex_conductivity: z_ohm has zeros; σ* = (L/A)/Z* is undefined there")
    return (thickness / area) / z


def electric_modulus(frequency_Hz, z_ohm, *, thickness_cm: float, diameter_cm: float | None = None,
                     area_cm2: float | None = None) -> np.ndarray:
    """Complex electric modulus ``M* = iω C0 Z*`` with ``C0 = ε0 A / L`` (dimensionless).

    ``M' = -ω C0 Z''`` and ``M'' = ω C0 Z'`` are both positive for a
    physical sample; ``M* = 1/ε*``.

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies in Hz.
    z_ohm : array_like of complex
        Impedance, physical sign, in ohm.
    thickness_cm, diameter_cm, area_cm2 : float
        Pellet geometry, see :func:`complex_conductivity`.

    Returns
    -------
    ndarray of complex
        ``M' + iM''``, in the input order.

    Examples
    --------
    >>> import numpy as np
    >>> eps_r, thickness, area = 10.0, 0.1, 0.5
    >>> c = eps_r * 8.8541878128e-14 * area / thickness          # a pure capacitor, F
    >>> f = np.array([1e3, 1e6])
    >>> m = electric_modulus(f, 1 / (2j * np.pi * f * c), thickness_cm=thickness, area_cm2=area)
    >>> np.round(m.real, 6).tolist(), np.round(m.imag, 6).tolist()
    ([0.1, 0.1], [0.0, 0.0])
    """
    f, z = _spectrum(frequency_Hz, z_ohm, "electric_modulus", sort=False, min_points=1)
    thickness, area = _geometry(thickness_cm, diameter_cm, area_cm2)
    c0_F = EPSILON_0_F_PER_CM * area / thickness
    return 1j * 2 * np.pi * f * c0_F * z


def permittivity(frequency_Hz, z_ohm, *, thickness_cm: float, diameter_cm: float | None = None,
                 area_cm2: float | None = None) -> np.ndarray:
    """Complex relative permittivity ``ε* = ε' - iε'' = 1/M* = σ* / (iω ε0)``.

    Parameters
    ----------
    frequency_Hz, z_ohm, thickness_cm, diameter_cm, area_cm2
        As in :func:`electric_modulus`.

    Returns
    -------
    ndarray of complex
        ``ε' - iε''`` (``ε'' > 0`` for a lossy sample), in the input order.

    Examples
    --------
    >>> import numpy as np
    >>> c = 10.0 * 8.8541878128e-14 * 0.5 / 0.1
    >>> eps = permittivity([1e3], [1 / (2j * np.pi * 1e3 * c)], thickness_cm=0.1, area_cm2=0.5)
    >>> round(float(eps.real[0]), 6)
    10.0
    """
    return 1.0 / electric_modulus(frequency_Hz, z_ohm, thickness_cm=thickness_cm,
                                  diameter_cm=diameter_cm, area_cm2=area_cm2)


# -- dc plateau --------------------------------------------------------------------------

def _local_slope(x: np.ndarray, y: np.ndarray, points: int) -> np.ndarray:
    """Least-squares slope dy/dx in a sliding window of ``points`` samples (truncated at the ends)."""
    n = x.size
    k = max(int(points) // 2, 1)
    idx = np.arange(n)
    lo, hi = np.clip(idx - k, 0, n), np.clip(idx + k + 1, 0, n)
    cs = [np.concatenate([[0.0], np.cumsum(v)]) for v in (np.ones_like(x), x, y, x * x, x * y)]
    s1, sx, sy, sxx, sxy = (c[hi] - c[lo] for c in cs)
    den = s1 * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (s1 * sxy - sx * sy) / den
    return np.where(den > 0, slope, 0.0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, stop) index pairs of the True runs in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    d = np.diff(padded)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1))


@dataclass(frozen=True, eq=False)
class PlateauResult(_ResultRows):
    """The dc plateau of ``σ'(f)``.

    Attributes
    ----------
    sigma_dc_S_per_cm, sigma_dc_stderr_S_per_cm : float
        Median of ``σ'`` over the plateau, and the scatter (sample standard
        deviation) of ``σ'`` over it. The scatter is mostly the residual
        slope at the window edges, so it is not divided by ``√n``.
    f_low_Hz, f_high_Hz : float
        The plateau window.
    n_points : int
    tolerance : float
        The ``|d log σ'/d log f|`` threshold used.
    method, message : str
    frequency_Hz, sigma_real_S_per_cm, slope : ndarray
        The whole spectrum and its local log-log slope (for plotting).
    settings : mapping
    """

    sigma_dc_S_per_cm: float
    sigma_dc_stderr_S_per_cm: float
    f_low_Hz: float
    f_high_Hz: float
    n_points: int
    tolerance: float
    method: str
    message: str
    frequency_Hz: np.ndarray = field(repr=False)
    sigma_real_S_per_cm: np.ndarray = field(repr=False)
    slope: np.ndarray = field(repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "settings", _freeze(self.settings))

    def _items(self):
        return [("sigma_dc_S_per_cm", self.sigma_dc_S_per_cm, self.sigma_dc_stderr_S_per_cm, "S/cm"),
                ("plateau_f_low_Hz", self.f_low_Hz, _NAN, "Hz"),
                ("plateau_f_high_Hz", self.f_high_Hz, _NAN, "Hz")]

    def plot(self, ax=None):
        """σ'(f) with the plateau window and σ_dc; returns the Figure."""
        from ._relaxation_plots import plot_plateau
        return plot_plateau(self, ax=ax)

    def __repr__(self) -> str:
        return (f"PlateauResult(sigma_dc={_pm(self.sigma_dc_S_per_cm, self.sigma_dc_stderr_S_per_cm)} "
                f"S/cm over {self.f_low_Hz:.3g}-{self.f_high_Hz:.3g} Hz, {self.n_points} points)")


def _find_plateau(f, sigma_real, *, tolerance, smoothing_points, min_points, mask, context):
    """(start, stop, slope) of the widest window with |dlogσ'/dlogf| < tolerance, inside ``mask``.

    ``mask`` is a contiguous frequency window; ``slope`` is NaN outside it.
    """
    inside = np.flatnonzero(mask)
    if inside.size < min_points:
        raise FitError(f"{context}: {inside.size} points in the frequency window; need at least {min_points}")
    fm, sm = f[inside], sigma_real[inside]
    if np.any(sm <= 0):
        i = int(np.argmax(sm <= 0))
        raise DataError(f"{context}: σ' ≤ 0 at {fm[i]:.4g} Hz (inductive or corrupted point); "
                        "restrict the frequency window with f_min_Hz / f_max_Hz")
    x = np.log10(fm)
    slope_m = _local_slope(x, np.log10(sm), smoothing_points)
    runs = [(a, b) for a, b in _runs(np.abs(slope_m) < tolerance) if b - a + 1 >= min_points]
    if not runs:
        j = int(np.argmin(np.abs(slope_m)))
        raise FitError(f"{context}: no dc plateau: |d log σ'/d log f| does not stay below "
                       f"{tolerance:g} for {min_points} consecutive points (flattest: {abs(slope_m[j]):.3f} "
                       f"at {fm[j]:.3g} Hz). Raise tolerance, measure to lower frequency/higher "
                       "temperature, or fit the spectrum with fit_jonscher(f_min_Hz=...) or an "
                       "equivalent circuit")
    a, b = runs[int(np.argmax([x[b] - x[a] for a, b in runs]))]
    slope = np.full(f.shape, np.nan)
    slope[inside] = slope_m
    return int(inside[a]), int(inside[b]), slope


def sigma_dc_plateau(frequency_Hz, z_ohm, *, thickness_cm: float, diameter_cm: float | None = None,
                     area_cm2: float | None = None, tolerance: float = 0.05, smoothing_points: int = 5,
                     min_points: int = 5, f_min_Hz: float | None = None,
                     f_max_Hz: float | None = None) -> PlateauResult:
    """σ_dc from the frequency-independent plateau of ``σ'(f)``.

    The plateau is the widest frequency window (in decades) where the local
    slope ``|d log σ'/d log f|``, from a sliding least-squares line over
    ``smoothing_points`` points, stays below ``tolerance``. Electrode
    polarisation (σ' falling at low f) and the dispersive regime (σ' rising
    at high f) both have slopes well above it and are left out.

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies in Hz, any order (sorted internally), no repeats.
    z_ohm : array_like of complex
        Impedance, physical sign (``Z'' < 0`` capacitive), in ohm.
    thickness_cm : float
        Pellet thickness, cm.
    diameter_cm, area_cm2 : float, optional
        Electrode diameter (cm) or area (cm²).
    tolerance : float
        Largest ``|d log σ'/d log f|`` counted as flat (default 0.05).
    smoothing_points : int
        Points in the sliding slope window (default 5).
    min_points : int
        Fewest points a plateau must span (default 5).
    f_min_Hz, f_max_Hz : float, optional
        Restrict the search to this window.

    Returns
    -------
    PlateauResult

    Raises
    ------
    DataError
        Non-finite, non-complex or wrongly signed input; σ' ≤ 0 in the window.
    FitError
        No plateau of ``min_points`` points exists.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(-1, 7, 81)
    >>> w = 2 * np.pi * f
    >>> z = 1e4 / (1 + 1e4 * 1e-11 * (1j * w) ** 0.8) + 1 / (1e-6 * (1j * w) ** 0.9)
    >>> res = sigma_dc_plateau(f, z, thickness_cm=0.1, area_cm2=0.5)
    >>> round(res.sigma_dc_S_per_cm / 2e-5, 2), res.f_low_Hz < 1e3 < res.f_high_Hz
    (1.0, True)
    """
    context = "sigma_dc_plateau"
    f, z = _spectrum(frequency_Hz, z_ohm, context, min_points=min_points)
    thickness, area = _geometry(thickness_cm, diameter_cm, area_cm2)
    if not tolerance > 0:
        raise ConfigError(f"{context}: tolerance must be positive, got {tolerance}")
    sigma_real = ((thickness / area) / z).real
    mask = _window_mask(f, f_min_Hz, f_max_Hz, context)
    a, b, slope = _find_plateau(f, sigma_real, tolerance=tolerance, smoothing_points=smoothing_points,
                                min_points=min_points, mask=mask, context=context)
    seg = sigma_real[a:b + 1]
    value = float(np.median(seg))
    err = float(np.std(seg, ddof=1))
    note = "plateau reaches the lowest frequency (no electrode polarisation seen)" if a == 0 else ""
    if b == f.size - 1:
        note = "; ".join(filter(None, [note, "plateau reaches the highest frequency (no dispersion seen)"]))
    return PlateauResult(
        sigma_dc_S_per_cm=value, sigma_dc_stderr_S_per_cm=err, f_low_Hz=float(f[a]),
        f_high_Hz=float(f[b]), n_points=int(b - a + 1), tolerance=float(tolerance),
        method=f"sigma' plateau: widest window with |dlog sigma'/dlog f| < {tolerance:g}; median",
        message=f"{context}: {note or 'plateau between electrode polarisation and dispersion'}",
        frequency_Hz=f, sigma_real_S_per_cm=sigma_real, slope=slope,
        settings={"tolerance": tolerance, "smoothing_points": smoothing_points, "min_points": min_points,
                  "f_min_Hz": f_min_Hz, "f_max_Hz": f_max_Hz, "thickness_cm": thickness,
                  "area_cm2": area})


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
        from ._relaxation_plots import plot_jonscher
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
        from ._relaxation_plots import plot_modulus_kww
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
        from ._relaxation_plots import plot_power_law
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
        from ._relaxation_plots import plot_coupling
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
