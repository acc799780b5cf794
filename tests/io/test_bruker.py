"""Bruker ``.brml`` (zip of XML) and the refusal of Bruker's binary ``.raw``.

No real ``.brml`` ships with the tests, so the archives are built here, member by
member, as the public readers of the format read real files (none of their code
is copied; element and attribute names are the format's interface):

* GSAS-II ``GSASII/imports/G2pwd_BrukerBRML.py`` (AdvancedPhotonSource/GSAS-II):
  ``RawData/DataRoutes/DataRoute/{ScanInformation,Datum}``, ``MeasurementPoints``,
  ``TimePerStepEffective``, ``TimeStampStarted``, ``Identifier``; Datum columns
  [0] time, [2] 2θ, [4] counts in simple scans.
* PyXRD ``pyxrd/file_parsers/xrd_parsers/brk_brml_parser.py`` (PyXRD/PyXRD and its
  later ports): ``Experiment0/DataContainer.xml`` with ``MeasurementInfo@SampleName``
  and ``RawDataReferenceList``; ``DataViews/RawDataView`` (``xsi:type`` Fixed /
  Varying / Recorded, ``Start``, ``LogicName`` MeasuredTime / AbsorptionFactor,
  ``Varying/FieldDefinitions``, ``Recording@LogicName`` ScanCounter / Counter0D /
  ``modeActualTemp``); ``SubScans/SubScanInfo@{StartStepNo,MeasuredSteps,
  PlannedTimePerStep}``; ``ScanName`` containing ``NonAmbientModeData`` for the
  temperature-program members; ``Tube/WaveLengthAlpha1@Value`` (Å) etc.
* FAIRmat-NFDI/nomad-measurements ``src/nomad_measurements/xrd/IKZ.py`` (``BRMLfile``,
  after C. Richter's IKZ code): ``ScanAxisInfo@AxisId`` with ``Reference``, ``Start``,
  ``Stop``, ``Increment``, ``Unit@Base``; ``FixedInformation/Instrument/PrimaryTracks/
  TrackInfoData/MountedOptics/InfoData[@xsi:type=TubeMountInfoData]/Tube`` with
  ``WaveLengthAlpha1/Alpha2/Beta/Ratio@Value,@Unit``, ``TubeMaterial``,
  ``Generator/Voltage,Current``; ``FixedInformation/Drives/InfoData``.
* Notes of another project that read two real files: the counter sits at Datum
  column **7** there (after 2θ, θ and three more channels), a recorded view with
  Length > 1 is a detector frame, and the stored intensity already includes the
  absorber (y/a is integral where a varies).

The unit spelling of a recorded temperature channel (``Unit Base="Celsius"``) is
not confirmed by any of these sources; the reader accepts Celsius/Kelvin spellings
and otherwise records the value without a unit.
"""

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError, ReadError, StructkitError
from structkit.core.measurement import Measurement
from structkit.io import read
from structkit.io._bruker import bruker_raw_refusal, sniff_brml

XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
TT = [10.0 + 0.02 * i for i in range(8)]
COUNTS = [120, 135, 0, 980, 1510, 760, 140, 118]

TUBE = """<FixedInformation>
    <Instrument>
      <PrimaryTracks><TrackInfoData><MountedOptics>
        <InfoData xsi:type="TubeMountInfoData" LogicName="TubeMount">
          <Tube LogicName="Tube" VisibleName="Tube">
            <WaveLengthAlpha1 Value="1.5406" Unit="Å" />
            <WaveLengthAlpha2 Value="1.54439" Unit="Å" />
            <WaveLengthAverage Value="1.54184" Unit="Å" />
            <WaveLengthBeta Value="1.39222" Unit="Å" />
            <WaveLengthRatio Value="0.5" />
            <TubeMaterial>Cu</TubeMaterial>
            <Generator><Voltage Value="40" Unit="kV" /><Current Value="40" Unit="mA" /></Generator>
          </Tube>
        </InfoData>
      </MountedOptics></TrackInfoData></PrimaryTracks>
    </Instrument>
    <Drives><InfoData LogicName="Theta" AxisId="Theta"><Position Value="5" Unit="°" /></InfoData></Drives>
  </FixedInformation>"""


