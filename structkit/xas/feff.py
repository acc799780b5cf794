"""FEFF scattering paths on the fly: a cluster, its ``feff.inp``, a FEFF run, the path list.

::

    Cluster (by hand, octahedron(), tetrahedron(), cluster_from_cif() via gemmi)
       ──feff_input()──▶ feff.inp text ──run_feff()──▶ FeffResult (FeffPath list, files.dat table)
                                                        └─ larch FeffPathGroup per path, for fits
    load_paths(folder or feffNNNN.dat files) ──▶ FeffResult        (an existing FEFF run)

FEFF is the FEFF6L / FEFF8L shipped as executables with xraylarch
(``larch/bin/<platform>/``). :func:`run_feff` runs those executables itself
(``subprocess`` with ``cwd=`` the run folder, output captured, a time limit)
instead of calling ``larch.xafs.feff6l``/``feff8l``, because larch's runner
``os.chdir``-s the whole process (and does not change back when it fails),
decodes FEFF's output with ``sys.stdout.encoding`` (a ``TypeError`` under
``contextlib.redirect_stdout``, a ``UnicodeDecodeError`` on the bytes of a
crash report) and returns normally when FEFF fails. Everything FEFF wrote is
checked instead: a ``files.dat`` listing at least one path, every listed
``feffNNNN.dat`` present and readable by larch, and FEFF's log scanned for the
usual failures (unknown keyword, two atoms too close, potential without atoms,
several absorbers, unsupported edge, no path within RMAX, a crash). A failure
is a :class:`FeffError` that names the problem, quotes FEFF and names the folder.

FEFF6 and FEFF8 take different keywords (``HOLE``/``RMAX`` vs
``EDGE``/``S02``/``RPATH``); :func:`feff_input` writes the right ones for
``version=6`` or ``8``. FEFF6L only does K and L edges and at most 7 unique
scattering potentials (FEFF8L: M edges too, 11 potentials).

Examples
--------
>>> oct_ = octahedron("Ta", "Cl", 2.37)
>>> oct_
Cluster(Ta, 7 atoms, r <= 2.370 A: 6 Cl 2.370)
>>> print(feff_input(oct_, edge="L3", rmax=5.0).splitlines()[1])
HOLE 4 1.0
>>> hole_number("L3"), hole_number("K")
(4, 1)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..core.errors import DataError, MissingDependencyError, ReadError, StructkitError
from ..core.summary import SummaryRepr
from . import _larch

__all__ = [
    "DEFAULT_RMAX", "EDGES", "MIN_DISTANCE_ANGSTROM", "Cluster", "FeffError", "FeffPath", "FeffResult", "Shell",
    "cluster_from_cif", "feff_input", "hole_number", "load_paths", "octahedron", "run_feff", "tetrahedron",
]

#: Edge name -> FEFF ``HOLE`` number (FEFF8 takes the name with ``EDGE``).
EDGES: dict[str, int] = {"K": 1, "L1": 2, "L2": 3, "L3": 4, "M1": 5, "M2": 6, "M3": 7, "M4": 8, "M5": 9}
_FEFF6_EDGES = ("K", "L1", "L2", "L3")
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5"}
#: Largest unique-potential index each FEFF version accepts (ipot 0 is the absorber).
_MAX_IPOT = {6: 7, 8: 11}
#: Default half path length RMAX (Å).
DEFAULT_RMAX = 5.0
#: FEFF prints "TWO ATOMS VERY CLOSE TOGETHER" below about this distance (Å; between 0.90 and 0.95 by
#: trial with both FEFF6L and FEFF8L) and computes nonsense; two atoms at the same place crash it.
MIN_DISTANCE_ANGSTROM = 0.93
#: Atoms closer than this (Å) are "at the same position": a :class:`Cluster` refuses them.
_SAME_POSITION = 0.01
_PATH_PARAMS = ("s02", "e0", "ei", "deltar", "sigma2", "third", "fourth", "degen")
_CACHE_FORMAT = "structkit-feff-cache-1"
_MARKER = "structkit_feff_cache.json"


# ----------------------------------------------------------------------------------------------- errors
class FeffError(StructkitError):
    """FEFF did not produce usable paths.

    The message says what went wrong (``reason``), quotes the relevant part of
    FEFF's log / ``feff.err``, and :attr:`path` is the FEFF folder (None when it
    was a temporary folder, removed).

    Attributes
    ----------
    reason : str
        A short code: ``unknown_keyword``, ``atoms_too_close``, ``missing_potential``,
        ``no_absorber``, ``several_absorbers``, ``too_many_potentials``,
        ``unsupported_edge``, ``no_paths``, ``crashed``, ``timeout``, ``fatal``,
        ``no_output``, ``bad_path_file``, ``no_atoms``.
    excerpt : str
        The quoted FEFF output.

    Examples
    --------
    >>> err = FeffError("FEFF6 failed (no_paths): no path", path="/tmp/run", reason="no_paths")
    >>> str(err), err.reason
    ('/tmp/run: FEFF6 failed (no_paths): no path', 'no_paths')
    """

    def __init__(self, message: str, *, path=None, line: int | None = None, reason: str = "",
                 excerpt: str = ""):
        super().__init__(message, path=path, line=line)
        self.reason = reason
        self.excerpt = excerpt

    def __reduce__(self):
        return (_rebuild_feff_error, (self.message, self.path, self.line, self.reason, self.excerpt))


def _rebuild_feff_error(message, path, line, reason, excerpt):
    return FeffError(message, path=path, line=line, reason=reason, excerpt=excerpt)


# ----------------------------------------------------------------------------------------------- elements
def _element(symbol, what: str = "element") -> tuple[str, int]:
    """Canonical symbol and Z of an element symbol (gemmi's table); DataError if unknown."""
    import gemmi
    text = str(symbol).strip()
    m = re.match(r"[A-Za-z]{1,2}", text)
    el = gemmi.Element(m.group(0)) if m else None
    if el is None or el.atomic_number <= 0 or el.name.lower() != m.group(0).lower():
        raise DataError(f"{what} {symbol!r} is not an element symbol")
    return el.name, int(el.atomic_number)


def _symbol_of(z: int) -> str:
    import gemmi
    return gemmi.Element(int(z)).name


# ----------------------------------------------------------------------------------------------- cluster
class Shell(NamedTuple):
    """A coordination shell of a :class:`Cluster`: element, mean distance (Å), number of atoms."""

    symbol: str
    distance: float
    count: int


@dataclass(frozen=True, eq=False)
class Cluster:
    """An absorbing atom and its neighbours, in Cartesian Å with the absorber at the origin.

    Row 0 of :attr:`symbols` / :attr:`positions` is the absorber at (0, 0, 0);
    the constructors (:meth:`from_atoms`, :func:`cluster_from_cif`,
    :func:`octahedron`, :func:`tetrahedron`) sort the other atoms by distance
    (then element and coordinates), so the same structure always gives the same
    ``feff.inp``.

    Parameters
    ----------
    absorber : str
        Element symbol of the absorbing atom.
    symbols : tuple of str
        Element of every atom, the absorber first.
    positions : (N, 3) array
        Cartesian coordinates in Å, row 0 = (0, 0, 0).
    title : str
        Goes to the ``TITLE`` of ``feff.inp``.

    Examples
    --------
    >>> c = Cluster.from_atoms("Cu", [("Cu", 1.805, 1.805, 0), ("Cu", 0, 0, 3.61)])
    >>> c.symbols, c.distances.round(4).tolist()
    (('Cu', 'Cu', 'Cu'), [0.0, 2.5527, 3.61])
    >>> Cluster.from_atoms("Cu", [("Cu", 0, 0, 0.001)])
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: atoms 0 (Cu) and 1 (Cu) are at the same position (0.0010 A apart)
    """

    absorber: str
    symbols: tuple[str, ...]
    positions: np.ndarray
    title: str = ""

    def __post_init__(self):
        absorber, _ = _element(self.absorber, "absorber")
        symbols = tuple(_element(s)[0] for s in self.symbols)
        pos = np.array(self.positions, dtype=float).reshape(-1, 3) if len(symbols) else np.zeros((0, 3))
        if pos.shape[0] != len(symbols):
            raise DataError(f"{len(symbols)} symbols but {pos.shape[0]} positions")
        if not symbols or symbols[0] != absorber:
            raise DataError(f"the first atom of a Cluster must be the absorber {absorber}")
        if not np.all(np.isfinite(pos)):
            raise DataError("atom positions contain NaN or inf")
        if np.linalg.norm(pos[0]) > 1e-9:
            raise DataError(f"the absorber must be at the origin, not at {tuple(pos[0])}")
        i, j, d = _closest_pair(pos)
        if d < _SAME_POSITION:
            raise DataError(f"atoms {i} ({symbols[i]}) and {j} ({symbols[j]}) are at the same position "
                            f"({d:.4f} A apart)")
        pos.setflags(write=False)
        object.__setattr__(self, "absorber", absorber)
        object.__setattr__(self, "symbols", symbols)
        object.__setattr__(self, "positions", pos)
        object.__setattr__(self, "title", " ".join(str(self.title).split()))

    def __reduce__(self):            # rebuild through __init__: checks, read-only positions
        return (Cluster, (self.absorber, self.symbols, np.array(self.positions), self.title))

    # -- constructors
    @classmethod
    def from_atoms(cls, absorber: str, atoms: Iterable[Sequence], *, title: str = "") -> Cluster:
        """A cluster from ``[(symbol, x, y, z), ...]`` (Å, relative to the absorber at the origin).

        The absorber itself is added at the origin; an entry of the absorber's
        element at the origin is taken to be the absorber and dropped.
        """
        absorber, _ = _element(absorber, "absorber")
        syms, pos = [], []
        for k, atom in enumerate(atoms):
            if len(atom) != 4:
                raise DataError(f"atom {k}: expected (symbol, x, y, z), got {atom!r}")
            sym = _element(atom[0])[0]
            try:
                xyz = [float(v) for v in atom[1:]]
            except (TypeError, ValueError):
                raise DataError(f"atom {k} ({sym}): coordinates {atom[1:]!r} are not numbers") from None
            if sym == absorber and math.hypot(*xyz) < 1e-9:
                continue
            syms.append(sym)
            pos.append(xyz)
        return _sorted_cluster(absorber, syms, np.array(pos, float).reshape(-1, 3),
                               title or f"{absorber} cluster")

    # -- views
    @property
    def distances(self) -> np.ndarray:
        """Distance of every atom from the absorber (Å), row 0 = 0."""
        return np.linalg.norm(self.positions, axis=1)

    @property
    def radius(self) -> float:
        """Distance of the farthest atom (Å)."""
        return float(self.distances.max())

    @property
    def elements(self) -> tuple[str, ...]:
        """Distinct elements: the absorber's, then the others by distance of their nearest atom."""
        return tuple(dict.fromkeys(self.symbols))

    def __len__(self) -> int:
        return len(self.symbols)

    def shells(self, tol: float = 0.02) -> list[Shell]:
        """Neighbours grouped by element and distance (within ``tol`` Å), nearest first.

        Examples
        --------
        >>> octahedron("Ta", ["O", "Cl", "Cl", "Cl", "Cl", "Cl"], {"O": 1.9, "Cl": 2.37}).shells()
        [Shell(symbol='O', distance=1.9, count=1), Shell(symbol='Cl', distance=2.37, count=5)]
        """
        out: list[list] = []
        dist = self.distances
        for sym, d in sorted(zip(self.symbols[1:], dist[1:]), key=lambda t: (t[1], t[0])):
            for sh in out:
                if sh[0] == sym and abs(d - sh[2] / sh[1]) <= tol:
                    sh[1] += 1
                    sh[2] += d
                    break
            else:
                out.append([sym, 1, d])
        shells = [Shell(s, round(float(total / n), 6), n) for s, n, total in out]
        return sorted(shells, key=lambda s: (s.distance, s.symbol))

    def within(self, radius: float) -> Cluster:
        """The atoms within ``radius`` Å of the absorber."""
        keep = self.distances <= radius + 1e-9
        return Cluster(self.absorber, tuple(np.array(self.symbols)[keep]), self.positions[keep], self.title)

    def __repr__(self) -> str:
        shells = self.shells()
        text = ", ".join(f"{s.count} {s.symbol} {s.distance:.3f}" for s in shells[:3])
        more = ", ..." if len(shells) > 3 else ""
        return f"Cluster({self.absorber}, {len(self)} atoms, r <= {self.radius:.3f} A: {text}{more})"


def _closest_pair(pos: np.ndarray) -> tuple[int, int, float]:
    """Indices and distance of the closest pair of rows of ``pos`` (inf when fewer than 2)."""
    n = len(pos)
    if n < 2:
        return 0, 0, math.inf
    best = (0, 0, math.inf)
    for start in range(0, n, 512):        # blocks keep memory at 512*n*3 floats
        block = pos[start:start + 512]
        d = np.linalg.norm(block[:, None, :] - pos[None, :, :], axis=2)
        rows = np.arange(start, start + len(block))
        d[np.arange(len(block)), rows] = np.inf
        d[rows[:, None] > np.arange(n)[None, :]] = np.inf        # each pair once (i < j)
        k = int(np.argmin(d))
        i, j = divmod(k, n)
        if d[i, j] < best[2]:
            best = (start + i, j, float(d[i, j]))
    return best


def _sorted_cluster(absorber: str, symbols: Sequence[str], pos: np.ndarray, title: str) -> Cluster:
    pos = np.asarray(pos, float).reshape(-1, 3)
    dist = np.linalg.norm(pos, axis=1)
    order = sorted(range(len(symbols)),
                   key=lambda k: (round(float(dist[k]), 5), symbols[k], *np.round(pos[k], 5).tolist()))
    syms = (absorber, *(symbols[k] for k in order))
    allpos = np.vstack([np.zeros((1, 3)), pos[order]]) if order else np.zeros((1, 3))
    return Cluster(absorber, syms, allpos, title)


def _vertex_distances(ligands: Sequence[str], distance, n: int) -> list[float]:
    if isinstance(distance, Mapping):
        dmap = {_element(k)[0]: float(v) for k, v in distance.items()}
        missing = sorted(set(ligands) - set(dmap))
        if missing:
            raise DataError(f"no distance given for ligand(s) {', '.join(missing)}")
        out = [dmap[s] for s in ligands]
    elif np.ndim(distance) == 0:
        out = [float(distance)] * n
    else:
        out = [float(d) for d in distance]
        if len(out) != n:
            raise DataError(f"{len(out)} distances for the {n} vertices")
    if not all(math.isfinite(d) and d > 0 for d in out):
        raise DataError(f"ligand distances must be positive, got {out}")
    return out


def _polyhedron(absorber, ligand, distance, vertices: np.ndarray, name: str) -> Cluster:
    n = len(vertices)
    ligands = [ligand] * n if isinstance(ligand, str) else list(ligand)
    if len(ligands) != n:
        raise DataError(f"an {name} has {n} ligands, got {len(ligands)}: {ligands}")
    ligands = [_element(s, "ligand")[0] for s in ligands]
    dist = _vertex_distances(ligands, distance, n)
    absorber, _ = _element(absorber, "absorber")
    atoms = [(s, *(d * v)) for s, d, v in zip(ligands, dist, vertices)]
    formula = "".join(f"{s}{ligands.count(s) if ligands.count(s) > 1 else ''}" for s in dict.fromkeys(ligands))
    return Cluster.from_atoms(absorber, atoms, title=f"{absorber}{formula} {name}")


_OCTAHEDRON = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
_TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / math.sqrt(3.0)


def octahedron(absorber: str, ligand: str | Sequence[str], distance: float | Sequence[float] | Mapping[str, float]
               ) -> Cluster:
    """A regular octahedron of ligands around ``absorber`` (an isolated MX6 unit).

    Parameters
    ----------
    absorber : str
        Central (absorbing) element.
    ligand : str or sequence of 6 str
        One element for all six vertices, or one per vertex in the order
        +x, -x, +y, -y, +z, -z (a mixed octahedron such as TaO\u2082Cl\u2084: ``trans`` O on ±x is
        ``["O", "O", "Cl", "Cl", "Cl", "Cl"]``, ``cis`` is ``["O", "Cl", "O", "Cl", "Cl", "Cl"]``).
    distance : float, sequence of 6 floats or mapping element -> float
        Absorber-ligand distance(s) in Å.

    Examples
    --------
    >>> octahedron("Ta", "Cl", 2.37).shells()
    [Shell(symbol='Cl', distance=2.37, count=6)]
    >>> c = octahedron("Ta", ["O", "O", "Cl", "Cl", "Cl", "Cl"], {"O": 1.9, "Cl": 2.37})
    >>> c.title, [s[:2] for s in c.shells()]
    ('TaO2Cl4 octahedron', [('O', 1.9), ('Cl', 2.37)])
    """
    return _polyhedron(absorber, ligand, distance, _OCTAHEDRON, "octahedron")


def tetrahedron(absorber: str, ligand: str | Sequence[str], distance: float | Sequence[float] | Mapping[str, float]
                ) -> Cluster:
    """A regular tetrahedron of ligands around ``absorber`` (e.g. PS4, LiO4), vertices at (±1, ±1, ±1)/√3·d.

    Examples
    --------
    >>> tetrahedron("P", "S", 2.05).shells()
    [Shell(symbol='S', distance=2.05, count=4)]
    """
    return _polyhedron(absorber, ligand, distance, _TETRAHEDRON, "tetrahedron")


# ----------------------------------------------------------------------------------------------- CIF
def cluster_from_cif(path_or_text, absorber: str, *, radius: float = 6.0, site: str | int | None = None,
                     min_occupancy: float = 0.5) -> Cluster:
    """The cluster of radius ``radius`` Å around one absorber site of a crystal structure (CIF, via gemmi).

    The CIF is read with ``gemmi.read_small_structure`` (or from text), its
    sites expanded to the whole unit cell with the space-group operations
    (``get_all_unit_cell_sites``), and every atom of every periodic image
    within ``radius`` of the chosen absorber site is collected.

    Parameters
    ----------
    path_or_text : str or path-like
        A CIF file, or CIF text (a string with a newline or starting with ``data_``).
    absorber : str
        Element of the absorbing atom.
    radius : float
        Cluster radius in Å (keep it ≥ the FEFF ``rmax`` you will use, ideally rmax + 1 Å).
    site : str or int, optional
        The absorber site: its ``_atom_site_label`` or its index (0-based) among the
        absorber's sites in the CIF. Required when the element has several
        inequivalent sites (the error lists them).
    min_occupancy : float
        Sites with a smaller occupancy are left out. Where several species share a
        position (mixed site), only the one with the largest occupancy is kept (the
        first listed on a tie). FEFF needs whole atoms: disorder is approximated,
        not modelled.

    Returns
    -------
    Cluster

    Examples
    --------
    >>> cif = '''data_Cu
    ... _cell_length_a 3.61
    ... _cell_length_b 3.61
    ... _cell_length_c 3.61
    ... _cell_angle_alpha 90
    ... _cell_angle_beta 90
    ... _cell_angle_gamma 90
    ... _symmetry_space_group_name_H-M 'F m -3 m'
    ... loop_
    ... _atom_site_label
    ... _atom_site_fract_x
    ... _atom_site_fract_y
    ... _atom_site_fract_z
    ... Cu1 0 0 0
    ... '''
    >>> cluster_from_cif(cif, "Cu", radius=4.0).shells()
    [Shell(symbol='Cu', distance=2.552655, count=12), Shell(symbol='Cu', distance=3.61, count=6)]
    """
    absorber, _ = _element(absorber, "absorber")
    if not (math.isfinite(radius) and radius > 0):
        raise DataError(f"radius must be a positive number of Å, got {radius!r}")
    from ..io._cif import read_small_structure
    st, source = read_small_structure(path_or_text, needs="a FEFF cluster")
    where = None if source == "<CIF text>" else source
    asu = [s for s in st.sites if s.element.name == absorber]
    if not asu:
        present = ", ".join(dict.fromkeys(s.element.name for s in st.sites))
        raise DataError(f"no {absorber} site in the CIF (elements: {present})", path=where)
    labels = [s.label for s in asu]
    if site is None:
        if len(asu) > 1:
            raise DataError(f"{absorber} has {len(asu)} sites ({', '.join(labels)}); choose one with site=",
                            path=where)
        chosen = asu[0]
    elif isinstance(site, (int, np.integer)) and not isinstance(site, bool):
        if not 0 <= site < len(asu):
            raise DataError(f"site={site}: {absorber} has {len(asu)} site(s) ({', '.join(labels)})", path=where)
        chosen = asu[int(site)]
    else:
        match = [s for s in asu if s.label == str(site)] or [s for s in asu if s.label.lower() == str(site).lower()]
        if not match:
            raise DataError(f"site={site!r} is not a {absorber} site of the CIF ({', '.join(labels)})", path=where)
        chosen = match[0]

    cells = st.get_all_unit_cell_sites()
    frac = np.array([[s.fract.x, s.fract.y, s.fract.z] for s in cells], float)
    syms = [s.element.name for s in cells]
    occ = np.array([s.occ for s in cells], float)
    if any(not s or s == "X" for s in syms):
        bad = [s.label for s in cells if not s.element.name or s.element.name == "X"]
        raise DataError(f"sites without a known element: {', '.join(dict.fromkeys(bad))}", path=where)
    f0 = np.array([chosen.fract.x, chosen.fract.y, chosen.fract.z], float)
    orth = np.array(st.cell.orth.mat.tolist(), float)
    fmat = np.array(st.cell.frac.mat.tolist(), float)
    d = frac - f0
    d -= np.round(d)
    n = [math.ceil(radius * np.linalg.norm(fmat[i])) + 1 for i in range(3)]
    shifts = np.array(np.meshgrid(*[np.arange(-k, k + 1) for k in n], indexing="ij")).reshape(3, -1).T
    cart = (d[:, None, :] + shifts[None, :, :]) @ orth.T             # (sites, images, 3)
    dist = np.linalg.norm(cart, axis=2)
    isite, iimg = np.nonzero(dist <= radius + 1e-6)
    pos = cart[isite, iimg]
    cand_sym = [syms[k] for k in isite]
    cand_occ = occ[isite]
    # mixed sites: keep the majority species at each position (stable: CIF order on ties)
    order = np.argsort(-cand_occ, kind="stable")
    kept: list[int] = []
    for k in order:
        if np.linalg.norm(pos[k]) < _SAME_POSITION:           # the absorber's own site
            continue
        if kept and np.min(np.linalg.norm(pos[kept] - pos[k], axis=1)) < _SAME_POSITION:
            continue
        kept.append(int(k))
    kept = [k for k in kept if cand_occ[k] >= min_occupancy]
    kept.sort()
    name = st.name or "structure"
    return _sorted_cluster(absorber, [cand_sym[k] for k in kept], pos[kept],
                           f"{name} {absorber} site {chosen.label} r={radius:g}")


# ----------------------------------------------------------------------------------------------- feff.inp
def hole_number(edge: str) -> int:
    """FEFF ``HOLE`` number of an edge name (K=1, L1=2, L2=3, L3=4, M1..M5=5..9); DataError if unknown.

    Examples
    --------
    >>> hole_number("l3")
    4
    >>> hole_number("N7")
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: unknown edge 'N7'; FEFF edges are K, L1, L2, L3, M1, M2, M3, M4, M5
    """
    return EDGES[_edge_name(edge)]


def _edge_name(edge) -> str:
    key = str(edge).strip().upper()
    key = {"LI": "L1", "LII": "L2", "LIII": "L3"}.get(key, key)
    if key not in EDGES:
        raise DataError(f"unknown edge {edge!r}; FEFF edges are {', '.join(EDGES)}")
    return key


def _check_version(version) -> int:
    try:
        v = int(str(version).lower().replace("feff", "").rstrip("l"))
    except ValueError:
        v = -1
    if v not in (6, 8):
        raise DataError(f"FEFF version must be 6 (feff6l) or 8 (feff8l), got {version!r}")
    return v


def feff_input(cluster: Cluster, *, edge: str = "K", rmax: float = DEFAULT_RMAX, nleg: int = 4, version: int = 6,
               title: str | None = None) -> str:
    """The ``feff.inp`` text for a cluster: EXAFS paths up to half path length ``rmax`` and ``nleg`` legs.

    FEFF6 (``version=6``, feff6l): ``HOLE n 1.0``, ``CONTROL 1 1 1 1``, ``PRINT 1 0 0 0``,
    ``RMAX``, ``NLEG``. FEFF8 (``version=8``, feff8l): ``EDGE``, ``S02 1.0``,
    ``CONTROL 1 1 1 1 1 1``, ``PRINT 1 0 0 0 0 3`` (the 3 makes feff8l write the
    ``feffNNNN.dat`` files), ``RPATH``, ``NLEG``. Then ``POTENTIALS`` (ipot 0 = the
    absorber, then one ipot per element in order of nearest distance, tagged with
    the element symbol) and ``ATOMS`` (x, y, z in Å, ipot, tag, distance).

    Parameters
    ----------
    cluster : Cluster
    edge : str
        K, L1, L2, L3 (FEFF6 and FEFF8), M1-M5 (FEFF8 only).
    rmax : float
        Longest half path length (Å) FEFF looks for.
    nleg : int
        Most legs per path (2 = single scattering only; 2-8).
    version : {6, 8}
    title : str, optional
        ``TITLE`` line; default the cluster's title.

    Examples
    --------
    >>> text = feff_input(octahedron("Ta", "Cl", 2.37), edge="L3", version=8, rmax=4.8)
    >>> print("\\n".join(text.splitlines()[:9]))
    TITLE TaCl6 octahedron
    EDGE L3
    S02 1.0
    CONTROL 1 1 1 1 1 1
    PRINT 1 0 0 0 0 3
    RPATH 4.8000
    NLEG 4
    POTENTIALS
    *  ipot    Z  tag
    >>> feff_input(octahedron("Ta", "Cl", 2.37), edge="M5")
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: FEFF6L only does K and L edges (K, L1, L2, L3), not M5; use version=8
    """
    if not isinstance(cluster, Cluster):
        raise DataError(f"feff_input needs a Cluster, got {type(cluster).__name__}")
    version = _check_version(version)
    edge = _edge_name(edge)
    if version == 6 and edge not in _FEFF6_EDGES:
        raise DataError(f"FEFF6L only does K and L edges ({', '.join(_FEFF6_EDGES)}), not {edge}; use version=8")
    try:
        rmax = float(rmax)
    except (TypeError, ValueError):
        raise DataError(f"rmax must be a number of Å, got {rmax!r}") from None
    if not (math.isfinite(rmax) and rmax > 0):
        raise DataError(f"rmax must be a positive number of Å, got {rmax!r}")
    if isinstance(nleg, bool) or int(nleg) != nleg or not 2 <= int(nleg) <= 8:
        raise DataError(f"nleg must be an integer from 2 to 8, got {nleg!r}")
    if len(cluster) < 2:
        raise DataError(f"the cluster around {cluster.absorber} has no neighbours; FEFF needs scatterers")
    scatterers = list(dict.fromkeys(cluster.symbols[1:]))
    if len(scatterers) > _MAX_IPOT[version]:
        raise DataError(f"FEFF{version} allows {_MAX_IPOT[version]} unique scattering potentials; the cluster has "
                        f"{len(scatterers)} elements ({', '.join(scatterers)})"
                        + ("; use version=8 or a smaller cluster" if version == 6 else "; use a smaller cluster"))
    ipot = {sym: k + 1 for k, sym in enumerate(scatterers)}
    title = " ".join(str(title if title is not None else (cluster.title or f"{cluster.absorber} cluster")).split())
    lines = [f"TITLE {title[:70]}"]
    if version == 6:
        lines += [f"HOLE {EDGES[edge]} 1.0", "CONTROL 1 1 1 1", "PRINT 1 0 0 0", f"RMAX {rmax:.4f}"]
    else:
        lines += [f"EDGE {edge}", "S02 1.0", "CONTROL 1 1 1 1 1 1", "PRINT 1 0 0 0 0 3", f"RPATH {rmax:.4f}"]
    lines += [f"NLEG {int(nleg)}", "POTENTIALS", "*  ipot    Z  tag",
              f"      0  {_element(cluster.absorber)[1]:3d}  {cluster.absorber}"]
    lines += [f"   {k:4d}  {_element(s)[1]:3d}  {s}" for s, k in ipot.items()]
    lines += ["ATOMS", "*         x           y           z  ipot  tag     distance"]
    dist = cluster.distances
    for n, (sym, xyz, r) in enumerate(zip(cluster.symbols, cluster.positions, dist)):
        p = 0 if n == 0 else ipot[sym]
        x, y, z = (0.0 if abs(v) < 5e-6 else float(v) for v in xyz)      # no "-0.00000"
        lines.append(f"  {x:11.5f} {y:11.5f} {z:11.5f}  {p:4d}  {sym:<4s} {r:10.5f}")
    lines.append("END")
    return "\n".join(lines) + "\n"


class _InpInfo(NamedTuple):
    keywords: tuple[str, ...]
    potentials: dict            # ipot -> (Z, tag)
    atoms: list                 # (line number, x, y, z, ipot)
    rmax: float | None


def _parse_inp(text: str) -> _InpInfo:
    """The keywords, POTENTIALS and ATOMS of a feff.inp (lenient: what FEFF would read)."""
    keywords, potentials, atoms = [], {}, []
    mode, rmax = None, None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("*", 1)[0].split("!", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        head = words[0].upper()
        if head[0].isalpha():
            keywords.append(head)
            mode = head if head in ("POTENTIALS", "ATOMS") else None
            if head == "END":
                break
            if head in ("RMAX", "RPATH") and len(words) > 1:
                try:
                    rmax = float(words[1])
                except ValueError:
                    pass
            continue
        try:
            if mode == "POTENTIALS":
                potentials[int(words[0])] = (int(words[1]), words[2] if len(words) > 2 else "")
            elif mode == "ATOMS":
                atoms.append((lineno, float(words[0]), float(words[1]), float(words[2]), int(words[3])))
        except (IndexError, ValueError):
            continue            # FEFF will complain; the log diagnosis names it
    return _InpInfo(tuple(keywords), potentials, atoms, rmax)


def _preflight(text: str, version: int) -> None:
    """Refuse inputs that make FEFF crash or silently compute nonsense (raises FeffError)."""
    info = _parse_inp(text)

    def fail(reason, msg):
        raise FeffError(f"FEFF{version} input refused ({reason}): {msg}", reason=reason)

    if "OVERLAP" in info.keywords:
        return
    if not info.atoms:
        fail("no_atoms", "feff.inp has no ATOMS card (or it has no atom lines)")
    if not info.potentials:
        fail("missing_potential", "feff.inp has no POTENTIALS card")
    undefined = sorted({a[4] for a in info.atoms} - set(info.potentials))
    if undefined:
        first = next(a for a in info.atoms if a[4] in undefined)
        fail("missing_potential", f"ATOMS use ipot {', '.join(map(str, undefined))} which POTENTIALS does not define "
                                  f"(first at line {first[0]}); FEFF6 runs on regardless and gives wrong paths")
    nabs = sum(1 for a in info.atoms if a[4] == 0)
    if nabs == 0:
        fail("no_absorber", "no atom has ipot 0 (the absorber)")
    if nabs > 1:
        lines = [str(a[0]) for a in info.atoms if a[4] == 0]
        fail("several_absorbers", f"{nabs} atoms have ipot 0 (lines {', '.join(lines)}); exactly one absorber allowed")
    pos = np.array([a[1:4] for a in info.atoms], float)
    i, j, d = _closest_pair(pos)
    if d < MIN_DISTANCE_ANGSTROM:
        what = "at the same position" if d < _SAME_POSITION else f"{d:.3f} A apart"
        fail("atoms_too_close",
             f"atoms on lines {info.atoms[i][0]} and {info.atoms[j][0]} of feff.inp are {what} (FEFF needs "
             f">= {MIN_DISTANCE_ANGSTROM} A: it crashes on coincident atoms and warns 'TWO ATOMS VERY CLOSE' below)")


# ----------------------------------------------------------------------------------------------- parsing FEFF output
def _numbers(words: Sequence[str], n: int) -> list[float]:
    return [float(w.replace("D", "E").replace("d", "e")) for w in words[:n]]


def _parse_feffdat(path: Path) -> dict[str, Any]:
    """Header of a feffNNNN.dat: nleg, degen, reff, the path's atoms, the edge; and a check of its k table."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise ReadError(f"cannot read FEFF path file ({exc.strerror})", path=path) from None
    out: dict[str, Any] = {"title": "", "edge": "", "index": None, "atoms": []}
    mode = "header"
    nk = 0
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip().lstrip("#").strip()
        if lineno == 1:
            out["title"] = line[:64].strip()
            continue
        try:
            if mode == "header":
                if re.match(r"Abs\b", line) and "shell" in line:
                    shell = line.split()[-2]
                    m = re.fullmatch(r"([KLMN])([IVX]*)", shell.upper())
                    out["edge"] = m.group(1) + _ROMAN.get(m.group(2), m.group(2)) if m else shell
                elif re.match(r"Path\s+\d+", line):
                    out["index"] = int(line.split()[1])
                elif "nleg, deg, reff" in line:
                    w = line.split()
                    out["nleg"] = int(w[0])
                    out["degen"], out["reff"] = _numbers(w[1:3], 2)
                    mode = "atoms_header"
            elif mode == "atoms_header":
                mode = "atoms"            # the "x y z pot at#" line
            elif mode == "atoms":
                if line.startswith("k") and "real" in line:
                    mode = "table"
                    continue
                w = line.split()
                x, y, z = _numbers(w, 3)
                out["atoms"].append((int(w[4]), int(w[3]), x, y, z))
            elif mode == "table":
                w = line.split()
                if len(w) == 7:
                    vals = _numbers(w, 7)
                    if not all(math.isfinite(v) for v in vals):
                        raise ValueError("non-finite value")
                    nk += 1
        except (ValueError, IndexError):
            raise ReadError(f"not a FEFF feffNNNN.dat path file (cannot read {line[:60]!r})",
                            path=path, line=lineno) from None
    if "nleg" not in out:
        raise ReadError("not a FEFF feffNNNN.dat path file (no 'nleg, deg, reff' line)", path=path)
    if len(out["atoms"]) != out["nleg"]:
        raise ReadError(f"FEFF path file lists {len(out['atoms'])} atoms for a {out['nleg']}-leg path", path=path)
    if nk < 4:
        raise ReadError(f"FEFF path file has {nk} rows of k data (truncated?)", path=path)
    return out


def _parse_files_dat(path: Path) -> dict[str, dict[str, float]]:
    """files.dat rows: file name -> amplitude ratio (%), degen, nleg, reff (in FEFF's order)."""
    rows: dict[str, dict[str, float]] = {}
    for lineno, raw in enumerate(path.read_text(errors="replace").splitlines(), 1):
        w = raw.split()
        if len(w) >= 6 and re.fullmatch(r"feff\w*\.dat", w[0], flags=re.IGNORECASE):
            try:
                _sig2, amp, deg, nl, reff = _numbers(w[1:6], 5)
            except ValueError:
                raise ReadError(f"cannot read files.dat row {raw.strip()!r}", path=path, line=lineno) from None
            rows[w[0]] = {"amplitude": amp, "degen": deg, "nleg": int(nl), "reff": reff}
    return rows


def _scattering_angles(pos: np.ndarray) -> tuple[float, ...]:
    """β at each scatterer and finally at the absorber (deg; 180 = backscattering, 0 = forward)."""
    n = len(pos)
    out = []
    for i in range(1, n + 1):
        a = pos[i % n] - pos[i - 1]
        b = pos[(i + 1) % n] - pos[i % n]
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 or nb == 0:
            out.append(float("nan"))
            continue
        c = float(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))
        out.append(round(math.degrees(math.acos(c)), 4))
    return tuple(out)


# ----------------------------------------------------------------------------------------------- results
class _TempFolder:
    """Owns a temporary FEFF folder: removed when no result or path refers to it any more (or at exit)."""

    def __init__(self, path):
        self.path = str(path)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, True)

    def __reduce__(self):             # a copy elsewhere must not delete the original's folder
        return (_NotOwned, (self.path,))


class _NotOwned:
    def __init__(self, path):
        self.path = path


@dataclass(frozen=True, eq=False)
class FeffPath:
    """One FEFF scattering path (a ``feffNNNN.dat`` file).

    Attributes
    ----------
    index : int
        FEFF's path number (the NNNN).
    filename : str
        Absolute path of the ``feffNNNN.dat`` file.
    label : str
        The atoms along the path, absorber first: ``'Ta-Cl'`` (single scattering),
        ``'Ta-Cl-Cl'`` (double scattering), ``'Ta-Cl-Ta-Cl'`` (a 4-leg path that
        passes through the absorber).
    reff : float
        Half path length in Å (FEFF's r effective).
    degen : float
        Degeneracy N.
    nleg : int
        Number of legs.
    amplitude : float
        FEFF's curved-wave amplitude ratio in % of the strongest path (``files.dat``);
        NaN when there is no ``files.dat``.
    symbols : tuple of str
        Element of each atom on the path, absorber first.
    ipots : tuple of int
        Their FEFF unique-potential indices.
    positions : (nleg, 3) array
        Their coordinates (Å), as FEFF lists them.
    edge : str
        Edge of the calculation (``'K'``, ``'L3'``, ...).
    """

    index: int
    filename: str
    label: str
    reff: float
    degen: float
    nleg: int
    amplitude: float
    symbols: tuple[str, ...]
    ipots: tuple[int, ...]
    positions: np.ndarray
    edge: str = ""
    _owner: Any = field(default=None, repr=False)

    def __post_init__(self):
        pos = np.array(self.positions, dtype=float).reshape(-1, 3)
        pos.setflags(write=False)
        object.__setattr__(self, "positions", pos)

    def __reduce__(self):
        return (FeffPath, (self.index, self.filename, self.label, self.reff, self.degen, self.nleg, self.amplitude,
                           self.symbols, self.ipots, np.array(self.positions), self.edge, self._owner))

    @property
    def absorber(self) -> str:
        return self.symbols[0]

    @property
    def angles_deg(self) -> tuple[float, ...]:
        """Scattering angle β at each scatterer and finally back at the absorber, in degrees
        (180 = backscattering, 0 = forward scattering), as in FEFF's ``paths.dat``."""
        return _scattering_angles(np.asarray(self.positions))

    @property
    def collinear(self) -> bool:
        """Whether every scattering angle is 0° or 180° (within 1°): a straight-line (focusing-type) path."""
        return all(min(abs(b), abs(180.0 - b)) < 1.0 for b in self.angles_deg)

    def larch_path(self, label: str | None = None, **params) -> Any:
        """A larch ``FeffPathGroup`` (``larch.xafs.feffpath``) for this path, for ``ff2chi``/``feffit``.

        Parameters
        ----------
        label : str, optional
            larch label; default ``'<label>_<index>'`` with ``-`` replaced by ``_`` (e.g. ``Ta_Cl_1``).
        **params
            Path parameters: ``s02, e0, ei, deltar, sigma2, third, fourth, degen``, each
            a number or a larch expression string. A new group each call (larch groups
            carry fit state).
        """
        unknown = sorted(set(params) - set(_PATH_PARAMS))
        if unknown:
            raise DataError(f"unknown path parameter(s) {', '.join(unknown)}; larch takes {', '.join(_PATH_PARAMS)}")
        if not Path(self.filename).is_file():
            raise FeffError(f"the FEFF path file {self.filename} no longer exists (a temporary FEFF folder is removed "
                            "with its last result; run with folder= or cache_dir= to keep the files)",
                            reason="no_output")
        xafs = _larch.xafs()
        if label is None:
            label = re.sub(r"\W", "_", f"{self.label}_{self.index}")
        return xafs.feffpath(self.filename, label=label, **params)

    def __repr__(self) -> str:
        amp = "" if math.isnan(self.amplitude) else f", amp {self.amplitude:.1f}%"
        return (f"FeffPath({self.index}: {self.label}, reff {self.reff:.4f} A, N {self.degen:g}, "
                f"nleg {self.nleg}{amp})")


@dataclass(frozen=True, eq=False, repr=False)
class FeffResult(SummaryRepr):
    """The paths of one FEFF calculation, nearest first (FEFF's order).

    Iterate, index or ``len()`` it like a list of :class:`FeffPath`.

    Attributes
    ----------
    paths : tuple of FeffPath
    folder : str or None
        The FEFF folder (``folder=``, the cache entry, or a temporary folder that is
        removed when the last result/path using it is garbage-collected).
    feff_inp : str
        The input FEFF ran on ('' for paths loaded without it).
    version : int or None
        6 or 8 (None when loaded from files).
    log : str
        FEFF's screen output.
    warnings : tuple of str
        FEFF's non-fatal warnings (e.g. RMAX beyond the most distant atom).
    from_cache : bool
        True when :func:`run_feff` re-used a cached run.
    elapsed_s : float
        Wall time of the FEFF executables (0 for a cache hit, NaN when loaded).
    """

    paths: tuple[FeffPath, ...]
    folder: str | None = None
    feff_inp: str = ""
    version: int | None = None
    log: str = ""
    warnings: tuple[str, ...] = ()
    from_cache: bool = False
    elapsed_s: float = float("nan")

    _html_summary_lines = 1

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[FeffPath]:
        return iter(self.paths)

    def __getitem__(self, item):
        return self.paths[item]

    @property
    def absorber(self) -> str:
        return self.paths[0].absorber if self.paths else ""

    @property
    def edge(self) -> str:
        return self.paths[0].edge if self.paths else ""

    def select(self, rmax: float | None = None, nleg: int | None = None,
               min_amplitude: float | None = None) -> FeffResult:
        """The paths with ``reff <= rmax`` (Å), at most ``nleg`` legs and an amplitude ratio of at least
        ``min_amplitude`` (%), as a new FeffResult (same folder and input)."""
        keep = list(self.paths)
        if rmax is not None:
            keep = [p for p in keep if p.reff <= float(rmax) + 1e-6]
        if nleg is not None:
            keep = [p for p in keep if p.nleg <= int(nleg)]
        if min_amplitude is not None:
            if any(math.isnan(p.amplitude) for p in keep):
                raise DataError("amplitude ratios are unknown (no files.dat for these paths); "
                                "cannot select by min_amplitude")
            keep = [p for p in keep if p.amplitude >= float(min_amplitude)]
        return replace(self, paths=tuple(keep))

    def larch_paths(self, **params) -> list:
        """``[path.larch_path(**params) for path in self]``: larch FeffPathGroups for ``ff2chi``/``feffit``."""
        return [p.larch_path(**params) for p in self.paths]

    def chi(self, *, s02: float = 1.0, e0: float = 0.0, deltar=0.0, sigma2=0.0, kmax: float = 20.0,
            kstep: float = 0.05, sample: str = "", conditions: Mapping[str, Any] | None = None):
        """χ(k) of the sum of these paths (larch ``ff2chi``) as an :class:`~structkit.xas.exafs.Exafs`.

        Parameters
        ----------
        s02, e0 : float
            S0² and ΔE0 (eV) of every path.
        deltar, sigma2 : float or callable
            ΔR (Å) and σ² (Å²): one number for every path, or a function of the
            :class:`FeffPath` returning its number (e.g. ``lambda p: 0.004 if p.nleg == 2 else 0.01``).
        kmax, kstep : float
            The k grid (Å⁻¹) from 0.
        sample, conditions :
            Carried to the result (its ``source`` is the FEFF folder).

        Returns
        -------
        Exafs
            Ready for :meth:`~structkit.xas.exafs.Exafs.fourier` and ``.wavelet``, with the same
            settings as measured χ(k), so theory and data go through the same transform.
        """
        from .exafs import Exafs
        if not self.paths:
            raise DataError("no FEFF paths to sum (select() left none?)")

        def value(spec, p, name):
            v = spec(p) if callable(spec) else spec
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise DataError(f"{name} for path {p.index} ({p.label}) must be a finite number, got {v!r}")
            return float(v)

        lp = [p.larch_path(s02=float(s02), e0=float(e0), deltar=value(deltar, p, "deltar"),
                           sigma2=value(sigma2, p, "sigma2")) for p in self.paths]
        xafs = _larch.xafs()
        g = _larch.group()
        with _larch.quiet():
            xafs.ff2chi(lp, group=g, kmax=float(kmax), kstep=float(kstep))
        return Exafs.from_chi(np.asarray(g.k), np.asarray(g.chi), sample=sample, conditions=conditions,
                              source=self.folder or "FEFF")

    def to_frame(self):
        """One row per path: index, label, reff (Å), degen, nleg, amplitude (%), filename."""
        import pandas as pd
        cols = ["index", "label", "reff", "degen", "nleg", "amplitude", "filename"]
        return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.paths], columns=cols)

    def summary(self) -> str:
        src = "cache" if self.from_cache else (f"FEFF{self.version}" if self.version else "files")
        head = (f"FeffResult: {len(self)} path(s), {self.absorber} {self.edge} edge ({src}"
                f"{', ' + self.folder if self.folder else ''})")
        rows = [f"  {p.index:4d}  {p.label:<16s} reff {p.reff:7.4f}  N {p.degen:6g}  nleg {p.nleg}"
                + ("" if math.isnan(p.amplitude) else f"  amp {p.amplitude:6.2f}%") for p in self.paths]
        return "\n".join([head, *rows, *(f"  warning: {w}" for w in self.warnings)])


