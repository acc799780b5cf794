"""``structkit raman fit|bands`` and ``structkit nmr lines``: spectra to band tables.

``fit`` and ``lines`` write one row per spectrum and band (``-o``), the long
descriptor table ``<stem>_descriptors.csv``, the settings ``<stem>_settings.json``
and figures in ``<stem>_figures/`` (unless ``--no-figures``); a file that fails
goes to ``<stem>_failures.csv`` and the rest go on. With ``--condition`` the
spectra are a series: ordered by it, each fit starting from the previous one,
with a summary figure of centre, FWHM and area against the condition.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import ConfigError, StructkitError
from ._common import fail, finish, pair_arg, read_all, save_figure_to, tag

__all__ = ["add_parser", "add_nmr_parser"]


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _lam(text: str):
    if text.strip().lower() == "auto":
        return "auto"
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--lam takes a positive number or auto, not {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"--lam must be positive, got {text!r}")
    return v


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _named_window(text: str) -> tuple[str, tuple[float, float]]:
    try:
        name, rng = text.split("=", 1)
        return name.strip(), pair_arg(rng)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=LO,HI (e.g. A1g=340,440), got {text!r}") from None


def _stem(m) -> str:
    """Figure name of a spectrum: its file stem (samples repeat along a series), else its sample."""
    from ..pipeline.adapters import slug
    return slug(Path(m.source).stem) if m.source else tag(m)


def _common_fit_args(p, *, table_flag: str, default_baseline: str, default_shape: str) -> None:
    p.add_argument("paths", nargs="+", type=Path, help="spectra (JASCO, LabSpec, text/CSV, SPC, WDF, TopSpin ...)")
    p.add_argument("-o", "--output", type=Path, required=True, help="table of bands (.csv, .parquet)")
    g = p.add_argument_group("what to fit")
    g.add_argument(f"--{table_flag}", dest="table", default=None,
                   help="assignment table: a shipped name (structkit raman bands lists them) or a TOML file")
    g.add_argument("--select", type=_names, default=None, help="only these bands of the table (comma list)")
    g.add_argument("--peaks", type=_floats, default=None,
                   help="starting centres instead of a table, e.g. 128,172,360 (neither: detected, count by BIC)")
    g.add_argument("--max-bands", type=int, default=8, help="most bands when detecting (default 8)")
    g.add_argument("--window", type=pair_arg, default=None, metavar="LO,HI", help="fit range")
    g.add_argument("--shape", default=default_shape,
                   help=f"gaussian, lorentzian, pvoigt, voigt, pearson7, split_pvoigt (default {default_shape})")
    g.add_argument("--background", default="none",
                   help="polynomial refined with the bands: none, constant, linear, quadratic (default none)")
    g.add_argument("--same-width", type=_names, action="append", default=None, metavar="A,B",
                   help="bands sharing one FWHM (repeatable)")
    g.add_argument("--sigma", default="auto", choices=["auto", "poisson", "noise", "none"],
                   help="uncertainties: the file's, else robust noise (auto); √counts (poisson)")
    g = p.add_argument_group("pre-processing")
    g.add_argument("--baseline", default=default_baseline,
                   help=f"poly, modpoly, imodpoly, asls, arpls, airpls, rubberband, snip or none "
                        f"(default {default_baseline})")
    g.add_argument("--lam", type=_lam, default="auto", help="smoothness of asls/arpls/airpls, or auto (default)")
    g.add_argument("--anchors", type=pair_arg, action="append", default=None, metavar="LO,HI",
                   help="band-free window for --baseline poly (repeatable)")
    g.add_argument("--poly-order", type=int, default=2, help="degree of poly/modpoly/imodpoly (default 2)")
    g.add_argument("--despike", action="store_true", help="remove cosmic-ray spikes first")
    g.add_argument("--min-width", type=float, default=None,
                   help="FWHM of the narrowest real band, x units (spike test; default 4 points)")
    g = p.add_argument_group("series")
    g.add_argument("--condition", default=None,
                   help="order by this condition (temperature_K, milling_time_h ...) and carry fits over")
    g.add_argument("--split", type=_named_window, action="append", default=None, metavar="NAME=LO,HI",
                   help="test each spectrum for one band or two in this window (repeatable)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")


def add_parser(sub) -> None:
    """``structkit raman ...``."""
    raman = sub.add_parser("raman", help="Raman: spikes, baselines, multi-band fits with assignment tables, series")
    rsub = raman.add_subparsers(dest="raman_command", required=True, metavar="{fit,bands}")
    fit = rsub.add_parser("fit", help="fit bands to spectra: one row per spectrum and band")
    _common_fit_args(fit, table_flag="bands", default_baseline="arpls", default_shape="pvoigt")
    fit.add_argument("--calibrate", type=Path, default=None,
                     help="reference spectrum (Si wafer ...) whose line sets the shift of every spectrum")
    fit.add_argument("--line", default="silicon", help="reference line: silicon, diamond ... or cm-1 (default silicon)")
    fit.set_defaults(handler=_raman_fit)
    bands = rsub.add_parser("bands", help="list the shipped assignment tables, or show one")
    bands.add_argument("table", nargs="?", default=None)
    bands.set_defaults(handler=_bands)


def add_nmr_parser(sub) -> None:
    """``structkit nmr lines``."""
    nmr = sub.add_parser("nmr", help="NMR line shapes: shifts, widths in Hz, relative integrals, O content")
    nsub = nmr.add_subparsers(dest="nmr_command", required=True, metavar="{lines}")
    lines = nsub.add_parser("lines", help="fit lines to 1D spectra (ppm or Hz axis)")
    _common_fit_args(lines, table_flag="lines", default_baseline="none", default_shape="pvoigt")
    lines.add_argument("--larmor", type=float, default=None, help="Larmor frequency, MHz (default: from the file)")
    lines.add_argument("--nucleus", default=None, help="e.g. 23Na (with --field: checks the Larmor frequency)")
    lines.add_argument("--field", type=float, default=None, help="magnet field, T")
    lines.add_argument("--oxygen", type=_names, default=None, metavar="CHLORIDE,OXYCHLORIDE",
                       help="x of NaTaOxCl(6-2x) from these two lines (e.g. NaCl,NTOC; seed 003 eqn (1))")
    lines.set_defaults(handler=_nmr_lines)


def _fit_kws(args) -> dict:
    from ..pipeline.raman import raman_fit_kws
    if str(args.baseline).lower() == "poly" and not args.anchors:
        raise ConfigError("--baseline poly needs band-free windows: --anchors LO,HI (repeatable)")
    return raman_fit_kws(vars(args))


def _settings(args) -> dict:
    return {k: v for k, v in vars(args).items() if k not in ("handler", "paths", "output")}


def _run(args, ms, failures, fit_one, *, technique: str, extra_rows=None) -> int:
    from ..raman.series import fit_series
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    figs: list = []
    rows, descs = [], []
    if not ms:
        return finish(args, [], [], _settings(args), figs, failures, "bands")
    if args.condition or args.split:
        series = fit_series(ms, condition=args.condition, split_windows=dict(args.split or []), fit=fit_one)
        results = list(series.results)
        for src, msg in series.failures:
            kind, _, text = msg.partition(": ")
            if not kind.isidentifier():
                kind, text = "StructkitError", msg
            failures.append({"file": src, "error": kind, "message": text})
        descs += series.descriptors()
        for key, tests in series.splits.items():
            for r, t in zip(results, tests):
                print(f"{r.source}: {key}: {t!r}")
    else:
        results = []
        for m in ms:
            try:
                results.append(fit_one(m, start=None))
            except StructkitError as exc:
                fail(failures, m, exc)
        descs += [d for r in results for d in r.descriptors()]
    for r in results:
        print(r.summary())
        new = r._rows()
        if extra_rows is not None:
            extra, extra_desc = extra_rows(r)
            for row in new:
                row.update(extra)
            descs += extra_desc
        rows += new
        if not args.no_figures:
            save_figure_to(r.plot(), fig_dir / f"{_stem(r.spectrum)}_fit.png", figs)
    if results and not args.no_figures and len(results) > 1:
        from ..raman.plot import plot_series, plot_stack
        import pandas as pd
        save_figure_to(plot_stack(results), fig_dir / "stack.png", figs)
        if args.condition:
            from ..raman.peaks import _suffix
            frame = pd.DataFrame(rows)          # the rows of the table, already computed
            save_figure_to(plot_series(frame, condition=args.condition, unit=_suffix(results[0].x_unit)),
                           fig_dir / "bands_vs_condition.png", figs)
    settings = {**_settings(args), "technique": technique}
    return finish(args, rows, descs, settings, figs, failures, "band rows")


def _raman_fit(args) -> int:
    from ..raman import apply_shift, calibrate_shift, fit_spectrum
    failures: list = []
    ms = read_all(args.paths, failures)
    if args.calibrate is not None:
        from ..io import read
        line = args.line
        try:
            line = float(line)
        except ValueError:
            pass
        cal = calibrate_shift(read(args.calibrate), line)
        print(f"calibration: {cal!r}")
        ms = [apply_shift(m, cal) for m in ms]
    kws = _fit_kws(args)
    return _run(args, ms, failures, lambda m, start=None: fit_spectrum(m, start=start, **kws), technique="raman")


def _nmr_lines(args) -> int:
    from ..core.descriptors import DescriptorRow
    from ..raman.nmr import fit_lines, oxygen_content_from_fit
    failures: list = []
    ms = read_all(args.paths, failures)
    kws = _fit_kws(args)
    kws["lines"] = kws.pop("bands")

    def one(m, start=None):
        return fit_lines(m, larmor_MHz=args.larmor, nucleus=args.nucleus, field_T=args.field, start=start, **kws)

    extra_rows = None
    if args.oxygen:
        if len(args.oxygen) != 2:
            raise ConfigError("--oxygen takes two line names: CHLORIDE,OXYCHLORIDE (e.g. NaCl,NTOC)")

        def extra_rows(r):
            try:
                x, e = oxygen_content_from_fit(r, chloride=args.oxygen[0], oxychloride=args.oxygen[1])
            except StructkitError as exc:
                print(f"structkit: {r.source}: no O content: {exc}")
                return {}, []
            d = DescriptorRow(sample=r.sample, name="oxygen_x", value=x, stderr=e, unit="", technique="nmr",
                              conditions=r.conditions, source=r.source, method="nmr:seed003-eqn1")
            return {"oxygen_x": x, "oxygen_x_stderr": e}, [d]

    return _run(args, ms, failures, one, technique="nmr", extra_rows=extra_rows)


def _bands(args) -> int:
    from ..raman.bands import available_band_tables, load_bands
    if args.table is None:
        for name, title in sorted(available_band_tables().items()):
            print(f"{name:20s} {title}")
        return 0
    t = load_bands(args.table)
    print(f"{t.name}: {t.title} ({t.technique}, {t.x_unit}; {t.path})")
    print(t.to_frame().to_string(index=False))
    for r in t.ratios:
        print(f"ratio {r.name} = {r.quantity}({r.numerator}) / {r.quantity}({r.denominator})")
    return 0
