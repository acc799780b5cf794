"""structkit.xas.feff: clusters, feff.inp, FEFF6L/FEFF8L runs (larch's executables), path tables.

Oracles: geometry (fcc Cu: a/√2 with N=12 then a with N=6; NaCl: 6 Cl at a/2 then 12 Na at
a/√2; TaCl6: 2.37 Å, N=6, and the collinear multiple-scattering paths at 2×2.37 Å), FEFF's
own diagnostics for broken inputs, and the FEFF paths shipped in ../shared/reference_data.
"""

import gc
import itertools
import math
import os
import pickle

import numpy as np
import pytest

from structkit.core.errors import DataError, ReadError, StructkitError
from structkit.xas import feff
from structkit.xas.feff import (
    Cluster,
    FeffError,
    FeffResult,
    cluster_from_cif,
    feff_input,
    hole_number,
    load_paths,
    octahedron,
    run_feff,
    tetrahedron,
)

A_CU = 3.61
A_NACL = 5.64

CU_CIF = """data_Cu
_cell_length_a 3.61
_cell_length_b 3.61
_cell_length_c 3.61
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Cu1 Cu 0 0 0 1
"""

NACL_CIF = """data_NaCl
_cell_length_a 5.64
_cell_length_b 5.64
_cell_length_c 5.64
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Na1 Na+ 0 0 0 1
Cl1 Cl- 0.5 0.5 0.5 1
"""


@pytest.fixture(scope="module")
def larch_feff():
    pytest.importorskip("larch.xafs", reason="FEFF runs need xraylarch")


def fcc_cluster(a=A_CU, radius=4.5):
    atoms = []
    for i, j, k in itertools.product(range(-2, 3), repeat=3):
        for b in [(0, 0, 0), (.5, .5, 0), (.5, 0, .5), (0, .5, .5)]:
            p = (np.array([i, j, k]) + b) * a
            if 0 < np.linalg.norm(p) <= radius:
                atoms.append(("Cu", *p))
    return Cluster.from_atoms("Cu", atoms)


def check_cu_paths(res: FeffResult):
    first, second = res[0], res[1]
    assert first.reff == pytest.approx(A_CU / math.sqrt(2), abs=1e-3)
    assert (first.degen, first.nleg, first.label) == (12, 2, "Cu-Cu")
    assert second.reff == pytest.approx(A_CU, abs=1e-3)
    assert (second.degen, second.nleg) == (6, 2)
    assert first.edge == "K" and first.amplitude == pytest.approx(100.0)


@pytest.fixture(scope="module")
def tacl6(larch_feff):
    return run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=5.0, nleg=4)


# ------------------------------------------------------------------------------------------ clusters, inputs
def test_octahedron_plain_and_mixed():
    oct_ = octahedron("Ta", "Cl", 2.37)
    assert oct_.symbols == ("Ta",) + ("Cl",) * 6
    assert np.allclose(oct_.positions[0], 0) and np.allclose(oct_.distances[1:], 2.37)
    assert np.allclose(oct_.positions[1:].sum(axis=0), 0)          # centrosymmetric
    mixed = octahedron("Ta", ["O", "O", "Cl", "Cl", "Cl", "Cl"], {"O": 1.90, "Cl": 2.37})
    assert [tuple(s) for s in mixed.shells()] == [("O", 1.9, 2), ("Cl", 2.37, 4)]
    o = mixed.positions[1:3]
    assert np.allclose(o[0], -o[1])                                 # trans O
    assert mixed.elements == ("Ta", "O", "Cl")
    tet = tetrahedron("P", "S", 2.05)
    assert [tuple(s) for s in tet.shells()] == [("S", 2.05, 4)]
    with pytest.raises(DataError, match="6 ligands"):
        octahedron("Ta", ["O", "Cl"], 2.0)
    with pytest.raises(DataError, match="no distance given for ligand"):
        octahedron("Ta", ["O", "O", "Cl", "Cl", "Cl", "Cl"], {"O": 1.9})


