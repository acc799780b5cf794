"""Bruker DIFFRAC.SUITE ``.brml``, and a clear refusal for Bruker's binary ``.raw``.

A ``.brml`` is a zip archive of XML documents. Layout, as the public readers
listed below read it (no Bruker specification is published)::

    experimentCollection.xml
    Experiment0/DataContainer.xml      <MeasurementInfo SampleName="..."/>
                                       <RawDataReferenceList><string>Experiment0/RawData0.xml</string> ...
    Experiment0/RawData0.xml           one per scan (a reciprocal-space map has hundreds)
    Experiment0/MeasurementContainer.xml, InstructionContainer.xml, ...

    <RawData>                                         (one RawData<N>.xml)
      <Identifier MachineName="..."/> <TimeStampStarted/> <TimeStampFinished/>
      <DataRoutes><DataRoute RouteFlag="Measured">
        <ScanInformation ScanName="..."> <ScanMode/> <TimePerStep/> <TimePerStepEffective/>
          <MeasurementPoints/> <ScanAxes><ScanAxisInfo AxisId="TwoTheta"> <Reference/> <Start/>
          <Stop/> <Increment/> ...
        <SubScans><SubScanInfo StartStepNo="0" MeasuredSteps="..." PlannedTimePerStep="..."/>
        <Datum>0.5,1,10.00,5.00,1234</Datum>          one comma-separated row per point
        <DataViews>                                   which column of a Datum is what
          <RawDataView xsi:type="FixedRawDataView" Start="0" Length="1" LogicName="MeasuredTime"/>
          <RawDataView xsi:type="FixedRawDataView" Start="1" Length="1" LogicName="AbsorptionFactor"/>
          <RawDataView xsi:type="VaryingRawDataView" Start="2" Length="2"><Varying>
            <FieldDefinitions FieldName="TwoTheta" AxisId="TwoTheta"/> <FieldDefinitions ... "Theta"/>
          <RawDataView xsi:type="RecordedRawDataView" Start="4" Length="1">
            <Recording LogicName="ScanCounter"><Unit Base="Counts"/>
      <FixedInformation> ... <Tube> <WaveLengthAlpha1 Value="1.5406" Unit="Å"/> <WaveLengthAlpha2/>
          <WaveLengthRatio/> <WaveLengthBeta/> <TubeMaterial>Cu</TubeMaterial>
          <Generator><Voltage Value="40" Unit="kV"/><Current Value="40" Unit="mA"/>

What :func:`read_brml` does with it:

* **Scan**: the ``RawData`` members in the order ``DataContainer.xml`` lists them
  (else by name and number). ``scan=None`` reads the first that is a 2θ scan
  (non-ambient temperature-program logs, ``ScanName`` ``...NonAmbientModeData``,
  are skipped); ``scan=k`` reads the k-th member.
* **Route**: the ``DataRoute`` flagged ``RouteFlag="Measured"``, or the only
  one; when several qualify, the first that holds ``<Datum>`` rows, and
  ``meta["route_note"]`` says the others were not read (``route=k`` picks the
  k-th). Routes are never concatenated: their 2θ ranges may overlap.
* **Columns** come from ``<DataViews>`` (2θ: the ``TwoTheta`` field of the
  varying view; intensity: the recorded counter; a recorded channel whose
  ``LogicName`` names a temperature, e.g. ``modeActualTemp``, gives the
  temperature), never from fixed positions: real files put the counter at
  column 4 or 7. Without ``<DataViews>``, 5-column rows are read as the layout
  GSAS-II and cheminfo read (time, -, 2θ, θ, counts), with a note. A recorded
  view of more than one channel per point is a detector frame, not a pattern,
  and is refused.
* **Intensity** is counts per step as stored; the stored values already include
  the absorber (``AbsorptionFactor``), so sigma is ``sqrt(max(y/a, 1)) × a``.
  Counts per second are multiplied by the ``MeasuredTime`` column.
* **Wavelength** from the ``Tube`` (``WaveLengthAlpha1/Alpha2/Ratio/Beta``),
  else a ``WaveLength`` element, in ``RawData`` or else in
  ``MeasurementContainer.xml``; anode, tension and current from the same tube.
* **Temperature**: the mean of the recorded temperature channel becomes the
  ``temperature_K`` condition when its unit is stated (Celsius or Kelvin);
  otherwise ``meta["temperature"]`` and a note, never a guess.

Sources read for the structure (2024-2026 versions; none copied): GSAS-II
``GSASII/imports/G2pwd_BrukerBRML.py``; PyXRD
``pyxrd/file_parsers/xrd_parsers/brk_brml_parser.py`` (DataViews, SubScans,
``modeActualTemp``, ``NonAmbientModeData``, the tube's wavelengths);
FAIRmat ``nomad-measurements`` ``xrd/IKZ.py`` ``BRMLfile`` (manifest, ScanAxisInfo
``Reference``, ``FixedInformation``); cheminfo's ``readBRML`` (Datum columns,
``Identifier``); xylib ``bruker_raw.cpp`` (the ``.raw`` signatures).

Bruker's binary ``.raw`` (``RAW ``, ``RAW2``, ``RAW1.01``, ``RAW4.00``) is
recognised by :func:`bruker_raw_refusal` and refused with advice: no maintained
pure-Python reader exists (xylib reads v1-v3 only, and needs a C++/SWIG build).

Examples
--------
>>> sniff_brml(b"PK\\x03\\x04" + bytes(26) + b"Experiment0/RawData0.xml")
True
>>> bruker_raw_refusal(b"RAW4.00\\x00" + bytes(100))[:45]
'Bruker DIFFRAC binary .raw (RAW4.00, DIFFRAC.'
"""

