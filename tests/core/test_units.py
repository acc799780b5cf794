"""Tests for structkit.core.units: constants, temperature conversions, pellet geometry."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from structkit.core.errors import ConfigError, DataError
from structkit.core.units import (
    EPSILON_0_F_PER_CM,
    HBAR_MEV_PS,
    K_B_EV,
    celsius_to_kelvin,
    kelvin_to_celsius,
    pellet_area_cm2,
    to_kelvin,
)


def test_constants_are_codata_2018():
    # independent truth: CODATA 2018 exact SI values
    k_b_J = 1.380649e-23
    e_C = 1.602176634e-19
    h_J_s = 6.62607015e-34
    assert_allclose(K_B_EV, k_b_J / e_C, rtol=1e-9)
    hbar_meV_ps = h_J_s / (2 * math.pi) / e_C * 1e3 * 1e12
    assert_allclose(HBAR_MEV_PS, hbar_meV_ps, rtol=1e-9)
    assert_allclose(EPSILON_0_F_PER_CM, 8.8541878128e-12 / 100, rtol=1e-12)


def test_celsius_kelvin_scalar_and_array_round_trip():
    assert celsius_to_kelvin(25.0) == pytest.approx(298.15, abs=1e-12)
    assert isinstance(celsius_to_kelvin(25), float)
    t_c = np.array([-100.0, 0.0, 180.0])
    t_k = celsius_to_kelvin(t_c)
    assert isinstance(t_k, np.ndarray)
    assert_allclose(t_k, [173.15, 273.15, 453.15], rtol=0, atol=1e-12)
    assert_allclose(kelvin_to_celsius(t_k), t_c, rtol=0, atol=1e-12)
    assert kelvin_to_celsius(300.0) == pytest.approx(26.85, abs=1e-12)
    assert_allclose(celsius_to_kelvin([1, 2]), [274.15, 275.15])


@pytest.mark.parametrize("value, unit, expected", [
    (300, "K", 300.0),
    (300, " k ", 300.0),
    (300, "kelvin", 300.0),
    (25, "C", 298.15),
    (25, "degC", 298.15),
    (25, "°C", 298.15),
    (25, "celsius", 298.15),
    (-140, "deg", 133.15),      # instrument file names: s04147-140deg.txt
    (-140, "DEG", 133.15),
    (0, "degrees", 273.15),
])
def test_to_kelvin(value, unit, expected):
    t = to_kelvin(value, unit)
    assert isinstance(t, float)
    assert t == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("value, unit", [(-274, "C"), (-273.15, "C"), (0, "K"), (-5, "K"),
                                         (-300, "deg")])
def test_to_kelvin_at_or_below_absolute_zero_raises(value, unit):
    with pytest.raises(DataError, match="absolute zero"):
        to_kelvin(value, unit)


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_to_kelvin_non_finite_says_so(value):
    with pytest.raises(DataError, match="not finite"):
        to_kelvin(value, "K")


def test_to_kelvin_just_above_absolute_zero_is_fine():
    assert to_kelvin(-273.14, "C") == pytest.approx(0.01, abs=1e-9)


@pytest.mark.parametrize("unit", ["F", "fahrenheit", "", "eV"])
def test_to_kelvin_unknown_unit_raises_data_error_naming_it(unit):
    with pytest.raises(DataError, match="unknown temperature unit"):
        to_kelvin(300, unit)


def test_to_kelvin_non_numeric_value_is_data_error():
    with pytest.raises(DataError):
        to_kelvin("abc", "K")


def test_pellet_area_from_diameter_and_area():
    assert pellet_area_cm2(diameter_cm=0.8) == pytest.approx(math.pi * 0.16, rel=1e-15)
    assert pellet_area_cm2(area_cm2=0.5) == 0.5
    assert isinstance(pellet_area_cm2(area_cm2=1), float)


def test_pellet_area_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        pellet_area_cm2(0.8)


@pytest.mark.parametrize("kwargs, match", [
    ({}, "geometry missing"),
    ({"diameter_cm": 0.8, "area_cm2": 0.5}, "not both"),
    ({"diameter_cm": 0.0}, "diameter_cm must be a positive"),
    ({"diameter_cm": -1.0}, "diameter_cm must be a positive"),
    ({"area_cm2": float("nan")}, "area_cm2 must be a positive"),
    ({"area_cm2": float("inf")}, "area_cm2 must be a positive"),
])
def test_pellet_area_errors_are_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        pellet_area_cm2(**kwargs)


def test_pellet_area_non_numeric_is_config_error():
    with pytest.raises(ConfigError):
        pellet_area_cm2(diameter_cm="0.8cm")
