"""Variable-temperature powder XRD: reflections, profiles, Le Bail, sequential refinement, thermal expansion.

``read → lebail_fit / fit_sequential → LeBailResult / SequentialResult →
thermal_expansion → ExpansionResult``, each with ``descriptors()``,
``to_frame()`` and ``plot()``; peak widths (``fit_peaks``), instrument-corrected
broadening (Scherrer, Williamson-Hall) and crystalline fraction / amorphization index
along a milling series work on the same profiles.
"""

from .amorphization import (
    CrystallinityResult,
    CrystallinitySeries,
    crystalline_fraction,
    crystallinity_series,
)
from .broadening import (
    BroadeningResult,
    WilliamsonHallResult,
    instrument_from_standard,
    sample_broadening,
    scherrer_size_nm,
    voigt_components,
    voigt_integral_breadth,
    williamson_hall,
)
from .expansion import (
    ExpansionRegime,
    ExpansionResult,
    local_expansion,
    thermal_expansion,
)
from .hkl import group_intensities, hkl_labels
from .lebail import PROFILE_PARAMS, LeBailResult, Phase, PhaseResult, lebail_fit
from .peakwidth import PeakFitResult, PeakWindow, fit_peaks
from .profiles import (
    InstrumentProfile,
    caglioti_fwhm,
    chebyshev_background,
    d_spacing_from_two_theta,
    lorentz_fwhm,
    powder_pattern,
    powder_pattern_derivatives,
    profile_fwhm_eta,
    two_theta_deg,
)
from .radiation import ANODES, Radiation, radiation
from .reflections import (
    Cell,
    ReflectionList,
    cell_from_free,
    crystal_system,
    d_spacing,
    free_cell_parameters,
    generate_reflections,
    parse_cell,
    reflections_in_range,
)
from .sequential import (
    ParametricResult,
    SequentialResult,
    fit_parametric,
    fit_sequential,
)

__all__ = [
    "Radiation", "radiation", "ANODES",
    "Cell", "ReflectionList", "crystal_system", "free_cell_parameters", "cell_from_free", "parse_cell",
    "d_spacing", "generate_reflections", "reflections_in_range",
    "InstrumentProfile", "caglioti_fwhm", "lorentz_fwhm", "profile_fwhm_eta", "powder_pattern",
    "powder_pattern_derivatives",
    "chebyshev_background", "two_theta_deg", "d_spacing_from_two_theta",
    "Phase", "PhaseResult", "LeBailResult", "lebail_fit", "PROFILE_PARAMS",
    "SequentialResult", "fit_sequential", "ParametricResult", "fit_parametric",
    "ExpansionRegime", "ExpansionResult", "thermal_expansion", "local_expansion",
    "PeakWindow", "PeakFitResult", "fit_peaks",
    "BroadeningResult", "sample_broadening", "instrument_from_standard", "voigt_components",
    "voigt_integral_breadth", "scherrer_size_nm", "WilliamsonHallResult", "williamson_hall",
    "CrystallinityResult", "crystalline_fraction", "CrystallinitySeries", "crystallinity_series",
    "hkl_labels", "group_intensities",
]
