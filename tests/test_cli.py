"""The command line: each sub-command end to end on files the tests write."""

import numpy as np
import pandas as pd
import pytest

from structkit.cli import main
from structkit.conductivity.synthetic import SEED000_LAW, blocking_pellet_impedance, piecewise_arrhenius_sigma

L_CM, D_CM = 0.1, 0.5
AREA = np.pi * (D_CM / 2) ** 2
T_C = np.arange(-100, 181, 20)


def _write_neisys(path, t_c, sigma, rng):
    f = np.logspace(7, -2, 82)
    z = blocking_pellet_impedance(f, sigma_S_per_cm=sigma, thickness_cm=L_CM, area_cm2=AREA)
    z = z + 0.005 * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))
    lines = [f"{path.stem} ", "Fixed value(s) :  AC Volt  [Vrms]=1.0000e-02  ",
             "   Freq.[Hz]   \tZs'[ohm]  \tZs''[ohm]"]
    lines += [f" {fi:.5e}\t {zi.real:.6e}\t{zi.imag:.6e}" for fi, zi in zip(f, z)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def eis_folder(tmp_path):
    folder = tmp_path / "eis"
    folder.mkdir()
    rng = np.random.default_rng(7)
    for t_c, s in zip(T_C, piecewise_arrhenius_sigma(T_C + 273.15, **SEED000_LAW)):
        _write_neisys(folder / f"NBH_{t_c}deg.txt", t_c, s, rng)
    return folder


def test_eis_then_arrhenius_then_join(eis_folder, tmp_path, capsys):
    out = tmp_path / "sigma.csv"
    rc = main(["conductivity", "eis", *map(str, sorted(eis_folder.glob("*.txt"))), "--thickness-cm", str(L_CM),
               "--diameter-cm", str(D_CM), "-o", str(out)])
    assert rc == 0
    sigma = pd.read_csv(out)
    for col in ("file", "sample", "temperature_K", "r_bulk_ohm", "r_bulk_stderr_ohm", "sigma_S_per_cm",
                "sigma_stderr_S_per_cm", "capacitance_F", "method", "converged"):
        assert col in sigma.columns
    assert len(sigma) == len(T_C) and sigma["converged"].all()
    truth = piecewise_arrhenius_sigma(sigma["temperature_K"].to_numpy(), **SEED000_LAW)
    np.testing.assert_allclose(sigma["sigma_S_per_cm"], truth, rtol=0.03)
    assert set(sigma["method"]) == {"circuit_fit", "spike_intercept"}
    assert len(list((tmp_path / "sigma_figures").glob("*.png"))) == 2 * len(T_C)

    arr = tmp_path / "arrhenius.csv"
    assert main(["conductivity", "arrhenius", str(out), "-o", str(arr)]) == 0
    regimes = pd.read_csv(arr)
    for col in ("regime", "t_min_K", "t_max_K", "ea_eV", "ea_stderr_eV"):
        assert col in regimes.columns
    assert list(regimes["regime"]) == [1, 2, 3]
    np.testing.assert_allclose(regimes["ea_eV"], SEED000_LAW["ea_eV"], atol=0.02)
    bps = pd.read_csv(tmp_path / "arrhenius_breakpoints.csv")
    np.testing.assert_allclose(bps["breakpoint_K"], SEED000_LAW["breakpoints_K"], atol=15)
    assert "breakpoint_stderr_K" in bps.columns
    assert (tmp_path / "arrhenius_figures" / "arrhenius_NBH.png").exists()

    desc = tmp_path / "desc.csv"
    pd.DataFrame({"sample": ["NBH"] * 3, "temperature_K": [250.0, 300.0, 500.0], "technique": "xrd",
                  "name": "a_angstrom", "value": [10.0, 10.01, 10.05], "stderr": 1e-3, "unit": "angstrom",
                  "source": "test", "method": "test"}).to_csv(desc, index=False)
    joined = tmp_path / "joined.csv"
    assert main(["join", str(desc), str(out), "-o", str(joined)]) == 0
    j = pd.read_csv(joined)
    assert list(j["temperature_K"]) == [250.0, 300.0, 500.0]
    true_250_300 = piecewise_arrhenius_sigma(np.array([250.0, 300.0]), **SEED000_LAW)
    np.testing.assert_allclose(j["sigma_S_per_cm"][:2], true_250_300, rtol=0.03)
    assert np.isnan(j["sigma_S_per_cm"][2]) and "outside the measured range" in j["conductivity_note"][2]
    assert list(j["conductivity_regime"][:2]) == [2, 2]


def test_eis_bad_input_exit_codes(eis_folder, tmp_path, capsys):
    good = str(sorted(eis_folder.glob("*.txt"))[0])
    with pytest.raises(SystemExit) as info:           # geometry is required
        main(["conductivity", "eis", good, "-o", str(tmp_path / "s.csv")])
    assert info.value.code == 2
    assert main(["conductivity", "eis", good, "--thickness-cm", "0.1", "--diameter-cm", "0.5",
                 "--circuit", "p(R1,CPE1", "-o", str(tmp_path / "s.csv")]) == 2
    assert "missing ')'" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["conductivity", "eis", good, str(empty), "--thickness-cm", "0.1", "--diameter-cm", "0.5",
                 "-o", str(tmp_path / "s.csv")]) == 1
    err = capsys.readouterr().err
    assert "empty.txt" in err
    failures = pd.read_csv(tmp_path / "s_failures.csv")
    assert list(failures["file"]) == [str(empty)]


def test_run_campaign_with_two_corrupt_files(eis_folder, tmp_path):
    (eis_folder / "NBH_200deg.txt").write_text("NBH\nFixed value(s)\nFreq.[Hz]\tZs'[ohm]\tZs''[ohm]\n"
                                               "1e6\tabc\t-1\n1e5\t2\t-3\n")
    (eis_folder / "NBH_210deg.txt").write_bytes(b"\x00\x01\x02\xff\xfe garbage")
    toml = tmp_path / "campaign.toml"
    toml.write_text(f'[campaign]\nname = "t"\noutput = "out"\nexecutor = "serial"\n\n'
                    f'[conductivity]\ninputs = ["eis/*.txt"]\nthickness_cm = {L_CM}\ndiameter_cm = {D_CM}\n'
                    'figures = false\n')
    assert main(["run", str(toml), "--no-progress"]) == 1     # some files failed
    out = tmp_path / "out"
    failures = pd.read_csv(out / "failures.csv")
    assert sorted(failures["file"].str.replace("\\", "/").str.split("/").str[-1]) == \
        ["NBH_200deg.txt", "NBH_210deg.txt"]
    assert (failures["error"] == "ReadError").all()
    sigma = pd.read_csv(out / "sigma.csv")
    assert len(sigma) == len(T_C)
    regimes = pd.read_csv(out / "arrhenius.csv")
    assert len(regimes) == 3
    for name in ("descriptors.csv", "descriptors_wide.csv", "provenance.json", "breakpoints.csv"):
        assert (out / name).exists()


def test_bad_campaign_key_is_named(tmp_path, capsys):
    toml = tmp_path / "c.toml"
    (tmp_path / "a.txt").write_text("1 2\n2 3\n")
    toml.write_text('[conductivity]\ninputs = ["a.txt"]\nthickness_cm = 0.1\ndiamter_cm = 0.5\n')
    assert main(["run", str(toml), "--no-progress"]) == 2
    assert "diamter_cm" in capsys.readouterr().err


def test_formats_lists_readers(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name in ("zplot", "gamry", "biologic", "neisys", "hdf5"):
        assert name in out
