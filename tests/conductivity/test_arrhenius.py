"""Arrhenius fits: seed cross-checks 1, 6, 7, 9 (SEEDS.md) on synthetic σ(T) with known truth."""

import numpy as np
import pytest

from structkit import ConfigError, DataError, FitError
from structkit.conductivity import fit_arrhenius, fit_vtf, two_point_ea
from structkit.conductivity.synthetic import SEED000_LAW, SEED001_NA_LAW, piecewise_arrhenius_sigma
from structkit.core.units import K_B_EV

T000 = np.arange(-100.0, 181.0, 10.0) + 273.15


def _noisy(sigma, rel, seed):
    rng = np.random.default_rng(seed)
    return sigma * np.exp(rel * rng.standard_normal(sigma.size))


@pytest.mark.parametrize("seed", range(5))
def test_seed000_three_regimes(seed):
    # 2 % log-normal scatter per point: Ea per regime recovered within 0.02 eV and the breaks
    # within 15 K (the grid is 10 K), the acceptance tolerances of issue 3.
    sigma = _noisy(piecewise_arrhenius_sigma(T000, **SEED000_LAW), 0.02, seed)
    res = fit_arrhenius(T000, sigma, 0.02 * sigma)
    assert res.converged
    assert res.n_regimes == 3
    for reg, ea in zip(res.regimes, SEED000_LAW["ea_eV"]):
        assert reg.ea_eV == pytest.approx(ea, abs=0.02)
        assert reg.ea_stderr_eV < 0.02
    np.testing.assert_allclose(res.breakpoints_K, SEED000_LAW["breakpoints_K"], atol=15)
    assert res.regimes[0].t_min_K == T000[0] and res.regimes[-1].t_max_K == T000[-1]


@pytest.mark.parametrize("law, kink", [(SEED001_NA_LAW, 283.15),
                                       ({"ea_eV": (1.01, 0.28), "breakpoints_K": (323.15,),
                                         "sigma_ref_S_per_cm": 9.1e-5, "t_ref_K": 323.15}, 323.15)])
def test_seed001_two_regimes_with_kink(law, kink):
    t = np.arange(-90.0, 111.0, 10.0) + 273.15
    sigma = _noisy(piecewise_arrhenius_sigma(t, **law), 0.02, 1)
    res = fit_arrhenius(t, sigma)
    assert res.n_regimes == 2
    assert res.breakpoints_K[0] == pytest.approx(kink, abs=10)
    for reg, ea in zip(res.regimes, law["ea_eV"]):
        assert reg.ea_eV == pytest.approx(ea, abs=0.03)


def test_single_line_is_not_split():
    t = np.arange(250.0, 400.0, 5.0)
    for seed in range(10):
        sigma = _noisy(1e3 / t * np.exp(-0.5 / (K_B_EV * t)), 0.03, seed)
        assert fit_arrhenius(t, sigma).n_regimes == 1


def test_sigma_form_differs_by_kT():
    # fitting ln σ instead of ln σT lowers Ea by ~k_B T_mean (SEEDS.md equation sheet)
    t = np.arange(250.0, 400.0, 5.0)
    sigma = 1e3 / t * np.exp(-0.5 / (K_B_EV * t))
    ea_st = fit_arrhenius(t, sigma, regimes=1).regimes[0].ea_eV
    ea_s = fit_arrhenius(t, sigma, regimes=1, form="sigma").regimes[0].ea_eV
    assert ea_st == pytest.approx(0.5, abs=1e-9)
    assert ea_st - ea_s == pytest.approx(K_B_EV * np.mean(t), rel=0.05)


def test_prefactor_and_sigma_at():
    t = np.arange(250.0, 400.0, 10.0)
    sigma = 2e5 / t * np.exp(-0.45 / (K_B_EV * t))
    res = fit_arrhenius(t, sigma, regimes=1)
    assert res.regimes[0].prefactor == pytest.approx(2e5, rel=1e-6)
    s, e = res.sigma_at(305.0)
    assert s == pytest.approx(2e5 / 305 * np.exp(-0.45 / (K_B_EV * 305)), rel=1e-8)
    with pytest.raises(DataError, match="outside the measured range"):
        res.sigma_at(450.0)
    assert res.sigma_at(450.0, extrapolate=True)[0] > sigma[-1]


def test_two_point_estimator_seed001():
    # SEEDS.md cross-check 7: 1.2e-4 S/cm at 30 C and 2.9e-4 at 50 C give 0.40 eV in the σT form
    assert two_point_ea(303.15, 1.2e-4, 323.15, 2.9e-4) == pytest.approx(0.40, abs=0.005)


def test_thermal_energy_at_crossover():
    # SEEDS.md cross-check 9: k_B T at 50-70 C is 0.0278-0.0296 eV
    assert K_B_EV * 323.15 == pytest.approx(0.0278, abs=5e-4)
    assert K_B_EV * 343.15 == pytest.approx(0.0296, abs=5e-4)


def test_tables_and_descriptors():
    sigma = piecewise_arrhenius_sigma(T000, **SEED000_LAW)
    res = fit_arrhenius(T000, sigma, regimes=3, sample="NBH")
    frame = res.to_frame()
    assert list(frame["regime"]) == [1, 2, 3]
    for col in ("t_min_K", "t_max_K", "ea_eV", "ea_stderr_eV"):
        assert col in frame
    bp = res.breakpoints_frame()
    assert list(bp.columns) == ["sample", "between_regimes", "breakpoint_K", "breakpoint_stderr_K"]
    names = [d.name for d in res.descriptors()]
    assert names == ["n_regimes", "ea_regime1_eV", "ea_regime2_eV", "ea_regime3_eV", "breakpoint1_K",
                     "breakpoint2_K"]
    assert res.regime_of(200.0) == 1 and res.regime_of(300.0) == 2 and res.regime_of(400.0) == 3


def test_vtf_recovers_truth():
    t = np.arange(260.0, 400.0, 8.0)
    truth = (50.0, 0.08, 180.0)
    sigma = truth[0] / np.sqrt(t) * np.exp(-truth[1] / (K_B_EV * (t - truth[2])))
    res = fit_vtf(t, sigma)
    assert res.converged
    assert res.b_eV == pytest.approx(0.08, rel=1e-3)
    assert res.t0_K == pytest.approx(180.0, abs=0.5)


def test_bad_inputs():
    t = np.array([300.0, 310.0, 320.0, 330.0])
    s = np.array([1e-4, 2e-4, 3e-4, 4e-4])
    with pytest.raises(DataError, match="non-finite"):
        fit_arrhenius(t, np.r_[s[:-1], np.nan])
    with pytest.raises(DataError, match="positive"):
        fit_arrhenius(t, -s)
    with pytest.raises(DataError, match="kelvin"):
        fit_arrhenius(t - 400, s)
    with pytest.raises(DataError, match="repeated"):
        fit_arrhenius([300, 300, 310, 320], s)
    with pytest.raises(FitError, match="too few"):
        fit_arrhenius(t[:2], s[:2])
    with pytest.raises(ConfigError, match="form"):
        fit_arrhenius(t, s, form="ln")
    with pytest.raises(ConfigError, match="regimes"):
        fit_arrhenius(t, s, regimes="many")
