"""Helpers shared by the sub-command modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _regimes(text: str):
    if text == "auto":
        return "auto"
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be 'auto' or 1-4, got {text!r}") from None
    if not 1 <= n <= 4:
        raise argparse.ArgumentTypeError(f"must be 'auto' or 1-4, got {n}")
    return n


def report_failures(failures: list[dict], output: Path, *, any_ok: bool) -> int:
    """Write ``<stem>_failures.csv`` and print each failure; the exit status of a batch command.

    0 without failures, 1 when some files failed and others gave results, 2 when nothing did.
    """
    if not failures:
        return 0
    import pandas as pd

    from ..io import write_table
    path = output.parent / f"{output.stem}_failures.csv"
    write_table(pd.DataFrame(failures, columns=["file", "error", "message"]), path)
    for f in failures:
        print(f"structkit: failed: {f['message']}", file=sys.stderr)
    print(f"{len(failures)} file(s) failed; listed in {path}", file=sys.stderr)
    return 1 if any_ok else 2
