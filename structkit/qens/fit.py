"""QENS fits: model-independent per-Q fits, EISF(Q) fits, global (Q, E) surface fits, T series.

* :func:`fit_per_q` — at every Q, elastic δ + 0…N Lorentzians + flat/linear background, all
  convolved with the resolution; N fixed or chosen by BIC; EISF = A0/(A0 + ΣA) and HWHM(Q).
* :func:`fit_eisf` — EISF(Q) against a geometric model (C_n jump rotation, two-site, isotropic
  rotation, diffusion in a sphere) with immobile fraction and amplitude.
* :func:`fit_global` — one scattering law (:mod:`structkit.qens.models`) fitted to all Q groups at
  once with shared τ, radius, immobile fraction, ⟨u²⟩ and libration width (seed 000's method).
* :func:`fit_temperatures` — the same across temperatures: separately, with parameters shared
  between temperatures, or with τ(T) = τ_ref exp[Ea/k_B (1/T − 1/T_ref)] inside the fit.
* :func:`arrhenius_tau` — Ea from τ(T) afterwards (the core piecewise-linear engine that the
  conductivity Arrhenius uses).

Amplitudes, scales and backgrounds enter linearly and are solved at every step
(:func:`structkit.core.fit.minimize_separable`); the reported covariance is that of the full
problem, so EISF errors include the amplitude–width correlations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import DataError, FitError
from ..core.fit import FitReport, make_params, minimize_separable
from ..core.frozen import FrozenMap
from ..core.summary import SummaryRepr
from ..core.units import HBAR_MEV_PS, K_B_EV
from . import models as M
from .data import QENSData, as_qens_data
from .resolution import Convolver, Resolution

__all__ = [
    "fit_per_q", "QGroupFit", "PerQResult",
    "fit_eisf", "EISFFit",
    "fit_global", "GlobalFitResult",
    "fit_temperatures", "TemperatureSeries",
    "arrhenius_tau", "ArrheniusTau", "IdentifiabilityError",
]


class IdentifiabilityError(FitError):
    """Two or more parameters cannot be told apart by the data (fix one, or widen the Q/E range)."""


def _ro(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


# -- preparation ---------------------------------------------------------------------
@dataclass
class _Prepared:
    data: QENSData
    convolvers: list
    sigma: list
    weighted: bool


def _prepare(data, resolution, energy_range, q_range, context) -> _Prepared:
    data = as_qens_data(data)
    if not isinstance(resolution, Resolution):
        raise DataError(f"{context}: a resolution is required (Resolution.from_vanadium(...) or "
                        "Resolution.gaussian(fwhm_meV)); got " + type(resolution).__name__)
    if q_range is not None:
        data = data.select(*q_range)
    if energy_range is not None:
        data = data.crop(*energy_range)
    groups = resolution.for_data(data)
    convs = [Convolver(g, e) for g, e in zip(groups, data.energy)]
    sig = []
    for i in range(data.n_groups):
        if data.ds is None:
            sig.append(np.ones_like(data.s[i]))
            continue
        d = np.asarray(data.ds[i], dtype=float)
        pos = d[d > 0]
        if pos.size == 0:
            raise DataError(f"{context}: group {i} (Q = {data.q[i]:g}) has no positive errors", path=data.source or None)
        sig.append(np.where(d > 0, d, pos.min()))
    return _Prepared(data, convs, sig, data.ds is not None)


def _bg_columns(e, background):
    if background == "none":
        return []
    if background == "flat":
        return [np.ones_like(e)]
    if background == "linear":
        mid = 0.5 * (e[0] + e[-1])
        span = max(0.5 * (e[-1] - e[0]), 1e-12)
        return [np.ones_like(e), (e - mid) / span]
    raise DataError(f"background must be 'none', 'flat' or 'linear' (got {background!r})")


def _bg_names(background, suffix=""):
    return {"none": [], "flat": [f"bg{suffix}"], "linear": [f"bg{suffix}", f"bg_slope{suffix}"]}[background]


# -- per-Q fits ----------------------------------------------------------------------
@dataclass(frozen=True)
class QGroupFit:
    """The fit of one Q group: elastic and Lorentzian amplitudes, HWHMs, EISF and curves."""

    q: float
    n_lorentzians: int
    eisf: float
    eisf_stderr: float
    hwhm_meV: tuple
    hwhm_stderr_meV: tuple
    amplitudes: tuple          # elastic, then Lorentzians (sorted by width)
    amplitudes_stderr: tuple
    shift_meV: float
    report: FitReport
    energy: np.ndarray
    s: np.ndarray
    ds: np.ndarray
    best_fit: np.ndarray
    components: Mapping[str, np.ndarray]
    bic_by_n: Mapping[int, float] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return bool(self.report.converged)


def _fit_group(conv: Convolver, e, y, sig, n, background, shift, res_hwhm, context, start=None, min_hwhm=0.1):
    import lmfit

    span = float(e[-1] - e[0])
    bgcols = _bg_columns(e, background)
    names_lin = ["elastic"] + [f"qe{k + 1}" for k in range(n)] + _bg_names(background)

    def blocks(v):
        sh = v.get("shift", 0.0)
        cols = [conv.delta(sh)] + [conv.lorentzian(v[f"hwhm{k + 1}"], sh) for k in range(n)] + bgcols
        return [np.column_stack(cols)]

    if start is not None:
        starts = [start]
    elif n == 0:
        starts = [()]
    elif n == 1:
        starts = [(0.3 * res_hwhm,), (res_hwhm,), (3.0 * res_hwhm,)]
    elif n == 2:
        starts = [(0.5 * res_hwhm, 5 * res_hwhm), (res_hwhm, 10 * res_hwhm), (0.2 * res_hwhm, 2 * res_hwhm)]
    else:
        starts = [tuple(res_hwhm * 0.3 * 6.0 ** k for k in range(n)), tuple(res_hwhm * 6.0 ** k for k in range(n))]
    best = None
    for st in starts:
        p = lmfit.Parameters()
        for k in range(n):
            lo = min_hwhm * res_hwhm
            p.add(f"hwhm{k + 1}", value=float(max(st[k], 1.5 * lo)), min=lo, max=20.0 * span)
        if shift:
            p.add("shift", value=0.0, min=-res_hwhm, max=res_hwhm)
        if not p:
            p.add("shift", value=0.0, vary=False)
        rep = minimize_separable(blocks, p, [y], [sig], [names_lin], nonneg=names_lin[:n + 1], context=context)
        if best is None or (np.isfinite(rep.chisqr) and rep.chisqr < best.chisqr):
            best = rep
    return best, blocks, names_lin


def _group_result(q, conv, e, y, sig, n, rep, blocks, names_lin, background, bics) -> QGroupFit:
    v = rep.values
    order = sorted(range(n), key=lambda k: v[f"hwhm{k + 1}"])
    amp_names = ["elastic"] + [f"qe{k + 1}" for k in order]
    total = [a for a in amp_names]

    def eisf_of(vals):
        s = sum(vals[a] for a in total)
        return [vals["elastic"] / s if s > 0 else np.nan]

    eisf, eisf_err = rep.propagate_many(eisf_of) if rep.errorbars else (np.array(eisf_of(v)), np.array([np.nan]))
    held = set(rep.at_bounds)
    if "elastic" in held or all(f"qe{k + 1}" in held for k in range(n)):
        # EISF exactly 0 (or 1) with one side of the ratio held at its 0 bound: propagation takes held
        # amplitudes as exact and would give an error of 0; a one-sided bound has no symmetric error
        eisf_err = np.array([np.nan])
    mat = blocks(dict(v))[0]
    coef = np.array([v[nm] for nm in names_lin])
    comps = {"elastic": mat[:, 0] * v["elastic"]}
    for rank, k in enumerate(order):
        comps[f"lorentzian{rank + 1}"] = mat[:, 1 + k] * v[f"qe{k + 1}"]
    if background != "none":
        comps["background"] = mat[:, n + 1:] @ coef[n + 1:]
    dead = {k for k in order if v[f"qe{k + 1}"] <= 0.0}  # a line held at zero amplitude has no width
    return QGroupFit(q=float(q), n_lorentzians=n, eisf=float(eisf[0]), eisf_stderr=float(eisf_err[0]),
                     hwhm_meV=tuple(np.nan if k in dead else float(v[f"hwhm{k + 1}"]) for k in order),
                     hwhm_stderr_meV=tuple(np.nan if k in dead else float(rep.stderr[f"hwhm{k + 1}"])
                                           for k in order),
                     amplitudes=tuple(float(v[a]) for a in amp_names),
                     amplitudes_stderr=tuple(float(rep.stderr[a]) for a in amp_names),
                     shift_meV=float(v.get("shift", 0.0)), report=rep, energy=_ro(e), s=_ro(y), ds=_ro(sig),
                     best_fit=_ro(mat @ coef), components=FrozenMap({k: _ro(c) for k, c in comps.items()}),
                     bic_by_n=FrozenMap(bics))


@dataclass(frozen=True, repr=False)
class PerQResult(SummaryRepr):
    """Model-independent fits of every Q group (see :func:`fit_per_q`)."""

    groups: tuple
    temperature_K: float | None
    sample: str
    source: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def q(self):
        return np.array([g.q for g in self.groups])

    @property
    def eisf(self):
        return np.array([g.eisf for g in self.groups])

    @property
    def eisf_stderr(self):
        return np.array([g.eisf_stderr for g in self.groups])

    @property
    def hwhm_meV(self):
        """HWHM of the narrowest Lorentzian per Q (NaN where none was fitted)."""
        return np.array([g.hwhm_meV[0] if g.hwhm_meV else np.nan for g in self.groups])

    @property
    def hwhm_stderr_meV(self):
        return np.array([g.hwhm_stderr_meV[0] if g.hwhm_meV else np.nan for g in self.groups])

    @property
    def converged(self) -> bool:
        return all(g.converged for g in self.groups)

    def to_frame(self):
        import pandas as pd

        rows = []
        for g in self.groups:
            row = {"temperature_K": self.temperature_K, "q_inv_angstrom": g.q, "eisf": g.eisf,
                   "eisf_stderr": g.eisf_stderr,
                   "hwhm_meV": g.hwhm_meV[0] if g.hwhm_meV else np.nan,
                   "hwhm_stderr_meV": g.hwhm_stderr_meV[0] if g.hwhm_meV else np.nan,
                   "n_lorentzians": g.n_lorentzians, "elastic": g.amplitudes[0],
                   "quasielastic": float(sum(g.amplitudes[1:])), "shift_meV": g.shift_meV,
                   "redchi": g.report.redchi, "converged": g.converged}
            for k in range(1, g.n_lorentzians):
                row[f"hwhm{k + 1}_meV"] = g.hwhm_meV[k]
                row[f"hwhm{k + 1}_stderr_meV"] = g.hwhm_stderr_meV[k]
            rows.append(row)
        return pd.DataFrame(rows)

    def descriptors(self) -> list[DescriptorRow]:
        """``eisf[q=…]`` and ``hwhm_meV[q=…]`` rows (one per Q group)."""
        cond = {} if self.temperature_K is None else {"temperature_K": self.temperature_K}
        base = dict(sample=self.sample, technique="qens", conditions=cond, source=self.source,
                    method="qens:per-q" + ("" if self.converged else ":not-converged"))
        rows = []
        for g in self.groups:
            tag = f"[q={g.q:.3g}]"
            rows.append(DescriptorRow(name=f"eisf{tag}", value=g.eisf, stderr=g.eisf_stderr, unit="", **base))
            if g.hwhm_meV:
                rows.append(DescriptorRow(name=f"hwhm_meV{tag}", value=g.hwhm_meV[0],
                                          stderr=g.hwhm_stderr_meV[0], unit="meV", **base))
        return rows

    def summary(self) -> str:
        t = "" if self.temperature_K is None else f" at {self.temperature_K:g} K"
        lines = [f"QENS per-Q fits of {self.sample or self.source or 'data'}{t}: {len(self.groups)} Q groups"
                 f"{'' if self.converged else ' (some NOT converged)'}"]
        for g in self.groups:
            hw = ", ".join(f"{h:.4g}±{s:.2g}" for h, s in zip(g.hwhm_meV, g.hwhm_stderr_meV)) or "-"
            lines.append(f"  Q={g.q:6.3f}  EISF={g.eisf:.4f}±{g.eisf_stderr:.4f}  HWHM={hw} meV  "
                         f"redchi={g.report.redchi:.3g}")
        return "\n".join(lines)

    def plot(self, **kw):
        from .plot import plot_per_q

        return plot_per_q(self, **kw)


def fit_per_q(data, resolution: Resolution, *, n_lorentzians: int | str = 1, max_lorentzians: int = 3,
              background: str = "flat", energy_range=None, q_range=None, shift: bool = True,
              min_hwhm: float = 0.1) -> PerQResult:
    """Model-independent fit of every Q group: δ + N Lorentzians + background, ⊗ resolution.

    Parameters
    ----------
    data : QENSData or the Measurements of :func:`structkit.io.read_qens`
    resolution : Resolution
    n_lorentzians : int or ``"auto"``
        ``"auto"`` tries 0 … ``max_lorentzians`` and keeps the lowest BIC.
    background : ``"flat"`` (default), ``"linear"`` or ``"none"``
    energy_range, q_range : (lo, hi), optional
        Fit window in meV, and Q groups to keep (1/Å).
    shift : bool
        Fit an elastic-line offset per group (within ± the resolution HWHM).
    min_hwhm : float
        Smallest Lorentzian HWHM, as a fraction of the resolution HWHM (default 0.1): a
        narrower line cannot be told from the elastic one and would trade places with it.

    Returns
    -------
    PerQResult
        ``q``, ``eisf``, ``eisf_stderr``, ``hwhm_meV`` (narrowest Lorentzian), ``to_frame()``,
        ``descriptors()``, ``plot()``.
    """
    ctx = "qens per-Q fit"
    prep = _prepare(data, resolution, energy_range, q_range, ctx)
    d = prep.data
    if n_lorentzians != "auto" and (int(n_lorentzians) != n_lorentzians or int(n_lorentzians) < 0):
        raise FitError(f"{ctx}: n_lorentzians must be a non-negative integer or 'auto' (got {n_lorentzians!r})")
    tries = list(range(0, int(max_lorentzians) + 1)) if n_lorentzians == "auto" else [int(n_lorentzians)]
    groups = []
    for i in range(d.n_groups):
        conv, e, y, sig = prep.convolvers[i], d.energy[i], d.s[i], prep.sigma[i]
        res_hwhm = 0.5 * conv.group.fwhm_meV
        gctx = f"{d.source or ctx}: Q = {d.q[i]:g} 1/A"
        fits, bics = {}, {}
        for n in tries:
            nfree = 2 * n + (1 if shift else 0) + 1 + len(_bg_names(background))
            if nfree >= e.size:
                continue
            rep, blocks, names = _fit_group(conv, e, y, sig, n, background, shift, res_hwhm, gctx,
                                            min_hwhm=min_hwhm)
            fits[n] = (rep, blocks, names)
            bics[n] = float(rep.bic)
        if not fits:
            raise FitError(f"{gctx}: too few points ({e.size}) for the model; widen the energy range")
        n_best = min(bics, key=bics.get)
        rep, blocks, names = fits[n_best]
        groups.append(_group_result(d.q[i], conv, e, y, sig, n_best, rep, blocks, names, background, bics))
    return PerQResult(groups=tuple(groups), temperature_K=d.temperature_K, sample=d.sample, source=d.source,
                      settings={"n_lorentzians": n_lorentzians, "background": background,
                                "energy_range": energy_range, "q_range": q_range, "shift": shift,
                                "resolution": resolution.meta.get("model")})


# -- EISF fits ----------------------------------------------------------------------
def _eisf_function(model: str, n: int | None):
    key = str(model).lower().replace("_", "-")
    if key in ("jump-rotation", "circle", "jump"):
        if n is None:
            raise FitError("EISF model 'jump-rotation' needs the number of sites n (e.g. n=5)")
        return (lambda q, size: M.eisf_jump_circle(q, size, n)), "radius_angstrom", f"jump-rotation:n={n}"
    if key in M.EISF_MODELS and M.EISF_MODELS[key] is not None:
        fn, size = M.EISF_MODELS[key]
        return fn, size, key
    raise FitError(f"unknown EISF model {model!r}; use jump-rotation (with n), two-site, "
                   "isotropic-rotation or sphere")


@dataclass(frozen=True, repr=False)
class EISFFit(SummaryRepr):
    """An EISF(Q) fit: size (radius or distance), immobile fraction, amplitude."""

    model: str
    size_name: str
    q: np.ndarray
    eisf: np.ndarray
    eisf_stderr: np.ndarray | None
    report: FitReport
    _fn: Any = field(repr=False, compare=False, default=None)

    @property
    def values(self):
        return self.report.values

    @property
    def stderr(self):
        return self.report.stderr

    def curve(self, q):
        v = self.values
        p = v.get("immobile_fraction", 0.0)
        return v.get("amplitude", 1.0) * (p + (1 - p) * self._fn(np.asarray(q, dtype=float), v[self.size_name]))

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"model": self.model, "parameter": k, "value": self.values[k],
                              "stderr": self.stderr.get(k, np.nan)} for k in self.values])

    def summary(self):
        v, s = self.values, self.stderr
        parts = [f"{k}={v[k]:.4g}±{s.get(k, np.nan):.2g}" for k in v]
        return f"EISF fit ({self.model}): " + ", ".join(parts) + f"; redchi={self.report.redchi:.3g}"


def fit_eisf(q, eisf, eisf_stderr=None, *, model: str = "jump-rotation", n: int | None = None,
             immobile_fraction: bool | float = True, amplitude: bool | float = False,
             start: Mapping[str, float] | None = None, context: str = "EISF fit") -> EISFFit:
    """Fit EISF(Q) = A·[p + (1−p)·EISF_model(Q; size)].

    ``model``: ``jump-rotation`` (needs ``n``; size = radius), ``two-site`` (size = distance),
    ``isotropic-rotation`` or ``sphere`` (size = radius). ``immobile_fraction`` /
    ``amplitude``: True = fitted, a number = held, False = 0 (p) or 1 (A).

    Raises
    ------
    IdentifiabilityError
        When two parameters trade off almost perfectly over the Q range (correlation
        above 0.999), e.g. radius and immobile fraction when Q·r stays small.
    """
    q = np.asarray(q, dtype=float).ravel()
    y = np.asarray(eisf, dtype=float).ravel()
    if q.size != y.size:
        raise DataError(f"{context}: {q.size} Q values but {y.size} EISF values")
    ok = np.isfinite(q) & np.isfinite(y)
    s = None if eisf_stderr is None else np.asarray(eisf_stderr, dtype=float).ravel()
    if s is not None:
        ok &= np.isfinite(s) & (s > 0)
    q, y = q[ok], y[ok]
    s = np.ones_like(y) if s is None else s[ok]
    fn, size, label = _eisf_function(model, n)
    spec = {size: {"value": float((start or {}).get(size, 1.0 if size == "radius_angstrom" else 2.0)),
                   "min": 0.01, "max": 50.0}}
    if immobile_fraction is True:
        spec["immobile_fraction"] = {"value": float((start or {}).get("immobile_fraction", 0.1)), "min": 0.0,
                                     "max": 1.0}
    elif immobile_fraction is not False:
        spec["immobile_fraction"] = {"value": float(immobile_fraction), "vary": False}
    if amplitude is True:
        spec["amplitude"] = {"value": float((start or {}).get("amplitude", 1.0)), "min": 0.0}
    elif amplitude is not False:
        spec["amplitude"] = {"value": float(amplitude), "vary": False}
    nfree = sum(1 for v in spec.values() if v.get("vary", True))
    if q.size <= nfree:
        raise FitError(f"{context}: {q.size} usable Q points for {nfree} parameters")
    params = make_params(spec)

    def model_of(v):
        p = v.get("immobile_fraction", 0.0)
        return v.get("amplitude", 1.0) * (p + (1 - p) * fn(q, v[size]))

    from ..core.fit import minimize

    best = None
    for r0 in ([spec[size]["value"]] if start and size in start else [0.5, 1.0, 2.0, 4.0]):
        params[size].value = r0
        rep = minimize(lambda p: (model_of(p.valuesdict()) - y) / s, params, context=context)
        if best is None or rep.chisqr < best.chisqr:
            best = rep
    _check_correlations(best, context, advice="fix one of them (e.g. the radius from the structure) or "
                                                "measure a wider Q range")
    return EISFFit(model=label, size_name=size, q=_ro(q), eisf=_ro(y), eisf_stderr=_ro(s), report=best, _fn=fn)


def _check_correlations(rep: FitReport, context: str, names=None, limit: float = 0.999, advice: str = ""):
    names = [n for n in rep.var_names if names is None or n in names]
    if rep.covar is None:
        if rep.converged and len(names) > 1:
            raise IdentifiabilityError(f"{context}: the parameters {', '.join(names)} are not identifiable from "
                                       f"these data (singular covariance); {advice}")
        return
    idx = [rep.var_names.index(n) for n in names]
    c = rep.covar[np.ix_(idx, idx)]
    d = np.sqrt(np.abs(np.diag(c)))
    d[d == 0] = 1.0
    corr = c / np.outer(d, d)
    for a in range(len(idx)):
        for b in range(a + 1, len(idx)):
            if abs(corr[a, b]) > limit:
                raise IdentifiabilityError(
                    f"{context}: {names[a]} and {names[b]} are not identifiable from these data (correlation "
                    f"{corr[a, b]:+.4f}); {advice}")


# -- global fits ---------------------------------------------------------------------
_EXTRA = {
    "immobile_fraction": (0.1, 0.0, 0.999),
    "u2_A2": (0.02, 0.0, 2.0),
    "libration_hwhm_meV": (2.0, 1e-3, 1e3),
    "shift_meV": (0.0, -1.0, 1.0),
}


@dataclass(frozen=True, repr=False)
class GlobalFitResult(SummaryRepr):
    """A global (Q, E) fit at one temperature: law parameters, per-Q scales, curves."""

    law: Any
    values: Mapping[str, float]
    stderr: Mapping[str, float]
    report: FitReport
    temperature_K: float | None
    sample: str
    source: str
    q: np.ndarray
    energy: tuple
    s: tuple
    ds: tuple
    best_fit: tuple
    components: tuple
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return bool(self.report.converged)

    @property
    def tau_ps(self):
        return self.values.get("tau_ps", np.nan)

    def eisf(self, q=None):
        """The model EISF p + (1 − p)·A0(Q) at ``q`` (the data's Q by default)."""
        q = self.q if q is None else np.asarray(q, dtype=float)
        p = self.values.get("immobile_fraction", 0.0)
        return p + (1 - p) * self.law.eisf(q, self.values)

    def derived(self) -> dict[str, tuple[float, float]]:
        """Derived numbers with errors: ``hwhm1_meV`` (narrowest line, at the mean Q for
        translational laws), ``libration_tau_ps`` (ħ/Γ_lib), ``diffusion_m2_per_s``, ``jump_length_angstrom``."""
        out = {}
        v, s = self.values, self.stderr
        if "tau_ps" in v and isinstance(self.law, (M.JumpRotation, M.TwoSiteJump)):
            n = self.law.n if isinstance(self.law, M.JumpRotation) else 2
            k = 2 * HBAR_MEV_PS * np.sin(np.pi / n) ** 2
            out["hwhm1_meV"] = (k / v["tau_ps"], k / v["tau_ps"] ** 2 * s.get("tau_ps", np.nan))
        if "libration_hwhm_meV" in v:
            g, dg = v["libration_hwhm_meV"], s.get("libration_hwhm_meV", np.nan)
            out["libration_tau_ps"] = (HBAR_MEV_PS / g, HBAR_MEV_PS / g ** 2 * dg)
        if "diffusion_A2_per_ps" in v:
            out["diffusion_m2_per_s"] = (v["diffusion_A2_per_ps"] * 1e-8, s.get("diffusion_A2_per_ps", np.nan) * 1e-8)
            if "tau_ps" in v:
                val, err = self.report.propagate(lambda w: np.sqrt(6 * w["diffusion_A2_per_ps"] * w["tau_ps"])) \
                    if self.report.errorbars else (M.jump_length(v["diffusion_A2_per_ps"], v["tau_ps"]), np.nan)
                out["jump_length_angstrom"] = (val, err)
        return out

    def to_frame(self):
        import pandas as pd

        row = {"temperature_K": self.temperature_K, "law": self.law.name}
        for k in self.law.param_names + tuple(_EXTRA):
            if k in self.values:
                row[k] = self.values[k]
                row[k.replace("_ps", "_stderr_ps") if k == "tau_ps" else f"{k}_stderr"] = self.stderr.get(k, np.nan)
        for k, (val, err) in self.derived().items():
            row[k], row[f"{k}_stderr"] = val, err
        row.update(redchi=self.report.redchi, converged=self.converged)
        return pd.DataFrame([row])

    def descriptors(self) -> list[DescriptorRow]:
        units = {"tau_ps": "ps", "radius_angstrom": "angstrom", "distance_angstrom": "angstrom",
                 "immobile_fraction": "", "u2_A2": "angstrom^2", "libration_hwhm_meV": "meV",
                 "diffusion_A2_per_ps": "angstrom^2/ps", "hwhm1_meV": "meV", "libration_tau_ps": "ps",
                 "diffusion_m2_per_s": "m^2/s", "jump_length_angstrom": "angstrom"}
        cond = {} if self.temperature_K is None else {"temperature_K": self.temperature_K}
        base = dict(sample=self.sample, technique="qens", conditions=cond, source=self.source,
                    method=f"qens:global:{self.law.name}" + ("" if self.converged else ":not-converged"))
        rows = []
        for k in self.law.param_names + tuple(_EXTRA):
            if k in self.values and k != "shift_meV":
                rows.append(DescriptorRow(name=k, value=self.values[k], stderr=self.stderr.get(k, np.nan),
                                          unit=units.get(k, ""), **base))
        for k, (val, err) in self.derived().items():
            rows.append(DescriptorRow(name=k, value=val, stderr=err, unit=units.get(k, ""), **base))
        return rows

    def summary(self) -> str:
        t = "" if self.temperature_K is None else f" at {self.temperature_K:g} K"
        head = (f"QENS global fit ({self.law.name}) of {self.sample or self.source or 'data'}{t}: "
                f"{'converged' if self.converged else 'NOT converged'}, {self.q.size} Q groups, "
                f"redchi={self.report.redchi:.3g}")
        lines = [head]
        for k in self.law.param_names + tuple(_EXTRA):
            if k in self.values:
                lines.append(f"  {k:>22s} = {self.values[k]:.5g} ± {self.stderr.get(k, np.nan):.2g}")
        return "\n".join(lines)

    def plot(self, **kw):
        from .plot import plot_global

        return plot_global(self, **kw)


def _group_names(background, t, i):
    return [f"scale_t{t}_q{i}"] + _bg_names(background, f"_t{t}_q{i}")


def _build_global(preps, law, background, scale, libration, names_of):
    """The blocks function of a global fit over several prepared data sets.

    ``names_of(t)`` maps a parameter name used by the law to its name in the fit for data set t.
    """
    q_all = [np.asarray(p.data.q) for p in preps]
    bgcols = [[_bg_columns(e, background) for e in p.data.energy] for p in preps]

    def lines(t, v):
        vt = {k: v[names_of(t)(k)] for k in law.param_names}
        a0, ladder = law.components(q_all[t], vt)
        p = v[names_of(t)("immobile_fraction")] if names_of(t)("immobile_fraction") in v else 0.0
        a0, ladder = M.apply_fraction(a0, ladder, p)
        u2n = names_of(t)("u2_A2")
        if u2n in v:
            gl = v.get(names_of(t)("libration_hwhm_meV")) if libration else None
            a0, ladder = M.apply_libration(q_all[t], a0, ladder, v[u2n], gl)
        return a0, M.merge_widths(ladder)

    def shapes(v):
        out = []
        for t, prep in enumerate(preps):
            sh = v.get(names_of(t)("shift_meV"), 0.0)
            a0, ladder = lines(t, v)
            per = []
            for i, conv in enumerate(prep.convolvers):
                m = a0[i] * conv.delta(sh)
                for a, g in ladder:
                    gi = g[i] if np.ndim(g) else g
                    if a[i] != 0.0:
                        m = m + a[i] * conv.lorentzian(gi, sh)
                per.append(m)
            out.append(per)
        return out

    def blocks(v):
        mats = []
        sh = shapes(v)
        if scale == "per_q":
            for t in range(len(preps)):
                for i, m in enumerate(sh[t]):
                    mats.append(np.column_stack([m] + bgcols[t][i]))
            return mats
        for t in range(len(preps)):  # one scale per data set, backgrounds per group
            ncol = 1 + sum(len(b) for b in bgcols[t])
            rows = []
            col = 1
            for i, m in enumerate(sh[t]):
                blk = np.zeros((m.size, ncol))
                blk[:, 0] = m
                for c in bgcols[t][i]:
                    blk[:, col] = c
                    col += 1
                rows.append(blk)
            mats.append(np.vstack(rows))
        return mats

    return blocks, shapes, lines


def _linear_layout(preps, background, scale):
    ys, sigs, names, nonneg = [], [], [], []
    for t, prep in enumerate(preps):
        if scale == "per_q":
            for i in range(prep.data.n_groups):
                ys.append(prep.data.s[i])
                sigs.append(prep.sigma[i])
                nm = _group_names(background, t, i)
                names.append(nm)
                nonneg.append(nm[0])
        else:
            ys.append(np.concatenate(prep.data.s))
            sigs.append(np.concatenate(prep.sigma))
            nm = [f"scale_t{t}"] + [n for i in range(prep.data.n_groups) for n in _bg_names(background, f"_t{t}_q{i}")]
            names.append(nm)
            nonneg.append(nm[0])
    return ys, sigs, names, nonneg


def _law_starts(prep: _Prepared, law, libration, immobile_fraction):
    """Starting values from a quick per-Q fit: τ from the median HWHM, size and p from the EISF."""
    starts = {}
    d = prep.data
    try:
        pq = fit_per_q(d, _SingleResolution(prep), n_lorentzians=1, shift=False)
    except Exception:  # noqa: BLE001 - starting values only; the global fit reports its own failures
        return starts
    hw = pq.hwhm_meV[np.isfinite(pq.hwhm_meV)]
    if hw.size:
        g = float(np.median(hw))
        if isinstance(law, M.JumpRotation):
            starts["tau_ps"] = 2 * HBAR_MEV_PS * np.sin(np.pi / law.n) ** 2 / g
        elif isinstance(law, M.TwoSiteJump):
            starts["tau_ps"] = 2 * HBAR_MEV_PS / g
        elif isinstance(law, M.IsotropicRotation):
            starts["tau_ps"] = HBAR_MEV_PS / (3 * g)
        elif isinstance(law, M.Translational):
            q2 = float(np.median(d.q ** 2))
            starts["diffusion_A2_per_ps"] = g / (HBAR_MEV_PS * q2)
    model = {M.JumpRotation: "jump-rotation", M.TwoSiteJump: "two-site",
             M.IsotropicRotation: "isotropic-rotation"}.get(type(law))
    if model and np.isfinite(pq.eisf).sum() >= 3:
        try:
            ef = fit_eisf(pq.q, pq.eisf, pq.eisf_stderr, model=model, n=getattr(law, "n", None),
                          immobile_fraction=immobile_fraction is True)
            size = ef.size_name
            if np.isfinite(ef.values[size]):
                starts[size] = float(ef.values[size])
            if immobile_fraction is True:
                starts["immobile_fraction"] = float(min(max(ef.values["immobile_fraction"], 0.01), 0.9))
        except FitError:
            pass
    return starts


class _SingleResolution(Resolution):
    """The convolvers of a prepared data set posing as a Resolution (for the starting per-Q fit)."""

    def __init__(self, prep):
        object.__setattr__(self, "groups", tuple(c.group for c in prep.convolvers))
        object.__setattr__(self, "source", "")
        object.__setattr__(self, "meta", FrozenMap({"model": "prepared"}))

    def for_data(self, data, **kw):
        return list(self.groups)


def _param_spec(law, names, start, fixed, immobile_fraction, libration, shift, u2):
    spec = {}
    defaults = law.defaults()
    for k in law.param_names:
        v0, lo, hi = defaults[k]
        spec[k] = {"value": float(start.get(k, v0)), "min": lo, "max": hi}
    if immobile_fraction is True:
        v0, lo, hi = _EXTRA["immobile_fraction"]
        spec["immobile_fraction"] = {"value": float(start.get("immobile_fraction", v0)), "min": lo, "max": hi}
    elif immobile_fraction is not False:
        spec["immobile_fraction"] = {"value": float(immobile_fraction), "vary": False}
    if u2:
        v0, lo, hi = _EXTRA["u2_A2"]
        spec["u2_A2"] = {"value": float(start.get("u2_A2", v0)), "min": lo, "max": hi}
    if libration:
        v0, lo, hi = _EXTRA["libration_hwhm_meV"]
        spec["libration_hwhm_meV"] = {"value": float(start.get("libration_hwhm_meV", v0)), "min": lo, "max": hi}
    if shift:
        v0, lo, hi = _EXTRA["shift_meV"]
        spec["shift_meV"] = {"value": float(start.get("shift_meV", v0)), "min": lo, "max": hi}
    for k, val in (fixed or {}).items():
        if k not in spec:
            raise FitError(f"cannot fix {k!r}: the model's parameters are {sorted(spec)}")
        spec[k] = {"value": float(val), "vary": False}
    for k, s in spec.items():
        if s.get("vary", True):
            s["value"] = float(np.clip(s["value"], s["min"], s["max"]))
    return spec


def _check_model_options(law, scale, libration, u2, immobile_fraction, context):
    if scale not in ("per_q", "global"):
        raise FitError(f"{context}: scale must be 'per_q' or 'global' (got {scale!r})")
    if u2 and scale == "per_q" and not libration:
        raise IdentifiabilityError(
            f"{context}: <u2> is not identifiable with a free scale per Q group and no libration line (the "
            "Debye-Waller factor is absorbed by the scales); use libration=True or scale='global'")


def _results(preps, law, rep, shapes, names_of, background, scale, settings):
    out = []
    v = dict(rep.values)
    sh = shapes(v)
    for t, prep in enumerate(preps):
        vals, errs = {}, {}
        for k in law.param_names + tuple(_EXTRA):
            nk = names_of(t)(k)
            if nk in v:
                vals[k], errs[k] = v[nk], rep.stderr.get(nk, np.nan)
        fits, comps = [], []
        for i, m in enumerate(sh[t]):
            if scale == "per_q":
                sc = v[f"scale_t{t}_q{i}"]
                bgn = _bg_names(background, f"_t{t}_q{i}")
            else:
                sc = v[f"scale_t{t}"]
                bgn = _bg_names(background, f"_t{t}_q{i}")
            bgc = _bg_columns(prep.data.energy[i], background)
            bg = sum((v[n] * c for n, c in zip(bgn, bgc)), np.zeros_like(m))
            fits.append(_ro(sc * m + bg))
            comps.append(FrozenMap({"model": _ro(sc * m), "background": _ro(bg)}))
        out.append(GlobalFitResult(law=law, values=FrozenMap(vals), stderr=FrozenMap(errs), report=rep,
                                   temperature_K=prep.data.temperature_K, sample=prep.data.sample,
                                   source=prep.data.source, q=_ro(prep.data.q), energy=prep.data.energy,
                                   s=prep.data.s, ds=tuple(_ro(x) for x in prep.sigma), best_fit=tuple(fits),
                                   components=tuple(comps), settings=FrozenMap(settings)))
    return out


def fit_global(data, resolution: Resolution, law, *, immobile_fraction: bool | float = True,
               libration: bool = False, u2: bool | None = None, scale: str = "per_q", background: str = "flat",
               shift: bool = False, energy_range=None, q_range=None, start: Mapping[str, float] | None = None,
               fixed: Mapping[str, float] | None = None, check: bool = True) -> GlobalFitResult:
    """Fit one scattering law to all Q groups at once (a (Q, E) surface fit).

    S(Q, E) = scale_Q · [law ⊗ libration](Q, E) ⊗ R_Q(E) + background_Q, with the law's parameters
    (``radius_angstrom``, ``tau_ps`` ...), ``immobile_fraction`` p, and with ``libration=True`` a
    Debye–Waller ``u2_A2`` and a broad libration line ``libration_hwhm_meV`` shared by all Q.

    Parameters
    ----------
    data : QENSData or Measurements
    resolution : Resolution
    law : :class:`~structkit.qens.models.Law` or its name (``"jump-rotation:n=5"``)
    immobile_fraction : True (fitted), a number (held) or False (0)
    libration : bool
        Add the libration (Debye–Waller + broad line).
    u2 : bool, optional
        Fit ⟨u²⟩; default: with ``libration`` or ``scale="global"`` (otherwise the per-Q scales
        absorb it and asking for it raises :class:`IdentifiabilityError`).
    scale : ``"per_q"`` (a free scale per group, the default) or ``"global"`` (one scale).
    background, shift, energy_range, q_range
        Flat/linear/none background per group; a shared elastic offset; the fit window.
    start, fixed : mappings
        Starting values (otherwise from a quick per-Q fit) and held parameters.
    check : bool
        Raise :class:`IdentifiabilityError` when two shape parameters correlate above 0.999.
    """
    series = fit_temperatures([data], resolution, law, immobile_fraction=immobile_fraction, libration=libration,
                              u2=u2, scale=scale, background=background, shift=shift, energy_range=energy_range,
                              q_range=q_range, start=start, fixed=fixed, check=check, _raise=True)
    return series.results[0]


# -- temperature series -----------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ArrheniusTau(SummaryRepr):
    """τ(T) = τ0 exp(Ea / k_B T): activation energy and prefactor with errors."""

    ea_eV: float
    ea_stderr_eV: float
    tau0_ps: float
    tau0_stderr_ps: float
    temperature_K: np.ndarray
    tau_ps: np.ndarray
    tau_stderr_ps: np.ndarray
    method: str
    quantity: str = "tau_ps"

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"quantity": self.quantity, "ea_eV": self.ea_eV, "ea_stderr_eV": self.ea_stderr_eV,
                              "tau0_ps": self.tau0_ps, "tau0_stderr_ps": self.tau0_stderr_ps, "method": self.method,
                              "n_temperatures": int(self.temperature_K.size)}])

    def summary(self):
        return (f"Arrhenius of {self.quantity} ({self.method}): Ea = {self.ea_eV:.4f} ± {self.ea_stderr_eV:.4f} eV, "
                f"tau0 = {self.tau0_ps:.4g} ± {self.tau0_stderr_ps:.2g} ps over {self.temperature_K.size} temperatures")

    def plot(self, ax=None):
        from .plot import plot_arrhenius

        return plot_arrhenius(self, ax=ax)


