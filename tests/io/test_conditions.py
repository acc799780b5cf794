"""Sample and conditions: file name < header < sidecar CSV < hints, and where each came from."""

import pytest

from structkit.core.errors import DataError, ReadError
from structkit.io import conditions_from_filename, read, read_conditions_sidecar
from structkit.io._conditions import conditions_from_header


@pytest.mark.parametrize("name, sample, t_k", [
    ("s04147-140deg.txt", "s04147", 413.15),
    ("s04147-140deg", "s04147", 413.15),
    ("300K.gr", "", 300.0),
    ("LLZO_25C.csv", "LLZO", 298.15),
    ("LLZO_25degC.csv", "LLZO", 298.15),
    ("LLZO_m50C.csv", "LLZO", 223.15),
    ("LLZO_-50C.csv", "LLZO", 223.15),
    ("-140deg.txt", "", 133.15),
    ("NTC 6h 25.5C.xy", "NTC 6h", 298.65),
    ("NTC_25p5C.xy", "NTC", 298.65),
    ("In20_2p5_540K__tt_cr.txt", "In20_2p5_tt_cr", 540.0),
    ("H2O_293K_5A.hdf", "H2O_5A", 293.0),
    ("NTC_RT.xy", "NTC", 298.15),
    ("/some/folder/s1_300K_run2.dat", "s1_run2", 300.0),
])
def test_filename_temperature(name, sample, t_k):
    s, conds = conditions_from_filename(name)
    assert s == sample
    assert conds["temperature_K"] == pytest.approx(t_k, abs=1e-9)


@pytest.mark.parametrize("name", ["Example2b.txt", "cu_10k.xmu", "Circuit1_EIS_1.z", "x_25c.xy",
                                  "T300K.xy", "LLZO300C.xy", "data_2lorentzians.dat", "fe.060"])
def test_filename_without_temperature(name):
    sample, conds = conditions_from_filename(name)
    assert conds == {}
    assert sample == name.rsplit(".", 1)[0] or sample == name


def test_filename_two_temperatures_is_not_guessed():
    with pytest.raises(DataError, match="2 temperature tokens"):
        conditions_from_filename("LLZO_600C_25C.csv")


def test_filename_below_absolute_zero():
    with pytest.raises(DataError, match="absolute zero"):
        conditions_from_filename("x_-300C.csv")


@pytest.mark.parametrize("meta, t_k", [
    ({"temperature": "25 C"}, 298.15), ({"Temperature": "298.15 K"}, 298.15),
    ({"T": "-140deg"}, 133.15), ({"temperature_K": 300.0}, 300.0), ({"temperature_C": 25.0}, 298.15),
    ({"Temperature (C)": 25.0}, 298.15), ({"temp": 25.0, "temp_unit": "C"}, 298.15),
    ({"temperature": "25°C"}, 298.15), ({"temperature": "RT"}, 298.15),
    ({"temperature": "25,5 C"}, 298.65),
])
def test_header_temperature(meta, t_k):
    sample, conds, problems = conditions_from_header(meta)
    assert problems == {}
    assert conds["temperature_K"] == pytest.approx(t_k)


@pytest.mark.parametrize("value", [25.0, "25", "room", "300 furlongs"])
def test_header_temperature_without_a_unit_is_not_guessed(value):
    _, conds, problems = conditions_from_header({"temperature": value})
    assert conds == {} and "temperature_K" in problems


def test_header_unitless_temperature_is_noted_and_a_hint_fills_it(tmp_path):
    p = tmp_path / "a_25C.xy"
    p.write_text("# temperature = 300\n1 2\n2 3\n")
    m = read(p)
    # the header value is unusable without a unit: the file name supplies it, and a note says why
    assert m.temperature_K == pytest.approx(298.15)
    assert m.meta["conditions_from"]["temperature_K"] == "filename"
    assert "has no unit" in m.meta["conditions_note"]
    assert read(p, temperature_K=300).temperature_K == 300.0


def _sidecar(folder, text, name="conditions.csv"):
    p = folder / name
    p.write_text(text)
    return p


def _data(folder, name, header=""):
    p = folder / name
    p.write_text(header + "1 2\n2 3\n3 5\n")
    return p


