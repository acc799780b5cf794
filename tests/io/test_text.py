"""The generic delimited-text reader (xy, xye, dat, txt, csv)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from structkit.core.errors import ConfigError, DataError, ReadError
from structkit.io import available_formats, read, register_reader, unregister_reader
from structkit.io._text import parse_table, split_label, split_lines

X = np.linspace(10.0, 80.0, 15)
Y = 100.0 + 50.0 * np.sin(X / 7.0)
S = np.sqrt(Y) / 10.0


def _rows(cols, delimiter=" ", comma=False):
    out = []
    for row in zip(*cols):
        cells = [f"{float(v):.17g}" for v in row]
        if comma:
            cells = [c.replace(".", ",") for c in cells]
        out.append(delimiter.join(cells))
    return out


def _write(tmp_path, name, lines, **kw):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", **kw)
    return p


@pytest.mark.parametrize("delimiter", [",", "\t", ";", " ", "   "])
def test_xy_delimiters(tmp_path, delimiter):
    p = _write(tmp_path, "a.xy", _rows([X, Y], delimiter))
    m = read(p)
    assert m.meta["format"] == "text"
    assert_allclose(m.x, X, rtol=1e-15)
    assert_allclose(m.y, Y, rtol=1e-15)
    assert m.sigma is None
    assert (m.x_name, m.y_name, m.x_unit) == ("x", "y", "")


@pytest.mark.parametrize("delimiter", ["\t", ";", " "])
def test_decimal_comma(tmp_path, delimiter):
    p = _write(tmp_path, "a.csv", _rows([X, Y], delimiter, comma=True))
    assert_allclose(read(p).y, Y, rtol=1e-15)


@pytest.mark.parametrize("comment", ["#", "!", ";", "%", "##"])
def test_comment_header_with_metadata(tmp_path, comment):
    head = [f"{comment} Li3PS4 glass, lab Cu Ka", f"{comment} wavelength = 1.5406",
            f"{comment} operator: A. N. Other", f"{comment}temperature=25 C",
            f"{comment} two_theta (deg)  intensity (counts)"]
    p = _write(tmp_path, "pattern.xy", head + _rows([X, Y]))
    m = read(p)
    assert m.meta["wavelength"] == 1.5406
    assert m.meta["operator"] == "A. N. Other"
    assert m.meta["comments"] == ["Li3PS4 glass, lab Cu Ka"]
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit) == ("two_theta", "deg", "intensity", "counts")
    assert m.temperature_K == pytest.approx(298.15)
    assert m.meta["conditions_from"]["temperature_K"] == "header"


def test_uncommented_header_and_csv_names(tmp_path):
    p = _write(tmp_path, "a.csv", ["sample: NTC-6h", "r [A],G [A^-2],dG"] + _rows([X, Y, S], ","))
    m = read(p)
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit) == ("r", "A", "G", "A^-2")
    assert_allclose(m.sigma, S, rtol=1e-15)
    assert m.sample == "NTC-6h"
    assert m.meta["columns"] == ["r [A]", "G [A^-2]", "dG"]


def test_xye_without_header(tmp_path):
    m = read(_write(tmp_path, "a.xye", _rows([X, Y, S])))
    assert_allclose(m.sigma, S, rtol=1e-15)


def test_three_named_columns_not_an_uncertainty(tmp_path):
    p = _write(tmp_path, "fe.dat", ["# Energy I0 It"] + _rows([X, Y, Y]))
    with pytest.raises(ReadError, match="third is not named like an uncertainty"):
        read(p)
    m = read(p, columns=("Energy", "It"))
    assert m.y_name == "It" and m.sigma is None


def test_columns_hint(tmp_path):
    p = _write(tmp_path, "a.dat", ["# r G(r) dr dG(r)"] + _rows([X, Y, 0 * S, S]))
    with pytest.raises(ReadError, match="4 numeric columns .*columns=") as info:
        read(p)
    assert info.value.line == 2
    m = read(p, columns=(0, 1, 3))
    assert (m.x_name, m.y_name) == ("r", "G(r)")
    assert_allclose(m.sigma, S, rtol=1e-15)
    assert read(p, columns=("r", "G(r)", "dG(r)")).sigma is not None
    with pytest.raises(ConfigError, match="no column named 'q'"):
        read(p, columns=("q", "G(r)"))
    with pytest.raises(ConfigError, match="index 7 is out of range"):
        read(p, columns=(0, 7))
    with pytest.raises(ConfigError, match="give 2 or 3"):
        read(p, columns=(0,))


def test_axis_hints_win(tmp_path):
    p = _write(tmp_path, "a.xy", ["# two_theta (deg) intensity"] + _rows([X, Y]))
    m = read(p, x_name="q", x_unit="1/A", y_unit="a.u.", technique="xrd")
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit, m.technique) == ("q", "1/A", "intensity",
                                                                      "a.u.", "xrd")


def test_descending_x_is_reversed(tmp_path):
    m = read(_write(tmp_path, "a.xy", _rows([X[::-1], Y[::-1]])))
    assert_allclose(m.x, X)
    assert_allclose(m.y, Y)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings(tmp_path, encoding):
    p = _write(tmp_path, "a.txt", ["# T = 25 °C", "# x (µm) y"] + _rows([X, Y]), encoding=encoding)
    m = read(p)
    assert m.x_unit == "µm" and m.temperature_K == pytest.approx(298.15)


def test_crlf_and_cr_line_ends(tmp_path):
    for newline in ("\r\n", "\r"):
        p = tmp_path / "a.xy"
        p.write_bytes(newline.join(["# x y"] + _rows([X, Y])).encode())
        assert len(read(p)) == X.size


def test_spec_style_labels_after_a_long_header(tmp_path):
    head = ["History written: today", "##### Setup", "title=Ni at 300K", "  0  1  0  1  3  0.0  35.0",
            "#L symbol valence", "  Ni  0.00", "##### Bank table", "1 90.0 1.62 29.42",
            "2 -90.0 1.62 29.42", "3 119.0 1.97 35.85", "#### start data", "#S 1",
            "#L r    G(r)    d_r    d_Gr"]
    p = _write(tmp_path, "ni.gr", head + _rows([X, Y, 0 * S, S]))
    m = read(p, columns=("r", "G(r)", "d_Gr"))
    assert len(m) == X.size and m.y_name == "G(r)"
    assert m.meta["title"] == "Ni at 300K"


def test_footer_text_after_the_data_is_kept(tmp_path):
    p = _write(tmp_path, "LS4.txt", ["XYDATA"] + _rows([X, Y], "\t") +
               ["", "##### Extended Information", "[Comments]", "Laser power\t45.5 mW"])
    m = read(p)
    assert len(m) == X.size
    assert m.meta["footer"] == ["[Comments]", "Laser power\t45.5 mW"]


def test_isolated_numbers_in_the_header_are_not_data(tmp_path):
    p = _write(tmp_path, "a.chi", ["Fit2D pattern", "2-Theta Angle (Degrees)", "Intensity",
                                   f"      {X.size}"] + _rows([X, Y]))
    assert len(read(p)) == X.size


def test_parse_table_line_numbers_skip_comments_and_blanks():
    t = parse_table(split_lines("# a = 1\n\n1 2\n# mid\n\n3 4\n"))
    assert t.lines.tolist() == [3, 6]
    assert t.meta == {"a": 1.0}


@pytest.mark.parametrize("label, expected", [
    ("two_theta (deg)", ("two_theta", "deg")), ("r [A]", ("r", "A")), ("Freq(Hz)", ("Freq", "Hz")),
    ("Re(Z)/Ohm", ("Re(Z)", "Ohm")), ("G(r)", ("G(r)", "")), ("Zs''[ohm]", ("Zs''", "ohm")),
    ("energy", ("energy", "")), ("Freq. [Hz]", ("Freq.", "Hz")),
])
def test_split_label(label, expected):
    assert split_label(label) == expected


def test_register_reader_and_force_it(tmp_path):
    from structkit.core.measurement import Measurement

    def read_abc(path, *, scale=1.0):
        return Measurement(np.arange(3.0), scale * np.ones(3), source=str(path))

    register_reader("abc-test", read_abc, extensions=("abc",), sniff=lambda head: head.startswith(b"ABC"))
    try:
        assert "abc-test" in available_formats()
        p = tmp_path / "x.abc"
        p.write_bytes(b"\x01binary")
        assert read(p, scale=2.0).y.tolist() == [2.0, 2.0, 2.0]  # by extension
        q = tmp_path / "x.txt"
        q.write_text("ABC\n1 2\n3 4\n")
        assert read(q).meta["format"] == "abc-test"  # content first
        with pytest.raises(ConfigError, match="already registered"):
            register_reader("abc-test", read_abc)
    finally:
        unregister_reader("abc-test")
    assert "abc-test" not in available_formats()


def test_available_formats_order():
    names = list(available_formats())
    assert names[0] == "hdf5" and names[-2:] == ["impedance", "text"]
    assert set(names) >= {"zplot", "gamry", "biologic", "neisys"}


@pytest.mark.reference_data
def test_reference_pdf_gr_with_columns(reference_data):
    m = read(reference_data / "pdf" / "ni" / "Ni-xray.gr", columns=("r", "G(r)", "d_Gr"))
    assert m.x[0] == pytest.approx(0.01) and np.all(np.diff(m.x) > 0)
    assert m.meta["title"].startswith("Ni at 300K")
    # "temperature=300.000  containermut=..." has no unit: not guessed, but noted (the pdf reader parses the line)
    assert m.temperature_K is None
    assert "'temperature' = '300.000' has no unit" in m.meta["conditions_note"]


@pytest.mark.reference_data
def test_reference_raman_jasco_with_footer(reference_data):
    m = read(reference_data / "raman" / "LS4.txt")
    assert len(m) == 3988  # all data rows, the first one included
    assert m.x[0] == pytest.approx(580.0, abs=0.5)
    assert "[Comments]" in m.meta["footer"]


@pytest.mark.reference_data
def test_reference_xas_header_temperature(reference_data):
    m = read(reference_data / "xas" / "cu_10k.xmu")
    assert m.temperature_K == pytest.approx(10.0)
    assert (m.x_name, m.y_name) == ("energy", "mu")


def test_data_error_for_negative_sigma(tmp_path):
    p = _write(tmp_path, "a.xye", _rows([X, Y, -S]))
    with pytest.raises(DataError, match="sigma has negative values"):
        read(p)


def test_windows_1252_file_with_an_unknown_extension_is_sniffed(tmp_path):
    p = _write(tmp_path, "spectrum.asc", ["# T = 25 °C", "# x y"] + _rows([X, Y]), encoding="cp1252")
    assert read(p).meta["format"] == "text"


def test_measurements_pickle(tmp_path):
    import pickle

    p = _write(tmp_path, "s1_25C.xy", ["# wavelength = 1.5406", "# two_theta (deg) I"] + _rows([X, Y]))
    m = read(p)
    back = pickle.loads(pickle.dumps(m))
    assert back.sample == "s1" and back.temperature_K == m.temperature_K
    assert back.meta["conditions_from"] == m.meta["conditions_from"]
    assert np.array_equal(back.x, m.x)
