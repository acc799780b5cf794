"""Tests for structkit.core.piecewise: continuous piecewise-linear regression.

Truth is synthetic: continuous piecewise-linear data with known slopes and breakpoints and
seeded Gaussian noise. Tolerances come from the noise: single fits are checked within 3
reported standard errors; the reported standard errors themselves are checked by a small
Monte Carlo (scatter of the estimates against the mean reported stderr, within a factor 1.5,
which is ~3x the sampling error of a 30-sample standard deviation, 1/sqrt(2*29) = 13 %) and
against the asymptotic covariance (J^T J)^-1 sigma^2 computed at the true parameters.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from structkit.core.errors import DataError, FitError
from structkit.core.piecewise import PiecewiseFit, fit_piecewise_linear
from structkit.core.units import K_B_EV


def truth(x, c, slopes, bps):
    """Continuous piecewise-linear function (value ``c`` at x = 0 on the first segment's line)."""
    x = np.asarray(x, float)
    y = c + slopes[0] * x
    for j, b in enumerate(bps):
        y = y + (slopes[j + 1] - slopes[j]) * np.maximum(0.0, x - b)
    return y


X = np.linspace(0.0, 10.0, 31)
DESIGNS = {
    1: ([1.0], []),
    2: ([1.0, 3.0], [4.3]),
    3: ([2.0, -1.0, 1.5], [3.4, 6.6]),
}


def noisy(k, seed, noise, x=X, c=0.5):
    slopes, bps = DESIGNS[k]
    rng = np.random.default_rng(seed)
    return truth(x, c, slopes, bps) + noise * rng.standard_normal(x.size)


def asymptotic_stderr(x, c, slopes, bps, noise):
    """sqrt(diag((J^T J)^-1)) * noise, J the model Jacobian at the true parameters
    (c, s0..s_{K-1}, b1..b_{K-1}); returns (slopes_err, bps_err)."""
    k = len(slopes)
    cols = [np.ones_like(x)]
    # d/ds_j of c + s0 x + sum (s_j - s_{j-1}) max(0, x - b_j)
    h = [np.maximum(0.0, x - b) for b in bps]
    for j in range(k):
        col = x.copy() if j == 0 else h[j - 1].copy()
        if j + 1 < k:
            col = col - h[j]
        cols.append(col)
    for j, b in enumerate(bps):
        cols.append(-(slopes[j + 1] - slopes[j]) * (x > b))
    J = np.stack(cols, axis=1)
    err = np.sqrt(np.diag(np.linalg.inv(J.T @ J))) * noise
    return err[1:1 + k], err[1 + k:]


# -- recovery of known truth -------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3])
def test_recovers_slopes_and_breakpoints_within_3_stderr(k):
    slopes, bps = DESIGNS[k]
    y = noisy(k, seed=0, noise=0.1)
    fit = fit_piecewise_linear(X, y, n_segments=k)
    assert isinstance(fit, PiecewiseFit) and fit.converged
    assert fit.n_segments == k
    assert fit.slopes.shape == (k,) and fit.breakpoints.shape == (k - 1,)
    assert np.all(np.abs(fit.slopes - slopes) < 3 * fit.slopes_stderr)
    assert np.all(np.abs(fit.breakpoints - bps) < 3 * fit.breakpoints_stderr)
    assert abs(fit.intercept - 0.5) < 3 * fit.intercept_stderr
    assert (fit.x_min, fit.x_max) == (0.0, 10.0)
    # predict is the fitted continuous model; the residual rms is the noise
    rms = np.sqrt(np.mean((fit.predict(X) - y) ** 2))
    assert 0.06 < rms < 0.14
    assert fit.predict(0.0) == pytest.approx(fit.intercept, rel=1e-9)


def test_stderr_is_realistic_monte_carlo():
    # 30 seeds of the 3-segment design; fixed K so that every sample has the same parameters
    k, noise, seeds = 3, 0.1, range(30)
    slopes, bps = DESIGNS[k]
    est, err = [], []
    for seed in seeds:
        fit = fit_piecewise_linear(X, noisy(k, seed, noise), n_segments=k)
        est.append(np.r_[fit.slopes, fit.breakpoints])
        err.append(np.r_[fit.slopes_stderr, fit.breakpoints_stderr])
    est, err = np.array(est), np.array(err)
    scatter = est.std(axis=0, ddof=1)
    ratio = scatter / err.mean(axis=0)
    assert np.all((ratio > 1 / 1.5) & (ratio < 1.5)), ratio
    # unbiased: mean within 3 standard errors of the mean
    assert np.all(np.abs(est.mean(0) - np.r_[slopes, bps]) < 3 * scatter / np.sqrt(len(seeds)))
    # reported stderr agrees with the asymptotic covariance at the truth (small noise: 10 %)
    s_err, b_err = asymptotic_stderr(X, 0.5, slopes, bps, noise)
    assert_allclose(err.mean(0), np.r_[s_err, b_err], rtol=0.10)


# -- automatic model selection ------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3])
def test_auto_selects_true_number_of_segments(k):
    # moderate noise (0.2 against slope changes >= 2 over 10 units); measured rate is ~99 % over
    # 100 seeds, so 18/20 leaves room; never fewer segments than the truth
    chosen = np.array([fit_piecewise_linear(X, noisy(k, seed, 0.2)).n_segments for seed in range(20)])
    assert np.all(chosen >= k), chosen
    assert np.sum(chosen == k) >= 18, chosen


def test_auto_does_not_invent_a_segment_for_a_straight_line():
    # false-positive rate measured at 0/300 for this design; allow <= 2 of 40 (5 %)
    rng = np.random.default_rng(1234)
    x = np.linspace(250.0, 450.0, 30)
    extra = 0
    for _ in range(40):
        y = 3.0 - 0.02 * x + 0.05 * rng.standard_normal(x.size)
        fit = fit_piecewise_linear(x, y)
        extra += fit.n_segments > 1
    assert extra <= 2


def test_auto_scores_and_criterion():
    y = noisy(2, seed=3, noise=0.2)
    for crit in ("bic", "aicc"):
        fit = fit_piecewise_linear(X, y, criterion=crit)
        assert fit.criterion == crit and fit.n_segments == 2
        assert set(fit.scores) == {1, 2, 3, 4}
        assert fit.scores[2] == min(fit.scores.values())
    fit = fit_piecewise_linear(X, y, max_segments=2)
    assert set(fit.scores) == {1, 2}
    with pytest.raises(TypeError):
        fit.scores[1] = 0.0


def test_seed000_three_regime_arrhenius():
    # ln(sigma T) vs 1/T, -100..180 C every 10 C; Ea 0.40 eV below -50 C, 0.60 eV between,
    # 0.34 eV above 70 C (continuous at the breaks), 1 % multiplicative noise in sigma
    t_k = np.arange(-100.0, 181.0, 10.0) + 273.15
    u = 1.0 / t_k
    b_hi, b_lo = 1.0 / (70.0 + 273.15), 1.0 / (-50.0 + 273.15)   # in 1/T, ascending
    ea = np.array([0.34, 0.60, 0.40])                               # ordered by ascending 1/T
    ln_sigma_t = truth(u, 10.0, -ea / K_B_EV, [b_hi, b_lo])
    rng = np.random.default_rng(0)
    sigma = np.exp(ln_sigma_t) / t_k * (1.0 + 0.01 * rng.standard_normal(t_k.size))
    fit = fit_piecewise_linear(u, np.log(sigma * t_k))
    assert fit.n_segments == 3
    assert_allclose(-fit.slopes * K_B_EV, ea, atol=0.02)
    assert_allclose(1.0 / fit.breakpoints, [70.0 + 273.15, -50.0 + 273.15], atol=15.0)


# -- min_points, ordering, weights ----------------------------------------------------------------

def _points_per_segment(fit, x, tol=1e-9):
    edges = np.r_[-np.inf, np.sort(fit.breakpoints), np.inf]
    return [int(np.sum((x >= edges[i] - tol) & (x <= edges[i + 1] + tol))) for i in range(fit.n_segments)]


@pytest.mark.parametrize("min_points", [3, 8, 10])
def test_min_points_respected_on_clean_breaks(min_points):
    x = np.linspace(0, 10, 31)
    fit = fit_piecewise_linear(x, noisy(3, 5, 0.2, x=x), n_segments=3, min_points=min_points)
    assert min(_points_per_segment(fit, x)) >= min_points


def test_min_points_pushes_breakpoint_off_a_short_regime():
    # the true last segment holds 4 points; with min_points=6 the fit must not place a
    # breakpoint leaving fewer than 6 points anywhere
    x = np.arange(20.0)
    y = np.where(x < 16, x, 16 + 5 * (x - 16))
    fit = fit_piecewise_linear(x, y + 0.01 * np.sin(3 * x), n_segments=2, min_points=6)
    assert min(_points_per_segment(fit, x)) >= 6
    with pytest.raises(FitError, match=r"3 segments need at least 21 points \(7 each\), got 20"):
        fit_piecewise_linear(x, y, n_segments=3, min_points=7)


def test_min_points_respected_on_irregular_data():
    rng = np.random.default_rng(0)
    n = int(rng.integers(10, 16))
    x = np.sort(rng.uniform(0, 10, n))
    y = rng.standard_normal(n) * rng.uniform(0.1, 3) + np.abs(x - 5) * rng.uniform(0, 2)
    fit = fit_piecewise_linear(x, y, n_segments=3, min_points=3)
    assert min(_points_per_segment(fit, x)) >= 3


def test_unsorted_input_gives_the_same_fit():
    y = noisy(2, seed=11, noise=0.2)
    perm = np.random.default_rng(99).permutation(X.size)
    a = fit_piecewise_linear(X, y, n_segments=2)
    b = fit_piecewise_linear(X[perm], y[perm], n_segments=2)
    assert_allclose(b.slopes, a.slopes, rtol=1e-10)
    assert_allclose(b.breakpoints, a.breakpoints, rtol=1e-10)
    assert_allclose(b.slopes_stderr, a.slopes_stderr, rtol=1e-8)
    assert (b.x_min, b.x_max) == (0.0, 10.0)


def test_single_segment_equals_weighted_least_squares():
    # oracle: WLS with weights 1/sigma; lmfit scales the covariance by the reduced chi-square
    rng = np.random.default_rng(2)
    x = np.linspace(1.0, 5.0, 25)
    sig = 0.05 + 0.1 * x
    y = 2.0 - 0.7 * x + sig * rng.standard_normal(x.size)
    fit = fit_piecewise_linear(x, y, sigma=sig, n_segments=1)
    X1 = np.stack([np.ones_like(x), x], axis=1) / sig[:, None]
    beta, rss, *_ = np.linalg.lstsq(X1, y / sig, rcond=None)
    cov = np.linalg.inv(X1.T @ X1) * rss[0] / (x.size - 2)
    assert_allclose(fit.slopes, [beta[1]], rtol=1e-8)
    assert fit.intercept == pytest.approx(beta[0], rel=1e-8)
    assert_allclose(fit.slopes_stderr, [np.sqrt(cov[1, 1])], rtol=1e-6)
    assert fit.intercept_stderr == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-6)
    # prediction stderr at any x is sqrt([1 x] C [1 x]^T)
    for xq in (0.0, 3.0, 7.5):
        g = np.array([1.0, xq])
        assert fit.predict_stderr(xq) == pytest.approx(np.sqrt(g @ cov @ g), rel=1e-6)
    assert isinstance(fit.predict_stderr(3.0), float)
    assert fit.predict_stderr(np.array([3.0, 4.0])).shape == (2,)


