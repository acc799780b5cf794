"""Band series along a condition: order, carry-over, failures recorded, one table; the splitting test.

The series is five synthetic NaTaCl6-like spectra (counts, fluorescence background, Poisson noise) whose
axial band moves from 400 to 396 cm-1 and broadens from 8 to 14 cm-1 as the temperature rises from 80 to
300 K. Its fitted centre has a standard error of 0.02-0.05 cm-1, so 0.3 cm-1 is six or more of them.
"""

import matplotlib
import numpy as np
import pytest

from structkit.core.errors import ConfigError
from structkit.raman import synthetic_spectrum
from structkit.raman.series import BandSeries, SplitTest, fit_series, splitting_test

matplotlib.use("Agg")

TEMPERATURES = [300.0, 80.0, 200.0, 150.0, 250.0]                      # out of order on purpose
SELECT = ["TaCl_eq_stretch", "A1g_axial_stretch"]
FIT = {"bands": "NaTaCl6", "select": SELECT, "baseline": {"method": "poly", "anchors": [(250, 300), (460, 500)]}}


def _axial(t):
    s = (t - 80.0) / 220.0
    return 400.0 - 4.0 * s, 8.0 + 6.0 * s


def _spectrum(t, seed, **kws):
    c, w = _axial(t)
    return synthetic_spectrum([(360, 14, 4e4), (c, w, 6e4)], x=kws.pop("x", (250, 500)), seed=seed,
                              sample=f"NTC_{t:g}K", conditions={"temperature_K": t}, **kws)


@pytest.fixture(scope="module")
def series():
    spectra = [_spectrum(t, i) for i, t in enumerate(TEMPERATURES)]
    return fit_series(spectra, condition="temperature_K", **FIT)


def test_results_are_sorted_by_the_condition(series):
    assert isinstance(series, BandSeries) and len(series) == 5 and series.failures == ()
    assert [r.conditions["temperature_K"] for r in series.results] == sorted(TEMPERATURES)
    assert [r.sample for r in series.results] == [f"NTC_{t:g}K" for t in sorted(TEMPERATURES)]
    assert series.condition == "temperature_K"
    assert all(r.converged for r in series.results)


def test_centres_and_widths_follow_the_drift(series):
    for r in series.results:
        c, w = _axial(r.conditions["temperature_K"])
        b = r.fit["A1g_axial_stretch"]
        assert abs(b.center - c) < 0.3, (r.sample, b.center, c)
        assert abs(b.center - c) < 5 * b.stderr["center"] + 0.05
        assert b.fwhm == pytest.approx(w, rel=0.06), (r.sample, b.fwhm, w)   # FWHM stderr 0.6-1.2 %
        assert r.fit["TaCl_eq_stretch"].center == pytest.approx(360, abs=0.5)
    centres = [r.fit["A1g_axial_stretch"].center for r in series.results]
    assert np.all(np.diff(centres) < 0)                                  # monotonic red shift with T


def test_to_frame_has_one_row_per_spectrum_and_band(series):
    frame = series.to_frame()
    assert len(frame) == 5 * 2
    assert set(frame.groupby(["sample", "band"]).size()) == {1}
    assert {"file", "sample", "temperature_K", "band", "center_cm1", "center_stderr_cm1", "fwhm_cm1", "area",
            "ratio[axial_over_equatorial_area]", "ratio[axial_over_equatorial_area]_stderr"} <= set(frame.columns)
    assert list(frame["temperature_K"]) == [t for t in sorted(TEMPERATURES) for _ in range(2)]
    axial = frame[frame["band"] == "A1g_axial_stretch"]
    np.testing.assert_allclose(axial["center_cm1"], [r.fit["A1g_axial_stretch"].center for r in series.results])


def test_descriptors_carry_the_condition(series):
    rows = series.descriptors()
    assert rows and len(rows) == sum(len(r.descriptors()) for r in series.results)
    for d in rows:
        assert d.conditions["temperature_K"] in TEMPERATURES
        assert d.sample == f"NTC_{d.conditions['temperature_K']:g}K"
    names = {d.name for d in rows}
    assert {"center_cm1[A1g_axial_stretch]", "fwhm_cm1[A1g_axial_stretch]", "area[TaCl_eq_stretch]",
            "ratio[axial_over_equatorial_height]"} <= names
    t300 = [d for d in rows if d.name == "center_cm1[A1g_axial_stretch]" and d.conditions["temperature_K"] == 300]
    assert len(t300) == 1 and t300[0].value == pytest.approx(396.0, abs=0.3)
    assert "band series of 5 spectra by temperature_K; 0 failed" in series.summary()


def test_plots_are_figures(series):
    import matplotlib.pyplot as plt
    for fig in (series.plot(), series.plot_stack()):
        assert isinstance(fig, matplotlib.figure.Figure) and fig.axes
        plt.close(fig)


def test_input_order_without_a_condition():
    spectra = [_spectrum(t, i) for i, t in enumerate([200.0, 80.0])]
    s = fit_series(spectra, **FIT)
    assert [r.sample for r in s.results] == ["NTC_200K", "NTC_80K"] and s.condition is None
    import matplotlib.pyplot as plt
    fig = s.plot()                                                       # against the index
    assert isinstance(fig, matplotlib.figure.Figure)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------- failures
