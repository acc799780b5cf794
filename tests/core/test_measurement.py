"""Tests for structkit.core.measurement: validation, immutability, replace, monotonic_order."""

import copy
import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from structkit.core.errors import DataError
from structkit.core.measurement import Measurement, monotonic_order

SRC = "runs/s04147-140deg.txt"


def make(**kw):
    base = dict(x=np.array([1.0, 2.0, 3.0]), y=np.array([5.0, 6.0, 7.0]),
                x_name="two_theta", x_unit="deg", y_name="intensity", y_unit="counts",
                sample="NTC-6h", conditions={"temperature_K": 300.0}, technique="xrd", source=SRC)
    base.update(kw)
    return Measurement(**base)


# -- validation -------------------------------------------------------------

@pytest.mark.parametrize("kw, match", [
    ({"x": [1.0, np.nan, 3.0]}, r"two_theta has 1 non-finite value\(s\), first at index 1"),
    ({"y": [1.0, 2.0, np.inf]}, r"intensity has 1 non-finite value\(s\), first at index 2"),
    ({"y": [1.0, 2.0]}, "two_theta has 3 values but intensity has 2"),
    ({"x": [1.0, 3.0, 2.0]}, r"not strictly increasing at index 2 \(3.0 -> 2.0\)"),
    ({"x": [1.0, 1.0, 2.0]}, "not strictly increasing at index 1"),
    ({"x": [3.0, 2.0, 1.0]}, "not strictly increasing at index 1"),
    ({"sigma": [1.0, -0.1, 1.0]}, "sigma has negative values"),
    ({"sigma": [1.0, np.nan, 1.0]}, "sigma has 1 non-finite"),
    ({"sigma": [1.0, 1.0]}, "sigma has 2 values but two_theta has 3"),
    ({"x": np.ones((3, 1)), "y": np.ones((3, 1))}, r"two_theta must be 1-D, got shape \(3, 1\)"),
    ({"y": np.ones((3, 2))}, "intensity must be 1-D"),
    ({"sigma": np.ones((3, 1))}, "sigma must be 1-D"),
    ({"x": [], "y": []}, "no data points"),
    ({"x": ["a", "b", "c"]}, "two_theta is not numeric"),
    ({"conditions": {"temperature_K": float("nan")}}, "condition temperature_K is not finite"),
])
def test_validation_errors_are_data_errors_naming_the_source(kw, match):
    with pytest.raises(DataError, match=match) as info:
        make(**kw)
    assert info.value.path == SRC
    assert str(info.value).startswith(SRC + ": ")


def test_validation_error_without_source_has_no_prefix():
    with pytest.raises(DataError) as info:
        Measurement([2.0, 1.0], [1.0, 1.0])
    assert info.value.path is None
    assert str(info.value).startswith("x axis is not strictly increasing")


def test_zero_sigma_and_single_point_are_allowed():
    m = make(sigma=[0.0, 0.1, 0.2])
    assert_array_equal(m.sigma, [0.0, 0.1, 0.2])
    assert len(Measurement([1.0], [2.0])) == 1


# -- arrays and mappings are read-only; inputs are copied --------------------

def test_arrays_are_read_only_copies():
    x = np.array([1.0, 2.0, 3.0])
    m = make(x=x, sigma=[0.1, 0.1, 0.1])
    for arr in (m.x, m.y, m.sigma):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 99.0
    x[0] = -5.0                       # the caller's array is not shared
    assert m.x[0] == 1.0
    assert m.x.dtype == float and m.y.dtype == float


def test_fields_cannot_be_reassigned():
    m = make()
    with pytest.raises(AttributeError):
        m.x = np.array([0.0])
    with pytest.raises(AttributeError):
        m.sample = "other"


def test_conditions_and_meta_are_immutable_and_detached():
    cond = {"temperature_K": 300, "milling_time_h": np.int64(6), "atmosphere": "Ar", "flag": True}
    meta = {"wavelength_angstrom": 0.7107}
    m = make(conditions=cond, meta=meta)
    with pytest.raises(TypeError):
        m.conditions["temperature_K"] = 400.0
    with pytest.raises(TypeError):
        m.meta["wavelength_angstrom"] = 1.54
    cond["temperature_K"] = 1.0
    meta["wavelength_angstrom"] = 1.0
    assert m.conditions["temperature_K"] == 300.0
    assert m.meta["wavelength_angstrom"] == 0.7107
    # numbers become floats; strings and bools are kept as they are
    assert type(m.conditions["temperature_K"]) is float
    assert type(m.conditions["milling_time_h"]) is float
    assert m.conditions["atmosphere"] == "Ar"
    assert m.conditions["flag"] is True


