"""Tests for structkit.xrd.reflections: space groups, cells, d-spacings and allowed reflections.

The oracle is Dans_Diffraction (``test`` extra), which carries its own symmetry
tables (Bilbao Crystallographic Server general positions) and its own
d-spacing code, independent of gemmi. From it the tests build every
reflection of a d-shell (not only one per asymmetric unit), keep those whose
structure factor for one atom on a general position is not zero, and compare
with structkit: the d-spacings, the number of allowed reflection vectors at
each d (= the summed powder multiplicity), and each reflection's Friedel-merged
multiplicity and orbit.
"""

import math
import time

import gemmi
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError
from structkit.xrd.reflections import (
    Cell,
    ReflectionList,
    cell_from_free,
    crystal_system,
    d_spacing,
    free_cell_parameters,
    generate_reflections,
    lattice_setting,
    monoclinic_unique_axis,
    parse_cell,
    reflections_in_range,
)

# --------------------------------------------------------------------------- oracle
#: (structkit symbol, ITA number in Dans' Bilbao tables (standard setting), cell, d_min in Å)
ORACLE_CASES = [
    ("Fm-3m", 225, (4.05, 4.05, 4.05, 90, 90, 90), 0.9),           # Al
    ("Pm-3m", 221, (3.905, 3.905, 3.905, 90, 90, 90), 0.8),        # SrTiO3
    ("Ia-3d", 230, (12.97, 12.97, 12.97, 90, 90, 90), 1.5),        # garnet (LLZO)
    ("I4/mmm", 139, (3.9, 3.9, 12.5, 90, 90, 90), 1.0),
    ("P4_2/mnm", 136, (4.594, 4.594, 2.959, 90, 90, 90), 0.9),     # rutile
    ("P6_3/mmc", 194, (3.21, 3.21, 5.21, 90, 90, 120), 0.9),
    ("P-31c", 163, (5.0, 5.0, 8.0, 90, 90, 120), 1.0),
    ("Pnma", 62, (8.48, 5.398, 6.958, 90, 90, 90), 1.3),           # PbSO4 (anglesite)
    ("P2_1/c", 14, (5.1, 6.2, 7.3, 90, 105, 90), 1.2),
    ("R-3m", 166, (2.816, 2.816, 14.05, 90, 90, 120), 1.0),        # LiCoO2, hexagonal axes
    ("F-43m", 216, (5.43, 5.43, 5.43, 90, 90, 90), 0.9),           # non-centrosymmetric: Friedel pairs
    ("P6_3mc", 186, (3.25, 3.25, 5.21, 90, 90, 120), 0.9),         # non-centrosymmetric, polar
    ("P-1", 2, (5.0, 6.0, 7.0, 80, 85, 95), 1.3),
]

_GENERAL_POSITION = (0.1234, 0.2711, 0.3719)


@pytest.fixture(scope="module")
def dans():
    return pytest.importorskip("Dans_Diffraction", reason="oracle: pip install structkit[test]")


class DansOracle:
    """Everything the comparison needs, computed with Dans_Diffraction only (plus plain numpy sums)."""

    def __init__(self, dans, number, cellpar, d_min):
        xtl = dans.Crystal()
        xtl.Cell.latt(*cellpar)
        xtl.Symmetry.load_spacegroup(number)
        self.xtl = xtl
        # Dans' own duplicate removal merges distinct positions closer than its tolerance in small
        # cells (96 of the 192 Fm-3m positions survive at a = 4.05 Å): keep all, remove exact repeats
        pos = xtl.Symmetry.symmetric_coordinates(list(_GENERAL_POSITION), remove_identical=False) % 1.0
        _, idx = np.unique(np.round(pos, 6) % 1.0, axis=0, return_index=True)
        pos = pos[idx]
        hmax = np.ceil(np.asarray(cellpar[:3]) / d_min).astype(int)
        grid = np.mgrid[-hmax[0]:hmax[0] + 1, -hmax[1]:hmax[1] + 1, -hmax[2]:hmax[2] + 1].reshape(3, -1).T
        grid = grid[np.any(grid != 0, axis=1)]
        d = np.asarray(xtl.Cell.dspace(grid), dtype=float)
        grid, d = grid[d >= d_min], d[d >= d_min]
        f = np.abs(np.exp(2j * np.pi * (grid @ pos.T)).sum(axis=1)) / len(pos)
        allowed = f > 1e-6      # absent: ~1e-15; allowed: > 1e-4 for these cases
        self.hkl, self.d = grid[allowed], d[allowed]
        self.absent = grid[~allowed]

    def orbit(self, hkl) -> set[tuple[int, int, int]]:
        """Equivalents of hkl under Dans' symmetry operations, plus their Friedel mates."""
        eq = np.rint(self.xtl.Symmetry.symmetric_reflections(hkl)).astype(int)
        return {tuple(v) for v in eq.tolist()} | {tuple(v) for v in (-eq).tolist()}


