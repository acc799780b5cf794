"""``structkit run`` throughput: 1,000 XRD patterns + 1,000 impedance spectra, 1 and 2 local workers and Dask.

Writes a synthetic campaign (:func:`structkit.pipeline.synthetic.write_synthetic_campaign`: 50
samples x 20 temperatures, one Le Bail fit and one impedance fit per file, no milling series, no
corrupt files, no figures) into a temporary folder and runs it three times, each into a fresh
output folder (nothing comes from a cache): the process executor with 1 worker (the baseline
measured in the same run), with 2 workers, and Dask (``scheduler="dask-local:2"``: a LocalCluster
of 2 single-threaded worker processes). Prints the throughput of each (tasks / wall time of
``run_campaign``, summaries and table writing included), the speed-up 1 -> 2 workers (target
>= 1.7), Dask / local-2 (target within 15 %), the peak memory (target < 2 GB) and whether the three
runs wrote byte-identical tables. ``--repeats R`` runs R interleaved rounds of the three and keeps
the best wall time of each (a load change on a shared machine then hits all alike); "s in the
per-file fits" sums the tasks' own times from the run's ``structkit.log``: wall time minus it
(over the workers) is the serial part (start-up, summaries, join, analysis, writing).

Each run happens in its own child Python process (started by this script, BLAS threads pinned to
one), so memory is measured per run: ``getrusage`` ``ru_maxrss`` of the child itself
(RUSAGE_SELF: the main process of the run) and of its reaped children (RUSAGE_CHILDREN: the
largest single worker process, local pool workers and the Dask LocalCluster's worker processes
alike, since the cluster's nannies live in the run's process and spawn the workers as its
children), plus the peak of the summed RSS of the whole process tree sampled every 0.1 s with
psutil (dask's dependency; skipped if missing).

    python benchmarks/bench_campaign.py [--n 1000] [--repeats 1] [--keep DIR] [--runs local-1,local-2,dask-2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_RUNS = (("local-1", {"workers": 1, "executor": "process"}),
         ("local-2", {"workers": 2, "executor": "process"}),
         ("dask-2", {"executor": "dask", "scheduler": "dask-local:2"}))
_NOT_COMPARED = {"provenance.json", "structkit.log"}


def _tree_rss_sampler(stop: threading.Event, out: dict) -> None:
    try:
        import psutil
    except ImportError:
        out["tree_peak_mb"] = None
        return
    me = psutil.Process()
    peak = 0
    while not stop.is_set():
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, total)
        stop.wait(0.1)
    out["tree_peak_mb"] = peak / 2**20


def _child(toml: str, output: str, kwargs: str) -> None:
    """One run, in this (child) process; prints a JSON line."""
    from structkit.pipeline import run_campaign

    path = Path(toml)
    run_toml = path.with_name(f"campaign_{Path(output).name}.toml")
    text = path.read_text().replace('output = "out"', f'output = "{Path(output).name}"', 1)
    run_toml.write_text(text)
    kw = json.loads(kwargs)
    stop, mem = threading.Event(), {}
    sampler = threading.Thread(target=_tree_rss_sampler, args=(stop, mem), daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    try:
        report = run_campaign(run_toml, progress=False, **kw)
    except Exception as exc:  # noqa: BLE001 - e.g. no Dask: reported, not raised
        stop.set()
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    task_s = 0.0                     # the per-file work, as the run's log records it
    log = Path(output) / "structkit.log"
    if log.is_file():
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event.get("event") == "task" and event.get("status") == "computed":
                task_s += float(event.get("elapsed_s") or 0.0)
    print(json.dumps({"wall_s": wall, "task_s": task_s, "computed": report.computed, "cached": report.cached,
                      "failed": report.failed, "self_mb": self_kb / 1024, "children_mb": children_kb / 1024,
                      "tree_peak_mb": mem.get("tree_peak_mb")}))


def _run(toml: Path, output: Path, kwargs: dict) -> dict:
    env = dict(os.environ)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(k, "1")
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.run([sys.executable, __file__, "--_child", str(toml), str(output), json.dumps(kwargs)],
                          capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"child exited {proc.returncode}: {tail}"}
    return json.loads(lines[-1])


def _tables(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob("*.csv"))
            if p.name not in _NOT_COMPARED}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000,
                    help="XRD patterns (and as many impedance spectra); default 1000 = 50 samples x 20 T")
    ap.add_argument("--repeats", type=int, default=1, help="rounds of the three runs; the best wall time counts")
    ap.add_argument("--keep", type=Path, help="write the campaign and outputs here and keep them")
    ap.add_argument("--runs", default=",".join(n for n, _ in _RUNS),
                    help="which runs, comma-separated (default: all of " + ", ".join(n for n, _ in _RUNS) + ")")
    ap.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        _child(*args._child)
        return

    from structkit.pipeline.synthetic import write_synthetic_campaign

    temperatures = max(1, min(20, args.n))
    samples = max(1, args.n // temperatures)
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="bench_campaign_")
    folder = args.keep or Path(tmp.name)
    try:
        t0 = time.perf_counter()
        toml = write_synthetic_campaign(folder, samples=samples, temperatures=temperatures, milling_times=(),
                                        raman=False, corrupt=0, figures=False, workers=1)
        n_files = samples * temperatures
        tasks = 2 * n_files
        print(f"campaign: {samples} samples x {temperatures} temperatures = {n_files} XRD patterns + "
              f"{n_files} impedance spectra = {tasks} tasks (written in {time.perf_counter() - t0:.1f} s); "
              f"{os.cpu_count()} CPU(s)")
        chosen = [r.strip() for r in args.runs.split(",") if r.strip()]
        unknown = sorted(set(chosen) - {n for n, _ in _RUNS})
        if unknown:
            ap.error(f"--runs: unknown {', '.join(unknown)}")
        runs_wanted = [(n, kw) for n, kw in _RUNS if n in chosen]
        results: dict = {name: [] for name, _ in runs_wanted}
        for r in range(args.repeats):        # interleaved rounds: a change of machine load hits all alike
            for name, kwargs in runs_wanted:
                if results[name] and "error" in results[name][0]:
                    continue
                res = _run(toml, folder / f"out_{name}_{r}", kwargs)
                results[name].append({**res, "output": folder / f"out_{name}_{r}"})
        best = {}
        for name, all_runs in results.items():
            runs = [v for v in all_runs if "error" not in v]
            if not runs:
                print(f"{name}: not available ({all_runs[0]['error']})" if name.startswith("dask") else
                      f"{name}: FAILED ({all_runs[0]['error']})")
                continue
            if len(runs) < len(all_runs):
                print(f"{name}: {len(all_runs) - len(runs)} run(s) FAILED ({all_runs[0].get('error')})")
            res = dict(min(runs, key=lambda v: v["wall_s"]))
            for key in ("self_mb", "children_mb", "tree_peak_mb"):
                values = [v[key] for v in runs if v[key] is not None]
                res[key] = max(values) if values else None
            best[name] = res
            tree = "n/a" if res["tree_peak_mb"] is None else f"{res['tree_peak_mb']:.0f} MB"
            walls = ", ".join(f"{v['wall_s']:.2f}" for v in runs)
            print(f"{name:8s}: {res['wall_s']:7.2f} s  {tasks / res['wall_s']:6.1f} tasks/s  "
                  f"({res['computed']} computed, {res['cached']} cached, {res['failed']} failed; "
                  f"best of {len(runs)}: {walls} s; {res['task_s']:.1f} s in the per-file fits)  max RSS main "
                  f"{res['self_mb']:.0f} MB, largest worker {res['children_mb']:.0f} MB, process tree peak {tree}")
        ok = best
        if "local-1" in ok and "local-2" in ok:
            print(f"speed-up 1 -> 2 local workers: {ok['local-1']['wall_s'] / ok['local-2']['wall_s']:.2f}   "
                  f"(target >= 1.7)")
        if "dask-2" in ok and "local-2" in ok:
            ratio = ok["local-2"]["wall_s"] / ok["dask-2"]["wall_s"]
            print(f"dask-2 / local-2 throughput: {ratio:.2f}   (target 0.85-1.15, i.e. within 15 %)")
        peaks = [max(v["self_mb"], v["children_mb"], v["tree_peak_mb"] or 0.0) for v in ok.values()]
        if peaks:
            print(f"peak memory: {max(peaks):.0f} MB   (target < 2048 MB; the largest of main, one worker and "
                  "the summed process tree)")
        tables = {f"{k}#{r}": _tables(v["output"]) for k in ok for r, v in enumerate(results[k]) if "error" not in v}
        names = sorted(tables)
        if len(names) > 1:
            ref = tables[names[0]]
            same = all(tables[k] == ref for k in names[1:])
            diff = sorted({f for k in names[1:] for f in set(ref) ^ set(tables[k])} |
                          {f for k in names[1:] for f in ref if f in tables[k] and tables[k][f] != ref[f]})
            print(f"tables of the {len(names)} runs ({len(ref)} CSV files each): "
                  + ("byte-identical" if same else f"DIFFER: {', '.join(diff)}"))
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
