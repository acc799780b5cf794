"""``structkit xas normalize|exafs|wavelet|fit`` end to end on files the tests write (and on the Cu foil)."""

import json

import numpy as np
import pandas as pd
import pytest

from structkit.cli import main
from structkit.xas.synthetic import shells_chi, synthetic_xas

pytest.importorskip("larch")

E0 = 9881.0          # Ta L3


@pytest.fixture(scope="module")
def spectra(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xas")
    kk = np.arange(0, 16.5, 0.05)
    paths = []
    for i, hours in enumerate((6, 40)):
        chi = shells_chi(kk, [(6, 2.37, 0.003 + 0.002 * i)])
        e, mu = synthetic_xas(E0, chi=(kk, chi), step=0.9, white_line=0.7, noise=3e-4, seed=i)
        p = folder / f"NTC-{hours}h.xmu"
        np.savetxt(p, np.column_stack([e, mu]), fmt="%.6f", header="energy mu")
        paths.append(p)
    bad = folder / "inverted.xmu"
    np.savetxt(bad, np.column_stack([e, -mu]), fmt="%.6f", header="energy mu")
    return folder, paths, bad


def test_normalize_writes_table_descriptors_settings_and_figures(spectra, tmp_path):
    _, paths, bad = spectra
    out = tmp_path / "xanes.csv"
    rc = main(["xas", "normalize", *map(str, paths), str(bad), "-o", str(out)])
    assert rc == 1                                     # one file failed, the others went on
    table = pd.read_csv(out)
    assert len(table) == 2
    assert np.all(np.abs(table["e0_half_step_eV"] - E0) < 1.5)
    assert np.all(np.abs(table["edge_step"] - 0.9) < 0.05)
    fails = pd.read_csv(tmp_path / "xanes_failures.csv")
    assert fails["file"].str.contains("inverted").all() and "edge step" in fails["message"].iloc[0]
    desc = pd.read_csv(tmp_path / "xanes_descriptors.csv")
    assert {"e0_eV", "edge_step", "white_line_energy_eV"} <= set(desc["name"])
    settings = json.loads((tmp_path / "xanes_settings.json").read_text())
    assert all("pre1" in s and "larch" in s for s in settings.values())
    assert len(list((tmp_path / "xanes_figures").glob("*.png"))) == 2


def test_exafs_reports_phase_free_shell_distance(spectra, tmp_path):
    _, paths, _ = spectra
    out = tmp_path / "exafs.csv"
    rc = main(["xas", "exafs", *map(str, paths), "--kmin", "3", "--kmax", "14", "--peaks", "1",
               "--write-chi", "-o", str(out)])
    assert rc == 0
    table = pd.read_csv(out)
    # shells_chi has no scattering phase: the peak is at the true 2.37 A within the R step (0.031 A)
    assert np.all(np.abs(table["r_A_not_phase_corrected"] - 2.37) < 0.035)
    assert len(list((tmp_path / "exafs_chik").glob("*.csv"))) == 2
    settings = json.loads((tmp_path / "exafs_settings.json").read_text())
    assert all(s["fourier"]["kmax"] == 14 and s["exafs"]["rbkg"] == 1.0 for s in settings.values())


def test_exafs_k_range_beyond_data_fails_cleanly(spectra, tmp_path):
    _, paths, _ = spectra
    rc = main(["xas", "exafs", str(paths[0]), "--kmax", "25", "-o", str(tmp_path / "e.csv"), "--no-figures"])
    assert rc == 2
    assert "beyond the data" in pd.read_csv(tmp_path / "e_failures.csv")["message"].iloc[0]


@pytest.mark.reference_data
def test_fit_cu_foil_from_the_command_line(reference_data, tmp_path):
    xas = reference_data / "xas"
    out = tmp_path / "shells.csv"
    rc = main(["xas", "fit", str(xas / "cu_metal_rt.xdi"), "--path", str(xas / "feff_paths" / "feffcu01.dat"),
               "--kmin", "3", "--kmax", "17", "--dk", "4", "--window", "kaiser", "--rmin", "1.4",
               "--rfit-max", "3.0", "-o", str(out)])
    assert rc == 0
    row = pd.read_csv(out).iloc[0]
    assert abs(row["r"] - 2.5418) < 0.003 and abs(row["sigma2"] - 0.00867) < 3e-4
    assert (tmp_path / "shells_report.txt").read_text().count("feffcu01") >= 1
    assert len(list((tmp_path / "shells_figures").glob("*.png"))) == 1



@pytest.mark.reference_data
def test_fit_cu_foil_with_paths_computed_from_a_cif(reference_data, tmp_path, capsys, cubic_cif):
    """FEFF6L on the fcc Cu cell (a = 3.615 A, first shell 2.556 A) instead of the shipped feffcu01.dat: the fit
    finds the same first-shell R and sigma2 as upstream within the acceptance tolerances."""
    pytest.importorskip("larch")
    cif = tmp_path / "cu.cif"
    cif.write_text(cubic_cif("Cu", 3.615))
    out = tmp_path / "shells.csv"
    args = ["xas", "fit", str(reference_data / "xas" / "cu_metal_rt.xdi"), "--kmin", "3", "--kmax", "17",
            "--dk", "4", "--window", "kaiser", "--rmin", "1.4", "--rfit-max", "3.0", "--feff-rmax", "2.6",
            "-o", str(out), "--no-figures"]
    assert main([*args, "--cif", str(cif), "--absorber", "Cu"]) == 0
    row = pd.read_csv(out).iloc[0]
    assert abs(row["r"] - 2.5418) < 0.003 and abs(row["sigma2"] - 0.00867) < 3e-4
    assert len(list((tmp_path / "shells_feff").glob("feff0001.dat"))) == 1
    assert main([*args, "--cif", str(cif)]) == 2
    assert "--cif needs --absorber" in capsys.readouterr().err
