"""Unit tests of structkit.tem: spectra, spots, errors, indexing, superstructure, drift, dose series.

Small images (128–384 px) so that the whole file runs in well under 30 s. The acceptance tests
(test_acceptance.py) use an independent forward model; these use simple closed-form images and
structkit.tem.synthetic.
"""

import dataclasses
import math

import numpy as np
import pytest

from structkit.core import DescriptorTable, ImageStack
from structkit.core.errors import ConfigError, DataError, StructkitError
from structkit.tem import (
    DoseSeries,
    FFTResult,
    PowerSpectrum,
    analyze_fft,
    cell_d_spacing,
    dose_series,
    estimate_drift,
    find_spots,
    power_spectrum,
    synthetic_stack,
)

PX = 0.25


def fringes(shape, waves, *, mean=10.0, px=PX):
    """mean · (1 + Σ c cos(2π (gx x + gy y) px + φ)) for waves (d Å, angle deg, contrast[, phase])."""
    ny, nx = shape
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    img = np.ones(shape)
    for w in waves:
        d, ang, c = w[:3]
        ph = w[3] if len(w) > 3 else 0.0
        gx, gy = math.cos(math.radians(ang)) / d, math.sin(math.radians(ang)) / d
        img += c * np.cos(2 * np.pi * (gx * x + gy * y) * px + ph)
    return mean * img


def noisy(shape, waves, electrons, seed, px=PX):
    rng = np.random.default_rng(seed)
    return rng.poisson(fringes(shape, waves, mean=electrons, px=px)).astype(np.float32)


def angle_diff(a, b):
    d = (a - b) % 180.0
    return min(d, 180.0 - d)


# -- power spectrum -------------------------------------------------------------------------
def test_cosine_lands_on_its_k_bin():
    """A fringe with exactly 10 periods across the image: the peak is 10 FFT px right of the centre."""
    n = 128
    x = np.arange(n)
    img = np.ones((n, n)) + np.cos(2 * np.pi * 10 * x / n)[None, :]
    ps = power_spectrum(img, PX)
    cy, cx = ps.center
    assert (cy, cx) == (64, 64)
    assert ps.k_step_x == pytest.approx(1 / (n * PX)) and ps.k_step_y == pytest.approx(1 / (n * PX))
    r, c = np.unravel_index(np.argmax(ps.data), ps.data.shape)
    assert r == cy and abs(c - cx) == 10
    gx, gy = ps.k_at(cy, cx + 10)
    assert gx == pytest.approx(10 / (n * PX)) and gy == 0.0
    assert ps.data[cy, cx + 10] == pytest.approx(ps.data[cy, cx - 10])      # centrosymmetric
    spots = find_spots(ps)
    assert len(spots) == 1
    assert spots[0].d_angstrom == pytest.approx(n * PX / 10, rel=1e-4)


def test_non_square_image_and_region_axes():
    """Rows and columns have their own k step; a region is analysed on its own grid."""
    img = fringes((128, 256), [(3.2, 90.0, 0.3), (5.0, 0.0, 0.3)])
    ps = power_spectrum(img, PX)
    assert ps.k_step_x == pytest.approx(1 / (256 * PX)) and ps.k_step_y == pytest.approx(1 / (128 * PX))
    d = sorted(round(s.d_angstrom, 2) for s in find_spots(ps))
    assert d == [3.2, 5.0]
    sub = power_spectrum(img, PX, region=(0, 96, 40, 200))
    assert sub.shape == (96, 160) and sub.region == (0, 96, 40, 200)
    assert sorted(round(s.d_angstrom, 2) for s in find_spots(sub)) == [3.2, 5.0]
    k, prof = ps.radial_profile()
    assert k.size == prof.size and np.all(np.diff(k) > 0)


def test_windows_and_bad_settings():
    img = fringes((128, 128), [(4.7, 20.0, 0.3)])
    for w in ("hann", "tukey", None):
        s = find_spots(power_spectrum(img, PX, window=w))
        assert abs(s[0].d_angstrom / 4.7 - 1) < 0.01
    with pytest.raises(ConfigError):
        power_spectrum(img, PX, window="kaiser")
    with pytest.raises(ConfigError):
        find_spots(power_spectrum(img, PX), refine="parabola")
    with pytest.raises(DataError, match="region"):
        power_spectrum(img, PX, region=(0, 200, 0, 64))