def test_cluster_checks():
    with pytest.raises(DataError, match="same position"):
        Cluster.from_atoms("Ta", [("Cl", 2.37, 0, 0), ("Cl", 2.37, 0, 0)])
    with pytest.raises(DataError, match="not an element"):
        Cluster.from_atoms("Ta", [("Qq", 2.37, 0, 0)])
    with pytest.raises(DataError, match="origin"):
        Cluster("Ta", ("Ta", "Cl"), [[1, 0, 0], [2.37, 0, 0]])
    # the absorber listed at the origin is dropped, not doubled
    c = Cluster.from_atoms("Cu", [("Cu", 0, 0, 0), ("Cu", 1.805, 1.805, 0)])
    assert len(c) == 2 and c.within(1.0).symbols == ("Cu",)


def test_feff_input_keywords_v6_and_v8():
    oct_ = octahedron("Ta", ["O", "Cl", "Cl", "Cl", "Cl", "Cl"], {"O": 1.9, "Cl": 2.37})
    text = feff_input(oct_, edge="L3", rmax=4.5, nleg=3)
    lines = text.splitlines()
    assert lines[1:6] == ["HOLE 4 1.0", "CONTROL 1 1 1 1", "PRINT 1 0 0 0", "RMAX 4.5000", "NLEG 3"]
    assert "EDGE" not in text and lines[-1] == "END"
    pots = lines[lines.index("POTENTIALS") + 2: lines.index("ATOMS")]
    assert [p.split() for p in pots] == [["0", "73", "Ta"], ["1", "8", "O"], ["2", "17", "Cl"]]
    atoms = [ln.split() for ln in lines[lines.index("ATOMS") + 2: -1]]
    assert len(atoms) == 7 and atoms[0][3] == "0" and [a[3] for a in atoms[1:]] == ["1"] + ["2"] * 5
    text8 = feff_input(oct_, edge="L3", rmax=4.5, version=8)
    for kw in ("EDGE L3", "S02 1.0", "CONTROL 1 1 1 1 1 1", "PRINT 1 0 0 0 0 3", "RPATH 4.5000"):
        assert kw in text8.splitlines()
    assert "HOLE" not in text8 and "RMAX" not in text8
    assert feff_input(oct_) == feff_input(oct_)                     # deterministic


def test_edges_and_bad_arguments():
    assert [hole_number(e) for e in ("K", "L1", "L2", "l3", "M5")] == [1, 2, 3, 4, 9]
    oct_ = octahedron("Ta", "Cl", 2.37)
    with pytest.raises(DataError, match="unknown edge 'X3'"):
        feff_input(oct_, edge="X3")
    with pytest.raises(DataError, match="unknown edge"):
        run_feff(oct_, edge="Q")                  # before anything runs
    with pytest.raises(DataError, match="only does K and L edges"):
        feff_input(oct_, edge="M5", version=6)
    assert "EDGE M5" in feff_input(oct_, edge="M5", version=8)
    with pytest.raises(DataError, match="nleg"):
        feff_input(oct_, nleg=1)
    with pytest.raises(DataError, match="version"):
        feff_input(oct_, version=7)
    many = Cluster.from_atoms("Ta", [(s, 2.0 + 0.5 * k, 0, 0) for k, s in
                                     enumerate(["O", "Cl", "S", "P", "F", "Br", "I", "Li"])])
    with pytest.raises(DataError, match="7 unique scattering potentials"):
        feff_input(many, version=6)


