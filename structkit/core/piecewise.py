"""Continuous piecewise-linear regression with automatic breakpoints.

The engine behind multi-regime Arrhenius fits (``ln(σT)`` against ``1/T``)
and, later, thermal-expansion regimes (``a`` against ``T``). The model with
``K`` segments is continuous at its ``K - 1`` breakpoints ``b_j``::

    y(x) = c + s_0 x + sum_j (s_j - s_{j-1}) max(0, x - b_j)

For each ``K`` the breakpoints are first located by an exhaustive search over
the mid-points between data points (an exact linear least-squares solve per
combination), then refined as continuous lmfit parameters, so every slope
and breakpoint has a standard error from the covariance matrix. ``K`` is
chosen by BIC (default) or AICc when ``n_segments="auto"``, each breakpoint counting as
three parameters and every slope change required to exceed two standard errors.

Examples
--------
>>> import numpy as np
>>> x = np.linspace(0, 10, 41)
>>> y = np.where(x < 4, 1.0 * x, 4.0 + 3.0 * (x - 4))
>>> fit = fit_piecewise_linear(x, y + 1e-3 * np.sin(7 * x), n_segments="auto")
>>> fit.n_segments, np.round(fit.slopes, 2).tolist(), round(float(fit.breakpoints[0]), 2)
(2, [1.0, 3.0], 4.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from .frozen import FrozenMap

import numpy as np

from .errors import DataError, FitError
from .fit import FitReport, information_criteria, make_params, minimize

__all__ = ["PiecewiseFit", "fit_piecewise_linear"]

_MAX_COMBOS = 40000


@dataclass(frozen=True)
class PiecewiseFit:
    """A continuous piecewise-linear fit in the caller's x units.

    Attributes
    ----------
    n_segments : int
    slopes, slopes_stderr : ndarray, shape (n_segments,)
    breakpoints, breakpoints_stderr : ndarray, shape (n_segments - 1,)
    intercept, intercept_stderr : float
        Value of the first segment's line at ``x = 0``.
    x_min, x_max : float
        Range of the data.
    report : FitReport
        The refinement in standardised units (``u = (x - x0) / xs``).
    criterion : str
        ``"bic"`` or ``"aicc"``; ``scores`` maps each K tried to its value.
    """

    n_segments: int
    slopes: np.ndarray
    slopes_stderr: np.ndarray
    breakpoints: np.ndarray
    breakpoints_stderr: np.ndarray
    intercept: float
    intercept_stderr: float
    x_min: float
    x_max: float
    x0: float
    xs: float
    report: FitReport
    criterion: str = "bic"
    scores: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "scores", FrozenMap(dict(self.scores)))

    @property
    def converged(self) -> bool:
        return self.report.converged

    def _u(self, x):
        return (np.asarray(x, dtype=float) - self.x0) / self.xs

    def predict(self, x) -> np.ndarray:
        """Model value at ``x``."""
        return _model(self._u(x), self.report.values, self.n_segments)

    def predict_stderr(self, x) -> np.ndarray:
        """Standard error of the model value at ``x`` (from the covariance)."""
        u = np.atleast_1d(self._u(x))
        out = np.array([self.report.propagate(
            lambda v, ui=ui: float(_model(np.array([ui]), v, self.n_segments)[0]))[1] for ui in u])
        return out if np.ndim(x) else float(out[0])

    def segment_of(self, x) -> np.ndarray:
        """Index of the segment that contains each ``x`` (0-based, by breakpoints)."""
        return np.searchsorted(np.sort(self.breakpoints), np.asarray(x, dtype=float), side="right")

    def segment_bounds(self) -> list[tuple[float, float]]:
        """(x_low, x_high) of each segment, clipped to the data range."""
        edges = [self.x_min, *np.sort(self.breakpoints).tolist(), self.x_max]
        return [(float(edges[i]), float(edges[i + 1])) for i in range(self.n_segments)]


def _names(k: int) -> tuple[list[str], list[str]]:
    return [f"s{i}" for i in range(k)], [f"b{j}" for j in range(1, k)]


def _model(u, v, k):
    slopes, bps = _names(k)
    y = v["c"] + v["s0"] * u
    for j in range(1, k):
        y = y + (v[slopes[j]] - v[slopes[j - 1]]) * np.maximum(0.0, u - v[bps[j - 1]])
    return y


def _design(u, bps):
    cols = [np.ones_like(u), u] + [np.maximum(0.0, u - b) for b in bps]
    return np.stack(cols, axis=-1)


def _grid_search(u, y, w, k, min_points):
    """Best breakpoint combination among mid-points: (rss, breakpoint u-values, index combo)."""
    n = u.size
    mids = 0.5 * (u[:-1] + u[1:])
    # breakpoint between point i and i+1 has index i; segment sizes >= min_points
    lo, hi = min_points - 1, n - 1 - min_points
    cand = np.arange(lo, hi + 1)
    combos = [c for c in itertools.combinations(cand, k - 1)
              if all(c[j + 1] - c[j] >= min_points for j in range(len(c) - 1))]
    if not combos:
        return None
    if len(combos) > _MAX_COMBOS:
        step = int(np.ceil(len(combos) / _MAX_COMBOS))
        combos = combos[::step]
    combos = np.array(combos, dtype=int).reshape(len(combos), k - 1)
    best = (np.inf, None, None)
    yw = y * w
    for start in range(0, len(combos), 4000):
        chunk = combos[start:start + 4000]
        b = mids[chunk]                                  # (m, k-1)
        hinge = np.maximum(0.0, u[None, :, None] - b[:, None, :])   # (m, n, k-1)
        base = np.broadcast_to(np.stack([np.ones_like(u), u], -1), (len(chunk), n, 2))
        A = np.concatenate([base, hinge], axis=-1) * w[None, :, None]
        AtA = np.einsum("mnp,mnq->mpq", A, A)
        Atb = np.einsum("mnp,n->mp", A, yw)
        try:
            beta = np.linalg.solve(AtA, Atb[..., None])[..., 0]
        except np.linalg.LinAlgError:
            beta = np.stack([np.linalg.lstsq(a, yw, rcond=None)[0] for a in A])
        rss = np.sum((yw[None, :] - np.einsum("mnp,mp->mn", A, beta)) ** 2, axis=1)
        i = int(np.nanargmin(rss))
        if rss[i] < best[0]:
            best = (float(rss[i]), b[i], chunk[i])
    return best


def _fit_k(u, y, w, k, min_points, context):
    slopes, bps = _names(k)
    n = u.size
    if k == 1:
        A = _design(u, []) * w[:, None]
        beta = np.linalg.lstsq(A, y * w, rcond=None)[0]
        spec = {"c": beta[0], "s0": beta[1]}
    else:
        found = _grid_search(u, y, w, k, min_points)
        if found is None:
            return None
        _, b, idx = found
        A = _design(u, b) * w[:, None]
        beta = np.linalg.lstsq(A, y * w, rcond=None)[0]
        spec = {"c": beta[0], "s0": beta[1]}
        s = beta[1]
        for j in range(1, k):
            s = s + beta[1 + j]
            spec[slopes[j]] = s
        # each breakpoint may move one point further only where the segment it
        # takes the point from keeps at least min_points
        edges = [-1, *[int(i) for i in idx], n - 1]
        for j, (bj, ij) in enumerate(zip(b, idx)):
            ij = int(ij)
            left, right = ij - edges[j], edges[j + 2] - ij
            # a middle segment may lose a point at both ends: it needs two spare points
            need_l = min_points + (1 if j > 0 else 0)
            need_r = min_points + (1 if j + 2 < len(edges) - 1 else 0)
            lo_i = ij - 1 if left > need_l and ij >= 1 else ij
            hi_i = ij + 2 if right > need_r and ij + 2 <= n - 1 else ij + 1
            spec[bps[j]] = {"value": float(bj), "min": float(u[lo_i]), "max": float(u[hi_i])}
    params = make_params(spec)

    def residual(p):
        v = p.valuesdict()
        return (_model(u, v, k) - y) * w

    return minimize(residual, params, context=f"{context} ({k} segment{'s' * (k > 1)})")


def _changes_significant(rep: FitReport, k: int, min_sigma: float) -> bool:
    if not rep.errorbars:
        return False
    for j in range(1, k):
        d, e = rep.propagate(lambda v, j=j: v[f"s{j}"] - v[f"s{j - 1}"])
        if not (np.isfinite(e) and abs(d) > min_sigma * e):
            return False
    return True


def fit_piecewise_linear(x, y, *, sigma=None, n_segments: int | str = "auto", max_segments: int = 4,
                         min_points: int = 3, criterion: str = "bic", min_sigma: float = 2.0,
                         breakpoint_cost: float = 3.0, context: str = "piecewise fit") -> PiecewiseFit:
    """Fit a continuous piecewise-linear function, choosing the number of segments.

    Parameters
    ----------
    x, y : array_like
        Data; need not be sorted. Non-finite values raise.
    sigma : array_like, optional
        Standard uncertainties of ``y`` (weights ``1/sigma``).
    n_segments : int or "auto"
        A fixed number of segments, or ``"auto"`` to try ``1..max_segments``.
    max_segments : int
        Largest K tried in ``"auto"`` mode (default 4).
    min_points : int
        Fewest data points a segment may hold (default 3).
    criterion : {"bic", "aicc"}
        Model-selection criterion.
    min_sigma : float
        In ``"auto"`` mode a model is kept only if every slope change at a
        breakpoint exceeds ``min_sigma`` standard errors (default 2).
    breakpoint_cost : float
        Number of parameters a breakpoint counts for in the criterion
        (default 3). A breakpoint located by search over the data is worth
        more than one free parameter; with 1 the criterion splits pure lines
        (10 % of 30-point lines with 3 % noise in our calibration), with 3
        it did so in 0 of 60 while still finding the seed 000 (3 regimes)
        and seed 001 (2 regimes) laws with 2 % noise in 60 of 60 trials.
    context : str
        Names the data in messages.

    Returns
    -------
    PiecewiseFit

    Raises
    ------
    DataError
        Non-finite or mismatched input.
    FitError
        Too few points for the number of segments asked.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise DataError(f"{context}: x and y must be 1-D and of equal length, got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise DataError(f"{context}: x or y has non-finite values; remove those points")
    if sigma is None:
        w = np.ones_like(x)
    else:
        sigma = np.broadcast_to(np.asarray(sigma, dtype=float), x.shape)
        if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
            raise DataError(f"{context}: sigma must be finite and positive")
        w = 1.0 / sigma
    if criterion not in ("bic", "aicc"):
        raise FitError(f"{context}: criterion must be 'bic' or 'aicc', got {criterion!r}")
    order = np.argsort(x, kind="stable")
    x, y, w = x[order], y[order], w[order]
    if np.any(np.diff(x) == 0):
        raise DataError(f"{context}: repeated x values; average them first")
    x0, xs = float(x.mean()), float(x.std()) or 1.0
    u = (x - x0) / xs
    if n_segments == "auto":
        ks = [k for k in range(1, int(max_segments) + 1)
              if x.size >= (3 if k == 1 else k * min_points + 1)]
        if not ks:
            raise FitError(f"{context}: {x.size} points are too few for a line")
    else:
        k = int(n_segments)
        if k < 1:
            raise FitError(f"{context}: n_segments must be >= 1")
        if x.size < k * min_points:
            raise FitError(f"{context}: {k} segments need at least {k * min_points} points "
                           f"({min_points} each), got {x.size}; lower n_segments or min_points")
        ks = [k]
    fits, scores = {}, {}
    for k in ks:
        rep = _fit_k(u, y, w, k, min_points, context)
        if rep is None or not np.isfinite(rep.chisqr):
            continue
        fits[k] = rep
        # a breakpoint found by search is worth more than one free parameter
        k_eff = rep.nvarys + (breakpoint_cost - 1.0) * (k - 1)
        ic = information_criteria(rep.chisqr, rep.ndata, k_eff)
        scores[k] = ic[criterion]
        if n_segments == "auto" and k > 1 and not _changes_significant(rep, k, min_sigma):
            scores[k] = float("inf")    # a regime whose slope is not distinguishable is not a regime
    if not fits:
        raise FitError(f"{context}: no piecewise model could be fitted to {x.size} points")
    best = min(scores, key=lambda k: (scores[k], k))
    rep = fits[best]
    v, e = rep.values, rep.stderr
    slopes_n, bps_n = _names(best)
    slopes = np.array([v[s] for s in slopes_n]) / xs
    slopes_err = np.array([e[s] for s in slopes_n]) / xs
    bps = x0 + xs * np.array([v[b] for b in bps_n])
    bps_err = xs * np.array([e[b] for b in bps_n])
    c0, c0_err = rep.propagate(lambda vv: float(_model(np.array([-x0 / xs]), vv, best)[0]))
    return PiecewiseFit(n_segments=best, slopes=slopes, slopes_stderr=slopes_err, breakpoints=bps,
                        breakpoints_stderr=bps_err, intercept=c0, intercept_stderr=c0_err,
                        x_min=float(x[0]), x_max=float(x[-1]), x0=x0, xs=xs, report=rep,
                        criterion=criterion, scores=scores)
