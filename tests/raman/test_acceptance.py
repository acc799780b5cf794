"""Issue 7 acceptance on synthetic spectra, a real JASCO spectrum and seed 003's arithmetic.

Synthetic: pseudo-Voigt bands (eta 0.3) on a fluorescence background, Poisson counts, cosmic-ray
spikes of 1-3 points. The band areas give a per-point signal-to-noise of 15-100, where the
statistical errors of the fitted area ratios are 0.6-1.6 %: the 5 % tolerance is the issue's, and
sits 3 or more standard errors away. The baseline adds a systematic 2-4 % to the ratios of broad
bands (measured over 20 spectra: pulls of 3-4 sigma), which the 5 % still contains.
"""

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError, FitError
from structkit.raman import fit_spectrum, load_bands, oxygen_content, remove_spikes, synthetic_spectrum
from structkit.raman.nmr import fit_lines, oxygen_content_from_fit

BANDS = [(128, 18, 2e5), (175, 20, 4e5), (350, 30, 3e5), (405, 8, 2.5e5), (420, 12, 1.5e5), (800, 60, 2.5e5)]
NAMES = ["b128", "b175", "b350", "b405", "b420", "b800"]
STARTS = [{"name": n, "center": c + d} for n, (c, _, _), d in zip(NAMES, BANDS, (2, -3, 2, -1, 1, 5))]


@pytest.fixture(scope="module")
def fits():
    out = []
    for seed in range(4):
        m = synthetic_spectrum(BANDS, x=(100, 1000), step=1.0, eta=0.3, spikes=8, seed=seed)
        r = fit_spectrum(m, peaks=STARTS, despike={"min_width": 6}, shape="pvoigt", sigma="poisson",
                         same_eta=[NAMES])
        out.append((m, r))
    return out


def test_centres_within_half_a_wavenumber(fits):
    for m, r in fits:
        assert r.converged
        for b, t in zip(r.fit.bands, m.meta["truth"]["bands"]):
            assert abs(b.center - t["center"]) < 0.5, (b.name, b.center)


def test_fwhm_within_5_percent(fits):
    for m, r in fits:
        for b, t in zip(r.fit.bands, m.meta["truth"]["bands"]):
            assert abs(b.fwhm / t["fwhm"] - 1) < 0.05, (b.name, b.fwhm, t["fwhm"])


def test_area_ratios_within_5_percent(fits):
    for m, r in fits:
        truth = {n: t["area"] for n, t in zip(NAMES, m.meta["truth"]["bands"])}
        for n in NAMES:
            value, err = r.fit.ratio(n, "b175")
            assert abs(value / (truth[n] / truth["b175"]) - 1) < 0.05, (n, value)
            if n != "b175":
                assert 0 < err < 0.02 * value  # the statistical part is well below the tolerance


def test_every_spike_removed_and_no_band_point_touched(fits):
    for m, r in fits:
        truth = m.meta["truth"]
        clean = truth["signal"] + truth["background"]
        removed = set(r.spikes.indices)
        for i in truth["spike_indices"]:
            excess = (m.y[i] - clean[i]) / np.sqrt(clean[i])
            # every spike point is gone, except tails below the growth bar (3 sigma, widened by the noise
            # of the parabola that predicts the point across the gap: ~5 sigma; measured over 300
            # spectra x 10 spikes, the largest tail left was 5.9 sigma)
            assert i in removed or excess < 6.0, (i, excess)
            assert abs(r.spikes.y_replaced[r.spikes.indices.index(i)] - clean[i]) < 5 * np.sqrt(clean[i]) \
                if i in removed else True
        for i in removed:
            for t in truth["bands"]:
                assert abs(m.x[i] - t["center"]) > 2 * t["fwhm"], (m.x[i], t)


