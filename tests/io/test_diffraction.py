"""Powder-diffraction readers: GSAS raw + .prm, PANalytical .xrdml, Fit2D/pyFAI .chi, pyFAI .xy.

Every reader gives 2θ in degrees ascending, intensity in counts, technique "xrd",
and what the file says about the wavelength, instrument and temperature.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError, ReadError
from structkit.io import read, read_gsas_prm
from structkit.xrd.profiles import caglioti_fwhm, lorentz_fwhm

CRLF = "\r\n"


def _write(path, text, newline="\n"):
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def _check_xrd(m, fmt):
    assert m.meta["format"] == fmt
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit, m.technique) == (
        "two_theta", "deg", "intensity", "counts", "xrd")
    assert np.all(np.diff(m.x) > 0)


def _raises(path, cls, match, line=None, **hints):
    with pytest.raises(cls, match=match) as info:
        read(path, **hints)
    assert info.value.path == str(path)
    assert info.value.line == line
    return info.value


# -- GSAS raw data: the real PbSO4 files -------------------------------------------------------

@pytest.fixture(scope="module")
def xrd_ref(reference_data):
    return reference_data / "xrd"


@pytest.mark.reference_data
def test_pbso4_xra_lab_cu_std(xrd_ref):
    m = read(xrd_ref / "PBSO4.XRA")
    _check_xrd(m, "gsas")
    assert len(m) == 6001 and m.meta["gsas_data_type"] == "STD" and m.meta["bank"] == 1
    assert m.x[0] == 10.0 and m.x[-1] == 160.0  # (1000 + 6000 * 2.5) / 100
    assert_allclose(np.diff(m.x), 0.025, rtol=1e-9)
    # file line 3 (first record), line 5 (third record) and the last record, as printed in the file
    assert_array_equal(m.y[:10], [179, 147, 165, 172, 150, 165, 150, 158, 134, 146])
    assert_array_equal(m.y[20:30], [154, 131, 144, 131, 140, 147, 155, 148, 140, 138])
    assert_array_equal(m.y[-4:], [374, 352, 328, 368])  # 368 is point 6001; 9 zeros of padding follow
    assert_allclose(m.sigma, np.sqrt(m.y))
    assert m.sample == "PBSO4" and m.meta["title"].startswith("10.000   0.025 159.00")
    assert "gsas_ignored_lines" not in m.meta


@pytest.mark.reference_data
def test_pbso4_cwn_neutron_std_with_counter_numbers(xrd_ref):
    m = read(xrd_ref / "PBSO4.CWN")
    _check_xrd(m, "gsas")
    assert len(m) == 2919 and m.x[0] == 10.0 and m.x[-1] == pytest.approx(155.9, abs=1e-12)
    assert_allclose(np.diff(m.x), 0.05, rtol=1e-9)
    assert_array_equal(m.y[:4], [220, 214, 219, 224])
    # file line 7: " 1   227 2   211 2   193": two counters averaged from point 42 on
    assert_array_equal(m.y[40:43], [227, 211, 193])
    assert_allclose(m.sigma[40:43], [math.sqrt(227), math.sqrt(211 / 2), math.sqrt(193 / 2)])
    assert m.y[-1] == 450
    # the file repeats its last record (line 295) after the 292 the BANK line announces
    assert m.meta["gsas_ignored_lines"] == [295]
    assert "line 295" in m.meta["gsas_note"]


@pytest.mark.reference_data
def test_pbso4_with_its_instrument_parameter_file(xrd_ref):
    m = read(xrd_ref / "PBSO4.XRA", instprm=xrd_ref / "INST_XRY.PRM")
    assert (m.meta["wavelength_angstrom"], m.meta["wavelength2_angstrom"], m.meta["ka2_ratio"]) == (
        1.5405, 1.5443, 0.5)
    assert (m.meta["radiation"], m.meta["anode"], m.meta["polarization"]) == ("x-ray", "Cu", 0.7)
    n = read(xrd_ref / "PBSO4.CWN", instprm=xrd_ref / "inst_d1a.prm")
    assert n.meta["wavelength_angstrom"] == 1.909 and n.meta["radiation"] == "neutron"
    assert "wavelength2_angstrom" not in n.meta and n.meta["zero_deg"] == pytest.approx(-0.001)


# -- GSAS raw data: every record type ----------------------------------------------------------

def _std_records(counts, ncount=None):
    fields = [f"{'' if not ncount else ncount[i]:>2}{c:6d}" for i, c in enumerate(counts)]
    return "\n".join("".join(fields[i:i + 10]) for i in range(0, len(fields), 10))


COUNTS = [12, 15, 0, 30, 44, 61, 33, 20, 14, 11, 9, 8, 7]


def test_std_with_instrument_line_comments_and_crlf(tmp_path):
    text = ("LLZO lab scan\nInstrument parameter file: missing.prm\n# Temperature: 100 K\n"
            "# operator = A. N. Other\n"
            f"BANK 1 {len(COUNTS)} 2 CONST 500.0 2.0 0 0 STD\n" + _std_records(COUNTS) + "\n")
    m = read(_write(tmp_path / "llzo.gsa", text, CRLF))
    _check_xrd(m, "gsas")
    assert_allclose(m.x, (500 + 2.0 * np.arange(13)) / 100)
    assert_array_equal(m.y, COUNTS)
    assert m.sigma[2] == 1.0  # zero count: sqrt(max(0, 1))
    assert m.temperature_K == 100.0 and m.meta["conditions_from"]["temperature_K"] == "header"
    assert m.meta["operator"] == "A. N. Other"
    assert m.meta["instrument_parameter_file"] == "missing.prm"
    assert "not used" in m.meta["instprm_note"]


def test_std_bank_line_without_type_and_counter_numbers(tmp_path):
    text = "t\nBANK 1 3 1 CONST 1000 5 0 0\n" + _std_records([100, 90, 80], [" 1", " 4", " 0"]) + "\n"
    m = read(_write(tmp_path / "a.gsas", text))
    assert_allclose(m.sigma, [10.0, math.sqrt(90 / 4), math.sqrt(80)])


def test_instrument_file_named_in_the_header_is_used(tmp_path):
    _write(tmp_path / "inst.prm", PRM_XRAY)
    text = "t\nInstrument parameter file:inst.prm\nBANK 1 3 1 CONST 1000 5 0 0 STD\n" + \
        _std_records([1, 2, 3]) + "\n"
    m = read(_write(tmp_path / "a.gsa", text))
    assert m.meta["wavelength_angstrom"] == 1.5405 and m.meta["ka2_ratio"] == 0.5
    assert m.meta["instrument_parameters"] == str(tmp_path / "inst.prm")


def test_esd_records(tmp_path):
    y, e = [120.5, 130.0, 125.25, 99.0, 80.0, 70.0], [11.0, 11.4, 11.2, 9.9, 8.9, 8.4]
    pairs = "".join(f"{a:8.2f}{b:8.2f}" for a, b in zip(y, e))
    text = f"t\nBANK 1 6 2 CONST 1000.0 2.0 0 0 ESD\n{pairs[:80]}\n{pairs[80:]}\n"
    m = read(_write(tmp_path / "a.gsa", text))
    assert_allclose(m.y, y)
    assert_allclose(m.sigma, e)
    assert m.meta["gsas_data_type"] == "ESD"


def test_alt_records_scaled_as_gsas_ii(tmp_path):
    tt, y, e = [10.0, 10.02, 10.04, 10.06, 10.08], [12.5, 13.0, 14.0, 15.0, 16.0], [3.5, 3.6, 3.7, 3.8, 4.0]
    trip = "".join(f"{round(a * 3200):8d}{round(b * 1000):7d}{round(c * 1000):5d}" for a, b, c in
                   zip(tt, y, e))
    text = f"t\nBANK 1 5 2 CONST 0 0 0 0 ALT\n{trip[:80]}\n{trip[80:]}\n"
    m = read(_write(tmp_path / "a.gsa", text))
    assert_allclose(m.x, tt)
    assert_allclose(m.y, y)
    assert_allclose(m.sigma, e)


@pytest.mark.parametrize("dtype", ["FXYE", "FXY"])
def test_fxye_and_fxy(tmp_path, dtype):
    rows = "\n".join(f"{1000 + 5 * i:.1f} {100 + i:.3f}" + (" 3.5" if dtype == "FXYE" else "")
                     for i in range(4))
    m = read(_write(tmp_path / f"a.{dtype.lower()}", f"t\nBANK 1 4 4 CONST 1000 5 0 0 {dtype}\n{rows}\n"))
    _check_xrd(m, "gsas")
    assert_allclose(m.x, [10.0, 10.05, 10.1, 10.15])
    assert_allclose(m.sigma, [3.5] * 4 if dtype == "FXYE" else np.sqrt(m.y))


def test_multi_bank_file_and_bank_hint(tmp_path):
    text = ("two banks\nBANK 1 2 1 CONST 1000 5 0 0 STD\n" + _std_records([5, 6]) +
            "\nBANK 2 3 3 CONST 2000 10 0 0 FXYE\n2000 1 1\n2010 2 1\n2020 3 1\n")
    p = _write(tmp_path / "a.gsa", text)
    assert read(p).meta["banks"] == [1, 2] and len(read(p)) == 2
    m = read(p, bank=2)
    assert m.meta["bank"] == 2
    assert_allclose(m.x, [20.0, 20.1, 20.2])
    _raises(p, ConfigError, r"bank=3 is not in the file; its banks are \[1, 2\]", bank=3)


@pytest.mark.parametrize("bank_line, match", [
    ("BANK one 3 1 CONST 1000 5 0 0 STD", "BANK line does not parse"),
    ("BANK 1 3 1", "BANK line does not parse"),
    ("BANK 1 0 1 CONST 1000 5 0 0 STD", "announces 0 points"),
    ("BANK 1 3 1 CONST 1000 0 0 0 STD", "step 0 centidegrees must be a positive"),
    ("BANK 1 3 1 CONST 1000 abc 0 0 STD", "CONST needs bcoef1"),
    ("BANK 1 3 1 SLOG 1000 5 0 0 STD", "time-of-flight"),
    ("BANK 1 3 1 WEIRD 1000 5 0 0 STD", "BINTYP 'WEIRD' is not understood"),
])
def test_bank_line_errors(tmp_path, bank_line, match):
    p = _write(tmp_path / "a.gsa", f"title\n{bank_line}\n" + _std_records([1, 2, 3]) + "\n")
    _raises(p, ReadError, match, line=2, format="gsas")


def test_truncated_std_names_the_last_line(tmp_path):
    p = _write(tmp_path / "a.gsa", "t\nBANK 1 25 3 CONST 1000 5 0 0 STD\n" + _std_records(COUNTS) + "\n")
    err = _raises(p, ReadError, r"truncated bank 1: the BANK line \(line 2\) announces 25 points "
                  r"in 3 records but the data end after 13", line=4)
    assert "incomplete" in str(err)


def test_bad_std_field(tmp_path):
    rec = _std_records(COUNTS).split("\n")
    rec[1] = rec[1][:10] + "x" + rec[1][11:]
    p = _write(tmp_path / "a.gsa", "t\nBANK 1 13 2 CONST 1000 5 0 0 STD\n" + "\n".join(rec) + "\n")
    _raises(p, ReadError, r"field 2 \(columns 9-16\): the count .* is not a number", line=4)


def test_fxye_errors_name_the_line(tmp_path):
    p = _write(tmp_path / "a.fxye", "t\nBANK 1 3 3 CONST 0 0 0 0 FXYE\n1000 1 1\n1010 2\n1020 3 1\n")
    _raises(p, ReadError, "2 values where a FXYE row has 3", line=4)
    p = _write(tmp_path / "b.fxye", "t\nBANK 1 3 3 CONST 0 0 0 0 FXYE\n1000 1 1\n1020 2 1\n1010 3 1\n")
    _raises(p, DataError, "two_theta is not monotonic", line=5)
    p = _write(tmp_path / "c.fxye", "t\nBANK 1 3 3 CONST 0 0 0 0 FXYE\n1000 1 1\n1010 2 -1\n1020 3 1\n")
    _raises(p, DataError, "negative esd", line=4)
    p = _write(tmp_path / "d.fxye", "t\nBANK 1 3 3 CONST 0 0 0 0 FXYE\n1000 1 1\n1010 nan 1\n1020 3 1\n")
    _raises(p, DataError, "non-finite intensity", line=4)


def test_gsas_sniffing_and_extension_fallback(tmp_path):
    p = _write(tmp_path / "noext", "t\nBANK 1 2 1 CONST 1000 5 0 0 STD\n" + _std_records([3, 4]) + "\n")
    assert read(p).meta["format"] == "gsas"
    q = _write(tmp_path / "x.gsa", "only a title\n")
    _raises(q, ReadError, "no BANK line")


# -- GSAS instrument parameter files --------------------------------------------------------------

PRM_XRAY = """            123456789012345678901234567890123456789012345678901234567890
INS   BANK      1
INS   HTYPE   PXCR
INS  1 IRAD     3
INS  1 ICONS  1.540500  1.544300       0.0         0       0.7    0       0.5
INS  1I HEAD  DUMMY INCIDENT SPECTRUM FOR X-RAY DIFFRACTOMETER
INS  1PRCF1     3    8      0.01
INS  1PRCF11   2.000000E+00  -2.000000E+00   5.000000E+00   0.100000E+00
INS  1PRCF12   3.000000E+00   4.000000E+00   0.150000E-01   0.250000E-01
"""


@pytest.mark.reference_data
def test_reference_prm_files(xrd_ref):
    x = read_gsas_prm(xrd_ref / "INST_XRY.PRM")
    assert (x["wavelength_angstrom"], x["wavelength2_angstrom"], x["ka2_ratio"]) == (1.5405, 1.5443, 0.5)
    assert (x["zero_deg"], x["polarization"], x["radiation"], x["anode"]) == (0.0, 0.7, "x-ray", "Cu")
    assert x["profile_type"] == 3 and x["profile_cutoff"] == 0.01
    assert x["profile_coefficients"] == {"GU": 2.0, "GV": -2.0, "GW": 5.0, "GP": 0.1, "LX": 0.0,
                                         "LY": 0.0, "S/L": 0.015, "H/L": 0.015}
    assert (x["s_l"], x["h_l"], x["asym"]) == (0.015, 0.015, None)
    n = read_gsas_prm(xrd_ref / "inst_d1a.prm")
    assert (n["wavelength_angstrom"], n["wavelength2_angstrom"], n["ka2_ratio"]) == (1.909, None, None)
    assert n["radiation"] == "neutron" and n["zero_deg"] == pytest.approx(-0.001)
    assert n["profile_type"] == 1 and n["profile_sets"] == [1, 2] and n["asym"] == 0.0
    assert n["profile_coefficients"]["GW"] == 651.592 and (n["X_deg"], n["Y_deg"]) == (0.0, 0.0)
    n2 = read_gsas_prm(xrd_ref / "inst_d1a.prm", profile=2)
    assert n2["profile_type"] == 2 and list(n2["profile_coefficients"]) == ["GU", "GV", "GW", "LX",
                                                                            "LY", "trns"]


def test_prm_widths_match_gsas_fwhm(tmp_path):
    """Oracle: GSAS's σ² (centideg²) and γ (centideg) give the same FWHMs as the converted U..Y."""
    prm = read_gsas_prm(_write(tmp_path / "x.prm", PRM_XRAY))
    c = prm["profile_coefficients"]
    tt = np.linspace(10.0, 150.0, 29)
    th = np.radians(tt / 2)
    sig2 = c["GU"] * np.tan(th) ** 2 + c["GV"] * np.tan(th) + c["GW"] + c["GP"] / np.cos(th) ** 2
    gsas_fwhm_g = math.sqrt(8 * math.log(2)) * np.sqrt(sig2) / 100.0
    gsas_gamma = (c["LX"] / np.cos(th) + c["LY"] * np.tan(th)) / 100.0
    ours_g2 = caglioti_fwhm(tt, prm["U_deg2"], prm["V_deg2"], prm["W_deg2"]) ** 2 + \
        prm["P_deg2"] / np.cos(th) ** 2
    assert_allclose(np.sqrt(ours_g2), gsas_fwhm_g, rtol=1e-12)
    assert_allclose(lorentz_fwhm(tt, prm["X_deg"], prm["Y_deg"]), gsas_gamma, rtol=1e-12)
    assert (prm["Y_deg"], prm["X_deg"]) == (0.03, 0.04)  # LX (1/cosθ, size) -> Y; LY (tanθ) -> X
    # GSAS-II's own FWHM (GSASIIpwd.getWidthsCW: 2.355 * sqrt(sig) / 100) agrees to its rounding
    assert_allclose(np.sqrt(ours_g2), 2.355 * np.sqrt(sig2) / 100, rtol=2e-4)


