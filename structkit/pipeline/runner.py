"""``structkit run campaign.toml``: every input file through its technique, then one table.

:func:`run_campaign` hashes each input, takes unchanged results from the
cache, computes the others through an executor (each result is cached the
moment it arrives), lets each technique summarise its files, and writes, all
atomically, into the output directory:

==========================  ==================================================================
``<table_name>.csv``        per-file rows of each technique, sorted by file
``<summary table>.csv``     tables from each technique's summary (e.g. Arrhenius fits)
``descriptors.csv``         long table: every technique, every summary and the ``[join]``
                            descriptor CSVs, sorted by technique, sample, conditions, name
``descriptors_wide.csv``    one row per (sample, conditions)
``descriptors.parquet``     the long table, if pyarrow is installed
``joined.csv``              the wide table joined to σ(T) from the conductivity summary
``failures.csv``            file, technique, error, message (header only when nothing failed)
``provenance.json``         versions, hashes, settings, per-task status, timestamps
``figures/``                figures written by the techniques
``.cache/``                 finished task results (delete it to recompute everything)
==========================  ==================================================================

Timestamps appear only in ``provenance.json``: the same inputs and settings
give byte-identical tables, whether computed, cached, serial or parallel.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import io
import json
import math
import os
import platform
import re
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from ..core.frozen import FrozenMap

from ..core.descriptors import DescriptorRow, DescriptorTable
from ..core.errors import ConfigError, StructkitError
from .adapters import SummaryResult, adapter_module, get_adapter
from .cache import (
    ResultCache,
    atomic_write_text,
    canonical_json,
    decode_result,
    file_sha256,
    remove_temp_files,
    task_key,
)
from .config import Campaign, load_campaign
from .executors import Failure, Task, failure_from_exception, make_executor

__all__ = ["run_campaign", "RunReport"]

FAILURE_COLUMNS = ("file", "technique", "error", "message")
_RESERVED = {"descriptors", "descriptors_wide", "joined", "failures", "provenance"}
_TABLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SUMMARY = "(summary)"


@dataclass(frozen=True)
class RunReport:
    """What a run did.

    Attributes
    ----------
    campaign : str
    output_dir : Path
    computed, cached, failed : int
        Tasks (one input file of one technique) computed now, taken from the
        cache, and failed.
    per_technique : mapping
        ``{technique: {"computed": n, "cached": n, "failed": n}}``.
    failures : tuple of Failure
        Every row of ``failures.csv``: failed files, and failed summaries,
        descriptor files or joins (``file`` is ``"(summary)"`` or the CSV).
    outputs : mapping of str to Path
        Files written, by name (``"descriptors.csv"`` ...).
    notes : tuple of str
        Things skipped and why.
    executor : str
    workers : int
    elapsed_s : float
    """

    campaign: str
    output_dir: Path
    computed: int
    cached: int
    failed: int
    per_technique: Mapping[str, Mapping[str, int]]
    failures: tuple[Failure, ...] = ()
    outputs: Mapping[str, Path] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    executor: str = "serial"
    workers: int = 1
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def summary(self, max_failures: int = 10) -> str:
        """A short text report for the terminal."""
        n = self.computed + self.cached + self.failed
        lines = [f"structkit run {self.campaign!r}: {n} task(s): {self.computed} computed, "
                 f"{self.cached} cached, {self.failed} failed "
                 f"({self.executor}, {self.workers} worker(s), {self.elapsed_s:.1f} s)"]
        for tech, c in self.per_technique.items():
            lines.append(f"  {tech}: {c['computed']} computed, {c['cached']} cached, {c['failed']} failed")
        lines.append(f"output: {self.output_dir}")
        lines.append("  " + ", ".join(self.outputs))
        if self.failures:
            lines.append(f"failures ({len(self.failures)}, listed in failures.csv):")
            for f in self.failures[:max_failures]:
                lines.append(f"  {f.file} [{f.technique}] {f.error}: {f.message}")
            if len(self.failures) > max_failures:
                lines.append(f"  ... and {len(self.failures) - max_failures} more")
        if self.notes:
            lines.append("notes:")
            lines.extend(f"  {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# -- small helpers ------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("structkit", "numpy", "scipy", "lmfit", "pandas", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _structkit_version() -> str:
    from .. import __version__
    return __version__


def _write_frame(frame, path: Path) -> Path:
    text = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return atomic_write_text(path, text)


def _write_failures(failures, path: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FAILURE_COLUMNS)
    for f in failures:
        w.writerow([f.file, f.technique, f.error, f.message])
    return atomic_write_text(path, buf.getvalue())


def _sort_key_value(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return (1, 0, "")
    if isinstance(v, (int, float)) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "biuf"):
        return (0, 0, float(v))
    return (0, 1, str(v))


def _sorted_table(table: DescriptorTable) -> DescriptorTable:
    """Sort by technique, sample, conditions (temperature_K first), name; stable."""
    f = table.to_frame()
    if f.empty:
        return table
    conds = table.condition_columns
    keys = [(str(t), str(s), tuple(_sort_key_value(v) for v in cv), str(n))
            for t, s, cv, n in zip(f["technique"], f["sample"],
                                   f[conds].itertuples(index=False, name=None), f["name"])]
    order = sorted(range(len(f)), key=keys.__getitem__)
    return DescriptorTable(f.iloc[order])


@contextlib.contextmanager
def _output_lock(out: Path):
    """One run per output directory at a time (advisory lock, released by the OS if killed)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        yield
        return
    lock_path = out / ".structkit.lock"
    fh = open(lock_path, "a")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigError(f"output directory {out} is in use by another structkit run; wait for it "
                              "to finish or set another [campaign] output") from None
        yield
    finally:
        fh.close()


