"""HDF5 / NeXus NXdata reader."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

from structkit.core.errors import DataError, MissingDependencyError, ReadError, StructkitError
from structkit.io import read

h5py = pytest.importorskip("h5py")

Q = np.linspace(0.5, 5.0, 20)
I = 100.0 * np.exp(-Q)
E = np.sqrt(I) / 10


def _nexus(path, *, default=True, signal="I", axes="q", errors="I_errors", q=Q, i=I, extra=None):
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "LLZO SAXS"
        sample = entry.create_group("sample")
        sample.attrs["NX_class"] = "NXsample"
        sample["name"] = "LLZO-3"
        sample["temperature"] = 25.0
        sample["temperature"].attrs["units"] = "C"
        data = entry.create_group("data")
        data.attrs["NX_class"] = "NXdata"
        if signal is not None:
            data.attrs["signal"] = signal
        if axes is not None:
            data.attrs["axes"] = axes
        data["I"] = i
        data["I"].attrs["units"] = "counts"
        data["q"] = q
        data["q"].attrs["units"] = "1/angstrom"
        if errors:
            data[errors] = E[: np.size(i)] if np.ndim(i) == 1 else np.ones_like(i)
        if default:
            f.attrs["default"] = "entry"
            entry.attrs["default"] = "data"
        if extra:
            extra(f)
    return path


def test_default_nxdata(tmp_path):
    m = read(_nexus(tmp_path / "saxs.nxs"))
    assert m.meta["format"] == "hdf5"
    assert_allclose(m.x, Q)
    assert_allclose(m.y, I)
    assert_allclose(m.sigma, E)
    assert (m.x_name, m.x_unit, m.y_name, m.y_unit) == ("q", "1/angstrom", "I", "counts")
    assert m.meta["hdf5_signal"] == "/entry/data/I"
    assert m.meta["title"] == "LLZO SAXS"
    assert (m.sample, m.temperature_K) == ("LLZO-3", pytest.approx(298.15))
    assert m.meta["conditions_from"] == {"sample": "header", "temperature_K": "header"}


def test_found_without_default_chain_and_generic_errors(tmp_path):
    m = read(_nexus(tmp_path / "a.h5", default=False, errors="errors"))
    assert_allclose(m.sigma, E)


def test_axes_as_array_and_indices(tmp_path):
    def fix(f):
        f["entry/data"].attrs["axes"] = np.array([b"q"])
    assert_allclose(read(_nexus(tmp_path / "a.h5", extra=fix)).x, Q)

    def indices(f):
        del f["entry/data"].attrs["axes"]
        f["entry/data"].attrs["q_indices"] = 0
    assert_allclose(read(_nexus(tmp_path / "b.h5", extra=indices)).x, Q)


def test_old_style_signal_attribute(tmp_path):
    def old(f):
        g = f["entry/data"]
        del g.attrs["signal"], g.attrs["axes"]
        g["I"].attrs["signal"] = 1
        g["I"].attrs["axes"] = "q"
    assert_allclose(read(_nexus(tmp_path / "a.h5", extra=old)).y, I)


def test_descending_axis_and_bin_edges(tmp_path):
    m = read(_nexus(tmp_path / "a.h5", q=Q[::-1], i=I[::-1], errors=None))
    assert_allclose(m.x, Q)
    assert_allclose(m.y, I)
    edges = np.linspace(0.0, 2.0, I.size + 1)
    m = read(_nexus(tmp_path / "b.h5", q=edges, errors=None))
    assert_allclose(m.x, 0.5 * (edges[1:] + edges[:-1]))
    assert m.meta["x_from_bin_edges"] is True


def test_dataset_hint(tmp_path):
    def other(f):
        g = f.create_group("entry/other")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "y"
        g.attrs["axes"] = "t"
        g["y"] = [1.0, 2.0, 3.0]
        g["t"] = [0.0, 1.0, 2.0]
        g["t"].attrs["units"] = "s"
    p = _nexus(tmp_path / "a.h5", default=False, extra=other)
    with pytest.raises(ReadError, match="2 NXdata groups .*pass dataset="):
        read(p)
    assert read(p, dataset="/entry/other").x_unit == "s"
    assert read(p, dataset="/entry/other/y").y.tolist() == [1.0, 2.0, 3.0]
    assert_allclose(read(p, dataset="entry/data").y, I)
    with pytest.raises(ReadError, match="no group or dataset '/nope'"):
        read(p, dataset="/nope")


def test_two_dimensional_signal(tmp_path):
    p = _nexus(tmp_path / "a.h5", i=np.ones((20, 4)), errors=None)
    with pytest.raises(ReadError, match=r"shape \(20, 4\); only 1-D"):
        read(p)


def test_no_axes_is_an_error_not_an_index(tmp_path):
    with pytest.raises(ReadError, match="names no axis"):
        read(_nexus(tmp_path / "a.h5", axes=None))


def test_no_signal(tmp_path):
    with pytest.raises(ReadError, match="no 'signal' attribute"):
        read(_nexus(tmp_path / "a.h5", signal=None))


def test_nan_in_signal(tmp_path):
    i = I.copy()
    i[3] = np.nan
    with pytest.raises(DataError, match="/entry/data/I has 1 non-finite value.*index 3"):
        read(_nexus(tmp_path / "a.h5", i=i, errors=None))


def test_length_mismatch(tmp_path):
    with pytest.raises(ReadError, match="has 5 values but signal"):
        read(_nexus(tmp_path / "a.h5", q=Q[:5], errors=None))


def test_no_nxdata(tmp_path):
    p = tmp_path / "plain.h5"
    with h5py.File(p, "w") as f:
        f["x"] = [1.0, 2.0]
    with pytest.raises(ReadError, match="no NXdata group.*1-D datasets: /x"):
        read(p)


def test_not_really_hdf5(tmp_path):
    p = tmp_path / "fake.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(200)))
    with pytest.raises(ReadError, match="not a readable HDF5 file"):
        read(p)


def test_missing_h5py(tmp_path, monkeypatch):
    p = _nexus(tmp_path / "a.h5")
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'structkit\[hdf5\]'") as info:
        read(p)
    assert isinstance(info.value, ImportError) and isinstance(info.value, StructkitError)


@pytest.mark.reference_data
def test_reference_ill_file_without_nxdata(reference_data):
    p = reference_data / "qens" / "in5_water" / "V_273K_5A.hdf"
    with pytest.raises(ReadError, match="no NXdata group; pass dataset=|no NXdata group in this"):
        read(p)