# ------------------------------------------------------------------------------------------ CIF via gemmi
def test_cif_clusters_cu_and_nacl(tmp_path):
    cu = cluster_from_cif(CU_CIF, "Cu", radius=4.5)
    ref = fcc_cluster()
    assert cu.symbols == ref.symbols and np.allclose(cu.positions, ref.positions, atol=1e-9)
    assert [(s.count, round(s.distance, 4)) for s in cu.shells()] == [(12, 2.5527), (6, 3.61), (24, 4.4213)]
    # from a file, and NaCl around Na: 6 Cl at a/2, 12 Na at a/sqrt(2), 8 Cl at a*sqrt(3)/2
    path = tmp_path / "nacl.cif"
    path.write_text(NACL_CIF)
    na = cluster_from_cif(path, "Na", radius=5.0)
    shells = na.shells()
    assert [(s.symbol, s.count) for s in shells[:3]] == [("Cl", 6), ("Na", 12), ("Cl", 8)]
    assert shells[0].distance == pytest.approx(2.82, abs=1e-6)
    assert shells[1].distance == pytest.approx(A_NACL / math.sqrt(2), abs=1e-6)     # 3.988
    assert shells[2].distance == pytest.approx(A_NACL * math.sqrt(3) / 2, abs=1e-6)
    cl = cluster_from_cif(path, "Cl", radius=3.0, site="Cl1")
    assert [(s.symbol, s.count) for s in cl.shells()] == [("Na", 6)]
    with pytest.raises(DataError, match="no Ta site"):
        cluster_from_cif(path, "Ta")
    with pytest.raises(DataError, match="not a Na site"):
        cluster_from_cif(path, "Na", site="Na9")
    with pytest.raises(ReadError, match="not found"):
        cluster_from_cif(tmp_path / "missing.cif", "Na")


def test_cif_hexagonal_cell():
    # hcp Mg (P6_3/mmc, a 3.21, c 5.21, Mg 2c): 6 neighbours at sqrt(a^2/3 + c^2/4) = 3.197, 6 at a = 3.21
    text = (CU_CIF.replace("data_Cu", "data_Mg").replace("3.61", "3.21", 2).replace("3.61", "5.21")
            .replace("_cell_angle_gamma 90", "_cell_angle_gamma 120").replace("'F m -3 m'", "'P 63/m m c'")
            .replace("Cu1 Cu 0 0 0 1", "Mg1 Mg 0.333333 0.666667 0.25 1"))
    shells = cluster_from_cif(text, "Mg", radius=3.3).shells(tol=0.005)
    assert [(s.symbol, s.count) for s in shells] == [("Mg", 6), ("Mg", 6)]
    assert shells[0].distance == pytest.approx(math.sqrt(3.21**2 / 3 + 5.21**2 / 4), abs=1e-4)
    assert shells[1].distance == pytest.approx(3.21, abs=1e-4)


def test_cif_mixed_site_keeps_majority_species():
    text = NACL_CIF.replace("Cl1 Cl- 0.5 0.5 0.5 1", "Cl1 Cl- 0.5 0.5 0.5 0.7\nBr1 Br- 0.5 0.5 0.5 0.3")
    shells = cluster_from_cif(text, "Na", radius=3.0).shells()
    assert [(s.symbol, s.count) for s in shells] == [("Cl", 6)]


# ------------------------------------------------------------------------------------------ FEFF runs
def test_cu_fcc_from_cluster_and_from_cif(larch_feff):
    res = run_feff(fcc_cluster(), edge="K", rmax=3.7)
    check_cu_paths(res)
    assert len(res) == 2 and res.version == 6 and res.absorber == "Cu"
    res_cif = run_feff(cluster_from_cif(CU_CIF, "Cu", radius=4.5), rmax=3.7)
    check_cu_paths(res_cif)
    assert [p.reff for p in res_cif] == [p.reff for p in res]


