"""Text loading and the delimited-table parser shared by every text reader.

Three layers, each raising :class:`~structkit.core.errors.ReadError` or
:class:`~structkit.core.errors.DataError` with the file and 1-based line:

* :func:`load_text` reads a file and decodes it (UTF-8, UTF-16 with BOM,
  then Windows-1252), refusing binary content;
* :func:`parse_table` finds the numeric block of a text file (delimiter,
  comment and ``key = value`` header lines, a column-name line) and parses it;
* :func:`read_text` is the generic ``xy`` / ``xye`` / ``csv`` reader built on them.

Examples
--------
>>> t = parse_table(["# wavelength = 1.5406", "two_theta (deg)  intensity", "10 5", "20 7"])
>>> t.names, t.values.tolist(), t.lines.tolist(), t.meta
(['two_theta (deg)', 'intensity'], [[10.0, 5.0], [20.0, 7.0]], [3, 4], {'wavelength': 1.5406})
>>> split_label("r [A]"), split_label("freq/Hz"), split_label("G(r)")
(('r', 'A'), ('freq', 'Hz'), ('G(r)', ''))
>>> spectral_label("Raman Shift (cm-1)"), spectral_label("ppm")
(('raman_shift', 'cm-1'), ('chemical_shift', 'ppm'))
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError
from ..core.measurement import Measurement, monotonic_order

__all__ = [
    "Table",
    "load_text",
    "decode_text",
    "head_text",
    "split_lines",
    "parse_table",
    "split_label",
    "spectral_label",
    "technique_of_axis",
    "footer_meta",
    "parse_number",
    "parse_key_value",
    "check_finite_rows",
    "ordered",
    "wavelength_from_header",
    "read_text",
    "sniff_text",
]

#: Characters that start a comment line.
COMMENT_CHARS = "#!;%"

# C0 control characters other than TAB, LF and CR never occur in a text export.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z_\u00c0-\uffff][^=:]{0,80}?)\s*[=:]\s*(.*?)\s*$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$")
_DELIMITER_NAMES = {None: "whitespace", ",": "comma", ";": "semicolon", "\t": "tab"}

#: Units recognised in ``name(unit)`` labels written without a space.
_KNOWN_UNITS = frozenset({
    "Hz", "kHz", "MHz", "ohm", "Ohm", "ohms", "Ohms", "Ω", "kOhm", "MOhm", "deg", "degree", "degrees",
    "°", "rad", "K", "C", "°C", "degC", "s", "sec", "Sec", "ms", "min", "h", "eV", "meV", "keV",
    "counts", "cts", "a.u.", "arb", "arb.u.", "V", "mV", "A", "mA", "µA", "uA", "nm", "Å", "1/A",
    "1/Å", "A^-1", "Å^-1", "A-1", "Å-1", "cm-1", "cm^-1", "1/cm", "S/cm", "S", "F", "nF", "pF",
    "µF", "uF", "%", "1/nm", "nm^-1", "nm-1", "1/angstrom",
})
_SLASH_UNIT = re.compile(r"^[A-Za-zµΩ°Å%][\w.\-^µΩ°Å%·*]*$")
#: Unit suffixes of structkit-style names (``frequency_Hz``, ``Z_real_ohm``, ``energy_eV``).
_SUFFIX_UNITS = {u.lower(): u for u in (
    "Hz", "kHz", "MHz", "GHz", "ohm", "ohms", "kohm", "deg", "rad", "K", "degC", "eV", "meV", "keV",
    "V", "mV", "mA", "nm", "angstrom", "counts", "cts", "ppm", "percent", "S_per_cm", "inv_angstrom",
    "cm_inv", "inv_cm", "inv_nm", "F", "pF", "nF", "uF", "ps", "ns", "min")}
#: pyFAI's unit names, ``<quantity>_<unit>`` (``2th_deg``, ``q_nm^-1``, ``q_A^-1``, ``r_mm``, ``chi_deg``,
#: ``d*2_A^-2`` ...): the radial or azimuthal quantity and its unit, as pyFAI labels its x column.
_PYFAI_UNIT = re.compile(r"^(2th|q|qx|qy|qip|qoop|r|d|d\*2|chi)_"
                         r"(deg|rad|nm\^-1|A\^-1|m\^-1|nm\^-2|A\^-2|mm|m|nm|A)$", re.IGNORECASE)


# -- loading ---------------------------------------------------------------

def load_text(path) -> str:
    """Read a text file and decode it, or raise a :class:`ReadError` that says why not.

    Examples
    --------
    >>> load_text("/no/such/file.xy")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ReadError: /no/such/file.xy: file not found; check the path (relative paths start at the working directory)
    """
    path = Path(path)
    return decode_text(read_bytes(path), path)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` (the first ``limit`` only, if given), or a ReadError saying why not."""
    try:
        with open(path, "rb") as fh:
            return fh.read() if limit is None else fh.read(limit)
    except FileNotFoundError:
        raise ReadError("file not found; check the path (relative paths start at the "
                        "working directory)", path=path) from None
    except IsADirectoryError:
        raise ReadError("is a folder, not a file; pass the path of a data file", path=path) from None
    except PermissionError:
        raise ReadError("permission denied; check the file's read permissions", path=path) from None
    except OSError as exc:
        raise ReadError(f"cannot read the file ({exc.strerror or exc})", path=path) from None


