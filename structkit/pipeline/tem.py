"""The HRTEM technique in ``structkit run``: FFT d-spacings of images, or spots tracked along dose series.

TOML table ``[tem]`` (the names of the ``structkit tem fft|dose-series`` options, with ``_`` for ``-``;
every key but ``track`` in a dose series is optional)::

    [tem]
    inputs = ["tem/*.tif"]
    mode = "dose-series"           # "fft" (default): spots of one image; "dose-series": spots tracked frame by frame
    # reading (override the file's metadata)
    pixel_size_A = 0.25            # Å per pixel
    dose_per_frame = 2.0           # e/Å² per frame ...
    # dose_rate = 40.0             # ... or a dose rate in e/Å²/s, times the frame time
    # frame_time_s = 0.05          #     (from the file when it says: DM exposure, ImageJ finterval, FEI)
    # both modes
    region = [0, 512, 0, 512]      # [y0, y1, x0, x1] pixel box analysed (default: the whole image)
    window = "hann"                # "hann", "tukey" or "none"
    threshold = 5.0                # spot significance in σ (default 6 for fft, 5 per frame in a dose series)
    refine = "window"              # sub-pixel centre: "window", "gaussian" or "centroid"
    # mode = "dose-series" only:
    track = [4.5, 4.7]             # d-spacings (Å) to follow (required)
    angles = [30.0, 120.0]         # angle of each tracked spot (deg, [0, 180)), to choose among spots at that d
    d0 = [4.5, 4.7]                # unstrained d per track (one value: all; default: the D = 0 intercept)
    bin = 1                        # sum groups of frames first (very low doses per frame)
    drift_correct = true           # with a region, the box follows the drift of the specimen
    # mode = "fft" only (an error in a dose series, as the dose-series keys are with mode = "fft"):
    # cell = 4.7                   # index the spots: a (cubic), [a, b, c] or [a, b, c, alpha, beta, gamma]
    # d_min = 1.0                  # only spots with d in [d_min, d_max] (Å)
    # d_max = 12.0
    # frame = 0                    # the FFT of this frame ...
    # sum_frames = false           # ... or of the sum of all frames (a motion-uncorrected frame sum)
    figures = true
    sample = "Na2NH2BH4"           # overrides the sample of every file

One task per file. ``tem.csv`` gets one row per spot (``mode = "fft"``: the columns of
:meth:`~structkit.tem.FFTResult.to_frame`) or one row per frame and track (``mode = "dose-series"``:
``track, frame, dose_e_per_A2, d_angstrom, d_stderr_angstrom, strain, strain_stderr,
spot_intensity, spot_intensity_stderr, found, critical_dose_e_per_A2,
critical_dose_stderr_e_per_A2`` and the track's d0, strain rate and expansion at the final dose),
and the conditions of the file. Descriptors are those of the command line: per spot
``d_angstrom[i]``, ``angle_deg[i]``, ``superstructure``; per frame and track (condition
``dose_e_per_A2``) ``d_angstrom[<track>]``, ``strain[<track>]``, ``spot_intensity[<track>]`` and per
track ``d0_angstrom``, ``strain_rate_per_e_per_A2``, ``expansion_percent_final``,
``critical_dose_e_per_A2``. The summary of a dose series writes ``tem_tracks.csv`` (one row per
file and track, :func:`track_table`) and, when files of one sample differ by a condition
(``temperature_K`` for cryo against room temperature ...), lists each track's critical dose at
each value of that condition in the run's messages.

Examples
--------
>>> s = tem_settings({"mode": "dose-series", "track": [4.5], "dose_per_frame": 2.0}, where="c.toml [tem]")
>>> s["track"], s["threshold"], tem_read_kws(s)["dose_per_frame_e_per_A2"]
([4.5], 5.0, 2.0)
>>> TemAdapter().validate({"mode": "dose-series", "cell": 4.7}, where="c.toml [tem]")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: c.toml [tem] cell: indexes the spots of one FFT; it is for mode = "fft", not "dose-series"
>>> tem_settings({"track": [4.5]}, where="", option_names=True)
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: --track: follows spots through a dose series; it is for mode = "dose-series", not "fft"
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from ..core.errors import ConfigError, DataError
from ..core.settings import bool_setting, number_setting
from .adapters import (
    SummaryResult,
    TaskResult,
    TechniqueAdapter,
    check_keys,
    read_hints,
    register_adapter,
    save_and_close,
    slug,
)

__all__ = ["TemAdapter", "tem_settings", "tem_read_kws", "tem_fft_kws", "tem_series_kws", "read_tem_stack",
           "analyze_tem", "result_rows", "tem_figures", "track_table", "MODES"]

MODES = ("fft", "dose-series")
_READ_KEYS = ("pixel_size_A", "dose_per_frame", "dose_rate", "frame_time_s")
_COMMON_KEYS = ("region", "window", "threshold", "refine")
_FFT_KEYS = ("cell", "d_min", "d_max", "frame", "sum_frames")
_SERIES_KEYS = ("track", "angles", "d0", "bin", "drift_correct")
_KEYS = ("mode", *_READ_KEYS, *_COMMON_KEYS, *_FFT_KEYS, *_SERIES_KEYS, "figures", "sample")
_WINDOWS = ("hann", "tukey", "none")
_REFINE = ("window", "gaussian", "centroid")
#: Default spot threshold (σ) of each mode: that of analyze_fft and of dose_series.
THRESHOLDS = {"fft": 6.0, "dose-series": 5.0}
#: How the command line spells a key (``option_names=True``); the rest are ``--`` + the key with ``-``.
_OPTIONS = {"pixel_size_A": "--pixel-size-A", "sum_frames": "--sum", "angles": "--angle", "figures": "--no-figures",
            "drift_correct": "--no-drift-correct", "mode": "the sub-command"}
_WHY = {"cell": "indexes the spots of one FFT", "d_min": "limits the spots of one FFT",
        "d_max": "limits the spots of one FFT", "frame": "picks the frame of one FFT",
        "sum_frames": "makes one FFT of the frame sum", "track": "follows spots through a dose series",
        "angles": "picks the tracked spots of a dose series", "d0": "is the unstrained d of a dose series",
        "bin": "sums frames of a dose series", "drift_correct": "moves the region of a dose series with the drift"}

#: Per-track columns of a dose-series row (the same value in every frame of a track).
TRACK_VALUE_COLUMNS = ("critical_dose_e_per_A2", "critical_dose_stderr_e_per_A2", "d0_angstrom", "d0_stderr_angstrom",
                       "strain_rate_per_e_per_A2", "strain_rate_stderr_per_e_per_A2", "final_dose_e_per_A2",
                       "expansion_percent_final", "expansion_stderr_percent_final", "d_target_angstrom",
                       "track_angle_deg")
#: Columns of a dose-series row that are not conditions of the file.
_SERIES_ROW_COLUMNS = ("file", "sample", "track", "frame", "dose_e_per_A2", "d_angstrom", "d_stderr_angstrom",
                       "strain", "strain_stderr", "spot_intensity", "spot_intensity_stderr", "found", "snr",
                       *TRACK_VALUE_COLUMNS)
#: Columns of :func:`track_table` before the conditions.
TRACK_COLUMNS = ("file", "sample", "track", "d_target_angstrom", "track_angle_deg", "n_frames", "n_found",
                 "d0_angstrom", "d0_stderr_angstrom", "strain_rate_per_e_per_A2", "strain_rate_stderr_per_e_per_A2",
                 "final_dose_e_per_A2", "expansion_percent_final", "expansion_stderr_percent_final",
                 "critical_dose_e_per_A2", "critical_dose_stderr_e_per_A2")


# -- one settings checker for the command line and the campaign -------------------------------

def _label(key: str, option_names: bool) -> str:
    if not option_names:
        return key
    return _OPTIONS.get(key, "--" + key.replace("_", "-"))


def _clean(where: str, label: str, text: str) -> ConfigError:
    return ConfigError(f"{where} {label}: {text}".strip())


def _number(value, label, where, **kw):
    try:
        return number_setting({label: value}, label, where, **kw)
    except ConfigError as exc:
        raise ConfigError(exc.message.strip()) from None


def _bool(settings, key, lab, where, default) -> bool:
    try:
        return bool_setting({lab[key]: settings.get(key, default)}, lab[key], where, default)
    except ConfigError as exc:
        raise ConfigError(exc.message.strip()) from None


def _numbers(value, label, where, example, **kw) -> list[float]:
    """A number or a non-empty list of numbers, as a list."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
        raise _clean(where, label, f"must be a number or a list of numbers, e.g. {example}, got {value!r}")
    return [_number(v, label, where, **kw) for v in items]