def test_no_false_spikes_on_narrow_intense_bands():
    rng = np.random.default_rng(5)
    for trial in range(30):
        bands = [(c + rng.uniform(-0.5, 0.5), 6 * rng.uniform(1.0, 1.3), 10 ** rng.uniform(3, 6.5),
                  rng.choice([0.0, 0.5, 1.0])) for c in np.arange(150, 950, 60)]
        m = synthetic_spectrum(bands, x=(100, 1000), step=1.0, spikes=0, seed=trial)
        _, report = remove_spikes(m, min_width=6)
        assert report.n == 0, (trial, report.x)


@pytest.mark.reference_data
def test_rampy_ls4_five_gaussians(reference_data):
    """The rampy notebook's model: quadratic baseline on 860-874 and 1300-1330, five Gaussians in 867-1300.

    The notebook's reduced chi-square is sum(r^2 / |y_corr|) / (N - 16) on its unweighted leastsq
    fit: 3.01 (Powell 3.34). Weighting by the same error model, structkit's fit must do no worse.
    """
    from structkit.io import read
    m = read(reference_data / "raman" / "LS4.txt")
    assert len(m) == 3988 and m.x_unit == "cm-1"
    anchors = {"method": "poly", "anchors": [(860, 874), (1300, 1330)], "poly_order": 2}
    from structkit.raman import fit_baseline
    b = fit_baseline(m, **anchors)
    r = fit_spectrum(m, bands="Li2Si4O9_glass", baseline=b, window=(867, 1300), shape="gaussian",
                     sigma=np.sqrt(np.abs(b.corrected.y)))
    f = r.fit
    chi2_notebook = float(np.sum((f.y - f.best_fit) ** 2 / np.abs(f.y)) / (f.x.size - 16))
    assert r.converged and chi2_notebook <= 3.01, chi2_notebook
    assert all(not band.at_bounds for band in f.bands)
    # Q-species ranges of SOURCES.md (Q2 ~950, Q3 ~1050-1100, Q4 ~1150-1200), "about" read as ±25 cm-1
    c = {band.name: band.center for band in f.bands}
    assert 925 <= c["Q2"] <= 975
    assert 1025 <= c["Q3_a"] <= 1125 and 1025 <= c["Q3_b"] <= 1125
    assert 1125 <= c["Q4_a"] <= 1225 and 1125 <= c["Q4_b"] <= 1225


def test_seed003_oxygen_content_arithmetic():
    x, _ = oxygen_content(area_nacl=1.0, area_oxychloride=8.0)
    assert x == pytest.approx(0.0625, abs=1e-12)
    # 1 h sample: x = 0.04 needs NTOC:NaCl = 12.5:1
    assert oxygen_content(area_nacl=1.0, area_oxychloride=12.5)[0] == pytest.approx(0.04)


def test_seed003_lines_fitted_and_x_from_the_fit():
    """23Na at 132.294 MHz: NTOC (-11.18 ppm, 380.15 Hz Lorentzian), NaCl (7.2 ppm), Na2O (55 ppm);
    NTOC:NaCl moles 8:1 (both 1 Na per formula unit)."""
    from structkit.core.lineshapes import lorentzian, pseudo_voigt
    from structkit.core.measurement import Measurement
    nu = 132.294
    x = np.linspace(-80, 100, 9001)
    y = 8000 * lorentzian(x, -11.18, 380.15 / nu) + 1000 * pseudo_voigt(x, 7.2, 0.9, 0.3) \
        + 400 * lorentzian(x, 55, 6.0)
    noise = 0.5
    y = y + np.random.default_rng(3).normal(0, noise, x.size)
    m = Measurement(x, y, x_name="chemical_shift", x_unit="ppm", technique="nmr",
                    meta={"larmor_MHz": nu, "nucleus": "23Na"}, sample="Na2O-NTC-4")
    r = fit_lines(m, lines="Na23_NTOC", nucleus="23Na", field_T=11.7)
    frame = r.to_frame().set_index("band")
    assert frame.loc["NTOC", "fwhm_hz"] == pytest.approx(380.15, abs=1.0)
    assert frame.loc["NTOC", "center_ppm"] == pytest.approx(-11.18, abs=0.01)
    assert frame.loc["NTOC", "eta"] > 0.9                                   # Lorentzian
    xo, err = oxygen_content_from_fit(r)
    assert xo == pytest.approx(0.0625, abs=0.005) and 0 < err < 0.005