def decode_text(data: bytes, path=None) -> str:
    """Decode the bytes of a text export, refusing empty and binary content.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are tried first, then
    Windows-1252, the encoding of most instrument PCs (``µ``, ``°``).

    Examples
    --------
    >>> decode_text("2θ\\tI\\n".encode("utf-8"))
    '2θ\\tI\\n'
    >>> decode_text(b"\\x00\\x01\\x02abc", "a.xy")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ReadError: a.xy: binary content (NUL bytes): this is not a text file; check the file, or pass format= if it is HDF5
    """
    if not data.strip():
        raise ReadError("file is empty" + (f" ({len(data)} bytes of whitespace)" if data else "")
                        + "; check the export finished", path=path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"undecodable UTF-16 text at byte {exc.start}; re-export the file "
                            "as UTF-8", path=path) from None
    else:
        if b"\x00" in data:
            raise ReadError("binary content (NUL bytes): this is not a text file; check the file, "
                            "or pass format= if it is HDF5", path=path)
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start) + 1
                raise ReadError(f"undecodable byte 0x{data[exc.start]:02x}: not UTF-8 or "
                                "Windows-1252 text; re-export the file as UTF-8 text",
                                path=path, line=line) from None
    text = text.rstrip("\x1a")  # DOS end-of-file marker
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ReadError(f"binary content (control character 0x{ord(bad.group()):02x}): this is "
                        "not a text export; check the file", path=path, line=line)
    if not text.strip():
        raise ReadError("file is empty; check the export finished", path=path)
    return text


def head_text(head: bytes) -> str:
    """Decode the first few KB of a file for sniffing (lenient, never raises).

    The last line is dropped when it may have been cut by the byte limit.

    Examples
    --------
    >>> head_text(b"EXPLAIN\\nTAG\\tEISPOT\\nZCUR")
    'EXPLAIN\\nTAG\\tEISPOT'
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:  # a character cut by the byte limit
                text = head[: exc.start].decode("utf-8", errors="replace")
            else:
                text = head.decode("cp1252", errors="replace")
        text = text.lstrip("\ufeff")
    if "\n" in text and not text.endswith(("\n", "\r")):
        text = text[: max(text.rfind("\n"), 0)]
    return text


def split_lines(text: str) -> list[str]:
    """Split on LF, CRLF or CR only, so that line numbers match a text editor.

    Examples
    --------
    >>> split_lines("a\\r\\nb\\rc\\n")
    ['a', 'b', 'c', '']
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# -- cells, labels and header lines -----------------------------------------

def parse_number(token: str, *, decimal_comma: bool = True) -> float:
    """Parse one numeric cell; ``1,5`` is accepted as a decimal comma when allowed.

    Raises ``ValueError`` (callers turn it into a ReadError naming the line).

    Examples
    --------
    >>> parse_number("1,5E+3"), parse_number(" -2.5 "), parse_number("nan")
    (1500.0, -2.5, nan)
    """
    try:
        return float(token)
    except ValueError:
        tok = token.strip()
        if decimal_comma and _DECIMAL_COMMA.match(tok):
            return float(tok.replace(",", "."))
        raise


def _to_value(text: str) -> Any:
    try:
        value = parse_number(text)
    except ValueError:
        return text
    return value if np.isfinite(value) else text


def parse_key_value(text: str) -> tuple[str, Any] | None:
    """Split a header line ``key = value``, ``key=value`` or ``key: value``.

    Numeric values become floats. Returns None when the line is not of that form.

    Examples
    --------
    >>> parse_key_value("temperature = 25 C"), parse_key_value("wavelength: 1.5406")
    (('temperature', '25 C'), ('wavelength', 1.5406))
    >>> parse_key_value("two_theta intensity") is None
    True
    """
    m = _KEY_VALUE.match(text)
    if not m:
        return None
    key = m.group(1).strip()
    if not key:
        return None
    return key, _to_value(m.group(2))


