"""XAS/EXAFS on xraylarch: normalization and XANES descriptors, χ(k), Fourier and wavelet transforms, FEFF shell fits.

larch is imported inside the functions that need it (see :mod:`structkit.xas._larch`),
so ``import structkit.xas`` stays cheap.
"""

from ._common import ETOK, KTOE, spectrum_arrays, tabulated_edge, xas_measurement
from .exafs import Exafs, FourierTransform, extract_exafs
from .feff import Cluster, FeffError, FeffResult, cluster_from_cif, load_paths, octahedron, run_feff
from .normalize import NormalizedSpectrum, normalize
from .shells import PathModel, ShellFit, fit_shells
from .wavelet import WaveletResult, cauchy_wt, morlet_wt, path_wavelet
from .xanes import LcfResult, PreEdgeResult, fit_pre_edge, lcf_combinations, linear_combination_fit

__all__ = ["xas_measurement", "spectrum_arrays", "tabulated_edge", "KTOE", "ETOK",
           "normalize", "NormalizedSpectrum", "extract_exafs", "Exafs", "FourierTransform",
           "fit_pre_edge", "PreEdgeResult", "linear_combination_fit", "LcfResult", "lcf_combinations",
           "cauchy_wt", "morlet_wt", "path_wavelet", "WaveletResult",
           "Cluster", "octahedron", "cluster_from_cif", "run_feff", "load_paths", "FeffResult", "FeffError",
           "PathModel", "fit_shells", "ShellFit"]
