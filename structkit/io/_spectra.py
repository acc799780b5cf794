"""Raman and NMR spectra: JASCO and Horiba LabSpec text, Bruker TopSpin 1-D, SPC and WDF.

Every reader here returns a :class:`~structkit.core.measurement.Measurement`
with ``x`` ascending (files that list it from high to low, as Raman shifts
and chemical shifts often are, are reversed; a repeated x value is an error
naming the line) and structkit's axis names (see
:func:`~structkit.io._text.spectral_label`):

* Raman: ``x_name="raman_shift"``, ``x_unit="cm-1"`` (``wavelength`` in
  ``nm`` for a wavelength axis), ``y_name="intensity"``, ``technique="raman"``;
* NMR: ``x_name="chemical_shift"``, ``x_unit="ppm"``, ``technique="nmr"``.

``meta`` keeps what the file says: ``meta["header"]`` the file's own
key/value pairs as written (numbers as floats), and under common names what
the instrument wrote: ``title``, ``date``, ``time``, ``instrument``,
``laser_wavelength_nm``, ``exposure_s``, ``accumulations`` (Raman) and
``nucleus``, ``larmor_MHz`` (NMR), where the file has them.

Formats:

* :func:`read_jasco` - JASCO Spectra Manager text export (``TITLE ... XYDATA``
  then x<TAB>y rows, then an optional "Extended Information" block);
* :func:`read_labspec` - Horiba LabSpec text export (``#key=value`` header,
  then x<TAB>y rows);
* :func:`read_topspin` - Bruker TopSpin processed 1-D data (``1r`` + ``procs``
  in ``<expno>/pdata/<procno>``, ``acqus`` in ``<expno>``);
* :func:`read_spc` - Galactic/Thermo GRAMS ``.spc`` (new LSB format), through
  the optional ``spc-io`` package (``structkit[spc]``);
* :func:`read_wdf` - Renishaw WiRE ``.wdf``, through Renishaw's optional
  ``renishaw-wdf`` package (``structkit[wdf]``).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> head = ["TITLE\\tLS4", "DATA TYPE\\tRAMAN SPECTRUM", "XUNITS\\t1/CM", "YUNITS\\tINTENSITY",
...         "NPOINTS\\t3", "XYDATA"]
>>> _ = (d / "ls4.txt").write_text("\\r\\n".join(head + ["580.2\\t10", "580.4\\t12", "580.6\\t11"]))
>>> m = read_jasco(d / "ls4.txt")
>>> m.technique, m.x_label, m.y.tolist(), m.meta["title"]
('raman', 'raman_shift (cm-1)', [10.0, 12.0, 11.0], 'LS4')
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, MissingDependencyError, ReadError
from ..core.measurement import Measurement, monotonic_order
from ._text import (
    Table,
    _is_number,
    _numeric_fields,
    _row_error,
    _split_fields,
    _to_value,
    check_finite_rows,
    footer_meta,
    head_text,
    load_text,
    ordered,
    parse_table,
    read_bytes,
    spectral_label,
    split_label,
    split_lines,
    technique_of_axis,
)

__all__ = [
    "read_jasco", "sniff_jasco",
    "read_labspec", "sniff_labspec",
    "read_topspin", "sniff_topspin_path",
    "read_spc", "sniff_spc",
    "read_wdf", "sniff_wdf",
]

#: Names :func:`spectral_label` gives to spectral axes (as opposed to a label it left alone).
_SPECTRAL_AXES = frozenset({"raman_shift", "wavenumber", "chemical_shift", "frequency", "wavelength",
                            "energy"})
_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([^\d\s].*?)?\s*$")
_SECONDS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "ms": 1e-3,
            "msec": 1e-3, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0}


# -- shared helpers ---------------------------------------------------------------

def _quantity(value) -> tuple[float, str] | None:
    """``(number, unit)`` of ``300 sec``, ``490.20 nm``, ``532nm_Edge``, ``3`` or 3.0; None otherwise.

    Examples
    --------
    >>> _quantity("490.20 nm"), _quantity(3.0), _quantity("532nm_Edge"), _quantity("Open")
    ((490.2, 'nm'), (3.0, ''), (532.0, 'nm_Edge'), None)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), "") if np.isfinite(value) else None
    m = _QUANTITY.match(str(value))
    if not m:
        return None
    return float(m.group(1)), (m.group(2) or "").strip()


def _seconds(value, key_unit: str = "") -> float | None:
    """An exposure in seconds from ``300 sec``, ``0.5 s``, ``100 ms`` (or a number and ``key_unit``)."""
    q = _quantity(value)
    if q is None:
        return None
    number, unit = q
    factor = _SECONDS.get((unit or key_unit).strip().lower())
    return None if factor is None else number * factor


def _laser_nm(value, key_unit: str = "") -> float | None:
    """A laser wavelength in nm from ``490.20 nm``, ``532nm_Edge`` or a number with ``key_unit`` nm."""
    q = _quantity(value)
    if q is None:
        return None
    number, unit = q
    unit = (unit or key_unit).strip().lower()
    if unit.startswith("nm"):
        return number if 100.0 <= number <= 2000.0 else None
    return None


def _count(value) -> int | None:
    q = _quantity(value)
    if q is None or q[1] or q[0] < 0 or q[0] != int(q[0]):
        return None
    return int(q[0])


def _text_value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _lookup(mapping, *names):
    """The value of the first of ``names`` in ``mapping`` (case-insensitive), or None."""
    lower = {str(k).strip().lower(): v for k, v in mapping.items()}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _sample_from(mapping) -> str:
    value = _lookup(mapping, "Sample name", "Sample", "Sample ID", "SampleName")
    return "" if value is None else _text_value(value)


def _axis_from_unit(unit: str, technique: str) -> tuple[str, str]:
    """Name an axis from a unit alone: ``1/cm`` -> raman_shift (Raman files), ``nm`` -> wavelength."""
    if not unit:
        return "x", ""
    name, u = spectral_label(unit, technique)
    if name in _SPECTRAL_AXES:
        return name, u
    return "x", unit


def _sorted_measurement(path, x, y, lines, *, x_name, x_unit, y_name, y_unit, technique, meta,
                        sample="", conditions=None) -> Measurement:
    order = ordered(x, lines, path, x_name)
    return Measurement(x[order], y[order], x_name=x_name, x_unit=x_unit, y_name=y_name,
                       y_unit=y_unit, sample=sample, conditions=conditions or {},
                       technique=technique, source=str(path), meta=meta)