def split_label(label: str) -> tuple[str, str]:
    """Split a column label into (name, unit).

    Understood: ``name [unit]``, ``name (unit)`` (with a space, or a known unit
    such as ``Freq(Hz)``), ``name/unit`` (EC-Lab), pyFAI's unit names
    (``2th_deg``, ``2th_rad``, ``q_nm^-1``, ``q_A^-1``, ``r_mm``, ``chi_deg``)
    and structkit's own ``name_unit`` for common units (``frequency_Hz``,
    ``energy_eV``, ``temperature_K``). ``G(r)`` stays a name.

    Examples
    --------
    >>> split_label("two_theta (deg)"), split_label("Zs'[ohm]"), split_label("-Im(Z)/Ohm")
    (('two_theta', 'deg'), ("Zs'", 'ohm'), ('-Im(Z)', 'Ohm'))
    >>> split_label("Z_imag_ohm"), split_label("two_theta"), split_label("sigma_S_per_cm")
    (('Z_imag', 'ohm'), ('two_theta', ''), ('sigma', 'S_per_cm'))
    >>> split_label("q_nm^-1"), split_label("2th_deg"), split_label("q_A^-1")
    (('q', 'nm^-1'), ('2th', 'deg'), ('q', 'A^-1'))
    """
    s = label.strip()
    m = re.match(r"^(.*?)\s*\[([^\[\]]*)\]\s*$", s)
    if m and m.group(1):
        return m.group(1).strip(), m.group(2).strip()
    m = re.match(r"^(.*?)(\s*)\(([^()]*)\)\s*$", s)
    if m and m.group(1) and (m.group(2) or m.group(3).strip() in _KNOWN_UNITS):
        return m.group(1).strip(), m.group(3).strip()
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "/" and depth == 0 and i > 0:
            unit = s[i + 1:].strip()
            if _SLASH_UNIT.match(unit):
                return s[:i].strip(), unit
            break
    m = _PYFAI_UNIT.match(s)
    if m:
        return m.group(1), m.group(2)
    low = s.lower()
    for suffix in sorted(_SUFFIX_UNITS, key=len, reverse=True):
        if low.endswith("_" + suffix) and len(s) > len(suffix) + 1:
            return s[: -len(suffix) - 1], s[len(s) - len(suffix):]
    return s, ""


#: Spellings of the wavenumber unit (lower case, spaces removed) -> ``cm-1``.
_WAVENUMBER_UNITS = frozenset({"cm-1", "cm^-1", "cm^(-1)", "cm**-1", "1/cm", "/cm", "cm-¹", "cm⁻¹",
                               "cm−1", "cm^−1", "rel.1/cm", "rel1/cm", "cm_inv", "inv_cm"})
#: Label names (lower case, ``_``/``-`` as spaces) of spectroscopic axes -> structkit name.
_RAMAN_NAMES = frozenset({"raman shift", "ramanshift", "raman shifts", "rel. wavenumber",
                          "relative wavenumber"})
_WAVENUMBER_NAMES = frozenset({"wavenumber", "wavenumbers", "wave number", "wave numbers"})
_CHEMICAL_SHIFT_NAMES = frozenset({"chemical shift", "chemical shifts"})
#: Short names that say the quantity only with its unit (``Wave (cm-1)``, ``δ (ppm)``).
_RAMAN_IF_CM = frozenset({"raman", "shift", "wave", "wn"})
_SHIFT_IF_PPM = frozenset({"δ", "delta", "cs", "shift"})
_INTENSITY_NAMES = frozenset({"intensity", "intensities", "int.", "int", "raman intensity",
                              "intens"})
#: Labels that are a unit only: the quantity they stand for.
_BARE_UNITS = {"ppm": ("chemical_shift", "ppm"), "hz": ("frequency", "Hz"),
               "khz": ("frequency", "kHz"), "mhz": ("frequency", "MHz"),
               "nm": ("wavelength", "nm"), "nanometers": ("wavelength", "nm"),
               "nanometer": ("wavelength", "nm"), "ev": ("energy", "eV")}


def _normal_unit(unit: str) -> str:
    """``cm-1`` for the spellings of the wavenumber unit; other units as written."""
    return "cm-1" if unit.replace(" ", "").lower() in _WAVENUMBER_UNITS else unit


def spectral_label(label: str, technique: str = "") -> tuple[str, str]:
    """:func:`split_label`, then structkit's names for spectroscopic axes.

    ``Raman Shift (cm-1)`` gives ``("raman_shift", "cm-1")``; ``Wavenumber
    [cm^-1]`` gives ``("wavenumber", "cm-1")``, or ``raman_shift`` when
    ``technique="raman"`` (Raman programs label the shift so); ``Chemical
    shift (ppm)``, ``δ (ppm)`` and a bare ``ppm`` give ``("chemical_shift",
    "ppm")``; a bare ``Hz`` / ``kHz`` ``("frequency", ...)``, a bare ``nm``
    ``("wavelength", "nm")``; ``Intensity (a.u.)`` and ``Int.`` give
    ``intensity``. Short names count only with their unit: ``Shift``,
    ``Raman``, ``Wave``, ``wn`` with ``cm-1``; ``Shift``, ``δ``, ``delta``,
    ``cs`` with ``ppm``. Every spelling of the wavenumber unit (``cm^-1``,
    ``1/cm``, ``cm-¹``, ``1/CM``) becomes ``cm-1``. Other labels are left as
    :func:`split_label` splits them.

    Examples
    --------
    >>> spectral_label("Wavenumber [cm^-1]"), spectral_label("Wavenumber [cm^-1]", "raman")
    (('wavenumber', 'cm-1'), ('raman_shift', 'cm-1'))
    >>> spectral_label("Intensity (a.u.)"), spectral_label("Hz"), spectral_label("1/CM", "raman")
    (('intensity', 'a.u.'), ('frequency', 'Hz'), ('raman_shift', 'cm-1'))
    >>> spectral_label("two_theta (deg)"), spectral_label("Shift (ppm)")
    (('two_theta', 'deg'), ('chemical_shift', 'ppm'))
    """
    name, unit = split_label(label)
    raman = technique.strip().lower() == "raman"
    whole = label.strip()
    if _normal_unit(whole) == "cm-1":
        return ("raman_shift" if raman else "wavenumber"), "cm-1"
    if whole.lower() in _BARE_UNITS:
        return _BARE_UNITS[whole.lower()]
    low = re.sub(r"[\s_\-]+", " ", name.strip().lower())
    norm = _normal_unit(unit)
    if low in _RAMAN_NAMES or (low in _RAMAN_IF_CM and norm == "cm-1"):
        return ("wavenumber" if low in ("wave", "wn") and not raman else "raman_shift"), norm
    if low in _WAVENUMBER_NAMES:
        return ("raman_shift" if raman else "wavenumber"), norm
    if low in _CHEMICAL_SHIFT_NAMES or (low in _SHIFT_IF_PPM and unit.lower() == "ppm"):
        return "chemical_shift", unit
    if low in _INTENSITY_NAMES:
        return "intensity", unit
    if low == "frequency":
        return "frequency", unit
    return name, unit