def test_prm_whitespace_icons_fallback_and_profile4(tmp_path):
    text = PRM_XRAY.replace("INS  1 ICONS  1.540500  1.544300       0.0         0       0.7    0       0.5",
                            "INS  1 ICONS 1.5405 1.5443 1.5 0 0.7 0 0.5")
    text = text.replace("PRCF1     3    8", "PRCF1     4    8")
    prm = read_gsas_prm(_write(tmp_path / "x.prm", text))
    assert prm["zero_deg"] == 0.015 and prm["ka2_ratio"] == 0.5
    assert prm["profile_type"] == 4 and prm["X_deg"] == 0.0 and prm["Y_deg"] == 0.03  # GP, LX, ptec ...
    assert prm["profile_coefficients"]["ptec"] == 4.0


@pytest.mark.parametrize("edit, cls, match, line", [
    (lambda t: t.replace("INS  1 ICONS", "INS  1 XCONS"), ReadError, "no 'INS  1 ICONS' record", None),
    (lambda t: t.replace("PXCR", "PNTR"), ReadError, "time-of-flight", 3),
    (lambda t: t.replace("    3    8      0.01", "    3   12      0.01"), ReadError,
     "declares 12 coefficients but its PRCF1n records hold 8", 9),
    (lambda t: t.replace("3.000000E+00   4.0", "3.000000E+00   x.0"), ReadError, "not a number", 9),
    (lambda t: t.replace("  1.540500  1.544300", "  abcdefgh  1.544300"), ReadError,
     "ICONS record does not parse", 5),
])
def test_prm_errors(tmp_path, edit, cls, match, line):
    p = _write(tmp_path / "x.prm", edit(PRM_XRAY))
    with pytest.raises(cls, match=match) as info:
        read_gsas_prm(p)
    assert info.value.path == str(p) and info.value.line == line


