"""``structkit tem fft|dose-series`` end to end, on synthetic HRTEM stacks the tests write as TIFF and .npy.

The stacks come from :func:`structkit.tem.synthetic_stack` (known truth): 256² px of 0.25 Å, ten frames
of 4 e/Å², {100} fringes of 4.70 Å along 0° (no expansion) and 90° (strain 0.0035 per e/Å², 14 % at
the final 40 e/Å²), spot intensities fading with Dc = 30 e/Å², shot noise at 8× the physical dose.
At that noise a single frame gives d to ~0.12 % (1σ), the strain rate to ~1.5 % (50 of 3500 per
million per e/Å²) and Dc to ~5 %: the tolerances below (0.5 % on d, 1 percentage point on the
final expansion, 20 % on Dc, and 4 reported standard errors) leave room for the noise, not for a
wrong dose axis or a wrong pixel size (a 2× pixel size doubles d, a dose per frame off by 2× halves
the strain rate and Dc).
"""

import json

import numpy as np
import pandas as pd
import pytest

from structkit.cli import main
from structkit.tem import synthetic_stack

PX, DOSE, N = 0.25, 4.0, 10
RATE, DC = 0.0035, 30.0
FFT_COLUMNS = ["file", "sample", "spot", "d_angstrom", "d_stderr_angstrom", "angle_deg", "angle_stderr_deg",
               "intensity", "snr", "hkl", "superstructure"]
SERIES_COLUMNS = ["file", "sample", "track", "frame", "dose_e_per_A2", "d_angstrom", "d_stderr_angstrom", "strain",
                  "strain_stderr", "spot_intensity", "spot_intensity_stderr", "found", "critical_dose_e_per_A2",
                  "critical_dose_stderr_e_per_A2"]
TRACKS = ["--track", "4.7", "--track", "4.7", "--angle", "0", "--angle", "90"]


def _stack(seed):
    return synthetic_stack(shape=(256, 256), n_frames=N, pixel_size_angstrom=PX, dose_per_frame_e_per_A2=DOSE,
                           electrons_per_A2_scale=8.0, expansion_per_e_per_A2=(0.0, RATE),
                           critical_dose_e_per_A2=(DC, DC), seed=seed)


def _fold(a):
    a = np.asarray(a, dtype=float) % 180.0
    return np.minimum(a, 180.0 - a)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    import tifffile

    d = tmp_path_factory.mktemp("tem_cli")
    s1, s2 = _stack(2), _stack(3)
    tifffile.imwrite(d / "NTC_100K.tif", np.asarray(s1.data, dtype=np.float32))      # no calibration in the file
    np.save(d / "NTC_300K.npy", np.asarray(s2.data, dtype=np.float32))
    np.save(d / "one.npy", np.asarray(s1.data[0], dtype=np.float32))
    # one frame with an ImageJ calibration: 40 px per nm = 0.25 Å
    tifffile.imwrite(d / "cal.tif", np.asarray(s1.data[0], dtype=np.float32), imagej=True,
                     resolution=(40.0, 40.0), metadata={"unit": "nm"})
    rng = np.random.default_rng(7)
    np.save(d / "noise.npy", rng.poisson(s1.meta["truth"]["electrons_per_pixel_per_frame"],
                                         size=(256, 256)).astype(np.float32))
    return d, s1.meta["truth"]


# -------------------------------------------------------------------------------------------------- fft
@pytest.fixture(scope="module")
def fft_run(data):
    d, _ = data
    out = d / "fft_out" / "spots.csv"
    out.parent.mkdir()
    rc = main(["tem", "fft", str(d / "NTC_100K.tif"), str(d / "one.npy"), "--pixel-size-A", str(PX),
               "--cell", "4.7", "-o", str(out)])
    return rc, out