def test_sigma_weights_are_used():
    # corrupt three points but give them huge sigma: the fit must equal the fit without them
    y = noisy(2, seed=4, noise=0.1)
    bad = np.array([2, 15, 27])
    y_bad = y.copy()
    y_bad[bad] += 50.0
    sig = np.full(X.size, 0.1)
    sig[bad] = 1e7
    keep = np.setdiff1d(np.arange(X.size), bad)
    w = fit_piecewise_linear(X, y_bad, sigma=sig, n_segments=2)
    ref = fit_piecewise_linear(X[keep], y[keep], sigma=0.1, n_segments=2)
    assert_allclose(w.slopes, ref.slopes, rtol=1e-4)
    assert_allclose(w.breakpoints, ref.breakpoints, rtol=1e-4)
    unweighted = fit_piecewise_linear(X, y_bad, n_segments=2)
    assert np.max(np.abs(unweighted.slopes - ref.slopes)) > 0.5
    # a constant sigma changes nothing but the chi-square scale
    c = fit_piecewise_linear(X, y, sigma=0.37, n_segments=2)
    u = fit_piecewise_linear(X, y, n_segments=2)
    assert_allclose(c.slopes, u.slopes, rtol=1e-8)
    assert_allclose(c.slopes_stderr, u.slopes_stderr, rtol=1e-6)


