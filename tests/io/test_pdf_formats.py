"""The files a PDF user brings, through structkit.io.read into reduce_pdf, and the PDF files that come out.

Raw patterns (written here in each program's real layout from a Debye-equation pattern of a 30 A
NaCl particle, so the first G(r) peak must land at a/2 = 2.82 A): Fit2D/pyFAI ``.chi`` (2θ),
pyFAI ``.xy``/``.dat`` (2θ and Q), plain 2-column xy and csv, HDF5/NeXus NXdata (Q and 2θ).
Reduced files: PDFgetX3 and PDFgetN ``.gr``/``.fq``/``.sq``/``.iq`` written from a reduction's own
arrays and read back exactly, with the quantity and convention of PdfReduction.to_measurement().
tests/io/test_pdf_readers.py covers the header parsing, the real reference files and the basic
errors; this file adds what it leaves out (reciprocal-space PDFgetN files, errors in every header
style and extension, structkit's own G(r) table read back with format="pdf").

pyFAI's unit names reach reduce_pdf right: a Q axis in nm^-1 named in the column label (``q_nm^-1``)
and pyFAI's NXmonopd HDF5 whose axis has ``units = "2th_deg"`` (or ``2th_rad``, ``q_nm^-1``), with the
wavelength the HDF5 reader takes from the instrument's monochromator.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import DataError, ReadError, StructkitError
from structkit.io import read, write_table
from structkit.pdf.reduce import q_axis, reduce_pdf
from structkit.pdf.synthetic import debye_intensity, rocksalt_particle

A, DIAMETER, LAM = 5.64, 30.0, 0.2095
Q = np.round(np.arange(0.8, 24.0 + 1e-9, 0.01), 10)          # A^-1, uniform
TTH = np.round(np.arange(1.5, 47.0 + 1e-9, 0.01), 10)        # deg; Q(47 deg) = 23.97 A^-1 at LAM
KW = {"composition": "NaCl", "qmin": 1.0, "qmax": 22.0, "qmax_inst": 23.5, "rpoly": 0.9, "rmin": 0.0, "rmax": 8.0,
      "rstep": 0.01}


def _q_of(tth):
    return 4 * np.pi * np.sin(np.radians(tth) / 2) / LAM


def _container(q):
    return 800 * np.exp(-((q - 1.2) / 0.5) ** 2) + 300 * np.exp(-((q - 4.0) / 1.5) ** 2) + 50


@pytest.fixture(scope="module")
def patterns():
    """{"q": (Q, I_sample), "tth": (2θ, I_sample, I_container)}; noise-free, container 0.9x in the sample."""
    pos, sym = rocksalt_particle(A, DIAMETER)

    def sample(q):
        return 3.0 * (debye_intensity(q, pos, sym, uiso=0.02) + 40 * (1 - np.exp(-0.05 * q * q)))

    qt = _q_of(TTH)
    return {"q": (Q, sample(Q) + 0.9 * _container(Q)),
            "tth": (TTH, sample(qt) + 0.9 * _container(qt), _container(qt))}


def _first_peak(red):
    r, g = red.r, red.gr
    s = np.flatnonzero((r >= 2.5) & (r <= 3.1))
    i = s[int(np.argmax(g[s]))]
    y0, y1, y2 = g[i - 1:i + 2]
    return r[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) * (r[1] - r[0])


def _assert_reduces(m, **kw):
    """reduce_pdf on a read Measurement: the first peak at a/2 within 0.02 A; returns the reduction."""
    red = reduce_pdf(m, **{**KW, **kw})
    assert abs(_first_peak(red) - A / 2) < 0.02
    return red


def _write(path, text):
    path.write_text(text)
    return path


# -- raw patterns -------------------------------------------------------------------------------------

def _chi(x, y, title):
    rows = "".join(f"  {a:.7E}  {b:.7E}\n" for a, b in zip(x, y))
    return f"{title}: Azimuthal integration\n2-Theta Angle (Degrees)\nIntensity\n{x.size:8d}\n" + rows


def test_fit2d_chi_sample_and_container(tmp_path, patterns):
    tth, ys, yc = patterns["tth"]
    ms = read(_write(tmp_path / "nacl_0001.chi", _chi(tth, ys, "nacl_0001.tif")))
    mb = read(_write(tmp_path / "kapton_0001.chi", _chi(tth, yc, "kapton_0001.tif")))
    assert ms.meta["format"] == mb.meta["format"] == "chi"
    assert (ms.x_name, ms.x_unit) == ("two_theta", "deg") and ms.sigma is None
    assert "wavelength_angstrom" not in ms.meta                      # a .chi does not carry it ...
    red = _assert_reduces(ms, background=mb, bkg_scale=0.9, wavelength=LAM)
    assert red.settings["background"] == str(tmp_path / "kapton_0001.chi")
    assert_allclose(red.q[[0, -1]], [KW["qmin"], KW["qmax_inst"]], atol=0.01)
    with pytest.raises(StructkitError, match="give the wavelength"):
        reduce_pdf(ms, background=mb, **KW)                           # ... so reduce_pdf asks for it


PYFAI_HEAD = """# == pyFAI calibration ==
# Distance Sample to Detector: 0.2015 m
# PONI: 1.024e-01, 1.069e-01 m
# Rotations: 0.001200 -0.002300 0.000000 rad
#
# == Fit2d calibration ==
# Direct Beam Distance: 201.516 mm
# Center: x=1042.170, y=999.905 pix
# Tilt: 0.150 deg  TiltPlanRot: -62.300 deg
#
# Detector Pilatus2M	 Spline= None	 PixelSize= 1.720e-04, 1.720e-04 m
# Wavelength: 2.095e-11 m
# Mask applied: True
# Dark current applied: False
# Flat field applied: False
# Polarization factor: 0.99
# Normalization factor: 1.0
# --> /data/nacl_0001.cbf
"""


def _pyfai(label, x, y, sigma=None):
    if sigma is None:
        rows = "".join(f"{a:14.6e}  {b:14.6e}\n" for a, b in zip(x, y))
    else:
        rows = "".join(f"{a:14.6e}  {b:14.6e} {s:14.6e}\n" for a, b, s in zip(x, y, sigma))
    return PYFAI_HEAD + label + "\n" + rows


def test_pyfai_two_theta_wavelength_from_the_header(tmp_path, patterns):
    tth, ys, _ = patterns["tth"]
    m = read(_write(tmp_path / "nacl_0001.xy", _pyfai("#       2th_deg             I ", tth, ys)))
    assert m.meta["format"] == "pyfai" and m.meta["wavelength_angstrom"] == LAM
    _assert_reduces(m)                                                # no wavelength= needed


@pytest.mark.parametrize("label", [
    "#       q_A^-1             I           sigma",                 # pyFAI < 2023: right-aligned
    "#q_A^-1         I              sigma         ",                 # pyFAI >= 2023: "#{unit:14s} {'I':14s}"
    "# Q_A^-1  I  sigma",
])
def test_pyfai_q_in_inverse_angstrom(tmp_path, patterns, label):
    """pyFAI's Q exports are not the pyfai reader's (2θ only): the text reader takes them, x in A^-1."""
    q, ys = patterns["q"]
    p = _write(tmp_path / "nacl_0001.dat", _pyfai(label, q, ys, np.sqrt(ys)))
    m = read(p)
    assert m.meta["format"] == "text" and m.meta["wavelength_angstrom"] == LAM
    assert (m.x_name.lower(), m.x_unit.lower()) == ("q", "a^-1") and m.sigma is not None
    assert_allclose(q_axis(m, None), q, rtol=1e-6)
    red = _assert_reduces(m)
    assert red.settings["x_axis"] == "Q in 'A^-1'"


@pytest.mark.parametrize("label", ["#       q_nm^-1             I ", "#q_nm^-1        I             "])
def test_pyfai_q_in_inverse_nanometre(tmp_path, patterns, label):
    """The unit in pyFAI's label ``q_nm^-1`` is parsed: Q comes out in A^-1 (10x smaller), not taken as A^-1."""
    q, ys = patterns["q"]
    m = read(_write(tmp_path / "nacl_0001.dat", _pyfai(label, 10 * q, ys)))
    assert m.meta["format"] == "text" and (m.x_name, m.x_unit) == ("q", "nm^-1")
    assert_allclose(q_axis(m, None), q, rtol=1e-6)
    red = _assert_reduces(m)
    assert red.settings["x_axis"] == "Q in 'nm^-1' (x 0.1 to 1/angstrom)"


