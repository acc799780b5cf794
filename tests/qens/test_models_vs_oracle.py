"""structkit.qens.models (closed forms) against the numerical oracle (tests/qens/_oracle.py).

The oracle's quadratures are accurate to ~1e-12 (see test_oracle.py), so the closed forms must
agree to 1e-10; the Mantid numbers are the ``EISFDiffSphere`` usage example of the Mantid docs
(docs/source/fitting/fitfunctions/EISFDiffSphere.rst: A = 2, R = 0.5, Q = 0.3 ... 1.9), which
Mantid's ``Fit`` refits to ``A=2,R=0.5``.
"""


import numpy as np
import pytest

from structkit.qens import models
from oracle_loader import load_oracle




oracle = load_oracle("qens")
Q = np.concatenate([[1e-7, 1e-3], np.linspace(0.05, 5.0, 45)])
ATOL = 1e-10

# Mantid EISFDiffSphere usage example: eisf = A [3 j1(QR)/(QR)]^2 with A = 2, R = 0.5
MANTID_Q = np.array([0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5, 1.7, 1.9])
MANTID_EISF = np.array([1.9910173378712506, 1.9751335160492454, 1.9515113999365767, 1.9203919612905054,
                        1.8820909475511156, 1.8369942556092735, 1.7855523076069868, 1.7282735296640419,
                        1.6657170499144847])


# -- units ---------------------------------------------------------------------------------
def test_hbar_is_codata():
    # hbar = 6.582119569e-16 eV s (CODATA 2018, exact digits) = 0.6582119569 meV ps
    assert models.HBAR_MEV_PS == pytest.approx(6.582119569e-16 * 1e3 * 1e12, rel=1e-12)
    assert oracle.HBAR_MEV_PS == models.HBAR_MEV_PS


def test_tau_hwhm_conversions():
    assert float(models.hwhm_from_tau(1.0)) == pytest.approx(0.6582119569, rel=1e-12)
    assert float(models.tau_from_hwhm(0.6582119569)) == pytest.approx(1.0, rel=1e-12)
    tau = np.array([0.01, 1.0, 7.3, 1e4])
    np.testing.assert_allclose(models.tau_from_hwhm(models.hwhm_from_tau(tau)), tau, rtol=1e-14)
    # the Fourier pair: exp(-t/tau) <-> Lorentzian of HWHM hbar/tau; check numerically
    t = np.linspace(0, 200.0, 400001)
    E = 0.05
    tau1 = 3.0
    lor = 2 * np.trapezoid(np.exp(-t / tau1) * np.cos(E * t / models.HBAR_MEV_PS), t) / (2 * np.pi * models.HBAR_MEV_PS)
    g = float(models.hwhm_from_tau(tau1))
    assert lor == pytest.approx(g / np.pi / (E**2 + g**2), rel=1e-4)


# -- EISFs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 8])
@pytest.mark.parametrize("r", [0.9, 1.7, 2.6])
def test_eisf_jump_circle(n, r):
    np.testing.assert_allclose(models.eisf_jump_circle(Q, r, n),
                               oracle.eisf_jump_oracle(Q, oracle.circle_sites(n, r)), atol=ATOL)


@pytest.mark.parametrize("d", [0.5, 2.0, 3.4])
def test_eisf_two_site(d):
    np.testing.assert_allclose(models.eisf_two_site(Q, d), oracle.eisf_two_site_oracle(Q, d), atol=ATOL)
    np.testing.assert_allclose(models.TwoSiteJump().eisf(Q, {"distance_angstrom": d, "tau_ps": 1.0}),
                               oracle.eisf_two_site_oracle(Q, d), atol=ATOL)


@pytest.mark.parametrize("r", [0.5, 1.0, 1.7, 3.0])
def test_eisf_isotropic_rotation(r):
    np.testing.assert_allclose(models.eisf_isotropic_rotation(Q, r), oracle.eisf_isotropic_rotation_oracle(Q, r),
                               atol=ATOL)


@pytest.mark.parametrize("r", [0.5, 1.0, 1.7, 3.0])
def test_eisf_sphere(r):
    np.testing.assert_allclose(models.eisf_sphere(Q, r), oracle.eisf_sphere_oracle(Q, r), atol=ATOL)


def test_eisf_sphere_small_q_branch_is_continuous():
    q = np.array([0.0, 1e-9, 9.9e-7, 1.01e-6, 1e-5, 1e-3])
    np.testing.assert_allclose(models.eisf_sphere(q, 1.0), oracle.eisf_sphere_oracle(q, 1.0), atol=1e-12)


