"""Self-checks of the HRTEM oracle (tests/tem/_oracle.py): it must be right before it judges the module.

Closed forms (``np.sinc`` box averages, the motion-blur sinc, exact DFT orthogonality on the Fourier
grid, the Poisson moments) appear here only to check the oracle's quadratures; the oracle itself
uses none of them.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import least_squares
from oracle_loader import load_oracle




oracle = load_oracle("tem")
F = oracle.Fringe


def on_grid_fringe(m, n, shape, px, **kw):
    """A fringe with exactly ``m`` cycles along x and ``n`` along y over the field: g on the DFT grid."""
    ny, nx = shape
    gx, gy = m / (nx * px), n / (ny * px)
    return F(1.0 / math.hypot(gx, gy), math.degrees(math.atan2(gy, gx)), **kw)


def dft_at(img, m, n):
    """numpy's DFT coefficient at (kx, ky) = (m, n) Fourier pixels (sum_p I_p exp(-2 pi i k.r_p))."""
    return np.fft.fft2(img)[n % img.shape[0], m % img.shape[1]]


def test_oracle_does_not_import_the_module_under_test():
    text = Path(oracle.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+structkit\.tem", text, re.MULTILINE)
    assert "structkit.tem" not in text.replace("no structkit.tem", "")
    assert "np.sinc" not in text.replace("no ``np.sinc``", "")


# -- pixel-box average and the DFT ---------------------------------------------------------------------
@pytest.mark.parametrize("m, n, px", [(27, 7, 0.25), (-13, 40, 0.5), (60, 0, 0.3)])
def test_static_fringe_dft_is_the_box_averaged_amplitude(m, n, px):
    """The DFT at an on-grid g is exactly N (c/2) sinc(gx px) sinc(gy px) exp(i(phi - 2 pi g.o)), and the
    image has no other Fourier component than 0 and -g (no harmonics, no aliasing)."""
    shape = (96, 128)
    f = on_grid_fringe(m, n, shape, px, contrast=0.17, phase_rad=0.7)
    img = oracle.clean_frame(shape, px, [f])
    gx, gy = f.g_at(0.0)
    o = (0.5 * (shape[1] - 1) * px, 0.5 * (shape[0] - 1) * px)
    expect = img.size * 0.17 / 2 * np.sinc(gx * px) * np.sinc(gy * px) * np.exp(
        1j * (0.7 - 2 * np.pi * (gx * o[0] + gy * o[1])))
    got = dft_at(img, m, n)
    assert abs(got - expect) < 1e-10 * img.size
    spec = np.abs(np.fft.fft2(img))
    spec[0, 0] = spec[n % shape[0], m % shape[1]] = spec[-n % shape[0], -m % shape[1]] = 0
    assert spec.max() < 1e-9 * img.size
    assert img.mean() == pytest.approx(1.0, abs=1e-12)


def test_pixel_average_converges_to_supersampling():
    """Independent route: 64 x 64 midpoint samples per pixel of the continuous intensity."""
    px, shape = 0.3, (6, 7)
    f = F(3.1, 33.0, 0.2, phase_rad=0.4)
    g = oracle.Grain(0.4, 1.5, 0.3, 1.2, edge_angstrom=0.25, mass_contrast=0.15)
    img = oracle.clean_frame(shape, px, [f], grain=g, origin=(0.0, 0.0))
    s = 64
    u = (np.arange(s) + 0.5) / s - 0.5
    x = (np.arange(shape[1])[:, None] + u[None]).ravel() * px
    y = (np.arange(shape[0])[:, None] + u[None]).ravel() * px
    X, Y = np.meshgrid(x, y)
    gx, gy = f.g_at(0.0)
    E = g.sx(X) * g.sy(Y)
    cont = 1 - 0.15 * E + E * 0.2 * np.cos(2 * np.pi * (gx * X + gy * Y) + 0.4)
    sup = cont.reshape(shape[0], s, shape[1], s).mean(axis=(1, 3))
    np.testing.assert_allclose(img, sup, atol=2e-5)          # midpoint error ~ (h/w)^2/24


def test_support_texture_shifts_with_the_specimen_and_stays_below_the_lattice():
    """The amorphous texture: a whole-pixel specimen shift is exactly a shift of the pixel values (the
    box average commutes with it); its spatial rms is the requested one (to the sampling of ~200
    correlation areas); no power above k_max (Hann-windowed, where the spots are)."""
    tex = oracle.Texture(rms=0.08, k_min=1 / 60, k_max=1 / 12, period_angstrom=600.0, seed=4)
    shape, px = (256, 256), 0.6
    modes = tex.modes()
    a = oracle._frame_terms(shape, px, [], 0.0, (0.0, 0.0), None, (0.0, 0.0), 6, modes)
    b = oracle._frame_terms(shape, px, [], 0.0, (5 * px, -3 * px), None, (0.0, 0.0), 6, modes)
    np.testing.assert_allclose(b[:-3, 5:], a[3:, :-5], atol=1e-12)     # content moved +5 columns, -3 rows
    t = oracle.clean_frame((512, 512), px, [], texture=tex) - 1.0
    assert np.sqrt(np.mean(t**2)) == pytest.approx(0.08, rel=0.15)
    p = np.abs(np.fft.fftshift(np.fft.fft2(t * oracle.hann2d(t.shape)))) ** 2
    k = np.hypot(*np.meshgrid(np.arange(512) - 256, np.arange(512) - 256, indexing="ij")) / (512 * px)
    assert p[k > 0.15].sum() < 1e-8 * p.sum()
    assert p[(k > 1 / 4.9) & (k < 1 / 4.5)].max() < 1e-10 * p.max()


# -- exposure: drift, expansion and fading during a frame --------------------------------------------------
def test_linear_drift_within_a_frame_is_a_sinc_motion_blur():
    """Specimen moving by v during the exposure: F(g) is multiplied by sinc(g.v) exp(-2 pi i g.v/2)."""
    shape, px = (64, 64), 0.25
    f = on_grid_fringe(9, 4, shape, px, contrast=0.2)
    v = (1.3, -0.8)                                           # A per frame
    static = oracle.clean_frame(shape, px, [f])
    moving = oracle.clean_frame(shape, px, [f], drift=oracle.Drift(velocity=v), n_time=12)
    gx, gy = f.g_at(0.0)
    gv = gx * v[0] + gy * v[1]
    ratio = dft_at(moving, 9, 4) / dft_at(static, 9, 4)
    assert abs(ratio - np.sinc(gv) * np.exp(-1j * np.pi * gv)) < 1e-12


def test_drift_truth_is_the_exposure_averaged_position():
    """A grain (no fringes) moves with the specimen: the centroid of its mass contrast moves exactly by
    the exposure-averaged drift that ``make_stack`` reports (any path: averaging is linear)."""
    shape, px = (128, 128), 0.5
    grain = oracle.Grain(20.0, 40.0, 18.0, 44.0, edge_angstrom=1.5, mass_contrast=0.2)
    drift = oracle.Drift(velocity=(0.6, -0.35), acceleration=(0.03, 0.02), wobble=(0.4, -0.3), period_frames=7)
    _, truth = oracle.make_stack(shape=shape, px=px, n_frames=12, dose_per_frame=1.0, grain=grain, drift=drift,
                                 noise=False, n_time=8)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    cen = []
    for img in truth["clean"]:
        w = 1.0 - img
        cen.append(((w * yy).sum() / w.sum(), (w * xx).sum() / w.sum()))
    cen = np.array(cen)
    np.testing.assert_allclose(cen - cen[0], truth["drift_px"], atol=1e-6)
    assert truth["drift_px"][0].tolist() == [0.0, 0.0]
    # the path itself: s(t) as asked (velocity, acceleration, wobble)
    sx, sy = drift(np.array([0.0, 5.0]))
    assert sx[0] == sy[0] == 0.0
    assert sx[1] == pytest.approx(0.6 * 5 + 0.5 * 0.03 * 25 + 0.4 * np.sin(2 * np.pi * 5 / 7))
    assert sy[1] == pytest.approx(-0.35 * 5 + 0.5 * 0.02 * 25 - 0.3 * np.sin(2 * np.pi * 5 / 7))
    # mass contrast: the mean darkening is m x (grain area) / (field area) (tanh edges integrate exactly)
    assert 1.0 - truth["clean"][0].mean() == pytest.approx(0.2 * 20.0 * 26.0 / (64.0 * 64.0), rel=1e-9)


def test_drift_from_fringe_phases_matches_truth():
    """Two on-grid fringes, a drifting stack: the phase of F(g_j) turns by -2 pi g_j.s, which gives s."""
    shape, px = (128, 128), 0.5
    fr = [on_grid_fringe(14, 3, shape, px, contrast=0.1), on_grid_fringe(-3, 14, shape, px, contrast=0.1)]
    drift = oracle.Drift(velocity=(0.25, 0.15), acceleration=(0.01, -0.004), wobble=(0.2, 0.1), period_frames=9)
    _, truth = oracle.make_stack(shape=shape, px=px, n_frames=10, dose_per_frame=1.0, fringes=fr, drift=drift,
                                 noise=False)
    G = np.array([f.g_at(0.0) for f in fr])                      # rows (gx, gy)
    ph = np.array([[np.angle(dft_at(img, 14, 3)), np.angle(dft_at(img, -3, 14))] for img in truth["clean"]])
    dph = np.unwrap(ph - ph[0], axis=0)                          # the path moves < d/2 per frame
    s = np.linalg.solve(G, -dph.T / (2 * np.pi)).T               # (sx, sy) A
    np.testing.assert_allclose(s[:, ::-1] / px, truth["drift_px"], atol=2e-3)   # 2nd-order blur terms


def test_d_of_dose_law():
    """Clean frames of an expanding fringe: a least-squares fit of the fringe frequency gives
    d(D_mid) = d0 (1 + e D_mid) to 1e-5 (the in-frame change averages out to second order)."""
    shape, px = (96, 96), 0.3
    f = F(4.5, 28.0, 0.2, expansion_per_e_per_A2=0.075 / 21.5, critical_dose_e_per_A2=60.0, phase_rad=0.2)
    _, truth = oracle.make_stack(shape=shape, px=px, n_frames=20, dose_per_frame=1.075, fringes=[f], noise=False)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] * px
    o = (0.5 * (shape[1] - 1) * px, 0.5 * (shape[0] - 1) * px)
    for i in (0, 9, 19):
        img = truth["clean"][i]

        def resid(p, img=img):
            return (1 + p[0] * np.cos(2 * np.pi * (p[1] * (xx - o[0]) + p[2] * (yy - o[1])) + p[3]) - img).ravel()

        g0 = truth["g"][0][i] * 1.003
        r = least_squares(resid, [0.19, g0[0], g0[1], 0.2], x_scale=[0.1, 1e-3, 1e-3, 0.1], xtol=1e-14, ftol=1e-14)
        d_fit = 1 / math.hypot(r.x[1], r.x[2])
        D = truth["mid_dose"][i]
        assert d_fit == pytest.approx(4.5 * (1 + 0.075 / 21.5 * D), rel=1e-5)
        assert math.degrees(math.atan2(r.x[2], r.x[1])) == pytest.approx(28.0, abs=1e-3)
    assert truth["strain"][0][-1] == pytest.approx(0.075 * truth["mid_dose"][-1] / 21.5)
    assert truth["mid_dose"][-1] + 1.075 / 2 == pytest.approx(21.5)


