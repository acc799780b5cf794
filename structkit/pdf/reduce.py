"""Total scattering to G(r): background subtraction, ⟨f⟩² or ⟨b⟩² normalization, the ad hoc polynomial correction.

The reduction follows PDFgetX3 (Juhás, Davis, Farrow & Billinge, J. Appl. Cryst. 46, 560 (2013)),
for X-rays or (``radiation="neutron"``) neutrons:

1. I_c(Q) = I_sample(Q) − bkg_scale · I_background(Q) (the background interpolated onto the
   sample's Q points; it must cover them);
2. the raw structure function f_m(Q) = Q·I_c(Q)/⟨f(Q)⟩², with ⟨f⟩ the composition-averaged X-ray
   form factor (xraydb, Waasmaier–Kirfel), or for neutrons the Q-independent ⟨b⟩², b the bound
   coherent scattering length (fm; the table in :mod:`._scattering` or ``scattering_lengths``);
3. the ad hoc correction: every slowly varying term (self scattering, Compton, multiple
   scattering, background misfit) is smooth in intensity, so I_c is fitted over [Qmin, Qmax_inst]
   by a·⟨f²⟩(Q) + P(Q), P a polynomial of degree n = ⌊rpoly·Qmax_inst/π⌋, and Q·(a⟨f²⟩ + P)/⟨f⟩² is
   subtracted from f_m; what it removes is what would show up in G(r) below r ≈ rpoly. (Fitting
   the polynomial to f_m itself, where these terms grow as Q/⟨f⟩², left a residual that shifted the
   first NaCl peak by 0.02 Å in the tests when Compton scattering was strong.) For neutrons the
   self term a·⟨b²⟩ is a constant, i.e. the polynomial's constant term, so P(Q) alone is fitted
   (it also takes the incoherent scattering and the slow fall of the inelasticity (Placzek)
   correction); F(Q) = Q·(I_c − P)/⟨b⟩². A composition whose ⟨b⟩ is ~0 (|⟨b⟩| < 0.5 fm, e.g. V, or
   ⟨b⟩² < 0.01·⟨b²⟩, a null-scattering mix such as Ti₂Zr) is refused: dividing by ⟨b⟩² ≈ 0 makes
   the normalization meaningless. Absorption (B, Li, Cd, Gd, ...) is not corrected for;
4. the scale: with a number density ``rho0`` (atoms/Å³) the corrected F(Q) is scaled so that G(r)
   follows −4πρ0r between rpoly and the first peak (least squares over ``scale_r_range``; the
   part of that line the unmeasured Q < Qmin would carry is taken off, assuming S(Q) ≈ 0 there),
   which makes coordination numbers absolute. G(r) below rpoly is not data: the polynomial owns
   it. Without ``rho0`` F(Q) keeps the ⟨f⟩² normalization of step 2 (the arbitrary scale
   PDFgetX3's output has, which a small-box fit absorbs in its scale factor);
5. G(r) = (2/π)∫_{Qmin}^{Qmax} F(Q) M(Q) sin(Qr) dQ (:func:`structkit.pdf.transform.fq_to_gr`),
   M = Lorch function optionally.

Uncertainties: counting statistics of sample and background (√counts when the measurement
carries no σ) are propagated linearly through steps 1-5 to σ_F(Q) and σ_G(r) (the polynomial
and the scale are treated as exact; neighbouring r points of G are correlated).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError
from ..core.measurement import Measurement
from ..core.settings import number_setting
from ..core.summary import SummaryRepr
from ._scattering import _mode, scattering_factor
from .transform import exp_sum, fq_to_gr, lorch, trapezoid_weights

__all__ = ["reduce_pdf", "PdfReduction", "mean_form_factors", "neutron_lengths", "parse_composition", "q_axis"]


#: Below these a neutron composition's ⟨b⟩² is too small to normalise by (see the module notes).
_MIN_MEAN_B_FM = 0.5
_MIN_COHERENT_RATIO = 0.01
_DEUTERIUM = re.compile(r"D(?![a-z])")       # the symbol D, not Dy, Db, Ds
_PLACEHOLDER = "Unh"                         # a name xraydb's formula parser knows and nothing else uses


def parse_composition(composition: str | Mapping[str, float], *, radiation: str = "xray") -> dict[str, float]:
    """``"NaTaCl6"`` or ``{"Na": 1, "Ta": 1, "Cl": 6}`` → atom fractions summing to 1.

    For X-rays deuterium (D) counts as H; for ``radiation="neutron"`` it stays D.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in parse_composition("NaTaCl6").items()}
    {'Na': 0.125, 'Ta': 0.125, 'Cl': 0.75}
    >>> parse_composition("D2O", radiation="neutron") == {"D": 2 / 3, "O": 1 / 3}
    True
    """
    import xraydb
    neutron = _radiation(radiation) == "neutron"
    if isinstance(composition, Mapping):
        counts = {str(k): float(v) for k, v in composition.items()}
    elif isinstance(composition, str) and composition.strip():
        formula = composition.replace(" ", "")
        keep_d = neutron and _DEUTERIUM.search(formula) is not None and _PLACEHOLDER not in formula
        if keep_d:                            # xraydb's parser turns D into H
            formula = _DEUTERIUM.sub(_PLACEHOLDER, formula)
        try:
            counts = {str(k): float(v) for k, v in xraydb.chemparse(formula).items()}
        except Exception as exc:  # noqa: BLE001 - xraydb raises bare errors for bad formulas
            msg = str(exc).replace(_PLACEHOLDER, "D") if keep_d else str(exc)
            raise ConfigError(f"composition {composition!r} is not a chemical formula ({msg}); e.g. 'NaTaCl6'") \
                from None
        if keep_d:
            counts["D"] = counts.pop(_PLACEHOLDER)
    else:
        raise ConfigError(f"composition must be a formula such as 'NaTaCl6' or a mapping, got {composition!r}")
    known = set(xraydb.f0_ions()) | ({"D"} if neutron else set())
    for el, n in counts.items():
        if el not in known:
            raise ConfigError(f"composition {composition!r}: unknown element {el!r}")
        if not (math.isfinite(n) and n >= 0):
            raise ConfigError(f"composition {composition!r}: amount of {el} must be >= 0, got {n}")
    total = sum(counts.values())
    if total <= 0:
        raise ConfigError(f"composition {composition!r} has no atoms")
    return {el: n / total for el, n in counts.items() if n > 0}


def mean_form_factors(q, composition) -> tuple[np.ndarray, np.ndarray]:
    """(⟨f⟩², ⟨f²⟩) at Q (Å⁻¹) for a composition, from xraydb's f0 (which takes sinθ/λ = Q/4π)."""
    import xraydb
    fractions = parse_composition(composition)
    s = np.asarray(q, dtype=float) / (4.0 * np.pi)
    fav = np.zeros_like(s)
    f2av = np.zeros_like(s)
    for el, c in fractions.items():
        f = np.asarray(xraydb.f0(el, s), dtype=float)
        fav += c * f
        f2av += c * f * f
    return fav * fav, f2av


