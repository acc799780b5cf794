"""The QENS technique in ``structkit run``: one global (Q, E) fit per temperature, the Arrhenius of τ per sample.

TOML table ``[qens]`` (the names of the ``structkit qens fit`` options, with ``_`` for ``-``)::

    [qens]
    inputs = ["qens/LLZO_*K.txt"]      # reduced S(Q, E), one file per temperature
    resolution = "qens/vanadium.txt"   # vanadium (or elastic) run, relative to the campaign file ...
    resolution_model = "tabulated"     # ... used as tabulated (default), gaussian or multi-gaussian
    # resolution_fwhm = 0.22           # ... or an analytic Gaussian resolution, FWHM in meV
    model = "jump-rotation:n=3"        # jump-rotation:n=N, two-site, isotropic-rotation, fick, chudley-elliott,
                                       # singwi-sjolander, hall-ross
    libration = false                  # add a libration (Debye-Waller <u2> and a broad line)
    immobile_fraction = "fit"          # "fit" (default), "none" (0) or a held value in [0, 1)
    scale = "per_q"                    # or "global"
    fix = { radius_angstrom = 1.7 }    # held parameters
    energy_range = [-1.5, 1.5]         # meV
    q_range = [0.5, 2.0]               # 1/Å
    background = "flat"                # or "linear", "none"
    # reading
    q = [0.5, 0.8, 1.1]                # Q of each group (1/Å) for files that do not state it
    energy_unit = "ueV"                # when the file does not say (default meV)
    energy_sign = 1                    # -1 for files whose positive energies are neutron energy gain
    detailed_balance = false           # symmetrise S(Q, E) with exp(-E/2kT) first
    figures = true
    sample = "LLZO"                    # overrides the sample of every file

Each file is fitted on its own (``structkit qens fit`` without ``--global``), so tasks run in
parallel; the joint fit of all temperatures with shared parameters stays a command-line job
(``structkit qens fit --global``). ``qens.csv`` gets one row per file (the columns of
:meth:`~structkit.qens.GlobalFitResult.to_frame`: ``temperature_K, law, tau_ps, tau_stderr_ps,
radius_angstrom ...``) and the descriptors are those of the command line (``tau_ps``,
``radius_angstrom``, ``immobile_fraction``, ``hwhm1_meV`` ...). The summary fits
τ = τ0·exp(Ea/k_B T) per sample over its converged temperatures (at least three;
:func:`structkit.qens.arrhenius_tau`, one regime, so no breakpoints) and, with ``libration``,
the libration time: tables ``qens_arrhenius`` and ``qens_tau``, descriptors ``ea_tau_eV``,
``tau0_ps`` (and ``ea_libration_eV``, ``libration_tau0_ps``).

Examples
--------
>>> immobile_fraction_value("fit"), immobile_fraction_value("none"), immobile_fraction_value("0.2")
(True, False, 0.2)
>>> QensAdapter().validate({"resolution_fwhm": 0.22, "model": "jump-rotation:n=4",
...                         "fix": {"tau": 3.0}}, where="c.toml [qens]")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: c.toml [qens] fix: cannot hold 'tau'; the parameters are immobile_fraction, radius_angstrom, tau_ps
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping
from pathlib import Path

from ..core.errors import ConfigError, FitError, StructkitError
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

__all__ = ["QensAdapter", "immobile_fraction_value", "qens_fit_kws", "qens_resolution", "qens_settings",
           "read_qens_data"]

_KEYS = ("resolution", "resolution_fwhm", "resolution_model", "model", "libration", "immobile_fraction", "scale",
         "fix", "energy_range", "q_range", "background", "energy_unit", "energy_sign", "detailed_balance", "q",
         "figures", "sample")
DEFAULT_MODEL = "jump-rotation:n=3"
RESOLUTION_MODELS = ("tabulated", "gaussian", "multi-gaussian")
_EXTRA_PARAMS = ("immobile_fraction", "u2_A2", "libration_hwhm_meV")


# -- one definition for the command line and the campaign ----------------------------------

def immobile_fraction_value(value) -> bool | float:
    """``"fit"`` -> True (fitted), ``"none"`` -> False (0), a number -> that value (held).

    Raises ValueError for anything else; the caller names the option.
    """
    key = str(value).strip().lower()
    if key in ("fit", "none"):
        return key == "fit"
    if isinstance(value, bool):
        raise ValueError(f"not a fraction: {value!r}")
    return float(value)


def read_qens_data(path, *, q=None, energy_unit: str | None = None, energy_sign: int = 1,
                   detailed_balance: bool = False, sample: str | None = None, temperature_K: float | None = None):
    """One file of reduced S(Q, E) as :class:`~structkit.qens.QENSData` (:func:`structkit.io.read_qens`).

    ``sample`` and ``temperature_K`` override the file's; ``detailed_balance`` symmetrises
    S(Q, E) with exp(-E/2kT) (it needs the temperature).
    """
    from ..io import read_qens
    from ..qens import QENSData

    ms = read_qens(path, q=q, energy_unit=energy_unit, energy_sign=energy_sign, sample=sample,
                   temperature_K=temperature_K)
    d = QENSData.from_measurements(ms)
    return d.symmetrized() if detailed_balance else d


def qens_resolution(*, resolution=None, resolution_fwhm: float | None = None, resolution_model: str = "tabulated",
                    q=None, energy_unit: str | None = None, energy_sign: int = 1):
    """The :class:`~structkit.qens.Resolution`: a vanadium file read like the data, or a Gaussian FWHM (meV)."""
    from ..io import read_qens
    from ..qens import QENSData, Resolution

    if (resolution is None) == (resolution_fwhm is None):
        raise ConfigError("give exactly one resolution: a vanadium file (resolution) or a Gaussian FWHM in meV "
                          "(resolution_fwhm)")
    if resolution_fwhm is not None:
        return Resolution.gaussian(resolution_fwhm)
    ms = read_qens(resolution, q=q, energy_unit=energy_unit, energy_sign=energy_sign)
    return Resolution.from_vanadium(QENSData.from_measurements(ms), model=resolution_model)


def qens_fit_kws(settings: Mapping) -> dict:
    """Keyword arguments of :func:`structkit.qens.fit_global` / ``fit_temperatures`` from the settings.

    ``immobile_fraction`` is True, False or a number (see :func:`immobile_fraction_value`);
    ``fix`` a mapping name -> held value.
    """
    s = settings
    return dict(immobile_fraction=s.get("immobile_fraction", True), libration=bool(s.get("libration", False)),
                scale=s.get("scale", "per_q"), background=s.get("background", "flat"),
                energy_range=s.get("energy_range"), q_range=s.get("q_range"), fixed=dict(s.get("fix") or {}))


# -- the [qens] table ---------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def qens_settings(settings: Mapping, *, where: str, base_dir=None) -> dict:
    """Check and complete a ``[qens]`` table (see the module docstring); JSON-serialisable."""
    from ..qens import parse_law

    check_keys(settings, _KEYS, where=where)
    s = settings
    out: dict = {}
    if ("resolution" in s) == ("resolution_fwhm" in s):
        raise ConfigError(f"{where} resolution: give exactly one of resolution (a vanadium file, relative to the "
                          "campaign file) or resolution_fwhm (a Gaussian FWHM in meV)")
    if "resolution" in s:
        path = file_setting(s["resolution"], "resolution", where, base_dir)
        out["resolution"] = str(path)
        out["resolution_sha256"] = _sha256(path)
        out["resolution_model"] = choice_setting(s, "resolution_model", where, RESOLUTION_MODELS, "tabulated")
    else:
        if "resolution_model" in s:
            raise ConfigError(f"{where} resolution_model: says how a vanadium file is used; with resolution_fwhm "
                              "the resolution is a Gaussian, so drop it")
        out["resolution_fwhm"] = number_setting(s, "resolution_fwhm", where, positive=True)
    model = s.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model.strip():
        raise ConfigError(f"{where} model: must be a scattering law, e.g. \"jump-rotation:n=3\", got {model!r}")
    try:
        law = parse_law(model)
    except StructkitError as exc:
        raise ConfigError(f"{where} model: {exc.message}") from None
    out["model"] = model.strip()
    out["libration"] = bool_setting(s, "libration", where, False)
    imm = s.get("immobile_fraction", "fit")
    try:
        value = immobile_fraction_value(imm)
    except (TypeError, ValueError):
        value = None
    if value is None or (not isinstance(value, bool) and not (math.isfinite(value) and 0.0 <= value < 1.0)):
        raise ConfigError(f"{where} immobile_fraction: must be \"fit\", \"none\" or a number in [0, 1), "
                          f"got {imm!r}")
    out["immobile_fraction"] = value if not isinstance(value, bool) else ("fit" if value else "none")
    out["scale"] = choice_setting(s, "scale", where, ("per_q", "global"), "per_q")
    out["background"] = choice_setting(s, "background", where, ("flat", "linear", "none"), "flat")
    if "fix" in s:
        fix = s["fix"]
        if not isinstance(fix, dict) or not fix:
            raise ConfigError(f"{where} fix: must be a table of name = value, e.g. fix = {{ radius_angstrom = 1.7 }}")
        held = list(law.param_names)
        if value is not False:
            held.append("immobile_fraction")
        if out["libration"] or out["scale"] == "global":
            held.append("u2_A2")
        if out["libration"]:
            held.append("libration_hwhm_meV")
        out["fix"] = {}
        for k in fix:
            if k not in held:
                raise ConfigError(f"{where} fix: cannot hold {k!r}; the parameters are {', '.join(sorted(held))}")
            out["fix"][k] = number_setting(fix, k, f"{where} fix:")
    for key in ("energy_range", "q_range"):
        if key in s:
            out[key] = list(range_setting(s, key, where))
    if "energy_unit" in s:
        from ..io._qens import _normal_energy_unit
        unit = s["energy_unit"]
        try:
            if not isinstance(unit, str):
                raise ConfigError(f"energy_unit={unit!r}: give the unit as a string")
            out["energy_unit"] = _normal_energy_unit(unit)
        except ConfigError as exc:
            raise ConfigError(f"{where} energy_unit: {exc.message}") from None
    sign = s.get("energy_sign", 1)
    if isinstance(sign, bool) or sign not in (1, -1):
        raise ConfigError(f"{where} energy_sign: must be 1 (E > 0 is neutron energy loss) or -1 (the opposite), "
                          f"got {sign!r}")
    out["energy_sign"] = int(sign)
    out["detailed_balance"] = bool_setting(s, "detailed_balance", where, False)
    if "q" in s:
        q = s["q"] if isinstance(s["q"], list) else [s["q"]]
        if not q:
            raise ConfigError(f"{where} q: must list the Q of each group in 1/Å, e.g. q = [0.5, 0.8, 1.1]")
        out["q"] = [number_setting({"q": v}, "q", where, positive=True) for v in q]
    out["figures"] = bool_setting(s, "figures", where, True)
    if "sample" in s:
        out["sample"] = str(s["sample"])
    return out


def _fit_kws(settings: dict) -> dict:
    return qens_fit_kws({**settings, "immobile_fraction": immobile_fraction_value(settings["immobile_fraction"])})


def _arrhenius(g, column: str, quantity: str):
    """Arrhenius of one column (``tau_ps`` ...) of one sample's rows; (ArrheniusTau or None, message)."""
    import numpy as np

    from ..qens import arrhenius_tau

    ecol = "tau_stderr_ps" if column == "tau_ps" else f"{column}_stderr"
    t, v = g["temperature_K"].to_numpy(float), g[column].to_numpy(float)
    e = g[ecol].to_numpy(float) if ecol in g.columns else np.full(v.size, np.nan)
    ok = np.isfinite(t) & np.isfinite(v) & (v > 0)
    use_err = bool(ok.any() and np.all(np.isfinite(e[ok]) & (e[ok] > 0)))
    try:
        return arrhenius_tau(t[ok], v[ok], e[ok] if use_err else None, quantity=quantity), ""
    except FitError as exc:
        return None, str(exc)


