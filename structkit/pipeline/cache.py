"""Task keys, the JSON codec of task results, atomic writes and the result cache.

A finished task is stored as ``<output>/.cache/<technique>/<key>.json`` as
soon as it finishes, written atomically, so a run that is killed keeps every
result it finished and a re-run recomputes only what is missing or changed.
A failure of bad input (a :class:`~structkit.StructkitError`: the same bytes
and settings fail the same way) is cached too, and retried only with
``structkit run --retry-failed``; internal errors and worker crashes are
never cached.

The key is the SHA-256 of the canonical JSON of: the technique name, the
adapter's ``version``, the input file's path relative to the campaign file
(adapters derive sample names from it), the SHA-256 of the file's bytes, the
validated settings and the structkit version.

Every result, computed or cached, goes through the same JSON text, so a
cached run gives byte-identical tables. Floats are written with ``repr`` and
read back exactly; NaN and infinities are allowed.

Examples
--------
>>> import math
>>> from structkit.core import DescriptorRow
>>> r = TaskResult(rows=[{"T_K": 300.0}], descriptors=[
...     DescriptorRow("s1", "a_angstrom", 0.1 + 0.2, unit="angstrom", conditions={"temperature_K": 300.0})])
>>> back = decode_result(encode_result(r))
>>> back.descriptors[0].value == 0.1 + 0.2, math.isnan(back.descriptors[0].stderr)
(True, True)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.atomic import atomic_write_bytes, atomic_write_text, is_temp_file
from ..core.descriptors import DescriptorRow
from ..core.errors import DataError
from .adapters import TaskResult

__all__ = [
    "CACHE_FORMAT", "canonical_json", "file_sha256", "task_key",
    "encode_result", "decode_result", "ResultCache",
    "atomic_write_bytes", "atomic_write_text", "is_temp_file", "remove_temp_files",
]

#: Bumped when the layout of a cache entry changes.
CACHE_FORMAT = 1

_FAILURE_FIELDS = ("file", "error", "message")
_DESCRIPTOR_FIELDS = ("sample", "name", "value", "stderr", "unit", "technique",
                      "conditions", "source", "method")


def _jsonable(obj):
    """``json`` ``default=``: numpy scalars, paths, tuples and mappings."""
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (tuple, set, frozenset)):
        return sorted(obj) if isinstance(obj, (set, frozenset)) else list(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable; use str, int, float, bool or None")


def canonical_json(obj) -> str:
    """JSON with sorted keys and no spaces, the form that is hashed.

    >>> canonical_json({"b": 1, "a": (0.1, "x")})
    '{"a":[0.1,"x"],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable, allow_nan=True)


