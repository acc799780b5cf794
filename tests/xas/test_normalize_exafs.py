"""Normalization, AUTOBK and Fourier transforms against forward models with known truth."""

import subprocess
import sys

import numpy as np
import pytest

from structkit.core.errors import DataError
from structkit.core.measurement import Measurement
from structkit.xas import xas_measurement
from structkit.xas.exafs import extract_exafs
from structkit.xas.normalize import normalize
from structkit.xas.synthetic import shells_chi, synthetic_xas

pytest.importorskip("larch")

E0 = 8979.0


def _spec(**kw):
    e, mu = synthetic_xas(E0, **kw)
    return xas_measurement(e, mu, sample="syn", source="syn.xmu", conditions={"temperature_K": 300.0})


def test_normalize_recovers_edge_step_and_e0():
    step = 1.3
    res = normalize(_spec(step=step, noise=2e-4, seed=3))
    # the arctan step is centred at E0, so the half-step crossing is E0 itself (to the grid's 0.5 eV)
    assert abs(res.e0_half_step - E0) < 0.3
    assert abs(res.e0_derivative - E0) <= 0.5
    # edge step: the forward model's jump at E0 (post-edge decay exp(-1.5e-4 * 0) = 1)
    assert res.edge_step == pytest.approx(step, rel=0.03)
    assert res.settings["e0_method"] == "derivative" and res.settings["pre1"] < res.settings["pre2"] < 0
    names = [d.name for d in res.descriptors()]
    assert {"e0_eV", "e0_half_step_eV", "edge_step"} <= set(names)


def test_half_step_method_and_white_line():
    res = normalize(_spec(white_line=0.8, noise=0.0), e0_method="half_step")
    assert res.settings["e0_method"] == "half_step"
    assert res.e0 == pytest.approx(res.e0_half_step)
    # Lorentzian white line at E0 + 3 eV on a rising arctan: the maximum of the sum sits just above it
    assert 3.0 <= res.white_line_energy - E0 <= 5.0
    assert res.white_line_height > 1.3


def test_given_e0_is_used():
    res = normalize(_spec(), e0=E0 + 1.0)
    assert res.e0 == E0 + 1.0 and res.settings["e0_method"] == "given"


@pytest.mark.parametrize("case, match", [
    ("inverted", "edge step"),
    ("flat", "no edge"),
    ("e0_outside", "outside the data"),
    ("angle", "not an X-ray energy"),
])
def test_normalize_bad_input(case, match):
    e, mu = synthetic_xas(E0, noise=1e-3, seed=1)
    if case == "inverted":
        m, kw = xas_measurement(e, -mu, source="bad.xmu"), {}
    elif case == "flat":
        rng = np.random.default_rng(0)
        m, kw = xas_measurement(e, 0.5 - 1e-5 * (e - E0) + rng.normal(0, 1e-3, e.size), source="bad.xmu"), {}
    elif case == "e0_outside":
        m, kw = xas_measurement(e, mu, source="bad.xmu"), {"e0": 12000.0}
    else:
        m, kw = Measurement(e, mu, x_name="two_theta", x_unit="deg", source="bad.xmu"), {}
    with pytest.raises(DataError, match=match) as info:
        normalize(m, **kw)
    assert "bad.xmu" in str(info.value)


def test_ft_peak_of_a_phase_free_shell_sits_at_its_distance():
    """shells_chi has no scattering phase, so |chi(R)| must peak at the true R (to the transform's R step)."""
    r_true = 2.40
    kk = np.arange(0, 17, 0.05)
    m = _spec(chi=(kk, shells_chi(kk, [(6, r_true, 0.004)])), noise=1e-4, seed=5)
    ex = extract_exafs(m, rbkg=1.0, kweight=2)
    ft = ex.fourier(kmin=3, kmax=15, dk=1, window="hanning", kweight=2)
    peak = ft.peaks(rmin=1.5, rmax=3.5, n=1)
    dr = float(ft.r[1] - ft.r[0])
    assert abs(peak["r"].iloc[0] - r_true) < dr
    rows = ft.descriptors(n=1)
    assert rows[0].name == "ft_peak_r_A[1]" and "NOT phase-corrected" in rows[0].method


def test_noise_estimate_matches_injected_noise():
    """White noise of known rms added to chi(k): larch's high-R estimate must find it."""
    kk = np.arange(0, 16.01, 0.05)
    m = _spec(chi=(kk, shells_chi(kk, [(12, 2.55, 0.008)])))
    ex = extract_exafs(m, rbkg=1.0, kweight=2)
    eps = 2e-3
    noisy = type(ex)(**{**ex.__dict__, "chi": ex.chi + np.random.default_rng(11).normal(0, eps, ex.k.size)})
    ft = noisy.fourier(kmin=3, kmax=15, dk=1, window="hanning", kweight=2, rmax_out=30)
    est = ft.noise(rmin=15, rmax=25)
    assert est["epsilon_k"] == pytest.approx(eps, rel=0.3)


def test_back_transform_returns_the_windowed_shell():
    kk = np.arange(0, 16.01, 0.05)
    chi = shells_chi(kk, [(6, 2.3, 0.004)])
    ex = extract_exafs(_spec(chi=(kk, chi)), rbkg=1.0, kweight=2)
    ft = ex.fourier(kmin=3, kmax=14, dk=1, window="hanning", kweight=2)
    q, chiq = ft.back_transform(rmin=1.5, rmax=3.2, dr=0.2)
    sel = (q > 5) & (q < 12)
    model = np.interp(q[sel], kk, kk ** 2 * chi) * np.interp(q[sel], ft.k, ft.kwin)
    # one isolated shell: the filtered signal is the shell itself, up to the spline's leakage
    assert np.max(np.abs(chiq.real[sel] - model)) < 0.1 * np.max(np.abs(model))


@pytest.mark.parametrize("where", ["autobk", "fourier"])
def test_k_range_beyond_the_data_raises(where):
    m = _spec(kmax=12.0)
    with pytest.raises(DataError, match="beyond the data"):
        if where == "autobk":
            extract_exafs(m, kmax=15.0)
        else:
            extract_exafs(m).fourier(kmin=3, kmax=15)


def test_unknown_window_raises():
    with pytest.raises(DataError, match="unknown Fourier window"):
        extract_exafs(_spec()).fourier(window="boxcar-ish")


def test_import_structkit_does_not_import_larch():
    code = ("import sys, structkit, structkit.xas, structkit.xas.exafs, structkit.xas.shells, structkit.cli; "
            "print('larch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