def _previous_outputs(out: Path) -> list[str]:
    try:
        old = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
        return [str(o) for o in old.get("outputs", [])]
    except (OSError, ValueError, AttributeError):
        return []


def _progress(total: int, initial: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="file", file=sys.stderr,
                disable=not (enabled and sys.stderr.isatty()), dynamic_ncols=True)


# -- the run ----------------------------------------------------------------------

def run_campaign(campaign, *, workers: int | None = None, executor: str | None = None,
                 progress: bool = True) -> RunReport:
    """Run a campaign: a path to its TOML file, or a :class:`~structkit.pipeline.Campaign`.

    Parameters
    ----------
    campaign : str, path-like or Campaign
    workers : int, optional
        Overrides ``[campaign] workers``; capped at ``os.cpu_count()``.
    executor : {"process", "serial"}, optional
        Overrides ``[campaign] executor``.
    progress : bool
        Show a progress bar on stderr (only when stderr is a terminal).

    Returns
    -------
    RunReport
        Counts, failures and the files written; ``print(report)`` for a summary.
    """
    started = _now()
    t0 = time.perf_counter()
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign)
    kind = executor or campaign.executor
    if kind not in ("process", "serial"):
        raise ConfigError(f"run_campaign: executor must be 'process' or 'serial', got {kind!r}")
    requested = campaign.workers if workers is None else workers
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ConfigError(f"run_campaign: workers must be a positive integer, got {requested!r}")
    run = _Run(campaign, kind=kind, requested=requested, started=started)
    cpu = os.cpu_count() or 1
    run.workers = 1 if kind == "serial" else min(requested, cpu)
    if kind == "process" and requested > cpu:
        run.notes.append(f"workers capped at {cpu} (os.cpu_count()); {requested} requested")

    out = campaign.output
    out.mkdir(parents=True, exist_ok=True)
    with _output_lock(out):
        ResultCache(out).clean_temp_files()
        remove_temp_files(out)
        remove_temp_files(out / "figures", recursive=True)
        previous = _previous_outputs(out)
        pending = _plan(run)
        _execute(run, pending, progress)
        rows, conductivity = _technique_outputs(run)
        _descriptor_outputs(run, rows, conductivity)
        run.failures.sort(key=lambda f: (f.technique, f.file, f.error, f.message))
        run.written["failures.csv"] = _write_failures(run.failures, out / "failures.csv")
        _remove_stale(out, previous, run.written)
        counts = _write_provenance(run)
    return RunReport(campaign=campaign.name, output_dir=out, computed=counts["computed"],
                     cached=counts["cached"], failed=counts["failed"],
                     per_technique=FrozenMap(run.per_technique()), failures=tuple(run.failures),
                     outputs=FrozenMap(dict(sorted(run.written.items()))), notes=tuple(run.notes),
                     executor=kind, workers=run.workers, elapsed_s=time.perf_counter() - t0)


@dataclass
class _Run:
    """Bookkeeping of one run (mutable, private)."""

    campaign: Campaign
    kind: str
    requested: int
    started: str
    workers: int = 1
    version: str = field(default_factory=_structkit_version)
    failures: list[Failure] = field(default_factory=list)
    details: dict[tuple[str, str], str] = field(default_factory=dict)   # tracebacks
    records: dict[tuple[str, str], dict] = field(default_factory=dict)  # (technique, file) -> provenance
    payloads: dict[tuple[str, str], str] = field(default_factory=dict)  # (technique, file) -> result JSON
    settings: dict[str, dict] = field(default_factory=dict)
    summary_messages: dict[str, list[str]] = field(default_factory=dict)
    written: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return self.campaign.output

    def per_technique(self) -> dict[str, dict[str, int]]:
        counts = {t.name: dict.fromkeys(("computed", "cached", "failed"), 0)
                  for t in self.campaign.techniques}
        for e in self.records.values():
            counts[e["technique"]][e["status"]] += 1
        return counts