def _shells(d, weights, tol=1e-7):
    """Group equal d (within tol Å): list of (d, summed weight), by decreasing d."""
    order = np.argsort(-d, kind="stable")
    d, w = np.asarray(d)[order], np.asarray(weights)[order]
    out = []
    for di, wi in zip(d, w):
        if out and abs(out[-1][0] - di) < tol:
            out[-1][1] += wi
        else:
            out.append([di, wi])
    return [(a, int(b)) for a, b in out]


@pytest.mark.parametrize("symbol, number, cellpar, d_min", ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_matches_dans_diffraction(dans, symbol, number, cellpar, d_min):
    oracle = DansOracle(dans, number, cellpar, d_min)
    refl = generate_reflections(symbol, Cell(*cellpar), d_min_angstrom=d_min)

    # d-spacings of the same hkl, from Dans' lattice code
    assert_allclose(refl.d_angstrom, np.asarray(oracle.xtl.Cell.dspace(refl.hkl), dtype=float), rtol=0, atol=1e-9)

    # the d-shells and the number of allowed reflection vectors in each (= summed multiplicity)
    ours = _shells(refl.d_angstrom, refl.multiplicity)
    theirs = _shells(oracle.d, np.ones(len(oracle.d), dtype=int))
    assert len(ours) == len(theirs)
    assert_allclose([s[0] for s in ours], [s[0] for s in theirs], rtol=0, atol=1e-6)
    assert [s[1] for s in ours] == [s[1] for s in theirs]

    # each reflection: allowed, its multiplicity is the size of its orbit, orbits are disjoint and cover
    allowed = {tuple(h) for h in oracle.hkl.tolist()}
    covered: set[tuple[int, int, int]] = set()
    for hkl, mult in zip(refl.hkl.tolist(), refl.multiplicity.tolist()):
        orbit = oracle.orbit(hkl)
        assert tuple(hkl) in allowed
        assert mult == len(orbit), hkl
        assert not covered & orbit, f"{hkl} is equivalent to another listed reflection"
        covered |= orbit
    assert covered == allowed


def test_oracle_sees_known_absences(dans):
    # the oracle itself: Fm-3m mixed parity absent, Ia-3d (2 1 1) allowed, (1 1 0) absent
    fcc = DansOracle(dans, 225, (4.05,) * 3 + (90,) * 3, 1.0)
    absent = {tuple(h) for h in fcc.absent.tolist()}
    assert (1, 0, 0) in absent and (1, 1, 0) in absent and (1, 1, 1) not in absent
    garnet = DansOracle(dans, 230, (12.0,) * 3 + (90,) * 3, 2.0)
    allowed = {tuple(h) for h in garnet.hkl.tolist()}
    assert (2, 1, 1) in allowed and (1, 1, 0) not in allowed and (2, 2, 0) in allowed and (2, 0, 0) not in allowed


# --------------------------------------------------------------------------- known lists
def test_fcc_list_labels_and_multiplicities():
    refl = generate_reflections("F m -3 m", Cell(4.05, 4.05, 4.05), d_min_angstrom=0.9)
    assert refl.labels()[:6] == ["(1 1 1)", "(2 0 0)", "(2 2 0)", "(3 1 1)", "(2 2 2)", "(4 0 0)"]
    assert refl.multiplicity[:6].tolist() == [8, 6, 12, 24, 8, 6]
    assert_allclose(refl.d_angstrom[:2], [4.05 / math.sqrt(3), 2.025], rtol=1e-12)
    assert refl.space_group == "F m -3 m"


def test_p31c_keeps_equal_d_reflections_apart():
    refl = generate_reflections("P-31c", Cell(5.0, 5.0, 8.0, 90, 90, 120), d_min_angstrom=1.2)
    lab = refl.labels()
    i, j = lab.index("(1 1 2)"), lab.index("(1 1 -2)")
    assert refl.d_angstrom[i] == pytest.approx(refl.d_angstrom[j], abs=1e-12)
    assert refl.multiplicity[i] == refl.multiplicity[j] == 6
    assert len(refl) == 36                                           # DEPS_NOTES §6
    # c-glide: (h h -2h l) with odd l and (0 0 l) with odd l are absent
    assert "(0 0 1)" not in lab and "(1 1 1)" not in lab and "(0 0 2)" in lab
    expected = {"(1 0 0)": 6, "(0 0 2)": 2, "(1 0 1)": 12, "(1 1 0)": 6, "(1 0 2)": 12}
    assert expected.items() <= dict(zip(lab, refl.multiplicity.tolist())).items()


def test_friedel_law_in_non_centrosymmetric_groups():
    refl = generate_reflections("F-43m", Cell(5.43, 5.43, 5.43), d_min_angstrom=1.5)
    m = dict(zip(refl.labels(), refl.multiplicity.tolist()))
    assert m["(1 1 1)"] == 8 and m["(2 2 0)"] == 12 and m["(3 1 1)"] == 24
    refl = generate_reflections("P63mc", Cell(3.25, 3.25, 5.21, 90, 90, 120), d_min_angstrom=1.5)
    m = dict(zip(refl.labels(), refl.multiplicity.tolist()))
    assert m["(1 0 1)"] == 12 and m["(0 0 2)"] == 2 and "(0 0 1)" not in m


def test_canonical_representatives_are_positive_ish():
    cubic = generate_reflections("Pm-3m", Cell(4.0, 4.0, 4.0), d_min_angstrom=1.0).labels()
    assert "(2 0 0)" in cubic and "(3 1 1)" in cubic and "(0 2 0)" not in cubic and "(1 3 1)" not in cubic
    hexa = generate_reflections("P6_3/mmc", Cell(3.2, 3.2, 5.2, 90, 90, 120), d_min_angstrom=1.0).labels()
    assert "(1 1 0)" in hexa and "(2 -1 0)" not in hexa
    ortho = generate_reflections("Pnma", Cell(8.48, 5.398, 6.958), d_min_angstrom=1.5).hkl
    assert (ortho >= 0).all()
    rhombo = generate_reflections("R-3m", Cell(2.816, 2.816, 14.05, 90, 90, 120), d_min_angstrom=1.4).labels()
    assert rhombo[:4] == ["(0 0 3)", "(1 0 1)", "(0 0 6)", "(0 1 2)"]     # obverse: -h + k + l = 3n


def test_rhombohedral_and_hexagonal_axes_give_the_same_pattern():
    a_h, c_h = 2.816, 14.05
    hexa = generate_reflections("R-3m", Cell(a_h, a_h, c_h, 90, 90, 120), d_min_angstrom=0.9)
    a_r = math.sqrt(3 * a_h**2 + c_h**2) / 3
    alpha = 2 * math.degrees(math.asin(3 * a_h / (2 * math.sqrt(3 * a_h**2 + c_h**2))))
    cell_r = cell_from_free("R-3m:R", {"a": a_r, "alpha": alpha})
    rhombo = generate_reflections("R -3 m:R", cell_r, d_min_angstrom=0.9)
    assert_allclose(cell_r.volume_A3 * 3, Cell(a_h, a_h, c_h, 90, 90, 120).volume_A3, rtol=1e-12)
    ours, theirs = _shells(hexa.d_angstrom, hexa.multiplicity), _shells(rhombo.d_angstrom, rhombo.multiplicity)
    assert [s[1] for s in ours] == [s[1] for s in theirs]
    assert_allclose([s[0] for s in ours], [s[0] for s in theirs], atol=1e-9)


def test_monoclinic_unique_axis_c_equals_relabelled_unique_axis_b():
    c_setting = generate_reflections("P 1 1 21", Cell(5.0, 6.0, 7.0, 90, 90, 100), d_min_angstrom=1.2)
    b_setting = generate_reflections("P 1 21 1", Cell(5.0, 7.0, 6.0, 90, 100, 90), d_min_angstrom=1.2)
    ours, theirs = _shells(c_setting.d_angstrom, c_setting.multiplicity), _shells(b_setting.d_angstrom,
                                                                                    b_setting.multiplicity)
    assert [s[1] for s in ours] == [s[1] for s in theirs]
    assert_allclose([s[0] for s in ours], [s[0] for s in theirs], atol=1e-9)
    assert "(0 0 1)" not in c_setting.labels() and "(0 1 0)" not in b_setting.labels()


# --------------------------------------------------------------------------- d-spacings and cells
def _direct_basis(a, b, c, alpha, beta, gamma):
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    sg = math.sin(math.radians(gamma))
    cx = cb
    cy = (ca - cb * cg) / sg
    return np.array([[a, 0, 0], [b * cg, b * sg, 0], [c * cx, c * cy, c * math.sqrt(1 - cx * cx - cy * cy)]])


def _d_from_direct_lattice(hkl, cellpar):
    """d = 1/|h a* + k b* + l c*| with a* = (b × c)/V built from Cartesian direct vectors."""
    va, vb, vc = _direct_basis(*cellpar)
    vol = va @ np.cross(vb, vc)
    recip = np.array([np.cross(vb, vc), np.cross(vc, va), np.cross(va, vb)]) / vol
    return 1.0 / np.linalg.norm(np.asarray(hkl, float) @ recip, axis=1)


_HKL = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [1, -2, 3], [-4, 1, 2], [3, 3, -1], [5, 0, -7]])


