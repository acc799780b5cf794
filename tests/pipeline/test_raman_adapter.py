"""The [raman] table of a campaign: band fits per spectrum, bands followed across temperatures per sample.

Spectra are synthetic (:func:`structkit.raman.synthetic_spectrum`: pseudo-Voigt bands on a fluorescence
background, Poisson counts) written as two-column text files named ``<sample>_<T>K.txt``. One band stays at
360 cm-1, the other moves as 405 - 0.02 (T - 100) cm-1 and broadens as 8 + 0.015 (T - 100) cm-1. Band centres
come with standard errors of 0.02-0.09 cm-1; the tolerances are five of them.
"""

import numpy as np
import pandas as pd
import pytest

from structkit import ConfigError
from structkit.pipeline import parse_campaign, run_campaign
from structkit.raman import synthetic_spectrum

TEMPS = (100.0, 200.0, 300.0, 400.0)
SLOPE, WIDTH_SLOPE = -0.02, 0.015


def _moving(t):
    return 405.0 + SLOPE * (t - 100.0), 8.0 + WIDTH_SLOPE * (t - 100.0)


def _write(path, m):
    with open(path, "w") as fh:
        fh.write("Raman Shift (cm-1)\tIntensity\n")
        fh.writelines(f"{a:.6f}\t{b:.8g}\n" for a, b in zip(m.x, m.y))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("raman_campaign")
    (d / "raman").mkdir()
    for i, t in enumerate(TEMPS):
        c, w = _moving(t)
        _write(d / "raman" / f"NTC_{t:g}K.txt",
               synthetic_spectrum([(360, 14, 4e4), (c, w, 6e4)], x=(200, 600), seed=10 + i))
    (d / "raman" / "NTC_500K.txt").write_text("Raman Shift (cm-1)\tIntensity\nnot\tnumbers\n")
    return d


def _run(folder, name, body):
    toml = folder / f"{name}.toml"
    toml.write_text(f'[campaign]\nname = "{name}"\noutput = "{name}"\nexecutor = "serial"\n\n'
                    f'[raman]\ninputs = ["raman/*.txt"]\n{body}')
    report = run_campaign(toml, progress=False)
    return report, folder / name


@pytest.fixture(scope="module")
def defaults_run(folder):
    return _run(folder, "defaults", "figures = false\n")


def test_defaults_detect_both_bands_and_follow_them_across_temperatures(defaults_run):
    report, out = defaults_run
    per_file = pd.read_csv(out / "raman_bands.csv")
    assert set(per_file["temperature_K"]) == set(TEMPS) and set(per_file["sample"]) == {"NTC"}
    assert len(per_file) == 2 * len(TEMPS)                              # two bands found by BIC in each spectrum
    series = pd.read_csv(out / "raman_series.csv")
    assert sorted(set(series["band"])) == ["b360", "b402"]              # tracked by centre, named by the median
    moving = series[series["band"] == "b402"].sort_values("temperature_K")
    assert moving["temperature_K"].tolist() == list(TEMPS)
    truth = np.array([_moving(t)[0] for t in TEMPS])
    err = moving["center_stderr_cm1"].to_numpy()
    assert np.all(err > 0) and np.all(err < 0.1)
    assert np.all(np.abs(moving["center_cm1"].to_numpy() - truth) < 5 * err)
    fixed = series[series["band"] == "b360"]
    assert np.all(np.abs(fixed["center_cm1"].to_numpy() - 360.0) < 5 * fixed["center_stderr_cm1"].to_numpy())
    desc = pd.read_csv(out / "descriptors.csv")
    slope = desc[desc["name"] == "dcenter_cm1_dtemperature_K[b402]"].iloc[0]
    assert slope["unit"] == "cm-1/K" and slope["technique"] == "raman" and slope["sample"] == "NTC"
    assert 0 < slope["stderr"] < 5e-4
    assert abs(slope["value"] - SLOPE) < 5 * slope["stderr"]
    width = desc[desc["name"] == "dfwhm_cm1_dtemperature_K[b402]"].iloc[0]
    assert abs(width["value"] - WIDTH_SLOPE) < 5 * width["stderr"] + 1e-3     # + the pseudo-Voigt eta/width trade
    assert {"center_cm1[p1]", "fwhm_cm1[p2]", "area_fraction[p1]"} <= set(desc["name"])
    trends = pd.read_csv(out / "raman_trends.csv")
    assert set(trends["quantity"]) == {"center_cm1", "fwhm_cm1"} and (trends["n_points"] == 4).all()
    assert not (out / "figures" / "raman").exists() or not any((out / "figures" / "raman").iterdir())


def test_corrupt_file_is_recorded_and_the_others_go_on(defaults_run):
    report, out = defaults_run
    assert report.failed == 1
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 1
    row = failures.iloc[0]
    assert row["file"].endswith("NTC_500K.txt") and row["technique"] == "raman" and row["error"] == "ReadError"