def arrhenius_tau(temperature_K, tau_ps, tau_stderr_ps=None, *, quantity: str = "tau_ps") -> ArrheniusTau:
    """Ea and τ0 of τ = τ0 exp(Ea/k_B T) by a weighted straight line of ln τ against 1/T.

    Uses the core piecewise-linear engine with one segment (the one the conductivity
    Arrhenius fits use). Errors of τ are taken as relative errors of ln τ.

    Examples
    --------
    >>> t = np.array([280.0, 300, 320, 340, 360, 380])
    >>> a = arrhenius_tau(t, 0.01 * np.exp(0.24 / (K_B_EV * t)))
    >>> round(a.ea_eV, 6), round(a.tau0_ps, 6)
    (0.24, 0.01)
    """
    from ..core.piecewise import fit_piecewise_linear

    t = np.asarray(temperature_K, dtype=float)
    tau = np.asarray(tau_ps, dtype=float)
    ok = np.isfinite(t) & np.isfinite(tau) & (tau > 0) & (t > 0)
    err = None
    if tau_stderr_ps is not None:
        e = np.asarray(tau_stderr_ps, dtype=float)
        ok &= np.isfinite(e) & (e > 0)
    if ok.sum() < 3:
        raise FitError(f"Arrhenius of {quantity}: need at least 3 temperatures with finite, positive values "
                       f"(have {int(ok.sum())})")
    if tau_stderr_ps is not None:
        err = (np.asarray(tau_stderr_ps, dtype=float) / tau)[ok]
    x = 1.0 / t[ok]
    fit = fit_piecewise_linear(x, np.log(tau[ok]), sigma=err, n_segments=1, context=f"Arrhenius of {quantity}")
    ea = float(fit.slopes[0]) * K_B_EV
    ea_err = float(fit.slopes_stderr[0]) * K_B_EV
    tau0 = float(np.exp(fit.intercept))
    return ArrheniusTau(ea_eV=ea, ea_stderr_eV=ea_err, tau0_ps=tau0, tau0_stderr_ps=tau0 * float(fit.intercept_stderr),
                        temperature_K=_ro(t[ok]), tau_ps=_ro(tau[ok]),
                        tau_stderr_ps=_ro(np.full(ok.sum(), np.nan) if err is None else err * tau[ok]),
                        method="ln(tau) vs 1/T", quantity=quantity)


