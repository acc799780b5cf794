"""PDF readers: G(r), F(Q), S(Q), I(Q) with PDFgetX3, PDFgetX2 and PDFgetN headers.

Oracles: the real files in ../shared/reference_data/pdf (lengths, ranges and
header values checked by hand against the files and SOURCES.md), and small
synthetic files written here from known arrays (values must come back exactly).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError, ReadError, StructkitError
from structkit.io import available_formats, read
from structkit.io._pdf import parse_pdf_header, read_pdf, sniff_pdf

R = np.round(np.arange(1, 41) * 0.05, 10)                 # 0.05 .. 2.0 A
G = np.sin(3.0 * R) * np.exp(-0.2 * R)
DG = 0.01 + 0.001 * R

LAMNO3_T = [300, 550, 650, 700, 720, 730, 740, 750, 800, 880, 980, 1050, 1100, 1150]
KAPTON = "20200702_090847_PDF_Ni_kapton_retake_6617-6636_0.gr"


def _rows(*cols):
    return "".join(" ".join(f"{v:.17g}" for v in row) + "\n" for row in zip(*cols))


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _x3_header(outputtype="gr", extra=""):
    return ("[DEFAULT]\n\nversion = 2.2.1\n\n# input and output specifications\ndataformat = QA\n"
            f"inputfile = ni.chi\noutputtype = {outputtype}\n\n# PDF calculation setup\nmode = xray\n"
            "wavelength = 0.1818\ncomposition = Li7La3Zr2O12\nbgscale = 0.98\nqmaxinst = 26.0\n"
            f"qmin = 0.6\nqmax = 24.5\nrmin = 0.0\nrmax = 30.0\nrstep = 0.01\nrpoly = 0.9\n{extra}\n"
            "# End of config --------------------------------------------------------------\n"
            "#### start data\n#S 1 - PDF from PDFgetX3\n")


X2_HEAD = """History written:       Wed Jul 01 00:37:52 2025
Produced by user
####### Get_XPDF #######

##### General_Setting
title=LLZO at 300K on 11-ID-B
quiet=0    debug=0    autosave_isa=1    savefilenamebase=llzo.chi

##### Experiment_Setup
title=LLZO at 300K on 11-ID-B
temperature=300.000    containermut=0.0200000    filtermut=0.0200000
lambda=0.2113    energy=58.6    polartype=2    polardegree=0.960000

##### Sample_Setup information    num_atoms=2
#L symbol valence fractions z user_f1 user_f2 user_macoef
  Li    0.00   0.500000    3   0.000000   0.000000   0.000000
  O     0.00   0.500000    8   0.000000   0.000000   0.000000
geometry=2    mut=0.10590000    numberdensity=0.109910

##### SqGr_Optimization Setup
## S(q)  qmin=0.800000    qmax=22.000000    qgrid=0.000000
## G(r)  rmin=0.000000    rmax=20.000000    rgrid=0.010000
optqmin=20.0000    optqmax=40.0000
##### start data
#F llzo.chi.gr
#D Tue Feb  8 11:46:14 2005
#C synthetic
#S 1    G(r)
#D
#L r    G(r)    d_r    d_Gr
"""

N_HEAD = """History written: Fri Apr 30 14:12:28 2004
produced by
##### Run Information     runCorrection=T
prep=gsas     machine=npdf
run=550K     background=npdf_00907
temp=308     runTitle=LLZO 550.0, npdf_01031 HIPPO-furnace (cooling)

##### Vanadium     runCorrection=T
run=npdf_00709     background=npdf_00710

##### Sample Material     numElements=2     NormLaue=0.47445
Element relAtomNum atomMass atomCoherCS atomIncoherCS atomAbsorpCS
  Li        0.4000    6.941      0.4540        0.9200     70.50000
   O        0.6000   15.999      4.2320        0.0008      0.00019
density=     effDensity=3.3650

##### Banks=2  deltaQ=0.01  matchRef=0  matchScal=T  matchOffset=T
bank   angle   blendQmin   blendQmax       (0.0 means no info)
  1     90.0        1.62    29.42
  2    148.0        2.59    37.00

