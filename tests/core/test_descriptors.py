"""Tests for structkit.core.descriptors: DescriptorRow/Table, to_wide, CSV/Parquet I/O, join_conductivity.

Oracles for the conductivity join: closed-form Arrhenius laws (sigma T = A exp(-Ea / k_B T), or
sigma = A exp(-Ea / k_B T) for the "sigma" form), an independent np.polyfit line in ln(sigma T)
vs 1/T, and the OLS prediction variance g^T C g for the interpolated value's standard error.
"""

import math
import os

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from structkit.core.descriptors import FIXED_COLUMNS, DescriptorRow, DescriptorTable, join_conductivity
from structkit.core.errors import ConfigError, DataError, ReadError
from structkit.core.units import K_B_EV


def row(sample="S1", name="a_angstrom", value=6.0, stderr=0.01, technique="xrd", **conditions):
    return DescriptorRow(sample, name, value, stderr, "angstrom", technique=technique,
                         conditions=conditions, source="f.xy", method="lebail")


# -- DescriptorRow / construction -------------------------------------------------------------------

def test_row_normalises_and_is_immutable():
    r = DescriptorRow("S1", "x", 3, None, conditions={"temperature_K": 300.0})
    assert r.value == 3.0 and isinstance(r.value, float)
    assert math.isnan(r.stderr)
    with pytest.raises(TypeError):
        r.conditions["temperature_K"] = 1.0
    with pytest.raises(AttributeError):
        r.value = 1.0


def test_from_rows_orders_columns_and_keeps_values():
    t = DescriptorTable.from_rows([row(temperature_K=300.0, milling_time_h=6.0, atmosphere="Ar")])
    f = t.to_frame()
    assert f.columns.tolist() == ["sample", "temperature_K", "atmosphere", "milling_time_h",
                                  *FIXED_COLUMNS[1:]]
    assert t.condition_columns == ["temperature_K", "atmosphere", "milling_time_h"]
    assert f.loc[0, "value"] == 6.0 and f.loc[0, "stderr"] == 0.01
    assert len(t) == 1
    assert "1 rows" in repr(t) and "xrd" in repr(t)
    f.loc[0, "value"] = -1.0                      # to_frame is a copy
    assert t.to_frame().loc[0, "value"] == 6.0


def test_empty_table():
    t = DescriptorTable.from_rows([])
    assert len(t) == 0
    assert t.to_frame().columns.tolist() == list(FIXED_COLUMNS)
    assert t.to_wide().columns.tolist() == ["sample"]
    assert len(DescriptorTable.concat([t, DescriptorTable()])) == 0


def test_frame_without_required_columns_is_data_error():
    with pytest.raises(DataError, match="lacks column"):
        DescriptorTable(pd.DataFrame({"sample": ["a"], "value": [1.0]}))


def test_frame_missing_optional_columns_is_completed():
    t = DescriptorTable(pd.DataFrame({"sample": ["a"], "name": ["x"], "value": ["1.5"]}))
    f = t.to_frame()
    assert f.loc[0, "value"] == 1.5 and math.isnan(f.loc[0, "stderr"])
    assert f.loc[0, "technique"] == "" and f.loc[0, "unit"] == ""


def test_concat_and_filter():
    a = DescriptorTable.from_rows([row("S1", temperature_K=300.0)])
    b = DescriptorTable.from_rows([row("S2", name="fwhm_deg", technique="xrd", milling_time_h=2.0)])
    t = DescriptorTable.concat([a, b])
    assert len(t) == 2
    assert set(t.condition_columns) == {"temperature_K", "milling_time_h"}
    assert t.filter(sample="S2").to_frame()["name"].tolist() == ["fwhm_deg"]
    assert len(t.filter(technique="raman")) == 0
    with pytest.raises(ConfigError, match="no column 'nope'"):
        t.filter(nope=1)


# -- to_wide --------------------------------------------------------------------------------------

