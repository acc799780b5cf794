"""Executors: where the per-file tasks of a run are computed.

An executor has one method, ``submit_all(tasks)``, which yields
``(task, outcome)`` pairs as tasks finish, in any order. A task is a small
picklable :class:`Task`; the work is the module-level function
:func:`run_task`, which looks the adapter up by name (importing the module
that registered it) and catches *every* exception into a :class:`Failure`,
so one bad file never stops a run.

* :class:`SerialExecutor` runs tasks in this process, one after another.
* :class:`ProcessExecutor` runs them in a ``concurrent.futures``
  process pool started with the **spawn** method. Spawned workers are fresh
  interpreters: they inherit no threads and no locks from the parent (forking
  a process whose BLAS/OpenMP pools, tqdm monitor thread or matplotlib state
  hold threads can deadlock the child; CPython 3.12+ warns about it), they
  behave the same on Linux, macOS and Windows, and the initializer can make
  matplotlib headless (Agg) before anything imports it. The cost is one
  interpreter start plus imports (~0.3 s here) per worker, paid once per run
  because the pool lives for the whole run. ``forkserver`` would be as safe
  but is POSIX-only and preloads ``__main__`` into its server.
  A worker that dies (segfault, out of memory) breaks the pool: the tasks
  in flight are then re-run one by one in fresh single-worker pools, so the
  file that kills its worker is recorded as a ``WorkerCrash`` failure and the
  others complete.

Adding a cluster executor (Dask) needs no change to any technique: implement
``submit_all`` with ``client.map(run_task, tasks)`` and
``distributed.as_completed``; ``Task`` and ``run_task`` are picklable and
workers find adapters by module name. (Workers must see the input files and
``structkit``; the main process writes the cache and the tables.)

Examples
--------
>>> list(SerialExecutor().submit_all([]))
[]
"""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import os
import sys
import traceback
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..core.errors import StructkitError
from .adapters import TaskResult, get_adapter
from .cache import encode_result

__all__ = ["Task", "Failure", "TaskOutcome", "run_task", "failure_from_exception",
           "Executor", "SerialExecutor", "ProcessExecutor", "make_executor", "START_METHOD"]

#: Start method of worker processes (see the module docstring for why).
START_METHOD = "spawn"


@dataclass(frozen=True)
class Task:
    """One input file for one technique; plain data so it pickles to any worker."""

    technique: str
    file: str                      # path relative to the campaign file, POSIX form
    path: str                      # absolute path read by the adapter
    key: str                       # cache key
    settings: dict[str, Any]       # validated settings
    figure_dir: str                # absolute; <output>/figures/<technique>
    output_dir: str                # absolute
    adapter_module: str | None = None


@dataclass(frozen=True)
class Failure:
    """One row of ``failures.csv``."""

    file: str
    technique: str
    error: str
    message: str


@dataclass(frozen=True)
class TaskOutcome:
    """What a worker sends back: the JSON text of a :class:`TaskResult`, or a :class:`Failure`."""

    key: str
    payload: str | None = None
    failure: Failure | None = None
    detail: str = field(default="", compare=False)  # traceback of an unexpected error

    @property
    def ok(self) -> bool:
        return self.failure is None


def failure_from_exception(file: str, technique: str, exc: BaseException) -> Failure:
    """A failure record: a StructkitError's own message, else the type, message and a plea to report."""
    if isinstance(exc, StructkitError):
        return Failure(file, technique, type(exc).__name__, str(exc))
    return Failure(file, technique, type(exc).__name__,
                   f"{type(exc).__name__}: {exc} (internal error, please report)")


def _relative_figure(fig, output_dir: Path) -> str:
    p = Path(fig)
    if p.is_absolute():
        try:
            p = p.relative_to(output_dir)
        except ValueError:
            return p.as_posix()
    return p.as_posix()


