"""Raman and NMR spectrum readers: JASCO, Horiba LabSpec, labelled text, Bruker TopSpin, SPC, WDF.

Synthetic files are written in tmp_path; the real JASCO exports of ../shared/reference_data/raman
(Li2Si4O9 / Na2Si4O9 glass, rampy's notebook data) are read where that folder exists.
"""

import struct
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError, MissingDependencyError, ReadError
from structkit.io import available_formats, read
from structkit.io._spectra import sniff_jasco, sniff_labspec, sniff_spc, sniff_wdf
from structkit.io._text import spectral_label

X = 580.2513 + 0.2 * np.arange(12)
Y = 20000.0 + 1000.0 * np.cos(np.arange(12) / 3.0)


# -- JASCO --------------------------------------------------------------------------------

def jasco_text(x=X, y=Y, *, npoints=None, data_type="RAMAN SPECTRUM", xunits="1/CM", sep="\t",
               extended=True, sample="", rows=None):
    head = [("TITLE", ""), ("DATA TYPE", data_type), ("ORIGIN", "JASCO"), ("OWNER", ""),
            ("DATE", "14/01/10"), ("TIME", "17:38:47"), ("SPECTROMETER/DATA SYSTEM", ""),
            ("LOCALE", "1033"), ("RESOLUTION", ""), ("DELTAX", "0.2"), ("XUNITS", xunits),
            ("YUNITS", "INTENSITY"), ("FIRSTX", f"  {x[0]:.4f}"), ("LASTX", f" {x[-1]:.4f}"),
            ("NPOINTS", f"    {len(x) if npoints is None else npoints}"), ("FIRSTY", f" {y[0]:.5f}")]
    lines = [f"{k}{sep}{v}" for k, v in head] + ["XYDATA"]
    lines += rows if rows is not None else [f"{a:.4f}{sep}{b:.17g}" for a, b in zip(x, y)]
    if extended:
        lines += ["", "##### Extended Information", "[Comments]", f"Sample name{sep}{sample}",
                  f"Comment{sep}", "User", "Division", f"Company{sep}User", "",
                  "[Detailed Information]", f"Creation date{sep}1/10/2014 6:38 PM", "",
                  f"Horizontal axis{sep}Raman Shift [cm-1]", f"Vertical axis{sep}Int.",
                  f"Data points{sep}{len(x)}    ", "", "[Measurement Information]",
                  f"Model Name{sep}NRS-3100", f"Serial Number{sep}B008561032", "",
                  f"Exposure{sep}300 sec", f"Accumulation{sep}3", f"Valid Channel{sep}1 - 1024",
                  f"Laser wavelength{sep}490.20 nm", f"1/2 plate{sep}Not fitted",
                  f"CCD temperature{sep}-69.0 C", f"Shift{sep}9.00 cm-1", ""]
    return "\r\n".join(lines) + "\r\n"


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_jasco_reads_every_row_and_the_extended_block(tmp_path):
    p = write(tmp_path, "LS4.txt", jasco_text(sample="LS4-glass"))
    m = read(p)
    assert m.meta["format"] == "jasco"
    assert (m.x_name, m.x_unit, m.y_name, m.technique) == ("raman_shift", "cm-1", "intensity", "raman")
    assert len(m) == 12 and m.meta["npoints"] == 12
    assert_allclose(m.x, np.round(X, 4))
    assert m.y[0] == pytest.approx(Y[0], rel=1e-15)          # the first row is kept
    assert_allclose(m.y, Y, rtol=1e-15)
    meta = m.meta
    assert meta["laser_wavelength_nm"] == 490.2 and meta["exposure_s"] == 300.0
    assert meta["accumulations"] == 3 and meta["instrument"] == "NRS-3100"
    assert (meta["date"], meta["time"], meta["data_type"]) == ("14/01/10", "17:38:47", "RAMAN SPECTRUM")
    assert meta["header"]["FIRSTX"] == pytest.approx(X[0], abs=1e-4)
    assert meta["extended"]["Measurement Information"]["CCD temperature"] == "-69.0 C"
    assert meta["extended"]["Detailed Information"]["Horizontal axis"] == "Raman Shift [cm-1]"
    assert m.sample == "LS4-glass" and m.temperature_K is None   # CCD temperature is no condition


