"""Helpers shared by the sub-command modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..io import read_csv_table  # noqa: F401 - re-exported for the sub-command modules


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


def read_all(paths, failures: list, **hints) -> list:
    """Read every file with :func:`structkit.io.read`; a file that fails goes to ``failures`` and the rest go on."""
    from ..core.errors import StructkitError
    from ..io import read

    out = []
    for path in paths:
        try:
            out.append(read(path, **hints))
        except StructkitError as exc:
            failures.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)})
    return out


def save_figure_to(fig, path: Path, figures: list) -> None:
    """Save and close a figure (atomically), and note its path in ``figures``."""
    from ..pipeline.adapters import save_and_close
    figures.append(save_and_close(fig, path))


def write_descriptors(rows, output: Path) -> Path | None:
    """``<stem>_descriptors.csv`` beside ``output`` (the long schema ``structkit join`` takes), or None without rows."""
    if not rows:
        return None
    from ..core.descriptors import DescriptorTable
    path = output.parent / f"{output.stem}_descriptors.csv"
    DescriptorTable.from_rows(rows).to_csv(path)
    return path


def tag(m) -> str:
    """A file-name-safe tag of a measurement: its sample, else its file stem."""
    from ..pipeline.adapters import slug
    return slug(m.sample or Path(m.source).stem)


def row_base(m) -> dict:
    """The first columns of a per-file row: file, sample, conditions."""
    return {"file": m.source, "sample": m.sample, **dict(m.conditions)}


def finish(args, rows, descs, settings, figs, failures, what: str) -> int:
    """Write the main table, ``<stem>_descriptors.csv``, ``<stem>_settings.json``; report; the exit status."""
    import pandas as pd

    from ..io import write_table
    if rows:
        write_table(pd.DataFrame(rows), args.output)
        dpath = write_descriptors(descs, args.output)
        spath = args.output.parent / f"{args.output.stem}_settings.json"
        from ..core.atomic import atomic_write_text
        atomic_write_text(spath, json.dumps(settings, indent=1, default=jsonable))
        fig_dir = args.output.parent / f"{args.output.stem}_figures"
        print(f"wrote {args.output} ({len(rows)} {what}), {dpath}, {spath}"
              + (f" and {len(figs)} figure(s) in {fig_dir}" if figs else ""))
    return report_failures(failures, args.output, any_ok=bool(rows))


def jsonable(obj):
    """``json.dumps`` default: numpy scalars and arrays, tuples; anything else as text."""
    import numpy as np
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    return str(obj)


def fail(failures, m, exc) -> None:
    """Record a failed measurement (file, error class, message) and go on."""
    failures.append({"file": m.source, "error": type(exc).__name__, "message": str(exc)})


def pair_arg(text: str) -> tuple[float, float]:
    """argparse type of a range ``LO,HI`` (or ``LO:HI``, ``LO..HI``) with LO < HI."""
    try:
        lo, hi = (float(v) for v in text.replace(":", ",").replace("..", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO,HI (e.g. 1.2,2.4), got {text!r}") from None
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"expected LO < HI, got {text!r}")
    return lo, hi
