"""``structkit.pipeline.synthetic``: the files and the truth of the synthetic campaign (the campaign is not run here)."""

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from structkit import StructkitError
from structkit.io import read
from structkit.pipeline.synthetic import (
    campaign_temperatures,
    campaign_truth,
    lattice_parameter,
    sample_sigma,
    write_synthetic_campaign,
)

MILLING = (2, 6, 12, 24)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    return write_synthetic_campaign(folder, samples=3, temperatures=20)


def _files(folder: Path, sub: str):
    return sorted(p.relative_to(folder).as_posix() for p in (folder / sub).iterdir())


def test_layout_and_names(campaign):
    folder = campaign.parent
    assert campaign.name == "campaign.toml"
    temps = [f"{t:g}" for t in campaign_temperatures(20)]
    assert temps[0] == "250" and temps[-1] == "440" and len(temps) == 20
    good_vt = {f"S{i}_{t}K" for i in (1, 2, 3) for t in temps}
    for sub, ext in (("vt/xrd", ".xye"), ("vt/eis", ".txt")):
        files = _files(folder, sub)
        good = [f for f in files if "corrupt" not in f]
        assert {Path(f).stem for f in good} == good_vt and all(f.endswith(ext) for f in files)
    for sub, ext in (("milling/xrd", ".xye"), ("milling/eis", ".txt"), ("milling/raman", ".txt")):
        good = [f for f in _files(folder, sub) if "corrupt" not in f]
        assert good == sorted(f"{sub}/NTC_{h}h{ext}" for h in MILLING)
    corrupt = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*corrupt*"))
    assert corrupt == ["milling/raman/NTC_12h_corrupt-truncated.txt", "vt/eis/S2_260K_corrupt-garbage.txt",
                       "vt/xrd/S1_250K_corrupt-empty.xye"]


def test_campaign_toml_and_names_rule(campaign):
    folder = campaign.parent
    table = tomllib.loads(campaign.read_text())
    assert table["campaign"] == {"name": "synthetic", "output": "out", "executor": "process", "workers": 2,
                                 "figures": False}
    assert table["xrd"]["inputs"] == ["vt/xrd/*.xye", "milling/xrd/*.xye"]
    assert table["conductivity"]["inputs"] == ["vt/eis/*.txt", "milling/eis/*.txt"]
    assert table["raman"] == {"inputs": ["milling/raman/*.txt"], "names": table["xrd"]["names"], "figures": False}
    assert table["xrd"]["figures"] is False and table["conductivity"]["figures"] is False
    # the names rule (first regex that re.search-es the path relative to the campaign file wins)
    rules = [re.compile(r) for r in table["xrd"]["names"]]
    for path in folder.rglob("*.*"):
        rel = path.relative_to(folder).as_posix()
        if rel == "campaign.toml":
            continue
        m = next((m for m in (r.search(rel) for r in rules) if m), None)
        assert m is not None, rel
        groups = m.groupdict()
        if rel.startswith("vt/"):
            assert groups["sample"] == path.stem.split("_")[0]
            assert float(groups["temperature_K"]) in campaign_temperatures(20)
        else:
            assert groups["sample"] == "NTC" and float(groups["milling_time_h"]) in MILLING
    # without a names rule, the default file-name parser does not find the milling time
    m = read(folder / "milling/xrd/NTC_6h.xye")
    assert "milling_time_h" not in m.conditions


def test_good_files_read_with_their_conditions(campaign):
    folder = campaign.parent
    for path in sorted(folder.glob("vt/xrd/*.xye")):
        if "corrupt" in path.name:
            continue
        m = read(path)
        sample, t = path.stem.split("_")
        assert m.sample == sample and m.temperature_K == pytest.approx(float(t[:-1]))
        assert m.x_unit == "deg" and m.x[0] == pytest.approx(3.0) and m.x[-1] == pytest.approx(25.0)
        assert m.x.size == 2201 and np.all(np.isfinite(m.y))
    for sub in ("milling/xrd/*.xye", "milling/eis/*.txt", "milling/raman/*.txt"):
        for path in sorted(folder.glob(sub)):
            if "corrupt" not in path.name:
                m = read(path)
                assert m.sample == "NTC" and m.temperature_K == pytest.approx(298.15), path
    eis = read(folder / "vt/eis/S3_300K.txt")
    assert eis.technique == "conductivity" and eis.sample == "S3" and eis.temperature_K == 300.0
    assert read(folder / "milling/raman/NTC_6h.txt").technique == "raman"


