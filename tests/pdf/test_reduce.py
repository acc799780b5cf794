"""reduce_pdf on synthetic total scattering of a NaCl nanoparticle (Debye equation, xraydb form factors,
a container pattern, Compton-like smooth scattering, Poisson counts), against the cluster's own truth;
and the same particle seen by neutrons (constant coherent scattering lengths, flat incoherent scattering)."""

import numpy as np
import pytest
from scipy.optimize import curve_fit

from structkit.core.errors import ConfigError, DataError
from structkit.core.measurement import Measurement
from structkit.pdf import convert
from structkit.pdf.reduce import parse_composition, q_axis, reduce_pdf
from structkit.pdf.smallbox import scattering_factor
from structkit.pdf.synthetic import debye_intensity, rocksalt_particle

A, DIAMETER, LAM = 5.64, 40.0, 0.2095
RHO0 = 8 / A ** 3
KW = dict(composition="NaCl", bkg_scale=0.9, wavelength=LAM, qmin=0.8, qmax=20.0, qmax_inst=24.0, rpoly=0.9,
          rho0=RHO0, scale_r_range=(1.4, 2.2), rmax=30.0)


@pytest.fixture(scope="module")
def synthetic(nacl_particle):
    """The 40 Å NaCl particle of conftest: sample and container patterns, and the true mean CN."""
    return nacl_particle["sample"], nacl_particle["background"], nacl_particle["true_cn"]


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
    coh = debye_intensity(q, pos, sym, uiso=0.02, scattering_lengths=B_NACL)
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
    coh = debye_intensity(q, pos, sym, uiso=0.02, scattering_lengths=b)
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
    coh = debye_intensity(q, pos, sym, uiso=0.02, scattering_lengths=made_up)
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


# -- q_axis: what x is, from x_name and x_unit --------------------------------------------------------

QX = np.array([1.0, 2.0, 5.0, 10.0, 20.0])                              # A^-1
TTHX = np.array([2.0, 10.0, 30.0, 60.0, 120.0])                         # deg


def _x(x, name, unit, **kw):
    return Measurement(x=np.asarray(x, dtype=float), y=np.ones(len(x)), x_name=name, x_unit=unit,
                       source="pattern.xy", **kw)


def _q(tth_deg, lam=LAM):
    return 4 * np.pi * np.sin(np.radians(tth_deg) / 2) / lam


@pytest.mark.parametrize("name", ["Q", "q", "x", "polar_angle", "Intensity vs Q"])
@pytest.mark.parametrize("unit, factor", [
    ("1/angstrom", 1.0), ("1/A", 1.0), ("A^-1", 1.0), ("A-1", 1.0), ("Å^-1", 1.0), ("Å⁻¹", 1.0), ("1/Å", 1.0),
    ("inv_angstrom", 1.0), ("angstrom^-1", 1.0), ("\\AA^{-1}", 1.0), ("q_A^-1", 1.0),
    ("1/nm", 10.0), ("nm^-1", 10.0), ("nm-1", 10.0), ("nm⁻¹", 10.0), ("inv_nm", 10.0), ("q_nm^-1", 10.0),
    ("1/m", 1e10),
])
def test_q_axis_q_units(name, unit, factor):
    assert np.allclose(q_axis(_x(factor * QX, name, unit), None), QX, rtol=1e-12)


@pytest.mark.parametrize("name", ["two_theta", "2theta", "2th", "tth", "2θ", "polar_angle", "Angle", "x"])
@pytest.mark.parametrize("unit, to_x", [
    ("deg", lambda t: t), ("degrees", lambda t: t), ("°", lambda t: t), ("°2Th.", lambda t: t),
    ("2th_deg", lambda t: t), ("rad", np.radians), ("radians", np.radians), ("2th_rad", np.radians),
])
def test_q_axis_two_theta_in_degrees_and_radians(name, unit, to_x):
    """Radians are converted, not taken for degrees; the wavelength from the argument or meta."""
    assert np.allclose(q_axis(_x(to_x(TTHX), name, unit), LAM), _q(TTHX), rtol=1e-12)
    m = _x(to_x(TTHX), name, unit, meta={"wavelength_angstrom": LAM})
    assert np.allclose(q_axis(m, None), _q(TTHX), rtol=1e-12)


def test_q_axis_pyfai_names_without_a_unit():
    """pyFAI's unit names as the name (a Measurement built by hand from a pyFAI column label)."""
    assert np.allclose(q_axis(_x(10 * QX, "q_nm^-1", ""), None), QX)
    assert np.allclose(q_axis(_x(QX, "q_A^-1", ""), None), QX)
    assert np.allclose(q_axis(_x(np.radians(TTHX), "2th_rad", ""), LAM), _q(TTHX))
    assert np.allclose(q_axis(_x(TTHX, "2th_deg", ""), LAM), _q(TTHX))


