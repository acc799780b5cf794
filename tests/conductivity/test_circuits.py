"""Circuit strings: parsing, parameter names, impedance against closed forms."""

import numpy as np
import pytest

from structkit import ConfigError
from structkit.conductivity.circuits import parse_circuit

F = np.logspace(-2, 7, 50)
W = 2 * np.pi * F


def test_series_parallel_closed_form():
    c = parse_circuit("R0-p(R1,C1)-CPE2")
    v = {"R0": 12.0, "R1": 3e4, "C1": 2e-10, "CPE2_Q": 3e-6, "CPE2_n": 0.8}
    expected = 12.0 + 3e4 / (1 + 1j * W * 3e4 * 2e-10) + 1 / (3e-6 * (1j * W) ** 0.8)
    np.testing.assert_allclose(c.impedance(F, v), expected, rtol=1e-12)


def test_all_element_types_against_closed_forms():
    c = parse_circuit("L0-R0-W1-Wo2-Ws3-C4")
    v = {"L0": 1e-6, "R0": 5.0, "W1_sigma": 40.0, "Wo2_R": 100.0, "Wo2_tau": 0.5,
         "Ws3_R": 70.0, "Ws3_tau": 2.0, "C4": 1e-3}
    s2 = np.sqrt(1j * W * 0.5)
    s3 = np.sqrt(1j * W * 2.0)
    expected = (1j * W * 1e-6 + 5.0 + 40.0 * (1 - 1j) / np.sqrt(W) + 100.0 / np.tanh(s2) / s2
                + 70.0 * np.tanh(s3) / s3 + 1 / (1j * W * 1e-3))
    np.testing.assert_allclose(c.impedance(F, v), expected, rtol=1e-10)


def test_nested_parallel_and_parameter_order():
    c = parse_circuit("R0-p(R1-Wo1,CPE1)-p(R2,C2,C3)")
    assert c.param_names == ("R0", "R1", "Wo1_R", "Wo1_tau", "CPE1_Q", "CPE1_n", "R2", "C2", "C3")
    v = dict(zip(c.param_names, [1.0, 10.0, 5.0, 0.1, 1e-5, 0.9, 20.0, 1e-6, 2e-6]))
    s = np.sqrt(1j * W * 0.1)
    branch = 10.0 + 5.0 / np.tanh(s) / s
    z1 = 1 / (1 / branch + 1e-5 * (1j * W) ** 0.9)
    z2 = 1 / (1 / 20.0 + 1j * W * 3e-6)
    np.testing.assert_allclose(c.impedance(F, v), 1.0 + z1 + z2, rtol=1e-10)


def test_capacitor_sign_is_physical():
    z = parse_circuit("C1").impedance([1e3], {"C1": 1e-6})
    assert z.imag[0] < 0


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("R0-p(R1,CPE1", "missing ')'"),
    ("R1--R2", "position 3"),
    ("p(R1)", "two branches"),
    ("R1-X2", "unknown element type 'X'"),
    ("R1-R1", "used twice"),
    ("R1-p(R2,C2))", "unexpected"),
    ("R1 + C1", "cannot read"),
    ("R-C1", "cannot read"),
])
def test_parse_errors_name_the_problem(text, fragment):
    with pytest.raises(ConfigError, match=None) as info:
        parse_circuit(text)
    assert fragment in str(info.value)


def test_missing_value_is_config_error():
    with pytest.raises(ConfigError, match="no value for R1"):
        parse_circuit("R0-R1").impedance(F, {"R0": 1.0})
