"""Impedance spectra: three-column text, ZPlot ``.z``, Gamry ``.DTA``, BioLogic ``.mpt``, NEISYS.

Every reader returns a :class:`~structkit.core.measurement.Measurement` with
``x`` the frequency in Hz, ascending, and ``y = Z' + iZ''`` in ohm with the
physical sign convention (``Z'' < 0`` on a capacitive arc), whatever the file
stores. ``meta["z_imag_stored"]`` says whether the file held ``Z''`` or
``-Z''`` and ``meta["z_imag_sign_from"]`` how that was decided (``format``,
``header``, ``data`` or ``hint``).

Examples
--------
>>> impedance_role("-Im(Z)/Ohm"), impedance_role("Zs'[ohm]"), impedance_role("freq/Hz")
(('zimag', True), ('zreal', False), ('freq', False))
"""

from __future__ import annotations

import re

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError
from ..core.measurement import Measurement
from ._text import (
    Table,
    _DELIMITER_NAMES,
    _meta_from_table,
    _select_columns,
    check_finite_rows,
    head_text,
    load_text,
    ordered,
    parse_key_value,
    parse_number,
    parse_table,
    split_label,
    split_lines,
)

__all__ = [
    "impedance_role",
    "read_impedance_table", "sniff_impedance_table",
    "read_zplot", "sniff_zplot",
    "read_gamry", "sniff_gamry",
    "read_biologic", "sniff_biologic",
    "read_neisys", "sniff_neisys",
]

_FREQ = frozenset({"f", "freq", "frequency", "fhz", "freqhz", "frequencyhz", "nu"})
_ZRE = frozenset({"z'", "zs'", "zreal", "zre", "re(z)", "rez", "real", "realz", "zr", "z'(a)",
                  "realimpedance", "impedancereal", "re(zs)"})
_ZIM = frozenset({"z''", "zs''", "zimag", "zim", "im(z)", "imz", "imag", "imagz", "zi", "z''(b)",
                  "imaginaryimpedance", "impedanceimaginary", "im(zs)", "zimaginary"})
_SIGNS = ("physical", "negated")


def _normalise(label: str) -> str:
    name = split_label(label)[0]
    for a, b in (("″", "''"), ("\"", "''"), ("’", "'"), ("′", "'"), ("`", "'")):
        name = name.replace(a, b)
    return re.sub(r"[\s_.]", "", name.lower())


def impedance_role(label: str) -> tuple[str | None, bool]:
    """Classify a column label as ``"freq"``, ``"zreal"`` or ``"zimag"`` (and whether it is negated).

    Examples
    --------
    >>> impedance_role("Z'' (Ohm)"), impedance_role("-Z''"), impedance_role("G(r)")
    (('zimag', False), ('zimag', True), (None, False))
    """
    n = _normalise(label)
    negated = n.startswith("-")
    n = n.lstrip("-+")
    if n in _FREQ and not negated:
        return "freq", False
    if n in _ZRE and not negated:
        return "zreal", False
    if n in _ZIM:
        return "zimag", negated
    return None, False


def _columns_by_role(names: list[str] | None) -> dict[str, tuple[int, bool]]:
    roles: dict[str, tuple[int, bool]] = {}
    for j, label in enumerate(names or []):
        role, negated = impedance_role(label)
        if role and role not in roles:
            roles[role] = (j, negated)
    return roles


def _check_sign_hint(z_imag_sign, path):
    if z_imag_sign is not None and z_imag_sign not in _SIGNS:
        raise ConfigError(f"z_imag_sign={z_imag_sign!r}: use 'physical' (the file stores Z'') or "
                          "'negated' (it stores -Z'')", path=path)


