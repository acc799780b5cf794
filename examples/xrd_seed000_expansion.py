"""Seed 000: VT-XRD of Na2(B12H12)0.5(B10H10)0.5 - sequential Le Bail, α_V regimes, (hk0) intensities.

Duchêne et al., Chem. Mater. 2019, 31, 3449 measured synchrotron powder patterns
(SNBL/ESRF, λ = 0.71414 Å) from -170 to 450 °C, fitted them sequentially by Le Bail
in FullProf with a single fcc phase (lattice, profile and background only), derived
the volumetric expansion α_V = d ln V / dT from a(T) - about 1e-4 1/K below -50 °C,
doubling to 2e-4 1/K above - and saw the (hk0) reflections gain intensity above the
glass-like transition (~ -30 °C). The same -50 °C and 70 °C limits separate the three
conduction regimes of ln(σT) against 1/T (0.60 eV between them, 0.34 eV above).
The seed gives no numeric a(T) and places the XRD change of regime III at 100-150 °C
rather than at 70 °C; here, as in the conductivity law, the third break is put at 70 °C
(α_V = 1.5e-4 1/K above, "expansion decreases again").

Generated data with known truth:
* 32 patterns, -170 to 450 °C every 20 °C, 2θ 3-30° (4000 points), Poisson noise,
  fcc (Fm-3m) cell with a(20 °C) = 9.96 Å and ln V(T) continuous and piecewise linear
  with α_V = 1e-4 / 2e-4 / 1.5e-4 1/K, breaks at -50 and 70 °C;
* intensities with a Debye-Waller factor that grows with T, and (hk0) reflections
  whose intensity rises by 25 % across a step at -30 °C (the Na site-occupancy change);
* σ(T) from -100 to 180 °C every 10 °C from structkit's SEED000_LAW, 2 % scatter.

The script fits the series sequentially (each pattern starts from its neighbour),
derives α_V regimes with an automatic regime count, compares the breakpoints with those
of the conductivity Arrhenius fit, follows the extracted (hk0) / other intensity ratio,
and joins the per-temperature XRD descriptors to σ(T) in one table. Tables and figures
go to ``example_output/xrd_seed000/``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from structkit import DescriptorRow, DescriptorTable, Measurement, join_conductivity
from structkit.conductivity import fit_arrhenius
from structkit.conductivity.synthetic import SEED000_LAW, piecewise_arrhenius_sigma
from structkit.xrd import (
    Cell,
    InstrumentProfile,
    Phase,
    d_spacing,
    fit_sequential,
    generate_reflections,
    group_intensities,
    powder_pattern,
    profile_fwhm_eta,
    thermal_expansion,
    two_theta_deg,
)

out = Path("example_output") / "xrd_seed000"
out.mkdir(parents=True, exist_ok=True)
SAMPLE = "Na2(B12H12)0.5(B10H10)0.5"

# ----------------------------------------------------------------------------- truth
LAM = 0.71414                                     # Å, SNBL (seed 000)
TT = np.linspace(3.0, 30.0, 4000)                 # deg 2θ
A_RT, T_RT = 9.96, 293.15                         # Å at 20 °C
BREAKS_K = (223.15, 343.15)                       # -50 °C and 70 °C, as the conductivity regimes
ALPHA_V = (1.0e-4, 2.0e-4, 1.5e-4)                # 1/K per regime
HK0_STEP = (0.25, 243.15, 12.0)                   # +25 % (hk0) intensity, step at -30 °C, width 12 K
temperature_K = np.arange(-170.0, 451.0, 20.0) + 273.15     # 32 temperatures


def ln_v(t):
    """ln(V/V_RT): continuous, piecewise linear in T with slopes ALPHA_V."""
    t = np.asarray(t, dtype=float)
    edges = [-np.inf, *BREAKS_K, np.inf]

    def integral(tt):                              # ∫ α_V dT from 0 K, regime by regime
        return sum(al * (np.clip(tt, lo, hi) - np.clip(0.0, lo, hi))
                   for al, lo, hi in zip(ALPHA_V, edges[:-1], edges[1:]))
    return integral(t) - integral(T_RT)


def a_true(t):
    return A_RT * np.exp(ln_v(t) / 3.0)


def hk0_factor(t):
    amp, t0, width = HK0_STEP
    return 1.0 + amp / (1.0 + np.exp(-(np.asarray(t, dtype=float) - t0) / width))


cell_rt = Cell(A_RT, A_RT, A_RT, 90, 90, 90)
refl = generate_reflections("Fm-3m", cell_rt, d_min_angstrom=LAM / (2 * np.sin(np.radians(16.0))))
is_hk0 = np.any(refl.hkl == 0, axis=1)
base_intensity = refl.multiplicity * 60.0 * np.random.default_rng(99).uniform(0.3, 1.0, len(refl))


def true_intensities(t):
    """Kα1 areas of every reflection at T: base x Debye-Waller x (hk0) occupancy step."""
    s2 = (1.0 / (2.0 * d_spacing(refl.hkl, cell_rt))) ** 2          # (sinθ/λ)²
    b_iso = 1.5 + 0.008 * (t - 100.0)                                 # Å², grows with T
    return base_intensity * np.exp(-2.0 * b_iso * s2) * np.where(is_hk0, hk0_factor(t), 1.0)


rng = np.random.default_rng(2019)
patterns = []
for i, t in enumerate(temperature_K):
    a = a_true(t)
    cell = Cell(a, a, a, 90, 90, 90)
    centres = two_theta_deg(d_spacing(refl.hkl, cell), LAM)
    fwhm, eta = profile_fwhm_eta(centres, 0.0, 0.0, 0.0009, 0.0, 0.01)
    background = 250.0 + 60.0 * np.exp(-TT / 8.0) + 40.0 * np.exp(-0.5 * ((TT - 11.0) / 4.0) ** 2)  # capillary
    y = rng.poisson(powder_pattern(TT, centres, true_intensities(t), fwhm, eta) + background).astype(float)
    patterns.append(Measurement(TT, y, x_name="two_theta", x_unit="deg", y_name="intensity", y_unit="counts",
                                sample=SAMPLE, conditions={"temperature_K": float(t)},
                                source=f"snbl_{t - 273.15:+.0f}C.xye", meta={"wavelength_angstrom": LAM}))

# ----------------------------------------------------------------------------- 1. sequential Le Bail
instrument = InstrumentProfile(radiation=str(LAM), w=0.002, y=0.005)
seq = fit_sequential(patterns, Phase("Fm-3m", Cell(9.95, 9.95, 9.95, 90, 90, 90), name="fcc"),
                     instrument=instrument, radiation=LAM, n_background=6)
cells = seq.to_frame()
cells["a_true_angstrom"] = a_true(cells["temperature_K"])
cells.to_csv(out / "cells.csv", index=False)
print(" T (C)    a fit (A)       esd (A)     a true (A)   fit-true (A)   Rwp (%)  status")
for _, r in cells.iterrows():
    print(f"{r.temperature_K - 273.15:6.0f}   {r.a_angstrom:.6f}   {r.a_stderr_angstrom:.2e}   {r.a_true_angstrom:.6f}"
          f"   {r.a_angstrom - r.a_true_angstrom:+.2e}      {100 * r.rwp:5.2f}   {r.status}")
assert not seq.failures, seq.failures
assert cells["converged"].all()
assert np.max(np.abs(cells["a_angstrom"] - cells["a_true_angstrom"])) < 2e-4
fig = seq.plot()
fig.savefig(out / "sequential_a.png", dpi=120)
plt.close(fig)
rt = seq.results[int(np.argmin(np.abs(temperature_K - T_RT)))]
print()
print(rt.summary())
lebail_png = f"lebail_{rt.temperature_K - 273.15:+.0f}C.png"
fig = rt.plot()
fig.savefig(out / lebail_png, dpi=120)
plt.close(fig)

# ----------------------------------------------------------------------------- 2. thermal expansion regimes
exp = thermal_expansion(cells["temperature_K"], a_angstrom=cells["a_angstrom"],
                        a_stderr_angstrom=cells["a_stderr_angstrom"], regimes="auto", sample=SAMPLE)
print()
print(exp.summary())
exp.local_frame().to_csv(out / "expansion.csv", index=False)
pd.concat([exp.to_frame(), exp.breakpoints_frame()], ignore_index=True).to_csv(out / "expansion_regimes.csv",
                                                                              index=False)
fig = exp.plot()
fig.savefig(out / "expansion.png", dpi=120)
plt.close(fig)
assert exp.n_regimes == 3, exp.summary()
np.testing.assert_allclose([r.alpha_V_per_K for r in exp.regimes], ALPHA_V, rtol=0.10)
np.testing.assert_allclose(exp.breakpoints_K, BREAKS_K, atol=15.0)

# ----------------------------------------------------------------------------- 3. conductivity regimes
t_sigma = np.arange(-100.0, 181.0, 10.0) + 273.15
sigma = piecewise_arrhenius_sigma(t_sigma, **SEED000_LAW) * np.exp(0.02 * np.random.default_rng(7).standard_normal(
    t_sigma.size))
arr = fit_arrhenius(t_sigma, sigma, 0.02 * sigma, regimes="auto", sample=SAMPLE)
print()
print(arr.summary())
assert arr.n_regimes == 3
print("\nbreakpoints       XRD (alpha_V)          conductivity (ln sigma T)   XRD - sigma")
for i, (bx, ex, bs, es) in enumerate(zip(exp.breakpoints_K, exp.breakpoints_stderr_K, arr.breakpoints_K,
                                         arr.breakpoints_stderr_K)):
    print(f"  {i + 1}-{i + 2}    {bx - 273.15:7.1f} +/- {ex:4.1f} C     {bs - 273.15:7.1f} +/- {es:4.1f} C"
          f"          {bx - bs:+6.1f} K")
    assert abs(bs - SEED000_LAW["breakpoints_K"][i]) < 15.0
    assert abs(bx - bs) < 25.0          # both within 15 K of the same truth (the σ grid is 10 K)

# ----------------------------------------------------------------------------- 4. (hk0) intensities
# group_intensities sums the extracted intensities of the (hk0) zone and of all reflections over the same
# set in every pattern: inside the range at every temperature and not overlapping a reflection of the
# other set (Le Bail cannot split (6 0 0)/(4 4 2)); the truth is summed over that same set
groups = group_intensities(seq, "hk0")
labels = refl.labels()
used = np.array([lab in set(groups.attrs["hkl_used"]) for lab in labels])
in_group = np.array([lab in set(groups.attrs["hkl_group"]) for lab in labels])
assert np.array_equal(in_group, used & is_hk0)


def hk0_ratio(intensity):
    return intensity[in_group].sum() / intensity[used & ~in_group].sum()


hk0 = pd.DataFrame({"temperature_K": groups["temperature_K"],
                    "ratio": groups["intensity_group"] / (groups["intensity_total"] - groups["intensity_group"]),
                    "ratio_true": [hk0_ratio(true_intensities(t)) for t in groups["temperature_K"]],
                    "hk0_occupancy_factor_true": hk0_factor(groups["temperature_K"])})
hk0["ratio_norm"] = hk0["ratio"] / hk0["ratio"].iloc[0]
hk0["ratio_true_norm"] = hk0["ratio_true"] / hk0["ratio_true"].iloc[0]
hk0.to_csv(out / "hk0_intensity.csv", index=False)
print(f"\n(hk0) / other extracted intensity over {used.sum()} reflections "
      f"(hk0 = {', '.join(groups.attrs['hkl_group'])})")
print(" T (C)   ratio / ratio(-170 C)   truth    (hk0) occupancy step")
for _, r in hk0.iterrows():
    print(f"{r.temperature_K - 273.15:6.0f}        {r.ratio_norm:.4f}          {r.ratio_true_norm:.4f}     "
          f"{r.hk0_occupancy_factor_true:.3f}")
print("(above the step the ratio keeps rising: the Debye-Waller factor weakens the higher-angle 'other' reflections"
      " more; compare with a reference measured without the transition before reading it as occupancy)")
np.testing.assert_allclose(hk0["ratio_norm"], hk0["ratio_true_norm"], rtol=0.02)
low = hk0["temperature_K"] < HK0_STEP[1] - 3 * HK0_STEP[2]
high = (hk0["temperature_K"] > HK0_STEP[1] + 3 * HK0_STEP[2]) & (hk0["temperature_K"] < 350.0)
# the step shows above the glass-like transition
assert hk0.loc[high, "ratio_norm"].mean() > 1.1 * hk0.loc[low, "ratio_norm"].mean()
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(hk0["temperature_K"] - 273.15, hk0["ratio_norm"], "o", label="Le Bail extracted")
ax.plot(hk0["temperature_K"] - 273.15, hk0["ratio_true_norm"], "-", label="truth")
ax.axvline(-30.0, color="0.5", ls=":", lw=1)
ax.set_xlabel("temperature (C)")
ax.set_ylabel("I(hk0) / I(other), normalised at -170 C")
ax.legend()
fig.savefig(out / "hk0_ratio.png", dpi=120)
plt.close(fig)

# ----------------------------------------------------------------------------- 5. descriptors joined to sigma
ratio_rows = [DescriptorRow(SAMPLE, "hk0_intensity_ratio", r.ratio_norm, unit="", technique="xrd",
                            conditions={"temperature_K": r.temperature_K}, method="lebail extracted, group_intensities")
              for r in hk0.itertuples()]
local = [d for d in exp.descriptors() if "temperature_K" in d.conditions]
table = DescriptorTable.from_rows(seq.descriptors() + local + ratio_rows)
conductivity = pd.DataFrame({"sample": SAMPLE, "temperature_K": t_sigma, "sigma_S_per_cm": sigma,
                             "sigma_stderr_S_per_cm": 0.02 * sigma})
joined = join_conductivity(table, conductivity, form="sigmaT")
joined.to_csv(out / "descriptors_joined.csv", index=False)
cols = ["temperature_K", "a_angstrom", "alpha_V_per_K", "hk0_intensity_ratio", "sigma_S_per_cm", "ea_eV",
        "conductivity_regime"]
print("\njoined table (XRD descriptors + sigma interpolated in ln(sigma T) within its regime):")
with pd.option_context("display.width", 160, "display.float_format", "{:.5g}".format):
    print(joined[cols].to_string(index=False))
print("outside the conductivity range:", joined.loc[joined["sigma_S_per_cm"].isna(), "conductivity_note"].iloc[0])
inside = joined["temperature_K"].between(t_sigma[0], t_sigma[-1])
assert len(joined) == temperature_K.size
assert joined.loc[~inside, "sigma_S_per_cm"].isna().all()           # never extrapolated
truth_sigma = piecewise_arrhenius_sigma(joined.loc[inside, "temperature_K"].to_numpy(), **SEED000_LAW)
np.testing.assert_allclose(joined.loc[inside, "sigma_S_per_cm"], truth_sigma, rtol=0.05)
ea = joined.loc[inside].set_index("temperature_K")["ea_eV"]
assert abs(ea.loc[263.15] - 0.60) < 0.03 and abs(ea.loc[423.15] - 0.34) < 0.03     # -10 °C and 150 °C
print(f"\nwrote {out}/cells.csv, expansion.csv, expansion_regimes.csv, hk0_intensity.csv, descriptors_joined.csv, "
      f"sequential_a.png, expansion.png, {lebail_png}, hk0_ratio.png")
