"""Space groups, unit cells and the allowed powder reflections of a phase.

Symmetry comes from gemmi: the space-group symbol is parsed by
``gemmi.SpaceGroup``, the allowed reflections (one per asymmetric unit,
systematic absences removed) by ``gemmi.make_miller_array``. Everything that
depends on the cell is plain numpy, because a Le Bail fit recomputes every
d-spacing at each evaluation of the residual while the cell refines::

    1 / d² = hᵀ G* h            (G* the reciprocal metric tensor)

Powder multiplicities are Friedel-merged: the number of distinct ``h R`` over
the point-group rotations (``sym_ops``, which carry no centring) and their
negatives. Each reflection is labelled by a canonical member of its
equivalent set: the one with the fewest negative indices, then with the
negative indices last, then the lexicographically largest. A cubic phase
lists (2 0 0) and (3 1 1), a hexagonal one (1 1 0) and (1 1 -2), not
(0 2 0), (1 3 1), (2 -1 0) or (2 -1 2).

Reflections that are not symmetry-equivalent but have the same d are kept
apart: (1 1 2) and (1 1 -2) of P-31c (Laue class -31m) are two reflections
with two intensities. Origin choices ('Fd-3m' is origin 1 in gemmi,
'Fd-3m:2' origin 2) and hexagonal versus rhombohedral axes ('R-3m' is
'R -3 m:H', 'R-3m:R' the rhombohedral cell) follow gemmi.

Examples
--------
>>> cell = parse_cell("a=4.05", "Fm-3m")
>>> refl = generate_reflections("Fm-3m", cell, d_min_angstrom=1.2)
>>> refl.labels()
['(1 1 1)', '(2 0 0)', '(2 2 0)', '(3 1 1)']
>>> refl.multiplicity.tolist(), refl.d_angstrom.round(4).tolist()
([8, 6, 12, 24], [2.3383, 2.025, 1.4319, 1.2211])
>>> free_cell_parameters("P 63/m m c"), cell_from_free("P6_3/mmc", {"a": 3.2, "c": 5.2})
(('a', 'c'), Cell(a=3.2, b=3.2, c=5.2, alpha=90, beta=90, gamma=120))
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.errors import ConfigError, DataError

__all__ = ["Cell", "ReflectionList", "crystal_system", "lattice_setting", "monoclinic_unique_axis",
           "free_cell_parameters", "cell_from_free", "parse_cell", "d_spacing", "generate_reflections",
           "reflections_in_range"]

_DEG = math.pi / 180.0
_CELL_NAMES = ("a", "b", "c", "alpha", "beta", "gamma")
_ANGLES = ("alpha", "beta", "gamma")
_ONES3 = np.ones(3)
_SG_HINT = "give a Hermann-Mauguin symbol such as 'Fm-3m', 'P 1 21/c 1', 'P21/c', 'R-3m:R' or a number 1-230"


# --------------------------------------------------------------------------- space groups
@dataclass(frozen=True, eq=False)
class _SpaceGroupInfo:
    """What this module needs from one gemmi space group (cached per symbol)."""

    sg: object                      # gemmi.SpaceGroup
    xhm: str                        # 'R -3 m:H', 'P 1 21/c 1', ...
    system: str
    setting: str                    # crystal system, or 'hexagonal'/'rhombohedral' for R groups
    unique_axis: str                # 'a', 'b', 'c' for monoclinic groups, '' otherwise
    free: tuple[str, ...]
    rotations: np.ndarray           # (n, 3, 3) int: h' = h @ R, centring-free point-group rotations


def _space_group(space_group) -> _SpaceGroupInfo:
    """Parse ``space_group`` (symbol, number or gemmi.SpaceGroup) into a cached :class:`_SpaceGroupInfo`."""
    if isinstance(space_group, (bool, np.bool_)):
        raise ConfigError(f"space group {space_group!r} is not a symbol or a number; {_SG_HINT}")
    if isinstance(space_group, (int, np.integer)):
        key: str | int = int(space_group)
    elif isinstance(space_group, str):
        key = " ".join(space_group.replace("_", "").split())
        if key.isdigit():
            key = int(key)
    elif hasattr(space_group, "xhm"):
        key = space_group.xhm()
    else:
        raise ConfigError(f"space group {space_group!r} is not a symbol or a number; {_SG_HINT}")
    if isinstance(key, int) and not 1 <= key <= 230:   # gemmi maps 0 to P 1
        raise ConfigError(f"space-group number {key} is outside 1-230; {_SG_HINT}")
    info = _space_group_cached(key)
    if info is None:
        raise ConfigError(f"unknown space group {space_group!r}; {_SG_HINT}")
    return info


@lru_cache(maxsize=256)
def _space_group_cached(key) -> _SpaceGroupInfo | None:
    import gemmi

    try:
        sg = gemmi.SpaceGroup(key)
    except (ValueError, RuntimeError, TypeError):
        return None
    system = sg.crystal_system_str()
    ext = sg.ext if sg.ext.isalnum() else ""
    axis = sg.monoclinic_unique_axis() if system == "monoclinic" else ""
    axis = axis if axis in ("a", "b", "c") else ("b" if system == "monoclinic" else "")
    if sg.hm.startswith("R"):
        setting = "rhombohedral" if ext == "R" else "hexagonal"
    else:
        setting = system
    if system == "cubic":
        free: tuple[str, ...] = ("a",)
    elif setting == "rhombohedral":
        free = ("a", "alpha")
    elif system in ("tetragonal", "hexagonal", "trigonal"):
        free = ("a", "c")
    elif system == "orthorhombic":
        free = ("a", "b", "c")
    elif system == "monoclinic":
        free = ("a", "b", "c", {"a": "alpha", "b": "beta", "c": "gamma"}[axis])
    else:
        free = _CELL_NAMES
    rot = np.array([op.rot for op in sg.operations().sym_ops], dtype=np.int64) // gemmi.Op.DEN
    rot.setflags(write=False)
    return _SpaceGroupInfo(sg=sg, xhm=sg.xhm(), system=system, setting=setting, unique_axis=axis,
                           free=free, rotations=rot)


def crystal_system(space_group) -> str:
    """Crystal system of a space group.

    Parameters
    ----------
    space_group : str or int
        Hermann-Mauguin symbol (``'Fm-3m'``, ``'F m -3 m'``, ``'P21/c'``,
        ``'P4_2/mnm'``, ``'R-3m:R'``) or number (1-230).

    Returns
    -------
    str
        One of 'triclinic', 'monoclinic', 'orthorhombic', 'tetragonal',
        'trigonal', 'hexagonal', 'cubic'.

    Examples
    --------
    >>> crystal_system("Fm-3m"), crystal_system(163), crystal_system("R-3m")
    ('cubic', 'trigonal', 'trigonal')
    """
    return _space_group(space_group).system


def lattice_setting(space_group) -> str:
    """The lattice the cell parameters refer to.

    Trigonal R groups give ``'hexagonal'`` (gemmi's default, ``'R -3 m:H'``)
    or ``'rhombohedral'`` (``'R -3 m:R'``); every other group gives its crystal
    system (so P-31c is ``'trigonal'``, with hexagonal axes).

    Examples
    --------
    >>> lattice_setting("R-3m"), lattice_setting("R -3 m:R"), lattice_setting("P-31c")
    ('hexagonal', 'rhombohedral', 'trigonal')
    """
    return _space_group(space_group).setting


def monoclinic_unique_axis(space_group) -> str:
    """Unique axis of a monoclinic group (``'b'`` unless the symbol says otherwise); ``''`` if not monoclinic.

    Examples
    --------
    >>> monoclinic_unique_axis("P21/c"), monoclinic_unique_axis("P 1 1 21"), monoclinic_unique_axis("Pnma")
    ('b', 'c', '')
    """
    return _space_group(space_group).unique_axis


def free_cell_parameters(space_group) -> tuple[str, ...]:
    """Cell parameters not fixed by symmetry, in the order a, b, c, alpha, beta, gamma.

    Examples
    --------
    >>> free_cell_parameters("Fm-3m"), free_cell_parameters("R-3m:R"), free_cell_parameters("P 1 1 21")
    (('a',), ('a', 'alpha'), ('a', 'b', 'c', 'gamma'))
    """
    return _space_group(space_group).free


# --------------------------------------------------------------------------- cells
@dataclass(frozen=True)
class Cell:
    """Unit cell: lengths ``a, b, c`` in Å, angles ``alpha, beta, gamma`` in degrees.

    Raises :class:`~structkit.core.errors.ConfigError` for a length that is
    not positive and finite, an angle outside (0, 180) or angles that do not
    make a cell (zero or imaginary volume).

    Examples
    --------
    >>> c = Cell(5.0, 5.0, 8.0, 90, 90, 120)
    >>> round(c.volume_A3, 3), c
    (173.205, Cell(a=5, b=5, c=8, alpha=90, beta=90, gamma=120))
    """

    a: float
    b: float
    c: float
    alpha: float = 90.0
    beta: float = 90.0
    gamma: float = 90.0

    def __post_init__(self):
        for name in _CELL_NAMES:
            raw = getattr(self, name)
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"cell parameter {name}={raw!r} is not a number") from None
            if name in _ANGLES:
                if not (math.isfinite(value) and 0.0 < value < 180.0):
                    raise ConfigError(f"cell angle {name}={value!r} deg must be between 0 and 180")
            elif not (math.isfinite(value) and value > 0.0):
                raise ConfigError(f"cell length {name}={value!r} Å must be positive and finite")
            object.__setattr__(self, name, value)
        if self._volume_factor_sq() <= 1e-12:
            raise ConfigError(f"angles alpha={self.alpha:g}, beta={self.beta:g}, gamma={self.gamma:g} deg "
                              "do not make a cell (zero or imaginary volume)")

    def _volume_factor_sq(self) -> float:
        ca, cb, cg = (math.cos(getattr(self, n) * _DEG) for n in _ANGLES)
        return 1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg

    @property
    def volume_A3(self) -> float:
        """Cell volume in Å³, ``abc sqrt(1 - cos²α - cos²β - cos²γ + 2 cosα cosβ cosγ)``."""
        return self.a * self.b * self.c * math.sqrt(self._volume_factor_sq())

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        """``(a, b, c, alpha, beta, gamma)`` in Å and degrees."""
        return (self.a, self.b, self.c, self.alpha, self.beta, self.gamma)

    def reciprocal_metric(self) -> np.ndarray:
        """Reciprocal metric tensor G* (3×3, Å⁻²), so that ``1/d² = h @ G* @ h``.

        Examples
        --------
        >>> Cell(2.0, 4.0, 5.0).reciprocal_metric().diagonal().tolist()
        [0.25, 0.0625, 0.04]
        """
        a, b, c = self.a, self.b, self.c
        ca, cb, cg = (math.cos(getattr(self, n) * _DEG) for n in _ANGLES)
        sa2, sb2, sg2 = 1.0 - ca * ca, 1.0 - cb * cb, 1.0 - cg * cg
        v2 = (a * b * c) ** 2 * self._volume_factor_sq()
        g11 = (b * c) ** 2 * sa2 / v2
        g22 = (a * c) ** 2 * sb2 / v2
        g33 = (a * b) ** 2 * sg2 / v2
        g12 = a * b * c * c * (ca * cb - cg) / v2
        g13 = a * b * b * c * (cg * ca - cb) / v2
        g23 = a * a * b * c * (cb * cg - ca) / v2
        return np.array([[g11, g12, g13], [g12, g22, g23], [g13, g23, g33]])

    def __repr__(self) -> str:
        return "Cell(" + ", ".join(f"{n}={getattr(self, n):.10g}" for n in _CELL_NAMES) + ")"


def _describe(info: _SpaceGroupInfo) -> str:
    if info.system == "monoclinic":
        return f"{info.xhm} (monoclinic, unique axis {info.unique_axis})"
    if info.sg.hm.startswith("R") or info.system == "trigonal":
        axes = "rhombohedral axes" if info.setting == "rhombohedral" else "hexagonal axes"
        return f"{info.xhm} (trigonal, {axes})"
    return f"{info.xhm} ({info.system})"


def _fill_cell(info: _SpaceGroupInfo, v: Mapping[str, float]) -> tuple[float, ...]:
    """All six parameters from the free ones (constraints of ``info.setting``)."""
    s = info.setting
    if s == "cubic":
        return (v["a"], v["a"], v["a"], 90.0, 90.0, 90.0)
    if s == "rhombohedral":
        return (v["a"], v["a"], v["a"], v["alpha"], v["alpha"], v["alpha"])
    if s == "tetragonal":
        return (v["a"], v["a"], v["c"], 90.0, 90.0, 90.0)
    if s in ("hexagonal", "trigonal"):
        return (v["a"], v["a"], v["c"], 90.0, 90.0, 120.0)
    if s == "orthorhombic":
        return (v["a"], v["b"], v["c"], 90.0, 90.0, 90.0)
    if s == "monoclinic":
        return (v["a"], v["b"], v["c"], v.get("alpha", 90.0), v.get("beta", 90.0), v.get("gamma", 90.0))
    return tuple(v[n] for n in _CELL_NAMES)


def cell_from_free(space_group, free: Mapping[str, float]) -> Cell:
    """The full :class:`Cell` from the free parameters of ``space_group``.

    Parameters
    ----------
    space_group : str or int
        Space-group symbol or number.
    free : mapping
        Exactly the names of :func:`free_cell_parameters` (keys are
        case-insensitive), lengths in Å and angles in degrees.

    Returns
    -------
    Cell
        With the values fixed by symmetry filled in (tetragonal b = a and
        right angles, hexagonal gamma = 120, rhombohedral a = b = c and
        alpha = beta = gamma, ...).

    Raises
    ------
    ConfigError
        A free parameter is missing, a fixed one is given, or a value is not
        a positive finite number; the message names it and the allowed names.

    Examples
    --------
    >>> cell_from_free("I4/mmm", {"a": 4.0, "c": 12.5})
    Cell(a=4, b=4, c=12.5, alpha=90, beta=90, gamma=90)
    >>> cell_from_free("I4/mmm", {"a": 4.0, "b": 4.1, "c": 12.5})
    Traceback (most recent call last):
    ...
    structkit.core.errors.ConfigError: cell parameter b is fixed by the symmetry of I 4/m m m ...
    """
    info = _space_group(space_group)
    values: dict[str, float] = {}
    for key, raw in free.items():
        name = str(key).strip().lower()
        if name in values:
            raise ConfigError(f"cell parameter {name} is given twice; give each of {', '.join(info.free)} once")
        values[name] = raw
    allowed = ", ".join(info.free)
    extra = [n for n in values if n not in info.free]
    if extra:
        kind = "is fixed by the symmetry of" if extra[0] in _CELL_NAMES else "is not a cell parameter of"
        raise ConfigError(f"cell parameter {extra[0]} {kind} {_describe(info)}; give only {allowed}")
    missing = [n for n in info.free if n not in values]
    if missing:
        raise ConfigError(f"cell of {_describe(info)} needs {allowed}; missing {', '.join(missing)}")
    for name, raw in values.items():
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"cell parameter {name}={raw!r} is not a number; {_describe(info)} "
                              f"needs {allowed}") from None
        if not (math.isfinite(value) and value > 0.0):
            raise ConfigError(f"cell parameter {name}={value!r} must be positive and finite "
                              f"({'deg' if name in _ANGLES else 'Å'})")
        values[name] = value
    return Cell(*_fill_cell(info, values))


_TOKEN = re.compile(r"([A-Za-z]+)\s*=\s*([^\s,;=]+)")


def parse_cell(text: str, space_group) -> Cell:
    """A :class:`Cell` from a command-line string such as ``"a=8.48,b=5.398,c=6.958"``.

    Pairs ``name=value`` are separated by commas, semicolons or spaces; names
    are case-insensitive; only the free parameters of ``space_group`` may
    be given (see :func:`cell_from_free`).

    Examples
    --------
    >>> parse_cell("a=5.0 c=8.0", "P-31c")
    Cell(a=5, b=5, c=8, alpha=90, beta=90, gamma=120)
    >>> parse_cell("A = 8.48, b=5.398; C=6.958", "Pnma").as_tuple()
    (8.48, 5.398, 6.958, 90.0, 90.0, 90.0)
    """
    text = str(text)
    pairs = _TOKEN.findall(text)
    rest = _TOKEN.sub(" ", text).replace(",", " ").replace(";", " ").strip()
    info = _space_group(space_group)
    if rest or not pairs:
        raise ConfigError(f"cannot read cell {text!r}: write name=value pairs such as "
                          f"'{', '.join(f'{n}=...' for n in info.free)}' for {_describe(info)}")
    values: dict[str, str] = {}
    for name, raw in pairs:
        name = name.lower()
        if name in values:
            raise ConfigError(f"cell {text!r}: {name} is given twice")
        values[name] = raw
    try:
        return cell_from_free(info.xhm, values)
    except ConfigError as exc:
        raise ConfigError(f"cell {text!r}: {exc.message}") from None


def _check_cell(info: _SpaceGroupInfo, cell: Cell) -> None:
    """ConfigError if ``cell`` breaks the metric constraints of the space group."""
    expected = _fill_cell(info, {n: getattr(cell, n) for n in _CELL_NAMES})
    for name, want, got in zip(_CELL_NAMES, expected, cell.as_tuple()):
        tol = 0.01 if name in _ANGLES else 1e-4 * want
        if abs(want - got) > tol:
            raise ConfigError(f"{cell} does not fit {_describe(info)}: {name} should be {want:g}; "
                              f"build the cell with cell_from_free() or parse_cell()")


# --------------------------------------------------------------------------- d-spacings
def d_spacing(hkl, cell: Cell) -> np.ndarray:
    """Interplanar spacings d (Å) from ``1/d² = h G* hᵀ``, vectorised over reflections.

    Parameters
    ----------
    hkl : array_like, shape (m, 3)
        Miller indices (integers or floats).
    cell : Cell
        The unit cell.

    Returns
    -------
    ndarray, shape (m,)
        d in Å (``inf`` for (0 0 0)).

    Examples
    --------
    >>> cell = Cell(8.48, 5.398, 6.958)
    >>> d_spacing([[2, 0, 0], [1, 1, 1]], cell).round(4).tolist()
    [4.24, 3.8102]
    """
    h = np.asarray(hkl, dtype=float)
    if h.ndim != 2 or h.shape[1] != 3:
        raise DataError(f"hkl must have shape (m, 3); got {h.shape}")
    q2 = ((h @ cell.reciprocal_metric()) * h) @ _ONES3      # ~50 µs for 5000 reflections
    with np.errstate(divide="ignore"):
        return 1.0 / np.sqrt(q2)


# --------------------------------------------------------------------------- reflection lists
def _orbits(hkl: np.ndarray, rotations: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Canonical representative and Friedel-merged multiplicity of each row of ``hkl``."""
    reps, mults = [np.zeros((0, 3), dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for start in range(0, hkl.shape[0], chunk):        # bounded memory: (chunk, 2 n_ops, 3) at a time
        part = hkl[start:start + chunk]
        eq = np.einsum("mi,nij->mnj", part, rotations)
        eq = np.concatenate([eq, -eq], axis=1)                                   # Friedel's law
        off = int(np.abs(eq).max()) + 1
        base = 2 * off + 1
        code = ((eq[..., 0] + off) * base + (eq[..., 1] + off)) * base + (eq[..., 2] + off)   # lexicographic
        srt = np.sort(code, axis=1)
        mults.append(1 + np.count_nonzero(np.diff(srt, axis=1), axis=1))
        nonneg = eq >= 0
        signs = 8 * np.count_nonzero(nonneg, axis=2) + 4 * nonneg[..., 0] + 2 * nonneg[..., 1] + nonneg[..., 2]
        best = np.argmax(signs * base ** 3 + code, axis=1)   # fewest negatives, negatives last, then largest
        reps.append(eq[np.arange(part.shape[0]), best])
    return np.concatenate(reps), np.concatenate(mults)


@dataclass(frozen=True, eq=False)
class ReflectionList:
    """Allowed, symmetry-unique powder reflections of one phase, by decreasing d.

    Attributes
    ----------
    space_group : str
        gemmi's extended Hermann-Mauguin symbol (``'R -3 m:H'``).
    hkl : ndarray of int, shape (m, 3)
        Canonical representative of each reflection.
    multiplicity : ndarray of int, shape (m,)
        Friedel-merged powder multiplicity.
    d_angstrom : ndarray, shape (m,)
        d-spacings (Å) at the cell the list was generated for; recompute with
        :func:`d_spacing` when the cell changes.

    Examples
    --------
    >>> r = generate_reflections("P-31c", Cell(5.0, 5.0, 8.0, 90, 90, 120), d_min_angstrom=2.1)
    >>> len(r), r.labels()[:5], r.multiplicity[:5].tolist()
    (9, ['(1 0 0)', '(0 0 2)', '(1 0 1)', '(1 0 2)', '(1 1 0)'], [6, 2, 12, 12, 6])

    (1 1 2) and (1 1 -2) are not equivalent in -31m: two reflections, same d.

    >>> r.labels()[-2:], r.d_angstrom[-2:].round(4).tolist()
    (['(1 1 2)', '(1 1 -2)'], [2.12, 2.12])
    >>> r.select(r.is_hk0).labels(), r.group("hhl").labels()
    (['(1 0 0)', '(1 1 0)', '(2 0 0)'], ['(0 0 2)', '(1 1 0)', '(1 1 2)', '(1 1 -2)'])
    """

    space_group: str
    hkl: np.ndarray
    multiplicity: np.ndarray
    d_angstrom: np.ndarray

    def __post_init__(self):
        hkl = np.array(self.hkl, dtype=np.int64).reshape(-1, 3)
        mult = np.array(self.multiplicity, dtype=np.int64).reshape(-1)
        d = np.array(self.d_angstrom, dtype=float).reshape(-1)
        if not (hkl.shape[0] == mult.size == d.size):
            raise DataError(f"ReflectionList: {hkl.shape[0]} hkl, {mult.size} multiplicities and "
                            f"{d.size} d-spacings; they must have the same length")
        for name, arr in (("hkl", hkl), ("multiplicity", mult), ("d_angstrom", d)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.d_angstrom.size)

    @property
    def h(self) -> np.ndarray:
        return self.hkl[:, 0]

    @property
    def k(self) -> np.ndarray:
        return self.hkl[:, 1]

    @property
    def l(self) -> np.ndarray:
        return self.hkl[:, 2]

    @property
    def is_hk0(self) -> np.ndarray:
        """Boolean mask of the (h k 0) reflections, ``l == 0``."""
        return self.hkl[:, 2] == 0

    def select(self, mask) -> ReflectionList:
        """A new list with the rows picked by a boolean mask or an index array (order kept)."""
        mask = np.asarray(mask)
        if mask.dtype == bool and mask.shape != (len(self),):
            raise DataError(f"select: boolean mask of shape {mask.shape} for {len(self)} reflections")
        return ReflectionList(self.space_group, self.hkl[mask], self.multiplicity[mask], self.d_angstrom[mask])

    def group(self, which) -> ReflectionList:
        """A zone or family of reflections, matched on the listed (canonical) indices.

        Parameters
        ----------
        which : str, callable or boolean mask
            A pattern of three characters from ``0hkl`` (``'hk0'``: l = 0,
            ``'00l'``, ``'h0l'``, ``'hhl'``: h = k, ``'hhh'``, ...), a function
            ``f(h, k, l) -> mask`` on the index arrays, or a mask.
        """
        if isinstance(which, str):
            mask = self._pattern_mask(which)
        elif callable(which):
            mask = np.asarray(which(self.h, self.k, self.l), dtype=bool)
        else:
            mask = np.asarray(which, dtype=bool)
        return self.select(mask)

    def _pattern_mask(self, pattern: str) -> np.ndarray:
        p = pattern.strip().lower().strip("()").replace(" ", "")
        if len(p) != 3 or any(ch not in "0hkl" for ch in p):
            raise ConfigError(f"reflection group {pattern!r}: use three characters from 0, h, k, l "
                              "such as 'hk0', '00l', 'h0l' or 'hhl'")
        mask = np.ones(len(self), dtype=bool)
        first: dict[str, int] = {}
        for i, ch in enumerate(p):
            if ch == "0":
                mask &= self.hkl[:, i] == 0
            elif ch in first:
                mask &= self.hkl[:, i] == self.hkl[:, first[ch]]
            else:
                first[ch] = i
        return mask

    def labels(self) -> list[str]:
        """``'(h k l)'`` strings, e.g. ``'(1 1 -2)'``."""
        return [f"({h} {k} {l})" for h, k, l in self.hkl.tolist()]

    def __repr__(self) -> str:
        if len(self) == 0:
            return f"ReflectionList({self.space_group}, 0 reflections)"
        return (f"ReflectionList({self.space_group}, {len(self)} reflections, "
                f"d {self.d_angstrom[0]:.4f}-{self.d_angstrom[-1]:.4f} Å)")


def generate_reflections(space_group, cell: Cell, *, d_min_angstrom: float,
                         d_max_angstrom: float = math.inf) -> ReflectionList:
    """Allowed, symmetry-unique reflections with ``d_min <= d <= d_max``.

    Parameters
    ----------
    space_group : str or int
        Space-group symbol or number (see :func:`crystal_system`).
    cell : Cell
        Unit cell; it must obey the symmetry of the group (hexagonal
        gamma = 120, tetragonal a = b, ...).
    d_min_angstrom, d_max_angstrom : float
        d range in Å.

    Returns
    -------
    ReflectionList
        By decreasing d (ties by decreasing h, k, l), systematic absences
        removed, Friedel-merged multiplicities.

    Raises
    ------
    ConfigError
        Unknown space group, a cell that does not fit it, or a bad d range.
    DataError
        No allowed reflection in the range.

    Examples
    --------
    Si (Fd-3m): (2 2 2) is allowed by the space group; its zero intensity
    comes from the atoms on 8a, not from the symmetry.

    >>> r = generate_reflections(227, Cell(5.431, 5.431, 5.431), d_min_angstrom=1.5)
    >>> list(zip(r.labels(), r.multiplicity.tolist()))
    [('(1 1 1)', 8), ('(2 2 0)', 12), ('(3 1 1)', 24), ('(2 2 2)', 8)]
    """
    import gemmi

    info = _space_group(space_group)
    if not isinstance(cell, Cell):
        raise ConfigError(f"cell must be a Cell (use cell_from_free() or parse_cell()); got {cell!r}")
    d_min, d_max = float(d_min_angstrom), float(d_max_angstrom)
    if not (math.isfinite(d_min) and d_min > 0.0):
        raise ConfigError(f"d_min_angstrom={d_min_angstrom!r} must be positive and finite")
    if not d_max > d_min:
        raise ConfigError(f"d_max_angstrom={d_max_angstrom!r} must be larger than d_min_angstrom={d_min:g}")
    _check_cell(info, cell)
    unit_cell = gemmi.UnitCell(*cell.as_tuple())
    raw = np.asarray(gemmi.make_miller_array(unit_cell, info.sg, d_min * (1.0 - 1e-9), 0.0, True),
                     dtype=np.int64).reshape(-1, 3)
    hkl, mult = _orbits(raw, info.rotations)
    d = d_spacing(hkl, cell)
    keep = (d >= d_min) & (d <= d_max)
    hkl, mult, d = hkl[keep], mult[keep], d[keep]
    if hkl.shape[0] == 0:
        raise DataError(f"no allowed reflection of {info.xhm} with {cell} has d between {d_min:g} and "
                        f"{d_max:g} Å; check the cell, the wavelength and the 2-theta range")
    order = np.lexsort((-hkl[:, 2], -hkl[:, 1], -hkl[:, 0], -np.round(d, 9)))
    return ReflectionList(info.xhm, hkl[order], mult[order], d[order])


def reflections_in_range(space_group, cell: Cell, wavelength_angstrom: float, two_theta_min_deg: float,
                         two_theta_max_deg: float, margin_deg: float = 1.0) -> ReflectionList:
    """Reflections whose 2θ falls in ``[2θ_min - margin, 2θ_max + margin]`` at one wavelength.

    The margin keeps reflections that a refining cell or a zero shift can move
    into the range.

    Examples
    --------
    >>> r = reflections_in_range("Fm-3m", Cell(4.05, 4.05, 4.05), 1.5405929, 30.0, 70.0)
    >>> r.labels()
    ['(1 1 1)', '(2 0 0)', '(2 2 0)']
    """
    lam = float(wavelength_angstrom)
    lo, hi, margin = float(two_theta_min_deg), float(two_theta_max_deg), float(margin_deg)
    if not (math.isfinite(lam) and lam > 0.0):
        raise ConfigError(f"wavelength_angstrom={wavelength_angstrom!r} must be positive (Å)")
    if not (math.isfinite(margin) and margin >= 0.0):
        raise ConfigError(f"margin_deg={margin_deg!r} must be zero or positive")
    if not (0.0 <= lo < hi <= 180.0):
        raise ConfigError(f"2-theta range {two_theta_min_deg!r}-{two_theta_max_deg!r} deg must satisfy "
                          "0 <= min < max <= 180")
    top = min(hi + margin, 180.0)
    bottom = lo - margin
    d_min = lam / (2.0 * math.sin(top * _DEG / 2.0))
    d_max = lam / (2.0 * math.sin(bottom * _DEG / 2.0)) if bottom > 0.0 else math.inf
    try:
        return generate_reflections(space_group, cell, d_min_angstrom=d_min, d_max_angstrom=d_max)
    except DataError:
        raise DataError(f"no allowed reflection of {_space_group(space_group).xhm} with {cell} between "
                        f"{lo:g} and {hi:g} deg 2-theta at {lam:g} Å (d {d_min:.4g}-{d_max:.4g} Å); "
                        "check the cell, the wavelength and the range") from None