@settings(max_examples=60, deadline=None)
@given(lengths=st.tuples(*[st.floats(2.0, 30.0)] * 3),
       angles=st.tuples(*[st.floats(60.0, 120.0)] * 3))
def test_d_spacing_equals_direct_lattice_computation(lengths, angles):
    try:
        cell = Cell(*lengths, *angles)
    except ConfigError:      # angles that do not close a cell
        return
    if cell.volume_A3 < 0.05 * np.prod(lengths):
        return               # nearly flat cells: the Cartesian construction loses precision
    assert_allclose(d_spacing(_HKL, cell), _d_from_direct_lattice(_HKL, cell.as_tuple()), rtol=1e-9)
    assert_allclose(cell.volume_A3, abs(np.linalg.det(_direct_basis(*cell.as_tuple()))), rtol=1e-9)
    g = _direct_basis(*cell.as_tuple()) @ _direct_basis(*cell.as_tuple()).T
    assert_allclose(cell.reciprocal_metric() @ g, np.eye(3), atol=1e-9)


def test_volumes_of_known_cells():
    assert Cell(4.05, 4.05, 4.05).volume_A3 == pytest.approx(4.05**3, rel=1e-14)
    assert Cell(8.48, 5.398, 6.958).volume_A3 == pytest.approx(318.50, abs=0.01)     # PbSO4
    assert Cell(3.21, 3.21, 5.21, 90, 90, 120).volume_A3 == pytest.approx(math.sqrt(3) / 2 * 3.21**2 * 5.21)
    assert Cell(5.1, 6.2, 7.3, 90, 105, 90).volume_A3 == pytest.approx(5.1 * 6.2 * 7.3 * math.sin(math.radians(105)))
    cellpar = (5.0, 6.0, 7.0, 80, 85, 95)
    assert Cell(*cellpar).volume_A3 == pytest.approx(gemmi.UnitCell(*cellpar).volume, rel=1e-12)   # third code path


