"""QENS (quasi-elastic neutron scattering) readers: one Measurement per Q group.

:func:`read_qens` reads S(Q, E) from the usual reduced-data files and returns
a tuple of :class:`~structkit.core.measurement.Measurement`, one per Q group,
in ascending Q (file order when Q is unknown). Each has ``x`` = energy
transfer in meV, ascending, ``y`` = S, ``sigma`` = the file's errors (None
without), ``technique="qens"``, and ``meta["q_inv_angstrom"]``.

Formats (:data:`QENS_FORMATS`), sniffed from the content; ``format=`` forces one:

========= ==================================================================
name      recognised by
========= ==================================================================
nxspe     HDF5 with an entry holding ``NXSPE_info`` (or ``definition`` NXSPE)
mantid    HDF5 with ``mantid_workspace_<n>`` groups (Mantid processed NeXus)
nxdata    HDF5 with a 2-D NXdata signal (ILL LAMP ``entry1/data1`` X, Y, DATA)
inx       text whose first line is the 8-integer INX block header (N ... N-3)
grouped   text blocks of ``E S [dS]`` rows, each after a line stating Q
          (``# Q = 0.55``, ``# Group 3: Q=1.25 1/A``, ``Q 0.75``)
table     text with a header row naming a Q column, an energy and an S column
spectrum  text with 2 or 3 numeric columns ``E S [dS]`` (one group)
========= ==================================================================

Conventions. The energy transfer is positive for neutron energy **loss**
(Mantid's ``DeltaE = Ei - Ef``); ``energy_sign=-1`` flips a file written in
the other convention. Non-finite S or sigma points (masked bins) are dropped
and counted in ``meta["dropped_points"]``; Mantid's NXSPE mask value
(``-1e30``) counts as masked too. Energies in µeV or eV (from the file's labels
or ``energy_unit=``) become meV; bin edges become bin centres; Q in 1/nm
becomes 1/Å. Sample and temperature: hints > file header > file name (as
:func:`structkit.io.read` does, with a conditions sidecar CSV if present).

Examples
--------
>>> import tempfile, pathlib, shutil
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "LLZO_350K.txt").write_text(
...     "# Q = 0.9\\n0.1 1 0.1\\n0 5 0.2\\n-0.1 1 0.1\\n# Q = 0.5\\n-0.1 2 0.1\\n0 9 0.3\\n0.1 2 0.1\\n")
>>> groups = read_qens(d / "LLZO_350K.txt")
>>> [g.meta["q_inv_angstrom"] for g in groups], groups[0].sample, groups[0].temperature_K
([0.5, 0.9], 'LLZO', 350.0)
>>> groups[1].x_label, groups[1].x.tolist(), groups[1].y.tolist(), groups[1].meta["format"]
('energy_transfer (meV)', [-0.1, 0.0, 0.1], [1.0, 5.0, 1.0], 'grouped')
>>> shutil.rmtree(d)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError, StructkitError
from ..core.measurement import Measurement
from ._conditions import resolve_conditions
from ._hdf5 import (
    _attr,
    _require_h5py,
    _sample_info,
    _text,
    _wavelength_info,
    sniff_hdf5,
)
from ._registry import HEAD_BYTES
from ._text import (
    COMMENT_CHARS,
    head_text,
    load_text,
    parse_key_value,
    parse_number,
    parse_table,
    read_bytes,
    split_label,
    split_lines,
    wavelength_from_header,
)

__all__ = ["QENS_FORMATS", "inx_refusal", "read_qens", "sniff_qens"]

#: QENS format names (``format=``) and what they are.
QENS_FORMATS = {
    "inx": "ILL/TOFTOF INX reduced ASCII: repeated blocks (8-integer line, title, Q Ei ki T line, "
           "3 floats, then hw(meV) S dS rows)",
    "grouped": "text blocks of E S [dS] rows, each after a header line that states Q (DAVE-style)",
    "table": "long text table with a header row: Q, energy, S (and error) columns; rows grouped by Q",
    "spectrum": "one spectrum: 2 or 3 numeric columns E S [dS]",
    "nxdata": "HDF5 2-D NXdata, energy x Q (ILL LAMP entry1/data1: X, Y, DATA, errors)",
    "mantid": "Mantid processed NeXus: mantid_workspace_<n>/workspace values, errors, axis1, axis2",
    "nxspe": "NXSPE (Mantid SaveNXSPE): S per detector; elastic Q from the polar angle, q_bins= "
             "averages detectors into Q groups",
}
_HDF5_FORMATS = ("nxspe", "mantid", "nxdata")
_TEXT_FORMATS = ("inx", "grouped", "table", "spectrum")

#: meV per unit of energy transfer.
_MEV_PER = {"meV": 1.0, "ueV": 1e-3, "eV": 1e3, "cm-1": 0.12398419843320026,
            "GHz": 4.135667696e-3, "THz": 4.135667696}
_ENERGY_ALIASES = {"mev": "meV", "uev": "ueV", "µev": "ueV", "μev": "ueV", "microev": "ueV",
                   "micro-ev": "ueV", "micro ev": "ueV", "ev": "eV", "cm-1": "cm-1", "cm^-1": "cm-1",
                   "1/cm": "cm-1", "ghz": "GHz", "thz": "THz"}
_Q_ALIASES = {"1/a": 1.0, "1/å": 1.0, "a-1": 1.0, "å-1": 1.0, "a^-1": 1.0, "å^-1": 1.0, "a⁻¹": 1.0,
              "å⁻¹": 1.0, "1/angstrom": 1.0, "inv_angstrom": 1.0, "angstrom^-1": 1.0,
              "1/nm": 0.1, "nm-1": 0.1, "nm^-1": 0.1, "nm⁻¹": 0.1, "inv_nm": 0.1}
#: E [meV] = _E_PER_K2 * k² [Å⁻²] for a neutron (ħ²/2m_n).
_E_PER_K2 = 2.072124
#: Mantid SaveNXSPE writes this value for the data of masked detectors (error 0).
_NXSPE_MASK = -1e29

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_Q_UNIT = r"1/[AÅ]|[AÅ]\^?-1|[AÅ]⁻¹|1/nm|nm\^?-1|nm⁻¹|inv(?:erse)?[ _]?(?:angstrom|nm)"
#: A line stating Q: ``Q = 0.55``, ``Group 3: Q=1.25 1/A``, ``Q 0.75``, ``Q (1/nm): 5.5``.
_Q_HEADER = re.compile(
    rf"(?<![A-Za-z0-9_])[Qq](?:_inv_angstrom|[ _-]?values?)?\s*(?:[(\[]\s*(?P<u1>[^)\]]*?)\s*[)\]])?"
    rf"\s*[=:]?\s*(?P<num>{_NUMBER})(?![\d.])(?!\s*[-–]\s*\d)\s*(?P<u2>{_Q_UNIT})?")
_ENERGY_WORD = re.compile(r"(?i:energy)|(?<![A-Za-z])(?:E|dE|DeltaE|hw|hbar_?omega|omega|ħω|ω)"
                          r"(?![A-Za-z])")


# -- small helpers ----------------------------------------------------------------

def _energy_unit_of(text: str) -> str | None:
    """The energy unit a label or attribute states (``ueV`` for µeV/ueV/micro-eV), or None.

    Examples
    --------
    >>> _energy_unit_of("E (µeV)"), _energy_unit_of(" Energy Transfer (meV)"), _energy_unit_of("DeltaE")
    ('ueV', 'meV', 'meV')
    >>> _energy_unit_of("hw / eV"), _energy_unit_of("S(Q,E)") is None
    ('eV', True)
    """
    if not text:
        return None
    if re.search(r"(?:µ|μ|(?<![A-Za-z])u|micro[\s_-]?)(?:eV|electron)", text, re.IGNORECASE):
        return "ueV"
    if "DeltaE_inWavenumber" in text or re.search(r"(?<![A-Za-z])(?:cm-1|cm\^-1|1/cm)", text):
        return "cm-1"
    if "DeltaE_inFrequency" in text or re.search(r"(?<![A-Za-z])GHz(?![A-Za-z])", text):
        return "GHz"
    if re.search(r"(?<![A-Za-z])THz(?![A-Za-z])", text):
        return "THz"
    if re.search(r"(?<![A-Za-z])meV(?![A-Za-z])", text) or re.search(r"\bDeltaE\b", text):
        return "meV"
    if re.search(r"(?<![A-Za-zµμ])eV(?![A-Za-z])", text):
        return "eV"
    return None


def _q_factor_of(text: str) -> float | None:
    """Factor to 1/Å of the Q unit a label states (0.1 for 1/nm), or None.

    Examples
    --------
    >>> _q_factor_of("1/nm"), _q_factor_of("Wavevector Transfer (A!U-1!N)"), _q_factor_of("Q")
    (0.1, 1.0, None)
    """
    if not text:
        return None
    low = text.strip().lower()
    if low in _Q_ALIASES:
        return _Q_ALIASES[low]
    if re.search(r"(?<![a-z])(?:1/nm|nm\^?-1|nm⁻¹|inv_?nm)", low):
        return 0.1
    if re.search(r"(?<![a-z])(?:1/a|1/å|[aå]\^?-1|[aå]⁻¹|[aå]!u-1|angstrom|inv_?angstrom)", low):
        return 1.0
    return None


def _normal_energy_unit(unit) -> str:
    if unit is None:
        return "meV"
    key = str(unit).strip().lower()
    if key in _ENERGY_ALIASES:
        return _ENERGY_ALIASES[key]
    raise ConfigError(f"energy_unit={unit!r}: use 'meV', 'ueV' (or 'µeV'), 'eV', 'cm-1', 'GHz' or 'THz'")


def _normal_q_factor(unit) -> float | None:
    if unit is None:
        return None
    key = str(unit).strip().lower()
    if key in _Q_ALIASES:
        return _Q_ALIASES[key]
    raise ConfigError(f"q_unit={unit!r}: use '1/A' (the default) or '1/nm'")


def _floats(s: str) -> list[float] | None:
    """The numbers of a data row (whitespace, tab, comma or semicolon separated), or None."""
    s = s.strip()
    for delim in ("\t", ";", ","):
        if delim in s:
            fields = [f.strip() for f in s.split(delim)]
            if "" in fields and delim == "\t":
                fields = s.split()
            break
    else:
        fields = s.split()
    if not fields or "" in fields:
        return None
    try:
        return [parse_number(f, decimal_comma=False) for f in fields]
    except ValueError:
        return None


def _ints(s: str) -> list[int] | None:
    tokens = s.split()
    if not tokens or not all(re.fullmatch(r"[-+]?\d+", t) for t in tokens):
        return None
    return [int(t) for t in tokens]


def _round32(arr) -> np.ndarray:
    """float64 of an array; float32 values are rounded to 7 digits (0.90000004 -> 0.9)."""
    a = np.asarray(arr)
    if a.dtype == np.float32:
        flat = [float(f"{v:.7g}") if math.isfinite(v) else float(v) for v in a.ravel().tolist()]
        return np.array(flat, dtype=float).reshape(a.shape)
    return a.astype(float)


def _centres(edges: np.ndarray) -> np.ndarray:
    return 0.5 * (edges[1:] + edges[:-1])


def _q_text(q) -> str:
    return "Q unknown" if q is None else f"Q = {q:g} 1/Å"


# -- the parsed file ----------------------------------------------------------------

@dataclass
class _Group:
    """One spectrum as read, before conversion (file units, file order)."""

    energy: np.ndarray
    s: np.ndarray
    sigma: np.ndarray | None
    q: float | None
    index: int
    label: str
    lines: np.ndarray | None = None          # 1-based line of each row (text formats)
    meta: dict = field(default_factory=dict)
    temperature_K: float | None = None


@dataclass
class _Parsed:
    groups: list[_Group]
    energy_unit: str | None = None            # stated by the file; None: not stated (meV)
    q_factor: float = 1.0                     # file Q -> 1/Å
    y_unit: str = ""
    meta: dict = field(default_factory=dict)
    q_from_index: bool = False                # INX blocks numbered 1..n instead of Q


def _header_energy_unit(texts, path) -> str | None:
    """One energy unit from label/comment texts; a ReadError if they disagree."""
    found = {}
    for text in texts:
        unit = _energy_unit_of(text)
        if unit is not None:
            found.setdefault(unit, text)
    if len(found) > 1:
        listing = "; ".join(f"{u} in {t[:40]!r}" for u, t in found.items())
        raise ReadError(f"the header states more than one energy unit ({listing}); pass "
                        "energy_unit= to say which one the energy column is in", path=path)
    return next(iter(found), None)


# -- INX ---------------------------------------------------------------------------------

def _inx_signature(lines: list[str], *, strict: bool = False) -> int | None:
    """Index of the first INX block header line if ``lines`` start like an INX file, else None.

    ``strict`` (for :func:`inx_refusal`, asked on every :func:`structkit.io.read`):
    exactly 8 integers on the first line, a title that is not a row of numbers,
    3 numbers on line 4.
    """
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i + 4 >= len(lines):
        return None
    ints = _ints(lines[i])
    if ints is None or not 4 <= len(ints) <= 12 or ints[0] < 4 or ints[-1] != ints[0] - 3:
        return None
    params = _floats(lines[i + 2])
    unused = _floats(lines[i + 3])
    row = _floats(lines[i + 4])
    if params is None or len(params) < 4 or unused is None or row is None or len(row) not in (2, 3):
        return None
    if strict and (len(ints) != 8 or len(unused) != 3 or _floats(lines[i + 1]) is not None):
        return None
    return i


def inx_refusal(head: bytes) -> str | None:
    """Why :func:`structkit.io.read` does not read an INX file (and what to use), or None.

    Registered with :func:`~structkit.io.refuse_format`: an INX file holds one
    spectrum per Q group, :func:`read_qens` reads them all.

    Examples
    --------
    >>> block = "  7 1 2 0 0 0 0 4\\ntitle\\n 0.5 3.27 1.257 300 1 0\\n 0 4 0\\n" + "".join(
    ...     f" {e} 1.0 0.1\\n" for e in (-0.1, 0.0, 0.1, 0.2))
    >>> inx_refusal(block.encode())
    'QENS file with 1 group (INX format, 4 energies per group); read it with structkit.io.read_qens, which returns one Measurement per group'
    >>> inx_refusal(b"1 2\\n3 4\\n") is None
    True
    """
    lines = split_lines(head_text(head))
    start = _inx_signature(lines, strict=True)
    if start is None:
        return None
    first = _ints(lines[start]) or [0]
    npts = first[-1]
    count = None
    if len(head) < HEAD_BYTES:  # the whole file: count its blocks
        count, i = 0, start
        while i < len(lines):
            if not lines[i].strip():
                i += 1
                continue
            ints = _ints(lines[i])
            if ints is None or ints[0] < 4:
                count = None
                break
            count += 1
            i += ints[0] + 1
    what = (f"QENS file with {count} group{'s' if count != 1 else ''} (INX format, {npts} energies per "
            "group)" if count else f"QENS file (INX format, one block of {npts} energies per Q group)")
    return f"{what}; read it with structkit.io.read_qens, which returns one Measurement per group"


def _parse_inx(lines: list[str], path) -> _Parsed:
    start = _inx_signature(lines)
    if start is None:
        raise ReadError("not an INX file: the first line should be the block header of 8 integers "
                        "(N lines, ..., N-3 points), then a title, a 'Q Ei ki T' line, a line of 3 "
                        "numbers and the 'hw S dS' rows; check the file or pass another format=",
                        path=path)
    groups: list[_Group] = []
    firsts: list[float] = []
    i = start
    while i < len(lines):
        s = lines[i].strip()
        if not s:
            i += 1
            continue
        k = len(groups) + 1
        ints = _ints(s)
        if ints is None or len(ints) < 2:
            raise ReadError(f"expected the integer header line of INX block {k}, found {s[:40]!r}; "
                            "check that the file is complete and unedited", path=path, line=i + 1)
        n, npts = ints[0], ints[-1]
        if n < 4 or npts != n - 3:
            raise ReadError(f"INX block {k} header says {n} lines and {npts} points; the points "
                            f"should be the lines minus 3 ({n - 3}); check the file", path=path,
                            line=i + 1)
        if i + n >= len(lines) or not lines[i + n].strip():
            end = min(i + n, len(lines) - 1)
            raise ReadError(f"INX block {k} (header line {i + 1}) should have {n} lines after its "
                            f"header but the file ends or has a blank line at line {end + 1}; the "
                            "file is truncated or edited", path=path, line=end + 1)
        title = lines[i + 1].strip()
        params = _floats(lines[i + 2])
        if params is None or len(params) < 4:
            raise ReadError(f"line 3 of INX block {k} should hold Q (or 2θ, or the block number), "
                            "Ei (meV), ki (1/Å), T (K) ...; it is not a row of numbers", path=path,
                            line=i + 3)
        table = parse_table(lines, path, start=i + 4, stop=i + 1 + n, comment_chars="")
        if table.values.shape[0] != npts or table.ncols not in (2, 3):
            raise ReadError(f"INX block {k} should have {npts} rows of 'hw S [dS]' (lines "
                            f"{i + 5}-{i + n + 1}); found {table.values.shape[0]} rows of "
                            f"{table.ncols} values", path=path, line=i + 5)
        v = table.values
        meta: dict[str, Any] = {"title": title}
        ei, ki, temp = params[1], params[2], params[3]
        if math.isfinite(ei) and ei > 0:
            meta["incident_energy_meV"] = ei
        if math.isfinite(ki) and ki > 0:
            meta["wavelength_angstrom"] = float(f"{2 * math.pi / ki:.6g}")
        groups.append(_Group(v[:, 0], v[:, 1], v[:, 2] if table.ncols == 3 else None, None, k - 1,
                             f"INX block {k} (line {i + 1})", table.lines, meta,
                             temp if math.isfinite(temp) and temp > 0 else None))
        firsts.append(params[0])
        i += n + 1
    index_like = all(v == k + 1 for k, v in enumerate(firsts))
    if not index_like:
        for g, v in zip(groups, firsts):
            g.q = v
    return _Parsed(groups, energy_unit="meV", q_from_index=index_like)


# -- grouped text -----------------------------------------------------------------------------

def _q_header(text: str):
    """(Q, factor to 1/Å or None) if ``text`` states a Q value, else None."""
    m = _Q_HEADER.search(text)
    if not m:
        return None
    unit = m.group("u2") or m.group("u1") or ""
    return float(m.group("num")), _q_factor_of(unit)


def _sniff_grouped(lines: list[str]) -> bool:
    for s in lines:
        s = s.strip()
        if not s:
            continue
        if s[0] not in COMMENT_CHARS and _floats(s) is not None:
            return False  # data before any Q line
        if _q_header(s.lstrip(COMMENT_CHARS)) is not None:
            return True
    return False


def _parse_grouped(lines: list[str], path) -> _Parsed:
    groups: list[_Group] = []
    meta: dict[str, Any] = {}
    unit_texts: list[str] = []
    factors: set[float] = set()
    rows: list[list[float]] = []
    row_lines: list[int] = []
    current: dict | None = None

    def close():
        if current is None:
            return
        if not rows:
            raise ReadError(f"the group stated at line {current['line']} ({_q_text(current['q'])}) "
                            "has no data rows; delete its header line or add the rows", path=path,
                            line=current["line"])
        v = np.array(rows, dtype=float)
        groups.append(_Group(v[:, 0], v[:, 1], v[:, 2] if v.shape[1] == 3 else None, current["q"],
                             len(groups), f"group {len(groups) + 1} (line {current['line']})",
                             np.array(row_lines)))

    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s:
            continue
        is_comment = s[0] in COMMENT_CHARS
        values = None if is_comment else _floats(s)
        if values is not None:
            if current is None:
                raise ReadError("numeric rows before the first line stating Q; start each group "
                                "with a line such as '# Q = 0.55'", path=path, line=i + 1)
            if len(values) not in (2, 3):
                raise ReadError(f"{len(values)} values in a row; the rows of a grouped QENS file "
                                "are 'E S' or 'E S dS'", path=path, line=i + 1)
            if rows and len(values) != len(rows[0]):
                raise ReadError(f"{len(values)} values where the rows of this group "
                                f"({_q_text(current['q'])}) have {len(rows[0])}; fix the row",
                                path=path, line=i + 1)
            rows.append(values)
            row_lines.append(i + 1)
            continue
        text = s.lstrip(COMMENT_CHARS).strip()
        found = _q_header(text)
        if found is not None:
            close()
            rows, row_lines = [], []
            current = {"q": found[0], "line": i + 1}
            if found[1] is not None:
                factors.add(found[1])
            rest = _Q_HEADER.sub(" ", text)
            if _ENERGY_WORD.search(rest):
                unit_texts.append(rest)
            continue
        if rows and not is_comment:
            raise ReadError(f"text {s[:40]!r} among the rows of the group at line {current['line']}; "
                            "comment it out with #, or start a new group with a line stating Q",
                            path=path, line=i + 1)
        kv = parse_key_value(text)
        if kv is not None:
            meta.setdefault(kv[0], kv[1])
            if _ENERGY_WORD.search(kv[0]) or "unit" in kv[0].lower():
                unit_texts.append(f"{kv[0]} {kv[1]}")
        elif _ENERGY_WORD.search(text):
            unit_texts.append(text)
    close()
    if not groups:
        raise ReadError("no line stating Q (such as '# Q = 0.55') followed by data rows; pass "
                        "another format=", path=path)
    if len(factors) > 1:
        raise ReadError("the Q lines mix units (1/Å and 1/nm); pass q_unit= or fix the file",
                        path=path)
    return _Parsed(groups, energy_unit=_header_energy_unit(unit_texts, path),
                   q_factor=factors.pop() if factors else 1.0, meta=meta)


# -- long table and single spectrum ------------------------------------------------------------

_Q_NAMES = {"q", "qinvangstrom", "qinvnm", "momentumtransfer", "qvalue", "|q|", "modq"}
_E_NAMES = {"energy", "energytransfer", "hw", "hbaromega", "ħω", "omega", "ω", "de", "deltae", "en",
            "e"}
_S_NAMES = {"s", "intensity", "i", "y", "s(q,e)", "s(q,w)", "s(q,ω)", "s(q,omega)", "s(q,hw)", "sqw",
            "sqe", "signal", "counts"}
_ERR_NAMES = {"error", "errors", "err", "ds", "sigma", "di", "e", "dy", "ds(q,e)", "ds(q,w)", "std",
              "uncertainty", "σ", "serr", "ierr", "dsqw"}


def _name_unit(label: str) -> tuple[str, str]:
    """:func:`split_label`, also splitting ``hw(ueV)`` and ``Q(1/nm)``-style labels."""
    name, unit = split_label(label)
    if not unit:
        m = re.match(r"^(.*?)\s*[(\[]([^()\[\]]*)[)\]]\s*$", label.strip())
        if m and m.group(1) and (_energy_unit_of(m.group(2)) or _q_factor_of(m.group(2))):
            name, unit = m.group(1), m.group(2)
    return name, unit


def _norm(label: str) -> str:
    return re.sub(r"[\s_\-.]", "", _name_unit(label)[0].lower())


def _table_columns(names: list[str]) -> dict[str, int | None]:
    norm = [_norm(n) for n in names]
    cols: dict[str, int | None] = {"q": None, "e": None, "s": None, "err": None}
    cols["q"] = next((j for j, n in enumerate(norm) if n in _Q_NAMES), None)
    cols["e"] = next((j for j, n in enumerate(norm) if n in _E_NAMES - {"e"} and j != cols["q"]),
                     None)
    if cols["e"] is None:
        cols["e"] = next((j for j, n in enumerate(norm) if n == "e" and j != cols["q"]), None)
    taken = {cols["q"], cols["e"]}
    cols["s"] = next((j for j, n in enumerate(norm) if n in _S_NAMES and j not in taken), None)
    taken.add(cols["s"])
    cols["err"] = next((j for j, n in enumerate(norm) if n in _ERR_NAMES and j not in taken), None)
    return cols


def _sniff_table(lines: list[str]) -> bool:
    t = parse_table(lines, lenient=True)
    return bool(t.names) and t.values.size > 0 and t.ncols >= 3 and \
        _table_columns(t.names)["q"] is not None


def _parse_table(lines: list[str], path) -> _Parsed:
    t = parse_table(lines, path)
    if not t.names:
        raise ReadError("a QENS table needs a header row naming its columns (Q, E, S, error); "
                        "none was found", path=path, line=int(t.lines[0]))
    cols = _table_columns(t.names)
    missing = [what for what, key in (("Q", "q"), ("energy", "e"), ("S", "s")) if cols[key] is None]
    if missing:
        raise ReadError(f"no {' or '.join(missing)} column among {t.names}; name the columns Q, "
                        "E (or energy, hw, DeltaE), S (or intensity) and error (or dS, sigma)",
                        path=path, line=t.header_line)
    labels = {k: (t.names[j] if j is not None else "") for k, j in cols.items()}
    q_col = t.values[:, cols["q"]]
    bad = ~np.isfinite(q_col)
    if bad.any():
        raise DataError(f"Q is {q_col[bad][0]} in this row; every row needs a finite Q", path=path,
                        line=int(t.lines[np.flatnonzero(bad)[0]]))
    groups = []
    for k, qv in enumerate(np.unique(q_col)):
        sel = q_col == qv
        v = t.values[sel]
        groups.append(_Group(v[:, cols["e"]], v[:, cols["s"]],
                             v[:, cols["err"]] if cols["err"] is not None else None, float(qv), k,
                             f"Q group {k + 1} (first row at line {int(t.lines[sel][0])})",
                             t.lines[sel]))
    e_unit = _name_unit(labels["e"])[1]
    q_factor = _q_factor_of(_name_unit(labels["q"])[1])
    meta = dict(t.meta)
    meta["columns"] = list(t.names)
    return _Parsed(groups, energy_unit=_energy_unit_of(e_unit) or _header_energy_unit(
                       [f"{k} {v}" for k, v in t.meta.items() if "unit" in str(k).lower()], path),
                   q_factor=1.0 if q_factor is None else q_factor,
                   y_unit=_name_unit(labels["s"])[1], meta=meta)


def _parse_spectrum(lines: list[str], path) -> _Parsed:
    t = parse_table(lines, path)
    if t.ncols not in (2, 3):
        listing = f" ({', '.join(t.names)})" if t.names else ""
        raise ReadError(f"{t.ncols} numeric columns{listing}; a QENS spectrum has 2 or 3 (E S "
                        "[dS]), a long table needs a header naming a Q column, grouped text a line "
                        f"stating Q before each group; or pass format= one of "
                        f"{', '.join(_TEXT_FORMATS)}", path=path, line=int(t.lines[0]))
    v = t.values
    e_label = t.names[0] if t.names else ""
    texts = [e_label] + [f"{k} {val}" for k, val in t.meta.items()
                         if "unit" in str(k).lower() or _ENERGY_WORD.search(str(k))]
    meta = dict(t.meta)
    if t.names:
        meta["columns"] = list(t.names)
    return _Parsed([_Group(v[:, 0], v[:, 1], v[:, 2] if t.ncols == 3 else None, None, 0, "spectrum",
                           t.lines)],
                   energy_unit=_header_energy_unit([x for x in texts if x], path),
                   y_unit=_name_unit(t.names[1])[1] if t.names else "", meta=meta)


def _sniff_text_format(lines: list[str]) -> str | None:
    if _inx_signature(lines) is not None:
        return "inx"
    if _sniff_grouped(lines):
        return "grouped"
    if _sniff_table(lines):
        return "table"
    t = parse_table(lines, lenient=True)
    if t.values.size and t.ncols in (2, 3):
        return "spectrum"
    return None


_TEXT_PARSERS = {"inx": _parse_inx, "grouped": _parse_grouped, "table": _parse_table,
                 "spectrum": _parse_spectrum}


# -- HDF5 ----------------------------------------------------------------------------------------

def _class_of(obj) -> str:
    value = _text(_attr(obj, "NX_class")) or _text(_attr(obj, "class"))  # LAMP writes 'class'
    if isinstance(value, list):
        value = value[0] if value else ""
    return value or ""


def _str_attr(obj, name) -> str:
    value = _text(_attr(obj, name))
    if isinstance(value, list):
        value = " ".join(value)
    return (value or "").strip()


def _dataset_text(h5py, obj) -> str | None:
    if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "SUO":
        value = _text(obj[()])
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value).strip()
    return None


def _nxspe_entries(h5py, f) -> list:
    return [obj for obj in f.values() if isinstance(obj, h5py.Group) and (
        isinstance(obj.get("NXSPE_info"), h5py.Group)
        or (_dataset_text(h5py, obj.get("definition")) or "").upper() == "NXSPE")]


def _mantid_workspaces(f) -> list[str]:
    names = [k for k in f if re.fullmatch(r"mantid_workspace_\d+", k)]
    return sorted(names, key=lambda k: int(k.rsplit("_", 1)[1]))


def _nxdata_2d(h5py, f) -> list:
    found: list = []

    def visit(_name, obj):
        if isinstance(obj, h5py.Group) and _class_of(obj) == "NXdata" and any(
                isinstance(d, h5py.Dataset) and d.ndim == 2 and d.dtype.kind in "iuf"
                for d in obj.values()):
            found.append(obj)
    f.visititems(visit)
    return found


def _hdf5_format(h5py, f) -> str | None:
    if _nxspe_entries(h5py, f):
        return "nxspe"
    if _mantid_workspaces(f):
        return "mantid"
    if _nxdata_2d(h5py, f):
        return "nxdata"
    return None


def _array(h5py, group, name, path, what, *, required=True):
    ds = group.get(name) if name else None
    if not isinstance(ds, h5py.Dataset):
        if required:
            raise ReadError(f"no {what} dataset {name!r} in {group.name!r} (it holds "
                            f"{', '.join(sorted(group.keys())[:10])})", path=path)
        return None
    try:
        arr = np.asarray(ds[()])
    except (OSError, TypeError, ValueError) as exc:
        raise ReadError(f"cannot read {what} {ds.name!r} ({exc})", path=path) from None
    if arr.dtype.kind not in "iuf":
        raise ReadError(f"{what} {ds.name!r} is not numeric (dtype {arr.dtype})", path=path)
    return arr


def _first_number(value) -> float | None:
    """The first number of an attribute or dataset value (``array([1])``, ``"1"``), or None."""
    if value is None:
        return None
    try:
        flat = np.ravel(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        return None
    return float(flat[0]) if flat.size else None


def _groups_from_2d(data, errors, energy, qs, path, where: str) -> list[_Group]:
    """Split a [nQ × nE] array into groups (energy bin edges become centres)."""
    n_q, n_e = data.shape
    if energy.size == n_e + 1:
        energy = _centres(energy)
    if energy.size != n_e:
        raise ReadError(f"{where}: the energy axis has {energy.size} values but the data have {n_e} "
                        "energy bins; pass dataset= a matching group", path=path)
    if errors is not None and errors.shape != data.shape:
        raise ReadError(f"{where}: errors have shape {errors.shape} but the data {data.shape}",
                        path=path)
    groups = []
    for k in range(n_q):
        groups.append(_Group(energy, data[k].astype(float),
                             None if errors is None else errors[k].astype(float),
                             None if qs is None else qs[k], k, f"Q group {k + 1} of {where}"))
    return groups


def _read_nxdata(h5py, f, path, dataset) -> _Parsed:
    if dataset is not None:
        obj = f.get(dataset)
        if isinstance(obj, h5py.Dataset):
            group, signal = obj.parent, obj.name.rsplit("/", 1)[-1]
        elif isinstance(obj, h5py.Group):
            group, signal = obj, None
        else:
            raise ReadError(f"no group or dataset {dataset!r} in the file (top level: "
                            f"{', '.join(sorted(f.keys())[:8])})", path=path)
    else:
        found = _nxdata_2d(h5py, f)
        if not found:
            raise ReadError("no NXdata group with a 2-D signal (energy × Q) in this HDF5 file; "
                            "pass dataset= the group to read", path=path)
        if len(found) > 1:
            raise ReadError(f"{len(found)} NXdata groups with 2-D data "
                            f"({', '.join(g.name for g in found[:6])}); pass dataset= the one to "
                            "read", path=path)
        group, signal = found[0], None
    datasets = {k: v for k, v in group.items() if isinstance(v, h5py.Dataset)}
    if signal is None:
        signal = _str_attr(group, "signal") or next(  # NeXus 2014; then signal=1 on the dataset
            (k for k, d in datasets.items() if d.ndim == 2 and _first_number(_attr(d, "signal")) == 1),
            None) or next((k for k in ("DATA", "data", "S", "values", "intensity") if k in datasets),
                          None)
    if signal is None or signal not in datasets or datasets[signal].ndim != 2:
        raise ReadError(f"no 2-D signal found in {group.name!r} (datasets: "
                        f"{', '.join(sorted(datasets))}); pass dataset= the 2-D signal dataset",
                        path=path)
    data = _array(h5py, group, signal, path, "signal").astype(float)
    # axes: the group's 'axes' attribute (slow, fast), LAMP's per-dataset 'axis' (1 = fast), X/Y
    axes = _text(_attr(group, "axes"))
    if isinstance(axes, str):
        axes = [a for a in re.split(r"[,:]", axes) if a.strip()]
    if isinstance(axes, list) and len(axes) == 2 and all(a in datasets for a in axes):
        slow, fast = axes
    else:
        by_axis = {_first_number(_attr(d, "axis")): k for k, d in datasets.items() if d.ndim == 1}
        fast = by_axis.get(1.0, "X" if "X" in datasets else None)   # LAMP: axis=1 is IDL's x
        slow = by_axis.get(2.0, "Y" if "Y" in datasets else None)
    if fast is None or slow is None:
        raise ReadError(f"cannot tell the energy and Q axes of {group.name}/{signal} (no 'axes' "
                        "attribute, no X and Y datasets); pass dataset= a LAMP/NXdata group",
                        path=path)
    labels = {k: " ".join(filter(None, (k, _str_attr(datasets[k], "long_name"),
                                        _str_attr(datasets[k], "units")))) for k in (fast, slow)}

    def is_energy(k):
        return bool(re.search(r"(?i)energy|deltae|\bhw\b|omega", labels[k])) or \
            _energy_unit_of(labels[k]) is not None
    e_name, q_name = (slow, fast) if is_energy(slow) and not is_energy(fast) else (fast, slow)
    energy = _round32(_array(h5py, group, e_name, path, "energy axis"))
    qax = _round32(_array(h5py, group, q_name, path, "Q axis"))
    if energy.ndim != 1 or qax.ndim != 1:
        raise ReadError(f"the axes {e_name!r} and {q_name!r} of {group.name} must be 1-D", path=path)
    errors = None
    for name in (f"{signal}_errors", "errors", "error", "ERRORS"):
        if name in datasets:
            errors = _array(h5py, group, name, path, "errors").astype(float)
            break

    def fits(length, n):  # values or bin edges
        return length in (n, n + 1)
    n0, n1 = data.shape
    rows_q = fits(qax.size, n0) and fits(energy.size, n1)   # [nQ × nE], the LAMP layout
    rows_e = fits(energy.size, n0) and fits(qax.size, n1)   # transposed
    if rows_e and not (rows_q and e_name == fast):
        data = data.T
        errors = None if errors is None else errors.T
    elif not rows_q:
        raise ReadError(f"{group.name}/{signal} has shape {data.shape} but the energy axis "
                        f"{e_name!r} has {energy.size} values and the Q axis {q_name!r} "
                        f"{qax.size}; pass dataset= a consistent group", path=path)
    if qax.size == data.shape[0] + 1:
        qax = _centres(qax)
    meta: dict[str, Any] = {"hdf5_signal": f"{group.name}/{signal}"}
    if errors is not None and errors.shape == data.shape and np.any(errors < 0):
        # LAMP marks bins outside the kinematic range with error -1 (and S = 0): masked
        meta["masked_bins_in_file"] = int((errors < 0).sum())
        data = np.where(errors < 0, np.nan, data)
    title = _str_attr(f, "TITLES") or _str_attr(datasets[signal], "long_name")
    if title:
        meta["title"] = title
    source = _str_attr(f, "SOURCE")
    if source:
        meta["instrument"] = source
    meta.update(_sample_info(h5py, group))
    meta.update(_wavelength_info(h5py, group))
    q_factor = _q_factor_of(labels[q_name])
    groups = _groups_from_2d(data, errors, energy, qax.tolist(), path, group.name)
    return _Parsed(groups, energy_unit=_energy_unit_of(labels[e_name]),
                   q_factor=1.0 if q_factor is None else q_factor,
                   y_unit=_str_attr(datasets[signal], "units") or "", meta=meta)


_MANTID_T_LOGS = ("sample.temperature", "sample_temperature", "SampleTemp", "temperature",
                  "Temperature", "temp")


def _mantid_log(h5py, ws_group, name) -> tuple[float | None, str]:
    log = ws_group.get(f"logs/{name}")
    if not isinstance(log, h5py.Group):
        return None, ""
    value = log.get("value")
    if not isinstance(value, h5py.Dataset) or value.dtype.kind not in "iuf" or value.size == 0:
        return None, ""
    arr = np.asarray(value[()], dtype=float).ravel()
    arr = arr[np.isfinite(arr)]
    if not arr.size:
        return None, ""
    return float(np.mean(arr)), _str_attr(value, "units")


def _read_mantid(h5py, f, path, dataset) -> _Parsed:
    names = _mantid_workspaces(f)
    if dataset is not None:
        obj = f.get(dataset)
        if isinstance(obj, h5py.Group) and obj.name.rsplit("/", 1)[-1] == "workspace":
            obj = obj.parent
        if not isinstance(obj, h5py.Group) or not isinstance(obj.get("workspace"), h5py.Group):
            raise ReadError(f"dataset={dataset!r} is not a Mantid workspace group; the file has "
                            f"{', '.join(names)}", path=path)
        ws_group = obj
    elif len(names) > 1:
        titles = [f"{n} ({_dataset_text(h5py, f[n].get('title')) or 'no title'})" for n in names[:8]]
        raise ReadError(f"{len(names)} Mantid workspaces ({', '.join(titles)}); pass dataset= the "
                        "one to read, e.g. dataset='mantid_workspace_1'", path=path)
    else:
        ws_group = f[names[0]]
    ws = ws_group.get("workspace")
    if not isinstance(ws, h5py.Group):
        raise ReadError(f"{ws_group.name} has no 'workspace' group (event or table workspaces are "
                        "not read); save a histogram workspace", path=path)
    where = ws.name
    values = _array(h5py, ws, "values", path, "values")
    errors = _array(h5py, ws, "errors", path, "errors", required=False)
    axis1 = _array(h5py, ws, "axis1", path, "energy axis (axis1)")
    if values.ndim == 1:
        values = values[None, :]
        errors = None if errors is None else errors[None, :]
    units1 = _str_attr(ws["axis1"], "units")
    caption = _str_attr(ws["axis1"], "caption")
    label1 = _str_attr(ws["axis1"], "label")
    if not (units1.startswith("DeltaE") or "energy transfer" in f"{units1} {caption}".lower()):
        raise ReadError(f"{where}/axis1 is in {units1 or 'unknown units'!r}, not energy transfer; "
                        "convert the workspace to DeltaE in Mantid (ConvertUnits, or SofQW for "
                        "S(Q,E)) before saving", path=path)
    energy_unit = _energy_unit_of(units1) if units1.startswith("DeltaE_in") else (
        _energy_unit_of(label1) or "meV")
    n_spec, n_bins = values.shape
    energy = axis1.astype(float)
    meta: dict[str, Any] = {"mantid_workspace": ws_group.name.lstrip("/")}
    title = _dataset_text(h5py, ws_group.get("title"))
    if title:
        meta["title"] = title
    ei, _ = _mantid_log(h5py, ws_group, "Ei")
    if ei is not None and ei > 0:
        meta["incident_energy_meV"] = ei
    lam, _ = _mantid_log(h5py, ws_group, "wavelength")
    if lam is not None and lam > 0:
        meta["wavelength_angstrom"] = lam
    elif ei is not None and ei > 0:
        meta["wavelength_angstrom"] = float(f"{2 * math.pi / math.sqrt(ei / _E_PER_K2):.6g}")
    temperature = None
    for name in _MANTID_T_LOGS:
        value, unit = _mantid_log(h5py, ws_group, name)
        if value is not None and unit in ("", "K", "Kelvin", "kelvin") and value > 0:
            temperature = value
            meta["temperature_log"] = name
            break
    # axis2: the spectrum axis (Q, Q², 2θ or spectrum numbers), values or bin edges
    a2_ds = ws.get("axis2")
    numeric2 = isinstance(a2_ds, h5py.Dataset) and a2_ds.dtype.kind in "iuf"
    axis2 = _array(h5py, ws, "axis2", path, "spectrum axis (axis2)") if numeric2 else None
    units2 = _str_attr(a2_ds, "units") if isinstance(a2_ds, h5py.Dataset) else ""
    qs: list | None = None
    spectrum_values = None
    if axis2 is not None and axis2.ndim == 1 and axis2.size in (n_spec, n_spec + 1):
        a2 = axis2.astype(float)
        spectrum_values = _centres(a2) if a2.size == n_spec + 1 else a2
        if units2 == "MomentumTransfer":
            qs = spectrum_values.tolist()
        elif units2 == "QSquared":
            qs = np.sqrt(spectrum_values).tolist()
        elif units2 == "Degrees" and meta.get("wavelength_angstrom"):
            k = 2 * math.pi / meta["wavelength_angstrom"]
            qs = (2 * k * np.sin(np.radians(spectrum_values) / 2)).tolist()
            meta["q_from"] = "elastic Q from 2θ (axis2 in degrees) and the wavelength"
    meta["spectrum_axis"] = units2 or "unknown"
    if energy.ndim not in (1, 2) or energy.shape[-1] not in (n_bins, n_bins + 1) or (
            energy.ndim == 2 and energy.shape[0] != n_spec):
        raise ReadError(f"{where}/axis1 has shape {energy.shape} but values {values.shape}; "
                        "expected n_bins or n_bins + 1 energies", path=path)
    histogram = energy.shape[-1] == n_bins + 1
    groups: list[_Group] = []
    for k in range(n_spec):
        e = energy
        if energy.ndim == 2:  # one axis per spectrum; ragged rows are padded with NaN
            e = energy[k][np.isfinite(energy[k])]
        nb = e.size - 1 if histogram else e.size
        y = values[k, :nb].astype(float)
        s = None if errors is None else errors[k, :nb].astype(float)
        if histogram:
            e = _centres(e)
        g = _Group(e, y, s, None if qs is None else qs[k], k, f"spectrum {k} of {where}")
        if spectrum_values is not None and qs is None:
            g.meta["spectrum_axis_value"] = float(spectrum_values[k])
        g.temperature_K = temperature
        groups.append(g)
    y_unit = _str_attr(ws["values"], "units")
    return _Parsed(groups, energy_unit=energy_unit, y_unit=y_unit, meta=meta)


def _read_nxspe(h5py, f, path, dataset, q_bins) -> _Parsed:
    entries = _nxspe_entries(h5py, f)
    if dataset is not None:
        entry = f.get(dataset)
        if not isinstance(entry, h5py.Group) or entry.name not in {e.name for e in entries}:
            raise ReadError(f"dataset={dataset!r} is not an NXSPE entry; the file has "
                            f"{', '.join(e.name for e in entries)}", path=path)
    elif len(entries) > 1:
        raise ReadError(f"{len(entries)} NXSPE entries ({', '.join(e.name for e in entries[:6])}); "
                        "pass dataset= the one to read", path=path)
    else:
        entry = entries[0]
    info = entry.get("NXSPE_info")
    ei = None
    if isinstance(info, h5py.Group):
        arr = _array(h5py, info, "fixed_energy", path, "incident energy", required=False)
        ei = None if arr is None else _first_number(arr)
    if ei is None or not math.isfinite(ei) or ei <= 0:
        raise ReadError(f"{entry.name}/NXSPE_info/fixed_energy (Ei, meV) is missing or not positive; "
                        "Q cannot be computed without it", path=path)
    grp = entry.get("data")
    if not isinstance(grp, h5py.Group):
        raise ReadError(f"{entry.name} has no 'data' group", path=path)
    data = _array(h5py, grp, "data", path, "data").astype(float)
    errors = _array(h5py, grp, "error", path, "error", required=False)
    errors = None if errors is None else errors.astype(float)
    energy = _array(h5py, grp, "energy", path, "energy").astype(float)
    polar = _array(h5py, grp, "polar", path, "polar angle").astype(float).ravel()
    azimuthal = _array(h5py, grp, "azimuthal", path, "azimuthal angle", required=False)
    if data.ndim != 2 or polar.size != data.shape[0]:
        raise ReadError(f"{grp.name}/data has shape {data.shape} but there are {polar.size} polar "
                        "angles; expected [detectors × energies]", path=path)
    n_det, n_e = data.shape
    if energy.size == n_e + 1:
        energy = _centres(energy)
    if energy.size != n_e:
        raise ReadError(f"{grp.name}/energy has {energy.size} values for {n_e} energy bins", path=path)
    if errors is not None and errors.shape != data.shape:
        raise ReadError(f"{grp.name}/error has shape {errors.shape} but data {data.shape}", path=path)
    masked = ~np.isfinite(data) | (data <= _NXSPE_MASK)
    data = np.where(masked, np.nan, data)
    dead = masked.all(axis=1)
    k_i = math.sqrt(ei / _E_PER_K2)
    q_det = 2 * k_i * np.sin(np.radians(polar) / 2)
    meta: dict[str, Any] = {"incident_energy_meV": ei,
                            "wavelength_angstrom": float(f"{2 * math.pi / k_i:.6g}"),
                            "masked_detectors": int(dead.sum()), "nxspe_entry": entry.name}
    groups: list[_Group] = []
    if q_bins is None:
        for d in np.flatnonzero(~dead):
            g = _Group(energy, data[d], None if errors is None else errors[d], float(q_det[d]), int(d),
                       f"detector {d} of {entry.name}")
            g.meta["polar_deg"] = float(polar[d])
            if azimuthal is not None and np.size(azimuthal) == n_det:
                g.meta["azimuthal_deg"] = float(np.ravel(azimuthal)[d])
            groups.append(g)
    else:
        edges = np.asarray(q_bins, dtype=float).ravel()
        if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise ConfigError(f"q_bins={q_bins!r}: give at least 2 increasing bin edges in 1/Å")
        which = np.digitize(q_det, edges) - 1
        for b in range(edges.size - 1):
            members = np.flatnonzero((which == b) & ~dead)
            if not members.size:
                continue
            y, s = _average(data[members], None if errors is None else errors[members])
            g = _Group(energy, y, s, float(np.mean(q_det[members])), b,
                       f"Q bin {b} [{edges[b]:g}, {edges[b + 1]:g}) of {entry.name}")
            g.meta.update({"detectors": int(members.size),
                           "q_bin_inv_angstrom": (float(edges[b]), float(edges[b + 1]))})
            groups.append(g)
        if not groups:
            raise ReadError(f"no unmasked detector has its elastic Q ({q_det.min():.3g}-"
                            f"{q_det.max():.3g} 1/Å) inside q_bins {edges[0]:g}-{edges[-1]:g}",
                            path=path)
    if not groups:
        raise ReadError(f"all {n_det} detectors of {entry.name} are masked", path=path)
    energy_unit = _energy_unit_of(_str_attr(grp["energy"], "units"))
    return _Parsed(groups, energy_unit=energy_unit, meta=meta)


def _average(y: np.ndarray, e: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean over detectors (rows) per energy bin, error-weighted when all errors are positive.

    NaN (masked) entries are left out; a bin with none left is NaN (dropped later).
    """
    valid = np.isfinite(y) if e is None else np.isfinite(y) & np.isfinite(e)
    y0 = np.where(valid, y, 0.0)
    if e is not None and np.all(e[valid] > 0):
        w = np.where(valid, 1.0 / np.where(valid, e, 1.0) ** 2, 0.0)
        sw = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w * y0).sum(axis=0) / sw, 1.0 / np.sqrt(sw)
    n = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, y0.sum(axis=0) / n, np.nan)
        if e is None:
            return mean, None
        return mean, np.where(n > 0, np.sqrt((np.where(valid, e, 0.0) ** 2).sum(axis=0)) / n, np.nan)


