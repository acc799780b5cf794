import json
import math
import pickle

import numpy as np
import pytest

import dummy_adapters
from structkit.core import ConfigError, DescriptorRow
from structkit.pipeline import (
    TaskResult,
    TechniqueAdapter,
    available_adapters,
    get_adapter,
    register_adapter,
    run_task,
)
from structkit.pipeline.cache import (
    ResultCache,
    atomic_write_text,
    decode_result,
    encode_result,
    is_temp_file,
    remove_temp_files,
    task_key,
)
from structkit.pipeline.executors import Task


def test_registry():
    assert {"dummy", "linecount"} <= set(available_adapters())
    assert get_adapter("dummy") is dummy_adapters.DUMMY
    with pytest.raises(ConfigError, match="no technique adapter named 'dumy'; known techniques: .*dummy"):
        get_adapter("dumy")

    class Other(TechniqueAdapter):
        name, table_name = "dummy", "other"

        def process(self, path, settings, figure_dir):
            return TaskResult()

    with pytest.raises(ConfigError, match="already registered by dummy_adapters.DummyAdapter"):
        register_adapter(Other())
    register_adapter(dummy_adapters.DummyAdapter())   # same class again (module imported twice): fine
    register_adapter(dummy_adapters.DUMMY)
    with pytest.raises(ConfigError, match="reserved"):
        Other.name = "join"
        register_adapter(Other())


def test_builtin_conductivity_module_is_optional():
    from structkit.pipeline import adapters

    try:
        import structkit.pipeline.conductivity  # noqa: F401
    except ModuleNotFoundError as exc:
        assert exc.name == "structkit.pipeline.conductivity"
        assert "conductivity" not in available_adapters()   # absent module: no error
    else:
        assert "conductivity" in available_adapters()
    assert adapters.BUILTIN_ADAPTER_MODULES == ("structkit.pipeline.conductivity", "structkit.pipeline.xrd",
                                                "structkit.pipeline.xas", "structkit.pipeline.pdf",
                                                "structkit.pipeline.raman", "structkit.pipeline.qens",
                                                "structkit.pipeline.tem")
    assert {"xrd", "xas", "pdf", "raman", "qens", "tem"} <= set(available_adapters())


def test_descriptor_rows_round_trip_exactly():
    rows = [DescriptorRow("S1", "a", 0.1 + 0.2, 1e-300, "angstrom", technique="t",
                          conditions={"temperature_K": 298.15, "milling": "6h", "n": 3}, source="f",
                          method="m"),
            DescriptorRow("S1", "b", np.float64(2 / 3)),                   # stderr NaN
            DescriptorRow("S2", "c", float("inf"), -0.0)]
    r = TaskResult(rows=[{"x": np.float64(1 / 3), "n": np.int64(7), "flag": np.bool_(True), "s": None}],
                   descriptors=rows, figures=["figures/t/a.png"], messages=["m"])
    back = decode_result(encode_result(r))
    assert back.rows == [{"x": 1 / 3, "n": 7, "flag": True, "s": None}]
    assert type(back.rows[0]["n"]) is int
    for a, b in zip(rows, back.descriptors):
        assert (a.sample, a.name, a.unit, a.technique, a.source, a.method) == \
               (b.sample, b.name, b.unit, b.technique, b.source, b.method)
        assert dict(a.conditions) == dict(b.conditions)
        assert a.value == b.value or (math.isnan(a.value) and math.isnan(b.value))
        assert a.stderr == b.stderr or (math.isnan(a.stderr) and math.isnan(b.stderr))
        assert math.copysign(1, a.stderr) == math.copysign(1, b.stderr)
    assert back.figures == r.figures and back.messages == r.messages
    assert encode_result(back) == encode_result(r)


def test_unserialisable_row_is_a_data_error():
    from structkit.core import DataError

    with pytest.raises(DataError, match="not JSON-serialisable"):
        encode_result(TaskResult(rows=[{"x": object()}]))