def test_segment_helpers():
    fit = fit_piecewise_linear(X, noisy(3, seed=0, noise=0.1), n_segments=3)
    b1, b2 = fit.breakpoints
    assert fit.segment_of(b1 - 1e-6) == 0 and fit.segment_of(b1 + 1e-6) == 1
    assert fit.segment_of(b2 + 1e-6) == 2
    assert fit.segment_of(np.array([0.0, 5.0, 10.0])).tolist() == [0, 1, 2]
    bounds = fit.segment_bounds()
    assert bounds[0][0] == 0.0 and bounds[-1][1] == 10.0
    assert bounds[0][1] == pytest.approx(b1) and bounds[1] == pytest.approx((b1, b2))
    # continuity at each breakpoint
    for j, b in enumerate(fit.breakpoints):
        left = fit.predict(b - 1e-9)
        right = fit.predict(b + 1e-9)
        assert left == pytest.approx(right, abs=1e-7)


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, y, match", [
    ([0, 1, np.nan, 3, 4], [0, 1, 2, 3, 4], "non-finite"),
    ([0, 1, 2, 3, 4], [0, 1, np.inf, 3, 4], "non-finite"),
    ([0, 1, 2, 3], [0, 1, 2], "equal length"),
    (np.zeros((4, 2)), np.zeros((4, 2)), "1-D"),
    ([0, 1, 1, 3, 4], [0, 1, 2, 3, 4], "repeated x"),
])
def test_bad_data_is_data_error(x, y, match):
    with pytest.raises(DataError, match=match):
        fit_piecewise_linear(x, y, context="run7")