def _read_hdf5_file(path, fmt, dataset, q_bins) -> tuple[str, _Parsed]:
    h5py = _require_h5py(path)
    try:
        with h5py.File(path, "r") as f:
            kind = fmt or _hdf5_format(h5py, f)
            if kind is None:
                raise ReadError("HDF5 file without QENS data: no NXSPE entry, no mantid_workspace "
                                "group and no NXdata group with a 2-D signal; pass format= and "
                                "dataset=", path=path)
            if kind == "nxspe":
                return kind, _read_nxspe(h5py, f, path, dataset, q_bins)
            if kind == "mantid":
                if not _mantid_workspaces(f) and dataset is None:
                    raise ReadError("no mantid_workspace_<n> group in the file", path=path)
                return kind, _read_mantid(h5py, f, path, dataset)
            return kind, _read_nxdata(h5py, f, path, dataset)
    except StructkitError:
        raise
    except FileNotFoundError:
        raise ReadError("file not found; check the path", path=path) from None
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, AttributeError) as exc:
        raise ReadError(f"not a readable HDF5 file ({type(exc).__name__}: {exc}); check the file "
                        "or pass format=", path=path) from None


# -- sniffing and the public reader ------------------------------------------------------------

def sniff_qens(path) -> str | None:
    """The QENS format of ``path`` (a :data:`QENS_FORMATS` name), or None. Never raises.

    Examples
    --------
    >>> sniff_qens("/no/such/file.txt") is None
    True
    """
    try:
        head = read_bytes(Path(path), HEAD_BYTES)
        if sniff_hdf5(head):
            return _read_hdf5_kind_only(path)
        return _sniff_text_format(split_lines(load_text(path)))
    except Exception:  # noqa: BLE001 - a sniffer that fails just does not recognise the file
        return None