def test_prm_bank_and_profile_hints(tmp_path):
    p = _write(tmp_path / "x.prm", PRM_XRAY)
    with pytest.raises(ConfigError, match=r"bank=2 is not in the file; it has records for bank\(s\) \[1\]"):
        read_gsas_prm(p, bank=2)
    with pytest.raises(ConfigError, match=r"profile=2 is not in the file; its profile sets are \[1\]"):
        read_gsas_prm(p, profile=2)
    with pytest.raises(ReadError, match="no 'INS' records"):
        read_gsas_prm(_write(tmp_path / "y.prm", "hello\n"))


def test_explicit_broken_instprm_raises(tmp_path):
    p = _write(tmp_path / "a.gsa", "t\nBANK 1 2 1 CONST 1000 5 0 0 STD\n" + _std_records([3, 4]) + "\n")
    with pytest.raises(ReadError, match="no 'INS' records"):
        read(p, instprm=_write(tmp_path / "bad.prm", "nothing here\n"))


# -- PANalytical .xrdml ----------------------------------------------------------------------------------

NS15 = "http://www.xrdml.com/XRDMeasurement/1.5"
NS20 = "http://www.xrdml.com/XRDMeasurement/2.0"
XRDML_COUNTS = [2493, 2336, 2284, 2301, 2290, 2410, 3521, 8712, 3410, 2388, 2260]


