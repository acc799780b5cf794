"""HRTEM acceptance (issue 10) on image series from the independent oracle (tests/tem/_oracle.py).

The issue's criterion: synthetic stacks built by the tests (lattice fringes with known spacings along
two directions, one expanding linearly with dose, spot intensities decaying exponentially, shot noise at
a low-dose level, a little drift): d within 0.3 %, expansion at the final dose within 0.5 percentage
points, critical dose within 10 %, the superstructure spot found when present and not found when
absent; bad input (no spots above noise, pixel size missing, a stack of one frame for a dose series)
gives a clear StructkitError.

The specimen is the seed's: Na2NH2BH4, cubic anti-perovskite a = 4.70 A, seen down [001] (K2 counting
camera, 300 kV): the {100} fringes (4.70 A) along 15 deg and 105 deg, {110} (3.323 A) along 60 deg,
a (1/2 0 0) superstructure (9.40 A = 2a) along the (100) direction. The oracle builds each frame as the
exposure- and pixel-averaged intensity 1 + sum_j c_j(D) cos(2 pi g_j(D).(r - s(t))) and draws Poisson
counts at the frame's dose (see the oracle's docstring), so nothing here shares code with structkit.tem.

Test parameters and why they can meet the tolerances (``oracle.expected_peak_snr``: the peak power of
a spot over the mean shot-noise power with a Hann window, N_e c^2 / 9 for N_e electrons in the field; up
to x 0.52 less for a spot between Fourier pixels; ``oracle.critical_dose_precision``: the Cramer-Rao
bound on Dc from the fringe amplitudes, with the Hann window's 4/9 efficiency):

* SINGLE: one low-dose image, 512^2 px of 0.25 A, 20 e/A^2, (100) c = 0.15, (110) c = 0.10, drift
  0.36 A during the exposure. Spot SNR 816 and 363 (>= 190 off-grid); the superstructure fringe
  c = 0.06 gives SNR 131 (>= 68): well above any threshold of ~6-15 x noise, weak next to (100).
* FRAME SUM: ten 2 e/A^2 frames of the same field drifting 0.1 px/frame (motion-uncorrected sum),
  the spots fading with Dc = 60 e/A^2: SNR of the sum 690 and 307.
* SERIES (the main dose series): 40 frames of 4 e/A^2 (160 e/A^2 = 2.7 Dc), 512^2 px of 0.6 A,
  c0 = 0.20 on both {100}; (100) expands by 0.045 %/(e/A^2) (7.2 % at 160 e/A^2), Dc = 60; (010)
  does not expand, Dc = 70. Spot SNR 1671 in frame 0, 120 / 175 in the last frame; the Dc bound is
  1.4 % / 1.5 %, so 10 % is ~7 sigma of the best possible estimate (over 12 other noise seeds the
  module's Dc scattered by 1.0 % / 2.6 %). Smooth drift of (dy, dx) = (-5.4, 12.0) px over the series.
* REGION: a 240 x 240 A crystal in a 307 A field (0.6 A/px, mass contrast 0.1, fringes only inside)
  on an amorphous support (random texture of 8 % rms at 12-60 A, below the lattice frequencies: the
  non-periodic detail any drift measurement needs; a lattice alone is periodic), drifting 41 px along
  x and 17 px along y; the analysis box is the crystal in frame 0 (400^2 px). Spot SNR 1019 in frame
  0, 143 at the end; Dc bound 2.3 %.
* SEED: the seed's numbers, Dc = 60 e/A^2 and a unidirectional expansion of 7.5 % at 21.5 e/A^2 on
  4.5 A spots, next to non-expanding {100} at 4.70 A: 20 frames of 1.075 e/A^2 (21.5 e/A^2 in all),
  512^2 px of 0.5 A, c0 = 0.2: spot SNR 312 per frame.
  Over 21.5 e/A^2 the spots fade only to exp(-21/60) = 70 %, and the Dc bound is 19 %: no method can
  give 10 % from this series, so here Dc is checked against its own standard error only; the 10 %
  criterion is the SERIES and REGION tests (which run to 2.7 and 2 Dc, as a Dc measurement must).
"""