def _paths_from_files(files: Sequence[Path], amplitudes: Mapping[str, dict], owner=None) -> tuple[FeffPath, ...]:
    out = []
    for pos, f in enumerate(files, 1):
        info = _parse_feffdat(f)
        index = info["index"]
        if index is None:
            digits = re.findall(r"\d+", f.stem)
            index = int(digits[-1]) if digits else pos
        syms = tuple(_symbol_of(a[0]) for a in info["atoms"])
        amp = amplitudes.get(f.name, {}).get("amplitude", float("nan"))
        xyz = np.array([a[2:] for a in info["atoms"]], float)
        out.append(FeffPath(index=int(index), filename=str(f.resolve()), label="-".join(syms), reff=info["reff"],
                            degen=info["degen"], nleg=info["nleg"], amplitude=float(amp), symbols=syms,
                            ipots=tuple(a[1] for a in info["atoms"]), positions=xyz, edge=info["edge"],
                            _owner=owner))
    return tuple(out)


def _listed_files(folder: Path) -> tuple[list[Path], dict]:
    fdat = folder / "files.dat"
    if fdat.is_file():
        rows = _parse_files_dat(fdat)
        files = [folder / name for name in rows]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise ReadError(f"files.dat lists {', '.join(missing)} but the file(s) are missing", path=folder)
        return files, rows
    files = sorted(folder.glob("feff[0-9][0-9][0-9][0-9].dat"))
    return files, {}


