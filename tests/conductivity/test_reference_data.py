"""Acceptance on real data in ../shared/reference_data/eis (see its SOURCES.md for the upstream answers)."""

import math

import numpy as np
import pytest

from structkit.conductivity import fit_arrhenius, fit_eis, fit_eis_series
from structkit.io import read

pytestmark = pytest.mark.reference_data

# impedance.py docs/source/examples/looping_files_example.ipynb, model R0-p(R1,C1)
ZPLOT_UPSTREAM = {1: (29.1, 46.7, 1.04e-5), 2: (150.0, 502.0, 3.12e-8), 3: (1.51e3, 4.63e3, 2.02e-8)}


@pytest.mark.parametrize("circuit_no", [1, 2, 3])
@pytest.mark.parametrize("replicate", [1, 2])
def test_zplot_dummy_cells_match_upstream_within_1_percent(reference_data, circuit_no, replicate):
    m = read(reference_data / "eis" / f"Circuit{circuit_no}_EIS_{replicate}.z")
    res = fit_eis(m, circuit="R0-p(R1,C1)")
    assert res.converged, res.message
    for name, upstream in zip(("R0", "R1", "C1"), ZPLOT_UPSTREAM[circuit_no]):
        # upstream values are quoted to 3 significant figures: allow 1 % (the acceptance) which
        # also covers the quoting
        assert res.fit.values[name] == pytest.approx(upstream, rel=0.01), name


@pytest.fixture(scope="module")
def s04147(reference_data):
    folder = reference_data / "eis" / "EISFitpython_Example-3-4"
    ms = [read(p) for p in sorted(folder.glob("s04147-*deg.txt"))]
    assert len(ms) == 7
    return fit_eis_series(ms, circuit="p(R1,CPE1)-p(R2,CPE2)-CPE3", thickness_cm=0.21, diameter_cm=0.8)


def test_s04147_fits_and_140C_values(s04147):
    assert all(r.converged for r in s04147)
    r140 = min(s04147, key=lambda r: r.temperature_K)
    assert r140.temperature_K == pytest.approx(413.15)
    assert r140.sample == "s04147"
    # upstream Batch_EISfit_Report.txt at 140 C: R1 = 1.462e5, R2 = 2.012e6, n1 = 0.838, n2 = 0.787
    v = r140.fit.values
    assert v["R1"] == pytest.approx(1.462e5, rel=0.01)
    assert v["R2"] == pytest.approx(2.012e6, rel=0.01)
    assert v["CPE1_n"] == pytest.approx(0.838, abs=0.005)
    assert v["CPE2_n"] == pytest.approx(0.787, abs=0.005)
    # sigma(413 K): bulk 2.86e-6, total 1.94e-7 S/cm upstream
    assert r140.sigma_S_per_cm == pytest.approx(2.86e-6, rel=0.01)
    assert r140.sigma_total_S_per_cm == pytest.approx(1.94e-7, rel=0.01)


def test_s04147_bulk_and_total_activation_energies(s04147):
    t = np.array([r.temperature_K for r in s04147])
    # bulk = the highest-frequency arc, chosen by structkit from the fitted capacitances
    bulk = fit_arrhenius(t, [r.sigma_S_per_cm for r in s04147],
                         [r.sigma_stderr_S_per_cm for r in s04147], regimes="auto")
    total = fit_arrhenius(t, [r.sigma_total_S_per_cm for r in s04147], regimes="auto")
    assert bulk.n_regimes == 1 and total.n_regimes == 1
    # upstream: bulk 0.587 +/- 0.016 eV, total 0.8555 +/- 0.0006 eV; acceptance: within 0.03 eV
    assert bulk.regimes[0].ea_eV == pytest.approx(0.587, abs=0.03)
    assert total.regimes[0].ea_eV == pytest.approx(0.856, abs=0.03)
    assert math.isclose(bulk.regimes[0].ea_stderr_eV, 0.016, rel_tol=0.5)


def test_lagp_example2b_matches_upstream(reference_data):
    # EISFitpython Example2 report: trimmed to f >= 5 Hz, (R1|Q1)+(R2|Q2)+Q3
    m = read(reference_data / "eis" / "EISFitpython_Example-2" / "Example2b.txt")
    res = fit_eis(m, circuit="p(R1,CPE1)-p(R2,CPE2)-CPE3", f_min_Hz=5.0)
    v = res.fit.values
    assert v["R1"] == pytest.approx(4.471e4, rel=0.02)
    assert v["R2"] == pytest.approx(4.712e4, rel=0.02)
    assert v["CPE1_n"] == pytest.approx(0.850, abs=0.01)
    assert v["CPE2_n"] == pytest.approx(0.819, abs=0.01)
    assert v["CPE3_n"] == pytest.approx(0.882, abs=0.01)