import math

import numpy as np
import pytest
from scipy import ndimage

from structkit.core import ImageStack
from structkit.core.errors import DataError, StructkitError
from structkit.tem import analyze_fft, dose_series, find_spots, power_spectrum
from oracle_loader import load_oracle




oracle = load_oracle("tem")
F = oracle.Fringe
A = 4.70                                     # Na2NH2BH4 cubic cell (A)
D_TOL = 0.003                                # issue: d within 0.3 %
STRAIN_TOL = 0.005                           # issue: expansion within 0.5 percentage points
DC_TOL = 0.10                                # issue: critical dose within 10 %
PULL = 4.0                                   # |error| < 4 reported standard errors

F100 = dict(d0_angstrom=A, angle_deg=15.0)
F010 = dict(d0_angstrom=A, angle_deg=105.0)
F110 = dict(d0_angstrom=A / math.sqrt(2), angle_deg=60.0)
SUPER = dict(d0_angstrom=2 * A, angle_deg=15.0)


def angle_diff(a, b):
    """Difference of two reflection angles folded into [0, 180): at most 90 deg."""
    d = (a - b) % 180.0
    return min(d, 180.0 - d)


def nearest_spot(spots, d, angle):
    """The spot closest to (d, angle): relative d difference + angle difference (per 10 deg)."""
    return min(spots, key=lambda s: abs(s.d_angstrom / d - 1) + angle_diff(s.angle_deg, angle) / 10.0)


def report_spots(spots):
    for s in spots:
        print(f"  d {s.d_angstrom:.4f} +- {s.d_stderr_angstrom:.4f} A, angle {s.angle_deg:.2f} "
              f"+- {s.angle_stderr_deg:.2f} deg, snr {s.snr:.0f}, friedel {s.friedel}")


# -- data sets -------------------------------------------------------------------------------------
def single_image(superstructure, seed=101):
    fr = [F(**F100, contrast=0.15, phase_rad=0.4), F(**F110, contrast=0.10, phase_rad=2.0)]
    if superstructure:
        fr.append(F(**SUPER, contrast=0.06, phase_rad=1.0))
    return oracle.make_stack(shape=(512, 512), px=0.25, n_frames=1, dose_per_frame=20.0, fringes=fr,
                             drift=oracle.Drift(velocity=(0.3, -0.2)), seed=seed, sample="single")


@pytest.fixture(scope="module")
def single():
    return single_image(False)


@pytest.fixture(scope="module")
def single_super():
    return single_image(True)


@pytest.fixture(scope="module")
def frame_stack():
    fr = [F(**F100, contrast=0.15, critical_dose_e_per_A2=60.0),
          F(**F110, contrast=0.10, critical_dose_e_per_A2=60.0, phase_rad=1.0)]
    return oracle.make_stack(shape=(512, 512), px=0.25, n_frames=10, dose_per_frame=2.0, fringes=fr,
                             drift=oracle.Drift(velocity=(0.02, 0.015), wobble=(0.01, -0.01)), seed=202,
                             sample="frames")


SERIES_FRINGES = (F(**F100, contrast=0.20, expansion_per_e_per_A2=0.00045, critical_dose_e_per_A2=60.0,
                    phase_rad=0.3),
                  F(**F010, contrast=0.20, critical_dose_e_per_A2=70.0, phase_rad=1.1))
SERIES_PX = 0.6
SERIES_DRIFT = oracle.Drift(velocity=(0.15, -0.1), acceleration=(0.002, 0.001), wobble=(0.3, 0.2),
                            period_frames=25.0)


@pytest.fixture(scope="module")
def series_data():
    return oracle.make_stack(shape=(512, 512), px=SERIES_PX, n_frames=40, dose_per_frame=4.0, fringes=SERIES_FRINGES,
                             drift=SERIES_DRIFT, seed=303, sample="series", source="oracle-series")


@pytest.fixture(scope="module")
def series(series_data):
    stack, _ = series_data
    return dose_series(stack, track=(A, A), angles=(15.0, 105.0))