def test_jasco_descending_axis_is_reversed(tmp_path):
    m = read(write(tmp_path, "a.txt", jasco_text(X[::-1], Y[::-1], extended=False)))
    assert_allclose(m.x, np.round(X, 4))
    assert_allclose(m.y, Y, rtol=1e-15)
    assert m.sample == "a" and "extended" not in m.meta


def test_jasco_csv_export_and_wavelength_axis(tmp_path):
    wl = 300.0 + np.arange(6.0)
    text = jasco_text(wl, np.arange(6.0), data_type="UV/VIS SPECTRUM", xunits="NANOMETERS",
                      sep=",", extended=False)
    p = write(tmp_path, "uv.csv", text)
    m = read(p)
    assert m.meta["format"] == "jasco"
    assert (m.x_name, m.x_unit, m.technique) == ("wavelength", "nm", "")
    assert_allclose(m.y, np.arange(6.0))


def test_jasco_y_column_for_multichannel_exports(tmp_path):
    rows = [f"{a:.4f}\t{b}\t{b * 10}" for a, b in zip(X, range(12))]
    p = write(tmp_path, "cd.txt", jasco_text(rows=rows, extended=False))
    assert_allclose(read(p).y, np.arange(12.0))
    m = read(p, column=2)
    assert_allclose(m.y, 10.0 * np.arange(12))
    assert m.meta["n_columns"] == 3
    with pytest.raises(ConfigError, match="column=3"):
        read(p, column=3)


def test_jasco_npoints_mismatch_names_the_file(tmp_path):
    p = write(tmp_path, "cut.txt", jasco_text(npoints=3990, extended=False))
    with pytest.raises(ReadError, match=r"cut\.txt: NPOINTS says 3990 points but 12 data rows"):
        read(p)
    p = write(tmp_path, "bad.txt", jasco_text(npoints="many", extended=False))
    with pytest.raises(ReadError, match=r"bad\.txt, line 15: NPOINTS is 'many'"):
        read(p)


@pytest.mark.parametrize("bad, error, match", [
    ("nan", DataError, r"line 24: non-finite value nan in column 2"),
    ("abc", ReadError, r"line 24: text 'abc' in numeric column 2"),
])
def test_jasco_bad_value_names_the_line(tmp_path, bad, error, match):
    rows = [f"{a:.4f}\t{b}" for a, b in zip(X, Y)]
    rows[6] = f"{X[6]:.4f}\t{bad}"
    with pytest.raises(error, match=match):
        read(write(tmp_path, "a.txt", jasco_text(rows=rows)))


def test_jasco_repeated_x_and_turning_axis(tmp_path):
    x = X.copy()
    x[5] = x[4]
    with pytest.raises(DataError, match=r"a\.txt, line 23: raman_shift has a repeated value"):
        read(write(tmp_path, "a.txt", jasco_text(x, Y)))
    x = np.concatenate([X[:6], X[:6][::-1] - 0.05])
    with pytest.raises(DataError, match="not monotonic"):
        read(write(tmp_path, "b.txt", jasco_text(x, Y)))


def test_jasco_structural_errors(tmp_path):
    with pytest.raises(ReadError, match="no data rows after XYDATA"):
        read(write(tmp_path, "a.txt", jasco_text(rows=[], extended=False)), format="jasco")
    with pytest.raises(ReadError, match=r"line 18: no data rows after XYDATA"):
        read(write(tmp_path, "b.txt", jasco_text(rows=["x\ty"] + [f"{a}\t1" for a in X])),
             format="jasco")
    with pytest.raises(ReadError, match="no XYDATA line"):
        read(write(tmp_path, "c.txt", "TITLE\tx\nXUNITS\t1/CM\n1\t2\n2\t3\n3\t4\n"), format="jasco")
    rows = [f"{a:.4f}\t{b}" for a, b in zip(X, Y)]
    text = jasco_text(rows=rows) + "\r\n".join(rows[:3]) + "\r\n"
    with pytest.raises(ReadError, match="a data row after the trailing metadata block"):
        read(write(tmp_path, "d.txt", text))
    rows[4] = f"{X[4]:.4f}\t1\t2"
    with pytest.raises(ReadError, match=r"line 22: 3 values where the other rows have 2"):
        read(write(tmp_path, "e.txt", jasco_text(rows=rows)))
    with pytest.raises(ReadError, match="file is empty"):
        read(write(tmp_path, "f.txt", ""))
    with pytest.raises(ReadError, match="file is empty"):
        read(write(tmp_path, "g.txt", "\r\n  \r\n"), format="jasco")
    text = jasco_text().replace("Data points\t12", "Data points\t13")
    with pytest.raises(ReadError, match="Extended Information says 13 data points but 12"):
        read(write(tmp_path, "h.txt", text))