from __future__ import annotations

import io
import math
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError
from ..core.measurement import Measurement
from ._diffraction import count_sigma, temperatures_kelvin, xrd_measurement
from ._text import read_bytes
from ._xml import child, local_name, parse_xml, text_of

__all__ = ["read_brml", "sniff_brml", "bruker_raw_refusal"]

_ZIP_MAGIC = b"PK\x03\x04"
_RAW_DATA = re.compile(r"(^|/)RawData(\d+)\.xml$", re.IGNORECASE)
_MANIFEST = re.compile(r"(^|/)DataContainer\.xml$", re.IGNORECASE)
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
#: A member larger than this is not read (the archive's own size claims are not trusted).
_MAX_MEMBER_BYTES = 256 * 1024 * 1024
#: Recorded-channel names of the detector counter (PyXRD; real files).
_COUNTERS = ("scancounter", "counter0d")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
               ValueError, OSError)


def sniff_brml(head: bytes) -> bool:
    """True for a zip archive whose first members are those of a ``.brml``.

    Examples
    --------
    >>> sniff_brml(b"PK\\x03\\x04" + bytes(26) + b"experimentCollection.xml")
    True
    >>> sniff_brml(b"PK\\x03\\x04" + bytes(26) + b"word/document.xml")
    False
    """
    return head.startswith(_ZIP_MAGIC) and any(
        name in head for name in (b"RawData", b"DataContainer.xml", b"experimentCollection.xml",
                                  b"Experiment0/"))


# -- the archive --------------------------------------------------------------------------------


def _open_archive(path) -> zipfile.ZipFile:
    data = read_bytes(Path(path))
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise ReadError(f"not a readable zip archive ({exc}); a .brml is a zip of XML documents: the "
                        "file is damaged or incomplete (an interrupted copy?)", path=path) from None


def _member(zf: zipfile.ZipFile, name: str, path) -> bytes:
    try:
        with zf.open(name) as fh:
            data = fh.read(_MAX_MEMBER_BYTES + 1)
    except KeyError:
        raise ReadError(f"DataContainer.xml lists {name!r}, which the archive does not contain; the "
                        ".brml is incomplete", path=path) from None
    except _ZIP_ERRORS as exc:
        raise ReadError(f"member {name} cannot be extracted ({type(exc).__name__}: {exc}); the .brml "
                        "is damaged", path=path) from None
    if len(data) > _MAX_MEMBER_BYTES:
        raise ReadError(f"member {name} is larger than {_MAX_MEMBER_BYTES >> 20} MiB; not read",
                        path=path)
    return data


def _scan_members(zf: zipfile.ZipFile, path) -> list[str]:
    """The RawData members in the manifest's order, or by folder and number without a manifest."""
    names = zf.namelist()
    manifest = next((n for n in names if _MANIFEST.search(n)), None)
    if manifest is not None:
        root, _ = parse_xml(_member(zf, manifest, path), path, f"member {manifest}", in_member=True)
        listed = [text_of(s) for ref in root.iter() if local_name(ref.tag) == "RawDataReferenceList"
                  for s in ref if text_of(s)]
        if listed:
            return listed
    found = [(n.rsplit("/", 1)[0] if "/" in n else "", int(m.group(2)), n)
             for n in names for m in [_RAW_DATA.search(n)] if m]
    if not found:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise ReadError(f"no Experiment*/RawData<N>.xml member: not a Bruker .brml archive (members: "
                        f"{shown or 'none'})", path=path)
    return [n for _, _, n in sorted(found)]


