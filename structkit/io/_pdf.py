"""Pair-distribution-function readers: G(r), F(Q), S(Q) and I(Q) from PDFgetX3, PDFgetX2 and PDFgetN.

The Measurement:

========= ===== =========== ======= ============== =================== =================
file      x     x_unit      y_name  y_unit         ``meta["quantity"]`` ``convention``
========= ===== =========== ======= ============== =================== =================
``.gr``   r     angstrom    G(r)    1/angstrom^2   G                   ``G_pdffit``
``.fq``   Q     1/angstrom  F(Q)    1/angstrom     F                   ``F_reduced``
``.sq``   Q     1/angstrom  S(Q)    (none)         S                   ``S_normalized``
``.iq``   Q     1/angstrom  I(Q)    (none)         I                   ``I_measured``
========= ===== =========== ======= ============== =================== =================

``G_pdffit`` is G(r) = 4πr[ρ(r) − ρ0] (Å⁻²) of PDFfit, PDFgui and PDFgetX2/X3/N;
``F_reduced`` is F(Q) = Q[S(Q) − 1] (Å⁻¹); ``S_normalized`` is S(Q) → 1 at high Q;
``I_measured`` is the (corrected) intensity, in arbitrary units. ``technique="pdf"``.
The quantity comes from ``quantity=``, else the ``#L`` label of the y column
(``G(r)``, ``F(Q)`` ...), else the extension, else PDFgetX3's ``outputtype``.

Where the data are: after ``#### start data`` (any number of ``#``), after the
last ``#L`` line that follows it (its labels name the columns), or, in a file
with neither, the first block of numeric rows. Columns: 2 are x, y; 3 are x,
y, dy; 4 are x, y, dx, dy (the PDFfit order ``r G(r) dr dG(r)``); named
columns are matched by name (``dG(r)``, ``d_Gr``, ``sigma`` ...). ``sigma`` is
the dy column unless it is all zeros (PDFgetN writes ``dr = 0.0``; a zero dy
means "no uncertainty"). ``columns=`` picks (x, y) or (x, y, sigma) by index
or label. A decreasing axis is reversed; NaN/inf, a repeated or turning axis
and negative uncertainties raise :class:`~structkit.core.errors.DataError`
naming the line; an empty file, a header without data rows and a single
column raise :class:`~structkit.core.errors.ReadError`.

Headers, all parsed into ``meta["header"]`` (every ``key=value`` as text; a
key seen again in a later section is stored as ``"Section.key"``):

* PDFgetX3 / xPDFsuite (also GSAS-II's PDFgetX3-style export): ini sections
  (``[DEFAULT]``, ``[PDF]`` ...) of ``key = value`` lines, then ``#### start data``,
  ``#S 1 - PDF from PDFgetX3``, ``#L r($\\AA$)  G($\\AA^{-2}$)``;
* PDFgetX2: ``History written: ...``, ``##### Section`` lines and several
  ``key=value`` per line, a ``#L symbol valence fractions ...`` element table,
  ``##### start data``, SPEC lines ``#F #D #C #S``, ``#L r G(r) d_r d_Gr``;
* PDFgetN: the same layout (``##### Run Information``, ``temp=``, ``runTitle=``,
  ``## Damp Qmin= Qmax=``, an ``Element relAtomNum ...`` table), ``#O0``/``#P0``
  name/value lines (stored in the header too), ``#L r G(r) dr dG(r)``.

``meta`` also carries, where the header has them: ``qmax``, ``qmin``,
``qmaxinst``, ``rpoly``, ``bgscale``, ``qdamp``, ``qbroad``, ``dscale``
(floats; ``Qmax``/``qmax`` in any case), ``wavelength`` (Å, from ``wavelength``
or PDFgetX2's ``lambda``; also as ``wavelength_angstrom`` like the diffraction
readers), ``composition`` (the header's, else built from the element table:
``composition_from="element table"``), ``dataformat``, ``mode`` (``xray`` or
``neutron``: the header's ``mode``/``stype``, else implied by PDFgetX2/PDFgetN),
``temperature`` (the header's ``temperature``/``temp`` as raw text), ``title``
(PDFgetX2 ``title``, PDFgetN ``runTitle``) and ``title_temperature`` (the raw
temperature-like token of the title: ``300K``, ``RT``, ``550.0``), ``software``
(``"PDFgetX3"``, ``"PDFgetX2"``, ``"PDFgetN"`` or ``""``), ``written_by``
(``xPDFsuite``, ``GSAS-II``, ``PDFgui``) when known, and ``columns``.

Header temperatures are *not* made conditions here: PDFgetN's ``temp=`` is
often stale (the LaMnO3 series says ``temp=308`` at every temperature) and
neither program writes a unit. :func:`~structkit.io.read` takes the
temperature from the file name (``550K.gr``), a conditions sidecar or
``temperature_K=``; a unitless header ``temperature`` is not used, and read()
says so in ``meta["conditions_note"]``.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> head = "[DEFAULT]\\nmode = xray\\nqmax = 25.0\\n\\n#### start data\\n#S 1 - PDF from PDFgetX3\\n"
>>> rows = "".join(f"{0.01 * i:.2f} {0.1 * i:.3f}\\n" for i in range(1, 6))
>>> _ = (d / "a.gr").write_text(head + "#L r($\\\\AA$)  G($\\\\AA^{-2}$)\\n" + rows)
>>> m = read_pdf(d / "a.gr")
>>> m.x_label, m.y_label, m.meta["software"], m.meta["qmax"], m.sigma is None
('r (angstrom)', 'G(r) (1/angstrom^2)', 'PDFgetX3', 25.0, True)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError
from ..core.measurement import Measurement
from ._text import (
    Table,
    check_finite_rows,
    head_text,
    load_text,
    ordered,
    parse_table,
    split_lines,
    wavelength_from_header,
)

__all__ = ["read_pdf", "sniff_pdf", "parse_pdf_header", "write_pdf", "QUANTITIES"]

#: quantity -> (x_name, x_unit, y_name, y_unit, convention, extension)
QUANTITIES: dict[str, tuple[str, str, str, str, str, str]] = {
    "G": ("r", "angstrom", "G(r)", "1/angstrom^2", "G_pdffit", ".gr"),
    "F": ("Q", "1/angstrom", "F(Q)", "1/angstrom", "F_reduced", ".fq"),
    "S": ("Q", "1/angstrom", "S(Q)", "", "S_normalized", ".sq"),
    "I": ("Q", "1/angstrom", "I(Q)", "", "I_measured", ".iq"),
}
_EXT_QUANTITY = {v[5]: k for k, v in QUANTITIES.items()}
_QUANTITY_ALIASES = {"g": "G", "gr": "G", "g(r)": "G", "f": "F", "fq": "F", "f(q)": "F",
                     "s": "S", "sq": "S", "s(q)": "S", "i": "I", "iq": "I", "i(q)": "I"}

#: normalised meta key -> header keys (lower case), first found wins
_NUMERIC_KEYS = {
    "qmax": ("qmax",),
    "qmin": ("qmin",),
    "qmaxinst": ("qmaxinst",),
    "rpoly": ("rpoly",),
    "bgscale": ("bgscale",),
    "qdamp": ("qdamp", "qsig"),
    "qbroad": ("qbroad", "qalp"),
    "dscale": ("dscale",),
}
_TEXT_KEYS = {
    "composition": ("composition",),
    "dataformat": ("dataformat",),
    "temperature": ("temperature", "temp"),
    "title": ("title", "runtitle"),
}

_START = re.compile(r"^\s*#+\s*start\s+data\b", re.IGNORECASE)
_SECTION = re.compile(r"^\s*\[([^\[\]]+)\]\s*$")
_SPEC = re.compile(r"^#([A-Z])(\d*)(?:\s+(.*))?$")
_PAIR_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z_][\w#.-]*)\s*=")
_VALUE_END = re.compile(r"\s{2,}|\t")
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ELEMENT = re.compile(r"^[A-Z][a-z]?\d*[+-]?$")
_LABEL_QUANTITY = re.compile(r"^([GFSI])(?:$|[\s(\[_])")
_MARKERS = re.compile(r"PDFget(?:X[23]|N)\b|Get_XPDF|xPDFsuite|^#+ *PDFgui\b", re.MULTILINE)
_SPEC_RG = re.compile(r"^#L\s+r\b[^\n]*?\sG", re.MULTILINE)
_T_UNIT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(K|°C|degC|C)(?![\w.])")
_T_RT = re.compile(r"(?<![\w.])RT(?![\w.])")
_T_BARE = re.compile(r"(?<![\w.:])(\d+\.\d+)(?![\w.])")


# -- sniffing ------------------------------------------------------------------------------------

def sniff_pdf(head: bytes) -> bool:
    """True for a PDFgetX3 / PDFgetX2 / PDFgetN / PDFgui header or a SPEC ``#L r G`` label.

    Examples
    --------
    >>> sniff_pdf(b"History written: Mon Apr 30 2007\\nproduced by me\\n")
    True
    >>> sniff_pdf(b"[DEFAULT]\\nversion = 2.1\\n"), sniff_pdf(b"#L r(A) G(r)\\n1 2\\n")
    (True, True)
    >>> sniff_pdf(b"# r G(r) dr dG(r)\\n1 2 0 0.1\\n"), sniff_pdf(b"# two_theta intensity\\n1 2\\n")
    (False, False)
    """
    text = head_text(head)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if first.startswith("History written:") or first == "[DEFAULT]":
        return True
    if _MARKERS.search(text) or _SPEC_RG.search(text):
        return True
    return any(_START.match(line) for line in text.splitlines()) and re.search(
        r"^#[LS]\s", text, re.MULTILINE) is not None


# -- header ---------------------------------------------------------------------------------------

def _store(header: dict, key: str, value: str, section: str) -> None:
    key = key.strip()
    if key not in header:
        header[key] = value
        return
    base = f"{section}.{key}" if section else key
    name, n = base, 2
    while name in header:
        name, n = f"{base}#{n}", n + 1
    header[name] = value


def _pairs(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``'label  a=1    b=two words'`` -> ``('label', [('a', '1'), ('b', 'two words')])``."""
    keys = list(_PAIR_KEY.finditer(text))
    if not keys:
        return text.strip(), []
    label = text[: keys[0].start()].strip()
    out = []
    for k, m in enumerate(keys):
        end = keys[k + 1].start() if k + 1 < len(keys) else len(text)
        value = text[m.end(): end]
        cut = _VALUE_END.search(value.strip())
        value = value.strip()
        if cut:
            value = value[: cut.start()]
        out.append((m.group(1), value.strip()))
    return label, out


