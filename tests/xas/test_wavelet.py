"""Wavelet transforms (structkit.xas.wavelet) against larch, PyWavelets and FEFF forward models.

Oracles:
* larch's ``cauchy_wavelet`` (loop over R, same algorithm): equality to 1e-10 of max|W|.
* PyWavelets' ``cwt`` with the complex Morlet ``cmor`` (an independent implementation: convolution
  with the integrated, then differentiated wavelet): |W| within 1 % of max|W| outside the COI.
* Pure sinusoids sin(2kR0): the modulus maximum lies at R0 within one R step.
* FEFF6 single-scattering paths of TaCl6 and TaPb6 octahedra (larch's bundled feff6l): the WT
  maxima separate light from heavy backscatterers in k, by the shift the FEFF amplitudes predict.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from structkit.core.descriptors import DescriptorRow, DescriptorTable
from structkit.core.errors import ConfigError, DataError
from structkit.xas.wavelet import (
    WaveletResult,
    cauchy_wt,
    morlet_wt,
    path_wavelet,
    wavelet_r_grid,
)

larch_xafs = pytest.importorskip("larch.xafs")

KSTEP = 0.05
K16 = np.arange(0, 16.0 + KSTEP / 2, KSTEP)


def damped_sines(k):
    """A realistic χ(k): three damped shells with phases, 1/(k R²) amplitude."""
    kk = np.maximum(k, KSTEP)
    shells = [(6, 2.0, 0.004, 0.3), (12, 3.1, 0.007, -0.5), (4, 4.2, 0.010, 1.0)]
    return sum(n * np.exp(-2 * k ** 2 * s2) * np.exp(-2 * r / 8.0) * np.sin(2 * k * r + ph) / (kk * r ** 2)
               for n, r, s2, ph in shells)


def larch_cauchy(k, chi, **kws):
    from larch import Group
    g = Group()
    larch_xafs.cauchy_wavelet(k, chi, group=g, **kws)
    return g


# -- Cauchy vs larch --------------------------------------------------------------------------

@pytest.mark.parametrize("kweight, rmax_out", [(2, 6.0), (0, 10.0), (1, 6.0), (3, 8.0)])
def test_cauchy_reproduces_larch(kweight, rmax_out):
    chi = damped_sines(K16)
    ref = larch_cauchy(K16, chi, kweight=kweight, rmax_out=rmax_out)
    res = cauchy_wt(K16, chi, kweight=kweight, rmax_out=rmax_out)
    assert res.coefficients.shape == ref.wcauchy.shape == (res.r.size, K16.size)
    err = np.max(np.abs(res.coefficients - ref.wcauchy)) / np.max(np.abs(ref.wcauchy))
    assert err < 1e-10
    np.testing.assert_allclose(res.r[1:], ref.wcauchy_r[1:], rtol=0, atol=1e-12)
    assert res.r[0] == 0.0 and ref.wcauchy_r[0] == 1e-19
    assert res.parameters["order"] == res.r.size and res.parameters["order_rule"].startswith("larch")


def test_cauchy_reproduces_larch_on_shifted_k_grid():
    """larch never looks at k itself, only its step: a grid starting at 2 Å^-1 must agree too."""
    k = np.arange(2.0, 14.0 + KSTEP / 2, KSTEP)
    chi = damped_sines(k)
    ref = larch_cauchy(k, chi, kweight=2, rmax_out=6)
    res = cauchy_wt(k, chi, kweight=2, rmax_out=6)
    assert np.max(np.abs(res.coefficients - ref.wcauchy)) / np.max(np.abs(ref.wcauchy)) < 1e-10


@pytest.mark.reference_data
def test_cauchy_reproduces_larch_on_cu_foil(reference_data):
    from larch import Group
    data = np.loadtxt(reference_data / "xas" / "cu_metal_rt.xdi")
    g = Group(energy=data[:, 0], mu=data[:, 3])
    larch_xafs.autobk(g, rbkg=1.0, kweight=2)
    larch_xafs.cauchy_wavelet(g, kweight=2, rmax_out=6)
    res = cauchy_wt(g.k, g.chi, kweight=2, rmax_out=6)
    assert np.max(np.abs(res.coefficients - g.wcauchy)) / np.max(np.abs(g.wcauchy)) < 1e-10
    # Cu metal: first shell (Cu-Cu 2.55 Å) appears near 2.2 Å without phase correction
    row = res.maxima([(1.6, 3.0)]).iloc[0]
    assert 2.0 < row["R_max"] < 2.5


def test_r_grid_is_larchs():
    r = wavelet_r_grid(KSTEP, 6.0)
    g = larch_cauchy(K16, damped_sines(K16), rmax_out=6)
    assert r.size == g.wcauchy_r.size == 196
    np.testing.assert_allclose(r[1:], g.wcauchy_r[1:], atol=1e-14)


def test_cauchy_fixed_order_does_not_depend_on_the_r_grid():
    chi = damped_sines(K16)
    r_long = wavelet_r_grid(KSTEP, 10.0)
    r_short = r_long[:150]
    fixed_long = cauchy_wt(K16, chi, r=r_long, order=40)
    fixed_short = cauchy_wt(K16, chi, r=r_short, order=40)
    np.testing.assert_allclose(fixed_long.coefficients[:150], fixed_short.coefficients, rtol=0,
                               atol=1e-14 * np.abs(fixed_short.coefficients).max())
    larch_long = cauchy_wt(K16, chi, r=r_long)           # larch's rule: order = number of R points
    larch_short = cauchy_wt(K16, chi, r=r_short)
    assert larch_long.parameters["order"] == 326 and larch_short.parameters["order"] == 150
    diff = np.abs(larch_long.coefficients[:150] - larch_short.coefficients).max()
    assert diff > 0.1 * np.abs(larch_short.coefficients).max()


def test_cauchy_amplitude_normalisation_and_order_width():
    R0, A = 2.5, 0.7
    res = cauchy_wt(K16, A * np.sin(2 * K16 * R0), kweight=0, rmax_out=6, order=36, normalization="amplitude")
    row = res.maxima([(1.5, 3.5)]).iloc[0]
    assert row["W_max"] == pytest.approx(A, rel=2e-3)
    # COI half-width (n/2R)·sqrt(e^(2/(n+1)) - 1) at R = 2.5
    i = int(np.argmin(np.abs(res.r - 2.5)))
    n = 36
    assert res.coi_half_width[i] == pytest.approx(n / (2 * res.r[i]) * math.sqrt(math.expm1(2 / (n + 1))))


# -- Morlet -------------------------------------------------------------------------------------

@pytest.mark.parametrize("R0", [1.27, 2.0, 2.46, 3.13, 4.4])
@pytest.mark.parametrize("transform", ["morlet", "cauchy_larch", "cauchy_order36"])
def test_modulus_peaks_at_R0_for_a_pure_sine(R0, transform):
    k = np.arange(0, 20.0 + KSTEP / 2, KSTEP)     # larch's order-196 wavelet is 15 Å^-1 wide at R = 1.27 Å
    chi = np.sin(2 * k * R0)
    if transform == "morlet":
        res = morlet_wt(k, chi, kweight=0, rmax_out=6)
    elif transform == "cauchy_larch":
        res = cauchy_wt(k, chi, kweight=0, rmax_out=6)
    else:
        res = cauchy_wt(k, chi, kweight=0, rmax_out=6, order=36)
    step = res.r[2] - res.r[1]
    row = res.maxima([(R0 - 0.8, R0 + 0.8)]).iloc[0]
    assert abs(row["R_max"] - R0) < step
    # the ridge too, at every k outside the COI
    ridge = res.ridge((R0 - 0.8, R0 + 0.8))
    # where the wavelet at R0 itself is outside the COI (closer to the ends, only larger R rows are, and
    # what they see of the truncated signal is an edge effect)
    inner = ridge["valid"] & ~ridge["on_edge"] & ~res.coi[np.argmin(np.abs(res.r - R0))]
    assert inner.any()
    assert np.all(np.abs(ridge.loc[inner, "R"] - R0) < step)
    assert ridge.loc[~ridge["valid"], "R"].isna().all()


@pytest.mark.parametrize("eta", [5.0, 6.0, 10.0])
def test_morlet_amplitude_normalisation(eta):
    A, R0 = 0.5, 2.2
    res = morlet_wt(K16, A * np.sin(2 * K16 * R0), kweight=0, eta=eta, rmax_out=6)
    row = res.maxima([(1.5, 3.0)]).iloc[0]
    assert row["W_max"] == pytest.approx(A, rel=1e-3)


def test_morlet_funke_normalisation_shifts_the_maximum_as_documented():
    eta, sigma, R0 = 6.0, 1.0, 3.0
    res = morlet_wt(K16, np.sin(2 * K16 * R0), kweight=0, eta=eta, sigma=sigma, rmax_out=6,
                    normalization="funke")
    row = res.maxima([(2.0, 4.0)]).iloc[0]
    expected = R0 * (1 - 1 / (2 * eta ** 2 * sigma ** 2))
    assert abs(row["R_max"] - expected) < 0.25 * (res.r[1] - res.r[0])
    # the literal seed formula at r = R/η: sqrt(2r) * |∫ sin(2kR0) ψ*(2r(k'-k)) dk'|, by quadrature
    i, m = int(np.argmin(np.abs(res.r - R0))), 160
    rF = res.r[i] / eta
    t = 2 * rF * (K16 - K16[m])
    psi = np.exp(1j * eta * t) * np.exp(-t ** 2 / (2 * sigma ** 2))
    direct = math.sqrt(2 * rF) * abs(np.sum(np.sin(2 * K16 * R0) * np.conj(psi)) * KSTEP)
    assert res.magnitude[i, m] == pytest.approx(direct, rel=1e-9)


def test_morlet_agrees_with_pywavelets_cmor():
    pywt = pytest.importorskip("pywt")
    eta, sigma = 6.0, 1.0
    chi = damped_sines(K16)
    res = morlet_wt(K16, chi, kweight=2, eta=eta, sigma=sigma, rmax_out=6)
    rows = slice(10, None)
    R = res.r[rows]
    # cmorB-C: psi(t) = (pi B)^-1/2 exp(-t^2/B) exp(2 pi i C t)  ->  B = 2 sigma^2, C = eta/(2 pi),
    # scale (in samples) a = eta / (2 R dk)
    wav = pywt.ContinuousWavelet(f"cmor{2 * sigma ** 2:g}-{eta / (2 * np.pi):.15f}")
    scales = eta / (2 * R * KSTEP)
    coef, _ = pywt.cwt(K16 ** 2 * chi, scales, wav, sampling_period=KSTEP, method="fft", precision=16)
    s = eta * sigma / (2 * R)
    scale_to_ours = 2 * KSTEP * np.sqrt(np.pi * 2 * sigma ** 2) * np.sqrt(scales) / (np.sqrt(2 * np.pi) * s)
    ref = np.abs(coef) * scale_to_ours[:, None]
    ok = ~res.coi[rows]
    ours = res.magnitude[rows]
    # pywt resamples its integrated wavelet by truncated indices: errors ~1 % where the scale is a few
    # samples; structkit's filter is analytic
    assert np.max(np.abs(ours - ref)[ok]) < 0.02 * np.max(ours[ok])


def test_morlet_coi_criterion_and_window_support():
    eta = 6.0
    res = morlet_wt(K16, damped_sines(K16), eta=eta, rmax_out=6)
    i = int(np.argmin(np.abs(res.r - 2.0)))
    h = math.sqrt(2) * eta / (2 * res.r[i])
    assert res.coi_half_width[i] == pytest.approx(h)
    expected = (K16 - K16[0] < h) | (K16[-1] - K16 < h)
    np.testing.assert_array_equal(res.coi[i], expected)
    assert res.coi[0].all()                                    # R = 0: the whole row
    assert not res.coefficients[0].any()
    # with a window, the measured range is where the window exceeds 1 % of its maximum
    win = morlet_wt(K16, damped_sines(K16), eta=eta, rmax_out=6, window="hanning", kmin=3, kmax=14, dk=1)
    lo, hi = win.k_range
    assert 2.5 < lo < 2.7 and 13.3 < hi < 13.5 + 1.0
    assert win.coi[i][np.searchsorted(K16, lo + h) - 2] and not win.coi[i][np.searchsorted(K16, lo + h) + 2]


def test_named_window_is_larchs_ftwindow():
    chi = damped_sines(K16)
    w = larch_xafs.ftwindow(K16, xmin=3, xmax=14, dx=1, window="hanning")
    named = morlet_wt(K16, chi, window="hanning", kmin=3, kmax=14, dk=1, rmax_out=6)
    arr = morlet_wt(K16, chi, window=w, rmax_out=6)
    np.testing.assert_allclose(named.coefficients, arr.coefficients, rtol=0, atol=1e-14)
    manual = morlet_wt(K16, chi * K16 ** 2 * w, kweight=0, rmax_out=6)
    np.testing.assert_allclose(named.coefficients, manual.coefficients, rtol=0, atol=1e-12)
    assert named.parameters["window"] == "hanning" and named.parameters["kmin"] == 3.0


# -- input checks ---------------------------------------------------------------------------------

def test_non_uniform_k_is_refused_with_the_fix():
    k = np.sort(np.concatenate([np.arange(0, 10, 0.05), np.arange(10, 16, 0.1)]))
    with pytest.raises(DataError, match="not uniform") as info:
        morlet_wt(k, np.sin(4 * k))
    assert "autobk" in str(info.value) and "interpolate" in str(info.value)
    with pytest.raises(DataError, match="not uniform"):
        cauchy_wt(k, np.sin(4 * k))


def test_k_read_with_four_decimals_is_accepted():
    k = np.round(np.arange(0, 16.0 + KSTEP / 2, KSTEP) + 1e-5, 4)
    assert morlet_wt(k, np.sin(4 * k), rmax_out=3).k.size == k.size


@pytest.mark.parametrize("k, chi, kweight, match", [
    (K16, np.ones(10), 2, "321 points but chi has 10"),
    (K16, np.where(K16 > 5, np.nan, 1.0), 2, "non-finite"),
    (K16, np.ones(K16.size), "2", "kweight must be a finite number"),
    (K16, np.ones(K16.size), True, "kweight must be a finite number"),
    (K16, np.ones(K16.size), -1, "not finite at k = 0"),
    (K16[::-1], np.ones(K16.size), 2, "increase strictly"),
    (K16, np.ones(K16.size) + 1j, 2, "must be real"),
    (K16 - 1.0, np.ones(K16.size), 2, ">= 0"),
])
def test_bad_inputs_raise_data_errors(k, chi, kweight, match):
    for fn in (morlet_wt, cauchy_wt):
        with pytest.raises(DataError, match=match):
            fn(k, chi, kweight=kweight)


def test_bad_settings_raise_config_errors():
    chi = np.sin(4 * K16)
    with pytest.raises(ConfigError, match="window='hanning'"):
        morlet_wt(K16, chi, kmin=3)
    with pytest.raises(ConfigError, match="nfft"):
        cauchy_wt(K16, chi, nfft=512)                 # 321 points > nfft/2
    with pytest.raises(ConfigError, match="order"):
        cauchy_wt(K16, chi, order=0)
    with pytest.raises(ConfigError, match="eta"):
        morlet_wt(K16, chi, eta=-1)
    with pytest.raises(ConfigError, match="normalization"):
        morlet_wt(K16, chi, normalization="larch")
    with pytest.raises(TypeError):
        morlet_wt(K16, chi, etaa=5)                   # unknown keywords are Python's TypeError


# -- the result object -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shells_result():
    return morlet_wt(K16, damped_sines(K16), kweight=2, eta=10.0, rmax_out=6, r_windows=[(1.5, 2.5), (2.7, 3.5)],
                     sample="NTC-40h", conditions={"milling_time_h": 40.0}, source="synthetic")


def test_result_is_frozen_and_read_only(shells_result):
    with pytest.raises(AttributeError):
        shells_result.kind = "cauchy"
    with pytest.raises(ValueError):
        shells_result.coefficients[0, 0] = 1.0
    assert shells_result.coefficients.shape == (shells_result.r.size, shells_result.k.size)
    np.testing.assert_array_equal(shells_result.magnitude, np.abs(shells_result.coefficients))


def test_maxima_refine_between_grid_points(shells_result):
    frame = shells_result.maxima()
    assert list(frame["r_window"]) == ["1.5-2.5A", "2.7-3.5A"]
    assert list(frame.columns) == ["r_window", "r_min", "r_max", "k_max", "R_max", "W_max", "on_edge"]
    # shells at 2.0 and 3.1 Å (constant phases do not move R)
    assert frame["R_max"].iloc[0] == pytest.approx(2.0, abs=0.02)
    assert frame["R_max"].iloc[1] == pytest.approx(3.1, abs=0.02)
    assert not frame["on_edge"].any()
    # with eta = 6 the 2.0 Å shell's flank dominates the 2.7-3.5 window: flagged, not refined across
    coarse = morlet_wt(K16, damped_sines(K16), kweight=2, eta=6.0, rmax_out=6).maxima([(2.7, 3.5)]).iloc[0]
    assert coarse["on_edge"] and coarse["R_max"] == pytest.approx(2.7, abs=0.031)
    grid_max = [shells_result.magnitude[(shells_result.r >= lo) & (shells_result.r <= hi)][
        :, ~shells_result.coi[np.argmin(np.abs(shells_result.r - lo))]].max() for lo, hi in [(1.5, 2.5), (2.7, 3.5)]]
    assert np.all(frame["W_max"].to_numpy() >= np.array(grid_max) - 1e-12)
    assert frame["k_max"].map(lambda v: v / KSTEP % 1).abs().gt(1e-6).all()    # not stuck on the grid


def test_window_inside_the_coi_raises():
    res = morlet_wt(np.arange(0, 4, KSTEP), np.sin(np.arange(0, 4, KSTEP)), eta=10, rmax_out=4)
    with pytest.raises(DataError, match="cone of influence"):
        res.maxima([(0.1, 0.5)])


def test_descriptors_table_and_text(shells_result):
    rows = shells_result.descriptors()
    assert all(isinstance(r, DescriptorRow) for r in rows)
    names = [r.name for r in rows]
    assert names == ["wt_k_max[1.5-2.5A]", "wt_R_max[1.5-2.5A]", "wt_W_max[1.5-2.5A]",
                     "wt_k_max[2.7-3.5A]", "wt_R_max[2.7-3.5A]", "wt_W_max[2.7-3.5A]"]
    units = {r.name.split("[")[0]: r.unit for r in rows}
    assert units == {"wt_k_max": "A^-1", "wt_R_max": "A", "wt_W_max": "A^-2"}
    assert rows[0].sample == "NTC-40h" and rows[0].technique == "xas"
    assert dict(rows[0].conditions) == {"milling_time_h": 40.0}
    assert "morlet" in rows[0].method and "eta=10" in rows[0].method and "not phase-corrected" in rows[0].method
    other = shells_result.descriptors(sample="B", conditions={"temperature_K": 300.0}, r_windows=[(1.5, 2.5)])
    assert next(r.name for r in other) == "wt_k_max[1.5-2.5A]" and other[0].sample == "B"
    wide = DescriptorTable.from_rows(rows).to_wide()
    assert wide.loc[0, "wt_R_max[1.5-2.5A]"] == pytest.approx(rows[1].value)
    frame = shells_result.to_frame()
    assert list(frame.columns[:3]) == ["sample", "milling_time_h", "label"] and len(frame) == 2
    text = shells_result.summary()
    assert text.startswith("WaveletResult") and "1.5-2.5A" in text and repr(shells_result) == text
    assert "<table" in shells_result._repr_html_()
    grid = shells_result.grid_frame()
    assert len(grid) == shells_result.coefficients.size


def test_plot_labels_r_as_not_phase_corrected(shells_result):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = shells_result.plot()
    ax = fig.axes[0]
    assert ax.get_ylabel() == "R (Å, not phase-corrected)"
    assert ax.get_xlabel() == "k (Å⁻¹)"
    marked = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(marked) == 2
    plt.close(fig)
    fig, ax = plt.subplots()
    assert shells_result.plot(ax=ax, r_windows=[(1.5, 2.5)]) is fig
    plt.close(fig)


# -- FEFF paths: light vs heavy backscatterers -----------------------------------------------------

R_TA_X = 2.37
SIGMA2 = 0.003            # Å², the same for both paths: only the backscatterer differs
KMAX = 20.0


def _feff_inp(z: int, sym: str) -> str:
    pos = [(R_TA_X, 0, 0), (-R_TA_X, 0, 0), (0, R_TA_X, 0), (0, -R_TA_X, 0), (0, 0, R_TA_X), (0, 0, -R_TA_X)]
    atoms = "\n".join(f"  {x:.4f} {y:.4f} {w:.4f} 1" for x, y, w in pos)
    return (f"TITLE Ta{sym}6 octahedron, Ta L3\nHOLE 4 1.0\nCONTROL 1 1 1 1\nPRINT 1 0 0 0\nRMAX 3.0\nNLEG 2\n"
            f"POTENTIALS\n  0 73 Ta\n  1 {z} {sym}\nATOMS\n  0.0 0.0 0.0 0\n{atoms}\nEND\n")


@pytest.fixture(scope="module")
def feff_paths(tmp_path_factory):
    """feff0001.dat of Ta-Cl6 and Ta-Pb6 (Ta L3, 2.37 Å), from larch's bundled feff6l."""
    out = {}
    for z, sym in ((17, "Cl"), (82, "Pb")):
        folder = tmp_path_factory.mktemp(f"ta{sym.lower()}6")
        (folder / "feff.inp").write_text(_feff_inp(z, sym))
        larch_xafs.feff6l(folder=str(folder), feffinp="feff.inp", verbose=False)
        path = folder / "feff0001.dat"
        if not path.exists():                     # feff6l does not raise on failure
            log = "\n".join(p.read_text(errors="replace")[-800:] for p in folder.glob("*.log"))
            pytest.fail(f"feff6l wrote no feff0001.dat for Ta{sym}6:\n{log}")
        out[sym] = path
    return out


