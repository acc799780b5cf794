"""XAS readers: XDI, NSLS X-11A XDAC files, energy/mu column text, Athena projects, HDF5 energy/mu.

Every reader returns the XAS Measurement of :mod:`structkit.xas`: ``x`` =
photon energy in eV (``x_name="energy"``, ``x_unit="eV"``), ``y`` = μ(E)
(``y_name="mu"``), ``technique="xas"``. It is built here directly (io
imports core only), with the same fields as
:func:`structkit.xas.xas_measurement`. ``meta`` holds ``element``, ``edge``
(when the file says), ``mode`` (``"transmission"``, ``"fluorescence"`` or
``"mu"`` for a μ column of unstated kind), ``mu_ref`` (μ of the reference foil,
``ln(itrans/irefer)``, a read-only array on the same energy grid) and
``columns`` (the raw channel names).

How μ is chosen (all readers of column files):

* ``mu=`` names the μ column; ``itrans=`` / ``ifluor=`` (with ``i0=``) force
  μ to be formed from those channels; ``mode=`` picks transmission,
  fluorescence or a plain μ column.
* Otherwise a μ column (``mutrans``, ``mufluor``, ``mu``/``xmu``,
  ``normtrans``, ``normfluor``) is used if there is one; else μ is formed:
  transmission ``ln(i0/itrans)``, fluorescence ``ifluor/i0``. Transmission
  *and* fluorescence both available is an error asking for ``mode=``.
* The reference foil (``irefer``/``iref``/``i2`` with ``itrans``, or a
  ``murefer`` column) gives ``meta["mu_ref"]``; ``irefer=False`` skips it.

Channel hints take a column name (case-insensitive) or a 0-based index.

Energy order follows larch's ``sort_xafs`` practice: a scan written high to
low is reversed, a few rows out of order are sorted, and exactly repeated
energies are merged (their μ averaged; ``meta["repeats_averaged"]``). A file
whose energy goes back by more than a few points (two sweeps written one
after the other) is refused with a DataError naming the line.

Energy in keV is taken from the column unit, ``energy_unit=``, or detected
(all values between 1 and 100 spanning at most 5 keV, steps at most 50 eV);
it is converted to eV and ``meta["energy_unit_detected"]`` says so.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> rows = "".join(f"{8900 + i} {1e5:.1f} {1e5 * 0.3 ** (i / 40):.3f}\\n" for i in range(41))
>>> _ = (d / "scan.dat").write_text("# energy i0 itrans\\n" + rows)
>>> m = read_xas_columns(d / "scan.dat")
>>> m.technique, m.x_label, m.meta["mode"], round(float(m.y[-1]), 6)
('xas', 'energy (eV)', 'transmission', 1.203973)
"""

from __future__ import annotations

import contextlib
import gzip
import io
import re
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, MissingDependencyError, ReadError
from ..core.measurement import Measurement
from ._text import (
    Table,
    check_finite_rows,
    head_text,
    load_text,
    parse_table,
    split_label,
    split_lines,
)

__all__ = [
    "read_xdi",
    "sniff_xdi",
    "read_xdac",
    "sniff_xdac",
    "read_xas_columns",
    "sniff_xas_columns",
    "read_athena",
    "read_athena_project",
    "sniff_athena",
    "xas_from_energy_mu",
]

#: hc in eV·Å (CODATA 2018), for angle -> energy with the mono d-spacing.
HC_EV_ANGSTROM = 12398.419843320026

#: A row may go back in energy past at most this many earlier rows (jitter, a
#: swapped pair) and still be sorted; more means a second sweep.
MAX_BACKTRACK = 3

_MODES = ("transmission", "fluorescence", "mu")

# channel roles -> normalised column names (lower case, unit removed, only a-z0-9)
_ROLES: dict[str, tuple[str, ...]] = {
    "energy": ("energy", "energyev", "energykev", "e", "en", "ene", "enc", "energ", "photonenergy"),
    "angle": ("angle", "theta", "braggangle"),
    "mutrans": ("mutrans", "mut", "mutransmission"),
    "mufluor": ("mufluor", "muf", "mufluo", "mufluorescence"),
    "mu": ("mu", "xmu", "mue", "absorption", "absorbance"),
    "normtrans": ("normtrans",),
    "normfluor": ("normfluor",),
    "murefer": ("murefer", "muref", "mureference"),
    "i0": ("i0", "io", "izero", "imon"),
    "itrans": ("itrans", "it", "i1", "itr", "itransmission"),
    "ifluor": ("ifluor", "if", "ifl", "ifluo", "ifluorescence"),
    "irefer": ("irefer", "iref", "ir", "i2", "ireference"),
}
_NAME_ROLE = {name: role for role, names in _ROLES.items() for name in names}
#: μ columns, in the order auto mode prefers them, with the mode each implies.
_MU_COLUMNS = (("mutrans", "transmission"), ("mufluor", "fluorescence"), ("mu", "mu"),
               ("normtrans", "transmission"), ("normfluor", "fluorescence"))


def _norm(label: str) -> str:
    name = split_label(str(label))[0]
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _frozen(values) -> np.ndarray:
    arr = np.array(values, dtype=float, copy=True)
    arr.setflags(write=False)
    return arr


# -- channels -----------------------------------------------------------------------------