def _radiation(radiation: str) -> str:
    try:
        return _mode(radiation)
    except ConfigError:
        raise ConfigError(f"radiation must be 'xray' or 'neutron', got {radiation!r}") from None


def neutron_lengths(fractions: Mapping[str, float], scattering_lengths: Mapping[str, float] | None = None,
                    *, composition=None) -> tuple[dict[str, float], float, float]:
    """(b per element, ⟨b⟩², ⟨b²⟩) in fm, fm² of atom fractions; ``scattering_lengths`` overrides the table.

    Raises ConfigError when ⟨b⟩ is ~0 (see the module notes), an element has no tabulated b, or
    ``scattering_lengths`` names an element not in the composition or a non-finite value.

    Examples
    --------
    >>> b, bav2, b2av = neutron_lengths(parse_composition("NaCl", radiation="neutron"))
    >>> b, round(bav2, 2), round(b2av, 2)
    ({'Na': 3.632, 'Cl': 9.57928}, 43.63, 52.48)
    """
    label = composition if composition is not None else dict(fractions)
    custom: dict[str, float] = {}
    for el, v in dict(scattering_lengths or {}).items():
        try:
            b = float(v)
        except (TypeError, ValueError):
            b = math.nan
        if not math.isfinite(b):
            raise ConfigError(f"scattering_lengths[{el!r}] must be a finite number of fm, got {v!r}")
        if str(el) not in fractions:
            raise ConfigError(f"scattering_lengths names {el!r}, which is not in the composition {label!r} "
                              f"(elements {', '.join(fractions)})")
        custom[str(el)] = b
    lengths = {}
    for el in fractions:
        if el in custom:
            lengths[el] = custom[el]
            continue
        try:
            lengths[el] = scattering_factor(el, "neutron", option="scattering_lengths")
        except DataError as exc:
            raise ConfigError(f"composition {label!r}: {exc.message}") from None
    bav = sum(c * lengths[el] for el, c in fractions.items())
    b2av = sum(c * lengths[el] ** 2 for el, c in fractions.items())
    why = ("the coherent (distinct) scattering is lost next to the self and incoherent scattering and "
           "F(Q) = Q(I - <b^2>)/<b>^2 divides by ~0, so the normalization is meaningless; measure with X-rays, "
           "change the isotopes (and give scattering_lengths=) or choose another composition")
    if abs(bav) < _MIN_MEAN_B_FM:
        raise ConfigError(f"composition {label!r}: the mean neutron scattering length <b> = {bav:.3g} fm is ~0 "
                          f"(|<b>| < {_MIN_MEAN_B_FM:g} fm): {why}")
    if bav * bav < _MIN_COHERENT_RATIO * b2av:
        raise ConfigError(f"composition {label!r}: <b>^2 = {bav * bav:.3g} fm^2 is ~0 next to <b^2> = {b2av:.3g} fm^2 "
                          f"(a null-scattering mix; ratio < {_MIN_COHERENT_RATIO:g}): {why}")
    return lengths, bav * bav, b2av


