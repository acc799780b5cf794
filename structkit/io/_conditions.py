"""Sample names and measurement conditions: from file names, headers, sidecar CSVs and hints.

Precedence, lowest to highest: the file name, the file's header, a sidecar
CSV, explicit hints. :func:`resolve_conditions` applies it and records in
``meta["conditions_from"]`` where each value came from.

Examples
--------
>>> conditions_from_filename("s04147-140deg.txt")
('s04147', {'temperature_K': 413.15})
>>> conditions_from_filename("LLZO_m50C_run2.csv")
('LLZO_run2', {'temperature_K': 223.15})
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.errors import DataError, ReadError, StructkitError
from ..core.measurement import Measurement
from ..core.units import to_kelvin
from ._text import load_text, parse_number, split_label

__all__ = [
    "conditions_from_filename",
    "conditions_from_header",
    "read_conditions_sidecar",
    "find_sidecar",
    "resolve_conditions",
    "SIDECAR_NAMES",
]

#: File names looked for next to a data file when no ``sidecar=`` is given (first found wins).
SIDECAR_NAMES = ("structkit_conditions.csv", "conditions.csv")

_SEPARATORS = "-_ .,()[]+"
_SEP_CLASS = r"\-_ .,()\[\]+"
_T_TOKEN = re.compile(
    rf"(?<![^{_SEP_CLASS}])(?P<sign>m|-)?(?P<num>\d+(?:[.p]\d+)?)"
    rf"(?P<unit>K|(?i:degC|deg)|°C|C)(?![^{_SEP_CLASS}])")
_RT_TOKEN = re.compile(rf"(?<![^{_SEP_CLASS}])RT(?![^{_SEP_CLASS}])")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}$")
_T_VALUE = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
                      r"(K|kelvin|C|°C|° C|°|degC|deg|degrees?|celsius)?\s*$", re.IGNORECASE)
_ROOM_T_K = 298.15

_SAMPLE_KEYS = ("sample", "sample_name", "samplename", "sample name", "sample_id", "sampleid",
                "sample id", "specimen")
_TEMPERATURE_NAMES = ("temperature", "temp", "t", "sample temperature", "sample_temperature")


def _kelvin(value: float, unit: str) -> float:
    """``to_kelvin`` rounded to 1e-9 K, so that ``25 C`` is 298.15 and not 298.15000000000003."""
    return round(to_kelvin(value, unit), 9)


def _stem(name) -> str:
    base = Path(str(name)).name
    m = _EXTENSION.search(base)
    return base[: m.start()] if m and m.start() > 0 else base


def conditions_from_filename(name) -> tuple[str, dict[str, float]]:
    """Sample and temperature from a file name such as ``s04147-140deg.txt``.

    A temperature token is a number with a unit (``300K``, ``25C``, ``25degC``,
    ``140deg``, ``25.5C``, ``25p5C``) standing between separators
    (``- _ . , space`` or the ends). ``m50C`` and a ``-`` that follows a
    separator or starts the name mean minus; a ``-`` right after the sample
    name is a separator (``s04147-140deg`` is 140 °C). ``RT`` means 298.15 K.
    ``deg`` is degrees Celsius. The sample is the stem without the token.

    Parameters
    ----------
    name : str or path-like
        A file name or path (only the last component is used).

    Returns
    -------
    sample : str
        The stem with the temperature token and its separators removed
        (``""`` if nothing else is left).
    conditions : dict
        ``{"temperature_K": ...}`` or empty.

    Raises
    ------
    DataError
        Two temperature tokens (``LLZO_600C_25C``): which one is meant is not
        guessed; pass ``temperature_K=`` or use a sidecar CSV.

    Examples
    --------
    >>> conditions_from_filename("/data/In20_2p5_540K__tt_cr.txt")
    ('In20_2p5_tt_cr', {'temperature_K': 540.0})
    >>> conditions_from_filename("NTC_RT.xy")
    ('NTC', {'temperature_K': 298.15})
    >>> conditions_from_filename("Example2b.txt")
    ('Example2b', {})
    """
    return _split_temperature(_stem(name))


def _split_temperature(stem: str) -> tuple[str, dict[str, float]]:
    hits = [(m.start(), m.end(), m) for m in _T_TOKEN.finditer(stem)]
    hits += [(m.start(), m.end(), None) for m in _RT_TOKEN.finditer(stem)]
    if not hits:
        return stem, {}
    if len(hits) > 1:
        tokens = ", ".join(stem[a:b] for a, b, _ in sorted(hits, key=lambda h: h[0]))
        raise DataError(f"file name {stem!r} has {len(hits)} temperature tokens ({tokens}); pass "
                        "temperature_K= or list the file in a conditions sidecar CSV")
    a, b, m = hits[0]
    if m is None:
        t_k = _ROOM_T_K
    else:
        value = float(m.group("num").replace("p", "."))
        if m.group("sign"):
            value = -value
        unit = m.group("unit")
        t_k = _kelvin(value, "K" if unit == "K" else "C")
    left, right = stem[:a].rstrip(_SEPARATORS), stem[b:].lstrip(_SEPARATORS)
    joiner = stem[a - 1] if (left and right and a > 0 and stem[a - 1] in _SEPARATORS) else ""
    if left and right and not joiner:
        joiner = "_"
    return left + joiner + right, {"temperature_K": t_k}


def _temperature_from_value(key: str, value: Any, unit: str | None) -> float:
    """Kelvin from a header value; raises DataError with what to write instead."""
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in ("RT", "ROOM TEMPERATURE"):
            return _ROOM_T_K
        m = _T_VALUE.match(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
        if not m:
            raise DataError(f"cannot read a temperature from header key {key!r} = {value!r}; write "
                            "it as e.g. '25 C' or '298.15 K', or pass temperature_K=")
        number, written = float(m.group(1)), m.group(2)
        unit = written or unit
    else:
        number = float(value)
    if not unit:
        raise DataError(f"header key {key!r} = {value!r} has no unit; write '{value} C' or "
                        f"'{value} K' (or name the key temperature_K), or pass temperature_K=")
    unit = unit.strip()
    if unit.startswith("°") and unit.strip("° ").upper() in ("", "C"):
        unit = "C"
    return _kelvin(number, unit)


def conditions_from_header(meta: Mapping[str, Any]) -> tuple[str | None, dict[str, Any], dict]:
    """Sample and temperature from header keys (``sample``, ``temperature``, ``temperature_K``, ``T``).

    A temperature value carries its unit (``25 C``, ``298 K``, ``-140deg``) or
    its key does (``temperature_K``, ``Temperature (C)``, or a companion key
    ``temperature_unit``). A sample written like a file name (``s05751_25deg``)
    gives its temperature too.

    Returns
    -------
    sample : str or None
    conditions : dict
        ``{"temperature_K": ...}`` or empty.
    problems : dict
        Condition name -> DataError for values that could not be read (no
        unit, not a number); :func:`resolve_conditions` records them in
        ``meta["conditions_note"]`` instead of guessing.

    Examples
    --------
    >>> conditions_from_header({"Sample": "LLZO-3", "temperature": "25 C"})
    ('LLZO-3', {'temperature_K': 298.15}, {})
    >>> conditions_from_header({"sample": "s05751_25deg"})
    ('s05751', {'temperature_K': 298.15}, {})
    """
    lower = {str(k).strip().lower(): (k, v) for k, v in meta.items()}
    sample = None
    for key in _SAMPLE_KEYS:
        if key in lower and isinstance(lower[key][1], (str, float, int)):
            value = lower[key][1]
            text = (f"{value:g}" if isinstance(value, float) else str(value)).strip()
            if text:
                sample = text
                break
    conds: dict[str, Any] = {}
    problems: dict[str, DataError] = {}
    candidates = []
    for low, (key, value) in lower.items():
        name, unit = split_label(key)
        name = name.strip().lower()
        for suffix, u in (("_k", "K"), ("_c", "C"), ("_degc", "C")):
            if not unit and name.endswith(suffix) and name[: -len(suffix)] in _TEMPERATURE_NAMES:
                name, unit = name[: -len(suffix)], u
        if name in _TEMPERATURE_NAMES and not isinstance(value, (list, dict)):
            companion = lower.get(f"{low}_unit") or lower.get(f"{low} unit")
            if not unit and companion and isinstance(companion[1], str):
                unit = companion[1]
            # an explicit unit in the key name ranks first, then "temperature", then "temp"/"t"
            rank = (0 if unit else 1, _TEMPERATURE_NAMES.index(name))
            candidates.append((rank, key, value, unit or None))
    if candidates:
        _, key, value, unit = min(candidates, key=lambda c: c[0])
        try:
            conds["temperature_K"] = _temperature_from_value(key, value, unit)
        except DataError as exc:
            problems["temperature_K"] = exc
    if sample:
        try:
            stripped, from_name = _split_temperature(sample)
        except DataError:
            stripped, from_name = sample, {}
        if from_name and stripped:
            sample = stripped
            if "temperature_K" not in conds and "temperature_K" not in problems:
                conds.update(from_name)
    return sample, conds, problems


# -- sidecar ------------------------------------------------------------------------------

def read_conditions_sidecar(path) -> dict[str, dict[str, Any]]:
    """Read a conditions CSV: one row per data file, ``file`` column plus sample and conditions.

    Columns: ``file`` (a file name, a path relative to the CSV, or a stem),
    optional ``sample``, and condition columns named with their unit
    (``temperature_K``, ``temperature_C``, ``milling_time_h``, any
    ``name_unit``). ``temperature_C`` is converted to ``temperature_K``.
    Numbers become floats; other cells stay text; empty cells are skipped.

    Returns
    -------
    dict
        ``{file: {"sample": ..., "temperature_K": ..., ...}}`` in file order.

    Raises
    ------
    ReadError
        No ``file`` column, a file listed twice, a ragged row, or a temperature
        that is not a number (with the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "conditions.csv"
    >>> _ = p.write_text("file,sample,temperature_C,milling_time_h\\na.txt,NTC-6h,25,6\\n")
    >>> read_conditions_sidecar(p)
    {'a.txt': {'sample': 'NTC-6h', 'temperature_K': 298.15, 'milling_time_h': 6.0}}
    """
    text = load_text(path)
    first = text.lstrip().split("\n", 1)[0]
    if first.count(";") > first.count(","):
        delimiter = ";"
    elif "\t" in first and "," not in first:
        delimiter = "\t"
    else:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not numbered:
        raise ReadError("conditions sidecar is empty; it needs a header line with a 'file' column",
                        path=path)
    header_line, header = numbered[0]
    names = [h.strip().lstrip("\ufeff") for h in header]
    lowered = [n.lower() for n in names]
    file_key = next((k for k in ("file", "filename", "file_name", "path") if k in lowered), None)
    if file_key is None:
        raise ReadError(f"conditions sidecar has no 'file' column (columns: {names}); add one "
                        "naming each data file", path=path, line=header_line)
    ifile = lowered.index(file_key)
    table: dict[str, dict[str, Any]] = {}
    for lineno, row in numbered[1:]:
        while len(row) > len(names) and not row[-1].strip():
            row = row[:-1]
        if len(row) != len(names):
            raise ReadError(f"{len(row)} cells where the header has {len(names)}; fix the row",
                            path=path, line=lineno)
        key = row[ifile].strip()
        if not key:
            raise ReadError("empty 'file' cell; name the data file or delete the row", path=path,
                            line=lineno)
        if key in table:
            raise ReadError(f"file {key!r} is listed twice; keep one row per file", path=path,
                            line=lineno)
        entry: dict[str, Any] = {}
        for j, (name, cell) in enumerate(zip(names, row)):
            cell = cell.strip()
            if j == ifile or not cell or not name:
                continue
            if name.lower() in ("sample", "sample_name"):
                entry["sample"] = cell
                continue
            try:
                value: Any = parse_number(cell)
            except ValueError:
                value = cell
            if isinstance(value, float) and not math.isfinite(value):
                raise ReadError(f"{name} is {cell!r}; give a finite number or leave the cell empty",
                                path=path, line=lineno)
            low = name.lower()
            if low in ("temperature_c", "temperature_degc", "temperature_k"):
                if not isinstance(value, float):
                    raise ReadError(f"{name} is {cell!r}, not a number", path=path, line=lineno)
                try:
                    t_k = _kelvin(value, "K" if low == "temperature_k" else "C")
                except DataError as exc:
                    raise ReadError(exc.message, path=path, line=lineno) from None
                if low == "temperature_k" or "temperature_K" not in entry:
                    entry["temperature_K"] = t_k
                continue
            entry[name] = value
        table[key] = entry
    return table


def find_sidecar(data_path) -> Path | None:
    """The conditions CSV next to ``data_path`` (``structkit_conditions.csv``, then ``conditions.csv``).

    Examples
    --------
    >>> find_sidecar("/no/such/folder/a.txt") is None
    True
    """
    folder = Path(data_path).parent
    for name in SIDECAR_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _sidecar_entry(table: Mapping[str, dict], data_path: Path, sidecar: Path) -> dict | None:
    if data_path.name in table:
        return table[data_path.name]
    try:
        rel = data_path.resolve().relative_to(sidecar.resolve().parent).as_posix()
    except (ValueError, OSError):
        rel = None
    for key, entry in table.items():
        k = key.replace("\\", "/")
        if (rel is not None and k.lstrip("./") == rel) or Path(k).name == data_path.name:
            return entry
    for key, entry in table.items():
        if key == data_path.stem or _stem(key) == data_path.stem:
            return entry
    return None


# -- precedence -----------------------------------------------------------------------------

def resolve_conditions(m: Measurement, path, *, sidecar=None, sample: str | None = None,
                       temperature_K: float | None = None,
                       conditions: Mapping[str, Any] | None = None) -> Measurement:
    """Apply file name < header < sidecar < hints to a reader's Measurement.

    The reader's own ``sample`` and ``conditions`` and the sample/temperature
    keys of its ``meta`` count as the header. ``sidecar=None`` looks for
    :data:`SIDECAR_NAMES` next to the file; ``sidecar=False`` disables that.
    What could not be used without guessing (a header temperature without a
    unit, a file name with two temperature tokens) is left out and explained
    in ``meta["conditions_note"]``.

    Examples
    --------
    >>> import numpy as np
    >>> m = Measurement(np.array([1.0, 2.0]), np.array([3.0, 4.0]), meta={"T": "300 K"})
    >>> r = resolve_conditions(m, "/x/s1_25C.xy", sidecar=False)
    >>> r.sample, r.temperature_K, dict(r.meta["conditions_from"])
    ('s1', 300.0, {'sample': 'filename', 'temperature_K': 'header'})
    """
    path = Path(path)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    notes: list[str] = []

    def put(source: str, key: str, value: Any) -> None:
        values[key] = value
        origin[key] = source

    try:
        f_sample, f_conds = conditions_from_filename(path.name)
    except DataError as exc:
        f_sample, f_conds = _stem(path.name), {}
        notes.append(exc.message)
    if f_sample:
        put("filename", "sample", f_sample)
    for k, v in f_conds.items():
        put("filename", k, v)

    h_sample, h_conds, problems = conditions_from_header(m.meta)
    if m.sample:
        h_sample = m.sample
    h_conds.update(m.conditions)
    for k in m.conditions:
        problems.pop(k, None)
    if h_sample:
        put("header", "sample", h_sample)
    for k, v in h_conds.items():
        put("header", k, v)
    for k, exc in problems.items():  # not guessed: recorded, and any other source may supply it
        notes.append(f"header {exc.message}")

    used_sidecar = None
    if sidecar is not False:
        sc_path = Path(sidecar) if sidecar is not None else find_sidecar(path)
        if sc_path is not None:
            table = read_conditions_sidecar(sc_path)
            entry = _sidecar_entry(table, path, sc_path)
            if entry is None and sidecar is not None:
                raise ReadError(f"conditions sidecar has no row for {path.name!r}; add a row "
                                "(file column) or drop sidecar=", path=sc_path)
            if entry is not None:
                used_sidecar = str(sc_path)
                for k, v in entry.items():
                    put("sidecar", k, v)

    if conditions:
        for k, v in dict(conditions).items():
            put("hint", "sample" if k == "sample" else str(k), v)
    if sample is not None:
        put("hint", "sample", str(sample))
    if temperature_K is not None:
        put("hint", "temperature_K", float(temperature_K))

    new_sample = str(values.pop("sample", "") or "")
    meta = dict(m.meta)
    meta["conditions_from"] = dict(origin)
    if used_sidecar:
        meta["conditions_sidecar"] = used_sidecar
    if notes:
        meta["conditions_note"] = "; ".join(notes)
    try:
        return m.replace(sample=new_sample, conditions=values, meta=meta)
    except StructkitError as exc:
        raise DataError(exc.message, path=path) from None