# -- ladders -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8])
def test_jump_rotation_components(n):
    r, tau = 1.7, 4.2
    a0, ladder = models.jump_rotation_components(Q, r, n, tau)
    b0, comps = oracle.jump_rotation_oracle(Q, r, n, tau)
    np.testing.assert_allclose(a0, b0, atol=ATOL)
    assert len(ladder) == len(comps) == n // 2
    for (a, g), (b, h) in zip(ladder, comps):
        assert g == pytest.approx(h, rel=1e-12)        # HWHM from the rate matrix's eigenvalues
        np.testing.assert_allclose(a, b, atol=ATOL)
    law = models.JumpRotation(n=n)
    c0, lad2 = law.components(Q, {"radius_angstrom": r, "tau_ps": tau})
    np.testing.assert_allclose(c0, b0, atol=ATOL)
    np.testing.assert_allclose(law.eisf(Q, {"radius_angstrom": r, "tau_ps": tau}), b0, atol=ATOL)


def test_c5_ladder_numbers():
    """C5: two distinct widths, Gamma_2/Gamma_1 = sin^2(2pi/5)/sin^2(pi/5) = golden ratio squared."""
    _, ladder = models.jump_rotation_components(Q, 1.7, 5, 1.0)
    (_, g1), (_, g2) = ladder
    assert g2 / g1 == pytest.approx(((1 + 5**0.5) / 2) ** 2, rel=1e-12)
    assert g1 == pytest.approx(oracle.gamma1_meV(1.0, 5), rel=1e-12)
    # tau is the mean residence time: Gamma_1 tau = 2 hbar sin^2(pi/5)
    assert g1 == pytest.approx(2 * 0.6582119569 * np.sin(np.pi / 5) ** 2, rel=1e-12)


def test_two_site_law_matches_oracle():
    d, tau = 2.4, 3.0
    a0, ladder = models.TwoSiteJump().components(Q, {"distance_angstrom": d, "tau_ps": tau})
    b0, comps = oracle.jump_model_oracle(Q, np.array([[0, 0, 0], [0, 0, d]], float),
                                         oracle.jump_rate_matrix(2, tau))
    np.testing.assert_allclose(a0, b0, atol=ATOL)
    assert len(ladder) == 1 and ladder[0][1] == pytest.approx(comps[0][1], rel=1e-12)
    np.testing.assert_allclose(ladder[0][0], comps[0][0], atol=ATOL)


def test_isotropic_rotation_components():
    r, tau = 1.7, 2.0
    q = np.linspace(0.2, 3.0, 15)
    a0, ladder = models.isotropic_rotation_components(q, r, tau, tol=1e-12)
    b0, comps = oracle.isotropic_rotation_oracle(q, r, tau)
    np.testing.assert_allclose(a0, b0, atol=1e-9)
    for (a, g), (b, h) in zip(ladder, comps):
        assert g == pytest.approx(h, rel=1e-12)
        np.testing.assert_allclose(a, b, atol=1e-9)
    assert np.all(np.abs(a0 + sum(a for a, _ in ladder) - 1) < 1e-10)


def test_fraction_and_debye_waller_match_oracle_observed_law():
    """apply_fraction then apply_libration(u2) = the oracle's DW [p + (1-p) A0] and DW (1-p) A_l."""
    q = oracle.FOCUS["q"]
    p, u2 = 0.2, 0.02
    a0, ladder = models.jump_rotation_components(q, 1.7, 5, 3.0)
    a0, ladder = models.apply_fraction(a0, ladder, p)
    a0, ladder = models.apply_libration(q, a0, ladder, u2)
    _, parts = oracle.model_spectra(q, np.linspace(-1, 1, 5), 0.22, 1.7, 5, 3.0, p, u2)
    np.testing.assert_allclose(a0, parts["dw"] * parts["eisf_obs"], atol=ATOL)
    for (a, g), (b, h) in zip(ladder, parts["components"]):
        assert g == pytest.approx(h, rel=1e-12)
        np.testing.assert_allclose(a, parts["dw"] * (1 - p) * b, atol=ATOL)


# -- Mantid ------------------------------------------------------------------------------------
def test_mantid_eisf_diff_sphere_numbers():
    np.testing.assert_allclose(2.0 * models.eisf_sphere(MANTID_Q, 0.5), MANTID_EISF, rtol=1e-13)
    np.testing.assert_allclose(2.0 * oracle.eisf_sphere_oracle(MANTID_Q, 0.5), MANTID_EISF, rtol=1e-12)