def test_fft_spots_against_the_truth(fft_run, data, capsys):
    rc, out = fft_run
    d, truth = data
    assert rc == 0
    frame = pd.read_csv(out)
    assert list(frame.columns[:len(FFT_COLUMNS)]) == FFT_COLUMNS
    assert list(frame["file"]) == [str(d / "NTC_100K.tif")] * 2 + [str(d / "one.npy")] * 2
    assert list(frame["sample"]) == ["NTC", "NTC", "one", "one"]
    assert list(frame["temperature_K"].iloc[:2]) == [100.0, 100.0]           # from the file name
    assert (frame["frame"] == 0).all() and (frame["frames_summed"] == 1).all()
    d_true = truth["d_angstrom"][0]                                          # frame 0: mid-frame dose 2 e/Å²
    for _, g in frame.groupby("file"):
        assert list(g["spot"]) == [1, 2]
        for angle, dt in ((0.0, d_true[0]), (90.0, d_true[1])):
            s = g[_fold(g["angle_deg"] - angle) < 1.0]
            assert len(s) == 1, (angle, g)
            s = s.iloc[0]
            assert abs(s["d_angstrom"] / dt - 1) < 0.005
            assert abs(s["d_angstrom"] - dt) < 4 * s["d_stderr_angstrom"]
            assert 0 < s["angle_stderr_deg"] < 0.5 and s["snr"] > 20
            assert s["hkl"] == "(1 0 0)"
        assert not g["superstructure"].any()
    desc = pd.read_csv(out.parent / "spots_descriptors.csv")
    assert {"d_angstrom[1]", "angle_deg[2]", "superstructure", "n_spots"} <= set(desc["name"])
    assert set(desc["technique"]) == {"tem"}
    settings = json.loads((out.parent / "spots_settings.json").read_text())
    assert settings["mode"] == "fft" and settings["pixel_size_A"] == PX and settings["cell"] == 4.7
    assert settings["threshold"] == 6.0 and settings["frame"] == 0 and not settings["sum_frames"]
    figures = sorted(p.name for p in (out.parent / "spots_figures").glob("*.png"))
    assert figures == ["NTC_100K_fft.png", "one_fft.png"]
    assert not (out.parent / "spots_failures.csv").exists()


def test_fft_default_output_file_calibration_and_override(data, tmp_path, monkeypatch, capsys):
    d, truth = data
    monkeypatch.chdir(tmp_path)
    assert main(["tem", "fft", str(d / "cal.tif"), "--no-figures"]) == 0         # pixel size from the file
    text = capsys.readouterr().out
    assert "HRTEM FFT of cal: 2 spot(s)" in text
    first = pd.read_csv(tmp_path / "cal_fft.csv")
    assert np.allclose(np.sort(first["d_angstrom"]), np.sort(truth["d_angstrom"][0]), rtol=0.005)
    # an option overrides the file's calibration: twice the pixel size, twice the d
    assert main(["tem", "fft", str(d / "cal.tif"), "--pixel-size-A", str(2 * PX), "--no-figures",
                 "-o", str(tmp_path / "twice.csv")]) == 0
    twice = pd.read_csv(tmp_path / "twice.csv")
    np.testing.assert_allclose(np.sort(twice["d_angstrom"]), 2 * np.sort(first["d_angstrom"]), rtol=1e-6)


def test_fft_of_the_frame_sum_and_of_a_later_frame(data, tmp_path):
    d, truth = data
    out = tmp_path / "sum.csv"
    assert main(["tem", "fft", str(d / "NTC_300K.npy"), "--pixel-size-A", str(PX), "--sum", "--d-min", "4",
                 "--d-max", "4.9", "--no-figures", "-o", str(out)]) == 0
    f = pd.read_csv(out)
    assert (f["frames_summed"] == N).all()
    still = f[_fold(f["angle_deg"]) < 1.0]                                  # the 0° fringe does not expand
    assert len(still) == 1 and abs(still["d_angstrom"].iloc[0] / 4.7 - 1) < 0.005
    out = tmp_path / "last.csv"
    assert main(["tem", "fft", str(d / "NTC_300K.npy"), "--pixel-size-A", str(PX), "--frame", str(N - 1),
                 "--no-figures", "-o", str(out)]) == 0
    f = pd.read_csv(out)
    assert (f["frame"] == N - 1).all()
    grown = f[_fold(f["angle_deg"] - 90.0) < 1.0]["d_angstrom"].iloc[0]
    assert abs(grown / truth["d_angstrom"][-1][1] - 1) < 0.005                # 4.7 × (1 + 0.0035 × 38) = 5.33 Å