def _finish(result: TaskResult, task: Task, caught) -> TaskResult:
    """Fill the runner's conventions into an adapter's result (file column, technique, source)."""
    rows = [{"file": task.file, **row} if "file" not in row else dict(row) for row in result.rows]
    descriptors = [dataclasses.replace(d, technique=d.technique or task.technique,
                                       source=d.source or task.file) for d in result.descriptors]
    figures = [_relative_figure(f, Path(task.output_dir)) for f in result.figures]
    messages = [str(m) for m in result.messages]
    for w in caught:
        text = f"warning: {w.category.__name__}: {w.message}"
        if text not in messages:
            messages.append(text)
    return TaskResult(rows=rows, descriptors=descriptors, figures=figures, messages=messages)


def run_task(task: Task) -> TaskOutcome:
    """Process one task; never raises (except KeyboardInterrupt/SystemExit)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            adapter = get_adapter(task.technique, module=task.adapter_module)
            result = adapter.process(Path(task.path), copy.deepcopy(task.settings), Path(task.figure_dir))
        if not isinstance(result, TaskResult):
            raise TypeError(f"{type(adapter).__qualname__}.process returned "
                            f"{type(result).__name__}, not a TaskResult")
        return TaskOutcome(task.key, payload=encode_result(_finish(result, task, caught)))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a record; the run goes on
        detail = "" if isinstance(exc, StructkitError) else traceback.format_exc()
        return TaskOutcome(task.key, failure=failure_from_exception(task.file, task.technique, exc),
                           detail=detail)


class Executor(Protocol):
    """Anything with ``submit_all``; see the module docstring."""

    workers: int

    def submit_all(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, TaskOutcome]]:
        ...


class SerialExecutor:
    """Run tasks in this process, in order."""

    workers = 1

    def submit_all(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, TaskOutcome]]:
        for task in tasks:
            yield task, run_task(task)


def _worker_init() -> None:
    # workers are headless; set before anything imports matplotlib
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # pragma: no cover - only if a preload imported it
        import matplotlib
        matplotlib.use("Agg")


class ProcessExecutor:
    """Run tasks in a pool of ``workers`` spawned processes.

    At most ``workers`` tasks are in flight at a time, so results stream back
    (and are cached) as they finish, and a worker crash can only implicate
    the tasks in flight.
    """

    def __init__(self, workers: int = 1):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers

    def _pool(self, n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(START_METHOD),
                                   initializer=_worker_init)

    def _isolated(self, task: Task) -> TaskOutcome:
        pool = self._pool(1)
        try:
            return pool.submit(run_task, task).result()
        except BrokenProcessPool:
            return TaskOutcome(task.key, failure=Failure(
                task.file, task.technique, "WorkerCrash",
                "the worker process died while processing this file (crash, out of memory or killed); "
                "internal error, please report"))
        except Exception as exc:  # noqa: BLE001 - e.g. a result that does not unpickle
            return TaskOutcome(task.key, failure=failure_from_exception(task.file, task.technique, exc))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def submit_all(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, TaskOutcome]]:
        queue = deque(tasks)
        if not queue:
            return
        pool = self._pool(min(self.workers, len(queue)))
        inflight: dict = {}
        try:
            while queue or inflight:
                while queue and len(inflight) < self.workers:
                    task = queue.popleft()
                    inflight[pool.submit(run_task, task)] = task
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                suspects = []
                for fut in sorted(done, key=lambda f: inflight[f].file):
                    task = inflight.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        suspects.append(task)
                        continue
                    except Exception as exc:  # noqa: BLE001 - pickling problems and the like
                        outcome = TaskOutcome(task.key, failure=failure_from_exception(
                            task.file, task.technique, exc), detail=traceback.format_exc())
                    yield task, outcome
                if suspects:
                    suspects.extend(inflight.values())
                    inflight.clear()
                    pool.shutdown(wait=True, cancel_futures=True)
                    for task in suspects:
                        yield task, self._isolated(task)
                    pool = self._pool(min(self.workers, max(len(queue), 1)))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def make_executor(kind: str = "process", workers: int = 1) -> Executor:
    """``"serial"`` or ``"process"`` (a process pool even with one worker: crashes stay isolated)."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "process":
        return ProcessExecutor(workers)
    raise ValueError(f"executor must be 'process' or 'serial', got {kind!r}")