def tem_settings(settings: Mapping, *, where: str, option_names: bool = False) -> dict:
    """Check and complete a ``[tem]`` table, or the options of ``structkit tem`` (see the module docstring).

    ``where`` prefixes every message (``"c.toml [tem]"``); with ``option_names`` the keys are
    named as the command line spells them (``--pixel-size-A``). Returns every key with its value
    or default (JSON-serialisable); ``threshold`` defaults to that of the mode.
    """
    check_keys(settings, _KEYS, where=where)
    s = settings
    lab = {k: _label(k, option_names) for k in _KEYS}
    mode = s.get("mode", "fft")
    if mode not in MODES:
        raise _clean(where, lab["mode"], f"must be \"fft\" or \"dose-series\", got {mode!r}")
    other = _SERIES_KEYS if mode == "fft" else _FFT_KEYS
    for key in other:
        if key in s and s[key] is not None:
            want = "dose-series" if mode == "fft" else "fft"
            raise _clean(where, lab[key], f"{_WHY[key]}; it is for mode = \"{want}\", not \"{mode}\"")
    out: dict = {"mode": mode}
    for key in _READ_KEYS:
        out[key] = None if s.get(key) is None else _number(s[key], lab[key], where, positive=True)
    if out["dose_per_frame"] is not None and out["dose_rate"] is not None:
        raise _clean(where, lab["dose_rate"], f"give either {lab['dose_per_frame']} or {lab['dose_rate']} "
                                              f"(with {lab['frame_time_s']}), not both")
    reg = s.get("region")
    if reg is not None:
        ok = (isinstance(reg, (list, tuple)) and len(reg) == 4
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                      and float(v).is_integer() and v >= 0 for v in reg))
        if not ok or not (reg[0] < reg[1] and reg[2] < reg[3]):
            raise _clean(where, lab["region"], f"must be [y0, y1, x0, x1] in pixels with y0 < y1 and x0 < x1, "
                                               f"e.g. [0, 512, 0, 512], got {reg!r}")
        reg = [int(v) for v in reg]
    out["region"] = reg
    win = s.get("window", "hann")
    win = "none" if win is None else (win.lower() if isinstance(win, str) else win)
    if win not in _WINDOWS:
        raise _clean(where, lab["window"], f"must be one of \"hann\", \"tukey\", \"none\", got {s.get('window')!r}")
    out["window"] = win
    out["threshold"] = (THRESHOLDS[mode] if s.get("threshold") is None
                        else _number(s["threshold"], lab["threshold"], where, positive=True))
    ref = s.get("refine", "window")
    if ref not in _REFINE:
        raise _clean(where, lab["refine"], f"must be one of \"window\", \"gaussian\", \"centroid\", got {ref!r}")
    out["refine"] = ref
    if mode == "fft":
        _fft_settings(s, out, lab, where)
    else:
        _series_settings(s, out, lab, where)
    out["figures"] = _bool(s, "figures", lab, where, True)
    if s.get("sample") is not None:
        out["sample"] = str(s["sample"])
    return out