# -- d-spacings ------------------------------------------------------------------------------------
def test_single_image_d_spacings_within_03_percent(single):
    """Both directions of one low-dose image: d within 0.3 %, the angle within 0.5 deg (the convention:
    atan2(gy, gx) with y down the rows), and nothing else above threshold."""
    stack, truth = single
    res = analyze_fft(stack)
    report_spots(res.spots)
    for f in truth["fringes"]:
        s = nearest_spot(res.spots, f.d0_angstrom, f.angle_deg)
        err = s.d_angstrom / f.d0_angstrom - 1
        print(f"d {f.d0_angstrom:.4f}: measured {s.d_angstrom:.4f} +- {s.d_stderr_angstrom:.4f} ({100 * err:+.3f} %)")
        assert abs(err) < D_TOL
        assert angle_diff(s.angle_deg, f.angle_deg) < 0.5
    # d descending, as the contract sorts them
    assert [s.d_angstrom for s in res.spots] == sorted((s.d_angstrom for s in res.spots), reverse=True)
    assert len(res.spots) == 2, "spots found where the image has none (shot noise above threshold)"
    assert not res.superstructure


def test_single_image_power_spectrum_and_find_spots(single):
    """The lower-level route gives the same two reflections; the spectrum's k axis is 1/(n px)."""
    stack, truth = single
    ps = power_spectrum(stack)
    assert ps.data.shape == (512, 512)
    assert ps.k_step_x == pytest.approx(1 / (512 * 0.25))
    spots = find_spots(ps, d_min_angstrom=2.0, d_max_angstrom=12.0)
    assert len(spots) == 2
    for f in truth["fringes"]:
        s = nearest_spot(spots, f.d0_angstrom, f.angle_deg)
        assert abs(s.d_angstrom / f.d0_angstrom - 1) < D_TOL
        gx, gy = f.g_at(0.0)
        # the spot's g is +-(gx, gy) (a reflection and its Friedel mate are one spot)
        assert min(math.hypot(s.gx - gx, s.gy - gy), math.hypot(s.gx + gx, s.gy + gy)) < D_TOL / f.d0_angstrom


def test_frame_sum_d_spacings_within_03_percent(frame_stack):
    """A motion-uncorrected sum of ten drifting, fading low-dose frames: d within 0.3 %."""
    stack, truth = frame_stack
    res = analyze_fft(stack.summed())
    report_spots(res.spots)
    for f in truth["fringes"]:
        s = nearest_spot(res.spots, f.d0_angstrom, f.angle_deg)
        assert abs(s.d_angstrom / f.d0_angstrom - 1) < D_TOL
        assert angle_diff(s.angle_deg, f.angle_deg) < 0.5


def test_indexing_with_the_cell(single):
    """With cell = 4.70 A the spots index as {100} and {110} and their angle is 45 deg."""
    stack, truth = single
    res = analyze_fft(stack, cell=A)
    fams = []
    for s, cands in zip(res.spots, res.indexing):
        assert cands, f"spot at d = {s.d_angstrom:.3f} A not indexed"
        hkl = cands[0][0]
        fams.append(tuple(sorted(abs(int(round(h))) for h in hkl)))
    assert fams == [(0, 0, 1), (0, 1, 1)]
    assert res.pairs, "no inter-planar angle checked"
    i, j, measured, calc = res.pairs[0][:4]
    assert calc == pytest.approx(45.0, abs=1e-6)
    assert measured == pytest.approx(45.0, abs=1.0)


# -- superstructure --------------------------------------------------------------------------------
def test_superstructure_found_when_present(single_super):
    stack, truth = single_super
    res = analyze_fft(stack, cell=A)
    report_spots(res.spots)
    assert res.superstructure
    assert len(res.superstructure_spots) == 1
    s = res.superstructure_spots[0]
    assert abs(s.d_angstrom / (2 * A) - 1) < D_TOL
    assert angle_diff(s.angle_deg, 15.0) < 1.0
    assert {r.name: r.value for r in res.descriptors()}["superstructure"] == 1.0