# -- JASCO ------------------------------------------------------------------------

#: Header keys of a JASCO text export (the JCAMP-DX labels, without ``##``).
_JASCO_KEYS = frozenset({"TITLE", "DATA TYPE", "ORIGIN", "OWNER", "DATE", "TIME",
                         "SPECTROMETER/DATA SYSTEM", "LOCALE", "RESOLUTION", "DELTAX", "XUNITS",
                         "YUNITS", "FIRSTX", "LASTX", "NPOINTS", "FIRSTY", "MAXY", "MINY", "MAXX",
                         "MINX", "XFACTOR", "YFACTOR", "PATHLENGTH", "SAMPLING PROCEDURE"})
_JASCO_KEY = re.compile(r"^[A-Z][A-Z0-9 /._()\-]*$")


def _jasco_split(line: str) -> tuple[str, str]:
    s = line.strip()
    for sep in ("\t", ","):
        if sep in s:
            key, _, value = s.partition(sep)
            return key.strip(), value.strip()
    return s, ""


def _jasco_xydata(lines) -> int | None:
    """Index of the ``XYDATA`` line if every line before it is a JASCO ``KEY<TAB>value`` header."""
    keys = set()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        key = _jasco_split(line)[0]
        if key == "XYDATA":
            return i if len(keys & _JASCO_KEYS) >= 2 and keys & {"XUNITS", "NPOINTS", "FIRSTX"} else None
        if not _JASCO_KEY.match(key):
            return None
        keys.add(key)
    return None


def sniff_jasco(head: bytes) -> bool:
    """True for a JASCO text export: ``KEY<TAB>value`` lines (TITLE, XUNITS, NPOINTS ...), then ``XYDATA``.

    Examples
    --------
    >>> sniff_jasco(b"TITLE\\t\\r\\nXUNITS\\t1/CM\\r\\nNPOINTS\\t2\\r\\nXYDATA\\r\\n1\\t2\\r\\n2\\t3\\r\\n")
    True
    >>> sniff_jasco(b"# x y\\nXYDATA\\n1 2\\n")
    False
    """
    return _jasco_xydata(split_lines(head_text(head))) is not None


def _jasco_trailing(lines) -> dict[str, dict]:
    """The trailing "Extended Information" block as ``{section: {key: value}}`` (``""``: no section)."""
    sections: dict[str, dict] = {}
    section = ""
    for line in lines:
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
            sections.setdefault(section, {})
            continue
        kv = footer_meta([s])
        for key, value in kv.items():
            sections.setdefault(section, {}).setdefault(key, value)
    return {k: v for k, v in sections.items() if v}


