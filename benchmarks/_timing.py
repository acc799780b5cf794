"""What the benchmark scripts share: best-of-N wall times of several jobs, measured in interleaved rounds."""

from __future__ import annotations

import time


def _call(fn, args):
    return fn(*args)


def warm_on_first(fn, args):
    """Warm-up on the first item only: ``fn(items[:1], *rest)`` for jobs whose first argument is a list."""
    items, *rest = args
    return fn(items[:1], *rest)


def best_times(jobs, repeats: int, *, warm=_call):
    """{name: (best time, result)} for {name: (fn, args)}: one warm-up of each (``warm(fn, args)``;
    None for none), then ``repeats`` rounds.

    The rounds are interleaved (every job once per round) so that a change in machine load during
    the run affects all jobs alike.
    """
    if warm is not None:
        for fn, args in jobs.values():
            warm(fn, args)
    best = dict.fromkeys(jobs, float("inf"))
    results = {}
    for _ in range(repeats):
        for name, (fn, args) in jobs.items():
            t0 = time.perf_counter()
            results[name] = fn(*args)
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: (best[name], results[name]) for name in jobs}
