"""The [tem] table of a campaign: HRTEM dose series per file, the critical dose per temperature.

Stacks are synthetic (:func:`structkit.tem.synthetic_stack`: 256² px of 0.25 Å, ten frames of 4 e/Å²,
{100} fringes of 4.70 Å, the 90° one expanding by 0.0035 per e/Å², shot noise at 8× the physical dose)
written as TIFF without calibration, named ``<sample>_<T>K.tif``: the cryo series (100 K) fades with
Dc = 40 e/Å², the room-temperature one (300 K) with Dc = 20 e/Å². Dc comes with a standard error of
~5 %; the tolerances are 25 % and four standard errors.
"""

import json

import numpy as np
import pandas as pd
import pytest

from structkit import ConfigError
from structkit.pipeline import parse_campaign, run_campaign
from structkit.tem import synthetic_stack

DC = {100: 40.0, 300: 20.0}
RATE, N, DOSE = 0.0035, 10, 4.0
NAMES = r"(?P<sample>[A-Za-z]+)_(?P<temperature_K>\d+)K"


def _write(path, stack):
    import tifffile

    tifffile.imwrite(path, np.asarray(stack.data, dtype=np.float32))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("tem_campaign")
    (d / "tem").mkdir()
    for i, (t, dc) in enumerate(DC.items()):
        _write(d / "tem" / f"NTC_{t}K.tif",
               synthetic_stack(shape=(256, 256), n_frames=N, dose_per_frame_e_per_A2=DOSE, electrons_per_A2_scale=8.0,
                               expansion_per_e_per_A2=(0.0, RATE), critical_dose_e_per_A2=(dc, dc), seed=20 + i))
    one = synthetic_stack(shape=(256, 256), n_frames=1, electrons_per_A2_scale=8.0, seed=9)
    _write(d / "tem" / "NTC_200K.tif", one)                              # one frame: not a dose series
    return d


def _run(folder, name, body, inputs='["tem/*.tif"]'):
    toml = folder / f"{name}.toml"
    toml.write_text(f'[campaign]\nname = "{name}"\noutput = "{name}"\nexecutor = "serial"\nnames = \'{NAMES}\'\n\n'
                    f'[tem]\ninputs = {inputs}\n{body}')
    report = run_campaign(toml, progress=False)
    return report, folder / name


@pytest.fixture(scope="module")
def series_run(folder):
    return _run(folder, "series", 'mode = "dose-series"\npixel-size-A = 0.25\ndose_per_frame = 4.0\n'
                                  'track = [4.7, 4.7]\nangles = [0.0, 90.0]\n')


def test_per_frame_table_from_the_names_rule(series_run):
    _, out = series_run
    rows = pd.read_csv(out / "tem.csv")
    assert list(rows.columns[:6]) == ["file", "sample", "track", "frame", "dose_e_per_A2", "d_angstrom"]
    assert len(rows) == 2 * 2 * N
    assert set(rows["file"]) == {"tem/NTC_100K.tif", "tem/NTC_300K.tif"}
    assert set(rows["sample"]) == {"NTC"} and set(rows["temperature_K"]) == {100.0, 300.0}
    assert set(rows["track"]) == {"4.70A@0deg", "4.70A@90deg"} and rows["found"].all()
    dose = DOSE * (np.arange(N) + 0.5)
    for (_, track), g in rows.groupby(["file", "track"]):
        rate = RATE if track == "4.70A@90deg" else 0.0
        g = g.sort_values("frame")
        np.testing.assert_allclose(g["dose_e_per_A2"], dose)
        dev = np.abs(g["d_angstrom"] - 4.7 * (1 + rate * dose))            # faint late frames: by their stderr
        assert np.all(dev < np.maximum(0.005 * 4.7, 4 * g["d_stderr_angstrom"])), dev