def test_to_wide_one_row_per_sample_and_condition():
    t = DescriptorTable.from_rows([
        row("S1", "a_angstrom", 6.0, 0.01, temperature_K=300.0),
        row("S1", "fwhm_deg", 0.1, 0.001, temperature_K=300.0),
        row("S1", "a_angstrom", 6.1, 0.02, temperature_K=400.0),
        row("S2", "a_angstrom", 5.9, 0.03, temperature_K=300.0),
    ])
    w = t.to_wide()
    assert w.columns.tolist() == ["sample", "temperature_K", "a_angstrom", "a_angstrom_stderr",
                                  "fwhm_deg", "fwhm_deg_stderr"]
    assert w[["sample", "temperature_K"]].values.tolist() == [["S1", 300.0], ["S1", 400.0], ["S2", 300.0]]
    assert w["a_angstrom"].tolist() == [6.0, 6.1, 5.9]
    assert w["a_angstrom_stderr"].tolist() == [0.01, 0.02, 0.03]
    assert w["fwhm_deg"].iloc[0] == 0.1 and math.isnan(w["fwhm_deg"].iloc[1])


def test_to_wide_name_clash_across_techniques_is_prefixed():
    t = DescriptorTable.from_rows([
        row("S1", "a_angstrom", 6.0, technique="xrd", temperature_K=300.0),
        row("S1", "a_angstrom", 6.02, technique="pdf", temperature_K=300.0),
        row("S1", "ea_eV", 0.3, technique="conductivity", temperature_K=300.0),
    ])
    w = t.to_wide()
    assert w.columns.tolist() == ["sample", "temperature_K", "xrd.a_angstrom", "xrd.a_angstrom_stderr",
                                  "pdf.a_angstrom", "pdf.a_angstrom_stderr", "ea_eV", "ea_eV_stderr"]
    assert (w.loc[0, "xrd.a_angstrom"], w.loc[0, "pdf.a_angstrom"]) == (6.0, 6.02)


def test_to_wide_duplicate_for_same_sample_and_conditions_is_data_error():
    t = DescriptorTable.from_rows([row("S1", value=6.0, temperature_K=300.0),
                                   row("S1", value=6.1, temperature_K=300.0)])
    with pytest.raises(DataError, match="'a_angstrom' appears more than once for sample 'S1'"):
        t.to_wide()
    # a condition that tells them apart resolves it
    t2 = DescriptorTable.from_rows([row("S1", value=6.0, temperature_K=300.0, scan=1.0),
                                    row("S1", value=6.1, temperature_K=300.0, scan=2.0)])
    assert len(t2.to_wide()) == 2


def test_to_wide_rows_without_a_condition_group_together():
    t = DescriptorTable.from_rows([row("S1", "a_angstrom", 6.0),
                                   row("S1", "fwhm_deg", 0.1),
                                   row("S1", "a_angstrom", 6.1, temperature_K=400.0)])
    w = t.to_wide()
    assert len(w) == 2
    no_t = w[w["temperature_K"].isna()].iloc[0]
    assert (no_t["a_angstrom"], no_t["fwhm_deg"]) == (6.0, 0.1)


# -- CSV / Parquet ----------------------------------------------------------------------------------

def _mixed_table():
    return DescriptorTable.from_rows([
        DescriptorRow("007", "a_angstrom", 6.012345678, 0.0012, "angstrom", "xrd",
                      {"temperature_K": 298.15, "milling_time_h": 6.5}, "data/x 1.xy", "lebail"),
        DescriptorRow("NTC-6h", "ea_eV", 0.3, float("nan"), "eV", "conductivity",
                      {"temperature_K": 413.15}, "eis.csv", "arrhenius"),
        DescriptorRow("NTC-6h", "fwhm_deg", -1.5e-7, 2e-9, "deg", "xrd", {}, "", ""),
    ])


def test_csv_round_trip_exact(tmp_path):
    t = _mixed_table()
    path = t.to_csv(tmp_path / "sub" / "table.csv")        # parent directory is created
    assert path == tmp_path / "sub" / "table.csv"
    assert os.listdir(tmp_path / "sub") == ["table.csv"]    # no temporary file left behind
    back = DescriptorTable.read_csv(path)
    a, b = t.to_frame(), back.to_frame()
    assert b.columns.tolist() == a.columns.tolist()
    # values with <= 10 significant digits round-trip exactly (the writer uses %.10g)
    pd.testing.assert_frame_equal(b, a, check_dtype=False, check_exact=True)
    assert back.to_frame().loc[0, "sample"] == "007"        # sample ids stay strings


