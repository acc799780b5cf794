"""``[pdf]`` in a campaign: G(r) files (and raw patterns with [pdf.reduce]) to pdf.csv and descriptors."""

import numpy as np
import pandas as pd
import pytest

from structkit.core.errors import ConfigError
from structkit.core.measurement import Measurement
from structkit.io import write_pdf
from structkit.pdf.order import sphere_envelope
from structkit.pdf.smallbox import calculate_pdf
from structkit.pdf.synthetic import fcc_phase
from structkit.pipeline import parse_campaign, run_campaign

A = 3.52



@pytest.fixture
def folder(tmp_path):
    """Ni nanoparticle G(r) at three milling times (diameters 60, 30, 15 Å) and the bulk reference."""
    r = np.arange(0.5, 40.0, 0.01)
    bulk = calculate_pdf(r, fcc_phase("Ni", A), qmax=25.0)
    d = tmp_path / "pdf"
    d.mkdir()
    for hours, diam in ((0, 60.0), (10, 30.0), (20, 15.0)):
        m = Measurement(r, bulk * sphere_envelope(r, diam), sample="Ni", conditions={"milling_time_h": float(hours)},
                        meta={"quantity": "G", "qmax": 25.0})
        write_pdf(m, d / f"Ni_{hours}h.gr")
    write_pdf(Measurement(r, bulk, sample="Ni-bulk", meta={"quantity": "G", "qmax": 25.0}), tmp_path / "bulk.gr")
    (d / "broken.gr").write_text("[DEFAULT]\nqmax = 25\n\n#### start data\n#L r G\n1.0 nan\n1.1 0.2\n")
    return tmp_path


def _toml(folder, body: str):
    path = folder / "campaign.toml"
    path.write_text('[campaign]\nname = "x"\noutput = "out"\nexecutor = "serial"\n\n[pdf]\ninputs = ["pdf/*.gr"]\n' + body)
    return path


def test_campaign_reports_shells_size_and_mid_range_order(folder):
    toml = _toml(folder, 'windows = [[2.2, 2.8]]\nlabels = ["Ni-Ni"]\nrho0 = 0.09171\ncomposition = "Ni"\n'
                         'pairs = ["Ni-Ni"]\nenvelope = "sphere"\nenvelope_range = [3.0, 38.0]\n'
                         'envelope_reference = "bulk.gr"\nmid_range = [5.0, 20.0]\nmid_range_reference = "bulk.gr"\n'
                         'figures = false\n')
    report = run_campaign(toml, progress=False)
    assert report.failed == 1                                   # broken.gr (NaN): recorded, the rest went on
    failures = pd.read_csv(folder / "out" / "failures.csv")
    assert failures["file"].str.contains("broken.gr").all()
    rows = pd.read_csv(folder / "out" / "pdf.csv").sort_values("milling_time_h")
    assert rows["milling_time_h"].tolist() == [0.0, 10.0, 20.0]
    # the PDFfit model puts the Gaussian in R(r), so its G(r) peak sits sigma^2/r = 0.004 A low; the
    # particle envelope's slope takes off another ~0.001 A at 15 A
    np.testing.assert_allclose(rows["pdf_peak_r_angstrom[Ni-Ni]"], A / np.sqrt(2) - 0.01 / 2.49, atol=0.002)
    np.testing.assert_allclose(rows["pdf_particle_diameter_angstrom"], [60.0, 30.0, 15.0], rtol=1e-3)
    mro = rows["pdf_mid_range_order_rel[5-20]"].to_numpy()
    assert np.all(np.diff(mro) < 0) and mro[0] < 1.0
    # the first shell of a particle has fewer neighbours than 12: N(r) scaled by the sphere envelope
    cn = rows["pdf_cn[Ni-Ni]"].to_numpy()
    assert np.all(np.diff(cn) < 0) and abs(cn[0] / (12 * sphere_envelope(np.array([2.49]), 60.0)[0]) - 1) < 0.03
    desc = pd.read_csv(folder / "out" / "descriptors.csv")
    assert (desc["technique"] == "pdf").all() and "pdf_particle_diameter_angstrom" in set(desc["name"])


@pytest.mark.parametrize("pdf,expected", [
    ({"windows": [[3, 2]]}, "windows"),
    ({"envelope": "cube"}, "envelope"),
    ({"structure": ["nope.cif"]}, "structure: file 'nope.cif' not found"),
    ({"reduce": {"qmin": 0.8}}, "composition"),
    ({"npeaks": [1, 2], "windows": [[2, 3]]}, "one number per window"),
    ({"bogus": 1}, "bogus"),
])
def test_bad_settings_name_the_key(folder, pdf, expected):
    import tomllib  # noqa: F401 - the campaign parser's own; here only the dict form is used
    raw = {"campaign": {"name": "x", "output": "out"}, "pdf": {"inputs": ["pdf/*.gr"], **pdf}}
    with pytest.raises(ConfigError, match=expected):
        parse_campaign(raw, base_dir=folder, source=str(folder / "c.toml"))
