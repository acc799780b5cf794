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
import hashlib
import io
import json
import math
import os
import platform
import re
import sys
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from ..core.frozen import FrozenMap

from ..core.descriptors import DescriptorRow, DescriptorTable
from ..core.errors import ConfigError, StructkitError
from .adapters import SummaryResult, accepts_keyword, adapter_module, get_adapter
from .cache import (
    ResultCache,
    atomic_write_bytes,
    atomic_write_text,
    canonical_json,
    decode_result,
    file_sha256,
    remove_temp_files,
    task_key,
)
from .config import Campaign, load_campaign
from .executors import Failure, Task, failure_from_exception, make_executor

__all__ = ["run_campaign", "RunReport", "campaign_status", "CampaignStatus", "RunLog"]

FAILURE_COLUMNS = ("file", "technique", "error", "message")
_RESERVED = {"descriptors", "descriptors_wide", "joined", "failures", "provenance", "correlations",
             "breakpoint_events", "breakpoints_compared", "report"}
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
    """A tqdm bar with rate and ETA on stderr; silent unless stderr is a terminal, and in CI."""
    from tqdm import tqdm

    show = enabled and sys.stderr.isatty() and not os.environ.get("CI")
    return tqdm(total=total, initial=initial, desc=desc, unit="task", file=sys.stderr,
                disable=not show, dynamic_ncols=True, smoothing=0.1)