def test_corrupt_files_fail_to_read(campaign):
    for path in sorted(campaign.parent.rglob("*corrupt*")):
        with pytest.raises(StructkitError):
            read(path)


def test_truth():
    truth = campaign_truth(3, seed=0)
    assert list(truth["samples"]) == ["S1", "S2", "S3"]
    bps = [law["breakpoint_K"] for law in truth["samples"].values()]
    assert len(set(bps)) == 3 and all(307 <= b <= 383 for b in bps)
    for law in truth["samples"].values():
        lo, hi = law["alpha_V_per_K"]
        assert 0.6e-4 <= lo <= 1.2e-4 and 1.5 * lo <= hi <= 2.2 * lo
        assert law["ea_eV"][0] > law["ea_eV"][1] > 0
        t_b = law["breakpoint_K"]
        # ln a is continuous at T_b and its slope changes there from alpha_V/3 below to alpha_V/3 above
        a = lattice_parameter(law, [t_b - 1.0, t_b, t_b + 1.0])
        np.testing.assert_allclose(np.diff(np.log(a)), [lo / 3, hi / 3], rtol=1e-9)
        assert float(sample_sigma(law, t_b)) == pytest.approx(law["sigma_at_breakpoint_S_per_cm"])
    # the same seed gives the same laws; more samples extend the list; another seed changes it
    assert campaign_truth(5, seed=0)["samples"]["S3"] == truth["samples"]["S3"]
    assert campaign_truth(3, seed=1)["samples"]["S1"] != truth["samples"]["S1"]
    milling = truth["milling"]["times_h"]
    assert list(milling) == list(MILLING)
    for key in ("lorentz_y_deg", "sigma_S_per_cm"):
        assert np.all(np.diff([milling[h][key] for h in MILLING]) > 0)
    assert np.all(np.diff([milling[h]["raman_fwhm_cm1"] for h in MILLING], axis=0) > 0)


def test_files_follow_the_truth(campaign):
    """The XRD peak and the impedance arc of a file are where the truth puts them."""
    folder = campaign.parent
    law = campaign_truth(3)["samples"]["S2"]
    m = read(folder / "vt/xrd/S2_440K.xye")
    a = float(lattice_parameter(law, 440.0))
    two_theta_111 = 2 * np.degrees(np.arcsin(0.71414 * np.sqrt(3) / (2 * a))) + 0.006
    window = np.abs(m.x - two_theta_111) < 0.3
    assert abs(m.x[window][np.argmax(m.y[window])] - two_theta_111) <= 0.011
    z = read(folder / "vt/eis/S2_440K.txt").y
    # the bulk resistance L / (sigma A) bounds the arc: Re Z at the arc's minimum of -Im Z lies near it
    r_bulk = 0.1 / (float(sample_sigma(law, 440.0)) * np.pi * 0.25 ** 2)
    i = np.argmin(-z.imag)
    assert 0.5 * r_bulk < z.real[i] < 2.0 * r_bulk


def test_options(tmp_path):
    path = write_synthetic_campaign(tmp_path, samples=2, temperatures=3, milling_times=(), raman=False,
                                    corrupt=0, figures=True, executor="serial", workers=1, name="c.toml")
    table = tomllib.loads(path.read_text())
    assert path.name == "c.toml" and set(table) == {"campaign", "xrd", "conductivity", "join"}
    assert table["campaign"]["executor"] == "serial" and table["xrd"]["figures"] is True
    assert table["xrd"]["inputs"] == ["vt/xrd/*.xye"]
    assert sorted(p.name for p in (tmp_path / "vt/xrd").iterdir()) == \
        ["S1_250K.xye", "S1_345K.xye", "S1_440K.xye", "S2_250K.xye", "S2_345K.xye", "S2_440K.xye"]
    assert not (tmp_path / "milling").exists() and not list(tmp_path.rglob("*corrupt*"))
    again = write_synthetic_campaign(tmp_path / "again", samples=2, temperatures=3, milling_times=(),
                                     raman=False, corrupt=0, figures=True, executor="serial", workers=1,
                                     name="c.toml")
    for p in (tmp_path / "vt").rglob("*.*"):      # deterministic, byte for byte
        assert p.read_bytes() == (again.parent / p.relative_to(tmp_path)).read_bytes()