def _sample_name(zf: zipfile.ZipFile, path) -> str:
    manifest = next((n for n in zf.namelist() if _MANIFEST.search(n)), None)
    if manifest is None:
        return ""
    root, _ = parse_xml(_member(zf, manifest, path), path, f"member {manifest}", in_member=True)
    info = next((el for el in root.iter() if local_name(el.tag) == "MeasurementInfo"), None)
    return (info.get("SampleName") or "").strip() if info is not None else ""


# -- one RawData document ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    two_theta: int | None
    intensity: int
    intensity_unit: str
    time: int | None
    absorber: int | None
    temperature: int | None
    temperature_unit: str
    note: str = ""


def _find(el, name: str):
    """The first descendant of ``el`` called ``name`` (any depth, any namespace), or None."""
    return next((d for d in el.iter() if local_name(d.tag) == name), None)


def _view_type(view) -> str:
    return (view.get(_XSI_TYPE) or view.get("type") or "").rpartition(":")[2]


def _unit_base(el) -> str:
    unit = _find(el, "Unit") if el is not None else None
    if unit is not None:
        return (unit.get("Base") or text_of(unit)).strip()
    return ((el.get("Unit") if el is not None else "") or "").strip()


def _columns(route, member: str, width: int, path) -> _Columns:
    views = [v for v in route.iter() if local_name(v.tag) == "RawDataView"]
    if not views:
        if width == 5:
            return _Columns(2, 4, "Counts", 0, None, None, "",
                            note="no <DataViews>: columns read as time, -, 2θ, θ, counts (the layout "
                                 "GSAS-II and cheminfo read)")
        raise ReadError(f"{member}: no <DataViews> to say which of the {width} values of a <Datum> "
                        "is 2θ and which the intensity; export the scan as .xy", path=path)
    fixed: dict[str, int] = {}
    two_theta = None
    counters: list[tuple[int, str, str, int]] = []  # (start, logic name, unit, length)
    for view in views:
        try:
            start, length = int(view.get("Start", "")), int(view.get("Length", "1"))
        except ValueError:
            start = length = -1
        if start < 0 or length < 1:
            raise ReadError(f"{member}: a <RawDataView> has no usable Start/Length (Start="
                            f"{view.get('Start')!r}, Length={view.get('Length')!r}); the file is "
                            "damaged", path=path)
        kind = _view_type(view)
        if kind == "FixedRawDataView":
            fixed.setdefault((view.get("LogicName") or "").lower(), start)
        elif kind == "VaryingRawDataView":
            fields = [f for f in view.iter() if local_name(f.tag) == "FieldDefinitions"]
            for k, field in enumerate(fields):
                axis = (field.get("AxisId") or "").strip() or (field.get("FieldName") or "").strip()
                if axis.lower() == "twotheta" and two_theta is None:
                    two_theta = start + k
        elif kind == "RecordedRawDataView":
            rec = _find(view, "Recording")
            name = ((rec.get("LogicName") if rec is not None else None) or "").strip()
            counters.append((start, name, _unit_base(rec) or (view.get("Unit") or ""), length))
    temps = [c for c in counters if "temp" in c[1].lower() and c[3] == 1]
    counts = [c for c in counters if c not in temps]
    chosen = (next((c for c in counts if c[1].lower() in _COUNTERS), None)
              or next((c for c in counts if "count" in c[2].lower()), None)
              or (counts[0] if counts else None))
    if chosen is None:
        raise ReadError(f"{member}: no RecordedRawDataView, so no column holds the measured "
                        "intensity", path=path)
    if chosen[3] != 1:
        raise ReadError(f"{member}: the detector records {chosen[3]} channels per point (a 1-D/2-D "
                        "detector frame, as in a still scan or a reciprocal-space map), not one "
                        "intensity per 2θ step; export the integrated pattern as .xy from DIFFRAC.EVA",
                        path=path)
    temp = temps[0] if temps else None
    return _Columns(two_theta, chosen[0], chosen[2], fixed.get("measuredtime"),
                    fixed.get("absorptionfactor"), None if temp is None else temp[0],
                    "" if temp is None else temp[2])