def _fft_settings(s, out, lab, where) -> None:
    from ..tem import cell_d_spacing

    cell = s.get("cell")
    if cell is not None:
        items = list(cell) if isinstance(cell, (list, tuple)) else [cell]
        if len(items) not in (1, 3, 6) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in items):
            raise _clean(where, lab["cell"], "must be a (cubic), [a, b, c] or [a, b, c, alpha, beta, gamma] "
                                             f"(Å, degrees), got {cell!r}")
        value = float(items[0]) if len(items) == 1 else [float(v) for v in items]
        try:
            cell_d_spacing(value, (1, 0, 0))
        except ConfigError as exc:
            raise _clean(where, lab["cell"], exc.message) from None
        cell = value
    out["cell"] = cell
    for key in ("d_min", "d_max"):
        out[key] = None if s.get(key) is None else _number(s[key], lab[key], where, positive=True)
    if out["d_min"] is not None and out["d_max"] is not None and not out["d_min"] < out["d_max"]:
        raise _clean(where, lab["d_max"], f"must be larger than {lab['d_min']} ({out['d_min']:g} Å), "
                                          f"got {out['d_max']:g}")
    sum_frames = _bool(s, "sum_frames", lab, where, False)
    if sum_frames and s.get("frame") is not None:
        raise _clean(where, lab["frame"], f"the FFT is of one frame or of the sum of all ({lab['sum_frames']}), "
                                          "not both")
    out["sum_frames"] = sum_frames
    out["frame"] = 0 if s.get("frame") is None else _number(s["frame"], lab["frame"], where, integer=True, lo=0)


