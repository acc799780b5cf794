"""X-ray and neutron radiations: anode Kα doublets and single wavelengths.

Anode wavelengths are the XRD-standard values of Hölzer et al., Phys. Rev. A 56,
4554 (1997) for Cr, Fe, Co and Cu (Cu Kα1 1.5405929 Å) and of International Tables
for Crystallography Vol. C, Table 4.2.2.1 for Mo and Ag, not the Elam-table values xraydb returns
(Cu Kα1 1.54088 Å), which differ by 2e-4 Å, about 0.01° at 40° 2θ.
Kα2/Kα1 intensity ratio 0.5.

Examples
--------
>>> r = radiation("CuKa")
>>> r.wavelengths_angstrom, r.ratios
((1.5405929, 1.5444274), (1.0, 0.5))
>>> radiation(0.71414).wavelengths_angstrom
(0.71414,)
>>> radiation("CuKa1").ratios
(1.0,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import ConfigError

__all__ = ["Radiation", "radiation", "ANODES"]

#: anode -> (Kα1, Kα2) in Å (Hölzer et al. 1997; ITC Vol. C for Mo and Ag)
ANODES = {
    "Cu": (1.5405929, 1.5444274),
    "Mo": (0.7093171, 0.713607),
    "Co": (1.7889961, 1.7928350),
    "Fe": (1.9360413, 1.9399730),
    "Cr": (2.2897260, 2.2936510),
    "Ag": (0.5594075, 0.563798),
}


@dataclass(frozen=True)
class Radiation:
    """Wavelength components and their relative intensities."""

    name: str
    wavelengths_angstrom: tuple[float, ...]
    ratios: tuple[float, ...]

    @property
    def wavelength_angstrom(self) -> float:
        """The main (Kα1 or single) wavelength."""
        return self.wavelengths_angstrom[0]


def radiation(spec, *, ka2_ratio: float = 0.5) -> Radiation:
    """A :class:`Radiation` from ``"CuKa"`` (doublet), ``"CuKa1"`` (single line) or a wavelength in Å."""
    if isinstance(spec, Radiation):
        return spec
    if isinstance(spec, (int, float, np.floating)) and not isinstance(spec, bool):
        lam = float(spec)
        if not (0.05 < lam < 10.0):
            raise ConfigError(f"wavelength {lam} Å is outside 0.05-10 Å; give it in Å")
        return Radiation(f"{lam:g} A", (lam,), (1.0,))
    text = str(spec).strip().replace(" ", "").replace("α", "a")
    try:
        return radiation(float(text), ka2_ratio=ka2_ratio)
    except ValueError:
        pass
    for anode, (k1, k2) in ANODES.items():
        if text.lower() == f"{anode}ka".lower():
            return Radiation(f"{anode}Ka", (k1, k2), (1.0, float(ka2_ratio)))
        if text.lower() == f"{anode}ka1".lower():
            return Radiation(f"{anode}Ka1", (k1,), (1.0,))
    known = ", ".join(f"{a}Ka, {a}Ka1" for a in ANODES)
    raise ConfigError(f"unknown radiation {spec!r}; use one of {known} or a wavelength in Å")