def test_jasco_sniffer_only_takes_jasco_headers():
    assert sniff_jasco(jasco_text().encode())
    assert sniff_jasco(jasco_text(sep=",").encode())
    assert not sniff_jasco(b"# r [A]  G\nXYDATA\n1 2\n")
    assert not sniff_jasco(b"Title: a spectrum\nXUNITS\t1/CM\nXYDATA\n1\t2\n")   # a lower-case key
    assert not sniff_jasco(b"TITLE\tx\nDATE\ty\nXYDATA\n1\t2\n")   # no XUNITS/NPOINTS/FIRSTX
    assert not sniff_jasco(b"100\t5\n101\t6\n")


# -- Horiba LabSpec ---------------------------------------------------------------------------

SHIFT = np.linspace(1800.0, 100.0, 40)   # LabSpec writes high to low
COUNTS = 500.0 + 300.0 * np.exp(-((SHIFT - 1000.0) / 30.0) ** 2)

LABSPEC_HEAD = ["#Acq. time (s)=\t10", "#Accumulations=\t2", "#Range (cm-¹)=\t100...1800",
                "#Windows=\t3", "#Auto scanning=\tOff", "#Spike filter=\tMultiple accum.",
                "#Detector temperature (°C)=\t-60", "#Instrument=\tLabRAM HR Evol",
                "#Objective=\tx50_LWD_VIS", "#Grating=\t600 (500nm)", "#Laser=\t532nm_Edge",
                "#Laser (nm)=\t532.04", "#Spectro (cm-¹)=\t1500.11", "#Date=\t11.06.2019 14:25",
                "#Title=\tLi3PS4 pellet", "#Remark=\t"]


def labspec_text(x=SHIFT, y=COUNTS, head=LABSPEC_HEAD):
    return "\r\n".join(list(head) + [f"{a:.6f}\t{b:.17g}" for a, b in zip(x, y)]) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_labspec_reads_header_and_sorts_ascending(tmp_path, encoding):
    m = read(write(tmp_path, "LPS_532.txt", labspec_text(), encoding))
    assert m.meta["format"] == "labspec"
    assert (m.x_name, m.x_unit, m.y_name, m.technique) == ("raman_shift", "cm-1", "intensity", "raman")
    assert_allclose(m.x, np.round(SHIFT[::-1], 6))
    assert_allclose(m.y, COUNTS[::-1], rtol=1e-15)
    meta = m.meta
    assert (meta["laser_wavelength_nm"], meta["exposure_s"], meta["accumulations"]) == (532.04, 10.0, 2)
    assert (meta["title"], meta["instrument"], meta["grating"]) == ("Li3PS4 pellet", "LabRAM HR Evol",
                                                                    "600 (500nm)")
    assert meta["header"]["Detector temperature (°C)"] == -60.0
    assert m.temperature_K is None


