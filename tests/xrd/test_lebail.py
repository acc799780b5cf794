"""Le Bail fits: synthetic fcc with known truth, PbSO4 real data, sequential series with a bad pattern."""

import numpy as np
import pytest

from structkit import DataError, Measurement
from structkit.xrd.lebail import Phase, lebail_fit
from structkit.xrd.profiles import InstrumentProfile, powder_pattern, profile_fwhm_eta, two_theta_deg
from structkit.xrd.reflections import Cell, d_spacing, generate_reflections
from structkit.xrd.sequential import fit_sequential

LAM = 0.71414       # seed 000, SNBL
TT = np.linspace(3.0, 30.0, 4000)


def _fcc_pattern(a, *, seed=0, zero=0.01, t_K=300.0, scale=2000.0):
    cell = Cell(a, a, a, 90, 90, 90)
    r = generate_reflections("Fm-3m", cell, d_min_angstrom=LAM / (2 * np.sin(np.radians(16.0))))
    c = two_theta_deg(d_spacing(r.hkl, cell), LAM) + zero
    rng = np.random.default_rng(seed)
    intens = r.multiplicity * scale * np.exp(-0.05 * c) * np.random.default_rng(99).uniform(0.3, 1.0, len(r))
    h, eta = profile_fwhm_eta(c, 0.0, 0.0, 0.0009, 0.0, 0.01)
    y = rng.poisson(powder_pattern(TT, c, intens, h, eta) + 200 + 50 * np.exp(-TT / 10)).astype(float)
    return Measurement(TT, y, x_name="two_theta", x_unit="deg", y_name="intensity", y_unit="counts",
                       source=f"fcc_{t_K:.0f}K.xy", sample="fcc", conditions={"temperature_K": t_K})


INST = InstrumentProfile(radiation=str(LAM), w=0.002, y=0.005)


def test_synthetic_fcc_recovers_cell_zero_and_widths():
    m = _fcc_pattern(9.9612)
    res = lebail_fit(m, Phase("Fm-3m", Cell(9.95, 9.95, 9.95, 90, 90, 90)), instrument=INST, radiation=LAM)
    assert res.converged, res.message
    ph = res.phases[0]
    # Poisson noise on ~1e4-count peaks: the esd of a is ~2e-6 A; truth within 5 esd and 3e-4 A
    assert abs(ph.cell.a - 9.9612) < max(5 * ph.cell_stderr["a"], 1e-5)
    assert res.zero_deg == pytest.approx(0.01, abs=1e-3)
    assert ph.profile["w"] == pytest.approx(0.0009, rel=0.05)
    assert res.chi2 < 1.5                  # at the noise floor
    assert ph.volume_A3 == pytest.approx(9.9612 ** 3, rel=1e-5)
    frame = ph.reflections_frame()
    assert {"h", "k", "l", "d_angstrom", "two_theta_deg", "intensity"} <= set(frame.columns)
    import matplotlib
    matplotlib.use("Agg")
    assert len(res.plot().axes) == 2          # pattern + difference
    row = res.to_row()
    for col in ("a_angstrom", "a_stderr_angstrom", "volume_A3", "rwp", "converged", "temperature_K"):
        assert col in row


def test_cell_that_indexes_nothing_is_a_clear_error():
    m = _fcc_pattern(9.9612)
    with pytest.raises(DataError, match="no (allowed )?reflection"):
        lebail_fit(m, Phase("Fm-3m", Cell(1.0, 1.0, 1.0, 90, 90, 90)), instrument=INST, radiation=LAM)


def test_non_degree_axis_is_rejected():
    m = _fcc_pattern(9.9612).replace(x_unit="1/angstrom", x_name="q")
    with pytest.raises(DataError, match="2-theta in degrees"):
        lebail_fit(m, Phase("Fm-3m", Cell(9.95, 9.95, 9.95, 90, 90, 90)), instrument=INST, radiation=LAM)


def test_sequential_series_with_one_bad_pattern():
    temps = [200.0, 250.0, 300.0, 350.0, 400.0]
    ms = [_fcc_pattern(9.9 * np.exp(5e-5 * (t - 200)), seed=i, t_K=t) for i, t in enumerate(temps)]
    flat = ms[2].replace(y=np.random.default_rng(5).poisson(200.0, TT.size).astype(float), source="flat.xy")
    seq = fit_sequential([ms[4], ms[0], flat, ms[3], ms[1]], Phase("Fm-3m", Cell(9.9, 9.9, 9.9, 90, 90, 90)),
                         instrument=INST, radiation=LAM)
    frame = seq.to_frame()
    assert list(frame["temperature_K"]) == temps                       # ordered by temperature
    assert [s.startswith("failed") for s in seq.status] == [False, False, True, False, False]
    assert [f for f, _ in seq.failures] == ["flat.xy"]
    good = frame[frame["converged"]]
    truth = 9.9 * np.exp(5e-5 * (good["temperature_K"] - 200))
    np.testing.assert_allclose(good["a_angstrom"], truth, atol=3e-4)
    assert seq.plot().axes


@pytest.mark.reference_data
@pytest.mark.slow
def test_pbso4_lab_xray_cell(reference_data):
    from structkit.io import read, read_gsas_prm
    from structkit.xrd.radiation import Radiation

    m = read(reference_data / "xrd" / "PBSO4.XRA")
    prm = read_gsas_prm(reference_data / "xrd" / "INST_XRY.PRM")
    rad = Radiation("CuKa", (prm["wavelength_angstrom"], prm["wavelength2_angstrom"]), (1.0, prm["ka2_ratio"]))
    inst = InstrumentProfile(radiation="CuKa", u=prm["U_deg2"], v=prm["V_deg2"], w=prm["W_deg2"], y=0.01)
    res = lebail_fit(m, Phase("Pnma", Cell(8.47, 5.39, 6.95, 90, 90, 90), refine_profile=("u", "v", "w", "x", "y")),
                     instrument=inst, radiation=rad, two_theta_min=16, two_theta_max=110)
    cell = res.phases[0].cell
    # round-robin RT cell (Hill 1992): 8.480, 5.398, 6.958 A; acceptance 0.003 A
    assert cell.a == pytest.approx(8.480, abs=0.003)
    assert cell.b == pytest.approx(5.398, abs=0.003)
    assert cell.c == pytest.approx(6.958, abs=0.003)
    assert 0.05 < res.rwp < 0.20
