"""reduce_pdf on synthetic total scattering of a NaCl nanoparticle (Debye equation, xraydb form factors,
a container pattern, Compton-like smooth scattering, Poisson counts), against the cluster's own truth;
and the same particle seen by neutrons (constant coherent scattering lengths, flat incoherent scattering)."""

import numpy as np
import pytest
from scipy.optimize import curve_fit
from scipy.spatial.distance import pdist, squareform

from structkit.core.errors import ConfigError, DataError
from structkit.core.measurement import Measurement
from structkit.pdf import convert
from structkit.pdf.reduce import parse_composition, reduce_pdf
from structkit.pdf.smallbox import scattering_factor
from structkit.pdf.synthetic import debye_intensity, rocksalt_particle

A, DIAMETER, LAM, COUNTS = 5.64, 40.0, 0.2095, 5000.0
RHO0 = 8 / A ** 3
KW = dict(composition="NaCl", bkg_scale=0.9, wavelength=LAM, qmin=0.8, qmax=20.0, qmax_inst=24.0, rpoly=0.9,
          rho0=RHO0, scale_r_range=(1.4, 2.2), rmax=30.0)


def _pattern(tth, y, name):
    rng_counts = np.maximum(y * COUNTS, 1.0)
    return Measurement(x=tth, y=y, sigma=np.sqrt(rng_counts) / COUNTS, x_name="two_theta", x_unit="deg",
                       sample=name, source=f"{name}.xy")


@pytest.fixture(scope="module")
def synthetic():
    pos, sym = rocksalt_particle(A, DIAMETER)
    tth = np.arange(0.5, 50.0, 0.01)                          # lambda 0.2095 A (seed 002): Q up to 25 A^-1
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / LAM
    rng = np.random.default_rng(7)
    container = 800 * np.exp(-((q - 1.2) / 0.5) ** 2) + 300 * np.exp(-((q - 4.0) / 1.5) ** 2) + 50
    smooth = 40 * (1 - np.exp(-0.05 * q * q))                  # Compton-like, left to the ad hoc polynomial
    sample = 3.0 * (debye_intensity(q, pos, sym, uiso=0.01) + smooth) + 0.9 * container
    ms = _pattern(tth, rng.poisson(sample * COUNTS) / COUNTS, "NaCl-np")
    mb = _pattern(tth, rng.poisson(container * COUNTS) / COUNTS, "kapton")
    d = squareform(pdist(pos))
    true_cn = ((d > 2.5) & (d < 3.1)).sum() / len(pos)        # surface atoms have fewer than 6
    return ms, mb, true_cn


def _peak(r, g, lo, hi):
    """Centre of a Gaussian + linear baseline fitted to G(r) over [lo, hi] (robust to noise at the top)."""
    s = (r >= lo) & (r <= hi)

    def model(x, h, x0, w, b0, b1):
        return h * np.exp(-(x - x0) ** 2 / (2 * w * w)) + b0 + b1 * x
    i = int(np.argmax(g[s]))
    p, _ = curve_fit(model, r[s], g[s], p0=[g[s][i], r[s][i], 0.15, 0.0, 0.0])
    return p[1]


def test_peaks_and_coordination_number(synthetic):
    ms, mb, true_cn = synthetic
    red = reduce_pdf(ms, background=mb, **KW)
    r, g = red.r, red.gr
    # G(r) maxima: Na-Cl at a/2 (a Gaussian/r peak sits sigma^2/r = 0.007 A low), Na-Na/Cl-Cl at a/sqrt2
    assert _peak(r, g, 2.55, 3.1) == pytest.approx(A / 2, abs=0.01)
    assert _peak(r, g, 3.7, 4.3) == pytest.approx(A / np.sqrt(2), abs=0.02)
    # CN: Gaussian + linear baseline in R(r) (the baseline carries the particle's missing neighbours)
    R = convert(r, g, source="G", target="R", rho0=RHO0)
    s = (r >= 2.3) & (r <= 3.3)

    def model(x, n, x0, w, b0, b1):
        return n * np.exp(-(x - x0) ** 2 / (2 * w * w)) / (w * np.sqrt(2 * np.pi)) + b0 + b1 * (x - 2.8)
    p, _ = curve_fit(model, r[s], R[s], p0=[6, 2.82, 0.15, 0, 0])
    assert p[0] == pytest.approx(true_cn, rel=0.10)
    assert 4.0 < true_cn < 6.0
    # propagated counting noise: small next to the peak, larger where <f>^2 is small (high Q) dominates
    assert 0 < red.gr_stderr[np.searchsorted(r, 2.8)] < 0.05 * g.max()