def _scan(counts=XRDML_COUNTS, *, positions=None, start=10.0, end=10.2, yname="intensities",
          yunit="counts", extra="", nonambient="", axis="Gonio"):
    pos = (f"<listPositions>{' '.join(map(str, positions))}</listPositions>" if positions is not None
           else f"<startPosition>{start}</startPosition>\n          <endPosition>{end}</endPosition>")
    return f"""    <scan appendNumber="0" mode="Continuous" scanAxis="{axis}" status="Completed">
      <header>
        <startTimeStamp>2024-06-21T11:00:13+02:00</startTimeStamp>
        <endTimeStamp>2024-06-21T11:31:40+02:00</endTimeStamp>
        <author><name>operator</name></author>
        <source>
          <applicationSoftware version="5.5">Data Collector</applicationSoftware>
          <instrumentControlSoftware version="5.5">XPERT-PRO</instrumentControlSoftware>
          <instrumentID>0000000011151028</instrumentID>
        </source>
      </header>
      <dataPoints>
        <positions axis="2Theta" unit="deg">
          {pos}
        </positions>
        <positions axis="Omega" unit="deg">
          <startPosition>5.0</startPosition>
          <endPosition>5.1</endPosition>
        </positions>
        <commonCountingTime unit="seconds">58.395</commonCountingTime>
        {extra}<{yname} unit="{yunit}">{' '.join(map(str, counts))}</{yname}>
      </dataPoints>
{nonambient}    </scan>
"""


