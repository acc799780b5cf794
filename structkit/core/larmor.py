"""Larmor frequencies and their consistency check, shared by NMR relaxometry and NMR line fits.

Examples
--------
>>> round(larmor_frequency_MHz("23Na", 7.05), 2)
79.4
>>> check_larmor("23Na", 7.05, 73.39).ok                   # seed 003's typo is flagged
False
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

__all__ = ["GYROMAGNETIC_MHZ_PER_T", "larmor_frequency_MHz", "check_larmor", "LarmorCheck", "nucleus_key"]


#: γ/2π in MHz/T for the nuclei structkit knows (bare-nucleus values, 4-5 significant digits).
GYROMAGNETIC_MHZ_PER_T: Mapping[str, float] = {
    "1H": 42.577, "2H": 6.536, "6Li": 6.266, "7Li": 16.546, "11B": 13.660, "13C": 10.708,
    "19F": 40.078, "23Na": 11.262, "27Al": 11.103, "31P": 17.235,
}


# -- Larmor frequencies --------------------------------------------------------------------

def nucleus_key(nucleus: str) -> str:
    s = str(nucleus).strip().replace("-", "").replace(" ", "")
    m = re.fullmatch(r"(\d+)([A-Za-z]{1,2})|([A-Za-z]{1,2})(\d+)", s)
    if m:
        mass, sym = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        key = f"{mass}{sym[0].upper()}{sym[1:].lower()}"
        if key in GYROMAGNETIC_MHZ_PER_T:
            return key
    raise ConfigError(f"unknown nucleus {nucleus!r}; known: {', '.join(GYROMAGNETIC_MHZ_PER_T)} "
                      "(write e.g. '23Na' or 'Na-23')")


def larmor_frequency_MHz(nucleus: str, field_T: float) -> float:
    """Larmor frequency ``ν0 = (γ/2π) B0`` in MHz.

    Parameters
    ----------
    nucleus : str
        ``"1H"``, ``"7Li"``, ``"23Na"``, ``"11B"`` ... (``"Na-23"`` also works).
    field_T : float
        Magnetic field, tesla.

    Examples
    --------
    >>> round(larmor_frequency_MHz("1H", 7.05), 1)
    300.2
    """
    b = float(field_T)
    if not np.isfinite(b) or b <= 0:
        raise ConfigError(f"field_T must be a positive field in tesla, got {field_T!r}")
    return GYROMAGNETIC_MHZ_PER_T[nucleus_key(nucleus)] * b


@dataclass(frozen=True)
class LarmorCheck:
    """Whether a stated Larmor frequency matches ``(γ/2π) B0``.

    ``ok`` is False when ``|given/expected - 1| > rtol``; ``message`` says what to check.
    """

    nucleus: str
    field_T: float
    given_MHz: float
    expected_MHz: float
    relative_deviation: float
    rtol: float
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return (f"LarmorCheck({self.nucleus} at {self.field_T:g} T: given {self.given_MHz:g} MHz, expected "
                f"{self.expected_MHz:.2f} MHz, {self.relative_deviation:+.1%}: {'ok' if self.ok else 'MISMATCH'})")


def check_larmor(nucleus: str, field_T: float, larmor_MHz: float, rtol: float = 0.01) -> LarmorCheck:
    """Compare a stated Larmor frequency with ``(γ/2π) B0``.

    Parameters
    ----------
    nucleus : str
    field_T : float
        Field, tesla.
    larmor_MHz : float
        The frequency stated in the metadata or paper, MHz.
    rtol : float
        Relative tolerance (default 1 %; nominal magnet fields are rounded).

    Returns
    -------
    LarmorCheck
        Truthy when consistent.

    Examples
    --------
    >>> check_larmor("23Na", 7.0, 79.35).ok, round(check_larmor("23Na", 7.05, 73.39).expected_MHz, 1)
    (True, 79.4)
    """
    key = nucleus_key(nucleus)
    expected = larmor_frequency_MHz(key, field_T)
    given = float(larmor_MHz)
    if not np.isfinite(given) or given <= 0:
        raise ConfigError(f"larmor_MHz must be a positive frequency in MHz, got {larmor_MHz!r}")
    dev = given / expected - 1.0
    ok = bool(abs(dev) <= rtol)
    msg = (f"{key} at {field_T:g} T: expected {expected:.2f} MHz, given {given:g} MHz ({dev:+.1%})"
           + ("" if ok else f"; outside ±{rtol:.0%}: check the nucleus, the field or the frequency "
                            "(a typo, or the 1H frequency of the magnet quoted instead)"))
    return LarmorCheck(key, float(field_T), given, expected, dev, float(rtol), ok, msg)