def test_fading_law_on_spot_intensity():
    """|F(g)|^2 of clean frames falls as exp(-D/Dc) (the in-frame average is the same factor each frame)."""
    shape, px = (64, 64), 0.5
    f = on_grid_fringe(11, 5, shape, px, contrast=0.2, critical_dose_e_per_A2=60.0)
    _, truth = oracle.make_stack(shape=shape, px=px, n_frames=8, dose_per_frame=4.0, fringes=[f], noise=False)
    p = np.array([abs(dft_at(img, 11, 5)) ** 2 for img in truth["clean"]])
    slope = np.polyfit(truth["mid_dose"], np.log(p), 1)[0]
    assert -1 / slope == pytest.approx(60.0, rel=1e-9)
    np.testing.assert_allclose(p / p[0], truth["relative_intensity"][0] / truth["relative_intensity"][0][0],
                               rtol=1e-12)


# -- counts ----------------------------------------------------------------------------------------------
def test_flat_counts_are_poisson_at_the_dose():
    """Mean lam = dose px^2 and variance lam (Poisson); the tolerances are 5 standard errors."""
    st = oracle.flat_noise_stack(shape=(256, 256), px=0.25, n_frames=4, dose_per_frame=2.0, seed=3)
    c = np.asarray(st.data, float)
    lam, n = 2.0 * 0.25**2, c.size
    assert c.mean() == pytest.approx(lam, abs=5 * math.sqrt(lam / n))
    # var of the sample variance of Poisson: (mu4 - sigma^4)/n = (lam + 2 lam^2)/n
    assert c.var() == pytest.approx(lam, abs=5 * math.sqrt((lam + 2 * lam**2) / n))
    assert np.all(c == np.round(c)) and c.min() >= 0
    assert st.pixel_size_angstrom == 0.25 and st.dose_per_frame_e_per_A2 == 2.0


