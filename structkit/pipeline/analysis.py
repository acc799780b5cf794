"""Cross-technique analysis of a campaign: descriptors against σ and Ea, and co-located breakpoints.

Pure functions over pandas frames; matplotlib is imported inside the plotting
functions, which build :class:`matplotlib.figure.Figure` objects directly (no
pyplot state to close).

* :func:`correlate` — every numeric descriptor column of the joined table
  against ``ln σ`` and ``Ea``: Pearson r and Spearman ρ with their p-values,
  the number of pairs and of samples behind them, technique and unit.
* :func:`breakpoint_events` — every regime breakpoint / onset temperature in
  the long table (``breakpoint{i}_K`` of the Arrhenius fit,
  ``expansion_breakpoint{i}_K`` of thermal expansion, any ``*onset*_K`` or
  ``*transition*_K``).
* :func:`colocate_breakpoints` — per sample, every pair of events from two
  different techniques, their difference, its standard error and a z-test.
* :func:`plot_descriptor_vs_sigma`, :func:`plot_breakpoints` — the figures.
* :func:`cross_technique` — all of it for a campaign; never raises on empty or
  degenerate input, it returns empty frames and says why in ``messages``.

Caveats the numbers do not show
-------------------------------
* Rows are (sample, condition) pairs. Rows of one sample at several
  temperatures are not independent, and a descriptor that drifts with T
  correlates with ``ln σ`` through T alone; the p-values assume independent
  pairs. ``n_samples`` says how many samples stand behind each coefficient.
* The co-location z-test assumes independent, Gaussian errors on the two
  temperatures; breakpoint standard errors from a piecewise fit can be
  optimistic, so ``coincide`` is a screen, not a proof.

Examples
--------
>>> import numpy as np
>>> from structkit.core import DescriptorRow, DescriptorTable
>>> sigma = {"S1": 1e-4, "S2": 2e-4, "S3": 4e-4, "S4": 8e-4}
>>> rows = [DescriptorRow(s, "a_angstrom", 6.0 + 0.01 * np.log(v / 1e-4), 1e-3, "angstrom",
...                       technique="xrd", conditions={"temperature_K": 300.0}) for s, v in sigma.items()]
>>> rows += [DescriptorRow("S1", "breakpoint1_K", 343.0, 4.0, "K", technique="conductivity"),
...          DescriptorRow("S1", "expansion_breakpoint1_K", 338.0, 3.0, "K", technique="xrd")]
>>> table = DescriptorTable.from_rows(rows)
>>> joined = table.to_wide()          # join_conductivity(...) in a real campaign
>>> joined["sigma_S_per_cm"] = joined["sample"].map(sigma).where(joined["temperature_K"] == 300.0)
>>> joined["ea_eV"] = np.nan
>>> res = cross_technique(table, joined)
>>> ok = res.correlations[res.correlations["note"] == ""]
>>> print(ok[["technique", "descriptor", "target", "n", "pearson_r", "spearman_rho"]].round(12).to_string(index=False))
technique descriptor   target  n  pearson_r  spearman_rho
      xrd a_angstrom ln_sigma  4        1.0           1.0
>>> print(res.pairs[["sample", "name_a", "name_b", "delta_K", "z", "coincide"]].to_string(index=False))
sample        name_a                  name_b  delta_K    z  coincide
    S1 breakpoint1_K expansion_breakpoint1_K     -5.0 -1.0      True
>>> res.messages[0]
'5 descriptor/target combination(s) not computed (see the note column)'
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.descriptors import FIXED_COLUMNS, DescriptorTable
from ..core.errors import ConfigError

if TYPE_CHECKING:
    import pandas

__all__ = [
    "correlate", "breakpoint_events", "colocate_breakpoints",
    "plot_descriptor_vs_sigma", "plot_breakpoints",
    "cross_technique", "CrossTechniqueResult",
    "CORRELATION_COLUMNS", "EVENT_COLUMNS", "PAIR_COLUMNS", "CONDUCTIVITY_COLUMNS", "EVENT_PATTERN",
]

#: Columns :func:`join_conductivity` adds to the wide table; never treated as descriptors.
CONDUCTIVITY_COLUMNS = ("sigma_S_per_cm", "sigma_stderr_S_per_cm", "ea_eV", "ea_stderr_eV",
                        "conductivity_regime", "conductivity_note")

#: Output columns of :func:`correlate`, in order.
CORRELATION_COLUMNS = ("technique", "descriptor", "unit", "target", "n", "n_samples",
                       "pearson_r", "pearson_p", "spearman_rho", "spearman_p", "note")

#: Output columns of :func:`breakpoint_events` (condition columns other than temperature follow).
EVENT_COLUMNS = ("sample", "technique", "name", "temperature_K", "stderr_K")

#: Output columns of :func:`colocate_breakpoints` (shared condition columns follow).
PAIR_COLUMNS = ("sample", "technique_a", "name_a", "T_a", "err_a", "technique_b", "name_b", "T_b", "err_b",
                "delta_K", "delta_stderr_K", "z", "coincide")

#: Descriptor names that are event temperatures: a ``breakpoint``, ``onset`` or
#: ``transition`` token (optionally numbered) anywhere in the name, delimited by ``_``,
#: ``.``, brackets or the ends. :func:`breakpoint_events` also requires the value to be a
#: temperature (unit K, or no unit and a name ending in ``_K``, or unit C). ``vtf_t0_K``,
#: ``bpp_t_max_K`` and Debye/Einstein ``theta_*_K`` are temperatures but not regime
#: changes, so they do not match.
EVENT_PATTERN = r"(?:^|[_.\[])(?:breakpoint|onset|transition)\d*(?:_|$|\])"

_TARGET_LABELS = {"ln_sigma": "ln σ (σ in S/cm)", "ea_eV": "Ea (eV)"}
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
_C_UNITS = {"C", "degC", "°C", "celsius"}


def _pd():
    import pandas as pd
    return pd


def _empty(columns):
    pd = _pd()
    return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})


def _dtype(col):
    if col in ("n", "n_samples"):
        return "int64"
    if col == "coincide":
        return "boolean"
    if col in ("sample", "technique", "descriptor", "unit", "target", "note", "name",
               "technique_a", "technique_b", "name_a", "name_b"):
        return object
    return float


def _long_frame(table):
    """The long frame of a DescriptorTable, a long DataFrame or None."""
    pd = _pd()
    if table is None:
        return DescriptorTable().to_frame()
    if isinstance(table, DescriptorTable):
        return table.to_frame()
    return DescriptorTable(pd.DataFrame(table)).to_frame()


def _column_map(long):
    """``{wide column: (technique, unit)}`` with the naming rule of :meth:`DescriptorTable.to_wide`."""
    if long.empty:
        return {}
    clash = long.groupby("name")["technique"].nunique()
    clash = set(clash[clash > 1].index)
    found: dict[str, tuple[set, set]] = {}
    for t, n, u in zip(long["technique"], long["name"], long["unit"]):
        col = f"{t}.{n}" if n in clash else n
        techs, units = found.setdefault(col, (set(), set()))
        techs.add(str(t))
        units.add(str(u))
    return {col: (";".join(sorted(techs)), ";".join(sorted(u for u in units if u) or [""]))
            for col, (techs, units) in found.items()}


def _fmt_p(p):
    return "nan" if not np.isfinite(p) else (f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}")


# -- correlations -----------------------------------------------------------------------------

def _target_values(joined, target):
    """The target as a float array, or None with the reason it is unavailable."""
    pd = _pd()
    if target == "ln_sigma":
        if "sigma_S_per_cm" not in joined.columns:
            return None, "no sigma_S_per_cm column (no conductivity joined)"
        s = pd.to_numeric(joined["sigma_S_per_cm"], errors="coerce").to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s > 0, np.log(np.where(s > 0, s, 1.0)), np.nan), ""
    if target not in joined.columns:
        return None, f"no {target} column in the joined table"
    return pd.to_numeric(joined[target], errors="coerce").to_numpy(float), ""


def _stats(x, y):
    """Pearson and Spearman of two finite, non-constant arrays; a note for scipy's warnings."""
    from scipy import stats
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pr = stats.pearsonr(x, y)
        sr = stats.spearmanr(x, y)
    notes = sorted({type(w.message).__name__ if not isinstance(w.message, str) else w.message
                    for w in caught})
    note = ("scipy warned: " + ", ".join(notes)) if notes else ""
    return (float(pr.statistic), float(pr.pvalue), float(sr.statistic), float(sr.pvalue)), note


