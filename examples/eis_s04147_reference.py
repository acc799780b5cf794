"""Real data: the s04147 solid-electrolyte pellet from 140 to 200 °C (EISFitpython example 3).

Adediwura, Mathew & Schmedt auf der Günne, J. Mater. Chem. A 12, 15847 (2024); spectra
from ../shared/reference_data/eis/EISFitpython_Example-3-4 (MIT licence, see SOURCES.md).
Upstream fitted (R1|Q1)+(R2|Q2)+Q3 with modulus weighting and found bulk Ea = 0.587 ±
0.016 eV and total Ea = 0.8555 ± 0.0006 eV for D = 0.8 cm, L = 0.21 cm. This script does
the same with structkit (data-driven starts, carry-over along the series) and prints
both next to the upstream answers. Without the shared data it says so and stops.
"""

from pathlib import Path

import numpy as np

from structkit.conductivity import fit_arrhenius, fit_eis_series
from structkit.io import read

here = Path(__file__).resolve().parent
folder = here.parent.parent / "shared" / "reference_data" / "eis" / "EISFitpython_Example-3-4"
files = sorted(folder.glob("s04147-*deg.txt"))
if not files:
    print(f"reference data not found in {folder}; nothing to do")
else:
    spectra = [read(p) for p in files]
    results = fit_eis_series(spectra, circuit="p(R1,CPE1)-p(R2,CPE2)-CPE3", thickness_cm=0.21,
                             diameter_cm=0.8)
    for r in results:
        print(r.summary())
    t = np.array([r.temperature_K for r in results])
    bulk = fit_arrhenius(t, [r.sigma_S_per_cm for r in results], [r.sigma_stderr_S_per_cm for r in results],
                         sample="s04147 bulk")
    total = fit_arrhenius(t, [r.sigma_total_S_per_cm for r in results], sample="s04147 total")
    print(f"\nbulk  Ea = {bulk.regimes[0].ea_eV:.4f} +/- {bulk.regimes[0].ea_stderr_eV:.4f} eV "
          "(upstream 0.587 +/- 0.016)")
    print(f"total Ea = {total.regimes[0].ea_eV:.4f} +/- {total.regimes[0].ea_stderr_eV:.4f} eV "
          "(upstream 0.8555 +/- 0.0006)")
    assert abs(bulk.regimes[0].ea_eV - 0.587) < 0.03 and abs(total.regimes[0].ea_eV - 0.8555) < 0.03
