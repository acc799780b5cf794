"""Forward models of μ(E) with known truth, for tests, examples, the demo and the benchmark.

:func:`synthetic_xas` builds a transmission-like μ(E) on a beamline-style grid
(coarse pre-edge, fine XANES, uniform in k above the edge): a Victoreen-like
pre-edge line, an arctangent edge with an optional white line, a smooth post-edge
decay, and ``1 + χ(k)`` above E0. χ(k) is anything the caller gives (FEFF paths
through larch's ``ff2chi``, or :func:`shells_chi`, a damped-sine model).

Examples
--------
>>> e, mu = synthetic_xas(8979.0, seed=0)
>>> bool(e[0] < 8979.0 < e[-1]), e.size > 400
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._common import ETOK

__all__ = ["xas_energy_grid", "synthetic_xas", "shells_chi", "synthetic_edge"]


def xas_energy_grid(e0: float, *, pre: float = -200.0, xanes: tuple[float, float] = (-30.0, 30.0),
                    pre_step: float = 5.0, xanes_step: float = 0.5, kmax: float = 16.0,
                    kstep: float = 0.05) -> np.ndarray:
    """A step-scan energy grid (eV): ``pre_step`` below the XANES, ``xanes_step`` through it, uniform k above.

    Examples
    --------
    >>> e = xas_energy_grid(1000.0, kmax=10)
    >>> bool(np.all(np.diff(e) > 0)), round(float(np.sqrt((e[-1] - 1000.0) * ETOK)), 3)
    (True, 10.0)
    """
    lo = np.arange(e0 + pre, e0 + xanes[0], pre_step)
    mid = np.arange(e0 + xanes[0], e0 + xanes[1], xanes_step)
    k0 = np.sqrt(xanes[1] * ETOK)
    k = np.arange(np.ceil(k0 / kstep) * kstep, kmax + kstep / 2, kstep)
    hi = e0 + k ** 2 / ETOK
    return np.concatenate([lo, mid, hi[hi > mid[-1]]])


def shells_chi(k, shells: Sequence[tuple[float, float, float]], *, amplitude: float = 1.0,
               mean_free_path: float = 8.0) -> np.ndarray:
    """Damped-sine χ(k) = Σ A·N·exp(−2k²σ²)·exp(−2R/λ)·sin(2kR)/(kR²) for shells ``(N, R, σ²)``.

    No backscattering amplitude or phase: it is a test signal whose |χ(R)| peaks
    at the true R (no phase shift), not a substitute for FEFF.

    Examples
    --------
    >>> k = np.arange(0, 16, 0.05)
    >>> chi = shells_chi(k, [(12, 2.55, 0.008)])
    >>> chi.shape, float(chi[0])
    ((320,), 0.0)
    """
    k = np.asarray(k, float)
    out = np.zeros_like(k)
    kk = np.where(k > 0, k, 1.0)
    for n, r, s2 in shells:
        out += (amplitude * n * np.exp(-2 * k ** 2 * s2) * np.exp(-2 * r / mean_free_path)
                * np.sin(2 * k * r) / (kk * r ** 2))
    return np.where(k > 0, out, 0.0)


def synthetic_xas(e0: float, chi: tuple[np.ndarray, np.ndarray] | None = None, *, step: float = 1.0,
                  energy: np.ndarray | None = None, white_line: float = 0.0, edge_width: float = 1.5,
                  pre_slope: float = -2e-4, offset: float = 0.3, post_decay: float = 1.5e-4,
                  noise: float = 0.0, seed: int | None = None, kmax: float = 16.0) -> tuple[np.ndarray, np.ndarray]:
    """(energy, μ) of a synthetic spectrum with edge ``e0`` (eV) and fine structure ``chi = (k, χ(k))``.

    Parameters
    ----------
    e0 : float
        True edge position (centre of the arctangent step), eV.
    chi : (k, chi), optional
        EXAFS to add above the edge, on any k grid (interpolated). None: a single
        damped-sine shell (N 12, R 2.55 Å, σ² 0.008 Å²).
    step : float
        Edge jump.
    energy : ndarray, optional
        Energy grid; default :func:`xas_energy_grid` to ``kmax``.
    white_line : float
        Height of a Lorentzian white line 3 eV above E0 (normalized units).
    noise : float
        Gaussian noise rms, in μ units; ``seed`` for reproducibility.

    Examples
    --------
    >>> e, mu = synthetic_xas(9881.0, step=0.8, white_line=0.6, seed=2)
    >>> bool(mu[-1] > mu[0])
    True
    """
    e = xas_energy_grid(e0, kmax=kmax) if energy is None else np.asarray(energy, float)
    de = e - e0
    k = np.sqrt(np.clip(de, 0, None) * ETOK)
    if chi is None:
        kk = np.arange(0, kmax + 0.5, 0.05)
        chi = (kk, shells_chi(kk, [(12, 2.55, 0.008)]))
    ck = np.interp(k, np.asarray(chi[0], float), np.asarray(chi[1], float), left=0.0, right=0.0)
    # the fine structure turns on smoothly by k = 3 (a damped sine grows like 1/k towards the edge,
    # where the real near-edge structure is not EXAFS); 1 - exp(-(k/2)^6) is 1 to 1e-5 above k = 3
    ck = np.where(de > 0, ck * (1.0 - np.exp(-(k / 2.0) ** 6)), 0.0)
    edge = 0.5 + np.arctan(de / edge_width) / np.pi
    wl = white_line * (edge_width ** 2) / ((de - 3.0) ** 2 + edge_width ** 2) if white_line else 0.0
    post = np.exp(-post_decay * np.clip(de, 0, None))
    # chi = (mu - mu0(E)) / step, the definition autobk inverts: the fine structure is scaled by the
    # edge step at E0, not by the slowly decaying post-edge mu0(E)
    mu = offset + pre_slope * de + step * (edge * post + wl + edge * ck)
    if noise:
        mu = mu + np.random.default_rng(seed).normal(0.0, noise, e.size)
    return e, mu


def synthetic_edge(e0: float, *, step: float = 1.0, seed: int | None = None, noise: float = 1e-3):
    """A plain edge with one damped-sine shell and a little noise: shortest way to a test spectrum.

    Examples
    --------
    >>> e, mu = synthetic_edge(7112.0, seed=0)
    >>> e.size == mu.size
    True
    """
    return synthetic_xas(e0, step=step, noise=noise, seed=seed)
