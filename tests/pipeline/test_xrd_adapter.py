"""The [xrd] table of a campaign: settings are checked up front, paths resolved, files hashed."""

import pytest

from structkit import ConfigError
from structkit.pipeline import parse_campaign
from structkit.xrd import InstrumentProfile


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "xrd").mkdir()
    (tmp_path / "xrd" / "p_300K.xy").write_text("5 1\n6 2\n")
    InstrumentProfile(radiation="CuKa", w=0.002).save(tmp_path / "lab.toml")
    return tmp_path


def _campaign(folder, **xrd):
    table = {"campaign": {"name": "t"}, "xrd": {"inputs": ["xrd/*.xy"], **xrd}}
    return parse_campaign(table, base_dir=folder, source="c.toml")


def test_settings_are_normalised_and_files_hashed(folder):
    c = _campaign(folder, space_group="Pnma", cell={"a": 8.48, "b": 5.398, "c": 6.958}, instrument="lab.toml",
                  two_theta_min=10, refine_profile="u,v,w", expansion={"regimes": 2})
    s = c.techniques[0].settings
    assert s["phases"][0]["cell"] == "a=8.48,b=5.398,c=6.958"
    assert s["phases"][0]["refine_profile"] == ["u", "v", "w"]
    assert s["instrument"] == str((folder / "lab.toml").resolve()) and len(s["instrument_sha256"]) == 64
    assert s["expansion"] == {"regimes": 2, "criterion": "bic"} and s["figures"] is True


@pytest.mark.parametrize("xrd, expected", [
    ({"space_group": "Fm-3m", "cell": "a=10", "radiation": "CuKa", "celll": 1}, "celll: unknown key"),
    ({"space_group": "Fm-3q", "cell": "a=10", "radiation": "CuKa"}, "space_group"),
    ({"space_group": "Fm-3m", "cell": "a=10,c=4", "radiation": "CuKa"}, "cell"),
    ({"space_group": "Fm-3m", "cell": "a=10"}, "radiation"),
    ({"space_group": "Fm-3m", "cell": "a=10", "radiation": "XxKa"}, "radiation"),
    ({"space_group": "Fm-3m", "cell": "a=10", "instrument": "nope.toml"}, "instrument: file 'nope.toml' not found"),
    ({"space_group": "Fm-3m", "cell": "a=10", "radiation": "CuKa", "two_theta_min": 50, "two_theta_max": 20},
     "two_theta_min"),
    ({"space_group": "Fm-3m", "cell": "a=10", "radiation": "CuKa", "expansion": {"regimes": 7}}, "regimes"),
    ({"cell": "a=10", "radiation": "CuKa"}, "space_group: missing"),
])
def test_bad_settings_name_the_key(folder, xrd, expected):
    with pytest.raises(ConfigError, match=expected) as info:
        _campaign(folder, **xrd)
    assert "c.toml [xrd]" in str(info.value)


def test_sequential_series_is_one_task_per_sample(tmp_path):
    """sequential = true: each sample's patterns are one task, fitted in temperature order from the last fit."""
    import numpy as np
    import pandas as pd

    from structkit.pipeline import run_campaign
    from structkit.pipeline.synthetic import campaign_truth, lattice_parameter, write_synthetic_campaign

    path = write_synthetic_campaign(tmp_path, samples=2, temperatures=8, milling_times=(), raman=False, corrupt=0,
                                    executor="serial")
    text = path.read_text().replace("prescan = 0.03\n", "prescan = 0.03\nsequential = true\n")
    text = text.replace('[conductivity]\ninputs = ["vt/eis/*.txt"]', '[conductivity]\ninputs = ["vt/eis/S1_*.txt"]')
    path.write_text(text)
    (tmp_path / "vt" / "xrd" / "S2_300K.xye").write_text("garbage\n")      # one bad member of S2's series
    report = run_campaign(path, progress=False)
    assert report.per_technique["xrd"] == {"computed": 2, "cached": 0, "failed": 0}
    assert [(f.file, f.technique) for f in report.failures] == [("vt/xrd/S2_300K.xye", "xrd")]
    cells = pd.read_csv(tmp_path / "out" / "cells.csv")
    assert len(cells) == 16 and cells["converged"].all() and set(cells["status"]) == {"ok"}
    truth = campaign_truth(samples=2, temperatures=8)
    for sample, g in cells.groupby("sample"):
        law = truth["samples"][sample]
        expected = lattice_parameter(law, g["temperature_K"].to_numpy())
        np.testing.assert_allclose(g["a_angstrom"], expected, atol=5e-4)
    assert g["file"].str.startswith("vt/xrd/").all()
