"""The conductivity technique in ``structkit run``: one impedance spectrum per task, Arrhenius per sample.

TOML table ``[conductivity]``::

    [conductivity]
    inputs = ["eis/*.txt"]
    thickness_cm = 0.1
    diameter_cm = 0.5            # or area_cm2
    circuit = "p(R1,CPE1)-CPE2"  # optional
    weighting = "modulus"        # optional
    bulk = "R1"                  # optional: the bulk resistor's label
    f_min_Hz = 1.0               # optional frequency window
    f_max_Hz = 1e7
    figures = true
    [conductivity.arrhenius]
    regimes = "auto"             # or 1..4
    form = "sigmaT"              # or "sigma"
    criterion = "bic"            # or "aicc"
    quantity = "bulk"            # or "total" (R of all arcs)
"""

from __future__ import annotations

import math
from pathlib import Path

from ..core.errors import ConfigError, DataError
from .adapters import (
    SummaryResult,
    TaskResult,
    TechniqueAdapter,
    save_and_close,
    slug,
    check_keys,
    positive_number,
    read_hints,
    register_adapter,
)

__all__ = ["ConductivityAdapter", "SigmaTableAdapter", "summarise_sigma_table"]

_KEYS = ("thickness_cm", "diameter_cm", "area_cm2", "circuit", "weighting", "bulk", "f_min_Hz",
         "f_max_Hz", "figures", "arrhenius", "sample")
_ARRHENIUS_KEYS = ("regimes", "form", "criterion", "quantity")



def _arrhenius_one(item):
    """One σ(T) series -> ArrheniusResult, or the DataError/ConfigError it raised (returned, not raised)."""
    from ..conductivity.arrhenius import fit_arrhenius

    args, kwargs = item
    try:
        return fit_arrhenius(*args, **kwargs)
    except (DataError, ConfigError) as exc:
        return exc


