"""A read-only mapping that pickles and deep-copies (unlike ``types.MappingProxyType``).

Results and measurements are frozen dataclasses; their mapping fields must be
read-only too, and they must cross process boundaries (Dask, joblib, the batch
runner) and ``copy.deepcopy``.

Examples
--------
>>> import pickle
>>> m = FrozenMap({"temperature_K": 300.0})
>>> m["temperature_K"], pickle.loads(pickle.dumps(m)) == m
(300.0, True)
>>> m["x"] = 1
Traceback (most recent call last):
...
TypeError: 'FrozenMap' object does not support item assignment
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FrozenMap", "freeze"]


class FrozenMap(Mapping):
    """An immutable ``dict`` view of its own copy of the data."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None, /, **kwargs):
        object.__setattr__(self, "_data", dict(data or {}, **kwargs))

    def __getitem__(self, key) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name, value):
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self):
        return (FrozenMap, (self._data,))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __eq__(self, other) -> bool:
        return dict(self) == dict(other) if isinstance(other, Mapping) else NotImplemented

    def __hash__(self):
        raise TypeError("unhashable type: 'FrozenMap'")


def freeze(mapping: Mapping | None) -> FrozenMap:
    """A :class:`FrozenMap` copy of ``mapping`` (``None`` gives an empty one)."""
    return mapping if isinstance(mapping, FrozenMap) else FrozenMap(mapping or {})
