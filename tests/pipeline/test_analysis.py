"""Cross-technique analysis: correlations with known answers, breakpoint co-location, degenerate input, figures."""

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from structkit.core import DescriptorRow, DescriptorTable, join_conductivity
from structkit.core.errors import ConfigError
from structkit.core.units import K_B_EV
from structkit.io import write_table
from structkit.pipeline.analysis import (
    CORRELATION_COLUMNS,
    EVENT_COLUMNS,
    PAIR_COLUMNS,
    CrossTechniqueResult,
    breakpoint_events,
    colocate_breakpoints,
    correlate,
    cross_technique,
    plot_breakpoints,
    plot_descriptor_vs_sigma,
)

SAMPLES = ("S1", "S2", "S3", "S4")
TEMPS = (300.0, 320.0, 340.0, 360.0, 380.0, 400.0)
EA = {"S1": 0.30, "S2": 0.35, "S3": 0.40, "S4": 0.45}
PREF = {"S1": 2e3, "S2": 9e3, "S3": 4e4, "S4": 1.5e5}


def sigma_of(s, t):
    return PREF[s] / t * math.exp(-EA[s] / (K_B_EV * t))


def make_table(seed=7):
    """4 samples x 6 temperatures; descriptors with known relations to ln σ."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in SAMPLES:
        for t in TEMPS:
            ln = math.log(sigma_of(s, t))
            c = {"temperature_K": t}
            rows += [
                DescriptorRow(s, "lin_angstrom", 2.5 * ln + 1.0, 0.01, "angstrom", technique="xrd", conditions=c),
                DescriptorRow(s, "noise", float(rng.normal()), float("nan"), "cm-1", technique="raman",
                              conditions=c),
                DescriptorRow(s, "mono", math.exp(0.5 * ln), 0.0, "", technique="pdf", conditions=c),
                DescriptorRow(s, "const", 1.0, 0.1, "", technique="xrd", conditions=c),
                DescriptorRow(s, "width", float(rng.normal()), 0.1, "deg", technique="xrd", conditions=c),
                DescriptorRow(s, "width", float(rng.normal()), 0.1, "cm-1", technique="raman", conditions=c),
            ]
            if s == "S1" and t <= 340.0:
                rows.append(DescriptorRow(s, "few", t * 2.0, 0.1, "", technique="xrd", conditions=c))
    rows += [DescriptorRow("S1", "breakpoint1_K", 343.0, 4.0, "K", technique="conductivity"),
             DescriptorRow("S1", "expansion_breakpoint1_K", 338.0, 3.0, "K", technique="xrd")]
    return DescriptorTable.from_rows(rows)


def make_joined(table):
    """What join_conductivity would return, with σ exact (no Arrhenius re-fit)."""
    j = table.to_wide()
    t = j["temperature_K"].to_numpy(float)
    sig = np.array([sigma_of(s, tt) if np.isfinite(tt) else np.nan for s, tt in zip(j["sample"], t)])
    j["sigma_S_per_cm"] = sig
    j["sigma_stderr_S_per_cm"] = 0.02 * sig
    j["ea_eV"] = [EA[s] if np.isfinite(tt) else np.nan for s, tt in zip(j["sample"], t)]
    j["ea_stderr_eV"] = 0.01
    j["conductivity_regime"] = 1.0
    j["conductivity_note"] = ""
    return j


@pytest.fixture(scope="module")
def data():
    table = make_table()
    joined = make_joined(table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # skipped columns must not make scipy/numpy warn
        corr = correlate(joined, table)
    return table, joined, corr


def row(corr, descriptor, target="ln_sigma"):
    r = corr[(corr["descriptor"] == descriptor) & (corr["target"] == target)]
    assert len(r) == 1, (descriptor, target)
    return r.iloc[0]


def pairs_of(joined, descriptor, target="ln_sigma"):
    x = joined[descriptor].to_numpy(float)
    y = np.log(joined["sigma_S_per_cm"].to_numpy(float)) if target == "ln_sigma" else joined[target].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


# -- correlate -------------------------------------------------------------------------------------

def test_columns_and_order(data):
    _, _, corr = data
    assert tuple(corr.columns) == CORRELATION_COLUMNS
    keys = list(zip(corr["technique"], corr["descriptor"], corr["target"].map({"ln_sigma": 0, "ea_eV": 1})))
    assert keys == sorted(keys)
    assert list(corr["target"][:2]) == ["ln_sigma", "ea_eV"]
    descs = set(corr["descriptor"])
    assert descs == {"breakpoint1_K", "expansion_breakpoint1_K", "lin_angstrom", "noise", "mono", "const",
                     "few", "xrd.width", "raman.width"}
    assert not any(d.endswith("_stderr") for d in descs)
    assert row(corr, "xrd.width")["technique"] == "xrd" and row(corr, "xrd.width")["unit"] == "deg"
    assert row(corr, "raman.width")["unit"] == "cm-1"
    assert row(corr, "lin_angstrom")["unit"] == "angstrom"
    assert corr["n"].dtype == np.int64


def test_exact_linear_descriptor(data):
    _, _, corr = data
    r = row(corr, "lin_angstrom")
    assert (r["n"], r["n_samples"], r["note"]) == (24, 4, "")
    assert abs(r["pearson_r"] - 1.0) <= 1e-12
    assert abs(r["spearman_rho"] - 1.0) <= 1e-12
    assert r["pearson_p"] < 1e-12 and r["spearman_p"] < 1e-12


def test_noise_matches_independent_computation(data):
    _, joined, corr = data
    x, y = pairs_of(joined, "noise")
    r = row(corr, "noise")
    n = x.size
    assert r["n"] == n == 24
    assert r["pearson_r"] == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    # Pearson p from the t distribution with n - 2 degrees of freedom
    t = r["pearson_r"] * math.sqrt((n - 2) / (1 - r["pearson_r"] ** 2))
    assert r["pearson_p"] == pytest.approx(2 * stats.t.sf(abs(t), n - 2), rel=1e-9)
    # Spearman ρ = Pearson r of the ranks; its p from the same t formula
    rho = np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1]
    assert r["spearman_rho"] == pytest.approx(rho, abs=1e-12)
    ts = rho * math.sqrt((n - 2) / (1 - rho ** 2))
    assert r["spearman_p"] == pytest.approx(2 * stats.t.sf(abs(ts), n - 2), rel=1e-9)


def test_spearman_p_against_permutation(data):
    _, joined, corr = data
    x, y = pairs_of(joined, "noise")
    rho = row(corr, "noise")["spearman_rho"]
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rng = np.random.default_rng(0)
    perms = rng.permuted(np.tile(ry, (20000, 1)), axis=1)
    rc, pc = rx - rx.mean(), perms - perms.mean(axis=1, keepdims=True)
    null = pc @ rc / (np.sqrt((pc ** 2).sum(axis=1)) * np.sqrt((rc ** 2).sum()))
    p_perm = np.mean(np.abs(null) >= abs(rho) - 1e-12)
    assert row(corr, "noise")["spearman_p"] == pytest.approx(p_perm, abs=0.02)


def test_spearman_p_exact_permutation_small_n():
    """n = 7: every permutation enumerated; the t approximation is within a few hundredths."""
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 6.0])
    rows = [DescriptorRow(f"S{i}", "d", xi, technique="xrd", conditions={"temperature_K": 300.0})
            for i, xi in enumerate(x)]
    table = DescriptorTable.from_rows(rows)
    joined = table.to_wide()
    joined["sigma_S_per_cm"] = np.exp(y)
    joined["ea_eV"] = np.nan
    r = row(correlate(joined, table, targets=("ln_sigma",)), "d")
    rho_obs = stats.spearmanr(x, y).statistic
    perms = np.array(list(itertools.permutations(y)))
    pc, xc = perms - perms.mean(axis=1, keepdims=True), x - x.mean()
    null = pc @ xc / (np.sqrt((pc ** 2).sum(axis=1)) * np.sqrt((xc ** 2).sum()))
    p_exact = np.mean(np.abs(null) >= abs(rho_obs) - 1e-12)
    assert r["spearman_rho"] == pytest.approx(rho_obs, abs=1e-12)
    assert r["spearman_p"] == pytest.approx(p_exact, abs=0.03)


def test_monotone_nonlinear(data):
    _, _, corr = data
    r = row(corr, "mono")
    assert abs(r["spearman_rho"] - 1.0) <= 1e-12
    assert 0.5 < r["pearson_r"] < 0.99


def test_against_ea(data):
    _, joined, corr = data
    x, y = pairs_of(joined, "lin_angstrom", "ea_eV")
    r = row(corr, "lin_angstrom", "ea_eV")
    assert r["n"] == 24
    ref_p = stats.pearsonr(x, y)
    assert r["pearson_r"] == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    assert r["pearson_p"] == pytest.approx(ref_p.pvalue, rel=1e-9)


def test_skipped_combinations_are_noted(data):
    _, _, corr = data
    c = row(corr, "const")
    assert c["n"] == 24 and "constant" in c["note"] and np.isnan(c["pearson_r"]) and np.isnan(c["spearman_p"])
    f = row(corr, "few")
    assert f["n"] == 3 and "min_points=4" in f["note"] and np.isnan(f["pearson_r"])
    b = row(corr, "breakpoint1_K")          # sample-level, no temperature: σ not attached in the join
    assert b["n"] == 0 and np.isnan(b["spearman_rho"])
    # ea_eV is constant within a sample; with one sample it is a constant target
    table, joined, _ = data
    one = joined[joined["sample"] == "S1"]
    r1 = row(correlate(one, table), "lin_angstrom", "ea_eV")
    assert "ea_eV constant" in r1["note"]
    assert row(correlate(one, table, min_points=3), "few")["note"] == ""


def test_deterministic_and_byte_identical(data, tmp_path):
    table, joined, corr = data
    rng = np.random.default_rng(3)
    shuffled = joined.iloc[rng.permutation(len(joined))].reset_index(drop=True)
    long = table.to_frame()
    long_shuffled = DescriptorTable(long.iloc[rng.permutation(len(long))])
    again = correlate(shuffled, long_shuffled)
    pd.testing.assert_frame_equal(corr, again, check_exact=True)
    p1 = write_table(corr, tmp_path / "a.csv")
    p2 = write_table(again, tmp_path / "b.csv")
    assert p1.read_bytes() == p2.read_bytes()
    r1 = cross_technique(table, joined)
    r2 = cross_technique(long_shuffled, shuffled)
    w1 = r1.write_tables(tmp_path / "one")
    w2 = r2.write_tables(tmp_path / "two")
    assert [p.name for p in w1] == ["cross_correlations.csv", "breakpoint_events.csv", "breakpoint_pairs.csv"]
    for a, b in zip(w1, w2):
        assert a.read_bytes() == b.read_bytes()


def test_with_the_real_join():
    table = make_table()
    cond = pd.DataFrame([{"sample": s, "temperature_K": t, "sigma_S_per_cm": sigma_of(s, t)}
                         for s in SAMPLES for t in TEMPS])
    joined = join_conductivity(table, cond, regimes=1)
    corr = correlate(joined, table)
    assert row(corr, "lin_angstrom")["pearson_r"] == pytest.approx(1.0, abs=1e-9)
    # σT form: Ea of each sample comes back; lin vs ea across samples has 4 distinct target values
    assert row(corr, "lin_angstrom", "ea_eV")["n_samples"] == 4


def test_invalid_settings():
    table = make_table()
    joined = make_joined(table)
    with pytest.raises(ConfigError):
        correlate(joined, table, min_points=2)
    with pytest.raises(ConfigError):
        correlate(joined, table, targets="ln_sigma")
    with pytest.raises(ConfigError):
        colocate_breakpoints(breakpoint_events(table), z_max=-1)


def test_unknown_target_and_shadowed_descriptor():
    rows = [DescriptorRow(s, "ea_eV", 0.3 + i / 10, 0.01, "eV", technique="qens",
                          conditions={"temperature_K": 300.0}) for i, s in enumerate(SAMPLES)]
    rows += [DescriptorRow(s, "d", float(i), technique="xrd", conditions={"temperature_K": 300.0})
             for i, s in enumerate(SAMPLES)]
    table = DescriptorTable.from_rows(rows)
    joined = make_joined(table)
    res = cross_technique(table, joined, targets=("ln_sigma", "nope"))
    assert list(res.correlations["descriptor"]) == ["d"]
    assert any("ea_eV" in m and "rename" in m for m in res.messages)
    assert any("nope" in m for m in res.messages)


# -- breakpoints -----------------------------------------------------------------------------------

def bp_table():
    r = []

    def add(sample, technique, name, value, stderr, unit="K", **cond):
        r.append(DescriptorRow(sample, name, value, stderr, unit, technique=technique, conditions=cond))

    add("S1", "conductivity", "breakpoint1_K", 343.0, 4.0)
    add("S1", "conductivity", "breakpoint2_K", 223.0, 2.0)
    add("S1", "xrd", "expansion_breakpoint1_K", 338.0, 3.0)
    add("S1", "raman", "split_onset_K", 300.0, float("nan"))
    add("S1", "conductivity", "vtf_t0_K", 200.0, 5.0)          # a temperature, not a regime change
    add("S1", "nmr", "bpp_t_max_K", 350.0, 5.0)
    add("S1", "xas", "theta_einstein_K", 310.0, 5.0)
    add("S1", "xrd", "alpha_V_per_K", 3e-5, 1e-6, "1/K", temperature_K=300.0)
    add("S2", "xrd", "expansion_breakpoint1_K", 400.0, 1.0)
    add("S2", "conductivity", "breakpoint1_K", 410.0, 1.0)
    add("S3", "conductivity", "breakpoint1_K", 330.0, 1.0)
    add("S3", "conductivity", "breakpoint2_K", float("nan"), 1.0)   # a failed fit
    add("S4", "dsc", "melt_onset", 50.0, 0.5, "C")
    add("S4", "xrd", "expansion_breakpoint1_K", 325.0, 1.5)
    add("S5", "conductivity", "breakpoint1_K", 300.0, 0.0)
    add("S5", "xrd", "expansion_breakpoint1_K", 300.0, 0.0)
    add("S6", "conductivity", "breakpoint1_K", 300.0, 0.0)
    add("S6", "xrd", "expansion_breakpoint1_K", 301.0, 0.0)
    return DescriptorTable.from_rows(r)


def test_breakpoint_events():
    ev = breakpoint_events(bp_table())
    assert tuple(ev.columns) == EVENT_COLUMNS               # temperature_K condition dropped
    names = set(ev["name"])
    assert names == {"breakpoint1_K", "breakpoint2_K", "expansion_breakpoint1_K", "split_onset_K", "melt_onset"}
    assert len(ev) == 13                                    # S3's NaN breakpoint left out
    melt = ev[ev["name"] == "melt_onset"].iloc[0]
    assert melt["temperature_K"] == pytest.approx(323.15) and melt["stderr_K"] == 0.5
    assert np.isnan(ev[ev["name"] == "split_onset_K"]["stderr_K"].iloc[0])
    keys = list(zip(ev["sample"], ev["technique"], ev["name"]))
    assert keys == sorted(keys)


def test_colocate_known_deltas():
    pairs = colocate_breakpoints(breakpoint_events(bp_table()))
    assert tuple(pairs.columns) == PAIR_COLUMNS
    s1 = pairs[pairs["sample"] == "S1"]
    assert list(zip(s1["technique_a"], s1["name_a"], s1["technique_b"], s1["name_b"])) == [
        ("conductivity", "breakpoint1_K", "raman", "split_onset_K"),
        ("conductivity", "breakpoint2_K", "raman", "split_onset_K"),
        ("conductivity", "breakpoint1_K", "xrd", "expansion_breakpoint1_K"),
        ("conductivity", "breakpoint2_K", "xrd", "expansion_breakpoint1_K"),
        ("raman", "split_onset_K", "xrd", "expansion_breakpoint1_K")]
    a = s1[(s1["name_a"] == "breakpoint1_K") & (s1["technique_b"] == "xrd")].iloc[0]
    assert (a["delta_K"], a["delta_stderr_K"], a["z"]) == (-5.0, 5.0, -1.0)
    assert a["coincide"] is True or bool(a["coincide"]) is True
    b = s1[(s1["name_a"] == "breakpoint2_K") & (s1["technique_b"] == "xrd")].iloc[0]
    assert b["delta_K"] == 115.0 and b["delta_stderr_K"] == math.sqrt(13.0)
    assert b["z"] == 115.0 / math.sqrt(13.0) and not bool(b["coincide"])
    unknown = s1[s1["technique_b"] == "raman"]
    assert unknown["coincide"].isna().all() and unknown["z"].isna().all()
    assert unknown["delta_stderr_K"].isna().all() and list(unknown["delta_K"]) == [300.0 - 343.0, 300.0 - 223.0]
    s2 = pairs[pairs["sample"] == "S2"].iloc[0]
    assert (s2["technique_a"], s2["delta_K"]) == ("conductivity", -10.0)
    assert s2["z"] == -10.0 / math.sqrt(2.0) and not bool(s2["coincide"])
    assert "S3" not in set(pairs["sample"])               # one technique only
    s4 = pairs[pairs["sample"] == "S4"].iloc[0]
    assert s4["delta_K"] == pytest.approx(325.0 - 323.15) and bool(s4["coincide"])
    s5, s6 = pairs[pairs["sample"] == "S5"].iloc[0], pairs[pairs["sample"] == "S6"].iloc[0]
    assert (s5["z"], bool(s5["coincide"])) == (0.0, True)
    assert (s6["z"], bool(s6["coincide"])) == (math.inf, False)
    wide = colocate_breakpoints(breakpoint_events(bp_table()), z_max=7.5)
    assert bool(wide[wide["sample"] == "S2"]["coincide"].iloc[0])
    assert str(pairs["coincide"].dtype) == "boolean"


def test_colocate_respects_other_conditions():
    rows = [DescriptorRow("S1", "breakpoint1_K", 340.0 + m, 2.0, "K", technique="conductivity",
                          conditions={"milling_time_h": m}) for m in (2.0, 6.0)]
    rows += [DescriptorRow("S1", "expansion_breakpoint1_K", 339.0 + m, 2.0, "K", technique="xrd",
                           conditions={"milling_time_h": m}) for m in (2.0, 6.0)]
    rows.append(DescriptorRow("S1", "expansion_breakpoint2_K", 380.0, 2.0, "K", technique="xrd"))
    ev = breakpoint_events(DescriptorTable.from_rows(rows))
    assert list(ev.columns) == [*EVENT_COLUMNS, "milling_time_h"]
    pairs = colocate_breakpoints(ev)
    assert list(pairs.columns) == [*PAIR_COLUMNS, "milling_time_h"]
    got = sorted(zip(pairs["T_a"], pairs["T_b"], pairs["milling_time_h"]))
    assert got == [(342.0, 341.0, 2.0), (342.0, 380.0, 2.0), (346.0, 345.0, 6.0), (346.0, 380.0, 6.0)]


# -- degenerate input ------------------------------------------------------------------------------

def check_empty_shapes(res):
    assert isinstance(res, CrossTechniqueResult)
    assert tuple(res.correlations.columns) == CORRELATION_COLUMNS
    assert tuple(res.events.columns[:5]) == EVENT_COLUMNS
    assert tuple(res.pairs.columns[:len(PAIR_COLUMNS)]) == PAIR_COLUMNS


def test_degenerate_inputs(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = cross_technique(DescriptorTable(), None, figure_dir=tmp_path / "f0")
        check_empty_shapes(res)
        assert res.correlations.empty and res.events.empty and res.pairs.empty and res.figures == []
        assert any("no conductivity" in m for m in res.messages)
        assert any("no breakpoint" in m for m in res.messages)
        assert "0 correlation(s)" in repr(res)

        table = make_table()
        bare = table.to_wide()                                      # no conductivity columns
        res = cross_technique(table, bare, figure_dir=tmp_path / "f1")
        check_empty_shapes(res)
        assert res.correlations.empty and any("sigma_S_per_cm" in m for m in res.messages)
        assert len(res.pairs) == 1                                  # breakpoints still co-located

        joined = make_joined(table)
        one = joined[joined["sample"] == "S2"]                     # one sample, no breakpoints
        res = cross_technique(table.filter(sample="S2"), one)
        check_empty_shapes(res)
        assert row(res.correlations, "lin_angstrom")["n_samples"] == 1
        assert any("single sample" in m for m in res.messages)
        assert res.events.empty and res.pairs.empty

        res = cross_technique(table, joined.iloc[:0])              # no rows
        check_empty_shapes(res)
        assert res.correlations.empty

        res = cross_technique(table, joined.iloc[:2])              # too few rows everywhere
        assert (res.correlations["note"] != "").all()

        ev = breakpoint_events(None)
        assert ev.empty and tuple(ev.columns) == EVENT_COLUMNS
        assert colocate_breakpoints(ev).empty
        assert correlate(None, table).empty


# -- figures ---------------------------------------------------------------------------------------

def test_figures_written(tmp_path, data):
    from matplotlib.figure import Figure

    table, joined, corr = data
    res = cross_technique(table, joined, figure_dir=tmp_path / "figs")
    names = sorted(p.rsplit("/", 1)[-1] for p in res.figures)
    assert names == ["breakpoints.png", "correlation_pdf.png", "correlation_raman.png", "correlation_xrd.png"]
    for p in res.figures:
        with open(p, "rb") as fh:
            head = fh.read(8)
        assert head == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / "figs" / p.rsplit("/", 1)[-1]).stat().st_size > 5000

    fig = plot_descriptor_vs_sigma(joined, corr, "xrd", max_panels=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    title = fig._suptitle.get_text()
    assert "first 2 of 4" in title and "1 without a paired point" in title   # expansion_breakpoint1_K
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("n = 24" in t and "constant" in t for t in texts)          # panel 1: const, not computed
    fig = plot_descriptor_vs_sigma(joined, corr, "xrd")                    # const, few, lin_angstrom, xrd.width
    assert len([ax for ax in fig.axes if ax.axison]) == 4
    lin = [t.get_text() for t in fig.axes[2].texts]
    assert fig.axes[2].get_xlabel() == "lin_angstrom (angstrom)" and "r = 1.000" in lin[0] and "n = 24" in lin[0]
    assert len(fig.axes[2].collections) > 0 or len(fig.axes[2].lines) > 0
    assert isinstance(plot_descriptor_vs_sigma(joined, corr, "nothing"), Figure)

    ev = breakpoint_events(bp_table())
    fig = plot_breakpoints(ev, colocate_breakpoints(ev))
    assert isinstance(fig, Figure) and len(fig.axes) >= ev["sample"].nunique()
    assert isinstance(plot_breakpoints(ev.iloc[:0]), Figure)
