"""``structkit conductivity eis|arrhenius``: impedance spectra to sigma, sigma(T) to Arrhenius regimes."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import StructkitError
from ._common import _regimes, read_csv_table, report_failures


def add_parser(sub) -> None:
    """``structkit conductivity eis|arrhenius``."""
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
    cond.set_defaults(handler=lambda args: _eis(args) if args.action == "eis" else _arrhenius(args))


def _eis(args) -> int:
    import pandas as pd
    from tqdm import tqdm

    from ..conductivity.eis import DEFAULT_CIRCUIT, fit_eis
    from ..io import read, save_figure, write_table

    circuit = args.circuit or DEFAULT_CIRCUIT
    from ..conductivity.circuits import parse_circuit
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
    return report_failures(failures, args.output, any_ok=bool(rows))


def _arrhenius(args) -> int:

    from ..io import write_table
    from ..pipeline.conductivity import summarise_sigma_table

    col = "sigma_S_per_cm" if args.quantity == "bulk" else "sigma_total_S_per_cm"
    frame = read_csv_table(args.table, ("temperature_K", col))
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
