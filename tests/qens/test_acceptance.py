"""QENS acceptance on data from the independent oracle (tests/qens/_oracle.py).

The issue's criterion: synthetic data with a known n-site jump-rotation law (built by a direct
evaluation -- rate matrix, numerical powder average, brute-force convolution -- not by the code
under test), Gaussian resolution measured as a noisy vanadium, Poisson noise, six temperatures:
tau within 10 % wherever the first Lorentzian HWHM lies between 0.2x the resolution HWHM and the
energy window, radius within 3 %, immobile fraction within 0.05, EISF(Q) within 0.03, Ea within
0.02 eV.

Data (FOCUS-like, see ``oracle.FOCUS``): C5 jump rotation, r = 1.70 A, immobile fraction 0.2,
<u^2> = 0.02 A^2, 12 Q groups 1.3-2.5 1/A, 200 energies -1.5...1.5 meV, Gaussian resolution
0.220 meV FWHM, tau(T) = tau0 exp(Ea/kT) with Ea = 0.24 eV over 275-390 K, tau0 chosen so that
Gamma_1(390 K) = 3 x the resolution HWHM; then Gamma_1(275 K) = 0.15 x, outside the criterion's
range (its tau is still fitted and enters the Arrhenius fit with its own error bar). Peak counts
4.7e4-8.8e4, flat background 20 counts; vanadium peak 1e5 counts on a background of 5.
"""


import numpy as np
import pytest

from structkit.qens import QENSData, Resolution, fit_global, fit_per_q, fit_temperatures, models
from oracle_loader import load_oracle




oracle = load_oracle("qens")
CFG = oracle.FOCUS
HWHM_RES = CFG["fwhm_meV"] / 2
WINDOW = float(CFG["energy"].max())
LAW = models.JumpRotation(n=5)
SEED = 2024


def as_data(d, sample="oracle-C5"):
    return QENSData(q=d["q"], energy=d["energy"], s=d["s"], ds=d["ds"], temperature_K=d["temperature_K"],
                    sample=sample)


def in_criterion_range(truth):
    """The criterion's range: Gamma_1 between 0.2 x the resolution HWHM and the energy window."""
    return 0.2 * HWHM_RES <= truth["gamma1_meV"] <= WINDOW


@pytest.fixture(scope="module")
def oracle_series():
    sets, van = oracle.make_series(seed=SEED)
    return sets, van


@pytest.fixture(scope="module")
def resolution(oracle_series):
    _, van = oracle_series
    return Resolution.from_vanadium(as_data(van, "vanadium"), model="tabulated")


@pytest.fixture(scope="module")
def datas(oracle_series):
    sets, _ = oracle_series
    return [as_data(d) for d in sets]


@pytest.fixture(scope="module")
def series(datas, resolution):
    return fit_temperatures(datas, resolution, LAW, shared=("radius_angstrom", "immobile_fraction"))


# -- resolution ------------------------------------------------------------------------------
def test_vanadium_gives_the_resolution_width(resolution):
    np.testing.assert_allclose(resolution.fwhm_meV, CFG["fwhm_meV"], rtol=0.03)


# -- global route ----------------------------------------------------------------------------
def test_series_tau_within_10_percent(oracle_series, series):
    sets, _ = oracle_series
    frame = series.to_frame().sort_values("temperature_K")
    checked = 0
    for (_, row), d in zip(frame.iterrows(), sets):
        t = d["truth"]
        assert row["temperature_K"] == pytest.approx(t["temperature_K"])
        err = row["tau_ps"] / t["tau_ps"] - 1
        print(f"T={t['temperature_K']:.0f} K Gamma1/HWHM_res={t['gamma1_meV'] / HWHM_RES:.2f} "
              f"tau={row['tau_ps']:.3f}+-{row['tau_stderr_ps']:.3f} (true {t['tau_ps']:.3f}, {100 * err:+.2f} %)")
        if in_criterion_range(t):
            checked += 1
            assert abs(err) < 0.10, (t["temperature_K"], err)
    assert checked == 5


