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
   residual evaluation (variable projection). The Jacobian is analytic in the
   profiles (:func:`~structkit.xrd.profiles.powder_pattern_derivatives`) and
   chained through the lines' centres and widths, so a least-squares iteration
   costs about two pattern evaluations instead of one per refined parameter.

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
    powder_pattern_derivatives,
    profile_fwhm_eta,
    two_theta_deg,
)
from .radiation import Radiation, radiation as make_radiation
from .reflections import Cell, ReflectionList, cell_from_free, d_spacing, free_cell_parameters, generate_reflections

__all__ = ["Phase", "LeBailResult", "PhaseResult", "lebail_fit", "PROFILE_PARAMS"]

PROFILE_PARAMS = ("u", "v", "w", "x", "y")
_ANGLES = ("alpha", "beta", "gamma")
# central-difference steps of the lines' centres/widths in the Jacobian: relative, with a floor for
# values near zero (deg, mm, deg^2, deg); roundoff on ~100 deg centres stays below 1e-7 relative
_FD_REL = 1e-5
_FD_FLOOR = {"zero_deg": 1e-2, "displacement_mm": 1e-1, "u": 1e-2, "v": 1e-2, "w": 1e-2, "x": 1e-2, "y": 1e-2}
# half-width (FWHMs) of the peaks in the cell pre-scan
_PRESCAN_WINDOW = 4.0


@dataclass(frozen=True)
class Phase:
    """A phase to fit: its space group, starting cell and which profile widths to refine.

    ``profile`` overrides the instrument's ``u, v, w, x, y`` for this phase
    (sample broadening); ``refine_profile`` lists the widths refined
    (default ``("w", "y")``: a Gaussian and a Lorentzian (size) term).
    ``refine_cell=False`` holds the cell (a line-position standard such as
    NIST LaB6 or Si, whose certified cell lets zero shift and displacement be refined).
    """

    space_group: str
    cell: Cell
    name: str = ""
    profile: Mapping[str, float] = field(default_factory=dict)
    refine_profile: tuple[str, ...] = ("w", "y")
    cell_bounds_rel: float = 0.05
    refine_cell: bool = True

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
    two_theta_range: tuple[float, float] | None = None

    @property
    def in_range(self) -> np.ndarray:
        """Mask of the reflections whose Kα1 centre lies inside the fitted 2θ range (their
        intensities are measured; the others were generated with a margin and keep their start)."""
        tt = np.asarray(self.two_theta_deg, dtype=float)
        inside = np.isfinite(tt)
        if self.two_theta_range is not None:
            inside &= (tt >= self.two_theta_range[0]) & (tt <= self.two_theta_range[1])
        return inside

    def reflections_frame(self, *, overlap_fwhm: float = 0.5):
        """hkl, multiplicity, d (Å), 2θ (deg, Kα1), extracted intensity (Kα1 area) and how far to trust it.

        ``in_range`` is False for reflections generated with the margin whose Kα1
        centre lies outside the fitted range: their "intensity" is the starting
        value, not a measurement. ``overlap_group`` numbers runs of reflections whose
        centres lie within ``overlap_fwhm`` FWHM of each other (e.g. (3 3 3) and (5 1 1)
        in a cubic cell): Le Bail extraction shares such a run's intensity by the
        starting ratio, so only the group's sum is measured.
        """
        import pandas as pd
        r = self.reflections
        d = d_spacing(r.hkl, self.cell)
        tt = np.asarray(self.two_theta_deg, dtype=float)
        finite = np.isfinite(tt)
        in_range = self.in_range
        fwhm, _ = profile_fwhm_eta(np.where(finite, tt, 1.0), *(self.profile[p] for p in PROFILE_PARAMS))
        order = np.argsort(np.where(finite, tt, np.inf), kind="stable")
        group = np.empty(tt.size, dtype=int)
        g = 0
        for j, idx in enumerate(order):
            if j and not (finite[idx] and finite[order[j - 1]]
                          and tt[idx] - tt[order[j - 1]] < overlap_fwhm * max(fwhm[idx], fwhm[order[j - 1]])):
                g += 1
            group[idx] = g
        return pd.DataFrame({"phase": self.name, "h": r.hkl[:, 0], "k": r.hkl[:, 1], "l": r.hkl[:, 2],
                             "multiplicity": r.multiplicity, "d_angstrom": d,
                             "two_theta_deg": tt, "intensity": self.intensities, "in_range": in_range,
                             "overlap_group": group})


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
            cell = ", ".join(f"{p} = {_with_esd(getattr(ph.cell, p), e)}" for p, e in ph.cell_stderr.items())
            lines.append(f"  {ph.name} ({ph.space_group}): {cell}; V = "
                         f"{_with_esd(ph.volume_A3, ph.volume_stderr_A3)} A^3; {len(ph.reflections)} reflections")
        lines.append(f"  zero = {_with_esd(self.zero_deg, self.zero_stderr_deg)} deg")
        if not self.converged or self.message != "ok":
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return f"LeBailResult(\n{self.summary()}\n)"


