"""Powder diffraction: GSAS raw data and ``.prm`` files, PANalytical ``.xrdml``, Fit2D/pyFAI ``.chi`` and pyFAI ``.xy``.

Every reader returns a :class:`~structkit.core.measurement.Measurement` with
``x`` = 2θ in degrees, ascending (``x_name="two_theta"``, ``x_unit="deg"``),
``y`` = intensity (``y_name="intensity"``, ``y_unit="counts"``) and
``technique="xrd"`` (neutron constant-wavelength data too; ``meta["radiation"]``
says which when the file does). ``sigma`` is the file's esd column, or
``sqrt(counts)`` (``sqrt(max(counts, 1))``, so a zero count has sigma 1) where
the file holds raw counts; azimuthally integrated data (``.chi``, pyFAI) have a
sigma only if the file has one. ``meta`` keeps what the file says:
``wavelength_angstrom`` (and ``wavelength2_angstrom``, ``ka2_ratio`` for a Kα
doublet), ``radiation``, ``anode``, ``instrument``, ``counting_time_s``; a
temperature becomes the ``temperature_K`` condition through the usual
precedence (file name < header < sidecar < hints).

Format references: GSAS-II's readers (``GSASII/imports/G2pwd_fxye.py``,
``G2pwd_Panalytical.py``) and instrument-parameter code (``SetPowderInstParms``,
``GSASIIpwd.getWidthsCW``); EXPGUI's profile-term table (``gsascmds.tcl``);
Larson & Von Dreele, *GSAS manual*, LAUR 86-748 (2004).

Examples
--------
>>> sniff_gsas(b"PbSO4 Cu Ka\\r\\nBANK 1 20 2 CONST 1000 2.5 0 0 STD\\r\\n")
True
>>> sniff_xrdml(b'<?xml version="1.0"?><xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">')
True
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError, StructkitError
from ..core.measurement import Measurement
from ..core.units import to_kelvin
from ._text import (
    _meta_from_table,
    head_text,
    load_text,
    ordered,
    parse_key_value,
    parse_number,
    parse_table,
    read_bytes,
    split_lines,
    wavelength_from_header,
)

__all__ = [
    "read_gsas", "sniff_gsas", "read_gsas_prm",
    "read_xrdml", "sniff_xrdml",
    "read_chi", "sniff_chi",
    "read_pyfai", "sniff_pyfai",
]

#: H_G² (FWHM²) per Gaussian variance σ²: FWHM = sqrt(8 ln 2) σ.
_FWHM2_PER_VARIANCE = 8.0 * math.log(2.0)


def _xrd_measurement(path, tt, y, sigma, lines, meta, *, sample: str = "",
                     conditions=None) -> Measurement:
    """Check finiteness and order (errors name the line) and build the 2θ Measurement."""
    tt, y = np.asarray(tt, dtype=float), np.asarray(y, dtype=float)
    lines = np.asarray(lines, dtype=int)
    cols = [("2θ", tt), ("intensity", y)] + ([("esd", np.asarray(sigma, float))] if sigma is not None
                                             else [])
    for name, values in cols:
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise DataError(f"non-finite {name} {values[i]}; fix or delete the point (structkit never "
                            "drops points silently)", path=path, line=int(lines[i]))
    if sigma is not None:
        bad = np.flatnonzero(np.asarray(sigma) < 0)
        if bad.size:
            raise DataError(f"negative esd {sigma[int(bad[0])]}; an uncertainty is >= 0", path=path,
                            line=int(lines[int(bad[0])]))
    order = ordered(tt, lines, path, "two_theta")
    return Measurement(tt[order], y[order], sigma=None if sigma is None else np.asarray(sigma)[order],
                       x_name="two_theta", x_unit="deg", y_name="intensity", y_unit="counts",
                       technique="xrd", sample=sample, conditions=conditions or {}, source=str(path),
                       meta=meta)


def _count_sigma(counts, n_averaged=1.0):
    """``sqrt(max(counts, 1) / n)``: Poisson, clipped so that a zero count has a finite weight."""
    return np.sqrt(np.maximum(counts, 1.0) / n_averaged)


# -- GSAS raw powder data --------------------------------------------------------------

_GSAS_TYPES = ("FXYE", "FXY", "ESD", "STD", "ALT")
_TOF_BINTYPES = ("SLOG", "RALF", "TIME_MAP")


@dataclass(frozen=True)
class _Bank:
    number: int
    nchan: int
    nrec: int
    bintyp: str
    bcoef: tuple
    dtype: str
    line: int     # 1-based line of the BANK record
    start: int    # index of the first data line
    stop: int     # index after the last data line


def _parse_bank(s: str, i: int, stop: int, path) -> _Bank:
    tokens = s.split()
    try:
        number, nchan, nrec = (int(t) for t in tokens[1:4])
        bintyp = tokens[4].upper()
    except (ValueError, IndexError):
        raise ReadError("the BANK line does not parse: it must read 'BANK ibank nchan nrec BINTYP "
                        f"bcoef1 bcoef2 ... TYPE' with integer ibank, nchan, nrec (got {s.strip()[:60]!r})",
                        path=path, line=i + 1) from None
    if nchan < 1 or nrec < 1:
        raise ReadError(f"the BANK line announces {nchan} points in {nrec} records; both must be "
                        ">= 1", path=path, line=i + 1)
    dtype = next((t.upper() for t in tokens[5:] if t.upper() in _GSAS_TYPES), "STD")
    bcoef = tuple(t for t in tokens[5:] if t.upper() not in _GSAS_TYPES)
    return _Bank(number, nchan, nrec, bintyp, bcoef, dtype, i + 1, i + 1, stop)


def _gsas_layout(lines, path):
    """Title, instrument-file name, header comments, and the banks of a GSAS raw file."""
    banks_at = [i for i in range(1, len(lines)) if lines[i].startswith("BANK")]
    if not banks_at:
        raise ReadError("no BANK line: not a GSAS raw powder file; pass format= to choose another "
                        "reader", path=path)
    inst = None
    if len(lines) > 1 and lines[1][:4].lower() == "inst" and ":" in lines[1]:
        inst = lines[1].split(":", 1)[1].strip().strip("[]").strip() or None
    header: dict = {}
    comments = []
    for s in lines[1:banks_at[0]]:
        text = s.strip()
        if text.startswith("#"):
            kv = parse_key_value(text.lstrip("#").strip())
            if kv:
                header.setdefault(kv[0], kv[1])
            elif text.lstrip("#").strip():
                comments.append(text.lstrip("#").strip())
        elif text.lower().startswith("monitor"):
            header.setdefault("monitor", text.split(":", 1)[-1].strip())
    stops = banks_at[1:] + [len(lines)]
    banks = [_parse_bank(lines[i], i, stop, path) for i, stop in zip(banks_at, stops)]
    return lines[0].strip(), inst, header, comments, banks


def sniff_gsas(head: bytes) -> bool:
    """True for a GSAS raw powder file: a title line, then (after an optional
    ``Instrument parameter file:`` line and ``#`` comments) a ``BANK`` line that parses.

    Examples
    --------
    >>> sniff_gsas(b"title\\nInstrument parameter file: inst.prm\\nBANK 1 10 1 CONST 500 5 0 0 FXYE\\n")
    True
    >>> sniff_gsas(b"BANK 1 10 1 CONST 500 5\\n1 2\\n")
    False
    """
    lines = split_lines(head_text(head))
    for k, s in enumerate(lines[1:40], start=1):
        text = s.strip()
        if not text or text.startswith("#") or text.lower().startswith("monitor") or (
                k == 1 and text[:4].lower() == "inst" and ":" in text):
            continue
        tokens = s.split()
        return (s.startswith("BANK") and len(tokens) >= 5 and all(t.isdigit() for t in tokens[1:4])
                and tokens[4].isalpha())
    return False


def _fixed_fields(s: str, width: int, parts, lineno: int, path, per_line: int):
    """Split a fixed-width GSAS record into groups of ``parts`` (offsets); stop at a blank group."""
    if len(s.rstrip()) > width * per_line:
        raise ReadError(f"record longer than {width * per_line} characters ({len(s.rstrip())}): not "
                        "a fixed-width GSAS record; check the BANK line's data type", path=path,
                        line=lineno)
    out = []
    for f in range(per_line):
        field = s[f * width:(f + 1) * width]
        if not field.strip():
            break
        out.append([field[a:b] for a, b in parts])
    return out


def _number(text: str, what: str, lineno: int, path, *, blank=None) -> float:
    if not text.strip():
        if blank is not None:
            return blank
        raise ReadError(f"{what} is blank; fill it or end the record", path=path, line=lineno)
    try:
        return float(text)
    except ValueError:
        raise ReadError(f"{what} {text.strip()!r} is not a number; fix the record", path=path,
                        line=lineno) from None


def _gsas_points(lines, bank: _Bank, path):
    """Values of one bank: (x or None, y, esd or None, n_averaged or None, line numbers, extra records)."""
    x, y, e, n, rows = [], [], [], [], []
    k = bank.start
    dtype = bank.dtype
    while k < bank.stop and len(y) < bank.nchan:
        s, lineno = lines[k], k + 1
        k += 1
        if not s.strip() or s.lstrip().startswith("#"):
            continue
        if dtype == "STD":
            for j, (nt, ct) in enumerate(_fixed_fields(s, 8, ((0, 2), (2, 8)), lineno, path, 10)):
                where = f"field {j + 1} (columns {8 * j + 1}-{8 * j + 8})"
                nn = _number(nt, f"{where}: the number of counters", lineno, path, blank=1.0)
                if not math.isfinite(nn) or nn < 0 or nn != int(nn):
                    raise ReadError(f"{where}: the number of counters {nt.strip()!r} must be a "
                                    "non-negative integer (I2)", path=path, line=lineno)
                y.append(_number(ct, f"{where}: the count", lineno, path))
                n.append(max(nn, 1.0))
                rows.append(lineno)
        elif dtype == "ESD":
            for j, (it, et) in enumerate(_fixed_fields(s, 16, ((0, 8), (8, 16)), lineno, path, 5)):
                y.append(_number(it, f"pair {j + 1}: the intensity", lineno, path))
                e.append(_number(et, f"pair {j + 1}: the esd", lineno, path))
                rows.append(lineno)
        elif dtype == "ALT":  # as GSAS-II reads it: 2θ in centidegrees x 32, y and esd x 1000
            for j, (xt, it, et) in enumerate(_fixed_fields(s, 20, ((0, 8), (8, 15), (15, 20)), lineno,
                                                           path, 4)):
                x.append(_number(xt, f"triplet {j + 1}: 2θ", lineno, path) / 3200.0)
                y.append(_number(it, f"triplet {j + 1}: the intensity", lineno, path) / 1000.0)
                e.append(_number(et, f"triplet {j + 1}: the esd", lineno, path) / 1000.0)
                rows.append(lineno)
        else:  # FXY, FXYE: free-format columns, 2θ in centidegrees
            tokens = s.split()
            need = 3 if dtype == "FXYE" else 2
            if len(tokens) < need:
                raise ReadError(f"{len(tokens)} values where a {dtype} row has {need} (2θ in "
                                f"centidegrees, intensity{', esd' if need == 3 else ''})", path=path,
                                line=lineno)
            vals = [_number(t, f"column {j + 1}", lineno, path) for j, t in enumerate(tokens[:need])]
            x.append(vals[0] / 100.0)
            y.append(vals[1])
            if need == 3:
                e.append(vals[2])
            rows.append(lineno)
    if len(y) < bank.nchan:
        last = rows[-1] if rows else bank.line
        raise ReadError(f"truncated bank {bank.number}: the BANK line (line {bank.line}) announces "
                        f"{bank.nchan} points in {bank.nrec} records but the data end after {len(y)}; "
                        "the file is incomplete, or fix nchan on the BANK line", path=path, line=last)
    del x[bank.nchan:], y[bank.nchan:], e[bank.nchan:], n[bank.nchan:], rows[bank.nchan:]
    extra = [i + 1 for i in range(k, bank.stop)
             if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    return (np.array(x) if x else None, np.array(y), np.array(e) if e else None,
            np.array(n) if n else None, np.array(rows), extra)


def read_gsas(path, *, bank: int | None = None, instprm=None) -> Measurement:
    """Read one bank of a GSAS raw powder file (``CONST`` binning; ``STD``, ``ESD``, ``ALT``, ``FXY``, ``FXYE``).

    Layout: a title line, an optional ``Instrument parameter file: NAME`` line,
    ``#`` comments, then per bank ``BANK ibank nchan nrec BINTYP bcoef1 bcoef2
    bcoef3 bcoef4 TYPE`` and its records. With ``BINTYP CONST`` the 2θ of point
    ``j`` is ``(bcoef1 + j bcoef2) / 100`` (centidegrees). Record types:

    * ``STD`` (the default): 10 fields of 8 characters, each ``(I2, I6)`` =
      (number of counters averaged, blank or 0 meaning 1; count). The count's
      variance is ``count / ncounters`` (as GSAS-II weights it), so sigma is
      ``sqrt(max(count, 1) / ncounters)``.
    * ``ESD``: 5 pairs of ``F8`` (intensity, esd).
    * ``ALT``: 4 triplets of ``(F8, F7, F5)`` = (2θ in centidegrees × 32,
      intensity × 1000, esd × 1000), scaled as GSAS-II's reader does.
    * ``FXY`` / ``FXYE``: free-format rows of 2θ (centidegrees), intensity (and esd).

    Exactly ``nchan`` points are read; records after them (padding, duplicates)
    are ignored and counted in ``meta["gsas_ignored_lines"]``. Time-of-flight
    banks (``SLOG``, ``RALF``, ``TIME_MAP``) are refused.

    Parameters
    ----------
    path : str or path-like
    bank : int, optional
        The ``ibank`` number to read; the first bank by default (``meta["banks"]``
        lists them).
    instprm : str or path-like, optional
        A GSAS ``.prm`` file whose wavelengths, radiation and instrument go to
        ``meta``. By default the file named on the ``Instrument parameter
        file:`` line is used if it sits next to the data (a problem with it is
        recorded in ``meta["instprm_note"]`` instead of raised).

    Returns
    -------
    Measurement

    Raises
    ------
    ReadError
        A BANK line that does not parse, fewer points than ``nchan``, a
        malformed record (with its line), a TOF bank.
    DataError
        Non-finite or non-monotonic 2θ (with its line).
    ConfigError
        ``bank=`` not in the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lab.gsa"
    >>> rows = "".join(f"{c:8d}" for c in (10, 12, 0, 9)) + "\\n"
    >>> _ = p.write_text("LLZO lab scan\\nBANK 1 4 1 CONST 1000 2.5 0 0 STD\\n" + rows)
    >>> m = read_gsas(p)
    >>> m.x.tolist(), m.y.tolist(), m.sigma[2], m.meta["gsas_data_type"]
    ([10.0, 10.025, 10.05, 10.075], [10.0, 12.0, 0.0, 9.0], np.float64(1.0), 'STD')
    """
    lines = split_lines(load_text(path))
    title, inst, header, comments, banks = _gsas_layout(lines, path)
    if bank is None:
        chosen = banks[0]
    else:
        chosen = next((b for b in banks if b.number == bank), None)
        if chosen is None:
            raise ConfigError(f"bank={bank!r} is not in the file; its banks are "
                              f"{[b.number for b in banks]}", path=path)
    if chosen.bintyp in _TOF_BINTYPES:
        raise ReadError(f"bank {chosen.number} is time-of-flight (BINTYP {chosen.bintyp}); structkit "
                        "reads constant-wavelength 2θ banks only", path=path, line=chosen.line)
    if chosen.bintyp not in ("CONST", "CONS"):
        raise ReadError(f"BINTYP {chosen.bintyp!r} is not understood; structkit reads CONST "
                        "(constant-step 2θ) banks", path=path, line=chosen.line)
    x, y, e, n, rows, extra = _gsas_points(lines, chosen, path)
    meta: dict = dict(header)
    meta.update({"format": "gsas", "title": title, "bank": chosen.number,
                 "banks": [b.number for b in banks], "bintyp": chosen.bintyp,
                 "gsas_data_type": chosen.dtype, "nchan": chosen.nchan})
    if comments:
        meta["comments"] = comments
    if x is None:
        try:
            start, step = float(chosen.bcoef[0]), float(chosen.bcoef[1])
        except (IndexError, ValueError):
            raise ReadError("the BANK line does not parse: CONST needs bcoef1 (start) and bcoef2 "
                            "(step) in centidegrees after BINTYP", path=path, line=chosen.line) from None
        if not (math.isfinite(start) and math.isfinite(step)) or step <= 0:
            raise ReadError(f"CONST step {chosen.bcoef[1]} centidegrees must be a positive number",
                            path=path, line=chosen.line)
        x = (start + step * np.arange(chosen.nchan)) / 100.0
        meta.update(start_deg=start / 100.0, step_deg=step / 100.0)
    if e is not None:
        sigma = e
    else:
        sigma = _count_sigma(y, n if n is not None else 1.0)
    if extra:
        meta["gsas_ignored_lines"] = extra
        meta["gsas_note"] = (f"{len(extra)} record(s) after the {chosen.nchan} points the BANK line "
                             f"announces were ignored (from line {extra[0]})")
    if inst:
        meta["instrument_parameter_file"] = inst
    prm_path = Path(instprm) if instprm is not None else (
        Path(path).parent / inst if inst else None)
    if prm_path is not None:
        try:
            prm = read_gsas_prm(prm_path, bank=chosen.number)
        except StructkitError as exc:
            if instprm is not None:
                raise
            meta["instprm_note"] = f"instrument parameter file not used: {exc}"
        else:
            meta["instrument_parameters"] = str(prm_path)
            for key in ("wavelength_angstrom", "wavelength2_angstrom", "ka2_ratio", "radiation",
                        "anode", "instrument", "polarization", "zero_deg"):
                if prm.get(key) is not None:
                    meta[key] = prm[key]
    return _xrd_measurement(path, x, y, sigma, rows, meta)


# -- GSAS instrument parameter files --------------------------------------------------------------

#: CW profile-term names by GSAS profile type (EXPGUI gsascmds.tcl, ``prof-C-<type>``).
_PROFILE_TERMS = {
    1: ("GU", "GV", "GW", "asym", "F1", "F2"),
    2: ("GU", "GV", "GW", "LX", "LY", "trns", "asym", "shft", "GP", "stec", "ptec", "sfec",
        "L11", "L22", "L33", "L12", "L13", "L23"),
    3: ("GU", "GV", "GW", "GP", "LX", "LY", "S/L", "H/L", "trns", "shft", "stec", "ptec", "sfec",
        "L11", "L22", "L33", "L12", "L13", "L23"),
    4: ("GU", "GV", "GW", "GP", "LX", "ptec", "trns", "shft", "sfec", "S/L", "H/L", "eta"),
    5: ("GU", "GV", "GW", "GP", "LX", "LY", "S/L", "H/L", "trns", "shft", "stec", "ptec", "sfec",
        "D1", "D2", "D3", "D4", "D5", "D6"),
}
#: GSAS ``IRAD`` codes (as GSAS-II maps them).
_IRAD = {1: "Cr", 2: "Fe", 3: "Cu", 4: "Mo", 5: "Ag", 6: "Ti", 7: "Co"}


def read_gsas_prm(path, bank: int = 1, *, profile: int = 1) -> dict:
    """Read a GSAS instrument parameter file (``.prm``, ``.inst``) for constant-wavelength data.

    The records are ``INS  nKEY  value`` lines with the key in columns 1-12
    (``INS  1 ICONS``, ``INS  1PRCF1``, ``INS  1PRCF11`` ...), as GSAS writes them.

    Parameters
    ----------
    path : str or path-like
    bank : int
        Which bank's records (``INS  n``).
    profile : int
        Which profile-function set (``PRCF1``, ``PRCF2`` ...).

    Returns
    -------
    dict
        ``bank``, ``histogram_type`` (``"PXCR"`` ...), ``radiation``
        (``"x-ray"``/``"neutron"``), ``anode`` (from ``IRAD``, or None),
        ``instrument`` (``INAME`` or the ``I HEAD`` line, or None);
        ``wavelength_angstrom``, ``wavelength2_angstrom`` and ``ka2_ratio``
        (I(Kα2)/I(Kα1); both None for a single wavelength); ``zero_deg`` (GSAS
        ZERO, centidegrees, / 100); ``polarization`` (POLA as written,
        dimensionless) and ``polarization_type`` (IPOLA);
        ``profile_type``, ``profile_cutoff`` (peak cut-off, fraction of the peak
        maximum), ``profile_sets`` (the set numbers present) and
        ``profile_coefficients`` (GSAS names -> raw values, GSAS units);
        the widths in structkit's TCH/Caglioti convention
        (:mod:`structkit.xrd.profiles`: ``H_G² = U tan²θ + V tanθ + W +
        P/cos²θ``, ``H_L = X tanθ + Y/cosθ``, FWHMs in degrees 2θ):
        ``U_deg2``, ``V_deg2``, ``W_deg2``, ``P_deg2`` in deg² and ``X_deg``,
        ``Y_deg`` in deg; the asymmetry in its own units, not converted:
        ``asym`` (profiles 1 and 2, GSAS's ``asym`` term, units as in the GSAS
        manual) and ``s_l``, ``h_l`` (profiles 3-5, Finger-Cox-Jephcoat S/L and
        H/L, dimensionless), None where the profile has no such term.

    Notes
    -----
    GSAS profiles 1-5 give the **Gaussian variance** σ² = GU tan²θ + GV tanθ +
    GW + GP/cos²θ in centidegrees² and the **Lorentzian FWHM** γ = LX/cosθ +
    LY tanθ in centidegrees (GSAS manual, CW profile functions; GSAS-II, which
    reads these files unchanged, documents ``getWidthsCW``: "sig: Gaussian peak
    variance in centideg^2, gam: Lorentzian peak width in centidegrees", with
    FWHM = 2.355 √sig / 100). structkit's U, V, W give the Gaussian **FWHM**²
    in deg², so ``U = 8 ln2 · GU / 10⁴`` (likewise V, W, P), not GU / 10⁴; the
    Lorentzian swaps names: structkit ``Y`` (1/cosθ, size) = LX / 100 and
    ``X`` (tanθ, strain) = LY / 100. Profile 4 has no LY (its strain is
    anisotropic, Stephens), so ``X_deg`` is 0 there; profile 1 is Gaussian only.

    Raises
    ------
    ReadError
        A missing ``ICONS`` record, a time-of-flight or energy-dispersive
        file, fewer profile coefficients than the profile declares (with lines).
    ConfigError
        ``bank=`` or ``profile=`` not in the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "inst_xry.prm"
    >>> _ = p.write_text(
    ...     "INS   BANK      1\\nINS   HTYPE   PXCR\\nINS  1 IRAD     3\\n"
    ...     "INS  1 ICONS  1.540500  1.544300       0.0         0       0.7    0       0.5\\n"
    ...     "INS  1PRCF1     3    8      0.01\\n"
    ...     "INS  1PRCF11   2.000000E+00  -2.000000E+00   5.000000E+00   0.100000E+00\\n"
    ...     "INS  1PRCF12   0.000000E+00   0.000000E+00   0.150000E-01   0.150000E-01\\n")
    >>> prm = read_gsas_prm(p)
    >>> prm["wavelength_angstrom"], prm["ka2_ratio"], prm["anode"], prm["profile_type"]
    (1.5405, 0.5, 'Cu', 3)
    >>> round(prm["W_deg2"], 6), prm["s_l"]
    (0.002773, 0.015)
    """
    lines = split_lines(load_text(path))
    rec: dict[str, tuple[str, int]] = {}
    for i, s in enumerate(lines):
        if s.startswith("INS"):
            rec.setdefault(s[:12].rstrip(), (s[12:], i + 1))
    if not rec:
        raise ReadError("no 'INS' records: not a GSAS instrument parameter file", path=path)
    prefix = f"INS{bank:3d}"
    if f"{prefix} ICONS" not in rec:
        have = sorted({int(k[3:6]) for k in rec if k[3:6].strip().isdigit()})
        if have and bank not in have:
            raise ConfigError(f"bank={bank} is not in the file; it has records for bank(s) {have}",
                              path=path)
        raise ReadError(f"no '{prefix} ICONS' record (the wavelengths); the instrument parameter "
                        "file is incomplete", path=path)
    htype = (rec.get("INS   HTYPE", ("", 0))[0].split() or [""])[0].upper()
    if len(htype) >= 3 and htype[2] in "TE":
        raise ReadError(f"HTYPE {htype}: a {'time-of-flight' if htype[2] == 'T' else 'energy-dispersive'}"
                        " parameter file; structkit reads constant-wavelength files",
                        path=path, line=rec["INS   HTYPE"][1])
    icons, icons_line = rec[f"{prefix} ICONS"]
    fields = [icons[0:10], icons[10:20], icons[20:30], icons[40:50], icons[50:55], icons[55:65]]
    try:
        lam1, lam2, zero, pola = (float(f) if f.strip() else 0.0 for f in fields[:4])
        ipola = int(float(fields[4])) if fields[4].strip() else 0
        kratio = float(fields[5]) if fields[5].strip() else 0.0
    except ValueError:
        tokens = icons.split()
        try:
            lam1, lam2, zero, _, pola, ipola, kratio = (*map(float, tokens[:5]), int(tokens[5]),
                                                         float(tokens[6]))
        except (ValueError, IndexError):
            raise ReadError("the ICONS record does not parse: it must hold lambda1, lambda2, zero, "
                            "(unused), POLA, IPOLA, KRATIO in fixed columns (F10, F10, F10, I10, F10, "
                            "I5, F10)", path=path, line=icons_line) from None
    if not (math.isfinite(lam1) and lam1 > 0):
        raise ReadError(f"ICONS wavelength {lam1} must be a positive number of Å", path=path,
                        line=icons_line)
    doublet = math.isfinite(lam2) and lam2 > 0
    out: dict = {
        "bank": bank, "histogram_type": htype or None,
        "radiation": {"X": "x-ray", "N": "neutron"}.get(htype[1:2]) if htype else None,
        "anode": None, "instrument": None,
        "wavelength_angstrom": lam1, "wavelength2_angstrom": lam2 if doublet else None,
        "ka2_ratio": kratio if doublet else None, "zero_deg": zero / 100.0,
        "polarization": pola, "polarization_type": ipola,
    }
    irad = rec.get(f"{prefix} IRAD")
    if irad is not None:
        try:
            out["anode"] = _IRAD.get(int(irad[0].split()[0]))
        except (ValueError, IndexError):
            raise ReadError(f"IRAD {irad[0].strip()!r} is not an integer code", path=path,
                            line=irad[1]) from None
    name = rec.get(f"{prefix}INAME") or rec.get(f"{prefix}I HEAD")
    if name is not None and name[0].strip():
        out["instrument"] = name[0].strip()
    out.update(_prm_profile(rec, prefix, profile, path))
    return out


def _prm_profile(rec: dict, prefix: str, profile: int, path) -> dict:
    sets = sorted(int(k[len(prefix) + 4:]) for k in rec
                  if re.fullmatch(re.escape(prefix) + r"PRCF\d", k))
    key = f"{prefix}PRCF{profile}"
    if key not in rec:
        if not sets:
            return {"profile_type": None, "profile_cutoff": None, "profile_sets": [],
                    "profile_coefficients": {}, "U_deg2": None, "V_deg2": None, "W_deg2": None,
                    "P_deg2": None, "X_deg": None, "Y_deg": None, "asym": None, "s_l": None,
                    "h_l": None}
        raise ConfigError(f"profile={profile} is not in the file; its profile sets are {sets}",
                          path=path)
    head, head_line = rec[key]
    try:
        ptype, nterms = (int(t) for t in head.split()[:2])
        cutoff = float(head.split()[2]) if len(head.split()) > 2 else None
    except ValueError:
        raise ReadError(f"the PRCF{profile} record must read 'type nterms cutoff' (got "
                        f"{head.strip()!r})", path=path, line=head_line) from None
    values: list[float] = []
    last = head_line
    j = 1
    while len(values) < nterms and f"{key}{j}" in rec:
        text, last = rec[f"{key}{j}"]
        try:
            values += [float(t) for t in text.split()]
        except ValueError:
            raise ReadError(f"PRCF{profile}{j}: {text.strip()!r} holds a value that is not a number",
                            path=path, line=last) from None
        j += 1
    if len(values) < nterms:
        raise ReadError(f"profile {profile} declares {nterms} coefficients but its PRCF{profile}n "
                        f"records hold {len(values)}", path=path, line=last)
    names = _PROFILE_TERMS.get(ptype, ())
    coef = {(names[i] if i < len(names) else f"c{i + 1}"): v for i, v in enumerate(values[:nterms])}
    g = _FWHM2_PER_VARIANCE / 1e4
    return {
        "profile_type": ptype, "profile_cutoff": cutoff, "profile_sets": sets,
        "profile_coefficients": coef,
        "U_deg2": g * coef.get("GU", 0.0), "V_deg2": g * coef.get("GV", 0.0),
        "W_deg2": g * coef.get("GW", 0.0), "P_deg2": g * coef.get("GP", 0.0),
        "X_deg": coef.get("LY", 0.0) / 100.0, "Y_deg": coef.get("LX", 0.0) / 100.0,
        "asym": coef.get("asym"), "s_l": coef.get("S/L"), "h_l": coef.get("H/L"),
    }


# -- PANalytical .xrdml ---------------------------------------------------------------------------

def sniff_xrdml(head: bytes) -> bool:
    """True for a PANalytical XRDML document (root ``xrdMeasurements`` or the xrdml.com namespace)."""
    text = head_text(head)
    return "<xrdMeasurements" in text or "xrdml.com/XRDMeasurement" in text or \
        re.search(r"<\w+:xrdMeasurements\b", text) is not None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name]


def _kid(el, name: str):
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text_of(el) -> str:
    return (el.text or "").strip() if el is not None else ""


def _xml_lines(data: bytes) -> list[int]:
    """1-based line of every element's start tag, in document order (``Element.iter()`` order)."""
    out: list[int] = []
    p = expat.ParserCreate()
    p.StartElementHandler = lambda name, attrs: out.append(p.CurrentLineNumber)
    p.Parse(data, True)
    return out


def _floats(el, what: str, path, line: int) -> np.ndarray:
    try:
        return np.array([float(t) for t in _text_of(el).split()], dtype=float)
    except ValueError as exc:
        raise ReadError(f"<{what}> holds a value that is not a number ({exc}); fix the file",
                        path=path, line=line) from None


def _kelvin(values, unit: str | None):
    """Temperatures in K, or None when the unit is missing or unknown (DataError below 0 K)."""
    u = (unit or "").strip().lower().replace("°", "").replace("deg", "").strip()
    key = {"k": "K", "kelvin": "K", "c": "C", "celsius": "C"}.get(u)
    return None if key is None else [to_kelvin(v, key) for v in values]


def read_xrdml(path, *, scan: int = 0) -> Measurement:
    """Read one 2θ scan of a PANalytical ``.xrdml`` file (XRDML 1.x and 2.x namespaces).

    2θ comes from ``<positions axis="2Theta">`` (``startPosition``/``endPosition``,
    equally spaced, or ``listPositions``); y from ``<counts>`` or
    ``<intensities>``. Both are counts per step (``unit="counts"``); values in
    counts per second (``unit="cps"``) are multiplied by ``commonCountingTime``
    (or ``countingTimes``). ``beamAttenuationFactors`` are applied to
    ``<counts>`` (intensities already include them), and sigma is
    ``sqrt(max(raw counts, 1)) × factor``. ``usedWavelength`` gives
    ``wavelength_angstrom`` and, unless the intended radiation is Kα1 alone,
    ``wavelength2_angstrom`` and ``ka2_ratio``; ``nonAmbientPoints`` of type
    Temperature give the ``temperature_K`` condition (their mean; min/max in
    ``meta``), if their unit is stated, else a note; ``<sample><id>`` the sample.

    Parameters
    ----------
    path : str or path-like
    scan : int
        0-based scan index across the file's ``xrdMeasurement`` elements;
        ``meta["n_scans"]`` says how many there are.

    Raises
    ------
    ReadError
        Not well-formed XML, no ``dataPoints``/2θ positions/counts, a scan that
        does not move 2θ, or positions and counts of different lengths (with the line).
    DataError
        Non-finite or non-monotonic 2θ.
    ConfigError
        ``scan=`` out of range.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "LLZO.xrdml"
    >>> _ = p.write_text('<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">'
    ...     '<sample><id>LLZO-3</id></sample><xrdMeasurement><usedWavelength intended="K-Alpha">'
    ...     '<kAlpha1 unit="Angstrom">1.5405980</kAlpha1><kAlpha2 unit="Angstrom">1.5444260</kAlpha2>'
    ...     '<ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1></usedWavelength><scan><dataPoints>'
    ...     '<positions axis="2Theta" unit="deg"><startPosition>10</startPosition>'
    ...     '<endPosition>10.04</endPosition></positions><commonCountingTime unit="seconds">'
    ...     '2.0</commonCountingTime><intensities unit="counts">100 0 121</intensities>'
    ...     '</dataPoints></scan></xrdMeasurement></xrdMeasurements>')
    >>> m = read_xrdml(p)
    >>> m.x.tolist(), m.sigma.tolist(), m.sample, m.meta["ka2_ratio"], m.meta["counting_time_s"]
    ([10.0, 10.02, 10.04], [10.0, 1.0, 11.0], 'LLZO-3', 0.5, 2.0)
    """
    data = read_bytes(Path(path))
    try:
        root = ET.fromstring(data)
        line_list = _xml_lines(data)
    except ET.ParseError as exc:
        raise ReadError(f"not well-formed XML ({exc}); the .xrdml file is damaged or incomplete",
                        path=path, line=exc.position[0] if exc.position else None) from None
    except (expat.ExpatError, ValueError, LookupError) as exc:
        raise ReadError(f"not well-formed XML ({exc}); the .xrdml file is damaged or incomplete",
                        path=path, line=getattr(exc, "lineno", None)) from None
    elements = list(root.iter())
    lines = {id(el): n for el, n in zip(elements, line_list)} if len(elements) == len(line_list) else {}

    def line(el):
        return lines.get(id(el))

    if _local(root.tag) != "xrdMeasurements":
        raise ReadError(f"root element <{_local(root.tag)}> is not <xrdMeasurements>: not an XRDML "
                        "file", path=path, line=line(root))
    scans = [(meas, sc) for meas in _kids(root, "xrdMeasurement") for sc in _kids(meas, "scan")]
    if not scans:
        raise ReadError("no <scan> in any <xrdMeasurement>; the file holds no measurement",
                        path=path, line=line(root))
    if isinstance(scan, bool) or not isinstance(scan, (int, np.integer)) or not 0 <= scan < len(scans):
        raise ConfigError(f"scan={scan!r}: the file has {len(scans)} scan(s); give 0 to "
                          f"{len(scans) - 1}", path=path)
    meas, sc = scans[int(scan)]
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    meta: dict = {"format": "xrdml", "xrdml_namespace": ns or None, "scan_index": int(scan),
                  "n_scans": len(scans)}
    if len(scans) > 1:
        meta["scan_note"] = (f"the file holds {len(scans)} scans; scan {int(scan)} was read (pass "
                             "scan= to choose another)")
    for key, attr in (("measurement_type", "measurementType"), ("sample_mode", "sampleMode")):
        if meas.get(attr):
            meta[key] = meas.get(attr)
    for key, attr in (("scan_axis", "scanAxis"), ("scan_mode", "mode"), ("scan_status", "status")):
        if sc.get(attr):
            meta[key] = sc.get(attr)
    _xrdml_instrument(meas, sc, meta)
    sample = ""
    smp = _kid(root, "sample")
    if smp is not None:
        sample = _text_of(_kid(smp, "id")) or _text_of(_kid(smp, "name"))
        if _text_of(_kid(smp, "name")):
            meta["sample_name"] = _text_of(_kid(smp, "name"))
    dp = _kid(sc, "dataPoints")
    if dp is None:
        raise ReadError(f"scan {int(scan)} has no <dataPoints>; the scan holds no data", path=path,
                        line=line(sc))
    pos = next((p for p in _kids(dp, "positions") if p.get("axis", "").lower() == "2theta"), None)
    if pos is None:
        raise ReadError("<dataPoints> has no <positions axis=\"2Theta\">; not a 2θ scan", path=path,
                        line=line(dp))
    if pos.get("unit") and pos.get("unit").lower() not in ("deg", "degree", "degrees", "°"):
        raise ReadError(f"2θ positions in unit {pos.get('unit')!r}; structkit reads degrees",
                        path=path, line=line(pos))
    ycol = _kid(dp, "counts")
    ykind = "counts"
    if ycol is None:
        ycol, ykind = _kid(dp, "intensities"), "intensities"
    if ycol is None:
        raise ReadError("<dataPoints> has neither <counts> nor <intensities>", path=path,
                        line=line(dp))
    y = _floats(ycol, ykind, path, line(ycol))
    if y.size == 0:
        raise ReadError(f"<{ykind}> is empty", path=path, line=line(ycol))
    lst, start, end = _kid(pos, "listPositions"), _kid(pos, "startPosition"), _kid(pos, "endPosition")
    if lst is not None:
        tt = _floats(lst, "listPositions", path, line(lst))
        if tt.size != y.size:
            raise ReadError(f"{tt.size} 2θ positions in <listPositions> (line {line(lst)}) but "
                            f"{y.size} values in <{ykind}>; the file is inconsistent", path=path,
                            line=line(ycol))
    elif start is not None and end is not None:
        a = _floats(start, "startPosition", path, line(start))
        b = _floats(end, "endPosition", path, line(end))
        if a.size != 1 or b.size != 1:
            raise ReadError("<startPosition>/<endPosition> must hold one number each", path=path,
                            line=line(start))
        tt = np.linspace(a[0], b[0], y.size)
    else:
        common = _kid(pos, "commonPosition")
        raise ReadError(f"2θ does not move in this scan (commonPosition {_text_of(common) or '?'}, "
                        f"scanAxis {sc.get('scanAxis', '?')}); structkit reads 2θ scans", path=path,
                        line=line(pos))
    rows = np.full(y.size, line(ycol) or 0, dtype=int)
    time_el = _kid(dp, "commonCountingTime")
    times = None
    if time_el is not None:
        t = _floats(time_el, "commonCountingTime", path, line(time_el))
        if t.size == 1:
            times, meta["counting_time_s"] = t[0], float(t[0])
    elif _kid(dp, "countingTimes") is not None:
        el = _kid(dp, "countingTimes")
        t = _floats(el, "countingTimes", path, line(el))
        if t.size != y.size:
            raise ReadError(f"{t.size} counting times but {y.size} values in <{ykind}>", path=path,
                            line=line(el))
        times = t
        meta["counting_time_s_min"], meta["counting_time_s_max"] = float(t.min()), float(t.max())
    unit = (ycol.get("unit") or "counts").strip().lower()
    if unit in ("cps", "counts/s", "counts per second", "counts/second"):
        if times is None:
            raise ReadError(f"<{ykind}> are in {unit} but there is no counting time to turn them "
                            "into counts", path=path, line=line(ycol))
        y = y * times
        meta["intensity_note"] = f"<{ykind}> in {unit} multiplied by the counting time"
    elif unit != "counts":
        raise ReadError(f"<{ykind}> in unit {ycol.get('unit')!r}; structkit reads counts or cps",
                        path=path, line=line(ycol))
    att_el = _kid(dp, "beamAttenuationFactors")
    factor = np.ones(y.size)
    if att_el is not None:
        f = _floats(att_el, "beamAttenuationFactors", path, line(att_el))
        if f.size != y.size or np.any(~np.isfinite(f)) or np.any(f <= 0):
            raise ReadError(f"<beamAttenuationFactors> must hold {y.size} positive numbers (it "
                            f"holds {f.size})", path=path, line=line(att_el))
        factor = f
        if ykind == "counts":
            y = y * factor
    sigma = _count_sigma(y / factor) * factor if np.all(np.isfinite(y)) else None
    conditions = _xrdml_temperature(sc, meta, path, line)
    return _xrd_measurement(path, tt, y, sigma, rows, meta, sample=sample, conditions=conditions)


def _xrdml_instrument(meas, sc, meta: dict) -> None:
    wl = _kid(meas, "usedWavelength")
    if wl is not None:
        def angstrom(name):
            el = _kid(wl, name)
            if el is None or not _text_of(el):
                return None
            try:
                v = float(_text_of(el))
            except ValueError:
                return None
            unit = (el.get("unit") or "Angstrom").lower()
            return v * 10.0 if unit == "nm" else v
        intended = wl.get("intended") or ""
        meta["radiation_intended"] = intended or None
        k1, k2 = angstrom("kAlpha1"), angstrom("kAlpha2")
        if k1 is not None:
            meta["wavelength_angstrom"] = k1
        ratio = _text_of(_kid(wl, "ratioKAlpha2KAlpha1"))
        if k2 is not None and intended.replace(" ", "").lower() != "k-alpha1":
            meta["wavelength2_angstrom"] = k2
            try:
                meta["ka2_ratio"] = float(ratio) if ratio else None
            except ValueError:
                meta["ka2_ratio"] = None
        if angstrom("kBeta") is not None:
            meta["kbeta_angstrom"] = angstrom("kBeta")
    ibp = _kid(meas, "incidentBeamPath")
    if ibp is not None:
        radius = _text_of(_kid(ibp, "radius"))
        if radius:
            meta["goniometer_radius_mm"] = parse_number(radius) if _is_float(radius) else radius
        tube = _kid(ibp, "xRayTube")
        if tube is not None:
            meta["radiation"] = "x-ray"
            if tube.get("name"):
                meta["tube"] = tube.get("name")
            if _text_of(_kid(tube, "anodeMaterial")):
                meta["anode"] = _text_of(_kid(tube, "anodeMaterial"))
            for key, name in (("tension_kV", "tension"), ("current_mA", "current")):
                text = _text_of(_kid(tube, name))
                if _is_float(text):
                    meta[key] = float(text)
    dbp = _kid(meas, "diffractedBeamPath")
    det = _kid(dbp, "detector") if dbp is not None else None
    if det is not None and det.get("name"):
        meta["detector"] = det.get("name")
    header = _kid(sc, "header")
    if header is not None:
        for key, name in (("start_time", "startTimeStamp"), ("end_time", "endTimeStamp")):
            if _text_of(_kid(header, name)):
                meta[key] = _text_of(_kid(header, name))
        src = _kid(header, "source")
        if src is not None:
            if _text_of(_kid(src, "instrumentControlSoftware")):
                meta["instrument"] = _text_of(_kid(src, "instrumentControlSoftware"))
            if _text_of(_kid(src, "instrumentID")):
                meta["instrument_id"] = _text_of(_kid(src, "instrumentID"))


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _xrdml_temperature(sc, meta: dict, path, line) -> dict:
    nap = next((el for el in sc.iter() if _local(el.tag) == "nonAmbientPoints"), None)
    if nap is None:
        return {}
    kind = nap.get("type") or ""
    meta["non_ambient_type"] = kind or None
    vals_el = next((el for el in nap.iter() if _local(el.tag) == "nonAmbientValues"), None)
    try:
        vals = [float(t) for t in _text_of(vals_el).split()]
    except ValueError:
        vals = []
    vals = [v for v in vals if math.isfinite(v)]
    if kind.lower() != "temperature" or not vals:
        return {}
    unit = (vals_el.get("unit") if vals_el is not None else None) or nap.get("unit")
    try:
        kelvin = _kelvin(vals, unit)
    except DataError as exc:
        raise DataError(f"nonAmbientValues: {exc.message}", path=path, line=line(vals_el)) from None
    if kelvin is None:
        mean = sum(vals) / len(vals)
        meta["temperature"] = f"{mean:g}"  # no unit: resolve_conditions records it, does not guess
        meta["temperature_note"] = ("nonAmbientValues states no temperature unit; pass "
                                    "temperature_K= or use a conditions sidecar")
        return {}
    meta["temperature_min_K"], meta["temperature_max_K"] = float(min(kelvin)), float(max(kelvin))
    return {"temperature_K": round(float(sum(kelvin) / len(kelvin)), 9)}


# -- Fit2D / pyFAI .chi and pyFAI .xy ----------------------------------------------------------------

_CHI_AXIS = re.compile(r"^\s*2-?theta\s+angle", re.IGNORECASE)


def sniff_chi(head: bytes) -> bool:
    """True for a Fit2D ``.chi`` with a 2θ axis: line 2 ``2-Theta Angle (Degrees)``, line 4 the point count.

    Examples
    --------
    >>> sniff_chi(b"a.tif: Azimuthal integration\\n2-Theta Angle (Degrees)\\nIntensity\\n   2\\n1 5\\n2 6\\n")
    True
    """
    lines = split_lines(head_text(head))
    return len(lines) >= 4 and bool(_CHI_AXIS.match(lines[1])) and lines[3].strip().isdigit()


def read_chi(path) -> Measurement:
    """Read a Fit2D / pyFAI ``.chi`` file: 4 header lines (title, ``2-Theta Angle (Degrees)``, intensity label, N), then 2θ, I [, σ].

    The number of rows must equal N. The intensities are integrated, not raw
    counts, so sigma is the third column if there is one and None otherwise.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ni.chi"
    >>> _ = p.write_text("ni.tif: Azimuthal integration\\n2-Theta Angle (Degrees)\\nIntensity\\n"
    ...                  "       3\\n 1.0 5.0\\n 1.1 6.0\\n 1.2 7.0\\n")
    >>> m = read_chi(p)
    >>> m.x.tolist(), m.meta["title"], m.sigma is None
    ([1.0, 1.1, 1.2], 'ni.tif: Azimuthal integration', True)
    """
    lines = split_lines(load_text(path))
    if len(lines) < 2 or not _CHI_AXIS.match(lines[1]):
        raise ReadError("not a 2θ .chi file: line 2 must read '2-Theta Angle (Degrees)'; pass "
                        "format='text' for other axes", path=path, line=2 if len(lines) >= 2 else 1)
    try:
        npts = int(lines[3].strip()) if len(lines) > 3 else None
    except ValueError:
        npts = None
    if npts is None:
        raise ReadError("line 4 must hold the number of points (4 header lines: title, 2θ label, "
                        "intensity label, N)", path=path, line=min(4, len(lines)))
    if not any(s.strip() for s in lines[4:]):
        raise ReadError(f"no data rows after the 4 header lines (line 4 announces {npts})",
                        path=path, line=4)
    table = parse_table(lines, path, start=4, comment_chars="#")
    if table.ncols not in (2, 3):
        raise ReadError(f"{table.ncols} columns; a .chi file has 2θ, intensity and optionally "
                        "sigma", path=path, line=int(table.lines[0]))
    if table.values.shape[0] != npts:
        raise ReadError(f"line 4 announces {npts} points but {table.values.shape[0]} rows were "
                        "read; the file is truncated or edited", path=path, line=4)
    v = table.values
    meta = {"format": "chi", "title": lines[0].strip(), "x_label": lines[1].strip(),
            "y_label": lines[2].strip()}
    return _xrd_measurement(path, v[:, 0], v[:, 1], v[:, 2] if table.ncols == 3 else None,
                            table.lines, meta)


_PYFAI_X = {"2th_deg": 1.0, "2th_rad": 180.0 / math.pi}


def sniff_pyfai(head: bytes) -> bool:
    """True for a pyFAI 1-D export with a 2θ axis (``== pyFAI calibration ==`` and a ``2th_deg`` column).

    Examples
    --------
    >>> sniff_pyfai(b"# == pyFAI calibration ==\\n#  2th_deg  I\\n1 2\\n")
    True
    """
    text = head_text(head)
    return "== pyFAI calibration ==" in text and re.search(r"^#.*\b2th_(deg|rad)\b", text, re.MULTILINE) is not None


def read_pyfai(path) -> Measurement:
    """Read a pyFAI ``.xy``/``.dat`` 1-D export whose x column is ``2th_deg`` (or ``2th_rad``).

    The ``#`` header's ``key: value`` lines go to ``meta``; ``Wavelength:
    7.1414e-11 m`` becomes ``wavelength_angstrom`` 0.71414. Sigma is the third
    column if present (pyFAI's error model), else None.

    Raises
    ------
    ReadError
        An x axis other than 2θ (q, r, χ): read it with ``format="text"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ni.xy"
    >>> _ = p.write_text("# == pyFAI calibration ==\\n# Wavelength: 7.1414e-11 m\\n"
    ...                  "#       2th_deg             I \\n  1.0  5.0\\n  1.1  6.0\\n")
    >>> m = read_pyfai(p)
    >>> m.meta["wavelength_angstrom"], m.x_name, m.technique
    (0.71414, 'two_theta', 'xrd')
    """
    table = parse_table(split_lines(load_text(path)), path)
    names = table.names or []
    xname = names[0].strip() if names else ""
    if xname not in _PYFAI_X:
        raise ReadError(f"the x column is {xname or 'unnamed'!r}, not 2th_deg: the pyfai reader "
                        "returns 2θ; read other axes with format='text'", path=path,
                        line=table.header_line or int(table.lines[0]))
    if table.ncols not in (2, 3):
        raise ReadError(f"{table.ncols} columns ({', '.join(names)}); pyFAI writes 2θ, I and "
                        "optionally sigma", path=path, line=int(table.lines[0]))
    meta = _meta_from_table(table, {"format": "pyfai", "columns": list(names)})
    wavelength = wavelength_from_header(table.meta)
    if wavelength is not None:
        meta["wavelength_angstrom"] = wavelength
    v = table.values
    return _xrd_measurement(path, v[:, 0] * _PYFAI_X[xname], v[:, 1],
                            v[:, 2] if table.ncols == 3 else None, table.lines, meta)
