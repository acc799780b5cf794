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

and for ``NBH`` a variable-temperature powder XRD series (-120 to 200 °C every
20 °C, λ = 0.71414 Å as at SNBL, 3-30° 2θ, Poisson counts) of an fcc cell whose
volume expands with α_V = 1e-4 K⁻¹ below -50 °C and 2e-4 K⁻¹ above (seed 000),
written as ``.xye`` files. ``structkit run`` fits each pattern by Le Bail,
derives the expansion regimes and joins the cell to the fitted σ(T); the -120
and 200 °C patterns lie outside the conductivity range on purpose.

A ball-milling series of NaTaCl6 (seed 002): ``NTC-6h``, ``NTC-26h`` and
``NTC-40h``, each an impedance series at 25-70 °C (σ at 25 °C from seed 002:
6e-5, 4e-4 and 4e-3 S/cm; the activation energies 0.45, 0.38 and 0.30 eV are
a model, the seed gives none in its text) and one Ta L3 XAS spectrum at 25 °C
(XDI files with the milling time in a ``conditions.csv`` sidecar). The spectra
are built from FEFF6L paths of a TaCl6 octahedron (Ta–Cl 2.37 Å, up to four
legs): milling is modelled as growing disorder, first-shell σ² 0.0040 →
0.0065 Å² and the longer paths (the collinear Cl–Ta–Cl forward scattering
among them) 0.010 → 0.035 Å², so the wavelet maximum near 4.3 Å fades as σ
rises. The ``[xas]`` table fits the Ta–Cl shell of each spectrum and takes the
wavelet maxima, which the join puts next to σ(25 °C).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..conductivity.synthetic import SEED000_LAW, SEED001_NA_LAW, piecewise_arrhenius_sigma
from .synthetic import DIAMETER_CM, THICKNESS_CM, XRD_WAVELENGTH, impedance_csv_text, neisys_text, \
    pellet_spectrum, xrd_counts, xye_text

__all__ = ["write_demo_campaign", "run_demo"]


def _lattice_parameter(t_K):
    """Cubic a(T) (Å): α_V = 1e-4 /K below 223.15 K and 2e-4 /K above (α_a = α_V / 3), a = 10.0 Å at 223.15 K."""
    t = np.asarray(t_K, dtype=float)
    a_lin = np.where(t < 223.15, 1e-4 / 3, 2e-4 / 3)
    return 10.0 * np.exp(a_lin * (t - 223.15))


def _write_xrd_series(folder: Path, rng) -> None:
    """fcc patterns of NBH from -120 to 200 C (the forward model of :mod:`structkit.xrd.profiles`)."""
    from ..xrd.reflections import Cell, generate_reflections

    folder.mkdir(parents=True, exist_ok=True)
    tt = np.arange(3.0, 30.0, 0.008)
    lam = XRD_WAVELENGTH
    ref = generate_reflections("Fm-3m", Cell(10.0, 10.0, 10.0), d_min_angstrom=lam / (2 * np.sin(np.radians(16.0))))
    strength = ref.multiplicity * 2500.0 * np.random.default_rng(12).uniform(0.3, 1.0, len(ref))
    for t_c in np.arange(-120, 201, 20):
        y = xrd_counts(tt, float(_lattice_parameter(t_c + 273.15)), ref.hkl, strength, rng, wavelength=lam)
        header = ["# synthetic powder pattern (structkit demo, seed 000 expansion law)", "# sample = NBH",
                  f"# temperature = {t_c} C", f"# wavelength = {lam} A", "# 2theta_deg counts sigma"]
        (folder / f"NBH_{t_c}C.xye").write_text(xye_text(header, tt, y))


#: seed 002: σ(25 °C) after 6, 26 and 40 h of milling (S/cm); the Ea are a model (not in the seed's text)
NTC_SERIES = {6: (6e-5, 0.45), 26: (4e-4, 0.38), 40: (4e-3, 0.30)}
#: the milling model of the Ta L3 spectra: (first-shell σ², σ² of every longer path), Å²
NTC_DISORDER = {6: (0.0040, 0.010), 26: (0.0050, 0.020), 40: (0.0065, 0.035)}
TA_L3_EDGE = 9881.0
TA_CL_ANGSTROM = 2.37


