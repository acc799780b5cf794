"""merge_scans, edge_energy / calibrate_energy / align, deglitch.

Oracles: a forward model of μ(E) with known truth (edge position, applied
energy offsets, inserted glitch indices, noise level), numpy statistics done
independently, larch's find_e0 and the real foil spectra in reference_data.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from structkit.core.errors import ConfigError, DataError
from structkit.xas import tabulated_edge, xas_measurement
from structkit.xas.preprocess import (
    align,
    calibrate_energy,
    deglitch,
    edge_energy,
    merge_scans,
)

KTOE = 3.809980849311092
E0 = 8979.0


def beamline_grid(e0=E0, kmax=16.0):
    """Step-scan grid: 10 eV pre-edge, 0.5 eV XANES, 0.05 Å⁻¹ in k above the edge."""
    k0 = np.sqrt(30.0 / KTOE)
    return np.r_[np.arange(e0 - 200, e0 - 30, 10.0), np.arange(e0 - 30, e0 + 30, 0.5),
                 e0 + KTOE * np.arange(k0, kmax, 0.05) ** 2]


def model_mu(e, *, e0=E0, step=1.0, wl=0.3, width=1.0):
    """Pre-edge line + arctan edge + white line + damped EXAFS: a Cu-foil-like μ(E) without noise."""
    x = np.asarray(e, float) - e0
    mu = 0.3 - 2e-5 * x + step * (0.5 + np.arctan(x / width) / np.pi)
    mu += wl * step * 4.0 / ((x - 4.0) ** 2 + 4.0)
    k = np.sqrt(np.clip(x, 0, None) / KTOE)
    mu += step * 0.15 * np.sin(5.1 * k + 0.5) * np.exp(-0.0172 * k ** 2) / np.maximum(k, 1) * np.clip(x / 20, 0, 1)
    return mu


def foil(e, e0=E0):
    """Reference foil: arctan edge, white line 12 eV above (max dμ/dE at e0 to < 0.01 eV)."""
    x = np.asarray(e, float) - e0
    return 0.1 + 0.5 + np.arctan(x / 1.2) / np.pi + 0.15 * np.exp(-(((x - 12.0) / 3.0) ** 2))


E = beamline_grid()


# -- merge_scans ------------------------------------------------------------------------------------

def test_merge_mean_and_standard_error_on_one_grid():
    rng = np.random.default_rng(3)
    sigma = 2e-3
    ys = [model_mu(E) + sigma * rng.standard_normal(E.size) for _ in range(4)]
    scans = [xas_measurement(E, y, sample="LLZO", source=f"llzo_{i}.xdi", conditions={"temperature_K": 300.0},
                             meta={"element": "Cu", "edge": "K", "mode": "transmission"})
             for i, y in enumerate(ys)]
    m = merge_scans(scans)
    stack = np.vstack(ys)
    assert_array_equal(m.x, E)
    assert_allclose(m.y, stack.mean(axis=0), rtol=0, atol=1e-15)
    assert_allclose(m.sigma, stack.std(axis=0, ddof=1) / 2.0, rtol=1e-12)
    # against the truth: the mean scatters by sigma/sqrt(4), and sigma estimates that
    assert np.std(m.y - model_mu(E)) == pytest.approx(sigma / 2, rel=0.15)
    assert np.sqrt(np.mean(m.sigma ** 2)) == pytest.approx(sigma / 2, rel=0.15)
    assert m.meta["merged_sources"] == [f"llzo_{i}.xdi" for i in range(4)] and m.meta["n_merged"] == 4
    assert (m.meta["element"], m.meta["edge"], m.meta["mode"]) == ("Cu", "K", "transmission")
    assert m.sample == "LLZO" and m.temperature_K == 300.0 and m.technique == "xas"


def test_merge_different_grids_kev_and_reference_channel():
    g1 = E
    g2 = np.r_[np.arange(E0 - 190, E0 - 30, 7.0), np.arange(E0 - 30.2, E0 + 30, 0.45),
               E0 + KTOE * np.arange(2.9, 15.0, 0.043) ** 2]
    a = xas_measurement(g1, model_mu(g1), meta={"mu_ref": foil(g1)})
    b = xas_measurement(g2 / 1000.0, model_mu(g2), meta={"mu_ref": foil(g2)}).replace(x_unit="keV")
    m = merge_scans([a, b])
    lo, hi = g2[0], min(g1[-1], g2[-1])
    assert m.x[0] >= lo and m.x[-1] <= hi and m.meta["merge_range_eV"] == (m.x[0], m.x[-1])
    assert_array_equal(m.x, g1[(g1 >= lo) & (g1 <= hi)])
    # linear interpolation of the second scan: close to the truth away from the sharp edge
    far = np.abs(m.x - E0) > 8
    assert np.max(np.abs(m.y - model_mu(m.x))[far]) < 2e-3
    assert np.max(np.abs(m.meta["mu_ref"] - foil(m.x))[far]) < 2e-3
    given = np.linspace(E0 - 100, E0 + 300, 81)
    assert_array_equal(merge_scans([a, b], grid=given).x, given)


def test_merge_refuses_mixed_or_disjoint_scans():
    a = xas_measurement(E, model_mu(E), sample="s", meta={"element": "Cu", "edge": "K"}, source="a.xdi")
    with pytest.raises(DataError, match="different elements .*'Cu' in a.xdi, 'Ni' in b.xdi"):
        merge_scans([a, a.replace(meta={"element": "Ni"}, source="b.xdi")])
    with pytest.raises(DataError, match="different edges"):
        merge_scans([a, a.replace(meta={"edge": "L3"})])
    with pytest.raises(DataError, match="different samples .*pass sample="):
        merge_scans([a, a.replace(sample="t")])
    assert merge_scans([a, a.replace(sample="t")], sample="one").sample == "one"
    with pytest.raises(DataError, match="do not overlap"):
        merge_scans([a, a.replace(x=E + 2000.0)])
    with pytest.raises(DataError, match="only 4 grid points"):
        merge_scans([a, a.replace(x=E + (E[-4] - E[0]))])
    with pytest.raises(DataError, match="temperature_K differs"):
        merge_scans([a.with_conditions(temperature_K=300.0), a.with_conditions(temperature_K=350.0)])
    assert merge_scans([a.with_conditions(temperature_K=300.0),
                        a.with_conditions(temperature_K=300.6)]).temperature_K == pytest.approx(300.3)
    with pytest.raises(ConfigError, match="no scans"):
        merge_scans([])


@pytest.mark.reference_data
def test_merge_refuses_real_scans_at_different_temperatures(reference_data):
    from structkit.io import read

    cold, warm = (read(reference_data / "xas" / f"cu_{t}k.xmu") for t in (10, 150))
    with pytest.raises(DataError, match="different samples"):
        merge_scans([cold, warm])
    with pytest.raises(DataError, match=r"temperature_K differs .*10 .*150"):
        merge_scans([cold, warm], sample="Cu foil")
    m = merge_scans([cold, cold.replace(source="copy")])
    assert_allclose(m.y, cold.y, atol=1e-15)
    assert np.all(m.sigma == 0)


# -- E0, calibration, alignment -----------------------------------------------------------------------

@pytest.mark.parametrize("center", [8979.0, 8979.37, 8980.81])
def test_edge_energy_is_sub_grid(center):
    e = np.arange(8900.0, 9100.0, 0.5)
    assert edge_energy(e, foil(e, center), near=8979.0) == pytest.approx(center, abs=0.02)
    assert edge_energy(E, foil(E, center)) == pytest.approx(center, abs=0.02)


@pytest.mark.reference_data
@pytest.mark.parametrize("name,near", [("cu_metal_rt.xdi", 8979.0), ("ni_metal_rt.xdi", 8333.0),
                                       ("pt_metal_rt.xdi", 11564.0), ("fe.060", 7112.0)])
def test_edge_energy_agrees_with_larch_find_e0(reference_data, name, near):
    from larch.xafs import find_e0

    from structkit.io import read

    m = read(reference_data / "xas" / name)
    mine = edge_energy(m.x, m.y, near=near)
    assert mine == pytest.approx(float(find_e0(m.x, m.y)), abs=0.5)   # larch picks grid points (0.5 eV)


@pytest.mark.parametrize("offset", [0.0, 1.37, -2.9])
def test_calibrate_energy_recovers_a_known_offset(offset):
    rng = np.random.default_rng(11)
    # the mono reads `offset` eV low: the foil edge at E0 shows up at E0 - offset on the recorded axis
    ref = foil(E + offset) + 3e-4 * rng.standard_normal(E.size)
    m = xas_measurement(E, model_mu(E + offset), meta={"mu_ref": ref, "element": "Cu"})
    cal, shift = calibrate_energy(m, reference_e0=tabulated_edge("Cu", "K"))
    assert shift == pytest.approx(offset, abs=0.03)
    assert_allclose(cal.x, E + shift)
    assert_array_equal(cal.meta["mu_ref"], m.meta["mu_ref"])
    c = cal.meta["calibration"]
    assert c["reference_e0_eV"] == 8979.0 and c["foil_e0_eV"] == pytest.approx(E0 - offset, abs=0.03)
    assert cal.meta["energy_shift_eV"] == pytest.approx(shift)
    again, second = calibrate_energy(cal, reference_e0=8979.0)
    assert second == pytest.approx(0.0, abs=0.01)
    assert again.meta["energy_shift_eV"] == pytest.approx(shift + second)


def test_calibrate_energy_with_foil_measurement_and_errors():
    foil_scan = xas_measurement(E + 0.3, foil(E + 0.3 + 1.1))        # its own grid, same mono offset 1.1 eV
    m = xas_measurement(E, model_mu(E + 1.1), source="s.xdi")
    _, shift = calibrate_energy(m, reference_e0=E0, mu_ref=foil_scan)
    assert shift == pytest.approx(1.1, abs=0.03)
    with pytest.raises(DataError, match=r"s.xdi: calibrate_energy: no reference foil channel"):
        calibrate_energy(m, reference_e0=E0)
    with pytest.raises(DataError, match="no data within 50 eV of 7112"):
        calibrate_energy(m, reference_e0=7112.0, mu_ref=foil(E))
    with pytest.raises(DataError, match="shape"):
        calibrate_energy(m, reference_e0=E0, mu_ref=foil(E)[:-1])


@pytest.mark.reference_data
def test_calibrate_real_cu_foil_to_the_tabulated_edge(reference_data):
    from larch.xafs import find_e0

    from structkit.io import read

    m = read(reference_data / "xas" / "cu_metal_rt.xdi")
    foil_m = m.replace(meta={**m.meta, "mu_ref": m.y})       # the foil is the sample here
    cal, shift = calibrate_energy(foil_m, reference_e0=tabulated_edge("Cu", "K"))
    assert shift == pytest.approx(8979.0 - float(find_e0(m.x, m.y)), abs=0.5)
    assert edge_energy(cal.x, cal.y, near=8979.0) == pytest.approx(8979.0, abs=1e-3)


@pytest.mark.parametrize("offset", [0.8, -4.3])
def test_align_to_a_reference_scan(offset):
    rng = np.random.default_rng(5)
    ref = xas_measurement(E, model_mu(E), source="ref.xdi")
    g = E + 0.21                                              # another grid
    m = xas_measurement(g, 1.7 * model_mu(g + offset) + 5e-4 * rng.standard_normal(g.size))
    out, shift = align(m, ref)
    assert shift == pytest.approx(offset, abs=0.05)
    a = out.meta["alignment"]
    assert a["channels"] == ("mu", "mu") and a["converged"] and a["scale"] == pytest.approx(1 / 1.7, rel=0.02)
    assert 0 < a["shift_stderr_eV"] < 0.05
    assert_allclose(out.x, g + shift)


def test_align_uses_the_foil_channels():
    ref = xas_measurement(E, model_mu(E), meta={"mu_ref": foil(E)})
    m = xas_measurement(E, model_mu(E + 2.0) * 0.5, meta={"mu_ref": foil(E + 2.6)})
    _, shift = align(m, ref)                                  # foil vs foil, not sample vs sample
    assert shift == pytest.approx(2.6, abs=0.02)
    foil_scan = xas_measurement(E, foil(E))                   # a foil spectrum as the reference
    out, shift = align(m, foil_scan)
    assert shift == pytest.approx(2.6, abs=0.02) and out.meta["alignment"]["channels"] == ("mu_ref", "mu")
    _, shift = align(m, ref, channel="mu")
    assert shift == pytest.approx(2.0, abs=0.05)
    with pytest.raises(DataError, match="no reference foil channel"):
        align(xas_measurement(E, model_mu(E)), ref, channel="mu_ref")


@pytest.mark.reference_data
def test_align_recovers_a_relabelled_real_scan(reference_data):
    from structkit.io import read

    m = read(reference_data / "xas" / "cu_metal_rt.xdi")
    _, shift = align(m.replace(x=m.x - 1.7), m)
    assert shift == pytest.approx(1.7, abs=1e-6)


# -- deglitch --------------------------------------------------------------------------------------

@pytest.mark.reference_data
@pytest.mark.parametrize("name", ["cu_metal_rt.xdi", "ni_metal_rt.xdi", "pt_metal_rt.xdi", "fe.060",
                                  "cu_10k.xmu"])
def test_deglitch_leaves_real_foil_spectra_alone(reference_data, name):
    from structkit.io import read

    m = read(reference_data / "xas" / name)
    out, removed = deglitch(m)
    assert removed.size == 0 and out is m


@pytest.mark.parametrize("seed,width,wl,noise", [(0, 1.0, 0.3, 1e-3), (1, 0.5, 1.0, 1e-3),
                                                 (2, 0.3, 1.5, 3e-3), (3, 1.0, 0.3, 2e-4)])
def test_deglitch_removes_exactly_the_inserted_glitches(seed, width, wl, noise):
    rng = np.random.default_rng(seed)
    clean = model_mu(E, width=width, wl=wl) + noise * rng.standard_normal(E.size)
    m0 = xas_measurement(E, clean)
    assert deglitch(m0)[1].size == 0
    # one in the pre-edge, one in the XANES 15 eV above E0, three in the EXAFS region
    idx = np.sort([int(np.argmin(np.abs(E - v))) for v in (E0 - 120, E0 + 15, E0 + 150, E0 + 400, E0 + 800)])
    y = clean.copy()
    y[idx] += noise * rng.uniform(20, 40, idx.size) * rng.choice([-1, 1], idx.size)
    ref = foil(E)
    sig = np.full(E.size, noise)
    m = xas_measurement(E, y, meta={"mu_ref": ref}).replace(sigma=sig)
    out, removed = deglitch(m)
    assert_array_equal(removed, idx)
    keep = np.setdiff1d(np.arange(E.size), idx)
    assert_array_equal(out.x, E[keep])
    assert_array_equal(out.y, y[keep])
    assert_array_equal(out.meta["mu_ref"], ref[keep])
    assert out.sigma.size == keep.size
    assert out.meta["deglitch"]["removed_energy_eV"] == E[idx].tolist()
    assert all(abs(z) > 8 for z in out.meta["deglitch"]["z"])


def test_deglitch_protect_and_options():
    rng = np.random.default_rng(9)
    y = model_mu(E) + 1e-3 * rng.standard_normal(E.size)
    i = int(np.argmin(np.abs(E - (E0 + 200))))
    y[i] += 0.05
    m = xas_measurement(E, y)
    assert deglitch(m)[1].tolist() == [i]
    assert deglitch(m, protect=(E0 + 150, E0 + 250))[1].size == 0
    assert deglitch(m, threshold=1e3)[1].size == 0
    with pytest.raises(ConfigError, match="deglitch"):
        deglitch(m, degree=8)
