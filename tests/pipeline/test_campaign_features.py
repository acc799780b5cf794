"""Campaign recipe features: names rules, CLI-spelled keys, series tasks, sidecar hashing, status, CLI."""

import json

import numpy as np

import pandas as pd
import pytest

from dummy_adapters import CORRUPT, GOOD, make_dataset, write_campaign, write_good
from structkit.cli import main
from structkit.core import ConfigError
from structkit.pipeline import campaign_status, load_campaign, run_campaign
from structkit.pipeline.runner import RunLog


def test_names_rule_gives_sample_and_conditions(tmp_path):
    make_dataset(tmp_path, good=["S1_300K", "S1_350K", "S2_300K"], corrupt=[])
    (tmp_path / "data" / "unnamed.txt").write_text("0 1\n1 2\n")
    path = write_campaign(tmp_path, dummy=r"names = ['(?P<sample>S\d)_(?P<temperature_C>\d+)K']")
    report = run_campaign(path, progress=False)
    (f,) = report.failures
    assert (f.file, f.technique, f.error) == ("data/unnamed.txt", "dummy", "ConfigError")
    assert "no names rule matches" in f.message and "[dummy] names" in f.message
    stats = pd.read_csv(tmp_path / "out" / "dummy_stats.csv")
    # the rule reads the number as degrees C, so it wins over the adapter's own parse of "300K"
    assert stats["temperature_K"].tolist() == [573.15, 623.15, 573.15]
    assert stats["sample"].tolist() == ["S1", "S1", "S2"]


def test_campaign_default_names_rule_and_extra_conditions(tmp_path):
    make_dataset(tmp_path, good=["S1_300K", "S2_300K"], corrupt=[])
    path = tmp_path / "c.toml"
    path.write_text("[campaign]\noutput = \"out\"\nexecutor = \"serial\"\n"
                    r"names = '(?P<sample>S)(?P<batch>\d)_(?P<temperature_K>\d+)K'" "\n"
                    "[dummy]\ninputs = [\"data/*.txt\"]\ndelay-s = 0.0\n")
    c = load_campaign(path)
    assert c.technique("dummy").settings["delay_s"] == 0.0          # CLI spelling accepted
    report = run_campaign(path, progress=False)
    assert report.ok
    desc = pd.read_csv(tmp_path / "out" / "descriptors.csv")
    per_file = desc[desc["name"] == "y_mean"]
    assert per_file["batch"].tolist() == [1.0, 2.0] and set(desc["sample"]) == {"S"}
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert prov["names"]["dummy"] == [r"(?P<sample>S)(?P<batch>\d)_(?P<temperature_K>\d+)K"]


@pytest.mark.parametrize("body, message", [
    ("names = '(unnamed)'", "has no named group"),
    ("names = '(?P<sample>['", "is not a valid regular expression"),
    ("names = 3", "must be a regular expression or a list of them"),
    ("delay_s = 0.0\ndelay-s = 0.0", "delay_s: given twice"),
])
def test_bad_recipe_keys_are_named(tmp_path, body, message):
    make_dataset(tmp_path, corrupt=[])
    with pytest.raises(ConfigError, match="campaign.toml \\[dummy\\]") as err:
        load_campaign(write_campaign(tmp_path, dummy=body))
    assert message in str(err.value)


@pytest.mark.parametrize("camp, message", [
    ('scheduler = "localhost:8786"', "must be tcp://HOST:PORT"),
    ('executor = "process"\nscheduler = "dask-local:2"', "is for executor = \"dask\""),
    ('report = "yes"', "report: must be true or false"),
])
def test_bad_campaign_keys_are_named(tmp_path, camp, message):
    make_dataset(tmp_path, corrupt=[])
    path = tmp_path / "c.toml"
    path.write_text(f"[campaign]\n{camp}\n[dummy]\ninputs = [\"data/*.txt\"]\n")
    with pytest.raises(ConfigError, match="c.toml \\[campaign\\]") as err:
        load_campaign(path)
    assert message in str(err.value)


def test_series_task_per_sample(tmp_path):
    make_dataset(tmp_path, good=GOOD, corrupt=[])
    (tmp_path / "data" / "S2_500K.txt").write_text("this file is corrupt\n")
    path = write_campaign(tmp_path, dummy="series = true", executor="process", workers=2)
    report = run_campaign(path, progress=False)
    out = tmp_path / "out"
    assert report.per_technique["dummy"] == {"computed": 2, "cached": 0, "failed": 0}   # one task per sample
    # the corrupt member fails on its own, by its own name; the series goes on
    assert [(f.file, f.error) for f in report.failures] == [("data/S2_500K.txt", "ReadError")]
    stats = pd.read_csv(out / "dummy_stats.csv")
    assert stats["file"].tolist() == [f"data/{s}.txt" for s in GOOD]         # relative, not absolute
    assert stats["series_size"].tolist() == [4] * 4 + [5] * 4
    prov = json.loads((out / "provenance.json").read_text())
    labels = {i["file"]: i for i in prov["inputs"]}
    assert set(labels) == {"S1 (series of 4 files)", "S2 (series of 5 files)"}
    assert labels["S2 (series of 5 files)"]["files"][-1] == "data/S2_500K.txt"
    first = (out / "dummy_stats.csv").read_bytes()
    again = run_campaign(path, progress=False)
    assert (again.computed, again.cached) == (0, 2) and (out / "dummy_stats.csv").read_bytes() == first
    assert [f.file for f in again.failures] == ["data/S2_500K.txt"]            # kept with the cached series
    write_good(tmp_path / "data" / "S1_400K.txt", seed=42)                    # one member changes
    changed = run_campaign(path, progress=False)
    assert (changed.computed, changed.cached) == (1, 1)


