"""QENS readers (structkit.io.read_qens): every format on small synthetic files, then the real ones."""

import math

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError, ReadError
from structkit.io import QENS_FORMATS, read, read_qens
from structkit.io._qens import inx_refusal, sniff_qens

h5py = pytest.importorskip("h5py")

E5 = [-0.2, -0.1, 0.0, 0.1, 0.2]


def lorentz(e, hwhm=0.1, amp=1.0):
    e = np.asarray(e, dtype=float)
    return amp * hwhm / np.pi / (e ** 2 + hwhm ** 2)


def inx_text(firsts, *, energies=E5, temperature=300.0, title="LLZO,300K,5A (1234)", ei=3.272,
             ki=1.2566, s=None):
    """An INX file: one block per value of ``firsts`` (Q or the block numbers 1..n)."""
    out = []
    n = len(energies) + 3
    for k, first in enumerate(firsts):
        out.append(f"{n:5d}    1    2    0    0    0    0 {len(energies):4d}")
        out.append(title)
        out.append(f" {first:.4f}  {ei:.3f}  {ki:.4f}  {temperature:8.3f}   1.0 0")
        out.append("                  0.0000  4.0000  0.0000")
        ys = lorentz(energies, amp=k + 1) if s is None else s
        for e, y in zip(energies, ys):
            out.append(f"   {e:12.5f} {y:12.5e} {0.01 * (k + 1):11.4e}")
    return "\n".join(out) + "\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# -- INX ---------------------------------------------------------------------------------------

def test_inx_with_q_values(tmp_path):
    p = write(tmp_path, "LLZO_run1.inx", inx_text([1.2, 0.5]))
    groups = read_qens(p)
    assert [g.meta["q_inv_angstrom"] for g in groups] == [0.5, 1.2]      # ascending Q
    assert [g.meta["group_index"] for g in groups] == [1, 0]             # position in the file
    g = groups[0]
    assert g.x.tolist() == E5 and g.x_name == "energy_transfer" and g.x_unit == "meV"
    assert g.y_name == "S" and g.y_unit == "arb" and g.technique == "qens"
    np.testing.assert_allclose(g.y, lorentz(E5, amp=2), rtol=1e-5)
    np.testing.assert_allclose(g.sigma, 0.02)
    assert g.temperature_K == 300.0 and g.sample == "LLZO_run1"
    assert g.meta["format"] == "inx" and g.meta["energy_unit_in_file"] == "meV"
    assert g.meta["incident_energy_meV"] == 3.272 and g.meta["title"] == "LLZO,300K,5A (1234)"
    assert g.meta["wavelength_angstrom"] == pytest.approx(2 * math.pi / 1.2566, rel=1e-5)
    assert g.meta["dropped_points"] == 0 and g.meta["energy_sign"] == 1
    assert g.source == str(p)


def test_inx_block_numbers_need_q(tmp_path):
    p = write(tmp_path, "LiTFSI_350K.txt", inx_text([1, 2, 3], temperature=0.0))
    with pytest.raises(ReadError) as err:
        read_qens(p)
    msg = str(err.value)
    assert str(p) in msg and "block indices" in msg and "q=[...]" in msg and "3 values" in msg
    groups = read_qens(p, q=[0.9, 0.3, 0.6])
    assert [g.meta["q_inv_angstrom"] for g in groups] == [0.3, 0.6, 0.9]
    assert [g.meta["group_index"] for g in groups] == [1, 2, 0]
    # T = 0 on line 3 means "not recorded": the file name gives 350 K; a hint wins over both
    assert groups[0].temperature_K == 350.0 and groups[0].sample == "LiTFSI"
    assert groups[0].meta["conditions_from"]["temperature_K"] == "filename"
    hinted = read_qens(p, q=[0.9, 0.3, 0.6], temperature_K=360, sample="S1")
    assert hinted[0].temperature_K == 360.0 and hinted[0].sample == "S1"


def test_inx_header_temperature_beats_file_name(tmp_path):
    p = write(tmp_path, "V_cool_300K.txt", inx_text([0.5], temperature=276.03))
    (g,) = read_qens(p)
    assert g.temperature_K == 276.03 and g.meta["conditions_from"]["temperature_K"] == "header"