def read_jasco(path, *, column: int = 1) -> Measurement:
    """Read a JASCO Spectra Manager text export (Raman, IR, UV-Vis ...).

    The file is a header of ``KEY<TAB>value`` lines (``TITLE``, ``DATA TYPE``,
    ``DATE``, ``XUNITS``, ``YUNITS``, ``FIRSTX``, ``NPOINTS`` ...; comma
    instead of tab in the CSV export), a line ``XYDATA``, every data row
    (x<TAB>y), and optionally an "Extended Information" block of
    ``[Section]`` and ``key<TAB>value`` lines, which is read as metadata.
    Every row is kept (the first one too), and their count must equal
    ``NPOINTS``.

    Parameters
    ----------
    path : str or path-like
    column : int
        0-based column of y, for exports with more than one y column
        (1, the column after x, by default).

    Returns
    -------
    Measurement
        ``raman_shift`` in ``cm-1`` and ``technique="raman"`` for a Raman
        spectrum (``DATA TYPE`` ``RAMAN SPECTRUM``, or a ``Raman Shift``
        horizontal axis); otherwise the axis named from ``XUNITS`` (``1/CM``
        -> ``wavenumber``, ``NANOMETERS`` -> ``wavelength``). ``meta``:
        ``header`` (the header lines), ``extended`` (``{section: {key:
        value}}`` of the trailing block), ``footer`` (its lines as written),
        ``npoints``, ``title``, ``data_type``, ``date``, ``time``,
        ``instrument``, ``serial_number``, ``laser_wavelength_nm``,
        ``exposure_s``, ``accumulations`` where present. A non-empty
        ``Sample name`` is the sample.

    Raises
    ------
    ReadError
        No ``XYDATA`` line, no rows after it, a broken row, a data row after
        the trailing block, or a row count that differs from ``NPOINTS``.
    DataError
        A NaN/inf value, or a repeated x value (with the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["TITLE\\t", "DATA TYPE\\tRAMAN SPECTRUM", "XUNITS\\t1/CM", "NPOINTS\\t3", "XYDATA",
    ...         "100\\t5", "101\\t6", "102\\t7", "", "[Measurement Information]",
    ...         "Laser wavelength\\t532.0 nm", "Exposure\\t10 sec", "Accumulation\\t2"]
    >>> _ = (d / "a.txt").write_text("\\n".join(rows))
    >>> m = read_jasco(d / "a.txt")
    >>> len(m), m.meta["laser_wavelength_nm"], m.meta["exposure_s"], m.meta["accumulations"]
    (3, 532.0, 10.0, 2)
    """
    path = Path(path)
    lines = split_lines(load_text(path))
    xy = _jasco_xydata(lines)
    if xy is None:
        if not any(_jasco_split(line)[0] == "XYDATA" for line in lines):
            raise ReadError("no XYDATA line: a JASCO text export has KEY<TAB>value header lines, "
                            "then XYDATA, then x<TAB>y rows; check the file is complete, or read "
                            "it with format='text'", path=path)
        raise ReadError("the lines before XYDATA are not a JASCO header (KEY<TAB>value lines "
                        "such as XUNITS and NPOINTS); read it with format='text'", path=path)
    header: dict[str, Any] = {}
    for line in lines[:xy]:
        if line.strip():
            key, value = _jasco_split(line)
            header[key] = _to_value(value) if value else ""

    rows: list[list[float]] = []
    row_lines: list[int] = []
    delim: str | None = None
    ncols = 0
    trailing_from = len(lines)
    for k in range(xy + 1, len(lines)):
        s = lines[k].strip()
        if not s:
            continue
        found = _numeric_fields(s, delim, fixed=bool(rows))
        if found is not None and (not rows or len(found[1]) == ncols):
            if not rows:
                delim, ncols = found[0], len(found[1])
                if ncols < 2:
                    raise ReadError("one value on the first row after XYDATA; a JASCO export "
                                    "has x<TAB>y rows", path=path, line=k + 1)
            rows.append(found[1])
            row_lines.append(k + 1)
            continue
        if not rows:
            raise ReadError(f"no data rows after XYDATA (line {xy + 1}): this line should be "
                            "the first x<TAB>y row; check the export", path=path, line=k + 1)
        fields = _split_fields(s, delim)
        if found is not None or (fields and _is_number(fields[0])):
            _row_error(s, delim, ncols, ["x", "y"], path, k)   # a broken row, not metadata
        trailing_from = k
        break
    if not rows:
        raise ReadError(f"no data rows after XYDATA (line {xy + 1}); the export is incomplete: "
                        "re-export the spectrum", path=path)
    trailing = lines[trailing_from:]
    for j, line in enumerate(trailing):
        again = _numeric_fields(line.strip(), delim, fixed=True) if line.strip() else None
        if again is not None and len(again[1]) == ncols:
            raise ReadError(f"a data row after the trailing metadata block (which starts at line "
                            f"{trailing_from + 1}); the file looks like two exports joined: "
                            "keep one", path=path, line=trailing_from + j + 1)

    npoints = header.get("NPOINTS")
    if npoints not in (None, ""):
        n = _count(npoints)
        if n is None:
            raise ReadError(f"NPOINTS is {npoints!r}, not a count; fix the header line",
                            path=path, line=next(i + 1 for i, line in enumerate(lines[:xy])
                                                 if _jasco_split(line)[0] == "NPOINTS"))
        if n != len(rows):
            raise ReadError(f"NPOINTS says {n} points but {len(rows)} data rows follow XYDATA "
                            f"(lines {row_lines[0]}-{row_lines[-1]}); the file is truncated or "
                            "was edited: re-export it, or correct NPOINTS", path=path)
    sections = _jasco_trailing(trailing)
    flat: dict[str, Any] = {}
    for values in sections.values():
        for key, value in values.items():
            flat.setdefault(key, value)
    stated = _lookup(flat, "Data points")
    if stated not in (None, "") and _count(stated) is not None and _count(stated) != len(rows):
        raise ReadError(f"the Extended Information says {_count(stated)} data points but "
                        f"{len(rows)} data rows follow XYDATA; the file is truncated or was edited: "
                        "re-export it", path=path)
    if not isinstance(column, (int, np.integer)) or isinstance(column, bool) or not 1 <= column < ncols:
        raise ConfigError(f"column={column!r}: give the 0-based y column, 1..{ncols - 1} (this file "
                          f"has {ncols} columns, x first)", path=path)

    data_type = _text_value(header.get("DATA TYPE", ""))
    technique = "raman" if "RAMAN" in data_type.upper() else ("nmr" if "NMR" in data_type.upper() else "")
    x_name, x_unit = "x", ""
    h_axis = _lookup(flat, "Horizontal axis")
    if h_axis:
        x_name, x_unit = spectral_label(_text_value(h_axis), technique)
    if x_name not in _SPECTRAL_AXES:
        x_name, x_unit = _axis_from_unit(_text_value(header.get("XUNITS", "")), technique)
    technique = technique or technique_of_axis(x_name, x_unit)
    y_name, y_unit = "y", ""
    if column == 1:
        y_label = _lookup(flat, "Vertical axis") or header.get("YUNITS", "")
        if y_label:
            name, y_unit = spectral_label(_text_value(y_label), technique)
            y_name = re.sub(r"\W+", "_", name.strip().lower()).strip("_") or "y"

    values = np.array(rows, dtype=float)
    table = Table([x_name, y_name] + [f"column {j + 1}" for j in range(2, ncols)], values,
                  np.array(row_lines, dtype=int))
    check_finite_rows(table, [0, column], path)
    meta: dict[str, Any] = {"format": "jasco", "header": header, "npoints": len(rows)}
    if sections:
        meta["extended"] = sections
    footer = [line.strip() for line in trailing if line.strip()]
    if footer:
        meta["footer"] = footer   # the trailing lines as written, as the text reader keeps them
    if ncols > 2:
        meta["n_columns"] = ncols
        meta["y_column"] = int(column)
    for key, name in (("TITLE", "title"), ("DATA TYPE", "data_type"), ("DATE", "date"),
                      ("TIME", "time"), ("XUNITS", "x_units"), ("YUNITS", "y_units")):
        value = _text_value(header.get(key, ""))
        if value:
            meta[name] = value
    instrument = _lookup(flat, "Model Name") or header.get("SPECTROMETER/DATA SYSTEM")
    if instrument not in (None, ""):
        meta["instrument"] = _text_value(instrument)
    serial = _lookup(flat, "Serial Number")
    if serial not in (None, ""):
        meta["serial_number"] = _text_value(serial)
    comment = _lookup(flat, "Comment")
    if comment not in (None, ""):
        meta["comment"] = _text_value(comment)
    laser = _laser_nm(_lookup(flat, "Laser wavelength", "Excitation wavelength") or "")
    if laser is not None:
        meta["laser_wavelength_nm"] = laser
    exposure = _seconds(_lookup(flat, "Exposure", "Exposure time") or "")
    if exposure is not None:
        meta["exposure_s"] = exposure
    accumulations = _count(_lookup(flat, "Accumulation", "Accumulations") or "")
    if accumulations is not None:
        meta["accumulations"] = accumulations
    return _sorted_measurement(path, values[:, 0], values[:, column], table.lines, x_name=x_name,
                               x_unit=x_unit, y_name=y_name, y_unit=y_unit, technique=technique,
                               meta=meta, sample=_sample_from(flat))


# -- Horiba LabSpec ------------------------------------------------------------------

_LABSPEC_KEY = re.compile(
    r"^#\s*(Acq\. time|Accumulations|Range|Windows|Auto scanning|Autofocus|AutoExposure|"
    r"Spike filter|Delay time|Binning|Readout mode|DeNoise|ICS correction|Dark correction|"
    r"Inst\. Process|Detector temperature|Instrument|Detector|Objective|Grating|ND Filter|Laser|"
    r"Hole|Slit|Diffraction order|Spectro|AxisType|AxisUnit|VersionFile|Acquired)\b[^=\n]{0,24}=",
    re.MULTILINE | re.IGNORECASE)


