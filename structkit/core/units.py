"""Physical constants and unit conversions used across structkit.

Constants are CODATA 2018 values. Temperatures are carried in kelvin
everywhere inside structkit (``temperature_K``); conversions from the
units users type (``25C``, ``-140deg``, ``300K``) live here.

Examples
--------
>>> round(celsius_to_kelvin(25.0), 2)
298.15
>>> round(K_B_EV * 323.15, 4)
0.0278
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError, DataError

__all__ = [
    "K_B_EV",
    "HBAR_MEV_PS",
    "EPSILON_0_F_PER_CM",
    "celsius_to_kelvin",
    "kelvin_to_celsius",
    "to_kelvin",
    "pellet_area_cm2",
]

#: Boltzmann constant, eV/K.
K_B_EV = 8.617333262e-5
#: Reduced Planck constant, meV·ps.
HBAR_MEV_PS = 0.6582119569
#: Vacuum permittivity, F/cm.
EPSILON_0_F_PER_CM = 8.8541878128e-14

_ZERO_C = 273.15


def celsius_to_kelvin(t_c):
    """Convert degrees Celsius to kelvin.

    Examples
    --------
    >>> celsius_to_kelvin(-273.15)
    0.0
    """
    return np.asarray(t_c, dtype=float) + _ZERO_C if np.ndim(t_c) else float(t_c) + _ZERO_C


def kelvin_to_celsius(t_k):
    """Convert kelvin to degrees Celsius.

    Examples
    --------
    >>> round(kelvin_to_celsius(300.0), 2)
    26.85
    """
    return np.asarray(t_k, dtype=float) - _ZERO_C if np.ndim(t_k) else float(t_k) - _ZERO_C


_UNIT_ALIASES = {
    "k": "K", "kelvin": "K",
    "c": "C", "degc": "C", "°c": "C", "celsius": "C", "deg": "C", "degree": "C", "degrees": "C",
}


def to_kelvin(value: float, unit: str) -> float:
    """Convert a temperature in ``unit`` (K, C, degC, deg, °C) to kelvin.

    ``deg`` alone means degrees Celsius, as in instrument file names such as
    ``s04147-140deg.txt``.

    Raises
    ------
    DataError
        For an unknown unit or a temperature below absolute zero.

    Examples
    --------
    >>> to_kelvin(-140, "deg")
    133.14999999999998
    >>> to_kelvin(300, "K")
    300.0
    """
    key = _UNIT_ALIASES.get(str(unit).strip().lower())
    if key is None:
        raise DataError(f"unknown temperature unit {unit!r}; use K, C, degC or deg")
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise DataError(f"temperature {value!r} is not a number") from None
    if not np.isfinite(t):
        raise DataError(f"temperature {value!r} is not finite")
    t_k = t if key == "K" else t + _ZERO_C
    if t_k <= 0:
        raise DataError(f"temperature {value} {unit} is at or below absolute zero")
    return t_k


def pellet_area_cm2(*, diameter_cm: float | None = None, area_cm2: float | None = None) -> float:
    """Electrode area of a pellet from its diameter or a given area, in cm².

    Examples
    --------
    >>> round(pellet_area_cm2(diameter_cm=0.8), 5)
    0.50265
    """
    if area_cm2 is not None and diameter_cm is not None:
        raise ConfigError("give either diameter_cm or area_cm2, not both")
    if area_cm2 is not None:
        value, name = area_cm2, "area_cm2"
    elif diameter_cm is not None:
        value, name = diameter_cm, "diameter_cm"
    else:
        raise ConfigError("pellet geometry missing: give diameter_cm or area_cm2 "
                        "(and thickness_cm) to convert resistance to conductivity")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a positive number in cm units, got {value!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number, got {value}")
    return value if name == "area_cm2" else float(np.pi * (value / 2.0) ** 2)