def _child_number(el, name: str) -> float | None:
    text = text_of(child(el, name))
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _axis_info(scan_info, axis_id: str):
    """ScanAxisInfo of ``axis_id``: (start, stop, step) in its unit with Reference added, or None."""
    if scan_info is None:
        return None
    info = next((el for el in scan_info.iter() if local_name(el.tag) == "ScanAxisInfo"
                 and (el.get("AxisId") or "").lower() == axis_id), None)
    if info is None:
        return None
    ref = _child_number(info, "Reference") or 0.0
    start, stop = _child_number(info, "Start"), _child_number(info, "Stop")
    return (None if start is None else start + ref, None if stop is None else stop + ref,
            _child_number(info, "Increment"))


def _routes(root, route, member: str, path):
    routes = [r for r in root.iter() if local_name(r.tag) == "DataRoute"]
    if not routes:
        raise ReadError(f"{member} has no <DataRoute>: it holds no measured points", path=path)
    if route is not None:
        if isinstance(route, bool) or not isinstance(route, (int, np.integer)) or \
                not 0 <= route < len(routes):
            raise ConfigError(f"route={route!r}: {member} has {len(routes)} DataRoute(s); give 0 to "
                              f"{len(routes) - 1}", path=path)
        return routes, int(route), ""
    measured = [i for i, r in enumerate(routes) if (r.get("RouteFlag") or "").lower() == "measured"]
    candidates = measured or list(range(len(routes)))
    with_data = [i for i in candidates if _find(routes[i], "Datum") is not None]
    index = (with_data or candidates)[0]
    note = ""
    if len(candidates) > 1:
        flags = ", ".join(routes[i].get("RouteFlag") or "(no flag)" for i in range(len(routes)))
        note = (f"{member} has {len(routes)} DataRoutes ({flags}); route {index} was read, the "
                "others were not (pass route= to choose another; routes are never concatenated)")
    return routes, index, note


def _is_scan(root) -> bool:
    info = _find(root, "ScanInformation")
    return "nonambientmodedata" not in ((info.get("ScanName") or "") if info is not None else "").lower()


def _rows(datums, cols: _Columns, line, member: str, path):
    need = 1 + max(c for c in (cols.two_theta, cols.intensity, cols.time, cols.absorber,
                               cols.temperature) if c is not None)
    values, lines = [], []
    for d in datums:
        parts = text_of(d).split(",")
        n = line(d)
        where = f"{member}, line {n}" if n else member
        if len(parts) < need:
            raise ReadError(f"{where}: a <Datum> with {len(parts)} values where the DataViews "
                            f"describe {need}; the file is damaged", path=path)
        try:
            values.append([float(t) for t in parts[:need]])
        except ValueError:
            raise ReadError(f"{where}: <Datum> {text_of(d)[:60]!r} is not a row of comma-separated "
                            "numbers", path=path) from None
        lines.append(n or 0)
    return np.array(values, dtype=float).reshape(-1, need), np.array(lines, dtype=int)


def _measured_rows(route, n: int, meta: dict) -> np.ndarray | None:
    """Row indices the SubScans say were measured, when that is fewer than the rows (else None)."""
    keep: list[int] = []
    for sub in route.iter():
        if local_name(sub.tag) != "SubScanInfo":
            continue
        try:
            start, steps = int(sub.get("StartStepNo", "0")), int(sub.get("MeasuredSteps", ""))
        except ValueError:
            return None
        keep.extend(range(max(start, 0), min(start + max(steps, 0), n)))
    keep = sorted(set(keep))
    if not keep or len(keep) >= n:
        return None
    meta["subscan_note"] = (f"SubScans report {len(keep)} measured steps of {n} <Datum> rows; the "
                            f"{n - len(keep)} unmeasured rows were not read")
    return np.array(keep, dtype=int)


# -- instrument ------------------------------------------------------------------------------


def _angstrom(el) -> float | None:
    if el is None:
        return None
    try:
        value = float(el.get("Value") or text_of(el))
    except ValueError:
        return None
    unit = (el.get("Unit") or "").strip().lower().replace("ångström", "å").replace("angstrom", "å")
    scale = {"å": 1.0, "a": 1.0, "nm": 10.0, "pm": 0.01}.get(unit)
    if scale is None:
        scale = 1.0 if not unit and 0.01 < value < 20 else None
    if scale is None or not math.isfinite(value) or value <= 0:
        return None
    return value * scale


