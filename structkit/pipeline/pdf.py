"""The PDF technique in ``structkit run``: each G(r) (or raw pattern) to shell, order and small-box descriptors.

TOML table ``[pdf]`` (the names of the ``structkit pdf series`` options, with ``_`` for ``-``)::

    [pdf]
    inputs = ["pdf/*.gr"]            # G(r) files; raw patterns need [pdf.reduce]
    mode = "xray"                    # or "neutron" (weights)
    qmax = 20.0                      # Å⁻¹; default the file header's
    windows = [[2.0, 2.75], [3.0, 3.7]]   # shell fits, Å
    npeaks = 1                       # per window (a list: one per window)
    labels = ["Ta-Cl", "Cl-Cl edge"] # one per peak
    pairs = ["Ta-Cl"]                # pair type per peak (partial CN; needs composition)
    same_width = false
    composition = "NaTaCl6"
    rho0 = 0.0279                    # atoms/Å³: G is absolute, areas are CNs
    envelope = "sphere"              # or "exponential"; the fit range envelope_range = [4, 40]
    envelope_reference = "bulk.gr"   # size-free G(r) of the same structure (optional)
    mid_range = [5.0, 20.0]          # integrated |G(r)|; mid_range_reference = "NTC-0h.gr" adds the ratio
    structure = ["NTC.cif"]          # small-box fit (CIF or .stru), over fit_range = [10, 20]
    refine = ["scale", "lattice", "uiso", "delta2", "qdamp"]
    figures = true
    [pdf.reduce]                     # optional: inputs are raw I(2θ)/I(Q) patterns
    background = "pdf/kapton.xy"
    bkg_scale = 0.95
    wavelength = 0.2095              # Å, when the files do not say
    qmin = 0.8                       # and qmax, qmax_inst, rpoly, lorch, scale_r_range, rmax, rstep, radiation
    composition / rho0 default to [pdf]'s

Each file is one task; the small-box fits are not chained across files here (use
``structkit pdf series`` for a sequential refinement). Every processing parameter is recorded in
``provenance.json`` through the validated settings.
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

__all__ = ["PdfAdapter"]

_KEYS = ("mode", "qmax", "windows", "npeaks", "labels", "pairs", "same_width", "composition", "rho0", "envelope",
         "envelope_range", "envelope_reference", "mid_range", "mid_range_reference", "structure", "fit_range",
         "refine", "start", "qdamp", "figures", "reduce", "sample")
_REDUCE_NUMBERS = {"bkg_scale": (False, 0.0), "wavelength": (True, None), "qmin": (False, 0.0), "qmax": (True, None),
                   "qmax_inst": (True, None), "rpoly": (True, None), "rho0": (True, None), "rmin": (False, 0.0),
                   "rmax": (True, None), "rstep": (True, None)}
_REDUCE_KEYS = (*_REDUCE_NUMBERS, "background", "composition", "lorch", "scale_r_range", "radiation")


def _strings(raw, key: str, where: str) -> list[str]:
    v = raw[key]
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise ConfigError(f"{where} {key}: must be a string or a list of strings")
    return list(v)


def _reduce_settings(raw, where: str, base_dir, outer: dict) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table, e.g. [pdf.reduce]")
    check_keys(raw, _REDUCE_KEYS, where=where)
    out = {k: number_setting(raw, k, where, positive=pos, lo=lo) for k, (pos, lo) in _REDUCE_NUMBERS.items() if k in raw}
    if "background" in raw:
        out["background"] = str(file_setting(raw["background"], "background", where, base_dir))
    if "scale_r_range" in raw:
        out["scale_r_range"] = list(range_setting(raw, "scale_r_range", where))
    out["lorch"] = bool_setting(raw, "lorch", where, False)
    out["radiation"] = choice_setting(raw, "radiation", where, ("xray", "neutron"), outer.get("mode", "xray"))
    comp = raw.get("composition", outer.get("composition"))
    if not isinstance(comp, str) or not comp.strip():
        raise ConfigError(f"{where} composition: the reduction needs the formula (here or in [pdf])")
    out["composition"] = comp
    if "rho0" not in out and "rho0" in outer:
        out["rho0"] = outer["rho0"]
    return out


def pdf_settings(settings: dict, *, where: str, base_dir=None) -> dict:
    """Check and complete the ``[pdf]`` table (see the module docstring); JSON-serialisable."""
    check_keys(settings, _KEYS, where=where)
    s = settings
    out: dict = {"mode": choice_setting(s, "mode", where, ("xray", "neutron"), "xray"),
                 "figures": bool_setting(s, "figures", where, True),
                 "same_width": bool_setting(s, "same_width", where, False)}
    for key in ("qmax", "rho0", "qdamp"):
        if key in s:
            out[key] = number_setting(s, key, where, positive=key != "qdamp", lo=0.0)
    if "windows" in s:
        w = s["windows"]
        if not isinstance(w, list) or not w:
            raise ConfigError(f"{where} windows: must be a list of [LO, HI] pairs in Å, e.g. [[2.0, 2.75]]")
        out["windows"] = [list(range_setting({"windows": x}, "windows", where)) for x in w]
    if "npeaks" in s:
        n = s["npeaks"]
        ns = n if isinstance(n, list) else [n]
        out["npeaks"] = [int(number_setting({"npeaks": x}, "npeaks", where, integer=True, lo=1, hi=6)) for x in ns]
        if isinstance(n, list) and len(ns) != len(out.get("windows", [])):
            raise ConfigError(f"{where} npeaks: a list needs one number per window")
    for key in ("labels", "pairs", "refine", "structure"):
        if key in s:
            out[key] = _strings(s, key, where)
    if "structure" in out:
        out["structure"] = [str(file_setting(p, "structure", where, base_dir)) for p in out["structure"]]
    for key in ("envelope_reference", "mid_range_reference"):
        if key in s:
            out[key] = str(file_setting(s[key], key, where, base_dir))
    for key in ("envelope_range", "mid_range", "fit_range"):
        if key in s:
            out[key] = list(range_setting(s, key, where))
    if "envelope" in s:
        out["envelope"] = choice_setting(s, "envelope", where, ("sphere", "exponential"))
    if "composition" in s:
        if not isinstance(s["composition"], str):
            raise ConfigError(f"{where} composition: must be a formula, e.g. \"NaTaCl6\"")
        out["composition"] = s["composition"]
    if "start" in s:
        st = s["start"]
        if not isinstance(st, dict):
            raise ConfigError(f"{where} start: must be a table of name = value, e.g. {{ qdamp = 0.03 }}")
        out["start"] = {k: number_setting(st, k, f"{where}.start") for k in st}
    if "sample" in s:
        out["sample"] = str(s["sample"])
    if "reduce" in s:
        out["reduce"] = _reduce_settings(s["reduce"], f"{where}.reduce", base_dir, out)
    out.setdefault("mid_range", [5.0, 20.0])
    return out


def _labels(settings: dict) -> list | None:
    labels = settings.get("labels")
    if labels is None:
        return None
    windows = settings.get("windows", [])
    npk = settings.get("npeaks", [1])
    per = npk if len(npk) == len(windows) else [npk[0]] * len(windows)
    out, i = [], 0
    for n in per:
        out.append(labels[i:i + n] or None)
        i += n
    return out


class PdfAdapter(TechniqueAdapter):
    """G(r) (or a raw pattern, reduced) -> shell fits, envelope, mid-range order, small-box fit (per file)."""

    name = "pdf"
    table_name = "pdf"
    version = "1"

    def validate(self, settings: dict, *, where: str, base_dir=None) -> dict:
        return pdf_settings(settings, where=where, base_dir=base_dir)

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        from ..io import read
        from ..pdf.series import analyse_pdf
        from ..pdf.structure import Phase

        path = Path(path)
        s = settings
        m = read(path, **read_hints(s, hints))
        figs, msgs = [], []
        tag = slug(path.stem)
        row_extra = {}
        if "reduce" in s:
            from ..pdf.reduce import reduce_pdf
            r = dict(s["reduce"])
            bkg = read(r.pop("background")) if "background" in r else None
            if "scale_r_range" in r:
                r["scale_r_range"] = tuple(r["scale_r_range"])
            lorch = r.pop("lorch")
            red = reduce_pdf(m, background=bkg, lorch_window=lorch, **r)
            m = red.to_measurement()
            row_extra = {"reduce_scale": red.scale, "reduce_degree": red.settings["degree"]}
            if s["figures"]:
                figs.append(save_and_close(red.plot(), Path(figure_dir) / f"{tag}_reduction.png"))
        phases = None
        if "structure" in s:
            phases = [Phase.from_file(p) for p in s["structure"]]
        env_ref = read(s["envelope_reference"]) if "envelope_reference" in s else None
        mid_ref = read(s["mid_range_reference"]) if "mid_range_reference" in s else None
        npk = s.get("npeaks", [1])
        a = analyse_pdf(m, windows=s.get("windows"), npeaks=npk if len(npk) > 1 else npk[0], labels=_labels(s),
                        same_width=s["same_width"], pairs=s.get("pairs"), composition=s.get("composition"),
                        rho0=s.get("rho0"), qmax=s.get("qmax"), mode=s["mode"], envelope=s.get("envelope"),
                        envelope_range=tuple(s.get("envelope_range", (3.0, None))), envelope_reference=env_ref,
                        mid_range=tuple(s["mid_range"]), mid_range_reference=mid_ref, phases=phases,
                        fit_range=tuple(s["fit_range"]) if "fit_range" in s else None,
                        refine=tuple(s.get("refine", ("scale", "lattice", "uiso", "delta2", "qdamp"))),
                        start=s.get("start"), qdamp=s.get("qdamp", 0.0))
        descs = a.descriptors()
        row = {"sample": m.sample, **dict(m.conditions), **row_extra,
               **{d.name: d.value for d in descs}, "failed_steps": "; ".join(st for st, _ in a.failures)}
        for step, msg in a.failures:
            msgs.append(f"{path.name}: {step} failed: {msg}")
        if s["figures"]:
            figs.append(save_and_close(a.plot(), Path(figure_dir) / f"{tag}_pdf.png"))
        if m.temperature_K is None and not any(k != "temperature_K" for k in m.conditions):
            msgs.append(f"{path.name}: no temperature or other condition found (file name, header or sidecar); "
                        "its descriptors join σ at [join] temperature_K")
        return TaskResult(rows=[row], descriptors=descs, figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path) -> SummaryResult:
        return SummaryResult()


register_adapter(PdfAdapter())
