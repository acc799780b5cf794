"""HRTEM images and image series: :func:`read_image` returns an :class:`~structkit.core.image.ImageStack`.

One image is a stack of one frame. The frames are not copied: with
``mmap=True`` (the default) an uncompressed TIFF, an MRC, a DM3/DM4 or an
``.npy`` file is memory-mapped, so a long in-situ series does not have to fit
in memory (``meta["memory_mapped"]`` says whether it was).

Formats (:data:`IMAGE_FORMATS`), sniffed from the content, then the extension;
``format=`` forces one:

====== ================= ==================================================================
name   extensions        calibration and dose read from the file
====== ================= ==================================================================
tiff   .tif .tiff        FEI/Thermo Fisher ``[Scan] PixelWidth`` (m) and ``[Beam] HV``;
                         Gatan DM-export tags 65009/65010 (scale) + 65003/65004 (unit);
                         ImageJ ``unit=`` + XResolution, ``finterval=`` (s per frame);
                         TIFF XResolution + ResolutionUnit (cm, inch). Needs tifffile.
mrc    .mrc .mrcs .st    ``voxel_size`` (Å; 0 = unknown); FEI1/FEI2 extended header
                         ``HT``, ``Dose`` (e⁻/m² per frame), ``Integration time``,
                         ``Pixel size X``. Image stacks (ispg 0), volumes (z-sections
                         read as frames) and volume stacks of single sections. Needs mrcfile.
dm3    .dm3              Gatan DigitalMicrograph 3/4 (rosettasciio): axes ``scale``/``units``;
dm4    .dm4              ``ImageTags › Microscope Info › Voltage`` (V) and
                         ``Acquisition › Parameters › High Level › Exposure (s)``
                         (else ``DataBar › Exposure Time (s)``); 3-D data = frames.
emd    .emd              NCEM / Velox EMD through rosettasciio (first image in the file):
                         axes scale/units, ``beam_energy`` when the reader maps it.
ser    .ser              FEI TIA series through rosettasciio: axes scale/units, the
                         accelerating voltage from ``ObjectInfo``.
npy    .npy              NumPy array (ny, nx) or (n, ny, nx); no calibration: give it.
====== ================= ==================================================================

Options (``pixel_size_angstrom=``, ``dose_per_frame_e_per_A2=``,
``dose_rate_e_per_A2_per_s=``, ``frame_time_s=``, ``voltage_kV=``) override the
file; ``meta["pixel_size_from"]``, ``meta["dose_from"]``,
``meta["frame_time_from"]`` and ``meta["voltage_from"]`` say where each value
came from (``"option"``, ``"file:<tag>"``, or None when unknown), and
``meta["metadata"]`` keeps the file's relevant raw values. Resolution tags that
are display defaults (1 pixel per unit, ≤ 1200 dots per inch) are not a
calibration and are ignored (``meta["notes"]`` says so). ImageJ ``spacing=`` is
the z step of a volume, not the pixel size; it is kept in ``meta["metadata"]``
only. Sample and conditions: file name < header (DM ``Session Info ›
Specimen``) < conditions sidecar CSV < hints, as :func:`structkit.io.read`.

Not supported: RGB / palette / complex images (FFTs), diffraction patterns
(reciprocal-space axis units), 4-D data (4D-STEM), pixels that are not square
(x and y sizes more than 0.5 % apart: resample, or pass ``pixel_size_angstrom=``),
several TIFF series or EMD images in one file (the first is read;
``meta["notes"]`` says how many there were).

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> np.save(d / "LLZO_25C_series.npy", np.zeros((3, 8, 8), dtype=np.float32))
>>> s = read_image(d / "LLZO_25C_series.npy", pixel_size_angstrom=0.25, dose_per_frame_e_per_A2=2.0)
>>> s.n_frames, s.pixel_size_angstrom, s.sample, s.conditions["temperature_K"], s.meta["pixel_size_from"]
(3, 0.25, 'LLZO_series', 298.15, 'option')
>>> s.accumulated_dose_e_per_A2.tolist(), s.meta["memory_mapped"]
([2.0, 4.0, 6.0], True)
"""

from __future__ import annotations

import importlib
import math
import re
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError, MissingDependencyError, ReadError, StructkitError
from ..core.image import ImageStack
from ._conditions import resolve_conditions
from ._hdf5 import sniff_hdf5
from ._text import read_bytes

__all__ = ["IMAGE_FORMATS", "read_image", "image_refusal", "sniff_image"]

#: Image format names (``format=``): (extensions, description).
IMAGE_FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "tiff": ((".tif", ".tiff"), "TIFF, multi-page TIFF, BigTIFF, ImageJ hyperstack (tifffile)"),
    "mrc": ((".mrc", ".mrcs", ".st"), "MRC2014 image, image stack or volume (mrcfile)"),
    "dm3": ((".dm3",), "Gatan DigitalMicrograph 3 (rosettasciio)"),
    "dm4": ((".dm4",), "Gatan DigitalMicrograph 4 (rosettasciio)"),
    "emd": ((".emd",), "Electron Microscopy Dataset, NCEM or Velox (rosettasciio + h5py)"),
    "ser": ((".ser",), "FEI TIA series (rosettasciio)"),
    "npy": ((".npy",), "NumPy array (ny, nx) or (n, ny, nx), calibration from the options"),
}