def datum_row(tt, counts, *, time=0.5, absorber=1.0, temp=None):
    """One Datum as real files lay it out: time, absorber, 2θ, θ, three channels, counter."""
    extra = [f"{temp:g}" if temp is not None else "0", "0", "2.6"]
    return ",".join([f"{time:g}", f"{absorber:g}", f"{tt:.4f}", f"{tt / 2:.4f}", *extra,
                     f"{counts:g}"])


def data_views(*, temp_unit=None, counter_len=1, two_theta=True, counter_unit="Counts"):
    temp = ("" if temp_unit is None else
            '<RawDataView xsi:type="RecordedRawDataView" Start="4" Length="1">'
            f'<Recording LogicName="modeActualTemp"><Unit Base="{temp_unit}" /></Recording>'
            "</RawDataView>")
    axes = ('<FieldDefinitions FieldName="TwoTheta" AxisId="TwoTheta" />' if two_theta else "") + \
        '<FieldDefinitions FieldName="Theta" AxisId="Theta" />'
    return (f"""<DataViews>
      <RawDataView xsi:type="FixedRawDataView" Start="0" Length="1" LogicName="MeasuredTime" Unit="s" />
      <RawDataView xsi:type="FixedRawDataView" Start="1" Length="1" LogicName="AbsorptionFactor" />
      <RawDataView xsi:type="VaryingRawDataView" Start="{2 if two_theta else 3}" Length="2">
        <Varying>{axes}</Varying></RawDataView>{temp}
      <RawDataView xsi:type="RecordedRawDataView" Start="7" Length="{counter_len}">
        <Recording LogicName="ScanCounter" VisibleName="LYNXEYE"><Unit Base="{counter_unit}" />"""
            """</Recording></RawDataView>
    </DataViews>""")


def route(rows, *, flag="Measured", views=None, scan_name="TwoThetaOmegaScan", subscans=None,
          start=None, step=0.02):
    views = data_views() if views is None else views
    start = TT[0] if start is None else start
    sub = "" if subscans is None else "<SubScans>" + "".join(
        f'<SubScanInfo StartStepNo="{a}" MeasuredSteps="{n}" PlannedTimePerStep="0.5" />'
        for a, n in subscans) + "</SubScans>"
    datums = "\n".join(f"    <Datum>{r}</Datum>" for r in rows)
    flag_attr = "" if flag is None else f' RouteFlag="{flag}"'
    return f"""<DataRoute{flag_attr}>
    <ScanInformation ScanName="{scan_name}" VisibleName="Coupled TwoTheta/Theta">
      <ScanMode>ContinuousScan</ScanMode>
      <TimePerStep>0.5</TimePerStep>
      <TimePerStepEffective>96</TimePerStepEffective>
      <MeasurementPoints>{len(rows)}</MeasurementPoints>
      <ScanAxes>
        <ScanAxisInfo AxisId="TwoTheta" AxisName="TwoTheta" VisibleName="2Theta">
          <Unit Base="Degree" /><Reference>0</Reference><Start>{start}</Start>
          <Stop>{start + step * (len(rows) - 1)}</Stop><Increment>{step}</Increment>
        </ScanAxisInfo>
        <ScanAxisInfo AxisId="Theta" AxisName="Theta" VisibleName="Omega">
          <Unit Base="Degree" /><Reference>0</Reference><Start>{start / 2}</Start>
          <Stop>{(start + step * (len(rows) - 1)) / 2}</Stop><Increment>{step / 2}</Increment>
        </ScanAxisInfo>
      </ScanAxes>
    </ScanInformation>{sub}
{datums}
    {views}
  </DataRoute>"""


def raw_data(routes, *, tube=TUBE):
    return f"""<?xml version="1.0" encoding="utf-8"?>
<RawData {XSI} xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <Identifier MachineName="D8-ADVANCE-PC"><Guid>1f9a</Guid></Identifier>
  <TimeStampStarted>2024-03-12T15:02:00+01:00</TimeStampStarted>
  <TimeStampFinished>2024-03-12T15:40:00+01:00</TimeStampFinished>
  <DataRoutes>
  {"".join(routes)}
  </DataRoutes>
  {tube}
</RawData>"""


def default_rows(**kw):
    return [datum_row(t, c, **kw) for t, c in zip(TT, COUNTS)]


