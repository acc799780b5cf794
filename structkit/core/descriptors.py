"""The descriptor table: one long-form table for every technique, joined to conductivity.

Each row is one number: ``sample``, the condition columns (``temperature_K``,
``milling_time_h`` ...), ``technique``, ``name``, ``value``, ``stderr``,
``unit``, ``source``, ``method``. :meth:`DescriptorTable.to_wide` pivots to one
row per (sample, conditions). :func:`join_conductivity` attaches σ and Ea:
σ at a descriptor's temperature comes from the piecewise Arrhenius law of the
regime that contains it (continuous fit of ``ln σT`` against ``1/T``); outside
the measured range the value is left empty and a ``conductivity_note`` says why.

Examples
--------
>>> rows = [DescriptorRow("NTC-6h", "a_angstrom", 6.01, 0.002, "angstrom", technique="xrd",
...                       conditions={"temperature_K": 300.0})]
>>> table = DescriptorTable.from_rows(rows)
>>> table.to_wide().columns.tolist()
['sample', 'temperature_K', 'a_angstrom', 'a_angstrom_stderr']
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from .frozen import FrozenMap
from typing import Any

import numpy as np

from .atomic import atomic_write
from .errors import ConfigError, DataError, MissingDependencyError, ReadError
from .units import K_B_EV

__all__ = ["DescriptorRow", "DescriptorTable", "join_conductivity", "FIXED_COLUMNS"]

#: Columns every long table has, besides the condition columns.
FIXED_COLUMNS = ("sample", "technique", "name", "value", "stderr", "unit", "source", "method")


@dataclass(frozen=True)
class DescriptorRow:
    """One descriptor: a named number with its standard error and unit, for a sample and condition.

    ``stderr`` is NaN where no uncertainty is available (the table writes it empty).
    """

    sample: str
    name: str
    value: float
    stderr: float = float("nan")
    unit: str = ""
    technique: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    method: str = ""

    def __post_init__(self):
        object.__setattr__(self, "conditions", FrozenMap(dict(self.conditions)))
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "stderr", float("nan") if self.stderr is None else float(self.stderr))


def _pd():
    import pandas as pd
    return pd


def _ordered_columns(cols: Iterable[str]) -> list[str]:
    conds = sorted((c for c in cols if c not in FIXED_COLUMNS),
                   key=lambda c: (c != "temperature_K", c))
    return ["sample", *conds, *FIXED_COLUMNS[1:]]


class DescriptorTable:
    """Long-form descriptor table (a thin, validated wrapper over a pandas DataFrame).

    Build it with :meth:`from_rows`, :meth:`concat`, :meth:`read_csv` or
    :meth:`read_parquet`; get the frame back with :meth:`to_frame`.
    """

    def __init__(self, frame=None):
        pd = _pd()
        if frame is None:
            frame = pd.DataFrame(columns=list(_ordered_columns([])))
        missing = [c for c in ("sample", "name", "value") if c not in frame.columns]
        if missing:
            raise DataError(f"descriptor table lacks column(s) {', '.join(missing)}; "
                            f"a long table needs {', '.join(FIXED_COLUMNS)} plus condition columns")
        frame = frame.copy()
        for col in FIXED_COLUMNS:
            if col not in frame.columns:
                frame[col] = np.nan if col in ("value", "stderr") else ""
        for col in ("value", "stderr"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        for col in ("sample", "technique", "name", "unit", "source", "method"):
            text = frame[col].astype(object)
            frame[col] = text.where(text.notna(), "").astype(str)
        self._frame = frame[_ordered_columns(frame.columns)].reset_index(drop=True)

    # -- construction ----------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[DescriptorRow]) -> "DescriptorTable":
        pd = _pd()
        records = []
        for r in rows:
            rec = {"sample": r.sample, **dict(r.conditions), "technique": r.technique, "name": r.name,
                   "value": r.value, "stderr": r.stderr, "unit": r.unit, "source": r.source,
                   "method": r.method}
            records.append(rec)
        if not records:
            return cls()
        return cls(pd.DataFrame.from_records(records))

    @classmethod
    def concat(cls, tables: Iterable["DescriptorTable"]) -> "DescriptorTable":
        pd = _pd()
        frames = [t.to_frame() for t in tables if len(t)]
        return cls(pd.concat(frames, ignore_index=True)) if frames else cls()

    # -- access ----------------------------------------------------------
    def to_frame(self):
        """A copy of the long-form DataFrame."""
        return self._frame.copy()

    @property
    def condition_columns(self) -> list[str]:
        return [c for c in self._frame.columns if c not in FIXED_COLUMNS]

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        f = self._frame
        return (f"DescriptorTable({len(f)} rows, {f['sample'].nunique()} samples, "
                f"techniques={sorted(set(f['technique']))}, conditions={self.condition_columns})")

    def _repr_html_(self) -> str:
        return self._frame.to_html(max_rows=30)

    def filter(self, **equals) -> "DescriptorTable":
        """Rows whose columns equal the given values, e.g. ``filter(technique="conductivity")``."""
        f = self._frame
        mask = np.ones(len(f), dtype=bool)
        for col, value in equals.items():
            if col not in f.columns:
                raise ConfigError(f"filter: no column {col!r}; columns are {list(f.columns)}")
            mask &= (f[col] == value).to_numpy()
        return DescriptorTable(f[mask])

    def to_wide(self):
        """One row per (sample, conditions); columns ``name`` and ``name_stderr``.

        A name used by two techniques becomes ``technique.name``.
        """
        pd = _pd()
        f = self._frame.copy()
        keys = ["sample", *self.condition_columns]
        if f.empty:
            return pd.DataFrame(columns=keys)
        clash = f.groupby("name")["technique"].nunique()
        clash = set(clash[clash > 1].index)
        f["column"] = [f"{t}.{n}" if n in clash else n for t, n in zip(f["technique"], f["name"])]
        dup = f.duplicated(keys + ["column"], keep=False)
        if dup.any():
            first = f[dup].iloc[0]
            raise DataError(f"to_wide: descriptor {first['column']!r} appears more than once for sample "
                            f"{first['sample']!r} and the same conditions; add a condition column "
                            "that tells them apart")
        order = list(dict.fromkeys(f["column"]))
        groups = f.groupby(keys, dropna=False, sort=True)
        out_rows = []
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            row = dict(zip(keys, key))
            for col, val, err in zip(g["column"], g["value"], g["stderr"]):
                row[col] = val
                row[col + "_stderr"] = err
            out_rows.append(row)
        cols = keys + [c for name in order for c in (name, name + "_stderr")]
        return pd.DataFrame(out_rows).reindex(columns=cols)

    # -- I/O -------------------------------------------------------------
    def to_csv(self, path) -> Path:
        """Write the long table as CSV, atomically. Returns the path."""
        return _atomic_write_frame(self._frame, Path(path), "csv")

    def to_parquet(self, path) -> Path:
        """Write the long table as Parquet (needs the ``parquet`` extra), atomically."""
        return _atomic_write_frame(self._frame, Path(path), "parquet")

    @classmethod
    def read_csv(cls, path) -> "DescriptorTable":
        pd = _pd()
        path = Path(path)
        try:
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"sample": str})
        except FileNotFoundError:
            raise ReadError("file not found", path=path) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ReadError(f"not a readable descriptor CSV ({exc})", path=path) from None
        try:
            return cls(frame)
        except DataError as exc:
            raise ReadError(exc.message, path=path) from None

    @classmethod
    def read_parquet(cls, path) -> "DescriptorTable":
        pd = _pd()
        _require_parquet()
        try:
            frame = pd.read_parquet(path)
        except FileNotFoundError:
            raise ReadError("file not found", path=path) from None
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types
            raise ReadError(f"not a readable Parquet file ({exc})", path=path) from None
        try:
            return cls(frame)
        except DataError as exc:
            raise ReadError(exc.message, path=path) from None

    def join_conductivity(self, conductivity, **kwargs):
        """See :func:`join_conductivity`."""
        return join_conductivity(self, conductivity, **kwargs)


def _require_parquet():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingDependencyError("Parquet I/O needs pyarrow: pip install 'structkit[parquet]'") from None


def _atomic_write_frame(frame, path: Path, kind: str) -> Path:
    if kind == "csv":
        return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10g",
                                                           lineterminator="\n"))
    _require_parquet()
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


# -- the conductivity join -------------------------------------------------

def _conductivity_frame(conductivity):
    pd = _pd()
    if isinstance(conductivity, (str, os.PathLike)):
        path = Path(conductivity)
        try:
            conductivity = pd.read_csv(path, dtype={"sample": str}, keep_default_na=False, na_values=[""])
        except FileNotFoundError:
            raise ReadError("conductivity table not found", path=path) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ReadError(f"not a readable conductivity CSV ({exc})", path=path) from None
    frame = pd.DataFrame(conductivity).copy()
    for col in ("temperature_K", "sigma_S_per_cm"):
        if col not in frame.columns:
            raise DataError(f"conductivity table lacks column {col!r}; it needs temperature_K, "
                            "sigma_S_per_cm and optionally sigma_stderr_S_per_cm and sample")
    frame = frame[np.isfinite(pd.to_numeric(frame["sigma_S_per_cm"], errors="coerce"))
                  & (pd.to_numeric(frame["sigma_S_per_cm"], errors="coerce") > 0)]
    return frame


def _arrhenius_engine(t, s, err, form, regimes):
    from .piecewise import fit_piecewise_linear

    t = np.asarray(t, float)
    s = np.asarray(s, float)
    y = np.log(s * t) if form == "sigmaT" else np.log(s)
    sig = None
    if err is not None:
        err = np.asarray(err, float)
        if np.all(np.isfinite(err)) and np.all(err > 0):
            sig = err / s
    n = "auto" if regimes == "auto" else int(regimes)
    return fit_piecewise_linear(1.0 / t, y, sigma=sig, n_segments=n,
                                context="conductivity join (Arrhenius)")


def _key_value(v):
    """A group-key value that compares equal however it was read: NaN/None -> None, numbers -> float."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return float(v)
    return v


