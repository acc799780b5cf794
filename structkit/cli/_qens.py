"""``structkit qens fit|eisf``: QENS spectra to residence times, radii and EISF(Q).

``fit`` writes one row per temperature (``temperature_K, tau_ps, tau_stderr_ps,
radius_angstrom, immobile_fraction, u2_A2`` first), ``eisf`` one row per temperature and Q
(``eisf, eisf_stderr, hwhm_meV``); both also write ``<stem>_descriptors.csv``,
``<stem>_settings.json`` and figures in ``<stem>_figures/``. A file that fails goes to
``<stem>_failures.csv`` and the others go on. The Arrhenius of τ(T) (and of the libration time)
goes to ``<stem>_arrhenius.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import ConfigError, StructkitError
from ._common import finish, pair_arg, save_figure_to

__all__ = ["add_parser"]


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _fix(text: str) -> tuple[str, float]:
    try:
        k, v = text.split("=", 1)
        return k.strip(), float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. radius_angstrom=1.7), got {text!r}") from None


def _common(p) -> None:
    p.add_argument("paths", nargs="+", type=Path, help="reduced S(Q,E) files (INX/TOFTOF, grouped ASCII, long "
                                                       "tables, HDF5/NeXus, NXSPE), one per temperature")
    p.add_argument("-o", "--output", type=Path, required=True, help="result table (.csv, .parquet)")
    g = p.add_argument_group("reading")
    g.add_argument("--q", type=_floats, default=None, metavar="Q1,Q2,...",
                   help="Q of each group (1/A) for files that do not state it (INX block indices)")
    g.add_argument("--energy-unit", default=None, help="meV (default), ueV or eV, when the file does not say")
    g.add_argument("--energy-sign", type=int, default=1, choices=[1, -1],
                   help="-1 for files whose positive energies are neutron energy GAIN (default 1: loss)")
    g.add_argument("--detailed-balance", action="store_true", help="symmetrise S(Q,E) with exp(-E/2kT) first")
    g = p.add_argument_group("resolution (one of)")
    g.add_argument("--resolution", type=Path, default=None, help="vanadium (or elastic) run, same Q groups")
    g.add_argument("--resolution-fwhm", type=float, default=None, help="analytic Gaussian resolution, FWHM meV")
    g.add_argument("--resolution-model", default="tabulated", choices=["tabulated", "gaussian", "multi-gaussian"],
                   help="how the vanadium is used (default tabulated)")
    g = p.add_argument_group("fit window")
    g.add_argument("--energy-range", type=pair_arg, default=None, metavar="LO,HI", help="meV")
    g.add_argument("--q-range", type=pair_arg, default=None, metavar="LO,HI", help="1/A")
    g.add_argument("--background", default="flat", choices=["flat", "linear", "none"])
    p.add_argument("--no-figures", action="store_true", help="skip the figures")


def add_parser(sub) -> None:
    """``structkit qens ...``."""
    qens = sub.add_parser("qens", help="QENS: resolution-convolved S(Q,E) fits, EISF, residence times, Arrhenius")
    qsub = qens.add_subparsers(dest="qens_command", required=True, metavar="{fit,eisf}")
    fit = qsub.add_parser("fit", help="fit a scattering law to all Q groups: one row per temperature")
    _common(fit)
    fit.add_argument("--model", default="jump-rotation:n=3",
                     help="jump-rotation:n=N, two-site, isotropic-rotation, fick, chudley-elliott, "
                          "singwi-sjolander, hall-ross (default jump-rotation:n=3)")
    fit.add_argument("--global", dest="joint", action="store_true",
                     help="one fit of all temperatures: --shared parameters common, tau(T) Arrhenius inside")
    fit.add_argument("--shared", default="radius_angstrom,immobile_fraction",
                     help="parameters common to all temperatures with --global (comma list)")
    fit.add_argument("--libration", action="store_true", help="add a libration (Debye-Waller <u2> and broad line)")
    fit.add_argument("--immobile-fraction", default="fit",
                     help="'fit' (default), 'none' (0) or a fixed value")
    fit.add_argument("--scale", default="per_q", choices=["per_q", "global"])
    fit.add_argument("--fix", type=_fix, action="append", default=None, metavar="NAME=VALUE",
                     help="hold a parameter (repeatable), e.g. radius_angstrom=1.7")
    fit.set_defaults(handler=_fit)
    eisf = qsub.add_parser("eisf", help="model-independent fit per Q: EISF(Q) and HWHM(Q), one row per T and Q")
    _common(eisf)
    eisf.add_argument("--lorentzians", default="1", help="number of Lorentzians, or auto (BIC, up to 3)")
    eisf.add_argument("--model", default=None, help="also fit EISF(Q) with this geometry (jump-rotation:n=N, "
                                                   "two-site, isotropic-rotation, sphere)")
    eisf.set_defaults(handler=_eisf)


def _read(args, failures):
    from ..pipeline.qens import read_qens_data

    out = []
    for path in args.paths:
        try:
            out.append(read_qens_data(path, q=args.q, energy_unit=args.energy_unit, energy_sign=args.energy_sign,
                                      detailed_balance=args.detailed_balance))
        except StructkitError as exc:
            failures.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)})
    return out


def _resolution(args):
    from ..pipeline.qens import qens_resolution

    if (args.resolution is None) == (args.resolution_fwhm is None):
        raise ConfigError("give exactly one of --resolution (a vanadium file) or --resolution-fwhm (meV)")
    return qens_resolution(resolution=args.resolution, resolution_fwhm=args.resolution_fwhm,
                           resolution_model=args.resolution_model, q=args.q, energy_unit=args.energy_unit,
                           energy_sign=args.energy_sign)


def _stem(d) -> str:
    from ..pipeline.adapters import slug

    t = "" if d.temperature_K is None else f"_{d.temperature_K:g}K"
    return slug((Path(d.source).stem if d.source else d.sample) + t)


def _settings(args, **extra):
    keep = {k: v for k, v in vars(args).items() if k not in ("handler", "paths", "output")}
    keep["paths"] = [str(p) for p in args.paths]
    keep.update(extra)
    return keep


def _fit(args) -> int:
    from ..pipeline.qens import immobile_fraction_value, qens_fit_kws
    from ..qens import fit_temperatures, parse_law

    failures = []
    law = parse_law(args.model)
    res = _resolution(args)
    data = _read(args, failures)
    try:
        imm = immobile_fraction_value(args.immobile_fraction)
    except ValueError:
        raise ConfigError(f"--immobile-fraction takes fit, none or a number, not {args.immobile_fraction!r}") from None
    rows, descs, figs = [], [], []
    if data:
        shared = [s.strip() for s in args.shared.split(",") if s.strip()] if args.joint else []
        kws = qens_fit_kws({**vars(args), "immobile_fraction": imm, "fix": dict(args.fix or [])})
        try:
            series = fit_temperatures(data, res, law, shared=shared,
                                      arrhenius=bool(args.joint and "tau_ps" in law.param_names
                                                     and len(data) >= 2), **kws)
        except StructkitError as exc:
            failures.append({"file": ";".join(str(p) for p in args.paths), "error": type(exc).__name__,
                             "message": str(exc)})
            series = None
        if series is not None:
            for f in series.failures:
                failures.append({"file": f["source"], "error": f["error_type"], "message": f["error"]})
            frame = series.to_frame()
            for r, (_, row) in zip(series.results, frame.iterrows()):
                rows.append({"file": r.source, "sample": r.sample, **row.to_dict()})
            descs = series.descriptors()
            arrs = [a for a in (series.arrhenius, series.libration_arrhenius) if a is not None]
            if arrs:
                import pandas as pd

                from ..io import write_table
                write_table(pd.concat([a.to_frame() for a in arrs], ignore_index=True),
                            args.output.parent / f"{args.output.stem}_arrhenius.csv")
            if not args.no_figures and series.results:
                fig_dir = args.output.parent / f"{args.output.stem}_figures"
                for r in series.results:
                    save_figure_to(r.plot(), fig_dir / f"{_stem(r)}_fit.png", figs)
                save_figure_to(series.plot(), fig_dir / "series.png", figs)
    return finish(args, rows, descs, _settings(args, law=law.name), figs, failures, "temperatures")


def _eisf(args) -> int:
    from ..qens import fit_eisf, fit_per_q, parse_law
    from ..qens.plot import plot_eisf

    failures = []
    res = _resolution(args)
    data = _read(args, failures)
    n = args.lorentzians if args.lorentzians == "auto" else int(args.lorentzians)
    rows, descs, figs = [], [], []
    for d in data:
        try:
            pq = fit_per_q(d, res, n_lorentzians=n, background=args.background, energy_range=args.energy_range,
                           q_range=args.q_range)
        except StructkitError as exc:
            failures.append({"file": d.source, "error": type(exc).__name__, "message": str(exc)})
            continue
        frame = pq.to_frame()
        for _, row in frame.iterrows():
            rows.append({"file": d.source, "sample": d.sample, **row.to_dict()})
        descs.extend(pq.descriptors())
        fits = []
        if args.model:
            law = parse_law(args.model)
            kind = {"JumpRotation": "jump-rotation", "TwoSiteJump": "two-site",
                    "IsotropicRotation": "isotropic-rotation"}.get(type(law).__name__, args.model)
            try:
                fits.append(fit_eisf(pq.q, pq.eisf, pq.eisf_stderr, model=kind, n=getattr(law, "n", None)))
            except StructkitError as exc:
                failures.append({"file": d.source, "error": type(exc).__name__, "message": f"EISF fit: {exc}"})
        if not args.no_figures:
            fig_dir = args.output.parent / f"{args.output.stem}_figures"
            save_figure_to(pq.plot(), fig_dir / f"{_stem(d)}_spectra.png", figs)
            save_figure_to(plot_eisf(pq.q, pq.eisf, pq.eisf_stderr, fits=fits), fig_dir / f"{_stem(d)}_eisf.png",
                           figs)
    return finish(args, rows, descs, _settings(args), figs, failures, "Q groups")
