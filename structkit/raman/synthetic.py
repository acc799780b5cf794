"""Synthetic Raman spectra with known truth: pseudo-Voigt bands, a fluorescence background,
Poisson counts and cosmic-ray spikes. For tests, examples and benchmarks.

Examples
--------
>>> m = synthetic_spectrum([(405, 9, 5000)], x=(300, 500), spikes=2, seed=1)
>>> m.x_unit, len(m), len(m.meta["truth"]["spike_runs"])
('cm-1', 201, 2)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.lineshapes import pseudo_voigt
from ..core.measurement import Measurement

__all__ = ["synthetic_spectrum", "fluorescence"]


def fluorescence(x, level: float = 2000.0, slope: float = 1.5, curvature: float = 1.0) -> np.ndarray:
    """A smooth, rising fluorescence background in counts (a broad Gaussian tail plus a slope)."""
    x = np.asarray(x, dtype=float)
    s = (x - x.min()) / max(np.ptp(x), 1e-12)
    return level * (1.0 + slope * s + curvature * s * s) + 0.5 * level * np.exp(-((s - 1.3) / 0.6) ** 2)


def synthetic_spectrum(bands: Sequence[Sequence[float]], *, x=(100.0, 1000.0), step: float = 1.0,
                       eta: float = 0.3, background="fluorescence", noise: bool = True, spikes: int = 0,
                       spike_height: tuple[float, float] = (15.0, 100.0), min_spike_distance: float = 3.0,
                       seed: int | None = 0, sample: str = "synthetic", conditions=None) -> Measurement:
    """A Raman spectrum of pseudo-Voigt bands in counts.

    Parameters
    ----------
    bands : sequence of (center, fwhm, area[, eta])
    x : (low, high) or array
        Axis in cm-1 (``step`` apart when a range).
    eta : float
        Lorentzian fraction of bands that do not give their own.
    background : "fluorescence", None, float or array
    noise : bool
        Poisson counts.
    spikes : int
        Cosmic rays of 1-3 points: a main point ``spike_height`` (low, high) times the
        local √counts above the signal, then neighbours at 1/2 and 1/4 of it; placed at least ``min_spike_distance`` band FWHMs
        away from band centres.
    seed : int, optional

    Returns
    -------
    Measurement
        ``meta['truth']``: the bands, ``spike_indices`` (every point), ``spike_runs``, the noise-free signal and background.
    """
    rng = np.random.default_rng(seed)
    xs = np.arange(x[0], x[1] + 0.5 * step, step) if len(x) == 2 else np.asarray(x, dtype=float)
    if background is None:
        bg = np.zeros_like(xs)
    elif isinstance(background, str):
        bg = fluorescence(xs)
    else:
        bg = np.broadcast_to(np.asarray(background, dtype=float), xs.shape).copy()
    sig = np.zeros_like(xs)
    truth = []
    for b in bands:
        c, w, a = (float(v) for v in b[:3])
        e = float(b[3]) if len(b) > 3 else eta
        sig += a * pseudo_voigt(xs, c, w, e)
        truth.append({"center": c, "fwhm": w, "area": a, "eta": e})
    clean = sig + bg
    y = rng.poisson(np.maximum(clean, 0.0)).astype(float) if noise else clean.copy()
    spike_idx: list[int] = []
    runs: list[list[int]] = []
    if spikes:
        allowed = np.ones(xs.size, bool)
        for t in truth:
            allowed &= np.abs(xs - t["center"]) > min_spike_distance * t["fwhm"]
        allowed[:3] = allowed[-3:] = False
        pool = np.flatnonzero(allowed)
        tries = 0
        while len(runs) < spikes and pool.size and tries < 1000:
            tries += 1
            i = int(rng.choice(pool))
            width = int(rng.integers(1, 4))
            if any(abs(i - j) < 8 for j in spike_idx):
                continue
            amp = rng.uniform(*spike_height)
            runs.append([])
            for k in range(width):
                j = i + k
                if j >= xs.size:
                    break
                runs[-1].append(j)
                y[j] += amp * np.sqrt(max(clean[j], 1.0)) * 0.5 ** k
                spike_idx.append(j)
    meta = {"truth": {"bands": truth, "spike_indices": sorted(spike_idx), "spike_runs": runs, "signal": sig, "background": bg}}
    return Measurement(xs, y, x_name="raman_shift", x_unit="cm-1", y_name="intensity", y_unit="counts",
                       sample=sample, conditions=dict(conditions or {}), technique="raman",
                       source=f"synthetic:{sample}", meta=meta)
