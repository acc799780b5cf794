"""Pair distribution functions: total scattering to G(r), r-space analysis, small-box fits, series.

* :mod:`~structkit.pdf.transform` - sine transforms F(Q) ↔ G(r) (chirp-z on uniform grids, direct
  sum otherwise), the Lorch function, conversions between G(r), g(r), R(r), T(r) and Keen's G(r);
* :mod:`~structkit.pdf.reduce` - raw I(2θ) or I(Q) (+ container) to S(Q), F(Q), G(r), X-ray or neutron,
  with PDFgetX3's ad hoc polynomial correction;
* :mod:`~structkit.pdf.rpeaks` - shell fits (position, width, weighted and partial CN), running CN;
* :mod:`~structkit.pdf.order` - particle diameter / coherence length, mid-range order metric;
* :mod:`~structkit.pdf.smallbox` and :mod:`~structkit.pdf.structure` - PDFfit-model small-box fits;
* :mod:`~structkit.pdf.series` - every analysis of one G(r), and of a temperature or milling series.
"""

from .order import fit_envelope, mid_range_order
from .reduce import reduce_pdf
from .rpeaks import fit_rpeaks, number_density, pair_weight, running_coordination
from .series import analyse_pdf, analyse_series
from .smallbox import calculate_pdf, fit_pdf, fit_pdf_measurement
from .structure import Phase, Site
from .transform import CONVENTIONS, convert, fq_to_gr, gr_to_fq, lorch

__all__ = ["fq_to_gr", "gr_to_fq", "lorch", "convert", "CONVENTIONS", "reduce_pdf", "fit_rpeaks",
           "running_coordination", "number_density", "pair_weight", "fit_envelope", "mid_range_order",
           "Phase", "Site", "calculate_pdf", "fit_pdf", "fit_pdf_measurement", "analyse_pdf", "analyse_series"]
