"""Shared PDF fixtures: the Debye-equation NaCl nanoparticle (40 Å) measured at λ = 0.2095 Å in a
container, with Compton-like smooth scattering and Poisson counts, and its reduction to G(r)."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from structkit.core.measurement import Measurement
from structkit.pdf.synthetic import debye_intensity, rocksalt_particle

A, DIAMETER, LAM, COUNTS = 5.64, 40.0, 0.2095, 5000.0
RHO0 = 8 / A ** 3
#: the reduction settings every PDF test uses for this pattern
REDUCE_KW = dict(composition="NaCl", bkg_scale=0.9, wavelength=LAM, qmin=0.8, qmax=20.0, qmax_inst=24.0, rpoly=0.9,
                 rho0=RHO0, scale_r_range=(1.4, 2.2), rmax=50.0)


def _pattern(tth, y, name):
    counts = np.maximum(y * COUNTS, 1.0)
    return Measurement(x=tth, y=y, sigma=np.sqrt(counts) / COUNTS, x_name="two_theta", x_unit="deg",
                       sample=name, source=f"{name}.xy")


@pytest.fixture(scope="session")
def nacl_particle():
    """dict: sample, background (Measurements), true_cn (mean Na-Cl neighbours, surface included),
    diameter, and ``reduced`` (reduce_pdf with REDUCE_KW)."""
    from structkit.pdf.reduce import reduce_pdf
    pos, sym = rocksalt_particle(A, DIAMETER)
    tth = np.arange(0.5, 50.0, 0.01)                          # Q up to 25 A^-1
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / LAM
    rng = np.random.default_rng(7)
    container = 800 * np.exp(-((q - 1.2) / 0.5) ** 2) + 300 * np.exp(-((q - 4.0) / 1.5) ** 2) + 50
    smooth = 40 * (1 - np.exp(-0.05 * q * q))                  # Compton-like, left to the ad hoc polynomial
    sample = 3.0 * (debye_intensity(q, pos, sym, uiso=0.02) + smooth) + 0.9 * container
    ms = _pattern(tth, rng.poisson(sample * COUNTS) / COUNTS, "NaCl-np")
    mb = _pattern(tth, rng.poisson(container * COUNTS) / COUNTS, "kapton")
    d = squareform(pdist(pos))
    true_cn = ((d > 2.5) & (d < 3.1)).sum() / len(pos)
    return {"sample": ms, "background": mb, "true_cn": float(true_cn), "diameter": DIAMETER,
            "reduced": reduce_pdf(ms, background=mb, **REDUCE_KW)}
