"""Tests for structkit.core.fit: minimize / FitReport / propagate / make_params / information criteria.

Oracles: analytic Jacobians and the OLS covariance s^2 (X^T X)^-1, lmfit's own result for the
same problem, and the first-order (delta-method) formula var(f) = g^T C g with g by hand.
"""

import dataclasses
import math

import lmfit
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from structkit.core.errors import FitError
from structkit.core.fit import FitReport, information_criteria, make_params, minimize

NOISE = 0.05
TRUE_G = {"A": 3.0, "c": 0.7, "w": 1.2}


def _gauss(x, A, c, w):
    return A * np.exp(-((x - c) ** 2) / (2 * w ** 2))


@pytest.fixture(scope="module")
def gauss_fit():
    rng = np.random.default_rng(1)
    x = np.linspace(-5, 5, 101)
    y = _gauss(x, **TRUE_G) + NOISE * rng.standard_normal(x.size)

    def residual(p):
        v = p.valuesdict()
        return (_gauss(x, v["A"], v["c"], v["w"]) - y) / NOISE

    params = make_params({"A": 1.0, "c": 0.0, "w": {"value": 2.0, "min": 0.0},
                          "fwhm": {"expr": "2*sqrt(2*log(2))*w"},
                          "area": {"expr": "A*w*sqrt(2*pi)"}})
    before = {k: (p.value, p.min, p.max, p.expr) for k, p in params.items()}
    rep = minimize(residual, params, context="gauss.xy")
    after = {k: (p.value, p.min, p.max, p.expr) for k, p in params.items()}
    return x, y, rep, before, after


def test_gaussian_recovered_within_3_stderr(gauss_fit):
    x, _, rep, _, _ = gauss_fit
    assert rep.converged and rep.errorbars
    assert rep.message.startswith("gauss.xy: ")
    assert rep.var_names == ("A", "c", "w")
    assert (rep.ndata, rep.nvarys) == (x.size, 3)
    for name, truth in TRUE_G.items():
        # independent truth; 3 reported standard errors (the stderr itself is checked below)
        assert abs(rep.values[name] - truth) < 3 * rep.stderr[name], name
    # residuals are weighted by the true noise, so chi2 ~ chi2(dof): 0.1 %..99.9 % quantiles
    dof = rep.ndata - rep.nvarys
    lo, hi = stats.chi2.ppf([0.001, 0.999], dof) / dof
    assert lo < rep.redchi < hi
    assert rep.chisqr == pytest.approx(float(np.sum(rep.residual ** 2)))
    assert rep.redchi == pytest.approx(rep.chisqr / dof)


def test_gaussian_stderr_matches_analytic_jacobian(gauss_fit):
    x, _, rep, _, _ = gauss_fit
    A, c, w = (rep.values[k] for k in ("A", "c", "w"))
    g = _gauss(x, A, c, w) / A
    J = np.stack([g, A * g * (x - c) / w ** 2, A * g * (x - c) ** 2 / w ** 3], axis=1) / NOISE
    cov = np.linalg.inv(J.T @ J) * rep.redchi      # lmfit scales the covariance by redchi
    assert_allclose(rep.covar, cov, rtol=1e-4, atol=1e-12)   # lmfit's Jacobian is finite-difference
    assert_allclose([rep.stderr[k] for k in ("A", "c", "w")], np.sqrt(np.diag(cov)), rtol=1e-4)


def test_params_are_not_modified_and_init_values_recorded(gauss_fit):
    _, _, rep, before, after = gauss_fit
    assert before == after
    assert rep.init_values["A"] == 1.0 and rep.init_values["w"] == 2.0


def test_report_is_frozen_with_read_only_mappings(gauss_fit):
    rep = gauss_fit[2]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.converged = False
    with pytest.raises(TypeError):
        rep.values["A"] = 0.0
    with pytest.raises(TypeError):
        rep.stderr["A"] = 0.0


def test_propagate_product_matches_delta_method(gauss_fit):
    rep = gauss_fit[2]
    A, w = rep.values["A"], rep.values["w"]
    i, j = rep.var_names.index("A"), rep.var_names.index("w")
    C = rep.covar
    var = w ** 2 * C[i, i] + A ** 2 * C[j, j] + 2 * A * w * C[i, j]
    value, err = rep.propagate(lambda v: v["A"] * v["w"])
    assert value == pytest.approx(A * w, rel=1e-15)
    assert err == pytest.approx(math.sqrt(var), rel=1e-6)