def test_plain_xy_in_q_and_csv_in_two_theta(tmp_path, patterns):
    q, ys = patterns["q"]
    rows = "".join(f"{a:.8f} {b:.8f}\n" for a, b in zip(q, ys))
    m = read(_write(tmp_path / "nacl_q.xy", rows))                    # no header: x is taken as Q (A^-1)
    assert m.meta["format"] == "text" and (m.x_name, m.x_unit) == ("x", "")
    red = _assert_reduces(m)
    assert red.settings["x_axis"] == "Q in 1/angstrom assumed (no name or unit for x in the file)"
    assert "x: Q in 1/angstrom assumed" in red.summary()                # ... and the summary says so
    tth, ys, _ = patterns["tth"]
    csv = "two_theta (deg),intensity\n" + "".join(f"{a:.4f},{b:.8f}\n" for a, b in zip(tth, ys))
    m = read(_write(tmp_path / "nacl_tth.csv", csv))
    assert m.meta["format"] == "text" and (m.x_name, m.x_unit) == ("two_theta", "deg")
    _assert_reduces(m, wavelength=LAM)
    hdr = f"# wavelength = {LAM}\n# 2theta  I\n" + "".join(f"{a:.4f} {b:.8f}\n" for a, b in zip(tth, ys))
    m = read(_write(tmp_path / "nacl_tth.xy", hdr))                   # 2θ by name, λ from the header
    assert m.meta["wavelength_angstrom"] == LAM
    red = _assert_reduces(m)
    assert red.settings["x_axis"] == ("2-theta in deg assumed (x named '2theta', no unit in the file), "
                                      f"wavelength {LAM:g} A")