def test_tacl6_single_and_collinear_multiple_scattering(tacl6):
    first = tacl6[0]
    assert (first.label, first.nleg, first.degen, first.edge) == ("Ta-Cl", 2, 6, "L3")
    assert first.reff == pytest.approx(2.37, abs=1e-3)
    # FEFF lists the collinear Ta -> Cl -> Cl(trans) -> Ta path as nleg 3 at reff 2 x 2.37 Å, N = 6;
    # the cis triangle Ta-Cl-Cl is at 2.37 (1 + 1/sqrt 2) = 4.046 Å with N = 24
    tcc = [p for p in tacl6 if p.label == "Ta-Cl-Cl"]
    straight = [p for p in tcc if p.collinear]
    assert len(straight) == 1
    assert (straight[0].nleg, straight[0].degen) == (3, 6)
    assert straight[0].reff == pytest.approx(2 * 2.37, abs=1e-3)
    assert straight[0].angles_deg == (180.0, 180.0, 0.0)
    cis = [p for p in tcc if not p.collinear]
    assert len(cis) == 1 and cis[0].degen == 24
    assert cis[0].reff == pytest.approx(2.37 * (1 + 1 / math.sqrt(2)), abs=1e-3)
    # the 4-leg Ta-Cl-Ta-Cl(trans) path forward-scatters through the absorber (beta = 0 at Ta)
    focus = [p for p in tacl6 if p.nleg == 4 and p.angles_deg[1] == 0.0]
    assert len(focus) == 1 and focus[0].label == "Ta-Cl-Ta-Cl" and focus[0].degen == 6
    assert focus[0].reff == pytest.approx(4.74, abs=1e-3)
    assert focus[0].amplitude > straight[0].amplitude      # the focusing path is the stronger one
    assert any("RMAX is larger than the cluster" in w for w in tacl6.warnings)


def test_table_select_and_larch_groups(tacl6):
    frame = tacl6.to_frame()
    assert list(frame.columns) == ["index", "label", "reff", "degen", "nleg", "amplitude", "filename"]
    assert len(frame) == len(tacl6) == 6
    assert frame["amplitude"].iloc[0] == pytest.approx(100.0)
    assert [p.label for p in tacl6.select(rmax=3.0)] == ["Ta-Cl"]
    assert {p.nleg for p in tacl6.select(nleg=3)} == {2, 3}
    strong = tacl6.select(min_amplitude=10)
    assert [p.index for p in strong] == [p.index for p in tacl6 if p.amplitude >= 10] and 1 < len(strong) < 6
    assert "Ta-Cl" in repr(tacl6) and "<table" in tacl6._repr_html_()
    grp = tacl6[0].larch_path(s02=0.8, sigma2="sig2")
    assert grp.reff == pytest.approx(2.37) and grp.degen == 6 and grp.s02 == 0.8 and grp.sigma2 == "sig2"
    assert len(tacl6.select(rmax=3.0).larch_paths()) == 1
    with pytest.raises(DataError, match="unknown path parameter"):
        tacl6[0].larch_path(sigma=0.1)


def test_nacl_feff_paths_around_na(larch_feff):
    res = run_feff(cluster_from_cif(NACL_CIF, "Na", radius=5.0), rmax=4.1)
    assert [(p.label, p.degen, p.nleg) for p in res[:2]] == [("Na-Cl", 6, 2), ("Na-Na", 12, 2)]
    assert res[0].reff == pytest.approx(2.82, abs=1e-3)
    assert res[1].reff == pytest.approx(3.988, abs=1e-3)


def test_feff8l_tacl6(larch_feff):
    res = run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=5.0, version=8)
    assert res.version == 8 and len(res) == 6
    assert (res[0].label, res[0].degen, res[0].edge) == ("Ta-Cl", 6, "L3")
    assert res[0].reff == pytest.approx(2.37, abs=1e-3)
    straight = [p for p in res if p.label == "Ta-Cl-Cl" and p.collinear]
    assert len(straight) == 1 and straight[0].reff == pytest.approx(4.74, abs=1e-3)


# ------------------------------------------------------------------------------------------ failures
def test_bad_keyword_is_a_feff_error_quoting_feff(larch_feff, tmp_path):
    text = feff_input(octahedron("Ta", "Cl", 2.37), edge="L3").replace("CONTROL", "EDGE L3\nCONTROL")
    with pytest.raises(FeffError) as info:
        run_feff(text, folder=tmp_path / "run")
    err = info.value
    assert err.reason == "unknown_keyword" and isinstance(err, StructkitError)
    assert "EDGE" in str(err) and "version=8" in str(err)
    assert 'Unknown keyword: "EDGE"' in str(err)                   # FEFF's own words
    assert str(tmp_path / "run") in str(err)                        # the folder, kept
    assert (tmp_path / "run" / "feff.err").is_file()
    again = pickle.loads(pickle.dumps(err))
    assert again.reason == "unknown_keyword" and str(again) == str(err)


