"""The shared fit helper: every structkit fit goes through here.

:func:`minimize` runs :func:`lmfit.minimize` on a vectorised residual and
returns a :class:`FitReport`: values, standard errors, covariance,
reduced chi-square, information criteria, whether it converged and why not.
A fit that fails inside scipy (NaN residuals, singular Jacobian) does not
raise: it comes back with ``converged=False`` and the reason in ``message``.
Derived quantities get a standard error through :meth:`FitReport.propagate`
(first-order propagation with the covariance matrix).

Examples
--------
>>> import numpy as np, lmfit
>>> x = np.linspace(0, 1, 50)
>>> y = 2.0 * x + 1.0
>>> p = lmfit.Parameters(); _ = p.add("a", 1.0); _ = p.add("b", 0.0)
>>> rep = minimize(lambda p: p["a"] * x + p["b"] - y, p)
>>> rep.converged, round(rep.values["a"], 6), round(rep.values["b"], 6)
(True, 2.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from .frozen import FrozenMap

import numpy as np

from .errors import FitError

__all__ = ["FitReport", "minimize", "minimize_separable", "make_params", "information_criteria"]


def information_criteria(chisqr: float, ndata: int, nvarys: int) -> dict[str, float]:
    """AIC, BIC and small-sample AICc for a least-squares fit.

    Uses lmfit's definitions (``n ln(chi2/n) + 2k`` and ``n ln(chi2/n) + k ln n``)
    and ``AICc = AIC + 2k(k+1)/(n-k-1)``.

    Examples
    --------
    >>> ic = information_criteria(10.0, 20, 2)
    >>> round(ic["aicc"] - ic["aic"], 4)
    0.7059
    """
    n, k = int(ndata), float(nvarys)
    chi = max(float(chisqr), 1e-300)
    aic = n * np.log(chi / n) + 2 * k
    bic = n * np.log(chi / n) + np.log(n) * k
    aicc = aic + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else np.inf)
    return {"aic": float(aic), "bic": float(bic), "aicc": float(aicc)}


@dataclass(frozen=True)
class FitReport:
    """What a fit found, and how sure it is.

    ``stderr`` holds a float for every parameter; it is ``nan`` only where
    the covariance could not be estimated, which ``errorbars`` says.
    """

    values: Mapping[str, float]
    stderr: Mapping[str, float]
    init_values: Mapping[str, float]
    var_names: tuple[str, ...]
    covar: np.ndarray | None
    residual: np.ndarray
    chisqr: float
    redchi: float
    ndata: int
    nvarys: int
    nfev: int
    aic: float
    bic: float
    aicc: float
    converged: bool
    errorbars: bool
    message: str
    method: str
    at_bounds: tuple[str, ...] = ()
    params: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        for name in ("values", "stderr", "init_values"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))

    def propagate(self, func: Callable[[Mapping[str, float]], float], *,
                  rel_step: float = 1e-6) -> tuple[float, float]:
        """Value and standard error of ``func(values)`` by first-order propagation.

        The gradient is taken numerically over the varied parameters; parameters
        defined by expressions are re-evaluated through ``params`` when present.

        Examples
        --------
        >>> import lmfit
        >>> p = lmfit.Parameters(); _ = p.add("a", 2.0)
        >>> rep = FitReport({"a": 2.0}, {"a": 0.1}, {"a": 1.0}, ("a",), np.array([[0.01]]),
        ...                 np.zeros(3), 0.0, 0.0, 3, 1, 5, 0, 0, 0, True, True, "", "test")
        >>> v, s = rep.propagate(lambda v: v["a"] ** 2)
        >>> round(v, 6), round(s, 6)
        (4.0, 0.4)
        """
        value, err = self.propagate_many(lambda v: [func(v)], rel_step=rel_step)
        return float(value[0]), float(err[0])

    def propagate_many(self, func: Callable[[Mapping[str, float]], Sequence[float]], *,
                       rel_step: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`propagate` for a function returning several numbers: one gradient pass for all.

        Examples
        --------
        >>> import lmfit
        >>> rep = FitReport({"a": 2.0}, {"a": 0.1}, {"a": 1.0}, ("a",), np.array([[0.01]]),
        ...                 np.zeros(3), 0.0, 0.0, 3, 1, 5, 0, 0, 0, True, True, "", "test")
        >>> v, s = rep.propagate_many(lambda v: [v["a"] ** 2, 3 * v["a"]])
        >>> v.round(6).tolist(), s.round(6).tolist()
        ([4.0, 6.0], [0.4, 0.3])
        """
        base = dict(self.values)
        value = np.atleast_1d(np.asarray(func(base), dtype=float))
        if self.covar is None or not self.errorbars:
            return value, np.full(value.shape, np.nan)
        grad = np.zeros((value.size, len(self.var_names)))
        work = self._expression_params()
        for i, name in enumerate(self.var_names):
            # step on the scale of the value or of its uncertainty, whichever is larger, so that a
            # parameter at or near zero still gets a gradient
            scale = max(abs(base[name]), float(np.sqrt(abs(self.covar[i, i]))), 1e-12)
            h = rel_step * scale
            up, dn = dict(base), dict(base)
            up[name] += h
            dn[name] -= h
            up, dn = self._with_expressions(up, work), self._with_expressions(dn, work)
            grad[:, i] = (np.asarray(func(up), dtype=float) - np.asarray(func(dn), dtype=float)) / (2 * h)
        var = np.einsum("ki,ij,kj->k", grad, self.covar, grad)
        return value, np.where(var >= 0, np.sqrt(np.abs(var)), np.nan)

    def _expression_params(self):
        """A private copy of the parameters when some are expressions (one copy per propagation)."""
        params = self.params
        if params is None or not any(p.expr for p in params.values()):
            return None
        return params.copy()

    def _with_expressions(self, values: dict, work=None) -> dict:
        if work is None:
            return values
        for name in self.var_names:
            work[name].value = values[name]
        work.update_constraints()
        return {**values, **{k: float(v.value) for k, v in work.items()}}

    def summary(self) -> str:
        """A short text report, one parameter per line."""
        lines = [f"{self.method}: {'converged' if self.converged else 'NOT converged'}"
                 f" ({self.message}); nfev={self.nfev}, ndata={self.ndata}, "
                 f"nvarys={self.nvarys}, redchi={self.redchi:.4g}"]
        for name, value in self.values.items():
            err = self.stderr.get(name, float("nan"))
            flag = "  (at bound)" if name in self.at_bounds else ""
            p = self.params[name] if self.params is not None and name in self.params else None
            if name in self.var_names:
                fixed = ""
            elif p is not None and p.expr:
                fixed = "  (derived)"
            else:
                fixed = "  (fixed)"
            lines.append(f"  {name:>14s} = {value: .6g} +/- {err:.3g}{fixed}{flag}")
        return "\n".join(lines)