def _read_hdf5_kind_only(path) -> str | None:
    h5py = _require_h5py(path)
    with h5py.File(path, "r") as f:
        return _hdf5_format(h5py, f)


def _q_hint(q, n: int, parsed: _Parsed, path) -> list[float]:
    scalar = np.ndim(q) == 0
    try:
        values = np.atleast_1d(np.asarray(q, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise ConfigError(f"q={q!r}: give a number or a sequence of numbers (1/Å)") from None
    where = "blocks" if parsed.q_from_index else "groups"
    if scalar and n != 1:
        raise ReadError(f"q={q!r} is one value but the file has {n} {where}; pass q=[...] with {n} "
                        "values, one per group in file order", path=path)
    if values.size != n:
        raise ReadError(f"q= has {values.size} values but the file has {n} {where}; pass one Q "
                        f"(1/Å) per group in file order ({n} values)", path=path)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ConfigError(f"q={q!r}: Q values must be finite and >= 0 (1/Å)")
    return values.tolist()


def read_qens(path, *, format: str | None = None, q=None, energy_unit: str | None = None,
              q_unit: str | None = None, energy_sign: int = 1, temperature_K: float | None = None,
              sample: str | None = None, dataset: str | None = None,
              q_bins: Sequence[float] | None = None) -> tuple[Measurement, ...]:
    """Read a QENS file: one Measurement of S(E) per Q group.

    Parameters
    ----------
    path : str or path-like
        The file (see :data:`QENS_FORMATS`).
    format : str, optional
        Force a format: ``"inx"``, ``"grouped"``, ``"table"``, ``"spectrum"``,
        ``"nxdata"``, ``"mantid"`` or ``"nxspe"``. Sniffed from the content by default.
    q : float or sequence of float, optional
        Q in 1/Å: one value for a single-spectrum file, else one per group in
        file order (the count must match). Overrides the file's Q; required
        for INX files that number their blocks 1..n instead of giving Q.
    energy_unit : str, optional
        Unit of the file's energies: ``"meV"``, ``"ueV"`` (``"µeV"``), ``"eV"``
        (also ``"cm-1"``, ``"GHz"``, ``"THz"``). By default from the file's
        labels and attributes (µeV, ueV, micro), else meV.
    q_unit : str, optional
        Unit of the file's Q values, ``"1/A"`` or ``"1/nm"`` (divided by 10);
        by default what the file states, else 1/Å. Not applied to ``q=``.
    energy_sign : {1, -1}
        structkit's convention is E > 0 for neutron energy loss (Mantid's
        ``DeltaE = Ei - Ef``); pass -1 for files in the opposite convention.
    temperature_K : float, optional
        Overrides the file's temperature (header, then the file name).
    sample : str, optional
        Overrides the sample (by default from the file name, ``LLZO_350K.txt``
        -> ``LLZO``).
    dataset : str, optional
        HDF5 only: the NXdata group, Mantid workspace (``"mantid_workspace_2"``)
        or NXSPE entry to read when the file has several.
    q_bins : sequence of float, optional
        NXSPE only: Q bin edges (1/Å). Detectors whose elastic Q falls in a
        bin are averaged (error-weighted when every error is positive, plain
        mean otherwise); without it each detector is one group.

    Returns
    -------
    tuple of Measurement
        Ascending Q (file order when Q is unknown). ``x`` energy transfer in
        meV (ascending), ``y`` S (``y_unit`` from the file, else ``"arb"``),
        ``sigma`` the errors or None, ``technique="qens"``. ``meta``:
        ``q_inv_angstrom`` (None when unknown), ``group_index`` (0-based
        position in the file), ``format``, ``energy_unit_in_file``,
        ``energy_sign``, ``dropped_points`` (non-finite S/sigma points
        removed), ``n_groups``, and when the file gives them
        ``incident_energy_meV``, ``wavelength_angstrom``, ``title``.

    Raises
    ------
    ReadError
        Empty or unrecognised file, malformed blocks (with the line), a ``q=``
        of the wrong length, an INX file without Q and no ``q=``.
    DataError
        A group with fewer than 3 finite points, a repeated energy, negative
        errors (naming the group and Q).
    ConfigError
        Unknown ``format``, ``energy_unit``, ``q_unit``; ``energy_sign`` not ±1;
        ``dataset``/``q_bins`` given for a format that does not use them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "irf.dat"
    >>> _ = p.write_text("-100\\t1\\t0.1\\n0\\t50\\t1\\n100\\t2\\t0.1\\n")
    >>> (m,) = read_qens(p, q=0.8, energy_unit="ueV", energy_sign=-1)
    >>> m.x.tolist(), m.y.tolist(), m.meta["q_inv_angstrom"], m.meta["format"]
    ([-0.1, 0.0, 0.1], [2.0, 50.0, 1.0], 0.8, 'spectrum')
    """
    path = Path(path)
    if format is not None and format not in QENS_FORMATS:
        raise ConfigError(f"format={format!r}: use one of {', '.join(QENS_FORMATS)}", path=path)
    if energy_sign not in (1, -1):
        raise ConfigError(f"energy_sign={energy_sign!r}: use 1 (file has E > 0 for neutron energy "
                          "loss, the default) or -1 (the opposite convention)", path=path)
    forced_unit = None if energy_unit is None else _normal_energy_unit(energy_unit)
    forced_q = _normal_q_factor(q_unit)
    head = read_bytes(path, HEAD_BYTES)
    if not head:
        raise ReadError("file is empty (0 bytes); check the export finished", path=path)
    is_hdf5 = sniff_hdf5(head)
    if format is not None and (format in _HDF5_FORMATS) != is_hdf5:
        kind = "an HDF5" if format in _HDF5_FORMATS else "a text"
        raise ReadError(f"format={format!r} needs {kind} file, but this file is "
                        f"{'HDF5' if is_hdf5 else 'not HDF5'}; drop format= to sniff it", path=path)
    if is_hdf5:
        fmt, parsed = _read_hdf5_file(path, format, dataset, q_bins)
    else:
        lines = split_lines(load_text(path))
        # unrecognised: the spectrum parser says what is wrong (no numeric rows, column count)
        fmt = format or _sniff_text_format(lines) or "spectrum"
        parsed = _TEXT_PARSERS[fmt](lines, path)
    if dataset is not None and fmt not in _HDF5_FORMATS:
        raise ConfigError(f"dataset= selects a group in an HDF5 file; this is a {fmt!r} text file",
                          path=path)
    if q_bins is not None and fmt != "nxspe":
        raise ConfigError(f"q_bins= averages NXSPE detectors into Q groups; this is a {fmt!r} file "
                          "(its groups are already in Q)", path=path)
    return _finish(parsed, path, fmt, q=q, forced_unit=forced_unit, forced_q=forced_q,
                   energy_sign=energy_sign, temperature_K=temperature_K, sample=sample)


_RESERVED = ("q_inv_angstrom", "group_index", "format", "energy_unit_in_file", "energy_sign",
             "dropped_points", "n_groups")


def _finish(parsed: _Parsed, path: Path, fmt: str, *, q, forced_unit, forced_q, energy_sign,
            temperature_K, sample) -> tuple[Measurement, ...]:
    groups = parsed.groups
    n = len(groups)
    if q is not None:
        qs = _q_hint(q, n, parsed, path)
    elif parsed.q_from_index:
        raise ReadError(f"the file lists block indices 1..{n} instead of Q (first value of line 3 "
                        f"of each block), so Q is unknown; pass q=[...] with one value per block "
                        f"({n} values, 1/Å, in file order)", path=path)
    else:
        factor = parsed.q_factor if forced_q is None else forced_q
        qs = [None if g.q is None else float(f"{g.q * factor:.12g}") for g in groups]
    unit = forced_unit or parsed.energy_unit or "meV"
    e_factor = _MEV_PER[unit] * energy_sign
    file_meta = {(f"header_{k}" if k in _RESERVED else k): v for k, v in parsed.meta.items()}
    if "wavelength_angstrom" not in file_meta:
        lam = wavelength_from_header(parsed.meta) if fmt in _TEXT_FORMATS else None
        if lam is not None:
            file_meta["wavelength_angstrom"] = lam
    out: list[Measurement] = []
    for g, qv in zip(groups, qs):
        where = f"{g.label}, {_q_text(qv)}"
        energy = np.asarray(g.energy, dtype=float)
        bad = ~np.isfinite(energy)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where}: energy transfer is {energy[i]}; every point needs a finite "
                            "energy", path=path, line=None if g.lines is None else int(g.lines[i]))
        x = energy * e_factor + 0.0          # + 0.0: no -0.0 after a sign flip
        if unit != "meV":
            x = np.round(x, 12) + 0.0
        y = np.asarray(g.s, dtype=float)
        sig = None if g.sigma is None else np.asarray(g.sigma, dtype=float)
        keep = np.isfinite(y) if sig is None else np.isfinite(y) & np.isfinite(sig)
        dropped = int(keep.size - keep.sum())
        if keep.sum() < 3:
            raise DataError(f"{where}: {int(keep.sum())} finite points of {keep.size} "
                            f"({dropped} NaN/inf dropped); a QENS group needs at least 3 — check "
                            "the file or its masking", path=path)
        lines = None if g.lines is None else np.asarray(g.lines)[keep]
        x, y = x[keep], y[keep]
        sig = None if sig is None else sig[keep]
        if sig is not None and np.any(sig < 0):
            i = int(np.flatnonzero(sig < 0)[0])
            raise DataError(f"{where}: negative error {sig[i]}; errors are standard deviations "
                            "(>= 0)", path=path, line=None if lines is None else int(lines[i]))
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        sig = None if sig is None else sig[order]
        lines = None if lines is None else lines[order]
        same = np.flatnonzero(np.diff(x) == 0)
        if same.size:
            i = int(same[0]) + 1
            raise DataError(f"{where}: energy {x[i] / e_factor:g} {unit} appears twice; remove the "
                            "duplicate row or split the group", path=path,
                            line=None if lines is None else int(lines[i]))
        meta = dict(file_meta)
        meta.update(g.meta)
        meta.update({"q_inv_angstrom": qv, "group_index": g.index, "format": fmt,
                     "energy_unit_in_file": unit, "energy_sign": energy_sign,
                     "dropped_points": dropped, "n_groups": n})
        conditions = {} if g.temperature_K is None else {"temperature_K": g.temperature_K}
        m = Measurement(x, y, sigma=sig, x_name="energy_transfer", x_unit="meV", y_name="S",
                        y_unit=parsed.y_unit or "arb", technique="qens", source=str(path),
                        conditions=conditions, meta=meta)
        out.append(resolve_conditions(m, path, sample=sample, temperature_K=temperature_K))
    if all(m.meta["q_inv_angstrom"] is not None for m in out):
        out.sort(key=lambda m: m.meta["q_inv_angstrom"])
    return tuple(out)
