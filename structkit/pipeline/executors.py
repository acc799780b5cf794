"""Executors: where the per-file tasks of a run are computed.

An executor has three methods: ``submit_all(tasks)``, which yields
``(task, outcome)`` pairs as tasks finish, in any order; ``map(func, items)``,
which applies a module-level function to every item on the same workers and
returns the results in order (the technique summaries use it for their
per-sample fits, so they do not run one after another in the main process);
and ``close()`` (executors are context managers: the pool or the cluster
lives from the first task to the last summary). A task is a small
picklable :class:`Task`; the work is the module-level function
:func:`run_task`, which looks the adapter up by name (importing the module
that registered it) and catches *every* exception into a :class:`Failure`,
so one bad file never stops a run. A function given to ``map`` must catch
what it expects itself; any exception it raises propagates.

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

* :class:`DaskExecutor` runs them on a Dask ``distributed`` cluster (a
  running scheduler, or a local cluster started for the run); ``Task`` and
  :func:`run_task` are picklable and workers find adapters by module name.
  (Workers must see the input files and ``structkit``; the main process
  writes the cache and the tables.)

Examples
--------
>>> list(SerialExecutor().submit_all([]))
[]
>>> with make_executor("serial") as ex:
...     ex.map(abs, [-1, 2, -3])
[1, 2, 3]
"""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import os
import sys
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..core.errors import ConfigError, StructkitError
from .adapters import TaskResult, accepts_keyword, get_adapter
from .cache import encode_result

