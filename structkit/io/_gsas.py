"""GSAS raw powder data (``.gsa``, ``.fxye`` ...) and GSAS instrument parameter files (``.prm``).

Both readers follow the conventions of :mod:`._diffraction` (2θ in degrees,
counts, ``technique="xrd"``). :func:`read_gsas` reads one constant-wavelength
bank; :func:`read_gsas_prm` reads the wavelengths and the profile terms of a
``.prm`` file, converted to structkit's TCH/Caglioti widths, and
:func:`read_gsas` uses it (next to the data, or ``instprm=``) for ``meta``.

Format references: GSAS-II's readers (``GSASII/imports/G2pwd_fxye.py``) and
instrument-parameter code (``SetPowderInstParms``, ``GSASIIpwd.getWidthsCW``);
EXPGUI's profile-term table (``gsascmds.tcl``); Larson & Von Dreele, *GSAS
manual*, LAUR 86-748 (2004).

Examples
--------
>>> sniff_gsas(b"PbSO4 Cu Ka\\r\\nBANK 1 20 2 CONST 1000 2.5 0 0 STD\\r\\n")
True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError, ReadError, StructkitError
from ..core.measurement import Measurement
from ._diffraction import count_sigma, xrd_measurement
from ._text import head_text, load_text, parse_key_value, split_lines

__all__ = ["read_gsas", "sniff_gsas", "read_gsas_prm"]

#: H_G² (FWHM²) per Gaussian variance σ²: FWHM = sqrt(8 ln 2) σ.
_FWHM2_PER_VARIANCE = 8.0 * math.log(2.0)


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
        sigma = count_sigma(y, n if n is not None else 1.0)
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
    return xrd_measurement(path, x, y, sigma, rows, meta)


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