def _impedance_measurement(path, table: Table, cols, *, stored: str, sign_from: str, fmt: str,
                           z_imag_sign=None, meta=None) -> Measurement:
    """Build the Measurement from table columns (f, Z', Z''-as-stored)."""
    check_finite_rows(table, cols, path)
    f, zr, zi = (table.values[:, j] for j in cols)
    if z_imag_sign is not None:
        stored, sign_from = z_imag_sign, "hint"
    bad = np.flatnonzero(f <= 0)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"frequency {f[i]} Hz is not positive; fix or delete the row",
                        path=path, line=int(table.lines[i]))
    order = ordered(f, table.lines, path, "frequency")
    z = zr + 1j * (-zi if stored == "negated" else zi)
    reserved = {"format": fmt, "z_imag_stored": stored, "z_imag_sign_from": sign_from,
                "columns": list(table.names) if table.names else None}
    full_meta = _meta_from_table(table, reserved)
    if meta:
        for k, v in meta.items():
            full_meta.setdefault(k, v)
    return Measurement(f[order], z[order], x_name="frequency", x_unit="Hz", y_name="impedance",
                       y_unit="ohm", technique="conductivity", source=str(path), meta=full_meta)


# -- three-column text ---------------------------------------------------------------

def _log_spaced(f: np.ndarray) -> bool:
    if f.size < 3:
        return False
    r = np.diff(np.log10(f))
    if not (np.all(r > 0) or np.all(r < 0)):
        return False
    return bool(np.std(r) <= 0.25 * abs(np.mean(r)))


def _looks_like_impedance(table: Table) -> bool:
    roles = _columns_by_role(table.names)
    if {"freq", "zreal", "zimag"} <= roles.keys():
        return True
    if table.names and roles:
        return False
    if table.ncols != 3 or table.values.shape[0] < 3:
        return False
    v = table.values
    f = v[:, 0]
    if not np.all(np.isfinite(f)) or np.any(f <= 0):
        return False
    if f.max() / f.min() < 100:
        return False
    if np.any(v[:, 2] < 0):
        return True
    return bool(f.max() >= 10 and _log_spaced(f))


def sniff_impedance_table(head: bytes) -> bool:
    """True for a delimited table of f, Z', Z'' (by header names or by the data).

    Without telling column names, a 3-column table is impedance when its first
    column is positive, spans at least two decades, and either the third
    column has a negative value (it cannot be an uncertainty) or the first
    column is log-spaced and reaches 10 (frequencies, not q or 2θ).

    Examples
    --------
    >>> sniff_impedance_table(b"1e4,1,-2\\n1e3,2,-3\\n1e2,3,-2\\n")
    True
    >>> sniff_impedance_table(b"10 5 0.1\\n20 6 0.1\\n30 7 0.1\\n")
    False
    """
    table = parse_table(split_lines(head_text(head)), lenient=True)
    return table.values.size > 0 and _looks_like_impedance(table)


def read_impedance_table(path, *, columns=None, z_imag_sign=None, delimiter=False) -> Measurement:
    """Read f, Z', Z'' from delimited text (CSV, tab, semicolon or whitespace; header optional).

    The columns are found by their names (``freq/Hz``, ``Re(Z)/Ohm``,
    ``-Im(Z)/Ohm``, ``Z'``, ``Z''``, ``Zs'[ohm]`` ...) or are the first three.
    ``Z''`` stored negated is recognised from a ``-`` in its header
    (``-Z''``, ``-Im(Z)``); without one, a positive median of the stored
    column means the file holds ``-Z''``.

    Parameters
    ----------
    path : str or path-like
    columns : sequence of 3 int or str, optional
        The f, Z', Z'' columns (0-based indices or names).
    z_imag_sign : {"physical", "negated"}, optional
        Override: the file stores ``Z''`` (physical) or ``-Z''`` (negated).
    delimiter : str or None, optional
        Force the delimiter; detected by default.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "z.csv"
    >>> _ = p.write_text("freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\\n100,10,5\\n10,12,8\\n")
    >>> m = read_impedance_table(p)
    >>> m.x.tolist(), m.y.tolist(), m.meta["z_imag_stored"]
    ([10.0, 100.0], [(12-8j), (10-5j)], 'negated')
    """
    _check_sign_hint(z_imag_sign, path)
    table = parse_table(split_lines(load_text(path)), path, delimiter=delimiter)
    roles = _columns_by_role(table.names)
    if columns is not None:
        cols = _select_columns(table, columns, path, allowed=(3,))
        negated_label = table.names is not None and impedance_role(table.names[cols[2]]) == ("zimag", True)
    elif {"freq", "zreal", "zimag"} <= roles.keys():
        cols = [roles["freq"][0], roles["zreal"][0], roles["zimag"][0]]
        negated_label = roles["zimag"][1]
    elif table.ncols == 3:
        cols = [0, 1, 2]
        negated_label = table.names is not None and impedance_role(table.names[2]) == ("zimag", True)
    else:
        raise ReadError(f"{table.ncols} columns and no header naming frequency, Z' and Z''; pass "
                        "columns=(f, Z', Z'') as 0-based indices or names", path=path,
                        line=int(table.lines[0]))
    if negated_label:
        stored, sign_from = "negated", "header"
    else:
        zi = table.values[:, cols[2]]
        finite = zi[np.isfinite(zi)]
        stored = "negated" if finite.size and np.median(finite) > 0 else "physical"
        sign_from = "data"
    return _impedance_measurement(path, table, cols, stored=stored, sign_from=sign_from,
                                  fmt="impedance", z_imag_sign=z_imag_sign,
                                  meta={"delimiter": _DELIMITER_NAMES.get(table.delimiter)})


