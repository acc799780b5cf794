"""Conductivity relaxation: σ*, M*, ε* from impedance, and the σ_dc plateau.

Inputs are an impedance spectrum, ``frequency_Hz`` and complex ``z_ohm``
with the physical sign (``Z'' < 0`` for a capacitive sample), and the
pellet geometry (``thickness_cm`` and ``diameter_cm`` or ``area_cm2``).
With cell constant ``L/A`` and empty-cell capacitance ``C0 = ε0 A / L``:

* complex conductivity ``σ* = (L/A) / Z*`` (S/cm),
* electric modulus ``M* = iω C0 Z*`` (dimensionless), ``M* = 1/ε*``,
* permittivity ``ε* = ε' - iε'' = σ* / (iω ε0)``.

This module holds the conversions and the dc plateau of ``σ'(f)``
(:func:`sigma_dc_plateau`). The Jonscher law and log-log slopes are in
:mod:`.dispersion`; the KWW modulus fit and the Ngai coupling check in
:mod:`.kww`.

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
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError
from ..core.units import EPSILON_0_F_PER_CM
from ._relaxation_common import (
    _NAN,
    _find_plateau,
    _freeze,
    _geometry,
    _pm,
    _ResultRows,
    _spectrum,
    _window_mask,
)

__all__ = [
    "complex_conductivity", "electric_modulus", "permittivity", "sigma_dc_plateau", "PlateauResult",
]


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
        from .plot import plot_plateau
        return plot_plateau(self, ax=ax)

    def __repr__(self) -> str:
        return (f"PlateauResult(sigma_dc={_pm(self.sigma_dc_S_per_cm, self.sigma_dc_stderr_S_per_cm)} "
                f"S/cm over {self.f_low_Hz:.3g}-{self.f_high_Hz:.3g} Hz, {self.n_points} points)")


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
