"""analyse_pdf / analyse_series: every analysis of one G(r), a milling series ordered by its condition,
and small-box fits chained along a temperature series, on G(r) with known truth.

Truth: the Debye-equation NaCl particle (40 Å, conftest) reduced by reduce_pdf; bulk NaCl G(r) from
calculate_pdf (checked against pdffit2 in test_smallbox) damped by sphere envelopes of known diameter;
fcc Ni G(r) from calculate_pdf at known lattice constants.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure

from structkit.core.errors import ConfigError
from structkit.core.measurement import Measurement
from structkit.pdf.order import sphere_envelope
from structkit.pdf.series import PdfAnalysis, PdfSeries, analyse_pdf, analyse_series
from structkit.pdf.smallbox import calculate_pdf
from structkit.pdf.synthetic import fcc_phase, rocksalt_phase

A = 5.64
RHO0 = 8 / A ** 3
FCC = [(0.0, 0.0, 0.0), (0.5, 0.5, 0.0), (0.5, 0.0, 0.5), (0.0, 0.5, 0.5)]




def gr(r, g, source, conditions, qmax=20.0):
    meta = {"quantity": "G"} if qmax is None else {"quantity": "G", "qmax": qmax}
    return Measurement(r, g, x_name="r", x_unit="angstrom", sample=source.rsplit(".", 1)[0], source=source,
                       conditions=conditions, technique="pdf", meta=meta)


@pytest.fixture(scope="module")
def bulk():
    """Size-free NaCl G(r) (σ² = 0.04 Å², as the Debye particle) to 45 Å, Qmax 20."""
    r = np.arange(0.01, 45.0, 0.01)
    return r, calculate_pdf(r, rocksalt_phase(A, 0.02), qmax=20.0)


@pytest.fixture(scope="module")
def milling(bulk):
    """Bulk G(r) damped by spheres of 60, 30 and 15 Å: 0, 5 and 20 h of milling, given out of order."""
    rb, gb = bulk
    sel = rb <= 30.0 + 1e-9
    r, g = rb[sel], gb[sel]
    return [gr(r, g * sphere_envelope(r, d), f"NaCl-{h:g}h.gr", {"milling_time_h": h})
            for h, d in ((20.0, 15.0), (0.0, 60.0), (5.0, 30.0))]


# -------------------------------------------------------------------------------- one G(r)
def test_analyse_pdf_reports_every_step(nacl_particle, bulk):
    m = nacl_particle["reduced"].to_measurement()
    a = analyse_pdf(m, windows=[{"window": (2.3, 3.3), "pairs": ["Na-Cl"]}, (3.6, 4.4)], composition="NaCl",
                    rho0=RHO0, envelope="sphere", envelope_range=(3.0, 40.0), envelope_reference=bulk,
                    mid_range=(5.0, 20.0), mid_range_reference=bulk)
    assert isinstance(a, PdfAnalysis) and a.failures == ()
    assert a.sample == "NaCl-np" and a.peaks[0].qmax == 20.0               # Qmax from the reduction's meta
    d = {x.name: x for x in a.descriptors()}
    assert list(d) == ["pdf_peak_r_angstrom[2.3-3.3]", "pdf_peak_fwhm_angstrom[2.3-3.3]",
                       "pdf_peak_height_inv_A2[2.3-3.3]", "pdf_peak_cn_weighted[2.3-3.3]", "pdf_cn[Na-Cl]",
                       "pdf_peak_r_angstrom[3.6-4.4]", "pdf_peak_fwhm_angstrom[3.6-4.4]",
                       "pdf_peak_height_inv_A2[3.6-4.4]", "pdf_peak_cn_weighted[3.6-4.4]",
                       "pdf_particle_diameter_angstrom", "pdf_mid_range_order_inv_A[5-20]",
                       "pdf_mid_range_order_rel[5-20]"]
    assert d["pdf_peak_r_angstrom[2.3-3.3]"].value == pytest.approx(A / 2, abs=0.01)
    assert d["pdf_peak_r_angstrom[3.6-4.4]"].value == pytest.approx(A / np.sqrt(2), abs=0.01)
    assert d["pdf_cn[Na-Cl]"].value == pytest.approx(nacl_particle["true_cn"], rel=0.10)
    assert d["pdf_particle_diameter_angstrom"].value == pytest.approx(nacl_particle["diameter"], rel=0.15)
    # the 40 Å particle keeps about half the bulk's 5-20 Å order (sphere envelope: mean of f(r) ≈ 0.54)
    rel = d["pdf_mid_range_order_rel[5-20]"]
    assert 0.4 < rel.value < 0.7 and 0 < rel.stderr < 0.01
    assert rel.value == pytest.approx(d["pdf_mid_range_order_inv_A[5-20]"].value
                                      / analyse_pdf(gr(*bulk, "bulk.gr", {})).mid_range["value"], rel=1e-9)
    assert all(x.technique == "pdf" and x.sample == "NaCl-np" for x in d.values())
    assert len(a.to_frame()) == len(d)
    text = a.summary()
    assert "mid-range order" in text and "FAILED" not in text
    fig = a.plot()
    assert isinstance(fig, Figure) and sum(ax.get_visible() for ax in fig.axes) == 4   # G, 2 windows, envelope


def test_a_failed_step_is_recorded_and_the_others_still_report(nacl_particle):
    red = nacl_particle["reduced"]
    m = gr(red.r, red.gr, "no-qmax.gr", {"temperature_K": 300.0}, qmax=None)     # r = 0-50 Å, no Qmax
    a = analyse_pdf(m, windows=[(2.3, 3.3), (60.0, 70.0)], envelope="cube", mid_range=(5.0, 80.0),
                    phases=rocksalt_phase(A, 0.02))
    steps = dict(a.failures)
    assert list(steps) == ["peaks 60-70 A", "cube envelope", "mid-range order", "small-box fit"]
    assert "outside the data" in steps["peaks 60-70 A"] and "outside the data" in steps["mid-range order"]
    assert "model must be one of" in steps["cube envelope"] and "Qmax" in steps["small-box fit"]
    assert [p.window for p in a.peaks] == [(2.3, 3.3)] and a.peaks[0].converged
    assert a.peaks[0].qmax is None                                              # no Qmax: plain Gaussians
    assert a.envelope is None and a.mid_range is None and a.smallbox is None
    assert a.descriptors()[0].name == "pdf_peak_r_angstrom[2.3-3.3]"
    assert a.summary().count("FAILED") == 4
    assert isinstance(a.plot(), Figure)
    # an explicit qmax reaches the window fits; a bad window spec is a ConfigError, not a failed step
    assert analyse_pdf(m, windows=(2.3, 3.3), qmax=20.0, mid_range=None).peaks[0].qmax == 20.0
    with pytest.raises(ConfigError, match="window"):
        analyse_pdf(m, windows=[{"npeaks": 2}])


# ------------------------------------------------------------------------------------ series
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")   # lmfit correl of an exact fit
def test_milling_series_is_ordered_and_loses_mid_range_order(milling, bulk):
    s = analyse_series(milling, windows=(2.3, 3.3), envelope="sphere", envelope_range=(2.0, 29.0),
                       envelope_reference=bulk)
    assert isinstance(s, PdfSeries) and s.condition == "milling_time_h"       # the one shared condition
    assert [a.conditions["milling_time_h"] for a in s.analyses] == [0.0, 5.0, 20.0]
    frame = s.to_frame()
    assert len(frame) == 3 and list(frame["milling_time_h"]) == [0.0, 5.0, 20.0]
    assert list(frame["file"]) == ["NaCl-0h.gr", "NaCl-5h.gr", "NaCl-20h.gr"]
    assert (frame["failed_steps"] == "").all()
    rel = frame["pdf_mid_range_order_rel[5-20]"].to_numpy()
    assert rel[0] == pytest.approx(1.0) and rel[1] < 0.7 and rel[2] < 0.5 * rel[1]
    assert frame["pdf_particle_diameter_angstrom"].to_numpy() == pytest.approx([60.0, 30.0, 15.0], rel=1e-3)
    assert {"pdf_peak_r_angstrom[2.3-3.3]", "pdf_peak_r_angstrom[2.3-3.3]_stderr"} <= set(frame.columns)
    assert len(s.descriptors()) == sum(len(a.descriptors()) for a in s.analyses)
    assert s.summary().startswith("PDF series: 3 G(r) by milling_time_h")
    for fig in (s.plot_stack(), s.plot_waterfall(), s.plot_descriptors()):
        assert isinstance(fig, Figure) and fig.axes


def test_series_reference_choices(milling):
    by_index = analyse_series(milling, reference=2).to_frame()["pdf_mid_range_order_rel[5-20]"]
    assert by_index.iloc[2] == pytest.approx(1.0) and by_index.iloc[0] > by_index.iloc[1] > 1.0
    first = analyse_series(milling).analyses[0].mid_range["value"]
    by_value = analyse_series(milling, reference=2 * first).to_frame()["pdf_mid_range_order_rel[5-20]"]
    assert by_value.iloc[0] == pytest.approx(0.5)
    none = analyse_series(milling, reference=None).to_frame()
    assert "pdf_mid_range_order_rel[5-20]" not in none and "pdf_mid_range_order_inv_A[5-20]" in none
    # an explicit condition; a G(r) without it goes last
    extra = gr(milling[0].x, milling[0].y, "unknown.gr", {})
    s = analyse_series([extra, *milling], condition="milling_time_h")
    assert [a.source for a in s.analyses][-1] == "unknown.gr" and s.analyses[0].conditions["milling_time_h"] == 0.0
    assert s.plot_descriptors() is not None
    with pytest.raises(ConfigError, match="reference"):
        analyse_series(milling, reference="last")
    with pytest.raises(ConfigError, match="no measurements"):
        analyse_series([])


def test_small_box_fits_are_chained_along_the_series():
    """fcc Ni at a = 3.52, 3.53, 3.54 Å (100, 200, 300 K, given out of order); the first fit starts at 3.50,
    each later one from the previous result, and every cell is recovered."""
    r = np.round(np.arange(0.5, 15.005, 0.01), 6)
    truth = {100.0: 3.52, 200.0: 3.53, 300.0: 3.54}
    ms = [gr(r, calculate_pdf(r, fcc_phase("Ni", truth[t]), qmax=25.0), f"Ni-{t:g}K.gr", {"temperature_K": t}, qmax=25.0)
          for t in (300.0, 100.0, 200.0)]
    kw = {"phases": fcc_phase("Ni", 3.52), "fit_range": (1.5, 15.0), "refine": ("scale", "lattice", "uiso"),
          "mid_range": None, "start": {"lattice": 3.50}}
    s = analyse_series(ms, **kw)
    assert s.condition == "temperature_K" and s.settings["chain"] is True
    fits = [a.smallbox for a in s.analyses]
    assert all(f is not None and f.converged for f in fits) and all(a.failures == () for a in s.analyses)
    for f, t in zip(fits, (100.0, 200.0, 300.0)):
        assert f.conditions["temperature_K"] == t
        assert f.value("a") == pytest.approx(truth[t], abs=1e-4)
        assert f.rw < 1e-6
    assert fits[0].report.init_values["ni_a"] == pytest.approx(3.50)            # start= seeds the first fit
    assert s.analyses[1].smallbox.report.init_values["ni_a"] == pytest.approx(fits[0].value("a"), abs=1e-12)
    assert fits[2].report.init_values["ni_a"] == pytest.approx(fits[1].value("a"), abs=1e-12)
    frame = s.to_frame()
    assert frame["pdf_a_angstrom"].to_numpy() == pytest.approx([3.52, 3.53, 3.54], abs=1e-4)
    # without chaining every fit starts from the given structure (and start=)
    free = analyse_series(ms, chain=False, **kw)
    assert [a.smallbox.report.init_values["ni_a"] for a in free.analyses] == pytest.approx([3.50] * 3)
    assert [a.smallbox.value("a") for a in free.analyses] == pytest.approx([3.52, 3.53, 3.54], abs=1e-4)
