"""Every failure is a StructkitError that names the file (and the line where it applies)."""

import pickle

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError, ReadError, StructkitError
from structkit.io import read, register_reader, unregister_reader


def _write(tmp_path, name, content):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    return p


def _raises(path, cls, match, line=None, **hints):
    with pytest.raises(cls, match=match) as info:
        read(path, **hints)
    assert info.value.path == str(path)
    assert info.value.line == line
    return info.value


def test_missing_file(tmp_path):
    _raises(tmp_path / "nope.xy", ReadError, "file not found")
    _raises(tmp_path / "nope.xy", ReadError, "file not found", format="zplot")


def test_folder(tmp_path):
    _raises(tmp_path, ReadError, "is a folder")


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \r\n"])
def test_empty_file(tmp_path, content):
    _raises(_write(tmp_path, "a.xy", content), ReadError, "empty")


@pytest.mark.parametrize("fmt", ["text", "impedance", "zplot", "gamry", "biologic", "neisys"])
def test_empty_file_forced_format(tmp_path, fmt):
    _raises(_write(tmp_path, "a.xy", b""), ReadError, "empty", format=fmt)


def test_no_numeric_rows(tmp_path):
    _raises(_write(tmp_path, "a.txt", "# only a header\nx y\n"), ReadError, "no numeric data rows")


def test_text_in_numeric_column(tmp_path):
    p = _write(tmp_path, "a.csv", "x,y\n1,2\n2,3\n3,three\n4,5\n5,6\n")
    _raises(p, ReadError, r"text 'three' in numeric column 2 \(y\)", line=4)


def test_text_in_first_rows(tmp_path):
    p = _write(tmp_path, "a.xy", "1 2\n2 3\nbad line\n4 5\n5 6\n6 7\n")
    _raises(p, ReadError, "text 'bad' in numeric column 1", line=3)


def test_broken_first_row_is_not_taken_for_a_header(tmp_path):
    p = _write(tmp_path, "a.csv", "x,y\n1,abc\n2,3\n3,4\n")
    _raises(p, ReadError, "text 'abc' in numeric column 2", line=2)


def test_broken_first_row_of_a_vendor_table(tmp_path):
    p = _write(tmp_path, "NBH_200deg.txt", "NBH\nFixed value(s)\nFreq.[Hz]\tZs'[ohm]\tZs''[ohm]\n"
                                           "1e6\tabc\t-1\n1e5\t2\t-3\n1e4\t3\t-4\n")
    _raises(p, ReadError, r"text 'abc' in numeric column 2 \(Zs'\[ohm\]\)", line=4)


def test_text_at_the_end_of_a_row_is_not_a_footer(tmp_path):
    p = _write(tmp_path, "a.xy", "1 2\n2 3\n3 4\n4 x\n")
    _raises(p, ReadError, "text 'x' in numeric column 2", line=4)


def test_ragged_rows(tmp_path):
    p = _write(tmp_path, "a.xy", "1 2\n2 3\n3 4\n4 5 6\n5 6\n")
    _raises(p, ReadError, "3 values where the other rows have 2", line=4)
    p = _write(tmp_path, "b.csv", "1,2\n2,3\n3,4\n4\n")
    _raises(p, ReadError, "1 values where the other rows have 2", line=4)


def test_empty_cell(tmp_path):
    p = _write(tmp_path, "a.csv", "1,2\n2,3\n3,,4\n4,5\n")
    _raises(p, ReadError, "empty value in column 2", line=3)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "1e999"])
def test_non_finite_rows_are_not_dropped(tmp_path, bad):
    p = _write(tmp_path, "a.xy", f"# x y\n1 2\n2 {bad}\n3 4\n")
    _raises(p, DataError, r"non-finite value .* column 2 \(y\).*never drops rows", line=3)


def test_non_finite_impedance_row(tmp_path):
    p = _write(tmp_path, "eis.csv", "f,Z',-Z''\n1e4,1,2\n1e3,nan,3\n1e2,3,2\n")
    _raises(p, DataError, r"non-finite value nan in column 2 \(Z'\)", line=3)