class QensAdapter(TechniqueAdapter):
    """S(Q, E) at one temperature -> global law fit (per file); τ(T) -> Arrhenius (per sample)."""

    name = "qens"
    table_name = "qens"
    version = "1"

    def validate(self, settings: dict, *, where: str, base_dir=None) -> dict:
        return qens_settings(settings, where=where, base_dir=base_dir)

    def process(self, path: Path, settings: dict, figure_dir: Path, hints=None) -> TaskResult:
        from ..qens import fit_global, parse_law

        path = Path(path)
        s = settings
        h = read_hints(s, hints)
        conditions = dict(h.get("conditions") or {})
        temperature = h.get("temperature_K", conditions.get("temperature_K"))
        conditions.pop("temperature_K", None)         # QENSData carries the temperature itself
        reading = dict(q=s.get("q"), energy_unit=s.get("energy_unit"), energy_sign=s.get("energy_sign", 1))
        d = read_qens_data(path, **reading, detailed_balance=s.get("detailed_balance", False),
                           sample=h.get("sample"), temperature_K=temperature)
        res = qens_resolution(resolution=s.get("resolution"), resolution_fwhm=s.get("resolution_fwhm"),
                              resolution_model=s.get("resolution_model", "tabulated"), **reading)
        r = fit_global(d, res, parse_law(s["model"]), **_fit_kws(s))
        msgs = [] if r.converged else [f"{path.name}: fit did not converge ({r.report.message}); "
                                       "left out of the Arrhenius fit"]
        if r.temperature_K is None:
            msgs.append(f"{path.name}: no temperature found (file name or header); left out of the Arrhenius fit")
        row = {"sample": r.sample, **conditions, **r.to_frame().iloc[0].to_dict()}
        descs = [dataclasses.replace(x, conditions={**conditions, **x.conditions}) for x in r.descriptors()] \
            if conditions else r.descriptors()
        figs = []
        if s.get("figures", True):
            figs.append(save_and_close(r.plot(), Path(figure_dir) / f"{slug(path.stem)}_fit.png"))
        return TaskResult(rows=[row], descriptors=descs, figures=figs, messages=msgs)

    def summarise(self, results, settings: dict, out_dir: Path) -> SummaryResult:
        import pandas as pd

        from ..core.descriptors import DescriptorRow

        frame = pd.DataFrame([r for res in results for r in res.rows])
        if frame.empty or "temperature_K" not in frame.columns:
            return SummaryResult(messages=["no fitted file with a temperature: no Arrhenius of tau"])
        if "tau_ps" not in frame.columns:
            return SummaryResult(messages=[f"the model {settings.get('model')!r} has no residence time tau_ps: "
                                           "no Arrhenius fit"])
        frame["sample"] = frame["sample"].fillna("").astype(str) if "sample" in frame else ""
        msgs, arrs, points, descs, figs = [], [], [], [], []
        quantities = [("tau_ps", "tau_ps", "ea_tau_eV", "tau0_ps")]
        if "libration_tau_ps" in frame.columns:
            quantities.append(("libration_tau_ps", "libration_tau_ps", "ea_libration_eV", "libration_tau0_ps"))
        for sample, g in frame.groupby("sample", sort=True):
            ok = g["temperature_K"].notna()
            if "converged" in g.columns:
                ok &= g["converged"].astype(bool)
            for f in g.loc[~ok, "file"] if "file" in g.columns else []:
                msgs.append(f"{f}: not converged or no temperature; left out of the Arrhenius fit of {sample!r}")
            g = g[ok].sort_values("temperature_K", kind="stable")
            cols = ["file", "temperature_K", "tau_ps", "tau_stderr_ps", "libration_tau_ps", "libration_tau_ps_stderr"]
            points.append(g[[c for c in cols if c in g.columns]].assign(sample=sample))
            fitted = []
            for column, quantity, ea_name, tau0_name in quantities:
                arr, why = _arrhenius(g, column, quantity)
                if arr is None:
                    msgs.append(f"sample {sample!r}: no Arrhenius of {quantity}: {why}")
                    continue
                fitted.append(arr)
                arrs.append(arr.to_frame().assign(sample=sample))
                base = dict(sample=sample, unit="", technique="qens", conditions={},
                            source=";".join(map(str, g["file"])) if "file" in g.columns else "",
                            method=f"qens:arrhenius:{arr.method}")
                descs.append(DescriptorRow(name=ea_name, value=arr.ea_eV, stderr=arr.ea_stderr_eV,
                                           **{**base, "unit": "eV"}))
                descs.append(DescriptorRow(name=tau0_name, value=arr.tau0_ps, stderr=arr.tau0_stderr_ps,
                                           **{**base, "unit": "ps"}))
            if fitted and settings.get("figures", True):
                figs.append(self._figure(fitted, sample, out_dir))
        tables = {}
        if arrs:
            t = pd.concat(arrs, ignore_index=True)
            tables["qens_arrhenius"] = t[["sample", *[c for c in t.columns if c != "sample"]]]
        if points:
            t = pd.concat(points, ignore_index=True)
            tables["qens_tau"] = t[["sample", *[c for c in t.columns if c != "sample"]]]
        return SummaryResult(tables=tables, descriptors=descs, figures=figs, messages=msgs)

    @staticmethod
    def _figure(fitted, sample: str, out_dir: Path) -> str:
        import matplotlib.pyplot as plt

        from ..qens.plot import plot_arrhenius

        fig, axes = plt.subplots(1, len(fitted), figsize=(4.6 * len(fitted), 3.6), squeeze=False)
        for arr, ax in zip(fitted, axes.ravel()):
            plot_arrhenius(arr, ax=ax)
        fig.suptitle(sample or "sample", fontsize=9)
        fig.tight_layout()
        path = Path(out_dir) / "figures" / "qens" / f"arrhenius_{slug(sample)}.png"
        save_and_close(fig, path)
        return str(path.relative_to(out_dir))


register_adapter(QensAdapter())