def test_task_key_depends_on_everything():
    base = dict(technique="dummy", file="data/a.txt", file_hash="00", settings={"scale": 1.0},
                structkit_version="0.1.0")
    k = task_key(**base)
    assert k == task_key(**{**base, "settings": {"scale": 1.0}})
    for change in ({"technique": "x"}, {"file": "data/b.txt"}, {"file_hash": "01"},
                   {"settings": {"scale": 2.0}}, {"structkit_version": "0.2.0"}):
        assert task_key(**{**base, **change}) != k
    assert task_key(**base, adapter_version="2") != k


def _task(tmp_path, name, content, technique="dummy", settings=None):
    p = tmp_path / name
    p.write_text(content)
    settings = settings or {"scale": 1.0, "delay_s": 0.0, "fail_summary": False}
    return Task(technique, name, str(p), "k", settings, str(tmp_path / "figures"), str(tmp_path),
                "dummy_adapters")


def test_run_task_success_and_failures(tmp_path):
    task = _task(tmp_path, "S1_300K.txt", "0 1\n1 3\n")
    pickle.loads(pickle.dumps(task))   # tasks travel to workers
    out = run_task(task)
    assert out.ok
    res = decode_result(out.payload)
    assert res.rows == [{"file": "S1_300K.txt", "sample": "S1", "temperature_K": 300.0, "mean": 2.0,
                         "max": 3.0, "n": 2}]
    d = res.descriptors[0]
    assert (d.technique, d.source, d.conditions["temperature_K"]) == ("dummy", "S1_300K.txt", 300.0)

    bad = run_task(_task(tmp_path, "X_bad.txt", "corrupt"))
    assert not bad.ok and bad.payload is None
    f = bad.failure
    assert (f.file, f.technique, f.error) == ("X_bad.txt", "dummy", "ReadError")
    assert f.message == "X_bad.txt: no numeric columns; re-export the file as two columns"
    assert bad.detail == ""

    bug = run_task(_task(tmp_path, "X_bug.txt", "bug"))
    assert bug.failure.error == "ZeroDivisionError"
    assert bug.failure.message == "ZeroDivisionError: division by zero (internal error, please report)"
    assert "Traceback" in bug.detail

    unknown = run_task(_task(tmp_path, "a.txt", "1 2", technique="nope"))
    assert unknown.failure.error == "ConfigError"


def test_run_task_records_warnings(tmp_path):
    import warnings

    class Warn(TechniqueAdapter):
        name, table_name = "warn_test", "warn"

        def process(self, path, settings, figure_dir):
            for _ in range(3):
                warnings.warn("low counts", RuntimeWarning)
            return TaskResult(rows=[{"ok": 1}], messages=["hello"])

    register_adapter(Warn())
    out = run_task(_task(tmp_path, "a.txt", "", technique="warn_test"))
    assert decode_result(out.payload).messages == ["hello", "warning: RuntimeWarning: low counts"]


def test_atomic_writes_and_cache(tmp_path):
    p = atomic_write_text(tmp_path / "a.csv", "x\n1\n")
    assert p.read_text() == "x\n1\n" and list(tmp_path.iterdir()) == [p]
    junk = tmp_path / ".a.csv.1234.tmp"
    junk.write_text("half")
    keep = tmp_path / ".hidden.tmp"
    keep.write_text("not ours")
    assert is_temp_file(junk) and not is_temp_file(keep)
    assert remove_temp_files(tmp_path) == 1 and keep.exists() and not junk.exists()

    cache = ResultCache(tmp_path / "out")
    payload = encode_result(TaskResult(rows=[{"v": 0.1}], figures=["figures/x.png"]))
    cache.store("dummy", "abc", payload, file="a.txt", structkit_version="0")
    assert cache.load("dummy", "abc") == payload
    assert cache.load("dummy", "abc", output_dir=tmp_path / "out") is None   # its figure is gone
    assert cache.load("dummy", "nokey") is None
    cache.path("dummy", "abc").write_text("{broken")
    assert cache.load("dummy", "abc") is None and not cache.path("dummy", "abc").exists()
    entry = cache.path("dummy", "def")
    entry.write_text(json.dumps({"format": 1, "key": "other", "result": {}}))
    assert cache.load("dummy", "def") is None
