"""``structkit xas normalize|exafs|wavelet|fit``: XAS spectra to edge, χ(R), wavelet and shell-fit descriptors.

Every command writes its main table (``-o``), the long descriptor table
``<stem>_descriptors.csv``, every processing parameter per file in
``<stem>_settings.json`` (so the numbers can be reproduced), figures in
``<stem>_figures/`` (unless ``--no-figures``) and, when some files failed,
``<stem>_failures.csv``. larch is imported only once a command runs.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError, StructkitError
from ..pipeline.adapters import slug
from ._common import fail as _fail
from ._common import finish as _finish
from ._common import pair_arg as _pair
from ._common import read_all, save_figure_to
from ._common import row_base as _row_base
from ._common import tag as _tag

__all__ = ["add_parser"]


def _norm_args(p) -> None:
    g = p.add_argument_group("normalization (larch pre_edge)")
    g.add_argument("--e0", type=float, default=None, help="fix E0 (eV); default: found")
    g.add_argument("--e0-method", default="derivative", choices=["derivative", "half_step"])
    g.add_argument("--pre1", type=float, default=None, help="pre-edge range start, eV from E0 (negative)")
    g.add_argument("--pre2", type=float, default=None, help="pre-edge range end, eV from E0 (negative)")
    g.add_argument("--norm1", type=float, default=None, help="post-edge range start, eV from E0")
    g.add_argument("--norm2", type=float, default=None, help="post-edge range end, eV from E0")
    g.add_argument("--nnorm", type=int, default=None, help="post-edge polynomial degree (0-3)")


def _bkg_args(p) -> None:
    g = p.add_argument_group("background (larch autobk)")
    g.add_argument("--rbkg", type=float, default=1.0, help="R cut-off of the background spline, Å (default 1.0)")
    g.add_argument("--bkg-kweight", type=float, default=2, help="k-weight of the background fit (default 2)")
    g.add_argument("--bkg-kmax", type=float, default=None, help="spline k max (default: end of data)")


def _ft_args(p, *, kmin: float = 3.0) -> None:
    g = p.add_argument_group("Fourier transform")
    g.add_argument("--kmin", type=float, default=kmin, help=f"Å⁻¹ (default {kmin:g})")
    g.add_argument("--kmax", type=float, default=None, help="Å⁻¹ (default: end of data)")
    g.add_argument("--kweight", type=float, default=2, help="k-weight (default 2)")
    g.add_argument("--dk", type=float, default=1.0, help="window sill width, Å⁻¹ (default 1)")
    g.add_argument("--window", default="hanning", help="hanning, kaiser, parzen, welch, sine, gaussian")


def add_parser(sub) -> None:
    """``structkit xas ...``."""
    xas = sub.add_parser("xas", help="XAS/EXAFS: normalization and XANES, chi(k) and chi(R), wavelets, FEFF fits")
    xsub = xas.add_subparsers(dest="xas_command", required=True, metavar="{normalize,exafs,wavelet,fit}")

    nm = xsub.add_parser("normalize", help="E0, edge step, white line (and pre-edge peaks) per spectrum")
    nm.add_argument("paths", nargs="+", type=Path, help="XDI, column text (E, mu or E, I0, It/If), .prj, HDF5 ...")
    _norm_args(nm)
    nm.add_argument("--white-line-window", type=_pair, default=(0.0, 30.0), metavar="LO,HI",
                    help="where to look for the white line, eV from E0 (default 0,30)")
    nm.add_argument("--pre-edge-window", type=_pair, default=None, metavar="LO,HI",
                    help="fit pre-edge peaks in this window (absolute eV), e.g. 1070,1077")
    nm.add_argument("--pre-edge-peaks", type=int, default=1, help="number of pre-edge peaks (default 1)")
    nm.add_argument("--no-figures", action="store_true")
    nm.add_argument("-o", "--output", type=Path, default=Path("xanes.csv"))
    nm.set_defaults(handler=_normalize)

    ex = xsub.add_parser("exafs", help="chi(k) by autobk and the |chi(R)| peaks (not phase-corrected)")
    ex.add_argument("paths", nargs="+", type=Path)
    _norm_args(ex)
    _bkg_args(ex)
    _ft_args(ex)
    ex.add_argument("--peaks", type=int, default=3, help="how many |chi(R)| maxima to report (default 3)")
    ex.add_argument("--rmin", type=float, default=0.8, help="peak search from this R, Å (default 0.8)")
    ex.add_argument("--rmax", type=float, default=6.0, help="peak search up to this R, Å (default 6)")
    ex.add_argument("--write-chi", action="store_true", help="also write each chi(k) as <stem>_chik/<file>.csv")
    ex.add_argument("--no-figures", action="store_true")
    ex.add_argument("-o", "--output", type=Path, default=Path("exafs.csv"))
    ex.set_defaults(handler=_exafs)

    wt = xsub.add_parser("wavelet", help="Cauchy or Morlet wavelet transform; maxima per R window")
    wt.add_argument("paths", nargs="+", type=Path)
    _norm_args(wt)
    _bkg_args(wt)
    wt.add_argument("--kind", default="cauchy", choices=["cauchy", "morlet"])
    wt.add_argument("--kweight", type=float, default=2)
    wt.add_argument("--kmin", type=float, default=None, help="window the chi(k) from here (with --kmax)")
    wt.add_argument("--kmax", type=float, default=None)
    wt.add_argument("--window", default=None, help="k window (hanning, kaiser ...); default none")
    wt.add_argument("--dk", type=float, default=1.0)
    wt.add_argument("--eta", type=float, default=None, help="Morlet η (default the module's)")
    wt.add_argument("--sigma", type=float, default=None, help="Morlet σ (default the module's)")
    wt.add_argument("--rmax-out", type=float, default=6.0, help="R range of the map, Å (default 6)")
    wt.add_argument("--r-window", type=_pair, action="append", default=None, metavar="LO,HI",
                    help="R window for the maxima (repeatable), e.g. 1.2,2.4")
    wt.add_argument("--no-figures", action="store_true")
    wt.add_argument("-o", "--output", type=Path, default=Path("wavelet.csv"))
    wt.set_defaults(handler=_wavelet)

    ft = xsub.add_parser("fit", help="FEFF shell fit of each spectrum, or of a temperature series together")
    ft.add_argument("paths", nargs="+", type=Path)
    _norm_args(ft)
    _bkg_args(ft)
    _ft_args(ft)
    ft.set_defaults(window="kaiser")
    src = ft.add_mutually_exclusive_group(required=True)
    src.add_argument("--path", dest="feff_paths", type=Path, action="append", metavar="FEFFNNNN.DAT",
                     help="a FEFF path file (repeatable); each gets its own delr and sig2 (one alpha with --expansion)")
    src.add_argument("--cif", type=Path, default=None,
                     help="compute the paths with FEFF6L from this crystal structure (needs --absorber)")
    g = ft.add_argument_group("FEFF on the fly (with --cif)")
    g.add_argument("--absorber", default=None, help="absorbing element, e.g. Ta")
    g.add_argument("--site", default=None, help="absorber site label when the element has several sites")
    g.add_argument("--edge", default="K", help="K, L1, L2, L3 (default K)")
    g.add_argument("--feff-rmax", type=float, default=None,
                   help="longest half path length to fit, Å (default: --rfit-max)")
    g.add_argument("--nleg", type=int, default=2, help="most legs per path (default 2: single scattering)")
    g.add_argument("--feff-version", type=int, default=6, choices=[6, 8])
    ft.add_argument("--rmin", type=float, default=1.0, help="fit range in R, Å (default 1.0)")
    ft.add_argument("--rfit-max", type=float, default=3.0, help="fit range in R, Å (default 3.0)")
    ft.add_argument("--fit-n", action="store_true", help="refine N of each path (S0² held at --s02)")
    ft.add_argument("--s02", type=float, default=None, help="S0² start (refined unless --fit-n)")
    ft.add_argument("--third", action="store_true", help="refine a third cumulant C3 per path")
    ft.add_argument("--expansion", action="store_true", help="ΔR = alpha·reff for every path (one alpha)")
    ft.add_argument("--series", action="store_true", help="fit all files together (shared S0², ΔE0)")
    ft.add_argument("--sigma2-model", default=None, choices=["einstein", "debye"],
                    help="σ²(T) model with a shared θ (implies --series; needs temperatures)")
    ft.add_argument("--no-figures", action="store_true")
    ft.add_argument("-o", "--output", type=Path, default=Path("shells.csv"))
    ft.set_defaults(handler=_fit)


# -- shared steps -------------------------------------------------------------------

def _norm_kws(args) -> dict:
    return {"e0": args.e0, "e0_method": args.e0_method, "pre1": args.pre1, "pre2": args.pre2,
            "norm1": args.norm1, "norm2": args.norm2, "nnorm": args.nnorm}


def _read_spectra(paths, failures) -> list:
    """Every spectrum in the files: an Athena project gives all its groups."""
    out = []
    for path in paths:
        if str(path).lower().endswith(".prj"):
            try:
                from ..io import read_athena_project
                out.extend(read_athena_project(path))
            except StructkitError as exc:
                failures.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)})
            continue
        out.extend(read_all([path], failures))
    return out


def _exafs_of(m, args):
    from ..xas.exafs import extract_exafs
    return extract_exafs(m, rbkg=args.rbkg, kweight=args.bkg_kweight, kmax=args.bkg_kmax, **_norm_kws(args))


# -- normalize ------------------------------------------------------------------------

def _normalize(args) -> int:
    import matplotlib.pyplot as plt

    from ..xas.normalize import normalize
    failures: list = []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    rows, descs, settings, figs = [], [], {}, []
    for m in _read_spectra(args.paths, failures):
        try:
            res = normalize(m, white_line_window=args.white_line_window, **_norm_kws(args))
            pre = None
            if args.pre_edge_window is not None:
                from ..xas.xanes import fit_pre_edge
                pre = fit_pre_edge(res, window=args.pre_edge_window, n_peaks=args.pre_edge_peaks)
        except StructkitError as exc:
            _fail(failures, m, exc)
            continue
        print(res.summary())
        row = {**_row_base(m), "e0_eV": res.e0, "e0_derivative_eV": res.e0_derivative,
               "e0_half_step_eV": res.e0_half_step, "edge_step": res.edge_step,
               "white_line_energy_eV": res.white_line_energy, "white_line_height": res.white_line_height}
        descs.extend(res.descriptors())
        st = dict(res.settings)
        if pre is not None:
            print(pre.summary())
            descs.extend(pre.descriptors())
            row.update({d.name: d.value for d in pre.descriptors()})
            st["pre_edge"] = {"window": list(args.pre_edge_window), "n_peaks": args.pre_edge_peaks}
        rows.append(row)
        settings[m.source] = st
        if not args.no_figures:
            ncol = 2 if pre is not None else 1
            fig, axes = plt.subplots(1, ncol, figsize=(6 * ncol, 4), constrained_layout=True, squeeze=False)
            res.plot(ax=axes[0, 0])
            if pre is not None:
                pre.plot(ax=axes[0, 1])
            save_figure_to(fig, fig_dir / f"{_tag(m)}_normalized.png", figs)
    return _finish(args, rows, descs, settings, figs, failures, "spectra")


# -- exafs ------------------------------------------------------------------------------

def _exafs(args) -> int:
    import matplotlib.pyplot as plt
    import pandas as pd

    from ..io import write_table
    failures: list = []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    rows, descs, settings, figs = [], [], {}, []
    for m in _read_spectra(args.paths, failures):
        try:
            ex = _exafs_of(m, args)
            ft = ex.fourier(kmin=args.kmin, kmax=args.kmax, dk=args.dk, window=args.window, kweight=args.kweight)
            peaks = ft.peaks(rmin=args.rmin, rmax=args.rmax, n=args.peaks).sort_values("r").reset_index(drop=True)
        except StructkitError as exc:
            _fail(failures, m, exc)
            continue
        print(ft.summary())
        for i, p in peaks.iterrows():
            rows.append({**_row_base(m), "peak": i + 1, "r_A_not_phase_corrected": p["r"],
                         "magnitude": p["magnitude"], "e0_eV": ex.e0, "edge_step": ex.edge_step})
        descs.extend(ex.descriptors())
        descs.extend(ft.descriptors(rmin=args.rmin, rmax=args.rmax, n=args.peaks))
        settings[m.source] = {"exafs": dict(ex.settings), "fourier": dict(ft.settings)}
        if args.write_chi:
            write_table(pd.DataFrame({"k": ex.k, "chi": ex.chi}),
                        args.output.parent / f"{args.output.stem}_chik" / f"{_tag(m)}.csv")
        if not args.no_figures:
            fig, axes = plt.subplots(1, 3, figsize=(16, 4), constrained_layout=True)
            ex.normalized.plot(ax=axes[0])
            ex.plot(ax=axes[1], kweight=args.kweight)
            ft.plot(ax=axes[2], rmax=args.rmax)
            save_figure_to(fig, fig_dir / f"{_tag(m)}_exafs.png", figs)
    return _finish(args, rows, descs, settings, figs, failures, "peaks")


# -- wavelet ----------------------------------------------------------------------------

def _wavelet(args) -> int:
    failures: list = []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    rows, descs, settings, figs = [], [], {}, []
    r_windows = args.r_window or [(1.0, 3.0)]
    wkw = {"kweight": args.kweight, "rmax_out": args.rmax_out}
    if args.window:
        if args.kmin is None or args.kmax is None:
            raise ConfigError("--window needs --kmin and --kmax")
        wkw.update(window=args.window, kmin=args.kmin, kmax=args.kmax, dk=args.dk)
    if args.kind == "morlet":
        if args.eta is not None:
            wkw["eta"] = args.eta
        if args.sigma is not None:
            wkw["sigma"] = args.sigma
    for m in _read_spectra(args.paths, failures):
        try:
            ex = _exafs_of(m, args)
            wt = ex.wavelet(args.kind, **wkw)
            maxima = wt.maxima(r_windows=r_windows)
        except StructkitError as exc:
            _fail(failures, m, exc)
            continue
        print(wt.summary())
        for _, r in maxima.iterrows():
            rows.append({**_row_base(m), **{k: r[k] for k in maxima.columns}})
        descs.extend(ex.descriptors())
        descs.extend(wt.descriptors(r_windows=r_windows))
        settings[m.source] = {"exafs": dict(ex.settings), "wavelet": {"kind": args.kind, **wkw,
                                                                      "r_windows": r_windows}}
        if not args.no_figures:
            fig = wt.plot(r_windows=r_windows)
            save_figure_to(getattr(fig, "figure", fig), fig_dir / f"{_tag(m)}_wavelet_{args.kind}.png", figs)
    return _finish(args, rows, descs, settings, figs, failures, "maxima")


# -- fit -----------------------------------------------------------------------------------

def _paths_from_cif(args) -> list[Path]:
    """FEFF6L/8L on the absorber's cluster of ``--cif``; the path files stay in ``<stem>_feff/``."""
    from ..xas.feff import cluster_from_cif, run_feff
    if not args.absorber:
        raise ConfigError("--cif needs --absorber (the absorbing element, e.g. --absorber Ta)")
    rmax = args.rfit_max if args.feff_rmax is None else args.feff_rmax
    folder = args.output.parent / f"{args.output.stem}_feff"
    cluster = cluster_from_cif(args.cif, args.absorber, radius=rmax + 2.0,
                               site=int(args.site) if args.site and args.site.isdigit() else args.site)
    res = run_feff(cluster, folder=folder, edge=args.edge, rmax=rmax, nleg=args.nleg, version=args.feff_version)
    print(res.summary())
    if not len(res):
        raise ConfigError(f"FEFF found no path shorter than {rmax:g} Å around {args.absorber} in {args.cif}; "
                          "raise --feff-rmax")
    return [Path(p.filename) for p in res.paths]


