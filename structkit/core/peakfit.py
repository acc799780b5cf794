"""Multi-peak fits: the one engine behind Raman bands, NMR lines and any spectrum of peaks.

:func:`fit_peaks` fits a sum of unit-area peaks (the shapes of
:mod:`structkit.core.peakmodel`) on an optional Chebyshev background with
:func:`structkit.core.fit.minimize` (lmfit, trust-region least squares) and an
analytic or per-peak Jacobian. Every band reports centre, FWHM, area, height
and the Lorentzian fraction eta with standard errors; constraints are lmfit
expressions built from plain arguments:

* ``same_width=[("a", "b")]``: ``b_fwhm = a_fwhm`` (``same_eta`` likewise);
* ``separation={("a", "b"): 45.0}``: ``b_center = a_center + 45``;
* ``area_ratio={("a", "b"): 0.5}``: ``b_area = 0.5 * a_area``;
* ``expr={"b_fwhm": "1.5 * a_fwhm"}`` for anything else, ``fixed=("a_center",)``.

Starting values come from :class:`PeakSpec` (an assignment table) or from
:func:`detect_peaks`; :func:`select_peak_count` chooses the number of bands by
the Bayesian information criterion.

Examples
--------
>>> import numpy as np
>>> from structkit.core.lineshapes import pseudo_voigt
>>> x = np.linspace(0, 100, 1001)
>>> y = 50 * pseudo_voigt(x, 40, 6, 0.3) + 20 * pseudo_voigt(x, 55, 4, 0.3) + 1.0
>>> fit = fit_peaks(x, y, [PeakSpec("a", 41, fwhm=5), PeakSpec("b", 54, fwhm=5)], background="constant")
>>> fit.converged, round(fit["a"].center, 4), round(fit["b"].area, 4), round(fit["b"].eta, 4)
(True, 40.0, 20.0, 0.3)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import DataError, FitError
from .fit import FitReport, make_params, minimize
from .frozen import FrozenMap
from .peakmodel import PeakModel, Shape, get_shape
from .summary import SummaryRepr

__all__ = ["PeakSpec", "BandFit", "PeakFitResult", "fit_peaks", "detect_peaks", "select_peak_count",
           "PeakCountSelection", "BACKGROUNDS", "robust_noise"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Background names and their polynomial degree (-1: none).
BACKGROUNDS = {"none": -1, "constant": 0, "linear": 1, "quadratic": 2, "cubic": 3}


@dataclass(frozen=True)
class PeakSpec:
    """One band to fit: its name, starting values, bounds and shape.

    Parameters
    ----------
    name : str
        A Python identifier (``A1g``, ``T2g_bend``, ``NaCl``); prefixes the parameters.
    center : float
        Starting centre.
    fwhm, area : float, optional
        Starting FWHM and area; estimated from the data when None.
    shape : str, optional
        Peak shape (:data:`structkit.core.peakmodel.SHAPES`); the fit's default when None.
    center_range, fwhm_range : (float, float), optional
        Bounds. Defaults: centre ± max(FWHM, 4 steps); FWHM from max(half a step,
        FWHM/10) to min(10 FWHM, the span).
    extras : mapping, optional
        Starting values of shape parameters (``{"eta": 0.2}``).
    vary : mapping, optional
        ``{"center": False}`` holds that parameter at its starting value.
    """

    name: str
    center: float
    fwhm: float | None = None
    area: float | None = None
    shape: str | None = None
    center_range: tuple[float, float] | None = None
    fwhm_range: tuple[float, float] | None = None
    extras: Mapping[str, float] = field(default_factory=dict)
    vary: Mapping[str, bool] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "extras", FrozenMap(dict(self.extras)))
        object.__setattr__(self, "vary", FrozenMap(dict(self.vary)))


@dataclass(frozen=True)
class BandFit:
    """One fitted band: values and standard errors of centre, FWHM, area, height, eta and shape parameters."""

    name: str
    shape: str
    values: Mapping[str, float]
    stderr: Mapping[str, float]
    at_bounds: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "values", FrozenMap(dict(self.values)))
        object.__setattr__(self, "stderr", FrozenMap(dict(self.stderr)))

    def as_start(self, bounds: PeakSpec | None = None) -> PeakSpec:
        """A :class:`PeakSpec` starting at this band's values (carry-over), with the bounds and
        held parameters of ``bounds`` (the spec it was first fitted from) when given."""
        return PeakSpec(self.name, self.center, fwhm=self.fwhm, area=self.area, shape=self.shape,
                        extras={k: self.values[k] for k in get_shape(self.shape).extra_names},
                        center_range=bounds.center_range if bounds else None,
                        fwhm_range=bounds.fwhm_range if bounds else None,
                        vary=bounds.vary if bounds else {})

    center = property(lambda self: self.values["center"])
    fwhm = property(lambda self: self.values["fwhm"])
    area = property(lambda self: self.values["area"])
    height = property(lambda self: self.values["height"])
    eta = property(lambda self: self.values["eta"])


@dataclass(frozen=True, repr=False)
class PeakFitResult(SummaryRepr):
    """A multi-peak fit: bands, model curves and the fit report.

    ``y`` is what was fitted, ``best_fit`` the model, ``background`` the fitted
    polynomial and ``components`` each band's curve on ``x``. ``bands`` are in
    the order given; ``result["A1g"]`` picks one.
    """

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None
    best_fit: np.ndarray
    background: np.ndarray
    components: Mapping[str, np.ndarray]
    bands: tuple[BandFit, ...]
    report: FitReport
    x_unit: str = ""
    context: str = "fit"
    settings: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "components", FrozenMap(dict(self.components)))
        object.__setattr__(self, "settings", FrozenMap(dict(self.settings)))

    @property
    def converged(self) -> bool:
        return self.report.converged

    @property
    def redchi(self) -> float:
        return self.report.redchi

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bands)

    def __getitem__(self, name: str) -> BandFit:
        for b in self.bands:
            if b.name == name:
                return b
        raise KeyError(f"no band {name!r} in this fit; bands: {', '.join(self.names)}")

    def ratio(self, numerator: str, denominator: str, quantity: str = "area") -> tuple[float, float]:
        """Value and standard error (with the covariance) of ``quantity`` of one band over another."""
        if quantity not in ("area", "height", "fwhm", "center"):
            raise FitError(f"ratio of {quantity!r}: choose area, height, fwhm or center")
        for n in (numerator, denominator):
            self[n]
        shapes = {b.name: get_shape(b.shape) for b in self.bands}

        def q(v, n):
            if quantity == "height":
                return v[f"{n}_area"] * float(shapes[n].height(v[f"{n}_fwhm"], _extras(v, n, shapes[n])))
            return v[f"{n}_{quantity}"]

        return self.report.propagate(lambda v: q(v, numerator) / q(v, denominator))

    def to_frame(self):
        """One row per band: value and stderr of every band quantity, plus the fit's state."""
        import pandas as pd
        total = sum(b.area for b in self.bands) or float("nan")
        rows = []
        for b in self.bands:
            row = {"band": b.name, "shape": b.shape}
            for k, v in b.values.items():
                row[k] = v
                row[f"{k}_stderr"] = b.stderr.get(k, float("nan"))
            row["area_fraction"] = b.area / total
            row["at_bound"] = ",".join(b.at_bounds)
            row["converged"] = self.converged
            row["redchi"] = self.redchi
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        state = "converged" if self.converged else f"NOT converged ({self.report.message})"
        lines = [f"{self.context}: {len(self.bands)} bands, {state}, redchi {self.redchi:.4g}, "
                 f"bic {self.report.bic:.5g}"]
        u = f" {self.x_unit}" if self.x_unit else ""
        for b in self.bands:
            flag = f"  (at bound: {', '.join(b.at_bounds)})" if b.at_bounds else ""
            lines.append(f"  {b.name:>12s} [{b.shape}] center {b.center:.5g}±{b.stderr['center']:.2g}{u}, "
                         f"fwhm {b.fwhm:.4g}±{b.stderr['fwhm']:.2g}{u}, area {b.area:.5g}±{b.stderr['area']:.2g},"
                         f" eta {b.eta:.3g}{flag}")
        return "\n".join(lines)


