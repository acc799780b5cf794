"""The XRD technique in ``structkit run``: one Le Bail fit per pattern, thermal expansion per sample.

TOML table ``[xrd]`` (the keys of :mod:`structkit.xrd.settings`, plus ``figures``
and ``sample``)::

    [xrd]
    inputs = ["xrd/*.xye"]
    space_group = "Fm-3m"
    cell = "a=9.96"
    wavelength_angstrom = 0.71414      # or radiation = "CuKa", or an instrument file
    instrument = "snbl.toml"           # optional: InstrumentProfile TOML or GSAS .prm
    two_theta_min = 3.0
    two_theta_max = 30.0
    prescan = 0.03                     # each pattern is fitted on its own: allow for the expansion
    sequential = false                 # true: one task per sample, each fit starting from the last
    order_by = "temperature_K"         # the condition that orders a sequential series
    [xrd.expansion]
    regimes = "auto"                   # or 1..4
    criterion = "bic"                  # or "aicc"

By default each pattern is fitted independently from the configured cell
(with the isotropic pre-scan), so tasks run in parallel and a failed pattern
costs only itself. With ``sequential = true`` the patterns of one sample are
one task, fitted as ``structkit xrd sequential`` does: in the order of
``order_by``, each fit starting from the last converged one (patterns that
cannot be read or do not converge are listed in ``failures.csv`` and the
series goes on). The summary fits the thermal expansion of every sample
with at least six converged temperatures.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError, DataError
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

__all__ = ["XrdAdapter", "expansion_per_sample"]

_EXTRA = ("figures", "sample", "expansion", "sequential", "order_by")
_EXPANSION_KEYS = ("regimes", "criterion")
_MIN_TEMPERATURES = 6



def _expansion_one(item):
    """One sample's V(T) -> ExpansionResult, or the DataError/ConfigError it raised (returned, not raised)."""
    from ..xrd import thermal_expansion

    args, kwargs = item
    try:
        return thermal_expansion(*args, **kwargs)
    except (DataError, ConfigError) as exc:
        return exc


def expansion_per_sample(frame, *, prefix: str = "", regimes="auto", criterion: str = "bic",
                         default_sample: str = "", min_temperatures: int = 0, collect_errors: bool = False,
                         pmap=None):
    """Thermal expansion of every sample of a cell table (the rows :meth:`LeBailResult.to_row` makes).

    Rows that did not converge, or lack ``temperature_K`` or ``<prefix>volume_A3``, are left
    out. A cubic cell (``a`` but no ``b``, ``c`` column) also gives α_L. Used by
    ``structkit xrd expansion`` and by the ``[xrd]`` campaign summary.

    Returns
    -------
    results : list of (sample, ExpansionResult)
    messages : list of str
        Samples with fewer than ``min_temperatures`` temperatures and, with
        ``collect_errors``, samples whose fit failed (otherwise the error propagates).
    dropped : list of str
        Files of the rows that did not converge.

    ``pmap(func, items) -> list`` (an ordered map, e.g. a campaign's executor) runs the
    per-sample fits elsewhere; default: one after another here.
    """
    import pandas as pd

    vcol, ecol, acol = f"{prefix}volume_A3", f"{prefix}volume_stderr_A3", f"{prefix}a_angstrom"
    dropped: list = []
    if "converged" in frame.columns:
        ok = frame["converged"].astype(bool)
        dropped = list(frame.loc[~ok, "file"]) if "file" in frame.columns else []
        frame = frame[ok]
    frame = frame[frame["temperature_K"].notna() & frame[vcol].notna()]
    samples = frame["sample"] if "sample" in frame.columns else pd.Series(default_sample, index=frame.index)
    frame = frame.assign(sample=samples.fillna("").astype(str))
    cubic = acol in frame.columns and not any(f"{prefix}{p}_angstrom" in frame.columns for p in ("b", "c"))
    results, messages, items, labels = [], [], [], []
    for sample, g in frame.groupby("sample", sort=True):
        g = g.sort_values("temperature_K")
        label = f"{sample} {prefix.rstrip('_')}".strip()
        n_t = g["temperature_K"].nunique()
        if n_t < min_temperatures:
            messages.append(f"sample {label!r}: {n_t} converged temperature(s); thermal expansion needs "
                            f"{min_temperatures}")
            continue
        items.append(((g["temperature_K"].to_numpy(float),),
                      dict(volume_A3=g[vcol].to_numpy(float),
                           volume_stderr_A3=g[ecol].to_numpy(float) if ecol in g.columns else None,
                           a_angstrom=g[acol].to_numpy(float) if cubic else None,
                           regimes=regimes, criterion=criterion, sample=sample)))
        labels.append((sample, label))
    for (sample, label), res in zip(labels, list((pmap or map)(_expansion_one, items))):
        if isinstance(res, Exception):
            if not collect_errors:
                raise res
            messages.append(f"sample {label!r}: thermal expansion failed: {res}")
            continue
        results.append((sample, res))
    return results, messages, dropped