def test_labspec_axis_units(tmp_path):
    head = ["#Acq. time (s)=\t1", "#Laser=\t633nm", "#AxisType[0]=\tIntens", "#AxisUnit[0]=\tCnt",
            "#AxisType[1]=\tSpectr", "#AxisUnit[1]=\tnm"]
    m = read(write(tmp_path, "pl.txt", labspec_text(np.linspace(700, 600, 30), np.ones(30), head)))
    assert (m.x_name, m.x_unit, m.y_unit, m.technique) == ("wavelength", "nm", "counts", "")
    assert m.meta["laser_wavelength_nm"] == 633.0
    head = ["#Acq. time (s)=\t1", "#Accumulations=\t5"]   # no unit anywhere: not guessed
    p = write(tmp_path, "n.txt", labspec_text(head=head))
    m = read(p)
    assert (m.x_name, m.x_unit, m.technique) == ("x", "", "")
    assert "x_unit=" in m.meta["x_unit_note"]
    m = read(p, x_name="raman_shift", x_unit="cm-1")
    assert (m.x_label, m.technique) == ("raman_shift (cm-1)", "raman")


def test_labspec_errors(tmp_path):
    y = COUNTS.copy()
    y[3] = np.nan
    with pytest.raises(DataError, match=r"a\.txt, line 20: non-finite value nan"):
        read(write(tmp_path, "a.txt", labspec_text(y=y)))
    x = SHIFT.copy()
    x[10] = x[9]
    with pytest.raises(DataError, match=r"b\.txt, line 27: x has a repeated value|b\.txt, line 27: "
                                        "raman_shift has a repeated value"):
        read(write(tmp_path, "b.txt", labspec_text(x=x)))
    rows = "\r\n".join(LABSPEC_HEAD + [f"{a}\t1\t2" for a in SHIFT]) + "\r\n"
    with pytest.raises(ReadError, match="3 numeric columns: only single-spectrum LabSpec"):
        read(write(tmp_path, "c.txt", rows))
    with pytest.raises(ReadError, match="no numeric data rows"):
        read(write(tmp_path, "d.txt", "\r\n".join(LABSPEC_HEAD) + "\r\n"), format="labspec")


def test_labspec_sniffer_and_headerless_exports(tmp_path):
    assert sniff_labspec(labspec_text().encode())
    assert not sniff_labspec(b"# wavelength = 1.5406\n# two_theta intensity\n10 5\n")
    assert not sniff_labspec(b"#Laser=532\n1 2\n")   # one LabSpec key is not enough
    m = read(write(tmp_path, "bare.txt", labspec_text(head=[])))   # no header: the generic reader
    assert m.meta["format"] == "text"
    assert_allclose(m.x, np.round(SHIFT[::-1], 6))


# -- labelled text (the generic reader) ---------------------------------------------------------

@pytest.mark.parametrize("label, technique, expected", [
    ("Raman Shift (cm-1)", "", ("raman_shift", "cm-1")),
    ("Raman shift/cm-1", "", ("raman_shift", "cm-1")),
    ("Raman Shift (cm-¹)", "", ("raman_shift", "cm-1")),
    ("Wavenumber [cm^-1]", "", ("wavenumber", "cm-1")),
    ("Wavenumber [cm^-1]", "raman", ("raman_shift", "cm-1")),
    ("wavenumber (1/cm)", "", ("wavenumber", "cm-1")),
    ("ppm", "", ("chemical_shift", "ppm")),
    ("Chemical shift (ppm)", "", ("chemical_shift", "ppm")),
    ("δ (ppm)", "", ("chemical_shift", "ppm")),
    ("Hz", "", ("frequency", "Hz")),
    ("Frequency (Hz)", "", ("frequency", "Hz")),
    ("Intensity (a.u.)", "", ("intensity", "a.u.")),
    ("Int.", "", ("intensity", "")),
    ("two_theta (deg)", "", ("two_theta", "deg")),
    ("freq/Hz", "", ("freq", "Hz")),
    ("G(r)", "", ("G(r)", "")),
])
def test_spectral_label(label, technique, expected):
    assert spectral_label(label, technique) == expected


def test_text_raman_spectrum_with_free_header_and_trailing_block(tmp_path):
    lines = ["LLZO pellet, 532 nm excitation, 10 s x 3", "Sample: LLZO-3",
             "Raman Shift (cm-1)\tIntensity (a.u.)"]
    lines += [f"{a:.3f}\t{b:.6f}" for a, b in zip(SHIFT, COUNTS)]
    lines += ["", "[Acquisition]", "Laser: 532 nm", "Exposure\t10 s", "Accumulations: 3"]
    m = read(write(tmp_path, "llzo.txt", "\n".join(lines) + "\n"))
    assert m.meta["format"] == "text"
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit, m.technique) == ("raman_shift", "cm-1", "intensity",
                                                                     "a.u.", "raman")
    assert len(m) == SHIFT.size and m.x[0] < m.x[-1]
    assert (m.meta["Laser"], m.meta["Exposure"], m.meta["Accumulations"]) == ("532 nm", "10 s", 3.0)
    assert m.meta["footer"][0] == "[Acquisition]"
    assert m.sample == "LLZO-3"