def _extras(v: Mapping[str, float], name: str, shape: Shape) -> dict[str, float]:
    return {k: v[f"{name}_{k}"] for k in shape.extra_names}


# -- set-up ------------------------------------------------------------------------------------
def _as_specs(peaks, x) -> list[PeakSpec]:
    specs = []
    for i, p in enumerate(peaks):
        if isinstance(p, PeakSpec):
            specs.append(p)
        elif isinstance(p, Mapping):
            p = dict(p)
            try:
                specs.append(PeakSpec(**{"name": p.pop("name", f"p{i + 1}"), **p}))
            except TypeError as exc:
                raise FitError(f"peak {i + 1}: {exc}; keys are name, center, fwhm, area, shape, "
                               "center_range, fwhm_range, extras, vary") from None
        elif np.isscalar(p) and np.isfinite(float(p)):
            specs.append(PeakSpec(f"p{i + 1}", float(p)))
        else:
            raise FitError(f"peak {i + 1}: give a PeakSpec, a mapping or a centre, not {p!r}")
    if not specs:
        raise FitError("no peaks to fit; give at least one band (a centre, a PeakSpec or an assignment table)")
    seen = set()
    for s in specs:
        if not _NAME.match(s.name) or s.name.startswith("bg_"):
            raise FitError(f"band name {s.name!r} is not usable as a parameter prefix; use letters, digits "
                           "and underscores, starting with a letter (not 'bg_')")
        if s.name in seen:
            raise FitError(f"band {s.name!r} is given twice; band names must be unique")
        seen.add(s.name)
        if not (x[0] <= s.center <= x[-1]):
            raise FitError(f"band {s.name!r} at {s.center:g} lies outside the data ({x[0]:g} to {x[-1]:g}); "
                           "crop the table or widen the range")
    return specs


