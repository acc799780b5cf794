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
