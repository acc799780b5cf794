"""``structkit pdf reduce|peaks|fit|series`` end to end: on 2θ patterns the tests write (the Debye-equation
NaCl particle of conftest), on the PDFgui Ni x-ray G(r) and on the LaMnO3 neutron temperature series."""

import json

import numpy as np
import pandas as pd
import pytest

from structkit.cli import main
from structkit.io import read
from structkit.pdf.rpeaks import fit_rpeaks

RHO0 = 8 / 5.64 ** 3
REDUCE = ["--bkg-scale", "0.9", "--composition", "NaCl", "--wavelength", "0.2095", "--qmin", "0.8", "--qmax", "20",
          "--qmax-inst", "24", "--rho0", str(RHO0), "--scale-range", "1.4,2.2", "--rmax", "30"]


def _write_2theta(m, path, tth_max=None):
    keep = np.ones(m.x.size, bool) if tth_max is None else m.x <= tth_max
    np.savetxt(path, np.column_stack([m.x[keep], m.y[keep]]), fmt="%.8g", header="two_theta (deg)  intensity")
    return path


@pytest.fixture(scope="module")
def patterns(nacl_particle, tmp_path_factory):
    """The particle and its container as 2-column text files (``# two_theta (deg)  intensity``), and the
    particle cut at 2θ 30° (Q 15.5 Å⁻¹, short of the Qmax 20 asked for)."""
    folder = tmp_path_factory.mktemp("pdf_patterns")
    sample = _write_2theta(nacl_particle["sample"], folder / "NaCl-np.xy")
    bkg = _write_2theta(nacl_particle["background"], folder / "kapton.xy")
    short = _write_2theta(nacl_particle["sample"], folder / "NaCl-short.xy", tth_max=30.0)
    return sample, bkg, short


@pytest.fixture(scope="module")
def reduced_gr(patterns, tmp_path_factory):
    sample, bkg, _ = patterns
    out = tmp_path_factory.mktemp("pdf_reduced") / "nacl.gr"
    rc = main(["pdf", "reduce", str(sample), "--background", str(bkg), *REDUCE, "--write-fq", "-o", str(out)])
    return rc, out


# ------------------------------------------------------------------------------------------ reduce
def test_reduce_writes_gr_fq_and_figure(reduced_gr):
    rc, out = reduced_gr
    assert rc == 0
    g = read(out)
    assert g.meta["quantity"] == "G" and g.sample == "NaCl-np"
    assert g.meta["qmax"] == 20.0 and g.meta["qmin"] == 0.8 and g.meta["composition"] == "NaCl"
    assert g.x[-1] == pytest.approx(30.0) and g.sigma is not None
    first = fit_rpeaks(g.x, g.y, (2.3, 3.3), rho0=RHO0, qmax=g.meta["qmax"])
    assert first.peaks[0]["r"] == pytest.approx(2.82, abs=0.01)
    assert (out.parent / "nacl_reduction.png").stat().st_size > 0
    f = read(out.with_suffix(".fq"))
    assert f.meta["quantity"] == "F" and f.x_name == "Q" and f.sample == "NaCl-np"
    assert f.x[-1] >= 20.0 - 0.05                                         # F(Q) runs to qmax-inst


def test_reduce_many_patterns_need_a_folder(patterns, tmp_path, capsys):
    sample, bkg, short = patterns
    rc = main(["pdf", "reduce", str(sample), str(short), "--background", str(bkg), *REDUCE,
               "-o", str(tmp_path / "x.gr")])
    assert rc == 2
    assert "with 2 patterns give a folder, not a file name" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_reduce_qmax_beyond_the_data_fails_that_file_only(patterns, tmp_path, capsys):
    sample, bkg, short = patterns
    out = tmp_path / "grs"
    rc = main(["pdf", "reduce", str(sample), str(short), "--background", str(bkg), *REDUCE, "--no-figures",
               "-o", str(out)])
    assert rc == 1                                                       # one failed, the other went on
    assert read(out / "NaCl-np.gr").meta["quantity"] == "G" and not (out / "NaCl-short.gr").exists()
    fails = pd.read_csv(out / "pdf_reduce_failures.csv")
    assert len(fails) == 1 and fails["file"].iloc[0].endswith("NaCl-short.xy")
    assert "beyond the data" in fails["message"].iloc[0]
    assert "beyond the data" in capsys.readouterr().err
    assert not list(out.glob("*.png"))


# ------------------------------------------------------------------------------------------- peaks
def test_peaks_partial_coordination_number(reduced_gr, nacl_particle, tmp_path):
    _, gr = reduced_gr
    out = tmp_path / "peaks.csv"
    rc = main(["pdf", "peaks", str(gr), "--window", "2.3,3.3", "--rho0", str(RHO0), "--pair", "Na-Cl",
               "--composition", "NaCl", "-o", str(out)])
    assert rc == 0
    row = pd.read_csv(out).iloc[0]
    assert row["sample"] == "NaCl-np"
    assert row["pdf_peak_r_angstrom[2.3-3.3]"] == pytest.approx(2.82, abs=0.01)
    assert row["pdf_cn[Na-Cl]"] == pytest.approx(nacl_particle["true_cn"], rel=0.10)   # surface: 5.36, not 6
    desc = pd.read_csv(tmp_path / "peaks_descriptors.csv")
    assert {"pdf_cn[Na-Cl]", "pdf_peak_cn_weighted[2.3-3.3]"} <= set(desc["name"])
    settings = json.loads((tmp_path / "peaks_settings.json").read_text())
    assert [s["pair"] for s in settings.values()] == [["Na-Cl"]]
    assert len(list((tmp_path / "peaks_figures").glob("*.png"))) == 1