__all__ = ["Task", "Failure", "TaskOutcome", "run_task", "failure_from_exception",
           "Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "START_METHOD"]

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
    hints: dict[str, Any] = field(default_factory=dict)     # sample/conditions from the names rule
    members: tuple[tuple[str, str, dict], ...] = ()         # series task: (file, path, hints) per file


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
    elapsed_s: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def cacheable(self) -> bool:
        """A result, or a failure of bad input (a StructkitError: no traceback); not a crash or a bug."""
        return self.failure is None or (not self.detail and self.failure.error != "WorkerCrash")


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


def _relative_source(source: str, by_path: dict[str, str]) -> str:
    """An absolute input path at the start of ``source`` (``/x/a.prj#group``) as the campaign-relative name."""
    if not source:
        return source
    for path, rel in by_path.items():
        if source == path or (source.startswith(path) and source[len(path)] in "#:[ "):
            return rel + source[len(path):]
    return source


def _finish(result: TaskResult, task: Task, caught) -> TaskResult:
    """Fill the runner's conventions into an adapter's result (file column, technique, source)."""
    # a file column holding the path the adapter was given becomes the campaign-relative name, so tables
    # do not depend on where the campaign folder lies (laptop, cluster, another checkout)
    by_path = _paths(task)
    rows = [{"file": task.file, **row} if "file" not in row else
            {**row, "file": by_path.get(str(row["file"]), row["file"])} for row in result.rows]
    descriptors = [dataclasses.replace(d, technique=d.technique or task.technique,
                                       source=_relative_source(d.source, by_path) or task.file)
                   for d in result.descriptors]
    figures = [_relative_figure(f, Path(task.output_dir)) for f in result.figures]
    messages = [_relative_text(str(m), by_path) for m in result.messages]
    for w in caught:
        text = f"warning: {w.category.__name__}: {w.message}"
        if text not in messages:
            messages.append(text)
    failures = [{"file": by_path.get(str(f["file"]), str(f["file"])), "error": str(f["error"]),
                 "message": _relative_text(str(f["message"]), by_path)} for f in result.failures]
    return TaskResult(rows=rows, descriptors=descriptors, figures=figures, messages=messages,
                      failures=failures)


def _call_adapter(adapter, task: Task) -> TaskResult:
    settings = copy.deepcopy(task.settings)
    if task.members:
        return adapter.process_series([Path(p) for _, p, _ in task.members], settings, Path(task.figure_dir),
                                      hints=[dict(h) for _, _, h in task.members])
    kw = {"hints": dict(task.hints)} if accepts_keyword(adapter.process, "hints") else {}
    return adapter.process(Path(task.path), settings, Path(task.figure_dir), **kw)


#: Most tasks per Dask task (see :meth:`DaskExecutor.submit_all`).
DASK_BATCH = 4


def run_tasks(tasks: list[Task]) -> list[TaskOutcome]:
    """:func:`run_task` for each of a few tasks (one Dask task)."""
    return [run_task(task) for task in tasks]


def run_task(task: Task) -> TaskOutcome:
    """Process one task; never raises (except KeyboardInterrupt/SystemExit)."""
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            adapter = get_adapter(task.technique, module=task.adapter_module)
            result = _call_adapter(adapter, task)
        if not isinstance(result, TaskResult):
            raise TypeError(f"{type(adapter).__qualname__}.process returned "
                            f"{type(result).__name__}, not a TaskResult")
        return TaskOutcome(task.key, payload=encode_result(_finish(result, task, caught)),
                           elapsed_s=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a record; the run goes on
        detail = "" if isinstance(exc, StructkitError) else traceback.format_exc()
        f = failure_from_exception(task.file, task.technique, exc)
        f = dataclasses.replace(f, message=_relative_text(f.message, _paths(task)))
        return TaskOutcome(task.key, failure=f, detail=detail, elapsed_s=time.perf_counter() - t0)


def _paths(task: Task) -> dict[str, str]:
    """Absolute path -> campaign-relative name, for every file of a task."""
    return {p: f for f, p, _ in task.members} or {task.path: task.file}


def _relative_text(text: str, by_path: dict[str, str]) -> str:
    """Messages name files as the campaign does (``vt/xrd/a.xye``), not by this machine's absolute path."""
    for path, rel in by_path.items():
        text = text.replace(path, rel)
    return text


class Executor(Protocol):
    """Anything with ``submit_all``, ``map`` and ``close``; see the module docstring."""

    workers: int

    def submit_all(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, TaskOutcome]]:
        ...

    def map(self, func: Callable, items: Iterable) -> list:
        ...

    def close(self) -> None:
        ...


#: ``map`` starts a pool or a cluster that is not running yet only for at least this many items
#: per worker (the start-up, ~1-3 s of imports per worker, costs more than a few fits save).
MAP_MIN_ITEMS_PER_WORKER = 4


class _Closing:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass


class SerialExecutor(_Closing):
    """Run tasks in this process, in order."""

    workers = 1

    def submit_all(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, TaskOutcome]]:
        for task in tasks:
            yield task, run_task(task)

    def map(self, func: Callable, items: Iterable) -> list:
        return [func(item) for item in items]


def _worker_init() -> None:
    _headless()
    _die_with_parent()


def _headless() -> None:
    """Workers draw without a screen; set before anything imports matplotlib (local and Dask workers)."""
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # pragma: no cover - only if a preload imported it
        import matplotlib
        matplotlib.use("Agg")


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the run that started it dies (even by SIGKILL).

    Without it, workers of a killed run would go on computing and writing
    figures while the next run starts.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        return
    if os.getppid() == 1:  # pragma: no cover - the parent died before prctl
        os._exit(0)


