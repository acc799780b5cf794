"""Core: the data model, units, errors, the shared fit helpers and the descriptor table.

``core`` imports no technique, no reader and no CLI.
"""

from .descriptors import DescriptorRow, DescriptorTable, join_conductivity
from .errors import (
    ConfigError,
    DataError,
    FitError,
    MissingDependencyError,
    ReadError,
    StructkitError,
    WriteError,
)
from .fit import FitReport, information_criteria, make_params, minimize, minimize_separable
from .image import ImageStack
from .measurement import Measurement, monotonic_order
from .piecewise import PiecewiseFit, fit_piecewise_linear
from .units import (
    EPSILON_0_F_PER_CM,
    HBAR_MEV_PS,
    K_B_EV,
    celsius_to_kelvin,
    kelvin_to_celsius,
    pellet_area_cm2,
    to_kelvin,
)

__all__ = [
    "StructkitError", "ReadError", "DataError", "FitError", "ConfigError", "WriteError", "MissingDependencyError",
    "Measurement", "monotonic_order", "ImageStack",
    "FitReport", "minimize", "minimize_separable", "make_params", "information_criteria",
    "PiecewiseFit", "fit_piecewise_linear",
    "DescriptorRow", "DescriptorTable", "join_conductivity",
    "K_B_EV", "HBAR_MEV_PS", "EPSILON_0_F_PER_CM", "celsius_to_kelvin", "kelvin_to_celsius",
    "to_kelvin", "pellet_area_cm2",
]
