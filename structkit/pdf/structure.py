"""Crystal structures for small-box PDF fits: :class:`Phase`, read from a CIF (gemmi) or a PDFfit ``.stru`` file.

A :class:`Phase` is a periodic unit cell with *every* atom of the cell listed (the
space-group operations already applied), an isotropic displacement parameter
(Uiso, Å²) and an occupancy per atom, and the per-phase PDF parameters of
PDFfit/pdffit2: ``scale``, the peak-sharpening terms ``delta1`` (Å) and ``delta2``
(Å²), ``sratio`` (σ ratio applied below ``rcut``, Å) and the spherical-particle
diameter ``spdiameter`` (Å, 0 = bulk). The space group only decides which cell
parameters are free in a fit (:attr:`Phase.lattice_system`): a = b = c for cubic,
a and c for tetragonal and hexagonal, a, b, c for orthorhombic, and so on.

Anisotropic displacement parameters are read but replaced by the equivalent
isotropic U (Ueq); :attr:`Phase.notes` says so.

Examples
--------
>>> cif = '''data_Ni
... _cell_length_a 3.52
... _cell_length_b 3.52
... _cell_length_c 3.52
... _cell_angle_alpha 90
... _cell_angle_beta 90
... _cell_angle_gamma 90
... _symmetry_space_group_name_H-M 'F m -3 m'
... loop_
... _atom_site_label
... _atom_site_fract_x
... _atom_site_fract_y
... _atom_site_fract_z
... _atom_site_U_iso_or_equiv
... Ni1 0 0 0 0.005
... '''
>>> ni = Phase.from_cif(cif)
>>> len(ni.sites), ni.lattice_system, ni.free_cell_parameters, round(ni.number_density, 5)
(4, 'cubic', ('a',), 0.09171)
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError, DataError, ReadError

__all__ = ["Site", "Phase", "LATTICE_SYSTEMS", "cell_from_free", "lattice_system_of"]

#: Cell constraints :func:`cell_from_free` knows, with their free parameters.
LATTICE_SYSTEMS = {
    "cubic": ("a",),
    "tetragonal": ("a", "c"),
    "orthorhombic": ("a", "b", "c"),
    "hexagonal": ("a", "c"),
    "rhombohedral": ("a", "alpha"),
    "monoclinic_a": ("a", "b", "c", "alpha"),
    "monoclinic_b": ("a", "b", "c", "beta"),
    "monoclinic_c": ("a", "b", "c", "gamma"),
    "triclinic": ("a", "b", "c", "alpha", "beta", "gamma"),
}
CELL_NAMES = ("a", "b", "c", "alpha", "beta", "gamma")
DEFAULT_UISO = 0.005


def cell_from_free(system: str, free) -> tuple[float, float, float, float, float, float]:
    """The six cell parameters (Å, degrees) from the free ones of a lattice system.

    Examples
    --------
    >>> cell_from_free("hexagonal", {"a": 3.0, "c": 5.0})
    (3.0, 3.0, 5.0, 90.0, 90.0, 120.0)
    """
    f = {k: float(v) for k, v in dict(free).items()}
    if system == "cubic":
        return (f["a"], f["a"], f["a"], 90.0, 90.0, 90.0)
    if system == "tetragonal":
        return (f["a"], f["a"], f["c"], 90.0, 90.0, 90.0)
    if system == "orthorhombic":
        return (f["a"], f["b"], f["c"], 90.0, 90.0, 90.0)
    if system == "hexagonal":
        return (f["a"], f["a"], f["c"], 90.0, 90.0, 120.0)
    if system == "rhombohedral":
        return (f["a"], f["a"], f["a"], f["alpha"], f["alpha"], f["alpha"])
    if system == "monoclinic_a":
        return (f["a"], f["b"], f["c"], f["alpha"], 90.0, 90.0)
    if system == "monoclinic_b":
        return (f["a"], f["b"], f["c"], 90.0, f["beta"], 90.0)
    if system == "monoclinic_c":
        return (f["a"], f["b"], f["c"], 90.0, 90.0, f["gamma"])
    if system == "triclinic":
        return tuple(f[k] for k in CELL_NAMES)
    raise ConfigError(f"unknown lattice system {system!r}; use one of {', '.join(LATTICE_SYSTEMS)}")


def lattice_system_of(space_group) -> str:
    """The cell constraint (a key of :data:`LATTICE_SYSTEMS`) of a space group (symbol, number or gemmi object).

    Trigonal groups give 'hexagonal' (hexagonal axes, gemmi's default) or 'rhombohedral'
    (':R' setting); monoclinic ones give 'monoclinic_<unique axis>'.

    Examples
    --------
    >>> lattice_system_of("Fm-3m"), lattice_system_of("Pbnm"), lattice_system_of("R-3m"), lattice_system_of("P21/c")
    ('cubic', 'orthorhombic', 'hexagonal', 'monoclinic_b')
    """
    sg = _space_group(space_group)
    system = sg.crystal_system_str()
    if system == "trigonal":
        return "rhombohedral" if sg.ext == "R" else "hexagonal"
    if system == "monoclinic":
        axis = (sg.qualifier or "b").lstrip("-")[:1] or "b"
        return f"monoclinic_{axis}"
    return system


def _space_group(space_group):
    import gemmi
    if isinstance(space_group, gemmi.SpaceGroup):
        return space_group
    sg = None
    try:
        if isinstance(space_group, (int, np.integer)) and not isinstance(space_group, bool):
            sg = gemmi.find_spacegroup_by_number(int(space_group)) if 1 <= int(space_group) <= 230 else None
        else:
            text = str(space_group).strip()
            sg = gemmi.find_spacegroup_by_name(text) or gemmi.find_spacegroup_by_name(text.replace(" ", ""))
    except (RuntimeError, ValueError):
        sg = None
    if sg is None:
        raise ConfigError(f"unknown space group {space_group!r}; give a Hermann-Mauguin symbol such as "
                          "'Fm-3m' or 'P 63/m m c', or a number 1-230")
    return sg


def _element(symbol: str, what: str = "element", path=None) -> str:
    """Canonical element symbol ('NI' -> 'Ni', 'O2-' -> 'O', 'Na+' -> 'Na', 'Ni1' -> 'Ni'); DataError if unknown.

    A two-letter start that is not an element falls back to its first letter only when the second
    letter is upper case (a label such as 'OW'), so that 'Xx' or 'Qa' are refused.
    """
    import gemmi

    def known(sym):
        el = gemmi.Element(sym)
        return el.name if el.atomic_number > 0 and el.name.lower() == sym.lower() else None

    text = str(symbol).strip()
    m = re.match(r"([A-Za-z])([A-Za-z]?)", text)
    name = None
    if m:
        name = known(m.group(0))
        if name is None and (not m.group(2) or m.group(2).isupper()):
            name = known(m.group(1))
    if name is None:
        raise DataError(f"{what} {symbol!r} is not an element symbol (expected e.g. 'Ni', 'O', 'La')", path=path)
    return name


@dataclass(frozen=True)
class Site:
    """One atom of the unit cell: element, fractional position, occupancy and Uiso (Å²)."""

    label: str
    element: str
    xyz: tuple[float, float, float]
    occupancy: float = 1.0
    uiso: float = DEFAULT_UISO

    def __post_init__(self):
        object.__setattr__(self, "element", _element(self.element, f"site {self.label!r}: element"))
        xyz = tuple(float(v) for v in self.xyz)
        if len(xyz) != 3 or not all(math.isfinite(v) for v in xyz):
            raise DataError(f"site {self.label!r}: xyz must be 3 finite fractional coordinates, got {self.xyz!r}")
        object.__setattr__(self, "xyz", xyz)
        occ, u = float(self.occupancy), float(self.uiso)
        if not (math.isfinite(occ) and 0.0 < occ <= 1.0 + 1e-6):
            raise DataError(f"site {self.label!r}: occupancy must be in (0, 1], got {self.occupancy!r}")
        if not (math.isfinite(u) and u >= 0.0):
            raise DataError(f"site {self.label!r}: Uiso must be >= 0 A^2, got {self.uiso!r}")
        object.__setattr__(self, "occupancy", occ)
        object.__setattr__(self, "uiso", u)


@dataclass(frozen=True)
class Phase:
    """A periodic crystal structure with the per-phase PDF parameters of PDFfit.

    Parameters
    ----------
    name : str
        Used in parameter and descriptor names (``pdf_<name>_a_angstrom`` in multi-phase fits).
    cell : tuple of 6 floats
        a, b, c (Å), alpha, beta, gamma (degrees).
    sites : tuple of Site
        Every atom of the cell (symmetry already applied).
    space_group : str
        Hermann-Mauguin symbol; decides the cell constraint unless ``lattice_system`` is given.
    lattice_system : str
        A key of :data:`LATTICE_SYSTEMS`; '' = from the space group.
    scale, delta1, delta2, sratio, rcut, spdiameter : float
        PDFfit's phase scale, linear (Å) and quadratic (Å²) peak sharpening, the σ ratio
        applied to pairs closer than ``rcut`` (Å), and the spherical-particle diameter (Å; 0 = none).
    """

    name: str
    cell: tuple[float, float, float, float, float, float]
    sites: tuple[Site, ...]
    space_group: str = "P 1"
    lattice_system: str = ""
    scale: float = 1.0
    delta1: float = 0.0
    delta2: float = 0.0
    sratio: float = 1.0
    rcut: float = 0.0
    spdiameter: float = 0.0
    source: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        where = self.source or None
        name = str(self.name).strip() or "phase"
        object.__setattr__(self, "name", name)
        cell = tuple(float(v) for v in self.cell)
        if len(cell) != 6 or not all(math.isfinite(v) for v in cell):
            raise DataError(f"phase {name}: cell must be 6 finite numbers (a, b, c, alpha, beta, gamma)", path=where)
        if min(cell[:3]) <= 0 or not all(0 < v < 180 for v in cell[3:]):
            raise DataError(f"phase {name}: cell lengths must be > 0 and angles in (0, 180) deg, got {cell}",
                            path=where)
        if not np.isfinite(_volume(cell)) or _volume(cell) <= 0:
            raise DataError(f"phase {name}: the cell angles {cell[3:]} do not make a cell", path=where)
        object.__setattr__(self, "cell", cell)
        sites = tuple(self.sites)
        if not sites:
            raise DataError(f"phase {name}: no atoms", path=where)
        if not all(isinstance(s, Site) for s in sites):
            raise ConfigError(f"phase {name}: sites must be Site objects")
        object.__setattr__(self, "sites", sites)
        system = self.lattice_system or (lattice_system_of(self.space_group) if self.space_group else "triclinic")
        if system not in LATTICE_SYSTEMS:
            raise ConfigError(f"phase {name}: unknown lattice_system {system!r}; use one of "
                              f"{', '.join(LATTICE_SYSTEMS)}")
        object.__setattr__(self, "lattice_system", system)
        free = {k: cell[CELL_NAMES.index(k)] for k in LATTICE_SYSTEMS[system]}
        snapped = cell_from_free(system, free)
        if any(abs(x - y) > 1e-3 * max(1.0, abs(y)) for x, y in zip(cell, snapped)):
            raise ConfigError(f"phase {name}: cell {cell} does not obey the {system} constraint of space group "
                              f"{self.space_group!r}; fix the cell or pass lattice_system='triclinic'", path=where)
        object.__setattr__(self, "cell", snapped)
        for key in ("scale", "delta1", "delta2", "sratio", "rcut", "spdiameter"):
            v = float(getattr(self, key))
            if not math.isfinite(v):
                raise ConfigError(f"phase {name}: {key} must be finite, got {v!r}")
            object.__setattr__(self, key, v)
        if self.scale <= 0:
            raise ConfigError(f"phase {name}: scale must be > 0, got {self.scale:g}")
        if self.sratio <= 0:
            raise ConfigError(f"phase {name}: sratio must be > 0, got {self.sratio:g}")
        if self.rcut < 0 or self.spdiameter < 0:
            raise ConfigError(f"phase {name}: rcut and spdiameter must be >= 0 (0 = not applied)")
        object.__setattr__(self, "notes", tuple(self.notes))

    # ------------------------------------------------------------------ derived
    @property
    def free_cell_parameters(self) -> tuple[str, ...]:
        """Cell parameters a fit may vary under the cell constraint."""
        return LATTICE_SYSTEMS[self.lattice_system]

    @property
    def volume_A3(self) -> float:
        return _volume(self.cell)

    @property
    def n_atoms(self) -> float:
        """Σ occupancy over the cell."""
        return float(sum(s.occupancy for s in self.sites))

    @property
    def number_density(self) -> float:
        """ρ0 in atoms/Å³ (Σ occupancy / V), as pdffit2 uses."""
        return self.n_atoms / self.volume_A3

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.element for s in self.sites))

    @property
    def fractional(self) -> np.ndarray:
        return np.array([s.xyz for s in self.sites], float)

    def replace(self, **changes) -> "Phase":
        """A copy with some fields changed (``cell=``, ``scale=``, ``uiso={'Ni': 0.004}`` ...).

        ``uiso`` takes a mapping from element (or site label) to a value, applied to every
        matching site.
        """
        uiso = changes.pop("uiso", None)
        if uiso is not None:
            sites = []
            for s in self.sites:
                u = uiso.get(s.label, uiso.get(s.element, s.uiso))
                sites.append(dataclasses.replace(s, uiso=u))
            changes["sites"] = tuple(sites)
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ readers
    @classmethod
    def from_cif(cls, path_or_text, *, name: str | None = None, default_uiso: float = DEFAULT_UISO,
                 min_occupancy: float = 0.0, **params) -> "Phase":
        """Read a CIF (file or text) with gemmi and expand the sites to the whole cell.

        Parameters
        ----------
        path_or_text : str or path-like
            A CIF file, or CIF text (a string with a newline or starting with ``data_``).
        name : str, optional
            Phase name; default the CIF block name.
        default_uiso : float
            Uiso (Å²) for sites without displacement parameters (a note records it).
        min_occupancy : float
            Sites with a smaller occupancy are dropped.
        **params
            Phase fields (``scale``, ``delta2``, ``spdiameter``, ``lattice_system`` ...).

        Raises
        ------
        ReadError
            The CIF does not parse, has no atom sites or no cell.
        DataError
            A site's element is not known.
        """
        from ..io._cif import read_small_structure
        st, source = read_small_structure(path_or_text, needs="a PDF fit")
        where = None if source == "<CIF text>" else source
        notes = []
        sg = st.spacegroup
        sg_name = sg.xhm() if sg is not None else ""
        if sg is None:
            notes.append("no space group in the CIF: cell parameters are refined as triclinic")
        cell = (st.cell.a, st.cell.b, st.cell.c, st.cell.alpha, st.cell.beta, st.cell.gamma)
        sites, defaulted, aniso = [], set(), set()
        for s in st.get_all_unit_cell_sites():
            if s.occ < min_occupancy:
                continue
            el = s.element.name
            if not el or el == "X" or s.element.atomic_number <= 0:
                raise DataError(f"site {s.label!r} has no known element (type symbol {s.type_symbol!r})",
                                path=where)
            u = float(s.u_iso)
            if s.aniso.nonzero():
                u = _ueq(cell, (s.aniso.u11, s.aniso.u22, s.aniso.u33, s.aniso.u12, s.aniso.u13, s.aniso.u23))
                aniso.add(s.label)
            if not u > 0:
                u = float(default_uiso)
                defaulted.add(s.label)
            sites.append(Site(s.label, el, (s.fract.x, s.fract.y, s.fract.z), min(float(s.occ), 1.0), u))
        if not sites:
            raise ReadError(f"no atom sites with occupancy >= {min_occupancy:g}", path=where)
        if defaulted:
            notes.append(f"no displacement parameters for {', '.join(sorted(defaulted))}: "
                         f"Uiso = {default_uiso:g} A^2")
        if aniso:
            notes.append(f"anisotropic ADPs of {', '.join(sorted(aniso))} replaced by Ueq")
        params.setdefault("source", source)
        return cls(name=name or st.name or "phase", cell=cell, sites=tuple(sites), space_group=sg_name,
                   notes=tuple(notes), **params)

    @classmethod
    def from_file(cls, path, **params) -> "Phase":
        """:meth:`from_stru` for a ``.stru`` file, :meth:`from_cif` for anything else."""
        reader = cls.from_stru if str(path).lower().endswith(".stru") else cls.from_cif
        return reader(path, **params)

    @classmethod
    def from_stru(cls, path_or_text, *, name: str | None = None, **params) -> "Phase":
        """Read a PDFfit ``.stru`` structure file (format ``pdffit`` or ``discus``).

        The header gives ``scale``, ``sharp`` (delta2, delta1, sratio, rcut; or the older three-value
        delta2, sratio, rcut), ``spcgr``, ``shape sphere, d``, ``cell`` and ``ncell``; after ``atoms``
        each atom takes six lines in the pdffit format (symbol x y z occ / esds / u11 u22 u33 /
        esds / u12 u13 u23 / esds) or one line in the discus format (symbol x y z B).
        With ``ncell`` n1, n2, n3 > 1 the listed atoms fill a supercell, which becomes the cell.

        Raises
        ------
        ReadError
            A line does not parse, or the atom count disagrees with ``ncell``.
        DataError
            An atom's element is not known.
        """
        text, source = _text_of(path_or_text, ".stru")
        where = None if source == "<stru text>" else source
        lines = text.splitlines()
        header: dict = {"title": "", "format": "pdffit", "scale": 1.0, "sharp": (0.0, 0.0, 1.0, 0.0),
                        "spcgr": "", "cell": None, "ncell": (1, 1, 1, None), "sphere": 0.0}
        notes = []
        i = 0
        for i, line in enumerate(lines):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            key = words[0].lower()
            if key == "atoms":
                break
            rest = line.split(None, 1)[1] if len(words) > 1 else ""
            try:
                if key == "title":
                    header["title"] = rest.strip()
                elif key == "format":
                    header["format"] = rest.strip().lower()
                elif key == "scale":
                    header["scale"] = _floats(rest)[0]
                elif key == "sharp":
                    v = _floats(rest)
                    header["sharp"] = (v[0], v[1], v[2], v[3]) if len(v) >= 4 else (v[0], 0.0, v[1], v[2])
                elif key == "spcgr":
                    header["spcgr"] = rest.strip()
                elif key == "cell":
                    header["cell"] = tuple(_floats(rest)[:6])
                elif key == "ncell":
                    v = _floats(rest)
                    header["ncell"] = (int(v[0]), int(v[1]), int(v[2]), int(v[3]) if len(v) > 3 else None)
                elif key == "shape":
                    w = rest.replace(",", " ").split()
                    if w and w[0].lower() == "sphere":
                        header["sphere"] = float(w[1])
                    else:
                        notes.append(f"shape {' '.join(w)} ignored (only 'sphere' is modelled)")
            except (IndexError, ValueError):
                raise ReadError(f"cannot read the '{key}' line: {line.strip()!r}", path=where, line=i + 1) from None
        else:
            raise ReadError("no 'atoms' line: not a PDFfit structure file", path=where)
        if header["cell"] is None or len(header["cell"]) != 6:
            raise ReadError("no 'cell' line with a, b, c, alpha, beta, gamma", path=where)
        cell = header["cell"]
        body = [(k + 1, ln) for k, ln in enumerate(lines[i + 1:], start=i + 1) if ln.strip()]
        raw = []                                   # (label, symbol, xyz, occ, u6)
        if header["format"] == "pdffit":
            if len(body) % 6:
                raise ReadError(f"{len(body)} atom lines after 'atoms'; the pdffit format has 6 per atom",
                                path=where, line=body[-1][0] if body else None)
            for k in range(0, len(body), 6):
                lnum, first = body[k]
                try:
                    w = first.split()
                    sym = w[0]
                    x, y, z, occ = (float(v) for v in w[1:5])
                    u11, u22, u33 = _floats(body[k + 2][1])[:3]
                    u12, u13, u23 = _floats(body[k + 4][1])[:3]
                except (IndexError, ValueError):
                    raise ReadError(f"cannot read the atom starting here: {first.strip()!r}", path=where,
                                    line=lnum) from None
                raw.append((lnum, sym, (x, y, z), occ, (u11, u22, u33, u12, u13, u23)))
        else:
            for lnum, ln in body:
                try:
                    w = ln.split()
                    sym = w[0]
                    x, y, z = (float(v) for v in w[1:4])
                    b = float(w[4]) if len(w) > 4 else 0.0
                except (IndexError, ValueError):
                    raise ReadError(f"cannot read the atom line {ln.strip()!r}", path=where, line=lnum) from None
                u = b / (8 * math.pi ** 2)
                raw.append((lnum, sym, (x, y, z), 1.0, (u, u, u, 0.0, 0.0, 0.0)))
        n1, n2, n3, ncatoms = header["ncell"]
        if min(n1, n2, n3) < 1:
            raise ReadError(f"ncell {n1}, {n2}, {n3} must be >= 1", path=where)
        if ncatoms is not None and n1 * n2 * n3 * ncatoms != len(raw):
            raise ReadError(f"{len(raw)} atoms listed, but ncell says {n1}x{n2}x{n3}x{ncatoms}", path=where)
        ucell = cell
        if (n1, n2, n3) != (1, 1, 1):
            cell = (cell[0] * n1, cell[1] * n2, cell[2] * n3, *cell[3:])
            notes.append(f"supercell {n1}x{n2}x{n3} of the {ucell[0]:g}, {ucell[1]:g}, {ucell[2]:g} A cell "
                         "is the periodic cell")
        sites, aniso, counts = [], False, {}
        for lnum, sym, (x, y, z), occ, u6 in raw:
            el = _element(sym, f"line {lnum}: atom", path=where)
            u11, u22, u33, u12, u13, u23 = u6
            if abs(u11 - u22) > 1e-12 or abs(u11 - u33) > 1e-12 or any(abs(v) > 1e-12 for v in (u12, u13, u23)):
                aniso = True
                u = _ueq(ucell, u6)
            else:
                u = u11
            counts[el] = counts.get(el, 0) + 1
            sites.append(Site(f"{el}{counts[el]}", el, (x / n1, y / n2, z / n3), occ, u))
        if aniso:
            notes.append("anisotropic ADPs replaced by Ueq")
        spcgr = header["spcgr"]
        if spcgr and (n1, n2, n3) != (1, 1, 1):
            notes.append(f"space group {spcgr} not used for the supercell: cell refined as triclinic")
            spcgr = ""
        if spcgr:
            try:
                _space_group(spcgr)
            except ConfigError:
                notes.append(f"space group {spcgr!r} unknown to gemmi: cell refined as triclinic")
                spcgr = ""
        delta2, delta1, sratio, rcut = header["sharp"]
        defaults = dict(scale=header["scale"], delta1=delta1, delta2=delta2, sratio=sratio, rcut=rcut,
                        spdiameter=header["sphere"], source=source)
        defaults.update(params)
        if not name:
            name = Path(source).stem if where else (header["title"] or "phase")
        return cls(name=name, cell=cell, sites=tuple(sites), space_group=spcgr, notes=tuple(notes),
                   **defaults)


# ---------------------------------------------------------------------------------------------- helpers
def _volume(cell) -> float:
    a, b, c = cell[:3]
    ca, cb, cg = (math.cos(math.radians(v)) for v in cell[3:])
    arg = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg
    return a * b * c * math.sqrt(arg) if arg > 0 else float("nan")


def metric_tensor(cell) -> np.ndarray:
    """G_ij = a_i · a_j (Å²)."""
    a, b, c = cell[:3]
    ca, cb, cg = (math.cos(math.radians(v)) for v in cell[3:])
    return np.array([[a * a, a * b * cg, a * c * cb],
                     [a * b * cg, b * b, b * c * ca],
                     [a * c * cb, b * c * ca, c * c]])


def _ueq(cell, u6) -> float:
    """Equivalent isotropic U of Uij given on the crystal axes (CIF / PDFfit convention)."""
    u11, u22, u33, u12, u13, u23 = u6
    U = np.array([[u11, u12, u13], [u12, u22, u23], [u13, u23, u33]], float)
    G = metric_tensor(cell)
    recip = np.sqrt(np.diag(np.linalg.inv(G)))          # |a*_i|
    return float(np.einsum("ij,i,j,ij->", U, recip, recip, G) / 3.0)


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.replace(",", " ").split()]


def _text_of(path_or_text, suffix: str) -> tuple[str, str]:
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return path_or_text, f"<{suffix.lstrip('.')} text>"
    path = Path(path_or_text)
    if not path.is_file():
        raise ReadError("file not found", path=path)
    try:
        return path.read_text(encoding="utf-8", errors="replace"), str(path)
    except OSError as exc:
        raise ReadError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
