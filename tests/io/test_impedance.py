"""Impedance readers: every format gives f ascending in Hz and Z = Z' + iZ'' with the physical sign."""

import time

import numpy as np
import pytest
from numpy.testing import assert_allclose

from structkit.core.errors import ConfigError, DataError, ReadError
from structkit.io import read

RTOL = 1e-9


def _check(m, f, z, fmt):
    order = np.argsort(f)
    assert m.meta["format"] == fmt
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit) == ("frequency", "Hz", "impedance", "ohm")
    assert m.technique == "conductivity"
    assert np.all(np.diff(m.x) > 0)
    assert_allclose(m.x, f[order], rtol=RTOL)
    assert_allclose(m.y.real, z.real[order], rtol=RTOL)
    assert_allclose(m.y.imag, z.imag[order], rtol=RTOL)


@pytest.fixture
def spectrum(eis):
    f = eis.freq_hz
    return f, eis.impedance(f)


def test_the_test_spectrum_has_both_signs(spectrum):
    f, z = spectrum
    assert z.imag.min() < 0 < z.imag.max()  # capacitive arc and inductive tail
    assert np.median(z.imag) < 0


# -- three-column text -------------------------------------------------------------

@pytest.mark.parametrize("header, negated, sign_from", [
    ("f,Z',-Z''", True, "header"),
    ("freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm", True, "header"),
    ("Frequency (Hz),Z' (Ohm),-Z'' (Ohm)", True, "header"),
    ("f,Z',Z''", False, "data"),
    ("freq/Hz,Zs'[ohm],Zs''[ohm]", False, "data"),
    ("f,Z',Z''", True, "data"),  # a plain Z'' label holding -Z'': decided by the data
    (None, True, "data"),
    (None, False, "data"),
])
def test_three_column_csv_both_conventions(tmp_path, eis, spectrum, header, negated, sign_from):
    f, z = spectrum
    p = tmp_path / "eis.csv"
    p.write_text(eis.three_column(f, z, header=header, negated=negated))
    m = read(p)
    _check(m, f, z, "impedance")
    assert m.meta["z_imag_stored"] == ("negated" if negated else "physical")
    assert m.meta["z_imag_sign_from"] == sign_from


@pytest.mark.parametrize("delimiter, comma", [("\t", False), (";", True), ("\t", True), (" ", False)])
def test_three_column_delimiters_and_decimal_comma(tmp_path, eis, spectrum, delimiter, comma):
    f, z = spectrum
    p = tmp_path / "eis.txt"
    header = delimiter.join(["freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm"])
    p.write_text(eis.three_column(f, z, header=header, delimiter=delimiter, comma=comma,
                                  comment="# exported by hand"))
    _check(read(p), f, z, "impedance")


def test_three_column_with_extra_columns_found_by_name(tmp_path, spectrum):
    f, z = spectrum
    lines = ["time/s,freq/Hz,|Z|/Ohm,Re(Z)/Ohm,-Im(Z)/Ohm"]
    lines += [f"{i},{float(fi)!r},{float(abs(zz))!r},{float(zz.real)!r},{float(-zz.imag)!r}"
              for i, (fi, zz) in enumerate(zip(f, z))]
    p = tmp_path / "eis.csv"
    p.write_text("\n".join(lines) + "\n")
    _check(read(p), f, z, "impedance")