# -- spots ------------------------------------------------------------------------------------
@pytest.mark.parametrize("refine", ["window", "gaussian", "centroid"])
def test_spots_on_a_clean_image(refine):
    img = fringes((256, 256), [(4.7, 0.0, 0.3, 0.3), (3.3234, 45.0, 0.2, 1.0)])
    spots = find_spots(power_spectrum(img, PX), refine=refine)
    assert len(spots) == 2 and spots[0].d_angstrom > spots[1].d_angstrom     # sorted by d, descending
    tol = 2e-5 if refine == "window" else 3e-3
    assert spots[0].d_angstrom == pytest.approx(4.7, rel=tol)
    assert spots[1].d_angstrom == pytest.approx(3.3234, rel=tol)
    assert angle_diff(spots[1].angle_deg, 45.0) < 0.05
    # the reported error covers the error also without noise (the Gaussian's pixel locking)
    for s, d in zip(spots, (4.7, 3.3234)):
        assert abs(s.d_angstrom - d) < 4 * s.d_stderr_angstrom + 1e-6


def test_spots_on_a_noisy_image():
    img = noisy((256, 256), [(4.7, 15.0, 0.15), (3.3234, 60.0, 0.10)], electrons=8.0, seed=4)
    spots = find_spots(power_spectrum(img, PX))
    assert len(spots) == 2
    for s, (d, a) in zip(spots, ((4.7, 15.0), (3.3234, 60.0))):
        assert abs(s.d_angstrom / d - 1) < 0.003
        assert angle_diff(s.angle_deg, a) < 0.5
        assert s.friedel and s.snr > 6 and s.intensity > 0
        assert abs(s.d_angstrom - d) < 4 * s.d_stderr_angstrom


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 120.0, 150.0, -30.0])
def test_angle_convention(angle):
    """angle = atan2(gy, gx) folded into [0, 180), gx along the columns, gy down the rows."""
    img = fringes((192, 192), [(4.0, angle, 0.3)])
    s = find_spots(power_spectrum(img, PX))[0]
    want = angle % 180.0
    assert angle_diff(s.angle_deg, want) < 0.02 and 0.0 <= s.angle_deg < 180.0
    assert math.degrees(math.atan2(s.gy, s.gx)) % 180.0 == pytest.approx(s.angle_deg, abs=1e-9)
    g = (math.cos(math.radians(angle)) / 4.0, math.sin(math.radians(angle)) / 4.0)
    assert min(math.hypot(s.gx - g[0], s.gy - g[1]), math.hypot(s.gx + g[0], s.gy + g[1])) < 1e-3


def test_friedel_merge_cancels_an_offset_zero_frequency():
    """With the zero frequency one pixel off, each mate is off, but g = (g₊ − g₋)/2 is not."""
    img = noisy((256, 256), [(4.7, 28.6, 0.3)], electrons=5.0, seed=0)
    ps = power_spectrum(img, PX)
    good = find_spots(ps)[0]
    shifted = dataclasses.replace(ps, data=np.roll(ps.data, (1, -1), axis=(0, 1)))
    merged = find_spots(shifted)[0]
    assert merged.friedel
    assert merged.d_angstrom == pytest.approx(good.d_angstrom, rel=1e-6)
    assert merged.angle_deg == pytest.approx(good.angle_deg, abs=1e-5)
    # one mate alone would be off by a whole pixel
    row, col = good.row, good.col
    one = ps.k_at(row + 1, col - 1)
    assert abs(1 / math.hypot(*one) - good.d_angstrom) > 10 * good.d_stderr_angstrom