class XrdAdapter(TechniqueAdapter):
    """Powder pattern -> Le Bail cell (per file); V(T) -> expansion regimes (per sample)."""

    name = "xrd"
    table_name = "cells"
    version = "1"

    def validate(self, settings: dict, *, where: str, base_dir=None) -> dict:
        from ..xrd.settings import lebail_settings

        out = lebail_settings(settings, where=where, base_dir=base_dir, extra_keys=_EXTRA)
        if "figures" in out and not isinstance(out["figures"], bool):
            raise ConfigError(f"{where} figures: must be true or false, got {out['figures']!r}")
        out["figures"] = out.get("figures", True)
        if "sample" in out:
            out["sample"] = str(out["sample"])
        exp = out.get("expansion", {})
        if not isinstance(exp, dict):
            raise ConfigError(f"{where} expansion: must be a table, e.g. [xrd.expansion]")
        check_keys(exp, _EXPANSION_KEYS, where=f"{where}.expansion")
        regimes = exp.get("regimes", "auto")
        if regimes != "auto" and not (isinstance(regimes, int) and not isinstance(regimes, bool)
                                      and 1 <= regimes <= 4):
            raise ConfigError(f"{where}.expansion regimes: must be \"auto\" or 1-4, got {regimes!r}")
        criterion = exp.get("criterion", "bic")
        if criterion not in ("bic", "aicc"):
            raise ConfigError(f"{where}.expansion criterion: must be \"bic\" or \"aicc\", got {criterion!r}")
        out["expansion"] = {"regimes": regimes, "criterion": criterion}
        if not isinstance(out.get("sequential", False), bool):
            raise ConfigError(f"{where} sequential: must be true or false, got {out['sequential']!r}")
        out["sequential"] = out.get("sequential", False)
        order_by = out.get("order_by", "temperature_K")
        if not isinstance(order_by, str) or not order_by.isidentifier():
            raise ConfigError(f"{where} order_by: must be a condition name such as \"temperature_K\" or "
                              f"\"milling_time_h\", got {order_by!r}")
        if "order_by" in out and not out["sequential"]:
            raise ConfigError(f"{where} order_by: only used with sequential = true")
        out["order_by"] = order_by
        return out

    def task_unit(self, settings: dict) -> str:
        return "sample" if settings.get("sequential") else "file"

    def process_series(self, paths, settings: dict, figure_dir: Path, *, hints=None) -> TaskResult:
        from ..core.errors import StructkitError
        from ..io import read
        from ..xrd import fit_sequential
        from ..xrd.settings import lebail_job

        hints = hints or [{}] * len(paths)
        order_by = settings.get("order_by", "temperature_K")
        ms, failures = [], []
        for path, h in zip(paths, hints):
            try:
                m = read(path, **read_hints(settings, h))
            except StructkitError as exc:
                failures.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)})
                continue
            if order_by not in m.conditions:
                failures.append({"file": str(path), "error": "DataError",
                                 "message": f"{Path(path).name}: no {order_by!r} condition (names rule, file "
                                            "name, header or conditions.csv sidecar); left out of the series"})
                continue
            ms.append(m)
        if not ms:
            raise DataError(f"no readable pattern with a {order_by!r} condition in this series of "
                            f"{len(paths)} file(s)", path=Path(paths[0]).parent)
        phases, kw = lebail_job(settings)
        seq = fit_sequential(ms, phases, order_by=order_by, **kw)
        failures += [{"file": f, "error": "FitError", "message": f"{Path(f).name}: {why}"}
                     for f, why in seq.failures]
        rows = [{**row, "file": str(row.get("file") or "")} for row in seq.to_frame().to_dict("records")]
        figs = []
        if settings.get("figures", True):
            sample = slug(ms[0].sample or Path(paths[0]).stem)
            if seq.converged_results():
                figs.append(save_and_close(seq.plot(), Path(figure_dir) / f"{sample}_sequential.png"))
            for r in seq.results:
                if r is not None:
                    figs.append(save_and_close(r.plot(), Path(figure_dir) / f"{slug(Path(r.source).stem)}_lebail.png"))
        return TaskResult(rows=rows, descriptors=seq.descriptors(), figures=figs, failures=failures,
                          messages=[f"{Path(m.source).name}: {st}" for m, st in zip(seq.measurements, seq.status)
                                    if st not in ("ok", "")])

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        from ..io import read
        from ..xrd import lebail_fit
        from ..xrd.settings import lebail_job

        m = read(path, **read_hints(settings, hints))
        phases, kw = lebail_job(settings)
        res = lebail_fit(m, phases, **kw)
        msgs = [] if res.message == "ok" else [f"{Path(path).name}: {res.message}"]
        if res.temperature_K is None:
            msgs.append(f"{Path(path).name}: no temperature found (file name, header or sidecar); "
                        "left out of the thermal expansion")
        figs = []
        if settings.get("figures", True):
            figs.append(save_and_close(res.plot(), Path(figure_dir) / f"{slug(Path(path).stem)}_lebail.png"))
        row = res.to_row()
        row["file"] = str(path)
        return TaskResult(rows=[row], descriptors=res.descriptors(), figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path, *, pmap=None) -> SummaryResult:
        import pandas as pd

        frame = pd.DataFrame([r for res in results for r in res.rows])
        exp = settings.get("expansion", {})
        msgs, regs, bps, descs, figs = [], [], [], [], []
        multi = len(settings.get("phases", [])) > 1
        if frame.empty or "temperature_K" not in frame.columns:
            return SummaryResult(messages=["no pattern with a temperature: no thermal expansion"])
        prefixes = [f"{p.get('name') or p['space_group'].replace(' ', '')}_" for p in settings["phases"]] \
            if multi else [""]
        for pre in prefixes:
            if f"{pre}volume_A3" not in frame.columns:
                continue
            fits, notes, _ = expansion_per_sample(frame, prefix=pre, regimes=exp.get("regimes", "auto"),
                                                  criterion=exp.get("criterion", "bic"),
                                                  min_temperatures=_MIN_TEMPERATURES, collect_errors=True,
                                                  pmap=pmap)
            msgs.extend(notes)
            for sample, res in fits:
                regs.append(res.to_frame().assign(phase=pre.rstrip("_")))
                bps.append(res.breakpoints_frame().assign(phase=pre.rstrip("_")))
                descs.extend(res.descriptors())
                if settings.get("figures", True):
                    label = f"{sample} {pre.rstrip('_')}".strip()
                    path = Path(out_dir) / "figures" / "xrd" / f"expansion_{slug(label)}.png"
                    save_and_close(res.plot(), path)
                    figs.append(str(path.relative_to(out_dir)))
        tables = {}
        if regs:
            tables["expansion"] = pd.concat(regs, ignore_index=True)
            tables["expansion_breakpoints"] = pd.concat(bps, ignore_index=True)
        return SummaryResult(tables=tables, descriptors=descs, figures=figs, messages=msgs)


register_adapter(XrdAdapter())