def _feffdat_columns(path):
    """k, |F_eff|·reduction factor, λ, reff, degen straight from a feffNNNN.dat file."""
    lines = path.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ["k", "real[2*phc]"]) + 1
    data = np.array([[float(v) for v in ln.split()] for ln in lines[start:] if len(ln.split()) == 7])
    head = next(ln for ln in lines if "nleg, deg, reff" in ln).split()
    return data[:, 0], data[:, 2] * data[:, 4], data[:, 5], float(head[2]), float(head[1])


def _envelope(path, k, kweight):
    """Amplitude envelope of k^w·χ(k) for the path: k^w N |f_eff| e^(-2k²σ²) e^(-2R/λ) / (k R²)."""
    kf, amp, lam, reff, degen = _feffdat_columns(path)
    kk = np.maximum(k, 1e-3)
    return (kk ** kweight * degen * np.interp(k, kf, amp) * np.exp(-2 * k ** 2 * SIGMA2)
            * np.exp(-2 * reff / np.interp(k, kf, lam)) / (kk * reff ** 2))


@pytest.mark.parametrize("transform", [{"kind": "morlet", "eta": 6.0, "sigma": 1.0},
                                       {"kind": "cauchy", "order": 36}])
def test_wt_maxima_separate_light_and_heavy_backscatterers(feff_paths, transform):
    kweight = 2
    window = (1.4, 2.6)             # first shell of both, not phase-corrected
    measured, predicted, smoothed, width = {}, {}, {}, {}
    for sym, path in feff_paths.items():
        p = larch_xafs.feffpath(str(path), s02=1.0, sigma2=SIGMA2)
        g = larch_xafs.ff2chi([p], kmax=KMAX, kstep=KSTEP)
        res = path_wavelet(p, kweight=kweight, rmax_out=5, r_windows=[window], **transform)
        np.testing.assert_array_equal(res.k, g.k)
        row = res.maxima().iloc[0]
        assert not row["on_edge"]
        measured[sym] = row["k_max"]
        # prediction 1: the maximum of the path's amplitude envelope (FEFF columns, fine k grid)
        kf = np.arange(0.0, KMAX, 0.005)
        env = _envelope(path, kf, kweight)
        predicted[sym] = kf[np.argmax(env)]
        # the envelope from the feff.dat columns is the modulus of larch's complex path chi
        larch_env = np.hypot(p.chi, p.chi_imag) * p.k ** kweight
        assert p.k[np.argmax(larch_env)] == pytest.approx(predicted[sym], abs=0.1)
        # prediction 2: what the WT sees, the envelope seen through the wavelet's k-window
        # (Gaussian of std s = ησ/(2R) for Morlet, a/sqrt(n+1) for Cauchy) over the measured k range
        kk = np.arange(0.0, KMAX + KSTEP / 2, 0.005)
        env = _envelope(path, kk, kweight)
        R = row["R_max"]
        if transform["kind"] == "morlet":
            width[sym] = transform["eta"] * transform["sigma"] / (2 * R)
        else:
            n = transform["order"]
            width[sym] = n / (2 * R) / math.sqrt(n + 1)   # |psi| ~ (1 + (u/a)^2)^-(n+1)/2, a = n/(2R)
        u = np.arange(-int(5 * width[sym] / 0.005), int(5 * width[sym] / 0.005) + 1) * 0.005
        if transform["kind"] == "morlet":
            kern = np.exp(-0.5 * (u / width[sym]) ** 2)
        else:
            kern = (1 + (u * 2 * R / n) ** 2) ** (-(n + 1) / 2)
        full = np.convolve(env, kern)                     # centred slice of the full convolution
        smoothed[sym] = kk[np.argmax(full[u.size // 2:u.size // 2 + kk.size])]
    # light (Cl) at low k, heavy (Pb) at high k, on the same R window
    shift = measured["Pb"] - measured["Cl"]
    shift_pred = predicted["Pb"] - predicted["Cl"]
    assert predicted["Cl"] < 7.0 and predicted["Pb"] > 12.0
    assert shift > 5.0
    # Tolerance 1: the WT localises in k only to within its k-resolution s (about 1.6 Å^-1 here);
    # smoothing an asymmetric envelope with such a window moves its maximum by a fraction of s
    # (Cl's envelope rises faster than it falls, so its WT maximum moves up by ~0.5 Å^-1).
    # Allow s/2 on the shift.
    assert abs(shift - shift_pred) < 0.5 * max(width.values()), (shift, shift_pred, width)
    # Tolerance 2 (tight): against the envelope smoothed by the wavelet's own k-window the residual
    # comes only from the non-linear FEFF phase (Pb's Ramsauer-Townsend structure) and the k grid.
    for sym, k_max in measured.items():
        assert k_max == pytest.approx(smoothed[sym], abs=0.2), (sym, measured, smoothed)


def test_path_wavelet_equals_transform_of_path_chi(feff_paths):
    p = larch_xafs.feffpath(str(feff_paths["Cl"]), sigma2=SIGMA2)
    res = path_wavelet(p, kweight=2, rmax_out=5, chi_kmax=18.0)   # computes path2chi itself
    assert res.k[-1] == pytest.approx(18.0) and res.label == p.label
    assert res.parameters["reff"] == pytest.approx(R_TA_X, abs=1e-3) and res.parameters["degen"] == 6.0
    direct = morlet_wt(p.k, p.chi, kweight=2, rmax_out=5)
    np.testing.assert_array_equal(res.coefficients, direct.coefficients)
    # the transform's own k window (kmin, kmax, dk) is not the path's chi grid (chi_kmax)
    windowed = path_wavelet(p, kweight=2, rmax_out=5, window="hanning", kmin=3, kmax=13, dk=1)
    np.testing.assert_array_equal(windowed.coefficients, morlet_wt(p.k, p.chi, kweight=2, rmax_out=5, window="hanning",
                                                                   kmin=3, kmax=13, dk=1).coefficients)
    cauchy = path_wavelet((p.k, p.chi), kind="cauchy", kweight=2, rmax_out=5)
    assert isinstance(cauchy, WaveletResult) and cauchy.kind == "cauchy"
    with pytest.raises(DataError, match="FEFF path"):
        path_wavelet(42)


def test_true_k_step_is_used_where_larch_rounds_it():
    """larch rounds the k step to 0.001 Å^-1 (0.0333 -> 0.033), which stretches its R axis by 1 %."""
    k = np.arange(0, 16.0, 0.0333)
    R0 = 3.0
    chi = np.sin(2 * k * R0)
    ours = cauchy_wt(k, chi, kweight=0, rmax_out=6, order=100)
    row = ours.maxima([(2.0, 4.0)]).iloc[0]
    assert abs(row["R_max"] - R0) < ours.r[2] - ours.r[1]
    ref = larch_cauchy(k, chi, kweight=0, rmax_out=6)
    middle = (k > 6) & (k < 10)                  # far from both ends
    r_larch = ref.wcauchy_r[np.argmax(np.abs(ref.wcauchy[:, middle]).max(axis=1))]
    assert r_larch == pytest.approx(R0 * 0.0333 / 0.033, abs=0.02)     # larch: 3.03 Å


def test_r_windows_forms():
    res = morlet_wt(K16, np.sin(2 * K16 * 2.0), rmax_out=6, r_windows=(1.5, 2.5))
    assert res.r_windows == ((1.5, 2.5),)
    assert morlet_wt(K16, np.sin(2 * K16 * 2.0), rmax_out=6, r_windows=None).r_windows == ()
    assert list(res.maxima((1.0, 3.0))["r_window"]) == ["1-3A"]
    assert list(morlet_wt(K16, np.sin(2 * K16 * 2.0), rmax_out=6).maxima()["r_window"]) == ["0-6A"]
    with pytest.raises(ConfigError, match="rmin < rmax"):
        res.maxima([(3.0, 1.0)])
