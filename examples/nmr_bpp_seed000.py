"""Seed 000: 23Na spin-lattice relaxation peaks at two Larmor frequencies (modified BPP).

Duchêne et al. fitted R1(T) of 23Na at 79 and 160 MHz with a BPP model that allows
correlated motion (asymmetric peak, β = Ea,low-T / Ea,high-T): Ea,high-T = 0.37 / 0.33 eV,
β = 0.67 / 0.56, rate maxima near 283 K and 295 K, jump rate ~5e8 s^-1 at T_max.

Synthetic R1(T) with Ea = 0.33 eV and β = 0.56 (3 % scatter) at both frequencies is fitted;
the peak must move up in temperature with the Larmor frequency, and the jump rate at
T_max is compared with ω0 = 2π·ν0.
"""

import numpy as np

from structkit.conductivity import bpp_rate, check_larmor, fit_bpp

t = np.arange(180.0, 420.0, 6.0)
rng = np.random.default_rng(0)
peaks = {}
for nu in (79.0, 160.0):
    r1 = bpp_rate(t, larmor_MHz=nu, ea_eV=0.33, tau0_s=6e-15, beta=0.56, c_per_s2=4e9)
    r1 = r1 * np.exp(0.03 * rng.standard_normal(t.size))
    res = fit_bpp(t, r1, larmor_MHz=nu)
    peaks[nu] = res.t_max_K
    print(f"{nu:5.0f} MHz: Ea = {res.ea_eV:.3f} +/- {res.ea_stderr_eV:.3f} eV, beta = {res.beta:.3f} +/- "
          f"{res.beta_stderr:.3f}, T_max = {res.t_max_K:.1f} +/- {res.t_max_stderr_K:.1f} K, "
          f"jump rate at T_max = {res.jump_rate_per_s:.3g} s^-1 (omega0 = {2 * np.pi * nu * 1e6:.3g} s^-1)")
    assert abs(res.ea_eV - 0.33) < 0.01 and abs(res.beta - 0.56) < 0.03
assert peaks[160.0] > peaks[79.0]
print(f"peak moves from {peaks[79.0]:.1f} K to {peaks[160.0]:.1f} K with the Larmor frequency")
print(check_larmor("23Na", 7.05, 73.39))   # seed 003 quotes 73.39 MHz at 7.05 T: flagged
