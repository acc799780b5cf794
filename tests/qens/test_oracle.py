"""Self-checks of the QENS oracle (tests/qens/_oracle.py): it must be right before it judges the module.

Closed forms and ``scipy.special.voigt_profile`` appear here only to check the oracle's numerical
routes; the oracle itself never uses them.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import spherical_jn, voigt_profile
from scipy.stats import norm
from oracle_loader import load_oracle




oracle = load_oracle("qens")
Q = np.linspace(0.05, 3.0, 40)


def test_oracle_does_not_import_the_module_under_test():
    lines = Path(oracle.__file__).read_text().splitlines()
    assert not [ln for ln in lines if re.match(r"\s*(import|from)\s+structkit", ln)]


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8])
def test_rate_matrix_eigenvalues_are_the_barnes_ladder(n):
    """``W`` (rate 1/(2 tau) to each neighbour) has HWHMs ``(2 hbar/tau) sin^2(pi l/n)``."""
    tau = 3.7
    lam = np.sort(-np.linalg.eigvalsh(oracle.jump_rate_matrix(n, tau)))
    ladder = np.sort(2 * oracle.HBAR_MEV_PS / tau * np.sin(np.pi * np.arange(n) / n) ** 2)
    np.testing.assert_allclose(oracle.HBAR_MEV_PS * lam, ladder, atol=1e-12)
    # columns sum to 0 (probability conserved); mean residence time tau
    W = oracle.jump_rate_matrix(n, tau)
    np.testing.assert_allclose(W.sum(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(-1 / np.diag(W), tau)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8])
def test_sum_rule_and_merged_widths(n):
    A0, comps = oracle.jump_rotation_oracle(Q, 1.7, n, 2.0)
    total = A0 + sum(A for A, _ in comps)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert len(comps) == n // 2                       # l and n-l share a width
    widths = [hw for _, hw in comps]
    assert widths == sorted(widths)
    expect = [2 * oracle.HBAR_MEV_PS / 2.0 * np.sin(np.pi * l / n) ** 2 for l in range(1, n // 2 + 1)]
    np.testing.assert_allclose(widths, expect, rtol=1e-12)
    for A, _ in comps:
        assert np.all(A >= -1e-12)


def test_elastic_amplitude_tends_to_one_at_small_q():
    A0, comps = oracle.jump_rotation_oracle([1e-4, 1e-3, 1e-2], 1.7, 5, 2.0)
    np.testing.assert_allclose(A0, 1.0, atol=1.7**2 * 1e-2**2)
    assert A0[0] > 1 - 1e-8
    assert np.all(np.diff(A0) < 0)


def test_two_sites_reproduce_textbook():
    r = 1.3
    A0, comps = oracle.jump_rotation_oracle(Q, r, 2, 1.0)
    np.testing.assert_allclose(A0, (1 + spherical_jn(0, 2 * Q * r)) / 2, atol=1e-12)
    np.testing.assert_allclose(oracle.eisf_two_site_oracle(Q, 2 * r), A0, atol=1e-12)
    assert len(comps) == 1 and comps[0][1] == pytest.approx(2 * oracle.HBAR_MEV_PS / 1.0, rel=1e-12)


@pytest.mark.parametrize("n", [3, 5, 6])
def test_eigen_projection_equals_site_average_and_textbook(n):
    r = 1.7
    A0, _ = oracle.jump_rotation_oracle(Q, r, n, 1.0)
    np.testing.assert_allclose(oracle.eisf_jump_oracle(Q, oracle.circle_sites(n, r)), A0, atol=1e-12)
    closed = np.mean([spherical_jn(0, 2 * Q * r * np.sin(np.pi * j / n)) for j in range(n)], axis=0)
    np.testing.assert_allclose(A0, closed, atol=1e-12)


def test_lorentz_amplitudes_of_c3_match_textbook():
    r = 1.7
    A0, comps = oracle.jump_rotation_oracle(Q, r, 3, 1.0)
    j = spherical_jn(0, np.sqrt(3) * Q * r)
    np.testing.assert_allclose(comps[0][0], 2 * (1 - j) / 3, atol=1e-12)


def test_fibonacci_and_gauss_legendre_powder_agree():
    fib = oracle.fibonacci_directions(4000)
    a, _ = oracle.jump_rotation_oracle(Q, 1.7, 5, 1.0)
    b, _ = oracle.jump_rotation_oracle(Q, 1.7, 5, 1.0, fib)
    np.testing.assert_allclose(a, b, atol=2e-6)


def test_continuous_eisfs_match_textbook():
    for R in (0.5, 1.0, 2.5):
        x = Q * R
        np.testing.assert_allclose(oracle.eisf_isotropic_rotation_oracle(Q, R), spherical_jn(0, x) ** 2,
                                   atol=1e-12)
        np.testing.assert_allclose(oracle.eisf_sphere_oracle(Q, R), (3 * spherical_jn(1, x) / x) ** 2,
                                   atol=1e-12)


def test_gaussian_and_voigt_match_scipy():
    E = np.linspace(-1.5, 1.5, 200)
    conv = oracle.FineConvolver(E, 0.22)
    np.testing.assert_allclose(conv.gaussian(), voigt_profile(E, conv.sigma, 0.0), rtol=1e-12)
    for hw in (0.002, 0.011, 0.05, 0.11, 0.33, 1.0, 2.0):
        np.testing.assert_allclose(conv.voigt(hw), voigt_profile(E, conv.sigma, hw), rtol=1e-4,
                                   err_msg=f"hwhm {hw}")


def test_convolution_preserves_area():
    E = np.linspace(-3.0, 3.0, 601)
    conv = oracle.FineConvolver(E, 0.22)
    # a delta: the whole unit area lands inside the window
    assert np.trapezoid(conv.gaussian(), E) == pytest.approx(1.0, abs=1e-6)
    # a Lorentzian: the window holds exactly the part of each cell mass that the Gaussian spreads in
    for hw in (0.003, 0.05, 0.4):
        m = conv.lorentz_masses(hw)
        assert m.sum() == pytest.approx((np.arctan(conv.edges[-1] / hw) - np.arctan(conv.edges[0] / hw))
                                        / np.pi, abs=1e-14)
        inside = np.sum(m * (norm.cdf((3 - conv.centres) / conv.sigma)
                             - norm.cdf((-3 - conv.centres) / conv.sigma)))
        assert np.trapezoid(conv.voigt(hw), E) == pytest.approx(inside, abs=1e-6)


def test_dataset_truth_and_noise():
    sets, van = oracle.make_series(seed=11)
    cfg = oracle.FOCUS
    assert len(sets) == 6
    g = [d["truth"]["gamma1_meV"] / (cfg["fwhm_meV"] / 2) for d in sets]
    assert g[0] == pytest.approx(0.15, abs=0.01) and g[-1] == pytest.approx(3.0, rel=1e-9)
    assert np.all(np.diff(g) > 0)
    taus = np.array([d["truth"]["tau_ps"] for d in sets])
    slope = np.polyfit(1 / cfg["temperatures_K"], np.log(taus), 1)[0]
    assert slope * oracle.KB_EV_K == pytest.approx(cfg["ea_eV"], rel=1e-12)
    for d in sets:
        t = d["truth"]
        assert d["s"].shape == (12, 200) and d["ds"].shape == (12, 200)
        np.testing.assert_allclose(t["eisf_obs"], t["immobile_fraction"] + (1 - t["immobile_fraction"]) * t["A0"])
        # symmetric in E (no detailed balance): the grid is symmetric
        np.testing.assert_allclose(t["mean"], t["mean"][:, ::-1], rtol=1e-10)
        z = (d["s"] - t["mean"]) / np.sqrt(t["mean"])
        assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
        assert 2e4 < t["mean"].max() < 1e5
    assert van["s"].max() == pytest.approx(1e5, rel=0.02)
    # reproducible
    again, _ = oracle.make_series(seed=11)
    np.testing.assert_array_equal(again[3]["s"], sets[3]["s"])


def test_noise_free_spectrum_integrates_to_debye_waller():
    """Unit-scale model on a wide grid: the area is DW(Q) minus the Lorentzian tails outside."""
    E = np.linspace(-20.0, 20.0, 2001)
    conv = oracle.FineConvolver(E, 0.22, cells_per_sigma=10)
    q = np.array([1.3, 2.5])
    s, parts = oracle.model_spectra(q, E, 0.22, 1.7, 5, 5.0, 0.2, 0.02, conv)
    tails = sum((1 - 0.2) * A * (1 - 2 / np.pi * np.arctan(20.0 / hw)) for A, hw in parts["components"])
    np.testing.assert_allclose(np.trapezoid(s, E), parts["dw"] * (1 - tails), rtol=2e-4)