def test_lorch_barely_moves_the_first_peak(synthetic):
    ms, mb, _ = synthetic
    plain = reduce_pdf(ms, background=mb, **KW)
    damped = reduce_pdf(ms, background=mb, **{**KW, "lorch_window": True})
    assert abs(_peak(plain.r, plain.gr, 2.55, 3.1) - _peak(damped.r, damped.gr, 2.55, 3.1)) < 0.005
    assert damped.settings["lorch"] and not plain.settings["lorch"]


def test_settings_and_measurement(synthetic):
    ms, mb, _ = synthetic
    red = reduce_pdf(ms, background=mb, **KW)
    assert red.settings["degree"] == int(0.9 * 24.0 / np.pi) and red.settings["background"] == "kapton.xy"
    m = red.to_measurement()
    assert m.technique == "pdf" and m.meta["convention"] == "G_pdffit" and m.sample == "NaCl-np"
    assert np.all(np.isfinite(red.sq[red.q > 0]))
    assert "rpoly 0.9" in red.summary()


def test_without_density_the_scale_is_left_alone(synthetic):
    ms, mb, _ = synthetic
    kw = {k: v for k, v in KW.items() if k not in ("rho0", "scale_r_range")}
    red = reduce_pdf(ms, background=mb, **kw)
    assert red.scale == 1.0 and red.settings["rho0"] is None


def test_bad_input(synthetic):
    ms, mb, _ = synthetic
    with pytest.raises(DataError, match="beyond the data"):
        reduce_pdf(ms, background=mb, **{**KW, "qmax": 40.0, "qmax_inst": 40.0})
    with pytest.raises(ConfigError, match="not an element symbol"):
        reduce_pdf(ms, background=mb, **{**KW, "composition": "NaXx"})
    short = Measurement(x=np.asarray(mb.x)[100:], y=np.asarray(mb.y)[100:], x_name="two_theta", x_unit="deg",
                        source="short.xy")
    with pytest.raises(DataError, match="background covers") as info:
        reduce_pdf(ms, background=short, **KW)
    assert "short.xy" in str(info.value)
    with pytest.raises(ConfigError, match="bkg_scale"):
        reduce_pdf(ms, background=mb, **{**KW, "bkg_scale": -0.5})
    with pytest.raises(ConfigError, match="wavelength"):
        reduce_pdf(ms, background=mb, **{**KW, "wavelength": None})


def test_composition():
    assert parse_composition({"Na": 2, "Cl": 2}) == {"Na": 0.5, "Cl": 0.5}
    with pytest.raises(ConfigError, match="chemical formula|unknown element"):
        parse_composition("123")


# ------------------------------------------------------------------------------------------------- neutrons
B_NACL = {el: scattering_factor(el, "neutron") for el in ("Na", "Cl")}       # fm
NCOUNTS, NLAM = 1000.0, 0.4
NKW = dict(composition="NaCl", radiation="neutron", qmin=0.8, qmax=25.0, qmax_inst=28.0, rpoly=0.9, rho0=RHO0,
           scale_r_range=(1.4, 2.2), rmax=20.0)


def _q_pattern(q, y, name, counts):
    return Measurement(x=q, y=y, sigma=np.sqrt(np.maximum(y * counts, 1.0)) / counts, x_name="Q",
                       x_unit="1/angstrom", sample=name, source=f"{name}.xy")


