"""XAS readers: XDI, XDAC, energy/mu columns, Athena projects, HDF5 energy/mu.

Oracles: larch's own readers on the real reference files (read_xdi, read_ascii),
and synthetic files written from known channel values (μ formed from them
must come back to rounding).
"""

import gzip

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError, ReadError, StructkitError
from structkit.io import (
    available_formats,
    read,
    read_athena_project,
    read_xas_columns,
)
from structkit.io._xas import (
    HC_EV_ANGSTROM,
    sniff_athena,
    sniff_xas_columns,
    sniff_xdac,
    sniff_xdi,
)

XDI_FILES = {  # file: (element, edge, d-spacing, sample, formed from i0/itrans?)
    "cu_metal_rt.xdi": ("Cu", "K", 3.13553, "Cu", False),
    "ni_metal_rt.xdi": ("Ni", "K", 3.13555, "Ni metal foil", False),
    "pt_metal_rt.xdi": ("Pt", "L3", 3.13555, "Pt metal foil", True),
}

# -- a synthetic beamline scan with known channels ------------------------------------------------

E = np.round(np.r_[np.arange(8800.0, 8950.0, 10.0), np.arange(8950.0, 9030.0, 0.5),
                   np.arange(9030.0, 9400.0, 4.0)], 6)
MU_T = 0.4 + 1.1 * (0.5 + np.arctan((E - 8979.0) / 1.5) / np.pi)           # sample, transmission
MU_REF = 0.2 + 0.9 * (0.5 + np.arctan((E - 8980.2) / 1.5) / np.pi)          # foil
I0 = 1.0e5 * (1.0 + 0.1 * np.cos(E / 50.0))
IT = I0 * np.exp(-MU_T)
IR = IT * np.exp(-MU_REF)
MU_F = 0.02 + 0.3 * (0.5 + np.arctan((E - 8979.0) / 1.5) / np.pi)
IF = I0 * MU_F


def _num(v):
    return f"{v:.17g}"


def _xdi_text(columns, *, cols=None, fields=None, comments=("synthetic scan",), labels=True):
    """XDI text: ``columns`` = {name or 'name unit': values}."""
    names = list(columns)
    head = ["# XDI/1.0 structkit-test/1.0"]
    for j, n in enumerate(names):
        head.append(f"# Column.{j + 1}: {n}")
    for k, v in (fields or {"Element.symbol": "Cu", "Element.edge": "K", "Mono.d_spacing": "3.13553"}).items():
        head.append(f"# {k}: {v}")
    head.append("# ///")
    head += [f"# {c}" for c in comments]
    head.append("#----")
    if labels:
        head.append("# " + " ".join(n.split()[0] for n in names))
    arrays = list(columns.values())
    rows = [" ".join(_num(a[i]) for a in arrays) for i in range(len(arrays[0]))]
    return "\n".join(head + rows) + "\n"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# -- real files against larch ------------------------------------------------------------------------

@pytest.mark.reference_data
@pytest.mark.parametrize("name", sorted(XDI_FILES))
def test_xdi_reference_files_match_larch(reference_data, name):
    from larch.io import read_xdi as larch_read_xdi

    path = reference_data / "xas" / name
    m = read(path)
    g = larch_read_xdi(str(path))
    element, edge, dspacing, sample, formed = XDI_FILES[name]
    assert m.meta["format"] == "xdi" and m.technique == "xas" and m.x_label == "energy (eV)"
    assert m.y_name == "mu" and m.meta["mode"] == "transmission"
    # larch forms mutrans = -ln(itrans/(i0 + 1e-12)) when the file has no mutrans column
    assert np.max(np.abs(m.x - g.energy)) <= 1e-12
    assert np.max(np.abs(m.y - g.mutrans)) <= 1e-12
    assert m.meta["element"] == element == g.element
    assert m.meta["edge"] == edge      # larch reads Element.edge only: '' for cu_metal_rt (Scan.edge: K)
    assert m.meta["mono_d_spacing_angstrom"] == dspacing == float(g.dspacing)
    assert m.sample == sample
    assert ("itrans" in m.meta["channels"]) is formed
    assert m.meta["header"]["Mono.name"] == "Si 111"
    assert "mu_ref" not in m.meta