def _background_degree(background) -> int:
    if background is None:
        return -1
    if isinstance(background, str):
        key = background.strip().lower()
        if key not in BACKGROUNDS:
            raise FitError(f"unknown background {background!r}; choose {', '.join(BACKGROUNDS)} or a degree 0-6")
        return BACKGROUNDS[key]
    deg = int(background)
    if not -1 <= deg <= 6:
        raise FitError(f"background degree {deg} out of range; use -1 (none) to 6")
    return deg


def _half_max_width(x, y, i, base) -> float | None:
    top = y[i] - base
    if top <= 0:
        return None
    half = base + 0.5 * top
    lo = i
    while lo > 0 and y[lo] > half:
        lo -= 1
    hi = i
    while hi < y.size - 1 and y[hi] > half:
        hi += 1
    if lo == 0 or hi == y.size - 1:
        return None
    return float(x[hi] - x[lo])


def _start_values(spec: PeakSpec, shape: Shape, x, y, base, dx, span) -> tuple[float, float]:
    i = int(np.clip(np.searchsorted(x, spec.center), 0, x.size - 1))
    fwhm = spec.fwhm
    if fwhm is None:
        fwhm = _half_max_width(x, y, i, base) or 10.0 * dx
        fwhm = float(np.clip(fwhm, 2.0 * dx, span / 3.0))
    if not fwhm > 0:
        raise FitError(f"band {spec.name!r}: starting FWHM must be positive, got {fwhm!r}")
    area = spec.area
    if area is None:
        defaults = {k: d for k, d, _, _ in shape.extras}
        defaults.update(spec.extras)
        h1 = float(shape.height(fwhm, {k: np.asarray(v) for k, v in defaults.items()}))
        area = max(float(y[i] - base), 1e-6 * (float(np.ptp(y)) or 1.0)) / h1
    return float(fwhm), float(area)


def _bounds(rng, default, what, name):
    lo, hi = (float(rng[0]), float(rng[1])) if rng is not None else default
    if not lo < hi:
        raise FitError(f"band {name!r}: {what} range {lo:g} to {hi:g} is empty; give (low, high)")
    return lo, hi


