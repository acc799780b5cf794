"""Pair distribution functions: total scattering to G(r), real-space conventions, r-space analysis.

The module grows with issue 6; :mod:`structkit.pdf.transform` holds the sine transforms
F(Q) ↔ G(r) (chirp-z on uniform grids, direct sum otherwise), the Lorch function and the
conversions between G(r), g(r), R(r), T(r) and Keen's G(r).
"""

from .transform import CONVENTIONS, convert, fq_to_gr, gr_to_fq, lorch

__all__ = ["fq_to_gr", "gr_to_fq", "lorch", "convert", "CONVENTIONS"]