def sniff_labspec(head: bytes) -> bool:
    """True for a Horiba LabSpec text export: ``#key=value`` lines with at least two LabSpec keys first.

    Examples
    --------
    >>> sniff_labspec(b"#Acq. time (s)=\\t10\\n#Laser (nm)=\\t532.04\\n1600\\t5\\n1599\\t6\\n")
    True
    >>> sniff_labspec(b"# wavelength = 1.54\\n10 5\\n")
    False
    """
    text = head_text(head)
    first = next((line.strip() for line in split_lines(text) if line.strip()), "")
    if not first.startswith("#"):
        return False
    keys = {m.group(1).lower() for m in _LABSPEC_KEY.finditer(text)}
    return len(keys) >= 2


def _labspec_x_axis(header: dict) -> tuple[str, str]:
    """The x axis from ``AxisUnit[1]``, else from the unit of ``Range (...)`` / ``Spectro (...)``."""
    unit = ""
    for key, value in header.items():
        if re.fullmatch(r"AxisUnit\[1\]", str(key).strip(), re.IGNORECASE):
            unit = _text_value(value)
            break
    else:
        for key in header:
            name, key_unit = split_label(str(key))
            if name.strip().lower() in ("range", "spectro") and key_unit:
                unit = key_unit
                break
    if not unit:
        return "x", ""
    name, u = spectral_label(unit, "raman")   # LabSpec's 1/cm axis is the Raman shift
    return (name, u) if name in _SPECTRAL_AXES else ("x", unit)


def _labspec_y_unit(header: dict) -> str:
    for key, value in header.items():
        if re.fullmatch(r"AxisUnit\[0\]", str(key).strip(), re.IGNORECASE):
            unit = _text_value(value)
            return {"cnt": "counts", "cnt/sec": "counts/s", "cnt/s": "counts/s"}.get(unit.lower(), unit)
    return ""


def read_labspec(path, *, x_name: str | None = None, x_unit: str | None = None) -> Measurement:
    """Read a Horiba LabSpec (5, 6) single-spectrum text export.

    ``#key=value`` header lines (``#Acq. time (s)=``, ``#Accumulations=``,
    ``#Laser (nm)=``, ``#Grating=``, ``#Title=``, ``#Date=`` ...), then
    x<TAB>y rows; x (Raman shift or wavelength) usually runs from high to low
    and is reversed. The x unit comes from ``#AxisUnit[1]=``, else from the
    unit of ``#Range (...)=`` / ``#Spectro (...)=`` (``1/cm`` and ``cm-¹``
    give ``raman_shift`` in ``cm-1``, ``nm`` gives ``wavelength``); an export
    that says neither gets ``x`` with no unit and a ``meta["x_unit_note"]``
    (pass ``x_unit=`` and ``x_name=``).

    Parameters
    ----------
    path : str or path-like
    x_name, x_unit : str, optional
        Override the x axis name and unit.

    Returns
    -------
    Measurement
        ``technique="raman"`` for a Raman-shift axis. ``meta``: ``header``
        (the ``#key=value`` lines), ``title``, ``date``, ``instrument``,
        ``laser_wavelength_nm``, ``exposure_s``, ``accumulations``,
        ``grating``, ``objective`` where present.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["#Acq. time (s)=\\t10", "#Accumulations=\\t2", "#Range (cm-¹)=\\t100...3500",
    ...         "#Laser (nm)=\\t532.04", "1602.5\\t7", "1601.0\\t9", "1599.5\\t8"]
    >>> _ = (d / "s.txt").write_text("\\n".join(rows), encoding="utf-8")
    >>> m = read_labspec(d / "s.txt")
    >>> m.x.tolist(), m.x_label, m.meta["laser_wavelength_nm"], m.meta["exposure_s"]
    ([1599.5, 1601.0, 1602.5], 'raman_shift (cm-1)', 532.04, 10.0)
    """
    path = Path(path)
    lines = split_lines(load_text(path))
    table = parse_table(lines, path, comment_chars="#")
    if table.ncols != 2:
        raise ReadError(f"{table.ncols} numeric columns: only single-spectrum LabSpec exports "
                        "(x<TAB>y) are read; export one spectrum (File > Export > Data as text), "
                        "or read the table with format='text', columns=(x, y)",
                        path=path, line=int(table.lines[0]))
    check_finite_rows(table, [0, 1], path)
    header = {k: v for k, v in table.meta.items() if k != "footer"}
    name, unit = _labspec_x_axis(header)
    meta: dict[str, Any] = {"format": "labspec", "header": header}
    if name == "x" and not unit and x_unit is None:
        meta["x_unit_note"] = ("the export says neither #AxisUnit[1] nor a unit in #Range/#Spectro; "
                               "pass x_unit= (and x_name=) to read(), e.g. x_name='raman_shift', "
                               "x_unit='cm-1'")
    xn = x_name if x_name is not None else name
    xu = x_unit if x_unit is not None else unit
    if table.comments:
        meta["comments"] = list(table.comments)
    if "footer" in table.meta:
        meta["footer"] = table.meta["footer"]
    for keys, out in ((("Title",), "title"), (("Date", "Acquired"), "date"),
                      (("Instrument",), "instrument"), (("Grating",), "grating"),
                      (("Objective",), "objective"), (("Detector",), "detector")):
        value = _lookup(header, *keys)
        if value not in (None, ""):
            meta[out] = _text_value(value)
    laser = _lookup(header, "Laser (nm)")
    laser_nm = _laser_nm(laser, "nm") if laser is not None else _laser_nm(_lookup(header, "Laser") or "")
    if laser_nm is not None:
        meta["laser_wavelength_nm"] = laser_nm
    exposure = _lookup(header, "Acq. time (s)")
    if exposure is not None:
        exposure_s = _seconds(exposure, "s")
    else:
        exposure_s = _seconds(_lookup(header, "Acq. time") or "")
    if exposure_s is not None:
        meta["exposure_s"] = exposure_s
    accumulations = _count(_lookup(header, "Accumulations") or "")
    if accumulations is not None:
        meta["accumulations"] = accumulations
    return _sorted_measurement(path, table.values[:, 0], table.values[:, 1], table.lines,
                               x_name=xn, x_unit=xu, y_name="intensity",
                               y_unit=_labspec_y_unit(header), technique=technique_of_axis(xn, xu),
                               meta=meta, sample=_sample_from(header))


# -- Bruker TopSpin processed 1-D ------------------------------------------------------

_JCAMP_LINE = re.compile(r"^##\$?([^=]+)=\s*(.*?)\s*$")
_INT = re.compile(r"^[+-]?\d+$")