def _plan(run: _Run) -> list[Task]:
    """Hash every input, take what the cache has, and return the tasks left to compute."""
    cache = ResultCache(run.out)
    pending = []
    for tech in run.campaign.techniques:
        adapter = get_adapter(tech.name)
        settings = json.loads(canonical_json(dict(tech.settings)))  # plain, picklable, JSON-exact
        run.settings[tech.name] = settings
        fig_dir = run.out / "figures" / tech.name
        for p in tech.inputs:
            rel = run.campaign.relative(p)
            entry = {"technique": tech.name, "file": rel, "sha256": None, "key": None, "status": None}
            run.records[(tech.name, rel)] = entry
            try:
                digest = file_sha256(p)
            except OSError as exc:
                run.failures.append(Failure(rel, tech.name, "ReadError",
                                            f"{rel}: cannot read the input file ({exc.strerror or exc})"))
                entry["status"] = "failed"
                continue
            key = task_key(tech.name, rel, digest, settings, run.version,
                           str(getattr(adapter, "version", "1")))
            entry.update(sha256=digest, key=key)
            payload = cache.load(tech.name, key, output_dir=run.out)
            if payload is not None:
                run.payloads[(tech.name, rel)] = payload
                entry["status"] = "cached"
            else:
                fig_dir.mkdir(parents=True, exist_ok=True)
                pending.append(Task(tech.name, rel, str(p), key, settings, str(fig_dir), str(run.out),
                                    adapter_module(tech.name)))
    return pending


def _execute(run: _Run, pending: list[Task], progress: bool) -> None:
    """Compute the pending tasks; cache each result the moment it arrives."""
    cache = ResultCache(run.out)
    done = sum(e["status"] is not None for e in run.records.values())
    bar = _progress(len(run.records), done, run.campaign.name, progress)
    n_failed = sum(e["status"] == "failed" for e in run.records.values())
    try:
        for task, outcome in make_executor(run.kind, run.workers).submit_all(pending):
            entry = run.records[(task.technique, task.file)]
            if outcome.ok:
                cache.store(task.technique, task.key, outcome.payload, file=task.file,
                            structkit_version=run.version)
                run.payloads[(task.technique, task.file)] = outcome.payload
                entry["status"] = "computed"
            else:
                run.failures.append(outcome.failure)
                entry["status"] = "failed"
                n_failed += 1
                if outcome.detail:
                    entry["traceback"] = outcome.detail
            bar.update(1)
            if n_failed:
                bar.set_postfix(failed=n_failed, refresh=False)
    finally:
        bar.close()


def _technique_outputs(run: _Run):
    """Per-file tables and summaries; returns all descriptor rows and the σ(T) frames."""
    import pandas as pd

    rows_all: list[DescriptorRow] = []
    conductivity = []
    taken = set(_RESERVED) | {get_adapter(t.name).table_name for t in run.campaign.techniques}
    for tech in run.campaign.techniques:
        adapter = get_adapter(tech.name)
        files = sorted(rel for (t, rel) in run.payloads if t == tech.name)
        results = [decode_result(run.payloads[(tech.name, rel)]) for rel in files]
        rows = [row for r in results for row in r.rows]
        columns = list(dict.fromkeys(["file", *(k for row in rows for k in row)]))
        name = f"{adapter.table_name}.csv"
        run.written[name] = _write_frame(pd.DataFrame.from_records(rows, columns=columns), run.out / name)
        for r, rel in zip(results, files):
            rows_all.extend(r.descriptors)
            if r.messages:
                run.records[(tech.name, rel)]["messages"] = list(r.messages)
        try:
            summary = adapter.summarise(results, copy.deepcopy(run.settings[tech.name]), run.out)
            if not isinstance(summary, SummaryResult):
                raise TypeError(f"{type(adapter).__qualname__}.summarise returned "
                                f"{type(summary).__name__}, not a SummaryResult")
            for tname, frame in summary.tables.items():
                if not isinstance(tname, str) or not _TABLE_NAME.match(tname) or tname in taken:
                    raise ConfigError(f"summary table name {tname!r} is not a plain file stem or is "
                                      f"already used by another output ({', '.join(sorted(taken))})")
                taken.add(tname)
                run.written[f"{tname}.csv"] = _write_frame(pd.DataFrame(frame), run.out / f"{tname}.csv")
            rows_all.extend(dataclasses.replace(d, technique=d.technique or tech.name)
                            for d in summary.descriptors)
            if summary.conductivity is not None:
                conductivity.append(pd.DataFrame(summary.conductivity))
            run.summary_messages[tech.name] = [str(m) for m in summary.messages] + \
                [f"figure: {Path(f).as_posix()}" for f in summary.figures]
        except Exception as exc:  # noqa: BLE001 - a failed summary is recorded; the run goes on
            run.failures.append(failure_from_exception(_SUMMARY, tech.name, exc))
            if not isinstance(exc, StructkitError):
                run.details[(tech.name, _SUMMARY)] = traceback.format_exc()
    return rows_all, conductivity


