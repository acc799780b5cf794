"""Toy technique adapters and data sets that exercise the batch runner.

``dummy`` reads two-column text files named ``<sample>_<T>K.txt`` and returns
the mean and maximum of the second column; a file containing ``corrupt``
raises :class:`ReadError`, ``bug`` raises a ZeroDivisionError (an internal
error), and ``crash`` kills its worker process (only when it runs in one).
Its summary returns a fake σ(T) = mean · exp(-1000 K / T) so that the join runs.
``linecount`` takes no settings and counts lines.

Registered at import, so spawned workers find them by module name.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np

from structkit.core import ConfigError, DescriptorRow, ReadError
from structkit.pipeline import (
    SummaryResult,
    TaskResult,
    TechniqueAdapter,
    check_keys,
    positive_number,
    register_adapter,
)


class DummyAdapter(TechniqueAdapter):
    name = "dummy"
    table_name = "dummy_stats"

    def validate(self, settings, *, where):
        check_keys(settings, ["scale", "delay_s", "fail_summary", "series"], where=where)
        delay = settings.get("delay_s", 0.0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ConfigError(f"{where} delay_s: must be a number >= 0, got {delay!r}")
        fail = settings.get("fail_summary", False)
        if not isinstance(fail, bool):
            raise ConfigError(f"{where} fail_summary: must be true or false, got {fail!r}")
        out = {"scale": positive_number(settings, "scale", where=where, default=1.0),
               "delay_s": float(delay), "fail_summary": fail}
        if settings.get("series"):
            out["series"] = True
        return out

    def task_unit(self, settings):
        return "sample" if settings.get("series") else "file"

    def process_series(self, paths, settings, figure_dir, *, hints=None):
        rows, descriptors, failures = [], [], []
        for path, h in zip(paths, hints):
            try:
                r = self.process(path, settings, figure_dir, hints=h)
            except ReadError as exc:
                failures.append({"file": str(path), "error": "ReadError", "message": str(exc)})
                continue
            rows += [{**row, "file": str(path), "series_size": len(paths)} for row in r.rows]
            descriptors += r.descriptors
        return TaskResult(rows=rows, descriptors=descriptors, failures=failures)

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        text = path.read_text()
        if "corrupt" in text:
            raise ReadError("no numeric columns; re-export the file as two columns", path=path.name)
        if "bug" in text:
            return TaskResult(rows=[{"x": 1 / 0}])
        if "crash" in text and multiprocessing.parent_process() is not None:
            os._exit(3)
        time.sleep(settings["delay_s"])
        data = np.loadtxt(path)
        y = data[:, 1] * settings["scale"]
        sample, temp = path.stem.rsplit("_", 1)
        t_k = float(temp.rstrip("K"))
        hints = hints or {}
        sample, t_k = hints.get("sample", sample), hints.get("temperature_K", t_k)
        mean, ymax = float(y.mean()), float(y.max())
        err = float(y.std(ddof=1) / math.sqrt(y.size))
        cond = {"temperature_K": t_k, **hints.get("conditions", {})}
        return TaskResult(
            rows=[{"sample": sample, "temperature_K": t_k, "mean": mean, "max": np.float64(ymax),
                   "n": np.int64(y.size)}],
            descriptors=[DescriptorRow(sample, "y_mean", mean, err, "count", conditions=cond, method="mean"),
                         DescriptorRow(sample, "y_max", ymax, unit="count", conditions=cond)],
            messages=[f"{y.size} points"])

    def summarise(self, results, settings, out_dir):
        import pandas as pd

        if settings["fail_summary"]:
            raise ConfigError("summary asked to fail (fail_summary = true)")
        rows = [row for r in results for row in r.rows]
        frame = pd.DataFrame(rows)
        if frame.empty:
            return SummaryResult()
        per_sample = (frame.groupby("sample", as_index=False)
                      .agg(n_files=("file", "count"), mean_of_means=("mean", "mean")))
        sigma = frame[["sample", "temperature_K"]].copy()
        sigma["sigma_S_per_cm"] = frame["mean"] * np.exp(-1000.0 / frame["temperature_K"])
        sigma["sigma_stderr_S_per_cm"] = 0.01 * sigma["sigma_S_per_cm"]
        descriptors = [DescriptorRow(s, "n_files", n) for s, n in zip(per_sample["sample"],
                                                                       per_sample["n_files"])]
        return SummaryResult(tables={"dummy_summary": per_sample}, descriptors=descriptors,
                             conductivity=sigma, messages=[f"{len(results)} files summarised"])


class LineCountAdapter(TechniqueAdapter):
    name = "linecount"
    table_name = "lines"

    def process(self, path, settings, figure_dir):
        n = len(path.read_text().splitlines())
        return TaskResult(rows=[{"lines": n}], descriptors=[DescriptorRow(path.stem, "n_lines", n)])


DUMMY = register_adapter(DummyAdapter())
LINECOUNT = register_adapter(LineCountAdapter())

GOOD = [f"{s}_{t}K" for s in ("S1", "S2") for t in (300, 350, 400, 450)]
CORRUPT = ["X_bad1", "X_bad2"]


def write_good(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.arange(20.0)
    y = 10.0 + seed + rng.normal(0.0, 1.0, x.size)
    np.savetxt(path, np.column_stack([x, y]), fmt="%.6f")


def make_dataset(root: Path, *, good=GOOD, corrupt=CORRUPT) -> Path:
    """``root/data/*.txt``: good files (seeded) and corrupt ones; returns the data folder."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for i, stem in enumerate(good):
        write_good(data / f"{stem}.txt", i)
    for stem in corrupt:
        (data / f"{stem}.txt").write_text("this file is corrupt\n")
    return data


def write_campaign(root: Path, body: str = "", *, name: str = "campaign.toml",
                   output: str = "out", executor: str = "serial", workers: int = 1,
                   dummy: str = "") -> Path:
    """A campaign file with a [campaign] table, a [dummy] table over data/*.txt, and ``body``."""
    text = (f'[campaign]\nname = "test"\noutput = "{output}"\nexecutor = "{executor}"\n'
            f'workers = {workers}\n\n[dummy]\ninputs = ["data/*.txt"]\n{dummy}\n{body}')
    path = root / name
    path.write_text(text)
    return path


# -- functions for the executors' ordered map (importable by spawned workers) --------------------

def pid_and_square(x):
    """``(process id, x²)``: tells where an item was computed."""
    return os.getpid(), x * x


def pid_and_environ(name):
    """``(process id, os.environ.get(name))``: what a worker's environment holds."""
    return os.getpid(), os.environ.get(name)


def square_or_die(x):
    """Kills the worker process it runs in on ``x == 3``; in the main process it squares."""
    if x == 3 and multiprocessing.parent_process() is not None:
        os._exit(1)
    return x * x
