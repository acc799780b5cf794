"""The one data object every reader returns and every technique consumes.

A :class:`Measurement` is a 1-D signal ``y(x)`` with optional standard
uncertainties ``sigma``, unit-bearing axis names, and the metadata that
keys its descriptors: the sample, the named conditions (``temperature_K``,
``milling_time_h`` ...), the technique and the source file. It is validated
when it is made (finite values, equal lengths, strictly increasing axis), its
arrays are read-only, and steps return new objects (``replace``).

``y`` may be complex (an impedance spectrum ``Z = Z' + iZ''``, with the
physical sign convention: ``Z'' < 0`` on a capacitive arc).

Examples
--------
>>> import numpy as np
>>> m = Measurement(np.array([1.0, 2.0, 3.0]), np.array([5.0, 6.0, 7.0]),
...                 x_name="two_theta", x_unit="deg", sample="NTC-6h",
...                 conditions={"temperature_K": 300.0})
>>> m.temperature_K
300.0
>>> m.x_label
'two_theta (deg)'
>>> Measurement(np.array([2.0, 1.0]), np.array([1.0, 1.0]), source="b.xy")
Traceback (most recent call last):
...
structkit.core.errors.DataError: b.xy: x axis is not strictly increasing at index 1 (2.0 -> 1.0); sort the data or remove repeated x values
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from .frozen import FrozenMap
from typing import Any

import numpy as np

from .errors import DataError

__all__ = ["Measurement", "monotonic_order"]


def _frozen_array(values, *, name: str, source: str, complex_ok: bool) -> np.ndarray:
    if not complex_ok and np.iscomplexobj(values):
        raise DataError(f"{name} is complex; only y may be complex (give real values for {name})",
                        path=source or None)
    try:
        arr = np.array(values, dtype=complex if complex_ok and np.iscomplexobj(values) else float,
                       copy=True)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} is not numeric ({exc})", path=source or None) from None
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D, got shape {arr.shape}", path=source or None)
    arr.setflags(write=False)
    return arr


def _check_finite(arr: np.ndarray, name: str, source: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{name} has {int(bad.sum())} non-finite value(s), first at index {i} "
                        f"({arr[i]}); remove or fill those rows", path=source or None)


def frozen_conditions(conditions: Mapping[str, Any], source: str = "") -> FrozenMap:
    """Conditions as a read-only map: text keys, numbers as finite floats (a non-finite one raises)."""
    conds = {}
    for key, value in dict(conditions).items():
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            value = float(value)
            if not np.isfinite(value):
                raise DataError(f"condition {key} is not finite", path=source or None)
        conds[str(key)] = value
    return FrozenMap(conds)


def monotonic_order(x, *, source: str = "", name: str = "x") -> slice:
    """Return the slice that makes a strictly monotonic axis increasing.

    Instrument files often list frequency or temperature from high to low;
    that is fine and is reversed. An axis that goes both ways, or that
    repeats a value, raises.

    Examples
    --------
    >>> monotonic_order([3.0, 2.0, 1.0])
    slice(None, None, -1)
    >>> monotonic_order([1.0, 1.0, 2.0], name="frequency_Hz")
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: frequency_Hz has a repeated value 1.0 at index 1; remove duplicate rows
    """
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return slice(None)
    d = np.diff(x)
    if np.all(d > 0):
        return slice(None)
    if np.all(d < 0):
        return slice(None, None, -1)
    zero = np.flatnonzero(d == 0)
    if zero.size:
        i = int(zero[0]) + 1
        raise DataError(f"{name} has a repeated value {x[i]} at index {i}; remove duplicate rows",
                        path=source or None)
    sign = np.sign(d[0])
    i = int(np.flatnonzero(np.sign(d) != sign)[0]) + 1
    raise DataError(f"{name} is not monotonic: it turns at index {i} ({x[i-1]} -> {x[i]}); "
                    "sort the rows or split the file into separate sweeps", path=source or None)


@dataclass(frozen=True, eq=False)
class Measurement:
    """A validated 1-D measurement with units and conditions.

    Parameters
    ----------
    x, y : array_like
        Axis and signal, equal length, finite; ``x`` strictly increasing.
        ``y`` may be complex.
    sigma : array_like, optional
        Standard uncertainty of ``y`` (same length, finite, >= 0).
    x_name, x_unit, y_name, y_unit : str
        Quantity names and units, e.g. ``"frequency", "Hz"``.
    sample : str
        Sample identifier; keys descriptor rows.
    conditions : mapping
        Named conditions with units in the name, e.g. ``{"temperature_K": 413.15}``.
    technique : str
        ``"conductivity"``, ``"xrd"``, ...
    source : str
        Path of the file it came from (used in error messages).
    meta : mapping
        Anything else (header keys, wavelength_angstrom, instrument).
    """

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None = None
    x_name: str = "x"
    x_unit: str = ""
    y_name: str = "y"
    y_unit: str = ""
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    technique: str = ""
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        src = str(self.source or "")
        object.__setattr__(self, "source", src)
        x = _frozen_array(self.x, name=self.x_name or "x", source=src, complex_ok=False)
        y = _frozen_array(self.y, name=self.y_name or "y", source=src, complex_ok=True)
        if x.size != y.size:
            raise DataError(f"{self.x_name} has {x.size} values but {self.y_name} has {y.size}",
                            path=src or None)
        if x.size == 0:
            raise DataError("no data points", path=src or None)
        _check_finite(x, self.x_name or "x", src)
        _check_finite(y, self.y_name or "y", src)
        if x.size > 1:
            d = np.diff(x)
            if not np.all(d > 0):
                i = int(np.flatnonzero(d <= 0)[0]) + 1
                raise DataError(f"{self.x_name or 'x'} axis is not strictly increasing at index {i} "
                                f"({x[i-1]} -> {x[i]}); sort the data or remove repeated "
                                f"{self.x_name or 'x'} values", path=src or None)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        if self.sigma is not None:
            s = _frozen_array(self.sigma, name="sigma", source=src, complex_ok=False)
            if s.size != x.size:
                raise DataError(f"sigma has {s.size} values but {self.x_name} has {x.size}",
                                path=src or None)
            _check_finite(s, "sigma", src)
            if np.any(s < 0):
                raise DataError("sigma has negative values", path=src or None)
            object.__setattr__(self, "sigma", s)
        object.__setattr__(self, "conditions", frozen_conditions(self.conditions, src))
        object.__setattr__(self, "meta", FrozenMap(dict(self.meta)))

    # -- convenience -----------------------------------------------------
    @property
    def temperature_K(self) -> float | None:
        """The ``temperature_K`` condition, or None."""
        t = self.conditions.get("temperature_K")
        return None if t is None else float(t)

    @property
    def x_label(self) -> str:
        return f"{self.x_name} ({self.x_unit})" if self.x_unit else self.x_name

    @property
    def y_label(self) -> str:
        return f"{self.y_name} ({self.y_unit})" if self.y_unit else self.y_name

    def __len__(self) -> int:
        return int(self.x.size)

    def replace(self, **changes) -> "Measurement":
        """A new, re-validated Measurement with some fields changed."""
        if "conditions" in changes:
            changes["conditions"] = dict(changes["conditions"])
        if "meta" in changes:
            changes["meta"] = dict(changes["meta"])
        return dataclasses.replace(self, **changes)

    def with_conditions(self, **conditions) -> "Measurement":
        """A copy with conditions added or overridden."""
        return self.replace(conditions={**self.conditions, **conditions})

    def crop(self, xmin: float | None = None, xmax: float | None = None) -> "Measurement":
        """Keep points with ``xmin <= x <= xmax``."""
        keep = np.ones(self.x.size, dtype=bool)
        if xmin is not None:
            keep &= self.x >= xmin
        if xmax is not None:
            keep &= self.x <= xmax
        if not keep.any():
            raise DataError(f"no points of {self.x_name} in [{xmin}, {xmax}]", path=self.source or None)
        return self.replace(x=self.x[keep], y=self.y[keep],
                            sigma=None if self.sigma is None else self.sigma[keep])

    def __repr__(self) -> str:
        kind = "complex " if np.iscomplexobj(self.y) else ""
        conds = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in self.conditions.items())
        return (f"Measurement({self.technique or 'unknown'}: {len(self)} {kind}points, "
                f"{self.x_label} {self.x[0]:g}..{self.x[-1]:g}, {self.y_label}, "
                f"sample={self.sample!r}{', ' + conds if conds else ''}"
                f"{', source=' + repr(self.source) if self.source else ''})")