##### Program Specific Information
## Damp     Qmin=2.0     Qmax=32     startDampQ=32    QAveMin=0.6
##### start data
#O0 rg_int sig_rg_int low_int sig_low_int rmax rhofit
#S 1 - PDF from PDFgetN
#P0   -3.48169    0.30988    0.13070    0.00958    1.50  0.0737
#L r G(r) dr dG(r)
"""


# -- the real files ------------------------------------------------------------------------------------

@pytest.mark.reference_data
@pytest.mark.parametrize("rel, n, r0, r1, qmax, qmin, software, mode, has_sigma", [
    ("ni/Ni-xray.gr", 2000, 0.01, 20.0, 40.0, 1.0, "PDFgetX2", "xray", True),
    ("ni/Ni-neutron.gr", 2000, 0.01, 20.0, 27.0, 0.95, "PDFgetN", "neutron", True),
    (f"ni_kapton_2020/{KAPTON}", 8001, 0.0, 80.0, 27.5, 0.1, "PDFgetX3", "xray", False),
    ("lamno3_temperature_series/550K.gr", 2000, 0.01, 20.0, 32.0, 2.0, "PDFgetN", "neutron", True),
])
def test_reference_files(reference_data, rel, n, r0, r1, qmax, qmin, software, mode, has_sigma):
    m = read(reference_data / "pdf" / rel)
    assert m.meta["format"] == "pdf" and m.technique == "pdf"
    assert len(m) == n
    assert m.x[0] == pytest.approx(r0) and m.x[-1] == pytest.approx(r1)
    assert_allclose(np.diff(m.x), 0.01, atol=1e-9)
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit) == ("r", "angstrom", "G(r)", "1/angstrom^2")
    assert m.meta["quantity"] == "G" and m.meta["convention"] == "G_pdffit"
    assert m.meta["qmax"] == qmax and m.meta["qmin"] == qmin
    assert m.meta["software"] == software and m.meta["mode"] == mode
    assert (m.sigma is not None) == has_sigma
    if has_sigma:
        assert np.all(m.sigma > 0)


@pytest.mark.reference_data
def test_reference_ni_xray_pdfgetx2_header(reference_data):
    m = read(reference_data / "pdf" / "ni" / "Ni-xray.gr")
    assert m.meta["wavelength"] == 0.126514 == m.meta["wavelength_angstrom"]
    assert m.meta["composition"] == "Ni" and m.meta["composition_from"] == "element table"
    assert m.meta["temperature"] == "300.000" and m.meta["title_temperature"] == "300K"
    assert m.meta["title"].startswith("Ni at 300K with MAR345")
    assert m.meta["columns"] == ["r", "G(r)", "d_r", "d_Gr"]
    assert m.meta["header"]["lambda"] == "0.126514"
    assert m.meta["header"]["Experiment_Setup.title"] == m.meta["title"]  # a repeated key
    assert m.meta["spec"]["F"] == "Ni_2-8.chi.gr"
    # first and last rows, exactly as written; sigma is the 4th column (d_Gr), not d_r
    assert (m.y[0], m.sigma[0]) == (-7.734561e-02, 3.134926e-02)
    assert (m.y[-1], m.sigma[-1]) == (-3.326870e+00, 8.663104e-02)
    # no unit on "temperature=300.000": read() does not guess, and says so
    assert m.temperature_K is None and m.sample == "Ni-xray"
    assert "'temperature' = '300.000' has no unit" in m.meta["conditions_note"]


@pytest.mark.reference_data
def test_reference_ni_neutron_pdfgetn_header(reference_data):
    m = read(reference_data / "pdf" / "ni" / "Ni-neutron.gr")
    assert m.meta["composition"] == "Ni" and m.meta["temperature"] == "300"
    assert "wavelength" not in m.meta and "title_temperature" not in m.meta  # TOF; no T in runTitle
    assert m.meta["header"]["rhofit"] == "0.0744"                             # #O0 / #P0 pair
    assert m.meta["header"]["Vanadium.run"] == "32385" and m.meta["header"]["run"] == "32423"
    assert (m.x[0], m.y[0], m.sigma[0]) == (0.01, 1.240, 0.6764)


@pytest.mark.reference_data
def test_reference_kapton_pdfgetx3_header(reference_data):
    m = read(reference_data / "pdf" / "ni_kapton_2020" / KAPTON)
    meta = m.meta
    assert meta["written_by"] == "xPDFsuite"
    assert (meta["qmaxinst"], meta["rpoly"], meta["bgscale"], meta["wavelength"]) == (27.5, 0.9, 0.111455, 0.1)
    assert (meta["composition"], meta["dataformat"]) == ("Ni", "QA")
    assert "temperature" not in meta and m.temperature_K is None
    assert meta["header"]["backgroundfile"] == "20200702_090622_PDF_kapton_6367-6386_0.chi"
    assert meta["columns"] == ["r($\\AA$)", "G($\\AA^{-2}$)"]
    assert (m.x[0], m.y[0], m.x[1], m.y[1]) == (0.0, 0.0, 0.01, 0.00125439)
    assert m.sample == KAPTON[:-3]


@pytest.mark.reference_data
def test_reference_lamno3_series_temperature_from_file_name(reference_data):
    folder = reference_data / "pdf" / "lamno3_temperature_series"
    temps, rows = [], []
    for t in LAMNO3_T:
        m = read(folder / f"{t}K.gr")
        assert m.meta["temperature"] == "308"             # the stale header value is kept as text ...
        assert m.temperature_K == float(t)                # ... but the file name gives the condition
        assert m.meta["conditions_from"]["temperature_K"] == "filename"
        assert m.meta["qmax"] == 32.0 and m.meta["composition"] == "O0.6Mn0.2La0.2"
        title_t = m.meta["title_temperature"]             # runTitle "LaMnO3 550.0, npdf_01031 ..."
        assert title_t == "RT" if t == 300 else float(title_t) == t
        temps.append(m.temperature_K)
        rows.append(len(m))
    assert temps == [float(t) for t in LAMNO3_T] and 308.0 not in temps
    assert set(rows) == {2000}


# -- synthetic files: each header style -------------------------------------------------------------

def test_pdfgetx3_gr(tmp_path):
    p = _write(tmp_path, "llzo_25C.gr", _x3_header() + "#L r($\\AA$)  G($\\AA^{-2}$)\n" + _rows(R, G))
    m = read(p)
    assert m.meta["format"] == "pdf" and m.meta["software"] == "PDFgetX3"
    assert_array_equal(m.x, R)
    assert_array_equal(m.y, G)
    assert m.sigma is None
    assert (m.meta["qmax"], m.meta["qmin"], m.meta["qmaxinst"], m.meta["rpoly"]) == (24.5, 0.6, 26.0, 0.9)
    assert (m.meta["wavelength"], m.meta["bgscale"], m.meta["mode"]) == (0.1818, 0.98, "xray")
    assert (m.meta["composition"], m.meta["dataformat"]) == ("Li7La3Zr2O12", "QA")
    assert m.meta["header"]["version"] == "2.2.1"
    assert "written_by" not in m.meta
    assert m.sample == "llzo" and m.temperature_K == pytest.approx(298.15)


@pytest.mark.parametrize("ext, q, label, y_name, y_unit, convention", [
    (".fq", "F", "F($\\AA^{-1}$)", "F(Q)", "1/angstrom", "F_reduced"),
    (".sq", "S", "S", "S(Q)", "", "S_normalized"),
    (".iq", "I", "I", "I(Q)", "", "I_measured"),
])
def test_pdfgetx3_reciprocal_space_quantities(tmp_path, ext, q, label, y_name, y_unit, convention):
    qgrid = np.round(np.arange(1, 31) * 0.5, 10)
    y = 1.0 + np.cos(qgrid) / qgrid
    text = _x3_header(ext[1:]) + f"#L Q($\\AA^{{-1}}$)  {label}\n" + _rows(qgrid, y)
    m = read(_write(tmp_path, f"llzo{ext}", text))
    assert m.meta["quantity"] == q and m.meta["quantity_from"] == "column label"
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit) == ("Q", "1/angstrom", y_name, y_unit)
    assert m.meta["convention"] == convention
    assert_array_equal(m.y, y)
    # the same data without a label, in a .dat file: the quantity comes from outputtype
    text = _x3_header(ext[1:]) + _rows(qgrid, y)
    m = read(_write(tmp_path, "llzo_nolabel.dat", text))
    assert m.meta["quantity"] == q and m.meta["quantity_from"] == "outputtype"


def test_gsas2_pdfgetx3_style_export(tmp_path):
    head = _x3_header().replace("version = 2.2.1", "version = GSAS-II-v5800").replace(
        "#S 1 - PDF from PDFgetX3\n", "#S 1\n")
    m = read(_write(tmp_path, "gsas.gr", head + "#L r($\\AA$)  G($\\AA^{-2}$)\n" + _rows(R, G)))
    assert m.meta["software"] == "" and m.meta["written_by"] == "GSAS-II"
    assert m.meta["qmax"] == 24.5 and m.meta["quantity"] == "G"


def test_pdfgetx2_header(tmp_path):
    p = _write(tmp_path, "llzo.gr", X2_HEAD + _rows(R, G, -1.38 * R, DG))
    m = read(p)
    assert m.meta["software"] == "PDFgetX2" and m.meta["mode"] == "xray"
    assert_array_equal(m.y, G)
    assert_array_equal(m.sigma, DG)                       # d_Gr, not the (odd, negative) d_r
    assert (m.meta["qmax"], m.meta["qmin"], m.meta["wavelength"]) == (22.0, 0.8, 0.2113)
    assert m.meta["composition"] == "Li0.5O0.5"
    assert m.meta["temperature"] == "300.000" and m.meta["title"] == "LLZO at 300K on 11-ID-B"
    assert m.meta["comments"] == ["synthetic"]
    assert m.meta["header"]["optqmax"] == "40.0000"      # not taken for qmax
    assert m.temperature_K is None                        # a unitless header temperature is not guessed


def test_pdfgetn_header_and_stale_temperature(tmp_path):
    zeros = np.zeros_like(R)
    p = _write(tmp_path, "550K.gr", N_HEAD + _rows(R, G, zeros, DG))
    m = read(p)
    assert m.meta["software"] == "PDFgetN" and m.meta["mode"] == "neutron"
    assert (m.meta["qmax"], m.meta["qmin"]) == (32.0, 2.0)
    assert m.meta["composition"] == "Li0.4O0.6"
    assert m.meta["temperature"] == "308" and m.meta["title_temperature"] == "550.0"
    assert m.meta["header"]["rg_int"] == "-3.48169" and m.meta["header"]["Vanadium.run"] == "npdf_00709"
    assert m.temperature_K == 550.0 and m.meta["conditions_from"]["temperature_K"] == "filename"
    assert m.sample == ""                                 # the stem is only the temperature
    assert_array_equal(m.sigma, DG)
    # hints still win over the file name, as for every reader
    assert read(p, temperature_K=551.0, sample="LLZO").temperature_K == 551.0
    # an all-zero dG column means "no uncertainty"
    m0 = read(_write(tmp_path, "600K.gr", N_HEAD + _rows(R, G, zeros, zeros)))
    assert m0.sigma is None


def test_plain_spec_label_and_three_columns(tmp_path):
    m = read(_write(tmp_path, "a.gr", "#L r G(r) dG(r)\n" + _rows(R, G, DG)))
    assert m.meta["format"] == "pdf" and m.meta["software"] == ""
    assert_array_equal(m.sigma, DG)
    assert "mode" not in m.meta and "qmax" not in m.meta


def test_headerless_file_forced_and_quantity_from_extension(tmp_path):
    p = _write(tmp_path, "a.sq", _rows(R * 10, 1 + G))
    m = read(p, format="pdf")
    assert m.meta["quantity"] == "S" and m.meta["quantity_from"] == "extension"
    assert m.meta["columns"] is None
    m = read_pdf(_write(tmp_path, "a.txt", _rows(R * 10, G)), quantity="fq")
    assert m.meta["quantity"] == "F" and m.meta["quantity_from"] == "hint"
    with pytest.raises(ReadError, match="cannot tell whether the data are G.*quantity='G'") as info:
        read_pdf(tmp_path / "a.txt")
    assert info.value.path == str(tmp_path / "a.txt")
    with pytest.raises(ConfigError, match="quantity='X'"):
        read_pdf(tmp_path / "a.txt", quantity="X")


def test_descending_r_is_reversed(tmp_path):
    m = read(_write(tmp_path, "a.gr", "#L r G(r) dr dG(r)\n" + _rows(R[::-1], G[::-1], 0 * R, DG[::-1])))
    assert_array_equal(m.x, R)
    assert_array_equal(m.sigma, DG)


def test_columns_hint(tmp_path):
    p = _write(tmp_path, "a.gr", X2_HEAD + _rows(R, G, -1.38 * R, DG))
    assert read(p, columns=(0, 1)).sigma is None
    assert_array_equal(read(p, columns=("r", "G(r)", "d_Gr")).sigma, DG)
    with pytest.raises(ConfigError, match="no column named 'q'"):
        read(p, columns=("q", "G(r)"))
    with pytest.raises(ConfigError, match="index 7 is out of range"):
        read(p, columns=(0, 7))
    with pytest.raises(ConfigError, match="give 2 or 3"):
        read(p, columns=(0,))
    with pytest.raises(TypeError, match="'delimiter' that the 'pdf' reader does not take"):
        read(p, delimiter=",")


# -- errors: each names the file ------------------------------------------------------------------------

def _error(path, cls, match, line=None, **hints):
    with pytest.raises(cls, match=match) as info:
        read(path, **hints)
    err = info.value
    assert isinstance(err, StructkitError)
    assert err.path == str(path) and str(path) in str(err)
    assert err.line == line
    return err


def test_empty_file(tmp_path):
    _error(_write(tmp_path, "a.gr", ""), ReadError, "empty")
    _error(_write(tmp_path, "b.gr", "  \n\n"), ReadError, "empty", format="pdf")


def test_header_without_data_rows(tmp_path):
    p = _write(tmp_path, "a.gr", _x3_header() + "#L r($\\AA$)  G($\\AA^{-2}$)\n")
    _error(p, ReadError, r"no data rows after line 26 \(#L r\(.*re-export")
    truncated = N_HEAD.split("##### start data")[0]       # its bank table must not pass for data
    _error(_write(tmp_path, "b.gr", truncated), ReadError, "no 'start data' line .*re-export")


def test_single_column(tmp_path):
    p = _write(tmp_path, "a.gr", "#L r G(r)\n" + _rows(R))
    _error(p, ReadError, "only one numeric column; a PDF file needs two", line=2)


def test_nan_values(tmp_path):
    g = G.copy()
    g[4] = np.nan
    p = _write(tmp_path, "a.gr", X2_HEAD + _rows(R, g, 0 * R, DG))
    n_head = X2_HEAD.count("\n")
    _error(p, DataError, r"non-finite value nan in column 2 \(G\(r\)\)", line=n_head + 5)


def test_non_monotonic_r(tmp_path):
    r = R.copy()
    r[10], r[11] = r[11], r[10]
    p = _write(tmp_path, "a.gr", "#L r G(r)\n" + _rows(r, G))
    _error(p, DataError, "r is not monotonic: it turns at index", line=13)
    p = _write(tmp_path, "b.gr", "#L r G(r)\n" + _rows(np.r_[R[:5], R[4:]], np.r_[G[:5], G[4:]]))
    _error(p, DataError, "repeated value", line=7)


def test_negative_uncertainty(tmp_path):
    dg = DG.copy()
    dg[2] = -0.1
    p = _write(tmp_path, "a.gr", "#L r G(r) dr dG(r)\n" + _rows(R, G, 0 * R, dg))
    _error(p, DataError, r"negative uncertainty -0.1 in column 4 \(dG\(r\)\).*columns=\(0, 1\)", line=4)


def test_text_in_the_data(tmp_path):
    lines = _rows(R, G).splitlines()
    lines[6] = "0.35 oops"
    p = _write(tmp_path, "a.gr", "#L r G(r)\n" + "\n".join(lines) + "\n")
    _error(p, ReadError, "text 'oops' in numeric column 2", line=8)


# -- registry and sniffing ---------------------------------------------------------------------------------

def test_registered_and_sniffed():
    assert available_formats()["pdf"] == (".gr", ".fq", ".sq", ".iq")
    names = list(available_formats())
    assert names.index("pdf") < names.index("text")
    assert sniff_pdf(X2_HEAD.encode()) and sniff_pdf(N_HEAD.encode()) and sniff_pdf(_x3_header().encode())
    assert sniff_pdf(b"# xPDFsuite Configuration #\n[PDF]\nqmax = 25\n")
    assert sniff_pdf(b"#### start data\n#S 1\n#L r G\n1 2\n")
    assert not sniff_pdf(b"# r G(r) dr dG(r)\n1 2 0 0.1\n")         # a plain table stays "text"
    assert not sniff_pdf(b"#L energy i0 itrans\n8900 1 2\n")
    assert not sniff_pdf(b"")


def test_chi_files_are_still_powder_patterns(tmp_path):
    chi = ("a.tif: Azimuthal integration\n2-Theta Angle (Degrees)\nIntensity\n       5\n"
           + "".join(f"  {1 + 0.01 * i:.7E}  {100.0 + i:.7E}\n" for i in range(5)))
    m = read(_write(tmp_path, "a.chi", chi))
    assert m.meta["format"] == "chi" and m.technique == "xrd"


def test_parse_pdf_header_ini_continuation_and_repeats():
    h = parse_pdf_header(["[DEFAULT]", "composition = Li7La3", "   Zr2O12", "qmax = 20",
                          "[Misc]", "qmax = 30"])
    assert h["composition"] == "Li7La3 Zr2O12" and h["qmax"] == 20.0
    assert h["header"]["Misc.qmax"] == "30"