def technique_of_axis(x_name: str, x_unit: str = "") -> str:
    """``"raman"`` for a Raman-shift axis, ``"nmr"`` for a chemical shift in ppm, else ``""``.

    Examples
    --------
    >>> technique_of_axis("raman_shift", "cm-1"), technique_of_axis("chemical_shift", "ppm")
    ('raman', 'nmr')
    >>> technique_of_axis("two_theta", "deg")
    ''
    """
    if x_name == "raman_shift":
        return "raman"
    if x_name == "chemical_shift" and x_unit.lower() in ("ppm", ""):
        return "nmr"
    return ""


def footer_meta(lines) -> dict:
    """``key: value``, ``key = value`` and ``key<TAB>value`` lines of a trailing metadata block.

    ``[Section]`` lines and lines starting with ``#`` are skipped; a bare
    ``key`` line gives an empty value. Numbers become floats. A key seen twice
    keeps its first value.

    Examples
    --------
    >>> footer_meta(["[Measurement Information]", "Laser wavelength\\t490.20 nm", "Exposure: 10 s",
    ...              "Accumulation\\t3", "User"])
    {'Laser wavelength': '490.20 nm', 'Exposure': '10 s', 'Accumulation': 3.0, 'User': ''}
    """
    meta: dict = {}
    for line in lines:
        s = line.strip()
        if not s or s.startswith("#") or (s.startswith("[") and s.endswith("]")):
            continue
        if "\t" in s:
            key, _, value = s.partition("\t")
            kv = (key.strip(), _to_value(value.strip()))
        else:
            kv = parse_key_value(s) or (s, "")
        if kv[0] and kv[0] not in meta:
            meta[kv[0]] = kv[1]
    return meta


def _split_fields(line: str, delimiter: str | None) -> list[str]:
    s = line.strip()
    if delimiter is None:
        return s.split()
    return [p.strip() for p in s.split(delimiter)]


def _numeric_fields(line: str, delimiter: str | None = None, *, fixed: bool = False):
    """Return (delimiter, values) if every field of ``line`` is a number, else None."""
    s = line.strip()
    if fixed:
        candidates = [delimiter]
    elif "\t" in s:
        candidates = ["\t", None]
    elif ";" in s:
        candidates = [";", None]
    elif "," in s:
        candidates = [",", None]
    else:
        candidates = [None]
    for delim in candidates:
        fields = _split_fields(s, delim)
        if not fields or "" in fields:
            continue
        try:
            values = [parse_number(f, decimal_comma=delim != ",") for f in fields]
        except ValueError:
            continue
        return delim, values
    return None


def _header_tokens(text: str, delimiter: str | None, ncols: int) -> list[str] | None:
    """Split a column-name line into exactly ``ncols`` labels, or return None."""
    candidates = []
    if delimiter is not None and delimiter in text:
        candidates.append([t.strip() for t in text.strip().split(delimiter)])
    if "\t" in text:
        candidates.append([t.strip() for t in text.strip().split("\t")])
    candidates.append(re.split(r"\s{2,}", text.strip()))
    merged: list[str] = []
    for tok in text.split():
        if merged and tok[0] in "([" and not merged[-1].endswith(("(", "[")):
            merged[-1] = f"{merged[-1]} {tok}"
        else:
            merged.append(tok)
    candidates.append(merged)
    for tokens in candidates:
        while tokens and tokens[-1] == "":
            tokens.pop()
        if len(tokens) == ncols and all(tokens):
            return tokens
    return None


def _is_number(token: str) -> bool:
    try:
        parse_number(token)
    except ValueError:
        return False
    return True


# -- the table ----------------------------------------------------------------