# -- ZPlot .z ----------------------------------------------------------------------------

def sniff_zplot(head: bytes) -> bool:
    """True for a ZPlot/ZView ASCII export (first line ``ZPLOT2 ASCII`` or an ``End Comments`` header).

    Examples
    --------
    >>> sniff_zplot(b"ZPLOT2 ASCII\\n  Measured Data, ZPlot: 3.2c\\n")
    True
    """
    text = head_text(head)
    first = text.lstrip().split("\n", 1)[0].strip().upper()
    return first.startswith("ZPLOT") or bool(re.search(r"^End Comments\s*$", text, re.M | re.I))


def read_zplot(path, *, z_imag_sign=None) -> Measurement:
    """Read a ZPlot ``.z`` file (header until ``End Comments``; Z'' with the physical sign).

    The header's ``key: value`` lines go to ``meta``; ``Data Points`` is
    checked against the rows read, so a truncated file is an error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.z"
    >>> rows = "\\n".join(f"{f}\\t0.01\\t0\\t1\\t{r}\\t{i}\\t0\\t0\\t4" for f, r, i in
    ...                  [(1000.0, 10.0, -1.0), (100.0, 11.0, -3.0)])
    >>> _ = p.write_text("ZPLOT2 ASCII\\n  Data Points:                2\\n"
    ...                  "  Freq(Hz)\\tAmpl\\tBias\\tTime(Sec)\\tZ'(a)\\tZ''(b)\\tGD\\tErr\\tRange\\n"
    ...                  "End Comments\\n" + rows + "\\n")
    >>> read_zplot(p).y.tolist()
    [(11-3j), (10-1j)]
    """
    _check_sign_hint(z_imag_sign, path)
    lines = split_lines(load_text(path))
    end = next((i for i, s in enumerate(lines) if s.strip().lower() == "end comments"), None)
    if end is None:
        raise ReadError("no 'End Comments' line: not a complete ZPlot .z file; check the export, "
                        "or pass format= to choose another reader", path=path)
    meta: dict = {}
    for s in lines[1:end]:
        kv = parse_key_value(s)
        if kv and kv[0] not in meta:
            meta[kv[0]] = kv[1]
    names = header_line = None
    if end > 0 and "freq" in lines[end - 1].lower():
        names = [t.strip() for t in lines[end - 1].strip().split("\t")]
        header_line = end
    table = parse_table(lines, path, start=end + 1, comment_chars="", names=names,
                        header_line=header_line)
    cols = [0, 4, 5]
    if names:
        lowered = [n.lower().replace(" ", "") for n in names]
        try:
            cols = [next(j for j, n in enumerate(lowered) if n.startswith("freq")),
                    next(j for j, n in enumerate(lowered) if n.startswith("z'") and not n.startswith("z''")),
                    next(j for j, n in enumerate(lowered) if n.startswith("z''"))]
        except StopIteration:
            raise ReadError(f"the header line does not name Freq, Z' and Z'' (it has {names}); "
                            "check the export", path=path, line=header_line) from None
    elif table.ncols < 6:
        raise ReadError(f"rows have {table.ncols} columns; a ZPlot file has Freq in column 1 and "
                        "Z', Z'' in columns 5 and 6", path=path, line=int(table.lines[0]))
    expected = meta.get("Data Points")
    if isinstance(expected, float) and expected != table.values.shape[0]:
        raise ReadError(f"the header says {expected:g} data points but {table.values.shape[0]} rows "
                        "were read; the file may be truncated or edited", path=path)
    return _impedance_measurement(path, table, cols, stored="physical", sign_from="format",
                                  fmt="zplot", z_imag_sign=z_imag_sign, meta=meta)


