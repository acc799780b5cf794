"""NMR line shapes on the band engine: shifts in ppm, widths in Hz, relative integrals, phase fractions.

A MAS NMR spectrum is a sum of lines like a Raman spectrum is a sum of bands,
so :func:`fit_lines` is :func:`~structkit.raman.peaks.fit_spectrum` with the
axis in ppm (a Hz axis is converted with the Larmor frequency), no baseline
by default, and widths reported in Hz as well (``FWHM_Hz = FWHM_ppm × ν0/MHz``).
The Gaussian/Lorentzian character is the fitted pseudo-Voigt (or Voigt) eta.

Relative integrals turn into mole ratios with the number of Na (or Li ...) per
formula unit of each phase, seed 003's eqn (2),

    n_A / n_B = (A_A / N_A) / (A_B / N_B),

and the O content ``x`` of NaTaOxCl(6-2x) formed by Reaction 1,
``x Na2O + NaTaCl6 -> NaTaOxCl(6-2x) + 2x NaCl``, is half the NaCl:NTOC mole
ratio (eqn (1)): 8:1 NTOC:NaCl gives 2x = 0.125, x = 0.0625.

Examples
--------
>>> oxygen_content(area_nacl=1.0, area_oxychloride=8.0)
(0.0625, nan)
>>> round(mole_ratio(8.0, 1.0, na_a=1, na_b=1)[0], 6)
8.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..core.errors import ConfigError, DataError, FitError
from ..core.larmor import check_larmor
from ..core.measurement import Measurement
from ._common import as_spectrum
from .bands import BandTable, load_bands
from .peaks import BandFitResult, fit_spectrum

__all__ = ["fit_lines", "ppm_to_hz", "hz_to_ppm", "mole_ratio", "oxygen_content", "oxygen_content_from_fit",
           "phase_fractions", "line_character"]


def ppm_to_hz(ppm, larmor_MHz: float):
    """Offset or width in Hz of a shift or width in ppm (``ppm × ν0/MHz``).

    Examples
    --------
    >>> round(ppm_to_hz(2.0, 132.294), 3)
    264.588
    """
    return np.asarray(ppm, dtype=float) * float(larmor_MHz) if np.ndim(ppm) else float(ppm) * float(larmor_MHz)


def hz_to_ppm(hz, larmor_MHz: float):
    """Shift or width in ppm of an offset or width in Hz."""
    return np.asarray(hz, dtype=float) / float(larmor_MHz) if np.ndim(hz) else float(hz) / float(larmor_MHz)


def _larmor(m: Measurement, larmor_MHz, nucleus, field_T) -> float | None:
    nu = larmor_MHz if larmor_MHz is not None else m.meta.get("larmor_MHz")
    if nu is None:
        return None
    nu = float(nu)
    if not np.isfinite(nu) or nu <= 0:
        raise ConfigError(f"Larmor frequency must be positive MHz, got {nu!r}", path=m.source or None)
    nucleus = nucleus or m.meta.get("nucleus")
    if field_T is not None and nucleus:
        chk = check_larmor(nucleus, field_T, nu)
        if not chk.ok:
            raise ConfigError(chk.message, path=m.source or None)
    return nu


def fit_lines(spectrum, *, larmor_MHz: float | None = None, nucleus: str | None = None, field_T: float | None = None,
              lines: str | BandTable | None = None, select: Sequence[str] | None = None,
              peaks: Sequence | None = None, shape: str = "pvoigt", window: Sequence[float] | None = None,
              baseline=None, sigma="auto", **fit_kws) -> BandFitResult:
    """Fit NMR lines.

    Parameters
    ----------
    spectrum : Measurement or (ppm, intensity)
        x in ppm, or in Hz (``x_unit='Hz'``, converted with the Larmor frequency).
    larmor_MHz : float, optional
        Larmor frequency of the observed nucleus (default ``meta['larmor_MHz']``, which the
        TopSpin reader sets); needed for widths in Hz.
    nucleus, field_T : optional
        With both, the Larmor frequency is checked against ``γ/2π · B0`` (1 %).
    lines : str or BandTable, optional
        Line table (e.g. ``"Na23_NTOC"``); or ``peaks=`` shifts; neither: detected.
    shape : str
        ``pvoigt`` (eta = Lorentzian fraction), ``voigt``, ``gaussian``, ``lorentzian`` ...
    window : (low, high) ppm, optional
    baseline : optional
        As in :func:`~structkit.raman.peaks.fit_spectrum` (none by default).
    **fit_kws
        Constraints and options of :func:`~structkit.raman.peaks.fit_spectrum`.

    Returns
    -------
    BandFitResult
        ``technique='nmr'``; ``to_frame()`` adds ``fwhm_hz`` columns when the Larmor frequency is known.
    """
    m = as_spectrum(spectrum, technique="nmr")
    nu = _larmor(m, larmor_MHz, nucleus, field_T)
    unit = (m.x_unit or "").strip()
    if unit.lower() == "hz":
        if nu is None:
            raise ConfigError("the spectrum's axis is in Hz: give larmor_MHz to convert it to ppm",
                              path=m.source or None)
        m = m.replace(x=m.x / nu, x_name="chemical_shift", x_unit="ppm")
    elif unit.lower() not in ("ppm", ""):
        raise DataError(f"NMR lines need a ppm or Hz axis, not {unit!r}", path=m.source or None)
    else:
        m = m.replace(x_unit="ppm", x_name="chemical_shift")
    if nu is not None:
        m = m.replace(meta={**m.meta, "larmor_MHz": nu})
    table = load_bands(lines) if lines is not None else None
    if table is not None and table.technique != "nmr":
        raise ConfigError(f"line table {table.name!r} is a {table.technique} table, not an NMR one")
    return fit_spectrum(m, bands=table, select=select, peaks=peaks, window=window, baseline=baseline,
                        shape=shape, sigma=sigma, technique="nmr", **fit_kws)


def line_character(eta: float, *, margin: float = 0.15) -> str:
    """``"Gaussian"``, ``"Lorentzian"`` or ``"mixed"`` from the Lorentzian fraction eta.

    Examples
    --------
    >>> line_character(0.1), line_character(0.9), line_character(0.5)
    ('Gaussian', 'Lorentzian', 'mixed')
    """
    if not np.isfinite(eta):
        return "unknown"
    if eta < 0.5 - margin:
        return "Gaussian"
    if eta > 0.5 + margin:
        return "Lorentzian"
    return "mixed"


def mole_ratio(area_a: float, area_b: float, *, na_a: float = 1.0, na_b: float = 1.0,
               area_a_stderr: float = float("nan"), area_b_stderr: float = float("nan")) -> tuple[float, float]:
    """Moles of phase A per mole of phase B from line areas (seed 003 eqn (2)), with its standard error.

    ``na_a``, ``na_b``: observed nuclei (Na) per formula unit. The error assumes
    independent areas; :func:`oxygen_content_from_fit` uses the fit covariance instead.
    """
    for v, n in ((area_a, "area_a"), (area_b, "area_b"), (na_a, "na_a"), (na_b, "na_b")):
        if not np.isfinite(v) or v <= 0:
            raise DataError(f"mole_ratio: {n} must be positive, got {v!r}")
    r = (area_a / na_a) / (area_b / na_b)
    err = r * float(np.hypot(area_a_stderr / area_a, area_b_stderr / area_b))
    return float(r), err


def oxygen_content(*, area_nacl: float, area_oxychloride: float, na_nacl: float = 1.0,
                   na_oxychloride: float = 1.0, nacl_initial: float = 0.0,
                   area_nacl_stderr: float = float("nan"),
                   area_oxychloride_stderr: float = float("nan")) -> tuple[float, float]:
    """x in NaTaOxCl(6-2x) from the NaCl and oxychloride line areas (Reaction 1 and eqn (1) of seed 003).

    ``2x = n_NaCl / n_NTOC - nacl_initial``, where ``nacl_initial`` is the NaCl per
    NaTaCl6 present before the reaction (0: all NaCl comes from Reaction 1, as the seed assumes).
    """
    r, e = mole_ratio(area_nacl, area_oxychloride, na_a=na_nacl, na_b=na_oxychloride,
                      area_a_stderr=area_nacl_stderr, area_b_stderr=area_oxychloride_stderr)
    return 0.5 * (r - float(nacl_initial)), 0.5 * e


def _table_na(result: BandFitResult, name: str, given: Mapping[str, float] | None) -> float:
    if given and name in given:
        return float(given[name])
    if result.table is not None:
        try:
            band = result.table[name]
        except KeyError:
            band = None
        if band is not None and "na_per_formula" in band.extra:
            return float(band.extra["na_per_formula"])
    raise ConfigError(f"how many Na per formula unit does line {name!r} count? give na_per_formula="
                      f"{{{name!r}: n}} or use a line table that says (na_per_formula)")


def oxygen_content_from_fit(result: BandFitResult, *, chloride: str = "NaCl", oxychloride: str = "NTOC",
                            na_per_formula: Mapping[str, float] | None = None,
                            nacl_initial: float = 0.0) -> tuple[float, float]:
    """x of NaTaOxCl(6-2x) from a line fit, with the standard error from the fit covariance."""
    names = {b.name for b in result.bands}
    for n in (chloride, oxychloride):
        if n not in names:
            raise FitError(f"no line {n!r} in this fit (lines: {', '.join(sorted(names))}); "
                           f"{'it may have been dropped as insignificant' if n in result.dropped else ''}")
    n_cl = _table_na(result, chloride, na_per_formula)
    n_ox = _table_na(result, oxychloride, na_per_formula)
    return result.fit.report.propagate(
        lambda v: 0.5 * ((v[f"{chloride}_area"] / n_cl) / (v[f"{oxychloride}_area"] / n_ox) - nacl_initial))


def phase_fractions(result: BandFitResult, *, na_per_formula: Mapping[str, float] | None = None,
                    phase_of: Mapping[str, str] | None = None) -> dict[str, tuple[float, float]]:
    """Mole fraction of each phase (lines of one phase summed), with standard errors from the covariance.

    Moles of a phase are its line areas over its Na per formula unit; line tables give
    ``phase`` and ``na_per_formula`` per line.
    """
    names = [b.name for b in result.bands]
    phase, per = {}, {}
    for n in names:
        per[n] = _table_na(result, n, na_per_formula)
        p = (phase_of or {}).get(n)
        if p is None and result.table is not None and n in {b.name for b in result.table.bands}:
            p = result.table[n].extra.get("phase")
        phase[n] = str(p or n)
    phases = list(dict.fromkeys(phase.values()))

    def frac(v, ph):
        moles = {n: v[f"{n}_area"] / per[n] for n in names}
        total = sum(moles.values())
        return sum(mo for n, mo in moles.items() if phase[n] == ph) / total

    return {ph: result.fit.report.propagate(lambda v, ph=ph: frac(v, ph)) for ph in phases}