def _correlate(joined, table, targets, min_points):
    """:func:`correlate` plus the messages :func:`cross_technique` reports."""
    pd = _pd()
    if int(min_points) < 3:
        raise ConfigError(f"correlate: min_points must be at least 3 (a p-value needs 3 pairs), got {min_points}")
    if isinstance(targets, str) or not tuple(targets):
        raise ConfigError(f"correlate: targets must be a non-empty sequence of names, got {targets!r}")
    targets = tuple(dict.fromkeys(str(t) for t in targets))
    messages: list[str] = []
    if joined is None or len(joined) == 0:
        return _empty(CORRELATION_COLUMNS), ["no joined rows: nothing to correlate"]
    joined = pd.DataFrame(joined)
    long = _long_frame(table)
    keys = ["sample", *[c for c in long.columns if c not in FIXED_COLUMNS]]
    keys = [k for k in keys if k in joined.columns]
    if keys:   # a fixed row order, so sums (and their last bits) do not depend on the input order
        joined = joined.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)
    colmap = _column_map(long)
    shadowed = sorted(c for c in colmap if c in CONDUCTIVITY_COLUMNS or c == "ln_sigma")
    if shadowed:
        messages.append(f"descriptor(s) {', '.join(shadowed)} share a name with a conductivity column of "
                        "the join and were not correlated; rename them")
    descriptors = sorted((c for c in colmap if c in joined.columns and c not in shadowed
                          and c not in keys and not c.endswith("_stderr")),
                         key=lambda c: (colmap[c][0], c))
    tvals = {}
    for t in targets:
        vals, why = _target_values(joined, t)
        if vals is None:
            messages.append(f"target {t} left out: {why}")
        else:
            tvals[t] = vals
    targets = tuple(t for t in targets if t in tvals)
    if not targets:
        return _empty(CORRELATION_COLUMNS), messages
    samples = joined["sample"].astype(str).to_numpy() if "sample" in joined.columns else np.array([""] * len(joined))
    rows = []
    for col in descriptors:
        technique, unit = colmap[col]
        x_all = pd.to_numeric(joined[col], errors="coerce").to_numpy(float)
        for t in targets:
            y_all = tvals[t]
            rec = {"technique": technique, "descriptor": col, "unit": unit, "target": t, "n": 0, "n_samples": 0,
                   "pearson_r": np.nan, "pearson_p": np.nan, "spearman_rho": np.nan, "spearman_p": np.nan,
                   "note": ""}
            ok = np.isfinite(x_all) & np.isfinite(y_all)
            x, y = x_all[ok], y_all[ok]
            rec["n"] = int(ok.sum())
            rec["n_samples"] = len(set(samples[ok].tolist()))
            if x.size < min_points:
                rec["note"] = f"{x.size} paired point(s) < min_points={int(min_points)}"
            elif np.ptp(x) == 0:
                rec["note"] = "descriptor constant over the paired rows"
            elif np.ptp(y) == 0:
                rec["note"] = f"{t} constant over the paired rows"
            else:
                (r, pr, rho, ps), note = _stats(x, y)
                rec.update(pearson_r=r, pearson_p=pr, spearman_rho=rho, spearman_p=ps, note=note)
            rows.append(rec)
    if not rows:
        if not descriptors:
            messages.append("no descriptor columns in the joined table to correlate")
        return _empty(CORRELATION_COLUMNS), messages
    out = pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))
    out["n"] = out["n"].astype("int64")
    out["n_samples"] = out["n_samples"].astype("int64")
    skipped = int((out["note"] != "").sum() - out["note"].str.startswith("scipy warned").sum())
    if skipped:
        messages.append(f"{skipped} descriptor/target combination(s) not computed (see the note column)")
    done = out[out["note"].isin([""]) | out["note"].str.startswith("scipy warned")]
    if len(done) and int(done["n_samples"].max()) == 1:
        messages.append("every correlation is within a single sample (a trend in the conditions), "
                        "not across samples")
    return out, messages