def test_peaks_needs_a_window(reduced_gr, tmp_path, capsys):
    _, gr = reduced_gr
    assert main(["pdf", "peaks", str(gr), "-o", str(tmp_path / "p.csv")]) == 2
    assert "--window" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


# --------------------------------------------------------------------------------------------- fit
def test_fit_needs_a_structure(reduced_gr, tmp_path, capsys):
    _, gr = reduced_gr
    assert main(["pdf", "fit", str(gr), "-o", str(tmp_path / "f.csv")]) == 2
    assert "--structure" in capsys.readouterr().err


@pytest.mark.reference_data
def test_fit_ni_xray(reference_data, tmp_path):
    """PDFgui's Ni x-ray example (Qmax 40 from the PDFgetX2 header): a = 3.5318 Å (upstream 3.53175(4))."""
    ni = reference_data / "pdf" / "ni"
    out = tmp_path / "ni.csv"
    rc = main(["pdf", "fit", str(ni / "Ni-xray.gr"), "--structure", str(ni / "Ni.stru"), "--fit-range", "1.5,10",
               "-o", str(out)])
    assert rc == 0
    row = pd.read_csv(out).iloc[0]
    assert bool(row["converged"])
    assert row["pdf_a_angstrom"] == pytest.approx(3.5318, abs=0.003)
    assert row["pdf_rw"] < 0.15
    assert "pdf_a_angstrom" in set(pd.read_csv(tmp_path / "ni_descriptors.csv")["name"])
    assert len(list((tmp_path / "ni_figures").glob("*_smallbox.png"))) == 1


# ------------------------------------------------------------------------------------------ series
@pytest.mark.reference_data
@pytest.mark.slow
def test_lamno3_series_local_jahn_teller_distortion_outlives_the_average_one(reference_data, tmp_path):
    """LaMnO3, neutron PDF at 300-1100 K (Qiu et al., PRL 94, 177203 (2005)): the average (Pbnm) cell loses its
    orthorhombic b - a splitting at T_JT ≈ 750 K, while the local MnO6 octahedra keep short (~1.93 Å) and long
    (~2.18 Å) Mn-O bonds at every temperature."""
    lmo = reference_data / "pdf" / "lamno3_temperature_series"
    out = tmp_path / "lmo.csv"
    files = [str(lmo / f) for f in ("750K.gr", "1100K.gr", "300K.gr", "700K.gr")]      # out of order
    rc = main(["pdf", "series", *files, "--mode", "neutron", "--window", "1.7,2.32", "--npeaks", "2",
               "--same-width", "--label", "Mn-O short", "--label", "Mn-O long", "--structure",
               str(lmo / "LaMnO3.stru"), "--fit-range", "10,20", "--refine", "scale,lattice,uiso,delta2",
               "--start", "qdamp=0.03", "--start", "delta2=2", "-o", str(out)])
    assert rc == 0
    t = pd.read_csv(out)
    assert list(t["temperature_K"]) == [300.0, 700.0, 750.0, 1100.0]
    short, long_ = "pdf_peak_r_angstrom[Mn-O short]", "pdf_peak_r_angstrom[Mn-O long]"
    assert {short, long_, "pdf_peak_fwhm_angstrom[Mn-O short]", "pdf_peak_fwhm_angstrom[Mn-O long]", "pdf_a_angstrom",
            "pdf_b_angstrom", "pdf_c_angstrom", "pdf_rw", "pdf_mid_range_order_rel[5-20]"} <= set(t.columns)
    assert t["pdf_mid_range_order_rel[5-20]"].iloc[0] == pytest.approx(1.0)
    assert t["pdf_peak_fwhm_angstrom[Mn-O short]"].equals(t["pdf_peak_fwhm_angstrom[Mn-O long]"])   # --same-width
    assert 1.90 < t[short].iloc[0] < 1.96 and 2.13 < t[long_].iloc[0] < 2.22
    assert ((t[long_] - t[short]) > 0.18).all()                       # local distortion at every T
    split = (t["pdf_b_angstrom"] - t["pdf_a_angstrom"]).to_numpy()
    assert split[0] > 0.15 and abs(split[2]) < 0.02                    # average splitting gone at 750 K
    assert (t["pdf_rw"] < 0.5).all()
    settings = json.loads((tmp_path / "lmo_settings.json").read_text())
    assert settings["condition"] == "temperature_K" and settings["series"]["chain"] is True
    figs = tmp_path / "lmo_figures"
    for name in ("stacked_gr.png", "waterfall_gr.png", "descriptors_vs_condition.png"):
        assert (figs / name).stat().st_size > 0
    assert len(list(figs.glob("*_analysis.png"))) == 4
    assert len(pd.read_csv(tmp_path / "lmo_descriptors.csv")) > 4 * 20
