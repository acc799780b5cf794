"""Tests for structkit.core.errors: one hierarchy, messages that name the place, picklable."""

import pickle

import pytest

import structkit
from structkit.core.errors import (
    ConfigError,
    DataError,
    FitError,
    MissingDependencyError,
    ReadError,
    StructkitError,
)

ALL = [StructkitError, ReadError, DataError, FitError, ConfigError, MissingDependencyError]


@pytest.mark.parametrize("cls", ALL)
def test_every_error_is_a_structkit_error_and_an_exception(cls):
    assert issubclass(cls, StructkitError)
    assert issubclass(cls, Exception)
    with pytest.raises(StructkitError):
        raise cls("boom")


def test_root_package_exports_the_base_class():
    assert structkit.StructkitError is StructkitError


def test_missing_dependency_is_also_an_import_error():
    # so `except ImportError` around an optional import keeps working
    assert issubclass(MissingDependencyError, ImportError)
    with pytest.raises(ImportError):
        raise MissingDependencyError("needs pyarrow: pip install 'structkit[parquet]'")


@pytest.mark.parametrize("kwargs, expected", [
    ({}, "bad value"),
    ({"path": "data/a.xy"}, "data/a.xy: bad value"),
    ({"path": "data/a.xy", "line": 12}, "data/a.xy, line 12: bad value"),
    ({"line": 3}, "line 3: bad value"),
    ({"path": ""}, "bad value"),          # an empty path adds no prefix
])
def test_message_names_file_and_line(kwargs, expected):
    err = ReadError("bad value", **kwargs)
    assert str(err) == expected
    assert err.message == "bad value"


def test_path_like_is_stored_as_str(tmp_path):
    err = DataError("x", path=tmp_path / "f.csv")
    assert err.path == str(tmp_path / "f.csv")
    assert str(err).startswith(str(tmp_path / "f.csv") + ": ")


def test_path_and_line_are_keyword_only():
    with pytest.raises(TypeError):
        ReadError("msg", "a.txt")


@pytest.mark.parametrize("cls", ALL)
def test_errors_keep_path_and_line(cls):
    err = cls("no numeric rows", path="a.txt", line=3)
    assert (err.message, err.path, err.line) == ("no numeric rows", "a.txt", 3)


@pytest.mark.parametrize("cls", ALL)
def test_errors_survive_pickling_with_path_and_line(cls):
    # the batch runner sends failures across process boundaries
    err = cls("no numeric rows", path="a.txt", line=3)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert (back.message, back.path, back.line) == ("no numeric rows", "a.txt", 3)
    assert str(back) == str(err) == "a.txt, line 3: no numeric rows"