def _composition_from_table(names: list[str], rows: list[list[str]]) -> str | None:
    low = [n.lower() for n in names]
    col = next((low.index(c) for c in ("fractions", "fraction", "relatomnum", "number")
                if c in low), None)
    if col is None or not rows:
        return None
    parts = []
    for row in rows:
        try:
            n = float(row[col])
        except (IndexError, ValueError):
            return None
        if not np.isfinite(n) or n <= 0:
            return None
        parts.append(row[0] + ("" if n == 1 else f"{n:g}"))
    return "".join(parts)


def parse_pdf_header(lines: list[str]) -> dict[str, Any]:
    """Parse the header lines of a PDF file into the ``meta`` entries described in the module.

    Returns
    -------
    dict
        ``header`` (all ``key=value`` pairs as text), ``software``, and the
        normalised keys found (``qmax``, ``composition``, ``mode`` ...).

    Examples
    --------
    >>> h = parse_pdf_header(["History written: today", "##### Run Information",
    ...                       "temp=308     runTitle=LaMnO3 550.0, npdf_01031 HIPPO-furnace",
    ...                       "## Damp     Qmin=2.0     Qmax=32", "#S 1 - PDF from PDFgetN"])
    >>> h["software"], h["qmax"], h["qmin"], h["temperature"], h["title_temperature"], h["mode"]
    ('PDFgetN', 32.0, 2.0, '308', '550.0', 'neutron')
    >>> h["header"]["runTitle"]
    'LaMnO3 550.0, npdf_01031 HIPPO-furnace'
    """
    header: dict[str, str] = {}
    spec: dict[str, str] = {}
    comments: list[str] = []
    spec_names: dict[str, list[str]] = {}
    section = ""
    ini = False
    last_key: str | None = None
    table_names: list[str] | None = None
    table_rows: list[list[str]] = []
    composition_table: str | None = None
    for raw in lines:
        s = raw.strip()
        if not s:
            last_key = None
            continue
        if _START.match(s):
            section, ini, last_key = "data", False, None
            continue
        m = _SECTION.match(s)
        if m and not s.startswith("#"):
            section, ini, last_key = m.group(1).strip(), True, None
            continue
        if ini and raw[:1] in " \t" and last_key is not None and not s.startswith("#"):
            header[last_key] = f"{header[last_key]} {s}".strip()  # an ini continuation line
            continue
        if table_names is not None:
            tokens = s.split()
            if not s.startswith("#") and _ELEMENT.match(tokens[0]) and len(tokens) > 1:
                table_rows.append(tokens)
                continue
            composition_table = composition_table or _composition_from_table(table_names, table_rows)
            table_names, table_rows = None, []
        sm = _SPEC.match(s)
        if sm:
            letter, number, rest = sm.group(1), sm.group(2), (sm.group(3) or "").strip()
            tokens = rest.split()
            if letter == "L" and tokens and tokens[0].lower() in ("symbol", "element"):
                table_names = tokens
            elif letter == "O":
                spec_names[number] = tokens
            elif letter == "P" and number in spec_names:
                for name, value in zip(spec_names[number], tokens):
                    _store(header, name, value, f"P{number}")
            elif letter == "C":
                if rest:
                    comments.append(rest)
            elif letter != "L" and rest:
                spec.setdefault(letter + number, rest)
            continue
        if ini:
            if s.startswith(("#", ";")) or "=" not in s:
                continue
            key, value = s.split("=", 1)
            _store(header, key, value.strip(), section)
            last_key = key.strip() if key.strip() in header else None
            continue
        if s.startswith("History written:"):
            _store(header, "History written", s.split(":", 1)[1].strip(), section)
            continue
        if s.startswith("produced by"):
            _store(header, "produced by", s[len("produced by"):].strip(), section)
            continue
        text = s.lstrip("#").strip() if s.startswith("#") else s
        label, pairs = _pairs(text)
        if s.startswith("#") and label:
            section = label.strip("# ")
        first = text.split()[0] if text.split() else ""
        if not pairs and first.lower() in ("element", "symbol"):
            table_names = text.split()
            continue
        for key, value in pairs:
            _store(header, key, value, section)
    if table_names is not None:
        composition_table = composition_table or _composition_from_table(table_names, table_rows)

    full = "\n".join(lines)
    out: dict[str, Any] = {"header": header}
    if spec:
        out["spec"] = spec
    if comments:
        out["comments"] = comments
    low = {k.lower(): v for k, v in reversed(list(header.items())) if "." not in k}
    version = low.get("version", "")
    if re.search(r"PDFgetX3|xPDFsuite", full) or (ini and "start data" in full.lower()
                                                  and not version.startswith("GSAS-II")):
        software = "PDFgetX3"
    elif re.search(r"PDFgetN\b|^prep=gsas", full, re.MULTILINE):
        software = "PDFgetN"
    elif re.search(r"Get_XPDF|pdfgetx2|PDFgetX2", full, re.IGNORECASE):
        software = "PDFgetX2"
    else:
        software = ""
    out["software"] = software
    if "xPDFsuite" in full:
        out["written_by"] = "xPDFsuite"
    elif version.startswith("GSAS-II"):
        out["written_by"] = "GSAS-II"
    elif re.search(r"^#+ *PDFgui\b", full, re.MULTILINE):
        out["written_by"] = "PDFgui"
    for name, keys in _NUMERIC_KEYS.items():
        for key in keys:
            number = _NUMBER.match(low.get(key, ""))
            if number:
                out[name] = float(number.group())
                break
    for name, keys in _TEXT_KEYS.items():
        for key in keys:
            if low.get(key):
                out[name] = low[key]
                break
    wavelength = None
    for key in ("wavelength", "lambda"):
        number = _NUMBER.match(low.get(key, ""))
        if number:
            wavelength = wavelength_from_header({"wavelength": float(number.group())})
            if wavelength is not None:
                break
    if wavelength is not None:
        out["wavelength"] = out["wavelength_angstrom"] = wavelength
    if "composition" not in out and composition_table:
        out["composition"] = composition_table
        out["composition_from"] = "element table"
    mode = low.get("mode", "").strip().lower()
    stype = low.get("stype", "").strip().upper()[:1]
    if mode in ("xray", "x-ray", "neutron", "electron"):
        out["mode"] = mode.replace("-", "")
    elif stype in ("X", "N"):
        out["mode"] = "xray" if stype == "X" else "neutron"
    elif software in ("PDFgetX2", "PDFgetX3"):
        out["mode"] = "xray"
    elif software == "PDFgetN":
        out["mode"] = "neutron"
    if out.get("title"):
        token = _title_temperature(out["title"])
        if token:
            out["title_temperature"] = token
    return out