def test_coincident_atoms(larch_feff):
    text = feff_input(octahedron("Ta", "Cl", 2.37), edge="L3").replace("END", "   2.37 0.0 0.0  1  Cl\nEND")
    with pytest.raises(FeffError, match="same position") as info:
        run_feff(text)                                              # refused before FEFF runs
    assert info.value.reason == "atoms_too_close"
    with pytest.raises(FeffError, match="TWO ATOMS VERY CLOSE") as info:
        run_feff(text, validate=False)                              # FEFF's own warning is an error
    assert info.value.reason == "atoms_too_close"


def test_no_paths_within_rmax_and_undefined_potential(larch_feff):
    with pytest.raises(FeffError, match=r"RMAX = 1.5 A; the nearest neighbour is at 2.370 A") as info:
        run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=1.5)
    assert info.value.reason == "no_paths" and "PATHSD" in info.value.excerpt
    text = feff_input(octahedron("Ta", "Cl", 2.37), edge="L3")
    lines = text.splitlines()
    lines[-2] = lines[-2].replace("   1  Cl", "   2  Cl")
    with pytest.raises(FeffError, match="ipot 2 which POTENTIALS does not define") as info:
        run_feff("\n".join(lines))
    assert info.value.reason == "missing_potential"
    with pytest.raises(ReadError, match="feff.inp file not found"):
        run_feff("no/such/feff.inp")


# ------------------------------------------------------------------------------------------ cache, folders
def test_cache_hit_does_not_run_feff(larch_feff, tmp_path, monkeypatch):
    cluster = octahedron("Ta", "Cl", 2.37)
    first = run_feff(cluster, edge="L3", rmax=3.0, nleg=2, cache_dir=tmp_path)
    assert not first.from_cache and first.folder.startswith(str(tmp_path))
    mtime = os.stat(first[0].filename).st_mtime_ns

    def no_feff(*args, **kwargs):
        raise AssertionError("FEFF ran on a cache hit")

    monkeypatch.setattr(feff, "_run_programs", no_feff)
    hit = run_feff(cluster, edge="L3", rmax=3.0, nleg=2, cache_dir=tmp_path)
    assert hit.from_cache and hit.elapsed_s == 0.0 and hit.folder == first.folder
    assert [(p.label, p.reff, p.degen, p.amplitude) for p in hit] == [(p.label, p.reff, p.degen, p.amplitude)
                                                                       for p in first]
    assert os.stat(hit[0].filename).st_mtime_ns == mtime
    copy = run_feff(cluster, edge="L3", rmax=3.0, nleg=2, cache_dir=tmp_path, folder=tmp_path / "mine")
    assert copy.from_cache and (tmp_path / "mine" / "feff0001.dat").is_file()
    with pytest.raises(AssertionError, match="FEFF ran"):          # another input is another key
        run_feff(cluster, edge="L3", rmax=3.1, nleg=2, cache_dir=tmp_path)


def test_folders_temporary_and_kept(larch_feff, tmp_path):
    res = run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=3.0, nleg=2)
    tmp = res.folder
    path = res[0]
    assert os.path.isfile(path.filename)
    del res
    gc.collect()
    assert os.path.isfile(path.filename)          # a path keeps its folder alive
    del path
    gc.collect()
    assert not os.path.exists(tmp)
    # a kept folder: a rerun with a shorter rmax leaves no stale path file behind
    keep = tmp_path / "taCl6"
    big = run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=5.0, folder=keep)
    assert len(big) == 6 and (keep / "feff0006.dat").is_file()
    small = run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=3.0, folder=keep)
    assert len(small) == 1 and not (keep / "feff0006.dat").exists()
    again = load_paths(keep)
    assert [(p.label, p.reff, p.amplitude) for p in again] == [(p.label, p.reff, p.amplitude) for p in small]
    assert "HOLE 4 1.0" in again.feff_inp


