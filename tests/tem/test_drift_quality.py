"""Quality of the drift estimate (:func:`structkit.tem.dose.estimate_drift` with ``full=True``).

Synthetic 256^2 stacks from the independent oracle (tests/tem/_oracle.py): two 4.70 A fringes on an
amorphous support texture (the non-periodic detail a drift measurement needs), shot noise at
4 e/A^2 per frame, a known drift. Each case breaks one thing a real series breaks: a frame from
another field, no detail but the lattice, a dose per frame too low to see the support, a stage jump.
"""

import numpy as np
import pytest

from structkit.core import ImageStack
from structkit.core.errors import ConfigError
from structkit.tem import dose_series
from structkit.tem.dose import DriftEstimate, estimate_drift
from oracle_loader import load_oracle




oracle = load_oracle("tem")
F = oracle.Fringe
PX = 0.6
FRINGES = (F(d0_angstrom=4.7, angle_deg=15.0, contrast=0.2),
           F(d0_angstrom=4.7, angle_deg=105.0, contrast=0.2, phase_rad=0.8))
DRIFT = oracle.Drift(velocity=(0.8, -0.35), wobble=(0.5, 0.3))


def _stack(seed, *, texture=True, dose=4.0, n=12):
    tex = oracle.Texture(rms=0.08, seed=seed + 10) if texture else None
    return oracle.make_stack(shape=(256, 256), px=PX, n_frames=n, dose_per_frame=dose, fringes=FRINGES,
                             texture=tex, drift=DRIFT, seed=seed)


def _with_frames(stack, data):
    return ImageStack(data, pixel_size_angstrom=PX, dose_per_frame_e_per_A2=stack.dose_per_frame_e_per_A2,
                      source="edited")


@pytest.fixture(scope="module")
def clean_case():
    stack, truth = _stack(0)
    return stack, truth, estimate_drift(stack, full=True)


def test_drift_follows_truth_with_calibrated_errors(clean_case):
    """All frames reliable; the shifts within 1.5 px of the truth (the acceptance tolerance of the
    region test), and the reported standard errors describe the deviations: their rms ratio lies
    within [0.4, 2.5] (for 22 independent components the ratio of a calibrated estimate scatters
    by ~15 %; the window leaves a small bias the errors do not include)."""
    stack, truth, est = clean_case
    assert isinstance(est, DriftEstimate) and est.n_frames == stack.n_frames
    assert est.reliable.all() and not est.ambiguous.any() and est.messages == ()
    assert np.all(est.significance[1:] > est.min_significance)
    dev = est.shift_px - truth["drift_px"]
    assert np.abs(dev).max() < 1.5
    z = dev[1:] / est.stderr_px[1:]
    ratio = float(np.sqrt(np.mean(z ** 2)))
    print(f"drift: max deviation {np.abs(dev).max():.2f} px, median error {np.median(est.stderr_px[1:]):.2f} px, "
          f"rms(dev/err) {ratio:.2f}")
    assert 0.4 < ratio < 2.5
    np.testing.assert_array_equal(est.shift_px, estimate_drift(stack))      # full=False: the same shifts
    np.testing.assert_array_equal(est.filled(), est.shift_px)
    assert "12/12 reliable" in est.summary()


def test_a_frame_from_another_field_is_flagged_and_interpolated(clean_case):
    stack, truth, _ = clean_case
    other, _ = oracle.make_stack(shape=(256, 256), px=PX, n_frames=12, dose_per_frame=4.0, fringes=FRINGES,
                                 texture=oracle.Texture(rms=0.08, seed=99), seed=2)
    data = np.array(stack.data, copy=True)
    data[6] = other.data[6]
    est = estimate_drift(_with_frames(stack, data), full=True)
    assert est.unreliable_frames == (6,)
    assert est.reasons[6].startswith("not significant") and est.significance[6] < est.min_significance
    assert est.usable and len(est.messages) == 1 and "frame 6" in est.messages[0]
    filled = est.filled()
    np.testing.assert_allclose(filled[6], 0.5 * (est.shift_px[5] + est.shift_px[7]))
    assert np.abs(filled[6] - truth["drift_px"][6]).max() < 1.5