def _xrdml(scans=None, *, ns=NS15, intended="K-Alpha", sample="LLZO-Ta-3"):
    scans = _scan() if scans is None else scans
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" status="Completed">
  <comment>
    <entry>Configuration=Reflection-Transmission Spinner, Owner=User-1</entry>
  </comment>
  <sample type="To be analyzed">
    <id>{sample}</id>
    <name>Li6.4La3Zr1.4Ta0.6O12</name>
  </sample>
  <xrdMeasurement measurementType="Scan" status="Completed" sampleMode="Reflection">
    <usedWavelength intended="{intended}">
      <kAlpha1 unit="Angstrom">1.5405980</kAlpha1>
      <kAlpha2 unit="Angstrom">1.5444260</kAlpha2>
      <kBeta unit="Angstrom">1.3922500</kBeta>
      <ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1>
    </usedWavelength>
    <incidentBeamPath>
      <radius unit="mm">240.00</radius>
      <xRayTube id="1" name="Cu LFF HR">
        <tension unit="kV">45</tension>
        <current unit="mA">40</current>
        <anodeMaterial>Cu</anodeMaterial>
      </xRayTube>
    </incidentBeamPath>
    <diffractedBeamPath>
      <radius unit="mm">240.00</radius>
      <detector id="2" name="PIXcel-1D" xsi:type="detectorType"/>
    </diffractedBeamPath>
{scans}  </xrdMeasurement>
</xrdMeasurements>
"""


def test_xrdml_15_realistic(tmp_path):
    m = read(_write(tmp_path / "LLZO_25C.xrdml", _xrdml()))
    _check_xrd(m, "xrdml")
    assert_allclose(m.x, np.linspace(10.0, 10.2, 11), rtol=1e-15)
    assert_array_equal(m.y, XRDML_COUNTS)  # unit="counts": counts per step, not multiplied by 58 s
    assert_allclose(m.sigma, np.sqrt(XRDML_COUNTS))
    assert m.sample == "LLZO-Ta-3" and m.meta["conditions_from"]["sample"] == "header"
    assert m.temperature_K == pytest.approx(298.15)  # from the file name: the file has no temperature
    meta = m.meta
    assert (meta["wavelength_angstrom"], meta["wavelength2_angstrom"], meta["ka2_ratio"]) == (
        1.540598, 1.544426, 0.5)
    assert (meta["anode"], meta["radiation"], meta["instrument"], meta["detector"]) == (
        "Cu", "x-ray", "XPERT-PRO", "PIXcel-1D")
    assert (meta["counting_time_s"], meta["goniometer_radius_mm"], meta["tension_kV"]) == (58.395, 240.0, 45.0)
    assert meta["xrdml_namespace"] == NS15 and meta["n_scans"] == 1 and "scan_note" not in meta


def test_xrdml_20_list_positions_counts_and_attenuation(tmp_path):
    pos = [10.0, 10.5, 11.5, 12.0]
    scan = _scan([10, 20, 30, 0], positions=pos, yname="counts",
                 extra="<beamAttenuationFactors>1 1 100 1</beamAttenuationFactors>\n        ")
    m = read(_write(tmp_path / "a.xrdml", _xrdml(scan, ns=NS20)))
    _check_xrd(m, "xrdml")
    assert_array_equal(m.x, pos)
    assert_array_equal(m.y, [10, 20, 3000, 0])  # counts x attenuation factor
    assert_allclose(m.sigma, [math.sqrt(10), math.sqrt(20), 100 * math.sqrt(30), 1.0])
    assert m.meta["xrdml_namespace"] == NS20


def test_xrdml_cps_are_turned_into_counts(tmp_path):
    scan = _scan([10.0, 20.0, 30.0], end=10.04, yunit="cps")
    m = read(_write(tmp_path / "a.xrdml", _xrdml(scan)))
    assert_allclose(m.y, np.array([10, 20, 30]) * 58.395)
    assert "multiplied by the counting time" in m.meta["intensity_note"]


def test_xrdml_kalpha1_only_has_no_second_wavelength(tmp_path):
    m = read(_write(tmp_path / "a.xrdml", _xrdml(intended="K-Alpha 1")))
    assert m.meta["wavelength_angstrom"] == 1.540598 and "wavelength2_angstrom" not in m.meta
    assert m.meta["radiation_intended"] == "K-Alpha 1"


def test_xrdml_multiple_scans(tmp_path):
    scans = _scan() + _scan([5, 6, 7], start=20.0, end=20.1)
    p = _write(tmp_path / "a.xrdml", _xrdml(scans))
    m = read(p)
    assert m.meta["n_scans"] == 2 and "scan 0 was read" in m.meta["scan_note"]
    assert len(m) == 11
    assert_allclose(read(p, scan=1).x, [20.0, 20.05, 20.1])
    _raises(p, ConfigError, r"scan=2: the file has 2 scan\(s\)", scan=2)


def test_xrdml_temperature_precedence(tmp_path):
    nonamb = ('      <nonAmbientPoints type="Temperature">\n'
              '        <nonAmbientValues unit="K">572.9 573.1 573.0</nonAmbientValues>\n'
              '      </nonAmbientPoints>\n')
    p = _write(tmp_path / "LLZO_25C.xrdml", _xrdml(_scan(nonambient=nonamb)))
    m = read(p)
    assert m.temperature_K == pytest.approx(573.0) and m.meta["conditions_from"]["temperature_K"] == "header"
    assert (m.meta["temperature_min_K"], m.meta["temperature_max_K"]) == (572.9, 573.1)
    assert read(p, temperature_K=600).temperature_K == 600
    celsius = nonamb.replace('unit="K">572.9 573.1 573.0', 'unit="Celsius">300')
    assert read(_write(tmp_path / "b.xrdml", _xrdml(_scan(nonambient=celsius)))).temperature_K == \
        pytest.approx(573.15)
    no_unit = nonamb.replace(' unit="K"', "")
    m = read(_write(tmp_path / "c.xrdml", _xrdml(_scan(nonambient=no_unit))))
    assert m.temperature_K is None and "no unit" in m.meta["conditions_note"]


@pytest.mark.parametrize("edit, cls, match, line", [
    (lambda t: t.replace("<dataPoints>", "<notData>").replace("</dataPoints>", "</notData>"),
     ReadError, "scan 0 has no <dataPoints>", 29),
    (lambda t: t.replace("2493 2336 ", ""), ReadError, None, None),  # start/end: any length is fine
    (lambda t: t.replace("</xrdMeasurements>", ""), ReadError, "not well-formed XML", 55),
    (lambda t: t.replace("2336", "23x6"), ReadError, "<intensities> holds a value that is not a number", 50),
    (lambda t: t.replace("intensities", "ratios"), ReadError, "neither <counts> nor <intensities>", 40),
    (lambda t: t.replace('"2Theta"', '"Phi"'), ReadError, "no <positions axis=\"2Theta\">", 40),
])
def test_xrdml_errors(tmp_path, edit, cls, match, line):
    p = _write(tmp_path / "a.xrdml", edit(_xrdml()))
    if match is None:
        assert len(read(p)) == 9
        return
    _raises(p, cls, match, line=line)


def test_xrdml_length_mismatch_and_non_monotonic(tmp_path):
    p = _write(tmp_path / "a.xrdml", _xrdml(_scan([1, 2, 3], positions=[10.0, 10.1])))
    _raises(p, ReadError, r"2 2θ positions in <listPositions> \(line 42\) but 3 values", line=49)
    p = _write(tmp_path / "b.xrdml", _xrdml(_scan([1, 2, 3], positions=[10.0, 10.2, 10.1])))
    _raises(p, DataError, "two_theta is not monotonic", line=49)
    p = _write(tmp_path / "c.xrdml", _xrdml(_scan([1, 2], positions=[10.0, 10.0])))
    _raises(p, DataError, "repeated value", line=49)


def test_xrdml_scan_with_fixed_two_theta(tmp_path):
    scan = _scan([1, 2, 3], axis="Omega").replace(
        "<startPosition>10.0</startPosition>\n          <endPosition>10.2</endPosition>",
        "<commonPosition>28.44</commonPosition>")
    _raises(_write(tmp_path / "a.xrdml", _xrdml(scan)), ReadError,
            r"2θ does not move in this scan \(commonPosition 28.44, scanAxis Omega\)", line=41)


def test_xrdml_sniffed_without_its_extension(tmp_path):
    assert read(_write(tmp_path / "export.xml", _xrdml())).meta["format"] == "xrdml"


# -- Fit2D / pyFAI .chi, pyFAI .xy and the generic text reader's wavelength -----------------------------

CHI = ("Ni_2-8.tif: Azimuthal integration\n2-Theta Angle (Degrees)\nIntensity\n       4\n"
       "  1.0000000E+00  5.0000000E+02\n  1.0100000E+00  5.1000000E+02\n"
       "  1.0200000E+00  4.9000000E+02\n  1.0300000E+00  5.0500000E+02\n")


def test_chi(tmp_path):
    m = read(_write(tmp_path / "ni.chi", CHI))
    _check_xrd(m, "chi")
    assert_allclose(m.x, [1.0, 1.01, 1.02, 1.03])
    assert m.sigma is None
    assert m.meta["title"] == "Ni_2-8.tif: Azimuthal integration"
    with_sigma = CHI.replace("E+02\n", "E+02  2.0\n")
    assert_allclose(read(_write(tmp_path / "s.chi", with_sigma)).sigma, [2.0] * 4)


def test_chi_errors(tmp_path):
    _raises(_write(tmp_path / "a.chi", CHI.replace("       4", "       5")), ReadError,
            "line 4 announces 5 points but 4 rows", line=4)
    _raises(_write(tmp_path / "b.chi", CHI.replace("5.1000000E+02", "5.1x00000E+02")), ReadError,
            "text", line=6)
    q = CHI.replace("2-Theta Angle (Degrees)", "Q (Angstroms-1)")
    m = read(_write(tmp_path / "q.chi", q))  # not 2θ: the generic text reader takes it
    assert m.meta["format"] == "text"
    _raises(tmp_path / "q.chi", ReadError, "not a 2θ .chi file", line=2, format="chi")


PYFAI = """# == pyFAI calibration ==
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
# Wavelength: 7.1414e-11 m
# Mask applied: True
# Dark current: None
# Flat field: None
# Polarization factor: 0.99
# Normalization factor: 1.0
# --> /data/LLZO_0001.cbf
#       2th_deg             I           sigma
  1.000000e+00    5.000000e+02    2.236068e+01
  1.010000e+00    5.100000e+02    2.258318e+01
  1.020000e+00    4.900000e+02    2.213594e+01