def test_fft_without_pixel_size_exits_2_naming_file_and_option(data, tmp_path, capsys):
    d, _ = data
    out = tmp_path / "x.csv"
    assert main(["tem", "fft", str(d / "one.npy"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "one.npy" in err and "pixel size is missing" in err and "--pixel-size-A" in err
    assert not out.exists()
    fails = pd.read_csv(tmp_path / "x_failures.csv")
    assert list(fails["error"]) == ["DataError"]


def test_fft_of_pure_noise_is_a_no_spot_error(data, tmp_path, capsys):
    d, _ = data
    assert main(["tem", "fft", str(d / "noise.npy"), "--pixel-size-A", str(PX), "-o", str(tmp_path / "n.csv")]) == 2
    err = capsys.readouterr().err
    assert "noise.npy" in err and "no spot above noise" in err


def test_fft_one_of_two_files_failing_exits_1(data, tmp_path, capsys):
    d, _ = data
    out = tmp_path / "mixed.csv"
    rc = main(["tem", "fft", str(d / "noise.npy"), str(d / "one.npy"), "--pixel-size-A", str(PX), "--no-figures",
               "-o", str(out)])
    assert rc == 1
    frame = pd.read_csv(out)
    assert set(frame["file"]) == {str(d / "one.npy")} and len(frame) == 2
    fails = pd.read_csv(tmp_path / "mixed_failures.csv")
    assert list(fails["file"]) == [str(d / "noise.npy")] and "no spot above noise" in fails["message"].iloc[0]
    assert "1 file(s) failed" in capsys.readouterr().err
    assert not (tmp_path / "mixed_figures").exists()


@pytest.mark.parametrize("argv, expected", [
    (["--pixel-size-A", "-0.25"], "--pixel-size-A: must be a positive number"),
    (["--pixel-size-A", "0.25", "--d-min", "5", "--d-max", "2"], "--d-max: must be larger than --d-min"),
    (["--pixel-size-A", "0.25", "--cell", "4,4,4,90,90,200"], "--cell: cell lengths must be positive"),
    (["--pixel-size-A", "0.25", "--threshold", "0"], "--threshold: must be a positive number"),
    (["--pixel-size-A", "0.25", "--region", "0,256,200,100"], "--region: must be [y0, y1, x0, x1]"),
])
def test_fft_bad_options_exit_2(data, tmp_path, capsys, argv, expected):
    d, _ = data
    out = tmp_path / "bad.csv"
    assert main(["tem", "fft", str(d / "one.npy"), *argv, "-o", str(out)]) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------------------------------ dose-series
@pytest.fixture(scope="module")
def series_run(data):
    d, _ = data
    out = d / "series_out" / "series.csv"
    out.parent.mkdir()
    rc = main(["tem", "dose-series", str(d / "NTC_100K.tif"), str(d / "NTC_300K.npy"), str(d / "one.npy"),
               "--pixel-size-A", str(PX), "--dose-per-frame", str(DOSE), *TRACKS, "-o", str(out)])
    return rc, out


def test_dose_series_table_against_the_truth(series_run, data):
    rc, out = series_run
    d, truth = data
    assert rc == 1                                                          # one.npy is one frame
    frame = pd.read_csv(out)
    assert list(frame.columns[:len(SERIES_COLUMNS)]) == SERIES_COLUMNS
    assert len(frame) == 2 * 2 * N
    assert set(frame["file"]) == {str(d / "NTC_100K.tif"), str(d / "NTC_300K.npy")}
    assert set(frame["sample"]) == {"NTC"} and set(frame["temperature_K"]) == {100.0, 300.0}
    assert set(frame["track"]) == {"4.70A@0deg", "4.70A@90deg"}
    for (_, track), g in frame.groupby(["file", "track"]):
        g = g.sort_values("frame")
        k = 0 if track == "4.70A@0deg" else 1
        np.testing.assert_allclose(g["dose_e_per_A2"], truth["mid_frame_dose_e_per_A2"])   # 2, 6, ... 38
        assert g["found"].all()
        d_true = truth["d_angstrom"][:, k]
        assert np.all(np.abs(g["d_angstrom"] / d_true - 1) < 0.005)
        assert np.all(np.abs(g["strain"] - truth["strain"][:, k]) < 0.01)
        inten = g["spot_intensity"].to_numpy()
        assert inten[-1] < 0.5 * inten[0]                                    # exp(-36/30) = 0.3
        dc, sdc = g["critical_dose_e_per_A2"].iloc[0], g["critical_dose_stderr_e_per_A2"].iloc[0]
        assert g["critical_dose_e_per_A2"].nunique() == 1 and sdc > 0
        assert abs(dc / DC - 1) < 0.2 and abs(dc - DC) < 4 * sdc


def test_dose_series_tracks_descriptors_figures_and_failure(series_run, data):
    _, out = series_run
    d, truth = data
    tracks = pd.read_csv(out.parent / "series_tracks.csv")
    assert len(tracks) == 4 and (tracks["n_frames"] == N).all() and (tracks["n_found"] == N).all()
    assert (tracks["final_dose_e_per_A2"] == N * DOSE).all()
    final = N * DOSE
    for _, t in tracks.iterrows():
        rate = RATE if t["track"] == "4.70A@90deg" else 0.0
        assert abs(t["expansion_percent_final"] - 100 * rate * final) < 1.0                 # percentage points
        assert abs(t["expansion_percent_final"] - 100 * rate * final) < 4 * t["expansion_stderr_percent_final"]
        assert abs(t["strain_rate_per_e_per_A2"] - rate) < 4 * t["strain_rate_stderr_per_e_per_A2"]
        assert abs(t["d0_angstrom"] / 4.7 - 1) < 0.005
    assert set(tracks["temperature_K"]) == {100.0, 300.0}
    desc = pd.read_csv(out.parent / "series_descriptors.csv")
    per_frame = desc[desc["name"] == "strain[4.70A@90deg]"]
    assert len(per_frame) == 2 * N
    assert sorted(set(per_frame["dose_e_per_A2"])) == list(truth["mid_frame_dose_e_per_A2"])
    assert {"critical_dose_e_per_A2[4.70A@0deg]", "expansion_percent_final[4.70A@90deg]"} <= set(desc["name"])
    settings = json.loads((out.parent / "series_settings.json").read_text())
    assert settings["mode"] == "dose-series" and settings["track"] == [4.7, 4.7] and settings["angles"] == [0.0, 90.0]
    assert settings["dose_per_frame"] == DOSE and settings["threshold"] == 5.0 and settings["drift_correct"]
    figures = sorted(p.name for p in (out.parent / "series_figures").glob("*.png"))
    assert figures == ["NTC_100K_fft0.png", "NTC_100K_series.png", "NTC_300K_fft0.png", "NTC_300K_series.png"]
    fails = pd.read_csv(out.parent / "series_failures.csv")
    assert list(fails["file"]) == [str(d / "one.npy")]
    assert "at least 2 frames" in fails["message"].iloc[0] and "structkit tem fft" in fails["message"].iloc[0]


def test_dose_series_from_dose_rate_and_frame_time_with_binning(data, tmp_path, capsys):
    d, _ = data
    out = tmp_path / "binned.csv"
    rc = main(["tem", "dose-series", str(d / "NTC_300K.npy"), "--pixel-size-A", str(PX), "--dose-rate", "40",
               "--frame-time", "0.1", "--track", "4.7", "--angle", "90", "--bin", "2", "--no-figures",
               "-o", str(out)])
    assert rc == 0
    f = pd.read_csv(out)
    np.testing.assert_allclose(f["dose_e_per_A2"], [4.0, 12.0, 20.0, 28.0, 36.0])   # 8 e/Å² per binned frame
    t = pd.read_csv(tmp_path / "binned_tracks.csv").iloc[0]
    assert abs(t["strain_rate_per_e_per_A2"] - RATE) < 4 * t["strain_rate_stderr_per_e_per_A2"]
    assert "HRTEM dose series of NTC: 5 frames" in capsys.readouterr().out


def test_dose_series_one_frame_is_a_clear_error(data, tmp_path, capsys):
    d, _ = data
    out = tmp_path / "one.csv"
    assert main(["tem", "dose-series", str(d / "one.npy"), "--pixel-size-A", str(PX), "--dose-per-frame", "4",
                 "--track", "4.7", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "one.npy" in err and "a dose series needs at least 2 frames" in err
    assert not out.exists()


def test_dose_series_without_dose_or_pixel_size_exits_2(data, tmp_path, capsys):
    d, _ = data
    out = tmp_path / "nodose.csv"
    assert main(["tem", "dose-series", str(d / "NTC_300K.npy"), "--pixel-size-A", str(PX), "--track", "4.7",
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "NTC_300K.npy" in err and "dose per frame is unknown" in err and "--dose-per-frame" in err
    assert main(["tem", "dose-series", str(d / "NTC_300K.npy"), "--dose-per-frame", "4", "--track", "4.7",
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "NTC_300K.npy" in err and "--pixel-size-A" in err


@pytest.mark.parametrize("argv, expected", [
    (["--track", "4.7", "--angle", "0", "--angle", "90"], "--angle: needs one angle per tracked d (1), got 2"),
    (["--track", "4.7", "--angle", "200"], "--angle: angles of spots are in [0, 180) degrees"),
    (["--track", "4.7", "--dose-rate", "40"], "--dose-rate: give either --dose-per-frame or --dose-rate"),
    (["--track", "-4.7"], "--track: must be a positive number"),
    (["--track", "4.7", "--bin", "0"], "--bin: must be an integer >= 1"),
    (["--track", "4.7", "--d0", "4.7,4.7"], "--d0: needs one value for all tracks or one per tracked d (1), got 2"),
])
def test_dose_series_bad_options_exit_2(data, tmp_path, capsys, argv, expected):
    d, _ = data
    out = tmp_path / "bad.csv"
    assert main(["tem", "dose-series", str(d / "NTC_300K.npy"), "--pixel-size-A", str(PX), "--dose-per-frame", "4",
                 *argv, "-o", str(out)]) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_dose_series_needs_a_track(data, tmp_path):
    d, _ = data
    with pytest.raises(SystemExit) as exc:                                  # argparse: --track is required
        main(["tem", "dose-series", str(d / "NTC_300K.npy"), "-o", str(tmp_path / "x.csv")])
    assert exc.value.code == 2


def test_formats_lists_the_image_formats(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name in ("tiff (image", "mrc (image", "dm4 (image", "npy (image"):
        assert name in out