def _build_params(specs, shapes, x, y, background_degree, *, same_width, same_eta, separation, area_ratio,
                  expr, fixed):
    dx = float(np.median(np.diff(x)))
    span = float(x[-1] - x[0])
    base = float(np.percentile(y, 5))
    spec: dict[str, dict] = {}
    for s, shape in zip(specs, shapes):
        fwhm, area = _start_values(s, shape, x, y, base, dx, span)
        c_lo, c_hi = _bounds(s.center_range, (s.center - max(fwhm, 4 * dx), s.center + max(fwhm, 4 * dx)),
                             "center", s.name)
        w_lo, w_hi = _bounds(s.fwhm_range, (max(0.5 * dx, fwhm / 10.0), max(min(10.0 * fwhm, span), fwhm * 1.01)),
                             "fwhm", s.name)
        if not c_lo <= s.center <= c_hi:
            raise FitError(f"band {s.name!r}: starting centre {s.center:g} outside its range {c_lo:g}-{c_hi:g}")
        fwhm = float(np.clip(fwhm, w_lo, w_hi))
        vary = dict(s.vary)
        spec[f"{s.name}_center"] = {"value": s.center, "min": c_lo, "max": c_hi, "vary": vary.get("center", True)}
        spec[f"{s.name}_fwhm"] = {"value": fwhm, "min": w_lo, "max": w_hi, "vary": vary.get("fwhm", True)}
        spec[f"{s.name}_area"] = {"value": area, "min": 0.0, "vary": vary.get("area", True)}
        unknown = set(s.extras) - set(shape.extra_names)
        if unknown:
            raise FitError(f"band {s.name!r}: {shape.name} has no parameter {', '.join(sorted(unknown))}; "
                           f"its shape parameters are {', '.join(shape.extra_names) or 'none'}")
        for k, d, lo, hi in shape.extras:
            v = float(s.extras.get(k, d))
            if not lo <= v <= hi:
                raise FitError(f"band {s.name!r}: {k}={v:g} outside {lo:g}-{hi:g}")
            spec[f"{s.name}_{k}"] = {"value": v, "min": lo, "max": hi, "vary": vary.get(k, True)}
    if background_degree >= 0:
        spec["bg_c0"] = {"value": base}
        for k in range(1, background_degree + 1):
            spec[f"bg_c{k}"] = {"value": 0.0}
    names = {s.name for s in specs}
    shape_of = {s.name: sh for s, sh in zip(specs, shapes)}

    def check(n, what):
        if n not in names:
            raise FitError(f"{what} names band {n!r}, which is not among the bands fitted "
                           f"({', '.join(sorted(names))})")

    exprs: dict[str, str] = {}
    for key, groups in (("fwhm", same_width), ("eta", same_eta)):
        for group in groups or ():
            group = [group] if isinstance(group, str) else list(group)
            for n in group:
                check(n, f"same_{'width' if key == 'fwhm' else key}")
                if key == "eta" and "eta" not in shape_of[n].extra_names:
                    raise FitError(f"same_eta: band {n!r} is {shape_of[n].name}, which has no eta")
            for n in group[1:]:
                exprs[f"{n}_{key}"] = f"{group[0]}_{key}"
    for (a, b), d in dict(separation or {}).items():
        check(a, "separation")
        check(b, "separation")
        exprs[f"{b}_center"] = f"{a}_center + {float(d)!r}"
    for (a, b), r in dict(area_ratio or {}).items():
        check(a, "area_ratio")
        check(b, "area_ratio")
        if not float(r) >= 0:
            raise FitError(f"area_ratio {b}/{a} must be non-negative, got {r!r}")
        exprs[f"{b}_area"] = f"{float(r)!r} * {a}_area"
    exprs.update(dict(expr or {}))
    for k, e in exprs.items():
        if k not in spec:
            raise FitError(f"constraint on {k!r}: no such parameter; parameters are <band>_center, _fwhm, "
                           "_area and the shape's parameters")
        spec[k] = {**spec[k], "expr": e}
    for k in fixed or ():
        if k in names:
            for q in ("center", "fwhm", "area", *shape_of[k].extra_names):
                spec[f"{k}_{q}"] = {**spec[f"{k}_{q}"], "vary": False}
            continue
        if k not in spec:
            raise FitError(f"fixed: no parameter or band {k!r}")
        spec[k] = {**spec[k], "vary": False}
    try:
        params = make_params(spec)
        for p in params.values():  # evaluate every expression now: a typo is an error here, not a NaN later
            _ = p.value
    except (NameError, SyntaxError, KeyError, ValueError, TypeError) as exc:
        raise FitError(f"a constraint does not parse: {exc}") from None
    return params


