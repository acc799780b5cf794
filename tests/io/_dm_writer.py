"""A minimal Gatan DigitalMicrograph DM3 / DM4 writer, for tests only.

Follows the published description of the format (the DM3 notes by Greg
Jefferis / Chris Boothroyd, and DM4's 8-byte sizes) as far as rosettasciio's
reader (``rsciio/digitalmicrograph/_api.py``) needs it:

* header: version (3 or 4, big-endian uint32), root length (uint32 in DM3,
  uint64 in DM4), byte order of the tag data (1 = little-endian), then the root
  tag group; the file ends with 8 zero bytes;
* a tag group: (DM4: its size, uint64) is_sorted (1 byte), is_open (1 byte),
  the number of tags (uint32 / uint64), then the tags;
* a tag: type (20 group, 21 data), name length (big-endian int16), name;
  a data tag has (DM4: its size, uint64) ``%%%%``, the length of its info array
  and the info array (uint32 / uint64 each, big-endian), then the value in the
  tag data's byte order. Info arrays: ``[type]`` for a simple value,
  ``[20, eltype, n]`` for an array (strings are arrays of uint16, type 4);
* the image: ``ImageList`` holds unnamed groups, each with ``ImageData``
  (``Calibrations`` › ``Brightness`` and ``Dimension`` (one unnamed group per
  axis: ``Origin``, ``Scale``, ``Units``), ``Data``, ``DataType``,
  ``Dimensions`` (unnamed uint32 values, x first), ``PixelDepth``),
  ``ImageTags`` and ``Name``.

Groups are lists of ``(name, value)`` pairs (a dict is accepted too); a name
may be ``""`` (unnamed). Values: bool, int (int32), float (float64), str,
numpy array (the image data), or a group.
"""

from __future__ import annotations

import struct

import numpy as np

# numpy dtype -> (DM encoded element type, DM image DataType)
_DTYPES = {"int16": (2, 1), "float32": (6, 2), "uint8": (10, 6), "int32": (3, 7), "int8": (9, 9),
           "uint16": (4, 10), "uint32": (5, 11), "float64": (7, 12)}


class _Writer:
    def __init__(self, version: int):
        self.v = version
        self.size = ">Q" if version == 4 else ">I"   # sizes and info-array entries

    def n(self, value: int) -> bytes:
        return struct.pack(self.size, value)

    def value(self, value) -> tuple[list[int], bytes]:
        """Info array and payload (little-endian) of a data tag."""
        if isinstance(value, bool):
            return [8], struct.pack("<?", value)
        if isinstance(value, int):
            return [3], struct.pack("<i", value)
        if isinstance(value, float):
            return [7], struct.pack("<d", value)
        if isinstance(value, str):
            codes = np.frombuffer(value.encode("utf-16-le"), dtype="<u2")
            return [20, 4, len(codes)], codes.tobytes()
        if isinstance(value, np.ndarray):
            eltype = _DTYPES[value.dtype.name][0]
            return [20, eltype, value.size], np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<")).tobytes()
        raise TypeError(f"cannot write {type(value).__name__}")

    def group_body(self, items) -> bytes:
        items = list(items.items()) if isinstance(items, dict) else list(items)
        body = b"".join(self.tag(name, value) for name, value in items)
        return b"\x00\x01" + self.n(len(items)) + body          # is_sorted, is_open, ntags

    def tag(self, name: str, value) -> bytes:
        raw_name = name.encode("latin-1")
        head = struct.pack(">bh", 20 if isinstance(value, (list, dict)) else 21, len(raw_name)) + raw_name
        if isinstance(value, (list, dict)):
            body = self.group_body(value)
        else:
            info, payload = self.value(value)
            body = b"%%%%" + self.n(len(info)) + b"".join(self.n(i) for i in info) + payload
        return head + (self.n(len(body)) if self.v == 4 else b"") + body


def image_group(data: np.ndarray, *, scale: float = 1.0, units: str = "", frame_scale: float = 1.0,
                frame_units: str = "", tags=None, name: str = "image") -> list:
    """One ``ImageList`` entry for ``data`` of shape (ny, nx) or (n, ny, nx)."""
    data = np.asarray(data)
    dims = list(data.shape[::-1])                              # DM lists x, y, z
    cal = [("", [("Origin", 0.0), ("Scale", float(scale)), ("Units", units)]) for _ in range(2)]
    if data.ndim == 3:
        cal.append(("", [("Origin", 0.0), ("Scale", float(frame_scale)), ("Units", frame_units)]))
    image_data = [
        ("Calibrations", [("Brightness", [("Origin", 0.0), ("Scale", 1.0), ("Units", "counts")]),
                          ("Dimension", cal), ("DisplayCalibratedUnits", True)]),
        ("Data", data),
        ("DataType", _DTYPES[data.dtype.name][1]),
        ("Dimensions", [("", int(d)) for d in dims]),
        ("PixelDepth", int(data.dtype.itemsize)),
    ]
    return [("ImageData", image_data), ("ImageTags", list(tags or [("Name", name)])), ("Name", name),
            ("UniqueID", [("", 1), ("", 2), ("", 3), ("", 4)])]


def write_dm(path, data: np.ndarray, *, version: int = 3, **image_kw) -> bytes:
    """Write ``data`` as a DM3 (version=3) or DM4 (version=4) file; returns the bytes."""
    w = _Writer(version)
    root = [("ApplicationBounds", [("", 0), ("", 0), ("", 512), ("", 512)]),
            ("ImageList", [("", image_group(data, **image_kw))]),
            ("InImageMode", True)]
    body = w.group_body(root)
    head = struct.pack(">I", version) + w.n(len(body) + 8) + struct.pack(">I", 1)
    blob = head + body + b"\x00" * 8
    with open(path, "wb") as fh:
        fh.write(blob)
    return blob


def hrtem_tags(*, voltage_V: float = 300e3, exposure_s: float = 0.5, specimen: str | None = None) -> list:
    """``ImageTags`` as a GMS camera acquisition writes them (the parts read_image uses)."""
    tags = [
        ("Acquisition", [("Parameters", [("High Level", [("Exposure (s)", float(exposure_s)),
                                                         ("Binning", [("", 1), ("", 1)])])])]),
        ("Microscope Info", [("Voltage", float(voltage_V)), ("Indicated Magnification", 800000.0),
                             ("Illumination Mode", "TEM"), ("Imaging Mode", "IMAGING"),
                             ("Name", "Test TEM")]),
    ]
    if specimen is not None:
        tags.append(("Session Info", [("Specimen", specimen), ("Operator", "tester")]))
    return tags