def _with_esd(value: float, esd: float) -> str:
    """Crystallographic notation: ``9.95337(2)``, ``8.46639(13)`` (two esd digits when it starts with 1).

    >>> _with_esd(9.953371, 0.000024), _with_esd(8.466391, 0.00013), _with_esd(316.98, 25.0)
    ('9.95337(2)', '8.46639(13)', '317(25)')
    """
    if esd == 0:
        return f"{value:.5f} (fixed)"
    if not (np.isfinite(esd) and esd > 0):
        return f"{value:.5f}(?)"
    exp = math.floor(math.log10(esd))
    digits = max(0, -exp + (1 if esd / 10.0 ** exp < 2.0 else 0))
    return f"{value:.{digits}f}({round(esd * 10 ** digits)})"


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
        # the weighted linear least squares of the background, factorised once: its pseudo-inverse
        # (the same minimum-norm solution and cut-off as np.linalg.lstsq) and an orthonormal basis
        # of its range, which projects the Jacobian (variable projection)
        self._pinv = np.zeros((0, tt.size))
        self._range = np.zeros((tt.size, 0))
        if self.basis.shape[1]:
            u, s, vt = np.linalg.svd(self.basis_w, full_matrices=False)
            keep = s > s[0] * max(self.basis_w.shape) * np.finfo(float).eps
            self._range = u[:, keep]
            self._pinv = (vt[keep].T / s[keep]) @ u[:, keep].T

    def _lines(self, d, zero, displacement, u, v, w, x, y):
        """Centres (all wavelengths), reachable mask, FWHM and η of lines of spacings ``d``.

        ``d`` has shape ``(..., n_reflections)``; the other arguments broadcast against
        ``(..., n_lines)`` (a column per row of ``d`` for the Jacobian's perturbed rows).
        """
        tt = two_theta_deg(d[..., None, :], self.lam[:, None])
        c = tt.reshape(*d.shape[:-1], -1)
        ok = np.isfinite(c)
        c = np.where(ok, c, -1e3)
        c = c + peak_shift_deg(c, zero, displacement, self.inst.radius_mm)
        h, eta = profile_fwhm_eta(c, u, v, w, x, y)
        return c, ok, h, eta

    def _d(self, v, i):
        ph = self.phases[i]
        cell = cell_from_free(ph.space_group, {p: v[f"p{i}_{p}"] for p in self.free[i]})
        return d_spacing(self.refl[i].hkl, cell), cell

    def components(self, v, i):
        """(centres, areas-per-unit-intensity, fwhm, eta, reflection index, cell) of phase i's lines."""
        d, cell = self._d(v, i)
        c, ok, h, eta = self._lines(d, v["zero_deg"], v["displacement_mm"],
                                    *(v[f"p{i}_{p}"] for p in PROFILE_PARAMS))
        r = np.repeat(self.ratios, d.size) * ok
        k = np.tile(np.arange(d.size), self.lam.size)
        return c, r, h, eta, k, cell

    def _line_derivatives(self, v, i, names):
        """∂(centre, FWHM, η)/∂(names) of phase i's lines, shape (3, n_lines, len(names)).

        Central differences, all perturbed parameter sets at once (one d-spacing
        evaluation per perturbed cell parameter, nothing else per parameter).
        """
        n2 = 2 * len(names)
        d0, _ = self._d(v, i)
        d = np.repeat(d0[None, :], n2, axis=0)
        cols = {"zero_deg": np.full(n2, v["zero_deg"]), "displacement_mm": np.full(n2, v["displacement_mm"])}
        for p in PROFILE_PARAMS:
            cols[f"p{i}_{p}"] = np.full(n2, v[f"p{i}_{p}"])
        steps = np.empty(len(names))
        for j, nm in enumerate(names):
            floor = _FD_FLOOR.get(nm, _FD_FLOOR.get(nm.split("_", 1)[-1], 1e-2))
            steps[j] = step = _FD_REL * max(abs(v[nm]), floor)
            for row, val in ((2 * j, v[nm] + step), (2 * j + 1, v[nm] - step)):
                if nm in cols:
                    cols[nm][row] = val
                else:                                   # a cell parameter
                    d[row] = self._d({**v, nm: val}, i)[0]
        c, _, h, eta = self._lines(d, cols["zero_deg"][:, None], cols["displacement_mm"][:, None],
                                   *(cols[f"p{i}_{p}"][:, None] for p in PROFILE_PARAMS))
        out = np.stack([c, h, eta])                     # (3, 2 n, n_lines)
        return ((out[:, 0::2] - out[:, 1::2]) / (2.0 * steps[None, :, None])).transpose(0, 2, 1)

    def peaks(self, v, intensities, *, with_profiles=False, window=None):
        """Calculated peaks (no background) of every phase; with ``with_profiles`` also each phase's
        ``((rows, cols, unit profiles), line ratios, reflection index)`` for the extraction."""
        window = self.window if window is None else window
        total = np.zeros(self.tt.size)
        parts = []
        for i in range(len(self.phases)):
            c, r, h, eta, k, _ = self.components(v, i)
            areas = r * intensities[i][k]
            out = powder_pattern(self.tt, c, areas, h, eta, asymmetry=(v["asym_p1"], v["asym_p2"]),
                                 window=window, return_profiles=with_profiles)
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
        coef = self._pinv @ ((self.y - y_peaks) * self.w)
        return coef, self.basis @ coef

    def jacobian(self, v, intensities, names):
        """Jacobian of the weighted residual ``(y - peaks - background) w`` with respect to ``names``.

        The pattern's derivatives with respect to each line's centre, FWHM and η are analytic
        (:func:`powder_pattern_derivatives`); those of the centres, FWHMs and η with respect to the
        cell, zero, displacement and widths are central differences over the few hundred lines
        (cheap: no pattern is evaluated). The background being solved exactly for every pattern,
        the Jacobian is projected on the complement of its basis (variable projection).
        """
        names = list(names)
        col = {nm: j for j, nm in enumerate(names)}
        jac = np.zeros((self.tt.size, len(names)))
        asym = (v["asym_p1"], v["asym_p2"])
        want_asym = "asym_p1" in col or "asym_p2" in col
        shared = [nm for nm in names if nm in ("zero_deg", "displacement_mm")]
        for i in range(len(self.phases)):
            mine = [nm for nm in names if nm.startswith(f"p{i}_")] + shared
            c, r, h, eta, k, _ = self.components(v, i)
            _, d_c, d_h, d_e, d_asym = powder_pattern_derivatives(
                self.tt, c, r * intensities[i][k], h, eta, asymmetry=asym, window=self.window,
                asymmetry_derivatives=want_asym)
            if mine:
                g = self._line_derivatives(v, i, mine)
                jac[:, [col[nm] for nm in mine]] += d_c @ g[0] + d_h @ g[1] + d_e @ g[2]
            for j, nm in enumerate(("asym_p1", "asym_p2")):
                if nm in col:
                    jac[:, col[nm]] += d_asym[:, j]
        jac *= -self.w[:, None]
        if self._range.shape[1]:
            jac -= self._range @ (self._range.T @ jac)
        return jac

    def _designs(self, v):
        """Per phase, the sparse (n_points x n_reflections) pattern of unit intensities at ``v``
        (all wavelengths of a reflection summed in its column)."""
        from scipy.sparse import coo_array

        _, parts = self.peaks(v, [np.zeros(len(r)) for r in self.refl], with_profiles=True)
        out = []
        for i, ((rows, cols, prof), r, k) in enumerate(parts):
            out.append(coo_array((prof * r[rows], (cols, k[rows])),
                                 shape=(self.tt.size, len(self.refl[i]))).tocsr())
        return out

    def extract(self, v, intensities, n_iter=3):
        """Le Bail intensity extraction (``n_iter`` passes at fixed cell and profile)."""
        intensities = [np.array(x, dtype=float) for x in intensities]
        designs = self._designs(v)
        # the profiles do not change between passes: the weights' sums neither
        dens = [a.T @ self.step for a in designs]
        for _ in range(n_iter):
            y_peaks = sum(a @ x for a, x in zip(designs, intensities))
            _, bkg = self.linear(y_peaks)
            with np.errstate(divide="ignore", invalid="ignore"):
                # not clipped at zero: dropping the noise below the background but keeping the noise
                # above it would inflate every intensity (and bias the widths); the floor below
                # keeps an intensity positive
                q = np.where(y_peaks > 1e-12 * max(y_peaks.max(), 1e-300), (self.y - bkg) / y_peaks, 0.0)
            for i, (a, den) in enumerate(zip(designs, dens)):
                # I_k <- I_k * <q> over the part of its profile inside the range: the weighted
                # mean keeps peaks cut by the range edge (or by the window) from shrinking
                num = a.T @ (self.step * q)
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
            spec[f"p{i}_{p}"] = {"value": v0, "min": lo, "max": hi, "vary": ph.refine_cell}
        for p in PROFILE_PARAMS:
            v0 = float(ph.profile.get(p, getattr(instrument, p)))
            if start and f"p{i}_{p}" in start:
                v0 = float(start[f"p{i}_{p}"])
            lo = -np.inf if p == "v" else 0.0
            if p == "w":
                lo = 1e-7
                v0 = max(v0, 1e-7)
            # an upper bound on the widths (FWHM of about 1 deg or 20x the start) makes a fit that goes
            # astray fail fast instead of growing profiles that span the whole pattern
            hi = {"w": max(400.0 * v0, 1.0), "x": max(20.0 * abs(v0), 1.0), "y": max(20.0 * abs(v0), 1.0)}.get(p, np.inf)
            spec[f"p{i}_{p}"] = {"value": v0, "min": lo, "max": hi, "vary": p in ph.refine_profile}
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