def _fit_group(item):
    """One sample's σ(T) series -> ("fit", PiecewiseFit, tmin, tmax) or ("note", why, points)."""
    t, sig, err, form, regimes = item
    points = (t, sig, err)
    if len(t) < 2:
        return ("note", f"only {len(t)} conductivity point(s) for this sample", points)
    try:
        pw = _arrhenius_engine(t, sig, err, form, regimes)
    except Exception as exc:  # noqa: BLE001 - a StructkitError from the engine; recorded per sample
        return ("note", f"Arrhenius fit failed: {exc}", points)
    return ("fit", pw, float(t.min()), float(t.max()))


def join_conductivity(descriptors, conductivity, *, form: str = "sigmaT", regimes: int | str = "auto",
                      temperature_K: float | None = None, pmap=None):
    """Attach σ and Ea to a descriptor table, one row per (sample, conditions).

    Parameters
    ----------
    descriptors : DescriptorTable
    conductivity : DataFrame or path
        Columns ``temperature_K``, ``sigma_S_per_cm``, optional
        ``sigma_stderr_S_per_cm`` and ``sample`` (without ``sample`` it
        applies to every sample). Other condition columns it shares with the
        descriptors (``milling_time_h`` ...) separate the series of a sample:
        σ(T) is fitted and matched per sample and conditions. A row measured
        at one temperature only gets σ at exactly that temperature (no Ea).
    form : {"sigmaT", "sigma"}
        Arrhenius form used for interpolation and Ea.
    regimes : "auto" or int
        Number of Arrhenius regimes per sample.
    temperature_K : float, optional
        Temperature at which to attach σ for descriptor rows that carry no
        ``temperature_K`` condition (e.g. a milling series measured at RT).
    pmap : callable, optional
        ``pmap(func, items) -> list``, an ordered map that runs the per-sample
        Arrhenius fits elsewhere (a campaign's workers); default: one after another here.

    Returns
    -------
    pandas.DataFrame
        ``to_wide()`` plus ``sigma_S_per_cm``, ``sigma_stderr_S_per_cm``,
        ``ea_eV``, ``ea_stderr_eV``, ``conductivity_regime`` and
        ``conductivity_note`` (why a value is missing).
    """
    pd = _pd()
    if form not in ("sigmaT", "sigma"):
        raise ConfigError(f"form must be 'sigmaT' or 'sigma', got {form!r}")
    if not isinstance(descriptors, DescriptorTable):
        descriptors = DescriptorTable(pd.DataFrame(descriptors))
    wide = descriptors.to_wide()
    cond = _conductivity_frame(conductivity)
    by_sample = "sample" in cond.columns
    # conditions other than T that the σ table shares with the descriptors (e.g. milling_time_h) tell
    # series of one sample apart
    extra = [c for c in descriptors.condition_columns if c != "temperature_K" and c in cond.columns]
    keys = (["sample"] if by_sample else []) + extra
    fits: dict[Any, Any] = {}
    if keys:
        key_frame = cond[keys].astype(object).where(cond[keys].notna(), None)
        if by_sample:
            key_frame["sample"] = cond["sample"].astype(str)
        groups = [(k if isinstance(k, tuple) else (k,), cond.loc[idx])
                  for k, idx in key_frame.groupby(keys if len(keys) > 1 else keys[0], dropna=False,
                                                  sort=True).groups.items()]
    else:
        groups = [((), cond)]
    items = []
    for key, g in groups:
        g = g.sort_values("temperature_K")
        g = g.groupby("temperature_K", as_index=False).mean(numeric_only=True)
        err = g["sigma_stderr_S_per_cm"] if "sigma_stderr_S_per_cm" in g.columns else None
        items.append((g["temperature_K"].to_numpy(float), g["sigma_S_per_cm"].to_numpy(float),
                      None if err is None else err.to_numpy(float), form, regimes))
    results = list((pmap or map)(_fit_group, items))
    for (key, _), entry in zip(groups, results):
        fits[tuple(_key_value(v) for v in key)] = entry
    out = {c: [] for c in ("sigma_S_per_cm", "sigma_stderr_S_per_cm", "ea_eV", "ea_stderr_eV",
                           "conductivity_regime", "conductivity_note")}
    has_t = "temperature_K" in wide.columns
    for _, row in wide.iterrows():
        t = row["temperature_K"] if has_t else np.nan
        if not (isinstance(t, (int, float)) and math.isfinite(t)):
            t = temperature_K if temperature_K is not None else np.nan
        key = tuple(_key_value(str(row["sample"]) if k == "sample" else row[k]) for k in keys)
        entry = fits.get(key)
        vals = dict.fromkeys(out, np.nan)
        vals["conductivity_note"] = ""
        label = ", ".join(f"{k} = {v}" for k, v in zip(keys[1:] if by_sample else keys,
                                                         key[1:] if by_sample else key) if v is not None)
        if entry is None:
            vals["conductivity_note"] = (f"no conductivity data for sample {row['sample']!r}"
                                         + (f" at {label}" if label else ""))
        elif entry[0] == "note":
            ts, sig, esig = entry[2]
            hit = np.flatnonzero(np.abs(ts - t) <= 1e-6) if math.isfinite(t) else []
            if len(hit):   # measured at this very temperature: no Arrhenius needed
                i = int(hit[0])
                vals.update(sigma_S_per_cm=float(sig[i]),
                            sigma_stderr_S_per_cm=np.nan if esig is None else float(esig[i]),
                            conductivity_note=f"measured at this temperature; no Ea ({entry[1]})")
            else:
                vals["conductivity_note"] = entry[1]
        elif not math.isfinite(t):
            vals["conductivity_note"] = "no temperature_K condition; pass temperature_K= to join"
        else:
            _, pw, tmin, tmax = entry
            if not (tmin - 1e-6 <= t <= tmax + 1e-6):
                vals["conductivity_note"] = (f"T = {t:g} K is outside the measured range "
                                             f"{tmin:g}-{tmax:g} K; not extrapolated")
            else:
                x = 1.0 / t
                y, ey = float(pw.predict(x)), float(pw.predict_stderr(x))
                sig = math.exp(y) / t if form == "sigmaT" else math.exp(y)
                seg = int(pw.segment_of(x))
                # segments are ordered in 1/T; report regime numbers from low to high temperature
                vals.update(sigma_S_per_cm=sig, sigma_stderr_S_per_cm=sig * ey,
                            ea_eV=float(-pw.slopes[seg] * K_B_EV),
                            ea_stderr_eV=float(pw.slopes_stderr[seg] * K_B_EV),
                            conductivity_regime=pw.n_segments - seg)
        for k in out:
            out[k].append(vals[k])
    for k, v in out.items():
        wide[k] = v
    return wide