def _fit(args) -> int:
    from ..xas.shells import fit_shells
    failures: list = []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    series = args.series or args.sigma2_model is not None
    exs = []
    for m in _read_spectra(args.paths, failures):
        try:
            exs.append(_exafs_of(m, args))
        except StructkitError as exc:
            _fail(failures, m, exc)
    from ..xas.shells import standard_models
    feff_paths = args.feff_paths if args.cif is None else _paths_from_cif(args)
    models, variables = standard_models(feff_paths, fit_n=args.fit_n, s02=args.s02, third=args.third,
                                        expansion=args.expansion, sigma2_model=args.sigma2_model)
    fkw = dict(kmin=args.kmin, kmax=args.kmax, kweight=args.kweight, dk=args.dk, window=args.window,
               rmin=args.rmin, rmax=args.rfit_max, sigma2_model=args.sigma2_model)
    groups = [exs] if series else [[e] for e in exs]
    rows, descs, settings, figs, reports = [], [], {}, [], []
    for grp in groups:
        if not grp:
            continue
        try:
            fit = fit_shells(grp, models, variables=variables, **fkw)
        except StructkitError as exc:
            for e in grp:
                failures.append({"file": e.source, "error": type(exc).__name__, "message": str(exc)})
            continue
        print(fit.summary())
        reports.append(f"# {' + '.join(e.source for e in grp)}\n{fit.report}")
        frame = fit.paths.copy()
        frame.insert(0, "file", [grp[i].source for i in frame["dataset"]])
        frame["rfactor"] = fit.rfactor
        frame["n_idp"] = fit.n_idp
        frame["chi2_reduced"] = fit.chi2_reduced
        rows.extend(frame.to_dict("records"))
        descs.extend(fit.descriptors())
        key = " + ".join(e.source for e in grp)
        settings[key] = {"exafs": [dict(e.settings) for e in grp], "fit": dict(fit.settings),
                         "variables": fit.variables.to_dict("records")}
        if not args.no_figures:
            for i, e in enumerate(grp):
                axes = fit.plot(dataset=i)
                save_figure_to(axes[0].figure, fig_dir / f"{slug(e.sample or Path(e.source).stem)}_fit.png", figs)
    if rows and reports:
        from ..core.atomic import atomic_write_text
        atomic_write_text(args.output.parent / f"{args.output.stem}_report.txt", "\n\n".join(reports))
    return _finish(args, rows, descs, settings, figs, failures, "path rows")