# -- Gamry .DTA ---------------------------------------------------------------------------

def sniff_gamry(head: bytes) -> bool:
    """True for a Gamry Framework ``.DTA`` file (first line ``EXPLAIN``).

    Examples
    --------
    >>> sniff_gamry(b"EXPLAIN\\r\\nTAG\\tEISPOT\\r\\n")
    True
    """
    return head_text(head).lstrip().upper().startswith("EXPLAIN")


def _in_gamry_table(line: str) -> bool:
    if not line.strip() or line[:1].isspace():
        return True
    first = line.split("\t", 1)[0]
    try:
        parse_number(first)
    except ValueError:
        return False
    return True


def read_gamry(path, *, z_imag_sign=None) -> Measurement:
    """Read the ``ZCURVE TABLE`` of a Gamry ``.DTA`` file (tab-separated; Zimag with the physical sign).

    Header lines ``KEY<TAB>TYPE<TAB>VALUE<TAB>description`` go to ``meta``
    under the lower-case key (``title``, ``date``, ``area`` ...); a unit in
    the description, as in ``Temperature (C)``, is kept as ``<key>_unit``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "eis.DTA"
    >>> _ = p.write_text("EXPLAIN\\nTAG\\tEISPOT\\nSAMPLE\\tLABEL\\tLLZO-1\\tSample\\nZCURVE\\tTABLE\\n"
    ...                  "\\tPt\\tTime\\tFreq\\tZreal\\tZimag\\n\\t#\\ts\\tHz\\tohm\\tohm\\n"
    ...                  "\\t0\\t1\\t1000\\t10\\t-2\\n\\t1\\t2\\t100\\t12\\t-5\\n")
    >>> m = read_gamry(p)
    >>> m.y.tolist(), m.meta["sample"]
    ([(12-5j), (10-2j)], 'LLZO-1')
    """
    _check_sign_hint(z_imag_sign, path)
    lines = split_lines(load_text(path))
    meta: dict = {}
    table_at = None
    for i, raw in enumerate(lines):
        fields = [f.strip() for f in raw.split("\t")]
        if len(fields) >= 2 and fields[0].upper() == "ZCURVE" and fields[1].upper() == "TABLE":
            table_at = i
            break
        if raw[:1].isspace() or len(fields) < 2 or not fields[0]:
            continue
        key = fields[0].lower()
        if len(fields) == 2 or fields[1].upper() == "TABLE":
            if fields[1].upper() != "TABLE":
                meta.setdefault(key, fields[1])
            continue
        value = fields[2]
        try:
            meta.setdefault(key, parse_number(value) if fields[1].upper() in
                            ("QUANT", "IQUANT", "POTEN", "TWOPARAM") else value)
        except ValueError:
            meta.setdefault(key, value)
        if len(fields) > 3:
            unit = re.search(r"\(([^()]*)\)\s*$", fields[3])
            if unit and unit.group(1).strip():
                meta.setdefault(f"{key}_unit", unit.group(1).strip())
    if table_at is None:
        tag = meta.get("tag", "unknown")
        raise ReadError(f"no 'ZCURVE TABLE' block: this Gamry file (TAG {tag}) holds no impedance "
                        "spectrum; check the file", path=path)
    if table_at + 3 > len(lines):
        raise ReadError("the ZCURVE table has no column-name and unit lines; the file is truncated",
                        path=path, line=table_at + 1)
    names = [f.strip() for f in lines[table_at + 1].strip().split("\t")]
    units = [f.strip() for f in lines[table_at + 2].strip().split("\t")]
    stop = table_at + 3
    while stop < len(lines) and _in_gamry_table(lines[stop]):
        stop += 1
    lowered = [n.lower() for n in names]
    missing = [n for n in ("freq", "zreal", "zimag") if n not in lowered]
    if missing:
        raise ReadError(f"the ZCURVE header has no {', '.join(missing)} column (it has {names}); "
                        "check the export", path=path, line=table_at + 2)
    table = parse_table(lines, path, start=table_at + 3, stop=stop, comment_chars="", delimiter="\t",
                        names=names, header_line=table_at + 2)
    cols = [lowered.index("freq"), lowered.index("zreal"), lowered.index("zimag")]
    if len(units) == len(names):
        meta["units"] = dict(zip(names, units))
    return _impedance_measurement(path, table, cols, stored="physical", sign_from="format",
                                  fmt="gamry", z_imag_sign=z_imag_sign, meta=meta)