def test_lattice_alone_is_ambiguous_and_the_box_stays_fixed():
    """Without the support the frames hold nothing but a lattice: a shift is fixed only modulo a lattice
    vector, so no frame is reliable and dose_series keeps the region fixed and says so."""
    stack, _ = _stack(3, texture=False)
    est = estimate_drift(stack, full=True)
    assert not est.usable and est.n_reliable == 0 and est.ambiguous.all()
    assert "lattice" in est.messages[0] and "could not be measured" in est.messages[-1]
    s = dose_series(stack, track=(4.7, 4.7), angles=(15.0, 105.0), region=(28, 228, 28, 228))
    assert s.drift_px is None and s.drift is not None and not s.drift.usable
    assert any("box is kept fixed" in m for m in s.messages)
    assert all(any("box is kept fixed" in m for m in t.messages) for t in s.tracks)
    assert "kept fixed" in s.summary()


def test_too_low_a_dose_per_frame_is_not_measurable():
    """0.02 e/A^2 per frame: 0.007 electrons per pixel, the support's detail is far below the noise."""
    stack, _ = _stack(4, dose=0.02)
    est = estimate_drift(stack, full=True)
    assert not est.usable and not est.ambiguous.any()
    assert all(r.startswith("no common detail") for r in est.reasons)
    assert est.filled() is None


def test_a_stage_jump_is_not_trusted(clean_case):
    """Frames 6-11 moved by a further 20 px (> max_step_px = 5): those frames must not be reliable,
    nor may their shift be taken for the drift of the specimen."""
    stack, _, _ = clean_case
    data = np.array(stack.data, copy=True)
    data[6:] = np.roll(data[6:], 20, axis=2)
    est = estimate_drift(_with_frames(stack, data), full=True)
    assert not est.reliable[6:].any()
    assert est.messages and "drift unreliable" in est.messages[0]


def test_one_frame_and_bad_settings(clean_case):
    stack, _, _ = clean_case
    one = estimate_drift(_with_frames(stack, np.asarray(stack.data)[:1]), full=True)
    assert one.n_frames == 1 and one.reliable.all() and one.shift_px.tolist() == [[0.0, 0.0]]
    for kw, text in ((dict(max_step_px=0), "max_step_px"), (dict(max_step_px=float("nan")), "max_step_px"),
                     (dict(min_significance=-1), "min_significance"), (dict(upsample=0), "upsample")):
        with pytest.raises(ConfigError, match=text):
            estimate_drift(stack, **kw)


def test_binned_frames_give_the_same_drift_in_the_frames_pixels():
    """A 1024^2 series measured on 2 x 2 binned frames (what bin_px=None does above 1024 px): the
    shifts and errors are in the frames' own pixels and as close to the truth as unbinned."""
    from structkit.tem import synthetic_stack

    s = synthetic_stack(shape=(1024, 1024), n_frames=8, drift_px_per_frame=(0.9, -0.6), seed=5,
                        dose_per_frame_e_per_A2=10.0)
    truth = s.meta["truth"]["drift_px"]
    full = estimate_drift(s, full=True)
    binned = estimate_drift(s, full=True, bin_px=2)
    assert full.bin_px == 1 and binned.bin_px == 2
    assert full.reliable.all() and binned.reliable.all()
    for est in (full, binned):
        assert np.abs(est.shift_px - truth).max() < 0.5
    ratio = np.median(binned.stderr_px[1:]) / np.median(full.stderr_px[1:])
    print(f"binned: max deviation {np.abs(binned.shift_px - truth).max():.2f} px (unbinned "
          f"{np.abs(full.shift_px - truth).max():.2f}), median error ratio binned/unbinned {ratio:.2f}")
    assert 0.5 < ratio < 4.0
    with pytest.raises(ConfigError, match="bin_px"):
        estimate_drift(s, bin_px=0)
