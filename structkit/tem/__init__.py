"""HRTEM image series: FFT d-spacings, indexing, superstructure, lattice strain vs dose, critical dose.

* :mod:`structkit.tem.fft` — power spectra with calibrated reciprocal axes, Bragg spots with
  sub-pixel centres and honest errors, indexing against a cell, superstructure spots (d = 2a).
* :mod:`structkit.tem.dose` — drift by phase correlation, spots tracked along a dose series:
  d(D), strain ε(D), expansion at a dose, spot intensity I(D) → critical dose.
* :mod:`structkit.tem.synthetic` — a forward model with known truth (examples, demo, benchmark).
* :mod:`structkit.tem.plot` — figures.

Examples
--------
>>> from structkit.tem import synthetic_stack, analyze_fft, dose_series
>>> s = synthetic_stack(shape=(512, 512), n_frames=8, dose_per_frame_e_per_A2=2.0, electrons_per_A2_scale=4.0,
...                     superstructure=True, seed=3)
>>> r = analyze_fft(s, frame=0, cell=4.7)          # d = 9.4 Å = 2a: the (½00) superstructure spot
>>> [round(float(d), 2) for d in r.d_angstrom], r.superstructure, r.superstructure_hkl
([9.42, 4.71, 4.7], True, ((0.5, 0.0, 0.0),))
>>> r.pairs[0].calculated_angle_deg, r.pairs[0].hkl_i, r.pairs[0].hkl_j, r.pairs[0].consistent
(90.0, (1, 0, 0), (0, 1, 0), True)
>>> ds = dose_series(s, track=(4.7,), angles=(90.0,))    # the truth: 0.0035 per e/Å²
>>> t = ds.tracks[0]
>>> t.label, round(t.strain_rate_per_e_per_A2, 4), bool(t.found.all())
('4.70A@90deg', 0.0035, True)
"""

from .dose import DoseSeries, Track, dose_series, estimate_drift
from .fft import (
    REFINE_METHODS,
    WINDOWS,
    FFTResult,
    PowerSpectrum,
    Spot,
    SpotPair,
    analyze_fft,
    cell_d_spacing,
    find_spots,
    power_spectrum,
)
from .synthetic import synthetic_stack

__all__ = [
    "PowerSpectrum", "power_spectrum", "Spot", "find_spots", "SpotPair", "FFTResult", "analyze_fft",
    "cell_d_spacing", "WINDOWS", "REFINE_METHODS",
    "estimate_drift", "dose_series", "DoseSeries", "Track",
    "synthetic_stack",
]