# -- BioLogic .mpt ------------------------------------------------------------------------

def sniff_biologic(head: bytes) -> bool:
    """True for an EC-Lab / BT-Lab ASCII export (``.mpt``).

    Examples
    --------
    >>> sniff_biologic(b"EC-Lab ASCII FILE\\r\\nNb header lines : 5\\r\\n")
    True
    """
    first = head_text(head).lstrip().split("\n", 1)[0].strip().upper()
    return first.startswith(("EC-LAB ASCII FILE", "BT-LAB ASCII FILE"))


def read_biologic(path, *, z_imag_sign=None) -> Measurement:
    """Read an EC-Lab ``.mpt`` impedance export (tab-separated; decimal comma allowed).

    ``Nb header lines : N`` counts the header including the column-name line.
    Columns ``freq/Hz``, ``Re(Z)/Ohm`` and ``-Im(Z)/Ohm`` (or ``Im(Z)/Ohm``)
    are found by name; header lines ``key : value`` go to ``meta``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "eis.mpt"
    >>> _ = p.write_text("EC-Lab ASCII FILE\\nNb header lines : 4\\n\\nfreq/Hz\\tRe(Z)/Ohm\\t-Im(Z)/Ohm\\n"
    ...                  "1,0E+03\\t10,0\\t2,0\\n1,0E+02\\t12,0\\t5,0\\n")
    >>> read_biologic(p).y.tolist()
    [(12-5j), (10-2j)]
    """
    _check_sign_hint(z_imag_sign, path)
    lines = split_lines(load_text(path))
    n_header = None
    for i, s in enumerate(lines[:12]):
        m = re.match(r"^\s*Nb header lines\s*:\s*(\S+)\s*$", s, re.I)
        if m:
            try:
                n_header = int(m.group(1))
            except ValueError:
                raise ReadError(f"'Nb header lines' is {m.group(1)!r}, not a whole number; "
                                "check the export", path=path, line=i + 1) from None
            if not 1 <= n_header <= len(lines):
                raise ReadError(f"'Nb header lines : {n_header}' but the file has {len(lines)} "
                                "lines; the file is truncated or edited", path=path, line=i + 1)
            break
    if n_header is None:
        n_header = next((i + 1 for i, s in enumerate(lines[:12]) if "freq" in s.lower()), None)
        if n_header is None:
            raise ReadError("no 'Nb header lines : N' line and no column header naming freq/Hz; "
                            "export the file from EC-Lab as text (.mpt)", path=path)
    names = [t.strip() for t in lines[n_header - 1].strip().split("\t")]
    meta: dict = {}
    for s in lines[1:n_header - 1]:
        if " : " in s or re.search(r"\s:\s*$", s):
            key, _, value = s.partition(":")
            key = key.strip()
            if key and key.lower() != "nb header lines":
                try:
                    meta.setdefault(key, parse_number(value))
                except ValueError:
                    meta.setdefault(key, value.strip())
    roles = _columns_by_role(names)
    missing = [r for r in ("freq", "zreal", "zimag") if r not in roles]
    if missing:
        raise ReadError(f"line {n_header} should name the columns freq/Hz, Re(Z)/Ohm and -Im(Z)/Ohm "
                        f"but has {names[:8]}; check 'Nb header lines' and that this is an "
                        "impedance export", path=path, line=n_header)
    table = parse_table(lines, path, start=n_header, comment_chars="", delimiter="\t", names=names,
                        header_line=n_header)
    cols = [roles["freq"][0], roles["zreal"][0], roles["zimag"][0]]
    stored = "negated" if roles["zimag"][1] else "physical"
    return _impedance_measurement(path, table, cols, stored=stored, sign_from="header",
                                  fmt="biologic", z_imag_sign=z_imag_sign, meta=meta)