def _title_temperature(title: str) -> str | None:
    """The temperature-like token of a run title: ``300K``/``25 C``, else ``RT``, else ``550.0``."""
    for pattern in (_T_UNIT, _T_RT, _T_BARE):
        m = pattern.search(title)
        if m:
            return m.group().strip()
    return None


def _program_header(lines: list[str]) -> bool:
    """True when the file starts like a PDFgetX2/PDFgetN/PDFgui (``History written:``) or ini header."""
    first = next((line.strip() for line in lines if line.strip()), "")
    return first.startswith("History written:") or bool(_SECTION.match(first))


# -- columns and quantity ---------------------------------------------------------------------------

def _label_names(text: str, ncols: int) -> list[str] | None:
    """Split an ``#L`` label line into ``ncols`` labels (2+ spaces first, then any whitespace)."""
    for tokens in (re.split(r"\s{2,}|\t", text.strip()), text.split()):
        tokens = [t for t in tokens if t]
        if len(tokens) == ncols:
            return tokens
    return None


def _norm(label: str) -> str:
    return re.sub(r"[^0-9a-z]", "", label.lower())


def _column_index(c, names: list[str] | None, ncols: int, columns, path) -> int:
    if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
        if not 0 <= int(c) < ncols:
            raise ConfigError(f"columns={tuple(columns)!r}: index {c} is out of range; the file has "
                              f"{ncols} columns (0-based)", path=path)
        return int(c)
    if isinstance(c, str):
        if not names:
            raise ConfigError(f"column {c!r} asked for by name, but the file has no #L line of "
                              "column names; use 0-based indices", path=path)
        for j, label in enumerate(names):
            if label.strip().lower() == c.strip().lower():
                return j
        for j, label in enumerate(names):
            if _norm(label) == _norm(c) and _norm(c):
                return j
        raise ConfigError(f"no column named {c!r}; the columns are {names}", path=path)
    raise ConfigError(f"columns={columns!r}: entries must be int indices or str names", path=path)