class RunLog:
    """The structured log of a campaign: ``<output>/structkit.log``, one JSON object per line.

    Lines are appended with one ``write`` each on a file opened in append
    mode and flushed at once, so a killed run leaves at most its last line
    cut short (readers skip it) and every run's events stay in the file:
    ``run_start``, ``task`` (``status`` computed or failed, ``elapsed_s``),
    ``summary``, ``run_end``. Each line has ``time`` (UTC) and ``run`` (the
    run's id, also in ``provenance.json``).
    """

    NAME = "structkit.log"

    def __init__(self, out: Path, run_id: str, enabled: bool = True):
        self.path = out / self.NAME
        self.run_id = run_id
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if enabled else None

    def event(self, event: str, **fields) -> None:
        if self._fd is None:
            return
        line = json.dumps({"time": _now(), "run": self.run_id, "event": event, **fields},
                          allow_nan=True, default=str, separators=(",", ":"))
        os.write(self._fd, (line + "\n").encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def read(out) -> list[dict]:
        """Every whole line of ``<out>/structkit.log`` (a line cut short by a kill is skipped)."""
        try:
            text = (Path(out) / RunLog.NAME).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        events = []
        for line in text.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events


# -- the run ----------------------------------------------------------------------

def run_campaign(campaign, *, workers: int | None = None, executor: str | None = None,
                 scheduler: str | None = None, progress: bool = True, retry_failed: bool = False,
                 log: bool = True) -> RunReport:
    """Run a campaign: a path to its TOML file, or a :class:`~structkit.pipeline.Campaign`.

    Parameters
    ----------
    campaign : str, path-like or Campaign
    workers : int, optional
        Overrides ``[campaign] workers``; capped at ``os.cpu_count()`` for
        local processes.
    executor : {"process", "serial", "dask"}, optional
        Overrides ``[campaign] executor``.
    scheduler : str, optional
        Dask scheduler, ``"tcp://HOST:PORT"`` or ``"dask-local:N"``; implies ``executor="dask"``.
    progress : bool
        Show a progress bar with ETA on stderr (only when stderr is a terminal, never in CI).
    retry_failed : bool
        Recompute the files whose failure is cached (bad input fails the
        same way again unless the file, the settings or structkit changed).
    log : bool
        Append the run's events to ``<output>/structkit.log``.

    Returns
    -------
    RunReport
        Counts, failures and the files written; ``print(report)`` for a summary.
    """
    from .config import check_scheduler

    started = _now()
    t0 = time.perf_counter()
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign)
    if scheduler is not None:
        scheduler = check_scheduler(scheduler, where="run_campaign: scheduler")
    kind = executor or ("dask" if scheduler else campaign.executor)
    if kind not in ("process", "serial", "dask"):
        raise ConfigError(f"run_campaign: executor must be 'process', 'serial' or 'dask', got {kind!r}")
    requested = campaign.workers if workers is None else workers
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ConfigError(f"run_campaign: workers must be a positive integer, got {requested!r}")
    run = _Run(campaign, kind=kind, requested=requested, started=started)
    cpu = os.cpu_count() or 1
    run.workers = 1 if kind == "serial" else requested if kind == "dask" else min(requested, cpu)
    run.scheduler = (scheduler or campaign.scheduler or f"dask-local:{requested}") if kind == "dask" else None
    if kind == "process" and requested > cpu:
        run.notes.append(f"workers capped at {cpu} (os.cpu_count()); {requested} requested")

    out = campaign.output
    out.mkdir(parents=True, exist_ok=True)
    with _output_lock(out):
        run.log = RunLog(out, run.run_id, enabled=log)
        try:
            ResultCache(out).clean_temp_files()
            remove_temp_files(out)
            remove_temp_files(out / "figures", recursive=True)
            previous = _previous_outputs(out)
            pending = _plan(run, retry_failed=retry_failed)
            run.log.event("run_start", campaign=campaign.name, executor=kind, workers=run.workers,
                          scheduler=run.scheduler, tasks=len(run.records), pending=len(pending),
                          structkit_version=run.version)
            with make_executor(run.kind, run.workers, run.scheduler) as ex:
                _execute(run, ex, pending, progress)
                # the per-sample fits of the summaries and the join go to the same workers
                rows, conductivity = _technique_outputs(run, ex.map)
                table, joined = _descriptor_outputs(run, rows, conductivity, ex.map)
            if campaign.analysis:
                _analysis_outputs(run, table, joined)
            run.failures.sort(key=lambda f: (f.technique, f.file, f.error, f.message))
            run.written["failures.csv"] = _write_failures(run.failures, out / "failures.csv")
            counts = _write_provenance(run, report=campaign.report, previous=previous)
            run.log.event("run_end", counts=counts, outputs=sorted(run.written),
                          elapsed_s=round(time.perf_counter() - t0, 3))
        finally:
            run.log.close()
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
    scheduler: str | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    version: str = field(default_factory=_structkit_version)
    failures: list[Failure] = field(default_factory=list)
    details: dict[tuple[str, str], str] = field(default_factory=dict)   # tracebacks
    records: dict[tuple[str, str], dict] = field(default_factory=dict)  # (technique, task) -> provenance
    results: dict[tuple[str, str], str] = field(default_factory=dict)   # (technique, task) -> cache key
    unstored: dict[tuple[str, str], str] = field(default_factory=dict)  # results the cache could not keep
    settings: dict[str, dict] = field(default_factory=dict)
    summary_messages: dict[str, list[str]] = field(default_factory=dict)
    technique_tables: dict[str, list[str]] = field(default_factory=dict)
    written: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    log: RunLog | None = None

    @property
    def out(self) -> Path:
        return self.campaign.output

    def per_technique(self) -> dict[str, dict[str, int]]:
        counts = {t.name: dict.fromkeys(("computed", "cached", "failed"), 0)
                  for t in self.campaign.techniques}
        for e in self.records.values():
            counts[e["technique"]][e["status"]] += 1
        return counts

    def payload(self, technique: str, task: str) -> str:
        key = (technique, task)
        if key in self.unstored:
            return self.unstored[key]
        text = ResultCache(self.out).load(technique, self.results[key])
        if text is None:  # pragma: no cover - the cache was removed while the run went on
            raise ConfigError(f"the cache entry of {task} ({technique}) disappeared during the run; "
                              f"run again")
        return text


def _sample_of(rel: str, hints: Mapping) -> str:
    """The sample a file belongs to, before reading it: the names rule, else the file name."""
    if hints.get("sample"):
        return str(hints["sample"])
    from ..io import conditions_from_filename

    try:
        return conditions_from_filename(Path(rel).name)[0] or Path(rel).stem
    except StructkitError:
        return Path(rel).stem


def _units(tech, adapter, settings: dict, run: _Run):
    """The tasks of one technique: ``(label, [(file, path, hints)])``, one file each or one series each.

    Files whose names rule fails are recorded as failures here.
    """
    files = []
    for p in tech.inputs:
        rel = run.campaign.relative(p)
        try:
            hints = tech.names.apply(rel) if tech.names else {}
        except ConfigError as exc:
            run.records[(tech.name, rel)] = {"technique": tech.name, "file": rel, "sha256": None, "key": None,
                                             "status": "failed"}
            run.failures.append(Failure(rel, tech.name, "ConfigError", str(exc)))
            continue
        files.append((rel, p, hints))
    unit = adapter.task_unit(settings)
    if unit == "file":
        return [(rel, [(rel, p, h)]) for rel, p, h in files]
    if unit != "sample":
        raise ConfigError(f"{type(adapter).__qualname__}.task_unit returned {unit!r}, not 'file' or 'sample'")
    groups: dict[str, list] = {}
    for rel, p, h in files:
        groups.setdefault(_sample_of(rel, h), []).append((rel, p, h))
    return [(f"{sample} (series of {len(members)} files)", members) for sample, members in sorted(groups.items())]


