"""``structkit xrd lebail|sequential|expansion|amorphization``: powder patterns to cells, expansion and widths.

Every command writes its main table (``-o``), a long-form descriptor table
``<stem>_descriptors.csv`` (the schema ``structkit join`` takes), figures in
``<stem>_figures/`` (unless ``--no-figures``) and, when some files failed,
``<stem>_failures.csv``; the other files fit or not on their own.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import ConfigError, StructkitError
from ..pipeline.adapters import slug
from ._common import _regimes, read_csv_table, report_failures
from ._common import read_all as _read_all
from ._common import save_figure_to as _figure
from ._common import write_descriptors as _write_descriptors

__all__ = ["add_parser"]

_PHASE_HELP = "repeat --space-group/--cell for a second phase (an impurity)"


def _phase_args(p, *, required: bool) -> None:
    p.add_argument("--space-group", action="append", required=required, metavar="SG",
                   help=f"Hermann-Mauguin symbol, e.g. Fm-3m; {_PHASE_HELP}")
    p.add_argument("--cell", action="append", required=required, metavar="CELL",
                   help="starting cell of the free parameters, e.g. 'a=8.48,b=5.398,c=6.958'")


def _beam_args(p, *, required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=False)
    g.add_argument("--wavelength", type=float, metavar="ANGSTROM", help="single wavelength in Å (synchrotron)")
    g.add_argument("--radiation", help="CuKa (Kα1+Kα2), CuKa1, MoKa, CoKa ... or a wavelength in Å")
    p.add_argument("--instrument", type=Path, default=None,
                   help="instrument profile: structkit TOML or GSAS .prm (widths, zero, and radiation)")


def _fit_args(p) -> None:
    _phase_args(p, required=True)
    _beam_args(p)
    p.add_argument("--two-theta-min", type=float, default=None)
    p.add_argument("--two-theta-max", type=float, default=None)
    p.add_argument("--background", type=int, default=None, metavar="N", help="Chebyshev terms (default 6)")
    p.add_argument("--refine-profile", default=None, metavar="LIST",
                   help="widths refined, from u,v,w,x,y (default w,y)")
    p.add_argument("--refine-displacement", action="store_true", help="refine the sample displacement")
    p.add_argument("--refine-asymmetry", action="store_true", help="refine the Berar-Baldinozzi asymmetry")
    p.add_argument("--fixed-zero", action="store_true", help="do not refine the zero shift")
    p.add_argument("--blank", type=Path, default=None, help="container pattern subtracted with a refined scale")
    p.add_argument("--prescan", type=float, default=None,
                   help="relative span of the isotropic cell pre-scan (default 0.02; 0 = off)")
    p.add_argument("--cycles", type=int, default=None, help="most extraction/least-squares cycles (default 8)")
    p.add_argument("--extraction-passes", type=int, default=None,
                   help="Le Bail extraction passes per cycle (default 3)")
    p.add_argument("--no-figures", action="store_true")


def add_parser(sub) -> None:
    """``structkit xrd ...``."""
    xrd = sub.add_parser("xrd", help="powder XRD: Le Bail cells, sequential series, expansion, amorphization")
    xsub = xrd.add_subparsers(dest="action", required=True)

    lb = xsub.add_parser("lebail", help="Le Bail fit of each pattern on its own -> one row per file")
    lb.add_argument("paths", nargs="+", type=Path, help="powder patterns (xy, xye, chi, GSAS, xrdml ...)")
    _fit_args(lb)
    lb.add_argument("-o", "--output", type=Path, default=Path("fit.csv"))
    lb.set_defaults(handler=_lebail)

    seq = xsub.add_parser("sequential", help="sequential Le Bail over a series ordered by a condition")
    seq.add_argument("paths", nargs="+", type=Path)
    _fit_args(seq)
    seq.add_argument("--order-by", default="temperature_K",
                     help="condition that orders the series (default temperature_K)")
    seq.add_argument("--group", default="hk0",
                     help="reflection group whose intensity is followed (default hk0; 'none' to skip)")
    seq.add_argument("--parametric", type=int, default=None, metavar="DEGREE",
                     help="also fit the cell as a polynomial of the condition across all patterns")
    seq.add_argument("-o", "--output", type=Path, default=Path("cells.csv"))
    seq.set_defaults(handler=_sequential)

    ins = xsub.add_parser("instrument", help="instrument profile (widths, zero, asymmetry) from a standard")
    ins.add_argument("path", type=Path, help="pattern of a line-profile standard (LaB6, Si, CeO2 ...)")
    _phase_args(ins, required=True)
    _beam_args(ins)
    ins.add_argument("--two-theta-min", type=float, default=None)
    ins.add_argument("--two-theta-max", type=float, default=None)
    ins.add_argument("--background", type=int, default=None, metavar="N")
    ins.add_argument("--refine-cell", action="store_true",
                     help="refine the cell too (default: hold the certified cell, refine the zero)")
    ins.add_argument("--refine-displacement", action="store_true")
    ins.add_argument("--no-asymmetry", action="store_true", help="do not refine the asymmetry")
    ins.add_argument("--no-figures", action="store_true")
    ins.add_argument("-o", "--output", type=Path, default=Path("instrument.toml"))
    ins.set_defaults(handler=_instrument)

    ex = xsub.add_parser("expansion", help="thermal expansion with automatic regimes from a cell table")
    ex.add_argument("table", type=Path, help="CSV with temperature_K and volume_A3 (as sequential writes)")
    ex.add_argument("--regimes", type=_regimes, default="auto", help="auto (default) or 1-4")
    ex.add_argument("--criterion", default="bic", choices=["bic", "aicc"])
    ex.add_argument("--phase", default="", help="phase-name prefix of the columns in a multi-phase table")
    ex.add_argument("--no-figures", action="store_true")
    ex.add_argument("-o", "--output", type=Path, default=Path("expansion.csv"))
    ex.set_defaults(handler=_expansion)

    am = xsub.add_parser("amorphization", help="crystalline fraction, amorphization index and widths")
    am.add_argument("paths", nargs="+", type=Path)
    _phase_args(am, required=False)
    _beam_args(am)
    am.add_argument("--blank", type=Path, default=None, help="sample holder / Kapton pattern")
    am.add_argument("--order-by", default="milling_time_h",
                    help="condition of the series (default milling_time_h; files without it keep their order)")
    am.add_argument("--reference", default=None,
                    help="sample name of the reference for the amorphization index (default: first)")
    am.add_argument("--peaks", default=None, metavar="LIST",
                    help="approximate Kα1 positions (deg) of the reflections, e.g. 15.2,28.9 (default: found)")
    am.add_argument("--humps", type=int, default=1, help="number of amorphous humps (default 1)")
    am.add_argument("--two-theta-min", type=float, default=None)
    am.add_argument("--two-theta-max", type=float, default=None)
    am.add_argument("--no-figures", action="store_true")
    am.add_argument("-o", "--output", type=Path, default=Path("amorph.csv"))
    am.set_defaults(handler=_amorphization)


# -- shared pieces -----------------------------------------------------------------

def _settings(args) -> dict:
    """The Le Bail settings mapping (:mod:`structkit.xrd.settings`) from the options."""
    from ..xrd.settings import lebail_settings

    sgs, cells = args.space_group or [], args.cell or []
    if len(sgs) != len(cells):
        raise ConfigError(f"{len(sgs)} --space-group but {len(cells)} --cell: give one cell per phase")
    raw: dict = {"phases": [{"space_group": s, "cell": c} for s, c in zip(sgs, cells)]}
    if getattr(args, "refine_profile", None):
        raw["refine_profile"] = args.refine_profile
        for ph in raw["phases"]:
            ph["refine_profile"] = args.refine_profile
    if args.wavelength is not None:
        raw["wavelength_angstrom"] = args.wavelength
    if args.radiation is not None:
        raw["radiation"] = args.radiation
    if args.instrument is not None:
        raw["instrument"] = str(args.instrument)
    for opt, key in (("two_theta_min", "two_theta_min"), ("two_theta_max", "two_theta_max"),
                     ("background", "n_background"), ("blank", "blank"), ("prescan", "prescan"),
                     ("cycles", "max_cycles"), ("extraction_passes", "extraction_passes")):
        v = getattr(args, opt, None)
        if v is not None:
            raw[key] = str(v) if isinstance(v, Path) else v
    if getattr(args, "refine_displacement", False):
        raw["refine_displacement"] = True
    if getattr(args, "refine_asymmetry", False):
        raw["refine_asymmetry"] = True
    if getattr(args, "fixed_zero", False):
        raw["refine_zero"] = False
    return lebail_settings(raw, where="options:", base_dir=Path.cwd())


def _reflections_table(results):
    import pandas as pd
    frames = [ph.reflections_frame().assign(file=r.source) for r in results if r is not None
              for ph in r.phases]
    if not frames:
        return pd.DataFrame()
    f = pd.concat(frames, ignore_index=True)
    return f[["file", *[c for c in f.columns if c != "file"]]]


# -- lebail ------------------------------------------------------------------------

def _lebail(args) -> int:
    import pandas as pd

    from ..io import write_table
    from ..xrd import lebail_fit
    from ..xrd.settings import lebail_job

    settings = _settings(args)
    phases, kw = lebail_job(settings)
    failures: list = []
    ms = _read_all(args.paths, failures)
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    rows, results, descs, figs = [], [], [], []
    for m in ms:
        try:
            res = lebail_fit(m, phases, **kw)
        except StructkitError as exc:
            failures.append({"file": m.source, "error": type(exc).__name__, "message": str(exc)})
            continue
        print(res.summary())
        rows.append(res.to_row())
        results.append(res)
        descs.extend(res.descriptors())
        if not args.no_figures:
            _figure(res.plot(), fig_dir / f"{slug(Path(m.source).stem)}_lebail.png", figs)
    if rows:
        write_table(pd.DataFrame(rows), args.output)
        refl = args.output.parent / f"{args.output.stem}_reflections.csv"
        write_table(_reflections_table(results), refl)
        dpath = _write_descriptors(descs, args.output)
        print(f"wrote {args.output} ({len(rows)} pattern(s)), {refl}, {dpath}"
              + (f" and {len(figs)} figure(s) in {fig_dir}" if figs else ""))
    return report_failures(failures, args.output, any_ok=bool(rows))


# -- sequential --------------------------------------------------------------------

def _sequential(args) -> int:
    from ..io import write_table
    from ..xrd import fit_parametric, fit_sequential
    from ..xrd.hkl import group_intensities
    from ..xrd.settings import lebail_job

    settings = _settings(args)
    phases, kw = lebail_job(settings)
    failures: list = []
    ms = _read_all(args.paths, failures)
    missing = [m for m in ms if args.order_by not in m.conditions]
    for m in missing:
        failures.append({"file": m.source, "error": "DataError",
                         "message": f"{m.source}: no {args.order_by!r} condition (file name, header or "
                                    "conditions.csv sidecar); left out of the series"})
    ms = [m for m in ms if args.order_by in m.conditions]
    if not ms:
        report_failures(failures, args.output, any_ok=False)
        raise StructkitError(f"no pattern with a {args.order_by!r} condition to order the series")
    seq = fit_sequential(ms, phases, order_by=args.order_by, progress=True, **kw)
    for f, why in seq.failures:
        failures.append({"file": f, "error": "FitError", "message": f"{f}: {why}"})
    frame = seq.to_frame()
    write_table(frame, args.output)
    written = [args.output]
    good = seq.converged_results()
    refl = args.output.parent / f"{args.output.stem}_reflections.csv"
    write_table(_reflections_table(seq.results), refl)
    written.append(refl)
    if args.group.lower() != "none" and good:
        groups = group_intensities(seq, args.group)
        gpath = args.output.parent / f"{args.output.stem}_groups.csv"
        write_table(groups, gpath)
        written.append(gpath)
    if args.parametric is not None:
        try:
            par = fit_parametric(seq, degree=args.parametric)
            ppath = args.output.parent / f"{args.output.stem}_parametric.csv"
            write_table(par.to_frame(), ppath)
            written.append(ppath)
            print(f"parametric refinement (degree {par.degree}): Rwp = {100 * par.rwp:.2f} %, "
                  f"{'converged' if par.converged else 'NOT converged: ' + par.message}")
        except StructkitError as exc:
            print(f"structkit: parametric refinement failed: {exc}", file=sys.stderr)
    dpath = _write_descriptors(seq.descriptors(), args.output)
    if dpath:
        written.append(dpath)
    figs: list = []
    if not args.no_figures:
        fig_dir = args.output.parent / f"{args.output.stem}_figures"
        if good:
            _figure(seq.plot(), fig_dir / "sequential.png", figs)
        for r in seq.results:
            if r is not None:
                _figure(r.plot(), fig_dir / f"{slug(Path(r.source).stem)}_lebail.png", figs)
    n_ok = len(good)
    print(f"{n_ok}/{len(seq.results)} pattern(s) converged; wrote {', '.join(map(str, written))}"
          + (f" and {len(figs)} figure(s)" if figs else ""))
    return report_failures(failures, args.output, any_ok=n_ok > 0)


# -- instrument --------------------------------------------------------------------

def _instrument(args) -> int:
    from dataclasses import replace

    from ..io import read
    from ..xrd import InstrumentProfile, lebail_fit
    from ..xrd.settings import lebail_job

    args.refine_profile = "u,v,w,x,y"
    args.refine_asymmetry = not args.no_asymmetry
    args.fixed_zero = False
    settings = _settings(args)
    phases, kw = lebail_job(settings)
    if len(phases) != 1:
        raise ConfigError("an instrument profile comes from one standard phase: give one --space-group/--cell")
    phase = replace(phases[0], refine_cell=args.refine_cell)
    m = read(args.path)
    res = lebail_fit(m, phase, **kw)
    print(res.summary())
    if not res.converged:
        raise StructkitError(f"{args.path}: the fit of the standard did not converge ({res.message}); "
                             "check the cell, the radiation and the 2-theta range")
    ph = res.phases[0]
    rad = res.radiation
    base = kw.get("instrument") or InstrumentProfile()
    prof = InstrumentProfile(
        radiation=rad.name if rad.name.endswith(("Ka", "Ka1")) else str(rad.wavelength_angstrom),
        u=ph.profile["u"], v=ph.profile["v"], w=ph.profile["w"], x=ph.profile["x"], y=ph.profile["y"],
        zero_deg=res.zero_deg, displacement_mm=res.displacement_mm, radius_mm=base.radius_mm,
        asymmetry=tuple(float(a) for a in res.asymmetry), source=str(args.path),
        notes={"standard": f"{ph.space_group} {ph.cell}", "rwp": f"{res.rwp:.4f}", "chi2": f"{res.chi2:.3f}",
               "two_theta_range": f"{res.two_theta[0]:g}-{res.two_theta[-1]:g}",
               "cell": "refined" if args.refine_cell else "held at the given value"})
    prof.save(args.output)
    figs: list = []
    if not args.no_figures:
        _figure(res.plot(), args.output.parent / f"{args.output.stem}_fit.png", figs)
    print(f"wrote {args.output}" + (f" and {figs[0]}" if figs else ""))
    return 0


# -- expansion ---------------------------------------------------------------------

def _expansion(args) -> int:
    import pandas as pd

    from ..io import write_table
    from ..pipeline.xrd import expansion_per_sample

    pre = f"{args.phase}_" if args.phase else ""
    vcol = f"{pre}volume_A3"
    frame = read_csv_table(args.table, ("temperature_K", vcol),
                           "" if pre else "; for a multi-phase table give --phase NAME")
    fits, _, dropped = expansion_per_sample(frame, prefix=pre, regimes=args.regimes, criterion=args.criterion,
                                            default_sample=args.table.stem)
    for f in dropped:
        print(f"structkit: {f}: not converged; left out of the expansion fit", file=sys.stderr)
    regs, bps, local, descs, figs = [], [], [], [], []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    for sample, res in fits:
        print(res.summary())
        regs.append(res.to_frame())
        bps.append(res.breakpoints_frame())
        local.append(res.local_frame())
        descs.extend(res.descriptors())
        if not args.no_figures:
            _figure(res.plot(), fig_dir / f"expansion_{slug(sample)}.png", figs)
    if not regs:
        raise StructkitError(f"{args.table}: no converged row with temperature_K and {vcol}")
    write_table(pd.concat(regs, ignore_index=True), args.output)
    bp_path = args.output.parent / f"{args.output.stem}_breakpoints.csv"
    write_table(pd.concat(bps, ignore_index=True), bp_path)
    lp = args.output.parent / f"{args.output.stem}_local.csv"
    write_table(pd.concat(local, ignore_index=True), lp)
    dpath = _write_descriptors(descs, args.output)
    print(f"wrote {args.output}, {bp_path}, {lp}, {dpath}" + (f" and {len(figs)} figure(s)" if figs else ""))
    return 0


# -- amorphization -----------------------------------------------------------------

def _positions(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.replace(";", ",").replace(" ", ",").split(",") if v]
    except ValueError:
        raise ConfigError(f"--peaks {text!r}: give 2-theta positions separated by commas") from None


def _amorphization(args) -> int:
    import pandas as pd

    from ..io import read, write_table
    from ..xrd import crystalline_fraction, crystallinity_series, sample_broadening
    from ..xrd.hkl import hkl_labels
    from ..xrd.radiation import radiation as make_radiation
    from ..xrd.reflections import parse_cell
    from ..xrd.settings import load_instrument

    sgs, cells = args.space_group or [], args.cell or []
    if len(sgs) != len(cells) or len(sgs) > 1:
        raise ConfigError("amorphization takes at most one --space-group with its --cell (for hkl labels)")
    inst, rad = (load_instrument(args.instrument) if args.instrument else (None, None))
    if args.wavelength is not None:
        rad = make_radiation(args.wavelength)
    elif args.radiation is not None:
        rad = make_radiation(args.radiation)
    elif rad is None:
        rad = make_radiation(inst.radiation) if inst is not None else None
    if rad is None:
        raise ConfigError("give --radiation (e.g. CuKa), --wavelength, or an --instrument file")
    phase = (sgs[0], parse_cell(cells[0], sgs[0])) if sgs else None
    blank = read(args.blank) if args.blank else None
    failures: list = []
    ms = _read_all(args.paths, failures)
    if not ms:
        report_failures(failures, args.output, any_ok=False)
        raise StructkitError("no pattern could be read")
    cond = args.order_by
    if not all(cond in m.conditions for m in ms):
        print(f"structkit: not every file has a {cond!r} condition; the series keeps the order given "
              "(condition 'file_index')", file=sys.stderr)
        cond = "file_index"
        ms = [m.with_conditions(file_index=i) for i, m in enumerate(ms)]
    rng = None
    if args.two_theta_min is not None or args.two_theta_max is not None:
        rng = (args.two_theta_min if args.two_theta_min is not None else -1.0,
               args.two_theta_max if args.two_theta_max is not None else 181.0)
    kw = {"radiation": rad, "two_theta_range": rng, "n_humps": args.humps}
    ref = 0
    if args.reference is not None:
        names = [m.sample for m in ms]
        if args.reference not in names:
            raise ConfigError(f"--reference {args.reference!r} is not among the samples {names}")
        ref = names.index(args.reference)
    peaks = _positions(args.peaks)
    if peaks is None and phase is not None:
        first = crystalline_fraction(ms[ref], blank, **kw)          # find the reflections once, then name them
        peaks = first.peaks.position_deg.tolist()
    if peaks is not None and phase is not None:
        labels = hkl_labels(peaks, phase[0], phase[1], rad, tol_deg=0.2)
        seen: set = set()
        named = []
        for lab, pos in zip(labels, peaks):
            lab = lab or f"{pos:.3f}"
            if lab in seen:
                lab = f"{lab}@{pos:.3f}"
            seen.add(lab)
            named.append(lab)
        peaks = dict(zip(named, peaks))
    series = crystallinity_series(ms, blank, condition=cond, reference=ref, peaks=peaks, **kw)
    print(series.summary())
    per_file = series.to_frame()
    per_file.insert(0, "file", [r.source for r in series.results])
    descs = series.descriptors()
    peak_rows = []
    for r in series.results:
        if not len(r.peaks):
            continue
        pf = r.peaks.to_frame().assign(file=r.source)
        if inst is not None:
            try:
                br = sample_broadening(r.peaks, inst)
                bf = br.to_frame()[["label", "size_nm", "size_nm_stderr", "strain", "strain_stderr",
                                    "resolved_size", "resolved_strain"]]
                pf = pf.merge(bf, on="label", how="left")
                descs.extend(br.descriptors())
                if int(br.resolved_size.sum()) >= 2:
                    wh = br.williamson_hall()
                    i = per_file.index[per_file["file"] == r.source]
                    per_file.loc[i, ["wh_size_nm", "wh_size_stderr_nm", "wh_strain", "wh_strain_stderr"]] = \
                        [wh.size_nm, wh.size_stderr_nm, wh.strain, wh.strain_stderr]
            except StructkitError as exc:
                print(f"structkit: {r.source}: size/strain not computed: {exc}", file=sys.stderr)
        peak_rows.append(pf)
    write_table(per_file, args.output)
    written = [args.output]
    if peak_rows:
        pk = pd.concat(peak_rows, ignore_index=True)
        pk = pk[["file", *[c for c in pk.columns if c != "file"]]].rename(columns={"label": "hkl"})
        ppath = args.output.parent / f"{args.output.stem}_peaks.csv"
        write_table(pk, ppath)
        written.append(ppath)
    if inst is None:
        print("structkit: no --instrument profile: size and strain need the instrument widths; "
              "only observed widths are reported", file=sys.stderr)
    dpath = _write_descriptors(descs, args.output)
    if dpath:
        written.append(dpath)
    figs: list = []
    if not args.no_figures:
        fig_dir = args.output.parent / f"{args.output.stem}_figures"
        _figure(series.plot(), fig_dir / "crystallinity_series.png", figs)
        for r in series.results:
            _figure(r.plot(), fig_dir / f"{slug(Path(r.source).stem)}_crystallinity.png", figs)
    print(f"wrote {', '.join(map(str, written))}" + (f" and {len(figs)} figure(s)" if figs else ""))
    return report_failures(failures, args.output, any_ok=True)