def test_q_hint_length_mismatch(tmp_path):
    p = write(tmp_path, "a.inx", inx_text([1, 2]))
    with pytest.raises(ReadError, match=r"3 values but the file has 2 blocks"):
        read_qens(p, q=[0.1, 0.2, 0.3])
    with pytest.raises(ReadError, match=r"one value but the file has 2"):
        read_qens(p, q=0.5)


def test_inx_truncated_block_names_line(tmp_path):
    text = inx_text([0.5, 0.8])
    p = write(tmp_path, "cut.inx", "\n".join(text.splitlines()[:-2]) + "\n")
    with pytest.raises(ReadError, match=r"INX block 2 .*truncated") as err:
        read_qens(p)
    assert err.value.line is not None


def test_read_refuses_inx_and_points_to_read_qens(tmp_path):
    p = write(tmp_path, "x.txt", inx_text([1, 2, 3]))
    with pytest.raises(ReadError, match=r"QENS file with 3 groups.*read_qens"):
        read(p)
    assert inx_refusal(b"10 7\n1 2\n3 4\n5 6\n7 8\n") is None      # a plain xy file


# -- grouped text -------------------------------------------------------------------------------

GROUPED = """\
# QENS reduced data, sample LLZO
# T = 450 K
# E(ueV)  S  dS
# Group 1: Q=1.25 1/A
200 0.5 0.05
100 1.0 0.05
0 9.0 0.1
-100 1.0 0.05
-200 nan 0.05
# Q = 0.55
-200 0.4 0.04
-100 0.9 0.04
0 8.0 0.1
100 0.9 0.04
200 0.4 0.04
Q 0.75
-200 0.3 0.03
-100 0.8 0.03
0 7.0 0.1
100 0.8 0.03
200 0.3 0.03
"""


def test_grouped_ueV_descending_nan(tmp_path):
    p = write(tmp_path, "llzo.grp", GROUPED)
    groups = read_qens(p)
    assert sniff_qens(p) == "grouped"
    assert [g.meta["q_inv_angstrom"] for g in groups] == [0.55, 0.75, 1.25]
    g = groups[2]                                   # the first group of the file
    assert g.meta["group_index"] == 0 and g.meta["energy_unit_in_file"] == "ueV"
    assert g.x.tolist() == [-0.1, 0.0, 0.1, 0.2]     # µeV -> meV, sorted, the NaN row dropped
    assert g.y.tolist() == [1.0, 9.0, 1.0, 0.5] and g.sigma.tolist() == [0.05, 0.1, 0.05, 0.05]
    assert g.meta["dropped_points"] == 1 and groups[0].meta["dropped_points"] == 0
    assert g.temperature_K == 450.0 and g.meta["conditions_from"]["temperature_K"] == "header"
    assert groups[0].x.tolist() == [-0.2, -0.1, 0.0, 0.1, 0.2]


def test_grouped_energy_unit_override_and_sign_flip(tmp_path):
    p = write(tmp_path, "llzo.grp", GROUPED)
    g = read_qens(p, energy_unit="meV", energy_sign=-1)[2]
    assert g.x.tolist() == [-200.0, -100.0, 0.0, 100.0]    # E -> -E: the file's +200 is now -200
    assert g.y.tolist() == [0.5, 1.0, 9.0, 1.0]
    assert g.meta["energy_sign"] == -1 and g.meta["energy_unit_in_file"] == "meV"


def test_grouped_q_in_inverse_nm(tmp_path):
    text = "# Q = 5.5 1/nm\n-1 1 0.1\n0 5 0.1\n1 1 0.1\n# Q = 9 1/nm\n-1 2 0.1\n0 6 0.1\n1 2 0.1\n"
    p = write(tmp_path, "a.txt", text)
    assert [g.meta["q_inv_angstrom"] for g in read_qens(p)] == [0.55, 0.9]
    plain = write(tmp_path, "b.txt", text.replace(" 1/nm", ""))
    assert [g.meta["q_inv_angstrom"] for g in read_qens(plain)] == [5.5, 9.0]
    assert [g.meta["q_inv_angstrom"] for g in read_qens(plain, q_unit="1/nm")] == [0.55, 0.9]


def test_grouped_ragged_row_names_line(tmp_path):
    p = write(tmp_path, "bad.txt", "# Q = 0.5\n-1 1 0.1\n0 5\n1 1 0.1\n")
    with pytest.raises(ReadError, match=r"2 values where the rows of this group") as err:
        read_qens(p)
    assert err.value.line == 3 and str(p) in str(err.value)