def write_brml(path, members, *, sample="LLZO-Ta-3", manifest=True, order=None):
    """A .brml: experimentCollection.xml, Experiment0/DataContainer.xml, then the RawData members."""
    names = list(members) if order is None else order
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("experimentCollection.xml", '<?xml version="1.0"?><ExperimentCollection />')
        if manifest:
            refs = "".join(f"<string>{n}</string>" for n in names)
            z.writestr("Experiment0/DataContainer.xml",
                       f'<?xml version="1.0"?><DataContainer {XSI}><MeasurementInfo SampleName='
                       f'"{sample}" /><RawDataReferenceList>{refs}</RawDataReferenceList>'
                       "</DataContainer>")
        for name, text in members.items():
            z.writestr(name, text.encode("utf-8"))
    return path


def one_scan(tmp_path, name="scan.brml", **route_kw):
    rows = route_kw.pop("rows", None) or default_rows()
    return write_brml(tmp_path / name, {"Experiment0/RawData0.xml": raw_data([route(rows, **route_kw)])})


# -- reading -------------------------------------------------------------------------------------

def test_realistic_scan(tmp_path):
    p = one_scan(tmp_path)
    m = read(p)
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit, m.technique) == (
        "two_theta", "deg", "intensity", "counts", "xrd")
    assert_allclose(m.x, TT)
    assert_array_equal(m.y, COUNTS)  # the counter at column 7, not GSAS-II's fixed column 4
    assert_allclose(m.sigma, np.sqrt(np.maximum(COUNTS, 1)))
    assert m.sample == "LLZO-Ta-3"
    meta = m.meta
    assert meta["format"] == "brml" and meta["brml_member"] == "Experiment0/RawData0.xml"
    assert (meta["wavelength_angstrom"], meta["wavelength2_angstrom"], meta["ka2_ratio"]) == (
        1.5406, 1.54439, 0.5)
    assert meta["kbeta_angstrom"] == 1.39222 and meta["anode"] == "Cu"
    assert (meta["tension_kV"], meta["current_mA"], meta["radiation"]) == (40.0, 40.0, "x-ray")
    assert meta["counting_time_s"] == 0.5 and meta["counting_time_effective_s"] == 96
    assert meta["scan_axes"] == ["TwoTheta", "Theta"] and meta["scan_mode"] == "ContinuousScan"
    assert meta["start_deg"] == 10.0 and meta["step_deg"] == 0.02
    assert meta["start_time"] == "2024-03-12T15:02:00+01:00"
    assert meta["machine_name"] == "D8-ADVANCE-PC" and meta["n_scans"] == 1
    assert "temperature_K" not in m.conditions and "absorber_note" not in meta


def test_sniffed_without_the_extension(tmp_path):
    p = one_scan(tmp_path, name="export.bin")
    assert sniff_brml(p.read_bytes()[:8192])
    assert read(p).meta["format"] == "brml"


def test_descending_scan_is_returned_ascending(tmp_path):
    rows = [datum_row(t, c) for t, c in zip(TT[::-1], COUNTS[::-1])]
    m = read(one_scan(tmp_path, rows=rows))
    assert_allclose(m.x, TT)
    assert_array_equal(m.y, COUNTS)


def test_absorber_is_already_in_the_stored_intensity(tmp_path):
    a = [1, 1, 1, 8.3, 8.3, 1, 1, 1]
    rows = [datum_row(t, c, absorber=f) for t, c, f in zip(TT, COUNTS, a)]
    m = read(one_scan(tmp_path, rows=rows))
    assert_array_equal(m.y, COUNTS)  # not multiplied again
    assert_allclose(m.sigma, np.sqrt(np.maximum(np.array(COUNTS) / a, 1)) * a)
    assert "2 point(s)" in m.meta["absorber_note"]


@pytest.mark.parametrize("unit, expected", [("Celsius", 298.15 + 0.5), ("Kelvin", 25.5)])
def test_recorded_temperature_channel(tmp_path, unit, expected):
    temps = [25.0, 25.5, 26.0, 25.5, 25.0, 25.5, 26.0, 25.5]
    rows = [datum_row(t, c, temp=k) for t, c, k in zip(TT, COUNTS, temps)]
    m = read(one_scan(tmp_path, rows=rows, views=data_views(temp_unit=unit)))
    assert m.temperature_K == pytest.approx(expected)
    assert m.meta["conditions_from"]["temperature_K"] == "header"
    assert m.meta["temperature_max_K"] - m.meta["temperature_min_K"] == pytest.approx(1.0)