def test_refined_cell_changes_d_as_expected():
    refl = generate_reflections("Fm-3m", Cell(4.05, 4.05, 4.05), d_min_angstrom=0.9)
    d1 = d_spacing(refl.hkl, cell_from_free("Fm-3m", {"a": 4.06}))
    assert_allclose(d1 / refl.d_angstrom, 4.06 / 4.05, rtol=1e-13)

    refl = generate_reflections("I4/mmm", Cell(3.9, 3.9, 12.5), d_min_angstrom=1.0)
    d1 = d_spacing(refl.hkl, cell_from_free("I4/mmm", {"a": 3.9, "c": 12.51}))
    hk0, l00 = refl.is_hk0, (refl.h == 0) & (refl.k == 0)
    assert_allclose(d1[hk0], refl.d_angstrom[hk0], rtol=1e-14)
    assert_allclose(d1[l00] / refl.d_angstrom[l00], 12.51 / 12.5, rtol=1e-13)
    mixed = ~hk0 & ~l00
    assert (d1[mixed] > refl.d_angstrom[mixed]).all()

    refl = generate_reflections("P6_3/mmc", Cell(3.21, 3.21, 5.21, 90, 90, 120), d_min_angstrom=0.9)
    d1 = d_spacing(refl.hkl, cell_from_free("P6_3/mmc", {"a": 3.22, "c": 5.21}))
    l00 = (refl.h == 0) & (refl.k == 0)
    assert l00.sum() >= 2
    assert_allclose(d1[l00], refl.d_angstrom[l00], rtol=1e-14)
    assert_allclose(d1[refl.is_hk0] / refl.d_angstrom[refl.is_hk0], 3.22 / 3.21, rtol=1e-13)

    # a numerical derivative of d with respect to beta: d(100) = a sin(beta) for unique axis b
    cell = cell_from_free("P21/c", {"a": 5.1, "b": 6.2, "c": 7.3, "beta": 105.0})
    cell2 = cell_from_free("P21/c", {"a": 5.1, "b": 6.2, "c": 7.3, "beta": 105.01})
    d = d_spacing([[1, 0, 0]], cell)[0], d_spacing([[1, 0, 0]], cell2)[0]
    assert d == pytest.approx((5.1 * math.sin(math.radians(105)), 5.1 * math.sin(math.radians(105.01))), rel=1e-13)