def test_csv_keeps_ten_significant_digits(tmp_path):
    values = np.random.default_rng(3).lognormal(0, 5, 50) * np.where(np.arange(50) % 2, 1, -1)
    t = DescriptorTable.from_rows([DescriptorRow("S", f"d{i}", v, v / 7) for i, v in enumerate(values)])
    back = DescriptorTable.read_csv(t.to_csv(tmp_path / "t.csv")).to_frame()
    # %.10g rounds to 10 significant digits: relative error <= 0.5e-9
    assert_allclose(back["value"], values, rtol=5e-10, atol=0)
    assert_allclose(back["stderr"], values / 7, rtol=5e-10, atol=0)


def test_csv_round_trip_keeps_sample_named_na(tmp_path):
    t = DescriptorTable.from_rows([DescriptorRow("NA", "x", 1.0), DescriptorRow("None", "x", 2.0)])
    back = DescriptorTable.read_csv(t.to_csv(tmp_path / "t.csv"))
    assert back.to_frame()["sample"].tolist() == ["NA", "None"]


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    t = _mixed_table()
    back = DescriptorTable.read_parquet(t.to_parquet(tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(back.to_frame(), t.to_frame(), check_exact=True)


def test_read_csv_missing_columns_is_read_error_naming_the_file(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("sample,value\nS1,1.0\n")
    with pytest.raises(ReadError, match="lacks column.*name") as info:
        DescriptorTable.read_csv(p)
    assert info.value.path == str(p) and str(p) in str(info.value)


@pytest.mark.parametrize("content", [None, ""])
def test_read_csv_missing_or_empty_file_is_read_error(tmp_path, content):
    p = tmp_path / "t.csv"
    if content is not None:
        p.write_text(content)
    with pytest.raises(ReadError) as info:
        DescriptorTable.read_csv(p)
    assert info.value.path == str(p)


def test_read_parquet_missing_file_is_read_error(tmp_path):
    pytest.importorskip("pyarrow")
    with pytest.raises(ReadError, match="file not found"):
        DescriptorTable.read_parquet(tmp_path / "none.parquet")


def test_read_parquet_missing_columns_is_read_error(tmp_path):
    pytest.importorskip("pyarrow")
    p = tmp_path / "bad.parquet"
    pd.DataFrame({"sample": ["S1"], "value": [1.0]}).to_parquet(p)
    with pytest.raises(ReadError) as info:
        DescriptorTable.read_parquet(p)
    assert info.value.path == str(p)


# -- join_conductivity ----------------------------------------------------------------------------

A_PRE, EA = 1.0e3, 0.30
T_GRID = np.linspace(250.0, 450.0, 11)


def sigma_single(t_k, form="sigmaT"):
    """sigma T = A exp(-Ea/kT) (form sigmaT) or sigma = A exp(-Ea/kT) (form sigma)."""
    t_k = np.asarray(t_k, float)
    s = A_PRE * np.exp(-EA / (K_B_EV * t_k))
    return s / t_k if form == "sigmaT" else s


def cond_frame(t_k, sigma, sample="S1", **extra):
    d = {"temperature_K": t_k, "sigma_S_per_cm": sigma, **extra}
    if sample is not None:
        d = {"sample": sample, **d}
    return pd.DataFrame(d)


def desc_at(temps, sample="S1"):
    return DescriptorTable.from_rows([row(sample, "a_angstrom", 6.0 + 1e-4 * i, temperature_K=t)
                                      for i, t in enumerate(temps)])


def test_join_single_arrhenius_is_exact_inside_range():
    temps = [250.0, 263.7, 300.0, 371.2, 450.0]               # ends and points between data
    w = join_conductivity(desc_at(temps), cond_frame(T_GRID, sigma_single(T_GRID)))
    assert w.columns.tolist()[-6:] == ["sigma_S_per_cm", "sigma_stderr_S_per_cm", "ea_eV",
                                       "ea_stderr_eV", "conductivity_regime", "conductivity_note"]
    # hand computation of the Arrhenius law at each temperature
    assert_allclose(w["sigma_S_per_cm"], sigma_single(temps), rtol=1e-9)
    assert_allclose(w["ea_eV"], EA, rtol=1e-9)
    assert (w["conductivity_regime"] == 1).all()
    assert (w["conductivity_note"] == "").all()
    assert (w["sigma_stderr_S_per_cm"] < 1e-9 * w["sigma_S_per_cm"]).all()     # noise-free


def test_join_noisy_single_regime_matches_independent_line_fit():
    # oracle: np.polyfit of ln(sigma T) on 1/T, evaluated at 1/T; its covariance for the stderr
    rng = np.random.default_rng(5)
    sig = sigma_single(T_GRID) * (1 + 0.02 * rng.standard_normal(T_GRID.size))
    temps = [255.0, 333.3, 444.0]
    w = join_conductivity(desc_at(temps), cond_frame(T_GRID, sig), regimes=1)
    coef, cov = np.polyfit(1 / T_GRID, np.log(sig * T_GRID), 1, cov=True)
    # np.polyfit(cov=True) scales the covariance by chi2/(n - 2), as lmfit does
    for i, t in enumerate(temps):
        g = np.array([1 / t, 1.0])
        expected = np.exp(np.polyval(coef, 1 / t)) / t
        assert w.loc[i, "sigma_S_per_cm"] == pytest.approx(expected, rel=1e-9)
        assert w.loc[i, "sigma_stderr_S_per_cm"] == pytest.approx(expected * np.sqrt(g @ cov @ g), rel=1e-5)
    assert w.loc[0, "ea_eV"] == pytest.approx(-coef[0] * K_B_EV, rel=1e-9)
    assert w.loc[0, "ea_stderr_eV"] == pytest.approx(np.sqrt(cov[0, 0]) * K_B_EV, rel=1e-5)


T_BREAK = 320.0
EA_LOW_T, EA_HIGH_T = 0.50, 0.30


def ln_sigma_t_two(t_k):
    """Continuous two-regime law: Ea 0.50 eV below 320 K, 0.30 eV above."""
    x, xb = 1.0 / np.asarray(t_k, float), 1.0 / T_BREAK
    return np.where(x <= xb, 10.0 - EA_HIGH_T / K_B_EV * (x - xb), 10.0 - EA_LOW_T / K_B_EV * (x - xb))


@pytest.mark.parametrize("regimes", ["auto", 2])
def test_join_two_regimes_uses_the_right_regime(regimes):
    t_grid = np.arange(250.0, 451.0, 10.0)
    sig = np.exp(ln_sigma_t_two(t_grid)) / t_grid
    temps = np.array([265.0, 300.0, 345.0, 420.0])
    w = join_conductivity(desc_at(temps), cond_frame(t_grid, sig), regimes=regimes)
    # noise-free: the refined breakpoint is exact to the optimizer tolerance
    assert_allclose(w["sigma_S_per_cm"], np.exp(ln_sigma_t_two(temps)) / temps, rtol=1e-8)
    assert_allclose(w["ea_eV"], [EA_LOW_T, EA_LOW_T, EA_HIGH_T, EA_HIGH_T], rtol=1e-6)
    # regimes are numbered from low to high temperature
    assert w["conductivity_regime"].tolist() == [1, 1, 2, 2]


def test_join_two_regimes_with_noise_within_stderr():
    t_grid = np.arange(250.0, 451.0, 10.0)
    rng = np.random.default_rng(0)
    sig = np.exp(ln_sigma_t_two(t_grid)) / t_grid * (1 + 0.01 * rng.standard_normal(t_grid.size))
    temps = np.array([265.0, 300.0, 345.0, 420.0])
    w = join_conductivity(desc_at(temps), cond_frame(t_grid, sig))
    assert w["conductivity_regime"].tolist() == [1, 1, 2, 2]
    true_sigma = np.exp(ln_sigma_t_two(temps)) / temps
    assert np.all(np.abs(w["sigma_S_per_cm"] - true_sigma) < 3 * w["sigma_stderr_S_per_cm"])
    true_ea = np.array([EA_LOW_T, EA_LOW_T, EA_HIGH_T, EA_HIGH_T])
    assert np.all(np.abs(w["ea_eV"] - true_ea) < 3 * w["ea_stderr_eV"])


def test_join_outside_range_is_nan_with_note():
    w = join_conductivity(desc_at([200.0, 300.0, 451.0]), cond_frame(T_GRID, sigma_single(T_GRID)))
    for i in (0, 2):
        assert math.isnan(w.loc[i, "sigma_S_per_cm"]) and math.isnan(w.loc[i, "ea_eV"])
        assert "outside the measured range 250-450 K" in w.loc[i, "conductivity_note"]
        assert "not extrapolated" in w.loc[i, "conductivity_note"]
    assert w.loc[1, "conductivity_note"] == "" and w.loc[1, "sigma_S_per_cm"] > 0


def test_join_missing_sample_has_note():
    d = DescriptorTable.concat([desc_at([300.0], "S1"), desc_at([300.0], "S2")])
    w = join_conductivity(d, cond_frame(T_GRID, sigma_single(T_GRID), sample="S1"))
    s2 = w[w["sample"] == "S2"].iloc[0]
    assert math.isnan(s2["sigma_S_per_cm"])
    assert s2["conductivity_note"] == "no conductivity data for sample 'S2'"


def test_join_without_sample_column_applies_to_every_sample():
    d = DescriptorTable.concat([desc_at([300.0], "S1"), desc_at([300.0], "S2")])
    w = join_conductivity(d, cond_frame(T_GRID, sigma_single(T_GRID), sample=None))
    assert_allclose(w["sigma_S_per_cm"], sigma_single([300.0, 300.0]), rtol=1e-9)


def test_join_rows_without_temperature_use_the_argument():
    d = DescriptorTable.from_rows([row("S1", "a_angstrom", 6.0, milling_time_h=2.0),
                                   row("S1", "a_angstrom", 6.1, milling_time_h=6.0),
                                   row("S1", "fwhm_deg", 0.1, temperature_K=350.0, milling_time_h=6.0)])
    cond = cond_frame(T_GRID, sigma_single(T_GRID))
    w = join_conductivity(d, cond, temperature_K=298.15)
    no_t = w["temperature_K"].isna()
    assert_allclose(w.loc[no_t, "sigma_S_per_cm"], sigma_single([298.15, 298.15]), rtol=1e-9)
    # a row that has its own temperature keeps it
    assert w.loc[~no_t, "sigma_S_per_cm"].iloc[0] == pytest.approx(sigma_single(350.0), rel=1e-9)
    w2 = join_conductivity(d, cond)
    assert w2.loc[no_t, "sigma_S_per_cm"].isna().all()
    assert (w2.loc[no_t, "conductivity_note"].str.contains("pass temperature_K=")).all()
    # a table with no temperature column at all
    d3 = DescriptorTable.from_rows([row("S1", milling_time_h=2.0)])
    assert join_conductivity(d3, cond, temperature_K=300.0)["sigma_S_per_cm"].iloc[0] == \
        pytest.approx(sigma_single(300.0), rel=1e-9)


def test_join_sigma_form_versus_sigmaT_form():
    sig = sigma_single(T_GRID, form="sigma")                   # sigma = A exp(-Ea/kT)
    d = desc_at([300.0])
    ws = join_conductivity(d, cond_frame(T_GRID, sig), form="sigma")
    assert ws.loc[0, "sigma_S_per_cm"] == pytest.approx(sigma_single(300.0, "sigma"), rel=1e-9)
    assert ws.loc[0, "ea_eV"] == pytest.approx(EA, rel=1e-9)
    # the same data in the sigma T form: ln(sigma T) = ln A + ln T - Ea/kT has local slope
    # -(Ea + k T)/k, so a single line gives Ea + k_B T for some T inside the range
    wt = join_conductivity(d, cond_frame(T_GRID, sig), form="sigmaT", regimes=1)
    extra = wt.loc[0, "ea_eV"] - EA
    assert K_B_EV * T_GRID[0] < extra < K_B_EV * T_GRID[-1]
    with pytest.raises(ConfigError, match="form must be 'sigmaT' or 'sigma'"):
        join_conductivity(d, cond_frame(T_GRID, sig), form="lnsigma")


def test_join_uses_sigma_stderr_as_weights():
    rng = np.random.default_rng(8)
    rel = np.where(np.arange(T_GRID.size) % 2, 0.005, 0.05)
    sig = sigma_single(T_GRID) * (1 + rel * rng.standard_normal(T_GRID.size))
    cond = cond_frame(T_GRID, sig, sigma_stderr_S_per_cm=rel * sig)
    w = join_conductivity(desc_at([300.0]), cond, regimes=1)
    # oracle: weighted line with weights sig / err = 1 / rel in ln(sigma T)
    coef = np.polyfit(1 / T_GRID, np.log(sig * T_GRID), 1, w=1 / rel)
    assert w.loc[0, "ea_eV"] == pytest.approx(-coef[0] * K_B_EV, rel=1e-8)


def test_join_averages_repeated_temperatures_and_drops_bad_sigma():
    t = np.r_[T_GRID, 300.0, 320.0]
    s = np.r_[sigma_single(T_GRID), 0.0, np.nan]               # non-positive / NaN rows dropped
    w = join_conductivity(desc_at([300.0]), cond_frame(t, s))
    assert w.loc[0, "sigma_S_per_cm"] == pytest.approx(sigma_single(300.0), rel=1e-9)


def test_join_one_point_gives_sigma_only_at_that_temperature():
    w = join_conductivity(desc_at([300.0, 310.0]), cond_frame([300.0], [1e-3]))
    assert w.loc[0, "sigma_S_per_cm"] == 1e-3 and math.isnan(w.loc[0, "ea_eV"])
    assert "measured at this temperature" in w.loc[0, "conductivity_note"]
    assert math.isnan(w.loc[1, "sigma_S_per_cm"])
    assert "only 1 conductivity point" in w.loc[1, "conductivity_note"]


def test_join_separates_series_of_one_sample_by_condition():
    """A milling series at one temperature: σ per milling time, not the mean of the series."""
    rows = [DescriptorRow("NTC", "fwhm", 0.1 * h, conditions={"temperature_K": 298.15, "milling_time_h": h})
            for h in (2.0, 6.0, 12.0)]
    rows.append(DescriptorRow("S1", "a_angstrom", 5.6, conditions={"temperature_K": 300.0}))
    sigma = pd.DataFrame({"sample": ["NTC"] * 3 + ["S1"] * 3, "milling_time_h": [2, 6, 12, None, None, None],
                          "temperature_K": [298.15] * 3 + [280.0, 300.0, 320.0],
                          "sigma_S_per_cm": [1e-5, 3e-5, 6e-5, 1e-4, 2e-4, 4e-4]})
    w = join_conductivity(DescriptorTable.from_rows(rows), sigma)
    ntc = w[w["sample"] == "NTC"].sort_values("milling_time_h")
    assert ntc["sigma_S_per_cm"].tolist() == [1e-5, 3e-5, 6e-5]
    s1 = w[w["sample"] == "S1"]
    # three points not on one Arrhenius line: the fitted σ(300 K) is near, not at, the measured 2e-4
    assert s1["sigma_S_per_cm"].iloc[0] == pytest.approx(2e-4, rel=0.05) and s1["ea_eV"].notna().all()


def test_join_from_csv_path_and_method(tmp_path):
    p = tmp_path / "sigma.csv"
    cond_frame(T_GRID, sigma_single(T_GRID)).to_csv(p, index=False)
    d = desc_at([300.0])
    w = d.join_conductivity(p)
    assert w.loc[0, "sigma_S_per_cm"] == pytest.approx(sigma_single(300.0), rel=1e-9)
    with pytest.raises(ReadError, match="conductivity table not found"):
        join_conductivity(d, tmp_path / "none.csv")
    with pytest.raises(DataError, match="lacks column 'sigma_S_per_cm'"):
        join_conductivity(d, pd.DataFrame({"temperature_K": T_GRID}))


def test_join_from_csv_keeps_sample_ids_as_text(tmp_path):
    p = tmp_path / "sigma.csv"
    cond_frame(T_GRID, sigma_single(T_GRID), sample="007").to_csv(p, index=False)
    w = join_conductivity(desc_at([300.0], sample="007"), p)
    assert w.loc[0, "sigma_S_per_cm"] == pytest.approx(sigma_single(300.0), rel=1e-9)


def test_descriptor_row_pickles():
    import pickle
    r = row(temperature_K=300.0)
    assert pickle.loads(pickle.dumps(r)) == r