class _Jacobian:
    """d residual / d varied parameter, through the expressions of derived parameters."""

    def __init__(self, model: PeakModel, params, weights):
        self.model = model
        self.w = weights
        self.var = [k for k, p in params.items() if p.vary and not p.expr]
        self.col = {k: i for i, k in enumerate(model.param_names)}
        self.derived = {}
        for k in model.param_names:
            p = params[k]
            if p.expr:
                deps = _var_deps(params, k)
                self.derived[k] = [d for d in self.var if d in deps] if deps is not None else list(self.var)

    def __call__(self, pars, *args):
        v = {k: float(pars[k].value) for k in self.model.param_names}
        jm = self.model.jacobian(v)
        out = np.zeros((jm.shape[0], len(self.var)))
        for i, k in enumerate(self.var):
            if k in self.col:
                out[:, i] = jm[:, self.col[k]]
        for k, deps in self.derived.items():
            for d in deps:
                i = self.var.index(d)
                base = float(pars[d].value)
                h = 1e-7 * max(abs(base), 1e-8)
                pars[d].value = base + h
                up = float(pars[k].value)
                pars[d].value = base - h
                dn = float(pars[k].value)
                pars[d].value = base
                out[:, i] += jm[:, self.col[k]] * (up - dn) / (2.0 * h)
        return out * self.w[:, None]


def _var_deps(params, name, seen=None) -> set | None:
    seen = set() if seen is None else seen
    deps = getattr(params[name], "_expr_deps", None)
    if deps is None:
        return None
    out = set()
    for d in deps:
        if d in seen or d not in params:
            continue
        seen.add(d)
        if params[d].expr:
            sub = _var_deps(params, d, seen)
            if sub is None:
                return None
            out |= sub
        else:
            out.add(d)
    return out