def test_d_spacing_input_checks_and_zero_vector():
    cell = Cell(4.0, 4.0, 4.0)
    assert d_spacing(np.zeros((0, 3), int), cell).shape == (0,)
    assert d_spacing([[0, 0, 0]], cell)[0] == np.inf
    with pytest.raises(DataError, match=r"shape \(m, 3\)"):
        d_spacing([1, 1, 1], cell)


def test_d_spacing_is_vectorised_and_fast_enough():
    # speed sanity only (about 50-100 µs for 5000 reflections on a laptop); no timing assertion
    cell = Cell(8.48, 5.398, 6.958, 90, 105, 90)
    hkl = np.random.default_rng(0).integers(-12, 13, (5000, 3))
    t0 = time.perf_counter()
    for _ in range(100):
        d = d_spacing(hkl, cell)
    _elapsed_per_call_s = (time.perf_counter() - t0) / 100
    assert d.shape == (5000,)
    assert_allclose(d, _d_from_direct_lattice(hkl, cell.as_tuple()), rtol=1e-9)


# --------------------------------------------------------------------------- space groups
@pytest.mark.parametrize("spec", ["Fm-3m", "F m -3 m", 225, "225", "fm-3m", np.int64(225)])
def test_space_group_spellings(spec):
    assert crystal_system(spec) == "cubic"
    assert generate_reflections(spec, Cell(4.05, 4.05, 4.05), d_min_angstrom=2.0).space_group == "F m -3 m"