def test_counts_follow_the_clean_image():
    """Standardised residuals (n - lam I)/sqrt(lam I) have mean 0 and variance 1 pixel by pixel."""
    fr = [F(4.7, 15.0, 0.2, 0.0006, 60.0), F(4.7, 105.0, 0.2, 0.0, 80.0)]
    st, truth = oracle.make_stack(shape=(256, 256), px=0.5, n_frames=6, dose_per_frame=4.0, fringes=fr, seed=5,
                                  drift=oracle.Drift(velocity=(0.2, 0.1)))
    mu = truth["lam"] * truth["clean"]
    z = (np.asarray(st.data, float) - mu) / np.sqrt(mu)
    n = z.size
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1) < 5 * math.sqrt((2 + 1 / (truth["lam"] * 0.6)) / n)   # var(z^2) = 2 + 1/mu
    # the stack carries the calibration and the dose; its dose axis is the oracle's
    np.testing.assert_allclose(st.mid_frame_dose_e_per_A2, truth["mid_dose"])
    assert st.accumulated_dose_e_per_A2[-1] == pytest.approx(24.0)
    assert np.asarray(st.data).sum() / (st.n_frames * 256 * 256 * 0.25) == pytest.approx(4.0, rel=0.01)
    # reproducible
    again, _ = oracle.make_stack(shape=(256, 256), px=0.5, n_frames=6, dose_per_frame=4.0, fringes=fr, seed=5,
                                 drift=oracle.Drift(velocity=(0.2, 0.1)))
    np.testing.assert_array_equal(np.asarray(again.data), np.asarray(st.data))


