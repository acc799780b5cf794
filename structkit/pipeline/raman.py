"""The Raman technique in ``structkit run``: one band fit per spectrum, band trends per sample.

TOML table ``[raman]`` (the names of the ``structkit raman fit`` options, with ``_`` for ``-``;
every key is optional)::

    [raman]
    inputs = ["raman/*.txt"]
    table = "NaTaCl6"              # assignment table: a shipped name or a TOML file (relative to the campaign)
    select = ["TaCl_eq_stretch", "A1g_axial_stretch"]   # only these bands of the table
    peaks = [360.0, 405.0]         # starting centres instead of a table (neither: detected, count by BIC)
    max_bands = 8                  # most bands when detecting
    window = [250.0, 500.0]        # fit range, x units
    shape = "pvoigt"               # gaussian, lorentzian, pvoigt, voigt, pearson7, split_pvoigt
    background = "none"            # polynomial refined with the bands: none, constant, linear, quadratic, cubic or 0-6
    same_width = [["A", "B"]]      # bands sharing one FWHM
    sigma = "auto"                 # auto, poisson, noise, none
    baseline = "arpls"             # poly, modpoly, imodpoly, asls, arpls, airpls, rubberband, snip or none
    lam = "auto"                   # smoothness of asls/arpls/airpls
    anchors = [[250, 300], [460, 500]]   # band-free windows, for baseline = "poly"
    poly_order = 2                 # degree of poly/modpoly/imodpoly
    despike = false                # remove cosmic-ray spikes first
    min_width = 3.0                # FWHM of the narrowest real band (spike test; with despike)
    condition = "temperature_K"    # the series variable of the summary (default: the condition that varies)
    split = { A1g = [340, 440] }   # one band or two in this window, per spectrum
    figures = true
    sample = "NTC"                 # overrides the sample of every file

The defaults are those of the command line: bands detected and counted by BIC on an arPLS
baseline with automatic smoothness. Each spectrum is fitted on its own (tasks run in parallel),
so unlike ``structkit raman fit --condition`` a fit does not start from the previous spectrum's.

Per file, ``raman_bands.csv`` gets one row per band (the columns of
:meth:`~structkit.raman.BandFitResult.to_frame`, ratio columns, and with ``split`` the columns
``split[NAME]`` and ``splitting_<unit>[NAME]``); descriptors ``center_<unit>[band]``,
``fwhm_<unit>[band]``, ``area[band]`` ... as the command line writes them. The summary follows each
band across the spectra of a sample (by name with a table or peaks; by centre when the bands were
detected, named ``b<centre>``) and writes ``raman_series.csv`` (band parameters against the
condition) and ``raman_trends.csv``, with the descriptors ``dcenter_<unit>_d<condition>[band]`` and
``dfwhm_<unit>_d<condition>[band]`` (weighted straight line, per sample, at least three condition
values).

Examples
--------
>>> raman_fit_kws({"baseline": "poly", "anchors": [[250, 300], [460, 500]], "poly_order": 2})["baseline"]
{'method': 'poly', 'anchors': [[250, 300], [460, 500]], 'poly_order': 2}
>>> RamanAdapter().validate({"baseline": "poly"}, where="c.toml [raman]")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: c.toml [raman] anchors: baseline = "poly" needs band-free windows, e.g. anchors = [[250, 300], [460, 500]]
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path

from ..core.errors import ConfigError, StructkitError
from ..core.settings import bool_setting, choice_setting, file_setting, number_setting, range_setting
from .adapters import (
    SummaryResult,
    TaskResult,
    TechniqueAdapter,
    check_keys,
    read_hints,
    register_adapter,
    save_and_close,
    slug,
)

__all__ = ["RamanAdapter", "raman_fit_kws", "raman_settings", "track_bands"]

#: Band-fit settings (the ``structkit raman fit`` options) and their command-line defaults.
FIT_DEFAULTS = {"table": None, "select": None, "peaks": None, "max_bands": 8, "window": None, "shape": "pvoigt",
                "background": "none", "same_width": [], "sigma": "auto", "baseline": "arpls", "lam": "auto",
                "anchors": None, "poly_order": 2, "despike": False, "min_width": None}
_KEYS = (*FIT_DEFAULTS, "condition", "split", "figures", "sample")
_SIGMAS = ("auto", "poisson", "noise", "none")
_BACKGROUNDS = ("none", "constant", "linear", "quadratic", "cubic")
_SERIES_QUANTITIES = ("center", "fwhm")
_MIN_SERIES = 3


def raman_fit_kws(settings: Mapping) -> dict:
    """Keyword arguments of :func:`structkit.raman.fit_spectrum` from the band-fit settings.

    ``settings`` has the keys of :data:`FIT_DEFAULTS` (a checked ``[raman]`` table, or the
    options of ``structkit raman fit`` / ``structkit nmr lines``); missing keys take the
    defaults. One definition for the command line and ``structkit run``.
    """
    s = {**FIT_DEFAULTS, **{k: v for k, v in settings.items() if k in FIT_DEFAULTS}}
    name = str(s["baseline"]).lower()
    if name == "none":
        baseline = None
    else:
        baseline = {"method": name}
        if name == "poly":
            if not s["anchors"]:
                raise ConfigError("baseline poly needs band-free windows (anchors)")
            baseline.update(anchors=s["anchors"], poly_order=s["poly_order"])
        elif name in ("modpoly", "imodpoly"):
            baseline["poly_order"] = s["poly_order"]
        elif name in ("asls", "arpls", "airpls"):
            baseline["lam"] = s["lam"]
    despike = ({"min_width": s["min_width"]} if s["min_width"] else True) if s["despike"] else False
    return dict(bands=s["table"], select=s["select"], peaks=s["peaks"], window=s["window"], baseline=baseline,
                despike=despike, shape=s["shape"], background=s["background"], sigma=s["sigma"],
                same_width=s["same_width"] or (), max_bands=s["max_bands"])


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _names(value, key: str, where: str, example: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} {key}: must be a list of band names, e.g. {key} = {example}, got {value!r}")
    return [v.strip() for v in value]


def _table_setting(raw, where: str, base_dir, select):
    """The band table: a file (made absolute, with its SHA-256) or a shipped name; checked by loading it."""
    from ..raman.bands import load_bands

    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where} table: must be a band table name (structkit raman bands lists them) "
                          f"or a TOML file, got {raw!r}")
    extra = {}
    local = Path(raw).expanduser()
    if base_dir is not None and not local.is_absolute():
        local = Path(base_dir) / local
    if raw.lower().endswith(".toml") or local.is_file():
        path = file_setting(raw, "table", where, base_dir)
        value, extra = str(path), {"table_sha256": _sha256(path)}
    else:
        value = raw.strip()
    try:
        table = load_bands(value)
        if select is not None:
            table = table.select(select)
    except StructkitError as exc:
        key = "select" if select is not None and "has no band" in exc.message else "table"
        raise ConfigError(f"{where} {key}: {exc.message}") from None
    if table.technique != "raman":
        raise ConfigError(f"{where} table: band table {table.name!r} is for {table.technique}, not raman")
    return value, extra


def raman_settings(settings: Mapping, *, where: str, base_dir=None) -> dict:
    """Check and complete a ``[raman]`` table (see the module docstring); JSON-serialisable."""
    from ..core.peakmodel import get_shape
    from ..raman.baseline import BASELINE_METHODS

    check_keys(settings, _KEYS, where=where)
    s = settings
    out = dict(FIT_DEFAULTS)
    if "select" in s:
        if "table" not in s:
            raise ConfigError(f"{where} select: selects bands of an assignment table; give table = \"...\" too")
        out["select"] = _names(s["select"], "select", where, '["A1g", "Eg"]')
    if "table" in s:
        if "peaks" in s:
            raise ConfigError(f"{where} peaks: give either table (an assignment table) or peaks "
                              "(starting centres), not both")
        out["table"], extra = _table_setting(s["table"], where, base_dir, out["select"])
        out.update(extra)
    if "peaks" in s:
        p = s["peaks"]
        if not isinstance(p, list) or not p or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p):
            raise ConfigError(f"{where} peaks: must be a list of starting centres (x units), "
                              f"e.g. peaks = [360.0, 405.0], got {p!r}")
        out["peaks"] = [float(v) for v in p]
    if "max_bands" in s:
        out["max_bands"] = number_setting(s, "max_bands", where, integer=True, lo=1, hi=20)
    if "window" in s:
        out["window"] = list(range_setting(s, "window", where))
    if "shape" in s:
        try:
            if not isinstance(s["shape"], str):
                raise ConfigError(f"a line shape is a name, not {s['shape']!r}")
            out["shape"] = get_shape(s["shape"]).name
        except StructkitError as exc:
            raise ConfigError(f"{where} shape: {exc.message}") from None
    if "background" in s:
        b = s["background"]
        if isinstance(b, int) and not isinstance(b, bool):
            out["background"] = number_setting(s, "background", where, integer=True, lo=-1, hi=6)
        else:
            out["background"] = choice_setting({"background": b.lower() if isinstance(b, str) else b},
                                               "background", where, _BACKGROUNDS)
    if "same_width" in s:
        groups = s["same_width"]
        if not isinstance(groups, list) or not groups:
            raise ConfigError(f"{where} same_width: must be a list of band groups, e.g. same_width = [[\"A\", \"B\"]]")
        if all(isinstance(g, str) for g in groups):      # one group: ["A", "B"]
            groups = [groups]
        out["same_width"] = [_names(g, "same_width", where, '[["A", "B"]]') for g in groups]
    out["sigma"] = choice_setting(s, "sigma", where, _SIGMAS, "auto")
    base = s.get("baseline", "arpls")
    out["baseline"] = choice_setting({"baseline": base.lower() if isinstance(base, str) else base}, "baseline",
                                     where, ("none", *BASELINE_METHODS))
    if "lam" in s:
        lam = s["lam"]
        out["lam"] = "auto" if isinstance(lam, str) and lam.strip().lower() == "auto" else \
            number_setting(s, "lam", where, positive=True)
    if "anchors" in s:
        a = s["anchors"]
        if not isinstance(a, list) or not a:
            raise ConfigError(f"{where} anchors: must be a list of [LO, HI] windows, e.g. [[250, 300], [460, 500]]")
        out["anchors"] = [list(range_setting({"anchors": w}, "anchors", where)) for w in a]
    if out["baseline"] == "poly" and not out["anchors"]:
        raise ConfigError(f"{where} anchors: baseline = \"poly\" needs band-free windows, "
                          "e.g. anchors = [[250, 300], [460, 500]]")
    if "poly_order" in s:
        out["poly_order"] = number_setting(s, "poly_order", where, integer=True, lo=0, hi=10)
    out["despike"] = bool_setting(s, "despike", where, False)
    if "min_width" in s:
        if not out["despike"]:
            raise ConfigError(f"{where} min_width: is the spike test's band width; set despike = true too")
        out["min_width"] = number_setting(s, "min_width", where, positive=True)
    if "condition" in s:
        c = s["condition"]
        if not isinstance(c, str) or not c.isidentifier():
            raise ConfigError(f"{where} condition: must be a condition name, e.g. \"temperature_K\" or "
                              f"\"milling_time_h\", got {c!r}")
        out["condition"] = c
    if "split" in s:
        sp = s["split"]
        if not isinstance(sp, dict) or not sp:
            raise ConfigError(f"{where} split: must be a table of NAME = [LO, HI], e.g. split = {{ A1g = [340, 440] }}")
        out["split"] = {}
        for k, w in sp.items():
            try:
                out["split"][str(k)] = list(range_setting(sp, k, "split"))
            except ConfigError:
                raise ConfigError(f"{where} split: the window of {k!r} must be [LO, HI] with LO < HI, got {w!r}; "
                                  "e.g. split = { A1g = [340, 440] }") from None
    out["figures"] = bool_setting(s, "figures", where, True)
    if "sample" in s:
        out["sample"] = str(s["sample"])
    return out


# -- summary: bands across spectra ---------------------------------------------------

def _suffix_of(rows) -> str | None:
    for k in rows.columns:
        if k.startswith("center_") and not k.startswith("center_stderr_"):
            return k[len("center_"):]
    return None


def track_bands(frame, *, order=None, tolerance: float = 0.5) -> list[str]:
    """Names that follow each band across spectra by its centre (for bands found by detection).

    ``frame`` holds one row per spectrum (``file``) and band with ``center_<unit>`` and
    ``fwhm_<unit>``; spectra are taken in ``order`` (a column, else row order). A band joins
    the track whose last centre is nearest, if closer than ``tolerance`` times the larger of
    the two FWHMs (pairs matched closest first, one band per track and spectrum), else starts
    a track. Tracks are named ``b<median centre>`` (``b405``), as ``peaks=`` names its bands.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"file": ["a", "a", "b", "b", "b"], "band": ["p1", "p2", "p1", "p2", "p3"],
    ...                   "center_cm1": [405.0, 360.0, 359.0, 402.5, 300.0], "fwhm_cm1": [8.0, 14, 14, 9, 5]})
    >>> track_bands(f)
    ['b404', 'b360', 'b360', 'b404', 'b300']
    """
    import numpy as np

    sfx = _suffix_of(frame)
    c = frame[f"center_{sfx}"].to_numpy(float)
    w = np.abs(frame[f"fwhm_{sfx}"].to_numpy(float))
    files = frame["file"].astype(str).to_numpy()
    keys = list(range(len(frame)))
    if order is not None:
        keys.sort(key=lambda i: (frame[order].iloc[i], files[i], i))
    seen: list[str] = []
    for i in keys:
        if files[i] not in seen:
            seen.append(files[i])
    tracks: list[dict] = []          # last centre, last width, members
    owner = [-1] * len(frame)
    for f in seen:
        idx = [i for i in keys if files[i] == f and np.isfinite(c[i])]
        pairs = sorted((abs(c[i] - t["c"]), i, j) for i in idx for j, t in enumerate(tracks))
        used_b, used_t = set(), set()
        for d, i, j in pairs:
            if i in used_b or j in used_t:
                continue
            if d <= tolerance * max(w[i], tracks[j]["w"]):
                owner[i] = j
                used_b.add(i)
                used_t.add(j)
        for i in idx:
            if i not in used_b:
                tracks.append({"c": c[i], "w": w[i], "members": []})
                owner[i] = len(tracks) - 1
            t = tracks[owner[i]]
            t["c"], t["w"] = c[i], w[i]
            t["members"].append(i)
    names, taken = [], set()
    for t in tracks:
        base = f"b{float(np.median(c[t['members']])):.0f}".replace("-", "m")
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        names.append(name)
    return [names[j] if j >= 0 else str(frame["band"].iloc[i]) for i, j in enumerate(owner)]


def _varying_condition(frame, names) -> str | None:
    """The first condition (``temperature_K`` first, then by name) with two values or more in a sample."""
    for c in sorted(names, key=lambda c: (c != "temperature_K", c)):
        if c in frame.columns and frame.groupby("sample")[c].nunique().max() > 1:
            return c
    return None


def _condition_unit(condition: str) -> str:
    """``temperature_K`` -> ``K``, ``milling_time_h`` -> ``h``; empty when the name carries no unit."""
    head, sep, tail = condition.rpartition("_")
    return tail if sep and head else ""


class RamanAdapter(TechniqueAdapter):
    """Raman spectrum -> band fit (per file); band centres and widths against a condition (per sample)."""

    name = "raman"
    table_name = "raman_bands"
    version = "1"

    def validate(self, settings: dict, *, where: str, base_dir=None) -> dict:
        return raman_settings(settings, where=where, base_dir=base_dir)

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        from ..io import read
        from ..raman import fit_spectrum
        from ..raman.series import fit_series

        path = Path(path)
        m = read(path, **read_hints(settings, hints))
        r = fit_spectrum(m, **raman_fit_kws(settings))
        msgs = [] if r.converged else [f"{path.name}: band fit did not converge: {r.fit.report.message}"]
        cond = settings.get("condition")
        if cond and m.conditions.get(cond) is None:
            msgs.append(f"{path.name}: no condition {cond!r} (file name, header or sidecar); "
                        "left out of the band series")
        # one spectrum through the series machinery: ratio columns and the splitting tests, as the CLI has them
        series = fit_series([m], split_windows=settings.get("split") or None, fit=lambda _m, start=None: r)
        msgs += [f"{path.name}: {msg}" for _src, msg in series.failures]
        descs = series.descriptors()
        table = series.to_frame()
        rows, sfx = table.to_dict("records"), _suffix_of(table)
        for key, (test,) in series.splits.items():
            for row in rows:
                row[f"split[{key}]"] = bool(test.split)
                row[f"splitting_{sfx}[{key}]"] = test.separation
                row[f"splitting_stderr_{sfx}[{key}]"] = test.separation_stderr
        for row in rows:
            row.pop("file", None)            # the runner writes the path relative to the campaign
        figs = []
        if settings.get("figures", True):
            figs.append(save_and_close(r.plot(), Path(figure_dir) / f"{slug(path.stem)}_fit.png"))
        return TaskResult(rows=rows, descriptors=descs, figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path) -> SummaryResult:
        import pandas as pd

        rows = [r for res in results for r in res.rows]
        frame = pd.DataFrame(rows)
        if frame.empty or _suffix_of(frame) is None:
            return SummaryResult(messages=["no band fitted: no band series"])
        sfx = _suffix_of(frame)
        x_unit = next((d.unit for res in results for d in res.descriptors if d.name.startswith(f"center_{sfx}[")),
                      sfx)
        frame["sample"] = frame["sample"].fillna("").astype(str) if "sample" in frame else ""
        cond = settings.get("condition")
        msgs: list[str] = []
        if cond is None:
            names = {k for res in results for d in res.descriptors for k in d.conditions}
            cond = _varying_condition(frame, names)
            if cond is not None:
                msgs.append(f"band series against {cond} (the condition that varies between the spectra; "
                            "set condition to choose another)")
        if cond is not None and cond not in frame.columns:
            return SummaryResult(messages=[f"no spectrum has the condition {cond!r}: no band series"])
        named = bool(settings.get("table") or settings.get("peaks"))
        parts, trends, descs, figs = [], [], [], []
        for sample, g in frame.groupby("sample", sort=True):
            g = g.reset_index(drop=True)
            if cond is not None:
                missing = g[g[cond].isna()]
                if len(missing):
                    msgs.append(f"sample {sample!r}: {missing['file'].nunique()} spectrum(s) without {cond!r} "
                                "left out of the band series")
                g = g[g[cond].notna()].reset_index(drop=True)
            if g.empty:
                continue
            ids = list(g["band"].astype(str)) if named else track_bands(g, order=cond)
            g = g.assign(fitted_band=g["band"].astype(str), band=ids)
            keep = ["sample", "band", "fitted_band", *([cond] if cond else []), "file"]
            keep += [c for c in (f"center_{sfx}", f"center_stderr_{sfx}", f"fwhm_{sfx}", f"fwhm_stderr_{sfx}",
                                 "area", "area_stderr", "area_fraction", "area_fraction_stderr", "height", "eta",
                                 "converged") if c in g.columns]
            g = g[keep].sort_values(["band", *([cond] if cond else []), "file"], kind="stable")
            parts.append(g)
            if cond is not None:
                t, d = self._trends(g, sample, cond, sfx, x_unit)
                trends += t
                descs += d
                if settings.get("figures", True) and g["file"].nunique() > 1:
                    from ..raman.plot import plot_series
                    path = Path(out_dir) / "figures" / "raman" / f"bands_vs_{slug(cond)}_{slug(sample)}.png"
                    save_and_close(plot_series(g, condition=cond, unit=sfx), path)
                    figs.append(str(path.relative_to(out_dir)))
        tables = {}
        if parts:
            tables["raman_series"] = pd.concat(parts, ignore_index=True)
        if trends:
            tables["raman_trends"] = pd.DataFrame(trends)
        if not named and parts:
            msgs.append("bands were detected, not named: the summary follows them across spectra by centre "
                        "(band column b<centre>; fitted_band is the per-file name); give peaks or table for "
                        "per-file names that agree between spectra")
        return SummaryResult(tables=tables, descriptors=descs, figures=figs, messages=msgs)

    @staticmethod
    def _trends(g, sample: str, cond: str, sfx: str, x_unit: str):
        """Weighted straight line of centre and FWHM against the condition, per band (>= 3 values)."""
        import numpy as np

        from ..core.descriptors import DescriptorRow
        from ..core.piecewise import fit_piecewise_linear

        rows, descs = [], []
        cunit = _condition_unit(cond)
        for band, b in g.groupby("band", sort=True):
            if "converged" in b.columns:
                b = b[b["converged"].astype(bool)]
            for q in _SERIES_QUANTITIES:
                col, ecol = f"{q}_{sfx}", f"{q}_stderr_{sfx}"
                x, y = b[cond].to_numpy(float), b[col].to_numpy(float)
                e = b[ecol].to_numpy(float) if ecol in b.columns else np.full(y.size, np.nan)
                ok = np.isfinite(x) & np.isfinite(y)
                if np.unique(x[ok]).size < _MIN_SERIES:
                    continue
                sig = e[ok] if np.all(np.isfinite(e[ok]) & (e[ok] > 0)) else None
                try:
                    fit = fit_piecewise_linear(x[ok], y[ok], sigma=sig, n_segments=1,
                                               context=f"{q} of {band} against {cond} ({sample})")
                except StructkitError:
                    continue
                slope, err = float(fit.slopes[0]), float(fit.slopes_stderr[0])
                name = f"d{q}_{sfx}_d{cond}[{band}]"
                unit = f"{x_unit}/{cunit}" if cunit else x_unit
                rows.append({"sample": sample, "band": band, "quantity": f"{q}_{sfx}", "condition": cond,
                             "slope": slope, "slope_stderr": err, "unit": unit, "n_points": int(ok.sum()),
                             f"{cond}_min": float(x[ok].min()), f"{cond}_max": float(x[ok].max())})
                descs.append(DescriptorRow(sample=sample, name=name, value=slope, stderr=err, unit=unit,
                                           technique="raman", conditions={},
                                           source=";".join(sorted(set(b["file"].astype(str)))),
                                           method=f"raman:series:linear:{cond}"))
        return rows, descs


register_adapter(RamanAdapter())
