"""Le Bail whole-pattern fits: cell, zero/displacement, profile and background with extracted intensities.

The Le Bail method (Le Bail, Duroy & Fourquet, Mat. Res. Bull. 23, 447 (1988))
alternates two steps until the weighted profile R factor stops improving:

1. **extraction**: with the current cell and profile, every reflection's
   intensity is redistributed from the observed pattern,
   ``I_k ← I_k Σ_i p_k(i) q_i / Σ_i p_k(i)`` with ``q_i = (y_obs,i − b_i)/(y_calc,i − b_i)``,
   where ``p_k`` is the reflection's profile (Kα1 and Kα2 lines with their
   ratios) on the observed points, so that a peak cut by the range edge keeps
   its intensity;
2. **least squares** (lmfit, trust-region reflective) of the non-linear
   parameters with the intensities held: free cell parameters of each phase,
   zero shift, sample displacement, the TCH widths ``U V W X Y`` and the
   asymmetry. The background (Chebyshev series) and the scale of an optional
   blank/container pattern are linear and are solved exactly inside each
   residual evaluation (variable projection).

Several phases are fitted at once (a main phase plus an impurity). The result
carries Rp, Rwp, Rexp, χ², esds of every refined parameter and of the volume,
the extracted intensities per reflection, and says whether the fit converged,
diverged or ran into a bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.measurement import Measurement
from .profiles import (
    InstrumentProfile,
    chebyshev_basis,
    peak_shift_deg,
    powder_pattern,
    profile_fwhm_eta,
    two_theta_deg,
)
from .radiation import Radiation, radiation as make_radiation
from .reflections import Cell, ReflectionList, cell_from_free, d_spacing, free_cell_parameters, generate_reflections

__all__ = ["Phase", "LeBailResult", "PhaseResult", "lebail_fit", "PROFILE_PARAMS"]

PROFILE_PARAMS = ("u", "v", "w", "x", "y")
_ANGLES = ("alpha", "beta", "gamma")


@dataclass(frozen=True)
class Phase:
    """A phase to fit: its space group, starting cell and which profile widths to refine.

    ``profile`` overrides the instrument's ``u, v, w, x, y`` for this phase
    (sample broadening); ``refine_profile`` lists the widths refined
    (default ``("w", "y")``: a Gaussian and a Lorentzian (size) term).
    """

    space_group: str
    cell: Cell
    name: str = ""
    profile: Mapping[str, float] = field(default_factory=dict)
    refine_profile: tuple[str, ...] = ("w", "y")
    cell_bounds_rel: float = 0.05

    def __post_init__(self):
        object.__setattr__(self, "profile", FrozenMap(self.profile))
        object.__setattr__(self, "name", self.name or self.space_group.replace(" ", ""))
        bad = [p for p in self.refine_profile if p not in PROFILE_PARAMS]
        if bad:
            raise ConfigError(f"phase {self.name}: refine_profile {bad} not among {PROFILE_PARAMS}")


@dataclass(frozen=True)
class PhaseResult:
    """Refined cell, volume, profile and extracted intensities of one phase."""

    name: str
    space_group: str
    cell: Cell
    cell_stderr: Mapping[str, float]
    volume_A3: float
    volume_stderr_A3: float
    profile: Mapping[str, float]
    profile_stderr: Mapping[str, float]
    reflections: ReflectionList
    two_theta_deg: np.ndarray
    intensities: np.ndarray

    def reflections_frame(self):
        """hkl, multiplicity, d (Å), 2θ (deg, Kα1), extracted intensity (Kα1 area)."""
        import pandas as pd
        r = self.reflections
        d = d_spacing(r.hkl, self.cell)
        return pd.DataFrame({"phase": self.name, "h": r.hkl[:, 0], "k": r.hkl[:, 1], "l": r.hkl[:, 2],
                             "multiplicity": r.multiplicity, "d_angstrom": d,
                             "two_theta_deg": self.two_theta_deg, "intensity": self.intensities})


@dataclass(frozen=True)
class LeBailResult:
    """Outcome of :func:`lebail_fit`."""

    phases: tuple[PhaseResult, ...]
    zero_deg: float
    zero_stderr_deg: float
    displacement_mm: float
    displacement_stderr_mm: float
    asymmetry: tuple[float, float]
    background: np.ndarray
    blank_scale: float | None
    rp: float
    rwp: float
    rexp: float
    chi2: float
    n_cycles: int
    converged: bool
    message: str
    report: FitReport
    two_theta: np.ndarray
    y_obs: np.ndarray
    y_calc: np.ndarray
    y_background: np.ndarray
    radiation: Radiation
    instrument: InstrumentProfile
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "conditions", FrozenMap(self.conditions))
        object.__setattr__(self, "settings", FrozenMap(self.settings))

    @property
    def temperature_K(self) -> float | None:
        t = self.conditions.get("temperature_K")
        return None if t is None else float(t)

    @property
    def params(self) -> dict[str, float]:
        """Every refined value by lmfit name (to start a neighbouring fit)."""
        return dict(self.report.values)

    def to_row(self) -> dict:
        """One row: file, conditions, cell of each phase with esds, volume, Rwp, converged."""
        row: dict = {"file": self.source, "sample": self.sample, **dict(self.conditions)}
        multi = len(self.phases) > 1
        for ph in self.phases:
            pre = f"{ph.name}_" if multi else ""
            for p in ("a", "b", "c", *_ANGLES):
                unit = "deg" if p in _ANGLES else "angstrom"
                if p in ph.cell_stderr:
                    row[f"{pre}{p}_{unit}"] = getattr(ph.cell, p)
                    row[f"{pre}{p}_stderr_{unit}"] = ph.cell_stderr[p]
            row[f"{pre}volume_A3"] = ph.volume_A3
            row[f"{pre}volume_stderr_A3"] = ph.volume_stderr_A3
            for k, v in ph.profile.items():
                row[f"{pre}{k}"] = v
        row.update(zero_deg=self.zero_deg, zero_stderr_deg=self.zero_stderr_deg, rp=self.rp, rwp=self.rwp,
                   rexp=self.rexp, chi2=self.chi2, converged=self.converged, message=self.message)
        return row

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([self.to_row()])

    def descriptors(self) -> list[DescriptorRow]:
        base = dict(sample=self.sample, technique="xrd", conditions=self.conditions, source=self.source,
                    method="lebail")
        rows = []
        multi = len(self.phases) > 1
        for ph in self.phases:
            pre = f"{ph.name}_" if multi else ""
            for p, err in ph.cell_stderr.items():
                unit = "deg" if p in _ANGLES else "angstrom"
                rows.append(DescriptorRow(name=f"{pre}{p}_{unit}", value=getattr(ph.cell, p), stderr=err,
                                          unit=unit, **base))
            rows.append(DescriptorRow(name=f"{pre}volume_A3", value=ph.volume_A3, stderr=ph.volume_stderr_A3,
                                      unit="A^3", **base))
        rows.append(DescriptorRow(name="rwp", value=self.rwp, stderr=0.0, unit="", **base))
        return rows

    def plot(self, ax=None):
        from .plot import plot_lebail
        return plot_lebail(self, ax=ax)

    def summary(self) -> str:
        lines = [f"Le Bail fit of {self.source or 'pattern'}: {'converged' if self.converged else 'NOT converged'}"
                 f" after {self.n_cycles} cycle(s); Rp = {100 * self.rp:.2f} %, Rwp = {100 * self.rwp:.2f} %, "
                 f"Rexp = {100 * self.rexp:.2f} %, chi2 = {self.chi2:.3f}"]
        for ph in self.phases:
            cell = ", ".join(f"{p} = {getattr(ph.cell, p):.5f}({_esd(e)})" for p, e in ph.cell_stderr.items())
            lines.append(f"  {ph.name} ({ph.space_group}): {cell}; V = {ph.volume_A3:.3f} +/- "
                         f"{ph.volume_stderr_A3:.3f} A^3; {len(ph.reflections)} reflections")
        lines.append(f"  zero = {self.zero_deg:.4f} +/- {self.zero_stderr_deg:.4f} deg")
        if not self.converged or self.message != "ok":
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return f"LeBailResult(\n{self.summary()}\n)"


def _esd(e: float) -> str:
    if not np.isfinite(e) or e <= 0:
        return "?"
    digits = max(0, -int(math.floor(math.log10(e))) + 1)
    return f"{e:.{digits}f}"


# ---------------------------------------------------------------------------

class _Model:
    """Everything that does not change while a pattern is fitted; evaluates the pattern for parameter values."""

    def __init__(self, tt, y, sigma, phases, reflections, rad, instrument, n_background, blank, window):
        self.tt, self.y, self.w = tt, y, 1.0 / sigma
        self.phases, self.refl, self.rad, self.inst = phases, reflections, rad, instrument
        self.window = window
        self.lam = np.array(rad.wavelengths_angstrom)
        self.ratios = np.array(rad.ratios)
        self.step = np.gradient(tt)
        basis = [chebyshev_basis(tt, n_background)] if n_background > 0 else []
        if blank is not None:
            basis.append(blank[:, None])
        self.basis = np.concatenate(basis, axis=1) if basis else np.zeros((tt.size, 0))
        self.basis_w = self.basis * self.w[:, None]
        self.free = [free_cell_parameters(ph.space_group) for ph in phases]

    def components(self, v, i):
        """(centres, areas-per-unit-intensity, fwhm, eta, reflection index) of phase i's lines."""
        ph = self.phases[i]
        cell = cell_from_free(ph.space_group, {p: v[f"p{i}_{p}"] for p in self.free[i]})
        d = d_spacing(self.refl[i].hkl, cell)
        cs, rs, ks = [], [], []
        for lam, ratio in zip(self.lam, self.ratios):
            tt = two_theta_deg(d, lam)
            cs.append(tt)
            rs.append(np.full(d.size, ratio))
            ks.append(np.arange(d.size))
        c = np.concatenate(cs)
        ok = np.isfinite(c)
        c = np.where(ok, c, -1e3)
        c = c + peak_shift_deg(c, v["zero_deg"], v["displacement_mm"], self.inst.radius_mm)
        prof = {p: v[f"p{i}_{p}"] for p in PROFILE_PARAMS}
        h, eta = profile_fwhm_eta(c, prof["u"], prof["v"], prof["w"], prof["x"], prof["y"])
        return c, np.concatenate(rs) * ok, h, eta, np.concatenate(ks), cell

    def peaks(self, v, intensities, *, with_profiles=False):
        total = np.zeros(self.tt.size)
        parts = []
        for i in range(len(self.phases)):
            c, r, h, eta, k, _ = self.components(v, i)
            areas = r * intensities[i][k]
            out = powder_pattern(self.tt, c, areas, h, eta, asymmetry=(v["asym_p1"], v["asym_p2"]),
                                 window=self.window, return_profiles=with_profiles)
            if with_profiles:
                y, prof = out
                parts.append((prof, r, k))
            else:
                y = out
            total += y
        return (total, parts) if with_profiles else total

    def linear(self, y_peaks):
        """Background (and blank scale) by weighted linear least squares on the peak-free residue."""
        if self.basis.shape[1] == 0:
            return np.zeros(0), np.zeros(self.tt.size)
        coef, *_ = np.linalg.lstsq(self.basis_w, (self.y - y_peaks) * self.w, rcond=None)
        return coef, self.basis @ coef

    def extract(self, v, intensities, n_iter=3):
        """Le Bail intensity extraction (a few passes)."""
        intensities = [np.array(x, dtype=float) for x in intensities]
        for _ in range(n_iter):
            y_peaks, parts = self.peaks(v, intensities, with_profiles=True)
            _, bkg = self.linear(y_peaks)
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.where(y_peaks > 1e-12 * max(y_peaks.max(), 1e-300),
                             np.clip(self.y - bkg, 0.0, None) / y_peaks, 0.0)
            for i, ((rows, cols, prof), r, k) in enumerate(parts):
                # I_k <- I_k * <q> over the part of its profile inside the range: the weighted
                # mean keeps peaks cut by the range edge (or by the window) from shrinking
                comp_refl = k[rows]
                weight = prof * r[rows] * self.step[cols]
                num = np.bincount(comp_refl, weights=weight * q[cols], minlength=intensities[i].size)
                den = np.bincount(comp_refl, weights=weight, minlength=intensities[i].size)
                seen = den > 0
                new = np.where(seen, intensities[i] * np.divide(num, den, out=np.zeros_like(num), where=seen),
                               intensities[i])
                # a multiplicative update cannot revive a zero: keep a floor so that a reflection
                # emptied while the cell was still off can take its intensity back
                intensities[i] = np.maximum(new, 1e-6 * max(float(new.max()), 1e-300))
        return intensities


