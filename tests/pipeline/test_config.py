import re

import pytest

import dummy_adapters  # noqa: F401 - registers the dummy techniques
from dummy_adapters import make_dataset
from structkit.core import ConfigError, ReadError
from structkit.pipeline import load_campaign, parse_campaign


@pytest.fixture
def folder(tmp_path, monkeypatch):
    make_dataset(tmp_path)
    monkeypatch.chdir(tmp_path)  # so that messages start with "campaign.toml"
    return tmp_path


def load(folder, text):
    (folder / "campaign.toml").write_text(text)
    return load_campaign("campaign.toml")


def error(folder, text) -> str:
    with pytest.raises(ConfigError) as info:
        load(folder, text)
    return str(info.value)


def test_defaults_and_inputs(folder):
    (folder / "structkit_out").mkdir()
    (folder / "structkit_out" / "old.txt").write_text("1 2\n")   # outputs are never inputs
    c = load(folder, '[dummy]\ninputs = ["data/S1_*.txt", "**/*.txt"]\n'
                     'scale = 2\n')
    assert c.name == "campaign" and c.workers == 1 and c.executor == "process"
    assert c.output == folder / "structkit_out"
    (tech,) = c.techniques
    rel = [c.relative(p) for p in tech.inputs]
    assert rel == sorted(rel) and len(rel) == 10 and len(set(rel)) == 10   # deduplicated, sorted
    assert dict(tech.settings) == {"scale": 2.0, "delay_s": 0.0, "fail_summary": False}
    assert c.sha256 and len(c.sha256) == 64
    assert c.join.form == "sigmaT" and c.join.regimes == "auto" and c.join.temperature_K is None


def test_unknown_key_names_key_and_allowed(folder):
    msg = error(folder, '[campaign]\nwokers = 2\n[dummy]\ninputs = ["data/*.txt"]\n')
    assert msg == ("campaign.toml [campaign] wokers: unknown key; "
                   "allowed keys are name, output, workers, executor, scheduler, names, analysis, report, figures")
    msg = error(folder, '[dummy]\ninputs = ["data/*.txt"]\nscael = 2\n')
    assert msg.startswith("campaign.toml [dummy] scael: unknown key; allowed keys are inputs, ")
    msg = error(folder, '[dummy]\ninputs = ["data/*.txt"]\n[join]\nfrom = "sigma"\n')
    assert msg.startswith("campaign.toml [join] from: unknown key; allowed keys are descriptors, form")


def test_unknown_table_lists_techniques(folder):
    msg = error(folder, '[dumy]\ninputs = ["data/*.txt"]\n')
    assert msg.startswith("campaign.toml [dumy]: unknown table;") and "dummy" in msg


@pytest.mark.parametrize("text, expected", [
    ('[campaign]\nworkers = "two"\n', "campaign.toml [campaign] workers: must be a positive integer"),
    ('[campaign]\nworkers = 0\n', "campaign.toml [campaign] workers: must be a positive integer"),
    ('[campaign]\nexecutor = "thread"\n', "campaign.toml [campaign] executor: must be one of"),
    ('[campaign]\noutput = 3\n', "campaign.toml [campaign] output: must be a non-empty string"),
    ('[dummy]\nscale = -1\n', "campaign.toml [dummy] scale: must be a positive number"),
    ('[dummy]\nscale = "big"\n', "campaign.toml [dummy] scale: must be a positive number"),
    ('[join]\nform = "sigma_T"\n', "campaign.toml [join] form: must be 'sigmaT' or 'sigma'"),
    ('[join]\nregimes = 0\n', "campaign.toml [join] regimes: must be 'auto' or a positive integer"),
    ('[join]\ntemperature_K = -3\n', "campaign.toml [join] temperature_K: must be a positive number"),
    ('[join]\ndescriptors = "x.csv"\n', "campaign.toml [join] descriptors: must be a list of strings"),
])
def test_bad_values_name_the_key(folder, text, expected):
    base = '[dummy]\ninputs = ["data/*.txt"]\n'
    # tables may come in any order; put the [dummy] keys into its own table
    if text.startswith("[dummy]"):
        text, base = base + text.removeprefix("[dummy]\n"), ""
    assert error(folder, text + base).startswith(expected)


def test_inputs_errors_name_the_glob(folder):
    msg = error(folder, '[dummy]\ninputs = ["data/*.txt", "dta/*.txt"]\n')
    assert msg.startswith("campaign.toml [dummy] inputs: the glob 'dta/*.txt' matches no file")
    (folder / "structkit_out").mkdir()
    (folder / "structkit_out" / "old.txt").write_text("1 2\n")
    msg = error(folder, '[dummy]\ninputs = ["structkit_out/*.txt"]\n')
    assert msg.startswith("campaign.toml [dummy] inputs: the glob 'structkit_out/*.txt' matches only "
                          "files in the output directory")
    msg = error(folder, '[dummy]\nscale = 1\n')
    assert msg.startswith("campaign.toml [dummy] inputs: missing;")
    msg = error(folder, '[dummy]\ninputs = "data/*.txt"\n')
    assert msg.startswith("campaign.toml [dummy] inputs: must be a list of strings")
    msg = error(folder, '[dummy]\ninputs = []\n')
    assert msg.startswith("campaign.toml [dummy] inputs: is empty")


def test_join_descriptor_file_must_exist(folder):
    msg = error(folder, '[dummy]\ninputs = ["data/*.txt"]\n[join]\ndescriptors = ["xrd.csv"]\n')
    assert msg.startswith("campaign.toml [join] descriptors: file 'xrd.csv' not found")


def test_no_technique_and_bad_toml(folder):
    assert "no technique table" in error(folder, '[campaign]\nname = "x"\n')
    assert re.match(r"campaign\.toml: not valid TOML", error(folder, "[campaign\n"))
    with pytest.raises(ReadError, match="campaign file not found"):
        load_campaign(folder / "nope.toml")


def test_parse_campaign_from_dict(folder):
    c = parse_campaign({"dummy": {"inputs": ["data/S2_*.txt"]}, "join": {"temperature_K": 300}},
                       base_dir=folder)
    assert [c.relative(p) for p in c.techniques[0].inputs] == [
        "data/S2_300K.txt", "data/S2_350K.txt", "data/S2_400K.txt", "data/S2_450K.txt"]
    assert c.join.temperature_K == 300.0 and c.path is None and c.sha256 is None
