"""The [qens] table of a campaign: a global (Q, E) fit per temperature, the Arrhenius of tau per sample.

S(Q, E) is synthetic (:func:`structkit.qens.synthetic.synthetic_sqe`: a C4 jump rotation, radius 1.5 A,
immobile fraction 0.1, tau = 3 ps exp[Ea/k_B (1/T - 1/330 K)] with Ea = 0.24 eV, Gaussian resolution of
0.22 meV FWHM, Poisson counts), written as long CSV tables ``LLZO_<T>K.csv``; the resolution is a synthetic
vanadium run in the same format, used as a fitted Gaussian. tau comes with relative standard errors of
0.6-1.3 % and Ea with 0.001 eV; the tolerances are five of them.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from structkit import ConfigError
from structkit.pipeline import parse_campaign, run_campaign
from structkit.qens.synthetic import synthetic_sqe, synthetic_vanadium

K_B = 8.617333262e-5
EA, TAU_REF, T_REF = 0.24, 3.0, 330.0
TEMPS = (280.0, 310.0, 340.0, 370.0)
Q = np.linspace(1.0, 2.0, 5)
E = np.linspace(-1.5, 1.5, 121)


def _tau(t):
    return TAU_REF * np.exp(EA / K_B * (1 / t - 1 / T_REF))


def _write(d, path):
    d.to_frame().rename(columns={"dS": "error"}).to_csv(path, index=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("qens_campaign")
    (root / "qens").mkdir()
    for k, t in enumerate(TEMPS):
        d, _ = synthetic_sqe(Q, E, "jump-rotation:n=4", {"radius_angstrom": 1.5, "tau_ps": _tau(t)},
                             immobile_fraction=0.1, peak_counts=5e4, temperature_K=t, seed=k)
        _write(d, root / "qens" / f"LLZO_{t:g}K.csv")
    _write(synthetic_vanadium(Q, E, seed=9), root / "qens" / "vanadium.csv")
    (root / "qens" / "LLZO_400K.csv").write_text("q_inv_angstrom,energy_meV,S,error\n1.0,abc,?,\n")
    return root


@pytest.fixture(scope="module")
def run(folder):
    toml = folder / "campaign.toml"
    toml.write_text('[campaign]\nname = "q"\noutput = "out"\nexecutor = "serial"\n\n'
                    '[qens]\ninputs = ["qens/LLZO_*K.csv"]\nresolution = "qens/vanadium.csv"\n'
                    'resolution_model = "gaussian"\nmodel = "jump-rotation:n=4"\nfigures = false\n')
    return run_campaign(toml, progress=False), folder / "out"


def test_tau_per_temperature_and_arrhenius_per_sample(run):
    report, out = run
    rows = pd.read_csv(out / "qens.csv").sort_values("temperature_K")
    assert rows["temperature_K"].tolist() == list(TEMPS) and set(rows["sample"]) == {"LLZO"}
    assert rows["converged"].all() and (rows["law"] == "jump-rotation:n=4").all()
    err = rows["tau_stderr_ps"].to_numpy()
    rel = err / rows["tau_ps"].to_numpy()
    assert np.all((rel > 0.002) & (rel < 0.03))
    assert np.all(np.abs(rows["tau_ps"].to_numpy() - _tau(np.array(TEMPS))) < 5 * err)
    assert np.all(np.abs(rows["radius_angstrom"] - 1.5) < 5 * rows["radius_angstrom_stderr"])
    arr = pd.read_csv(out / "qens_arrhenius.csv")
    assert len(arr) == 1 and arr["sample"].iloc[0] == "LLZO" and arr["n_temperatures"].iloc[0] == 4
    desc = pd.read_csv(out / "descriptors.csv")
    ea = desc[desc["name"] == "ea_tau_eV"].iloc[0]
    assert ea["unit"] == "eV" and ea["technique"] == "qens" and ea["sample"] == "LLZO"
    assert 0 < ea["stderr"] < 0.005 and abs(ea["value"] - EA) < 5 * ea["stderr"]
    tau0 = desc[desc["name"] == "tau0_ps"].iloc[0]
    assert tau0["value"] == pytest.approx(TAU_REF * np.exp(-EA / (K_B * T_REF)), rel=5 * tau0["stderr"] / tau0["value"])
    per_t = desc[desc["name"] == "tau_ps"]
    assert sorted(per_t["temperature_K"]) == list(TEMPS)
    assert pd.read_csv(out / "qens_tau.csv")["temperature_K"].tolist() == list(TEMPS)
    assert not list(out.glob("figures/qens/*.png"))


def test_summary_fits_each_sample_and_draws_its_arrhenius(run, tmp_path):
    from structkit.pipeline.adapters import TaskResult
    from structkit.pipeline.qens import QensAdapter

    rows = pd.read_csv(run[1] / "qens.csv")
    two = pd.concat([rows, rows.assign(sample="other", tau_ps=2 * rows["tau_ps"])], ignore_index=True)
    results = [TaskResult(rows=[r]) for r in two.to_dict("records")]
    s = QensAdapter().summarise(results, {"model": "jump-rotation:n=4", "figures": True}, tmp_path)
    arr = s.tables["qens_arrhenius"].set_index("sample")
    assert arr.loc["other", "ea_eV"] == pytest.approx(arr.loc["LLZO", "ea_eV"], abs=1e-9)     # 2 tau: same Ea
    assert arr.loc["other", "tau0_ps"] == pytest.approx(2 * arr.loc["LLZO", "tau0_ps"], rel=1e-9)
    assert s.figures == ["figures/qens/arrhenius_LLZO.png", "figures/qens/arrhenius_other.png"]
    assert all((tmp_path / f).stat().st_size > 0 for f in s.figures)
    few = QensAdapter().summarise(results[:2], {"figures": False}, tmp_path)
    assert not few.descriptors and "need at least 3 temperatures" in few.messages[0]


def test_corrupt_file_is_recorded_and_the_others_go_on(run):
    report, out = run
    assert report.failed == 1
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 1
    row = failures.iloc[0]
    assert row["file"] == "qens/LLZO_400K.csv" and row["technique"] == "qens" and row["error"] == "ReadError"


def test_hints_set_sample_temperature_and_conditions(folder, tmp_path):
    from structkit.pipeline.qens import QensAdapter

    a = QensAdapter()
    s = a.validate({"resolution_fwhm": 0.22, "model": "jump-rotation:n=4"}, where="t")
    res = a.process(folder / "qens" / "LLZO_340K.csv", s, tmp_path,
                    hints={"sample": "NTC", "temperature_K": 341.0, "conditions": {"milling_time_h": 6.0}})
    row = res.rows[0]
    assert (row["sample"], row["temperature_K"], row["milling_time_h"]) == ("NTC", 341.0, 6.0)
    tau = next(d for d in res.descriptors if d.name == "tau_ps")
    assert dict(tau.conditions) == {"milling_time_h": 6.0, "temperature_K": 341.0} and tau.sample == "NTC"
    assert [Path(p).name for p in res.figures] == ["LLZO_340K_fit.png"]
    assert (tmp_path / "LLZO_340K_fit.png").stat().st_size > 0


@pytest.mark.parametrize("qens, expected", [
    ({"model": "jump-rotation:n=4"}, "resolution: give exactly one of"),
    ({"resolution_fwhm": 0.22, "resolution": "qens/vanadium.csv"}, "resolution: give exactly one of"),
    ({"resolution": "nope.csv"}, "resolution: file 'nope.csv' not found"),
    ({"resolution_fwhm": -1}, "resolution_fwhm: must be a positive number"),
    ({"resolution_fwhm": 0.2, "resolution_model": "gaussian"}, "resolution_model: says how a vanadium file"),
    ({"resolution": "qens/vanadium.csv", "resolution_model": "lorentzian"}, "resolution_model: must be one of"),
    ({"resolution_fwhm": 0.2, "model": "hopping"}, "model: "),
    ({"resolution_fwhm": 0.2, "immobile_fraction": 1.5}, "immobile_fraction: must be \"fit\", \"none\""),
    ({"resolution_fwhm": 0.2, "fix": {"u2_A2": 0.1}}, "fix: cannot hold 'u2_A2'"),
    ({"resolution_fwhm": 0.2, "energy_range": [1, -1]}, "energy_range: must be \\[LO, HI\\]"),
    ({"resolution_fwhm": 0.2, "energy_unit": "furlongs"}, "energy_unit: energy_unit='furlongs'"),
    ({"resolution_fwhm": 0.2, "energy_sign": 2}, "energy_sign: must be 1"),
    ({"resolution_fwhm": 0.2, "q": [1.0, -2.0]}, "q: must be a positive number"),
    ({"resolution_fwhm": 0.2, "scale": "per_group"}, "scale: must be one of"),
    ({"resolution_fwhm": 0.2, "temperature": 300}, "temperature: unknown key"),
])
def test_bad_settings_name_the_key(folder, qens, expected):
    with pytest.raises(ConfigError, match=expected) as info:
        parse_campaign({"campaign": {"name": "t"}, "qens": {"inputs": ["qens/LLZO_*K.csv"], **qens}},
                       base_dir=folder, source="c.toml")
    assert str(info.value).startswith("c.toml [qens] ")