def _params(phases, free, instrument, start: Mapping[str, float] | None, refine_zero, refine_displacement,
            refine_asymmetry):
    spec = {}
    for i, ph in enumerate(phases):
        for p in free[i]:
            v0 = float(getattr(ph.cell, p))
            if start and f"p{i}_{p}" in start:
                v0 = float(start[f"p{i}_{p}"])
            lo, hi = v0 * (1 - ph.cell_bounds_rel), v0 * (1 + ph.cell_bounds_rel)
            if p in _ANGLES:
                lo, hi = max(v0 - 10.0, 30.0), min(v0 + 10.0, 150.0)
            spec[f"p{i}_{p}"] = {"value": v0, "min": lo, "max": hi}
        for p in PROFILE_PARAMS:
            v0 = float(ph.profile.get(p, getattr(instrument, p)))
            if start and f"p{i}_{p}" in start:
                v0 = float(start[f"p{i}_{p}"])
            lo = -np.inf if p == "v" else 0.0
            if p == "w":
                lo = 1e-7
                v0 = max(v0, 1e-7)
            spec[f"p{i}_{p}"] = {"value": v0, "min": lo, "max": np.inf, "vary": p in ph.refine_profile}
    z0 = float(start.get("zero_deg", instrument.zero_deg)) if start else instrument.zero_deg
    d0 = float(start.get("displacement_mm", instrument.displacement_mm)) if start else instrument.displacement_mm
    spec["zero_deg"] = {"value": z0, "min": z0 - 0.5, "max": z0 + 0.5, "vary": refine_zero}
    spec["displacement_mm"] = {"value": d0, "min": d0 - 2.0, "max": d0 + 2.0, "vary": refine_displacement}
    a1, a2 = instrument.asymmetry
    if start:
        a1, a2 = float(start.get("asym_p1", a1)), float(start.get("asym_p2", a2))
    spec["asym_p1"] = {"value": a1, "min": -2.0, "max": 2.0, "vary": refine_asymmetry}
    spec["asym_p2"] = {"value": a2, "min": -2.0, "max": 2.0, "vary": refine_asymmetry}
    return make_params(spec)


