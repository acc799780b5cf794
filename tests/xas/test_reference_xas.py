"""Real foil spectra from xraylarch's examples, against the upstream feffit answers (SOURCES.md, xas/)."""

import numpy as np
import pytest

from structkit.io import read
from structkit.xas.exafs import extract_exafs
from structkit.xas.normalize import normalize
from structkit.xas.shells import PathModel, fit_shells

pytest.importorskip("larch")
pytestmark = pytest.mark.reference_data

# settings of doc_feffit1/3 (SOURCES.md): autobk rbkg 1.0 kw 2; k 3-17 kw 2 dk 4 Kaiser
FIT = dict(kmin=3, kmax=17, kweight=2, dk=4, window="kaiser")


@pytest.fixture(scope="module")
def xas_dir(reference_data):
    return reference_data / "xas"


def test_cu_rt_one_shell_fit_matches_larch_doc_feffit1(xas_dir):
    ex = extract_exafs(read(xas_dir / "cu_metal_rt.xdi"), rbkg=1.0, kweight=2)
    fit = fit_shells(ex, [PathModel(xas_dir / "feff_paths" / "feffcu01.dat", label="Cu1")],
                     rmin=1.4, rmax=3.0, **FIT)
    p = fit.paths.iloc[0]
    # upstream: R 2.5418, sigma2 0.00867(31), S0^2 0.931(39), dE0 4.36(51), R-factor 0.0027, N_idp 15.26
    assert abs(p["r"] - 2.5418) < 0.003
    assert abs(p["sigma2"] - 0.00867) < 3e-4
    assert abs(p["s02"] - 0.931) < 0.05
    assert p["sigma2_stderr"] == pytest.approx(0.00031, rel=0.2)
    assert fit.n_idp == pytest.approx(15.26, abs=0.05)
    assert fit.rfactor < 0.005
    names = {d.name for d in fit.descriptors()}
    assert {"shell_r_A[Cu1]", "shell_sigma2_A2[Cu1]", "shell_s02", "shell_rfactor"} <= names


def test_cu_temperature_series_einstein_theta(xas_dir):
    exs = []
    for t in (10, 50, 150):
        m = read(xas_dir / f"cu_{t}k.xmu", temperature_K=float(t))
        exs.append(extract_exafs(m, rbkg=1.0, kweight=2))
    path = PathModel(xas_dir / "feff_paths" / "feff0001.dat", label="Cu1", deltar="dr_off + {T}*alpha*reff")
    fit = fit_shells(exs, [path], variables={"s02": 1.0, "del_e0": 2.0, "dr_off": 0.0, "alpha": 0.0,
                                             "theta": 250.0},
                     sigma2_model="einstein", rmin=1.4, rmax=3.4, **FIT)
    theta, err = fit.variable("theta")
    # upstream doc_feffit3: theta_E = 232.9 +/- 8.1 K, S0^2 0.888, R-factor 0.0164
    assert abs(theta - 233.0) < 15.0
    assert 3 < err < 15
    assert abs(fit.variable("s02")[0] - 0.888) < 0.05
    s2 = fit.paths.sort_values("temperature_K")["sigma2"].to_numpy()
    assert np.all(np.diff(s2) > 0)                          # sigma2 grows with T
    assert any(d.name == "theta_einstein_K" for d in fit.descriptors())


# tabulated edges (SOURCES.md, lit.) and first-shell distances of the foils
FOILS = {"cu_metal_rt.xdi": (8979.0, 2.556), "ni_metal_rt.xdi": (8333.0, 2.492), "pt_metal_rt.xdi": (11564.0, 2.775)}


@pytest.mark.parametrize("name", sorted(FOILS))
def test_foil_e0_and_first_shell(xas_dir, name):
    edge, r1 = FOILS[name]
    res = normalize(read(xas_dir / name))
    assert abs(res.e0 - edge) <= 2.0 + 1e-9
    ex = extract_exafs(res, rbkg=1.0, kweight=2)
    ft = ex.fourier(kmin=3, kmax=min(14.0, ex.kmax_data), dk=1, window="hanning", kweight=2)
    first = ft.peaks(rmin=1.5, rmax=3.2, n=1)["r"].iloc[0]
    # not phase-corrected: the first-shell peak sits 0.2-0.45 A short of the bond length
    assert 0.2 < r1 - first < 0.45


def test_fe_foil_is_offset_by_its_uncalibrated_mono(xas_dir):
    """fe.060 (X-11A, 2002) has the Fe foil's two derivative maxima 8.5 eV apart, but the first sits at
    7105.3 eV rather than 7112: the scan is uncalibrated. The derivative E0 finds that first inflection."""
    res = normalize(read(xas_dir / "fe.060"))
    assert abs(res.e0 - 7105.5) < 0.6
    sel = (res.energy > res.e0 + 4) & (res.energy < res.e0 + 14)
    second = res.energy[sel][np.argmax(res.dmude[sel])]
    assert 7.0 < second - res.e0 < 10.0