@pytest.mark.parametrize("refine", ["window", "gaussian"])
def test_d_stderr_is_honest(refine):
    """Over repeated noise realisations the scatter of d matches the reported error (factor < 1.6)."""
    g = (4.7, 20.0)
    ds, es = [], []
    for seed in range(30):
        img = noisy((256, 256), [(4.7, 20.0, 0.2, 0.7 * seed), (4.7, 110.0, 0.2, 1.3 * seed)], electrons=1.0,
                    seed=100 + seed)
        spots = find_spots(power_spectrum(img, PX), refine=refine, d_min_angstrom=4.0, d_max_angstrom=6.0)
        s = min(spots, key=lambda t: angle_diff(t.angle_deg, g[1]))
        ds.append(s.d_angstrom)
        es.append(s.d_stderr_angstrom)
    scatter = np.std(ds, ddof=1)
    reported = math.sqrt(np.mean(np.square(es)))
    assert 1 / 1.6 < scatter / reported < 1.6, (scatter, reported)
    assert abs(np.mean(ds) - 4.7) < 3 * scatter / math.sqrt(len(ds)) + 0.002 * 4.7


def test_no_spot_above_noise_is_a_data_error():
    img = np.random.default_rng(3).poisson(2.0, (256, 256)).astype(float)
    with pytest.raises(DataError, match="no spot above noise") as exc:
        analyze_fft(ImageStack(img, pixel_size_angstrom=PX, source="noise.tif"))
    assert "noise.tif" in str(exc.value) and "threshold" in str(exc.value)


def test_pixel_size_missing():
    img = fringes((128, 128), [(4.7, 0.0, 0.3)])
    with pytest.raises(DataError, match="pixel size"):
        power_spectrum(img)
    with pytest.raises(DataError, match="pixel size") as exc:
        analyze_fft(ImageStack(img, source="nopx.tif"))
    assert "nopx.tif" in str(exc.value)
    with pytest.raises(DataError, match="pixel size"):
        dose_series(ImageStack(np.stack([img, img]), dose_per_frame_e_per_A2=1.0), track=(4.7,))
    # an explicit pixel size overrides / supplies the calibration
    assert analyze_fft(ImageStack(img), PX).spots[0].d_angstrom == pytest.approx(4.7, rel=1e-3)


# -- indexing and superstructure ------------------------------------------------------------------
def test_cell_d_spacing():
    assert cell_d_spacing(4.7, (1, 0, 0)) == pytest.approx(4.7)
    assert cell_d_spacing(4.7, (1, 1, 0)) == pytest.approx(4.7 / math.sqrt(2))
    assert cell_d_spacing((3.0, 3.0, 5.0, 90, 90, 120), (1, 0, 0)) == pytest.approx(3.0 * math.sqrt(3) / 2)
    with pytest.raises(ConfigError):
        cell_d_spacing((3.0, 4.0), (1, 0, 0))


def test_indexing_against_a_cubic_cell():
    """a = 4.7 Å: (100) and (010) at 90°, (110) at 45° to both."""
    a = 4.7
    img = noisy((256, 256), [(a, 10.0, 0.2), (a, 100.0, 0.2), (a / math.sqrt(2), 55.0, 0.15)], electrons=4.0, seed=1)
    r = analyze_fft(img, PX, cell=a)
    assert len(r.spots) == 3
    fams = [tuple(sorted(abs(h) for h in cands[0][0])) for cands in r.indexing]
    assert fams == [(0, 0, 1), (0, 0, 1), (0, 1, 1)]
    assert r.indexing[2][0][1] == pytest.approx(a / math.sqrt(2))
    angles = sorted(round(p.calculated_angle_deg, 6) for p in r.pairs)
    assert angles == [45.0, 45.0, 90.0]
    for p in r.pairs:
        assert p.consistent and abs(p.measured_angle_deg - p.calculated_angle_deg) < 0.5
        i, j, meas, calc = p[:4]
        assert (i, j) == (p.i, p.j)
    assert not r.superstructure and r.superstructure_spots == ()


