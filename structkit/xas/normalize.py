"""Pre-edge/post-edge normalization of μ(E) and the XANES descriptors that come with it.

:func:`normalize` wraps larch's ``pre_edge`` (the Athena algorithm: a line
fitted to the pre-edge region, a polynomial to the post-edge region, the edge
step their difference at E0, and the flattened spectrum) and adds what seed
002 followed by hand: E0 by the derivative maximum and by the half-step
crossing, the edge step, and the white-line energy and height.

Every setting larch actually used (its defaults are data dependent) is kept
in :attr:`NormalizedSpectrum.settings`, so a descriptor can be reproduced.

Examples
--------
>>> import numpy as np
>>> from structkit.xas import xas_measurement
>>> from structkit.xas.synthetic import synthetic_edge
>>> e, mu = synthetic_edge(e0=8979.0, step=1.2, seed=1)
>>> res = normalize(xas_measurement(e, mu, sample="Cu-like"))
>>> abs(res.e0_half_step - 8979.0) < 0.5, abs(res.edge_step - 1.2) < 0.05
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import DataError
from ..core.measurement import Measurement
from ..core.summary import SummaryRepr
from . import _larch
from ._common import spectrum_arrays

__all__ = ["NormalizedSpectrum", "normalize", "half_step_energy", "white_line"]

#: E0 methods :func:`normalize` knows.
E0_METHODS = ("derivative", "half_step")


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class NormalizedSpectrum(SummaryRepr):
    """A normalized XAS spectrum and its edge descriptors.

    Attributes
    ----------
    energy, mu : ndarray
        Energy (eV) and raw μ(E).
    norm, flat : ndarray
        Normalized μ(E) (edge step 1 at E0) and the flattened spectrum
        (post-edge curvature removed above E0), as larch's ``pre_edge`` makes them.
    pre_edge_line, post_edge_curve : ndarray
        The fitted pre-edge line and post-edge polynomial, in μ units.
    dmude : ndarray
        d(norm)/dE.
    e0 : float
        The E0 used (``settings['e0_method']``): derivative maximum or half step.
    e0_derivative, e0_half_step : float
        Both estimates, eV.
    edge_step : float
        Edge jump in μ units.
    white_line_energy, white_line_height : float
        Position (eV) and normalized height of the first maximum above E0
        (in ``settings['white_line_window']``); NaN when there is none.
    settings : mapping
        Everything needed to redo it: pre1, pre2, norm1, norm2 (eV from E0),
        nnorm, nvict, e0_method, given e0, larch version.
    """

    energy: np.ndarray
    mu: np.ndarray
    norm: np.ndarray
    flat: np.ndarray
    pre_edge_line: np.ndarray
    post_edge_curve: np.ndarray
    dmude: np.ndarray
    e0: float
    e0_derivative: float
    e0_half_step: float
    edge_step: float
    white_line_energy: float
    white_line_height: float
    settings: Mapping[str, Any] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    element: str = ""
    edge: str = ""
    measurement: Measurement | None = None

    def descriptors(self) -> list[DescriptorRow]:
        """``e0_eV``, ``e0_half_step_eV``, ``edge_step``, ``white_line_energy_eV``, ``white_line_height``."""
        s = self.settings
        method = (f"larch pre_edge: pre {s.get('pre1')}..{s.get('pre2')} eV, norm {s.get('norm1')}..{s.get('norm2')}"
                  f" eV, nnorm {s.get('nnorm')}; e0 by {s.get('e0_method')}")
        edge = f"{self.element} {self.edge}".strip()
        base = {"sample": self.sample, "technique": "xas", "conditions": self.conditions, "source": self.source,
                "method": method + (f"; {edge} edge" if edge else "")}
        rows = [DescriptorRow(name="e0_eV", value=self.e0, unit="eV", **base),
                DescriptorRow(name="e0_derivative_eV", value=self.e0_derivative, unit="eV", **base),
                DescriptorRow(name="e0_half_step_eV", value=self.e0_half_step, unit="eV", **base),
                DescriptorRow(name="edge_step", value=self.edge_step, unit="", **base)]
        if np.isfinite(self.white_line_energy):
            rows += [DescriptorRow(name="white_line_energy_eV", value=self.white_line_energy, unit="eV", **base),
                     DescriptorRow(name="white_line_height", value=self.white_line_height, unit="", **base)]
        return rows

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"name": r.name, "value": r.value, "unit": r.unit} for r in self.descriptors()])

    def summary(self) -> str:
        wl = (f", white line {self.white_line_energy:.2f} eV (height {self.white_line_height:.3f})"
              if np.isfinite(self.white_line_energy) else ", no white line")
        return (f"NormalizedSpectrum {self.sample or self.source}: E0 {self.e0:.2f} eV ({self.settings.get('e0_method')}; "
                f"derivative {self.e0_derivative:.2f}, half step {self.e0_half_step:.2f}), edge step "
                f"{self.edge_step:.4g}{wl}")

    def plot(self, ax=None, *, flat: bool = True):
        """Normalized (or flattened) μ(E) with E0 and the white line marked."""
        from .plot import plot_normalized
        return plot_normalized(self, ax=ax, flat=flat)


def _name(m: Measurement) -> str:
    return m.source or m.sample or "spectrum"


def half_step_energy(energy, norm, e0_guess: float) -> float:
    """Energy where the normalized μ(E) crosses 0.5 nearest to ``e0_guess`` (linear interpolation).

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(-20, 20, 401)
    >>> round(half_step_energy(e, 0.5 + np.arctan(e - 1.5) / np.pi, 0.0), 6)
    1.5
    """
    energy = np.asarray(energy, float)
    norm = np.asarray(norm, float)
    s = np.sign(norm - 0.5)
    idx = np.flatnonzero((s[:-1] < 0) & (s[1:] >= 0))      # upward crossings
    if idx.size == 0:
        return float("nan")
    i = int(idx[np.argmin(np.abs(energy[idx] - e0_guess))])
    y0, y1 = norm[i] - 0.5, norm[i + 1] - 0.5
    return float(energy[i] - y0 * (energy[i + 1] - energy[i]) / (y1 - y0))


def white_line(energy, norm, e0: float, window: tuple[float, float] = (0.0, 30.0)) -> tuple[float, float]:
    """(energy, height) of the highest normalized maximum in ``e0 + window`` (eV), parabola-refined.

    Returns ``(nan, nan)`` if μ(E) only rises through the window (no maximum inside it).

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(-20, 60, 801)
    >>> mu = 0.5 + np.arctan(e) / np.pi + 0.4 * np.exp(-(e - 8.0) ** 2 / 8)
    >>> en, h = white_line(e, mu, 0.0)
    >>> round(en, 1), round(h, 2)
    (8.0, 1.36)
    """
    energy = np.asarray(energy, float)
    norm = np.asarray(norm, float)
    sel = np.flatnonzero((energy >= e0 + window[0]) & (energy <= e0 + window[1]))
    if sel.size < 3:
        return float("nan"), float("nan")
    i = int(sel[np.argmax(norm[sel])])
    if i in (sel[0], sel[-1]) or i == 0 or i == energy.size - 1:
        return float("nan"), float("nan")
    x = energy[i - 1:i + 2]
    y = norm[i - 1:i + 2]
    a, b, c = np.polyfit(x - x[1], y, 2)
    if a >= 0:
        return float(energy[i]), float(norm[i])
    dx = float(np.clip(-b / (2 * a), x[0] - x[1], x[2] - x[1]))
    return float(x[1] + dx), float(c + b * dx + a * dx * dx)


def normalize(m: Measurement, *, e0: float | None = None, e0_method: str = "derivative",
              pre1: float | None = None, pre2: float | None = None,
              norm1: float | None = None, norm2: float | None = None,
              nnorm: int | None = None, nvict: int = 0,
              white_line_window: tuple[float, float] = (0.0, 30.0),
              min_edge_snr: float = 5.0) -> NormalizedSpectrum:
    """Normalize μ(E): pre-edge line, post-edge polynomial, edge step, E0 and the white line.

    Parameters
    ----------
    m : Measurement
        XAS spectrum (energy in eV or keV, μ(E)); see :mod:`structkit.xas._common`.
    e0 : float, optional
        Fix E0 (eV). Otherwise it is found by ``e0_method``.
    e0_method : {'derivative', 'half_step'}
        ``derivative``: the maximum of the smoothed dμ/dE (larch ``find_e0``, Athena's
        default). ``half_step``: where the normalized μ(E) crosses 0.5 (the spectrum is
        normalized once at the derivative E0, then again at the half-step E0).
    pre1, pre2 : float, optional
        Pre-edge fit range, eV relative to E0 (both negative). larch's defaults: from the
        second point to half of that.
    norm1, norm2 : float, optional
        Post-edge fit range, eV relative to E0. larch's defaults depend on the data range.
    nnorm : int, optional
        Degree of the post-edge polynomial (0-3; larch picks 0, 1 or 2 from the range).
    nvict : int
        Victoreen exponent: the pre-edge line is fitted to μ·E^nvict.
    white_line_window : (float, float)
        Where to look for the white line, eV relative to E0.
    min_edge_snr : float
        The edge step must exceed this many times the rms scatter about the pre-edge line,
        or the spectrum is refused as having no edge in range.

    Returns
    -------
    NormalizedSpectrum

    Raises
    ------
    DataError
        No edge in range, an edge step ≤ 0 (an inverted channel: I0/It swapped, or
        fluorescence given as transmission), E0 outside the data, or too few points
        on one side of the edge.
    """
    name = _name(m)
    if e0_method not in E0_METHODS:
        raise DataError(f"e0_method must be one of {E0_METHODS}, got {e0_method!r}", path=m.source or None)
    energy, mu = spectrum_arrays(m, context="normalize")
    if e0 is not None:
        e0 = float(e0)
        if not energy[0] < e0 < energy[-1]:
            raise DataError(f"E0 = {e0:g} eV is outside the data ({energy[0]:g}-{energy[-1]:g} eV); give an E0 "
                            "inside the scan or leave it out to find it", path=m.source or None)
    xafs = _larch.xafs()
    g = _larch.group(energy=energy.copy(), mu=mu.copy())
    e0_deriv = float(xafs.find_e0(energy, mu)) if e0 is None else e0
    _check_edge_position(energy, e0_deriv, name, m.source)
    kws = dict(pre1=pre1, pre2=pre2, norm1=norm1, norm2=norm2, nnorm=nnorm, nvict=nvict)
    try:
        with _larch.quiet():
            xafs.pre_edge(g, e0=e0_deriv, **kws)
    except (ValueError, IndexError, TypeError, np.linalg.LinAlgError) as exc:
        raise DataError(f"pre-edge/post-edge normalization failed ({exc}); check pre1/pre2/norm1/norm2 against the "
                        f"scan range {energy[0]:g}-{energy[-1]:g} eV", path=m.source or None) from None
    _check_step(g, energy, mu, e0_deriv, min_edge_snr, m.source)
    e0_half = half_step_energy(energy, np.asarray(g.norm), e0_deriv)
    if e0_method == "half_step" and e0 is None:
        if not math.isfinite(e0_half):
            raise DataError("the normalized spectrum never crosses 0.5 near the edge, so there is no half-step E0; "
                            "use e0_method='derivative'", path=m.source or None)
        _check_edge_position(energy, e0_half, name, m.source)
        with _larch.quiet():
            xafs.pre_edge(g, e0=e0_half, **kws)
        _check_step(g, energy, mu, e0_half, min_edge_snr, m.source)
    e0_used = float(g.e0)
    norm = np.asarray(g.norm, float)
    wl_e, wl_h = white_line(energy, np.asarray(g.flat, float), e0_used, tuple(white_line_window))
    det = g.pre_edge_details
    settings = {"e0_method": "given" if e0 is not None else e0_method, "e0_given": e0,
                "pre1": float(det.pre1), "pre2": float(det.pre2), "norm1": float(det.norm1),
                "norm2": float(det.norm2), "nnorm": int(det.nnorm), "nvict": int(nvict),
                "white_line_window": tuple(float(v) for v in white_line_window),
                "larch": _larch.larch_version()}
    meta = m.meta or {}
    return NormalizedSpectrum(
        energy=_ro(energy), mu=_ro(mu), norm=_ro(norm), flat=_ro(g.flat), pre_edge_line=_ro(g.pre_edge),
        post_edge_curve=_ro(g.post_edge), dmude=_ro(g.dmude), e0=e0_used, e0_derivative=e0_deriv,
        e0_half_step=e0_half, edge_step=float(g.edge_step), white_line_energy=wl_e, white_line_height=wl_h,
        settings=settings, sample=m.sample, conditions=dict(m.conditions), source=m.source,
        element=str(meta.get("element", "") or ""), edge=str(meta.get("edge", "") or ""), measurement=m)


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


def _check_edge_position(energy, e0: float, name: str, source: str) -> None:
    n_below = int(np.sum(energy < e0))
    n_above = int(np.sum(energy > e0))
    if n_below < 5 or n_above < 5:
        side = "below" if n_below < 5 else "above"
        raise DataError(f"no edge in range: the steepest rise of mu(E) is at {e0:.1f} eV, at the {side} end of the "
                        f"scan ({energy[0]:g}-{energy[-1]:g} eV, {n_below} points below, {n_above} above). Check "
                        "that the file covers the absorption edge, or give e0", path=source or None)


def _check_step(g, energy, mu, e0: float, min_snr: float, source: str) -> None:
    # larch reports |step|; the sign is post-edge minus pre-edge at E0
    ie0 = int(np.argmin(np.abs(energy - e0)))
    step = float(np.asarray(g.post_edge)[ie0] - np.asarray(g.pre_edge)[ie0])
    pre = (energy >= e0 + float(g.pre_edge_details.pre1)) & (energy <= e0 + float(g.pre_edge_details.pre2))
    resid = (mu - np.asarray(g.pre_edge))[pre]
    noise = float(np.std(resid)) if resid.size >= 3 else 0.0
    if not step > 0:
        raise DataError(f"edge step is {step:.3g} <= 0 at E0 = {e0:.1f} eV: mu(E) falls across the edge. Is the "
                        "channel inverted (I0 and It swapped, or ln(It/I0) instead of ln(I0/It))?",
                        path=source or None)
    if noise > 0 and step < min_snr * noise:
        raise DataError(f"no edge in range: the step at {e0:.1f} eV ({step:.3g}) is only {step / noise:.1f} times the "
                        f"pre-edge scatter ({noise:.3g}); check the energy range and the channel, or lower "
                        "min_edge_snr", path=source or None)
