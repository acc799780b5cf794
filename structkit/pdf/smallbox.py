"""Small-box PDF fits: a periodic crystal structure refined against a measured G(r), as PDFgui/pdffit2 do.

The calculator follows pdffit2's model (Farrow et al., J. Phys.: Condens. Matter 19, 335219 (2007);
``libpdffit2/pdf.cc``), vectorised in numpy:

* every atom pair (i, j) of the cell and its periodic images up to the calculation range gives a
  Gaussian at r_ij of width σ_ij, with σ'_ij² = Uiso_i + Uiso_j and
  σ_ij = σ'_ij · sqrt(1 − δ1/r_ij − δ2/r_ij² + Qbroad²·r_ij²), multiplied by ``sratio`` below
  ``rcut`` (pairs whose correction factor is ≤ 0 are left out, as pdffit2 does);
* weights occ_i occ_j b_i b_j / ⟨b⟩², b = Z for X-rays (pdffit2's f(Q=0)) or the coherent
  neutron scattering length; ⟨b⟩ = Σ occ·b / N, N = Σ occ over the cell;
* G(r) = [Σ_ij w_ij/(√(2π) σ_ij) exp(−(r − r_ij)²/(2σ_ij²))] / (N r) − 4π ρ0 r, ρ0 = N / V;
* times exp(−(Qdamp·r)²/2), times the spherical-particle envelope
  1 − 3r/(2d) + r³/(2d³) (r ≤ d) when ``spdiameter`` d > 0 (both on the whole G, ρ0 term included,
  as pdffit2 does), times the phase scale; phases add up;
* termination at Qmax: the curve, computed over the fit range extended by 6 ripples (6·2π/Qmax)
  on each side, is low-pass filtered at Qmax by a zero-padded FFT (pdffit2's ``applyQmaxCutoff``),
  i.e. convolved with sin(Qmax r)/(πr).

Pairs are enumerated once per fit, with a margin, and grouped by the invariants of the cell
constraint (for a cubic cell, Δx² + Δy² + Δz²), so that a Ni fit over 1–80 Å sums ~1.3·10³ shells
instead of ~10⁶ pairs. Atom positions and anisotropic ADPs are not refined (see :mod:`.structure`).

The fit (:func:`fit_pdf`) minimises Σ w (G_obs − G_calc)² over rmin ≤ r ≤ rmax with
:func:`structkit.core.fit.minimize` (lmfit, trust-region least squares), w = 1/dG² when every dG
is positive (pdffit2's rule) and 1 otherwise, and reports PDFgui's
Rw = sqrt(Σ w (G_obs − G_calc)² / Σ w G_obs²).

Examples
--------
>>> from structkit.pdf.structure import Phase, Site
>>> ni = Phase("Ni", (3.52, 3.52, 3.52, 90, 90, 90),
...            tuple(Site(f"Ni{k}", "Ni", xyz, 1.0, 0.005) for k, xyz in
...                  enumerate([(0, 0, 0), (0.5, 0.5, 0), (0.5, 0, 0.5), (0, 0.5, 0.5)])), "Fm-3m")
>>> r = np.arange(1.0, 6.0, 0.01)
>>> g0 = calculate_pdf(r, [ni])                          # no termination, no damping
>>> first = r < 3.0
>>> round(float(r[first][np.argmax(g0[first])]), 1)    # nearest neighbours at a/sqrt(2) = 2.489 A
2.5
>>> g = calculate_pdf(r, [ni], qmax=30.0, qdamp=0.02)
>>> fit = fit_pdf(r, g, [ni.replace(cell=(3.5, 3.5, 3.5, 90, 90, 90), scale=0.8)], qmax=30.0, qdamp=0.02,
...               refine=("scale", "lattice", "uiso"))
>>> round(fit.value("a"), 4), round(fit.value("scale"), 4), fit.rw < 1e-6
(3.52, 1.0, True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.summary import SummaryRepr
from ._scattering import _mode, scattering_factor
from .structure import CELL_NAMES, Phase, cell_from_free, metric_tensor

__all__ = ["calculate_pdf", "fit_pdf", "fit_pdf_measurement", "SmallBoxFit", "scattering_factor",
           "plot_smallbox", "GENERIC_PARAMETERS"]

#: Names ``refine=`` and ``start=`` accept for every phase (besides full parameter names).
GENERIC_PARAMETERS = ("scale", "lattice", "a", "b", "c", "alpha", "beta", "gamma", "uiso", "delta1", "delta2",
                      "sratio", "spdiameter", "qdamp", "qbroad")
_DATASET_PARAMETERS = ("qdamp", "qbroad")
_PHASE_SCALARS = ("scale", "delta1", "delta2", "sratio", "spdiameter")
_UNITS = {"a": "angstrom", "b": "angstrom", "c": "angstrom", "alpha": "deg", "beta": "deg", "gamma": "deg",
          "scale": "", "delta1": "angstrom", "delta2": "A^2", "sratio": "", "spdiameter": "angstrom",
          "qdamp": "inv_angstrom", "qbroad": "inv_angstrom"}
_SUFFIX = {k: ("A2" if u == "A^2" else u) for k, u in _UNITS.items()}   # unit as it appears in a name
_NRIPPLES = 6                      # pdffit2 extends the calculation range by 6 ripples of the sinc
_WINDOW_SIGMAS = 8.0               # Gaussians evaluated over ±8σ (pdffit2: 5σ); smooth for the Jacobian
_MAX_BLOCK = 2_000_000             # Gaussian values evaluated per block


# =============================================================================================== geometry
# t = (dx², dy², dz², 2dxdy, 2dxdz, 2dydz) of a fractional pair vector; d² = t · g with
# g = (a², b², c², ab cosγ, ac cosβ, bc cosα). The columns of _BASIS span the g a cell constraint
# allows, so pairs with equal t @ basis have equal distances for every cell the fit can reach.
_BASIS = {
    "cubic": [[1, 1, 1, 0, 0, 0]],
    "tetragonal": [[1, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]],
    "orthorhombic": [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]],
    "hexagonal": [[1, 1, 0, -0.5, 0, 0], [0, 0, 1, 0, 0, 0]],
    "rhombohedral": [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]],
    "monoclinic_a": [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]],
    "monoclinic_b": [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0]],
    "monoclinic_c": [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0]],
    "triclinic": np.eye(6).tolist(),
}


def _g6(cell) -> np.ndarray:
    G = metric_tensor(cell)
    return np.array([G[0, 0], G[1, 1], G[2, 2], G[0, 1], G[0, 2], G[1, 2]])


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first of each distinct row (in sorted order) and every row's group (lexsort, no copies)."""
    if rows.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    order = np.lexsort(rows.T[::-1])
    srt = rows[order]
    new = np.ones(len(srt), bool)
    new[1:] = np.any(srt[1:] != srt[:-1], axis=1)
    group = np.cumsum(new) - 1
    inv = np.empty(len(rows), np.intp)
    inv[order] = group
    return order[new], inv