def test_tracks_table_and_critical_dose_per_temperature(series_run):
    _, out = series_run
    tracks = pd.read_csv(out / "tem_tracks.csv")
    assert len(tracks) == 4 and set(tracks["track"]) == {"4.70A@0deg", "4.70A@90deg"}
    tracks = tracks[tracks["track"] == "4.70A@90deg"].set_index("temperature_K")
    assert (tracks["n_found"] == N).all() and (tracks["n_frames"] == N).all()
    for t, dc in DC.items():
        r = tracks.loc[float(t)]
        assert r["file"] == f"tem/NTC_{t}K.tif" and r["sample"] == "NTC"
        assert r["critical_dose_stderr_e_per_A2"] > 0
        assert abs(r["critical_dose_e_per_A2"] / dc - 1) < 0.25
        assert abs(r["critical_dose_e_per_A2"] - dc) < 4 * r["critical_dose_stderr_e_per_A2"]
        assert abs(r["strain_rate_per_e_per_A2"] - RATE) < 4 * r["strain_rate_stderr_per_e_per_A2"]
        assert abs(r["expansion_percent_final"] - 100 * RATE * N * DOSE) < 1.0
        assert r["final_dose_e_per_A2"] == N * DOSE
    provenance = json.loads((out / "provenance.json").read_text())
    msgs = provenance["summaries"]["tem"]["messages"]
    lines = sorted(m for m in msgs if "critical dose" in m)
    assert len(lines) == 2                                                 # one per track, not mixed
    for line, track in zip(lines, ("4.70A@0deg", "4.70A@90deg")):
        assert line.startswith(f"sample 'NTC', track {track}: critical dose (e/Å²) at temperature_K = 100: ")
        assert "; temperature_K = 300: " in line and "mean of" not in line
        t100, t300 = (float(part.split(": ")[-1].split(" ± ")[0]) for part in line.split("; "))
        assert t100 > 1.5 * t300                                           # cryo: twice the critical dose


def test_descriptors_carry_the_dose_condition(series_run):
    _, out = series_run
    desc = pd.read_csv(out / "descriptors.csv")
    tem = desc[desc["technique"] == "tem"]
    strain = tem[tem["name"] == "strain[4.70A@90deg]"]
    assert len(strain) == 2 * N
    assert set(strain["temperature_K"]) == {100.0, 300.0}
    assert sorted(set(strain["dose_e_per_A2"])) == list(DOSE * (np.arange(N) + 0.5))
    dc = tem[tem["name"] == "critical_dose_e_per_A2[4.70A@90deg]"]
    assert len(dc) == 2 and dc["dose_e_per_A2"].isna().all() and set(dc["unit"]) == {"e/A2"}
    assert set(dc["source"]) == {"tem/NTC_100K.tif", "tem/NTC_300K.tif"}


def test_one_frame_file_fails_and_the_others_go_on(series_run):
    report, out = series_run
    assert report.failed == 1
    f = pd.read_csv(out / "failures.csv").iloc[0]
    assert f["file"] == "tem/NTC_200K.tif" and f["technique"] == "tem" and f["error"] == "DataError"
    assert "at least 2 frames" in f["message"]


def test_figures(series_run):
    _, out = series_run
    names = sorted(p.name for p in (out / "figures" / "tem").glob("*.png"))
    assert names == ["NTC_100K_fft0.png", "NTC_100K_series.png", "NTC_300K_fft0.png", "NTC_300K_series.png"]


def test_fft_mode_indexes_the_spots(folder):
    report, out = _run(folder, "fft", 'pixel_size_A = 0.25\ncell = 4.7\nframe = 0\nfigures = false\n',
                       inputs='["tem/NTC_100K.tif"]')
    assert report.failed == 0
    rows = pd.read_csv(out / "tem.csv")
    assert list(rows.columns[:4]) == ["file", "sample", "spot", "d_angstrom"]
    assert len(rows) == 2 and set(rows["hkl"]) == {"(1 0 0)"} and set(rows["temperature_K"]) == {100.0}
    np.testing.assert_allclose(np.sort(rows["d_angstrom"]), [4.7, 4.7 * (1 + RATE * DOSE / 2)], rtol=0.005)
    assert not (out / "tem_tracks.csv").exists()
    desc = pd.read_csv(out / "descriptors.csv")
    assert {"d_angstrom[1]", "d_angstrom[2]", "superstructure"} <= set(desc["name"])