def correlate(joined, table, *, targets: Sequence[str] = ("ln_sigma", "ea_eV"), min_points: int = 4):
    """Every numeric descriptor column against ``ln σ`` and ``Ea``: Pearson and Spearman.

    Parameters
    ----------
    joined : pandas.DataFrame
        What :func:`~structkit.core.descriptors.join_conductivity` returns:
        the wide table plus ``sigma_S_per_cm``, ``ea_eV`` ...
    table : DescriptorTable or long DataFrame
        The long table behind ``joined``; it says which columns are
        descriptors, and their technique and unit (a name two techniques use
        is the column ``technique.name``, as in :meth:`DescriptorTable.to_wide`).
    targets : sequence of str
        ``"ln_sigma"`` (natural log of ``sigma_S_per_cm``) and/or any numeric
        column of ``joined`` such as ``"ea_eV"``.
    min_points : int
        Fewest (descriptor, target) pairs, both finite, for a coefficient.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CORRELATION_COLUMNS`: ``technique, descriptor, unit,
        target, n, n_samples, pearson_r, pearson_p, spearman_rho, spearman_p,
        note``. One row per descriptor and available target (a target whose
        column is missing, e.g. no conductivity joined, is left out), ordered by technique,
        descriptor, then target in the order given. A combination with fewer
        than ``min_points`` pairs, a constant descriptor or a constant target
        is not computed (no scipy warning): its statistics are NaN and
        ``note`` says why. ``note`` is empty for a computed row (or names a
        scipy warning, e.g. near-constant input).

    Notes
    -----
    Rows are (sample, condition) pairs; see the module docstring on what that
    means for the p-values. Sample/condition columns, ``*_stderr`` columns and
    the conductivity columns are never descriptors.
    """
    return _correlate(joined, table, targets, min_points)[0]