def file_sha256(path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def task_key(technique: str, file: str, file_hash: str, settings: Mapping[str, Any],
             structkit_version: str, adapter_version: str = "1") -> str:
    """The cache key of one task (hex SHA-256)."""
    blob = canonical_json({"technique": technique, "adapter_version": adapter_version,
                           "file": file, "file_sha256": file_hash, "settings": dict(settings),
                           "structkit": structkit_version})
    return hashlib.sha256(blob.encode()).hexdigest()


# -- the result codec ------------------------------------------------------------

def _row_to_json(r: DescriptorRow) -> dict:
    out = {f: getattr(r, f) for f in _DESCRIPTOR_FIELDS}
    out["conditions"] = dict(r.conditions)
    return out


def _row_from_json(d: Mapping[str, Any]) -> DescriptorRow:
    return DescriptorRow(**{f: d[f] for f in _DESCRIPTOR_FIELDS})


def result_to_plain(result: TaskResult) -> dict:
    """A TaskResult as plain JSON-able containers (checked with :func:`canonical_json`)."""
    return {"rows": [dict(r) for r in result.rows],
            "descriptors": [_row_to_json(r) for r in result.descriptors],
            "figures": [str(f) for f in result.figures],
            "messages": [str(m) for m in result.messages],
            "failures": [{k: str(f[k]) for k in _FAILURE_FIELDS} for f in result.failures]}


def encode_result(result: TaskResult) -> str:
    """JSON text of a TaskResult; raises DataError naming a value that is not serialisable."""
    plain = result_to_plain(result)
    for i, row in enumerate(plain["rows"]):
        for k in row:
            if not isinstance(k, str):
                raise DataError(f"TaskResult.rows[{i}] has a non-string column name {k!r}")
    try:
        return json.dumps(plain, default=_jsonable, allow_nan=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise DataError(f"TaskResult is not JSON-serialisable: {exc}") from None


def decode_result(text: str) -> TaskResult:
    """Inverse of :func:`encode_result`."""
    d = json.loads(text) if isinstance(text, str) else text
    return TaskResult(rows=[dict(r) for r in d["rows"]],
                      descriptors=[_row_from_json(r) for r in d["descriptors"]],
                      figures=list(d["figures"]), messages=list(d["messages"]),
                      failures=[dict(f) for f in d.get("failures", [])])


# -- atomic writes -----------------------------------------------------------------

def remove_temp_files(directory: Path, *, recursive: bool = False) -> int:
    """Remove leftovers of atomic writes killed mid-way; returns how many."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    found = directory.rglob(".*.tmp") if recursive else directory.glob(".*.tmp")
    n = 0
    for p in found:
        if p.is_file() and is_temp_file(p):
            p.unlink(missing_ok=True)
            n += 1
    return n


# -- the cache -----------------------------------------------------------------------

class ResultCache:
    """Cached task results under ``<output>/.cache/<technique>/<key>.json``."""

    def __init__(self, output_dir):
        self.root = Path(output_dir) / ".cache"

    def path(self, technique: str, key: str) -> Path:
        return self.root / technique / f"{key}.json"

    def load_entry(self, technique: str, key: str, *, output_dir: Path | None = None):
        """``("result", json_text)``, ``("failure", dict)`` or None (absent, damaged, or its figures are gone)."""
        p = self.path(technique, key)
        try:
            entry = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            p.unlink(missing_ok=True)  # damaged entry: recompute
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("key") != key:
            return None
        failure = entry.get("failure")
        if isinstance(failure, dict) and all(isinstance(failure.get(k), str) for k in _FAILURE_FIELDS):
            return "failure", {k: failure[k] for k in _FAILURE_FIELDS}
        result = entry.get("result")
        if not isinstance(result, dict):
            return None
        if output_dir is not None:
            for fig in result.get("figures", []):
                if not (Path(output_dir) / fig).is_file():
                    return None
        return "result", json.dumps(result, allow_nan=True, separators=(",", ":"))

    def load(self, technique: str, key: str, *, output_dir: Path | None = None) -> str | None:
        """The cached result's JSON text, or None if absent, unreadable, a failure or its figures are gone."""
        entry = self.load_entry(technique, key, output_dir=output_dir)
        return entry[1] if entry is not None and entry[0] == "result" else None

    def store(self, technique: str, key: str, payload: str, *, file: str, structkit_version: str) -> Path:
        """Write one finished result atomically."""
        entry = {"format": CACHE_FORMAT, "key": key, "technique": technique, "file": file,
                 "structkit_version": structkit_version, "result": json.loads(payload)}
        text = json.dumps(entry, allow_nan=True, separators=(",", ":"))
        return atomic_write_text(self.path(technique, key), text)

    def store_failure(self, technique: str, key: str, failure: Mapping[str, str], *, file: str,
                      structkit_version: str) -> Path:
        """Write one failure of bad input (a StructkitError: the same input fails the same way) atomically."""
        entry = {"format": CACHE_FORMAT, "key": key, "technique": technique, "file": file,
                 "structkit_version": structkit_version,
                 "failure": {k: str(failure[k]) for k in _FAILURE_FIELDS}}
        return atomic_write_text(self.path(technique, key), json.dumps(entry, separators=(",", ":")))

    def clean_temp_files(self) -> int:
        return remove_temp_files(self.root, recursive=True)
