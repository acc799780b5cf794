"""XANES pre-edge peak fits and LCF against forward models with known truth (structkit.xas.xanes).

The forward models below are written out with numpy here (not with structkit's
lineshapes), the noise level is known, and every check compares recovered vs
true within a stated number of the fit's own standard errors; the errors are
also checked to be small and, by Monte-Carlo, to match the scatter they claim.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError, FitError
from structkit.xas._common import xas_measurement
from structkit.xas.xanes import (LcfCombinations, LcfResult, PreEdgeResult, fit_pre_edge, lcf_combinations,
                                 linear_combination_fit)

LN2 = np.log(2.0)


def gauss(e, center, area, fwhm):
    """Unit-area Gaussian times area, written out (independent of core.lineshapes)."""
    sigma = fwhm / (2.0 * np.sqrt(2.0 * LN2))
    return area / (sigma * np.sqrt(2.0 * np.pi)) * np.exp(-0.5 * ((e - center) / sigma) ** 2)


def arctan_edge(e, center, fwhm, height=1.0):
    return height * (0.5 + np.arctan((e - center) / (0.5 * fwhm)) / np.pi)


def spectrum(e, mu, e0, source="synthetic.xmu", sample="S"):
    return SimpleNamespace(energy=e, norm=mu, e0=e0, source=source, sample=sample,
                           conditions={"milling_time_h": 6.0})


# -- Cl K-like: two pre-edge peaks on an arctan step (seed 002: the pre-edge splits with milling) --

CL_E = np.arange(2810.0, 2835.0, 0.1)
CL_TRUE = {"center": (2820.6, 2822.2), "area": (0.30, 0.20), "fwhm": (1.0, 1.1)}
CL_NOISE = 0.004


def cl_clean(e=CL_E):
    return (arctan_edge(e, 2825.0, 1.6) + gauss(e, 2820.6, 0.30, 1.0) + gauss(e, 2822.2, 0.20, 1.1))


def cl_noisy(seed):
    return cl_clean() + np.random.default_rng(seed).normal(0.0, CL_NOISE, CL_E.size)


@pytest.fixture(scope="module")
def cl_fit():
    return fit_pre_edge(spectrum(CL_E, cl_noisy(1), 2825.0, source="clk_26h.xmu"), window=(2814.0, 2824.5),
                        n_peaks=2)


def test_two_peaks_on_arctan_step_recover_truth(cl_fit):
    r = cl_fit
    assert isinstance(r, PreEdgeResult) and r.converged, r.message
    c, a = np.array(CL_TRUE["center"]), np.array(CL_TRUE["area"])
    # the errors are small enough that the checks below can fail
    assert np.all(r.stderr["energy_eV"] < 0.02) and np.all(r.stderr["area"] < 0.01)
    assert np.all(np.abs(r.energy_eV - c) < 3 * r.stderr["energy_eV"]), (r.energy_eV, r.stderr["energy_eV"])
    assert np.all(np.abs(r.area - a) < 3 * r.stderr["area"]), (r.area, r.stderr["area"])
    assert np.all(np.abs(r.fwhm_eV - CL_TRUE["fwhm"]) < 3 * r.stderr["fwhm_eV"])
    assert abs(r.splitting_eV[0] - 1.6) < 3 * r.splitting_stderr_eV[0]
    assert r.splitting_stderr_eV[0] < 0.02
    # total area and area-weighted centroid
    assert abs(r.total_area - 0.5) < 3 * r.total_area_stderr
    assert abs(r.centroid_eV - (0.3 * 2820.6 + 0.2 * 2822.2) / 0.5) < 3 * r.centroid_stderr_eV
    # heights of unit-area Gaussians: area * 2 sqrt(ln2/pi) / fwhm
    h_true = a * 2 * np.sqrt(LN2 / np.pi) / np.array(CL_TRUE["fwhm"])
    assert np.all(np.abs(r.height - h_true) < 3 * r.stderr["height"])
    # noise of known level: reduced chi-square (unweighted) ~ sigma^2, R-factor small
    assert 0.75 < r.redchi / CL_NOISE ** 2 < 1.3
    assert r.rfactor < 1e-3


def test_splitting_error_is_the_covariance_one(cl_fit):
    """The splitting's stderr is sqrt(var c1 + var c2 - 2 cov), not the sum in quadrature."""
    r = cl_fit
    rep = r.report
    val, err = rep.propagate(lambda v: v["split1"])
    assert err == pytest.approx(r.splitting_stderr_eV[0], rel=1e-4)
    i, j = rep.var_names.index("p1_center"), rep.var_names.index("split1")
    cov = rep.covar
    # c2 = c1 + split, so var(c2) = var(c1) + var(split) + 2 cov(c1, split)
    var_c2 = cov[i, i] + cov[j, j] + 2 * cov[i, j]
    assert r.stderr["energy_eV"][1] == pytest.approx(np.sqrt(var_c2), rel=1e-4)
    naive = np.hypot(*r.stderr["energy_eV"])
    assert abs(naive - r.splitting_stderr_eV[0]) > 0.05 * r.splitting_stderr_eV[0]   # correlation matters here


