"""The [xas] table of a campaign: settings checked up front; each spectrum to edge, FT, wavelet and fit descriptors."""

import numpy as np
import pandas as pd
import pytest

from structkit import ConfigError
from structkit.pipeline import parse_campaign, run_campaign


def _campaign(folder, **xas):
    table = {"campaign": {"name": "t"}, "xas": {"inputs": ["xas/*.xdi"], **xas}}
    return parse_campaign(table, base_dir=folder, source="c.toml")


def _xdi(path, e, mu, *, sample, temperature_c):
    lines = ["# XDI/1.0 test", "# Column.1: energy eV", "# Column.2: mutrans", "# Element.symbol: Cu",
             "# Element.edge: K", f"# Sample.name: {sample}", f"# Sample.temperature: {temperature_c} C",
             "# ///", "#----", "# energy mutrans"]
    lines += [f"{x:.3f} {y:.7f}" for x, y in zip(e, mu)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def folder(tmp_path):
    """Two synthetic Cu-like spectra (one shell at 2.55 A, sigma2 0.006 / 0.009) and one without an edge."""
    from structkit.xas.synthetic import shells_chi, synthetic_xas
    d = tmp_path / "xas"
    d.mkdir()
    k = np.arange(0, 18.0001, 0.05)
    for name, s2, t_c in (("cu_a", 0.006, 25), ("cu_b", 0.009, 200)):
        chi = shells_chi(k, [(12, 2.55, s2)])
        e, mu = synthetic_xas(8979.0, chi=(k, chi), step=1.0, noise=3e-4, seed=3, kmax=16.0)
        _xdi(d / f"{name}.xdi", e, mu, sample=name, temperature_c=t_c)
    e = np.linspace(8700, 9500, 400)
    _xdi(d / "flat.xdi", e, 0.3 + 1e-5 * (e - 8700), sample="flat", temperature_c=25)
    return tmp_path


def test_settings_are_normalised(folder):
    (folder / "feff0001.dat").write_text("x\n")
    c = _campaign(folder, kmin=3, kmax=14, window="kaiser", white_line_window=[0, 20],
                  wavelet={"kind": "cauchy", "r_windows": [[1.5, 2.5]], "order": 36},
                  fit={"paths": ["feff0001.dat"], "rmax": 3.0})
    s = c.techniques[0].settings
    assert s["kmin"] == 3.0 and s["window"] == "kaiser" and s["white_line_window"] == [0.0, 20.0]
    assert s["wavelet"] == {"kind": "cauchy", "order": 36, "r_windows": [[1.5, 2.5]]}
    assert s["fit"]["paths"] == [str((folder / "feff0001.dat").resolve())] and s["fit"]["window"] == "kaiser"
    assert s["figures"] is True and s["exafs"] is True and s["rbkg"] == 1.0


@pytest.mark.parametrize("xas, expected", [
    ({"rbkgg": 1}, "rbkgg: unknown key"),
    ({"rbkg": -1}, "rbkg: must be a positive number"),
    ({"kmin": 10, "kmax": 5}, "kmin/kmax: need kmin < kmax"),
    ({"window": "boxcar"}, "window: must be one of"),
    ({"white_line_window": [30, 0]}, "white_line_window: must be \\[LO, HI\\]"),
    ({"wavelet": {"kind": "paul"}}, r"\[xas\].wavelet kind"),
    ({"wavelet": {"kind": "cauchy", "eta": 6}}, "Morlet parameters"),
    ({"wavelet": {"r_windows": [[2, 1]]}}, "r_windows"),
    ({"fit": {"paths": ["nope.dat"]}}, "paths: file 'nope.dat' not found"),
    ({"fit": {}}, "paths: must list at least one"),
    ({"exafs": False, "wavelet": {}}, "exafs: false leaves no chi"),
    ({"figures": "yes"}, "figures: must be true or false"),
])
def test_bad_settings_name_the_key(folder, xas, expected):
    with pytest.raises(ConfigError, match=expected) as info:
        _campaign(folder, **xas)
    assert "c.toml [xas]" in str(info.value)


def test_campaign_runs_each_spectrum_and_records_the_failure(folder):
    pytest.importorskip("larch")
    toml = folder / "campaign.toml"
    toml.write_text('[campaign]\nname = "x"\noutput = "out"\nexecutor = "serial"\n\n'
                    '[xas]\ninputs = ["xas/*.xdi"]\nkmin = 3.0\nkmax = 14.0\npeaks = 1\nrmin = 1.2\n'
                    'figures = false\n\n[xas.wavelet]\nkind = "morlet"\nr_windows = [[1.6, 2.8]]\n')
    report = run_campaign(toml, progress=False)
    assert report.failed == 1                                    # flat.xdi: no edge, the others go on
    failures = pd.read_csv(folder / "out" / "failures.csv")
    assert failures["file"].str.contains("flat.xdi").all() and failures["message"].str.contains("edge").all()
    rows = pd.read_csv(folder / "out" / "xas.csv").set_index("sample")
    assert list(rows.index) == ["cu_a", "cu_b"]
    assert rows["temperature_K"].tolist() == [298.15, 473.15]
    np.testing.assert_allclose(rows["e0_eV"], 8979.0, atol=1.0)
    # one damped sine at 2.55 A without a phase shift: the |chi(R)| peak there (grid 0.03 A), for both spectra
    r1 = rows["ft_peak_r_A[1]"]
    np.testing.assert_allclose(r1, 2.55, atol=0.03)
    # larger sigma2 damps the FT peak and the wavelet maximum by the Debye-Waller factor
    assert rows.loc["cu_b", "ft_peak_mag[1]"] < 0.9 * rows.loc["cu_a", "ft_peak_mag[1]"]
    assert rows.loc["cu_b", "wt_W_max[1.6-2.8A]"] < rows.loc["cu_a", "wt_W_max[1.6-2.8A]"]
    assert not rows["wt_on_edge[1.6-2.8A]"].any()
    desc = pd.read_csv(folder / "out" / "descriptors.csv")
    assert {"e0_eV", "ft_peak_r_A[1]", "wt_k_max[1.6-2.8A]"} <= set(desc["name"])
    assert (desc["technique"] == "xas").all()