def _jcamp_value(text: str) -> Any:
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    if _INT.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _jcamp_params(path: Path) -> dict[str, Any]:
    """The scalar parameters of a TopSpin JCAMP-style file (``procs``, ``acqus``); arrays are skipped."""
    params: dict[str, Any] = {}
    for line in split_lines(load_text(path)):
        m = _JCAMP_LINE.match(line)
        if not m:
            continue
        key, value = m.group(1).strip(), m.group(2)
        if value.startswith("("):
            continue   # an array, its values on the next lines
        params[key] = _jcamp_value(value)
    return params


def sniff_topspin_path(path) -> bool:
    """True for a TopSpin processed-data folder (``procs`` in it), an experiment folder, or a ``1r`` file.

    Examples
    --------
    >>> sniff_topspin_path("/no/such/1r")
    False
    """
    p = Path(path)
    if p.is_dir():
        return (p / "procs").is_file() or ((p / "acqus").is_file() and (p / "pdata").is_dir())
    return p.name == "1r" and (p.parent / "procs").is_file()


def _topspin_folder(p: Path, procno) -> tuple[Path, Path]:
    """``(pdata/<procno> folder, its 1r file)`` for a pdata folder, an experiment folder or a 1r file."""
    if not p.exists():
        raise ReadError("not found; pass a TopSpin <expno>/pdata/<procno> folder or its 1r file",
                        path=p)
    if p.is_file():
        if procno is not None:
            raise ConfigError("procno= applies to an experiment folder (<expno>), not to a file",
                              path=p)
        return p.parent, p if p.name == "1r" else p.parent / "1r"
    if (p / "procs").is_file():
        if procno is not None and str(procno) != p.name:
            raise ConfigError(f"procno={procno!r} given for the processed-data folder {p.name!r}; "
                              "pass the experiment folder with procno=, or this folder alone",
                              path=p)
        return p, p / "1r"
    pdata = p / "pdata"
    if not pdata.is_dir():
        raise ReadError("a folder with neither procs (pdata/<procno>) nor pdata/ (<expno>): not a "
                        "TopSpin dataset; pass <expno>/pdata/<procno>", path=p)
    found = sorted((d.name for d in pdata.iterdir() if (d / "procs").is_file()),
                   key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))
    if procno is not None:
        if str(procno) not in found:
            raise ConfigError(f"procno={procno!r}: no pdata/{procno}/procs; processed data: "
                              f"{', '.join(found) or 'none'}", path=p)
        return pdata / str(procno), pdata / str(procno) / "1r"
    if not found:
        raise ReadError("no processed data (pdata/<procno>/procs): process the FID in TopSpin "
                        "(efp / ft) first", path=p)
    if len(found) > 1:
        raise ReadError(f"{len(found)} processed data sets (pdata/{', pdata/'.join(found)}); pass "
                        "procno= or the pdata/<procno> folder", path=p)
    return pdata / found[0], pdata / found[0] / "1r"


