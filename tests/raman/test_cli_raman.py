"""``structkit raman fit|bands`` and ``structkit nmr lines`` end to end, on spectra the tests write as
two-column text files (``Raman Shift (cm-1)<TAB>Intensity``, ``ppm<TAB>intensity``).

Band centres of the synthetic spectra have standard errors of 0.02-0.13 cm-1; 0.5 cm-1 is four or more.
"""

import json

import numpy as np
import pandas as pd
import pytest

from structkit.cli import main
from structkit.core.lineshapes import lorentzian, pseudo_voigt
from structkit.raman import calibrate_shift, synthetic_spectrum

TRUTH = {"a": [(360, 14, 4e4), (405, 8, 6e4)], "b": [(358, 16, 3e4), (403, 10, 6e4)]}
SELECT = ["--bands", "NaTaCl6", "--select", "TaCl_eq_stretch,A1g_axial_stretch"]
POLY = ["--baseline", "poly", "--anchors", "250,300", "--anchors", "460,500"]
BAND_COLUMNS = ["file", "sample", "band", "center_cm1", "center_stderr_cm1", "fwhm_cm1", "fwhm_stderr_cm1",
                "area", "area_stderr", "eta"]


def _write(path, x, y, header="Raman Shift (cm-1)\tIntensity"):
    with open(path, "w") as fh:
        fh.write(header + "\n")
        fh.writelines(f"{a:.6f}\t{b:.8g}\n" for a, b in zip(x, y))
    return path