# -- breakpoint events ------------------------------------------------------------------------

def breakpoint_events(table, *, pattern: str = EVENT_PATTERN):
    """Every regime breakpoint or onset temperature in a long descriptor table.

    A row is an event when its ``name`` matches ``pattern`` (see
    :data:`EVENT_PATTERN`) and its value is a temperature: unit ``K``, or no
    unit and a name ending in ``_K``, or unit ``C``/``degC`` (converted to K).
    Rows whose value is not finite (a failed fit) are left out.

    Returns
    -------
    pandas.DataFrame
        ``sample, technique, name, temperature_K, stderr_K`` and then the
        table's condition columns other than ``temperature_K`` (an event is a
        temperature itself). ``stderr_K`` is NaN where none was reported.
        Sorted by sample, the other conditions, technique, name, temperature.
    """
    long = _long_frame(table)
    extra = [c for c in long.columns if c not in FIXED_COLUMNS and c not in ("sample", "temperature_K")]
    columns = [*EVENT_COLUMNS, *extra]
    if long.empty:
        return _empty(columns)
    rx = re.compile(pattern)
    unit = long["unit"].astype(str).str.strip()
    name = long["name"].astype(str)
    is_k = (unit == "K") | ((unit == "") & name.str.endswith("_K"))
    is_c = unit.isin(_C_UNITS)
    match = name.map(lambda n: rx.search(n) is not None).astype(bool)
    sel = long[match & (is_k | is_c)].copy()
    offset = np.where(unit[sel.index].isin(_C_UNITS), 273.15, 0.0)
    sel["temperature_K"] = sel["value"].to_numpy(float) + offset
    err = sel["stderr"].to_numpy(float)
    sel["stderr_K"] = np.where(np.isfinite(err) & (err >= 0), err, np.nan)
    sel = sel[np.isfinite(sel["temperature_K"].to_numpy(float))]
    if sel.empty:
        return _empty(columns)
    out = sel[columns].sort_values(["sample", *extra, "technique", "name", "temperature_K"],
                                   kind="mergesort", na_position="last").reset_index(drop=True)
    out["temperature_K"] = out["temperature_K"].astype(float)
    out["stderr_K"] = out["stderr_K"].astype(float)
    return out


def _compatible(a, b, extra):
    """Two events' other conditions agree (equal, or missing on either side); the shared values."""
    shared = {}
    for c in extra:
        va, vb = a[c], b[c]
        na, nb = _missing(va), _missing(vb)
        if not na and not nb and va != vb:
            return None
        shared[c] = vb if na else va
    return shared