#: x units (lower case, spaces removed, Å → a) → what they are: ("q", factor to Å⁻¹), ("tth", factor to
#: radians), or another quantity reduce_pdf cannot take.
_X_UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("1/a", "a^-1", "a-1", "a^(-1)", "1/angstrom", "angstrom^-1", "angstrom-1", "inv_angstrom",
                     "invangstrom", "inverse_angstrom", "1/ang", "ang^-1", "inv_a", "a_inv", "angstrom_inv"),
                    ("q", 1.0)),
    **dict.fromkeys(("1/nm", "nm^-1", "nm-1", "nm^(-1)", "inv_nm", "nm_inv", "inverse_nm", "1/nanometer",
                     "nanometer^-1"), ("q", 0.1)),
    **dict.fromkeys(("1/m", "m^-1", "m-1", "inv_m"), ("q", 1e-10)),
    **dict.fromkeys(("deg", "degree", "degrees", "°", "°2th", "°2th.", "deg2th", "degrees2th"),
                    ("tth", math.pi / 180.0)),
    **dict.fromkeys(("rad", "radian", "radians"), ("tth", 1.0)),
    **dict.fromkeys(("a", "angstrom", "ang", "nm", "pm", "m", "mm", "cm", "um", "µm", "μm", "micron"), ("length", 0)),
    **dict.fromkeys(("s", "sec", "ms", "us", "µs", "μs", "usec", "microsecond", "microseconds", "ns"), ("time", 0)),
    **dict.fromkeys(("ev", "kev", "mev"), ("energy", 0)),
    **dict.fromkeys(("a^-2", "nm^-2", "1/a^2", "1/nm^2"), ("dstar2", 0)),
}
#: pyFAI's unit names, <quantity>_<unit> (2th_deg, q_nm^-1, r_mm, chi_deg, d*2_A^-2 ...), lower case.
_PYFAI_UNIT = re.compile(r"^(2th|q|qx|qy|qip|qoop|r|d|d\*2|chi)_"
                         r"(deg|rad|nm\^-1|a\^-1|m\^-1|nm\^-2|a\^-2|mm|m|nm|a)$")
_PYFAI_KIND = {"2th": "tth", "q": "q", "r": "radius", "d": "d", "d*2": "dstar2", "chi": "chi"}
_Q_NAME = re.compile(r"^(q|\|q\||q[ _-]?(abs|mag|magnitude|modulus)|momentum[ _-]?transfer|scattering[ _-]?vector)$")
_D_NAME = re.compile(r"^(d|d[ _-]?spacing|d[ _-]?space|dspacing)$")
_OTHER_ANGLE = re.compile(r"^(chi|azimuth|azimuthal[ _-]?angle|omega|phi|psi|eta|kappa|tilt)$")
_WHAT = {"d": "d-spacing", "time": "time-of-flight", "tof": "time-of-flight", "radius": "a radius on the detector",
         "chi": "the azimuthal angle chi", "angle": "an angle that is not 2-theta", "energy": "an energy",
         "dstar2": "1/d^2 (pyFAI d*2)", "length": "a length (d-spacing?)", "k": "the photoelectron wavenumber k",
         "q": "Q", "tth": "2-theta"}
_CONVERT = {"d": "convert it to Q first (Q = 2 pi/d, then sort)",
            "length": "if it is d-spacing, convert it to Q first (Q = 2 pi/d, then sort)",
            "time": "convert it to Q first (with the instrument's DIFC, e.g. in GSAS-II or Mantid)",
            "tof": "convert it to Q first (with the instrument's DIFC, e.g. in GSAS-II or Mantid)",
            "radius": "integrate to 2-theta or Q instead (pyFAI unit '2th_deg' or 'q_A^-1')",
            "dstar2": "convert it to Q first (Q = 2 pi sqrt(d*2))"}