@pytest.mark.parametrize("sigma", [0.0, -1.0, np.nan, [1, 1, 1, 1, 0, 1, 1, 1]])
def test_bad_sigma_is_data_error(sigma):
    x = np.arange(8.0)
    with pytest.raises(DataError, match="sigma must be finite and positive"):
        fit_piecewise_linear(x, x, sigma=sigma)


def test_too_few_points_and_bad_settings_are_fit_errors():
    x = np.arange(5.0)
    with pytest.raises(FitError, match="2 segments need at least 6 points"):
        fit_piecewise_linear(x, x, n_segments=2)
    with pytest.raises(FitError, match="too few for a line"):
        fit_piecewise_linear(x[:2], x[:2])
    with pytest.raises(FitError, match="criterion must be 'bic' or 'aicc', got 'aic'"):
        fit_piecewise_linear(X, X, criterion="aic")
    with pytest.raises(FitError, match="n_segments must be >= 1"):
        fit_piecewise_linear(X, X, n_segments=0)


def test_auto_accepts_as_few_points_as_fixed_single_segment():
    x = np.array([1.0, 2.0, 3.0])
    assert fit_piecewise_linear(x, 2 * x + 1, n_segments=1).n_segments == 1
    assert fit_piecewise_linear(x, 2 * x + 1).n_segments == 1


def test_breakpoint_cost_enters_the_criterion():
    # BIC = n ln(chi2/n) + k_eff ln n with k_eff = nvarys + (cost - 1)(K - 1): changing the cost
    # from 1 to c shifts score[K] by exactly (c - 1)(K - 1) ln n
    y = noisy(3, seed=1, noise=0.2)
    one = fit_piecewise_linear(X, y, breakpoint_cost=1.0, min_sigma=0.0)
    three = fit_piecewise_linear(X, y, breakpoint_cost=3.0, min_sigma=0.0)
    for k in (1, 2, 3, 4):
        assert three.scores[k] - one.scores[k] == pytest.approx(2.0 * (k - 1) * np.log(X.size), abs=1e-9)


def test_fractional_breakpoint_cost_is_not_truncated():
    y = noisy(2, seed=1, noise=0.2)
    one = fit_piecewise_linear(X, y, breakpoint_cost=1.0, min_sigma=0.0, max_segments=2)
    frac = fit_piecewise_linear(X, y, breakpoint_cost=2.5, min_sigma=0.0, max_segments=2)
    assert frac.scores[2] - one.scores[2] == pytest.approx(1.5 * np.log(X.size), abs=1e-9)


def test_fit_pickles():
    import pickle
    fit = fit_piecewise_linear(X, noisy(2, seed=0, noise=0.1), n_segments=2)
    back = pickle.loads(pickle.dumps(fit))
    assert_allclose(back.slopes, fit.slopes)