def test_pre_edge_errors_match_scatter_monte_carlo():
    """Ten noise realisations: the z-scores of energies, splitting and areas scatter like N(0, 1)."""
    z = []
    for seed in range(10, 20):
        r = fit_pre_edge(spectrum(CL_E, cl_noisy(seed), 2825.0), window=(2814.0, 2824.5),
                         centers=[2820.5, 2822.0])
        assert r.converged, r.message
        z.append([*(r.energy_eV - CL_TRUE["center"]) / r.stderr["energy_eV"],
                  (r.splitting_eV[0] - 1.6) / r.splitting_stderr_eV[0],
                  *(r.area - CL_TRUE["area"]) / r.stderr["area"]])
    z = np.array(z)
    assert np.all(np.abs(z) < 4.0)
    rms = np.sqrt(np.mean(z ** 2))
    assert 0.6 < rms < 1.5, rms


def test_pre_edge_descriptors_frame_summary_plot(cl_fit):
    r = cl_fit
    names = [d.name for d in r.descriptors()]
    assert names == ["pre_edge_energy_eV[1]", "pre_edge_area[1]", "pre_edge_fwhm_eV[1]", "pre_edge_height[1]",
                     "pre_edge_energy_eV[2]", "pre_edge_area[2]", "pre_edge_fwhm_eV[2]", "pre_edge_height[2]",
                     "pre_edge_splitting_eV[1-2]", "pre_edge_area_total", "pre_edge_centroid_eV"]
    d = {row.name: row for row in r.descriptors()}
    assert d["pre_edge_splitting_eV[1-2]"].value == r.splitting_eV[0]
    assert d["pre_edge_energy_eV[2]"].unit == "eV" and d["pre_edge_area[1]"].technique == "xas"
    assert d["pre_edge_area[1]"].sample == "S" and d["pre_edge_area[1]"].source == "clk_26h.xmu"
    assert dict(d["pre_edge_area[1]"].conditions) == {"milling_time_h": 6.0}
    frame = r.to_frame()
    assert list(frame["peak"]) == [1, 2] and {"energy_eV_stderr", "splitting_to_next_eV"} <= set(frame.columns)
    assert "converged" in r.summary() and "splitting 1-2" in str(r)
    assert "<table" in r._repr_html_()
    fig = r.plot()
    ax = fig.axes[0]
    assert len(ax.lines) >= 6 and ax.get_xlabel() == "energy (eV)"     # data, fit, bkg, 2 peaks, residual
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_result_is_frozen(cl_fit):
    with pytest.raises(Exception):
        cl_fit.converged = False
    with pytest.raises(ValueError):
        cl_fit.energy_eV[0] = 0.0


# -- Na K-like: pre-edge at 1074 eV below an edge at ~1077 eV with near-edge peaks a, b, c ---------

NA_E = np.arange(1060.0, 1110.0, 0.1)
NA_NOISE = 0.003


def na_spectrum(seed=3, pre_area=0.06, shift=0.0):
    e = NA_E
    mu = (arctan_edge(e, 1077.0 + shift, 2.0) + gauss(e, 1074.0 + shift, pre_area, 1.2)
          + gauss(e, 1079.5 + shift, 0.9, 2.0) + gauss(e, 1083.0 + shift, 0.5, 3.0)
          + gauss(e, 1089.0 + shift, 0.4, 4.0))                                # a, b, c
    return mu + np.random.default_rng(seed).normal(0.0, NA_NOISE, e.size)