def _series_settings(s, out, lab, where) -> None:
    if s.get("track") is None:
        raise _clean(where, lab["track"], "missing; a dose series follows the spots at these d-spacings (Å), "
                                          + ("e.g. --track 4.5" if lab["track"].startswith("--")
                                             else "e.g. track = [4.5]"))
    track = _numbers(s["track"], lab["track"], where, "[4.5, 4.7]", positive=True)
    out["track"] = track
    angles = s.get("angles")
    if angles is not None:
        angles = _numbers(angles, lab["angles"], where, "[30.0, 120.0]", lo=0.0)
        if any(a >= 180.0 for a in angles):
            raise _clean(where, lab["angles"], f"angles of spots are in [0, 180) degrees, got {s['angles']!r}")
        if len(angles) != len(track):
            raise _clean(where, lab["angles"], f"needs one angle per tracked d ({len(track)}), got {len(angles)}")
    out["angles"] = angles
    d0 = s.get("d0")
    if d0 is not None:
        d0 = _numbers(d0, lab["d0"], where, "[4.5]", positive=True)
        if len(d0) not in (1, len(track)):
            raise _clean(where, lab["d0"], f"needs one value for all tracks or one per tracked d ({len(track)}), "
                                           f"got {len(d0)}")
    out["d0"] = d0
    out["bin"] = 1 if s.get("bin") is None else _number(s["bin"], lab["bin"], where, integer=True, lo=1)
    out["drift_correct"] = _bool(s, "drift_correct", lab, where, True)


def tem_read_kws(settings: Mapping) -> dict:
    """Keyword arguments of :func:`structkit.io.read_image` from checked settings (they override the file)."""
    return dict(pixel_size_angstrom=settings.get("pixel_size_A"),
                dose_per_frame_e_per_A2=settings.get("dose_per_frame"),
                dose_rate_e_per_A2_per_s=settings.get("dose_rate"), frame_time_s=settings.get("frame_time_s"))


def _window(settings):
    w = settings.get("window", "hann")
    return None if w in (None, "none") else w


def tem_fft_kws(settings: Mapping) -> dict:
    """Keyword arguments of :func:`structkit.tem.analyze_fft` from checked settings (``mode = "fft"``)."""
    s = settings
    return dict(cell=s.get("cell"), window=_window(s), region=s.get("region"), d_min_angstrom=s.get("d_min"),
                d_max_angstrom=s.get("d_max"), threshold=s.get("threshold", THRESHOLDS["fft"]),
                refine=s.get("refine", "window"))


def tem_series_kws(settings: Mapping) -> dict:
    """Keyword arguments of :func:`structkit.tem.dose_series` from checked settings (``mode = "dose-series"``)."""
    s = settings
    return dict(track=tuple(s["track"]), angles=None if s.get("angles") is None else tuple(s["angles"]),
                d0=None if s.get("d0") is None else tuple(s["d0"]), window=_window(s), region=s.get("region"),
                drift_correct=bool(s.get("drift_correct", True)), bin=int(s.get("bin", 1)),
                threshold=s.get("threshold", THRESHOLDS["dose-series"]), refine=s.get("refine", "window"))


# -- one file: read, analyse, rows, figures ---------------------------------------------------

def read_tem_stack(path, settings: Mapping, hints: Mapping | None = None):
    """The :class:`~structkit.core.image.ImageStack` of a file: the settings' calibration and dose
    override the file's; ``hints`` (a names rule) and ``settings["sample"]`` set sample and conditions."""
    from ..io import read_image

    h = read_hints(settings, hints)
    return read_image(path, **tem_read_kws(settings), sample=h.get("sample"), temperature_K=h.get("temperature_K"),
                      conditions=h.get("conditions"))