def test_too_few_finite_points_names_group_and_q(tmp_path):
    p = write(tmp_path, "few.txt", "# Q = 0.5\n-1 1 0.1\n0 5 0.1\n1 1 0.1\n"
                                   "# Q = 0.8\n-1 nan 0.1\n0 5 0.1\n1 1 nan\n")
    with pytest.raises(DataError, match=r"group 2 .*Q = 0.8 1/Å.*1 finite points of 3"):
        read_qens(p)


# -- long table ----------------------------------------------------------------------------------

def test_long_table_csv_grouped_by_q(tmp_path):
    rows = ["Q(1/A),E(ueV),S,dS"]
    rng = np.random.default_rng(1)
    data = [(q, e, float(lorentz(e / 1000, amp=q)), 0.01) for q in (0.9, 0.3) for e in (-100, 0, 100, 50)]
    for i in rng.permutation(len(data)):          # rows in any order
        rows.append(",".join(str(v) for v in data[i]))
    p = write(tmp_path, "table.csv", "\n".join(rows) + "\n")
    groups = read_qens(p)
    assert [g.meta["q_inv_angstrom"] for g in groups] == [0.3, 0.9]
    assert groups[0].meta["format"] == "table" and groups[0].meta["energy_unit_in_file"] == "ueV"
    assert groups[0].x.tolist() == [-0.1, 0.0, 0.05, 0.1]
    np.testing.assert_allclose(groups[1].y, lorentz([-0.1, 0.0, 0.05, 0.1], amp=0.9))


def test_long_table_whitespace_names(tmp_path):
    text = ("q_inv_angstrom  energy_transfer  intensity  error\n"
            + "".join(f"{q} {e} {s} 0.1\n" for q in (0.5, 1.0) for e, s in ((-1, 1), (0, 3), (1, 2))))
    groups = read_qens(write(tmp_path, "t.dat", text))
    assert [len(g) for g in groups] == [3, 3] and groups[1].y.tolist() == [1.0, 3.0, 2.0]
    assert groups[0].sigma.tolist() == [0.1, 0.1, 0.1]


# -- single spectrum ------------------------------------------------------------------------------

def test_single_spectrum_q_hint_and_descending(tmp_path):
    p = write(tmp_path, "irf.dat", "0.2\t1\t0.1\n0.1\t2\t0.1\n0\t9\t0.3\n-0.1\t2\t0.1\n")
    (g,) = read_qens(p, q=0.8)
    assert g.x.tolist() == [-0.1, 0.0, 0.1, 0.2] and g.y.tolist() == [2.0, 9.0, 2.0, 1.0]
    assert g.meta["q_inv_angstrom"] == 0.8 and g.meta["format"] == "spectrum"
    (g,) = read_qens(p)
    assert g.meta["q_inv_angstrom"] is None
    (g,) = read_qens(write(tmp_path, "two.dat", "-1 1\n0 4\n1 1\n"))
    assert g.sigma is None


def test_empty_and_non_numeric_files(tmp_path):
    with pytest.raises(ReadError, match=r"empty") as err:
        read_qens(write(tmp_path, "empty.txt", ""))
    assert "empty.txt" in str(err.value)
    with pytest.raises(ReadError, match=r"no numeric data rows"):
        read_qens(write(tmp_path, "words.txt", "hello\nworld\n"))


def test_bad_options(tmp_path):
    p = write(tmp_path, "s.dat", "-1 1\n0 4\n1 1\n")
    with pytest.raises(ConfigError, match="energy_sign"):
        read_qens(p, energy_sign=2)
    with pytest.raises(ConfigError, match="energy_unit"):
        read_qens(p, energy_unit="keV")
    with pytest.raises(ConfigError, match="format"):
        read_qens(p, format="dave")
    with pytest.raises(ReadError, match="needs an HDF5 file"):
        read_qens(p, format="mantid")
    with pytest.raises(ConfigError, match="q_bins"):
        read_qens(p, q_bins=[0, 1])
    assert set(QENS_FORMATS) == {"inx", "grouped", "table", "spectrum", "nxdata", "mantid", "nxspe"}


# -- HDF5: 2-D NXdata (LAMP) -------------------------------------------------------------------------