def _instrument(root, meta: dict) -> None:
    tube = next((t for t in root.iter() if local_name(t.tag) == "Tube"
                 and _find(t, "WaveLengthAlpha1") is not None), None)
    where = tube if tube is not None else root
    k1 = _angstrom(_find(where, "WaveLengthAlpha1"))
    if k1 is None:
        k1 = _angstrom(_find(root, "WaveLength"))
    if k1 is not None:
        meta["wavelength_angstrom"] = k1
        meta["radiation"] = "x-ray"
    k2 = _angstrom(_find(where, "WaveLengthAlpha2"))
    ratio_el = _find(where, "WaveLengthRatio")
    try:
        ratio = float(ratio_el.get("Value") or text_of(ratio_el)) if ratio_el is not None else None
    except ValueError:
        ratio = None
    if k1 is not None and k2 is not None and k2 != k1 and (ratio is None or ratio > 0):
        meta["wavelength2_angstrom"], meta["ka2_ratio"] = k2, ratio
    for key, name in (("kbeta_angstrom", "WaveLengthBeta"),
                      ("wavelength_average_angstrom", "WaveLengthAverage")):
        value = _angstrom(_find(where, name))
        if value is not None:
            meta[key] = value
    if tube is None:
        return
    anode = _find(tube, "TubeMaterial")
    if anode is not None and (anode.get("Value") or text_of(anode)):
        meta["anode"] = (anode.get("Value") or text_of(anode)).strip()
    for key, name in (("tension_kV", "Voltage"), ("current_mA", "Current")):
        el = _find(tube, name)
        try:
            value = float(el.get("Value")) if el is not None else math.nan
        except (TypeError, ValueError):
            value = math.nan
        if math.isfinite(value):
            meta[key] = value


def _scan_meta(root, route, meta: dict) -> None:
    for key, name in (("start_time", "TimeStampStarted"), ("end_time", "TimeStampFinished")):
        if text_of(_find(root, name)):
            meta[key] = text_of(_find(root, name))
    ident = _find(root, "Identifier")
    if ident is not None and ident.get("MachineName"):
        meta["machine_name"] = ident.get("MachineName")
    info = _find(route, "ScanInformation")
    if info is None:
        return
    if info.get("ScanName"):
        meta["scan_name"] = info.get("ScanName")
    if text_of(child(info, "ScanMode")):
        meta["scan_mode"] = text_of(child(info, "ScanMode"))
    for key, name in (("counting_time_s", "TimePerStep"),
                      ("counting_time_effective_s", "TimePerStepEffective"),
                      ("planned_points", "MeasurementPoints")):
        value = _child_number(info, name)
        if value is not None and math.isfinite(value):
            meta[key] = int(value) if key == "planned_points" else value
    axes = [el.get("AxisId") for el in info.iter()
            if local_name(el.tag) == "ScanAxisInfo" and el.get("AxisId")]
    if axes:
        meta["scan_axes"] = axes
    span = _axis_info(info, "twotheta")
    if span is not None:
        for key, value in zip(("start_deg", "stop_deg", "step_deg"), span):
            if value is not None:
                meta[key] = value


def _temperature(temps: np.ndarray, unit: str, member: str, meta: dict, path) -> dict:
    temps = temps[np.isfinite(temps)]
    if temps.size == 0:
        return {}
    u = unit.lower().replace("degree", "").replace("deg", "").strip()
    try:
        kelvin = temperatures_kelvin(temps.tolist(), u)
    except DataError as exc:
        raise DataError(f"{member}: temperature channel: {exc.message}", path=path) from None
    if kelvin is None:
        meta["temperature"] = f"{float(temps.mean()):g}"  # no unit: resolve_conditions does not guess
        meta["temperature_note"] = (f"the recorded temperature channel states no unit it can use "
                                    f"({unit or 'none'}); pass temperature_K= or use a conditions "
                                    "sidecar")
        return {}
    meta["temperature_min_K"], meta["temperature_max_K"] = float(min(kelvin)), float(max(kelvin))
    return {"temperature_K": round(float(sum(kelvin) / len(kelvin)), 9)}


# -- the reader ------------------------------------------------------------------------------


