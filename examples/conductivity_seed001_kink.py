"""Seed 001: the Arrhenius kink of MIL-121 hybrid electrolytes and the Ngai/Funke numbers.

Zettl et al., Adv. Energy Mater. 2021, 11, 2003542 found two regimes in σ_DC T of
MIL-121/Na + soaking electrolyte: Ea = 1.23 eV below a kink at 10 °C and 0.36 eV above
(Li: 1.01 and 0.28 eV, kink at 50 °C), hence a Ngai coupling n = 1 - Ea(II)/Ea(I)
= 0.71 (Na) / 0.72 (Li) and Funke rearrangement energies 0.87 / 0.73 eV. They also quote
σ(30 °C) = 1.2e-4 and σ(50 °C) = 2.9e-4 S/cm for the Na sample, a two-point Ea of 0.40 eV.

Here σ(T) from -90 to 110 °C every 10 °C is generated from those laws with 2 % scatter,
the number of regimes is chosen automatically, and the derived numbers are printed.
"""

import numpy as np

from structkit.conductivity import coupling_report, fit_arrhenius, two_point_ea
from structkit.conductivity.synthetic import SEED001_NA_LAW, piecewise_arrhenius_sigma

laws = {
    "MIL-121/Na+SE": SEED001_NA_LAW,
    "MIL-121/Li+SE": {"ea_eV": (1.01, 0.28), "breakpoints_K": (323.15,), "sigma_ref_S_per_cm": 9.1e-5,
                      "t_ref_K": 323.15},
}
t = np.arange(-90.0, 111.0, 10.0) + 273.15
rng = np.random.default_rng(1)
for name, law in laws.items():
    sigma = piecewise_arrhenius_sigma(t, **law) * np.exp(0.02 * rng.standard_normal(t.size))
    res = fit_arrhenius(t, sigma, 0.02 * sigma, sample=name)
    print(res.summary())
    low, high = res.regimes[0], res.regimes[-1]
    rep = coupling_report(None, low.ea_eV, high.ea_eV, ea_low_stderr_eV=low.ea_stderr_eV,
                          ea_high_stderr_eV=high.ea_stderr_eV)
    print(f"  Ngai n = 1 - Ea(II)/Ea(I) = {1 - rep.ea_ratio:.3f} +/- {rep.ea_ratio_stderr:.3f}; "
          f"Funke rearrangement energy = {low.ea_eV - high.ea_eV:.3f} eV")
    print(f"  kink at {res.breakpoints_K[0] - 273.15:.1f} +/- {res.breakpoints_stderr_K[0]:.1f} C "
          f"(seed: {law['breakpoints_K'][0] - 273.15:.0f} C)\n")
    assert res.n_regimes == 2
    assert abs(res.breakpoints_K[0] - law["breakpoints_K"][0]) < 10

ea2 = two_point_ea(303.15, 1.2e-4, 323.15, 2.9e-4)
print(f"two-point Ea through 1.2e-4 S/cm (30 C) and 2.9e-4 S/cm (50 C): {ea2:.3f} eV (seed states 0.36 eV)")