def summarise_sigma_table(frame, *, regimes="auto", form="sigmaT", criterion="bic", quantity="bulk",
                          figure_dir: Path | None = None, figure_prefix: str = "", by=(), pmap=None):
    """Arrhenius fits per sample of a σ table (the rows :meth:`EISResult.to_row` makes).

    ``by`` names condition columns other than the temperature (``milling_time_h`` ...) that split
    the spectra of one sample into separate series: one σ(T) and one Arrhenius fit per sample and
    those conditions, whose descriptors carry them.

    Returns ``(regime_table, breakpoint_table, descriptors, figures, messages, sigma_series)``;
    a sample whose fit fails is reported in ``messages`` and skipped. ``pmap(func, items) -> list``
    (an ordered map, e.g. a campaign's executor) runs the fits elsewhere; default: here.
    """
    import dataclasses

    import pandas as pd

    col = "sigma_S_per_cm" if quantity == "bulk" else "sigma_total_S_per_cm"
    ecol = "sigma_stderr_S_per_cm" if quantity == "bulk" else "sigma_total_stderr_S_per_cm"
    regs, bps, descs, figs, msgs, series, items, keys = [], [], [], [], [], [], [], []
    if frame.empty or "temperature_K" not in frame.columns or col not in frame.columns:
        return (pd.DataFrame(), pd.DataFrame(), descs, figs,
                ["no spectra with a temperature and a conductivity: no Arrhenius fit"], pd.DataFrame())
    frame = frame.copy()
    frame["sample"] = frame["sample"].fillna("").astype(str)
    by = [c for c in by if c in frame.columns and c != "temperature_K"]
    for key, g in frame.groupby(["sample", *by], sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        sample = key[0]
        conds = {c: v for c, v in zip(by, key[1:]) if not (isinstance(v, float) and math.isnan(v))}
        label = sample + "".join(f" {c}={v:g}" if isinstance(v, float) else f" {c}={v}" for c, v in conds.items())
        g = g[g["temperature_K"].notna() & g[col].notna()]
        if "converged" in g.columns:
            bad = g[~g["converged"].astype(bool)]
            for f in bad.get("file", []):
                msgs.append(f"{f}: fit did not converge; left out of the Arrhenius fit of {label!r}")
            g = g[g["converged"].astype(bool)]
        g = g.groupby("temperature_K", as_index=False).agg({col: "mean", ecol: "mean"})
        series.append(pd.DataFrame({"sample": sample, **{c: v for c, v in conds.items()},
                                    "temperature_K": g["temperature_K"], "sigma_S_per_cm": g[col],
                                    "sigma_stderr_S_per_cm": g[ecol]}))
        if len(g) < 3:
            msgs.append(f"sample {label!r}: {len(g)} temperature(s); an Arrhenius fit needs 3")
            continue
        items.append(((g["temperature_K"].to_numpy(), g[col].to_numpy(), g[ecol].to_numpy()),
                      dict(form=form, regimes=regimes, criterion=criterion, sample=sample)))
        keys.append((sample, conds, label))
    for (sample, conds, label), res in zip(keys, list((pmap or map)(_arrhenius_one, items))):
        if isinstance(res, Exception):
            msgs.append(f"sample {label!r}: Arrhenius fit failed: {res}")
            continue
        regs.append(res.to_frame().assign(quantity=quantity, **conds))
        bps.append(res.breakpoints_frame().assign(**conds))
        descs.extend(dataclasses.replace(d, conditions={**d.conditions, **conds}) for d in res.descriptors())
        if not res.converged:
            msgs.append(f"sample {label!r}: Arrhenius fit did not converge: {res.message}")
        if figure_dir is not None:
            fig = res.plot()
            figs.append(save_and_close(fig, Path(figure_dir) / f"{figure_prefix}arrhenius_{slug(label)}.png"))
    regime_table = pd.concat(regs, ignore_index=True) if regs else pd.DataFrame()
    bp_table = pd.concat(bps, ignore_index=True) if bps else pd.DataFrame(
        columns=["sample", "between_regimes", "breakpoint_K", "breakpoint_stderr_K"])
    sigma_series = pd.concat(series, ignore_index=True) if series else pd.DataFrame()
    return regime_table, bp_table, descs, figs, msgs, sigma_series


def arrhenius_settings(arr, *, where: str, quantity: bool = True) -> dict:
    """The validated ``[<table>.arrhenius]`` sub-table (``quantity`` only where σ has bulk and total)."""
    table = where.rsplit("[", 1)[-1].rstrip("]")
    if not isinstance(arr, dict):
        raise ConfigError(f"{where} arrhenius: must be a table, e.g. [{table}.arrhenius]")
    check_keys(arr, _ARRHENIUS_KEYS if quantity else _ARRHENIUS_KEYS[:-1], where=f"{where}.arrhenius")
    regimes = arr.get("regimes", "auto")
    if regimes != "auto" and not (isinstance(regimes, int) and 1 <= regimes <= 4):
        raise ConfigError(f"{where}.arrhenius regimes: must be \"auto\" or 1-4, got {regimes!r}")
    form = arr.get("form", "sigmaT")
    if form not in ("sigmaT", "sigma"):
        raise ConfigError(f"{where}.arrhenius form: must be \"sigmaT\" or \"sigma\", got {form!r}")
    criterion = arr.get("criterion", "bic")
    if criterion not in ("bic", "aicc"):
        raise ConfigError(f"{where}.arrhenius criterion: must be \"bic\" or \"aicc\", got {criterion!r}")
    out = {"regimes": regimes, "form": form, "criterion": criterion}
    if quantity:
        out["quantity"] = arr.get("quantity", "bulk")
        if out["quantity"] not in ("bulk", "total"):
            raise ConfigError(f"{where}.arrhenius quantity: must be \"bulk\" or \"total\", "
                              f"got {out['quantity']!r}")
    return out


class ConductivityAdapter(TechniqueAdapter):
    """Impedance spectrum -> EISResult (per file); σ(T) -> Arrhenius (per sample)."""

    name = "conductivity"
    table_name = "sigma"
    version = "1"

    def validate(self, settings: dict, *, where: str) -> dict:
        from ..conductivity.circuits import parse_circuit
        from ..conductivity.eis import DEFAULT_CIRCUIT

        check_keys(settings, _KEYS, where=where)
        out: dict = {"thickness_cm": positive_number(settings, "thickness_cm", where=where, required=True)}
        has_d, has_a = "diameter_cm" in settings, "area_cm2" in settings
        if has_d == has_a:
            raise ConfigError(f"{where}: give exactly one of diameter_cm or area_cm2 (the electrode area)")
        key = "diameter_cm" if has_d else "area_cm2"
        out[key] = positive_number(settings, key, where=where, required=True)
        circuit = settings.get("circuit", DEFAULT_CIRCUIT)
        try:
            out["circuit"] = parse_circuit(circuit).text
        except ConfigError as exc:
            raise ConfigError(f"{where} circuit: {exc.message}") from None
        weighting = settings.get("weighting", "modulus")
        if weighting not in ("modulus", "unit", "proportional"):
            raise ConfigError(f"{where} weighting: must be modulus, unit or proportional, got {weighting!r}")
        out["weighting"] = weighting
        if "bulk" in settings:
            if settings["bulk"] not in parse_circuit(out["circuit"]).param_names:
                raise ConfigError(f"{where} bulk: {settings['bulk']!r} is not a resistor of {out['circuit']!r}")
            out["bulk"] = str(settings["bulk"])
        for k in ("f_min_Hz", "f_max_Hz"):
            if k in settings:
                out[k] = positive_number(settings, k, where=where, required=True)
        if "sample" in settings:
            out["sample"] = str(settings["sample"])
        out["figures"] = bool(settings.get("figures", True))
        out["arrhenius"] = arrhenius_settings(settings.get("arrhenius", {}), where=where)
        return out

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        from ..conductivity.eis import fit_eis
        from ..io import read

        m = read(path, **read_hints(settings, hints))
        kw = {k: settings[k] for k in ("thickness_cm", "diameter_cm", "area_cm2", "circuit", "weighting",
                                       "bulk", "f_min_Hz", "f_max_Hz") if k in settings}
        res = fit_eis(m, **kw)
        msgs = [] if res.message == "ok" else [f"{Path(path).name}: {res.message}"]
        if m.temperature_K is None:
            msgs.append(f"{Path(path).name}: no temperature found (file name, header or sidecar); "
                        "left out of the Arrhenius fit")
        figs = []
        if settings.get("figures", True):
            for kind in ("nyquist", "conductivity"):
                figs.append(save_and_close(res.plot(kind=kind),
                                           Path(figure_dir) / f"{slug(Path(path).stem)}_{kind}.png"))
        row = res.to_row()
        row["file"] = str(path)
        return TaskResult(rows=[row], descriptors=res.descriptors(), figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path, *, pmap=None) -> SummaryResult:
        import pandas as pd

        rows = [r for res in results for r in res.rows]
        frame = pd.DataFrame(rows)
        a = settings.get("arrhenius", {})
        fig_dir = Path(out_dir) / "figures" / "conductivity" if settings.get("figures", True) else None
        # conditions besides T (a milling series at one temperature) keep their own σ(T) series
        by = sorted({k for res in results for d in res.descriptors for k in d.conditions} - {"temperature_K"})
        regs, bps, descs, figs, msgs, series = summarise_sigma_table(
            frame, regimes=a.get("regimes", "auto"), form=a.get("form", "sigmaT"),
            criterion=a.get("criterion", "bic"), quantity=a.get("quantity", "bulk"), figure_dir=fig_dir, by=by,
            pmap=pmap)
        figs = [str(Path(f).relative_to(out_dir)) if Path(f).is_absolute() else f for f in figs]
        conductivity = series if len(series) else None
        return SummaryResult(tables={"arrhenius": regs, "breakpoints": bps}, descriptors=descs,
                             figures=figs, conductivity=conductivity, messages=msgs)


register_adapter(ConductivityAdapter())



class SigmaTableAdapter(TechniqueAdapter):
    """σ(T) tables measured elsewhere (a CSV per file) -> Arrhenius per sample, and σ for the join.

    TOML table ``[sigma_table]``, the conductivity source when there is no raw impedance::

        [sigma_table]
        inputs = ["sigma/*.csv"]     # columns temperature_K (or temperature_C), sigma_S_per_cm,
                                     # optional sigma_stderr_S_per_cm, sample and conditions
        sample = "NTC"               # for tables without a sample column (default: the file's stem)
        figures = true
        [sigma_table.arrhenius]      # as [conductivity.arrhenius], without quantity
        regimes = "auto"

    Other columns than these are conditions (``milling_time_h`` ...) when numeric and
    constant per file, or given by the ``names`` rule.
    """

    name = "sigma_table"
    table_name = "sigma_points"
    version = "1"

    def validate(self, settings: dict, *, where: str) -> dict:
        check_keys(settings, ("sample", "figures", "arrhenius", "conditions"), where=where)
        out: dict = {"figures": bool(settings.get("figures", True))}
        if "sample" in settings:
            out["sample"] = str(settings["sample"])
        conds = settings.get("conditions", [])
        if not isinstance(conds, list) or not all(isinstance(c, str) and c.isidentifier() for c in conds):
            raise ConfigError(f"{where} conditions: must be a list of column names, e.g. [\"milling_time_h\"]")
        out["conditions"] = list(conds)
        out["arrhenius"] = arrhenius_settings(settings.get("arrhenius", {}), where=where, quantity=False)
        return out

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        import numpy as np

        from ..io import read_csv_table

        frame = read_csv_table(path, ("sigma_S_per_cm",),
                               hint="; a sigma table needs temperature_K (or temperature_C) and sigma_S_per_cm")
        if "temperature_K" not in frame.columns:
            if "temperature_C" not in frame.columns:
                raise DataError("needs a temperature_K (or temperature_C) column", path=path.name)
            frame["temperature_K"] = frame["temperature_C"] + 273.15
        hints = read_hints(settings, hints)
        for col in ("temperature_K", "sigma_S_per_cm"):
            v = frame[col].to_numpy(float) if frame[col].dtype.kind in "if" else None
            if v is None or not np.all(np.isfinite(v)):
                raise DataError(f"column {col} has empty or non-numeric values; fix or delete those rows",
                                path=path.name)
        if np.any(frame["sigma_S_per_cm"] <= 0) or np.any(frame["temperature_K"] <= 0):
            raise DataError("sigma_S_per_cm and temperature_K must be positive", path=path.name)
        sample = hints.get("sample") or (None if "sample" in frame.columns else Path(path).stem)
        conds = dict(hints.get("conditions", {}))
        rows = []
        for rec in frame.to_dict("records"):
            rows.append({"sample": str(sample if sample is not None else rec["sample"]),
                         **{c: rec[c] for c in settings.get("conditions", []) if c in rec}, **conds,
                         "temperature_K": float(rec["temperature_K"]),
                         "sigma_S_per_cm": float(rec["sigma_S_per_cm"]),
                         "sigma_stderr_S_per_cm": float(rec.get("sigma_stderr_S_per_cm", np.nan)),
                         "converged": True})
        # σ itself is the conductivity the join attaches, not a descriptor
        return TaskResult(rows=rows)

    def summarise(self, results, settings: dict, out_dir: Path, *, pmap=None) -> SummaryResult:
        import pandas as pd

        frame = pd.DataFrame([r for res in results for r in res.rows])
        a = settings.get("arrhenius", {})
        fig_dir = Path(out_dir) / "figures" / "sigma_table" if settings.get("figures", True) else None
        by = sorted(set(frame.columns) - {"file", "sample", "temperature_K", "sigma_S_per_cm",
                                          "sigma_stderr_S_per_cm", "converged"})
        regs, bps, descs, figs, msgs, series = summarise_sigma_table(
            frame, regimes=a.get("regimes", "auto"), form=a.get("form", "sigmaT"),
            criterion=a.get("criterion", "bic"), figure_dir=fig_dir, by=by, pmap=pmap)
        figs = [str(Path(f).relative_to(out_dir)) if Path(f).is_absolute() else f for f in figs]
        return SummaryResult(tables={"sigma_table_arrhenius": regs, "sigma_table_breakpoints": bps},
                             descriptors=descs, figures=figs,
                             conductivity=series if len(series) else None, messages=msgs)


register_adapter(SigmaTableAdapter())