@pytest.mark.parametrize("header, expected", [
    ("ppm,intensity", ("chemical_shift", "ppm", "nmr")),
    ("Hz,intensity", ("frequency", "Hz", "")),
    ("Wavenumber [cm^-1],Intensity (a.u.)", ("wavenumber", "cm-1", "")),
])
def test_text_nmr_and_ir_labels(tmp_path, header, expected):
    rows = [f"{v},{i}" for i, v in enumerate(np.linspace(10.0, -5.0, 16))]
    m = read(write(tmp_path, "s.csv", "\n".join([header] + rows) + "\n"))
    assert (m.x_name, m.x_unit, m.technique) == expected
    assert m.x[0] == -5.0 and m.y[0] == 15.0


def test_text_technique_hint_names_a_wavenumber_axis_raman_shift(tmp_path):
    rows = [f"{v},{i}" for i, v in enumerate(np.linspace(100.0, 400.0, 8))]
    p = write(tmp_path, "r.csv", "\n".join(["Wavenumber [cm^-1],counts"] + rows) + "\n")
    m = read(p, technique="raman")
    assert (m.x_name, m.x_unit, m.technique) == ("raman_shift", "cm-1", "raman")


# -- Bruker TopSpin ------------------------------------------------------------------------------

def _jcamp(params):
    lines = ["##TITLE= Parameter file, TopSpin 4.1.4", "##JCAMPDX= 5.0", "$$ /opt/data/llzo/10/pdata/1",
             "##$GPNAM= (0..3)", "<sine.100> <sine.100> <sine.100> <sine.100>"]
    for key, value in params.items():
        lines.append(f"##${key}= {value}")
    return "\n".join(lines + ["##END="]) + "\n"


def make_topspin(root, *, si=16, offset=5.0, sw_p=4000.0, sf=155.5, nc=-2, dtypp=0, bytordp=0,
                 values=None, procno="1", nuc="<7Li>", te=298.2, extra_procs=None):
    expno = root / "LLZO_7Li" / "10"
    pdata = expno / "pdata" / procno
    pdata.mkdir(parents=True, exist_ok=True)
    procs = {"SI": si, "OFFSET": offset, "SW_p": sw_p, "SF": sf, "NC_proc": nc, "DTYPP": dtypp,
             "BYTORDP": bytordp, "AXNUC": "<7Li>", "PPARMOD": 0}
    procs.update(extra_procs or {})
    (pdata / "procs").write_text(_jcamp(procs))
    (expno / "acqus").write_text(_jcamp({"NUC1": nuc, "SFO1": 155.5021, "BF1": 155.5, "TE": te,
                                         "PULPROG": "<zg>", "NS": 64, "MASR": 10000, "DATE": 1700000000}))
    (pdata / "title").write_text("LLZO 7Li MAS 10 kHz\n")
    if values is None:
        values = np.arange(si, dtype=float) * 100 - 300
    dtype = ("<" if bytordp == 0 else ">") + ("f8" if dtypp == 2 else "i4")
    (pdata / "1r").write_bytes(np.asarray(values).astype(dtype).tobytes())
    return expno, pdata