def read_brml(path, *, scan: int | None = None, route: int | None = None) -> Measurement:
    """Read one 2θ scan of a Bruker DIFFRAC.SUITE ``.brml`` archive.

    See the module documentation for the layout and the rules (which scan,
    which data route, which columns, absorber, wavelength, temperature).

    Parameters
    ----------
    path : str or path-like
    scan : int, optional
        0-based index of the ``RawData`` member, in the order
        ``DataContainer.xml`` lists them (``meta["n_scans"]``); by default the
        first that is a 2θ scan.
    route : int, optional
        0-based index of the ``DataRoute`` to read; by default the one flagged
        ``Measured``.

    Returns
    -------
    Measurement

    Raises
    ------
    ReadError
        Not a zip, a damaged member, no ``RawData`` member, not well-formed XML,
        no 2θ column, a detector frame, a malformed ``<Datum>`` (naming the
        member and its line).
    DataError
        Non-finite or repeated 2θ (with the member's line).
    ConfigError
        ``scan=`` or ``route=`` out of range.

    Examples
    --------
    >>> import tempfile, pathlib, zipfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "LLZO.brml"
    >>> rows = "".join(f"<Datum>1,1,{10 + 0.02 * i:.2f},{5 + 0.01 * i:.2f},{c}</Datum>"
    ...                for i, c in enumerate([100, 0, 121]))
    >>> views = ('<DataViews xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    ...     '<RawDataView xsi:type="VaryingRawDataView" Start="2" Length="2"><Varying>'
    ...     '<FieldDefinitions AxisId="TwoTheta"/><FieldDefinitions AxisId="Theta"/></Varying>'
    ...     '</RawDataView><RawDataView xsi:type="RecordedRawDataView" Start="4" Length="1">'
    ...     '<Recording LogicName="ScanCounter"/></RawDataView></DataViews>')
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("Experiment0/RawData0.xml", '<RawData><DataRoutes><DataRoute RouteFlag='
    ...                f'"Measured">{rows}{views}</DataRoute></DataRoutes></RawData>')
    >>> m = read_brml(p)
    >>> m.x.tolist(), m.y.tolist(), m.sigma.tolist(), m.meta["brml_member"]
    ([10.0, 10.02, 10.04], [100.0, 0.0, 121.0], [10.0, 1.0, 11.0], 'Experiment0/RawData0.xml')
    """
    zf = _open_archive(path)
    with zf:
        members = _scan_members(zf, path)
        if scan is not None and (isinstance(scan, bool) or not isinstance(scan, (int, np.integer))
                                 or not 0 <= scan < len(members)):
            raise ConfigError(f"scan={scan!r}: the archive has {len(members)} scan(s); give 0 to "
                              f"{len(members) - 1}", path=path)
        skipped: list[str] = []
        for index in ([int(scan)] if scan is not None else range(len(members))):
            member = members[index]
            root, line = parse_xml(_member(zf, member, path), path, f"member {member}",
                                   in_member=True)
            if scan is not None or _is_scan(root):
                break
            skipped.append(member)
        else:
            raise ReadError(f"none of the {len(members)} RawData member(s) is a 2θ scan (all are "
                            "non-ambient mode logs)", path=path)
        sample = _sample_name(zf, path)
        meta: dict = {"format": "brml", "brml_member": member, "scan_index": index,
                      "n_scans": len(members)}
        instrument_root = root
        container = next((n for n in zf.namelist()
                          if n.lower().endswith("measurementcontainer.xml")), None)
        if container is not None and _find(root, "WaveLengthAlpha1") is None \
                and _find(root, "WaveLength") is None:
            try:  # metadata only: a damaged container costs the wavelength, not the pattern
                instrument_root = parse_xml(_member(zf, container, path), path,
                                            f"member {container}", in_member=True)[0]
            except ReadError as exc:
                meta["instrument_note"] = f"{container} not read: {exc.message}"
    if skipped:
        meta["skipped_members"] = skipped
    if len(members) > 1:
        meta["scan_note"] = (f"the archive holds {len(members)} RawData members; {member} was read "
                             "(pass scan= to choose another)")
    routes, ri, note = _routes(root, route, member, path)
    the_route = routes[ri]
    meta.update(route_index=ri, n_routes=len(routes))
    if note:
        meta["route_note"] = note
    if sample:
        meta["sample_name"] = sample
    _scan_meta(root, the_route, meta)
    _instrument(instrument_root, meta)
    datums = [d for d in the_route.iter() if local_name(d.tag) == "Datum"]
    if not datums:
        raise ReadError(f"{member}: DataRoute {ri} holds no <Datum> rows (an aborted or empty scan)",
                        path=path)
    width = min(len(text_of(d).split(",")) for d in datums)
    cols = _columns(the_route, member, width, path)
    if cols.note:
        meta["brml_note"] = cols.note
    values, lines = _rows(datums, cols, line, member, path)
    steps = _measured_rows(the_route, len(values), meta)
    if steps is None:
        steps = np.arange(len(values))
    else:
        values, lines = values[steps], lines[steps]
    if cols.two_theta is not None:
        tt = values[:, cols.two_theta]
    else:
        span = _axis_info(_find(the_route, "ScanInformation"), "twotheta")
        if span is None or span[0] is None or not span[2]:
            axes = ", ".join(meta.get("scan_axes", [])) or "none named"
            raise ReadError(f"{member}: no 2θ column in the DataViews and no TwoTheta scan axis with "
                            f"Start and Increment (scan axes: {axes}); structkit reads 2θ scans",
                            path=path)
        tt = span[0] + span[2] * steps
    y = values[:, cols.intensity]
    unit = cols.intensity_unit.lower().replace(" ", "")
    if unit in ("cps", "countspersecond", "counts/s", "1/s"):
        if cols.time is None:
            raise ReadError(f"{member}: intensities in {cols.intensity_unit} but no MeasuredTime "
                            "column to turn them into counts", path=path)
        y = y * values[:, cols.time]
        meta["intensity_note"] = f"intensities in {cols.intensity_unit} multiplied by MeasuredTime"
    elif unit not in ("", "counts", "count"):
        raise ReadError(f"{member}: intensities in unit {cols.intensity_unit!r}; structkit reads "
                        "counts or counts per second", path=path)
    if cols.time is not None:
        t = values[:, cols.time]
        meta["measured_time_min"], meta["measured_time_max"] = float(t.min()), float(t.max())
    absorber = np.ones(len(y)) if cols.absorber is None else values[:, cols.absorber]
    bad = np.flatnonzero(~(np.isfinite(absorber) & (absorber > 0)))
    if bad.size:
        i = int(bad[0])
        raise ReadError(f"{member}, line {lines[i]}: AbsorptionFactor {absorber[i]} must be a "
                        "positive number", path=path)
    if np.any(absorber != 1):
        meta["absorber_note"] = (f"{int(np.sum(absorber != 1))} point(s) measured with an absorber "
                                 f"(factor up to {float(absorber.max()):g}); the stored intensities "
                                 "include it, sigma = sqrt(max(y/a, 1)) a")
    sigma = count_sigma(y / absorber) * absorber if np.all(np.isfinite(y)) else None
    conditions = ({} if cols.temperature is None else
                  _temperature(values[:, cols.temperature], cols.temperature_unit, member, meta, path))
    return xrd_measurement(path, tt, y, sigma, lines, meta, sample=sample, conditions=conditions,
                           member=member)