@pytest.fixture(scope="module")
def neutron():
    """NaCl particle, x = Q (time-of-flight-like), intensity in fm^2 per atom: coherent (self term included)
    + flat incoherent (sigma_inc(Na) 1.62 b, Cl 5.3 b: 27.5 fm^2/atom) + a slow inelasticity droop, Poisson."""
    pos, sym = rocksalt_particle(A, DIAMETER)
    q = np.arange(0.3, 30.0, 0.01)
    coh = debye_intensity(q, pos, sym, uiso=0.01, scattering_lengths=B_NACL)
    smooth = 27.5 - 3.0 * (1 - np.exp(-0.02 * q * q))
    rng = np.random.default_rng(11)
    ms = _q_pattern(q, rng.poisson((coh + smooth) * NCOUNTS) / NCOUNTS, "NaCl-n", NCOUNTS)
    bav, b2av = np.mean(list(B_NACL.values())), np.mean(np.square(list(B_NACL.values())))
    exact_f = q * (coh - b2av) / bav ** 2                  # Faber-Ziman F(Q) of the noise-free cluster
    return ms, exact_f


def test_neutron_peaks(neutron):
    ms, _ = neutron
    red = reduce_pdf(ms, **NKW)
    assert _peak(red.r, red.gr, 2.55, 3.1) == pytest.approx(A / 2, abs=0.01)
    assert _peak(red.r, red.gr, 3.7, 4.3) == pytest.approx(A / np.sqrt(2), abs=0.02)
    assert red.settings["radiation"] == "neutron" and red.settings["scattering_lengths"] == B_NACL
    assert red.settings["degree"] == int(0.9 * 28.0 / np.pi)
    assert red.to_measurement().meta["radiation"] == "neutron" and "(neutron)" in red.summary()
    assert np.all(np.isfinite(red.gr_stderr)) and red.gr_stderr.max() < 0.05 * red.gr.max()


def test_neutron_normalization_is_mean_b_squared(neutron):
    """Intensities in fm^2/atom and no rho0: F = Q(I_c - smooth)/<b>^2 is absolute, so F(Q) follows the exact
    cluster's (0.96 of it here, the polynomial taking a little; normalising by <b^2> would give 0.83 of that)."""
    ms, exact_f = neutron
    kw = {k: v for k, v in NKW.items() if k not in ("rho0", "scale_r_range")}
    red = reduce_pdf(ms, **kw)
    exact = np.interp(red.q, np.asarray(ms.x), exact_f)
    w = (red.q >= 2.0) & (red.q <= 25.0)
    assert red.scale == 1.0
    assert np.dot(red.fq[w], exact[w]) / np.dot(exact[w], exact[w]) == pytest.approx(1.0, abs=0.06)


def test_neutron_two_theta_needs_the_wavelength(neutron):
    ms, _ = neutron
    q = np.asarray(ms.x)
    tth = np.degrees(2 * np.arcsin(q * NLAM / (4 * np.pi)))          # constant-wavelength instrument
    mt = Measurement(x=tth, y=ms.y, sigma=ms.sigma, x_name="two_theta", x_unit="deg", source="cw.xy")
    with pytest.raises(ConfigError, match="wavelength"):
        reduce_pdf(mt, **NKW)
    kw = {k: v for k, v in NKW.items() if k not in ("rho0", "scale_r_range")}
    by_q, by_tth = reduce_pdf(ms, **kw), reduce_pdf(mt, wavelength=NLAM, **kw)
    assert np.allclose(by_tth.gr, by_q.gr, atol=1e-6 * np.abs(by_q.gr).max())