@pytest.mark.reference_data
def test_xdac_fe060_matches_larch_read_ascii(reference_data):
    from larch.io import read_ascii

    path = reference_data / "xas" / "fe.060"
    m = read(path)
    g = read_ascii(str(path))
    assert m.meta["format"] == "xdac" and m.meta["mode"] == "transmission"
    assert m.meta["channels"] == {"i0": "I0", "itrans": "It"}
    assert m.meta["edge_energy_eV"] == 7112.0
    assert len(m) == 511
    assert np.max(np.abs(m.x - g.energy)) <= 1e-12
    assert np.max(np.abs(m.y - np.log(g.i0 / g.it))) <= 1e-12


@pytest.mark.reference_data
@pytest.mark.parametrize("name,temperature", [("cu_10k.xmu", 10.0), ("cu_50k.xmu", 50.0),
                                              ("cu_150k.xmu", 150.0)])
def test_xmu_two_columns_match_larch(reference_data, name, temperature):
    from larch.io import read_ascii

    path = reference_data / "xas" / name
    m = read(path)
    g = read_ascii(str(path))
    assert m.meta["format"] == "xas" and m.meta["mode"] == "mu"
    assert_array_equal(m.x, g.energy)
    assert_array_equal(m.y, g.mu)
    assert (m.meta["element"], m.meta["edge"]) == ("Cu", "K")          # UWXAFS #%atom / #%edge
    assert m.temperature_K == temperature                              # #%temp: 10K


# -- XDI: channels, modes, units -------------------------------------------------------------------

def test_xdi_forms_transmission_fluorescence_and_reference(tmp_path):
    p = _write(tmp_path, "scan.xdi", _xdi_text({"energy eV": E, "i0": I0, "itrans": IT, "ifluor": IF,
                                                 "irefer": IR}))
    with pytest.raises(ReadError, match="both transmission .* and fluorescence .*mode="):
        read(p)
    t = read(p, mode="transmission")
    f = read(p, mode="fluorescence")
    assert_allclose(t.y, MU_T, rtol=0, atol=1e-12)
    assert_allclose(f.y, MU_F, rtol=0, atol=1e-12)
    assert (t.meta["mode"], f.meta["mode"]) == ("transmission", "fluorescence")
    for m in (t, f):   # the foil channel is ln(itrans/irefer) whatever the sample mode
        ref = m.meta["mu_ref"]
        assert_allclose(ref, MU_REF, rtol=0, atol=1e-12)
        assert ref.shape == m.x.shape and not ref.flags.writeable
    assert "mu_ref" not in read(p, mode="transmission", irefer=False).meta
    # channel hints pick the channels and imply the mode
    assert_allclose(read(p, i0="i0", itrans=2).y, MU_T, atol=1e-12)
    assert read(p, ifluor="ifluor").meta["mode"] == "fluorescence"


def test_xdi_mu_column_preferred_and_hints(tmp_path):
    p = _write(tmp_path, "mu.xdi", _xdi_text({"energy eV": E, "mutrans": MU_T + 1.0, "i0": I0, "itrans": IT}))
    m = read(p)
    assert m.meta["channels"] == {"mu": "mutrans"}
    assert_allclose(m.y, MU_T + 1.0, atol=1e-12)
    assert_allclose(read(p, itrans="itrans").y, MU_T, atol=1e-12)       # forming forced by the hint
    assert_allclose(read(p, mu=1).y, MU_T + 1.0, atol=1e-12)
    with pytest.raises(ConfigError, match="no such column"):
        read(p, mu="xmu")
    with pytest.raises(ConfigError, match="index out of range"):
        read(p, i0=9, itrans=2)
    with pytest.raises(ConfigError, match="mode="):
        read(p, mode="absorbance")


