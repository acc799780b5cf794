"""XAS/EXAFS on xraylarch: normalization and XANES descriptors, χ(k), Fourier and wavelet transforms, FEFF shell fits.

larch is imported inside the functions that need it (see :mod:`structkit.xas._larch`),
so ``import structkit.xas`` stays cheap.
"""

from ._common import ETOK, KTOE, spectrum_arrays, tabulated_edge, xas_measurement

__all__ = ["xas_measurement", "spectrum_arrays", "tabulated_edge", "KTOE", "ETOK"]