def test_series_shared_radius_and_immobile_fraction(series):
    frame = series.to_frame()
    r = frame["radius_angstrom"].to_numpy()
    p = frame["immobile_fraction"].to_numpy()
    np.testing.assert_allclose(r, r[0])             # shared
    np.testing.assert_allclose(p, p[0])
    print(f"radius {r[0]:.4f} A ({100 * (r[0] / CFG['radius'] - 1):+.2f} %), p {p[0]:.4f}")
    assert abs(r[0] / CFG["radius"] - 1) < 0.03
    assert abs(p[0] - CFG["immobile_fraction"]) < 0.05


def test_series_activation_energy(series):
    arr = series.arrhenius
    print(f"Ea {arr.ea_eV:.4f} +- {arr.ea_stderr_eV:.4f} eV")
    assert abs(arr.ea_eV - CFG["ea_eV"]) < 0.02
    assert 0 < arr.ea_stderr_eV < 0.02


@pytest.mark.parametrize("index", [1, 2, 3, 4, 5])
def test_global_fit_each_temperature(oracle_series, datas, resolution, index):
    """One temperature on its own (radius and p free): the whole criterion at every T in range."""
    t = oracle_series[0][index]["truth"]
    assert in_criterion_range(t)
    g = fit_global(datas[index], resolution, LAW, immobile_fraction=True, libration=False)
    v, e = g.values, g.stderr
    print(f"T={t['temperature_K']:.0f}: tau {v['tau_ps']:.3f}+-{e['tau_ps']:.3f} ({t['tau_ps']:.3f}), "
          f"r {v['radius_angstrom']:.3f}+-{e['radius_angstrom']:.3f}, p {v['immobile_fraction']:.3f}"
          f"+-{e['immobile_fraction']:.3f}")
    assert abs(v["tau_ps"] / t["tau_ps"] - 1) < 0.10
    assert abs(v["radius_angstrom"] / t["radius_angstrom"] - 1) < 0.03
    assert abs(v["immobile_fraction"] - t["immobile_fraction"]) < 0.05


# -- EISF(Q) ---------------------------------------------------------------------------------
# What the model-independent (per-Q) fit measures: per Q, an elastic line + N Lorentzians + a flat
# background, all convolved with R. Its EISF is elastic / (elastic + quasi-elastic), in which the
# Debye-Waller factor and the scale cancel, so its target is the *observed* EISF
# p + (1 - p) A0(Q) (the immobile fraction is elastic too) = truth["eisf_obs"].
#
# C5 has two distinct widths, Gamma_2 = 2.618 Gamma_1, with A_2 >= A_1 over most of 1.3-2.5 1/A.
# * ONE Lorentzian cannot take both: its width falls between them and part of the narrow line
#   goes into the elastic term (and at high T part of the broad one into the flat background), so
#   the EISF comes out HIGH by +0.03 ... +0.12 at every temperature (measured on these data; 20-35
#   standard errors, i.e. a model error, not noise). The single-Lorentzian EISF is meaningful only
#   for a law with one width: tested below on C3 (l = 1, 2 share one width).
# * TWO Lorentzians are the right model, but at these counts the narrow one is only separable
#   from the elastic line when Gamma_1 is well above the resolution HWHM: at 321-344 K the best
#   fit (lowest chi2 even when started at the true widths) has Gamma_1 at the lower bound
#   (0.1 x HWHM_res) and swallows the elastic line at some Q. At 367 K (Gamma_1 = 1.9 x HWHM_res,
#   Gamma_2 = 0.55 meV, well inside the window) it is clean.
# * The global fit's EISF p + (1 - p) A0(Q; r) is within 0.03 everywhere in the criterion range.
def _per_q(data, resolution, n):
    return fit_per_q(data, resolution, n_lorentzians=n, background="flat")


def test_per_q_eisf_c5_two_lorentzians(oracle_series, datas, resolution):
    t = oracle_series[0][4]["truth"]
    pq = _per_q(datas[4], resolution, 2)
    np.testing.assert_allclose(pq.q, CFG["q"])
    err = pq.eisf - t["eisf_obs"]
    print(f"T={t['temperature_K']:.0f}: EISF error max {np.abs(err).max():.4f}, "
          f"median stderr {np.median(pq.eisf_stderr):.4f}")
    assert np.all(np.abs(err) < 0.03), err
    # the narrower fitted width is Gamma_1 (within 25 %: A_2 dominates at high Q)
    assert np.all(np.abs(pq.hwhm_meV / t["hwhm_meV"][0] - 1) < 0.25), pq.hwhm_meV
    assert len(pq.to_frame()) == len(CFG["q"])