def read_topspin(path, *, procno: int | str | None = None) -> Measurement:
    """Read a Bruker TopSpin processed 1-D spectrum (``1r`` and ``procs``; ``acqus`` for the nucleus).

    ``1r`` holds ``SI`` real points, int32 (``DTYPP=0``) or float64
    (``DTYPP=2``), little-endian unless ``BYTORDP=1``, scaled by
    ``2**NC_proc`` (as nmrglue's ``scale_pdata`` does). Point ``i`` (0-based,
    as stored: high to low ppm) is at::

        ppm_i = OFFSET - i * SW_p / (SF * SI)

    ``OFFSET`` is the ppm of the first point, ``SW_p`` the spectral width
    (Hz), ``SF`` the spectrometer reference frequency (MHz). The spacing is
    ``SW_p / SI`` (not ``/(SI - 1)``): the Fourier transform of ``SI`` points
    over a width ``SW_p`` gives points ``SW_p / SI`` apart, so the last one
    lies one spacing above ``OFFSET - SW_p / SF`` (the convention of TopSpin
    and of nmrglue's ``unit_conversion``). The points are returned from low
    to high ppm.

    Parameters
    ----------
    path : str or path-like
        ``<expno>/pdata/<procno>``, its ``1r`` file, or ``<expno>`` when it has
        one processed data set (else pass ``procno``).
    procno : int or str, optional
        Which ``pdata/<procno>`` of an experiment folder.

    Returns
    -------
    Measurement
        ``chemical_shift`` in ``ppm``, ``intensity`` (arbitrary units),
        ``technique="nmr"``; the sample is the data set name (the folder
        above ``<expno>``), ``temperature_K`` the acquisition temperature
        ``TE``. ``meta``: ``nucleus`` (``NUC1`` of acqus, e.g. ``"7Li"``),
        ``larmor_MHz`` (``SF``), ``spectral_width_Hz``, ``offset_ppm``,
        ``si``, ``nc_proc``, ``dtypp``, ``bytordp``, and from acqus
        ``sfo1_MHz``, ``bf1_MHz``, ``pulprog``, ``ns``, ``mas_rate_Hz``
        (``MASR``), ``acquired`` (``DATE``, ISO 8601 UTC), ``title`` (the
        pdata ``title`` file), ``dataset``, ``expno``, ``procno``.

    Raises
    ------
    ReadError
        Missing ``procs``/``1r``, a missing or impossible parameter, or a
        ``1r`` whose size is not ``SI`` points.
    DataError
        NaN/inf in ``1r``.
    """
    p = Path(path)
    folder, data_file = _topspin_folder(p, procno)
    procs_path = folder / "procs"
    if not data_file.is_file():
        if (folder / "2rr").is_file():
            raise ReadError("2-D processed data (2rr): only 1-D spectra (1r) are read; extract a "
                            "1-D row, column or projection in TopSpin and read its 1r", path=folder)
        raise ReadError("no 1r file next to procs: the spectrum was not processed (run efp / ft "
                        "in TopSpin)", path=folder)
    procs = _jcamp_params(procs_path)
    needed = {}
    for key in ("SI", "OFFSET", "SW_p", "SF"):
        value = procs.get(key)
        if not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ReadError(f"no numeric {key} in procs ({value!r}); the processing parameters "
                            "are incomplete: reprocess the spectrum in TopSpin", path=procs_path)
        needed[key] = float(value)
    si = int(needed["SI"])
    if si < 2 or si != needed["SI"]:
        raise ReadError(f"SI={procs['SI']!r} in procs is not a point count >= 2", path=procs_path)
    if needed["SF"] <= 0 or needed["SW_p"] <= 0:
        raise ReadError(f"SF={needed['SF']!r} MHz and SW_p={needed['SW_p']!r} Hz in procs must be "
                        "positive", path=procs_path)
    dtypp = procs.get("DTYPP", 0)
    if dtypp not in (0, 2):
        raise ReadError(f"DTYPP={dtypp!r} in procs: 1r is read as int32 (0) or float64 (2) only",
                        path=procs_path)
    bytordp = procs.get("BYTORDP", 0)
    if bytordp not in (0, 1):
        raise ReadError(f"BYTORDP={bytordp!r} in procs: expected 0 (little-endian) or 1 (big-endian)",
                        path=procs_path)
    nc_proc = procs.get("NC_proc", 0)
    if not isinstance(nc_proc, (int, float)):
        raise ReadError(f"NC_proc={nc_proc!r} in procs is not a number", path=procs_path)
    if procs.get("PPARMOD") not in (None, 0):
        raise ReadError(f"PPARMOD={procs['PPARMOD']!r}: not 1-D processed data; only 1-D spectra "
                        "are read", path=procs_path)
    dtype = np.dtype(("<" if bytordp == 0 else ">") + ("f8" if dtypp == 2 else "i4"))
    raw = read_bytes(data_file)
    if len(raw) != si * dtype.itemsize:
        kind = "float64" if dtypp == 2 else "int32"
        raise ReadError(f"1r holds {len(raw)} bytes but procs says SI={si} {kind} points "
                        f"({si * dtype.itemsize} bytes, DTYPP={dtypp}); the data and procs do not "
                        "match: reprocess the spectrum in TopSpin, or copy the whole pdata folder",
                        path=data_file)
    y = np.frombuffer(raw, dtype=dtype).astype(float) * 2.0 ** float(nc_proc)
    bad = ~np.isfinite(y)
    if bad.any():
        raise DataError(f"1r holds {int(bad.sum())} non-finite value(s), first at point "
                        f"{int(np.flatnonzero(bad)[0])}; reprocess the spectrum in TopSpin",
                        path=data_file)
    ppm = needed["OFFSET"] - np.arange(si) * needed["SW_p"] / (needed["SF"] * si)

    expno = folder.parent.parent if folder.parent.name == "pdata" else None
    acqus: dict[str, Any] = {}
    if expno is not None and (expno / "acqus").is_file():
        acqus = _jcamp_params(expno / "acqus")
    nucleus = acqus.get("NUC1")
    if not isinstance(nucleus, str) or nucleus.lower() in ("", "off"):
        nucleus = procs.get("AXNUC")
    meta: dict[str, Any] = {"format": "topspin"}
    if isinstance(nucleus, str) and nucleus.lower() not in ("", "off"):
        meta["nucleus"] = nucleus
    meta.update({"larmor_MHz": needed["SF"], "spectral_width_Hz": needed["SW_p"],
                 "offset_ppm": needed["OFFSET"], "si": si, "nc_proc": nc_proc, "dtypp": dtypp,
                 "bytordp": bytordp, "ppm_axis": "OFFSET - i * SW_p / (SF * SI)"})
    for key, name in (("SFO1", "sfo1_MHz"), ("BF1", "bf1_MHz"), ("PULPROG", "pulprog"), ("NS", "ns"),
                      ("TD", "td"), ("SW_h", "acq_spectral_width_Hz")):
        if key in acqus and acqus[key] not in ("", None):
            meta[name] = acqus[key]
    masr = acqus.get("MASR")
    if isinstance(masr, (int, float)) and masr > 0:
        meta["mas_rate_Hz"] = float(masr)
    date = acqus.get("DATE")
    if isinstance(date, (int, float)) and date > 0:
        meta["acquired"] = datetime.fromtimestamp(date, tz=UTC).isoformat()
    conditions = {}
    te = acqus.get("TE")
    if isinstance(te, (int, float)) and te > 0:
        conditions["temperature_K"] = float(te)
    title_file = folder / "title"
    if title_file.is_file():
        try:
            title = load_text(title_file).strip()
        except ReadError:
            title = ""
        if title:
            meta["title"] = title
    if expno is not None:
        meta.update({"dataset": expno.parent.name, "expno": expno.name, "procno": folder.name})
        sample = expno.parent.name
    else:
        sample = folder.name
    order = monotonic_order(ppm, source=str(data_file), name="chemical_shift")
    return Measurement(ppm[order], y[order], x_name="chemical_shift", x_unit="ppm",
                       y_name="intensity", y_unit="", sample=sample, conditions=conditions,
                       technique="nmr", source=str(data_file), meta=meta)


# -- SPC (Galactic / Thermo GRAMS), through spc-io ------------------------------------------

#: SPC ``fxtype`` -> (x_name, x_unit).
_SPC_X = {"XWAVEN": ("wavenumber", "cm-1"), "XRAMANS": ("raman_shift", "cm-1"),
          "XNMETR": ("wavelength", "nm"), "XUMETR": ("wavelength", "um"), "XPPM": ("chemical_shift", "ppm"),
          "XHERTZ": ("frequency", "Hz"), "XKHERTZ": ("frequency", "kHz"), "XMHERTZ": ("frequency", "MHz"),
          "XGHERTZ": ("frequency", "GHz"), "XEV": ("energy", "eV"), "XSECS": ("time", "s"),
          "XMINUTS": ("time", "min"), "XMSEC": ("time", "ms"), "XDEGRS": ("angle", "deg")}
#: SPC ``fytype`` -> (y_name, y_unit).
_SPC_Y = {"YCOUNT": ("intensity", "counts"), "YINTENS": ("intensity", ""), "YARB": ("intensity", ""),
          "YRELINT": ("relative_intensity", ""), "YABSRB": ("absorbance", ""),
          "YTRANS": ("transmittance", ""), "YREFLEC": ("reflectance", ""), "YEMISN": ("emission", ""),
          "YPERCNT": ("y", "%"), "YKMONK": ("kubelka_munk", ""), "YLOGDR": ("log_1_over_R", "")}
_SPC_TECHNIQUE = {"SPCRMN": "raman", "SPCNMR": "nmr"}
_SPC_VALID_X = set(range(31)) | {255}


