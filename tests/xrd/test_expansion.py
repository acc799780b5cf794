"""Thermal expansion: seed 000 cross-check 14 (SEEDS.md) with known truth."""

import numpy as np
import pytest

from structkit import DataError
from structkit.xrd.expansion import local_expansion, thermal_expansion


def _cubic_a(t, breaks=(223.15, 373.15), alphas=(1e-4, 2e-4, 1.5e-4), a_ref=9.96):
    """a(T) of a cubic cell whose ln V is continuous piecewise linear in T (alpha_V per regime)."""
    t = np.asarray(t, dtype=float)
    lnv = np.zeros_like(t)
    edges = [t.min(), *breaks, t.max()]
    for i, al in enumerate(alphas):
        lo, hi = edges[i], edges[i + 1]
        lnv += al * np.clip(t - lo, 0, hi - lo)
    return a_ref * np.exp(lnv / 3.0)


@pytest.mark.parametrize("seed", range(3))
def test_seed000_regimes_from_noisy_cell(seed):
    # -170..450 C every 10 C; a esd 2e-4 A (a typical sequential Le Bail esd on a 10 A cell):
    # alpha_V per regime within 10 % and breakpoints within 15 K (issue 4 acceptance)
    t = np.arange(-170.0, 451.0, 10.0) + 273.15
    rng = np.random.default_rng(seed)
    a = _cubic_a(t) + 2e-4 * rng.standard_normal(t.size)
    res = thermal_expansion(t, a_angstrom=a, a_stderr_angstrom=np.full(t.size, 2e-4))
    assert res.n_regimes == 3
    np.testing.assert_allclose([r.alpha_V_per_K for r in res.regimes], [1e-4, 2e-4, 1.5e-4], rtol=0.10)
    np.testing.assert_allclose(res.breakpoints_K, [223.15, 373.15], atol=15)
    assert all(r.alpha_V_stderr_per_K > 0 for r in res.regimes)


def test_cubic_alpha_v_is_three_alpha_l():
    t = np.arange(100.0, 400.0, 5.0)
    a = 10.0 * np.exp(5e-5 * (t - 100))
    res = thermal_expansion(t, a_angstrom=a, regimes=1)
    np.testing.assert_allclose(res.alpha_V_local_per_K, 3 * res.alpha_L_local_per_K, rtol=1e-9)
    np.testing.assert_allclose(res.alpha_L_local_per_K, 5e-5, rtol=1e-6)
    assert res.regimes[0].alpha_V_per_K == pytest.approx(1.5e-4, rel=1e-6)


def test_local_derivative_stderr_from_esds():
    t = np.arange(10.0)
    v = np.exp(1e-3 * t)
    slope, err = local_expansion(t, v, np.full(t.size, 1e-3), window=5)
    np.testing.assert_allclose(slope, 1e-3, rtol=1e-6)
    # straight line through 5 points spaced 1 K with sigma(ln V) = 1e-3 / V ~ 1e-3 (V within 1 % of 1)
    assert err[5] == pytest.approx(1e-3 / np.sqrt(10.0), rel=0.01)


def test_tables_descriptors_and_errors():
    t = np.arange(100.0, 500.0, 10.0)
    res = thermal_expansion(t, volume_A3=1000 * np.exp(1e-4 * (t - 100)), sample="x")
    assert list(res.to_frame().columns[:6]) == ["sample", "regime", "t_min_K", "t_max_K", "alpha_V_per_K",
                                                 "alpha_V_stderr_per_K"]
    assert "breakpoint_stderr_K" in res.breakpoints_frame().columns
    names = {d.name for d in res.descriptors()}
    assert {"expansion_n_regimes", "alpha_V_regime1_per_K", "alpha_V_per_K"} <= names
    import matplotlib
    matplotlib.use("Agg")
    assert len(res.plot().axes) == 2
    with pytest.raises(DataError, match="volume_A3 or"):
        thermal_expansion(t)
    with pytest.raises(DataError, match="non-finite"):
        thermal_expansion(t, volume_A3=np.r_[np.full(t.size - 1, 1000.0), np.nan])