@pytest.mark.parametrize("index", [3, 4])
def test_per_q_eisf_c5_single_lorentzian_is_biased_high(oracle_series, datas, resolution, index):
    """Documents the model error explained above (not a criterion): +0.02 ... +0.08 here."""
    t = oracle_series[0][index]["truth"]
    pq = _per_q(datas[index], resolution, 1)
    err = pq.eisf - t["eisf_obs"]
    print(f"T={t['temperature_K']:.0f}: single-Lorentzian EISF error {err.min():+.4f} ... {err.max():+.4f}")
    assert np.all(err > 0.02) and np.all(err < 0.08)
    g1, g2 = t["hwhm_meV"]
    assert np.all((pq.hwhm_meV > g1) & (pq.hwhm_meV < g2))    # one width between the two


@pytest.fixture(scope="module")
def c3_series():
    cfg = dict(CFG, n=3)
    sets, van = oracle.make_series(seed=SEED + 100, cfg=cfg)
    return sets, Resolution.from_vanadium(as_data(van, "vanadium"), model="tabulated")


@pytest.mark.parametrize("index", [2, 3, 4, 5])
def test_per_q_eisf_c3_single_lorentzian(c3_series, index):
    """C3: one width, so the single-Lorentzian EISF is the EISF; within 0.03 where Gamma_1 >= 0.5 x
    HWHM_res (321-390 K). At 0.33 x HWHM_res (298 K) the per-Q EISF error is 0.016 (1 sigma) plus a
    +0.02 bias from the tabulated resolution (see the xfail below): a 12-Q maximum of 0.05."""
    sets, res = c3_series
    d = sets[index]
    t = d["truth"]
    pq = _per_q(as_data(d, "oracle-C3"), res, 1)
    err = pq.eisf - t["eisf_obs"]
    print(f"C3 T={t['temperature_K']:.0f}: EISF error max {np.abs(err).max():.4f}; HWHM error max "
          f"{np.abs(pq.hwhm_meV / t['gamma1_meV'] - 1).max():.3f}")
    assert np.all(np.abs(err) < 0.03), err
    assert np.all(np.abs(pq.hwhm_meV / t["gamma1_meV"] - 1) < 0.10)


def test_global_eisf_within_003(oracle_series, datas, resolution, series):
    for d, r in zip(oracle_series[0], series.results):
        t = d["truth"]
        if in_criterion_range(t):
            print(f"T={t['temperature_K']:.0f}: global EISF error max {np.abs(r.eisf() - t['eisf_obs']).max():.4f}")
            assert np.all(np.abs(r.eisf() - t["eisf_obs"]) < 0.03)
            assert np.all(np.abs(r.eisf() - t["eisf_obs"]) < 0.005)   # what it actually achieves


# -- noise-free: the module's model is the oracle's ----------------------------------------------
def test_noise_free_global_fit_recovers_truth_exactly():
    """Exact Gaussian resolution, no noise: any convention mismatch (tau, hbar, DW, p) shows here."""
    d = oracle.make_dataset(344.0, seed=0, noise=False)
    t = d["truth"]
    res = Resolution.gaussian(CFG["fwhm_meV"])
    g = fit_global(as_data(d), res, LAW, immobile_fraction=True, libration=False)
    assert g.values["tau_ps"] == pytest.approx(t["tau_ps"], rel=1e-3)
    assert g.values["radius_angstrom"] == pytest.approx(t["radius_angstrom"], rel=1e-3)
    assert g.values["immobile_fraction"] == pytest.approx(t["immobile_fraction"], abs=1e-3)
    # one scale for all Q (as the oracle's): the Debye-Waller exp(-Q^2 <u^2>/3) is identifiable
    g = fit_global(as_data(d), res, LAW, scale="global")
    for k in ("tau_ps", "radius_angstrom", "immobile_fraction", "u2_A2"):
        assert g.values[k] == pytest.approx(t[k], rel=1e-3), k


