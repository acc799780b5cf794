"""r-space analysis: shell fits, coordination numbers, running CN, envelope (diameter, coherence length)
and the mid-range order metric, against forward models with known truth.

Truth comes from (1) the Debye-equation NaCl particle reduced by reduce_pdf (fixture in conftest),
(2) pdffit2-model G(r) from calculate_pdf (itself checked against pdffit2 in test_smallbox), and
(3) G(r) assembled from shells of known N, r and σ.
"""

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError
from structkit.pdf.order import fit_envelope, mid_range_order, sphere_envelope
from structkit.pdf.rpeaks import (fit_rpeaks, number_density, pair_weight, running_coordination,
                                  terminated_gaussian)
from structkit.pdf.smallbox import calculate_pdf
from structkit.pdf.structure import Phase, Site
from structkit.pdf.synthetic import rocksalt_phase

A = 5.64
RHO0 = 8 / A ** 3
FCC = [(0.0, 0.0, 0.0), (0.5, 0.5, 0.0), (0.5, 0.0, 0.5), (0.0, 0.5, 0.5)]



def shells(r, spec, rho0):
    """G(r) = Σ N φ(r − r_k)/r_k − 4πρ0r: the shell model with exact N, r_k, σ_k."""
    g = -4 * np.pi * rho0 * r
    for n, rk, s in spec:
        g = g + n * terminated_gaussian(r - rk, s) / rk
    return g


# ----------------------------------------------------------------------------------- shell fits
def test_reduced_particle_peaks_and_partial_cn(nacl_particle):
    red, true_cn = nacl_particle["reduced"], nacl_particle["true_cn"]
    first = fit_rpeaks(red.r, red.gr, (2.3, 3.3), dg=red.gr_stderr, rho0=RHO0, qmax=20.0, pairs=["Na-Cl"],
                       composition="NaCl", sample="NaCl-np", conditions={"temperature_K": 300.0})
    assert first.converged
    assert first.peaks[0]["r"] == pytest.approx(A / 2, abs=0.01)
    n, err = first.coordination(0)
    assert n == pytest.approx(true_cn, rel=0.10)            # surface atoms: true mean 5.36, not 6
    assert 0 < err < 0.1
    second = fit_rpeaks(red.r, red.gr, (3.6, 4.4), rho0=RHO0, qmax=20.0)
    assert second.peaks[0]["r"] == pytest.approx(A / np.sqrt(2), abs=0.02)
    names = {d.name: d for d in first.descriptors()}
    assert {"pdf_peak_r_angstrom[2.3-3.3]", "pdf_peak_fwhm_angstrom[2.3-3.3]", "pdf_peak_cn_weighted[2.3-3.3]",
            "pdf_cn[Na-Cl]"} <= set(names)
    assert names["pdf_cn[Na-Cl]"].conditions["temperature_K"] == 300.0


def test_shell_model_recovers_two_overlapping_shells():
    r = np.arange(0.01, 8.0, 0.01)
    truth = [(4.0, 1.95, 0.06), (2.0, 2.20, 0.08)]          # a Jahn-Teller-like split Mn-O shell
    g = shells(r, truth + [(8.0, 3.4, 0.1)], rho0=0.08)
    fit = fit_rpeaks(r, g, (1.6, 2.7), npeaks=2, rho0=0.08)
    got = sorted((p["r"], p["area"], p["sigma"]) for p in fit.peaks)
    for (rk, n, s), (n0, r0, s0) in zip(got, truth):
        assert rk == pytest.approx(r0, abs=1e-3) and n == pytest.approx(n0, rel=0.01) and s == pytest.approx(s0, rel=0.02)
    assert fit.labels == ("1.6-2.7#1", "1.6-2.7#2")


def test_termination_ripples_are_modelled():
    """A sharp Ni shell (σ 0.063 Å) terminated at Qmax 30: the terminated model leaves a tenth of the plain
    Gaussian's residual and finds r and N (12, single element). (Ripples of the shells outside the window
    are not modelled: at σ·Qmax < π they bias narrow windows, e.g. Qmax 14 here.)"""
    a = 3.52
    ni = Phase("Ni", (a, a, a, 90.0, 90.0, 90.0), tuple(Site(f"Ni{k}", "Ni", p, 1.0, 0.002) for k, p in enumerate(FCC)),
               "Fm-3m")
    r = np.arange(0.5, 6.0, 0.01)
    g = calculate_pdf(r, ni, qmax=30.0)
    rho0 = 4 / a ** 3
    term = fit_rpeaks(r, g, (2.0, 3.0), rho0=rho0, qmax=30.0)
    plain = fit_rpeaks(r, g, (2.0, 3.0), rho0=rho0)
    assert term.peaks[0]["r"] == pytest.approx(a / np.sqrt(2), abs=0.003)
    assert term.peaks[0]["area"] == pytest.approx(12.0, rel=0.02)
    assert term.report.chisqr < 0.15 * plain.report.chisqr
    assert plain.peaks[0]["area"] > 1.03 * 12.0               # the ripples bias the plain fit
    assert term.peaks[0]["sigma"] == pytest.approx(np.sqrt(0.004), rel=0.05)   # σ² = U_i + U_j


def test_running_coordination_counts_shells():
    r = np.arange(0.005, 6.0, 0.005)
    g = shells(r, [(6.0, 2.8, 0.1), (12.0, 4.0, 0.12)], rho0=0.05)
    n = running_coordination(r, g, 0.05)
    assert np.interp(3.4, r, n) == pytest.approx(6.0, abs=0.01)
    assert np.interp(5.0, r, n) == pytest.approx(18.0, abs=0.02)