def sniff_spc(head: bytes) -> bool:
    """True for a Galactic/Thermo SPC file (new LSB/MSB or old format), from its 512-byte header.

    Examples
    --------
    >>> sniff_spc(b"PK\\x03\\x04" + bytes(600))   # a zip archive (.brml, .xlsx) is not SPC
    False
    """
    if len(head) < 256 or head[1] not in (0x4B, 0x4C, 0x4D) or b"\x00" not in head[:256]:
        return False
    flags = head[0]
    if flags & 0x40 and not flags & 0x80:   # TXYXYS needs TXVALS
        return False
    if head[1] == 0x4D:   # old format: float32 points count, first, last
        npts, first, last = np.frombuffer(head[4:16], dtype="<f4").astype(float)
        return bool(np.isfinite([npts, first, last]).all() and npts >= 1 and npts == int(npts))
    if len(head) < 512:
        return False
    order = "<" if head[1] == 0x4B else ">"
    npts = int.from_bytes(head[4:8], "little" if order == "<" else "big")
    first, last = np.frombuffer(head[8:24], dtype=order + "f8")
    nsub = int.from_bytes(head[24:28], "little" if order == "<" else "big")
    return bool(np.isfinite([first, last]).all() and npts >= 1 and 1 <= nsub < 10_000_000
                and head[28] in _SPC_VALID_X and head[30] in _SPC_VALID_X)


def _c_text(raw) -> str:
    data = bytes(raw).split(b"\x00", 1)[0]
    return data.decode("cp1252", errors="replace").strip()


def read_spc(path, *, spectrum: int | None = None) -> Measurement:
    """Read one spectrum of a Galactic/Thermo GRAMS ``.spc`` file (needs ``pip install 'structkit[spc]'``).

    Parsed by the ``spc-io`` package (new LSB format, ``0x4B``: even or
    explicit x, one or several subfiles); the old (``0x4D``) and the
    big-endian (``0x4C``) formats are refused with a ReadError.

    Parameters
    ----------
    path : str or path-like
    spectrum : int, optional
        0-based subfile, required when the file holds several.

    Returns
    -------
    Measurement
        x named from ``fxtype`` (``XRAMANS`` -> ``raman_shift`` ``cm-1``,
        ``XWAVEN`` -> ``wavenumber``, ``XNMETR`` -> ``wavelength`` ``nm``,
        ``XPPM`` -> ``chemical_shift`` ``ppm`` ...), y from ``fytype``;
        ``technique`` ``"raman"``/``"nmr"`` from ``fexper`` or the x axis.
        ``meta``: ``x_type``, ``y_type``, ``experiment``, ``comment``,
        ``source_instrument``, ``resolution``, ``date``, ``n_spectra``,
        ``spectrum``, ``log`` (the log book's text ``key=value`` pairs).

    Raises
    ------
    MissingDependencyError
        spc-io is not installed.
    ReadError
        A file spc-io cannot parse, or several subfiles and no ``spectrum``.
    """
    path = Path(path)
    try:
        from spc_io.high_level import SPC
        from spc_io.low_level import SpcRaw
    except ImportError as exc:
        raise MissingDependencyError(f"reading .spc files needs spc-io: pip install 'structkit[spc]' "
                                     f"({exc}); or export the spectrum as text (x, y) and read that",
                                     path=path) from None
    data = read_bytes(path)
    if len(data) < 512 or data[1] not in (0x4B, 0x4C, 0x4D):
        raise ReadError("not an SPC file (no 512-byte header with version byte 0x4B); check the "
                        "file, or export the spectrum as text", path=path)
    if data[1] != 0x4B:
        kind = "old-format (0x4D)" if data[1] == 0x4D else "big-endian (0x4C)"
        raise ReadError(f"{kind} SPC is not supported (spc-io reads the new LSB format, 0x4B); "
                        "re-save it in GRAMS/Essential FTIR as new-format SPC, or export the "
                        "spectrum as text (x, y)", path=path)
    try:
        raw = SpcRaw.from_bytes_io(io.BytesIO(data))
        spc = SPC.from_spc_raw(raw)
    except NotImplementedError as exc:
        raise ReadError(f"SPC variant not supported by spc-io ({exc}); export the spectrum as "
                        "text (x, y)", path=path) from None
    except Exception as exc:  # noqa: BLE001 - spc-io raises ValueError/struct errors on a bad file
        raise ReadError(f"not a readable SPC file ({type(exc).__name__}: {exc}); check the file is "
                        "complete, or export the spectrum as text (x, y)", path=path) from None
    n = len(spc)
    if n == 0:
        raise ReadError("the SPC file holds no spectrum (0 subfiles)", path=path)
    if spectrum is None:
        if n > 1:
            raise ReadError(f"the SPC file holds {n} spectra (subfiles); choose one with "
                            f"spectrum=0..{n - 1}", path=path)
        spectrum = 0
    if not isinstance(spectrum, (int, np.integer)) or isinstance(spectrum, bool) or not 0 <= spectrum < n:
        raise ConfigError(f"spectrum={spectrum!r}: give a 0-based index below {n}", path=path)
    sub = spc[int(spectrum)]
    x = np.asarray(sub.xarray, dtype=float)
    y = np.asarray(sub.yarray, dtype=float)
    if x.size != y.size:
        raise ReadError(f"subfile {spectrum}: {x.size} x values but {y.size} y values", path=path)
    hdr = raw.main_header
    x_type, y_type, experiment = str(hdr.fxtype), str(hdr.fytype), str(hdr.fexper)
    x_name, x_unit = _SPC_X.get(x_type, ("x", ""))
    y_name, y_unit = _SPC_Y.get(y_type, ("y", ""))
    technique = _SPC_TECHNIQUE.get(experiment) or technique_of_axis(x_name, x_unit)
    if technique == "raman" and x_name == "wavenumber":
        x_name = "raman_shift"
    bad = ~np.isfinite(y) | ~np.isfinite(x)
    if bad.any():
        raise DataError(f"subfile {spectrum} holds {int(bad.sum())} non-finite value(s), first at "
                        f"point {int(np.flatnonzero(bad)[0])}; fix the file", path=path)
    meta: dict[str, Any] = {"format": "spc", "x_type": x_type, "y_type": y_type,
                            "experiment": experiment, "n_spectra": n, "spectrum": int(spectrum)}
    for attr, name in (("fcmnt", "comment"), ("fsource", "source_instrument"), ("fres", "resolution")):
        text = _c_text(getattr(hdr, attr))
        if text:
            meta[name] = text
    if spc.date.year > 1970:
        meta["date"] = spc.date.isoformat()
    log = dict(spc.log_book.text or {})
    if log:
        meta["log"] = {str(k): (v.isoformat() if isinstance(v, datetime) else v) for k, v in log.items()}
    order = monotonic_order(x, source=str(path), name=x_name)
    return Measurement(x[order], y[order], x_name=x_name, x_unit=x_unit, y_name=y_name, y_unit=y_unit,
                       technique=technique, source=str(path), meta=meta)


