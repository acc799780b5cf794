"""Validation of structkit.conductivity.nmr: T1 recovery, (modified) BPP, flanks, Larmor checks.

Forward models are written out here (independently of ``bpp_rate``) and the
seed-paper numbers of SEEDS.md ("Cross-seed checks" 10, 11, 19, 22) are the
targets.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from structkit.core.descriptors import DescriptorTable
from structkit.core.errors import ConfigError, DataError, FitError, StructkitError
from structkit.conductivity import (
    BPPResult,
    T1Result,
    bpp_rate,
    check_larmor,
    fit_bpp,
    fit_flank,
    fit_t1_recovery,
    larmor_frequency_MHz,
)

K_B_EV = 8.617333262e-5          # CODATA 2018, eV/K (independent of structkit.core.units)


def r1_modified_bpp(t_K, *, nu0_MHz, ea_eV, tau0_s, beta, c):
    """Oracle: R1 = C[J(ω0) + 4J(2ω0)], J = τ/(1 + (ωτ)^(1+β)), τ = τ0 exp(Ea/kT)."""
    w0 = 2 * np.pi * nu0_MHz * 1e6
    tau = tau0_s * np.exp(ea_eV / (K_B_EV * np.asarray(t_K, float)))
    j = lambda w: tau / (1 + (w * tau) ** (1 + beta))  # noqa: E731
    return c * (j(w0) + 4 * j(2 * w0))


def omega_tau_at_peak(beta):
    """Oracle for ω0τc at the R1 maximum: dense grid search of the BPP bracket."""
    x = np.logspace(-1, 1, 200001)
    a = 1 + beta
    g = x / (1 + x ** a) + 4 * x / (1 + (2 * x) ** a)
    return x[np.argmax(g)]


# -- T1 recovery (check 19) -------------------------------------------------------------------

@pytest.mark.parametrize("t1_s", [1.2e-3, 7.3e-3, 0.24, 2.06])     # seed 003 L162, L171
def test_seed003_t1_inversion_recovery_within_2_percent(t1_s):
    rng = np.random.default_rng(int(t1_s * 1e4))
    t = np.geomspace(t1_s / 30, 10 * t1_s, 48)
    m = 5.0 * (1 - 2 * 0.97 * np.exp(-t / t1_s)) + 0.05 * rng.standard_normal(t.size)   # 1 % of M0
    res = fit_t1_recovery(t, m, kind="inversion")
    # 1 % noise, 48 delays, 3 free parameters: σ(T1)/T1 ≈ 0.6 % (30-seed scatter); 2 % ≈ 3.5σ
    assert res.converged, res.message
    assert_allclose(res.t1_s, t1_s, rtol=0.02)
    assert_allclose(res.m0, 5.0, rtol=0.01)
    assert abs(res.inversion_efficiency - 0.97) < 0.02
    assert abs(res.t1_s - t1_s) < 4 * res.t1_stderr_s           # stderr is honest
    assert isinstance(res, T1Result)


@pytest.mark.parametrize("t1_s", [1.2e-3, 0.24])
def test_t1_saturation_recovery(t1_s):
    rng = np.random.default_rng(7)
    t = np.geomspace(t1_s / 30, 10 * t1_s, 48)
    m = 1 - np.exp(-t / t1_s) + 0.01 * rng.standard_normal(t.size)
    res = fit_t1_recovery(t, m, kind="saturation")
    # saturation spans only 0..M0 (half the inversion range): σ(T1)/T1 ≈ 1 %, so 3 %
    assert_allclose(res.t1_s, t1_s, rtol=0.03)
    assert res.inversion_efficiency == 1.0 and res.stretch_exponent == 1.0


def test_t1_stretched_recovery():
    rng = np.random.default_rng(1)
    t = np.geomspace(1e-4, 1.0, 40)
    m = 1 - np.exp(-(t / 0.01) ** 0.7) + 0.005 * rng.standard_normal(t.size)
    res = fit_t1_recovery(t, m, stretched=True)
    # 0.5 % noise: stderr ≈ 1.5 % in T1 and 0.01 in γ
    assert_allclose(res.t1_s, 0.01, rtol=0.05)
    assert abs(res.stretch_exponent - 0.7) < 0.03
    names = [d.name for d in res.descriptors("s")]
    assert names == ["t1_s", "r1_per_s", "t1_m0", "t1_stretch_exponent"]


@pytest.mark.parametrize("t, m, err, match", [
    ([-1e-3, 1e-3, 1e-2, 0.1, 1.0], [0, 0.1, 0.5, 0.9, 1.0], DataError, "negative"),
    ([1e-3, 1e-2, np.nan, 0.1, 1.0], [0, 0.1, 0.5, 0.9, 1.0], DataError, "non-finite"),
    ([1e-3, 1e-2, 0.1], [0.1, 0.5, 0.9], FitError, "need at least"),
    ([1e-3, 1e-2, 0.1, 1.0], [0.1, 0.5, 0.9], DataError, "equal length"),
])
def test_t1_bad_input(t, m, err, match):
    with pytest.raises(err, match=match) as info:
        fit_t1_recovery(t, m)
    assert isinstance(info.value, StructkitError)
    with pytest.raises(ConfigError, match="kind"):
        fit_t1_recovery([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0], kind="echo")


def test_t1_short_delay_list_is_flagged_not_hidden():
    t = np.geomspace(1e-4, 1e-2, 20)
    res = fit_t1_recovery(t, 1 - np.exp(-t / 0.05))
    assert "poorly constrained" in res.message


# -- BPP (checks 10, 11) ------------------------------------------------------------------------

EA, BETA = 0.33, 0.56                        # seed 000 L131: 23Na, 160 MHz / 11B
T_GRID = np.arange(170.0, 451.0, 10.0)


def _tau0_for_peak(t_peak_K, nu0_MHz, beta, ea_eV):
    return omega_tau_at_peak(beta) / (2 * np.pi * nu0_MHz * 1e6) * np.exp(-ea_eV / (K_B_EV * t_peak_K))


TAU0 = _tau0_for_peak(283.0, 79.0, BETA, EA)    # seed 000 L129: T_max ≈ 283 K at 79 MHz


def test_bpp_rate_matches_oracle():
    r = bpp_rate(T_GRID, larmor_MHz=79.0, ea_eV=EA, tau0_s=TAU0, beta=BETA, c_per_s2=1e10)
    assert_allclose(r, r1_modified_bpp(T_GRID, nu0_MHz=79.0, ea_eV=EA, tau0_s=TAU0, beta=BETA, c=1e10),
                    rtol=1e-12)


def test_seed000_modified_bpp_recovers_ea_and_beta():
    # Check 11: Ea = 0.33 eV, β = 0.56 -> Ea ± 0.01 eV, β ± 0.03
    rng = np.random.default_rng(2)
    truth = r1_modified_bpp(T_GRID, nu0_MHz=79.0, ea_eV=EA, tau0_s=TAU0, beta=BETA, c=1e10)
    res = fit_bpp(T_GRID, truth * (1 + 0.03 * rng.standard_normal(T_GRID.size)), larmor_MHz=79.0)
    # 3 % noise on 29 rates: 20-seed scatter is 0.0025 eV in Ea, 0.007 in β, 0.4 K in T_max
    assert res.converged, res.message
    assert abs(res.ea_eV - EA) < 0.01
    assert abs(res.beta - BETA) < 0.03
    assert abs(res.ea_low_T_eV - BETA * EA) < 0.01
    assert abs(res.t_max_K - 283.0) < 2.0
    assert_allclose(res.tau0_s, TAU0, rtol=0.5)        # τ0 is strongly correlated with Ea
    for name in ("ea_stderr_eV", "beta_stderr", "t_max_stderr_K", "tau0_stderr_s", "jump_rate_stderr_per_s"):
        assert 0 < getattr(res, name) < np.inf
    assert isinstance(res, BPPResult)


def test_seed000_peak_shifts_up_with_larmor_frequency_and_jump_rate():
    # Check 10: ω0τ ≈ 1 at T_max: 1/τ ≈ 2π·79 MHz = 4.96e8 1/s (seed: "~5e8"); at 160 MHz 1.01e9;
    # the peak moves to higher T with ω0 (seed: 283 K -> 295 K)
    fits = {}
    for nu in (79.0, 160.0):
        r1 = r1_modified_bpp(T_GRID, nu0_MHz=nu, ea_eV=EA, tau0_s=TAU0, beta=BETA, c=1e10)
        fits[nu] = fit_bpp(T_GRID, r1, larmor_MHz=nu)
    assert fits[160.0].t_max_K > fits[79.0].t_max_K + 5
    assert_allclose(fits[79.0].t_max_K, 283.0, atol=0.05)
    assert_allclose(fits[79.0].omega0_rad_per_s, 4.96e8, rtol=0.02)
    assert_allclose(fits[160.0].omega0_rad_per_s, 1.01e9, rtol=0.02)
    # the exact maximum of the model is at ω0τc = x*(β) = 0.925 for β = 0.56 (0.616 for β = 1),
    # so 1/τc(T_max) = ω0/x* = 5.4e8 1/s: within 10 % of the seed's ~5e8
    x_star = omega_tau_at_peak(BETA)
    assert_allclose(fits[79.0].omega0_tau_at_t_max, x_star, rtol=1e-4)
    assert_allclose(fits[79.0].jump_rate_per_s, fits[79.0].omega0_rad_per_s / x_star, rtol=1e-4)
    assert_allclose(fits[79.0].jump_rate_per_s, 5e8, rtol=0.10)
    # descriptors of the two frequencies sit side by side: larmor_MHz is a condition
    rows = fits[79.0].descriptors("NBH") + fits[160.0].descriptors("NBH")
    wide = DescriptorTable.from_rows(rows).to_wide()
    assert sorted(wide["larmor_MHz"]) == [79.0, 160.0] and {r.technique for r in rows} == {"nmr"}


def test_seed000_23na_79MHz_low_T_flank_below_025eV():
    # Check 11: 23Na at 79 MHz: β·Ea = 0.67 × 0.37 = 0.248 eV (< 0.25 eV, seed 000 L125)
    tau0 = _tau0_for_peak(283.0, 79.0, 0.67, 0.37)
    r1 = r1_modified_bpp(T_GRID, nu0_MHz=79.0, ea_eV=0.37, tau0_s=tau0, beta=0.67, c=1e10)
    res = fit_bpp(T_GRID, r1, larmor_MHz=79.0)
    assert_allclose(res.ea_low_T_eV, 0.248, atol=0.001)
    assert res.ea_low_T_eV < 0.25


def test_classic_bpp_peak_at_omega_tau_0616():
    tau0 = _tau0_for_peak(300.0, 100.0, 1.0, 0.3)
    r1 = r1_modified_bpp(T_GRID, nu0_MHz=100.0, ea_eV=0.3, tau0_s=tau0, beta=1.0, c=1e9)
    res = fit_bpp(T_GRID, r1, larmor_MHz=100.0, asymmetric=False)
    assert res.beta == 1.0 and res.beta_stderr == 0.0
    assert_allclose(res.omega0_tau_at_t_max, 0.6158, atol=1e-4)
    assert_allclose(res.t_max_K, 300.0, atol=0.05)
    assert_allclose(res.ea_eV, 0.3, rtol=1e-6)


def test_bpp_without_a_maximum_raises_and_flank_fit_works():
    # Check 19: seed 003 VT-T1 at 25-85 °C in the slow-motion regime (ω0τc ≫ 1): R1 rises with T,
    # i.e. T1 decreases with T; the flank slope is β·Ea
    t = np.arange(298.15, 359.0, 10.0)
    tau0 = _tau0_for_peak(450.0, 79.4, 1.0, 0.3)
    r1 = r1_modified_bpp(t, nu0_MHz=79.4, ea_eV=0.3, tau0_s=tau0, beta=1.0, c=1e9)
    assert np.all(np.diff(1 / r1) < 0)
    with pytest.raises(FitError, match="fit_flank"):
        fit_bpp(t, r1, larmor_MHz=79.4)
    res = fit_flank(t, r1, 290, 360, larmor_MHz=79.4)
    assert res.flank == "low_T"
    # far below the peak, ln R1 is nearly linear in 1/T with slope -Ea (β = 1); the curvature
    # from J(2ω0) and the approach to the peak lowers the apparent slope by < 5 %
    assert_allclose(res.ea_eV, 0.3, rtol=0.05)
    assert res.descriptors("NTOC")[0].name == "r1_low_T_flank_ea_eV"


def test_flank_fit_recovers_noisy_arrhenius_with_stderr():
    rng = np.random.default_rng(4)
    t = np.arange(330.0, 450.0, 5.0)
    r1 = 1e-3 * np.exp(0.25 / (K_B_EV * t)) * (1 + 0.02 * rng.standard_normal(t.size))
    res = fit_flank(t, r1, 330, 450)
    # 2 % noise, 24 points over 1/T span 8e-4 1/K: stderr ≈ 0.003 eV
    assert res.flank == "high_T"
    assert abs(res.ea_eV - 0.25) < 4 * res.ea_stderr_eV and res.ea_stderr_eV < 0.01


@pytest.mark.parametrize("t, r, err, match", [
    ([200, 250, np.nan, 350, 400, 450], [1, 2, 3, 2, 1, 0.5], DataError, "non-finite"),
    ([200, 250, 300, 350, 400, 450], [1, 2, -3, 2, 1, 0.5], DataError, "positive"),
    ([200, 250, 300, 350], [1, 2, 3, 2], FitError, "at least 6"),
    ([200, 250, 300, 350, 400, 450], [6, 5, 4, 3, 2, 1], FitError, "no maximum"),
])
def test_bpp_bad_input(t, r, err, match):
    with pytest.raises(err, match=match):
        fit_bpp(t, r, larmor_MHz=79.0)


def test_flank_bad_input():
    with pytest.raises(FitError, match="need at least 3"):
        fit_flank([300.0, 310.0, 320.0, 330.0], [1.0, 2.0, 3.0, 4.0], 305, 325)
    with pytest.raises(ConfigError):
        fit_flank([300.0, 310.0, 320.0], [1.0, 2.0, 3.0], 330, 300)


# -- Larmor frequencies (check 22) --------------------------------------------------------------

def test_larmor_table_and_seed_metadata():
    assert_allclose(larmor_frequency_MHz("23Na", 7.05), 79.4, atol=0.05)
    assert_allclose(larmor_frequency_MHz("Na-23", 7.05), larmor_frequency_MHz("23Na", 7.05))
    assert_allclose(larmor_frequency_MHz("1H", 11.7434), 500.0, rtol=1e-3)
    # seed 001 L229: "7.0 T" magnet with 1H at 300.00 MHz, i.e. 7.046 T -> 7Li 116.59 MHz
    assert_allclose(larmor_frequency_MHz("7Li", 300.00 / 42.577), 116.59, rtol=1e-3)
    # seed 003 L72: 73.39 MHz for 23Na at 7.05 T is flagged (expected ≈ 79.4 MHz)
    bad = check_larmor("23Na", 7.05, 73.39)
    assert not bad and not bad.ok and "79.4" in bad.message
    # stated values that are consistent within 1 %: seed 001 (79.35 MHz, 7.0 T),
    # seed 003 (105.67 MHz at 9.4 T; 132.294 MHz at 11.7 T)
    assert check_larmor("23Na", 7.0, 79.35).ok
    assert check_larmor("23Na", 9.4, 105.67).ok
    assert check_larmor("23Na", 11.7, 132.294).ok
    assert check_larmor("23Na", 14.1, 160.0).ok            # seed 000 L63/L125: 600 MHz magnet
    with pytest.raises(ConfigError, match="unknown nucleus"):
        larmor_frequency_MHz("99Xx", 7.0)
    with pytest.raises(ConfigError, match="field_T"):
        larmor_frequency_MHz("1H", -1.0)


# -- frames, reprs, plots ----------------------------------------------------------------------

def test_nmr_results_frames_reprs_and_plots():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.geomspace(1e-4, 0.1, 20)
    results = [
        fit_t1_recovery(t, 1 - 2 * np.exp(-t / 7.3e-3), kind="inversion"),
        fit_bpp(T_GRID, r1_modified_bpp(T_GRID, nu0_MHz=79.0, ea_eV=EA, tau0_s=TAU0, beta=BETA, c=1e10),
                larmor_MHz=79.0),
        fit_flank(T_GRID, np.exp(-0.2 / (K_B_EV * T_GRID)), 170, 450),
    ]
    for res in results:
        assert list(res.to_frame().columns) == ["name", "value", "stderr", "unit"]
        assert type(res).__name__ in repr(res)
        assert all(d.technique == "nmr" for d in res.descriptors("s"))
        fig = res.plot()
        assert fig.axes[0].get_xlabel().endswith(")") and fig.axes[0].get_ylabel()
        plt.close(fig)
    units = {d.name: d.unit for d in results[1].descriptors("s")}
    assert units["bpp_ea_eV"] == "eV" and units["bpp_t_max_K"] == "K" and units["bpp_jump_rate_per_s"] == "1/s"


def test_failed_fit_is_reported_not_raised(monkeypatch):
    import lmfit

    def broken(*args, **kwargs):
        raise ValueError("simulated solver failure")

    monkeypatch.setattr(lmfit, "minimize", broken)
    t = np.geomspace(1e-4, 0.1, 20)
    res = fit_t1_recovery(t, 1 - 2 * np.exp(-t / 7.3e-3), kind="inversion")
    assert not res.converged and "simulated solver failure" in res.message
    assert np.isfinite(res.t1_s) and np.isnan(res.t1_stderr_s)
    r1 = r1_modified_bpp(T_GRID, nu0_MHz=79.0, ea_eV=EA, tau0_s=TAU0, beta=BETA, c=1e10)
    res2 = fit_bpp(T_GRID, r1, larmor_MHz=79.0)
    assert not res2.converged and "NOT converged" in repr(res2)
    assert np.isfinite(res2.t_max_K) and np.isnan(res2.t_max_stderr_K)
