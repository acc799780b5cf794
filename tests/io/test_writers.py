"""Atomic table and figure writers."""

import os

import numpy as np
import pandas as pd
import pytest

from structkit.core.descriptors import DescriptorRow, DescriptorTable
from structkit.core.errors import ConfigError, StructkitError
from structkit.io import save_figure, write_table


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_write_table_round_trip(tmp_path):
    frame = pd.DataFrame({"sample": ["a", "b"], "value": [0.1 + 0.2, 1 / 3], "n": [1, 2]})
    out = write_table(frame, tmp_path / "new" / "t.csv")
    assert out == tmp_path / "new" / "t.csv"
    back = pd.read_csv(out)
    assert back["value"].tolist() == frame["value"].tolist()  # full precision
    assert _leftovers(out.parent) == []


def test_write_table_replaces_and_accepts_descriptor_tables(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old")
    table = DescriptorTable.from_rows([DescriptorRow("NTC", "a_angstrom", 6.01, 0.002, "angstrom")])
    write_table(table, out)
    assert out.read_text().startswith("sample,")


def test_write_table_rejects_other_objects(tmp_path):
    with pytest.raises(ConfigError, match="needs a pandas DataFrame"):
        write_table({"a": [1]}, tmp_path / "t.csv")
    with pytest.raises(ConfigError, match="needs a pandas DataFrame"):
        write_table(pd.Series([1.0]), tmp_path / "t.csv")


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "a_folder"
    target.mkdir()
    with pytest.raises(StructkitError, match="cannot write") as info:
        write_table(pd.DataFrame({"x": [1]}), target)  # os.replace onto a folder fails
    assert info.value.path == str(target)
    assert _leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "t.csv"
    out.write_text("previous\n")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(StructkitError, match="No space left"):
        write_table(pd.DataFrame({"x": [1]}), out)
    assert out.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("ext", ["png", "pdf", "svg"])
def test_save_figure_is_atomic_and_deterministic(tmp_path, ext):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot(np.arange(5), np.arange(5) ** 2)
    a = save_figure(fig, tmp_path / f"a.{ext}")
    b = save_figure(fig, tmp_path / f"b.{ext}", dpi=150)
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 0
    assert _leftovers(tmp_path) == []


def test_save_figure_dpi(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    small = save_figure(fig, tmp_path / "s.png", dpi=50).stat().st_size
    large = save_figure(fig, tmp_path / "l.png", dpi=300).stat().st_size
    assert large > small


def test_save_figure_bad_paths(tmp_path):
    from matplotlib.figure import Figure

    with pytest.raises(ConfigError, match="no extension"):
        save_figure(Figure(), tmp_path / "figure")
    with pytest.raises(ConfigError, match="cannot save a figure as 'xyz'"):
        save_figure(Figure(), tmp_path / "figure.xyz")
    with pytest.raises(ConfigError, match="needs a matplotlib Figure"):
        save_figure(object(), tmp_path / "f.png")
    assert _leftovers(tmp_path) == [] and not os.path.exists(tmp_path / "figure.xyz")