def test_precedence_filename_header_sidecar_hint(tmp_path):
    p = _data(tmp_path, "NTC_25C.xy", "# sample = NTC-header\n# temperature = 30 C\n")
    m = read(p, sidecar=False)
    assert (m.sample, m.temperature_K) == ("NTC-header", pytest.approx(303.15))
    assert m.meta["conditions_from"] == {"sample": "header", "temperature_K": "header"}

    _sidecar(tmp_path, "file,sample,temperature_C,milling_time_h\nNTC_25C.xy,NTC-6h,40,6\n")
    m = read(p)
    assert (m.sample, m.temperature_K) == ("NTC-6h", pytest.approx(313.15))
    assert m.conditions["milling_time_h"] == 6.0
    assert m.meta["conditions_from"] == {"sample": "sidecar", "temperature_K": "sidecar",
                                         "milling_time_h": "sidecar"}
    assert m.meta["conditions_sidecar"] == str(tmp_path / "conditions.csv")

    m = read(p, sample="hinted", temperature_K=350.0, conditions={"milling_time_h": 12.0,
                                                                  "pressure_MPa": 300.0})
    assert (m.sample, m.temperature_K) == ("hinted", 350.0)
    assert dict(m.conditions) == {"temperature_K": 350.0, "milling_time_h": 12.0, "pressure_MPa": 300.0}
    assert set(m.meta["conditions_from"].values()) == {"hint"}

    assert read(p, sidecar=False).sample == "NTC-header"


def test_filename_only(tmp_path):
    m = read(_data(tmp_path, "s04147-140deg.xy"))
    assert (m.sample, m.temperature_K) == ("s04147", pytest.approx(413.15))
    assert m.meta["conditions_from"] == {"sample": "filename", "temperature_K": "filename"}


def test_ambiguous_filename_is_noted(tmp_path):
    m = read(_data(tmp_path, "LLZO_600C_25C.xy"))
    assert m.temperature_K is None and m.sample == "LLZO_600C_25C"
    assert "2 temperature tokens" in m.meta["conditions_note"]


def test_sidecar_names_and_matching(tmp_path):
    sub = tmp_path / "run1"
    sub.mkdir()
    a = _data(sub, "a.xy")
    b = _data(sub, "b.xy")
    _sidecar(sub, "file;sample;temperature_K;batch\na;A-sample;400;first\nrun1/b.xy;B;410;\n",
             name="structkit_conditions.csv")
    _sidecar(sub, "file,sample\na.xy,ignored\n")  # structkit_conditions.csv wins
    ma, mb = read(a), read(b)
    assert (ma.sample, ma.temperature_K, ma.conditions["batch"]) == ("A-sample", 400.0, "first")
    assert (mb.sample, mb.temperature_K) == ("B", 410.0)
    assert "batch" not in mb.conditions  # empty cell


def test_explicit_sidecar_must_list_the_file(tmp_path):
    p = _data(tmp_path, "a.xy")
    other = tmp_path / "elsewhere"
    other.mkdir()
    sc = _sidecar(other, "file,sample\nz.xy,Z\n", name="my.csv")
    with pytest.raises(ReadError, match="no row for 'a.xy'"):
        read(p, sidecar=sc)
    _sidecar(tmp_path, "file,sample\nz.xy,Z\n")  # auto-discovered and not listing it: fine
    assert read(p).sample == "a"


@pytest.mark.parametrize("text, match, line", [
    ("sample,temperature_K\nA,300\n", "no 'file' column", 1),
    ("file,sample\na.xy,A\na.xy,B\n", "listed twice", 3),
    ("file,sample\na.xy,A,extra\n", "3 cells where the header has 2", 2),
    ("file,temperature_C\na.xy,warm\n", "not a number", 2),
    ("file,temperature_C\na.xy,-300\n", "absolute zero", 2),
    ("file,milling_time_h\na.xy,nan\n", "finite number", 2),
    ("file,sample\n,A\n", "empty 'file' cell", 2),
])
def test_sidecar_errors(tmp_path, text, match, line):
    sc = _sidecar(tmp_path, text)
    with pytest.raises(ReadError, match=match) as info:
        read_conditions_sidecar(sc)
    assert info.value.line == line and info.value.path == str(sc)


def test_sidecar_empty(tmp_path):
    with pytest.raises(ReadError, match="empty"):
        read_conditions_sidecar(_sidecar(tmp_path, ""))


def test_sidecar_reads_back(tmp_path):
    sc = _sidecar(tmp_path, "\ufefffile,sample,temperature_C,temperature_K,note\n"
                            "a.xy,A,25,,ok\nb.xy,B,25,300,\n")
    table = read_conditions_sidecar(sc)
    assert table == {"a.xy": {"sample": "A", "temperature_K": 298.15, "note": "ok"},
                     "b.xy": {"sample": "B", "temperature_K": 300.0}}