def _column_index(hint, names: list[str], path, what: str) -> int:
    n = len(names)
    if isinstance(hint, (int, np.integer)) and not isinstance(hint, bool):
        if not 0 <= int(hint) < n:
            raise ConfigError(f"{what}={hint}: index out of range; the file has {n} columns "
                              f"(0-based): {names}", path=path)
        return int(hint)
    if isinstance(hint, str):
        want = hint.strip().lower()
        for j, label in enumerate(names):
            if label.strip().lower() == want:
                return j
        for j, label in enumerate(names):
            if _norm(label) == _norm(want) and _norm(want):
                return j
        raise ConfigError(f"{what}={hint!r}: no such column; the columns are {names}", path=path)
    raise ConfigError(f"{what}={hint!r}: give a column name or a 0-based index", path=path)


def _roles(names: list[str]) -> dict[str, int]:
    """First column of each role, by name."""
    found: dict[str, int] = {}
    for j, label in enumerate(names):
        role = _NAME_ROLE.get(_norm(label))
        if role is not None and role not in found:
            found[role] = j
    return found


def _positive(values: np.ndarray, table: Table, j: int, path, formula: str) -> None:
    bad = ~(values > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{table.column_label(j)} is {values[i]:g}: {formula} needs positive "
                        "intensities; check the channel (dark current, offsets, a detector that "
                        "saturated or was off) and fix or delete the row", path=path,
                        line=int(table.lines[i]))


def _energy_scale(energy: np.ndarray, unit: str, hint, path) -> tuple[float, str | None]:
    """(factor to eV, detected unit or None)."""
    if hint is not None:
        u = str(hint).strip().lower()
        if u not in ("ev", "kev"):
            raise ConfigError(f"energy_unit={hint!r}: use 'eV' or 'keV'", path=path)
        return (1000.0 if u == "kev" else 1.0), None
    u = (unit or "").strip().lower()
    if u == "ev":
        return 1.0, None
    if u == "kev":
        return 1000.0, None
    if u:
        raise DataError(f"the energy column's unit is {unit!r}, not eV or keV; pass "
                        "energy_unit='eV' (or 'keV') if the values are energies", path=path)
    finite = energy[np.isfinite(energy)]
    if finite.size >= 2:
        lo, hi = float(finite.min()), float(finite.max())
        step = float(np.median(np.abs(np.diff(finite))))
        if 1.0 <= lo and hi < 100.0 and hi - lo <= 5.0 and step <= 0.05:
            return 1000.0, "keV"
    return 1.0, None


