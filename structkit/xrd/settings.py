"""One definition of the XRD job settings, shared by the command line and ``structkit run``.

A Le Bail job is described by a flat mapping (a TOML table, or the command
line's options)::

    space_group = "Fm-3m"              # one phase ...
    cell = "a=9.96"                    # ... or {a = 9.96}
    # phases = [{space_group = "Pnma", cell = "a=8.48,b=5.398,c=6.958", name = "PbSO4"}, ...]
    radiation = "CuKa"                 # or wavelength_angstrom = 0.71414
    instrument = "lab.toml"            # InstrumentProfile TOML, or a GSAS .prm/.inst file
    two_theta_min = 3.0
    two_theta_max = 45.0
    n_background = 6
    refine_profile = ["w", "y"]
    refine_zero = true
    refine_displacement = false
    refine_asymmetry = false
    blank = "kapton.xy"                # container pattern, scale refined
    prescan = 0.02
    max_cycles = 8
    extraction_passes = 3

:func:`lebail_settings` checks such a mapping and returns a JSON-serialisable
copy (paths made absolute, the SHA-256 of the instrument and blank files
added so a cache notices when they change); :func:`lebail_job` turns that copy
into the :class:`~structkit.xrd.Phase` list and the keyword arguments of
:func:`~structkit.xrd.lebail_fit`. :func:`load_instrument` reads either kind of
instrument file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from ..core.settings import file_setting, number_setting
from .lebail import PROFILE_PARAMS, Phase
from .profiles import InstrumentProfile
from .radiation import Radiation
from .radiation import radiation as make_radiation
from .reflections import Cell, cell_from_free, free_cell_parameters, parse_cell

__all__ = ["LEBAIL_KEYS", "lebail_job", "lebail_settings", "load_instrument", "phase_from_spec"]

LEBAIL_KEYS = ("space_group", "cell", "phases", "radiation", "wavelength_angstrom", "instrument", "two_theta_min",
               "two_theta_max", "n_background", "refine_profile", "refine_zero", "refine_displacement",
               "refine_asymmetry", "blank", "prescan", "max_cycles", "extraction_passes")
_PHASE_KEYS = ("space_group", "cell", "name", "refine_profile")


def load_instrument(path) -> tuple[InstrumentProfile, Radiation | None]:
    """An :class:`InstrumentProfile` from a structkit TOML file or a GSAS instrument parameter file.

    A GSAS ``.prm``/``.inst``/``.ins`` file also gives the radiation (wavelengths and
    Kα2/Kα1 ratio, returned as a :class:`Radiation`); a TOML profile returns None there
    (its ``radiation`` field names it).
    """
    path = Path(path)
    if path.suffix.lower() in (".prm", ".inst", ".ins", ".iparm"):
        from ..io import read_gsas_prm
        prm = read_gsas_prm(path)
        lam1, lam2, ratio = prm["wavelength_angstrom"], prm.get("wavelength2_angstrom"), prm.get("ka2_ratio")
        if lam2 and ratio:
            name = f"{prm['anode']}Ka" if prm.get("anode") else f"{lam1:g}/{lam2:g} A"
            rad = Radiation(name, (float(lam1), float(lam2)), (1.0, float(ratio)))
        else:
            rad = Radiation(f"{lam1:g} A", (float(lam1),), (1.0,))
        inst = InstrumentProfile(radiation=str(lam1), u=float(prm.get("U_deg2") or 0.0),
                                 v=float(prm.get("V_deg2") or 0.0), w=float(prm.get("W_deg2") or 0.001),
                                 x=float(prm.get("X_deg") or 0.0), y=float(prm.get("Y_deg") or 0.0),
                                 zero_deg=float(prm.get("zero_deg") or 0.0), source=str(path))
        return inst, rad
    return InstrumentProfile.load(path), None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cell_text(cell, space_group: str, where: str) -> str:
    """Validate a cell given as text or a mapping; returns canonical text ``a=..,b=..``."""
    try:
        if isinstance(cell, Mapping):
            c = cell_from_free(space_group, {str(k).lower(): v for k, v in cell.items()})
        elif isinstance(cell, Cell):
            c = cell
        else:
            c = parse_cell(str(cell), space_group)
    except ConfigError as exc:
        raise ConfigError(f"{where} cell: {exc.message}") from None
    return ",".join(f"{p}={getattr(c, p)!r}" for p in free_cell_parameters(space_group))


def _refine_profile(value, where: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} refine_profile: must be a list of names among {', '.join(PROFILE_PARAMS)}")
    bad = [v for v in value if v.lower() not in PROFILE_PARAMS]
    if bad:
        raise ConfigError(f"{where} refine_profile: {bad} not among {', '.join(PROFILE_PARAMS)}")
    return [v.lower() for v in value]


def _phase_spec(spec: Mapping[str, Any], where: str, default_refine) -> dict:
    unknown = sorted(set(spec) - set(_PHASE_KEYS))
    if unknown:
        raise ConfigError(f"{where} {unknown[0]}: unknown key; a phase takes {', '.join(_PHASE_KEYS)}")
    sg = spec.get("space_group")
    if not isinstance(sg, str) or not sg.strip():
        raise ConfigError(f"{where} space_group: missing; give the Hermann-Mauguin symbol, e.g. \"Fm-3m\"")
    try:
        free_cell_parameters(sg)
    except ConfigError as exc:
        raise ConfigError(f"{where} space_group: {exc.message}") from None
    if "cell" not in spec:
        raise ConfigError(f"{where} cell: missing; give the starting cell, e.g. "
                          f"\"{', '.join(f'{p}=...' for p in free_cell_parameters(sg))}\"")
    out = {"space_group": sg.strip(), "cell": _cell_text(spec["cell"], sg, where),
           "refine_profile": _refine_profile(spec.get("refine_profile", default_refine), where)}
    if spec.get("name"):
        out["name"] = str(spec["name"])
    return out


def phase_from_spec(spec: Mapping[str, Any]) -> Phase:
    """A :class:`Phase` from a validated phase mapping (``space_group``, ``cell`` text, ...)."""
    return Phase(spec["space_group"], parse_cell(spec["cell"], spec["space_group"]), name=spec.get("name", ""),
                 refine_profile=tuple(spec.get("refine_profile", ("w", "y"))))


def lebail_settings(settings: Mapping[str, Any], *, where: str, base_dir=None,
                    extra_keys: tuple[str, ...] = ()) -> dict:
    """Check a Le Bail job mapping; return a normalised, JSON-serialisable copy.

    Keys outside :data:`LEBAIL_KEYS` and ``extra_keys`` are refused with a
    :class:`ConfigError` that names them (``where`` prefixes every message);
    the ``extra_keys`` are copied unchanged for the caller to check.
    """
    allowed = set(LEBAIL_KEYS) | set(extra_keys)
    for key in settings:
        if key not in allowed:
            raise ConfigError(f"{where} {key}: unknown key; allowed keys are "
                              f"{', '.join(sorted(allowed))}")
    refine = _refine_profile(settings.get("refine_profile", ["w", "y"]), where)
    if "phases" in settings:
        if "space_group" in settings or "cell" in settings:
            raise ConfigError(f"{where}: give either space_group and cell (one phase) or phases, not both")
        ph = settings["phases"]
        if not isinstance(ph, (list, tuple)) or not ph or not all(isinstance(p, Mapping) for p in ph):
            raise ConfigError(f"{where} phases: must be a list of tables with space_group and cell")
        phases = [_phase_spec(p, f"{where} phases[{i}]", refine) for i, p in enumerate(ph)]
    else:
        if "space_group" not in settings:
            raise ConfigError(f"{where} space_group: missing; give the phase's space group (e.g. \"Fm-3m\") "
                              "and its starting cell")
        phases = [_phase_spec({k: settings[k] for k in ("space_group", "cell") if k in settings}, where, refine)]
    out: dict = {"phases": phases}
    if "radiation" in settings and "wavelength_angstrom" in settings:
        raise ConfigError(f"{where}: give radiation or wavelength_angstrom, not both")
    if "radiation" in settings:
        raw = settings["radiation"]
        try:
            make_radiation(raw)
        except ConfigError as exc:
            raise ConfigError(f"{where} radiation: {exc.message}") from None
        out["radiation"] = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) \
            else str(raw).strip()
    elif "wavelength_angstrom" in settings:
        lam = number_setting(settings, "wavelength_angstrom", where, positive=True)
        try:
            make_radiation(lam)
        except ConfigError as exc:
            raise ConfigError(f"{where} wavelength_angstrom: {exc.message}") from None
        out["radiation"] = lam
    if "instrument" in settings:
        p = file_setting(settings["instrument"], "instrument", where, base_dir)
        try:
            load_instrument(p)
        except ConfigError as exc:
            raise ConfigError(f"{where} instrument: {exc.message}") from None
        out["instrument"], out["instrument_sha256"] = str(p), _sha256(p)
    if "radiation" not in out and "instrument" not in out:
        raise ConfigError(f"{where}: give the radiation (\"CuKa\", \"MoKa1\" ...), wavelength_angstrom, or an "
                          "instrument file that names it")
    if "blank" in settings:
        p = file_setting(settings["blank"], "blank", where, base_dir)
        out["blank"], out["blank_sha256"] = str(p), _sha256(p)
    for key in ("two_theta_min", "two_theta_max"):
        if key in settings:
            out[key] = number_setting(settings, key, where, lo=0.0, hi=180.0)
    if "two_theta_min" in out and "two_theta_max" in out and out["two_theta_min"] >= out["two_theta_max"]:
        raise ConfigError(f"{where}: two_theta_min {out['two_theta_min']} must be below two_theta_max "
                          f"{out['two_theta_max']}")
    if "n_background" in settings:
        out["n_background"] = number_setting(settings, "n_background", where, integer=True, lo=0, hi=30)
    if "max_cycles" in settings:
        out["max_cycles"] = number_setting(settings, "max_cycles", where, integer=True, lo=1, hi=100)
    if "extraction_passes" in settings:
        out["extraction_passes"] = number_setting(settings, "extraction_passes", where, integer=True, lo=1, hi=100)
    if "prescan" in settings:
        out["prescan"] = number_setting(settings, "prescan", where, lo=0.0, hi=0.2)
    for key in ("refine_zero", "refine_displacement", "refine_asymmetry"):
        if key in settings:
            if not isinstance(settings[key], bool):
                raise ConfigError(f"{where} {key}: must be true or false, got {settings[key]!r}")
            out[key] = settings[key]
    for key in extra_keys:
        if key in settings:
            out[key] = settings[key]
    return out


def lebail_job(settings: Mapping[str, Any]) -> tuple[list[Phase], dict]:
    """Phases and :func:`~structkit.xrd.lebail_fit` keyword arguments from :func:`lebail_settings` output."""
    phases = [phase_from_spec(p) for p in settings["phases"]]
    kw: dict = {}
    if "instrument" in settings:
        inst, rad = load_instrument(settings["instrument"])
        kw["instrument"] = inst
        kw["radiation"] = rad if rad is not None else inst.radiation
    if "radiation" in settings:
        kw["radiation"] = settings["radiation"]
    if "blank" in settings:
        from ..io import read
        kw["blank"] = read(settings["blank"])
    for key in ("two_theta_min", "two_theta_max", "n_background", "max_cycles", "extraction_passes", "prescan",
                "refine_zero",
                "refine_displacement", "refine_asymmetry"):
        if key in settings:
            kw[key] = settings[key]
    return phases, kw