_HINT = "pip install 'structkit[tem]'"
_RSCIIO_MODULES = {"dm3": "rsciio.digitalmicrograph", "dm4": "rsciio.digitalmicrograph",
                   "emd": "rsciio.emd", "ser": "rsciio.tia"}
_LABELS = {"tiff": "TIFF", "mrc": "MRC", "dm3": "DigitalMicrograph DM3", "dm4": "DigitalMicrograph DM4"}

#: Å per unit of length (lower-case keys).
_ANGSTROM_PER = {
    "å": 1.0, "a": 1.0, "ang": 1.0, "angstrom": 1.0, "angstroms": 1.0, "\u212b": 1.0,
    "pm": 0.01, "nm": 10.0, "nanometer": 10.0, "nanometers": 10.0, "nanometre": 10.0,
    "µm": 1e4, "μm": 1e4, "um": 1e4, "micron": 1e4, "microns": 1e4, "micrometer": 1e4,
    "micrometre": 1e4, "mm": 1e7, "cm": 1e8, "m": 1e10, "meter": 1e10, "metre": 1e10,
}
#: Relative x/y pixel-size difference above which a file's calibration is refused (not square).
_SQUARE_TOLERANCE = 0.005
_UNCALIBRATED = ("", "pixel", "pixels", "px", "<undefined>", "undefined")
_RECIPROCAL = re.compile(r"^\s*(1\s*/|per\s)|(\^?-1|⁻¹)\s*$", re.IGNORECASE)


# -- sniffing ------------------------------------------------------------------------------

def _dm_version(head: bytes) -> int | None:
    """3 or 4 for a DigitalMicrograph header (version, size, endian flag, root group), else None."""
    if len(head) < 27:
        return None
    version = struct.unpack(">I", head[:4])[0]
    if version == 3:
        flag, sorted_, open_, first = struct.unpack(">I", head[8:12])[0], head[12], head[13], head[18]
    elif version == 4:
        flag, sorted_, open_, first = struct.unpack(">I", head[12:16])[0], head[16], head[17], head[26]
    else:
        return None
    if flag in (0, 1) and sorted_ in (0, 1) and open_ in (0, 1) and first in (20, 21):
        return version
    return None


def _is_mrc(head: bytes) -> bool:
    if len(head) < 216 or head[208:212] != b"MAP ":
        return False
    return any(struct.unpack(f"{e}i", head[12:16])[0] in (0, 1, 2, 3, 4, 6, 12, 101) for e in "<>")


def sniff_image(head: bytes) -> str | None:
    """The image format of a file from its first bytes (``"tiff"``, ``"mrc"``, ``"dm3"`` ...), or None.

    Examples
    --------
    >>> sniff_image(b"II*\\x00" + bytes(60)), sniff_image(b"\\x93NUMPY\\x01\\x00"), sniff_image(b"1 2\\n")
    ('tiff', 'npy', None)
    """
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    version = _dm_version(head)
    if version is not None:
        return f"dm{version}"
    if _is_mrc(head):
        return "mrc"
    if head[:4] == b"II\x97\x01":
        return "ser"
    return None


def image_refusal(head: bytes) -> str | None:
    """Why :func:`structkit.io.read` does not read a TIFF/MRC/DM3/DM4 image (and what to use), or None.

    Registered with :func:`~structkit.io.refuse_format`; looks at the bytes only
    (no optional package is imported).

    Examples
    --------
    >>> image_refusal(b"MM\\x00*" + bytes(60))
    'TIFF image file; read it with structkit.io.read_image, which returns an ImageStack (frames, pixel size, dose); a 2-D detector image from XRD needs azimuthal integration first (e.g. pyFAI, then read the .xy/.chi)'
    >>> image_refusal(b"1 2\\n3 4\\n") is None
    True
    """
    kind = sniff_image(head)
    if kind not in _LABELS:
        return None
    return (f"{_LABELS[kind]} image file; read it with structkit.io.read_image, which returns an "
            "ImageStack (frames, pixel size, dose); a 2-D detector image from XRD needs azimuthal "
            "integration first (e.g. pyFAI, then read the .xy/.chi)")


def _pick_format(path: Path, head: bytes) -> str:
    kind = sniff_image(head)
    suffix = path.suffix.lower()
    if kind is None and sniff_hdf5(head) and suffix == ".emd":
        kind = "emd"
    if kind is None:
        kind = next((name for name, (exts, _) in IMAGE_FORMATS.items() if suffix in exts), None)
    if kind is None:
        exts = " ".join(e for exts, _ in IMAGE_FORMATS.values() for e in exts)
        raise ReadError(f"unknown image format: the content is not recognised and the extension "
                        f"{suffix or '(none)'!r} is not one of {exts}; pass format= one of "
                        f"{', '.join(IMAGE_FORMATS)}", path=path)
    return kind