def test_pair_weights_and_number_density():
    assert pair_weight("Cl-Cl", "NaCl") == pytest.approx(0.5 * 17 * 17 / 14 ** 2, rel=0.01)
    assert pair_weight(("Ni", "Ni"), "Ni") == pytest.approx(1.0)
    # neutrons: Mn has b < 0, so La-Mn pairs count negatively in LaMnO3
    assert pair_weight("La-Mn", "LaMnO3", mode="neutron") < 0
    assert number_density("NaCl", volume_A3=A ** 3, formula_units=4) == pytest.approx(RHO0)
    with pytest.raises(ConfigError, match="exactly one"):
        number_density("NaCl")
    with pytest.raises(ConfigError, match="not in the composition"):
        pair_weight("Ta-Cl", "NaCl")


def test_bad_input():
    r = np.arange(0.01, 10, 0.01)
    g = shells(r, [(6.0, 2.8, 0.1)], 0.05)
    with pytest.raises(DataError, match="outside the data"):
        fit_rpeaks(r, g, (8.0, 12.0))
    with pytest.raises(ConfigError, match="window"):
        fit_rpeaks(r, g, "3.3:2.4")
    with pytest.raises(ConfigError, match="rho0"):
        fit_rpeaks(r, g, (2.4, 3.3), convention="R")
    with pytest.raises(ConfigError, match="rho0"):
        fit_rpeaks(r, g, (2.4, 3.3), rho0=-1)
    bad = g.copy()
    bad[280] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fit_rpeaks(r, bad, (2.4, 3.3), source="x.gr")
    with pytest.raises(ConfigError, match="outside the window"):
        fit_rpeaks(r, g, (2.4, 3.3), centers=[3.5])


def test_relative_areas_without_density_and_plot():
    r = np.arange(0.01, 10, 0.01)
    fit = fit_rpeaks(r, shells(r, [(6.0, 2.8, 0.1)], 0.05), "2.4:3.3", labels=["Na-Cl"])
    assert not fit.absolute and "relative" in fit.summary()
    assert [d.name for d in fit.descriptors()][-1] == "pdf_peak_area_rel[Na-Cl]"
    fig = fit.plot()
    assert fig.axes and len(fig.axes[0].lines) >= 4


# ---------------------------------------------------------------------------------- envelope
def test_particle_diameter_from_reduced_pattern(nacl_particle):
    """Against the bulk G(r) of the same structure (pdffit2 model, σ² = 0.04 Å² as the Debye pattern):
    the 40 Å particle's diameter within 15 %."""
    red = nacl_particle["reduced"]
    rb = np.arange(0.01, 45.0, 0.01)
    bulk = calculate_pdf(rb, rocksalt_phase(A, 0.02), qmax=20.0)
    fit = fit_envelope(red.r, red.gr, model="sphere", rmin=3.0, rmax=40.0, reference=(rb, bulk))
    assert fit.converged and fit.method == "reference"
    assert fit.size == pytest.approx(nacl_particle["diameter"], rel=0.15)
    assert fit.descriptors()[0].name == "pdf_particle_diameter_angstrom"
    # model-free (amplitude envelope): looser, the bulk amplitude itself varies with r (see order.py)
    free = fit_envelope(red.r, red.gr, model="sphere", rmin=3.0, rmax=50.0)
    assert free.size == pytest.approx(nacl_particle["diameter"], rel=0.20)


@pytest.mark.parametrize("model,size", [("sphere", 25.0), ("exponential", 8.0)])
def test_envelope_models_recover_their_size(model, size):
    r = np.arange(0.01, 40.0, 0.01)
    bulk = calculate_pdf(r, rocksalt_phase(A, 0.01), qmax=20.0)
    damp = sphere_envelope(r, size) if model == "sphere" else np.exp(-r / size)
    fit = fit_envelope(r, bulk * damp * 0.7, model=model, reference=(r, bulk), rmin=2.0)
    assert fit.size == pytest.approx(size, rel=1e-3)
    assert fit.report.values["scale"] == pytest.approx(0.7, rel=1e-3)
    assert fit.plot().axes


def test_envelope_bad_input():
    r = np.arange(0.01, 20.0, 0.01)
    g = np.sin(5 * r)
    with pytest.raises(ConfigError, match="model"):
        fit_envelope(r, g, model="cube")
    with pytest.raises(DataError, match="outside the data"):
        fit_envelope(r, g, rmax=30.0)
    with pytest.raises(DataError, match="reference"):
        fit_envelope(r, g, reference=(r[:500], g[:500]))


# -------------------------------------------------------------------------------- mid-range order
def test_mid_range_order_falls_with_size(nacl_particle):
    r = np.arange(0.01, 30.0, 0.01)
    bulk = calculate_pdf(r, rocksalt_phase(A, 0.02), qmax=20.0)
    small = bulk * sphere_envelope(r, 15.0)
    ref = mid_range_order(r, bulk)
    m = mid_range_order(r, small, reference=(r, bulk))
    assert m["ratio"] == pytest.approx(m["value"] / ref["value"]) and 0.05 < m["ratio"] < 0.5
    assert mid_range_order(r, bulk, reference=(r, bulk))["ratio"] == pytest.approx(1.0)
    red = nacl_particle["reduced"]
    with_err = mid_range_order(red.r, red.gr, dg=red.gr_stderr)
    assert 0 < with_err["stderr"] < 0.01 * with_err["value"]
    with pytest.raises(DataError, match="outside the data"):
        mid_range_order(r, bulk, (5.0, 40.0))