# -- Bruker binary .raw: recognised, refused ----------------------------------------------------

#: Leading bytes of Bruker's binary .raw versions (xylib ``bruker_raw.cpp``; ``RAW4.00``: DIFFRAC.SUITE).
_RAW_VERSIONS = ((b"RAW4.00", "RAW4.00, DIFFRAC.SUITE"), (b"RAW1.01", "RAW1.01, DIFFRAC plus v3"),
                 (b"RAW2", "RAW2, DIFFRAC-AT v2"), (b"RAW ", "RAW, DIFFRAC-AT v1"))


def bruker_raw_refusal(head: bytes) -> str | None:
    """Why a Bruker binary ``.raw`` cannot be read, or None if ``head`` is not one.

    Examples
    --------
    >>> bruker_raw_refusal(b"RAW 1.00 some text\\n") is None   # no binary header
    True
    """
    version = next((v for magic, v in _RAW_VERSIONS if head.startswith(magic)), None)
    if version is None or b"\x00" not in head[:256]:
        return None
    return (f"Bruker DIFFRAC binary .raw ({version}) is not supported: it is an undocumented binary "
            "format and no maintained pure-Python reader exists. Export the scan as .xy (DIFFRAC.EVA) "
            "or save it as .brml (DIFFRAC.SUITE), and read that")