@pytest.fixture(scope="module")
def spectra(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raman_spectra")
    out = {}
    for seed, (name, bands) in enumerate(TRUTH.items(), start=1):
        m = synthetic_spectrum(bands, x=(250, 500), seed=seed)
        out[name] = _write(folder / f"{name}.txt", m.x, m.y)
    out["broken"] = folder / "broken.txt"
    out["broken"].write_text("Raman Shift (cm-1)\tIntensity\nnot\tnumbers\n")
    out["tiny"] = _write(folder / "tiny.txt", [300.0, 301.0, 302.0], [10.0, 12.0, 11.0])
    return out


@pytest.fixture(scope="module")
def table_fit(spectra, tmp_path_factory):
    out = tmp_path_factory.mktemp("raman_fit") / "out.csv"
    rc = main(["raman", "fit", str(spectra["a"]), str(spectra["b"]), *SELECT, *POLY, "-o", str(out)])
    return rc, out


# ------------------------------------------------------------------------------------------------ raman fit
def test_fit_with_a_table_writes_bands_descriptors_settings_and_figures(table_fit, spectra):
    rc, out = table_fit
    assert rc == 0
    frame = pd.read_csv(out)
    assert set(BAND_COLUMNS) <= set(frame.columns)
    assert [c for c in frame.columns if c in BAND_COLUMNS] == BAND_COLUMNS          # in this order
    assert len(frame) == 4
    assert list(frame["file"]) == [str(spectra["a"])] * 2 + [str(spectra["b"])] * 2
    assert list(frame["sample"]) == ["a", "a", "b", "b"]
    for sample, bands in TRUTH.items():
        rows = frame[frame["sample"] == sample].set_index("band")
        for band, (c, w, _) in zip(["TaCl_eq_stretch", "A1g_axial_stretch"], bands):
            assert rows.loc[band, "center_cm1"] == pytest.approx(c, abs=0.5), (sample, band)
            assert rows.loc[band, "fwhm_cm1"] == pytest.approx(w, rel=0.05), (sample, band)
            assert 0 < rows.loc[band, "center_stderr_cm1"] < 0.2
            assert 0 <= rows.loc[band, "eta"] <= 1
    # the command is fit_spectrum with these options: the same numbers, to the file's 8 digits
    from structkit.io import read
    from structkit.raman import fit_spectrum
    direct = fit_spectrum(read(spectra["a"]), bands="NaTaCl6", select=["TaCl_eq_stretch", "A1g_axial_stretch"],
                          baseline={"method": "poly", "anchors": [(250, 300), (460, 500)], "poly_order": 2})
    rows = frame[frame["sample"] == "a"].set_index("band")
    for b in direct.fit.bands:
        for col, value in (("center_cm1", b.center), ("fwhm_cm1", b.fwhm), ("area", b.area),
                           ("area_stderr", b.stderr["area"]), ("eta", b.eta)):
            assert rows.loc[b.name, col] == pytest.approx(value, rel=1e-6, abs=1e-9), (b.name, col)
    desc = pd.read_csv(out.parent / "out_descriptors.csv")
    axial = desc[desc["name"] == "center_cm1[A1g_axial_stretch]"].set_index("sample")
    assert set(axial.index) == {"a", "b"} and axial.loc["a", "unit"] == "cm-1"
    assert axial.loc["a", "value"] == pytest.approx(frame.set_index(["sample", "band"]).loc[
        ("a", "A1g_axial_stretch"), "center_cm1"])
    assert "ratio[axial_over_equatorial_area]" in set(desc["name"])
    settings = json.loads((out.parent / "out_settings.json").read_text())
    assert settings["table"] == "NaTaCl6" and settings["select"] == ["TaCl_eq_stretch", "A1g_axial_stretch"]
    assert settings["baseline"] == "poly" and settings["anchors"] == [[250.0, 300.0], [460.0, 500.0]]
    assert settings["technique"] == "raman"
    figures = out.parent / "out_figures"
    assert sorted(p.name for p in figures.glob("*.png")) == ["a_fit.png", "b_fit.png", "stack.png"]
    assert all(p.stat().st_size > 0 for p in figures.glob("*.png"))
    assert not (out.parent / "out_failures.csv").exists()


def test_fit_with_peaks_and_files_that_fail(spectra, tmp_path, capsys):
    out = tmp_path / "pk.csv"
    rc = main(["raman", "fit", str(spectra["a"]), str(spectra["broken"]), str(spectra["tiny"]), str(spectra["b"]),
               "--peaks", "360,405", *POLY, "--no-figures", "-o", str(out)])
    assert rc == 1                                                       # some failed, the others went on
    frame = pd.read_csv(out)
    assert list(frame["band"]) == ["b360", "b405"] * 2 and list(frame["sample"]) == ["a", "a", "b", "b"]
    for sample, bands in TRUTH.items():
        centres = frame[frame["sample"] == sample]["center_cm1"].to_numpy()
        np.testing.assert_allclose(centres, [c for c, _, _ in bands], atol=0.5)
    fails = pd.read_csv(tmp_path / "pk_failures.csv")
    assert list(fails["file"]) == [str(spectra["broken"]), str(spectra["tiny"])]
    assert list(fails["error"]) == ["ReadError", "DataError"]
    assert "3 points are too few" in fails["message"].iloc[1]
    err = capsys.readouterr().err
    assert "2 file(s) failed" in err and "broken.txt" in err
    assert not (tmp_path / "pk_figures").exists()


def test_fit_where_every_file_fails_exits_2(spectra, tmp_path):
    out = tmp_path / "none.csv"
    assert main(["raman", "fit", str(spectra["tiny"]), "--peaks", "301", "--baseline", "none",
                 "-o", str(out)]) == 2
    assert not out.exists() and (tmp_path / "none_failures.csv").exists()


def test_bad_settings_exit_2(spectra, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["raman", "fit", str(spectra["a"]), "--baseline", "poly", "-o", str(out)]) == 2
    assert "--baseline poly needs band-free windows" in capsys.readouterr().err
    assert main(["raman", "fit", str(spectra["a"]), "--bands", "Quartz", "--baseline", "none", "-o", str(out)]) == 2
    assert "no band table 'Quartz'" in capsys.readouterr().err
    assert not out.exists()


def test_lam_that_is_not_a_number_exits_2(spectra, tmp_path):
    try:
        rc = main(["raman", "fit", str(spectra["a"]), "--peaks", "360,405", "--baseline", "arpls", "--lam", "1e6x",
                   "--no-figures", "-o", str(tmp_path / "x.csv")])
    except SystemExit as exc:                                            # an argparse error would be fine too
        rc = exc.code
    assert rc == 2


def test_calibrate_shifts_every_spectrum(spectra, table_fit, tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = np.arange(480.0, 560.0 + 0.25, 0.5)
    si = _write(tmp_path / "si.txt", x, 2e4 * pseudo_voigt(x, 518.9, 3.5, 0.6) + 200 + rng.normal(0, 20, x.size))
    from structkit.io import read
    shift = calibrate_shift(read(si)).shift
    assert shift == pytest.approx(1.8, abs=0.05)
    out = tmp_path / "cal.csv"
    assert main(["raman", "fit", str(spectra["a"]), *SELECT, *POLY, "--calibrate", str(si), "--no-figures",
                 "-o", str(out)]) == 0
    assert "calibration: Calibration(silicon" in capsys.readouterr().out
    plain = pd.read_csv(table_fit[1]).set_index(["sample", "band"])
    cal = pd.read_csv(out).set_index(["sample", "band"])
    for band in ("TaCl_eq_stretch", "A1g_axial_stretch"):
        assert cal.loc[("a", band), "center_cm1"] == pytest.approx(plain.loc[("a", band), "center_cm1"] + shift,
                                                                   abs=2e-3)


# ---------------------------------------------------------------------------------------------------- series
SERIES_T = [300, 100, 200]


def _axial(t):
    return 405.0 - 4.0 * (t - 100) / 200, 8.0 + 3.0 * (t - 100) / 200


@pytest.fixture(scope="module")
def series_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raman_series")
    paths = []
    for i, t in enumerate(SERIES_T):
        c, w = _axial(t)
        m = synthetic_spectrum([(360, 14, 4e4), (c, w, 6e4)], x=(250, 500), seed=10 + i)
        paths.append(_write(folder / f"s_{t}K.txt", m.x, m.y))
    m = synthetic_spectrum(TRUTH["a"], x=(250, 500), seed=20)
    paths.append(_write(folder / "no_temperature.txt", m.x, m.y))
    out = folder / "series.csv"
    rc = main(["raman", "fit", *map(str, paths), *SELECT, *POLY, "--condition", "temperature_K", "-o", str(out)])
    return rc, out


def test_series_by_temperature_from_file_names(series_run):
    rc, out = series_run
    assert rc == 1                                                       # no_temperature.txt has no condition
    frame = pd.read_csv(out)
    assert list(frame["temperature_K"]) == [100.0, 100.0, 200.0, 200.0, 300.0, 300.0]     # sorted, from the names
    assert set(frame["sample"]) == {"s"}
    axial = frame[frame["band"] == "A1g_axial_stretch"]
    np.testing.assert_allclose(axial["center_cm1"], [_axial(t)[0] for t in (100, 200, 300)], atol=0.5)
    fails = pd.read_csv(out.parent / "series_failures.csv")
    assert len(fails) == 1 and fails["file"].iloc[0].endswith("no_temperature.txt")
    assert "no condition 'temperature_K'" in fails["message"].iloc[0]
    desc = pd.read_csv(out.parent / "series_descriptors.csv")
    assert set(desc["temperature_K"]) == {100.0, 200.0, 300.0}
    figures = out.parent / "series_figures"
    assert (figures / "bands_vs_condition.png").stat().st_size > 0
    assert (figures / "stack.png").stat().st_size > 0
    settings = json.loads((out.parent / "series_settings.json").read_text())
    assert settings["condition"] == "temperature_K"


def test_series_keeps_one_fit_figure_per_spectrum(series_run):
    figures = series_run[1].parent / "series_figures"
    assert len(list(figures.glob("*_fit.png"))) == len(SERIES_T)


# ----------------------------------------------------------------------------------------------- raman bands
def test_bands_lists_the_tables(capsys):
    assert main(["raman", "bands"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines if line.strip()]
    assert {"NaTaCl6", "TaCl5", "Ta-O-Ta", "Na23_NTOC", "Li2Si4O9_glass"} <= set(names)
    assert names == sorted(names)
    assert any(line.startswith("NaTaCl6") and "TaCl6- octahedra" in line for line in lines)


def test_bands_prints_one_table(capsys):
    assert main(["raman", "bands", "NaTaCl6"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("NaTaCl6: TaCl6- octahedra in NaTaCl6 (Raman) (raman, cm-1;")
    for band in ("T2g_oop_bend", "T2g_ip_bend", "TaCl_eq_stretch", "A1g_axial_stretch"):
        assert band in text
    assert "ratio axial_over_equatorial_area = area(A1g_axial_stretch) / area(TaCl_eq_stretch)" in text
    assert main(["raman", "bands", "Quartz"]) == 2
    assert "no band table 'Quartz'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------- nmr lines
NU = 132.294


@pytest.fixture(scope="module")
def nmr_spectrum(tmp_path_factory):
    """23Na: NTOC at -11.18 ppm (Lorentzian, 380.15 Hz) and NaCl at 7.2 ppm, areas 8:1 (x = 1/16)."""
    x = np.linspace(-80, 100, 4501)
    y = 8000 * lorentzian(x, -11.18, 380.15 / NU) + 1000 * pseudo_voigt(x, 7.2, 0.9, 0.3)
    y = y + np.random.default_rng(11).normal(0, 0.5, x.size)
    return _write(tmp_path_factory.mktemp("nmr") / "spec.txt", x[::-1], y[::-1], header="ppm\tintensity")


def test_nmr_lines_widths_in_hz_and_oxygen_content(nmr_spectrum, tmp_path):
    out = tmp_path / "lines.csv"
    rc = main(["nmr", "lines", str(nmr_spectrum), "--lines", "Na23_NTOC", "--larmor", "132.294",
               "--oxygen", "NaCl,NTOC", "--no-figures", "-o", str(out)])
    assert rc == 0
    frame = pd.read_csv(out).set_index("band")
    assert {"center_ppm", "fwhm_ppm", "fwhm_hz", "fwhm_stderr_hz", "oxygen_x", "oxygen_x_stderr"} <= set(frame.columns)
    assert set(frame.index) == {"NTOC", "NaCl"}                          # Na2O (absent) dropped as insignificant
    assert frame.loc["NTOC", "center_ppm"] == pytest.approx(-11.18, abs=0.01)
    assert frame.loc["NTOC", "fwhm_hz"] == pytest.approx(380.15, abs=1.0)
    assert frame.loc["NTOC", "fwhm_hz"] == pytest.approx(frame.loc["NTOC", "fwhm_ppm"] * NU, rel=1e-9)
    assert frame.loc["NaCl", "fwhm_hz"] == pytest.approx(0.9 * NU, abs=1.0)
    # x = (A_NaCl / A_NTOC) / 2 = 1/16; the fit's error on it is ~2e-5
    assert frame["oxygen_x"].nunique() == 1
    assert frame["oxygen_x"].iloc[0] == pytest.approx(0.0625, abs=1e-3)
    assert 0 < frame["oxygen_x_stderr"].iloc[0] < 1e-3
    desc = pd.read_csv(tmp_path / "lines_descriptors.csv").set_index("name")
    assert desc.loc["oxygen_x", "value"] == pytest.approx(frame["oxygen_x"].iloc[0])
    assert desc.loc["fwhm_hz[NTOC]", "unit"] == "Hz"
    settings = json.loads((tmp_path / "lines_settings.json").read_text())
    assert settings["technique"] == "nmr" and settings["larmor"] == NU and settings["oxygen"] == ["NaCl", "NTOC"]


def test_nmr_lines_larmor_mismatch_exits_2(nmr_spectrum, tmp_path, capsys):
    out = tmp_path / "bad.csv"
    rc = main(["nmr", "lines", str(nmr_spectrum), "--lines", "Na23_NTOC", "--nucleus", "23Na", "--field", "7.05",
               "--larmor", "73.39", "--no-figures", "-o", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "23Na at 7.05 T: expected 79.40 MHz, given 73.39 MHz" in err and "outside ±1%" in err
    assert not out.exists()
    # the right field passes the same check
    assert main(["nmr", "lines", str(nmr_spectrum), "--lines", "Na23_NTOC", "--nucleus", "23Na", "--field", "11.7",
                 "--larmor", "132.294", "--no-figures", "-o", str(tmp_path / "ok.csv")]) == 0