"""


def test_pyfai_xy(tmp_path):
    m = read(_write(tmp_path / "LLZO_0001.xy", PYFAI))
    _check_xrd(m, "pyfai")
    assert m.meta["wavelength_angstrom"] == 0.71414 and m.meta["Polarization factor"] == 0.99
    assert_allclose(m.x, [1.0, 1.01, 1.02])
    assert_allclose(m.sigma[0], 22.36068)
    rad = PYFAI.replace("2th_deg", "2th_rad").replace("  1.0", "  0.0")
    assert_allclose(read(_write(tmp_path / "r.xy", rad)).x, np.degrees([0.0, 0.01, 0.02]))


def test_pyfai_q_axis_stays_with_the_text_reader(tmp_path):
    p = _write(tmp_path / "q.xy", PYFAI.replace("2th_deg", "q_nm^-1"))
    m = read(p)
    assert m.meta["format"] == "text" and m.meta["wavelength_angstrom"] == 0.71414
    _raises(p, ReadError, "the x column is 'q_nm\\^-1', not 2th_deg", line=19, format="pyfai")


@pytest.mark.parametrize("header, expected", [
    ("# wavelength = 0.71414", 0.71414),
    ("# Wavelength: 1.5406 A", 1.5406),
    ("# lambda (nm) = 0.15406", 1.5406),
    ("# wavelength_angstrom = 0.5", 0.5),
    ("# wavelength = 7.1414e-11", None),   # a bare number out of the Å range is not guessed
    ("# wavelength = 1.5 furlong", None),
    ("# wavelength = 1.5406 m", None),       # a unit typo: 1.5e10 Å is not a wavelength
])
def test_text_reader_wavelength_angstrom(tmp_path, header, expected):
    m = read(_write(tmp_path / "a.xye", f"{header}\n# 2theta I sigma\n10 5 1\n20 6 1\n30 7 1\n"))
    assert m.meta["format"] == "text"
    assert m.meta.get("wavelength_angstrom") == expected
