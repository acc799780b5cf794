"""Sequential and parametric Le Bail refinement of a pattern series (temperature, milling time...).

:func:`fit_sequential` orders the patterns by a condition and fits each one
starting from the last converged fit (cell, profile, zero and the extracted
intensities). A fit that fails (an error, no convergence, or an Rwp more than
``rwp_jump`` times the running median) is retried from the first pattern's
result, and after the forward pass once more from the converged neighbour on
the other side; what still fails is reported and the series goes on.

:func:`fit_parametric` then refines the cell of every phase as a polynomial in
the condition across all patterns at once (what TOPAS calls parametric
refinement), with per-pattern backgrounds and the per-pattern intensities and
widths of the sequential pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, StructkitError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.measurement import Measurement
from .lebail import LeBailResult, Phase, lebail_fit
from .reflections import free_cell_parameters

__all__ = ["SequentialResult", "fit_sequential", "ParametricResult", "fit_parametric"]


@dataclass(frozen=True)
class SequentialResult:
    """The fits of a series, in the order of the condition, and the failures."""

    order_by: str
    results: tuple[LeBailResult | None, ...]
    measurements: tuple[Measurement, ...]
    status: tuple[str, ...]
    failures: tuple[tuple[str, str], ...]

    def to_frame(self):
        """One row per pattern: file, condition, cell (+esds), volume, Rwp, converged, status."""
        import pandas as pd
        rows = []
        for m, r, st in zip(self.measurements, self.results, self.status):
            if r is None:
                rows.append({"file": m.source, "sample": m.sample, **dict(m.conditions), "converged": False,
                             "status": st})
            else:
                rows.append({**r.to_row(), "status": st})
        return pd.DataFrame(rows)

    def descriptors(self) -> list[DescriptorRow]:
        return [d for r in self.results if r is not None for d in r.descriptors()]

    def converged_results(self) -> list[LeBailResult]:
        return [r for r in self.results if r is not None and r.converged]

    def plot(self, ax=None):
        from .plot import plot_sequential
        return plot_sequential(self, ax=ax)

    def __repr__(self) -> str:
        ok = sum(1 for r in self.results if r is not None and r.converged)
        return (f"SequentialResult({len(self.results)} patterns by {self.order_by}: {ok} converged, "
                f"{len(self.failures)} failed)")


def _condition(m: Measurement, order_by: str) -> float:
    v = m.conditions.get(order_by)
    if v is None:
        raise DataError(f"no {order_by!r} condition to order the series by; give it in the file name, "
                        "header or a conditions.csv sidecar, or choose order_by=", path=m.source or None)
    return float(v)


def _bad(res: LeBailResult | None, history: list[float], rwp_jump: float) -> str | None:
    if res is None:
        return "failed"
    if not res.converged:
        return f"not converged: {res.message}"
    if history and res.rwp > rwp_jump * float(np.median(history)):
        return f"Rwp {100 * res.rwp:.1f} % jumped above {rwp_jump:g} x the series median"
    return None


def fit_sequential(measurements: Sequence[Measurement], phases: Phase | Sequence[Phase], *,
                   order_by: str = "temperature_K", recover: bool = True, rwp_jump: float = 2.5,
                   progress: bool = False, **lebail_kwargs) -> SequentialResult:
    """Fit a series pattern by pattern, each starting from the last converged one.

    Parameters
    ----------
    measurements : sequence of Measurement
    phases : Phase or sequence of Phase
        The starting model (for the first pattern of the order).
    order_by : str
        Condition that orders the series (``temperature_K``, ``milling_time_h`` ...).
    recover : bool
        Retry failed patterns from the first fit and from the other neighbour.
    rwp_jump : float
        A fit whose Rwp exceeds this multiple of the running median counts as failed.
    **lebail_kwargs
        Passed to :func:`structkit.xrd.lebail.lebail_fit`.
    """
    ms = list(measurements)
    if not ms:
        raise ConfigError("fit_sequential needs at least one pattern")
    keys = [_condition(m, order_by) for m in ms]
    order = sorted(range(len(ms)), key=lambda i: (keys[i], ms[i].source))
    ms = [ms[i] for i in order]
    results: list[LeBailResult | None] = [None] * len(ms)
    status = [""] * len(ms)
    errors: dict[int, str] = {}
    history: list[float] = []

    def attempt(i, start):
        try:
            return lebail_fit(ms[i], phases, start=start, **lebail_kwargs), None
        except StructkitError as exc:
            return None, f"{type(exc).__name__}: {exc}"

    iterator = range(len(ms))
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc="Le Bail", unit="pattern", disable=None)
    first = None
    last_good = None
    for i in iterator:
        res, err = attempt(i, last_good)
        why = err or _bad(res, history, rwp_jump)
        if why and recover and first is not None and last_good is not first:
            res2, err2 = attempt(i, first)
            why2 = err2 or _bad(res2, history, rwp_jump)
            if not why2:
                res, why, status[i] = res2, None, "recovered from the first pattern"
        if why:
            errors[i] = why
            results[i] = res
            continue
        results[i] = res
        status[i] = status[i] or "ok"
        history.append(res.rwp)
        last_good = res
        if first is None:
            first = res
    if recover:
        for i in sorted(errors, reverse=True):
            nxt = next((results[j] for j in range(i + 1, len(ms)) if j not in errors and results[j] is not None),
                       None)
            if nxt is None:
                continue
            res, err = attempt(i, nxt)
            if not (err or _bad(res, history, rwp_jump)):
                results[i], status[i] = res, "recovered from the next pattern"
                del errors[i]
    for i, why in errors.items():
        status[i] = f"failed: {why}"
    failures = tuple((ms[i].source, errors[i]) for i in sorted(errors))
    return SequentialResult(order_by=order_by, results=tuple(results), measurements=tuple(ms),
                            status=tuple(status), failures=failures)


@dataclass(frozen=True)
class ParametricResult:
    """Cell parameters as polynomials of the condition, fitted across the whole series."""

    order_by: str
    reference: float
    degree: int
    coefficients: Mapping[str, tuple[float, ...]]
    coefficients_stderr: Mapping[str, tuple[float, ...]]
    report: FitReport
    conditions: np.ndarray
    rwp: float
    phases: tuple[Phase, ...]
    converged: bool
    message: str

    def __post_init__(self):
        object.__setattr__(self, "coefficients", FrozenMap(self.coefficients))
        object.__setattr__(self, "coefficients_stderr", FrozenMap(self.coefficients_stderr))

    def cell_at(self, value: float, phase: int = 0) -> dict[str, tuple[float, float]]:
        """Free cell parameters (value, stderr) of ``phase`` at a condition value."""
        out = {}
        for p in free_cell_parameters(self.phases[phase].space_group):
            name = f"p{phase}_{p}"
            x = value - self.reference

            def f(v, name=name, x=x):
                return sum(v[f"{name}_c{j}"] * x ** j for j in range(self.degree + 1))
            out[p] = self.report.propagate(f)
        return out

    def to_frame(self):
        import pandas as pd
        rows = []
        for t in self.conditions:
            row = {self.order_by: t}
            for i, ph in enumerate(self.phases):
                pre = f"{ph.name}_" if len(self.phases) > 1 else ""
                for p, (val, err) in self.cell_at(t, i).items():
                    unit = "deg" if p in ("alpha", "beta", "gamma") else "angstrom"
                    row[f"{pre}{p}_{unit}"] = val
                    row[f"{pre}{p}_stderr_{unit}"] = err
            rows.append(row)
        return pd.DataFrame(rows)


def fit_parametric(sequential: SequentialResult, *, degree: int = 3, reference: float | None = None,
                   max_nfev: int | None = None) -> ParametricResult:
    """Refine each free cell parameter as a polynomial of the condition across all converged patterns.

    Intensities, widths, zero shift and asymmetry are held at the sequential
    values of each pattern; backgrounds are re-solved per pattern.
    """
    from .lebail import _Model

    good = [(m, r) for m, r in zip(sequential.measurements, sequential.results) if r is not None and r.converged]
    if len(good) < degree + 2:
        raise DataError(f"parametric refinement of degree {degree} needs at least {degree + 2} converged "
                        f"patterns, got {len(good)}")
    order_by = sequential.order_by
    xs = np.array([float(m.conditions[order_by]) for m, _ in good])
    x0 = float(np.mean(xs)) if reference is None else float(reference)
    first = good[0][1]
    phases = []
    for ph in first.phases:
        phases.append(Phase(space_group=ph.space_group, cell=ph.cell, name=ph.name))
    models, fixed = [], []
    for m, r in good:
        s = r.settings
        mm = m.crop(s["two_theta_min"], s["two_theta_max"])
        y = np.asarray(mm.y, dtype=float)
        sigma = mm.sigma if mm.sigma is not None else np.sqrt(np.maximum(y, 1.0))
        model = _Model(mm.x, y, np.where(sigma > 0, sigma, 1.0), phases,
                       [ph.reflections for ph in r.phases], r.radiation, r.instrument, int(s["n_background"]),
                       None, 20.0)
        models.append(model)
        fixed.append((dict(r.params), [ph.intensities for ph in r.phases]))
    # starting polynomials from the sequential cells
    spec = {}
    for i, ph in enumerate(phases):
        for p in free_cell_parameters(ph.space_group):
            vals = np.array([r.params[f"p{i}_{p}"] for _, r in good])
            coef = np.polynomial.polynomial.polyfit(xs - x0, vals, degree)
            for j, c in enumerate(coef):
                spec[f"p{i}_{p}_c{j}"] = float(c)
    params = make_params(spec)
    free = [free_cell_parameters(ph.space_group) for ph in phases]

    def residual(p):
        v = p.valuesdict()
        out = []
        for model, (vals, intens), x in zip(models, fixed, xs):
            vv = dict(vals)
            for i in range(len(phases)):
                for q in free[i]:
                    vv[f"p{i}_{q}"] = sum(v[f"p{i}_{q}_c{j}"] * (x - x0) ** j for j in range(degree + 1))
            yp = model.peaks(vv, intens)
            _, bkg = model.linear(yp)
            out.append((model.y - yp - bkg) * model.w)
        return np.concatenate(out)

    rep = minimize(residual, params, max_nfev=max_nfev, context=f"parametric refinement over {order_by}")
    resid = rep.residual
    wsum = sum(float(np.sum((m.y * m.w) ** 2)) for m in models)
    rwp = math.sqrt(float(np.sum(resid ** 2)) / wsum) if resid.size else float("nan")
    coefs, errs = {}, {}
    for i, ph in enumerate(phases):
        for p in free[i]:
            coefs[f"{ph.name}:{p}"] = tuple(rep.values[f"p{i}_{p}_c{j}"] for j in range(degree + 1))
            errs[f"{ph.name}:{p}"] = tuple(rep.stderr[f"p{i}_{p}_c{j}"] for j in range(degree + 1))
    return ParametricResult(order_by=order_by, reference=x0, degree=degree, coefficients=coefs,
                            coefficients_stderr=errs, report=rep, conditions=xs, rwp=rwp, phases=tuple(phases),
                            converged=rep.converged, message=rep.message)
