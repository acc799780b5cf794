"""Conductivity: impedance spectra to σ_dc, multi-regime Arrhenius, relaxation and NMR relaxometry.

``read → fit_eis → EISResult → fit_arrhenius → ArrheniusResult``, each Result
with ``descriptors()``, ``to_frame()`` and ``plot()``.
"""

from .arrhenius import ArrheniusResult, Regime, VTFResult, fit_arrhenius, fit_vtf, two_point_ea
from .bpp import BPPResult, FlankResult, bpp_rate, fit_bpp, fit_flank
from .circuits import Circuit, parse_circuit
from .dispersion import JonscherResult, PowerLawResult, fit_jonscher, power_law_slope
from .eis import (
    DEFAULT_CIRCUIT,
    Arc,
    CircuitFit,
    EISResult,
    classify_capacitance,
    cpe_capacitance,
    fit_circuit,
    fit_eis,
    fit_eis_series,
    initial_guess,
    sigma_from_resistance,
)
from .kww import (
    CouplingReport,
    ModulusKWWResult,
    coupling_report,
    fit_modulus_kww,
    kww_modulus_bergman,
    phillips_beta,
)
from .nmr import (
    GYROMAGNETIC_MHZ_PER_T,
    LarmorCheck,
    T1Result,
    check_larmor,
    fit_t1_recovery,
    larmor_frequency_MHz,
)
from .relaxation import PlateauResult, complex_conductivity, electric_modulus, permittivity, sigma_dc_plateau
from .synthetic import blocking_pellet_impedance, piecewise_arrhenius_sigma, simulate_spectrum

__all__ = [
    "DEFAULT_CIRCUIT", "Circuit", "parse_circuit",
    "CircuitFit", "Arc", "EISResult", "fit_circuit", "initial_guess", "fit_eis", "fit_eis_series",
    "cpe_capacitance", "classify_capacitance", "sigma_from_resistance",
    "Regime", "ArrheniusResult", "fit_arrhenius", "VTFResult", "fit_vtf", "two_point_ea",
    "complex_conductivity", "electric_modulus", "permittivity", "sigma_dc_plateau", "PlateauResult",
    "fit_jonscher", "JonscherResult", "fit_modulus_kww", "ModulusKWWResult", "kww_modulus_bergman",
    "power_law_slope", "PowerLawResult", "coupling_report", "CouplingReport", "phillips_beta",
    "fit_t1_recovery", "T1Result", "fit_bpp", "BPPResult", "fit_flank", "FlankResult", "bpp_rate",
    "larmor_frequency_MHz", "check_larmor", "LarmorCheck", "GYROMAGNETIC_MHZ_PER_T",
    "piecewise_arrhenius_sigma", "blocking_pellet_impedance", "simulate_spectrum",
]