def _missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def colocate_breakpoints(events, *, z_max: float = 2.0):
    """Per sample, every pair of events from two different techniques, with a z-test.

    Parameters
    ----------
    events : pandas.DataFrame
        :func:`breakpoint_events` output.
    z_max : float
        ``coincide`` is True when ``|z| <= z_max``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIR_COLUMNS`, then the events' other condition
        columns. ``technique_a`` sorts before ``technique_b``;
        ``delta_K = T_b - T_a``; ``delta_stderr_K = sqrt(err_a² + err_b²)``;
        ``z = delta_K / delta_stderr_K``.

        ``coincide`` (pandas nullable boolean) is ``<NA>`` — unknown, not
        False — when either standard error is missing, because no distance can
        then be judged; ``z`` is NaN too. When both standard errors are zero,
        ``z`` is 0 for equal temperatures (coincide) and ±inf otherwise.

        Events of one sample pair only when their other conditions (e.g.
        ``milling_time_h``) are equal or missing on one side.
    """
    pd = _pd()
    if z_max is None or not (float(z_max) >= 0):
        raise ConfigError(f"colocate_breakpoints: z_max must be a non-negative number, got {z_max!r}")
    z_max = float(z_max)
    events = pd.DataFrame(events) if events is not None else _empty(EVENT_COLUMNS)
    extra = [c for c in events.columns if c not in EVENT_COLUMNS]
    columns = [*PAIR_COLUMNS, *extra]
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ConfigError(f"colocate_breakpoints: events lack column(s) {', '.join(missing)}; "
                          "pass the frame breakpoint_events returns")
    if events.empty:
        return _empty(columns)
    events = events.sort_values(["sample", *extra, "technique", "name", "temperature_K"], kind="mergesort",
                                na_position="last").reset_index(drop=True)
    rows = []
    for _, g in events.groupby(events["sample"].astype(str), sort=True):
        recs = g.to_dict("records")
        for i in range(len(recs)):
            for j in range(i + 1, len(recs)):
                a, b = recs[i], recs[j]
                if str(a["technique"]) == str(b["technique"]):
                    continue
                if (str(a["technique"]), str(a["name"])) > (str(b["technique"]), str(b["name"])):
                    a, b = b, a
                shared = _compatible(a, b, extra)
                if shared is None:
                    continue
                ta, tb = float(a["temperature_K"]), float(b["temperature_K"])
                ea, eb = float(a["stderr_K"]), float(b["stderr_K"])
                delta = tb - ta
                known = math.isfinite(ea) and math.isfinite(eb)
                err = math.hypot(ea, eb) if known else math.nan
                if not known:
                    z, co = math.nan, None
                elif err > 0:
                    z = delta / err
                    co = abs(z) <= z_max
                else:
                    z = 0.0 if delta == 0 else math.copysign(math.inf, delta)
                    co = delta == 0
                rows.append({"sample": a["sample"], "technique_a": a["technique"], "name_a": a["name"],
                             "T_a": ta, "err_a": ea, "technique_b": b["technique"], "name_b": b["name"],
                             "T_b": tb, "err_b": eb, "delta_K": delta, "delta_stderr_K": err, "z": z,
                             "coincide": co, **shared})
    if not rows:
        return _empty(columns)
    out = pd.DataFrame(rows, columns=columns)
    out["coincide"] = out["coincide"].astype("boolean")
    order = ["sample", *extra, "technique_a", "technique_b", "name_a", "name_b", "T_a", "T_b"]
    return out.sort_values(order, kind="mergesort", na_position="last").reset_index(drop=True)


# -- figures ----------------------------------------------------------------------------------

def _sample_colors(samples):
    import matplotlib
    cmap = matplotlib.colormaps["tab10"]
    return {s: cmap(i % 10) for i, s in enumerate(samples)}