def test_propagate_expression_parameter(gauss_fit):
    rep = gauss_fit[2]
    A, w = rep.values["A"], rep.values["w"]
    i, j = rep.var_names.index("A"), rep.var_names.index("w")
    C = rep.covar
    k = math.sqrt(2 * math.pi)
    analytic = k * math.sqrt(w ** 2 * C[i, i] + A ** 2 * C[j, j] + 2 * A * w * C[i, j])
    value, err = rep.propagate(lambda v: v["area"])
    assert value == pytest.approx(k * A * w, rel=1e-12)
    assert err == pytest.approx(analytic, rel=1e-6)
    assert rep.stderr["area"] == pytest.approx(analytic, rel=1e-6)    # lmfit's own
    # area / A == w*sqrt(2 pi) exactly: only right if the expression is re-evaluated
    # at each perturbed point of the gradient
    _, err2 = rep.propagate(lambda v: v["area"] / v["A"])
    assert err2 == pytest.approx(k * rep.stderr["w"], rel=1e-6)
    assert rep.stderr["fwhm"] == pytest.approx(2 * math.sqrt(2 * math.log(2)) * rep.stderr["w"], rel=1e-6)


def _bare_report(values, covar, errorbars=True):
    names = tuple(values)
    return FitReport(values, {k: math.sqrt(covar[i, i]) for i, k in enumerate(names)}, values, names,
                     covar, np.zeros(3), 0.0, 0.0, 3, len(names), 1, 0.0, 0.0, 0.0, True, errorbars,
                     "", "test")


def test_propagate_without_errorbars_is_nan():
    rep = _bare_report({"a": 2.0}, np.array([[0.01]]), errorbars=False)
    value, err = rep.propagate(lambda v: v["a"] ** 2)
    assert value == 4.0 and math.isnan(err)


def test_propagate_parameter_near_zero():
    rep = _bare_report({"a": 1.0, "b": 0.0}, np.diag([0.01, 0.01]))
    _, err = rep.propagate(lambda v: v["a"] + v["b"])
    assert err == pytest.approx(math.sqrt(0.02), rel=1e-6)


# -- linear fit: agree with lmfit and with the OLS covariance ---------------------------------

@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(7)
    x = np.linspace(0, 4, 30)
    y = 2.0 * x - 1.0 + 0.3 * rng.standard_normal(x.size)

    def residual(p):
        return p["a"] * x + p["b"] - y

    return x, y, residual


def test_linear_stderr_equals_lmfit_and_ols(linear):
    x, y, residual = linear
    rep = minimize(residual, make_params({"a": 1.0, "b": 0.0}))
    ref = lmfit.minimize(residual, make_params({"a": 1.0, "b": 0.0}), method="least_squares")
    for k in ("a", "b"):
        assert rep.values[k] == pytest.approx(ref.params[k].value, rel=1e-12)
        assert rep.stderr[k] == pytest.approx(ref.params[k].stderr, rel=1e-12)
    assert rep.aic == pytest.approx(ref.aic, rel=1e-12)
    assert rep.bic == pytest.approx(ref.bic, rel=1e-12)
    assert rep.redchi == pytest.approx(ref.redchi, rel=1e-12)
    # OLS: beta = (X^T X)^-1 X^T y, cov = s^2 (X^T X)^-1 with s^2 = RSS/(n-2)
    X = np.stack([x, np.ones_like(x)], axis=1)
    beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    cov = rss[0] / (x.size - 2) * np.linalg.inv(X.T @ X)
    assert_allclose([rep.values["a"], rep.values["b"]], beta, rtol=1e-7)
    assert_allclose(rep.covar, cov, rtol=1e-6)
    assert rep.chisqr == pytest.approx(rss[0], rel=1e-10)


def test_fixed_parameter_has_zero_stderr_and_is_not_varied(linear):
    x, y, residual = linear
    rep = minimize(residual, make_params({"a": 1.0, "b": {"value": -1.0, "vary": False}}))
    assert rep.var_names == ("a",) and rep.nvarys == 1
    assert rep.values["b"] == -1.0 and rep.stderr["b"] == 0.0
    # slope through a fixed intercept: a = sum(x (y - b)) / sum(x^2)
    assert rep.values["a"] == pytest.approx(np.sum(x * (y + 1.0)) / np.sum(x * x), rel=1e-7)
    assert "(fixed)" in rep.summary().splitlines()[2]


def test_summary_does_not_call_derived_parameters_fixed(gauss_fit):
    line = [ln for ln in gauss_fit[2].summary().splitlines() if ln.strip().startswith("area")][0]
    assert "(fixed)" not in line


def test_summary_reports_convergence(gauss_fit):
    s = gauss_fit[2].summary()
    assert s.splitlines()[0].startswith("least_squares: converged")
    assert "redchi=" in s and "A =" in s


