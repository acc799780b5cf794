"""What every step of the Raman package takes: a spectrum as a Measurement."""

from __future__ import annotations

import numpy as np

from ..core.errors import DataError
from ..core.measurement import Measurement


def as_spectrum(spectrum, *, what: str = "spectrum", technique: str = "raman") -> Measurement:
    """A :class:`Measurement` from a Measurement or an ``(x, y)`` / ``(x, y, sigma)`` pair of arrays.

    Examples
    --------
    >>> m = as_spectrum(([3.0, 2.0, 1.0], [1.0, 5.0, 2.0]))
    >>> m.x.tolist(), m.y.tolist(), m.x_unit
    ([1.0, 2.0, 3.0], [2.0, 5.0, 1.0], 'cm-1')
    """
    if isinstance(spectrum, Measurement):
        return spectrum
    if isinstance(spectrum, (tuple, list)) and len(spectrum) in (2, 3):
        x = np.asarray(spectrum[0], dtype=float)
        y = np.asarray(spectrum[1], dtype=float)
        s = None if len(spectrum) == 2 or spectrum[2] is None else np.asarray(spectrum[2], dtype=float)
        if x.shape != y.shape or x.ndim != 1:
            raise DataError(f"{what}: x and y must be 1-D arrays of equal length, got {x.shape} and {y.shape}")
        if x.size > 1 and np.all(np.diff(x) < 0):
            x, y = x[::-1], y[::-1]
            s = None if s is None else s[::-1]
        x_name, x_unit = ("raman_shift", "cm-1") if technique == "raman" else ("chemical_shift", "ppm")
        return Measurement(x, y, s, x_name=x_name, x_unit=x_unit, y_name="intensity", technique=technique)
    raise DataError(f"{what}: give a Measurement (structkit.io.read) or a pair of arrays (x, y), "
                    f"not {type(spectrum).__name__}")


def step(x: np.ndarray) -> float:
    """Median spacing of an axis."""
    return float(np.median(np.diff(x))) if x.size > 1 else 1.0

