"""QENS: resolution-convolved S(Q, E) fits, EISF and linewidth models, global (Q, E) fits.

``read → resolution → per-Q fit / global fit → Result → descriptors() / plot()``:

>>> from structkit.qens import QENSData, Resolution, fit_per_q, fit_global, models  # doctest: +SKIP
>>> data = QENSData.from_measurements(structkit.io.read_qens("sample_350K.txt", q=[...]))  # doctest: +SKIP
>>> res = Resolution.from_vanadium(structkit.io.read_qens("vanadium.txt", q=[...]))  # doctest: +SKIP
>>> fit_global(data, res, "jump-rotation:n=5", libration=True).values["tau_ps"]  # doctest: +SKIP

Conventions: energy transfer in meV with E > 0 = neutron energy loss; HWHM widths; τ = ħ/Γ with
ħ = 0.6582119569 meV·ps; diffusion coefficients in Å²/ps inside fits (reported also in m²/s).
"""

from . import models
from .data import QENSData, as_qens_data, detailed_balance_factor
from .fit import (
    ArrheniusTau,
    EISFFit,
    GlobalFitResult,
    IdentifiabilityError,
    PerQResult,
    QGroupFit,
    TemperatureSeries,
    arrhenius_tau,
    fit_eisf,
    fit_global,
    fit_per_q,
    fit_temperatures,
)
from .models import HBAR_MEV_PS, JumpRotation, IsotropicRotation, Translational, TwoSiteJump, parse_law
from .resolution import Convolver, Resolution, ResolutionGroup

__all__ = [
    "models", "QENSData", "as_qens_data", "detailed_balance_factor", "Resolution", "ResolutionGroup", "Convolver",
    "fit_per_q", "PerQResult", "QGroupFit", "fit_eisf", "EISFFit", "fit_global", "GlobalFitResult",
    "fit_temperatures", "TemperatureSeries", "arrhenius_tau", "ArrheniusTau", "IdentifiabilityError",
    "HBAR_MEV_PS", "JumpRotation", "TwoSiteJump", "IsotropicRotation", "Translational", "parse_law",
]