@pytest.mark.parametrize("name, unit, match", [
    ("d", "A", "d-spacing: convert it to Q first"),
    ("d_spacing", "", "d-spacing: convert it to Q first"),
    ("polar_angle", "d_A", "d-spacing: convert it to Q first"),
    ("x", "angstrom", r"a length \(d-spacing\?\): if it is d-spacing, convert it to Q first"),
    ("tof", "us", "time-of-flight: convert it to Q first"),
    ("time_of_flight", "", "time-of-flight: convert it to Q first"),
    ("x", "µs", "time-of-flight: convert it to Q first"),
    ("r", "mm", "radius on the detector: integrate to 2-theta or Q"),
    ("polar_angle", "r_mm", "radius on the detector"),
    ("chi", "deg", "azimuthal angle chi"),
    ("polar_angle", "chi_deg", "azimuthal angle chi"),
    ("omega", "deg", "an angle that is not 2-theta"),
    ("Q", "deg", "an angle unit, but Q by its name"),
    ("two_theta", "1/A", "a 1/length unit, but 2-theta by its name"),
    ("k", "1/A", "wavenumber k"),
    ("energy", "keV", "neither an angle nor 1/length \\(an energy\\)"),
    ("x", "furlong", "the unit 'furlong' is neither an angle nor 1/length"),
    ("G(r)", "", "neither 2-theta nor Q by its name"),
    ("polar_angle", "d*2_A^-2", "1/d\\^2"),
])
def test_q_axis_refuses_what_is_neither_two_theta_nor_q(name, unit, match):
    """Never silently Q in A^-1: the error names the file, the x name and unit found, and what to do."""
    with pytest.raises(DataError, match=match) as info:
        q_axis(_x(QX, name, unit), LAM)
    err = info.value
    assert err.path == "pattern.xy" and str(err).startswith("pattern.xy: ")
    found = f"x is {name!r} in {unit!r}" if unit else f"x is {name!r} with no unit"
    assert found in err.message
    assert "x_name 'Q', x_unit '1/angstrom'" in err.message and "x_name 'two_theta', x_unit 'deg'" in err.message


def test_q_axis_two_theta_beyond_180_degrees_or_without_wavelength():
    with pytest.raises(DataError, match="outside 0-180 degrees; check the unit"):
        q_axis(_x([10.0, 100.0, 200.0], "two_theta", "rad"), LAM)        # degrees labelled rad
    with pytest.raises(ConfigError, match="give the wavelength"):
        q_axis(_x(TTHX, "polar_angle", "2th_deg"), None)


def test_headerless_q_and_unitless_names_are_assumed_and_noted(synthetic):
    """No name and no unit (a headerless 2-column file): Q in A^-1 as always, the assumption in the settings
    and the summary; a 2θ or Q name without a unit: degrees or A^-1, noted the same way."""
    ms, mb, _ = synthetic
    q = _q(np.asarray(ms.x))
    bare = Measurement(x=q, y=ms.y, sigma=ms.sigma, source="bare.xy")          # x_name "x", x_unit ""
    bare_bkg = Measurement(x=_q(np.asarray(mb.x)), y=mb.y, sigma=mb.sigma, source="bare_kapton.xy")
    assert (bare.x_name, bare.x_unit) == ("x", "")
    assert np.array_equal(q_axis(bare, None), q)
    kw = {**KW, "wavelength": None, "background": bare_bkg}
    red = reduce_pdf(bare, **kw)
    note = "Q in 1/angstrom assumed (no name or unit for x in the file)"
    assert red.settings["x_axis"] == red.settings["background_x_axis"] == note
    assert f"; x: {note}; background x: {note}" in red.summary()
    assert red.to_measurement().meta["x_axis"] == note
    assert reduce_pdf(bare, **{**kw, "background": None, "rho0": None}).settings["background_x_axis"] is None
    named = ms.replace(x_unit="")                                              # "two_theta", no unit
    red = reduce_pdf(named, background=mb, **KW)
    assert red.settings["x_axis"] == ("2-theta in deg assumed (x named 'two_theta', no unit in the file), "
                                      f"wavelength {LAM:g} A")
    assert red.settings["background_x_axis"] == f"2-theta in deg, wavelength {LAM:g} A"
    assert "x: 2-theta in deg assumed" in red.summary() and "background x:" not in red.summary()
    red = reduce_pdf(bare.replace(x_name="Q"), **kw)
    assert red.settings["x_axis"] == "Q in 1/angstrom assumed (x named 'Q', no unit in the file)"
    red = reduce_pdf(bare.replace(x_name="Q", x_unit="1/angstrom"), **kw)      # said: nothing assumed
    assert red.settings["x_axis"] == "Q in '1/angstrom'" and "; x:" not in red.summary()


def test_radians_and_nanometres_reduce_like_degrees(synthetic):
    ms, mb, _ = synthetic
    ref = reduce_pdf(ms, background=mb, **KW)
    rad = reduce_pdf(ms.replace(x=np.radians(ms.x), x_unit="rad"), background=mb.replace(x=np.radians(mb.x),
                                                                                          x_unit="rad"), **KW)
    assert np.allclose(rad.gr, ref.gr, rtol=1e-7, atol=1e-9 * np.abs(ref.gr).max())
    q_nm = 10 * _q(np.asarray(ms.x))
    nm = reduce_pdf(ms.replace(x=q_nm, x_name="q", x_unit="nm^-1"), background=mb, **KW)
    assert nm.q.size == ref.q.size and np.allclose(nm.q, ref.q, rtol=1e-12)
    assert np.allclose(nm.gr, ref.gr, rtol=1e-7, atol=1e-9 * np.abs(ref.gr).max())
    assert nm.settings["x_axis"] == "Q in 'nm^-1' (x 0.1 to 1/angstrom)"
    assert rad.settings["x_axis"] == f"2-theta in rad, wavelength {LAM:g} A"