def test_hints_set_sample_and_conditions(folder, tmp_path):
    from structkit.pipeline.tem import TemAdapter

    a = TemAdapter()
    s = a.validate({"pixel_size_A": 0.25, "figures": False, "sample": "NTC-cryo"}, where="t")
    res = a.process(folder / "tem" / "NTC_100K.tif", s, tmp_path,
                    hints={"sample": "x", "temperature_K": 95.0, "conditions": {"holder": "cryo"}})
    assert {(r["sample"], r["temperature_K"], r["holder"]) for r in res.rows} == {("NTC-cryo", 95.0, "cryo")}
    d = next(x for x in res.descriptors if x.name == "d_angstrom[1]")
    assert dict(d.conditions) == {"temperature_K": 95.0, "holder": "cryo"} and d.sample == "NTC-cryo"
    assert not res.figures


@pytest.mark.parametrize("tem, expected", [
    ({"mode": "tomography"}, 'mode: must be "fft" or "dose-series"'),
    ({"mode": "dose-series"}, "track: missing; a dose series follows the spots"),
    ({"mode": "dose-series", "track": [4.7], "cell": 4.7}, 'cell: indexes the spots of one FFT; it is for mode = "fft"'),
    ({"track": [4.7]}, 'track: follows spots through a dose series; it is for mode = "dose-series", not "fft"'),
    ({"mode": "dose-series", "track": [4.7, 3.3], "angles": [0.0]}, r"angles: needs one angle per tracked d \(2\)"),
    ({"mode": "dose-series", "track": "4.7"}, r"track: must be a number or a list of numbers, e.g. \[4.5, 4.7\], got '4.7'"),
    ({"mode": "dose-series", "track": [4.7], "bin": 0}, "bin: must be an integer >= 1"),
    ({"mode": "dose-series", "track": [4.7], "drift_correct": "yes"}, "drift_correct: must be true or false"),
    ({"dose_per_frame": 2.0, "dose_rate": 40.0}, "dose_rate: give either dose_per_frame or dose_rate"),
    ({"pixel_size_A": 0}, "pixel_size_A: must be a positive number"),
    ({"region": [0, 256, 0]}, r"region: must be \[y0, y1, x0, x1\]"),
    ({"window": "blackman"}, 'window: must be one of "hann", "tukey", "none"'),
    ({"refine": "fit"}, 'refine: must be one of "window", "gaussian", "centroid"'),
    ({"threshold": -3}, "threshold: must be a positive number"),
    ({"cell": [4.7, 4.7]}, r"cell: must be a \(cubic\), \[a, b, c\]"),
    ({"d_min": 5.0, "d_max": 2.0}, "d_max: must be larger than d_min"),
    ({"frame": 2, "sum_frames": True}, "frame: the FFT is of one frame or of the sum of all"),
    ({"frame": -1}, "frame: must be an integer >= 0"),
    ({"figures": "no"}, "figures: must be true or false"),
    ({"pixel_size": 0.25}, "pixel_size: unknown key"),
])
def test_bad_settings_name_the_key(tmp_path, tem, expected):
    (tmp_path / "a.tif").write_bytes(b"II*\x00")
    with pytest.raises(ConfigError, match=expected) as info:
        parse_campaign({"campaign": {"name": "t"}, "tem": {"inputs": ["*.tif"], **tem}},
                       base_dir=tmp_path, source="c.toml")
    assert str(info.value).startswith("c.toml [tem] ")
