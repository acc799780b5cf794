"""Private helpers shared by the relaxation and NMR modules.

The Result mixin (``descriptors()``, ``to_frame()``, ``_repr_html_``),
formatting, input checks for impedance spectra and pellet geometry, and the
local log-log slope / plateau search used by :mod:`.relaxation`,
:mod:`.dispersion` and :mod:`.kww`.
"""

from __future__ import annotations

from collections.abc import Mapping
from ..core.frozen import FrozenMap
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.units import pellet_area_cm2

_NAN = float("nan")


# -- shared result machinery --------------------------------------------------------------

class _ResultRows:
    """Mixin: ``descriptors()``, ``to_frame()`` and ``_repr_html_`` from ``_items()``."""

    _technique = "conductivity"

    def _items(self) -> list[tuple[str, float, float, str]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _method(self) -> str:
        return str(getattr(self, "method", ""))

    def _default_conditions(self) -> dict[str, Any]:
        return {}

    def descriptors(self, sample: str = "", *, conditions: Mapping[str, Any] | None = None,
                    source: str = "") -> list[DescriptorRow]:
        """Rows for the descriptor table, one per number, with units in the names.

        Parameters
        ----------
        sample : str
            Sample name.
        conditions : mapping, optional
            Condition columns, e.g. ``{"temperature_K": 193.15}``.
        source : str
            File or run the numbers came from.
        """
        conds = {**self._default_conditions(), **dict(conditions or {})}
        return [DescriptorRow(sample, name, value, stderr, unit, technique=self._technique,
                              conditions=conds, source=source, method=self._method())
                for name, value, stderr, unit in self._items()]

    def to_frame(self):
        """The numbers as a DataFrame with columns ``name, value, stderr, unit``."""
        import pandas as pd
        return pd.DataFrame(self._items(), columns=["name", "value", "stderr", "unit"])

    def _repr_html_(self) -> str:
        return f"<p>{type(self).__name__}: {self._method()}</p>" + self.to_frame().to_html(index=False)


def _freeze(mapping) -> FrozenMap:
    return FrozenMap(dict(mapping or {}))


def _pm(value: float, err: float, fmt: str = ".4g") -> str:
    return f"{value:{fmt}} ± {err:.2g}" if np.isfinite(err) else f"{value:{fmt}}"


# -- input checks -----------------------------------------------------------------------

def _geometry(thickness_cm, diameter_cm, area_cm2) -> tuple[float, float]:
    """(thickness L in cm, area A in cm²), validated."""
    try:
        thickness = float(thickness_cm)
    except (TypeError, ValueError):
        raise ConfigError(f"thickness_cm must be a number, got {thickness_cm!r}") from None
    if not np.isfinite(thickness) or thickness <= 0:
        raise ConfigError(f"thickness_cm must be a positive number, got {thickness_cm!r}")
    return thickness, pellet_area_cm2(diameter_cm=diameter_cm, area_cm2=area_cm2)


def _spectrum(frequency_Hz, z_ohm, context: str, *, sort: bool = True,
              min_points: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(f, Z)``; sorted by ascending frequency when ``sort``."""
    f = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(z_ohm)
    if not np.iscomplexobj(z):
        raise DataError(f"{context}: z_ohm must be the complex impedance Z' + iZ'' "
                        "(e.g. z_re + 1j * z_im), got a real array")
    z = z.astype(complex)
    if f.ndim != 1 or z.shape != f.shape:
        raise DataError(f"{context}: frequency_Hz and z_ohm must be 1-D and of equal length, "
                        f"got shapes {f.shape} and {z.shape}")
    if f.size < min_points:
        raise FitError(f"{context}: {f.size} frequencies are too few; need at least {min_points}")
    bad = ~(np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag))
    if bad.any():
        raise DataError(f"{context}: {int(bad.sum())} non-finite value(s) in frequency_Hz or z_ohm "
                        f"(first at index {int(np.argmax(bad))}); remove those points")
    if np.any(f <= 0):
        raise DataError(f"{context}: frequency_Hz must be positive")
    if np.median(z.imag) > 0:
        raise DataError(f"{context}: Z'' is positive at most frequencies; structkit expects the "
                        "physical sign (Z'' < 0 for a capacitive sample). If your data hold -Z'', "
                        "pass z_re - 1j * minus_z_im")
    if sort:
        order = np.argsort(f, kind="stable")
        f, z = f[order], z[order]
        if np.any(np.diff(f) == 0):
            raise DataError(f"{context}: repeated frequencies; average or drop the duplicates")
    return f, z


def _window_mask(f, f_min_Hz, f_max_Hz, context: str) -> np.ndarray:
    lo = -np.inf if f_min_Hz is None else float(f_min_Hz)
    hi = np.inf if f_max_Hz is None else float(f_max_Hz)
    if not lo < hi:
        raise ConfigError(f"{context}: f_min_Hz={f_min_Hz} must be below f_max_Hz={f_max_Hz}")
    return (f >= lo) & (f <= hi)


# -- local slopes and the dc plateau ---------------------------------------------------

def _local_slope(x: np.ndarray, y: np.ndarray, points: int) -> np.ndarray:
    """Least-squares slope dy/dx in a sliding window of ``points`` samples (truncated at the ends)."""
    n = x.size
    k = max(int(points) // 2, 1)
    idx = np.arange(n)
    lo, hi = np.clip(idx - k, 0, n), np.clip(idx + k + 1, 0, n)
    cs = [np.concatenate([[0.0], np.cumsum(v)]) for v in (np.ones_like(x), x, y, x * x, x * y)]
    s1, sx, sy, sxx, sxy = (c[hi] - c[lo] for c in cs)
    den = s1 * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (s1 * sxy - sx * sy) / den
    return np.where(den > 0, slope, 0.0)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, stop) index pairs of the True runs in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    d = np.diff(padded)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1))


def _find_plateau(f, sigma_real, *, tolerance, smoothing_points, min_points, mask, context):
    """(start, stop, slope) of the widest window with |dlogσ'/dlogf| < tolerance, inside ``mask``.

    ``mask`` is a contiguous frequency window; ``slope`` is NaN outside it.
    """
    inside = np.flatnonzero(mask)
    if inside.size < min_points:
        raise FitError(f"{context}: {inside.size} points in the frequency window; need at least {min_points}")
    fm, sm = f[inside], sigma_real[inside]
    if np.any(sm <= 0):
        i = int(np.argmax(sm <= 0))
        raise DataError(f"{context}: σ' ≤ 0 at {fm[i]:.4g} Hz (inductive or corrupted point); "
                        "restrict the frequency window with f_min_Hz / f_max_Hz")
    x = np.log10(fm)
    slope_m = _local_slope(x, np.log10(sm), smoothing_points)
    runs = [(a, b) for a, b in _runs(np.abs(slope_m) < tolerance) if b - a + 1 >= min_points]
    if not runs:
        j = int(np.argmin(np.abs(slope_m)))
        raise FitError(f"{context}: no dc plateau: |d log σ'/d log f| does not stay below "
                       f"{tolerance:g} for {min_points} consecutive points (flattest: {abs(slope_m[j]):.3f} "
                       f"at {fm[j]:.3g} Hz). Raise tolerance, measure to lower frequency/higher "
                       "temperature, or fit the spectrum with fit_jonscher(f_min_Hz=...) or an "
                       "equivalent circuit")
    a, b = runs[int(np.argmax([x[b] - x[a] for a, b in runs]))]
    slope = np.full(f.shape, np.nan)
    slope[inside] = slope_m
    return int(inside[a]), int(inside[b]), slope
