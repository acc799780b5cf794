"""Conductivity: impedance spectra to σ_dc, multi-regime Arrhenius, relaxation and NMR relaxometry.

``read → fit_eis → EISResult → fit_arrhenius → ArrheniusResult``, each Result
with ``descriptors()``, ``to_frame()`` and ``plot()``.
"""

from .arrhenius import ArrheniusResult, Regime, VTFResult, fit_arrhenius, fit_vtf, two_point_ea
from .circuits import Circuit, parse_circuit
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
from .synthetic import blocking_pellet_impedance, piecewise_arrhenius_sigma, simulate_spectrum

__all__ = [
    "DEFAULT_CIRCUIT", "Circuit", "parse_circuit",
    "CircuitFit", "Arc", "EISResult", "fit_circuit", "initial_guess", "fit_eis", "fit_eis_series",
    "cpe_capacitance", "classify_capacitance", "sigma_from_resistance",
    "Regime", "ArrheniusResult", "fit_arrhenius", "VTFResult", "fit_vtf", "two_point_ea",
    "piecewise_arrhenius_sigma", "blocking_pellet_impedance", "simulate_spectrum",
]