def _unit_key(unit: str) -> str:
    u = unit.strip().lower().replace(" ", "")
    for a, b in (("$", ""), ("{", ""), ("}", ""), ("\\aa", "a"), ("\\", ""), ("ångström", "angstrom"),
                 ("angström", "angstrom"), ("å", "a"), ("⁻¹", "^-1"), ("⁻²", "^-2"), ("−", "-"), ("**", "^"),
                 ("angstroms", "angstrom"), ("°2θ", "°2th"), ("2theta", "2th")):
        u = u.replace(a, b)
    return u


def _name_kind(name: str) -> str:
    n = name.strip().lower()
    if n in ("", "x"):
        return "generic"
    if n == "polar_angle":            # NXmonopd's axis, whatever pyFAI integrated to: the unit decides
        return "polar_angle"
    if "theta" in n or "tth" in n or "θ" in n or n in ("2th", "angle", "2-th"):
        return "tth"
    if _Q_NAME.match(n):
        return "q"
    if _D_NAME.match(n):
        return "d"
    if "tof" in n or "time" in n or "flight" in n:
        return "tof"
    if _OTHER_ANGLE.match(n):
        return "chi" if n.startswith(("chi", "azimuth")) else "angle"
    if n in ("r", "radius"):
        return "radius"
    if n in ("energy", "e"):
        return "energy"
    if n == "k":
        return "k"
    return "other"


def _x_to_q(m: Measurement, wavelength: float | None, radiation: str) -> tuple[np.ndarray, str]:
    """(Q in Å⁻¹, how x was taken) of a pattern; see :func:`q_axis`."""
    raw_name, raw_unit = (m.x_name or "").strip(), (m.x_unit or "").strip()
    unit = _unit_key(raw_unit)
    pyfai = _PYFAI_UNIT.match(unit) or (None if unit else _PYFAI_UNIT.match(_unit_key(raw_name)))
    shown_unit = raw_unit
    if pyfai:                                           # 2th_deg, q_nm^-1 ... as the unit (NXmonopd) or name
        name_kind, unit = _PYFAI_KIND.get(pyfai.group(1), "other"), pyfai.group(2)
        shown_unit = raw_unit or raw_name.split("_", 1)[1]
    else:
        name_kind = _name_kind(raw_name)
    unit_kind, factor = _X_UNITS.get(unit, ("unknown", 0.0)) if unit else ("none", 0.0)
    found = f"x is {raw_name or 'unnamed'!r}" + (f" in {raw_unit!r}" if raw_unit else " with no unit")

    def refuse(why: str) -> DataError:
        return DataError(f"{found}: {why}; reduce_pdf needs x as Q (x_name 'Q', x_unit '1/angstrom' or '1/nm') or "
                         "2-theta (x_name 'two_theta', x_unit 'deg' or 'rad', with the wavelength). If the values "
                         "are one of those, say so: m.replace(x_name='Q', x_unit='1/angstrom'), or "
                         "read(path, x_name=..., x_unit=...) for a text file", path=m.source or None)

    # the kind of axis: a unit that says it wins unless the name says something else
    if unit_kind == "tth":
        if name_kind not in ("tth", "polar_angle", "generic", "other"):
            raise refuse(f"an angle unit, but {_WHAT.get(name_kind, name_kind)} by its name, not 2-theta")
        kind, note_unit = "tth", "rad" if factor == 1.0 else "deg"
        assumed = ""
    elif unit_kind == "q":
        if name_kind not in ("q", "polar_angle", "generic", "other"):
            raise refuse(f"a 1/length unit, but {_WHAT.get(name_kind, name_kind)} by its name, not Q")
        kind, assumed = "q", ""
    elif unit_kind == "none":
        if name_kind in ("tth", "polar_angle"):
            kind, factor, note_unit = "tth", math.pi / 180.0, "deg"
            assumed = f"2-theta in deg assumed (x named {raw_name!r}, no unit in the file)"
        elif name_kind == "q":
            kind, factor, assumed = "q", 1.0, f"Q in 1/angstrom assumed (x named {raw_name!r}, no unit in the file)"
        elif name_kind == "generic":                    # a headerless 2-column file
            kind, factor, assumed = "q", 1.0, "Q in 1/angstrom assumed (no name or unit for x in the file)"
        elif name_kind in ("d", "tof", "radius"):
            raise refuse(f"{_WHAT[name_kind]}: {_CONVERT[name_kind]}")
        else:
            raise refuse(f"{_WHAT.get(name_kind, 'neither 2-theta nor Q')} by its name, and no unit says otherwise")
    elif unit_kind in ("length", "time", "dstar2") or name_kind in ("d", "tof", "radius"):
        what = ("radius" if name_kind == "radius" else "d" if name_kind == "d" else
                "time" if name_kind == "tof" else unit_kind)
        raise refuse(f"{_WHAT[what]}: {_CONVERT.get(what, 'convert it to Q first')}")
    else:
        raise refuse(f"the unit {raw_unit!r} is neither an angle nor 1/length"
                     + (f" ({_WHAT[unit_kind]})" if unit_kind in _WHAT else ""))

    x = np.asarray(m.x, dtype=float)
    if kind == "q":
        note = assumed or (f"Q in {shown_unit!r}" + ("" if factor == 1.0 else f" (x {factor:g} to 1/angstrom)"))
        return x * factor if factor != 1.0 else x, note
    lam = wavelength if wavelength is not None else m.meta.get("wavelength_angstrom", m.meta.get("wavelength"))
    if lam is None:
        if _radiation(radiation) == "neutron":
            raise ConfigError(f"{m.source or 'pattern'}: x is 2-theta; for neutrons give the constant "
                              "wavelength (Å) of the instrument, or give x as Q (time-of-flight data)")
        raise ConfigError(f"{m.source or 'pattern'}: x is 2-theta; give the wavelength (Å) to convert to Q")
    lam = float(lam)
    if not (math.isfinite(lam) and lam > 0):
        raise ConfigError(f"wavelength must be a positive number of Å, got {lam!r}")
    tth = x * factor
    if x.size and (tth.min() < 0 or tth.max() > math.pi + 1e-9):
        raise DataError(f"{found}: 2-theta runs {x.min():g} to {x.max():g} {note_unit}, outside 0-180 degrees; "
                        "check the unit", path=m.source or None)
    note = assumed or f"2-theta in {note_unit}"
    return 4.0 * np.pi * np.sin(tth / 2.0) / lam, f"{note}, wavelength {lam:g} A"


