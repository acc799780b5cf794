"""Forward models for tests and examples: Debye-equation scattering of finite clusters.

``I(Q) = (1/N) [Σ_i f_i² + Σ_{i≠j} f_i f_j exp(−Q²σ²_ij/2) sin(Q r_ij)/(Q r_ij)]`` per atom, with
X-ray form factors from xraydb (or constant neutron scattering lengths) and σ²_ij = U_i + U_j
(uncorrelated isotropic displacements, U the mean-square displacement along one direction: the
Debye–Waller factor of each atom is exp(−UQ²/2), so ``uiso`` means what it means in a CIF and in
:func:`structkit.pdf.smallbox.calculate_pdf`).
Pair distances are histogrammed per element pair (``bin_width``), so a cluster of a few thousand
atoms takes well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.errors import ConfigError

__all__ = ["rocksalt_particle", "octahedral_salt_particle", "debye_intensity", "fcc_phase", "rocksalt_phase",
           "octahedral_salt_phase"]

_FCC = ((0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0))


def rocksalt_particle(a: float, diameter: float, elements: tuple[str, str] = ("Na", "Cl")):
    """Atoms of a rock-salt (Fm-3m, B1) crystal inside a sphere of ``diameter`` Å centred on a cation.

    Returns
    -------
    positions : ndarray (N, 3), Å
    symbols : ndarray of str (N,)
    """
    if not (a > 0 and diameter > 0):
        raise ConfigError(f"rocksalt_particle: a and diameter must be positive, got {a!r}, {diameter!r}")
    n = int(np.ceil(diameter / a)) + 1
    idx = np.arange(-2 * n, 2 * n + 1)
    grid = np.stack(np.meshgrid(idx, idx, idx, indexing="ij"), axis=-1).reshape(-1, 3)
    pos = grid * (a / 2.0)
    keep = np.linalg.norm(pos, axis=1) <= diameter / 2.0
    pos, g = pos[keep], grid[keep]
    cation = (g.sum(axis=1) % 2) == 0
    symbols = np.where(cation, elements[0], elements[1])
    return pos, symbols


def octahedral_salt_particle(a: float, diameter: float, bond: float = 2.37,
                             elements: tuple[str, str, str] = ("Na", "Ta", "Cl")):
    """A rock-salt arrangement of A⁺ and [MX6]⁻ octahedra (Fm-3m, M at 4a, A at 4b, X at 24e (x,0,0)
    with x = bond/a) cut to a sphere of ``diameter`` Å centred on an M.

    A surrogate of hexahalometallate salts such as NaTaCl6 for demos and tests: it has the M–X bond
    (``bond``), the octahedron's X–X edge (bond·√2) and a rock-salt mid-range order, not the real
    (lower-symmetry) structure. Octahedra are kept whole: an octahedron is in if its M is.

    Returns
    -------
    positions : ndarray (N, 3), Å
    symbols : ndarray of str (N,)
    """
    if not (a > 0 and diameter > 0 and 0 < bond < a / 2):
        raise ConfigError(f"octahedral_salt_particle: need a > 0, diameter > 0 and 0 < bond < a/2, got "
                          f"{a!r}, {diameter!r}, {bond!r}")
    cations, _ = rocksalt_particle(a, diameter, ("M", "A"))
    grid = np.rint(cations / (a / 2.0)).astype(int)
    is_m = (grid.sum(axis=1) % 2) == 0
    m_pos, a_pos = cations[is_m], cations[~is_m]
    arms = bond * np.vstack([np.eye(3), -np.eye(3)])
    x_pos = (m_pos[:, None, :] + arms[None, :, :]).reshape(-1, 3)
    pos = np.vstack([m_pos, a_pos, x_pos])
    symbols = np.array([elements[1]] * len(m_pos) + [elements[0]] * len(a_pos) + [elements[2]] * len(x_pos))
    return pos, symbols


def debye_intensity(q, positions, symbols, *, uiso: float | dict = 0.005, bin_width: float = 0.001,
                    scattering_lengths: Mapping[str, float] | None = None) -> np.ndarray:
    """Coherent elastic intensity per atom of a cluster by the Debye equation.

    X-ray (electron units, xraydb form factors) by default; with ``scattering_lengths`` (a
    Q-independent b per element, e.g. neutron coherent lengths in fm) the f_i are those constants
    and the intensity is in their squared unit (fm² per atom for neutrons).
    """
    from scipy.spatial.distance import cdist, pdist

    q = np.asarray(q, dtype=float)
    pos = np.asarray(positions, dtype=float)
    sym = np.asarray(symbols)
    kinds = sorted(set(sym.tolist()))
    if scattering_lengths is not None:
        missing = [k for k in kinds if k not in scattering_lengths]
        if missing:
            raise ConfigError(f"debye_intensity: scattering_lengths lacks {', '.join(missing)}")
        f = {k: np.full_like(q, float(scattering_lengths[k])) for k in kinds}
    else:
        import xraydb
        s = q / (4.0 * np.pi)
        f = {k: np.asarray(xraydb.f0(k, s), dtype=float) for k in kinds}
    u = {k: float(uiso[k] if isinstance(uiso, dict) else uiso) for k in kinds}
    total = sum((sym == k).sum() * f[k] ** 2 for k in kinds)
    for i, a in enumerate(kinds):
        for b in kinds[i:]:
            pa, pb = pos[sym == a], pos[sym == b]
            d = pdist(pa) if a == b else cdist(pa, pb).ravel()
            if d.size == 0:                              # a single atom of this kind: no pairs
                continue
            mult = 2.0                                   # each unordered pair counts twice in Σ_{i≠j}
            hist, edges = np.histogram(d, bins=np.arange(0.0, d.max() + 2 * bin_width, bin_width))
            rb = 0.5 * (edges[:-1] + edges[1:])
            nz = hist > 0
            rb, hist = rb[nz], hist[nz].astype(float)
            damp = np.exp(-0.5 * q * q * (u[a] + u[b]))
            acc = np.zeros_like(q)
            for s0 in range(0, rb.size, 2048):
                qr = np.multiply.outer(q, rb[s0:s0 + 2048])
                acc += np.sinc(qr / np.pi) @ hist[s0:s0 + 2048]
            total = total + mult * f[a] * f[b] * damp * acc
    return total / len(sym)


# ------------------------------------------------------------------ the periodic twins (small-box Phases)
def _cubic_phase(name, a, sites):
    from .structure import Phase
    return Phase(name, (a, a, a, 90.0, 90.0, 90.0), tuple(sites), "Fm-3m")


def fcc_phase(element: str, a: float, uiso: float = 0.005):
    """A one-element fcc crystal (Cu, Ni ...) as a :class:`~structkit.pdf.structure.Phase`."""
    from .structure import Site
    return _cubic_phase(element, a, [Site(f"{element}{k + 1}", element, p, 1.0, uiso) for k, p in enumerate(_FCC)])


def rocksalt_phase(a: float, uiso: float = 0.005, elements: tuple[str, str] = ("Na", "Cl")):
    """The periodic crystal of :func:`rocksalt_particle` as a Phase (cation at 4a, anion at 4b)."""
    from .structure import Site
    sites = [Site(f"{elements[0]}{k}", elements[0], p, 1.0, uiso) for k, p in enumerate(_FCC)]
    sites += [Site(f"{elements[1]}{k}", elements[1], tuple((c + 0.5) % 1 for c in p), 1.0, uiso)
              for k, p in enumerate(_FCC)]
    return _cubic_phase("".join(elements), a, sites)


def octahedral_salt_phase(a: float, bond: float = 2.37, uiso: float = 0.005,
                          elements: tuple[str, str, str] = ("Na", "Ta", "Cl")):
    """The periodic crystal of :func:`octahedral_salt_particle` as a Phase (M 4a, A 4b, X 24e)."""
    from .structure import Site
    x = bond / a
    arms = [(x, 0, 0), (-x, 0, 0), (0, x, 0), (0, -x, 0), (0, 0, x), (0, 0, -x)]
    sites = []
    for i, p in enumerate(_FCC):
        sites.append(Site(f"{elements[1]}{i}", elements[1], p, 1.0, uiso))
        sites.append(Site(f"{elements[0]}{i}", elements[0], tuple((c + 0.5) % 1 for c in p), 1.0, uiso))
        for j, d in enumerate(arms):
            sites.append(Site(f"{elements[2]}{i}{j}", elements[2], tuple((c + e) % 1 for c, e in zip(p, d)), 1.0, uiso))
    return _cubic_phase(f"{elements[0]}{elements[1]}{elements[2]}6", a, sites)

