"""Pre-processing of Raman spectra: axis calibration, smoothing, normalisation, cropping, dead pixels.

Tolerances come from the noise put in: a calibration shift must lie within three of its standard errors of
the truth, smoothing must remove the share of white noise a Savitzky-Golay filter removes by construction,
normalisation is arithmetic and is checked to rounding.
"""

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError
from structkit.core.lineshapes import gaussian, pseudo_voigt
from structkit.core.measurement import Measurement
from structkit.raman import (
    REFERENCE_LINES,
    Calibration,
    apply_shift,
    calibrate_shift,
    crop,
    normalize,
    remove_spikes,
    smooth,
    synthetic_spectrum,
)

SI_TRUE, SI_MEASURED = 520.7, 518.9


def _silicon(seed, *, poisson=False):
    """A Si wafer spectrum (pseudo-Voigt, FWHM 3.5 cm-1) measured 1.8 cm-1 low, on a sloping background."""
    rng = np.random.default_rng(seed)
    x = np.arange(480.0, 560.0 + 0.25, 0.5)
    clean = 2e4 * pseudo_voigt(x, SI_MEASURED, 3.5, 0.6) + 200.0 + 0.5 * (x - 520.0)
    y = rng.poisson(clean).astype(float) if poisson else clean + rng.normal(0.0, 20.0, x.size)
    return Measurement(x, y, x_name="raman_shift", x_unit="cm-1", technique="raman", source="si.txt")


# ------------------------------------------------------------------------------------------ calibration
@pytest.mark.parametrize("seed", range(4))
def test_silicon_line_gives_the_shift_within_three_standard_errors(seed):
    # uniform noise (20 counts on a 4400-count line): the unweighted fit's covariance is the right one here
    cal = calibrate_shift(_silicon(seed), "silicon")
    assert isinstance(cal, Calibration) and cal.converged
    assert cal.reference == REFERENCE_LINES["silicon"] == SI_TRUE and cal.line == "silicon"
    assert 0 < cal.stderr < 0.05
    assert abs(cal.shift - (SI_TRUE - SI_MEASURED)) < 3 * cal.stderr, cal
    assert cal.measured + cal.shift == pytest.approx(SI_TRUE, abs=1e-9)


def test_numeric_line_position_is_accepted():
    cal = calibrate_shift(_silicon(0), 520.7)
    assert cal.line == "520.7 cm-1" and cal.shift == pytest.approx(1.8, abs=0.05)


def test_shift_stderr_matches_the_scatter_for_counting_noise():
    # 40 noise realisations: the spread of (shift - truth)/stderr is 1 within ~11 % when stderr is right
    pulls = []
    for seed in range(40):
        cal = calibrate_shift(_silicon(seed, poisson=True))
        pulls.append((cal.shift - (SI_TRUE - SI_MEASURED)) / cal.stderr)
    assert 0.7 < float(np.std(pulls)) < 1.4, np.std(pulls)