def test_temperature_without_a_unit_is_not_guessed(tmp_path):
    rows = default_rows(temp=300.0)
    m = read(one_scan(tmp_path, rows=rows, views=data_views(temp_unit="")))
    assert m.temperature_K is None
    assert m.meta["temperature"] == "300" and "no unit" in m.meta["temperature_note"]


def test_hints_override_the_file_temperature(tmp_path):
    rows = default_rows(temp=25.0)
    m = read(one_scan(tmp_path, rows=rows, views=data_views(temp_unit="Celsius")), temperature_K=400)
    assert m.temperature_K == 400


def test_counts_per_second_are_multiplied_by_the_measured_time(tmp_path):
    rows = [datum_row(t, c / 2.0, time=2.0) for t, c in zip(TT, COUNTS)]
    m = read(one_scan(tmp_path, rows=rows, views=data_views(counter_unit="CountsPerSecond")))
    assert_allclose(m.y, COUNTS)
    assert "MeasuredTime" in m.meta["intensity_note"]


def test_subscans_drop_unmeasured_rows_with_a_note(tmp_path):
    m = read(one_scan(tmp_path, subscans=[(0, 5)]))
    assert len(m) == 5 and "3 unmeasured rows" in m.meta["subscan_note"]


def test_two_theta_from_the_scan_axis_when_no_column_names_it(tmp_path):
    m = read(one_scan(tmp_path, views=data_views(two_theta=False), start=30.0, step=0.05))
    assert_allclose(m.x, 30.0 + 0.05 * np.arange(8))


def test_scan_axis_steps_follow_the_subscans(tmp_path):
    m = read(one_scan(tmp_path, views=data_views(two_theta=False), subscans=[(2, 4)]))
    assert_allclose(m.x, TT[2:6])
    assert_array_equal(m.y, COUNTS[2:6])


def test_no_dataviews_five_columns_is_the_documented_layout(tmp_path):
    rows = [f"0.5,1,{t:.4f},{t / 2:.4f},{c}" for t, c in zip(TT, COUNTS)]
    m = read(one_scan(tmp_path, rows=rows, views=""))
    assert_array_equal(m.y, COUNTS)
    assert "no <DataViews>" in m.meta["brml_note"]


def test_no_dataviews_wider_rows_are_refused(tmp_path):
    p = one_scan(tmp_path, views="")
    with pytest.raises(ReadError, match=r"RawData0\.xml: no <DataViews>.*8 values") as info:
        read(p)
    assert info.value.path == str(p)


# -- routes and scans ----------------------------------------------------------------------------

def test_the_measured_route_is_read(tmp_path):
    other = route([datum_row(t, 1) for t in TT], flag="Calculated")
    xml = raw_data([other, route(default_rows())])
    m = read(write_brml(tmp_path / "r.brml", {"Experiment0/RawData0.xml": xml}))
    assert_array_equal(m.y, COUNTS)
    assert (m.meta["route_index"], m.meta["n_routes"]) == (1, 2) and "route_note" not in m.meta


def test_unflagged_routes_first_with_data_and_a_note(tmp_path):
    empty = route([], flag=None)
    second = route([datum_row(t, 7) for t in TT], flag=None)
    xml = raw_data([empty, route(default_rows(), flag=None), second])
    p = write_brml(tmp_path / "r.brml", {"Experiment0/RawData0.xml": xml})
    m = read(p)
    assert_array_equal(m.y, COUNTS)
    assert m.meta["route_index"] == 1
    assert "never concatenated" in m.meta["route_note"]
    assert_array_equal(read(p, route=2).y, [7] * 8)
    with pytest.raises(ConfigError, match="route=3.*3 DataRoute"):
        read(p, route=3)