def _prescan_cell_scale(model, params, y, span: float, n: int = 161) -> None:
    """Scale the cell lengths of every phase by the factor that best overlaps the observed peaks."""
    v0 = params.valuesdict()
    signal = np.clip(y - np.percentile(y, 20), 0.0, None)
    if not np.any(signal > 0):
        return
    lengths = [f"p{i}_{p}" for i in range(len(model.phases)) for p in model.free[i] if p in ("a", "b", "c")]
    if not lengths:
        return
    ones = [np.ones(len(r)) for r in model.refl]
    best, best_score = 1.0, -np.inf
    for f in np.linspace(1.0 - span, 1.0 + span, n):
        vv = dict(v0)
        for name in lengths:
            vv[name] = v0[name] * f
        calc = model.peaks(vv, ones)
        norm = np.linalg.norm(calc)
        score = float(calc @ signal) / norm if norm > 0 else -np.inf
        if score > best_score:
            best, best_score = f, score
    for name in lengths:
        par = params[name]
        par.value = float(np.clip(v0[name] * best, par.min, par.max))


def lebail_fit(measurement: Measurement, phases: Phase | Sequence[Phase], *,
               instrument: InstrumentProfile | None = None, radiation=None,
               two_theta_min: float | None = None, two_theta_max: float | None = None,
               n_background: int = 6, blank: Measurement | None = None, refine_zero: bool = True,
               refine_displacement: bool = False, refine_asymmetry: bool = False,
               start: "LeBailResult | Mapping[str, float] | None" = None, max_cycles: int = 8,
               tol: float = 1e-4, window: float = 20.0, prescan: float = 0.02) -> LeBailResult:
    """Le Bail fit of one powder pattern.

    Parameters
    ----------
    measurement : Measurement
        Intensity against ``two_theta`` (deg); ``sigma`` used as weights (else √counts).
    phases : Phase or sequence of Phase
        Space group, starting cell and refined widths of each phase.
    instrument : InstrumentProfile, optional
        Starting widths, zero, displacement, asymmetry and radiation.
    radiation : str or float, optional
        ``"CuKa"``, ``"MoKa1"`` or a wavelength in Å; overrides the instrument's
        (and ``meta["wavelength_angstrom"]`` of the measurement is used when neither is given).
    two_theta_min, two_theta_max : float, optional
        Fitted range.
    n_background : int
        Chebyshev background terms (linear, solved exactly).
    blank : Measurement, optional
        Container/holder pattern subtracted with a refined scale.
    refine_zero, refine_displacement, refine_asymmetry : bool
    start : LeBailResult or mapping, optional
        Values of a neighbouring fit (sequential refinement); intensities are carried over too.
    max_cycles, tol : int, float
        Extraction/least-squares cycles, stopping when Rwp changes by less than ``tol`` (relative).
    prescan : float
        Before fitting, scan an isotropic scale of every cell length within ``±prescan``
        (relative; 0 to switch off) for the best overlap of unit-intensity peaks with the
        pattern: Le Bail extraction only converges from a cell whose peaks lie within about
        one FWHM of the observed ones, and a temperature step can move them further.

    Returns
    -------
    LeBailResult
    """
    src = measurement.source or "pattern"
    phases = [phases] if isinstance(phases, Phase) else list(phases)
    if not phases:
        raise ConfigError("lebail_fit needs at least one Phase", path=src)
    inst = instrument or InstrumentProfile()
    if radiation is None and instrument is None and "wavelength_angstrom" in measurement.meta:
        radiation = float(measurement.meta["wavelength_angstrom"])
    rad = make_radiation(radiation if radiation is not None else inst.radiation)
    m = measurement
    if m.x_unit and m.x_unit.lower() not in ("deg", "degree", "degrees"):
        raise DataError(f"x axis is {m.x_name} in {m.x_unit}; a Le Bail fit needs 2-theta in degrees", path=src)
    if two_theta_min is not None or two_theta_max is not None:
        m = m.crop(two_theta_min, two_theta_max)
    tt, y = m.x, np.asarray(m.y, dtype=float)
    if tt.size < 20:
        raise DataError(f"only {tt.size} points in the fitted range; widen it", path=src)
    sigma = m.sigma if m.sigma is not None else np.sqrt(np.maximum(y, 1.0))
    sigma = np.where(sigma > 0, sigma, 1.0)
    blank_y = None
    if blank is not None:
        if blank.x[0] > tt[0] or blank.x[-1] < tt[-1]:
            raise DataError(f"blank {blank.source or ''} covers {blank.x[0]:g}-{blank.x[-1]:g} deg but the "
                            f"fit needs {tt[0]:g}-{tt[-1]:g} deg; crop the fit range", path=src)
        blank_y = np.interp(tt, blank.x, np.asarray(blank.y, dtype=float))
    # reflections: generated once at the starting cell, with a margin for cell changes and the Kα2 line
    lam_max = max(rad.wavelengths_angstrom)
    d_min = min(rad.wavelengths_angstrom) / (2 * math.sin(math.radians(min(tt[-1] + 2.0, 179.0) / 2)))
    refl = []
    for ph in phases:
        r = generate_reflections(ph.space_group, ph.cell, d_min_angstrom=d_min * 0.97)
        t = two_theta_deg(r.d_angstrom, lam_max)
        keep = np.isfinite(t) & (two_theta_deg(r.d_angstrom, min(rad.wavelengths_angstrom)) >= tt[0] - 2.0)
        if not keep.any():
            raise DataError(f"phase {ph.name} ({ph.space_group}, {ph.cell}) has no reflection between "
                            f"{tt[0]:g} and {tt[-1]:g} deg at {rad.name}; check the cell, the wavelength "
                            "and the 2-theta range", path=src)
        refl.append(r.select(keep))
    model = _Model(tt, y, sigma, phases, refl, rad, inst, n_background, blank_y, window)
    start_values = dict(start.params) if isinstance(start, LeBailResult) else dict(start or {})
    params = _params(phases, model.free, inst, start_values, refine_zero, refine_displacement, refine_asymmetry)
    if prescan:
        _prescan_cell_scale(model, params, y, prescan)
    v = params.valuesdict()
    # starting intensities: carried over (matched by hkl) or from the pattern height at each peak
    intensities = []
    for i, ph in enumerate(phases):
        init = None
        if isinstance(start, LeBailResult) and i < len(start.phases):
            prev = start.phases[i]
            lookup = {tuple(h): val for h, val in zip(prev.reflections.hkl, prev.intensities)}
            init = np.array([lookup.get(tuple(h), np.nan) for h in refl[i].hkl])
        c, r, h, eta, k, _ = model.components(v, i)
        guess = np.interp(c[:len(refl[i])], tt, np.clip(y - np.percentile(y, 10), 0, None)) * h[:len(refl[i])]
        guess = np.maximum(guess, 1e-6 * max(guess.max(), 1.0))
        if init is not None:
            init = np.where(np.isfinite(init), init, guess)
        intensities.append(init if init is not None else guess)
    intensities = model.extract(v, intensities, n_iter=5)

    def residual(p):
        vv = p.valuesdict()
        yp = model.peaks(vv, intensities)
        _, bkg = model.linear(yp)
        return (y - yp - bkg) * model.w

    rwp_prev = np.inf
    rep = None
    n_cycles = 0
    messages = []
    for n_cycles in range(1, max_cycles + 1):
        rep = minimize(residual, params, context=src)
        if not rep.converged and not np.isfinite(rep.chisqr):
            break
        for name, val in rep.values.items():
            params[name].value = val
        v = params.valuesdict()
        intensities = model.extract(v, intensities, n_iter=3)
        yp = model.peaks(v, intensities)
        _, bkg = model.linear(yp)
        rwp = math.sqrt(np.sum(((y - yp - bkg) * model.w) ** 2) / np.sum((y * model.w) ** 2))
        if abs(rwp_prev - rwp) <= tol * rwp:
            rwp_prev = rwp
            break
        rwp_prev = rwp
    else:
        messages.append(f"Rwp still changing after {max_cycles} cycles")
    if rep is None:
        raise FitError("no least-squares cycle ran", path=src)
    # final numbers with the final intensities
    v = params.valuesdict()
    yp = model.peaks(v, intensities)
    coef, bkg = model.linear(yp)
    ycalc = yp + bkg
    wsum = np.sum((y * model.w) ** 2)
    rwp = math.sqrt(np.sum(((y - ycalc) * model.w) ** 2) / wsum)
    rp = float(np.sum(np.abs(y - ycalc)) / np.sum(np.abs(y)))
    n_par = rep.nvarys + model.basis.shape[1] + sum(len(x) for x in intensities)
    rexp = math.sqrt(max(tt.size - n_par, 1) / wsum)
    converged = bool(rep.converged and np.isfinite(rwp))
    if not rep.converged:
        messages.append(rep.message)
    if rep.at_bounds:
        messages.append("parameter(s) at a bound: " + ", ".join(rep.at_bounds) + "; the cell or profile "
                        "start may be wrong")
        converged = False
    if converged and rwp > 0.9:
        converged = False
        messages.append(f"Rwp = {100 * rwp:.0f} %: the model does not describe the pattern (diverged)")
    phase_results = []
    for i, ph in enumerate(phases):
        free = model.free[i]
        cell = cell_from_free(ph.space_group, {p: v[f"p{i}_{p}"] for p in free})
        err = {p: rep.stderr.get(f"p{i}_{p}", float("nan")) for p in free}
        vol, vol_err = rep.propagate(lambda vv, i=i, ph=ph, free=free: cell_from_free(
            ph.space_group, {p: vv[f"p{i}_{p}"] for p in free}).volume_A3)
        c, r, h, eta, k, _ = model.components(v, i)
        n = len(refl[i])
        phase_results.append(PhaseResult(
            name=ph.name, space_group=ph.space_group, cell=cell, cell_stderr=FrozenMap(err), volume_A3=vol,
            volume_stderr_A3=vol_err, profile=FrozenMap({p: v[f"p{i}_{p}"] for p in PROFILE_PARAMS}),
            profile_stderr=FrozenMap({p: rep.stderr.get(f"p{i}_{p}", float("nan")) for p in PROFILE_PARAMS}),
            reflections=refl[i], two_theta_deg=c[:n], intensities=intensities[i]))
    nb = n_background if n_background > 0 else 0
    return LeBailResult(
        phases=tuple(phase_results), zero_deg=v["zero_deg"], zero_stderr_deg=rep.stderr.get("zero_deg", 0.0),
        displacement_mm=v["displacement_mm"], displacement_stderr_mm=rep.stderr.get("displacement_mm", 0.0),
        asymmetry=(v["asym_p1"], v["asym_p2"]), background=coef[:nb],
        blank_scale=float(coef[nb]) if blank_y is not None else None, rp=rp, rwp=rwp, rexp=rexp,
        chi2=(rwp / rexp) ** 2, n_cycles=n_cycles, converged=converged,
        message="; ".join(messages) or "ok", report=rep, two_theta=tt, y_obs=y, y_calc=ycalc, y_background=bkg,
        radiation=rad, instrument=inst, sample=measurement.sample, conditions=measurement.conditions,
        source=measurement.source,
        settings={"n_background": n_background, "refine_zero": refine_zero,
                  "refine_displacement": refine_displacement, "refine_asymmetry": refine_asymmetry,
                  "two_theta_min": float(tt[0]), "two_theta_max": float(tt[-1]), "radiation": rad.name})
