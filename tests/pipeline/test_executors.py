"""The executors' ordered ``map`` (per-sample summary fits on the run's workers) and its fallbacks."""

import os

import numpy as np
import pandas as pd
import pytest

from dummy_adapters import pid_and_environ, pid_and_square, square_or_die
from structkit.core import DescriptorRow, DescriptorTable, join_conductivity
from structkit.pipeline import make_executor
from structkit.pipeline.executors import MAP_MIN_ITEMS_PER_WORKER


def test_serial_map_keeps_order():
    with make_executor("serial") as ex:
        assert ex.map(pid_and_square, [3, 1, 2]) == [(os.getpid(), 9), (os.getpid(), 1), (os.getpid(), 4)]


def test_process_map_runs_on_the_workers_in_order():
    n = MAP_MIN_ITEMS_PER_WORKER * 2
    with make_executor("process", 2) as ex:
        few = ex.map(pid_and_square, [1, 2])            # pool not started, few items: here
        assert [p for p, _ in few] == [os.getpid()] * 2
        many = ex.map(pid_and_square, list(range(n)))
        assert [v for _, v in many] == [i * i for i in range(n)]
        assert os.getpid() not in {p for p, _ in many}
        again = ex.map(pid_and_square, [5, 6])          # the pool is up now: it is used
        assert [v for _, v in again] == [25, 36] and os.getpid() not in {p for p, _ in again}
    assert ex._running is None                           # closed with the block


def test_process_map_falls_back_here_when_a_worker_dies():
    with make_executor("process", 2) as ex:
        items = list(range(MAP_MIN_ITEMS_PER_WORKER * 2))
        assert ex.map(square_or_die, items) == [i * i for i in items]
        assert ex._running is None                       # the broken pool was dropped
        assert ex.map(square_or_die, items) == [i * i for i in items]


def _sigma_frame():
    rows = []
    rng = np.random.default_rng(4)
    for s, ea in (("A", 0.4), ("B", 0.5), ("C", 0.6)):
        for t in np.linspace(300, 420, 8):
            sig = 1e3 / t * np.exp(-ea / (8.617333e-5 * t)) * (1 + 0.01 * rng.standard_normal())
            rows.append({"sample": s, "temperature_K": t, "sigma_S_per_cm": sig,
                         "sigma_stderr_S_per_cm": 0.01 * sig})
    return pd.DataFrame(rows)


def test_join_conductivity_uses_the_given_map_and_gives_the_same_table():
    table = DescriptorTable.from_rows(
        DescriptorRow(sample=s, conditions={"temperature_K": 350.0}, technique="xrd", name="a_angstrom",
                      value=v, unit="angstrom") for s, v in (("A", 10.0), ("B", 10.1), ("C", 10.2)))
    seen = []

    def recording_map(func, items):
        seen.append(len(items))
        return [func(i) for i in items]

    plain = join_conductivity(table, _sigma_frame())
    mapped = join_conductivity(table, _sigma_frame(), pmap=recording_map)
    assert seen == [3]
    pd.testing.assert_frame_equal(plain, mapped)
    assert np.allclose(plain["ea_eV"], [0.4, 0.5, 0.6], atol=0.03)


@pytest.mark.slow
def test_dask_batch_that_kills_a_worker_is_split_and_only_the_culprit_fails(tmp_path, monkeypatch):
    """Tasks go to Dask three at a time; the batch holding the file that kills its worker is re-run
    task by task, so only that file is a WorkerCrash and the others of its batch complete."""
    pytest.importorskip("distributed")
    from dummy_adapters import GOOD, make_dataset, write_campaign
    from structkit.pipeline import run_campaign
    from structkit.pipeline.executors import DaskExecutor

    make_dataset(tmp_path, good=GOOD[:5], corrupt=[])
    (tmp_path / "data" / "A_crash.txt").write_text("crash\n")      # sorts first: in the first batch
    monkeypatch.setattr(DaskExecutor, "batch", 3)
    report = run_campaign(write_campaign(tmp_path), progress=False, scheduler="dask-local:2")
    assert (report.executor, report.computed, report.failed) == ("dask", 5, 1)
    (f,) = report.failures
    assert (f.file, f.error) == ("data/A_crash.txt", "WorkerCrash")


@pytest.mark.slow
def test_local_dask_workers_keep_the_dynamic_malloc_threshold(monkeypatch):
    """Dask's nannies set MALLOC_TRIM_THRESHOLD_, which switches off glibc's dynamic mmap threshold
    (the fits of a task took 10 % more CPU); a dask-local cluster's workers run without it, and with
    one BLAS thread as Dask sets it."""
    pytest.importorskip("distributed")
    import dask

    assert "MALLOC_TRIM_THRESHOLD_" in (dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    # as an earlier cluster in the same process leaves it (the nanny sets it in its parent's environment)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with make_executor("dask", 1, "dask-local:1") as ex:
        out = ex.map(pid_and_environ, ["MALLOC_TRIM_THRESHOLD_"] * MAP_MIN_ITEMS_PER_WORKER)
        blas = ex.map(pid_and_environ, ["OPENBLAS_NUM_THREADS"] * MAP_MIN_ITEMS_PER_WORKER)
    assert os.getpid() not in {p for p, _ in out}                    # computed on the worker
    assert {v for _, v in out} == {None}
    assert {v for _, v in blas} == {"1"}
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"              # this process's own is kept