@dataclass(frozen=True, repr=False)
class TemperatureSeries(SummaryRepr):
    """Global fits across temperatures, their Arrhenius, and the failures (see :func:`fit_temperatures`)."""

    results: tuple
    arrhenius: ArrheniusTau | None
    libration_arrhenius: ArrheniusTau | None
    failures: tuple
    mode: str
    _html_summary_lines = 2

    def to_frame(self):
        import pandas as pd

        frames = [r.to_frame() for r in self.results]
        cols = ["temperature_K", "tau_ps", "tau_stderr_ps", "radius_angstrom", "immobile_fraction", "u2_A2"]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
        for c in cols:
            if c not in df:
                df[c] = np.nan
        rest = [c for c in df.columns if c not in cols]
        return df[cols + rest]

    def descriptors(self) -> list[DescriptorRow]:
        rows = [row for r in self.results for row in r.descriptors()]
        for arr, name in ((self.arrhenius, "ea_tau_eV"), (self.libration_arrhenius, "ea_libration_eV")):
            if arr is not None and self.results:
                r0 = self.results[0]
                rows.append(DescriptorRow(sample=r0.sample, name=name, value=arr.ea_eV, stderr=arr.ea_stderr_eV,
                                          unit="eV", technique="qens", conditions={}, source=r0.source,
                                          method=f"qens:arrhenius:{arr.method}"))
        return rows

    def summary(self):
        lines = [f"QENS temperature series ({self.mode}): {len(self.results)} fitted, {len(self.failures)} failed"]
        if self.arrhenius is not None:
            lines.append("  " + self.arrhenius.summary())
        if self.libration_arrhenius is not None:
            lines.append("  " + self.libration_arrhenius.summary())
        for r in self.results:
            lines.append(f"  T={r.temperature_K}: tau={r.values.get('tau_ps', np.nan):.4g}±"
                         f"{r.stderr.get('tau_ps', np.nan):.2g} ps, redchi={r.report.redchi:.3g}")
        for f in self.failures:
            lines.append(f"  FAILED {f['source']}: {f['error']}")
        return "\n".join(lines)

    def plot(self, **kw):
        from .plot import plot_series

        return plot_series(self, **kw)