def test_na_k_pre_edge_found_and_recovered():
    r = fit_pre_edge(spectrum(NA_E, na_spectrum(), 1077.0, source="ntc_6h_NaK.xmu"), window=(1066.0, 1076.0))
    assert r.converged, r.message
    assert r.n_peaks == 1
    assert abs(r.energy_eV[0] - 1074.0) < 3 * r.stderr["energy_eV"][0] and r.stderr["energy_eV"][0] < 0.1
    assert abs(r.area[0] - 0.06) < 3 * r.stderr["area"][0] and r.stderr["area"][0] < 0.01
    assert r.total_area == r.area[0] and r.centroid_eV == pytest.approx(r.energy_eV[0])
    # the same window relative to e0 gives the same fit
    rel = fit_pre_edge(spectrum(NA_E, na_spectrum(), 1077.0), window=(-11.0, -1.0), relative_to_e0=True)
    assert rel.energy_eV[0] == pytest.approx(r.energy_eV[0], abs=1e-9)
    assert rel.window_eV == pytest.approx((1066.0, 1076.0))


def test_na_k_pre_edge_intensity_trend():
    """Seed 002: the 1074 eV pre-edge intensity falls from NaCl to the milled samples; the fit must see it."""
    areas = [fit_pre_edge(spectrum(NA_E, na_spectrum(seed=5, pre_area=a), 1077.0), window=(1066.0, 1076.0)).area[0]
             for a in (0.08, 0.05, 0.03)]
    assert areas[0] > areas[1] > areas[2]
    assert np.allclose(areas, (0.08, 0.05, 0.03), atol=0.01)


@pytest.mark.parametrize("shape,step", [("lorentzian", "erf"), ("pseudo_voigt", "arctan"), ("voigt", "erf")])
def test_other_shapes_and_steps_fit_and_report_their_width_parts(shape, step):
    r = fit_pre_edge(spectrum(CL_E, cl_noisy(2), 2825.0), window=(2814.0, 2824.5), centers=[2820.5, 2822.0],
                     shape=shape, step=step, shared_width=shape == "voigt")
    assert r.converged, r.message
    assert np.allclose(r.energy_eV, CL_TRUE["center"], atol=0.08)
    assert set(r.values) >= {"energy_eV", "area", "fwhm_eV", "height"}
    if shape == "pseudo_voigt":
        assert np.all((0 <= r.values["eta"]) & (r.values["eta"] <= 1))
    if shape == "voigt":
        v = r.values
        assert v["fwhm_gauss_eV"][0] == v["fwhm_gauss_eV"][1]               # shared
        assert np.all(v["fwhm_eV"] >= v["fwhm_gauss_eV"])
    assert r.step["center_eV"] > r.energy_eV[-1]


def test_shared_width_and_no_step_no_baseline():
    e = np.arange(0.0, 20.0, 0.05)
    y = gauss(e, 8.0, 1.0, 1.5) + gauss(e, 11.0, 0.6, 1.5) + np.random.default_rng(4).normal(0, 0.002, e.size)
    r = fit_pre_edge(spectrum(e, y, 15.0), window=(2.0, 17.0), n_peaks=2, step=None, baseline=None,
                     shared_width=True)
    assert r.converged and r.nvarys == 5          # c1, split, 2 areas, 1 width
    assert r.fwhm_eV[0] == r.fwhm_eV[1] and abs(r.fwhm_eV[0] - 1.5) < 3 * r.stderr["fwhm_eV"][0]
    assert not r.step and np.all(r.step_curve == 0) and np.all(r.baseline_curve == 0)


def test_measurement_input_with_meta_e0_and_sigma():
    y = cl_noisy(1)
    m = xas_measurement(CL_E, y, source="clk.dat", sample="NTC", meta={"e0": 2825.0}, y_name="norm")
    r1 = fit_pre_edge(m, window=(-11.0, -0.5), relative_to_e0=True, n_peaks=2)
    r0 = fit_pre_edge(spectrum(CL_E, y, 2825.0), window=(2814.0, 2824.5), n_peaks=2)
    assert r1.energy_eV == pytest.approx(r0.energy_eV, abs=1e-9) and r1.source == "clk.dat"
    # sigma weights: with the true sigma the reduced chi-square is ~1
    from structkit.core.measurement import Measurement
    mw = Measurement(CL_E, y, sigma=np.full(CL_E.size, CL_NOISE), x_name="energy", x_unit="eV",
                     technique="xas", meta={"e0": 2825.0})
    rw = fit_pre_edge(mw, window=(2814.0, 2824.5), n_peaks=2)
    assert 0.75 < rw.redchi < 1.3 and rw.settings["weights"] == "sigma"
    assert rw.stderr["energy_eV"] == pytest.approx(r0.stderr["energy_eV"], rel=1e-3)


# -- pre-edge failures ------------------------------------------------------------------------------

