"""Global QENS fit: 12 Q groups x 200 energies x 6 temperatures (issue 8 target: under 30 s on 2 cores).

Times ``fit_temperatures`` (C5 jump rotation, radius and immobile fraction shared, tau(T) Arrhenius inside
the fit; tabulated vanadium resolution) and, as the baseline measured in the same run, fitting every Q
group separately with scipy ``curve_fit`` of elastic + Lorentzian convolved numerically (np.convolve on
the data grid) with the same vanadium. Prints both wall times and their ratio.

    python benchmarks/bench_qens.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 temperatures instead of 6")
    args = ap.parse_args(argv)

    from scipy.optimize import curve_fit

    from structkit.qens import JumpRotation, Resolution, fit_temperatures
    from structkit.qens.synthetic import synthetic_sqe, synthetic_vanadium

    k_b = 8.617333262e-5
    temps = np.array([275.0, 298.0, 321.0, 344.0, 367.0, 390.0])[: 3 if args.quick else 6]
    q = np.linspace(1.3, 2.5, 12)
    e = np.linspace(-1.5, 1.5, 200)
    law = JumpRotation(n=5)
    data = [synthetic_sqe(q, e, law, {"radius_angstrom": 2.58, "tau_ps": 3.0 * np.exp(0.24 / k_b * (1 / t - 1 / 330))},
                          immobile_fraction=1 / 6, temperature_K=t, seed=i)[0] for i, t in enumerate(temps)]
    van = synthetic_vanadium(q, e, seed=99)
    res = Resolution.from_vanadium(van)

    t0 = time.perf_counter()
    series = fit_temperatures(data, res, law, shared=("radius_angstrom", "immobile_fraction"), arrhenius=True)
    t_global = time.perf_counter() - t0

    # baseline: per-Q curve_fit, numerical convolution with the (normalised) vanadium on the data grid
    step = e[1] - e[0]
    t0 = time.perf_counter()
    for d in data:
        for i in range(q.size):
            r = van.s[i] - np.median(van.s[i][:20])
            r = np.clip(r, 0, None)
            r = r / (r.sum() * step)

            def model(x, a0, a1, g, bg, r=r):
                lor = g / np.pi / (x ** 2 + g ** 2)
                delta = np.zeros_like(x)
                delta[np.argmin(np.abs(x))] = 1.0 / step
                return np.convolve(a0 * delta + a1 * lor, r, mode="same") * step + bg

            curve_fit(model, e, d.s[i], p0=[1e3, 1e3, 0.1, 10.0], sigma=d.ds[i], maxfev=20000)
    t_base = time.perf_counter() - t0
    ntemp = temps.size
    print(f"global (Q,E,T) fit, 12 Q x 200 E x {ntemp} T: {t_global:.2f} s "
          f"(Ea = {series.arrhenius.ea_eV:.4f} +/- {series.arrhenius.ea_stderr_eV:.4f} eV, truth 0.24)")
    print(f"baseline per-Q curve_fit + numerical convolution ({12 * ntemp} fits, no shared parameters): {t_base:.2f} s")
    print(f"ratio global / baseline: {t_global / t_base:.2f}   (target: global under 30 s)")


if __name__ == "__main__":
    main()