def _nexus(path, axis, x, y, units, *, errors=None, wavelength=None, sample="NaCl", instrument="instrument",
           wavelength_units="angstrom"):
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "entry"
        e = f.create_group("entry")
        e.attrs["NX_class"] = "NXentry"
        e.attrs["default"] = "data"
        e["title"] = "NaCl nanoparticle, 11-ID-B"
        s = e.create_group("sample")
        s.attrs["NX_class"] = "NXsample"
        s["name"] = sample
        if wavelength is not None:
            ins = e.create_group(instrument)
            ins.attrs["NX_class"] = "NXinstrument"
            mono = ins.create_group("monochromator")
            mono.attrs["NX_class"] = "NXcrystal"
            mono["wavelength"] = wavelength
            if wavelength_units is not None:
                mono["wavelength"].attrs["units"] = wavelength_units
        g = e.create_group("data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "I"
        g.attrs["axes"] = [axis]
        g.attrs[f"{axis}_indices"] = 0
        g["I"] = y
        g[axis] = x
        g[axis].attrs["units"] = units
        if errors is not None:
            g["I_errors"] = errors
    return path


@pytest.mark.parametrize("axis, units, factor", [("Q", "1/angstrom", 1.0), ("Q", "1/nm", 10.0), ("q", "1/A", 1.0)])
def test_nexus_nxdata_q(tmp_path, patterns, axis, units, factor):
    q, ys = patterns["q"]
    m = read(_nexus(tmp_path / "nacl.nxs", axis, factor * q, ys, units, errors=np.sqrt(ys)))
    assert m.meta["format"] == "hdf5" and m.x_unit == units and m.sample == "NaCl"
    assert_allclose(q_axis(m, None), q, rtol=1e-12)
    _assert_reduces(m)


def test_nexus_nxdata_two_theta(tmp_path, patterns):
    tth, ys, _ = patterns["tth"]
    m = read(_nexus(tmp_path / "nacl.h5", "two_theta", tth, ys, "deg", wavelength=LAM))
    assert (m.x_name, m.x_unit) == ("two_theta", "deg")
    # the reader takes /entry/instrument/monochromator/wavelength: reduce_pdf needs no wavelength=
    assert m.meta["wavelength_angstrom"] == LAM
    assert m.meta["wavelength_from"] == "/entry/instrument/monochromator/wavelength"
    _assert_reduces(m)
    m = read(_nexus(tmp_path / "nacl_no_lambda.h5", "two_theta", tth, ys, "deg"))
    assert "wavelength_angstrom" not in m.meta
    _assert_reduces(m, wavelength=LAM)


@pytest.mark.parametrize("units, to_x", [
    ("2th_deg", lambda tth: tth), ("2th_rad", np.radians), ("q_nm^-1", lambda tth: 10 * _q_of(tth)),
    ("q_A^-1", _q_of),
])
def test_nexus_pyfai_nxmonopd(tmp_path, patterns, units, to_x):
    """pyFAI's NXmonopd: polar_angle with units = pyFAI's unit name, the instrument group named "beamline"
    (NXinstrument) and the wavelength in its monochromator (NXcrystal)."""
    tth, ys, _ = patterns["tth"]
    m = read(_nexus(tmp_path / "nacl.nxs", "polar_angle", to_x(tth), ys, units, wavelength=LAM,
                    instrument="beamline"))
    assert (m.x_name, m.x_unit) == ("polar_angle", units) and m.meta["wavelength_angstrom"] == LAM
    assert_allclose(q_axis(m, None), _q_of(tth), rtol=1e-12)
    assert_allclose(q_axis(m, LAM), _q_of(tth), rtol=1e-12)
    _assert_reduces(m)


@pytest.mark.parametrize("value, units, expected", [
    (LAM, "angstrom", LAM), (LAM, "Å", LAM), (LAM, "A", LAM), (LAM * 1e-10, "m", LAM), (LAM / 10, "nm", LAM),
    (LAM, None, LAM),                                                   # no units: a plausible value is Å
    (LAM * 1e-10, None, None),                                          # ... an implausible one is left out
    (LAM, "furlong", None),
])
def test_nexus_wavelength_units(tmp_path, patterns, value, units, expected):
    tth, ys, _ = patterns["tth"]
    m = read(_nexus(tmp_path / "nacl.nxs", "polar_angle", tth, ys, "2th_deg", wavelength=value,
                    wavelength_units=units))
    assert m.meta.get("wavelength_angstrom") == (pytest.approx(expected, rel=1e-12) if expected else None)


# -- reduced files: PDFgetX3 and PDFgetN layouts, round trip --------------------------------------------

@pytest.fixture(scope="module")
def reduction(patterns):
    q, ys = patterns["q"]
    from structkit.core.measurement import Measurement
    m = Measurement(q, ys, x_name="Q", x_unit="1/angstrom", sample="nacl", source="nacl_0001.dat")
    return reduce_pdf(m, **KW)


def _num(*cols):
    return "".join(" ".join(f"{v:.17g}" for v in row) + "\n" for row in zip(*cols))


X3_LABELS = {"gr": "#L r($\\AA$)  G($\\AA^{-2}$)", "fq": "#L Q($\\AA^{-1}$)  F($\\AA^{-1}$)",
             "sq": "#L Q($\\AA^{-1}$)  S", "iq": "#L Q($\\AA^{-1}$)  I"}


def _x3(kind, s, cols):
    head = ("[DEFAULT]\n\nversion = 2.2.1\n\n# input and output specifications\ndataformat = QA\n"
            f"inputfile = nacl_0001.dat\noutputtype = {kind}\n\n# PDF calculation setup\nmode = xray\n"
            f"wavelength = {LAM}\ncomposition = {s['composition']}\nbgscale = 1\n"
            f"rpoly = {s['rpoly']}\nqmaxinst = {s['qmax_inst']}\nqmin = {s['qmin']}\nqmax = {s['qmax']}\n"
            f"rmin = {s['rmin']}\nrmax = {s['rmax']}\nrstep = {s['rstep']}\n\n"
            "# End of config --------------------------------------------------------------\n"
            "#### start data\n#S 1 - PDF from PDFgetX3\n")
    return head + X3_LABELS[kind] + "\n" + _num(*cols)


def _x3_arrays(red, kind):
    return {"gr": (red.r, red.gr), "fq": (red.q, red.fq), "sq": (red.q, red.sq),
            "iq": (red.q, red.intensity)}[kind]


@pytest.mark.parametrize("kind, quantity, convention", [
    ("gr", "G", "G_pdffit"), ("fq", "F", "F_reduced"), ("sq", "S", "S_normalized"), ("iq", "I", "I_measured"),
])
def test_pdfgetx3_files_of_a_reduction_round_trip(tmp_path, reduction, kind, quantity, convention):
    x, y = _x3_arrays(reduction, kind)
    m = read(_write(tmp_path / f"nacl_0001.{kind}", _x3(kind, reduction.settings, (x, y))))
    assert m.meta["format"] == "pdf" and m.technique == "pdf" and m.meta["software"] == "PDFgetX3"
    assert m.meta["quantity"] == quantity and m.meta["convention"] == convention
    assert m.meta["quantity_from"] == "column label"
    assert_array_equal(m.x, x)
    assert_array_equal(m.y, y)
    s = reduction.settings
    assert (m.meta["qmin"], m.meta["qmax"], m.meta["qmaxinst"], m.meta["rpoly"]) == (
        s["qmin"], s["qmax"], s["qmax_inst"], s["rpoly"])
    assert m.meta["composition"] == "NaCl" and m.meta["wavelength_angstrom"] == LAM
    if kind == "gr":                                                    # the reduction's own Measurement agrees
        own = reduction.to_measurement()
        assert (m.meta["quantity"], m.meta["convention"]) == (own.meta["quantity"], own.meta["convention"])
        assert (m.x_unit, m.y_unit) == (own.x_unit, own.y_unit)
        assert abs(_first_peak(reduction) - A / 2) < 0.02


N_HEAD = """History written: Fri Apr 30 14:12:28 2004
produced by
##### Run Information     runCorrection=T
prep=gsas     machine=npdf
run=npdf_01031     background=npdf_00907
temp=300     runTitle=NaCl RT, npdf_01031

##### Sample Material     numElements=2     NormLaue=0.0
Element relAtomNum atomMass atomCoherCS atomIncoherCS atomAbsorpCS
  Na        1.0000   22.990      1.6600        1.6200      0.53000
  Cl        1.0000   35.453     11.5257        5.3000     33.50000
density=     effDensity=2.1650

##### Program Specific Information
## Damp     Qmin=1.0     Qmax=22
##### start data
#O0 rg_int sig_rg_int low_int sig_low_int rmax rhofit
#S 1 - PDF from PDFgetN
#P0   -3.48169    0.30988    0.13070    0.00958    1.50  0.0446
"""


@pytest.mark.parametrize("kind, label, quantity, convention", [
    ("gr", "#L r G(r) dr dG(r)", "G", "G_pdffit"),
    ("sq", "#L Q S(Q) dQ dS(Q)", "S", "S_normalized"),
    ("fq", "#L Q F(Q) dQ dF(Q)", "F", "F_reduced"),
])
def test_pdfgetn_files_round_trip_with_sigma(tmp_path, reduction, kind, label, quantity, convention):
    red = reduction
    x, y, dy = {"gr": (red.r, red.gr, red.gr_stderr), "fq": (red.q, red.fq, red.fq_stderr),
                "sq": (red.q, red.sq, red.fq_stderr / red.q)}[kind]
    dy = np.where(dy > 0, dy, 1e-9)                                     # PDFgetN writes dG > 0
    m = read(_write(tmp_path / f"nacl_0001.{kind}", N_HEAD + label + "\n" + _num(x, y, 0 * x, dy)))
    assert m.meta["software"] == "PDFgetN" and m.meta["mode"] == "neutron"
    assert m.meta["quantity"] == quantity and m.meta["convention"] == convention
    assert (m.meta["qmin"], m.meta["qmax"], m.meta["composition"]) == (1.0, 22.0, "NaCl")
    assert m.meta["header"]["rhofit"] == "0.0446"
    assert_array_equal(m.x, x)
    assert_array_equal(m.y, y)
    assert_array_equal(m.sigma, dy)                                     # dG(r), not the all-zero dr


def test_structkit_g_table_read_back_as_g(tmp_path, reduction):
    """PdfReduction.to_frame() written by write_table (r,G,G_stderr): a plain table, so read() sniffs it as text
    even under a .gr name (plain tables stay text by design); format="pdf" gives G back with its sigma."""
    p = write_table(reduction.to_frame(), tmp_path / "nacl_0001.gr")
    t = read(p)
    assert t.meta["format"] == "text" and "quantity" not in t.meta
    assert (t.x_name, t.y_name) == ("r", "G")
    assert_array_equal(t.sigma, reduction.gr_stderr)
    m = read(p, format="pdf")
    assert m.meta["quantity"] == "G" and m.meta["convention"] == "G_pdffit"
    assert m.meta["quantity_from"] == "column label" and m.technique == "pdf"
    assert_array_equal(m.x, reduction.r)
    assert_array_equal(m.y, reduction.gr)
    assert_array_equal(m.sigma, reduction.gr_stderr)


# -- bad PDF files: every header style and extension names the file ---------------------------------------

R = np.round(np.arange(1, 41) * 0.05, 10)
G = np.sin(3.0 * R) * np.exp(-0.2 * R)
SETTINGS = {"composition": "NaCl", "rpoly": 0.9, "qmax_inst": 23.5, "qmin": 1.0, "qmax": 22.0, "rmin": 0.0,
            "rmax": 2.0, "rstep": 0.05}


def _bad(path, cls, match, line=None):
    with pytest.raises(cls, match=match) as info:
        read(path)
    err = info.value
    assert isinstance(err, StructkitError) and err.path == str(path) and str(path) in str(err)
    if line is not None:
        assert err.line == line
    return err


def _styles(x, y, dy, kind="gr"):
    """The same data as PDFgetX3 (2 columns) and PDFgetN (r G dr dG) would write it."""
    label = {"gr": "#L r G(r) dr dG(r)", "fq": "#L Q F(Q) dQ dF(Q)"}[kind]
    return {"x3": (_x3(kind, SETTINGS, (x, y)), X3_LABELS[kind]),
            "n": (N_HEAD + label + "\n" + _num(x, y, 0 * x, dy), label)}


@pytest.mark.parametrize("ext", [".gr", ".fq", ".sq", ".iq"])
def test_empty_and_blank_files(tmp_path, ext):
    _bad(_write(tmp_path / f"empty{ext}", ""), ReadError, "empty")
    _bad(_write(tmp_path / f"blank{ext}", "\n \n"), ReadError, "empty")


@pytest.mark.parametrize("style", ["x3", "n"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_g(tmp_path, style, bad):
    g = G.copy()
    g[6] = bad
    text, label = _styles(R, g, 0.01 + 0 * R)[style]
    line = text.splitlines().index(label) + 1 + 7                      # 1-based line of row 7
    _bad(_write(tmp_path / f"{style}.gr", text), DataError, r"non-finite value (nan|inf) in column 2", line=line)


def test_nan_uncertainty_of_pdfgetn(tmp_path):
    dg = 0.01 + 0 * R
    dg[3] = np.nan
    text, _ = _styles(R, G, dg)["n"]
    _bad(_write(tmp_path / "n.gr", text), DataError, r"non-finite value nan in column 4 \(dG\(r\)\)")


@pytest.mark.parametrize("style", ["x3", "n"])
@pytest.mark.parametrize("kind", ["gr", "fq"])
def test_non_monotonic_axis(tmp_path, style, kind):
    x = R.copy() * (10 if kind == "fq" else 1)
    x[20], x[21] = x[21], x[20]
    text, _ = _styles(x, G, 0.01 + 0 * R, kind)[style]
    _bad(_write(tmp_path / f"{style}.{kind}", text), DataError, "not monotonic: it turns at index")
    x = np.r_[x[:5], x[4:-1]]                                           # a repeated point
    text, _ = _styles(x, G, 0.01 + 0 * R, kind)[style]
    _bad(_write(tmp_path / f"{style}_rep.{kind}", text), DataError, "repeated value")