def test_spectra_that_cannot_be_fitted_are_recorded_and_the_rest_go_on():
    flat = {"background": None}                                       # no baseline needed: FIT without anchors
    fit = {**FIT, "baseline": None}
    good = [_spectrum(t, i, **flat) for i, t in enumerate([80.0, 200.0, 300.0])]
    tiny = _spectrum(150.0, 7, x=(300, 302), **flat)                     # 3 points
    short = _spectrum(100.0, 8, x=(250, 390), **flat)                    # the axial band (395-420) is not in it
    no_t = synthetic_spectrum([(360, 14, 4e4)], x=(250, 500), seed=9, sample="no_T", background=None)
    s = fit_series([good[2], tiny, short, good[0], no_t, good[1]], condition="temperature_K", **fit)
    assert [r.conditions["temperature_K"] for r in s.results] == [80.0, 200.0, 300.0]
    assert all(r.converged for r in s.results)
    failed = dict(s.failures)
    assert set(failed) == {"synthetic:NTC_150K", "synthetic:NTC_100K", "synthetic:no_T"}
    assert "3 points are too few" in failed["synthetic:NTC_150K"]
    assert "band 'A1g_axial_stretch'" in failed["synthetic:NTC_100K"]
    assert "outside the data" in failed["synthetic:NTC_100K"]
    assert "no condition 'temperature_K'" in failed["synthetic:no_T"]
    # the fits after a failure (150 K, between 80 and 200 K) are as good as those before it
    for r in s.results:
        assert abs(r.fit["A1g_axial_stretch"].center - _axial(r.conditions["temperature_K"])[0]) < 0.3
    assert "3 failed" in s.summary() and "FAILED synthetic:no_T" in s.summary()


def test_a_baseline_that_cannot_be_made_is_a_failure_too():
    ok, cut = _spectrum(80.0, 0), _spectrum(200.0, 1, x=(250, 450))      # the 460-500 anchor window is missing
    s = fit_series([cut, ok], condition="temperature_K", **FIT)
    assert [r.sample for r in s.results] == ["NTC_80K"]
    assert s.failures == (("synthetic:NTC_200K",
                           "DataError: synthetic:NTC_200K: anchor window 460-500 holds no data points (data 250-450)"),)


def test_empty_series_is_a_config_error():
    with pytest.raises(ConfigError, match="no spectra"):
        fit_series([], **FIT)


# ------------------------------------------------------------------------------------------------- splitting
def _one_band(seed):
    return synthetic_spectrum([(390, 30, 5e4)], x=(250, 550), background=None, seed=seed)


def _two_bands(seed, fwhm=18.0):
    return synthetic_spectrum([(360, fwhm, 3e4), (420, fwhm, 3e4)], x=(250, 550), background=None, seed=seed)


@pytest.mark.parametrize("seed", range(3))
def test_one_band_is_not_split(seed):
    t = splitting_test(_one_band(seed), (300, 480), baseline=None)
    assert isinstance(t, SplitTest) and not t.split and t.converged
    assert t.window == (300.0, 480.0)
    assert t.fwhm_single == pytest.approx(30, rel=0.05)
    assert t.delta_bic < 10 or t.separation < 0.5 * t.fwhm_single


def test_two_resolved_bands_are_split_when_the_single_fit_takes_one():
    t = splitting_test(_two_bands(seed=1), (300, 480), baseline=None)
    assert t.split and t.separation == pytest.approx(60, abs=1)


def test_two_resolved_broad_bands_are_split():
    t = splitting_test(_two_bands(seed=0, fwhm=30.0), (300, 480), baseline=None)
    assert t.delta_bic > 100 and t.separation == pytest.approx(60, abs=1)   # the two-band fit itself is right
    assert t.split


def test_split_windows_give_split_descriptors():
    spectra = [synthetic_spectrum([(390, 30, 5e4)], x=(250, 550), background=None, seed=i,
                                  sample=f"s{t:g}", conditions={"temperature_K": t})
               for i, t in enumerate([300.0, 80.0])]
    s = fit_series(spectra, condition="temperature_K", peaks=[390], baseline=None, split_windows={"A1g": (300, 480)})
    assert set(s.splits) == {"A1g"} and len(s.splits["A1g"]) == 2
    rows = [d for d in s.descriptors() if "[A1g]" in d.name]
    assert sorted(d.name for d in rows) == ["split[A1g]"] * 2 + ["splitting_cm1[A1g]"] * 2
    for r, test in zip(s.results, s.splits["A1g"]):
        direct = splitting_test(r.spectrum, (300, 480), baseline=None)
        assert test.split == direct.split is False
        assert test.separation == pytest.approx(direct.separation)
        mine = {d.name: d for d in rows if d.conditions == r.conditions}
        assert mine["split[A1g]"].value == 0.0
        assert mine["splitting_cm1[A1g]"].value == pytest.approx(test.separation)
        assert mine["splitting_cm1[A1g]"].unit == "cm-1"


def test_a_splitting_test_that_cannot_run_does_not_abort_the_series():
    spectra = [synthetic_spectrum([(480, 10, 5e4)], x=(400, 550), background=None, seed=i,
                                  conditions={"temperature_K": 100.0 + i}) for i in range(2)]
    s = fit_series(spectra, condition="temperature_K", peaks=[480], baseline=None, split_windows={"w": (440, 480)})
    assert len(s.results) == 2
