"""``structkit pdf reduce|peaks|fit|series``: total scattering to G(r), and G(r) to descriptors.

``reduce`` writes one PDFgetX3-style ``.gr`` per pattern (read back with its settings, sample and
conditions); ``peaks``, ``fit`` and ``series`` write their main table (``-o``), the long descriptor
table ``<stem>_descriptors.csv``, the settings in ``<stem>_settings.json`` and figures in
``<stem>_figures/`` (unless ``--no-figures``); files that failed go to ``<stem>_failures.csv``
and the rest go on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import ConfigError, StructkitError
from ._common import fail, finish, pair_arg, read_all, row_base, save_figure_to, tag

__all__ = ["add_parser"]


def _start(text: str) -> tuple[str, float]:
    try:
        name, value = text.split("=", 1)
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. delta2=2.0), got {text!r}") from None


def _analysis_args(p, *, peaks: bool = True, envelope: bool = True, structure: bool = True) -> None:
    p.add_argument("--mode", default="xray", choices=["xray", "neutron"], help="radiation (weights; default xray)")
    p.add_argument("--qmax", type=float, default=None, help="Qmax of G(r), Å⁻¹ (default: from the file header)")
    if peaks:
        g = p.add_argument_group("shell fits in r windows")
        g.add_argument("--window", type=pair_arg, action="append", default=None, metavar="LO,HI",
                       help="fit window in Å, e.g. 2.4,3.3 (repeatable)")
        g.add_argument("--npeaks", type=int, default=1, help="peaks per window (default 1)")
        g.add_argument("--label", action="append", default=None,
                       help="name of a peak in the table, in window order (repeatable)")
        g.add_argument("--same-width", action="store_true", help="one width for the peaks of a window")
        g.add_argument("--pair", action="append", default=None, metavar="A-B",
                       help="the pair type of each peak (e.g. Ta-Cl; repeatable): partial CN N_AB")
        g.add_argument("--composition", default=None, help="formula, e.g. NaTaCl6 (for --pair)")
        g.add_argument("--rho0", type=float, default=None,
                       help="number density, atoms/Å³: says G is absolute, so areas are CNs")
        g.add_argument("--no-termination", action="store_true", help="plain Gaussians (no Qmax ripples)")
    if envelope:
        g = p.add_argument_group("how far order reaches")
        g.add_argument("--envelope", default=None, choices=["sphere", "exponential"],
                       help="fit the damping envelope: particle diameter or coherence length")
        g.add_argument("--envelope-range", type=pair_arg, default=None, metavar="LO,HI", help="Å (default 3 to the end)")
        g.add_argument("--envelope-reference", type=Path, default=None,
                       help="size-free G(r) of the same structure (computed or a crystalline parent)")
        g.add_argument("--mid-range", type=pair_arg, default=(5.0, 20.0), metavar="LO,HI",
                       help="window of the integrated |G(r)| metric, Å (default 5,20)")
    if structure:
        g = p.add_argument_group("small-box fit")
        g.add_argument("--structure", type=Path, action="append", default=None,
                       help="CIF or PDFfit .stru (repeatable: one phase each)")
        g.add_argument("--fit-range", type=pair_arg, default=None, metavar="LO,HI", help="Å (default the data)")
        g.add_argument("--refine", default="scale,lattice,uiso,delta2,qdamp",
                       help="comma list (default scale,lattice,uiso,delta2,qdamp); also delta1, qbroad, "
                            "spdiameter, sratio, a, b, c ...")
        g.add_argument("--start", type=_start, action="append", default=None, metavar="NAME=VALUE",
                       help="starting value, e.g. qdamp=0.03 (repeatable)")
        g.add_argument("--qdamp", type=float, default=0.0, help="starting (or fixed) Qdamp, Å⁻¹")


def add_parser(sub) -> None:
    """``structkit pdf ...``."""
    pdf = sub.add_parser("pdf", help="PDF: total scattering to G(r), shell fits, envelope, small-box fits, series")
    psub = pdf.add_subparsers(dest="pdf_command", required=True, metavar="{reduce,peaks,fit,series}")

    rd = psub.add_parser("reduce", help="raw I(2θ) or I(Q) to S(Q), F(Q), G(r) (PDFgetX3-style ad hoc corrections)")
    rd.add_argument("paths", nargs="+", type=Path, help="integrated patterns (.chi, .xy, .dat, HDF5 ...)")
    rd.add_argument("--background", type=Path, default=None, help="container/background pattern")
    rd.add_argument("--bkg-scale", type=float, default=1.0, help="factor on the background (default 1)")
    rd.add_argument("--composition", required=True, help="formula, e.g. NaTaCl6")
    rd.add_argument("--wavelength", type=float, default=None, help="Å (when x is 2θ and the file does not say)")
    rd.add_argument("--radiation", default="xray", choices=["xray", "neutron"])
    rd.add_argument("--qmin", type=float, default=None, help="Å⁻¹ (default: data start)")
    rd.add_argument("--qmax", type=float, default=None, help="Å⁻¹ (default: data end)")
    rd.add_argument("--qmax-inst", type=float, default=None, help="end of the polynomial fit, Å⁻¹ (default qmax)")
    rd.add_argument("--rpoly", type=float, default=0.9, help="r limit of the ad hoc correction, Å (default 0.9)")
    rd.add_argument("--lorch", action="store_true", help="Lorch modification function")
    rd.add_argument("--rho0", type=float, default=None, help="number density (atoms/Å³): absolute scale")
    rd.add_argument("--scale-range", type=pair_arg, default=None, metavar="LO,HI",
                    help="r range of the -4πρ0r condition, Å (with --rho0)")
    rd.add_argument("--rmin", type=float, default=0.0)
    rd.add_argument("--rmax", type=float, default=30.0)
    rd.add_argument("--rstep", type=float, default=0.01)
    rd.add_argument("--write-fq", action="store_true", help="also write F(Q) as <name>.fq")
    rd.add_argument("--no-figures", action="store_true")
    rd.add_argument("-o", "--output", type=Path, default=None,
                    help="the .gr file (one pattern) or a folder (default: <pattern>.gr beside each pattern)")
    rd.set_defaults(handler=_reduce)

    pk = psub.add_parser("peaks", help="Gaussian shells in r windows: position, width, CN")
    pk.add_argument("paths", nargs="+", type=Path, help=".gr files (PDFgetX2/X3/N, structkit)")
    _analysis_args(pk, envelope=False, structure=False)
    pk.add_argument("--no-figures", action="store_true")
    pk.add_argument("-o", "--output", type=Path, default=Path("peaks.csv"))
    pk.set_defaults(handler=_peaks)

    ft = psub.add_parser("fit", help="small-box fit of periodic structures (PDFfit model)")
    ft.add_argument("paths", nargs="+", type=Path)
    _analysis_args(ft, peaks=False, envelope=False)
    ft.add_argument("--no-figures", action="store_true")
    ft.add_argument("-o", "--output", type=Path, default=Path("smallbox.csv"))
    ft.set_defaults(handler=_fit)

    se = psub.add_parser("series", help="a temperature or milling series: every analysis, one table, figures")
    se.add_argument("paths", nargs="+", type=Path)
    _analysis_args(se)
    se.add_argument("--condition", default=None, help="the series variable (default temperature_K when known)")
    se.add_argument("--no-chain", action="store_true", help="start every small-box fit from the given structure")
    se.add_argument("--rmax-plot", type=float, default=20.0, help="r range of the stacked/waterfall plots, Å")
    se.add_argument("--no-figures", action="store_true")
    se.add_argument("-o", "--output", type=Path, default=Path("pdf_series.csv"))
    se.set_defaults(handler=_series)


# -- reduce -------------------------------------------------------------------------------------

def _reduce(args) -> int:
    from ..io import read, write_pdf
    from ..pdf.reduce import reduce_pdf
    failures: list = []
    background = read(args.background) if args.background is not None else None
    many = len(args.paths) > 1
    if args.output is not None and many and args.output.suffix:
        raise ConfigError(f"-o {args.output}: with {len(args.paths)} patterns give a folder, not a file name")
    done, figs = [], []
    for m in read_all(args.paths, failures):
        try:
            red = reduce_pdf(m, composition=args.composition, background=background, bkg_scale=args.bkg_scale,
                             wavelength=args.wavelength, qmin=args.qmin, qmax=args.qmax, qmax_inst=args.qmax_inst,
                             rpoly=args.rpoly, lorch_window=args.lorch, rho0=args.rho0,
                             scale_r_range=args.scale_range, rmin=args.rmin, rmax=args.rmax, rstep=args.rstep,
                             radiation=args.radiation)
        except StructkitError as exc:
            fail(failures, m, exc)
            continue
        src = Path(m.source)
        if args.output is None:
            out = src.with_suffix(".gr")
        elif many or args.output.is_dir() or not args.output.suffix:
            out = args.output / f"{src.stem}.gr"
        else:
            out = args.output
        out.parent.mkdir(parents=True, exist_ok=True)
        gm = red.to_measurement()
        write_pdf(gm, out)
        if args.write_fq:
            from ..core.measurement import Measurement
            write_pdf(Measurement(red.q, red.fq, sigma=red.fq_stderr, x_name="Q", x_unit="1/angstrom", sample=gm.sample,
                                  conditions=dict(gm.conditions), meta={**gm.meta, "quantity": "F"}),
                      out.with_suffix(".fq"), quantity="F")
        print(red.summary())
        done.append(out)
        if not args.no_figures:
            save_figure_to(red.plot(), out.with_name(f"{out.stem}_reduction.png"), figs)
    if done:
        print(f"wrote {len(done)} G(r) file(s): {', '.join(map(str, done[:3]))}{' ...' if len(done) > 3 else ''}"
              + (f" and {len(figs)} figure(s)" if figs else ""))
    if failures:
        from ._common import report_failures
        first = done[0] if done else (args.output or Path(args.paths[0]).with_suffix(".gr"))
        return report_failures(failures, first.parent / "pdf_reduce.gr" if first.suffix else first / "pdf_reduce.gr",
                               any_ok=bool(done))
    return 0


# -- shared ---------------------------------------------------------------------------------------

def _phases(args):
    from ..pdf.structure import Phase
    return [Phase.from_file(p) for p in args.structure] if args.structure else None


def _analysis_kws(args) -> dict:
    kw: dict = {"mode": args.mode, "qmax": args.qmax}
    if hasattr(args, "window"):
        labels = args.label
        if labels is not None and args.npeaks > 1:          # labels run over the peaks of every window
            n = args.npeaks
            labels = [labels[i:i + n] for i in range(0, len(labels), n)]
        kw.update(windows=args.window or None, npeaks=args.npeaks, labels=labels, same_width=args.same_width,
                  pairs=args.pair, composition=args.composition, rho0=args.rho0,
                  terminate=not args.no_termination)
    if hasattr(args, "envelope"):
        ref = None
        if args.envelope_reference is not None:
            from ..io import read
            ref = read(args.envelope_reference)
        lo, hi = args.envelope_range or (3.0, None)
        kw.update(envelope=args.envelope, envelope_range=(lo, hi), envelope_reference=ref, mid_range=args.mid_range)
    else:
        kw["mid_range"] = None
    if hasattr(args, "structure"):
        kw.update(phases=_phases(args), fit_range=args.fit_range,
                  refine=tuple(x.strip() for x in args.refine.split(",") if x.strip()),
                  start=dict(args.start or []), qdamp=args.qdamp)
    return kw


def _settings_of(args) -> dict:
    skip = {"handler", "paths", "output", "command", "pdf_command"}
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in skip}


def _per_file(args, what: str) -> int:
    from ..pdf.series import analyse_pdf
    failures: list = []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    kw = _analysis_kws(args)
    if what == "peaks" and not kw.get("windows"):
        raise ConfigError("give at least one --window LO,HI (Å)")
    rows, descs, settings, figs = [], [], {}, []
    for m in read_all(args.paths, failures):
        try:
            a = analyse_pdf(m, **kw)
        except StructkitError as exc:
            fail(failures, m, exc)
            continue
        print(a.summary())
        if a.failures and not (a.peaks or a.smallbox):
            failures.append({"file": m.source, "error": "FitError", "message": "; ".join(f"{s}: {e}" for s, e in a.failures)})
            continue
        row = row_base(m)
        for d in a.descriptors():
            row[d.name] = d.value
            row[f"{d.name}_stderr"] = d.stderr
        if a.smallbox is not None:
            row["converged"] = a.smallbox.converged
        row["failed_steps"] = "; ".join(s for s, _ in a.failures)
        rows.append(row)
        descs.extend(a.descriptors())
        settings[m.source] = _settings_of(args)
        if not args.no_figures:
            save_figure_to(a.plot(), fig_dir / f"{tag(m)}_{what}.png", figs)
    return finish(args, rows, descs, settings, figs, failures, "G(r)")


def _peaks(args) -> int:
    return _per_file(args, "peaks")


def _fit(args) -> int:
    if not args.structure:
        raise ConfigError("give the structure to fit: --structure X.cif (or .stru)")
    return _per_file(args, "smallbox")


def _series(args) -> int:
    from ..pdf.series import analyse_series
    failures: list = []
    ms = read_all(args.paths, failures)
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    figs: list = []
    if not ms:
        return finish(args, [], [], {}, figs, failures, "G(r)")
    series = analyse_series(ms, condition=args.condition, chain=not args.no_chain, **_analysis_kws(args))
    print(series.summary())
    frame = series.to_frame()
    for a in series.analyses:
        if a.failures:
            for step, msg in a.failures:
                print(f"structkit: {a.source}: {step} failed: {msg}")
    rows = frame.to_dict("records")
    # the condition the series was ordered by, not --condition (None when left to the default)
    settings = {"series": dict(series.settings), **_settings_of(args), "condition": series.condition}
    if not args.no_figures:
        save_figure_to(series.plot_stack(rmax=args.rmax_plot), fig_dir / "stacked_gr.png", figs)
        save_figure_to(series.plot_waterfall(rmax=args.rmax_plot), fig_dir / "waterfall_gr.png", figs)
        fig = series.plot_descriptors()
        if fig is not None:
            save_figure_to(fig, fig_dir / "descriptors_vs_condition.png", figs)
        for a in series.analyses:
            save_figure_to(a.plot(), fig_dir / f"{tag(a)}_analysis.png", figs)
    return finish(args, rows, series.descriptors(), settings, figs, failures, "G(r)")