# -- WDF (Renishaw WiRE), through renishaw-wdf -----------------------------------------------

#: WiRE data units -> (x_name, x_unit).
_WDF_X = {"RamanShift": ("raman_shift", "cm-1"), "Wavenumber": ("wavenumber", "cm-1"),
          "Nanometre": ("wavelength", "nm"), "Micron": ("wavelength", "um"),
          "ElectronVolt": ("energy", "eV"), "Pixels": ("pixel", "")}
_WDF_Y = {"Counts": ("intensity", "counts"), "Intensity": ("intensity", ""),
          "RelativeIntensity": ("relative_intensity", ""), "Arbitrary": ("intensity", "")}


def sniff_wdf(head: bytes) -> bool:
    """True for a Renishaw WiRE ``.wdf`` file (``WDF1`` block first).

    Examples
    --------
    >>> sniff_wdf(b"WDF1\\x01\\x00\\x00\\x00" + bytes(8)), sniff_wdf(b"WDF1 is a text")
    (True, False)
    """
    return head[:4] == b"WDF1" and b"\x00" in head[:16]


def read_wdf(path, *, spectrum: int | None = None) -> Measurement:
    """Read one spectrum of a Renishaw WiRE ``.wdf`` file (needs ``pip install 'structkit[wdf]'``).

    Parsed by Renishaw's own ``renishaw-wdf`` package.

    Parameters
    ----------
    path : str or path-like
    spectrum : int, optional
        0-based spectrum, required for maps and series (more than one
        collected spectrum).

    Returns
    -------
    Measurement
        x from the x-list units (``raman_shift`` ``cm-1``, ``wavelength``
        ``nm`` ...), ``intensity`` (``counts``), ``technique="raman"`` for a
        Raman-shift axis. ``meta``: ``title``, ``user``, ``application``,
        ``laser_wavelength_nm`` (from the laser wavenumber),
        ``accumulations``, ``measurement_type``, ``scan_type``,
        ``time_start``/``time_end`` (ISO 8601), ``n_spectra``, ``spectrum``,
        ``comment``.

    Raises
    ------
    MissingDependencyError
        renishaw-wdf is not installed.
    ReadError
        A file it cannot parse, no spectrum collected, or several and no ``spectrum``.
    """
    path = Path(path)
    try:
        from wdf import Wdf
    except ImportError as exc:
        raise MissingDependencyError(f"reading .wdf files needs renishaw-wdf: pip install "
                                     f"'structkit[wdf]' ({exc}); or export the spectrum from WiRE "
                                     "as text (x, y) and read that", path=path) from None
    read_bytes(path, 16)   # the usual "file not found" / "is a folder" errors
    try:
        with Wdf(str(path)) as w:
            hdr = w.hdr
            if hdr.signature != 0x31464457:
                raise ReadError("not a WDF file (no WDF1 header); check the file", path=path)
            n = int(hdr.ncollected)
            if n == 0:
                raise ReadError("the WDF file holds no collected spectrum (the measurement was "
                                "stopped before the first one)", path=path)
            if spectrum is None:
                if n > 1:
                    raise ReadError(f"the WDF file holds {n} spectra (a map or series); choose one "
                                    f"with spectrum=0..{n - 1}", path=path)
                spectrum = 0
            if not isinstance(spectrum, (int, np.integer)) or isinstance(spectrum, bool) \
                    or not 0 <= spectrum < n:
                raise ConfigError(f"spectrum={spectrum!r}: give a 0-based index below {n}", path=path)
            multitrack = bool(int(hdr.flags_) & 8)
            xlist = w.xlist(track=int(spectrum)) if multitrack else w.xlist()
            y = np.asarray(w.spectrum(int(spectrum)), dtype=float)
            x = np.asarray(xlist, dtype=float)
            x_units, y_units = xlist.units.name, _enum_name(hdr, "units")
            meta: dict[str, Any] = {"format": "wdf", "n_spectra": n, "spectrum": int(spectrum),
                                    "measurement_type": _enum_name(hdr, "type"),
                                    "scan_type": _enum_name(hdr, "scantype"),
                                    "application": f"{hdr.appname} {hdr.appversion}".strip()}
            for name, value in (("title", hdr.title), ("user", hdr.user), ("comment", w.comment())):
                if value and value.strip():
                    meta[name] = value.strip()
            if hdr.laser_wavenumber and np.isfinite(hdr.laser_wavenumber) and hdr.laser_wavenumber > 0:
                meta["laser_wavelength_nm"] = float(f"{1e7 / hdr.laser_wavenumber:.6g}")
            if hdr.naccum:
                meta["accumulations"] = int(hdr.naccum)
            for name in ("time_start", "time_end"):
                try:
                    meta[name] = getattr(hdr, name).isoformat()
                except (ValueError, OverflowError, OSError):
                    pass
    except (ReadError, ConfigError):
        raise
    except Exception as exc:  # noqa: BLE001 - renishaw-wdf raises struct/EOF/Value errors on a bad file
        raise ReadError(f"not a readable WDF file ({type(exc).__name__}: {exc}); check the file is "
                        "complete, or export the spectrum from WiRE as text", path=path) from None
    if x.size != y.size:
        raise ReadError(f"the x-list has {x.size} values but spectrum {spectrum} has {y.size}",
                        path=path)
    bad = ~np.isfinite(y) | ~np.isfinite(x)
    if bad.any():
        raise DataError(f"spectrum {spectrum} holds {int(bad.sum())} non-finite value(s), first at "
                        f"point {int(np.flatnonzero(bad)[0])}; fix the file", path=path)
    x_name, x_unit = _WDF_X.get(x_units, ("x", ""))
    y_name, y_unit = _WDF_Y.get(y_units, ("intensity", ""))
    meta["x_units"], meta["y_units"] = x_units, y_units
    order = monotonic_order(x, source=str(path), name=x_name)
    return Measurement(x[order], y[order], x_name=x_name, x_unit=x_unit, y_name=y_name, y_unit=y_unit,
                       technique=technique_of_axis(x_name, x_unit), source=str(path), meta=meta)


def _enum_name(hdr, attr: str) -> str:
    try:
        return getattr(hdr, attr).name or str(getattr(hdr, attr))
    except ValueError:   # a value the package's enum does not know (a newer WiRE)
        return str(getattr(hdr, attr + "_"))