def _write_xas_series(folder: Path) -> None:
    """Ta L3 μ(E) of the milled NTC samples: FEFF6L paths of TaCl6 (written to ``folder/feff``) -> χ(k) -> μ(E)."""
    from ..xas.feff import octahedron, run_feff
    from ..xas.synthetic import synthetic_xas

    folder.mkdir(parents=True, exist_ok=True)
    feff = run_feff(octahedron("Ta", "Cl", TA_CL_ANGSTROM), folder=folder.parent / "feff", edge="L3",
                    rmax=5.0, nleg=4)
    sidecar = ["file,milling_time_h"]
    for hours, (s2_first, s2_long) in NTC_DISORDER.items():
        chi = feff.chi(s02=0.9, e0=2.0, kmax=17.0, kstep=0.05,
                       sigma2=lambda p, s1=s2_first, s2=s2_long: s1 if p.nleg == 2 and p.reff < 3 else s2)
        e, mu = synthetic_xas(TA_L3_EDGE, chi=(chi.k, chi.chi), step=0.8, white_line=0.6, noise=2e-4, seed=hours,
                              kmax=15.0)
        name = f"NTC-{hours}h"
        lines = ["# XDI/1.0 structkit-demo", "# Column.1: energy eV", "# Column.2: mutrans",
                 "# Element.symbol: Ta", "# Element.edge: L3", f"# Sample.name: {name}",
                 "# Sample.temperature: 25 C", "# ///",
                 f"# synthetic Ta L3 spectrum (structkit demo, seed 002 milling model, {hours} h)", "#----",
                 "# energy mutrans"]
        lines += [f"{x:.3f} {y:.7f}" for x, y in zip(e, mu)]
        (folder / f"{name}.xdi").write_text("\n".join(lines) + "\n")
        sidecar.append(f"{name}.xdi,{hours}")
    (folder / "conditions.csv").write_text("\n".join(sidecar) + "\n")


_XAS_TABLE = """[xas]
inputs = ["xas/*.xdi"]
rbkg = 1.0
clamp_lo = 5
kmin = 3.0
kmax = 14.0
kweight = 2
window = "hanning"
peaks = 1                      # the main |chi(R)| peak (seed 002: 1.98 A for NaTaCl6)
rmin = 1.2
rmax = 5.5

[xas.wavelet]
kind = "morlet"
r_windows = [[1.2, 2.4], [3.4, 4.9]]

[xas.fit]
paths = ["feff/feff0001.dat"]
rmin = 1.2
rmax = 2.6

"""


def write_demo_campaign(folder) -> Path:
    """Write the synthetic campaign into ``folder``; returns the path of its ``campaign.toml``."""
    folder = Path(folder)
    eis = folder / "eis"
    eis.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261123)
    t_nbh = np.arange(-100, 181, 20)
    for t_c, s in zip(t_nbh, piecewise_arrhenius_sigma(t_nbh + 273.15, **SEED000_LAW)):
        (eis / f"NBH_{t_c}deg.txt").write_text(neisys_text(f"NBH_{t_c}deg", pellet_spectrum(s, rng)))
    t_mil = np.arange(-90, 111, 20)
    for t_c, s in zip(t_mil, piecewise_arrhenius_sigma(t_mil + 273.15, **SEED001_NA_LAW)):
        header = ["# synthetic impedance spectrum (structkit demo, seed 001 law)", "# sample = MIL121-Na",
                  f"# temperature = {t_c} C"]
        (eis / f"MIL121-Na_run{int(t_c) + 100:03d}.csv").write_text(
            impedance_csv_text(header, pellet_spectrum(s, rng, eps_r=12.0)))
    t_ntc = np.arange(25, 71, 15)
    for hours, (s25, ea) in NTC_SERIES.items():
        law = {"ea_eV": (ea,), "breakpoints_K": (), "sigma_ref_S_per_cm": s25, "t_ref_K": 298.15}
        for t_c, s in zip(t_ntc, piecewise_arrhenius_sigma(t_ntc + 273.15, **law)):
            header = ["# synthetic impedance spectrum (structkit demo, seed 002 milling series)",
                      f"# sample = NTC-{hours}h", f"# temperature = {t_c} C"]
            (eis / f"NTC-{hours}h_{t_c}C.csv").write_text(impedance_csv_text(header, pellet_spectrum(s, rng)))
    _write_xrd_series(folder / "xrd", rng)
    try:
        import larch  # noqa: F401
    except ImportError:          # pip install structkit without [xas]: the demo runs without its XAS part
        with_xas = False
    else:
        with_xas = True
        _write_xas_series(folder / "xas")
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

[xrd]
inputs = ["xrd/*.xye"]
space_group = "Fm-3m"
cell = "a=10.0"
wavelength_angstrom = {XRD_WAVELENGTH}
two_theta_min = 3.0
two_theta_max = 30.0
prescan = 0.03

[xrd.expansion]
regimes = "auto"

{_XAS_TABLE if with_xas else "# [xas] left out: xraylarch is not installed (pip install 'structkit[xas]')"}
[join]
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