def load_paths(folder_or_files) -> FeffResult:
    """The paths of an existing FEFF run: a folder (its ``files.dat``) or ``feffNNNN.dat`` file(s).

    A folder with a ``files.dat`` gives the paths it lists, with their amplitude
    ratios; without one, every ``feffNNNN.dat`` in it (amplitude NaN). A file
    or a list of files gives those paths (amplitudes from a ``files.dat`` next
    to them, when there is one). Reading needs no larch; :meth:`FeffPath.larch_path`
    makes the larch group.

    Raises
    ------
    ReadError
        Missing files, nothing to load, or a file that is not a FEFF path file.
    """
    if isinstance(folder_or_files, (str, os.PathLike)):
        target = Path(folder_or_files)
        if target.is_dir():
            files, rows = _listed_files(target)
            if not files:
                raise ReadError("no FEFF path files (files.dat or feffNNNN.dat) in this folder", path=target)
            inp = target / "feff.inp"
            text = inp.read_text(errors="replace") if inp.is_file() else ""
            return FeffResult(paths=_paths_from_files(files, rows), folder=str(target.resolve()), feff_inp=text)
        items = [target]
    else:
        items = [Path(f) for f in folder_or_files]
        if not items:
            raise ReadError("no FEFF path files given")
    for f in items:
        if not f.is_file():
            raise ReadError("FEFF path file not found", path=f)
    rows: dict[str, dict] = {}
    for parent in dict.fromkeys(f.parent for f in items):
        if (parent / "files.dat").is_file():
            try:
                rows.update(_parse_files_dat(parent / "files.dat"))
            except ReadError:
                pass
    folders = {str(f.parent.resolve()) for f in items}
    return FeffResult(paths=_paths_from_files(items, rows), folder=folders.pop() if len(folders) == 1 else None)