def _plan(run: _Run, *, retry_failed: bool = False, make_dirs: bool = True) -> list[Task]:
    """Hash every input, take what the cache has, and return the tasks left to compute."""
    from ..io import find_sidecar

    cache = ResultCache(run.out)
    pending = []
    sidecars: dict[Path, str | None] = {}

    def sidecar_hash(p: Path) -> str | None:
        sc = find_sidecar(p)
        if sc is None:
            return None
        if sc not in sidecars:
            try:
                sidecars[sc] = file_sha256(sc)
            except OSError:
                sidecars[sc] = None
        return sidecars[sc]

    for tech in run.campaign.techniques:
        adapter = get_adapter(tech.name)
        settings = json.loads(canonical_json(dict(tech.settings)))  # plain, picklable, JSON-exact
        run.settings[tech.name] = settings
        fig_dir = run.out / "figures" / tech.name
        for label, members in _units(tech, adapter, settings, run):
            entry = {"technique": tech.name, "file": label, "sha256": None, "key": None, "status": None}
            if len(members) > 1 or label != members[0][0]:
                entry["files"] = [rel for rel, _, _ in members]
            run.records[(tech.name, label)] = entry
            digests = []
            try:
                for rel, p, h in members:
                    digests.append({"file": rel, "sha256": file_sha256(p), "sidecar": sidecar_hash(p),
                                    "hints": h})
            except OSError as exc:
                run.failures.append(Failure(label, tech.name, "ReadError",
                                            f"{rel}: cannot read the input file ({exc.strerror or exc})"))
                entry["status"] = "failed"
                continue
            digest = digests[0]["sha256"] if len(digests) == 1 else \
                hashlib.sha256(canonical_json(digests).encode()).hexdigest()
            key = task_key(tech.name, label, digest, {"settings": settings, "inputs": digests}, run.version,
                           str(getattr(adapter, "version", "1")))
            entry.update(sha256=digest, key=key)
            cached = cache.load_entry(tech.name, key, output_dir=run.out)
            if cached is not None and cached[0] == "result":
                run.results[(tech.name, label)] = key
                entry["status"] = "cached"
                continue
            if cached is not None and not retry_failed:
                run.failures.append(Failure(cached[1]["file"], tech.name, cached[1]["error"], cached[1]["message"]))
                entry.update(status="failed", cached=True)
                continue
            if make_dirs:
                fig_dir.mkdir(parents=True, exist_ok=True)
            series = tuple((rel, str(p), h) for rel, p, h in members) if "files" in entry else ()
            pending.append(Task(tech.name, label, str(members[0][1]), key, settings, str(fig_dir), str(run.out),
                                adapter_module(tech.name), hints=members[0][2], members=series))
    return pending


def _execute(run: _Run, ex, pending: list[Task], progress: bool) -> None:
    """Compute the pending tasks; cache each result (and each failure of bad input) the moment it arrives."""
    cache = ResultCache(run.out)
    done = sum(e["status"] is not None for e in run.records.values())
    bar = _progress(len(run.records), done, run.campaign.name, progress)
    n_failed = sum(e["status"] == "failed" for e in run.records.values())
    try:
        for task, outcome in ex.submit_all(pending):
            rec = (task.technique, task.file)
            entry = run.records[rec]
            if outcome.ok:
                try:
                    cache.store(task.technique, task.key, outcome.payload, file=task.file,
                                structkit_version=run.version)
                    run.results[rec] = task.key
                except StructkitError as exc:   # a full disk: keep the result for this run's tables
                    run.unstored[rec] = outcome.payload
                    run.notes.append(f"{task.file}: result not cached ({exc})")
                entry["status"] = "computed"
            else:
                run.failures.append(outcome.failure)
                entry["status"] = "failed"
                n_failed += 1
                if outcome.detail:
                    entry["traceback"] = outcome.detail
                elif outcome.cacheable:
                    with contextlib.suppress(StructkitError):
                        cache.store_failure(task.technique, task.key, dataclasses.asdict(outcome.failure),
                                            file=task.file, structkit_version=run.version)
            run.log.event("task", technique=task.technique, file=task.file, key=task.key,
                          status="computed" if outcome.ok else "failed",
                          error=None if outcome.ok else outcome.failure.error,
                          elapsed_s=round(outcome.elapsed_s, 4))
            bar.update(1)
            if n_failed:
                bar.set_postfix(failed=n_failed, refresh=False)
        if run.kind == "dask":
            run.workers = getattr(ex, "workers", run.workers)
    finally:
        bar.close()


