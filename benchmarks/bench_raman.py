"""Benchmark: 8-band Raman fits (structkit.core.peakfit.fit_peaks) against scipy's curve_fit.

500 synthetic spectra (``--n``; ``--quick``: 60) of 2000 points from 100 to 1100 cm-1, each the
sum of 8 pseudo-Voigt bands (centres 130, 175, 310, 360, 405, 420, 700, 850 cm-1; FWHM 15-50;
eta 0.4) on a linear background, with Poisson counts (seeded, one realisation per spectrum). The
band centres, widths and areas of each spectrum are jittered (±2 cm-1, ±10 %, ±20 %), so the fits
do not all start equally close.

Both fitters get the same model (8 pseudo-Voigts with a centre, FWHM, area and eta each, plus
a linear background: 34 parameters), the same weights (sigma = √counts), the same starting
values (the nominal bands, shifted by +1.5 cm-1 and with widths ×1.2 and areas ×0.8):

* structkit: ``fit_peaks(x, y, specs, sigma=s, background="linear")``: lmfit least_squares with
  bounds on every centre (±20 cm-1), FWHM (1-100 cm-1), area (>= 0) and eta (0-1), the analytic
  Jacobian, and the full report (values, standard errors, heights with propagated errors, BIC);
* baseline: ``scipy.optimize.curve_fit`` of the same vectorised model (Levenberg-Marquardt,
  unconstrained, finite-difference Jacobian, parameters and covariance only).

Timing: ``time.perf_counter``, one BLAS/OpenMP thread. Data generation and one warm-up spectrum
of each job are outside every timing; then ``--repeats`` (default 2) interleaved rounds, the best
kept. Reported: ms per spectrum of each, the ratio curve_fit / structkit, how many fits
converged, and the median |centre - truth| of each (a check that both fitted).
Target: structkit under 50 ms per spectrum.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_times, warm_on_first  # noqa: E402

CENTRES = np.array([130, 175, 310, 360, 405, 420, 700, 850.0])
FWHM = np.array([15, 20, 25, 18, 8, 12, 40, 50.0])
AREA = np.array([500, 800, 1000, 600, 400, 300, 900, 700.0])
ETA = 0.4
SCALE = 20.0          # counts per unit intensity


def make_spectra(n: int, seed: int = 0):
    from structkit.core.lineshapes import pseudo_voigt
    rng = np.random.default_rng(seed)
    x = np.linspace(100.0, 1100.0, 2000)
    out = []
    for _ in range(n):
        c = CENTRES + rng.uniform(-2, 2, 8)
        w = FWHM * rng.uniform(0.9, 1.1, 8)
        a = AREA * rng.uniform(0.8, 1.2, 8)
        clean = (a[:, None] * pseudo_voigt(x, c[:, None], w[:, None], ETA)).sum(0) + 2.0 + 0.001 * x
        counts = rng.poisson(clean * SCALE).astype(float)
        y = counts / SCALE
        s = np.sqrt(np.maximum(counts, 1.0)) / SCALE
        out.append((x, y, s, c))
    return out


def run_structkit(spectra):
    from structkit.core.peakfit import PeakSpec, fit_peaks
    specs = [PeakSpec(f"b{i}", CENTRES[i] + 1.5, fwhm=FWHM[i] * 1.2, area=AREA[i] * 0.8,
                      center_range=(CENTRES[i] - 20, CENTRES[i] + 20), fwhm_range=(1.0, 100.0),
                      extras={"eta": 0.5}) for i in range(8)]
    res = []
    for x, y, s, c in spectra:
        f = fit_peaks(x, y, specs, sigma=s, background="linear", shape="pvoigt")
        res.append((f.converged, np.array([b.center for b in f.bands]) - c))
    return res


def _model(x, *q):
    from structkit.core.lineshapes import pseudo_voigt
    q = np.asarray(q)
    p = q[2:].reshape(8, 4)
    return q[0] + q[1] * (x - 600.0) / 500.0 + (p[:, 2, None] * pseudo_voigt(x, p[:, 0, None], p[:, 1, None],
                                                                          p[:, 3, None])).sum(0)


def run_curve_fit(spectra):
    from scipy.optimize import curve_fit
    p0 = [1.0, 0.0]
    for i in range(8):
        p0 += [CENTRES[i] + 1.5, FWHM[i] * 1.2, AREA[i] * 0.8, 0.5]
    res = []
    for x, y, s, c in spectra:
        try:
            popt, _ = curve_fit(_model, x, y, p0=p0, sigma=s, absolute_sigma=True, maxfev=20000)
            res.append((True, popt[2:].reshape(8, 4)[:, 0] - c))
        except RuntimeError:
            res.append((False, np.full(8, np.nan)))
    return res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="60 spectra")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    n = 60 if args.quick else args.n
    spectra = make_spectra(n)
    times = best_times({"structkit": (run_structkit, (spectra,)), "curve_fit": (run_curve_fit, (spectra,))},
                       args.repeats, warm=warm_on_first)
    t_sk, r_sk = times["structkit"]
    t_cf, r_cf = times["curve_fit"]
    ms_sk, ms_cf = 1e3 * t_sk / n, 1e3 * t_cf / n
    conv_sk = sum(ok for ok, _ in r_sk)
    conv_cf = sum(ok for ok, _ in r_cf)
    med_sk = float(np.nanmedian(np.abs(np.concatenate([d for _, d in r_sk]))))
    med_cf = float(np.nanmedian(np.abs(np.concatenate([d for _, d in r_cf]))))
    print(f"{n} spectra x 2000 points, 8 pseudo-Voigt bands + linear background (34 parameters)")
    print(f"structkit fit_peaks : {ms_sk:7.1f} ms/spectrum  ({conv_sk}/{n} converged, "
          f"median |centre error| {med_sk:.3f} cm-1)")
    print(f"scipy curve_fit     : {ms_cf:7.1f} ms/spectrum  ({conv_cf}/{n} converged, "
          f"median |centre error| {med_cf:.3f} cm-1)")
    print(f"ratio curve_fit / structkit: {ms_cf / ms_sk:.2f}   (target: structkit < 50 ms/spectrum: "
          f"{'met' if ms_sk < 50 else 'NOT met'})")


if __name__ == "__main__":
    main()
