"""Scattering powers of the elements shared by the PDF modules: Z for X-rays, coherent b for neutrons.

``_NEUTRON_B_FM`` holds the bound coherent neutron scattering lengths (fm, real part) of the
elements in natural abundance, as pdffit2 tabulates them (``libpdffit2/PeriodicTable.cc``, from
the Neutron Data Booklet: Rauch & Waschkowski, ILL 2003), so that :mod:`.smallbox` agrees with
pdffit2. Checked against Sears, Neutron News 3(3), 26 (1992) (the NIST table): Na, Li, Cl, Ta,
O, Mn, La, Ni, B, H, C, N, F, S, P, Nb, Zr, Y, In, Al, Si, Ge, Sn, Br and I agree to 0.6 % or
better (Sears: Na 3.63, Li −1.90, Cl 9.577, Ta 6.91, O 5.803, Mn −3.73, La 8.24, Ni 10.3,
B 5.30, H −3.739, C 6.646, N 9.36, F 5.654, S 2.847, P 5.13, Nb 7.054, Zr 7.16, Y 7.75,
In 4.065, Al 3.449, Si 4.1491, Ge 8.185, Sn 6.225, Br 6.795, I 5.28). The two compilations
differ by more for Sc (Sears 12.29), Ti (−3.438), V (−0.3824), Te (5.80), Xe (4.92), W (4.86),
Au (7.63), Ho (8.01) and the absorbing rare earths Sm (0.80), Eu (7.22), Gd (6.5), whose b is
complex and energy dependent: for those, pass the value that suits the instrument. Elements
without a tabulated natural-abundance value (Po, At, Rn, Fr, Ac and beyond Cm) are absent.

Strong absorbers (σ_abs at 1.798 Å, barn; b has a sizeable imaginary part) need an absorption
correction this package does not make: B 767 (¹⁰B 3835), Li 70.5 (⁶Li 940), Cd 2520, Sm 5922,
Eu 4530, Gd 49700, Dy 994, In 194, Hg 372, Ir 425, Rh 145, Hf 104; H scatters mostly
incoherently (80 b), which shows up as a large flat background.
"""

from __future__ import annotations

from ..core.errors import ConfigError, DataError

#: Coherent neutron scattering lengths (fm), Neutron Data Booklet (Dianoux & Lander, ILL 2003),
#: the values pdffit2 tabulates (``libpdffit2/PeriodicTable.cc``); D for deuterium.
#: See the module notes for how they compare with Sears (1992) and which elements absorb strongly.
_NEUTRON_B_FM = {
    "H": -3.7409, "D": 6.674, "He": 3.263, "Li": -1.903, "Be": 7.791, "B": 5.304, "C": 6.648413, "N": 9.36,
    "O": 5.8054, "F": 5.65412, "Ne": 4.5666, "Na": 3.632, "Mg": 5.3754, "Al": 3.4495, "Si": 4.15071,
    "P": 5.131, "S": 2.8471, "Cl": 9.57928, "Ar": 1.9096, "K": 3.672, "Ca": 4.702, "Sc": 12.11,
    "Ti": -3.37013, "V": -0.44314, "Cr": 3.6357, "Mn": -3.75018, "Fe": 9.452, "Co": 2.492, "Ni": 10.31,
    "Cu": 7.7184, "Zn": 5.6805, "Ga": 7.2882, "Ge": 8.1852, "As": 6.581, "Se": 7.9709, "Br": 6.792,
    "Kr": 7.812, "Rb": 7.082, "Sr": 7.022, "Y": 7.752, "Zr": 7.163, "Nb": 7.0543, "Mo": 6.7152, "Tc": 6.83,
    "Ru": 7.022, "Rh": 5.904, "Pd": 5.916, "Ag": 5.9227, "Cd": 4.835, "In": 4.0652, "Sn": 6.2252,
    "Sb": 5.573, "Te": 5.682, "I": 5.282, "Xe": 4.694, "Cs": 5.422, "Ba": 5.073, "La": 8.244, "Ce": 4.842,
    "Pr": 4.585, "Nd": 7.695, "Pm": 12.64, "Sm": 0.005, "Eu": 5.33, "Gd": 9.52, "Tb": 7.342, "Dy": 16.93,
    "Ho": 8.443, "Er": 7.792, "Tm": 7.073, "Yb": 12.413, "Lu": 7.213, "Hf": 7.7714, "Ta": 6.917,
    "W": 4.75518, "Re": 9.22, "Os": 10.72, "Ir": 10.63, "Pt": 9.601, "Au": 7.907, "Hg": 12.59545,
    "Tl": 8.7765, "Pb": 9.4012, "Bi": 8.5322, "Ra": 10.0, "Th": 10.31, "Pa": 9.13, "U": 8.417,
    "Np": 10.55, "Pu": 7.71, "Am": 8.32, "Cm": 9.53,
}


def scattering_factor(element: str, mode: str = "xray", *, option: str = "scattering_factors") -> float:
    """Scattering power pdffit2 weights an atom with: Z for X-rays, b (fm) for neutrons.

    ``option`` names the caller's argument for user-given values in the error for an element
    without a tabulated b.

    Examples
    --------
    >>> scattering_factor("Ni"), scattering_factor("Ni", "neutron"), scattering_factor("Li", "neutron")
    (28.0, 10.31, -1.903)
    """
    import gemmi
    mode = _mode(mode)
    el = gemmi.Element(str(element))
    if el.atomic_number <= 0 or el.name.lower() != str(element).lower():
        raise DataError(f"{element!r} is not an element symbol")
    if mode == "xray":
        return float(el.atomic_number)
    b = _NEUTRON_B_FM.get(el.name)
    if b is None:
        raise DataError(f"no neutron scattering length tabulated for {el.name}; pass {option}="
                        f"{{'{el.name}': b_fm}}")
    return b


def _mode(mode: str) -> str:
    m = str(mode).strip().lower()
    if m in ("xray", "x-ray", "x", "xrays", "x-rays"):
        return "xray"
    if m in ("neutron", "n", "neutrons"):
        return "neutron"
    raise ConfigError(f"mode must be 'xray' or 'neutron', got {mode!r}")