def _pick_columns(table: Table, names: list[str] | None, columns, path) -> tuple[int, int, int | None]:
    ncols = table.ncols
    line = int(table.lines[0])
    if columns is not None:
        if isinstance(columns, (str, int)) or len(columns) not in (2, 3):
            raise ConfigError(f"columns={columns!r}: give 2 or 3 column indices (0-based) or names "
                              "(x, y[, sigma])", path=path)
        picked = [_column_index(c, names, ncols, columns, path) for c in columns]
        return picked[0], picked[1], picked[2] if len(picked) == 3 else None
    if ncols < 2:
        raise ReadError("only one numeric column; a PDF file needs two (r and G(r), or Q and "
                        "F(Q), S(Q) or I(Q)); check the delimiter or the export", path=path, line=line)
    if names:
        y = _norm(names[1])[:1]
        for j in range(2, ncols):
            n = _norm(names[j])
            if any(w in n for w in ("sigma", "err", "esd", "unc")) or (
                    n[:1] == "d" and y and n[1:2] == y):
                return 0, 1, j
        if ncols <= 4 and all(_norm(n) in ("dr", "dq", "dx") for n in names[2:]):
            return 0, 1, None
    if ncols == 2:
        return 0, 1, None
    if ncols == 3:
        return 0, 1, 2
    if ncols == 4:
        return 0, 1, 3
    listed = ", ".join(f"{j}: {names[j]}" if names else str(j) for j in range(ncols))
    raise ReadError(f"{ncols} numeric columns ({listed}); a PDF file has r, G(r)[, dr], dG(r); "
                    "choose with columns=(x, y) or (x, y, sigma)", path=path, line=line)