def test_superstructure_not_found_when_absent(single):
    stack, _ = single
    res = analyze_fft(stack, cell=A)
    assert not res.superstructure
    assert res.superstructure_spots == ()
    assert {r.name: r.value for r in res.descriptors()}["superstructure"] == 0.0


# -- dose series -------------------------------------------------------------------------------------
def _track_report(tr, truth_d0, truth_rate, truth_dc):
    e, se = tr.expansion_at(truth_rate[1])
    print(f"{tr.label}: d0 {tr.d0_angstrom:.4f} +- {tr.d0_stderr_angstrom:.4f} (true {truth_d0:.4f}); "
          f"rate {tr.strain_rate_per_e_per_A2:.3e} +- {tr.strain_rate_stderr_per_e_per_A2:.1e} (true {truth_rate[0]:.3e}); "
          f"strain at {truth_rate[1]:.1f} e/A2 {100 * e:.3f} +- {100 * se:.3f} % "
          f"(true {100 * truth_rate[0] * truth_rate[1]:.3f} %); Dc {tr.critical_dose_e_per_A2:.2f} "
          f"+- {tr.critical_dose_stderr_e_per_A2:.2f} (true {truth_dc:.1f}); found {int(tr.found.sum())}/{tr.found.size}")


def check_track(tr, fringe, final_dose, *, check_dc=True):
    """Expansion at the final dose within 0.5 pp and 4 sigma; d0 within 0.3 %; Dc within 10 % and 4 sigma."""
    e_true = fringe.expansion_per_e_per_A2 * final_dose
    _track_report(tr, fringe.d0_angstrom, (fringe.expansion_per_e_per_A2, final_dose), fringe.critical_dose_e_per_A2)
    e, se = tr.expansion_at(final_dose)
    assert abs(e - e_true) < STRAIN_TOL
    assert se > 0 and abs(e - e_true) < PULL * se
    # the reported final expansion is the same straight line at the end of the last frame
    assert tr.final_dose_e_per_A2 == pytest.approx(final_dose)
    assert abs(tr.final_expansion_percent / 100 - e_true) < STRAIN_TOL
    assert abs(tr.d0_angstrom / fringe.d0_angstrom - 1) < D_TOL
    assert abs(tr.d0_angstrom - fringe.d0_angstrom) < PULL * tr.d0_stderr_angstrom
    rate_err = tr.strain_rate_per_e_per_A2 - fringe.expansion_per_e_per_A2
    assert abs(rate_err) < PULL * tr.strain_rate_stderr_per_e_per_A2
    dc, sdc = tr.critical_dose_e_per_A2, tr.critical_dose_stderr_e_per_A2
    assert np.isfinite(dc) and sdc > 0
    assert abs(dc - fringe.critical_dose_e_per_A2) < PULL * sdc
    if check_dc:
        assert abs(dc / fringe.critical_dose_e_per_A2 - 1) < DC_TOL


def test_series_axis_and_tracks(series_data, series):
    stack, truth = series_data
    np.testing.assert_allclose(series.dose_e_per_A2, truth["mid_dose"])
    assert len(series.tracks) == 2
    assert angle_diff(series.tracks[0].angle_deg, 15.0) < 1.0
    assert angle_diff(series.tracks[1].angle_deg, 105.0) < 1.0
    for tr in series.tracks:
        assert tr.found.all(), "a spot with SNR >= 60 was marked not found"


def test_series_expanding_direction(series_data, series):
    """(100): 7.2 % at the final dose (160 e/A^2, the end of the last frame), Dc = 60 e/A^2."""
    stack, _ = series_data
    check_track(series.tracks[0], SERIES_FRINGES[0], stack.accumulated_dose_e_per_A2[-1])


def test_series_non_expanding_direction(series_data, series):
    """(010): no expansion (|strain| < 0.5 pp at the final dose), Dc = 70 e/A^2."""
    stack, _ = series_data
    check_track(series.tracks[1], SERIES_FRINGES[1], stack.accumulated_dose_e_per_A2[-1])