def test_mantid_eisf_diff_sphere_refit():
    """Mantid's EISFDiffSphere has two parameters, A and R: no immobile fraction."""
    from structkit.qens import fit_eisf

    for err in (None, np.full(MANTID_Q.size, 0.01)):
        fit = fit_eisf(MANTID_Q, MANTID_EISF, err, model="sphere", amplitude=True, immobile_fraction=False)
        assert fit.values["amplitude"] == pytest.approx(2.0, rel=1e-6)
        assert fit.values["radius_angstrom"] == pytest.approx(0.5, rel=1e-6)
        assert "immobile_fraction" not in fit.values
        np.testing.assert_allclose(fit.curve(MANTID_Q), MANTID_EISF, rtol=1e-8)


def test_mantid_sphere_with_immobile_fraction_is_not_identifiable():
    """With p free too (fit_eisf's default), A [p + (1-p)(1 - (QR)^2/5 ...)] over QR <= 0.95 makes R and p
    trade off (correlation 0.9998): the module says so instead of returning arbitrary numbers."""
    from structkit.qens import IdentifiabilityError, fit_eisf

    with pytest.raises(IdentifiabilityError, match="radius_angstrom and immobile_fraction"):
        fit_eisf(MANTID_Q, MANTID_EISF, None, model="sphere", amplitude=True)


@pytest.mark.parametrize("model,size,fn", [("sphere", 1.2, "eisf_sphere_oracle"),
                                           ("isotropic-rotation", 1.4, "eisf_isotropic_rotation_oracle"),
                                           ("two-site", 2.6, "eisf_two_site_oracle")])
def test_fit_eisf_recovers_oracle_geometry(model, size, fn):
    q = np.linspace(0.3, 2.5, 12)
    p = 0.15
    y = p + (1 - p) * getattr(oracle, fn)(q, size)
    from structkit.qens import fit_eisf

    fit = fit_eisf(q, y, np.full(q.size, 0.01), model=model)
    assert fit.values[fit.size_name] == pytest.approx(size, rel=1e-5)
    assert fit.values["immobile_fraction"] == pytest.approx(p, abs=1e-5)


def test_fit_eisf_jump_rotation_recovers_oracle():
    from structkit.qens import fit_eisf

    q = oracle.FOCUS["q"]
    y = 0.2 + 0.8 * oracle.eisf_jump_oracle(q, oracle.circle_sites(5, 1.7))
    fit = fit_eisf(q, y, np.full(q.size, 0.01), model="jump-rotation", n=5)
    assert fit.values["radius_angstrom"] == pytest.approx(1.7, rel=1e-5)
    assert fit.values["immobile_fraction"] == pytest.approx(0.2, abs=1e-5)


# -- resolution convolution ---------------------------------------------------------------------
HWHMS = (0.0, 0.002, 0.011, 0.05, 0.11, 0.33, 1.0)


def test_gaussian_resolution_convolver_matches_brute_force():
    from structkit.qens import Resolution

    E = oracle.FOCUS["energy"]
    conv = oracle.FineConvolver(E, 0.22)
    c = Resolution.gaussian(0.22).convolver(0, E)
    np.testing.assert_allclose(c.delta(), conv.gaussian(), rtol=1e-10)
    for hw in HWHMS[1:]:
        ref = conv.voigt(hw)
        np.testing.assert_allclose(c.lorentzian(hw), ref, atol=1e-5 * ref.max(), err_msg=f"hwhm {hw}")


def test_tabulated_resolution_from_noise_free_vanadium_matches_brute_force():
    """Piecewise-linear R through the vanadium points (step 0.16 sigma) and the 1e-3 noise cut:
    the convolved lines agree with the exact Voigt to 0.3 % of their peak and keep their area."""
    from structkit.qens import QENSData, Resolution

    E = oracle.FOCUS["energy"]
    conv = oracle.FineConvolver(E, 0.22)
    van = oracle.make_vanadium(0, noise=False)
    res = Resolution.from_vanadium(QENSData(q=van["q"], energy=E, s=van["s"], ds=van["ds"]), model="tabulated")
    np.testing.assert_allclose(res.fwhm_meV, 0.22, rtol=0.02)
    for g in range(len(res.groups)):
        assert abs(res.groups[g].center_meV) < 1e-6
    c = res.convolver(0, E)
    for hw in HWHMS:
        ref = conv.voigt(hw) if hw else conv.gaussian()
        got = c.lorentzian(hw)
        np.testing.assert_allclose(got, ref, atol=3e-3 * ref.max(), err_msg=f"hwhm {hw}")
        assert np.trapezoid(got, E) == pytest.approx(np.trapezoid(ref, E), rel=1e-4)