def analyze_tem(stack, settings: Mapping):
    """:func:`~structkit.tem.analyze_fft` (of a frame or of the frame sum) or
    :func:`~structkit.tem.dose_series`, as ``settings["mode"]`` says."""
    from ..tem import analyze_fft, dose_series

    if settings.get("mode", "fft") == "fft":
        if settings.get("sum_frames"):
            return analyze_fft(stack.summed(), **tem_fft_kws(settings))
        frame = int(settings.get("frame") or 0)
        if frame >= stack.n_frames:
            raise DataError(f"frame {frame} does not exist: the file holds {stack.n_frames} frame(s) "
                            f"(frames count from 0)", path=stack.source or None)
        return analyze_fft(stack, frame=frame, **tem_fft_kws(settings))
    return dose_series(stack, **tem_series_kws(settings))


def _is_series(result) -> bool:
    return hasattr(result, "tracks")


def result_rows(result, *, frames_summed: int = 1) -> list[dict]:
    """Rows of the main table (without ``file``): one per spot of an FFT, one per frame and track of a
    dose series (:meth:`to_frame` rows, the per-track values, then the file's conditions).

    ``frames_summed``: how many frames the FFT was of (1, or all of them for ``sum_frames``).
    """
    import numpy as np

    conds = dict(result.conditions)
    if not _is_series(result):
        head = ("spot", "d_angstrom", "d_stderr_angstrom", "angle_deg", "angle_stderr_deg", "intensity", "snr",
                "hkl", "superstructure")
        rows = []
        for rec in result.to_frame().to_dict("records"):
            row = {"sample": result.sample, **{k: rec[k] for k in head}}
            row.update({k: v for k, v in rec.items() if k not in head})
            row["frame"] = int(result.settings.get("frame", 0))
            row["frames_summed"] = int(frames_summed)
            rows.append(_with_conditions(row, conds))
        return rows
    per_track = {}
    for t in result.tracks:
        per_track[t.label] = {
            "critical_dose_e_per_A2": t.critical_dose_e_per_A2,
            "critical_dose_stderr_e_per_A2": t.critical_dose_stderr_e_per_A2,
            "d0_angstrom": t.d0_angstrom, "d0_stderr_angstrom": t.d0_stderr_angstrom,
            "strain_rate_per_e_per_A2": t.strain_rate_per_e_per_A2,
            "strain_rate_stderr_per_e_per_A2": t.strain_rate_stderr_per_e_per_A2,
            "final_dose_e_per_A2": t.final_dose_e_per_A2, "expansion_percent_final": t.final_expansion_percent,
            "expansion_stderr_percent_final": t.final_expansion_stderr_percent,
            "d_target_angstrom": t.d_target_angstrom, "track_angle_deg": t.angle_deg}
    snr = {t.label: (np.full(result.n_frames, np.nan) if t.snr is None else np.asarray(t.snr)) for t in result.tracks}
    rows = []
    for rec in result.to_frame().to_dict("records"):
        label, i = rec["track"], int(rec["frame"])
        row = {"sample": result.sample, "track": label, "frame": i}
        row.update({k: v for k, v in rec.items() if k not in row})
        row.update(per_track[label])
        row["snr"] = float(snr[label][i])
        rows.append(_with_conditions(row, conds))
    return rows


def _with_conditions(row: dict, conds: Mapping) -> dict:
    row.update({k: v for k, v in conds.items() if k not in row})
    return row


def tem_figures(result, stack, fig_dir, stem: str) -> list[str]:
    """Figures of one file: the FFT with its spots; or strain and spot intensity against the dose,
    and the FFT of frame 0 with the tracked spots. Returns the paths written."""
    fig_dir = Path(fig_dir)
    if not _is_series(result):
        return [save_and_close(result.plot(), fig_dir / f"{stem}_fft.png")]
    return [save_and_close(result.plot(), fig_dir / f"{stem}_series.png"),
            save_and_close(result.plot_fft(stack, 0), fig_dir / f"{stem}_fft0.png")]


