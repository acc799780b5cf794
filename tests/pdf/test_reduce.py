"""reduce_pdf on synthetic total scattering of a NaCl nanoparticle (Debye equation, xraydb form factors,
a container pattern, Compton-like smooth scattering, Poisson counts), against the cluster's own truth."""

import numpy as np
import pytest
from scipy.optimize import curve_fit
from scipy.spatial.distance import pdist, squareform

from structkit.core.errors import ConfigError, DataError
from structkit.core.measurement import Measurement
from structkit.pdf import convert
from structkit.pdf.reduce import parse_composition, reduce_pdf
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