def _prescan_cell_scale(model, params, y, span: float, n: int | None = None) -> None:
    """Scale the cell lengths of every phase by the factor that best overlaps the observed peaks."""
    v0 = params.valuesdict()
    signal = np.clip(y - np.percentile(y, 20), 0.0, None)
    if not np.any(signal > 0):
        return
    lengths = [f"p{i}_{p}" for i, ph in enumerate(model.phases) if ph.refine_cell
               for p in model.free[i] if p in ("a", "b", "c")]
    if not lengths:
        return
    if n is None:                # steps of 2.5e-4 (relative), finer than a peak width at high angle
        n = max(21, int(round(2 * span / 2.5e-4)) + 1)
    ones = [np.ones(len(r)) for r in model.refl]
    best, best_score = 1.0, -np.inf
    for f in np.linspace(1.0 - span, 1.0 + span, n):
        vv = dict(v0)
        for name in lengths:
            vv[name] = v0[name] * f
        # the overlap is decided by the peaks' cores: a few FWHMs are enough (and 5x cheaper)
        calc = model.peaks(vv, ones, window=min(model.window, _PRESCAN_WINDOW))
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
               tol: float = 1e-4, window: float = 20.0, prescan: float | None = None,
               extraction_passes: int = 3) -> LeBailResult:
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
    prescan : float, optional
        Before fitting, scan an isotropic scale of every cell length within ``±prescan``
        (relative; 0 to switch off) for the best overlap of unit-intensity peaks with the
        pattern: Le Bail extraction only converges from a cell whose peaks lie within about
        one FWHM of the observed ones, and a temperature step can move them further.
        Default 0.02, or 0.005 when starting from a neighbouring fit (``start``).
    extraction_passes : int
        Le Bail extraction passes after each least-squares cycle. The widths and the
        extracted intensities of overlapping reflections converge together, slowly: more
        passes (they are cheap, about a millisecond each) reach the fixed point in fewer
        cycles when the profile widths are refined (PbSO4 with U, V, W, X, Y refined:
        the cell moves by ~4 esd between 8 cycles of 3 passes and the fixed point).

    Returns
    -------
    LeBailResult
    """
    src = measurement.source or "pattern"
    if int(extraction_passes) != extraction_passes or extraction_passes < 1:
        raise ConfigError(f"extraction_passes must be a whole number >= 1, got {extraction_passes!r}", path=src)
    extraction_passes = int(extraction_passes)
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
    if prescan is None:          # a neighbouring fit is close: a narrower scan of the same resolution
        prescan = 0.005 if start is not None else 0.02
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

    var_names = [nm for nm, par in params.items() if par.vary and par.expr is None]

    def jacobian(p):
        return model.jacobian(p.valuesdict(), intensities, var_names)

    rwp_prev = np.inf
    rep = None
    n_cycles = 0
    messages = []
    for n_cycles in range(1, max_cycles + 1):
        rep = minimize(residual, params, context=src, jac=jacobian)
        if not rep.converged and not np.isfinite(rep.chisqr):
            break
        for name, val in rep.values.items():
            params[name].value = val
        v = params.valuesdict()
        intensities = model.extract(v, intensities, n_iter=extraction_passes)
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
            reflections=refl[i], two_theta_deg=c[:n], intensities=intensities[i],
            two_theta_range=(float(tt[0]), float(tt[-1]))))
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
        settings={"n_background": n_background, "refine_zero": refine_zero, "extraction_passes": extraction_passes,
                  "refine_displacement": refine_displacement, "refine_asymmetry": refine_asymmetry,
                  "two_theta_min": float(tt[0]), "two_theta_max": float(tt[-1]), "radiation": rad.name})
