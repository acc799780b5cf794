"""F(Q) <-> G(r) sine transforms (chirp-z and direct sum), Lorch, and the real-space conventions."""

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError
from structkit.pdf import convert, fq_to_gr, gr_to_fq, lorch
from structkit.pdf.transform import is_uniform

R0, S2 = 2.5, 0.006          # one shell: F(Q) = sin(Q R0) exp(-S2 Q^2 / 2)


def shell_fq(q, amplitude=1.0):
    return amplitude * np.sin(q * R0) * np.exp(-S2 * q * q / 2)


def shell_gr(r, amplitude=1.0):
    """(2/pi) int_0^inf F(Q) sin(Qr) dQ in closed form: two Gaussians of variance S2 at +-R0."""
    s = np.sqrt(S2)
    return amplitude / (s * np.sqrt(2 * np.pi)) * (np.exp(-(r - R0) ** 2 / (2 * S2)) - np.exp(-(r + R0) ** 2 / (2 * S2)))


def test_chirp_z_equals_direct_sum_on_uniform_grids():
    q = np.arange(0.3, 25.0, 0.005)            # 4940 points, not starting at 0
    r = np.arange(0.7, 30.0, 0.01)             # 2930 points, not starting at 0
    fq = shell_fq(q) + 0.3 * np.sin(q * 4.1) * np.exp(-0.01 * q * q)
    fast, slow = fq_to_gr(q, fq, r, method="czt"), fq_to_gr(q, fq, r, method="direct")
    assert np.max(np.abs(fast - slow)) < 1e-9 * np.max(np.abs(slow))
    assert np.array_equal(fq_to_gr(q, fq, r), fast)                     # auto picks chirp-z here


def test_single_shell_matches_the_closed_form():
    q = np.arange(0.0, 60.0001, 0.01)          # F(Q) is down to 2e-5 of its amplitude at 60 A^-1
    r = np.arange(0.0, 8.0, 0.005)
    g = fq_to_gr(q, shell_fq(q, 2.0), r)
    # trapezoid error ~ dq^2 * F'' ~ 1e-4 of the peak; truncation at 60 A^-1 ~ 2e-5
    assert np.max(np.abs(g - shell_gr(r, 2.0))) < 1e-3 * np.max(shell_gr(r, 2.0))
    assert r[np.argmax(g)] == pytest.approx(R0, abs=0.005)


def test_non_uniform_q_uses_the_direct_sum():
    rng = np.random.default_rng(0)
    q = np.sort(rng.uniform(0.0, 60.0, 20000))
    r = np.arange(0.5, 6.0, 0.01)
    assert not is_uniform(q)
    g = fq_to_gr(q, shell_fq(q), r)
    assert np.max(np.abs(g - shell_gr(r))) < 5e-3 * np.max(shell_gr(r))
    with pytest.raises(ConfigError, match="uniform"):
        fq_to_gr(q, shell_fq(q), r, method="czt")


def test_back_transform_recovers_fq():
    q = np.arange(0.0, 40.0001, 0.01)
    r = np.arange(0.0, 60.0, 0.01)
    fq = shell_fq(q)
    back = gr_to_fq(r, fq_to_gr(q, fq, r), q) * 1.0
    inside = (q > 1.0) & (q < 30.0)
    assert np.max(np.abs(back[inside] - fq[inside])) < 2e-3


def test_lorch_damps_termination_ripples_without_moving_the_peak():
    assert lorch(0.0, 20.0) == 1.0 and abs(lorch(20.0, 20.0)) < 1e-15
    q = np.arange(0.0, 18.0001, 0.01)          # cut where F(Q) is still 38 % of its amplitude: ripples
    r = np.arange(0.5, 6.0, 0.002)
    plain, damped = fq_to_gr(q, shell_fq(q), r), fq_to_gr(q, shell_fq(q), r, lorch_window=True)
    far = r > 3.5
    assert np.max(np.abs(damped[far])) < 0.3 * np.max(np.abs(plain[far]))
    assert abs(r[np.argmax(plain)] - r[np.argmax(damped)]) < 0.005


def test_qmin_qmax_select_the_points():
    q = np.arange(0.0, 30.0001, 0.01)
    r = np.arange(1.0, 5.0, 0.01)
    sub = (q >= 1.0) & (q <= 20.0)
    np.testing.assert_allclose(fq_to_gr(q, shell_fq(q), r, qmin=1.0, qmax=20.0),
                               fq_to_gr(q[sub], shell_fq(q[sub]), r), rtol=0, atol=1e-12)


@pytest.mark.parametrize("source", ["G", "g", "R", "T", "G_keen"])
@pytest.mark.parametrize("target", ["G", "g", "R", "T", "G_keen"])
def test_conventions_round_trip(source, target):
    rho0 = 0.0914                                          # fcc Ni, 4 atoms / 3.524^3 A^3
    r = np.arange(0.01, 10.0, 0.01)
    g = 1 + shell_gr(r) / (4 * np.pi * rho0 * r)
    y = convert(r, g, source="g", target=source, rho0=rho0)
    there = convert(r, y, source=source, target=target, rho0=rho0)
    np.testing.assert_allclose(convert(r, there, source=target, target=source, rho0=rho0), y, rtol=1e-10, atol=1e-12)


def test_rdf_integrates_to_the_coordination_number():
    """R(r) of n atoms in a Gaussian shell on a uniform continuum, through G(r) and back: the excess over
    4 pi r^2 rho0 integrates to n, G vanishes at r = 0 and g is undefined there."""
    from scipy.integrate import trapezoid
    rho0, n = 0.08, 12.0
    r = np.arange(0.0, 6.0, 0.001)
    gauss = np.exp(-(r - R0) ** 2 / (2 * S2)) / np.sqrt(2 * np.pi * S2)
    rdf = 4 * np.pi * r ** 2 * rho0 + n * gauss                 # R(r) of a shell of n atoms on a continuum
    G = convert(r, rdf, source="R", target="G", rho0=rho0)
    excess = convert(r, G, source="G", target="R", rho0=rho0) - 4 * np.pi * r ** 2 * rho0
    assert trapezoid(excess, r) == pytest.approx(n, rel=1e-6)
    assert G[0] == 0.0 and np.isnan(convert(r, G, source="G", target="g", rho0=rho0)[0])


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(q=[0, 2, 1, 3], fq=[0, 1, 2, 3]), DataError, "strictly increasing"),
    (dict(q=[0, 1, 2, 3], fq=[0, np.nan, 2, 3]), DataError, "NaN"),
    (dict(q=[0, 1, 2, 3], fq=[0, 1, 2]), DataError, "one length"),
    (dict(q=[0, 1, 2, 3], fq=[0, 1, 2, 3], qmax=5.0), DataError, "beyond the data"),
    (dict(q=[0, 1, 2, 3], fq=[0, 1, 2, 3], qmin=2.5, qmax=2.0), ConfigError, "qmin < qmax"),
    (dict(q=[0, 1, 2, 3], fq=[0, 1, 2, 3], method="fft"), ConfigError, "method"),
])
def test_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        fq_to_gr(r=np.arange(1.0, 3.0, 0.1), **kwargs)


def test_bad_conventions():
    r = np.arange(1.0, 3.0, 0.5)
    with pytest.raises(ConfigError, match="rho0"):
        convert(r, r, source="G", target="g", rho0=-1)
    with pytest.raises(ConfigError, match="target must be one of"):
        convert(r, r, source="G", target="D", rho0=0.1)
