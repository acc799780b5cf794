import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dummy_adapters import CORRUPT, GOOD, make_dataset, write_campaign, write_good
from structkit.core import ConfigError, DescriptorRow, DescriptorTable
from structkit.pipeline import run_campaign
from structkit.pipeline.runner import RunLog

HERE = Path(__file__).parent


def tables(out: Path) -> dict[str, bytes]:
    """Every CSV of an output directory, by name."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def no_temp_files(out: Path) -> bool:
    return not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture
def campaign(tmp_path):
    make_dataset(tmp_path)
    return write_campaign(tmp_path)


def test_run_with_corrupt_files(campaign):
    report = run_campaign(campaign, progress=False)
    out = campaign.parent / "out"
    assert (report.computed, report.cached, report.failed) == (8, 0, 2)
    assert report.per_technique == {"dummy": {"computed": 8, "cached": 0, "failed": 2}}

    with open(out / "failures.csv", newline="") as fh:
        failures = list(csv.DictReader(fh))
    assert [f["file"] for f in failures] == [f"data/{s}.txt" for s in CORRUPT]
    assert {f["technique"] for f in failures} == {"dummy"}
    assert {f["error"] for f in failures} == {"ReadError"}
    assert failures[0]["message"] == "X_bad1.txt: no numeric columns; re-export the file as two columns"

    stats = pd.read_csv(out / "dummy_stats.csv")
    assert stats.columns.tolist() == ["file", "sample", "temperature_K", "mean", "max", "n"]
    assert stats["file"].tolist() == [f"data/{s}.txt" for s in GOOD]       # sorted by file
    y = np.loadtxt(campaign.parent / "data" / "S1_350K.txt")[:, 1]
    assert stats.loc[1, "mean"] == pytest.approx(y.mean(), rel=1e-9)

    desc = DescriptorTable.read_csv(out / "descriptors.csv").to_frame()
    assert desc.columns.tolist()[:2] == ["sample", "temperature_K"]
    keys = list(zip(desc["technique"], desc["sample"], desc["temperature_K"].fillna(np.inf), desc["name"]))
    assert keys == sorted(keys) and len(desc) == 8 * 2 + 2
    assert set(desc["source"]) >= {f"data/{s}.txt" for s in GOOD}
    assert (out / "descriptors.parquet").exists()
    wide = pd.read_csv(out / "descriptors_wide.csv")
    assert {"y_mean", "y_mean_stderr", "y_max", "n_files"} <= set(wide.columns)
    joined = pd.read_csv(out / "joined.csv")
    assert np.isfinite(joined["sigma_S_per_cm"]).sum() == 8                 # every (sample, T) row
    assert pd.read_csv(out / "dummy_summary.csv")["n_files"].tolist() == [4, 4]

    prov = json.loads((out / "provenance.json").read_text())
    assert prov["counts"] == {"computed": 8, "cached": 0, "failed": 2}
    assert prov["campaign"]["sha256"] and prov["started"] <= prov["finished"]
    assert prov["settings"] == {"dummy": {"scale": 1.0, "delay_s": 0.0, "fail_summary": False}}
    assert [(i["file"], i["status"]) for i in prov["inputs"]][:2] == [
        ("data/S1_300K.txt", "computed"), ("data/S1_350K.txt", "computed")]
    assert all(len(i["sha256"]) == 64 for i in prov["inputs"])
    assert set(prov["versions"]) >= {"python", "numpy", "scipy", "lmfit", "structkit"}
    assert "dummy_stats.csv" in report.outputs and "8 computed, 0 cached, 2 failed" in report.summary()
    assert no_temp_files(out)


def test_rerun_uses_cache_and_is_byte_identical(campaign):
    out = campaign.parent / "out"
    run_campaign(campaign, progress=False)
    first = tables(out)
    # failures of bad input are cached too: the same bytes fail the same way
    assert len(list((out / ".cache" / "dummy").glob("*.json"))) == 10

    again = run_campaign(campaign, progress=False)
    assert (again.computed, again.cached, again.failed) == (0, 8, 2)   # failures taken from the cache
    assert tables(out) == first
    prov = json.loads((out / "provenance.json").read_text())
    assert sum(bool(i.get("cached")) for i in prov["inputs"] if i["status"] == "failed") == 2
    retried = run_campaign(campaign, progress=False, retry_failed=True)
    assert (retried.computed, retried.cached, retried.failed) == (0, 8, 2)
    assert [e["file"] for e in RunLog.read(out) if e["event"] == "task" and e["run"] == prov["run"]] == []
    assert sorted(e["file"] for e in RunLog.read(out)[-4:] if e["event"] == "task") == \
        [f"data/{s}.txt" for s in CORRUPT]                              # only the two retried
    assert tables(out) == first

    write_good(campaign.parent / "data" / "S2_350K.txt", seed=99)    # change one input
    changed = run_campaign(campaign, progress=False)
    assert (changed.computed, changed.cached) == (1, 7)
    prov = json.loads((out / "provenance.json").read_text())
    status = {i["file"]: i["status"] for i in prov["inputs"]}
    assert status["data/S2_350K.txt"] == "computed" and status["data/S1_300K.txt"] == "cached"
    assert tables(out)["dummy_stats.csv"] != first["dummy_stats.csv"]

    write_campaign(campaign.parent, dummy="scale = 2.0")                 # change the settings
    rescaled = run_campaign(campaign, progress=False)
    assert (rescaled.computed, rescaled.cached, rescaled.failed) == (8, 0, 2)


def test_serial_and_process_runs_are_byte_identical(tmp_path):
    make_dataset(tmp_path)
    serial = write_campaign(tmp_path, name="serial.toml", output="out_serial")
    parallel = write_campaign(tmp_path, name="parallel.toml", output="out_process", executor="process",
                              workers=2)
    r1 = run_campaign(serial, progress=False)
    r2 = run_campaign(parallel, progress=False)
    assert (r2.executor, r2.workers, r2.computed, r2.failed) == ("process", min(2, os.cpu_count()), 8, 2)
    a, b = tables(tmp_path / "out_serial"), tables(tmp_path / "out_process")
    assert a.keys() == b.keys() and a == b
    assert r1.failures == r2.failures


def test_worker_crash_is_isolated(tmp_path):
    make_dataset(tmp_path, good=GOOD[:3], corrupt=[])
    (tmp_path / "data" / "X_crash.txt").write_text("crash\n")
    report = run_campaign(write_campaign(tmp_path, executor="process", workers=2), progress=False)
    assert (report.computed, report.failed) == (3, 1)
    (f,) = report.failures
    assert (f.file, f.error) == ("data/X_crash.txt", "WorkerCrash")
    assert "internal error, please report" in f.message


def test_internal_error_and_failed_summary_do_not_stop_the_run(tmp_path):
    make_dataset(tmp_path, corrupt=[])
    (tmp_path / "data" / "X_bug.txt").write_text("bug\n")
    out = tmp_path / "out"
    run_campaign(write_campaign(tmp_path), progress=False)
    assert (out / "dummy_summary.csv").exists() and (out / "joined.csv").exists()

    report = run_campaign(write_campaign(tmp_path, dummy="fail_summary = true"), progress=False)
    failures = pd.read_csv(out / "failures.csv")
    assert failures[["file", "error"]].values.tolist() == [["(summary)", "ConfigError"],
                                                           ["data/X_bug.txt", "ZeroDivisionError"]]
    assert failures["message"][1].endswith("(internal error, please report)")
    assert (out / "dummy_stats.csv").exists() and (out / "descriptors.csv").exists()
    # outputs of the previous run that this run could not produce are removed, not left stale
    assert not (out / "dummy_summary.csv").exists() and not (out / "joined.csv").exists()
    assert any("joined.csv not written" in n for n in report.notes)


def test_two_techniques_extra_descriptors_and_no_conductivity(tmp_path):
    make_dataset(tmp_path, corrupt=[])
    DescriptorTable.from_rows([DescriptorRow("S1", "a_angstrom", 6.01, 0.002, "angstrom",
                                             technique="xrd", conditions={"temperature_K": 300.0})]
                              ).to_csv(tmp_path / "xrd.csv")
    path = tmp_path / "c.toml"
    path.write_text('[campaign]\nexecutor = "serial"\n[linecount]\ninputs = ["data/*.txt"]\n'
                    '[join]\ndescriptors = ["xrd.csv"]\n')
    report = run_campaign(path, progress=False)
    out = tmp_path / "structkit_out"
    assert report.computed == 8 and not report.failures
    assert any("joined.csv not written" in n for n in report.notes) and not (out / "joined.csv").exists()
    desc = pd.read_csv(out / "descriptors.csv")
    assert desc["technique"].tolist() == ["linecount"] * 8 + ["xrd"]
    assert pd.read_csv(out / "lines.csv")["lines"].tolist() == [20] * 8
    assert pd.read_csv(out / "failures.csv").empty
    assert (out / "failures.csv").read_text() == "file,technique,error,message\n"


def test_one_run_per_output_directory(campaign):
    from structkit.pipeline.runner import _output_lock

    out = campaign.parent / "out"
    out.mkdir()
    with _output_lock(out):
        with pytest.raises(ConfigError, match="in use by another structkit run"):
            run_campaign(campaign, progress=False)


def test_leftover_temp_files_are_removed(campaign):
    out = campaign.parent / "out"
    run_campaign(campaign, progress=False)
    (out / ".dummy_stats.csv.4242.tmp").write_text("half a tab")
    (out / ".cache" / "dummy" / ".abc.json.4242.tmp").write_text("{half")
    report = run_campaign(campaign, progress=False)
    assert report.cached == 8 and no_temp_files(out)


def test_killed_run_resumes(tmp_path):
    stems = [f"S{i}_300K" for i in range(8)]
    make_dataset(tmp_path, good=stems, corrupt=[])
    path = write_campaign(tmp_path, dummy="delay_s = 0.15")
    out = tmp_path / "out"
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import dummy_adapters; "
              "from structkit.pipeline import run_campaign; run_campaign(sys.argv[2], progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(HERE), str(path)])
    cache_dir = out / ".cache" / "dummy"
    deadline = time.monotonic() + 20
    try:
        while len(list(cache_dir.glob("*.json"))) < 3:
            assert proc.poll() is None, "the run finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = len(list(cache_dir.glob("*.json")))
    assert 3 <= done < 8 and not (out / "dummy_stats.csv").exists()
    for entry in cache_dir.glob("*.json"):
        json.loads(entry.read_text())                                  # every entry is whole

    report = run_campaign(path, progress=False)
    assert (report.cached, report.computed, report.failed) == (done, 8 - done, 0)
    assert no_temp_files(out)
    for p in out.glob("*.csv"):
        pd.read_csv(p)
    assert len(pd.read_csv(out / "dummy_stats.csv")) == 8