def test_complex_y_is_allowed_and_kept():
    z = np.array([10 - 1j, 8 - 3j, 5 - 2j])
    m = make(x=[1.0, 10.0, 100.0], y=z, x_name="frequency", x_unit="Hz", y_name="Z", y_unit="ohm")
    assert np.iscomplexobj(m.y)
    assert_array_equal(m.y, z)
    assert "complex" in repr(m)
    with pytest.raises(DataError, match="non-finite"):
        make(y=np.array([1 + 1j, complex(np.nan, 0.0), 1j]))


@pytest.mark.filterwarnings("ignore:Casting complex values")
def test_complex_x_is_rejected():
    with pytest.raises(DataError):
        make(x=np.array([1 + 1j, 2 + 0j, 3 + 0j]))


# -- convenience -------------------------------------------------------------

def test_labels_temperature_len_repr():
    m = make()
    assert m.x_label == "two_theta (deg)"
    assert m.y_label == "intensity (counts)"
    assert Measurement([1.0], [1.0], x_name="index").x_label == "index"
    assert m.temperature_K == 300.0
    assert Measurement([1.0], [1.0]).temperature_K is None
    assert len(m) == 3
    r = repr(m)
    assert "xrd" in r and "3 points" in r and "NTC-6h" in r and "temperature_K=300" in r and SRC in r


def test_replace_returns_new_object_and_revalidates():
    m = make()
    m2 = m.replace(y=[7.0, 8.0, 9.0])
    assert m2 is not m
    assert_array_equal(m.y, [5.0, 6.0, 7.0])
    assert_array_equal(m2.y, [7.0, 8.0, 9.0])
    assert not m2.y.flags.writeable
    assert m2.sample == m.sample and dict(m2.conditions) == dict(m.conditions)
    with pytest.raises(DataError, match="not strictly increasing") as info:
        m.replace(x=[3.0, 2.0, 1.0])
    assert info.value.path == SRC
    with pytest.raises(DataError, match="has 3 values but intensity has 2"):
        m.replace(y=[1.0, 2.0])
    with pytest.raises(TypeError):
        m.replace(no_such_field=1)
    m3 = m.replace(conditions={"temperature_K": 400})
    assert m3.conditions["temperature_K"] == 400.0
    with pytest.raises(TypeError):
        m3.conditions["temperature_K"] = 1.0


def test_with_conditions_adds_and_overrides():
    m = make().with_conditions(temperature_K=350, milling_time_h=6)
    assert dict(m.conditions) == {"temperature_K": 350.0, "milling_time_h": 6.0}


def test_crop_keeps_closed_interval_and_sigma():
    m = Measurement(np.arange(10.0), np.arange(10.0) ** 2, sigma=np.arange(10.0) + 1, source="c.xy")
    c = m.crop(2.0, 5.0)
    assert_array_equal(c.x, [2, 3, 4, 5])
    assert_array_equal(c.y, [4, 9, 16, 25])
    assert_array_equal(c.sigma, [3, 4, 5, 6])
    assert_array_equal(m.crop(xmin=8).x, [8, 9])
    assert_array_equal(m.crop(xmax=0.5).x, [0])
    with pytest.raises(DataError, match=r"no points of x in \[20.0, 30.0\]") as info:
        m.crop(20.0, 30.0)
    assert info.value.path == "c.xy"


def test_measurement_pickles_and_deepcopies():
    m = make(sigma=[0.1, 0.2, 0.3], meta={"k": 1})
    for back in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert_array_equal(back.x, m.x)
        assert dict(back.conditions) == dict(m.conditions)


# -- monotonic_order ------------------------------------------------------------

def test_monotonic_order_increasing_decreasing_short():
    assert monotonic_order([1.0, 2.0, 5.0]) == slice(None)
    assert monotonic_order([]) == slice(None)
    assert monotonic_order([4.0]) == slice(None)
    freq = np.array([1e6, 1e5, 1e3, 1.0])
    s = monotonic_order(freq)
    assert s == slice(None, None, -1)
    assert_array_equal(freq[s], [1.0, 1e3, 1e5, 1e6])
    Measurement(freq[s], np.ones(4))      # now a valid axis


@pytest.mark.parametrize("x, match", [
    ([1.0, 2.0, 2.0, 3.0], "frequency_Hz has a repeated value 2.0 at index 2"),
    ([3.0, 2.0, 2.0], "repeated value 2.0 at index 2"),
    ([1.0, 3.0, 2.0], r"not monotonic: it turns at index 2 \(3.0 -> 2.0\)"),
    ([5.0, 4.0, 4.5, 6.0], r"turns at index 2 \(4.0 -> 4.5\)"),
])
def test_monotonic_order_raises_on_repeats_and_turns(x, match):
    with pytest.raises(DataError, match=match) as info:
        monotonic_order(x, source="eis.txt", name="frequency_Hz")
    assert info.value.path == "eis.txt"