def fit_temperatures(datasets: Sequence, resolution: Resolution, law, *, shared: Sequence[str] = (),
                     arrhenius: bool = False, immobile_fraction: bool | float = True, libration: bool = False,
                     u2: bool | None = None, scale: str = "per_q", background: str = "flat", shift: bool = False,
                     energy_range=None, q_range=None, start: Mapping[str, float] | None = None,
                     fixed: Mapping[str, float] | None = None, check: bool = True,
                     _raise: bool = False) -> TemperatureSeries:
    """Global fits of one law at several temperatures.

    Three modes:

    * ``shared=()`` and ``arrhenius=False``: each temperature fitted on its own; Ea from
      :func:`arrhenius_tau` afterwards. A temperature whose fit fails is recorded in
      ``failures`` and the others go on.
    * ``shared=("radius_angstrom", "immobile_fraction", ...)``: one fit of all temperatures with
      those parameters common (τ, ⟨u²⟩, libration width stay per temperature).
    * ``arrhenius=True``: as above and τ(T) = τ_ref·exp[Ea/k_B·(1/T − 1/T_ref)] inside the fit
      (parameters ``tau_ref_ps`` at the harmonic-mean temperature and ``ea_eV``).

    Returns
    -------
    TemperatureSeries
        ``results`` (one :class:`GlobalFitResult` per temperature, ascending T), ``arrhenius``
        (τ), ``libration_arrhenius`` (τ_lib = ħ/Γ_lib, with ``libration=True``), ``failures``,
        ``to_frame()`` with ``temperature_K, tau_ps, tau_stderr_ps, radius_angstrom,
        immobile_fraction, u2_A2`` first.
    """
    law = M.parse_law(law)
    ctx = f"qens global fit ({law.name})"
    if u2 is None:
        u2 = bool(libration or scale == "global")
    _check_model_options(law, scale, libration, u2, immobile_fraction, ctx)
    if not datasets:
        raise DataError(f"{ctx}: no data sets")
    all_data = [as_qens_data(d) for d in datasets]
    joint = bool(shared) or arrhenius
    if joint or _raise:
        temps = [d.temperature_K for d in all_data]
        if arrhenius and any(t is None for t in temps):
            raise DataError(f"{ctx}: arrhenius=True needs the temperature of every data set")
        order = sorted(range(len(all_data)), key=lambda k: (temps[k] is None, temps[k] or 0.0))
        preps = [_prepare(all_data[k], resolution, energy_range, q_range, ctx) for k in order]
        rep, results = _joint_fit(preps, law, shared, arrhenius, immobile_fraction, libration, u2, scale, background,
                                  shift, start or {}, fixed or {}, check, ctx)
        failures = ()
    else:
        results, failures = [], []
        for d in sorted(all_data, key=lambda d: (d.temperature_K is None, d.temperature_K or 0.0)):
            try:
                prep = _prepare(d, resolution, energy_range, q_range, ctx)
                _, res = _joint_fit([prep], law, (), False, immobile_fraction, libration, u2, scale, background,
                                    shift, start or {}, fixed or {}, check, ctx)
                if not res[0].converged:
                    raise FitError(f"{d.source or ctx}: {res[0].report.message}")
                results.extend(res)
            except (FitError, DataError) as exc:
                failures.append({"source": d.source, "temperature_K": d.temperature_K, "error": str(exc),
                                 "error_type": type(exc).__name__})
    arr = lib = None
    temps = np.array([r.temperature_K if r.temperature_K is not None else np.nan for r in results])
    if arrhenius:
        v, s = results[0].report.values, results[0].report.stderr
        t_ref = v["_t_ref"] if "_t_ref" in v else np.nan
        tau_ref, ea = v["tau_ref_ps"], v["ea_eV"]
        tau0 = tau_ref * np.exp(-ea / (K_B_EV * t_ref))
        tau0_err = np.nan
        if results[0].report.errorbars:
            tau0, tau0_err = results[0].report.propagate(
                lambda w: w["tau_ref_ps"] * np.exp(-w["ea_eV"] / (K_B_EV * t_ref)))
        arr = ArrheniusTau(ea_eV=ea, ea_stderr_eV=s.get("ea_eV", np.nan), tau0_ps=float(tau0),
                           tau0_stderr_ps=float(tau0_err), temperature_K=_ro(temps),
                           tau_ps=_ro([r.values["tau_ps"] for r in results]),
                           tau_stderr_ps=_ro([r.stderr["tau_ps"] for r in results]), method="joint (Q, E, T) fit")
    elif "tau_ps" in law.param_names and np.isfinite(temps).sum() >= 3:
        try:
            arr = arrhenius_tau(temps, [r.values["tau_ps"] for r in results],
                                [r.stderr.get("tau_ps", np.nan) for r in results])
        except FitError:
            arr = None
    if libration and np.isfinite(temps).sum() >= 3:
        g = np.array([r.values.get("libration_hwhm_meV", np.nan) for r in results])
        dg = np.array([r.stderr.get("libration_hwhm_meV", np.nan) for r in results])
        try:
            lib = arrhenius_tau(temps, HBAR_MEV_PS / g, HBAR_MEV_PS / g ** 2 * dg, quantity="libration_tau_ps")
        except FitError:
            lib = None
    mode = "arrhenius" if arrhenius else ("shared: " + ", ".join(shared) if shared else "separate")
    return TemperatureSeries(results=tuple(results), arrhenius=arr, libration_arrhenius=lib,
                             failures=tuple(failures), mode=mode)