@pytest.mark.parametrize("spec", ["P21/c", "P 1 21/c 1", "P2_1/c", 14])
def test_monoclinic_spellings(spec):
    assert free_cell_parameters(spec) == ("a", "b", "c", "beta")
    assert monoclinic_unique_axis(spec) == "b"


@pytest.mark.parametrize("spec, system, setting, free", [
    ("Fm-3m", "cubic", "cubic", ("a",)),
    ("Ia-3d", "cubic", "cubic", ("a",)),
    ("I4/mmm", "tetragonal", "tetragonal", ("a", "c")),
    ("P4_2/mnm", "tetragonal", "tetragonal", ("a", "c")),
    ("P6_3/mmc", "hexagonal", "hexagonal", ("a", "c")),
    ("P-31c", "trigonal", "trigonal", ("a", "c")),
    ("R-3m", "trigonal", "hexagonal", ("a", "c")),
    ("R -3 m:H", "trigonal", "hexagonal", ("a", "c")),
    ("R-3m:R", "trigonal", "rhombohedral", ("a", "alpha")),
    ("Pnma", "orthorhombic", "orthorhombic", ("a", "b", "c")),
    ("P 1 21/c 1", "monoclinic", "monoclinic", ("a", "b", "c", "beta")),
    ("P 1 1 21", "monoclinic", "monoclinic", ("a", "b", "c", "gamma")),
    ("P 21 1 1", "monoclinic", "monoclinic", ("a", "b", "c", "alpha")),
    ("P-1", "triclinic", "triclinic", ("a", "b", "c", "alpha", "beta", "gamma")),
])
def test_systems_settings_and_free_parameters(spec, system, setting, free):
    assert crystal_system(spec) == system
    assert lattice_setting(spec) == setting
    assert free_cell_parameters(spec) == free


@pytest.mark.parametrize("spec, free, expected", [
    ("Fm-3m", {"a": 4.05}, (4.05, 4.05, 4.05, 90, 90, 90)),
    ("I4/mmm", {"a": 3.9, "c": 12.5}, (3.9, 3.9, 12.5, 90, 90, 90)),
    ("P-31c", {"A": 5.0, "C": 8.0}, (5.0, 5.0, 8.0, 90, 90, 120)),
    ("R-3m:R", {"a": 5.0, "alpha": 55.0}, (5.0, 5.0, 5.0, 55, 55, 55)),
    ("Pnma", {"a": 8.48, "b": 5.398, "c": 6.958}, (8.48, 5.398, 6.958, 90, 90, 90)),
    ("P21/c", {"a": 5.1, "b": 6.2, "c": 7.3, "beta": 105}, (5.1, 6.2, 7.3, 90, 105, 90)),
    ("P 1 1 21", {"a": 5, "b": 6, "c": 7, "gamma": 100}, (5, 6, 7, 90, 90, 100)),
    ("P 21 1 1", {"a": 5, "b": 6, "c": 7, "alpha": 95}, (5, 6, 7, 95, 90, 90)),
    ("P1", dict(zip(("a", "b", "c", "alpha", "beta", "gamma"), (5, 6, 7, 80, 85, 95))), (5, 6, 7, 80, 85, 95)),
])
def test_cell_from_free_fills_constraints(spec, free, expected):
    assert cell_from_free(spec, free).as_tuple() == pytest.approx(expected)


def test_parse_cell_forms():
    assert parse_cell("a=9.96", "Ia-3d") == Cell(9.96, 9.96, 9.96)
    assert parse_cell("a=8.48,b=5.398,c=6.958", "Pnma") == Cell(8.48, 5.398, 6.958)
    assert parse_cell("a=5.0 c=8.0", "P-31c") == Cell(5.0, 5.0, 8.0, 90, 90, 120)
    assert parse_cell(" A = 5.1 ; B=6.2, c=7.3  Beta=105 ", "P21/c") == Cell(5.1, 6.2, 7.3, 90, 105, 90)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("spec", ["Xyz", "P2/q", "", 0, 231, True, 3.5])