@dataclass
class Table:
    """The numeric block of a text file.

    Attributes
    ----------
    names : list of str or None
        Column labels from the header, if one was found.
    values : ndarray, shape (n_rows, n_columns)
        The numbers (NaN/inf kept; see :func:`check_finite_rows`).
    lines : ndarray of int
        1-based line number of each row, for error messages.
    meta : dict
        ``key = value`` header lines (numbers as floats).
    comments : list of str
        Other header text lines (titles, notes).
    delimiter : str or None
        ``","``, ``";"``, ``"\\t"`` or None for whitespace.
    header_line : int or None
        1-based line of the column names.
    """

    names: list[str] | None
    values: np.ndarray
    lines: np.ndarray
    meta: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)
    delimiter: str | None = None
    header_line: int | None = None

    @property
    def ncols(self) -> int:
        return int(self.values.shape[1])

    def column_label(self, j: int) -> str:
        """``'column 2 (Z')'`` for messages (1-based)."""
        name = f" ({self.names[j]})" if self.names and j < len(self.names) else ""
        return f"column {j + 1}{name}"


def parse_table(lines: list[str], path=None, *, start: int = 0, stop: int | None = None,
                comment_chars: str = COMMENT_CHARS, delimiter: str | None | bool = False,
                names: list[str] | None = None, header_line: int | None = None,
                lenient: bool = False) -> Table:
    """Parse the numeric block of ``lines[start:stop]``.

    Rules, in order:

    * Comment lines (first character in ``comment_chars``) and blank lines are
      skipped everywhere. A SPEC-style ``#L name name ...`` comment marks the
      column names; the data are searched after the last one.
    * The data start at the first numeric line followed by two more numeric
      lines with as many values (or by the end of the file). A numeric line
      before that with the same number of values is an error (text
      interrupts the data), and so is a line just before the data that
      starts with a number and has as many fields (a broken first row). With
      ``names`` given, the data must start at the first line.
    * Header lines before the data: ``key = value`` / ``key: value`` go to
      ``meta``; the last other line, if it has one label per column and no
      number among them, gives the column names; the rest are ``comments``.
    * After the start, each line must be a row of the same number of values.
      Text lines after the last row, whose first field is not a number, are a
      footer (kept in ``meta["footer"]``); text followed by more rows is an error.

    Parameters
    ----------
    lines : list of str
        The file's lines (:func:`split_lines`).
    path : str or path-like, optional
        Named in error messages.
    start, stop : int
        0-based slice of ``lines`` to parse; line numbers stay those of the file.
    comment_chars : str
        First characters that mark a comment line (``""`` for none).
    delimiter : str or None, optional
        Force ``","``, ``";"``, ``"\\t"`` or None (whitespace); detected by default.
    names : list of str, optional
        Column names already known (vendor headers); the header is then not searched.
    header_line : int, optional
        1-based line the ``names`` came from, for messages.
    lenient : bool
        Return what parsed before the first bad row instead of raising (for sniffing).

    Raises
    ------
    ReadError
        No numeric rows, text in a numeric column, or ragged rows (with the line).

    Examples
    --------
    >>> parse_table(["x,y", "1,2", "3,oops", "4,5"], "a.csv")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ReadError: a.csv, line 3: text 'oops' in numeric column 2 (y); fix or delete the line, or comment it out with #
    """
    stop = len(lines) if stop is None else min(stop, len(lines))
    fixed = delimiter is not False
    delim = delimiter if fixed else None
    # content lines: (index, stripped text, is_comment)
    content = []
    search_from = 0
    for i in range(start, stop):
        s = lines[i].strip()
        if not s:
            continue
        is_comment = bool(comment_chars) and s[0] in comment_chars
        if is_comment and names is None and re.match(r"^#L\s+\S", s):
            search_from = len(content)
        content.append((i, s, is_comment))
    data_k = None
    ncols = 0
    isolated: list[tuple[int, int, int]] = []  # (content index, n values, index of the text after)
    for k in range(search_from, len(content)):
        i, s, is_comment = content[k]
        if is_comment:
            continue
        found = _numeric_fields(s, delim, fixed=fixed)
        if found is None:
            continue
        d, values = found
        bad_next = None
        checked = 0
        for m in range(k + 1, len(content)):
            if checked == 2:
                break
            if content[m][2]:
                continue
            checked += 1
            nxt = _numeric_fields(content[m][1], d, fixed=True)
            if nxt is None or len(nxt[1]) != len(values):
                bad_next = m
                break
        if bad_next is None:
            data_k, delim, ncols = k, d, len(values)
            break
        isolated.append((k, len(values), bad_next))
    if data_k is None:
        if lenient:
            return Table(names, np.empty((0, 0)), np.empty(0, dtype=int))
        where = f" (lines {start + 1}-{stop})" if start or stop < len(lines) else ""
        raise ReadError(f"no numeric data rows found{where}; check that this is a data file, "
                        "or pass format= to choose the reader", path=path)
    preamble = [(i + 1, s.lstrip(comment_chars).strip() if c else s, c) for i, s, c in content[:data_k]]
    found_names, found_line = (names, header_line) if names is not None else \
        _find_names(preamble, delim, ncols)
    if not lenient:
        for k, n, text_k in isolated:
            if n == ncols:  # data rows interrupted by text: name the columns as of the first row
                i, s, _ = content[text_k]
                early = names if names is not None else _find_names(preamble[:k], delim, ncols)[0]
                _row_error(s, delim, ncols, early, path, i)
        before = [k for k in range(search_from, data_k) if not content[k][2]]
        if before and names is not None:
            # a vendor table (names known) starts right after its header: a bad first row is an error
            _row_error(content[before[0]][1], delim, ncols, names, path, content[before[0]][0])
        if before:
            kb = before[-1]
            fields = _split_fields(content[kb][1], delim)
            if len(fields) == ncols and _is_number(fields[0]):  # a broken first row, not a header
                early = _find_names(preamble[:kb], delim, ncols)[0]
                _row_error(content[kb][1], delim, ncols, early, path, content[kb][0])
    rows: list[list[float]] = []
    row_lines: list[int] = []
    footer: list[str] = []
    decimal_comma = delim != ","
    k = data_k
    while k < len(content):
        i, s, is_comment = content[k]
        k += 1
        if is_comment:
            continue
        fields = _split_fields(s, delim)
        try:
            values = [parse_number(tok, decimal_comma=decimal_comma) for tok in fields]
        except ValueError:
            values = None
        if values is not None and "" not in fields and len(values) == ncols:
            rows.append(values)
            row_lines.append(i + 1)
            continue
        if lenient:
            break
        if values is None and fields and not _is_number(fields[0]) and fields[0] != "" and not any(
                not c[2] and len((_numeric_fields(c[1], delim, fixed=True) or (None, ()))[1]) == ncols
                for c in content[k:]):
            footer = [c[1] for c in content[k - 1:]]
            break
        _row_error(s, delim, ncols, found_names, path, i)
    if names is not None and len(names) != ncols:
        if lenient:
            found_names = None
        else:
            raise ReadError(f"the header names {len(names)} columns but the rows have {ncols}; "
                            "check the file is complete", path=path,
                            line=header_line if header_line else row_lines[0])
    meta: dict = {}
    comments: list[str] = []
    for lineno, text, _ in preamble:
        if lineno == found_line or not text:
            continue
        kv = parse_key_value(text)
        if kv is None:
            comments.append(text)
        else:
            meta[kv[0]] = kv[1]
    if footer:
        meta["footer"] = footer
    return Table(found_names, np.array(rows, dtype=float), np.array(row_lines, dtype=int), meta,
                 comments, delim, found_line)