def test_topspin_axis_values_and_meta(tmp_path):
    expno, pdata = make_topspin(tmp_path)
    m = read(pdata)
    assert m.meta["format"] == "topspin"
    assert (m.x_name, m.x_unit, m.y_name, m.technique) == ("chemical_shift", "ppm", "intensity", "nmr")
    ppm = 5.0 - np.arange(16) * 4000.0 / (155.5 * 16)      # as stored: high to low
    assert_allclose(m.x, ppm[::-1], rtol=0, atol=1e-12)
    assert m.x[-1] == 5.0                                  # OFFSET is the first stored point
    assert_allclose(m.y, ((np.arange(16) * 100 - 300) * 0.25)[::-1])   # 2**NC_proc
    meta = m.meta
    assert (meta["nucleus"], meta["larmor_MHz"], meta["spectral_width_Hz"]) == ("7Li", 155.5, 4000.0)
    assert (meta["mas_rate_Hz"], meta["pulprog"], meta["ns"]) == (10000.0, "zg", 64)
    assert (meta["dataset"], meta["expno"], meta["procno"]) == ("LLZO_7Li", "10", "1")
    assert meta["title"] == "LLZO 7Li MAS 10 kHz" and meta["acquired"].startswith("2023-11-14")
    assert m.sample == "LLZO_7Li" and m.temperature_K == pytest.approx(298.2)
    for other in (pdata / "1r", expno, str(pdata)):        # the 1r file and the experiment folder too
        m2 = read(other)
        assert_array_equal(m2.x, m.x) and assert_array_equal(m2.y, m.y)
    assert_array_equal(read(pdata, format="topspin").y, m.y)


def test_topspin_float64_big_endian(tmp_path):
    vals = np.sin(np.arange(32) / 4.0) * 1e6
    _, pdata = make_topspin(tmp_path, si=32, dtypp=2, bytordp=1, nc=0, values=vals, offset=200.0,
                            sw_p=50000.0, sf=79.5)
    m = read(pdata)
    assert_allclose(m.y, vals[::-1], rtol=1e-15)
    assert m.x[0] == pytest.approx(200.0 - 31 * 50000.0 / (79.5 * 32))


def test_topspin_errors(tmp_path):
    _, pdata = make_topspin(tmp_path / "a", si=20, values=np.ones(16))
    with pytest.raises(ReadError, match=r"1r: 1r holds 64 bytes but procs says SI=20 int32 points"):
        read(pdata)
    _, pdata = make_topspin(tmp_path / "b", extra_procs={"SF": "<none>"})
    with pytest.raises(ReadError, match=r"procs: no numeric SF in procs"):
        read(pdata)
    _, pdata = make_topspin(tmp_path / "c", dtypp=2, values=np.r_[np.ones(15), np.nan], nc=0)
    with pytest.raises(DataError, match=r"1r: 1r holds 1 non-finite value\(s\), first at point 15"):
        read(pdata)
    _, pdata = make_topspin(tmp_path / "d", extra_procs={"DTYPP": 1})
    with pytest.raises(ReadError, match="DTYPP=1"):
        read(pdata)
    _, pdata = make_topspin(tmp_path / "e")
    (pdata / "1r").rename(pdata / "2rr")
    with pytest.raises(ReadError, match="2-D processed data"):
        read(pdata)
    (pdata / "2rr").unlink()
    with pytest.raises(ReadError, match="no 1r file next to procs"):
        read(pdata)
    _, pdata = make_topspin(tmp_path / "f", sw_p=0)
    with pytest.raises(ReadError, match="must be"):
        read(pdata)
    with pytest.raises(ReadError, match="is a folder, not a file"):
        read(tmp_path)                                      # a folder that is no TopSpin data set


def test_topspin_experiment_with_several_procnos(tmp_path):
    expno, _ = make_topspin(tmp_path)
    make_topspin(tmp_path, procno="2")
    with pytest.raises(ReadError, match=r"2 processed data sets \(pdata/1, pdata/2\); pass procno="):
        read(expno)
    assert read(expno, procno=2).meta["procno"] == "2"
    with pytest.raises(ConfigError, match="procno=3"):
        read(expno, procno=3)


# -- SPC (spc-io) ---------------------------------------------------------------------------------

def spc_bytes(y, first=100.0, last=200.0, *, xtype=13, ytype=4, fexper=11, subfiles=1, x=None):
    from spc_io.high_level import SPC, EvenAxis
    spc = SPC(xarray=EvenAxis(first, last, len(y)) if x is None else np.asarray(x, dtype=float),
              log_book=__import__("spc_io.high_level", fromlist=["LogBook"]).LogBook(
                  text={"Operator": "AB", "Laser": 785}))
    for k in range(subfiles):
        spc.add_subfile(yarray=np.asarray(y, dtype=float) + k)
    data = bytearray(spc.to_spc_raw().to_bytes())
    data[2], data[28], data[29] = fexper, xtype, ytype
    data[88:88 + 13] = b"LLZO 785 nm\x00\x00"
    return bytes(data)