def test_unknown_space_group_is_a_config_error_naming_it(spec):
    with pytest.raises(ConfigError) as info:
        crystal_system(spec)
    assert repr(spec) in str(info.value) or str(spec) in str(info.value)
    assert "Fm-3m" in str(info.value)            # says what a valid symbol looks like


def test_cell_from_free_errors_name_the_parameter_and_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"needs a, c; missing c"):
        cell_from_free("P-31c", {"a": 5.0})
    with pytest.raises(ConfigError, match=r"b is fixed by the symmetry of I 4/m m m \(tetragonal\); give only a, c"):
        cell_from_free("I4/mmm", {"a": 4.0, "b": 4.0, "c": 12.0})
    with pytest.raises(ConfigError, match=r"gamma is fixed .*unique axis b.*give only a, b, c, beta"):
        cell_from_free("P21/c", {"a": 5, "b": 6, "c": 7, "beta": 100, "gamma": 90})
    with pytest.raises(ConfigError, match=r"volume is not a cell parameter"):
        cell_from_free("Fm-3m", {"a": 4.0, "volume": 64})
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ConfigError, match=r"cell parameter a=.* must be positive and finite"):
            cell_from_free("Fm-3m", {"a": bad})
    with pytest.raises(ConfigError, match=r"a='x' is not a number"):
        cell_from_free("Fm-3m", {"a": "x"})


def test_cell_validation():
    with pytest.raises(ConfigError, match=r"cell length b=-1.0"):
        Cell(1.0, -1.0, 1.0)
    with pytest.raises(ConfigError, match=r"cell angle gamma=180.0"):
        Cell(1.0, 1.0, 1.0, 90, 90, 180)
    with pytest.raises(ConfigError, match=r"do not make a cell"):
        Cell(1.0, 1.0, 1.0, 120, 120, 120)                  # flat: zero volume
    with pytest.raises(ConfigError, match=r"alpha"):
        cell_from_free("R-3m:R", {"a": 5.0, "alpha": 190.0})


@pytest.mark.parametrize("text", ["a=abc", "a=5 b", "x=5", "a=5,a=6", "", "5.0", "a=5 c=8 gamma=120"])
def test_parse_cell_errors_quote_the_text(text):
    with pytest.raises(ConfigError) as info:
        parse_cell(text, "P-31c")
    assert repr(text) in str(info.value)


def test_generate_reflections_errors():
    with pytest.raises(DataError, match=r"no allowed reflection .* check the cell, the wavelength"):
        generate_reflections("Fm-3m", Cell(4.05, 4.05, 4.05), d_min_angstrom=3.0)
    with pytest.raises(ConfigError, match=r"d_min_angstrom"):
        generate_reflections("Fm-3m", Cell(4.05, 4.05, 4.05), d_min_angstrom=0.0)
    with pytest.raises(ConfigError, match=r"d_max_angstrom"):
        generate_reflections("Fm-3m", Cell(4.05, 4.05, 4.05), d_min_angstrom=2.0, d_max_angstrom=1.0)
    with pytest.raises(ConfigError, match=r"does not fit P 63/m m c .*gamma should be 120"):
        generate_reflections("P6_3/mmc", Cell(3.2, 3.2, 5.2), d_min_angstrom=1.0)
    with pytest.raises(ConfigError, match=r"b should be 4"):
        generate_reflections("I4/mmm", Cell(4.0, 4.1, 12.0), d_min_angstrom=1.0)
    with pytest.raises(ConfigError, match=r"cell must be a Cell"):
        generate_reflections("Fm-3m", (4.05, 4.05, 4.05, 90, 90, 90), d_min_angstrom=1.0)