def test_scans_in_manifest_order_skipping_non_ambient_logs(tmp_path):
    log = raw_data([route([datum_row(t, 25) for t in TT], scan_name="NonAmbientModeData")])
    first = raw_data([route(default_rows())])
    second = raw_data([route([datum_row(t, 2 * c) for t, c in zip(TT, COUNTS)])])
    members = {"Experiment0/RawData0.xml": log, "Experiment0/RawData2.xml": second,
               "Experiment0/RawData1.xml": first}
    order = ["Experiment0/RawData0.xml", "Experiment0/RawData1.xml", "Experiment0/RawData2.xml"]
    p = write_brml(tmp_path / "vt.brml", members, order=order)
    m = read(p)
    assert m.meta["brml_member"] == "Experiment0/RawData1.xml" and m.meta["scan_index"] == 1
    assert m.meta["skipped_members"] == ["Experiment0/RawData0.xml"] and m.meta["n_scans"] == 3
    assert "pass scan=" in m.meta["scan_note"]
    assert_array_equal(read(p, scan=2).y, 2 * np.array(COUNTS))
    with pytest.raises(ConfigError, match="scan=3: the archive has 3 scan"):
        read(p, scan=3)


def test_without_a_manifest_members_are_ordered_by_number(tmp_path):
    members = {"Experiment0/RawData10.xml": raw_data([route([datum_row(t, 9) for t in TT])]),
               "Experiment0/RawData2.xml": raw_data([route(default_rows())])}
    m = read(write_brml(tmp_path / "n.brml", members, manifest=False))
    assert m.meta["brml_member"] == "Experiment0/RawData2.xml" and m.sample == "n"


def test_wavelength_from_the_measurement_container(tmp_path):
    container = ('<MeasurementContainer><Tube><WaveLengthAlpha1 Value="0.070932" Unit="nm" />'
                 "<TubeMaterial>Mo</TubeMaterial></Tube></MeasurementContainer>")
    members = {"Experiment0/RawData0.xml": raw_data([route(default_rows())], tube=""),
               "Experiment0/MeasurementContainer.xml": container}
    m = read(write_brml(tmp_path / "mo.brml", members, order=["Experiment0/RawData0.xml"]))
    assert m.meta["wavelength_angstrom"] == pytest.approx(0.70932) and m.meta["anode"] == "Mo"


# -- errors --------------------------------------------------------------------------------------

def _raises(path, cls, match, **hints):
    with pytest.raises(cls, match=match) as info:
        read(path, **hints)
    assert info.value.path == str(path)
    return info.value