def q_axis(m: Measurement, wavelength: float | None, *, radiation: str = "xray") -> np.ndarray:
    """Q (Å⁻¹) of a measurement whose x is Q or 2θ, from its ``x_name`` and ``x_unit``.

    Q: ``1/angstrom``, ``1/A``, ``A^-1``, ``Å⁻¹``, ``inv_angstrom`` ... (taken as is), ``1/nm``, ``nm^-1``,
    ``nm-1``, ``inv_nm`` (÷ 10), ``1/m``. 2θ: ``deg`` or ``rad`` (converted), with ``wavelength`` in Å
    (default ``meta['wavelength_angstrom']``). pyFAI's unit names (``2th_deg``, ``2th_rad``, ``q_nm^-1``,
    ``q_A^-1``), as the unit (its NXmonopd HDF5) or the name, say both. An angle unit means 2θ and a
    1/length unit Q unless the name says another quantity (χ, d, ...). Without a unit a 2θ name
    (``two_theta``, ``2theta``, ``tth``) is taken in degrees, a Q name (``Q``, ``q``) in Å⁻¹, and an
    axis with neither name nor unit (a headerless 2-column file) as Q in Å⁻¹; reduce_pdf records such
    an assumption in ``settings['x_axis']``.

    For neutrons a 2θ pattern must come from a constant-wavelength instrument; time-of-flight data
    must be converted to Q first.

    Raises
    ------
    DataError
        x is something else (d-spacing, time of flight, χ, a detector radius, an energy), has a unit
        that is neither an angle nor 1/length, or 2θ outside 0-180°; the message names the file, the
        x name and unit found and how to say what x is.
    ConfigError
        2θ without a wavelength, or a wavelength that is not a positive number.

    Examples
    --------
    >>> m = Measurement(np.array([10.0, 20.0]), np.ones(2), x_name="q", x_unit="nm^-1")
    >>> q_axis(m, None).tolist()
    [1.0, 2.0]
    >>> m = Measurement(np.array([60.0]), np.ones(1), x_name="polar_angle", x_unit="2th_deg")
    >>> round(float(q_axis(m, 1.0)[0]), 6) == round(2 * np.pi, 6)
    True
    """
    return _x_to_q(m, wavelength, radiation)[0]