def test_superstructure_present_and_absent():
    a = 4.7
    base = [(a, 15.0, 0.2), (a / math.sqrt(2), 60.0, 0.15)]
    with_sup = analyze_fft(noisy((256, 256), base + [(2 * a, 15.0, 0.08)], electrons=5.0, seed=7), PX, cell=a)
    assert with_sup.superstructure and len(with_sup.superstructure_spots) == 1
    s = with_sup.superstructure_spots[0]
    assert abs(s.d_angstrom / (2 * a) - 1) < 0.003 and angle_diff(s.angle_deg, 15.0) < 1.0
    assert with_sup.superstructure_hkl == ((0.5, 0.0, 0.0),)
    assert with_sup.indexing[with_sup.superstructure_index[0]] == ()       # no integer (hkl) explains it
    without = analyze_fft(noisy((256, 256), base, electrons=5.0, seed=7), PX, cell=a)
    assert not without.superstructure and without.superstructure_spots == ()
    # without a cell: a spot at half the g of a stronger spot along the same direction
    assert analyze_fft(noisy((256, 256), base + [(2 * a, 15.0, 0.08)], electrons=5.0, seed=7), PX).superstructure
    assert not analyze_fft(noisy((256, 256), base, electrons=5.0, seed=7), PX).superstructure


def test_fft_result_tables_and_descriptors():
    img = ImageStack(noisy((256, 256), [(4.7, 0.0, 0.2), (4.7, 90.0, 0.2)], electrons=4.0, seed=2),
                     pixel_size_angstrom=PX, sample="NNB", source="img.tif", conditions={"temperature_K": 100})
    r = analyze_fft(img, cell=4.7)
    assert isinstance(r, FFTResult) and isinstance(r.power, PowerSpectrum)
    df = r.to_frame()
    for col in ("d_angstrom", "d_stderr_angstrom", "angle_deg", "intensity", "snr", "hkl", "superstructure"):
        assert col in df.columns
    rows = r.descriptors()
    names = [x.name for x in rows]
    assert names[:4] == ["d_angstrom[1]", "angle_deg[1]", "d_angstrom[2]", "angle_deg[2]"]
    assert {"superstructure", "information_limit_angstrom", "n_spots"} <= set(names)
    assert all(x.technique == "tem" and x.sample == "NNB" and x.source == "img.tif" for x in rows)
    assert rows[0].conditions["temperature_K"] == 100.0 and np.isfinite(rows[0].stderr)
    wide = DescriptorTable.from_rows(rows).to_wide()
    assert wide.loc[0, "n_spots"] == 2.0
    assert "HRTEM FFT" in r.summary() and "<pre>" in r._repr_html_()


# -- drift -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shift", [(0.37, -1.21), (2.5, 3.75), (-0.04, 0.13)])
def test_drift_of_a_known_subpixel_shift(shift):
    """A textured (non-periodic) field moved by a sub-pixel shift: recovered within 0.05 px."""
    from scipy.ndimage import fourier_shift, gaussian_filter

    rng = np.random.default_rng(11)
    big = gaussian_filter(rng.normal(size=(384, 384)), 2.0)
    moved = np.fft.ifft2(fourier_shift(np.fft.fft2(big), shift)).real
    a, b = big[64:320, 64:320], moved[64:320, 64:320]       # crops: not periodic
    d = estimate_drift(ImageStack(np.stack([a, b, a])))
    assert d.shape == (3, 2)
    np.testing.assert_allclose(d[0], 0.0)
    np.testing.assert_allclose(d[1], shift, atol=0.05)
    np.testing.assert_allclose(d[2], 0.0, atol=0.05)


def test_drift_on_a_synthetic_stack():
    s = synthetic_stack(shape=(256, 256), n_frames=6, drift_px_per_frame=(0.8, -1.3), electrons_per_A2_scale=64.0,
                        texture=0.2, texture_px=3.0, seed=5)
    d = estimate_drift(s)
    np.testing.assert_allclose(d, s.meta["truth"]["drift_px"], atol=0.3)


# -- dose series -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def series_stack():
    return synthetic_stack(shape=(256, 256), n_frames=16, dose_per_frame_e_per_A2=4.0, electrons_per_A2_scale=16.0,
                           expansion_per_e_per_A2=(0.0, 0.001), critical_dose_e_per_A2=(40.0, 60.0),
                           sample="NNB", source="series.mrc", seed=9)


