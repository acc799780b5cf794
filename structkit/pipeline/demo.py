"""``structkit demo``: make a small synthetic campaign with the project's own forward models and run it.

Two samples, each a variable-temperature impedance series of a pellet
between blocking electrodes (closed-form model in
:mod:`structkit.conductivity.synthetic`, 0.5 % noise):

* ``NBH`` follows the seed 000 law (Na2(B12H12)0.5(B10H10)0.5): σT regimes with
  Ea 0.40 / 0.60 / 0.34 eV and breaks at -50 and 70 °C, measured -100 to 180 °C
  every 20 °C, written as NEISYS-style text (``NBH_-100deg.txt``: temperature in
  the file name);
* ``MIL121-Na`` follows the seed 001 law (Ea 1.23 eV below and 0.36 eV above a
  kink at 10 °C), -90 to 110 °C, written as CSV with ``# sample = ...`` and
  ``# temperature = ... C`` header lines.

A synthetic XRD descriptor table (cubic lattice parameter with α_V = 1e-4 K⁻¹
below -50 °C and 2e-4 K⁻¹ above, seed 000) is joined to the fitted σ(T).
Every number is labelled synthetic in its ``method`` column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..conductivity.synthetic import SEED000_LAW, SEED001_NA_LAW, blocking_pellet_impedance, \
    piecewise_arrhenius_sigma
from ..core.descriptors import DescriptorRow, DescriptorTable

__all__ = ["write_demo_campaign", "run_demo"]

THICKNESS_CM = 0.1
DIAMETER_CM = 0.5
_FREQ = np.logspace(7, -2, 82)


def _noisy(z, rng, rel=0.005):
    return z + rel * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))


def _lattice_parameter(t_K):
    """Cubic a(T) (Å): α_V = 1e-4 /K below 223.15 K and 2e-4 /K above (α_a = α_V / 3), a = 10.0 Å at 223.15 K."""
    t = np.asarray(t_K, dtype=float)
    a_lin = np.where(t < 223.15, 1e-4 / 3, 2e-4 / 3)
    return 10.0 * np.exp(a_lin * (t - 223.15))


def write_demo_campaign(folder) -> Path:
    """Write the synthetic campaign into ``folder``; returns the path of its ``campaign.toml``."""
    folder = Path(folder)
    eis = folder / "eis"
    eis.mkdir(parents=True, exist_ok=True)
    area = np.pi * (DIAMETER_CM / 2) ** 2
    rng = np.random.default_rng(20261123)
    t_nbh = np.arange(-100, 181, 20)
    for t_c, s in zip(t_nbh, piecewise_arrhenius_sigma(t_nbh + 273.15, **SEED000_LAW)):
        z = _noisy(blocking_pellet_impedance(_FREQ, sigma_S_per_cm=s, thickness_cm=THICKNESS_CM,
                                             area_cm2=area), rng)
        lines = [f"NBH_{t_c}deg ", "Fixed value(s) :  AC Volt  [Vrms]=1.0000e-02  ",
                 "   Freq.[Hz]   \tZs'[ohm]  \tZs''[ohm]"]
        lines += [f" {f:.5e}\t {zz.real:.6e}\t{zz.imag:.6e}" for f, zz in zip(_FREQ, z)]
        (eis / f"NBH_{t_c}deg.txt").write_text("\n".join(lines) + "\n")
    t_mil = np.arange(-90, 111, 20)
    for t_c, s in zip(t_mil, piecewise_arrhenius_sigma(t_mil + 273.15, **SEED001_NA_LAW)):
        z = _noisy(blocking_pellet_impedance(_FREQ, sigma_S_per_cm=s, thickness_cm=THICKNESS_CM,
                                             area_cm2=area, eps_r=12.0), rng)
        lines = ["# synthetic impedance spectrum (structkit demo, seed 001 law)", "# sample = MIL121-Na",
                 f"# temperature = {t_c} C", "frequency_Hz,Z_real_ohm,Z_imag_ohm"]
        lines += [f"{f:.6e},{zz.real:.7e},{zz.imag:.7e}" for f, zz in zip(_FREQ, z)]
        (eis / f"MIL121-Na_run{int(t_c) + 100:03d}.csv").write_text("\n".join(lines) + "\n")
    # synthetic XRD descriptors for NBH; 200 C lies outside the conductivity range on purpose
    t_xrd = np.r_[np.arange(-100, 181, 20), 200] + 273.15
    a = _lattice_parameter(t_xrd)
    rows = [DescriptorRow("NBH", "a_angstrom", float(ai), 2e-4, "angstrom", technique="xrd",
                          conditions={"temperature_K": float(t)}, source="synthetic",
                          method="synthetic forward model (demo): cubic a(T), seed 000 alpha_V")
            for t, ai in zip(t_xrd, a)]
    DescriptorTable.from_rows(rows).to_csv(folder / "xrd_descriptors.csv")
    toml = f'''# structkit demo campaign (synthetic data made by structkit.pipeline.demo)
[campaign]
name = "demo"
output = "../results"
workers = 2

[conductivity]
inputs = ["eis/*.txt", "eis/*.csv"]
thickness_cm = {THICKNESS_CM}
diameter_cm = {DIAMETER_CM}
circuit = "p(R1,CPE1)-CPE2"

[conductivity.arrhenius]
regimes = "auto"
form = "sigmaT"

[join]
descriptors = ["xrd_descriptors.csv"]
form = "sigmaT"
'''
    path = folder / "campaign.toml"
    path.write_text(toml)
    return path


def run_demo(output="demo_out", *, workers: int = 2, progress: bool = True):
    """Write the demo campaign under ``output/campaign`` and run it into ``output/results``."""
    from .runner import run_campaign

    output = Path(output)
    toml = write_demo_campaign(output / "campaign")
    report = run_campaign(toml, workers=workers, progress=progress)
    return report