def lamp_file(path, *, edges=False, transpose=False, second=False, ueV=False):
    e_centres = np.array([-0.3, -0.15, 0.0, 0.15, 0.3])
    q = np.array([1.1, 0.5, 0.8], dtype=np.float32)
    data = np.array([lorentz(e_centres, amp=a) for a in (1.0, 2.0, 3.0)], dtype=np.float32)
    errors = np.full_like(data, 0.05)
    errors[1, 0] = -1.0                           # LAMP's mark for an empty bin
    x = np.array([-0.375, -0.225, -0.075, 0.075, 0.225, 0.375]) if edges else e_centres
    with h5py.File(path, "w") as f:
        f.attrs["TITLES"] = np.array([b"LLZO"])
        f.attrs["SOURCE"] = np.array([b"IN5"])
        for name in ("data1", "data2") if second else ("data1",):
            g = f.create_group(f"entry1/{name}")
            f["entry1"].attrs["class"] = np.array([b"NXentry"])
            g.attrs["class"] = np.array([b"NXdata"])
            d = g.create_dataset("DATA", data=data.T if transpose else data)
            d.attrs["signal"] = np.array([1], dtype=np.int16)
            g["errors"] = errors.T if transpose else errors
            g.create_dataset("X", data=(x * 1000 if ueV else x).astype(np.float32))
            g["X"].attrs["long_name"] = np.array([b" Energy Transfer (ueV)" if ueV else
                                                  b" Energy Transfer (meV)"])
            g["X"].attrs["axis"] = np.array([1], dtype=np.int16)
            g.create_dataset("Y", data=q)
            g["Y"].attrs["long_name"] = np.array([b"Wavevector Transfer (A!U-1!N)"])
            g["Y"].attrs["axis"] = np.array([2], dtype=np.int16)
    return path


@pytest.mark.parametrize("edges, transpose, ueV", [(False, False, False), (True, False, False),
                                                  (False, True, False), (True, False, True)])
def test_nxdata_2d(tmp_path, edges, transpose, ueV):
    p = lamp_file(tmp_path / "LLZO_400K.hdf", edges=edges, transpose=transpose, ueV=ueV)
    groups = read_qens(p)
    assert [g.meta["q_inv_angstrom"] for g in groups] == [0.5, 0.8, 1.1]     # float32 0.8 -> 0.8
    assert groups[0].meta["format"] == "nxdata" and groups[0].meta["group_index"] == 1
    assert groups[0].x.tolist() == pytest.approx([-0.15, 0.0, 0.15, 0.3], abs=1e-9)
    assert groups[0].meta["dropped_points"] == 1                  # error -1 = masked bin
    assert len(groups[1]) == 5 and groups[1].meta["dropped_points"] == 0
    np.testing.assert_allclose(groups[2].y, lorentz([-0.3, -0.15, 0, 0.15, 0.3]), rtol=1e-6)
    assert groups[0].temperature_K == 400.0 and groups[0].meta["instrument"] == "IN5"
    assert groups[0].meta["energy_unit_in_file"] == ("ueV" if ueV else "meV")


def test_nxdata_dataset_choice(tmp_path):
    p = lamp_file(tmp_path / "two.hdf", second=True)
    with pytest.raises(ReadError, match=r"2 NXdata groups.*dataset="):
        read_qens(p)
    assert len(read_qens(p, dataset="entry1/data2")) == 3


# -- HDF5: Mantid processed NeXus ----------------------------------------------------------------------

def mantid_file(path, *, axis2_units="MomentumTransfer", workspaces=1, nan=True):
    edges = np.linspace(-0.5, 0.5, 11)                 # 10 bins, centres -0.45..0.45
    centres = 0.5 * (edges[1:] + edges[:-1])
    q_edges = np.array([0.2, 0.6, 1.0, 1.4])          # BinEdgeAxis from SofQW
    values = np.array([lorentz(centres, amp=a) for a in (1, 2, 3)])
    if nan:
        values[0, -2:] = np.nan                        # masked corner of S(Q, E)
    with h5py.File(path, "w") as f:
        for w in range(1, workspaces + 1):
            g = f.create_group(f"mantid_workspace_{w}")
            g.attrs["NX_class"] = "NXentry"
            g["title"] = np.array([f"irs26176 ws{w}".encode()])
            ws = g.create_group("workspace")
            ws.attrs["NX_class"] = "NXdata"
            v = ws.create_dataset("values", data=values * w)
            v.attrs["signal"] = 1
            v.attrs["axes"] = "axis2,axis1"
            v.attrs["units"] = "Counts"
            ws["errors"] = np.full_like(values, 0.02)
            a1 = ws.create_dataset("axis1", data=edges)
            a1.attrs["units"] = "DeltaE"
            a1.attrs["caption"] = "Energy transfer"
            a1.attrs["label"] = "meV"
            a2 = ws.create_dataset("axis2", data=q_edges if axis2_units == "MomentumTransfer"
                                   else np.array([1.0, 2.0, 3.0]))
            a2.attrs["units"] = axis2_units
            log = g.create_group("logs/sample.temperature")
            log["value"] = np.array([300.0, 302.0])
            log["value"].attrs["units"] = "K"
            g.create_group("logs/Ei")["value"] = np.array([1.845])
    return path


