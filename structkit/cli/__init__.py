"""``structkit`` command line: thin wiring over the public API.

Sub-commands::

    structkit conductivity eis PATHS... --thickness-cm T --diameter-cm D [--circuit STR] -o sigma.csv
    structkit conductivity arrhenius sigma.csv [--regimes auto|N] [--form sigmaT|sigma] -o arrhenius.csv
    structkit xrd ... | xas ... | pdf reduce|peaks|fit|series ...
    structkit tem fft IMAGE... --pixel-size-A P [--frame N | --sum] [--cell A] [-o spots.csv]
    structkit tem dose-series STACK... --dose-per-frame D --track 4.5 [--track ...] -o series.csv
    structkit join DESCRIPTORS.csv sigma.csv -o joined.csv
    structkit run campaign.toml [--workers N | --scheduler tcp://HOST:PORT | dask-local:N] [--quiet]
    structkit status campaign.toml
    structkit demo [--output demo_out]
    structkit formats

Errors from bad input are printed as one line naming the file and the fix,
with exit status 2; a batch that finished with some failed files exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__
from ..core.errors import ConfigError, StructkitError
from . import _conductivity, _pdf, _qens, _raman, _tem, _xas, _xrd
from ._common import _regimes

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="structkit", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"structkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    _conductivity.add_parser(sub)
    _xrd.add_parser(sub)
    _xas.add_parser(sub)
    _pdf.add_parser(sub)
    _raman.add_parser(sub)
    _raman.add_nmr_parser(sub)
    _qens.add_parser(sub)
    _tem.add_parser(sub)

    join = sub.add_parser("join", help="attach sigma and Ea to a descriptor table")
    join.add_argument("descriptors", type=Path, help="long-form descriptor CSV")
    join.add_argument("sigma", type=Path, help="sigma table (temperature_K, sigma_S_per_cm[, sample])")
    join.add_argument("--form", default="sigmaT", choices=["sigmaT", "sigma"])
    join.add_argument("--regimes", type=_regimes, default="auto")
    join.add_argument("--temperature-K", type=float, default=None,
                      help="temperature for descriptor rows without a temperature_K condition")
    join.add_argument("-o", "--output", type=Path, default=Path("joined.csv"))

    run = sub.add_parser("run", help="run a campaign described in a TOML file")
    run.add_argument("campaign", type=Path)
    run.add_argument("--workers", type=int, default=None, help="local worker processes (default [campaign] workers)")
    run.add_argument("--serial", action="store_true", help="no worker processes")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run on Dask: tcp://HOST:PORT (a running scheduler) or dask-local:N (pip install "
                          "'structkit[dask]')")
    run.add_argument("--retry-failed", action="store_true",
                     help="recompute files whose failure is cached (they fail the same way unless changed)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary on success")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    status = sub.add_parser("status", help="what a campaign has done, failed and still has to do")
    status.add_argument("campaign", type=Path)

    demo = sub.add_parser("demo", help="generate a synthetic campaign and run it")
    demo.add_argument("--output", type=Path, default=Path("demo_out"))
    demo.add_argument("--workers", type=int, default=2)

    sub.add_parser("formats", help="list the file formats structkit reads")
    return p


def _join(args) -> int:
    from ..core.descriptors import DescriptorTable, join_conductivity
    from ..io import write_table

    table = DescriptorTable.read_csv(args.descriptors)
    joined = join_conductivity(table, args.sigma, form=args.form, regimes=args.regimes,
                               temperature_K=args.temperature_K)
    write_table(joined, args.output)
    n_ok = int(joined["sigma_S_per_cm"].notna().sum())
    print(f"wrote {args.output}: {len(joined)} rows, sigma attached to {n_ok}")
    for note in sorted(set(joined["conductivity_note"]) - {""}):
        print(f"  note: {note}")
    return 0


def _run(args) -> int:
    from ..pipeline import run_campaign

    if args.serial and args.scheduler:
        raise ConfigError("--serial and --scheduler exclude each other")
    report = run_campaign(args.campaign, workers=args.workers, scheduler=args.scheduler,
                          executor="serial" if args.serial else None,
                          progress=not (args.no_progress or args.quiet), retry_failed=args.retry_failed)
    if not args.quiet or report.failed:
        print(report.summary())
    return 0 if report.failed == 0 else 1


def _status(args) -> int:
    from ..pipeline import campaign_status

    st = campaign_status(args.campaign)
    print(st.summary())
    return 0


def _demo(args) -> int:
    from ..pipeline.demo import run_demo

    report = run_demo(args.output, workers=args.workers)
    print(report.summary())
    return 0 if report.failed == 0 else 1


def _formats(args) -> int:
    from ..io import IMAGE_FORMATS, available_formats

    for fmt in available_formats():
        print(fmt)
    for fmt, (exts, _) in IMAGE_FORMATS.items():     # read_image (structkit tem), not read()
        print(f"{fmt} (image: {' '.join(exts)}; structkit tem, structkit.io.read_image)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``structkit`` command."""
    args = build_parser().parse_args(argv)
    handlers = {"join": _join, "run": _run, "status": _status, "demo": _demo, "formats": _formats}
    handler = getattr(args, "handler", None) or handlers[args.command]
    try:
        return handler(args)
    except StructkitError as exc:
        print(f"structkit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