def test_sign_hint_overrides_the_data(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "eis.csv"
    p.write_text(eis.three_column(f, z, header=None, negated=False))
    m = read(p, z_imag_sign="negated")
    assert m.meta["z_imag_sign_from"] == "hint"
    assert_allclose(m.y.imag, -z.imag[::-1], rtol=RTOL)
    with pytest.raises(ConfigError, match="z_imag_sign"):
        read(p, z_imag_sign="minus")


def test_columns_hint_and_forced_format(tmp_path, spectrum):
    f, z = spectrum
    rows = [f"{float(zz.real)!r} {float(fi)!r} {float(zz.imag)!r}" for fi, zz in zip(f, z)]
    p = tmp_path / "odd_order.dat"
    p.write_text("\n".join(rows) + "\n")
    m = read(p, format="impedance", columns=(1, 0, 2))
    _check(m, f, z, "impedance")


def test_headerless_xye_is_not_taken_for_impedance(tmp_path):
    x = np.linspace(10, 80, 50)
    p = tmp_path / "pattern.csv"
    p.write_text("\n".join(f"{v},{100 + v},{0.5}" for v in x))
    m = read(p)
    assert m.meta["format"] == "text" and m.sigma is not None


# -- vendor formats -------------------------------------------------------------

def test_gamry_dta(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "EIS_LLZO.DTA"
    p.write_text(eis.gamry(f, z, sample="LLZO-1", temperature=25), encoding="cp1252")
    m = read(p)
    _check(m, f, z, "gamry")
    assert m.meta["z_imag_stored"] == "physical"
    assert m.meta["title"] == "Potentiostatic EIS"
    assert m.sample == "LLZO-1"
    assert m.temperature_K == pytest.approx(298.15)
    assert m.meta["conditions_from"] == {"sample": "header", "temperature_K": "header"}


def test_gamry_without_zcurve_is_a_clear_error(tmp_path):
    p = tmp_path / "cv.DTA"
    p.write_text("EXPLAIN\nTAG\tCV\nCURVE\tTABLE\n\tPt\tT\n\t#\ts\n\t0\t1\n")
    with pytest.raises(ReadError, match="no 'ZCURVE TABLE' block.*TAG CV"):
        read(p)


@pytest.mark.parametrize("comma", [False, True])
@pytest.mark.parametrize("negated", [True, False])
def test_biologic_mpt(tmp_path, eis, spectrum, comma, negated):
    f, z = spectrum
    p = tmp_path / "LLZO_C01.mpt"
    p.write_text(eis.biologic(f, z, comma=comma, negated=negated), encoding="cp1252")
    m = read(p)
    _check(m, f, z, "biologic")
    assert m.meta["z_imag_stored"] == ("negated" if negated else "physical")
    assert m.meta["Comments"] == "LLZO pellet"


def test_biologic_bad_header_count(tmp_path, eis, spectrum):
    f, z = spectrum
    text = eis.biologic(f, z).replace("Nb header lines : 8", "Nb header lines : 6")
    p = tmp_path / "x.mpt"
    p.write_text(text)
    with pytest.raises(ReadError, match="line 6 should name the columns") as info:
        read(p)
    assert info.value.line == 6


def test_zplot(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "Circuit.z"
    p.write_text(eis.zplot(f, z))
    m = read(p)
    _check(m, f, z, "zplot")
    assert m.meta["Data Points"] == len(f)


def test_zplot_truncated_is_an_error(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "Circuit.z"
    p.write_text(eis.zplot(f, z).rsplit("\n", 3)[0] + "\n")
    with pytest.raises(ReadError, match="header says 31 data points but 29 rows"):
        read(p)


def test_neisys(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "measurement.txt"
    p.write_text(eis.neisys(f, z, title="s04147-140deg "))
    m = read(p)
    _check(m, f, z, "neisys")
    assert m.meta["ac_volt_vrms"] == 0.035
    assert m.sample == "s04147" and m.temperature_K == pytest.approx(413.15)


@pytest.mark.parametrize("writer, fmt", [("gamry", "gamry"), ("biologic", "biologic"),
                                         ("zplot", "zplot"), ("neisys", "neisys")])
def test_sniffed_from_content_whatever_the_extension(tmp_path, eis, spectrum, writer, fmt):
    f, z = spectrum
    p = tmp_path / "renamed.dat"
    p.write_text(getattr(eis, writer)(f, z))
    _check(read(p), f, z, fmt)


@pytest.mark.parametrize("writer, fmt", [("gamry", "gamry"), ("biologic", "biologic"),
                                         ("zplot", "zplot"), ("neisys", "neisys")])
def test_forced_format(tmp_path, eis, spectrum, writer, fmt):
    f, z = spectrum
    p = tmp_path / "file.bin"
    p.write_text(getattr(eis, writer)(f, z))
    assert read(p, format=fmt).meta["format"] == fmt


def test_forcing_the_wrong_reader_is_a_read_error(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "a.z"
    p.write_text(eis.neisys(f, z))
    with pytest.raises(ReadError, match="End Comments"):
        read(p, format="zplot")


# -- frequency axis -------------------------------------------------------------

def test_ascending_file_is_kept(tmp_path, eis, spectrum):
    f, z = spectrum
    p = tmp_path / "a.csv"
    p.write_text(eis.three_column(f[::-1], z[::-1]))
    _check(read(p), f, z, "impedance")


def test_duplicated_frequency_names_the_line(tmp_path, eis, spectrum):
    f, z = spectrum
    f = f.copy()
    f[5] = f[4]
    p = tmp_path / "a.csv"
    p.write_text(eis.three_column(f, z))
    with pytest.raises(DataError, match="repeated value") as info:
        read(p)
    assert info.value.line == 7  # header line + 1-based row 6
    assert info.value.path == str(p)


def test_non_monotonic_frequency_names_the_line(tmp_path, eis, spectrum):
    f, z = spectrum
    f = np.concatenate([f[:10], f[:10] / 3.0])  # two sweeps in one file
    p = tmp_path / "two_sweeps.txt"
    p.write_text(eis.neisys(f, eis.impedance(f)))
    with pytest.raises(DataError, match="not monotonic") as info:
        read(p)
    assert info.value.line == 3 + 11


def test_non_positive_frequency(tmp_path, eis, spectrum):
    f, z = spectrum
    f = f.copy()
    f[-1] = 0.0
    p = tmp_path / "a.csv"
    p.write_text(eis.three_column(f, z))
    with pytest.raises(DataError, match="not positive") as info:
        read(p)
    assert info.value.line == len(f) + 1


def test_read_100_points_is_fast(tmp_path, eis):
    f = np.logspace(6, -1, 100)
    p = tmp_path / "s1-140deg.txt"
    p.write_text(eis.neisys(f, eis.impedance(f)))
    read(p)
    best = min(_timed(read, p) for _ in range(5))
    assert best < 0.010, f"read took {best * 1e3:.1f} ms"


def _timed(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


# -- real files ------------------------------------------------------------------

@pytest.mark.reference_data
def test_reference_zplot_circuit1(reference_data):
    m = read(reference_data / "eis" / "Circuit1_EIS_1.z")
    assert m.meta["format"] == "zplot" and len(m) == 48
    # the file lists 5e4 Hz first; ascending, it is the last point
    assert m.x[-1] == 5e4 and m.x[0] == 1.0
    assert m.y[-1].real == pytest.approx(29.036, rel=1e-12)
    assert m.y[-1].imag == pytest.approx(0.63662, rel=1e-12)  # inductive: Z'' > 0, as stored
    assert np.median(m.y.imag) < 0  # the capacitive arc


@pytest.mark.reference_data
@pytest.mark.parametrize("name, n", [("Circuit1_EIS_2.z", 48), ("Circuit2_EIS_1.z", 56),
                                     ("Circuit2_EIS_2.z", 56), ("Circuit3_EIS_1.z", 53),
                                     ("Circuit3_EIS_2.z", 53)])
def test_reference_zplot_others(reference_data, name, n):
    m = read(reference_data / "eis" / name)
    assert len(m) == n and np.median(m.y.imag) < 0


@pytest.mark.reference_data
def test_reference_neisys_140deg(reference_data):
    m = read(reference_data / "eis" / "EISFitpython_Example-3-4" / "s04147-140deg.txt")
    assert m.meta["format"] == "neisys" and len(m) == 42
    assert m.x[-1] == 1e6
    assert m.y[-1] == pytest.approx(2.21423e4 - 5.43115e4j, rel=1e-12)
    assert m.x[0] == pytest.approx(0.03)
    assert m.sample == "s04147" and m.temperature_K == pytest.approx(413.15)
    assert m.meta["ac_volt_vrms"] == pytest.approx(0.035)


@pytest.mark.reference_data
def test_reference_neisys_series_temperatures(reference_data):
    folder = reference_data / "eis" / "EISFitpython_Example-3-4"
    temps = [read(p).temperature_K for p in sorted(folder.glob("s04147-*deg.txt"))]
    assert temps == pytest.approx([413.15, 423.15, 433.15, 443.15, 453.15, 463.15, 473.15])


@pytest.mark.reference_data
def test_reference_neisys_example2(reference_data):
    folder = reference_data / "eis" / "EISFitpython_Example-2"
    a = read(folder / "Example2a.txt")
    assert (a.sample, a.temperature_K) == ("s05751", pytest.approx(298.15))
    assert a.meta["diameter_mm"] == 13.0 and a.meta["thickness_mm"] == 0.75
    b = read(folder / "Example2b.txt")
    assert b.sample == "LAGP dynamicVT" and b.temperature_K is None
    assert b.meta["conditions_from"]["sample"] == "header"
    c = read(folder / "Example2c.txt")
    assert (c.sample, c.temperature_K) == ("s04147", pytest.approx(393.15))


@pytest.mark.reference_data
def test_reference_example_csv(reference_data):
    m = read(reference_data / "eis" / "exampleData.csv")
    assert m.meta["format"] == "impedance" and len(m) == 66
    assert m.meta["z_imag_stored"] == "physical"
    assert m.x[0] == pytest.approx(3.1623e-3) and m.x[-1] == pytest.approx(1e4)
    assert m.y[0] == pytest.approx(4.949989776405060160e-02 - 2.043869854441892481e-02j, rel=1e-12)