# ----------------------------------------------------------------------------------------------- running FEFF
_FEFF_OUTPUTS = ("files.dat", "paths.dat", "feff.err", "list.dat", "chi.dat", "xmu.dat")


def _feff_programs(version: int) -> list[Path]:
    _larch.xafs()          # MissingDependencyError with the install hint when larch is absent
    from larch.utils import bindir
    from larch.xafs.feffrunner import FeffRunner, find_exe
    names = ["feff6l"] if version == 6 else [f"feff8l_{m}" for m in FeffRunner.Feff8l_modules]
    progs = []
    for name in names:
        exe = find_exe(name)
        if exe is None:
            raise MissingDependencyError(f"larch's FEFF executable {name!r} is not in {bindir}: this xraylarch "
                                         "build has no FEFF binaries for this platform")
        progs.append(Path(exe))
    return progs


def _run_programs(folder: Path, programs: Sequence[Path], timeout_s: float | None, logname: str
                  ) -> tuple[str, int | None, str]:
    """Run the FEFF executables in ``folder``; returns (log text, return code of the last run, its name)."""
    chunks, rc, name = [], 0, ""
    env = dict(os.environ, GFORTRAN_UNBUFFERED_ALL="1")
    for prog in programs:
        name = prog.name
        chunks.append(f"======== running Feff module {name} ========\n")
        try:
            proc = subprocess.run([str(prog)], cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=timeout_s, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode("utf-8", "replace") if exc.stdout else ""
            chunks.append(out + f"\n[structkit] {name} killed after {timeout_s} s\n")
            rc = None
            break
        chunks.append(proc.stdout.decode("utf-8", "replace"))
        rc = proc.returncode
        if rc != 0:
            break
    log = "".join(chunks)
    (folder / logname).write_text(log)
    return log, rc, name


# (pattern, reason, explanation); the first match wins
_DIAGNOSES = [
    (r"Unknown keyword", "unknown_keyword", "feff.inp has a keyword FEFF{v} does not know"),
    (r"More than one absorbing atom", "several_absorbers", "more than one atom has ipot 0; one absorber only"),
    (r"No atoms or overlap cards for unique pot", "missing_potential",
     "a potential in POTENTIALS has no atom in ATOMS (ipot 0 = the absorber)"),
    (r"Unique potential\s+\d+\s+not allowed|\d+ not allowed", "too_many_potentials",
     "too many unique potentials for FEFF{v}"),
    (r"only does K and L shells", "unsupported_edge", "FEFF6L only does K and L edges; use version=8"),
    (r"TWO ATOMS VERY CLOSE", "atoms_too_close",
     "two atoms are closer than FEFF accepts (about 0.93 A); its paths would be nonsense"),
    (r"Program received signal|Segmentation fault|SIGSEGV|SIGFPE", "crashed",
     "FEFF{v} crashed (coincident atoms or an impossible structure are the usual cause)"),
    (r"PATHSD: no input|Paths found\s+0\b|^\s*0 paths kept", "no_paths", "no scattering path within RMAX"),
    (r"Fatal Error|ERROR", "fatal", "FEFF{v} stopped with an error"),
]
_WARNINGS = [
    (r"rmax > distance to most distant atom",
     "RMAX is larger than the cluster: paths beyond the last atom are missing"),
    (r"path finder limit exceeded", "FEFF's path finder hit an internal limit: the path list may be incomplete"),
]
_FEFF8_KEYWORDS = {"EDGE", "S02", "RPATH", "SCF", "EXAFS", "XANES", "FMS", "LDOS", "EXCHANGE", "COREHOLE"}


def _excerpt(log: str, err: str, pattern: str | None, width: int = 8) -> str:
    lines = [ln.rstrip() for ln in log.splitlines() if ln.strip()]
    hit = None
    if pattern:
        hit = next((k for k, ln in enumerate(lines) if re.search(pattern, ln)), None)
    chosen = lines[max(0, hit - 2): hit + width] if hit is not None else lines[-12:]
    text = "\n".join(chosen)
    err = err.strip()
    if err and err not in text:
        text += "\nfeff.err: " + err
    return text


def _diagnose(folder: Path, log: str, rc: int | None, prog: str, version: int, inp: _InpInfo,
              timeout_s) -> tuple[str, str, str] | None:
    """(reason, explanation, excerpt) of a failed FEFF run, or None when it looks fine."""
    err_file = folder / "feff.err"
    err = err_file.read_text(errors="replace") if err_file.is_file() else ""
    text = log + "\n" + err
    if rc is None:
        return "timeout", f"{prog} did not finish within {timeout_s} s", _excerpt(log, err, None)
    for pattern, reason, expl in _DIAGNOSES:
        if not re.search(pattern, text, flags=re.MULTILINE):
            continue
        if reason == "fatal" and rc == 0 and not err and (folder / "files.dat").is_file():
            continue                   # an "ERROR" word in an otherwise complete run
        expl = expl.format(v=version)
        if reason == "unknown_keyword":
            m = re.search(r'Unknown keyword:?\s*"?([^"\s]+)', text)
            kw = m.group(1).upper() if m else ""
            expl = f"FEFF{version} does not know the keyword {kw or '(see log)'}"
            if version == 6 and kw in _FEFF8_KEYWORDS:
                expl += " (a FEFF8 keyword: run with version=8, or use HOLE/RMAX for FEFF6)"
            elif version == 8 and kw in ("RMAX",):
                expl += " (FEFF8 takes RPATH)"
        elif reason == "missing_potential":
            m = re.search(r"unique pot\s+(\d+)", text)
            if m and int(m.group(1)) == 0:
                reason, expl = "no_absorber", "no atom has ipot 0 (the absorber)"
            elif m:
                expl = f"potential {m.group(1)} is defined in POTENTIALS but no atom in ATOMS uses it"
        elif reason == "no_paths":
            pos = np.array([a[1:4] for a in inp.atoms], float).reshape(-1, 3)
            d = np.linalg.norm(pos, axis=1) if len(pos) else np.zeros(0)
            d = d[d > _SAME_POSITION]
            near = f"; the nearest neighbour is at {d.min():.3f} A" if d.size else ""
            expl = f"no scattering path with reff <= RMAX = {inp.rmax} A{near}; raise rmax"
        return reason, expl, _excerpt(log, err, pattern)
    if rc != 0:
        return "crashed", f"{prog} exited with status {rc}", _excerpt(log, err, None)
    return None


def _prepare_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in _FEFF_OUTPUTS:
        (folder / name).unlink(missing_ok=True)
    for f in folder.glob("feff[0-9][0-9][0-9][0-9].dat"):
        f.unlink()


def _execute(workdir: Path, text: str, version: int, timeout_s, validate: bool) -> tuple:
    """Write feff.inp, run FEFF in ``workdir``, check everything; returns (files, rows, log, warnings, elapsed)."""
    info = _parse_inp(text)
    (workdir / "feff.inp").write_text(text)
    programs = _feff_programs(version)
    t0 = time.perf_counter()
    log, rc, prog = _run_programs(workdir, programs, timeout_s, f"feffrun_feff{version}l.log")
    elapsed = time.perf_counter() - t0
    bad = _diagnose(workdir, log, rc, prog, version, info, timeout_s)
    if bad is None:
        fdat = workdir / "files.dat"
        if not fdat.is_file() or fdat.stat().st_size == 0:
            hint = ""
            if version == 8:
                hint = " (feff8l writes files.dat and feffNNNN.dat only with 3 as the 6th PRINT field"
                if "HOLE" in info.keywords and "EDGE" not in info.keywords:
                    hint += "; this looks like a FEFF6 input: use version=6, or feff_input(..., version=8)"
                hint += ")"
            bad = ("no_output", f"FEFF{version} wrote no files.dat{hint}", _excerpt(log, "", None))
        else:
            rows = _parse_files_dat(fdat)
            if not rows:
                bad = ("no_paths", (f"files.dat lists no path (RMAX = {info.rmax} A too short, or every path "
                                    "below FEFF's amplitude cut)"), _excerpt(log, "", r"paths kept|Paths found"))
    if bad is not None:
        raise FeffError(f"FEFF{version} failed ({bad[0]}): {bad[1]}\n--- FEFF output ---\n{bad[2]}",
                        path=workdir, reason=bad[0], excerpt=bad[2])
    files = [workdir / name for name in rows]
    xafs = _larch.xafs()
    for f in files:
        problem = ""
        if not f.is_file() or f.stat().st_size == 0:
            problem = "missing or empty"
        else:
            try:
                _parse_feffdat(f)
                with _larch.quiet():
                    grp = xafs.feffpath(str(f))
                if len(getattr(grp._feffdat, "k", ())) < 4:
                    problem = "unreadable for larch (no k table)"
            except ReadError as exc:
                problem = exc.message
            except Exception as exc:  # noqa: BLE001 - larch's reader raises whatever numpy/scipy raise
                problem = f"larch cannot read it ({type(exc).__name__}: {exc})"
        if problem:
            raise FeffError(f"FEFF{version} failed (bad_path_file): {f.name} listed in files.dat is {problem}",
                            path=workdir, reason="bad_path_file", excerpt="")
    warns = tuple(msg for pattern, msg in _WARNINGS if re.search(pattern, log))
    return files, rows, log, warns, elapsed


def _cache_key(text: str, version: int) -> str:
    blob = f"{_CACHE_FORMAT}\nfeff{version}l\nxraylarch {_larch.larch_version()}\n{text}"
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_hit(entry: Path, key: str) -> bool:
    try:
        meta = json.loads((entry / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    return meta.get("key") == key and (entry / "files.dat").is_file()


def run_feff(cluster_or_inp_text, *, folder=None, edge: str = "K", rmax: float | None = None, nleg: int = 4,
             version: int = 6, cache_dir=None, timeout_s: float | None = 600.0, validate: bool = True) -> FeffResult:
    """Run FEFF6L/FEFF8L (bundled with xraylarch) on a cluster or a feff.inp and return its paths.

    Parameters
    ----------
    cluster_or_inp_text : Cluster, str or path-like
        A :class:`Cluster` (``feff.inp`` is written by :func:`feff_input` with
        ``edge``, ``rmax``, ``nleg``, ``version``), the text of a ``feff.inp``, or
        the path of one (then ``edge``/``rmax``/``nleg`` are not used: the input
        says it all; ``version`` chooses the executable).
    folder : str or path-like, optional
        Where FEFF runs and its files stay. An earlier run's ``files.dat``,
        ``paths.dat``, ``feff.err`` and ``feffNNNN.dat`` there are deleted first
        (so stale paths can never pass for new ones) and ``feff.inp`` is
        overwritten. Default: a temporary folder that is removed when the returned
        result (and every path taken from it) is garbage-collected.
    edge : str
        K, L1, L2, L3 (M1-M5 with ``version=8``).
    rmax : float, optional
        Longest half path length (Å); default :data:`DEFAULT_RMAX` (5 Å).
    nleg : int
        Most legs per path.
    version : {6, 8}
        feff6l or feff8l. Measured on 2 cores: TaCl6 (L3, RMAX 5, NLEG 4) 0.09 s / 0.51 s;
        fcc Cu, 79 atoms (K, RMAX 5.2, NLEG 4, 14 paths) 0.12 s / 0.46 s. The first call
        in a process also pays larch's import (about 2 s).
    cache_dir : str or path-like, optional
        Re-use runs: the key is the SHA-256 of the ``feff.inp`` text, the FEFF
        version and the xraylarch version; each run is kept in
        ``cache_dir/feff<version>-<key[:20]>/`` (the whole FEFF folder plus a
        ``structkit_feff_cache.json`` marker written last, so an interrupted run
        is never a hit). A hit reads the paths from there without running FEFF
        (``from_cache=True``), and copies the files into ``folder`` if one is
        given. Failed runs are not cached. Delete the folder to clear the cache.
    timeout_s : float or None
        Time limit per FEFF executable; a run that exceeds it is killed (FeffError, reason ``timeout``).
    validate : bool
        Check the input first (ipot 0 once, every ipot defined in POTENTIALS, no two atoms
        closer than :data:`MIN_DISTANCE_ANGSTROM`) and refuse it with a FeffError before FEFF
        crashes or silently computes nonsense on it.

    Returns
    -------
    FeffResult

    Raises
    ------
    FeffError
        FEFF failed or wrote unusable output; ``reason`` says how, the message quotes FEFF.
    DataError
        Bad arguments (unknown edge, nleg, version; see :func:`feff_input`).
    MissingDependencyError
        xraylarch (or its FEFF executables) is not installed.
    """
    version = _check_version(version)
    if isinstance(cluster_or_inp_text, Cluster):
        text = feff_input(cluster_or_inp_text, edge=edge, rmax=DEFAULT_RMAX if rmax is None else rmax,
                          nleg=nleg, version=version)
    elif isinstance(cluster_or_inp_text, os.PathLike) or (
            isinstance(cluster_or_inp_text, str) and "\n" not in cluster_or_inp_text.strip()):
        inp_path = Path(cluster_or_inp_text)            # one line cannot be a feff.inp: a file name
        if not inp_path.is_file():
            raise ReadError("feff.inp file not found (run_feff takes a Cluster, feff.inp text or its path)",
                            path=inp_path)
        try:
            text = inp_path.read_text(errors="replace")
        except OSError as exc:
            raise ReadError(f"cannot read feff.inp ({exc.strerror})", path=inp_path) from None
    elif isinstance(cluster_or_inp_text, str):
        text = cluster_or_inp_text if cluster_or_inp_text.endswith("\n") else cluster_or_inp_text + "\n"
    else:
        raise DataError(f"run_feff needs a Cluster or feff.inp text, got {type(cluster_or_inp_text).__name__}")
    if validate:
        _preflight(text, version)

    target = None if folder is None else Path(folder)
    cache = None if cache_dir is None else Path(cache_dir)
    entry = key = None
    if cache is not None:
        key = _cache_key(text, version)
        entry = cache / f"feff{version}-{key[:20]}"
        if _cache_hit(entry, key):
            src = entry
            if target is not None:
                _prepare_folder(target)
                shutil.copytree(entry, target, dirs_exist_ok=True)
                (target / _MARKER).unlink(missing_ok=True)
                src = target
            try:
                res = load_paths(src)
            except ReadError:
                res = None                        # a damaged entry: run again below
            if res is not None:
                log_file = src / f"feffrun_feff{version}l.log"
                log = log_file.read_text(errors="replace") if log_file.is_file() else ""
                return replace(res, feff_inp=text, version=version, log=log, from_cache=True, elapsed_s=0.0,
                               warnings=tuple(msg for pat, msg in _WARNINGS if re.search(pat, log)))

    if target is not None:
        _prepare_folder(target)
        workdir, owner = target, None
    else:
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=".feff-run-" if cache is not None else "structkit-feff-",
                                        dir=None if cache is None else cache))
        owner = None
    try:
        files, rows, log, warns, elapsed = _execute(workdir, text, version, timeout_s, validate)
    except FeffError as exc:
        if target is None:
            shutil.rmtree(workdir, ignore_errors=True)
            raise FeffError(exc.message + "\n(FEFF ran in a temporary folder, now removed; pass folder= to keep "
                            "its files)", reason=exc.reason, excerpt=exc.excerpt) from None
        raise
    except BaseException:
        if target is None:
            shutil.rmtree(workdir, ignore_errors=True)
        raise

    result_dir = workdir
    if cache is not None:
        meta = {"key": key, "format": _CACHE_FORMAT, "feff_version": version,
                "xraylarch": _larch.larch_version(), "created_unix": round(time.time(), 3)}
        staging = workdir
        if target is not None:                    # keep the user's folder; cache a copy
            staging = Path(tempfile.mkdtemp(prefix=".feff-run-", dir=cache))
            shutil.copytree(workdir, staging, dirs_exist_ok=True)
        (staging / _MARKER).write_text(json.dumps(meta, indent=1))
        if _cache_hit(entry, key):                             # another process stored it meanwhile
            stored = True
            shutil.rmtree(staging, ignore_errors=True)
        else:
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)       # a damaged or unfinished entry
            try:
                os.replace(staging, entry)
                stored = True
            except OSError:                                    # another process stored it first, or no room
                stored = _cache_hit(entry, key)
                if stored:
                    shutil.rmtree(staging, ignore_errors=True)
        if target is None:
            if stored:
                result_dir = entry
            else:                                              # could not store: keep the run as a temporary folder
                (staging / _MARKER).unlink(missing_ok=True)
                owner = _TempFolder(staging)
                result_dir = staging
        elif not stored:
            shutil.rmtree(staging, ignore_errors=True)
    elif target is None:
        owner = _TempFolder(workdir)

    files = [result_dir / f.name for f in files]
    return FeffResult(paths=_paths_from_files(files, rows, owner), folder=str(result_dir.resolve()), feff_inp=text,
                      version=version, log=log, warnings=warns, from_cache=False, elapsed_s=elapsed)