@pytest.mark.parametrize("fwhm_hz,center,eta", [(274.99, -10.6, 0.0), (310.34, -11.16, 1.0), (380.15, -11.18, 1.0)])
def test_seed003_linewidths_within_one_hz(fwhm_hz, center, eta):
    from structkit.core.lineshapes import pseudo_voigt
    nu = 132.294
    x = np.linspace(-40, 20, 3001)
    y = 5000 * pseudo_voigt(x, center, fwhm_hz / nu, eta) + np.random.default_rng(1).normal(0, 0.3, x.size)
    r = fit_lines((x, y), larmor_MHz=nu, peaks=[-11.0])
    band = r.fit.bands[0]
    assert band.fwhm * nu == pytest.approx(fwhm_hz, abs=1.0)
    assert band.center == pytest.approx(center, abs=0.01)
    from structkit.raman import line_character
    assert line_character(band.eta) == ("Gaussian" if eta == 0 else "Lorentzian")


# -- bad input -------------------------------------------------------------------------------------
def test_x_not_monotonic_is_an_error():
    x = np.array([1.0, 2.0, 3.0, 2.5, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    with pytest.raises(DataError, match="not strictly increasing|not monotonic"):
        fit_spectrum((x, np.ones_like(x)), peaks=[5.0], baseline=None)


def test_band_outside_the_data_is_an_error():
    m = synthetic_spectrum([(405, 8, 5e4)], x=(300, 500), background=None, seed=0)
    with pytest.raises(FitError, match="outside the data"):
        fit_spectrum(m, peaks=[405, 800], baseline=None)
    with pytest.raises(FitError, match="A1g_axial_stretch|outside"):
        fit_spectrum(m.crop(420, 500), bands="NaTaCl6", select=["A1g_axial_stretch"], baseline=None)


def test_table_naming_an_unknown_band_is_an_error(tmp_path):
    with pytest.raises(FitError, match="no band 'nu9'"):
        load_bands("NaTaCl6").select(["nu9"])
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ntechnique = "raman"\nx_unit = "cm-1"\n[[band]]\nname = "a"\ncenter = 100\n'
                   'range = [90, 110]\nfwhm = 5\nfwhm_range = [1, 10]\nreference = "nowhere"\n'
                   '[[ratio]]\nname = "r"\nnumerator = "a"\ndenominator = "zz"\n')
    with pytest.raises(ConfigError, match="reference 'nowhere'"):
        load_bands(bad)
    with pytest.raises(ConfigError, match="no band table 'NoSuchTable'"):
        load_bands("NoSuchTable")
    m = synthetic_spectrum([(405, 8, 5e4)], x=(300, 500), background=None, seed=0)
    with pytest.raises(FitError, match="not among the bands fitted"):
        fit_spectrum(m, peaks=[{"name": "a", "center": 405}], same_width=[("a", "ghost")], baseline=None)


def test_a_fit_that_diverges_says_so():
    m = synthetic_spectrum([(360, 14, 4e4), (405, 8, 6e4)], x=(250, 500), background=None, seed=0)
    r = fit_spectrum(m, peaks=[300, 480], baseline=None, max_nfev=3)
    assert not r.converged
    assert "converged" not in r.fit.report.message or "NOT" in r.summary()
    for b in r.fit.bands:
        assert np.isfinite(b.center) and np.isfinite(b.area)
    assert all(d.method.endswith(":not-converged") for d in r.descriptors())