def test_bad_windows_and_options_raise_with_the_file_name():
    s = spectrum(CL_E, cl_noisy(1), 2825.0, source="clk_40h.xmu")
    with pytest.raises(DataError, match=r"clk_40h\.xmu.*outside the data"):
        fit_pre_edge(s, window=(3000.0, 3010.0))
    with pytest.raises(FitError, match=r"clk_40h\.xmu.*points .* for .* parameters"):
        fit_pre_edge(s, window=(2820.0, 2821.0), n_peaks=2)
    with pytest.raises(DataError, match=r"outside the window"):
        fit_pre_edge(s, window=(2814.0, 2824.5), centers=[2812.0])
    with pytest.raises(FitError, match=r"found 2 pre-edge peak\(s\).*asked for 3"):
        fit_pre_edge(s, window=(2814.0, 2824.5), n_peaks=3)
    with pytest.raises(ConfigError, match="shape"):
        fit_pre_edge(s, window=(2814.0, 2824.5), shape="triangle")
    with pytest.raises(ConfigError, match="step"):
        fit_pre_edge(s, window=(2814.0, 2824.5), step="tanh")
    with pytest.raises(ConfigError, match="n_peaks=3 but 2 centers"):
        fit_pre_edge(s, window=(2814.0, 2824.5), centers=[2820.0, 2822.0], n_peaks=3)
    with pytest.raises(ConfigError, match="lo < hi"):
        fit_pre_edge(s, window=(2824.0, 2814.0))
    no_e0 = SimpleNamespace(energy=CL_E, norm=cl_noisy(1), source="x.nor")
    with pytest.raises(DataError, match=r"x\.nor.*no e0"):
        fit_pre_edge(no_e0, window=(-10.0, 0.0), relative_to_e0=True)
    with pytest.raises(DataError, match="has no norm"):
        fit_pre_edge(SimpleNamespace(energy=CL_E), window=(2814.0, 2824.5))
    with pytest.raises(DataError, match=r"bad\.xmu.*not strictly increasing"):
        fit_pre_edge(SimpleNamespace(energy=CL_E[::-1], norm=cl_noisy(1), e0=2825.0, source="bad.xmu"),
                     window=(2814.0, 2824.5))


def test_merged_peaks_are_flagged_not_silent():
    """Two starting centres on one peak: the fit runs, and says the peaks merged/collapsed."""
    r = fit_pre_edge(spectrum(NA_E, na_spectrum(), 1077.0, source="one_peak.xmu"), window=(1066.0, 1076.0),
                     centers=[1073.9, 1074.1])
    assert not r.converged
    assert "one_peak.xmu" in r.message and ("merged" in r.message or "collapsed" in r.message)
    assert "NOT converged" in r.summary()


def test_a_fit_with_a_tiny_budget_is_flagged():
    r = fit_pre_edge(spectrum(CL_E, cl_noisy(1), 2825.0, source="b.xmu"), window=(2814.0, 2824.5), n_peaks=2,
                     max_nfev=5)
    assert not r.converged and "b.xmu" in r.message


# -- linear-combination fitting -------------------------------------------------------------------

LCF_E = np.arange(1060.0, 1110.0, 0.25)        # sample grid
REF_E = np.arange(1050.05, 1120.0, 0.15)       # reference grid (different: interpolated)
LCF_NOISE = 0.005


def ref_a(e):       # NaCl-like: edge 1077, strong a, weak c
    return arctan_edge(e, 1077.0, 2.0) + gauss(e, 1079.5, 1.2, 2.0) + gauss(e, 1089.0, 0.3, 4.0)


def ref_b(e):       # NTC-like: edge 1078, a shifted up, stronger c
    return arctan_edge(e, 1078.0, 2.5) + gauss(e, 1081.0, 0.8, 2.5) + gauss(e, 1088.0, 0.9, 4.0)


def ref_c(e):       # a third, unrelated standard
    return arctan_edge(e, 1080.0, 3.0) + gauss(e, 1084.0, 1.5, 3.0)


REFS = {"NaCl": spectrum(REF_E, ref_a(REF_E), 1077.0, source="nacl.nor"),
        "NTC": spectrum(REF_E, ref_b(REF_E), 1078.0, source="ntc.nor"),
        "TaCl5": spectrum(REF_E, ref_c(REF_E), 1080.0, source="tacl5.nor")}


def mixture(seed, fa=0.3, shift=0.0):
    e = LCF_E - shift
    mu = fa * ref_a(e) + (1 - fa) * ref_b(e)
    return spectrum(LCF_E, mu + np.random.default_rng(seed).normal(0.0, LCF_NOISE, LCF_E.size), 1077.5,
                    source="mix.nor")


