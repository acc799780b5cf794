"""Powder-diffraction readers: what they share, and the Fit2D/pyFAI ``.chi`` and pyFAI ``.xy`` readers.

Every diffraction reader (these, :mod:`._gsas`, :mod:`._xrdml`, :mod:`._brml`)
returns a :class:`~structkit.core.measurement.Measurement` with
``x`` = 2θ in degrees, ascending (``x_name="two_theta"``, ``x_unit="deg"``),
``y`` = intensity (``y_name="intensity"``, ``y_unit="counts"``) and
``technique="xrd"`` (neutron constant-wavelength data too; ``meta["radiation"]``
says which when the file does). ``sigma`` is the file's esd column, or
``sqrt(counts)`` (``sqrt(max(counts, 1))``, so a zero count has sigma 1) where
the file holds raw counts; azimuthally integrated data (``.chi``, pyFAI) have a
sigma only if the file has one. ``meta`` keeps what the file says:
``wavelength_angstrom`` (and ``wavelength2_angstrom``, ``ka2_ratio`` for a Kα
doublet), ``radiation``, ``anode``, ``instrument``, ``counting_time_s``; a
temperature becomes the ``temperature_K`` condition through the usual
precedence (file name < header < sidecar < hints).

This module holds the shared checks (:func:`xrd_measurement`,
:func:`count_sigma`, :func:`temperatures_kelvin`) and the two readers of
azimuthally integrated data.

Examples
--------
>>> count_sigma(np.array([0.0, 4.0, 9.0])).tolist()
[1.0, 2.0, 3.0]
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..core.errors import DataError, ReadError
from ..core.measurement import Measurement
from ..core.units import to_kelvin
from ._text import (
    _meta_from_table,
    head_text,
    load_text,
    ordered,
    parse_table,
    split_lines,
    wavelength_from_header,
)

__all__ = [
    "read_chi", "sniff_chi",
    "read_pyfai", "sniff_pyfai",
]


def xrd_measurement(path, tt, y, sigma, lines, meta, *, sample: str = "", conditions=None,
                    member: str | None = None) -> Measurement:
    """Check finiteness and order (errors name the line) and build the 2θ Measurement.

    ``lines`` are the 1-based lines the points come from; for a document inside
    an archive (``member``, e.g. ``"Experiment0/RawData0.xml"``) they are lines
    of that member, so errors name it and leave ``DataError.line`` unset.
    """
    tt, y = np.asarray(tt, dtype=float), np.asarray(y, dtype=float)
    lines = np.asarray(lines, dtype=int)

    def fail(message: str, i: int):
        if member is None:
            raise DataError(message, path=path, line=int(lines[i]))
        raise DataError(f"{member}, line {int(lines[i])}: {message}", path=path)

    cols = [("2θ", tt), ("intensity", y)] + ([("esd", np.asarray(sigma, float))] if sigma is not None
                                             else [])
    for name, values in cols:
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            fail(f"non-finite {name} {values[i]}; fix or delete the point (structkit never "
                 "drops points silently)", i)
    if sigma is not None:
        bad = np.flatnonzero(np.asarray(sigma) < 0)
        if bad.size:
            fail(f"negative esd {sigma[int(bad[0])]}; an uncertainty is >= 0", int(bad[0]))
    try:
        order = ordered(tt, lines, path, "two_theta")
    except DataError as exc:
        if member is None or exc.line is None:
            raise
        raise DataError(f"{member}, line {exc.line}: {exc.message}", path=path) from None
    return Measurement(tt[order], y[order], sigma=None if sigma is None else np.asarray(sigma)[order],
                       x_name="two_theta", x_unit="deg", y_name="intensity", y_unit="counts",
                       technique="xrd", sample=sample, conditions=conditions or {}, source=str(path),
                       meta=meta)


def count_sigma(counts, n_averaged=1.0):
    """``sqrt(max(counts, 1) / n)``: Poisson, clipped so that a zero count has a finite weight."""
    return np.sqrt(np.maximum(counts, 1.0) / n_averaged)


def temperatures_kelvin(values, unit: str | None):
    """Temperatures in K, or None when the unit is missing or unknown (DataError below 0 K).

    Examples
    --------
    >>> temperatures_kelvin([25.0], "°C"), temperatures_kelvin([300.0], "Kelvin"), temperatures_kelvin([1.0], "")
    ([298.15], [300.0], None)
    """
    u = (unit or "").strip().lower().replace("°", "").replace("deg", "").strip()
    key = {"k": "K", "kelvin": "K", "c": "C", "celsius": "C"}.get(u)
    return None if key is None else [to_kelvin(v, key) for v in values]


# -- Fit2D / pyFAI .chi and pyFAI .xy ----------------------------------------------------------------

_CHI_AXIS = re.compile(r"^\s*2-?theta\s+angle", re.IGNORECASE)


def sniff_chi(head: bytes) -> bool:
    """True for a Fit2D ``.chi`` with a 2θ axis: line 2 ``2-Theta Angle (Degrees)``, line 4 the point count.

    Examples
    --------
    >>> sniff_chi(b"a.tif: Azimuthal integration\\n2-Theta Angle (Degrees)\\nIntensity\\n   2\\n1 5\\n2 6\\n")
    True
    """
    lines = split_lines(head_text(head))
    return len(lines) >= 4 and bool(_CHI_AXIS.match(lines[1])) and lines[3].strip().isdigit()


def read_chi(path) -> Measurement:
    """Read a Fit2D / pyFAI ``.chi`` file: 4 header lines (title, ``2-Theta Angle (Degrees)``, intensity label, N), then 2θ, I [, σ].

    The number of rows must equal N. The intensities are integrated, not raw
    counts, so sigma is the third column if there is one and None otherwise.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ni.chi"
    >>> _ = p.write_text("ni.tif: Azimuthal integration\\n2-Theta Angle (Degrees)\\nIntensity\\n"
    ...                  "       3\\n 1.0 5.0\\n 1.1 6.0\\n 1.2 7.0\\n")
    >>> m = read_chi(p)
    >>> m.x.tolist(), m.meta["title"], m.sigma is None
    ([1.0, 1.1, 1.2], 'ni.tif: Azimuthal integration', True)
    """
    lines = split_lines(load_text(path))
    if len(lines) < 2 or not _CHI_AXIS.match(lines[1]):
        raise ReadError("not a 2θ .chi file: line 2 must read '2-Theta Angle (Degrees)'; pass "
                        "format='text' for other axes", path=path, line=2 if len(lines) >= 2 else 1)
    try:
        npts = int(lines[3].strip()) if len(lines) > 3 else None
    except ValueError:
        npts = None
    if npts is None:
        raise ReadError("line 4 must hold the number of points (4 header lines: title, 2θ label, "
                        "intensity label, N)", path=path, line=min(4, len(lines)))
    if not any(s.strip() for s in lines[4:]):
        raise ReadError(f"no data rows after the 4 header lines (line 4 announces {npts})",
                        path=path, line=4)
    table = parse_table(lines, path, start=4, comment_chars="#")
    if table.ncols not in (2, 3):
        raise ReadError(f"{table.ncols} columns; a .chi file has 2θ, intensity and optionally "
                        "sigma", path=path, line=int(table.lines[0]))
    if table.values.shape[0] != npts:
        raise ReadError(f"line 4 announces {npts} points but {table.values.shape[0]} rows were "
                        "read; the file is truncated or edited", path=path, line=4)
    v = table.values
    meta = {"format": "chi", "title": lines[0].strip(), "x_label": lines[1].strip(),
            "y_label": lines[2].strip()}
    return xrd_measurement(path, v[:, 0], v[:, 1], v[:, 2] if table.ncols == 3 else None,
                           table.lines, meta)


_PYFAI_X = {"2th_deg": 1.0, "2th_rad": 180.0 / math.pi}


def sniff_pyfai(head: bytes) -> bool:
    """True for a pyFAI 1-D export with a 2θ axis (``== pyFAI calibration ==`` and a ``2th_deg`` column).

    Examples
    --------
    >>> sniff_pyfai(b"# == pyFAI calibration ==\\n#  2th_deg  I\\n1 2\\n")
    True
    """
    text = head_text(head)
    return "== pyFAI calibration ==" in text and re.search(r"^#.*\b2th_(deg|rad)\b", text, re.MULTILINE) is not None


def read_pyfai(path) -> Measurement:
    """Read a pyFAI ``.xy``/``.dat`` 1-D export whose x column is ``2th_deg`` (or ``2th_rad``).

    The ``#`` header's ``key: value`` lines go to ``meta``; ``Wavelength:
    7.1414e-11 m`` becomes ``wavelength_angstrom`` 0.71414. Sigma is the third
    column if present (pyFAI's error model), else None.

    Raises
    ------
    ReadError
        An x axis other than 2θ (q, r, χ): read it with ``format="text"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ni.xy"
    >>> _ = p.write_text("# == pyFAI calibration ==\\n# Wavelength: 7.1414e-11 m\\n"
    ...                  "#       2th_deg             I \\n  1.0  5.0\\n  1.1  6.0\\n")
    >>> m = read_pyfai(p)
    >>> m.meta["wavelength_angstrom"], m.x_name, m.technique
    (0.71414, 'two_theta', 'xrd')
    """
    table = parse_table(split_lines(load_text(path)), path)
    names = table.names or []
    xname = names[0].strip() if names else ""
    if xname not in _PYFAI_X:
        raise ReadError(f"the x column is {xname or 'unnamed'!r}, not 2th_deg: the pyfai reader "
                        "returns 2θ; read other axes with format='text'", path=path,
                        line=table.header_line or int(table.lines[0]))
    if table.ncols not in (2, 3):
        raise ReadError(f"{table.ncols} columns ({', '.join(names)}); pyFAI writes 2θ, I and "
                        "optionally sigma", path=path, line=int(table.lines[0]))
    meta = _meta_from_table(table, {"format": "pyfai", "columns": list(names)})
    wavelength = wavelength_from_header(table.meta)
    if wavelength is not None:
        meta["wavelength_angstrom"] = wavelength
    v = table.values
    return xrd_measurement(path, v[:, 0] * _PYFAI_X[xname], v[:, 1],
                           v[:, 2] if table.ncols == 3 else None, table.lines, meta)