def test_spc_reads_a_raman_spectrum(tmp_path):
    pytest.importorskip("spc_io")
    y = np.linspace(1.0, 2.0, 11) ** 2
    p = tmp_path / "a.spc"
    p.write_bytes(spc_bytes(y, 300.0, 100.0))              # descending x
    m = read(p)
    assert m.meta["format"] == "spc"
    assert (m.x_name, m.x_unit, m.y_unit, m.technique) == ("raman_shift", "cm-1", "counts", "raman")
    assert_allclose(m.x, np.linspace(100.0, 300.0, 11))
    assert_allclose(m.y, y[::-1], rtol=1e-6)               # float32 storage
    assert m.meta["comment"] == "LLZO 785 nm" and m.meta["log"]["Operator"] == "AB"
    p.write_bytes(spc_bytes(y, xtype=10, fexper=10))
    m = read(p)
    assert (m.x_name, m.x_unit, m.technique) == ("chemical_shift", "ppm", "nmr")


def test_spc_subfiles_and_refusals(tmp_path):
    pytest.importorskip("spc_io")
    p = tmp_path / "multi.spc"
    p.write_bytes(spc_bytes(np.ones(5), subfiles=3))
    with pytest.raises(ReadError, match=r"holds 3 spectra \(subfiles\); choose one with spectrum=0..2"):
        read(p)
    assert_allclose(read(p, spectrum=2).y, 3.0)
    with pytest.raises(ConfigError, match="spectrum=5"):
        read(p, spectrum=5)
    old = bytearray(spc_bytes(np.ones(5)))
    old[1] = 0x4D
    p.write_bytes(bytes(old))
    with pytest.raises(ReadError, match=r"old-format \(0x4D\) SPC is not supported"):
        read(p, format="spc")
    p.write_bytes(spc_bytes(np.ones(5))[:600])
    with pytest.raises(ReadError, match="not a readable SPC file"):
        read(p)


def test_spc_sniffer():
    assert not sniff_spc(b"PK\x03\x04" + bytes(600))
    assert not sniff_spc(b"1\t2\n" * 200)
    pytest.importorskip("spc_io")
    assert sniff_spc(spc_bytes(np.ones(5))[:8192])


def test_spc_without_spc_io_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "spc_io", None)
    monkeypatch.setitem(sys.modules, "spc_io.high_level", None)
    monkeypatch.setitem(sys.modules, "spc_io.low_level", None)
    p = tmp_path / "a.spc"
    p.write_bytes(b"\x00K" + bytes(600))
    with pytest.raises(MissingDependencyError, match=r"structkit\[spc\]"):
        read(p)


# -- WDF (renishaw-wdf) ------------------------------------------------------------------------------

def wdf_bytes(x, spectra, *, x_units=1, laser_nm=532.0, title="LLZO map"):
    spectra = np.atleast_2d(np.asarray(spectra, dtype="<f4"))
    nspec, npoints = spectra.shape
    header = struct.pack("<IIQQ16s12x IIIQQI III24s4H IIQQI f48x32s160s 48x32x32x",
                         0x31464457, 1, 512, 0, bytes(16), 1, 0, npoints, nspec, nspec, 3,
                         1, npoints, 0, b"WiRE", 5, 3, 0, 1, 1, 1 if nspec == 1 else 3, 0, 0, 6,
                         1e7 / laser_nm, b"tester", title.encode())
    data = spectra.tobytes()
    blocks = struct.pack("<IIQ", 0x41544144, 0, 16 + len(data)) + data
    xl = struct.pack("<II", 19, x_units) + np.asarray(x, dtype="<f4").tobytes()
    blocks += struct.pack("<IIQ", 0x54534c58, 0, 16 + len(xl)) + xl
    yl = struct.pack("<II", 3, 16) + struct.pack("<f", 0.0)
    blocks += struct.pack("<IIQ", 0x54534c59, 0, 16 + len(yl)) + yl
    return header + blocks