def _technique_outputs(run: _Run, pmap=None):
    """Per-file tables and summaries; returns all descriptor rows and the σ(T) frames.

    ``pmap(func, items)`` is the executor's ordered map; adapters whose ``summarise`` takes a
    ``pmap`` keyword get it for their per-sample fits.
    """
    import pandas as pd

    rows_all: list[DescriptorRow] = []
    conductivity = []
    taken = set(_RESERVED) | {get_adapter(t.name).table_name for t in run.campaign.techniques}
    for tech in run.campaign.techniques:
        adapter = get_adapter(tech.name)
        files = sorted(label for (t, label) in (*run.results, *run.unstored) if t == tech.name)
        results = [decode_result(run.payload(tech.name, label)) for label in files]
        rows = [row for r in results for row in r.rows]
        columns = list(dict.fromkeys(["file", *(k for row in rows for k in row)]))
        name = f"{adapter.table_name}.csv"
        run.written[name] = _write_frame(pd.DataFrame.from_records(rows, columns=columns), run.out / name)
        run.technique_tables[tech.name] = [name]
        for r, label in zip(results, files):
            rows_all.extend(r.descriptors)
            run.failures.extend(Failure(f["file"], tech.name, f["error"], f["message"]) for f in r.failures)
            if r.messages:
                run.records[(tech.name, label)]["messages"] = list(r.messages)
        try:
            extra = {"pmap": pmap} if pmap is not None and accepts_keyword(adapter.summarise, "pmap") else {}
            summary = adapter.summarise(results, copy.deepcopy(run.settings[tech.name]), run.out, **extra)
            if not isinstance(summary, SummaryResult):
                raise TypeError(f"{type(adapter).__qualname__}.summarise returned "
                                f"{type(summary).__name__}, not a SummaryResult")
            for tname, frame in summary.tables.items():
                if not isinstance(tname, str) or not _TABLE_NAME.match(tname) or tname in taken:
                    raise ConfigError(f"summary table name {tname!r} is not a plain file stem or is "
                                      f"already used by another output ({', '.join(sorted(taken))})")
                taken.add(tname)
                run.written[f"{tname}.csv"] = _write_frame(pd.DataFrame(frame), run.out / f"{tname}.csv")
                run.technique_tables[tech.name].append(f"{tname}.csv")
            rows_all.extend(dataclasses.replace(d, technique=d.technique or tech.name)
                            for d in summary.descriptors)
            if summary.conductivity is not None:
                conductivity.append(pd.DataFrame(summary.conductivity))
            figures = [Path(f).as_posix() for f in summary.figures]
            run.summary_messages[tech.name] = [str(m) for m in summary.messages] + \
                [f"figure: {f}" for f in figures]
            run.log.event("summary", technique=tech.name, tables=sorted(summary.tables),
                          figures=len(figures), messages=len(summary.messages))
        except Exception as exc:  # noqa: BLE001 - a failed summary is recorded; the run goes on
            run.failures.append(failure_from_exception(_SUMMARY, tech.name, exc))
            if not isinstance(exc, StructkitError):
                run.details[(tech.name, _SUMMARY)] = traceback.format_exc()
    return rows_all, conductivity