def _descriptor_outputs(run: _Run, rows: list[DescriptorRow], conductivity: list) -> None:
    """descriptors.csv / .parquet, descriptors_wide.csv and joined.csv."""
    import pandas as pd

    out, join = run.out, run.campaign.join
    tables = [DescriptorTable.from_rows(rows)]
    for p in join.descriptors:
        try:
            tables.append(DescriptorTable.read_csv(p))
        except StructkitError as exc:
            run.failures.append(failure_from_exception(run.campaign.relative(p), "join", exc))
    table = _sorted_table(DescriptorTable.concat(tables))
    run.written["descriptors.csv"] = table.to_csv(out / "descriptors.csv")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        run.notes.append("descriptors.parquet not written: pyarrow is not installed "
                         "(pip install 'structkit[parquet]')")
    else:
        try:
            run.written["descriptors.parquet"] = table.to_parquet(out / "descriptors.parquet")
        except Exception as exc:  # noqa: BLE001 - e.g. a condition column mixing text and numbers
            run.notes.append(f"descriptors.parquet not written: {type(exc).__name__}: {exc}")
    try:
        run.written["descriptors_wide.csv"] = _write_frame(table.to_wide(), out / "descriptors_wide.csv")
    except StructkitError as exc:
        run.failures.append(failure_from_exception(_SUMMARY, "descriptors", exc))
        run.notes.append("descriptors_wide.csv and joined.csv not written: see failures.csv")
        return
    if not conductivity:
        run.notes.append("joined.csv not written: no technique produced a conductivity table "
                         "(add a [conductivity] table)")
        return
    try:
        joined = table.join_conductivity(pd.concat(conductivity, ignore_index=True), form=join.form,
                                         regimes=join.regimes, temperature_K=join.temperature_K)
        run.written["joined.csv"] = _write_frame(joined, out / "joined.csv")
    except Exception as exc:  # noqa: BLE001 - recorded; the other outputs stand
        run.failures.append(failure_from_exception(_SUMMARY, "join", exc))
        if not isinstance(exc, StructkitError):
            run.details[("join", _SUMMARY)] = traceback.format_exc()


def _remove_stale(out: Path, previous: list[str], written: Mapping[str, Path]) -> None:
    """Remove files a previous run wrote that this one did not (e.g. joined.csv after a failed join)."""
    for name in set(previous) - set(written) - {"provenance.json"}:
        stale = out / name
        if "/" not in name and "\\" not in name and not name.startswith(".") and stale.is_file():
            stale.unlink()


def _write_provenance(run: _Run) -> dict[str, int]:
    per_tech = run.per_technique()
    counts = {s: sum(c[s] for c in per_tech.values()) for s in ("computed", "cached", "failed")}
    c, j = run.campaign, run.campaign.join
    provenance = {
        "structkit_version": run.version,
        "versions": _versions(),
        "campaign": {"name": c.name, "file": None if c.path is None else str(c.path),
                     "sha256": c.sha256, "output": str(run.out), "executor": run.kind,
                     "workers_requested": run.requested, "workers": run.workers},
        "settings": run.settings,
        "join": {"descriptors": [c.relative(p) for p in j.descriptors], "form": j.form,
                 "regimes": j.regimes, "temperature_K": j.temperature_K},
        "inputs": [run.records[k] for k in sorted(run.records)],
        "summaries": {t: {"messages": m} for t, m in run.summary_messages.items()},
        "errors": {f"{t} {f}": d for (t, f), d in run.details.items()},
        "counts": counts,
        "per_technique": per_tech,
        "failures": [dataclasses.asdict(f) for f in run.failures],
        "notes": run.notes,
        "outputs": sorted([*run.written, "provenance.json"]),
        "started": run.started,
        "finished": _now(),
    }
    run.written["provenance.json"] = atomic_write_text(
        run.out / "provenance.json", json.dumps(provenance, indent=2, allow_nan=True, default=str) + "\n")
    return counts