def test_lcf_recovers_fractions_and_sums_to_one_exactly():
    r = linear_combination_fit(mixture(7), {k: REFS[k] for k in ("NaCl", "NTC")})
    assert isinstance(r, LcfResult) and r.converged, r.message
    (fa, ea), (fb, eb) = r.fraction("NaCl"), r.fraction("NTC")
    assert abs(fa - 0.3) < 3 * ea and abs(fb - 0.7) < 3 * eb and ea < 0.01
    assert fa + fb == pytest.approx(1.0, abs=1e-14)
    assert r.dependent == "NTC"                    # the larger fraction is 1 - the others
    assert eb == pytest.approx(ea, rel=1e-6)       # two references: one error, from the covariance
    assert r.energy_range_eV == (1060.0, 1107.5)   # default e0 - 20 .. e0 + 30, clipped to the data
    assert 0.7 < r.redchi / LCF_NOISE ** 2 < 1.3     # chi2/dof of 190 points: 1 +- 0.1
    assert r.rfactor == pytest.approx(np.sum((r.data - r.fit) ** 2) / np.sum(r.data ** 2))
    assert np.allclose(r.components.sum(0), r.fit)


def test_lcf_errors_match_the_scatter_monte_carlo():
    refs = {k: REFS[k] for k in ("NaCl", "NTC")}
    fr, err = [], []
    for seed in range(100, 140):
        r = linear_combination_fit(mixture(seed), refs, energy_range=(-15.0, 25.0), relative_to_e0=True)
        fr.append(r.fractions[0])
        err.append(r.fractions_stderr[0])
    fr, err = np.array(fr), np.array(err)
    assert abs(fr.mean() - 0.3) < 3 * fr.std(ddof=1) / np.sqrt(fr.size)
    ratio = fr.std(ddof=1) / np.median(err)
    assert 0.7 < ratio < 1.35, ratio            # 40 samples: the scatter's std is known to ~11 %


def test_lcf_three_references_and_free_sum():
    r = linear_combination_fit(mixture(8), REFS)
    f = dict(zip(r.names, r.fractions))
    e = dict(zip(r.names, r.fractions_stderr))
    assert sum(f.values()) == pytest.approx(1.0, abs=1e-14)
    assert abs(f["NaCl"] - 0.3) < 3 * e["NaCl"] and abs(f["NTC"] - 0.7) < 3 * e["NTC"]
    assert f["TaCl5"] < 3 * max(e["TaCl5"], 1e-3) and f["TaCl5"] >= 0.0
    # the dependent fraction's error comes from the covariance of the other two
    # (dependent = 1 - the two free ones: its variance is the sum of their 2x2 covariance)
    assert r.report.covar.shape == (2, 2)
    assert e[r.dependent] == pytest.approx(np.sqrt(r.report.covar.sum()), rel=1e-4)
    free = linear_combination_fit(mixture(8), {k: REFS[k] for k in ("NaCl", "NTC")}, sum_to_one=False)
    assert free.dependent is None and free.nvarys == 2
    assert abs(free.fractions.sum() - 1.0) < 3 * np.hypot(*free.fractions_stderr)


def test_lcf_common_energy_shift():
    r = linear_combination_fit(mixture(9, shift=0.6), {k: REFS[k] for k in ("NaCl", "NTC")}, fit_e0_shift=True)
    assert r.converged, r.message
    assert abs(r.e0_shift_eV - 0.6) < 3 * r.e0_shift_stderr_eV and r.e0_shift_stderr_eV < 0.05
    assert abs(r.fractions[0] - 0.3) < 3 * r.fractions_stderr[0]
    assert [d.name for d in r.descriptors()] == ["lcf_fraction[NaCl]", "lcf_fraction[NTC]", "lcf_e0_shift_eV"]