def test_mantid_processed_nexus(tmp_path):
    p = mantid_file(tmp_path / "irs26176_red.nxs")
    groups = read_qens(p)
    assert [g.meta["q_inv_angstrom"] for g in groups] == [0.4, 0.8, 1.2]        # Q edge centres
    g = groups[0]
    assert g.meta["format"] == "mantid" and g.y_unit == "Counts"
    assert len(g) == 8 and g.meta["dropped_points"] == 2
    assert g.x.tolist() == pytest.approx(np.linspace(-0.45, 0.45, 10)[:8].tolist())
    assert g.temperature_K == 301.0 and g.meta["incident_energy_meV"] == 1.845
    assert g.meta["title"] == "irs26176 ws1"
    assert g.meta["wavelength_angstrom"] == pytest.approx(2 * math.pi / math.sqrt(1.845 / 2.072124),
                                                          rel=1e-5)


def test_mantid_spectrum_numbers_and_workspace_choice(tmp_path):
    p = mantid_file(tmp_path / "ws.nxs", axis2_units="spectraNumber", workspaces=2, nan=False)
    with pytest.raises(ReadError, match=r"2 Mantid workspaces.*dataset="):
        read_qens(p)
    groups = read_qens(p, dataset="mantid_workspace_2")
    assert [g.meta["q_inv_angstrom"] for g in groups] == [None, None, None]
    assert [g.meta["group_index"] for g in groups] == [0, 1, 2]                 # file order
    np.testing.assert_allclose(groups[0].y, 2 * lorentz(np.linspace(-0.45, 0.45, 10)))
    hinted = read_qens(p, dataset="mantid_workspace_1", q=[1.0, 0.5, 1.5])
    assert [g.meta["group_index"] for g in hinted] == [1, 0, 2]


# -- HDF5: NXSPE ---------------------------------------------------------------------------------------

def nxspe_file(path, ei=3.7):
    polar = np.array([10.0, 12.0, 30.0, 32.0, 60.0])
    edges = np.linspace(-1.0, 1.0, 6)
    centres = 0.5 * (edges[1:] + edges[:-1])
    data = np.array([lorentz(centres, amp=a) for a in (1, 2, 3, 4, 5)])
    err = np.array([[0.1] * 5, [0.2] * 5, [0.1] * 5, [0.1] * 5, [0.1] * 5])
    data[4] = -1e30                                    # SaveNXSPE's masked detector
    err[4] = 0.0
    data[0, 0] = np.nan                                # one NaN bin
    with h5py.File(path, "w") as f:
        e = f.create_group("ws_out")
        e.attrs["NX_class"] = "NXentry"
        e["definition"] = "NXSPE"
        info = e.create_group("NXSPE_info")
        info["fixed_energy"] = np.array([ei])
        d = e.create_group("data")
        d.attrs["NX_class"] = "NXdata"
        d["data"] = data
        d["error"] = err
        d["energy"] = edges
        d["energy"].attrs["units"] = "meV"
        d["polar"] = polar
        d["azimuthal"] = np.zeros(5)
    return path, polar, data, err, centres