# -- pulls -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_tau_pulls_over_20_realisations():
    """(tau_fit - tau_true) / tau_stderr over 20 Poisson realisations at 344 K (Gamma_1 = 1.15 x
    HWHM_res), exact Gaussian resolution so that only the sample's counting noise enters. For 20
    draws the mean of the pulls has a standard error of 0.22 and their std of 0.16."""
    res = Resolution.gaussian(CFG["fwhm_meV"])
    conv = oracle.FineConvolver(CFG["energy"], CFG["fwhm_meV"])
    pulls = []
    for seed in range(100, 120):
        d = oracle.make_dataset(344.0, seed=seed, conv=conv)
        g = fit_global(as_data(d), res, LAW, immobile_fraction=True, libration=False)
        pulls.append((g.values["tau_ps"] - d["truth"]["tau_ps"]) / g.stderr["tau_ps"])
    pulls = np.array(pulls)
    print(f"pulls mean {pulls.mean():+.3f} std {pulls.std(ddof=1):.3f}")
    assert abs(pulls.mean()) < 0.75
    assert 0.6 < pulls.std(ddof=1) < 1.5


def test_separate_fits_and_arrhenius_of_the_six_tau(oracle_series, datas, resolution):
    """Each temperature on its own (no sharing), then Ea from the six tau (weighted ln tau vs 1/T)."""
    sep = fit_temperatures(datas, resolution, LAW)
    assert not sep.failures and len(sep.results) == 6
    for d, r in zip(oracle_series[0], sep.results):
        if in_criterion_range(d["truth"]):
            assert abs(r.values["tau_ps"] / d["truth"]["tau_ps"] - 1) < 0.10
    print(f"Ea (separate fits) {sep.arrhenius.ea_eV:.4f} +- {sep.arrhenius.ea_stderr_eV:.4f} eV")
    assert abs(sep.arrhenius.ea_eV - CFG["ea_eV"]) < 0.02


# -- findings ------------------------------------------------------------------------------------
@pytest.mark.xfail(strict=True, reason=(
    "tabulated resolution bias: Resolution.from_vanadium(model='tabulated') cuts R below threshold=1e-3 "
    "x peak (for a 1e5-count vanadium that is ~50x above its noise: R's variance comes out 0.3 % small) "
    "and convolves the Lorentzians with the piecewise-linear R through points 0.16 sigma apart "
    "(narrow lines 0.17 % low at the peak). Each half of the effect: on NOISE-FREE data and a "
    "noise-free vanadium, tau is -1.1 % at Gamma_1 = 0.33 x HWHM_res (-4.9 % at 0.15 x, -0.3 % at "
    "0.65 x), p +0.006; the counting error of the noisy data set at 298 K is 0.4 %. "
    "threshold=1e-7 halves it; a 4x finer vanadium grid as well; both: -0.04 %."))
def test_tabulated_resolution_is_unbiased_on_noise_free_data():
    d = oracle.make_dataset(298.0, seed=0, noise=False)
    van = oracle.make_vanadium(0, noise=False)
    res = Resolution.from_vanadium(as_data(van, "vanadium"), model="tabulated")
    g = fit_global(as_data(d), res, LAW)
    assert g.values["tau_ps"] == pytest.approx(d["truth"]["tau_ps"], rel=2.5e-3)


def test_per_q_eisf_at_the_elastic_bound_has_no_zero_error(oracle_series, datas, resolution):
    """An EISF of 0 because the elastic amplitude is held at its 0 bound (the true EISF here is 0.297)
    must not look exact: minimize_separable gives held linear parameters a standard error of 0, and
    propagating it would report 0.0000 +- 0.0000. The error is NaN (and EISF(Q) fits drop the point)."""
    # C5 at 321 K, Q = 1.627 1/A, two Lorentzians: the narrow line (HWHM 0.016 meV = 0.14 x HWHM_res,
    # true Gamma_1 = 0.071) takes the whole elastic intensity
    pq = fit_per_q(datas[2].select(1.6, 1.65), resolution, n_lorentzians=2, background="flat")
    g = pq.groups[0]
    assert g.amplitudes[0] == 0.0 and g.eisf == 0.0        # the degenerate solution (lowest chi2)
    assert not (g.eisf_stderr == 0.0) and np.isnan(g.eisf_stderr)
    assert "nan" in pq.summary()