def test_lcf_descriptors_frame_plot():
    r = linear_combination_fit(mixture(7), {k: REFS[k] for k in ("NaCl", "NTC")})
    rows = r.descriptors()
    assert [d.name for d in rows] == ["lcf_fraction[NaCl]", "lcf_fraction[NTC]"]
    assert rows[0].technique == "xas" and rows[0].source == "mix.nor" and rows[0].method.startswith("xanes:lcf:")
    frame = r.to_frame()
    assert list(frame["reference"]) == ["NaCl", "NTC"] and frame["fraction"].sum() == pytest.approx(1.0)
    assert "NaCl" in r.summary()
    fig = r.plot()
    assert len(fig.axes[0].lines) >= 5
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_lcf_measurement_input_without_e0():
    m = xas_measurement(LCF_E, mixture(7).norm, source="mix.dat")
    refs = {k: xas_measurement(REF_E, REFS[k].norm, source=f"{k}.dat") for k in ("NaCl", "NTC")}
    r = linear_combination_fit(m, refs, energy_range=(1060.0, 1105.0))
    assert abs(r.fractions[0] - 0.3) < 3 * r.fractions_stderr[0]
    with pytest.raises(DataError, match=r"mix\.dat.*no e0"):
        linear_combination_fit(m, refs)                       # default range needs e0


def test_lcf_bad_input():
    refs = {k: REFS[k] for k in ("NaCl", "NTC")}
    short = {"NaCl": spectrum(REF_E[REF_E < 1090], ref_a(REF_E[REF_E < 1090]), 1077.0, source="short.nor"),
             "NTC": REFS["NTC"]}
    with pytest.raises(DataError, match=r"reference 'NaCl' \(short\.nor\) covers"):
        linear_combination_fit(mixture(7), short)
    with pytest.raises(DataError, match=r"mix\.nor.*outside the data"):
        linear_combination_fit(mixture(7), refs, energy_range=(2000.0, 2100.0))
    with pytest.raises(FitError, match="points"):
        linear_combination_fit(mixture(7), refs, energy_range=(1070.0, 1070.3))
    with pytest.raises(ConfigError, match="non-empty mapping"):
        linear_combination_fit(mixture(7), {})
    same = {"A": REFS["NaCl"], "B": REFS["NaCl"]}
    r = linear_combination_fit(mixture(7), same, sum_to_one=False)
    assert not r.converged and "identical" in r.message and "mix.nor" in r.message


def test_lcf_combinations_rank_the_true_pair_first():
    combos = lcf_combinations(mixture(11), REFS, max_components=3)
    assert isinstance(combos, LcfCombinations) and len(combos) == 7          # 3 + 3 + 1 subsets
    r = [f.rfactor for f in combos.fits]
    assert r == sorted(r)
    best = combos.best
    assert set(best.names) in ({"NaCl", "NTC"}, {"NaCl", "NTC", "TaCl5"})
    pair = next(f for f in combos.fits if set(f.names) == {"NaCl", "NTC"})
    assert all(pair.rfactor < f.rfactor for f in combos.fits if len(f.names) <= 2 and f is not pair)
    frame = combos.to_frame()
    assert list(frame["rank"]) == list(range(1, 8)) and "fraction[TaCl5]" in frame.columns
    single = next(f for f in combos.fits if f.names == ("NaCl",))
    assert single.fractions[0] == 1.0 and single.nvarys == 0
    assert [d.name for d in combos.descriptors()] == [f"lcf_fraction[{n}]" for n in best.names]
    assert "7 fits of 3 references" in repr(combos)
    with pytest.raises(ConfigError):
        lcf_combinations(mixture(11), REFS, max_components=0)


@pytest.mark.slow
def test_lcf_matches_larch_lincombo_fit():
    """Peer oracle: larch's lincombo_fit (lmfit, last weight = 1 - others as an expression)."""
    larch_math = pytest.importorskip("larch.math")
    from larch import Group
    e = LCF_E
    refs = {"NaCl": spectrum(e, ref_a(e), 1077.0), "NTC": spectrum(e, ref_b(e), 1078.0),
            "TaCl5": spectrum(e, ref_c(e), 1080.0)}
    mix = mixture(12)
    mix.norm = mix.norm + 0.05 * ref_c(e)           # a bit of the third one
    ours = linear_combination_fit(mix, refs, energy_range=(1062.0, 1105.0), nonnegative=False)
    group = Group(energy=e, norm=mix.norm)
    comps = [Group(energy=e, norm=refs[k].norm, filename=k) for k in ("NaCl", "NTC", "TaCl5")]
    out = larch_math.lincombo_fit(group, comps, xmin=1062.0, xmax=1105.0, sum_to_one=True)
    theirs = {k: (p.value, p.stderr) for k, p in out.params.items() if k in refs}
    for k in refs:
        f, err = ours.fraction(k)
        assert f == pytest.approx(theirs[k][0], abs=1e-6)
        assert err == pytest.approx(theirs[k][1], rel=1e-3)
    assert ours.rfactor == pytest.approx(out.rfactor, rel=1e-6)