def test_neutron_negative_mean_scattering_length():
    """LiH (b_Li -1.90, b_H -3.74 fm): <b> < 0 but b_Li b_H > 0, so the first G(r) peak (Li-H, a/2) goes up;
    NaCl with made-up lengths Na -5, Cl +2 fm (<b> = -1.5 fm): Na-Cl (a/2) goes down, Na-Na/Cl-Cl (a/sqrt2) up."""
    a = 4.083
    pos, sym = rocksalt_particle(a, 30.0, ("Li", "H"))
    q = np.arange(0.5, 30.0, 0.01)
    b = {el: scattering_factor(el, "neutron") for el in ("Li", "H")}
    coh = debye_intensity(q, pos, sym, uiso=0.01, scattering_lengths=b)
    rng = np.random.default_rng(5)
    y = rng.poisson((coh + 320.0) * NCOUNTS) / NCOUNTS               # H: 80 b incoherent, i.e. 320 fm^2/atom
    red = reduce_pdf(_q_pattern(q, y, "LiH", NCOUNTS), composition="LiH", radiation="neutron", qmin=0.8, qmax=25.0,
                     rpoly=0.9, rmax=10.0)
    r, g = red.r, red.gr
    win = (r > 1.8) & (r < 2.3)
    assert g[win].max() > 5 * red.gr_stderr[win].max() and g[win].max() > -g[win].min()
    assert r[win][np.argmax(g[win])] == pytest.approx(a / 2, abs=0.05)     # flat-topped: termination ripples

    pos, sym = rocksalt_particle(A, DIAMETER)
    made_up = {"Na": -5.0, "Cl": 2.0}
    coh = debye_intensity(q, pos, sym, uiso=0.01, scattering_lengths=made_up)
    red = reduce_pdf(_q_pattern(q, coh + 10.0, "NaCl-made-up", NCOUNTS), composition="NaCl", radiation="neutron",
                     scattering_lengths=made_up, qmin=0.8, qmax=25.0, rpoly=0.9, rmax=10.0)
    r, g = red.r, red.gr
    assert red.settings["scattering_lengths"] == made_up
    assert _peak(r, -g, 2.55, 3.1) == pytest.approx(A / 2, abs=0.01) and np.interp(A / 2, r, g) < 0
    assert _peak(r, g, 3.7, 4.3) == pytest.approx(A / np.sqrt(2), abs=0.02) and np.interp(A / np.sqrt(2), r, g) > 0


def test_neutron_bad_input(neutron):
    ms, _ = neutron
    kw = {k: v for k, v in NKW.items() if k != "composition"}
    with pytest.raises(ConfigError, match=r"composition 'Ti2Zr'.*<b> = 0.141 fm is ~0.*meaningless"):
        reduce_pdf(ms, composition="Ti2Zr", **kw)            # Ti -3.37, Zr 7.16 fm: a null-scattering alloy
    with pytest.raises(ConfigError, match=r"<b>\^2 = 0.37 fm\^2 is ~0 next to <b\^2> = 42.7 fm\^2 .*null-scattering"):
        reduce_pdf(ms, composition="Mn0.69Ni0.31", **kw)     # |<b>| 0.61 fm, but <b>^2/<b^2> < 1 %
    with pytest.raises(ConfigError, match=r"composition 'V'.*<b> = -0.443 fm is ~0.*meaningless"):
        reduce_pdf(ms, composition="V", **kw)
    with pytest.raises(ConfigError, match=r"no neutron scattering length tabulated for Po; pass scattering_lengths="):
        reduce_pdf(ms, composition="PoO", **kw)
    reduce_pdf(ms, composition="PoO", scattering_lengths={"Po": 6.0}, **kw)   # ... which is how to go on
    with pytest.raises(ConfigError, match="'K', which is not in the composition"):
        reduce_pdf(ms, composition="NaCl", scattering_lengths={"K": 3.67}, **kw)
    with pytest.raises(ConfigError, match="finite"):
        reduce_pdf(ms, composition="NaCl", scattering_lengths={"Na": float("nan")}, **kw)
    with pytest.raises(ConfigError, match="neutron' only"):
        reduce_pdf(ms, **{**NKW, "radiation": "xray", "scattering_lengths": B_NACL})
    with pytest.raises(ConfigError, match="radiation must be"):
        reduce_pdf(ms, **{**NKW, "radiation": "electron"})


def test_deuterium_is_kept_for_neutrons():
    assert parse_composition("D2O", radiation="neutron") == pytest.approx({"D": 2 / 3, "O": 1 / 3})
    assert parse_composition("D2O") == pytest.approx({"H": 2 / 3, "O": 1 / 3})       # X-rays: D is H
    assert parse_composition("Dy2O3", radiation="neutron") == pytest.approx({"Dy": 0.4, "O": 0.6})