@pytest.fixture(scope="module")
def series(series_stack):
    return dose_series(series_stack, track=(4.7, 4.7), angles=(0.0, 90.0))


def test_dose_series_recovers_the_truth(series_stack, series):
    truth = series_stack.meta["truth"]
    assert isinstance(series, DoseSeries)
    np.testing.assert_allclose(series.dose_e_per_A2, truth["mid_frame_dose_e_per_A2"])
    assert [t.label for t in series.tracks] == ["4.70A@0deg", "4.70A@90deg"]
    final = truth["final_dose_e_per_A2"]
    for k, t in enumerate(series.tracks):
        rate = truth["expansion_per_e_per_A2"][k]
        assert t.found.all()
        err = t.d_angstrom - truth["d_angstrom"][:, k]
        assert np.all(np.abs(err / truth["d_angstrom"][:, k]) < 0.005) and np.all(np.abs(err) < 4 * t.d_stderr_angstrom)
        assert abs(t.d0_angstrom / 4.7 - 1) < 0.003
        assert abs(t.strain_rate_per_e_per_A2 - rate) < 4 * t.strain_rate_stderr_per_e_per_A2
        e, se = t.expansion_at(final)
        assert abs(e - rate * final) < 0.005 and abs(e - rate * final) < 4 * se
        assert t.final_dose_e_per_A2 == final and t.final_expansion_percent == pytest.approx(100 * e)
        dc = truth["critical_dose_e_per_A2"][k]
        assert abs(t.critical_dose_e_per_A2 - dc) < 4 * t.critical_dose_stderr_e_per_A2
        assert abs(t.critical_dose_e_per_A2 / dc - 1) < 0.25
        assert t.strain[0] == pytest.approx((t.d_angstrom[0] - t.d0_angstrom) / t.d0_angstrom)
    assert series.drift_px is None                      # no region: the power spectrum ignores a shift


def test_dose_series_tables_descriptors_and_summary(series_stack, series):
    df = series.to_frame()
    assert len(df) == 2 * series_stack.n_frames
    assert list(df.columns) == ["frame", "dose_e_per_A2", "track", "d_angstrom", "d_stderr_angstrom", "strain",
                                "strain_stderr", "spot_intensity", "spot_intensity_stderr", "found"]
    rows = series.descriptors()
    lab = series.tracks[1].label
    per_frame = [r for r in rows if r.name == f"strain[{lab}]"]
    assert len(per_frame) == series_stack.n_frames
    assert per_frame[3].conditions["dose_e_per_A2"] == pytest.approx(series.dose_e_per_A2[3])
    summary = {r.name: r for r in rows if "dose_e_per_A2" not in r.conditions}
    for key in ("d0_angstrom", "strain_rate_per_e_per_A2", "expansion_percent_final", "critical_dose_e_per_A2"):
        assert f"{key}[{lab}]" in summary
    assert all(r.technique == "tem" and r.sample == "NNB" for r in rows)
    table = DescriptorTable.from_rows(rows)
    assert "dose_e_per_A2" in table.condition_columns
    text = series.summary()
    assert "4.70A@90deg" in text and "critical dose" in text and str(series) == text


def test_dose_series_with_a_fading_spot_and_a_region():
    """A spot that sinks below the noise: those frames are 'not found' (NaN d) but keep an intensity,
    which still constrains the critical dose; the region follows the drift."""
    s = synthetic_stack(shape=(256, 256), n_frames=12, dose_per_frame_e_per_A2=4.0, electrons_per_A2_scale=16.0,
                        expansion_per_e_per_A2=(0.0, 0.0), critical_dose_e_per_A2=(60.0, 4.0),
                        drift_px_per_frame=(0.6, -0.4), texture=0.2, seed=2)
    r = dose_series(s, track=(4.7, 4.7), angles=(0.0, 90.0), region=(24, 232, 24, 232))
    fading = r.tracks[1]
    assert fading.found[:3].all() and not fading.found[-3:].any()
    assert np.isnan(fading.d_angstrom[~fading.found]).all()
    assert np.isfinite(fading.intensity).all()
    assert any("below the noise" in m for m in fading.messages)
    assert abs(fading.critical_dose_e_per_A2 / 4.0 - 1) < 0.3
    assert r.tracks[0].found.all()
    assert r.drift_px is not None and r.drift_px.shape == (12, 2)
    np.testing.assert_allclose(r.drift_px, s.meta["truth"]["drift_px"], atol=1.0)