def _quantity(hint, y_label: str | None, suffix: str, meta: dict, path) -> tuple[str, str]:
    if hint is not None:
        q = str(hint) if str(hint) in QUANTITIES else _QUANTITY_ALIASES.get(str(hint).strip().lower())
        if q is None:
            raise ConfigError(f"quantity={hint!r}: use 'G', 'F', 'S' or 'I'", path=path)
        return q, "hint"
    if y_label:
        m = _LABEL_QUANTITY.match(y_label.strip())
        if m:
            return m.group(1), "column label"
    if suffix in _EXT_QUANTITY:
        return _EXT_QUANTITY[suffix], "extension"
    output = str(meta.get("header", {}).get("outputtype", "")).strip().lower()
    if output in ("gr", "fq", "sq", "iq"):
        return output[0].upper(), "outputtype"
    raise ReadError("cannot tell whether the data are G(r), F(Q), S(Q) or I(Q) (no #L label, "
                    "no .gr/.fq/.sq/.iq extension); pass quantity='G' (or 'F', 'S', 'I')", path=path)


# -- the reader ------------------------------------------------------------------------------------

def read_pdf(path, *, columns=None, quantity: str | None = None) -> Measurement:
    """Read a PDF data file (``.gr``, ``.fq``, ``.sq``, ``.iq``) written by PDFgetX3, PDFgetX2 or PDFgetN.

    Parameters
    ----------
    path : str or path-like
    columns : sequence of int or str, optional
        (x, y) or (x, y, sigma), 0-based indices or ``#L`` labels; by default
        x, y and the dy column (see the module).
    quantity : {"G", "F", "S", "I"}, optional
        What y is, when neither the ``#L`` label nor the extension says.

    Returns
    -------
    Measurement
        ``technique="pdf"``; ``meta`` as described in the module.

    Raises
    ------
    ReadError
        Empty file, header without data rows, one column, unknown quantity.
    DataError
        NaN/inf, a repeated or non-monotonic axis, a negative uncertainty (with the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> head = "History written: today\\n##### Run Information\\ntemp=308   runTitle=X 550.0\\n"
    >>> rows = "".join(f"{0.01 * i:.2f} {i:.1f} 0.0 0.5\\n" for i in range(1, 4))
    >>> _ = (d / "550K.gr").write_text(head + "##### start data\\n#S 1 - PDF from PDFgetN\\n"
    ...                                "#L r G(r) dr dG(r)\\n" + rows)
    >>> m = read_pdf(d / "550K.gr")
    >>> m.meta["software"], m.meta["temperature"], m.sigma.tolist(), m.meta["quantity"]
    ('PDFgetN', '308', [0.5, 0.5, 0.5], 'G')
    >>> read_pdf(d / "550K.gr", columns=(0, 1)).sigma is None
    True
    """
    path = Path(path)
    lines = split_lines(load_text(path))
    start = next((i + 1 for i, line in enumerate(lines) if _START.match(line)), None)
    search_from = start or 0
    label_line = None
    for i in range(search_from, len(lines)):
        if re.match(r"^\s*#L\s+\S", lines[i]):
            label_line = i
    if label_line is None and start is None:
        # no marker: the last #L anywhere, unless it is a header table (element symbols)
        for i, line in enumerate(lines):
            m = re.match(r"^\s*#L\s+(\S+)", line)
            if m and m.group(1).lower() not in ("symbol", "element", "par_name"):
                label_line = i
    if start is None and label_line is None and _program_header(lines):
        raise ReadError("the PDF header has no 'start data' line and no '#L' column line, so the "
                        "data rows are missing (a truncated copy or a header-only export); "
                        "re-export the data", path=path)
    data_from = label_line + 1 if label_line is not None else search_from
    try:
        table = parse_table(lines, path, start=data_from)
    except ReadError as exc:
        if not exc.message.startswith("no numeric data rows"):
            raise
        if data_from > 0 or any(line.strip() for line in lines):
            where = (f"after line {data_from} ({lines[data_from - 1].strip()[:40]})" if data_from
                     else "in the file")
            raise ReadError(f"no data rows {where}: the file has a header but no numeric rows of r "
                            "(or Q) and G(r) (or F, S, I); re-export the data, or check the copy "
                            "is complete", path=path) from None
        raise
    first_row = int(table.lines[0]) - 1
    hdr = parse_pdf_header(lines[:first_row])
    if table.ncols < 2:
        raise ReadError("only one numeric column; a PDF file needs two (r and G(r), or Q and "
                        "F(Q), S(Q) or I(Q)); check the delimiter or the export", path=path,
                        line=int(table.lines[0]))
    names = None
    if label_line is not None:
        text = re.sub(r"^\s*#L\s+", "", lines[label_line])
        names = _label_names(text, table.ncols)
    elif table.names:
        names = list(table.names)
    table.names = names  # for column labels in messages
    ix, iy, isig = _pick_columns(table, names, columns, path)
    used = [ix, iy] + ([isig] if isig is not None else [])
    check_finite_rows(table, used, path)
    x = table.values[:, ix]
    order = ordered(x, table.lines, path, "r" if names is None else names[ix])
    sigma = None
    if isig is not None:
        s = table.values[:, isig]
        bad = np.flatnonzero(s < 0)
        if bad.size:
            i = int(bad[0])
            raise DataError(f"negative uncertainty {s[i]:g} in {table.column_label(isig)}; an "
                            "uncertainty is >= 0: fix the file, or pass columns=(0, 1) to read it "
                            "without sigma", path=path, line=int(table.lines[i]))
        if np.any(s != 0):
            sigma = s[order]
    q, q_from = _quantity(quantity, names[iy] if names else None, path.suffix.lower(), hdr, path)
    x_name, x_unit, y_name, y_unit, convention, _ = QUANTITIES[q]
    meta: dict[str, Any] = {"format": "pdf", "quantity": q, "quantity_from": q_from,
                            "convention": convention, "columns": names}
    meta.update(hdr)
    sample, conditions = "", {}
    if hdr.get("header", {}).get("written_by", "").startswith("structkit"):      # our own write_pdf
        sample = hdr["header"].get("sample", "")
        conditions = {k.split(".", 1)[1]: _number_or_text(v) for k, v in hdr["header"].items()
                      if k.startswith("condition.")}
    return Measurement(x[order], table.values[:, iy][order], sigma=sigma, x_name=x_name,
                       x_unit=x_unit, y_name=y_name, y_unit=y_unit, technique="pdf", sample=sample,
                       conditions=conditions, source=str(path), meta=meta)