def test_truncated_archive(tmp_path):
    good = one_scan(tmp_path).read_bytes()
    p = tmp_path / "cut.brml"
    p.write_bytes(good[: len(good) // 2])
    _raises(p, ReadError, "not a readable zip archive.*interrupted copy")


def test_zip_without_rawdata(tmp_path):
    p = tmp_path / "other.brml"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("Experiment0/Notes.xml", "<a/>")
    _raises(p, ReadError, r"no Experiment\*/RawData<N>\.xml member.*Experiment0/Notes\.xml")


def test_other_zip_files_are_not_brml(tmp_path):
    p = tmp_path / "report.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert not sniff_brml(p.read_bytes()[:8192])
    _raises(p, ReadError, "unknown format")


def test_manifest_names_a_missing_member(tmp_path):
    p = write_brml(tmp_path / "m.brml", {"Experiment0/RawData0.xml": raw_data([route(default_rows())])},
                   order=["Experiment0/RawData0.xml", "Experiment0/RawData1.xml"])
    _raises(p, ReadError, "RawData1.xml', which the archive does not contain", scan=1)


def test_malformed_member_xml(tmp_path):
    text = raw_data([route(default_rows())]).replace("</DataRoutes>", "</DataRoute>")
    p = write_brml(tmp_path / "x.brml", {"Experiment0/RawData0.xml": text})
    err = _raises(p, ReadError, r"not well-formed XML \(mismatched tag: line \d+.*member "
                                r"Experiment0/RawData0\.xml is damaged")
    assert err.line is None  # a line of the member, not of the archive


def test_short_datum_names_member_and_line(tmp_path):
    rows = default_rows()
    rows[3] = "0.5,1,10.06"
    p = one_scan(tmp_path, rows=rows)
    text = zipfile.ZipFile(p).read("Experiment0/RawData0.xml").decode()
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "<Datum>0.5,1,10.06</Datum>" in s)
    _raises(p, ReadError, rf"Experiment0/RawData0\.xml, line {line}: a <Datum> with 3 values where "
                          "the DataViews describe 8")


def test_non_numeric_datum(tmp_path):
    rows = default_rows()
    rows[1] = rows[1].replace("135", "n/a")
    _raises(one_scan(tmp_path, rows=rows), ReadError, "is not a row of comma-separated numbers")


def test_repeated_two_theta_names_member_line(tmp_path):
    rows = default_rows()
    rows[4] = datum_row(TT[3], 10)
    err = _raises(one_scan(tmp_path, rows=rows), DataError,
                  r"RawData0\.xml, line \d+: two_theta has a repeated value")
    assert err.line is None


def test_detector_frame_is_refused(tmp_path):
    _raises(one_scan(tmp_path, views=data_views(counter_len=477)), ReadError,
            "records 477 channels per point.*export the integrated pattern")


def test_rocking_curve_is_refused(tmp_path):
    rows = default_rows()
    xml = raw_data([route(rows, views=data_views(two_theta=False))]).replace('AxisId="TwoTheta"',
                                                                              'AxisId="Chi"')
    p = write_brml(tmp_path / "chi.brml", {"Experiment0/RawData0.xml": xml})
    _raises(p, ReadError, r"no 2θ column.*scan axes: Chi, Theta\); structkit reads 2θ scans")


def test_route_without_points(tmp_path):
    p = write_brml(tmp_path / "e.brml", {"Experiment0/RawData0.xml": raw_data([route([])])})
    _raises(p, ReadError, "DataRoute 0 holds no <Datum> rows")


@pytest.mark.parametrize("factor", ["0", "-2", "inf", "nan"])
def test_bad_absorber(tmp_path, factor):
    rows = default_rows()
    rows[2] = rows[2].replace(",1,", f",{factor},", 1)
    _raises(one_scan(tmp_path, rows=rows), ReadError,
            rf"line \d+: AbsorptionFactor {float(factor)} must be a positive number")


def test_bad_dataview_start(tmp_path):
    views = data_views().replace('Start="7"', 'Start="-1"')
    _raises(one_scan(tmp_path, views=views), ReadError, "no usable Start/Length.*damaged")


def test_unknown_intensity_unit(tmp_path):
    _raises(one_scan(tmp_path, views=data_views(counter_unit="Volt")), ReadError,
            "intensities in unit 'Volt'")


# -- Bruker binary .raw ----------------------------------------------------------------------------

@pytest.mark.parametrize("magic, version", [(b"RAW4.00\x00", "RAW4.00"), (b"RAW1.01\x00", "RAW1.01"),
                                            (b"RAW2", "RAW2"), (b"RAW \x00", "RAW, DIFFRAC-AT v1")])
def test_bruker_raw_is_refused_with_advice(tmp_path, magic, version):
    p = tmp_path / "scan.raw"
    p.write_bytes(magic + bytes(64) + np.arange(50, dtype="<f4").tobytes())
    err = _raises(p, ReadError, "is not supported")
    assert version in err.message and ".xy" in err.message and ".brml" in err.message


def test_raw_lookalike_text_is_not_refused():
    assert bruker_raw_refusal(b"RAW data follows\n1 2\n3 4\n") is None
    assert bruker_raw_refusal(b"PK\x03\x04") is None


# -- fuzz ----------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                                  max_size=4),
       edit=st.sampled_from(["none", "datum", "view", "flag", "axis"]))
def test_damaged_archives_fail_cleanly(tmp_path, cut, flips, edit):
    xml = raw_data([route(default_rows(temp=25.0), views=data_views(temp_unit="Celsius"))])
    xml = {"none": xml, "datum": xml.replace("10.0400", "1e999"),
           "view": xml.replace('Start="7"', 'Start="70"'), "flag": xml.replace("Measured", ""),
           "axis": xml.replace('AxisId="TwoTheta"', 'AxisId="X"')}[edit]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # stored: flips hit the XML itself
        z.writestr("Experiment0/RawData0.xml", xml)
    data = bytearray(buf.getvalue())
    for pos, value in flips:
        data[pos % len(data)] = value
    if flips:
        data = data[: max(cut % (len(data) + 1), 1)] if cut % 3 == 0 else data
    p = tmp_path / "fuzz.brml"
    p.write_bytes(bytes(data))
    try:
        m = read(p)
    except StructkitError as exc:
        assert "failed unexpectedly" not in str(exc), str(exc)
        assert exc.path == str(p)
        return
    assert isinstance(m, Measurement) and np.all(np.diff(m.x) > 0) and np.all(np.isfinite(m.y))
    assert m.sigma is None or np.all(m.sigma > 0)
