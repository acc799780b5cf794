"""Raman (and NMR line) spectra: spikes, baselines, assignment tables, multi-band fits, series.

One engine (:mod:`structkit.core.peakfit`) fits every band; this package adds
what spectra need around it.

Examples
--------
>>> from structkit.raman import synthetic_spectrum, fit_spectrum
>>> m = synthetic_spectrum([(360, 14, 4e4), (405, 8, 6e4)], x=(250, 500), spikes=2, seed=3)
>>> r = fit_spectrum(m, bands="NaTaCl6", select=["TaCl_eq_stretch", "A1g_axial_stretch"], despike=True,
...                  baseline={"method": "poly", "anchors": [(250, 300), (460, 500)], "poly_order": 2})
>>> r.spikes.n >= 2, round(r.fit["A1g_axial_stretch"].center, 0)
(True, 405.0)
"""

from .bands import Band, BandRatio, BandTable, available_band_tables, load_bands
from .baseline import BASELINE_METHODS, BaselineResult, fit_baseline
from .nmr import fit_lines, line_character, mole_ratio, oxygen_content, oxygen_content_from_fit, phase_fractions
from .peaks import BandFitResult, fit_spectrum
from .preprocess import (
    REFERENCE_LINES,
    Calibration,
    SpikeReport,
    apply_shift,
    calibrate_shift,
    crop,
    normalize,
    remove_spikes,
    smooth,
)
from .synthetic import synthetic_spectrum

__all__ = [
    "Band", "BandRatio", "BandTable", "available_band_tables", "load_bands",
    "BASELINE_METHODS", "BaselineResult", "fit_baseline",
    "BandFitResult", "fit_spectrum",
    "fit_lines", "line_character", "mole_ratio", "oxygen_content", "oxygen_content_from_fit", "phase_fractions",
    "REFERENCE_LINES", "Calibration", "SpikeReport", "apply_shift", "calibrate_shift", "crop", "normalize",
    "remove_spikes", "smooth",
    "synthetic_spectrum",
]