def _order_scan(energy: np.ndarray, arrays: dict[str, np.ndarray], lines: np.ndarray, path,
                meta: dict) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sort a scan, average exact repeats, refuse a second sweep (larch ``sort_xafs`` practice)."""
    e = np.asarray(energy, float)
    if e.size >= 2 and e[-1] < e[0]:
        e, lines = e[::-1], lines[::-1]
        arrays = {k: v[::-1] for k, v in arrays.items()}
        meta["energy_reversed"] = True
    d = np.diff(e)
    for i in np.flatnonzero(d < 0):
        depth = int(np.count_nonzero(e[: i + 1] > e[i + 1]))
        if depth > MAX_BACKTRACK:
            t = int(np.argmax(e[: i + 1]))
            raise DataError(
                f"energy goes back from {e[t]:g} to {e[t + 1]:g} eV at line {int(lines[t + 1])}, and by "
                f"this row ({e[i + 1]:g} eV) below {depth} earlier rows: the file holds more than one "
                "sweep (e.g. two scans written one after the other); split it into one file per "
                "sweep and merge them with structkit.xas.preprocess.merge_scans",
                path=path, line=int(lines[i + 1]))
    order = np.argsort(e, kind="stable")
    if np.any(order != np.arange(e.size)):
        meta["energy_sorted"] = True
        e, arrays = e[order], {k: v[order] for k, v in arrays.items()}
    uniq, inverse, counts = np.unique(e, return_inverse=True, return_counts=True)
    if uniq.size < e.size:
        arrays = {k: np.bincount(inverse, weights=v) / counts for k, v in arrays.items()}
        meta["repeats_averaged"] = int(e.size - uniq.size)
        e = uniq
    return e, arrays


def _xas_from_table(table: Table, names: list[str], units: list[str], path, *, fmt: str,
                    mode, mu, energy, i0, itrans, ifluor, irefer, energy_unit,
                    meta: dict, sample: str = "", conditions: Mapping[str, Any] | None = None,
                    energy_values: np.ndarray | None = None) -> Measurement:
    """Pick the channels of a parsed table and build the XAS Measurement."""
    if mode is not None and mode not in _MODES:
        raise ConfigError(f"mode={mode!r}: use one of {', '.join(map(repr, _MODES))} or None (auto)",
                          path=path)
    roles = _roles(names)
    ncols = len(names)
    hint = {k: v for k, v in (("i0", i0), ("itrans", itrans), ("ifluor", ifluor),
                               ("irefer", irefer)) if v is not None and v is not False}
    col = dict(roles)
    for k, v in hint.items():
        col[k] = _column_index(v, names, path, k)
    used: list[int] = []

    # energy
    if energy_values is None:
        if energy is not None:
            je = _column_index(energy, names, path, "energy")
        elif "energy" in roles:
            je = roles["energy"]
        elif ncols == 2 and not roles:
            je = 0
        else:
            raise ReadError(f"no energy column among {names}; name it 'energy' or pass energy= "
                            "(column name or 0-based index)", path=path)
        used.append(je)
        e_raw = table.values[:, je]
        e_unit = units[je]
    else:
        e_raw, e_unit = energy_values, "eV"

    # mu
    mu_col = None
    formed = None
    if mu is not None:
        mu_col = _column_index(mu, names, path, "mu")
        implied = _NAME_ROLE.get(_norm(names[mu_col]))
        used_mode = mode or dict(_MU_COLUMNS).get(implied, "mu")
    else:
        used_mode = mode
        if used_mode is None and ("itrans" in hint or "ifluor" in hint):
            if "itrans" in hint and "ifluor" in hint:
                raise ConfigError("itrans= and ifluor= both given; pass mode='transmission' or "
                                  "mode='fluorescence' to say which forms mu", path=path)
            used_mode = "transmission" if "itrans" in hint else "fluorescence"
            formed = used_mode
        if used_mode is None:
            present = [(r, m) for r, m in _MU_COLUMNS if r in roles]
            kinds = {m for r, m in present if r in ("mutrans", "mufluor")}
            if len(kinds) == 2:
                raise ReadError(f"both a transmission ({names[roles['mutrans']]}) and a fluorescence "
                                f"({names[roles['mufluor']]}) mu column; pass mode='transmission' or "
                                "mode='fluorescence' (or mu= the column)", path=path)
            if present:
                r, used_mode = present[0]
                mu_col = roles[r]
            elif ncols == 2 and not roles and energy_values is None:
                mu_col, used_mode = 1 - je, "mu"
            else:
                can_t = "i0" in col and "itrans" in col
                can_f = "i0" in col and "ifluor" in col
                if can_t and can_f:
                    raise ReadError(f"both transmission ({names[col['itrans']]}) and fluorescence "
                                    f"({names[col['ifluor']]}) channels; pass mode='transmission' or "
                                    "mode='fluorescence'", path=path)
                if not (can_t or can_f):
                    raise ReadError(f"no mu column and no i0 + itrans or i0 + ifluor channels among "
                                    f"{names}; pass mu= the mu column, or i0= with itrans= or ifluor= "
                                    "(column names or 0-based indices)", path=path)
                used_mode = formed = "transmission" if can_t else "fluorescence"
        elif formed is None:
            wanted = {"transmission": ("mutrans", "normtrans"), "fluorescence": ("mufluor", "normfluor"),
                      "mu": ("mu",)}[used_mode]
            hit = next((r for r in wanted if r in roles), None)
            if hit is not None:
                mu_col = roles[hit]
            elif used_mode == "mu":
                mus = [roles[r] for r, _ in _MU_COLUMNS if r in roles]
                if len(mus) != 1:
                    raise ReadError(f"mode='mu' but {'no' if not mus else 'more than one'} mu column "
                                    f"among {names}; pass mu= the column", path=path)
                mu_col = mus[0]
            else:
                formed = used_mode
    if formed is not None:
        ch = "itrans" if formed == "transmission" else "ifluor"
        missing = [c for c in ("i0", ch) if c not in col]
        if missing:
            raise ReadError(f"mode={formed!r} needs {' and '.join(missing)} but no such column among "
                            f"{names}; pass {', '.join(m + '=' for m in missing)} (column name or "
                            "0-based index)", path=path)
        used += [col["i0"], col[ch]]
    else:
        used.append(mu_col)

    # reference foil
    ref_src = None
    if irefer is not False:
        if "irefer" in hint or ("murefer" not in roles and "irefer" in col):
            if "itrans" in col:
                ref_src = ("formed", col["itrans"], col["irefer"])
                used += [col["itrans"], col["irefer"]]
            else:
                meta["mu_ref_note"] = (f"reference channel {names[col['irefer']]} but no itrans "
                                       "column, so no mu_ref (it is ln(itrans/irefer))")
        elif "murefer" in roles:
            ref_src = ("column", roles["murefer"])
            used.append(roles["murefer"])

    used = sorted(set(used))
    check_finite_rows(table, used, path)
    v = table.values
    if formed == "transmission":
        _positive(v[:, col["i0"]], table, col["i0"], path, "mu = ln(i0/itrans)")
        _positive(v[:, col["itrans"]], table, col["itrans"], path, "mu = ln(i0/itrans)")
        y = np.log(v[:, col["i0"]] / v[:, col["itrans"]])
        channels = {"i0": names[col["i0"]], "itrans": names[col["itrans"]]}
    elif formed == "fluorescence":
        _positive(v[:, col["i0"]], table, col["i0"], path, "mu = ifluor/i0")
        y = v[:, col["ifluor"]] / v[:, col["i0"]]
        channels = {"i0": names[col["i0"]], "ifluor": names[col["ifluor"]]}
    else:
        y = v[:, mu_col].astype(float)
        channels = {"mu": names[mu_col]}
        if _NAME_ROLE.get(_norm(names[mu_col])) in ("normtrans", "normfluor"):
            meta["normalized"] = True
    arrays = {"mu": y}
    if ref_src is not None:
        if ref_src[0] == "formed":
            _, jt, jr = ref_src
            _positive(v[:, jt], table, jt, path, "mu_ref = ln(itrans/irefer) (pass irefer=False to skip it)")
            _positive(v[:, jr], table, jr, path, "mu_ref = ln(itrans/irefer) (pass irefer=False to skip it)")
            arrays["mu_ref"] = np.log(v[:, jt] / v[:, jr])
            channels["irefer"] = names[jr]
        else:
            arrays["mu_ref"] = v[:, ref_src[1]].astype(float)
            channels["murefer"] = names[ref_src[1]]

    scale, detected = _energy_scale(e_raw, e_unit, energy_unit, path)
    if detected:
        meta["energy_unit_detected"] = detected
    e, arrays = _order_scan(e_raw * scale, arrays, table.lines, path, meta)

    meta.update({"format": fmt, "mode": used_mode, "columns": list(names), "channels": channels})
    if "mu_ref" in arrays:
        meta["mu_ref"] = _frozen(arrays["mu_ref"])
    return Measurement(e, arrays["mu"], x_name="energy", x_unit="eV", y_name="mu", y_unit="",
                       sample=sample, conditions=dict(conditions or {}), technique="xas",
                       source=str(path), meta=meta)


def _temperature_conditions(value, meta: dict) -> dict:
    """``{"temperature_K": ...}`` from a header temperature with its unit, else leave it to read()."""
    from ._conditions import conditions_from_header

    _, conds, problems = conditions_from_header({"temperature": value})
    if conds and not problems:
        return conds
    meta["temperature"] = value   # read() records why it could not be used (conditions_note)
    return {}


# -- XDI ------------------------------------------------------------------------------------

_XDI_FIRST = re.compile(r"^\s*#\s*XDI/(\S+)(.*)$")
_XDI_FIELD = re.compile(r"^([A-Za-z_][\w\-]*)\.([\w\-.]+)\s*:\s*(.*?)\s*$")


def sniff_xdi(head: bytes) -> bool:
    """True for an XDI file (first line ``# XDI/1.0 ...``).

    Examples
    --------
    >>> sniff_xdi(b"# XDI/1.0 GSE/1.0\\n# Column.1: energy eV\\n"), sniff_xdi(b"# x y\\n1 2\\n")
    (True, False)
    """
    text = head_text(head).lstrip("\ufeff")
    return bool(_XDI_FIRST.match(text.split("\n", 1)[0]))


def _xdi_column(value: str) -> tuple[str, str]:
    value = value.split("||", 1)[0].strip()
    words = value.split(None, 1)
    if not words:
        return "", ""
    name, unit = words[0], (words[1].strip() if len(words) > 1 else "")
    if not unit:
        name, unit = split_label(name) if ("[" in name or "(" in name) else (name, "")
    return name, unit.strip("[]() ")


def _xdi_header(lines: list[str], path) -> tuple[dict, dict, list[str], str, int]:
    """(fields, {column number: (name, unit)}, comments, version, index of the first data line)."""
    first = lines[0].lstrip("\ufeff") if lines else ""
    m = _XDI_FIRST.match(first)
    if not m:
        raise ReadError("not an XDI file: the first line must be '# XDI/1.0 ...'; pass format= "
                        "to choose another reader", path=path, line=1)
    version = (m.group(1) + m.group(2)).strip()
    fields: dict[str, str] = {}
    columns: dict[int, tuple[str, str]] = {}
    comments: list[str] = []
    state = "fields"
    k = 1
    for k in range(1, len(lines)):
        s = lines[k].strip()
        if not s:
            continue
        if not s.startswith("#"):
            break
        body = s[1:].strip()
        if state == "fields":
            if body.startswith("///"):
                state = "comments"
                continue
            if body.startswith("---"):
                state = "labels"
                continue
            f = _XDI_FIELD.match(body)
            if f is None:
                comments.append(body)
                continue
            key = f"{f.group(1)}.{f.group(2)}"
            fields[key] = f.group(3)
            if f.group(1).lower() == "column":
                try:
                    num = int(f.group(2))
                except ValueError:
                    raise ReadError(f"XDI field {key!r}: the column number must be an integer "
                                    "(Column.1, Column.2 ...)", path=path, line=k + 1) from None
                columns[num] = _xdi_column(f.group(3))
        elif state == "comments":
            if body.startswith("---"):
                state = "labels"
                continue
            comments.append(lines[k].strip()[1:].strip())
    else:
        k = len(lines)
    return fields, columns, comments, version, k


def _field(fields: Mapping[str, str], *keys: str) -> str | None:
    low = {k.lower(): v for k, v in fields.items()}
    for key in keys:
        value = low.get(key.lower())
        if value is not None and value.split("||", 1)[0].strip():
            return value.split("||", 1)[0].strip()
    return None


def _number_with_unit(text: str | None) -> tuple[float | None, str]:
    if text is None:
        return None, ""
    m = re.match(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$", text)
    if not m:
        return None, ""
    return float(m.group(1)), m.group(2)


def read_xdi(path, *, mode: str | None = None, mu=None, energy=None, i0=None, itrans=None,
             ifluor=None, irefer=None, energy_unit: str | None = None) -> Measurement:
    """Read an XDI file (XAS Data Interchange, ``# XDI/1.0``) into an XAS Measurement.

    A parser of its own (larch is not imported): header fields
    ``Family.key: value`` up to ``# ///``, user comments up to ``#----``, then
    the rows. Column names and units come from ``# Column.N: name unit``
    (``energy eV``, ``energy [keV]``, an address after ``||`` is ignored).
    An ``angle`` column with ``Mono.d_spacing`` is converted to energy.

    Parameters
    ----------
    path : str or path-like
    mode : {'transmission', 'fluorescence', 'mu'} or None
        How μ is obtained; None picks a μ column, else forms it (see the module notes).
    mu, energy, i0, itrans, ifluor, irefer : str or int, optional
        Column of each channel (name or 0-based index); ``irefer=False`` skips the reference.
    energy_unit : {'eV', 'keV'}, optional
        Overrides the column unit.

    Returns
    -------
    Measurement
        ``meta``: ``element`` (``Element.symbol`` or ``Scan.element``), ``edge``
        (``Element.edge`` or ``Scan.edge``), ``mode``, ``mu_ref``, ``columns``,
        ``mono_d_spacing_angstrom``, ``edge_energy_eV``, ``header`` (every
        ``Family.key`` field, as written), ``comments``, ``xdi_version``. The
        sample is ``Sample.name``; ``Sample.temperature`` with a unit becomes
        ``temperature_K``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cu.xdi"
    >>> rows = "".join(f"{8950 + i} 1e5 {1e5 * 0.3 ** (i / 40):.4f} {3e4:.1f}\\n" for i in range(41))
    >>> _ = p.write_text("# XDI/1.0\\n# Column.1: energy eV\\n# Column.2: i0\\n# Column.3: itrans\\n"
    ...                  "# Column.4: irefer\\n# Element.symbol: Cu\\n# Element.edge: K\\n"
    ...                  "# Sample.temperature: 25 C\\n# ///\\n# foil\\n#----\\n" + rows)
    >>> m = read_xdi(p)
    >>> m.meta["element"], m.meta["edge"], m.meta["mode"], m.temperature_K, m.meta["mu_ref"].shape
    ('Cu', 'K', 'transmission', 298.15, (41,))
    """
    lines = split_lines(load_text(path))
    fields, columns, comments, version, data_start = _xdi_header(lines, path)
    if data_start >= len(lines) or not any(s.strip() for s in lines[data_start:]):
        raise ReadError("XDI header but no data rows; check the export finished", path=path)
    table = parse_table(lines, path, start=data_start)
    ncols = table.ncols
    if columns and max(columns) > ncols:
        raise ReadError(f"the header declares Column.{max(columns)} but the rows have {ncols} "
                        "values; check the file is complete", path=path, line=int(table.lines[0]))
    names, units = [], []
    for j in range(ncols):
        if j + 1 in columns and columns[j + 1][0]:
            name, unit = columns[j + 1]
        elif table.names and j < len(table.names):
            name, unit = split_label(table.names[j])
        else:
            name, unit = f"column{j + 1}", ""
        names.append(name)
        units.append(unit)
    meta: dict[str, Any] = {"xdi_version": version, "header": dict(fields)}
    if comments:
        meta["comments"] = comments
    element = _field(fields, "Element.symbol", "Scan.element")
    edge = _field(fields, "Element.edge", "Scan.edge")
    if element:
        meta["element"] = element
    if edge:
        meta["edge"] = edge
    dspacing, _ = _number_with_unit(_field(fields, "Mono.d_spacing", "Monochromator.d_spacing"))
    if dspacing is not None:
        meta["mono_d_spacing_angstrom"] = dspacing
    e0, e0_unit = _number_with_unit(_field(fields, "Scan.edge_energy"))
    if e0 is not None:
        meta["edge_energy_eV"] = e0 * (1000.0 if e0_unit.lower() == "kev" else 1.0)
    sample = _field(fields, "Sample.name") or ""
    temperature = _field(fields, "Sample.temperature")
    conditions = _temperature_conditions(temperature, meta) if temperature else {}

    energy_values = None
    roles = _roles(names)
    if energy is None and "energy" not in roles and "angle" in roles:
        ja = roles["angle"]
        if dspacing is None or dspacing <= 0:
            raise ReadError(f"angle column {names[ja]!r} and no energy column: the mono d-spacing "
                            "(Mono.d_spacing) is needed to convert; add it to the header or pass "
                            "energy=", path=path)
        check_finite_rows(table, [ja], path)
        unit = units[ja].lower()
        theta = table.values[:, ja] * (1.0 if unit.startswith("rad") else np.pi / 180.0)
        energy_values = HC_EV_ANGSTROM / (2.0 * dspacing * np.sin(theta))
        meta["energy_from_angle"] = True
    return _xas_from_table(table, names, units, path, fmt="xdi", mode=mode, mu=mu, energy=energy,
                           i0=i0, itrans=itrans, ifluor=ifluor, irefer=irefer,
                           energy_unit=energy_unit, meta=meta, sample=sample, conditions=conditions,
                           energy_values=energy_values)


# -- XDAC (NSLS X-11A and friends) ----------------------------------------------------------------

def sniff_xdac(head: bytes) -> bool:
    """True for an XDAC data file (first line ``XDAC V1.2 Datafile V1``).

    Examples
    --------
    >>> sniff_xdac(b"XDAC V1.2 Datafile V1\\n"), sniff_xdac(b"# XDI/1.0\\n")
    (True, False)
    """
    text = head_text(head).lstrip("\ufeff")
    return bool(re.match(r"^\s*XDAC\s+V\d", text.split("\n", 1)[0]))


def read_xdac(path, *, mode: str | None = None, mu=None, energy=None, i0=None, itrans=None,
              ifluor=None, irefer=None, energy_unit: str | None = None) -> Measurement:
    """Read an XDAC data file (NSLS X-11A / X-18B style) into an XAS Measurement.

    The header (``XDAC V1.2 Datafile V1``, ``E0= 7112.00``, region and gain
    lines, a title, a dashed line) is followed by a line of column names
    (``Energy  I0  It`` ...) and the rows. μ is ``ln(I0/It)`` unless the hints
    say otherwise (see :func:`read_xdi` for them).

    Returns
    -------
    Measurement
        ``meta``: ``mode``, ``columns``, ``edge_energy_eV`` (the header ``E0``),
        ``header`` (the ``key= value`` lines), ``comments``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "fe.001"
    >>> rows = "".join(f"{7000 + 5 * i:.3f} 4e4 {4e4 * 0.5 ** (i / 30):.2f}\\n" for i in range(31))
    >>> _ = p.write_text("XDAC V1.2 Datafile V1\\nE0= 7112.00\\nIron foil\\n" + "-" * 40
    ...                  + "\\n  Energy  I0  It\\n" + rows)
    >>> m = read_xdac(p)
    >>> m.meta["edge_energy_eV"], m.meta["mode"], round(float(m.y[-1]), 6)
    (7112.0, 'transmission', 0.693147)
    """
    lines = split_lines(load_text(path))
    if not lines or not re.match(r"^\s*XDAC\s+V\d", lines[0].lstrip("\ufeff")):
        raise ReadError("not an XDAC file: the first line must be 'XDAC V1.x Datafile ...'; pass "
                        "format= to choose another reader", path=path, line=1)
    table = parse_table(lines, path, start=1)
    if table.names:
        names, units = zip(*(split_label(n) for n in table.names))
        names, units = list(names), list(units)
    else:
        names, units = [f"column{j + 1}" for j in range(table.ncols)], [""] * table.ncols
    meta: dict[str, Any] = {"header": dict(table.meta)}
    comments = [c for c in table.comments if not set(c) <= set("-=")]
    if comments:
        meta["comments"] = comments
    e0 = table.meta.get("E0")
    if isinstance(e0, float):
        meta["edge_energy_eV"] = e0
    return _xas_from_table(table, names, units, path, fmt="xdac", mode=mode, mu=mu, energy=energy,
                           i0=i0, itrans=itrans, ifluor=ifluor, irefer=irefer,
                           energy_unit=energy_unit, meta=meta)


# -- column text (.xmu, named columns) ----------------------------------------------------------

_ELEMENT_KEYS = ("element", "atom", "atsym", "element.symbol", "absorber")
_EDGE_KEYS = ("edge", "element.edge")


def sniff_xas_columns(head: bytes) -> bool:
    """True for text with an energy column and a μ column (``energy mu``, ``E xmu``, ``energy mutrans``).

    Also true for the ``#%atom:`` / ``#%edge:`` header of UWXAFS ``.xmu`` files.
    Raw-channel tables (``Energy I0 It``) are not claimed: read them with
    ``format="xas"`` (the generic text reader keeps them otherwise).

    Examples
    --------
    >>> sniff_xas_columns(b"# energy  mu\\n8900 0.1\\n8901 0.2\\n8902 0.3\\n")
    True
    >>> sniff_xas_columns(b"# E I0 It\\n8900 1 2\\n8901 1 2\\n8902 1 2\\n")
    False
    >>> sniff_xas_columns(b"# two_theta  intensity\\n10 5\\n11 6\\n12 7\\n")
    False
    """
    text = head_text(head)
    if re.search(r"^#%\s*(atom|edge)\s*:", text, re.MULTILINE | re.IGNORECASE):
        return True
    table = parse_table(split_lines(text), lenient=True)
    if not table.names or table.values.size == 0:
        return False
    roles = _roles(table.names)
    if "energy" not in roles:
        return False
    return any(r in roles for r, _ in _MU_COLUMNS)


def read_xas_columns(path, *, mode: str | None = None, mu=None, energy=None, i0=None, itrans=None,
                     ifluor=None, irefer=None, energy_unit: str | None = None,
                     delimiter=False) -> Measurement:
    """Read a text table of XAS channels: 2-column energy/μ (``.xmu``, ``.mu``) or named columns.

    Two unnamed columns are energy and μ. Named columns are recognised by
    name: ``energy``/``E``; ``mu``/``xmu``/``mutrans``/``mufluor``;
    ``i0``; ``itrans``/``it``/``i1``; ``ifluor``/``if``; ``irefer``/``iref``/``i2``.
    Hints as in :func:`read_xdi`; other layouts need them (names or 0-based
    indices). Header ``key: value`` lines are kept in ``meta["header"]``;
    ``atom``/``element`` and ``edge`` keys (UWXAFS ``#%atom: Cu``) give
    ``element`` and ``edge``, a ``temp``/``temperature`` key with a unit the
    temperature.

    Parameters
    ----------
    delimiter : str or None, optional
        Force ``","``, ``";"``, ``"\\t"`` or None (whitespace); detected by default.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cu.xmu"
    >>> rows = "".join(f"{8.95 + 0.001 * i:.3f} {0.1 + i / 100:.3f}\\n" for i in range(30))
    >>> _ = p.write_text("#%atom: Cu\\n#%edge: K\\n" + rows)
    >>> m = read_xas_columns(p)
    >>> m.meta["element"], float(m.x[0]), m.meta["energy_unit_detected"]
    ('Cu', 8950.0, 'keV')
    """
    lines = split_lines(load_text(path))
    for i, s in enumerate(lines):   # UWXAFS "#%key: value" headers
        if s.startswith("#%"):
            lines[i] = "# " + s[2:]
    table = parse_table(lines, path, delimiter=delimiter)
    if table.names:
        pairs = [split_label(n) for n in table.names]
        names, units = [p[0] for p in pairs], [p[1] for p in pairs]
    else:
        names, units = [f"column{j + 1}" for j in range(table.ncols)], [""] * table.ncols
    if table.ncols < 2:
        raise ReadError("only one numeric column; an XAS file needs energy and mu (or i0 and "
                        "itrans) columns (check the delimiter)", path=path, line=int(table.lines[0]))
    meta: dict[str, Any] = {"header": dict(table.meta)}
    if table.comments:
        meta["comments"] = list(table.comments)
    low = {str(k).strip().lower(): v for k, v in table.meta.items()}
    element = next((low[k] for k in _ELEMENT_KEYS if isinstance(low.get(k), str) and low[k].strip()), None)
    edge = next((low[k] for k in _EDGE_KEYS if isinstance(low.get(k), str) and low[k].strip()), None)
    if element and re.fullmatch(r"[A-Z][a-z]?", element.strip()):
        meta["element"] = element.strip()
    if edge and re.fullmatch(r"[KLMN]\d?", edge.strip()):
        meta["edge"] = edge.strip()
    temperature = next((low[k] for k in ("temperature", "temp", "sample.temperature") if k in low), None)
    conditions = _temperature_conditions(temperature, meta) if temperature not in (None, "") else {}
    return _xas_from_table(table, names, units, path, fmt="xas", mode=mode, mu=mu, energy=energy,
                           i0=i0, itrans=itrans, ifluor=ifluor, irefer=irefer,
                           energy_unit=energy_unit, meta=meta, conditions=conditions)


# -- Athena projects ------------------------------------------------------------------------------

_ATHENA_MARK = b"Athena project file"


def sniff_athena(head: bytes) -> bool:
    """True for an Athena project (``.prj``), gzipped or plain text.

    Examples
    --------
    >>> import gzip
    >>> sniff_athena(gzip.compress(b"# Athena project file -- Demeter version 0.9.21\\n"))
    True
    >>> sniff_athena(b"# Athena project file -- Demeter version 0.9.21\\n"), sniff_athena(b"\\x1f\\x8b")
    (True, False)
    """
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error:
            return False
    return _ATHENA_MARK in head[:600]


def _athena_text(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return ""
    return data.decode("utf-8", errors="replace")


def _larch_athena(path) -> list[tuple[str, Any]]:
    """(name, larch group) of every record, in project order."""
    path = Path(path)
    if not path.is_file():
        raise ReadError("file not found; check the path (relative paths start at the working "
                        "directory)", path=path)
    try:
        from larch.io import read_athena as larch_read_athena
        from larch.io.athena_project import parse_perlathena
    except ImportError as exc:
        raise MissingDependencyError(f"reading Athena projects needs xraylarch: pip install "
                                     f"'structkit[xas]' ({exc})", path=path) from None
    # larch prints notes on stdout; its bytes->str helper (pyshortcuts.bytes2str) decodes with
    # sys.stdout.encoding, so the sink must have one (a bare StringIO has None and every read fails)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out):
            project = larch_read_athena(str(path), do_preedge=False, do_bkg=False, do_fft=False)
    except Exception as exc:  # noqa: BLE001 - larch raises ValueError/OSError/anything on a bad file
        raise ReadError(f"not a readable Athena project ({type(exc).__name__}: {exc}); check the "
                        "file (Athena: File > Save project)", path=path) from None
    groups = list(project.groups.items())
    # larch names groups by label, so records with the same label overwrite each other; in the
    # (usual) Perl-style format, parse such a project one record at a time instead
    text = _athena_text(path)
    if "____header" in text[:500]:
        return groups
    n_records = len(re.findall(r"^\$old_group\s*=", text, flags=re.MULTILINE))
    if n_records <= len(groups):
        return groups
    first = text.split("\n", 1)[0]
    chunks = re.split(r"^\[record\].*$", text, flags=re.MULTILINE)
    records = []
    try:
        with contextlib.redirect_stdout(out):
            for chunk in chunks:
                if not re.search(r"^\$old_group\s*=", chunk, flags=re.MULTILINE):
                    continue
                one = parse_perlathena(f"{first}\n{chunk}\n[record] #\n", str(path))
                records += [(name, getattr(one, name)) for name in one.group_names]
    except Exception as exc:  # noqa: BLE001
        raise ReadError(f"{n_records} records but only {len(groups)} distinct group labels, and the "
                        f"records could not be read one by one ({type(exc).__name__}: {exc}); give "
                        "every group its own label in Athena", path=path) from None
    return records


def _athena_measurement(path, name: str, g, index: int, apply_eshift: bool) -> Measurement | None:
    energy = getattr(g, "energy", None)
    mu = getattr(g, "mu", None)
    params = getattr(g, "athena_params", None)
    if energy is None or mu is None or str(getattr(params, "is_chi", 0)) not in ("0", "0.0"):
        return None      # a chi(k) or other non-mu(E) record
    bkg = getattr(params, "bkg", None)
    label = str(getattr(g, "label", None) or name)
    meta: dict[str, Any] = {"format": "athena", "athena_group": label, "athena_index": index,
                            "mode": "mu", "columns": ["energy", "mu"]}
    eshift = float(getattr(bkg, "eshift", 0.0) or 0.0)
    e = np.asarray(energy, float)
    y = np.asarray(mu, float)
    if eshift and apply_eshift:
        e = e + eshift
    meta["energy_shift_eV"] = eshift if apply_eshift else 0.0
    if eshift and not apply_eshift:
        meta["athena_eshift_eV"] = eshift
    element = getattr(g, "atsym", None) or getattr(bkg, "z", None)
    if isinstance(element, str) and re.fullmatch(r"[A-Z][a-z]?", element.strip()):
        meta["element"] = element.strip()
    edge = getattr(g, "edge", None) or getattr(bkg, "edge", None)
    if isinstance(edge, str) and re.fullmatch(r"[KLMN]\d?", edge.strip()):
        meta["edge"] = edge.strip()
    e0 = getattr(bkg, "e0", None)
    if isinstance(e0, (int, float)) and np.isfinite(e0) and e0 > 0:
        meta["athena_e0_eV"] = float(e0)
    if params is not None and str(getattr(params, "is_nor", 0)) not in ("0", "0.0"):
        meta["normalized"] = True
    bad = ~(np.isfinite(e) & np.isfinite(y))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"Athena group {label!r} has {int(bad.sum())} non-finite energy/mu value(s), "
                        f"first at point {i}; fix the group in Athena", path=path)
    if e.size != y.size:
        raise DataError(f"Athena group {label!r}: {e.size} energies but {y.size} mu values", path=path)
    lines = np.arange(1, e.size + 1)
    try:
        e, arrays = _order_scan(e, {"mu": y}, lines, path, meta)
    except DataError as exc:
        raise DataError(f"Athena group {label!r}: {exc.message}", path=path) from None
    return Measurement(e, arrays["mu"], x_name="energy", x_unit="eV", y_name="mu", y_unit="",
                       technique="xas", source=str(path), meta=meta)


def read_athena_project(path, *, apply_eshift: bool = True) -> list[Measurement]:
    """Every μ(E) group of an Athena project (``.prj``), in project order (larch reads the file).

    Records that are not μ(E) (χ(k) groups) are skipped; records that share a
    label are all kept (larch's reader keeps the last of them only). Athena's energy
    shift (``bkg_eshift``, the calibration done in Athena) is applied unless
    ``apply_eshift=False``; ``meta["energy_shift_eV"]`` records it.

    Returns
    -------
    list of Measurement
        ``meta``: ``athena_group`` (the label), ``athena_index``, ``element``,
        ``edge``, ``athena_e0_eV``, ``mode="mu"``.

    Raises
    ------
    ReadError
        Not an Athena project, or no μ(E) group in it.
    MissingDependencyError
        xraylarch is not installed.

    Examples
    --------
    >>> read_athena_project("/no/such/file.prj")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ReadError: /no/such/file.prj: file not found; check the path (relative paths start at the working directory)
    """
    out = []
    for index, (name, g) in enumerate(_larch_athena(path)):
        m = _athena_measurement(path, name, g, index, apply_eshift)
        if m is not None:
            out.append(m)
    if not out:
        raise ReadError("no mu(E) group in this Athena project (only chi(k) or empty records)",
                        path=path)
    return out


def read_athena(path, *, group: str | int | None = None, apply_eshift: bool = True) -> Measurement:
    """One μ(E) group of an Athena project: ``group=`` its label or 0-based index (default the first).

    See :func:`read_athena_project` for what is read.

    Examples
    --------
    >>> read_athena("/no/such/file.prj", group=1)
    Traceback (most recent call last):
    ...
    structkit.core.errors.ReadError: /no/such/file.prj: file not found; check the path (relative paths start at the working directory)
    """
    groups = read_athena_project(path, apply_eshift=apply_eshift)
    labels = [m.meta["athena_group"] for m in groups]
    if group is None:
        return groups[0]
    if isinstance(group, (int, np.integer)) and not isinstance(group, bool):
        if not -len(groups) <= int(group) < len(groups):
            raise ConfigError(f"group={group}: the project has {len(groups)} mu(E) groups "
                              f"(0-based): {labels}", path=path)
        return groups[int(group)]
    if isinstance(group, str):
        for want in (group, group.strip().lower()):
            for m, label in zip(groups, labels):
                if label == want or label.strip().lower() == want:
                    return m
        raise ConfigError(f"group={group!r}: no such group; the project's mu(E) groups are {labels}",
                          path=path)
    raise ConfigError(f"group={group!r}: give a group label or a 0-based index", path=path)


# -- HDF5 and other energy/mu pairs -------------------------------------------------------------------

def xas_from_energy_mu(m: Measurement) -> Measurement:
    """Make an energy (eV/keV) vs μ Measurement from a generic reader an XAS Measurement; others unchanged.

    Used by the HDF5 reader: an NXdata whose axis is named like an energy
    (``energy``, ``E``) with units eV or keV and whose signal is named like μ
    (``mu``, ``xmu``, ``mutrans``, ``mufluor``, ``normtrans`` ...), or any
    energy axis when ``technique="xas"`` was asked for.

    Examples
    --------
    >>> x = Measurement(np.array([8.98, 8.99]), np.array([0.1, 0.9]), x_name="energy",
    ...                 x_unit="keV", y_name="mutrans")
    >>> m = xas_from_energy_mu(x)
    >>> m.technique, m.x.tolist(), m.y_name, m.meta["mode"]
    ('xas', [8980.0, 8990.0], 'mu', 'transmission')
    """
    if m.technique not in ("", "xas"):
        return m
    unit = (m.x_unit or "").strip().lower()
    if unit not in ("ev", "kev") or _NAME_ROLE.get(_norm(m.x_name)) != "energy":
        return m
    role = _NAME_ROLE.get(_norm(m.y_name))
    kinds = dict(_MU_COLUMNS)
    if role not in kinds and m.technique != "xas":
        return m
    if np.iscomplexobj(m.y):
        return m
    meta = dict(m.meta)
    meta.setdefault("mode", kinds.get(role, "mu"))
    meta.setdefault("columns", [m.x_name, m.y_name])
    if role in ("normtrans", "normfluor"):
        meta.setdefault("normalized", True)
    scale = 1000.0 if unit == "kev" else 1.0
    return m.replace(x=m.x * scale, x_name="energy", x_unit="eV", y_name="mu",
                     y_unit=m.y_unit, technique="xas", meta=meta)