# --------------------------------------------------------------------------- ReflectionList
def test_reflection_list_helpers():
    refl = generate_reflections("P-31c", Cell(5.0, 5.0, 8.0, 90, 90, 120), d_min_angstrom=1.2)
    assert (np.diff(refl.d_angstrom) <= 1e-12).all()
    assert_allclose(refl.d_angstrom, d_spacing(refl.hkl, Cell(5.0, 5.0, 8.0, 90, 90, 120)), rtol=1e-15)
    assert refl.hkl.dtype.kind == "i" and refl.multiplicity.dtype.kind == "i"
    with pytest.raises(ValueError):
        refl.hkl[0, 0] = 9                             # read-only arrays
    hk0 = refl.group("hk0")
    assert len(hk0) == int(refl.is_hk0.sum()) > 0 and (hk0.l == 0).all()
    assert refl.group(lambda h, k, l: l == 0).labels() == hk0.labels() == refl.select(refl.is_hk0).labels()
    assert refl.group("(0 0 l)").labels() == ["(0 0 2)", "(0 0 4)", "(0 0 6)"]
    assert set(refl.group("hhl").labels()) >= {"(1 1 0)", "(1 1 2)", "(1 1 -2)"}
    assert refl.select([2, 0]).labels() == [refl.labels()[2], refl.labels()[0]]
    assert len(refl.select(np.zeros(len(refl), bool))) == 0
    with pytest.raises(ConfigError, match=r"three characters"):
        refl.group("hkx")
    with pytest.raises(DataError, match=r"boolean mask"):
        refl.select(np.ones(3, bool))
    assert repr(refl).startswith("ReflectionList(P -3 1 c, 36 reflections, d 4.3301-")
    with pytest.raises(DataError, match=r"same length"):
        ReflectionList("P 1", np.zeros((2, 3)), np.ones(3), np.ones(2))


def test_generation_is_deterministic():
    a = generate_reflections("Ia-3d", Cell(12.97, 12.97, 12.97), d_min_angstrom=1.0)
    b = generate_reflections("I a -3 d", Cell(12.97, 12.97, 12.97), d_min_angstrom=1.0)
    assert_array_equal(a.hkl, b.hkl)
    assert_array_equal(a.multiplicity, b.multiplicity)
    assert_array_equal(a.d_angstrom, b.d_angstrom)


def test_d_max_cuts_the_long_spacings():
    full = generate_reflections("Pnma", Cell(8.48, 5.398, 6.958), d_min_angstrom=1.5)
    part = generate_reflections("Pnma", Cell(8.48, 5.398, 6.958), d_min_angstrom=1.5, d_max_angstrom=3.0)
    assert_array_equal(part.hkl, full.hkl[full.d_angstrom <= 3.0])


def test_reflections_in_range():
    lam = 1.5405929
    cell = Cell(8.48, 5.398, 6.958)
    refl = reflections_in_range("Pnma", cell, lam, 20.0, 60.0, margin_deg=0.5)
    tt = 2 * np.degrees(np.arcsin(lam / (2 * refl.d_angstrom)))
    assert tt.min() >= 19.5 and tt.max() <= 60.5
    full = generate_reflections("Pnma", cell, d_min_angstrom=lam / 2)
    tt_full = 2 * np.degrees(np.arcsin(lam / (2 * full.d_angstrom)))
    assert len(refl) == int(((tt_full >= 19.5) & (tt_full <= 60.5)).sum())
    everything = reflections_in_range("Pnma", cell, lam, 0.0, 180.0)
    assert len(everything) == len(full)
    with pytest.raises(DataError, match=r"between 5 and 20 deg 2-theta at 1.54059 Å.*wavelength"):
        reflections_in_range("Pm-3m", Cell(2.0, 2.0, 2.0), lam, 5.0, 20.0)
    with pytest.raises(ConfigError, match=r"wavelength_angstrom"):
        reflections_in_range("Pm-3m", Cell(2.0, 2.0, 2.0), -1.0, 5.0, 20.0)
    with pytest.raises(ConfigError, match=r"2-theta range"):
        reflections_in_range("Pm-3m", Cell(2.0, 2.0, 2.0), lam, 50.0, 20.0)