def _number_or_text(value: str):
    try:
        return float(value)
    except ValueError:
        return value


_WRITE_LABELS = {"G": ("r($\\AA$)", "G($\\AA^{-2}$)", "gr"), "F": ("Q($\\AA^{-1}$)", "F($\\AA^{-1}$)", "fq"),
                 "S": ("Q($\\AA^{-1}$)", "S", "sq"), "I": ("Q($\\AA^{-1}$)", "I", "iq")}
_WRITE_KEYS = ("composition", "mode", "wavelength", "qmin", "qmax", "qmaxinst", "rpoly", "bgscale", "rho0",
               "lorch", "degree", "background", "radiation")


def write_pdf(measurement: Measurement, path, *, quantity: str | None = None) -> Path:
    """Write G(r) (or F, S, I) as a PDFgetX3-style file that :func:`read_pdf` (and PDFgui) read back.

    The header is an ini ``[DEFAULT]`` section: ``written_by = structkit <version>``, the sample,
    each condition as ``condition.<name> = value`` (read back as conditions), the reduction's
    settings found in ``meta`` (qmin, qmax, qmaxinst, rpoly, composition ...), then
    ``#### start data``, ``#S 1``, ``#L`` and the columns x, y [, dy]. Written atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> m = Measurement(np.array([1.0, 1.01]), np.array([0.5, 0.6]), sigma=np.array([0.1, 0.1]), sample="S1",
    ...                 conditions={"temperature_K": 300.0}, meta={"qmax": 20.0, "quantity": "G"})
    >>> back = read_pdf(write_pdf(m, pathlib.Path(tempfile.mkdtemp()) / "S1.gr"))
    >>> back.sample, dict(back.conditions), back.meta["qmax"], back.sigma.tolist()
    ('S1', {'temperature_K': 300.0}, 20.0, [0.1, 0.1])
    """
    from .. import __version__
    from ..core.atomic import atomic_write_text
    q = quantity or measurement.meta.get("quantity", "G")
    if q not in _WRITE_LABELS:
        raise ConfigError(f"write_pdf: quantity must be one of {', '.join(_WRITE_LABELS)}, got {q!r}")
    xl, yl, kind = _WRITE_LABELS[q]
    meta = dict(measurement.meta)
    alias = {"qmaxinst": meta.get("qmax_inst", meta.get("qmaxinst")), "bgscale": meta.get("bkg_scale", meta.get("bgscale")),
             "wavelength": meta.get("wavelength_angstrom", meta.get("wavelength"))}
    lines = ["[DEFAULT]", "", f"written_by = structkit {__version__}", f"outputtype = {kind}"]
    if measurement.sample:
        lines.append(f"sample = {measurement.sample}")
    for k, v in measurement.conditions.items():
        lines.append(f"condition.{k} = {v}")
    for k in _WRITE_KEYS:
        v = alias.get(k) if alias.get(k) is not None else meta.get(k)
        if v is not None and not isinstance(v, (dict, list, tuple)):
            lines.append(f"{k} = {v}")
    if measurement.source:
        lines.append(f"source = {measurement.source}")
    lines += ["", "#### start data", "#S 1 - PDF from structkit"]
    x, y = np.asarray(measurement.x, dtype=float), np.asarray(measurement.y, dtype=float)
    cols = [x, y]
    label = f"#L {xl}  {yl}"
    if measurement.sigma is not None:
        cols.append(np.asarray(measurement.sigma, dtype=float))
        label += f"  d{yl}"
    lines.append(label)
    body = "\n".join(" ".join(f"{v:.8g}" for v in row) for row in np.column_stack(cols))
    return atomic_write_text(Path(path), "\n".join(lines) + "\n" + body + "\n")
