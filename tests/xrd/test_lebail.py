"""Le Bail fits: synthetic fcc with known truth, the analytic Jacobian, sequential series with a bad pattern.

The real PbSO4 patterns (X-ray and D1A neutron) are in test_lebail_reference.py."""

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


def test_analytic_jacobian_matches_finite_differences():
    """The least squares use an analytic Jacobian (profile derivatives, chain rule through the lines'
    centres and widths, projected off the background): it must be the residual's derivative."""
    from structkit.xrd.lebail import _Model, _params
    from structkit.xrd.radiation import radiation

    m = _fcc_pattern(9.9612)
    ph = Phase("Fm-3m", Cell(9.96, 9.96, 9.96, 90, 90, 90), refine_profile=("u", "v", "w", "x", "y"))
    r = generate_reflections("Fm-3m", ph.cell, d_min_angstrom=LAM / (2 * np.sin(np.radians(16.0))))
    inst = INST.with_(asymmetry=(0.05, 0.01), u=0.001, v=-0.0005, x=0.002)
    rad = radiation("MoKa")                                         # a doublet: both lines' derivatives
    model = _Model(m.x, m.y, np.sqrt(np.maximum(m.y, 1.0)), [ph], [r], rad, inst, 4, None, 20.0)
    params = _params([ph], model.free, inst, {}, True, True, True)
    v = params.valuesdict()
    v["displacement_mm"] = 0.05
    names = [n for n, p in params.items() if p.vary]
    intensities = [np.random.default_rng(1).uniform(10, 100, len(r))]
    jac = model.jacobian(v, intensities, names)

    def resid(vv):
        yp = model.peaks(vv, intensities)
        _, bkg = model.linear(yp)
        return (model.y - yp - bkg) * model.w

    for j, name in enumerate(names):
        h = 1e-6 * max(abs(v[name]), 1e-2)
        up, dn = dict(v), dict(v)
        up[name] += h
        dn[name] -= h
        num = (resid(up) - resid(dn)) / (2 * h)
        scale = np.abs(num).max()
        assert scale > 0, name
        np.testing.assert_allclose(jac[:, j], num, atol=1e-4 * scale, err_msg=name)