def _row_error(s: str, delim, ncols: int, names, path, i: int):
    """Raise the ReadError for line index ``i`` that is not a row of ``ncols`` numbers."""
    fields = _split_fields(s, delim)
    for j, tok in enumerate(fields):
        if tok == "":
            raise ReadError(f"empty value in column {j + 1}; fill it or delete the line",
                            path=path, line=i + 1)
        if not _is_number(tok):
            label = f" ({names[j]})" if names and j < len(names) else ""
            where = f"numeric column {j + 1}{label}" if j < ncols else f"extra column {j + 1}"
            raise ReadError(f"text {tok[:40]!r} in {where}; fix or delete the line, or comment "
                            "it out with #", path=path, line=i + 1)
    raise ReadError(f"{len(fields)} values where the other rows have {ncols} "
                    f"({_DELIMITER_NAMES.get(delim, repr(delim))}-delimited); fix the row, or "
                    "check that the file uses one delimiter", path=path, line=i + 1)


def _find_names(preamble, delim, ncols) -> tuple[list[str] | None, int | None]:
    for lineno, text, is_comment in reversed(preamble):
        if not text:
            continue
        if parse_key_value(text) is not None:
            if is_comment:
                continue
            return None, None
        if is_comment and text.startswith("L ") and len(text) > 2:  # SPEC-style "#L r G(r)"
            text = text[2:]
        tokens = _header_tokens(text, delim, ncols)
        if tokens is None or any(_is_number(t) for t in tokens):
            return None, None
        return tokens, lineno
    return None, None


# -- shared checks --------------------------------------------------------------

def check_finite_rows(table: Table, columns, path=None) -> None:
    """Raise a DataError naming the first line whose chosen columns hold NaN or inf.

    Examples
    --------
    >>> t = parse_table(["1 2", "2 nan"])
    >>> check_finite_rows(t, [0, 1], "a.xy")
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: a.xy, line 2: non-finite value nan in column 2; fix or delete the row (structkit never drops rows silently)
    """
    sub = table.values[:, list(columns)]
    bad = ~np.isfinite(sub)
    if bad.any():
        i, k = (int(v) for v in np.argwhere(bad)[0])
        j = list(columns)[k]
        raise DataError(f"non-finite value {sub[i, k]} in {table.column_label(j)}; fix or delete "
                        "the row (structkit never drops rows silently)", path=path,
                        line=int(table.lines[i]))


