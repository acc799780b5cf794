"""Assignment tables: named bands with starting positions, bounds, assignments and citations.

Tables are TOML files (schema in ``reference_spectra/bands/SOURCES.md``); the
ones structkit ships live in ``reference_spectra/bands/`` and are found by
name (``load_bands("NaTaCl6")``); a path to any other TOML file works too, and
``STRUCTKIT_BANDS_PATH`` (directories separated by ``os.pathsep``) adds
folders to search. A table turns into the :class:`~structkit.core.peakfit.PeakSpec`
list a fit starts from (:meth:`BandTable.peak_specs`), restricted to the data
range, optional bands dropped where they are not in the data.

Examples
--------
>>> t = load_bands("NaTaCl6")
>>> t.technique, t.x_unit, [b.name for b in t.bands][:2]
('raman', 'cm-1', ['T2g_oop_bend', 'T2g_ip_bend'])
>>> [s.name for s in t.peak_specs(x_range=(160, 600))]   # the optional band below 150 is dropped
['T2g_ip_bend', 'TaCl_eq_stretch', 'A1g_axial_stretch']
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ConfigError, FitError
from ..core.frozen import FrozenMap
from ..core.peakfit import PeakSpec

__all__ = ["Band", "BandRatio", "BandTable", "load_bands", "available_band_tables", "band_table_dirs"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Band:
    """One assigned band: start and bounds of centre and FWHM, assignment and reference."""

    name: str
    center: float
    range: tuple[float, float]
    fwhm: float
    fwhm_range: tuple[float, float]
    assignment: str = ""
    reference: str = ""
    optional: bool = False
    shape: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "extra", FrozenMap(dict(self.extra)))


@dataclass(frozen=True)
class BandRatio:
    """A ratio the fits report: ``quantity`` of ``numerator`` over that of ``denominator``."""

    name: str
    numerator: str
    denominator: str
    quantity: str = "area"


@dataclass(frozen=True)
class BandTable:
    """A named set of bands for one material or species."""

    name: str
    title: str
    technique: str
    x_unit: str
    bands: tuple[Band, ...]
    ratios: tuple[BandRatio, ...] = ()
    references: Mapping[str, str] = field(default_factory=dict)
    shape: str = "pvoigt"
    note: str = ""
    path: str = ""

    def __post_init__(self):
        object.__setattr__(self, "references", FrozenMap(dict(self.references)))

    def __getitem__(self, name: str) -> Band:
        for b in self.bands:
            if b.name == name:
                return b
        raise KeyError(f"table {self.name!r} has no band {name!r}; bands: {', '.join(b.name for b in self.bands)}")

    def select(self, names: Iterable[str]) -> "BandTable":
        """The table restricted to the named bands (FitError naming an unknown one)."""
        names = list(names)
        known = {b.name for b in self.bands}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise FitError(f"band table {self.name!r} has no band {', '.join(map(repr, unknown))}; "
                           f"its bands are {', '.join(sorted(known))}")
        keep = tuple(b for b in self.bands if b.name in names)
        ratios = tuple(r for r in self.ratios if r.numerator in names and r.denominator in names)
        return BandTable(self.name, self.title, self.technique, self.x_unit, keep, ratios, self.references,
                         self.shape, self.note, self.path)

    def peak_specs(self, *, x_range: tuple[float, float] | None = None, shape: str | None = None,
                   scale: float = 1.0) -> list[PeakSpec]:
        """Starting values and bounds for a fit.

        Bands whose allowed range lies outside ``x_range`` are dropped when
        optional and raise :class:`FitError` otherwise; ranges are clipped to the
        data. ``scale`` converts positions and widths to the data's unit (e.g. ppm
        to Hz).
        """
        out = []
        for b in self.bands:
            lo, hi = b.range[0] * scale, b.range[1] * scale
            lo, hi = min(lo, hi), max(lo, hi)
            c = b.center * scale
            if x_range is not None:
                xlo, xhi = min(x_range), max(x_range)
                if hi <= xlo or lo >= xhi:
                    if b.optional:
                        continue
                    raise FitError(f"band {b.name!r} of table {self.name!r} ({lo:g} to {hi:g} {self.x_unit}) is "
                                   f"outside the data ({xlo:g} to {xhi:g}); crop less, or select the bands "
                                   "the spectrum covers", path=self.path or None)
                lo, hi = max(lo, xlo), min(hi, xhi)
                c = min(max(c, lo), hi)              # the centre into the part of its range the data cover
            w_lo, w_hi = sorted(abs(v * scale) for v in b.fwhm_range)
            out.append(PeakSpec(b.name, c, fwhm=abs(b.fwhm * scale), shape=b.shape or shape or self.shape,
                                center_range=(lo, hi), fwhm_range=(w_lo, w_hi)))
        if not out:
            raise FitError(f"no band of table {self.name!r} lies in the data range {x_range}")
        return out

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"band": b.name, "center": b.center, "range_low": b.range[0], "range_high": b.range[1],
                              "fwhm": b.fwhm, "assignment": b.assignment, "optional": b.optional,
                              "reference": "; ".join(self.references.get(k.strip(), k.strip())
                                                     for k in b.reference.split(";") if k.strip())}
                             for b in self.bands])


def band_table_dirs() -> list[Path]:
    """Folders searched for tables: ``STRUCTKIT_BANDS_PATH``, then the shipped ``reference_spectra/bands``."""
    dirs = [Path(p) for p in os.environ.get("STRUCTKIT_BANDS_PATH", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parents[2] / "reference_spectra" / "bands")
    return dirs


def _table_files() -> dict[str, tuple[Path, str]]:
    """Table name -> (file, title), first found over :func:`band_table_dirs`."""
    out: dict[str, tuple[Path, str]] = {}
    for d in band_table_dirs():
        for f in sorted(d.glob("*.toml")) if d.is_dir() else ():
            try:
                with open(f, "rb") as fh:
                    doc = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError):
                continue
            out.setdefault(str(doc.get("name", f.stem)), (f, str(doc.get("title", ""))))
    return out


def available_band_tables() -> dict[str, str]:
    """Table name -> title, over :func:`band_table_dirs`.

    Examples
    --------
    >>> "Na23_NTOC" in available_band_tables()
    True
    """
    return {name: title for name, (_, title) in _table_files().items()}


def _pair(v, key, where) -> tuple[float, float]:
    try:
        lo, hi = (float(t) for t in v)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} must be [low, high], got {v!r}") from None
    if not lo < hi:
        raise ConfigError(f"{where}: {key} [{lo:g}, {hi:g}] is empty")
    return lo, hi


def _parse(doc: Mapping, path: str) -> BandTable:
    where = path or "band table"
    for key in ("name", "technique", "x_unit"):
        if key not in doc:
            raise ConfigError(f"{where}: missing top-level key {key!r}")
    refs = dict(doc.get("references", {}))
    bands, seen = [], set()
    raw_bands = doc.get("band", [])
    if not raw_bands:
        raise ConfigError(f"{where}: no [[band]] entries")
    known_keys = {"name", "center", "range", "fwhm", "fwhm_range", "assignment", "reference", "optional", "shape"}
    for i, b in enumerate(raw_bands, 1):
        bw = f"{where}, band {i}"
        name = str(b.get("name", ""))
        if not _NAME.match(name):
            raise ConfigError(f"{bw}: name {name!r} must be letters, digits and underscores")
        if name in seen:
            raise ConfigError(f"{bw}: band {name!r} appears twice")
        seen.add(name)
        try:
            center, fwhm = float(b["center"]), float(b["fwhm"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{bw} ({name}): center and fwhm must be numbers") from None
        rng = _pair(b.get("range"), "range", f"{bw} ({name})")
        wrng = _pair(b.get("fwhm_range"), "fwhm_range", f"{bw} ({name})")
        if not rng[0] <= center <= rng[1]:
            raise ConfigError(f"{bw} ({name}): center {center:g} outside range {rng}")
        if not wrng[0] <= fwhm <= wrng[1]:
            raise ConfigError(f"{bw} ({name}): fwhm {fwhm:g} outside fwhm_range {wrng}")
        for key in str(b.get("reference", "")).split(";"):
            if key.strip() and key.strip() not in refs:
                raise ConfigError(f"{bw} ({name}): reference {key.strip()!r} is not in [references]")
        bands.append(Band(name, center, rng, fwhm, wrng, str(b.get("assignment", "")), str(b.get("reference", "")),
                          bool(b.get("optional", False)), b.get("shape"),
                          {k: v for k, v in b.items() if k not in known_keys}))
    ratios = []
    for r in doc.get("ratio", []):
        for key in ("numerator", "denominator"):
            if r.get(key) not in seen:
                raise ConfigError(f"{where}: ratio {r.get('name')!r} names band {r.get(key)!r}, not in the table")
        q = str(r.get("quantity", "area"))
        if q not in ("area", "height"):
            raise ConfigError(f"{where}: ratio {r.get('name')!r} quantity {q!r}; use area or height")
        ratios.append(BandRatio(str(r.get("name", f"{r['numerator']}_over_{r['denominator']}")),
                                r["numerator"], r["denominator"], q))
    return BandTable(str(doc["name"]), str(doc.get("title", "")), str(doc["technique"]), str(doc["x_unit"]),
                     tuple(bands), tuple(ratios), refs, str(doc.get("shape", "pvoigt")), str(doc.get("note", "")),
                     path)


def load_bands(table: str | os.PathLike | BandTable) -> BandTable:
    """A band table by name (shipped or on ``STRUCTKIT_BANDS_PATH``) or by path to a TOML file.

    Raises
    ------
    ConfigError
        Unknown name (the message lists the known ones), unreadable or invalid TOML.
    """
    if isinstance(table, BandTable):
        return table
    p = Path(table)
    candidates = [p] if p.suffix.lower() == ".toml" or p.exists() else []
    for d in band_table_dirs():
        candidates.append(d / f"{table}.toml")
    for c in candidates:
        if c.is_file():
            try:
                with open(c, "rb") as fh:
                    doc = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"not valid TOML: {exc}", path=c) from None
            return _parse(doc, str(c))
    # a table's own name (its file may be called otherwise), also in another case
    files = _table_files()
    match = [k for k in files if k == str(table)] or [k for k in files if k.lower() == str(table).lower()]
    if match:
        f = files[match[0]][0]
        with open(f, "rb") as fh:
            return _parse(tomllib.load(fh), str(f))
    raise ConfigError(f"no band table {str(table)!r}; shipped tables: {', '.join(sorted(files)) or 'none'} "
                      "(or give a path to a TOML file)")
