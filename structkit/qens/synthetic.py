"""Synthetic QENS data for examples, demos and benchmarks.

Spectra are built with the module's own laws and an analytic Gaussian resolution (exact Voigt
profiles), Poisson counts and a flat background. The acceptance tests do **not** use this module:
they build their data with an independent evaluation (tests/qens/_oracle.py).

Examples
--------
>>> import numpy as np
>>> d, truth = synthetic_sqe(np.linspace(1.3, 2.5, 4), np.linspace(-1, 1, 81), "jump-rotation:n=5",
...                          {"radius_angstrom": 2.58, "tau_ps": 5.0}, fwhm_meV=0.22, seed=1)
>>> d.n_groups, d.energy[0].size, truth["immobile_fraction"]
(4, 81, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import models as M
from .data import QENSData
from .resolution import Resolution

__all__ = ["synthetic_sqe", "synthetic_vanadium"]


def synthetic_sqe(q, energy, law, values: Mapping[str, float], *, fwhm_meV: float = 0.22,
                  immobile_fraction: float = 0.0, u2_A2: float | None = None,
                  libration_hwhm_meV: float | None = None, peak_counts: float = 2e4, background: float = 20.0,
                  temperature_K: float | None = None, sample: str = "synthetic", seed: int = 0):
    """Poisson counts of a scattering law ⊗ Gaussian resolution, per Q group.

    Returns ``(QENSData, truth)``; ``truth`` holds the parameters and the model EISF per Q.
    """
    law = M.parse_law(law)
    q = np.asarray(q, dtype=float)
    e = np.asarray(energy, dtype=float)
    rng = np.random.default_rng(seed)
    a0, ladder = law.components(q, values)
    a0, ladder = M.apply_fraction(a0, ladder, immobile_fraction)
    if u2_A2 is not None:
        a0, ladder = M.apply_libration(q, a0, ladder, u2_A2, libration_hwhm_meV)
    conv = Resolution.gaussian(fwhm_meV).convolver(0, e)
    s, ds = [], []
    peak = float(conv.group.evaluate(np.array([conv.group.center_meV]))[0])  # height of the elastic line
    for i in range(q.size):
        m = a0[i] * conv.delta()
        for a, g in ladder:
            m = m + a[i] * conv.lorentzian(g[i] if np.ndim(g) else g)
        lam = peak_counts * m / peak + background
        counts = rng.poisson(lam).astype(float)
        s.append(counts)
        ds.append(np.sqrt(np.maximum(counts, 1.0)))
    truth = dict(values, immobile_fraction=float(immobile_fraction), law=law.name,
                 eisf=immobile_fraction + (1 - immobile_fraction) * law.eisf(q, values))
    if u2_A2 is not None:
        truth["u2_A2"] = float(u2_A2)
    if libration_hwhm_meV is not None:
        truth["libration_hwhm_meV"] = float(libration_hwhm_meV)
    return QENSData(q=q, energy=e, s=s, ds=ds, temperature_K=temperature_K, sample=sample,
                    meta={"synthetic": True}), truth


def synthetic_vanadium(q, energy, *, fwhm_meV: float = 0.22, peak_counts: float = 1e5, background: float = 5.0,
                       seed: int = 0, sample: str = "vanadium") -> QENSData:
    """A vanadium run: the Gaussian resolution with Poisson counts and a flat background."""
    q = np.asarray(q, dtype=float)
    e = np.asarray(energy, dtype=float)
    rng = np.random.default_rng(seed)
    r = Resolution.gaussian(fwhm_meV).convolver(0, e).delta()
    s = [rng.poisson(peak_counts * r / r.max() + background).astype(float) for _ in q]
    return QENSData(q=q, energy=e, s=s, ds=[np.sqrt(np.maximum(x, 1.0)) for x in s], sample=sample)