def ordered(x: np.ndarray, lines: np.ndarray, path=None, name: str = "x") -> slice:
    """:func:`~structkit.core.measurement.monotonic_order`, with the offending line in the error.

    Examples
    --------
    >>> ordered(np.array([3.0, 2.0, 1.0]), np.array([5, 6, 7]))
    slice(None, None, -1)
    >>> ordered(np.array([1.0, 2.0, 2.0]), np.array([5, 6, 7]), "a.xy", "frequency")
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: a.xy, line 7: frequency has a repeated value 2.0 at index 2; remove duplicate rows
    """
    try:
        return monotonic_order(x, source=str(path or ""), name=name)
    except DataError as exc:
        d = np.diff(x)
        zero = np.flatnonzero(d == 0)
        if zero.size:
            i = int(zero[0]) + 1
        else:
            i = int(np.flatnonzero(np.sign(d) != np.sign(d[0]))[0]) + 1
        raise DataError(exc.message, path=path, line=int(lines[i])) from None


def _meta_from_table(table: Table, reserved: dict) -> dict:
    meta = {}
    for key, value in table.meta.items():
        meta[f"header_{key}" if key in reserved else key] = value
    if table.comments:
        meta["comments"] = list(table.comments)
    for key, value in footer_meta(table.meta.get("footer", ())).items():
        if key not in meta and key not in reserved:   # the header wins over the footer
            meta[key] = value
    meta.update(reserved)
    return meta


#: Header key names (lower case, unit removed) that hold a wavelength.
_WAVELENGTH_KEYS = ("wavelength", "lambda", "wave length", "wave_length")
#: Length units -> factor to angstrom.
_LENGTH_TO_ANGSTROM = {"a": 1.0, "å": 1.0, "angstrom": 1.0, "angstroms": 1.0, "ang": 1.0,
                       "nm": 10.0, "pm": 0.01, "m": 1e10}
_VALUE_UNIT = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-zÅ]*)\s*$")


def wavelength_from_header(meta) -> float | None:
    """The wavelength in Å from header keys such as ``wavelength = 0.71414`` or ``Wavelength: 7.1414e-11 m``.

    The unit comes from the value (``m``, ``nm``, ``pm``, ``A``, ``Å``, ``angstrom``)
    or the key (``wavelength (nm)``, ``wavelength_angstrom``). A bare number is
    taken as Å, the unit powder programs write it in, only between 0.01 and 20;
    anything else (or a result outside 0.001-1000 Å) is left alone (None),
    never guessed.

    Examples
    --------
    >>> wavelength_from_header({"wavelength": 0.71414}), wavelength_from_header({"Wavelength": "7.1414e-11 m"})
    (0.71414, 0.71414)
    >>> wavelength_from_header({"lambda (nm)": 0.15406}), wavelength_from_header({"wavelength": 7.1e-11})
    (1.5406, None)
    """
    for key, value in meta.items():
        name, key_unit = split_label(str(key))
        if name.strip().lower() not in _WAVELENGTH_KEYS:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number, unit = float(value), ""
        else:
            m = _VALUE_UNIT.match(str(value))
            if not m:
                continue
            number, unit = float(m.group(1)), m.group(2)
        unit = (unit or key_unit).strip().lower()
        if unit:
            factor = _LENGTH_TO_ANGSTROM.get(unit)
            if factor is None or not 1e-3 <= number * factor <= 1e3:  # also NaN and <= 0
                continue
            return float(f"{number * factor:.12g}")
        if 0.01 <= number <= 20.0:
            return number
    return None


# -- the generic reader -----------------------------------------------------------

def sniff_text(head: bytes) -> bool:
    """True if the head of a file is text with at least one numeric row.

    Examples
    --------
    >>> sniff_text(b"# x y\\n1 2\\n"), sniff_text(b"hello\\n")
    (True, False)
    """
    text = head_text(head)
    if _CONTROL.search(text) or "\ufffd" in text:
        return False
    table = parse_table(split_lines(text), lenient=True)
    return table.values.size > 0


def _select_columns(table: Table, columns, path, *, allowed=(2, 3)) -> list[int]:
    n = table.ncols
    if columns is None:
        if n == 3 and allowed == (2, 3) and table.names and not _names_uncertainty(table.names[2],
                                                                                   table.names[1]):
            raise ReadError(f"3 numeric columns ({', '.join(table.names)}) and the third is not "
                            "named like an uncertainty (err, sigma, dY ...); choose with "
                            "columns=(x, y) or (x, y, sigma)", path=path, line=int(table.lines[0]))
        if n in allowed:
            return list(range(n))
        listed = ", ".join(f"{j}: {table.names[j]}" if table.names else str(j) for j in range(n))
        if n == 1:
            raise ReadError("only one numeric column; a measurement needs x and y columns "
                            "(check the delimiter)", path=path, line=int(table.lines[0]))
        raise ReadError(f"{n} numeric columns ({listed}); choose with columns=(x, y) or "
                        "(x, y, sigma)", path=path, line=int(table.lines[0]))
    if isinstance(columns, (str, int)) or len(columns) not in allowed:
        raise ConfigError(f"columns={columns!r}: give {' or '.join(map(str, allowed))} column "
                          "indices (0-based) or names", path=path)
    picked = []
    for c in columns:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if not 0 <= c < n:
                raise ConfigError(f"columns={tuple(columns)!r}: index {c} is out of range; the file "
                                  f"has {n} columns (0-based)", path=path)
            picked.append(int(c))
        elif isinstance(c, str):
            picked.append(_column_by_name(table, c, path))
        else:
            raise ConfigError(f"columns={columns!r}: entries must be int indices or str names",
                              path=path)
    return picked


