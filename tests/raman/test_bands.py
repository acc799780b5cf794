"""Assignment tables: every shipped table is consistent, tables turn into fit starts, user tables and their
schema errors."""

import inspect
import os
import shutil
import sys
from pathlib import Path

import pytest

from structkit.core.errors import ConfigError, FitError
from structkit.raman import BandTable, available_band_tables, load_bands
from structkit.raman.bands import band_table_dirs

SHIPPED = {"NaTaCl6", "TaCl5", "Ta-O-Ta", "Na23_NTOC", "Li2Si4O9_glass"}
SHIPPED_DIR = band_table_dirs()[-1]


def test_shipped_tables_are_listed():
    tables = available_band_tables()
    assert SHIPPED <= set(tables)
    assert all(tables[name] for name in SHIPPED)                        # every one has a title
    assert SHIPPED_DIR.name == "bands" and SHIPPED_DIR.is_dir()


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_table_is_consistent(name):
    t = load_bands(name)
    assert isinstance(t, BandTable) and t.name == name
    assert Path(t.path) == SHIPPED_DIR / f"{name}.toml"
    assert t.technique in ("raman", "nmr")
    assert t.x_unit == {"raman": "cm-1", "nmr": "ppm"}[t.technique]
    names = [b.name for b in t.bands]
    assert len(names) == len(set(names)) and names
    for b in t.bands:
        assert b.range[0] < b.range[1] and b.range[0] <= b.center <= b.range[1], b
        assert 0 < b.fwhm_range[0] <= b.fwhm <= b.fwhm_range[1], b
        keys = [k.strip() for k in b.reference.split(";") if k.strip()]
        assert keys, f"{name}:{b.name} cites nothing"
        for k in keys:
            assert t.references.get(k), (name, b.name, k)
        assert b.assignment
    for r in t.ratios:
        assert r.numerator in names and r.denominator in names and r.quantity in ("area", "height")
    frame = t.to_frame()
    assert list(frame["band"]) == names and frame["reference"].str.len().min() > 0
    if t.technique == "nmr":                                            # what phase_fractions and mole_ratio need
        for b in t.bands:
            assert float(b.extra["na_per_formula"]) > 0, b
            assert isinstance(b.extra["phase"], str) and b.extra["phase"], b


def test_name_lookup_ignores_case_and_a_table_passes_through():
    t = load_bands("natacl6")
    assert t.name == "NaTaCl6"
    assert load_bands(t) is t


def test_unknown_table_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="no band table 'Quartz'; shipped tables: .*NaTaCl6"):
        load_bands("Quartz")


# ---------------------------------------------------------------------------------------------- peak specs
def test_peak_specs_drop_optional_bands_outside_the_data_and_clip_ranges():
    t = load_bands("NaTaCl6")
    specs = t.peak_specs(x_range=(160, 600))
    assert [s.name for s in specs] == ["T2g_ip_bend", "TaCl_eq_stretch", "A1g_axial_stretch"]   # oop (optional) gone
    by = {s.name: s for s in specs}
    assert tuple(by["T2g_ip_bend"].center_range) == (160, 200)           # 150-200 clipped to the data
    assert tuple(by["A1g_axial_stretch"].center_range) == (395, 420)
    assert tuple(by["A1g_axial_stretch"].fwhm_range) == (3, 60) and by["A1g_axial_stretch"].fwhm == 10
    assert all(s.shape == "pvoigt" for s in specs)
    assert {s.shape for s in t.peak_specs(x_range=(100, 600), shape="gaussian")} == {"gaussian"}
    assert len(t.peak_specs()) == 4                                      # no range: every band


def test_peak_specs_raise_for_a_required_band_outside_the_data():
    t = load_bands("NaTaCl6")
    with pytest.raises(FitError, match="band 'T2g_ip_bend' of table 'NaTaCl6' .* is outside the data"):
        t.peak_specs(x_range=(300, 500))
    # selected down to bands the spectrum covers, it works
    assert [s.name for s in t.select(["TaCl_eq_stretch", "A1g_axial_stretch"]).peak_specs(x_range=(300, 500))] \
        == ["TaCl_eq_stretch", "A1g_axial_stretch"]
    # a table of optional bands none of which is in the data
    with pytest.raises(FitError, match="no band of table 'Ta-O-Ta' lies in the data range"):
        load_bands("Ta-O-Ta").peak_specs(x_range=(100, 600))


def test_peak_specs_scale_converts_units():
    nu = 132.294
    specs = load_bands("Na23_NTOC").peak_specs(x_range=(-80 * nu, 100 * nu), scale=nu)
    ntoc = specs[0]
    assert ntoc.name == "NTOC" and ntoc.center == pytest.approx(-11.18 * nu)
    assert ntoc.center_range == pytest.approx((-12.0 * nu, -10.0 * nu))
    assert ntoc.fwhm == pytest.approx(2.87 * nu)                          # 380 Hz, seed 003's width


def test_select_keeps_ratios_of_selected_bands_only():
    t = load_bands("NaTaCl6")
    both = t.select(["TaCl_eq_stretch", "A1g_axial_stretch"])
    assert {r.name for r in both.ratios} == {"axial_over_equatorial_height", "axial_over_equatorial_area"}
    assert t.select(["A1g_axial_stretch"]).ratios == ()


# ----------------------------------------------------------------------------------------------- user tables
TABLE = """\
name = "{name}"
title = "{title}"
technique = "raman"
x_unit = "cm-1"

[references]
me = "A. Author, J. Test 1, 1 (2025)"

[[band]]
name = "a"
center = 400.0
range = [390.0, 410.0]
fwhm = 10.0
fwhm_range = [2.0, 30.0]
reference = "me"

[[band]]
name = "b"
center = 500.0
range = [480.0, 520.0]
fwhm = 20.0
fwhm_range = [5.0, 50.0]
reference = "me"
optional = true

[[ratio]]
name = "a_over_b"
numerator = "a"
denominator = "b"
"""


