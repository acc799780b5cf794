"""Benchmark: sequential Le Bail (structkit.xrd.fit_sequential) against a Pawley-like whole-pattern lmfit.

60 synthetic patterns x 7001 points (2-theta 3-45 deg, lambda = 0.71414 A) of an
fcc cell (seed 000: a = 9.96 A at room temperature, -170 ... 450 C, ln V piecewise
linear with alpha_V = 1.0e-4, 2.0e-4, 1.6e-4 /K, breaks at 223 K and 348 K), with
Debye-Waller damped intensities (strongest peak ~2e4 counts), a smooth
temperature-dependent background (~300-700 counts), a 0.005 deg zero shift and
Poisson noise, all seeded. The peaks are drawn as full TCH pseudo-Voigts over the
whole range (no cut-off window), independently of the fitted model.

Every pattern is fitted by

* **structkit** ``fit_sequential(patterns, Phase("Fm-3m", a=9.95), ...)``: Le Bail
  (intensity extraction alternating with lmfit least squares of a, zero, W, Y;
  the 6-term Chebyshev background solved linearly inside the residual), each
  pattern starting from the previous converged one.
* **baseline** a plain ``lmfit.minimize(method="least_squares")`` of the whole
  pattern in which every intensity is a free parameter (Pawley-like). Same data,
  weights (1/sqrt(counts)), range, profile function (``structkit.xrd.powder_pattern``,
  same 20-FWHM window), refined widths (W, Y), zero shift and background (6 Chebyshev
  terms, here as lmfit parameters), and the same reflections. Choices:
    - one intensity per *distinct d-spacing*: reflections that overlap exactly in a
      cubic cell (e.g. 333/511) share one parameter, as in any Pawley refinement
      (their split is undetermined; free separately the Jacobian is singular);
      only reflections whose peak lies inside the range, or less than 0.1 deg (~3
      FWHM) beyond its end, are free (at the pattern's start cell); the others,
      whose tails alone reach the data, are held at 0 (free, their intensities drifted to
      -1e20 and wrecked the series), and one that enters the range as the cell
      expands starts from its peak height;
    - the cell within +-5 %, zero within +-0.5 deg, W >= 1e-7, Y >= 0 and the
      intensities >= 0 (Le Bail's bounds and non-negative intensities);
    - lmfit/scipy defaults otherwise: 2-point finite-difference Jacobian, default
      tolerances and x_scale (unbounded intensities and ``x_scale="jac"`` took the same
      number of evaluations on this series; ``Pawley(x_scale=, nonnegative=)``);
    - pattern k starts from the converged values of pattern k-1 (cell, zero, widths,
      background and intensities), like the sequential Le Bail. The first pattern
      starts from the same cell (9.95 A), intensities from the peak heights.
    - before every pattern the cell goes through the same isotropic pre-scan
      ``lebail_fit`` does by default (best overlap of unit-intensity peaks with the
      pattern, +-2 %, 161 steps, profiles cut at 4 FWHM); without it a temperature step of more than about a
      FWHM (``--quick``: 56 K) sends the baseline into a false minimum. That work is
      inside the baseline's time, as it is inside structkit's.

Timing: ``time.perf_counter``; one warm-up (the first 3 patterns by both methods),
then the best of ``--repeats`` (default 2) runs of the whole series, the methods
interleaved in each round. One BLAS/OpenMP thread (set below unless already set in
the environment): both methods are single-process loops of small numpy operations,
where BLAS threads only contend.

Reported: seconds per pattern of each method and their ratio (baseline/structkit,
above 1 = structkit faster); Rwp and chi2 of each method computed here with the same
formula from its calculated pattern; |a - a_true| of each; max |a_structkit - a_baseline|.
Targets from the issue: < 0.5 s per pattern on 2 cores, >= 3x faster than the baseline.

This script reports; it never fails on a missed target (exit status 0).

Run: ``make bench``  or  ``.venv/bin/python benchmarks/bench_xrd.py [--quick] [--repeats N]``
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import warnings

import numpy as np
from _timing import best_times

LAM = 0.71414                           # seed 000, SNBL
A_RT, T_RT = 9.96, 293.15
BREAKS_K = (223.15, 348.15)
ALPHAS_V = (1.0e-4, 2.0e-4, 1.6e-4)
ZERO_DEG = 0.005
TT = np.linspace(3.0, 45.0, 7001)
N_PATTERNS, N_QUICK = 60, 12
PEAK_COUNTS = 2.0e4
SEED = 20240611
A_START = 9.95
N_BACKGROUND = 6
WINDOW = 20.0                           # profile cut-off in FWHMs (lebail_fit's default)
PRESCAN_SPAN, PRESCAN_STEPS = 0.02, 161  # lebail_fit's defaults
PRESCAN_WINDOW = 4.0                    # FWHMs: the overlap is decided by the peaks' cores
INST_W, INST_Y = 0.002, 0.005           # starting widths (deliberately not the true ones)
TARGET_S_PER_PATTERN, TARGET_RATIO = 0.5, 3.0


# --------------------------------------------------------------------------- data

def a_true(t):
    t = np.asarray(t, dtype=float)
    (b1, b2), (a1, a2, a3) = BREAKS_K, ALPHAS_V

    def integral(x):
        return np.where(x < b1, a1 * (x - b1), np.where(x < b2, a2 * (x - b1), a2 * (b2 - b1) + a3 * (x - b2)))

    return A_RT * np.exp((integral(t) - integral(T_RT)) / 3.0)


def build_series(n_patterns):
    """(temperatures, list of Measurement), seeded; peaks as full pseudo-Voigts (no cut-off)."""
    from structkit import Measurement
    from structkit.xrd import (
        Cell,
        d_spacing,
        generate_reflections,
        profile_fwhm_eta,
        two_theta_deg,
    )

    refl = generate_reflections("Fm-3m", Cell(A_RT, A_RT, A_RT, 90, 90, 90),
                                d_min_angstrom=LAM / (2 * np.sin(np.radians(24.0))))
    rng = np.random.default_rng(SEED)
    f2 = rng.uniform(0.2, 1.0, len(refl))
    temps = np.linspace(-170.0, 450.0, n_patterns) + 273.15

    def peaks(t_K, a):
        d = d_spacing(refl.hkl, Cell(a, a, a, 90, 90, 90))
        c = two_theta_deg(d, LAM) + ZERO_DEG
        th = np.radians(c / 2)
        b_iso = 1.0 + 0.004 * (t_K - 100.0)
        intens = refl.multiplicity * f2 / (np.sin(th) ** 2 * np.cos(th)) * np.exp(-2 * b_iso / (4 * d ** 2))
        h, eta = profile_fwhm_eta(c, 0.0, 0.0, 0.0008 + 2e-7 * t_K, 0.0, 0.01)
        dx = TT[None, :] - c[:, None]
        hh, ee = h[:, None], eta[:, None]
        lor = (2 / np.pi) * hh / (4 * dx ** 2 + hh ** 2)
        gau = (2 / hh) * np.sqrt(np.log(2) / np.pi) * np.exp(-4 * np.log(2) * (dx / hh) ** 2)
        return intens @ (ee * lor + (1 - ee) * gau)

    scale = PEAK_COUNTS / peaks(T_RT, A_RT).max()
    ms = []
    for t in temps:
        bkg = (1 + 2e-4 * (t - 300)) * (300 + 400 * np.exp(-TT / 6) + 60 * np.sin(TT / 9))
        y = rng.poisson(scale * peaks(t, a_true(t)) + bkg).astype(float)
        ms.append(Measurement(TT, y, x_name="two_theta", x_unit="deg", y_name="intensity", y_unit="counts",
                              source=f"fcc_{t:.2f}K.xy", sample="fcc", conditions={"temperature_K": float(t)}))
    return temps, ms


def rwp_chi2(y, ycalc, n_par):
    w = 1.0 / np.sqrt(np.maximum(y, 1.0))
    s = float(np.sum(((y - ycalc) * w) ** 2))
    return float(np.sqrt(s / np.sum((y * w) ** 2))), s / max(y.size - n_par, 1)


# --------------------------------------------------------------------------- structkit

def run_structkit(ms):
    from structkit.xrd import Cell, InstrumentProfile, Phase, fit_sequential
    inst = InstrumentProfile(radiation=str(LAM), w=INST_W, y=INST_Y)
    seq = fit_sequential(ms, Phase("Fm-3m", Cell(A_START, A_START, A_START, 90, 90, 90)), instrument=inst,
                         radiation=LAM, n_background=N_BACKGROUND, window=WINDOW)
    out = []
    for r in seq.results:
        if r is None:
            out.append({"converged": False, "a": np.nan, "ycalc": None, "npar": 0})
            continue
        n_par = r.report.nvarys + N_BACKGROUND + sum(len(p.intensities) for p in r.phases)
        out.append({"converged": r.converged, "a": r.phases[0].cell.a, "ycalc": r.y_calc, "npar": n_par})
    return out


# --------------------------------------------------------------------------- baseline (Pawley-like)

class Pawley:
    """Whole-pattern least squares with one free intensity per distinct d (lmfit, finite differences)."""

    def __init__(self, x_scale=1.0, nonnegative=True):
        self.x_scale, self.nonnegative = x_scale, nonnegative
        from structkit.xrd import Cell, generate_reflections
        from structkit.xrd.profiles import chebyshev_basis
        refl = generate_reflections("Fm-3m", Cell(A_START, A_START, A_START, 90, 90, 90),
                                    d_min_angstrom=0.97 * LAM / (2 * np.sin(np.radians((TT[-1] + 2.0) / 2))))
        # cubic: d depends on h^2+k^2+l^2 only; exactly overlapping reflections share one intensity
        s2 = np.sum(refl.hkl ** 2, axis=1)
        self.s2 = np.unique(s2).astype(float)
        self.n = self.s2.size
        self.basis = chebyshev_basis(TT, N_BACKGROUND)

    def centres(self, a, zero):
        from structkit.xrd import two_theta_deg
        c = two_theta_deg(a / np.sqrt(self.s2), LAM)
        return np.where(np.isfinite(c), c, -1e3) + zero

    def calc(self, v):
        from structkit.xrd import powder_pattern, profile_fwhm_eta
        c = self.centres(v["a"], v["zero"])
        h, eta = profile_fwhm_eta(c, 0.0, 0.0, v["w"], 0.0, v["y"])
        intens = np.array([v[f"i{k}"] for k in range(self.n)])
        bkg = self.basis @ np.array([v[f"b{j}"] for j in range(N_BACKGROUND)])
        return powder_pattern(TT, c, intens, h, eta, window=WINDOW) + bkg

    def prescan(self, y, a0, zero, w, yl):
        """Isotropic cell scale with the best overlap of unit-intensity peaks (what lebail_fit does)."""
        from structkit.xrd import powder_pattern, profile_fwhm_eta
        signal = np.clip(y - np.percentile(y, 20), 0.0, None)
        best, best_score = a0, -np.inf
        for f in np.linspace(1 - PRESCAN_SPAN, 1 + PRESCAN_SPAN, PRESCAN_STEPS):
            c = self.centres(a0 * f, zero)
            h, eta = profile_fwhm_eta(c, 0.0, 0.0, w, 0.0, yl)
            calc = powder_pattern(TT, c, np.ones(self.n), h, eta, window=PRESCAN_WINDOW)
            score = float(calc @ signal) / max(np.linalg.norm(calc), 1e-300)
            if score > best_score:
                best, best_score = a0 * f, score
        return best

    def first_start(self, y):
        a = self.prescan(y, A_START, 0.0, INST_W, INST_Y)
        intens = self.intensity_guess(y, a, 0.0, INST_W, INST_Y)
        bkg = np.polynomial.chebyshev.chebfit(np.linspace(-1, 1, TT.size), np.full(TT.size, np.percentile(y, 10)),
                                              N_BACKGROUND - 1)
        v = {"a": a, "zero": 0.0, "w": INST_W, "y": INST_Y}
        v.update({f"b{j}": float(bkg[j]) for j in range(N_BACKGROUND)})
        v.update({f"i{k}": float(intens[k]) for k in range(self.n)})
        return v

    def intensity_guess(self, y, a, zero, w, yl):
        from structkit.xrd import profile_fwhm_eta
        c = self.centres(a, zero)
        h, _ = profile_fwhm_eta(c, 0.0, 0.0, w, 0.0, yl)
        height = np.interp(c, TT, np.clip(y - np.percentile(y, 10), 0, None), left=0.0, right=0.0)
        return np.maximum(height * h, 1e-6 * max(float(np.max(height * h)), 1.0))

    def fit(self, y, start):
        import lmfit
        wts = 1.0 / np.sqrt(np.maximum(y, 1.0))
        # only reflections whose peak lies inside the range (or < 0.1 deg beyond it) get a free
        # intensity: the others, whose tails alone reach the data, are undetermined and drift off
        # to +-1e20 in a Pawley fit; one entering the range as the cell expands starts from its height
        inside = self.centres(start["a"], start["zero"]) <= TT[-1] + 0.1
        entering = [k for k in range(self.n) if inside[k] and start.get(f"i{k}", 0.0) == 0.0]
        if entering:
            guess = self.intensity_guess(y, start["a"], start["zero"], start["w"], start["y"])
            start = dict(start, **{f"i{k}": float(guess[k]) for k in entering})
        p = lmfit.Parameters()
        p.add("a", start["a"], min=0.95 * start["a"], max=1.05 * start["a"])
        p.add("zero", start["zero"], min=start["zero"] - 0.5, max=start["zero"] + 0.5)
        p.add("w", max(start["w"], 1e-7), min=1e-7)
        p.add("y", start["y"], min=0.0)
        for j in range(N_BACKGROUND):
            p.add(f"b{j}", start[f"b{j}"])
        for k in range(self.n):
            i0 = start[f"i{k}"] if inside[k] else 0.0
            p.add(f"i{k}", max(i0, 0.0) if self.nonnegative else i0, vary=bool(inside[k]),
                  min=0.0 if self.nonnegative else -np.inf)

        def residual(pp):
            return (y - self.calc(pp.valuesdict())) * wts

        res = lmfit.minimize(residual, p, method="least_squares", x_scale=self.x_scale)
        v = res.params.valuesdict()
        return dict(v), bool(res.success), int(res.nfev), int(res.nvarys)


def run_pawley(ms, **options):
    pw = Pawley(**options)
    out = []
    start = None
    for m in ms:                               # already in temperature order
        y = np.asarray(m.y, dtype=float)
        if start is None:
            start = pw.first_start(y)
        else:                                  # lebail_fit pre-scans the cell of every pattern; so does this
            start = dict(start, a=pw.prescan(y, start["a"], start["zero"], start["w"], start["y"]))
        try:
            v, ok, nfev, nvarys = pw.fit(y, start)
        except (ValueError, np.linalg.LinAlgError) as exc:       # report, go on from the last good one
            out.append({"converged": False, "a": np.nan, "ycalc": None, "npar": 0, "nfev": 0, "why": str(exc)})
            continue
        out.append({"converged": ok, "a": v["a"], "ycalc": pw.calc(v), "npar": nvarys, "nfev": nfev})
        if ok:
            start = v
    return out


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{N_QUICK} patterns instead of {N_PATTERNS}")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs of the whole series (best is kept)")
    args = ap.parse_args(argv)
    try:
        import lmfit  # noqa: F401

        import structkit  # noqa: F401
    except ImportError as exc:
        print(f"cannot import {exc.name}; install structkit with `make install`")
        return 0
    warnings.simplefilter("ignore")

    n = N_QUICK if args.quick else N_PATTERNS
    temps, ms = build_series(n)
    truth = a_true(temps)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    print(f"{n} patterns x {TT.size} points (2-theta {TT[0]:g}-{TT[-1]:g} deg, lambda {LAM} A), fcc "
          f"a {truth.min():.4f}...{truth.max():.4f} A over {temps.min():.0f}...{temps.max():.0f} K, "
          f"Poisson noise, seed {SEED}")
    print(f"{cores} core(s) available; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; "
          f"best of {args.repeats} run(s) after a warm-up on 3 patterns")

    jobs = {"structkit Le Bail": (run_structkit, (ms,)), "lmfit Pawley-like": (run_pawley, (ms,))}
    # warm-up on 3 patterns: imports, caches
    timed = best_times(jobs, max(args.repeats, 1), warm=lambda fn, args: fn(args[0][:3]))

    print()
    hdr = (f"{'method':<20s}{'total s':>9s}{'s/pattern':>11s}{'converged':>11s}{'med Rwp %':>11s}"
           f"{'med chi2':>10s}{'max chi2':>10s}{'max|a-a_true| A':>17s}{'n params':>10s}")
    print(hdr)
    print("-" * len(hdr))
    a_fit = {}
    for name, (t, res) in timed.items():
        ok = np.array([r["converged"] for r in res])
        a = np.array([r["a"] for r in res])
        a_fit[name] = a
        stats = [rwp_chi2(np.asarray(m.y, float), r["ycalc"], r["npar"]) for m, r in zip(ms, res)
                 if r["ycalc"] is not None]
        rwp = np.array([s[0] for s in stats])
        chi2 = np.array([s[1] for s in stats])
        err = np.nanmax(np.abs(a - truth)) if np.any(np.isfinite(a)) else np.nan
        npar = int(np.median([r["npar"] for r in res]))
        print(f"{name:<20s}{t:9.2f}{t / n:11.3f}{int(ok.sum()):>7d}/{n:<3d}{100 * np.median(rwp):11.3f}"
              f"{np.median(chi2):10.3f}{np.max(chi2):10.3f}{err:17.2e}{npar:10d}")
    t_sk = timed["structkit Le Bail"][0]
    t_pw = timed["lmfit Pawley-like"][0]
    nfev = [r.get("nfev", 0) for r in timed["lmfit Pawley-like"][1]]
    da = np.abs(a_fit["structkit Le Bail"] - a_fit["lmfit Pawley-like"])
    print()
    print(f"structkit: {t_sk / n:.3f} s per pattern (target < {TARGET_S_PER_PATTERN} s: "
          f"{'met' if t_sk / n < TARGET_S_PER_PATTERN else 'MISSED'})")
    print(f"ratio baseline/structkit time = {t_pw / t_sk:.2f} (target >= {TARGET_RATIO:g}: "
          f"{'met' if t_pw / t_sk >= TARGET_RATIO else 'MISSED'})")
    print(f"max |a_structkit - a_baseline| = {np.nanmax(da):.2e} A (median {np.nanmedian(da):.2e} A)")
    print(f"baseline residual evaluations per pattern: median {int(np.median(nfev))}, max {max(nfev)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