def test_expected_peak_snr_matches_simulated_spectra():
    """Hann-windowed power at an on-grid spot over the mean shot-noise power, averaged over 24 frames,
    is SNR + 1 (the noise adds its own power). One frame's peak power has a relative spread of
    ~sqrt(2/SNR) = 0.18, so 24 frames give ~4 %; the tolerance is 12 %."""
    shape, px, dose = (128, 128), 0.5, 4.0
    f = on_grid_fringe(20, 9, shape, px, contrast=0.2)
    st, _ = oracle.make_stack(shape=shape, px=px, n_frames=24, dose_per_frame=dose, fringes=[f], seed=8)
    w = oracle.hann2d(shape)
    peak, noise = [], []
    ky, kx = np.meshgrid(np.fft.fftfreq(shape[0], 1 / shape[0]), np.fft.fftfreq(shape[1], 1 / shape[1]), indexing="ij")
    far = (np.hypot(kx - 20, ky - 9) > 6) & (np.hypot(kx + 20, ky + 9) > 6) & (np.hypot(kx, ky) > 6)
    for img in st.frames():
        p = np.abs(np.fft.fft2((img - img.mean()) * w)) ** 2
        peak.append(p[9, 20])
        noise.append(p[far].mean())
    sinc2 = (np.sinc(f.g_at(0)[0] * px) * np.sinc(f.g_at(0)[1] * px)) ** 2
    snr = oracle.expected_peak_snr(0.2, dose, shape, px) * sinc2
    assert np.mean(peak) / np.mean(noise) == pytest.approx(snr + 1, rel=0.12)
    assert 55 < snr < 75                      # N_e c^2 / 9 = 73 times the box-average sinc^2 = 0.91


@pytest.mark.slow
def test_critical_dose_bound_by_monte_carlo():
    """The Cramer-Rao bound that justifies the 10 % tolerance is the spread of the ideal estimator
    (in-phase projection with the true g and phase, weighted log-linear fit): 300 realisations of a
    small series; the spread of a standard deviation from 300 draws is 4 %, the tolerance 15 %
    (the bound is first order: at 5-15 % per-frame noise the estimator's spread is a little larger)."""
    shape, px, dose, nf = (128, 128), 0.5, 4.0, 12
    f = on_grid_fringe(8, 3, shape, px, contrast=0.2, critical_dose_e_per_A2=30.0)
    _, truth = oracle.make_stack(shape=shape, px=px, n_frames=nf, dose_per_frame=dose, fringes=[f], noise=False)
    lam = truth["lam"]
    mu = lam * truth["clean"]
    ref = np.array([dft_at(c, 8, 3) for c in truth["clean"]])
    unit = ref / np.abs(ref)                                           # true phase of each frame
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    basis = np.exp(-2j * np.pi * (8 * xx / shape[1] + 3 * yy / shape[0]))
    Ne = lam * mu[0].size
    rng = np.random.default_rng(0)
    D = truth["mid_dose"]
    est = []
    for _ in range(300):
        counts = rng.poisson(mu)
        c_hat = np.array([np.real(np.sum(counts[i] * basis) / unit[i]) for i in range(nf)]) * 2 / Ne
        slope = np.polyfit(D, np.log(c_hat), 1, w=c_hat)[0]           # ln c = ln c0 - D/(2 Dc)
        est.append(-1 / (2 * slope))
    est = np.array(est)
    sinc = abs(ref[0]) / (mu[0].size * 0.2 / 2 * np.exp(-D[0] / 60.0))   # box average and in-frame fade
    bound = oracle.critical_dose_precision(0.2 * sinc, 30.0, D, Ne)
    assert np.std(est) / 30.0 == pytest.approx(bound, rel=0.15)
    # the ideal estimator's own bias (1/slope, log, data-derived weights: ~ bound^2 + ...) is well below
    # its spread
    assert abs(np.mean(est) / 30.0 - 1) < bound / 2