@pytest.mark.parametrize("content, match", [
    (bytes(range(256)) * 4, "binary content"),
    (b"1 2\n3 4\x00\n", "binary content"),
    (b"PK\x03\x04" + b"\x14\x00" * 40, "binary content"),
])
def test_binary_content(tmp_path, content, match):
    for name in ("a.xy", "a.z", "a.mpt", "a.dta"):
        _raises(_write(tmp_path, name, content), ReadError, match)


def test_control_character_names_the_line(tmp_path):
    p = _write(tmp_path, "a.xy", b"1 2\n2 3\n3 \x07 4\n")
    _raises(p, ReadError, "control character 0x07", line=3)


def test_undecodable(tmp_path):
    p = _write(tmp_path, "a.xy", b"1 2\n2 3\n\x81\x8d 4\n")
    _raises(p, ReadError, "undecodable byte 0x81", line=3)


def test_unknown_format(tmp_path):
    _raises(_write(tmp_path, "a.weird", "just words\nno numbers\n"), ReadError,
            "unknown format.*'.weird'.*pass format=")
    _raises(_write(tmp_path, "b.bin", bytes(range(1, 9)) * 10), ReadError, "unknown format")


def test_unknown_format_name(tmp_path):
    with pytest.raises(ConfigError, match="unknown format 'nosuchformat'; use one of: hdf5, zplot"):
        read(_write(tmp_path, "a.xy", "1 2\n"), format="nosuchformat")


def test_unknown_hint_is_a_type_error(tmp_path):
    p = _write(tmp_path, "a.xy", "1 2\n2 3\n")
    with pytest.raises(TypeError, match="'z_imag_sign' that the 'text' reader does not take"):
        read(p, z_imag_sign="physical")


def test_reader_bug_surfaces_as_read_error(tmp_path):
    def buggy(path):
        return [][1]

    register_reader("buggy-test", buggy, extensions=(".bug",))
    try:
        with pytest.raises(ReadError, match="failed unexpectedly .*IndexError.*bug in the reader") as info:
            read(_write(tmp_path, "a.bug", "x"))
        assert isinstance(info.value.__cause__, IndexError)
    finally:
        unregister_reader("buggy-test")


def test_reader_returning_the_wrong_type(tmp_path):
    register_reader("wrong-test", lambda path: np.zeros(3), extensions=(".wrg",))
    try:
        _raises(_write(tmp_path, "a.wrg", "x"), ReadError, "returned ndarray, not a Measurement")
    finally:
        unregister_reader("wrong-test")


def test_errors_pickle_with_path_and_line(tmp_path):
    p = _write(tmp_path, "a.csv", "x,y\n1,2\n2,3\n3,three\n4,5\n5,6\n")
    with pytest.raises(ReadError) as info:
        read(p)
    back = pickle.loads(pickle.dumps(info.value))
    assert (type(back), back.path, back.line, str(back)) == (ReadError, str(p), 4, str(info.value))


@pytest.mark.parametrize("text", [
    "EXPLAIN\n", "EXPLAIN\nZCURVE\tTABLE\n", "EXPLAIN\nZCURVE\tTABLE\n\tPt\tFreq\n",
    "EXPLAIN\nZCURVE\tTABLE\n\tPt\tFreq\tZreal\tZimag\n\t#\tHz\tohm\tohm\n",
    "EC-Lab ASCII FILE\nNb header lines : 99\n", "EC-Lab ASCII FILE\nNb header lines : x\n",
    "EC-Lab ASCII FILE\nNb header lines : 0\n1 2 3\n", "ZPLOT2 ASCII\n", "ZPLOT2 ASCII\nEnd Comments\n",
    "ZPLOT2 ASCII\nEnd Comments\n1 2 3\n4 5 6\n", "s1\nFreq.[Hz]\tZs'[ohm]\tZs''[ohm]\n",
    "s1\nFreq.[Hz]\tZs'[ohm]\tZs''[ohm]\n1\t2\n3\t4\n", "f,Z',-Z''\n-1,2,3\n-2,3,4\n",
])
def test_truncated_vendor_files(tmp_path, text):
    with pytest.raises(StructkitError) as info:
        read(_write(tmp_path, "a.dat", text))
    assert str(tmp_path) in str(info.value)
    assert "failed unexpectedly" not in str(info.value)