# -- what a format reader hands back ---------------------------------------------------------------

@dataclass
class _Raw:
    data: Any
    pixel: tuple[float, str] | None = None          # (Å, "file:<tag>")
    voltage: tuple[float, str] | None = None        # (kV, source)
    frame_time: tuple[float, str] | None = None     # (s, source)
    dose: tuple[float, str] | None = None           # (e/Å² per frame, source)
    sample: str | None = None
    metadata: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    memory_mapped: bool = False
    axes: str = ""
    non_square: tuple[float, float] | None = None   # (x, y) pixel sizes when they differ
    format: str = ""


def _require(module: str, path: Path, what: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(f"reading {what} files needs {module.split('.')[0]}: {_HINT} "
                                     f"({exc}); or save the frames as .npy and give the calibration",
                                     path=path) from None


def _finite_positive(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _unit_to_angstrom(unit, path: Path, where: str) -> float | None:
    """Å per unit for a length unit; None if uncalibrated or unknown; ReadError for reciprocal units."""
    text = "" if unit is None else str(unit)
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text).strip()
    low = text.lower()
    if low in _UNCALIBRATED:
        return None
    if _RECIPROCAL.search(low) and low not in _ANGSTROM_PER:
        raise ReadError(f"{where} is in {text!r}, a reciprocal-space unit: this is a diffraction "
                        "pattern or an FFT, not a real-space image; read_image reads HRTEM images "
                        "(take the power spectrum with structkit.tem.power_spectrum instead)", path=path)
    return _ANGSTROM_PER.get(low, _ANGSTROM_PER.get(text))


def _square(px: tuple[float, str] | None, py: tuple[float, str] | None, raw: _Raw, path: Path):
    """The x pixel size, checking that y agrees (recorded in meta when it does not)."""
    if px is None:
        return py
    if py is not None and abs(px[0] - py[0]) > 1e-6 * max(px[0], py[0]):
        raw.metadata["pixel_size_y_angstrom"] = py[0]
        raw.non_square = (px[0], py[0])
    return px


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _truncated(path: Path, what: str, need: int, have: int) -> ReadError:
    return ReadError(f"the file is truncated: the {what} needs {need} bytes but the file has {have}; "
                     "copy or export it again", path=path)


# -- TIFF --------------------------------------------------------------------------------------

def _resolution(tags, name):
    tag = tags.get(name)
    if tag is None:
        return None
    value = tag.value
    try:
        num, den = value if isinstance(value, tuple) else (value, 1)
        return float(num) / float(den) if float(den) else None
    except (TypeError, ValueError):
        return None


def _tiff_calibration(tif, page, raw: _Raw, path: Path):
    tags = page.tags
    md = raw.metadata
    fei = tif.fei_metadata if getattr(tif, "is_fei", False) else None
    if fei:
        scan = fei.get("Scan") or {}
        beam = fei.get("Beam") or fei.get("EBeam") or {}
        md["fei"] = {k: v for k, v in {"Scan.PixelWidth": scan.get("PixelWidth"),
                                       "Scan.PixelHeight": scan.get("PixelHeight"),
                                       "Beam.HV": beam.get("HV")}.items() if v is not None}
        px, py = _finite_positive(scan.get("PixelWidth")), _finite_positive(scan.get("PixelHeight"))
        if px:
            raw.pixel = _square((px * 1e10, "file:fei Scan.PixelWidth"),
                                None if py is None else (py * 1e10, "file:fei Scan.PixelHeight"),
                                raw, path)
        hv = _finite_positive(beam.get("HV"))
        if hv:
            raw.voltage = (hv / 1e3, "file:fei Beam.HV")
    gatan = {code: tags[code].value for code in (65003, 65004, 65009, 65010) if code in tags}
    if gatan:
        md["gatan_tags"] = {str(k): v for k, v in gatan.items()}
        if raw.pixel is None:
            cal = []
            for scale_code, unit_code, axis in ((65010, 65004, "x"), (65009, 65003, "y")):
                scale = _finite_positive(gatan.get(scale_code))
                factor = _unit_to_angstrom(gatan.get(unit_code), path, f"Gatan tag {unit_code} ({axis} unit)")
                cal.append(None if scale is None or factor is None
                           else (scale * factor, f"file:gatan tag {scale_code}"))
            raw.pixel = _square(cal[0], cal[1], raw, path)
    ij = tif.imagej_metadata if getattr(tif, "is_imagej", False) else None
    if ij:
        md["imagej"] = {k: ij[k] for k in ("unit", "spacing", "finterval", "tunit", "images", "frames",
                                            "slices", "channels") if k in ij}
        finterval = _finite_positive(ij.get("finterval"))
        tunit = str(ij.get("tunit", "s")).strip().lower()
        t_factor = {"s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0, "ms": 1e-3, "msec": 1e-3,
                    "min": 60.0}.get(tunit)
        if finterval and t_factor:
            raw.frame_time = (finterval * t_factor, "file:imagej finterval")
    xres, yres = _resolution(tags, "XResolution"), _resolution(tags, "YResolution")
    unit_tag = tags.get("ResolutionUnit")
    res_unit = int(unit_tag.value) if unit_tag is not None else 2   # TIFF default: inch
    md["resolution"] = {"XResolution": xres, "YResolution": yres, "ResolutionUnit": res_unit}
    if raw.pixel is not None or not xres:
        return
    if ij and ij.get("unit") is not None:
        factor = _unit_to_angstrom(ij.get("unit"), path, "the ImageJ unit")
        where, unit_text = "imagej unit + XResolution", str(ij.get("unit"))
    elif res_unit in (2, 3):
        factor, unit_text = (2.54e8, "inch") if res_unit == 2 else (1e8, "cm")
        where = "XResolution/ResolutionUnit"
    else:
        if xres != 1:
            raw.notes.append(f"XResolution {xres:g} has no unit (ResolutionUnit none): not a calibration")
        return
    if factor is None:
        if unit_text.strip().lower() not in _UNCALIBRATED:
            raw.notes.append(f"resolution unit {unit_text!r} is not a length: no calibration")
        return
    if xres == 1 or (unit_text == "inch" and xres <= 1200):
        raw.notes.append(f"XResolution {xres:g} per {unit_text} is a default, not a calibration; "
                         "give pixel_size_angstrom=")
        return
    px = (factor / xres, f"file:{where}")
    py = None if not yres or yres == 1 else (factor / yres, f"file:{where}")
    raw.pixel = _square(px, py, raw, path)


def _read_tiff(path: Path, mmap: bool) -> _Raw:
    tifffile = _require("tifffile", path, "TIFF")
    try:
        tif = tifffile.TiffFile(path)
    except (tifffile.TiffFileError, ValueError, struct.error, EOFError) as exc:
        raise ReadError(f"not a readable TIFF ({exc}); the file may be truncated or corrupt", path=path) from None
    with tif:
        if not tif.series:
            raise ReadError("the TIFF holds no image data", path=path)
        series = tif.series[0]
        page = series.keyframe
        raw = _Raw(None, axes=series.axes, format="tiff")
        if len(tif.series) > 1:
            raw.notes.append(f"the file holds {len(tif.series)} image series; the first "
                             f"({'×'.join(map(str, series.shape))}) is read")
        photometric = int(getattr(page, "photometric", 1))
        if "S" in series.axes or photometric not in (0, 1):
            raise DataError(f"colour image (photometric {photometric}, axes {series.axes}): an HRTEM "
                            "image has one intensity per pixel; save the raw greyscale frames", path=path)
        dtype = np.dtype(series.dtype)
        if dtype.kind not in "biuf":
            raise DataError(f"image values are {dtype} ({'complex: an FFT?' if dtype.kind == 'c' else 'not real numbers'}); "
                            "read_image reads real intensity images", path=path)
        if series.axes[-2:] != "YX" or len(series.shape) < 2:
            raise DataError(f"TIFF axes {series.axes!r} do not end in rows and columns (YX)", path=path)
        _tiff_calibration(tif, page, raw, path)
        shape = tuple(series.shape)
        size = _file_size(path)
        offset = series.dataoffset
        if offset is not None:
            need = offset + int(np.prod(shape)) * dtype.itemsize
            if size >= 0 and need > size:
                raise _truncated(path, f"image data ({'×'.join(map(str, shape))} {dtype})", need, size)
        data = None
        if mmap and offset is not None:
            try:
                data = tifffile.memmap(path, series=0, mode="r")
                raw.memory_mapped = True
            except (ValueError, OSError):
                data = None
        if data is None:
            try:
                data = series.asarray()
            except Exception as exc:  # noqa: BLE001 - decoder errors have many types
                text = str(exc)
                if "imagecodecs" in text:
                    raise MissingDependencyError(f"this TIFF's compression needs imagecodecs ({text}): "
                                                 "pip install imagecodecs, or save it uncompressed",
                                                 path=path) from None
                raise ReadError(f"cannot read the image data ({type(exc).__name__}: {text}); the file "
                                "may be truncated or corrupt", path=path) from None
    raw.data = data.reshape((-1,) + shape[-2:])
    return raw


# -- MRC ---------------------------------------------------------------------------------------

def _fei_extended_header(mrc, raw: _Raw, n_frames: int):
    exttyp = bytes(np.asarray(mrc.header.exttyp).item() or b"")
    if exttyp not in (b"FEI1", b"FEI2"):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ext = mrc.indexed_extended_header
        except Exception:  # noqa: BLE001 - a malformed optional header is skipped, not fatal
            ext = None
    if ext is None or len(ext) == 0:
        return
    names = ext.dtype.names or ()
    found = {}
    for name in ("HT", "Dose", "Integration time", "Pixel size X", "Pixel size Y", "Magnification"):
        if name in names:
            values = np.asarray(ext[name], dtype=float)
            good = values[np.isfinite(values) & (values > 0)]
            if good.size:
                found[name] = float(np.mean(good))
                if good.size > 1 and np.ptp(good) > 0.01 * abs(found[name]):
                    raw.notes.append(f"FEI extended header {name!r} differs between frames "
                                     f"({good.min():g}..{good.max():g}); the mean is used")
    raw.metadata["fei_extended_header"] = {"exttyp": exttyp.decode(), "entries": int(len(ext)), **found}
    if "HT" in found:
        raw.voltage = (found["HT"] / 1e3, "file:mrc FEI extended header HT")
    if "Dose" in found:   # e/m² -> e/Å²
        raw.dose = (found["Dose"] * 1e-20, "file:mrc FEI extended header Dose")
    if "Integration time" in found:
        raw.frame_time = (found["Integration time"], "file:mrc FEI extended header Integration time")
    if raw.pixel is None and "Pixel size X" in found:
        raw.pixel = (found["Pixel size X"] * 1e10, "file:mrc FEI extended header Pixel size X")
    if len(ext) != n_frames:
        raw.notes.append(f"the FEI extended header has {len(ext)} entries for {n_frames} frames")


def _read_mrc(path: Path, mmap: bool) -> _Raw:
    mrcfile = _require("mrcfile", path, "MRC")
    opener = mrcfile.mmap if mmap else mrcfile.open
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mrc = opener(str(path), mode="r")
        except (ValueError, OSError, struct.error, EOFError) as exc:
            text = str(exc)
            if "greater than file size" in text or "Expected" in text and "data block" in text:
                raise ReadError(f"the file is truncated ({text}); copy or export it again", path=path) from None
            raise ReadError(f"not a readable MRC file ({text}); check the file", path=path) from None
    try:
        h = mrc.header
        data = mrc.data
        if data is None or data.size == 0:
            raise ReadError("the MRC file holds no image data", path=path)
        mode = int(h.mode)
        if np.dtype(data.dtype).kind == "c":
            raise DataError(f"MRC mode {mode} is complex (an FFT?); read_image reads real intensity "
                            "images", path=path)
        ispg = int(h.ispg)
        kind = ("image stack" if mrc.is_image_stack() else "volume stack" if mrc.is_volume_stack()
                else "volume" if mrc.is_volume() else "image")
        raw = _Raw(None, format="mrc", memory_mapped=bool(mmap and isinstance(data, np.memmap)))
        if data.ndim == 4:
            if data.shape[1] != 1:
                raise DataError(f"MRC volume stack of {data.shape[0]} volumes × {data.shape[1]} sections "
                                "is a 4-D dataset, not an image series", path=path)
            data = data[:, 0]
        if kind == "volume" and data.ndim == 3:
            raw.notes.append(f"the header says volume (ispg {ispg}); its {data.shape[0]} z-sections "
                             "are read as frames")
        raw.axes = {2: "YX", 3: "ZYX"}.get(data.ndim, "")
        voxel = mrc.voxel_size
        vx, vy = float(voxel.x), float(voxel.y)
        raw.metadata.update({"voxel_size_angstrom": (vx, vy, float(voxel.z)), "ispg": ispg,
                             "mode": mode, "kind": kind, "nz": int(h.nz), "mz": int(h.mz)})
        if vx > 0:
            raw.pixel = _square((vx, "file:mrc voxel_size"),
                                (vy, "file:mrc voxel_size") if vy > 0 else None, raw, path)
        else:
            raw.notes.append("voxel_size is 0 (unknown): no calibration in the header")
        _fei_extended_header(mrc, raw, data.shape[0] if data.ndim == 3 else 1)
    finally:
        mrc.close()   # a memory map stays valid after the file is closed
    raw.data = data
    return raw


# -- DigitalMicrograph, EMD, SER (rosettasciio) ------------------------------------------------------

def _get(tree, *keys):
    for key in keys:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _dm_metadata(sig, raw: _Raw):
    image = _get(sig.get("original_metadata") or {}, "ImageList", "TagGroup0") or {}
    tags = image.get("ImageTags") or {}
    sources = [tags]
    created = _get(tags, "source", "Tags at creation")
    if isinstance(created, Mapping):    # stacks made by DM's stack builder keep the tags here
        sources.append(created)
    md = raw.metadata
    for t in sources:
        volt = _finite_positive(_get(t, "Microscope Info", "Voltage"))
        if volt and raw.voltage is None:
            md["Microscope Info.Voltage"] = volt
            raw.voltage = (volt / 1e3, "file:ImageTags.Microscope Info.Voltage")
        for keys in (("Acquisition", "Parameters", "High Level", "Exposure (s)"),
                     ("Acquisition", "Parameters", "Detector", "exposure (s)"),
                     ("DataBar", "Exposure Time (s)")):
            exposure = _finite_positive(_get(t, *keys))
            if exposure and raw.frame_time is None:
                md[".".join(keys)] = exposure
                raw.frame_time = (exposure, "file:ImageTags." + ".".join(keys))
        mag = _get(t, "Microscope Info", "Indicated Magnification")
        if mag is not None:
            md.setdefault("Microscope Info.Indicated Magnification", mag)
        specimen = _get(t, "Session Info", "Specimen")
        if isinstance(specimen, str) and specimen.strip() and raw.sample is None:
            md["Session Info.Specimen"] = specimen.strip()
            raw.sample = specimen.strip()
    name = image.get("Name")
    if isinstance(name, str) and name:
        md["title"] = name


def _generic_metadata(sig, raw: _Raw):
    md_tree = sig.get("metadata") or {}
    tem = _get(md_tree, "Acquisition_instrument", "TEM") or {}
    energy = _finite_positive(tem.get("beam_energy"))
    if energy:
        raw.voltage = (energy, "file:Acquisition_instrument.TEM.beam_energy")
    for keys in (("Detector", "Camera", "exposure"), ("Camera", "exposure"), ("Detector", "exposure")):
        exposure = _finite_positive(_get(tem, *keys))
        if exposure:
            raw.frame_time = (exposure, "file:Acquisition_instrument.TEM." + ".".join(keys))
            break
    if raw.voltage is None:   # TIA: the original metadata
        volt = _finite_positive(_get(sig.get("original_metadata") or {}, "ObjectInfo", "ExperimentalConditions",
                                     "MicroscopeConditions", "AcceleratingVoltage"))
        if volt:
            raw.voltage = (volt / 1e3, "file:ObjectInfo.ExperimentalConditions.MicroscopeConditions."
                                       "AcceleratingVoltage")
    title = _get(md_tree, "General", "title")
    if isinstance(title, str) and title:
        raw.metadata["title"] = title
    for key, value in (("beam_energy_keV", energy), ("exposure_s", raw.frame_time and raw.frame_time[0])):
        if value:
            raw.metadata[key] = value


def _image_axes(sig) -> list[dict]:
    axes = [dict(a) for a in sig.get("axes") or []]
    if all("index_in_array" in a for a in axes):
        axes.sort(key=lambda a: int(a["index_in_array"]))
    return axes


def _describe(sig) -> str:
    shape = tuple(getattr(sig.get("data"), "shape", ()))
    units = [str(a.get("units") or "-") for a in _image_axes(sig)]
    return f"{'×'.join(map(str, shape)) or '?'} ({', '.join(units)})"


def _read_rsciio(path: Path, fmt: str, mmap: bool) -> _Raw:
    what = {"dm3": "DigitalMicrograph", "dm4": "DigitalMicrograph", "emd": "EMD", "ser": "TIA .ser"}[fmt]
    plugin = _require(_RSCIIO_MODULES[fmt], path, what)
    lazy = bool(mmap and fmt in ("dm3", "dm4"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signals = plugin.file_reader(str(path), lazy=lazy)
    except ImportError as exc:
        raise MissingDependencyError(f"reading {what} files needs {exc.name or exc}: {_HINT}", path=path) from None
    except Exception as exc:  # noqa: BLE001 - rosettasciio raises many types on a bad file
        why = "it ends early" if isinstance(exc, (struct.error, EOFError)) else f"{type(exc).__name__}: {exc}"
        raise ReadError(f"rosettasciio cannot read this {what} file ({why}); the file may be truncated "
                        "or corrupt, or not of this format", path=path) from None
    signals = list(signals or [])
    images, others = [], []
    for sig in signals:
        data = sig.get("data")
        (images if getattr(data, "ndim", 0) in (2, 3) else others).append(sig)
    if not images:
        found = "; ".join(_describe(s) for s in signals) or "none"
        raise DataError(f"no image in the file (datasets: {found}); read_image reads a 2-D image or a "
                        "stack of them", path=path)
    sig = images[0]
    raw = _Raw(None, format=fmt)
    if len(signals) > 1:
        raw.notes.append(f"the file holds {len(signals)} datasets ({'; '.join(map(_describe, signals))}); "
                         "the first image is read")
    data = sig["data"]
    dtype = np.dtype(data.dtype)
    if dtype.names is not None or dtype.kind not in "biuf":
        kind = "RGB(A)" if dtype.names else "complex (an FFT?)" if dtype.kind == "c" else str(dtype)
        raise DataError(f"image values are {kind}; read_image reads real intensity images", path=path)
    axes = _image_axes(sig)
    if len(axes) == data.ndim:
        ay, ax = axes[-2], axes[-1]
        cal = []
        for a, name in ((ax, "x"), (ay, "y")):
            factor = _unit_to_angstrom(a.get("units"), path, f"the {name} axis")
            scale = _finite_positive(a.get("scale"))
            unit = str(a.get("units") or "")
            if factor is None and unit.strip().lower() not in _UNCALIBRATED:
                raise DataError(f"the {name} axis is in {unit!r}, not a length: this is not a real-space "
                                f"image (dataset {_describe(sig)})", path=path)
            cal.append(None if factor is None or scale is None
                       else (scale * factor, f"file:axes[{name}] scale + units ({unit})"))
        raw.metadata["axes"] = [{k: (v.item() if isinstance(v, np.generic) else v)
                                 for k, v in a.items() if k in ("name", "size", "scale", "offset", "units")}
                                for a in axes]
        raw.pixel = _square(cal[0], cal[1], raw, path)
        if data.ndim == 3:
            frame_axis = axes[0]
            if str(frame_axis.get("units") or "").strip() == "s" and _finite_positive(frame_axis.get("scale")):
                raw.metadata["frame_interval_s"] = float(frame_axis["scale"])
        raw.axes = "".join(str(a.get("name") or "?")[:1] for a in axes)
    if fmt in ("dm3", "dm4"):
        _dm_metadata(sig, raw)
        if raw.frame_time is None and "frame_interval_s" in raw.metadata:
            raw.frame_time = (raw.metadata["frame_interval_s"], "file:frame axis scale (s)")
    else:
        _generic_metadata(sig, raw)
    raw.data = _dm_memmap(path, sig, data, raw) if lazy else np.asarray(data)
    return raw


def _dm_memmap(path: Path, sig, data, raw: _Raw):
    """A numpy memory map of DM image data (rosettasciio gives the offset of the Data tag), or the data."""
    block = _get(sig.get("original_metadata") or {}, "ImageList", "TagGroup0", "ImageData", "Data")
    shape, dtype = tuple(int(n) for n in data.shape), np.dtype(data.dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if isinstance(block, Mapping) and "offset" in block and int(block.get("size_bytes", -1)) == nbytes:
        offset, size = int(block["offset"]), _file_size(path)
        if size >= 0 and offset + nbytes > size:
            raise _truncated(path, f"image data ({'×'.join(map(str, shape))} {dtype})", offset + nbytes, size)
        raw.memory_mapped = True
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    try:
        return np.asarray(data)
    except Exception as exc:  # noqa: BLE001 - dask surfaces the reader's error here
        raise ReadError(f"cannot read the image data ({type(exc).__name__}: {exc}); the file may be "
                        "truncated or corrupt", path=path) from None


# -- npy ---------------------------------------------------------------------------------------

def _npy_extent(path: Path) -> tuple[int, tuple] | None:
    """(bytes needed, shape) from a .npy header, or None if the header cannot be read."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = reader(fh)
            if dtype.hasobject:
                return None
            return fh.tell() + int(np.prod(shape)) * dtype.itemsize, shape
    except Exception:  # noqa: BLE001 - np.load says what is wrong with a bad header
        return None


def _read_npy(path: Path, mmap: bool) -> _Raw:
    extent, size = _npy_extent(path), _file_size(path)
    if extent is not None and size >= 0 and extent[0] > size:
        raise _truncated(path, f"array of shape {extent[1]}", extent[0], size)
    try:
        data = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as exc:
        text = str(exc)
        if "greater than file size" in text or "cannot reshape" in text or "EOF" in text:
            raise ReadError(f"the .npy file is truncated ({text}); save it again", path=path) from None
        raise ReadError(f"not a readable .npy array ({text})", path=path) from None
    except (OSError, EOFError) as exc:
        raise ReadError(f"not a readable .npy array ({exc})", path=path) from None
    if not isinstance(data, np.ndarray):
        raise ReadError("an .npz archive or other object, not one .npy array; save one array with "
                        "numpy.save", path=path)
    if data.ndim not in (2, 3):
        raise DataError(f"array of shape {data.shape} is not an image (ny, nx) or a stack (n, ny, nx)",
                        path=path)
    if data.dtype.kind not in "biuf":
        raise DataError(f"array values are {data.dtype}; read_image reads real intensity images", path=path)
    return _Raw(data, format="npy", memory_mapped=isinstance(data, np.memmap),
                axes="YX" if data.ndim == 2 else "NYX")


_READERS = {"tiff": _read_tiff, "mrc": _read_mrc, "npy": _read_npy}


# -- entry point -----------------------------------------------------------------------------

def read_image(path, *, format: str | None = None, pixel_size_angstrom: float | None = None,
               dose_per_frame_e_per_A2: float | None = None, dose_rate_e_per_A2_per_s: float | None = None,
               frame_time_s: float | None = None, voltage_kV: float | None = None,
               sample: str | None = None, conditions: Mapping[str, Any] | None = None,
               temperature_K: float | None = None, sidecar=None, mmap: bool = True) -> ImageStack:
    """Read an HRTEM image or image series into an :class:`~structkit.core.image.ImageStack`.

    Parameters
    ----------
    path : str or path-like
        TIFF, MRC/MRCS, DM3/DM4, EMD, SER or ``.npy`` (see :data:`IMAGE_FORMATS`).
    format : str, optional
        Force a format (a key of :data:`IMAGE_FORMATS`); sniffed from the content, then the extension.
    pixel_size_angstrom : float, optional
        Å per pixel; overrides the file's calibration.
    dose_per_frame_e_per_A2 : float, optional
        Electron dose of one frame (e⁻/Å²); overrides the file and the dose rate.
    dose_rate_e_per_A2_per_s, frame_time_s : float, optional
        Dose rate at the specimen and time per frame; the dose per frame is their
        product (the frame time may come from the file: DM exposure, ImageJ
        ``finterval``, FEI ``Integration time``).
    voltage_kV : float, optional
        Accelerating voltage; overrides the file.
    sample, conditions, temperature_K, sidecar
        As in :func:`structkit.io.read`: file name < header < conditions sidecar CSV
        (``sidecar=None`` looks next to the file, ``False`` disables it) < these.
    mmap : bool
        Memory-map the frames when the format allows it (uncompressed TIFF, MRC,
        DM3/DM4, ``.npy``); otherwise they are read into memory.

    Returns
    -------
    ImageStack
        ``meta``: ``format``, ``pixel_size_from``, ``dose_from``, ``frame_time_from``,
        ``voltage_from`` (``"option"``, ``"file:<tag>"`` or None), ``metadata`` (raw
        values the calibration came from), ``memory_mapped``, ``axes``, ``notes``,
        ``conditions_from``.

    Raises
    ------
    ReadError
        Missing, empty, truncated or unrecognised file; a diffraction pattern (reciprocal units).
    DataError
        Not an image: RGB, complex, 1-D or 4-D data; a bad option value.
    ConfigError
        Unknown ``format``.
    MissingDependencyError
        tifffile / mrcfile / rosettasciio missing (``pip install 'structkit[tem]'``).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "frame.npy"
    >>> np.save(p, np.arange(16.0).reshape(4, 4))
    >>> s = read_image(p, dose_rate_e_per_A2_per_s=40.0, frame_time_s=0.05, sidecar=False)
    >>> s.shape, s.pixel_size_angstrom, s.dose_per_frame_e_per_A2, s.meta["dose_from"]
    ((4, 4), None, 2.0, 'option: dose rate × frame time (option)')
    """
    path = Path(path)
    if format is not None and format not in IMAGE_FORMATS:
        raise ConfigError(f"format={format!r}: use one of {', '.join(IMAGE_FORMATS)}", path=path)
    head = read_bytes(path, 1024)
    if not head:
        raise ReadError("file is empty (0 bytes); check the export finished", path=path)
    fmt = format or _pick_format(path, head)
    try:
        if fmt in _READERS:
            raw = _READERS[fmt](path, bool(mmap))
        else:
            raw = _read_rsciio(path, fmt, bool(mmap))
    except StructkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader bug must still surface as a StructkitError
        raise ReadError(f"the {fmt!r} image reader failed unexpectedly ({type(exc).__name__}: {exc}); "
                        "the file may be corrupt; if not, please report it with the file", path=path) from exc
    if fmt in ("dm3", "dm4"):
        fmt = sniff_image(head) or fmt
    return _finish(raw, path, fmt, pixel_size_angstrom=pixel_size_angstrom,
                   dose_per_frame=dose_per_frame_e_per_A2, dose_rate=dose_rate_e_per_A2_per_s,
                   frame_time=frame_time_s, voltage=voltage_kV, sample=sample, conditions=conditions,
                   temperature_K=temperature_K, sidecar=sidecar)


def _finish(raw: _Raw, path: Path, fmt: str, *, pixel_size_angstrom, dose_per_frame, dose_rate, frame_time,
            voltage, sample, conditions, temperature_K, sidecar) -> ImageStack:
    def pick(option, from_file):
        if option is not None:
            return option, "option"
        return (None, None) if from_file is None else from_file

    px, px_from = pick(pixel_size_angstrom, raw.pixel)
    if raw.non_square is not None and pixel_size_angstrom is None:
        x, y = raw.non_square
        if abs(x - y) > _SQUARE_TOLERANCE * max(x, y):
            raise DataError(f"the pixels are not square (x {x:g} Å, y {y:g} Å, from {px_from}); the "
                            "analyses assume square pixels: resample the image, or pass "
                            "pixel_size_angstrom= to use one value", path=path)
        raw.notes.append(f"x and y pixel sizes differ slightly ({x:g}, {y:g} Å); the x size is used")
    kv, kv_from = pick(voltage, raw.voltage)
    ft, ft_from = pick(frame_time, raw.frame_time)
    dose = rate = None
    if dose_per_frame is not None:
        dose, dose_from = dose_per_frame, "option"
    elif dose_rate is not None:
        rate = dose_rate
        dose_from = (f"option: dose rate × frame time ({ft_from})" if ft is not None else None)
        if ft is None:
            raw.notes.append("a dose rate was given but the frame time is unknown; give frame_time_s=")
    elif raw.dose is not None:
        dose, dose_from = raw.dose
    else:
        dose_from = None
    meta = {"format": fmt, "pixel_size_from": px_from, "dose_from": dose_from, "frame_time_from": ft_from,
            "voltage_from": kv_from, "metadata": raw.metadata, "memory_mapped": raw.memory_mapped,
            "axes": raw.axes}
    if raw.notes:
        meta["notes"] = "; ".join(raw.notes)
    stack = ImageStack(raw.data, pixel_size_angstrom=px, dose_per_frame_e_per_A2=dose,
                       dose_rate_e_per_A2_per_s=rate, frame_time_s=ft, voltage_kV=kv,
                       sample=raw.sample or "", source=str(path), meta=meta)
    return resolve_conditions(stack, path, sidecar=sidecar, sample=sample, temperature_K=temperature_K,
                              conditions=conditions)
