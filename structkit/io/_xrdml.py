"""PANalytical ``.xrdml`` (XRDML 1.x and 2.x): one 2θ scan per :func:`read_xrdml` call.

Follows the conventions of :mod:`._diffraction` (2θ in degrees, counts,
``technique="xrd"``). Format reference: the XRDML schemas
(``http://www.xrdml.com/XRDMeasurement/1.5`` ... ``2.1``) and GSAS-II's
reader (``GSASII/imports/G2pwd_Panalytical.py``).

Examples
--------
>>> sniff_xrdml(b'<?xml version="1.0"?><xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">')
True
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError
from ..core.measurement import Measurement
from ._diffraction import count_sigma, temperatures_kelvin, xrd_measurement
from ._text import head_text, parse_number, read_bytes
from ._xml import child, children, local_name, parse_xml, text_of, xml_floats

__all__ = ["read_xrdml", "sniff_xrdml"]


def sniff_xrdml(head: bytes) -> bool:
    """True for a PANalytical XRDML document (root ``xrdMeasurements`` or the xrdml.com namespace)."""
    text = head_text(head)
    return "<xrdMeasurements" in text or "xrdml.com/XRDMeasurement" in text or \
        re.search(r"<\w+:xrdMeasurements\b", text) is not None


def read_xrdml(path, *, scan: int = 0) -> Measurement:
    """Read one 2θ scan of a PANalytical ``.xrdml`` file (XRDML 1.x and 2.x namespaces).

    2θ comes from ``<positions axis="2Theta">`` (``startPosition``/``endPosition``,
    equally spaced, or ``listPositions``); y from ``<counts>`` or
    ``<intensities>``. Both are counts per step (``unit="counts"``); values in
    counts per second (``unit="cps"``) are multiplied by ``commonCountingTime``
    (or ``countingTimes``). ``beamAttenuationFactors`` are applied to
    ``<counts>`` (intensities already include them), and sigma is
    ``sqrt(max(raw counts, 1)) × factor``. ``usedWavelength`` gives
    ``wavelength_angstrom`` and, unless the intended radiation is Kα1 alone,
    ``wavelength2_angstrom`` and ``ka2_ratio``; ``nonAmbientPoints`` of type
    Temperature give the ``temperature_K`` condition (their mean; min/max in
    ``meta``), if their unit is stated, else a note; ``<sample><id>`` the sample.

    Parameters
    ----------
    path : str or path-like
    scan : int
        0-based scan index across the file's ``xrdMeasurement`` elements;
        ``meta["n_scans"]`` says how many there are.

    Raises
    ------
    ReadError
        Not well-formed XML, no ``dataPoints``/2θ positions/counts, a scan that
        does not move 2θ, or positions and counts of different lengths (with the line).
    DataError
        Non-finite or non-monotonic 2θ.
    ConfigError
        ``scan=`` out of range.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "LLZO.xrdml"
    >>> _ = p.write_text('<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">'
    ...     '<sample><id>LLZO-3</id></sample><xrdMeasurement><usedWavelength intended="K-Alpha">'
    ...     '<kAlpha1 unit="Angstrom">1.5405980</kAlpha1><kAlpha2 unit="Angstrom">1.5444260</kAlpha2>'
    ...     '<ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1></usedWavelength><scan><dataPoints>'
    ...     '<positions axis="2Theta" unit="deg"><startPosition>10</startPosition>'
    ...     '<endPosition>10.04</endPosition></positions><commonCountingTime unit="seconds">'
    ...     '2.0</commonCountingTime><intensities unit="counts">100 0 121</intensities>'
    ...     '</dataPoints></scan></xrdMeasurement></xrdMeasurements>')
    >>> m = read_xrdml(p)
    >>> m.x.tolist(), m.sigma.tolist(), m.sample, m.meta["ka2_ratio"], m.meta["counting_time_s"]
    ([10.0, 10.02, 10.04], [10.0, 1.0, 11.0], 'LLZO-3', 0.5, 2.0)
    """
    root, line = parse_xml(read_bytes(Path(path)), path, "the .xrdml file")
    if local_name(root.tag) != "xrdMeasurements":
        raise ReadError(f"root element <{local_name(root.tag)}> is not <xrdMeasurements>: not an XRDML "
                        "file", path=path, line=line(root))
    scans = [(meas, sc) for meas in children(root, "xrdMeasurement") for sc in children(meas, "scan")]
    if not scans:
        raise ReadError("no <scan> in any <xrdMeasurement>; the file holds no measurement",
                        path=path, line=line(root))
    if isinstance(scan, bool) or not isinstance(scan, (int, np.integer)) or not 0 <= scan < len(scans):
        raise ConfigError(f"scan={scan!r}: the file has {len(scans)} scan(s); give 0 to "
                          f"{len(scans) - 1}", path=path)
    meas, sc = scans[int(scan)]
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    meta: dict = {"format": "xrdml", "xrdml_namespace": ns or None, "scan_index": int(scan),
                  "n_scans": len(scans)}
    if len(scans) > 1:
        meta["scan_note"] = (f"the file holds {len(scans)} scans; scan {int(scan)} was read (pass "
                             "scan= to choose another)")
    for key, attr in (("measurement_type", "measurementType"), ("sample_mode", "sampleMode")):
        if meas.get(attr):
            meta[key] = meas.get(attr)
    for key, attr in (("scan_axis", "scanAxis"), ("scan_mode", "mode"), ("scan_status", "status")):
        if sc.get(attr):
            meta[key] = sc.get(attr)
    _xrdml_instrument(meas, sc, meta)
    sample = ""
    smp = child(root, "sample")
    if smp is not None:
        sample = text_of(child(smp, "id")) or text_of(child(smp, "name"))
        if text_of(child(smp, "name")):
            meta["sample_name"] = text_of(child(smp, "name"))
    dp = child(sc, "dataPoints")
    if dp is None:
        raise ReadError(f"scan {int(scan)} has no <dataPoints>; the scan holds no data", path=path,
                        line=line(sc))
    pos = next((p for p in children(dp, "positions") if p.get("axis", "").lower() == "2theta"), None)
    if pos is None:
        raise ReadError("<dataPoints> has no <positions axis=\"2Theta\">; not a 2θ scan", path=path,
                        line=line(dp))
    if pos.get("unit") and pos.get("unit").lower() not in ("deg", "degree", "degrees", "°"):
        raise ReadError(f"2θ positions in unit {pos.get('unit')!r}; structkit reads degrees",
                        path=path, line=line(pos))
    ycol = child(dp, "counts")
    ykind = "counts"
    if ycol is None:
        ycol, ykind = child(dp, "intensities"), "intensities"
    if ycol is None:
        raise ReadError("<dataPoints> has neither <counts> nor <intensities>", path=path,
                        line=line(dp))
    y = xml_floats(ycol, ykind, path, line(ycol))
    if y.size == 0:
        raise ReadError(f"<{ykind}> is empty", path=path, line=line(ycol))
    lst, start, end = child(pos, "listPositions"), child(pos, "startPosition"), child(pos, "endPosition")
    if lst is not None:
        tt = xml_floats(lst, "listPositions", path, line(lst))
        if tt.size != y.size:
            raise ReadError(f"{tt.size} 2θ positions in <listPositions> (line {line(lst)}) but "
                            f"{y.size} values in <{ykind}>; the file is inconsistent", path=path,
                            line=line(ycol))
    elif start is not None and end is not None:
        a = xml_floats(start, "startPosition", path, line(start))
        b = xml_floats(end, "endPosition", path, line(end))
        if a.size != 1 or b.size != 1:
            raise ReadError("<startPosition>/<endPosition> must hold one number each", path=path,
                            line=line(start))
        tt = np.linspace(a[0], b[0], y.size)
    else:
        common = child(pos, "commonPosition")
        raise ReadError(f"2θ does not move in this scan (commonPosition {text_of(common) or '?'}, "
                        f"scanAxis {sc.get('scanAxis', '?')}); structkit reads 2θ scans", path=path,
                        line=line(pos))
    rows = np.full(y.size, line(ycol) or 0, dtype=int)
    time_el = child(dp, "commonCountingTime")
    times = None
    if time_el is not None:
        t = xml_floats(time_el, "commonCountingTime", path, line(time_el))
        if t.size == 1:
            times, meta["counting_time_s"] = t[0], float(t[0])
    elif child(dp, "countingTimes") is not None:
        el = child(dp, "countingTimes")
        t = xml_floats(el, "countingTimes", path, line(el))
        if t.size != y.size:
            raise ReadError(f"{t.size} counting times but {y.size} values in <{ykind}>", path=path,
                            line=line(el))
        times = t
        meta["counting_time_s_min"], meta["counting_time_s_max"] = float(t.min()), float(t.max())
    unit = (ycol.get("unit") or "counts").strip().lower()
    if unit in ("cps", "counts/s", "counts per second", "counts/second"):
        if times is None:
            raise ReadError(f"<{ykind}> are in {unit} but there is no counting time to turn them "
                            "into counts", path=path, line=line(ycol))
        y = y * times
        meta["intensity_note"] = f"<{ykind}> in {unit} multiplied by the counting time"
    elif unit != "counts":
        raise ReadError(f"<{ykind}> in unit {ycol.get('unit')!r}; structkit reads counts or cps",
                        path=path, line=line(ycol))
    att_el = child(dp, "beamAttenuationFactors")
    factor = np.ones(y.size)
    if att_el is not None:
        f = xml_floats(att_el, "beamAttenuationFactors", path, line(att_el))
        if f.size != y.size or np.any(~np.isfinite(f)) or np.any(f <= 0):
            raise ReadError(f"<beamAttenuationFactors> must hold {y.size} positive numbers (it "
                            f"holds {f.size})", path=path, line=line(att_el))
        factor = f
        if ykind == "counts":
            y = y * factor
    sigma = count_sigma(y / factor) * factor if np.all(np.isfinite(y)) else None
    conditions = _xrdml_temperature(sc, meta, path, line)
    return xrd_measurement(path, tt, y, sigma, rows, meta, sample=sample, conditions=conditions)


def _xrdml_instrument(meas, sc, meta: dict) -> None:
    wl = child(meas, "usedWavelength")
    if wl is not None:
        def angstrom(name):
            el = child(wl, name)
            if el is None or not text_of(el):
                return None
            try:
                v = float(text_of(el))
            except ValueError:
                return None
            unit = (el.get("unit") or "Angstrom").lower()
            return v * 10.0 if unit == "nm" else v
        intended = wl.get("intended") or ""
        meta["radiation_intended"] = intended or None
        k1, k2 = angstrom("kAlpha1"), angstrom("kAlpha2")
        if k1 is not None:
            meta["wavelength_angstrom"] = k1
        ratio = text_of(child(wl, "ratioKAlpha2KAlpha1"))
        if k2 is not None and intended.replace(" ", "").lower() != "k-alpha1":
            meta["wavelength2_angstrom"] = k2
            try:
                meta["ka2_ratio"] = float(ratio) if ratio else None
            except ValueError:
                meta["ka2_ratio"] = None
        if angstrom("kBeta") is not None:
            meta["kbeta_angstrom"] = angstrom("kBeta")
    ibp = child(meas, "incidentBeamPath")
    if ibp is not None:
        radius = text_of(child(ibp, "radius"))
        if radius:
            meta["goniometer_radius_mm"] = parse_number(radius) if _is_float(radius) else radius
        tube = child(ibp, "xRayTube")
        if tube is not None:
            meta["radiation"] = "x-ray"
            if tube.get("name"):
                meta["tube"] = tube.get("name")
            if text_of(child(tube, "anodeMaterial")):
                meta["anode"] = text_of(child(tube, "anodeMaterial"))
            for key, name in (("tension_kV", "tension"), ("current_mA", "current")):
                text = text_of(child(tube, name))
                if _is_float(text):
                    meta[key] = float(text)
    dbp = child(meas, "diffractedBeamPath")
    det = child(dbp, "detector") if dbp is not None else None
    if det is not None and det.get("name"):
        meta["detector"] = det.get("name")
    header = child(sc, "header")
    if header is not None:
        for key, name in (("start_time", "startTimeStamp"), ("end_time", "endTimeStamp")):
            if text_of(child(header, name)):
                meta[key] = text_of(child(header, name))
        src = child(header, "source")
        if src is not None:
            if text_of(child(src, "instrumentControlSoftware")):
                meta["instrument"] = text_of(child(src, "instrumentControlSoftware"))
            if text_of(child(src, "instrumentID")):
                meta["instrument_id"] = text_of(child(src, "instrumentID"))


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _xrdml_temperature(sc, meta: dict, path, line) -> dict:
    nap = next((el for el in sc.iter() if local_name(el.tag) == "nonAmbientPoints"), None)
    if nap is None:
        return {}
    kind = nap.get("type") or ""
    meta["non_ambient_type"] = kind or None
    vals_el = next((el for el in nap.iter() if local_name(el.tag) == "nonAmbientValues"), None)
    try:
        vals = [float(t) for t in text_of(vals_el).split()]
    except ValueError:
        vals = []
    vals = [v for v in vals if math.isfinite(v)]
    if kind.lower() != "temperature" or not vals:
        return {}
    unit = (vals_el.get("unit") if vals_el is not None else None) or nap.get("unit")
    try:
        kelvin = temperatures_kelvin(vals, unit)
    except DataError as exc:
        raise DataError(f"nonAmbientValues: {exc.message}", path=path, line=line(vals_el)) from None
    if kelvin is None:
        mean = sum(vals) / len(vals)
        meta["temperature"] = f"{mean:g}"  # no unit: resolve_conditions records it, does not guess
        meta["temperature_note"] = ("nonAmbientValues states no temperature unit; pass "
                                    "temperature_K= or use a conditions sidecar")
        return {}
    meta["temperature_min_K"], meta["temperature_max_K"] = float(min(kelvin)), float(max(kelvin))
    return {"temperature_K": round(float(sum(kelvin) / len(kelvin)), 9)}

