"""``structkit`` command line: thin wiring over the public API.

Sub-commands::

    structkit conductivity eis PATHS... --thickness-cm T --diameter-cm D [--circuit STR] -o sigma.csv
    structkit conductivity arrhenius sigma.csv [--regimes auto|N] [--form sigmaT|sigma] -o arrhenius.csv
    structkit join DESCRIPTORS.csv sigma.csv -o joined.csv
    structkit run campaign.toml [--workers N]
    structkit demo [--output demo_out]
    structkit formats

Errors from bad input are printed as one line naming the file and the fix,
with exit status 2; a batch that finished with some failed files exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .core.errors import StructkitError

__all__ = ["main", "build_parser"]


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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="structkit", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"structkit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    cond = sub.add_parser("conductivity", help="impedance spectra, sigma(T) and Arrhenius fits")
    csub = cond.add_subparsers(dest="action", required=True)
    eis = csub.add_parser("eis", help="fit impedance spectra -> one sigma row per spectrum")
    eis.add_argument("paths", nargs="+", type=Path, help="impedance files (any supported format)")
    eis.add_argument("--thickness-cm", type=float, required=True, help="pellet thickness L (cm)")
    geo = eis.add_mutually_exclusive_group(required=True)
    geo.add_argument("--diameter-cm", type=float, help="electrode diameter (cm)")
    geo.add_argument("--area-cm2", type=float, help="electrode area (cm^2)")
    eis.add_argument("--circuit", default=None, help="equivalent circuit, default p(R1,CPE1)-CPE2")
    eis.add_argument("--weighting", default="modulus", choices=["modulus", "unit", "proportional"])
    eis.add_argument("--bulk", default=None, help="label of the bulk resistor (default: from capacitance)")
    eis.add_argument("--f-min-hz", type=float, default=None)
    eis.add_argument("--f-max-hz", type=float, default=None)
    eis.add_argument("--sample", default=None, help="sample name for all files (default: from each file)")
    eis.add_argument("--no-carry-over", action="store_true",
                     help="fit every spectrum from its own data only")
    eis.add_argument("--no-figures", action="store_true", help="do not write Nyquist/sigma'(f) figures")
    eis.add_argument("-o", "--output", type=Path, default=Path("sigma.csv"))

    arr = csub.add_parser("arrhenius", help="multi-regime Arrhenius fit of a sigma table")
    arr.add_argument("table", type=Path, help="CSV with temperature_K and sigma_S_per_cm (as eis writes)")
    arr.add_argument("--regimes", type=_regimes, default="auto", help="auto (default) or 1-4")
    arr.add_argument("--form", default="sigmaT", choices=["sigmaT", "sigma"])
    arr.add_argument("--criterion", default="bic", choices=["bic", "aicc"])
    arr.add_argument("--quantity", default="bulk", choices=["bulk", "total"],
                     help="fit sigma_S_per_cm (bulk, default) or sigma_total_S_per_cm")
    arr.add_argument("--no-figures", action="store_true")
    arr.add_argument("-o", "--output", type=Path, default=Path("arrhenius.csv"))

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
    run.add_argument("--workers", type=int, default=None)
    run.add_argument("--serial", action="store_true", help="no worker processes")
    run.add_argument("--no-progress", action="store_true")

    demo = sub.add_parser("demo", help="generate a synthetic campaign and run it")
    demo.add_argument("--output", type=Path, default=Path("demo_out"))
    demo.add_argument("--workers", type=int, default=2)

    sub.add_parser("formats", help="list the file formats structkit reads")
    return p


def _eis(args) -> int:
    import pandas as pd
    from tqdm import tqdm

    from .conductivity.eis import DEFAULT_CIRCUIT, fit_eis
    from .io import read, save_figure, write_table

    circuit = args.circuit or DEFAULT_CIRCUIT
    from .conductivity.circuits import parse_circuit
    parse_circuit(circuit)                     # a bad circuit string fails before any file is read
    if not (args.thickness_cm and args.thickness_cm > 0):
        raise StructkitError("--thickness-cm must be a positive number")
    hints = {"sample": args.sample} if args.sample else {}
    measurements, failures = [], []
    for path in args.paths:
        try:
            measurements.append(read(path, **hints))
        except StructkitError as exc:
            failures.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)})
    order = sorted(range(len(measurements)), key=lambda i: (measurements[i].sample,
                                                              measurements[i].temperature_K or 0.0))
    rows, prev = [], {}
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    for i in tqdm(order, desc="fitting spectra", unit="spectrum", disable=None, file=sys.stderr):
        m = measurements[i]
        try:
            res = fit_eis(m, circuit=circuit, thickness_cm=args.thickness_cm, diameter_cm=args.diameter_cm,
                          area_cm2=args.area_cm2, weighting=args.weighting, bulk=args.bulk,
                          f_min_Hz=args.f_min_hz, f_max_Hz=args.f_max_hz,
                          previous=None if args.no_carry_over else prev.get(m.sample))
        except StructkitError as exc:
            failures.append({"file": m.source, "error": type(exc).__name__, "message": str(exc)})
            continue
        if res.converged:
            prev[m.sample] = res
        rows.append(res.to_row())
        print(res.summary())
        if not args.no_figures:
            import matplotlib.pyplot as plt
            for kind in ("nyquist", "conductivity"):
                fig = res.plot(kind=kind)
                save_figure(fig, fig_dir / f"{Path(m.source).stem}_{kind}.png")
                plt.close(fig)
    if rows:
        frame = pd.DataFrame(rows).sort_values(["sample", "temperature_K"] if "temperature_K" in
                                               rows[0] else ["sample", "file"], kind="stable")
        write_table(frame, args.output)
        print(f"wrote {args.output} ({len(rows)} spectra)" +
              ("" if args.no_figures else f" and figures in {fig_dir}"))
    fail_path = args.output.parent / f"{args.output.stem}_failures.csv"
    if failures:
        write_table(pd.DataFrame(failures, columns=["file", "error", "message"]), fail_path)
        for f in failures:
            print(f"structkit: failed: {f['message']}", file=sys.stderr)
        print(f"{len(failures)} file(s) failed; listed in {fail_path}", file=sys.stderr)
        return 1 if rows else 2
    return 0


def _arrhenius(args) -> int:
    import pandas as pd

    from .core.errors import ReadError
    from .io import write_table
    from .pipeline.conductivity import summarise_sigma_table

    try:
        frame = pd.read_csv(args.table)
    except FileNotFoundError:
        raise ReadError("file not found", path=args.table) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ReadError(f"not a readable CSV ({exc})", path=args.table) from None
    col = "sigma_S_per_cm" if args.quantity == "bulk" else "sigma_total_S_per_cm"
    for need in ("temperature_K", col):
        if need not in frame.columns:
            raise ReadError(f"needs a column {need!r}; columns are {', '.join(frame.columns)}",
                            path=args.table)
    ecol = "sigma_stderr_S_per_cm" if args.quantity == "bulk" else "sigma_total_stderr_S_per_cm"
    if ecol not in frame.columns:
        frame[ecol] = float("nan")
    if "sample" not in frame.columns:
        frame["sample"] = args.table.stem
    fig_dir = None if args.no_figures else args.output.parent / f"{args.output.stem}_figures"
    regs, bps, _, figs, msgs, _ = summarise_sigma_table(
        frame, regimes=args.regimes, form=args.form, criterion=args.criterion, quantity=args.quantity,
        figure_dir=fig_dir)
    for m in msgs:
        print(f"structkit: {m}", file=sys.stderr)
    if regs.empty:
        raise StructkitError(f"{args.table}: no sample could be fitted")
    write_table(regs, args.output)
    bp_path = args.output.parent / f"{args.output.stem}_breakpoints.csv"
    write_table(bps, bp_path)
    for _, r in regs.iterrows():
        print(f"{r['sample']}: regime {r['regime']}  {r['t_min_K']:.1f}-{r['t_max_K']:.1f} K  "
              f"Ea = {r['ea_eV']:.4f} +/- {r['ea_stderr_eV']:.4f} eV")
    for _, b in bps.iterrows():
        print(f"{b['sample']}: breakpoint {b['between_regimes']} at {b['breakpoint_K']:.1f} +/- "
              f"{b['breakpoint_stderr_K']:.1f} K")
    print(f"wrote {args.output}, {bp_path}" + (f" and {len(figs)} figure(s) in {fig_dir}" if figs else ""))
    return 0


def _join(args) -> int:
    from .core.descriptors import DescriptorTable, join_conductivity
    from .io import write_table

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
    from .pipeline import run_campaign

    report = run_campaign(args.campaign, workers=args.workers,
                          executor="serial" if args.serial else None, progress=not args.no_progress)
    print(report.summary())
    return 0 if report.failed == 0 else 1


def _demo(args) -> int:
    from .pipeline.demo import run_demo

    report = run_demo(args.output, workers=args.workers)
    print(report.summary())
    return 0 if report.failed == 0 else 1


def _formats(args) -> int:
    from .io import available_formats

    for fmt in available_formats():
        print(fmt)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``structkit`` command."""
    args = build_parser().parse_args(argv)
    handlers = {"join": _join, "run": _run, "demo": _demo, "formats": _formats}
    if args.command == "conductivity":
        handler = _eis if args.action == "eis" else _arrhenius
    else:
        handler = handlers[args.command]
    try:
        return handler(args)
    except StructkitError as exc:
        print(f"structkit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
