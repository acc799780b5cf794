"""The XAS technique in ``structkit run``: each spectrum to edge, χ(R), wavelet and shell-fit descriptors.

TOML table ``[xas]`` (the names of the ``structkit xas`` options, with ``_`` for ``-``)::

    [xas]
    inputs = ["xas/*.xdi", "xas/*.prj"]   # every group of an Athena project is a spectrum
    sample = "NTC"                 # optional: when the files do not say (not for .prj: the group labels)
    figures = true
    # normalization (larch pre_edge); all optional
    e0_method = "derivative"       # or "half_step"; or e0 = 9881.0 to fix it
    pre1 = -150.0                  # eV from E0, and pre2, norm1, norm2, nnorm
    white_line_window = [0, 30]    # eV from E0
    pre_edge_window = [1070, 1077] # absolute eV: fit pre-edge peaks there (XANES)
    pre_edge_peaks = 1
    exafs = true                   # false: XANES only (no autobk, FT, wavelet or fit)
    # background (larch autobk)
    rbkg = 1.0
    bkg_kweight = 2
    clamp_lo = 0                   # and clamp_hi, bkg_kmax
    # Fourier transform; |chi(R)| peaks are NOT phase-corrected
    kmin = 3.0
    kmax = 14.0                    # default: end of data
    kweight = 2
    dk = 1.0
    window = "hanning"
    peaks = 3                      # |chi(R)| maxima reported, searched in [rmin, rmax]
    rmin = 0.8
    rmax = 6.0
    [xas.wavelet]                  # optional
    kind = "morlet"                # or "cauchy"
    r_windows = [[1.2, 2.4], [3.8, 4.8]]
    eta = 6.0                      # Morlet only; and sigma
    rmax_out = 6.0
    [xas.fit]                      # optional: FEFF shell fit of each spectrum
    paths = ["feff/feff0001.dat"]  # relative to the campaign file
    rmin = 1.0                     # fit R range, Å
    rmax = 3.0
    window = "kaiser"              # the fit's k window (kmin, kmax, kweight, dk from [xas])
    fit_n = false                  # refine N per path with S0² held at s02
    s02 = 0.9                      # start (or held value with fit_n)
    third = false                  # C3 per path
    expansion = false              # ΔR = alpha·reff

Each file is one task (a temperature series fitted together with a shared
σ²(T) model is ``structkit xas fit --sigma2-model``). Every processing
parameter goes into the per-file row's settings in ``provenance.json`` through
the validated settings, and the spectrum's own numbers (E0 found, k range
used) into its row of ``xas.csv``.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ConfigError
from ..core.settings import bool_setting, choice_setting, file_setting, number_setting, range_setting
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

__all__ = ["XasAdapter"]

_WINDOWS = ("hanning", "kaiser", "parzen", "welch", "sine", "gaussian")
_NUMBERS = {  # key: (positive, integer, lo, hi)
    "e0": (True, False, None, None), "pre1": (False, False, None, 0.0), "pre2": (False, False, None, 0.0),
    "norm1": (False, False, None, None), "norm2": (False, False, None, None), "nnorm": (False, True, 0, 3),
    "pre_edge_peaks": (True, True, 1, 4), "rbkg": (True, False, None, None), "bkg_kweight": (False, False, 0, 3),
    "bkg_kmax": (True, False, None, None), "clamp_lo": (False, False, 0, None), "clamp_hi": (False, False, 0, None),
    "kmin": (False, False, 0, None), "kmax": (True, False, None, None), "kweight": (False, False, 0, 3),
    "dk": (False, False, 0, None), "peaks": (True, True, 1, 10), "rmin": (False, False, 0, None),
    "rmax": (True, False, None, None),
}
_DEFAULTS = {"e0_method": "derivative", "white_line_window": (0.0, 30.0), "pre_edge_peaks": 1, "exafs": True,
             "rbkg": 1.0, "bkg_kweight": 2.0, "kmin": 3.0, "kweight": 2.0, "dk": 1.0, "window": "hanning",
             "peaks": 3, "rmin": 0.8, "rmax": 6.0}
_OTHER = ("sample", "figures", "e0_method", "white_line_window", "pre_edge_window", "exafs", "window",
          "wavelet", "fit")
_WAVELET_NUMBERS = {"eta": (True, False, None, None), "sigma": (True, False, None, None),
                    "rmax_out": (True, False, None, None), "order": (True, True, 1, None),
                    "kweight": (False, False, 0, 3)}
_FIT_NUMBERS = {"rmin": (False, False, 0, None), "rmax": (True, False, None, None),
                "s02": (True, False, None, None)}
_FIT_FLAGS = ("fit_n", "third", "expansion")


def _numbers(raw: dict, spec: dict, where: str) -> dict:
    return {k: number_setting(raw, k, where, positive=p, integer=i, lo=lo, hi=hi)
            for k, (p, i, lo, hi) in spec.items() if k in raw}


def _wavelet_settings(raw, where: str) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table, e.g. [xas.wavelet]")
    check_keys(raw, ("kind", "r_windows", *_WAVELET_NUMBERS), where=where)
    out = {"kind": choice_setting(raw, "kind", where, ("cauchy", "morlet"), "morlet"),
           **_numbers(raw, _WAVELET_NUMBERS, where)}
    if out["kind"] == "cauchy" and ({"eta", "sigma"} & set(out)):
        raise ConfigError(f"{where} eta/sigma: Morlet parameters; the Cauchy wavelet takes order")
    if out["kind"] == "morlet" and "order" in out:
        raise ConfigError(f"{where} order: a Cauchy parameter; the Morlet wavelet takes eta and sigma")
    windows = raw.get("r_windows", [[1.0, 3.0]])
    if not isinstance(windows, list) or not windows:
        raise ConfigError(f"{where} r_windows: must be a list of [LO, HI] pairs, e.g. [[1.2, 2.4]]")
    out["r_windows"] = [list(range_setting({"r_windows": w}, "r_windows", where)) for w in windows]
    return out


def _fit_settings(raw, where: str, base_dir) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table, e.g. [xas.fit]")
    check_keys(raw, ("paths", "window", *_FIT_NUMBERS, *_FIT_FLAGS), where=where)
    paths = raw.get("paths")
    if not isinstance(paths, list) or not paths:
        raise ConfigError(f"{where} paths: must list at least one FEFF path file, e.g. [\"feff/feff0001.dat\"]")
    out = {"paths": [str(file_setting(p, "paths", where, base_dir)) for p in paths],
           "window": choice_setting(raw, "window", where, _WINDOWS, "kaiser"),
           "rmin": 1.0, "rmax": 3.0, **_numbers(raw, _FIT_NUMBERS, where)}
    out.update({k: bool_setting(raw, k, where, False) for k in _FIT_FLAGS})
    if not out["rmin"] < out["rmax"]:
        raise ConfigError(f"{where} rmin/rmax: need rmin < rmax, got {out['rmin']:g} and {out['rmax']:g}")
    return out


def xas_settings(settings: dict, *, where: str, base_dir=None) -> dict:
    """Check and complete the ``[xas]`` table (see the module docstring); JSON-serialisable."""
    check_keys(settings, (*_NUMBERS, *_OTHER), where=where)
    out = {**_DEFAULTS, **_numbers(settings, _NUMBERS, where)}
    out["e0_method"] = choice_setting(settings, "e0_method", where, ("derivative", "half_step"), "derivative")
    out["window"] = choice_setting(settings, "window", where, _WINDOWS, "hanning")
    out["figures"] = bool_setting(settings, "figures", where, True)
    out["exafs"] = bool_setting(settings, "exafs", where, True)
    for key in ("white_line_window", "pre_edge_window"):
        if key in settings:
            out[key] = range_setting(settings, key, where)
    if "sample" in settings:
        out["sample"] = str(settings["sample"])
    for lo, hi in (("pre1", "pre2"), ("norm1", "norm2"), ("kmin", "kmax"), ("rmin", "rmax")):
        if lo in out and hi in out and not out[lo] < out[hi]:
            raise ConfigError(f"{where} {lo}/{hi}: need {lo} < {hi}, got {out[lo]:g} and {out[hi]:g}")
    if "wavelet" in settings:
        out["wavelet"] = _wavelet_settings(settings["wavelet"], f"{where}.wavelet")
    if "fit" in settings:
        out["fit"] = _fit_settings(settings["fit"], f"{where}.fit", base_dir)
    if not out["exafs"] and ("wavelet" in out or "fit" in out):
        raise ConfigError(f"{where} exafs: false leaves no chi(k) for [xas.wavelet] or [xas.fit]; remove them "
                          "or set exafs = true")
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}


def _spectra(path: Path, settings: dict, hints=None) -> list:
    from ..io import read, read_athena_project

    if path.suffix.lower() == ".prj":      # each group is named by its Athena label
        return list(read_athena_project(path))
    return [read(path, **read_hints(settings, hints))]


def _one_spectrum(m, settings: dict, figure_dir: Path, tag: str, notes: list) -> tuple[dict, list, list]:
    """normalize -> (pre-edge peaks) -> autobk -> FT -> (wavelet) -> (shell fit) of one spectrum."""
    import matplotlib.pyplot as plt

    from ..xas.exafs import extract_exafs
    from ..xas.normalize import normalize

    s = settings
    norm_kws = {k: s[k] for k in ("e0", "pre1", "pre2", "norm1", "norm2", "nnorm") if k in s}
    res = normalize(m, e0_method=s["e0_method"], white_line_window=tuple(s["white_line_window"]), **norm_kws)
    row = {"sample": m.sample, **dict(m.conditions), "e0_eV": res.e0, "e0_derivative_eV": res.e0_derivative,
           "e0_half_step_eV": res.e0_half_step, "edge_step": res.edge_step,
           "white_line_energy_eV": res.white_line_energy, "white_line_height": res.white_line_height}
    descs = list(res.descriptors())
    panels = [res.plot]
    if "pre_edge_window" in s:
        from ..xas.xanes import fit_pre_edge
        pre = fit_pre_edge(res, window=tuple(s["pre_edge_window"]), n_peaks=s["pre_edge_peaks"])
        descs.extend(pre.descriptors())
        row.update({d.name: d.value for d in pre.descriptors()})
        panels.append(pre.plot)
    wt = fit = None
    if s["exafs"]:
        bkg = {k: s[k] for k in ("clamp_lo", "clamp_hi") if k in s}
        ex = extract_exafs(res, rbkg=s["rbkg"], kweight=s["bkg_kweight"], kmax=s.get("bkg_kmax"), **bkg)
        ft = ex.fourier(kmin=s["kmin"], kmax=s.get("kmax"), kweight=s["kweight"], dk=s["dk"], window=s["window"])
        ft_descs = ft.descriptors(rmin=s["rmin"], rmax=s["rmax"], n=s["peaks"])
        descs.extend(ft_descs)
        row.update({"kmax_data": ex.kmax_data, "ft_kmax": ft.settings["kmax"]})
        row.update({d.name: d.value for d in ft_descs})
        panels += [lambda ax: ex.plot(ax=ax, kweight=s["kweight"]), lambda ax: ft.plot(ax=ax, rmax=s["rmax"])]
        if "wavelet" in s:
            w = dict(s["wavelet"])
            kind, windows = w.pop("kind"), [tuple(x) for x in w.pop("r_windows")]
            w.setdefault("kweight", s["kweight"])
            wt = ex.wavelet(kind, **w)
            wdescs = wt.descriptors(r_windows=windows)
            descs.extend(wdescs)
            row.update({d.name: d.value for d in wdescs})
            for _, mx in wt.maxima(windows).iterrows():
                row[f"wt_on_edge[{mx['r_window']}]"] = bool(mx["on_edge"])
                if mx["on_edge"]:
                    notes.append(f"{tag}: the wavelet maximum in R window {mx['r_window']} lies on the window's "
                                 "limit or the cone of influence (a flank, not a peak)")
        if "fit" in s:
            fit = _shell_fit(ex, s)
            descs.extend(fit.descriptors())
            row.update({d.name: d.value for d in fit.descriptors()})
            row.update({"fit_rfactor": fit.rfactor, "fit_n_idp": fit.n_idp, "fit_chi2_reduced": fit.chi2_reduced})
    figs = []
    if s["figures"]:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8), constrained_layout=True,
                                 squeeze=False)
        for ax, draw in zip(axes[0], panels):
            draw(ax=ax)
        figs.append(save_and_close(fig, figure_dir / f"{tag}_xas.png"))
        if wt is not None:
            figs.append(save_and_close(wt.plot(r_windows=[tuple(x) for x in s["wavelet"]["r_windows"]]),
                                       figure_dir / f"{tag}_wavelet.png"))
        if fit is not None:
            figs.append(save_and_close(fit.plot()[0].figure, figure_dir / f"{tag}_fit.png"))
    return row, descs, figs


def _shell_fit(ex, s: dict):
    from ..xas.shells import fit_shells, standard_models

    f = s["fit"]
    models, variables = standard_models(f["paths"], fit_n=f["fit_n"], s02=f.get("s02"), third=f["third"],
                                        expansion=f["expansion"])
    return fit_shells(ex, models, variables=variables, kmin=s["kmin"], kmax=s.get("kmax"), kweight=s["kweight"],
                      dk=s["dk"], window=f["window"], rmin=f["rmin"], rmax=f["rmax"])


class XasAdapter(TechniqueAdapter):
    """μ(E) -> E0, edge step, white line, |χ(R)| peaks, wavelet maxima and shell fit (per file)."""

    name = "xas"
    table_name = "xas"
    version = "1"

    def validate(self, settings: dict, *, where: str, base_dir=None) -> dict:
        return xas_settings(settings, where=where, base_dir=base_dir)

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        path = Path(path)
        spectra = _spectra(path, settings, hints)
        rows, descs, figs, msgs = [], [], [], []
        for i, m in enumerate(spectra):
            tag = slug(path.stem if len(spectra) == 1 else f"{path.stem}_{m.sample or i + 1}")
            row, d, f = _one_spectrum(m, settings, Path(figure_dir), tag, msgs)
            rows.append({"file": str(path), **({"group": m.sample} if len(spectra) > 1 else {}), **row})
            descs += d
            figs += f
            if m.temperature_K is None and not any(k != "temperature_K" for k in m.conditions):
                msgs.append(f"{path.name}: no temperature or other condition found (file name, header or "
                            "sidecar); its descriptors join σ at [join] temperature_K")
        return TaskResult(rows=rows, descriptors=descs, figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path) -> SummaryResult:
        return SummaryResult()


register_adapter(XasAdapter())