def make_params(spec: Mapping[str, Mapping | float]):
    """Build :class:`lmfit.Parameters` from ``{name: value}`` or ``{name: {value, min, max, vary, expr}}``.

    Raises
    ------
    FitError
        If a starting value lies outside its bounds.

    Examples
    --------
    >>> p = make_params({"R1": {"value": 1e3, "min": 0}, "n": 0.9})
    >>> p["R1"].min, p["n"].value
    (0, 0.9)
    """
    import lmfit

    params = lmfit.Parameters()
    for name, s in spec.items():
        if not isinstance(s, Mapping):
            s = {"value": s}
        value = s.get("value")
        lo, hi = s.get("min", -np.inf), s.get("max", np.inf)
        if s.get("expr") is None and value is not None and not (lo <= value <= hi):
            raise FitError(f"starting value {name}={value:g} is outside its bounds [{lo:g}, {hi:g}]; "
                           "change the initial guess or the bounds")
        params.add(name, value=value, min=lo, max=hi, vary=s.get("vary", True), expr=s.get("expr"))
    return params


_SCIPY_FAILURES = (ValueError, FloatingPointError, ZeroDivisionError, OverflowError,
                   np.linalg.LinAlgError)


def minimize(residual: Callable, params, *, args: tuple = (), method: str = "least_squares",
             max_nfev: int | None = None, context: str = "fit", **fit_kws) -> FitReport:
    """Minimise ``sum(residual(params, *args)**2)`` with lmfit and report.

    Parameters
    ----------
    residual : callable
        ``residual(params, *args) -> ndarray`` of weighted residuals, vectorised.
    params : lmfit.Parameters
        Starting values, bounds and expressions. Not modified.
    method : str
        Any lmfit method; ``least_squares`` (trust-region reflective, native
        bounds) by default.
    max_nfev : int, optional
        Evaluation budget; running out of it means ``converged=False``.
    context : str
        Names the fit in messages (e.g. the file).

    Returns
    -------
    FitReport
    """
    import lmfit

    init = {k: float(v.value) for k, v in params.items()}
    ndata_guess = 0
    try:
        # lmfit takes square roots of a covariance that can have negative diagonals on a
        # degenerate fit; it reports those as NaN standard errors (errorbars=False) -- no warning needed
        with np.errstate(invalid="ignore", divide="ignore"):
            result = lmfit.minimize(residual, params.copy(), args=args, method=method,
                                    max_nfev=max_nfev, nan_policy="raise", **fit_kws)
    except _SCIPY_FAILURES as exc:
        try:
            ndata_guess = int(np.size(residual(params, *args)))
        except Exception:  # noqa: BLE001 - only sizing the failure report
            ndata_guess = 0
        names = tuple(k for k, v in params.items() if v.vary and not v.expr)
        return FitReport(values=init, stderr={k: float("nan") for k in init}, init_values=init,
                         var_names=names, covar=None, residual=np.zeros(0), chisqr=float("inf"),
                         redchi=float("inf"), ndata=ndata_guess, nvarys=len(names), nfev=0,
                         aic=float("inf"), bic=float("inf"), aicc=float("inf"), converged=False,
                         errorbars=False, message=f"{context}: fit failed ({type(exc).__name__}: {exc})",
                         method=method, params=params.copy())
    values = {k: float(v.value) for k, v in result.params.items()}
    stderr = {k: (float(v.stderr) if v.stderr is not None else float("nan"))
              for k, v in result.params.items()}
    for k, v in result.params.items():
        if not v.vary and not v.expr:
            stderr[k] = 0.0
    resid = np.asarray(result.residual, dtype=float)
    chisqr = float(np.sum(resid ** 2))
    finite = np.isfinite(chisqr) and all(np.isfinite(v) for v in values.values())
    at_bounds = []
    for k, v in result.params.items():
        if v.vary and not v.expr:
            span = 1e-6 * max(abs(v.value), abs(init.get(k, 0.0)), 1e-12)
            if (np.isfinite(v.min) and v.value - v.min <= span) or \
               (np.isfinite(v.max) and v.max - v.value <= span):
                at_bounds.append(k)
    success = bool(result.success) and finite
    msg = str(getattr(result, "message", "") or "")
    if not finite:
        msg = "non-finite parameters or residuals; " + msg
    if success and not result.errorbars:
        msg += "; standard errors could not be estimated (singular covariance)"
    if at_bounds:
        msg += "; at a bound: " + ", ".join(at_bounds)
    ic = information_criteria(chisqr, result.ndata, result.nvarys)
    dof = max(result.ndata - result.nvarys, 1)
    return FitReport(values=values, stderr=stderr, init_values=init,
                     var_names=tuple(result.var_names),
                     covar=None if result.covar is None else np.array(result.covar),
                     residual=resid, chisqr=chisqr, redchi=chisqr / dof, ndata=int(result.ndata),
                     nvarys=int(result.nvarys), nfev=int(result.nfev), aic=ic["aic"], bic=ic["bic"],
                     aicc=ic["aicc"], converged=success, errorbars=bool(result.errorbars),
                     message=f"{context}: {msg.strip('; ')}", method=method,
                     at_bounds=tuple(at_bounds), params=result.params)