def test_sidecar_is_part_of_the_content_hash(tmp_path):
    make_dataset(tmp_path, good=["S1_300K", "S1_350K"], corrupt=[])
    sidecar = tmp_path / "data" / "conditions.csv"
    sidecar.write_text("file,sample\nS1_300K.txt,S1\n")
    path = write_campaign(tmp_path)
    assert run_campaign(path, progress=False).computed == 2
    assert run_campaign(path, progress=False).cached == 2
    sidecar.write_text("file,sample\nS1_300K.txt,S1b\n")     # the sidecar changes what the readers see
    assert run_campaign(path, progress=False).computed == 2


def test_status_and_log(tmp_path, capsys):
    make_dataset(tmp_path)
    path = write_campaign(tmp_path)
    st = campaign_status(path)
    assert st.per_technique == {"dummy": {"done": 0, "failed": 0, "pending": 10}} and not st.complete
    assert not (tmp_path / "out").exists()                                   # status writes nothing
    run_campaign(path, progress=False)
    st = campaign_status(path)
    assert st.per_technique == {"dummy": {"done": 8, "failed": 2, "pending": 0}} and st.complete
    assert [f.file for f in st.failed] == [f"data/{s}.txt" for s in CORRUPT]
    assert st.last_run["counts"] == {"computed": 8, "cached": 0, "failed": 2}
    write_good(tmp_path / "data" / "S1_300K.txt", seed=7)
    assert main(["status", str(path)]) == 0
    text = capsys.readouterr().out
    assert "7 done, 2 failed, 1 pending" in text and "pending: data/S1_300K.txt [dummy]" in text
    events = RunLog.read(tmp_path / "out")
    assert [e["event"] for e in events][:1] == ["run_start"] and events[-1]["event"] == "run_end"
    tasks = [e for e in events if e["event"] == "task"]
    assert len(tasks) == 10 and {e["status"] for e in tasks} == {"computed", "failed"}
    assert all(e["elapsed_s"] >= 0 for e in tasks)


def test_cli_run_quiet_and_bad_scheduler(tmp_path, capsys):
    make_dataset(tmp_path, corrupt=[])
    path = write_campaign(tmp_path)
    assert main(["run", str(path), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["run", str(path), "--scheduler", "localhost"]) == 2
    assert "must be tcp://HOST:PORT" in capsys.readouterr().err
    assert main(["run", str(path), "--serial", "--scheduler", "dask-local:2"]) == 2


def test_sigma_table_is_a_conductivity_source(tmp_path):
    from structkit.core import DescriptorRow, DescriptorTable

    t = [280.0, 300.0, 320.0, 340.0]
    ea = 0.35
    sigma = {s: [a * np.exp(-ea / (8.617333262e-5 * x)) / x for x in t] for s, a in (("S1", 5e3), ("S2", 2e4))}
    (tmp_path / "sigma").mkdir()
    for s, vals in sigma.items():
        pd.DataFrame({"temperature_C": [x - 273.15 for x in t], "sigma_S_per_cm": vals,
                      "sigma_stderr_S_per_cm": [0.01 * v for v in vals]}).to_csv(tmp_path / "sigma" / f"{s}.csv",
                                                                                  index=False)
    (tmp_path / "sigma" / "bad.csv").write_text("temperature_K,sigma_S_per_cm\n300,\n")
    DescriptorTable.from_rows([DescriptorRow(s, "a_angstrom", 5.6, conditions={"temperature_K": 310.0})
                               for s in sigma]).to_csv(tmp_path / "xrd.csv")
    path = tmp_path / "c.toml"
    path.write_text('[campaign]\nexecutor = "serial"\n[sigma_table]\ninputs = ["sigma/*.csv"]\nfigures = false\n'
                    '[join]\ndescriptors = ["xrd.csv"]\n')
    report = run_campaign(path, progress=False)
    out = tmp_path / "structkit_out"
    assert [(f.file, f.error) for f in report.failures] == [("sigma/bad.csv", "DataError")]
    arr = pd.read_csv(out / "sigma_table_arrhenius.csv")
    np.testing.assert_allclose(arr["ea_eV"], [ea, ea], atol=1e-6)              # σT Arrhenius, exact data
    joined = pd.read_csv(out / "joined.csv")
    joined = joined[joined["temperature_K"] == 310.0].set_index("sample")
    for s, a in (("S1", 5e3), ("S2", 2e4)):
        assert joined.loc[s, "sigma_S_per_cm"] == pytest.approx(a * np.exp(-ea / (8.617333262e-5 * 310)) / 310,
                                                                rel=1e-6)