def test_xdi_kev_column_temperature_and_header(tmp_path):
    fields = {"Element.symbol": "Cu", "Element.edge": "K", "Sample.name": "LLZO-Cu",
              "Sample.temperature": "25 C", "Scan.edge_energy": "8.979 keV", "Mono.d_spacing": "3.13553"}
    p = _write(tmp_path, "kev.xdi", _xdi_text({"energy keV": E / 1000.0, "i0": I0, "itrans": IT}, fields=fields))
    m = read(p)
    assert_allclose(m.x, E, rtol=1e-15, atol=1e-9)
    assert m.x_unit == "eV" and m.sample == "LLZO-Cu" and m.temperature_K == 298.15
    assert m.meta["edge_energy_eV"] == pytest.approx(8979.0)
    assert m.meta["header"]["Sample.temperature"] == "25 C"
    assert m.meta["comments"] == ["synthetic scan"]
    # a temperature without a unit is not guessed: read() says why
    fields["Sample.temperature"] = "300"
    q = read(_write(tmp_path, "not.xdi", _xdi_text({"energy eV": E, "i0": I0, "itrans": IT}, fields=fields)))
    assert q.temperature_K is None and "no unit" in q.meta["conditions_note"]


def test_xdi_angle_column_with_d_spacing(tmp_path):
    d = 3.13553
    theta = np.degrees(np.arcsin(HC_EV_ANGSTROM / (2 * d * E)))
    p = _write(tmp_path, "angle.xdi", _xdi_text({"angle deg": theta, "i0": I0, "itrans": IT}))
    m = read(p)
    assert_allclose(m.x, E, rtol=1e-12)
    assert m.meta["energy_from_angle"] is True
    fields = {"Element.symbol": "Cu"}
    with pytest.raises(ReadError, match="d-spacing"):
        read(_write(tmp_path, "nod.xdi", _xdi_text({"angle deg": theta, "i0": I0, "itrans": IT}, fields=fields)))


# -- energy order -------------------------------------------------------------------------------------

def _cols(tmp_path, name, e, *arrays, header="# energy i0 itrans"):
    rows = [" ".join(_num(v) for v in row) for row in zip(e, *arrays)]
    return _write(tmp_path, name, "\n".join([header] + rows) + "\n")


def test_reversed_swapped_and_repeated_energies(tmp_path):
    m = read(_cols(tmp_path, "rev.dat", E[::-1], I0[::-1], IT[::-1]), format="xas")
    assert_array_equal(m.x, E)
    assert m.meta["energy_reversed"]
    assert_allclose(m.y, MU_T, atol=1e-12)
    order = np.arange(E.size)
    order[[40, 41]] = order[[41, 40]]          # two rows written out of order
    m = read(_cols(tmp_path, "swap.dat", E[order], I0[order], IT[order]), format="xas")
    assert_array_equal(m.x, E)
    assert m.meta["energy_sorted"]
    assert_allclose(m.y, MU_T, atol=1e-12)
    # an exact repeat: the two mu values are averaged (mu formed per row first)
    e2 = np.insert(E, 30, E[30])
    it2 = np.insert(IT, 30, IT[30] * 0.98)
    i02 = np.insert(I0, 30, I0[30])
    m = read(_cols(tmp_path, "rep.dat", e2, i02, it2), format="xas")
    assert_array_equal(m.x, E)
    assert m.meta["repeats_averaged"] == 1
    expected = 0.5 * (MU_T[30] + np.log(I0[30] / (IT[30] * 0.98)))
    assert m.y[30] == pytest.approx(expected, abs=1e-12)


def test_two_concatenated_sweeps_are_refused(tmp_path):
    half = E.size // 2
    e = np.r_[E[:half], E[:half] + 0.1]
    p = _cols(tmp_path, "two.dat", e, np.r_[I0[:half], I0[:half]], np.r_[IT[:half], IT[:half]])
    with pytest.raises(DataError, match="more than one sweep") as info:
        read(p, format="xas")
    assert info.value.path == str(p)
    assert f"at line {half + 2}" in info.value.message       # the row where the energy turns back
    assert info.value.line is not None


# -- bad input ------------------------------------------------------------------------------------------