# -- NEISYS --------------------------------------------------------------------------------

_NEISYS_HEADER = re.compile(r"freq\.\s*\[hz\]\s*\t.*\bzs\s*'", re.I)
_NEISYS_QUANTITY = re.compile(r"([A-Za-z][A-Za-z .]*?)\s*\[([^\]]+)\]\s*[:=]?\s*"
                              r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def _neisys_header_index(lines: list[str]) -> int | None:
    return next((i for i, s in enumerate(lines[:8]) if _NEISYS_HEADER.search(s)), None)


def sniff_neisys(head: bytes) -> bool:
    """True for a NEISYS text export (a ``Freq.[Hz]  Zs'[ohm]  Zs''[ohm]`` header in the first lines).

    Examples
    --------
    >>> sniff_neisys("s1\\nFixed value(s) :  AC Volt\\n Freq.[Hz]\\tZs'[ohm]\\tZs''[ohm]\\n".encode())
    True
    """
    return _neisys_header_index(split_lines(head_text(head))) is not None


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def read_neisys(path, *, z_imag_sign=None) -> Measurement:
    """Read a NEISYS export: a title line, optional settings lines, ``Freq.[Hz] Zs'[ohm] Zs''[ohm]``, rows.

    The title's first comma-separated field is the sample (a temperature
    token in it, as in ``s04147-140deg``, is a header temperature); quantities
    such as ``Diameter[mm]: 13`` or ``AC Volt [Vrms]=0.035`` go to ``meta`` as
    ``diameter_mm``, ``ac_volt_vrms``. ``Zs''`` has the physical sign.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_text("s1-25deg\\nFixed value(s) :  AC Volt  [Vrms]=3.5e-02\\n"
    ...                  "Freq.[Hz]\\tZs'[ohm]\\tZs''[ohm]\\n1e6\\t2e4\\t-5e4\\n1e5\\t3e4\\t-7e4\\n")
    >>> m = read_neisys(p)
    >>> m.meta["sample"], m.meta["ac_volt_vrms"], m.y[-1]
    ('s1-25deg', 0.035, np.complex128(20000-50000j))
    """
    _check_sign_hint(z_imag_sign, path)
    lines = split_lines(load_text(path))
    h = _neisys_header_index(lines)
    if h is None:
        raise ReadError("no 'Freq.[Hz]  Zs'[ohm]  Zs''[ohm]' header in the first 8 lines: not a "
                        "NEISYS export; pass format= to choose another reader", path=path)
    meta: dict = {}
    if h > 0:
        title = lines[0].strip()
        meta["title"] = title
        parts = [p.strip() for p in title.split(",")]
        if parts and parts[0]:
            meta["sample"] = parts[0]
        if len(parts) > 1:
            meta["date"] = ", ".join(parts[1:])
    for s in lines[1:h]:
        for name, unit, value in _NEISYS_QUANTITY.findall(s):
            key = f"{_snake(name)}_{_snake(unit)}"
            if key != "_":
                meta.setdefault(key, float(value))
    names = [t.strip() for t in lines[h].strip().split("\t")]
    roles = _columns_by_role(names)
    if not {"freq", "zreal", "zimag"} <= roles.keys():
        names = None
        cols = [0, 1, 2]
    else:
        cols = [roles["freq"][0], roles["zreal"][0], roles["zimag"][0]]
    table = parse_table(lines, path, start=h + 1, comment_chars="", names=names, header_line=h + 1)
    if names is None and table.ncols != 3:
        raise ReadError(f"rows have {table.ncols} columns; NEISYS rows are Freq, Zs', Zs''",
                        path=path, line=int(table.lines[0]))
    return _impedance_measurement(path, table, cols, stored="physical", sign_from="format",
                                  fmt="neisys", z_imag_sign=z_imag_sign, meta=meta)