def _solve_block(phi, y, w, lower):
    """Weighted linear least squares ``phi @ b ~ y`` with optional lower bounds on ``b``."""
    a = phi * w[:, None]
    rhs = y * w
    b = np.linalg.lstsq(a, rhs, rcond=None)[0]
    if lower is not None and np.any(b < lower):
        from scipy.optimize import lsq_linear

        b = lsq_linear(a, rhs, bounds=(lower, np.inf), method="bvls").x
    return b


def minimize_separable(blocks: Callable, params, y: Sequence[np.ndarray], sigma: Sequence[np.ndarray],
                       linear_names: Sequence[Sequence[str]], *, nonneg: Sequence[str] = (),
                       method: str = "least_squares", max_nfev: int | None = None,
                       context: str = "fit", **fit_kws) -> FitReport:
    """Fit ``y_g ~ blocks(values)[g] @ b_g`` where the ``b_g`` enter linearly (variable projection).

    Many spectroscopy models are a few nonlinear parameters (widths, rates, radii)
    times many linear ones (amplitudes, scales, backgrounds). Only the nonlinear
    parameters in ``params`` go to :func:`lmfit.minimize`; at every step the linear
    coefficients of each block are solved by weighted linear least squares
    (bounded below by 0 for names in ``nonneg``). The report holds **all** parameters:
    the covariance is that of the full problem (nonlinear and linear together), so the
    standard errors of the amplitudes and their correlation with the widths are right.

    Parameters
    ----------
    blocks : callable
        ``blocks(values: dict) -> list of (n_g, k_g) arrays``, one design matrix per block.
    params : lmfit.Parameters
        The nonlinear parameters (bounds, expressions, fixed ones).
    y, sigma : sequences of arrays
        Data and standard uncertainties per block (``sigma > 0``).
    linear_names : sequence of sequences of str
        Names of the linear coefficients of each block, in column order.
    nonneg : names of linear coefficients constrained to be >= 0.

    Returns
    -------
    FitReport
        ``values``/``stderr`` of nonlinear and linear parameters; ``var_names`` lists the
        varied nonlinear parameters then the linear ones (those held at 0 by ``nonneg``
        are reported in ``at_bounds`` with standard error 0).

    Examples
    --------
    >>> import lmfit
    >>> x = np.linspace(0, 5, 60)
    >>> y = 3.0 * np.exp(-x / 1.5) + 0.5
    >>> p = lmfit.Parameters(); _ = p.add("tau", 1.0, min=0.01)
    >>> rep = minimize_separable(lambda v: [np.column_stack([np.exp(-x / v["tau"]), np.ones_like(x)])],
    ...                          p, [y], [np.full(x.size, 0.01)], [["amp", "bg"]])
    >>> [round(rep.values[k], 6) for k in ("tau", "amp", "bg")]
    [1.5, 3.0, 0.5]
    """
    ys = [np.asarray(v, dtype=float) for v in y]
    ws = [1.0 / np.asarray(s, dtype=float) for s in sigma]
    names = [list(n) for n in linear_names]
    nonneg = set(nonneg)
    lowers = [None if not any(n in nonneg for n in ns) else
              np.array([0.0 if n in nonneg else -np.inf for n in ns]) for ns in names]
    flat_names = [n for ns in names for n in ns]
    if len(set(flat_names)) != len(flat_names) or set(flat_names) & set(params):
        raise FitError(f"{context}: linear parameter names must be unique and differ from the nonlinear ones")

    def solve(values):
        mats = blocks(values)
        coefs, resid = [], []
        for g, phi in enumerate(mats):
            b = _solve_block(phi, ys[g], ws[g], lowers[g])
            coefs.append(b)
            resid.append((phi @ b - ys[g]) * ws[g])
        return mats, coefs, np.concatenate(resid)

    def residual(p):
        return solve(p.valuesdict())[2]

    rep = minimize(residual, params, method=method, max_nfev=max_nfev, context=context, **fit_kws)
    values = dict(rep.values)
    if not np.all(np.isfinite(list(values.values()))):
        return rep
    mats, coefs, resid = solve(values)
    for ns, b in zip(names, coefs):
        values.update({n: float(v) for n, v in zip(ns, b)})
    # full Jacobian of the weighted model: nonlinear columns by central differences (through lmfit
    # expressions), linear columns exactly
    nl = list(rep.var_names)
    work = rep.params.copy() if rep.params is not None else params.copy()

    def model_at(name, value):
        work[name].value = value
        work.update_constraints()
        mats_h = blocks(work.valuesdict())
        return np.concatenate([(m @ b) * w for m, b, w in zip(mats_h, coefs, ws)])

    held = {n for ns, b in zip(names, coefs) for n, v in zip(ns, b) if n in nonneg and v <= 0.0}
    free_lin = [(g, j, n) for g, ns in enumerate(names) for j, n in enumerate(ns) if n not in held]
    ntot = sum(len(v) for v in ys)
    jac = np.zeros((ntot, len(nl) + len(free_lin)))
    for i, name in enumerate(nl):
        v0 = values[name]
        err = rep.stderr.get(name, np.nan)
        h = 1e-4 * (err if np.isfinite(err) and err > 0 else max(abs(v0), 1e-8))
        up, dn = model_at(name, v0 + h), model_at(name, v0 - h)
        work[name].value = v0
        jac[:, i] = (up - dn) / (2 * h)
    work.update_constraints()
    offsets = np.concatenate([[0], np.cumsum([v.size for v in ys])])
    for k, (g, j, n) in enumerate(free_lin):
        jac[offsets[g]:offsets[g + 1], len(nl) + k] = mats[g][:, j] * ws[g]
    var_names = tuple(nl + [n for _, _, n in free_lin])
    nvarys = len(var_names)
    chisqr = float(resid @ resid)
    dof = max(ntot - nvarys, 1)
    redchi = chisqr / dof
    covar, errorbars = None, False
    try:
        jtj = jac.T @ jac
        scale = np.sqrt(np.diag(jtj))
        scale[scale == 0] = 1.0
        inv = np.linalg.inv(jtj / np.outer(scale, scale)) / np.outer(scale, scale)
        covar = inv * redchi
        errorbars = bool(np.all(np.diag(covar) >= 0) and np.all(np.isfinite(covar)))
    except np.linalg.LinAlgError:
        pass
    stderr = dict(rep.stderr)
    for n in flat_names:
        stderr[n] = 0.0 if n in held else float("nan")
    if covar is not None:
        for i, n in enumerate(var_names):
            stderr[n] = float(np.sqrt(covar[i, i])) if covar[i, i] >= 0 else float("nan")
    if not errorbars:
        covar = None
    ic = information_criteria(chisqr, ntot, nvarys)
    msg = rep.message
    if rep.converged and not errorbars:
        msg += "; standard errors could not be estimated (singular covariance)"
    init = dict(rep.init_values)
    init.update({n: float("nan") for n in flat_names})
    params_out = rep.params.copy() if rep.params is not None else None
    if params_out is not None:
        for n in flat_names:
            params_out.add(n, value=values[n], vary=False)
    return FitReport(values=values, stderr=stderr, init_values=init, var_names=var_names, covar=covar,
                     residual=resid, chisqr=chisqr, redchi=redchi, ndata=ntot, nvarys=nvarys,
                     nfev=rep.nfev, aic=ic["aic"], bic=ic["bic"], aicc=ic["aicc"],
                     converged=rep.converged, errorbars=errorbars, message=msg, method=rep.method,
                     at_bounds=tuple(rep.at_bounds) + tuple(sorted(held)), params=params_out)
