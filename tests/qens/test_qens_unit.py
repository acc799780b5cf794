"""Unit tests of structkit.qens: convolution, resolution matching, bad input, identifiability, CLI."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import voigt_profile

from structkit.core.errors import DataError, FitError, StructkitError
from structkit.qens import (IdentifiabilityError, QENSData, Resolution, arrhenius_tau, fit_eisf, fit_global,
                            fit_per_q, models)
from structkit.qens.synthetic import synthetic_sqe, synthetic_vanadium  # noqa: F401

SIG = 0.22 / np.sqrt(8 * np.log(2))


def _tabulated(step=0.005):
    ev = np.arange(-1.0, 1.0 + step / 2, step)
    van = QENSData(q=[1.0], energy=ev, s=[np.exp(-0.5 * (ev / SIG) ** 2)], ds=[np.full(ev.size, 1e-4)])
    return Resolution.from_vanadium(van, background="none", threshold=1e-8)


@pytest.mark.parametrize("gamma", [0.0, 1e-5, 0.003, 0.05, 0.4, 3.0])
@pytest.mark.parametrize("grid", ["uniform", "nonuniform"])
def test_tabulated_convolution_matches_voigt(gamma, grid):
    res = _tabulated()
    e = np.linspace(-1.5, 1.5, 301)
    if grid == "nonuniform":
        e = np.sort(np.concatenate([e[::2], np.linspace(-0.3, 0.3, 47)]))
        e = np.unique(np.round(e, 9))
    c = res.convolver(0, e)
    assert (c._lattice is not None) == (grid == "uniform")
    got = c.lorentzian(gamma, 0.01)
    ref = (voigt_profile(e - 0.01, SIG, gamma) if gamma > 0
           else np.exp(-0.5 * ((e - 0.01) / SIG) ** 2) / (SIG * np.sqrt(2 * np.pi)))
    # tolerance: the piecewise-linear tabulation error of a 5 ueV-step Gaussian (h^2 f''/8 ~ 4e-4 of the peak)
    assert np.max(np.abs(got - ref)) < 1e-3 * ref.max()


def test_lorentzian_area_and_delta_limit():
    res = _tabulated()
    e = np.linspace(-40, 40, 16001)
    c = res.convolver(0, e)
    # unit-area Lorentzian of HWHM 0.5 convolved: area inside +-40 meV = (2/pi) arctan(40/0.5)
    assert np.trapezoid(c.lorentzian(0.5), e) == pytest.approx(2 / np.pi * np.arctan(80.0), rel=1e-4)
    assert np.trapezoid(c.delta(), e) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(c.lorentzian(1e-9), c.delta(), atol=1e-6 * c.delta().max())


def test_gaussian_resolution_is_exact_voigt():
    e = np.linspace(-2, 2, 101)
    c = Resolution.gaussian(0.22).convolver(0, e)
    np.testing.assert_allclose(c.lorentzian(0.1, -0.02), voigt_profile(e + 0.02, SIG, 0.1), rtol=1e-12)


def test_vanadium_fwhm_centre_and_models():
    q = np.linspace(0.5, 2.0, 4)
    e = np.linspace(-1.5, 1.5, 301)
    rng = np.random.default_rng(3)
    r = Resolution.gaussian(0.22, center_meV=0.03).convolver(0, e).delta()
    s = [rng.poisson(1e5 * r / r.max() + 5).astype(float) for _ in q]
    van = QENSData(q=q, energy=e, s=s, ds=[np.sqrt(x) for x in s])
    for model in ("tabulated", "gaussian", "multi-gaussian"):
        res = Resolution.from_vanadium(van, model=model)
        assert np.all(np.abs(res.fwhm_meV - 0.22) < 0.01), model
        assert all(abs(g.center_meV - 0.03) < 0.003 for g in res.groups), model


def test_resolution_matching_errors():
    e = np.linspace(-1, 1, 101)
    res = Resolution.from_vanadium(synthetic_vanadium([0.5, 1.0, 1.5], e, seed=1))
    d, _ = synthetic_sqe([0.5, 3.0], e, "jump-rotation:n=3", {"radius_angstrom": 1.0, "tau_ps": 3.0}, seed=2)
    with pytest.raises(DataError, match="no resolution group for Q = 3"):
        fit_per_q(d, res)
    far, _ = synthetic_sqe([0.5], np.linspace(5, 7, 50), "jump-rotation:n=3", {"radius_angstrom": 1.0, "tau_ps": 3.0})
    with pytest.raises(DataError, match="does not overlap the resolution"):
        fit_per_q(far, res)
    with pytest.raises(DataError, match="resolution is required"):
        fit_per_q(d, None)


def test_bad_qens_data():
    with pytest.raises(DataError, match="not strictly increasing"):
        QENSData(q=[1.0], energy=[0.0, 0.2, 0.1], s=[[1, 2, 3]])
    with pytest.raises(DataError, match="NaN"):
        QENSData(q=[1.0], energy=[0.0, 0.1, 0.2], s=[[1, np.nan, 3]])
    with pytest.raises(DataError, match="groups"):
        QENSData(q=[1.0, 2.0], energy=[0.0, 0.1, 0.2], s=[[1, 2, 3]])
    d = QENSData(q=[1.0], energy=np.linspace(-1, 1, 11), s=[np.ones(11)])
    with pytest.raises(DataError, match="temperature"):
        d.symmetrized()
    with pytest.raises(DataError, match="fewer than 3 points"):
        d.crop(0.95, 1.0)


def test_u2_without_libration_is_not_identifiable():
    e = np.linspace(-1, 1, 81)
    d, _ = synthetic_sqe([1.0, 1.5], e, "jump-rotation:n=3", {"radius_angstrom": 1.0, "tau_ps": 3.0})
    with pytest.raises(IdentifiabilityError, match="u2"):
        fit_global(d, Resolution.gaussian(0.22), "jump-rotation:n=3", u2=True)


def test_eisf_radius_and_fraction_not_identifiable_at_low_q():
    q = np.linspace(0.05, 0.15, 8)
    y = 0.2 + 0.8 * models.eisf_jump_circle(q, 1.7, 5)
    with pytest.raises(IdentifiabilityError, match="not identifiable"):
        fit_eisf(q, y, np.full(q.size, 0.002), model="jump-rotation", n=5)
    # the same geometry over a real Q range is fine
    q = np.linspace(0.5, 2.5, 12)
    y = 0.2 + 0.8 * models.eisf_jump_circle(q, 1.7, 5)
    f = fit_eisf(q, y, np.full(q.size, 0.002), model="jump-rotation", n=5)
    assert f.values["radius_angstrom"] == pytest.approx(1.7, rel=1e-4)
    assert f.values["immobile_fraction"] == pytest.approx(0.2, abs=1e-4)


def test_unknown_model_and_law_errors():
    with pytest.raises(StructkitError, match="unknown scattering law"):
        models.parse_law("hopping")
    with pytest.raises(FitError, match="needs the number of sites"):
        fit_eisf([1, 2, 3, 4], [0.9, 0.8, 0.7, 0.6], model="jump-rotation")


def test_per_q_eisf_and_hwhm_of_a_single_lorentzian():
    q = np.linspace(0.6, 2.0, 5)
    e = np.linspace(-1.5, 1.5, 241)
    d, truth = synthetic_sqe(q, e, "two-site", {"distance_angstrom": 2.0, "tau_ps": 8.0}, peak_counts=1e5, seed=4)
    pq = fit_per_q(d, Resolution.gaussian(0.22))
    gamma = 2 * models.HBAR_MEV_PS / 8.0          # two-site: one line, HWHM 2 hbar / tau
    pulls = (pq.eisf - truth["eisf"]) / pq.eisf_stderr
    assert np.all(np.abs(pulls) < 4)
    assert np.all(np.abs(pq.hwhm_meV / gamma - 1) < 0.05)
    frame = pq.to_frame()
    assert list(frame.columns[:6]) == ["temperature_K", "q_inv_angstrom", "eisf", "eisf_stderr", "hwhm_meV",
                                       "hwhm_stderr_meV"]


def test_arrhenius_tau_recovers_ea_with_errors():
    t = np.linspace(275, 390, 6)
    tau = 3.0 * np.exp(0.24 / 8.617333262e-5 * (1 / t - 1 / 330))
    a = arrhenius_tau(t, tau * (1 + 0.01 * np.array([1, -1, 1, -1, 1, -1])), 0.01 * tau)
    assert a.ea_eV == pytest.approx(0.24, abs=0.01)
    assert 0 < a.ea_stderr_eV < 0.01
    with pytest.raises(FitError, match="at least 3"):
        arrhenius_tau([300, 310], [1, 2])


def test_cli_qens_fit_and_eisf(tmp_path):
    from structkit.cli import main

    q = np.linspace(1.0, 2.0, 5)
    e = np.linspace(-1.5, 1.5, 121)
    paths = []
    for k, t in enumerate((300.0, 330.0, 360.0)):
        tau = 3.0 * np.exp(0.24 / 8.617333262e-5 * (1 / t - 1 / 330))
        d, _ = synthetic_sqe(q, e, "jump-rotation:n=4", {"radius_angstrom": 1.5, "tau_ps": tau},
                             immobile_fraction=0.1, peak_counts=5e4, temperature_K=t, seed=k)
        p = tmp_path / f"sample_{t:g}K.csv"
        d.to_frame().rename(columns={"dS": "error"}).to_csv(p, index=False)
        paths.append(str(p))
    out = tmp_path / "qens.csv"
    rc = main(["qens", "fit", *paths, "--resolution-fwhm", "0.22", "--model", "jump-rotation:n=4", "--global",
               "--no-figures", "-o", str(out)])
    assert rc == 0
    frame = pd.read_csv(out)
    assert list(frame.columns[2:8]) == ["temperature_K", "tau_ps", "tau_stderr_ps", "radius_angstrom",
                                        "immobile_fraction", "u2_A2"]
    assert np.allclose(frame.temperature_K, [300, 330, 360])
    assert frame.radius_angstrom.iloc[0] == pytest.approx(1.5, rel=0.03)
    arr = pd.read_csv(tmp_path / "qens_arrhenius.csv")
    assert arr.ea_eV.iloc[0] == pytest.approx(0.24, abs=0.02)
    out2 = tmp_path / "eisf.csv"
    rc = main(["qens", "eisf", paths[-1], "--resolution-fwhm", "0.22", "--model", "jump-rotation:n=4", "-o", str(out2)])
    assert rc == 0
    e2 = pd.read_csv(out2)
    assert len(e2) == 5 and {"eisf", "eisf_stderr", "hwhm_meV"} <= set(e2.columns)
    assert (tmp_path / "eisf_figures").is_dir()
    # no resolution: a clear error, exit status 2
    assert main(["qens", "fit", paths[0], "-o", str(tmp_path / "x.csv")]) == 2


def test_eisf_of_one_with_every_quasielastic_line_held_has_no_zero_error():
    """A purely elastic spectrum (the resolution alone, Poisson-like noise): the Lorentzian's amplitude
    is held at its 0 bound, EISF = 1 exactly, and its error is NaN, not a propagated 0."""
    rng = np.random.default_rng(2)                # a draw where the line's best amplitude is at the bound
    e = np.linspace(-1.0, 1.0, 161)
    res = Resolution.gaussian(0.1)
    clean = 1000.0 * res.convolver(0, e).delta() + 5.0
    s = clean + rng.normal(0.0, 1.0, e.size) * np.sqrt(clean)
    s = np.where(np.abs(e) > 0.3, clean, s)     # wings noise-free: nothing for a broad line to fit
    data = QENSData(q=np.array([1.0]), energy=(e,), s=(s,), ds=(np.sqrt(clean),), sample="elastic")
    g = fit_per_q(data, res, n_lorentzians=1, background="flat").groups[0]
    assert g.amplitudes[1] == 0.0 and "qe1" in g.report.at_bounds
    assert g.eisf == 1.0 and np.isnan(g.eisf_stderr)