def _check_xy(x, y, sigma, context):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise DataError(f"{context}: x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    if x.size < 5:
        raise DataError(f"{context}: {x.size} points are too few for a peak fit")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise DataError(f"{context}: x or y contains NaN or inf; remove or interpolate those points")
    dx = np.diff(x)
    if not (np.all(dx > 0) or np.all(dx < 0)):
        i = int(np.argmax(~((dx > 0) if dx[0] > 0 else (dx < 0))))
        raise DataError(f"{context}: x is not monotonic at index {i + 1} ({x[i]:g} -> {x[i + 1]:g}); "
                        "sort the spectrum or remove repeated points")
    s = None
    if sigma is not None:
        s = np.broadcast_to(np.asarray(sigma, dtype=float), y.shape).copy()
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise DataError(f"{context}: sigma must be finite and positive everywhere")
    if dx[0] < 0:
        x, y = x[::-1].copy(), y[::-1].copy()
        s = None if s is None else s[::-1].copy()
    return x, y, s


def fit_peaks(x, y, peaks, *, sigma=None, shape: str = "pvoigt", background="none",
              same_width: Iterable = (), same_eta: Iterable = (), separation: Mapping | None = None,
              area_ratio: Mapping | None = None, expr: Mapping[str, str] | None = None,
              fixed: Iterable[str] = (), method: str = "least_squares", max_nfev: int | None = None,
              x_unit: str = "", context: str = "fit") -> PeakFitResult:
    """Fit a sum of peaks on a polynomial background.

    Parameters
    ----------
    x, y : array_like
        The spectrum; x monotonic (a descending axis is reversed).
    peaks : sequence of PeakSpec, mappings or centres
        The bands, with starting values (see :class:`PeakSpec`).
    sigma : array_like or float, optional
        Standard uncertainties of ``y``; the residual is divided by them.
        Unweighted when None (reduced chi-square then in units of ``y**2``).
    shape : str
        Default shape of bands that do not name one.
    background : str or int
        ``none``, ``constant``, ``linear``, ``quadratic``, ``cubic`` or a degree (Chebyshev).
    same_width, same_eta, separation, area_ratio, expr, fixed
        Constraints (see the module docstring).
    method : str
        lmfit method; ``least_squares`` (with the analytic Jacobian) by default.
    max_nfev : int, optional
        Evaluation budget; running out gives ``converged=False``.
    x_unit : str
        Unit of x, for reports.
    context : str
        Names the fit (the file) in messages.

    Returns
    -------
    PeakFitResult
        ``converged=False`` with the reason when the fit did not converge.

    Raises
    ------
    DataError
        NaN, unequal lengths, non-monotonic x, bad sigma.
    FitError
        A band outside the data, an unknown shape or band in a constraint, empty bounds.
    """
    x, y, s = _check_xy(x, y, sigma, context)
    specs = _as_specs(peaks, x)
    shapes = [get_shape(sp.shape or shape) for sp in specs]
    deg = _background_degree(background)
    params = _build_params(specs, shapes, x, y, deg, same_width=same_width, same_eta=same_eta,
                           separation=separation, area_ratio=area_ratio, expr=expr, fixed=fixed)
    nvary = sum(1 for p in params.values() if p.vary and not p.expr)
    if nvary >= x.size:
        raise FitError(f"{context}: {nvary} free parameters for {x.size} points; fit fewer bands or a wider range")
    model = PeakModel(x, [(sp.name, sh) for sp, sh in zip(specs, shapes)], deg)
    w = np.ones_like(y) if s is None else 1.0 / s
    names = model.param_names

    def residual(p):
        v = {k: p[k].value for k in names}
        return (model.evaluate(v) - y) * w

    kws = {}
    if method == "least_squares":
        kws["jac"] = _Jacobian(model, params, w)
    elif method == "leastsq":
        kws["Dfun"] = _Jacobian(model, params, w)
    report = minimize(residual, params, method=method, max_nfev=max_nfev, context=context, **kws)
    v = dict(report.values)
    bands = _bands(report, [(sp.name, sh) for sp, sh in zip(specs, shapes)], v)
    settings = {"shape": shape, "background_degree": deg, "method": method,
                "weighted": s is not None, "constraints": {k: p.expr for k, p in params.items() if p.expr}}
    return PeakFitResult(x=_ro(x), y=_ro(y), sigma=None if s is None else _ro(s), best_fit=_ro(model.evaluate(v)),
                         background=_ro(model.background(v)),
                         components={k: _ro(c) for k, c in model.components(v).items()},
                         bands=bands, report=report, x_unit=x_unit, context=context, settings=settings)


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def _derived(name: str, shape: Shape) -> list[tuple[str, object]]:
    """(quantity, function of the values) of a band's derived numbers."""
    def height(vv):
        return vv[f"{name}_area"] * float(shape.height(vv[f"{name}_fwhm"], _extras(vv, name, shape)))

    out: list[tuple[str, object]] = [("height", height)]
    if shape.name == "voigt":
        from .lineshapes import voigt_widths
        out.append(("eta", lambda vv: float(shape.eta(vv[f"{name}_fwhm"], _extras(vv, name, shape)))))
        for i, k in enumerate(("fwhm_gauss", "fwhm_lorentz")):
            out.append((k, lambda vv, i=i: float(voigt_widths(vv[f"{name}_fwhm"],
                                                              vv[f"{name}_lorentz_fraction"])[i])))
    return out


def _bands(report: FitReport, peaks: Sequence[tuple[str, Shape]], v: Mapping[str, float]) -> tuple[BandFit, ...]:
    """Every band's values and standard errors; derived numbers in one propagation pass."""
    derived = [(name, q, f) for name, shape in peaks for q, f in _derived(name, shape)]
    tied = [(name, k) for name, shape in peaks for k in ("center", "fwhm", "area", *shape.extra_names)
            if report.params is not None and report.params[f"{name}_{k}"].expr
            and not np.isfinite(report.stderr.get(f"{name}_{k}", np.nan))]
    funcs = [f for _, _, f in derived] + [(lambda vv, key=f"{n}_{k}": vv[key]) for n, k in tied]
    vals, errs = report.propagate_many(lambda vv: [f(vv) for f in funcs]) if funcs else ([], [])
    got = {(n, q): (vals[i], errs[i]) for i, (n, q, _) in enumerate(derived)}
    got_tied = {(n, k): errs[len(derived) + i] for i, (n, k) in enumerate(tied)}
    out = []
    for name, shape in peaks:
        values, errors = {}, {}
        for k in ("center", "fwhm", "area", *shape.extra_names):
            values[k] = float(v[f"{name}_{k}"])
            errors[k] = float(got_tied.get((name, k), report.stderr.get(f"{name}_{k}", np.nan)))
        for q, _ in _derived(name, shape):
            values[q], errors[q] = float(got[(name, q)][0]), float(got[(name, q)][1])
        if "eta" not in values:
            values["eta"] = float(shape.eta(values["fwhm"], {}))
            errors["eta"] = 0.0 if shape.name in ("gaussian", "lorentzian") else np.nan
        at = tuple(k[len(name) + 1:] for k in report.at_bounds
                   if k.startswith(f"{name}_") and k[len(name) + 1:] in values)
        out.append(BandFit(name=name, shape=shape.name, values=values, stderr=errors, at_bounds=at))
    return tuple(out)


# -- peak detection and the number of bands ------------------------------------------------------
def robust_noise(y) -> float:
    """Standard deviation of white noise on ``y``: the MAD of second differences over √6.

    Second differences cancel slopes and broad curvature, so bands and
    backgrounds hardly bias it.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(np.linspace(0, 3, 20000)) + np.random.default_rng(0).normal(0, 0.1, 20000)
    >>> round(robust_noise(y), 2)
    0.1
    """
    y = np.asarray(y, dtype=float)
    if y.size < 5:
        return float(np.std(y)) or 1.0
    d2 = np.diff(y, 2)
    return max(float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0)), 1e-12)