def _write(folder: Path, stem: str, name=None, title="a test table", text=None) -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(text if text is not None else TABLE.format(name=name or stem, title=title))
    return path


def test_table_given_by_path(tmp_path):
    p = _write(tmp_path, "mine")
    for given in (p, str(p)):
        t = load_bands(given)
        assert t.name == "mine" and t.path == str(p)
        assert [b.name for b in t.bands] == ["a", "b"] and t["b"].optional
        assert t.ratios[0].quantity == "area"                            # the default
    copy = shutil.copy(SHIPPED_DIR / "TaCl5.toml", tmp_path / "copy.toml")
    assert load_bands(copy).name == "TaCl5" and load_bands(copy).path == str(copy)


def test_bands_path_adds_a_folder(tmp_path, monkeypatch):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    _write(first, "userA")
    _write(second, "userB")
    _write(second, "NaTaCl6", title="my own NaTaCl6")                  # same name as a shipped table
    monkeypatch.setenv("STRUCTKIT_BANDS_PATH", f"{first}{os.pathsep}{second}")
    assert band_table_dirs()[:2] == [first, second]
    tables = available_band_tables()
    assert {"userA", "userB"} <= set(tables) and SHIPPED <= set(tables)
    assert load_bands("userB").path == str(second / "userB.toml")
    assert load_bands("usera").name == "userA"                           # case-insensitive, as for shipped ones
    # folders on the path come before the shipped one
    assert tables["NaTaCl6"] == "my own NaTaCl6" and load_bands("NaTaCl6").title == "my own NaTaCl6"
    monkeypatch.delenv("STRUCTKIT_BANDS_PATH")
    assert "userA" not in available_band_tables() and load_bands("NaTaCl6").title.startswith("TaCl6-")


def test_table_whose_file_stem_differs_from_its_name(tmp_path, monkeypatch):
    _write(tmp_path, "my_file", name="MyTable")
    monkeypatch.setenv("STRUCTKIT_BANDS_PATH", str(tmp_path))
    assert "MyTable" in available_band_tables()
    limit = sys.getrecursionlimit()                  # fail fast: every level re-reads the table folders
    sys.setrecursionlimit(len(inspect.stack()) + 100)
    try:
        table = load_bands("MyTable")
    finally:
        sys.setrecursionlimit(limit)
    assert table.name == "MyTable"


# ------------------------------------------------------------------------------------------------- errors
def _bad(replace_from, replace_to):
    text = TABLE.format(name="bad", title="t")
    assert replace_from in text
    return text.replace(replace_from, replace_to, 1)


SCHEMA_ERRORS = {
    "center_outside_range": (_bad("center = 400.0", "center = 420.0"), r"band 1 \(a\): center 420 outside range"),
    "duplicate_band": (_bad('name = "b"', 'name = "a"'), r"band 2: band 'a' appears twice"),
    "bad_band_name": (_bad('name = "a"\ncenter', 'name = "A1g-axial"\ncenter'),
                      r"name 'A1g-axial' must be letters, digits and underscores"),
    "name_starting_with_digit": (_bad('name = "a"\ncenter', 'name = "1a"\ncenter'), r"name '1a' must be"),
    "ratio_unknown_band": (_bad('denominator = "b"', 'denominator = "c"'), r"ratio 'a_over_b' names band 'c'"),
    "ratio_bad_quantity": (_bad('denominator = "b"', 'denominator = "b"\nquantity = "fwhm"'),
                           r"quantity 'fwhm'; use area or height"),
    "fwhm_outside_range": (_bad("fwhm = 10.0", "fwhm = 40.0"), r"fwhm 40 outside fwhm_range"),
    "empty_range": (_bad("range = [390.0, 410.0]", "range = [410.0, 390.0]"), r"range \[410, 390\] is empty"),
    "range_not_a_pair": (_bad("range = [390.0, 410.0]", "range = 400"), r"range must be \[low, high\]"),
    "center_not_a_number": (_bad("center = 400.0", 'center = "near 400"'), r"center and fwhm must be numbers"),
    "unknown_reference": (_bad('reference = "me"', 'reference = "me; you"'), r"reference 'you' is not in"),
    "missing_technique": (_bad('technique = "raman"\n', ""), r"missing top-level key 'technique'"),
    "no_bands": ('name = "bad"\ntechnique = "raman"\nx_unit = "cm-1"\n', r"no \[\[band\]\] entries"),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_ERRORS))
def test_schema_errors_name_the_file(tmp_path, case):
    text, match = SCHEMA_ERRORS[case]
    p = _write(tmp_path, "bad", text=text)
    with pytest.raises(ConfigError, match=match) as info:
        load_bands(p)
    assert str(p) in str(info.value)


def test_malformed_toml_names_the_file(tmp_path, monkeypatch):
    p = _write(tmp_path, "broken", text='name = "broken"\n[[band]\nname = "a"\n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_bands(p)
    assert info.value.path == str(p) and str(info.value).startswith(str(p))
    # on the search path a broken file is skipped by the listing, and named when asked for
    monkeypatch.setenv("STRUCTKIT_BANDS_PATH", str(tmp_path))
    assert "broken" not in available_band_tables() and SHIPPED <= set(available_band_tables())
    with pytest.raises(ConfigError, match="broken.toml: not valid TOML"):
        load_bands("broken")