def test_apply_shift_moves_the_axis_and_records_it():
    m = _silicon(1)
    cal = calibrate_shift(m)
    out = apply_shift(m, cal)
    np.testing.assert_allclose(out.x, m.x + cal.shift, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(out.y, m.y)
    assert out.meta["shift_calibration_cm1"] == cal.shift
    # the shifted spectrum's line is where it belongs (the shift left on it is zero within its error)
    again = calibrate_shift(out)
    assert abs(again.shift) < 3 * again.stderr
    assert apply_shift(m, -2.5).meta["shift_calibration_cm1"] == -2.5
    assert apply_shift(m, -2.5).x[0] == pytest.approx(m.x[0] - 2.5)


def test_unknown_reference_line_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown reference line 'neon'.*silicon"):
        calibrate_shift(_silicon(0), "neon")


def test_too_few_points_near_the_line_is_a_data_error():
    m = synthetic_spectrum([(405, 9, 5e4)], x=(100, 500), seed=0)        # ends 5.7 cm-1 short of 520.7 - 15
    with pytest.raises(DataError, match="0 points within ±15 of 520.7"):
        calibrate_shift(m, "silicon")
    sparse = _silicon(0)
    sel = slice(None, None, 6)                                           # 3 cm-1 steps: 10 points in ±15
    with pytest.raises(DataError, match="points within ±4"):
        calibrate_shift((sparse.x[sel], sparse.y[sel]), window=4.0)


# ------------------------------------------------------------------------------------------------ smooth
def _band_on_noise(seed=0, noise=2.0):
    x = np.arange(200.0, 600.0 + 0.25, 0.5)
    clean = 1e4 * gaussian(x, 400.0, 12.0)                               # 24 points FWHM, fully inside
    y = clean + np.random.default_rng(seed).normal(0.0, noise, x.size)
    return x, y, clean


def test_savgol_keeps_the_band_area_and_removes_noise():
    x, y, clean = _band_on_noise()
    s = smooth((x, y), method="savgol", window=7, order=2)
    assert s.meta["smoothed"] == "savgol:7"
    # area: the noise adds sqrt(N) * 2 * 0.5 = 20 (0.2 %) to 1e4; savgol keeps moments up to its order
    assert np.trapezoid(s.y, x) == pytest.approx(1e4, rel=0.01)
    assert np.trapezoid(s.y, x) == pytest.approx(np.trapezoid(y, x), rel=1e-3)
    assert s.y.max() == pytest.approx(clean.max(), rel=0.01)              # height kept too
    # noise: a 7-point quadratic Savitzky-Golay filter passes 7/21 of white-noise variance (std x 0.577);
    # over 480 band-free points the measured ratio scatters by ~5 %
    flat = np.abs(x - 400) > 60
    ratio = np.std(s.y[flat] - clean[flat]) / np.std(y[flat] - clean[flat])
    assert 0.5 < ratio < 0.66, ratio


@pytest.mark.parametrize("method", ["moving", "gaussian"])
def test_other_smoothers_reduce_noise(method):
    x, y, clean = _band_on_noise(seed=1)
    s = smooth((x, y), method=method, window=5)
    flat = np.abs(x - 400) > 60
    assert np.std(s.y[flat] - clean[flat]) < 0.8 * np.std(y[flat] - clean[flat])
    assert s.meta["smoothed"] == f"{method}:5"


@pytest.mark.parametrize("kws,match", [
    ({"window": 1}, "window of 1 points"),
    ({"window": 10_000}, "window of 10000 points"),
    ({"window": 3, "order": 3}, "order 3 needs a window > 3"),
    ({"method": "median"}, "unknown method 'median'"),
])
def test_bad_smoothing_settings_are_config_errors(kws, match):
    x, y, _ = _band_on_noise()
    with pytest.raises(ConfigError, match=match):
        smooth((x, y), **kws)


# --------------------------------------------------------------------------------------------- normalize
@pytest.fixture
def small():
    x = np.linspace(0.0, 10.0, 11)
    y = np.array([1, 2, 3, 4, 5, 10, 5, 4, 3, 2, 1], dtype=float)
    return Measurement(x, y, np.full(11, 0.5), x_unit="cm-1", source="small.txt")


def test_normalize_max(small):
    n = normalize(small, "max")
    np.testing.assert_allclose(n.y, small.y / 10.0)
    np.testing.assert_allclose(n.sigma, 0.05)
    assert n.meta["normalised_by"] == "max" and n.meta["normalisation_scale"] == 10.0


def test_normalize_area(small):
    n = normalize(small, "area")
    assert np.trapezoid(n.y, n.x) == pytest.approx(1.0, abs=1e-12)
    assert n.meta["normalisation_scale"] == pytest.approx(39.0)         # trapezoid area of the rows
    np.testing.assert_allclose(n.sigma, 0.5 / 39.0)


def test_normalize_band_window(small):
    n = normalize(small, "band", window=(3.0, 0.0))                    # order of the bounds does not matter
    assert n.meta["normalisation_scale"] == 4.0                          # max inside 0..3
    np.testing.assert_allclose(n.y, small.y / 4.0)
    assert n.y[3] == 1.0 and n.y[5] == 2.5
    np.testing.assert_allclose(n.sigma, 0.125)


def test_normalize_snv(small):
    n = normalize(small, "snv")
    assert np.mean(n.y) == pytest.approx(0.0, abs=1e-12)
    assert np.std(n.y) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(n.sigma, 0.5 / np.std(small.y))


def test_normalize_errors(small):
    with pytest.raises(DataError, match="window .* holds no data"):
        normalize(small, "band", window=(20, 30))
    with pytest.raises(ConfigError, match="needs window"):
        normalize(small, "band")
    with pytest.raises(ConfigError, match="unknown method 'l2'"):
        normalize(small, "l2")
    flat = small.replace(y=np.zeros(11))
    for method in ("max", "area", "snv"):
        with pytest.raises(DataError, match=rf"normalize\({method}\): the scale is 0"):
            normalize(flat, method)
    with pytest.raises(DataError, match="the scale is -1"):
        normalize(small.replace(y=-small.y), "max")


# -------------------------------------------------------------------------------------------------- crop
def test_crop_keeps_the_range_and_refuses_fewer_than_five_points(small):
    out = crop(small, 2, 6)
    np.testing.assert_array_equal(out.x, [2, 3, 4, 5, 6])
    np.testing.assert_array_equal(out.sigma, np.full(5, 0.5))
    with pytest.raises(DataError, match="leaves 4 points"):
        crop(small, 2, 5)
    with pytest.raises(DataError, match="small.txt"):
        crop(small, 2, 5)


# ------------------------------------------------------------------------------------------------ spikes
def _two_bands(seed=4):
    m = synthetic_spectrum([(405, 9, 5e4), (250, 20, 3e4)], x=(100, 600), seed=seed)
    truth = m.meta["truth"]
    return m, truth["signal"] + truth["background"]


def test_dead_pixels_are_found_with_sign_negative():
    m, clean = _two_bands()
    dead = [60, 190, 451]                                               # x = 160, 290, 551: off the bands
    y = m.y.copy()
    y[dead] = 0.2 * clean[dead]
    broken = m.replace(y=y)
    out, report = remove_spikes(broken, sign="negative")
    assert report.indices == tuple(dead)
    assert out.meta["spikes_removed"] == 3
    for i in dead:                                                      # repaired to within the counting noise
        assert abs(out.y[i] - clean[i]) < 4 * np.sqrt(clean[i]), (i, out.y[i], clean[i])
    untouched = np.setdiff1d(np.arange(y.size), dead)
    np.testing.assert_array_equal(out.y[untouched], y[untouched])
    # cosmic-ray mode leaves dips alone
    _, pos = remove_spikes(broken, sign="positive")
    assert not set(pos.indices) & set(dead)


def test_spectrum_without_spikes_is_returned_unchanged():
    for seed in range(3):
        m, _ = _two_bands(seed)
        out, report = remove_spikes(m, sign="both")
        assert report.n == 0 and report.indices == ()
        assert report.summary().startswith("no spikes")
        np.testing.assert_array_equal(out.y, m.y)
        assert out.meta["spikes_removed"] == 0


def test_min_width_below_two_and_a_half_points_is_a_config_error():
    m, _ = _two_bands()                                                 # 1 cm-1 steps
    with pytest.raises(ConfigError, match="min_width=2.0 is 2 points"):
        remove_spikes(m, min_width=2.0)
    remove_spikes(m, min_width=2.6)                                    # just above the limit: accepted
    with pytest.raises(ConfigError, match="sign='up'"):
        remove_spikes(m, sign="up")


@pytest.mark.parametrize("index,sign", [(300, "positive"), (300, "negative")])
def test_spike_on_a_band_flank_replaces_only_the_spike(index, sign):
    m, clean = _two_bands()
    y = m.y.copy()                                                      # x = 400, on the flank of the 405 band
    y[index] = clean[index] + 30 * np.sqrt(clean[index]) if sign == "positive" else 0.2 * clean[index]
    out, report = remove_spikes(m.replace(y=y), sign=sign)
    assert index in report.indices
    for i in report.indices:
        assert abs(out.y[i] - clean[i]) < 4 * np.sqrt(clean[i]), (i, report.indices)
    assert report.indices == (index,)