def test_nxspe_per_detector_and_binned(tmp_path):
    p, polar, data, _, centres = nxspe_file(tmp_path / "LET_3.7meV.nxspe")
    k = math.sqrt(3.7 / 2.072124)
    groups = read_qens(p)
    assert len(groups) == 4 and groups[0].meta["masked_detectors"] == 1     # detector 4 masked
    assert [g.meta["q_inv_angstrom"] for g in groups] == pytest.approx(
        (2 * k * np.sin(np.radians(polar[:4]) / 2)).tolist())
    assert groups[0].meta["dropped_points"] == 1 and groups[0].meta["polar_deg"] == 10.0
    assert groups[0].meta["format"] == "nxspe" and groups[0].meta["incident_energy_meV"] == 3.7

    binned = read_qens(p, q_bins=[0.0, 0.3, 0.8, 2.0])
    assert [g.meta["detectors"] for g in binned] == [2, 2]                  # the masked one left out
    low = binned[0]
    assert low.meta["q_inv_angstrom"] == pytest.approx(
        np.mean(2 * k * np.sin(np.radians(polar[:2]) / 2)))
    w = np.array([1 / 0.1 ** 2, 1 / 0.2 ** 2])
    expect = (w[0] * data[0, 1:] + w[1] * data[1, 1:]) / w.sum()
    np.testing.assert_allclose(low.y[1:], expect)                         # error-weighted mean
    assert low.y[0] == pytest.approx(data[1, 0])                          # only detector 1 there
    np.testing.assert_allclose(low.sigma[1:], 1 / np.sqrt(w.sum()))
    assert low.x.tolist() == pytest.approx(centres.tolist())
    with pytest.raises(ConfigError, match="q_bins"):
        read_qens(p, q_bins=[1.0, 0.5])


def test_hdf5_without_qens_data(tmp_path):
    p = tmp_path / "plain.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(3.0)
    with pytest.raises(ReadError, match="HDF5 file without QENS data"):
        read_qens(p)


# -- the real files ---------------------------------------------------------------------------------------

TOFTOF_Q = [0.6, 0.8, 1.0, 1.2, 1.7, 1.9, 2.3, 3.5, 3.9]


@pytest.mark.reference_data
def test_toftof_inx(reference_data):
    folder = reference_data / "qens" / "toftof_BaZrInO"
    with pytest.raises(ReadError, match=r"block indices 1\.\.9.*9 values"):
        read_qens(folder / "In20_2p5_350K__tt_cr.txt")
    groups = read_qens(folder / "In20_2p5_350K__tt_cr.txt", q=TOFTOF_Q)
    assert len(groups) == 9 and [len(g) for g in groups] == [206] * 9
    assert [g.meta["q_inv_angstrom"] for g in groups] == TOFTOF_Q
    assert all(g.x[0] == -5.45 and g.x[-1] == 4.8 for g in groups)
    assert groups[0].meta["wavelength_angstrom"] == pytest.approx(2.5, abs=1e-3)
    assert groups[0].meta["incident_energy_meV"] == 13.088
    assert groups[0].temperature_K == 350.0                       # line 3 has T = 0: from the name
    (v,) = read_qens(folder / "Vana_2p5_cool__tt_cr.txt", q=TOFTOF_Q)[:1]
    assert v.temperature_K == 276.03
    hot = read_qens(folder / "In20_2p5_540K__tt_cr.txt", q=TOFTOF_Q)
    assert hot[0].temperature_K == pytest.approx(540.094)


@pytest.mark.reference_data
def test_in5_lamp_hdf(reference_data):
    folder = reference_data / "qens" / "in5_water"
    groups = read_qens(folder / "H2O_293K_5A.hdf")
    assert len(groups) == 17
    assert [g.meta["q_inv_angstrom"] for g in groups] == pytest.approx(np.arange(0.5, 2.15, 0.1))
    assert all(len(g) + g.meta["dropped_points"] == 160 for g in groups)
    assert len(groups[5]) == 160 and groups[0].meta["dropped_points"] == 71  # LAMP error -1 bins
    assert groups[0].temperature_K == 293.0 and groups[0].meta["title"] == "H2O undercooled"
    v8 = read_qens(folder / "V_273K_8A.hdf")
    assert len(v8) == 11 and v8[0].meta["q_inv_angstrom"] == 0.3
    # E > 0 is neutron energy loss: at 8 Å (Ei = 1.28 meV) the loss side stops below Ei
    assert max(g.x[-1] for g in v8) < 1.28 < -min(g.x[0] for g in v8)


@pytest.mark.reference_data
def test_iris_single_spectra(reference_data):
    folder = reference_data / "qens" / "iris_graphite"
    (data,) = read_qens(folder / "data_2lorentzians.dat")
    (irf,) = read_qens(folder / "irf_iris.dat", q=0.8)
    assert len(data) == 1905 and len(irf) == 200
    assert data.meta["q_inv_angstrom"] is None and irf.meta["q_inv_angstrom"] == 0.8
    assert data.sigma is not None and irf.x[0] == -0.199
