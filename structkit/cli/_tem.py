"""``structkit tem fft|dose-series``: HRTEM images to d-spacings; image series to strain and critical dose.

``fft`` writes one row per spot (``file, sample, spot, d_angstrom, d_stderr_angstrom, angle_deg,
angle_stderr_deg, intensity, snr, hkl, superstructure`` first; default output
``<first image stem>_fft.csv`` in the current directory) and prints each image's spots.
``dose-series`` writes one row per frame and tracked spot (``file, sample, track, frame,
dose_e_per_A2, d_angstrom, d_stderr_angstrom, strain, strain_stderr, spot_intensity,
spot_intensity_stderr, found, critical_dose_e_per_A2, critical_dose_stderr_e_per_A2`` first) and
``<stem>_tracks.csv``, one row per file and track (d0, strain rate, expansion at the final dose,
critical dose, with standard errors). Both also write ``<stem>_descriptors.csv``,
``<stem>_settings.json`` and figures in ``<stem>_figures/``; a file that fails goes to
``<stem>_failures.csv`` and the others go on. Calibration and dose given as options override the
file's metadata. The options are the keys of the ``[tem]`` campaign table
(:mod:`structkit.pipeline.tem`), checked by the same function.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import StructkitError
from ._common import fail, finish

__all__ = ["add_parser"]


def _cell(text: str):
    try:
        v = [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        v = []
    if len(v) not in (1, 3, 6):
        raise argparse.ArgumentTypeError(f"expected a (cubic), a,b,c or a,b,c,alpha,beta,gamma, got {text!r}")
    return v[0] if len(v) == 1 else v


def _region(text: str) -> list[int]:
    try:
        v = [int(x) for x in text.replace(";", ",").split(",")]
    except ValueError:
        v = []
    if len(v) != 4:
        raise argparse.ArgumentTypeError(f"expected Y0,Y1,X0,X1 in pixels (e.g. 0,512,0,512), got {text!r}")
    return v


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _common(p, *, series: bool) -> None:
    p.add_argument("paths", nargs="+", type=Path,
                   help="images or image series (TIFF, MRC, DM3/DM4, EMD, SER, .npy)")
    g = p.add_argument_group("calibration and dose (override the file)")
    g.add_argument("--pixel-size-A", dest="pixel_size_A", type=float, default=None, metavar="P",
                   help="pixel size, Å (needed when the file has no calibration, e.g. .npy)")
    if series:
        g.add_argument("--dose-per-frame", type=float, default=None, metavar="D", help="e/Å² per frame")
        g.add_argument("--dose-rate", type=float, default=None, metavar="R",
                       help="e/Å²/s at the specimen; times the frame time gives the dose per frame")
        g.add_argument("--frame-time-s", "--frame-time", dest="frame_time_s", type=float, default=None, metavar="T",
                       help="s per frame (with --dose-rate; default: from the file)")
    g = p.add_argument_group("power spectrum and spots")
    g.add_argument("--region", type=_region, default=None, metavar="Y0,Y1,X0,X1", help="pixel box analysed")
    g.add_argument("--window", default="hann", choices=["hann", "tukey", "none"], help="default hann")
    g.add_argument("--threshold", type=float, default=None,
                   help=f"spot significance, σ (default {'5 per frame' if series else '6'})")
    g.add_argument("--refine", default="window", choices=["window", "gaussian", "centroid"],
                   help="sub-pixel spot centre (default window: the exact shape of a windowed spot)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")


def add_parser(sub) -> None:
    """``structkit tem ...``."""
    tem = sub.add_parser("tem", help="HRTEM: FFT d-spacings and indexing; dose series: lattice strain, critical dose")
    tsub = tem.add_subparsers(dest="tem_command", required=True, metavar="{fft,dose-series}")
    fft = tsub.add_parser("fft", help="spots of the power spectrum of an image: one row per spot")
    _common(fft, series=False)
    fft.add_argument("-o", "--output", type=Path, default=None,
                     help="spot table (.csv, .parquet; default <first image stem>_fft.csv here)")
    which = fft.add_mutually_exclusive_group()
    which.add_argument("--frame", type=int, default=None, metavar="N", help="FFT of frame N of a series (default 0)")
    which.add_argument("--sum", "--sum-frames", dest="sum_frames", action="store_true",
                       help="FFT of the sum of all frames (no drift correction)")
    fft.add_argument("--cell", type=_cell, default=None, metavar="A|a,b,c,al,be,ga",
                     help="index the spots (Å, degrees); d = 2·d(hkl) with no integer hkl is a superstructure")
    fft.add_argument("--d-min", type=float, default=None, metavar="D", help="only spots with d >= D, Å")
    fft.add_argument("--d-max", type=float, default=None, metavar="D", help="only spots with d <= D, Å")
    fft.set_defaults(handler=_fft)
    ds = tsub.add_parser("dose-series", help="follow spots through an image series: d, strain and intensity "
                                             "against dose, critical dose")
    _common(ds, series=True)
    ds.add_argument("-o", "--output", type=Path, required=True, help="table of frames (.csv, .parquet)")
    ds.add_argument("--track", type=float, action="append", required=True, metavar="D",
                    help="d-spacing to follow, Å (repeatable)")
    ds.add_argument("--angle", "--angles", dest="angles", type=float, action="append", default=None, metavar="DEG",
                    help="angle of each tracked spot in [0, 180) deg, to choose among spots at that d "
                         "(repeatable, one per --track)")
    ds.add_argument("--d0", type=_floats, default=None, metavar="D0[,D0...]",
                    help="unstrained d, Å: one for all tracks or one per track (default: the D = 0 intercept)")
    ds.add_argument("--bin", type=int, default=None, metavar="N", help="sum groups of N frames first")
    ds.add_argument("--no-drift-correct", action="store_true",
                    help="with --region, keep the box fixed instead of following the drift")
    ds.set_defaults(handler=_dose_series)


def _settings(args, mode: str) -> dict:
    from ..pipeline.tem import tem_settings

    keys = ("pixel_size_A", "dose_per_frame", "dose_rate", "frame_time_s", "region", "window", "threshold", "refine",
            "cell", "d_min", "d_max", "frame", "track", "angles", "d0", "bin")
    raw = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    raw["mode"] = mode
    raw["figures"] = not args.no_figures
    if mode == "fft":
        raw["sum_frames"] = bool(args.sum_frames)
    else:
        raw["drift_correct"] = not args.no_drift_correct
    return tem_settings(raw, where="", option_names=True)


def _run(args, mode: str) -> int:
    import pandas as pd

    from ..pipeline.adapters import slug
    from ..pipeline.tem import (
        analyze_tem,
        read_tem_stack,
        result_rows,
        tem_figures,
        track_table,
    )

    s = _settings(args, mode)
    failures, rows, descs, figs = [], [], [], []
    fig_dir = args.output.parent / f"{args.output.stem}_figures"
    stems: set[str] = set()
    for path in args.paths:
        try:
            stack = read_tem_stack(path, s)
            r = analyze_tem(stack, s)
        except StructkitError as exc:
            failures.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)})
            continue
        print(r.summary())
        rows += [{"file": str(path), **row}
                 for row in result_rows(r, frames_summed=stack.n_frames if s.get("sum_frames") else 1)]
        descs += r.descriptors()
        if s["figures"]:
            stem, k = slug(path.stem), 2
            while stem in stems:                     # same name in two folders
                stem, k = f"{slug(path.stem)}_{k}", k + 1
            stems.add(stem)
            try:
                figs += tem_figures(r, stack, fig_dir, stem)
            except StructkitError as exc:
                fail(failures, stack, exc)
    if mode == "dose-series" and rows:
        from ..io import write_table

        tpath = args.output.parent / f"{args.output.stem}_tracks.csv"
        write_table(track_table(pd.DataFrame(rows)), tpath)
        print(f"wrote {tpath} (one row per file and track)")
    settings = {**s, "technique": "tem", "command": mode, "paths": [str(p) for p in args.paths]}
    what = "spots" if mode == "fft" else "frame × track rows"
    return finish(args, rows, descs, settings, figs, failures, what)


def _fft(args) -> int:
    if args.output is None:
        from ..pipeline.adapters import slug

        args.output = Path(f"{slug(args.paths[0].stem)}_fft.csv")
    return _run(args, "fft")


def _dose_series(args) -> int:
    return _run(args, "dose-series")