def test_the_summary_follows_the_condition_that_varies(defaults_run, tmp_path):
    from structkit.core.descriptors import DescriptorRow
    from structkit.pipeline.adapters import TaskResult
    from structkit.pipeline.raman import RamanAdapter

    rows = pd.read_csv(defaults_run[1] / "raman_bands.csv")
    rows = rows.assign(milling_time_h=rows["temperature_K"] / 100.0, temperature_K=298.15)   # 1, 2, 3, 4 h
    results = []
    for _, g in rows.groupby("file"):
        cond = {"temperature_K": 298.15, "milling_time_h": float(g["milling_time_h"].iloc[0])}
        results.append(TaskResult(rows=g.to_dict("records"),
                                  descriptors=[DescriptorRow("NTC", "center_cm1[p1]", 1.0, unit="cm-1",
                                                             conditions=cond)]))
    s = RamanAdapter().summarise(results, {"figures": False}, tmp_path)
    assert "band series against milling_time_h" in s.messages[0]
    slope = next(d for d in s.descriptors if d.name == "dcenter_cm1_dmilling_time_h[b402]")
    assert slope.unit == "cm-1/h" and abs(slope.value - 100 * SLOPE) < 5 * slope.stderr
    assert s.tables["raman_series"]["milling_time_h"].tolist()[:4] == [1.0, 2.0, 3.0, 4.0]


def test_peaks_split_and_figures(folder):
    report, out = _run(folder, "peaks", 'peaks = [360.0, 405.0]\nbaseline = "poly"\n'
                                        'anchors = [[200, 300], [460, 600]]\nsplit = { a1g = [380, 430] }\n')
    assert report.failed == 1
    rows = pd.read_csv(out / "raman_bands.csv")
    assert set(rows["band"]) == {"b360", "b405"}
    assert not rows["split[a1g]"].astype(bool).any()                  # one band in the window, not two
    assert "splitting_cm1[a1g]" in rows.columns
    series = pd.read_csv(out / "raman_series.csv")
    assert (series["band"] == series["fitted_band"]).all()
    moving = series[series["band"] == "b405"].sort_values("temperature_K")
    np.testing.assert_allclose(moving["center_cm1"], [_moving(t)[0] for t in TEMPS], atol=0.3)
    figures = sorted(p.name for p in (out / "figures" / "raman").glob("*.png"))
    assert figures == ["NTC_100K_fit.png", "NTC_200K_fit.png", "NTC_300K_fit.png", "NTC_400K_fit.png",
                       "bands_vs_temperature_K_NTC.png"]
    desc = pd.read_csv(out / "descriptors.csv")
    assert {"split[a1g]", "splitting_cm1[a1g]", "dcenter_cm1_dtemperature_K[b405]"} <= set(desc["name"])


def test_hints_set_sample_and_conditions(folder, tmp_path):
    from structkit.pipeline.raman import RamanAdapter

    a = RamanAdapter()
    s = a.validate({"peaks": [360.0, 405.0], "figures": False, "condition": "milling_time_h"}, where="t")
    res = a.process(folder / "raman" / "NTC_100K.txt", s, tmp_path,
                    hints={"sample": "NTC-6h", "temperature_K": 295.0, "conditions": {"milling_time_h": 6.0}})
    assert {(r["sample"], r["temperature_K"], r["milling_time_h"]) for r in res.rows} == {("NTC-6h", 295.0, 6.0)}
    centre = next(d for d in res.descriptors if d.name == "center_cm1[b405]")
    assert dict(centre.conditions) == {"temperature_K": 295.0, "milling_time_h": 6.0} and centre.sample == "NTC-6h"
    assert not res.messages and not res.figures


@pytest.mark.parametrize("raman, expected", [
    ({"baseline": "poly"}, "anchors: baseline = \"poly\" needs band-free windows"),
    ({"baseline": "spline"}, "baseline: must be one of"),
    ({"table": "Quartz"}, "table: no band table 'Quartz'"),
    ({"table": "NaTaCl6", "select": ["nope"]}, "select: band table 'NaTaCl6' has no band 'nope'"),
    ({"table": "NaTaCl6", "peaks": [360]}, "peaks: give either table"),
    ({"select": ["A1g"]}, "select: selects bands of an assignment table"),
    ({"peaks": "360,405"}, "peaks: must be a list"),
    ({"lam": -1}, "lam: must be a positive number"),
    ({"shape": "sinc"}, "shape: unknown peak shape 'sinc'"),
    ({"min_width": 3.0}, "min_width: .* set despike = true"),
    ({"split": {"A1g": [440, 340]}}, r"split: the window of 'A1g' must be \[LO, HI\]"),
    ({"figures": "no"}, "figures: must be true or false"),
    ({"max_band": 3}, "max_band: unknown key"),
])
def test_bad_settings_name_the_key(tmp_path, raman, expected):
    (tmp_path / "a_300K.txt").write_text("1 2\n")
    with pytest.raises(ConfigError, match=expected) as info:
        parse_campaign({"campaign": {"name": "t"}, "raman": {"inputs": ["*.txt"], **raman}},
                       base_dir=tmp_path, source="c.toml")
    assert str(info.value).startswith("c.toml [raman] ")