def detect_peaks(x, y, *, min_snr: float = 5.0, max_peaks: int | None = None, min_fwhm: float | None = None,
                 smooth: int | None = None, prefix: str = "p") -> list[PeakSpec]:
    """Starting values for bands from local maxima of ``y`` (background removed beforehand).

    Peaks are the maxima whose prominence exceeds ``min_snr`` times the noise (a
    robust estimate from point-to-point differences), on ``y`` smoothed with a
    Savitzky-Golay filter of ``smooth`` points (default: 1/200 of the points,
    at least 5). Returned in order of decreasing prominence.

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.core.lineshapes import gaussian
    >>> x = np.linspace(0, 100, 2001)
    >>> y = 30 * gaussian(x, 30, 3) + 10 * gaussian(x, 70, 5)
    >>> [(p.name, round(p.center, 1), round(p.fwhm, 1)) for p in detect_peaks(x, y)]
    [('p1', 30.0, 3.0), ('p2', 70.0, 5.0)]
    """
    from scipy.signal import find_peaks, peak_widths, savgol_filter
    x, y, _ = _check_xy(x, y, None, "detect_peaks")
    n = x.size
    win = int(smooth) if smooth else max(5, n // 200)
    win += 1 - win % 2
    ys = savgol_filter(y, win, 2) if win < n else y
    noise = robust_noise(y)
    dx = float(np.median(np.diff(x)))
    idx, props = find_peaks(ys, prominence=min_snr * noise)
    if idx.size == 0:
        return []
    widths = peak_widths(ys, idx, rel_height=0.5)[0] * dx
    order = np.argsort(props["prominences"])[::-1]
    out = []
    for j in order:
        w = float(widths[j])
        if min_fwhm is not None and w < min_fwhm:
            continue
        out.append(PeakSpec(f"{prefix}{len(out) + 1}", float(x[idx[j]]), fwhm=max(w, 2 * dx)))
        if max_peaks is not None and len(out) >= max_peaks:
            break
    return out


@dataclass(frozen=True, repr=False)
class PeakCountSelection(SummaryRepr):
    """Fits with 1..N bands and the one the criterion chose."""

    best: PeakFitResult
    fits: tuple[PeakFitResult, ...]
    criterion: str

    @property
    def n_bands(self) -> int:
        return len(self.best.bands)

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"n_bands": len(f.bands), "bic": f.report.bic, "aic": f.report.aic,
                              "redchi": f.redchi, "converged": f.converged, "chosen": f is self.best}
                             for f in self.fits])

    def summary(self) -> str:
        vals = ", ".join(f"{len(f.bands)}: {getattr(f.report, self.criterion):.5g}" for f in self.fits)
        return f"{self.criterion} by number of bands ({vals}); chosen {self.n_bands}"