def test_bad_input_errors_name_file_and_line(tmp_path):
    it = IT.copy()
    it[7] = 0.0
    p = _cols(tmp_path, "zero.dat", E, I0, it)
    with pytest.raises(DataError, match=r"column 3 \(itrans\) is 0: mu = ln\(i0/itrans\) needs positive") as info:
        read(p, format="xas")
    assert (info.value.path, info.value.line) == (str(p), 9)
    i0 = I0.copy()
    i0[3] = np.nan
    with pytest.raises(DataError, match="non-finite value nan") as info:
        read(_cols(tmp_path, "nan.dat", E, i0, IT), format="xas")
    assert info.value.line == 5
    with pytest.raises(ReadError, match="empty"):
        read(_write(tmp_path, "empty.xdi", ""))
    with pytest.raises(ReadError, match="no data rows"):
        read(_write(tmp_path, "head.xdi", "# XDI/1.0\n# Column.1: energy eV\n# ///\n#----\n"))
    with pytest.raises(ReadError, match=r"mode='fluorescence' needs ifluor"):
        read(_cols(tmp_path, "nofl.dat", E, I0, IT), format="xas", mode="fluorescence")
    with pytest.raises(ReadError, match="no energy column"):
        read(_cols(tmp_path, "noe.dat", E, I0, IT, header="# x i0 itrans"), format="xas")
    with pytest.raises(ReadError, match="no mu column and no i0"):
        read(_cols(tmp_path, "nomu.dat", E, I0, IT, header="# energy a b"), format="xas")
    with pytest.raises(ReadError, match="declares Column.4"):
        read(_write(tmp_path, "cols.xdi", _xdi_text({"energy eV": E, "i0": I0, "itrans": IT}).replace(
            "# Column.3: itrans", "# Column.3: itrans\n# Column.4: irefer")))
    with pytest.raises(DataError, match="unit is 'deg', not eV"):
        read(_cols(tmp_path, "deg.dat", E, I0, IT, header="# energy(deg) i0 itrans"), format="xas")


def test_every_error_is_a_structkit_error_with_the_path(tmp_path):
    p = _write(tmp_path, "junk.xdi", "# XDI/1.0\n# Column.1: energy eV\n#----\n1 2\nabc def\n3 4\n")
    with pytest.raises(StructkitError) as info:
        read(p)
    assert str(p) in str(info.value)


# -- generic columns, keV detection, sniffing -------------------------------------------------------

def test_raw_channel_table_needs_format_xas_and_kev_detection(tmp_path):
    p = _cols(tmp_path, "fe.dat", E / 1000.0, I0, IT, header="Energy I0 It")
    with pytest.raises(ReadError, match="3 numeric columns"):
        read(p)                                         # the generic text reader keeps such a table ...
    m = read(p, format="xas")                           # ... format="xas" makes it a spectrum
    assert_allclose(m.x, E, rtol=1e-14)
    assert m.meta["energy_unit_detected"] == "keV"
    assert_allclose(read(p, format="xas", energy_unit="eV").x, E / 1000.0)
    # soft X-ray Li K edge in eV (55-80 eV) is not taken for keV
    e_li = np.linspace(50.0, 80.0, 61)
    q = read(_cols(tmp_path, "li.dat", e_li, np.ones(61), 1.0 + 0.5 * (e_li > 57)), format="xas",
             mode="fluorescence", ifluor=2)
    assert_allclose(q.x, e_li)
    assert "energy_unit_detected" not in q.meta


def test_energy_mu_columns_are_sniffed(tmp_path):
    p = _cols(tmp_path, "cu.txt", E, MU_T, header="#  energy   xmu")
    m = read(p)
    assert m.meta["format"] == "xas" and m.technique == "xas"
    assert_array_equal(m.y, MU_T)
    m = read_xas_columns(_cols(tmp_path, "bare.mu", E, MU_T, header=""))
    assert m.meta["mode"] == "mu" and m.meta["columns"] == ["column1", "column2"]
    assert read(tmp_path / "bare.mu", format="xas").technique == "xas"


def test_sniffers():
    assert sniff_xdi(b"# XDI/1.0 GSE/1.0\n") and not sniff_xdi(b"# XDI\n")
    assert sniff_xdac(b"XDAC V1.2 Datafile V1\n") and not sniff_xdac(b"XDAC\n")
    assert sniff_athena(gzip.compress(b"# Athena project file -- Demeter version 0.9.21\n"))
    assert not sniff_athena(gzip.compress(b"# something else\n"))
    assert sniff_xas_columns(b"#%atom: Cu\n8900 1\n8901 2\n8902 3\n")
    assert not sniff_xas_columns(b"# f Z' Z''\n1 2 3\n2 3 4\n3 4 5\n")
    formats = available_formats()
    assert formats["xdi"] == (".xdi",) and formats["athena"] == (".prj",)
    assert formats["xas"] == (".xmu", ".mu") and "xdac" in formats