def test_dose_series_options(series_stack):
    r = dose_series(series_stack, track=4.7, angles=90.0, d0=4.7, dose_per_frame=2.0, bin=2, critical_dose=False,
                    refine="gaussian")
    t = r.tracks[0]
    assert r.n_frames == 8 and r.dose_e_per_A2[0] == pytest.approx(2.0)           # 2 frames of 2 e/Å² binned
    assert t.d0_angstrom == 4.7 and t.d0_stderr_angstrom == 0.0
    assert np.isnan(t.critical_dose_e_per_A2)
    names = {row.name.split("[")[0] for row in r.descriptors()}
    assert "critical_dose_e_per_A2" not in names and "expansion_percent_final" in names
    assert "critical dose not fitted" in r.summary() and "nan" not in r.summary()
    with pytest.raises(ConfigError):
        dose_series(series_stack, track=(4.7, 4.7), angles=(0.0,))


def test_dose_series_errors(series_stack):
    one = ImageStack(np.asarray(series_stack.data)[:1], pixel_size_angstrom=PX, dose_per_frame_e_per_A2=1.0)
    with pytest.raises(DataError, match="at least 2 frames"):
        dose_series(one, track=(4.7,))
    with pytest.raises(DataError, match="dose"):
        dose_series(series_stack.replace(dose_per_frame_e_per_A2=None), track=(4.7,))
    with pytest.raises(DataError) as exc:
        dose_series(series_stack, track=(6.0,))
    msg = str(exc.value)
    assert "6" in msg and "4.7" in msg and "series.mrc" in msg
    with pytest.raises(DataError, match="near 45"):
        dose_series(series_stack, track=(4.7,), angles=(45.0,))
    with pytest.raises(StructkitError):
        dose_series(np.zeros((3, 64, 64)), track=(4.7,))


# -- figures -------------------------------------------------------------------------------------
def test_plots_return_figures(series_stack, series):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    r = analyze_fft(series_stack, cell=4.7)
    figs = [r.plot(), r.power.plot(spots=r.spots), series.plot(), series.plot_fft(series_stack, frame=3)]
    assert all(isinstance(f, Figure) for f in figs)
    for f in figs:
        plt.close(f)


def test_faded_frames_are_not_fitted_and_keep_their_intensity_at_the_spot():
    """Dc = 8 e/A^2 over 40 e/A^2: the spots fade below the 5 sigma threshold halfway. Those boxes are
    not fitted (their intensity is summed where the spot is expected), the frames are reported as not
    found, and I(D) still gives Dc within 3 standard errors of the truth."""
    from structkit.tem.fft import _Background, _fit_box, _kernel

    s = synthetic_stack(shape=(512, 512), n_frames=40, critical_dose_e_per_A2=(8.0, 8.0),
                        dose_per_frame_e_per_A2=1.0, seed=3)
    r = dose_series(s, track=(4.7, 4.7), angles=(0.0, 90.0))
    for t in r.tracks:
        assert 10 <= t.n_found < 40 and not t.found[-5:].any()
        assert any("below the noise" in m for m in t.messages)
        assert np.isfinite(t.intensity).all()
        assert abs(t.critical_dose_e_per_A2 - 8.0) < 3 * t.critical_dose_stderr_e_per_A2
    rng = np.random.default_rng(0)
    noise = rng.exponential(1.0, size=(7, 7))
    k = _kernel("hann", 512)
    fit = _fit_box(noise, _Background.constant(1.0, 0.0, noise.size), k, k, "window", "noise box", min_snr=5.0)
    assert not fit.ok and "below the threshold" in fit.message and np.isfinite(fit.intensity)