def select_peak_count(x, y, *, candidates: Sequence[PeakSpec] | None = None, max_peaks: int = 8,
                      min_peaks: int = 1, criterion: str = "bic", min_snr: float = 3.0,
                      **fit_kws) -> PeakCountSelection:
    """Fit 1, 2, ... bands and keep the count with the lowest information criterion.

    Bands are added in order of prominence from ``candidates`` (default:
    :func:`detect_peaks`); once they run out, a band is added at the largest
    positive residual of the previous fit. Each fit starts from the previous
    one's values. ``fit_kws`` go to :func:`fit_peaks` (sigma, shape, background ...).

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.core.lineshapes import gaussian
    >>> rng = np.random.default_rng(1)
    >>> x = np.linspace(0, 100, 1001)
    >>> y = 40 * gaussian(x, 40, 8) + 25 * gaussian(x, 50, 8) + rng.normal(0, 0.05, x.size)
    >>> sel = select_peak_count(x, y, max_peaks=4, sigma=0.05, shape="gaussian")
    >>> sel.n_bands, sorted(round(b.center) for b in sel.best.bands)
    (2, [40, 50])
    """
    if criterion not in ("bic", "aic", "aicc"):
        raise FitError(f"criterion {criterion!r}: choose bic, aic or aicc")
    x, y, s = _check_xy(x, y, fit_kws.pop("sigma", None), fit_kws.get("context", "select_peak_count"))
    pool = list(candidates) if candidates is not None else detect_peaks(x, y, min_snr=min_snr)
    fits: list[PeakFitResult] = []
    current: list[PeakSpec] = []
    for n in range(1, max_peaks + 1):
        if pool:
            nxt = pool.pop(0)
        else:
            if not fits:
                break
            r = fits[-1].y - fits[-1].best_fit
            i = int(np.argmax(r))
            if r[i] <= 0:
                break
            nxt = PeakSpec("p0", float(x[i]))
        nxt = PeakSpec(f"p{n}", nxt.center, fwhm=nxt.fwhm, shape=nxt.shape, extras=nxt.extras)
        if fits:
            prev = fits[-1]
            current = [b.as_start() for b in prev.bands]
        current = current + [nxt]
        if n < min_peaks and pool:
            continue
        fit = fit_peaks(x, y, current, sigma=s, **fit_kws)
        fits.append(fit)
        if len(fits) >= 3 and all(getattr(f.report, criterion) >= getattr(fits[-3].report, criterion)
                                  for f in fits[-2:]):
            break  # two bands more did not help twice in a row
    if not fits:
        raise FitError("select_peak_count: no peak found above the noise; lower min_snr or give candidates")
    ok = [f for f in fits if f.converged] or fits
    best = min(ok, key=lambda f: getattr(f.report, criterion))
    return PeakCountSelection(best=best, fits=tuple(fits), criterion=criterion)