@dataclass(frozen=True, eq=False, repr=False)
class PdfReduction(SummaryRepr):
    """The steps of one reduction: I_c(Q), S(Q), F(Q) and G(r), with uncertainties and settings.

    Attributes
    ----------
    q : ndarray
        Q points used (Å⁻¹), within [qmin, qmax_inst].
    intensity : ndarray
        Background-subtracted intensity I_c(Q).
    fq, fq_stderr : ndarray
        F(Q) = Q[S(Q) − 1] after the polynomial correction and scaling (Å⁻¹).
    polynomial : ndarray
        The subtracted polynomial on ``q`` (same scale as f_m).
    r, gr, gr_stderr : ndarray
        G(r) (Å⁻², PDFfit convention) on the output r grid.
    scale : float
        Factor applied after the polynomial (1 without ``rho0``).
    settings : mapping
        Every parameter of the reduction (radiation, composition, scattering_lengths (neutrons: the
        b used, fm), qmin, qmax, qmax_inst, rpoly, degree, bkg_scale, lorch, rho0, wavelength, r grid)
        and how x was taken (``x_axis``, ``background_x_axis``: e.g. "2-theta in deg, wavelength
        0.2095 A", or "Q in 1/angstrom assumed (no name or unit for x in the file)").
    """

    q: np.ndarray
    intensity: np.ndarray
    fq: np.ndarray
    fq_stderr: np.ndarray
    polynomial: np.ndarray
    r: np.ndarray
    gr: np.ndarray
    gr_stderr: np.ndarray
    scale: float
    settings: Mapping[str, Any] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def sq(self) -> np.ndarray:
        """S(Q) = 1 + F(Q)/Q (NaN at Q = 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.q > 0, 1.0 + self.fq / self.q, np.nan)

    def to_measurement(self) -> Measurement:
        """G(r) as a Measurement (``technique='pdf'``, ``meta['convention'] = 'G_pdffit'``)."""
        return Measurement(x=self.r, y=self.gr, sigma=self.gr_stderr, x_name="r", x_unit="angstrom",
                           y_name="G", y_unit="1/angstrom^2", sample=self.sample, conditions=dict(self.conditions),
                           source=self.source, technique="pdf",
                           meta={"quantity": "G", "convention": "G_pdffit", **dict(self.settings)})

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame({"r": self.r, "G": self.gr, "G_stderr": self.gr_stderr})

    def summary(self) -> str:
        s = self.settings
        return (f"PdfReduction {self.sample or self.source} ({s.get('radiation', 'xray')}): "
                f"Q {s['qmin']:g}-{s['qmax']:g} A^-1 (inst {s['qmax_inst']:g}), "
                f"rpoly {s['rpoly']:g} (degree {s['degree']}), bkg_scale {s['bkg_scale']:g}, "
                f"{'Lorch, ' if s['lorch'] else ''}{'rho0 ' + format(s['rho0'], 'g') if s['rho0'] else 'unscaled'}; "
                f"G(r) {self.r[0]:g}-{self.r[-1]:g} A"
                + "".join(f"; {what}: {note}" for what, note in (("x", s.get("x_axis")),
                                                                 ("background x", s.get("background_x_axis")))
                          if note and "assumed" in note))

    def plot(self, axes=None):
        """F(Q) and G(r) side by side; returns the Figure."""
        import matplotlib.pyplot as plt
        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
        else:
            fig = axes[0].figure
        axes[0].plot(self.q, self.fq, lw=0.8)
        axes[0].axhline(0, color="0.6", lw=0.5)
        axes[0].set(xlabel="Q (Å⁻¹)", ylabel="F(Q) (Å⁻¹)", title=self.sample or self.source)
        axes[1].plot(self.r, self.gr, lw=0.8)
        axes[1].axhline(0, color="0.6", lw=0.5)
        axes[1].set(xlabel="r (Å)", ylabel="G(r) (Å⁻²)")
        return fig


def _intensity(m: Measurement, what: str):
    y = np.asarray(m.y, dtype=float)
    if m.sigma is not None:
        sig = np.asarray(m.sigma, dtype=float)
    else:
        sig = np.sqrt(np.clip(y, 1.0, None))       # counting statistics
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(sig))):
        raise DataError(f"{what} has NaN or infinite intensities; remove those points", path=m.source or None)
    return y, sig


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    return number_setting({name: value}, name, "reduce_pdf", positive=not allow_zero, lo=0.0 if allow_zero else None)


def reduce_pdf(sample: Measurement, *, composition, background: Measurement | None = None, bkg_scale: float = 1.0,
               wavelength: float | None = None, qmin: float | None = None, qmax: float | None = None,
               qmax_inst: float | None = None, rpoly: float = 0.9, lorch_window: bool = False,
               rho0: float | None = None, scale_r_range: tuple[float, float] | None = None,
               rmin: float = 0.0, rmax: float = 30.0, rstep: float = 0.01, radiation: str = "xray",
               scattering_lengths: Mapping[str, float] | None = None) -> PdfReduction:
    """Reduce a 1-D total-scattering pattern (I vs 2θ or Q) to F(Q) and G(r) (see the module notes).

    Parameters
    ----------
    sample, background : Measurement
        Integrated patterns, x in 2θ (degrees or radians; give ``wavelength``) or Q (Å⁻¹ or nm⁻¹),
        told by ``x_name``/``x_unit`` (see :func:`q_axis`; anything else is refused). The background
        (empty container, air) must cover the sample's Q range.
    composition : str or mapping
        Chemical formula, e.g. ``"NaTaCl6"`` (for neutrons D is deuterium).
    bkg_scale : float
        Factor on the background (≥ 0).
    wavelength : float, optional
        Å; default the measurement's ``meta['wavelength_angstrom']``. Needed only when x is 2θ
        (for neutrons: constant-wavelength data; time-of-flight data must come as Q).
    qmin, qmax : float, optional
        Transform range (Å⁻¹); default the data's. Choose qmin above the small-angle region.
    qmax_inst : float, optional
        Upper end of the polynomial fit (Å⁻¹); default ``qmax``. Must not exceed the data.
    rpoly : float
        r limit (Å) of the ad hoc correction; the polynomial degree is ⌊rpoly·Qmax_inst/π⌋.
    lorch_window : bool
        Apply the Lorch modification function before the transform.
    rho0 : float, optional
        Number density (atoms/Å³): scale F so that G(r) = −4πρ0r below the first peak.
    scale_r_range : (float, float), optional
        Where that low-r condition is fitted (Å); default (rpoly + 0.3, rpoly + 1.3). It must lie
        between rpoly and the first peak (e.g. (1.2, 2.2) for NaCl, whose first peak is at 2.82 Å).
    rmin, rmax, rstep : float
        Output r grid (Å).
    radiation : {'xray', 'neutron'}
        X-rays: ⟨f(Q)⟩² normalization and a·⟨f²⟩(Q) + polynomial smooth term; neutrons: the
        constants ⟨b⟩² and ⟨b²⟩ (the self term merges into the polynomial).
    scattering_lengths : mapping, optional
        Neutrons only: coherent b (fm) per element replacing the table, e.g. ``{"Li": -2.22}``
        for ⁷Li or a value for an element the table lacks.

    Returns
    -------
    PdfReduction

    Raises
    ------
    ConfigError, DataError
        Qmax beyond the data, a composition with unknown elements (for neutrons: without a
        tabulated b, or with ⟨b⟩ ≈ 0), a background that does not cover the sample, a negative
        scale, non-increasing or NaN data, an x axis that is neither 2θ nor Q (d-spacing,
        time of flight, an unknown unit).
    """
    src = sample.source or "sample"
    radiation = _radiation(radiation)
    fractions = parse_composition(composition, radiation=radiation)
    lengths = None
    if radiation == "neutron":
        lengths, bav2, b2av = neutron_lengths(fractions, scattering_lengths, composition=composition)
    elif scattering_lengths is not None:
        raise ConfigError("scattering_lengths apply to radiation='neutron' only (X-rays use xraydb form factors)")
    q, x_axis = _x_to_q(sample, wavelength, radiation)
    if q.size < 10 or np.any(np.diff(q) <= 0):
        raise DataError("the pattern must have at least 10 points with increasing x", path=sample.source or None)
    y, sy = _intensity(sample, "the sample pattern")
    bkg_scale = _positive(bkg_scale, "bkg_scale", allow_zero=True)
    background_x_axis = None
    if background is not None:
        qb, background_x_axis = _x_to_q(background, wavelength, radiation)
        if qb.size < 2 or np.any(np.diff(qb) <= 0):
            raise DataError("the background must have increasing x", path=background.source or None)
        if qb[0] > q[0] + 1e-9 or qb[-1] < q[-1] - 1e-9:
            raise DataError(f"the background covers Q {qb[0]:.3g}-{qb[-1]:.3g} A^-1 but the sample "
                            f"{q[0]:.3g}-{q[-1]:.3g} A^-1; measure or crop so the background spans the sample",
                            path=background.source or None)
        yb, sb = _intensity(background, "the background pattern")
        y = y - bkg_scale * np.interp(q, qb, yb)
        sy = np.sqrt(sy ** 2 + (bkg_scale * np.interp(q, qb, sb)) ** 2)
    lo = float(q[0]) if qmin is None else _positive(qmin, "qmin", allow_zero=True)
    hi = float(q[-1]) if qmax is None else _positive(qmax, "qmax")
    inst = hi if qmax_inst is None else _positive(qmax_inst, "qmax_inst")
    for name, val in (("qmax", hi), ("qmax_inst", inst)):
        if val > q[-1] + 1e-9:
            raise DataError(f"{name} = {val:g} A^-1 is beyond the data (which end at Q = {q[-1]:.4g} A^-1)",
                            path=sample.source or None)
    if not lo < hi <= inst:
        raise ConfigError(f"need qmin < qmax <= qmax_inst, got {lo:g}, {hi:g}, {inst:g}")
    rpoly = _positive(rpoly, "rpoly")
    sel = (q >= lo) & (q <= inst)
    q, y, sy = q[sel], y[sel], sy[sel]
    if radiation == "neutron":
        fav2, f2av = np.full_like(q, bav2), np.full_like(q, b2av)
    else:
        fav2, f2av = mean_form_factors(q, fractions)
    fm = q * y / fav2
    sfm = q * sy / fav2
    degree = max(int(math.floor(rpoly * inst / math.pi)), 1)
    # the slowly varying terms are smooth in *intensity*: self scattering a<f^2>(Q) plus a polynomial
    # (Compton, multiple scattering, background misfit); in f_m they appear multiplied by Q/<f>^2.
    # For neutrons a<b^2> is a constant, the same column as the polynomial's x^0: left out.
    x = q / inst                                      # scaled for conditioning
    columns = [x ** k for k in range(degree + 1)]
    if radiation == "xray":
        columns.insert(0, f2av / f2av.max())
    smooth = np.stack(columns, axis=1)
    basis = smooth * (q / fav2)[:, None]
    coef, *_ = np.linalg.lstsq(basis, fm, rcond=None)
    poly = basis @ coef
    fq = fm - poly
    r = np.arange(float(rmin), float(rmax) + 0.5 * float(rstep), float(rstep))
    if r.size < 2:
        raise ConfigError(f"the r grid {rmin:g}-{rmax:g} step {rstep:g} has fewer than 2 points")
    use = q <= hi
    gr = fq_to_gr(q[use], fq[use], r, lorch_window=lorch_window)
    scale = 1.0
    if rho0 is not None:
        rho0 = _positive(rho0, "rho0")
        a, b = scale_r_range if scale_r_range is not None else (rpoly + 0.3, rpoly + 1.3)
        low = (r >= a) & (r <= b)
        if low.sum() < 3:
            raise ConfigError(f"scale_r_range {a:g}-{b:g} A holds fewer than 3 r points")
        rl = r[low]
        # below the first peak G = -4 pi rho0 r, less what the unmeasured Q < qmin would add (F = -Q there,
        # S(Q) ~ 0 below the first diffraction peak): + (2/pi) int_0^qmin Q sin(Qr) dQ
        target = -4.0 * np.pi * rho0 * rl + (2.0 / np.pi) * (np.sin(lo * rl) - lo * rl * np.cos(lo * rl)) / rl ** 2
        scale = float(np.dot(gr[low], target) / np.dot(gr[low], gr[low]))
        if not (math.isfinite(scale) and scale > 0):
            raise DataError(f"the low-r part of G(r) ({a:g}-{b:g} A) does not follow -4 pi rho0 r (scale {scale:g}); "
                            "check the background scale, composition and scale_r_range", path=sample.source or None)
    fq, sfq, gr = fq * scale, sfm * scale, gr * scale
    # sigma_G(r)^2 = sum_j (2/pi w_j M_j sin(q_j r))^2 sigma_F,j^2 ;  sin^2 = (1 - cos 2qr)/2
    qu, wu = q[use], trapezoid_weights(q[use])
    m = lorch(qu, hi) if lorch_window else 1.0
    a2 = (2.0 / np.pi * wu * m * sfq[use]) ** 2
    var = 0.5 * a2.sum() - 0.5 * exp_sum(qu, a2, 2.0 * r).real
    settings = {"radiation": radiation,
                "composition": composition if isinstance(composition, str) else dict(composition),
                "scattering_lengths": lengths,
                "qmin": lo, "qmax": hi, "qmax_inst": inst, "rpoly": rpoly, "degree": degree, "bkg_scale": bkg_scale,
                "background": background.source if background is not None else None, "lorch": bool(lorch_window),
                "rho0": rho0, "scale_r_range": list(scale_r_range) if scale_r_range is not None else None,
                "wavelength": wavelength, "rmin": float(rmin), "rmax": float(rmax), "rstep": float(rstep),
                "x_axis": x_axis, "background_x_axis": background_x_axis}
    return PdfReduction(q=q, intensity=y, fq=fq, fq_stderr=sfq, polynomial=poly * scale, r=r, gr=gr,
                        gr_stderr=np.sqrt(np.clip(var, 0.0, None)), scale=scale, settings=settings,
                        sample=sample.sample, conditions=dict(sample.conditions), source=src)