def test_series_per_frame_d_and_intensity(series_data, series):
    """Per frame: d within 0.3 % of d(D_mid), its error consistent with its stderr (chi^2 of the
    per-frame pulls below 2 x the degrees of freedom), the intensity ratio I_last / I_first within
    its propagated error of exp(-(D_last - D_first)/Dc)."""
    _, truth = series_data
    for k, tr in enumerate(series.tracks):
        d_true = truth["d"][k]
        err = tr.d_angstrom / d_true - 1
        print(f"{tr.label}: per-frame d error max {100 * np.abs(err).max():.3f} %, "
              f"median stderr {100 * np.median(tr.d_stderr_angstrom / d_true):.3f} %")
        assert np.all(np.abs(err) < D_TOL)
        pulls = (tr.d_angstrom - d_true) / tr.d_stderr_angstrom
        assert np.sum(pulls**2) < 2 * len(pulls), pulls
        strain_true = truth["strain"][k]
        assert np.all(np.abs(tr.strain - strain_true) < STRAIN_TOL)
        ratio = tr.intensity[-1] / tr.intensity[0]
        sr = ratio * math.hypot(tr.intensity_stderr[-1] / tr.intensity[-1], tr.intensity_stderr[0] / tr.intensity[0])
        r_true = truth["relative_intensity"][k][-1] / truth["relative_intensity"][k][0]
        print(f"  I_last/I_first {ratio:.3f} +- {sr:.3f} (true {r_true:.3f})")
        assert abs(ratio - r_true) < PULL * sr


def test_series_tables(series_data, series):
    """to_frame() and descriptors() carry the numbers (one row per frame and track)."""
    stack, truth = series_data
    df = series.to_frame()
    assert len(df) == 2 * stack.n_frames
    for col in ("frame", "dose_e_per_A2", "track", "d_angstrom", "strain", "spot_intensity", "found"):
        assert col in df.columns
    names = {r.name for r in series.descriptors()}
    lab = series.tracks[0].label
    for key in ("d0_angstrom", "strain_rate_per_e_per_A2", "expansion_percent_final", "critical_dose_e_per_A2"):
        assert f"{key}[{lab}]" in names


# -- drift and region ------------------------------------------------------------------------------
REGION_FRINGES = (F(**F100, contrast=0.20, expansion_per_e_per_A2=0.0006, critical_dose_e_per_A2=60.0),
                  F(**F010, contrast=0.20, critical_dose_e_per_A2=60.0, phase_rad=0.8))
REGION_DRIFT = oracle.Drift(velocity=(0.8, -0.35), acceleration=(0.004, 0.0), wobble=(0.5, 0.3), period_frames=18.0)
REGION_PX = 0.6
REGION_BOX = (56, 456, 56, 456)                   # (y0, y1, x0, x1): the crystal in frame 0
REGION_SUPPORT = oracle.Texture(rms=0.08, k_min=1 / 60, k_max=1 / 12, period_angstrom=600.0, seed=44)


@pytest.fixture(scope="module")
def region_data():
    lo, hi = 56 * REGION_PX - 0.5 * REGION_PX, 456 * REGION_PX - 0.5 * REGION_PX   # pixel edges (A)
    grain = oracle.Grain(lo, hi, lo, hi, edge_angstrom=2.0, mass_contrast=0.1)
    return oracle.make_stack(shape=(512, 512), px=REGION_PX, n_frames=30, dose_per_frame=4.0,
                             fringes=REGION_FRINGES, grain=grain, drift=REGION_DRIFT, texture=REGION_SUPPORT,
                             seed=404, sample="region")


@pytest.fixture(scope="module")
def region_series(region_data):
    stack, _ = region_data
    return dose_series(stack, track=(A, A), angles=(15.0, 105.0), region=REGION_BOX, drift_correct=True)