def _parquet(run: _Run, frame_or_table, name: str) -> None:
    """Write ``name`` (.parquet) if pyarrow is there; a note otherwise."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        run.notes.append(f"{name} not written: pyarrow is not installed (pip install 'structkit[parquet]')")
        return
    try:
        if isinstance(frame_or_table, DescriptorTable):
            run.written[name] = frame_or_table.to_parquet(run.out / name)
        else:
            data = io.BytesIO()
            frame_or_table.to_parquet(data, index=False)
            run.written[name] = atomic_write_bytes(run.out / name, data.getvalue())
    except Exception as exc:  # noqa: BLE001 - e.g. a condition column mixing text and numbers
        run.notes.append(f"{name} not written: {type(exc).__name__}: {exc}")


def _descriptor_outputs(run: _Run, rows: list[DescriptorRow], conductivity: list, pmap=None):
    """descriptors.csv / .parquet, descriptors_wide.csv / .parquet and joined.csv; returns (table, joined)."""
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
    _parquet(run, table, "descriptors.parquet")
    try:
        wide = table.to_wide()
    except StructkitError as exc:
        run.failures.append(failure_from_exception(_SUMMARY, "descriptors", exc))
        run.notes.append("descriptors_wide.csv and joined.csv not written: see failures.csv")
        return table, None
    run.written["descriptors_wide.csv"] = _write_frame(wide, out / "descriptors_wide.csv")
    _parquet(run, wide, "descriptors_wide.parquet")
    if not conductivity:
        run.notes.append("joined.csv not written: no technique produced a conductivity table "
                         "(add a [conductivity] table)")
        return table, None
    try:
        joined = table.join_conductivity(pd.concat(conductivity, ignore_index=True), form=join.form,
                                         regimes=join.regimes, temperature_K=join.temperature_K, pmap=pmap)
        run.written["joined.csv"] = _write_frame(joined, out / "joined.csv")
    except Exception as exc:  # noqa: BLE001 - recorded; the other outputs stand
        run.failures.append(failure_from_exception(_SUMMARY, "join", exc))
        if not isinstance(exc, StructkitError):
            run.details[("join", _SUMMARY)] = traceback.format_exc()
        return table, None
    return table, joined


def _analysis_outputs(run: _Run, table: DescriptorTable, joined) -> None:
    """Cross-technique correlations and breakpoint co-location (structkit.pipeline.analysis)."""
    from .analysis import cross_technique

    try:
        res = cross_technique(table, joined,
                              figure_dir=run.out / "figures" / "analysis" if run.campaign.figures else None)
    except Exception as exc:  # noqa: BLE001 - recorded; the other outputs stand
        run.failures.append(failure_from_exception(_SUMMARY, "analysis", exc))
        if not isinstance(exc, StructkitError):
            run.details[("analysis", _SUMMARY)] = traceback.format_exc()
        return
    for name, frame in (("correlations", res.correlations), ("breakpoint_events", res.events),
                        ("breakpoints_compared", res.pairs)):
        run.written[f"{name}.csv"] = _write_frame(frame, run.out / f"{name}.csv")
    run.technique_tables["analysis"] = ["correlations.csv", "breakpoint_events.csv", "breakpoints_compared.csv"]
    figures = [Path(os.path.relpath(f, run.out)).as_posix() if Path(f).is_absolute() else Path(f).as_posix()
               for f in res.figures]
    run.summary_messages["analysis"] = [str(m) for m in res.messages] + [f"figure: {f}" for f in figures]


def _remove_stale(out: Path, previous: list[str], written) -> None:
    """Remove files a previous run wrote that this one did not (e.g. joined.csv after a failed join)."""
    for name in set(previous) - set(written) - {"provenance.json"}:
        stale = out / name
        if "/" not in name and "\\" not in name and not name.startswith(".") and stale.is_file():
            stale.unlink()


def _write_provenance(run: _Run, *, report: bool = True, previous=()) -> dict[str, int]:
    """provenance.json, then report.html (which shows it); stale outputs of earlier runs removed."""
    per_tech = run.per_technique()
    counts = {s: sum(c[s] for c in per_tech.values()) for s in ("computed", "cached", "failed")}
    c, j = run.campaign, run.campaign.join
    outputs = {*run.written, "provenance.json"} | ({"report.html"} if report else set())
    _remove_stale(run.out, list(previous), outputs)
    provenance = {
        "structkit_version": run.version,
        "versions": _versions(),
        "campaign": {"name": c.name, "file": None if c.path is None else str(c.path),
                     "sha256": c.sha256, "output": str(run.out), "executor": run.kind,
                     "scheduler": run.scheduler, "workers_requested": run.requested, "workers": run.workers},
        "settings": run.settings,
        "names": {t.name: list(t.names.patterns) for t in c.techniques if t.names},
        "join": {"descriptors": [c.relative(p) for p in j.descriptors], "form": j.form,
                 "regimes": j.regimes, "temperature_K": j.temperature_K},
        "inputs": [run.records[k] for k in sorted(run.records)],
        "summaries": {t: {"messages": m} for t, m in run.summary_messages.items()},
        "errors": {f"{t} {f}": d for (t, f), d in run.details.items()},
        "counts": counts,
        "per_technique": per_tech,
        "failures": [dataclasses.asdict(f) for f in run.failures],
        "notes": run.notes,
        "outputs": sorted(outputs),
        "run": run.run_id,
        "started": run.started,
        "finished": _now(),
    }
    if report:
        from .report import write_report

        try:
            run.written["report.html"] = write_report(run.out, provenance,
                                                      technique_tables=run.technique_tables)
        except Exception as exc:  # noqa: BLE001 - the tables stand without their report
            run.notes.append(f"report.html not written: {type(exc).__name__}: {exc}")
            provenance["outputs"].remove("report.html")
            (run.out / "report.html").unlink(missing_ok=True)
    run.written["provenance.json"] = atomic_write_text(
        run.out / "provenance.json", json.dumps(provenance, indent=2, allow_nan=True, default=str) + "\n")
    return counts


# -- status -------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignStatus:
    """What ``structkit status campaign.toml`` prints: per technique, tasks done, failed and pending.

    ``done`` tasks have a result in the cache for the current inputs, settings
    and structkit version; ``failed`` ones a cached failure of bad input (or a
    names rule that matches no file); ``pending`` ones would be computed by
    the next run (new or changed inputs, or never finished).
    """

    campaign: str
    output_dir: Path
    per_technique: Mapping[str, Mapping[str, int]]
    failed: tuple[Failure, ...] = ()
    pending: tuple[tuple[str, str], ...] = ()
    running: bool = False
    last_run: Mapping | None = None

    @property
    def complete(self) -> bool:
        return not self.pending

    def summary(self, max_items: int = 10) -> str:
        tot = {k: sum(c[k] for c in self.per_technique.values()) for k in ("done", "failed", "pending")}
        n = sum(tot.values())
        lines = [f"campaign {self.campaign!r}: {n} task(s): {tot['done']} done, {tot['failed']} failed, "
                 f"{tot['pending']} pending" + (" (a run is in progress)" if self.running else "")]
        for tech, c in self.per_technique.items():
            lines.append(f"  {tech}: {c['done']} done, {c['failed']} failed, {c['pending']} pending")
        lines.append(f"output: {self.output_dir}")
        if self.last_run:
            lr = self.last_run
            lines.append(f"last run: started {lr.get('started')}, finished {lr.get('finished') or '-'}"
                         + (f", {lr['counts']}" if lr.get("counts") else ""))
        for f in self.failed[:max_items]:
            lines.append(f"  failed: {f.file} [{f.technique}] {f.error}: {f.message}")
        if len(self.failed) > max_items:
            lines.append(f"  ... and {len(self.failed) - max_items} more failed")
        for tech, file in self.pending[:max_items]:
            lines.append(f"  pending: {file} [{tech}]")
        if len(self.pending) > max_items:
            lines.append(f"  ... and {len(self.pending) - max_items} more pending")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def campaign_status(campaign) -> CampaignStatus:
    """Compare a campaign's inputs with its output's cache, without computing or writing anything."""
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign)
    run = _Run(campaign, kind="serial", requested=1, started=_now())
    pending = _plan(run, make_dirs=False)
    per = {t.name: {"done": 0, "failed": 0, "pending": 0} for t in campaign.techniques}
    for e in run.records.values():
        per[e["technique"]][{"cached": "done", "failed": "failed", None: "pending"}[e["status"]]] += 1
    running = False
    lock = campaign.output / ".structkit.lock"
    if lock.exists():
        try:
            import fcntl

            with open(lock, "a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fh, fcntl.LOCK_UN)
                except OSError:
                    running = True
        except ImportError:  # pragma: no cover - Windows
            pass
    last = None
    events = RunLog.read(campaign.output)
    starts = [e for e in events if e.get("event") == "run_start"]
    if starts:
        rid = starts[-1]["run"]
        end = next((e for e in reversed(events) if e.get("event") == "run_end" and e.get("run") == rid), None)
        last = {"started": starts[-1]["time"], "finished": end["time"] if end else None,
                "counts": end.get("counts") if end else None}
    return CampaignStatus(campaign=campaign.name, output_dir=campaign.output, per_technique=FrozenMap(per),
                          failed=tuple(sorted(run.failures, key=lambda f: (f.technique, f.file))),
                          pending=tuple((t.technique, t.file) for t in pending), running=running,
                          last_run=last)