def test_wdf_reads_a_single_spectrum(tmp_path):
    pytest.importorskip("wdf")
    x = np.linspace(1800.0, 100.0, 50)                   # WiRE x-lists run high to low
    y = np.cos(x / 100.0) + 2.0
    p = tmp_path / "s.wdf"
    p.write_bytes(wdf_bytes(x, y))
    m = read(p)
    assert m.meta["format"] == "wdf"
    assert (m.x_name, m.x_unit, m.y_unit, m.technique) == ("raman_shift", "cm-1", "counts", "raman")
    assert_allclose(m.x, x[::-1].astype(np.float32))
    assert_allclose(m.y, y[::-1], rtol=1e-6)
    assert (m.meta["laser_wavelength_nm"], m.meta["title"], m.meta["accumulations"]) == (532.0, "LLZO map", 3)


def test_wdf_maps_need_spectrum(tmp_path):
    pytest.importorskip("wdf")
    x = np.linspace(100.0, 1800.0, 20)
    p = tmp_path / "map.wdf"
    p.write_bytes(wdf_bytes(x, [np.ones(20), 2 * np.ones(20)], x_units=3))
    with pytest.raises(ReadError, match=r"2 spectra \(a map or series\); choose one with spectrum=0..1"):
        read(p)
    m = read(p, spectrum=1)
    assert (m.x_name, m.x_unit, m.technique) == ("wavelength", "nm", "")
    assert_allclose(m.y, 2.0)
    p.write_bytes(wdf_bytes(x, np.ones(20))[:530])
    with pytest.raises(ReadError, match="not a readable WDF file"):
        read(p)


def test_wdf_without_renishaw_wdf_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wdf", None)
    p = tmp_path / "a.wdf"
    p.write_bytes(b"WDF1\x01\x00\x00\x00" + bytes(600))
    assert sniff_wdf(p.read_bytes())
    with pytest.raises(MissingDependencyError, match=r"structkit\[wdf\]"):
        read(p)


def test_spectra_formats_are_registered():
    formats = available_formats()
    for name in ("jasco", "labspec", "topspin", "spc", "wdf"):
        assert name in formats
    assert formats["spc"] == (".spc",) and formats["wdf"] == (".wdf",)


# -- the real JASCO exports (rampy's LS4 / NS4) ----------------------------------------------------

@pytest.mark.reference_data
def test_reference_ls4_jasco_export(reference_data):
    m = read(reference_data / "raman" / "LS4.txt")
    assert m.meta["format"] == "jasco" and m.technique == "raman"
    assert (m.x_name, m.x_unit, m.y_name) == ("raman_shift", "cm-1", "intensity")
    assert len(m) == 3988 == m.meta["npoints"]             # every row, the first one too
    assert (m.x[0], m.y[0]) == (580.2513, 28873.7)
    assert (m.x[1], m.y[1]) == (580.4513, 29010.8)
    assert m.x[-1] == 1377.6512
    assert m.meta["laser_wavelength_nm"] == 490.2 and m.meta["exposure_s"] == 300.0
    assert (m.meta["accumulations"], m.meta["instrument"], m.meta["date"]) == (3, "NRS-3100", "14/01/10")
    assert set(m.meta["extended"]) == {"Comments", "Detailed Information", "Measurement Information"}
    assert m.sample == "LS4"


@pytest.mark.reference_data
def test_reference_ns4_is_a_bare_two_column_file(reference_data):
    # the shared NS4.txt has no JASCO header or trailing block (unlike LS4): two columns only
    m = read(reference_data / "raman" / "NS4.txt")
    assert m.meta["format"] == "text"
    assert len(m) == 3988
    assert (m.x[0], m.y[0], m.x[-1], m.y[-1]) == (580.4009, 22628.3, 1377.8009, 3469.47)
    m = read(reference_data / "raman" / "NS4.txt", x_name="raman_shift", x_unit="cm-1", technique="raman")
    assert m.x_label == "raman_shift (cm-1)"