def track_table(rows):
    """One row per file and track from the rows of dose series (a DataFrame or a list of dicts with
    ``file``): the track's d0, strain rate, expansion at the final dose and critical dose with their
    standard errors, the frames and the frames in which the spot was found, then the conditions."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    if frame.empty or "track" not in frame.columns:
        return pd.DataFrame(columns=list(TRACK_COLUMNS))
    conds = [c for c in frame.columns if c not in _SERIES_ROW_COLUMNS]
    out = []
    for (file, track), g in frame.groupby(["file", "track"], sort=False):
        first = g.iloc[0]
        row = {"file": file, "sample": first.get("sample", ""), "track": track,
               "n_frames": len(g), "n_found": int(g["found"].astype(bool).sum())}
        row.update({c: first[c] for c in TRACK_VALUE_COLUMNS if c in g.columns})
        row.update({c: first[c] for c in conds})
        out.append(row)
    t = pd.DataFrame(out)
    return t[[c for c in TRACK_COLUMNS if c in t.columns] + conds]


def _condition_messages(tracks) -> list[str]:
    """The critical dose of each track at each value of a condition that varies between the files of a
    sample (several files at one value: their inverse-variance weighted mean)."""
    import numpy as np

    conds = [c for c in tracks.columns if c not in TRACK_COLUMNS]
    conds.sort(key=lambda c: (c != "temperature_K", c))
    msgs = []
    for sample, g in tracks.groupby("sample", sort=True):
        for c in conds:
            if g[c].nunique(dropna=True) < 2:
                continue
            for track, h in g.groupby("track", sort=True):
                parts = []
                for v, k in h.groupby(c, sort=True):
                    dc = k["critical_dose_e_per_A2"].to_numpy(float)
                    se = k["critical_dose_stderr_e_per_A2"].to_numpy(float)
                    ok = np.isfinite(dc) & np.isfinite(se) & (se > 0)
                    vtxt = f"{v:g}" if isinstance(v, (int, float)) else str(v)
                    if not ok.any():
                        parts.append(f"{c} = {vtxt}: not determined")
                    elif ok.sum() == 1:
                        parts.append(f"{c} = {vtxt}: {dc[ok][0]:.3g} ± {se[ok][0]:.2g}")
                    else:                                   # several files at one value: inverse-variance mean
                        w = 1.0 / se[ok] ** 2
                        parts.append(f"{c} = {vtxt}: {np.sum(w * dc[ok]) / np.sum(w):.3g} ± "
                                     f"{1.0 / math.sqrt(np.sum(w)):.2g} (mean of {int(ok.sum())} files)")
                msgs.append(f"sample {sample!r}, track {track}: critical dose (e/Å²) at " + "; ".join(parts))
    return msgs


class TemAdapter(TechniqueAdapter):
    """HRTEM image -> FFT spots, or image series -> tracked spots, strain and critical dose (per file)."""

    name = "tem"
    table_name = "tem"
    version = "1"

    def validate(self, settings: dict, *, where: str) -> dict:
        return tem_settings(settings, where=where)

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        path = Path(path)
        stack = read_tem_stack(path, settings, hints)
        r = analyze_tem(stack, settings)
        rows = result_rows(r, frames_summed=stack.n_frames if settings.get("sum_frames") else 1)
        msgs = []
        if _is_series(r):                  # the series' own notes (drift) once, not again under every track
            msgs = [f"{path.name}: {m}" for m in r.messages]
            msgs += [f"{path.name}: {t.label}: {m}" for t in r.tracks for m in t.messages if m not in r.messages]
        figs = tem_figures(r, stack, figure_dir, slug(path.stem)) if settings.get("figures", True) else []
        return TaskResult(rows=rows, descriptors=r.descriptors(), figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path) -> SummaryResult:
        if settings.get("mode", "fft") != "dose-series":
            return SummaryResult()
        tracks = track_table([row for res in results for row in res.rows])
        if tracks.empty:
            return SummaryResult(messages=["no dose series analysed: no track summary"])
        tracks["sample"] = tracks["sample"].fillna("").astype(str)
        return SummaryResult(tables={"tem_tracks": tracks}, messages=_condition_messages(tracks))


register_adapter(TemAdapter())
