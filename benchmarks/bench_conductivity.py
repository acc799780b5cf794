"""Benchmark: structkit.conductivity.fit_circuit against impedance.py on a synthetic pellet series.

30 spectra x 90 frequencies (1 MHz ... 0.1 Hz) of a solid-electrolyte pellet
between blocking electrodes, circuit ``p(R1,CPE1)-p(R2,CPE2)-CPE3`` (bulk arc,
grain-boundary arc, electrode CPE), over an Arrhenius-like temperature series
(R1 spans ~3 decades), 0.5 % proportional Gaussian noise, seeded.

Every spectrum is fitted by

* structkit  ``fit_circuit(f, z, circuit)`` (data-driven starts, log10 parameters,
  modulus weighting, lmfit/least_squares);
* impedance.py ``CustomCircuit(circuit, initial_guess=g).fit(f, Z)`` with ``g`` the
  SAME start structkit computes (``structkit.conductivity.initial_guess``), once
  with its default (unweighted) objective and once with ``weight_by_modulus=True``
  (scipy ``curve_fit(sigma=|Z|)``, i.e. the same objective as structkit).

Timing: best of 3 repeats of the whole batch after one warm-up, time.perf_counter,
all in this run. The impedance.py timing excludes the computation of the start
(it is given to it); the time structkit spends on that start is printed separately.

Goodness of fit, computed here for all libraries alike: the relative rms misfit
``sqrt(mean(|Z_model - Z|^2 / |Z|^2))`` with Z_model each library's fitted model
at the data frequencies (structkit: ``parse_circuit(c).impedance``, impedance.py:
``circuit.predict``), and the relative error of the fitted R1 against the truth.

This script reports; it never fails on a missed target (exit status 0).

Run: ``make bench``  or  ``.venv/bin/python benchmarks/bench_conductivity.py``
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from _timing import best_times

CIRCUIT = "p(R1,CPE1)-p(R2,CPE2)-CPE3"
N_SPECTRA = 30
FREQ = np.logspace(6, -1, 90)              # 1 MHz ... 0.1 Hz, instrument order (high to low)
NOISE_REL = 0.005
SEED = 20240611
REPEATS = 3                                # best of 3 whole-batch repeats, after one warm-up
REL_TOL = 1e-6                             # "equal" misfit within this relative tolerance

# pellet and physics of the series
THICKNESS_CM, AREA_CM2 = 0.05, 1.0
EPS_R, N_BULK = 20.0, 0.95
GB_C_F, N_GB = 5e-9, 0.90
EL_Q_PER_CM2, N_EL = 5e-6, 0.85
EA_BULK_EV, EA_GB_EV = 0.45, 0.55
K_B_EV = 8.617333262e-5
T_HOT_K, T_COLD_K = 400.0, 255.0
R_BULK_HOT_OHM = 3e3                       # R1 at T_HOT; ~3 decades more at T_COLD
GB_OVER_BULK_HOT = 0.5                     # R2 / R1 at T_HOT

PARAM_ORDER = ("R1", "CPE1_Q", "CPE1_n", "R2", "CPE2_Q", "CPE2_n", "CPE3_Q", "CPE3_n")  # = impedance.py order


def _install_hint() -> None:
    print("impedance.py is not installed; this benchmark compares against it.\n"
          "Install it with `make bench` or `pip install 'structkit[bench]'` (or `pip install impedance`).")


def build_series():
    """(temperatures, list of (f, z_noisy), list of true parameter dicts)."""
    from structkit.conductivity.synthetic import blocking_pellet_impedance

    rng = np.random.default_rng(SEED)
    temps = 1.0 / np.linspace(1.0 / T_HOT_K, 1.0 / T_COLD_K, N_SPECTRA)
    eps0 = 8.8541878128e-14                 # F/cm
    c_bulk = eps0 * EPS_R * AREA_CM2 / THICKNESS_CM
    spectra, truths = [], []
    for t in temps:
        # sigma*T Arrhenius: R ~ T exp(Ea / kT)
        r_b = R_BULK_HOT_OHM * (t / T_HOT_K) * np.exp(EA_BULK_EV / K_B_EV * (1 / t - 1 / T_HOT_K))
        r_gb = GB_OVER_BULK_HOT * R_BULK_HOT_OHM * (t / T_HOT_K) * np.exp(
            EA_GB_EV / K_B_EV * (1 / t - 1 / T_HOT_K))
        sigma = THICKNESS_CM / (r_b * AREA_CM2)
        z = blocking_pellet_impedance(FREQ, sigma_S_per_cm=sigma, thickness_cm=THICKNESS_CM,
                                      area_cm2=AREA_CM2, eps_r=EPS_R, n_bulk=N_BULK,
                                      electrode_Q_per_cm2=EL_Q_PER_CM2, n_electrode=N_EL,
                                      gb_resistance_ohm=r_gb, gb_capacitance_F=GB_C_F, n_gb=N_GB)
        z = z + NOISE_REL * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))
        truth = {"R1": r_b, "CPE1_Q": c_bulk ** N_BULK * r_b ** (N_BULK - 1), "CPE1_n": N_BULK,
                 "R2": r_gb, "CPE2_Q": GB_C_F ** N_GB * r_gb ** (N_GB - 1), "CPE2_n": N_GB,
                 "CPE3_Q": EL_Q_PER_CM2 * AREA_CM2, "CPE3_n": N_EL}
        spectra.append((FREQ.copy(), z))
        truths.append(truth)
    return temps, spectra, truths


def rms_rel(z_model, z):
    z_model = np.asarray(z_model, dtype=complex)
    if z_model.shape != z.shape or not np.all(np.isfinite(z_model)):
        return float("inf")
    return float(np.sqrt(np.mean(np.abs(z_model - z) ** 2 / np.abs(z) ** 2)))


# --------------------------------------------------------------------------- the fitters

def run_structkit(spectra):
    from structkit.conductivity import fit_circuit
    out = []
    for f, z in spectra:
        fit = fit_circuit(f, z, CIRCUIT)
        out.append(dict(fit.values))
    return out


def run_guesses(spectra):
    from structkit.conductivity import initial_guess
    out = []
    for f, z in spectra:
        g = initial_guess(f, z, CIRCUIT)
        out.append([g[k] for k in PARAM_ORDER])
    return out


def run_impedance(spectra, starts, weight_by_modulus):
    from impedance.models.circuits import CustomCircuit
    out = []
    for (f, z), g in zip(spectra, starts):
        c = CustomCircuit(CIRCUIT, initial_guess=list(g))
        try:
            c.fit(f, z, weight_by_modulus=weight_by_modulus)
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:   # curve_fit gave up
            out.append((None, str(exc)))
            continue
        out.append((c, ""))
    return out



# --------------------------------------------------------------------------- main

def main() -> int:
    try:
        import impedance  # noqa: F401
        from impedance.models.circuits import CustomCircuit  # noqa: F401
    except ImportError:
        _install_hint()
        return 0
    from structkit.conductivity.circuits import parse_circuit

    warnings.simplefilter("ignore")            # curve_fit's OptimizeWarning etc.; results are judged below
    temps, spectra, truths = build_series()
    r1 = np.array([t["R1"] for t in truths])
    print(f"{N_SPECTRA} spectra x {FREQ.size} frequencies ({FREQ.max():.3g} ... {FREQ.min():.3g} Hz), "
          f"circuit {CIRCUIT}, noise {NOISE_REL:.1%} of |Z|, seed {SEED}")
    print(f"T {temps.min():.0f}...{temps.max():.0f} K; true R1 {r1.min():.3g}...{r1.max():.3g} ohm "
          f"({np.log10(r1.max() / r1.min()):.2f} decades), R2 "
          f"{min(t['R2'] for t in truths):.3g}...{max(t['R2'] for t in truths):.3g} ohm")

    circ = parse_circuit(CIRCUIT)
    starts = run_guesses(spectra)
    timed = best_times({"structkit": (run_structkit, (spectra,)),
                        "guess": (run_guesses, (spectra,)),
                        "impedance.py": (run_impedance, (spectra, starts, False)),
                        "impedance.py |Z|-wt": (run_impedance, (spectra, starts, True))}, REPEATS)
    t_sk, sk_vals = timed["structkit"]
    t_guess, _ = timed["guess"]
    t_ip, ip_fits = timed["impedance.py"]
    t_ipm, ipm_fits = timed["impedance.py |Z|-wt"]

    rows = {}
    rms = {}
    r1err = {}
    # structkit
    rms["structkit"] = np.array([rms_rel(circ.impedance(f, v), z) for (f, z), v in zip(spectra, sk_vals)])
    r1err["structkit"] = np.array([abs(v["R1"] / t["R1"] - 1) for v, t in zip(sk_vals, truths)])
    # cross-check: both libraries evaluate the same model at the same parameters
    c_chk = ip_fits[0][0]
    if c_chk is not None:
        p = dict(zip(PARAM_ORDER, c_chk.parameters_))
        d = np.max(np.abs(c_chk.predict(FREQ) - circ.impedance(FREQ, p)) / np.abs(circ.impedance(FREQ, p)))
        if d > 1e-9:
            print(f"WARNING: impedance.py and structkit evaluate the circuit differently (max rel diff {d:.2g})")
    for name, fits in (("impedance.py", ip_fits), ("impedance.py |Z|-wt", ipm_fits)):
        m, e = [], []
        for (f, z), (c, _), t in zip(spectra, fits, truths):
            if c is None:
                m.append(float("inf"))
                e.append(float("inf"))
                continue
            m.append(rms_rel(c.predict(f), z))
            e.append(abs(c.parameters_[0] / t["R1"] - 1))
        rms[name], r1err[name] = np.array(m), np.array(e)
    n_fail = {"structkit": 0, "impedance.py": sum(c is None for c, _ in ip_fits),
              "impedance.py |Z|-wt": sum(c is None for c, _ in ipm_fits)}

    def le(a, b):                               # a <= b within REL_TOL (per spectrum)
        return a <= b * (1 + REL_TOL)

    sk = rms["structkit"]
    times = {"structkit": t_sk, "impedance.py": t_ip, "impedance.py |Z|-wt": t_ipm}
    hdr = (f"{'library':<21s}{'total s':>9s}{'ms/spec':>9s}{'med rms':>10s}{'max rms':>10s}"
           f"{'<=other':>9s}{'other<=':>9s}{'med|dR1|/R1':>13s}{'max|dR1|/R1':>13s}{'fail':>6s}")
    dof = 1.0 - len(PARAM_ORDER) / (2 * FREQ.size)
    print(f"noise floor of the rms misfit: {NOISE_REL:.3g}*sqrt(2)*sqrt(1 - 8/{2 * FREQ.size}) = "
          f"{NOISE_REL * np.sqrt(2 * dof):.2e}")
    print()
    print(hdr)
    print("-" * len(hdr))
    for name in ("structkit", "impedance.py", "impedance.py |Z|-wt"):
        r = rms[name]
        if name == "structkit":
            # against the default impedance.py fit; the |Z|-weighted comparison is in its own row
            lo, hi = int(np.sum(le(sk, rms["impedance.py"]))), int(np.sum(le(rms["impedance.py"], sk)))
        else:
            lo, hi = int(np.sum(le(r, sk))), int(np.sum(le(sk, r)))
        rows[name] = (lo, hi)
        print(f"{name:<21s}{times[name]:9.3f}{1e3 * times[name] / N_SPECTRA:9.1f}{np.median(r):10.2e}"
              f"{np.max(r):10.2e}{lo:>6d}/{N_SPECTRA}{hi:>6d}/{N_SPECTRA}{np.median(r1err[name]):13.2e}"
              f"{np.max(r1err[name]):13.2e}{n_fail[name]:6d}")
    print(f"{'(structkit start only)':<21s}{t_guess:9.3f}{1e3 * t_guess / N_SPECTRA:9.1f}"
          "   <- initial_guess() for all spectra; inside structkit's time, not in impedance.py's")
    print("'<=other': spectra where this library's rms misfit <= the other's (structkit row: vs default "
          "impedance.py; impedance.py rows: vs structkit), equal within 1e-6 relative.")
    print()
    print(f"ratio impedance.py/structkit time = {t_ip / t_sk:.2f}")
    print(f"ratio impedance.py(weight_by_modulus)/structkit time = {t_ipm / t_sk:.2f}")
    print(f"structkit residual <= impedance.py residual on {int(np.sum(le(sk, rms['impedance.py'])))}/{N_SPECTRA} "
          "spectra")
    print(f"structkit residual <= impedance.py(weight_by_modulus) residual on "
          f"{int(np.sum(le(sk, rms['impedance.py |Z|-wt'])))}/{N_SPECTRA} spectra")
    return 0


if __name__ == "__main__":
    sys.exit(main())