def plot_descriptor_vs_sigma(joined, correlations, technique: str, *, max_panels: int = 12):
    """Each descriptor of ``technique`` against ``ln σ``, one panel each, coloured by sample.

    Error bars come from the ``<descriptor>_stderr`` column (x) and
    ``sigma_stderr_S_per_cm / sigma_S_per_cm`` (y) where they exist. Each
    panel is annotated with r, ρ, their p-values and n (or the ``note`` that
    says why no coefficient was computed). Panels follow the order of
    ``correlations``; descriptors without a single paired point get no panel,
    and beyond ``max_panels`` the title says how many are left out.

    Returns
    -------
    matplotlib.figure.Figure
    """
    pd = _pd()
    from matplotlib.figure import Figure

    corr = correlations if correlations is not None else _empty(CORRELATION_COLUMNS)
    corr = corr[(corr["technique"] == technique) & (corr["target"] == "ln_sigma")]
    joined = pd.DataFrame(joined) if joined is not None else pd.DataFrame()
    corr = corr[corr["descriptor"].isin(list(joined.columns))]
    empty = int((corr["n"] == 0).sum())
    corr = corr[corr["n"] > 0]
    total = len(corr)
    corr = corr.iloc[:max(int(max_panels), 0)]
    if corr.empty or "sigma_S_per_cm" not in joined.columns:
        fig = Figure(figsize=(5.0, 2.4))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"no {technique} descriptor correlated with ln σ", ha="center", va="center")
        return fig
    n = len(corr)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(3.4 * ncols + 1.6, 2.9 * nrows + 0.6))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    fig.subplots_adjust(left=0.09, right=0.82, bottom=0.1, top=1 - 0.55 / (2.9 * nrows + 0.6),
                        wspace=0.38, hspace=0.48)
    sig = pd.to_numeric(joined["sigma_S_per_cm"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(sig > 0, np.log(np.where(sig > 0, sig, 1.0)), np.nan)
        if "sigma_stderr_S_per_cm" in joined.columns:
            yerr = pd.to_numeric(joined["sigma_stderr_S_per_cm"], errors="coerce").to_numpy(float) / sig
        else:
            yerr = np.full(len(joined), np.nan)
    samples_all = joined["sample"].astype(str).to_numpy() if "sample" in joined.columns else np.array([""] * len(y))
    colors = _sample_colors(sorted(set(samples_all.tolist())))
    shown = set()
    for k, rec in enumerate(corr.itertuples(index=False)):
        ax = axes[k // ncols][k % ncols]
        x = pd.to_numeric(joined[rec.descriptor], errors="coerce").to_numpy(float)
        ecol = f"{rec.descriptor}_stderr"
        xerr = (pd.to_numeric(joined[ecol], errors="coerce").to_numpy(float) if ecol in joined.columns
                else np.full(len(x), np.nan))
        ok = np.isfinite(x) & np.isfinite(y)
        for s in sorted(set(samples_all[ok].tolist())):
            m = ok & (samples_all == s)
            xe = np.where(np.isfinite(xerr[m]), xerr[m], 0.0)
            ye = np.where(np.isfinite(yerr[m]), yerr[m], 0.0)
            ax.errorbar(x[m], y[m], xerr=xe if xe.any() else None, yerr=ye if ye.any() else None,
                        fmt="o", ms=4, lw=0.8, capsize=1.5, color=colors[s],
                        label=s if s not in shown else None)
            shown.add(s)
        unit = f" ({rec.unit})" if rec.unit else ""
        ax.set_xlabel(f"{rec.descriptor}{unit}", fontsize=8)
        ax.set_ylabel(_TARGET_LABELS["ln_sigma"], fontsize=8)
        ax.tick_params(labelsize=7)
        if rec.note and not str(rec.note).startswith("scipy warned"):
            text = f"n = {rec.n}\n{rec.note}"
        else:
            text = (f"r = {rec.pearson_r:.3f} (p = {_fmt_p(rec.pearson_p)})\n"
                    f"ρ = {rec.spearman_rho:.3f} (p = {_fmt_p(rec.spearman_p)})\n"
                    f"n = {rec.n}, {rec.n_samples} sample(s)")
        ax.text(0.03, 0.97, text, transform=ax.transAxes, fontsize=6.5, va="top",
                bbox={"boxstyle": "round", "fc": "white", "ec": "0.7", "alpha": 0.85})
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_axis_off()
    if shown:
        fig.legend(*_handles(fig), loc="upper right", fontsize=7, title="sample", title_fontsize=7, frameon=False)
    more = f" (first {n} of {total})" if total > n else ""
    if empty:
        more += f"; {empty} without a paired point not shown"
    fig.suptitle(f"{technique} descriptors against ln σ{more}", fontsize=10)
    return fig


def _handles(fig):
    """Legend entries of every axis in ``fig``, one per label, in label order."""
    seen = {}
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    labels = sorted(seen)
    return [seen[lab] for lab in labels], labels


def plot_breakpoints(events, pairs=None):
    """Breakpoints per sample: one row each, techniques as markers with horizontal error bars.

    The x axis is temperature in K with a secondary axis in °C on top. With
    ``pairs`` (:func:`colocate_breakpoints`), each pair is joined by a line:
    solid green where the temperatures coincide, dashed red where they do not,
    dotted grey where that is unknown (a missing standard error).

    Returns
    -------
    matplotlib.figure.Figure
    """
    pd = _pd()
    from matplotlib.figure import Figure

    events = pd.DataFrame(events) if events is not None else _empty(EVENT_COLUMNS)
    if events.empty:
        fig = Figure(figsize=(5.0, 2.0))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no breakpoint or onset temperatures", ha="center", va="center")
        return fig
    techniques = sorted(set(events["technique"].astype(str)))
    tech_y = {t: i for i, t in enumerate(techniques)}
    markers = {t: _MARKERS[i % len(_MARKERS)] for i, t in enumerate(techniques)}
    colors = {t: f"C{i % 10}" for i, t in enumerate(techniques)}
    samples = sorted(set(events["sample"].astype(str)))
    row_h = 0.45 * len(techniques) + 0.7
    fig = Figure(figsize=(7.0, row_h * len(samples) + 1.1))
    axes = fig.subplots(len(samples), 1, squeeze=False, sharex=True)[:, 0]
    height = row_h * len(samples) + 1.1
    fig.subplots_adjust(left=0.2, right=0.8, bottom=0.55 / height, top=1 - 0.6 / height, hspace=0.15)
    pairs = pd.DataFrame(pairs) if pairs is not None else None
    for ax, s in zip(axes, samples):
        g = events[events["sample"].astype(str) == s]
        if pairs is not None and len(pairs):
            for p in pairs[pairs["sample"].astype(str) == s].itertuples(index=False):
                co = p.coincide
                style = ({"color": "0.6", "ls": ":"} if co is pd.NA or co is None
                         else {"color": "tab:green", "ls": "-"} if bool(co) else {"color": "tab:red", "ls": "--"})
                ax.plot([p.T_a, p.T_b], [tech_y[str(p.technique_a)], tech_y[str(p.technique_b)]],
                        lw=0.9, zorder=1, **style)
        for t in techniques:
            gt = g[g["technique"].astype(str) == t]
            if gt.empty:
                continue
            err = gt["stderr_K"].to_numpy(float)
            ax.errorbar(gt["temperature_K"].to_numpy(float), np.full(len(gt), tech_y[t]),
                        xerr=np.where(np.isfinite(err), err, 0.0), fmt=markers[t], color=colors[t],
                        ms=6, capsize=3, lw=1, zorder=2, label=t)
            for tk, nm in zip(gt["temperature_K"], gt["name"]):
                ax.annotate(str(nm), (tk, tech_y[t]), textcoords="offset points", xytext=(0, 6),
                            fontsize=6, ha="center", color="0.3")
        ax.set_yticks(range(len(techniques)))
        ax.set_yticklabels(techniques, fontsize=7)
        ax.set_ylim(-0.7, len(techniques) - 0.3)
        ax.set_ylabel(s, rotation=0, ha="right", va="center", fontsize=8)
        ax.grid(axis="x", color="0.9", lw=0.6)
    axes[-1].set_xlabel("temperature (K)")
    top = axes[0].secondary_xaxis("top", functions=(lambda k: k - 273.15, lambda c: c + 273.15))
    top.set_xlabel("temperature (°C)", fontsize=8)
    handles, labels = _handles(fig)
    fig.legend(handles, labels, loc="center right", fontsize=7, title="technique", title_fontsize=7,
               frameon=False)
    return fig


# -- the campaign step ------------------------------------------------------------------------

@dataclass(frozen=True)
class CrossTechniqueResult:
    """What :func:`cross_technique` found.

    Attributes
    ----------
    correlations : pandas.DataFrame
        :func:`correlate` output (columns :data:`CORRELATION_COLUMNS`).
    events : pandas.DataFrame
        :func:`breakpoint_events` output.
    pairs : pandas.DataFrame
        :func:`colocate_breakpoints` output.
    figures : list of str
        Paths of the figures written (empty without ``figure_dir``).
    messages : list of str
        Why something is empty or was skipped.
    """

    correlations: pandas.DataFrame
    events: pandas.DataFrame
    pairs: pandas.DataFrame
    figures: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def write_tables(self, directory) -> list[Path]:
        """``cross_correlations.csv``, ``breakpoint_events.csv`` and ``breakpoint_pairs.csv``, atomically."""
        from ..io import write_table
        directory = Path(directory)
        return [write_table(frame, directory / name) for name, frame in
                (("cross_correlations.csv", self.correlations), ("breakpoint_events.csv", self.events),
                 ("breakpoint_pairs.csv", self.pairs))]

    def summary(self) -> str:
        c = self.correlations
        done = int(c["pearson_r"].notna().sum()) if len(c) else 0
        co = int(self.pairs["coincide"].fillna(False).astype(bool).sum()) if len(self.pairs) else 0
        lines = [(f"cross-technique: {done} correlation(s) of {len(c)}, {len(self.events)} breakpoint(s), "
                  f"{len(self.pairs)} cross-technique pair(s), {co} coinciding")]
        lines += [f"  {m}" for m in self.messages]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"CrossTechniqueResult(\n{self.summary()}\n)"


def _slug(text) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text)) or "technique"


def cross_technique(table, joined, figure_dir=None, *, targets: Sequence[str] = ("ln_sigma", "ea_eV"),
                    min_points: int = 4, z_max: float = 2.0, figure_format: str = "png") -> CrossTechniqueResult:
    """Correlations, breakpoint events and their cross-technique pairs for a campaign (and figures).

    Parameters
    ----------
    table : DescriptorTable or long DataFrame (or None)
    joined : pandas.DataFrame or None
        :func:`~structkit.core.descriptors.join_conductivity` output; None
        when the campaign has no conductivity.
    figure_dir : path, optional
        Where to write ``correlation_<technique>.<fmt>`` (one per technique
        with at least one computed ln σ correlation) and ``breakpoints.<fmt>``.
    targets, min_points : see :func:`correlate`
    z_max : see :func:`colocate_breakpoints`

    Never raises on empty or degenerate input (no conductivity, one sample, no
    breakpoints): the frames come back empty with their columns and
    ``messages`` says why. A figure that cannot be written is reported in
    ``messages`` too. Invalid settings (``min_points < 3``, negative ``z_max``)
    still raise :class:`~structkit.core.errors.ConfigError`.
    """
    messages: list[str] = []
    if joined is None:
        correlations = _empty(CORRELATION_COLUMNS)
        messages.append("no conductivity joined: correlations are empty")
    else:
        correlations, msgs = _correlate(joined, table, targets, min_points)
        messages += msgs
    events = breakpoint_events(table)
    if events.empty:
        messages.append("no breakpoint or onset temperatures in the descriptor table")
    pairs = colocate_breakpoints(events, z_max=z_max)
    if len(events) and pairs.empty:
        messages.append("no sample has breakpoints from two different techniques: no pairs")
    figures: list[str] = []
    if figure_dir is not None:
        from ..io import save_figure
        figure_dir = Path(figure_dir)
        jobs = []
        if len(correlations):
            done = correlations[(correlations["target"] == "ln_sigma")
                                & ~correlations["pearson_r"].isna()]
            for tech in sorted(set(done["technique"])):
                jobs.append((f"correlation_{_slug(tech)}.{figure_format}",
                             lambda tech=tech: plot_descriptor_vs_sigma(joined, correlations, tech)))
        if len(events):
            jobs.append((f"breakpoints.{figure_format}", lambda: plot_breakpoints(events, pairs)))
        for name, make in jobs:
            try:
                figures.append(str(save_figure(make(), figure_dir / name)))
            except Exception as exc:  # noqa: BLE001 - a figure must not sink the analysis
                messages.append(f"figure {name} not written: {type(exc).__name__}: {exc}")
    return CrossTechniqueResult(correlations=correlations, events=events, pairs=pairs, figures=figures,
                                messages=messages)