# -- Athena ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def athena_project(tmp_path_factory):
    """A project written by larch's own writer from three synthetic groups (one with an energy shift)."""
    pytest.importorskip("larch")
    from larch import Group
    from larch.io import AthenaProject

    path = tmp_path_factory.mktemp("prj") / "cu_scans.prj"
    prj = AthenaProject(str(path))
    truth = []
    for i, (label, eshift) in enumerate([("scan 1", 0.0), ("scan 2", 0.0), ("foil", 1.25)]):
        mu = MU_T + 0.01 * i
        g = Group(energy=E.copy(), mu=mu.copy(), filename=label)
        g.energy_shift = eshift
        prj.add_group(g)
        truth.append((label, eshift, mu))
    prj.save()
    return path, truth


def test_athena_project_round_trip(athena_project):
    path, truth = athena_project
    groups = read_athena_project(path)
    assert [m.meta["athena_group"] for m in groups] == [t[0] for t in truth]
    for m, (label, eshift, mu) in zip(groups, truth):
        assert m.technique == "xas" and m.meta["format"] == "athena"
        assert_allclose(m.x, E + eshift, rtol=0, atol=1e-9)
        assert_array_equal(m.y, mu)                      # Athena stores repr() of each value
        assert m.meta["energy_shift_eV"] == eshift
        assert (m.meta["element"], m.meta["edge"]) == ("Cu", "K")
    raw = read_athena_project(path, apply_eshift=False)[2]
    assert_allclose(raw.x, E, atol=1e-9)
    assert raw.meta["athena_eshift_eV"] == 1.25


def test_athena_through_read_with_group_hint(athena_project):
    path, _ = athena_project
    assert read(path).meta["athena_group"] == "scan 1"
    assert read(path, group=1).meta["athena_group"] == "scan 2"
    m = read(path, group="FOIL")
    assert m.meta["athena_group"] == "foil" and m.sample == "cu_scans"
    with pytest.raises(ConfigError, match=r"no such group; .*'scan 1', 'scan 2', 'foil'"):
        read(path, group="nope")
    with pytest.raises(ConfigError, match="3 mu\\(E\\) groups"):
        read(path, group=5)


def test_athena_records_with_the_same_label_are_all_read(tmp_path):
    pytest.importorskip("larch")
    from larch import Group
    from larch.io import AthenaProject
    from larch.io import read_athena as larch_read_athena

    path = tmp_path / "dup.prj"
    prj = AthenaProject(str(path))
    for i in range(3):
        prj.add_group(Group(energy=E.copy(), mu=MU_T + 0.1 * i, filename="Cu foil"))
    prj.save()
    assert len(larch_read_athena(str(path)).groups) == 1          # larch keeps one group per label
    groups = read_athena_project(path)
    assert [m.meta["athena_group"] for m in groups] == ["Cu foil"] * 3
    for i, m in enumerate(groups):
        assert_array_equal(m.x, E)
        assert_array_equal(m.y, MU_T + 0.1 * i)


def test_athena_bad_file(tmp_path):
    pytest.importorskip("larch")
    p = tmp_path / "bad.prj"
    p.write_bytes(gzip.compress(b"# Athena project file -- Demeter version 0.9.21\n@x = (broken"))
    with pytest.raises(ReadError, match="Athena"):
        read(p)


# -- HDF5 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("unit,scale", [("keV", 1000.0), ("eV", 1.0)])
def test_hdf5_energy_mu_is_xas(tmp_path, unit, scale):
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "scan.nxs"
    with h5py.File(p, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        data = entry.create_group("data")
        data.attrs["NX_class"] = "NXdata"
        data.attrs["signal"] = "mutrans"
        data.attrs["axes"] = ["energy"]
        data["energy"] = E / scale
        data["energy"].attrs["units"] = unit
        data["mutrans"] = MU_T
    m = read(p)
    assert m.technique == "xas" and m.x_label == "energy (eV)" and m.y_name == "mu"
    assert m.meta["mode"] == "transmission"
    assert_allclose(m.x, E, rtol=1e-14)
    assert_array_equal(m.y, MU_T)