def _joint_fit(preps, law, shared, arrhenius, immobile_fraction, libration, u2, scale, background, shift,
               start, fixed, check, ctx):
    ntemp = len(preps)
    base_spec = None
    starts = []
    for prep in preps:
        st = _law_starts(prep, law, libration, immobile_fraction)
        st.update(start)
        starts.append(st)
    specs = [_param_spec(law, None, starts[t], fixed, immobile_fraction, libration, shift, u2) for t in range(ntemp)]
    base_spec = specs[0]
    shared = set(shared)
    unknown = shared - set(base_spec)
    if unknown:
        raise FitError(f"{ctx}: cannot share {sorted(unknown)}; parameters are {sorted(base_spec)}")
    if arrhenius and "tau_ps" not in base_spec:
        raise FitError(f"{ctx}: arrhenius=True needs a law with tau_ps")
    if ntemp > 1 and "shift_meV" in base_spec:
        shared.add("shift_meV")

    def names_of(t):
        def name(k):
            if ntemp == 1 or k in shared:
                return k
            return f"{k}_t{t}"
        return name

    spec = {}
    for t in range(ntemp):
        for k, s in specs[t].items():
            nk = names_of(t)(k)
            if nk in spec:
                if s.get("vary", True):  # shared: start from the mean
                    spec[nk]["value"] = 0.5 * (spec[nk]["value"] + s["value"])
                continue
            spec[nk] = dict(s)
    if arrhenius:
        temps = np.array([p.data.temperature_K for p in preps])
        t_ref = float(temps.size / np.sum(1.0 / temps))
        taus = np.array([specs[t]["tau_ps"]["value"] for t in range(ntemp)])
        if ntemp >= 2:
            sl = np.polyfit(1.0 / temps, np.log(taus), 1)
            ea0 = float(np.clip(sl[0] * K_B_EV, 0.01, 2.0))
            tau_ref0 = float(np.exp(np.polyval(sl, 1.0 / t_ref)))
        else:
            ea0, tau_ref0 = 0.2, float(taus[0])
        spec["tau_ref_ps"] = {"value": tau_ref0, "min": 1e-5, "max": 1e7}
        spec["ea_eV"] = {"value": ea0, "min": -5.0, "max": 5.0}
        spec["_t_ref"] = {"value": t_ref, "vary": False}
        for t in range(ntemp):
            spec.pop(names_of(t)("tau_ps"), None)
        for t in range(ntemp):
            spec[names_of(t)("tau_ps")] = {"expr": f"tau_ref_ps * exp(ea_eV / {K_B_EV!r} * "
                                                   f"(1.0 / {preps[t].data.temperature_K!r} - 1.0 / _t_ref))"}
    params = make_params(spec)
    blocks, shapes, _ = _build_global(preps, law, background, scale, libration, names_of)
    ys, sigs, lin_names, nonneg = _linear_layout(preps, background, scale)
    nfree = sum(1 for p in params.values() if p.vary and not p.expr) + sum(len(n) for n in lin_names)
    npts = sum(y.size for y in ys)
    if npts <= nfree:
        raise FitError(f"{ctx}: {npts} points for {nfree} parameters")
    rep = minimize_separable(blocks, params, ys, sigs, lin_names, nonneg=nonneg, context=ctx)
    # a size started from the per-Q EISF can sit in a secondary minimum (narrow lines counted as
    # elastic); a second start from the law's default keeps the better of the two
    size = next((k for k in ("radius_angstrom", "distance_angstrom") if k in law.param_names), None)
    if size is not None and size not in start and size not in fixed:
        default = law.defaults()[size][0]
        alt = params.copy()
        moved = False
        for t in range(ntemp):
            nk = names_of(t)(size)
            if alt[nk].vary and abs(alt[nk].value - default) > 0.2 * default:
                alt[nk].value = default
                moved = True
        if moved:
            rep2 = minimize_separable(blocks, alt, ys, sigs, lin_names, nonneg=nonneg, context=ctx)
            if np.isfinite(rep2.chisqr) and rep2.chisqr < rep.chisqr:
                rep = rep2
    if not rep.converged and not np.isfinite(rep.chisqr):
        raise FitError(f"{ctx}: the fit diverged ({rep.message})")
    if check:
        shape_names = [n for n in rep.var_names if not n.startswith(("scale_", "bg"))]
        _check_correlations(rep, ctx, names=shape_names,
                            advice="fix one of them (e.g. the radius from the structure), share it between "
                                   "temperatures, or use a wider Q range")
    settings = {"law": law.name, "scale": scale, "background": background, "libration": libration,
                "immobile_fraction": immobile_fraction, "shift": shift, "shared": sorted(shared),
                "arrhenius": arrhenius}
    return rep, _results(preps, law, rep, shapes, names_of, background, scale, settings)