# ------------------------------------------------------------------------------------------ existing paths
@pytest.mark.reference_data
def test_load_reference_paths(reference_data):
    folder = reference_data / "xas" / "feff_paths"
    one = load_paths(folder / "feffcu01.dat")
    p = one[0]
    assert (p.label, p.degen, p.nleg, p.edge) == ("Cu-Cu", 12, 2, "K")
    assert p.reff == pytest.approx(2.5478) and math.isnan(p.amplitude)
    allp = load_paths(folder)                      # no files.dat: every feffNNNN.dat
    assert [(q.index, q.label, q.degen) for q in allp] == [(1, "Cu-Cu", 12), (2, "Cu-Cu", 6), (3, "Cu-Cu-Cu", 48)]
    assert allp[1].reff == pytest.approx(3.6032) and allp[2].reff == pytest.approx(3.8218)
    with pytest.raises(DataError, match="amplitude ratios are unknown"):
        allp.select(min_amplitude=5)
    pytest.importorskip("larch.xafs")
    grp = p.larch_path(s02=0.9)
    assert grp.reff == pytest.approx(2.5478) and grp.degen == 12


def test_load_paths_errors(tmp_path):
    with pytest.raises(ReadError, match="no FEFF path files"):
        load_paths(tmp_path)
    bad = tmp_path / "feff0001.dat"
    bad.write_text("not a feff file\nat all\n")
    with pytest.raises(ReadError, match="not a FEFF"):
        load_paths(bad)


def test_feff_result_chi_equals_ff2chi_and_transforms_like_data():
    """FeffResult.chi is larch's ff2chi of the paths with the given parameters (per-path sigma2 by a function),
    and the Exafs it returns goes through fourier()/wavelet() like measured chi(k)."""
    from larch import Group
    from larch.xafs import ff2chi

    from structkit.core.errors import DataError
    from structkit.xas.exafs import Exafs
    res = run_feff(octahedron("Ta", "Cl", 2.37), edge="L3", rmax=5.0, nleg=4)
    s2 = lambda p: 0.004 if p.nleg == 2 and p.reff < 3 else 0.012   # noqa: E731
    ex = res.chi(s02=0.9, e0=1.5, sigma2=s2, deltar=0.01, kmax=16.0, sample="TaCl6")
    g = Group()
    ff2chi([p.larch_path(s02=0.9, e0=1.5, deltar=0.01, sigma2=s2(p)) for p in res.paths], group=g,
           kmax=16.0, kstep=0.05)
    np.testing.assert_allclose(ex.chi, g.chi, rtol=0, atol=1e-12)
    assert ex.sample == "TaCl6" and ex.kmax_data == pytest.approx(16.0)
    ft = ex.fourier(kmin=3, kmax=14, window="hanning")
    # the Ta-Cl shell at 2.38 A appears ~0.4 A short (phase shift), as in measured spectra
    assert 1.8 < ft.peaks(rmin=1.0, rmax=3.0, n=1)["r"].iloc[0] < 2.2
    with pytest.raises(DataError, match="sigma2 for path"):
        res.chi(sigma2=lambda p: float("nan"))
    # a structkit FeffPath goes to path_wavelet directly (FEFF's own parameters)
    from structkit.xas.wavelet import path_wavelet
    pw = path_wavelet(res.paths[0], rmax_out=5)
    assert pw.parameters["reff"] == pytest.approx(res.paths[0].reff, abs=1e-3) and pw.parameters["degen"] == 6
    with pytest.raises(DataError, match="uniform"):
        Exafs.from_chi(np.r_[0.0, 0.1, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], np.zeros(8))