def reference_drift(stack, sigma_px=3.0):
    """A plain estimator, for the record: cross-correlation of Gaussian-low-passed frames (the lattice and
    most shot noise filtered out, the support's texture kept), parabolic peak. Not whitened."""
    def lp(a):
        return ndimage.gaussian_filter(a - a.mean(), sigma_px)

    ny, nx = stack.shape
    f0 = np.fft.fft2(lp(stack.frame(0)))
    out = np.zeros((stack.n_frames, 2))
    for i in range(1, stack.n_frames):
        cc = np.fft.fftshift(np.real(np.fft.ifft2(np.fft.fft2(lp(stack.frame(i))) * np.conj(f0))))
        r, c = np.unravel_index(int(np.argmax(cc)), cc.shape)
        dy = 0.5 * (cc[r - 1, c] - cc[r + 1, c]) / (cc[r - 1, c] - 2 * cc[r, c] + cc[r + 1, c])
        dx = 0.5 * (cc[r, c - 1] - cc[r, c + 1]) / (cc[r, c - 1] - 2 * cc[r, c] + cc[r, c + 1])
        out[i] = (r - ny // 2 + dy, c - nx // 2 + dx)
    return out


DRIFT_TOL_PX = 1.5


@pytest.mark.slow
def test_drift_is_present_and_measured(region_data, region_series):
    """The specimen drifts 41 px along x and 17 px along y (frame 0 to 29). The measured drift
    ((dy, dx) of each frame's content against frame 0) must follow the truth within 1.5 px at every
    frame. Why 1.5 px: the plain estimator above reaches max 0.6 px / rms 0.27 px on the same frames
    (so the frames carry the information; a Fisher-information estimate from the support texture gives
    ~0.2 px), and a box misplaced by 1.5 px changes < 1 % of a 400 px region."""
    stack, truth = region_data
    true = truth["drift_px"]
    assert np.abs(true[-1]).max() > 40
    ref = np.abs(reference_drift(stack) - true).max()
    assert ref < DRIFT_TOL_PX / 2
    got = region_series.drift_px
    assert got is not None and got.shape == true.shape
    dev = np.abs(got - true)
    print(f"drift: true last frame {true[-1].round(2)}, measured {got[-1].round(2)}; deviation max "
          f"{dev.max():.2f} px, rms {np.sqrt((dev**2).mean()):.2f} px (plain cross-correlation: max {ref:.2f} px)")
    assert dev.max() < DRIFT_TOL_PX


@pytest.mark.slow
def test_region_with_drift_correction_within_tolerance(region_data, region_series):
    stack, _ = region_data
    for tr, f in zip(region_series.tracks, REGION_FRINGES):
        check_track(tr, f, stack.accumulated_dose_e_per_A2[-1])


@pytest.mark.slow
def test_region_without_drift_correction_is_reported(region_data):
    """Not a criterion: the fixed box loses the crystal's edge as it drifts out (printed for the record)."""
    stack, truth = region_data
    s = dose_series(stack, track=(A, A), angles=(15.0, 105.0), region=REGION_BOX, drift_correct=False)
    for tr, f in zip(s.tracks, REGION_FRINGES):
        _track_report(tr, f.d0_angstrom, (f.expansion_per_e_per_A2, stack.accumulated_dose_e_per_A2[-1]),
                      f.critical_dose_e_per_A2)
    assert s.drift_px is None or s.drift_px.shape == (stack.n_frames, 2)


# -- the seed's numbers ----------------------------------------------------------------------------
SEED_FRINGES = (F(d0_angstrom=4.5, angle_deg=30.0, contrast=0.20, expansion_per_e_per_A2=0.075 / 21.5,
                  critical_dose_e_per_A2=60.0, phase_rad=0.5),
                F(d0_angstrom=A, angle_deg=120.0, contrast=0.20, critical_dose_e_per_A2=60.0, phase_rad=2.5))


@pytest.fixture(scope="module")
def seed_data():
    return oracle.make_stack(shape=(512, 512), px=0.5, n_frames=20, dose_per_frame=1.075, fringes=SEED_FRINGES,
                             drift=oracle.Drift(velocity=(0.1, 0.06), wobble=(0.15, -0.1), period_frames=15.0),
                             seed=505, sample="Na2NH2BH4-like")


def test_seed_expansion_of_75_percent_at_215(seed_data):
    """4.5 A spots expanding 7.5 % by 21.5 e/A^2 (the end of the series), {100} at 4.70 A not at all;
    Dc = 60 e/A^2 on both, checked against the reported standard error (see the module docstring)."""
    stack, truth = seed_data
    assert stack.accumulated_dose_e_per_A2[-1] == pytest.approx(21.5)
    s = dose_series(stack, track=(4.5, A), angles=(30.0, 120.0))
    e, se = s.tracks[0].expansion_at(21.5)
    print(f"expansion at 21.5 e/A2: {100 * e:.3f} +- {100 * se:.3f} % (true 7.500 %)")
    assert abs(e - 0.075) < STRAIN_TOL
    for tr, f in zip(s.tracks, SEED_FRINGES):
        check_track(tr, f, 21.5, check_dc=False)
        rel = tr.critical_dose_stderr_e_per_A2 / tr.critical_dose_e_per_A2
        print(f"  Dc relative stderr {100 * rel:.1f} % (Cramer-Rao with Hann: 19 %)")


# -- bad input -----------------------------------------------------------------------------------------
def test_no_spot_above_noise_is_a_clear_error():
    """Pure shot noise at the SINGLE image's dose: no spot, a StructkitError that says so."""
    stack = oracle.flat_noise_stack(shape=(512, 512), px=0.25, dose_per_frame=20.0, seed=7, source="noise.tif")
    with pytest.raises(StructkitError) as exc:
        analyze_fft(stack)
    msg = str(exc.value).lower()
    print(exc.value)
    assert "spot" in msg and "noise" in msg
    assert "noise.tif" in str(exc.value)


def test_no_spot_in_a_noise_series_is_a_data_error():
    stack = oracle.flat_noise_stack(shape=(256, 256), px=0.5, n_frames=4, dose_per_frame=4.0, seed=8)
    with pytest.raises(DataError, match=r"4\.7"):
        dose_series(stack, track=(A,))


@pytest.fixture(scope="module")
def small_stack():
    return oracle.make_stack(shape=(256, 256), px=0.5, n_frames=4, dose_per_frame=4.0, fringes=SERIES_FRINGES,
                             seed=606, source="small.mrc")


def test_pixel_size_missing_is_a_data_error(small_stack):
    _, truth = small_stack
    no_px, _ = oracle.make_stack(shape=(256, 256), px=0.5, n_frames=4, dose_per_frame=4.0, fringes=SERIES_FRINGES,
                                 seed=606, with_pixel_size=False, source="nopx.tif")
    assert no_px.pixel_size_angstrom is None
    for call in (lambda: analyze_fft(no_px), lambda: power_spectrum(no_px),
                 lambda: dose_series(no_px, track=(A,)), lambda: power_spectrum(no_px.frame(0))):
        with pytest.raises(DataError, match="pixel size"):
            call()
    # given explicitly, it works
    res = analyze_fft(no_px.frame(0), pixel_size_angstrom=0.5)
    assert abs(nearest_spot(res.spots, A, 105.0).d_angstrom / A - 1) < D_TOL


def test_one_frame_stack_for_a_dose_series_is_a_data_error(small_stack):
    stack, _ = small_stack
    one = ImageStack(np.asarray(stack.data)[:1], pixel_size_angstrom=0.5, dose_per_frame_e_per_A2=4.0)
    with pytest.raises(DataError, match="at least 2 frames"):
        dose_series(one, track=(A,))


def test_tracked_d_without_a_spot_is_a_data_error(small_stack):
    """Asking for 6.0 A where there are only 4.70 A spots: the message names 6 and what was found."""
    stack, _ = small_stack
    with pytest.raises(DataError) as exc:
        dose_series(stack, track=(6.0,))
    msg = str(exc.value)
    print(msg)
    assert "6" in msg and "4.7" in msg and "small.mrc" in msg


def test_dose_missing_is_a_data_error():
    stack, _ = oracle.make_stack(shape=(128, 128), px=0.5, n_frames=3, dose_per_frame=4.0,
                                 fringes=SERIES_FRINGES, seed=9, with_dose=False)
    with pytest.raises(DataError, match="dose"):
        dose_series(stack, track=(A,))