# -- failures are values, not exceptions ----------------------------------------------------

def test_nan_residual_gives_not_converged_with_message():
    x = np.linspace(0, 1, 20)

    def residual(p):
        r = p["a"] * x - 2 * x
        return r * np.nan if p["a"].value > 1.5 else r

    rep = minimize(residual, make_params({"a": 1.0}), context="bad.xy")
    assert rep.converged is False
    assert not rep.errorbars
    assert rep.message.startswith("bad.xy: fit failed (ValueError")
    assert "NaN" in rep.message
    assert rep.ndata == 20
    assert math.isnan(rep.stderr["a"]) and rep.values["a"] == 1.0
    assert rep.chisqr == math.inf
    assert math.isnan(rep.propagate(lambda v: v["a"])[1])
    assert "NOT converged" in rep.summary()


@pytest.mark.parametrize("exc", [ZeroDivisionError, OverflowError, np.linalg.LinAlgError])
def test_numeric_exceptions_in_residual_are_reported(exc):
    def residual(p):
        raise exc("inside")

    rep = minimize(residual, make_params({"a": 1.0}))
    assert rep.converged is False and exc.__name__ in rep.message


def test_evaluation_budget_exhausted_is_not_converged(gauss_fit):
    x, y, _, _, _ = gauss_fit
    rep = minimize(lambda p: _gauss(x, p["A"], p["c"], p["w"]) - y,
                   make_params({"A": 1.0, "c": 0.0, "w": 2.0}), max_nfev=3)
    assert rep.converged is False


# -- bounds ---------------------------------------------------------------------------------

def _line_against_negative_slope():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 50)
    y = -1.0 * x + 1 + 0.01 * rng.standard_normal(x.size)
    return lambda p: p["a"] * x + p["b"] - y


def test_parameter_pinned_at_bound_is_listed():
    rep = minimize(_line_against_negative_slope(), make_params({"a": {"value": 0.5, "min": 0.2}, "b": 1.0}))
    assert rep.values["a"] == pytest.approx(0.2, abs=1e-9)
    assert rep.at_bounds == ("a",)
    assert "at a bound: a" in rep.message
    assert "(at bound)" in rep.summary()


def test_parameter_pinned_at_zero_bound_is_listed():
    rep = minimize(_line_against_negative_slope(), make_params({"a": {"value": 0.5, "min": 0.0}, "b": 1.0}))
    assert abs(rep.values["a"]) < 1e-6
    assert rep.at_bounds == ("a",)


def test_free_parameter_is_not_at_bound(linear):
    _, _, residual = linear
    rep = minimize(residual, make_params({"a": {"value": 1.0, "min": 0.0, "max": 10.0}, "b": 0.0}))
    assert rep.at_bounds == ()


# -- make_params and information_criteria -------------------------------------------------------

def test_make_params_values_and_specs():
    p = make_params({"R1": {"value": 1e3, "min": 0}, "n": 0.9,
                     "C": {"value": 1e-9, "vary": False}, "tau": {"expr": "R1*C"}})
    assert p["R1"].min == 0 and p["R1"].max == np.inf and p["R1"].vary
    assert p["n"].value == 0.9 and p["n"].min == -np.inf
    assert not p["C"].vary
    assert p["tau"].expr == "R1*C" and p["tau"].value == pytest.approx(1e-6)


@pytest.mark.parametrize("spec", [{"value": 2.0, "max": 1.0}, {"value": -1.0, "min": 0.0}])
def test_make_params_start_outside_bounds_is_fit_error(spec):
    with pytest.raises(FitError, match="starting value R=.* is outside its bounds"):
        make_params({"R": spec})


def test_information_criteria_formulae():
    n, k, chi = 20, 2, 10.0
    ic = information_criteria(chi, n, k)
    assert ic["aic"] == pytest.approx(n * math.log(chi / n) + 2 * k, rel=1e-14)
    assert ic["bic"] == pytest.approx(n * math.log(chi / n) + k * math.log(n), rel=1e-14)
    assert ic["aicc"] - ic["aic"] == pytest.approx(2 * k * (k + 1) / (n - k - 1), rel=1e-14)
    assert information_criteria(1.0, 3, 2)["aicc"] == math.inf       # n - k - 1 == 0
    assert math.isfinite(information_criteria(0.0, 10, 2)["bic"])    # perfect fit: clipped, finite


def test_report_pickles(gauss_fit):
    import pickle
    back = pickle.loads(pickle.dumps(gauss_fit[2]))
    assert dict(back.values) == dict(gauss_fit[2].values)