def _names_uncertainty(label: str, y_label: str) -> bool:
    """True for ``sigma``, ``err``, ``I_err``, ``dG(r)`` next to ``G(r)``, ``dy`` next to ``y`` ..."""
    name = re.sub(r"[^0-9a-zσδ]", "", split_label(label)[0].lower())
    y = re.sub(r"[^0-9a-zσδ]", "", split_label(y_label)[0].lower())
    if any(w in name for w in ("err", "sigma", "σ", "std", "esd", "uncert", "unc")):
        return True
    return bool(y) and name[:1] in ("d", "δ", "e", "s") and name[1:] == y


def _column_by_name(table: Table, name: str, path) -> int:
    if not table.names:
        raise ConfigError(f"column {name!r} asked for by name, but the file has no header line "
                          "of column names; use 0-based indices", path=path)
    want = name.strip().lower()
    for j, label in enumerate(table.names):
        if label.strip().lower() == want:
            return j
    for j, label in enumerate(table.names):
        if split_label(label)[0].lower() == want:
            return j
    raise ConfigError(f"no column named {name!r}; the columns are {table.names}", path=path)


def read_text(path, *, columns=None, delimiter=False, x_name=None, x_unit=None, y_name=None,
              y_unit=None, technique: str = "") -> Measurement:
    """Read a delimited text file (xy, xye, dat, txt, csv) into a Measurement.

    Parameters
    ----------
    path : str or path-like
        The file.
    columns : sequence of int or str, optional
        Which columns are x, y (and sigma): 0-based indices or header names.
        By default 2 columns are x, y and 3 are x, y, sigma.
    delimiter : str or None, optional
        Force ``","``, ``";"``, ``"\\t"`` or None (whitespace); detected by default.
    x_name, x_unit, y_name, y_unit : str, optional
        Axis names and units; by default from header labels such as
        ``two_theta (deg)`` or ``r [A]``, with the spectroscopic ones named
        by :func:`spectral_label` (``Raman Shift (cm-1)`` -> ``raman_shift``,
        ``cm-1``; ``ppm`` -> ``chemical_shift``, ``ppm``).
    technique : str
        Stored on the Measurement; by default ``"raman"`` for a Raman-shift
        x axis, ``"nmr"`` for a chemical shift in ppm, else empty.

    Returns
    -------
    Measurement
        With ``meta`` holding the header ``key = value`` lines, ``format="text"``
        and the column names; a header wavelength (``wavelength = 0.71414``,
        ``Wavelength: 7.1414e-11 m``) also gives ``wavelength_angstrom``
        (see :func:`wavelength_from_header`). Text lines after the last row
        are kept in ``meta["footer"]``, and their ``key: value`` /
        ``key<TAB>value`` pairs in ``meta`` too (see :func:`footer_meta`;
        the header wins when a key is in both).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.xye").write_text("# r [A]  G  dG\\n1.0 0.5 0.1\\n1.1 0.7 0.1\\n")
    >>> m = read_text(d / "a.xye")
    >>> m.x_label, m.y.tolist(), m.sigma.tolist()
    ('r (A)', [0.5, 0.7], [0.1, 0.1])
    >>> _ = (d / "r.txt").write_text("Raman Shift (cm-1)\\tIntensity (a.u.)\\n300\\t5\\n200\\t7\\n")
    >>> m = read_text(d / "r.txt")
    >>> m.x_label, m.y_label, m.technique, m.x.tolist()
    ('raman_shift (cm-1)', 'intensity (a.u.)', 'raman', [200.0, 300.0])
    """
    lines = split_lines(load_text(path))
    table = parse_table(lines, path, delimiter=delimiter)
    cols = _select_columns(table, columns, path)
    check_finite_rows(table, cols, path)
    labels = [spectral_label(table.names[j], technique) if table.names else ("", "") for j in cols]
    xn = x_name if x_name is not None else (labels[0][0] or "x")
    yn = y_name if y_name is not None else (labels[1][0] or "y")
    x = table.values[:, cols[0]]
    order = ordered(x, table.lines, path, xn)
    reserved = {"format": "text", "columns": list(table.names) if table.names else None,
                "delimiter": _DELIMITER_NAMES.get(table.delimiter, table.delimiter)}
    meta = _meta_from_table(table, reserved)
    wavelength = wavelength_from_header(table.meta)
    if wavelength is not None and "wavelength_angstrom" not in meta:
        meta["wavelength_angstrom"] = wavelength
    xu = x_unit if x_unit is not None else labels[0][1]
    return Measurement(
        x[order], table.values[:, cols[1]][order],
        sigma=table.values[:, cols[2]][order] if len(cols) == 3 else None,
        x_name=xn, x_unit=xu,
        y_name=yn, y_unit=y_unit if y_unit is not None else labels[1][1],
        technique=technique or technique_of_axis(xn, xu), source=str(path), meta=meta)
