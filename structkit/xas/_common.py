"""What every step of :mod:`structkit.xas` shares: the XAS Measurement convention and its checks.

An XAS spectrum is a :class:`~structkit.core.measurement.Measurement` with
``x`` = photon energy in eV (``x_name="energy"``, ``x_unit="eV"``), ``y`` = μ(E)
(absorbance, ``y_name="mu"``; transmission ln(I0/It), fluorescence If/I0),
``technique="xas"``. Readers may add to ``meta``: ``element`` and ``edge``
(e.g. ``"Cu"``, ``"K"``), ``mode`` (``"transmission"``, ``"fluorescence"``,
``"mu"``), ``mu_ref`` (μ of a reference foil on the same energy grid, for
energy calibration) and ``columns`` (the raw channel names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.errors import DataError
from ..core.measurement import Measurement

__all__ = ["xas_measurement", "spectrum_arrays", "tabulated_edge", "KTOE", "ETOK"]

#: ħ²/2mₑ in eV·Å²: E - E0 = KTOE·k²  (same constant as larch's KTOE)
KTOE = 3.809980849311092
#: 1/KTOE: k = sqrt(ETOK·(E - E0))
ETOK = 1.0 / KTOE

_ENERGY_SCALE = {"ev": 1.0, "kev": 1000.0}


def xas_measurement(energy, mu, *, source: str = "", sample: str = "",
                    conditions: Mapping[str, Any] | None = None,
                    meta: Mapping[str, Any] | None = None, y_name: str = "mu") -> Measurement:
    """Make the XAS Measurement (energy in eV, μ(E)) that every :mod:`structkit.xas` step takes.

    Examples
    --------
    >>> import numpy as np
    >>> m = xas_measurement(np.linspace(8900, 9100, 5), np.ones(5), sample="Cu foil")
    >>> m.x_label, m.technique
    ('energy (eV)', 'xas')
    """
    return Measurement(np.asarray(energy, float), np.asarray(mu, float), x_name="energy", x_unit="eV",
                       y_name=y_name, y_unit="", sample=sample, conditions=dict(conditions or {}),
                       technique="xas", source=source, meta=dict(meta or {}))


def spectrum_arrays(m: Measurement, *, min_points: int = 20, context: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``(energy_eV, mu)`` of an XAS Measurement, checked.

    The energy axis must be in eV or keV (converted), and there must be at
    least ``min_points`` points. Measurement itself already guarantees a
    strictly increasing, finite axis.

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.core.measurement import Measurement
    >>> m = Measurement(np.linspace(8.9, 9.1, 30), np.ones(30), x_name="energy", x_unit="keV")
    >>> e, mu = spectrum_arrays(m)
    >>> float(e[0])
    8900.0
    >>> spectrum_arrays(Measurement(np.arange(30.0), np.ones(30), x_name="two_theta", x_unit="deg",
    ...                             source="p.xy"))
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: p.xy: the x axis is two_theta (deg), not an X-ray energy; XAS needs energy in eV or keV (pass x_unit='eV' when reading)
    """
    unit = (m.x_unit or "").strip().lower()
    if unit not in _ENERGY_SCALE:
        what = f"{m.x_name} ({m.x_unit})" if m.x_unit else m.x_name
        raise DataError(f"{context + ': ' if context else ''}the x axis is {what}, not an X-ray energy; XAS needs "
                        "energy in eV or keV (pass x_unit='eV' when reading)", path=m.source or None)
    if np.iscomplexobj(m.y):
        raise DataError(f"{context + ': ' if context else ''}mu(E) is complex", path=m.source or None)
    if m.x.size < min_points:
        raise DataError(f"{context + ': ' if context else ''}only {m.x.size} points; an XAS spectrum needs at "
                        f"least {min_points}", path=m.source or None)
    return np.asarray(m.x, float) * _ENERGY_SCALE[unit], np.asarray(m.y, float)


def tabulated_edge(element: str, edge: str = "K") -> float:
    """Tabulated absorption-edge energy in eV (xraydb, Elam tables).

    Examples
    --------
    >>> tabulated_edge("Cu", "K")
    8979.0
    """
    import xraydb
    try:
        return float(xraydb.xray_edge(element, edge).energy)
    except Exception as exc:     # xraydb raises ValueError/KeyError/AttributeError on unknown input
        raise DataError(f"no tabulated {edge} edge for element {element!r} ({exc})") from None