class _PairTable:
    """Pair shells of one phase within ``radius`` Å of every atom of the cell, grouped by distance class.

    ``t6`` (shells × 6) gives the distances for any cell of the constraint, ``adp`` (shells × 2)
    the ADP groups of the two atoms, ``amp`` the summed occ_i occ_j b_i b_j of the ordered pairs.
    """

    def __init__(self, phase: Phase, radius: float, adp_index: np.ndarray, b: np.ndarray):
        self.cell = phase.cell
        self.radius = float(radius)
        frac = phase.fractional
        natoms = len(frac)
        occb = np.array([s.occupancy for s in phase.sites]) * b
        G = metric_tensor(phase.cell)
        basis = np.array(_BASIS[phase.lattice_system], float).T           # 6 × k
        # 1. the N² intra-cell differences x_j − x_i, wrapped into [0, 1) and merged when equal
        #    (same vector, same ADP pair): Ni's 16 become 4
        diff = (frac[None, :, :] - frac[:, None, :]).reshape(-1, 3)
        diff -= np.floor(diff + 1e-9)
        ai = np.repeat(adp_index, natoms)
        aj = np.tile(adp_index, natoms)
        amp = np.repeat(occb, natoms) * np.tile(occb, natoms)
        rows = np.column_stack([np.rint(diff * 1e9).astype(np.int64), np.minimum(ai, aj), np.maximum(ai, aj)])
        first, inv = _unique_rows(rows)
        diff, lo, hi = diff[first], rows[first, 3], rows[first, 4]
        amp = np.bincount(inv, weights=amp, minlength=len(first))
        # 2. every lattice translation that can bring a difference within ``radius``
        recip = np.sqrt(np.diag(np.linalg.inv(G)))
        nmax = np.ceil(radius * recip).astype(int) + 1
        axes = [np.arange(-k, k + 1, dtype=float) for k in nmax]
        trans = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        r2max = radius * radius
        keys, t6s, los, his, amps = [], [], [], [], []
        chunk = max(1, _MAX_BLOCK // len(trans))
        for s0 in range(0, len(diff), chunk):
            sl = slice(s0, s0 + chunk)
            d = (diff[sl, None, :] + trans[None, :, :]).reshape(-1, 3)
            owner = np.repeat(np.arange(s0, s0 + len(diff[sl])), len(trans))
            d2 = np.einsum("ni,ij,nj->n", d, G, d)
            keep = (d2 <= r2max) & (d2 > 1e-10)
            d, owner = d[keep], owner[keep]
            t6 = np.column_stack([d[:, 0] ** 2, d[:, 1] ** 2, d[:, 2] ** 2,
                                  2 * d[:, 0] * d[:, 1], 2 * d[:, 0] * d[:, 2], 2 * d[:, 1] * d[:, 2]])
            keys.append(np.rint(t6 @ basis * 1e8).astype(np.int64))
            t6s.append(t6)
            los.append(lo[owner])
            his.append(hi[owner])
            amps.append(amp[owner])
        # 3. one shell per distance class (invariants of the cell constraint) and ADP pair
        rows = np.column_stack([np.concatenate(keys), np.concatenate(los), np.concatenate(his)])
        first, inv = _unique_rows(rows)
        self.t6 = np.concatenate(t6s)[first]
        self.amp = np.bincount(inv, weights=np.concatenate(amps), minlength=len(first))
        self.adp = rows[first, -2:].astype(np.intp)
        self.n_pairs = int(rows.shape[0])

    def covers(self, cell, radius: float) -> bool:
        """True when every pair of ``cell`` within ``radius`` is in the table."""
        if radius > self.radius:
            return False
        # shortest stretch of a vector from the enumeration cell to ``cell``
        from scipy.linalg import eigh
        lam = eigh(metric_tensor(cell), metric_tensor(self.cell), eigvals_only=True)
        return bool(lam[0] > 0 and radius / math.sqrt(lam[0]) <= self.radius * (1 - 1e-9))


@dataclass
class _PhaseModel:
    """What stays fixed for one phase during a fit: its pair table, ADP groups and scattering weights."""

    phase: Phase
    adp_names: tuple[str, ...]
    adp_index: np.ndarray
    b: np.ndarray
    bavg: float
    table: _PairTable | None = None
    cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, phase: Phase, mode: str, adp_by: str, scattering_factors: Mapping[str, float] | None):
        if adp_by not in ("element", "site"):
            raise ConfigError(f"adp_by must be 'element' or 'site', got {adp_by!r}")
        keys = [s.element if adp_by == "element" else s.label for s in phase.sites]
        names = tuple(dict.fromkeys(keys))
        index = np.array([names.index(k) for k in keys], np.intp)
        custom = dict(scattering_factors or {})
        b = np.array([float(custom[s.element]) if s.element in custom else scattering_factor(s.element, mode)
                      for s in phase.sites])
        occ = np.array([s.occupancy for s in phase.sites])
        bavg = float(np.sum(occ * b) / np.sum(occ))
        if not (np.isfinite(bavg) and abs(bavg) > 0):
            raise DataError(f"phase {phase.name}: the average scattering length is zero; the PDF is undefined")
        return cls(phase, names, index, b, bavg)

    def uiso_start(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s, k in zip(self.phase.sites, self.adp_index):
            out.setdefault(self.adp_names[k], s.uiso)
        return out

    def ensure_table(self, cell, radius: float) -> _PairTable:
        if self.table is None or not self.table.covers(cell, radius):
            # enumerate with a margin so that a refined cell rarely needs a new table
            self.table = _PairTable(self.phase.replace(cell=cell), radius * 1.05 + 1.0, self.adp_index, self.b)
        return self.table


# =============================================================================================== calculator
def _grid(r: np.ndarray, qmax: float, rcalc_min: float) -> tuple[float, float, int, int]:
    """(start, step, points, offset of r[0]) of the calculation grid: r extended by 6 ripples each side."""
    if r.ndim != 1 or r.size < 2:
        raise DataError("r must be a 1-D array of at least 2 points")
    if not np.all(np.isfinite(r)):
        raise DataError("r has NaN or infinite values")
    dr = (r[-1] - r[0]) / (r.size - 1)
    if not dr > 0 or np.max(np.abs(np.diff(r) - dr)) > 1e-6 * dr + 1e-12:
        raise DataError("r must be increasing with one step (a PDF calculation needs a uniform grid); "
                        "interpolate the data onto a uniform r grid first")
    if r[0] < 0:
        raise DataError(f"r starts below 0 ({r[0]:g} A)")
    ext = _NRIPPLES * 2 * np.pi / qmax if qmax > 0 else 0.0
    n_hi = int(round(ext / dr))
    n_lo = min(int(round(ext / dr)), int(math.floor((r[0] - max(rcalc_min, 0.0)) / dr + 1e-9)))
    n_lo = max(n_lo, 0)
    return float(r[0] - n_lo * dr), float(dr), int(r.size + n_lo + n_hi), n_lo


def _pair_sum(pm: _PhaseModel, cell, uiso: np.ndarray, delta1: float, delta2: float, sratio: float,
              qbroad: float, r0: float, dr: float, n: int) -> np.ndarray:
    """Σ_ij w_ij Gaussian_ij(r) on the calculation grid (pdffit2's ``ppp``), cached per set of inputs.

    The cache makes the Jacobian columns of the scale, Qdamp and particle size (which do not move
    any peak) cost nothing.
    """
    key = (tuple(map(float, cell)), tuple(map(float, uiso)), float(delta1), float(delta2), float(sratio),
           float(qbroad), float(r0), float(dr), int(n))
    hit = pm.cache.get(key)
    if hit is not None:
        return hit
    phase = pm.phase
    rcmin, rcmax = r0, r0 + dr * (n - 1)
    table = pm.ensure_table(cell, rcmax + 1.0)
    d2 = table.t6 @ _g6(cell)
    lo_lim = rcmin - 1.0
    rmin2 = max(0.01, math.copysign(lo_lim * lo_lim, lo_lim))
    sp2 = uiso[table.adp[:, 0]] + uiso[table.adp[:, 1]]
    sel = (d2 >= rmin2) & (d2 <= (rcmax + 1.0) ** 2) & (sp2 > 0)
    d2, sp2, amp = d2[sel], sp2[sel], table.amp[sel]
    d = np.sqrt(d2)
    corr = 1.0 - delta2 / d2 - delta1 / d + qbroad * qbroad * d2
    ok = corr > 0
    d, sp2, amp, corr = d[ok], sp2[ok], amp[ok], corr[ok]
    sigma = np.sqrt(sp2 * corr)
    if phase.rcut > 0:
        sigma = np.where(d < phase.rcut, sigma * sratio, sigma)
    amp = amp / (pm.bavg * pm.bavg) / (math.sqrt(2 * math.pi) * sigma)
    ib = np.rint((np.maximum(rcmin, d - _WINDOW_SIGMAS * sigma) - r0) / dr).astype(np.intp)
    ie = np.rint((np.minimum(rcmax, d + _WINDOW_SIGMAS * sigma) - r0) / dr).astype(np.intp)
    width = ie - ib + 1
    live = width > 0
    d, sigma, amp, ib, width = d[live], sigma[live], amp[live], ib[live], width[live]
    ppp = np.zeros(n)
    # shells in blocks of one window width: no masks, no fancy indexing
    order = np.argsort(width, kind="stable")
    ws = width[order]
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(ws)) + 1, [ws.size]]) if ws.size else np.zeros(1, int)
    for s0, s1 in zip(cuts[:-1], cuts[1:]):
        w = int(ws[s0])
        k = np.arange(w)
        step = max(1, _MAX_BLOCK // w)
        for b0 in range(s0, s1, step):
            blk = order[b0:min(b0 + step, s1)]
            inv_s = 1.0 / sigma[blk]
            x = np.multiply.outer(dr * inv_s, k)
            x += ((r0 - d[blk]) * inv_s + ib[blk] * dr * inv_s)[:, None]
            np.multiply(x, x, out=x)
            x *= -0.5
            np.exp(x, out=x)
            x *= amp[blk, None]
            ppp += np.bincount((ib[blk, None] + k).ravel(), weights=x.ravel(), minlength=n)
    if len(pm.cache) >= 24:
        pm.cache.pop(next(iter(pm.cache)))
    pm.cache[key] = ppp
    return ppp


def _phase_curve(pm: _PhaseModel, cell, uiso: np.ndarray, scale: float, delta1: float, delta2: float,
                 sratio: float, spdiameter: float, qdamp: float, qbroad: float,
                 r0: float, dr: float, n: int) -> np.ndarray:
    """One phase's G(r) on the calculation grid, before the Qmax termination."""
    ppp = _pair_sum(pm, cell, uiso, delta1, delta2, sratio, qbroad, r0, dr, n)
    rg = r0 + dr * np.arange(n)
    N = pm.phase.n_atoms
    rho0 = N / _volume(cell)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(rg > 0, ppp / (N * rg), 0.0) - 4 * np.pi * rho0 * rg
    if qdamp > 0:
        g *= np.exp(-0.5 * (rg * qdamp) ** 2)
    if spdiameter > 0:
        x = rg / spdiameter
        g *= np.where(x < 1.0, 1.0 - 1.5 * x + 0.5 * x ** 3, 0.0)
    return scale * g


def _volume(cell) -> float:
    return float(math.sqrt(max(np.linalg.det(metric_tensor(cell)), 0.0)))


def _terminate(g: np.ndarray, dr: float, qmax: float) -> np.ndarray:
    """Low-pass G at Qmax with a zero-padded FFT, as pdffit2's ``applyQmaxCutoff`` (same Q step and cut-off)."""
    if not qmax > 0:
        return g
    n = g.size
    pad = 1 << int(math.ceil(math.log2(2 * n)))
    dq = 2 * np.pi / ((pad - 1) * dr)
    lo = int(math.ceil(qmax / dq))
    spec = np.fft.rfft(g, pad)
    spec[lo:] = 0.0
    return np.fft.irfft(spec, pad)[:n]


def calculate_pdf(r, phases: Sequence[Phase] | Phase, *, qmax: float = 0.0, qdamp: float = 0.0,
                  qbroad: float = 0.0, mode: str = "xray", adp_by: str = "element",
                  scattering_factors: Mapping[str, float] | None = None, rcalc_min: float = 0.0,
                  partial: bool = False):
    """G(r) (Å⁻², PDFfit convention) of one or more phases, with pdffit2's model.

    Parameters
    ----------
    r : array_like
        Uniform, increasing r grid (Å).
    phases : Phase or sequence of Phase
        Each with its own cell, atoms, Uiso, ``scale``, ``delta1``, ``delta2``, ``sratio``/``rcut``
        and ``spdiameter``.
    qmax : float
        Termination Qmax (Å⁻¹); 0 = no termination ripples.
    qdamp, qbroad : float
        Instrumental Q-resolution damping and peak broadening (Å⁻¹).
    mode : {"xray", "neutron"}
        Weights: Z (X-rays) or coherent scattering lengths (neutrons).
    adp_by : {"element", "site"}
        Only used by fits (one Uiso per element or per site label); Uiso comes from the sites here.
    scattering_factors : mapping, optional
        Element → scattering power replacing the table value.
    rcalc_min : float
        Lowest r the calculation grid may extend to below ``r[0]`` (Å). 0 by default; pdffit2
        (and PDFgui) extend no lower than the first data point, so pass ``r[0]`` to mimic them.
    partial : bool
        Also return each phase's curve.

    Returns
    -------
    ndarray, or (ndarray, list of ndarray) with ``partial=True``
    """
    r = np.asarray(r, dtype=float)
    phases = [phases] if isinstance(phases, Phase) else list(phases)
    if not phases or not all(isinstance(p, Phase) for p in phases):
        raise ConfigError("phases must be a Phase or a non-empty sequence of Phase objects")
    qmax, qdamp, qbroad = (_nonneg(v, k) for k, v in (("qmax", qmax), ("qdamp", qdamp), ("qbroad", qbroad)))
    mode = _mode(mode)
    r0, dr, n, off = _grid(r, qmax, rcalc_min)
    curves = []
    for ph in phases:
        pm = _PhaseModel.build(ph, mode, "site", scattering_factors)
        # one ADP group per distinct Uiso of the sites
        uiso, index = np.unique(np.array([s.uiso for s in ph.sites]), return_inverse=True)
        pm.adp_index = index.ravel().astype(np.intp)
        pm.adp_names = tuple(f"u{k}" for k in range(uiso.size))
        curves.append(_terminate(_phase_curve(pm, ph.cell, uiso, ph.scale, ph.delta1, ph.delta2, ph.sratio,
                                              ph.spdiameter, qdamp, qbroad, r0, dr, n), dr, qmax)[off:off + r.size])
    total = np.sum(curves, axis=0)
    return (total, curves) if partial else total


def _nonneg(value, name) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


# =============================================================================================== fitting
def _slug(name: str, taken: set) -> str:
    s = re.sub(r"\W+", "_", name).strip("_").lower() or "phase"
    if s[0].isdigit():
        s = "p" + s
    base, k = s, 2
    while s in taken:
        s = f"{base}{k}"
        k += 1
    taken.add(s)
    return s


def _param_key(name: str) -> str:
    return re.sub(r"\W", "_", name)


class _Model:
    """The fit's fixed parts: data on the fit range, calculation grid, phase models and parameter names."""

    def __init__(self, r, g, w, phases, mode, qmax, adp_by, scattering_factors, rcalc_min):
        self.r, self.g, self.w = r, g, w
        self.sqw = np.sqrt(w)
        self.qmax = qmax
        self.r0, self.dr, self.n, self.off = _grid(r, qmax, rcalc_min)
        taken: set = set()
        self.prefix = [_slug(p.name, taken) + "_" for p in phases]
        self.models = [_PhaseModel.build(p, mode, adp_by, scattering_factors) for p in phases]

    def names(self, i) -> dict:
        """Parameter names of phase i: {'scale': 'ni_scale', 'a': 'ni_a', 'uiso': {'Ni': 'ni_uiso_Ni'}, ...}."""
        pre, pm = self.prefix[i], self.models[i]
        out = {k: pre + k for k in _PHASE_SCALARS}
        out.update({k: pre + k for k in pm.phase.free_cell_parameters})
        out["uiso"] = {a: pre + "uiso_" + _param_key(a) for a in pm.adp_names}
        return out

    def curves(self, v: Mapping[str, float]) -> list[np.ndarray]:
        out = []
        for i, pm in enumerate(self.models):
            nm = self.names(i)
            cell = cell_from_free(pm.phase.lattice_system, {k: v[nm[k]] for k in pm.phase.free_cell_parameters})
            uiso = np.array([v[nm["uiso"][a]] for a in pm.adp_names])
            g = _phase_curve(pm, cell, uiso, v[nm["scale"]], v[nm["delta1"]], v[nm["delta2"]], v[nm["sratio"]],
                             v[nm["spdiameter"]], v["qdamp"], v["qbroad"], self.r0, self.dr, self.n)
            out.append(_terminate(g, self.dr, self.qmax)[self.off:self.off + self.r.size])
        return out

    def residual(self, params):
        v = params.valuesdict()
        return self.sqw * (self.g - np.sum(self.curves(v), axis=0))


@dataclass(frozen=True, eq=False, repr=False)
class SmallBoxFit(SummaryRepr):
    """Outcome of :func:`fit_pdf`: refined phases, dataset parameters, Rw and the curves over the fit range.

    ``phases`` are the refined :class:`~structkit.pdf.structure.Phase` objects (start a neighbouring
    fit from them); ``report`` is the lmfit report with every parameter by its full name
    (``<phase>_a``, ``<phase>_uiso_<element>``, ``qdamp`` ...).
    """

    phases: tuple[Phase, ...]
    prefixes: tuple[str, ...]
    adp_names: tuple[tuple[str, ...], ...]
    qmax: float
    qdamp: float
    qbroad: float
    mode: str
    rmin: float
    rmax: float
    rw: float
    report: FitReport
    r: np.ndarray
    g_obs: np.ndarray
    g_calc: np.ndarray
    g_phases: tuple[np.ndarray, ...]
    weights: np.ndarray
    weighted: bool
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)

    _html_summary_lines = None

    def __post_init__(self):
        object.__setattr__(self, "conditions", FrozenMap(dict(self.conditions)))
        object.__setattr__(self, "settings", FrozenMap(dict(self.settings)))
        for k in ("r", "g_obs", "g_calc", "weights"):
            a = np.array(getattr(self, k), float)
            a.setflags(write=False)
            object.__setattr__(self, k, a)

    # ---------------------------------------------------------------- access
    @property
    def converged(self) -> bool:
        return self.report.converged

    @property
    def message(self) -> str:
        return self.report.message

    @property
    def g_diff(self) -> np.ndarray:
        return self.g_obs - self.g_calc

    @property
    def params(self) -> dict[str, float]:
        return dict(self.report.values)

    def _full(self, name: str, phase: int | str = 0) -> str:
        if name in self.report.values:
            return name
        if name in _DATASET_PARAMETERS:
            return name
        i = self._phase_index(phase)
        pre = self.prefixes[i]
        if name.startswith("uiso"):
            el = name.split("_", 1)[1] if "_" in name else (self.adp_names[i][0] if len(self.adp_names[i]) == 1
                                                            else None)
            if el is None:
                raise ConfigError(f"phase {self.phases[i].name} has several Uiso ({', '.join(self.adp_names[i])}); "
                                  "ask for 'uiso_<element>'")
            return pre + "uiso_" + _param_key(el)
        return pre + name

    def _phase_index(self, phase) -> int:
        if isinstance(phase, (int, np.integer)):
            if not 0 <= int(phase) < len(self.phases):
                raise ConfigError(f"phase index {phase} out of range (0-{len(self.phases) - 1})")
            return int(phase)
        for i, p in enumerate(self.phases):
            if p.name == phase:
                return i
        raise ConfigError(f"no phase {phase!r}; phases are {', '.join(p.name for p in self.phases)}")

    def value(self, name: str, phase: int | str = 0) -> float:
        """A refined (or fixed) value by generic name ('a', 'scale', 'uiso', 'uiso_Ni', 'qdamp') or full name.

        Cell parameters fixed by the constraint (b, c of a cubic cell) come from the cell.
        """
        if name in CELL_NAMES and name not in self.phases[self._phase_index(phase)].free_cell_parameters:
            return self.phases[self._phase_index(phase)].cell[CELL_NAMES.index(name)]
        full = self._full(name, phase)
        if full not in self.report.values:
            raise ConfigError(f"no parameter {name!r}; parameters are {', '.join(self.report.values)}")
        return float(self.report.values[full])

    def stderr(self, name: str, phase: int | str = 0) -> float:
        """Standard error of :meth:`value` (0 for a fixed parameter, NaN if it could not be estimated)."""
        if name in CELL_NAMES and name not in self.phases[self._phase_index(phase)].free_cell_parameters:
            free = self.phases[self._phase_index(phase)].free_cell_parameters
            name = "a" if name in ("b", "c") and "a" in free else name
            if name not in free:
                return 0.0
        return float(self.report.stderr.get(self._full(name, phase), float("nan")))

    def volume(self, phase: int | str = 0) -> tuple[float, float]:
        """Cell volume (Å³) and its standard error."""
        i = self._phase_index(phase)
        ph, pre = self.phases[i], self.prefixes[i]
        system = ph.lattice_system

        def vol(v):
            return _volume(cell_from_free(system, {k: v.get(pre + k, ph.cell[CELL_NAMES.index(k)])
                                                   for k in ph.free_cell_parameters}))
        return self.report.propagate(vol)

    def phase_fractions(self) -> dict[str, tuple[tuple[float, float], tuple[float, float]]]:
        """Atom and mass fraction (value, stderr) of each phase, from the scales as pdffit2 does.

        x_p ∝ scale_p / ⟨b⟩_p² (atoms), × the mean atomic mass (mass).
        """
        import gemmi
        bavg, mavg = [], []
        for ph in self.phases:
            occ = np.array([s.occupancy for s in ph.sites])
            b = np.array([self.settings["scattering"].get(s.element, scattering_factor(s.element, self.mode))
                          for s in ph.sites])
            m = np.array([gemmi.Element(s.element).weight for s in ph.sites])
            bavg.append(float(np.sum(occ * b) / occ.sum()))
            mavg.append(float(np.sum(occ * m) / occ.sum()))
        out = {}
        for i, ph in enumerate(self.phases):
            def frac(v, i=i, mass=False):
                xs = [v[p + "scale"] / bavg[k] ** 2 * (mavg[k] if mass else 1.0)
                      for k, p in enumerate(self.prefixes)]
                return xs[i] / sum(xs)
            out[ph.name] = (self.report.propagate(frac), self.report.propagate(lambda v, f=frac: f(v, mass=True)))
        return out

    # ---------------------------------------------------------------- tables
    def _rows(self):
        """(name, value, stderr, unit, refined) for every reported number."""
        multi = len(self.phases) > 1
        varied = set(self.report.var_names)
        rows = []
        for i, ph in enumerate(self.phases):
            tag = f"{ph.name}_" if multi else ""
            pre = self.prefixes[i]
            for k in ph.free_cell_parameters:
                rows.append((f"pdf_{tag}{k}_{_UNITS[k]}", self.value(k, i), self.stderr(k, i), _UNITS[k],
                             pre + k in varied))
            v, e = self.volume(i)
            rows.append((f"pdf_{tag}volume_A3", v, e, "A^3", any(pre + k in varied for k in ph.free_cell_parameters)))
            for a in self.adp_names[i]:
                full = pre + "uiso_" + _param_key(a)
                rows.append((f"pdf_{tag}uiso_A2[{a}]", self.report.values[full], self.report.stderr[full], "A^2",
                             full in varied))
            for k in _PHASE_SCALARS:
                full = pre + k
                val = self.report.values[full]
                used = full in varied or (k == "scale") or (k == "sratio" and ph.rcut > 0 and val != 1.0) or \
                    (k not in ("scale", "sratio") and val != 0.0)
                if used:
                    rows.append((f"pdf_{tag}{k}" + (f"_{_SUFFIX[k]}" if _SUFFIX[k] else ""), val,
                                 self.report.stderr[full], _UNITS[k], full in varied))
        if multi:
            for name, ((xa, ea), (xm, em)) in self.phase_fractions().items():
                rows.append((f"pdf_{name}_atom_fraction", xa, ea, "", True))
                rows.append((f"pdf_{name}_mass_fraction", xm, em, "", True))
        for k in _DATASET_PARAMETERS:
            val = self.report.values[k]
            if k in varied or val != 0.0:
                rows.append((f"pdf_{k}_{_UNITS[k]}", val, self.report.stderr[k], _UNITS[k], k in varied))
        rows.append(("pdf_rw", self.rw, 0.0, "", False))
        return rows

    def descriptors(self) -> list[DescriptorRow]:
        """Rows for the descriptor table: cell (free parameters), volume, Uiso per element, scale, sharpening,
        Qdamp/Qbroad when used, phase fractions (multi-phase) and Rw."""
        base = dict(sample=self.sample, technique="pdf", conditions=self.conditions, source=self.source,
                    method="smallbox")
        return [DescriptorRow(name=n, value=v, stderr=e, unit=u, **base) for n, v, e, u, _ in self._rows()]

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"name": n, "value": v, "stderr": e, "unit": u, "refined": ref}
                             for n, v, e, u, ref in self._rows()])

    def summary(self) -> str:
        head = (f"Small-box PDF fit of {self.source or self.sample or 'data'} ({self.mode}, Qmax = {self.qmax:g}, "
                f"r = {self.rmin:g}-{self.rmax:g} A, {'1/dG^2' if self.weighted else 'unit'} weights): "
                f"{'converged' if self.converged else 'NOT converged'}; Rw = {self.rw:.4f}, "
                f"redchi = {self.report.redchi:.4g}")
        lines = [head]
        for n, v, e, u, ref in self._rows():
            if n == "pdf_rw":
                continue
            flag = "" if ref else "  (fixed)"
            lines.append(f"  {n:<32s} {_with_esd(v, e) if ref else f'{v:.6g}'} {u}{flag}".rstrip())
        for ph in self.phases:
            for note in ph.notes:
                lines.append(f"  note ({ph.name}): {note}")
        if not self.converged or "at a bound" in self.message or "could not be estimated" in self.message:
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Data, fit (and each phase of a multi-phase fit), and the difference offset below; returns the Figure."""
        return plot_smallbox(self, ax=ax)


def _with_esd(value: float, esd: float) -> str:
    """``3.52578(14)``; the value alone when the esd is 0 or unknown."""
    if not (np.isfinite(esd) and esd > 0):
        return f"{value:.6g}"
    exp = math.floor(math.log10(esd))
    digits = max(0, -exp + (1 if esd / 10.0 ** exp < 2.0 else 0))
    return f"{value:.{digits}f}({round(esd * 10 ** digits)})"


def fit_pdf(r, g, phases: Sequence[Phase] | Phase, *, dg=None, rmin: float | None = None,
            rmax: float | None = None, qmax: float, qdamp: float = 0.0, qbroad: float = 0.0,
            mode: str = "xray", refine: Sequence[str] = ("scale", "lattice", "uiso", "delta2", "qdamp"),
            start: Mapping[str, float] | None = None, adp_by: str = "element",
            scattering_factors: Mapping[str, float] | None = None, rcalc_min: float = 0.0,
            max_nfev: int | None = 2000, sample: str = "", conditions: Mapping | None = None,
            source: str = "") -> SmallBoxFit:
    """Refine crystal structures against a measured G(r) (PDFgui / pdffit2 model).

    Parameters
    ----------
    r, g : array_like
        The measured G(r) (Å⁻², PDFfit convention) on a uniform r grid (Å).
    phases : Phase or sequence of Phase
        Starting structures (:meth:`Phase.from_cif`, :meth:`Phase.from_stru`); each has its own scale.
    dg : array_like, optional
        Uncertainties of G; weights 1/dG² when all are positive (pdffit2's rule), else unit weights.
    rmin, rmax : float, optional
        Fit range (Å); default the data range. Must lie inside the data.
    qmax : float
        Qmax of the Fourier transform that made G(r) (Å⁻¹); 0 = no termination.
    qdamp, qbroad : float
        Starting (or fixed) Q-resolution damping and broadening (Å⁻¹).
    mode : {"xray", "neutron"}
    refine : sequence of str
        What varies. Generic names apply to every phase: 'scale', 'lattice' (every cell parameter
        the space group leaves free), 'a' ... 'gamma', 'uiso' (one per element, or per site with
        ``adp_by='site'``), 'delta1', 'delta2', 'sratio', 'spdiameter', and the dataset's 'qdamp',
        'qbroad'. Full names refine one parameter (``'ni_scale'``, ``'nacl_uiso_Cl'``; see
        ``SmallBoxFit.report.values``).
    start : mapping, optional
        Starting values by generic or full name (``{'delta2': 2.0, 'ni_a': 3.52}``); otherwise the phases'.
    adp_by : {"element", "site"}
        One Uiso per element (default) or per site label.
    scattering_factors : mapping, optional
        Element → scattering power replacing Z or the neutron table.
    rcalc_min : float
        Lowest r of the calculation grid (Å); see :func:`calculate_pdf`.
    max_nfev : int
        Evaluation budget of the least-squares fit.
    sample, conditions, source : optional
        Keys of the descriptor rows.

    Returns
    -------
    SmallBoxFit

    Raises
    ------
    DataError
        Bad data, or a fit range outside the data.
    ConfigError
        Unknown names in ``refine``/``start``.
    FitError
        A starting value outside its bounds (e.g. a negative scale), or too few points.
    """
    phases = [phases] if isinstance(phases, Phase) else list(phases)
    if not phases or not all(isinstance(p, Phase) for p in phases):
        raise ConfigError("phases must be a Phase or a non-empty sequence of Phase objects")
    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    if r.ndim != 1 or r.shape != g.shape:
        raise DataError(f"r and G must be 1-D arrays of one length, got {r.shape} and {g.shape}", path=source or None)
    if r.size < 2 or not (np.all(np.isfinite(r)) and np.all(np.isfinite(g))):
        raise DataError("r and G must be finite, with at least 2 points", path=source or None)
    qmax = _nonneg(qmax, "qmax")
    mode = _mode(mode)
    lo = float(r[0]) if rmin is None else float(rmin)
    hi = float(r[-1]) if rmax is None else float(rmax)
    step = (r[-1] - r[0]) / max(r.size - 1, 1)
    tol = 1e-6 * step
    if not lo < hi:
        raise DataError(f"rmin = {lo:g} A must be below rmax = {hi:g} A", path=source or None)
    if lo < r[0] - tol or hi > r[-1] + tol:
        raise DataError(f"fit range {lo:g}-{hi:g} A is outside the data (r = {r[0]:g}-{r[-1]:g} A); "
                        "choose rmin and rmax inside the data", path=source or None)
    sel = (r >= lo - tol) & (r <= hi + tol)
    rf, gf = r[sel], g[sel]
    weighted = False
    w = np.ones_like(rf)
    if dg is not None:
        dg = np.asarray(dg, dtype=float)
        if dg.shape != r.shape:
            raise DataError(f"dG has shape {dg.shape}, r has {r.shape}", path=source or None)
        dgf = dg[sel]
        if np.all(np.isfinite(dgf)) and np.all(dgf > 0):
            w, weighted = 1.0 / dgf ** 2, True
    model = _Model(rf, gf, w, phases, mode, qmax, adp_by, scattering_factors, rcalc_min)
    spec = _parameter_spec(model, qdamp, qbroad, refine, start or {})
    nvary = sum(1 for s in spec.values() if s.get("vary"))
    if rf.size <= nvary:
        raise FitError(f"{rf.size} points in {lo:g}-{hi:g} A for {nvary} refined parameters; widen the fit range",
                       path=source or None)
    params = make_params(spec)
    # x_scale='jac': parameters span 1e-3 (Uiso) to 1e1 (cell); scaling by the Jacobian's columns
    # took a two-phase fit from ~1200 to ~250 evaluations
    report = minimize(model.residual, params, max_nfev=max_nfev, context=source or "smallbox fit", x_scale="jac")
    v = dict(report.values)
    curves = model.curves(v)
    gcalc = np.sum(curves, axis=0)
    rw = float(np.sqrt(np.sum(w * (gf - gcalc) ** 2) / np.sum(w * gf ** 2)))
    refined = []
    for i, pm in enumerate(model.models):
        nm = model.names(i)
        cell = cell_from_free(pm.phase.lattice_system, {k: v[nm[k]] for k in pm.phase.free_cell_parameters})
        uiso = {a: v[nm["uiso"][a]] for a in pm.adp_names}
        ph = pm.phase
        sites = tuple(type(s)(s.label, s.element, s.xyz, s.occupancy,
                              uiso[s.element if adp_by == "element" else s.label]) for s in ph.sites)
        refined.append(ph.replace(cell=cell, sites=sites, **{k: v[nm[k]] for k in _PHASE_SCALARS}))
    custom = {k: float(x) for k, x in dict(scattering_factors or {}).items()}
    return SmallBoxFit(phases=tuple(refined), prefixes=tuple(model.prefix),
                       adp_names=tuple(pm.adp_names for pm in model.models), qmax=qmax, qdamp=v["qdamp"],
                       qbroad=v["qbroad"], mode=mode, rmin=float(rf[0]), rmax=float(rf[-1]), rw=rw, report=report,
                       r=rf, g_obs=gf, g_calc=gcalc, g_phases=tuple(curves), weights=w, weighted=weighted,
                       sample=sample, conditions=dict(conditions or {}), source=str(source),
                       settings={"refine": tuple(refine), "adp_by": adp_by, "rcalc_min": rcalc_min,
                                 "scattering": custom})


def measurement_qmax(measurement) -> float | None:
    """Qmax (Å⁻¹) a G(r) Measurement carries in ``meta['qmax_inv_angstrom']`` or ``meta['qmax']``
    (readers copy it from the file header); None when absent or not a finite number >= 0."""
    meta = measurement.meta
    q = meta.get("qmax_inv_angstrom", meta.get("qmax"))
    try:
        q = float(q)
    except (TypeError, ValueError):
        return None
    return q if math.isfinite(q) and q >= 0 else None


def fit_pdf_measurement(measurement, phases, **kwargs) -> SmallBoxFit:
    """:func:`fit_pdf` on a :class:`~structkit.core.measurement.Measurement` (x = r, y = G, sigma = dG).

    ``qmax`` defaults to ``meta['qmax_inv_angstrom']`` (or ``meta['qmax']``); sample, conditions and
    source come from the measurement.
    """
    if "qmax" not in kwargs:
        q = measurement_qmax(measurement)
        if q is None:
            raise ConfigError("qmax is not in the measurement's meta; pass qmax=", path=measurement.source or None)
        kwargs["qmax"] = q
    kwargs.setdefault("sample", measurement.sample)
    kwargs.setdefault("conditions", dict(measurement.conditions))
    kwargs.setdefault("source", measurement.source)
    return fit_pdf(measurement.x, measurement.y, phases, dg=measurement.sigma, **kwargs)


def _parameter_spec(model: _Model, qdamp: float, qbroad: float, refine, start) -> dict:
    """lmfit parameter spec (value, bounds, vary) from the phases, ``start`` and ``refine``."""
    if isinstance(refine, str):
        refine = (refine,)
    spec: dict[str, dict] = {}
    generic_of: dict[str, str] = {}
    for i, pm in enumerate(model.models):
        ph, nm = pm.phase, model.names(i)
        for k in ph.free_cell_parameters:
            v = ph.cell[CELL_NAMES.index(k)]
            spec[nm[k]] = ({"value": v, "min": 0.8 * v, "max": 1.2 * v} if k in ("a", "b", "c")
                           else {"value": v, "min": max(1.0, v - 20.0), "max": min(179.0, v + 20.0)})
            generic_of[nm[k]] = k
        for a, u in pm.uiso_start().items():
            spec[nm["uiso"][a]] = {"value": u, "min": 1e-6, "max": 1.0}
            generic_of[nm["uiso"][a]] = "uiso"
        spec[nm["scale"]] = {"value": ph.scale, "min": 0.0}
        spec[nm["delta1"]] = {"value": ph.delta1}
        spec[nm["delta2"]] = {"value": ph.delta2}
        spec[nm["sratio"]] = {"value": ph.sratio, "min": 0.05, "max": 5.0}
        spec[nm["spdiameter"]] = {"value": ph.spdiameter, "min": 0.0}
        for k in _PHASE_SCALARS:
            generic_of[nm[k]] = k
    spec["qdamp"] = {"value": _nonneg(qdamp, "qdamp"), "min": 0.0, "max": 1.0}
    spec["qbroad"] = {"value": _nonneg(qbroad, "qbroad"), "min": 0.0, "max": 1.0}
    generic_of.update(qdamp="qdamp", qbroad="qbroad")
    for s in spec.values():
        s["vary"] = False

    def targets(name: str, what: str) -> list[str]:
        if name in spec:
            return [name]
        if name in ("lattice", "cell"):
            hit = [k for k, gname in generic_of.items() if gname in CELL_NAMES]
        elif name in GENERIC_PARAMETERS:
            hit = [k for k, gname in generic_of.items() if gname == name]
        else:
            hit = [k for k in spec if k.endswith("_uiso_" + _param_key(name.split("uiso_", 1)[-1]))] \
                if name.startswith("uiso_") else []
        if not hit:
            if name in CELL_NAMES:
                raise ConfigError(f"{what} {name!r}: no phase has {name} free (the space group fixes it); "
                                  "use 'lattice' for every free cell parameter")
            raise ConfigError(f"{what}: unknown parameter {name!r}; use one of {', '.join(GENERIC_PARAMETERS)} "
                              f"or a full name ({', '.join(spec)})")
        return hit

    for name, value in dict(start).items():
        for k in targets(str(name), "start"):
            try:
                spec[k]["value"] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"start {name!r} must be a number, got {value!r}") from None
    for name in refine:
        for k in targets(str(name), "refine"):
            spec[k]["vary"] = True
    for k, s in spec.items():
        gname = generic_of.get(k, k)
        v = s["value"]
        if gname == "scale" and not v > 0:
            raise FitError(f"starting scale {k} = {v:g} must be > 0; give a positive start (e.g. start={{'scale': 1}})")
        if gname == "spdiameter" and s["vary"] and not v > 0:
            raise FitError(f"refining {k} needs a positive starting diameter (A), e.g. start={{'spdiameter': 50}}")
        if gname == "uiso" and not v > 0:
            raise FitError(f"starting {k} = {v:g} A^2 must be > 0 (pdffit2 drops pairs with zero width)")
        if gname == "sratio" and not v > 0:
            raise FitError(f"starting {k} = {v:g} must be > 0")
        if gname in ("a", "b", "c") and s["vary"]:
            s["min"], s["max"] = 0.8 * v, 1.2 * v
    return spec


# =============================================================================================== figure
def plot_smallbox(result: SmallBoxFit, ax=None):
    """Observed G(r) (dots), the fit, each phase of a multi-phase fit, and the difference offset below."""
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 4.2))
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.9)
    else:
        fig = ax.figure
    r = result.r
    ax.plot(r, result.g_obs, "o", ms=2.0, mfc="none", color="0.3", label="observed")
    ax.plot(r, result.g_calc, "-", color="C3", lw=1.1, label="calculated")
    if len(result.phases) > 1:
        for ph, gp in zip(result.phases, result.g_phases):
            ax.plot(r, gp, "-", lw=0.8, alpha=0.8, label=ph.name)
    diff = result.g_diff
    offset = float(np.min(result.g_obs)) - 1.2 * float(np.max(np.abs(diff)))
    ax.plot(r, diff + offset, "-", color="C2", lw=0.8, label="difference")
    ax.axhline(offset, color="C2", lw=0.4)
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("G(r) (Å$^{-2}$)")
    names = ", ".join(p.name for p in result.phases)
    ax.set_title(f"{result.sample or result.source or 'PDF'}: {names}, Rw = {result.rw:.3f}", fontsize=9)
    ax.legend(fontsize=7, frameon=False, ncol=2)
    return fig