class ProcessExecutor(_Closing):
    """Run tasks in a pool of ``workers`` spawned processes.

    At most ``workers`` tasks are in flight at a time, so results stream back
    (and are cached) as they finish, and a worker crash can only implicate
    the tasks in flight. The pool starts with the first task (or a large
    enough ``map``) and lives until :meth:`close`.
    """

    def __init__(self, workers: int = 1):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers
        self._running: ProcessPoolExecutor | None = None

    def _pool(self, n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(START_METHOD),
                                   initializer=_worker_init)

    def _shared_pool(self) -> ProcessPoolExecutor:
        if self._running is None:
            self._running = self._pool(self.workers)
        return self._running

    def _reset(self) -> None:
        if self._running is not None:
            self._running.shutdown(wait=True, cancel_futures=True)
            self._running = None

    def close(self) -> None:
        self._reset()

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
        pool = self._shared_pool()
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
                    self._reset()
                    for task in suspects:
                        yield task, self._isolated(task)
                    pool = self._shared_pool()
        except BaseException:
            self._reset()   # a caller that stops early (KeyboardInterrupt) leaves no task running
            raise

    def map(self, func: Callable, items: Iterable) -> list:
        """``[func(item) for item in items]`` on the pool, in order.

        In this process when there is one item, or when the pool is not running and
        there are fewer than ``MAP_MIN_ITEMS_PER_WORKER`` items per worker. If a worker
        dies, the pool is restarted and the items are computed here.
        """
        items = list(items)
        if len(items) < 2 or (self._running is None and len(items) < MAP_MIN_ITEMS_PER_WORKER * self.workers):
            return [func(item) for item in items]
        chunk = max(1, len(items) // (4 * self.workers))
        try:
            return list(self._shared_pool().map(func, items, chunksize=chunk))
        except BrokenProcessPool:
            self._reset()
            return [func(item) for item in items]


class DaskExecutor(_Closing):
    """Run tasks on a Dask ``distributed`` cluster: ``tcp://HOST:PORT`` or ``dask-local:N``.

    ``dask-local:N`` starts a :class:`distributed.LocalCluster` of N worker
    processes with one thread each (fits hold the GIL) for the run and
    closes it after. At most ``2 x workers`` tasks are submitted at a time,
    so results stream back (and are cached by the caller) as they finish and
    the scheduler never holds the whole campaign. Long queues go in batches
    of up to :data:`DASK_BATCH` tasks per Dask task, which shares the
    scheduler's per-task cost. A task whose worker dies is retried by Dask on
    another worker; a batch that kills workers repeatedly (``KilledWorker``)
    is split into single tasks, and a single task that does is recorded as a
    ``WorkerCrash``. Workers must be able
    to import structkit (and any user adapter module) and read the input
    files; only the main process writes tables and the cache.
    """

    #: Tasks per Dask task; None: up to :data:`DASK_BATCH`, fewer for short queues.
    batch: int | None = None

    def __init__(self, scheduler: str = "dask-local", workers: int = 1):
        self.scheduler = scheduler
        self.workers = workers
        self._connection = None   # (client, cluster or None), from the first task to close()

    def _connected(self):
        if self._connection is None:
            client, cluster = self._client()
            try:
                client.run(_headless)
            except BaseException:
                client.close()
                if cluster is not None:
                    cluster.close()
                raise
            self._connection = client, cluster
        return self._connection[0]

    def close(self) -> None:
        if self._connection is not None:
            client, cluster = self._connection
            self._connection = None
            client.close()
            if cluster is not None:
                cluster.close()

    def map(self, func: Callable, items: Iterable) -> list:
        """``[func(item) for item in items]`` on the cluster, in order (here, if it is not up and
        there are few items)."""
        items = list(items)
        if len(items) < 2 or (self._connection is None and len(items) < MAP_MIN_ITEMS_PER_WORKER * self.workers):
            return [func(item) for item in items]
        client = self._connected()
        futures = client.map(func, items, pure=False)
        try:
            return client.gather(futures)
        finally:
            for fut in futures:
                fut.release()

    def _client(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("the Dask executor needs dask.distributed: pip install 'structkit[dask]'") from None
        if self.scheduler.startswith("dask-local"):
            n = int(self.scheduler.split(":", 1)[1]) if ":" in self.scheduler else self.workers
            import logging

            import dask

            # the workers' statistical profiler (a sample every 10 ms) and GIL monitor cost CPU the
            # fits need when workers fill the machine; a local cluster for one run needs neither,
            # nor a dashboard
            # the workers inherit this process's environment, where an earlier Dask cluster (Dask's
            # nannies set their pre-spawn variables in the parent) may have left MALLOC_TRIM_THRESHOLD_
            inherited = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            try:
                with dask.config.set(_local_dask_config()):
                    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR,
                                           env={"MPLBACKEND": "Agg"})
            finally:
                if inherited is not None:
                    os.environ["MALLOC_TRIM_THRESHOLD_"] = inherited
            client = Client(cluster)
            self.workers = n
            return client, cluster
        try:
            client = Client(self.scheduler, timeout="20s")
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler {self.scheduler} ({exc}); start it "
                              "(dask scheduler) and its workers, or use --scheduler dask-local:N") from None
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        return client, None

    def submit_all(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, TaskOutcome]]:
        queue = deque(tasks)
        if not queue:
            return
        from distributed import as_completed

        client = self._connected()
        try:
            limit = 2 * self.workers
            # a few tasks per Dask task: the scheduler's cost per task (~10 ms of the main process's CPU
            # here) is then shared; few enough that results still stream and the last ones balance
            size = self.batch or max(1, min(DASK_BATCH, len(queue) // (8 * self.workers)))
            inflight: dict = {}
            pending = as_completed()

            def submit(batch):
                fut = client.submit(run_tasks, batch, pure=False,
                                    key=f"structkit-{batch[0].technique}-{batch[0].key}-{len(batch)}")
                inflight[fut.key] = batch
                pending.add(fut)

            def fill():
                while queue and len(inflight) < limit:
                    submit([queue.popleft() for _ in range(min(size, len(queue)))])

            fill()
            for fut in pending:
                batch = inflight.pop(fut.key)
                try:
                    outcomes = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, unpicklable results ...
                    fut.release()
                    if type(exc).__name__ == "KilledWorker" and len(batch) > 1:
                        for task in batch:    # find the file that kills workers: one task each
                            submit([task])
                        continue
                    if type(exc).__name__ == "KilledWorker":
                        outcomes = [TaskOutcome(batch[0].key, failure=Failure(
                            batch[0].file, batch[0].technique, "WorkerCrash",
                            "the Dask worker died while processing this file, on every retry (crash, out "
                            "of memory or killed); internal error, please report"))]
                    else:
                        detail = traceback.format_exc()
                        outcomes = [TaskOutcome(t.key, failure=failure_from_exception(t.file, t.technique, exc),
                                                detail=detail) for t in batch]
                else:
                    fut.release()
                for task, outcome in zip(batch, outcomes):
                    yield task, outcome
                fill()
        except BaseException:
            self.close()
            raise


#: Dask settings of a ``dask-local:N`` cluster (a remote cluster keeps its own configuration).
_LOCAL_DASK_CONFIG = {"distributed.worker.profile.enabled": False,
                      "distributed.admin.system-monitor.gil.enabled": False,
                      "distributed.admin.system-monitor.interval": "2s",
                      "distributed.admin.tick.interval": "500ms",
                      "distributed.scheduler.work-stealing": False}


def _local_dask_config() -> dict:
    """:data:`_LOCAL_DASK_CONFIG`, and the workers' environment without ``MALLOC_TRIM_THRESHOLD_``.

    Dask's nannies set it (64 KiB) so that workers hand freed memory back to the system; they set it
    in their own process's environment too, which the workers of any later cluster inherit, so the
    cluster is started with it removed from there as well. Setting it at all switches off glibc's
    dynamic mmap threshold: every array above 128 KiB is then mapped and unmapped afresh, and the
    fits of a task took 10 % more CPU (thread time 107.8 against 97.1 ms for a scipy fit task, the
    same with 1 GiB). The tasks of a campaign keep little memory.
    """
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return {**_LOCAL_DASK_CONFIG, "distributed.nanny.pre-spawn-environ": environ}


def make_executor(kind: str = "process", workers: int = 1, scheduler: str | None = None) -> Executor:
    """``"serial"``, ``"process"`` (a process pool even with one worker: crashes stay isolated) or ``"dask"``."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "process":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler or f"dask-local:{workers}", workers)
    raise ValueError(f"executor must be 'process', 'serial' or 'dask', got {kind!r}")
